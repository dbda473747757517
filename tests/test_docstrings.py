"""Each public estimator's numpydoc sections match what it really has.

In the spirit of scikit-learn's ``test_docstring_parameters``: the
Parameters section names exactly the ``__init__`` parameters, in order, and
the Attributes section exactly the public fitted attributes (those ending
in ``_``), collected over fits that set every conditional one (a DataFrame
for ``feature_names_in_``, ``early_stopping=True`` for the validation
scores).
"""

import inspect
import warnings

import pandas as pd
import pytest
from sklearn.base import is_classifier, is_regressor

numpydoc = pytest.importorskip("numpydoc.docscrape")

from _estimators import PUBLIC_ESTIMATORS, data_for, entry, make  # noqa: E402


def _documented(cls, section):
    names = []
    for item in numpydoc.ClassDoc(cls)[section]:
        names.extend(n.strip() for n in item.name.split(","))
    return names


def _fitted_attributes(cls):
    seen = set()
    for params in entry(cls).attribute_fits:
        est = make(cls, **params)
        X = data_for(est)
        y = None
        if is_classifier(est):
            y = (X[:, 0] > 0).astype(int)
        elif is_regressor(est):
            y = X[:, 0]
        X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        seen |= {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
        seen |= {
            name
            for name in dir(type(est))
            if name.endswith("_")
            and not name.startswith("_")
            and isinstance(getattr(type(est), name), property)
        }
    return seen


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, ids=lambda c: c.__name__)
def test_parameters_section_lists_the_init_parameters_in_order(cls):
    documented = _documented(cls, "Parameters")
    signature = [
        name for name in inspect.signature(cls.__init__).parameters if name != "self"
    ]
    assert sorted(documented) == sorted(signature), (
        f"undocumented: {sorted(set(signature) - set(documented))}, "
        f"documented but not a parameter: {sorted(set(documented) - set(signature))}"
    )
    assert documented == signature, "Parameters are not documented in signature order"


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, ids=lambda c: c.__name__)
def test_attributes_section_lists_the_fitted_attributes(cls):
    documented = set(_documented(cls, "Attributes"))
    fitted = _fitted_attributes(cls)
    assert documented == fitted, (
        f"undocumented: {sorted(fitted - documented)}, "
        f"documented but never set: {sorted(documented - fitted)}"
    )


# Where an autoencoder's entry for a shared parameter says something else
# than its siblings' on purpose, and why. Any other difference is drift.
_MEANT_TO_DIFFER = {
    ("n_components", "VariationalAutoencoder"): 'also takes "auto"',
    ("architecture", "ContractiveAutoencoder"): "only the dense architecture",
    ("hidden_layer_sizes", "ContractiveAutoencoder"): "no convolutional stages",
    ("tol", "VariationalAutoencoder"): "its loss is in nats",
    ("random_state", "VariationalAutoencoder"): "also seeds the latent draws",
}


def test_shared_parameters_read_the_same_in_every_autoencoder():
    from collections import defaultdict

    from numpydoc.docscrape import ClassDoc

    from _estimators import ESTIMATORS

    entries = defaultdict(dict)
    for cls in ESTIMATORS:
        for param in ClassDoc(cls)["Parameters"]:
            entries[param.name][cls.__name__] = (param.type, "\n".join(param.desc))
    drift = []
    for name, by_class in entries.items():
        texts = {c: t for c, t in by_class.items() if (name, c) not in _MEANT_TO_DIFFER}
        if len(set(texts.values())) > 1:
            drift.append(f"{name}: {sorted(texts)}")
    assert not drift, "shared parameters documented differently:\n" + "\n".join(drift)
    for name, cls_name in _MEANT_TO_DIFFER:  # the exceptions still exist
        assert cls_name in entries[name], (name, cls_name)
