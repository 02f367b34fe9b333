"""The kernels never overflow a signed integer, on special and extreme inputs of every family.

Numba compiles signed ``+ - *`` with LLVM's ``nsw`` flag: an int64 overflow is undefined
behaviour, and LLVM may then fold a later comparison either way, so the result changes with
inlining and compiler version (a NaN payload plus a rounding bias passing 2**63 made
``nf.div(1, 0, "binary16", overflow="raise")`` raise and ``nf.mul(inf, 2)`` reject its operand
once helpers were inlined by LLVM instead of Numba). Compiled code cannot be checked for it, but
the same kernels run as Python under ``NUMBA_DISABLE_JIT=1``, where numpy's int64 scalars report
every overflow. This test runs a tour of special inputs that way in a subprocess and fails on the
first overflow, naming the line. The uint64 hashes of the random numbers (``splitmix64``,
``splitmix_output``, ``draw_words``, ``squares_bits``) wrap by definition and are exempt, and so is
the float64 -> float32 conversion ``kernels.floating.narrowed32``, whose Inf beyond float32's
range is IEEE's (LLVM's fptrunc), not undefined.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

TOUR = textwrap.dedent('''
    import math, os, sys
    import numpy as np
    import numfmt as nf
    from numfmt import dyadic
    from numfmt.formats import PositFormat

    def on_error(kind, flag):
        frame = sys._getframe(1)
        path = frame.f_code.co_filename.replace(os.sep, "/")
        compiled = "/numfmt/kernels/" in path or path.endswith(("/numfmt/rounding.py", "/numfmt/random.py"))
        if kind != "overflow" or not compiled or frame.f_code.co_name in (
                "splitmix_bits", "splitmix64", "splitmix_output", "draw_words", "squares_bits", "narrowed32"):
            return
        raise FloatingPointError(f"{kind} at {frame.f_code.co_filename}:{frame.f_lineno} "
                                 f"({frame.f_code.co_name})")

    np.seterrcall(on_error)
    np.seterr(all="call")
    payloads = np.array([0x7FF8000000000000, 0x7FFFFFFFFFFFFFFF, 0x7FF0000000000001], np.int64)
    nans = np.concatenate([payloads, payloads | np.int64(-1 << 63)]).view(np.float64)
    x = np.concatenate([nans, [math.inf, -math.inf, 0.0, -0.0, 1e300, -1e300, 1e50, 5e-324,
                               1e-50, 3.0, -2.5, 0.1]])
    modes = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"]
    without_nan = ["e2m1", "int8", nf.FixedFormat(16, 4)]     # NaN into them raises, by design
    for fmt in ["e8m0", "e4m3", "e5m2", "bfloat16", "binary16", PositFormat(8, 5),
                PositFormat(16, 1), "posit32"] + without_nan:
        xs = x[6:] if fmt in without_nan else x
        for mode in modes:
            nf.round(xs, fmt, mode, overflow="saturate")
            nf.encode(xs, fmt, mode, overflow="saturate")
        nf.round(xs, fmt, "stochastic", seed=1, overflow="saturate")
        with np.errstate(over="ignore"):
            x32 = xs.astype(np.float32)
        nf.encode(x32, fmt, overflow="saturate")         # the float32 fast kernels' codes
        for cast in (nf.round, nf.encode) if isinstance(fmt, PositFormat) or fmt == "posit32" else ():
            cast(x32, fmt, "stochastic", seed=1, overflow="saturate")      # the float trick's int32 lanes,
            cast(x32, fmt, overflow="saturate", report=True)               # counted too (the float SR pairs
            cast(x32, fmt, "stochastic", seed=1, overflow="saturate", report=True)   # wrap uint64s by design)
        nf.round(xs, fmt, "stochastic", seed=1, overflow="saturate", rng="squares", sr_bits=40 if fmt == "e4m3" else 8)
    nf.round(x[6:][np.isfinite(x[6:])], "int8", overflow="wrap")
    blocks = np.tile(x[:32] if x.size >= 32 else np.resize(x, 32), (2, 1))
    for name in ["mxfp4", "mxfp8_e4m3", "mxint8", "nvfp4"]:
        for mode in ["nearest_even", "toward_positive", "odd"]:
            nf.round(blocks, name, mode, axis=1)
        for axis, b in ((1, blocks), (0, blocks.T)):      # counted per block in the float32 kernels' pass
            for cast in (nf.round, nf.encode):
                cast(np.ascontiguousarray(b, np.float32), name, axis=axis, report=True, per_block=True)
    v = nf.round(x[6:], "bfloat16")
    w = v[::-1].copy()
    for op in (nf.add, nf.sub, nf.mul, nf.div):
        for mode in modes:
            op(v, w, "bfloat16", mode)
    nf.fma(v, w, v, "bfloat16")
    nf.sqrt(np.abs(v), "bfloat16")
    b = np.concatenate([x, [1.7976931348623157e308, -2.2250738585072014e-308, 1.5e-323, 1 + 2**-52]])
    for mode in modes:                       # binary64: 128-bit products, long division, grid rounding
        nf.round(b, "binary64", mode)
        nf.encode(b, "binary64", mode)
        for op in (nf.add, nf.sub, nf.mul, nf.div):
            op(b, b[::-1].copy(), "binary64", mode)
        nf.fma(b, b[::-1].copy(), np.roll(b, 3), "binary64", mode)
        nf.fma(b, b, -b * b, "binary64", mode)
    nf.sqrt(np.abs(b), "binary64")
    nf.mul(b, b[::-1].copy(), "binary64", "stochastic", seed=1, sr_bits=7)
    fb = b[np.isfinite(b)]
    for order in ("sequential", "kahan", "exact"):
        nf.sum(fb, "binary64", order=order)
    nf.dot(fb, fb[::-1].copy(), "binary64")
    p = nf.round(x[6:], "posit16")
    for op in (nf.add, nf.mul, nf.div):
        op(p, p[::-1].copy(), "posit16")
    finite = v[np.isfinite(v)]
    for order in ("sequential", "pairwise", "kahan", "exact"):
        nf.sum(finite, "bfloat16", order=order)
    nf.dot(finite, finite[::-1].copy(), "bfloat16", accumulator="binary32", order="exact")
    nf.quire_dot(p[np.isfinite(p)], p[np.isfinite(p)], "posit16")
    extremes = np.array([-(2**31), -(2**31), 2**31 - 1, -(2**31), 5, -(2**31)] * 3)
    for order in ("sequential", "blocked", "exact"):
        for acc in ("int32", "uint32", "int2"):
            for overflow in ("wrap", "saturate"):
                nf.dot(extremes, extremes, "int32", accumulator=acc, overflow=overflow, order=order,
                       block=4 if order == "blocked" else None)
                nf.sum(extremes, "int32", accumulator=acc, overflow=overflow, order=order,
                       block=4 if order == "blocked" else None)
    nf.quantize_affine(x[6:], "int8", 0.05, 3, exact=True, rounding="toward_positive")
    for fmt in ("e4m3", "int8"):
        for s in (0.1, 2.0 ** -40, 3.0 * 2.0 ** 900):
            for mode in modes:
                nf.scaling.quantize(x[6:], fmt, s, mode)
    nf.scaling.fit(x[12:], "e4m3", objective="mse")
    acc = np.array([-(2**31), 2**31 - 1, -5, 7, 0], np.int32)
    for shift in (0, 31, 62):
        dyadic.requantize(acc, 1 << 30, shift)
    dyadic.requantize(acc, 2**31 - 1, 31, rounding="gemmlowp")
    print("no overflow")
''')


def test_no_signed_overflow_in_any_kernel():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    run = subprocess.run([sys.executable, "-c", TOUR], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0 and "no overflow" in run.stdout, run.stderr[-3000:]
