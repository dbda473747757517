"""The table of hooks a variant may override: ``_AutoencoderHooks``.

Every autoencoder is ``_BaseAutoencoder`` (the estimator's face and its one
fit driver, ``_base.py``) plus the hooks below, where it differs. They are
the complete list: a variant overrides nothing else. By stage of ``fit``:

prepare
    ``_check_params``, ``_check_architecture`` (validation beyond the
    parameter constraints), ``_normalizes`` and ``_unit_interval_requirement``
    (how X is mapped and what it must hold), ``_latent_width`` (the code
    layer's width), ``_training_statistics`` (statistics of the training
    rows the build stage needs).
build
    ``_make_module``, ``_make_objective``, ``_make_corruption``,
    ``_stopping_warmup``, ``_training_schedule``.
train
    ``_pretrain`` (a stage before the end-to-end one, fresh fits only).
after_fit
    ``_after_fit`` (a variant's extra fitted attributes, through the
    inference methods).
inference
    ``_encode_batch``, ``_decode_batch``, ``_score_batch`` (one batch, in
    the module's units, on the inference view ``module``), ``_score_folds``
    (whether ``_score_batch`` takes a view with the scaling folded in), and
    ``_code_width`` (the width ``transform`` returns).

The deterministic family (``_autoencoder.py``) adds its own hooks on top,
``_make_penalty`` (the sparse and contractive terms) among them.

The meta-estimators (``_outlier.py``, ``_supervised.py``) and layer-wise
pretraining (``_pretraining.py``) use the fitted inner autoencoder through a
small protected interface of ``_BaseAutoencoder``, documented there:
``_encode`` / ``_score`` (codes and per-sample scores of rows in the data's
units), ``_encode_batch`` (codes of a batch in the module's units),
``_code_width``, ``_rows_dataset`` (rows as a training dataset in the
module's units), ``_batch_size``, ``_training_options``, ``_make_corruption``,
``_keep_codes_for_sampling``, ``_fit_seed``, ``device_``, ``net_`` and the
score kind (``_score_kind``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from abc import ABCMeta, abstractmethod

from ._architecture import _likely_image_shape, resolve_image_shape
from ._modules import set_input_map, set_output_bias
from ._scaling import DataScaling


class _AutoencoderHooks(metaclass=ABCMeta):
    """The hooks of ``_BaseAutoencoder`` a variant may override (see the module)."""

    #: What ``score_samples`` measures: ``"reconstruction"`` (minus an error
    #: in the data's units) or ``"likelihood"`` (a bound on log p(x)), for
    #: the meta-estimators, which never look at an estimator's class.
    _score_kind = "reconstruction"

    @abstractmethod
    def _normalizes(self):
        """Whether X is centred and scaled inside the estimator (see ``_scaling``)."""

    def _unit_interval_requirement(self):
        """None, or the setting that needs X in [0, 1] and one that does not."""
        return None

    def _check_params(self):
        """Cross-parameter checks that ``_parameter_constraints`` cannot express."""

    def _check_architecture(self, n_features):
        """Check the architecture's settings against X's width.

        Returns the image shape the convolutional architecture uses, or
        None for the dense one.
        """
        if self.architecture != "conv":
            return None
        return resolve_image_shape(self.image_shape, n_features)

    def _warn_if_likely_images(self, image_shape, n_features):
        """Warn where 1-D convolutions run over rows as wide as RGB images."""
        likely = _likely_image_shape(n_features) if image_shape and len(image_shape) == 2 else None
        if likely is not None:
            warnings.warn(
                f"{type(self).__name__}: X has {n_features} features, as many as "
                f"{likely[1]}x{likely[2]} images with {likely[0]} channels, but "
                "image_shape is None, so the convolutions run along one axis of "
                f"length {n_features} (1-D signals). Set image_shape={likely} "
                "(channels, height, width; rows flat in channel-first order, see "
                "sklearn_ae.flatten_images) to convolve images.",
                UserWarning,
            )

    def _latent_width(self, n_features):
        """Width of the network's code layer."""
        return self.n_components

    def _code_width(self):
        """Width of the codes ``transform`` returns (fitted)."""
        return self.n_components

    @abstractmethod
    def _make_module(self, n_features):
        """Return a fresh torch module (``build_module`` initialises its weights)."""

    @abstractmethod
    def _make_objective(self):
        """Return the training objective (see ``AutoencoderNet``)."""

    def _make_corruption(self, device):
        """Return ``corrupt(x_batch, generator) -> x_noisy`` for training, or None.

        Batches are in model space (``self._scaling`` maps to and from the
        data's units) and live on ``device``.
        """
        return None

    def _training_statistics(self, chunks):
        """Private fitted statistics of the training rows (model space).

        ``chunks()`` iterates over the training rows in model space as
        float32 arrays of consecutive rows (one array for dense data,
        bounded chunks for sparse data). Computed once, when training
        starts, and kept (also across ``partial_fit`` calls and pickling)
        for the build stage. Here: the encoder's input map where the rows
        are not standardised (``_modules.set_input_map``); a variant adds
        its own statistics to these.
        """
        if self._normalizes():
            return {"_input_map": None}
        scaling = DataScaling.from_chunks(chunks)
        return {"_input_map": (scaling.mean, scaling.scale)}

    def _with_input_map(self, module):
        """``module`` with the encoder's input map of the training rows, if
        any, and its bounded output started at their mean (a fresh module's
        weights; a restored state overwrites them)."""
        input_map = getattr(self, "_input_map", None)  # absent in older models
        if input_map is None:
            return module
        return set_output_bias(set_input_map(module, *input_map), input_map[0])

    def _stopping_warmup(self):
        """Epochs at the start that early stopping does not judge."""
        return 0

    def _training_schedule(self):
        """``schedule(module, epoch)`` run as each epoch begins, or None."""
        return None

    def _pretrain(self, train_ds, valid_ds):
        """A training stage before the end-to-end one (fresh fits only); none here."""

    def _after_fit(self, X):
        """Set a variant's extra fitted attributes from the training rows X.

        Runs with the fitted estimator in place; use the inference methods
        (``_encode``, ``_score``), never a loop of one's own.
        """

    def _encode_batch(self, xb, module=None):
        """Codes of a batch in model space (in data units for a folded ``module``)."""
        return (module or self._module).encode(xb)

    def _decode_batch(self, zb, module=None):
        """Reconstruction of a batch of codes, in model space (in data units
        for a folded ``module``)."""
        return (module or self._module).decode(zb)

    #: Whether ``_score_batch`` accepts a folded module (``module=``, rows
    #: and reconstructions in data units; see ``_inference.inference_view``).
    _score_folds = False

    @abstractmethod
    def _score_batch(self, xb, module=None):
        """Per-sample score of a batch in model space (higher is more typical).

        ``module`` is the inference view (``_inference.inference_view``), folded
        only where ``_score_folds`` says the variant takes a folded one.
        """

    # What the unit-interval hook implies (not hooks themselves)
    def _requires_unit_interval(self):
        """Whether X must lie in [0, 1] (binary targets or probabilities)."""
        return self._unit_interval_requirement() is not None

    def _check_input(self, X, name="X"):
        """Checks of the values of X beyond finiteness (run in fit and score)."""
        requirement = self._unit_interval_requirement()
        if requirement is not None and X.size:
            lo, hi = float(X.min()), float(X.max())
            if lo < 0 or hi > 1:
                setting, alternative = requirement
                raise ValueError(
                    f"{type(self).__name__} with {setting} needs {name} in "
                    f"[0, 1] (binary targets or probabilities), but {name} ranges "
                    f"from {lo:.6g} to {hi:.6g}. Scale it (e.g. MinMaxScaler) or use "
                    f"{alternative}."
                )
