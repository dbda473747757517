"""ContractiveAutoencoder: a penalty on the encoder's Jacobian."""

import numpy as np
import pytest
import torch

from sklearn_ae import ContractiveAutoencoder
from sklearn_ae._losses import jacobian_sq_norm_estimate, sigmoid_jacobian_sq_norm


def exact_jacobian_sq_norm(encode, x):
    """Per-row ||d encode / dx||_F^2 from the full Jacobian (autograd)."""
    jac = torch.func.vmap(torch.func.jacrev(lambda row: encode(row[None])[0]))(x)
    return (jac**2).sum(dim=(1, 2))


# ----------------------------------------------------------------------
# The penalty alone
# ----------------------------------------------------------------------
def test_closed_form_matches_the_exact_jacobian_of_a_sigmoid_layer():
    torch.manual_seed(0)
    layer = torch.nn.Linear(7, 5)
    x = torch.randn(11, 7)
    encode = lambda v: torch.sigmoid(layer(v))  # noqa: E731
    closed = sigmoid_jacobian_sq_norm(encode(x), layer.weight)
    torch.testing.assert_close(closed, exact_jacobian_sq_norm(encode, x))


def test_random_projection_estimate_is_unbiased_for_a_deep_encoder():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(6, 12), torch.nn.Tanh(), torch.nn.Linear(12, 4), torch.nn.Sigmoid()
    )
    x = torch.randn(5, 6)
    exact = exact_jacobian_sq_norm(net, x)
    # Rows are encoded independently: 4000 copies of x give 4000 draws each.
    draws = jacobian_sq_norm_estimate(x.repeat(4000, 1), net).detach().reshape(4000, 5)
    torch.testing.assert_close(draws.mean(dim=0), exact, rtol=0.05, atol=0)
    assert torch.all(draws.std(dim=0) > 0)  # it is an estimate, not the exact value
    # The estimate can be minimised: it carries gradients to the weights.
    jacobian_sq_norm_estimate(x, net).sum().backward()
    assert net[0].weight.grad is not None and torch.all(torch.isfinite(net[0].weight.grad))


# ----------------------------------------------------------------------
# The estimator on digits
# ----------------------------------------------------------------------
@pytest.mark.parametrize("hidden", [(), (32,)], ids=["one-layer", "deep"])
def test_penalty_lowers_the_encoder_jacobian_norm(digits_split, hidden):
    X_train, X_test = digits_split[0], digits_split[1][:200]
    kw = dict(n_components=16, hidden_layer_sizes=hidden, max_iter=30, batch_size=100,
              learning_rate_init=5e-3, random_state=0)
    norms, errors = {}, {}
    for weight in (0.0, 0.3):
        cae = ContractiveAutoencoder(contractive_weight=weight, **kw).fit(X_train)
        x = torch.as_tensor((X_test - cae.mean_) / cae.scale_, dtype=torch.float32)
        norms[weight] = float(exact_jacobian_sq_norm(cae.net_.module_.encode, x).mean().detach())
        errors[weight] = np.mean((cae.inverse_transform(cae.transform(X_test)) - X_test) ** 2)
        # The recorded penalty is the training-time value of that norm.
        assert cae.net_.history[-1, "contractive"] == pytest.approx(norms[weight], rel=0.25)
    # Measured: one-layer 0.89 -> 0.26, deep 0.43 -> 0.086 (reconstruction
    # error 0.022 -> 0.026 and 0.022 -> 0.028).
    assert norms[0.3] < 0.5 * norms[0.0]
    # The codes still reconstruct the digits.
    assert errors[0.3] < 1.5 * errors[0.0]


def test_codes_are_sigmoid_activations(small_X):
    cae = ContractiveAutoencoder(n_components=3, hidden_layer_sizes=(), max_iter=3,
                                 random_state=0).fit(small_X)
    codes = cae.transform(small_X)
    assert np.all((codes > 0) & (codes < 1))
