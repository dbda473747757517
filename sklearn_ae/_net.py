"""The skorch side: an unsupervised net whose target is its input.

The net overrides only the hooks skorch documents as safe to override:
``get_loss`` (the estimator's objective: reconstruction, penalties, KL) and
``get_iterator`` (batches sliced from a tensor, optionally corrupted), and
wraps ``fit_loop`` (unchanged) only to tell a user's KeyboardInterrupt from
EarlyStopping's. The estimator never touches batches; this module never
touches pandas.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
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
        n = len(self)
        if order is None:
            if self.resident:
                for start in range(0, n, batch_size):
                    yield self.tensor[start : start + batch_size]
            else:
                for start in range(0, n, batch_size):
                    yield self.tensor[start : start + batch_size].to(
                        self.device, non_blocking=True
                    )
            return
        if self.resident:
            order = order.to(self.device)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            yield self.tensor.index_select(0, idx).to(self.device, non_blocking=True)


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
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, module, *, objective, corruption=None, shuffle_seed=0, **kwargs):
        super().__init__(module, criterion=torch.nn.MSELoss, **kwargs)
        self.objective = objective
        self.corruption = corruption
        self.shuffle_seed = shuffle_seed

    def initialize(self):
        super().initialize()
        self.shuffle_generator_ = torch.Generator().manual_seed(self.shuffle_seed)
        self.term_sums_, self.term_count_ = {}, 0
        self.interrupted_ = False
        return self

    def fit_loop(self, X, y=None, **fit_params):
        # skorch's partial_fit swallows every KeyboardInterrupt: the one
        # EarlyStopping raises to end training and a user's Ctrl-C alike.
        # Record the second kind so that the estimator can re-raise it.
        self.interrupted_ = False
        try:
            return super().fit_loop(X, y, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = not stopped_early(self)
            raise

    def get_iterator(self, dataset, training=False):
        if not isinstance(dataset, ArrayDataset):
            return super().get_iterator(dataset, training=training)
        return _Batches(self, dataset, training)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss, terms = self.objective(
            y_pred, y_true, x=X, module=self.module_, epoch=len(self.history)
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
            x_in = xb if net.corruption is None else net.corruption(xb)
            yield x_in, xb


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


def predict_in_batches(fn, X, *, batch_size, device, out_width, out_dtype):
    """Apply ``fn`` (tensor -> tensor) to ``X`` in batches under inference mode.

    Only one batch of torch tensors is alive at a time; results are written
    straight into the output array.
    """
    n = X.shape[0]
    out = np.empty((n, out_width) if out_width is not None else (n,), dtype=out_dtype)
    device = torch.device(device)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            chunk = np.ascontiguousarray(X[start : start + batch_size], dtype=np.float32)
            xb = torch.from_numpy(chunk).to(device)
            out[start : start + batch_size] = fn(xb).cpu().numpy()
    return out
