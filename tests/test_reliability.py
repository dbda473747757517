"""Bad input, faults and reproducibility, for every public estimator (issue 6).

Each test pins one promise: a mistake ends in a clear scikit-learn-style
error or in correct output, never in a crash inside torch or a silent NaN.
"""

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from _estimators import ESTIMATORS, FAST, data_for, fingerprints, make
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from sklearn_ae import Autoencoder, DivergenceError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

METHODS = ["transform", "inverse_transform", "score_samples", "score"]


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda cls: cls.__name__)
def fitted(request):
    """A fitted instance of each estimator and its training data."""
    est = make(request.param, n_components=2)
    X = data_for(est)
    return est.fit(X), X


def _call(est, method, X):
    """Call ``method``; inverse_transform gets X cut to the code width."""
    if method == "inverse_transform" and isinstance(X, np.ndarray) and X.ndim == 2:
        X = X[:, : est.n_components]
    return getattr(est, method)(X)


EST_METHODS = [
    pytest.param(cls, method, id=f"{cls.__name__}-{method}")
    for cls in ESTIMATORS
    for method in ["fit", *METHODS]
]


def _fit_or_call(cls, method, X):
    est = make(cls, n_components=2)
    if method == "fit":
        return est.fit(X)
    est.fit(data_for(est))
    return _call(est, method, X)


# ---------------------------------------------------------------------------
# 1-2. Missing, infinite and out-of-float32 values
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls, method", EST_METHODS)
@pytest.mark.parametrize(
    "value, match",
    [
        (np.nan, "Input X contains NaN"),
        (np.inf, "Input X contains infinity"),
        (-np.inf, "Input X contains infinity"),
        (1e39, "too large for float32"),
        (-1e39, "too large for float32"),
    ],
    ids=["nan", "inf", "-inf", "1e39", "-1e39"],
)
def test_non_finite_and_out_of_float32_values_raise(cls, method, value, match):
    X = data_for(make(cls))
    X[3, 1] = value
    with pytest.raises(ValueError, match=match):
        _fit_or_call(cls, method, X)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", ["Float64", "object", "list"])
def test_pandas_na_is_reported_as_missing_value(cls, kind):
    X = data_for(make(cls))
    if kind == "list":
        good, bad = X, X.tolist()
        bad[2][0] = pd.NA
    else:
        good = pd.DataFrame(X, columns=list("abcde"))
        bad = good.astype(kind)
        bad.iloc[2, 0] = pd.NA
    with pytest.raises(ValueError, match="Input X contains NaN"):
        make(cls).fit(bad)
    est = make(cls).fit(good)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.transform(bad)


def test_overflow_inside_the_network_is_an_error_not_inf():
    # Within float32 range, yet far enough from the training data that the
    # float32 network overflows: an error, never -inf scores or inf codes.
    X = np.random.RandomState(0).normal(size=(30, 4))
    ae = make(Autoencoder).fit(X * 1e-3)  # weights of about 1e3 a data unit
    far = np.full((2, 4), 1e37)  # the first layer's sums exceed float32's range
    with pytest.raises(ValueError, match="score_samples produced non-finite"):
        ae.score_samples(far)
    # Whatever overflows in a variant's batch functions is caught the same way.
    def overflowed(batch, module=None):
        return torch.full((batch.shape[0], 4), float("inf"))

    for hook, method, arg in [
        ("_encode_batch", "transform", X),
        ("_decode_batch", "inverse_transform", X[:, :4]),
    ]:
        broken = make(Autoencoder, n_components=4).fit(X)
        setattr(broken, hook, overflowed)
        with pytest.raises(ValueError, match=f"{method} produced non-finite"):
            getattr(broken, method)(arg)


@pytest.mark.parametrize("magnitude", [1e-50, 1e-150])
def test_data_below_float32_resolution_gives_finite_output(magnitude):
    # Such data used to divide by a scale that is 0 in float32: NaN codes.
    X = np.random.RandomState(0).normal(size=(20, 3)) * magnitude
    ae = make(Autoencoder).fit(X)
    assert np.isfinite(ae.transform(X)).all()
    assert np.isfinite(ae.score_samples(X)).all()


# ---------------------------------------------------------------------------
# 3. Shapes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls, method", EST_METHODS)
@pytest.mark.parametrize(
    "shape, match",
    [
        ((5,), "Expected 2D array, got 1D array"),
        ((4, 2, 2), "Found array with dim 3"),
        ((0, 5), "0 sample"),
    ],
    ids=["1d", "3d", "0-samples"],
)
def test_bad_shapes_raise_like_scikit_learn(cls, method, shape, match):
    X = np.zeros(shape)
    if method == "inverse_transform" and len(shape) == 2:
        X = np.zeros((0, 2))
    with pytest.raises(ValueError, match=match):
        _fit_or_call(cls, method, X)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_zero_features_raise(cls):
    with pytest.raises(ValueError, match="0 feature"):
        make(cls).fit(np.zeros((5, 0)))


# ---------------------------------------------------------------------------
# 4. Wrong width
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
def test_wrong_width_names_both_widths(fitted, method):
    est, X = fitted
    with pytest.raises(ValueError, match=r"X has 3 features, but \w+ is expecting 5"):
        getattr(est, method)(X[:, :3])


def test_inverse_transform_width_is_n_components(fitted):
    est, X = fitted
    with pytest.raises(ValueError, match=r"X has 5 features.*n_components=2"):
        est.inverse_transform(X)


# ---------------------------------------------------------------------------
# 5. Types
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls, method", EST_METHODS)
def test_complex_input_raises(cls, method):
    X = data_for(make(cls)) + 1j
    with pytest.raises(ValueError, match="Complex data not supported"):
        _fit_or_call(cls, method, X)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_sparse_codes_are_a_clear_type_error_in_inverse_transform(cls):
    # Data may be sparse (tests/test_sparse_input.py); codes are dense, as
    # for PCA.inverse_transform.
    with pytest.raises(TypeError, match="Sparse data was passed.*dense data is required"):
        _fit_or_call(cls, "inverse_transform", sparse.csr_matrix(np.ones((3, 2))))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_strings_raise_value_error(cls):
    with pytest.raises(ValueError, match="could not convert string to float"):
        make(cls).fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="could not convert string to float"):
        make(cls).fit(pd.DataFrame({"a": ["x", "y"], "b": [0.5, 0.25]}))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", ["list", "int", "bool"])
def test_lists_ints_and_bools_become_float64(cls, kind):
    X = data_for(make(cls))
    X = {"list": X.tolist(), "int": (X > 0.5).astype(int), "bool": X > 0.5}[kind]
    est = make(cls, n_components=2).fit(X)
    for out in (est.transform(X), est.score_samples(X), est.inverse_transform([[0, 1]])):
        assert out.dtype == np.float64
        assert np.isfinite(out).all()


# ---------------------------------------------------------------------------
# 6. DataFrames
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_dataframe_column_names_are_checked(cls):
    X = data_for(make(cls))
    df = pd.DataFrame(X, columns=list("abcde"))
    est = make(cls).fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, list("abcde"))
    with pytest.raises(ValueError, match="must be in the same order"):
        est.transform(df[list("edcba")])
    with pytest.raises(ValueError, match="unseen at fit time"):
        est.score_samples(df.rename(columns={"a": "z"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        codes_from_array = est.transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes = est.transform(df)
    np.testing.assert_array_equal(codes, codes_from_array)


# ---------------------------------------------------------------------------
# 7. Not fitted
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", [*METHODS, "get_feature_names_out"])
def test_methods_before_fit_raise_not_fitted(cls, method):
    est = make(cls, n_components=2)
    args = () if method == "get_feature_names_out" else (np.zeros((3, 2)),)
    with pytest.raises(NotFittedError):
        getattr(est, method)(*args)


# ---------------------------------------------------------------------------
# 8. Hyperparameters
# ---------------------------------------------------------------------------
BAD_PARAMS = [
    ("n_components", 0),
    ("n_components", 2.5),
    ("hidden_layer_sizes", (4, 0)),
    ("hidden_layer_sizes", "abc"),
    ("hidden_layer_sizes", (4.5,)),
    ("activation", "swish"),
    ("loss", "mae"),
    ("optimizer", "lbfgs-ish"),
    ("learning_rate_init", 0.0),
    ("alpha", -1.0),
    ("batch_size", 0),
    ("max_iter", 0),
    ("validation_fraction", 1.0),
    ("n_iter_no_change", 0),
    ("tol", -1.0),
    ("device", "tpu"),
    ("device", 3),
    ("callbacks", "progress"),
]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name, value", BAD_PARAMS, ids=[f"{n}={v!r}" for n, v in BAD_PARAMS])
def test_invalid_hyperparameters_raise_at_fit_naming_them(cls, name, value):
    if name not in cls().get_params():
        pytest.skip(f"{cls.__name__} has no parameter {name!r}")
    est = make(cls, **{name: value})  # __init__ never validates
    est.set_params(**{name: value})  # nor does set_params
    clone(est)
    with pytest.raises(ValueError, match=name if name != "device" else "device"):
        est.fit(data_for(est))
    assert not hasattr(est, "n_features_in_")


# ---------------------------------------------------------------------------
# 9. Unscaled data, divergence, gradient clipping
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_unscaled_data_trains_finitely_with_defaults(cls):
    est = cls(max_iter=5, random_state=0)
    if est._requires_unit_interval():
        pytest.skip("needs data in [0, 1]")
    X = 100 + np.random.RandomState(0).normal(size=(60, 6))
    est.fit(X)
    assert np.isfinite(est.loss_curve_).all()
    assert np.isfinite(est.transform(X)).all()
    assert np.isfinite(est.score_samples(X)).all()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_divergence_names_epoch_and_leaves_estimator_as_before(cls):
    X = data_for(make(cls))
    est = make(cls, n_components=2).fit(X)
    before = dict(est.__dict__)
    codes = est.transform(X)
    # A refit on different data that diverges must not half-replace the model.
    est.set_params(optimizer="sgd", learning_rate_init=1e8, max_iter=20)
    wide = np.random.RandomState(1).normal(size=(30, 7)) * 1e3
    if est._requires_unit_interval():
        wide = np.random.RandomState(1).uniform(size=(30, 7))
    with pytest.raises(DivergenceError, match=r"epoch \d+.*learning_rate_init.*scale"):
        est.fit(wide)
    assert est.__dict__.keys() == before.keys()
    assert all(est.__dict__[k] is v for k, v in before.items() if k not in est.get_params())
    assert est.n_features_in_ == 5
    np.testing.assert_array_equal(est.transform(X), codes)
    # A first fit that diverges leaves an unfitted estimator behind.
    fresh = make(cls, optimizer="sgd", learning_rate_init=1e8, max_iter=20)
    with pytest.raises(DivergenceError):
        fresh.fit(wide)
    with pytest.raises(NotFittedError):
        fresh.transform(wide)


def test_gradient_clipping_callback_tames_a_diverging_fit():
    X = np.random.RandomState(0).normal(size=(40, 5))
    params = dict(
        optimizer="sgd", learning_rate_init=10.0, max_iter=20, hidden_layer_sizes=(8,),
        random_state=0,
    )
    with pytest.raises(DivergenceError, match="clip gradients"):
        Autoencoder(**params).fit(X)
    clipper = GradientNormClipping(gradient_clip_value=0.1)
    ae = Autoencoder(**params, callbacks=[clipper]).fit(X)
    assert np.isfinite(ae.loss_curve_).all()
    assert any(cb is clipper for _, cb in ae.net_.callbacks_)


# ---------------------------------------------------------------------------
# 10. Batch sizes and tiny data
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("batch_size", [1000, 29, 1])
def test_batch_size_clipping_and_last_batch_of_one(cls, batch_size):
    est = make(cls, batch_size=batch_size)
    X = data_for(est, n_samples=30)
    est.fit(X)
    assert est.n_iter_ == FAST["max_iter"]
    assert est.net_.batch_size == min(batch_size, 30)
    assert np.isfinite(est.transform(X)).all()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_single_sample_fit_works_or_raises_clearly(cls):
    # fit refuses one row, as PCA does (and the scaling needs two); a stream
    # of one-row chunks still trains with partial_fit
    est = make(cls)
    X = data_for(est, n_samples=1)
    with pytest.raises(ValueError, match=f"1 sample.*minimum of 2 is required by {cls.__name__}"):
        est.fit(X)
    est.partial_fit(X)
    assert np.isfinite(est.transform(X)).all()
    assert np.isfinite(est.score_samples(X)).all()
    with pytest.raises(ValueError, match="early_stopping=True needs at least 2 samples"):
        make(cls, early_stopping=True, validation_fraction=0.9).fit(data_for(est, n_samples=2))


# ---------------------------------------------------------------------------
# 11. Unit-interval losses (the _check_input hook variants reuse)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("low, high", [(-0.5, 1.0), (0.0, 1.5)])
def test_bce_outside_unit_interval_quotes_min_and_max(low, high):
    X = np.random.RandomState(0).uniform(size=(20, 4))
    X[0, 0], X[1, 1] = low, high
    with pytest.raises(ValueError, match=rf"\[0, 1\].*from {low:g} to {high:g}"):
        make(Autoencoder, loss="bce").fit(X)
    ae = make(Autoencoder, loss="bce").fit(np.clip(X, 0, 1))
    with pytest.raises(ValueError, match=rf"from {low:g} to {high:g}"):
        ae.score_samples(X)
    assert np.isfinite(ae.transform(X)).all()  # codes of any real input are fine


# ---------------------------------------------------------------------------
# 12. Constant features
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("layout", ["all-constant", "one-constant"])
def test_constant_features_give_finite_output(cls, layout):
    est = make(cls, n_components=2)
    X = data_for(est)
    if layout == "all-constant":
        X[:] = 0.5
    else:
        X[:, 2] = 0.5
    est.fit(X)
    assert np.isfinite(est.loss_curve_).all()
    for out in (est.transform(X), est.inverse_transform(est.transform(X)), est.score_samples(X)):
        assert np.isfinite(out).all()


# ---------------------------------------------------------------------------
# 13. Devices
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_cuda_without_gpu_is_a_clear_error(cls):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    est = make(cls, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        est.fit(data_for(est))
    assert not hasattr(est, "n_features_in_")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_gpu_fit_matches_outputs_after_moving_to_cpu(cls):
    est = make(cls, device="cuda")
    X = data_for(est)
    est.fit(X)
    assert est.device_.type == "cuda"
    assert np.isfinite(est.transform(X)).all()


# ---------------------------------------------------------------------------
# 14. Interrupts
# ---------------------------------------------------------------------------
class _InterruptAt(Callback):
    """Simulates Ctrl-C during epoch ``epoch`` (at its end, or mid-batch)."""

    def __init__(self, epoch, where="on_epoch_end"):
        self.epoch = epoch
        self.where = where

    def on_epoch_end(self, net, **kwargs):
        if self.where == "on_epoch_end" and len(net.history) == self.epoch:
            raise KeyboardInterrupt

    def on_batch_end(self, net, **kwargs):
        if self.where == "on_batch_end" and len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("where", ["on_epoch_end", "on_batch_end"])
@pytest.mark.parametrize("epoch", [1, 3])
def test_keyboard_interrupt_propagates_and_leaves_estimator_unchanged(cls, where, epoch):
    est = make(cls, max_iter=3, callbacks=[_InterruptAt(epoch, where)])
    X = data_for(est)
    with pytest.raises(KeyboardInterrupt, match=f"interrupted during epoch {epoch}"):
        est.fit(X)
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(NotFittedError):
        est.transform(X)
    # A fitted estimator keeps its previous model.
    est.set_params(callbacks=None).fit(X)
    before, codes = dict(est.__dict__), est.transform(X)
    est.set_params(callbacks=[_InterruptAt(epoch, where)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X[:, :4])
    assert all(est.__dict__[k] is v for k, v in before.items() if k != "callbacks")
    np.testing.assert_array_equal(est.transform(X), codes)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_early_stopping_still_ends_training_quietly(cls):
    # skorch's EarlyStopping raises KeyboardInterrupt internally; both the
    # built-in one and one passed in callbacks must end training normally.
    est = make(cls, max_iter=50, n_iter_no_change=2, tol=1e6)
    X = data_for(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X)
    assert est.n_iter_ == 3
    user_stop = EarlyStopping(monitor="train_loss", patience=1, threshold=1e6, sink=lambda *a: None)
    est = make(cls, max_iter=50, callbacks=[user_stop]).fit(X)
    assert est.n_iter_ == 2
    assert np.isfinite(est.transform(X)).all()


# ---------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------
def _weights(est):
    return {k: v.detach().cpu().numpy() for k, v in est.net_.module_.state_dict().items()}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_same_seed_gives_bitwise_identical_model_and_global_rng_untouched(cls):
    est = make(cls, n_components=2)
    X = data_for(est)
    torch.manual_seed(7)
    expected_draw = torch.rand(4)
    torch.manual_seed(7)
    a = clone(est).fit(X)
    np.testing.assert_array_equal(torch.rand(4), expected_draw)
    b = clone(est).fit(X)
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    assert a.loss_curve_ == b.loss_curve_


_CHILD = textwrap.dedent(
    """
    import sys, warnings
    import torch
    warnings.simplefilter("ignore")
    torch.set_num_threads(2)
    sys.path.insert(0, sys.argv[1])
    from _estimators import fingerprints
    sys.stdout.write(fingerprints())
    """
)


def test_bitwise_identical_across_processes_and_thread_counts():
    # This process runs with one torch thread (see one_torch_thread), the
    # child process with two.
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(Path(__file__).parent)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert child == fingerprints()
    assert len(child.splitlines()) == len(ESTIMATORS)


@pytest.mark.slow
def test_grid_search_scores_identical_for_one_and_two_jobs():
    X = np.random.RandomState(0).normal(size=(60, 6))
    grid = {"n_components": [1, 3]}
    scores = [
        GridSearchCV(make(Autoencoder), grid, cv=2, n_jobs=n_jobs)
        .fit(X)
        .cv_results_["split0_test_score"]
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(scores[0], scores[1])


# ---------------------------------------------------------------------------
# Property-based: random shapes, dtypes and values on every public method
# ---------------------------------------------------------------------------
_ODD_VALUES = [np.nan, np.inf, -np.inf, 1e39, -1e39]


@st.composite
def _inputs(draw, widths=(0, 1, 2, 3, 4)):
    """Arrays of random shape, dtype and values; valid ones are common."""
    n = draw(st.sampled_from([0, 1, 2, 3, 4, 4]))
    p = draw(st.sampled_from(widths))
    ndim = draw(st.sampled_from([2, 2, 2, 2, 1, 3]))
    kind = draw(st.sampled_from(
        ["float64", "float64", "float32", "float32", "int64", "bool", "complex", "str"]
    ))
    values = draw(
        st.lists(st.integers(-50, 50) | st.sampled_from([0.5, -2.25, 1e-3, 123.456]),
                 min_size=n * p, max_size=n * p)
    )
    X = np.array(values, dtype=np.float64).reshape(n, p)
    odd = draw(st.sampled_from([None, None, None, *_ODD_VALUES])) if n * p else None
    if odd is not None:
        X.flat[draw(st.integers(0, n * p - 1))] = odd
    if kind == "complex":
        X = X + 1j
    elif kind == "str":
        X = X.astype(str)
    elif kind == "bool":
        X = X > 0
    elif kind == "int64" and odd is None:
        X = X.astype(np.int64)
    elif kind == "float32":
        with np.errstate(over="ignore"):
            X = X.astype(np.float32)
    if ndim == 1:
        X = X.ravel()
    elif ndim == 3:
        X = X[..., None]
    return X


def _valid(X, width):
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] != width or X.dtype.kind == "c":
        return False
    try:  # numeric strings such as "0.5" convert like numbers; others must not
        Xf = X.astype(np.float64)
    except ValueError:
        return False
    return bool(np.isfinite(Xf).all() and (np.abs(Xf) <= 1e38).all())


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=_inputs(), data=st.data())
def test_random_inputs_give_correct_output_or_documented_errors(cls, X, data):
    """Each method either returns finite output of the right shape and dtype,
    or raises ValueError; nothing else (no torch errors, no NaN)."""
    est = make(cls, n_components=2, hidden_layer_sizes=(3,), max_iter=1)
    if est._requires_unit_interval():
        pytest.skip("random values are not in [0, 1]")
    fit_ok = X.ndim == 2 and X.shape[0] >= 2 and X.size and _valid(X, X.shape[1])
    if not fit_ok:
        with pytest.raises(ValueError):
            est.fit(X)
        assert not hasattr(est, "n_features_in_")
        return
    est.fit(X)
    for method, width in [
        ("transform", est.n_features_in_),
        ("score_samples", est.n_features_in_),
        ("inverse_transform", 2),
    ]:
        Z = data.draw(_inputs(widths=(width, width, width, 1, 5)), label=method)
        if not _valid(Z, width):
            with pytest.raises(ValueError):
                getattr(est, method)(Z)
            continue
        out = getattr(est, method)(Z)
        assert out.dtype == (np.float32 if Z.dtype == np.float32 else np.float64)
        assert out.shape[0] == Z.shape[0]
        assert np.isfinite(out).all()


# ---------------------------------------------------------------------------
# Robust training: a trimmed loss
# ---------------------------------------------------------------------------
def test_trimmed_rows_drop_the_worst_share():
    from sklearn_ae._losses import trimmed_rows

    losses = torch.tensor([0.1, 5.0, 0.2, 0.3, 9.0, 0.4, 0.5, 0.6, 0.7, 0.8])
    kept = trimmed_rows(losses, 0.2)
    assert sorted(kept.tolist()) == [0, 2, 3, 5, 6, 7, 8, 9]
    assert trimmed_rows(losses, 0.0) is None
    assert trimmed_rows(losses[:1], 0.4) is None  # one row is never trimmed
    assert trimmed_rows(losses[:3], 0.4).tolist() == [0, 2]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_trim_fraction_keeps_far_outliers_out_of_training(cls):
    # 5% of rows far from the rest: with trimming they are reconstructed
    # worse (not learned) and the normal rows better.
    rng = np.random.RandomState(0)
    est = make(cls, n_components=2, max_iter=60, batch_size=40)
    unit = est._requires_unit_interval()
    X = rng.uniform(0.4, 0.6, size=(200, 6)) if unit else rng.normal(size=(200, 6))
    X[:10] = 1.0 if unit else 8.0
    plain = make(cls, n_components=2, max_iter=60, batch_size=40).fit(X)
    robust = make(cls, n_components=2, max_iter=60, batch_size=40, trim_fraction=0.1).fit(X)
    gap_plain = plain.score_samples(X[10:]).mean() - plain.score_samples(X[:10]).mean()
    gap_robust = robust.score_samples(X[10:]).mean() - robust.score_samples(X[:10]).mean()
    assert gap_robust > gap_plain
