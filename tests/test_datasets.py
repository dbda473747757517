import json
from importlib import resources

import numpy as np

from sklearn_ae.datasets import load_font5x7


def test_load_font5x7_shapes_and_dtypes():
    font = load_font5x7()
    assert font.data.shape == (32, 35)
    assert font.images.shape == (32, 7, 5)
    assert font.target.shape == (32,)
    assert font.data.dtype == np.float64
    assert set(np.unique(font.data)) == {0.0, 1.0}
    assert len(font.feature_names) == 35
    assert "5x7" in font.DESCR
    np.testing.assert_array_equal(font.data, font.images.reshape(32, 35))
    np.testing.assert_array_equal(font.codes, np.arange(0x60, 0x80))


def test_load_font5x7_unpacks_rows_leftmost_bit_first():
    font = load_font5x7()
    letters = list(font.target)
    assert letters[1:27] == [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert letters[-1] == "DEL" and not font.data[-1].any()
    # "l": a hook at the top-left, then a stem in the middle column.
    l_glyph = font.images[letters.index("l")].astype(int)
    np.testing.assert_array_equal(l_glyph[0], [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(l_glyph[1:, 2], np.ones(6, dtype=int))
    # Every row of the file round-trips through the unpacking.
    raw = json.loads(
        resources.files("sklearn_ae.datasets").joinpath("data").joinpath("font5x7.json").read_text()
    )
    weights = 2 ** np.arange(4, -1, -1)
    packed = (font.images.astype(int) * weights).sum(axis=2)
    np.testing.assert_array_equal(packed, [g["rows"] for g in raw["glyphs"]])


def test_load_font5x7_return_X_y():
    X, y = load_font5x7(return_X_y=True)
    font = load_font5x7()
    np.testing.assert_array_equal(X, font.data)
    np.testing.assert_array_equal(y, font.target)
