"""Block quantization throughput: numfmt.round of a 4096 x 4096 float32 matrix (standard normal
times a random power of two per row) to every MX format and nvfp4, blocks along each axis, against
numfmt's plain element cast of the same data and gfloat's block functions.

    python benchmarks/bench_block.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/block.md]

numfmt uses all cores (``numfmt.get_num_threads()``); the 1-thread columns (issue 17's target:
every block format at least 0.75x the e4m3 cast on its worse axis) time numfmt on one thread
(``numfmt.set_num_threads(1)``) in this process' CPU time (``time.process_time``: other
processes on a shared machine do not inflate it), each block row beside the plain e4m3 cast of
the same data. gfloat (``quantize_block`` with
``compute_scale_amax``, one block at a time, pure Python) is timed on 64 blocks, and gfloat's
vectorized ``round_ndarray`` with the same scale rule in numpy (``gfloat_vectorized``) on 64 rows
(16 with --quick); both results are checked equal to numfmt's. gfloat has no NVFP4. microxcaling and
torchao need torch, which does not install quickly here: not measured. Melem/s, best of N.
"""
from __future__ import annotations

import sys
import time

import numpy as np

import numfmt as nf
from _common import best_of, command, machine_line, markdown_table, numfmt_threads, parse_args, publish

FORMATS = {"mxfp8_e4m3": "format_info_mxfp8_e4m3", "mxfp8_e5m2": "format_info_mxfp8_e5m2",
           "mxfp6_e3m2": "format_info_mxfp6_e3m2", "mxfp6_e2m3": "format_info_mxfp6_e2m3",
           "mxfp4": "format_info_mxfp4_e2m1", "mxint8": "format_info_mxint8", "nvfp4": None}


def cell(v):
    return "n/a" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.2g}"


def gfloat_vectorized(gfloat, fi, blocks: np.ndarray) -> np.ndarray:
    """gfloat's MX rule on whole arrays: compute_scale_amax's formula in numpy per block, then
    ``round_ndarray`` (saturating, ties to even) of the scaled values."""
    amax = np.abs(blocks).max(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        exp = np.where(amax == 0, -127.0, np.clip(np.floor(np.log2(amax)) - fi.etype.emax, -127, 127))
    scale = 2.0 ** exp
    return gfloat.round_ndarray(fi.etype, blocks / scale, gfloat.RoundMode.TiesToEven, True) * scale


def one_thread(x: np.ndarray, fmt, repeats: int) -> tuple:
    """(axis -1, axis 0, e4m3 cast) Melem/s of numfmt on one thread, CPU time, best of repeats:
    the three timed in turn, so that a slow spell of a shared machine touches them alike."""
    calls = (lambda: nf.round(x, fmt, axis=-1), lambda: nf.round(x, fmt, axis=0), lambda: nf.round(x, "e4m3"))
    best = [float("inf")] * 3
    with numfmt_threads(1):
        for _ in range(repeats):
            for i, call in enumerate(calls):
                best[i] = min(best[i], best_of(call, 1, time.process_time))
    return tuple(x.size / b / 1e6 for b in best)


def main(argv=None) -> int:
    args = parse_args(__doc__, "block", argv)
    return publish(args, "block", lambda: render(args))


def render(args) -> str:
    """Measure every format and gfloat; the results table as markdown."""
    size = 256 if args.quick else 4096
    repeats = 2 if args.quick else 12
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((size, size)) * 2.0 ** rng.integers(-10, 10, (size, 1))).astype(np.float32)
    try:
        import gfloat
        from gfloat import formats
    except ImportError:
        gfloat = None
    rows = []
    for name, ginfo in FORMATS.items():
        fmt = nf.format(name)
        last = x.size / best_of(lambda: nf.round(x, fmt, axis=-1), repeats) / 1e6
        first = x.size / best_of(lambda: nf.round(x, fmt, axis=0), repeats) / 1e6
        element = x.size / best_of(lambda: nf.round(x, fmt.element, overflow="saturate"), repeats) / 1e6
        single = one_thread(x, fmt, max(repeats, 10))
        g = gv = None
        if gfloat is not None and ginfo is not None:
            fi = getattr(formats, ginfo)
            sub = x[:2, :64 * fmt.block_size // 2].reshape(-1, fmt.block_size).astype(np.float64)

            def run():
                return np.stack([gfloat.quantize_block(fi, b, gfloat.compute_scale_amax) for b in sub])
            g = sub.size / best_of(run, 1 if args.quick else 3) / 1e6
            big = x[:16 if args.quick else 64].reshape(-1, fmt.block_size).astype(np.float64)
            gv = big.size / best_of(lambda: gfloat_vectorized(gfloat, fi, big), repeats) / 1e6
            if not (np.array_equal(run(), nf.round(sub, fmt))
                    and np.array_equal(gfloat_vectorized(gfloat, fi, big), nf.round(big, fmt))):
                raise AssertionError(f"numfmt and gfloat differ on {name}")
        rows.append((name, last, first, element, g, gv, single))
    table = []
    for name, last, first, element, g, gv, (last1, first1, e4m3) in rows:
        speedup = f"{min(last, first) / max(g, gv):,.0f}x" if g else "n/a"
        table.append([name, cell(last), cell(first), cell(element), f"{element / min(last, first):.1f}x", cell(g),
                      cell(gv), speedup, cell(last1), cell(first1), cell(e4m3), f"{min(last1, first1) / e4m3:.2f}x"])
    lines = [machine_line(command("bench_block.py", args)), "",
             f"{size} x {size} float32; numfmt on {nf.get_num_threads()} threads (1 thread columns: CPU time); Melem/s (millions of "
             f"elements per second), best of {repeats}.", ""]
    lines += markdown_table(["format", "numfmt axis -1", "numfmt axis 0", "numfmt element cast",
                             "element / block (worst axis)", "gfloat quantize_block", "gfloat round_ndarray",
                             "numfmt (worst axis) / fastest gfloat", "axis -1 (1 thread)", "axis 0 (1 thread)",
                             "e4m3 cast (1 thread)", "worst axis / e4m3 cast (1 thread)"], table)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
