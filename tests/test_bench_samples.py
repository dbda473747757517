"""The k-NN precision and recall that benchmarks/bench_samples.py reports."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _samples import knn_precision_recall  # noqa: E402


def test_a_copy_scores_one_and_far_points_zero():
    X = np.random.RandomState(0).normal(size=(300, 5))
    assert knn_precision_recall(X, X.copy()) == (1.0, 1.0)
    assert knn_precision_recall(X, X + 100.0) == (0.0, 0.0)


def test_collapsed_samples_are_precise_but_do_not_cover_the_data():
    rng = np.random.RandomState(0)
    real = rng.normal(size=(400, 4))
    collapsed = rng.normal(scale=0.01, size=(400, 4))  # all near one real mode
    precision, recall = knn_precision_recall(real, collapsed)
    assert precision > 0.9 and recall < 0.1
    spread = rng.normal(scale=3.0, size=(400, 4))  # covers, but off the data
    precision, recall = knn_precision_recall(real, spread)
    assert precision < 0.6 and recall > 0.9
    fresh = rng.normal(size=(400, 4))  # another draw of the same law
    precision, recall = knn_precision_recall(real, fresh)
    assert precision > 0.8 and recall > 0.8
