"""Sequential reductions that the machine performs exactly as emulated.

A binary32 (binary64) accumulator under round-to-nearest-even adds, in the order
"sequential", exactly as float32 (float64) hardware does: IEEE 754 addition, subnormals
included. When every term is a float32 (float64) number exactly (the inputs of a sum; the
products of a dot or matmul when they cannot overflow or lose bits), ``numfmt.sum / dot /
matmul`` hand the reduction to a plain loop in that dtype (``kernels.machine_sum``), many
times faster than the emulating kernels and bit-identical to them (tested against them and
against numpy's own float32 loop). Products that float32 may not hold (binary32 operands,
bfloat16 products below its normal range) join a binary32 sum by the hardware's fused
multiply-add, which rounds the exact sum once, as the emulating kernels do (counted by
TwoSum in float64, every addition). Everything else, and any call where the inputs hold an
Inf or NaN, or a thread flushes subnormals to zero, runs the emulating kernels. With
``report=True`` the same loop counts its inexact additions where nothing else can be
counted: no sum can be subnormal (from the inputs' smallest magnitudes) and every result is
finite; otherwise the emulating kernels count.
"""
from __future__ import annotations

import math

import numpy as np

from .arithmetic.floating import products_exact_in_float64
from .casts.floating import fits_float32
from .casts.report import combine
from .formats.floating import FloatFormat
from .kernels import machine_sum as kern
from .parallel import run_ranges
from .report import FLAGS
from .rounding import Rounding

BINARY32 = FloatFormat(8, 23)
BINARY64 = FloatFormat(11, 52)
WORK_PER_TERM = 0.5             # ``numfmt.parallel`` units per term (a vectorized add)
WORK_PER_FUSED_TERM = 2         # ... of the fused adder (two passes over the products)


def machine_add(acc: FloatFormat, mode: Rounding):
    """The dtype (np.float32 / np.float64) whose IEEE addition of two values of acc is their
    exact sum rounded to acc in mode, or None: binary32 (binary64) in nearest even.

    >>> machine_add(FloatFormat(8, 23), Rounding.NEAREST_EVEN), machine_add(FloatFormat(8, 7), Rounding.NEAREST_EVEN)
    (<class 'numpy.float32'>, None)
    """
    if mode != Rounding.NEAREST_EVEN:
        return None
    return {BINARY32: np.float32, BINARY64: np.float64}.get(acc)


def machine_dtype(plan, order: str):
    """The dtype (np.float32 / np.float64) whose addition is the plan's accumulation, or None:
    the sequential order, no product format, no promotion, the accumulator's own addition
    (``machine_add``) with inputs that float32 holds for binary32, with float64 terms (products
    exact in float64) for binary64."""
    if order != "sequential" or plan.product is not None or int(plan.cfg[3]) or plan.tx_proto is not None:
        return None
    dtype = machine_add(plan.acc, plan.mode)
    return None if dtype == np.float32 and not fits_float32(plan.fmt) else dtype


def _exact_products_32(a_range: tuple, b_range: tuple) -> bool:
    """Whether every product of an element of a and one of b is a float32 number exactly, from
    their magnitudes (smallest nonzero, largest): the significands have at most 24 bits
    together (checked by the caller) and the magnitudes stay in float32's normal range (at
    least 2**-126, below 2**128)."""
    (a_lo, a_hi), (b_lo, b_hi) = a_range, b_range
    return a_lo * b_lo >= 2.0 ** -126 and a_hi * b_hi < 2.0 ** 128


def _quantum_exponent(fmt: FloatFormat, ranges: list) -> int | None:
    """The exponent of q: every term (the product of one operand of each range, values of fmt)
    is a multiple of q, and so is every sum of terms while it is exact; None where an operand
    holds only zeros (every term is zero). An operand of fmt with smallest nonzero magnitude lo
    in binade e is a multiple of the quantum of that binade or a finer one above it:
    2**(max(e, emin) - man_bits) (fmt's subnormals share the quantum of its smallest normal
    binade)."""
    if not all(math.isfinite(lo) for lo, _ in ranges):
        return None
    return sum(max(math.frexp(lo)[1] - 1, fmt.emin) - fmt.man_bits for lo, _ in ranges)


def _no_subnormal_sums(dtype, fmt: FloatFormat, ranges: list) -> bool:
    """Whether no sum of the terms can be subnormal in dtype: every term and every sum of terms
    rounded to dtype is a multiple of q (``_quantum_exponent``), and a nonzero one is at least
    q: at least dtype's smallest normal, or no subnormal."""
    e = _quantum_exponent(fmt, ranges)
    return e is None or e >= np.finfo(dtype).minexp


def _exact_below(dtype, fmt: FloatFormat, ranges: list) -> float:
    """A magnitude below which every addition of ``kernels.machine_sum.sequential_products``
    is exact in dtype: 2**p * q (p: dtype's precision, q: ``_quantum_exponent``'s; at most
    dtype's largest power of two). A multiple of q below it is a dtype number, so while every
    partial sum stays below it, each addition (of multiples of q) is exact; the first inexact
    one would round to a magnitude of at least 2**p * q. Inf where every term is zero."""
    e = _quantum_exponent(fmt, ranges)
    info = np.finfo(dtype)
    return math.inf if e is None else math.ldexp(1.0, min(e + info.nmant + 1, info.maxexp - 1))


def _tracked_bound(dtype, fmt: FloatFormat, ranges: list) -> float:
    """``_exact_below``, or 0 where a single product may reach it (most sums would: the counted
    kernel then counts every addition in one pass instead of tracking the sums first)."""
    bound = _exact_below(dtype, fmt, ranges)
    return bound if bound > math.prod(hi for _, hi in ranges) else 0.0


def _overflow_scales(dtype, bound: float, ranges: list) -> tuple:
    """(c_a, c_b, 1 / c_a, 1 / c_b) as dtype numbers: powers of two with c_a * c_b * bound =
    2**maxexp (dtype's overflow threshold) such that no operand of either range (smallest
    nonzero, largest) times its factor overflows (the largest below 2**maxexp) and neither
    factor is below 1 (no scaled operand loses a bit); their products and sums then overflow
    where the unscaled ones reach bound (``kernels.machine_sum.sequential_products``). Zeros
    where there are none (bound 0: every addition is counted), ones for bound Inf (no sum
    reaches it)."""
    if bound == math.inf:
        return tuple(dtype(1.0) for _ in range(4))
    maxexp = np.finfo(dtype).maxexp
    total = maxexp - (math.frexp(bound)[1] - 1) if bound > 0 else -1
    (_, a_hi), (_, b_hi) = ranges
    a_room, b_room = (min(maxexp - 1, maxexp - math.frexp(hi)[1]) for hi in (a_hi, b_hi))
    c_a = min(a_room, total)
    if not 0 <= total - c_a <= b_room or c_a < 0:
        return tuple(dtype(0.0) for _ in range(4))
    c_b = total - c_a
    return dtype(2.0 ** c_a), dtype(2.0 ** c_b), dtype(2.0 ** -c_a), dtype(2.0 ** -c_b)


def reduce(dtype, fmt: FloatFormat, overflow: str, a3: np.ndarray, bt3: np.ndarray | None, ranges: list,
           report: bool = False):
    """The reduction of ``accumulate._Plan.run`` (a3 (G, M, n), bt3 (G', P, n) or None) in dtype,
    as a (G * M, P) array, or None where the machine cannot do it exactly: an Inf or NaN input,
    products that float32 may not hold, a result that overflowed under a policy other than
    "ieee" (those clamp or raise), a thread that flushes subnormals. ranges: the inputs'
    magnitudes (smallest nonzero, largest: Inf for an Inf or NaN), one pair per operand
    (``accumulate._check_values``). With ``report``, (values, counts) in the layout of the
    emulating kernels' chunk counts (the number of roundings, then ``numfmt.report.FLAGS``'
    counts and first output elements), or None where the counts could be other than inexact
    additions: a sum could be subnormal (``_no_subnormal_sums``) or a result is not finite
    (an overflow or an invalid addition on the way)."""
    if not all(math.isfinite(hi) for _, hi in ranges):
        return None
    fused = None        # (products exact in dtype: a multiplication and an addition each)
    if bt3 is not None and dtype == np.float32 and (2 * (fmt.man_bits + 1) > 24 or not _exact_products_32(*ranges)):
        fused = True    # the hardware's fused multiply-add rounds each exact sum once
    if report and not _no_subnormal_sums(dtype, fmt, ranges):
        return None
    a = np.ascontiguousarray(a3, dtype)
    tiny = dtype(np.finfo(dtype).smallest_subnormal)
    if bt3 is None:
        out = np.empty((a.shape[0] * a.shape[1], 1), dtype)
        parts = run_ranges(lambda lo, hi: _counted(kern.sequential_terms, report, out[lo:hi, 0], lo, a, tiny),
                           out.shape[0], WORK_PER_TERM * max(a.shape[2], 1))
    else:
        scales = _overflow_scales(dtype, _tracked_bound(dtype, fmt, ranges), ranges) if fused is None else \
            tuple(dtype(0.0) for _ in range(4))     # (fused: counted, every addition is)
        out, parts = _products(lambda *args: _counted(kern.sequential_products, report, *args), a, bt3, dtype,
                               WORK_PER_TERM, tiny, scales, fused)
    if not all(done for done, _ in parts) or ((overflow != "ieee" or report) and not np.isfinite(out).all()):
        return None
    if not report:
        return out
    return out, _chunk_counts(out.size * max(a.shape[2], 1), [counts for _, counts in parts])


def _counted(kernel, report: bool, *args) -> tuple:
    """(kernel(*args, counts), counts): counts a fresh [0, -1] where ``report``, else None."""
    counts = np.array([0, -1]) if report else None
    return kernel(*args, counts), counts


def _chunk_counts(roundings: int, parts: list) -> np.ndarray:
    """The emulating kernels' chunk counts of ``roundings`` roundings whose only flags are the
    inexact additions of parts ([count, first output element] of each range of rows, in order,
    combined as the kernels' chunks are: ``casts.report.combine``)."""
    k, inexact = len(FLAGS), FLAGS.index("inexact")
    flags = []
    for count, first in parts:
        part = np.zeros(2 * k, np.int64)
        part[k:] = -1
        part[inexact], part[k + inexact] = count, first
        flags.append(part)
    return np.concatenate(([roundings], combine(flags)))


def _products(kernel, a: np.ndarray, bt3: np.ndarray, out_dtype, work_per_product: float, *args) -> tuple:
    """The (G * M, P) array of out_dtype that ``kernel(out[lo:hi], lo, a, b, *args)`` fills
    over ranges of its rows, a (G, M, n) (C-contiguous) by b = bt3 (G', P, n) as (G', n, P) in
    a's dtype (no copy where bt3 is the transposed view of b's rows that ``matmul`` gives), and
    the kernel's results, range by range in order."""
    b = np.ascontiguousarray(np.swapaxes(bt3, 1, 2), a.dtype)
    rows = max(a.shape[0], b.shape[0]) * a.shape[1]
    out = np.empty((rows, b.shape[2]), out_dtype)
    parts = run_ranges(lambda lo, hi: kernel(out[lo:hi], lo, a, b, *args), rows,
                       work_per_product * max(a.shape[2], 1) * b.shape[2])
    return out, parts


def fused_config(plan, order: str):
    """(k, align, promote, toward_zero) where float64 arithmetic performs the plan's fused
    adder into binary32 exactly (``kernels.machine_sum.fused_products``), or None: the order
    "fused" of products exact in float64 (no product format), into binary32 in nearest_even
    or toward_zero, with k + 1 truncated addends of align + 1 bits summing below 2**53 and
    every alignment 2**(emax - align) a normal float64."""
    if order != "fused" or plan.product is not None or plan.acc != BINARY32 or not products_exact_in_float64(plan.fmt):
        return None
    if plan.mode not in (Rounding.NEAREST_EVEN, Rounding.TOWARD_ZERO):
        return None
    _, k, align, promote = (int(v) for v in plan.cfg)
    fmt = plan.fmt
    smallest_product = 2 * (fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin)
    if align + 1 + (k + 1).bit_length() > 53 or min(smallest_product, -149) - align < -1022:
        return None
    return np.int64(k), np.int64(align), np.int64(promote), plan.mode == Rounding.TOWARD_ZERO


def reduce_fused(config, fmt: FloatFormat, overflow: str, a3: np.ndarray, bt3: np.ndarray | None, ranges: list,
                 report: bool = False):
    """The products' reduction of ``accumulate._Plan.run`` (a3 (G, M, n) by bt3 (G', P, n)) in
    the fused order of ``fused_config``'s config, as a (G * M, P) float32 array, or None where
    the machine cannot do it exactly: a sum (no bt3), an Inf or NaN input (ranges as
    ``reduce`` takes them) or result, a thread that flushes subnormals, a largest finite
    result toward zero (an overflow, perhaps) under overflow="raise". With ``report``,
    (values, counts) as ``reduce`` gives them, or None where the counts could be other than
    inexact roundings: a sum could be subnormal, a result is the largest finite value
    toward zero."""
    if bt3 is None or not all(math.isfinite(hi) for _, hi in ranges):
        return None
    if report and not _no_subnormal_sums(np.float32, fmt, ranges):
        return None
    tiny = np.float32(np.finfo(np.float32).smallest_subnormal)
    out, parts = _products(lambda *args: _counted(kern.fused_products, report, *args), np.ascontiguousarray(a3),
                           bt3, np.float32, WORK_PER_FUSED_TERM, *config, tiny)
    toward_zero = config[3]
    if not all(done for done, _ in parts) or not np.isfinite(out).all() or (
            toward_zero and (report or overflow == "raise") and (np.abs(out) == np.finfo(np.float32).max).any()):
        return None
    if not report:
        return out
    k, _, promote, _ = config
    return out, _chunk_counts(out.size * _fused_roundings(a3.shape[2], k, promote), [counts for _, counts in parts])


def _fused_roundings(n: int, k: int, promote: int) -> int:
    """The roundings of one output of ``kernels.machine_sum.fused_products`` (as the emulating
    kernels count them): a step per k terms of each chunk of promote terms (all n terms for
    promote <= 0), and with promote > 0 one per chunk's result (the first one's exact
    rounding included)."""
    chunk = int(promote) if promote > 0 else max(n, 1)
    chunks = [min(chunk, n - c0) for c0 in range(0, max(n, 1), chunk)]
    return sum(-(-max(length, 0) // int(k)) for length in chunks) + (len(chunks) if promote > 0 else 0)
