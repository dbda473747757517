"""Grids of images: reconstructions, and images decoded from latent points."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import _safe_indexing

from ._common import (
    _check_components,
    _component_names,
    _get_ax,
    check_matplotlib_support,
)

#: Pixels of background between two tiles of a grid.
_GAP = 1
#: Colour of the gaps between tiles (distinct from blank pixels).
_GAP_COLOR = "#c6dbef"


def _image_shape(n_features, image_shape):
    """``(channels, height, width)`` of one image; square grayscale by default.

    ``image_shape`` is ``(height, width)`` or ``(channels, height, width)``
    (rows flat in channel-first order, as the estimators take them).
    """
    if image_shape is None:
        side = int(round(np.sqrt(n_features)))
        if side * side != n_features:
            raise ValueError(
                f"Samples with {n_features} features are not square images; "
                "pass image_shape=(height, width) or (channels, height, width)."
            )
        return 1, side, side
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or shape[0] not in (1, 3) or np.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} does not hold {n_features} pixels; pass "
            "(height, width) or (channels, height, width), channels 1 or 3, with "
            "as many values as n_features."
        )
    return shape


def _mosaic(images, image_shape):
    """Tile ``images`` of shape (n_rows, n_cols, n_values) into one array.

    Grayscale tiles give a 2-D array whose gaps of ``_GAP`` pixels are NaN
    (drawn in the colour the colormap uses for bad values); colour tiles
    (flat channel-first) give an RGB array in [0, 1], values clipped, with
    white gaps.
    """
    n_rows, n_cols = images.shape[:2]
    channels, height, width = image_shape
    tiles = images.reshape(n_rows, n_cols, channels, height, width).astype(float)
    tiles = tiles.transpose(0, 1, 3, 4, 2)  # channel-last for imshow
    fill = np.nan if channels == 1 else 1.0
    if channels > 1:
        tiles = np.clip(tiles, 0.0, 1.0)
    tiles = np.pad(tiles, ((0, 0), (0, 0), (0, _GAP), (0, _GAP), (0, 0)), constant_values=fill)
    mosaic = tiles.transpose(0, 2, 1, 3, 4).reshape(n_rows * (height + _GAP), -1, channels)
    mosaic = mosaic[:-_GAP, :-_GAP]
    return mosaic[..., 0] if channels == 1 else mosaic


def _estimator_image_shape(estimator, image_shape):
    """The image shape given, else the one a conv estimator was fitted with."""
    if image_shape is not None:
        return image_shape
    return getattr(estimator, "image_shape_", None)


class _ImageGridDisplay:
    """Draws ``_grid()`` (n_rows, n_cols, n_pixels) as one tiled image."""

    def _grid(self):
        raise NotImplementedError

    def _labels(self):
        """Row and column labels (lists of str, or None)."""
        return None, None

    def plot(self, ax=None, *, imshow_kwargs=None):
        """Draw the grid of images.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes sized to
            the grid.

        imshow_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`
            (``cmap``, ``vmin``, ``vmax``, ...).

        Returns
        -------
        display : object
            The display, with ``image_``, ``ax_`` and ``figure_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        check_matplotlib_support(caller)
        import matplotlib

        grid = np.asarray(self._grid(), dtype=float)
        if grid.ndim != 3:
            raise ValueError(
                "The images must form an array of shape (n_rows, n_columns, "
                f"n_pixels), got shape {grid.shape}."
            )
        n_rows, n_cols, n_pixels = grid.shape
        channels, height, width = _image_shape(n_pixels, self.image_shape)
        figsize = (1 + 0.09 * n_cols * (width + _GAP), 0.5 + 0.09 * n_rows * (height + _GAP))
        ax, figure = _get_ax(ax, caller, figsize=figsize)

        kwargs = {
            "cmap": matplotlib.colormaps["gray_r"].with_extremes(bad=_GAP_COLOR),
            "interpolation": "nearest",
        }
        kwargs.update(imshow_kwargs or {})
        self.image_ = ax.imshow(_mosaic(grid, (channels, height, width)), **kwargs)

        row_labels, col_labels = self._labels()
        ax.set_yticks(
            np.arange(n_rows) * (height + _GAP) + (height - 1) / 2,
            labels=row_labels if row_labels is not None else [],
        )
        ax.set_xticks(
            np.arange(n_cols) * (width + _GAP) + (width - 1) / 2,
            labels=col_labels if col_labels is not None else [],
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        self.ax_, self.figure_ = ax, figure
        return self


class ReconstructionDisplay(_ImageGridDisplay):
    """Reconstruction grid: originals above what the model makes of them.

    One column per sample; the rows are the originals, the inputs the
    model was given when they differ from the originals (noisy or masked
    copies, for a denoising autoencoder), and the reconstructions.

    It is recommended to use :meth:`from_estimator` to create a display;
    all parameters are stored as attributes.

    Parameters
    ----------
    originals : ndarray of shape (n_images, n_pixels)
        The clean samples.

    reconstructions : ndarray of shape (n_images, n_pixels)
        What the model returns for them.

    inputs : ndarray of shape (n_images, n_pixels), default=None
        What the model was fed, when not the originals.

    image_shape : tuple of int, default=None
        ``(height, width)`` of one image, or ``(channels, height, width)``
        for colour images (flat channel-first rows, 1 or 3 channels, drawn
        as RGB in [0, 1]). None assumes square grayscale images.

    labels : array-like of shape (n_images,), default=None
        Column labels, e.g. the class of each sample.

    Attributes
    ----------
    image_ : matplotlib AxesImage
        The tiled images.

    ax_ : matplotlib Axes
        Axes with the grid.

    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    LatentGridDisplay : Images decoded from a grid of latent points.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import Autoencoder
    >>> from sklearn_ae.plotting import ReconstructionDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = Autoencoder(n_components=8, max_iter=3, random_state=0).fit(X)
    >>> disp = ReconstructionDisplay.from_estimator(ae, X, y, n_images=6)
    >>> disp.reconstructions.shape
    (6, 64)
    """

    def __init__(
        self, originals, reconstructions, *, inputs=None, image_shape=None, labels=None
    ):
        self.originals = originals
        self.reconstructions = reconstructions
        self.inputs = inputs
        self.image_shape = image_shape
        self.labels = labels

    def _grid(self):
        rows = [self.originals]
        if self.inputs is not None:
            rows.append(self.inputs)
        rows.append(self.reconstructions)
        shapes = {np.shape(row) for row in rows}
        if len(shapes) != 1:
            raise ValueError(
                "originals, inputs and reconstructions must have the same shape, "
                f"got {sorted(shapes)}."
            )
        return np.stack([np.asarray(row, dtype=float) for row in rows])

    def _labels(self):
        rows = ["original"]
        if self.inputs is not None:
            rows.append("input")
        rows.append("reconstruction")
        cols = None if self.labels is None else [str(v) for v in self.labels]
        return rows, cols

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        X_input=None,
        n_images=8,
        image_shape=None,
        ax=None,
        imshow_kwargs=None,
    ):
        """Reconstruct the first ``n_images`` samples of X and plot them.

        Parameters
        ----------
        estimator : fitted transformer
            An autoencoder, or any fitted transformer with
            ``inverse_transform`` (a ``PCA``, a ``Pipeline``).

        X : array-like of shape (n_samples, n_pixels)
            The clean samples.

        y : array-like of shape (n_samples,), default=None
            Labels written under the columns.

        X_input : array-like of shape (n_samples, n_pixels), default=None
            What to feed the model instead of X, e.g. a noisy copy of X; it
            is shown as a middle row. None feeds X itself.

        n_images : int, default=8
            Number of samples (columns) to show, taken from the start.

        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)`` of one
            image. None takes the estimator's ``image_shape_`` (set by
            ``architecture="conv"``), else assumes square grayscale images.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        imshow_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : :class:`ReconstructionDisplay`
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if not (isinstance(n_images, int) and n_images >= 1):
            raise ValueError(f"n_images must be a positive int, got {n_images!r}.")
        head = slice(0, n_images)
        originals = _safe_indexing(X, head)
        inputs = None if X_input is None else _safe_indexing(X_input, head)
        fed = originals if inputs is None else inputs
        reconstructions = estimator.inverse_transform(estimator.transform(fed))
        display = cls(
            np.asarray(originals),
            np.asarray(reconstructions),
            inputs=None if inputs is None else np.asarray(inputs),
            image_shape=_estimator_image_shape(estimator, image_shape),
            labels=None if y is None else _safe_indexing(y, head),
        )
        return display.plot(ax=ax, imshow_kwargs=imshow_kwargs)


class LatentGridDisplay(_ImageGridDisplay):
    """Images decoded from a grid of latent points, or latent traversals.

    ``kind="grid"`` decodes a regular grid over two latent components (the
    x axis varies the first, the y axis the second, upwards), holding the
    other components at a centre point. ``kind="traversal"`` gives each
    component a row in which only that component varies.

    It is recommended to use :meth:`from_estimator` to create a display;
    all parameters are stored as attributes.

    Parameters
    ----------
    images : ndarray of shape (n_rows, n_columns, n_pixels)
        The decoded images.

    image_shape : tuple of int, default=None
        ``(height, width)`` of one image, or ``(channels, height, width)``
        for colour images (flat channel-first rows, 1 or 3 channels, drawn
        as RGB in [0, 1]). None assumes square grayscale images.

    row_labels, column_labels : list of str, default=None
        Tick labels of the rows and the columns.

    Attributes
    ----------
    codes_ : ndarray of shape (n_rows, n_columns, n_components)
        The latent points that were decoded; set by :meth:`from_estimator`.

    image_ : matplotlib AxesImage
        The tiled images.

    ax_ : matplotlib Axes
        Axes with the grid.

    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    LatentSpaceDisplay : Scatter plot of the codes of samples.
    ReconstructionDisplay : Originals next to their reconstructions.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import Autoencoder
    >>> from sklearn_ae.plotting import LatentGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = Autoencoder(n_components=2, max_iter=3, random_state=0).fit(X)
    >>> disp = LatentGridDisplay.from_estimator(ae, X, n_steps=5)
    >>> disp.images.shape
    (5, 5, 64)
    """

    def __init__(self, images, *, image_shape=None, row_labels=None, column_labels=None):
        self.images = images
        self.image_shape = image_shape
        self.row_labels = row_labels
        self.column_labels = column_labels

    def _grid(self):
        return self.images

    def _labels(self):
        return self.row_labels, self.column_labels

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X=None,
        *,
        kind="grid",
        components=None,
        n_steps=8,
        bounds=None,
        center=None,
        image_shape=None,
        ax=None,
        imshow_kwargs=None,
    ):
        """Decode evenly spaced latent points with a fitted autoencoder.

        Parameters
        ----------
        estimator : fitted autoencoder
            Any fitted transformer whose ``inverse_transform`` decodes codes.

        X : array-like of shape (n_samples, n_features), default=None
            Samples whose codes set the default ``bounds`` (their 5th and
            95th percentiles per component) and ``center`` (their median).
            Needed unless ``bounds`` is given.

        kind : {"grid", "traversal"}, default="grid"
            A 2-D grid over two components, or one row per component.

        components : sequence of int, default=None
            Components to vary: two for ``"grid"`` (default ``(0, 1)``), any
            number for ``"traversal"`` (default all).

        n_steps : int, default=8
            Points per component (columns, and rows for ``"grid"``).

        bounds : tuple of two float or array-like of shape \
(n_varied_components, 2), default=None
            Range each varied component spans: one ``(low, high)`` for all,
            or one pair per entry of ``components``. For a
            :class:`VariationalAutoencoder`, whose prior is a standard
            normal, ``(-2, 2)`` is a natural choice and X is not needed.

        center : array-like of shape (n_components,), default=None
            Values of the components that are not varied. None takes the
            median code of X, or zeros without X.

        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)`` of one
            image. None takes the estimator's ``image_shape_`` (set by
            ``architecture="conv"``), else assumes square grayscale images.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        imshow_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : :class:`LatentGridDisplay`
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if kind not in ("grid", "traversal"):
            raise ValueError(f"kind must be 'grid' or 'traversal', got {kind!r}.")
        if not (isinstance(n_steps, int) and n_steps >= 2):
            raise ValueError(f"n_steps must be an int >= 2, got {n_steps!r}.")
        if X is None and bounds is None:
            raise ValueError(
                "Pass X (its codes set the range of the grid) or bounds=(low, high)."
            )
        codes = None if X is None else np.asarray(estimator.transform(X), dtype=float)
        n_components = estimator.n_components if codes is None else codes.shape[1]
        if components is None:
            components = (0, 1) if kind == "grid" else range(n_components)
        components = _check_components(
            components, n_components, size=2 if kind == "grid" else None
        )
        if center is None:
            center = np.zeros(n_components) if codes is None else np.median(codes, axis=0)
        center = np.asarray(center, dtype=float)
        if center.shape != (n_components,):
            raise ValueError(
                f"center must have shape ({n_components},), got {center.shape}."
            )
        if bounds is None:
            bounds = np.percentile(codes[:, list(components)], [5, 95], axis=0).T
        bounds = np.broadcast_to(np.asarray(bounds, dtype=float), (len(components), 2))
        steps = [np.linspace(lo, hi, n_steps) for lo, hi in bounds]

        if kind == "grid":
            (kx, ky), (xs, ys) = components, steps
            ys = ys[::-1]  # the top row holds the largest values
            latent = np.tile(center, (n_steps, n_steps, 1))
            latent[:, :, kx] = xs[None, :]
            latent[:, :, ky] = ys[:, None]
            row_labels = [f"{v:.2g}" for v in ys]
            column_labels = [f"{v:.2g}" for v in xs]
        else:
            latent = np.tile(center, (len(components), n_steps, 1))
            for row, (k, values) in enumerate(zip(components, steps)):
                latent[row, :, k] = values
            names = _component_names(estimator, n_components)
            row_labels = [names[k] for k in components]
            column_labels = None

        flat = latent.reshape(-1, n_components)
        decoded = np.asarray(estimator.inverse_transform(flat))
        display = cls(
            decoded.reshape(latent.shape[0], latent.shape[1], -1),
            image_shape=_estimator_image_shape(estimator, image_shape),
            row_labels=row_labels,
            column_labels=column_labels,
        )
        display.codes_ = latent
        return display.plot(ax=ax, imshow_kwargs=imshow_kwargs)


class ImageGridDisplay(_ImageGridDisplay):
    """Flat rows drawn as a grid of images: samples, decodings, any images.

    It is recommended to use :meth:`from_estimator` (images generated with
    the estimator's ``sample``) or :meth:`from_images` (any flat rows, e.g.
    the output of ``inverse_transform``) to create a display; all
    parameters are stored as attributes.

    Parameters
    ----------
    images : ndarray of shape (n_rows, n_columns, n_pixels)
        The images, one flat row each (channel-first for colour images).

    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(channels, height, width)`` of one image.
        None assumes square grayscale images.

    Attributes
    ----------
    image_ : matplotlib AxesImage
        The tiled images.

    ax_ : matplotlib Axes
        Axes with the grid.

    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    ReconstructionDisplay : Originals next to their reconstructions.
    LatentGridDisplay : Images decoded from a grid of latent points.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAutoencoder
    >>> from sklearn_ae.plotting import ImageGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoder(n_components=4, max_iter=3, random_state=0).fit(X)
    >>> disp = ImageGridDisplay.from_estimator(vae, n_samples=12, n_columns=6, random_state=0)
    >>> disp.images.shape
    (2, 6, 64)
    """

    def __init__(self, images, *, image_shape=None):
        self.images = images
        self.image_shape = image_shape

    def _grid(self):
        return self.images

    @classmethod
    def from_images(
        cls, X, *, n_columns=8, image_shape=None, ax=None, imshow_kwargs=None
    ):
        """Draw flat rows as images, ``n_columns`` to a row of the grid.

        Parameters
        ----------
        X : array-like of shape (n_images, n_pixels)
            The images, e.g. ``inverse_transform`` of some codes. A last
            row of the grid that is not full is padded with blank tiles.

        n_columns : int, default=8
            Images per row of the grid.

        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)`` of one
            image. None assumes square grayscale images.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        imshow_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : :class:`ImageGridDisplay`
        """
        check_matplotlib_support(f"{cls.__name__}.from_images")
        if not (isinstance(n_columns, int) and n_columns >= 1):
            raise ValueError(f"n_columns must be a positive int, got {n_columns!r}.")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(
                f"X must be a non-empty 2-D array of flat images, got shape {X.shape}."
            )
        n_cols = min(n_columns, len(X))
        n_rows = -(-len(X) // n_cols)
        blank = np.full((n_rows * n_cols - len(X), X.shape[1]), np.nan)
        grid = np.vstack([X, blank]).reshape(n_rows, n_cols, X.shape[1])
        return cls(grid, image_shape=image_shape).plot(ax=ax, imshow_kwargs=imshow_kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        n_samples=32,
        *,
        random_state=None,
        n_columns=8,
        image_shape=None,
        ax=None,
        imshow_kwargs=None,
    ):
        """Generate ``n_samples`` images with ``estimator.sample`` and draw them.

        Parameters
        ----------
        estimator : fitted autoencoder
            Any fitted estimator with ``sample(n_samples, random_state=)``.

        n_samples : int, default=32
            Number of images to generate.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        n_columns : int, default=8
            Images per row of the grid.

        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)`` of one
            image. None takes the estimator's ``image_shape_`` (set by
            ``architecture="conv"``), else assumes square grayscale images.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        imshow_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : :class:`ImageGridDisplay`
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        samples = estimator.sample(n_samples, random_state=random_state)
        return cls.from_images(
            samples,
            n_columns=n_columns,
            image_shape=_estimator_image_shape(estimator, image_shape),
            ax=ax,
            imshow_kwargs=imshow_kwargs,
        )
