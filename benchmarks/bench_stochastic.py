"""Stochastic rounding throughput: numfmt SR against its own RNE, gfloat's stochastic modes and
pychop's stochastic mode, on the same float32 input (4M values, standard normal times 10).

    python benchmarks/bench_stochastic.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/stochastic.md]

numfmt draws its random bits itself (SplitMix64 of seed and index, sr_bits = 32 by default);
gfloat is handed precomputed random bits (srnumbits = 13) and timed on a 2**18 subset; pychop
(``Chop(..., rmode=5)``: stochastic, proportional) on a 2**20 subset. Melem/s, best of N.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np

import numfmt as nf
from _common import command, fmt_rate, machine_line, markdown_table, measure, numfmt_threads, parse_args, publish

FORMATS = {"bfloat16": ("format_info_bfloat16", (8, 7)), "binary16": ("format_info_binary16", (5, 10)),
           "e4m3": ("format_info_ocp_e4m3", None), "e5m2": ("format_info_ocp_e5m2", (5, 2)),
           "e2m1": ("format_info_ocp_e2m1", None)}


def main(argv=None) -> int:
    args = parse_args(__doc__, "stochastic", argv)
    return publish(args, "stochastic", lambda: render(args))


def render(args) -> str:
    """Measure every format and peer; the results table as markdown."""
    n = 1 << (16 if args.quick else 22)
    repeats = 2 if args.quick else 15
    x = (np.random.default_rng(0).standard_normal(n) * 10).astype(np.float32)
    x_small = x[: 1 << 18].astype(np.float64)
    bits = np.random.default_rng(1).integers(0, 1 << 13, x_small.size)
    try:
        import gfloat
        from gfloat import RoundMode, formats
    except ImportError:
        gfloat = None
    try:
        import pychop
    except ImportError:
        pychop = None
    rows = []
    with numfmt_threads(1):
        for name, (ginfo, layout) in FORMATS.items():
            rne = measure(lambda: nf.round(x, name), n, repeats)[0]
            sr_add = measure(lambda: nf.round(x, name, "stochastic", seed=0), n, repeats)[0]
            sr_near = measure(lambda: nf.round(x, name, "stochastic", seed=0, sr_rule="nearest"), n, repeats)[0]
            g = None
            if gfloat is not None:
                fi = getattr(formats, ginfo)
                sat = name == "e2m1"
                g = measure(lambda: gfloat.round_ndarray(fi, x_small, RoundMode.StochasticFastest, sat, bits, 13),
                            x_small.size, repeats)[0]
            p = None
            if pychop is not None and layout is not None:
                chop = pychop.Chop(*layout, rmode=5)
                xp = x[: 1 << 20].astype(np.float64)

                def run():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        return chop(xp)
                p = measure(run, xp.size, repeats)[0]
            rows.append((name, rne, sr_add, sr_near, g, p))
    table = []
    for name, rne, a, b, g, p in rows:
        cost = f"{rne / a:.1f}x" if rne and a else "n/a"
        table.append([name, fmt_rate(rne), fmt_rate(a), fmt_rate(b), cost, fmt_rate(g), fmt_rate(p)])
    lines = [machine_line(command("bench_stochastic.py", args)), "",
             f"1 thread; Melem/s (millions of elements per second), best of {repeats}.", ""]
    lines += markdown_table(["format", "numfmt RNE", "numfmt SR add", "numfmt SR nearest", "SR cost vs RNE",
                             "gfloat SR", "pychop SR"], table)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
