"""SparseAutoencoder: KL, L1 and top-k sparse codes."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from sklearn_ae import SparseAutoencoder
from sklearn_ae._losses import kl_sparsity, l1_activity
from sklearn_ae._modules import _topk_mask


# ----------------------------------------------------------------------
# The penalties alone
# ----------------------------------------------------------------------
def test_kl_sparsity_is_zero_at_the_target_and_pulls_towards_it():
    code = torch.full((10, 4), 0.05)
    assert float(kl_sparsity(code, 0.05)) == pytest.approx(0.0, abs=1e-7)
    for level, direction in [(0.3, 1), (0.01, -1)]:
        code = torch.full((10, 4), level, requires_grad=True)
        value = kl_sparsity(code, 0.05)
        value.backward()
        assert float(value.detach()) > 0
        # Gradient descent moves the mean activation towards the target.
        assert torch.all(direction * code.grad > 0)
    # Saturated codes keep the penalty finite.
    assert torch.isfinite(kl_sparsity(torch.ones(3, 2), 0.05))
    assert torch.isfinite(kl_sparsity(torch.zeros(3, 2), 0.05))


def test_l1_activity_is_the_mean_absolute_code():
    code = torch.tensor([[1.0, -3.0], [0.0, 2.0]])
    assert float(l1_activity(code)) == pytest.approx(1.5)


def test_topk_mask_keeps_exactly_k_even_with_ties():
    z = torch.tensor([[3.0, 1.0, 2.0, 0.5], [1.0, 1.0, 1.0, 1.0], [-1.0, -2.0, -3.0, -4.0]])
    out = _topk_mask(z, 2)
    np.testing.assert_array_equal((out != 0).sum(dim=1).numpy(), [2, 2, 2])
    np.testing.assert_array_equal(out[0].numpy(), [3.0, 0.0, 2.0, 0.0])
    np.testing.assert_array_equal(out[2].numpy(), [-1.0, -2.0, 0.0, 0.0])


# ----------------------------------------------------------------------
# The estimator on digits
# ----------------------------------------------------------------------
# Over-complete: 128 codes for 64 pixels.
OVERCOMPLETE = dict(n_components=128, batch_size=100, learning_rate_init=5e-3, random_state=0)
KL = dict(sparsity="kl", sparsity_target=0.05, hidden_layer_sizes=(128,), max_iter=40)


@pytest.fixture(scope="module")
def kl_model(digits_split):
    return SparseAutoencoder(sparsity_weight=3.0, **KL, **OVERCOMPLETE).fit(digits_split[0])


def test_kl_mean_activation_is_near_the_target(digits_split, kl_model):
    X_train, X_test = digits_split
    target = KL["sparsity_target"]
    unpenalised = SparseAutoencoder(sparsity_weight=0.0, **KL, **OVERCOMPLETE).fit(X_train)
    # Without the penalty the sigmoid codes are far from sparse ...
    assert unpenalised.mean_activation_.mean() > 4 * target
    # ... with it, every unit's mean activation sits close to the target
    # (measured: 0.050 to 0.073, mean 0.059; 0.47 without the penalty).
    assert kl_model.mean_activation_.shape == (128,)
    assert np.all(kl_model.mean_activation_ > 0.5 * target)
    assert np.all(kl_model.mean_activation_ < 2 * target)
    assert kl_model.mean_activation_.mean() == pytest.approx(target, rel=0.3)
    # It describes the codes of the training data and carries to new data.
    np.testing.assert_allclose(
        kl_model.mean_activation_, kl_model.transform(X_train).mean(axis=0), rtol=1e-4
    )
    assert kl_model.transform(X_test).mean() == pytest.approx(target, rel=0.3)
    history = kl_model.net_.history
    assert history[-1, "sparsity"] < history[0, "sparsity"]
    assert "reconstruction" in history[-1]


def test_topk_keeps_exactly_k_codes_per_sample(digits_split):
    X_train, X_test = digits_split
    # k = 0.2 * 40 = 8 units per sample.
    sae = SparseAutoencoder(
        n_components=40, sparsity="topk", sparsity_target=0.2, hidden_layer_sizes=(32,),
        max_iter=5, random_state=0,
    ).fit(X_train[:300])
    for X in (X_train, X_test):
        counts = (sae.transform(X) != 0).sum(axis=1)
        np.testing.assert_array_equal(counts, 8)
    assert "sparsity" not in sae.net_.history[-1]  # no penalty term to record


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(None, id="kl"),
        pytest.param(dict(sparsity="l1", hidden_layer_sizes=(), max_iter=40), id="l1"),
        pytest.param(
            dict(sparsity="topk", sparsity_target=0.1, hidden_layer_sizes=(), max_iter=40),
            id="topk",
        ),
    ],
)
def test_overcomplete_codes_are_mostly_inactive_and_beat_pca16(digits_split, kl_model, params):
    X_train, X_test = digits_split
    if params is None:
        sae = kl_model
    else:
        sae = SparseAutoencoder(**params, **OVERCOMPLETE).fit(X_train)
    codes = sae.transform(X_test)
    assert codes.shape[1] > X_test.shape[1]
    # Inactive: exactly zero for ReLU and top-k codes, below twice the
    # target mean activation for sigmoid codes. Measured: 72% (l1), 90%
    # (topk), 84% (kl) of the codes.
    inactive = codes < 0.1 if sae.sparsity == "kl" else codes == 0
    assert inactive.mean() > 0.7
    pca = PCA(n_components=16).fit(X_train)
    mse_pca = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    mse_sae = np.mean((sae.inverse_transform(codes) - X_test) ** 2)
    # Measured: 0.0059 (l1), 0.0101 (topk), 0.0105 (kl) against 0.0128.
    assert mse_sae < mse_pca


@pytest.mark.slow
def test_defaults_give_mostly_zero_codes_that_beat_pca16(digits_split):
    # 64 units at >= 70% zeros leave about 16 active: PCA(16) is the yardstick.
    X_train, X_test = digits_split
    sae = SparseAutoencoder(n_components=64, random_state=0).fit(X_train)
    codes = sae.transform(X_test)
    assert np.mean(codes == 0) >= 0.7  # measured 0.75
    pca = PCA(n_components=16).fit(X_train)
    mse_pca = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    mse_sae = np.mean((sae.inverse_transform(codes) - X_test) ** 2)
    assert mse_sae < mse_pca  # measured 0.0103 against 0.0128
    assert sae.zero_fraction_ >= 0.7
    assert sae.n_dead_units_ <= 4  # measured 1; 44 with an L1 penalty


def test_topk_anneals_k_from_dense_during_training(digits_split):
    X_train, _ = digits_split
    seen = []
    sae = SparseAutoencoder(n_components=20, sparsity_target=0.25, max_iter=22,
                            hidden_layer_sizes=(16,), random_state=0)
    schedule = sae._training_schedule()

    def spy(module, epoch):
        schedule(module, epoch)
        seen.append(module.train_topk)

    sae._training_schedule = lambda: spy
    sae.fit(X_train[:200])
    # k = 5 of 20, falling linearly to reach it at epoch 20, then kept.
    assert len(seen) == 22
    assert seen[0] == 19 and seen[9] == 13 and seen[19:] == [5, 5, 5]
    assert all(a >= b for a, b in zip(seen, seen[1:]))
    assert ((sae.transform(X_train) != 0).sum(axis=1) == 5).all()
