"""Compile every kernel ahead: the first call of every public entry point, on small inputs.

numfmt's kernels are compiled by Numba on their first call and cached on disk (see
``numfmt.kernels.cache``), so only the very first call after installing (or upgrading) numfmt
pays the compile time. ``numfmt warmup`` pays it up front, spread over several processes: run it
once after ``pip install`` on a machine where first calls must answer at once (a notebook
server, a CI job whose tests time their calls, a container image).

``ENTRY_POINTS`` names one call of each public entry point; ``benchmarks/bench_compile.py``
times the same calls.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

SETUP = """
import ml_dtypes, numpy as np, numfmt as nf
from numfmt import dyadic
x32 = np.linspace(-3, 3, 64, dtype=np.float32)
x64 = x32.astype(np.float64)
e4 = np.float32([1.5, -2.0, 0.75, 3.0])
bf = x32.astype(ml_dtypes.bfloat16).astype(np.float32)
m = np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8).astype(ml_dtypes.float8_e4m3fn).astype(np.float32)
blocks = np.linspace(-4, 4, 64, dtype=np.float32).reshape(2, 32)
"""

# name -> one call: every public entry point, each family, each order, the stochastic variants
ENTRY_POINTS = {
    "round e4m3 float32": 'nf.round(x32, "e4m3")',
    "round e4m3 float64": 'nf.round(x64, "e4m3")',
    "round bfloat16 (fast path)": 'nf.round(x32, "bfloat16")',
    "round e4m3 stochastic": 'nf.round(x32, "e4m3", "stochastic", seed=1)',
    "round e4m3 stochastic squares": 'nf.round(x32, "e4m3", "stochastic", seed=1, rng="squares")',
    "round bfloat16 stochastic": 'nf.round(x32, "bfloat16", "stochastic", seed=1)',
    "encode e4m3": 'nf.encode(x32, "e4m3")',
    "encode e4m3 stochastic": 'nf.encode(x32, "e4m3", "stochastic", seed=1)',
    "decode e4m3": 'nf.decode(np.arange(256, dtype=np.uint8), "e4m3")',
    "decode binary16": 'nf.decode(np.arange(65536, dtype=np.uint16), "binary16")',
    "round e4m3 report": 'nf.round(x32, "e4m3", report=True)',
    "round e4m3 stochastic report": 'nf.round(x32, "e4m3", "stochastic", seed=1, report=True)',
    "round bfloat16 report": 'nf.round(x32, "bfloat16", report=True)',
    "round bfloat16 stochastic report": 'nf.round(x32, "bfloat16", "stochastic", seed=1, report=True)',
    "round posit16": 'nf.round(x32, "posit16")',
    "encode posit16": 'nf.encode(x32, "posit16")',
    "decode posit16": 'nf.decode(np.arange(65536, dtype=np.uint16), "posit16")',
    "round posit16 stochastic": 'nf.round(x32, "posit16", "stochastic", seed=1)',
    "round int8": 'nf.round(x32 * 50, "int8")',
    "encode int8": 'nf.encode(x32 * 50, "int8")',
    "round fixed q4.4": 'nf.round(x32, nf.FixedFormat(8, 4))',
    "round mxfp8_e4m3": 'nf.round(blocks, "mxfp8_e4m3", axis=1)',
    "round mxfp4": 'nf.round(blocks, "mxfp4", axis=1)',
    "encode mxfp4": 'nf.encode(blocks, "mxfp4", axis=1)',
    "decode mxfp4": 'nf.decode(nf.encode(blocks, "mxfp4", axis=1))',
    "round mxint8": 'nf.round(blocks, "mxint8", axis=1)',
    "round nvfp4": 'nf.round(blocks, "nvfp4", axis=1)',
    "round mxfp8 stochastic": 'nf.round(blocks, "mxfp8_e4m3", "stochastic", axis=1, seed=1)',
    "round mxfp4 report": 'nf.round(blocks, "mxfp4", axis=1, report=True)',
    "add e4m3": 'nf.add(e4, e4, "e4m3")',
    "sub bfloat16": 'nf.sub(bf, bf, "bfloat16")',
    "mul e4m3": 'nf.mul(e4, e4, "e4m3")',
    "div e4m3": 'nf.div(e4, e4, "e4m3")',
    "fma e4m3": 'nf.fma(e4, e4, e4, "e4m3")',
    "fma bfloat16 report": 'nf.fma(bf, bf, bf, "bfloat16", report=True)',
    "sqrt e4m3": 'nf.sqrt(abs(e4), "e4m3")',
    "add e4m3 stochastic": 'nf.add(e4, e4, "e4m3", "stochastic", seed=1)',
    "add posit16": 'nf.add(e4, e4, "posit16")',
    **{f"sum {order}": f'nf.sum(bf, "bfloat16", order="{order}"{", block=8" if order == "blocked" else ""})'
       for order in ("sequential", "pairwise", "blocked", "kahan", "exact")},
    "sum fused": 'nf.sum(bf, "bfloat16", order="fused", fused_terms=4, alignment_bits=8)',
    "sum stochastic": 'nf.sum(bf, "bfloat16", rounding="stochastic", seed=1)',
    "dot e4m3 -> binary32": 'nf.dot(m, m, "e4m3", accumulator="binary32")',
    "matmul e4m3 -> binary32": 'nf.matmul(m, m, "e4m3", accumulator="binary32")',
    "matmul e4m3 -> binary32 report": 'nf.matmul(m, m, "e4m3", accumulator="binary32", report=True)',
    "matmul fused": 'nf.matmul(m, m, "e4m3", accumulator="binary32", order="fused", fused_terms=4, alignment_bits=8)',
    "matmul promote_every": 'nf.matmul(m, m, "e4m3", accumulator="bfloat16", promote_every=4)',
    "sum int16 accumulator": 'nf.sum(np.arange(-64, 64), "int8", accumulator="int16")',
    "matmul int8 -> int16": 'nf.matmul(np.arange(64).reshape(8, 8) - 32, np.eye(8), "int8", accumulator="int16")',
    "quire_dot posit16": 'nf.quire_dot(e4, e4, "posit16")',
    "sum quire posit16": 'nf.sum(e4, "posit16", accumulator="quire")',
    "quantize_affine": 'nf.quantize_affine(x32, "int8", 0.05, 3)',
    "quantize_affine exact": 'nf.quantize_affine(x32, "int8", 0.05, 3, exact=True, rounding="toward_zero")',
    "scaling fit mse e4m3": 'nf.scaling.fit(x64, "e4m3", objective="mse")',
    "scaling quantize e4m3 stochastic": 'nf.scaling.quantize(x32, "e4m3", 0.3, "stochastic", seed=1)',
    "requantize": 'dyadic.requantize(np.arange(-50, 50, dtype=np.int32), 1 << 30, 31)',
    "requantize gemmlowp": 'dyadic.requantize(np.arange(-50, 50, dtype=np.int32), 1 << 30, 31, rounding="gemmlowp")',
}


def script(names) -> str:
    """Python source that makes the inputs and calls the named entry points.

    >>> script(["round e4m3 float32"]).splitlines()[-1]
    'nf.round(x32, "e4m3")'
    """
    return SETUP + "\n".join(ENTRY_POINTS[name] for name in names) + "\n"


def warmup(jobs: int | None = None, verbose: bool = False) -> float:
    """Compile (or load from the disk cache) the kernels of every entry point, in ``jobs``
    processes (default: the number of cores); returns the seconds it took. The command line:
    ``numfmt warmup [--jobs N]``.
    """
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ENTRY_POINTS)))
    names = list(ENTRY_POINTS)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", script(names[k::jobs])]) for k in range(jobs)]
    failed = [p for p in procs if p.wait() != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {jobs} warm-up processes failed (their errors are above)")
    seconds = time.perf_counter() - start
    if verbose:
        print(f"compiled {len(names)} entry points in {jobs} processes in {seconds:.1f} s")
    return seconds
