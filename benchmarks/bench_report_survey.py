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


def render(args) -> str:
    """Time every format, input type and mode; the table of ratios as markdown."""
    side = 64 if args.quick else 1024
    repeats = args.repeats or (1 if args.quick else 7)
    x64 = np.random.default_rng(0).standard_normal((side, side))
    inputs = (("float32", x64.astype(np.float32)), ("float64", x64),
              ("relu float32", np.maximum(x64, 0).astype(np.float32)))
    rows = []
    with numfmt_threads(1):
        for name in FORMATS:
            row = [name]
            for _, x in inputs:
                for mode, options in MODES:
                    def call(report, x=x, mode=mode, options=options):
                        return nf.round(x, name, rounding=mode, report=report, **options)
                    plain, counted = best_of_pair(lambda: call(False), lambda: call(True), repeats,
                                                  time.process_time)
                    row.append(f"{counted / plain:.2f}x")
            rows.append(row)
    header = ["format"] + [f"{dtype} {mode}" for dtype, _ in inputs for mode, _ in MODES]
    lines = [machine_line(command("bench_report_survey.py", args)), "",
             f"{side} x {side} standard normal inputs (relu: max(x, 0)); report=True time over the plain call's, "
             f"1 thread, CPU time, best of {repeats}.", ""]
    return "\n".join(lines + markdown_table(header, rows)) + "\n"


if __name__ == "__main__":
    sys.exit(main())
