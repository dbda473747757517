"""Training state as plain values: tensors and optimizer state as arrays.

What pickling and skops keep of a net (weights, optimizer state, generators,
stopping state): NumPy arrays and Python scalars only, never a torch object
or an embedded pickle, so that loading runs no code.
"""

# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager

import numpy as np
import torch


# ----------------------------------------------------------------------
# Plain values for persistence
# ----------------------------------------------------------------------
def _tensors_to_arrays(tensors):
    return {k: v.detach().cpu().numpy().copy() for k, v in tensors.items()}


def _arrays_to_tensors(arrays):
    return {k: torch.as_tensor(np.array(v)) for k, v in arrays.items()}


def _optimizer_state_to_plain(state_dict):
    """An optimizer's state_dict with arrays for tensors and no int keys."""

    def plain(value):
        return value.detach().cpu().numpy().copy() if isinstance(value, torch.Tensor) else value

    return {
        "state": [
            [int(i), {name: plain(v) for name, v in param_state.items()}]
            for i, param_state in state_dict["state"].items()
        ],
        "param_groups": [dict(group) for group in state_dict["param_groups"]],
    }


def _optimizer_state_from_plain(state):
    def tensor(value):
        return torch.as_tensor(np.array(value)) if isinstance(value, np.ndarray) else value

    return {
        "state": {int(i): {k: tensor(v) for k, v in s.items()} for i, s in state["state"]},
        "param_groups": [
            {**group, "params": list(group["params"])} for group in state["param_groups"]
        ],
    }


def _plain(obj):
    """Recursively turn history rows into plain lists, dicts and floats."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    return obj


#: Parameters that may change between a fit and continued training.
_CONTINUABLE_PARAMS = {"max_iter", "warm_start", "inference_batch_size", "device_memory_budget"}


def _same_param(a, b):
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # arrays and the like: not the same object
        return False


def check_unchanged(method, built_with, params):
    """Refuse to continue training when a parameter changed since the build."""
    changed = sorted(
        name
        for name, value in built_with.items()
        if name not in _CONTINUABLE_PARAMS and not _same_param(params[name], value)
    )
    if changed:
        raise ValueError(
            f"{method} continues training the fitted model, but "
            f"{', '.join(changed)} changed since it was built "
            f"({', '.join(f'{n}={built_with[n]!r}' for n in changed)} then). "
            "Restore them, or refit from scratch (warm_start=False, or a fresh "
            "clone for partial_fit)."
        )


@contextmanager
def unchanged_on_failure(estimator, net=None):
    """Leave ``estimator`` exactly as it was if the block raises.

    A new model is built aside from the old one, so restoring the
    attributes restores it; continued training changes the ``net`` in
    place, so its training state is saved first and put back.
    """
    before = dict(estimator.__dict__)
    net_state = net.get_training_state(history=False) if net is not None else None
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(before)
        if net_state is not None:
            net.set_training_state(net_state)
        raise


def loading_device(device):
    """Where a loaded model runs: where it was fitted, or the CPU.

    A model fitted on a GPU this machine lacks runs (and goes on training)
    on the CPU: its weights are arrays.
    """
    device = torch.device(device)
    if device.type == "cuda" and (
        not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()
    ):
        device = torch.device("cpu")
    return device
