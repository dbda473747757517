"""Autoencoders as scikit-learn estimators, trained with PyTorch through skorch."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import Autoencoder
from ._contractive import ContractiveAutoencoder
from ._dask import dask_apply
from ._denoising import DenoisingAutoencoder
from ._config import config_context, get_config, set_config
from ._exceptions import DivergenceError
from ._images import flatten_images, unflatten_images
from ._outlier import AutoencoderOutlierDetector
from ._sparse import SparseAutoencoder
from ._supervised import AutoencoderClassifier, AutoencoderRegressor
from ._variational import VariationalAutoencoder

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "AutoencoderClassifier",
    "AutoencoderOutlierDetector",
    "AutoencoderRegressor",
    "ContractiveAutoencoder",
    "DenoisingAutoencoder",
    "DivergenceError",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "config_context",
    "dask_apply",
    "flatten_images",
    "get_config",
    "set_config",
    "unflatten_images",
]
