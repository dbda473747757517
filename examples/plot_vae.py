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

# A short budget: the loss still creeps down at the end, which is reported
# as a ConvergenceWarning (as MLPRegressor does); the model is good enough
# here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

vae = VariationalAutoencoder(
    n_components=2,
    likelihood="bernoulli",
    learning_rate_init=2e-3,
    max_iter=60,
    random_state=0,
)
vae.fit(X_train)
print(f"active latent units: {vae.n_active_components_} of {vae.n_components}")

# %%
# The latent space, coloured by digit
# ------------------------------------
# ``transform`` returns the posterior mean of each image, drawn here by
# :class:`~sklearn_ae.plotting.LatentSpaceDisplay`. Within the
# unit-variance cloud of the prior, several classes (0, 6, 4, 2) form
# clusters of their own; with only two numbers per image, others overlap.
import matplotlib.pyplot as plt

from sklearn_ae.plotting import LatentSpaceDisplay

disp = LatentSpaceDisplay.from_estimator(vae, X_test, y_test)
_ = disp.ax_.set_title("Posterior means of held-out digits")

# %%
# Decoding a grid of latent points
# --------------------------------
# :class:`~sklearn_ae.plotting.LatentGridDisplay` decodes a regular grid of
# latent points with ``inverse_transform``. Since the prior is a standard
# normal, ``bounds=(-2, 2)`` covers its bulk and needs no data. The images
# morph smoothly from one digit into another.
from sklearn_ae.plotting import LatentGridDisplay

disp = LatentGridDisplay.from_estimator(vae, bounds=(-2, 2), n_steps=10)
_ = disp.ax_.set_title("Decoded latent grid, z in [-2, 2]^2")

# %%
# New digits
# ----------
# ``sample`` decodes latent points drawn, by default, from the aggregate
# posterior: a training row's posterior ``N(mean, std^2)``, the codes the
# decoder was trained on. ``method="mixture"`` draws from a Gaussian mixture
# fitted to the posterior means only (less spread), ``method="prior"`` from
# ``N(0, I)``, whose draws between the clusters decode to blends. A fixed
# ``random_state`` gives the same images on every call. A logistic
# regression trained on real digits rates how digit-like they are. (Two
# latent units are for the map above; a VAE for generation keeps the
# default ``n_components="auto"``, whose samples are far more diverse: see
# ``benchmarks/bench_samples.py``.)
import numpy as np
from sklearn.linear_model import LogisticRegression

clf = LogisticRegression(max_iter=5000).fit(X_train, y_train)
fig, rows = plt.subplots(3, 1, figsize=(8, 9.9))
for row, method in zip(rows, ["posterior", "mixture", "prior"]):
    samples = vae.sample(24, random_state=0, method=method)
    confidence = clf.predict_proba(vae.sample(1000, random_state=1, method=method)).max(axis=1)
    grid = samples.reshape(3, 8, 8, 8).transpose(0, 2, 1, 3).reshape(24, 64)
    row.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
    row.set_title(f'method="{method}": mean classifier confidence {confidence.mean():.2f}')
    row.axis("off")
_ = fig.suptitle("Samples of the 2-D VAE")

# %%
# The ELBO tells digits from noise
# --------------------------------
# ``score_samples`` returns each image's evidence lower bound, in nats:
# every held-out digit scores higher than every image of uniform noise.
noise = np.random.RandomState(0).uniform(size=(len(X_test), X.shape[1]))
digit_scores = vae.score_samples(X_test)
noise_scores = vae.score_samples(noise)
print(f"lowest digit ELBO {digit_scores.min():.1f}, highest noise ELBO {noise_scores.max():.1f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.hist(digit_scores, bins=40, alpha=0.7, label="held-out digits")
ax.hist(noise_scores, bins=40, alpha=0.7, label="uniform noise")
ax.set(xlabel="ELBO (nats)", ylabel="images")
ax.legend()
fig.tight_layout()
plt.show()
