"""Numba kernels that count what a cast did (``numfmt.report``): one pass over the input x and
the cast's result, per chunk, returning the counts in ``numfmt.report.FLAGS`` order followed by
the global index (start + i) of the first element that set each count (-1: none). The caller sums the counts over chunks and keeps the first index of the
first chunk that has one, so the report does not depend on the thread count.

The cast's own kernels are not touched: the result is compared with the input (the exact value
of a cast), and only where IEEE's definitions need more -- overflow (the value rounded with an
unbounded exponent range exceeds the largest finite value) and tininess after rounding -- the
family's own scalar rounding runs once more, with the same precision, a wider exponent range
and the element's same random number (``numfmt.random`` draws it by element index).
"""
import numba as nb
import numpy as np

from ..random import element_bits
from .block import shared_exponent
from .fixed import quotient, round_fixed_bits, unpack64
from .floating import DOM64, VALUE, round_one

NFLAGS = 9
INEXACT, OVERFLOW, SATURATED, UNDERFLOW, FLUSHED, SUBNORMAL, INVALID, NAN_IN = (1 << k for k in range(8))
MAG = np.int64(0x7FFFFFFFFFFFFFFF)          # the magnitude bits of a float64
INF_BITS = np.int64(0x7FF0000000000000)
WIDE = np.int64(1) << 62                    # the unbounded integer range of ``count_fixed``


@nb.njit(forceinline=True)
def _flags(x, y, ovf, tiny, maxv, minv, normal):
    """The flags (bits: INEXACT, ...) of one element: exact value x, result y (float64), ``ovf``
    and ``tiny`` as the family decided them (only asked where |x| > maxv or 0 < |x| < normal),
    maxv the largest finite value, minv the smallest value where results below it are clamped
    to it (formats without zero, posits; else -1), normal the smallest normal (0: none)."""
    if x != x:
        return NAN_IN
    ax = abs(x)
    ay = abs(y)
    if y != y:                  # NaN from a non-NaN: invalid; from an overflow also inexact
        return INVALID | ((OVERFLOW | INEXACT) if ovf else 0)
    if ax == np.inf:
        return (INEXACT | SATURATED) if ay != np.inf else 0
    m = INEXACT if y != x else 0
    m |= (OVERFLOW | (SATURATED if ay == maxv else 0)) if ovf else 0
    m |= (UNDERFLOW if y != x else 0) | (SATURATED if ay == minv else 0) if tiny else 0
    m |= FLUSHED if (x != 0) & (y == 0) else 0
    m |= SUBNORMAL if (y != 0) & (ay < normal) else 0
    return m


@nb.njit(forceinline=True)
def _tally(c, m, seen, index):
    """Add the flags m of element ``index`` to the counts c; note first indices; the new seen."""
    for k in range(NFLAGS):
        c[k] += (m >> k) & 1
    if m & ~seen:
        for k in range(NFLAGS):
            if (m >> k) & 1 and c[NFLAGS + k] < 0:
                c[NFLAGS + k] = index
    return seen | m


@nb.njit(forceinline=True)
def _new_counts():
    c = np.zeros(2 * NFLAGS, np.int64)
    c[NFLAGS:] = -1
    return c


@nb.njit(forceinline=True)
def _float_flags(x, y, rnd, p, sr, stochastic, lim):
    """The flags of one float element (x, y float64), with ``p`` the element format's
    ``round_one`` parameters for an unbounded exponent range (``numfmt.casts.report``) and
    lim = (maxv, minv, normal, max_bits, normal_bits)."""
    maxv, minv, normal, max_bits, normal_bits = lim
    ax = abs(x)
    ovf = False
    tiny = False
    if ((ax > maxv) & (ax != np.inf)) | ((ax < normal) & (x != 0)):
        r = round_one(np.float64(x).view(np.int64), p, VALUE, DOM64, stochastic, rnd, sr) & MAG
        ovf = (r > max_bits) & (r <= INF_BITS)
        tiny = r < normal_bits
    return _flags(x, y, ovf, tiny, maxv, minv, normal)


@nb.njit(cache=True, nogil=True)
def count_float(x, y, start, rand, seed, p, sr, stochastic, lim):
    """Counts of a float-family cast of x (float32 or float64) with result values y."""
    c = _new_counts()
    seen = 0
    for i in range(x.size):
        rnd = element_bits(rand, seed, start + i, sr[0]) if stochastic else np.int64(0)
        m = _float_flags(np.float64(x[i]), np.float64(y[i]), rnd, p, sr, stochastic, lim)
        seen = _tally(c, m, seen, start + i)
    return c


@nb.njit(cache=True, nogil=True)
def count_posit(x, y, start, maxpos, minpos):
    """Counts of a posit cast: overflow and saturation above maxpos, underflow and saturation
    below minpos (posits round neither to zero nor to infinity)."""
    c = _new_counts()
    seen = 0
    for i in range(x.size):
        xi = np.float64(x[i])
        ax = abs(xi)
        m = _flags(xi, np.float64(y[i]), (ax > maxpos) & (ax != np.inf), (ax < minpos) & (xi != 0), maxpos,
                   minpos, 0.0)
        seen = _tally(c, m, seen, start + i)
    return c


@nb.njit(cache=True, nogil=True)
def count_fixed(x, res, start, s, e_s, zp, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """Counts of an integer cast q = policy(round(x / (s * 2**e_s)) + zp) to [lo, hi] (saturate,
    or ``wrap``), x float64 (NaN counts as nan_in only). s, e_s, zp:
    int64 arrays of size 1 or x.size; res: the cast's integers q where given (size x.size),
    else empty (then q follows from the policy). Exact: the quotient's remainder decides."""
    c = _new_counts()
    seen = 0
    one_s = s.size == 1
    one_z = zp.size == 1
    for i in range(x.size):
        xi = x[i]
        if xi != xi:
            seen = _tally(c, NAN_IN, seen, start + i)
            continue
        si = s[0] if one_s else s[i]
        ei = e_s[0] if one_s else e_s[i]
        z = zp[0] if one_z else zp[i]
        bits = np.float64(xi).view(np.int64)
        rnd = element_bits(rand, seed, start + i, sr_bits) if mode == 6 else np.int64(0)
        k = round_fixed_bits(bits, si, ei, mode, -WIDE, WIDE, False, rnd, sr_bits, sr_nearest) + z
        ovf = (k < lo) | (k > hi)
        if res.size:
            q = res[i]
        elif wrap:
            q = lo + ((k - lo) & (hi - lo))
        else:
            q = min(max(k, lo), hi)
        neg, m, e, special = unpack64(bits)
        whole, rem, sticky, huge = quotient(m, e - ei, si)
        v = q - z
        exact = (not special and not huge and rem == 0 and sticky == 0 and whole == abs(v)
                 and (v == 0 or (v < 0) == neg))
        f = 0 if exact else INEXACT
        clamped = (not wrap) and (q == lo or q == hi)
        f |= (OVERFLOW | (SATURATED if clamped else 0)) if ovf and not special else 0
        f |= SATURATED if special and clamped else 0
        f |= FLUSHED if (xi != 0) & (v == 0) else 0
        seen = _tally(c, f, seen, start + i)
    return c


@nb.njit(forceinline=True)
def _fixed_element_flags(v, ye, rnd, fx):
    """Flags of a fixed-point block element (v the exact element value, ye its result), but
    INEXACT; fx = (e_s, lo, hi, mode, sr_bits, sr_nearest): the element integer is v * 2**-e_s
    rounded, saturated to [lo, hi] (the block clamps)."""
    e_s, lo, hi, mode, sr_bits, sr_nearest = fx
    k = round_fixed_bits(np.float64(v).view(np.int64), np.int64(1), e_s, mode, -WIDE, WIDE, False, rnd, sr_bits,
                         sr_nearest)
    m = (OVERFLOW | SATURATED) if (k < lo) | (k > hi) else 0
    return m | (FLUSHED if (v != 0) & (ye == 0) else 0)


@nb.njit(cache=True, nogil=True)
def block_element_flags(x, mask, start, y, v, ye, nan_scale, rand, seed, p, sr, stochastic, lim, fixed, fx):
    """mask[i] = the flags of element i of a block cast: x the input, y its result value, v the
    element's exact value x / scale (the input of the element rounding), ye the element's
    result, nan_scale whether its block's scale is NaN (flat, in x's order; element i drew
    random number start + i). INEXACT compares y with x; the other flags come from the element
    (``_float_flags`` with the element format's limits, or ``_fixed_element_flags``)."""
    for i in range(x.size):
        xi = x[i]
        if xi != xi:
            mask[i] = NAN_IN
            continue
        if nan_scale[i]:
            mask[i] = INVALID
            continue
        rnd = element_bits(rand, seed, start + i, sr[0]) if stochastic else np.int64(0)
        if fixed:
            m = _fixed_element_flags(v[i], ye[i], rnd, fx)
        else:
            m = _float_flags(v[i], ye[i], rnd, p, sr, stochastic, lim) & ~INEXACT
        mask[i] = m | (INEXACT if y[i] != xi else 0)


@nb.njit(cache=True, nogil=True)
def unclamped_exponents(amax, out, rule):
    """out[b] = the shared exponent of a block with largest magnitude amax[b] (finite, float64)
    before the scale format's limits: ``shared_exponent`` with an unbounded scale range."""
    rule_id, emax_elem, msig_frac, frac_bits, s_lo, s_hi = rule
    for b in range(amax.size):
        out[b] = shared_exponent(np.float64(amax[b]).view(np.int64), rule_id, emax_elem, msig_frac, frac_bits,
                                 -(1 << 30), 1 << 30)
