"""Helpers shared by the displays."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils._optional_dependencies import check_matplotlib_support


def _get_ax(ax, caller, figsize=None):
    """Check that matplotlib is installed and return ``(ax, figure)``."""
    check_matplotlib_support(caller)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax, ax.figure


def _component_names(estimator, n_components):
    """Output feature names of ``estimator`` (``autoencoder0``, ...), if any."""
    try:
        names = list(estimator.get_feature_names_out())
    except (AttributeError, ValueError, TypeError):
        names = []
    if len(names) != n_components:
        names = [f"component {k}" for k in range(n_components)]
    return names


def _check_components(components, n_components, *, size=None):
    """Validate indices into the codes' columns and return them as a tuple."""
    components = tuple(int(k) for k in components)
    if size is not None and len(components) != size:
        raise ValueError(
            f"components must hold exactly {size} indices, got {components!r}."
        )
    for k in components:
        if not 0 <= k < n_components:
            raise ValueError(
                f"components={components!r} is out of range for codes with "
                f"{n_components} component(s)."
            )
    return components
