"""The ``CastReport`` of an element-wise operation (``numfmt.add(..., report=True)`` ...).

The operation's counts are those of a cast (``numfmt.casts.report``) of its exact result to
the format, with the exact result replaced by a stand-in: the same operation in a wider float
format W (``stand_in_format``: p + 2 significand bits, p + sr_bits + 2 under stochastic
rounding, and an exponent range from just below fmt's normal ones to above every result),
rounded to odd. Rounding to odd at two or more extra bits keeps everything the counts look at:
the stand-in is exact iff the exact value is, lies on the same side of every value of p bits
(the limits, the ties), rounds to p bits as the exact value does in every mode, and keeps the
first sr_bits + 2 bits of the discarded fraction that stochastic rounding compares with its
random bits. The cast's counting pass then runs on (stand-in, result) with the operation's
random bits; ``nan_in``, ``invalid`` and ``div_by_zero`` come from the operands. Float32
operands' exact results are rounded to odd at 53 bits instead (``floating.odd_stand_in64``:
float64's own arithmetic, TwoSum and residuals), which has more bits than W wherever W exists.

Where the operation takes a float32 kernel of ``kernels.machine_arith`` (float32 operands and
results, ``floating.fast32_args``), ``fused`` rounds and counts in that kernel's one pass
(its counting twin for op, ``count_kernel32``: the stand-in there is float32's result rounded to
odd at 24 bits), per chunk, the chunks' counts summed. Posits on their float32 lanes
(``posit.counted``): the lanes leave the results rounded to odd at 24 bits and the posit
cast's counting pass rounds and counts them.

Formats whose stand-in float64 cannot hold raise NotImplementedError: more than 50 fraction
bits (more than 50 - sr_bits under stochastic rounding), a smallest normal below 2**-1020, or
results of the operation beyond float64's range (mul, fma in formats with 10 or 11 exponent
bits, div in formats with 11; posits with large es).
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ..casts import report as cast_report
from ..casts.common import kernel_input, kernel_random_bits
from ..kernels.floating import Fast32Params, round_same_range32
from ..kernels.machine_arith import MODES_TWINS, OPS, count_kernel32
from ..kernels.report import NEVER32
from ..parallel import run_chunked
from ..formats.floating import FloatFormat
from ..report import CastReport
from ..rounding import Rounding
from . import NotValuesError, floating, posit

# the exponent hi with |r| < 2**hi for every finite result r of each operation on values in
# [2**q, 2**m)
_TOP = {"add": lambda q, m: m + 1, "sub": lambda q, m: m + 1, "mul": lambda q, m: 2 * m,
        "div": lambda q, m: m - q + 1, "fma": lambda q, m: 2 * m + 1, "sqrt": lambda q, m: m}


def _shape(fmt) -> tuple[int, int, int, int]:
    """(fraction bits, exponent of the smallest normal (posits: of minpos), exponent of the
    smallest positive value, maxexp: every value is below 2**maxexp) of a float or posit format."""
    info = fmt.info
    if fmt.family == "posit":
        return info.fraction_bits, info.minexp, info.minexp, info.maxexp
    return fmt.man_bits, fmt.emin, fmt.emin - (fmt.man_bits if fmt.subnormals else 0), info.maxexp


@functools.lru_cache(maxsize=None)
def stand_in_format(op: str, fmt, sr_bits: int | None = None) -> FloatFormat:
    """The float format W whose round-to-odd result of op stands in for the exact one:
    ``2 + sr_bits`` more fraction bits than fmt (sr_bits=None: a deterministic mode), normal
    from two binades below fmt's smallest normal (where IEEE's tininess after rounding is
    decided; below, W's subnormal quantum is 4 + sr_bits bits below fmt's, which keeps the
    round-to-odd argument) to above every operand and every result of op, so that only exact
    infinities are infinite. NotImplementedError where float64 cannot hold W.

    >>> w = stand_in_format("mul", FloatFormat(4, 3, special="fn"))    # e4m3: products below 448**2
    >>> w.name, w.info.minexp, w.info.maxexp
    ('e5m5_b9', -8, 22)
    """
    frac, emin, q, m = _shape(fmt)
    man_bits = frac + 2 + (sr_bits or 0)
    lo, hi = emin - 2, max(_TOP[op](q, m), m)            # the operands too (formats below 1: products)
    if man_bits > 52:
        extra = f" with sr_bits={sr_bits} (at most {50 - frac} here)" if sr_bits else ""
        raise NotImplementedError(f"report=True for {op} in {fmt.name}{extra}: the exact results need "
                                  f"{man_bits} fraction bits, float64 holds 52")
    if lo < -1022 or hi > 1024:
        raise NotImplementedError(f"report=True for {op} in {fmt.name}: its exact results need the exponents "
                                  f"2**{lo} .. 2**{hi}, beyond float64's")
    exp_bits = max(2, (hi - lo + 1).bit_length())         # 2**exp_bits - 2 binades hold [lo, hi)
    bias = max(1 - lo, (1 << exp_bits) - 2 - 1023)        # emin = lo unless that puts max beyond float64's
    return FloatFormat(exp_bits, man_bits, bias=bias)


def stand_in(op: str, fmt, stochastic) -> FloatFormat:
    """``stand_in_format`` for op in fmt under ``stochastic`` (None or the operation's
    ``StochasticArgs``: the float family needs sr_bits more bits; posit counts need none)."""
    return stand_in_format(op, fmt, stochastic[1] if stochastic is not None and fmt.family == "float" else None)


def op_report(op: str, operands: tuple, fmt, mode: Rounding, stochastic, out: np.ndarray, wide: FloatFormat) -> tuple:
    """(report, stand-in) of op's results ``out`` (flat) in fmt from the flat, broadcast
    operands, rounded in ``mode`` with ``stochastic`` (the operation's own random bits); wide
    is ``stand_in(op, fmt, stochastic)``; the stand-in (flat float64) names the exact results
    in ``numfmt.flags`` errors."""
    if all(a.dtype == np.float32 for a in operands):
        operands = tuple(kernel_input(a, np.float32) for a in operands)
        exact = floating.same_range_stand_in32(op, fmt, operands) if fmt.family == "float" and stochastic is None \
            else None       # (stochastic rounding reads more of the exact result's bits than float32 keeps)
        exact = floating.odd_stand_in64(op, operands) if exact is None else exact
    else:
        operands = tuple(kernel_input(a, np.float64) for a in operands)
        exact = floating.elementwise(op, operands, wide, Rounding.ODD, "ieee", None, np.float64)
    counted = exact
    if exact.size and np.isnan(exact.min()):   # a NaN from non-NaN operands counts as invalid (as a zero)
        nan_in = np.logical_or.reduce([np.isnan(a) for a in operands])
        counted = np.where(np.isnan(exact) & ~nan_in, exact.dtype.type(0), exact)
    if fmt.family == "posit":
        rep = cast_report.posit_report(counted, out, fmt)
    else:
        rep = cast_report.float_report(counted, out, fmt, mode, stochastic)
    if op != "div":
        return rep, exact
    a, b = operands
    zeros = np.flatnonzero(b == 0)
    by_zero = zeros[np.isfinite(a[zeros]) & (a[zeros] != 0)]
    if by_zero.size:
        rep = dataclasses.replace(rep, div_by_zero=by_zero.size, first={**rep.first, "div_by_zero": int(by_zero[0])})
    return rep, exact


def _float_lim32(p: Fast32Params) -> tuple:
    """``kernels.report._cases32``' lim32 of a float format with zero."""
    return p.max_bits, NEVER32, p.normal_bits, p.normal_bits, p.q_bits


@functools.lru_cache(maxsize=None)
def _limits32(fmt: FloatFormat, p) -> tuple:
    """(lim32, k, extra) of ``kernels.report._cases32`` and ``_derive`` for the float32 kernel's
    parameters p (``Fast32Params``; the directed modes' (``Fast32Params``, ``Mode32``, key),
    whose extra is (by_sign,) of ``kernels.machine_arith._count_tile32``; or
    ``same_range_params``: overflow to Inf, or to the largest value where it saturates)."""
    if isinstance(p, tuple) and isinstance(p[0], Fast32Params):
        k, by_sign = cast_report.directed32_derive(p[0])
        return _float_lim32(p[0]), k, (by_sign,)
    if isinstance(p, Fast32Params):
        return _float_lim32(p), cast_report.fast32_derive(p), ()
    u32 = np.uint32
    max_bits, normal = np.array(fmt.info.max, np.float32).view(u32), np.array(2.0 ** fmt.emin, np.float32).view(u32)
    clamp = np.array(p[6], np.int64).astype(u32)
    one = np.int64(1)
    return ((u32(max_bits), NEVER32, u32(normal), u32(normal), u32(1 << int(p[0]))),
            (np.int64(clamp == max_bits), np.int64(0), np.int64(0), one), ())


@functools.lru_cache(maxsize=None)
def _modes_limits32(fmt: FloatFormat, p) -> tuple:
    """``_limits32`` of the counting twins of ``kernels.machine_arith.same_range32_sum_modes_kernel``
    and its siblings (p: the mode's ``same_range_params``), whose overflow results differ by
    sign in the directed modes: k of the result of float32's largest number (the stand-in of
    every finite result beyond its range) in the mode, extra (by_sign,) of -largest's less."""
    lim32, _, _ = _limits32(fmt, p)
    top = np.float32(np.finfo(np.float32).max)
    results = np.empty(2, np.uint32)
    round_same_range32(np.float32([top, -top]).view(np.uint32), results, p)      # (the kernels' rounding)
    k, by_sign = cast_report.overflow_derive(results[0], results[1], lim32[0])
    return lim32, k, (by_sign,)


def _counted_stand_ins(op: str, operands: tuple, fmt, mode: Rounding, overflow: str, out_dtype):
    """``fused``'s (result, report) for the deterministic kernels of float32's exponent field
    without a counting twin, or None: where every float32 stand-in
    (``floating.same_range_stand_in32``) is finite and at most the largest value, op's result
    and report are those of the counted cast of the stand-ins (nothing overflows, no NaN or
    x / 0 is made, every flag of a rounding is the stand-in's). bfloat16, 1M standard normal
    values, 1 thread, CPU time, toward_zero, report=True: add 3.8 -> 2.7 ms, mul 2.9 -> 1.6 ms,
    div 3.1 -> 1.6 ms, sqrt 2.5 -> 1.2 ms (``op_report`` before; the plain calls 1.1, 0.8, 0.9,
    0.5 ms); fma (float64's stand-ins before, ``op_report``) in every deterministic mode 4.8-6.3
    -> 3.3-4.1 ms (the plain call 2.2-2.6 ms), the Zen 3 host."""
    stand = floating.same_range_stand_in32(op, fmt, tuple(kernel_input(a, np.float32) for a in operands), True,
                                           mode)
    if stand is None:
        return None
    out, rep = cast_report.round_counted(stand, fmt, mode, overflow, "raise", None)
    return floating.checked(op, operands, fmt, mode, overflow, out, out_dtype), rep


def fused(op: str, operands: tuple, fmt, mode: Rounding, overflow: str, stochastic, out_dtype):
    """(result, report) of op on the operands (as ``floating.elementwise`` takes them) rounded
    and counted in one pass of a counting float32 kernel, or None where none applies (or the
    thread flushes subnormals). Raises as ``floating.elementwise``."""
    x = operands[0]
    if fmt.family == "posit":
        return posit.counted(op, operands, fmt, mode, overflow, stochastic)
    if x.dtype != np.float32:
        return None
    fast = floating.fast32_args(op, fmt, mode, overflow, stochastic, x.dtype, out_dtype)
    if fast is None:
        return None
    plain, p, pc = fast
    rand = None if stochastic is None else kernel_random_bits(stochastic[3])
    seeded = rand is not None and rand.size == 0        # (an empty array of bits: drawn from the seed)
    kernel = count_kernel32(plain, op, floating.exact_in_float32(op, fmt), seeded, p)
    if kernel is None and stochastic is None:
        return _counted_stand_ins(op, operands, fmt, mode, overflow, out_dtype)
    if kernel is None:          # (no counting twin: the report's other path)
        return None
    y = operands[1] if len(operands) > 1 else x
    z = operands[2] if len(operands) > 2 else x
    lim32, derive, extra = (_modes_limits32 if kernel in MODES_TWINS else _limits32)(fmt, p)
    out = np.empty(x.size, np.float32)
    bad = np.zeros(2, np.int64)
    if stochastic is not None:
        extra = (np.int64(stochastic[1]), np.uint64(stochastic[0]) if seeded else rand)
    u32 = np.uint32
    chunks = run_chunked(kernel, x.view(u32), out.view(u32), y.view(u32), z.view(u32), np.int64(OPS[op]), p, pc, bad,
                         floating.FLOAT32_TINY, lim32, derive, *extra, pass_start=True, work_per_item=4)
    if bad[1]:
        return None
    if bad[0]:
        raise NotValuesError(f"some operands are not values of {fmt.name}")
    out = floating.checked(op, operands, fmt, mode, overflow, out, out_dtype)
    return out, CastReport.from_counts(cast_report.combine(chunks), out.size, unit="elements")
