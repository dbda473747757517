"""Memory-mapped data are read in place by fit, never copied whole (issue 18)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from _estimators import ARCHITECTURES, architecture_id, data_for, make
from sklearn_ae._scaling import is_memory_mapped

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

REPO = Path(__file__).resolve().parents[1]


def _memmap(tmp_path, X):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("case", ARCHITECTURES, ids=architecture_id)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_memmap_gives_bitwise_the_model_of_the_array_in_memory(case, early_stopping, tmp_path):
    cls, arch = case
    est = make(cls, n_components=2, early_stopping=early_stopping, **arch)
    X = data_for(est, n_samples=50, n_features=9).astype(np.float32)
    mapped = _memmap(tmp_path, X)
    assert is_memory_mapped(mapped) and not is_memory_mapped(X)
    a = make(cls, n_components=2, early_stopping=early_stopping, **arch).fit(X)
    b = make(cls, n_components=2, early_stopping=early_stopping, **arch).fit(mapped)
    for u, v in zip(a.net_.module_.state_dict().values(), b.net_.module_.state_dict().values()):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    np.testing.assert_array_equal(a.transform(X), b.transform(mapped))
    assert a.loss_curve_ == b.loss_curve_


_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time, warnings
    import numpy as np
    from sklearn_ae import Autoencoder

    def rss_anon():
        with open("/proc/self/status") as f:
            return int(next(l for l in f if l.startswith("RssAnon")).split()[1]) / 1024

    def peak_growth(fn):
        base, peak, done = rss_anon(), [0.0], threading.Event()
        def watch():
            while not done.is_set():
                peak[0] = max(peak[0], rss_anon() - base)
                time.sleep(0.002)
        thread = threading.Thread(target=watch)
        thread.start()
        try:
            fn()
        finally:
            done.set()
            thread.join()
        return max(peak[0], rss_anon() - base)

    warnings.simplefilter("ignore")
    X = np.load(sys.argv[1], mmap_mode="r")
    def fit(early_stopping):
        return Autoencoder(n_components=8, hidden_layer_sizes=(32,), max_iter=1,
                           batch_size=256, early_stopping=early_stopping,
                           random_state=0).fit(X)
    fit(False)  # the process's one-time allocations (torch, the allocator)
    print(*(peak_growth(lambda: fit(es)) for es in (False, True)))
    """
)


@pytest.mark.slow
def test_fit_on_a_memmap_does_not_copy_the_data(tmp_path):
    # RssAnon counts the heap, not the memmap's file pages (page cache).
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    growth = {}
    rng = np.random.RandomState(0)
    for n in (100_000, 1_000_000):
        path = tmp_path / f"X{n}.npy"
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 64))
        for start in range(0, n, 100_000):
            out[start : start + 100_000] = rng.standard_normal((100_000, 64))
        out.flush()
        del out
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(path)],
            capture_output=True, text=True, env=env, timeout=600,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        growth[n] = [float(v) for v in result.stdout.split()]
    added_mib = 900_000 * 64 * 4 / 2**20
    for small, large in zip(growth[100_000], growth[1_000_000]):
        assert large - small < 0.2 * added_mib, growth
