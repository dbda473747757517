"""The one owner of the map between the data's units and the model's.

An estimator with an unbounded (linear) reconstruction trains on
``x_model = (x - mean_) / scale_``: each feature centred on its training
mean, all divided by one global scale. Everything that crosses between the
two spaces (inference, the denoiser's noise levels, the VAE's density and
noise variance) goes through :class:`DataScaling`.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

#: Below this global scale the data are treated as constant: a smaller scale
#: (or its square) would underflow in float32 and turn outputs into NaN.
MIN_SCALE = float(np.sqrt(np.finfo(np.float32).tiny))

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
    def fit_sparse(cls, X, train_idx=None):
        """Fit the map on the training rows of a CSR matrix, chunk by chunk.

        The statistics of :meth:`fit_transform`, computed on dense chunks
        of at most ``CHUNK_ROWS`` rows and ``SPARSE_CHUNK_VALUES`` values,
        so no dense copy of X is made; X stays sparse and each training
        batch is mapped when it is densified. When the training rows fit in
        one chunk the statistics, and so the model, are bitwise those of X's
        dense copy.

        Returns
        -------
        scaling : DataScaling
        """
        X_fit = X if train_idx is None else X[train_idx]
        n_fit, chunk_rows = X_fit.shape[0], sparse_chunk_rows(X.shape[1])
        total = np.zeros(X.shape[1])
        for rows in _row_chunks(n_fit, chunk_rows):
            total += X_fit[rows].toarray().sum(axis=0, dtype=np.float64)
        mean = total / n_fit
        sum_sq = np.zeros(X.shape[1])
        for rows in _row_chunks(n_fit, chunk_rows):
            centred = X_fit[rows].toarray() - mean
            sum_sq += np.einsum("ij,ij->j", centred, centred)
        scale = float(np.sqrt(np.mean(sum_sq / n_fit)))
        scale = scale if np.isfinite(scale) and scale > MIN_SCALE else 1.0
        return cls(mean, scale)

    def model_chunks(self, X):
        """X in model space as float32 chunks of consecutive rows.

        X may be sparse: each chunk is densified on its own.
        """
        for rows in _row_chunks(X.shape[0], sparse_chunk_rows(X.shape[1])):
            chunk = X[rows]
            yield self.to_model(chunk.toarray() if hasattr(chunk, "toarray") else chunk)

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
