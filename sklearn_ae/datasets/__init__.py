"""Small data sets used by the examples and the documentation."""

# SPDX-License-Identifier: BSD-3-Clause

from ._font import load_font5x7

__all__ = ["load_font5x7"]
