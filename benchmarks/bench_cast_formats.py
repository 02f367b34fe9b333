"""Every registered float format of at most 16 bits: numfmt.round of float32 to nearest even
against a NumPy copy, on one thread (issue 17's target: at least 0.33x the copy's rate).

    python benchmarks/bench_cast_formats.py [--quick] [--repeats N] [--from-results] [--write-readme]

4,194,304 float32 inputs (standard normal x 10, seed 0) rounded to float32 results; numfmt on
1 thread (``numfmt.set_num_threads(1)``), each format's cast and ``x.copy()`` (a fresh output,
as the cast's) called in turn N times, in this process' CPU time (``time.process_time``), the
best of each.
Where ``bench_cast.py`` compares a few formats with the peers, this table covers every format
numfmt registers, so that one whose cast falls off the fast kernels shows.
"""
import sys
import time

import numpy as np

import numfmt as nf
from _common import command, machine_line, markdown_table, numfmt_threads, parse_args, publish
from bench_report import best_of_pair
from numfmt.testing import registered_float_formats


def main(argv=None) -> int:
    args = parse_args(__doc__, "cast_formats", argv, repeats=7)
    return publish(args, "cast_formats", lambda: render(args))


def render(args) -> str:
    """Time every format and the copy; the table as markdown."""
    size = 1 << (16 if args.quick else 22)
    repeats = args.repeats or (1 if args.quick else 7)
    x = (np.random.default_rng(0).standard_normal(size) * 10).astype(np.float32)
    names = [f.name for f in registered_float_formats() if f.bits <= 16]
    rows = []
    with numfmt_threads(1):
        for name in names:
            cast, copy = best_of_pair(lambda: nf.round(x, name), x.copy, repeats, time.process_time)
            rows.append([name, f"{size / cast / 1e6:,.0f}", f"{size / copy / 1e6:,.0f}", f"{copy / cast:.2f}x"])
    lines = [machine_line(command("bench_cast_formats.py", args)), "",
             f"Melem/s, {size:,} float32 values (standard normal x 10) rounded to nearest even into float32, "
             f"1 thread, CPU time, best of {repeats}; the copy timed beside each format.", ""]
    return "\n".join(lines + markdown_table(["format", "numfmt", "copy", "numfmt / copy"], rows)) + "\n"


if __name__ == "__main__":
    sys.exit(main())
