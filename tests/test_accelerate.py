"""Training through skorch's AccelerateMixin with a one-process CPU
accelerator (skipped without the ``accelerate`` package)."""

import pickle
from functools import partial

import numpy as np
import pytest

from sklearn_ae import Autoencoder, DenoisingAutoencoder, VariationalAutoencoder
from sklearn_ae import _base

accelerate = pytest.importorskip("accelerate")

from sklearn_ae.accelerate import AccelerateAutoencoderNet  # noqa: E402

ACCELERATOR = accelerate.Accelerator(cpu=True)
NET = partial(AccelerateAutoencoderNet, accelerator=ACCELERATOR)


# Module-level classes: pickles refer to them by name.
class AcceleratedAutoencoder(Autoencoder):
    net_class = NET


class AcceleratedDenoisingAutoencoder(DenoisingAutoencoder):
    net_class = NET


class AcceleratedVariationalAutoencoder(VariationalAutoencoder):
    net_class = NET


PAIRS = [
    (AcceleratedAutoencoder, Autoencoder),
    (AcceleratedDenoisingAutoencoder, DenoisingAutoencoder),
    (AcceleratedVariationalAutoencoder, VariationalAutoencoder),
]


@pytest.fixture
def X(digits):
    return digits[0][:300]


@pytest.mark.parametrize("accelerated, plain", PAIRS, ids=lambda c: c.__name__)
def test_an_accelerated_fit_trains_the_plain_autograd_fit(accelerated, plain, X, monkeypatch):
    # The accelerator runs skorch's autograd step: the model the general
    # (autograd) path trains, bitwise, with the same seeds.
    ours = accelerated(n_components=3, max_iter=4, random_state=0).fit(X)
    assert isinstance(ours.net_, AccelerateAutoencoderNet) and ours.net_.fast_step_ is None
    monkeypatch.setattr(_base._BaseAutoencoder, "_fast_training", False)
    ref = plain(n_components=3, max_iter=4, random_state=0).fit(X)
    np.testing.assert_array_equal(ours.transform(X), ref.transform(X))
    assert ours.loss_curve_ == ref.loss_curve_


def test_the_batches_reach_the_accelerator_as_a_dataloader(X):
    from accelerate.data_loader import DataLoaderDispatcher, DataLoaderShard

    est = AcceleratedAutoencoder(n_components=3, max_iter=1, random_state=0).fit(X)
    iterator = est.net_.get_iterator(est._rows_dataset(X), training=True)
    # Prepared by the accelerator: it places (and, with several processes,
    # hands out) the batches.
    assert isinstance(iterator, (DataLoaderShard, DataLoaderDispatcher))
    batches = list(iterator)
    assert sum(len(xb) for xb, _ in batches) == len(X)
    assert all(xb.shape[1] == X.shape[1] for xb, _ in batches)


def test_an_accelerated_model_pickles_and_continues_training(X):
    est = AcceleratedAutoencoder(n_components=3, max_iter=2, random_state=0).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert isinstance(loaded.net_, AccelerateAutoencoderNet)
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    est.partial_fit(X)
    loaded.partial_fit(X)
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
