"""Throughput of numfmt's posit16 casts and arithmetic against softposit's scalar path, with
numfmt's own bfloat16 and e4m3 casts for scale.

    python benchmarks/bench_posit.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/posit.md] [--repeats N]

Input: 4M float32 values, standard normal times 10 (seed 0); --quick uses 64K. Operands of the
arithmetic rows are those values rounded to posit16 (float32 arrays, as ``numfmt.round`` returns
them; a second such array from seed 1).
Melem/s, best of N timed calls after one warm-up call.

- numfmt, 1 thread and all cores: ``round(x, "posit16")`` (float32 -> posit16 -> float32 in
  one kernel), ``encode`` (float32 -> codes), ``decode`` (codes -> float32), and posit16
  add / mul (``numfmt.add`` / ``numfmt.mul`` where ``numfmt.ops`` exists, else
  ``numfmt.arithmetic.posit.elementwise``, the call ``numfmt.ops`` makes);
- softposit (PyPI) scalar calls in a Python loop on the first 2**16 elements (2**12 with
  --quick): ``convertDoubleToPX2(x, 16)`` / ``convertPX2ToDouble`` and ``pX2_add`` /
  ``pX2_mul`` (posit<16,2>, the 2022 standard); results that differ from numfmt's are
  flagged ``*``;
- numfmt ``round(x, "bfloat16")`` (a fixed-shift fast path) and ``round(x, "e4m3")`` (the
  generic float kernel): the posit round is compared with both.
"""
from __future__ import annotations

import os
import sys

import numpy as np

import numfmt as nf
from _common import command, fmt_rate, fmt_ratio, machine_line, markdown_table, measure, parse_args, publish, same

FMT = "posit16"


def _binary(op: str):
    """numfmt's posit16 ``op``: numfmt.ops if present, else the family call."""
    if hasattr(nf, op):
        return lambda a, b: getattr(nf, op)(a, b, FMT)
    from numfmt.arithmetic.posit import elementwise
    from numfmt.rounding import Rounding

    fmt = nf.format(FMT)
    return lambda a, b: elementwise(op, (a, b), fmt, Rounding.NEAREST_EVEN, "ieee", None)


def _softposit_rows(sp, xs, a, b):
    """Callables of softposit's scalar path over the small arrays, returning float64 arrays."""
    def to_posit(v):
        return [sp.convertDoubleToPX2(float(t), 16) for t in v]

    pa, pb = to_posit(a), to_posit(b)

    def cast():
        return np.array([sp.convertPX2ToDouble(sp.convertDoubleToPX2(float(t), 16)) for t in xs])

    def encode():
        return np.array([sp.convertDoubleToPX2(float(t), 16).v >> 16 for t in xs])

    def op(fn):
        return lambda: np.array([sp.convertPX2ToDouble(fn(p, q, 16)) for p, q in zip(pa, pb)])

    return {"round": cast, "encode": encode, "add": op(sp.pX2_add), "mul": op(sp.pX2_mul)}


SR_ROW = "float32 -> posit16 -> float32 (round, stochastic)"


def main(argv=None) -> int:
    args = parse_args(__doc__, "posit", argv, repeats=5)
    return publish(args, "posit", lambda: render(args))


def render(args) -> str:
    """Measure every task and softposit; the results table as markdown."""

    n = 1 << 16 if args.quick else 4 << 20
    n_sp = 1 << 12 if args.quick else 1 << 16
    repeats = args.repeats or (2 if args.quick else 5)
    cores = os.cpu_count() or 1
    x = (np.random.default_rng(0).standard_normal(n, dtype=np.float32) * np.float32(10)).astype(np.float32)
    y = (np.random.default_rng(1).standard_normal(n, dtype=np.float32) * np.float32(10)).astype(np.float32)
    a, b = nf.round(x, FMT), nf.round(y, FMT)       # float32 arrays, as numfmt.round returns them
    codes = nf.encode(x, FMT)
    add, mul = _binary("add"), _binary("mul")
    tasks = [   # (row, numfmt callable, softposit key, numfmt result on the softposit subset)
        ("float32 -> posit16 -> float32 (round)", lambda: nf.round(x, FMT), "round", lambda: nf.round(x[:n_sp], FMT)),
        ("float32 -> posit16 codes (encode)", lambda: nf.encode(x, FMT), "encode", lambda: nf.encode(x[:n_sp], FMT)),
        (SR_ROW, lambda: nf.round(x, FMT, "stochastic", seed=1), None, None),
        ("posit16 codes -> float32 (decode)", lambda: nf.decode(codes, FMT), None, None),
        ("posit16 add", lambda: add(a, b), "add", lambda: add(a[:n_sp], b[:n_sp])),
        ("posit16 mul", lambda: mul(a, b), "mul", lambda: mul(a[:n_sp], b[:n_sp])),
        ("bfloat16 round (numfmt fast path)", lambda: nf.round(x, "bfloat16"), None, None),
        ("e4m3 round (numfmt)", lambda: nf.round(x, "e4m3"), None, None),
    ]
    notes: list[str] = []
    try:
        import softposit as sp
        sp_calls = _softposit_rows(sp, x[:n_sp], a[:n_sp], b[:n_sp])
    except Exception as exc:  # noqa: BLE001 - a missing peer is reported, never fatal
        sp_calls = {}
        notes.append(f"softposit unavailable ({type(exc).__name__}: {exc})")

    old_threads = nf.get_num_threads()
    rows = {}
    try:
        for name, fn, sp_key, subset in tasks:
            print(f"{name} ...", file=sys.stderr, flush=True)
            nf.set_num_threads(1)
            one, _ = measure(fn, n, repeats)
            nf.set_num_threads(cores)
            every, _ = measure(fn, n, repeats)
            nf.set_num_threads(old_threads)
            theirs = (None, "")
            if sp_key in sp_calls:
                expected = subset()
                theirs = measure(sp_calls[sp_key], n_sp, repeats, check=lambda r: same(r, expected), note=notes)
            rows[name] = (one, every, theirs)
    finally:
        nf.set_num_threads(old_threads)

    def best(name):
        return max([r for r in rows[name][:2] if r is not None], default=None)

    cast, bf16, e4m3 = best(tasks[0][0]), best("bfloat16 round (numfmt fast path)"), best("e4m3 round (numfmt)")
    cast1 = rows[tasks[0][0]][0]
    lines = [
        machine_line(command("bench_posit.py", args)),
        "",
        f"Melem/s (millions of elements per second; higher is better), best of {repeats} after a warm-up, "
        f"on {n:,} float32 values (standard normal x 10, seed 0; arithmetic on those values rounded to "
        f"posit16); softposit's scalar Python calls on the first {n_sp:,}. * marks results that differ "
        "from numfmt's; n/a: no such operation in the peer, or it failed.",
        "",
    ]
    lines += markdown_table(["task", "numfmt 1 thread", "numfmt all cores", "softposit (scalar)", "numfmt/softposit"],
                            [[name, fmt_rate(rows[name][0]), fmt_rate(rows[name][1]), fmt_rate(*rows[name][2]),
                              fmt_ratio(best(name), rows[name][2][0])] for name, _, _, _ in tasks])
    lines += [
        "",
        f"posit16 round against numfmt's own casts, 1 thread: bfloat16 / posit16 = "
        f"{fmt_ratio(rows['bfloat16 round (numfmt fast path)'][0], cast1)} (issue 17's target: at most 2x), "
        f"e4m3 / posit16 = {fmt_ratio(rows['e4m3 round (numfmt)'][0], cast1)}; "
        f"best of both thread counts: {fmt_ratio(bf16, cast)} and {fmt_ratio(e4m3, cast)}. "
        f"Stochastic rounding (seeded, sr_rule=\"add\") against the nearest-even round, 1 thread: "
        f"{fmt_ratio(rows[SR_ROW][0], cast1)} (issue 17's target: at least 0.8x). "
        f"posit16 add and mul against the e4m3 cast, 1 thread (issue 17's target: at least 0.25x): "
        f"{fmt_ratio(rows['posit16 add'][0], rows['e4m3 round (numfmt)'][0])} and "
        f"{fmt_ratio(rows['posit16 mul'][0], rows['e4m3 round (numfmt)'][0])}.",
    ]
    if notes:
        lines += ["", "Peers that failed: " + "; ".join(sorted(set(notes)))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
