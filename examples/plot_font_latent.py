"""
==================================================
A latent map of a dot-matrix font, and new letters
==================================================

The 5x7 dot-matrix font (:func:`~sklearn_ae.datasets.load_font5x7`) has 32
glyphs of 35 pixels each. An autoencoder with the architecture
35-25-15-2-15-25-35 squeezes every glyph through two numbers, so each
letter becomes a point on a plane we can look at, and every point of that
plane decodes to a glyph: also the points between letters.
"""

# %%
# The glyphs
# ----------
import matplotlib.pyplot as plt

from sklearn_ae.datasets import load_font5x7

font = load_font5x7()
X, letters = font.data, font.target
print(X.shape)

fig, axes = plt.subplots(2, 16, figsize=(8, 1.6))
for ax, image, letter in zip(axes.ravel(), font.images, letters):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(letter, fontsize=8)
    ax.set_axis_off()

# %%
# Training
# --------
# The pixels are binary, so the decoder ends in a sigmoid and the loss is
# the binary cross-entropy (``loss="bce"``). 32 samples make one batch;
# a high learning rate gets through the few hundred epochs quickly.
import numpy as np

from sklearn_ae import Autoencoder

ae = Autoencoder(
    n_components=2,
    hidden_layer_sizes=(25, 15),
    activation="tanh",
    loss="bce",
    learning_rate_init=0.03,
    alpha=0.0,
    max_iter=300,
    n_iter_no_change=50,
    tol=1e-5,
    random_state=0,
).fit(X)

wrong = ((ae.inverse_transform(ae.transform(X)) > 0.5) != X).sum(axis=1)
print(f"wrong pixels per glyph after rounding: mean {wrong.mean():.2f}, max {wrong.max()}")

# %%
# The latent map
# --------------
# :class:`~sklearn_ae.plotting.LatentSpaceDisplay` encodes the glyphs and
# writes each letter at its code. Letters that share strokes tend to land
# near each other.
from sklearn_ae.plotting import LatentSpaceDisplay

disp = LatentSpaceDisplay.from_estimator(
    ae, X, letters, annotate=True, scatter_kwargs={"c": "tab:blue"}
)
_ = disp.ax_.set_title("The 32 glyphs in the autoencoder's latent plane")

# %%
# A letter that is not in the font
# --------------------------------
# The midpoint between the codes of two letters decodes to a glyph the
# font does not have, a blend of both.
first, second = "m", "w"
codes = ae.transform(X)
z_first = codes[list(letters).index(first)]
z_second = codes[list(letters).index(second)]
path = np.linspace(z_first, z_second, 5)
glyphs = ae.inverse_transform(path)

disp.ax_.plot(*path.T, "k--", lw=1)
disp.ax_.scatter(*path[2], marker="*", s=200, c="tab:red", zorder=3)

fig, axes = plt.subplots(1, 5, figsize=(6, 2))
for ax, glyph, t in zip(axes, glyphs, np.linspace(0, 1, 5)):
    ax.imshow(glyph.reshape(7, 5), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"t={t:.2f}", fontsize=9)
    ax.set_axis_off()
_ = fig.suptitle(f"Decoding the way from {first!r} to {second!r}")

# %%
# The whole plane, decoded
# ------------------------
# :class:`~sklearn_ae.plotting.LatentGridDisplay` decodes a regular grid
# spanning the codes of the glyphs.
from sklearn_ae.plotting import LatentGridDisplay

_ = LatentGridDisplay.from_estimator(ae, X, n_steps=10, image_shape=(7, 5))

# %%
# New letters, sampled
# --------------------
# ``sample`` fits a Gaussian mixture to the glyphs' codes (at its first
# call) and decodes draws from it: new bitmaps in the font's style, most of
# them glyphs the font does not have. Rounded to pixels, each is compared
# with its nearest glyph of the font.
samples = ae.sample(16, random_state=0)
bitmaps = samples > 0.5
nearest = (bitmaps[:, None, :] != (X[None] > 0.5)).sum(axis=2).argmin(axis=1)
fig, axes = plt.subplots(2, 16, figsize=(9, 2.2))
for i in range(16):
    axes[0, i].imshow(bitmaps[i].reshape(7, 5), cmap="gray_r")
    axes[1, i].imshow(X[nearest[i]].reshape(7, 5), cmap="gray_r")
    axes[1, i].set_title(letters[nearest[i]], fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
fig.suptitle("Sampled glyphs (top) and the nearest glyph of the font (bottom)")
plt.show()
