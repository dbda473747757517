"""scikit-learn's common estimator checks, on every registered setting."""

import pytest
from sklearn.utils.estimator_checks import (
    check_methods_sample_order_invariance,
    check_methods_subset_invariance,
    parametrize_with_checks,
)

from _estimators import PUBLIC_ESTIMATORS, REGISTRY, check_instances, entry, option_grid

#: The option grid the common checks can feed: options that need X in
#: [0, 1] (binary cross-entropy, a Bernoulli likelihood) refuse the checks'
#: Gaussian data, and are covered by tests/test_invariance.py instead.
GRID = [est for est in option_grid() if not est._requires_unit_interval()]


def test_registry_covers_every_public_estimator():
    missing = sorted(c.__name__ for c in PUBLIC_ESTIMATORS if c.__name__ not in REGISTRY)
    assert not missing, f"add these public estimators to tests/_estimators.py: {missing}"
    stale = sorted(set(REGISTRY) - {c.__name__ for c in PUBLIC_ESTIMATORS})
    assert not stale, f"registry entries without a public estimator: {stale}"


@parametrize_with_checks(
    check_instances(),
    # Every entry needs a reason a reviewer would accept.
    expected_failed_checks=lambda est: entry(type(est)).expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator", [e for e in GRID if e.max_iter <= 5], ids=lambda e: repr(e).replace("\n", "")
)
@pytest.mark.parametrize(
    "check", [check_methods_subset_invariance, check_methods_sample_order_invariance],
    ids=lambda c: c.__name__,
)
def test_invariance_checks_over_every_option(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.slow
@parametrize_with_checks(
    GRID, expected_failed_checks=lambda est: entry(type(est)).expected_failed_checks
)
def test_common_checks_over_the_option_grid(estimator, check):
    check(estimator)
