"""Behaviour of Autoencoder that scikit-learn users rely on."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_ae import Autoencoder, DivergenceError

FAST = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)


def test_fit_returns_self_and_sets_fitted_attributes(small_X):
    ae = Autoencoder(n_components=3, **FAST)
    assert ae.fit(small_X) is ae
    assert ae.n_features_in_ == 6
    assert ae.n_iter_ == 5
    assert len(ae.loss_curve_) == 5
    assert all(np.isfinite(ae.loss_curve_))
    assert ae.net_.module_ is not None
    assert not hasattr(ae, "validation_scores_")


def test_shapes_of_transform_and_inverse_transform(small_X):
    ae = Autoencoder(n_components=3, **FAST).fit(small_X)
    codes = ae.transform(small_X)
    assert codes.shape == (60, 3)
    assert ae.inverse_transform(codes).shape == (60, 6)
    assert ae.score_samples(small_X).shape == (60,)
    assert ae.score(small_X) == pytest.approx(ae.score_samples(small_X).mean())


def test_pipeline_with_logistic_regression(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    pipe = make_pipeline(
        Autoencoder(n_components=8, max_iter=30, random_state=0),
        LogisticRegression(max_iter=500),
    )
    pipe.fit(X_train, y_train)
    # Well above the 10% of chance with 8 learned features.
    assert pipe.score(X_test, y_test) > 0.7


@pytest.mark.parametrize("with_y", [False, True])
def test_grid_search_over_n_components(digits, with_y):
    X, y = digits
    X, y = X[:300], y[:300]
    if with_y:
        est = make_pipeline(Autoencoder(max_iter=10, random_state=0), LogisticRegression())
        grid = {"autoencoder__n_components": [2, 8]}
        search = GridSearchCV(est, grid, cv=2).fit(X, y)
        assert search.best_params_["autoencoder__n_components"] in (2, 8)
    else:
        grid = {"n_components": [2, 8]}
        search = GridSearchCV(Autoencoder(max_iter=20, random_state=0), grid, cv=2)
        search.fit(X)
        # Without labels the search ranks by reconstruction: more codes win.
        assert search.best_params_ == {"n_components": 8}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_column_transformer(digits):
    X, _ = digits
    df = pd.DataFrame(X[:100, :10], columns=[f"p{i}" for i in range(10)])
    ct = ColumnTransformer(
        [("ae", Autoencoder(n_components=2, **FAST), ["p1", "p2", "p3", "p4"])],
        remainder="passthrough",
    ).set_output(transform="pandas")
    out = ct.fit_transform(df)
    assert list(out.columns[:2]) == ["ae__autoencoder0", "ae__autoencoder1"]
    assert out.shape == (100, 8)


def test_clone_gives_unfitted_copy_with_same_params(small_X):
    ae = Autoencoder(n_components=3, **FAST).fit(small_X)
    copy = clone(ae)
    assert copy.get_params() == ae.get_params()
    assert not hasattr(copy, "net_")
    np.testing.assert_array_equal(copy.fit(small_X).transform(small_X), ae.transform(small_X))


def test_pickle_round_trip_gives_identical_codes(small_X):
    ae = Autoencoder(n_components=3, **FAST).fit(small_X)
    blob = pickle.dumps(ae)
    # The weights travel as arrays, not as skorch's own pickled net.
    assert b"skorch.net" not in blob
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.transform(small_X), ae.transform(small_X))
    np.testing.assert_array_equal(restored.score_samples(small_X), ae.score_samples(small_X))
    assert restored.loss_curve_ == ae.loss_curve_
    assert len(restored.net_.history) == ae.n_iter_


def test_pandas_output_has_named_columns(small_X):
    df = pd.DataFrame(small_X, columns=list("abcdef"))
    ae = Autoencoder(n_components=3, **FAST).set_output(transform="pandas")
    out = ae.fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["autoencoder0", "autoencoder1", "autoencoder2"]
    assert list(ae.feature_names_in_) == list("abcdef")
    np.testing.assert_array_equal(ae.get_feature_names_out(), out.columns)


def test_same_seed_gives_bitwise_identical_codes(small_X):
    a = Autoencoder(n_components=3, **FAST).fit(small_X).transform(small_X)
    b = Autoencoder(n_components=3, **FAST).fit(small_X).transform(small_X)
    np.testing.assert_array_equal(a, b)
    c = Autoencoder(n_components=3, **{**FAST, "random_state": 1}).fit(small_X)
    assert not np.array_equal(a, c.transform(small_X))


def test_fit_leaves_torch_global_rng_untouched(small_X):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Autoencoder(n_components=3, **FAST).fit(small_X)
    np.testing.assert_array_equal(torch.rand(3), expected)


_CROSS_PROCESS = textwrap.dedent(
    """
    import sys, numpy as np, torch
    torch.set_num_threads(int(sys.argv[1]))
    from sklearn_ae import Autoencoder
    X = np.random.RandomState(0).normal(size=(300, 20))
    codes = Autoencoder(n_components=4, hidden_layer_sizes=(32,), max_iter=3,
                        random_state=0).fit(X).transform(X)
    sys.stdout.write(codes.astype(np.float64).tobytes().hex())
    """
)


def test_same_seed_identical_across_processes_and_thread_counts():
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _CROSS_PROCESS, str(threads)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for threads in (1, 2, 1)
    }
    assert len(outputs) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(small_X, dtype):
    X = small_X.astype(dtype)
    ae = Autoencoder(n_components=3, **FAST).fit(X)
    codes = ae.transform(X)
    assert codes.dtype == dtype
    assert ae.inverse_transform(codes).dtype == dtype
    assert ae.score_samples(X).dtype == dtype
    assert ae.fit_transform(X).dtype == dtype


def test_score_samples_ranks_off_distribution_rows_lower(digits):
    X, _ = digits
    ae = Autoencoder(n_components=8, max_iter=30, random_state=0).fit(X[:1000])
    noise = np.random.RandomState(0).uniform(size=(200, 64))
    typical = ae.score_samples(X[1000:1200])
    odd = ae.score_samples(noise)
    assert np.median(typical) > np.max(odd)


def test_trains_stably_on_unscaled_data():
    rng = np.random.RandomState(0)
    X = 100 + rng.normal(size=(200, 5)) @ rng.normal(size=(5, 10))
    ae = Autoencoder(n_components=5, max_iter=50, random_state=0).fit(X)
    assert np.all(np.isfinite(ae.loss_curve_))
    recon = ae.inverse_transform(ae.transform(X))
    # Reconstructions come back in the data's own units.
    assert np.abs(recon.mean() - X.mean()) < 1.0
    assert np.mean((recon - X) ** 2) < X.var(axis=0).mean()


def test_diverging_loss_raises_and_leaves_estimator_unfitted(small_X):
    ae = Autoencoder(n_components=2, optimizer="sgd", learning_rate_init=1e8, max_iter=20, random_state=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+.*learning_rate_init"):
        ae.fit(small_X * 1e3)
    assert not hasattr(ae, "net_")
    assert not hasattr(ae, "mean_")


def test_verbose_prints_epoch_table(small_X, capsys):
    Autoencoder(n_components=2, hidden_layer_sizes=(4,), max_iter=2, verbose=1, random_state=0).fit(small_X)
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out and "dur" in out


def test_early_stopping_records_validation_scores(small_X):
    ae = Autoencoder(n_components=2, max_iter=30, early_stopping=True, n_iter_no_change=2, tol=10.0, random_state=0)
    ae.fit(small_X)
    assert ae.n_iter_ < 30
    assert len(ae.validation_scores_) == ae.n_iter_
    assert ae.best_validation_score_ == max(ae.validation_scores_)


def test_cuda_without_gpu_is_a_clear_error(small_X):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="CUDA is not available"):
        Autoencoder(device="cuda", **FAST).fit(small_X)
    assert Autoencoder(device="auto", **FAST).fit(small_X).device_.type == "cpu"


def test_tied_weights_shares_the_encoder_matrices(small_X):
    untied = Autoencoder(n_components=3, **FAST).fit(small_X)
    tied = Autoencoder(n_components=3, tied_weights=True, **FAST).fit(small_X)
    n_untied = sum(p.numel() for p in untied.net_.module_.decoder_layers.parameters())
    n_tied = sum(p.numel() for p in tied.net_.module_.decoder_layers.parameters())
    assert n_tied == 6 + 16  # decoder biases only
    assert n_untied == 3 * 16 + 16 + 16 * 6 + 6
    assert np.all(np.isfinite(tied.loss_curve_))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "bce", "output_activation": "identity"}, "output_activation"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"device": "gpu0"}, "device"),
    ],
)
def test_invalid_combinations_raise_at_fit(small_X, params, match):
    ae = Autoencoder(**params)  # never raises in __init__
    with pytest.raises(ValueError, match=match):
        ae.fit(small_X)


def test_bce_requires_unit_interval(small_X):
    with pytest.raises(ValueError, match=r"\[0, 1\].*from -?\d"):
        Autoencoder(loss="bce", **FAST).fit(small_X)


@pytest.mark.slow
@pytest.mark.parametrize("n_components", [2, 8])
def test_defaults_reconstruct_digits_better_than_pca(digits, n_components):
    from sklearn.decomposition import PCA

    X, _ = digits
    X_train, X_test = train_test_split(X, random_state=0)
    ae = Autoencoder(n_components=n_components, random_state=0).fit(X_train)
    pca = PCA(n_components=n_components).fit(X_train)
    mse_ae = np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2)
    mse_pca = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    assert mse_ae < mse_pca


def test_offset_far_from_zero_does_not_cost_precision():
    # Standardising and de-standardising run in float64 on the host, so a
    # large common offset changes nothing but the offset of the outputs.
    rng = np.random.RandomState(0)
    Z = 1e-3 * rng.normal(size=(100, 3)) @ rng.normal(size=(3, 8))
    results = []
    for offset in (0.0, 1e6):
        ae = Autoencoder(n_components=3, hidden_layer_sizes=(8,), max_iter=5, random_state=0)
        X = offset + Z
        ae.fit(X)
        codes = ae.transform(X)
        results.append((codes, ae.inverse_transform(codes) - offset, ae.score_samples(X)))
    (c0, r0, s0), (c1, r1, s1) = results
    np.testing.assert_allclose(c1, c0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(r1, r0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(s1, s0, rtol=1e-3)
