"""Greedy layer-wise pretraining of a deep MLP autoencoder.

A stacked autoencoder (Bengio et al. 2007; Vincent et al. 2010 for the
denoising kind) is trained one layer at a time before the whole network is
fine-tuned end to end. Stage ``k`` is a shallow autoencoder made of encoder
layer ``k`` and its mirror decoder layer (:class:`~._modules.LayerStage`):

- its input is the code of layer ``k - 1`` (the data, in model space, for
  the first stage), computed once for every training row through the layers
  below, which are frozen: they are not parameters of the stage, and the
  stage's optimizer sees only its own two layers;
- its target is that same input: the first stage reconstructs the data with
  the estimator's own loss and output activation, the later ones
  reconstruct the codes below with a linear decoder layer and the squared
  error;
- the estimator's training options apply to every stage: its optimizer,
  learning rate, weight decay, batch size, early stopping (with the same
  validation rows) and ``trim_fraction``; a denoising autoencoder corrupts
  each stage's input (the codes with the same noise, at the same level
  relative to their spread), which gives the stacked denoising autoencoder;
  a code penalty (sparsity, contraction) and a top-k code belong to the code
  layer and train with the last stage.

The stages run in the fit's own seeded generators; their loss curves become
``pretraining_loss_curves_``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import torch

from ._callbacks import console_print
from ._data import ArrayDataset
from ._modules import LayerStage, stage_inputs
from ._net import build_net

#: The numpydoc entries of ``pretraining`` and ``pretraining_max_iter``.
_PRETRAINING_PARAMETERS_DOC = """    pretraining : {None, "layerwise"}, default=None
        ``"layerwise"`` trains the network greedily before the usual
        end-to-end training (which then fine-tunes it): each layer in turn,
        as a shallow autoencoder of the codes of the layer below, which stay
        frozen (the first layer reconstructs the data with this estimator's
        loss; the later ones reconstruct the codes below with a linear
        decoder layer and the squared error). Every stage trains with this
        estimator's optimizer, batch size, early stopping and
        ``trim_fraction``; a denoising autoencoder corrupts each stage's
        input (a stacked denoising autoencoder), and a code penalty or a
        top-k code trains with the last stage, the code layer. It helps deep
        or narrow networks start from useful features. Runs when training
        starts: in ``fit`` (not when ``warm_start`` continues) and in the
        first call of ``partial_fit``, on that call's rows. Needs
        ``architecture="mlp"`` and at least one hidden layer.

    pretraining_max_iter : int or None, default=None
        Epoch budget of each pretraining stage (each may stop early as
        ``fit`` does); None means ``max_iter``.
"""

#: The numpydoc entry of ``pretraining_loss_curves_``.
_PRETRAINING_ATTRIBUTES_DOC = """    pretraining_loss_curves_ : list of list of float
        With ``pretraining="layerwise"``: the training loss of each epoch of
        each stage, from the input layer to the code layer.

"""


def _codes_below(module, k, dataset, batch_size):
    """Layer ``k - 1``'s codes of every row of ``dataset``, as float32 on the host."""
    parts = []
    with torch.no_grad():
        for xb in dataset.batches(batch_size):
            parts.append(stage_inputs(module, k, xb).cpu().numpy())
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def pretrain_layerwise(est, train_ds, valid_ds, *, max_epochs):
    """Train ``est.net_.module_`` layer by layer; return each stage's loss curve."""
    module = est.net_.module_
    n_stages = len(module.encoder_layers)
    seeds = np.random.SeedSequence([est._fit_seed(k) for k in range(3)]).generate_state(2 * n_stages)
    batch_size = est.net_.batch_size
    curves = []
    was_training = module.training
    for k in range(n_stages):
        first, last = k == 0, k == n_stages - 1
        if first:
            stage_train, stage_valid = train_ds, valid_ds
            corruption = est._make_corruption(est.device_)
        else:
            module.eval()
            inputs = _codes_below(module, k, train_ds, batch_size)
            resident = inputs.nbytes <= est._setting("device_memory_budget")
            stage_train = ArrayDataset(inputs, est.device_, resident=resident)
            stage_valid = None
            if valid_ds is not None:
                valid = _codes_below(module, k, valid_ds, batch_size)
                stage_valid = ArrayDataset(valid, est.device_, resident=resident)
            corruption = est._code_corruption(inputs, est.device_)
        stage = LayerStage(module, k)
        objective = est._stage_objective(first=first, last=last)
        n_outputs = module.encoder_layers[k].in_features
        net = build_net(
            stage,
            max_epochs=max_epochs,
            validation=stage_valid is not None,
            schedule=est._training_schedule() if last else None,
            corruption=corruption,
            shuffle_seed=int(seeds[2 * k]),
            noise_seed=int(seeds[2 * k + 1]),
            **est._training_options(objective, batch_size, n_outputs),
        ).initialize()
        module.train()
        if est.verbose:
            layer = module.encoder_layers[k]
            console_print(f"{type(est).__name__}: layer-wise pretraining, stage {k + 1} of "
                  f"{n_stages} ({layer.in_features} -> {layer.out_features})")
        net.train_epochs(stage_train, stage_valid, epochs=max_epochs, stopping=True)
        curves.append([float(v) for v in net.history[:, "train_loss"]])
    module.train(was_training)
    if est.verbose:
        console_print(f"{type(est).__name__}: fine-tuning the whole network")
    return curves
