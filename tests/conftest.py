import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def digits():
    """load_digits scaled to [0, 1], as (X, y)."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture
def small_X():
    rng = np.random.RandomState(0)
    return rng.normal(size=(60, 6))
