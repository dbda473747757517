"""Seams of the training engine that other model families build on."""

import numpy as np
import torch

from sklearn_ae import Autoencoder
from sklearn_ae._data import ArrayDataset
from sklearn_ae._net import AutoencoderNet


def test_array_dataset_carries_a_target_in_the_same_order():
    X = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10, dtype=np.int64) * 7
    for resident in (True, False):
        ds = ArrayDataset(X, "cpu", y=y, resident=resident)
        order = torch.randperm(10, generator=torch.Generator().manual_seed(0))
        pairs = list(ds.pairs(4, order))
        assert [len(xb) for xb, _ in pairs] == [4, 4, 2]
        for xb, yb in pairs:
            np.testing.assert_array_equal(xb[:, 0].numpy() / 3 * 7, yb.numpy())
    # Without y the input is its own target.
    for xb, yb in ArrayDataset(X, "cpu").pairs(4):
        assert xb is yb


def test_the_net_class_is_a_hook_of_the_build_stage():
    class CountingNet(AutoencoderNet):
        steps = 0

        def train_step_single(self, batch, **fit_params):
            type(self).steps += 1
            return super().train_step_single(batch, **fit_params)

    class CountingAutoencoder(Autoencoder):
        net_class = CountingNet

    X = np.random.RandomState(0).normal(size=(40, 4))
    est = CountingAutoencoder(hidden_layer_sizes=(4,), max_iter=2, batch_size=10, random_state=0)
    est.fit(X)
    assert isinstance(est.net_, CountingNet)
    assert CountingNet.steps == 8
    np.testing.assert_array_equal(
        est.transform(X),
        Autoencoder(hidden_layer_sizes=(4,), max_iter=2, batch_size=10, random_state=0)
        .fit(X)
        .transform(X),
    )
