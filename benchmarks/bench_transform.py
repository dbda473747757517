"""Inference speed: ``transform`` against the raw encoder and ``PCA.transform``.

The raw encoder runs the fitted module by hand under ``torch.inference_mode``:
once over batches of the same size as ours (written into a NumPy output, as
``transform`` does), and once in a single call on a tensor that is already
standardised (the floor: no batching, no validation). ``inverse_transform``
is compared with the raw decoder the same way. Runs alternate in one process;
the table reports medians and ratios.

``--memory N`` instead transforms N x 784 float32 rows once and reports the
peak resident memory beyond the input and the output (Linux ``ru_maxrss``).

Run ``python benchmarks/bench_transform.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import resource
import warnings

import numpy as np
import torch
from _common import alternate, machine, median, print_table
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

import sklearn_ae
from sklearn_ae import Autoencoder


def make_data(n, rng):
    basis = rng.normal(size=(20, 784)).astype(np.float32)
    X = np.tanh(rng.normal(size=(n, 20)).astype(np.float32) @ basis)
    return X + 0.1 * rng.normal(size=X.shape).astype(np.float32)


def fitted(X, n_components=16):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Autoencoder(
            n_components=n_components,
            hidden_layer_sizes=(256, 64),
            batch_size=256,
            max_iter=1,
            random_state=0,
        ).fit(X[:2000])


def raw_batched(fn, X, width, mean, scale, batch_size):
    """A hand-written batched inference loop, output written to NumPy."""
    out = np.empty((X.shape[0], width), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, X.shape[0], batch_size):
            xb = torch.from_numpy(X[start : start + batch_size])
            out[start : start + batch_size] = fn(xb, mean, scale).numpy()
    return out


def bench_speed(n, repeats):
    rng = np.random.RandomState(0)
    X = make_data(n, rng)
    est = fitted(X)
    module = est.net_.module_
    mean = torch.as_tensor(est.mean_, dtype=torch.float32)
    scale = float(est.scale_)
    Xm = torch.from_numpy(((X - est.mean_) / scale).astype(np.float32))
    Z = est.transform(X)
    Zt = torch.from_numpy(Z)
    batch = sklearn_ae.get_config()["inference_batch_size"]
    pca = PCA(n_components=16, random_state=0).fit(X[:2000])

    def encode(xb, mean, scale):
        return module.encode((xb - mean) / scale)

    def decode(zb, mean, scale):
        return module.decode(zb) * scale + mean

    def full(fn, t):
        with torch.inference_mode():
            return fn(t).numpy()

    times = alternate(
        {
            "transform": lambda: est.transform(X),
            "raw encoder, batched": lambda: raw_batched(encode, X, 16, mean, scale, batch),
            "raw encoder, one call": lambda: full(module.encode, Xm),
            "PCA.transform": lambda: pca.transform(X),
            "inverse_transform": lambda: est.inverse_transform(Z),
            "raw decoder, batched": lambda: raw_batched(decode, Z, 784, mean, scale, batch),
            "raw decoder, one call": lambda: full(module.decode, Zt),
            "PCA.inverse_transform": lambda: pca.inverse_transform(Z),
        },
        repeats,
    )
    t = {k: median(v) for k, v in times.items()}
    rows = []
    for ours, prefix, pca_name in (
        ("transform", "raw encoder", "PCA.transform"),
        ("inverse_transform", "raw decoder", "PCA.inverse_transform"),
    ):
        rows.append(
            [
                ours,
                t[ours],
                t[ours] / t[f"{prefix}, batched"],
                t[ours] / t[f"{prefix}, one call"],
                t[ours] / t[pca_name],
            ]
        )
    print(
        f"{n} x 784 float32, 784-256-64-16 network, inference batch {batch} "
        f"(median of {repeats} alternating runs)\n"
    )
    print_table(
        rows, ["method", "ours s", "/ raw batched", "/ raw one call", "/ PCA"]
    )


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def bench_memory(n):
    rng = np.random.RandomState(0)
    est = fitted(make_data(2000, rng))
    X = np.empty((n, 784), dtype=np.float32)
    for start in range(0, n, 5_000):  # filled in chunks: no big temporary
        X[start : start + 5_000] = make_data(min(5_000, n - start), rng)
    before = peak_rss_bytes()
    Z = est.transform(X)
    after = peak_rss_bytes()
    mib = 1024**2
    print_table(
        [
            [
                f"{n} x 784",
                X.nbytes / mib,
                Z.nbytes / mib,
                before / mib,
                after / mib,
                (after - before) / mib,
            ]
        ],
        [
            "transform of",
            "X MiB",
            "output MiB",
            "peak RSS before MiB",
            "peak RSS after MiB",
            "growth MiB",
        ],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=7, help="alternating runs")
    parser.add_argument("--rows", type=int, default=20_000, help="rows to transform")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument(
        "--memory", type=int, default=None, metavar="N", help="peak memory of N rows"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine(), "\n")
    if args.memory:
        bench_memory(args.memory)
        return
    if args.quick:
        bench_speed(2_000, 1)
    else:
        bench_speed(args.rows, args.repeats)


if __name__ == "__main__":
    main()
