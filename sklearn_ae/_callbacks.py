"""The callbacks of training: stopping, guards, progress and the history.

``Stopper`` (early stopping, with the best weights kept as arrays),
``EpochGuard`` (a non-finite loss ends the fit with ``DivergenceError``),
``EpochCompleted`` (marks an epoch that ran to its end, so that a user's
interrupt is told from early stopping), the epoch schedule, the per-epoch
mean loss, the printed table and progress, and a faster history.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
import re
import sys
import time

from skorch.callbacks import Callback, PassthroughScoring
from skorch.history import History

from ._exceptions import DivergenceError
from ._state import _arrays_to_tensors, _tensors_to_arrays


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


def not_converged_message(name, history, monitor, *, window, tol, max_iter):
    """The ConvergenceWarning's text for a fit that ended at ``max_iter``, or None.

    The monitored loss (``monitor``: the validation loss with early
    stopping, else the training loss, in model units as early stopping
    judges it) must have fallen by more than ``tol`` per epoch, on average
    over the last ``window`` epochs (from the loss before them to the best
    among them), for more training to change the result meaningfully: only
    then is there something to say, and what to do. A fit of one epoch,
    whose progress cannot be judged, gets a message as well.
    """
    curve = [float(v) for v in history[:, monitor]]
    window = min(window, len(curve) - 1)
    rate = math.inf if window < 1 else (curve[-1 - window] - min(curve[-window:])) / window
    if rate <= tol:
        return None
    what = "validation loss" if monitor == "valid_loss" else "training loss"
    progress = (
        "after a single epoch" if window < 1 else
        f"still falling by {rate:.3g} per epoch over the last {window} epochs "
        f"(more than tol={tol:g})"
    )
    return (
        f"{name}: max_iter={max_iter} epochs reached with the {what} {progress}: more "
        "training would still improve the model. Raise max_iter (or continue with "
        "warm_start=True), or raise tol to accept this change per epoch."
    )


def fitted_curves(net, early_stopping):
    """The collect stage's fitted attributes, read from ``net``'s history."""
    history = net.history
    loss_curve = [float(v) for v in history[:, "train_loss"]]
    fitted = {"n_iter_": len(history), "loss_curve_": loss_curve,
              "best_loss_": float(min(loss_curve))}
    if early_stopping:
        rows = [row["valid_loss"] for row in history if "valid_loss" in row]
        fitted["validation_scores_"] = [-float(v) for v in rows]
        fitted["best_validation_score_"] = float(max(fitted["validation_scores_"]))
    terms = [name for name in net.objective_terms_ if all(name in r for r in history)]
    fitted["objective_curves_"] = {name: [float(v) for v in history[:, name]] for name in terms}
    return fitted
