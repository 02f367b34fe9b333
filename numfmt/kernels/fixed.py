"""Numba kernel of the fixed-point family: round x * 2**frac_bits to an integer, then saturate
or wrap to the format's range.

Every step is exact in float64: scaling by a power of two, trunc, and the remainder
s - trunc(s) (exact because s and trunc(s) share their exponent range). The integer comes back
as int64; the caller turns it into values (k * 2**-frac_bits) or codes (k mod 2**bits).
"""
import numba as nb
import numpy as np

from ..random import element_bits

# rounding numbers as numfmt.rounding.Rounding
RNE, RNA, RTZ, RUP, RDN, RTO, SR = 0, 1, 2, 3, 4, 5, 6


@nb.njit(inline="always")
def round_fixed_one(s, mode, lo, hi, wrap, rnd, two_k, sr_nearest):
    """The integer nearest (in ``mode``) to the float64 s, saturated to [lo, hi] or, with
    ``wrap``, reduced modulo hi - lo + 1 into [lo, hi], as a float64. Stochastic rounding (mode SR)
    moves away from zero iff d + rnd >= two_k = 2**k, d = floor or (``sr_nearest``) RNE of the
    fraction times 2**k."""
    t = np.trunc(s)
    f = abs(s - t)
    sign = 1.0 if s >= 0 else -1.0
    odd = np.fmod(t, 2.0) != 0
    if mode == RNE:
        away = f > 0.5 or (f == 0.5 and odd)
    elif mode == RNA:
        away = f >= 0.5
    elif mode == RUP:
        away = f > 0 and s > 0
    elif mode == RDN:
        away = f > 0 and s < 0
    elif mode == RTO:
        away = f > 0 and not odd
    elif mode == SR:
        d = np.rint(f * two_k) if sr_nearest else np.floor(f * two_k)
        away = d + rnd >= two_k
    else:
        away = False
    k = t + sign if away else t
    if wrap:
        span = float(hi - lo + 1)
        return lo + np.fmod(np.fmod(k - lo, span) + span, span)
    return min(max(k, float(lo)), float(hi))


@nb.njit(cache=True, nogil=True)
def round_fixed(x, out, start, scale, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """out[i] = the integer of x[i] * scale rounded in ``mode`` (see ``round_fixed_one``);
    stochastic rounding uses random number start + i."""
    two_k = float(np.int64(1) << sr_bits)
    for i in range(x.size):
        rnd = element_bits(rand, seed, start + i, sr_bits) if mode == SR else 0
        out[i] = np.int64(round_fixed_one(x[i] * scale, mode, lo, hi, wrap, rnd, two_k, sr_nearest))
