"""Torch's thread count inside fits and inference calls.

Two rules, applied in this order, and overridden by the ``n_threads``
setting (``sklearn_ae.set_config``) when it is a number:

The size rule. Torch's intra-op threads split each operation of a step
between the cores and wait for each other at its end. For small steps the
waiting costs more than the split saves, and on a machine whose cores are
busy with other work (a laptop, a shared server, a CI runner) a thread
that the OS has descheduled stalls every operation: measured on 2 busy
cores, a small fit (breast cancer, 30-16-2) took 26 s with torch's default
2 threads and 0.40 s with one. So work of fewer than :data:`SMALL_WORK`
multiply-adds per step (training) or per batch (inference) runs on one
thread; larger work keeps torch's count. ``benchmarks/bench_threads.py``
measures it, idle and with the cores kept busy.

The worker rule, for fits in worker threads:

joblib gives each *process* worker (loky, multiprocessing) a share of the
cores, ``cpu_count // n_jobs`` threads, and torch follows it. Worker
*threads* (joblib's threading backend, a dask worker with several threads)
share one process, and each fit would run torch's full thread count: two
fits on two cores with two threads each oversubscribe the machine. The rule:

- while fits run in worker threads of joblib (its threading backend, or any
  ``Parallel`` call that runs tasks in threads), torch uses one thread, the
  share a process worker gets when ``n_jobs`` is the number of cores;
- while fits run in worker threads of a ``dask.distributed`` worker, torch
  uses ``max(1, n // nthreads)``, ``n`` being torch's thread count in that
  process and ``nthreads`` the worker's;
- a fit anywhere else (the main thread of a process, a thread of the user's
  own) leaves torch's setting as it is.

Torch keeps the count per thread once a thread has used it, and one
process-wide count that a thread takes over on its first use. A fit in a
worker thread sets its own thread's count and restores it when it ends; the
process-wide count is lowered when the first such fit starts and restored
when the last one ends, so threads that start meanwhile get the budget and
later ones torch's count. The importing thread (usually the main thread)
reads its count at import, so a worker's budget never carries over to it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import threading
from contextlib import contextmanager

import torch
from torch import nn

from ._config import get_config

torch.get_num_threads()  # fixes the importing thread's count (see above)


def _dask_worker_threads():
    if "distributed" not in sys.modules:
        return None
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return None


def _in_joblib_worker():
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    return getattr(backend, "nesting_level", 0) >= 1


#: Multiply-adds through the network (one forward pass) per training step
#: or inference batch below which torch runs on one thread (see the size
#: rule above). Measured on 2 idle cores (an AMD EPYC, torch 2.13): a
#: second thread paid off (1.3-1.6x per step) from about 25 million; from
#: 0.1 to 17 million steps ran 0.8-1.2x as fast on two threads as on one,
#: and on busy cores many times slower.
SMALL_WORK = 16_000_000


def forward_work(module, rows):
    """Multiply-adds of one forward pass of ``rows`` rows through ``module``.

    Dense layers count ``in * out`` a row; convolutions their weights times
    the positions of the largest map they could see (the image's), an upper
    bound. Elementwise work is left out.
    """
    spatial = getattr(module, "image_shape", (1, 1))[1:]
    positions = 1
    for size in spatial:
        positions *= size
    total = 0
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            total += layer.in_features * layer.out_features
        elif isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)):
            total += layer.weight.numel() * positions
        elif hasattr(layer, "_source"):  # a tied layer: the transposed encoder weight
            total += layer._source[0].weight.numel()
    return total * rows


def fit_threads(n_threads):
    """Torch threads for a fit in the calling (worker) thread, or None to leave them.

    ``n_threads`` is torch's thread count outside any budgeted fit.
    """
    if threading.current_thread() is threading.main_thread():
        return None
    nthreads = _dask_worker_threads()
    if nthreads is not None:
        return max(1, n_threads // max(nthreads, 1))
    if _in_joblib_worker():
        return 1
    return None


_lock = threading.Lock()
_active = 0  # fits now running under a budget
_saved = None  # torch's thread count before the first of them


def _budget(base, work):
    """The thread count for ``work`` (multiply-adds, or None), or None to leave it."""
    setting = get_config()["n_threads"]
    if setting != "auto":
        return setting
    budget = fit_threads(base)
    if work is not None and work < SMALL_WORK:
        budget = 1
    return budget


@contextmanager
def thread_budget(work=None):
    """Run a fit or an inference call with the threads of the rules above.

    ``work`` is the multiply-adds of one step or batch (None: not known,
    only the worker rule applies). Torch's count is restored at the end.
    """
    global _active, _saved
    with _lock:
        previous = torch.get_num_threads()  # this thread's, restored at the end
        base = _saved if _active else previous
        budget = _budget(base, work)
        if budget == previous and not _active:
            budget = None  # nothing to change
        if budget is not None:
            if _active == 0:
                _saved = base
            _active += 1
            torch.set_num_threads(budget)
    if budget is None:
        yield
        return
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            # this thread's count back to what it was (an outer call's, when
            # nested), and the process-wide one once the last budgeted call ends
            torch.set_num_threads(_saved if _active == 0 else previous)
