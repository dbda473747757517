"""DenoisingAutoencoder: corruption in training only, and what it buys."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from sklearn_ae import Autoencoder, DenoisingAutoencoder
from sklearn_ae._noise import gaussian_noise, make_corruption, masking_noise, salt_pepper_noise

FAST = dict(n_components=3, hidden_layer_sizes=(16,), max_iter=5, random_state=0)


# ----------------------------------------------------------------------
# The noise functions alone
# ----------------------------------------------------------------------
def test_gaussian_noise_has_the_requested_std():
    torch.manual_seed(0)
    x = torch.full((20000, 3), 5.0)
    noisy = gaussian_noise(x, 0.3)
    assert float((noisy - x).mean()) == pytest.approx(0.0, abs=0.01)
    assert float((noisy - x).std()) == pytest.approx(0.3, rel=0.02)


def test_masking_noise_fills_a_share_p_of_entries():
    torch.manual_seed(0)
    x = torch.full((20000, 3), 5.0)
    fill = torch.tensor([-1.0, -2.0, -3.0])
    noisy = masking_noise(x, 0.3, fill)
    hit = noisy != x
    assert float(hit.float().mean()) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_array_equal(torch.where(hit, noisy, fill).numpy(), fill.expand_as(x).numpy())


def test_salt_pepper_noise_sets_low_or_high_half_each():
    torch.manual_seed(0)
    x = torch.full((20000, 2), 0.5)
    low, high = torch.tensor([0.0, -1.0]), torch.tensor([1.0, 2.0])
    noisy = salt_pepper_noise(x, 0.4, low, high)
    is_low, is_high = noisy == low, noisy == high
    assert float(is_low.float().mean()) == pytest.approx(0.2, abs=0.01)
    assert float(is_high.float().mean()) == pytest.approx(0.2, abs=0.01)
    assert torch.all(is_low | is_high | (noisy == x))


def test_corruption_is_defined_in_data_units_when_data_are_standardised():
    # The estimator trains on (x - mean) / scale; noise_level must still mean
    # a std (or a masked 0) in the data's own units.
    mean, scale = np.array([8.0, 2.0]), 4.0
    x_data = torch.full((20000, 2), 6.0)
    x_model = (x_data - torch.tensor(mean, dtype=torch.float32)) / scale
    to_data = lambda z: z * scale + torch.tensor(mean, dtype=torch.float32)  # noqa: E731
    kw = dict(mean=mean, scale=scale, low=np.zeros(2), high=np.ones(2), device="cpu")
    torch.manual_seed(0)
    gauss = to_data(make_corruption("gaussian", 0.5, **kw)(x_model))
    assert float((gauss - x_data).std()) == pytest.approx(0.5, rel=0.02)
    masked = to_data(make_corruption("masking", 0.25, **kw)(x_model))
    assert float((masked == 0).float().mean()) == pytest.approx(0.25, abs=0.01)
    assert torch.all((masked == 0) | (masked == x_data))


# ----------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------
def test_noise_level_zero_is_a_plain_autoencoder(small_X):
    plain = Autoencoder(**FAST).fit(small_X)
    quiet = DenoisingAutoencoder(noise_level=0.0, **FAST).fit(small_X)
    noisy = DenoisingAutoencoder(noise_level=0.5, **FAST).fit(small_X)
    np.testing.assert_array_equal(quiet.transform(small_X), plain.transform(small_X))
    assert not np.array_equal(noisy.transform(small_X), plain.transform(small_X))


def test_training_noise_is_seen_in_the_training_loss(digits):
    X = digits[0][:300]
    kw = dict(n_components=8, hidden_layer_sizes=(32,), max_iter=5, random_state=0)
    clean = DenoisingAutoencoder(noise_level=0.0, **kw).fit(X)
    noisy = DenoisingAutoencoder(noise="masking", noise_level=0.5, **kw).fit(X)
    # Reconstructing the clean rows from half-masked ones is harder.
    assert noisy.loss_curve_[-1] > clean.loss_curve_[-1]


# One setting for every model in the comparison: same width, same training.
SIZE = dict(n_components=32, hidden_layer_sizes=(64,), max_iter=40, batch_size=100,
            learning_rate_init=5e-3, random_state=0)


@pytest.fixture(scope="module")
def plain_models(digits_split):
    X_train, _ = digits_split
    ae = Autoencoder(**SIZE).fit(X_train)
    pca = PCA(n_components=SIZE["n_components"]).fit(X_train)
    return ae, pca


def _corrupt(X, noise, rng):
    if noise == "gaussian":
        return X + 0.2 * rng.normal(size=X.shape)
    return np.where(rng.uniform(size=X.shape) < 0.3, 0.0, X)


@pytest.mark.parametrize("noise, level", [("gaussian", 0.2), ("masking", 0.3)])
def test_denoises_held_out_digits_better_than_autoencoder_pca_and_nothing(
    digits_split, plain_models, noise, level
):
    X_train, X_test = digits_split
    X_noisy = _corrupt(X_test, noise, np.random.RandomState(0))
    dae = DenoisingAutoencoder(noise=noise, noise_level=level, **SIZE).fit(X_train)
    ae, pca = plain_models

    def error(model):
        return np.mean((model.inverse_transform(model.transform(X_noisy)) - X_test) ** 2)

    errors = {
        "nothing": np.mean((X_noisy - X_test) ** 2),
        "pca": error(pca),
        "autoencoder": error(ae),
    }
    dae_error = error(dae)
    # Measured: gaussian 0.0164 vs autoencoder 0.0195, pca 0.0229, nothing
    # 0.0397; masking 0.0250 vs 0.0508, 0.0607, 0.0695. Demand a margin.
    for name, other in errors.items():
        assert dae_error < 0.9 * other, (name, dae_error, errors)
