"""An autograd-free training step for plain fully connected autoencoders.

On small data a training step is dominated by per-operator overhead, not
arithmetic: autograd records a graph, allocates a gradient for every
intermediate and walks the graph back. For the plain objectives of a chain
of linear layers (a mean reconstruction error, squared or binary
cross-entropy, optionally trimmed) the gradient is short enough to write by
hand: one ``addmm`` per layer forward, two matrix products and an in-place
activation derivative per layer backward, gradients written straight into
each parameter's ``.grad``. The maths is that of autograd on the same
module (:func:`sklearn_ae._losses.reconstruction_error`); the results agree
to float32 rounding (``tests/test_fast.py`` states the tolerance).

:func:`plain_step` decides, from the module and the objective alone, whether
the step applies and returns ``None`` otherwise, so that the general
(autograd) path stays in charge of everything else: code penalties, top-k
codes, variational and convolutional modules. Tied decoder layers take it
(their gradient is added to their mirror's). Corrupted
inputs (the denoising autoencoder) take the fast step: the corruption is
applied to the batch before the step, which then only sees an input and a
target.
"""

# SPDX-License-Identifier: BSD-3-Clause

import torch
from torch import nn
from torch.nn import functional as F

from ._losses import ReconstructionObjective, trimmed_rows
from ._modules import IN_PLACE_ACTIVATIONS, LayerStage, MLPAutoencoderModule, _TiedLinear

#: Activation modules the step knows, by the name of their derivative rule.
_RULES = {nn.Identity: "identity", nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "logistic"}

_IN_PLACE = {
    rule: IN_PLACE_ACTIVATIONS.get(kind) for kind, rule in _RULES.items()
}


def _rule(activation):
    return _RULES.get(type(activation))


def _linear_chain(module):
    """``[(linear layer, activation rule), ...]`` from input to logits, or None.

    The last entry's rule is None: its output is the decoder's logits.
    """
    if type(module) is MLPAutoencoderModule:
        encoder, decoder = list(module.encoder_layers), list(module.decoder_layers)
    elif type(module) is LayerStage:
        encoder, decoder = list(module.encoder_layers), list(module.decoder_layers)
    else:
        return None
    if module.topk is not None or not all(
        type(layer) in (nn.Linear, _TiedLinear) for layer in encoder + decoder
    ):
        return None
    hidden = _rule(getattr(module, "hidden_activation", nn.Identity()))
    code = _rule(module.code_activation)
    rules = [hidden] * (len(encoder) - 1) + [code] + [hidden] * (len(decoder) - 1) + [None]
    if any(r is None for r in rules[:-1]):
        return None
    return list(zip(encoder + decoder, rules))


def plain_step(module, objective):
    """A :class:`PlainStep` for ``module`` trained on ``objective``, or None.

    It applies to an :class:`MLPAutoencoderModule` (or a pretraining
    :class:`LayerStage`), tied or not, without top-k codes, with ReLU,
    tanh, logistic or identity activations, trained on a
    :class:`ReconstructionObjective` without a penalty.
    """
    if type(objective) is not ReconstructionObjective or objective.penalty is not None:
        return None
    output = _rule(objective.output_activation)
    if objective.loss == "mse" and output is None:
        return None
    chain = _linear_chain(module)
    if chain is None:
        return None
    return PlainStep(module, chain, objective.loss, output, objective.trim)


class PlainStep:
    """Forward, loss and hand-written backward of a linear chain.

    ``step(x, target)`` sets every parameter's ``.grad`` to the gradient of
    the objective's loss on the batch and returns ``(loss, output)`` like a
    module's forward and the objective would (``output`` holds ``"code"``
    and ``"logits"``).
    """

    def __init__(self, module, chain, loss, output_rule, trim):
        self.module = module
        # Per layer: its weight, bias, the matrices its forward and backward
        # multiply by, whether the weight already got a gradient from a
        # later layer (a tied decoder layer shares its mirror's weight),
        # and its activation. Resolved once: optimizers and load_state_dict
        # update parameters in place.
        self.layers = []
        seen = set()
        for layer, rule in reversed(chain):
            tied = type(layer) is _TiedLinear
            weight = layer._source[0].weight if tied else layer.weight
            forward, backward = (weight, weight.t()) if tied else (weight.t(), weight)
            accumulate = id(weight) in seen
            seen.add(id(weight))
            activate = _IN_PLACE.get(rule)
            self.layers.append(
                (weight, layer.bias, forward, backward, tied, accumulate, activate, rule)
            )
        self.layers.reverse()
        self.loss = loss
        self.output_rule = output_rule
        self.trim = trim
        self.code_index = len(module.encoder_layers) - 1
        # the encoder's fixed input map, if any (``_modules.set_input_map``)
        self.map_input = module._map_input

    def __call__(self, x, target):
        with torch.no_grad():
            return self._step(x, target)

    def _step(self, x, target):
        inputs = []  # the input of each layer, post-activation
        h = self.map_input(x)
        for _, bias, forward, _, _, _, activate, _ in self.layers:
            inputs.append(h)
            h = torch.addmm(bias, h, forward)
            if activate is not None:
                h = activate(h)
        logits = h
        n, d = logits.shape
        # dL/dlogits, and the per-sample errors (for trimming) / the loss.
        if self.loss == "bce":
            err = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
            grad = torch.sigmoid(logits).sub_(target)
        else:
            out = logits if self.output_rule == "identity" else self._activate(logits)
            grad = out - target
            err = grad * grad
            grad.mul_(2.0)
            _times_derivative(grad, out, self.output_rule)
        if self.trim:
            per_sample = err.mean(dim=1)
            kept = trimmed_rows(per_sample, self.trim)
            if kept is not None:
                mask = torch.zeros(n, 1, dtype=grad.dtype, device=grad.device)
                mask[kept] = 1.0
                grad.mul_(mask)
                loss = per_sample[kept].mean()
                n = kept.shape[0]
            else:
                loss = per_sample.mean()
        else:
            loss = err.mean()
        grad.div_(n * d)
        layers = self.layers
        for i in range(len(layers) - 1, -1, -1):
            weight, bias, _, backward, tied, accumulate = layers[i][:6]
            h = inputs[i]
            weight_grad = torch.mm(h.t(), grad) if tied else torch.mm(grad.t(), h)
            if accumulate:
                weight.grad.add_(weight_grad)
            else:
                weight.grad = weight_grad
            bias.grad = grad.sum(dim=0)
            if i:
                grad = torch.mm(grad, backward)
                _times_derivative(grad, h, layers[i - 1][7])
        return loss, {"code": inputs[self.code_index + 1], "logits": logits}

    def _activate(self, logits):
        return _IN_PLACE[self.output_rule](logits.clone())


def _times_derivative(grad, h, rule):
    """``grad *= act'(a)``, written with the activation's output ``h = act(a)``."""
    if rule == "relu":
        grad.mul_(h > 0)
    elif rule == "tanh":
        grad.mul_(1.0 - h * h)
    elif rule == "logistic":
        grad.mul_(h * (1.0 - h))
