"""numpydoc entries shared by the estimators' docstrings.

Each class docstring is assembled from its own text and these entries, so a
shared parameter is described once; ``tests/test_docstrings.py`` checks that
every class documents exactly its parameters and fitted attributes and that
a parameter shared by several classes reads the same in all of them.
"""

# SPDX-License-Identifier: BSD-3-Clause

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
        convolutional stages (at least one), and ``"auto"`` gives a first
        stage of 32 channels and one more (at most 3), of twice the
        channels, while the maps it leaves are at least 7 pixels on their
        shortest side: 8x8 digits, 5x7 glyphs and 16x16 patches get
        ``(32,)``, 28x28 and 32x32 images ``(32, 64)``.

    architecture : {"mlp", "conv"}, default="mlp"
        ``"mlp"``: dense layers over flat rows. ``"conv"``: a convolutional
"""
    + _CONV_ARCHITECTURE_TEXT
    + _IMAGE_SHAPE_DOC
)
