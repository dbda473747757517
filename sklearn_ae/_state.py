"""Training state as plain values: tensors and optimizer state as arrays.

What pickling and skops keep of a net (weights, optimizer state, generators,
stopping state): NumPy arrays and Python scalars only, never a torch object
or an embedded pickle, so that loading runs no code.
"""

# SPDX-License-Identifier: BSD-3-Clause

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
