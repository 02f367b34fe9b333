"""Casts of the posit family: round / encode / decode through ``kernels.posit``.

Every posit<n, es> and every rounding mode runs the same compiled kernels (n, es and the mode
flags are plain integer arguments). Overflow policies do not apply: posits saturate at
±maxpos by definition (``overflow="raise"`` raises OverflowError for finite inputs beyond
maxpos, as a check). NaN and ±Inf become NaR, whatever ``nan`` says.
"""
from __future__ import annotations

import functools

import numpy as np

from ..formats.posit import PositFormat
from ..kernels import posit as kern
from ..kernels.floating import lookup
from ..rounding import Rounding, mode_flags
from ..parallel import run_chunked
from .common import as_code_array, code_dtype, kernel_input, kernel_random_bits

_DOMAINS = {False: (np.float32, np.int32), True: (np.float64, np.int64)}   # by dom64 (float64 input)
_SR = {(False, False): (kern.round32, kern.round32_rest), (True, False): (kern.round64, kern.round64_rest),
       (False, True): (kern.encode32, kern.encode32_rest)}      # by (dom64, want_code)


def float32_domain(fmt: PositFormat) -> bool:
    """Whether float32 inputs can be encoded in the float32 domain (``kernels.posit.cast_one``
    needs minpos and maxpos to be normal float32 numbers); else they go through float64.

    >>> float32_domain(PositFormat(32, 2)), float32_domain(PositFormat(12, 5))
    (True, False)
    """
    return fmt.max_scale <= 126


def cast_domain64(fmt: PositFormat, input64: bool, want_code: bool) -> bool:
    """Whether a cast runs on float64 bits: float64 inputs, values that float32 cannot hold,
    codes of formats beyond ``float32_domain``."""
    return input64 or not (fmt.fits_float32() or (want_code and float32_domain(fmt)))


def overflow_error(fmt: PositFormat, count: int, size: int, first) -> OverflowError:
    """overflow="raise": count of the size elements of x are finite and beyond maxpos."""
    return OverflowError(f"{count} of {size} elements of x exceed maxpos of {fmt.name} ({fmt.info.maxpos}); "
                         f"first: {first!r}")


def check_overflow(flat: np.ndarray, fmt: PositFormat) -> None:
    """overflow="raise": ``overflow_error`` if a finite element of flat exceeds maxpos."""
    big = np.isfinite(flat) & (np.abs(flat) > fmt.info.maxpos)
    if big.any():
        raise overflow_error(fmt, int(big.sum()), flat.size, flat[big][0])


@functools.lru_cache(maxsize=None)
def decode_table(fmt: PositFormat, dtype: np.dtype) -> np.ndarray:
    """Every value by code (formats of at most 16 bits), for decode by lookup."""
    out = np.empty(1 << fmt.nbits, dtype)
    itype = np.int64 if dtype == np.float64 else np.int32
    kern.decode(np.arange(1 << fmt.nbits, dtype=code_dtype(fmt.bits)), out.view(itype), fmt.nbits, fmt.es,
                dtype == np.float64)
    out.flags.writeable = False
    return out


def _cast(x: np.ndarray, fmt: PositFormat, mode: Rounding, overflow: str, stochastic, want_code: bool):
    """Deterministic modes take the two-pass fast kernels, stochastic rounding ``cast_sr``.
    Rounded values come out in the input's float type, float64 where float32 cannot hold fmt."""
    dom64 = cast_domain64(fmt, x.dtype == np.float64, want_code)
    ftype, itype = _DOMAINS[dom64]
    flat = kernel_input(x, ftype)
    if overflow == "raise":
        check_overflow(flat, fmt)
    p = mode_flags(mode)
    out = np.empty(flat.size, code_dtype(fmt.bits) if want_code else ftype)
    target = out if want_code else out.view(itype)
    if stochastic is None:
        fast = {(False, False): kern.fast_round32, (True, False): kern.fast_round64,
                (False, True): kern.fast_encode32, (True, True): kern.fast_encode64}[dom64, want_code]
        run_chunked(fast, flat.view(itype), target, fmt.nbits, fmt.es, p)
    else:
        seed, sr_bits, sr_rule, rand = stochastic
        narrow_codes = want_code and dom64 and out.dtype.itemsize < 4
        if narrow_codes:    # into uint32, then narrowed: one compiled encode64 for every width
            target = np.empty(flat.size, np.uint32)     # (per-element cast_one dominates the astype)
        run_chunked(cast_sr, flat.view(itype), target, kernel_random_bits(rand), np.uint64(seed), fmt.nbits, fmt.es,
                    p, (int(sr_bits), int(sr_rule == "nearest")), want_code, pass_start=True,
                    offset=stochastic.start)
        if narrow_codes:
            out = target.astype(out.dtype)
    return out.reshape(x.shape)


def cast_sr(x_bits, out, start, rand, seed, n, es, p, sr, want_code: bool) -> None:
    """out = x_bits (float32 or float64 bits, int32 / int64) rounded stochastically to
    posit<n, es>: their codes (want_code) or their values' bits (a format whose values their
    float type holds), element i with random number start + i (explicit ones: ``rand`` not
    empty; sr = (sr_bits, sr_rule == "nearest")): the fast pass (``kernels.posit.round32``,
    ``round64``, ``encode32``) where it serves, then the kernel for the rest (compiled at the
    first call that needs it); float64 codes every element by ``kernels.posit.encode64``."""
    dom64 = x_bits.dtype == np.int64
    if want_code and dom64:
        kern.encode64(x_bits, out, start, rand, seed, n, es, p, sr)
        return
    fast, rest = _SR[dom64, want_code]
    every = rand.size > 0 or sr[1] != 0
    if every or fast(x_bits, out, start, seed, n, es, p, sr[0]):
        rest(x_bits, out, start, rand, seed, n, es, p, sr, every)


def round_float(x: np.ndarray, fmt: PositFormat, mode: Rounding, overflow: str, nan: str,
                stochastic=None) -> np.ndarray:
    """x rounded to fmt: float64 for float64 inputs or where float32 cannot hold every value
    of fmt (posit32: 28 significant bits), else float32."""
    return _cast(x, fmt, mode, overflow, stochastic, want_code=False)


def encode_float(x: np.ndarray, fmt: PositFormat, mode: Rounding, overflow: str, nan: str,
                 stochastic=None) -> np.ndarray:
    """Codes of x rounded to fmt (uint8 / uint16 / uint32 by width); NaN and ±Inf give NaR."""
    return _cast(x, fmt, mode, overflow, stochastic, want_code=True)


def decode_float(codes, fmt: PositFormat, dtype) -> np.ndarray:
    """Values of codes as float32 or float64; NaR gives NaN."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if dtype == np.float32 and not fmt.fits_float32():
        raise ValueError(f"{fmt.name} has values that float32 cannot hold; pass dtype=np.float64")
    arr = as_code_array(codes, fmt.bits)
    flat = kernel_input(arr, code_dtype(fmt.bits))
    out = np.empty(flat.size, dtype)
    if fmt.nbits <= 16:
        run_chunked(lookup, flat, out, decode_table(fmt, dtype))
    else:
        run_chunked(kern.decode, flat, out.view(np.int64 if dtype == np.float64 else np.int32), fmt.nbits,
                    fmt.es, dtype == np.float64)
    return out.reshape(arr.shape)
