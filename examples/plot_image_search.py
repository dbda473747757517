"""
========================================
Image search: neighbours in latent space
========================================

To find images like a query image, one can compare raw pixels, or compare
codes. Codes are short (8 numbers here, instead of 64 pixels), so an index of
them is small and fast to search. We search the training digits for the
nearest neighbours of each test digit and count how often the neighbours
show the same digit as the query, in pixel space and in the codes of PCA
and of an autoencoder of the same size.
"""

# %%
# Three spaces to search in
# -------------------------
import warnings

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_ae import Autoencoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

ae = Autoencoder(8, max_iter=40, random_state=0).fit(X_train)
pca = PCA(8).fit(X_train)
spaces = {
    "pixels (64)": (X_train, X_test),
    "PCA codes (8)": (pca.transform(X_train), pca.transform(X_test)),
    "autoencoder codes (8)": (ae.transform(X_train), ae.transform(X_test)),
}

# %%
# Precision of the neighbours
# ---------------------------
# For each test digit, the share of its ``k`` nearest training digits that
# have its label.
import numpy as np
from sklearn.neighbors import NearestNeighbors

k = 10
neighbours = {}
for name, (train, test) in spaces.items():
    index = NearestNeighbors(n_neighbors=k).fit(train)
    neighbours[name] = index.kneighbors(test, return_distance=False)
    precision = np.mean(y_train[neighbours[name]] == y_test[:, None])
    print(f"{name:>24}: precision@{k} = {precision:.3f}")

# %%
# On these small, clean images raw pixels are a strong baseline. Codes
# eight times shorter come close to it, the autoencoder's a little ahead of
# PCA's at the same size.

# %%
# A few searches
# --------------
# Each row starts with a query digit, followed by its five nearest training
# digits in the autoencoder's latent space.
import matplotlib.pyplot as plt

queries = [0, 1, 2, 3, 4]
found = neighbours["autoencoder codes (8)"]
fig, axes = plt.subplots(len(queries), 6, figsize=(5, 4.5))
for row, q in zip(axes, queries):
    images = [X_test[q]] + [X_train[i] for i in found[q, :5]]
    for col, (ax, image) in enumerate(zip(row, images)):
        ax.imshow(image.reshape(8, 8), cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if col == 0:
            ax.set_ylabel("query")
axes[0, 1].set_title("nearest neighbours in latent space", loc="left", fontsize=10)
plt.show()
