import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import Autoencoder
from sklearn_ae.datasets import load_font5x7
from sklearn_ae.plotting import (
    LatentGridDisplay,
    LatentSpaceDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def font():
    return load_font5x7()


@pytest.fixture(scope="module")
def font_ae(font):
    return Autoencoder(
        3, hidden_layer_sizes=(16,), loss="bce", max_iter=5, random_state=0
    ).fit(font.data)


def test_importing_sklearn_ae_does_not_import_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, sklearn_ae, sklearn_ae.plotting, sklearn_ae.datasets; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_latent_space_display_from_estimator(font, font_ae):
    disp = LatentSpaceDisplay.from_estimator(
        font_ae, font.data, font.target, components=(2, 0), annotate=True
    )
    np.testing.assert_allclose(disp.codes, font_ae.transform(font.data)[:, [2, 0]])
    np.testing.assert_allclose(disp.scatter_.get_offsets(), disp.codes)
    assert [t.get_text() for t in disp.texts_] == list(font.target)
    assert disp.ax_.get_xlabel() == "autoencoder2"
    assert disp.ax_.get_ylabel() == "autoencoder0"
    assert disp.figure_ is disp.ax_.figure
    assert disp.ax_.get_legend() is None


def test_latent_space_display_legend_and_existing_axes(digits):
    X, y = digits
    pca = PCA(2).fit(X)
    fig, ax = plt.subplots()
    disp = LatentSpaceDisplay.from_estimator(pca, X, y, ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [str(d) for d in range(10)]
    assert disp.ax_.get_xlabel() == "pca0"
    # Colours follow the labels: the colour index of each point is its class.
    np.testing.assert_array_equal(disp.scatter_.get_array(), y)
    fig.canvas.draw()
    colours = disp.scatter_.get_facecolors()
    first, second = np.flatnonzero(y == 3)[:2]
    np.testing.assert_allclose(colours[first], colours[second])
    assert not np.allclose(colours[first], colours[np.flatnonzero(y == 4)[0]])


def test_latent_space_display_rejects_bad_input(font, font_ae):
    with pytest.raises(ValueError, match="out of range"):
        LatentSpaceDisplay.from_estimator(font_ae, font.data, components=(0, 3))
    with pytest.raises(ValueError, match="exactly 2"):
        LatentSpaceDisplay.from_estimator(font_ae, font.data, components=(0,))
    with pytest.raises(ValueError, match="shape"):
        LatentSpaceDisplay(np.zeros((4, 3))).plot()
    with pytest.raises(ValueError, match="labels"):
        LatentSpaceDisplay(np.zeros((4, 2)), labels=[1, 2]).plot()


def test_reconstruction_display_tiles_originals_and_reconstructions(font, font_ae):
    disp = ReconstructionDisplay.from_estimator(
        font_ae, font.data, font.target, n_images=4, image_shape=(7, 5)
    )
    expected = font_ae.inverse_transform(font_ae.transform(font.data[:4]))
    np.testing.assert_allclose(disp.reconstructions, expected)
    mosaic = disp.image_.get_array()
    # Two rows of 7-pixel images and four columns of 5-pixel ones, 1-pixel gaps.
    assert mosaic.shape == (2 * 7 + 1, 4 * 5 + 3)
    np.testing.assert_array_equal(mosaic[:7, 6:11], font.images[1])
    np.testing.assert_allclose(mosaic[8:15, 18:23], expected[3].reshape(7, 5))
    assert np.ma.getmaskarray(mosaic)[7].all()  # the gap between the rows
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == [
        "original",
        "reconstruction",
    ]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == list(font.target[:4])


def test_reconstruction_display_shows_the_model_input(digits):
    X, _ = digits
    rng = np.random.RandomState(0)
    X_noisy = X + rng.normal(scale=0.3, size=X.shape)
    pca = make_pipeline(StandardScaler(), PCA(10)).fit(X)
    disp = ReconstructionDisplay.from_estimator(pca, X, X_input=X_noisy, n_images=3)
    np.testing.assert_allclose(disp.inputs, X_noisy[:3])
    np.testing.assert_allclose(
        disp.reconstructions, pca.inverse_transform(pca.transform(X_noisy[:3]))
    )
    assert disp.image_.get_array().shape == (3 * 8 + 2, 3 * 8 + 2)
    assert len(disp.ax_.get_yticklabels()) == 3


def test_reconstruction_display_checks_image_shape(font, font_ae):
    with pytest.raises(ValueError, match="not square"):
        ReconstructionDisplay.from_estimator(font_ae, font.data)
    with pytest.raises(ValueError, match="image_shape"):
        ReconstructionDisplay.from_estimator(font_ae, font.data, image_shape=(6, 6))
    with pytest.raises(ValueError, match="n_images"):
        ReconstructionDisplay.from_estimator(font_ae, font.data, n_images=0)
    with pytest.raises(ValueError, match="same shape"):
        ReconstructionDisplay(np.zeros((2, 4)), np.zeros((3, 4))).plot()


def test_latent_grid_display_grid_decodes_a_regular_grid(font, font_ae):
    disp = LatentGridDisplay.from_estimator(
        font_ae, font.data, components=(0, 2), n_steps=3, image_shape=(7, 5)
    )
    codes = font_ae.transform(font.data)
    lo, hi = np.percentile(codes[:, 0], [5, 95])
    assert disp.codes_.shape == (3, 3, 3)
    np.testing.assert_allclose(disp.codes_[0, :, 0], [lo, (lo + hi) / 2, hi])
    # Rows go down the second component: the top row holds its largest value.
    assert disp.codes_[0, 0, 2] > disp.codes_[2, 0, 2]
    np.testing.assert_allclose(disp.codes_[:, :, 1], np.median(codes[:, 1]))
    np.testing.assert_allclose(
        disp.images[1, 2],
        font_ae.inverse_transform(disp.codes_[1, 2][None])[0],
        rtol=1e-5,
    )
    assert disp.image_.get_array().shape == (3 * 7 + 2, 3 * 5 + 2)


def test_latent_grid_display_traversal_with_bounds(font_ae):
    disp = LatentGridDisplay.from_estimator(
        font_ae, kind="traversal", n_steps=4, bounds=(-2, 2), image_shape=(7, 5)
    )
    assert disp.images.shape == (3, 4, 35)
    for row in range(3):
        varied = disp.codes_[row]
        np.testing.assert_allclose(varied[:, row], np.linspace(-2, 2, 4))
        others = np.delete(varied, row, axis=1)
        np.testing.assert_array_equal(others, 0.0)
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels == ["autoencoder0", "autoencoder1", "autoencoder2"]


def test_latent_grid_display_rejects_bad_input(font, font_ae):
    with pytest.raises(ValueError, match="bounds"):
        LatentGridDisplay.from_estimator(font_ae)
    with pytest.raises(ValueError, match="kind"):
        LatentGridDisplay.from_estimator(font_ae, font.data, kind="path")
    with pytest.raises(ValueError, match="n_steps"):
        LatentGridDisplay.from_estimator(font_ae, font.data, n_steps=1)
    with pytest.raises(ValueError, match="center"):
        LatentGridDisplay.from_estimator(font_ae, font.data, center=[0.0])
    with pytest.raises(ValueError, match="out of range"):
        LatentGridDisplay.from_estimator(font_ae, font.data, components=(0, 5))


def test_loss_curve_display_from_estimator(digits):
    X, _ = digits
    ae = Autoencoder(4, max_iter=4, early_stopping=True, random_state=0).fit(X[:300])
    disp = LossCurveDisplay.from_estimator(ae, name="ae")
    np.testing.assert_allclose(disp.lines_["training loss"].get_ydata(), ae.loss_curve_)
    np.testing.assert_allclose(
        disp.lines_["validation loss"].get_ydata(), [-s for s in ae.validation_scores_]
    )
    np.testing.assert_array_equal(disp.lines_["training loss"].get_xdata(), [1, 2, 3, 4])
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == ["ae: training loss", "ae: validation loss"]
    assert disp.ax_.get_xlabel() == "epoch"


def test_loss_curve_display_draws_recorded_objective_terms(font, font_ae):
    # A plain Autoencoder records no terms; add one as a penalised variant would.
    assert font_ae.objective_curves_ == {}
    font_ae.objective_curves_ = {"kl": [0.5] * font_ae.n_iter_}
    try:
        disp = LossCurveDisplay.from_estimator(font_ae)
        assert sorted(disp.lines_) == ["kl", "training loss"]
        np.testing.assert_allclose(disp.lines_["kl"].get_ydata(), 0.5)
        assert list(LossCurveDisplay.from_estimator(font_ae, terms=None).lines_) == [
            "training loss"
        ]
        with pytest.raises(ValueError, match="Unknown objective terms"):
            LossCurveDisplay.from_estimator(font_ae, terms=["sparsity"])
        with pytest.raises(ValueError, match="terms must be"):
            LossCurveDisplay.from_estimator(font_ae, terms="some")
    finally:
        font_ae.objective_curves_ = {}


def test_loss_curve_display_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(Autoencoder())


def test_displays_name_matplotlib_when_missing(monkeypatch, font, font_ae):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="matplotlib"):
        LatentSpaceDisplay.from_estimator(font_ae, font.data)
    with pytest.raises(ImportError, match="matplotlib"):
        LossCurveDisplay([1.0, 0.5]).plot()


def test_outlier_score_display_draws_groups_and_the_threshold():
    from sklearn_ae import Autoencoder, AutoencoderOutlierDetector
    from sklearn_ae.plotting import OutlierScoreDisplay

    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    X[:10] += 4
    det = AutoencoderOutlierDetector(
        Autoencoder(hidden_layer_sizes=(8,), max_iter=10), contamination=0.1, random_state=0
    ).fit(X)
    y = np.r_[np.ones(10), np.zeros(110)]
    disp = OutlierScoreDisplay.from_estimator(det, X, y)
    assert disp.line_.get_xdata()[0] == det.offset_
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert labels == ["0.0", "1.0", "threshold"]
    with pytest.raises(ValueError, match="y has 3 labels for 120 rows"):
        OutlierScoreDisplay.from_estimator(det, X, y[:3])
    plt.close("all")
