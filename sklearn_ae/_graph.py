"""The CUDA side of the training engine: captured steps and precision.

- :func:`graph_unavailable_reason` decides whether a net's training step
  can be captured as a CUDA graph, and otherwise says why not, in words
  (kept on the net as ``graph_reason_``).
- :class:`CapturedStep` runs the autograd-free step of :mod:`._fast` and the
  optimizer's step as one CUDA graph for the full batches: a few eager
  warm-up steps on a side stream (the optimizer's state is created), one
  capture on a full batch, then each full batch is copied into the graph's
  input buffer and the graph replayed. Other batches (the last, partial
  one) run eagerly on the same parameters and optimizer state, which both
  update in place; a change of the optimizer's hyperparameters (a
  learning-rate schedule) makes it capture again; a capture that fails
  leaves every later step eager, with the error as the reason.
- :func:`precision_context` sets torch's TF32 switches for CUDA while a
  fit or an inference call runs (``set_config(precision=...)``) and
  restores them; on the CPU nothing is touched.

Only a CUDA device exercises the graph itself; the decision, the fallback
and the eager steps run everywhere (``tests/test_gpu_engine.py``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager

import torch
from skorch.callbacks import Callback

#: Optimizers whose fused CUDA kernel keeps all its state on the device, so
#: that its step can be captured.
_CAPTURABLE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)

#: Callback events that run on every batch: a callback listening to one of
#: them needs the batch's values (or its timing) as each batch ends.
BATCH_EVENTS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def per_batch_callbacks(callbacks):
    """Names of the ``(name, callback)`` pairs that listen to a batch event."""
    names = []
    for name, cb in callbacks:
        for event in BATCH_EVENTS:
            own = getattr(type(cb), event, None)
            if own is not None and own is not getattr(Callback, event):
                names.append(name)
                break
    return names


def graph_unavailable_reason(net, *, enabled=True, precision="float32", device_type=None):
    """Why ``net``'s training step cannot be captured as a CUDA graph, or None.

    Parameters
    ----------
    net : AutoencoderNet, initialised
    enabled : bool
        The ``cuda_graphs`` setting.
    precision : str
        The ``precision`` setting.
    device_type : str or None
        The training device's type; None reads it from ``net``.

    Returns
    -------
    reason : str or None
        None when the step is captured, else a sentence naming the cause.
    """
    if device_type is None:
        device_type = torch.device(net._training_device()).type
    if device_type != "cuda":
        return f"training runs on {device_type!r}, not on CUDA"
    if not enabled:
        return "CUDA graphs are turned off (set_config(cuda_graphs=False))"
    if precision == "bf16":
        return "precision='bf16' trains through autograd under autocast"
    if net.skorch_steps:
        return f"{type(net).__name__} runs skorch's own training steps"
    listeners = per_batch_callbacks(net.callbacks_)
    if listeners:
        return f"callback(s) {', '.join(listeners)} act on every batch"
    if net.fast_step_ is None:
        return (
            "the step takes autograd (a code penalty, sampling, top-k codes, a "
            "convolutional or custom module or objective)"
        )
    optimizer = net.optimizer_
    if type(optimizer) not in _CAPTURABLE_OPTIMIZERS or not all(
        group.get("fused") for group in optimizer.param_groups
    ):
        return "the optimizer is not a fused Adam, AdamW or SGD"
    return None


def _hyperparameters(optimizer):
    """The optimizer's settings a captured step has baked in, comparable.

    Read before every replay: the values of each group in its own key
    order (a dict keeps the order its keys were set in), without sorting.
    """
    return [
        [value for key, value in group.items() if key != "params"]
        for group in optimizer.param_groups
    ]


@contextmanager
def _capturable(optimizer):
    """The optimizer's groups marked ``capturable`` (for the capture's checks).

    The fused kernels compute the same whatever the flag (their state is
    on the device); torch refuses to capture a step whose group is not
    marked. Restored afterwards, so that a saved model loads on the CPU.
    """
    old = [group.get("capturable") for group in optimizer.param_groups]
    for group in optimizer.param_groups:
        if "capturable" in group:
            group["capturable"] = True
    try:
        yield
    finally:
        for group, flag in zip(optimizer.param_groups, old):
            if flag is not None:
                group["capturable"] = flag


class CapturedStep:
    """A fast step and the optimizer's step, replayed as one CUDA graph.

    Parameters
    ----------
    step : PlainStep
        ``step(x, target) -> (loss, output)``, writing the gradients.
    optimizer : torch.optim.Optimizer
        A fused Adam, AdamW or SGD over the step's parameters.
    rows : int
        The rows of a full batch: only batches of this many rows are
        captured and replayed.
    warmup : int
        Eager steps on full batches before the capture (on a side stream).

    Attributes
    ----------
    failure_ : str or None
        Why the capture failed (every step is then eager), or None.
    replays_ : int
        Steps run by replaying the graph.
    eager_steps_ : int
        Steps run eagerly (warm-up, other batch shapes).
    """

    def __init__(self, step, optimizer, rows, *, warmup=3):
        self.step = step
        self.optimizer = optimizer
        self.rows = rows
        self.warmup = warmup
        self.graph = None
        self.failure_ = None
        self.replays_ = 0
        self.eager_steps_ = 0
        self._warm = 0

    def eager(self, x, target):
        """One step without a graph: gradients, then the optimizer's step."""
        self.eager_steps_ += 1
        loss, output = self.step(x, target)
        self.optimizer.step()
        return loss, output

    def __call__(self, x, target):
        """One training step on ``(x, target)``; returns ``(loss, output)``.

        The loss returned is the caller's own tensor (a replay would
        overwrite the graph's); the output is the graph's, valid until the
        next step.
        """
        if x.shape[0] != self.rows or self.failure_ is not None:
            return self.eager(x, target)  # a last, partial batch
        if self.graph is not None and (
            x.shape != self._x.shape or _hyperparameters(self.optimizer) != self._hyper
        ):  # new hyperparameters (a schedule): capture again
            self.graph, self._warm = None, self.warmup
        if self.graph is None:
            if self._warm < self.warmup:
                self._warm += 1
                return self._side_stream(x, target)
            try:
                self._capture(x, target)
            except RuntimeError as exc:  # e.g. an operation a graph cannot hold
                self.failure_ = f"the capture failed ({exc})"
                self.graph = None
                return self.eager(x, target)
        self._x.copy_(x)
        if self._target is not self._x:
            self._target.copy_(target)
        self.graph.replay()
        self.replays_ += 1
        return self._loss.clone(), self._output

    def _side_stream(self, x, target):
        current = torch.cuda.current_stream()
        stream = torch.cuda.Stream()
        stream.wait_stream(current)
        with torch.cuda.stream(stream):
            loss, output = self.eager(x, target)
        current.wait_stream(stream)
        return loss, output

    def _capture(self, x, target):
        """Capture the step on copies of ``(x, target)`` (not yet run)."""
        self._x = x.clone()
        self._target = self._x if target is x else target.clone()
        self._hyper = _hyperparameters(self.optimizer)
        graph = torch.cuda.CUDAGraph()
        # thread_local: fits in other threads may allocate meanwhile.
        with _capturable(self.optimizer), torch.cuda.graph(
            graph, capture_error_mode="thread_local"
        ):
            self._loss, self._output = self.step(self._x, self._target)
            self.optimizer.step()
        self.graph = graph


@contextmanager
def precision_context(precision, device_type):
    """Torch's TF32 switches as ``precision`` asks, while training on ``device_type``.

    ``"float32"`` turns TF32 off for matrix products and convolutions
    (torch allows it for cuDNN convolutions by default), ``"tf32"`` and
    ``"bf16"`` turn it on; the previous switches are restored on exit. On a
    device other than CUDA nothing is touched.
    """
    if device_type != "cuda":
        yield
        return
    with _tf32(precision != "float32"):
        yield


@contextmanager
def _tf32(enabled):
    """Set CUDA's TF32 switches (matmul, cuDNN convolutions), restore them on exit."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(conv, "conv"):
        # torch >= 2.9: one API, which refuses to be mixed with the legacy one.
        targets = [(matmul, "fp32_precision"), (conv.conv, "fp32_precision")]
        value = "tf32" if enabled else "ieee"
    else:
        targets = [(matmul, "allow_tf32"), (conv, "allow_tf32")]
        value = bool(enabled)
    old = [getattr(obj, name) for obj, name in targets]
    for obj, name in targets:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for (obj, name), before in zip(targets, old):
            setattr(obj, name, before)


def tf32_switches():
    """The current TF32 switches of CUDA, for tests and reports."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(conv, "conv"):
        return matmul.fp32_precision, conv.conv.fp32_precision
    return matmul.allow_tf32, conv.allow_tf32
