"""Training speed: ``Autoencoder.fit`` against a hand-written torch loop.

Both sides train the same module class from the same seed with the same
optimizer (class and every hyperparameter, read from the fitted net), batch
size, number of epochs and loss function. The raw loop gets its data as a
tensor already standardised and on the device, draws a fresh permutation
each epoch and slices batches from it; ``fit`` starts from a NumPy array and
pays for validation, standardisation and the copy to the device. Runs
alternate (ours, raw, ours, raw, ...) in one process and the table reports
medians and their ratio.

With CUDA present a second table compares samples per second on the
784-1000-500-250-30 autoencoder (70,000 x 784 rows, batch 1024) against the
raw device-resident loop and against skorch's default data path (a
DataLoader collating NumPy rows, copying batch by batch). Without CUDA that
table is skipped.

Run ``python benchmarks/bench_fit.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import warnings

import numpy as np
import torch
from _common import alternate, machine, median, print_table, sync
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import Autoencoder


def make_cases(quick):
    rng = np.random.RandomState(0)
    font_like = (rng.rand(32, 35) > 0.6).astype(np.float32)
    digits = (load_digits().data / 16.0).astype(np.float32)
    n_large = 2_000 if quick else 20_000
    basis = rng.normal(size=(20, 784)).astype(np.float32)
    large = np.tanh(rng.normal(size=(n_large, 20)).astype(np.float32) @ basis)
    large += 0.1 * rng.normal(size=large.shape).astype(np.float32)
    return [
        # name, X, estimator params, epochs
        ("small 32x35", font_like, dict(hidden_layer_sizes=(16,), n_components=2), 200),
        ("medium digits 1797x64", digits, dict(hidden_layer_sizes=(100,), n_components=8), 50),
        (
            f"large {n_large}x784",
            large,
            dict(hidden_layer_sizes=(256, 64), n_components=16, batch_size=256),
            1 if quick else 3,
        ),
    ]


def fit_ours(X, params, epochs, device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Autoencoder(
            **params,
            max_iter=epochs,
            n_iter_no_change=epochs,
            random_state=0,
            device=device,
        ).fit(X)
    assert est.n_iter_ == epochs, "fit stopped early: the comparison would be unfair"
    return est


def raw_loop(est, Xt, epochs):
    """The reference: a plain torch loop over the estimator's own parts."""
    ref = est.net_.optimizer_
    n, batch_size = Xt.shape[0], est.net_.batch_size
    torch.manual_seed(0)
    module = est._make_module(Xt.shape[1]).to(Xt.device)
    optimizer = type(ref)(module.parameters(), **ref.defaults)
    objective = est._make_objective()
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator).to(Xt.device)
        total = torch.zeros((), device=Xt.device)
        for start in range(0, n, batch_size):
            xb = Xt.index_select(0, order[start : start + batch_size])
            optimizer.zero_grad()
            loss, _ = objective(module(xb), xb)
            loss.backward()
            optimizer.step()
            total += loss.detach() * xb.shape[0]
        float(total) / n  # one host sync per epoch, as a loss log needs
    return module


def model_space(est, X, device):
    """X as the estimator trains on it: standardised float32 on ``device``."""
    Xm = (X - est.mean_) / est.scale_ if est._normalizes() else X
    return torch.as_tensor(np.ascontiguousarray(Xm, dtype=np.float32), device=device)


def bench_cpu_vs_raw(cases, devices, repeats):
    rows = []
    for device in devices:
        for name, X, params, epochs in cases:
            est = fit_ours(X, params, epochs, device)
            Xt = model_space(est, X, device)
            times = alternate(
                {
                    "ours": lambda: fit_ours(X, params, epochs, device),
                    "raw": lambda: raw_loop(est, Xt, epochs),
                },
                repeats,
            )
            ours, raw = median(times["ours"]), median(times["raw"])
            rows.append(
                [device, name, epochs, est.net_.batch_size, ours, raw, ours / raw]
            )
    print_table(
        rows,
        ["device", "case", "epochs", "batch", "fit s", "raw loop s", "fit / raw"],
    )


class _Logits(torch.nn.Module):
    """Our module with a plain tensor output, for skorch's default criterion."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x)["logits"]


def bench_gpu(quick, repeats):
    from skorch import NeuralNet

    n = 10_000 if quick else 70_000
    epochs = 1 if quick else 3
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(30, 784)).astype(np.float32)
    X = 1 / (1 + np.exp(-rng.normal(size=(n, 30)).astype(np.float32) @ basis))
    X = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(1000, 500, 250), n_components=30, batch_size=1024)
    est = fit_ours(X, params, 1, "cuda")
    Xt = model_space(est, X, "cuda")

    def skorch_default():
        module = _Logits(est._make_module(784))
        NeuralNet(
            module,
            criterion=torch.nn.MSELoss,
            optimizer=torch.optim.Adam,
            lr=est.learning_rate_init,
            optimizer__weight_decay=est.alpha,
            batch_size=1024,
            max_epochs=epochs,
            train_split=None,
            iterator_train__shuffle=True,
            device="cuda",
            verbose=0,
        ).fit(X, X)

    times = alternate(
        {
            "ours": lambda: fit_ours(X, params, epochs, "cuda"),
            "raw": lambda: raw_loop(est, Xt, epochs),
            "skorch": skorch_default,
        },
        repeats,
    )
    sync()
    rate = {k: n * epochs / median(v) for k, v in times.items()}
    print_table(
        [
            [
                f"{n}x784, 784-1000-500-250-30, batch 1024",
                rate["ours"],
                rate["raw"],
                rate["skorch"],
                rate["ours"] / rate["raw"],
                rate["ours"] / rate["skorch"],
            ]
        ],
        [
            "case",
            "ours samples/s",
            "raw samples/s",
            "skorch default samples/s",
            "ours / raw",
            "ours / skorch",
        ],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs per case")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = 1 if args.quick else args.repeats
    print(machine(), "\n")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    cases = make_cases(args.quick)
    if args.quick:
        cases = [(n, X, p, max(1, e // 10)) for n, X, p, e in cases]
    print(f"fit vs a hand-written torch loop (median of {repeats} alternating runs)\n")
    bench_cpu_vs_raw(cases, devices, repeats)
    if torch.cuda.is_available():
        print("GPU throughput (median samples/s)\n")
        bench_gpu(args.quick, repeats)
    else:
        print("GPU throughput: skipped, CUDA is not available.\n")


if __name__ == "__main__":
    main()
