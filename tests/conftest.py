import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def digits():
    """load_digits scaled to [0, 1], as (X, y)."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="session")
def digits_split(digits):
    """The first 1000 scaled digits to train on, the other 797 held out."""
    X = digits[0]
    return X[:1000], X[1000:]


@pytest.fixture
def small_X():
    rng = np.random.RandomState(0)
    return rng.normal(size=(60, 6))
