"""Image arrays to the flat rows the estimators take, and back.

Every estimator takes scikit-learn's 2-D ``(n_samples, n_features)`` input;
with ``architecture="conv"`` a row is one image, flat in channel-first
order (``channels x height x width``), as torch lays images out. Image
arrays from NumPy's world are usually channel-last (``(n, height, width,
channels)``: :func:`sklearn.feature_extraction.image.extract_patches_2d`,
PIL, matplotlib); reshaping those directly would interleave the colour
channels into the pixels, so these helpers move the channel axis first.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral

import numpy as np


def _check_channel_axis(channel_axis):
    if channel_axis not in (1, -1, 3):
        raise ValueError(
            "channel_axis must be -1 (channel-last images, (n, height, width, "
            f"channels)) or 1 (channel-first, (n, channels, height, width)), got "
            f"{channel_axis!r}."
        )
    return 1 if channel_axis == 1 else -1


def flatten_images(images, *, channel_axis=-1, return_shape=False):
    """Turn an array of images into flat rows in channel-first order.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width) or \
(n_images, height, width, channels)
        Grayscale images (3-D), or images with channels (4-D) along
        ``channel_axis``.

    channel_axis : {-1, 1}, default=-1
        Where a 4-D array holds its channels: last, as
        :func:`~sklearn.feature_extraction.image.extract_patches_2d`,
        PIL and matplotlib give them, or right after the images' axis, as
        torch does. Ignored for 3-D arrays.

    return_shape : bool, default=False
        If True, also return the ``image_shape`` to pass to an estimator:
        ``(height, width)`` for 3-D input, ``(channels, height, width)``
        for 4-D input.

    Returns
    -------
    X : ndarray of shape (n_images, channels * height * width)
        One image a row, channel-first: the first ``height * width``
        values are the first channel's pixels, row by row.

    image_shape : tuple of int
        Only when ``return_shape`` is True.

    See Also
    --------
    unflatten_images : The inverse: flat rows back to images.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import flatten_images, unflatten_images
    >>> patches = np.random.RandomState(0).rand(10, 16, 16, 3)  # channel-last
    >>> X, shape = flatten_images(patches, return_shape=True)
    >>> X.shape, shape
    ((10, 768), (3, 16, 16))
    >>> np.array_equal(unflatten_images(X, shape), patches)
    True
    """
    images = np.asarray(images)
    if images.ndim == 3:
        shape = images.shape[1:]
    elif images.ndim == 4:
        if _check_channel_axis(channel_axis) == -1:
            images = np.moveaxis(images, -1, 1)
        shape = images.shape[1:]
    else:
        raise ValueError(
            "images must be a 3-D array (n_images, height, width) or a 4-D array "
            f"with a channel axis, got an array of shape {images.shape}."
        )
    X = np.ascontiguousarray(images.reshape(images.shape[0], -1))
    if return_shape:
        return X, tuple(int(s) for s in shape)
    return X


def unflatten_images(X, image_shape, *, channel_axis=-1):
    """Turn flat channel-first rows back into an array of images.

    The inverse of :func:`flatten_images`: use it on the output of
    ``inverse_transform`` or ``sample`` of an estimator fitted on such
    rows, e.g. with the estimator's ``image_shape_``.

    Parameters
    ----------
    X : array-like of shape (n_images, n_features)
        Flat rows, channel-first.

    image_shape : tuple of int
        ``(height, width)`` or ``(channels, height, width)``, with
        ``n_features`` values in all.

    channel_axis : {-1, 1}, default=-1
        Where the returned 4-D array holds its channels (for a 3-entry
        ``image_shape``): last (for matplotlib's ``imshow``) or right after
        the images' axis.

    Returns
    -------
    images : ndarray of shape (n_images, height, width) or \
(n_images, height, width, channels)
        A 3-D array for a 2-entry ``image_shape``; a 4-D array, channels
        along ``channel_axis``, for a 3-entry one.

    See Also
    --------
    flatten_images : Images to flat rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import unflatten_images
    >>> unflatten_images(np.zeros((4, 35)), (7, 5)).shape
    (4, 7, 5)
    """
    X = np.asarray(X)
    shape = tuple(image_shape) if not isinstance(image_shape, Integral) else None
    if (
        X.ndim != 2
        or shape is None
        or len(shape) not in (2, 3)
        or not all(isinstance(s, Integral) and s > 0 for s in shape)
        or math.prod(shape) != X.shape[1]
    ):
        raise ValueError(
            "X must be 2-D with one flat image a row, and image_shape (height, "
            "width) or (channels, height, width) must hold its n_features values; "
            f"got X of shape {X.shape} and image_shape={image_shape!r}."
        )
    images = X.reshape(X.shape[0], *shape)
    if len(shape) == 3 and _check_channel_axis(channel_axis) == -1:
        images = np.moveaxis(images, 1, -1)
    return images
