"""Global configuration of sklearn-ae, in the style of ``sklearn.set_config``.

Settings here change how estimators use memory, never what they learn: a
model trained with any setting is the same model (bitwise, on the CPU).
Like scikit-learn's configuration, the settings are local to the thread that
sets them; workers started by ``n_jobs`` begin from the defaults. The
estimators' parameters of the same names (default None: the global setting)
travel with the estimator into such workers.
"""

# SPDX-License-Identifier: BSD-3-Clause

import threading
from contextlib import contextmanager
from numbers import Integral

_global_config = {
    # Training data up to this many bytes (as float32) is copied to the
    # training device once; larger data is streamed batch by batch.
    "device_memory_budget": 2 * 1024**3,
    # Rows per batch in transform, inverse_transform and score_samples.
    "inference_batch_size": 1024,
}
_threadlocal = threading.local()


def _get_threadlocal_config():
    if not hasattr(_threadlocal, "config"):
        _threadlocal.config = _global_config.copy()
    return _threadlocal.config


def get_config():
    """Return the current sklearn-ae configuration.

    Returns
    -------
    config : dict
        Keys are the parameter names of :func:`set_config`.

    See Also
    --------
    set_config : Change the configuration.
    config_context : Change the configuration within a ``with`` block.

    Examples
    --------
    >>> import sklearn_ae
    >>> sorted(sklearn_ae.get_config())
    ['device_memory_budget', 'inference_batch_size']
    """
    return _get_threadlocal_config().copy()


def _check_int(name, value, low):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def set_config(device_memory_budget=None, inference_batch_size=None):
    """Set the sklearn-ae configuration.

    Arguments left to None keep their current value.

    Parameters
    ----------
    device_memory_budget : int, default=None
        Largest training set, in bytes of float32, that ``fit`` copies to the
        training device at once (default 2 GiB). Batches are then slices of
        that device tensor, the fastest path. Larger training sets stay in
        host memory and each batch is gathered and copied on its own. ``0``
        always streams. The model learnt is the same either way.

    inference_batch_size : int, default=None
        Rows per batch in ``transform``, ``inverse_transform`` and
        ``score_samples`` (default 1024). Only a few batches of tensors are
        alive at a time besides the output array, so this bounds the extra
        memory of inference on large inputs. Every batch has exactly this
        many rows (the last is completed with the rows before it, a
        shorter call padded), so that a row's output does not depend on the
        other rows of the call (for sizes that are multiples of 8 from 16
        up: the matrix kernels may round a row by its position in batches
        of other sizes); a call on fewer rows costs one full batch.

    See Also
    --------
    get_config : The current configuration.
    config_context : Change the configuration within a ``with`` block.

    Examples
    --------
    >>> import sklearn_ae
    >>> sklearn_ae.set_config(inference_batch_size=1024)
    >>> sklearn_ae.get_config()["inference_batch_size"]
    1024
    >>> sklearn_ae.set_config(inference_batch_size=1024)
    """
    config = _get_threadlocal_config()
    if device_memory_budget is not None:
        config["device_memory_budget"] = _check_int(
            "device_memory_budget", device_memory_budget, 0
        )
    if inference_batch_size is not None:
        config["inference_batch_size"] = _check_int(
            "inference_batch_size", inference_batch_size, 1
        )


@contextmanager
def config_context(*, device_memory_budget=None, inference_batch_size=None):
    """Change the sklearn-ae configuration within a ``with`` block.

    Parameters
    ----------
    device_memory_budget : int, default=None
        See :func:`set_config`.

    inference_batch_size : int, default=None
        See :func:`set_config`.

    Yields
    ------
    None.

    See Also
    --------
    set_config : Change the configuration.
    get_config : The current configuration.

    Examples
    --------
    Stream the training batches from host memory, whatever the data size:

    >>> import numpy as np
    >>> import sklearn_ae
    >>> X = np.random.RandomState(0).normal(size=(50, 4))
    >>> with sklearn_ae.config_context(device_memory_budget=0):
    ...     ae = sklearn_ae.Autoencoder(max_iter=2, random_state=0).fit(X)
    """
    old = get_config()
    set_config(
        device_memory_budget=device_memory_budget,
        inference_batch_size=inference_batch_size,
    )
    try:
        yield
    finally:
        set_config(**old)
