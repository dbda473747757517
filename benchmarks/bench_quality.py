"""Quality and time against PCA, MLPRegressor as an autoencoder, and pyod.

Two data sets, each split into training and held-out rows:

* digits (``load_digits`` / 16, 8 components): held-out reconstruction
  error on the digits seen in training, and the ROC AUC of the
  per-sample reconstruction error at telling an unseen digit (the 7s,
  left out of training) from the held-out seen ones;
* an S-curve (``make_s_curve``, a 2-D surface, linearly embedded in 30
  dimensions, 2 components): held-out reconstruction error, where a linear
  projection cannot follow the curve.

Contenders: ``PCA``; ``Autoencoder``; ``MLPRegressor`` fitted with
``fit(X, X)`` through a bottleneck of the same width (reconstruction only: it
has no ``transform``); and, when installed, pyod's ``AutoEncoder`` (an outlier
detector, so only the AUC). Times are wall-clock seconds of one ``fit``.

Run ``python benchmarks/bench_quality.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import inspect
import time
import warnings

import numpy as np
import torch
from _common import machine, print_table
from sklearn.datasets import load_digits, make_s_curve
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

from sklearn_ae import Autoencoder


def digits_task(rng):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    seen, unseen = X[y != 7], X[y == 7]
    X_train, X_test = train_test_split(seen, test_size=0.25, random_state=rng)
    return "digits, 8 components", X_train, X_test, unseen, 8


def s_curve_task(rng):
    points, _ = make_s_curve(n_samples=3000, noise=0.02, random_state=rng)
    X = points @ rng.normal(size=(3, 30))
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=rng)
    return "S-curve in 30-D, 2 components", X_train, X_test, None, 2


class Reconstructor:
    """One contender: how to fit it and how to get per-sample errors."""

    def __init__(self, name, make, errors):
        self.name, self.make, self.errors = name, make, errors


def pca_errors(model, X):
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2, axis=1)


def ae_errors(model, X):
    return -model.score_samples(X)


def mlp_errors(model, X):
    return np.mean((model.predict(X) - X) ** 2, axis=1)


def pyod_contender(n_components, epochs):
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyodAutoEncoder
    except ImportError:
        return None
    wanted = dict(
        hidden_neuron_list=[64, n_components, 64],
        epoch_num=epochs,
        epochs=epochs,
        batch_size=200,
        random_state=0,
        verbose=0,
    )
    accepted = inspect.signature(PyodAutoEncoder).parameters
    kwargs = {k: v for k, v in wanted.items() if k in accepted}
    return Reconstructor(
        "pyod AutoEncoder",
        lambda: PyodAutoEncoder(**kwargs),
        lambda model, X: model.decision_function(X),
    )


def contenders(n_components, epochs):
    found = [
        Reconstructor("PCA", lambda: PCA(n_components, random_state=0), pca_errors),
        Reconstructor(
            "Autoencoder",
            lambda: Autoencoder(
                n_components,
                hidden_layer_sizes=(64,),
                max_iter=epochs,
                random_state=0,
            ),
            ae_errors,
        ),
        Reconstructor(
            "MLPRegressor(X -> X)",
            lambda: MLPRegressor(
                hidden_layer_sizes=(64, n_components, 64),
                max_iter=epochs,
                random_state=0,
            ),
            mlp_errors,
        ),
    ]
    pyod = pyod_contender(n_components, epochs)
    return found + ([pyod] if pyod is not None else [])


def evaluate(task, epochs):
    name, X_train, X_test, outliers, n_components = task
    rows = []
    for contender in contenders(n_components, epochs):
        model = contender.make()
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if contender.name.startswith("MLPRegressor"):
                    model.fit(X_train, X_train)
                else:
                    model.fit(X_train)
        except Exception as exc:  # an optional third party may break
            rows.append([name, contender.name, f"failed: {exc}", "", ""])
            continue
        fit_s = time.perf_counter() - start
        errors = contender.errors(model, X_test)
        is_pyod = contender.name.startswith("pyod")
        mse = "n/a" if is_pyod else float(np.mean(errors))
        auc = "n/a"
        if outliers is not None:
            scores = np.concatenate([errors, contender.errors(model, outliers)])
            labels = np.r_[np.zeros(len(errors)), np.ones(len(outliers))]
            auc = float(roc_auc_score(labels, scores))
        rows.append([name, contender.name, mse, auc, fit_s])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few epochs, one data set")
    parser.add_argument("--epochs", type=int, default=200, help="max epochs of the networks")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine(), "\n")
    rng = np.random.RandomState(0)
    tasks = [digits_task(rng)] if args.quick else [digits_task(rng), s_curve_task(rng)]
    epochs = 3 if args.quick else args.epochs
    rows = [row for task in tasks for row in evaluate(task, epochs)]
    print_table(
        rows,
        ["data", "model", "held-out MSE", "unseen-digit AUC", "fit s"],
    )
    try:
        import pyod  # noqa: F401
    except ImportError:
        print("pyod is not installed: its AutoEncoder was skipped.")


if __name__ == "__main__":
    main()
