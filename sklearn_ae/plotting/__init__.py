"""Plots of autoencoders, following scikit-learn's Display pattern.

Each ``*Display`` computes what it draws in ``from_estimator`` and draws
it in ``plot``, which returns the display with ``ax_`` and ``figure_`` set.
Matplotlib is an optional dependency (``pip install sklearn-ae[plot]``),
imported only when something is drawn.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._images import ImageGridDisplay, LatentGridDisplay, ReconstructionDisplay
from ._latent import LatentSpaceDisplay
from ._loss import LossCurveDisplay
from ._outlier import OutlierScoreDisplay

__all__ = [
    "ImageGridDisplay",
    "LatentGridDisplay",
    "LatentSpaceDisplay",
    "LossCurveDisplay",
    "OutlierScoreDisplay",
    "ReconstructionDisplay",
]
