"""Autoencoders as scikit-learn estimators, trained with PyTorch through skorch."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import Autoencoder
from ._net import DivergenceError
from ._variational import VariationalAutoencoder

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "DivergenceError",
    "VariationalAutoencoder",
    "__version__",
]
