"""The convolutional architecture and the image helpers (issue 14)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.model_selection import GridSearchCV

from _estimators import ESTIMATORS, entry, make
from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    VariationalAutoencoder,
    flatten_images,
    unflatten_images,
)
from sklearn_ae._architecture import resolve_hidden_sizes

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CONV = [cls for cls in ESTIMATORS if entry(cls).conv]
IDS = dict(ids=lambda cls: cls.__name__)


def _conv(cls, **params):
    return make(cls, architecture="conv", n_components=3, hidden_layer_sizes=(4, 4), **params)


def _rows(n_features, n_samples=12, seed=0):
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


# ----------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "image_shape, expected",
    [
        (None, (1, 6, 6)),  # 36 values: a square
        ((4, 9), (1, 4, 9)),
        ((1, 4, 9), (1, 4, 9)),
        ((4, 3, 3), (4, 3, 3)),
    ],
)
def test_image_shape_is_inferred_or_taken_as_given(image_shape, expected):
    est = _conv(Autoencoder, image_shape=image_shape).fit(_rows(36))
    assert est.image_shape_ == expected


def test_rows_that_are_not_squares_are_read_as_1d_signals():
    est = _conv(Autoencoder).fit(_rows(30))
    assert est.image_shape_ == (1, 30)
    assert type(est.net_.module_.encoder_convs[0]).__name__ == "Conv1d"


def test_the_dense_architecture_has_no_image_shape():
    assert make(Autoencoder).fit(_rows(36)).image_shape_ is None


@pytest.mark.parametrize("cls", CONV, **IDS)
@pytest.mark.parametrize(
    "image_shape", [(5, 7), (28, 28), (3, 32, 32), (1, 29)], ids=lambda s: "x".join(map(str, s))
)
def test_odd_sizes_reconstruct_to_the_exact_shape(cls, image_shape):
    n_features = int(np.prod(image_shape))
    X = _rows(n_features, n_samples=6)
    est = _conv(cls, image_shape=image_shape, max_iter=1).fit(X)
    module = est.net_.module_
    # every stage halves, rounding up, and the decoder crops back
    assert module.stage_sizes[0] == est.image_shape_[1:]
    for before, after in zip(module.stage_sizes[:-1], module.stage_sizes[1:]):
        assert after == tuple(-(-s // 2) for s in before)
    recon = est.inverse_transform(est.transform(X))
    assert recon.shape == X.shape
    assert est.sample(4, random_state=0).shape == (4, n_features)


def test_decoder_output_tracks_each_pixel():
    # The crop keeps the top-left block of the up-sampled maps; a decoder
    # whose output were misaligned would not learn to reproduce a single
    # bright pixel in a corner and in the opposite corner.
    X = np.zeros((40, 35))
    X[:20, 0] = 1.0  # top-left pixel of a 5x7 image
    X[20:, 34] = 1.0  # bottom-right pixel
    est = Autoencoder(
        architecture="conv", image_shape=(5, 7), n_components=2, hidden_layer_sizes=(8,),
        loss="bce", learning_rate_init=1e-2, max_iter=300, random_state=0,
    ).fit(X)
    recon = est.inverse_transform(est.transform(X))
    assert recon[:20, 0].min() > 0.5 and recon[20:, 34].min() > 0.5
    assert recon[:20, 34].max() < 0.5 and recon[20:, 0].max() < 0.5


# ----------------------------------------------------------------------
# Default channel plans
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "image_shape, channels",
    [
        ((1, 8, 8), (32,)),
        ((1, 5, 7), (32,)),
        ((3, 16, 16), (32,)),
        ((1, 14, 14), (32,)),
        ((1, 28, 28), (32, 64)),
        ((3, 32, 32), (32, 64)),
        ((1, 48, 48), (32, 64)),
        ((1, 52, 52), (32, 64, 128)),
        ((1, 56, 56), (32, 64, 128)),
        ((3, 256, 256), (32, 64, 128)),
        ((1, 1, 1), (32,)),
        ((1, 2), (32,)),
        ((1, 24), (32,)),
        ((1, 25), (32, 64)),
    ],
)
def test_auto_channel_plan(image_shape, channels):
    n_features = int(np.prod(image_shape))
    assert resolve_hidden_sizes("auto", n_features, 8, image_shape) == channels


def test_auto_resolves_to_a_channel_plan_in_fit():
    est = Autoencoder(architecture="conv", n_components=4, max_iter=1).fit(_rows(64))
    assert est.hidden_layer_sizes_ == (32,)
    assert est.net_.module_.stage_sizes == [(8, 8), (4, 4)]


# ----------------------------------------------------------------------
# Clear errors
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(image_shape=(5, 5)), "holds 25 values a row, but X has 36"),
        (dict(image_shape=(0, 36)), "positive ints"),
        (dict(image_shape=(2, 2, 3, 3)), "image_shape must be None"),
        (dict(image_shape=(6.0, 6.0)), "positive ints"),
        (dict(hidden_layer_sizes=()), "at least one convolutional stage"),
        (dict(tied_weights=True), "tied_weights=True is defined for architecture='mlp'"),
    ],
)
def test_bad_conv_settings_raise_clear_errors(params, match):
    with pytest.raises(ValueError, match=match):
        make(Autoencoder, architecture="conv", **params).fit(_rows(36))


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="architecture"):
        make(Autoencoder, architecture="rnn").fit(_rows(36))


def test_contractive_refuses_conv_clearly():
    with pytest.raises(ValueError, match="does not support architecture='conv'"):
        make(ContractiveAutoencoder, architecture="conv").fit(_rows(36))


def test_a_failed_conv_fit_leaves_a_fitted_estimator_unchanged():
    est = _conv(Autoencoder).fit(_rows(36))
    before = est.transform(_rows(36))
    est.set_params(image_shape=(5, 5))
    with pytest.raises(ValueError):
        est.fit(_rows(36))
    np.testing.assert_array_equal(est.transform(_rows(36)), before)


# ----------------------------------------------------------------------
# scikit-learn integration: the architecture is a tunable parameter
# ----------------------------------------------------------------------
def test_grid_search_tunes_architecture_and_channel_plans():
    X = _rows(16, n_samples=30)
    grid = GridSearchCV(
        make(Autoencoder, n_components=2),
        {"architecture": ["mlp", "conv"], "hidden_layer_sizes": [(4,), (4, 8)]},
        cv=2,
    ).fit(X)
    assert len(grid.cv_results_["params"]) == 4
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_conv_model_has_fewer_weights_than_the_dense_one_on_images():
    X = _rows(28 * 28, n_samples=4)
    conv = Autoencoder(architecture="conv", n_components=16, max_iter=1).fit(X)
    dense = Autoencoder(n_components=16, max_iter=1).fit(X)

    def count(est):
        return sum(p.numel() for p in est.net_.module_.parameters())

    assert count(conv) < count(dense)


def test_conv_vae_samples_are_flat_rows_in_the_data_range():
    X = (load_digits().data[:200] / 16 > 0.5).astype(float)
    vae = VariationalAutoencoder(
        architecture="conv", n_components=4, likelihood="bernoulli", max_iter=2, random_state=0
    ).fit(X)
    samples = vae.sample(5, random_state=0)
    assert samples.shape == (5, 64)
    assert samples.min() >= 0 and samples.max() <= 1


def test_denoising_conv_is_deterministic_at_inference():
    X = _rows(36)
    est = _conv(DenoisingAutoencoder, noise_level=0.3).fit(X)
    np.testing.assert_array_equal(est.transform(X), est.transform(X))


# ----------------------------------------------------------------------
# flatten_images / unflatten_images
# ----------------------------------------------------------------------
def _coloured_patches():
    image = np.zeros((10, 12, 3))
    image[..., 0], image[..., 1], image[..., 2] = 0.1, 0.5, 0.9  # one value a channel
    image += np.linspace(0, 0.01, 12)[None, :, None]  # and a gradient
    return extract_patches_2d(image, (4, 5), max_patches=6, random_state=0)


def test_flatten_channel_last_patches_puts_each_channel_in_one_block():
    patches = _coloured_patches()  # (6, 4, 5, 3), channel-last
    X, shape = flatten_images(patches, return_shape=True)
    assert X.shape == (6, 60) and shape == (3, 4, 5)
    # channel-first rows: 20 values of red, then green, then blue
    np.testing.assert_allclose(X[:, :20], patches[..., 0].reshape(6, 20))
    assert X[:, :20].max() < 0.2 and X[:, 20:40].min() > 0.4 and X[:, 40:].min() > 0.8


@pytest.mark.parametrize("channel_axis", [-1, 1])
def test_flatten_and_unflatten_are_inverse(channel_axis):
    images = np.random.RandomState(0).rand(5, 3, 4, 6)
    if channel_axis == -1:
        images = np.moveaxis(images, 1, -1)
    X, shape = flatten_images(images, channel_axis=channel_axis, return_shape=True)
    assert shape == (3, 4, 6)
    np.testing.assert_array_equal(unflatten_images(X, shape, channel_axis=channel_axis), images)


def test_flatten_grayscale_images():
    images = np.arange(2 * 5 * 7).reshape(2, 5, 7).astype(np.float32)
    X, shape = flatten_images(images, return_shape=True)
    assert shape == (5, 7) and X.dtype == np.float32
    np.testing.assert_array_equal(X[0], np.arange(35))
    np.testing.assert_array_equal(unflatten_images(X, shape), images)


def test_flat_patches_train_a_colour_conv_model():
    X, shape = flatten_images(_coloured_patches(), return_shape=True)
    est = _conv(Autoencoder, image_shape=shape, max_iter=1).fit(X)
    assert est.image_shape_ == (3, 4, 5)
    images = unflatten_images(est.inverse_transform(est.transform(X)), est.image_shape_)
    assert images.shape == (6, 4, 5, 3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: flatten_images(np.zeros((2, 3))), "3-D array"),
        (lambda: flatten_images(np.zeros((2, 3, 3, 3)), channel_axis=2), "channel_axis"),
        (lambda: unflatten_images(np.zeros((2, 10)), (3, 3)), "must hold"),
        (lambda: unflatten_images(np.zeros(9), (3, 3)), "must be 2-D"),
    ],
)
def test_image_helpers_refuse_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------
# Quality (slow): the acceptance measures of the convolutional issue
# ----------------------------------------------------------------------
def _n_weights(est):
    return sum(p.numel() for p in est.net_.module_.parameters())


@pytest.mark.slow
def test_conv_denoiser_beats_the_dense_one_with_fewer_weights_on_noisy_digits():
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    X = load_digits().data / 16.0
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    noise = np.random.RandomState(1).normal(scale=0.3, size=X_test.shape)
    X_noisy = np.clip(X_test + noise, 0, 1)
    errors, weights = {}, {}
    for arch in ("mlp", "conv"):
        est = DenoisingAutoencoder(
            n_components=16, architecture=arch, noise_level=0.3, random_state=0
        ).fit(X_train)
        errors[arch] = np.mean((est.inverse_transform(est.transform(X_noisy)) - X_test) ** 2)
        weights[arch] = _n_weights(est)
    pca = PCA(16).fit(X_train)
    pca_error = np.mean((pca.inverse_transform(pca.transform(X_noisy)) - X_test) ** 2)
    noisy_error = np.mean((X_noisy - X_test) ** 2)
    # measured (seeds 0-2): conv 0.0196-0.0212, dense 0.0212-0.0225, PCA 0.027
    assert errors["conv"] <= errors["mlp"]
    assert weights["conv"] < weights["mlp"]
    assert max(errors.values()) < pca_error < noisy_error


@pytest.mark.slow
def test_conv_autoencoder_beats_pca_on_held_out_colour_patches():
    from sklearn.datasets import load_sample_images
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    patches = np.vstack(
        [
            extract_patches_2d(im / 255.0, (8, 8), max_patches=8000, random_state=i)
            for i, im in enumerate(load_sample_images().images)
        ]
    )
    X, shape = flatten_images(patches, return_shape=True)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    est = Autoencoder(
        n_components=16, architecture="conv", image_shape=shape, batch_size=32,
        max_iter=30, random_state=0,
    ).fit(X_train)
    pca = PCA(16).fit(X_train)
    conv_error = np.mean((est.inverse_transform(est.transform(X_test)) - X_test) ** 2)
    pca_error = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    assert conv_error < pca_error


@pytest.mark.slow
def test_conv_vae_samples_are_confident_and_diverse_digits():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, random_state=0)
    clf = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    vae = VariationalAutoencoder(architecture="conv", random_state=0).fit(X_train)
    proba = clf.predict_proba(vae.sample(1000, random_state=0))
    share = np.bincount(proba.argmax(axis=1), minlength=10) / 1000
    # measured over seeds 0-4: mean max-probability 0.94-0.95, rarest class
    # 8.7% (seed 0), 3.2%, 6.0%, 7.6%, 4.6%
    assert proba.max(axis=1).mean() >= 0.8
    assert share.min() >= 0.04
