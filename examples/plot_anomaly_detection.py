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
ax.set_title("Upside-down digits among upright ones")

# %%
# The least typical digits
# ------------------------
# The test images the autoencoder reconstructs worst, above their
# reconstructions; an ``x`` marks a true outlier.
from sklearn_ae.plotting import ReconstructionDisplay

worst = np.argsort(ae_outlyingness)[::-1][:10]
marks = ["x" if is_outlier[i] else "" for i in worst]
ReconstructionDisplay.from_estimator(ae, X_eval[worst], marks, n_images=10)
plt.show()
