"""Inference speed: ``transform`` against the raw encoder and ``PCA.transform``.

The bare module runs by hand under ``torch.inference_mode`` over batches of
the same size as ours, on a float32 tensor already standardised (no
validation, no mapping), written into a NumPy output as ours are:
``transform`` (float32 and float64 input; the bare encoder then casts each
batch) against the encoder, ``score_samples`` against the forward pass plus
each row's squared error, ``inverse_transform`` against the decoder. Runs
alternate in one process; the table reports medians and ratios.

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


def bare(fn, T, width, batch_size):
    """The bare module over ready float32 model-space batches, into NumPy."""
    out = np.empty((T.shape[0], width) if width else (T.shape[0],), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, T.shape[0], batch_size):
            out[start : start + batch_size] = fn(T[start : start + batch_size]).numpy()
    return out


def bare_cast(fn, X, width, batch_size):
    """The bare module fed float64 rows: each batch cast to float32 first."""
    out = np.empty((X.shape[0], width), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, X.shape[0], batch_size):
            out[start : start + batch_size] = fn(
                torch.from_numpy(X[start : start + batch_size]).float()
            ).numpy()
    return out


def bench_speed(n, repeats):
    rng = np.random.RandomState(0)
    X = make_data(n, rng)
    X64 = X.astype(np.float64)
    est = fitted(X)
    module = est.net_.module_
    scale = float(est.scale_)
    Xm = torch.from_numpy(((X - est.mean_) / scale).astype(np.float32))
    Xm64 = Xm.numpy().astype(np.float64)
    Z = est.transform(X)
    Zt = torch.from_numpy(Z)
    batch = sklearn_ae.get_config()["inference_batch_size"]
    pca = PCA(n_components=16, random_state=0).fit(X[:2000])

    def forward_error(xb):  # the bare forward pass plus each row's error
        return ((module(xb)["logits"] - xb) ** 2).mean(dim=1)

    times = alternate(
        {
            "transform f32": lambda: est.transform(X),
            "encoder f32": lambda: bare(module.encode, Xm, 16, batch),
            "transform f64": lambda: est.transform(X64),
            "encoder f64": lambda: bare_cast(module.encode, Xm64, 16, batch),
            "score_samples": lambda: est.score_samples(X),
            "forward + error": lambda: bare(forward_error, Xm, None, batch),
            "inverse_transform": lambda: est.inverse_transform(Z),
            "decoder": lambda: bare(module.decode, Zt, 784, batch),
        },
        repeats,
    )
    # Timed apart: NumPy's BLAS threads keep spinning for a while after a
    # call, and would slow down whichever torch run came next.
    times.update(
        alternate(
            {
                "PCA.transform": lambda: pca.transform(X),
                "PCA.inverse_transform": lambda: pca.inverse_transform(Z),
            },
            repeats,
        )
    )
    t = {k: median(v) for k, v in times.items()}
    rows = []
    for ours, ref, pca_name in (
        ("transform f32", "encoder f32", "PCA.transform"),
        ("transform f64", "encoder f64", "PCA.transform"),
        ("score_samples", "forward + error", None),
        ("inverse_transform", "decoder", "PCA.inverse_transform"),
    ):
        rows.append(
            [
                ours,
                n / t[ours],
                f"bare {ref}",
                n / t[ref],
                t[ref] / t[ours],
                t[ours] / t[pca_name] if pca_name else "",
            ]
        )
    print(
        f"{n} x 784 (float32 unless f64), 784-256-64-16 network, inference batch "
        f"{batch} (median of {repeats} alternating runs). The bare module runs on "
        "ready standardised float32 batches (fed float64 rows, it casts each "
        "batch first).\n"
    )
    print_table(
        rows,
        ["method", "ours rows/s", "reference", "reference rows/s", "ours / reference (speed)", "time / PCA"],
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
