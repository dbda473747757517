"""The public contract of Autoencoder, kept by every regularised variant."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
)

FAST = dict(n_components=3, hidden_layer_sizes=(16,), max_iter=5, random_state=0)

# Every way a variant trains differently from Autoencoder, so each code path
# (each noise, each sparsity, closed-form and estimated Jacobian) is covered.
VARIANTS = [
    pytest.param(DenoisingAutoencoder, {"noise": "gaussian", "noise_level": 0.3}, id="dae-gaussian"),
    pytest.param(DenoisingAutoencoder, {"noise": "masking", "noise_level": 0.3}, id="dae-masking"),
    pytest.param(DenoisingAutoencoder, {"noise": "salt_pepper", "noise_level": 0.3}, id="dae-saltpepper"),
    pytest.param(SparseAutoencoder, {"sparsity": "kl"}, id="sparse-kl"),
    pytest.param(SparseAutoencoder, {"sparsity": "l1"}, id="sparse-l1"),
    pytest.param(SparseAutoencoder, {"sparsity": "topk", "sparsity_target": 0.5}, id="sparse-topk"),
    pytest.param(ContractiveAutoencoder, {"hidden_layer_sizes": ()}, id="cae-onelayer"),
    pytest.param(ContractiveAutoencoder, {}, id="cae-deep"),
]


def _make(cls, params, **extra):
    return cls(**{**FAST, **params, **extra})


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("cls, params", VARIANTS)
def test_tied_weights_halve_the_decoder_and_still_train(small_X, cls, params):
    untied = _make(cls, params, max_iter=20).fit(small_X)
    tied = _make(cls, params, max_iter=20, tied_weights=True).fit(small_X)
    m_untied, m_tied = untied.net_.module_, tied.net_.module_
    # The decoder keeps only its biases; the weight matrices are the
    # encoder's, so the net has one set of matrices instead of two.
    decoder_weights = sum(layer.weight.numel() for layer in m_untied.decoder_layers)
    decoder_biases = sum(layer.bias.numel() for layer in m_untied.decoder_layers)
    assert _n_params(m_tied.decoder_layers) == decoder_biases
    assert _n_params(m_tied) == _n_params(m_untied) - decoder_weights
    assert sum(layer.weight.numel() for layer in m_tied.encoder_layers) == decoder_weights
    for layer, mirror in zip(m_tied.decoder_layers, reversed(m_tied.encoder_layers)):
        assert layer._source[0] is mirror
    assert np.all(np.isfinite(tied.loss_curve_))
    assert tied.loss_curve_[-1] < tied.loss_curve_[0]
    assert tied.inverse_transform(tied.transform(small_X)).shape == small_X.shape


@pytest.mark.parametrize("cls, params", VARIANTS)
def test_same_seed_gives_bitwise_identical_fits(small_X, cls, params):
    torch.manual_seed(123)
    expected_global = torch.rand(3)
    torch.manual_seed(123)
    a = _make(cls, params).fit(small_X)
    # Training noise comes from the seeded, forked RNG, not the user's.
    np.testing.assert_array_equal(torch.rand(3), expected_global)
    b = _make(cls, params).fit(small_X)
    c = _make(cls, params, random_state=1).fit(small_X)
    np.testing.assert_array_equal(a.transform(small_X), b.transform(small_X))
    assert a.loss_curve_ == b.loss_curve_
    assert a.loss_curve_ != c.loss_curve_


@pytest.mark.parametrize("cls, params", VARIANTS)
def test_inference_is_deterministic_and_keeps_dtype(small_X, cls, params):
    X = small_X.astype(np.float32)
    est = _make(cls, params).fit(X)
    codes = est.transform(X)
    assert codes.dtype == np.float32
    np.testing.assert_array_equal(codes, est.transform(X))
    recon = est.inverse_transform(codes)
    assert recon.dtype == np.float32
    np.testing.assert_array_equal(recon, est.inverse_transform(codes))
    scores = est.score_samples(X)
    assert scores.dtype == np.float32
    # The score is the clean reconstruction error: no noise at inference.
    np.testing.assert_allclose(
        scores, -np.mean((recon.astype(np.float64) - X) ** 2, axis=1), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("cls, params", VARIANTS)
def test_early_stopping_scores_the_validation_rows(small_X, cls, params):
    # Validation batches are scored without noise but with the penalty,
    # which for the contractive net needs gradients outside training.
    est = _make(cls, params, max_iter=3, early_stopping=True).fit(small_X)
    assert len(est.validation_scores_) == 3
    assert np.all(np.isfinite(est.validation_scores_))


@pytest.mark.parametrize("cls, params", VARIANTS)
def test_pickle_round_trip_and_pandas_output(small_X, cls, params):
    df = pd.DataFrame(small_X, columns=list("abcdef"))
    est = _make(cls, params).set_output(transform="pandas").fit(df)
    out = est.transform(df)
    prefix = cls.__name__.lower()
    assert list(out.columns) == [f"{prefix}{i}" for i in range(3)]
    restored = pickle.loads(pickle.dumps(est))
    pd.testing.assert_frame_equal(restored.transform(df), out)
    assert restored.net_.history[-1].keys() == est.net_.history[-1].keys()


@pytest.mark.parametrize(
    "cls, params, match",
    [
        (DenoisingAutoencoder, {"noise_level": -0.1}, "noise_level"),
        (DenoisingAutoencoder, {"noise": "poisson"}, "noise"),
        (DenoisingAutoencoder, {"noise": "masking", "noise_level": 1.5}, "noise_level"),
        (DenoisingAutoencoder, {"noise": "salt_pepper", "noise_level": 2}, "noise_level"),
        (SparseAutoencoder, {"sparsity_target": 0.0}, "sparsity_target"),
        (SparseAutoencoder, {"sparsity_target": 1.0}, "sparsity_target"),
        (SparseAutoencoder, {"sparsity_target": -0.5}, "sparsity_target"),
        (SparseAutoencoder, {"sparsity": "l0"}, "sparsity"),
        (SparseAutoencoder, {"sparsity_weight": -1.0}, "sparsity_weight"),
        (ContractiveAutoencoder, {"contractive_weight": -1.0}, "contractive_weight"),
    ],
)
def test_invalid_values_raise_at_fit_naming_the_parameter(small_X, cls, params, match):
    est = cls(**params)  # never raises in __init__
    with pytest.raises(ValueError, match=f"'?{match}'? "):
        est.fit(small_X)


def test_noise_level_above_one_is_fine_for_gaussian(small_X):
    dae = DenoisingAutoencoder(noise="gaussian", noise_level=2.0, **FAST).fit(small_X)
    assert np.all(np.isfinite(dae.loss_curve_))


def test_variants_are_autoencoders():
    for cls in (DenoisingAutoencoder, SparseAutoencoder, ContractiveAutoencoder):
        assert issubclass(cls, Autoencoder)
        # Every parent parameter is explicit in the signature (scikit-learn
        # reads them from it), next to the variant's own.
        assert set(Autoencoder().get_params()) < set(cls().get_params())


@pytest.mark.gpu
@pytest.mark.parametrize("cls, params", VARIANTS)
def test_trains_and_infers_on_cuda(small_X, cls, params):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    a = _make(cls, params, device="cuda").fit(small_X)
    b = _make(cls, params, device="cuda").fit(small_X)
    assert a.device_.type == "cuda"
    codes = a.transform(small_X)
    assert codes.dtype == small_X.dtype
    np.testing.assert_allclose(codes, b.transform(small_X), rtol=1e-4, atol=1e-5)
    assert np.all(np.isfinite(a.inverse_transform(codes)))
