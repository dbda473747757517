"""The 5x7 dot-matrix font: 32 binary glyphs, a classic autoencoder toy."""

# SPDX-License-Identifier: BSD-3-Clause

import json
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_DESCR = """\
.. _font5x7_dataset:

5x7 dot-matrix font
-------------------

**Data Set Characteristics:**

:Number of Instances: 32 (one per character)
:Number of Attributes: 35 binary pixels (7 rows x 5 columns)
:Attribute Information: 1.0 for a lit dot, 0.0 for a dark one, row-major
    from the top-left corner
:Target: the character each glyph draws

The glyphs are the 32 characters with codes 0x60 to 0x7f of a classic 5x7
dot-matrix font: the backtick, the lower-case letters ``a`` to ``z``, the
braces ``{`` and ``}``, the vertical bar, the tilde and DEL. DEL is a
control character; its glyph is blank (all 35 pixels dark) and its
``target`` is the string ``"DEL"``.

The file stores each glyph as seven integers, one per row from top to
bottom, whose five low bits are the dots of the row; bit 4 (``0x10``) is
the leftmost dot. ``load_font5x7`` unpacks them into ``images`` (7 x 5)
and flattens those row by row into ``data`` (35 columns).

With 32 samples and 35 features the set is tiny: it is meant for
watching an autoencoder at work (a two-dimensional latent map of the
letters, decoding points between two letters into new glyphs), not for
benchmarking. Several glyphs are close to each other (``b``/``d``,
``p``/``q``, ``n``/``h``), which shows in a good latent map.
"""


def load_font5x7(*, return_X_y=False):
    """Load the 5x7 dot-matrix font: 32 binary glyphs of 35 pixels.

    =================   ===============
    Samples total                    32
    Dimensionality                   35
    Features            binary (0 or 1)
    Targets              the characters
    =================   ===============

    Read more in the :ref:`User Guide <datasets>`.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (32, 35), dtype=float64
            One glyph per row, 1.0 for a lit dot, flattened row-major.
        target : ndarray of shape (32,), dtype=object
            The character of each glyph (``"DEL"`` for code 127).
        codes : ndarray of shape (32,), dtype=int64
            The character codes, 96 to 127.
        images : ndarray of shape (32, 7, 5), dtype=float64
            The glyphs as 7 x 5 images, top row first.
        feature_names : list of str
            ``"pixel_<row>_<column>"`` for each of the 35 columns.
        DESCR : str
            The full description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` arrays described above.

    See Also
    --------
    sklearn.datasets.load_digits : 8 x 8 images of hand-written digits.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_font5x7
    >>> font = load_font5x7()
    >>> font.data.shape
    (32, 35)
    >>> font.target[1], font.images[1].astype(int)
    ('a', array([[0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 0, 0, 1],
           [0, 1, 1, 0, 1],
           [1, 0, 0, 1, 1],
           [1, 0, 0, 1, 1],
           [0, 1, 1, 0, 1]]))
    """
    raw = json.loads(
        resources.files(__package__).joinpath("data").joinpath("font5x7.json").read_text(
            encoding="utf-8"
        )
    )
    width, height = raw["width"], raw["height"]
    glyphs = raw["glyphs"]
    rows = np.array([glyph["rows"] for glyph in glyphs], dtype=np.int64)
    # Bit (width - 1) is the leftmost dot of a row.
    shifts = np.arange(width - 1, -1, -1)
    images = ((rows[:, :, None] >> shifts) & 1).astype(np.float64)
    data = images.reshape(len(glyphs), height * width)
    target = np.array([glyph["char"] for glyph in glyphs], dtype=object)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        codes=np.array([glyph["code"] for glyph in glyphs], dtype=np.int64),
        images=images,
        feature_names=[f"pixel_{r}_{c}" for r in range(height) for c in range(width)],
        DESCR=_DESCR,
    )
