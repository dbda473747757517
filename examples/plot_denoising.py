"""
=================================
Removing noise from digit images
=================================

A :class:`~sklearn_ae.DenoisingAutoencoder` is trained on clean images:
each training batch is corrupted afresh and the network learns to give
back the clean batch. The fitted model then cleans new noisy images with
``inverse_transform(transform(X_noisy))``. Here it removes Gaussian and
salt-and-pepper noise of several strengths from held-out digits, compared
with doing nothing and with projecting on a few principal components.
"""

# %%
# Data and noise
# --------------
# Pixels are scaled to [0, 1]. Gaussian noise adds a normal draw of
# standard deviation ``level`` to every pixel; salt-and-pepper noise turns
# a share ``level`` of the pixels white or black (a fair coin decides).
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)


def gaussian(X, level, seed=0):
    return X + np.random.RandomState(seed).normal(scale=level, size=X.shape)


def salt_pepper(X, level, seed=0):
    u = np.random.RandomState(seed).uniform(size=X.shape)
    return np.where(u < level / 2, 0.0, np.where(u < level, 1.0, X))


# %%
# Two denoising autoencoders
# --------------------------
# One model per kind of noise, each trained on the clean training digits
# with one noise level. The code is as wide as the image (64 units): a plain
# autoencoder could learn to copy its input, but one that has to undo
# corruption cannot.
import warnings

from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import DenoisingAutoencoder

# A short budget: the loss still creeps down at the end, which is reported
# as a ConvergenceWarning (as MLPRegressor does).
warnings.filterwarnings("ignore", category=ConvergenceWarning)

noises = {"gaussian": gaussian, "salt_pepper": salt_pepper}
train_levels = {"gaussian": 0.3, "salt_pepper": 0.2}
models = {
    noise: DenoisingAutoencoder(
        n_components=64,
        hidden_layer_sizes=(256,),
        noise=noise,
        noise_level=train_levels[noise],
        max_iter=100,
        random_state=0,
    ).fit(X_train)
    for noise in noises
}

# %%
# Noisy inputs and what the model makes of them
# ---------------------------------------------
# :class:`~sklearn_ae.plotting.ReconstructionDisplay` shows the clean
# images, the noisy copies fed to the model (``X_input``, drawn clipped to
# [0, 1]) and the denoised output.
import matplotlib.pyplot as plt

from sklearn_ae.plotting import ReconstructionDisplay

fig, axes = plt.subplots(2, 1, figsize=(8, 5.5))
for ax, (noise, corrupt) in zip(axes, noises.items()):
    level = train_levels[noise]
    ReconstructionDisplay.from_estimator(
        models[noise],
        X_test,
        y_test,
        X_input=corrupt(X_test, level),
        n_images=10,
        ax=ax,
        imshow_kwargs={"vmin": 0, "vmax": 1},
    )
    ax.set_title(f"{noise} noise, level {level}")
fig.tight_layout()

# %%
# Error against the noise level
# -----------------------------
# For each level, the mean squared error to the clean test images of the
# noisy images themselves (doing nothing), of PCA with 16 components fitted
# on the clean training images, and of the denoising autoencoder. Level 0
# feeds the clean images: what each model loses even without noise.
from sklearn.decomposition import PCA
from sklearn.metrics import mean_squared_error

pca = PCA(n_components=16).fit(X_train)
levels = {"gaussian": [0, 0.1, 0.2, 0.3, 0.4, 0.5], "salt_pepper": [0, 0.05, 0.1, 0.2, 0.3]}
errors = {}
for noise, corrupt in noises.items():
    dae = models[noise]
    print(f"{noise:>11} level  noisy    PCA      DAE")
    for level in levels[noise]:
        X_noisy = corrupt(X_test, level)
        row = [
            mean_squared_error(X_test, X_noisy),
            mean_squared_error(X_test, pca.inverse_transform(pca.transform(X_noisy))),
            mean_squared_error(X_test, dae.inverse_transform(dae.transform(X_noisy))),
        ]
        errors[noise, level] = row
        print(f"{level:17.2f}  {row[0]:.4f}   {row[1]:.4f}   {row[2]:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
for ax, noise in zip(axes, noises):
    table = np.array([errors[noise, level] for level in levels[noise]])
    for column, name in enumerate(["noisy input", "PCA (16)", "denoising AE"]):
        ax.plot(levels[noise], table[:, column], marker="o", label=name)
    ax.set(title=f"{noise} noise", xlabel="noise level")
axes[0].set_ylabel("MSE to the clean images")
axes[0].legend()
fig.tight_layout()

# %%
# With any noise but the weakest Gaussian one, the denoising autoencoder
# has the smallest error, also at levels it was not trained with. Gaussian
# noise of standard deviation 0.1 costs about as much (MSE 0.01) as what
# either model loses when it reconstructs even a clean image (level 0), so
# there doing nothing is best. PCA removes much of the noise too, but it
# keeps whatever noise falls in its 16 directions, and its error grows
# faster with the noise level than the autoencoder's.
plt.show()
