"""
====================================
Autoencoder versus PCA on the digits
====================================

An :class:`~sklearn_ae.Autoencoder` stands where
:class:`~sklearn.decomposition.PCA` stands: it compresses each sample to
``n_components`` numbers and decompresses them again. PCA's decoder is a
linear map; the autoencoder's is a small neural network. Here both compress
the 8 x 8 hand-written digits, and we compare how much of each held-out
image comes back, for several code sizes.
"""

# %%
# Data
# ----
# Pixels are scaled to [0, 1]; a quarter of the images is held out.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# Reconstruction error by code size
# ---------------------------------
# Each model is fitted on the training images and scored by the mean
# squared error of its reconstructions of the test images.
import warnings

from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error

from sklearn_ae import Autoencoder

# A short training budget: the loss still creeps down at the end, which
# scikit-learn reports as a ConvergenceWarning, as MLPRegressor does.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

sizes = [2, 4, 8]
errors = {"PCA": [], "Autoencoder": []}
models = {}
for n_components in sizes:
    for name, model in [
        ("PCA", PCA(n_components)),
        ("Autoencoder", Autoencoder(n_components, max_iter=40, random_state=0)),
    ]:
        model.fit(X_train)
        X_back = model.inverse_transform(model.transform(X_test))
        errors[name].append(mean_squared_error(X_test, X_back))
        models[name, n_components] = model
    print(
        f"n_components={n_components:2d}  PCA MSE={errors['PCA'][-1]:.4f}  "
        f"Autoencoder MSE={errors['Autoencoder'][-1]:.4f}"
    )

# %%
# The autoencoder reconstructs better at every code size here, and its lead
# in absolute error is largest where the code is smallest: with two or
# four numbers per image, PCA can only keep the directions of largest
# variance, while the autoencoder bends its two-dimensional code around the
# data.
import matplotlib.pyplot as plt

fig, ax = plt.subplots()
for name, values in errors.items():
    ax.plot(sizes, values, marker="o", label=name)
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, labels=[str(s) for s in sizes])
ax.set_xlabel("n_components")
ax.set_ylabel("test reconstruction MSE")
_ = ax.legend()

# %%
# What four numbers keep
# ----------------------
# :class:`~sklearn_ae.plotting.ReconstructionDisplay` puts test images above
# their reconstructions.
from sklearn_ae.plotting import ReconstructionDisplay

fig, axes = plt.subplots(2, 1, figsize=(7, 4))
for ax, name in zip(axes, ["PCA", "Autoencoder"]):
    ReconstructionDisplay.from_estimator(
        models[name, 4], X_test, y_test, n_images=10, ax=ax
    )
    ax.set_title(f"{name}, n_components=4")
fig.tight_layout()

# %%
# The training curve
# ------------------
# :class:`~sklearn_ae.plotting.LossCurveDisplay` shows the loss of each
# epoch (on the standardised pixels the network sees).
from sklearn_ae.plotting import LossCurveDisplay

LossCurveDisplay.from_estimator(models["Autoencoder", 4])
plt.show()
