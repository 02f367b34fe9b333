"""What a second thread buys on this machine: plain Numba loops of three kinds, then numfmt's
threaded calls, each on 1 thread and on all cores, alternated, best of the repeats.

    python benchmarks/bench_threads.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/threads.md]

The plain loops tell what the host allows before numfmt's runner is judged: a latency-bound
scalar chain, a throughput-bound vector loop in L1 and rows streamed from L2. Where the
vector loops gain nothing (virtual CPUs that share one physical core), no vectorized kernel
can gain either.
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np

from _common import command, machine_line, markdown_table, parse_args, publish
import numfmt as nf


@nb.njit(nogil=True)
def scalar_chain(x, reps):
    """A dependent chain of float64 multiply-adds (latency-bound)."""
    s = 0.0
    for _ in range(reps):
        for j in range(x.size):
            s = s * 0.999 + x[j]
    return s


@nb.njit(nogil=True, fastmath=True)
def vector_l1(x, y, reps):
    """Independent float32 multiply-adds over an array in L1 (throughput-bound, vectorized)."""
    for _ in range(reps):
        for j in range(x.size):
            y[j] = y[j] * np.float32(0.999) + x[j]
    return y[0]


@nb.njit(nogil=True)
def streamed_rows(out, a, b):
    """out[i] += a[i, k] * b[k] over k: rows of b (in L2) streamed through every output row."""
    for i in range(out.shape[0]):
        o = out[i]
        for k in range(b.shape[0]):
            ak, bk = a[i, k], b[k]
            for j in range(o.size):
                o[j] += ak * bk[j]


def _split(pool, threads, task):
    """task(t) for t in 0 .. threads - 1 in the pool's threads (task(0) alone for one)."""
    if threads == 1:
        task(0)
        return
    for f in [pool.submit(task, t) for t in range(threads)]:
        f.result()


def host_loops(n: int):
    """(name, function of the thread count) of the three plain loops, each of fixed total work."""
    x = np.ones(1024)
    xs = np.ones(1024, np.float32)
    ys = [np.zeros(1024, np.float32) for _ in range(os.cpu_count() or 1)]
    a = np.ones((n, n), np.float32)
    b = np.ones((n, n), np.float32)
    out = np.zeros((n, n), np.float32)
    reps = 2000 if n < 512 else 20000
    scalar_chain(x, 1), vector_l1(xs, ys[0], 1), streamed_rows(out[:1], a[:1], b)
    pool = ThreadPoolExecutor(max_workers=len(ys))

    def rows(threads):
        bounds = [n * t // threads for t in range(threads + 1)]
        return lambda t: streamed_rows(out[bounds[t]:bounds[t + 1]], a[bounds[t]:bounds[t + 1]], b)
    return [
        ("scalar chain (float64, latency-bound)",
         lambda th: _split(pool, th, lambda t: scalar_chain(x, reps // th))),
        ("vector multiply-add in L1 (float32, throughput-bound)",
         lambda th: _split(pool, th, lambda t: vector_l1(xs, ys[t], 10 * reps // th))),
        (f"rows streamed from L2 ({n} x {n} float32)", lambda th: _split(pool, th, rows(th))),
    ]


def numfmt_calls(n: int, m: int):
    """(name, function of the thread count) of numfmt calls that split their work over threads."""
    rng = np.random.default_rng(0)
    a = nf.round(rng.standard_normal((n, n)).astype(np.float32), "e4m3")
    b = nf.round(rng.standard_normal((n, n)).astype(np.float32), "e4m3")
    x = rng.standard_normal(m).astype(np.float32)

    def threaded(call):
        def run(threads):
            nf.set_num_threads(threads)
            call()
        return run
    fused = dict(order="fused", fused_terms=16, alignment_bits=24)
    return [
        (f"numfmt matmul {n}^3 e4m3 -> binary32", threaded(lambda: nf.matmul(a, b, "e4m3", accumulator="binary32"))),
        (f"numfmt matmul {n}^3 e4m3 -> binary32 fused (k = 16, 24 bits)",
         threaded(lambda: nf.matmul(a, b, "e4m3", accumulator="binary32", **fused))),
        (f"numfmt round {m:,} float32 to e4m3", threaded(lambda: nf.round(x, "e4m3"))),
        (f"numfmt round {m:,} float32 to e4m3, stochastic",
         threaded(lambda: nf.round(x, "e4m3", "stochastic", seed=1))),
    ]


def alternated_best(run, counts, repeats: int) -> dict:
    """{threads: best seconds of run(threads)}, the thread counts alternated in each repeat
    (a warm-up call first), so that a change of the machine's speed meets them alike."""
    best = {c: float("inf") for c in counts}
    for c in counts:
        run(c)
    for _ in range(repeats):
        for c in counts:
            t0 = time.perf_counter()
            run(c)
            best[c] = min(best[c], time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    args = parse_args(__doc__, "threads", argv)
    return publish(args, "threads", lambda: render(args))


def render(args) -> str:
    """Measure each loop and call on 1 thread and on all cores; the results table as markdown."""
    cores = os.cpu_count() or 1
    n, m, repeats = (128, 1 << 16, 3) if args.quick else (512, 1 << 22, 30)
    rows = []
    saved = nf.get_num_threads()
    try:
        for name, run in host_loops(n) + numfmt_calls(n, m):
            best = alternated_best(run, (1, cores), repeats)
            rows.append([name, f"{best[1] * 1e3:.2f}", f"{best[cores] * 1e3:.2f}", f"{best[1] / best[cores]:.2f}x"])
    finally:
        nf.set_num_threads(saved)
    lines = [machine_line(command("bench_threads.py", args)), "",
             f"Milliseconds, best of {repeats}, the thread counts alternated; the plain loops split a "
             f"fixed amount of work over the threads.", ""]
    lines += markdown_table(["task", "1 thread (ms)", f"{cores} threads (ms)", "speed-up"], rows)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
