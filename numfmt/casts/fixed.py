"""Casts of the fixed-point family (integers and fixed point): round / encode / decode."""
from __future__ import annotations

import numpy as np

from ..formats.integer import FixedFormat
from ..kernels import fixed as kern
from ..rounding import Rounding
from .common import as_code_array, code_dtype, run_chunked

OVERFLOW_POLICIES = ("saturate", "wrap", "raise")


def _integers(x: np.ndarray, fmt: FixedFormat, mode: Rounding, overflow: str, nan: str, stochastic):
    """The rounded integers k (int64, shaped like x); values are k * 2**-frac_bits."""
    if overflow == "ieee":          # integers have no Inf: IEEE's invalid conversion saturates here
        overflow = "saturate"
    if overflow not in OVERFLOW_POLICIES:
        raise ValueError(f"overflow must be one of {OVERFLOW_POLICIES} for {fmt.name}; got {overflow!r}")
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    bad = np.isnan(flat)
    if bad.any():
        if nan != "zero":
            raise ValueError(f"{int(bad.sum())} of {flat.size} elements of x are NaN, and {fmt.name} "
                             "has no NaN; pass nan='zero' to map them to 0")
        flat = np.where(bad, 0.0, flat)
    if overflow == "wrap" and np.isinf(flat).any():
        raise ValueError(f"x holds infinities, which have no two's-complement wrap in {fmt.name}")
    out = np.empty(flat.size, np.int64)
    seed, sr_bits, sr_rule, rand = stochastic if stochastic is not None else (0, 1, "add", None)
    # under "raise" the kernel clamps only far outside the range, so overflows stay visible
    lo, hi = (-(1 << 62), 1 << 62) if overflow == "raise" else (fmt.min_int, fmt.max_int)
    run_chunked(kern.round_fixed, flat, out, 2.0 ** fmt.frac_bits, int(mode), lo, hi,
                overflow == "wrap", rand, np.uint64(seed), sr_bits, sr_rule == "nearest", pass_start=True)
    if overflow == "raise":
        exceeds = (out < fmt.min_int) | (out > fmt.max_int)
        if exceeds.any():
            raise OverflowError(f"{int(exceeds.sum())} of {flat.size} elements of x overflow {fmt.name} "
                                f"(range {fmt.info.min} to {fmt.info.max}); first: {flat[exceeds][0]!r}")
    return out.reshape(x.shape)


def round_float(x, fmt: FixedFormat, mode, overflow, nan, stochastic=None) -> np.ndarray:
    """x rounded to fmt, as float64 (float32 for float32 inputs of formats of <= 24 bits)."""
    k = _integers(x, fmt, mode, overflow, nan, stochastic)
    dtype = np.float32 if x.dtype != np.float64 and fmt.bits <= 24 else np.float64
    return (k * 2.0 ** -fmt.frac_bits).astype(dtype)


def encode_float(x, fmt: FixedFormat, mode, overflow, nan, stochastic=None) -> np.ndarray:
    """Codes: the rounded integers modulo 2**bits (two's complement for signed formats)."""
    k = _integers(x, fmt, mode, overflow, nan, stochastic)
    return (k & ((1 << fmt.bits) - 1)).astype(code_dtype(fmt.bits))


def decode_float(codes, fmt: FixedFormat, dtype) -> np.ndarray:
    """Values of codes: k * 2**-frac_bits with k the (two's-complement) integer of the code."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if dtype == np.float32 and fmt.bits > 24:
        raise ValueError(f"{fmt.name} has values that float32 cannot hold; pass dtype=np.float64")
    k = as_code_array(codes, fmt.bits).astype(np.int64)
    if fmt.signed:
        k = np.where(k > fmt.max_int, k - (1 << fmt.bits), k)
    return (k * 2.0 ** -fmt.frac_bits).astype(dtype)
