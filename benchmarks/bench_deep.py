"""The deep autoencoder of Hinton & Salakhutdinov (2006) against PCA, by penalty and loss.

Their 784-1000-500-250-30 autoencoder of 28x28 digit images reached a test
error of 3.00 (squared error per image, summed over pixels) against
PCA(30)'s 13.87. Here the same network, ``Autoencoder(n_components=30,
hidden_layer_sizes=(1000, 500, 250))``, is trained on digits that can be
made anywhere: scikit-learn's 8x8 digits up-sampled to 28x28 (bilinear) and
augmented with random shifts of up to 2 pixels and rotations of up to 10
degrees, values in [0, 1] (``--rows`` training rows, 1,000 test rows made
from held-out digits only). Each model is trained once and scored after 10,
40 and 80 epochs (``warm_start`` continues the same fit), for:

* the defaults (``alpha=1e-4`` on ``MLPRegressor``'s scale) and ``alpha=0``:
  the penalty must not hold long training back;
* ``loss="bce"`` (its encoder reads standardised rows, its target is the
  pixels) against the squared error, at equal epochs.

A second table shows where ``alpha`` regularises: an over-complete model
(256 hidden units, 64-unit code) trained long (400 epochs) on 150 digits,
held-out squared error per image over a grid of ``alpha``.

Run ``python benchmarks/bench_deep.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from _common import print_table, quick_run_args
from scipy.ndimage import rotate, shift, zoom
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sklearn_ae import Autoencoder

CHECKPOINTS = (10, 40, 80)


def augmented_digits(digits, n_rows, seed):
    """``n_rows`` 28x28 images in [0, 1] from 8x8 ``digits`` (values 0-16)."""
    rng = np.random.RandomState(seed)
    big = zoom(digits.reshape(-1, 8, 8) / 16.0, (1, 3.5, 3.5), order=1)
    out = np.empty((n_rows, 28, 28))
    for i in range(n_rows):
        image = big[rng.randint(len(big))]
        image = rotate(image, rng.uniform(-10, 10), reshape=False, order=1)
        out[i] = shift(image, rng.uniform(-2, 2, size=2), order=1)
    return np.clip(out, 0, 1).reshape(n_rows, -1)


def per_image_error(est, X):
    return float(((est.inverse_transform(est.transform(X)) - X) ** 2).sum(axis=1).mean())


def curve(X_train, X_test, checkpoints, **params):
    """Test error per image after each checkpoint's epochs (one fit, continued)."""
    est = Autoencoder(
        n_components=30, hidden_layer_sizes=(1000, 500, 250), warm_start=True,
        random_state=0, **params,
    )
    errors, done, start = [], 0, time.perf_counter()
    for epochs in checkpoints:
        est.set_params(max_iter=epochs - done).fit(X_train)
        done = epochs
        errors.append(per_image_error(est, X_test))
    return errors, time.perf_counter() - start


def deep_table(X_train, X_test, checkpoints):
    pca = PCA(30).fit(X_train)
    pca_error = float(((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1).mean())
    rows = [["PCA(30)"] + [pca_error] * len(checkpoints) + ["-"]]
    results = {}
    for name, params in (
        ("defaults", {}),
        ("alpha=0", {"alpha": 0.0}),
        ('loss="bce"', {"loss": "bce"}),
        ('loss="bce", alpha=0', {"loss": "bce", "alpha": 0.0}),
    ):
        errors, seconds = curve(X_train, X_test, checkpoints, **params)
        results[name] = errors
        rows.append([name, *errors, seconds])
    rows.append(
        ["defaults / alpha=0", *(a / b for a, b in zip(results["defaults"], results["alpha=0"])), "-"]
    )
    rows.append(
        ['"bce" / defaults', *(a / b for a, b in zip(results['loss="bce"'], results["defaults"])), "-"]
    )
    return rows


def alpha_table(X, quick):
    X_train, X_test = train_test_split(X / 16.0, train_size=150, random_state=0)
    rows = []
    for alpha in (0.0, 1e-4, 1e-2, 1.0, 10.0, 100.0, 1000.0):
        est = Autoencoder(
            n_components=64, hidden_layer_sizes=(256,), alpha=alpha,
            max_iter=20 if quick else 400, random_state=0,
        ).fit(X_train)
        weights = sum(float((p.detach() ** 2).sum()) for p in est.net_.module_.parameters())
        rows.append([alpha, per_image_error(est, X_test), per_image_error(est, X_train), weights])
    return rows


def main(argv=None):
    args = quick_run_args(
        __doc__, "smoke test: tiny data and budgets", argv,
        extra=lambda p: p.add_argument("--rows", type=int, default=10000, help="training rows"),
    )
    digits, labels = load_digits(return_X_y=True)
    train_digits, test_digits = train_test_split(digits, test_size=0.3, random_state=0)
    n_rows = 300 if args.quick else args.rows
    X_train = augmented_digits(train_digits, n_rows, seed=0)
    X_test = augmented_digits(test_digits, 100 if args.quick else 1000, seed=1)
    checkpoints = (1, 2) if args.quick else CHECKPOINTS
    print(f"784-1000-500-250-30 on {n_rows} augmented 28x28 digits: test squared error per image")
    print_table(
        deep_table(X_train, X_test, checkpoints),
        ["model", *(f"{e} epochs" for e in checkpoints), "fit s"],
    )
    print("Where alpha regularises: 64-unit code, 256 hidden units, 150 training digits (8x8)")
    print_table(
        alpha_table(digits, args.quick),
        ["alpha", "test error / image", "train error / image", "sum of squared weights"],
    )


if __name__ == "__main__":
    main()
