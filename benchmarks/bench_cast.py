"""Throughput of numfmt.round against other emulators, on the same float32 input.

    python benchmarks/bench_cast.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/cast.md] [--repeats N]

Input: 4M float32 values, standard normal times 10 (seed 0); --quick uses 64K. Every number is
millions of elements per second (Melem/s), best of N timed calls after one warm-up call.

Peers (each one that fails to import or run is reported as n/a; the run goes on):

- numfmt ``round(x, fmt)`` with 1 thread and with ``os.cpu_count()`` threads;
- ml_dtypes: ``x.astype(dtype).astype(float32)`` (no float16 type of its own: n/a for binary16);
- gfloat ``round_ndarray(format_info, x)`` (slow: timed on a 2**18 subset; sat=True for the
  formats without Inf and NaN, which is what they do on overflow);
- pychop ``Chop(exp_bits, sig_bits, rmode=1)`` on the NumPy backend (2**20 subset). It models
  IEEE-style layouts only (top exponent reserved for Inf/NaN), so e4m3 (fn), e3m2 and e2m1
  (finite) are not expressible: n/a;
- numpy ``x.astype(float16).astype(float32)`` (binary16) and ``np.clip(np.rint(x), -128, 127) + 0``
  (int8: round to nearest even and saturate, float32 out; + 0 turns -0 into numfmt's +0);
- torch (CPU): ``t.to(dtype).to(torch.float32)`` on a tensor sharing x's memory, for the formats
  torch has (float16, bfloat16, float8_e4m3fn, float8_e5m2), with torch's default threads, and
  ``torch.clamp(torch.round(t), -128, 127) + 0`` for int8;
- ``x.copy()``: the memory-bandwidth floor.

Results that differ from numfmt's are flagged in the table (``*``).
"""
from __future__ import annotations

import os
import sys

import numpy as np

from _common import command, fmt_rate, fmt_ratio, machine_line, markdown_table, measure, parse_args, publish, same

FORMATS = ["binary16", "bfloat16", "e4m3", "e5m2", "e3m2", "e2m1", "int8"]
ML_DTYPES = {"bfloat16": "bfloat16", "e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2",
             "e3m2": "float6_e3m2fn", "e2m1": "float4_e2m1fn"}
GFLOAT = {"binary16": "format_info_binary16", "bfloat16": "format_info_bfloat16",
          "e4m3": "format_info_ocp_e4m3", "e5m2": "format_info_ocp_e5m2",
          "e3m2": "format_info_ocp_e3m2", "e2m1": "format_info_ocp_e2m1"}
PYCHOP = {"binary16": (5, 10), "bfloat16": (8, 7), "e5m2": (5, 2)}   # IEEE-style layouts only
TORCH = {"binary16": "float16", "bfloat16": "bfloat16", "e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2"}


def main(argv=None) -> int:
    args = parse_args(__doc__, "cast", argv, repeats=5)
    return publish(args, "cast", lambda: render(args))


def render(args) -> str:
    """Measure every format and peer; the results table as markdown."""
    import numfmt as nf

    n = 1 << 16 if args.quick else 4 << 20
    n_gfloat = 1 << 12 if args.quick else 1 << 18
    n_pychop = 1 << 14 if args.quick else 1 << 20
    repeats = args.repeats or (2 if args.quick else 5)
    cores = os.cpu_count() or 1
    x = (np.random.default_rng(0).standard_normal(n, dtype=np.float32) * np.float32(10)).astype(np.float32)
    xg, xp = x[:n_gfloat].copy(), x[:n_pychop].copy()
    notes: list[str] = []

    try:
        import ml_dtypes
    except Exception as exc:  # noqa: BLE001
        ml_dtypes = None
        notes.append(f"ml_dtypes unavailable ({type(exc).__name__}: {exc})")
    try:
        import gfloat
        import gfloat.formats as gformats
    except Exception as exc:  # noqa: BLE001
        gfloat = gformats = None
        notes.append(f"gfloat unavailable ({type(exc).__name__}: {exc})")
    try:
        os.environ.setdefault("chop_backend", "numpy")
        import warnings
        import pychop
    except Exception as exc:  # noqa: BLE001
        pychop = None
        notes.append(f"pychop unavailable ({type(exc).__name__}: {exc})")
    try:
        import torch
    except Exception as exc:  # noqa: BLE001
        torch = None
        notes.append(f"torch unavailable ({type(exc).__name__}: {exc})")

    copy_rate, _ = measure(lambda: x.copy(), n, repeats)
    old_threads = nf.get_num_threads()
    rows = []
    try:
        for name in FORMATS:
            print(f"{name} ...", file=sys.stderr, flush=True)
            ref = nf.round(x, name)
            nf.set_num_threads(1)
            nf1, _ = measure(lambda: nf.round(x, name), n, repeats)
            nf.set_num_threads(cores)
            nfa, _ = measure(lambda: nf.round(x, name), n, repeats)
            nf.set_num_threads(old_threads)

            mld = (None, "")
            if ml_dtypes is not None and name in ML_DTYPES:
                dt = getattr(ml_dtypes, ML_DTYPES[name], None)
                if dt is not None:
                    mld = measure(lambda: x.astype(dt).astype(np.float32), n, repeats,
                                  check=lambda r: same(r, ref), note=notes)

            gfl = (None, "")
            if gfloat is not None and hasattr(gformats, GFLOAT.get(name, "-")):
                fi = getattr(gformats, GFLOAT[name])
                sat = name in ("e3m2", "e2m1")   # no Inf, no NaN: overflow saturates (as numfmt)
                gfl = measure(lambda: gfloat.round_ndarray(fi, xg, sat=sat), n_gfloat, repeats,
                              check=lambda r: same(r, ref[:n_gfloat]), note=notes)

            pyc = (None, "")
            if pychop is not None and name in PYCHOP:
                chop = pychop.Chop(*PYCHOP[name], rmode=1)

                def run_chop():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        return chop(xp)
                pyc = measure(run_chop, n_pychop, repeats, check=lambda r: same(r, ref[:n_pychop]), note=notes)

            f16 = (None, "")
            if name == "binary16":
                f16 = measure(lambda: x.astype(np.float16).astype(np.float32), n, repeats,
                              check=lambda r: same(r, ref), note=notes)
            elif name == "int8":
                f16 = measure(lambda: np.clip(np.rint(x), -128, 127) + 0, n, repeats, check=lambda r: same(r, ref),
                              note=notes)
            tch = (None, "")
            if torch is not None and (hasattr(torch, TORCH.get(name, "-")) or name == "int8"):
                t = torch.from_numpy(x)
                cast = ((lambda: torch.clamp(torch.round(t), -128, 127) + 0) if name == "int8" else
                        (lambda dt=getattr(torch, TORCH.get(name, "float32")): t.to(dt).to(torch.float32)))
                tch = measure(cast, n, repeats, check=lambda r: same(r.numpy(), ref), note=notes)
            rows.append((name, nf1, nfa, mld, gfl, pyc, f16, tch))
    finally:
        nf.set_num_threads(old_threads)

    lines = [
        machine_line(command("bench_cast.py", args)),
        "",
        f"Melem/s (millions of elements per second; higher is better), best of {repeats} after a warm-up, "
        f"round to nearest even of {n:,} float32 values (standard normal x 10, seed 0) to float32 results; "
        f"gfloat on the first {n_gfloat:,}, pychop on the first {n_pychop:,}. "
        "n/a: no such format in that library (pychop: IEEE-style layouts only; ml_dtypes: no float16 type "
        "of its own, see the numpy column; torch: no 6- or 4-bit float dtype) or it failed. numpy and torch "
        "round int8 as np.clip(np.rint(x), -128, 127) + 0 and torch.clamp(torch.round(t), -128, 127) + 0. "
        "* marks results that differ from numfmt's.",
        "",
    ]
    table = []
    for name, nf1, nfa, mld, gfl, pyc, f16, tch in rows:
        best_nf = max([r for r in (nf1, nfa) if r is not None], default=None)
        table.append([name, fmt_rate(nf1), fmt_rate(nfa), fmt_rate(*mld), fmt_rate(*gfl), fmt_rate(*pyc),
                      fmt_rate(*f16), fmt_rate(*tch), fmt_rate(copy_rate), fmt_ratio(best_nf, mld[0]),
                      fmt_ratio(best_nf, tch[0]), fmt_ratio(copy_rate, best_nf)])
    lines += markdown_table(["format", "numfmt 1 thread", "numfmt all cores", "ml_dtypes", "gfloat", "pychop",
                             "numpy", "torch", "copy", "numfmt/ml_dtypes", "numfmt/torch", "copy/numfmt"],
                            table)
    lines.append("")
    lines.append("Ratios use the faster numfmt column. copy/numfmt near 1 means numfmt runs at memory bandwidth.")
    if notes:
        lines.append("")
        lines.append("Peers that failed: " + "; ".join(sorted(set(notes))))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
