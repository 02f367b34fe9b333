"""Throughput of numfmt.torch.round and numfmt.jax.round against the frameworks' own casts.

    python benchmarks/bench_backends.py [--quick] [--from-results] [--write-readme] [--repeats N]

Input: 4M float32 values, standard normal times 10 (seed 0); --quick uses 64K. Melem/s, best of
N timed calls after a warm-up, with 1 thread and with all cores (torch.set_num_threads; JAX
and XLA choose their own threads: one column). Peers: torch's ``.to(dtype).to(float32)`` round
trip, ``jax.lax.reduce_precision`` (jitted), ml_dtypes ``astype``, the NumPy path
(``numfmt.round``), and gfloat's torch path where it imports. Results that differ from
numfmt's are flagged ``*``.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from _common import command, fmt_rate, machine_line, markdown_table, measure, parse_args, publish, same

FORMATS = {"e4m3": ("float8_e4m3fn", 4, 3), "e5m2": ("float8_e5m2", 5, 2), "bfloat16": ("bfloat16", 8, 7),
           "binary16": ("float16", 5, 10)}


def main(argv=None) -> int:
    args = parse_args(__doc__, "backends", argv, repeats=3)
    return publish(args, "backends", lambda: render(args))


def render(args) -> str:
    import jax
    import jax.numpy as jnp
    import ml_dtypes
    import torch

    import numfmt as nf
    import numfmt.jax as nfj
    import numfmt.torch as nft

    n = 1 << 16 if args.quick else 4 << 20
    repeats = args.repeats or (2 if args.quick else 3)
    cores = os.cpu_count() or 1
    x = (np.random.default_rng(0).standard_normal(n, dtype=np.float32) * np.float32(10)).astype(np.float32)
    xt, xj = torch.from_numpy(x), jnp.asarray(x)
    notes: list[str] = []
    rows = []
    for name, (dtype, e, m) in FORMATS.items():
        print(f"{name} ...", file=sys.stderr, flush=True)
        ref = nf.round(x, name)
        check = lambda r: same(np.asarray(r), ref)  # noqa: E731
        tdt = getattr(torch, dtype)
        cells = []
        for threads in (1, cores):
            torch.set_num_threads(threads)
            nf.set_num_threads(threads)
            cells.append(measure(lambda: nft.round(xt, name), n, repeats, check=lambda r: check(r.numpy()), note=notes))
            cells.append(measure(lambda: xt.to(tdt).to(torch.float32), n, repeats,
                                 check=lambda r: check(r.numpy()), note=notes))
            cells.append(measure(lambda: nf.round(x, name), n, repeats))
        fj = jax.jit(lambda v: nfj.round(v, name))
        rp = jax.jit(lambda v: jax.lax.reduce_precision(v, exponent_bits=e, mantissa_bits=m))
        cells.append(measure(lambda: fj(xj).block_until_ready(), n, repeats, check=check, note=notes))
        cells.append(measure(lambda: rp(xj).block_until_ready(), n, repeats, check=check, note=notes))
        mld = getattr(ml_dtypes, dtype, None) or np.float16
        cells.append(measure(lambda: x.astype(mld).astype(np.float32), n, repeats, check=check, note=notes))
        rows.append([name] + [fmt_rate(*c) for c in cells])
    torch.set_num_threads(cores)
    lines = [machine_line(command("bench_backends.py", args)), "",
             f"Melem/s (higher is better), best of {repeats} after a warm-up, round to nearest even of {n:,} "
             "float32 values (standard normal x 10, seed 0), float32 results. * marks results that differ "
             "from numfmt's (reduce_precision and torch's float8 casts do not saturate/NaN the same way).", ""]
    lines += markdown_table(["format", "numfmt.torch 1 thread", "torch .to() 1 thread", "numfmt NumPy 1 thread",
                             f"numfmt.torch {cores} threads", f"torch .to() {cores} threads",
                             f"numfmt NumPy {cores} threads", "numfmt.jax jit", "lax.reduce_precision jit",
                             "ml_dtypes astype"], rows)
    if notes:
        lines += ["", "Notes: " + "; ".join(sorted(set(notes)))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
