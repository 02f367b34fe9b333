"""Sequential reductions that the machine performs exactly as emulated.

A binary32 (binary64) accumulator under round-to-nearest-even adds, in the order
"sequential", exactly as float32 (float64) hardware does: IEEE 754 addition, subnormals
included. When every term is a float32 (float64) number exactly (the inputs of a sum; the
products of a dot or matmul when they cannot overflow or lose bits), ``numfmt.sum / dot /
matmul`` hand the reduction to a plain loop in that dtype (``kernels.machine_sum``), many
times faster than the emulating kernels and bit-identical to them (tested against them and
against numpy's own float32 loop). Everything else, and any call where the inputs hold an
Inf or NaN, or a thread flushes subnormals to zero, runs the emulating kernels.
"""
from __future__ import annotations

import numpy as np

from .casts.floating import fits_float32
from .formats.floating import FloatFormat
from .kernels import machine_sum as kern
from .parallel import run_ranges
from .rounding import Rounding

BINARY32 = FloatFormat(8, 23)
BINARY64 = FloatFormat(11, 52)
WORK_PER_TERM = 0.5             # ``numfmt.parallel`` units per term (a vectorized add)


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


def _exact_products_32(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether every product of an element of a and one of b is a float32 number exactly: the
    significands have at most 24 bits together (checked by the caller) and the magnitudes stay
    in float32's normal range (at least 2**-126, below 2**128)."""
    def extremes(arr):
        mag = np.abs(arr)
        nonzero = mag[mag != 0]
        return (float(nonzero.min()), float(nonzero.max())) if nonzero.size else (1.0, 1.0)
    (a_lo, a_hi), (b_lo, b_hi) = extremes(a), extremes(b)
    return a_lo * b_lo >= 2.0 ** -126 and a_hi * b_hi < 2.0 ** 128


def reduce(dtype, fmt: FloatFormat, overflow: str, a3: np.ndarray, bt3: np.ndarray | None):
    """The reduction of ``accumulate._Plan.run`` (a3 (G, M, n), bt3 (G', P, n) or None) in dtype,
    as a (G * M, P) array, or None where the machine cannot do it exactly: an Inf or NaN input,
    products that float32 may not hold, a result that overflowed under a policy other than
    "ieee" (those clamp or raise), a thread that flushes subnormals."""
    arrays = (a3,) if bt3 is None else (a3, bt3)
    if not all(np.isfinite(arr).all() for arr in arrays):
        return None
    if bt3 is not None and dtype == np.float32:
        if 2 * (fmt.man_bits + 1) > 24 or not _exact_products_32(a3, bt3):
            return None
    a = np.ascontiguousarray(a3, dtype)
    tiny = dtype(np.finfo(dtype).smallest_subnormal)
    rows, n = a.shape[0] * a.shape[1], a.shape[2]
    if bt3 is None:
        out = np.empty((rows, 1), dtype)
        done = run_ranges(lambda lo, hi: kern.sequential_terms(out[lo:hi, 0], lo, a, tiny), rows,
                          WORK_PER_TERM * max(n, 1))
    else:
        b = np.ascontiguousarray(np.swapaxes(bt3, 1, 2), dtype)
        rows = max(a.shape[0], b.shape[0]) * a.shape[1]
        out = np.empty((rows, b.shape[2]), dtype)
        done = run_ranges(lambda lo, hi: kern.sequential_products(out[lo:hi], lo, a, b, tiny), rows,
                          WORK_PER_TERM * max(n, 1) * b.shape[2])
    if not all(done) or (overflow != "ieee" and not np.isfinite(out).all()):
        return None
    return out
