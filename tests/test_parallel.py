"""One parallel runner (numfmt.parallel): every entry point gives the same bits on 1 and on 2
threads, and work is split by cost, so that small but expensive calls (a 256 x 256 matmul, posit
arithmetic, the quire, block casts, dyadic requantization) use the second thread."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import numfmt as nf
from numfmt import dyadic, parallel

RNG = np.random.default_rng(11)
X = RNG.standard_normal(1 << 17).astype(np.float32)
E4 = nf.round(X[:1 << 16], "e4m3")
P16 = nf.round(X[:1 << 14], "posit16")
P16_ALL = nf.round(X, "posit16")       # (a stochastic mul takes about 2 work units an element)
M = nf.round(RNG.standard_normal((256, 256)).astype(np.float32), "e4m3")
Z = RNG.integers(-(1 << 31), 1 << 31, 1 << 17).astype(np.int32)

CALLS = {
    "round e4m3": lambda: nf.round(X, "e4m3"),
    "round e4m3 stochastic": lambda: nf.round(X, "e4m3", "stochastic", seed=1),
    "encode posit16": lambda: nf.encode(X, "posit16"),
    "round posit16 stochastic": lambda: nf.round(X, "posit16", "stochastic", seed=2),
    "round int8": lambda: nf.round(X * 50, "int8", "stochastic", seed=3),
    "round mxfp4 stochastic": lambda: nf.round(X.reshape(-1, 64), "mxfp4", "stochastic", axis=1, seed=4),
    "round nvfp4": lambda: nf.round(X.reshape(-1, 64), "nvfp4", axis=1),
    "add e4m3": lambda: nf.add(E4, E4[::-1].copy(), "e4m3"),
    "div e4m3 stochastic": lambda: nf.div(E4, E4[::-1].copy(), "e4m3", "stochastic", seed=5),
    "mul posit16": lambda: nf.mul(P16_ALL, P16_ALL[::-1].copy(), "posit16", "stochastic", seed=6),
    "matmul e4m3 256": lambda: nf.matmul(M, M, "e4m3", accumulator="binary32"),
    "matmul stochastic": lambda: nf.matmul(M[:64], M, "e4m3", accumulator="bfloat16", rounding="stochastic", seed=7),
    "quire_dot posit16": lambda: nf.quire_dot(P16.reshape(128, 128), P16.reshape(128, 128), "posit16"),
    "quantize_affine exact": lambda: nf.quantize_affine(X, "int8", 0.05, 3, exact=True, rounding="stochastic", seed=8),
    "requantize": lambda: dyadic.requantize(Z, 1 << 30, 37),
    "requantize gemmlowp": lambda: dyadic.requantize(Z >> 8, 1 << 30, 31, rounding="gemmlowp"),
    "linear": lambda: dyadic.linear(M.astype(np.int8), M.astype(np.int8), b=1 << 30, c=40),
}


class _CountingPool(ThreadPoolExecutor):
    submitted = 0

    def submit(self, *args, **kwargs):
        type(self).submitted += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
def two_threads(monkeypatch):
    """2 threads even on a one-CPU machine, with a pool that counts the tasks it runs."""
    monkeypatch.setattr(parallel, "CPUS", 2)
    old = nf.get_num_threads()
    yield
    nf.set_num_threads(old)


@pytest.mark.parametrize("name", list(CALLS))
def test_one_and_two_threads_give_the_same_bits_and_two_are_used(name, two_threads, monkeypatch):
    nf.set_num_threads(1)
    one = CALLS[name]()
    nf.set_num_threads(2)
    _CountingPool.submitted = 0
    monkeypatch.setattr(parallel, "_pool", _CountingPool(max_workers=2))
    two = CALLS[name]()
    assert _CountingPool.submitted >= 1, f"{name} ran on one thread"     # (the calling thread is the other)
    if isinstance(one, nf.BlockCodes):
        one, two = one.codes, two.codes
    np.testing.assert_array_equal(np.asarray(one), np.asarray(two))


def test_small_cheap_work_stays_on_one_thread(two_threads, monkeypatch):
    nf.set_num_threads(2)
    _CountingPool.submitted = 0
    monkeypatch.setattr(parallel, "_pool", _CountingPool(max_workers=2))
    nf.round(X[:1000], "e4m3")
    nf.add(E4[:1000], E4[:1000], "e4m3")
    assert _CountingPool.submitted == 0


def test_run_ranges_covers_every_item_once(two_threads):
    """Up to PIECES_PER_THREAD ranges per thread, taken by whichever thread is free: every item
    once, the results in the ranges' order, each range at least MIN_WORK and never empty."""
    nf.set_num_threads(2)
    seen = []
    results = parallel.run_ranges(lambda lo, hi: seen.extend(range(lo, hi)) or (lo, hi), 1000, work_per_item=1e6)
    assert sorted(seen) == list(range(1000))
    assert len(results) == 2 * parallel.PIECES_PER_THREAD
    assert [lo for lo, _ in results[1:]] == [hi for _, hi in results[:-1]] and results[-1][1] == 1000
    assert len(parallel.run_ranges(lambda lo, hi: None, 3 * parallel.MIN_WORK)) == 3
    assert parallel.run_ranges(lambda lo, hi: (lo, hi), 3, work_per_item=1e6) == [(0, 1), (1, 2), (2, 3)]


def test_run_ranges_raises_after_every_range_ended(two_threads):
    """A range that raises: no range starts after it, and the error reaches the caller once the
    running ones have ended (nothing runs after run_ranges returns)."""
    import threading
    import time
    nf.set_num_threads(2)
    started, running = [], threading.Lock()

    def task(lo, hi):
        with running:
            started.append(lo)
        if lo == 0:
            raise RuntimeError("range 0")
        time.sleep(0.01)

    with pytest.raises(RuntimeError, match="range 0"):
        parallel.run_ranges(task, 1000, work_per_item=1e6)
    seen = list(started)
    time.sleep(0.05)
    assert started == seen and 1 <= len(seen) < 2 * parallel.PIECES_PER_THREAD
