"""Datasets and batch iterators of training: resident, streamed, sparse.

The rows a net trains on, as skorch datasets whose batches are tensor slices
(``ArrayDataset``: the whole set on the device, batches gathered by index)
or gathered and copied batch by batch (``StreamedRowsDataset``: memory maps,
sparse matrices, data beyond the device memory budget), the iterators
``AutoencoderNet.get_iterator`` hands to skorch, and :class:`HostToDevice`,
the copy of host batches to a CUDA device through page-locked buffers on a
copy stream, one batch ahead of the compute (training and inference alike).
On the CPU batches are used where they lie, as before.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset

from ._scaling import RowSubset, dense_rows, is_streamed


def _row_batches(tensor, batch_size, order=None):
    """``batch_size``-row slices of ``tensor``, or its rows gathered in ``order``."""
    if order is not None:
        order = order.to(tensor.device)
    for start in range(0, len(tensor), batch_size):
        if order is None:
            yield tensor[start : start + batch_size]
        else:
            yield tensor.index_select(0, order[start : start + batch_size])


class _Pending:
    """A batch on its way to the device: :meth:`get` returns it, ready to use."""

    __slots__ = ("event", "tensor")

    def __init__(self, tensor, event=None):
        self.tensor = tensor
        self.event = event

    def get(self):
        """The device tensor; the current stream waits for its copy first."""
        if self.event is not None:
            current = torch.cuda.current_stream(self.tensor.device)
            current.wait_event(self.event)
            # Freed later on the current stream: the allocator must wait for
            # its uses there before the copy stream reuses the memory.
            self.tensor.record_stream(current)
        return self.tensor


class HostToDevice:
    """Copies of host batches to ``device``, through a ring of reused buffers.

    On CUDA each batch is copied into one of ``n_slots`` page-locked (pinned)
    host buffers, then to the device with a ``non_blocking`` copy on a
    stream of its own, so that the transfer overlaps the computation
    enqueued on the current stream; :meth:`start` returns at once and the
    batch's :meth:`_Pending.get` makes the current stream wait for that copy
    only. A buffer is refilled once its previous copy has finished (its
    event). Elsewhere :meth:`start` is ``tensor.to(device)`` (no copy on the
    CPU), unless ``ring=True`` (for tests: the same ring of plain buffers,
    each batch then a fresh copy).

    Parameters
    ----------
    device : torch.device
    n_slots : int
        Host buffers in the ring: batches that may be in flight at once.
    ring : bool or None
        Whether to copy through the ring; None: on CUDA only.
    """

    def __init__(self, device, n_slots=3, *, ring=None):
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        self.ring = self.cuda if ring is None else ring
        self.n_slots = n_slots
        self._slots = [None] * n_slots
        self._events = [None] * n_slots
        self._next = 0
        self._stream = torch.cuda.Stream(self.device) if self.cuda else None

    @property
    def overlaps(self):
        """Whether copies run beside the computation (a batch ahead pays off)."""
        return self.cuda

    def _slot(self, i, host):
        """Ring buffer ``i`` as a tensor of ``host``'s shape, free to be written."""
        slot = self._slots[i]
        if slot is None or slot.dtype != host.dtype or slot.numel() < host.numel():
            slot = torch.empty(host.numel(), dtype=host.dtype, pin_memory=self.cuda)
            self._slots[i] = slot
        if self._events[i] is not None:
            self._events[i].synchronize()  # its last copy has left the buffer
        return slot[: host.numel()].view(host.shape)

    def start(self, host):
        """Begin copying the host tensor ``host``; returns a :class:`_Pending`."""
        if not self.ring:
            return _Pending(host.to(self.device))
        i = self._next
        self._next = (i + 1) % self.n_slots
        staged = self._slot(i, host).copy_(host)
        if not self.cuda:
            return _Pending(staged.to(self.device, copy=True))
        with torch.cuda.stream(self._stream):
            tensor = staged.to(self.device, non_blocking=True)
            event = torch.cuda.Event()
            event.record(self._stream)
        self._events[i] = event
        return _Pending(tensor, event)

    def __call__(self, host):
        """``host`` on the device, ready for the current stream."""
        return self.start(host).get()


def one_ahead(items):
    """Yield the items of ``items``, each once the next has been produced.

    With items that start a copy when produced (:meth:`HostToDevice.start`),
    the copy of batch ``i + 1`` is under way while batch ``i`` computes.
    """
    pending = _EMPTY = object()
    for item in items:
        if pending is not _EMPTY:
            yield pending
        pending = item
    if pending is not _EMPTY:
        yield pending


def copied(host_batches, device):
    """Host tensors' batches on ``device``: through :class:`HostToDevice` on CUDA."""
    h2d = HostToDevice(device)
    if not h2d.overlaps:
        for host in host_batches:
            yield host.to(device)
        return
    for pending in one_ahead(h2d.start(host) for host in host_batches):
        yield pending.get()


def to_device(host, device, chunk_bytes=1 << 25):
    """A host tensor copied whole to ``device``: on CUDA, through pinned chunks.

    A pageable copy of a large array runs at a fraction of the bus's speed
    (the driver stages it through a pinned buffer of its own, in turns);
    here chunks of ``chunk_bytes`` are staged in the ring of
    :class:`HostToDevice` and their copies overlap the staging of the next.
    Elsewhere ``host.to(device)``.
    """
    device = torch.device(device)
    if device.type != "cuda" or host.dim() == 0 or not len(host):
        return host.to(device)
    out = torch.empty(host.shape, dtype=host.dtype, device=device)
    row_bytes = max(1, host[0].numel() * host.element_size())
    rows = max(1, chunk_bytes // row_bytes)
    starts = range(0, len(host), rows)
    parts = copied((host[start : start + rows] for start in starts), device)
    for start, part in zip(starts, parts):
        out[start : start + rows].copy_(part)
    return out


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
        return to_device(host, self.device) if self.resident else host

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):  # pragma: no cover - batches are sliced, not collated
        return self.tensor[i], (self.tensor if self.target is None else self.target)[i]

    def batches(self, batch_size, order=None):
        """Yield device tensors of ``batch_size`` rows, in ``order`` if given."""
        return self._delivered(self.tensor, batch_size, order)

    def _target_batches(self, batch_size, order):
        return self._delivered(self.target, batch_size, order)

    def _delivered(self, tensor, batch_size, order):
        parts = _row_batches(tensor, batch_size, order)
        # Host rows are copied through pinned buffers, a batch ahead.
        return parts if self.resident else copied(parts, self.device)


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
        return copied(self._host_batches(batch_size, order), self.device)

    def _host_batches(self, batch_size, order):
        order = None if order is None else order.numpy()
        for start in range(0, len(self), batch_size):
            stop = min(start + batch_size, len(self))
            positions = slice(start, stop) if order is None else order[start:stop]
            yield torch.from_numpy(self.scaling.to_model(self._gather(positions)))


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


class _BatchStream(IterableDataset):
    """An epoch's ``_Batches`` as an iterable dataset of whole batches."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


def batch_size_for(batch_size, n_samples):
    """The training batch size: the ``batch_size`` parameter, resolved on the rows."""
    if batch_size == "auto":
        # At least ~10 optimizer steps an epoch once there are 320 rows:
        # with MLPRegressor's min(200, n), 500 rows train in 3 steps an
        # epoch and a VAE's third latent factor had not formed after
        # 200 epochs (see the docstring of batch_size).
        size = min(200, max(32, n_samples // 10))
    else:
        size = batch_size
    return max(1, min(size, n_samples))


def split_rows(n_samples, validation_fraction, state):
    """Indices of training and validation rows, shuffled from a RandomState's ``state``."""
    n_valid = int(np.ceil(validation_fraction * n_samples))
    if n_samples - n_valid < 1:
        raise ValueError(
            f"early_stopping=True needs at least 2 samples to hold out a "
            f"validation set (validation_fraction={validation_fraction}), "
            f"got n_samples={n_samples}."
        )
    rng = np.random.RandomState()
    rng.set_state(state)
    perm = rng.permutation(n_samples)
    return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])


def make_datasets(X, scaling, device, train_idx, valid_idx, *, budget, X_model=None, y=None):
    """Training and validation datasets of X in model space (validation: None if no rows).

    Data read in place (memory maps, sparse) stream batch by batch; in-memory
    data become float32 in model space (``X_model`` when the prepare stage
    made it already), copied to ``device`` at once when they fit ``budget``.
    """
    if y is not None and valid_idx is not None:
        raise ValueError("targets y are only supported without a validation split")
    if is_streamed(X):
        if valid_idx is None:
            return StreamedRowsDataset(X, scaling, device, y=y), None
        return (
            StreamedRowsDataset(X, scaling, device, rows=train_idx),
            StreamedRowsDataset(X, scaling, device, rows=valid_idx),
        )
    if X_model is None:
        X_model = scaling.to_model(X)
    resident = X_model.nbytes <= budget
    if valid_idx is None:
        return ArrayDataset(X_model, device, y=y, resident=resident), None
    return (
        ArrayDataset(X_model[train_idx], device, resident=resident),
        ArrayDataset(X_model[valid_idx], device, resident=resident),
    )


def training_rows(X, train_idx):
    """``X[train_idx]``; a lazy view for data read in place (never copied)."""
    return RowSubset(X, train_idx) if is_streamed(X) else X[train_idx]
