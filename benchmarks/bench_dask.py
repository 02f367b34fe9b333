"""numfmt on dask: a float32 array (1 GiB by default) to e4m3 and to mxfp8 on a LocalCluster of 1
and of 2 worker processes (one thread each), throughput and peak memory per worker.

    python benchmarks/bench_dask.py [--size-mb 1024] [--chunk-mb 32] [--quick] [--from-results] [--write-readme]

The input never exists in one place: each chunk is generated in its worker (a cheap integer hash
of the element index, scaled to a spread of binades), encoded (``numfmt.encode``, lazily, chunk
by chunk) and reduced to a checksum, so a worker holds a few chunks at a time whatever the array
size. "generate only" times the same graph without the cast; Melem/s counts elements of the whole
array over the wall time of ``compute`` (best of N, after a warm-up that compiles the kernels).
Peak memory per worker is the largest peak resident set (VmHWM, reset before each task) of the
worker processes, and above idle its part beyond the worker's resident set when the task
started: it stays near a few chunk sizes, not the array size (the last row of each cluster
encodes a quarter of the array: the same peak). Workers run numfmt on one thread (``set_num_threads(1)``).
"""
from __future__ import annotations

import sys

import numpy as np

import numfmt as nf
from _common import command, machine_line, markdown_table, parse_args, publish

FORMATS = ("e4m3", "mxfp8")


_TABLE = (np.random.default_rng(0).standard_normal(1 << 16)
          * np.exp2(np.random.default_rng(1).integers(-12, 12, 1 << 16))).astype(np.float32)


def chunk_of(block_info=None):
    """The chunk at block_info's location: float32 values of a spread of binades picked by a
    multiplicative hash of each element's index (identical wherever it is generated; a table
    lookup, so that generating costs little next to the casts)."""
    lo, hi = block_info[None]["array-location"][0]
    h = np.arange(hi - lo, dtype=np.uint32)
    h += np.uint32(lo % 2 ** 32)        # the index modulo 2**32
    h *= np.uint32(2654435761)
    h >>= np.uint32(16)
    return _TABLE[h]


def checksum(block):
    return np.array([np.count_nonzero(block)], np.int64)


def graph(n: int, chunk: int, fmt):
    """The lazy count of nonzero codes of the n-element input encoded to fmt (None: the input's
    own nonzero count)."""
    import dask.array as da
    x = da.map_blocks(chunk_of, chunks=((chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ()),),
                      dtype=np.float32, meta=np.empty(0, np.float32))
    y = x if fmt is None else nf.encode(x, fmt)
    y = y.codes if isinstance(y, nf.BlockCodes) else y
    return y.map_blocks(checksum, chunks=((1,) * y.numblocks[0],), dtype=np.int64).sum()


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024.0


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM) in MiB."""
    return _status_mb("VmHWM")


def reset_peak_rss() -> float:
    """Reset the peak resident set to the current one (Linux ``clear_refs``); the current MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mb("VmRSS")


def measure(workers: int, n: int, chunk: int, repeats: int) -> list:
    """Rows (workers, task, seconds, Melem/s, peak MB, above idle MB) on a fresh cluster."""
    import time
    from distributed import Client, LocalCluster
    rows = []
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1", silence_logs=40) as cluster, Client(cluster) as client:
        client.run(nf.set_num_threads, 1)
        for fmt in (None,) + FORMATS:                   # warm-up: compile the kernels in every worker
            graph(workers * 4 * 4096, 4096, fmt).compute()
        # the last row: a quarter of the array, to show that memory follows the chunk, not the array
        for fmt, size in [(f, n) for f in (None,) + FORMATS] + [(FORMATS[-1], n // 4)]:
            idle = client.run(reset_peak_rss)
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                graph(size, chunk, fmt).compute()
                best = min(best, time.perf_counter() - start)
            peaks = client.run(peak_rss_mb)
            peak = max(peaks.values())
            above = max(peaks[w] - idle[w] for w in peaks)
            task = "generate only" if fmt is None else f"to {fmt}"
            if size != n:
                task += f" (a {size * 4 / 2 ** 20:.0f} MiB array)"
            rows.append((workers, task, best, size / best / 1e6, peak, above))
    return rows


def render(args) -> str:
    size_mb = 16 if args.quick else args.size_mb
    chunk_mb = 4 if args.quick else args.chunk_mb
    repeats = args.repeats or (1 if args.quick else 3)
    n = size_mb * 2 ** 20 // 4
    chunk = chunk_mb * 2 ** 20 // 4
    rows = measure(1, n, chunk, repeats) + measure(2, n, chunk, repeats)
    lines = [machine_line(command("bench_dask.py", args) + ("" if args.quick else
                                                            f" --size-mb {size_mb} --chunk-mb {chunk_mb}")), "",
             f"{size_mb} MiB float32 ({n:,} elements) in {chunk_mb} MiB chunks, generated in the workers; "
             f"LocalCluster of 1 or 2 processes, one thread each; best of {repeats}.", ""]
    lines += markdown_table(["workers", "task", "seconds", "Melem/s", "peak MiB per worker", "above idle MiB"],
                            [[str(w), task, f"{t:.2f}", f"{r:,.0f}" if r >= 100 else f"{r:.1f}", f"{p:,.0f}",
                              f"{a:,.0f}"] for w, task, t, r, p, a in rows])
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    import argparse
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--size-mb", type=int, default=1024, help="array size in MiB (default 1024)")
    extra.add_argument("--chunk-mb", type=int, default=32, help="chunk size in MiB (default 32)")
    known, rest = extra.parse_known_args(argv)
    args = parse_args(__doc__, "dask", rest, repeats=3)
    args.size_mb, args.chunk_mb = known.size_mb, known.chunk_mb
    return publish(args, "dask", lambda: render(args))


if __name__ == "__main__":
    sys.exit(main())
