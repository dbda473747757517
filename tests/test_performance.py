"""The fast paths: device memory budget, streaming vs resident batches,
optimizer kernels, cheap per-epoch bookkeeping, bounded inference memory.

No test here times anything; each pins a behaviour the speed relies on.
"""

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch

import sklearn_ae
from sklearn_ae import Autoencoder, config_context, get_config, set_config
from sklearn_ae import _data
from sklearn_ae._data import ArrayDataset

FAST = dict(hidden_layer_sizes=(8,), n_components=2, max_iter=4, random_state=0)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def spy_datasets(monkeypatch):
    """Record every ArrayDataset that fit builds."""
    built = []

    class Spy(ArrayDataset):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(_data, "ArrayDataset", Spy)
    return built


def _weights(est):
    return {k: v.detach().cpu().clone() for k, v in est.net_.module_.state_dict().items()}


# ----------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------
def test_config_context_sets_and_restores():
    before = get_config()
    with config_context(device_memory_budget=0, inference_batch_size=7):
        assert get_config() == {
            "device_memory_budget": 0, "inference_batch_size": 7, "n_threads": "auto",
            "precision": "float32", "cuda_graphs": True,
        }
        with config_context(inference_batch_size=3):
            assert get_config()["inference_batch_size"] == 3
            assert get_config()["device_memory_budget"] == 0
        assert get_config()["inference_batch_size"] == 7
    assert get_config() == before


def test_config_context_restores_after_an_error():
    before = get_config()
    with pytest.raises(RuntimeError):
        with config_context(device_memory_budget=5):
            raise RuntimeError
    assert get_config() == before


def test_set_config_changes_only_what_is_given():
    before = get_config()
    try:
        set_config(inference_batch_size=10)
        assert get_config() == {**before, "inference_batch_size": 10}
    finally:
        set_config(**before)
    assert get_config() == before


def test_get_config_returns_a_copy():
    get_config()["inference_batch_size"] = -1
    assert get_config()["inference_batch_size"] > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"device_memory_budget": -1}, "device_memory_budget"),
        ({"device_memory_budget": 1.5}, "device_memory_budget"),
        ({"inference_batch_size": 0}, "inference_batch_size"),
        ({"inference_batch_size": True}, "inference_batch_size"),
        ({"inference_batch_size": "8"}, "inference_batch_size"),
    ],
)
def test_invalid_config_values_raise(kwargs, match):
    before = get_config()
    with pytest.raises(ValueError, match=match):
        set_config(**kwargs)
    assert get_config() == before


# ----------------------------------------------------------------------
# Device memory budget: resident vs streaming
# ----------------------------------------------------------------------
@pytest.mark.parametrize("early_stopping", [False, True])
def test_memory_budget_switches_between_resident_and_streaming(
    small_X, spy_datasets, early_stopping
):
    nbytes = small_X.astype(np.float32).nbytes
    expected = {None: True, nbytes: True, nbytes - 1: False, 0: False}
    for budget, resident in expected.items():
        spy_datasets.clear()
        with config_context(device_memory_budget=budget):
            Autoencoder(**FAST, early_stopping=early_stopping).fit(small_X)
        assert len(spy_datasets) == (2 if early_stopping else 1)
        assert all(ds.resident is resident for ds in spy_datasets), budget


def test_memory_budget_parameter_overrides_the_global_setting(small_X, spy_datasets):
    nbytes = small_X.astype(np.float32).nbytes
    with config_context(device_memory_budget=0):  # global: stream
        Autoencoder(**FAST, device_memory_budget=nbytes).fit(small_X)
        assert [ds.resident for ds in spy_datasets] == [True]
        spy_datasets.clear()
        Autoencoder(**FAST, device_memory_budget=None).fit(small_X)
        assert [ds.resident for ds in spy_datasets] == [False]


@pytest.mark.parametrize("name", ["inference_batch_size", "device_memory_budget"])
def test_memory_parameters_are_validated(small_X, name):
    with pytest.raises(ValueError, match=name):
        Autoencoder(**FAST, **{name: -1}).fit(small_X)


def _batch_size_seen(est, X, y=None):
    """A scorer: the inference batch size the estimator uses where it runs."""
    return float(est._setting("inference_batch_size"))


def test_memory_parameters_travel_into_process_workers(small_X):
    """set_config stays in the parent; the parameter reaches loky's workers."""
    from sklearn.model_selection import GridSearchCV

    est = Autoencoder(**FAST, inference_batch_size=7)
    grid = {"n_components": [1, 2]}
    with config_context(inference_batch_size=5):
        search = GridSearchCV(est, grid, cv=2, n_jobs=2, scoring=_batch_size_seen).fit(small_X)
        assert search.best_estimator_._setting("inference_batch_size") == 7
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], [7.0, 7.0])


@pytest.mark.parametrize("early_stopping", [False, True])
def test_streaming_and_resident_give_bitwise_identical_models(small_X, early_stopping):
    params = dict(FAST, batch_size=16, early_stopping=early_stopping)
    resident = Autoencoder(**params).fit(small_X)
    with config_context(device_memory_budget=0):
        streamed = Autoencoder(**params).fit(small_X)
    for name, value in _weights(resident).items():
        assert torch.equal(value, _weights(streamed)[name]), name
    assert resident.loss_curve_ == streamed.loss_curve_
    np.testing.assert_array_equal(resident.transform(small_X), streamed.transform(small_X))


def test_array_dataset_paths_yield_the_same_batches():
    X = np.arange(42, dtype=np.float32).reshape(14, 3)
    resident = ArrayDataset(X, "cpu", resident=True)
    streamed = ArrayDataset(X, "cpu", resident=False)
    order = torch.randperm(14, generator=torch.Generator().manual_seed(0))
    for a, b in zip(resident.batches(4, order), streamed.batches(4, order), strict=True):
        assert torch.equal(a, b)
    batches = list(streamed.batches(4, order))
    assert [len(b) for b in batches] == [4, 4, 4, 2]
    np.testing.assert_array_equal(torch.cat(batches).numpy(), X[order.numpy()])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_streaming_matches_resident_and_uses_fused_adam(small_X):
    params = dict(FAST, device="cuda")
    resident = Autoencoder(**params).fit(small_X)
    with config_context(device_memory_budget=0):
        streamed = Autoencoder(**params).fit(small_X)
    assert resident.net_.optimizer_.defaults["fused"] is True
    for name, value in _weights(resident).items():
        torch.testing.assert_close(value, _weights(streamed)[name])


# ----------------------------------------------------------------------
# Optimizer kernels and per-epoch bookkeeping
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "optimizer, kernel",
    [("adam", "fused"), ("adamw", "fused"), ("sgd", "fused"), ("rmsprop", "foreach")],
)
def test_builtin_optimizers_use_their_fastest_kernels_on_cpu(small_X, optimizer, kernel):
    from sklearn_ae._net import _has_fused_kernel

    if kernel == "fused" and not _has_fused_kernel(optimizer, "cpu"):
        kernel = "foreach"  # an older torch: the next fastest
    est = Autoencoder(**FAST, optimizer=optimizer).fit(small_X)
    assert est.net_.optimizer_.defaults[kernel] is True
    assert np.isfinite(est.loss_curve_).all()


def test_user_optimizer_class_is_left_as_given(small_X):
    est = Autoencoder(**FAST, optimizer=torch.optim.Adagrad).fit(small_X)
    assert type(est.net_.optimizer_) is torch.optim.Adagrad
    assert est.net_.optimizer_.defaults["foreach"] is None


@pytest.mark.parametrize("early_stopping", [False, True])
def test_epoch_losses_are_batch_size_weighted_means(small_X, early_stopping):
    est = Autoencoder(**FAST, batch_size=25, early_stopping=early_stopping).fit(small_X)
    prefixes = ["train"] + (["valid"] if early_stopping else [])
    for row in est.net_.history:
        for prefix in prefixes:
            losses = [b[f"{prefix}_loss"] for b in row["batches"] if f"{prefix}_loss" in b]
            sizes = [b[f"{prefix}_batch_size"] for b in row["batches"] if f"{prefix}_loss" in b]
            assert row[f"{prefix}_loss"] == pytest.approx(np.average(losses, weights=sizes))
            assert isinstance(row[f"{prefix}_loss_best"], bool)
        assert row["dur"] >= 0
    if not early_stopping:
        assert "valid_loss" not in est.net_.history[-1]


def test_quiet_fit_skips_the_print_log(small_X):
    quiet = Autoencoder(**FAST).fit(small_X)
    loud = Autoencoder(**FAST, verbose=1).fit(small_X)
    assert "print_log" not in dict(quiet.net_.callbacks_)
    assert "print_log" in dict(loud.net_.callbacks_)


# ----------------------------------------------------------------------
# Inference memory
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted_wide():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 40))
    return Autoencoder(**FAST).fit(X)


@pytest.mark.parametrize("method", ["transform", "score_samples", "inverse_transform"])
def test_inference_runs_in_batches_of_the_configured_size(fitted_wide, monkeypatch, method):
    seen = []
    hook = {
        "transform": "_encode_batch",
        "score_samples": "_score_batch",
        "inverse_transform": "_decode_batch",
    }[method]
    original = getattr(fitted_wide, hook)

    def spy(batch, **kwargs):
        seen.append(batch.shape[0])
        assert torch.is_inference_mode_enabled()
        return original(batch, **kwargs)

    monkeypatch.setattr(fitted_wide, hook, spy)
    width = 2 if method == "inverse_transform" else 40
    X = np.random.RandomState(1).normal(size=(1000, width))
    with config_context(inference_batch_size=96):
        out = getattr(fitted_wide, method)(X)
    assert len(out) == 1000
    # The last batch is a full one too (it overlaps the batch before it): a
    # row's output must not depend on how many rows share its batch (see
    # _infer).
    assert seen == [96] * 11


def test_inference_batch_size_parameter_overrides_the_global_setting(fitted_wide, monkeypatch):
    seen = []
    original = fitted_wide._encode_batch

    def spy(batch, **kwargs):
        seen.append(batch.shape[0])
        return original(batch, **kwargs)

    monkeypatch.setattr(fitted_wide, "_encode_batch", spy)
    X = np.random.RandomState(1).normal(size=(100, 40))
    fitted_wide.set_params(inference_batch_size=30)  # changes no weight
    try:
        with config_context(inference_batch_size=96):
            fitted_wide.transform(X)
    finally:
        fitted_wide.set_params(inference_batch_size=None)
    assert seen == [30] * 4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transform_holds_no_copy_of_a_large_input(fitted_wide, dtype):
    # numpy allocations are traced: a whole-X temporary (a float32 cast, an
    # abs() for the range check) would push the peak past X's own size.
    X = np.random.RandomState(2).normal(size=(8_000, 40)).astype(dtype)
    assert 8 * 128 * X.shape[1] * X.itemsize < X.nbytes / 4  # the bound means something
    with config_context(inference_batch_size=128):
        fitted_wide.transform(X[:10])  # warm up lazily allocated state
        tracemalloc.start()
        try:
            for method in ("transform", "score_samples"):
                tracemalloc.reset_peak()
                out = getattr(fitted_wide, method)(X)
                _, peak = tracemalloc.get_traced_memory()
                few_batches = 8 * 128 * X.shape[1] * X.itemsize
                assert peak < out.nbytes + few_batches, (method, peak)
                del out
        finally:
            tracemalloc.stop()


# ----------------------------------------------------------------------
# Benchmark scripts run
# ----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "script",
    [
        "bench_fit.py",
        "bench_transform.py",
        "bench_quality.py",
        "bench_outliers.py",
        "bench_conv.py",
        "bench_scale.py",
        "bench_semisupervised.py",
        "bench_threads.py",
        "bench_deep.py",
        "bench_samples.py",
    ],
)
def test_benchmark_script_runs_quick(script):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--quick", "--threads", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "|" in result.stdout and "torch" in result.stdout


def test_public_names_include_the_configuration():
    for name in ("set_config", "get_config", "config_context"):
        assert name in sklearn_ae.__all__
