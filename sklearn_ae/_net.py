"""The skorch side: an unsupervised net whose target is its input.

The net overrides only the hooks skorch documents as safe to override:
``get_loss`` (the estimator's objective: reconstruction, penalties, KL),
``get_iterator`` (batches sliced from a tensor, optionally corrupted) and
``get_default_callbacks`` (skorch's defaults at a lower cost per epoch).
skorch swallows every KeyboardInterrupt, a user's Ctrl-C and the one its
EarlyStopping raises alike; ``interrupted_`` tells them apart from the
history afterwards. The estimator never touches batches; this module never
touches pandas.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, PassthroughScoring, PrintLog
from torch.utils.data import Dataset


class DivergenceError(ValueError, FloatingPointError):
    """Raised when the training loss becomes NaN or infinite."""


class ArrayDataset(Dataset):
    """Training rows as one float32 block, on the host or on the device.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32, C-contiguous
        The rows, kept on the host.
    device : torch.device
        Where batches must be delivered.
    resident : bool
        If True, the whole block is copied to ``device`` once and batches
        are slices of it; otherwise each batch is gathered on the host and
        copied to ``device`` on its own (bounded device memory).
    """

    def __init__(self, X, device, *, resident=True):
        self.X = X
        self.device = torch.device(device)
        self.resident = resident
        host = torch.from_numpy(X)
        self.tensor = host.to(self.device) if resident else host

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):  # pragma: no cover - batches are sliced, not collated
        return self.tensor[i], self.tensor[i]

    def batches(self, batch_size, order=None):
        """Yield device tensors of ``batch_size`` rows, in ``order`` if given."""
        if order is not None and self.resident:
            order = order.to(self.device)
        for start in range(0, len(self), batch_size):
            if order is None:
                xb = self.tensor[start : start + batch_size]
            else:
                xb = self.tensor.index_select(0, order[start : start + batch_size])
            yield xb if self.resident else self._to_device(xb)

    def _to_device(self, xb):
        if self.device.type == "cuda":
            # A page-locked copy lets the transfer overlap with the step
            # before it (the pattern of DataLoader's pin_memory=True).
            return xb.pin_memory().to(self.device, non_blocking=True)
        return xb.to(self.device)


class AutoencoderNet(NeuralNet):
    """A skorch ``NeuralNet`` trained to reconstruct its input.

    Parameters
    ----------
    module : nn.Module
        Must return a dict from ``forward`` that ``objective`` understands.
    objective : callable
        ``objective(output, target, x=..., module=..., epoch=...)`` returning
        ``(loss, terms)`` where ``terms`` maps names to scalar tensors that are
        averaged per epoch into the history.
    corruption : callable or None
        ``corruption(x_batch) -> x_noisy`` applied to training batches only;
        the target stays the clean batch.
    shuffle_seed : int
        Seed of the generator that orders the training rows each epoch.
    noise_seed : int
        Seed of the generator, on the training device, of every other draw
        of training: corruption, the VAE's epsilon, random projections.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self, module, *, objective, corruption=None, shuffle_seed=0, noise_seed=0, **kwargs
    ):
        super().__init__(module, criterion=torch.nn.MSELoss, **kwargs)
        self.objective = objective
        self.corruption = corruption
        self.shuffle_seed = shuffle_seed
        self.noise_seed = noise_seed

    def initialize(self):
        super().initialize()
        self.shuffle_generator_ = torch.Generator().manual_seed(self.shuffle_seed)
        self.noise_generator_ = torch.Generator(device=self.device).manual_seed(
            self.noise_seed
        )
        self.term_sums_, self.term_count_ = {}, 0
        return self

    @property
    def interrupted_(self):
        """Whether a KeyboardInterrupt other than EarlyStopping's ended training.

        skorch swallows every KeyboardInterrupt. An epoch that was begun but
        never reached the ``EpochCompleted`` callback, which runs after all
        others, was cut short: by EarlyStopping, or else by the user.
        """
        completed = getattr(self, "epochs_completed_", len(self.history))
        return completed < len(self.history) and not stopped_early(self)

    def get_default_callbacks(self):
        # skorch's defaults, made cheaper for small data where the epoch
        # itself takes a millisecond: PrintLog formats a table every epoch
        # even when nothing is printed, and PassthroughScoring averages the
        # batch losses through the history's slower indexing.
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", _EpochMeanLoss(name="train_loss", on_train=True)),
        ]
        if self.train_split is not None:
            callbacks.append(("valid_loss", _EpochMeanLoss(name="valid_loss")))
        if self.verbose:
            callbacks.append(("print_log", PrintLog()))
        return callbacks

    def get_iterator(self, dataset, training=False):
        if not isinstance(dataset, ArrayDataset):
            return super().get_iterator(dataset, training=training)
        return _Batches(self, dataset, training)

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


def stopped_early(net):
    """Whether one of the net's EarlyStopping callbacks ended its training."""
    return any(
        isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
        for _, cb in net.callbacks_
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
            for xb in dataset.batches(batch_size):
                yield xb, xb
            return
        order = torch.randperm(len(dataset), generator=net.shuffle_generator_)
        for xb in dataset.batches(batch_size, order):
            x_in = xb if net.corruption is None else net.corruption(xb, net.noise_generator_)
            yield x_in, xb


class _EpochMeanLoss(PassthroughScoring):
    """skorch's ``PassthroughScoring``: the epoch's batch losses averaged,
    weighted by batch size, read from the history's batch rows in one pass.
    """

    def on_epoch_end(self, net, **kwargs):
        size_key = ("train" if self.on_train else "valid") + "_batch_size"
        total = weight = 0.0
        for row in net.history[-1, "batches"]:
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
        net.history.record(self.name, score)
        if is_best is not None:
            net.history.record(self.name + "_best", bool(is_best))


class EpochCompleted(Callback):
    """Count the epochs whose ``on_epoch_end`` ran through; must come last."""

    def on_train_begin(self, net, **kwargs):
        net.epochs_completed_ = len(net.history)

    def on_epoch_end(self, net, **kwargs):
        net.epochs_completed_ += 1


class EpochGuard(Callback):
    """Stop on a non-finite loss and record the objective's terms per epoch."""

    def on_epoch_begin(self, net, **kwargs):
        net.term_sums_, net.term_count_ = {}, 0

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for name, total in net.term_sums_.items():
            net.history.record(name, float(total) / max(net.term_count_, 1))
        for key in ("train_loss", "valid_loss"):
            value = row.get(key)
            if value is not None and not math.isfinite(value):
                raise DivergenceError(
                    f"The {key.replace('_', ' ')} became {value} at epoch {row['epoch']}: "
                    "training diverged. Lower learning_rate_init (it is "
                    f"{net.lr}), scale the input (e.g. StandardScaler), or "
                    "clip gradients."
                )


def predict_in_batches(
    fn, X, *, batch_size, device, out_width, out_dtype, prepare=None, finish=None
):
    """Apply ``fn`` (tensor -> tensor) to ``X`` in batches under inference mode.

    Only one batch of torch tensors is alive at a time; results are written
    straight into the output array. ``prepare`` (host array -> host array)
    runs on each chunk before it is cast to float32, ``finish`` on each
    result after it is copied back, so affine maps to and from model space
    can run in float64 on the host.
    """
    n = X.shape[0]
    out = np.empty((n, out_width) if out_width is not None else (n,), dtype=out_dtype)
    device = torch.device(device)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            chunk = X[start : start + batch_size]
            if prepare is not None:
                chunk = prepare(chunk)
            chunk = np.ascontiguousarray(chunk, dtype=np.float32)
            result = fn(torch.from_numpy(chunk).to(device)).cpu().numpy()
            if finish is not None:
                result = finish(result)
            out[start : start + batch_size] = result
    return out
