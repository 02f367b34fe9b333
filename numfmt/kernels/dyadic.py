"""Numba kernels of integer-only requantization: exact z * b / 2**c with a chosen rounding,
and the two gemmlowp primitives. All arithmetic is on integers; z * b is formed exactly in
two 64-bit halves, so int64 z works as well as int32 z."""
import numba as nb
import numpy as np

from ..lanes import maximum, minimum
from ..rounding import flags_of, rounds_away
from .inner import inner, inner_inline

_MASK32 = (1 << 32) - 1
_BIG = np.int64(1) << 62


@inner_inline
def _round_quotient(q, rem, c, negative, rounding):
    """round(p / 2**c) from its floor quotient q and remainder 0 <= rem < 2**c; ``negative``
    is the sign of p; ``rounding`` a ``Rounding`` number or ``NEAREST_UP``. The magnitude
    |p| / 2**c = Q + R / 2**c goes to ``numfmt.rounding.rounds_away``; for
    p < 0, -Q = q + (rem != 0) and R = 2**c - rem (or 0). Selects, no branches, so the loops
    vectorize."""
    borrow = negative & (rem != 0)
    trunc = q + borrow                                   # the signed truncated quotient
    r = ((np.int64(1) << c) - rem) if borrow else rem
    away = rounds_away(negative, trunc & 1, r, c, 0, flags_of(rounding, 0, 0), 0)
    return trunc + (-away if negative else away)


@inner
def _mul_shift_round(z, b, c, rounding):
    """round(z * b / 2**c) for int64 z, 0 <= b < 2**31, 0 <= c <= 62; huge results saturate
    to +-2**62 (callers clamp to at most 32-bit ranges)."""
    zh = z >> 32                      # z = zh * 2**32 + zl, 0 <= zl < 2**32
    zl = z & _MASK32
    low = zl * b                      # < 2**63
    high = zh * b + (low >> 32)       # product = high * 2**32 + (low & MASK32)
    low &= _MASK32
    negative = high < 0
    if c >= 32:                       # floor quotient and remainder of product / 2**c
        q = high >> (c - 32)
        rem = ((high & ((np.int64(1) << (c - 32)) - 1)) << 32) | low
    else:
        if high >= (np.int64(1) << (c + 29)) or high < -(np.int64(1) << (c + 29)):
            return -_BIG if negative else _BIG
        q = (high << (32 - c)) | (low >> c)
        rem = low & ((np.int64(1) << c) - 1)
    return _round_quotient(q, rem, c, negative, rounding)


@nb.njit(cache=True)
def _at(param, i):
    """Index of element i in a parameter of one element or of one per element."""
    return i if param.size > 1 else 0


@nb.njit(cache=True, nogil=True)
def requantize(z, b, c, zero_point, lo, hi, rounding, out):
    """out[i] = clamp(round(z[i] * b[i] / 2**c[i]) + zero_point[i], lo, hi); b, c and
    zero_point have one element (for all) or one per element of z."""
    for i in range(z.size):
        q = _mul_shift_round(np.int64(z[i]), b[_at(b, i)], c[_at(c, i)], rounding)
        out[i] = minimum(maximum(q + zero_point[_at(zero_point, i)], lo), hi)


@nb.njit(cache=True, nogil=True)
def requantize_int32(z, b, c, zero_point, lo, hi, rounding, out):
    """requantize for int32 z and one (b, c, zero_point): z * b fits int64 directly."""
    mask = (np.int64(1) << c) - 1
    for i in range(z.size):
        p = np.int64(z[i]) * b
        q = _round_quotient(p >> c, p & mask, c, p < 0, rounding)
        out[i] = minimum(maximum(q + zero_point, lo), hi)


@nb.njit(cache=True)
def _srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 values held in int64."""
    if a == b and a == -(1 << 31):
        return np.int64((1 << 31) - 1)
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    total = ab + nudge
    q = abs(total) >> 31               # C++ integer division truncates toward zero
    return -q if total < 0 else q


@nb.njit(cache=True)
def _rdbpot(x, exponent):
    """gemmlowp RoundingDivideByPOT: x / 2**exponent rounded to nearest, ties away from zero."""
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


@nb.njit(cache=True, nogil=True)
def srdhm(a, b, out):
    """out[i] = SaturatingRoundingDoublingHighMul(a[i], b[i])."""
    for i in range(a.size):
        out[i] = _srdhm(np.int64(a[i]), np.int64(b[i]))


@nb.njit(cache=True, nogil=True)
def rdbpot(x, exponent, out):
    """out[i] = RoundingDivideByPOT(x[i], exponent[i])."""
    for i in range(x.size):
        out[i] = _rdbpot(np.int64(x[i]), np.int64(exponent[i]))


@nb.njit(cache=True, nogil=True)
def gemmlowp_requantize(z, multiplier, shift, zero_point, lo, hi, out):
    """TFLite MultiplyByQuantizedMultiplier(z, multiplier, shift) + zero_point, clamped;
    z * 2**max(shift, 0) must fit int32 (TFLite's domain: the caller checks it)."""
    for i in range(z.size):
        s = np.int64(shift[_at(shift, i)])
        left = s if s > 0 else 0
        right = 0 if s > 0 else -s
        x = np.int64(z[i]) << left      # the caller checked that it stays in int32
        q = _rdbpot(_srdhm(x, np.int64(multiplier[_at(multiplier, i)])), right)
        out[i] = minimum(maximum(q + zero_point[_at(zero_point, i)], lo), hi)


@nb.njit(cache=True, nogil=True)
def int8_matmul(x, w_t, zx, zw, acc):
    """acc[n, o] += sum_i (x[n, i] - zx) * (w_t[i, o] - zw[o]) in int64."""
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            xv = np.int64(x[n, i]) - zx
            for o in range(w_t.shape[1]):
                acc[n, o] += xv * (np.int64(w_t[i, o]) - zw[o])
