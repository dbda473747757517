"""Small fits on idle and on busy cores: the thread rule against torch's default.

A small fit (breast cancer, 341 x 30, ``Autoencoder(n_components=2,
hidden_layer_sizes=(16,), max_iter=100)``) and a small VAE (1,200 digits,
100 epochs) are timed three ways, alternating, in this process:

- ``default``: sklearn-ae's defaults (``n_threads="auto"``: the size rule
  runs these small steps on one thread);
- ``one thread``: ``config_context(n_threads=1)``, the reference;
- ``torch threads``: ``config_context(n_threads=torch.get_num_threads())``,
  what every fit did before the rule.

first on idle cores, then while ``--busy`` other processes (default: one
per core) spin on the CPU. The table gives each median time and its ratio
to the one-thread run under the same load. Run it on a machine with
nothing else running: the busy processes are the only load it means.
"""

# SPDX-License-Identifier: BSD-3-Clause

import multiprocessing as mp
import os
import time

import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from _common import median, print_table, quick_run_args
from sklearn_ae import Autoencoder, VariationalAutoencoder, config_context


def _spin(seconds):
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


def _fits(quick):
    X, _ = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(train_test_split(X, test_size=0.4, random_state=0)[0])
    digits = load_digits().data[:1200] / 16
    epochs = 20 if quick else 100
    return {
        "breast cancer, 30-16-2": lambda: Autoencoder(
            n_components=2, hidden_layer_sizes=(16,), max_iter=epochs, random_state=0
        ).fit(X),
        "digits VAE": lambda: VariationalAutoencoder(max_iter=epochs, random_state=0).fit(digits),
    }


def _time(fn, settings, repeats):
    times = {name: [] for name in settings}
    for _ in range(repeats):
        for name, n_threads in settings.items():
            with config_context(n_threads=n_threads):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: median(t) for name, t in times.items()}


def main(argv=None):
    def options(parser):
        parser.add_argument("--repeats", type=int, default=3)
        parser.add_argument("--busy", type=int, default=os.cpu_count(), help="spinning processes")

    args = quick_run_args(__doc__, "20 epochs, one repeat", argv, extra=options)
    repeats = 1 if args.quick else args.repeats
    settings = {
        "default": "auto",
        "one thread": 1,
        "torch threads": torch.get_num_threads(),
    }
    rows = []
    for load in ("idle", f"{args.busy} busy"):
        spinners = []
        if load != "idle":
            ctx = mp.get_context("spawn")
            spinners = [ctx.Process(target=_spin, args=(3600,), daemon=True)
                        for _ in range(args.busy)]
            for p in spinners:
                p.start()
            time.sleep(0.5)
        try:
            for name, fn in _fits(args.quick).items():
                fn()  # warm-up
                t = _time(fn, settings, repeats)
                one = t["one thread"]
                rows.append([name, load, *(t[k] for k in settings),
                             *(t[k] / one for k in settings)])
        finally:
            for p in spinners:
                p.terminate()
                p.join()
    headers = ["fit", "cores", *(f"{k} (s)" for k in settings),
               *(f"{k} / one" for k in settings)]
    print_table(rows, headers)


if __name__ == "__main__":
    main()
