"""The one base of the meta-estimators that wrap an autoencoder.

A meta-estimator here follows scikit-learn's (``SelfTrainingClassifier``,
``BaggingClassifier``): an ``estimator`` parameter, unfitted, cloned in
``fit`` into ``estimator_``; a ``random_state`` that seeds the inner clone
(scikit-learn's checks seed only the top level); and nothing to persist of
its own beyond plain values, so its skops file trusts only this package's
types, as the autoencoder's does.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import _BaseAutoencoder
from ._callbacks import console_print


class _AutoencoderMetaEstimator(MetaEstimatorMixin, BaseEstimator):
    """Base class of the meta-estimators over an autoencoder.

    Warning: This class should not be used directly. Use derived classes
    instead.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "transform", "score_samples"]), None],
        "random_state": ["random_state"],
    }

    def _default_estimator(self):
        """The autoencoder used when ``estimator`` is None."""
        raise NotImplementedError

    def _make_estimator(self):
        """A fresh clone of the inner autoencoder, seeded by ``random_state``."""
        estimator = self._default_estimator() if self.estimator is None else self.estimator
        if not isinstance(estimator, _BaseAutoencoder):
            raise ValueError(
                f"estimator must be an autoencoder of sklearn_ae, got "
                f"{type(estimator).__name__}."
            )
        estimator = clone(estimator)
        if self.random_state is not None:
            seed = check_random_state(self.random_state).randint(0, 2**31 - 1)
            estimator.set_params(random_state=int(seed))
        return estimator

    def _fit_inner(self, estimator, X, stage):
        """Fit the inner autoencoder on X, saying which stage runs.

        With ``verbose`` on the inner estimator a line names the stage
        before its table. An error of a default inner estimator (``estimator
        =None``) names that default, whose settings the user did not choose,
        and how to change them.
        """
        if getattr(estimator, "verbose", 0):
            console_print(f"{type(self).__name__}: {stage}")
        try:
            return estimator.fit(X)
        except ValueError as exc:
            if self.estimator is not None:
                raise
            # the same exception (DivergenceError stays one), with the default named
            exc.args = (
                f"{exc} (The inner autoencoder is {type(self).__name__}'s default, "
                f"{estimator!r}, used because estimator=None; pass estimator= an "
                "autoencoder with the settings you need.)",
            )
            raise

    def _validate(self, X):
        """X checked against the fit's features, for the inference methods."""
        check_is_fitted(self)
        return validate_data(
            self, X, dtype=(np.float64, np.float32), reset=False, accept_sparse="csr"
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self._default_estimator() if self.estimator is None else self.estimator
        inner_tags = inner.__sklearn_tags__()
        tags.input_tags.sparse = inner_tags.input_tags.sparse
        tags.input_tags.allow_nan = inner_tags.input_tags.allow_nan
        return tags
