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
    epochs, through ``AutoencoderNet.train_epochs``.
``collect``
    fitted attributes read from the net.
``after_fit``
    a variant's extras, computed through the same inference path as
    ``transform`` and ``score_samples`` on the fitted estimator.

``fit``, ``partial_fit`` and ``warm_start`` are drivers of the one
``_fit(X, incremental=...)``, which runs these stages in order.

A variant overrides only the hooks where it differs: their complete table,
with what each stage calls, is ``_hooks._AutoencoderHooks``, a base class
of ``_BaseAutoencoder``. ``net_class``, a public class attribute, is the net
the build stage makes (e.g. ``sklearn_ae.accelerate``'s). The topics the
stages use live in their own modules: ``_architecture.py`` (widths, image
shapes), ``_scaling.py``, ``_data.py`` (datasets, split, batch size),
``_net.py`` with ``_callbacks.py`` and ``_state.py`` (the training engine),
``_inference.py`` (the batched inference loop and the folded scaling),
``_density.py`` (the density of codes behind ``sample``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from abc import ABCMeta, abstractmethod
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

from ._architecture import resolve_hidden_sizes
from ._callbacks import fitted_curves, not_converged_message
from ._config import get_config
from ._hooks import _AutoencoderHooks
from ._density import density_rows, fit_code_density, sample_codes
from ._inference import _check_all_finite, _check_float32_range, infer
from ._losses import l2_weight_decay
from ._modules import ACTIVATION_NAMES, build_module
from ._data import batch_size_for, make_datasets, split_rows, training_rows
from ._net import OPTIMIZERS, AutoencoderNet, build_net
from ._state import check_unchanged, loading_device, unchanged_on_failure
from ._scaling import DataScaling, fit_scaling

_FLOAT_DTYPES = (np.float64, np.float32)
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
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _AutoencoderHooks,
    BaseEstimator,
    metaclass=ABCMeta,
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
    # Validation (the hooks a variant may override: _hooks.py)
    # ------------------------------------------------------------------
    def _setting(self, name):
        """A memory setting: the estimator's parameter, or else the global one."""
        value = getattr(self, name)
        return get_config()[name] if value is None else value

    def _check_partial_fit_params(self):
        """Refuse settings ``partial_fit`` cannot honour."""
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call is "
                "one pass over the rows it is given, with none held out. Use fit "
                "(with warm_start=True to continue training), or set "
                "early_stopping=False."
            )

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
        return self._fit(X, incremental=False)

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
        self._check_partial_fit_params()
        return self._fit(X, incremental=True)

    def _fit(self, X, *, incremental):
        """The one fit driver: prepare -> build -> train -> collect -> after_fit.

        ``fit`` (``incremental=False``: ``max_iter`` epochs, early stopping,
        a ConvergenceWarning where due) and ``partial_fit`` (one epoch) are
        two drivers of the same stages; both continue the fitted model when
        there is one to continue (``warm_start=True`` for ``fit``), else
        start afresh. A failed call leaves the estimator as it was.
        """
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        if continuing:
            self._check_unchanged_since_build(
                "partial_fit" if incremental else "fit with warm_start=True"
            )
        with self._unchanged_on_failure(continuing):
            # fit needs two rows at least, as PCA and the scaling do
            X, image_shape = self._validate_training_data(
                X, reset=not continuing, min_samples=1 if incremental else 2
            )
            X_model = None
            if not continuing:
                train_idx, valid_idx, X_model = self._prepare(
                    X, split=not incremental, image_shape=image_shape
                )
                self.net_ = self._build(
                    X.shape[1], batch_size=self._batch_size(X.shape[0] - _count(valid_idx))
                )
            elif incremental:
                train_idx = valid_idx = None
            else:
                train_idx, valid_idx = self._split(X.shape[0], self._split_state)
            train_ds, valid_ds = self._datasets(X, train_idx, valid_idx, X_model=X_model)
            if not continuing:
                self._pretrain(train_ds, valid_ds)
            self.net_.train_epochs(
                train_ds, valid_ds, epochs=1 if incremental else self.max_iter,
                stopping=not incremental,
            )
            self._collect()
            self._finish(X if valid_idx is None else training_rows(X, train_idx))
        if not incremental:
            self._warn_if_not_converged()
        return self

    def _check_unchanged_since_build(self, method):
        """Continued training needs the parameters the net was built with."""
        check_unchanged(method, self._built_with, self.get_params(deep=False))

    def _unchanged_on_failure(self, continuing):
        """Leave the estimator exactly as it was if the block raises."""
        return unchanged_on_failure(self, self.net_ if continuing else None)

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
        return X, image_shape

    def _prepare(self, X, *, split, image_shape):
        """The prepare stage: seeds, split, scaling, architecture, statistics.

        Returns the training and validation row indices (None for all rows
        and no validation) and X in model space as float32 (None for data
        read in place), which the datasets are made of.
        """
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        self._seeds = tuple(int(s) for s in rng.randint(0, 2**31 - 1, size=3))
        # The split is drawn from the state rng has now, kept so that a
        # warm start holds out the same rows.
        self._split_state = rng.get_state()
        train_idx, valid_idx = self._split(X.shape[0], self._split_state) if split else (None, None)
        fit_rows = train_idx if valid_idx is not None else None
        X_model, scaling = fit_scaling(X, fit_rows, standardise=self._normalizes())
        self.mean_, self.scale_ = scaling.mean, scaling.scale
        self.image_shape_ = image_shape  # resolved once, by the validation above
        self._warn_if_likely_images(image_shape, X.shape[1])
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
        for name, value in self._training_statistics(chunks).items():
            setattr(self, name, value)  # the variant's private statistics
        self._built_with = self.get_params(deep=False)
        return train_idx, valid_idx, X_model

    def _build(self, n_features, *, batch_size):
        """The module and its net, initialised (weights from the fit's seed)."""
        init_seed, shuffle_seed, noise_seed = self._seeds
        generator = torch.Generator().manual_seed(init_seed)
        module = build_module(partial(self._make_module, n_features), generator)
        module = self._with_input_map(module)
        net = build_net(
            module,
            max_epochs=self.max_iter,
            validation=self.early_stopping,
            warmup_epochs=self._stopping_warmup(),
            schedule=self._training_schedule(),
            callbacks=self.callbacks,
            corruption=self._make_corruption(self.device_),
            shuffle_seed=shuffle_seed,
            noise_seed=noise_seed,
            **self._training_options(self._make_objective(), batch_size, n_features),
        )
        return net.initialize()

    def _training_options(self, objective, batch_size, n_outputs):
        """The net settings of a training stage (``alpha`` on ``MLPRegressor``'s scale)."""
        return dict(
            objective=objective,
            batch_size=batch_size,
            optimizer=self.optimizer,
            lr=self.learning_rate_init,
            weight_decay=l2_weight_decay(
                self.alpha, batch_size=batch_size, row_units=objective.row_units(n_outputs)
            ),
            device=self.device_,
            patience=self.n_iter_no_change,
            tol=self.tol,
            verbose=self.verbose,
            net_class=self.net_class,
            fast=self._fast_training,
        )

    def _batch_size(self, n_samples):
        return batch_size_for(self.batch_size, n_samples)

    def _split(self, n_samples, state):
        """Indices of training and validation rows (seeded), or Nones."""
        if not self.early_stopping:
            return None, None
        return split_rows(n_samples, self.validation_fraction, state)

    def _datasets(self, X, train_idx, valid_idx, *, X_model=None):
        """Training and validation datasets in model space (``_data.make_datasets``)."""
        return make_datasets(
            X, self._scaling, self.device_, train_idx, valid_idx, X_model=X_model,
            budget=self._setting("device_memory_budget"),
        )

    def _rows_dataset(self, X, *, y=None):
        """A dataset of rows of X (dense or sparse) in model space, for a net.

        Used by the meta-estimators to train on the fitted autoencoder's
        model space (e.g. fine-tuning with a head and targets ``y``).
        """
        return make_datasets(
            X, self._scaling, self.device_, None, None, y=y,
            budget=self._setting("device_memory_budget"),
        )[0]

    def _collect(self):
        """The collect stage: fitted attributes read from the net's history."""
        for name, value in fitted_curves(self.net_, self.early_stopping).items():
            setattr(self, name, value)

    def _finish(self, X):
        """The after_fit stage: a variant's extras, then codes kept for ``sample``."""
        self._after_fit(X)
        self._n_features_out = self._code_width()
        self._keep_codes_for_sampling(X)

    def _keep_codes_for_sampling(self, X):
        """Keep the codes of a bounded subsample of X for ``sample`` (``_density``).

        Also called by the supervised meta-estimators after fine-tuning.
        """
        self._density_codes = self._encode(density_rows(X, self._seeds[0])).astype(np.float64)
        self._code_density = None  # fitted at the first call of sample

    def _warn_if_not_converged(self):
        """A ConvergenceWarning where training ended while still improving
        (``_callbacks.not_converged_message``)."""
        net = self.net_
        if net.stopped_early_:
            return
        message = not_converged_message(
            type(self).__name__, net.history, net.stopper_.monitor,
            window=self.n_iter_no_change, tol=self.tol, max_iter=self.max_iter,
        )
        if message is not None:
            warnings.warn(message, ConvergenceWarning)

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

    def _infer(self, fn, X, *, out_width, from_data=True, to_data=False, method=None, fold=None):
        """Run ``fn(batch, module=view)`` on X in batches (``_inference.infer``)."""
        return infer(
            fn, X, module=self._module, scaling=self._scaling, device=self.device_,
            batch_size=self._setting("inference_batch_size"), out_width=out_width,
            from_data=from_data, to_data=to_data, method=method, fold=fold,
            fold_cache=self._fold_cache(),
        )

    def _fit_seed(self, k):
        """Seed ``k`` of the fit (0: weights, 1: shuffling, 2: other draws), for
        the stages and meta-estimators that derive generators of their own."""
        return self._seeds[k]

    def _fold_cache(self):
        """Where the folded layers are kept: on the net, which training changes."""
        return self.net_.__dict__.setdefault("_folded", {})

    def _encode(self, X):
        return self._infer(
            self._encode_batch, X, out_width=self._code_width(), method="transform", fold="encoder"
        )

    def _score(self, X):
        return self._infer(
            self._score_batch, X, out_width=None, method="score_samples",
            fold="both" if self._score_folds else None,
        )

    # ------------------------------------------------------------------
    # Generation: decode draws from a density of the training codes
    # ------------------------------------------------------------------
    def _fitted_code_density(self):
        """The mixture of the kept codes, fitted once (seeded)."""
        if self._code_density is None:
            self._code_density = fit_code_density(self._density_codes, self._seeds[0])
        return self._code_density

    def _sample_codes(self, n_samples, rng):
        return sample_codes(self._fitted_code_density(), n_samples, rng)

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
        self.device_ = loading_device(self.device_)
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


def _count(idx):
    return 0 if idx is None else len(idx)
