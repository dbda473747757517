"""Outlier detection: ROC AUC of AutoencoderOutlierDetector against baselines.

Three protocols.

ADBench (unsupervised): the ten "Classical" tabular sets of
``shared/data/adbench`` (next to the repository; skipped with a message when
absent), each split 70/30 stratified on the label (``random_state=seed``),
standardised on the training rows, every detector fitted on the training rows
with their anomalies and without labels, ROC AUC on the test rows. Baselines:
IsolationForest (defaults), LocalOutlierFactor (novelty=True, defaults), PCA's
reconstruction error keeping the components that explain 90% of the training
rows' variance (chosen without labels), and pyod's ECOD and AutoEncoder
(defaults) when pyod is installed. Prints each set's mean AUC over the seeds,
the mean AUC and the mean rank over sets x seeds (1 = best), and the total fit
time of the detector over IsolationForest's, measured in this process (after
one warm-up fit, so that torch's start-up is not counted).

One-class digits: each digit in turn is the normal class; the detector trains
on 70% of its rows, and the test rows are its other 30% plus every other
digit's rows as anomalies (pixels / 16). Baseline: PCA's reconstruction error
at its best component count on the test rows (an optimistic baseline).
The same on 28x28 images (``one_class_images``): the 8x8 digits split in
halves, each half augmented (up-sampled, rotated, shifted) into 2,000
training images of the normal digit and 300 test images of every digit.

Then the two earlier tasks, each trained on normal rows only (a held-out test split of the
normal rows plus all anomalies is scored) and with 10% anomalies mixed into
the training rows: digits (class 9 as anomalies among 0-8, pixels scaled to
[0, 1]) and breast cancer (malignant as anomalies, standardised on the
training rows). Baselines in the same run: IsolationForest,
LocalOutlierFactor (novelty=True), and PCA reconstruction error at its best
component count on the test split (an optimistic baseline), and pyod's
AutoEncoder with its defaults when pyod is installed. Prints the median over
seeds.

Run ``python benchmarks/bench_outliers.py`` (``--quick`` for a smoke test:
one seed, three small ADBench sets, two digits).
"""

# SPDX-License-Identifier: BSD-3-Clause


import time
from pathlib import Path

import numpy as np
from _common import print_table, quick_run_args
from scipy.stats import rankdata
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


def run(seeds, quick=False):
    rows = []
    for name, X, is_anomaly, standardise in tasks():
        for contaminate in (False,) if quick else (False, True):
            results = {}
            for seed in seeds:
                train, test, labels = split(X, is_anomaly, seed, contaminate, standardise)
                models = {
                    "AE detector (defaults)": AutoencoderOutlierDetector(random_state=seed),
                    "AE only (density=False)": AutoencoderOutlierDetector(
                        density=False, random_state=seed
                    ),
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


ADBENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "adbench"
QUICK_SETS = ("14_glass", "45_wine", "29_Pima")


def pca_error_90(train, test):
    """PCA's reconstruction error with the components of 90% of the variance."""
    pca = PCA(0.9, svd_solver="full").fit(train)
    return ((pca.inverse_transform(pca.transform(test)) - test) ** 2).sum(axis=1)


def adbench_detectors(seed):
    """name -> fit(train) -> outlier score of test rows (higher = more abnormal)."""
    def sklearn_style(make):
        def fit(train):
            model = make().fit(train)
            return lambda test: -model.score_samples(test)
        return fit

    detectors = {
        "AE detector (defaults)": sklearn_style(
            lambda: AutoencoderOutlierDetector(random_state=seed)),
        "AE only (density=False)": sklearn_style(
            lambda: AutoencoderOutlierDetector(density=False, random_state=seed)),
        "IsolationForest": sklearn_style(lambda: IsolationForest(random_state=seed)),
        "LocalOutlierFactor": sklearn_style(lambda: LocalOutlierFactor(novelty=True)),
        "PCA error (90% var.)": lambda train: lambda test: pca_error_90(train, test),
    }
    try:
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.ecod import ECOD
    except ImportError:
        return detectors
    def pyod_style(make):
        def fit(train):
            model = make().fit(train)
            return model.decision_function  # higher = more abnormal
        return fit

    detectors["pyod ECOD"] = pyod_style(ECOD)
    detectors["pyod AutoEncoder"] = pyod_style(lambda: AutoEncoder(random_state=seed, verbose=0))
    return detectors


def adbench(seeds, quick):
    paths = sorted(ADBENCH.glob("*.npz"), key=lambda p: int(p.stem.split("_")[0]))
    if quick:
        paths = [p for p in paths if p.stem in QUICK_SETS]
    if not paths:
        print(f"ADBench: no data in {ADBENCH}, skipped.\n")
        return
    try:
        import pyod  # noqa: F401
    except ImportError:
        print("ADBench: pyod is not installed, its ECOD and AutoEncoder are skipped.\n")
    warm = np.random.RandomState(0).normal(size=(64, 4))
    AutoencoderOutlierDetector(random_state=0).fit(warm)  # torch's start-up, once
    aucs, fit_times = {}, {}
    for path in paths:
        data = np.load(path)
        X, y = data["X"].astype(np.float64), data["y"].astype(int)
        for seed in seeds:
            train, test, _, labels = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            scaler = StandardScaler().fit(train)
            train, test = scaler.transform(train), scaler.transform(test)
            for name, fit in adbench_detectors(seed).items():
                start = time.perf_counter()
                score = fit(train)
                fit_times[name] = fit_times.get(name, 0.0) + time.perf_counter() - start
                aucs.setdefault(name, {}).setdefault(path.stem, []).append(
                    roc_auc_score(labels, score(test))
                )
    names = list(aucs)
    sets = [p.stem for p in paths]
    # rank per (set, seed), 1 = best, ties averaged
    table = np.array([[aucs[n][s][i] for n in names] for s in sets for i in range(len(seeds))])
    ranks = np.apply_along_axis(lambda row: rankdata(-row), 1, table)
    rows = [[s, *[float(np.mean(aucs[n][s])) for n in names]] for s in sets]
    rows.append(["mean AUC", *[float(np.mean(table[:, j])) for j in range(len(names))]])
    rows.append(["mean rank", *[float(np.mean(ranks[:, j])) for j in range(len(names))]])
    ratio = fit_times["AE detector (defaults)"] / fit_times["IsolationForest"]
    rows.append(["fit time / IF", *[fit_times[n] / fit_times["IsolationForest"] for n in names]])
    print(f"ADBench, unsupervised protocol: mean ROC AUC over seeds {list(seeds)}")
    print_table(rows, ["set", *names])
    print(f"Fit time over the sets: {fit_times['AE detector (defaults)']:.1f} s, "
          f"{ratio:.2f}x IsolationForest's {fit_times['IsolationForest']:.1f} s.\n")


def one_class_digits(digits, seed=0):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rows = []
    for digit in digits:
        normal, others = X[y == digit], X[y != digit]
        train, held_out = train_test_split(normal, test_size=0.3, random_state=seed)
        test = np.vstack([held_out, others])
        labels = np.r_[np.zeros(len(held_out)), np.ones(len(others))]
        ours = AutoencoderOutlierDetector(random_state=seed).fit(train)
        ae_only = AutoencoderOutlierDetector(density=False, random_state=seed).fit(train)
        forest = IsolationForest(random_state=seed).fit(train)
        rows.append([
            str(digit),
            roc_auc_score(labels, -ours.score_samples(test)),
            roc_auc_score(labels, -ae_only.score_samples(test)),
            roc_auc_score(labels, -forest.score_samples(test)),
            pca_best(train, test, labels),
        ])
    rows.append(["mean", *[float(np.mean([r[j] for r in rows])) for j in range(1, 5)]])
    print("One-class digits (one digit normal, the others anomalies): ROC AUC")
    print_table(rows, ["digit", "AE detector (defaults)", "AE only (density=False)",
                       "IsolationForest", "PCA error, best k"])


def one_class_images(digits, n_train, n_test_per_class, seed=0):
    """One-class protocol on 28x28 images: each digit's augmented images normal.

    The 8x8 digits are split in halves first (stratified), then each half is
    augmented (``bench_deep.augmented_digits``: up-sampled, rotated, shifted),
    so that no test image comes from a training image: ``n_train`` images of
    the digit to train on, ``n_test_per_class`` of every digit to score. PCA's
    best component count is searched over 4, 8, 16, 32 and 64.
    """
    from bench_deep import augmented_digits

    X, y = load_digits(return_X_y=True)
    X_a, X_b, y_a, y_b = train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)
    test = np.vstack([
        augmented_digits(X_b[y_b == c], n_test_per_class, 100 + c) for c in range(10)
    ])
    classes = np.repeat(np.arange(10), n_test_per_class)
    rows = []
    for digit in digits:
        train = augmented_digits(X_a[y_a == digit], n_train, digit)
        labels = classes != digit
        ours = AutoencoderOutlierDetector(random_state=seed).fit(train)
        ae_only = AutoencoderOutlierDetector(density=False, random_state=seed).fit(train)
        forest = IsolationForest(random_state=seed).fit(train)
        best = 0.0
        for k in (4, 8, 16, 32, 64):
            pca = PCA(k).fit(train)
            error = ((pca.inverse_transform(pca.transform(test)) - test) ** 2).mean(axis=1)
            best = max(best, roc_auc_score(labels, error))
        rows.append([
            str(digit),
            roc_auc_score(labels, -ours.score_samples(test)),
            roc_auc_score(labels, -ae_only.score_samples(test)),
            roc_auc_score(labels, -forest.score_samples(test)),
            best,
        ])
    rows.append(["mean", *[float(np.mean([r[j] for r in rows])) for j in range(1, 5)]])
    print(f"One-class 28x28 digit images ({n_train} training images of one digit, "
          f"{n_test_per_class} test images of each): ROC AUC")
    print_table(rows, ["digit", "AE detector (defaults)", "AE only (density=False)",
                       "IsolationForest", "PCA error, best k"])


def main(argv=None):
    args = quick_run_args(__doc__, "one seed, three ADBench sets, two digits", argv)
    seeds = [0] if args.quick else [0, 1, 2]
    adbench(seeds, args.quick)
    one_class_digits([0, 8] if args.quick else range(10))
    if args.quick:
        one_class_images([8], n_train=200, n_test_per_class=30)
    else:
        one_class_images(range(10), n_train=2000, n_test_per_class=300)
    run(seeds, args.quick)


if __name__ == "__main__":
    main()
