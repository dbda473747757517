"""What a newcomer sees: progress output, and errors for the first mistakes."""

import re
import warnings

import numpy as np
import pytest

from sklearn_ae import (
    Autoencoder,
    AutoencoderClassifier,
    AutoencoderOutlierDetector,
    DenoisingAutoencoder,
)

ANSI = re.compile(r"\x1b\[")


def test_verbose_output_off_a_terminal_has_no_escape_codes(capsys):
    X = np.random.RandomState(0).normal(size=(60, 5))
    Autoencoder(max_iter=3, verbose=1, early_stopping=True, random_state=0).fit(X)
    out = capsys.readouterr().out  # captured: not a terminal
    assert "train_loss" in out and "valid_loss" in out
    assert not ANSI.search(out)


def test_pretraining_stages_are_named(capsys):
    X = np.random.RandomState(0).normal(size=(60, 6))
    Autoencoder(n_components=2, hidden_layer_sizes=(4,), pretraining="layerwise",
                max_iter=2, verbose=1, random_state=0).fit(X)
    out = capsys.readouterr().out
    assert "layer-wise pretraining, stage 1 of 2 (6 -> 4)" in out
    assert "layer-wise pretraining, stage 2 of 2 (4 -> 2)" in out
    assert "fine-tuning the whole network" in out
    assert out.index("stage 1 of 2") < out.index("stage 2 of 2") < out.index("fine-tuning")


def test_meta_estimators_name_their_inner_fits(capsys):
    X = np.random.RandomState(0).normal(size=(60, 5))
    inner = DenoisingAutoencoder(n_components=2, hidden_layer_sizes=(4,), max_iter=2, verbose=1)
    AutoencoderOutlierDetector(inner, random_state=0).fit(X)
    assert "AutoencoderOutlierDetector: training the inner DenoisingAutoencoder" in (
        capsys.readouterr().out
    )
    y = (X[:, 0] > 0).astype(int)
    inner = Autoencoder(n_components=2, hidden_layer_sizes=(4,), max_iter=2, verbose=1)
    AutoencoderClassifier(inner, max_iter=2, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "pretraining the Autoencoder on all 60 rows" in out
    assert "fine-tuning the encoder and the head on 60 labelled rows" in out


def test_verbose_2_reports_progress_within_an_epoch(capsys, monkeypatch):
    from sklearn_ae._callbacks import BatchProgress

    monkeypatch.setattr(BatchProgress, "interval", 0.0)  # a line at every batch
    X = np.random.RandomState(0).normal(size=(64, 5))
    Autoencoder(max_iter=2, batch_size=16, verbose=2, random_state=0).fit(X)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "rows/s" in ln]
    assert any(ln.strip().startswith("epoch 2: 4 batches, 64 rows") for ln in lines), lines


def test_verbose_2_saves_nothing_extra():
    import skops.io as sio

    X = np.random.RandomState(0).normal(size=(40, 5))
    est = Autoencoder(max_iter=1, verbose=2, random_state=0).fit(X)
    untrusted = sio.get_untrusted_types(data=sio.dumps(est))
    assert all(t.startswith("sklearn_ae.") for t in untrusted), untrusted


# ---------------------------------------------------------------------------
# Edge cases a newcomer meets first
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [Autoencoder, AutoencoderOutlierDetector])
def test_one_row_is_refused_as_pca_refuses_it(cls):
    X = np.random.RandomState(0).normal(size=(1, 5))
    with pytest.raises(ValueError, match=f"1 sample.*minimum of 2 is required by {cls.__name__}"):
        cls().fit(X)


def test_an_error_of_a_default_inner_estimator_names_that_default(monkeypatch):
    det = AutoencoderOutlierDetector()
    monkeypatch.setattr(
        AutoencoderOutlierDetector, "_default_estimator",
        lambda self: Autoencoder(early_stopping=True, validation_fraction=0.9),
    )
    X = np.random.RandomState(0).normal(size=(2, 4))
    with pytest.raises(ValueError, match="early_stopping=True needs") as info:
        det.fit(X)
    message = str(info.value)
    assert "AutoencoderOutlierDetector's default" in message and "estimator=None" in message
    assert "validation_fraction=0.9" in message  # the default's repr names its settings


@pytest.mark.parametrize("where", ["fit", "transform"])
def test_nan_gets_the_same_hint_at_fit_and_at_transform(where):
    X = np.random.RandomState(0).normal(size=(20, 4))
    bad = X.copy()
    bad[3, 2] = np.nan
    est = Autoencoder(max_iter=1, random_state=0)
    if where == "transform":
        est.fit(X)
    with pytest.raises(ValueError, match="contains NaN. Impute or drop missing values first"):
        getattr(est, where)(bad)


@pytest.mark.parametrize("n_features, shape", [(3072, (3, 32, 32)), (3 * 64, (3, 8, 8))])
def test_likely_colour_images_without_image_shape_warn(n_features, shape):
    X = np.random.RandomState(0).uniform(size=(4, n_features))
    est = Autoencoder(architecture="conv", hidden_layer_sizes=(2,), max_iter=1, random_state=0)
    with pytest.warns(UserWarning, match=re.escape(f"image_shape={shape}")):
        est.fit(X)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*image_shape is None")
        est.set_params(image_shape=shape).fit(X)  # set: no warning
        Autoencoder(architecture="conv", hidden_layer_sizes=(2,), max_iter=1).fit(X[:, :49])


def test_a_default_inner_estimators_divergence_stays_a_divergence_error(monkeypatch):
    from sklearn_ae import DivergenceError

    def diverge(self, X, y=None):
        raise DivergenceError("the training loss became NaN at epoch 3")

    monkeypatch.setattr(Autoencoder, "fit", diverge)
    X = np.random.RandomState(0).normal(size=(20, 4))
    with pytest.raises(DivergenceError, match="epoch 3.*AutoencoderOutlierDetector's default"):
        AutoencoderOutlierDetector().fit(X)


def test_the_likely_image_warning_comes_once_a_fit():
    X = np.random.RandomState(0).uniform(size=(4, 3 * 64))
    est = Autoencoder(architecture="conv", hidden_layer_sizes=(2,), max_iter=1, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X)
        est.set_params(warm_start=True).fit(X)  # continuing: no second warning
    assert len([w for w in record if "image_shape is None" in str(w.message)]) == 1
