"""Autoencoder: a non-linear, trainable replacement for PCA."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ._architecture import resolve_hidden_sizes
from ._base import _BaseAutoencoder
from ._docstrings import _MEMORY_PARAMETERS_DOC, _NETWORK_PARAMETERS_DOC
from ._losses import ReconstructionObjective
from ._modules import (
    ACTIVATION_NAMES,
    ConvAutoencoderModule,
    MLPAutoencoderModule,
    make_activation,
)
from ._pretraining import (
    _PRETRAINING_ATTRIBUTES_DOC,
    _PRETRAINING_PARAMETERS_DOC,
    pretrain_layerwise,
)


class Autoencoder(_BaseAutoencoder):
    __doc__ = (
        """Multi-layer perceptron autoencoder as a scikit-learn transformer.

    An encoder maps each sample through ``hidden_layer_sizes`` to
    ``n_components`` codes and a mirrored decoder maps the codes back; both
    are trained together to reconstruct the input. ``transform`` returns the
    codes, ``inverse_transform`` decodes codes, and ``score_samples`` rates
    how well each sample is reconstructed, so the estimator can stand where
    :class:`~sklearn.decomposition.PCA` stands: in a ``Pipeline``, a
    ``ColumnTransformer`` or a ``GridSearchCV``.

    With a linear output (``loss="mse"``) the data are centred and divided by
    one global scale inside the estimator, so unscaled data (values around
    100, say) train stably with the defaults and outputs come back in the
    original units. Training runs in float32 on ``device`` through a
    :class:`skorch.NeuralNet`, kept as ``net_``.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent units (the width of the codes). It may exceed
        ``n_features`` (an over-complete code).
"""
        + _NETWORK_PARAMETERS_DOC
        + """
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.

    output_activation : {"identity", "logistic", "tanh", "relu"} or None, \
default=None
        Activation of the reconstruction. None picks ``"identity"`` for
        ``loss="mse"`` and ``"logistic"`` for ``loss="bce"``.

    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss: mean squared error, or binary cross-entropy for
        data in [0, 1] (binary pixels, user x item matrices).

    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class, \
default="adam"
        Optimizer used for training.

    learning_rate_init : float, default=1e-3
        Learning rate.

    alpha : float, default=1e-4
        L2 penalty on the network's parameters, on ``MLPRegressor``'s
        scale: ``alpha * ||W||^2 / (2 * batch_size)`` added to the loss
        summed over features (the optimizer's weight decay is ``alpha``
        divided by the batch size and by the loss's units per row; see
        :ref:`regularisation`).

    batch_size : int or "auto", default="auto"
        Rows per training batch; ``"auto"`` means ``min(200, max(32,
        n_samples // 10))``, at least 10 steps an epoch once there are 320
        rows (``MLPRegressor``'s ``min(200, n_samples)`` trains 500 rows in
        3 steps an epoch). Values above the number of training rows are
        clipped.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows and stop when
        their loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the weights of the best epoch are kept. When False, training
        stops once the training loss stalls in the same way.

    validation_fraction : float, default=0.1
        Share of rows held out (at random, seeded) when ``early_stopping``.

    n_iter_no_change : int, default=10
        Epochs without an improvement of at least ``tol`` before stopping.

    tol : float, default=1e-4
        Smallest loss improvement that counts as progress.

    warm_start : bool, default=False
        When True and the estimator is fitted, ``fit`` continues training
        the fitted model (weights, optimizer state, scaling, early stopping
        state) for ``max_iter`` more epochs instead of starting afresh;
        ``n_iter_`` and ``loss_curve_`` continue. Only ``max_iter`` and the
        memory settings (``inference_batch_size``, ``device_memory_budget``)
        may change in between. See :term:`warm_start`.

    trim_fraction : float, default=0.0
        Robust training: the share, in [0, 0.5), of each training batch's
        rows with the highest loss that are left out of the step (a trimmed
        loss), so that anomalies mixed into the training data are not
        learned. 0 trains on every row. :class:`AutoencoderOutlierDetector`
        sets it from its ``contamination``.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the order of the rows in each epoch,
        the validation split and any training noise. An int gives
        bitwise-identical results on the CPU across runs; torch's global
        random state is left untouched.

    device : {"cpu", "cuda", "auto"} or str, default="cpu"
        Where to train and infer. ``"auto"`` picks CUDA when available. A
        CUDA device on a machine without one raises ``ValueError`` at fit.

""" + _MEMORY_PARAMETERS_DOC + """
    verbose : int, default=0
        If positive, print a table with the loss, validation loss and time
        of each epoch (plain text when the output is not a terminal), and
        name each stage of a staged fit (layer-wise pretraining, a
        meta-estimator's inner fits). ``2`` also prints, every 5 seconds of
        a long epoch, the batches and rows done so far.

    callbacks : list of skorch callbacks or None, default=None
        Extra :mod:`skorch.callbacks` passed to the net, e.g.
        ``GradientNormClipping(1.0)`` (bounds each step, a remedy for a
        diverging loss) or a ``ProgressBar``. skorch's ``EarlyStopping`` may
        end training; any other ``KeyboardInterrupt`` (Ctrl-C) stops ``fit``
        and propagates, leaving the estimator as it was before ``fit``.

    tied_weights : bool, default=False
        If True, each decoder layer reuses the transposed weight matrix of
        its mirror encoder layer (``x_hat = g(W.T @ y + c)``) and learns only
        its bias, halving the decoder's parameters. Defined for
        ``architecture="mlp"`` only; with ``"conv"`` it raises a ValueError.

""" + _PRETRAINING_PARAMETERS_DOC + """
    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module and
        ``net_.history`` the training history.

    hidden_layer_sizes_ : tuple of int
        The encoder's hidden widths used (``hidden_layer_sizes`` resolved;
        the stages' channels for ``architecture="conv"``).

    image_shape_ : tuple of int or None
        The shape of a row as the convolutional architecture reads it,
        ``(channels, height, width)`` or ``(1, length)``; None for
        ``architecture="mlp"``.

    n_iter_ : int
        Number of epochs run.

""" + _PRETRAINING_ATTRIBUTES_DOC + """    loss_curve_ : list of float
        Training loss of each epoch (on the standardised data).

    best_loss_ : float
        Smallest training loss reached.

    objective_curves_ : dict of str to list of float
        Mean of each term of the training objective per epoch (e.g.
        ``"reconstruction"`` and ``"sparsity"``, or ``"kl"``), on the
        scale the net trains on; empty when the objective is the
        reconstruction error alone.

    validation_scores_ : list of float
        Negative validation loss of each epoch. Only with
        ``early_stopping=True``.

    best_validation_score_ : float
        Best of ``validation_scores_``. Only with ``early_stopping=True``.

    mean_ : ndarray of shape (`n_features_in_`,)
        Per-feature mean removed before training (zeros when the output is
        not linear).

    scale_ : float
        Global scale dividing the centred data (1 when the output is not
        linear).

    device_ : torch.device
        Device the model lives on.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.neural_network.MLPRegressor : A multi-layer perceptron regressor.
    DenoisingAutoencoder : Learns to undo corruption of its input.
    SparseAutoencoder : Autoencoder with sparse codes.
    ContractiveAutoencoder : Autoencoder with a locally robust encoder.
    VariationalAutoencoder : Probabilistic autoencoder that can sample.

    References
    ----------
    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of
    data with neural networks", Science 313(5786), 2006.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import Autoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = Autoencoder(n_components=8, max_iter=5, random_state=0)
    >>> codes = ae.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    >>> ae.inverse_transform(codes).shape
    (1797, 64)
    """
    )

    _parameter_constraints: dict = {
        **_BaseAutoencoder._parameter_constraints,
        "output_activation": [StrOptions(set(ACTIVATION_NAMES)), None],
        "loss": [StrOptions({"mse", "bce"})],
        "tied_weights": ["boolean"],
        "pretraining": [StrOptions({"layerwise"}), None],
        "pretraining_max_iter": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes="auto",
        architecture="mlp",
        image_shape=None,
        activation="relu",
        output_activation=None,
        loss="mse",
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
        tied_weights=False,
        pretraining=None,
        pretraining_max_iter=None,
    ):
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            architecture=architecture,
            image_shape=image_shape,
            activation=activation,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            alpha=alpha,
            batch_size=batch_size,
            max_iter=max_iter,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            trim_fraction=trim_fraction,
            random_state=random_state,
            device=device,
            inference_batch_size=inference_batch_size,
            device_memory_budget=device_memory_budget,
            verbose=verbose,
            callbacks=callbacks,
        )
        self.output_activation = output_activation
        self.loss = loss
        self.tied_weights = tied_weights
        self.pretraining = pretraining
        self.pretraining_max_iter = pretraining_max_iter

    # ------------------------------------------------------------------
    # The reconstruction loss and output activation are this class's
    # ------------------------------------------------------------------
    def _output_activation_name(self):
        """The reconstruction's activation: explicit, or chosen by ``loss``."""
        if self.output_activation is not None:
            return self.output_activation
        return "logistic" if self.loss == "bce" else "identity"

    def _normalizes(self):
        # Only an unbounded (identity) reconstruction can be mapped back to
        # any range, so only then is the data standardised for training.
        return self._output_activation_name() == "identity"

    def _unit_interval_requirement(self):
        if self.loss == "bce":
            return f"loss={self.loss!r}", "loss='mse'"
        return None

    def _check_params(self):
        if self.loss == "bce" and self._output_activation_name() != "logistic":
            raise ValueError(
                "loss='bce' reconstructs probabilities and needs "
                "output_activation='logistic' (or None), got "
                f"output_activation={self.output_activation!r}."
            )

    def _make_penalty(self):
        """Return ``penalty(output, x=, module=, epoch=, generator=)`` or None."""
        return None

    def _make_objective(self):
        return ReconstructionObjective(
            self.loss,
            make_activation(self._output_activation_name()),
            penalty=self._make_penalty(),
            trim=self.trim_fraction,
        )

    # ------------------------------------------------------------------
    # Layer-wise pretraining (see _pretraining)
    # ------------------------------------------------------------------
    def _stage_objective(self, *, first, last):
        """The objective of one pretraining stage."""
        return ReconstructionObjective(
            self.loss if first else "mse",
            make_activation(self._output_activation_name() if first else "identity"),
            penalty=self._make_penalty() if last else None,
            trim=self.trim_fraction,
        )

    def _code_corruption(self, codes, device):
        """Corruption of a later pretraining stage's input codes, or None."""
        return None

    def _pretrain(self, train_ds, valid_ds):
        if self.pretraining is None:
            return
        self.pretraining_loss_curves_ = pretrain_layerwise(
            self, train_ds, valid_ds, max_epochs=self.pretraining_max_iter or self.max_iter
        )

    _score_folds = True

    def _score_batch(self, xb, module=None):
        module = module or self._module
        output = module(xb)
        if self.loss == "bce" or self._output_activation_name() in ("logistic", "tanh"):
            # exp/log in float64, so that a row's error does not depend on
            # its position in the batch (see _inference.py); squared errors
            # of a linear output are exact elementwise operations already
            output["logits"], xb = output["logits"].double(), xb.double()
        err = self._make_objective().per_sample(output, xb)
        if getattr(module, "folded", None) == "both":  # rows, reconstruction in data units
            return -err
        return -err * self._scaling.scale**2

    # ------------------------------------------------------------------
    # The module
    # ------------------------------------------------------------------
    def _code_activation(self):
        """Activation of the code layer; linear codes, as in PCA."""
        return "identity"

    def _topk(self):
        """Number of code units kept per sample, or None for all."""
        return None

    def _check_architecture(self, n_features):
        if self.architecture == "conv" and self.tied_weights:
            raise ValueError(
                "tied_weights=True is defined for architecture='mlp' only (a "
                "decoder layer reusing its mirror's transposed weight matrix); "
                "a convolutional decoder up-samples and has no such mirror. Use "
                "tied_weights=False with architecture='conv'."
            )
        if self.pretraining is not None:
            if self.architecture != "mlp":
                raise ValueError(
                    f"pretraining={self.pretraining!r} trains dense layers one at a "
                    f"time and needs architecture='mlp', got "
                    f"architecture={self.architecture!r}."
                )
            hidden = resolve_hidden_sizes(
                self.hidden_layer_sizes, n_features, self._latent_width(n_features)
            )
            if not hidden:
                raise ValueError(
                    f"pretraining={self.pretraining!r} needs at least one hidden "
                    f"layer, got hidden_layer_sizes={self.hidden_layer_sizes!r}: a "
                    "network of one layer each way has nothing to stack."
                )
        return super()._check_architecture(n_features)

    def _make_module(self, n_features):
        common = dict(
            activation=self.activation,
            code_activation=self._code_activation(),
            output_activation=self._output_activation_name(),
            topk=self._topk(),
        )
        if self.architecture == "conv":
            return ConvAutoencoderModule(
                self.image_shape_, self.hidden_layer_sizes_, self.n_components, **common
            )
        return MLPAutoencoderModule(
            n_features,
            self.hidden_layer_sizes_,
            self.n_components,
            tied_weights=self.tied_weights,
            **common,
        )
