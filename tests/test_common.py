"""scikit-learn's common estimator checks, on every registered setting."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from _estimators import PUBLIC_ESTIMATORS, REGISTRY, check_instances, entry


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
