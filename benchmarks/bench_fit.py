"""Training speed: ``fit`` against hand-written torch loops and scikit-learn.

Three CPU tables, runs alternating in one process (ours, reference, ours,
...), medians reported:

1. Small data (the 5x7 font's 32 x 35, digits): ``Autoencoder.fit`` against
   the *naive* raw loop (autograd, torch's default Adam kernel) and against
   scikit-learn's ``MLPRegressor`` with the same layers, batch size and
   epochs (``fit(X, X)``, standardised float32 rows).
2. Every model family and option on digits against a hand-written loop of
   the same maths: the estimator's own module class, initialisation,
   objective, corruption and schedule, optimizer (class and every
   hyperparameter, kernel included, read from the fitted net), batch size
   and epochs, data already a standardised tensor, a fresh ``randperm``
   each epoch. Layer-wise pretraining is a loop per stage, then the
   end-to-end loop.
3. 20,000 x 784 against the same raw loop, and the peak RSS of each, each
   run in a fresh process (``ru_maxrss``).

With CUDA present a fourth table (``--only gpu``) compares samples per
second on the 784-1000-500-250-30 autoencoder (70,000 x 784 rows) at
batches of 200, 1024 and 8192: ``fit`` (with and without its CUDA graph)
against the plain raw loop (resident data, a device ``randperm``, autograd,
fused Adam), the same loop with its step captured as a CUDA graph, and
skorch's default data path (a DataLoader collating NumPy rows, copying
batch by batch), with the ratios. Without CUDA that table is skipped with a
message.

Run ``python benchmarks/bench_fit.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from _common import alternate, machine, median, print_table
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from sklearn_ae._modules import LayerStage, stage_inputs


def font_like():
    rng = np.random.RandomState(0)
    return (rng.rand(32, 35) > 0.6).astype(np.float32)


def digits():
    return (load_digits().data / 16.0).astype(np.float32)


def large(n):
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(20, 784)).astype(np.float32)
    X = np.tanh(rng.normal(size=(n, 20)).astype(np.float32) @ basis)
    return X + 0.1 * rng.normal(size=X.shape).astype(np.float32)


def small_cases():
    # name, X, (hidden widths, code width), batch size, epochs
    return [
        ("font 32x35", font_like(), ((16,), 2), 32, 200),
        ("digits 1797x64", digits(), ((100,), 8), 200, 50),
        ("digits 1797x64, 32 wide", digits(), ((32,), 8), 128, 20),
    ]


#: Every family and option on digits: (name, class, parameters).
FAMILIES = [
    ("Autoencoder", Autoencoder, {}),
    ("Autoencoder loss=bce", Autoencoder, {"loss": "bce"}),
    ("Autoencoder tied_weights", Autoencoder, {"tied_weights": True}),
    ("Autoencoder trim_fraction=0.1", Autoencoder, {"trim_fraction": 0.1}),
    ("Autoencoder conv", Autoencoder, {"architecture": "conv", "image_shape": (8, 8)}),
    ("Autoencoder layerwise", Autoencoder, {"pretraining": "layerwise", "hidden_layer_sizes": (64, 32)}),
    ("DenoisingAutoencoder", DenoisingAutoencoder, {}),
    ("SparseAutoencoder", SparseAutoencoder, {}),
    ("ContractiveAutoencoder", ContractiveAutoencoder, {}),
    ("VariationalAutoencoder", VariationalAutoencoder, {}),
]


def fit_ours(est_class, X, params, epochs, device="cpu"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = est_class(
            **params,
            max_iter=epochs,
            n_iter_no_change=10**6,
            random_state=0,
            device=device,
        ).fit(X)
    assert est.n_iter_ == epochs, "fit stopped early: the comparison would be unfair"
    return est


def _optimizer(est, params, naive):
    ref = est.net_.optimizer_
    options = dict(ref.defaults)
    if naive:  # torch's default kernel: a Python loop over the parameters
        options.update(fused=None, foreach=None)
    return type(ref)(params, **options)


def _train(est, module, objective, Xt, epochs, *, naive=False, corruption=None, schedule=None):
    """The reference loop: one objective, one optimizer, shuffled batches."""
    optimizer = _optimizer(est, module.parameters(), naive)
    n, batch_size = Xt.shape[0], est.net_.batch_size
    shuffle = torch.Generator().manual_seed(0)
    noise = torch.Generator(device=Xt.device).manual_seed(0)
    module.train()
    for epoch in range(1, epochs + 1):
        if schedule is not None:
            schedule(module, epoch)
        order = torch.randperm(n, generator=shuffle).to(Xt.device)
        total = torch.zeros((), device=Xt.device)
        for start in range(0, n, batch_size):
            xb = Xt.index_select(0, order[start : start + batch_size])
            xin = xb if corruption is None else corruption(xb, noise)
            optimizer.zero_grad()
            output = module(xin, generator=noise)
            loss, _ = objective(output, xb, x=xin, module=module, epoch=epoch, generator=noise)
            loss.backward()
            optimizer.step()
            total += loss.detach() * xb.shape[0]
        float(total) / n  # one host sync per epoch, as a loss log needs
    return module


def raw_loop(est, Xt, epochs, naive=False):
    """A hand-written loop of ``est``'s maths over its own parts."""
    torch.manual_seed(0)
    module = est._make_module(Xt.shape[1]).to(Xt.device)
    if getattr(est, "pretraining", None) == "layerwise":
        n_layers = len(module.encoder_layers)
        for k in range(n_layers):
            stage = LayerStage(module, k)
            with torch.no_grad():
                inputs = stage_inputs(module, k, Xt)
            objective = est._stage_objective(first=k == 0, last=k == n_layers - 1)
            _train(est, stage, objective, inputs, epochs, naive=naive)
    return _train(
        est,
        module,
        est._make_objective(),
        Xt,
        epochs,
        naive=naive,
        corruption=est._make_corruption(Xt.device),
        schedule=est._training_schedule(),
    )


def model_space(est, X, device):
    """X as the estimator trains on it: standardised float32 on ``device``."""
    Xm = (X - est.mean_) / est.scale_ if est._normalizes() else X
    return torch.as_tensor(np.ascontiguousarray(Xm, dtype=np.float32), device=device)


def mlp_regressor(Xm, hidden, code, batch_size, epochs):
    """scikit-learn's numpy MLP with the same layers, trained as ``fit(X, X)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor(
            hidden_layer_sizes=(*hidden, code, *hidden[::-1]),
            batch_size=batch_size,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=10**6,
            random_state=0,
        ).fit(Xm, Xm)


def bench_small(repeats, quick):
    rows = []
    for name, X, (hidden, code), batch_size, epochs in small_cases():
        epochs = max(1, epochs // 10) if quick else epochs
        params = dict(hidden_layer_sizes=hidden, n_components=code, batch_size=batch_size)
        est = fit_ours(Autoencoder, X, params, epochs)
        Xt = model_space(est, X, "cpu")
        Xm = Xt.numpy()
        times = alternate(
            {
                "ours": lambda: fit_ours(Autoencoder, X, params, epochs),
                "naive": lambda: raw_loop(est, Xt, epochs, naive=True),
                "mlp": lambda: mlp_regressor(Xm, hidden, code, batch_size, epochs),
            },
            repeats,
        )
        m = {k: median(v) for k, v in times.items()}
        rows.append(
            [name, epochs, batch_size, m["ours"], m["naive"], m["mlp"],
             m["ours"] / m["naive"], m["ours"] / m["mlp"]]
        )
    print_table(
        rows,
        ["case", "epochs", "batch", "fit s", "naive loop s", "MLPRegressor s",
         "fit / naive", "fit / MLPRegressor"],
    )


def ours_vs_raw(est_class, X, params, epochs, repeats):
    """Median seconds of ``fit`` and of the raw loop of its maths, alternating."""
    est = fit_ours(est_class, X, params, epochs)
    Xt = model_space(est, X, "cpu")
    times = alternate(
        {
            "ours": lambda: fit_ours(est_class, X, params, epochs),
            "raw": lambda: raw_loop(est, Xt, epochs),
        },
        repeats,
    )
    return est, median(times["ours"]), median(times["raw"])


def bench_families(repeats, quick):
    X = digits()
    epochs = 2 if quick else 20
    rows = []
    for name, est_class, params in FAMILIES:
        est, ours, raw = ours_vs_raw(est_class, X, params, epochs, repeats)
        fast = "yes" if est.net_.fast_step_ is not None else "no"
        rows.append([name, fast, est.net_.batch_size, ours, raw, ours / raw])
    print_table(
        rows, [f"digits, {epochs} epochs", "fast step", "batch", "fit s", "raw loop s", "fit / raw"]
    )


_PEAK_SCRIPT = """
import gc, json, sys
sys.path.insert(0, {here!r})
import torch
import bench_fit as b
torch.set_num_threads({threads})
X = b.large({n})
params = dict(hidden_layer_sizes=(256, 64), n_components=16, batch_size=256)
est = b.fit_ours(b.Autoencoder, X[:256], params, 1)  # imports and warm-up, for both
if {which!r} == "raw":
    X = b.model_space(est, X, "cpu")  # the raw loop's data: a ready tensor
gc.collect()
before = b.reset_peak_rss()
if {which!r} == "raw":
    b.raw_loop(est, X, {epochs})
else:
    b.fit_ours(b.Autoencoder, X, params, {epochs})
print(json.dumps([before, b.peak_rss()]))
"""


def reset_peak_rss():
    """Reset the process's peak RSS (Linux >= 4.0); return the current RSS in MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mib("VmRSS")


def peak_rss():
    """The process's peak RSS in MiB since the last reset."""
    return _status_mib("VmHWM")


def _status_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def peak_rss_mib(which, n, epochs):
    """RSS before and peak RSS during training (MiB), in a fresh process."""
    from pathlib import Path

    code = _PEAK_SCRIPT.format(
        here=str(Path(__file__).parent), n=n, epochs=epochs, which=which,
        threads=torch.get_num_threads(),
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_large(repeats, quick):
    n, epochs = (2_000, 1) if quick else (20_000, 3)
    X = large(n)
    params = dict(hidden_layer_sizes=(256, 64), n_components=16, batch_size=256)
    _, ours, raw = ours_vs_raw(Autoencoder, X, params, epochs, repeats)
    (base_ours, peak_ours), (base_raw, peak_raw) = (
        peak_rss_mib("ours", n, epochs), peak_rss_mib("raw", n, epochs)
    )
    print_table(
        [[f"{n}x784", epochs, 256, ours, raw, ours / raw]],
        ["case", "epochs", "batch", "fit s", "raw loop s", "fit / raw"],
    )
    print(
        f"Peak RSS while training (fresh processes; the data in memory before: "
        f"{n} x 784 float32, {n * 784 * 4 / 2**20:.0f} MiB)\n"
    )
    print_table(
        [
            ["fit (NumPy array in)", base_ours, peak_ours, peak_ours - base_ours],
            ["raw loop (tensor in)", base_raw, peak_raw, peak_raw - base_raw],
            ["fit / raw", base_ours / base_raw, peak_ours / peak_raw, ""],
        ],
        ["", "RSS before MiB", "peak MiB", "growth MiB"],
    )


class _Logits(torch.nn.Module):
    """Our module with a plain tensor output, for skorch's default criterion."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x)["logits"]


#: The GPU table's training batch sizes.
GPU_BATCHES = (200, 1024, 8192)


def gpu_data(n):
    """``n`` x 784 float32 rows in [0, 1] of a 30-factor model (MNIST-sized)."""
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(30, 784)).astype(np.float32)
    X = 1 / (1 + np.exp(-rng.normal(size=(n, 30)).astype(np.float32) @ basis))
    return X.astype(np.float32)


def _gpu_optimizer(est, module, capturable=False):
    """A fused Adam with ``est``'s hyperparameters (read from its fitted net)."""
    options = dict(est.net_.optimizer_.defaults)
    options.update(fused=True, foreach=None, capturable=capturable)
    return type(est.net_.optimizer_)(module.parameters(), **options)


def _gpu_module(est, device):
    torch.manual_seed(0)
    return _Logits(est._make_module(784)).to(device).train()


def gpu_raw_loop(est, Xd, batch_size, epochs):
    """The plain raw loop: resident data, a device ``randperm``, autograd, fused Adam.

    Returns the seconds of each epoch (each ends on a host sync, the read of
    its loss).
    """
    module = _gpu_module(est, Xd.device)
    optimizer = _gpu_optimizer(est, module)
    n = Xd.shape[0]
    durations = []
    for _ in range(epochs):
        begin = time.perf_counter()
        perm = torch.randperm(n, device=Xd.device)
        total = torch.zeros((), device=Xd.device)
        for start in range(0, n, batch_size):
            xb = Xd[perm[start : start + batch_size]]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(module(xb), xb)
            loss.backward()
            optimizer.step()
            total += loss.detach() * xb.shape[0]
        float(total) / n  # one host sync per epoch, as a loss log needs
        durations.append(time.perf_counter() - begin)
    return durations


def gpu_graph_loop(est, Xd, batch_size, epochs, warmup=3):
    """The raw loop with its full-batch step captured as one CUDA graph.

    A capturable fused Adam; 3 warm-up steps on a side stream, then the
    forward, backward and optimizer step captured; each full batch copied
    into the captured input buffer before a replay; the last partial batch
    eagerly. Returns the seconds of each epoch.
    """
    module = _gpu_module(est, Xd.device)
    optimizer = _gpu_optimizer(est, module, capturable=True)
    n = Xd.shape[0]
    batch_size = min(batch_size, n)
    static_x = Xd[:batch_size].clone()

    def step(xb):
        loss = torch.nn.functional.mse_loss(module(xb), xb)
        loss.backward()
        optimizer.step()
        return loss

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(warmup):
            optimizer.zero_grad(set_to_none=True)
            step(static_x)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = step(static_x)
    durations = []
    for _ in range(epochs):
        begin = time.perf_counter()
        perm = torch.randperm(n, device=Xd.device)
        total = torch.zeros((), device=Xd.device)
        for start in range(0, n, batch_size):
            index = perm[start : start + batch_size]
            if index.shape[0] == batch_size:
                torch.index_select(Xd, 0, index, out=static_x)
                graph.replay()
                loss = static_loss
            else:
                optimizer.zero_grad(set_to_none=True)
                loss = step(Xd[index])
            total += loss.detach() * index.shape[0]
        float(total) / n
        durations.append(time.perf_counter() - begin)
    return durations


def gpu_skorch_default(est, X, batch_size, epochs):
    """skorch's default data path: a DataLoader collating NumPy rows.

    Returns the seconds of each epoch (skorch's ``EpochTimer``).
    """
    from skorch import NeuralNet

    options = dict(est.net_.optimizer_.defaults)
    net = NeuralNet(
        _Logits(est._make_module(784)),
        criterion=torch.nn.MSELoss,
        optimizer=type(est.net_.optimizer_),
        lr=options["lr"],
        optimizer__weight_decay=options.get("weight_decay", 0.0),
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device="cuda",
        verbose=0,
    ).fit(X, X)
    return list(net.history[:, "dur"])


def gpu_epochs(n, batch_size, quick):
    """Epochs that give every run at least ~100 steps (1 when quick)."""
    return 1 if quick else max(3, -(-100 * batch_size // n))


def bench_gpu(quick, repeats):
    """One table: samples/s of ours and of the references at each batch size.

    ``ours`` is ``Autoencoder.fit``, ``ours eager`` the same with
    ``set_config(cuda_graphs=False)``; ``raw loop`` and ``graph loop`` the
    hand-written loops above on the resident standardised tensor,
    ``skorch`` skorch's defaults; runs alternate in one process. Rates are
    of training epochs after the first (median epoch time: the first holds
    the warm-up and capture), the references' likewise; ``ours, whole fit``
    is the fit's rate with everything included (validation, scaling, the
    copy to the device, warm-up and capture), which short fits pay.
    """
    import sklearn_ae

    n = 10_000 if quick else 70_000
    X = gpu_data(n)
    rows = []
    for batch_size in GPU_BATCHES:
        epochs = gpu_epochs(n, batch_size, quick)
        skorch_epochs = 2
        params = dict(hidden_layer_sizes=(1000, 500, 250), n_components=30,
                      batch_size=batch_size)
        est = fit_ours(Autoencoder, X, params, 1, "cuda")
        Xd = model_space(est, X, "cuda")
        steady = {k: [] for k in ("ours", "ours eager", "raw", "graph", "skorch")}

        def ours(key="ours", graphs=True, params=params, epochs=epochs, steady=steady):
            with sklearn_ae.config_context(cuda_graphs=graphs):
                fitted = fit_ours(Autoencoder, X, params, epochs, "cuda")
            steady[key] += list(fitted.net_.history[1:, "dur"])
            return fitted

        def loop(key, fn, batch_size=batch_size, epochs=epochs, Xd=Xd, steady=steady):
            steady[key] += fn(est, Xd, batch_size, epochs)[1:]

        runs = {
            "ours": ours,
            "ours eager": lambda: ours("ours eager", graphs=False),
            "raw": lambda: loop("raw", gpu_raw_loop),
            "graph": lambda: loop("graph", gpu_graph_loop),
            "skorch": lambda bs=batch_size, st=steady: st["skorch"].extend(
                gpu_skorch_default(est, X, bs, skorch_epochs)[1:]
            ),
        }
        times = alternate(runs, repeats)
        rate = {k: n / median(v) for k, v in steady.items()}
        whole = n * epochs / median(times["ours"])
        reason = est.net_.graph_reason_ or "yes"
        rows.append([
            batch_size, epochs, reason, whole, rate["ours"], rate["ours eager"], rate["raw"],
            rate["graph"], rate["skorch"], rate["ours"] / rate["raw"],
            rate["ours"] / rate["graph"], rate["ours"] / rate["skorch"],
        ])
    print(f"{n}x784, 784-1000-500-250-30, fused Adam, float32 (TF32 off); samples/s of "
          "epochs after the first, and of the whole fit\n")
    print_table(
        rows,
        ["batch", "epochs", "graph", "ours, whole fit", "ours", "ours eager", "raw loop",
         "graph loop", "skorch default", "ours / raw", "ours / graph", "ours / skorch"],
    )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=7, help="alternating runs per case")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument(
        "--only", choices=["small", "families", "large", "gpu"], default=None,
        help="run one table only",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = 1 if args.quick else args.repeats
    print(machine(), "\n")
    tables = [
        ("small", "Small data: fit vs the naive raw loop and MLPRegressor", bench_small),
        ("families", "Every family on digits: fit vs a raw loop of the same maths", bench_families),
        ("large", "Large data: fit vs the raw loop, time and peak RSS", bench_large),
    ]
    for key, title, bench in tables:
        if args.only in (None, key):
            print(f"{title} (median of {repeats} alternating runs)\n")
            bench(repeats, args.quick)
    if args.only in (None, "gpu"):
        if torch.cuda.is_available():
            print(f"GPU throughput (median samples/s of {repeats} alternating runs)\n")
            bench_gpu(args.quick, repeats)
        else:
            print("GPU throughput: skipped, CUDA is not available.\n")


if __name__ == "__main__":
    main()
