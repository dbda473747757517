"""The CUDA engine: deferred batch losses, captured steps, pinned copies, precision.

The logic runs on the CPU here (the decision whether a step is captured and
why not, the captured step's dispatch with a stand-in for the graph, the
epoch's losses read once, the ring of host buffers, the precision setting);
what needs a CUDA device (the graph itself, pinned copies on a copy stream,
TF32) is in the tests marked ``gpu``, skipped without one.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

import sklearn_ae
from sklearn_ae import (
    Autoencoder,
    DenoisingAutoencoder,
    DivergenceError,
    SparseAutoencoder,
    VariationalAutoencoder,
    _graph,
    _net,
)
from sklearn_ae._data import HostToDevice, copied, one_ahead, to_device
from sklearn_ae._fast import plain_step
from sklearn_ae._graph import (
    CapturedStep,
    graph_unavailable_reason,
    precision_context,
    tf32_switches,
)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


class _EveryBatch(Callback):
    """A user's callback that reads each batch's loss as the batch ends."""

    def initialize(self):
        self.losses_ = []
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.losses_.append(net.history[-1]["batches"][-1]["train_loss"])


class _EveryEpoch(Callback):
    def on_epoch_end(self, net, **kwargs):
        self.switches_ = tf32_switches()


def _fit(cls=Autoencoder, X=None, **params):
    X = np.random.RandomState(0).normal(size=(70, 6)) if X is None else X
    params = {"n_components": 2, "max_iter": 3, "random_state": 0, **params}
    return cls(**params).fit(X)


# ----------------------------------------------------------------------
# Whether the step is captured, and why not
# ----------------------------------------------------------------------
def test_no_graph_on_the_cpu_and_the_reason_says_so():
    est = _fit()
    assert est.net_.captured_step_ is None
    assert "not on CUDA" in est.net_.graph_reason_


@pytest.mark.parametrize(
    "cls, params, config, reason",
    [
        (Autoencoder, {}, {}, None),
        (Autoencoder, {"loss": "bce", "tied_weights": True}, {}, None),
        (DenoisingAutoencoder, {}, {}, None),
        (Autoencoder, {"trim_fraction": 0.1}, {}, None),
        (Autoencoder, {"callbacks": [_EveryEpoch()]}, {}, None),
        (Autoencoder, {"verbose": 1, "early_stopping": True}, {}, None),
        (Autoencoder, {}, {"enabled": False}, "turned off"),
        (Autoencoder, {}, {"precision": "bf16"}, "bf16"),
        (Autoencoder, {"callbacks": [_EveryBatch()]}, {}, "user_0 act on every batch"),
        (Autoencoder, {"verbose": 2}, {}, "batch_progress act on every batch"),
        (SparseAutoencoder, {}, {}, "takes autograd"),
        (VariationalAutoencoder, {}, {}, "takes autograd"),
        (Autoencoder, {"optimizer": "rmsprop"}, {}, "not a fused"),
    ],
)
def test_graph_decision_as_if_on_cuda(cls, params, config, reason, capsys):
    X = np.random.RandomState(0).uniform(size=(70, 6))
    net = _fit(cls, X, **params).net_
    got = graph_unavailable_reason(net, device_type="cuda", **config)
    if reason is None:
        if not all(group.get("fused") for group in net.optimizer_.param_groups):
            # Fitted on the CPU, the optimizer is fused only where this torch
            # has a fused CPU kernel (2.4 and later); on CUDA it always is.
            assert got == "the optimizer is not a fused Adam, AdamW or SGD"
            pytest.skip("this torch has no fused CPU Adam")
        assert got is None
    else:
        assert reason in got


def test_graph_needs_a_fused_optimizer():
    net = _fit().net_
    if not all(group.get("fused") for group in net.optimizer_.param_groups):
        pytest.skip("this torch has no fused CPU Adam")
    for group in net.optimizer_.param_groups:
        group["fused"] = False
    assert "not a fused" in graph_unavailable_reason(net, device_type="cuda")


# ----------------------------------------------------------------------
# The captured step's dispatch, with a stand-in for the CUDA graph
# ----------------------------------------------------------------------
class _FakeGraph:
    """Replays the captured step eagerly on the captured buffers."""

    def __init__(self, captured):
        self.captured = captured

    def replay(self):
        c = self.captured
        c._loss, c._output = c.step(c._x, c._target)
        c.optimizer.step()


def _fake_capture(self, x, target):
    self._x = x.clone()
    self._target = self._x if target is x else target.clone()
    self._hyper = _graph._hyperparameters(self.optimizer)
    self.graph = _FakeGraph(self)
    self.captures_ = getattr(self, "captures_", 0) + 1


def _module_and_step(seed=0):
    torch.manual_seed(seed)
    est = _fit(max_iter=1)
    module = est.net_.module_
    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
    return module, plain_step(module, est.net_.objective), optimizer


def test_captured_step_dispatch_matches_eager_steps(monkeypatch):
    monkeypatch.setattr(CapturedStep, "_capture", _fake_capture)
    monkeypatch.setattr(CapturedStep, "_side_stream", CapturedStep.eager)
    rng = torch.Generator().manual_seed(0)
    # The 4th step is a partial batch: it runs eagerly, never captured.
    batches = [torch.randn(n, 6, generator=rng) for n in [8, 8, 8, 3] + [8] * 5 + [3]]
    module_a, step_a, opt_a = _module_and_step()
    module_b, step_b, opt_b = _module_and_step()
    module_b.load_state_dict(module_a.state_dict())
    captured = CapturedStep(step_a, opt_a, rows=8, warmup=3)
    losses_a, losses_b = [], []
    for i, xb in enumerate(batches * 2):
        if i == 12:  # a schedule changes the learning rate: captured again
            for opt in (opt_a, opt_b):
                opt.param_groups[0]["lr"] = 5e-3
        loss_a, _ = captured(xb, xb)
        loss_b, _ = step_b(xb, xb)
        opt_b.step()
        losses_a.append(loss_a)
        losses_b.append(loss_b)
    assert captured.captures_ == 2
    # 3 warm-up steps before the first capture (none before the second: the
    # optimizer's state exists), and the four partial batches.
    assert captured.eager_steps_ == 3 + 4
    assert captured._x.shape[0] == 8
    assert captured.replays_ == len(losses_a) - captured.eager_steps_
    # Each loss returned is the caller's own (a replay would overwrite the graph's).
    assert len({id(loss) for loss in losses_a}) == len(losses_a)
    assert torch.equal(torch.stack(losses_a), torch.stack(losses_b))
    for pa, pb in zip(module_a.parameters(), module_b.parameters()):
        assert torch.equal(pa, pb)


def test_failed_capture_leaves_every_step_eager(monkeypatch):
    def failing(self, x, target):
        raise RuntimeError("operation not permitted when stream is capturing")

    monkeypatch.setattr(CapturedStep, "_capture", failing)
    monkeypatch.setattr(CapturedStep, "_side_stream", CapturedStep.eager)
    _, step, optimizer = _module_and_step()
    captured = CapturedStep(step, optimizer, rows=4, warmup=1)
    for _ in range(4):
        loss, _ = captured(torch.ones(4, 6), torch.ones(4, 6))
        assert torch.isfinite(loss)
    assert "capture failed" in captured.failure_
    assert captured.eager_steps_ == 4 and captured.replays_ == 0


def test_capture_marks_groups_capturable_only_while_capturing():
    _, _, optimizer = _module_and_step()
    with _graph._capturable(optimizer):
        assert all(group["capturable"] for group in optimizer.param_groups)
    assert not any(group["capturable"] for group in optimizer.param_groups)


# ----------------------------------------------------------------------
# The epoch's batch losses, read once
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, params",
    [
        (Autoencoder, {}),
        (Autoencoder, {"early_stopping": True}),
        (VariationalAutoencoder, {}),
        (DenoisingAutoencoder, {"batch_size": 16}),
    ],
)
def test_epoch_losses_read_once_equal_per_batch_items(cls, params, monkeypatch):
    calls = []
    record = _net.record_batch_losses
    monkeypatch.setattr(
        _net, "record_batch_losses", lambda *a: calls.append(len(a[2])) or record(*a)
    )
    deferred = _fit(cls, **params)
    assert calls, "the deferred loop did not run"
    calls.clear()
    every_batch = _EveryBatch()
    per_batch = _fit(cls, callbacks=[every_batch], **params)
    assert not calls, "a per-batch callback must get skorch's loop"
    assert deferred.loss_curve_ == per_batch.loss_curve_
    rows = [[{k: v for k, v in b.items()} for b in e["batches"]] for e in deferred.net_.history]
    rows_ref = [e["batches"] for e in per_batch.net_.history]
    assert rows == rows_ref
    assert every_batch.losses_ == [
        b["train_loss"] for e in per_batch.net_.history for b in e["batches"] if "train_loss" in b
    ]
    for a, b in zip(deferred.net_.module_.parameters(), per_batch.net_.module_.parameters()):
        assert torch.equal(a, b)


def test_losses_of_an_unfinished_pass_fill_only_finished_batches():
    history = _net._History()
    history.new_epoch()
    history.new_batch()
    history.record_batch("train_loss", 1.0)  # an earlier pass's row
    for _ in range(3):  # this pass: three batches begun, two finished
        history.new_batch()
    losses = [torch.tensor(0.5), torch.tensor(0.25, dtype=torch.float32)]
    _net.record_batch_losses(history, "valid", losses, [4, 2], begun=3)
    rows = history[-1]["batches"]
    assert rows[0] == {"train_loss": 1.0}
    assert rows[1] == {"valid_loss": 0.5, "valid_batch_size": 4}
    assert rows[2] == {"valid_loss": 0.25, "valid_batch_size": 2}
    assert rows[3] == {}


def test_nan_loss_still_raises_divergence_error(small_X):
    est = Autoencoder(
        n_components=2, optimizer="sgd", learning_rate_init=1e8, max_iter=20, random_state=0
    )
    with pytest.raises(DivergenceError, match=r"epoch \d+"):
        est.fit(small_X * 1e3)


# ----------------------------------------------------------------------
# Host batches through a ring of buffers
# ----------------------------------------------------------------------
def test_ring_of_buffers_yields_the_same_batches_in_order():
    rng = torch.Generator().manual_seed(0)
    host = [torch.randn(5, 4, generator=rng) for _ in range(7)]
    host += [torch.randn(2, 4, generator=rng), torch.randn(5, 4, dtype=torch.float64)]
    h2d = HostToDevice("cpu", n_slots=2, ring=True)
    # Kept alive together, more batches than buffers: none aliases a buffer.
    got = [pending.get() for pending in one_ahead(h2d.start(t) for t in host)]
    assert len(got) == len(host)
    for a, b in zip(got, host):
        assert a.dtype == b.dtype and torch.equal(a, b)
        assert a.data_ptr() != b.data_ptr()
    assert not h2d.overlaps


def test_one_ahead_produces_the_next_item_before_yielding():
    log = []

    def items():
        for i in range(3):
            log.append(("made", i))
            yield i

    for i in one_ahead(items()):
        log.append(("used", i))
    assert log == [("made", 0), ("made", 1), ("used", 0), ("made", 2), ("used", 1), ("used", 2)]
    assert list(one_ahead(iter([]))) == []


def test_copies_on_the_cpu_are_the_batches_themselves():
    host = [torch.arange(6.0).view(3, 2), torch.ones(1, 2)]
    got = list(copied(iter(host), torch.device("cpu")))
    assert all(a is b for a, b in zip(got, host))
    assert to_device(host[0], "cpu") is host[0]


# ----------------------------------------------------------------------
# Precision
# ----------------------------------------------------------------------
def test_precision_is_float32_and_graphs_on_by_default():
    config = sklearn_ae.get_config()
    assert config["precision"] == "float32"
    assert config["cuda_graphs"] is True


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"precision": "fp16"}, "precision must be one of"),
        ({"precision": 32}, "precision must be one of"),
        ({"cuda_graphs": 1}, "cuda_graphs must be a bool"),
    ],
)
def test_precision_and_graph_settings_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sklearn_ae.set_config(**kwargs)
    assert sklearn_ae.get_config()["precision"] == "float32"


def test_config_context_restores_precision():
    with sklearn_ae.config_context(precision="tf32", cuda_graphs=False):
        assert sklearn_ae.get_config()["precision"] == "tf32"
        assert sklearn_ae.get_config()["cuda_graphs"] is False
    assert sklearn_ae.get_config()["precision"] == "float32"
    assert sklearn_ae.get_config()["cuda_graphs"] is True


@pytest.mark.parametrize(
    "precision, expected", [("float32", False), ("tf32", True), ("bf16", True)]
)
def test_precision_context_sets_cuda_switches_and_restores_them(precision, expected):
    before = tf32_switches()
    with precision_context(precision, "cuda"):
        inside = tf32_switches()
    assert tf32_switches() == before
    assert all((s in (True, "tf32")) == expected for s in inside)


def test_precision_never_touches_the_cpu():
    before = tf32_switches()
    with precision_context("tf32", "cpu"):
        assert tf32_switches() == before
    seen = _EveryEpoch()
    with sklearn_ae.config_context(precision="tf32"):
        est = _fit(callbacks=[seen])
    assert seen.switches_ == before == tf32_switches()
    assert est.net_.autocast_ is False
    assert est.loss_curve_ == _fit().loss_curve_  # the CPU result is unchanged


# ----------------------------------------------------------------------
# On CUDA (skipped without a device). These are the only checks of the
# graph itself, of pinned copies on a copy stream and of TF32/bf16.
# ----------------------------------------------------------------------
def _cuda_X(n=1000, d=20):
    return np.random.RandomState(0).normal(size=(n, d)).astype(np.float32)


def _weights(est):
    return [p.detach().cpu() for p in est.net_.module_.parameters()]


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize(
    "cls, params",
    [(Autoencoder, {}), (Autoencoder, {"trim_fraction": 0.1, "tied_weights": True}),
     (DenoisingAutoencoder, {})],
)
def test_cuda_graph_agrees_with_eager(cls, params):
    X = _cuda_X()
    params = dict(params, device="cuda", batch_size=64, max_iter=4)  # 1000 rows: a partial batch
    graph = _fit(cls, X, **params)
    assert graph.net_.graph_reason_ is None
    captured = graph.net_.captured_step_
    assert captured.failure_ is None
    # 15 full batches and one partial an epoch: 3 warm-up steps, 4 partial.
    assert captured.replays_ == 4 * 15 - 3 and captured.eager_steps_ == 3 + 4
    with sklearn_ae.config_context(cuda_graphs=False):
        eager = _fit(cls, X, **params)
    assert eager.net_.captured_step_ is None
    # The same kernels, launched from a graph or one by one: float32 rounding
    # at most (bitwise in practice), over 64 steps.
    np.testing.assert_allclose(graph.loss_curve_, eager.loss_curve_, rtol=1e-4)
    for a, b in zip(_weights(graph), _weights(eager)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("cuda_graphs", [True, False])
def test_seeded_cuda_fit_is_reproducible(cuda_graphs):
    X = _cuda_X()
    with sklearn_ae.config_context(cuda_graphs=cuda_graphs):
        a = _fit(X=X, device="cuda", batch_size=64, max_iter=3)
        b = _fit(X=X, device="cuda", batch_size=64, max_iter=3)
    assert a.loss_curve_ == b.loss_curve_
    for wa, wb in zip(_weights(a), _weights(b)):
        assert torch.equal(wa, wb)


@pytest.mark.gpu
@needs_cuda
def test_cuda_streamed_batches_through_pinned_buffers_match_resident():
    X = _cuda_X()
    resident = _fit(X=X, device="cuda", batch_size=64)
    with sklearn_ae.config_context(device_memory_budget=0):
        streamed = _fit(X=X, device="cuda", batch_size=64)
    assert resident.loss_curve_ == streamed.loss_curve_


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_inference_through_the_ring_equals_batch_by_batch_calls(dtype):
    # One call copies 16 batches through the ring of pinned buffers, each
    # a batch ahead; calls of one batch each cannot mix batches up. Rows
    # are independent of the rest of their batch (same batch shape), so
    # the two agree bitwise.
    X = _cuda_X().astype(dtype)
    est = _fit(X=X, device="cuda")
    with sklearn_ae.config_context(inference_batch_size=64):
        codes = est.transform(X)
        methods = {
            "transform": (codes, est.transform, X),
            "score_samples": (est.score_samples(X), est.score_samples, X),
            "inverse_transform": (est.inverse_transform(codes), est.inverse_transform, codes),
        }
        for name, (whole, method, data) in methods.items():
            parts = np.concatenate([method(data[i : i + 64]) for i in range(0, len(data), 64)])
            np.testing.assert_array_equal(whole, parts, err_msg=name)


@pytest.mark.gpu
@needs_cuda
def test_cuda_bf16_trains_under_autocast_and_restores_switches():
    before = tf32_switches()
    seen = _EveryEpoch()
    with sklearn_ae.config_context(precision="bf16"):
        est = _fit(X=_cuda_X(), device="cuda", callbacks=[seen])
    assert est.net_.autocast_ is True
    assert "bf16" in est.net_.graph_reason_
    assert all(s in (True, "tf32") for s in seen.switches_)
    assert tf32_switches() == before
    assert np.isfinite(est.loss_curve_).all()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
@pytest.mark.parametrize("script", [["bench_fit.py", "--only", "gpu"], ["gpu_check.py"]])
def test_gpu_benchmarks_say_they_skip_without_cuda(script):
    repo = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, str(repo / "benchmarks" / script[0]), *script[1:], "--quick"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    assert result.returncode == 0, result.stderr
    assert "skipped, CUDA is not available" in result.stdout


@pytest.mark.gpu
@needs_cuda
def test_cuda_resident_copy_in_pinned_chunks_is_exact():
    host = torch.randn(1001, 37, dtype=torch.float32)
    for chunk_bytes in (1, 37 * 4 * 10 + 3, 1 << 25):
        assert torch.equal(to_device(host, "cuda", chunk_bytes).cpu(), host)


def test_a_fitted_net_pickles_without_its_captured_step():
    net = _fit().net_
    net.captured_step_ = object()  # stands for a CUDA graph, which cannot pickle
    copy = pickle.loads(pickle.dumps(net))
    assert copy.captured_step_ is None
    # The generators travel as their states (torch < 2.3 cannot pickle one).
    for name in ("shuffle_generator_", "noise_generator_"):
        assert torch.equal(getattr(copy, name).get_state(), getattr(net, name).get_state())
    assert copy.history[-1]["train_loss"] == net.history[-1]["train_loss"]
