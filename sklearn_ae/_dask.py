"""Lazy inference over dask arrays, with the output's true shape.

``dask_ml.wrappers.ParallelPostFit(est).transform(X)`` maps blocks without
being told the width of the output, so the lazy result reports the input's
shape (``(n, n_features)``) although its blocks hold codes; nothing on the
estimator can fix that. :func:`dask_apply` maps a fitted estimator's
inference method over the row blocks of a dask array with the right chunks
and dtype. dask is an optional dependency (``pip install sklearn-ae[dask]``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

_METHODS = ("transform", "inverse_transform", "score_samples")


def dask_apply(estimator, X, method="transform"):
    """Apply a fitted estimator's inference method to a dask array, lazily.

    Each block of rows is handed to ``getattr(estimator, method)`` when the
    result is computed, on whatever scheduler dask uses (threads, processes
    or a ``distributed`` cluster); the estimator travels to the workers by
    pickling, which keeps everything it needs. Blocks are whole rows: a
    dask array chunked along its columns is rechunked to one column block.

    Parameters
    ----------
    estimator : fitted autoencoder
        Any fitted estimator of this package.

    X : dask.array.Array of shape (n_samples, n_features)
        The rows: data for ``"transform"`` and ``"score_samples"``, codes
        for ``"inverse_transform"``.

    method : {"transform", "inverse_transform", "score_samples"}, \
default="transform"
        The method to apply.

    Returns
    -------
    result : dask.array.Array
        Of shape ``(n_samples, n_components)`` (the codes' width, as
        ``get_feature_names_out`` gives it), ``(n_samples, n_features_in_)``
        or ``(n_samples,)``, chunked along rows as X is, of X's float dtype
        (float64 for other dtypes).

    See Also
    --------
    dask_ml.wrappers.Incremental : Train on a dask array through ``partial_fit``.

    Examples
    --------
    >>> import dask.array as da  # doctest: +SKIP
    >>> from sklearn_ae import Autoencoder, dask_apply  # doctest: +SKIP
    >>> X = da.random.random((100_000, 64), chunks=10_000)  # doctest: +SKIP
    >>> ae = Autoencoder(n_components=8).fit(X[:5_000].compute())  # doctest: +SKIP
    >>> dask_apply(ae, X).shape  # doctest: +SKIP
    (100000, 8)
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    check_is_fitted(estimator)
    if getattr(X, "ndim", None) != 2 or not hasattr(X, "map_blocks"):
        raise ValueError(
            f"X must be a 2-D dask array, got {type(X).__name__} of "
            f"ndim={getattr(X, 'ndim', None)}."
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    fn = getattr(estimator, method)
    if method == "score_samples":
        return X.map_blocks(fn, drop_axis=1, chunks=(X.chunks[0],), dtype=dtype)
    width = (
        estimator.n_features_in_
        if method == "inverse_transform"
        else len(estimator.get_feature_names_out())
    )
    return X.map_blocks(fn, chunks=(X.chunks[0], (width,)), dtype=dtype)
