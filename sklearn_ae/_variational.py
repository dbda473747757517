"""VariationalAutoencoder: a generative autoencoder with a Gaussian latent space."""

# SPDX-License-Identifier: BSD-3-Clause

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoencoder
from ._density import density_rows
from ._docstrings import _MEMORY_PARAMETERS_DOC, _NETWORK_PARAMETERS_DOC
from ._losses import VariationalObjective, gaussian_kl
from ._modules import ConvGaussianLatentModule, GaussianLatentModule

#: A latent unit is active when the variance, across the training data, of
#: its posterior mean exceeds this (Burda et al., 2016).
ACTIVITY_THRESHOLD = 0.01

#: Most latent units trained by ``n_components="auto"`` (fewer when the data
#: have fewer features).
AUTO_MAX_COMPONENTS = 32

#: Draws of z per sample (antithetic pairs, fixed seed) estimating the
#: expected log-likelihood in ``score_samples``.
N_SCORE_DRAWS = 16


class VariationalAutoencoder(_BaseAutoencoder):
    __doc__ = (
        """Variational autoencoder (VAE) as a scikit-learn transformer and sampler.

    The encoder maps each sample to a diagonal Gaussian posterior
    ``q(z|x) = N(mu(x), diag(sigma(x)**2))`` over ``n_components`` latent
    units and the decoder maps a latent point to the mean of ``p(x|z)``.
    Training maximises the evidence lower bound (ELBO)
    ``E_q[log p(x|z)] - beta * KL(q(z|x) || N(0, I))`` with one
    reparameterised draw of ``z`` per sample and step. The KL term pulls the
    codes of all samples into one standard normal cloud, so that, unlike a
    plain autoencoder's, every region of the latent space decodes to
    something plausible and :meth:`sample` can generate new data.

    ``transform`` returns the posterior mean ``mu(x)`` (deterministic),
    ``inverse_transform`` decodes latent points to the mean of ``p(x|z)``,
    ``sample`` decodes draws from the prior and ``score_samples`` returns
    each sample's ELBO, a lower bound on ``log p(x)``.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of latent units. ``"auto"`` chooses it from the data, as
        PCA's ``n_components="mle"`` does: the model is trained with
        ``min(n_features, 32)`` units and keeps the active ones (see
        ``n_active_components_``); the KL term switches off the units the
        data do not need, so on a rank-``r`` signal ``r`` units stay active.
        Codes, :meth:`inverse_transform`, feature names and :meth:`sample`
        then have ``n_components_`` columns; the units dropped are decoded
        at their prior mean, 0. If no unit is active the most active one is
        kept (with a ``ConvergenceWarning``). The units kept are chosen when
        training first ends (``fit``, or the first ``partial_fit`` call) and
        kept by later warm starts and ``partial_fit`` calls.

    beta : float, default=1.0
        Weight of the KL term in the training objective. ``beta=1`` is the
        ELBO; larger values give smoother, more disentangled but blurrier
        models (beta-VAE) and, when too large, a collapsed posterior (no
        active unit, see ``n_active_components_``). It does not enter
        :meth:`score_samples`, which always reports the plain ELBO.

    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model ``p(x|z)``. ``"gaussian"``: a linear decoder mean
        with one learned noise variance shared by all features (see Notes);
        the data are standardised inside the estimator. ``"bernoulli"``: a
        sigmoid decoder giving per-feature probabilities; X must lie in
        [0, 1] (binary data, or grey levels as is usual for images).

    kl_warmup : int, default=0
        Number of epochs over which the KL weight rises linearly from
        ``beta / kl_warmup`` to ``beta`` (KL annealing), which lets the
        decoder learn to use the codes before the KL term pulls them to the
        prior. 0 disables the warm-up. Early stopping only judges epochs
        after the warm-up. Epochs are passes counted over the whole life of
        the model: a warm start continues the count, and each
        :meth:`partial_fit` call is one pass over the rows it is given, so
        with data streamed in ``C`` chunks a warm-up of ``P`` passes over
        all the data is ``kl_warmup=P * C``.

    free_bits : float, default=0.0
        Nats per latent unit below which the (batch-averaged) KL of that
        unit is not penalised (Kingma et al., 2016); a small value such as
        0.1 to 0.5 keeps units from being switched off. The KL recorded in
        ``kl_curve_`` and the ELBO of :meth:`score_samples` are unaffected.
"""
        + _NETWORK_PARAMETERS_DOC
        + """
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.

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
        Smallest loss improvement (in nats per sample) that counts as
        progress.

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
        Seeds weight initialisation, the order of the rows, the validation
        split and the reparameterisation noise of training. An int gives
        bitwise-identical models on the CPU; torch's global random state is
        left untouched. (:meth:`sample` takes its own ``random_state``.)

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

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module and
        ``net_.history`` records ``reconstruction`` and ``kl`` per epoch.

    hidden_layer_sizes_ : tuple of int
        The encoder's hidden widths used (``hidden_layer_sizes`` resolved;
        the stages' channels for ``architecture="conv"``).

    image_shape_ : tuple of int or None
        The shape of a row as the convolutional architecture reads it,
        ``(channels, height, width)`` or ``(1, length)``; None for
        ``architecture="mlp"``.

    n_iter_ : int
        Number of epochs run.

    loss_curve_ : list of float
        Training objective of each epoch (negative beta-weighted ELBO per
        sample, with warm-up and free bits, on the scale the net trains on).

    best_loss_ : float
        Smallest training loss reached.

    objective_curves_ : dict of str to list of float
        Mean of each term of the training objective per epoch (e.g.
        ``"reconstruction"`` and ``"sparsity"``, or ``"kl"``), on the
        scale the net trains on; empty when the objective is the
        reconstruction error alone.

    reconstruction_curve_ : list of float
        Mean ``-log p(x|z)`` per sample of each epoch, in nats and in the
        data's units, for one draw of ``z`` per sample. With ``beta=1``,
        ``-(reconstruction_curve_[-1] + kl_curve_[-1])`` estimates the mean
        training ELBO, comparable with ``score(X_train)``.

    kl_curve_ : list of float
        Mean ``KL(q(z|x) || N(0, I))`` per sample of each epoch, in nats.

    n_components_ : int
        Width of the codes: ``n_components``, or the number of units kept by
        ``n_components="auto"``.

    active_components_ : ndarray of int
        Indices of the latent units kept in the codes (all of them unless
        ``n_components="auto"``), in the order of the code's columns.

    component_activity_ : ndarray of shape (n_units,)
        Variance, across the training data, of each unit's posterior mean.

    n_active_components_ : int
        Number of active latent units: those whose ``component_activity_``
        exceeds 0.01 (Burda et al., 2016). 0 means the posterior collapsed
        (a ``ConvergenceWarning`` is raised at fit).

    noise_variance_ : float or None
        Learned variance of the Gaussian observation noise, in the data's
        squared units; None for ``likelihood="bernoulli"``.

    validation_scores_ : list of float
        Negative validation loss of each epoch. Only with
        ``early_stopping=True``.

    best_validation_score_ : float
        Best of ``validation_scores_``. Only with ``early_stopping=True``.

    mean_ : ndarray of shape (`n_features_in_`,)
        Per-feature mean removed before training (zeros for
        ``likelihood="bernoulli"``).

    scale_ : float
        Global scale dividing the centred data (1 for
        ``likelihood="bernoulli"``).

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
    sklearn.mixture.GaussianMixture : Density model that can also sample.
    sklearn.neighbors.KernelDensity : Non-parametric density that can sample.
    Autoencoder : Deterministic autoencoder.
    DenoisingAutoencoder : Learns to undo corruption of its input.
    SparseAutoencoder : Autoencoder with sparse codes.

    Notes
    -----
    With ``likelihood="gaussian"`` the observation variance is learned
    (one value shared by all features) rather than fixed. Any variance
    gives a valid ELBO, but a fixed one sets an arbitrary balance between
    the reconstruction and KL terms (a too large one collapses the
    posterior, a too small one ignores the prior); learning it calibrates
    the decoder, tightens the bound and makes ``beta`` mean the same thing
    whatever the data's scale (Rybkin et al., 2021). Its log-variance is
    clamped to a bounded range so the likelihood stays bounded on data the
    decoder reproduces exactly.

    The ELBO of :meth:`score_samples` is a log-density bound in the data's
    units: the standardisation ``(x - mean_) / scale_`` applied inside the
    estimator is accounted for by its Jacobian, ``-n_features_in_ *
    log(scale_)``. For ``likelihood="bernoulli"`` with non-binary X it is
    the usual cross-entropy objective rather than a normalised density, but
    it still ranks samples.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR
    2014.

    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016.

    D. P. Kingma et al., "Improved Variational Inference with Inverse
    Autoregressive Flow", NeurIPS 2016 (free bits).

    O. Rybkin, K. Daniilidis and S. Levine, "Simple and Effective VAE
    Training with Calibrated Decoders", ICML 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoder(n_components=4, likelihood="bernoulli",
    ...                              max_iter=5, random_state=0)
    >>> codes = vae.fit_transform(X / 16)
    >>> codes.shape
    (1797, 4)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    >>> vae.score_samples(X[:2] / 16).shape
    (2,)
    """
    )

    _parameter_constraints: dict = {
        **_BaseAutoencoder._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "likelihood": [StrOptions({"gaussian", "bernoulli"})],
        "kl_warmup": [Interval(Integral, 0, None, closed="left")],
        "free_bits": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        beta=1.0,
        likelihood="gaussian",
        kl_warmup=0,
        free_bits=0.0,
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
        self.beta = beta
        self.likelihood = likelihood
        self.kl_warmup = kl_warmup
        self.free_bits = free_bits

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _output_activation_name(self):
        """The mean of p(x|z): linear for a Gaussian, sigmoid for a Bernoulli."""
        return "logistic" if self.likelihood == "bernoulli" else "identity"

    def _normalizes(self):
        return self.likelihood == "gaussian"

    def _unit_interval_requirement(self):
        if self.likelihood == "bernoulli":
            return "likelihood='bernoulli'", "likelihood='gaussian'"
        return None

    def _make_module(self, n_features):
        if self.architecture == "conv":
            module, shape = ConvGaussianLatentModule, self.image_shape_
        else:
            module, shape = GaussianLatentModule, n_features
        return module(
            shape,
            self.hidden_layer_sizes_,
            self._latent_width(n_features),
            activation=self.activation,
            output_activation=self._output_activation_name(),
            observation_noise=self.likelihood == "gaussian",
        )

    def _make_objective(self):
        return VariationalObjective(
            self.likelihood,
            beta=self.beta,
            warmup=self.kl_warmup,
            free_bits=self.free_bits,
            trim=self.trim_fraction,
        )

    def _latent_width(self, n_features):
        if self.n_components == "auto":
            return min(n_features, AUTO_MAX_COMPONENTS)
        return self.n_components

    _score_kind = "likelihood"

    def _code_width(self):
        return self.n_components_

    def _training_statistics(self, chunks):
        # the kept units are chosen when training first ends
        return {**super()._training_statistics(chunks), "_kept_units": None}

    def _encode_batch(self, xb, module=None):
        z = (module or self._module).encode(xb)
        if len(self._kept_units) == z.shape[1]:
            return z
        return z[:, torch.as_tensor(self._kept_units, device=z.device)]

    def _decode_batch(self, zb, module=None):
        width = self._module.mean_head.out_features
        if len(self._kept_units) != width:
            full = zb.new_zeros((zb.shape[0], width))
            full[:, torch.as_tensor(self._kept_units, device=zb.device)] = zb
            zb = full
        return (module or self._module).decode(zb)

    def _stopping_warmup(self):
        # While the KL weight still rises the loss grows with it: early
        # stopping judges only the epochs after the warm-up.
        return self.kl_warmup

    def _after_fit(self, X):
        width = self._module.mean_head.out_features
        means = self._infer(
            lambda xb, module: module.encode(xb), X, out_width=width, method="transform"
        )
        activity = means.astype(np.float64).var(axis=0)
        active = np.flatnonzero(activity > ACTIVITY_THRESHOLD)
        if len(active) == 0 and X.shape[0] > 1:
            warnings.warn(
                f"{type(self).__name__}: the posterior collapsed: no latent "
                f"component is active (the variance across samples of every "
                f"posterior mean is at most {ACTIVITY_THRESHOLD}, largest "
                f"{activity.max():.3g}), so the codes carry no information about "
                f"X. Lower beta (it is {self.beta}), or use kl_warmup or "
                "free_bits."
                + (" The most active unit is kept." if self.n_components == "auto" else ""),
                ConvergenceWarning,
            )
        if self._kept_units is None:
            if self.n_components != "auto":
                self._kept_units = np.arange(width)
            else:
                self._kept_units = active if len(active) else np.array([np.argmax(activity)])
        self.kl_curve_ = list(self.objective_curves_["kl"])
        self.component_activity_ = activity
        self.n_active_components_ = int(len(active))
        self.active_components_ = np.asarray(self._kept_units)
        self.n_components_ = int(len(self._kept_units))

    # Attributes in the data's units, derived from the net and ``scale_``
    # (set only once fitting is over).
    def _log_jacobian(self):
        """``log |dx_model / dx|`` summed over features: ``-D * log(scale_)``."""
        return self._scaling.log_jacobian(self.n_features_in_)

    @property
    def reconstruction_curve_(self):
        """Mean ``-log p(x|z)`` per sample of each epoch, in the data's units."""
        check_is_fitted(self)
        offset = -self._log_jacobian()
        return [r + offset for r in self.net_.history[:, "reconstruction"]]

    @property
    def noise_variance_(self):
        """Variance of the Gaussian observation noise in the data's units."""
        check_is_fitted(self)
        log_noise = self._module.log_noise_var
        if log_noise is None:
            return None
        return self._scaling.variance_to_data(math.exp(log_noise.item()))

    # ------------------------------------------------------------------
    # Inference
    # ------------------------------------------------------------------
    def _score_draws(self, device):
        """Fixed antithetic standard-normal draws shared by every sample."""
        generator = torch.Generator().manual_seed(0)
        width = self._module.mean_head.out_features
        half = torch.randn(N_SCORE_DRAWS // 2, width, generator=generator)
        return torch.cat([half, -half]).to(device)

    def _score_batch(self, xb, module=None):
        module = module or self._module
        objective = self._make_objective()
        mean, logvar = module.posterior(xb)
        # Sums over features and draws run in float64, so that a row's score
        # does not depend on the rows batched with it beyond float32 noise.
        target = xb.double()
        expected = 0.0
        # the standard deviation in float64, rounded: a row's draws do not
        # depend on its position in the batch (see _inference.py)
        std = torch.exp(0.5 * logvar.double()).float()
        for eps in self._score_draws(xb.device):
            logits = module.decode_logits(mean + std * eps)
            expected = expected + objective.reconstruction(logits.double(), target, module)
        expected = expected / N_SCORE_DRAWS
        kl = gaussian_kl(mean.double(), logvar.double()).sum(dim=1)
        return self._log_jacobian() - (expected + kl)

    def score_samples(self, X):
        """Per-sample evidence lower bound (ELBO): higher means more typical.

        ``ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I))``, a lower
        bound on ``log p(x)``, in nats and in the data's units (see Notes of
        the class). ``beta``, the warm-up and free bits do not enter it. The
        expectation is estimated with 16 draws of ``z`` per sample, fixed
        once (antithetic pairs from a fixed seed) and shared by all samples,
        so the score is deterministic and each sample's score does not
        depend on the other rows; the KL is exact.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score. For ``likelihood="bernoulli"`` it must lie in
            [0, 1].

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The ELBO of each sample, of the same float dtype as X.
        """
        return super().score_samples(X)

    def sample(self, n_samples=1, random_state=None, method="posterior", noise=False):
        """Generate new samples: decode latent points drawn from a density.

        As :meth:`sklearn.neighbors.KernelDensity.sample`, this returns the
        samples only. By default each row is the mean of ``p(x|z)`` at a
        latent point ``z`` (for images the usual, noise-free picture;
        probabilities for ``likelihood="bernoulli"``); ``noise=True`` draws
        ``x`` itself from ``p(x|z)``, as
        :meth:`sklearn.mixture.GaussianMixture.sample` draws from its
        components.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        random_state : int, RandomState instance or None, default=None
            Seeds the latent draws (through NumPy; torch's random state is
            not touched). An int gives the same samples on every call; None
            uses NumPy's global random state.

        method : {"posterior", "mixture", "prior"}, default="posterior"
            Where ``z`` is drawn from. ``"posterior"``: the aggregate
            posterior ``q(z) = mean_i q(z|x_i)`` of the training rows (of a
            seeded subsample of at most 2,000 of them, kept at fit): a row
            at random, then a draw from its posterior ``N(mean, std^2)``,
            the codes the decoder was trained to decode. ``"mixture"``: a
            Gaussian mixture fitted to the posterior means (see
            :meth:`Autoencoder.sample`); it leaves out the posteriors'
            spread, so its samples are less diverse. ``"prior"``: the
            model's prior ``N(0, I)``, which differs from the aggregate
            posterior wherever the KL term did not pull the codes into one
            standard normal cloud; its draws there decode to blurry blends.
            Measured on digits (``benchmarks/bench_samples.py``, k-NN
            precision / recall against held-out digits, 1.0 / 1.0 a perfect
            match): "posterior" 0.95 / 0.62, "mixture" 0.89 / 0.46,
            "prior" 0.64 / 0.42, after 200 epochs with the defaults.

        noise : bool, default=False
            Add the observation noise of the model's ``p(x|z)``: Gaussian
            noise of variance ``noise_variance_`` for
            ``likelihood="gaussian"``, a 0/1 draw of each feature for
            ``"bernoulli"``. False returns the means, clean pictures that
            cover less of the data's spread: on digits (as above) the
            default model's means score precision / recall 0.95 / 0.62, its
            draws 0.82 / 0.83, where a ``GaussianMixture(10)``'s draws score
            0.62 / 0.80. The latent draws are the same either way (for the
            same ``random_state``), the noise is drawn after them.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            The generated samples, in float64.
        """
        n_samples = self._check_sample_args(n_samples)
        if method not in ("posterior", "mixture", "prior"):
            raise ValueError(
                f"method must be 'posterior', 'mixture' or 'prior', got method={method!r}."
            )
        if not isinstance(noise, (bool, np.bool_)):
            raise ValueError(f"noise must be True or False, got noise={noise!r}.")
        rng = check_random_state(random_state)
        if method == "prior":
            Z = rng.standard_normal(size=(n_samples, self.n_components_))
        elif method == "posterior" and hasattr(self, "_density_scales"):
            rows = rng.randint(0, len(self._density_codes), size=n_samples)
            eps = rng.standard_normal(size=(n_samples, self.n_components_))
            Z = self._density_codes[rows] + self._density_scales[rows] * eps
        else:  # "mixture", or a model saved before the posteriors' spread was kept
            Z = self._sample_codes(n_samples, rng)
        X = self.inverse_transform(Z)
        if not noise:
            return X
        variance = self.noise_variance_  # of the fitted model (None: Bernoulli)
        if variance is None:  # X holds each feature's probability of 1
            return (rng.uniform(size=X.shape) < X).astype(X.dtype)
        return X + rng.normal(scale=math.sqrt(variance), size=X.shape)

    def _keep_codes_for_sampling(self, X):
        # The posterior means of a subsample (as every autoencoder keeps its
        # codes) and, for method="posterior", their standard deviations.
        super()._keep_codes_for_sampling(X)
        kept = torch.as_tensor(self._kept_units)

        def posterior_std(xb, module):
            return torch.exp(0.5 * module.posterior(xb)[1][:, kept.to(xb.device)])

        rows = density_rows(X, self._seeds[0])
        self._density_scales = self._infer(
            posterior_std, rows, out_width=len(kept), method="transform"
        ).astype(np.float64)
