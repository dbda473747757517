"""AutoencoderClassifier / AutoencoderRegressor: pretrain on all rows, fine-tune on labels."""

import pickle

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_ae import Autoencoder, AutoencoderClassifier, AutoencoderRegressor

INNER = Autoencoder(n_components=4, hidden_layer_sizes=(16,), max_iter=20)


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    centers = rng.normal(scale=4, size=(3, 6))
    y = np.repeat(np.arange(3), 60)
    return centers[y] + rng.normal(size=(180, 6)), y


def test_unlabelled_rows_are_used_for_pretraining_only(blobs, monkeypatch):
    X, y = blobs
    seen = {}
    original = Autoencoder.fit

    def spy(self, X, y=None):
        seen["pretrain_rows"] = len(X)
        return original(self, X, y)

    monkeypatch.setattr(Autoencoder, "fit", spy)
    y_semi = np.where(np.arange(len(y)) % 5 == 0, y, -1)
    clf = AutoencoderClassifier(INNER, unlabeled_value=-1, random_state=0).fit(X, y_semi)
    assert seen["pretrain_rows"] == 180
    assert list(clf.classes_) == [0, 1, 2]  # -1 is not a class
    assert clf.score(X, y) > 0.9
    # Without unlabeled_value, -1 is a class like any other.
    clf = AutoencoderClassifier(INNER, random_state=0).fit(X, np.where(y == 0, -1, y))
    assert list(clf.classes_) == [-1, 1, 2]
    with pytest.raises(ValueError, match="no labelled row"):
        AutoencoderClassifier(INNER, unlabeled_value=-1).fit(X, np.full(len(y), -1))


def test_string_labels_proba_and_codes(blobs):
    X, y = blobs
    names = np.array(["ant", "bee", "cat"])[y]
    clf = AutoencoderClassifier(INNER, random_state=0).fit(X, names)
    assert set(clf.predict(X)) <= set(names)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-10)
    assert clf.transform(X).shape == (180, 4)
    np.testing.assert_array_equal(clf.transform(X), clf.estimator_.transform(X))


def test_freeze_encoder_keeps_the_pretrained_codes(blobs):
    X, y = blobs
    frozen = AutoencoderClassifier(INNER, freeze_encoder=True, random_state=0).fit(X, y)
    pretrained = clone(INNER).set_params(random_state=frozen.estimator_.random_state).fit(X)
    np.testing.assert_array_equal(frozen.transform(X), pretrained.transform(X))
    tuned = AutoencoderClassifier(INNER, random_state=0).fit(X, y)
    assert not np.array_equal(tuned.transform(X), pretrained.transform(X))


def test_regressor_multi_output_and_nan_as_unlabelled(blobs):
    X, _ = blobs
    Y = np.c_[X[:, 0] + X[:, 1], X[:, 2] * 2]
    reg = AutoencoderRegressor(INNER, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (180, 2)
    assert reg.score(X, Y) > 0.5
    Y_semi = Y.copy()
    Y_semi[::2] = np.nan
    semi = AutoencoderRegressor(INNER, unlabeled_value=np.nan, random_state=0).fit(X, Y_semi)
    assert np.isfinite(semi.predict(X)).all()
    with pytest.raises(ValueError, match="NaN"):
        AutoencoderRegressor(INNER).fit(X, Y_semi)


def test_grid_search_pickle_and_skops(blobs):
    X, y = blobs
    search = GridSearchCV(
        AutoencoderClassifier(INNER, max_iter=30, random_state=0),
        {"estimator__n_components": [2, 4]},
        cv=2,
    ).fit(X, y)
    clf = search.best_estimator_
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    blob = sio.dumps(clf)
    untrusted = sio.get_untrusted_types(data=blob)
    assert all(t.startswith("sklearn_ae.") for t in untrusted), untrusted
    np.testing.assert_array_equal(sio.loads(blob, trusted=untrusted).predict_proba(X), expected)
