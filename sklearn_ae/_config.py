"""Global configuration of sklearn-ae, in the style of ``sklearn.set_config``.

Settings here change how estimators use memory and the device, never what
they learn on the CPU: a model trained with any setting is the same model
there (bitwise). On CUDA, ``precision`` other than ``"float32"`` changes the
arithmetic (TF32, bf16), and ``cuda_graphs`` how the step is launched.
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
    # Torch's intra-op threads inside fits and inference: "auto" (the size
    # rule of _threads.py) or a number.
    "n_threads": "auto",
    # Arithmetic of training and inference on CUDA: "float32", "tf32", "bf16".
    "precision": "float32",
    # Whether CUDA training may replay its step as a CUDA graph.
    "cuda_graphs": True,
}

#: The values of ``precision``.
PRECISIONS = ("float32", "tf32", "bf16")
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
    ['cuda_graphs', 'device_memory_budget', 'inference_batch_size', 'n_threads', 'precision']
    """
    return _get_threadlocal_config().copy()


def _check_int(name, value, low):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def set_config(
    device_memory_budget=None,
    inference_batch_size=None,
    n_threads=None,
    precision=None,
    cuda_graphs=None,
):
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
        shorter call padded) and narrow layers are computed row by row, so
        that a row's output does not depend on the other rows of the call
        nor on its position in a batch, at any batch size; a call on fewer
        rows costs one full batch.

    n_threads : "auto" or int, default=None
        Torch's intra-op thread count while an estimator fits, transforms or
        scores (default ``"auto"``). ``"auto"`` runs small work on one
        thread: a training step or inference batch of fewer than
        16 million multiply-adds through the network, where
        threads cost more in waiting for each other than they save, and
        far more when other programs keep the cores busy (measured: a small
        fit 66x slower on 2 busy cores). Larger work, and fits in worker
        threads, follow torch's own setting (``torch.set_num_threads``)
        and the worker rule of the user guide's "Scaling out". A number
        sets the count for every fit and inference call of this thread,
        overriding both (like every setting here it is thread-local: the
        workers of a parallel search start from "auto"). Torch's setting
        is restored when the call ends.

    precision : {"float32", "tf32", "bf16"}, default=None
        The arithmetic of training and inference on CUDA (default
        ``"float32"``: IEEE float32 matrix products and convolutions, also
        where torch would allow TF32 for convolutions). ``"tf32"`` lets
        matrix products and convolutions round their inputs to TF32 (10
        mantissa bits; several times faster on Ampere and later GPUs);
        ``"bf16"`` also runs the training forward passes under bfloat16
        autocast (weights, gradients and optimizer state stay float32; the
        step then takes autograd, never a CUDA graph; inference as
        ``"tf32"``). Models then differ from float32 ones by more than
        float32 rounding. Torch's own settings are set for each fit,
        transform and score and restored when it ends. On the CPU every
        setting computes in float32 (CPU results never change).

    cuda_graphs : bool, default=None
        Whether training on CUDA may capture its step (forward, backward,
        optimizer step) as a CUDA graph and replay it (default True): where
        it applies (the autograd-free step of the fully connected
        autoencoders, a fused Adam, AdamW or SGD, no per-batch callback,
        ``precision`` other than ``"bf16"``) each full batch is then one
        graph launch; the net's ``graph_reason_`` says why not elsewhere.
        Results agree with the eager step's within float32 rounding.
        False always runs the step eagerly. No effect on the CPU.

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
    if n_threads is not None:
        if not (isinstance(n_threads, str) and n_threads == "auto"):
            if not isinstance(n_threads, Integral) or isinstance(n_threads, bool) or n_threads < 1:
                raise ValueError(f"n_threads must be 'auto' or an int >= 1, got {n_threads!r}.")
            n_threads = int(n_threads)
        config["n_threads"] = n_threads
    if precision is not None:
        if not (isinstance(precision, str) and precision in PRECISIONS):
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
        config["precision"] = precision
    if cuda_graphs is not None:
        if not isinstance(cuda_graphs, bool):
            raise ValueError(f"cuda_graphs must be a bool, got {cuda_graphs!r}.")
        config["cuda_graphs"] = cuda_graphs


@contextmanager
def config_context(
    *,
    device_memory_budget=None,
    inference_batch_size=None,
    n_threads=None,
    precision=None,
    cuda_graphs=None,
):
    """Change the sklearn-ae configuration within a ``with`` block.

    Parameters
    ----------
    device_memory_budget : int, default=None
        See :func:`set_config`.

    inference_batch_size : int, default=None
        See :func:`set_config`.

    n_threads : "auto" or int, default=None
        See :func:`set_config`.

    precision : {"float32", "tf32", "bf16"}, default=None
        See :func:`set_config`.

    cuda_graphs : bool, default=None
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
        n_threads=n_threads,
        precision=precision,
        cuda_graphs=cuda_graphs,
    )
    try:
        yield
    finally:
        set_config(**old)
