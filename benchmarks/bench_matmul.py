"""Matrix-product emulation: numfmt.matmul against a numpy reference loop, pychop and BLAS.

    python benchmarks/bench_matmul.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/matmul.md] [--repeats N]

Inputs: n x n matrices of standard normal values rounded to the input format (seed 0), for
n = 128, 256, 512 (--quick: 64). Every number is the best wall time of N calls (default 3;
--quick 1) after one warm-up call, in seconds, and the rate in millions of multiply-adds
(n**3) per second.

- numfmt ``matmul(a, b, fmt, accumulator=acc)``: exact products, sequential accumulation
  rounded to nearest even after every add; 1 thread and all cores. binary32 accumulation is the
  machine's own float32 addition (``numfmt.machine_sum``); the bfloat16 rows show the emulating
  kernel, which the peers cannot do (n/a).
- numpy k-loop: ``c = float32(0); for k: c += a[:, k, None] * b[None, k, :]`` in float32. For
  these inputs the float32 products are exact and each float32 add is one correctly rounded
  binary32 addition, so this is the same emulation (checked: results must be equal); it is
  the "numpy reference loop that rounds after every add".
- pychop ``matmul(a, b, Chop(8, 23))``: rounds the inputs and the float64 BLAS result to
  binary32 once; it does not model the accumulation (different results for large n: marked *).
- numpy float32 ``a @ b`` (BLAS, its own blocked order), for scale.
"""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np

import numfmt as nf
from _common import best_of, command, machine_line, markdown_table, parse_args, publish

FUSED = dict(order="fused", fused_terms=16, alignment_bits=24)     # a wide tensor-core-like adder
CASES = [("e4m3", "binary32", {}), ("bfloat16", "binary32", {}), ("e4m3", "binary32", FUSED),
         ("e4m3", "bfloat16", {})]
MACHINE_ACCUMULATOR = "binary32"    # the peers model this accumulator only


def _timed(fn, repeats: int):
    """(seconds, result) of fn: best of repeats after a warm-up; (None, None) if it fails."""
    try:
        result = fn()
        return best_of(fn, repeats), result
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, never fatal
        print(f"failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None, None


def _k_loop(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = np.zeros((a.shape[0], b.shape[1]), np.float32)
    for k in range(a.shape[1]):
        c += a[:, k, None] * b[None, k, :]
    return c


def _cell(seconds, n: int, flag: str = "") -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds:.3g} s ({n**3 / seconds / 1e6:,.1f}){flag}"


def main(argv=None) -> int:
    args = parse_args(__doc__, "matmul", argv, repeats=3)
    return publish(args, "matmul", lambda: render(args))


def render(args) -> str:
    """Measure every case and size; the results table as markdown."""
    sizes = [64] if args.quick else [128, 256, 512]
    repeats = args.repeats or (1 if args.quick else 3)
    cores = os.cpu_count() or 1
    try:
        os.environ.setdefault("chop_backend", "numpy")
        import pychop
        chop = pychop.Chop(8, 23, rmode=1)          # binary32, round to nearest even
    except Exception as exc:  # noqa: BLE001
        pychop = None
        print(f"pychop unavailable: {exc}", file=sys.stderr)

    old_threads = nf.get_num_threads()
    rows = []
    try:
        for fmt, acc, options in CASES:
            for n in sizes:
                print(f"{fmt} n={n} ...", file=sys.stderr, flush=True)
                rng = np.random.default_rng(0)
                a = nf.round(rng.standard_normal((n, n)), fmt).astype(np.float32)
                b = nf.round(rng.standard_normal((n, n)), fmt).astype(np.float32)

                def emulate():
                    return nf.matmul(a, b, fmt, accumulator=acc, **options)
                nf.set_num_threads(1)
                t1, ref = _timed(emulate, repeats)
                nf.set_num_threads(cores)
                tall, _ = _timed(emulate, repeats)
                nf.set_num_threads(old_threads)
                tloop, loop, tpy, py = None, None, None, None
                sequential32 = acc == MACHINE_ACCUMULATOR and not options
                if sequential32:
                    tloop, loop = _timed(lambda: _k_loop(a, b), repeats)
                if pychop is not None and sequential32:
                    def run_pychop():
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            return pychop.matmul(a.astype(np.float64), b.astype(np.float64), chop)
                    tpy, py = _timed(run_pychop, repeats)
                tblas, _ = _timed(lambda: a @ b, repeats)
                loop_flag = "" if loop is None or np.array_equal(loop, ref) else "*"
                py_flag = "" if py is None or np.array_equal(np.asarray(py, np.float32), ref) else "*"
                name = f"{fmt} x {acc}" + (" fused (k = 16, 24 bits)" if options else "")
                rows.append((name, n, t1, tall, tloop, loop_flag, tpy, py_flag, tblas))
    finally:
        nf.set_num_threads(old_threads)

    lines = [
        machine_line(command("bench_matmul.py", args)),
        "",
        f"n x n x n matrix products, best of {repeats} after a warm-up: seconds (millions of "
        "multiply-adds per second). Inputs: standard normal values rounded to the input format; "
        "accumulation: exact products, sequential, round to nearest even after every add (the fused "
        "rows: order=\"fused\", fused_terms=16, alignment_bits=24). "
        "* marks results that differ from numfmt's (pychop rounds only the inputs and the "
        "float64 BLAS result, it does not model the accumulation).",
        "",
    ]
    table = [[name, str(n), _cell(t1, n), _cell(tall, n), _cell(tloop, n, loop_flag), _cell(tpy, n, py_flag),
              _cell(tblas, n)] for name, n, t1, tall, tloop, loop_flag, tpy, py_flag, tblas in rows]
    lines += markdown_table(["inputs x accumulator", "n", "numfmt 1 thread", "numfmt all cores",
                             "numpy float32 k-loop", "pychop matmul", "numpy float32 BLAS"], table)
    lines += ["", "The numpy k-loop is exact only because these products fit float32 and the accumulator "
              "is binary32 under round-to-nearest-even; numfmt takes the same machine loop there "
              "(`numfmt.machine_sum`, bit-identical to its emulating kernels), and the machine's float64 "
              "arithmetic for the fused adder into binary32 (the fused rows), and emulates every other "
              "accumulator format, order and rounding mode (the bfloat16 rows)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
