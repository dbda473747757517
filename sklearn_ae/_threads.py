"""Torch's thread count inside fits that run in worker threads.

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


def fit_threads(n_threads):
    """Torch threads for a fit in the calling thread, or None to leave them.

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


@contextmanager
def thread_budget():
    """Run a fit with :func:`fit_threads` torch threads, then restore them."""
    global _active, _saved
    with _lock:
        base = _saved if _active else torch.get_num_threads()
        budget = fit_threads(base)
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
            # this thread's count back to what it was, and the process-wide
            # one with it once the last budgeted fit ends
            torch.set_num_threads(_saved if _active == 0 else base)
