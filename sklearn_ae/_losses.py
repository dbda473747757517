"""Loss functions as pure functions of tensors, testable alone.

Per-sample functions return a tensor of shape ``(n_samples,)``; objectives
combine them into the scalar a training step minimises and a dict of named
terms that the training history records per epoch.
"""

# SPDX-License-Identifier: BSD-3-Clause

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


class ReconstructionObjective:
    """Mean reconstruction error plus optional penalties on the code.

    Parameters
    ----------
    loss : {"mse", "bce"}
    output_activation : callable
    penalty : callable or None
        ``penalty(output, x=..., module=..., epoch=...) -> (scalar tensor,
        dict of terms)`` added to the reconstruction term, e.g. a sparsity or
        contractive penalty. ``x`` is the batch the module was fed.
    """

    def __init__(self, loss, output_activation, penalty=None):
        self.loss = loss
        self.output_activation = output_activation
        self.penalty = penalty

    def per_sample(self, output, target):
        return reconstruction_error(
            output["logits"],
            target,
            loss=self.loss,
            output_activation=self.output_activation,
        )

    def __call__(self, output, target, *, x=None, module=None, epoch=1):
        recon = self.per_sample(output, target).mean()
        if self.penalty is None:
            return recon, {}
        extra, terms = self.penalty(output, x=x, module=module, epoch=epoch)
        return recon + extra, {"reconstruction": recon, **terms}
