"""DenoisingAutoencoder: an autoencoder trained to undo corruption."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._autoencoder import Autoencoder
from ._docstrings import _MEMORY_PARAMETERS_DOC, _NETWORK_PARAMETERS_DOC
from ._noise import NOISE_TYPES, make_corruption
from ._pretraining import _PRETRAINING_ATTRIBUTES_DOC, _PRETRAINING_PARAMETERS_DOC


class DenoisingAutoencoder(Autoencoder):
    __doc__ = (
        """Autoencoder trained to reconstruct clean inputs from corrupted ones.

    Each training batch is corrupted afresh (Gaussian, masking or
    salt-and-pepper noise) before it enters the encoder, and the network is
    trained to reconstruct the clean batch. The codes therefore have to
    capture structure that survives the noise, and the fitted model removes
    that kind of noise from new data. Only training sees noise:
    :meth:`transform`, :meth:`inverse_transform` and :meth:`score_samples`
    are deterministic, so denoising a matrix reads
    ``inverse_transform(transform(X_noisy))``.

    The noise is seeded by ``random_state`` and defined in the data's units
    even when the estimator standardises the data internally.

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

    noise : {"gaussian", "masking", "salt_pepper"}, default="gaussian"
        How training inputs are corrupted (the target stays the clean
        input):

        - ``"gaussian"``: add centred Gaussian noise of standard deviation
          ``noise_level``, in the data's own units.
        - ``"masking"``: set each entry to 0 with probability
          ``noise_level``.
        - ``"salt_pepper"``: with probability ``noise_level``, set each
          entry to its feature's minimum or maximum over the training data
          (a fair coin decides which).

    noise_level : float, default=0.1
        Strength of the corruption: a standard deviation for
        ``noise="gaussian"`` (any value >= 0), a probability in [0, 1]
        otherwise. 0 trains a plain autoencoder.

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
    Autoencoder : The same network trained without corruption.
    SparseAutoencoder : Autoencoder with sparse codes.
    ContractiveAutoencoder : Autoencoder with a locally robust encoder.

    References
    ----------
    P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol,
    "Stacked denoising autoencoders: learning useful representations in a
    deep network with a local denoising criterion", JMLR 11, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import DenoisingAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> dae = DenoisingAutoencoder(n_components=16, noise="masking",
    ...                            noise_level=0.3, max_iter=5, random_state=0)
    >>> dae.fit(X)
    DenoisingAutoencoder(max_iter=5, n_components=16, noise='masking',
                         noise_level=0.3, random_state=0)
    >>> rng = np.random.RandomState(0)
    >>> X_noisy = np.where(rng.uniform(size=X.shape) < 0.3, 0.0, X)
    >>> X_denoised = dae.inverse_transform(dae.transform(X_noisy))
    >>> X_denoised.shape
    (1797, 64)
    """
    )

    _parameter_constraints: dict = {
        **Autoencoder._parameter_constraints,
        "noise": [StrOptions(set(NOISE_TYPES))],
        "noise_level": [Interval(Real, 0, None, closed="left")],
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
        noise="gaussian",
        noise_level=0.1,
        pretraining=None,
        pretraining_max_iter=None,
    ):
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            architecture=architecture,
            image_shape=image_shape,
            activation=activation,
            output_activation=output_activation,
            loss=loss,
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
            tied_weights=tied_weights,
            pretraining=pretraining,
            pretraining_max_iter=pretraining_max_iter,
        )
        self.noise = noise
        self.noise_level = noise_level

    def _check_params(self):
        super()._check_params()
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level is the probability that an entry is corrupted for "
                f"noise={self.noise!r} and must be in [0, 1], got "
                f"noise_level={self.noise_level!r}."
            )

    def _training_statistics(self, chunks):
        # Salt-and-pepper values: each feature's range over the training
        # rows (model space), fixed when training starts.
        lows, highs = zip(*((c.min(axis=0), c.max(axis=0)) for c in chunks()))
        noise_range = (np.min(lows, axis=0), np.max(highs, axis=0))
        return {**super()._training_statistics(chunks), "_noise_range": noise_range}

    def _code_corruption(self, codes, device):
        # A later pretraining stage's input: the codes below, corrupted by the
        # same noise. Codes are their own units (a masked code becomes 0);
        # a Gaussian std keeps its ratio to the spread, level / scale_ in
        # model space, times the codes' root-mean-square spread.
        if self.noise_level == 0:
            return None
        spread = max(float(np.sqrt(codes.var(axis=0, dtype=np.float64).mean())), 1e-12)
        return make_corruption(
            self.noise,
            self.noise_level,
            mean=np.zeros(codes.shape[1]),
            scale=float(self.scale_) / spread,
            low=codes.min(axis=0),
            high=codes.max(axis=0),
            device=device,
        )

    def _make_corruption(self, device):
        if self.noise_level == 0:
            return None
        low, high = self._noise_range
        return make_corruption(
            self.noise,
            self.noise_level,
            mean=self.mean_,
            scale=self.scale_,
            low=low,
            high=high,
            device=device,
        )
