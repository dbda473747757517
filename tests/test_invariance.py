"""A row's output does not depend on the other rows of the call.

scikit-learn's ``check_methods_subset_invariance`` and
``check_methods_sample_order_invariance`` test this at a tolerance; here it
is bitwise, against 1-row calls, on widths where float32 matrix kernels
round differently for different batch shapes.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier, is_regressor

from sklearn_ae import config_context
from sklearn_ae._base import _BaseAutoencoder

from _estimators import ESTIMATORS, PUBLIC_ESTIMATORS, data_for, entry, make, option_grid


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_one_row_calls_equal_the_rows_of_a_full_call(cls):
    est = make(cls, n_components=4, hidden_layer_sizes=(96,), max_iter=2)
    X = data_for(est, n_samples=300, n_features=80)
    est.fit(X)
    Z = est.transform(X)
    full = {
        "transform": Z,
        "score_samples": est.score_samples(X),
        "inverse_transform": est.inverse_transform(Z),
    }
    with config_context(inference_batch_size=128):  # batch boundaries inside X
        for method, expected in full.items():
            inputs = Z if method == "inverse_transform" else X
            np.testing.assert_array_equal(getattr(est, method)(inputs), expected)
            np.testing.assert_array_equal(getattr(est, method)(inputs[::-1]), expected[::-1])
            for i in (0, 1, 150, 299):
                np.testing.assert_array_equal(
                    getattr(est, method)(inputs[i : i + 1]), expected[i : i + 1]
                )


@pytest.mark.parametrize(
    "est", option_grid(max_iters=(1, 5)), ids=lambda e: repr(e).replace("\n", "")
)
def test_every_option_is_row_invariant(est):
    # Every option of the grid, those that need X in [0, 1] too.
    X = data_for(est, n_samples=60, n_features=12)
    est.fit(X)
    Z = est.transform(X)
    for method, inputs, expected in (
        ("transform", X, Z),
        ("score_samples", X, est.score_samples(X)),
        ("inverse_transform", Z, est.inverse_transform(Z)),
    ):
        got = np.concatenate([getattr(est, method)(inputs[i : i + 7]) for i in range(0, 60, 7)])
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(getattr(est, method)(inputs[::-1]), expected[::-1])


# ----------------------------------------------------------------------
# The sweep: every layer width from 1 to 17, calls of 1 to 70 rows, rows
# at every position. Narrow layers (the widths where matrix kernels were
# seen to round a row by its position, on Intel and AMD CPUs) are computed
# row by row (sklearn_ae/_inference.py), so this holds by construction and
# not by the kernels this CPU happens to pick.
# ----------------------------------------------------------------------
#: ``(n_features, hidden_layer_sizes, n_components)``: together every width
#: from 1 to 17 (the first three are the shapes where a 2-core AMD EPYC
#: failed scikit-learn's order check), then only wide layers, then narrow
#: codes between wide layers.
SWEEP_SHAPES = [
    (3, (8,), 1),
    (6, (6, 4), 2),
    (10, (8,), 2),
    (7, (5,), 3),
    (13, (12, 11), 9),
    (17, (16, 15), 14),
    (40, (24,), 17),
    (10, (24,), 2),  # a narrow code between wide layers
    (3, (32,), 1),
]
SWEEP_ROWS = 70

_METHODS = {
    "AutoencoderOutlierDetector": ("score_samples", "decision_function", "predict"),
    "AutoencoderClassifier": ("transform", "predict_proba", "decision_function", "predict"),
    "AutoencoderRegressor": ("transform", "predict"),
}


def _sweep_cases():
    cases = []
    for cls in PUBLIC_ESTIMATORS:
        meta = not issubclass(cls, _BaseAutoencoder)
        shapes = [(shape, {}) for shape in SWEEP_SHAPES]
        if not meta and entry(cls).conv:
            shapes.append(((12, (4,), 2), {"architecture": "conv"}))
        for (n_features, hidden, code), extra in shapes:
            params = {"hidden_layer_sizes": hidden, "n_components": code, "max_iter": 2, **extra}
            cases.append(pytest.param(cls, n_features, params, id=f"{cls.__name__}-{n_features}-"
                                      f"{'-'.join(map(str, hidden))}-{code}{'-conv' if extra else ''}"))
    return cases


def _fitted(cls, n_features, params):
    rng = np.random.RandomState(n_features)
    if issubclass(cls, _BaseAutoencoder):
        est = make(cls, **params)
    else:
        inner = clone(entry(cls).fast["estimator"]).set_params(**params)
        est = make(cls, estimator=inner)
    X = data_for(est, n_samples=SWEEP_ROWS, n_features=n_features, seed=n_features)
    y = None
    if is_classifier(est):
        y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    elif is_regressor(est):
        y = X[:, 0] + rng.normal(scale=0.1, size=SWEEP_ROWS)
    return est.fit(X, y), X


def _close(actual, desired, msg):
    # scikit-learn's own tolerance in check_methods_sample_order_invariance
    assert_allclose(actual, desired, rtol=1e-7, atol=1e-9, err_msg=msg)


@pytest.mark.parametrize("cls, n_features, params", _sweep_cases())
def test_rows_are_independent_at_every_width_size_and_position(cls, n_features, params):
    _check_rows(cls, *_fitted(cls, n_features, params))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("cls, n_features, params", _sweep_cases())
def test_rows_are_independent_on_cuda(cls, n_features, params):
    params = {**params, "device": "cuda"}  # the meta-estimators' inner autoencoder's
    _check_rows(cls, *_fitted(cls, n_features, params))


def _check_rows(cls, est, X):
    methods = _METHODS.get(cls.__name__, ("transform", "score_samples", "inverse_transform"))
    rng = np.random.RandomState(0)
    perms = [rng.permutation(SWEEP_ROWS) for _ in range(3)]
    for batch_size in (1024, 1, 7, 16, 64):  # rows at every position of a batch
        with config_context(inference_batch_size=batch_size):
            for method in methods:
                inputs = est.transform(X) if method == "inverse_transform" else X
                call = getattr(est, method)
                full = call(inputs)
                for n in range(1, SWEEP_ROWS + 1) if batch_size == 1024 else (1, 9, 33):
                    _close(call(inputs[:n]), full[:n], f"{method}, the first {n} rows, "
                           f"batch {batch_size}")
                for perm in perms:
                    _close(call(inputs[perm]), full[perm], f"{method}, permuted, batch {batch_size}")
                _close(call(inputs[5:12]), full[5:12], f"{method}, rows 5-11, batch {batch_size}")
