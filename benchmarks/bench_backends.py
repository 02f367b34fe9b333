"""Throughput of numfmt.torch.round and numfmt.jax.round against the frameworks' own casts.

    python benchmarks/bench_backends.py [--quick] [--from-results] [--write-readme] [--repeats N]

Input: 4M float32 values, standard normal times 10 (seed 0); --quick uses 64K. Melem/s, best of
N timed calls after a warm-up, with 1 thread and with all cores (torch.set_num_threads; JAX
and XLA choose their own threads: one column). numfmt.torch runs eagerly (one torch operation
after another) and inside ``torch.compile`` (inductor fuses them into one loop; compile time
not counted). Peers: torch's ``.to(dtype).to(float32)`` round trip, gfloat's
``round_ndarray`` on torch tensors (on a 2**18 subset: slow), ``jax.lax.reduce_precision``
(jitted; after a warm-up of JAX itself: a process's first JAX calls run slowly, which
made the first row's numfmt.jax figure 10x low), ml_dtypes ``astype``, and the NumPy path
(``numfmt.round``); posit16 and int8 have
numfmt's columns only (int8 on JAX needs x64 mode: n/a). The row "affine int8" is
``quantize_affine(x, "int8", 0.1, 3)`` (ONNX's float32 recipe), against the recipe in torch's
own operations (``clamp(round(x / 0.1) + 3).to(int8)``) in the torch .to() column. Results that differ
from numfmt's are flagged ``*``. A second table: the block formats mxfp8_e4m3 and mxfp4 on the same values (blocks
along the last axis of a (n / 1024, 1024) matrix), numfmt.torch eager and compiled, NumPy,
numfmt.jax jitted.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from _common import command, fmt_rate, machine_line, markdown_table, measure, parse_args, publish, same

GFLOAT = {"e4m3": "format_info_ocp_e4m3", "e5m2": "format_info_ocp_e5m2", "bfloat16": "format_info_bfloat16",
          "binary16": "format_info_binary16"}
BLOCK_FORMATS = ("mxfp8_e4m3", "mxfp4")
FORMATS = {"e4m3": ("float8_e4m3fn", 4, 3), "e5m2": ("float8_e5m2", 5, 2), "bfloat16": ("bfloat16", 8, 7),
           "binary16": ("float16", 5, 10), "posit16": None, "int8": None,     # no framework peer
           "affine int8": None}      # quantize_affine(x, "int8", 0.1, 3): its torch peer is in render
AFFINE, AFFINE_SCALE, AFFINE_ZERO_POINT = "affine int8", 0.1, 3
NO_PEER = (None, "")
JAX_WARMUP = 20    # calls of a trivial jitted function before the first timed JAX call


def main(argv=None) -> int:
    args = parse_args(__doc__, "backends", argv, repeats=3)
    return publish(args, "backends", lambda: render(args))


def torch_cells(op, x: np.ndarray, xt, check, repeats: int, notes: list, natives=()) -> list:
    """(rate, flag) of numfmt.torch eager and compiled, the ``natives`` (torch peers' columns:
    a function, or None for no peer) and the NumPy path, computing ``op(module, x)`` (module:
    numfmt.torch or numfmt) with 1 thread and with all cores."""
    import torch

    import numfmt as nf
    import numfmt.torch as nft

    torch._dynamo.reset()     # a fresh cache per format: the lambdas share one code object
    compiled = torch.compile(lambda v: op(nft, v), fullgraph=True)
    cells = []
    for threads in (1, os.cpu_count() or 1):
        torch.set_num_threads(threads)
        nf.set_num_threads(threads)
        cells.append(measure(lambda: op(nft, xt), x.size, repeats, check=check, note=notes))
        cells.append(measure(lambda: compiled(xt), x.size, repeats, check=check, note=notes))
        cells += [measure(f, x.size, repeats, check=check, note=notes) if f else NO_PEER for f in natives]
        cells.append(measure(lambda: op(nf, x), x.size, repeats))
    return cells


def _rounding(name: str):
    """The op of a format row: round to nearest even, or the affine row's quantize_affine."""
    if name == AFFINE:
        return lambda module, v: module.quantize_affine(v, "int8", AFFINE_SCALE, AFFINE_ZERO_POINT)
    return lambda module, v: module.round(v, name)


def render(args) -> str:
    import jax
    import jax.numpy as jnp
    import ml_dtypes
    import torch

    import numfmt as nf
    import numfmt.jax as nfj

    n = 1 << 16 if args.quick else 4 << 20
    repeats = args.repeats or (2 if args.quick else 3)
    cores = os.cpu_count() or 1
    x = (np.random.default_rng(0).standard_normal(n, dtype=np.float32) * np.float32(10)).astype(np.float32)
    xt, xj = torch.from_numpy(x), jnp.asarray(x)
    notes: list[str] = []
    try:
        import gfloat
        import gfloat.formats as gformats
    except Exception as exc:  # noqa: BLE001
        gfloat = None
        notes.append(f"gfloat unavailable ({type(exc).__name__}: {exc})")
    n_gfloat = min(n, 1 << 18)
    warm = jax.jit(lambda v: v * 2)       # the first JAX executions of a process run slowly
    for _ in range(JAX_WARMUP):
        warm(xj).block_until_ready()
    rows = []
    for name, peer in FORMATS.items():
        print(f"{name} ...", file=sys.stderr, flush=True)
        dtype, e, m = peer or (None, 0, 0)
        op = _rounding(name)
        ref = op(nf, x)
        check = lambda r: same(np.asarray(r), ref)  # noqa: E731
        tcheck = lambda r: check(r.numpy())  # noqa: E731
        tdt = getattr(torch, dtype) if peer else None
        native = (lambda: xt.to(tdt).to(torch.float32)) if peer else None
        if name == AFFINE:         # the recipe in torch's own operations (torch.round: half to even)
            native = lambda: torch.clamp(torch.round(xt / AFFINE_SCALE) + AFFINE_ZERO_POINT,  # noqa: E731
                                         -128, 127).to(torch.int8)
        cells = torch_cells(op, x, xt, tcheck, repeats, notes, [native])
        gfl = NO_PEER
        if gfloat is not None and peer:
            fi = getattr(gformats, GFLOAT[name])
            xg = xt[:n_gfloat].clone()
            gfl = measure(lambda: gfloat.round_ndarray(fi, xg), n_gfloat, repeats,
                          check=lambda r: same(r.numpy(), ref[:n_gfloat]), note=notes)
        cells.append(gfl)
        fj = jax.jit(lambda v: op(nfj, v))
        rp = jax.jit(lambda v: jax.lax.reduce_precision(v, exponent_bits=e, mantissa_bits=m))
        try:
            fj(xj)
        except ValueError as exc:      # int8 rounds on float64 bits: JAX needs x64 mode for it
            notes.append(f"numfmt.jax: {str(exc).split(';')[0]}")
            cells.append(NO_PEER)
        else:
            cells.append(measure(lambda: fj(xj).block_until_ready(), n, repeats, check=check, note=notes))
        cells.append(measure(lambda: rp(xj).block_until_ready(), n, repeats, check=check, note=notes) if peer
                     else NO_PEER)
        mld = peer and (getattr(ml_dtypes, dtype, None) or np.float16)
        cells.append(measure(lambda: x.astype(mld).astype(np.float32), n, repeats, check=check, note=notes) if peer
                     else NO_PEER)
        rows.append([name] + [fmt_rate(*c) for c in cells])
    block_rows = []
    for name in BLOCK_FORMATS:          # blocks along the last axis of a (n / 1024, 1024) matrix
        print(f"{name} ...", file=sys.stderr, flush=True)
        x2 = x.reshape(-1, 1024)
        xt2, xj2 = torch.from_numpy(x2), jnp.asarray(x2)
        ref = nf.round(x2, name)
        tcheck = lambda r: same(r.numpy(), ref)  # noqa: E731
        cells = torch_cells(_rounding(name), x2, xt2, tcheck, repeats, notes)
        fj = jax.jit(lambda v: nfj.round(v, name))
        cells.append(measure(lambda: fj(xj2).block_until_ready(), n, repeats,
                             check=lambda r: same(np.asarray(r), ref), note=notes))
        block_rows.append([name] + [fmt_rate(*c) for c in cells])
    torch.set_num_threads(cores)
    lines = [machine_line(command("bench_backends.py", args)), "",
             f"Melem/s (higher is better), best of {repeats} after a warm-up, round to nearest even of {n:,} "
             "float32 values (standard normal x 10, seed 0), float32 results. * marks results that differ "
             "from numfmt's (reduce_precision and torch's float8 casts do not saturate/NaN the same way).", ""]
    header = ["format"]
    for threads in (1, cores):
        header += [f"numfmt.torch eager {threads}t", f"numfmt.torch compiled {threads}t", f"torch .to() {threads}t",
                   f"numfmt NumPy {threads}t"]
    header += [f"gfloat torch {cores}t", "numfmt.jax jit", "lax.reduce_precision jit", "ml_dtypes astype"]
    lines += markdown_table(header, rows)
    block_header = ["block format"]
    for threads in (1, cores):
        block_header += [f"numfmt.torch eager {threads}t", f"numfmt.torch compiled {threads}t",
                         f"numfmt NumPy {threads}t"]
    lines += ["", "Block formats, the same values as a (n / 1024, 1024) matrix, blocks along the last axis, "
              "round to nearest even (MX: E8M0 scales, floor rule; the same units):", ""]
    lines += markdown_table(block_header + ["numfmt.jax jit"], block_rows)
    if notes:
        lines += ["", "Notes: " + "; ".join(sorted(set(notes)))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
