"""dask and dask-ml as engines (issue 18); skipped when they are absent."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from _estimators import ThreadCount, make
from sklearn_ae import Autoencoder, dask_apply

da = pytest.importorskip("dask.array")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning", "ignore::DeprecationWarning"
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def digits_split():
    X = (load_digits().data / 16.0).astype(np.float32)
    return train_test_split(X, test_size=0.25, random_state=0)


def _mse(est, X):
    return float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


def test_incremental_over_ten_chunks_trains_as_well_as_fit(client, digits_split):
    X_train, X_test = digits_split
    dX = da.from_array(X_train, chunks=-(-len(X_train) // 10))
    assert dX.numblocks[0] == 10
    params = dict(n_components=8, hidden_layer_sizes=(32,), random_state=0)
    passes = 20
    inc = dask_ml_wrappers.Incremental(Autoencoder(**params), scoring=None)
    for _ in range(passes):
        inc.partial_fit(dX)
    assert inc.estimator_.n_iter_ == 10 * passes  # one epoch a chunk
    full = Autoencoder(max_iter=passes, **params).fit(X_train)
    # measured: 0.0225 (Incremental) against 0.0302 (fit): the chunks train
    # with a smaller automatic batch (32 rows, against 134), so more steps
    # a pass
    assert _mse(inc.estimator_, X_test) <= 1.15 * _mse(full, X_test)


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "score_samples"])
def test_dask_apply_is_lazy_with_the_true_shape_and_equals_in_memory(client, digits_split, method):
    X_train, X_test = digits_split
    est = make(Autoencoder, n_components=3).fit(X_train)
    X = est.transform(X_test) if method == "inverse_transform" else X_test
    dX = da.from_array(X, chunks=(100, -1))
    lazy = dask_apply(est, dX, method=method)
    expected = getattr(est, method)(X)
    assert lazy.shape == expected.shape and lazy.dtype == expected.dtype
    np.testing.assert_array_equal(lazy.compute(), expected)


def test_parallel_post_fit_transform_equals_in_memory_transform(client, digits_split):
    X_train, X_test = digits_split
    est = make(Autoencoder, n_components=3).fit(X_train)
    lazy = dask_ml_wrappers.ParallelPostFit(est).transform(da.from_array(X_test, chunks=100))
    # dask-ml maps blocks without the output's width: the lazy shape is the
    # input's (hence dask_apply), the computed values are the codes
    np.testing.assert_array_equal(lazy.compute(), est.transform(X_test))


def test_dask_apply_refuses_bad_input(digits_split):
    X_train, _ = digits_split
    est = make(Autoencoder).fit(X_train)
    with pytest.raises(ValueError, match="method must be one of"):
        dask_apply(est, da.from_array(X_train), method="predict")
    with pytest.raises(ValueError, match="2-D dask array"):
        dask_apply(est, X_train)


def test_grid_search_under_the_dask_joblib_backend_equals_sequential(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X = (load_digits().data[:300] / 16.0).astype(np.float32)
    grid = {"n_components": [2, 4]}
    sequential = GridSearchCV(make(Autoencoder), grid, cv=2).fit(X)
    with joblib.parallel_backend("dask"):
        parallel = GridSearchCV(make(Autoencoder), grid, cv=2, n_jobs=2).fit(X)
    assert parallel.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )


def test_fits_on_a_multithreaded_worker_share_its_cores_and_match_sequential():
    """Two fits at once on a 2-thread worker: torch threads n // 2 each, same scores."""
    import joblib
    from sklearn.model_selection import GridSearchCV

    seen = ThreadCount.seen
    seen.clear()
    X = (load_digits().data[:300] / 16.0).astype(np.float32)
    grid = {"n_components": [2, 4]}
    est = make(Autoencoder, callbacks=[ThreadCount()])
    budget = max(1, torch.get_num_threads() // 2)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(budget)  # the sequential fits at the same count
        sequential = GridSearchCV(est, grid, cv=2, refit=False).fit(X)
    finally:
        torch.set_num_threads(before)
    seen.clear()
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    )
    with cluster, distributed.Client(cluster), joblib.parallel_backend("dask"):
        parallel = GridSearchCV(est, grid, cv=2, n_jobs=2, refit=False).fit(X)
    assert seen and set(seen) == {budget}
    assert torch.get_num_threads() == before
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )
