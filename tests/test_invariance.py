"""A row's output does not depend on the other rows of the call.

scikit-learn's ``check_methods_subset_invariance`` and
``check_methods_sample_order_invariance`` test this at a tolerance; here it
is bitwise, against 1-row calls, on widths where float32 matrix kernels
round differently for different batch shapes.
"""

import numpy as np
import pytest

from sklearn_ae import config_context

from _estimators import ESTIMATORS, data_for, make, option_grid


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_one_row_calls_equal_the_rows_of_a_full_call(cls):
    est = make(cls, n_components=4, hidden_layer_sizes=(96,), max_iter=2)
    X = data_for(est, n_samples=300, n_features=80)
    est.fit(X)
    Z = est.transform(X)
    full = {
        "transform": Z,
        "score_samples": est.score_samples(X),
        "inverse_transform": est.inverse_transform(Z),
    }
    with config_context(inference_batch_size=128):  # batch boundaries inside X
        for method, expected in full.items():
            inputs = Z if method == "inverse_transform" else X
            np.testing.assert_array_equal(getattr(est, method)(inputs), expected)
            np.testing.assert_array_equal(getattr(est, method)(inputs[::-1]), expected[::-1])
            for i in (0, 1, 150, 299):
                np.testing.assert_array_equal(
                    getattr(est, method)(inputs[i : i + 1]), expected[i : i + 1]
                )


@pytest.mark.parametrize(
    "est", option_grid(max_iters=(1, 5)), ids=lambda e: repr(e).replace("\n", "")
)
def test_every_option_is_row_invariant(est):
    # Every option of the grid, those that need X in [0, 1] too.
    X = data_for(est, n_samples=60, n_features=12)
    est.fit(X)
    Z = est.transform(X)
    for method, inputs, expected in (
        ("transform", X, Z),
        ("score_samples", X, est.score_samples(X)),
        ("inverse_transform", Z, est.inverse_transform(Z)),
    ):
        got = np.concatenate([getattr(est, method)(inputs[i : i + 7]) for i in range(0, 60, 7)])
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(getattr(est, method)(inputs[::-1]), expected[::-1])
