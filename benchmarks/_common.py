"""Helpers shared by the benchmark scripts: timing, tables, the machine."""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import platform
import statistics
import time
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning


def alternate(runs, repeats, warmup=1):
    """Time each callable of ``runs`` (a dict) ``repeats`` times, alternating.

    Runs are interleaved (a, b, a, b, ...) so that a change of machine load
    hits all of them alike. Returns ``{name: [seconds, ...]}``.
    """
    for fn in runs.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return times


def median(values):
    return statistics.median(values)


def sync():
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def print_table(rows, headers):
    """Print ``rows`` (lists of str/float) as a Markdown table."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = lambda values: "| " + " | ".join(v.rjust(w) for v, w in zip(values, widths)) + " |"
    print(line(headers))
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in cells:
        print(line(row))
    print()


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def machine():
    """One line describing the machine, torch and its thread count."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA"
    return (
        f"{cpu}; torch {torch.__version__} with {torch.get_num_threads()} thread(s); "
        f"{gpu}; Python {platform.python_version()}"
    )


def quick_run_args(doc, quick_help, argv=None, extra=None):
    """Parse ``--quick`` and ``--threads``, set torch's threads, print the machine.

    The command line of the quality benchmarks (scores, not timings), whose
    fits end at their epoch budget: ConvergenceWarning is silenced.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    if extra is not None:
        extra(parser)  # a script's own options
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(machine(), "\n")
    return args
