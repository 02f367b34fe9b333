"""First-call (compile) time of every public entry point, each in a fresh process with an empty
Numba cache, plus the whole tour in one process and ``numfmt demo`` cold.

    python benchmarks/bench_compile.py [--only SUBSTRING] [--jobs N] [--no-tour]

A row's "first call" is the time of the call alone, measured after ``import numfmt`` and after
making its inputs with numpy and ml_dtypes (the import time is its own row). "warm" is the same call in a new process once the cache is full
(loading the compiled kernels from disk). Targets (issue 11, on the 2-core machine): every first
call at most 3 s, ``numfmt demo`` cold at most 20 s, the whole tour at most 60 s.
Results go to benchmarks/results/compile.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "compile.md"

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

# name -> one call; every public entry point, each family, each order, the stochastic variants
CALLS = {
    "round e4m3 float32": 'nf.round(x32, "e4m3")',
    "round e4m3 float64": 'nf.round(x64, "e4m3")',
    "round bfloat16 (fast path)": 'nf.round(x32, "bfloat16")',
    "round e4m3 stochastic": 'nf.round(x32, "e4m3", "stochastic", seed=1)',
    "round bfloat16 stochastic": 'nf.round(x32, "bfloat16", "stochastic", seed=1)',
    "encode e4m3": 'nf.encode(x32, "e4m3")',
    "encode e4m3 stochastic": 'nf.encode(x32, "e4m3", "stochastic", seed=1)',
    "decode e4m3": 'nf.decode(np.arange(256, dtype=np.uint8), "e4m3")',
    "decode binary16": 'nf.decode(np.arange(65536, dtype=np.uint16), "binary16")',
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
    "add e4m3": 'nf.add(e4, e4, "e4m3")',
    "sub bfloat16": 'nf.sub(bf, bf, "bfloat16")',
    "mul e4m3": 'nf.mul(e4, e4, "e4m3")',
    "div e4m3": 'nf.div(e4, e4, "e4m3")',
    "fma e4m3": 'nf.fma(e4, e4, e4, "e4m3")',
    "sqrt e4m3": 'nf.sqrt(abs(e4), "e4m3")',
    "add e4m3 stochastic": 'nf.add(e4, e4, "e4m3", "stochastic", seed=1)',
    "add posit16": 'nf.add(e4, e4, "posit16")',
    **{f"sum {order}": f'nf.sum(bf, "bfloat16", order="{order}"{", block=8" if order == "blocked" else ""})'
       for order in ("sequential", "pairwise", "blocked", "kahan", "exact")},
    "sum fused": 'nf.sum(bf, "bfloat16", order="fused", fused_terms=4)',
    "sum stochastic": 'nf.sum(bf, "bfloat16", rounding="stochastic", seed=1)',
    "dot e4m3 -> binary32": 'nf.dot(m, m, "e4m3", accumulator="binary32")',
    "matmul e4m3 -> binary32": 'nf.matmul(m, m, "e4m3", accumulator="binary32")',
    "matmul fused": 'nf.matmul(m, m, "e4m3", accumulator="binary32", order="fused", fused_terms=4)',
    "matmul promote_every": 'nf.matmul(m, m, "e4m3", accumulator="bfloat16", promote_every=4)',
    "quire_dot posit16": 'nf.quire_dot(x32[:8], x32[:8], "posit16")',
    "sum quire posit16": 'nf.sum(e4, "posit16", accumulator="quire")',
    "quantize_affine": 'nf.quantize_affine(x32, "int8", 0.05, 3)',
    "requantize": 'dyadic.requantize(np.arange(-50, 50, dtype=np.int32), 1 << 30, 31)',
    "requantize gemmlowp": 'dyadic.requantize(np.arange(-50, 50, dtype=np.int32), 1 << 30, 31, rounding="gemmlowp")',
}

TIMED = """
import time, sys
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
{call}
t2 = time.perf_counter()
print("TIMES", t1 - t0, t2 - t1)
"""


def _env(cache_dir: str) -> dict:
    return dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))


def _run(code: str, cache_dir: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", code], env=_env(cache_dir), cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("TIMES")][-1]
    setup, call = map(float, line.split()[1:])
    return setup, call


def first_call(name: str) -> tuple[str, float, float]:
    """(name, cold seconds, warm seconds) of one entry point."""
    call = CALLS[name]
    with tempfile.TemporaryDirectory() as cache:
        code = TIMED.format(setup=SETUP, call=call)
        _, cold = _run(code, cache)
        _, warm = _run(code, cache)
    return name, cold, warm


def tour() -> float:
    """Every call in one fresh process with an empty cache: total seconds after the import."""
    body = SETUP + "\n".join(CALLS.values())
    with tempfile.TemporaryDirectory() as cache:
        return sum(_run(TIMED.format(setup="import numfmt", call=body), cache))


def import_time() -> float:
    with tempfile.TemporaryDirectory() as cache:
        return _run(TIMED.format(setup="import numfmt", call="pass"), cache)[0]


def demo() -> float:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from numfmt.cli import main; main(['demo'])"],
                       env=_env(cache), cwd=ROOT, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the entry points whose name contains this")
    parser.add_argument("--jobs", type=int, default=1, help="entry points measured at once")
    parser.add_argument("--no-tour", action="store_true", help="skip the tour and the demo")
    args = parser.parse_args()
    names = [n for n in CALLS if args.only in n]
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(first_call, names))
    lines = ["| entry point | first call (s) | warm (s) |", "|---|---:|---:|"]
    lines += [f"| {name} | {cold:.2f} | {warm:.3f} |" for name, cold, warm in rows]
    lines.append(f"| `import numfmt` | {import_time():.2f} | |")
    if not args.no_tour:
        lines.append(f"| whole tour ({len(CALLS)} calls, one process) | {tour():.1f} | |")
        lines.append(f"| `numfmt demo` (whole process) | {demo():.1f} | |")
    worst = max(rows, key=lambda r: r[1])
    header = (f"Compile times, {datetime.date.today()}, {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores, --jobs {args.jobs}; slowest first call: {worst[0]} "
              f"{worst[1]:.2f} s")
    text = header + "\n\n" + "\n".join(lines) + "\n"
    print(text)
    if not args.only:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
