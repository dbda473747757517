"""Layer-wise pretraining: each layer trains alone, on the codes of the frozen layers below."""

import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from _estimators import entry
from sklearn_ae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)
from sklearn_ae import _pretraining
from sklearn_ae._modules import stage_inputs

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DEEP = dict(n_components=3, hidden_layer_sizes=(12, 6), max_iter=3, random_state=0)
FAMILY = [Autoencoder, DenoisingAutoencoder, SparseAutoencoder, ContractiveAutoencoder]


def _layers(module):
    """Every layer's parameters, as copies, keyed ("enc"/"dec", index)."""
    out = {}
    for side, layers in (("enc", module.encoder_layers), ("dec", module.decoder_layers)):
        for i, layer in enumerate(layers):
            out[side, i] = [p.detach().clone() for p in layer.parameters()]
    return out


def _same(a, b):
    return all(torch.equal(u, v) for u, v in zip(a, b))


@pytest.fixture
def recorded_stages(monkeypatch):
    """Per stage: the module's layers before and after it, and its input rows."""
    stages = []
    build = _pretraining.build_net

    def spying_build_net(stage, **kwargs):
        net = build(stage, **kwargs)
        train = net.train_epochs

        def train_epochs(train_ds, valid_ds=None, **kw):
            module = stages_owner[0].net_.module_
            record = {"before": _layers(module), "inputs": train_ds.tensor.cpu().clone()}
            train(train_ds, valid_ds, **kw)
            record["after"] = _layers(module)
            stages.append(record)
            return net

        net.train_epochs = train_epochs
        return net

    stages_owner = []
    monkeypatch.setattr(_pretraining, "build_net", spying_build_net)
    return stages, stages_owner


@pytest.mark.parametrize("cls", FAMILY)
def test_each_stage_trains_only_its_layers_on_the_codes_of_the_frozen_layers_below(
    cls, small_X, recorded_stages
):
    stages, owner = recorded_stages
    est = cls(**DEEP, pretraining="layerwise")
    owner.append(est)
    est.fit(small_X)
    n_layers = 3  # (12, 6) hidden, then the code
    assert len(stages) == n_layers
    X_model = torch.from_numpy(est._scaling.to_model(small_X))
    for k, record in enumerate(stages):
        before, after = record["before"], record["after"]
        mirror = n_layers - 1 - k
        for key in before:
            trained = key in {("enc", k), ("dec", mirror)}
            assert _same(before[key], after[key]) is not trained, (k, key)
        # The stage's input (and target) is layer k-1's code under the
        # weights the layers below had, and still have: they were frozen.
        module = est.net_.module_
        saved = _layers(module)
        with torch.no_grad():
            for (side, i), params in before.items():
                layer = (module.encoder_layers if side == "enc" else module.decoder_layers)[i]
                for p, v in zip(layer.parameters(), params):
                    p.copy_(v)
            expected = stage_inputs(module, k, X_model)
            for (side, i), params in saved.items():
                layer = (module.encoder_layers if side == "enc" else module.decoder_layers)[i]
                for p, v in zip(layer.parameters(), params):
                    p.copy_(v)
        torch.testing.assert_close(record["inputs"], expected, rtol=0, atol=1e-6)


def test_stages_end_in_the_weights_fine_tuning_starts_from(small_X, recorded_stages):
    stages, owner = recorded_stages
    est = Autoencoder(**DEEP, pretraining="layerwise")
    owner.append(est)
    est.set_params(max_iter=1)
    est.fit(small_X)
    pretrained = stages[-1]["after"]
    # one fine-tuning epoch moves every layer from where pretraining left it
    final = _layers(est.net_.module_)
    assert all(not _same(pretrained[key], final[key]) for key in final)


def test_loss_curves_per_stage_and_the_stage_budget(small_X):
    est = Autoencoder(**DEEP, pretraining="layerwise", pretraining_max_iter=4).fit(small_X)
    curves = est.pretraining_loss_curves_
    assert len(curves) == 3
    assert all(len(c) == 4 and all(np.isfinite(c)) for c in curves)
    assert est.n_iter_ == 3  # fine-tuning keeps max_iter
    default = Autoencoder(**DEEP, pretraining="layerwise").fit(small_X)
    assert [len(c) for c in default.pretraining_loss_curves_] == [3, 3, 3]  # None: max_iter
    assert not hasattr(Autoencoder(**DEEP).fit(small_X), "pretraining_loss_curves_")


def test_pretraining_lowers_each_stages_loss(digits):
    X = digits[0][:400]
    est = DenoisingAutoencoder(
        n_components=4, hidden_layer_sizes=(32, 16), max_iter=1, pretraining_max_iter=15,
        pretraining="layerwise", noise="masking", noise_level=0.2, random_state=0,
    ).fit(X)
    for curve in est.pretraining_loss_curves_:
        assert curve[-1] < curve[0]


@pytest.mark.parametrize("cls", FAMILY)
def test_seeded_pretraining_is_reproducible_and_changes_the_model(cls, small_X):
    a = cls(**DEEP, pretraining="layerwise").fit(small_X)
    b = cls(**DEEP, pretraining="layerwise").fit(small_X)
    plain = cls(**DEEP).fit(small_X)
    np.testing.assert_array_equal(a.transform(small_X), b.transform(small_X))
    assert a.pretraining_loss_curves_ == b.pretraining_loss_curves_
    assert not np.array_equal(a.transform(small_X), plain.transform(small_X))


def test_warm_start_does_not_pretrain_again(small_X, recorded_stages):
    stages, owner = recorded_stages
    est = Autoencoder(**DEEP, pretraining="layerwise", warm_start=True)
    owner.append(est)
    est.fit(small_X)
    est.fit(small_X)
    assert len(stages) == 3


def test_tied_weights_pretrain_each_layer_with_its_transpose(small_X):
    est = Autoencoder(**DEEP, pretraining="layerwise", tied_weights=True).fit(small_X)
    assert len(est.pretraining_loss_curves_) == 3


@pytest.mark.parametrize(
    "params, match",
    [
        ({"architecture": "conv", "image_shape": (2, 3)}, "architecture='mlp'"),
        ({"hidden_layer_sizes": ()}, "at least one hidden layer"),
        ({"pretraining": "greedy"}, "pretraining"),
        ({"pretraining_max_iter": 0}, "pretraining_max_iter"),
    ],
)
def test_invalid_pretraining_settings_raise(small_X, params, match):
    est = Autoencoder(**{**DEEP, "pretraining": "layerwise", **params})
    with pytest.raises(ValueError, match=match):
        est.fit(small_X)


def test_partial_fit_pretrains_at_its_first_call_only(small_X, recorded_stages):
    stages, owner = recorded_stages
    est = Autoencoder(**DEEP, pretraining="layerwise")
    owner.append(est)
    est.partial_fit(small_X)
    assert len(stages) == 3 and len(est.pretraining_loss_curves_) == 3
    est.partial_fit(small_X)
    assert len(stages) == 3 and est.n_iter_ == 2


def test_the_variational_autoencoder_has_no_layerwise_pretraining():
    # Its code is a distribution (mean and variance heads): a stage of
    # deterministic layers does not stack into it.
    assert "pretraining" not in VariationalAutoencoder().get_params()
    assert all("pretraining" in cls().get_params() for cls in FAMILY)


def _pretraining_instances():
    from _estimators import make

    return [make(cls, hidden_layer_sizes=(6, 4), pretraining="layerwise") for cls in FAMILY]


@parametrize_with_checks(
    _pretraining_instances(),
    expected_failed_checks=lambda est: entry(type(est)).expected_failed_checks,
)
def test_common_checks_with_layerwise_pretraining(estimator, check):
    check(estimator)


def test_pretrained_model_round_trips_through_skops_and_keeps_training(small_X):
    sio = pytest.importorskip("skops.io")
    import pickle

    est = Autoencoder(**DEEP, pretraining="layerwise", warm_start=True).fit(small_X)
    blob = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=blob)
    assert untrusted == ["sklearn_ae._autoencoder.Autoencoder"]
    for restored in (sio.loads(blob, trusted=untrusted), pickle.loads(pickle.dumps(est))):
        assert restored.pretraining_loss_curves_ == est.pretraining_loss_curves_
        np.testing.assert_array_equal(restored.transform(small_X), est.transform(small_X))
        restored.fit(small_X)  # continues: no second pretraining
        assert restored.n_iter_ == 2 * est.n_iter_


def test_classifier_over_a_pretrained_deep_encoder(small_X):
    from sklearn_ae import AutoencoderClassifier

    y = (small_X[:, 0] > 0).astype(int)
    clf = AutoencoderClassifier(
        Autoencoder(**DEEP, pretraining="layerwise"), max_iter=3, random_state=0
    ).fit(small_X, y)
    assert len(clf.estimator_.pretraining_loss_curves_) == 3
    assert clf.predict(small_X).shape == (len(small_X),)
