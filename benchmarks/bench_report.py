"""The cost of a cast's report: ``numfmt.round(x, fmt, report=True)`` against ``numfmt.round(x, fmt)``;
and of an operation's: ``numfmt.add(a, b, "e4m3", report=True)`` (and mul) against the plain call.

    python benchmarks/bench_report.py [--quick] [--repeats N] [--from-results] [--write-readme]

4M float32 inputs, each format on 1 thread and on every core, two kinds of inputs: ``normal``
(standard normal: what a scaled tensor looks like; few elements need more than the inexact
test) and ``wide`` (normal times a log-uniform factor over 2**-20 .. 2**20: most elements of
the narrow formats overflow, underflow or flush, the counting kernels' slow path). The ratio is
the report's time over the plain call's (issue 18's budget: at most 1.5x). One thread is
timed in CPU time (``time.process_time``: other processes on a shared machine do not inflate
it), every core in wall time. The ``stochastic`` rows are seeded stochastic casts (sr_bits 32,
sr_rule "add"), the ``toward_zero`` rows that mode. The ``float64`` rows take the inputs as
float64 (nvfp4: round; e4m3: encode). The ``per_block`` rows count each block too (``per_block=True``; the plain
call is the same round without a report). The ``axis 0`` rows take the inputs as rows of 1,024 and block
them along axis 0 (places of 1,024 inner blocks). The ``encode`` rows time ``numfmt.encode`` (codes)
with and without the report. The operations' rows (``e4m3 add`` ... ``e4m3
fma``, ``bfloat16 add`` ...; nearest even unless a mode is named) take the inputs rounded to
the format (saturating: finite operands) and the same reversed as operands (sqrt: their
magnitudes; fma: x * reversed + x): ``e4m3 mul toward_positive`` counts in the directed modes'
float32 kernel, the bfloat16 ones in the float32 kernels of formats with float32's exponent
field (their quotients below 2**-126 and beyond 2**128 too). The reductions' rows: ``binary32
sum`` (the inputs as 256 rows of 16,384 terms into binary32: the machine's float32 loop),
``e4m3 sum -> bfloat16`` (the e4m3 inputs so, into bfloat16: the emulating kernels), ``e4m3
matmul -> binary32`` (the first 512 x 512 e4m3 inputs by the next: the machine's loop) and
the same in the order "fused" (32 terms, 24 alignment bits: the machine's float64 loop).
"""
import os
import sys
import time

import numpy as np

from _common import command, machine_line, markdown_table, parse_args, publish
import numfmt as nf

FORMATS = ["e4m3", "e5m2", "binary16", "bfloat16", "e2m1", "posit16", "int8", "mxfp8_e4m3", "nvfp4"]
STOCHASTIC = ["e4m3", "bfloat16", "mxfp4"]
DIRECTED = ["e4m3"]
PER_BLOCK = ["mxfp8_e4m3", "nvfp4"]
ENCODE = ["e4m3", "bfloat16", "mxfp8_e4m3", "nvfp4", "posit16"]
OPERATIONS = [("e4m3", "add", "nearest_even"), ("e4m3", "mul", "nearest_even"), ("e4m3", "div", "nearest_even"),
              ("e4m3", "sqrt", "nearest_even"), ("e4m3", "fma", "nearest_even"), ("e4m3", "mul", "toward_positive"),
              ("bfloat16", "add", "nearest_even"), ("bfloat16", "mul", "nearest_even"),
              ("bfloat16", "div", "nearest_even")]


def inputs(n: int, kind: str) -> np.ndarray:
    """n float32 values, standard normal or spread over 40 binades (deterministic)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    return (x if kind == "normal" else x * 2.0 ** rng.uniform(-20, 20, n)).astype(np.float32)


def reductions(x: np.ndarray) -> list:
    """(name, call(report)) of the reductions' rows (see above) on the inputs x."""
    rows = x.reshape(256, -1)
    e4m3 = nf.round(rows, "e4m3", overflow="saturate")
    k = min(512, int(np.sqrt(x.size // 2)))
    a, b = e4m3.reshape(-1)[:k * k].reshape(k, k), e4m3.reshape(-1)[k * k:2 * k * k].reshape(k, k)
    return [("binary32 sum", lambda report: nf.sum(rows, "binary32", axis=1, report=report)),
            ("e4m3 sum -> bfloat16", lambda report: nf.sum(e4m3, "e4m3", accumulator="bfloat16", axis=1,
                                                           report=report)),
            ("e4m3 matmul -> binary32", lambda report: nf.matmul(a, b, "e4m3", accumulator="binary32",
                                                                  report=report)),
            ("e4m3 matmul fused -> binary32", lambda report: nf.matmul(a, b, "e4m3", accumulator="binary32",
                                                                        order="fused", fused_terms=32,
                                                                        alignment_bits=24, report=report))]


def best_of_pair(plain, counted, repeats: int, clock) -> tuple:
    """(best time of plain, of counted) over ``repeats`` rounds that call each once, in turn,
    after one warm-up call of each: a slower stretch of a shared machine then falls on both
    sides of the ratio, not on the one timed in it."""
    plain()
    counted()
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for k, fn in enumerate((plain, counted)):
            start = clock()
            fn()
            best[k] = min(best[k], clock() - start)
    return best[0], best[1]


def main(argv=None) -> int:
    args = parse_args(__doc__, "report", argv, repeats=15)
    return publish(args, "report", lambda: render(args))


def render(args) -> str:
    """Time the plain and the reporting call per format and thread count; the table as markdown."""
    n = 1 << 16 if args.quick else 1 << 22
    repeats = args.repeats or (1 if args.quick else 15)
    cores = os.cpu_count() or 1
    old = nf.get_num_threads()
    rows = []
    try:
        for kind in ("normal", "wide"):
            x = inputs(n, kind)
            calls = [(name, lambda report, name=name: nf.round(x, name, report=report)) for name in FORMATS]
            calls += [(f"{name} stochastic", lambda report, name=name:
                       nf.round(x, name, rounding="stochastic", seed=1, report=report)) for name in STOCHASTIC]
            calls += [(f"{name} toward_zero", lambda report, name=name:
                       nf.round(x, name, rounding="toward_zero", report=report)) for name in DIRECTED]
            x64 = x.astype(np.float64)
            calls += [("nvfp4 float64", lambda report: nf.round(x64, "nvfp4", report=report)),
                      ("e4m3 float64 encode", lambda report: nf.encode(x64, "e4m3", report=report))]
            calls += [(f"{name} per_block", lambda report, name=name:
                       nf.round(x, name, report=report, per_block=report)) for name in PER_BLOCK]
            rows_of_1024 = x.reshape(-1, 1024)
            calls += [(f"{name} axis 0", lambda report, name=name:
                       nf.round(rows_of_1024, name, axis=0, report=report)) for name in PER_BLOCK]
            calls += [(f"{name} encode", lambda report, name=name: nf.encode(x, name, report=report))
                      for name in ENCODE]
            for fmt, op, mode in OPERATIONS:
                a = nf.round(x, fmt, overflow="saturate").astype(np.float32)
                operands = {"sqrt": (np.abs(a),), "fma": (a, a[::-1].copy(), a)}.get(op, (a, a[::-1].copy()))
                name = f"{fmt} {op}" + ("" if mode == "nearest_even" else f" {mode}")
                calls.append((name, lambda report, f=getattr(nf, op), fmt=fmt, operands=operands, mode=mode:
                              f(*operands, fmt, mode, report=report)))
            calls += reductions(x)
            for name, call in calls:
                row = [name, kind]
                for threads in (1, cores):
                    nf.set_num_threads(threads)
                    clock = time.process_time if threads == 1 else time.perf_counter
                    plain, counted = best_of_pair(lambda: call(False), lambda: call(True), repeats, clock)
                    row += [f"{plain * 1e3:.1f}", f"{counted * 1e3:.1f}", f"{counted / plain:.2f}x"]
                rows.append(row)
    finally:
        nf.set_num_threads(old)
    header = ["format", "inputs"] + [f"{what} ({t})" for t in ("1 thread, CPU", f"{cores} threads, wall")
                           for what in ("plain ms", "report=True ms", "ratio")]
    lines = [machine_line(command("bench_report.py", args)), "",
             f"{n:,} float32 inputs; best of {repeats}. 1 thread: this process' CPU time (other processes on "
             f"a shared machine do not inflate it); {cores} threads: wall time.", ""]
    return "\n".join(lines + markdown_table(header, rows, left=2)) + "\n"


if __name__ == "__main__":
    sys.exit(main())
