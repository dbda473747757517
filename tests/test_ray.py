"""A parameter search under joblib's ray backend (skipped without ray)."""

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from _estimators import make
from sklearn_ae import Autoencoder

ray = pytest.importorskip("ray")
ray_joblib = pytest.importorskip("ray.util.joblib")

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning", "ignore::DeprecationWarning"
)


@pytest.fixture(scope="module")
def local_ray():
    # Workers import this module (for the scorer below) and the package.
    here = Path(__file__).resolve().parent
    path = os.pathsep.join([str(here), str(here.parent), os.environ.get("PYTHONPATH", "")])
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    ray_joblib.register_ray()
    yield
    ray.shutdown()


def _batch_size_seen(est, X, y=None):
    return float(est._setting("inference_batch_size"))


def test_grid_search_under_ray_equals_sequential_and_carries_settings(local_ray):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X = (load_digits().data[:300] / 16.0).astype(np.float32)
    grid = {"n_components": [2, 4]}
    sequential = GridSearchCV(make(Autoencoder), grid, cv=2).fit(X)
    with joblib.parallel_backend("ray"):
        parallel = GridSearchCV(make(Autoencoder), grid, cv=2, n_jobs=2).fit(X)
        settings = GridSearchCV(
            make(Autoencoder, inference_batch_size=7), grid, cv=2, n_jobs=2,
            scoring=_batch_size_seen, refit=False,
        ).fit(X)
    assert parallel.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(settings.cv_results_["mean_test_score"], [7.0, 7.0])
    # the fitted model came back by pickling and can continue training
    best = parallel.best_estimator_
    before = best.n_iter_
    best.set_params(warm_start=True).fit(X)
    assert best.n_iter_ == 2 * before
