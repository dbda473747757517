"""Every public estimator, found at run time, with small fast parameters.

Estimators added to ``sklearn_ae.__all__`` later are covered by the suites
that parametrize over ``ESTIMATORS`` without editing them.
"""

import numpy as np

import sklearn_ae
from sklearn_ae._base import _BaseAutoencoder

#: Few epochs and a tiny network: these suites test behaviour, not quality.
FAST = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)

ESTIMATORS = sorted(
    (
        obj
        for obj in (getattr(sklearn_ae, name) for name in sklearn_ae.__all__)
        if isinstance(obj, type) and issubclass(obj, _BaseAutoencoder)
    ),
    key=lambda cls: cls.__name__,
)


def make(cls, **params):
    """An instance of ``cls`` with ``FAST`` parameters, updated by ``params``."""
    return cls(**{**FAST, **params})


def data_for(est, n_samples=30, n_features=5, seed=0):
    """Valid training data for ``est``: in [0, 1] when it needs that range."""
    rng = np.random.RandomState(seed)
    if est._requires_unit_interval():
        return rng.uniform(size=(n_samples, n_features))
    return rng.normal(size=(n_samples, n_features))


def fingerprints():
    """One line per estimator: a hash of its fitted weights and codes."""
    import hashlib

    lines = []
    for cls in ESTIMATORS:
        est = make(cls, n_components=2)
        X = data_for(est, n_samples=64, n_features=12)
        est.fit(X)
        digest = hashlib.sha256(est.transform(X).tobytes())
        for value in est.net_.module_.state_dict().values():
            digest.update(value.numpy().tobytes())
        lines.append(f"{cls.__name__} {digest.hexdigest()}")
    return "\n".join(lines)
