"""Outlier detection: ROC AUC of AutoencoderOutlierDetector against baselines.

Two tasks, each trained on normal rows only (a held-out test split of the
normal rows plus all anomalies is scored) and with 10% anomalies mixed into
the training rows: digits (class 9 as anomalies among 0-8, pixels scaled to
[0, 1]) and breast cancer (malignant as anomalies, standardised on the
training rows). Baselines in the same run: IsolationForest,
LocalOutlierFactor (novelty=True), and PCA reconstruction error at its best
component count on the test split (an optimistic baseline), and pyod's
AutoEncoder with its defaults when pyod is installed. Prints the median over
seeds.

Run ``python benchmarks/bench_outliers.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause


import numpy as np
from _common import print_table, quick_run_args
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderOutlierDetector, VariationalAutoencoder


def tasks():
    X, y = load_digits(return_X_y=True)
    yield "digits (9 vs 0-8)", X / 16.0, y == 9, False
    data = load_breast_cancer()
    yield "breast cancer (malignant)", data.data, data.target == 0, True


def split(X, is_anomaly, seed, contaminate, standardise):
    normal, anomalies = X[~is_anomaly], X[is_anomaly]
    n_train, n_test = train_test_split(normal, test_size=0.3, random_state=seed)
    a_train, a_test = train_test_split(anomalies, test_size=0.5, random_state=seed)
    train = n_train
    if contaminate:
        n_extra = int(round(0.1 / 0.9 * len(n_train)))
        train = np.vstack([n_train, a_train[:n_extra]])
    test = np.vstack([n_test, a_test])
    labels = np.r_[np.zeros(len(n_test)), np.ones(len(a_test))]
    if standardise:
        scaler = StandardScaler().fit(train)
        train, test = scaler.transform(train), scaler.transform(test)
    return train, test, labels


def pca_best(train, test, labels):
    best = 0.0
    for k in range(1, min(train.shape) - 1):
        pca = PCA(k).fit(train)
        error = ((pca.inverse_transform(pca.transform(test)) - test) ** 2).mean(axis=1)
        best = max(best, roc_auc_score(labels, error))
    return best


def pyod_autoencoder(train, test, labels, seed):
    """pyod's AutoEncoder with its defaults, when pyod is installed (else None)."""
    try:
        from pyod.models.auto_encoder import AutoEncoder
    except ImportError:
        return None
    model = AutoEncoder(random_state=seed, verbose=0).fit(train)
    return roc_auc_score(labels, model.decision_function(test))  # higher = more abnormal


def run(seeds):
    rows = []
    for name, X, is_anomaly, standardise in tasks():
        for contaminate in (False, True):
            results = {}
            for seed in seeds:
                train, test, labels = split(X, is_anomaly, seed, contaminate, standardise)
                models = {
                    "AE detector (defaults)": AutoencoderOutlierDetector(random_state=seed),
                    "AE, not robust": AutoencoderOutlierDetector(robust=False, random_state=seed),
                    "AE, plain MSE score": AutoencoderOutlierDetector(
                        calibrate=False, random_state=seed
                    ),
                    "VAE detector": AutoencoderOutlierDetector(
                        VariationalAutoencoder(n_components=4, early_stopping=True),
                        random_state=seed,
                    ),
                }
                for model_name, model in models.items():
                    model.fit(train)
                    auc = roc_auc_score(labels, -model.score_samples(test))
                    results.setdefault(model_name, []).append(auc)
                forest = IsolationForest(random_state=seed).fit(train)
                results.setdefault("IsolationForest", []).append(
                    roc_auc_score(labels, -forest.score_samples(test))
                )
                lof = LocalOutlierFactor(novelty=True).fit(train)
                results.setdefault("LocalOutlierFactor", []).append(
                    roc_auc_score(labels, -lof.score_samples(test))
                )
                results.setdefault("PCA error, best k", []).append(pca_best(train, test, labels))
                pyod_auc = pyod_autoencoder(train, test, labels, seed)
                if pyod_auc is not None:
                    results.setdefault("pyod AutoEncoder (defaults)", []).append(pyod_auc)
            for model_name, aucs in results.items():
                rows.append(
                    [name, "10% in train" if contaminate else "clean", model_name,
                     float(np.median(aucs)), float(np.min(aucs)), float(np.max(aucs))]
                )
    print_table(rows, ["task", "training rows", "model", "median AUC", "min", "max"])


def main(argv=None):
    args = quick_run_args(__doc__, "one seed", argv)
    run([0] if args.quick else [0, 1, 2])


if __name__ == "__main__":
    main()
