"""Numba kernels of the fixed-point family: round the exact value x * 2**frac_bits (or, for
affine quantization, the exact quotient x / scale) to an integer in any rounding mode, then
saturate or wrap it to the format's range.

Nothing is computed in floating point. A float64 x is unpacked from its bits into
(sign, significand m < 2**53, exponent e); the quotient m * 2**d / s (s the integer significand
of the divisor, 1 for fixed point) is formed by integer long division into an integer part,
a 63-bit fraction and a sticky bit, and ``numfmt.rounding.rounds_away`` (the library's one
rounding decision) decides once whether to move away from zero.
"""
import numba as nb
import numpy as np

from ..lanes import lane, maximum, minimum, where
from ..random import element_bits
from ..rounding import flags_of, rounds_away
from .exact import bit_length, div_bits

SR = 6                             # numfmt.rounding.Rounding.STOCHASTIC
FRACTION_BITS = 63                 # the fraction that ``quotient`` hands to ``rounds_away``


@nb.njit(forceinline=True)
def unpack64(bits):
    """(neg, m, e, special) of the float64 with these bits: |x| = m * 2**e, m < 2**53;
    special for Inf and NaN."""
    neg = bits < 0
    ex = (bits >> 52) & 0x7FF
    m = (bits & ((lane(1) << 52) - 1)) | (lane(ex != 0) << 52)
    return neg, m, maximum(ex, 1) - 1075, ex == 0x7FF


@nb.njit(forceinline=True)
def _shift_parts(m, d):
    """``quotient(m, d, 1)`` by shifts and selects only (no branches, so the loops vectorize).
    With s = 1, d >= 10 only occurs for m >= 2**52 or m = 0 (a float64 exponent is at least
    -1074), so d >= 10 is huge unless m = 0."""
    n = minimum(maximum(-d, 0), 126)                   # the number of fraction bits of m
    q = (m << minimum(maximum(d, 0), 10)) >> minimum(n, 63)
    low = minimum(n, 63)
    rem_near = (m & ~(lane(-1) << low)) << (FRACTION_BITS - low)  # n <= 63: all of them
    k = minimum(maximum(n - FRACTION_BITS, 0), 63)     # n > 63: only the top 63 of 2**n
    far = n > FRACTION_BITS
    rem = where(far, m >> k, rem_near)
    sticky = lane(far & ((m & ~(lane(-1) << k)) != 0))
    return q, rem, sticky, (d >= 10) & (m != 0)


@nb.njit(forceinline=True)
def quotient(m, d, s):
    """(Q, rem, sticky, huge): m * 2**d / s = Q + (rem + t) / 2**63 exactly, 0 <= t < 1,
    sticky = (t > 0), for 0 <= m < 2**53, 1 <= s < 2**53 and any integer d, by integer long
    division. ``huge``: the quotient is at least 2**61 (then Q, rem and sticky are not
    computed); else Q < 2**62."""
    ls = bit_length(s)
    huge = (m != 0) & (bit_length(m) + d - ls >= 62)
    if huge:
        return np.int64(0), np.int64(0), 0, True
    q0, r0 = m // s, m % s
    step = 63 - ls                               # bits of long division per step (>= 10)
    if d >= 0:                                   # Q = q0 * 2**d + floor(r0 * 2**d / s)
        qq, r1 = div_bits(r0, s, d, step)
        rem, r2 = div_bits(r1, s, FRACTION_BITS, step)
        return (q0 << min(d, 62)) + qq, rem, np.int64(r2 != 0), False
    n = -d                                       # fraction = (q0 mod 2**n + r0 / s) / 2**n
    if n <= FRACTION_BITS:
        low = q0 & ((np.int64(1) << min(n, 62)) - 1)
        hi, r2 = div_bits(r0, s, FRACTION_BITS - n, step)
        return q0 >> min(n, 62), (low << (FRACTION_BITS - n)) + hi, np.int64(r2 != 0), False
    drop = min(n - FRACTION_BITS, 62)            # q0 < 2**53: every bit of it is fraction
    sticky = ((q0 & ((np.int64(1) << drop) - 1)) != 0) | (r0 != 0)
    return np.int64(0), q0 >> drop, np.int64(sticky), False


@nb.njit(forceinline=True)
def round_fixed_bits(bits, s, e_s, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest):
    """The integer nearest (in ``mode``) to x / (s * 2**e_s), x the float64 with these bits,
    saturated to [lo, hi] (Inf too), exactly for any finite x; int64. Any divisor s (long
    division); ``round_pow2_bits`` is the case s = 1."""
    neg, m, e, special = unpack64(bits)
    d = e - e_s
    return _round_parts(neg, m, d, special, quotient(m, d, s), mode, lo, hi, wrap, rnd, sr_bits, sr_nearest)


@nb.njit(forceinline=True)
def round_pow2_bits(bits, e_s, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest):
    """``round_fixed_bits`` with s = 1, by shifts and selects only (the loops vectorize); with
    ``wrap`` the integer is reduced modulo hi - lo + 1 (a power of two) into [lo, hi].
    Written in the ops vocabulary of ``numfmt.lanes`` (int64 lanes): the torch and JAX
    backends evaluate it on tensors (``numfmt.backend_families``)."""
    neg, m, e, special = unpack64(bits)
    d = e - e_s
    return _round_parts(neg, m, d, special, _shift_parts(m, d), mode, lo, hi, wrap, rnd, sr_bits, sr_nearest)


@nb.njit(forceinline=True)
def _round_parts(neg, m, d, special, parts, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest):
    """The rounding and the saturation or wrap of ``round_fixed_bits`` and ``round_pow2_bits``,
    from the parts (Q, rem, sticky, huge) of m * 2**d / s (see ``quotient``)."""
    q, rem, sticky, huge = parts
    q = q + rounds_away(neg, q & 1, rem, FRACTION_BITS, sticky, flags_of(mode, sr_bits, sr_nearest), rnd)
    if wrap:
        mask = hi - lo
        # huge: an exact integer m * 2**d, d >= 10, so its residue is (m mod 2**(bits - d)) * 2**d
        dd = minimum(maximum(d, 0), 62)
        q = where(huge, (m & (mask >> dd)) << dd, q) & mask
        return lo + ((where(neg, -q, q) - lo) & mask)
    k = where(neg, -q, q)
    return where(huge | special, where(neg, lo, hi), minimum(maximum(k, lo), hi))


@nb.njit(forceinline=True)
def round_fixed_one(s, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest):
    """``round_pow2_bits`` of the float64 s (frac_bits 0) as a float64, for the block kernels."""
    return np.float64(round_pow2_bits(np.float64(s).view(np.int64), np.int64(0), mode, lo, hi, wrap, rnd,
                                      sr_bits, sr_nearest))


@nb.njit(cache=True, nogil=True)
def round_fixed(x, out, start, s, e_s, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """out[i] = the integer of x[i] / (s * 2**e_s) rounded in ``mode`` (``round_fixed_bits``);
    s and e_s (int64 arrays) have one element, or one per element of x. Stochastic rounding
    uses random number start + i."""
    bits = x.view(np.int64)
    if s.size == 1 and s[0] == 1:                      # a power-of-two divisor: shifts only
        for i in range(x.size):
            rnd = element_bits(rand, seed, start + i, sr_bits) if mode == SR else 0
            out[i] = round_pow2_bits(bits[i], e_s[0], mode, lo, hi, wrap, rnd, sr_bits, sr_nearest)
        return
    one = s.size == 1
    for i in range(x.size):
        rnd = element_bits(rand, seed, start + i, sr_bits) if mode == SR else 0
        j = 0 if one else i
        out[i] = round_fixed_bits(bits[i], s[j], e_s[j], mode, lo, hi, wrap, rnd, sr_bits, sr_nearest)
