"""
====================================================================
Pre-training: few labels, stacked denoising layers, deep narrow nets
====================================================================

Unlabelled rows are often plentiful and labels scarce. An autoencoder
learns features from every row; :class:`~sklearn_ae.AutoencoderClassifier`
then puts a softmax head on its encoder and fine-tunes both on the labelled
rows. Inside an autoencoder, ``pretraining="layerwise"`` trains a deep
network one layer at a time, each layer a shallow autoencoder of the codes
of the frozen layers below, before training it end to end.
"""

# %%
# Few labels
# ----------
# Digits, with 5%, 10% or all of the training rows labelled (the others get
# ``y = -1``). The autoencoder classifier pretrains on every training row
# (its default autoencoder, a 32-unit code with early stopping, given 100
# epochs here instead of 200 to keep the page fast); ``MLPClassifier`` sees the labelled rows only; PCA is fitted on every row
# and a logistic regression on the labelled codes;
# :class:`~sklearn.semi_supervised.SelfTrainingClassifier` labels rows it is
# confident about and refits. ``benchmarks/bench_semisupervised.py`` gives
# the same table over 5 seeds.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.semi_supervised import SelfTrainingClassifier

from sklearn_ae import Autoencoder, AutoencoderClassifier, DenoisingAutoencoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", message="y contains no unlabeled samples")

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
rng = np.random.RandomState(0)
order = rng.permutation(len(y_train))
fractions = [0.05, 0.1, 1.0]
accuracy = {}
for fraction in fractions:
    labelled = np.zeros(len(y_train), dtype=bool)
    labelled[order[: int(round(fraction * len(y_train)))]] = True
    y_partial = np.where(labelled, y_train, -1)

    clf = AutoencoderClassifier(
        Autoencoder(n_components=32, early_stopping=True, max_iter=100),
        unlabeled_value=-1,
        random_state=0,
    ).fit(X_train, y_partial)
    mlp = MLPClassifier(random_state=0).fit(X_train[labelled], y_train[labelled])
    pca = PCA(32, random_state=0).fit(X_train)
    logreg = LogisticRegression(max_iter=2000).fit(
        pca.transform(X_train[labelled]), y_train[labelled]
    )
    self_training = SelfTrainingClassifier(LogisticRegression(max_iter=2000)).fit(
        X_train, y_partial
    )
    scores = {
        "AutoencoderClassifier": clf.score(X_test, y_test),
        "MLPClassifier (labelled rows)": mlp.score(X_test, y_test),
        "PCA + LogisticRegression": logreg.score(pca.transform(X_test), y_test),
        "SelfTrainingClassifier": self_training.score(X_test, y_test),
    }
    for name, score in scores.items():
        accuracy.setdefault(name, []).append(score)
    print(f"{fraction:>4.0%} labelled:", ", ".join(f"{n} {s:.3f}" for n, s in scores.items()))

fig, ax = plt.subplots()
for name, values in accuracy.items():
    ax.plot([f * 100 for f in fractions], values, marker="o", label=name)
ax.set_xscale("log")
ax.set_xticks([5, 10, 100], labels=["5%", "10%", "100%"])
ax.set_xlabel("share of labelled training rows")
ax.set_ylabel("test accuracy")
_ = ax.legend()

# %%
# With few labels the pretrained encoder starts from features learnt on all
# rows, which the labelled rows alone cannot give a network trained from
# scratch; with every row labelled, pretraining no longer adds information.
#
# A stacked denoising autoencoder, layer by layer
# -----------------------------------------------
# ``pretraining="layerwise"`` on a :class:`~sklearn_ae.DenoisingAutoencoder`
# trains each layer to undo masking noise on the codes of the layer below:
# the stacked denoising autoencoder. ``pretraining_loss_curves_`` holds each
# stage's training loss (50 epochs each here); the first stage reconstructs
# pixels, the later ones the codes below.
X_fit, X_held = train_test_split(X, random_state=0)
stacked = DenoisingAutoencoder(
    n_components=2,
    hidden_layer_sizes=(32, 16, 8),
    noise="masking",
    noise_level=0.2,
    max_iter=50,
    pretraining="layerwise",
    random_state=0,
).fit(X_fit)
fig, ax = plt.subplots()
widths = [64, 32, 16, 8, 2]
for k, curve in enumerate(stacked.pretraining_loss_curves_):
    ax.plot(curve, label=f"stage {k + 1}: {widths[k]} -> {widths[k + 1]}")
ax.plot(stacked.loss_curve_, "k--", label="fine-tuning, end to end")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_yscale("log")
_ = ax.legend()

# %%
# A deep, narrow network
# ----------------------
# A 64-64-32-16-8-2 network trained end to end from a random start must find
# useful features for five layers at once through a 2-unit bottleneck, and
# some seeds end worse than others. Each layer pretrained alone starts the
# end-to-end training from features that already reconstruct their input.
# With ReLU units, careful initialisation and Adam, that does not lower the
# typical error much (measured on digits, 3 seeds, 100 epochs: mean
# held-out MSE .0411 with pretraining, .0419 without), but it narrows the
# spread across seeds (.0406-.0413 against .0394-.0447): fewer runs end in
# a poor solution. Here each network trains for 30 epochs (and each
# pretraining stage too), to keep the page fast: the errors are higher than
# after 100 epochs, and pretraining gives lower errors with a narrower
# spread.
for pretraining in (None, "layerwise"):
    errors = []
    for seed in range(3):
        ae = DenoisingAutoencoder(
            n_components=2,
            hidden_layer_sizes=(64, 32, 16, 8),
            noise="masking",
            noise_level=0.2,
            max_iter=30,
            pretraining=pretraining,
            random_state=seed,
        ).fit(X_fit)
        errors.append(np.mean((ae.inverse_transform(ae.transform(X_held)) - X_held) ** 2))
    print(f"pretraining={pretraining!s:>9}: held-out MSE per seed", np.round(errors, 4))
plt.show()
