"""Input corruption for denoising autoencoders, as pure functions of tensors.

Every function draws from the ``generator`` it is given: ``fit`` passes
one it owns, seeded from ``random_state`` and on the training device, so the
noise of a seeded fit is reproducible, two fits in two threads never share
draws, and torch's process-wide generator is left alone. Without a
generator, torch's global one is used.
"""

# SPDX-License-Identifier: BSD-3-Clause

import torch

from ._scaling import DataScaling

NOISE_TYPES = ("gaussian", "masking", "salt_pepper")


def _uniform(x, generator):
    return torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)


def gaussian_noise(x, std, generator=None):
    """Add centred Gaussian noise of standard deviation ``std``.

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_features)
    std : float or Tensor broadcastable to ``x``
    generator : torch.Generator or None
        Source of the draws, on the device of ``x``.

    Returns
    -------
    Tensor of the shape of ``x``
    """
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x + noise * std


def masking_noise(x, p, fill=0.0, generator=None):
    """Set each entry to ``fill`` with probability ``p``, independently.

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_features)
    p : float in [0, 1]
    fill : float or Tensor broadcastable to ``x``
        The value of a masked entry (a per-feature vector is allowed).
    generator : torch.Generator or None
        Source of the draws, on the device of ``x``.

    Returns
    -------
    Tensor of the shape of ``x``
    """
    hit = _uniform(x, generator) < p
    return torch.where(hit, torch.as_tensor(fill, dtype=x.dtype, device=x.device), x)


def salt_pepper_noise(x, p, low, high, generator=None):
    """Set each entry, with probability ``p``, to ``low`` or ``high`` (a fair coin).

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_features)
    p : float in [0, 1]
    low, high : float or Tensor broadcastable to ``x``
        The "pepper" and "salt" values (per feature when vectors).
    generator : torch.Generator or None
        Source of the draws, on the device of ``x``.

    Returns
    -------
    Tensor of the shape of ``x``
    """
    # One uniform draw decides both: u < p hits the entry, and given a hit,
    # u < p / 2 happens with probability 1/2.
    u = _uniform(x, generator)
    low = torch.as_tensor(low, dtype=x.dtype, device=x.device)
    high = torch.as_tensor(high, dtype=x.dtype, device=x.device)
    out = torch.where(u < p, high, x)
    return torch.where(u < p / 2, low, out)


def make_corruption(noise, level, *, mean, scale, low, high, device):
    """Return ``corrupt(x_batch, generator=None)`` for batches in model space.

    The estimator trains on ``x_model = (x - mean) / scale``; the noise is
    defined in the data's own units, so it is mapped to model space here:
    a Gaussian standard deviation is divided by ``scale`` and a masked
    entry becomes the model-space image of 0.

    Parameters
    ----------
    noise : {"gaussian", "masking", "salt_pepper"}
    level : float
        Standard deviation in data units (``"gaussian"``) or the probability
        that an entry is corrupted (``"masking"``, ``"salt_pepper"``).
    mean : ndarray of shape (n_features,)
    scale : float
    low, high : ndarray of shape (n_features,)
        Per-feature minimum and maximum of the training data, in model
        space (used by ``"salt_pepper"``).
    device : torch.device
        Where the training batches live.

    Returns
    -------
    callable
    """

    def vector(values):
        return torch.as_tensor(values, dtype=torch.float32, device=device)

    scaling = DataScaling(mean, scale)
    if noise == "gaussian":
        std = scaling.length_to_model(level)
        return lambda x, generator=None: gaussian_noise(x, std, generator)
    if noise == "masking":
        fill = vector(scaling.value_to_model(0.0))
        return lambda x, generator=None: masking_noise(x, level, fill, generator)
    low, high = vector(low), vector(high)
    return lambda x, generator=None: salt_pepper_noise(x, level, low, high, generator)
