"""AutoencoderClassifier and AutoencoderRegressor: pretrain, then fine-tune.

The autoencoder (``estimator``, cloned into ``estimator_``) is first trained
unsupervised on every row of X; then a linear prediction head is put on its
encoder and encoder and head are trained together on the labelled rows
(the encoder can be frozen instead). Rows whose target equals
``unlabeled_value`` take part in the pretraining only, the semi-supervised
setting of ``sklearn.semi_supervised``.
"""

# SPDX-License-Identifier: BSD-3-Clause

from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import log_softmax, softmax
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn
from torch.nn import functional as F

from ._autoencoder import Autoencoder
from ._callbacks import console_print
from ._meta import _AutoencoderMetaEstimator
from ._modules import build_module
from ._losses import l2_weight_decay
from ._net import build_net


class _EncoderHead(nn.Module):
    """A pretrained autoencoder's encoder followed by a linear head."""

    def __init__(self, autoencoder, head, encode):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = head
        self._encode = encode  # maps a model-space batch to the codes

    def forward(self, x, generator=None):
        return {"logits": self.head(self._encode(x))}


class _BaseAutoencoderPredictor(TransformerMixin, _AutoencoderMetaEstimator):
    """Shared pretraining and fine-tuning of the supervised meta-estimators."""

    _parameter_constraints: dict = {
        **_AutoencoderMetaEstimator._parameter_constraints,
        "freeze_encoder": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        unlabeled_value=None,
        freeze_encoder=False,
        max_iter=200,
        learning_rate_init=1e-3,
        alpha=1e-4,
        n_iter_no_change=10,
        random_state=None,
    ):
        self.estimator = estimator
        self.unlabeled_value = unlabeled_value
        self.freeze_encoder = freeze_encoder
        self.max_iter = max_iter
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def _default_estimator(self):
        return Autoencoder(n_components=32, hidden_layer_sizes="auto", early_stopping=True)

    def _labelled(self, y):
        """Mask of the rows whose target is not ``unlabeled_value``."""
        if self.unlabeled_value is None:
            return np.ones(len(y), dtype=bool)
        y = np.asarray(y)
        if isinstance(self.unlabeled_value, float) and np.isnan(self.unlabeled_value):
            is_unlabelled = np.isnan(y.astype(float)).reshape(len(y), -1).any(axis=1)
        else:
            is_unlabelled = (y == self.unlabeled_value).reshape(len(y), -1).any(axis=1)
        return ~is_unlabelled

    def _fit_autoencoder(self, X, rows, target, n_outputs, loss):
        """Pretrain on all of X, then fine-tune encoder + head on ``rows``."""
        if not rows.any():
            raise ValueError(
                f"y holds no labelled row: every target equals "
                f"unlabeled_value={self.unlabeled_value!r}."
            )
        estimator = self._make_estimator()
        estimator = self._fit_inner(
            estimator, X, f"pretraining the {type(estimator).__name__} on all {X.shape[0]} rows"
        )
        rng = np.random.RandomState(estimator._fit_seed(1))
        init_seed, shuffle_seed, noise_seed = (int(s) for s in rng.randint(0, 2**31 - 1, 3))
        width = estimator._code_width()
        head = build_module(
            partial(nn.Linear, width, n_outputs), torch.Generator().manual_seed(init_seed)
        )
        inner = estimator.net_.module_
        if hasattr(inner, "train_topk"):
            inner.train_topk = None  # fine-tuning keeps the code of inference
        for param in inner.parameters():
            param.requires_grad_(not self.freeze_encoder)
        module = _EncoderHead(inner, head, estimator._encode_batch)

        def objective(output, y_true, **kwargs):
            return loss(output["logits"], y_true), {}

        dataset = estimator._rows_dataset(X[rows], y=target)
        batch_size = estimator._batch_size(len(dataset))
        # cross-entropy sums over classes already; the squared error is a mean
        row_units = n_outputs / 2.0 if loss is F.mse_loss else 1.0
        net = build_net(
            module,
            objective=objective,
            optimizer="adam",
            lr=self.learning_rate_init,
            weight_decay=l2_weight_decay(self.alpha, batch_size=batch_size, row_units=row_units),
            batch_size=batch_size,
            max_epochs=self.max_iter,
            device=estimator.device_,
            patience=self.n_iter_no_change,
            shuffle_seed=shuffle_seed,
            noise_seed=noise_seed,
            verbose=estimator.verbose,
        ).initialize()
        if estimator.verbose:
            console_print(f"{type(self).__name__}: fine-tuning the encoder and the head on "
                  f"{int(rows.sum())} labelled rows")
        net.train_epochs(dataset, epochs=self.max_iter)
        for param in inner.parameters():
            param.requires_grad_(True)
        inner.eval()
        estimator._keep_codes_for_sampling(X)  # the fine-tuned codes
        self.estimator_ = estimator
        self.coef_ = head.weight.detach().cpu().numpy().astype(np.float64)
        self.intercept_ = head.bias.detach().cpu().numpy().astype(np.float64)
        self.n_iter_ = len(net.history)
        self.loss_curve_ = [float(v) for v in net.history[:, "train_loss"]]

    def _decision(self, X):
        codes = np.asarray(self.transform(X), dtype=np.float64)
        return codes @ self.coef_.T + self.intercept_

    def transform(self, X):
        """The fine-tuned codes of X (``estimator_.transform``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        X = self._validate(X)
        return self.estimator_.transform(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the codes, as the inner autoencoder's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self)
        return self.estimator_.get_feature_names_out()


_SHARED_PARAMETERS_DOC = """
    freeze_encoder : bool, default=False
        If True, fine-tuning trains the head only and the pretrained encoder
        is kept as it is.

    max_iter : int, default=200
        Epochs of fine-tuning (the autoencoder's own ``max_iter`` bounds the
        pretraining). Fine-tuning stops earlier when its training loss
        stalls for ``n_iter_no_change`` epochs.

    learning_rate_init : float, default=1e-3
        Learning rate of fine-tuning (Adam).

    alpha : float, default=1e-4
        L2 penalty of fine-tuning, on ``MLPClassifier``'s and
        ``MLPRegressor``'s scale (see the estimator's own ``alpha``).

    n_iter_no_change : int, default=10
        Epochs without improvement before fine-tuning stops.

    random_state : int, RandomState instance or None, default=None
        Seeds the inner autoencoder's ``random_state`` (when not None), and
        through it the head's initialisation and the order of the rows.
"""


class AutoencoderClassifier(ClassifierMixin, _BaseAutoencoderPredictor):
    __doc__ = """Classifier on an autoencoder's encoder, pretrained without labels.

    ``fit(X, y)`` first trains the autoencoder (``estimator``) to
    reconstruct every row of X, then puts a softmax (multinomial logistic)
    head on its encoder and fine-tunes encoder and head on the labelled rows
    with the cross-entropy. With many rows and few labels
    (``unlabeled_value=-1`` marks the unlabelled ones, as in
    :class:`~sklearn.semi_supervised.SelfTrainingClassifier`), pretraining
    learns features from all rows that the labelled ones alone could not.

    After fitting, ``estimator_`` is the autoencoder with the fine-tuned
    encoder: its ``transform`` (and this classifier's) gives the fine-tuned
    codes, but its decoder, trained for the pretrained encoder, no longer
    matches them.

    Parameters
    ----------
    estimator : autoencoder of sklearn_ae or None, default=None
        The unfitted autoencoder to pretrain, cloned in ``fit``. None means
        ``Autoencoder(n_components=32, hidden_layer_sizes="auto",
        early_stopping=True)``: a code wide enough to keep what a
        classifier needs (a 2-D code, ``Autoencoder()``'s default, is for
        plots).

    unlabeled_value : int, str or None, default=None
        Target value of the unlabelled rows, used in pretraining only (e.g.
        -1). None: every row is labelled (a user with labels -1 and 1 must
        not lose half of them silently).
""" + _SHARED_PARAMETERS_DOC + """
    Attributes
    ----------
    estimator_ : autoencoder
        The pretrained autoencoder, with the fine-tuned encoder.

    classes_ : ndarray of shape (n_classes,)
        The class labels (of the labelled rows).

    coef_ : ndarray of shape (n_classes, n_components)
        Weights of the head on the codes.

    intercept_ : ndarray of shape (n_classes,)
        Biases of the head.

    n_iter_ : int
        Epochs of fine-tuning run.

    loss_curve_ : list of float
        Fine-tuning loss (cross-entropy) of each epoch.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : A classifier trained on labels only.
    sklearn.semi_supervised.SelfTrainingClassifier : Semi-supervised by
        pseudo-labelling.
    sklearn.decomposition.PCA : Linear features, e.g. before a logistic
        regression.
    AutoencoderRegressor : The same for continuous targets.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import Autoencoder, AutoencoderClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = AutoencoderClassifier(Autoencoder(n_components=16, max_iter=20),
    ...                             max_iter=20, random_state=0)
    >>> clf.fit(X / 16, y).predict(X[:3] / 16)
    array([0, 1, 2])
    """

    _parameter_constraints: dict = {
        **_BaseAutoencoderPredictor._parameter_constraints,
        "unlabeled_value": [Integral, str, None],
    }

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Pretrain on X, then fine-tune on the labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All rows, labelled or not.
        y : array-like of shape (n_samples,)
            Class labels; ``unlabeled_value`` marks unlabelled rows.

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), accept_sparse="csr")
        check_classification_targets(y)
        rows = self._labelled(y)
        encoder = LabelEncoder().fit(y[rows])
        self.classes_ = encoder.classes_
        target = encoder.transform(y[rows]).astype(np.int64)
        self._fit_autoencoder(X, rows, target, len(self.classes_), F.cross_entropy)
        return self

    def decision_function(self, X):
        """The head's logits for X (one column per class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,)
            for two classes (the second class's logit minus the first's).
        """
        logits = self._decision(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities (the softmax of the head's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._decision(X), axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._decision(X), axis=1)

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        logits = self._decision(X)
        return self.classes_[np.argmax(logits, axis=1)]


class AutoencoderRegressor(RegressorMixin, _BaseAutoencoderPredictor):
    __doc__ = """Regressor on an autoencoder's encoder, pretrained without labels.

    ``fit(X, y)`` first trains the autoencoder (``estimator``) to
    reconstruct every row of X, then puts a linear head on its encoder and
    fine-tunes encoder and head on the labelled rows with the squared error
    (of standardised targets; multi-output targets are supported). Rows
    whose target is ``unlabeled_value`` (e.g. ``np.nan``) are used for
    pretraining only.

    After fitting, ``estimator_`` is the autoencoder with the fine-tuned
    encoder (its decoder no longer matches it).

    Parameters
    ----------
    estimator : autoencoder of sklearn_ae or None, default=None
        The unfitted autoencoder to pretrain, cloned in ``fit``. None means
        ``Autoencoder(n_components=32, hidden_layer_sizes="auto",
        early_stopping=True)``.

    unlabeled_value : float or None, default=None
        Target value of the unlabelled rows (``np.nan``: any NaN in a row's
        targets). None: every row is labelled, and NaN targets are refused.
""" + _SHARED_PARAMETERS_DOC + """
    Attributes
    ----------
    estimator_ : autoencoder
        The pretrained autoencoder, with the fine-tuned encoder.

    coef_ : ndarray of shape (n_outputs, n_components)
        Weights of the head on the codes (for standardised targets).

    intercept_ : ndarray of shape (n_outputs,)
        Biases of the head (for standardised targets).

    y_mean_ : ndarray of shape (n_outputs,)
        Mean of the labelled targets.

    y_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of the labelled targets (1 where constant).

    n_iter_ : int
        Epochs of fine-tuning run.

    loss_curve_ : list of float
        Fine-tuning loss of each epoch.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : A regressor trained on labels only.
    AutoencoderClassifier : The same for class labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import Autoencoder, AutoencoderRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> reg = AutoencoderRegressor(Autoencoder(n_components=4, max_iter=20),
    ...                            random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **_BaseAutoencoderPredictor._parameter_constraints,
        "unlabeled_value": [Real, None],
    }

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Pretrain on X, then fine-tune on the labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All rows, labelled or not.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; ``unlabeled_value`` marks unlabelled rows.

        Returns
        -------
        self : object
        """
        nan_marks_unlabelled = (
            isinstance(self.unlabeled_value, float) and np.isnan(self.unlabeled_value)
        )
        X, y = validate_data(
            self,
            X,
            y,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
            ensure_all_finite=True,
            accept_sparse="csr",
        ) if not nan_marks_unlabelled else self._validate_with_nan_targets(X, y)
        self._single_output = y.ndim == 1
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        rows = self._labelled(Y)
        self.y_mean_ = Y[rows].mean(axis=0) if rows.any() else np.zeros(Y.shape[1])
        scale = Y[rows].std(axis=0) if rows.any() else np.ones(Y.shape[1])
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        target = ((Y[rows] - self.y_mean_) / self.y_scale_).astype(np.float32)
        self._fit_autoencoder(X, rows, target, Y.shape[1], F.mse_loss)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_with_nan_targets(self, X, y):
        X = validate_data(self, X, dtype=(np.float64, np.float32), accept_sparse="csr")
        y = np.asarray(y, dtype=np.float64)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}.")
        return X, y

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out = self._decision(X) * self.y_scale_ + self.y_mean_
        return out[:, 0] if self._single_output else out
