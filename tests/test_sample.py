"""Generation from any autoencoder: decoded draws from a density of the codes."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_ae import Autoencoder, VariationalAutoencoder
from sklearn_ae.datasets import load_font5x7

from _estimators import ESTIMATORS, data_for, make


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_sample_is_reproducible_and_persists(cls):
    est = make(cls, n_components=2)
    X = data_for(est, n_samples=60)
    est.fit(X)
    torch_state = torch.get_rng_state()
    first = est.sample(5, random_state=0)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert first.shape == (5, X.shape[1]) and first.dtype == np.float64
    np.testing.assert_array_equal(first, est.sample(5, random_state=0))
    assert not np.allclose(first, est.sample(5, random_state=1))
    # The mixture is fitted once, deterministically, and saved with the model.
    if cls is VariationalAutoencoder:  # draws from the kept posteriors
        assert est._density_scales.shape == est._density_codes.shape
        est.sample(5, random_state=0, method="mixture")
    density = est._code_density
    assert density is not None
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.sample(5, random_state=0), first)
    refit = make(cls, n_components=2).fit(X)
    np.testing.assert_array_equal(refit.sample(5, random_state=0), first)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        est.sample(0)


def test_fit_does_not_fit_the_density():
    est = make(Autoencoder, n_components=2).fit(data_for(make(Autoencoder), n_samples=60))
    assert est._code_density is None
    assert est._density_codes.shape == (60, 2)


def test_mixture_samples_follow_the_training_codes():
    # Codes in two far-apart clusters: mixture draws land in the clusters,
    # where prior draws of a VAE need not.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-3, 0.2, size=(100, 4)), rng.normal(3, 0.2, size=(100, 4))])
    est = make(Autoencoder, n_components=2, hidden_layer_sizes=(16,), max_iter=150).fit(X)
    Z = est._sample_codes(400, np.random.RandomState(0))
    codes = est.transform(X)
    nearest = np.min(np.linalg.norm(Z[:, None] - codes[None], axis=2), axis=1)
    spread = np.linalg.norm(codes.max(0) - codes.min(0))
    assert np.median(nearest) < 0.05 * spread


def test_vae_method_prior_and_bad_method():
    est = make(VariationalAutoencoder, n_components=2).fit(data_for(make(VariationalAutoencoder)))
    z = np.random.RandomState(0).standard_normal((3, 2))
    np.testing.assert_array_equal(
        est.sample(3, random_state=0, method="prior"), est.inverse_transform(z)
    )
    with pytest.raises(ValueError, match="method must be 'posterior', 'mixture' or 'prior'"):
        est.sample(3, method="typo")


@pytest.mark.slow
def test_autoencoder_samples_new_glyph_like_bitmaps_from_the_font():
    font = load_font5x7()
    X = font.data
    ae = Autoencoder(n_components=2, hidden_layer_sizes=(32,), loss="bce", max_iter=2000,
                     learning_rate_init=3e-3, random_state=0).fit(X)
    samples = ae.sample(200, random_state=0)
    bitmaps = samples > 0.5
    # Glyph-like: mostly crisp pixels, a plausible ink share, and new ones.
    assert np.mean(np.abs(samples - 0.5) > 0.3) > 0.8
    ink = bitmaps.mean(axis=1)
    assert 0.1 < np.median(ink) < 0.6
    distances = np.abs(bitmaps[:, None, :] ^ (X[None] > 0.5)).sum(axis=2).min(axis=1)
    # Measured: 88% crisp pixels, median ink 0.31 (glyphs 0.34), 81% of the
    # samples differ from every glyph (median 3 pixels from the nearest).
    assert np.mean(distances > 0) > 0.5  # not only copies of training glyphs


def test_vae_posterior_draws_keep_the_posteriors_spread():
    # The default draws come from the aggregate posterior, mean_i q(z|x_i):
    # their variance per unit is that of the means plus the mean posterior
    # variance, wider than the mixture of the means alone.
    X = data_for(make(VariationalAutoencoder), n_samples=200)
    est = make(VariationalAutoencoder, n_components=3).fit(X)
    means, scales = est._density_codes, est._density_scales
    assert means.shape == scales.shape == (200, 3) and (scales > 0).all()
    draws = est.sample(20000, random_state=0)
    codes = est.transform(draws)
    expected = means.var(axis=0) + (scales**2).mean(axis=0)
    # decoding and encoding again is not the identity: compare the latent
    # draws themselves, recovered through the same seeded generator
    rng = np.random.RandomState(0)
    rows = rng.randint(0, len(means), size=20000)
    Z = means[rows] + scales[rows] * rng.standard_normal(size=(20000, 3))
    np.testing.assert_allclose(Z.var(axis=0), expected, rtol=0.1)
    np.testing.assert_allclose(est.inverse_transform(Z), draws)
    assert codes.shape == (20000, 3)
