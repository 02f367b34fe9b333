"""The cost of a cast's report across formats, input types and modes: ``numfmt.round(x, fmt,
report=True)`` over ``numfmt.round(x, fmt)``, one ratio per cell.

    python benchmarks/bench_report_survey.py [--quick] [--repeats N] [--from-results] [--write-readme]

1024 x 1024 standard normal inputs, as float32 and as float64, and their ReLU (max(x, 0): half
zeros, as float32; a zero must not take a count off its fast path), rounded to nearest even,
toward zero and stochastically (seeded, sr_bits 32), on 1 thread, timed in this process' CPU
time (``time.process_time``), best of N, plain and reporting calls in turn
(``bench_report.best_of_pair``). Where ``bench_report.py`` times the common calls side by side
with their milliseconds, this table covers every format family in every mode of both input
types, so that a count that falls off its fast path shows (issue 18's budget: at most 1.5x).
A second table does the same for 64 x 64 inputs (4,096 elements, the size of a small layer's
tensor), whose calls are timed in batches of SMALL_BATCH: there the fixed cost of a call (the
arguments' checks, the kernel's dispatch, the report's assembly) weighs as much as the elements.
"""
import sys
import time

import numpy as np

from _common import command, machine_line, markdown_table, numfmt_threads, parse_args, publish
from bench_report import best_of_pair
import numfmt as nf

FORMATS = ["e4m3", "e5m2", "binary16", "bfloat16", "e2m1", "e3m2", "e2m3", "e8m0", "e4m3fnuz", "posit8", "posit16",
           "int8", "mxfp8_e4m3", "mxfp4", "mxint8", "nvfp4"]
MODES = [("nearest_even", {}), ("toward_zero", {}), ("stochastic", {"seed": 1, "sr_bits": 32})]


def main(argv=None) -> int:
    args = parse_args(__doc__, "report_survey", argv, repeats=7)
    return publish(args, "report_survey", lambda: render(args))


SMALL_BATCH = 50        # calls per timing of the small table


def render(args) -> str:
    """Time every format, input type and mode at both sizes; the tables of ratios as markdown."""
    large, small = (64, 32) if args.quick else (1024, 64)
    repeats = args.repeats or (1 if args.quick else 7)
    lines = [machine_line(command("bench_report_survey.py", args))]
    for side, batch in ((large, 1), (small, SMALL_BATCH)):
        batched = f" ({batch} calls timed together)" if batch > 1 else ""
        lines += ["", f"{side} x {side} standard normal inputs (relu: max(x, 0)); report=True time over the plain "
                      f"call's, 1 thread, CPU time, best of {repeats}{batched}.", ""]
        lines += markdown_table(*_survey(side, batch, repeats))
    return "\n".join(lines) + "\n"


def _survey(side: int, batch: int, repeats: int) -> tuple:
    """(header, rows) of the ratios for side x side inputs, each timing ``batch`` calls."""
    x64 = np.random.default_rng(0).standard_normal((side, side))
    inputs = (("float32", x64.astype(np.float32)), ("float64", x64),
              ("relu float32", np.maximum(x64, 0).astype(np.float32)))
    rows = []
    with numfmt_threads(1):
        for name in FORMATS:
            row = [name]
            for _, x in inputs:
                for mode, options in MODES:
                    def calls(report, x=x, mode=mode, options=options):
                        for _ in range(batch):
                            nf.round(x, name, rounding=mode, report=report, **options)
                    plain, counted = best_of_pair(lambda: calls(False), lambda: calls(True), repeats,
                                                  time.process_time)
                    row.append(f"{counted / plain:.2f}x")
            rows.append(row)
    return ["format"] + [f"{dtype} {mode}" for dtype, _ in inputs for mode, _ in MODES], rows


if __name__ == "__main__":
    sys.exit(main())
