"""Scaling out: parallel search, incremental training, data read in place.

Three tables, each measured in this one run:

* grid search: ``GridSearchCV(Pipeline(StandardScaler, Autoencoder,
  LogisticRegression))`` on digits, 4 candidates x 3 folds, sequential
  against ``n_jobs=2`` under joblib's loky (processes; once starting its
  workers, once reusing them), threading, and (when installed) dask
  ``LocalCluster`` backends: wall time, its ratio to sequential, and whether
  the scores equal the sequential ones bitwise;
* the same kind of search as a whole script in a fresh process (imports and
  the workers' start included), sequential against loky, at two sizes;
* incremental: dask-ml's ``Incremental`` over 10 chunks against in-memory
  ``fit`` with as many passes: rows per second and held-out MSE (skipped
  without dask-ml);
* data read in place: the heap growth (RssAnon) of a one-epoch ``fit`` on a
  memory-mapped array against the file's size, and against fitting the same
  rows loaded in memory (each in a fresh process).

Run ``python benchmarks/bench_scale.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
from _common import machine, print_table
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import Autoencoder


#: The grid of the in-process table (4 candidates) and of the fresh-process one (6).
GRID = {"autoencoder__n_components": [4, 8], "autoencoder__learning_rate_init": [1e-3, 3e-3]}
WIDER_GRID = {**GRID, "autoencoder__n_components": [4, 8, 16]}


def search(n_jobs, backend, quick, *, epochs=None, n_rows=None, grid=GRID):
    """One seeded 3-fold grid search on digits: (seconds, mean test scores)."""
    import joblib

    X, y = load_digits(return_X_y=True)
    n_rows = n_rows or (300 if quick else len(X))
    X, y = X[:n_rows], y[:n_rows]
    pipe = make_pipeline(
        StandardScaler(),
        Autoencoder(
            hidden_layer_sizes=(32,), max_iter=epochs or (3 if quick else 30), random_state=0
        ),
        LogisticRegression(max_iter=500),
    )
    start = time.perf_counter()
    with joblib.parallel_backend(backend):
        result = GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    return time.perf_counter() - start, result.cv_results_["mean_test_score"]


def search_table(quick):
    search(1, "loky", True)  # warm-up: the process's one-time costs
    seconds, reference = search(1, "loky", quick)
    rows = [["sequential", 1, seconds, 1.0, "-"]]
    # loky twice: the first search starts the worker processes (each imports
    # torch), the second reuses them, as every later search of a session does.
    backends = ["loky", "loky", "threading"]
    cluster = None
    try:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        backends.append("dask")
    except ImportError:
        client = None
    try:
        for i, backend in enumerate(backends):
            t, scores = search(2, backend, quick)
            name = {0: "loky (starts workers)", 1: "loky (workers running)"}.get(i, backend)
            rows.append([name, 2, t, t / seconds, bool(np.array_equal(scores, reference))])
    finally:
        if client is not None:
            client.close()
            cluster.close()
    print_table(rows, ["backend", "n_jobs", "seconds", "/ sequential", "scores equal"])


_FRESH_SEARCH = """
import sys, time, warnings
t0 = time.perf_counter()
from bench_scale import WIDER_GRID, search  # sklearn, torch and sklearn_ae with it
warnings.simplefilter("ignore")
n_jobs, epochs, n_rows = (int(v) for v in sys.argv[1:4])
search(n_jobs, "loky", False, epochs=epochs, n_rows=n_rows, grid=WIDER_GRID)
print(time.perf_counter() - t0)
"""


def fresh_search_table(quick):
    """A user's whole script, imports included, run in a fresh process.

    The first parallel search of a session starts its workers, and each
    worker pays the one-time costs of a new Python process running torch:
    importing scikit-learn and torch, and (at its first optimizer) the
    compiler stack that ``torch.optim`` imports. A sequential script pays
    them once. Two search sizes show where the start-up is repaid.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, *sys.path])}
    sizes = [(2, 300)] if quick else [(30, 1797), (100, 1797)]
    rows = []
    for epochs, n_rows in sizes:
        times = {}
        for n_jobs in (1, 2, 1, 2):  # alternating, the median of two each
            run = subprocess.run(
                [sys.executable, "-c", _FRESH_SEARCH, str(n_jobs), str(epochs), str(n_rows)],
                capture_output=True, text=True, env=env, check=True,
            )
            times.setdefault(n_jobs, []).append(float(run.stdout.split()[-1]))
        seq, par = np.median(times[1]), np.median(times[2])
        candidates = len(ParameterGrid(WIDER_GRID))
        rows.append([f"{candidates} candidates x 3 folds, {epochs} epochs", seq, par, par / seq])
    print(
        "Fresh processes (a script run from the shell, imports included), "
        "sequential against loky with n_jobs=2:\n"
    )
    print_table(rows, ["search", "sequential s", "loky s", "loky / sequential"])


def incremental_table(quick):
    try:
        import dask.array as da
        from dask_ml.wrappers import Incremental
    except ImportError:
        print("incremental: dask-ml is not installed, skipped\n")
        return
    X = (load_digits().data / 16.0).astype(np.float32)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    passes = 2 if quick else 20
    params = dict(n_components=8, hidden_layer_sizes=(32,), random_state=0)

    def mse(est):
        return float(np.mean((est.inverse_transform(est.transform(X_test)) - X_test) ** 2))

    start = time.perf_counter()
    full = Autoencoder(max_iter=passes, **params).fit(X_train)
    t_fit = time.perf_counter() - start
    dX = da.from_array(X_train, chunks=-(-len(X_train) // 10))
    inc = Incremental(Autoencoder(**params), scoring=None)
    start = time.perf_counter()
    for _ in range(passes):
        inc.partial_fit(dX)
    t_inc = time.perf_counter() - start
    rows = [
        ["fit", passes, len(X_train) * passes / t_fit, mse(full)],
        ["Incremental, 10 chunks", passes, len(X_train) * passes / t_inc, mse(inc.estimator_)],
    ]
    print_table(rows, ["training", "passes", "rows/s", "test MSE"])


_MEMORY = """
import sys, threading, time, warnings
import numpy as np
from sklearn_ae import Autoencoder
def anon():
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith("RssAnon")).split()[1]) / 1024
warnings.simplefilter("ignore")
X = np.load(sys.argv[1], mmap_mode="r")
if sys.argv[2] == "memory":
    X = np.array(X)
fit = lambda es: Autoencoder(n_components=8, hidden_layer_sizes=(32,), max_iter=1,
                             batch_size=256, early_stopping=es, random_state=0).fit(X)
fit(False)
out = []
for es in (False, True):
    base, peak, done = anon(), [0.0], threading.Event()
    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], anon() - base); time.sleep(0.002)
    t = threading.Thread(target=watch); t.start(); fit(es); done.set(); t.join()
    out.append(max(peak[0], anon() - base))
print(*out)
"""


def memory_table(quick):
    if not os.path.exists("/proc/self/status"):
        print("memory: needs Linux's /proc, skipped\n")
        return
    sizes = [20_000, 100_000] if quick else [100_000, 1_000_000]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = os.path.join(tmp, f"X{n}.npy")
            out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 64))
            rng = np.random.RandomState(0)
            for s in range(0, n, 100_000):
                out[s : s + 100_000] = rng.standard_normal((min(100_000, n - s), 64))
            out.flush()
            del out
            for mode in ("memmap", "memory"):
                run = subprocess.run(
                    [sys.executable, "-c", _MEMORY, path, mode],
                    capture_output=True, text=True, env=env, check=True,
                )
                plain, early = (float(v) for v in run.stdout.split())
                rows.append([n, n * 64 * 4 / 2**20, mode, plain, early])
    print_table(rows, ["rows", "data MiB", "X", "fit growth MiB", "with early_stopping"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(machine(), "\n")
    search_table(args.quick)
    fresh_search_table(args.quick)
    incremental_table(args.quick)
    memory_table(args.quick)


if __name__ == "__main__":
    main()
