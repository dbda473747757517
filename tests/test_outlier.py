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
    # 8 codes, capped at half the 6 features
    assert isinstance(det.estimator_, Autoencoder) and det.estimator_.n_components == 3
    wide = np.random.RandomState(1).normal(size=(60, 40))
    assert AutoencoderOutlierDetector(random_state=0).fit(wide).estimator_.n_components == 8
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
