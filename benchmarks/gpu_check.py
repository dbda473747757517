"""The CUDA engine's checks in one run, for a machine with a GPU.

1. The tests marked ``gpu`` of ``tests/test_gpu_engine.py`` (``--all-tests``:
   of the whole suite): the CUDA graph against the eager step, seeded
   reproducibility, pinned streamed batches, inference through the pinned
   ring against one call per batch, bf16 and the TF32 switches.
2. ``bench_fit.py --only gpu``: samples/s of ``fit`` at batches of 200,
   1024 and 8192 against the plain raw loop, the CUDA-graph raw loop and
   skorch's defaults, in one process.
3. ``transform`` of 300,000 x 784 host float32 rows (rows/s), against the
   bare encoder on device-resident batches and the copy of the rows to the
   device alone (page-locked), at inference batches of 1024 and 8192.

Then one table of the acceptance criteria (issue #30): ``fit`` >= 0.9x
the graph loop at 1024 and 8192, >= 1.0x the plain loop everywhere, >= 5x
skorch's default, ``transform`` from host >= 4M rows/s. Without CUDA it
says so and exits 0.

Run ``PYTHONPATH=. python benchmarks/gpu_check.py`` from the repository
root (``--quick`` for a smoke run, ``--repeats N``, ``--skip-tests``,
``--all-tests``); a few minutes by estimate (not yet run on a GPU).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch
from _common import machine, median, print_table, sync
from sklearn.exceptions import ConvergenceWarning

HERE = Path(__file__).resolve().parent


def run_gpu_tests(every_file=False):
    """``pytest -m gpu`` in a fresh process; returns (return code, summary line).

    The engine's tests (``tests/test_gpu_engine.py``), or with
    ``every_file`` every test marked ``gpu`` (the invariance sweep over
    every estimator among them: minutes).
    """
    tests = HERE.parent / "tests"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider",
         str(tests if every_file else tests / "test_gpu_engine.py")],
        capture_output=True, text=True, cwd=HERE.parent, check=False, timeout=540,
    )
    lines = [line for line in result.stdout.strip().splitlines() if line.strip()]
    print(result.stdout[-4000:])
    return result.returncode, lines[-1] if lines else "no output"


def fitted_deep(X):
    """The 784-1000-500-250-30 autoencoder, one epoch on part of X, on CUDA."""
    from sklearn_ae import Autoencoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Autoencoder(
            hidden_layer_sizes=(1000, 500, 250), n_components=30, batch_size=1024,
            max_iter=1, random_state=0, device="cuda",
        ).fit(X[:20_000])


def best_rate(fn, n, repeats):
    """Median rows/s of ``fn()`` over ``repeats`` timed runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return n / median(times)


def bench_transform_from_host(n, repeats):
    """Rows/s of ``transform`` from host float32 rows, and of its two bounds."""
    from bench_fit import gpu_data

    import sklearn_ae

    X = gpu_data(n)
    est = fitted_deep(X)
    module = est.net_.module_.eval()
    Xd = torch.from_numpy((X - est.mean_) / est.scale_ if est._normalizes() else X)
    Xd = Xd.float().cuda()
    pinned = torch.from_numpy(X).pin_memory()
    rows = []
    for batch_size in (1024, 8192):
        def bare(batch_size=batch_size):
            with torch.inference_mode():
                for start in range(0, n, batch_size):
                    module.encode(Xd[start : start + batch_size])

        def ours(batch_size=batch_size):
            with sklearn_ae.config_context(inference_batch_size=batch_size):
                est.transform(X)

        rates = {
            "transform": best_rate(ours, n, repeats),
            "bare encoder, resident": best_rate(bare, n, repeats),
            "pinned copy alone": best_rate(lambda: pinned.to("cuda", non_blocking=True), n,
                                           repeats),
        }
        rows.append([batch_size, *rates.values(), rates["transform"] / rates["pinned copy alone"]])
    print(f"transform of {n}x784 host float32 rows, rows/s\n")
    print_table(rows, ["batch", "transform", "bare encoder (resident)", "pinned copy alone",
                       "transform / copy"])
    return rows


def acceptance(fit_rows, transform_rows, tests):
    """The table of issue #30's criteria: (check, measured, target, ok)."""
    table = []
    if tests is not None:
        table.append(["pytest -m gpu", tests[1], "all pass", tests[0] == 0])
    for batch, _, reason, *_, over_raw, over_graph, over_skorch in fit_rows:
        table.append([f"batch {batch}: graph used", reason, "yes", reason == "yes"])
        table.append([f"batch {batch}: ours / raw loop", over_raw, ">= 1.0", over_raw >= 1.0])
        if batch >= 1024:
            table.append([f"batch {batch}: ours / graph loop", over_graph, ">= 0.9",
                          over_graph >= 0.9])
        table.append([f"batch {batch}: ours / skorch", over_skorch, ">= 5", over_skorch >= 5])
    best = max(row[1] for row in transform_rows)
    table.append(["transform from host, rows/s", best, ">= 4,000,000", best >= 4e6])
    print("Acceptance (issue #30)\n")
    print_table([[c, m, t, "ok" if ok else "MISSED"] for c, m, t, ok in table],
                ["check", "measured", "target", ""])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs")
    parser.add_argument("--skip-tests", action="store_true", help="skip pytest -m gpu")
    parser.add_argument("--all-tests", action="store_true",
                        help="every gpu-marked test, not only tests/test_gpu_engine.py")
    args = parser.parse_args(argv)
    print(machine(), "\n")
    if not torch.cuda.is_available():
        print("gpu_check: skipped, CUDA is not available.")
        return 0
    from bench_fit import bench_gpu

    repeats = 1 if args.quick else args.repeats
    tests = None if args.skip_tests else run_gpu_tests(args.all_tests)
    print(f"GPU throughput (median samples/s of {repeats} alternating runs)\n")
    fit_rows = bench_gpu(args.quick, repeats)
    transform_rows = bench_transform_from_host(30_000 if args.quick else 300_000, repeats)
    acceptance(fit_rows, transform_rows, tests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
