"""Loss functions as pure functions of tensors, testable alone.

Per-sample functions return a tensor of shape ``(n_samples,)``; objectives
combine them into the scalar a training step minimises and a dict of named
terms that the training history records per epoch.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import torch
from torch.nn import functional as F


def reconstruction_error(logits, target, *, loss, output_activation):
    """Per-sample reconstruction error, averaged over features.

    Parameters
    ----------
    logits : Tensor of shape (n_samples, n_features)
        The decoder's pre-activation output.
    target : Tensor of shape (n_samples, n_features)
        What the decoder should reconstruct.
    loss : {"mse", "bce"}
        Squared error, or binary cross-entropy (computed from the logits,
        so it stays finite where the sigmoid saturates).
    output_activation : callable
        Turns logits into the reconstruction for ``"mse"``.

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    if loss == "bce":
        err = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    else:
        err = (output_activation(logits) - target) ** 2
    return err.mean(dim=1)


def l2_weight_decay(alpha, *, batch_size, row_units):
    """The optimizer's weight decay for scikit-learn's L2 penalty ``alpha``.

    ``MLPRegressor`` and ``MLPClassifier`` minimise, per batch of ``B``
    rows, ``sum_i loss_i / B + alpha * ||W||^2 / (2 B)`` where ``loss_i`` is
    the row's loss summed over its outputs (half the squared error, or the
    cross-entropy). Our objectives average over the outputs instead: one of
    their units is ``row_units`` of ``loss_i`` (``n_outputs / 2`` for the
    mean squared error). Dividing the whole objective by ``row_units``
    leaves the minimiser unchanged and turns the penalty's gradient into
    ``alpha / (B * row_units) * W``: the coupled weight decay returned.

    So ``alpha`` means what it means in ``MLPRegressor``: a prior on the
    weights whose pull, relative to the data, does not depend on how many
    features are averaged (with a weight decay of ``alpha`` itself, a
    784-feature image would be held back 392 times harder than by
    ``MLPRegressor`` at the same ``alpha``, and 200 times harder again for
    a batch of 200).
    """
    return float(alpha) / (batch_size * row_units)


def kl_sparsity(code, target, eps=1e-6):
    """KL divergence from a target mean activation, averaged over code units.

    ``sum_j KL(rho || rho_hat_j) / n_components`` where ``rho_hat_j`` is the
    mean activation of unit ``j`` over the batch, for codes in (0, 1).

    Parameters
    ----------
    code : Tensor of shape (n_samples, n_components)
        Sigmoid codes.
    target : float in (0, 1)
        The target mean activation ``rho``.
    eps : float
        ``rho_hat`` is clipped to ``[eps, 1 - eps]`` so the logarithms stay
        finite.

    Returns
    -------
    Scalar tensor
    """
    rho_hat = code.mean(dim=0).clamp(eps, 1 - eps)
    rho = float(target)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.mean()


def l1_activity(code):
    """Mean absolute activation of the codes (an L1 activity penalty)."""
    return code.abs().mean()


def sigmoid_jacobian_sq_norm(code, weight):
    """Per-sample ``||dh/dx||_F^2`` of a one-layer encoder ``h = sigmoid(W x + b)``.

    The Jacobian's row ``j`` is ``h_j (1 - h_j) W_j``, so its squared
    Frobenius norm is ``sum_j (h_j (1 - h_j))^2 ||W_j||^2``.

    Parameters
    ----------
    code : Tensor of shape (n_samples, n_components)
        The sigmoid codes ``h``.
    weight : Tensor of shape (n_components, n_features)
        The encoder's weight ``W``.

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    return ((code * (1 - code)) ** 2) @ (weight**2).sum(dim=1)


def jacobian_sq_norm_estimate(x, encode, generator=None):
    """Per-sample unbiased estimate of ``||d encode(x) / dx||_F^2``.

    With a random sign vector ``u`` (``E[u u^T] = I``) per sample,
    ``E ||J^T u||^2 = trace(J J^T) = ||J||_F^2`` (Hutchinson's estimator).
    One vector-Jacobian product costs about one backward pass through the
    encoder, whatever its depth or code size; the graph is kept so the
    estimate can be minimised. Rows must be encoded independently of each
    other (no batch statistics).

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_features)
    encode : callable
        Maps a batch of inputs to codes of shape (n_samples, n_components).
    generator : torch.Generator or None
        Source of the random signs, on the device of ``x`` (torch's global
        generator when None).

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        code = encode(x)
        signs = torch.randint(
            0, 2, code.shape, generator=generator, dtype=code.dtype, device=code.device
        )
        signs = signs * 2 - 1
        (vjp,) = torch.autograd.grad(code, x, grad_outputs=signs, create_graph=True)
    return (vjp**2).sum(dim=1)


def trimmed_rows(per_sample, fraction):
    """Indices of the rows kept by a trimmed loss: all but the worst ``fraction``.

    The ``floor(fraction * n)`` rows with the highest per-sample loss are
    left out (at least one row is kept), so that a share of anomalies in the
    training data pulls no gradient (a least-trimmed-squares objective).

    Parameters
    ----------
    per_sample : Tensor of shape (n_samples,)
    fraction : float in [0, 1)

    Returns
    -------
    Tensor of int64 indices, or None when nothing is trimmed
    """
    n = per_sample.shape[0]
    n_trim = min(int(fraction * n), n - 1)
    if n_trim <= 0:
        return None
    return torch.topk(per_sample.detach(), n - n_trim, largest=False).indices


def code_penalty(term, weight, name):
    """Wrap ``term(output, x, module, generator) -> scalar`` as an objective's penalty.

    The returned ``penalty(output, x=, module=, epoch=, generator=)`` adds
    ``weight * term`` to the loss and records the unweighted term under
    ``name`` (so the training history shows it even when ``weight`` is 0).
    """

    def penalty(output, *, x=None, module=None, epoch=1, generator=None):
        value = term(output, x, module, generator)
        return weight * value, {name: value}

    return penalty


class ReconstructionObjective:
    """Mean reconstruction error plus optional penalties on the code.

    Parameters
    ----------
    loss : {"mse", "bce"}
    output_activation : callable
    penalty : callable or None
        ``penalty(output, x=..., module=..., epoch=..., generator=...) ->
        (scalar tensor, dict of terms)`` added to the reconstruction term,
        e.g. a sparsity or contractive penalty. ``x`` is the batch the module
        was fed; ``generator`` is the fit's own source of random draws.
    trim : float, default=0.0
        Share of each batch's rows, those reconstructed worst, left out of
        the reconstruction term (see :func:`trimmed_rows`).
    """

    def __init__(self, loss, output_activation, penalty=None, trim=0.0):
        self.loss = loss
        self.output_activation = output_activation
        self.penalty = penalty
        self.trim = trim

    def row_units(self, n_outputs):
        """Units of ``MLPRegressor``'s loss per row in one unit of this one.

        Squared error averaged over the ``n_outputs`` features is
        ``2 / n_outputs`` times scikit-learn's ``sum / 2``; cross-entropy
        averaged over them is ``1 / n_outputs`` times its sum (see
        :func:`l2_weight_decay`).
        """
        return n_outputs / 2.0 if self.loss == "mse" else float(n_outputs)

    def per_sample(self, output, target):
        return reconstruction_error(
            output["logits"],
            target,
            loss=self.loss,
            output_activation=self.output_activation,
        )

    def __call__(self, output, target, *, x=None, module=None, epoch=1, generator=None):
        per_sample = self.per_sample(output, target)
        kept = trimmed_rows(per_sample, self.trim) if self.trim else None
        recon = (per_sample if kept is None else per_sample[kept]).mean()
        if self.penalty is None:
            return recon, {}
        extra, terms = self.penalty(
            output, x=x, module=module, epoch=epoch, generator=generator
        )
        return recon + extra, {"reconstruction": recon, **terms}


_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_kl(mean, logvar):
    """KL divergence from ``N(mean, exp(logvar))`` to ``N(0, 1)``, per unit.

    Parameters
    ----------
    mean, logvar : Tensor of shape (n_samples, n_components)
        Parameters of the diagonal Gaussian posterior ``q(z|x)``.

    Returns
    -------
    Tensor of shape (n_samples, n_components)
        ``0.5 * (mean**2 + exp(logvar) - 1 - logvar)``, in nats; sum over
        the last axis for the KL of each sample.
    """
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


def log_likelihood(logits, target, *, likelihood, log_noise=None):
    """Per-sample ``log p(x|z)``, summed over features (in nats).

    Parameters
    ----------
    logits : Tensor of shape (n_samples, n_features)
        The decoder's output: the mean of a Gaussian, or the logits of a
        Bernoulli.
    target : Tensor of shape (n_samples, n_features)
        The observed ``x``.
    likelihood : {"gaussian", "bernoulli"}
        The observation model ``p(x|z)``.
    log_noise : Tensor or None
        Log-variance of the Gaussian observation noise (one shared value);
        required for ``"gaussian"``, ignored for ``"bernoulli"``.

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    if likelihood == "bernoulli":
        ll = -F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    else:
        sq = (target - logits).pow(2)
        ll = -0.5 * (_LOG_2PI + log_noise + sq * torch.exp(-log_noise))
    return ll.sum(dim=1)


def kl_weight(epoch, *, beta, warmup):
    """Weight of the KL term at 1-based ``epoch`` with a linear warm-up.

    The weight rises linearly from ``beta / warmup`` at the first epoch to
    ``beta`` at epoch ``warmup`` and stays there; ``warmup=0`` means no
    warm-up.
    """
    if warmup <= 0:
        return float(beta)
    return float(beta) * min(1.0, max(int(epoch), 1) / warmup)


def free_bits_kl(kl_units, free_bits):
    """Batch KL with each unit's batch-mean KL floored at ``free_bits`` nats.

    The free-bits objective of Kingma et al. (2016): units whose average KL
    is below the floor get no gradient pushing them further towards the
    prior, so they are not switched off early in training.

    Parameters
    ----------
    kl_units : Tensor of shape (n_samples, n_components)
        Per-sample, per-unit KL, as returned by :func:`gaussian_kl`.
    free_bits : float
        Floor in nats per unit; 0 returns the plain mean KL per sample.

    Returns
    -------
    Tensor (scalar)
        The sum over units of the floored batch-mean KL.
    """
    per_unit = kl_units.mean(dim=0)
    if free_bits > 0:
        per_unit = torch.clamp(per_unit, min=float(free_bits))
    return per_unit.sum()


class VariationalObjective:
    """The negative (beta-weighted) ELBO of a Gaussian-latent autoencoder.

    Per batch, the loss is ``reconstruction + w * kl`` averaged over
    samples, where ``reconstruction = -log p(x|z)`` for one reparameterised
    draw ``z`` (the posterior mean in evaluation mode), ``kl`` is the
    analytic ``KL(q(z|x) || N(0, I))`` (with free bits if set) and ``w`` is
    ``beta`` after the warm-up (:func:`kl_weight`). The terms recorded per
    epoch are the plain reconstruction and KL, per sample, in nats.

    Parameters
    ----------
    likelihood : {"gaussian", "bernoulli"}
    beta : float
    warmup : int
        Epochs of linear KL warm-up (0 for none).
    free_bits : float
        Nats per latent unit below which the KL is not penalised.
    trim : float
        Share of each batch's rows, those with the lowest ELBO, left out of
        the objective (see :func:`trimmed_rows`).
    """

    def __init__(self, likelihood, *, beta=1.0, warmup=0, free_bits=0.0, trim=0.0):
        self.likelihood = likelihood
        self.beta = beta
        self.warmup = warmup
        self.free_bits = free_bits
        self.trim = trim

    def row_units(self, n_outputs):
        """The ELBO is summed over features already (see :func:`l2_weight_decay`)."""
        return 1.0

    def reconstruction(self, logits, target, module):
        """Per-sample ``-log p(x|z)`` in nats."""
        return -log_likelihood(
            logits,
            target,
            likelihood=self.likelihood,
            log_noise=getattr(module, "log_noise_var", None),
        )

    def __call__(self, output, target, *, x=None, module=None, epoch=1, generator=None):
        recon = self.reconstruction(output["logits"], target, module)
        kl_units = gaussian_kl(output["mean"], output["logvar"])
        kept = trimmed_rows(recon + kl_units.sum(dim=1), self.trim) if self.trim else None
        if kept is not None:
            recon, kl_units = recon[kept], kl_units[kept]
        recon = recon.mean()
        penalised = free_bits_kl(kl_units, self.free_bits)
        weight = kl_weight(epoch, beta=self.beta, warmup=self.warmup)
        loss = recon + weight * penalised
        return loss, {"reconstruction": recon, "kl": kl_units.sum(dim=1).mean()}
