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
import math

import numba as nb
import numpy as np

from ..random import element_bits
from .block import shared_exponent
from .arith import odd_float64_bits, round_exact
from .fixed import round_fixed_bits
from .floating import DOM64, VALUE, round_one

NFLAGS = 9
INEXACT, OVERFLOW, SATURATED, UNDERFLOW, FLUSHED, SUBNORMAL, INVALID, NAN_IN = (1 << k for k in range(8))
MAG = np.int64(0x7FFFFFFFFFFFFFFF)          # the magnitude bits of a float64
INF_BITS = np.int64(0x7FF0000000000000)
FLUSHED_AT = 4                              # flushed_to_zero's place in the counts
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
def _tally(c, m, index):
    """Add the flags m of element ``index`` to the counts c and note first indices (the rare
    elements: the common ones only count INEXACT, in the kernels' own accumulators)."""
    for k in range(NFLAGS):
        if (m >> k) & 1:
            c[k] += 1
            _first(c, k, index)


@nb.njit(forceinline=True)
def _first(c, k, index):
    """Note index as the first that set count k, unless an earlier one did."""
    if c[NFLAGS + k] < 0 or index < c[NFLAGS + k]:
        c[NFLAGS + k] = index


@nb.njit(forceinline=True)
def _new_counts():
    c = np.zeros(2 * NFLAGS, np.int64)
    c[NFLAGS:] = -1
    return c


@nb.njit(forceinline=True)
def _float_flags(x, y, rnd, p, sr, stochastic, lim):
    """The flags of one float element (x, y float64), with ``p`` the element format's
    ``round_one`` parameters for an unbounded exponent range (``numfmt.casts.report``) and
    lim = (maxv, minv, normal, max_bits, normal_bits, below, above): below the largest value of
    fmt's precision under the smallest normal, above the smallest over the largest finite value
    (between them and the limits only the rounding decides)."""
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    ax = abs(x)
    ovf = (ax >= above) & (ax != np.inf)
    tiny = (ax <= below) & (x != 0)
    if ((ax > maxv) & (ax < above)) | ((ax > below) & (ax < normal)):   # rounding decides
        r = round_one(np.float64(x).view(np.int64), p, VALUE, DOM64, stochastic, rnd, sr) & MAG
        ovf = (r > max_bits) & (r <= INF_BITS)
        tiny = r < normal_bits
    return _flags(x, y, ovf, tiny, maxv, minv, normal)


@nb.njit(forceinline=True)
def _rare(x, y, lo, hi):
    """Whether an element needs more than the inexact test: a NaN in or out, or |x| outside
    [lo, hi] but nonzero (zeros that stay zero set no flag)."""
    ax = abs(x)
    return (not (ax <= hi)) | ((ax < lo) & (x != 0)) | (y != y)


TILE = 8192      # elements per tile: the rare elements are visited while the tile is in cache


@nb.njit(forceinline=True)
def _common(c, x, y, start, lo, hi):
    """Count the inexact common elements (not ``_rare``) in a branch-free pass that vectorizes,
    with the first one's index; the indices of the rare elements."""
    n = x.size
    inexact = 0
    count = 0
    marks = np.zeros((n + 7) // 8 * 8, np.uint8)
    for i in range(n):              # one branch-free pass: it vectorizes
        xi = np.float64(x[i])
        yi = np.float64(y[i])
        r = _rare(xi, yi, lo, hi)
        marks[i] = r
        count += r
        inexact += (yi != xi) & (not r)
    if inexact:
        for i in range(n):
            xi = np.float64(x[i])
            yi = np.float64(y[i])
            if (yi != xi) and not _rare(xi, yi, lo, hi):
                c[0] += inexact
                _first(c, 0, start + i)
                break
    found = np.empty(count, np.int64)
    if count:
        words = marks.view(np.uint64)
        j = 0
        for w in range(words.size):     # eight at a time: rare elements are few
            if words[w]:
                for i in range(8 * w, 8 * w + 8):
                    if marks[i]:
                        found[j] = i
                        j += 1
    return found


@nb.njit(cache=True, nogil=True)
def count_float(x, y, start, rand, seed, p, sr, stochastic, lim):
    """Counts of a float-family cast of x (float32 or float64) with result values y, tile by
    tile. Elements of normal magnitude up to the largest value only count as inexact
    (``_common``); the others are visited one by one."""
    c = _new_counts()
    maxv, normal = lim[0], lim[2]
    for a in range(0, x.size, TILE):
        xs, ys = x[a:a + TILE], y[a:a + TILE]
        for i in _common(c, xs, ys, start + a, normal, maxv):
            index = start + a + i
            rnd = element_bits(rand, seed, index, sr[0]) if stochastic else np.int64(0)
            _tally(c, _float_flags(np.float64(xs[i]), np.float64(ys[i]), rnd, p, sr, stochastic, lim), index)
    return c


@nb.njit(cache=True, nogil=True)
def count_posit(x, y, start, maxpos, minpos):
    """Counts of a posit cast: overflow and saturation above maxpos, underflow and saturation
    below minpos (posits round neither to zero nor to infinity); passes as ``count_float``."""
    c = _new_counts()
    for a in range(0, x.size, TILE):
        xs, ys = x[a:a + TILE], y[a:a + TILE]
        for i in _common(c, xs, ys, start + a, minpos, maxpos):
            xi = np.float64(xs[i])
            ax = abs(xi)
            m = _flags(xi, np.float64(ys[i]), (ax > maxpos) & (ax != np.inf), (ax < minpos) & (xi != 0), maxpos,
                       minpos, 0.0)
            _tally(c, m, start + a + i)
    return c


@nb.njit(forceinline=True)
def _split(a):
    """Veltkamp's split of a float64: (hi, lo) with a = hi + lo, each of at most 26 bits."""
    t = a * 134217729.0                     # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


@nb.njit(forceinline=True)
def _is_product(x, v, scale):
    """Whether x == v * scale exactly (v an integer below 2**53, all finite, no underflow):
    the rounded product and Dekker's exact error term."""
    p = v * scale
    vh, vl = _split(v)
    sh, sl = _split(scale)
    err = ((vh * sh - p) + vh * sl + vl * sh) + vl * sl
    return (p == x) & (err == 0)


@nb.njit(forceinline=True)
def _inside(t, lo, hi):
    """Whether x / scale + zp = t (rounded) lies clearly inside [lo, hi]: no overflow possible."""
    return (t >= lo + 2) & (t <= hi - 2)


@nb.njit
def _fixed_rare(c, xi, q, sc, z, index, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """Tally one element of an integer cast near or beyond its range (or NaN): x / scale is
    rounded once more with an unbounded range and the element's random number."""
    if xi != xi:
        _tally(c, NAN_IN, index)
        return
    v = q - z
    frac, ex = math.frexp(sc)
    rnd = element_bits(rand, seed, index, sr_bits) if mode == 6 else np.int64(0)
    k = round_fixed_bits(np.float64(xi).view(np.int64), np.int64(frac * 9007199254740992.0), np.int64(ex - 53),
                         mode, -WIDE, WIDE, False, rnd, sr_bits, sr_nearest) + z
    special = abs(xi) == np.inf
    ovf = ((k < lo) | (k > hi)) and not special
    exact = not special and abs(np.float64(v)) < 9007199254740992.0 and _is_product(xi, np.float64(v), sc)
    f = 0 if exact else INEXACT
    clamped = (not wrap) and (q == lo or q == hi)
    f |= (OVERFLOW | (SATURATED if clamped else 0)) if ovf else 0
    f |= SATURATED if special and clamped else 0
    f |= FLUSHED if (xi != 0) & (v == 0) else 0
    _tally(c, f, index)


@nb.njit(cache=True, nogil=True)
def count_fixed(x, res, start, scale, zp, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """Counts of an integer cast res = policy(round(x / scale) + zp) in [lo, hi] (saturate, or
    ``wrap``): x float64, res the cast's integers (int64), scale (float64) and zp (int64) of
    size 1 or x.size, tile by tile (``_fixed_tile``)."""
    c = _new_counts()
    one_s = scale.size == 1
    one_z = zp.size == 1
    for a in range(0, x.size, TILE):
        b = min(a + TILE, x.size)
        _fixed_tile(c, x[a:b], res[a:b], start + a, scale if one_s else scale[a:b], zp if one_z else zp[a:b],
                    mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest)
    return c


@nb.njit(forceinline=True)
def _fixed_tile(c, x, res, start, scale, zp, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """Add the counts of one tile to c. Elements whose x / scale + zp lies clearly inside the
    range count inexact (res - zp times scale is not x, tested exactly) and flushed_to_zero in a
    branch-free pass; a scan handles the others (``_fixed_rare``) and finds the first indices."""
    one_s = scale.size == 1
    one_z = zp.size == 1
    rare = 0
    inexact = 0
    flushed = 0
    for i in range(x.size):
        xi = x[i]
        sc = scale[0] if one_s else scale[i]
        z = zp[0] if one_z else zp[i]
        v = res[i] - z
        inside = _inside(xi / sc + z, lo, hi)
        rare += not inside
        inexact += inside & (not _is_product(xi, np.float64(v), sc))
        flushed += inside & (v == 0) & (xi != 0)
    c[0] += inexact
    c[FLUSHED_AT] += flushed
    need_inexact = inexact > 0
    need_flushed = flushed > 0
    for i in range(x.size):         # the rare elements, and the first common inexact and flushed
        if not (rare or need_inexact or need_flushed):
            break
        xi = x[i]
        sc = scale[0] if one_s else scale[i]
        z = zp[0] if one_z else zp[i]
        v = res[i] - z
        if not _inside(xi / sc + z, lo, hi):
            _fixed_rare(c, xi, res[i], sc, z, start + i, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest)
            rare -= 1
            continue
        if need_inexact and not _is_product(xi, np.float64(v), sc):
            _first(c, 0, start + i)
            need_inexact = False
        if need_flushed and (v == 0) & (xi != 0):
            _first(c, FLUSHED_AT, start + i)
            need_flushed = False


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
    (``_float_flags`` with the element format's limits, or ``_fixed_element_flags``). Returns
    the counts (a histogram of the masks, then the first index of each flag)."""
    hist = np.zeros(1 << NFLAGS, np.int64)
    c = _new_counts()
    seen = 0
    for i in range(x.size):
        xi = np.float64(x[i])
        if xi != xi:
            m = NAN_IN
        elif nan_scale[i]:
            m = INVALID
        else:
            rnd = element_bits(rand, seed, start + i, sr[0]) if stochastic else np.int64(0)
            if fixed:
                m = _fixed_element_flags(v[i], ye[i], rnd, fx)
            else:
                m = _float_flags(v[i], ye[i], rnd, p, sr, stochastic, lim) & ~INEXACT
            m |= INEXACT if np.float64(y[i]) != xi else 0
        mask[i] = m
        hist[m] += 1
        if m & ~seen:
            for k in range(NFLAGS):
                if (m >> k) & 1:
                    _first(c, k, start + i)
            seen |= m
    for m in range(1, 1 << NFLAGS):
        if hist[m]:
            for k in range(NFLAGS):
                c[k] += hist[m] * ((m >> k) & 1)
    return c


@nb.njit(cache=True, nogil=True)
def unclamped_exponents(amax, out, rule):
    """out[b] = the shared exponent of a block with largest magnitude amax[b] (finite, float64)
    before the scale format's limits: ``shared_exponent`` with an unbounded scale range."""
    rule_id, emax_elem, msig_frac, even_frac, s_lo, s_hi = rule
    for b in range(amax.size):
        out[b] = shared_exponent(np.float64(amax[b]).view(np.int64), rule_id, emax_elem, msig_frac, even_frac,
                                 -(1 << 30), 1 << 30, np.int64(52))


# ----- the roundings of a reduction (``numfmt.kernels.accumulate``): one event per rounding

@nb.njit(forceinline=True)
def count_event(c, at, m, index):
    """One more rounding (c[at]) with flags m, of output element ``index``, into c[at + 1:]
    (counts in ``FLAGS`` order, then first indices; ``_first`` of count at + 1 + k is that
    of count k there), indexing c in place (a view would cost reference counting per event)."""
    c[at] += 1
    if m == INEXACT:            # the common event
        c[at + 1] += 1
        _first(c, at + 1, index)
    elif m:
        for k in range(NFLAGS):
            if (m >> k) & 1:
                c[at + 1 + k] += 1
                _first(c, at + 1 + k, index)


@nb.njit(forceinline=True)
def common(x, y, lim):
    """Whether the rounding of x (float64) to y can set INEXACT only: x of normal magnitude up
    to the largest value (``_float_flags``' lim), y of normal magnitude (neither is NaN)."""
    ax, ay, maxv, normal = abs(x), abs(y), lim[0], lim[2]
    return (ax >= normal) & (ax <= maxv) & (ay >= normal)


@nb.njit(forceinline=True)
def value_flags(nan_in, x, y, rnd, p, sr, stochastic, lim):
    """The flags of one rounding of an operation's result x (float64: exact, or the exact
    result rounded to odd at 53 bits where fmt's precision is at most 51 bits; NaN for an
    invalid operation such as Inf - Inf) to y: NAN_IN where an operand was NaN (``nan_in``), INVALID
    for a NaN x of other operands, else ``_float_flags`` (p, sr, lim as there)."""
    if nan_in:
        return NAN_IN
    if x != x:
        return INVALID
    return _float_flags(x, y, rnd, p, sr, stochastic, lim)


@nb.njit(forceinline=True)
def exact_flags(neg, sig, exp, y, rnd, p, sr, stochastic, lim):
    """The flags of one rounding of the exact value (neg, sig, exp) in the 62-bit form of
    ``kernels.exact`` (sig 0: a zero) to y (float64), with the same random number ``rnd``.
    A value that float64 holds is x for ``_float_flags``; any other one is inexact, its
    overflow and tininess come from ``round_exact`` with the unbounded parameters p and sr,
    and it stands for itself in the other tests as its rounding to odd at 53 bits (which keeps
    its order with every limit in lim; beyond 2**1023 it is float64's largest value)."""
    if sig == 0:
        return _float_flags(0.0, y, rnd, p, sr, stochastic, lim)
    biased = exp + 1084                     # float64's biased exponent of sig * 2**exp
    lost = min(max(10 - biased, 9), 63)     # the bits below float64's last place
    sign = ~MAG if neg else np.int64(0)
    if biased < 2047 and (sig >> lost) << lost == sig:        # float64 holds it
        mag = ((biased - 1) << 52) + (sig >> 9) if biased >= 1 else sig >> lost
        return _float_flags(np.int64(mag | sign).view(np.float64), y, rnd, p, sr, stochastic, lim)
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    r = round_exact(neg, sig, exp, p, VALUE, stochastic, rnd, sr) & MAG
    ovf = (r > max_bits) & (r <= INF_BITS)
    tiny = r < normal_bits
    v = np.int64(odd_float64_bits(neg, sig, exp)).view(np.float64)
    return _flags(v, y, ovf, tiny, maxv, minv, normal) | INEXACT | (UNDERFLOW if tiny else 0)
