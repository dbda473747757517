"""The distribution of an outlier detector's scores, with its threshold."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._common import _get_ax


class OutlierScoreDisplay:
    """Histogram of ``score_samples`` with the detector's threshold.

    Rows left of the vertical line at ``offset_`` are flagged as outliers.
    Given labels, one histogram is drawn per label (e.g. known normal rows
    and known anomalies), which shows how well the score separates them and
    where the threshold falls.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        The detector's ``score_samples`` (higher is more normal).

    offset : float
        The threshold (``offset_``).

    labels : array-like of shape (n_samples,) or None, default=None
        A group for each row, one histogram per group.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the histograms.

    figure_ : matplotlib Figure
        Figure containing the axes.

    line_ : matplotlib Line2D
        The threshold line.

    See Also
    --------
    sklearn_ae.AutoencoderOutlierDetector : The detector whose scores are drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_ae import Autoencoder, AutoencoderOutlierDetector
    >>> from sklearn_ae.plotting import OutlierScoreDisplay
    >>> X = np.random.RandomState(0).normal(size=(100, 4))
    >>> detector = AutoencoderOutlierDetector(
    ...     Autoencoder(max_iter=5), contamination=0.1, random_state=0).fit(X)
    >>> disp = OutlierScoreDisplay.from_estimator(detector, X)
    >>> float(disp.line_.get_xdata()[0]) == detector.offset_
    True
    """

    def __init__(self, scores, offset, *, labels=None):
        self.scores = scores
        self.offset = offset
        self.labels = labels

    def plot(self, ax=None, *, bins=40):
        """Draw the histograms and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        bins : int, default=40
            Histogram bins, shared by all groups.

        Returns
        -------
        display : :class:`OutlierScoreDisplay`
        """
        ax, figure = _get_ax(ax, f"{type(self).__name__}.plot")
        scores = np.asarray(self.scores, dtype=float)
        edges = np.histogram_bin_edges(np.r_[scores, self.offset], bins=bins)
        if self.labels is None:
            ax.hist(scores, bins=edges, alpha=0.8, label="rows")
        else:
            labels = np.asarray(self.labels)
            for label in np.unique(labels):
                ax.hist(scores[labels == label], bins=edges, alpha=0.6, label=str(label))
        self.line_ = ax.axvline(self.offset, color="k", linestyle="--", label="threshold")
        ax.set_xlabel("score_samples (higher is more normal)")
        ax.set_ylabel("rows")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, ax=None, bins=40):
        """Score X with a fitted outlier detector and draw the histogram.

        Parameters
        ----------
        estimator : fitted AutoencoderOutlierDetector
            Any fitted detector with ``score_samples`` and ``offset_``.

        X : array-like of shape (n_samples, n_features)
            Rows to score.

        y : array-like of shape (n_samples,), default=None
            A group for each row (e.g. 0 normal, 1 anomaly).

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        bins : int, default=40
            Histogram bins.

        Returns
        -------
        display : :class:`OutlierScoreDisplay`
        """
        check_is_fitted(estimator, "offset_")
        scores = estimator.score_samples(X)
        if y is not None and len(y) != len(scores):
            raise ValueError(f"y has {len(y)} labels for {len(scores)} rows of X.")
        return cls(scores, estimator.offset_, labels=y).plot(ax=ax, bins=bins)
