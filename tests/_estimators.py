"""The registry: every public estimator, with its small test settings.

Every suite that runs over estimators reads this module. Public estimators
are found at run time in ``sklearn_ae.__all__`` (any scikit-learn
estimator class, not only autoencoders: meta-estimators added later are
covered too), and ``test_registry_covers_every_public_estimator`` fails
for one that has no entry in ``REGISTRY``, so none silently drops out.

Each entry gives the estimator's fast settings (few epochs, a tiny network:
the suites test behaviour, not quality) and the extra settings that the
common checks must also cover (each noise, sparsity, architecture ...).
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.base import BaseEstimator
from skorch.callbacks import Callback

import sklearn_ae
from sklearn_ae._base import _BaseAutoencoder

#: Few epochs and a tiny network: these suites test behaviour, not quality.
FAST = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)


@dataclass
class Entry:
    """Test settings of one public estimator."""

    #: Parameters of the fast instance, on top of ``FAST`` for autoencoders.
    fast: dict = field(default_factory=dict)
    #: Extra settings the common checks also run (each on top of ``fast``).
    check_variants: list = field(default_factory=list)
    #: ``{check name: reason}`` of expected failures of the common checks.
    expected_failed_checks: dict = field(default_factory=dict)
    #: Every option of the estimator's variant parameters (each loss,
    #: noise, sparsity, likelihood ...), for the grid of the invariance
    #: checks and of the slow common checks.
    options: list = field(default_factory=lambda: [{}])
    #: Settings whose fits, together, set every documented fitted attribute.
    attribute_fits: list = field(default_factory=lambda: [{}, {"early_stopping": True}])
    #: Whether the estimator supports ``architecture="conv"``.
    conv: bool = True


#: The fits that set every fitted attribute of the MLP autoencoder family
#: (``pretraining_loss_curves_`` only exists after layer-wise pretraining).
_FAMILY_FITS = [{}, {"early_stopping": True}, {"pretraining": "layerwise"}]

REGISTRY = {
    "Autoencoder": Entry(
        attribute_fits=_FAMILY_FITS,
        check_variants=[
            {"tied_weights": True, "hidden_layer_sizes": (8, 4)},
            {"architecture": "conv"},
        ],
        options=[
            {},
            {"loss": "bce"},
            {"tied_weights": True, "hidden_layer_sizes": (8, 4)},
            {"architecture": "conv"},
            {"architecture": "conv", "loss": "bce", "hidden_layer_sizes": (4, 8)},
        ],
    ),
    "DenoisingAutoencoder": Entry(
        attribute_fits=_FAMILY_FITS,
        check_variants=[
            {"noise": "masking", "noise_level": 0.3},
            {"noise": "salt_pepper"},
            {"architecture": "conv"},
        ],
        options=[
            {"noise": noise, "noise_level": 0.3, "loss": loss}
            for noise in ("gaussian", "masking", "salt_pepper")
            for loss in ("mse", "bce")
        ]
        + [{"architecture": "conv", "noise": "masking", "noise_level": 0.3}],
    ),
    # The suites run the KL penalty (early stopping judges every epoch);
    # the default top-k code, whose first 20 epochs anneal k, and L1 run
    # through the common checks.
    "SparseAutoencoder": Entry(
        attribute_fits=_FAMILY_FITS,
        fast={"sparsity": "kl"},
        check_variants=[
            {"sparsity": "l1"},
            {"sparsity": "topk"},
            {"architecture": "conv", "sparsity": "topk"},
        ],
        options=[
            {"sparsity": sparsity, "loss": loss}
            for sparsity in ("kl", "l1", "topk")
            for loss in ("mse", "bce")
        ]
        + [{"architecture": "conv", "sparsity": s} for s in ("kl", "topk")],
    ),
    "ContractiveAutoencoder": Entry(
        attribute_fits=_FAMILY_FITS,
        conv=False,
        check_variants=[{"hidden_layer_sizes": ()}],
        options=[{}, {"hidden_layer_sizes": ()}, {"loss": "bce"}],
    ),
    "VariationalAutoencoder": Entry(
        check_variants=[
            {"kl_warmup": 2, "free_bits": 0.1},
            {"n_components": "auto"},
            {"architecture": "conv"},
        ],
        options=[
            {"likelihood": likelihood, "n_components": n}
            for likelihood in ("gaussian", "bernoulli")
            for n in (2, "auto")
        ]
        + [{"architecture": "conv", "likelihood": lik} for lik in ("gaussian", "bernoulli")],
    ),
}

def _inner(cls_name, **params):
    return getattr(sklearn_ae, cls_name)(**{**FAST, **params})


REGISTRY["AutoencoderOutlierDetector"] = Entry(
    fast={"estimator": _inner("Autoencoder", n_components=2)},
    check_variants=[
        {"estimator": _inner("DenoisingAutoencoder", n_components=2)},
        {"estimator": _inner("VariationalAutoencoder", n_components=2)},
        {"estimator": _inner("Autoencoder", n_components=2), "calibrate": False,
         "robust": False},
        {"estimator": _inner("Autoencoder", n_components=2, architecture="conv")},
    ],
    attribute_fits=[{}],
)

REGISTRY["AutoencoderClassifier"] = Entry(
    fast={"estimator": _inner("Autoencoder", n_components=4), "max_iter": 60},
    check_variants=[
        {"estimator": _inner("VariationalAutoencoder", n_components=4), "max_iter": 60},
        {"estimator": _inner("Autoencoder", n_components=4), "freeze_encoder": True,
         "max_iter": 60},
    ],
    attribute_fits=[{}],
)
REGISTRY["AutoencoderRegressor"] = Entry(
    fast={"estimator": _inner("Autoencoder", n_components=4), "max_iter": 60},
    check_variants=[
        {"estimator": _inner("SparseAutoencoder", n_components=4, sparsity="l1"),
         "max_iter": 60},
    ],
    attribute_fits=[{}],
)

#: Every public estimator class, sorted by name.
PUBLIC_ESTIMATORS = sorted(
    (
        obj
        for obj in (getattr(sklearn_ae, name) for name in sklearn_ae.__all__)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)

#: The autoencoders among them (the suites of the transformer API).
ESTIMATORS = [cls for cls in PUBLIC_ESTIMATORS if issubclass(cls, _BaseAutoencoder)]


#: ``(cls, params)`` of every autoencoder, and of each again with the
#: convolutional architecture where it supports it: the suites of persistence
#: and continued training run over both architectures.
ARCHITECTURES = [(cls, {}) for cls in ESTIMATORS] + [
    (cls, {"architecture": "conv"}) for cls in ESTIMATORS if REGISTRY[cls.__name__].conv
]


def architecture_id(case):
    cls, params = case
    return cls.__name__ + ("-conv" if params else "")


def entry(cls):
    return REGISTRY[cls.__name__]


def make(cls, **params):
    """An instance of ``cls`` with its fast settings, updated by ``params``."""
    base = FAST if issubclass(cls, _BaseAutoencoder) else {}
    return cls(**{**base, **entry(cls).fast, **params})


def check_instances():
    """The instances the common checks run: fast settings and each variant."""
    out = []
    for cls in PUBLIC_ESTIMATORS:
        out.append(make(cls))
        out.extend(make(cls, **variant) for variant in entry(cls).check_variants)
    return out


def option_grid(max_iters=(1, 5, None)):
    """Every option of every autoencoder at each ``max_iter`` (None: default).

    The convolutional options run at the small ``max_iter`` values only:
    their default-length fits (200 epochs of convolutions, for each of the
    ~45 checks) cost most of the slow suite, and tests/test_conv.py's slow
    quality tests train them at the default length.
    """
    grid = []
    for cls in ESTIMATORS:
        default_iter = cls().get_params().get("max_iter")
        for option in entry(cls).options:
            for max_iter in max_iters:
                if max_iter is None and option.get("architecture") == "conv":
                    continue
                params = {**option, "max_iter": max_iter or default_iter}
                grid.append(make(cls, **params))
    return grid


def data_for(est, n_samples=30, n_features=5, seed=0):
    """Valid training data for ``est``: in [0, 1] when it needs that range."""
    rng = np.random.RandomState(seed)
    inner = getattr(est, "estimator", None) or est
    if inner._requires_unit_interval():
        return rng.uniform(size=(n_samples, n_features))
    return rng.normal(size=(n_samples, n_features))


def fingerprints():
    """One line per estimator: a hash of its fitted weights and codes."""
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


class ThreadCount(Callback):
    """Records torch's thread count at each epoch in one list, shared by its
    clones and by in-process workers (clear ``seen`` before use)."""

    seen = []

    def on_epoch_begin(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())
