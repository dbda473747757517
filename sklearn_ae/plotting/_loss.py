"""Training curves: the loss of each epoch, and the terms of the objective."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.validation import check_is_fitted

from ._common import _get_ax, check_matplotlib_support

class LossCurveDisplay:
    """Loss curve visualization: the training objective epoch by epoch.

    It is recommended to use :meth:`from_estimator` to create a display;
    all parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : list of float
        Training loss of each epoch (the estimator's ``loss_curve_``).

    validation_loss : list of float, default=None
        Loss on the held-out rows of each epoch (``early_stopping=True``).

    terms : dict of str to list of float, default=None
        Further curves, e.g. the reconstruction and penalty terms that make
        up the loss of a sparse or variational autoencoder.

    name : str, default=None
        Prefix of the legend entries, to tell models apart on one axes.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curves, by legend entry.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the
        number of training samples.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import Autoencoder
    >>> from sklearn_ae.plotting import LossCurveDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = Autoencoder(max_iter=4, early_stopping=True, random_state=0).fit(X)
    >>> disp = LossCurveDisplay.from_estimator(ae)
    >>> sorted(disp.lines_)
    ['training loss', 'validation loss']
    """

    def __init__(self, loss_curve, *, validation_loss=None, terms=None, name=None):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.terms = terms
        self.name = name

    def plot(self, ax=None, *, name=None, line_kwargs=None):
        """Draw the curves against the epoch number.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        name : str, default=None
            Prefix of the legend entries; None uses the ``name`` given at
            construction.

        line_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`
            for every curve.

        Returns
        -------
        display : :class:`LossCurveDisplay`
            Object that stores the computed values.
        """
        ax, figure = _get_ax(ax, f"{type(self).__name__}.plot")
        name = self.name if name is None else name
        curves = {"training loss": self.loss_curve}
        if self.validation_loss is not None:
            curves["validation loss"] = self.validation_loss
        curves.update(self.terms or {})

        self.lines_ = {}
        for label, values in curves.items():
            values = [float(v) for v in values]
            epochs = range(1, len(values) + 1)
            shown = label if name is None else f"{name}: {label}"
            (self.lines_[label],) = ax.plot(
                epochs, values, label=shown, **(line_kwargs or {})
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, terms="all", name=None, ax=None, line_kwargs=None):
        """Plot the training history of a fitted autoencoder.

        Parameters
        ----------
        estimator : fitted autoencoder
            Reads ``loss_curve_``, ``objective_curves_`` and (with early
            stopping) ``validation_scores_``.

        terms : "all", list of str or None, default="all"
            Objective terms to draw besides the loss: all that the training
            recorded (none for a plain :class:`~sklearn_ae.Autoencoder`),
            the listed ones, or none.

        name : str, default=None
            Prefix of the legend entries.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        line_kwargs : dict, default=None
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : :class:`LossCurveDisplay`
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator, "loss_curve_")
        curves = estimator.objective_curves_
        available = list(curves)
        if terms is None:
            terms = []
        elif isinstance(terms, str):
            if terms != "all":
                raise ValueError(
                    f"terms must be 'all', a list of names or None, got {terms!r}."
                )
            terms = available
        else:
            unknown = sorted(set(terms) - set(available))
            if unknown:
                raise ValueError(
                    f"Unknown objective terms {unknown}; this estimator recorded "
                    f"{available}."
                )
        validation = None
        if getattr(estimator, "validation_scores_", None) is not None:
            validation = [-v for v in estimator.validation_scores_]
        display = cls(
            list(estimator.loss_curve_),
            validation_loss=validation,
            terms={t: list(curves[t]) for t in terms},
            name=name,
        )
        return display.plot(ax=ax, line_kwargs=line_kwargs)
