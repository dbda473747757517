"""The skorch side: the training engine, its policy and its state.

Everything about *how* a module is trained lives here, so that estimators
only say *what* is trained:

- :func:`build_net` assembles an :class:`AutoencoderNet`: the optimizer (and
  its fastest kernels), the callbacks (divergence guard, early stopping,
  the user's own), the seeded generators, and the net class (a hook for
  skorch's ``AccelerateMixin`` and the like).
- :class:`AutoencoderNet` overrides the hooks skorch documents as safe to
  override: ``get_loss`` (the estimator's objective: reconstruction,
  penalties, KL), ``get_iterator`` (batches sliced from a tensor, optionally
  corrupted), ``infer`` (a module that samples draws from the fit's own
  generator), ``train_step_single`` (the autograd-free step of ``_fast.py``
  where it applies, skorch's step elsewhere) and ``get_default_callbacks``
  (skorch's defaults at a lower cost per epoch). Beyond those, for speed,
  it overrides ``train_step`` (skorch's, without the closure no built-in
  optimizer needs), ``notify`` (only the callbacks that define a
  notification are called, looked up once per fit by ``_listeners``) and
  ``run_single_epoch`` (the batch losses kept as tensors and read once at
  the epoch's end, see below), which skorch does not list as safe:
  ``tests/test_net.py`` and ``tests/test_gpu_engine.py`` pin that they do
  what skorch's do; re-check them when skorch moves.
- The CUDA engine: a batch's loss is never read on its own (skorch's
  ``loss.item()`` per batch waits for the device): the epoch's losses are
  read in one transfer when it ends and written into the history's batch
  rows, the same floats ``item()`` gives, so the history, the epoch means
  and the divergence check are unchanged (on every device; a callback that
  acts on every batch gets skorch's loop instead). The autograd-free step
  and the optimizer's are captured as a CUDA graph where
  ``_graph.graph_unavailable_reason`` allows it (``graph_reason_`` says
  why not); ``set_config(precision=...)`` sets TF32 or bf16 autocast for
  the fit.
- :meth:`AutoencoderNet.get_training_state` / ``set_training_state`` hold
  the whole training state as plain values and arrays (weights, optimizer
  state, generators, stopping state, history): pickling keeps it, and a
  failed ``fit`` is rolled back with it.

skorch swallows every KeyboardInterrupt, a user's Ctrl-C and the one early
stopping raises alike; ``interrupted_`` tells them apart afterwards. The
estimator never touches batches; this module never touches pandas.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import functools

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, PrintLog
from skorch.dataset import get_len, unpack_data
from skorch.helper import predefined_split
from skorch.utils import TeeGenerator
from torch.utils.data import DataLoader

from ._callbacks import (
    BatchProgress,
    EpochCompleted,
    EpochGuard,
    Stopper,
    _EpochMeanLoss,
    _History,
    _Schedule,
    console_print,
)
from ._config import get_config
from ._data import ArrayDataset, StreamedRowsDataset, _Batches, _BatchStream
from ._fast import plain_step
from ._graph import CapturedStep, graph_unavailable_reason, precision_context
from ._state import (
    _arrays_to_tensors,
    _optimizer_state_from_plain,
    _optimizer_state_to_plain,
    _plain,
    _tensors_to_arrays,
)
from ._threads import forward_work, thread_budget

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

#: Optimizers whose ``step`` needs no closure (the built-in ones).
_CLOSURE_FREE = tuple(OPTIMIZERS.values())

#: Built-in optimizers with a fused kernel (one kernel for all parameters),
#: on the CPU and on CUDA.
_FUSED = {"adam", "adamw", "sgd"}


def _optimizer_speedups(name, device):
    """Keyword arguments selecting a built-in optimizer's fastest kernels.

    Fused kernels where torch has one (Adam, AdamW, SGD, on the CPU and on
    CUDA), else the ``foreach`` (multi-tensor) implementation; both measured
    faster per fit than torch's default loop over parameters (see
    ``benchmarks/README.md``). Neither changes the maths; the fused kernel
    rounds differently, within float32 precision of the others.
    """
    if name in _FUSED and _has_fused_kernel(name, torch.device(device).type):
        return {"optimizer__fused": True}
    return {"optimizer__foreach": True}


@functools.lru_cache(maxsize=None)
def _has_fused_kernel(name, device_type):
    """Whether the installed torch has a fused ``name`` kernel for this device.

    Fused kernels came to torch by device and optimizer over releases (the
    CPU's in 2.4): asked of torch itself, by building one on a one-value
    parameter, rather than by version.
    """
    try:
        param = torch.zeros(1, device=device_type, requires_grad=True)
        OPTIMIZERS[name]([param], lr=0.1, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


class AutoencoderNet(NeuralNet):
    """A skorch ``NeuralNet`` trained to reconstruct its input.

    Parameters
    ----------
    module : nn.Module
        Must return a dict from ``forward(x, generator=None)`` that
        ``objective`` understands.
    objective : callable
        ``objective(output, target, x=..., module=..., epoch=...,
        generator=...)`` returning ``(loss, terms)`` where ``terms`` maps
        names to scalar tensors that are averaged per epoch into the history.
    corruption : callable or None
        ``corruption(x_batch, generator) -> x_noisy`` applied to training
        batches only; the target stays the clean batch.
    shuffle_seed : int
        Seed of the generator that orders the training rows each epoch.
    noise_seed : int
        Seed of the generator, on the training device, of every other draw
        of training: corruption, the VAE's epsilon, random projections.
    validation : bool
        Whether epochs are scored on a validation set (``train_split`` is
        then set for each call of ``partial_fit``).
    fast : bool
        Whether training steps may take the autograd-free step of
        :mod:`sklearn_ae._fast` where it applies (the module and objective
        decide); False always runs skorch's step (autograd).
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self,
        module,
        *,
        objective,
        corruption=None,
        shuffle_seed=0,
        noise_seed=0,
        validation=False,
        fast=True,
        **kwargs,
    ):
        super().__init__(module, criterion=torch.nn.MSELoss, **kwargs)
        self.objective = objective
        self.corruption = corruption
        self.shuffle_seed = shuffle_seed
        self.noise_seed = noise_seed
        self.validation = validation
        self.fast = fast

    #: Whether ``get_iterator`` wraps the batches in a ``DataLoader`` (for
    #: skorch's ``AccelerateMixin``, which prepares DataLoaders); the plain
    #: loop iterates them directly, without the DataLoader's per-batch cost.
    iterator_as_dataloader = False
    #: Whether training runs skorch's own ``train_step``/``train_step_single``
    #: (a mixin such as ``AccelerateMixin`` that overrides them needs them).
    skorch_steps = False

    def initialize(self):
        super().initialize()
        return self._initialize_training()

    def _training_device(self):
        """The device training batches and the module live on."""
        return self.device

    def _initialize_training(self):
        """This net's own training state: generators, terms, the fast step."""
        self.shuffle_generator_ = torch.Generator().manual_seed(self.shuffle_seed)
        self.noise_generator_ = torch.Generator(device=self._training_device()).manual_seed(
            self.noise_seed
        )
        self.term_sums_, self.term_count_ = {}, 0
        self.objective_terms_ = []
        fast = self.fast and not self.skorch_steps
        self.fast_step_ = plain_step(self.module_, self.objective) if fast else None
        self.captured_step_ = None
        self.graph_reason_ = None
        self.autocast_ = False
        return self

    def _prepare_steps(self, config, n_rows):
        """This call's step: captured, eager, or autograd under autocast.

        Sets ``graph_reason_`` (None when the step is captured as a CUDA
        graph) and ``autocast_`` (bf16 autocast of the autograd step) from
        the ``cuda_graphs`` and ``precision`` settings ``config`` holds;
        ``n_rows`` training rows make the full batch's size.
        """
        cuda = torch.device(self._training_device()).type == "cuda"
        self.autocast_ = cuda and config["precision"] == "bf16" and not self.skorch_steps
        self.graph_reason_ = graph_unavailable_reason(
            self, enabled=config["cuda_graphs"], precision=config["precision"]
        )
        rows = max(1, min(self.batch_size, n_rows))
        if self.graph_reason_ is not None:
            self.captured_step_ = None
        elif self.captured_step_ is None or not (
            self.captured_step_.step is self.fast_step_
            and self.captured_step_.optimizer is self.optimizer_
            and self.captured_step_.rows == rows
        ):
            self.captured_step_ = CapturedStep(self.fast_step_, self.optimizer_, rows)
        if cuda and self.verbose:
            console_print(f"CUDA graph: {self.graph_reason_ or 'the training step is captured'}")
        return self

    def _fast_step(self):
        """The autograd-free step this call trains with, or None (autograd)."""
        return None if self.autocast_ else self.fast_step_

    # ------------------------------------------------------------------
    # Driving training
    # ------------------------------------------------------------------
    def train_epochs(self, train_ds, valid_ds=None, *, epochs, stopping=True):
        """Train ``epochs`` more epochs, continuing from the current state.

        Parameters
        ----------
        train_ds, valid_ds : ArrayDataset or StreamedRowsDataset
            The training rows, and the validation rows or None.
        epochs : int
        stopping : bool
            Whether early stopping may end training before ``epochs``.

        Raises
        ------
        KeyboardInterrupt
            When the user interrupted training (not early stopping).
        """
        self.train_split = predefined_split(valid_ds) if valid_ds is not None else None
        if not self.initialized_:
            self.initialize()
        self.stopper_.active = stopping
        config = get_config()
        device_type = torch.device(self._training_device()).type
        try:
            with thread_budget(forward_work(self.module_, self.batch_size)), precision_context(
                config["precision"], device_type
            ):
                self._prepare_steps(config, len(train_ds))
                self.partial_fit(train_ds, None, epochs=epochs)
        finally:
            self.train_split = None  # holds no validation tensor after training
        if self.interrupted_:
            # skorch swallows KeyboardInterrupt; a user's interrupt (unlike
            # early stopping's) must reach the caller.
            raise KeyboardInterrupt(
                f"training was interrupted during epoch {len(self.history)}."
            )
        self.module_.eval()
        return self

    @property
    def stopper_(self):
        return dict(self.callbacks_)["early_stopping"]

    @property
    def stopped_early_(self):
        """Whether early stopping (ours, or a skorch one the user passed) ended training."""
        return self.stopper_.stopped_ or any(
            isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
            for _, cb in self.callbacks_
        )

    @property
    def interrupted_(self):
        """Whether a KeyboardInterrupt other than early stopping's ended training.

        skorch swallows every KeyboardInterrupt. An epoch that was begun but
        never reached the ``EpochCompleted`` callback, which runs after all
        others, was cut short: by early stopping, or else by the user.
        """
        completed = getattr(self, "epochs_completed_", len(self.history))
        return completed < len(self.history) and not self.stopped_early_

    # ------------------------------------------------------------------
    # skorch hooks
    # ------------------------------------------------------------------
    def get_default_callbacks(self):
        # skorch's defaults, made cheaper for small data where the epoch
        # itself takes a millisecond: PrintLog formats a table every epoch
        # even when nothing is printed, and PassthroughScoring averages the
        # batch losses through the history's slower indexing.
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", _EpochMeanLoss(name="train_loss", on_train=True)),
        ]
        if self.validation:
            callbacks.append(("valid_loss", _EpochMeanLoss(name="valid_loss")))
        if self.verbose:
            callbacks.append(("print_log", PrintLog(sink=console_print)))
        if self.verbose >= 2:
            callbacks.append(("batch_progress", BatchProgress()))
        return callbacks

    def get_iterator(self, dataset, training=False):
        if not isinstance(dataset, (ArrayDataset, StreamedRowsDataset)):
            return super().get_iterator(dataset, training=training)
        batches = _Batches(self, dataset, training)
        if self.iterator_as_dataloader:
            # Each item of the stream is a whole batch: no collation.
            return DataLoader(_BatchStream(batches), batch_size=None)
        return batches

    def initialize_history(self):
        if self.history_ is None:
            self.history_ = _History()
        else:
            self.history_.clear()
        return self

    def notify(self, method_name, **cb_kwargs):
        # skorch's notify, calling only the callbacks that implement the
        # method (the others inherit Callback's no-op): on small data the
        # no-op calls, five rounds per step over every callback, cost as
        # much as the step's arithmetic.
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._listeners(method_name):
            getattr(cb, method_name)(self, **cb_kwargs)

    def _listeners(self, method_name):
        callbacks = self.callbacks_
        cache = self.__dict__.get("_listener_cache")
        if cache is None or cache[0] is not callbacks or len(cache[1]) != len(callbacks):
            cache = (callbacks, [cb for _, cb in callbacks], {})
            self.__dict__["_listener_cache"] = cache
        listeners = cache[2].get(method_name)
        if listeners is None:
            no_op = getattr(Callback, method_name, None)
            listeners = [
                cb
                for cb in cache[1]
                if no_op is None or getattr(type(cb), method_name, None) is not no_op
            ]
            cache[2][method_name] = listeners
        return listeners

    def train_step(self, batch, **fit_params):
        if (
            self.skorch_steps
            or self._optimizers != ["optimizer"]
            or self.optimizer not in _CLOSURE_FREE
        ):
            return super().train_step(batch, **fit_params)
        # skorch's train_step without the closure, which no built-in
        # optimizer needs (the same operations, in the same order). The
        # fast step writes each gradient rather than accumulating it: no
        # zeroing pass then.
        if self.captured_step_ is not None and not fit_params:
            return self._captured_train_step(batch)
        if self._fast_step() is None or fit_params:
            self.optimizer_.zero_grad()
        step = self.train_step_single(batch, **fit_params)
        if self._listeners("on_grad_computed"):
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        self.optimizer_.step()
        return step

    def _captured_train_step(self, batch):
        """A step through the captured graph (the fast step, then the optimizer's)."""
        if self.captured_step_.step is not self.fast_step_ or self.fast_step_.module is not (
            self.module_
        ):  # re-initialised since
            self.fast_step_ = plain_step(self.module_, self.objective)
            self.captured_step_ = CapturedStep(
                self.fast_step_, self.optimizer_, self.captured_step_.rows
            )
        xb, yb = batch
        loss, y_pred = self.captured_step_(xb, yb)
        if self.captured_step_.failure_ is not None:
            self.graph_reason_ = self.captured_step_.failure_
        return {"loss": loss, "y_pred": y_pred}

    def train_step_single(self, batch, **fit_params):
        if self._fast_step() is None or fit_params:
            if self.skorch_steps or not self.module_.training:
                return super().train_step_single(batch, **fit_params)
            # skorch's step, without setting train mode again on every
            # step (a walk of the whole module tree) when it is set.
            xb, yb = unpack_data(batch)
            if self.autocast_:  # precision="bf16": the forward pass in bfloat16
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    y_pred = self.infer(xb, **fit_params)
                    loss = self.get_loss(y_pred, yb, X=xb, training=True)
            else:
                y_pred = self.infer(xb, **fit_params)
                loss = self.get_loss(y_pred, yb, X=xb, training=True)
            loss.backward()
            return {"loss": loss, "y_pred": y_pred}
        if self.fast_step_.module is not self.module_:  # re-initialised since
            self.fast_step_ = plain_step(self.module_, self.objective)
            return self.train_step_single(batch)
        xb, yb = batch
        loss, y_pred = self.fast_step_(xb, yb)
        return {"loss": loss, "y_pred": y_pred}

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop, except that the batch losses are read once, when
        # the epoch ends (one transfer instead of a wait for the device per
        # batch), and written into the batch rows the net's on_batch_begin
        # made, the same floats as skorch's per-batch ``item()``. A
        # callback acting on every batch may read them as each batch ends:
        # skorch's loop then.
        if (
            iterator is None
            or self.skorch_steps
            or self._listeners("on_batch_begin")
            or self._listeners("on_batch_end")
        ):
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        losses, sizes, begun = [], [], 0
        try:
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                begun += 1
                step = step_fn(batch, **fit_params)
                losses.append(step["loss"].detach().reshape(()))  # as item() reads it
                sizes.append(get_len(batch[0]) if isinstance(batch, (tuple, list))
                             else get_len(batch))
                self.notify("on_batch_end", batch=batch, training=training, **step)
        finally:
            # Also when the epoch is cut short: the batches done are recorded.
            record_batch_losses(self.history, prefix, losses, sizes, begun)
        self.history.record(prefix + "_batch_count", len(losses))

    def infer(self, x, **fit_params):
        # A module that samples in training (the VAE) draws from the fit's
        # own generator, never torch's process-wide one.
        if self.module_.training:
            fit_params.setdefault("generator", self.noise_generator_)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss, terms = self.objective(
            y_pred,
            y_true,
            x=X,
            module=self.module_,
            epoch=len(self.history),
            generator=self.noise_generator_,
        )
        if training and terms:
            n = y_true.shape[0]
            self.term_count_ += n
            for name, value in terms.items():
                acc = self.term_sums_.get(name)
                value = value.detach() * n
                self.term_sums_[name] = value if acc is None else acc + value
        return loss

    # ------------------------------------------------------------------
    # The whole training state, as plain values and arrays
    # ------------------------------------------------------------------
    def get_training_state(self, *, history=True):
        """Everything training needs to continue, as plain values and arrays.

        Weights, optimizer state, both generators' states, the early
        stopping state, the batch size and (if ``history``) the history as
        plain lists and dicts. Holds no pickled object, so skops can load it
        without trusting anything beyond plain types and arrays.
        """
        state = {
            "module": _tensors_to_arrays(self.module_.state_dict()),
            "optimizer": _optimizer_state_to_plain(self.optimizer_.state_dict()),
            "shuffle_generator": self.shuffle_generator_.get_state().numpy().copy(),
            "noise_generator": self.noise_generator_.get_state().numpy().copy(),
            "noise_device": self.noise_generator_.device.type,
            "stopper": self.stopper_.get_state(),
            "batch_size": int(self.batch_size),
            "epochs_completed": int(getattr(self, "epochs_completed_", len(self.history))),
            "objective_terms": list(self.objective_terms_),
        }
        if history:
            state["history"] = _plain(self.history)
        else:
            state["history_length"] = len(self.history)
        return state

    def set_training_state(self, state):
        """Restore what :meth:`get_training_state` returned (net initialised)."""
        self.module_.load_state_dict(_arrays_to_tensors(state["module"]))
        # The kernels (fused, foreach) stay those chosen for this device.
        kernels = [
            {k: group[k] for k in ("fused", "foreach") if k in group}
            for group in self.optimizer_.param_groups
        ]
        self.optimizer_.load_state_dict(_optimizer_state_from_plain(state["optimizer"]))
        for group, kernel in zip(self.optimizer_.param_groups, kernels):
            group.update(kernel)
        _restore_generator(
            self.shuffle_generator_, "cpu", state["shuffle_generator"], self.shuffle_seed
        )
        _restore_generator(
            self.noise_generator_, state["noise_device"], state["noise_generator"],
            self.noise_seed,
        )
        self.stopper_.set_state(state["stopper"])
        self.batch_size = state["batch_size"]
        if "history" in state:
            self.history = _History(copy.deepcopy(state["history"]))
        else:
            del self.history[state["history_length"] :]
        self.epochs_completed_ = state["epochs_completed"]
        self.objective_terms_ = list(state.get("objective_terms", []))
        self.captured_step_ = None  # captured on the optimizer's former state tensors
        self.module_.eval()
        return self

    def __getstate__(self):
        state = super().__getstate__()
        if "captured_step_" in state:  # a CUDA graph does not pickle; captured again
            state["captured_step_"] = None
        # Generators pickle as their states: torch < 2.3 cannot pickle one.
        for key in _GENERATORS:
            generator = state.pop(key, None)
            if generator is not None:
                state[f"{key}state"] = (
                    generator.device.type,
                    generator.get_state().numpy().copy(),
                )
        return state

    def __setstate__(self, state):
        saved = {key: state.pop(f"{key}state", None) for key in _GENERATORS}
        super().__setstate__(state)
        where = {
            "shuffle_generator_": ("cpu", self.shuffle_seed),
            "noise_generator_": (self._training_device(), self.noise_seed),
        }
        for key, value in saved.items():
            if value is not None:
                device, seed = where[key]
                generator = torch.Generator(device=device)
                setattr(self, key, _restore_generator(generator, *value, seed))


#: The net's random generators (attribute names), pickled as their states.
_GENERATORS = ("shuffle_generator_", "noise_generator_")


def _restore_generator(generator, device_type, state, seed):
    """Set ``generator`` to a ``state`` saved on a ``device_type`` device.

    A state saved on another kind of device cannot be carried over: the
    generator restarts from ``seed`` instead (its stream begins again).
    """
    if generator.device.type == device_type:
        generator.set_state(torch.from_numpy(np.array(state)))
    else:
        generator.manual_seed(seed)
    return generator


def record_batch_losses(history, prefix, losses, sizes, begun):
    """Write a pass's batch losses (tensors) and sizes into its batch rows.

    The pass made the last ``begun`` rows of ``history[-1]["batches"]``
    (the net's ``on_batch_begin`` makes one a batch); the first
    ``len(losses)`` of them, the batches that finished, get their loss and
    size. The losses are read in one transfer, as the same floats
    ``item()`` gives one by one.
    """
    if not losses:
        return
    rows = history[-1]["batches"]
    values = torch.stack(losses).tolist()
    for row, value, size in zip(rows[len(rows) - begun :], values, sizes):
        row[prefix + "_loss"] = value
        row[prefix + "_batch_size"] = size


def build_net(
    module,
    *,
    objective,
    optimizer,
    lr,
    weight_decay,
    batch_size,
    max_epochs,
    device,
    validation=False,
    patience=10,
    tol=1e-4,
    warmup_epochs=0,
    schedule=None,
    callbacks=None,
    verbose=0,
    corruption=None,
    shuffle_seed=0,
    noise_seed=0,
    net_class=AutoencoderNet,
    fast=True,
):
    """Assemble the net that trains ``module``: optimizer, callbacks, policy.

    Parameters
    ----------
    module : nn.Module
    objective : callable
        See :class:`AutoencoderNet`.
    optimizer : str or torch optimizer class
        A name of ``OPTIMIZERS`` (then the fastest kernels for ``device``
        are chosen) or a class, used as given.
    lr, weight_decay : float
    batch_size, max_epochs : int
    device : torch.device
    validation : bool
        Epochs are scored on a validation set; early stopping then watches
        the validation loss and keeps the best epoch's weights, else it
        watches the training loss.
    patience : int
        Epochs without an improvement of at least ``tol`` before stopping.
    tol : float
    warmup_epochs : int
        Epochs at the start whose scores early stopping does not judge
        (e.g. while the VAE's KL weight still rises).
    schedule : callable or None
        ``schedule(module, epoch)`` run at the start of every training
        epoch (1-based, counted over the model's life), e.g. to anneal a
        k-sparse code.
    callbacks : list or None
        The user's skorch callbacks (or ``(name, callback)`` pairs), run
        after early stopping.
    verbose : int
    corruption : callable or None
    shuffle_seed, noise_seed : int
    net_class : type
        ``AutoencoderNet`` or a subclass (e.g. mixed with skorch's
        ``AccelerateMixin``).
    fast : bool
        See :class:`AutoencoderNet`.

    Returns
    -------
    net : AutoencoderNet, not initialised
    """
    speedups = {}
    if isinstance(optimizer, str):
        speedups = _optimizer_speedups(optimizer, torch.device(device))
        optimizer = OPTIMIZERS[optimizer]
    stopper = Stopper(
        monitor="valid_loss" if validation else "train_loss",
        patience=patience,
        tol=tol,
        load_best=validation,
        warmup_epochs=warmup_epochs,
        sink=print if verbose else None,
    )
    all_callbacks = [("epoch_guard", EpochGuard()), ("early_stopping", stopper)]
    if schedule is not None:
        all_callbacks.append(("schedule", _Schedule(schedule)))
    for i, cb in enumerate(callbacks or []):
        # Used in place, as skorch does (clone copies them for a search).
        all_callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
    all_callbacks.append(("epoch_completed", EpochCompleted()))
    return net_class(
        module,
        objective=objective,
        corruption=corruption,
        shuffle_seed=shuffle_seed,
        noise_seed=noise_seed,
        validation=validation,
        fast=fast,
        optimizer=optimizer,
        lr=lr,
        optimizer__weight_decay=weight_decay,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        callbacks=all_callbacks,
        verbose=int(verbose),
        device=device,
        **speedups,
    )


