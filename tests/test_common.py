"""scikit-learn's common estimator checks, run on every public estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)

# Few epochs and a small network keep the ~50 checks per estimator fast; the
# checks test the API contract, not the quality of the fit.
FAST = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)

ESTIMATORS = [
    Autoencoder(**FAST),
    DenoisingAutoencoder(**FAST),
    SparseAutoencoder(**FAST),
    ContractiveAutoencoder(**FAST),
    VariationalAutoencoder(**FAST),
]

# Every entry needs a reason a reviewer would accept.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
