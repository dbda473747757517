"""Behaviour of VariationalAutoencoder: the ELBO, sampling and training aids."""

import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from torch.distributions import Bernoulli, Normal, kl_divergence

from sklearn_ae import VariationalAutoencoder
from sklearn_ae._losses import (
    VariationalObjective,
    free_bits_kl,
    gaussian_kl,
    kl_weight,
    log_likelihood,
)

FAST = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)


@pytest.fixture(scope="module")
def small_digits(digits):
    X, y = digits
    return X[:400], y[:400]


def _collapse_warnings(records):
    return [
        r
        for r in records
        if issubclass(r.category, ConvergenceWarning) and "posterior collapsed" in str(r.message)
    ]


# ----------------------------------------------------------------------
# The maths, alone
# ----------------------------------------------------------------------
def test_gaussian_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(5, 3, generator=gen)
    logvar = torch.randn(5, 3, generator=gen)
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * logvar)), Normal(0.0, 1.0))
    torch.testing.assert_close(gaussian_kl(mean, logvar), expected)
    assert torch.all(gaussian_kl(torch.zeros(2, 2), torch.zeros(2, 2)) == 0)


def test_log_likelihood_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 6, generator=gen)
    x = torch.rand(4, 6, generator=gen)
    log_noise = torch.tensor(-0.7)
    gauss = Normal(logits, torch.exp(0.5 * log_noise)).log_prob(x).sum(dim=1)
    torch.testing.assert_close(
        log_likelihood(logits, x, likelihood="gaussian", log_noise=log_noise), gauss
    )
    binary = (x > 0.5).float()
    bern = Bernoulli(logits=logits).log_prob(binary).sum(dim=1)
    torch.testing.assert_close(log_likelihood(logits, binary, likelihood="bernoulli"), bern)


def test_kl_weight_rises_linearly_during_warmup():
    weights = [kl_weight(e, beta=2.0, warmup=4) for e in range(1, 7)]
    assert weights == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    assert kl_weight(1, beta=2.0, warmup=0) == 2.0


def test_free_bits_floor_each_unit_batch_mean():
    kl_units = torch.tensor([[0.0, 1.0, 0.1], [0.2, 3.0, 0.1]])  # unit means 0.1, 2, 0.1
    assert free_bits_kl(kl_units, 0.0).item() == pytest.approx(2.2)
    assert free_bits_kl(kl_units, 0.5).item() == pytest.approx(3.0)


def test_objective_weights_kl_by_warmup_and_reports_plain_terms():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(8, 5, generator=gen)
    output = {
        "logits": torch.randn(8, 5, generator=gen),
        "mean": torch.randn(8, 2, generator=gen),
        "logvar": torch.randn(8, 2, generator=gen),
    }
    objective = VariationalObjective("bernoulli", beta=3.0, warmup=3)
    recon = -log_likelihood(output["logits"], x, likelihood="bernoulli").mean()
    kl = gaussian_kl(output["mean"], output["logvar"]).sum(dim=1).mean()
    loss, terms = objective(output, x, epoch=1)
    torch.testing.assert_close(loss, recon + 1.0 * kl)
    loss, _ = objective(output, x, epoch=10)
    torch.testing.assert_close(loss, recon + 3.0 * kl)
    torch.testing.assert_close(terms["reconstruction"], recon)
    torch.testing.assert_close(terms["kl"], kl)


# ----------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_fit_records_terms_and_active_units(small_digits, likelihood):
    X, _ = small_digits
    vae = VariationalAutoencoder(n_components=3, likelihood=likelihood, **FAST).fit(X)
    assert len(vae.reconstruction_curve_) == len(vae.kl_curve_) == vae.n_iter_ == 5
    assert all(k >= 0 for k in vae.kl_curve_)
    assert vae.component_activity_.shape == (3,)
    assert vae.n_active_components_ == int(np.sum(vae.component_activity_ > 0.01))
    codes = vae.transform(X)
    np.testing.assert_allclose(vae.component_activity_, codes.var(axis=0), rtol=1e-4)
    if likelihood == "gaussian":
        assert vae.noise_variance_ > 0
    else:
        assert vae.noise_variance_ is None
    assert vae.get_feature_names_out()[0] == "variationalautoencoder0"


def test_transform_is_deterministic_posterior_mean(small_digits):
    X, _ = small_digits
    vae = VariationalAutoencoder(n_components=3, **FAST).fit(X)
    np.testing.assert_array_equal(vae.transform(X), vae.transform(X))
    module = vae.net_.module_
    with torch.no_grad():
        xm = torch.as_tensor((X - vae.mean_) / vae.scale_, dtype=torch.float32)
        mean, _ = module.posterior(xm)
    np.testing.assert_allclose(vae.transform(X), mean.numpy(), rtol=1e-5, atol=1e-6)


def test_score_samples_is_the_elbo_in_the_data_units(small_digits):
    """A Monte Carlo ELBO built from torch.distributions, in the data's units."""
    X, _ = small_digits
    vae = VariationalAutoencoder(n_components=3, **FAST).fit(X)
    x = X[:50]
    module = vae.net_.module_
    gen = torch.Generator().manual_seed(123)
    with torch.no_grad():
        xm = torch.as_tensor((x - vae.mean_) / vae.scale_, dtype=torch.float64)
        mean, logvar = (t.double() for t in module.posterior(xm.float()))
        q = Normal(mean, torch.exp(0.5 * logvar))
        noise_sd = math.sqrt(vae.noise_variance_)
        eps = torch.randn((400, *mean.shape), generator=gen, dtype=torch.float64)
        z = q.mean + q.stddev * eps
        recon = module.decode(z.float()).double() * vae.scale_ + torch.as_tensor(vae.mean_)
        log_px = Normal(recon, noise_sd).log_prob(torch.as_tensor(x)).sum(dim=-1)
        elbo = log_px.mean(0) - kl_divergence(q, Normal(0.0, 1.0)).sum(dim=1)
    np.testing.assert_allclose(vae.score_samples(x), elbo.numpy(), rtol=0.02, atol=0.5)
    assert vae.score(x) == pytest.approx(vae.score_samples(x).mean())


def test_elbo_accounts_for_the_scaling_jacobian(small_digits):
    # Standardisation makes the fits on X and on c * X identical in model
    # space; a density in the data's units then differs by -D * log(c).
    X, _ = small_digits
    c = 7.0
    a = VariationalAutoencoder(n_components=2, **FAST).fit(X)
    b = VariationalAutoencoder(n_components=2, **FAST).fit(c * X)
    np.testing.assert_allclose(
        b.score_samples(c * X[:20]),
        a.score_samples(X[:20]) - X.shape[1] * math.log(c),
        rtol=1e-5,
    )
    assert b.noise_variance_ == pytest.approx(c**2 * a.noise_variance_, rel=1e-5)


def test_held_out_digits_score_higher_than_uniform_noise(digits):
    X, _ = digits
    X_train, X_test = train_test_split(X, train_size=600, random_state=0)
    noise = np.random.RandomState(0).uniform(size=(200, X.shape[1]))
    for likelihood in ("gaussian", "bernoulli"):
        vae = VariationalAutoencoder(
            n_components=4, likelihood=likelihood, hidden_layer_sizes=(32,),
            max_iter=8, random_state=0,
        ).fit(X_train)
        test_elbo = vae.score_samples(X_test)
        noise_elbo = vae.score_samples(noise)
        assert np.median(test_elbo) > np.max(noise_elbo)


def test_bernoulli_requires_unit_interval(small_X):
    vae = VariationalAutoencoder(likelihood="bernoulli", **FAST)
    with pytest.raises(ValueError, match=r"likelihood='bernoulli' needs X in \[0, 1\].*ranges from"):
        vae.fit(small_X)
    unit = np.clip(small_X, 0, 1)
    vae.fit(unit)
    with pytest.raises(ValueError, match=r"ranges from .* to 2"):
        vae.score_samples(unit * 2)


def test_sample_is_seeded_and_decodes_the_prior(small_digits):
    X, _ = small_digits
    vae = VariationalAutoencoder(n_components=3, **FAST).fit(X)
    torch_state = torch.get_rng_state()
    first = vae.sample(6, random_state=0, method="prior")
    assert torch.equal(torch_state, torch.get_rng_state())
    assert first.shape == (6, X.shape[1]) and first.dtype == np.float64
    np.testing.assert_array_equal(first, vae.sample(6, random_state=0, method="prior"))
    assert not np.allclose(first, vae.sample(6, random_state=1, method="prior"))
    z = np.random.RandomState(0).standard_normal((6, 3))
    np.testing.assert_array_equal(first, vae.inverse_transform(z))
    assert vae.sample().shape == (1, X.shape[1])


def test_sample_with_noise_draws_x_from_the_likelihood(small_digits):
    X, _ = small_digits
    vae = VariationalAutoencoder(n_components=3, **FAST).fit(X)
    means = vae.sample(400, random_state=0)
    draws = vae.sample(400, random_state=0, noise=True)
    # the same latent draws, then Gaussian noise of the learned variance
    residual = draws - means
    assert abs(residual.mean()) < 0.05 * math.sqrt(vae.noise_variance_)
    np.testing.assert_allclose(residual.var(), vae.noise_variance_, rtol=0.05)
    np.testing.assert_array_equal(draws, vae.sample(400, random_state=0, noise=True))

    binary = VariationalAutoencoder(n_components=3, likelihood="bernoulli", **FAST)
    binary.fit(np.clip(X, 0, 1))
    proba = binary.sample(2000, random_state=1)
    bits = binary.sample(2000, random_state=1, noise=True)
    assert set(np.unique(bits)) <= {0.0, 1.0}
    # each feature is 1 as often as its decoded probability says
    np.testing.assert_allclose(bits.mean(axis=0), proba.mean(axis=0), atol=0.05)
    with pytest.raises(ValueError, match="noise must be True or False, got noise='yes'"):
        vae.sample(2, noise="yes")


def test_sample_before_fit_and_bad_n_samples_raise(small_X):
    vae = VariationalAutoencoder(**FAST)
    with pytest.raises(NotFittedError):
        vae.sample(2)
    vae.fit(small_X)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_samples must be a positive integer"):
            vae.sample(bad)


def test_pickle_round_trip_keeps_samples_and_scores(small_digits):
    X, _ = small_digits
    vae = VariationalAutoencoder(n_components=2, **FAST).fit(X)
    clone = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(clone.sample(4, random_state=3), vae.sample(4, random_state=3))
    np.testing.assert_array_equal(clone.score_samples(X[:10]), vae.score_samples(X[:10]))
    assert clone.reconstruction_curve_ == vae.reconstruction_curve_
    assert clone.noise_variance_ == vae.noise_variance_


def test_collapse_warning_fires_for_huge_beta_only(small_digits):
    X, _ = small_digits
    params = dict(n_components=4, hidden_layer_sizes=(32,), max_iter=15, random_state=0)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        collapsed = VariationalAutoencoder(beta=1e3, **params).fit(X)
    assert collapsed.n_active_components_ == 0
    assert len(_collapse_warnings(records)) == 1
    assert "beta" in str(_collapse_warnings(records)[0].message)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        healthy = VariationalAutoencoder(beta=1.0, **params).fit(X)
    assert healthy.n_active_components_ > 0
    assert not _collapse_warnings(records)


def test_free_bits_keep_units_active_under_a_large_beta(small_digits):
    X, _ = small_digits
    params = dict(n_components=4, hidden_layer_sizes=(32,), max_iter=15, beta=50.0,
                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = VariationalAutoencoder(**params).fit(X)
        floored = VariationalAutoencoder(free_bits=1.0, **params).fit(X)
    assert plain.n_active_components_ == 0
    assert floored.n_active_components_ > 0


def test_early_stopping_waits_for_the_end_of_the_kl_warmup(small_X):
    # tol is so large that every epoch after the first judged one is a miss.
    params = dict(hidden_layer_sizes=(8,), max_iter=50, n_iter_no_change=1, tol=1e6,
                  random_state=0)
    assert VariationalAutoencoder(**params).fit(small_X).n_iter_ == 2
    assert VariationalAutoencoder(kl_warmup=5, **params).fit(small_X).n_iter_ == 6


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(beta=-1.0), "beta"),
        (dict(likelihood="poisson"), "likelihood"),
        (dict(kl_warmup=-1), "kl_warmup"),
        (dict(free_bits=-0.1), "free_bits"),
    ],
)
def test_invalid_parameters_raise_at_fit(small_X, params, match):
    with pytest.raises(ValueError, match=match):
        VariationalAutoencoder(**params).fit(small_X)


# ----------------------------------------------------------------------
# Generation quality on digits (slow)
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def digit_classifier(digits):
    X, y = digits
    X_train, _, y_train, _ = train_test_split(X, y, random_state=0)
    # A regularised logistic regression is not fooled into confidence by
    # high-contrast noise as an unregularised one is.
    return LogisticRegression(C=0.1, max_iter=2000).fit(X_train, y_train)


def _confidence(clf, X):
    return clf.predict_proba(X).max(axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_samples_are_classified_as_digits_with_confidence(digits, digit_classifier, likelihood):
    X, _ = digits
    X_train, _ = train_test_split(X, random_state=0)
    vae = VariationalAutoencoder(
        n_components=8, likelihood=likelihood, max_iter=80, random_state=0
    ).fit(X_train)
    samples = vae.sample(300, random_state=0)
    noise = np.random.RandomState(0).uniform(size=samples.shape)
    conf_samples = _confidence(digit_classifier, samples)
    conf_noise = _confidence(digit_classifier, noise)
    assert conf_samples.mean() > conf_noise.mean() + 0.08
    # Most noise images get no class above 1/2; far more samples do. With
    # the Bernoulli likelihood the excess over noise measured 0.13-0.22
    # over seeds 0-4 (before fits owned their generators) and 0.16-0.21
    # (after): 0.2 held for seed 0 by luck of the draws, so the bound is one
    # every seed meets.
    assert np.mean(conf_samples > 0.5) > np.mean(conf_noise > 0.5) + 0.12
    # The samples cover the digits, not one blurry average.
    assert len(np.unique(digit_classifier.predict(samples))) >= 8


@pytest.mark.slow
def test_two_dimensional_latent_grid_decodes_to_digits(digits, digit_classifier):
    X, _ = digits
    vae = VariationalAutoencoder(
        n_components=2, likelihood="bernoulli", max_iter=80, random_state=0
    ).fit(X)
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 10), np.linspace(-2, 2, 10)), -1)
    images = vae.inverse_transform(grid.reshape(-1, 2))
    noise = np.random.RandomState(0).uniform(size=images.shape)
    assert _confidence(digit_classifier, images).mean() > (
        _confidence(digit_classifier, noise).mean() + 0.08
    )
    assert len(np.unique(digit_classifier.predict(images))) >= 6


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_default_samples_are_confident_and_diverse_digits(digits, seed):
    # A logistic regression trained on real digits rates 1000 samples of a
    # default VAE (scaled digits) as it rates real ones, and no class is rare.
    X, y = digits
    X_train, _, y_train, _ = train_test_split(X, y, random_state=0)
    clf = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    vae = VariationalAutoencoder(random_state=seed).fit(X_train)
    proba = clf.predict_proba(vae.sample(1000, random_state=0))
    share = np.bincount(proba.argmax(axis=1), minlength=10) / 1000
    assert proba.max(axis=1).mean() >= 0.8
    assert share.min() >= 0.04
