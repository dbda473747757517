"""The exceptions sklearn-ae raises beyond scikit-learn's own."""

# SPDX-License-Identifier: BSD-3-Clause


class DivergenceError(ValueError, FloatingPointError):
    """Raised when the training loss becomes NaN or infinite.

    A ``ValueError`` (as scikit-learn raises for bad fits) and a
    ``FloatingPointError``. The message names the epoch and the remedies.
    """
