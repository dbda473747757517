"""
=============================================
Recommending items with a sigmoid autoencoder
=============================================

A user x item matrix of likes is a set of binary vectors, one per user.
An autoencoder with a sigmoid output and the binary cross-entropy loss
(``loss="bce"``) learns to reconstruct such vectors; fed the likes a user
has shown so far, it returns a probability for every item, and the
highest-scoring items the user has not liked yet are the recommendations.
We hide some likes of held-out users and check how many of them come back
among the top recommendations, against recommending the most popular items.
"""

# %%
# A synthetic matrix of likes
# ---------------------------
# 800 users and 120 items. Every user mixes a few of 5 hidden tastes; every
# item belongs mostly to one taste and has a popularity of its own. A user
# likes an item with a probability that grows with how well the item fits
# their tastes.
import numpy as np

rng = np.random.RandomState(0)
n_users, n_items, n_tastes = 800, 120, 5
user_tastes = rng.dirichlet(np.full(n_tastes, 0.3), size=n_users)
item_tastes = np.eye(n_tastes)[rng.randint(n_tastes, size=n_items)]
item_tastes = 0.8 * item_tastes + 0.2 * rng.dirichlet(np.ones(n_tastes), size=n_items)
popularity = rng.normal(scale=0.7, size=n_items)
logits = 6.0 * user_tastes @ item_tastes.T + popularity - 4.0
likes = (rng.uniform(size=logits.shape) < 1 / (1 + np.exp(-logits))).astype(float)
print(f"{likes.mean():.1%} of the matrix are likes, {likes.sum(1).mean():.1f} per user")

# %%
# Hiding likes of held-out users
# ------------------------------
# The model trains on 600 users. For the other 200, a fifth of their likes
# is hidden; the model sees the rest and must find the hidden ones.
train, test = likes[:600], likes[600:]
visible = test.copy()
for row in visible:
    liked = np.flatnonzero(row)
    hidden = rng.choice(liked, size=max(1, len(liked) // 5), replace=False)
    row[hidden] = 0.0
hidden_likes = test - visible

# %%
# A sparse matrix, as real likes are stored
# -----------------------------------------
# Real user x item matrices are mostly zeros and are kept as
# :mod:`scipy.sparse` matrices. The estimators take them as they are: each
# training batch (and each chunk at inference) is densified on its own, so
# the dense matrix never exists, and the model is the one the dense copy
# would give.
from scipy import sparse

train_sparse, visible_sparse = sparse.csr_matrix(train), sparse.csr_matrix(visible)
print(f"training matrix: {train_sparse.nnz} stored likes of {np.prod(train.shape)} cells")

# %%
# The autoencoder
# ---------------
# A small bottleneck (8 units) forces the model to summarise each user by
# their tastes rather than memorise items.
import warnings

from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import Autoencoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)

ae = Autoencoder(
    n_components=8,
    hidden_layer_sizes=(64,),
    loss="bce",
    learning_rate_init=5e-3,
    max_iter=40,
    random_state=0,
).fit(train_sparse)

# %%
# Ranking items
# -------------
# The autoencoder scores items by their reconstructed probability; the
# baseline by how many training users like them. Items a user already
# likes are never recommended. Recall at ``k`` is the share of hidden likes
# found among the top ``k`` recommendations.
scores = {
    "Autoencoder": ae.inverse_transform(ae.transform(visible_sparse)),
    "Popularity": np.tile(train.mean(axis=0), (len(test), 1)),
}


def recall_at(scores, k):
    scores = np.where(visible > 0, -np.inf, scores)
    top = np.argsort(-scores, axis=1)[:, :k]
    found = np.take_along_axis(hidden_likes, top, axis=1).sum()
    return found / hidden_likes.sum()


ks = [1, 2, 5, 10, 20]
recalls = {name: [recall_at(s, k) for k in ks] for name, s in scores.items()}
for name, values in recalls.items():
    print(f"{name:>12}: recall@10 = {values[ks.index(10)]:.3f}")

# %%
# The autoencoder knows what each user likes, so it finds far more of the
# hidden likes than the one-size-fits-all popularity ranking.
import matplotlib.pyplot as plt

fig, ax = plt.subplots()
for name, values in recalls.items():
    ax.plot(ks, values, marker="o", label=name)
ax.set_xlabel("number of recommendations k")
ax.set_ylabel("recall of hidden likes")
ax.legend()
plt.show()
