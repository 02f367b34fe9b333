"""Numba kernels of the fixed-point family: round the exact value x * 2**frac_bits (or, for
affine quantization, the exact quotient x / scale) to an integer in any rounding mode, then
saturate or wrap it to the format's range.

The exact kernels compute nothing in floating point. A float64 x is unpacked from its bits
into (sign, significand m < 2**53, exponent e); the quotient m * 2**d / s (s the integer
significand of the divisor, 1 for fixed point) is formed by integer long division into an
integer part, a 63-bit fraction and a sticky bit, and ``numfmt.rounding.rounds_away`` (the
library's one rounding decision) decides once whether to move away from zero.

The casts (``cast_fast``) work in floating point where every step is exact: x * 2**frac_bits
(frac_bits >= 0), its floor and fraction, the candidates and the range are floats of the
input's type (float32: 8 lanes per AVX2 register) or float64, and the decision on the
fraction is ``rounds_away``'s (tests/test_integer.py compares them bit for bit).
"""
from typing import NamedTuple

import numba as nb
import numpy as np

from ..lanes import lane, maximum, minimum, where
from ..random import element_bits
from ..rounding import flags_of, rounds_away
from .exact import bit_length, div_steps
from .inner import inner_inline
from .arrays import bits_as, view_as
from .vectors import count_zero, tick, ticks

SR = 6                             # numfmt.rounding.Rounding.STOCHASTIC
FRACTION_BITS = 63                 # the fraction that ``quotient`` hands to ``rounds_away``


@inner_inline
def unpack_float(bits, dom_m):
    """(neg, m, e, special) of the float64 (dom_m = 52, int64 lanes) or float32 (dom_m = 23,
    lanes of 32 bits or more) with these bits: |x| = m * 2**e, m < 2**(dom_m + 1); special
    for Inf and NaN."""
    top = lane(0x7FF if dom_m == 52 else 0xFF)          # the exponent field of Inf and NaN
    neg = bits < 0
    ex = (bits >> dom_m) & top
    m = (bits & ((lane(1) << dom_m) - 1)) | (lane(ex != 0) << dom_m)
    return neg, m, maximum(ex, 1) - (top >> 1) - dom_m, ex == top


@inner_inline
def _shift_parts(m, d, dom_m):
    """``quotient(m, d, 1)`` by shifts and selects only (no branches, so the loops vectorize),
    for F fraction bits (63 for float64 inputs, 31 for float32 ones, so that int32 lanes hold
    every intermediate). With s = 1, d >= w (10 for float64, 8 for float32) only occurs for
    m >= 2**dom_m or m = 0 (an exponent is at least -1074, or -149), so d >= w is huge (at
    least 2**62, or 2**31: beyond any saturation range) unless m = 0; below it
    m << d < 2**F."""
    F = FRACTION_BITS if dom_m == 52 else 31
    w = 10 if dom_m == 52 else 8
    n = minimum(maximum(-d, 0), 126)                   # the number of fraction bits of m
    q = (m << minimum(maximum(d, 0), w - 1)) >> minimum(n, F)
    low = minimum(n, F)
    rem_near = (m & ~(lane(-1) << low)) << (F - low)  # n <= F: all of them
    k = minimum(maximum(n - F, 0), F)                  # n > F: only the top F of 2**n
    far = n > F
    rem = where(far, m >> k, rem_near)
    sticky = lane(far & ((m & ~(lane(-1) << k)) != 0))
    return q, rem, sticky, (d >= w) & (m != 0)


@inner_inline
def quotient(m, d, s, steps=0):
    """(Q, rem, sticky, huge): m * 2**d / s = Q + (rem + t) / 2**63 exactly, 0 <= t < 1,
    sticky = (t > 0), for 0 <= m < 2**53, 1 <= s < 2**53 and any integer d, by integer long
    division, branch-free (the backends evaluate it on tensors). ``huge``: the quotient is at
    least 2**61 (then Q, rem and sticky mean nothing); else Q < 2**62. ``steps``: 0, or at least
    ``quotient_steps(bit_length(s))`` (see ``div_steps``)."""
    ls = bit_length(s)
    huge = (m != 0) & (bit_length(m) + d - ls >= 62)
    d = where(huge, lane(0), d)
    q0, r0 = m // s, m % s
    step = 63 - ls                               # bits of long division per step (>= 10)
    n = maximum(-d, 0)
    # d >= 0: Q = q0 * 2**d + floor(r0 * 2**d / s), then 63 fraction bits of the remainder;
    # d < 0: fraction = (q0 mod 2**n + r0 / s) / 2**n, whose r0 / s part has 63 - n bits
    qq, r1 = div_steps(r0, s, maximum(d, 0), step, steps)
    hi, r2 = div_steps(r1, s, where(d >= 0, lane(FRACTION_BITS), maximum(FRACTION_BITS - n, 0)), step, steps)
    low = q0 & ~(lane(-1) << minimum(n, 62))
    q = where(d >= 0, (q0 << minimum(d, 62)) + qq, q0 >> minimum(n, 62))
    rem = where(d >= 0, hi, (low << maximum(FRACTION_BITS - n, 0)) + hi)
    drop = minimum(maximum(n - FRACTION_BITS, 0), 62)    # n > 63: every bit of q0 is fraction
    far = n > FRACTION_BITS
    rem = where(far, q0 >> drop, rem)
    sticky = (far & ((q0 & ~(lane(-1) << drop)) != 0)) | (r2 != 0)    # far: r2 is r0
    return q, rem, lane(sticky), huge


def quotient_steps(ls: int) -> int:
    """A ``steps`` bound of ``quotient`` for divisors of at most ls bits: its first division
    takes up to 61 + ls bits (a larger quotient is huge), its second 63."""
    return -(-max(61 + ls, 63) // (63 - ls))


@inner_inline
def odd_divisor(bits):
    """(s, e_s) with s odd and s * 2**e_s the positive finite float64 with these bits, as
    ``round_fixed_bits`` takes a divisor (the ops vocabulary: the backends' quantize_affine)."""
    _, m, e, _ = unpack_float(bits, 52)
    zeros = bit_length(m & -m) - 1
    return m >> zeros, e + zeros


@inner_inline
def round_fixed_bits(bits, s, e_s, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest, steps=0):
    """The integer nearest (in ``mode``) to x / (s * 2**e_s), x the float64 with these bits,
    saturated to [lo, hi] (Inf too), exactly for any finite x; int64. Any divisor s (long
    division; ``steps`` as ``quotient``); ``round_pow2_bits`` is the case s = 1. Written in
    the ops vocabulary of ``numfmt.lanes`` (int64 lanes): the backends evaluate it on tensors."""
    neg, m, e, special = unpack_float(bits, 52)
    d = e - e_s
    return _round_parts(neg, m, d, special, quotient(m, d, s, steps), lane(FRACTION_BITS), mode, lo, hi,
                        wrap, rnd, sr_bits, sr_nearest)


@inner_inline
def round_pow2_bits(bits, e_s, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest, dom_m=52):
    """``round_fixed_bits`` with s = 1, by shifts and selects only (the loops vectorize); with
    ``wrap`` the integer is reduced modulo hi - lo + 1 (a power of two) into [lo, hi].
    ``dom_m`` 23 reads float32 bits (then lo, hi and every intermediate fit in int32 lanes).
    Written in the ops vocabulary of ``numfmt.lanes``: the torch and JAX backends evaluate it
    on tensors (``numfmt.backend_families``, ``numfmt.backend_affine``)."""
    neg, m, e, special = unpack_float(bits, dom_m)
    d = e - e_s
    F = lane(FRACTION_BITS if dom_m == 52 else 31)     # (not a literal: one compiled _round_parts)
    return _round_parts(neg, m, d, special, _shift_parts(m, d, dom_m), F, mode, lo, hi, wrap, rnd, sr_bits,
                        sr_nearest)


@inner_inline
def _round_parts(neg, m, d, special, parts, F, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest):
    """The rounding and the saturation or wrap of ``round_fixed_bits`` and ``round_pow2_bits``,
    from the parts (Q, rem, sticky, huge) of m * 2**d / s (see ``quotient``), rem having F bits."""
    q, rem, sticky, huge = parts
    q = q + rounds_away(neg, q & 1, rem, F, sticky, flags_of(mode, sr_bits, sr_nearest), rnd)
    if wrap:
        mask = hi - lo
        # huge: an exact integer m * 2**d, d >= 10, so its residue is (m mod 2**(bits - d)) * 2**d
        dd = minimum(maximum(d, 0), 62)
        q = where(huge, (m & (mask >> dd)) << dd, q) & mask
        return lo + ((where(neg, -q, q) - lo) & mask)
    k = where(neg, -q, q)
    return where(huge | special, where(neg, lo, hi), minimum(maximum(k, lo), hi))


@inner_inline
def round_fixed_one(s, mode, lo, hi, wrap, rnd, sr_bits, sr_nearest):
    """``round_pow2_bits`` of the float64 s (frac_bits 0) as a float64, for the block kernels."""
    return np.float64(round_pow2_bits(bits_as(np.float64(s), np.int64), np.int64(0), mode, lo, hi, wrap, rnd,
                                      sr_bits, sr_nearest))


@nb.njit(cache=True, nogil=True)
def round_fixed(x, out, start, s, e_s, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """out[i] = the integer of x[i] / (s * 2**e_s) rounded in ``mode`` (``round_fixed_bits``);
    s and e_s (int64 arrays) have one element, or one per element of x. Stochastic rounding
    uses random number start + i."""
    bits = view_as(x, np.int64)
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


# ----- casts in the float domain: x * 2**frac_bits is exact, so the rounding works on floats

class FloatCast(NamedTuple):
    """The constants of ``cast_fast``, all of one float type, the work type: float32 where it
    holds x * 2**frac_bits exactly and every integer of [lo, hi] (float32 inputs, formats of
    at most 24 bits), else float64 (formats have at most 32 bits and 0 <= frac_bits <= 64, so
    float64 holds both for float32 and float64 inputs). ``sr_scale`` is 2**sr_bits."""

    scale: float        # 2**frac_bits
    inv: float          # 2**-frac_bits
    lo: float
    hi: float
    modulus: float      # 2**bits
    inv_modulus: float
    zero: float
    half: float
    one: float
    sr_scale: float


@inner_inline
def fast_element(xi, c, flags, wrap, stochastic, rnd):
    """(t, k_u, k) for x (of the work type): t = x * 2**frac_bits (exact: frac_bits >= 0, an
    overflow to Inf only beyond every range, whose residues modulo 2**bits are 0), k_u its
    integer rounded in the mode of ``flags`` without bounds, k the result: k_u saturated to
    [lo, hi], or with ``wrap`` reduced modulo 2**bits into it, 0 for NaN. Floats of the work
    type, each step exact: the fraction d = |t| - floor(|t|) is what ``rounds_away`` gets as
    (rem, sticky) and the decision is its own (``stochastic`` a literal: then
    floor(d * 2**k) or RNE(d * 2**k) plus the k random bits ``rnd`` carry into the unit), so
    tests/test_integer.py compares it bit for bit with ``round_pow2_bits``. Selects only."""
    t = xi * c.scale
    a = abs(t)
    r = np.floor(a)
    d = a - r
    h = r * c.half
    lsb = h != np.floor(h)
    neg = t < c.zero
    if stochastic:
        fk = d * c.sr_scale
        q = where(flags.stochastic_nearest != 0, np.rint(fk), np.floor(fk))
        q = where(fk < c.sr_scale, q, c.zero)            # Inf and NaN: no fraction
        away = ((np.int64(q) + rnd) >> flags.stochastic_bits) != 0
    else:
        aw = where(neg, flags.away_neg, flags.away_pos) != 0
        near = (d > c.half) | ((d == c.half) & (((flags.ties_even != 0) & lsb) | aw))
        directed = (d != c.zero) & where(flags.odd != 0, not lsb, aw)
        away = where(flags.nearest != 0, near, directed)
    m = where(away, r + c.one, r)
    k_u = where(neg, c.zero - m, m)
    w = k_u - np.floor(k_u * c.inv_modulus) * c.modulus     # k_u mod 2**bits, exact
    w = where(a - a == c.zero, w, c.zero)                    # an overflow to Inf: residue 0
    k = where(wrap, where(w > c.hi, w - c.modulus, w), minimum(maximum(k_u, c.lo), c.hi))
    return t, k_u, where(xi != xi, c.zero, k)


def store(out, i, k, c):
    """out[i] = the value k * 2**-frac_bits (float out) or the code of the integer k (k modulo
    2**bits: unsigned integer out)."""


@nb.extending.overload(store, inline="always")
def _store_for(out, i, k, c):
    if isinstance(out.dtype, nb.types.Float):
        def store_value(out, i, k, c):
            out[i] = k * c.inv
        return store_value

    def store_code(out, i, k, c):
        out[i] = np.int64(k) & (np.int64(c.modulus) - 1)
    return store_code


@inner_inline
def element_cases(xi, t, k_u, k, c):
    """(nan, inf, ovf, inexact, flushed) of an element (``fast_element``'s t, k_u, k): a NaN
    input, an infinite one, a finite one whose k_u lies outside [lo, hi], an inexact result
    (not NaN), a flushed one (nonzero x, zero k)."""
    is_nan = xi != xi
    finite = xi - xi == c.zero
    return (is_nan, (not finite) & (not is_nan), ((k_u < c.lo) | (k_u > c.hi)) & finite,
            (k != t) & (not is_nan), (xi != c.zero) & (k == c.zero) & (not is_nan))


@inner_inline
def fast_tile(x, out, start, c, flags, wrap, stochastic, full, rand, seed, sr_bits, nearest_even):
    """``fast_element`` over x into out (``store``), element i drawing random number start + i
    where ``stochastic``; returns the counts of ``element_cases`` (nan, inf, ovf, inexact,
    flushed), the last two only where ``full`` (a literal: else 0, and the loop does no more).
    ``nearest_even`` (a literal; round to nearest even with saturation, no random bits) takes
    the hardware's rint of the exact t = x * 2**frac_bits, the nearest-even integer (+ 0 makes
    its -0 the +0 of ``fast_element``), in place of ``fast_element``'s steps for every mode.
    One branch-free pass; the counts by ``tick`` in lanes as wide as x's (``count_zero``: uint32
    for float32 x, whose loop an int64 count would hold to 4 lanes on AVX2; x has fewer than
    2**31 elements: ``TILE``)."""
    nan = inf = ovf = inexact = flushed = count_zero(x)
    for i in range(x.size):
        xi = x[i] * c.one
        if nearest_even:
            t = xi * c.scale
            k_u = np.rint(t) + c.zero
            k = where(xi != xi, c.zero, minimum(maximum(k_u, c.lo), c.hi))
        else:
            rnd = element_bits(rand, seed, start + i, sr_bits) if stochastic else np.int64(0)
            t, k_u, k = fast_element(xi, c, flags, wrap, stochastic, rnd)
        store(out, i, k, c)
        is_nan, is_inf, is_ovf, is_inexact, is_flushed = element_cases(xi, t, k_u, k, c)
        nan, inf, ovf = tick(nan, is_nan), tick(inf, is_inf), tick(ovf, is_ovf)
        if full:
            inexact, flushed = tick(inexact, is_inexact), tick(flushed, is_flushed)
    return (np.int64(ticks(nan)), np.int64(ticks(inf)), np.int64(ticks(ovf)), np.int64(ticks(inexact)),
            np.int64(ticks(flushed)))


TILE = 32768         # elements per call of ``fast_tile`` (one loop over a whole chunk runs slower)


@inner_inline
def _cast_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, stochastic, nearest_even):
    """``cast_fast`` (``stochastic`` and ``nearest_even`` literals: ``fast_tile``'s steps). The
    counts are summed in scalars: indexing the tile's tuple of counts by a loop variable kept
    ``fast_tile``'s loop from vectorizing."""
    nan = inf = ovf = 0
    flags = flags_of(mode, sr_bits, sr_nearest)
    for a in range(0, x.size, TILE):
        xs, ys = x[a:a + TILE], out[a:a + TILE]
        t_nan, t_inf, t_ovf, _, _ = fast_tile(xs, ys, start + a, c, flags, wrap, stochastic, False, rand, seed,
                                              sr_bits, nearest_even)
        nan += t_nan
        inf += t_inf
        ovf += t_ovf
    return nan, inf, ovf


@nb.njit(cache=True, nogil=True)
def cast_fast(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest):
    """out[i] = x[i] rounded to the fixed-point format of ``c`` (a ``FloatCast``) in the
    deterministic ``mode``, saturated or wrapped (``fast_element``), as values (float out) or
    codes (unsigned out). Returns (nan, inf, ovf): the counts of ``fast_tile``, for the
    caller's NaN and overflow policies. Each kind of step is a kernel of its own
    (``FIXED_CASTS``): a first call compiles only the loop it runs."""
    return _cast_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, False, False)


@nb.njit(cache=True, nogil=True)
def cast_nearest_even(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest):
    """``cast_fast`` rounding to nearest even with saturation (mode 0, not ``wrap``): by
    ``fast_tile``'s nearest-even steps."""
    return _cast_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, False, True)


@nb.njit(cache=True, nogil=True)
def cast_fast_sr(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest):
    """``cast_fast`` under stochastic rounding; element i uses random number start + i."""
    return _cast_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, True, False)


def step_kind(mode: int, wrap: bool, stochastic: bool) -> str:
    """The kind of ``fast_tile``'s steps that casts in ``mode`` (an int), with ``wrap`` and
    ``stochastic``: "stochastic", "nearest_even" (mode 0 saturating) or "deterministic".

    >>> step_kind(0, False, False), step_kind(0, True, False), step_kind(3, False, False), step_kind(0, False, True)
    ('nearest_even', 'deterministic', 'deterministic', 'stochastic')
    """
    if stochastic:
        return "stochastic"
    return "nearest_even" if mode == 0 and not wrap else "deterministic"


# the cast kernel of each ``step_kind``
FIXED_CASTS = {"deterministic": cast_fast, "nearest_even": cast_nearest_even, "stochastic": cast_fast_sr}


@inner_inline
def _affine_nearest_even(xi, s, z, bounds):
    """``quantize_affine``'s float32 recipe for one element: the float32 quotient xi / s rounded
    half to even, clamped to the wide integer range (wide enough that the sum saturates as the
    unclamped one would), plus the zero point z, saturated to the format's range; bounds =
    (wide_lo, wide_hi, lo, hi) and z of the work type, in which every step is exact (float32
    for formats of at most 16 bits and the wide range int24, else float64 and +-2**33)."""
    wide_lo, wide_hi, lo, hi = bounds
    r = minimum(maximum(np.rint(xi / s), wide_lo), wide_hi)
    return minimum(maximum(r + z, lo), hi)


def as_integer(q):
    """The integer of the integral float q: int32 from float32 (packed conversions on AVX2
    too), int64 from float64."""


@nb.extending.overload(as_integer, inline="always")
def _as_integer_for(q):
    if q == nb.types.float32:
        return lambda q: np.int32(q)
    return lambda q: np.int64(q)


@nb.njit(cache=True, nogil=True)
def affine_nearest_even(x, out, row0, scale, zero_point, per_row, bounds):
    """out = ``quantize_affine(x, fmt, scale, zero_point)`` for exact=False, rows of the 2-d
    float32 x (C order; row0 the index of x's first row in the whole array): ``per_row``, row
    r of the whole array has channel r % C (scale float32, zero_point of the work type, length
    C), else column j has channel j. Returns whether x holds a NaN (the caller raises: the
    results of NaN are undefined)."""
    nan = False
    for r in range(x.shape[0]):
        xs, ys = x[r], out[r]
        if per_row:
            c = (row0 + r) % scale.size
            s, z = scale[c], zero_point[c]
            for j in range(xs.size):
                ys[j] = as_integer(_affine_nearest_even(xs[j], s, z, bounds))
                nan |= xs[j] != xs[j]
        else:
            for j in range(xs.size):
                ys[j] = as_integer(_affine_nearest_even(xs[j], scale[j], zero_point[j], bounds))
                nan |= xs[j] != xs[j]
    return nan
