"""AutoencoderOutlierDetector: an autoencoder as a scikit-learn outlier detector."""

# SPDX-License-Identifier: BSD-3-Clause

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.linalg import pinvh
from scipy.sparse import issparse
from scipy.stats import rankdata
from sklearn.base import OutlierMixin, _fit_context
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import validate_data

from ._autoencoder import Autoencoder
from ._meta import _AutoencoderMetaEstimator
from ._scaling import SPARSE_CHUNK_VALUES, _row_chunks, sparse_chunk_rows

#: Share of each batch trimmed by robust training when contamination="auto".
AUTO_TRIM = 0.1

#: Each feature's error scale is its mean squared training error plus this
#: share of the average feature's, a floor for features the model
#: reconstructs (almost) exactly, such as constant pixels.
SCALE_FLOOR = 0.1

#: Code width of the default autoencoder: a quarter of the input width within
#: these bounds, and at most half of it.
DEFAULT_CODE_WIDTH, MAX_CODE_WIDTH = 8, 32

#: ``density="auto"`` turns the density views on while the training rows,
#: which they read dense, are at most this many values.
DENSITY_MAX_CELLS = 2**26

#: Gradient steps the default autoencoder may take (its ``max_iter`` is
#: this many steps' worth of epochs, within ``DEFAULT_EPOCHS``).
DEFAULT_STEP_BUDGET = 400
DEFAULT_EPOCHS = (2, 200)

#: Rows ``max_samples="auto"`` draws to grow each isolation tree (the
#: forest's ``max_samples``, IsolationForest's default and Liu et al.'s
#: sub-sample size) and to be the neighbour views' reference rows (all rows
#: when fewer).
AUTO_TREE_SAMPLES, AUTO_MAX_SAMPLES = 256, 1024

#: Neighbours whose mean distance is the ``"neighbors"`` view's score
#: (LocalOutlierFactor's default ``n_neighbors``); the ``"nearest"`` view
#: reads the nearest one.
N_NEIGHBORS = 20

#: Fitted attributes that only some fits set.
_FITTED_VIEWS = (
    "code_location_", "code_precision_", "view_location_", "view_scale_",
    "isolation_trees_", "neighbor_rows_",
)

#: Least weight of a view that disagrees with the others.
WEIGHT_FLOOR = 0.05


def _average_path_length(n):
    """Average path length of an unsuccessful search in a binary search tree
    of ``n`` rows, the isolation forest's normaliser (scikit-learn's)."""
    n = np.asarray(n, dtype=np.float64)
    length = 2.0 * (np.log(np.maximum(n - 1.0, 1.0)) + np.euler_gamma) - 2.0 * (n - 1.0) / n
    return np.where(n <= 1, 0.0, np.where(n == 2, 1.0, length))


def _forest_arrays(forest):
    """A fitted IsolationForest's trees as plain arrays, one row a tree.

    Leaves point to themselves (and compare a feature against +inf), so
    that every row takes as many steps as the deepest tree; each node keeps
    the path length a row ending there is given (its depth plus the average
    path length of its training rows, scikit-learn's). Plain arrays keep
    the detector's skops file free of scikit-learn's tree types.
    """
    trees = [tree.tree_ for tree in forest.estimators_]
    width = max(tree.node_count for tree in trees)
    arrays = {
        "feature": np.zeros((len(trees), width), dtype=np.int32),
        "threshold": np.full((len(trees), width), np.inf),
        "left": np.zeros((len(trees), width), dtype=np.int64),
        "right": np.zeros((len(trees), width), dtype=np.int64),
        "depth": np.zeros((len(trees), width)),
    }
    for i, (tree, features) in enumerate(zip(trees, forest.estimators_features_)):
        count, base = tree.node_count, i * width
        leaf = tree.children_left[:count] == -1
        own = base + np.arange(count)
        arrays["left"][i, :count] = np.where(leaf, own, base + tree.children_left[:count])
        arrays["right"][i, :count] = np.where(leaf, own, base + tree.children_right[:count])
        arrays["feature"][i, :count] = features[np.where(leaf, 0, tree.feature[:count])]
        arrays["threshold"][i, :count] = np.where(leaf, np.inf, tree.threshold[:count])
        arrays["depth"][i, :count] = (
            tree.compute_node_depths()[:count]
            + _average_path_length(tree.n_node_samples[:count]) - 1.0
        )
    arrays["max_depth"] = np.int64(max(tree.max_depth for tree in trees))
    arrays["normaliser"] = np.float64(_average_path_length(forest._max_samples))
    return arrays


class AutoencoderOutlierDetector(OutlierMixin, _AutoencoderMetaEstimator):
    """Outlier detection with an autoencoder and density views of the rows.

    The autoencoder (``estimator``, cloned into ``estimator_``) learns to
    reconstruct the training rows; rows it reconstructs badly, or codes far
    from the training codes, are outliers. With ``density`` on (the default)
    two views that need no model of the data's shape join it: an isolation
    forest and the distance to the nearest training rows. The detector
    follows scikit-learn's outlier-detector contract, as
    :class:`~sklearn.ensemble.IsolationForest` does: ``score_samples`` is
    higher for more normal rows, ``decision_function`` is ``score_samples -
    offset_`` (negative for outliers), ``predict`` returns -1 for outliers
    and +1 for inliers, and ``offset_`` is set from ``contamination``.

    **The views.** Each view gives every row an outlier score (higher is
    more abnormal):

    - ``"reconstruction"``: ``log(1 + e)``, ``e`` the row's mean squared
      reconstruction error, each feature's divided by that feature's mean
      over the training rows (plus a tenth of the average feature's, a floor
      for features reconstructed exactly) when ``calibrate=True``, so that a
      feature that is always reconstructed poorly (noisy by nature) does not
      drown out one reconstructed well on normal rows and badly on an
      anomaly. It sees rows off the structure the autoencoder learnt: on
      images and other wide, correlated data it is the sharpest view.
    - ``"code"`` (``calibrate=True``): the Mahalanobis distance of the
      row's code from the training codes, a Gaussian model of the code: a
      row on the learnt structure but far out along it (in breast cancer, a
      large tumour).
    - ``"likelihood"`` instead of both when the inner model is a
      :class:`VariationalAutoencoder`: minus its per-sample ELBO, a
      likelihood bound.
    - ``"isolation"``: the score of an
      :class:`~sklearn.ensemble.IsolationForest` (100 trees of
      ``max_samples`` rows, 256 by default) fitted on the training rows: rows few random
      splits isolate, the strongest single view on tabular data whose
      anomalies are extreme in a few features.
    - ``"nearest"`` and ``"neighbors"``: the Euclidean distance to the
      nearest of ``max_samples`` reference training rows, and the mean
      distance to the 20 nearest (a training row that is one of them is
      left out of its own neighbours): rows in empty regions, also between
      clusters, where the other views see nothing. The nearest row is the
      sharpest test on clean training rows (a new row unlike every one of
      them); twenty neighbours are not fooled by a small cluster of
      anomalies in the training rows, which are each other's nearest.

    Each view's training scores set its robust z-score, ``(s - median) /
    (IQR / 1.349)``; the score is minus the weighted sum of the softplus,
    ``log(1 + exp(z))``, of the views' z-scores, which keeps a view's
    abnormality and squashes its normality, so that a row very typical in
    one view does not cancel its anomaly in another. Each view's weight
    (``view_weight_``, summing to 1) is the square of its agreement with the
    others on the training rows, the Spearman correlation of its scores
    with the mean of the other views' z-scores (at least 0.05): a view that
    ranks the training rows like the consensus counts, one that ranks them
    at random hardly does. The views read X in its own units, as
    :class:`~sklearn.neighbors.LocalOutlierFactor` does; standardise
    features of different units first (a
    :class:`~sklearn.preprocessing.StandardScaler` in a pipeline).

    Measured with ``benchmarks/bench_outliers.py`` on ten ADBench sets
    (unsupervised protocol, three seeds): mean ROC AUC 0.833 against
    IsolationForest's 0.808, the best mean rank of this detector,
    IsolationForest, LocalOutlierFactor and PCA's reconstruction error, in
    under 5 times IsolationForest's fit time (see the user guide).

    With ``density=False`` only the autoencoder scores, as before: minus
    the sum of the calibrated squared errors and the squared Mahalanobis
    distance of the code, divided by the number of features (a Gaussian
    log-likelihood of the row, as probabilistic PCA scores a row with both
    its residual and its coordinates); ``calibrate=False`` gives minus the
    plain mean squared error, as pyod's autoencoder uses, and a
    :class:`VariationalAutoencoder` inside scores with its ELBO.

    **Robust training.** The normal case is a training set that already
    holds some anomalies. With ``robust=True`` the autoencoder trains with a
    trimmed loss (its ``trim_fraction``): in every batch, the share of rows
    it reconstructs worst is left out of the step, so the anomalies are not
    learned and keep high errors. The share is ``contamination``, or 0.1
    when ``contamination="auto"``.

    Parameters
    ----------
    estimator : autoencoder of sklearn_ae or None, default=None
        The unfitted autoencoder to train, cloned in ``fit``. None means
        ``Autoencoder(hidden_layer_sizes="auto", early_stopping=True)``
        sized on the data: ``n_components`` a quarter of the number of
        features within [8, 32] and at most half of it (a code narrower
        than the rows keeps the model from copying what it has not seen
        often; 16 for 64-pixel images), and ``max_iter`` the epochs of
        about 400 gradient steps, within [2, 200] (a small model trains in
        a fraction of a second on small data and in a few epochs on large
        data, where the other views carry the score); early stopping on
        held-out rows keeps it from memorising the training rows' noise.

    contamination : "auto" or float, default="auto"
        The expected share of outliers in the training data, in (0, 0.5].
        A float sets ``offset_`` to that percentile of the training rows'
        ``score_samples`` (as :class:`~sklearn.ensemble.IsolationForest`
        does), so ``fit_predict`` flags that share of them. ``"auto"``
        uses the boxplot rule on the training scores: ``offset_ = Q1 - 1.5
        * IQR``, Tukey's lower fence, which flags rows that are unusual
        whatever their share, and none of a sample without a long tail.

    calibrate : bool, default=True
        Divide each feature's squared error by its training mean before
        averaging (see above).

    robust : bool, default=True
        Train with a trimmed loss (see above).

    density : bool or "auto", default="auto"
        Add the ``"isolation"``, ``"nearest"`` and ``"neighbors"`` views to the
        autoencoder's (see above). False gives the autoencoder's own score.
        ``"auto"`` turns them on while the training rows hold at most
        2**26 values (the views read the rows dense, sparse input
        included), off beyond.

    max_samples : "auto", int or float, default="auto"
        Rows drawn (without replacement, seeded by ``random_state``) to
        grow each tree of the isolation forest and to be the neighbour
        views' reference rows. ``"auto"`` means ``min(256, n_samples)``
        for the trees (as :class:`~sklearn.ensemble.IsolationForest`'s
        default: a tree isolates anomalies best from a small sample) and
        ``min(1024, n_samples)`` reference rows; an int (at least 2) is
        clipped to ``n_samples``; a float in (0, 1] is that share of the
        rows (at least 2); either sets both. Fewer rows fit and score
        faster; more reference rows see smaller clusters of normal rows.

    random_state : int, RandomState instance or None, default=None
        Seeds the inner autoencoder's ``random_state`` (when not None), the
        isolation forest and the draw of the reference rows.

    Attributes
    ----------
    estimator_ : autoencoder
        The fitted autoencoder, for its codes (``estimator_.transform``).

    offset_ : float
        The threshold on ``score_samples``: rows below it are outliers.

    feature_scale_ : ndarray of shape (`n_features_in_`,)
        Mean squared reconstruction error of each feature over the training
        rows plus a tenth of their average, dividing the errors when
        ``calibrate=True``.

    code_location_ : ndarray of shape (n_components,)
        Mean of the training rows' codes, for the score's code term (not set
        when the inner model is a VariationalAutoencoder).

    code_precision_ : ndarray of shape (n_components, n_components)
        Pseudo-inverse of the training codes' covariance, for the codes'
        Mahalanobis distance in the score (not set for a
        VariationalAutoencoder).

    view_weight_ : dict of str to float
        Each view's weight in the score, by name (``"reconstruction"``,
        ``"code"`` or ``"likelihood"``, then ``"isolation"``, ``"nearest"``
        and ``"neighbors"`` with ``density`` on), summing to 1 with ``density``
        on; with it off, the autoencoder's views, each 1.

    view_location_ : ndarray of shape (n_views,)
        Median of each view's training scores (not set with ``density``
        off).

    view_scale_ : ndarray of shape (n_views,)
        Robust spread of each view's training scores, the interquartile
        range / 1.349 (their standard deviation where that is 0; not set
        with ``density`` off).

    isolation_trees_ : dict of str to ndarray
        The trees of the ``"isolation"`` view's
        :class:`~sklearn.ensemble.IsolationForest` (fitted in ``fit`` on the
        training rows) as plain arrays, one row a tree, so that a skops file
        of the detector holds no scikit-learn tree types (not set with
        ``density`` off).

    neighbor_rows_ : ndarray of shape (n_reference, `n_features_in_`)
        The reference rows of the neighbour views, ``max_samples``
        training rows drawn at random (not set with ``density`` off).

    decision_scores_ : ndarray of shape (n_samples,)
        pyod's convention: the outlier score of each training row, higher
        for more abnormal (``-score_samples(X_train)``), kept in float32.

    labels_ : ndarray of shape (n_samples,)
        pyod's convention: 1 for the training rows flagged as outliers, 0
        for inliers (int8); :meth:`set_threshold` updates it with
        ``offset_``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolation-based outlier detection.
    sklearn.neighbors.LocalOutlierFactor : Density-based outlier detection.
    sklearn.decomposition.PCA : Its reconstruction error is a linear baseline.
    sklearn.neighbors.NearestNeighbors : The neighbour views' search.
    Autoencoder : The default inner model.
    VariationalAutoencoder : Scores with a likelihood bound (ELBO).

    Notes
    -----
    pyod users: pyod's ``decision_function`` and ``decision_scores_`` are
    higher for outliers, here ``decision_function`` is higher for inliers
    (scikit-learn's convention) and ``decision_scores_`` follows pyod's.
    pyod's ``contamination`` (default 0.1) sets ``threshold_`` at that share
    of the training scores as a float ``contamination`` does here; its
    ``labels_`` (0 / 1) are ``(predict(X) == -1).astype(int)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import Autoencoder, AutoencoderOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
    >>> X += 0.1 * rng.normal(size=(200, 5))  # rows near a plane
    >>> X[:5] = rng.uniform(-3, 3, size=(5, 5))  # five rows off it
    >>> detector = AutoencoderOutlierDetector(
    ...     Autoencoder(n_components=2, max_iter=50), contamination=0.025,
    ...     random_state=0).fit(X)
    >>> list(detector.view_weight_)
    ['reconstruction', 'code', 'isolation', 'nearest', 'neighbors']

    Rows off a plane but within the data's range are the autoencoder's
    case, which the density views hardly see: its views alone flag them.

    >>> detector.set_params(density=False).fit(X).predict(X[:5])
    array([-1, -1, -1, -1, -1])
    >>> int((detector.predict(X) == -1).sum())
    5
    """

    _parameter_constraints: dict = {
        **_AutoencoderMetaEstimator._parameter_constraints,
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "calibrate": ["boolean"],
        "robust": ["boolean"],
        "density": ["boolean", StrOptions({"auto"})],
        "max_samples": [
            StrOptions({"auto"}),
            Interval(Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
    }

    def __init__(
        self,
        estimator=None,
        *,
        contamination="auto",
        calibrate=True,
        robust=True,
        density="auto",
        max_samples="auto",
        random_state=None,
    ):
        self.estimator = estimator
        self.contamination = contamination
        self.calibrate = calibrate
        self.robust = robust
        self.density = density
        self.max_samples = max_samples
        self.random_state = random_state

    def _default_estimator(self):
        return Autoencoder(
            n_components=DEFAULT_CODE_WIDTH, hidden_layer_sizes="auto", early_stopping=True
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Train the autoencoder and the other views on X, set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, which may contain anomalies.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted detector.
        """
        X = validate_data(
            self, X, dtype=(np.float64, np.float32), accept_sparse="csr", ensure_min_samples=2
        )
        n_samples, n_features = X.shape
        for name in _FITTED_VIEWS:  # a refit starts from none of the last fit's views
            self.__dict__.pop(name, None)
        estimator = self._make_estimator()
        # the inner seed is the first draw of random_state, the views' the next ones
        rng = check_random_state(self.random_state)
        if self.random_state is not None:
            rng.randint(0, 2**31 - 1)
        view_seed = int(rng.randint(0, 2**31 - 1))
        if self.estimator is None:  # a small model on small data: a code narrower than
            width = min(max(DEFAULT_CODE_WIDTH, n_features // 4), MAX_CODE_WIDTH)
            width = min(width, max(1, n_features // 2))  # the rows it codes,
            batch = min(200, max(32, n_samples // 10))  # a budget of gradient steps
            steps_per_epoch = max(1, math.ceil(0.9 * n_samples / batch))
            epochs = min(max(DEFAULT_STEP_BUDGET // steps_per_epoch, DEFAULT_EPOCHS[0]),
                         DEFAULT_EPOCHS[1])
            estimator.set_params(n_components=width, max_iter=int(epochs))
        if self.robust:
            trim = AUTO_TRIM if self.contamination == "auto" else float(self.contamination)
            estimator.set_params(trim_fraction=min(trim, 0.49))
        with warnings.catch_warnings():
            if self.estimator is None:  # the epoch budget is the detector's own choice
                warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator_ = self._fit_inner(
                estimator, X, f"training the inner {type(estimator).__name__}"
            )
        codes = self.estimator_.transform(X)  # encoded once in fit
        chunks = self._chunks(X)
        if len(chunks) == 1:  # decoded once, for the scale and the scores
            squared = self._squared_errors(X, codes)
            scale = squared.mean(axis=0, dtype=np.float64)
        else:  # decoded a chunk at a time, for the scale, then for the scores
            squared = None
            scale = sum(
                self._squared_errors(X[rows], codes[rows]).sum(axis=0, dtype=np.float64)
                for rows in chunks
            ) / n_samples
        self.feature_scale_ = scale + SCALE_FLOOR * max(float(scale.mean()), 1e-300)
        if self.estimator_._score_kind != "likelihood":
            codes64 = np.asarray(codes, dtype=np.float64)
            self.code_location_ = codes64.mean(axis=0)
            centred = codes64 - self.code_location_
            self.code_precision_ = pinvh(centred.T @ centred / len(codes64))
        if self._uses_density(X):
            scores = self._fit_views(X, codes, squared, view_seed)
        else:
            self.view_weight_ = {name: 1.0 for name in self._autoencoder_view_names()}
            scores = self._autoencoder_score(X, codes, squared)
        if self.contamination == "auto":
            q1, q3 = np.percentile(scores, [25, 75])
            self.offset_ = float(q1 - 1.5 * (q3 - q1))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        self._set_training_outputs(scores)
        return self

    def _uses_density(self, X):
        if isinstance(self.density, str):  # "auto"
            return X.shape[0] * X.shape[1] <= DENSITY_MAX_CELLS
        return bool(self.density)

    def _autoencoder_view_names(self):
        if self.estimator_._score_kind == "likelihood":
            return ("likelihood",)
        return ("reconstruction", "code") if self.calibrate else ("reconstruction",)

    def _fit_views(self, X, codes, squared, seed):
        """Fit the density views, each view's robust scale and weight; return
        the training rows' scores."""
        n_samples = X.shape[0]
        if isinstance(self.max_samples, str):
            n_tree = min(AUTO_TREE_SAMPLES, n_samples)
            n_sub = min(AUTO_MAX_SAMPLES, n_samples)
        elif isinstance(self.max_samples, Integral):
            n_tree = n_sub = min(int(self.max_samples), n_samples)
        else:
            n_tree = n_sub = max(2, int(self.max_samples * n_samples))
        Z = self._dense(X)
        rng = np.random.RandomState(seed)
        forest = IsolationForest(max_samples=n_tree, random_state=rng.randint(0, 2**31 - 1))
        self.isolation_trees_ = _forest_arrays(forest.fit(Z))
        reference = np.sort(rng.choice(n_samples, size=n_sub, replace=False))
        self.neighbor_rows_ = Z[reference]
        del Z
        views = self._view_matrix(X, codes, squared)
        names = (*self._autoencoder_view_names(), "isolation", "nearest", "neighbors")
        location = np.median(views, axis=0)
        q1, q3 = np.percentile(views, [25, 75], axis=0)
        spread = (q3 - q1) / 1.349  # the standard deviation of a normal sample
        fallback = views.std(axis=0)
        spread = np.where(spread > 1e-12 * (np.abs(location) + 1), spread, fallback)
        self.view_location_ = location
        self.view_scale_ = np.where(spread > 0, spread, 1.0)
        z = (views - location) / self.view_scale_
        ranks = np.column_stack([rankdata(col) for col in z.T])
        weights = []
        for j in range(z.shape[1]):
            others = np.delete(z, j, axis=1).mean(axis=1)
            rho = np.corrcoef(ranks[:, j], rankdata(others))[0, 1]
            weights.append(max(float(np.nan_to_num(rho)), WEIGHT_FLOOR) ** 2)
        weights = np.asarray(weights) / np.sum(weights)
        self.view_weight_ = dict(zip(names, weights.tolist()))
        return self._combine(z)

    def _combine(self, z):
        """Minus the weighted sum of the views' softplus'd robust z-scores.

        The softplus, ``log(1 + exp(z))``, keeps a view's abnormality (about
        ``z`` above the median) and squashes its normality (towards 0 below
        it), so that a row very typical in one view does not cancel its
        anomaly in another; it is smooth, so scores keep no ties.
        """
        weights = np.fromiter(self.view_weight_.values(), dtype=np.float64)
        return -(np.logaddexp(0.0, z) @ weights)

    def _chunks(self, X):
        """Slices of X's rows, each at most 32 MiB once dense in float64."""
        return list(_row_chunks(X.shape[0], max(1, SPARSE_CHUNK_VALUES // max(X.shape[1], 1))))

    def _by_chunks(self, function, X, codes=None, squared=None):
        """``function(X, codes, squared)`` a chunk of rows at a time, stacked.

        Scoring decodes the rows and the density views read them dense: by
        chunks, a large (sparse) X is never dense whole.
        """
        chunks = self._chunks(X)
        if len(chunks) == 1:
            return function(X, codes, squared)
        return np.concatenate([
            function(
                X[rows],
                None if codes is None else codes[rows],
                None if squared is None else squared[rows],
            )
            for rows in chunks
        ])

    def _neighbor_views(self, Z):
        """Distance of each row of Z to its nearest reference row, and mean
        distance to its ``N_NEIGHBORS`` nearest ones (two columns).

        A row at distance 0 from a reference row (a training row that is
        one, or its duplicate) is scored by the next ones: leave-one-out
        for the training rows, and the same score for them in ``fit`` and
        in ``score_samples`` (the ball tree's distances are exact).
        """
        n_reference = len(self.neighbor_rows_)
        k = min(N_NEIGHBORS, n_reference - 1)
        search = NearestNeighbors(algorithm="ball_tree").fit(self.neighbor_rows_)
        distances, _ = search.kneighbors(Z, n_neighbors=k + 1)
        own = distances[:, :1] == 0.0
        distances = np.where(own, distances[:, 1:], distances[:, :k])
        return distances[:, 0], distances.mean(axis=1)

    def _isolation_view(self, Z):
        """The isolation forest's outlier score of each row of Z, ``-score_samples``
        of :class:`~sklearn.ensemble.IsolationForest`, from the trees' arrays."""
        trees = self.isolation_trees_
        Z32 = Z.astype(np.float32)  # the trees compare float32 features
        n_trees = trees["feature"].shape[0]
        offsets = np.arange(n_trees) * trees["feature"].shape[1]
        feature, threshold = trees["feature"].ravel(), trees["threshold"].ravel()
        left, right = trees["left"].ravel(), trees["right"].ravel()
        depth = trees["depth"].ravel()
        total = np.empty(len(Z))
        for start in range(0, len(Z), 2048):
            rows = Z32[start:start + 2048]
            node = np.broadcast_to(offsets, (len(rows), n_trees)).copy()
            index = np.arange(len(rows))[:, None]
            for _ in range(int(trees["max_depth"])):
                goes_left = rows[index, feature[node]] <= threshold[node]
                node = np.where(goes_left, left[node], right[node])
            total[start:start + 2048] = depth[node].sum(axis=1)
        return 2.0 ** (-total / (n_trees * float(trees["normaliser"])))

    def _dense(self, X):
        """X as the density views read it: dense, float64, in its own units."""
        return np.asarray(X.toarray() if issparse(X) else X, dtype=np.float64)

    def _autoencoder_views(self, X, codes, squared):
        """The autoencoder's outlier views of validated X: higher is more abnormal."""
        if self.estimator_._score_kind == "likelihood":
            return [-np.asarray(self.estimator_.score_samples(X), dtype=np.float64)]
        errors = self._feature_errors(X, codes, squared).mean(axis=1)
        views = [np.log1p(errors)]
        if self.calibrate:
            centred = np.asarray(codes, dtype=np.float64) - self.code_location_
            views.append(
                np.sqrt(np.maximum(
                    np.einsum("ij,jk,ik->i", centred, self.code_precision_, centred), 0.0
                ))
            )
        return views

    def _set_training_outputs(self, scores):
        """pyod's per-row attributes of the training rows, from their scores.

        Kept compact, so that the fitted state grows by 5 bytes a training
        row: the scores in float32, the labels in int8 (computed from the
        exact scores at fit, from the kept ones by ``set_threshold``).
        """
        self.decision_scores_ = (-scores).astype(np.float32)
        self.labels_ = (scores < self.offset_).astype(np.int8)

    def _squared_errors(self, X, codes=None):
        est = self.estimator_
        if codes is None:
            codes = est.transform(X)
        recon = np.asarray(est.inverse_transform(codes), dtype=np.float64)
        if issparse(X):  # one dense chunk of X at a time
            step = sparse_chunk_rows(X.shape[1])
            for start in range(0, X.shape[0], step):
                rows = slice(start, start + step)
                recon[rows] -= X[rows].toarray()
            return recon**2
        return (recon - X) ** 2

    def feature_scores(self, X):
        """Per-feature anomaly scores: which features made a row unusual.

        Each feature's squared reconstruction error, divided by its mean
        over the training rows when ``calibrate=True`` (1 is a typical
        error, 10 is ten times that). Higher is more abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_features)
        """
        return self._feature_errors(self._validate(X))

    def _feature_errors(self, X, codes=None, squared=None):
        errors = self._squared_errors(X, codes) if squared is None else squared
        return errors / self.feature_scale_ if self.calibrate else errors

    def score_samples(self, X):
        """Normality of each row: higher is more normal (scikit-learn's sign).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self._scores(self._validate(X))

    def _scores(self, X, codes=None, squared=None):
        """``score_samples`` of validated X (``codes`` and ``squared`` errors
        of X when known)."""
        if self.estimator_._score_kind != "likelihood" and codes is None:
            codes = self.estimator_.transform(X)  # encoded once, for every term
        if "view_location_" not in vars(self):  # density off
            return self._autoencoder_score(X, codes, squared)
        views = self._view_matrix(X, codes, squared)
        return self._combine((views - self.view_location_) / self.view_scale_)

    def _view_matrix(self, X, codes, squared=None):
        """Every view's outlier score of X, a column each (by chunks of rows)."""
        return self._by_chunks(self._view_rows, X, codes, squared)

    def _view_rows(self, X, codes, squared):
        Z = self._dense(X)
        return np.column_stack([
            *self._autoencoder_views(X, codes, squared),
            self._isolation_view(Z),
            *self._neighbor_views(Z),
        ])

    def _autoencoder_score(self, X, codes=None, squared=None):
        """The autoencoder's own score (``density=False``)."""
        if self.estimator_._score_kind == "likelihood":  # the inner model's bound
            return np.asarray(self.estimator_.score_samples(X), dtype=np.float64)
        if codes is None:
            codes = self.estimator_.transform(X)  # encoded once, for both terms
        return self._by_chunks(self._autoencoder_score_rows, X, codes, squared)

    def _autoencoder_score_rows(self, X, codes, squared):
        errors = self._feature_errors(X, codes, squared).sum(axis=1)
        if self.calibrate:
            centred = np.asarray(codes, dtype=np.float64) - self.code_location_
            errors += np.einsum("ij,jk,ik->i", centred, self.code_precision_, centred)
        return -errors / X.shape[1]

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for outliers, +1 for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        is_outlier = self.decision_function(X) < 0
        return np.where(is_outlier, -1, 1)

    def set_threshold(self, X_normal, false_positive_rate=0.05):
        """Set ``offset_`` for a target false-positive rate on normal rows.

        ``offset_`` becomes the ``false_positive_rate`` quantile of the
        scores of ``X_normal``, rows known to be normal and not used in
        training, so that about that share of new normal rows is flagged.

        Parameters
        ----------
        X_normal : array-like of shape (n_samples, n_features)
            Held-out rows known to be normal.
        false_positive_rate : float, default=0.05
            In (0, 1).

        Returns
        -------
        self : object
        """
        if not isinstance(false_positive_rate, Real) or not 0 < false_positive_rate < 1:
            raise ValueError(
                f"false_positive_rate must be in (0, 1), got {false_positive_rate!r}."
            )
        self.offset_ = float(np.percentile(self.score_samples(X_normal), 100 * false_positive_rate))
        # every attribute derived from the threshold follows it
        self.labels_ = (-self.decision_scores_.astype(np.float64) < self.offset_).astype(np.int8)
        return self
