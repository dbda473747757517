"""How well generated samples cover real data: k-NN precision and recall.

Kynkäänniemi et al., "Improved Precision and Recall Metric for Assessing
Generative Models" (NeurIPS 2019). Each set of points is given a manifold:
the union of balls around its points, each ball reaching that point's k-th
nearest neighbour within the same set. *Precision* is the share of
generated points inside the real data's manifold (are the samples
realistic?); *recall* the share of real points inside the generated
samples' manifold (do the samples cover the data, or all look alike?). A
perfect generator scores 1.0 / 1.0; samples that all copy one mode score a
high precision and a recall near 0.

Measured in a feature space fitted on training rows only (here: PCA of the
training images), against held-out real rows, with as many samples as
held-out rows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.neighbors import NearestNeighbors


def knn_precision_recall(real, generated, k=3):
    """k-NN precision and recall of ``generated`` against ``real``.

    Parameters
    ----------
    real, generated : ndarray of shape (n, d) and (m, d)
        Points in one feature space (e.g. a PCA of the training data).
    k : int, default=3
        The neighbour whose distance is a point's ball radius.

    Returns
    -------
    precision, recall : float
        Share of generated points within some real point's ball, and of
        real points within some generated point's ball (balls included
        their boundary).
    """

    def radii(points):
        # k + 1 neighbours: each point is its own nearest one
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
        return dist[:, -1]

    def covered(centres, radius, queries):
        dist = np.sqrt(
            np.maximum(
                (queries**2).sum(1)[:, None]
                - 2 * queries @ centres.T
                + (centres**2).sum(1)[None, :],
                0.0,
            )
        )
        return float(np.mean((dist <= radius[None, :]).any(axis=1)))

    real, generated = np.asarray(real, float), np.asarray(generated, float)
    precision = covered(real, radii(real), generated)
    recall = covered(generated, radii(generated), real)
    return precision, recall
