"""The network's shape: hidden widths, convolutional stages and image shapes.

Resolved once per fit, in the prepare stage (``_BaseAutoencoder._prepare``),
from the parameters and the data's width; the build stage and the variants
read the result, never the raw parameters.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral

#: Bounds of the first hidden width that ``hidden_layer_sizes="auto"`` picks.
AUTO_WIDTH_MIN, AUTO_WIDTH_MAX = 64, 256


#: Channels of the first convolutional stage ``"auto"`` picks; each later
#: stage doubles them as it halves the maps.
AUTO_CONV_CHANNELS = 32


#: Most convolutional stages ``"auto"`` picks.
AUTO_CONV_MAX_STAGES = 3


#: ``"auto"`` adds a convolutional stage while the maps it leaves keep
#: their shortest side at least this long.
AUTO_CONV_MIN_SIDE = 7


def resolve_image_shape(image_shape, n_features):
    """The ``(channels, *spatial)`` shape of one flat row, for ``"conv"``.

    ``None`` reads a row of ``n_features`` values as one grayscale channel
    of a square image when ``n_features`` is a perfect square, and as a
    one-channel 1-D signal of length ``n_features`` otherwise; a
    ``(height, width)`` pair is one channel.

    Returns
    -------
    tuple of int
        ``(channels, height, width)`` or ``(1, length)``.
    """
    if image_shape is None:
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else (1, n_features)
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    valid = (
        shape is not None
        and len(shape) in (2, 3)
        and all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape)
    )
    if not valid:
        raise ValueError(
            "image_shape must be None, (height, width) or (channels, height, "
            f"width) of positive ints, got image_shape={image_shape!r}."
        )
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {math.prod(shape)} values a row, but "
            f"X has {n_features} features. Rows are flat images in channel-first "
            "order (channels x height x width); see sklearn_ae.flatten_images."
        )
    return shape


def _likely_image_shape(n_features):
    """``(3, side, side)`` for a width of square RGB images, or None.

    Three channels of a square image of at least 4x4 pixels. (A square
    width, RGBA images among them, is read as one channel of a square image
    already.)
    """
    side = math.isqrt(n_features // 3)
    if side >= 4 and 3 * side * side == n_features:
        return (3, side, side)
    return None


def _auto_channels(image_shape):
    """The channel plan of ``hidden_layer_sizes="auto"`` for conv."""
    sizes = tuple(-(-s // 2) for s in image_shape[1:])  # after the first stage
    n_stages = 1
    while n_stages < AUTO_CONV_MAX_STAGES and min(sizes) >= 2 * AUTO_CONV_MIN_SIDE - 1:
        n_stages += 1
        sizes = tuple(-(-s // 2) for s in sizes)
    return tuple(AUTO_CONV_CHANNELS * 2**k for k in range(n_stages))


def resolve_hidden_sizes(hidden_layer_sizes, n_features, n_components, image_shape=None):
    """The encoder's hidden widths: given, or resolved from the data's width.

    The one resolver of default widths. With ``image_shape`` (the
    convolutional architecture) the sizes are the channels of the encoder's
    stages, and ``"auto"`` adds stages, each halving the maps (rounding
    up), while the maps left keep their shortest side at least
    ``AUTO_CONV_MIN_SIDE`` (7) pixels, at most ``AUTO_CONV_MAX_STAGES`` (3)
    and at least one; the first has ``AUTO_CONV_CHANNELS`` (32) channels
    and each later one twice as many as the one before, so every stage
    keeps half as many numbers per image as the last (a quarter of the
    pixels, twice the channels) and, where the image is large enough, the
    code is read from maps of 7 to 13 pixels a side, where a unit still
    knows where in the image it is:
    8x8 digits, 5x7 glyphs and 16x16 patches get ``(32,)``, 28x28 and
    32x32 images ``(32, 64)``, 64x64 images ``(32, 64, 128)``. Measured
    (``benchmarks/bench_conv.py``, denoising with 32-unit codes) against
    the earlier plan, 32 channels down to 4x4 maps: on digits up-sampled to
    28x28 test MSE 0.00668 (dense 0.00857, earlier plan 0.00792), on 32x32
    colour patches 0.00916 (dense 0.0103, earlier plan 0.0101).

    For the dense architecture ``"auto"`` gives a funnel from the
    input to the code: a first layer twice as wide as the input, within
    [64, 256], so that it can recombine every feature (over-complete) while
    wide inputs (images) stay affordable; then, while that layer is still
    more than 4 times wider than the code, a second layer of half its
    width. A steep funnel (64 pixels to 2 codes) gains from the second
    layer; a shallow one (10 features to 10 latent units) does not, and a
    deeper decoder there lets a variational model pack several factors
    into one latent unit, which hides the data's dimension.

    Parameters
    ----------
    hidden_layer_sizes : "auto", int or sequence of int
    n_features, n_components : int
    image_shape : tuple of int or None
        ``(channels, *spatial)`` for the convolutional architecture.

    Returns
    -------
    tuple of int
    """
    if image_shape is not None:
        if isinstance(hidden_layer_sizes, str) and hidden_layer_sizes == "auto":
            return _auto_channels(image_shape)
        channels = _hidden_sizes(hidden_layer_sizes)
        if not channels:
            raise ValueError(
                "architecture='conv' needs at least one convolutional stage: "
                f"hidden_layer_sizes are its channel counts, got {hidden_layer_sizes!r}."
            )
        return channels
    if isinstance(hidden_layer_sizes, str) and hidden_layer_sizes == "auto":
        first = int(min(max(2 * n_features, AUTO_WIDTH_MIN), AUTO_WIDTH_MAX))
        if first // 2 >= 4 * n_components:
            return first, first // 2
        return (first,)
    return _hidden_sizes(hidden_layer_sizes)


def _hidden_sizes(hidden_layer_sizes):
    """Validate ``hidden_layer_sizes`` and return it as a tuple of ints."""
    if isinstance(hidden_layer_sizes, str) and hidden_layer_sizes == "auto":
        return None  # resolved on the data, in fit
    sizes = hidden_layer_sizes
    if isinstance(sizes, Integral):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must be an int or a sequence of positive ints, "
            f"got {hidden_layer_sizes!r}."
        )
    return tuple(int(s) for s in sizes)
