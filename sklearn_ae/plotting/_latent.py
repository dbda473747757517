"""Scatter plot of two latent components, coloured by label."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._common import (
    _check_components,
    _component_names,
    _get_ax,
    check_matplotlib_support,
)

#: Classes up to this count get a qualitative colour and a legend entry each.
_MAX_LEGEND_CLASSES = 20


class LatentSpaceDisplay:
    """Latent space visualization: two code components, one point a sample.

    It is recommended to use :meth:`from_estimator` to create a display;
    all parameters are stored as attributes.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, 2)
        Coordinates of the points, e.g. two columns of ``transform(X)``.

    labels : array-like of shape (n_samples,), default=None
        Class of each sample, used for the colours, the legend and the
        annotations. None draws every point in one colour.

    component_names : list of two str, default=None
        Axis labels. None gives ``"component 0"`` and ``"component 1"``.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The points.

    texts_ : list of matplotlib Text
        The annotations; empty unless ``plot(annotate=True)``.

    ax_ : matplotlib Axes
        Axes with the scatter plot.

    figure_ : matplotlib Figure
        Figure containing the scatter plot.

    See Also
    --------
    LatentGridDisplay : Images decoded from a grid of latent points.
    sklearn.inspection.DecisionBoundaryDisplay : Another display built
        from an estimator.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import Autoencoder
    >>> from sklearn_ae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = Autoencoder(n_components=2, max_iter=3, random_state=0).fit(X)
    >>> disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    >>> disp.codes.shape
    (1797, 2)
    """

    def __init__(self, codes, *, labels=None, component_names=None):
        self.codes = codes
        self.labels = labels
        self.component_names = component_names

    def plot(self, ax=None, *, annotate=False, scatter_kwargs=None):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        annotate : bool, default=False
            Write each sample's label next to its point (for small data
            sets such as the letters of a font). The legend is left out.

        scatter_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
            Object that stores the computed values.
        """
        ax, figure = _get_ax(ax, f"{type(self).__name__}.plot")
        codes = np.asarray(self.codes, dtype=float)
        if codes.ndim != 2 or codes.shape[1] != 2:
            raise ValueError(
                f"codes must have shape (n_samples, 2), got {codes.shape}."
            )
        labels = None if self.labels is None else np.asarray(self.labels)
        if labels is not None and labels.shape != (codes.shape[0],):
            raise ValueError(
                f"labels must have shape ({codes.shape[0]},), got {labels.shape}."
            )
        kwargs = {"s": 12, "alpha": 0.8}
        scatter_kwargs = scatter_kwargs or {}
        classes = None
        # Colours follow the labels unless the caller picks them.
        if labels is not None and not {"c", "color"} & set(scatter_kwargs):
            classes, index = np.unique(labels, return_inverse=True)
            if len(classes) <= 10:
                cmap = "tab10"
            elif len(classes) <= _MAX_LEGEND_CLASSES:
                cmap = "tab20"
            else:
                cmap = "viridis"
            kwargs.update(c=index, cmap=cmap, vmin=0, vmax=max(len(classes) - 1, 1))
        kwargs.update(scatter_kwargs)
        self.scatter_ = ax.scatter(codes[:, 0], codes[:, 1], **kwargs)

        self.texts_ = []
        if annotate and labels is not None:
            for (x, y), label in zip(codes, labels):
                self.texts_.append(
                    ax.annotate(
                        str(label), (x, y), xytext=(3, 3), textcoords="offset points"
                    )
                )
        elif classes is not None and len(classes) <= _MAX_LEGEND_CLASSES:
            handles, _ = self.scatter_.legend_elements(num=list(range(len(classes))))
            ax.legend(handles, [str(c) for c in classes], loc="best", fontsize="small")

        names = self.component_names or ["component 0", "component 1"]
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        components=(0, 1),
        annotate=False,
        ax=None,
        scatter_kwargs=None,
    ):
        """Encode X with a fitted estimator and plot two of its components.

        Parameters
        ----------
        estimator : fitted transformer
            An autoencoder, or any fitted transformer (a ``Pipeline``, a
            ``PCA``) whose ``transform`` gives the codes.

        X : array-like of shape (n_samples, n_features)
            Samples to encode.

        y : array-like of shape (n_samples,), default=None
            Labels used to colour and annotate the points.

        components : tuple of two int, default=(0, 1)
            Columns of the codes on the x and y axes.

        annotate : bool, default=False
            Write each sample's label next to its point.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        scatter_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        codes = np.asarray(estimator.transform(X))
        components = _check_components(components, codes.shape[1], size=2)
        names = _component_names(estimator, codes.shape[1])
        display = cls(
            codes[:, list(components)],
            labels=y,
            component_names=[names[k] for k in components],
        )
        return display.plot(ax=ax, annotate=annotate, scatter_kwargs=scatter_kwargs)
