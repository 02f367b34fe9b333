"""The one parallel runner: every kernel call that can be split runs through ``run_ranges``.

Work is split by its estimated cost, not by element count: a caller says how much work one item
is (``work_per_item``, in units of one element of a float cast, about a nanosecond), and the
items are cut into contiguous ranges once there are at least ``MIN_WORK`` units per thread
(below that a thread costs more than it saves), a few per thread, which the calling thread and
the pool's threads take in turn. So a 256 x 256 matmul with k = 256
(65,536 outputs of 256 multiply-adds each) uses every thread that ``set_num_threads`` allows,
and so do posit arithmetic, the quire, block casts and dyadic requantization. The kernels
release the GIL (``nogil=True``). Results never depend on the split: every item is computed
on its own, and stochastic rounding draws counter-based random numbers by global index (item
i uses number i wherever its range starts), so any thread count gives the same bits.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
MIN_WORK = 1 << 16               # units of work per thread before a second thread pays off
PIECES_PER_THREAD = 4            # ranges per thread (``run_ranges``)

_threads = CPUS
_pool: ThreadPoolExecutor | None = None


def set_num_threads(n: int) -> None:
    """Set how many threads the kernels use for large work: 1 to the number of CPUs this
    process may run on (the default), as ``numba.set_num_threads`` allows; else ValueError.

    >>> set_num_threads(1)
    """
    global _threads, _pool
    if not (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and 1 <= n <= CPUS):
        raise ValueError(f"n must be an integer from 1 to {CPUS} (the CPUs available); got {n!r}")
    _threads = int(n)
    _pool = None


def get_num_threads() -> int:
    """How many threads the kernels use for large work."""
    return _threads


def run_ranges(task, n: int, work_per_item: float = 1.0) -> list:
    """``task(lo, hi)`` over contiguous ranges that cover 0 .. n - 1, in parallel threads when
    the work (n * work_per_item) is large; the tasks' results in order.

    The work is cut into up to PIECES_PER_THREAD ranges per thread (each at least MIN_WORK and
    one item), which the calling thread and the pool's threads take in turn until none is
    left: the calling thread starts at once, and a pool thread that wakes late (tens of
    microseconds on a virtual machine) takes fewer ranges instead of finishing last. A range that raises
    stops the others from starting; the error reaches the caller once the running ones end.

    >>> run_ranges(lambda lo, hi: hi - lo, 10)
    [10]
    """
    global _pool
    threads = int(min(_threads, n, n * work_per_item // MIN_WORK))
    if threads <= 1:
        return [task(0, n)]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads)
    pieces = int(min(threads * PIECES_PER_THREAD, n, n * work_per_item // MIN_WORK))     # (none empty)
    bounds = [n * k // pieces for k in range(pieces + 1)]
    results = [None] * pieces
    taken = [0]
    lock = threading.Lock()

    def take_pieces():
        while True:
            with lock:
                k = taken[0]
                taken[0] += 1
            if k >= pieces:
                return
            try:
                results[k] = task(bounds[k], bounds[k + 1])
            except BaseException:
                with lock:              # (no thread starts another range)
                    taken[0] = pieces
                raise

    helpers = [_pool.submit(take_pieces) for _ in range(threads - 1)]
    try:
        take_pieces()
    finally:    # (every range ends before this returns or raises)
        for helper in helpers:
            helper.result()
    return results


def run_chunked(kernel, x: np.ndarray, out: np.ndarray, *args, pass_start: bool = False,
                work_per_item: float = 1.0, offset: int = 0) -> list:
    """``kernel(x[a:b], out[a:b], *args)`` over contiguous chunks of flat arrays (``run_ranges``);
    with ``pass_start`` the kernel also gets the chunk's first index plus ``offset`` (the
    index of x[0] in a larger array): ``kernel(x[a:b], out[a:b], offset + a, *args)``. The
    kernels' results in order.

    >>> def double(x, out, start): out[:] = 2 * x; return start
    >>> out = np.empty(3); run_chunked(double, np.arange(3.0), out, pass_start=True), out.tolist()
    ([0], [0.0, 2.0, 4.0])
    """
    def task(lo, hi):
        return kernel(x[lo:hi], out[lo:hi], *((offset + lo,) if pass_start else ()), *args)

    return run_ranges(task, x.shape[0] if x.ndim else 1, work_per_item)
