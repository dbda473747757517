"""Autoencoders as scikit-learn estimators, trained with PyTorch through skorch."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import Autoencoder
from ._config import config_context, get_config, set_config
from ._net import DivergenceError

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "DivergenceError",
    "__version__",
    "config_context",
    "get_config",
    "set_config",
]
