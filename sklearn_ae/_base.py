"""Shared machinery of every autoencoder estimator.

``_BaseAutoencoder`` holds what all variants share. Fitting is a short
pipeline of named stages, each with one owner (see the developer page of
the docs, "How an estimator is built"):

``prepare``
    validation, the seeded split, the data scaling (``_scaling.py``) and a
    variant's training statistics (``_training_statistics``).
``build``
    the torch module (``_make_module``, weights from the fit's generator)
    and the skorch net (``_net.build_net``: optimizer, callbacks, policy).
``train``
    epochs, through ``AutoencoderNet.train_epochs``; ``fit``,
    ``partial_fit`` and ``warm_start`` are different drivers of this one
    stage.
``collect``
    fitted attributes read from the net.
``after_fit``
    a variant's extras, computed through the same inference path as
    ``transform`` and ``score_samples`` on the fitted estimator.

A variant overrides only the hooks where it differs: ``_make_module``,
``_make_objective``, ``_make_corruption``, ``_training_statistics``,
``_pretrain``, ``_after_fit``, the batch functions of inference
(``_encode_batch``, ``_decode_batch``, ``_score_batch``, with
``_score_folds``) and the few policy hooks (``_normalizes``,
``_unit_interval_requirement``, ``_check_params``, ``_check_architecture``,
``_latent_width``, ``_code_width``). The deterministic family
(``_autoencoder.py``) adds its own, ``_make_penalty`` (the sparse and
contractive terms) among them. ``net_class``, a public class attribute, is
the net the build stage makes (e.g. ``sklearn_ae.accelerate``'s).
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import math
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from functools import partial
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from scipy.sparse import issparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._config import get_config
from ._inference import is_narrow, row_independent_view, row_linear
from ._threads import forward_work, thread_budget
from ._modules import ACTIVATION_NAMES, _TiedLinear, build_module
from ._net import OPTIMIZERS, ArrayDataset, AutoencoderNet, StreamedRowsDataset, build_net
from ._scaling import DataScaling, RowSubset, dense_rows, is_streamed, iter_rows

_FLOAT_DTYPES = (np.float64, np.float32)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_float32_range(X, name="X"):
    """Refuse finite float64 values that would become inf as float32."""
    if X.dtype == np.float64 and X.size:
        # max and min, not abs: no temporary copy of a large X.
        peak = max(float(X.max()), -float(X.min()))
        if peak > _FLOAT32_MAX:
            raise ValueError(
                f"Input {name} contains values too large for float32 (largest "
                f"magnitude {peak:.3g} > {_FLOAT32_MAX:.3g}); the network trains "
                "in float32. Rescale the data first, e.g. with StandardScaler."
            )


def _as_float32(t, buffer=None):
    """A host tensor as float32: itself, or cast into ``buffer`` when given.

    Inference casts one chunk at a time into one buffer per call: a fresh
    multi-megabyte tensor per chunk would be fresh pages, faulted in each
    time.
    """
    if t.dtype == torch.float32:
        return t
    return t.to(torch.float32) if buffer is None else buffer[: t.shape[0]].copy_(t)


def _checked_float32(t, name="X", buffer=None):
    """A host tensor of data as float32, refusing NaN, infinity and overflow.

    The finiteness check of inference, one chunk at a time: a float32 sum
    (one cheap pass; multi-threaded, unlike NumPy's) is finite exactly when
    every value is, except that a sum of large finite values may overflow,
    so only a non-finite sum is looked at value by value.
    """
    t32 = _as_float32(t, buffer)
    suspect = t32.numel() and not bool(torch.isfinite(t32.sum()))
    if suspect and not bool(torch.isfinite(t32).all()):
        _raise_nonfinite(bool(torch.isnan(t).any()), bool(torch.isfinite(t).all()), name)
        _check_float32_range(t.numpy(), name)
    return t32


def _raise_nonfinite(has_nan, all_finite, name="X"):
    """The errors for NaN and infinity in the input, the same at fit and inference."""
    if has_nan:
        raise ValueError(
            f"Input {name} contains NaN. Impute or drop missing values first, "
            "e.g. with sklearn.impute.SimpleImputer."
        )
    if not all_finite:
        raise ValueError(f"Input {name} contains infinity or a value too large for dtype.")


def _check_all_finite(X):
    """Refuse NaN and infinity in X (a chunk of rows at a time), as inference does.

    A float64 sum per chunk is finite exactly when every value is, unless
    finite values overflow it; only then are the values looked at one by one.
    """
    for chunk in [X.data] if issparse(X) else iter_rows(X):
        with np.errstate(over="ignore", invalid="ignore"):
            suspect = chunk.size and not np.isfinite(chunk.sum(dtype=np.float64))
        if suspect:
            _raise_nonfinite(bool(np.isnan(chunk).any()), bool(np.isfinite(chunk).all()))


class _FoldedLinear(torch.nn.Module):
    """A linear layer over given tensors, that also checks its input is finite.

    The check costs a sum over one output unit instead of a pass over the
    input: a unit none of whose weights is 0 (the ``sentinel``) outputs a
    non-finite value for every row holding a NaN or an infinity (or when
    it overflows); ``nonfinite`` then tells ``_infer`` to look at the input.
    Without such a unit (None: some weight of every unit is exactly 0), all
    the outputs are summed; ``sentinel=False`` watches nothing (a folded
    last layer). One instance per call: the flag is the call's.

    Its output, the widest activation of an encoder (or the reconstruction),
    is written into one buffer per call, reused by every batch (all have
    the same shape): a fresh multi-megabyte tensor per batch would be fresh
    pages, faulted in each time. The batch's output is consumed before the
    next batch starts, so nothing else reads the buffer. A narrow layer is
    computed row by row like every narrow layer of inference
    (``_inference.row_linear``), a wide one by ``addmm``, the kernel
    ``linear`` runs. (The sentinel's sum
    is read at once for the same reason: keeping a small tensor alive per
    batch measured slower, it keeps the allocator from reusing freed
    buffers.)
    """

    def __init__(self, weight, bias, sentinel):
        super().__init__()
        self.weight = weight
        self.bias = bias
        self.sentinel = sentinel
        self.nonfinite = False
        self._out = None

    def forward(self, x):
        if self._out is None or self._out.shape[0] != x.shape[0]:
            self._out = x.new_empty((x.shape[0], self.weight.shape[0]))
        if is_narrow(self.weight):  # row by row (see _inference.py)
            out = row_linear(x, self.weight, self.bias, out=self._out)
        else:
            out = torch.addmm(self.bias, x, self.weight.t(), out=self._out)
        if self.sentinel is False:  # a last layer: nothing to watch
            return out
        watched = out if self.sentinel is None else out[:, self.sentinel]
        if not bool(torch.isfinite(watched.sum())):
            self.nonfinite = True
        return out


def _as_float_array(check, X, **kwargs):
    """Run ``check`` (validate_data or check_array) on X with float dtypes.

    ``pd.NA`` in object columns or lists makes numpy raise a bare TypeError;
    report it as the missing value it is.
    """
    try:
        return check(X, dtype=_FLOAT_DTYPES, **kwargs)
    except TypeError as exc:
        if not issparse(X) and pd.isna(np.asarray(X, dtype=object)).any():
            raise ValueError(
                "Input X contains NaN (pd.NA). Impute or drop missing values first, "
                "e.g. with sklearn.impute.SimpleImputer."
            ) from exc
        raise


def _check_finite_output(out, method=None):
    """Refuse outputs that overflowed float32 inside the network."""
    if not np.isfinite(out).all():
        raise ValueError(
            f"{method or 'The network'} produced non-finite values: the input is too far from the "
            "training data for the float32 network (it overflowed). Rescale X to "
            "the range the model was fitted on."
        )
    return out


#: The numpydoc entries of ``inference_batch_size`` and
#: ``device_memory_budget``, shared by the estimators' docstrings.
_MEMORY_PARAMETERS_DOC = """    inference_batch_size : int or None, default=None
        Rows per batch in ``transform``, ``inverse_transform`` and
        ``score_samples``. None uses the global setting
        (:func:`sklearn_ae.set_config`, 1024 by default). As a parameter it
        travels with the estimator into the workers of a parallel search
        (``n_jobs``, dask, ray), which start from the global defaults.
        Changes memory use, not the results beyond float32 rounding (see
        :func:`sklearn_ae.set_config`).

    device_memory_budget : int or None, default=None
        Largest training set, in bytes of float32, that ``fit`` copies to the
        training device at once; larger ones are streamed batch by batch.
        None uses the global setting (:func:`sklearn_ae.set_config`, 2 GiB
        by default); as a parameter it travels with the estimator. The model
        learnt is the same either way.
"""


#: The numpydoc entry of ``hidden_layer_sizes`` for dense (MLP) networks.
_HIDDEN_LAYER_SIZES_MLP_DOC = """    hidden_layer_sizes : "auto", int or tuple of int, default="auto"
        Widths of the encoder's hidden layers, from the input towards the
        code; the decoder uses them in reverse. ``()`` gives a single linear
        map each way. ``"auto"`` resolves the widths from the data
        (``hidden_layer_sizes_``): a first layer twice the number of
        features, within [64, 256], and a second of half that width while
        the first is more than 8 times wider than the code.
"""

#: How ``architecture="conv"`` builds the network, in its numpydoc entry.
_CONV_ARCHITECTURE_TEXT = """        encoder (stages of a 3x3 convolution of stride 2, which halves the
        maps, rounding odd sizes up, and the activation), a dense layer to
        the code, and a decoder that mirrors it with nearest-neighbour
        up-sampling and convolutions, cropped back to the exact image size.
        Rows stay flat; see ``image_shape``.
"""

#: The numpydoc entry of ``image_shape``.
_IMAGE_SHAPE_DOC = """
    image_shape : tuple of int, default=None
        Shape of a row as an image, for ``architecture="conv"``:
        ``(channels, height, width)`` or ``(height, width)``, each row
        flat in channel-first order (:func:`~sklearn_ae.flatten_images`
        turns image arrays into such rows). None reads a row as a square
        grayscale image when ``n_features`` is a perfect square and as a
        1-D signal (1-D convolutions) otherwise; colour images always need
        it (3x32x32 = 3072 values is not a square). Ignored by
        ``architecture="mlp"``.
"""

#: The numpydoc entries of ``hidden_layer_sizes``, ``architecture`` and
#: ``image_shape``, shared by the estimators' docstrings.
_NETWORK_PARAMETERS_DOC = (
    "\n"
    + _HIDDEN_LAYER_SIZES_MLP_DOC
    + """        With ``architecture="conv"`` they are the channels of the encoder's
        convolutional stages (at least one), and ``"auto"`` gives stages of
        32 channels, one more (at most 3) while the maps it leaves are at
        least 4 pixels on their shortest side: 8x8 digits and 5x7 glyphs
        get ``(32,)``, 16x16 patches ``(32, 32)``, 28x28 images
        ``(32, 32, 32)``.

    architecture : {"mlp", "conv"}, default="mlp"
        ``"mlp"``: dense layers over flat rows. ``"conv"``: a convolutional
"""
    + _CONV_ARCHITECTURE_TEXT
    + _IMAGE_SHAPE_DOC
)

#: Bounds of the first hidden width that ``hidden_layer_sizes="auto"`` picks.
AUTO_WIDTH_MIN, AUTO_WIDTH_MAX = 64, 256


#: Channels of every convolutional stage that ``"auto"`` picks.
AUTO_CONV_CHANNELS = 32
#: Most convolutional stages ``"auto"`` picks.
AUTO_CONV_MAX_STAGES = 3
#: ``"auto"`` adds a convolutional stage while the maps it leaves keep
#: their shortest side at least this long.
AUTO_CONV_MIN_SIDE = 4


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
    return (AUTO_CONV_CHANNELS,) * n_stages


def resolve_hidden_sizes(hidden_layer_sizes, n_features, n_components, image_shape=None):
    """The encoder's hidden widths: given, or resolved from the data's width.

    The one resolver of default widths. With ``image_shape`` (the
    convolutional architecture) the sizes are the channels of the encoder's
    stages, and ``"auto"`` adds stages, each halving the maps (rounding
    up), while the maps left keep their shortest side at least
    ``AUTO_CONV_MIN_SIDE`` (4) pixels, at most ``AUTO_CONV_MAX_STAGES`` (3)
    and at least one, each of ``AUTO_CONV_CHANNELS`` (32) channels: the
    code is read from maps of 4 to 7 pixels a side, where each unit of the
    last stage sees a good part of the image, as in the classic
    convolutional autoencoders (28x28 digits down to 7x7 or 4x4): 8x8
    digits get ``(32,)``, 5x7 glyphs ``(32,)``, 16x16 patches ``(32, 32)``,
    28x28 and 32x32 images ``(32, 32, 32)``. Channels are not doubled from
    stage to stage: the dense code layer, not the maps, is the bottleneck.
    Measured against one more stage (maps of 2x2) on 8x8 inputs, this plan
    reconstructed held-out colour patches better (it beat PCA, the deeper
    one only tied) and denoised digits as well.

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


def resolve_device(device):
    """Turn the ``device`` parameter into an available ``torch.device``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'cpu', 'cuda' "
            "or 'auto'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='cpu' or device='auto'."
        )
    if resolved.type == "cuda" and resolved.index is not None:
        if resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    return resolved


class _BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class for autoencoder estimators.

    Warning: This class should not be used directly. Use derived classes
    instead.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            StrOptions({"auto"}),
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "architecture": [StrOptions({"mlp", "conv"})],
        "image_shape": [None, tuple, list],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "trim_fraction": [Interval(Real, 0, 0.5, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
        "inference_batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "device_memory_budget": [Interval(Integral, 0, None, closed="left"), None],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    #: The net class the build stage uses, a public hook: a subclass may set
    #: another subclass of ``AutoencoderNet`` here (e.g. ``sklearn_ae.
    #: accelerate.AccelerateAutoencoderNet``, skorch's ``AccelerateMixin``).
    net_class = AutoencoderNet
    #: Whether training may take the autograd-free step where it applies
    #: (see ``_fast``); a seam for tests comparing it with the general path.
    _fast_training = True

    @abstractmethod
    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes="auto",
        architecture="mlp",
        image_shape=None,
        activation="relu",
        optimizer="adam",
        learning_rate_init=1e-3,
        alpha=1e-4,
        batch_size="auto",
        max_iter=200,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        trim_fraction=0.0,
        random_state=None,
        device="cpu",
        inference_batch_size=None,
        device_memory_budget=None,
        verbose=0,
        callbacks=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.architecture = architecture
        self.image_shape = image_shape
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.trim_fraction = trim_fraction
        self.random_state = random_state
        self.device = device
        self.inference_batch_size = inference_batch_size
        self.device_memory_budget = device_memory_budget
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------
    # Hooks a variant may override
    # ------------------------------------------------------------------
    @abstractmethod
    def _normalizes(self):
        """Whether X is centred and scaled inside the estimator (see ``_scaling``)."""

    def _unit_interval_requirement(self):
        """None, or the setting that needs X in [0, 1] and one that does not."""
        return None

    def _requires_unit_interval(self):
        """Whether X must lie in [0, 1] (binary targets or probabilities)."""
        return self._unit_interval_requirement() is not None

    def _setting(self, name):
        """A memory setting: the estimator's parameter, or else the global one."""
        value = getattr(self, name)
        return get_config()[name] if value is None else value

    def _check_params(self):
        """Cross-parameter checks that ``_parameter_constraints`` cannot express."""

    def _check_architecture(self, n_features):
        """Check the architecture's settings against X's width.

        Returns the image shape the convolutional architecture uses, or
        None for the dense one.
        """
        if self.architecture != "conv":
            return None
        shape = resolve_image_shape(self.image_shape, n_features)
        likely = _likely_image_shape(n_features) if len(shape) == 2 else None
        if likely is not None:
            warnings.warn(
                f"{type(self).__name__}: X has {n_features} features, as many as "
                f"{likely[1]}x{likely[2]} images with {likely[0]} channels, but "
                "image_shape is None, so the convolutions run along one axis of "
                f"length {n_features} (1-D signals). Set image_shape={likely} "
                "(channels, height, width; rows flat in channel-first order, see "
                "sklearn_ae.flatten_images) to convolve images.",
                UserWarning,
            )
        return shape

    def _check_input(self, X, name="X"):
        """Checks of the values of X beyond finiteness (run in fit and score)."""
        requirement = self._unit_interval_requirement()
        if requirement is not None and X.size:
            lo, hi = float(X.min()), float(X.max())
            if lo < 0 or hi > 1:
                setting, alternative = requirement
                raise ValueError(
                    f"{type(self).__name__} with {setting} needs {name} in "
                    f"[0, 1] (binary targets or probabilities), but {name} ranges "
                    f"from {lo:.6g} to {hi:.6g}. Scale it (e.g. MinMaxScaler) or use "
                    f"{alternative}."
                )

    def _check_partial_fit_params(self):
        """Refuse settings ``partial_fit`` cannot honour."""
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call is "
                "one pass over the rows it is given, with none held out. Use fit "
                "(with warm_start=True to continue training), or set "
                "early_stopping=False."
            )

    def _latent_width(self, n_features):
        """Width of the network's code layer."""
        return self.n_components

    def _code_width(self):
        """Width of the codes ``transform`` returns (fitted)."""
        return self.n_components

    @abstractmethod
    def _make_module(self, n_features):
        """Return a fresh torch module (``build_module`` initialises its weights)."""

    @abstractmethod
    def _make_objective(self):
        """Return the training objective (see ``AutoencoderNet``)."""

    def _make_corruption(self, device):
        """Return ``corrupt(x_batch, generator) -> x_noisy`` for training, or None.

        Batches are in model space (``self._scaling`` maps to and from the
        data's units) and live on ``device``.
        """
        return None

    def _training_statistics(self, chunks):
        """Private fitted statistics of the training rows (model space).

        ``chunks()`` iterates over the training rows in model space as
        float32 arrays of consecutive rows (one array for dense data,
        bounded chunks for sparse data). Computed once, when training
        starts, and kept (also across ``partial_fit`` calls and pickling)
        for the build stage.
        """
        return {}

    def _stopping_warmup(self):
        """Epochs at the start that early stopping does not judge."""
        return 0

    def _training_schedule(self):
        """``schedule(module, epoch)`` run as each epoch begins, or None."""
        return None

    def _pretrain(self, train_ds, valid_ds):
        """A training stage before the end-to-end one (fresh fits only); none here."""

    def _after_fit(self, X):
        """Set a variant's extra fitted attributes from the training rows X.

        Runs with the fitted estimator in place; use the inference methods
        (``_encode``, ``_score``), never a loop of one's own.
        """

    # ------------------------------------------------------------------
    # Fitting: drivers
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct X.

        With ``warm_start=True`` and a fitted estimator, training continues
        from the fitted weights, optimizer state, scaling and early stopping
        state for ``max_iter`` more epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Pandas DataFrames record their column names in
            ``feature_names_in_``.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "net_")
        if continuing:
            self._check_unchanged_since_build("fit with warm_start=True")
        with self._unchanged_on_failure(continuing):
            # two rows at least, as PCA and the scaling need
            X = self._validate_training_data(X, reset=not continuing, min_samples=2)
            if continuing:
                train_idx, valid_idx = self._split(X.shape[0], self._split_state)
            else:
                train_idx, valid_idx = self._start(X, split=True)
            train_ds, valid_ds = self._datasets(X, train_idx, valid_idx)
            if not continuing:
                self._pretrain(train_ds, valid_ds)
            self.net_.train_epochs(train_ds, valid_ds, epochs=self.max_iter, stopping=True)
            self._collect()
            self._finish(X if valid_idx is None else self._training_rows(X, train_idx))
        self._warn_if_not_converged()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train one pass (epoch) over X, continuing from the current state.

        The first call (or the first after the estimator was cloned)
        initialises: it validates X, fixes the data scaling (``mean_``,
        ``scale_``) and the training statistics from these rows, and builds
        the network; every call then trains one pass over its rows, keeping
        the optimizer state, so a stream of chunks trains like epochs of
        ``fit``. The scaling is fixed at the first call, as in a model that
        has started learning it must not move; make the first chunk
        representative (or scale the data beforehand). ``batch_size="auto"``
        is resolved on the first chunk too. Like
        :meth:`sklearn.neural_network.MLPRegressor.partial_fit`,
        ``early_stopping=True`` is refused, and no ``ConvergenceWarning`` is
        raised. Each call counts as one epoch in ``n_iter_`` and
        ``loss_curve_``, and a variant's post-fit statistics (e.g.
        ``mean_activation_``) describe the rows of the latest call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The estimator, trained one more pass.
        """
        first = not hasattr(self, "net_")
        self._check_partial_fit_params()
        if not first:
            self._check_unchanged_since_build("partial_fit")
        with self._unchanged_on_failure(not first):
            X = self._validate_training_data(X, reset=first)
            if first:
                self._start(X, split=False)
            train_ds, _ = self._datasets(X, None, None)
            if first:
                self._pretrain(train_ds, None)
            self.net_.train_epochs(train_ds, epochs=1, stopping=False)
            self._collect()
            self._finish(X)
        return self

    def _check_unchanged_since_build(self, method):
        """Continued training needs the parameters the net was built with."""
        params = self.get_params(deep=False)
        changed = sorted(
            name
            for name, value in self._built_with.items()
            if name not in _CONTINUABLE_PARAMS and not _same_param(params[name], value)
        )
        if changed:
            raise ValueError(
                f"{method} continues training the fitted model, but "
                f"{', '.join(changed)} changed since it was built "
                f"({', '.join(f'{n}={self._built_with[n]!r}' for n in changed)} then). "
                "Restore them, or refit from scratch (warm_start=False, or a fresh "
                "clone for partial_fit)."
            )

    @contextmanager
    def _unchanged_on_failure(self, continuing):
        """Leave the estimator exactly as it was if the block raises.

        A new model is built aside from the old one, so restoring the
        attributes restores it; continued training changes the net in
        place, so its training state is saved first and put back.
        """
        before = dict(self.__dict__)
        net_state = self.net_.get_training_state(history=False) if continuing else None
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if net_state is not None:
                self.net_.set_training_state(net_state)
            raise

    # ------------------------------------------------------------------
    # Fitting: stages
    # ------------------------------------------------------------------
    def _validate_training_data(self, X, *, reset, min_samples=1):
        X = _as_float_array(
            partial(validate_data, self, reset=reset), X, accept_sparse="csr",
            ensure_all_finite=False, ensure_min_samples=min_samples,
        )
        _check_all_finite(X)  # with the hint inference gives, also at fit
        self._check_params()
        image_shape = self._check_architecture(X.shape[1])
        resolve_hidden_sizes(self.hidden_layer_sizes, X.shape[1], 1, image_shape)
        _check_float32_range(X)
        self._check_input(X)
        return X

    def _start(self, X, *, split):
        """Prepare and build: seeds, split, scaling, statistics, the net.

        Returns the training and validation row indices (None for all rows
        and no validation).
        """
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        self._seeds = tuple(int(s) for s in rng.randint(0, 2**31 - 1, size=3))
        # The split is drawn from the state rng has now, kept so that a
        # warm start holds out the same rows.
        self._split_state = rng.get_state()
        train_idx, valid_idx = self._split(X.shape[0], self._split_state) if split else (None, None)
        fit_rows = train_idx if valid_idx is not None else None
        streamed = is_streamed(X)
        if not self._normalizes():
            scaling = DataScaling.none(X.shape[1])
            X_model = None if streamed else np.ascontiguousarray(X, dtype=np.float32)
        elif streamed:
            X_model, scaling = None, DataScaling.fit_streamed(X, fit_rows)
        else:
            X_model, scaling = DataScaling.fit_transform(X, fit_rows)
        self.mean_, self.scale_ = scaling.mean, scaling.scale
        self.image_shape_ = self._check_architecture(X.shape[1])
        self.hidden_layer_sizes_ = resolve_hidden_sizes(
            self.hidden_layer_sizes,
            X.shape[1],
            self._latent_width(X.shape[1]),
            self.image_shape_,
        )
        self.device_ = device
        if X_model is None:  # read in place: model space one dense chunk at a time
            chunks = partial(scaling.model_chunks, X, fit_rows)
        else:
            X_train = X_model if valid_idx is None else X_model[train_idx]
            chunks = partial(iter, [X_train])
            self._X_model_cache = (X, X_model)  # reused by _datasets, then dropped
        self.__dict__.update(self._training_statistics(chunks))
        self._built_with = self.get_params(deep=False)
        self.net_ = self._build(
            X.shape[1], batch_size=self._batch_size(X.shape[0] - _count(valid_idx))
        )
        return train_idx, valid_idx

    def _build(self, n_features, *, batch_size):
        """The module and its net, initialised (weights from the fit's seed)."""
        init_seed, shuffle_seed, noise_seed = self._seeds
        generator = torch.Generator().manual_seed(init_seed)
        module = build_module(partial(self._make_module, n_features), generator)
        net = build_net(
            module,
            objective=self._make_objective(),
            batch_size=batch_size,
            max_epochs=self.max_iter,
            validation=self.early_stopping,
            warmup_epochs=self._stopping_warmup(),
            schedule=self._training_schedule(),
            callbacks=self.callbacks,
            corruption=self._make_corruption(self.device_),
            shuffle_seed=shuffle_seed,
            noise_seed=noise_seed,
            **self._training_options(),
        )
        return net.initialize()

    def _training_options(self):
        """The net settings every training stage of this estimator shares."""
        return dict(
            optimizer=self.optimizer,
            lr=self.learning_rate_init,
            weight_decay=self.alpha,
            device=self.device_,
            patience=self.n_iter_no_change,
            tol=self.tol,
            verbose=self.verbose,
            net_class=self.net_class,
            fast=self._fast_training,
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            # At least ~10 optimizer steps an epoch once there are 320 rows:
            # with MLPRegressor's min(200, n), 500 rows train in 3 steps an
            # epoch and a VAE's third latent factor had not formed after
            # 200 epochs (see the docstring of batch_size).
            size = min(200, max(32, n_samples // 10))
        else:
            size = self.batch_size
        return max(1, min(size, n_samples))

    def _split(self, n_samples, state):
        """Indices of training and validation rows (seeded, shuffled)."""
        if not self.early_stopping:
            return None, None
        n_valid = int(np.ceil(self.validation_fraction * n_samples))
        if n_samples - n_valid < 1:
            raise ValueError(
                f"early_stopping=True needs at least 2 samples to hold out a "
                f"validation set (validation_fraction={self.validation_fraction}), "
                f"got n_samples={n_samples}."
            )
        rng = np.random.RandomState()
        rng.set_state(state)
        perm = rng.permutation(n_samples)
        return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])

    @staticmethod
    def _training_rows(X, train_idx):
        """``X[train_idx]``; a lazy view for data read in place (never copied)."""
        return RowSubset(X, train_idx) if is_streamed(X) else X[train_idx]

    def _datasets(self, X, train_idx, valid_idx):
        """Training and validation ``ArrayDataset``s in model space."""
        if is_streamed(X):
            if valid_idx is None:
                return StreamedRowsDataset(X, self._scaling, self.device_), None
            return (
                StreamedRowsDataset(X, self._scaling, self.device_, rows=train_idx),
                StreamedRowsDataset(X, self._scaling, self.device_, rows=valid_idx),
            )
        cached = self.__dict__.pop("_X_model_cache", None)
        if cached is not None and cached[0] is X:
            X_model = cached[1]
        else:
            X_model = self._scaling.to_model(X)
        resident = X_model.nbytes <= self._setting("device_memory_budget")
        if valid_idx is None:
            return ArrayDataset(X_model, self.device_, resident=resident), None
        return (
            ArrayDataset(X_model[train_idx], self.device_, resident=resident),
            ArrayDataset(X_model[valid_idx], self.device_, resident=resident),
        )

    def _rows_dataset(self, X, *, y=None):
        """A dataset of rows of X (dense or sparse) in model space, for a net.

        Used by the meta-estimators to train on the fitted autoencoder's
        model space (e.g. fine-tuning with a head and targets ``y``).
        """
        if is_streamed(X):
            return StreamedRowsDataset(X, self._scaling, self.device_, y=y)
        X_model = self._scaling.to_model(X)
        resident = X_model.nbytes <= self._setting("device_memory_budget")
        return ArrayDataset(X_model, self.device_, y=y, resident=resident)

    def _collect(self):
        """Fitted attributes read from the net's history."""
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.best_loss_ = float(min(self.loss_curve_))
        if self.early_stopping:
            rows = [row["valid_loss"] for row in history if "valid_loss" in row]
            self.validation_scores_ = [-float(v) for v in rows]
            self.best_validation_score_ = float(max(self.validation_scores_))
        terms = [name for name in self.net_.objective_terms_ if all(name in r for r in history)]
        self.objective_curves_ = {name: [float(v) for v in history[:, name]] for name in terms}

    def _finish(self, X):
        """The after_fit stage: a variant's extras, then codes kept for ``sample``."""
        self._after_fit(X)
        self._n_features_out = self._code_width()
        self._keep_codes_for_sampling(X)

    def _keep_codes_for_sampling(self, X):
        """Keep the codes of at most ``N_DENSITY_CODES`` rows of X for ``sample``.

        A seeded subsample, so the fitted state stays bounded in the rows;
        also called by the supervised meta-estimators after fine-tuning.
        """
        rng = np.random.RandomState(self._seeds[0])
        if X.shape[0] > N_DENSITY_CODES:
            X = X[np.sort(rng.choice(X.shape[0], N_DENSITY_CODES, replace=False))]
        self._density_codes = self._encode(X).astype(np.float64)
        self._code_density = None  # fitted at the first call of sample

    def _warn_if_not_converged(self):
        """Warn where training ended at ``max_iter`` while still improving.

        The monitored loss (the validation loss with early stopping, else
        the training loss, in model units as early stopping judges it) must
        have fallen by more than ``tol`` per epoch, on average over the last
        ``n_iter_no_change`` epochs (from the loss before them to the best
        among them), for more training to change the result meaningfully:
        only then a ``ConvergenceWarning`` says so, and what to do. A fit of
        one epoch, whose progress cannot be judged, warns as well.
        """
        net = self.net_
        if net.stopped_early_:
            return
        monitor = net.stopper_.monitor
        curve = [float(v) for v in net.history[:, monitor]]
        window = min(self.n_iter_no_change, len(curve) - 1)
        rate = math.inf if window < 1 else (curve[-1 - window] - min(curve[-window:])) / window
        if rate <= self.tol:
            return
        what = "validation loss" if monitor == "valid_loss" else "training loss"
        progress = (
            "after a single epoch" if window < 1 else
            f"still falling by {rate:.3g} per epoch over the last {window} epochs "
            f"(more than tol={self.tol:g})"
        )
        warnings.warn(
            f"{type(self).__name__}: max_iter={self.max_iter} epochs reached with the "
            f"{what} {progress}: more training would still improve the model. Raise "
            "max_iter (or continue with warm_start=True), or raise tol to accept "
            "this change per epoch.",
            ConvergenceWarning,
        )

    # ------------------------------------------------------------------
    # Inference: one path for every method
    # ------------------------------------------------------------------
    @property
    def _module(self):
        return self.net_.module_

    @property
    def _scaling(self):
        """The map between the data's units and model space (fitted)."""
        if not self._normalizes():
            return DataScaling.none(self.n_features_in_)
        return DataScaling(self.mean_, self.scale_)

    def _encode_batch(self, xb, module=None):
        """Codes of a batch in model space (in data units for a folded ``module``)."""
        return (module or self._module).encode(xb)

    def _decode_batch(self, zb, module=None):
        """Reconstruction of a batch of codes, in model space (in data units
        for a folded ``module``)."""
        return (module or self._module).decode(zb)

    @abstractmethod
    def _score_batch(self, xb, module=None):
        """Per-sample score of a batch in model space (higher is more typical).

        ``module`` is the inference view (``_inference_module``), folded
        only where ``_score_folds`` says the variant takes a folded one.
        """

    def _infer(self, fn, X, *, out_width, from_data=True, to_data=False, method=None, fold=None):
        """Run ``fn(batch, module=view)`` on X in batches under inference mode.

        The one batching loop of inference. Every batch ``fn`` sees has
        exactly ``inference_batch_size`` rows: a last, partial batch is
        completed with the rows before it (the batch overlaps the previous
        one; only its new rows' outputs are kept), a call with fewer rows
        is padded with zero rows, whose outputs are dropped. With one shape
        for every batch, and narrow layers computed row by row in the view
        ``fn`` gets (``_inference_module``), a row's output does not depend
        on the other rows of the call nor on its position in a batch (see
        ``_inference.py`` for why this holds on any CPU or GPU).

        Each chunk of X (``from_data``) is checked (NaN, infinity, float32
        range), and mapped to model space: in
        float32 with torch when the scaling allows it
        (``DataScaling.float32_safe``), else in float64 on the host. With
        ``fold`` the map is instead folded into the view of the module (see
        ``_inference_module``; ``"encoder"``: its first layer, for an encoder,
        which then reads rows in data units; ``"decoder"``: its last, for a
        decoder that writes them; ``"both"``). Outputs in data units (``to_data``) are otherwise mapped
        back the same way. The check runs as each chunk is cast, or with a
        folded first layer from a watched unit, read once after the last
        batch (the chunks are then looked at to name the bad value). Only
        one batch of tensors is alive at a time; results are written
        straight into the output, of X's float dtype.
        """
        if self._module.training:  # eval() walks every submodule: only when needed
            self._module.eval()
        scaling = self._scaling
        in32 = scaling.float32_safe
        device = self.device_
        n = X.shape[0]
        batch_size = self._setting("inference_batch_size")
        out = np.empty((n, out_width) if out_width is not None else (n,), dtype=X.dtype)
        # The view reads the data's units (no mapping of the input) when
        # its first layer is folded, writes them when its last is.
        module, folded_in, folded_out = self._inference_module(fold if in32 else None)
        if in32 and not scaling.identity:
            # x_model = x / s - m / s and x = s * x_model + m.
            shift = torch.as_tensor(scaling.mean, dtype=torch.float32, device=device)
            model_shift = torch.as_tensor(
                -scaling.mean / scaling.scale, dtype=torch.float32, device=device
            )
        # Where NaN, infinity and overflow of the input are caught: by the
        # folded first layer, by a per-row score (every feature enters each
        # row's score, so a bad value makes it non-finite), else by a pass
        # over each chunk as it is cast.
        check_after = folded_in or out_width is None
        padded = None
        cast = None
        if from_data and X.dtype != np.float32:
            cast = torch.empty((min(n, batch_size), X.shape[1]), dtype=torch.float32)
        with torch.inference_mode(), thread_budget(forward_work(self._module, batch_size)):
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                # The last batch overlaps the previous one: a full batch
                # without a padded copy, of which rows start:stop are kept.
                chunk = np.ascontiguousarray(dense_rows(X[max(0, stop - batch_size) : stop]))
                rows = chunk.shape[0]
                new_rows = slice(rows - (stop - start), rows)
                t = torch.from_numpy(chunk)
                if not from_data:
                    xb = t.to(device, torch.float32)
                else:
                    t32 = _as_float32(t, cast) if check_after else _checked_float32(t, buffer=cast)
                    if folded_in or scaling.identity:
                        xb = t32.to(device)
                    elif in32:
                        xb = t32.to(device).mul(1.0 / scaling.scale).add_(model_shift)
                    else:
                        xb = torch.from_numpy(scaling.to_model(chunk)).to(device)
                if rows < batch_size:
                    if padded is None:
                        padded = xb.new_zeros((batch_size, X.shape[1]))
                    padded[:rows] = xb
                    xb = padded
                result = fn(xb, module=module)[new_rows]
                if to_data and in32 and not (scaling.identity or folded_out):
                    # in place: a decoder's output is a fresh tensor of its own
                    result = result.mul_(scaling.scale).add_(shift)
                result = result.cpu().numpy()
                if from_data and not folded_in and check_after:
                    if not np.isfinite(result).all():
                        _checked_float32(t)  # raises if the input is to blame
                if to_data and not in32:
                    result = scaling.to_data(result)
                out[start:stop] = result
            if folded_in and module.encoder_layers[0].nonfinite:
                for chunk in iter_rows(X):  # raises if the input is to blame
                    _checked_float32(torch.from_numpy(np.ascontiguousarray(chunk)))
        return _check_finite_output(out, method)

    def _inference_module(self, fold=None):
        """The module as inference runs it, and whether it reads/writes data units.

        Returns ``(view, folded_in, folded_out)``; ``view.folded`` is
        ``fold``, or None where nothing was folded. The view is a per-call
        shallow copy of the module, sharing its parameters, in which every
        narrow dense layer is computed row by row (see ``_inference.py``:
        a row's output cannot depend on the other rows) and the hidden
        activations run in place (no graph is recorded at inference).

        With ``fold`` the scaling is also folded into the view:
        ``W (x - m) / s + b = (W / s) x + (b - W m / s)`` into the first
        encoder layer (``fold="encoder"``; the view then reads rows in data
        units, ``folded_in``), its inverse into the last decoder layer,
        ``s (V h + c) + m`` (``"decoder"``; it writes them, ``folded_out``),
        or both (``"both"``), so that inference skips standardising (the
        folds computed in float64, stored in float32; a tied decoder layer
        keeps reading the original weight). The folded weights are kept on
        the net with copies of the weights they were made from, and remade
        whenever those differ (after any training step). Nothing is folded
        without a scaling, or when a layer to fold is not linear
        (convolutions). The data are standardised only for an identity
        output activation, so the decoder's logits are its output.
        """
        if fold not in (None, "encoder", "decoder", "both"):
            raise ValueError(
                f"fold must be None, 'encoder', 'decoder' or 'both', got {fold!r}."
            )
        module = self._module
        folds = self._cached_folds(fold) if fold is not None else None
        replace = {}
        if folds is not None:
            first_folded, last_folded = folds
            if first_folded is not None:
                replace["encoder_layers", 0] = _FoldedLinear(*first_folded)
            if last_folded is not None:
                last = len(module.decoder_layers) - 1
                replace["decoder_layers", last] = _FoldedLinear(*last_folded, sentinel=False)
        view = row_independent_view(module, replace, in_place=True)
        view.folded = fold if folds is not None else None  # what the view folds
        folded_in = folds is not None and folds[0] is not None
        folded_out = folds is not None and folds[1] is not None
        return view, folded_in, folded_out

    def _cached_folds(self, fold):
        """The folded layers ``fold`` asks for (see ``_fold``), or None.

        None when there is no scaling to fold or a layer to fold is not a
        dense one. Kept on the net with copies of their sources, remade when
        those changed.
        """
        module = self._module
        if self._scaling.identity:
            return None
        sources = []
        if fold in ("encoder", "both"):
            first = next(iter(getattr(module, "encoder_layers", ())), None)
            if type(first) is not torch.nn.Linear:
                return None
            sources += [first.weight, first.bias]
        if fold in ("decoder", "both"):
            last = next(reversed(getattr(module, "decoder_layers", ())), None)
            if type(last) is _TiedLinear:
                sources += [last._source[0].weight.t(), last.bias]
            elif type(last) is torch.nn.Linear:
                sources += [last.weight, last.bias]
            else:
                return None
        cache = self.net_.__dict__.setdefault("_folded", {})
        cached = cache.get(fold)
        if not (
            cached is not None
            and all(torch.equal(kept, now) for kept, now in zip(cached[0], sources))
        ):
            cached = ([t.detach().clone() for t in sources], self._fold(fold, *sources))
            cache[fold] = cached
        return cached[1]

    def _fold(self, fold, *sources):
        """The folded first and/or last layers' weights, biases (and sentinel).

        ``sources`` are the weight and bias of the first layer, of the last
        one, or of both, as ``fold`` says; the fold not asked for is None.
        """
        scaling = self._scaling
        first = last = None
        with torch.no_grad():
            mean = torch.as_tensor(scaling.mean, dtype=torch.float64, device=sources[0].device)
            if fold in ("encoder", "both"):
                weight, bias, *sources = sources
                weight = weight.double()
                folded_weight = (weight / scaling.scale).float()
                folded_bias = (bias.double() - weight @ mean / scaling.scale).float()
                dense = torch.nonzero((folded_weight != 0).all(dim=1))
                sentinel = int(dense[0, 0]) if len(dense) else None
                first = (folded_weight, folded_bias, sentinel)
            if fold in ("decoder", "both"):
                last_weight, last_bias = sources
                last = (
                    (last_weight.double() * scaling.scale).float().contiguous(),
                    (last_bias.double() * scaling.scale + mean).float(),
                )
        return first, last

    def _encode(self, X):
        return self._infer(
            self._encode_batch, X, out_width=self._code_width(), method="transform", fold="encoder"
        )

    #: Whether ``_score_batch`` accepts a folded module (``module=``, rows
    #: and reconstructions in data units; see ``_inference_module``).
    _score_folds = False

    def _score(self, X):
        return self._infer(
            self._score_batch, X, out_width=None, method="score_samples",
            fold="both" if self._score_folds else None,
        )

    # ------------------------------------------------------------------
    # Generation: decode draws from a density of the training codes
    # ------------------------------------------------------------------
    def _fitted_code_density(self):
        """Gaussian mixture of the training codes, fitted once (seeded)."""
        if self._code_density is None:
            from sklearn.mixture import GaussianMixture

            codes = self._density_codes
            n_mix = max(1, min(N_MIXTURE_COMPONENTS, len(codes) // 10))
            with warnings.catch_warnings():
                # Few or duplicate codes (tiny data) are still a valid,
                # if degenerate, density.
                warnings.simplefilter("ignore", ConvergenceWarning)
                mixture = GaussianMixture(
                    n_mix, covariance_type="full", random_state=self._seeds[0]
                ).fit(codes)
            self._code_density = {
                "weights": mixture.weights_,
                "means": mixture.means_,
                "cholesky": np.linalg.cholesky(mixture.covariances_),
            }
        return self._code_density

    def _sample_codes(self, n_samples, rng):
        density = self._fitted_code_density()
        weights = density["weights"] / density["weights"].sum()
        component = rng.choice(len(weights), size=n_samples, p=weights)
        eps = rng.standard_normal(size=(n_samples, density["means"].shape[1]))
        return density["means"][component] + np.einsum(
            "nij,nj->ni", density["cholesky"][component], eps
        )

    def _check_sample_args(self, n_samples):
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(
                f"n_samples must be a positive integer, got n_samples={n_samples!r}."
            )
        return int(n_samples)

    def sample(self, n_samples=1, random_state=None):
        """Generate new samples: decode draws from a density of the codes.

        A Gaussian mixture (full covariances, ``min(10, max(1, n // 10))``
        components for ``n`` training codes, at most 2000 of them, a seeded
        subsample) is fitted to the codes of the training rows at the first
        call, deterministically, and kept with the estimator (it persists
        with it); each sample is the decoding of one draw from it, as in
        "decode a latent point to get a new letter". The mixture adds no
        cost to ``fit``.

        This is meaningful when the codes are few compared with the
        training rows and the decoder is smooth between training codes: a
        narrow code (``n_components`` of 2 to ~10) of a well-trained model.
        With wide, over-complete or sparse codes the mixture's draws fall
        between the training codes in ways the decoder never saw (and a
        top-k code's draws are not sparse), so the samples are blends.
        A :class:`VariationalAutoencoder` is trained for generation.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws (through NumPy; torch's random state is not
            touched). An int gives the same samples on every call.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            The generated samples, in float64.
        """
        n_samples = self._check_sample_args(n_samples)
        return self.inverse_transform(self._sample_codes(n_samples, check_random_state(random_state)))

    def _validate_for_inference(self, X):
        check_is_fitted(self)
        # NaN, infinity and the float32 range are checked chunk by chunk
        # as inference casts the rows (_checked_float32), not in a pass of
        # their own.
        return _as_float_array(
            partial(validate_data, self), X, reset=False, accept_sparse="csr",
            ensure_all_finite=False,
        )

    def transform(self, X):
        """Encode X into the latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, of the same float dtype as X.
        """
        return self._encode(self._validate_for_inference(X))

    def inverse_transform(self, X):
        """Decode latent codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, `n_features_in_`)
            Reconstructions, of the same float dtype as the codes.
        """
        check_is_fitted(self)
        Z = _as_float_array(check_array, X, input_name="X")
        if Z.shape[1] != self._code_width():
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects "
                f"n_components={self._code_width()} (the width of the codes)."
            )
        _check_float32_range(Z)
        return self._infer(
            self._decode_batch,
            Z,
            out_width=self.n_features_in_,
            from_data=False,
            to_data=True,
            method="inverse_transform",
            fold="decoder",
        )

    def score_samples(self, X):
        """Per-sample score: higher means more typical of the training data.

        For the deterministic autoencoders this is the negative mean
        reconstruction error of each row, in the input's units (squared
        error for ``loss="mse"``, binary cross-entropy for ``loss="bce"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        X = self._validate_for_inference(X)
        self._check_input(X)
        return self._score(X)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`, so that model selection needs no y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------------
    # Persistence: the training state as arrays, never skorch's pickle
    # ------------------------------------------------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_X_model_cache", None)
        net = state.pop("net_", None)
        if net is not None:
            state["_net_state"] = net.get_training_state()
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state):
        net_state = state.pop("_net_state", None)
        super().__setstate__(state)
        if net_state is None:
            return
        device = torch.device(self.device_)
        if device.type == "cuda" and (
            not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()
        ):
            # Fitted on a GPU this machine lacks: the weights are arrays, so
            # the model runs (and goes on training) on the CPU.
            device = torch.device("cpu")
        self.device_ = device
        # The net is rebuilt as it was built, even if parameters were set
        # since (continuing would then refuse them, with a clear error).
        current = self.get_params(deep=False)
        self.set_params(**self._built_with)
        try:
            self.net_ = self._build(self.n_features_in_, batch_size=net_state["batch_size"])
        finally:
            self.set_params(**current)
        self.net_.set_training_state(net_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


#: Training codes kept (a seeded subsample) for the density of ``sample``.
N_DENSITY_CODES = 2000
#: Most components of the Gaussian mixture of the codes.
N_MIXTURE_COMPONENTS = 10

#: Parameters that may change between calls that continue training.
#: Parameters that may change between fits that continue training: the
#: epoch budget and settings that change how memory is used, not the model.
_CONTINUABLE_PARAMS = {"max_iter", "warm_start", "inference_batch_size", "device_memory_budget"}


def _same_param(a, b):
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # arrays and the like: not the same object
        return False


def _count(idx):
    return 0 if idx is None else len(idx)
