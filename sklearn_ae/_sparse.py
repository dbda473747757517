"""SparseAutoencoder: an autoencoder whose codes are mostly inactive."""

# SPDX-License-Identifier: BSD-3-Clause

from functools import partial
from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._autoencoder import Autoencoder
from ._docstrings import _MEMORY_PARAMETERS_DOC, _NETWORK_PARAMETERS_DOC
from ._losses import code_penalty, kl_sparsity, l1_activity
from ._pretraining import _PRETRAINING_ATTRIBUTES_DOC, _PRETRAINING_PARAMETERS_DOC

_CODE_ACTIVATIONS = {"kl": "logistic", "l1": "relu", "topk": "identity"}

#: Epochs over which top-k training anneals k from a dense code to its
#: target. A fixed count, not a share of ``max_iter``, so that training in
#: several calls (warm starts, partial_fit) follows the same schedule.
#: Measured on digits, breast cancer and a synthetic manifold, 10, 20 or 50
#: epochs reconstruct alike; all keep nearly every unit alive.
TOPK_ANNEAL_EPOCHS = 20


class SparseAutoencoder(Autoencoder):
    __doc__ = (
        """Autoencoder whose codes are sparse: few units active per sample.

    Sparsity lets the code be wide, even over-complete (``n_components``
    larger than the number of features), and still informative: each sample
    is described by a few active units, like a dictionary of parts. Three
    ways are offered: a KL penalty pulling each unit's mean sigmoid
    activation towards ``sparsity_target``, an L1 penalty on ReLU codes, or
    k-sparse codes that keep only the largest activations of each sample.

    The penalty's value per epoch is recorded as ``"sparsity"`` in
    ``net_.history``, next to ``"reconstruction"``.

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

    sparsity : {"topk", "l1", "kl"}, default="topk"
        How the codes are made sparse:

        - ``"topk"``: linear codes of which only the ``k`` largest of each
          sample are kept and the rest set to exactly zero, in training and
          in :meth:`transform` alike (a k-sparse autoencoder; no penalty).
          Training anneals ``k`` linearly from ``n_components`` (a dense
          code) down to ``k`` over the first 20 epochs, so
          that every unit learns before the competition starts; without it
          most units of a wide code never win and stay dead. Early stopping
          judges only the epochs after the annealing.
        - ``"l1"``: ReLU codes (exact zeros), with a penalty on their mean
          absolute value.
        - ``"kl"``: sigmoid codes in (0, 1), with a penalty on the KL
          divergence between ``sparsity_target`` and each unit's mean
          activation over a batch (averaged over the units). Codes are small
          but not exactly zero.

        The default keeps, per sample, a quarter of the units: codes that
        are 75% exactly zero. Measured with 64 units on digits, a synthetic
        curved manifold and breast cancer, the annealed top-k code
        reconstructed better than PCA with as many components as it keeps
        active on the first two (digits: MSE 0.0103 against PCA(16)'s 0.0128),
        while an L1 penalty left most of the 64 units dead.

    sparsity_target : float, default=0.25
        The share of the code that should be active, in (0, 1). For
        ``"topk"`` the share of units kept per sample, ``k = max(1,
        round(sparsity_target * n_components))``; for ``"kl"`` the target
        mean activation of every unit (0.05 is the classic choice there).
        Ignored for ``"l1"``.

    sparsity_weight : float, default=1.0
        Weight of the sparsity penalty against the reconstruction error
        (which is computed on standardised data when the output is linear).
        Ignored for ``"topk"``.

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

    mean_activation_ : ndarray of shape (n_components,)
        Mean code of each unit over the training data, after training.
        With ``sparsity="kl"`` these are close to ``sparsity_target``.

    zero_fraction_ : float
        Share of the code values of the training data that are exactly zero.

    n_dead_units_ : int
        Number of units whose code is exactly zero for every training row
        (units that never take part in a reconstruction).

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.decomposition.DictionaryLearning : Sparse codes over a learned
        linear dictionary.
    Autoencoder : The same network without a sparsity constraint.
    DenoisingAutoencoder : Learns to undo corruption of its input.
    ContractiveAutoencoder : Autoencoder with a locally robust encoder.

    References
    ----------
    A. Ng, "Sparse autoencoder", CS294A lecture notes, Stanford, 2011.

    A. Makhzani and B. Frey, "k-sparse autoencoders", ICLR 2014.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import SparseAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> sae = SparseAutoencoder(n_components=100, sparsity="topk",
    ...                         sparsity_target=0.1, max_iter=5,
    ...                         random_state=0)
    >>> codes = sae.fit_transform(X)
    >>> codes.shape
    (1797, 100)
    >>> set((codes != 0).sum(axis=1).tolist())  # k = 0.1 * 100 per sample
    {10}
    """
    )

    _parameter_constraints: dict = {
        **Autoencoder._parameter_constraints,
        "sparsity": [StrOptions(set(_CODE_ACTIVATIONS))],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
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
        sparsity="topk",
        sparsity_target=0.25,
        sparsity_weight=1.0,
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
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight

    def _code_activation(self):
        return _CODE_ACTIVATIONS[self.sparsity]

    def _topk(self):
        if self.sparsity != "topk":
            return None
        return max(1, round(self.sparsity_target * self.n_components))

    def _anneal_epochs(self):
        """Epochs over which top-k training anneals k from dense to ``_topk()``."""
        return TOPK_ANNEAL_EPOCHS if self.sparsity == "topk" else 0

    def _stopping_warmup(self):
        # The loss rises while k shrinks: judge only the epochs after.
        return self._anneal_epochs()

    def _training_schedule(self):
        n_epochs, k, width = self._anneal_epochs(), self._topk(), self.n_components
        if not n_epochs or k >= width:
            return None

        def anneal(module, epoch):
            remaining = max(0.0, 1.0 - epoch / n_epochs)
            module.train_topk = k + round((width - k) * remaining)

        return anneal

    def _make_penalty(self):
        if self.sparsity == "topk":
            return None
        target = self.sparsity_target
        measure = l1_activity if self.sparsity == "l1" else partial(kl_sparsity, target=target)

        def term(output, x, module, generator):
            return measure(output["code"])

        return code_penalty(term, self.sparsity_weight, "sparsity")

    def _after_fit(self, X):
        codes = self._encode(X)
        self.mean_activation_ = codes.mean(axis=0, dtype=float)
        zero = codes == 0
        self.zero_fraction_ = float(zero.mean())
        self.n_dead_units_ = int(zero.all(axis=0).sum())
