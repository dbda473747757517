"""Choosing the code size without labels: the VAE's n_components="auto"."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_ae import VariationalAutoencoder


def rank_data(rank, seed, n_samples=500, n_features=10):
    """A rank-``rank`` Gaussian signal plus isotropic unit noise."""
    rng = np.random.RandomState(seed)
    signal = rng.normal(size=(n_samples, rank)) @ (3 * rng.normal(size=(rank, n_features)))
    return signal + rng.normal(size=(n_samples, n_features))


def test_auto_narrows_codes_decoding_and_names_to_the_kept_units():
    X = rank_data(2, 0, n_samples=200, n_features=6)
    vae = VariationalAutoencoder(n_components="auto", max_iter=30, random_state=0).fit(X)
    k = vae.n_components_
    assert vae.net_.module_.mean_head.out_features == 6  # trained with min(n_features, 32)
    assert 1 <= k <= 6 and len(vae.active_components_) == k
    Z = vae.transform(X)
    assert Z.shape == (200, k)
    assert vae.inverse_transform(Z).shape == (200, 6)
    assert vae.sample(4, random_state=0).shape == (4, 6)
    assert vae.sample(4, random_state=0, method="prior").shape == (4, 6)
    assert list(vae.get_feature_names_out()) == [
        f"variationalautoencoder{i}" for i in range(k)
    ]
    # The codes are the kept units of the full posterior mean.
    # (through the same inference path: the scaling folded into the encoder)
    full = vae._infer(
        lambda xb, module=None: (module or vae._module).encode(xb), X, out_width=6, fold="encoder"
    )
    np.testing.assert_array_equal(Z, full[:, vae.active_components_])
    with pytest.raises(ValueError, match=f"n_components={k}"):
        vae.inverse_transform(np.zeros((2, k + 1)))


def test_an_int_keeps_every_unit():
    X = rank_data(2, 0, n_samples=100, n_features=6)
    vae = VariationalAutoencoder(n_components=4, max_iter=5, random_state=0).fit(X)
    assert vae.n_components_ == 4
    np.testing.assert_array_equal(vae.active_components_, np.arange(4))


def test_auto_keeps_one_unit_and_warns_when_none_is_active():
    X = rank_data(2, 0, n_samples=100, n_features=6)
    with pytest.warns(ConvergenceWarning, match="The most active unit is kept"):
        vae = VariationalAutoencoder(n_components="auto", beta=1e4, max_iter=5,
                                     random_state=0).fit(X)
    assert vae.n_components_ == 1


def test_auto_width_is_fixed_at_the_first_partial_fit():
    X = rank_data(2, 0, n_samples=200, n_features=6)
    vae = VariationalAutoencoder(n_components="auto", random_state=0)
    vae.partial_fit(X)
    kept = vae.active_components_.copy()
    for _ in range(5):
        vae.partial_fit(X)
    np.testing.assert_array_equal(vae.active_components_, kept)
    assert vae.transform(X).shape[1] == len(kept)


@pytest.mark.slow
@pytest.mark.parametrize("rank", [2, 3])
def test_auto_finds_the_rank_of_the_signal(rank):
    # Measured: width == rank for 5 of 5 seeds at both ranks.
    widths = [
        VariationalAutoencoder(n_components="auto", random_state=seed)
        .fit(rank_data(rank, seed))
        .n_components_
        for seed in range(5)
    ]
    assert sum(w == rank for w in widths) >= 4, widths


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_grid_search_on_the_elbo_never_picks_fewer_components_than_the_rank(seed):
    X = rank_data(2, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            VariationalAutoencoder(random_state=0), {"n_components": [1, 2, 4, 8]}, cv=3
        ).fit(X)
    assert search.best_params_["n_components"] >= 2
