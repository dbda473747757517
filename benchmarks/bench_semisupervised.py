"""Few labels: AutoencoderClassifier against classifiers of the labelled rows.

Digits (pixels scaled to [0, 1]), a stratified 75/25 split per seed; a
share of the training rows keeps its label (5%, 10%, 100%), the others get
``y = -1``. Compared in the same run, on the same split:

- ``AutoencoderClassifier(unlabeled_value=-1)`` with defaults: pretrained
  on every training row, fine-tuned on the labelled ones;
- ``MLPClassifier`` (defaults) on the labelled rows alone;
- ``LogisticRegression`` on PCA codes (PCA fitted on every training row);
- ``SelfTrainingClassifier(LogisticRegression)`` on every training row.

Prints the mean and median test accuracy over seeds (5 by default), and
each model's margin over the MLP's mean.

Run ``python benchmarks/bench_semisupervised.py`` (``--quick`` for a smoke
test: one seed, 10% only).
"""

# SPDX-License-Identifier: BSD-3-Clause


import numpy as np
from _common import median, print_table, quick_run_args
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.semi_supervised import SelfTrainingClassifier

from sklearn_ae import AutoencoderClassifier


def models(seed):
    return {
        "AutoencoderClassifier": lambda: AutoencoderClassifier(
            unlabeled_value=-1, random_state=seed
        ),
        "MLPClassifier (labelled rows)": lambda: MLPClassifier(random_state=seed),
        "PCA(32) + LogisticRegression": lambda: make_pipeline(
            PCA(32, random_state=seed), LogisticRegression(max_iter=2000)
        ),
        "SelfTraining(LogisticRegression)": lambda: SelfTrainingClassifier(
            LogisticRegression(max_iter=2000)
        ),
    }


def run(fractions, seeds):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    scores = {}
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        rng = np.random.RandomState(seed)
        for fraction in fractions:
            labelled = np.zeros(len(y_train), dtype=bool)
            labelled[rng.permutation(len(y_train))[: int(round(fraction * len(y_train)))]] = True
            y_partial = np.where(labelled, y_train, -1)
            for name, make in models(seed).items():
                model = make()
                if name.startswith("MLP"):
                    model.fit(X_train[labelled], y_train[labelled])
                elif name.startswith("PCA"):
                    model[0].fit(X_train)
                    model[1].fit(model[0].transform(X_train[labelled]), y_train[labelled])
                else:
                    model.fit(X_train, y_partial)
                scores.setdefault((fraction, name), []).append(model.score(X_test, y_test))
    rows = []
    for fraction in fractions:
        mlp = np.mean(scores[fraction, "MLPClassifier (labelled rows)"])
        for name in models(0):
            acc = scores[fraction, name]
            rows.append([f"{fraction:.0%}", name, float(np.mean(acc)), median(acc), min(acc),
                         max(acc), float(np.mean(acc) - mlp)])
    print_table(
        rows, ["labels", "model", "mean accuracy", "median", "min", "max", "mean vs MLP"]
    )


def main(argv=None):
    args = quick_run_args(__doc__, "one seed, 10% of labels", argv)
    if args.quick:
        run([0.1], [0])
    else:
        run([0.05, 0.1, 1.0], [0, 1, 2, 3, 4])


if __name__ == "__main__":
    main()
