"""AutoencoderOutlierDetector: the outlier-detector contract and its options."""

import pickle

import numpy as np
import pytest
import skops.io as sio

from sklearn_ae import (
    Autoencoder,
    AutoencoderOutlierDetector,
    DenoisingAutoencoder,
    VariationalAutoencoder,
)

FAST = dict(hidden_layer_sizes=(8,), max_iter=40, n_components=2)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6))
    X[:10] += 5.0  # 5% anomalies
    return X


@pytest.mark.parametrize("inner", [Autoencoder, DenoisingAutoencoder, VariationalAutoencoder])
@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_fit_predict_flags_the_contamination_share(data, inner, contamination):
    det = AutoencoderOutlierDetector(inner(**FAST), contamination=contamination, random_state=0)
    labels = det.fit_predict(data)
    assert abs((labels == -1).sum() - contamination * len(data)) <= 1
    decision = det.decision_function(data)
    np.testing.assert_array_equal(decision < 0, det.predict(data) == -1)
    np.testing.assert_allclose(decision, det.score_samples(data) - det.offset_)
    # pyod's conventions
    np.testing.assert_array_equal(det.labels_, (labels == -1).astype(int))
    np.testing.assert_allclose(det.decision_scores_, -det.score_samples(data))


def test_planted_anomalies_score_lowest_and_auto_flags_some_but_not_all(data):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    scores = det.score_samples(data)
    assert scores[:10].max() < np.sort(scores)[20]
    flagged = det.predict(data) == -1
    assert flagged[:10].all() and 0 < flagged.sum() < len(data)


def test_feature_scores_name_the_features_that_made_a_row_unusual(data):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data[10:])
    row = data[10:11].copy()
    row[0, 3] += 8.0
    scores = det.feature_scores(row)
    assert scores.shape == (1, 6) and scores[0].argmax() == 3
    # Calibrated: about 1 on average for training rows.
    assert 0.5 < det.feature_scores(data[10:]).mean() < 1.5


def test_robust_training_trims_the_inner_loss(data):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), contamination=0.05, random_state=0)
    assert det.fit(data).estimator_.trim_fraction == 0.05
    auto = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    assert auto.estimator_.trim_fraction == 0.1
    plain = AutoencoderOutlierDetector(Autoencoder(**FAST), robust=False, random_state=0)
    assert plain.fit(data).estimator_.trim_fraction == 0.0
    # The estimator passed in is left unfitted and unchanged.
    assert det.estimator.trim_fraction == 0.0 and not hasattr(det.estimator, "net_")


def test_random_state_seeds_the_inner_clone(data):
    a = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=3).fit(data)
    b = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=3).fit(data)
    np.testing.assert_array_equal(a.score_samples(data), b.score_samples(data))
    assert a.estimator_.random_state is not None


def test_set_threshold_targets_a_false_positive_rate(data):
    rng = np.random.RandomState(1)
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    det.set_threshold(rng.normal(size=(400, 6)), false_positive_rate=0.1)
    fpr = np.mean(det.predict(rng.normal(size=(4000, 6))) == -1)
    assert 0.05 < fpr < 0.15
    with pytest.raises(ValueError, match="false_positive_rate"):
        det.set_threshold(data, false_positive_rate=1.5)


@pytest.mark.parametrize("false_positive_rate", [0.01, 0.3])
def test_set_threshold_moves_every_attribute_derived_from_the_threshold(data, false_positive_rate):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    before = det.labels_.copy()
    det.set_threshold(np.random.RandomState(1).normal(size=(400, 6)), false_positive_rate)
    np.testing.assert_array_equal(det.labels_, det.predict(data) == -1)
    assert not np.array_equal(det.labels_, before)  # the threshold did move
    np.testing.assert_allclose(det.decision_scores_, -det.score_samples(data), rtol=1e-6)


def test_the_default_estimator_and_non_autoencoders(data):
    det = AutoencoderOutlierDetector(random_state=0).fit(data)
    # a quarter of the features within [8, 32], capped at half the 6 features
    assert isinstance(det.estimator_, Autoencoder) and det.estimator_.n_components == 3
    wide = np.random.RandomState(1).normal(size=(60, 40))
    assert AutoencoderOutlierDetector(random_state=0).fit(wide).estimator_.n_components == 10
    # a step budget: 180 rows in batches of 32 are 6 steps an epoch, 66 epochs
    assert det.estimator_.max_iter == 400 // 6
    assert det.estimator is None  # the parameter stays untouched
    from sklearn.decomposition import PCA

    with pytest.raises(ValueError, match="must be an autoencoder of sklearn_ae"):
        AutoencoderOutlierDetector(PCA()).fit(data)
    assert not hasattr(det, "transform")


def test_persistence_trusts_only_own_types(data):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    expected = det.score_samples(data)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(det)).score_samples(data), expected)
    blob = sio.dumps(det)
    untrusted = sio.get_untrusted_types(data=blob)
    assert all(t.startswith("sklearn_ae.") for t in untrusted), untrusted
    np.testing.assert_array_equal(sio.loads(blob, trusted=untrusted).score_samples(data), expected)


# ----------------------------------------------------------------------
# The views: autoencoder, isolation forest, neighbours
# ----------------------------------------------------------------------
def test_views_and_their_weights(data):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    assert list(det.view_weight_) == ["reconstruction", "code", "isolation", "nearest", "neighbors"]
    weights = np.array(list(det.view_weight_.values()))
    assert np.isclose(weights.sum(), 1.0) and (weights > 0).all()
    assert det.view_location_.shape == det.view_scale_.shape == (5,)
    assert (det.view_scale_ > 0).all()
    # the planted anomalies are the lowest scores, in fit and in score_samples alike
    scores = det.score_samples(data)
    assert scores[:10].max() < np.sort(scores)[10:].min()
    np.testing.assert_allclose(det.decision_scores_, -scores, rtol=1e-6)
    # max_samples="auto": min(1024, n) rows for the forest and the reference rows
    assert len(det.neighbor_rows_) == len(data)
    small = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=50, random_state=0)
    assert len(small.fit(data).neighbor_rows_) == 50
    share = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=0.5, random_state=0)
    assert len(share.fit(data).neighbor_rows_) == 100
    clipped = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=5000, random_state=0)
    assert len(clipped.fit(data).neighbor_rows_) == len(data)


def test_the_isolation_view_is_scikit_learns_forest(data):
    from sklearn.ensemble import IsolationForest

    from sklearn_ae._outlier import _forest_arrays

    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    for max_samples in (2, 64, 200):
        forest = IsolationForest(max_samples=max_samples, random_state=1).fit(data)
        det.isolation_trees_ = _forest_arrays(forest)
        new = np.random.RandomState(2).normal(size=(30, 6)) * 3
        np.testing.assert_allclose(det._isolation_view(new), -forest.score_samples(new))


def test_the_view_names_follow_the_inner_model_and_calibrate(data):
    plain = AutoencoderOutlierDetector(Autoencoder(**FAST), calibrate=False, random_state=0)
    assert list(plain.fit(data).view_weight_) == ["reconstruction", "isolation", "nearest", "neighbors"]
    vae = AutoencoderOutlierDetector(VariationalAutoencoder(**FAST), random_state=0)
    assert list(vae.fit(data).view_weight_) == ["likelihood", "isolation", "nearest", "neighbors"]


def test_a_training_row_is_left_out_of_its_own_neighbours(data):
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    from sklearn.neighbors import NearestNeighbors

    distances, _ = NearestNeighbors(n_neighbors=21).fit(data).kneighbors(data)
    nearest, neighbors = det._neighbor_views(data)
    np.testing.assert_allclose(nearest, distances[:, 1])
    np.testing.assert_allclose(neighbors, distances[:, 1:].mean(axis=1))
    new = np.random.RandomState(5).normal(size=(20, 6))
    distances, _ = NearestNeighbors(n_neighbors=20).fit(data).kneighbors(new)
    nearest, neighbors = det._neighbor_views(new)
    np.testing.assert_allclose(nearest, distances[:, 0])
    np.testing.assert_allclose(neighbors, distances.mean(axis=1))
    # with fewer reference rows than neighbours, all the others
    few = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=6, random_state=0)
    few.fit(data)
    distances, _ = NearestNeighbors(n_neighbors=5).fit(few.neighbor_rows_).kneighbors(new)
    np.testing.assert_allclose(few._neighbor_views(new)[1], distances.mean(axis=1))


def test_density_off_is_the_autoencoder_score(data):
    on = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    off = AutoencoderOutlierDetector(Autoencoder(**FAST), density=False, random_state=0)
    off.fit(data)
    assert off.view_weight_ == {"reconstruction": 1.0, "code": 1.0}
    for name in ("view_location_", "isolation_trees_", "neighbor_rows_"):
        assert not hasattr(off, name)
    # the same inner model (the views draw their seeds after it) ...
    np.testing.assert_array_equal(
        on.estimator_.transform(data), off.estimator_.transform(data)
    )
    # ... scored as the autoencoder alone: calibrated errors + squared Mahalanobis of the code
    codes = off.estimator_.transform(data)
    centred = codes - off.code_location_
    mahalanobis = np.einsum("ij,jk,ik->i", centred, off.code_precision_, centred)
    expected = -(off.feature_scores(data).sum(axis=1) + mahalanobis) / data.shape[1]
    np.testing.assert_allclose(off.score_samples(data), expected, rtol=1e-6)
    # a refit with density off drops the views of the last fit
    on.set_params(density=False).fit(data)
    np.testing.assert_array_equal(on.score_samples(data), off.score_samples(data))


@pytest.mark.parametrize("density", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_scoring_by_chunks_of_rows_gives_the_whole_scores(data, density, sparse, monkeypatch):
    """A large X is decoded and read dense a chunk of rows at a time, to the same scores."""
    import scipy.sparse as sp

    from sklearn_ae import _outlier

    X = sp.csr_matrix(np.where(np.abs(data) > 0.5, data, 0.0)) if sparse else data
    whole = AutoencoderOutlierDetector(Autoencoder(**FAST), density=density, random_state=0)
    whole.fit(X)
    chunked = []
    real_chunks = AutoencoderOutlierDetector._chunks

    def spy(self, X):  # chunks of 37 rows, counted
        chunks = real_chunks(self, X)
        chunked.append(len(chunks))
        return chunks

    monkeypatch.setattr(_outlier, "SPARSE_CHUNK_VALUES", 37 * data.shape[1])
    monkeypatch.setattr(AutoencoderOutlierDetector, "_chunks", spy)
    by_chunks = AutoencoderOutlierDetector(Autoencoder(**FAST), density=density, random_state=0)
    by_chunks.fit(X)
    assert chunked and min(chunked) == 6  # 200 rows in chunks of 37
    np.testing.assert_allclose(by_chunks.feature_scale_, whole.feature_scale_, rtol=1e-6)
    np.testing.assert_allclose(by_chunks.decision_scores_, whole.decision_scores_, rtol=1e-5)
    np.testing.assert_allclose(by_chunks.score_samples(X), whole.score_samples(X), rtol=1e-6)
    assert by_chunks.offset_ == pytest.approx(whole.offset_, rel=1e-6)


def test_density_auto_follows_the_dense_size(data, monkeypatch):
    from sklearn_ae import _outlier

    monkeypatch.setattr(_outlier, "DENSITY_MAX_CELLS", data.size - 1)
    det = AutoencoderOutlierDetector(Autoencoder(**FAST), random_state=0).fit(data)
    assert list(det.view_weight_) == ["reconstruction", "code"]
    forced = AutoencoderOutlierDetector(Autoencoder(**FAST), density=True, random_state=0)
    assert "isolation" in forced.fit(data).view_weight_


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_samples": 0}, "max_samples"),
        ({"max_samples": 1}, "max_samples"),
        ({"max_samples": 1.5}, "max_samples"),
        ({"max_samples": "all"}, "max_samples"),
        ({"density": "yes"}, "density"),
    ],
)
def test_parameter_validation(data, params, match):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=match):
        AutoencoderOutlierDetector(Autoencoder(**FAST), **params).fit(data)


def test_random_state_makes_the_views_reproducible(data):
    a = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=64, random_state=7)
    b = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=64, random_state=7)
    np.testing.assert_array_equal(a.fit(data).score_samples(data), b.fit(data).score_samples(data))
    assert a.view_weight_ == b.view_weight_
    c = AutoencoderOutlierDetector(Autoencoder(**FAST), max_samples=64, random_state=8)
    assert not np.array_equal(c.fit(data).score_samples(data), a.score_samples(data))


def test_the_default_inner_model_trains_to_its_budget_without_warning():
    """The default autoencoder's epochs are the detector's choice: no ConvergenceWarning."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X = np.random.RandomState(0).normal(size=(300, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        AutoencoderOutlierDetector(random_state=0).fit(X)
    # a user's own autoencoder still warns
    with pytest.warns(ConvergenceWarning):
        AutoencoderOutlierDetector(Autoencoder(max_iter=2, n_components=2), random_state=0).fit(X)
