"""Shared machinery of every autoencoder estimator.

``_BaseAutoencoder`` holds what all variants share: parameter validation,
input checks, seeding, the skorch net that trains the torch module, batched
inference, scoring, feature names and persistence. A variant overrides only
the hooks where it differs (``_make_module``, ``_make_penalty``,
``_make_corruption``, ``_make_objective``, ``_check_input``, and the batch
functions used at inference).
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
from skorch.callbacks import EarlyStopping
from skorch.helper import predefined_split
from skorch.history import History
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
from ._losses import ReconstructionObjective
from ._modules import ACTIVATION_NAMES, build_module, make_activation
from ._net import (
    ArrayDataset,
    AutoencoderNet,
    EpochCompleted,
    EpochGuard,
    predict_in_batches,
    stopped_early,
)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

#: Built-in optimizers with a fused CUDA kernel (one launch for all parameters).
_FUSED_ON_CUDA = {"adam", "adamw", "sgd"}

_FLOAT_DTYPES = (np.float64, np.float32)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Below this global scale the data are treated as constant: a smaller scale
#: (or its square) would underflow in float32 and turn outputs into NaN.
_MIN_SCALE = float(np.sqrt(np.finfo(np.float32).tiny))


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


#: Rows per chunk when standardising: float64 temporaries stay small.
_CHUNK_ROWS = 1024


def _row_chunks(n_rows):
    return (slice(start, start + _CHUNK_ROWS) for start in range(0, n_rows, _CHUNK_ROWS))


def _standardize(X, train_idx=None):
    """Centre X on the training rows' mean and divide by one global scale.

    The scale is the root of the mean per-feature variance of the training
    rows (all rows when ``train_idx`` is None). Statistics and centring are
    computed in float64, chunk by chunk, so no float64 copy of X is made.

    Returns
    -------
    X_std : ndarray of float32, C-contiguous
    mean : ndarray of float64 of shape (n_features,)
    scale : float, positive
    """
    is_train = None
    if train_idx is not None:
        is_train = np.zeros(X.shape[0], dtype=bool)
        is_train[train_idx] = True
    mean = (X if is_train is None else X[is_train]).mean(axis=0, dtype=np.float64)
    out = np.empty(X.shape, dtype=np.float32)
    sum_sq = np.zeros(X.shape[1])
    for rows in _row_chunks(X.shape[0]):
        centred = X[rows] - mean
        out[rows] = centred
        if is_train is not None:
            centred = centred[is_train[rows]]
        sum_sq += np.einsum("ij,ij->j", centred, centred)
    n_fit = X.shape[0] if is_train is None else len(train_idx)
    scale = float(np.sqrt(np.mean(sum_sq / n_fit)))
    scale = scale if np.isfinite(scale) and scale > _MIN_SCALE else 1.0
    out /= np.float32(scale)
    return out, mean, scale


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


def _hidden_sizes(hidden_layer_sizes):
    """Validate ``hidden_layer_sizes`` and return it as a tuple of ints."""
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


def _optimizer_speedups(name, device):
    """Keyword arguments selecting a built-in optimizer's fastest kernels.

    Fused kernels on CUDA; on the CPU the ``foreach`` (multi-tensor)
    implementation, which measured 5-25% faster per fit than torch's CPU
    default (see ``benchmarks/README.md``). Neither changes the maths.
    """
    if device.type == "cuda" and name in _FUSED_ON_CUDA:
        return {"optimizer__fused": True}
    return {"optimizer__foreach": True}


class _BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class for autoencoder estimators.

    Warning: This class should not be used directly. Use derived classes
    instead.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "output_activation": [StrOptions(set(ACTIVATION_NAMES)), None],
        "loss": [StrOptions({"mse", "bce"})],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), callable],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    @abstractmethod
    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(100,),
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
        random_state=None,
        device="cpu",
        verbose=0,
        callbacks=None,
    ):
        # ``loss`` and ``output_activation`` are stored by the deterministic
        # autoencoders (``Autoencoder``); the VAE's ``likelihood`` replaces them.
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
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
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------
    # Hooks a variant may override
    # ------------------------------------------------------------------
    def _output_activation_name(self):
        """The reconstruction's activation: explicit, or chosen by ``loss``."""
        if self.output_activation is not None:
            return self.output_activation
        return "logistic" if self.loss == "bce" else "identity"

    def _requires_unit_interval(self):
        """Whether X must lie in [0, 1] (binary cross-entropy targets)."""
        return self.loss == "bce"

    def _check_params(self):
        """Cross-parameter checks that ``_parameter_constraints`` cannot express."""
        if self.loss == "bce" and self._output_activation_name() != "logistic":
            raise ValueError(
                "loss='bce' reconstructs probabilities and needs "
                "output_activation='logistic' (or None), got "
                f"output_activation={self.output_activation!r}."
            )

    def _unit_interval_settings(self):
        """The setting that needs X in [0, 1] and the one that does not (for errors)."""
        return f"loss={self.loss!r}", "loss='mse'"

    def _check_input(self, X, name="X"):
        """Checks of the values of X beyond finiteness (run in fit and score)."""
        if self._requires_unit_interval() and X.size:
            lo, hi = float(X.min()), float(X.max())
            if lo < 0 or hi > 1:
                setting, alternative = self._unit_interval_settings()
                raise ValueError(
                    f"{type(self).__name__} with {setting} needs {name} in "
                    f"[0, 1] (binary targets or probabilities), but {name} ranges "
                    f"from {lo:.6g} to {hi:.6g}. Scale it (e.g. MinMaxScaler) or use "
                    f"{alternative}."
                )

    def _normalizes(self):
        """Whether X is centred and scaled inside the estimator.

        Only an unbounded (identity) reconstruction can be mapped back to any
        range, so only then is the data standardised for training.
        """
        return self._output_activation_name() == "identity"

    @abstractmethod
    def _make_module(self, n_features):
        """Return a fresh torch module (``build_module`` initialises its weights)."""

    def _make_penalty(self):
        """Return ``penalty(output, x=, module=, epoch=)`` or None."""
        return None

    def _make_corruption(self, train_ds, mean, scale):
        """Return ``corrupt(x_batch) -> x_noisy`` for training, or None.

        ``train_ds`` is the training ``ArrayDataset``: its rows ``X`` are in
        model space, where ``x_model = (x - mean) / scale``, so a variant can
        express corruption in the data's own units, and its ``device`` is
        where the batches to corrupt live.
        """
        return None

    def _make_objective(self):
        return ReconstructionObjective(
            self.loss,
            make_activation(self._output_activation_name()),
            penalty=self._make_penalty(),
        )

    def _fitted_extras(self, net, X):
        """Extra fitted attributes a variant derives after training."""
        return {}

    def _training_callbacks(self):
        """Extra ``(name, callback)`` pairs, run before early stopping each epoch."""
        return []

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    def _batch_size(self, n_samples):
        size = 200 if self.batch_size == "auto" else self.batch_size
        return max(1, min(size, n_samples))

    def _split(self, n_samples, rng):
        """Indices of training and validation rows (seeded, shuffled)."""
        if not self.early_stopping:
            return np.arange(n_samples), None
        n_valid = int(np.ceil(self.validation_fraction * n_samples))
        if n_samples - n_valid < 1:
            raise ValueError(
                f"early_stopping=True needs at least 2 samples to hold out a "
                f"validation set (validation_fraction={self.validation_fraction}), "
                f"got n_samples={n_samples}."
            )
        perm = rng.permutation(n_samples)
        return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])

    def _make_net(
        self,
        module,
        *,
        device,
        batch_size,
        shuffle_seed,
        noise_seed=0,
        valid_ds=None,
        corruption=None,
    ):
        optimizer, speedups = self.optimizer, {}
        if isinstance(optimizer, str):
            optimizer = _OPTIMIZERS[self.optimizer]
            speedups = _optimizer_speedups(self.optimizer, torch.device(device))
        callbacks = [("epoch_guard", EpochGuard()), *self._training_callbacks()]
        monitor = "valid_loss" if valid_ds is not None else "train_loss"
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=self.n_iter_no_change,
                    threshold=self.tol,
                    threshold_mode="abs",
                    load_best=valid_ds is not None,
                    sink=print if self.verbose else (lambda *a, **k: None),
                ),
            )
        )
        for i, cb in enumerate(self.callbacks or []):
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
        callbacks.append(("epoch_completed", EpochCompleted()))
        return AutoencoderNet(
            module,
            objective=self._make_objective(),
            corruption=corruption,
            shuffle_seed=shuffle_seed,
            noise_seed=noise_seed,
            optimizer=optimizer,
            lr=self.learning_rate_init,
            optimizer__weight_decay=self.alpha,
            max_epochs=self.max_iter,
            batch_size=batch_size,
            train_split=predefined_split(valid_ds) if valid_ds is not None else None,
            callbacks=callbacks,
            verbose=int(self.verbose),
            device=device,
            **speedups,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct X.

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
        # validate_data sets n_features_in_ / feature_names_in_ before
        # training; a failed or interrupted fit must leave self as it was.
        previous = self.__dict__.copy()
        try:
            X = _as_float_array(partial(validate_data, self), X)
            self._fit(X)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous)
            raise
        return self

    def _fit(self, X):
        self._check_params()
        _hidden_sizes(self.hidden_layer_sizes)
        _check_float32_range(X)
        self._check_input(X)
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed, noise_seed = (
            int(s) for s in rng.randint(0, 2**31 - 1, size=3)
        )
        train_idx, valid_idx = self._split(X.shape[0], rng)

        # The fitted state is built aside and set at once at the end; ``fit``
        # restores everything (validate_data's attributes too) on failure.
        fitted = {"mean_": np.zeros(X.shape[1]), "scale_": 1.0}
        if self._normalizes():
            Xm, fitted["mean_"], fitted["scale_"] = _standardize(
                X, None if valid_idx is None else train_idx
            )
        else:
            Xm = np.ascontiguousarray(X, dtype=np.float32)
        resident = Xm.nbytes <= get_config()["device_memory_budget"]
        X_train = Xm if valid_idx is None else Xm[train_idx]
        train_ds = ArrayDataset(X_train, device, resident=resident)
        valid_ds = (
            None if valid_idx is None else ArrayDataset(Xm[valid_idx], device, resident=resident)
        )
        batch_size = self._batch_size(len(train_ds))

        # Every draw comes from generators this fit owns: two fits in two
        # threads never share one, and torch's global generator is untouched.
        init_generator = torch.Generator().manual_seed(init_seed)
        module = build_module(partial(self._make_module, X.shape[1]), init_generator)
        net = self._make_net(
            module,
            device=device,
            batch_size=batch_size,
            shuffle_seed=shuffle_seed,
            noise_seed=noise_seed,
            valid_ds=valid_ds,
            corruption=self._make_corruption(train_ds, fitted["mean_"], fitted["scale_"]),
        )
        net.initialize()
        net.partial_fit(train_ds, None)
        if net.interrupted_:
            # skorch swallows KeyboardInterrupt; a user's interrupt (unlike
            # EarlyStopping's) must reach the caller, with self unchanged.
            raise KeyboardInterrupt(
                f"{type(self).__name__}.fit was interrupted during epoch "
                f"{len(net.history)}; the estimator was left as it was before fit."
            )
        net.module_.eval()

        history = net.history
        n_iter = len(history)
        fitted.update(
            net_=net,
            device_=device,
            n_iter_=n_iter,
            loss_curve_=[float(v) for v in history[:, "train_loss"]],
            _n_features_out=self.n_components,
        )
        if valid_ds is not None:
            scores = [-float(v) for v in history[:, "valid_loss"]]
            fitted["validation_scores_"] = scores
            fitted["best_validation_score_"] = float(max(scores))
        fitted["best_loss_"] = float(min(fitted["loss_curve_"]))
        fitted.update(self._fitted_extras(net, X_train))
        self.__dict__.update(fitted)
        self._warn_if_not_converged(net)
        return self

    def _warn_if_not_converged(self, net):
        if stopped_early(net):
            return
        warnings.warn(
            f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached "
            "and the optimization hasn't converged yet.",
            ConvergenceWarning,
        )

    # ------------------------------------------------------------------
    # Inference
    # ------------------------------------------------------------------
    @property
    def _module(self):
        return self.net_.module_

    def _to_model_space(self, chunk):
        """Standardise a host chunk as training did: centre in float64, then scale."""
        if not self._normalizes():
            return chunk
        return np.asarray(chunk - self.mean_, dtype=np.float32) / np.float32(self.scale_)

    def _to_data_space(self, out):
        """Map a model-space reconstruction back to the data's units, in float64."""
        if not self._normalizes():
            return out
        return out.astype(np.float64) * float(self.scale_) + self.mean_

    def _encode_batch(self, xb):
        """Codes of a batch already in model space."""
        return self._module.encode(xb)

    def _decode_batch(self, zb):
        """Reconstruction (in model space) of a batch of codes."""
        return self._module.decode(zb)

    def _score_batch(self, xb):
        """Per-sample score of a batch in model space (higher is more typical)."""
        objective = self._make_objective()
        output = self._module(xb)
        err = objective.per_sample(output, xb)
        return -err * float(self.scale_) ** 2

    def _validate_for_inference(self, X):
        check_is_fitted(self)
        X = _as_float_array(partial(validate_data, self), X, reset=False)
        _check_float32_range(X)
        return X

    def _apply(self, fn, X, out_width, method=None):
        """Run ``fn`` on model-space batches of ``X`` and collect the output."""
        self._module.eval()
        out = predict_in_batches(
            fn,
            X,
            batch_size=get_config()["inference_batch_size"],
            device=self.device_,
            out_width=out_width,
            out_dtype=X.dtype,
            prepare=self._to_model_space,
        )
        return _check_finite_output(out, method)

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
        X = self._validate_for_inference(X)
        return self._apply(self._encode_batch, X, self.n_components, "transform")

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
        if Z.shape[1] != self.n_components:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform expects "
                f"n_components={self.n_components} (the width of the codes)."
            )
        _check_float32_range(Z)
        self._module.eval()
        out = predict_in_batches(
            self._decode_batch,
            Z,
            batch_size=get_config()["inference_batch_size"],
            device=self.device_,
            out_width=self.n_features_in_,
            out_dtype=Z.dtype,
            finish=self._to_data_space,
        )
        return _check_finite_output(out, "inverse_transform")

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
        return self._apply(self._score_batch, X, None, "score_samples")

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
    # Persistence: weights as arrays, never skorch's embedded pickle
    # ------------------------------------------------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            state["_module_state"] = {
                k: v.detach().cpu().numpy().copy() for k, v in net.module_.state_dict().items()
            }
            state["_history"] = _plain(net.history)
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state):
        module_state = state.pop("_module_state", None)
        history = state.pop("_history", None)
        super().__setstate__(state)
        if module_state is None:
            return
        device = torch.device(self.device_)
        if device.type == "cuda" and (
            not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()
        ):
            # Fitted on a GPU this machine lacks: the weights are arrays, so
            # the model runs on the CPU.
            device = torch.device("cpu")
        self.device_ = device
        module = self._make_module(self.n_features_in_)
        module.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in module_state.items()})
        net = self._make_net(module, device=device, batch_size=1, shuffle_seed=0)
        net.initialize()
        net.history = History(history or [])
        net.module_.eval()
        self.net_ = net

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _plain(obj):
    """Recursively turn history rows into plain lists, dicts and floats."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    return obj
