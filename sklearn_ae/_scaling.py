"""The one owner of the map between the data's units and the model's.

An estimator with an unbounded (linear) reconstruction trains on
``x_model = (x - mean_) / scale_``: each feature centred on its training
mean, all divided by one global scale. Everything that crosses between the
two spaces (inference, the denoiser's noise levels, the VAE's density and
noise variance) goes through :class:`DataScaling`.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
import mmap

import numpy as np
from scipy.sparse import issparse

#: Below this global scale the data are treated as constant: a smaller scale
#: (or its square) would underflow in float32 and turn outputs into NaN.
MIN_SCALE = float(np.sqrt(np.finfo(np.float32).tiny))

#: Inference maps rows to model space in float32 (centring in torch, or
#: folded into the encoder's first layer) when the training mean is at most
#: this many scales from zero, else in float64 on the host. Rounding the
#: mean to float32 then moves a standardised value by at most
#: ``FLOAT32_CENTRING_BOUND * 2**-24`` (6e-6) of the model's unit: within
#: the float32 network's own rounding.
FLOAT32_CENTRING_BOUND = 100.0

#: Rows per chunk when standardising: float64 temporaries stay small.
CHUNK_ROWS = 1024
#: Values per dense chunk of a sparse matrix (32 MiB in float64): wide
#: sparse rows are densified fewer than ``CHUNK_ROWS`` at a time.
SPARSE_CHUNK_VALUES = 2**22


def _row_chunks(n_rows, chunk_rows=CHUNK_ROWS):
    return (slice(start, start + chunk_rows) for start in range(0, n_rows, chunk_rows))


def sparse_chunk_rows(n_features):
    """Rows of a sparse matrix densified at a time (at most ``CHUNK_ROWS``)."""
    return int(min(CHUNK_ROWS, max(1, SPARSE_CHUNK_VALUES // max(n_features, 1))))


def dense_rows(part):
    """A gathered block of rows as a dense array (sparse blocks densified)."""
    return part.toarray() if issparse(part) else np.asarray(part)


def iter_rows(X, rows=None):
    """Dense chunks of rows of X: all rows, or those of the index array ``rows``."""
    n_rows = X.shape[0] if rows is None else len(rows)
    step = sparse_chunk_rows(X.shape[1]) if issparse(X) else CHUNK_ROWS
    for part in _row_chunks(n_rows, step):
        yield dense_rows(X[part] if rows is None else X[rows[part]])


def is_memory_mapped(X):
    """Whether the array X views a memory-mapped file (``np.memmap``, ``np.load(mmap_mode=)``)."""
    base = X
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def is_streamed(X):
    """Whether fit reads X in place (sparse or memory-mapped) rather than copying it."""
    return issparse(X) or is_memory_mapped(X)


class RowSubset:
    """The rows ``rows`` of X, gathered only when indexed: a lazy ``X[rows]``.

    Supports what inference reads of an array: ``shape``, ``dtype`` and
    indexing by a slice or an index array (which gathers those rows).
    """

    def __init__(self, X, rows):
        self.X = X
        self.rows = np.asarray(rows)

    @property
    def shape(self):
        return (len(self.rows), self.X.shape[1])

    @property
    def dtype(self):
        return self.X.dtype

    def __getitem__(self, key):
        return self.X[self.rows[key]]


class DataScaling:
    """``x_model = (x - mean) / scale``, computed in float64 on the host.

    Parameters
    ----------
    mean : ndarray of shape (n_features,)
    scale : float, positive
    identity : bool, default=False
        If True the map is the identity (``mean`` zeros, ``scale`` 1) and
        chunks pass through untouched.
    """

    def __init__(self, mean, scale, *, identity=False):
        self.mean = mean
        self.scale = float(scale)
        self.identity = identity

    @property
    def float32_safe(self):
        """Whether inference may apply the map in float32 (see ``FLOAT32_CENTRING_BOUND``)."""
        if self.identity:
            return True
        offset = float(np.max(np.abs(self.mean), initial=0.0)) / self.scale
        return offset <= FLOAT32_CENTRING_BOUND

    @classmethod
    def none(cls, n_features):
        """The identity map, for estimators that do not standardise."""
        return cls(np.zeros(n_features), 1.0, identity=True)

    @classmethod
    def fit_transform(cls, X, train_idx=None):
        """Fit the map on the training rows and return all of X in model space.

        The scale is the root of the mean per-feature variance of the
        training rows (all rows when ``train_idx`` is None). Statistics and
        centring are computed in float64, chunk by chunk, so no float64 copy
        of X is made.

        Returns
        -------
        X_model : ndarray of float32, C-contiguous
        scaling : DataScaling
        """
        is_train = None
        if train_idx is not None:
            is_train = np.zeros(X.shape[0], dtype=bool)
            is_train[train_idx] = True
        mean = (X if is_train is None else X[is_train]).mean(axis=0, dtype=np.float64)
        out = np.empty(X.shape, dtype=np.float32)
        sum_sq = np.zeros(X.shape[1])
        for rows in _row_chunks(X.shape[0]):
            centred = X[rows] - mean
            out[rows] = centred
            if is_train is not None:
                centred = centred[is_train[rows]]
            sum_sq += np.einsum("ij,ij->j", centred, centred)
        n_fit = X.shape[0] if is_train is None else len(train_idx)
        scale = float(np.sqrt(np.mean(sum_sq / n_fit)))
        scale = scale if np.isfinite(scale) and scale > MIN_SCALE else 1.0
        out /= np.float32(scale)
        return out, cls(mean, scale)

    @classmethod
    def fit_streamed(cls, X, rows=None):
        """Fit the map on rows of X read chunk by chunk, never copied whole.

        For data that stay where they are (a scipy.sparse matrix, a
        memory-mapped array): the statistics of :meth:`fit_transform`,
        computed on dense chunks of at most ``CHUNK_ROWS`` rows (and, for
        sparse rows, ``SPARSE_CHUNK_VALUES`` values) gathered from X, the
        training rows given by the index array ``rows`` (all rows when
        None). Each training batch is then mapped when it is gathered. When
        the training rows fit in one chunk the statistics, and so the
        model, are bitwise those of an in-memory dense copy.

        Returns
        -------
        scaling : DataScaling
        """
        n_fit = X.shape[0] if rows is None else len(rows)
        total = np.zeros(X.shape[1])
        for chunk in iter_rows(X, rows):
            total += chunk.sum(axis=0, dtype=np.float64)
        mean = total / n_fit
        sum_sq = np.zeros(X.shape[1])
        for chunk in iter_rows(X, rows):
            centred = chunk - mean
            sum_sq += np.einsum("ij,ij->j", centred, centred)
        scale = float(np.sqrt(np.mean(sum_sq / n_fit)))
        scale = scale if np.isfinite(scale) and scale > MIN_SCALE else 1.0
        return cls(mean, scale)

    @classmethod
    def from_chunks(cls, chunks):
        """The statistics of :meth:`fit_transform` from ``chunks()``, an
        iterable of row blocks it is called for twice (mean, then spread)."""
        total, n_fit = 0.0, 0
        for chunk in chunks():
            total = total + chunk.sum(axis=0, dtype=np.float64)
            n_fit += chunk.shape[0]
        mean = total / n_fit
        sum_sq = 0.0
        for chunk in chunks():
            centred = chunk - mean
            sum_sq = sum_sq + np.einsum("ij,ij->j", centred, centred)
        scale = float(np.sqrt(np.mean(sum_sq / n_fit)))
        scale = scale if np.isfinite(scale) and scale > MIN_SCALE else 1.0
        return cls(mean, scale)

    def model_chunks(self, X, rows=None):
        """Rows of X (all, or the index array ``rows``) in model space.

        Float32 chunks of consecutive rows, each gathered and densified on
        its own.
        """
        for chunk in iter_rows(X, rows):
            yield self.to_model(chunk)

    def to_model(self, chunk):
        """A host chunk in model space, as float32 (centred in float64)."""
        if not self.identity:
            chunk = np.asarray(chunk - self.mean, dtype=np.float32) / np.float32(self.scale)
        return np.ascontiguousarray(chunk, dtype=np.float32)

    def to_data(self, out):
        """A model-space output (e.g. a reconstruction) in data units, float64."""
        if self.identity:
            return out
        return out.astype(np.float64) * self.scale + self.mean

    def value_to_model(self, value):
        """The model-space image of a value (per feature) given in data units."""
        return (value - self.mean) / self.scale

    def length_to_model(self, length):
        """A length in data units (e.g. a noise std) in model units."""
        return float(length) / self.scale

    def variance_to_data(self, variance):
        """A model-space variance in the data's squared units."""
        return float(variance) * self.scale**2

    def log_jacobian(self, n_features):
        """``log |d x_model / d x|`` summed over features: ``-D log(scale)``."""
        return -n_features * math.log(self.scale)


def fit_scaling(X, fit_rows=None, *, standardise=True):
    """The prepare stage's scaling of X, and X in model space when in memory.

    Returns ``(X_model, scaling)``: X as float32 in model space (None for
    data read in place, mapped one chunk at a time later) and the
    ``DataScaling`` fitted on ``fit_rows`` (all rows for None); without
    ``standardise`` the identity map.
    """
    streamed = is_streamed(X)
    if not standardise:
        scaling = DataScaling.none(X.shape[1])
        return (None if streamed else np.ascontiguousarray(X, dtype=np.float32)), scaling
    if streamed:
        return None, DataScaling.fit_streamed(X, fit_rows)
    return DataScaling.fit_transform(X, fit_rows)
