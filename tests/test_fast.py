"""The autograd-free training step (``sklearn_ae._fast``) and the fused
optimizer kernels: same maths as the general path, to a stated tolerance.

Tolerances: one step's gradients agree with autograd's to float32 rounding
(relative 1e-5 of the largest entry); a whole fit's codes agree to 1e-3
(rounding differences are amplified by the training dynamics, so a fit is
compared after few epochs, where they stay at the 1e-5 level).
"""

import copy

import numpy as np
import pytest
import torch

from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
    config_context,
)
from sklearn_ae import _base
from sklearn_ae._fast import plain_step
from sklearn_ae._inference import inference_view
from sklearn_ae._losses import ReconstructionObjective, code_penalty, l1_activity
from sklearn_ae._modules import LayerStage, MLPAutoencoderModule, build_module, make_activation

GRAD_RTOL = 1e-5


@pytest.fixture
def digits_X(digits):
    return digits[0][:300]


def _module(sizes=(6,), **kwargs):
    return build_module(
        lambda: MLPAutoencoderModule(5, sizes, 3, **kwargs), torch.Generator().manual_seed(0)
    )


def _batch(n=11, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    return x, torch.sigmoid(x)  # a target in (0, 1), as BCE needs


def _autograd_grads(module, objective, x, target):
    module.zero_grad(set_to_none=True)
    loss, _ = objective(module(x), target)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in module.named_parameters()}


def _fast_grads(module, objective, x, target):
    step = plain_step(module, objective)
    assert step is not None
    module.zero_grad(set_to_none=True)
    loss, output = step(x, target)
    return loss, {n: p.grad.clone() for n, p in module.named_parameters()}, output


def _assert_close_grads(fast, auto):
    assert fast.keys() == auto.keys()
    for name in auto:
        scale = auto[name].abs().max().item() or 1.0
        torch.testing.assert_close(fast[name], auto[name], rtol=0, atol=GRAD_RTOL * scale)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("code_activation", ["identity", "logistic", "relu"])
@pytest.mark.parametrize(
    "loss, output_activation",
    [("mse", "identity"), ("mse", "logistic"), ("mse", "tanh"), ("bce", "logistic")],
)
@pytest.mark.parametrize("trim", [0.0, 0.25])
@pytest.mark.parametrize("tied_weights", [False, True])
def test_gradients_equal_autograd(
    activation, code_activation, loss, output_activation, trim, tied_weights
):
    module = _module((7, 4), activation=activation, code_activation=code_activation,
                     output_activation=output_activation, tied_weights=tied_weights)
    objective = ReconstructionObjective(loss, make_activation(output_activation), trim=trim)
    x, target = _batch()
    auto_loss, auto = _autograd_grads(module, objective, x, target)
    fast_loss, fast, output = _fast_grads(module, objective, x, target)
    torch.testing.assert_close(fast_loss, auto_loss, rtol=1e-6, atol=1e-7)
    _assert_close_grads(fast, auto)
    with torch.no_grad():
        torch.testing.assert_close(output["code"], module.encode(x))
        torch.testing.assert_close(output["logits"], module(x)["logits"])


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("tied_weights", [False, True])
def test_gradients_of_a_pretraining_stage_equal_autograd(k, tied_weights):
    stage = LayerStage(_module((6,), tied_weights=tied_weights), k)
    width = stage.encoder_layers[0].in_features
    x = torch.randn(9, width, generator=torch.Generator().manual_seed(3))
    objective = ReconstructionObjective("mse", make_activation("identity"))
    auto_loss, auto = _autograd_grads(stage, objective, x, x)
    fast_loss, fast, _ = _fast_grads(stage, objective, x, x)
    torch.testing.assert_close(fast_loss, auto_loss)
    _assert_close_grads(fast, auto)


def test_the_step_stands_aside_where_it_does_not_apply():
    plain = ReconstructionObjective("mse", make_activation("identity"))
    assert plain_step(_module(), plain) is not None
    l1 = code_penalty(lambda output, *args: l1_activity(output["code"]), 0.1, "l1")
    penalised = ReconstructionObjective("mse", make_activation("identity"), penalty=l1)
    assert plain_step(_module(), penalised) is None
    assert plain_step(_module(topk=2), plain) is None


def _fit(est_class, X, *, fast, monkeypatch, **params):
    monkeypatch.setattr(_base._BaseAutoencoder, "_fast_training", fast)
    return est_class(max_iter=5, random_state=0, **params).fit(X)


@pytest.mark.parametrize(
    "est_class, params, takes_it",
    [
        (Autoencoder, {}, True),
        (Autoencoder, {"loss": "bce"}, True),
        (Autoencoder, {"trim_fraction": 0.1}, True),
        (Autoencoder, {"tied_weights": True}, True),
        (Autoencoder, {"architecture": "conv", "image_shape": (8, 8)}, False),
        (DenoisingAutoencoder, {}, True),
        (SparseAutoencoder, {}, False),
        (ContractiveAutoencoder, {}, False),
        (VariationalAutoencoder, {}, False),
    ],
)
def test_which_estimators_take_the_fast_step(digits_X, est_class, params, takes_it, monkeypatch):
    fast = _fit(est_class, digits_X, fast=True, monkeypatch=monkeypatch, n_components=4, **params)
    assert (fast.net_.fast_step_ is not None) is takes_it
    if not takes_it:
        return
    general = _fit(
        est_class, digits_X, fast=False, monkeypatch=monkeypatch, n_components=4, **params
    )
    assert general.net_.fast_step_ is None
    np.testing.assert_allclose(fast.transform(digits_X), general.transform(digits_X), atol=1e-3)
    np.testing.assert_allclose(
        fast.net_.history[:, "train_loss"], general.net_.history[:, "train_loss"], rtol=1e-4
    )


def test_the_fast_step_is_seeded_like_the_general_one(digits_X):
    a = Autoencoder(n_components=3, max_iter=3, random_state=4).fit(digits_X)
    b = Autoencoder(n_components=3, max_iter=3, random_state=4).fit(digits_X)
    assert a.net_.fast_step_ is not None
    np.testing.assert_array_equal(a.transform(digits_X), b.transform(digits_X))


def test_layerwise_pretraining_takes_the_fast_step(digits_X, monkeypatch):
    steps = []
    original = plain_step

    def spy(module, objective):
        step = original(module, objective)
        steps.append((type(module).__name__, step is not None))
        return step

    monkeypatch.setattr("sklearn_ae._net.plain_step", spy)
    Autoencoder(
        n_components=3, hidden_layer_sizes=(16,), pretraining="layerwise", max_iter=2, random_state=0
    ).fit(digits_X)
    assert ("LayerStage", True) in steps and ("MLPAutoencoderModule", True) in steps


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_fused_kernels_agree_with_the_foreach_ones(digits_X, optimizer, monkeypatch):
    from sklearn_ae._net import _has_fused_kernel

    if not _has_fused_kernel(optimizer, "cpu"):
        pytest.skip(f"this torch ({torch.__version__}) has no fused {optimizer} kernel on the CPU")
    fused = Autoencoder(n_components=4, optimizer=optimizer, max_iter=5, random_state=0).fit(digits_X)
    assert fused.net_.optimizer_.defaults["fused"] is True
    monkeypatch.setattr(
        "sklearn_ae._net._optimizer_speedups", lambda name, device: {"optimizer__foreach": True}
    )
    foreach = Autoencoder(n_components=4, optimizer=optimizer, max_iter=5, random_state=0).fit(digits_X)
    assert foreach.net_.optimizer_.defaults["foreach"] is True
    np.testing.assert_allclose(fused.transform(digits_X), foreach.transform(digits_X), atol=1e-3)


def test_user_gradient_callbacks_see_the_fast_steps_gradients(digits_X):
    # 300 rows in batches of 100: three steps an epoch.
    from skorch.callbacks import Callback

    class GradNorms(Callback):
        def initialize(self):
            self.norms = []
            return self

        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.norms.append(sum(float(p.grad.norm()) for _, p in named_parameters))

    cb = GradNorms()
    est = Autoencoder(n_components=3, max_iter=2, batch_size=100, random_state=0, callbacks=[cb])
    est.fit(digits_X)
    assert est.net_.fast_step_ is not None
    assert len(cb.norms) == 2 * 3 and all(n > 0 for n in cb.norms)


# ----------------------------------------------------------------------
# Inference in float32: the scaling folded into the first layer
# ----------------------------------------------------------------------
INFERENCE_RTOL = 1e-6  # times (1 + max|mean_| / scale_), of the largest output


def _float64_mapping(monkeypatch):
    """Force inference's float64 host mapping (the reference path)."""
    from sklearn_ae import _scaling

    monkeypatch.setattr(
        _scaling.DataScaling, "float32_safe", property(lambda self: self.identity)
    )


@pytest.mark.parametrize(
    "est_class, params",
    [
        (Autoencoder, {}),
        (Autoencoder, {"tied_weights": True}),
        (VariationalAutoencoder, {}),
        (DenoisingAutoencoder, {}),
        (Autoencoder, {"architecture": "conv", "image_shape": (4, 5)}),
    ],
)
@pytest.mark.parametrize("offset", [0.0, 10.0, 90.0])
def test_float32_inference_agrees_with_the_float64_mapping(est_class, params, offset, monkeypatch):
    X = np.random.RandomState(0).normal(size=(300, 20)) + offset
    est = est_class(n_components=3, max_iter=10, random_state=0, **params).fit(X)
    assert est._scaling.float32_safe
    ratio = 1 + np.abs(est.mean_).max() / est.scale_
    Z, s = est.transform(X), est.score_samples(X)
    R = est.inverse_transform(Z)
    with monkeypatch.context() as m:
        _float64_mapping(m)
        Z64, s64 = est.transform(X), est.score_samples(X)
        R64 = est.inverse_transform(Z64)
    tol = INFERENCE_RTOL * ratio
    np.testing.assert_allclose(Z, Z64, rtol=0, atol=tol * np.abs(Z64).max())
    np.testing.assert_allclose(s, s64, rtol=0, atol=tol * np.abs(s64).max())
    np.testing.assert_allclose(R, R64, rtol=0, atol=tol * est.scale_ * 10)


def test_beyond_the_bound_inference_maps_in_float64(monkeypatch):
    X = np.random.RandomState(0).normal(size=(100, 5)) + 1e4
    est = Autoencoder(n_components=2, max_iter=3, random_state=0).fit(X)
    assert not est._scaling.float32_safe
    Z = est.transform(X)
    with monkeypatch.context() as m:
        _float64_mapping(m)
        np.testing.assert_array_equal(Z, est.transform(X))


def test_the_folded_layer_follows_the_weights_after_more_training(digits_X):
    # The fused optimizer kernels do not move tensors' version counters:
    # the folded weights are remade from a comparison of the weights.
    est = Autoencoder(n_components=3, max_iter=2, random_state=0).fit(digits_X)
    before = est.transform(digits_X)
    est.partial_fit(digits_X)
    after = est.transform(digits_X)
    assert not np.array_equal(before, after)
    fresh = copy.deepcopy(est)  # rebuilt from the training state, no cache
    np.testing.assert_array_equal(after, fresh.transform(digits_X))
    # The folded last layer (inverse_transform, score_samples) follows too.
    decoded = est.inverse_transform(after)
    scores = est.score_samples(digits_X)
    est.partial_fit(digits_X)
    assert not np.array_equal(decoded, est.inverse_transform(after))
    assert not np.array_equal(scores, est.score_samples(digits_X))
    fresh = copy.deepcopy(est)
    np.testing.assert_array_equal(est.inverse_transform(after), fresh.inverse_transform(after))
    np.testing.assert_array_equal(est.score_samples(digits_X), fresh.score_samples(digits_X))


@pytest.mark.parametrize("row", [3, 70, 199])
def test_non_finite_input_is_caught_in_any_batch(digits_X, row):
    # Batches of 64 over 200 rows: the first, a middle one, and the last
    # one, which overlaps the batch before it.
    est = Autoencoder(n_components=3, max_iter=1, random_state=0).fit(digits_X)
    X = digits_X[:200].copy()
    X[row, 10] = np.nan
    with config_context(inference_batch_size=64):
        for method in (est.transform, est.score_samples):
            with pytest.raises(ValueError, match="Input X contains NaN"):
                method(X)


def test_non_finite_input_is_caught_without_a_sentinel_unit(digits_X):
    # Every unit of the first layer has a zero weight: the whole first
    # layer's output is watched instead of one unit.
    est = Autoencoder(n_components=3, max_iter=1, random_state=0).fit(digits_X)
    with torch.no_grad():
        est.net_.module_.encoder_layers[0].weight[:, 0] = 0.0
    assert inference_view(est.net_.module_, est._scaling, "encoder")[0].encoder_layers[0].sentinel is None
    X = digits_X.copy()
    X[5, 3] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        est.transform(X)


@pytest.mark.parametrize("value, match", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
def test_a_one_unit_first_layer_still_catches_non_finite_input(digits_X, value, match):
    # relu(-inf) is 0: codes alone could hide an infinite input; the first
    # layer's pre-activation cannot.
    est = Autoencoder(n_components=1, hidden_layer_sizes=(1,), max_iter=1, random_state=0)
    est.fit(digits_X)
    for column in (0, 20, 63):
        X = digits_X[:7].copy()
        X[2, column] = value
        with pytest.raises(ValueError, match=f"Input X contains {match}"):
            est.transform(X)


def test_the_fast_step_reads_the_encoders_input_map(digits_X, monkeypatch):
    # loss="bce" trains on the data's units and the encoder standardises
    # them (_modules.set_input_map): the hand-written step must do the same
    # as autograd's.
    fast = _fit(Autoencoder, digits_X, fast=True, monkeypatch=monkeypatch, n_components=4, loss="bce")
    slow = _fit(Autoencoder, digits_X, fast=False, monkeypatch=monkeypatch, n_components=4, loss="bce")
    assert fast.net_.fast_step_ is not None
    assert fast.net_.module_._buffers.get("input_shift") is not None
    np.testing.assert_allclose(fast.transform(digits_X), slow.transform(digits_X), rtol=1e-3, atol=1e-4)
