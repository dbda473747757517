"""
===============================================
Anomaly detection with the reconstruction error
===============================================

A model trained to reconstruct typical samples reconstructs unusual ones
badly. ``score_samples`` returns the negative reconstruction error of each
sample, so a low score flags an outlier, the convention of scikit-learn's
outlier detectors. Here the outliers are digits that were scanned upside
down, and the autoencoder's score is compared with PCA's reconstruction
error by their ROC curves.
"""

# %%
# Normal and anomalous digits
# ---------------------------
# The models see only upright digits. The test set mixes held-out upright
# digits with 10% of upside-down ones (digits 0, 1 and 8 look the same
# upside down and 6 and 9 turn into each other, so they are not used as
# outliers).
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

rng = np.random.RandomState(0)
candidates = np.flatnonzero(np.isin(y_test, [2, 3, 4, 5, 7]))
flipped = rng.choice(candidates, size=len(y_test) // 10, replace=False)
X_eval = X_test.copy()
X_eval[flipped] = X_test[flipped].reshape(-1, 8, 8)[:, ::-1, ::-1].reshape(-1, 64)
is_outlier = np.zeros(len(X_eval), dtype=bool)
is_outlier[flipped] = True

# %%
# Scores
# ------
# Both models keep 8 components. For PCA the outlier score is its own
# reconstruction error, computed by hand.
import warnings

from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import Autoencoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)

ae = Autoencoder(8, max_iter=40, random_state=0).fit(X_train)
pca = PCA(8).fit(X_train)

ae_outlyingness = -ae.score_samples(X_eval)
pca_outlyingness = ((pca.inverse_transform(pca.transform(X_eval)) - X_eval) ** 2).mean(axis=1)

# %%
# ROC curves
# ----------
# The higher the curve, the better the score ranks the upside-down digits
# above the upright ones.
import matplotlib.pyplot as plt
from sklearn.metrics import RocCurveDisplay

fig, ax = plt.subplots()
RocCurveDisplay.from_predictions(is_outlier, ae_outlyingness, name="Autoencoder", ax=ax)
RocCurveDisplay.from_predictions(is_outlier, pca_outlyingness, name="PCA", ax=ax)
_ = ax.set_title("Upside-down digits among upright ones")

# %%
# The least typical digits
# ------------------------
# The test images the autoencoder reconstructs worst, above their
# reconstructions; an ``x`` marks a true outlier.
from sklearn_ae.plotting import ReconstructionDisplay

worst = np.argsort(ae_outlyingness)[::-1][:10]
marks = ["x" if is_outlier[i] else "" for i in worst]
_ = ReconstructionDisplay.from_estimator(ae, X_eval[worst], marks, n_images=10)

# %%
# A detector with a threshold, trained on contaminated data
# ---------------------------------------------------------
# In practice the training rows already hold some anomalies.
# :class:`~sklearn_ae.AutoencoderOutlierDetector` wraps an autoencoder as a
# scikit-learn outlier detector (``predict`` returns -1 for outliers,
# ``decision_function`` is negative for them, ``offset_`` is set from
# ``contamination``) and trains it with a trimmed loss, so that the rows it
# reconstructs worst in each batch are not learned. Here 10% of the
# training digits are upside down; the detector is told so, and compared
# with the same autoencoder trained on every row alike, and with
# IsolationForest.
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from sklearn_ae import AutoencoderOutlierDetector

train_candidates = np.flatnonzero(np.isin(y_train, [2, 3, 4, 5, 7]))
planted = rng.choice(train_candidates, size=len(y_train) // 10, replace=False)
X_dirty = X_train.copy()
X_dirty[planted] = X_train[planted].reshape(-1, 8, 8)[:, ::-1, ::-1].reshape(-1, 64)

inner = Autoencoder(8, max_iter=40)
models = {
    "robust detector": AutoencoderOutlierDetector(inner, contamination=0.1, random_state=0),
    "plain training": AutoencoderOutlierDetector(
        inner, contamination=0.1, robust=False, random_state=0
    ),
    "IsolationForest": IsolationForest(contamination=0.1, random_state=0),
}
for name, model in models.items():
    model.fit(X_dirty)
    auc = roc_auc_score(is_outlier, -model.score_samples(X_eval))
    flagged = np.mean(model.predict(X_dirty)[planted] == -1)
    print(f"{name:>16}: test ROC AUC {auc:.3f}, planted training outliers flagged {flagged:.0%}")

# %%
# Which pixels made a digit unusual
# ---------------------------------
# ``feature_scores`` gives each pixel's reconstruction error relative to
# its typical error on the training rows: the map of what the model found
# out of place.
detector = models["robust detector"]
most = np.argsort(detector.score_samples(X_eval))[:5]
fig, axes = plt.subplots(2, 5, figsize=(7, 3))
for ax_top, ax_bottom, i in zip(axes[0], axes[1], most):
    ax_top.imshow(X_eval[i].reshape(8, 8), cmap="gray_r")
    ax_bottom.imshow(detector.feature_scores(X_eval[i : i + 1]).reshape(8, 8), cmap="magma")
    ax_top.set_axis_off()
    ax_bottom.set_axis_off()
axes[0, 0].set_title("image", loc="left", fontsize=9)
axes[1, 0].set_title("pixel scores", loc="left", fontsize=9)
plt.show()
