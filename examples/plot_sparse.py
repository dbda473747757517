"""
=====================================
Sparse, over-complete codes of digits
=====================================

A :class:`~sklearn_ae.SparseAutoencoder` may have more latent units than
the data have features, as long as only a few of them are active for each
sample. Here 100 units describe the 64-pixel digits, and we look at what
each unit draws, how the activations are spread, and how the two main
ways of enforcing sparsity differ: a KL penalty on each unit's mean
activation (``sparsity="kl"``) and keeping the ``k`` largest activations of
each sample (``sparsity="topk"``).
"""

# %%
# Two sparse autoencoders with 100 units
# --------------------------------------
# ``hidden_layer_sizes=()`` gives a one-layer encoder and a linear decoder,
# so every image is rebuilt as a sum of 100 learned images, one per unit,
# weighted by the code. With ``"kl"`` the codes are sigmoid activations
# whose mean over the data is pulled towards ``sparsity_target=0.05``; with
# ``"topk"`` and ``sparsity_target=0.1``, the 10 largest of the 100 linear
# activations of each sample are kept and the other 90 set to zero.
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

from sklearn_ae import SparseAutoencoder

# A short budget: the loss still creeps down at the end, which is reported
# as a ConvergenceWarning (as MLPRegressor does).
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test = train_test_split(X, random_state=0)

params = {
    "kl": {"sparsity": "kl", "sparsity_target": 0.05, "sparsity_weight": 10.0},
    "topk": {"sparsity": "topk", "sparsity_target": 0.1},
}
models = {
    name: SparseAutoencoder(
        n_components=100,
        hidden_layer_sizes=(),
        learning_rate_init=0.01,
        max_iter=150,
        random_state=0,
        **kwargs,
    ).fit(X_train)
    for name, kwargs in params.items()
}

codes = {name: model.transform(X_test) for name, model in models.items()}
for name, model in models.items():
    Z = codes[name]
    error = mean_squared_error(X_test, model.inverse_transform(Z))
    print(
        f"{name:>4}: test MSE {error:.4f}, "
        f"mean activation {Z.mean():.3f}, "
        f"units above 0.1 per sample {(Z > 0.1).sum(axis=1).mean():.1f}, "
        f"non-zero units per sample {(Z != 0).sum(axis=1).mean():.1f}, "
        f"units never above 0.1 {int(((Z > 0.1).sum(axis=0) == 0).sum())}"
    )

# %%
# What the units draw
# -------------------
# Decoding a code in which one unit is 1 and the others 0, minus the
# decoding of the all-zero code, gives the image that unit adds (here, the
# unit's column of the linear decoder). Red adds ink, blue removes it.
# Rather than whole digits, most units draw a fragment, a blob or short
# stroke of ink in one region, often next to a region they erase: a
# sample's few active units assemble it from parts.
import matplotlib.pyplot as plt
import numpy as np

fig, axes = plt.subplots(1, 2, figsize=(9, 4.8))
for ax, (name, model) in zip(axes, models.items()):
    parts = model.inverse_transform(np.eye(100)) - model.inverse_transform(np.zeros((1, 100)))
    parts /= np.maximum(np.abs(parts).max(axis=1, keepdims=True), 1e-12)
    tiles = np.full((10 * 9 - 1, 10 * 9 - 1), np.nan)
    for unit, part in enumerate(parts):
        row, col = divmod(unit, 10)
        tiles[row * 9 : row * 9 + 8, col * 9 : col * 9 + 8] = part.reshape(8, 8)
    ax.imshow(tiles, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_title(f'sparsity="{name}": the 100 units')
    ax.set_axis_off()
fig.tight_layout()

# %%
# How the activations are spread
# ------------------------------
# The KL penalty only constrains each unit's *mean* activation: sigmoid
# codes are never exactly zero, most are close to it, and a long tail of
# strong responses remains (about 18 units per sample above 0.1, as
# printed above). ``topk`` codes have exactly 10 non-zero entries per
# sample; the histogram shows those (the 90 zeros are left out). Using
# more units, the KL model also reconstructs the test images better here.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
axes[0].hist(codes["kl"].ravel(), bins=50)
axes[0].set(title='sparsity="kl": all activations', xlabel="activation", yscale="log")
nonzero = codes["topk"][codes["topk"] != 0]
axes[1].hist(nonzero, bins=50, color="tab:orange")
axes[1].set(title='sparsity="topk": the kept activations', xlabel="activation")
axes[0].set_ylabel("code entries")
fig.tight_layout()

# %%
# Mean activation per unit
# ------------------------
# ``mean_activation_`` holds each unit's mean code over the training data.
# The KL penalty evens it out across the units, near the target (though
# above it after this short training); ``topk`` lets some units win far
# more often than others (each unit here wins for a few dozen training
# digits at least).
fig, ax = plt.subplots(figsize=(7, 3))
for name, model in models.items():
    ax.plot(np.sort(model.mean_activation_)[::-1], marker=".", label=name)
ax.axhline(0.05, color="gray", linestyle="--", label="KL target 0.05")
ax.set(xlabel="unit (sorted)", ylabel="mean activation")
ax.legend()
fig.tight_layout()
plt.show()
