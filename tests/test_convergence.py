"""A ConvergenceWarning only where more training would change the result."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import Autoencoder, VariationalAutoencoder
from sklearn_ae.datasets import load_font5x7


def _convergence_warnings(est, X):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X)
    return [r for r in record if issubclass(r.category, ConvergenceWarning)]


def _still_falling(est):
    """The mean fall per epoch of the monitored loss over the last window."""
    monitor = est.net_.stopper_.monitor
    curve = [float(v) for v in est.net_.history[:, monitor]]
    window = min(est.n_iter_no_change, len(curve) - 1)
    return (curve[-1 - window] - min(curve[-window:])) / window


def _data(name):
    if name == "digits":
        return load_digits().data
    if name == "breast cancer":
        return load_breast_cancer().data
    return load_font5x7().data


@pytest.mark.parametrize("name", ["digits", "breast cancer", "font"])
def test_default_fits_warn_only_while_the_loss_still_falls(name):
    est = Autoencoder(random_state=0)
    warned = _convergence_warnings(est, _data(name))
    at_limit = est.n_iter_ == est.max_iter and not est.net_.stopped_early_
    assert bool(warned) == (at_limit and _still_falling(est) > est.tol)


def test_a_short_fit_whose_loss_still_falls_says_what_to_do():
    X = load_digits().data[:300]
    est = Autoencoder(n_components=4, max_iter=5, random_state=0)
    (warning,) = _convergence_warnings(est, X)
    assert _still_falling(est) > est.tol
    message = str(warning.message)
    assert "max_iter=5" in message and "still falling by" in message
    assert "Raise max_iter" in message and "tol" in message


def test_no_warning_once_the_loss_falls_by_less_than_tol_per_epoch():
    X = load_digits().data[:300]
    est = Autoencoder(n_components=4, max_iter=5, tol=1e3, random_state=0)
    assert _convergence_warnings(est, X) == []
    assert _still_falling(est) <= est.tol


def test_early_stopped_and_one_epoch_fits():
    X = np.random.RandomState(0).normal(size=(100, 5))
    stopped = Autoencoder(max_iter=500, n_iter_no_change=2, tol=1.0, random_state=0)
    assert _convergence_warnings(stopped, X) == [] and stopped.n_iter_ < 500
    (warning,) = _convergence_warnings(Autoencoder(max_iter=1, random_state=0), X)
    assert "after a single epoch" in str(warning.message)


def test_the_variational_autoencoder_follows_the_same_rule():
    X = load_digits().data[:300] / 16
    est = VariationalAutoencoder(max_iter=3, random_state=0)
    warned = [w for w in _convergence_warnings(est, X) if "max_iter" in str(w.message)]
    assert bool(warned) == (_still_falling(est) > est.tol)
