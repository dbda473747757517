import numpy as np
import pytest
import torch
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


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Train on one torch thread in every test.

    Tiny nets gain nothing from intra-op threads, and on a busy machine their
    synchronisation costs ~15x. Results do not depend on it (see
    test_bitwise_identical_across_processes_and_thread_counts).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
