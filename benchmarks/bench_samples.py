"""How diverse and how realistic every estimator's ``sample`` is, on digits.

k-NN precision and recall (``_samples.knn_precision_recall``, k=3) of 597
generated digits against the 597 held-out digits of a seeded 1,200 / 597
split of ``load_digits`` (pixels / 16), in a 40-component PCA fitted on the
1,200 training digits. Precision: the share of samples that look like some
real digit; recall: the share of real digits the samples come close to
(low when the samples all look alike). References in the same run: a
Gaussian mixture of the pixels (10 full-covariance components), which
memorises little and covers much, and the training digits themselves. The
mixture's samples are draws of x, noise included; the autoencoders' are
decoded means (clean pictures), except for the VAE's ``noise=True`` row,
draws of x from its ``p(x|z)``, the like-for-like comparison.

Run ``python benchmarks/bench_samples.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from _common import print_table, quick_run_args
from _samples import knn_precision_recall
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)


def generators(quick):
    epochs = {"max_iter": 5} if quick else {}
    yield "GaussianMixture(10, full) on pixels", None
    yield "VariationalAutoencoder() (defaults)", VariationalAutoencoder(**epochs)
    yield "VariationalAutoencoder(), noise=True", ({"noise": True}, VariationalAutoencoder(**epochs))
    yield 'VariationalAutoencoder(), method="mixture"', (
        {"method": "mixture"}, VariationalAutoencoder(**epochs))
    yield 'VariationalAutoencoder(), method="prior"', (
        {"method": "prior"}, VariationalAutoencoder(**epochs))
    yield "VariationalAutoencoder(n_components=2)", VariationalAutoencoder(n_components=2, **epochs)
    yield "VariationalAutoencoder(n_components=8)", VariationalAutoencoder(n_components=8, **epochs)
    for cls in (Autoencoder, DenoisingAutoencoder, SparseAutoencoder, ContractiveAutoencoder):
        yield f"{cls.__name__}(n_components=8)", cls(n_components=8, **epochs)


def main(argv=None):
    args = quick_run_args(__doc__, "smoke test: few epochs", argv)
    X = load_digits().data / 16.0
    X_train, X_test = train_test_split(X, train_size=1200, random_state=0)
    pca = PCA(40, random_state=0).fit(X_train)
    real = pca.transform(X_test)
    copy = pca.transform(X_train[: len(X_test)])  # real digits as "samples"
    rows = [["597 training digits (real)", *knn_precision_recall(real, copy), "-"]]
    for name, model in generators(args.quick):
        start = time.perf_counter()
        if model is None:
            mixture = GaussianMixture(10, covariance_type="full", random_state=0).fit(X_train)
            samples = mixture.sample(len(X_test))[0]
        else:
            kwargs, est = model if isinstance(model, tuple) else ({}, model)
            est.set_params(random_state=0).fit(X_train)
            samples = est.sample(len(X_test), random_state=0, **kwargs)
        seconds = time.perf_counter() - start
        rows.append([name, *knn_precision_recall(real, pca.transform(samples)), seconds])
    print("597 samples against 597 held-out digits, k=3, 40-d PCA (1.0 / 1.0 is a perfect match)")
    print_table(rows, ["generator", "precision", "recall", "fit + sample s"])


if __name__ == "__main__":
    main()
