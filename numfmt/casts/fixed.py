"""Casts of the fixed-point family (integers and fixed point): round / encode / decode."""
from __future__ import annotations

import numpy as np

from ..formats.integer import FixedFormat
from ..kernels import fixed as kern
from ..rounding import Rounding
from ..parallel import run_ranges
from .common import as_code_array, code_dtype

OVERFLOW_POLICIES = ("saturate", "wrap", "raise")


def fixed_overflow(fmt: FixedFormat, overflow: str) -> str:
    """The overflow policy of a cast to fmt: "ieee" saturates (integers have no Inf: IEEE's
    invalid conversion saturates here); else one of ``OVERFLOW_POLICIES`` (ValueError)."""
    if overflow == "ieee":
        overflow = "saturate"
    if overflow not in OVERFLOW_POLICIES:
        raise ValueError(f"overflow must be one of {OVERFLOW_POLICIES} for {fmt.name}; got {overflow!r}")
    return overflow


def kernel_range(fmt: FixedFormat, overflow: str) -> tuple:
    """(lo, hi) the kernel saturates to: under "raise" it clamps only far outside the range,
    so that overflows stay visible."""
    return (-(1 << 62), 1 << 62) if overflow == "raise" else (fmt.min_int, fmt.max_int)


def nan_error(fmt: FixedFormat, count: int, size: int) -> ValueError:
    return ValueError(f"{count} of {size} elements of x are NaN, and {fmt.name} has no NaN; "
                      "pass nan='zero' to map them to 0")


def wrap_error(fmt: FixedFormat) -> ValueError:
    return ValueError(f"x holds infinities, which have no two's-complement wrap in {fmt.name}")


def overflow_error(fmt: FixedFormat, count: int, size: int, first) -> OverflowError:
    return OverflowError(f"{count} of {size} elements of x overflow {fmt.name} (range {fmt.info.min} to "
                         f"{fmt.info.max}); first: {first!r}")


def _integers(x: np.ndarray, fmt: FixedFormat, mode: Rounding, overflow: str, nan: str, stochastic):
    """The rounded integers k (int64, shaped like x); values are k * 2**-frac_bits."""
    overflow = fixed_overflow(fmt, overflow)
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    bad = np.isnan(flat)
    if bad.any():
        if nan != "zero":
            raise nan_error(fmt, int(bad.sum()), flat.size)
        flat = np.where(bad, 0.0, flat)
    if overflow == "wrap" and np.isinf(flat).any():
        raise wrap_error(fmt)
    lo, hi = kernel_range(fmt, overflow)
    out = divide_round(flat, np.float64(2.0 ** -fmt.frac_bits), mode, lo, hi, overflow == "wrap", stochastic)
    if overflow == "raise":
        exceeds = (out < fmt.min_int) | (out > fmt.max_int)
        if exceeds.any():
            raise overflow_error(fmt, int(exceeds.sum()), flat.size, flat[exceeds][0])
    return out.reshape(x.shape)


def _significands(scale: np.ndarray):
    """(s, e) int64 arrays with scale = s * 2**e, s odd, for positive finite float64 scales."""
    bits = scale.view(np.int64)
    ex = bits >> 52
    m = (bits & ((1 << 52) - 1)) | ((ex != 0).astype(np.int64) << 52)
    zeros = np.frexp((m & -m).astype(np.float64))[1] - 1         # trailing zero bits (exact)
    return m >> zeros, np.maximum(ex, 1) - 1075 + zeros


def divide_round(x: np.ndarray, scale, mode: Rounding, lo: int, hi: int, wrap: bool = False,
                 stochastic=None) -> np.ndarray:
    """The integers x / scale rounded once in ``mode``, computed exactly on integers from the
    bits of x and scale, then saturated to [lo, hi] (Inf too) or, with ``wrap`` (scale a power
    of two), reduced modulo hi - lo + 1. int64.

    x: flat contiguous float64 without NaN; scale: positive finite float64, one or one per
    element of x; stochastic: None or a ``numfmt.stochastic.StochasticArgs`` as
    ``numfmt.stochastic.stochastic_args`` gives it (element i uses random number start + i).

    >>> divide_round(np.array([3 - 2**-30, -2.5, 2.0**60]), 1.0, Rounding.TOWARD_ZERO, -128, 127).tolist()
    [2, -2, 127]
    """
    s, e = _significands(np.ascontiguousarray(scale, dtype=np.float64).reshape(-1))
    out = np.empty(x.size, np.int64)
    seed, sr_bits, sr_rule, rand = stochastic if stochastic is not None else (0, 1, "add", None)
    start = stochastic.start if stochastic is not None else 0
    one = s.size == 1

    def task(a, b):       # per-element scales are sliced with x
        kern.round_fixed(x[a:b], out[a:b], start + a, s if one else s[a:b], e if one else e[a:b],
                         int(mode), lo, hi, wrap, rand, np.uint64(seed), sr_bits, sr_rule == "nearest")

    run_ranges(task, x.size)
    return out


def round_float(x, fmt: FixedFormat, mode, overflow, nan, stochastic=None) -> np.ndarray:
    """x rounded to fmt, as float64 (float32 for float32 inputs of formats of <= 24 bits)."""
    k = _integers(x, fmt, mode, overflow, nan, stochastic)
    dtype = np.float32 if x.dtype != np.float64 and fmt.bits <= 24 else np.float64
    return (k * 2.0 ** -fmt.frac_bits).astype(dtype)


def encode_float(x, fmt: FixedFormat, mode, overflow, nan, stochastic=None) -> np.ndarray:
    """Codes: the rounded integers modulo 2**bits (two's complement for signed formats)."""
    k = _integers(x, fmt, mode, overflow, nan, stochastic)
    return (k & ((1 << fmt.bits) - 1)).astype(code_dtype(fmt.bits))


def decode_dtype(fmt: FixedFormat, dtype) -> np.dtype:
    """The decode dtype, checked: float32 (formats of up to 24 bits) or float64."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if dtype == np.float32 and fmt.bits > 24:
        raise ValueError(f"{fmt.name} has values that float32 cannot hold; pass dtype=np.float64")
    return dtype


def decode_float(codes, fmt: FixedFormat, dtype) -> np.ndarray:
    """Values of codes: k * 2**-frac_bits with k the (two's-complement) integer of the code."""
    dtype = decode_dtype(fmt, dtype)
    k = as_code_array(codes, fmt.bits).astype(np.int64)
    if fmt.signed:
        k = np.where(k > fmt.max_int, k - (1 << fmt.bits), k)
    return (k * 2.0 ** -fmt.frac_bits).astype(dtype)
