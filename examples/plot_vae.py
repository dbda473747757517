"""
========================================
Generating digits with a variational AE
========================================

A plain autoencoder places its codes wherever reconstruction is easiest,
so most points of its latent space decode to nothing in particular. A
:class:`~sklearn_ae.VariationalAutoencoder` also pulls the codes towards a
standard normal prior, which makes the whole latent space meaningful: we
can decode a grid of latent points, draw new digits with ``sample``, and
rate how typical an image is with the ELBO of ``score_samples``.
"""

# %%
# Fit a 2-D VAE on the digits
# ---------------------------
# Pixels scaled to [0, 1] suit a Bernoulli likelihood (a sigmoid decoder).
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_ae import VariationalAutoencoder

# The loss still creeps down after 100 epochs, which is reported as a
# ConvergenceWarning (as MLPRegressor does); the model is good enough here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

vae = VariationalAutoencoder(
    n_components=2, likelihood="bernoulli", max_iter=100, random_state=0
)
vae.fit(X_train)
print(f"active latent units: {vae.n_active_components_} of {vae.n_components}")

# %%
# The latent space, coloured by digit
# ------------------------------------
# ``transform`` returns the posterior mean of each image: the classes form
# clusters inside the unit-variance cloud of the prior.
import matplotlib.pyplot as plt

codes = vae.transform(X_test)
fig, ax = plt.subplots(figsize=(6, 5))
points = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=12)
fig.colorbar(points, ax=ax, label="digit")
ax.set(xlabel="latent 0", ylabel="latent 1", title="Posterior means of held-out digits")

# %%
# Decoding a grid of latent points
# --------------------------------
# ``inverse_transform`` decodes any latent point. A regular grid over the
# prior's bulk morphs smoothly from one digit into another.
import numpy as np

n = 12
axis = np.linspace(-2.0, 2.0, n)
grid = np.array([[a, b] for b in axis[::-1] for a in axis])
images = vae.inverse_transform(grid)

fig, axes = plt.subplots(n, n, figsize=(7, 7))
for ax, image in zip(axes.ravel(), images):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
fig.suptitle("Decoded latent grid, z in [-2, 2]^2")

# %%
# New digits from an 8-D VAE
# --------------------------
# More latent units give sharper samples. ``sample`` draws ``z`` from the
# prior and decodes it; a fixed ``random_state`` gives the same images.
vae8 = VariationalAutoencoder(
    n_components=8, likelihood="bernoulli", max_iter=100, random_state=0
).fit(X_train)
samples = vae8.sample(24, random_state=0)

fig, axes = plt.subplots(3, 8, figsize=(8, 3.2))
for ax, image in zip(axes.ravel(), samples):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
fig.suptitle("Samples from the prior")

# %%
# The ELBO tells digits from noise
# --------------------------------
# ``score_samples`` returns each image's evidence lower bound: held-out
# digits score far higher than images of uniform noise.
noise = np.random.RandomState(0).uniform(size=(len(X_test), X.shape[1]))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.hist(vae8.score_samples(X_test), bins=40, alpha=0.7, label="held-out digits")
ax.hist(vae8.score_samples(noise), bins=40, alpha=0.7, label="uniform noise")
ax.set(xlabel="ELBO (nats)", ylabel="images")
ax.legend()
plt.show()
