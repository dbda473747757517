"""Fits running at once in several threads give what each gives alone.

Every random draw of a fit (initial weights, shuffling, corruption, the VAE's
epsilon, random projections) comes from generators that fit owns, so two
fits in two threads cannot interleave their draws.
"""

import threading

import numpy as np
import pytest
import torch

from _estimators import ARCHITECTURES, ESTIMATORS, ThreadCount, architecture_id, data_for, make

#: Pairs of fits run concurrently per estimator; interleaving showed up in
#: every pair before the fits owned their generators (0 of 12 identical).
N_ROUNDS = 4


def _fingerprint(est, X):
    weights = [v.detach().cpu().numpy().copy() for v in est.net_.module_.state_dict().values()]
    return est.transform(X), weights


def _same(a, b):
    codes_a, weights_a = a
    codes_b, weights_b = b
    return np.array_equal(codes_a, codes_b) and all(
        np.array_equal(u, v) for u, v in zip(weights_a, weights_b)
    )


@pytest.mark.parametrize("case", ARCHITECTURES, ids=architecture_id)
def test_concurrent_fits_in_threads_are_bitwise_identical_to_sequential(case):
    cls, arch = case
    settings = [dict(random_state=0, **arch), dict(random_state=1, early_stopping=True, **arch)]
    if "noise_level" in cls().get_params():
        settings = [{**s, "noise_level": 0.3} for s in settings]
    ests = [make(cls, n_components=2, max_iter=6, batch_size=8, **s) for s in settings]
    X = data_for(ests[0], n_samples=64, n_features=6)
    alone = [_fingerprint(est.fit(X), X) for est in ests]

    for _ in range(N_ROUNDS):
        results = [None, None]
        barrier = threading.Barrier(2)

        def work(i, est):
            torch.set_num_threads(1)  # the thread count of the sequential fits
            barrier.wait()
            results[i] = _fingerprint(est.fit(X), X)

        threads = [threading.Thread(target=work, args=(i, e)) for i, e in enumerate(ests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for got, expected in zip(results, alone):
            assert got is not None and _same(got, expected)


def test_fit_draws_nothing_from_torch_global_generator(small_X):
    cls = next(c for c in ESTIMATORS if c.__name__ == "VariationalAutoencoder")
    state = torch.random.get_rng_state()
    make(cls, n_components=2).fit(small_X)
    assert torch.equal(state, torch.random.get_rng_state())


@pytest.mark.parametrize("case", ARCHITECTURES, ids=architecture_id)
def test_grid_search_under_the_threading_backend_equals_sequential_bitwise(case):
    import joblib
    from sklearn.model_selection import GridSearchCV

    cls, arch = case
    est = make(cls, max_iter=4, batch_size=8, **arch)
    if "noise_level" in est.get_params():
        est.set_params(noise_level=0.3)
    X = data_for(est, n_samples=48, n_features=6)
    grid = {"random_state": [0, 1], "learning_rate_init": [1e-3, 1e-2]}
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # the same torch thread count for every fit
        sequential = GridSearchCV(est, grid, cv=2).fit(X)
        with joblib.parallel_backend("threading"):
            parallel = GridSearchCV(est, grid, cv=2, n_jobs=2).fit(X)
    finally:
        torch.set_num_threads(threads)
    assert parallel.best_params_ == sequential.best_params_
    for key in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(parallel.cv_results_[key], sequential.cv_results_[key])


def test_fits_in_joblib_worker_threads_use_one_torch_thread_and_restore_it(small_X):
    import joblib
    from sklearn.model_selection import GridSearchCV

    from sklearn_ae import Autoencoder

    before = torch.get_num_threads()
    counter = ThreadCount()
    counter.seen.clear()
    est = Autoencoder(n_components=2, max_iter=2, callbacks=[counter], random_state=0)
    search = GridSearchCV(est, {"learning_rate_init": [1e-3, 1e-2]}, cv=2, n_jobs=2)
    with joblib.parallel_backend("threading"):
        search.fit(small_X)
    worker_epochs, refit_epochs = counter.seen[:-2], counter.seen[-2:]
    assert worker_epochs and set(worker_epochs) == {1}
    assert refit_epochs == [before, before]  # the refit runs in this thread
    assert torch.get_num_threads() == before


def test_fit_in_a_thread_of_the_users_own_keeps_torchs_count(small_X):
    from sklearn_ae import Autoencoder

    counter = ThreadCount()
    counter.seen.clear()
    seen_outside = []

    def work():
        seen_outside.append(torch.get_num_threads())
        Autoencoder(n_components=2, max_iter=2, callbacks=[counter], random_state=0).fit(small_X)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert counter.seen == seen_outside * 2


# ----------------------------------------------------------------------
# The size rule: small work on one thread, torch's count restored after
# ----------------------------------------------------------------------
@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _threads_seen(est, X):
    ThreadCount.seen.clear()
    est.set_params(callbacks=[ThreadCount()]).fit(X)
    return set(ThreadCount.seen)


def test_small_fits_run_on_one_thread_and_restore_torchs_count(two_threads):
    from sklearn_ae import Autoencoder

    X = np.random.RandomState(0).normal(size=(200, 30))
    est = Autoencoder(n_components=2, hidden_layer_sizes=(16,), max_iter=2, random_state=0)
    assert _threads_seen(est, X) == {1}
    assert torch.get_num_threads() == 2


def test_large_steps_keep_torchs_count(two_threads):
    from sklearn_ae import Autoencoder
    from sklearn_ae._threads import SMALL_WORK

    X = np.random.RandomState(0).normal(size=(512, 256))
    est = Autoencoder(n_components=8, hidden_layer_sizes=(512,), batch_size=256, max_iter=1,
                      random_state=0)
    assert 256 * (256 * 512 * 2 + 512 * 8 * 2) > SMALL_WORK
    assert _threads_seen(est, X) == {2}


@pytest.mark.parametrize("n_threads", [1, 2])
def test_the_n_threads_setting_overrides_the_rule(two_threads, n_threads):
    from sklearn_ae import Autoencoder, config_context

    X = np.random.RandomState(0).normal(size=(200, 30))
    est = Autoencoder(n_components=2, hidden_layer_sizes=(16,), max_iter=2, random_state=0)
    with config_context(n_threads=n_threads):
        assert _threads_seen(est, X) == {n_threads}
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("width, expected", [(16, 1), (2048, 2)])
def test_inference_threads_follow_the_size_of_a_batch(two_threads, width, expected):
    from sklearn_ae import Autoencoder

    X = np.random.RandomState(0).normal(size=(64, 30))
    est = Autoencoder(n_components=2, hidden_layer_sizes=(width,), max_iter=1, random_state=0)
    est.fit(X)
    seen = []
    encode = est._encode_batch

    def recording(xb, module=None):
        seen.append(torch.get_num_threads())
        return encode(xb, module=module)

    est._encode_batch = recording  # what _infer runs on each batch
    est.transform(X)
    assert set(seen) == {expected}
    assert torch.get_num_threads() == 2


def test_nested_budgets_restore_the_outer_count(two_threads):
    from sklearn_ae._threads import thread_budget

    with thread_budget(work=10):
        assert torch.get_num_threads() == 1
        with thread_budget(work=10):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "many", True])
def test_a_bad_n_threads_is_refused_with_its_value(bad):
    from sklearn_ae import set_config

    with pytest.raises(ValueError, match="n_threads must be 'auto' or an int >= 1"):
        set_config(n_threads=bad)
