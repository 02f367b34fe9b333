"""Stochastic rounding throughput: numfmt SR against its own RNE, gfloat's stochastic modes and
pychop's stochastic mode, on the same float32 input (4M values, standard normal times 10).

    python benchmarks/bench_stochastic.py [--quick] [--out benchmarks/results/stochastic.md]

numfmt draws its random bits itself (SplitMix64 of seed and index, sr_bits = 32 by default);
gfloat is handed precomputed random bits (srnumbits = 13) and timed on a 2**18 subset; pychop
(``Chop(..., rmode=5)``: stochastic, proportional) on a 2**20 subset. Melem/s, best of N.
"""
from __future__ import annotations

import argparse
import os
import warnings

import numpy as np

import numfmt as nf
from bench_cast import best_of, cpu_model

FORMATS = {"bfloat16": ("format_info_bfloat16", (8, 7)), "binary16": ("format_info_binary16", (5, 10)),
           "e4m3": ("format_info_ocp_e4m3", None), "e5m2": ("format_info_ocp_e5m2", (5, 2)),
           "e2m1": ("format_info_ocp_e2m1", None)}


def rate(fn, n, repeats):
    try:
        return n / best_of(fn, repeats) / 1e6
    except Exception:  # a peer that fails is reported as n/a
        return None


def cell(v):
    return "n/a" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                      "stochastic.md"))
    args = parser.parse_args()
    n = 1 << (16 if args.quick else 22)
    repeats = 2 if args.quick else 5
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
    old = nf.get_num_threads()
    nf.set_num_threads(1)
    rows = []
    try:
        for name, (ginfo, layout) in FORMATS.items():
            rne = rate(lambda: nf.round(x, name), n, repeats)
            sr_add = rate(lambda: nf.round(x, name, "stochastic", seed=0), n, repeats)
            sr_near = rate(lambda: nf.round(x, name, "stochastic", seed=0, sr_rule="nearest"), n, repeats)
            g = None
            if gfloat is not None:
                fi = getattr(formats, ginfo)
                sat = name == "e2m1"
                g = rate(lambda: gfloat.round_ndarray(fi, x_small, RoundMode.StochasticFastest, sat, bits, 13),
                         x_small.size, repeats)
            p = None
            if pychop is not None and layout is not None:
                chop = pychop.Chop(*layout, rmode=5)
                xp = x[: 1 << 20].astype(np.float64)

                def run():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        return chop(xp)
                p = rate(run, xp.size, repeats)
            rows.append((name, rne, sr_add, sr_near, g, p))
    finally:
        nf.set_num_threads(old)
    lines = [f"Command: `python benchmarks/bench_stochastic.py{' --quick' if args.quick else ''}`; "
             f"{os.cpu_count()} cores, {cpu_model()}; 1 thread; Melem/s, best of {repeats}.", "",
             "| format | numfmt RNE | numfmt SR add | numfmt SR nearest | SR cost vs RNE | gfloat SR | pychop SR |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, rne, a, b, g, p in rows:
        cost = f"{rne / a:.1f}x" if rne and a else "n/a"
        lines.append(f"| {name} | {cell(rne)} | {cell(a)} | {cell(b)} | {cost} | {cell(g)} | {cell(p)} |")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
