"""The density of codes behind ``sample``: a Gaussian mixture of training codes.

Shared by every autoencoder and by the supervised meta-estimators (whose
fine-tuned codes replace the pretrained ones). The estimator keeps the codes
of a bounded, seeded subsample of its training rows (``N_DENSITY_CODES``),
so its fitted state does not grow with the rows, and fits the mixture at
the first call of ``sample``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

#: Training rows whose codes are kept for ``sample`` (a seeded subsample).
N_DENSITY_CODES = 2000
#: Components of the mixture (fewer for small data: one per 10 codes).
N_MIXTURE_COMPONENTS = 10


def density_rows(X, seed):
    """At most ``N_DENSITY_CODES`` rows of X, a seeded subsample in order."""
    rng = np.random.RandomState(seed)
    if X.shape[0] > N_DENSITY_CODES:
        X = X[np.sort(rng.choice(X.shape[0], N_DENSITY_CODES, replace=False))]
    return X


def fit_code_density(codes, seed):
    """A full-covariance Gaussian mixture of ``codes``, as plain arrays."""
    from sklearn.mixture import GaussianMixture

    n_mix = max(1, min(N_MIXTURE_COMPONENTS, len(codes) // 10))
    with warnings.catch_warnings():
        # Few or duplicate codes (tiny data) are still a valid, if
        # degenerate, density.
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture = GaussianMixture(n_mix, covariance_type="full", random_state=seed).fit(codes)
    return {
        "weights": mixture.weights_,
        "means": mixture.means_,
        "cholesky": np.linalg.cholesky(mixture.covariances_),
    }


def sample_codes(density, n_samples, rng):
    """``n_samples`` draws from a density of :func:`fit_code_density`."""
    weights = density["weights"] / density["weights"].sum()
    component = rng.choice(len(weights), size=n_samples, p=weights)
    eps = rng.standard_normal(size=(n_samples, density["means"].shape[1]))
    return density["means"][component] + np.einsum(
        "nij,nj->ni", density["cholesky"][component], eps
    )
