"""Saving and loading models, safely, for every public estimator (issue 6)."""

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import torch
from _estimators import (
    ARCHITECTURES,
    ESTIMATORS,
    PUBLIC_ESTIMATORS,
    architecture_id,
    data_for,
    make,
)
from sklearn.base import is_classifier, is_regressor

from sklearn_ae._base import _BaseAutoencoder
from skorch.callbacks import GradientNormClipping

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

IDS = dict(ids=lambda cls: cls.__name__)

# What a saved estimator may be made of: plain Python values and numeric or
# string arrays. No torch objects, numpy scalars or opaque pickles.
_PLAIN = (bool, int, float, str, type(None))


def _assert_plain(value, where):
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), f"{where}: key {k!r}"
            _assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _assert_plain(v, f"{where}[{i}]")
    elif isinstance(value, np.ndarray):
        assert value.dtype.kind in "fiubO" or value.dtype.kind == "U", where
        if value.dtype.kind == "O":
            assert all(isinstance(v, str) for v in value.ravel()), where
    else:
        assert type(value) in _PLAIN, f"{where} is a {type(value).__name__}"


def _outputs(est, X):
    codes = est.transform(X)
    return codes, est.inverse_transform(codes), est.score_samples(X)


def _assert_same_outputs(a, b, X):
    for out_a, out_b in zip(_outputs(a, X), _outputs(b, X)):
        np.testing.assert_array_equal(out_a, out_b)
    assert a.get_params() == b.get_params() or a.callbacks is not None
    assert a.loss_curve_ == b.loss_curve_
    assert len(b.net_.history) == a.n_iter_


@pytest.fixture(scope="module", params=ARCHITECTURES, ids=architecture_id)
def fitted(request):
    cls, params = request.param
    est = make(cls, n_components=2, early_stopping=True, **params)
    X = pd.DataFrame(data_for(est), columns=list("abcde"))
    return est.fit(X), X


def test_state_holds_only_plain_values(fitted):
    est, _ = fitted
    state = est.__getstate__()
    assert "net_" not in state
    _assert_plain(state, "state")


@pytest.mark.parametrize("dump, load", [
    (pickle.dumps, pickle.loads),
    (lambda est: _joblib_dumps(est), lambda blob: joblib.load(io.BytesIO(blob))),
], ids=["pickle", "joblib"])
def test_pickle_and_joblib_round_trips_are_identical(fitted, dump, load):
    est, X = fitted
    blob = dump(est)
    assert b"skorch.net" not in blob
    _assert_same_outputs(est, load(blob), X)


def _joblib_dumps(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    return buffer.getvalue()


def _as_if_fitted_on_gpu(est):
    """The pickle a CUDA fit produces: same arrays, device_ naming the GPU."""
    state = est.__getstate__()
    state["device_"] = "cuda:0"
    return state


@pytest.mark.parametrize("cls", ESTIMATORS, **IDS)
def test_gpu_fitted_model_loads_and_runs_on_cpu_only_machine(cls, monkeypatch):
    est = make(cls, n_components=2)
    X = data_for(est)
    est.fit(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = cls.__new__(cls)
    restored.__setstate__(_as_if_fitted_on_gpu(est))
    assert restored.device_ == torch.device("cpu")
    assert restored.net_.device == torch.device("cpu")
    _assert_same_outputs(est, restored, X)
    # Through pickle too: a fitted estimator whose device_ is a GPU.
    est.device_ = torch.device("cuda")
    restored = pickle.loads(pickle.dumps(est))
    assert restored.device_ == torch.device("cpu")
    assert np.isfinite(restored.transform(X)).all()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cls", ESTIMATORS, **IDS)
def test_real_gpu_fit_pickles_to_cpu(cls, monkeypatch):
    est = make(cls, n_components=2, device="cuda")
    X = data_for(est)
    est.fit(X)
    on_gpu = _outputs(est, X)
    blob = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(blob)
    assert restored.device_.type == "cpu"
    for a, b in zip(on_gpu, _outputs(restored, X)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------
# skops.io: loading runs no code
# ---------------------------------------------------------------------------
def _own_types(types):
    return [t for t in types if t.startswith("sklearn_ae.")]


def test_skops_round_trip_trusts_only_own_classes(fitted):
    est, X = fitted
    blob = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=blob)
    assert untrusted == [f"{type(est).__module__}.{type(est).__qualname__}"]
    restored = sio.loads(blob, trusted=_own_types(untrusted))
    _assert_same_outputs(est, restored, X)
    np.testing.assert_array_equal(restored.feature_names_in_, est.feature_names_in_)


def test_skops_lists_user_callbacks_for_review():
    est = make(ESTIMATORS[0], callbacks=[GradientNormClipping(1.0)])
    est.fit(data_for(est))
    untrusted = sio.get_untrusted_types(data=sio.dumps(est))
    assert "skorch.callbacks.regularization.GradientNormClipping" in untrusted
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(sio.dumps(est), trusted=_own_types(untrusted))


def _tamper(blob, attribute, node):
    """Replace ``attribute``'s node in a skops file's schema by ``node``."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    schema = json.loads(src.read("schema.json"))
    content = schema["content"]["content"]
    assert attribute in content
    content[attribute] = node
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = json.dumps(schema) if name == "schema.json" else src.read(name)
            dst.writestr(name, data)
    return out.getvalue()


def _planted(payload):
    """The schema node of a callable, taken from skops's own output."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps({"p": payload}))).read("schema.json"))
    return schema["content"]["p"]


@pytest.mark.parametrize("attribute", ["scale_", "_net_state"])
def test_tampered_skops_file_with_a_planted_callable_is_refused(fitted, attribute, tmp_path):
    import os

    est, _ = fitted
    node = _planted(os.system)
    tampered = _tamper(sio.dumps(est), attribute, node)
    path = tmp_path / "model.skops"
    path.write_bytes(tampered)
    untrusted = sio.get_untrusted_types(file=path)
    planted = f"{node['__module__']}.{node['__class__']}"
    assert planted in untrusted
    # The documented recipe, trusting only this package's classes, refuses it.
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match=planted):
        sio.load(path, trusted=_own_types(untrusted))


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, **IDS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fitted_state_is_bounded_in_the_training_rows(cls, early_stopping):
    # 4x the rows may add at most a few bytes a row: what is kept for
    # sample() is a bounded subsample, the detector's pyod attributes are
    # compact (float32 scores, int8 labels).
    sizes = []
    for n_samples in (2_500, 10_000):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(n_samples, 20))
        if issubclass(cls, _BaseAutoencoder):
            est = make(cls, max_iter=2, early_stopping=early_stopping)
        else:
            inner = make(ESTIMATORS[0], max_iter=2, early_stopping=early_stopping)
            est = make(cls, estimator=inner, **({"max_iter": 2} if "max_iter" in
                                                 cls().get_params() else {}))
        if est._requires_unit_interval() if hasattr(est, "_requires_unit_interval") else False:
            X = rng.uniform(size=X.shape)
        y = None
        if is_classifier(est):
            y = (X[:, 0] > 0).astype(int)
        elif is_regressor(est):
            y = X[:, 0]
        est.fit(X, y)
        # The detector's isolation trees and reference rows are bounded by
        # max_samples (1,024 rows here for both sizes), not by n_samples, but
        # the trees' node count varies with the data by more than the bound.
        bounded = sum(
            len(pickle.dumps(getattr(est, name)))
            for name in ("isolation_trees_", "neighbor_rows_")
            if hasattr(est, name)
        )
        sizes.append(len(pickle.dumps(est)) - bounded)
    assert sizes[1] - sizes[0] < 50_000, sizes
