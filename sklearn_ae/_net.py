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
  optimizer needs) and ``notify`` (only the callbacks that define a
  notification are called, looked up once per fit by ``_listeners``), which
  skorch does not list as safe: ``tests/test_net.py`` pins that they do
  what skorch's do; re-check them when skorch moves.
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
import math
import re
import sys
import time

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, PassthroughScoring, PrintLog
from skorch.helper import predefined_split
from skorch.history import History
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator
from torch.utils.data import DataLoader, Dataset, IterableDataset

from ._exceptions import DivergenceError
from ._fast import plain_step
from ._threads import forward_work, thread_budget
from ._scaling import dense_rows

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


def _row_batches(tensor, batch_size, order=None):
    """``batch_size``-row slices of ``tensor``, or its rows gathered in ``order``."""
    if order is not None:
        order = order.to(tensor.device)
    for start in range(0, len(tensor), batch_size):
        if order is None:
            yield tensor[start : start + batch_size]
        else:
            yield tensor.index_select(0, order[start : start + batch_size])


class _InputTargetPairs:
    """``pairs``: input batches with the target's (the input itself unless ``y``).

    Subclasses provide ``batches(batch_size, order)``, ``target`` (a
    tensor or None) and may override ``_target_batches``.
    """

    def _target_batches(self, batch_size, order):
        return _row_batches(self.target, batch_size, order)

    def pairs(self, batch_size, order=None):
        """Yield ``(input, target)`` batches; the target is the input unless ``y``."""
        inputs = self.batches(batch_size, order)
        if self.target is None:
            return ((xb, xb) for xb in inputs)
        return zip(inputs, self._target_batches(batch_size, order))


class ArrayDataset(_InputTargetPairs, Dataset):
    """Training rows as one float32 block, on the host or on the device.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32, C-contiguous
        The rows, kept on the host.
    device : torch.device
        Where batches must be delivered.
    y : ndarray of shape (n_samples, ...) or None
        A target besides the input (e.g. labels for a prediction head);
        None makes the input its own target.
    resident : bool
        If True, the whole block is copied to ``device`` once and batches
        are slices of it; otherwise each batch is gathered on the host and
        copied to ``device`` on its own (bounded device memory).
    """

    def __init__(self, X, device, *, y=None, resident=True):
        self.X = X
        self.y = y
        self.device = torch.device(device)
        self.resident = resident
        self.tensor = self._place(torch.from_numpy(X))
        self.target = None if y is None else self._place(torch.as_tensor(y))

    def _place(self, host):
        return host.to(self.device) if self.resident else host

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):  # pragma: no cover - batches are sliced, not collated
        return self.tensor[i], (self.tensor if self.target is None else self.target)[i]

    def batches(self, batch_size, order=None):
        """Yield device tensors of ``batch_size`` rows, in ``order`` if given."""
        for part in _row_batches(self.tensor, batch_size, order):
            yield part if self.resident else self._to_device(part)

    def _target_batches(self, batch_size, order):
        for part in _row_batches(self.target, batch_size, order):
            yield part if self.resident else self._to_device(part)

    def _to_device(self, xb):
        if self.device.type == "cuda":
            # A page-locked copy lets the transfer overlap with the step
            # before it (the pattern of DataLoader's pin_memory=True).
            return xb.pin_memory().to(self.device, non_blocking=True)
        return xb.to(self.device)


class StreamedRowsDataset(_InputTargetPairs, Dataset):
    """Training rows read in place: a sparse matrix or a memory-mapped array.

    Each batch is gathered from the rows of X (those of the index array
    ``rows``, or all), densified, mapped to model space by ``scaling`` and
    copied to ``device``: a batch, never the whole matrix, is ever dense in
    memory. The batches equal, bitwise, those an ``ArrayDataset`` of the
    same rows in model space would give.

    Parameters
    ----------
    X : scipy.sparse CSR matrix or ndarray of shape (n, n_features)
        The data, in the data's units.
    scaling : DataScaling
        The map to model space.
    device : torch.device
        Where batches must be delivered.
    rows : ndarray of int or None
        The training rows of X (e.g. those not held out); None for all.
    y : ndarray of shape (n_rows, ...) or None
        A target besides the input (kept dense, on ``device``), one per
        training row; None makes the input its own target.
    """

    resident = False

    def __init__(self, X, scaling, device, *, rows=None, y=None):
        self.X = X
        self.rows = None if rows is None else np.asarray(rows)
        self.scaling = scaling
        self.device = torch.device(device)
        self.target = None if y is None else torch.as_tensor(y).to(self.device)

    def __len__(self):
        return self.X.shape[0] if self.rows is None else len(self.rows)

    def __getitem__(self, i):  # pragma: no cover - batches are gathered, not collated
        row = next(self.batches(1, torch.tensor([i])))[0]
        return row, row

    def _gather(self, positions):
        index = positions if self.rows is None else self.rows[positions]
        return dense_rows(self.X[index])

    def batches(self, batch_size, order=None):
        """Yield dense device tensors of ``batch_size`` rows, in ``order`` if given."""
        order = None if order is None else order.numpy()
        for start in range(0, len(self), batch_size):
            stop = min(start + batch_size, len(self))
            positions = slice(start, stop) if order is None else order[start:stop]
            chunk = self.scaling.to_model(self._gather(positions))
            yield torch.from_numpy(chunk).to(self.device)



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
        return self

    # ------------------------------------------------------------------
    # Driving training
    # ------------------------------------------------------------------
    def train_epochs(self, train_ds, valid_ds=None, *, epochs, stopping=True):
        """Train ``epochs`` more epochs, continuing from the current state.

        Parameters
        ----------
        train_ds, valid_ds : ArrayDataset
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
        self.stopper_.active = stopping
        try:
            with thread_budget(forward_work(self.module_, self.batch_size)):
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
        if self.fast_step_ is None or fit_params:
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

    def train_step_single(self, batch, **fit_params):
        if self.fast_step_ is None or fit_params:
            if self.skorch_steps or not self.module_.training:
                return super().train_step_single(batch, **fit_params)
            # skorch's step, without setting train mode again on every
            # step (a walk of the whole module tree) when it is set.
            xb, yb = unpack_data(batch)
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
        self.shuffle_generator_.set_state(torch.from_numpy(np.array(state["shuffle_generator"])))
        if state["noise_device"] == self.noise_generator_.device.type:
            self.noise_generator_.set_state(
                torch.from_numpy(np.array(state["noise_generator"]))
            )
        # else: fitted on another kind of device, whose generator's state
        # cannot be carried over: the noise stream restarts from its seed.
        self.stopper_.set_state(state["stopper"])
        self.batch_size = state["batch_size"]
        if "history" in state:
            self.history = _History(copy.deepcopy(state["history"]))
        else:
            del self.history[state["history_length"] :]
        self.epochs_completed_ = state["epochs_completed"]
        self.objective_terms_ = list(state.get("objective_terms", []))
        self.module_.eval()
        return self


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


class _Batches:
    """Re-iterable batches of an ``ArrayDataset`` (skorch iterates once an epoch).

    Training batches come in a fresh seeded order each pass and are
    corrupted when the net has a ``corruption``; the yielded pair is
    ``(input, target)``.
    """

    def __init__(self, net, dataset, training):
        self.net = net
        self.dataset = dataset
        self.training = training

    def __iter__(self):
        net, dataset = self.net, self.dataset
        batch_size = max(1, min(net.batch_size, len(dataset)))
        if not self.training:
            yield from dataset.pairs(batch_size)
            return
        order = torch.randperm(len(dataset), generator=net.shuffle_generator_)
        for xb, yb in dataset.pairs(batch_size, order):
            if net.corruption is not None:
                xb = net.corruption(xb, net.noise_generator_)
            yield xb, yb


class _History(History):
    """skorch's ``History``, with ``history[i]`` for an int ``i`` read directly.

    skorch resolves every index, including the ``history[-1]`` its loop
    uses three times a step to record batch values, through its slicing
    machinery, which first copies the list of all epochs: on small data
    that costs more than the rest of the step's bookkeeping, and it grows
    with the number of epochs. Every other index is skorch's.
    """

    def __getitem__(self, i):
        if type(i) is int:
            return list.__getitem__(self, i)
        return super().__getitem__(i)


class _BatchStream(IterableDataset):
    """An epoch's ``_Batches`` as an iterable dataset of whole batches."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


class _EpochMeanLoss(PassthroughScoring):
    """skorch's ``PassthroughScoring``: the epoch's batch losses averaged,
    weighted by batch size, read from the history's batch rows in one pass.
    """

    def on_epoch_end(self, net, **kwargs):
        size_key = ("train" if self.on_train else "valid") + "_batch_size"
        total = weight = 0.0
        epoch = net.history[-1]
        for row in epoch["batches"]:
            if self.name not in row:
                continue
            total += row[self.name] * row[size_key]
            weight += row[size_key]
        if not weight:  # no batch of this kind this epoch
            return
        score = total / weight
        is_best = self._is_best_score(score)
        if is_best:
            self.best_score_ = score
        epoch[self.name] = score
        if is_best is not None:
            epoch[self.name + "_best"] = bool(is_best)


class Stopper(Callback):
    """Early stopping whose state survives calls, pickling and warm starts.

    The semantics of skorch's ``EarlyStopping`` with ``threshold_mode="abs"``
    (an epoch improves when its score is below the best so far minus
    ``tol``; ``patience`` epochs without improvement stop training), except
    that the state is kept across calls of ``partial_fit`` so that training
    in several calls stops where one call would, and that the first
    ``warmup_epochs`` epochs are not judged: each of them restarts the count.
    After a stop, the next call begins a fresh count (keeping the best).

    Parameters
    ----------
    monitor : str
        History key to watch (lower is better).
    patience : int
    tol : float
    load_best : bool
        Restore the best epoch's weights when training ends.
    warmup_epochs : int
    sink : callable or None
        Receives a message when training stops.
    """

    def __init__(self, monitor, patience, tol, load_best, warmup_epochs=0, sink=None):
        self.monitor = monitor
        self.patience = patience
        self.tol = tol
        self.load_best = load_best
        self.warmup_epochs = warmup_epochs
        self.sink = sink

    def initialize(self):
        self.misses_ = 0
        self.best_score_ = math.inf
        self.best_epoch_ = None
        self.best_weights_ = None
        self.stopped_ = False
        self.active = True
        return self

    def on_train_begin(self, net, **kwargs):
        if self.stopped_:
            self.misses_ = 0
        self.stopped_ = False

    def on_epoch_end(self, net, **kwargs):
        if not self.active:
            return
        epoch = len(net.history)
        if epoch <= self.warmup_epochs:
            self.misses_, self.best_score_ = 0, math.inf
        score = net.history[-1][self.monitor]
        if score < self.best_score_ - self.tol:
            self.misses_ = 0
            self.best_score_ = score
            self.best_epoch_ = epoch
            if self.load_best:
                self.best_weights_ = _tensors_to_arrays(net.module_.state_dict())
        else:
            self.misses_ += 1
        if self.misses_ >= self.patience:
            self.stopped_ = True
            if self.sink is not None:
                self.sink(
                    f"Stopping since {self.monitor} has not improved in the last "
                    f"{self.patience} epochs."
                )
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if (
            self.active
            and self.load_best
            and self.best_weights_ is not None
            and self.best_epoch_ != len(net.history)
        ):
            net.module_.load_state_dict(_arrays_to_tensors(self.best_weights_))

    def get_state(self):
        return {
            "misses": int(self.misses_),
            "best_score": float(self.best_score_),
            "best_epoch": self.best_epoch_,
            "stopped": bool(self.stopped_),
            "best_weights": self.best_weights_,
        }

    def set_state(self, state):
        self.misses_ = state["misses"]
        self.best_score_ = state["best_score"]
        self.best_epoch_ = state["best_epoch"]
        self.stopped_ = state["stopped"]
        self.best_weights_ = state["best_weights"]


class _Schedule(Callback):
    """Run ``schedule(module, epoch)`` as each training epoch begins."""

    def __init__(self, schedule):
        self.schedule = schedule

    def on_epoch_begin(self, net, **kwargs):
        self.schedule(net.module_, len(net.history))


class EpochCompleted(Callback):
    """Count the epochs whose ``on_epoch_end`` ran through; must come last."""

    def on_train_begin(self, net, **kwargs):
        net.epochs_completed_ = len(net.history)

    def on_epoch_end(self, net, **kwargs):
        net.epochs_completed_ += 1


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def console_print(text):
    """``print``, without the table's colour codes when stdout is not a terminal.

    skorch's ``PrintLog`` colours its columns with ANSI escape codes; written
    into a log file or a notebook's captured output they are noise
    (``^[[36m0.8590^[[0m``).
    """
    isatty = getattr(sys.stdout, "isatty", None)
    if not (isatty is not None and isatty()):
        text = _ANSI_ESCAPE.sub("", text)
    print(text)


class BatchProgress(Callback):
    """Progress within long epochs (``verbose=2``): batches done, rows a second.

    Prints at most one line every ``interval`` seconds during an epoch
    (plain text, one line each; nothing for epochs shorter than that), so
    that a long epoch shows it is moving. Made by the net from ``verbose``:
    nothing of it is saved with the model.
    """

    #: Seconds between two progress lines.
    interval = 5.0

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = self.last_ = time.perf_counter()
        self.batches_ = self.rows_ = 0

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        self.batches_ += 1
        self.rows_ += len(batch[0]) if batch is not None else 0
        now = time.perf_counter()
        if now - self.last_ >= self.interval:
            self.last_ = now
            rate = self.rows_ / max(now - self.start_, 1e-9)
            console_print(
                f"  epoch {len(net.history)}: {self.batches_} batches, "
                f"{self.rows_} rows, {rate:,.0f} rows/s"
            )


class EpochGuard(Callback):
    """Stop on a non-finite loss and record the objective's terms per epoch."""

    def on_epoch_begin(self, net, **kwargs):
        net.term_sums_, net.term_count_ = {}, 0

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for name, total in net.term_sums_.items():
            row[name] = float(total) / max(net.term_count_, 1)
        net.objective_terms_ = list(net.term_sums_)
        for key in ("train_loss", "valid_loss"):
            value = row.get(key)
            if value is not None and not math.isfinite(value):
                raise DivergenceError(
                    f"The {key.replace('_', ' ')} became {value} at epoch {row['epoch']}: "
                    "training diverged. Lower learning_rate_init (it is "
                    f"{net.lr}), scale the input (e.g. StandardScaler), or "
                    "clip gradients."
                )


# ----------------------------------------------------------------------
# Plain values for persistence
# ----------------------------------------------------------------------
def _tensors_to_arrays(tensors):
    return {k: v.detach().cpu().numpy().copy() for k, v in tensors.items()}


def _arrays_to_tensors(arrays):
    return {k: torch.as_tensor(np.array(v)) for k, v in arrays.items()}


def _optimizer_state_to_plain(state_dict):
    """An optimizer's state_dict with arrays for tensors and no int keys."""

    def plain(value):
        return value.detach().cpu().numpy().copy() if isinstance(value, torch.Tensor) else value

    return {
        "state": [
            [int(i), {name: plain(v) for name, v in param_state.items()}]
            for i, param_state in state_dict["state"].items()
        ],
        "param_groups": [dict(group) for group in state_dict["param_groups"]],
    }


def _optimizer_state_from_plain(state):
    def tensor(value):
        return torch.as_tensor(np.array(value)) if isinstance(value, np.ndarray) else value

    return {
        "state": {int(i): {k: tensor(v) for k, v in s.items()} for i, s in state["state"]},
        "param_groups": [
            {**group, "params": list(group["params"])} for group in state["param_groups"]
        ],
    }


def _plain(obj):
    """Recursively turn history rows into plain lists, dicts and floats."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    return obj
