"""Numba kernels that count what a cast did (``numfmt.report``): one pass over the input x and
the cast's result, per chunk, returning the counts in ``numfmt.report.FLAGS`` order followed by
the global index (start + i) of the first element that set each count (-1: none). The caller sums the counts over chunks and keeps the first index of the
first chunk that has one, so the report does not depend on the thread count.

The float32 casts of the fast kernels (``count_nearest_added32`` or ``count_nearest32``,
``count_sr_add32``) and of posits (``count_posit_round32``) round and count in one pass over
uint32 lanes (``_count32``); float64 stochastic casts round and count block by block
(``round_count_sr64``); the others round tile by tile with their plain kernels and count each
tile while it is in cache (``round_count``; seeded stochastic casts to formats of float32's
exponent field count their common tiles first in a kernel of their own,
``round_count_common_sr32``); block rounds of float64 x with power-of-two scales that take no
float32 stand-ins round and count in the float64 block kernel's pass
(``quantize_pow2_64_counted``, ``quantize_pow2_fixed_counted``). The counts compare the result
with the input (the exact value of a cast), and only where IEEE's definitions need more --
overflow (the value rounded with an unbounded exponent range exceeds the largest finite value)
and tininess after rounding -- the family's own rounding decides, with the same precision and
a wider exponent range: in the deterministic modes three roundings per band next to a limit
decide every element there (``numfmt.casts.report.band_thresholds``, read by ``_bounds``);
under stochastic rounding the rounding runs once more per element in a band, with the
element's same random number (``numfmt.random`` draws it by element index).

Cost: every pass over elements is branch-free (selects) and sums the flags in registers
(``_spread``: four 16-bit counters in each of two integers), so that it vectorizes; the first
index of each count, and the elements whose rounding decides a count, are found by a scan
after it, only while a count has no first index yet. Tiles of mostly common elements (normal,
in range) count those by the inexact test alone and visit the others by index; a tile after
one with many others counts every element in one pass.
"""
import math
from typing import NamedTuple

import numba as nb
import numpy as np

from ..lanes import maximum, minimum
from ..random import DRAW_BLOCK, draw_tops, draw_words, drawn_bits, element_bits, splitmix_bits
from ..rounding import flags_of, stochastic_away
from . import posit as posit_kernels
from .block import _fixed_element, _float_element64, _pow2_rows, _unscaled64, shared_exponent
from .arith import odd_float64_bits, round_exact
from .fixed import element_cases, fast_element, fast_tile, round_fixed_bits
from .floating import (CODE_TILE, DOM64, STOCHASTIC, U32, U64, VALUE, FloatParams, code32, result_bits, round_bits32, round_bits64,
                       round_one, scratch_for, stand_in_bits, widened,
                       round_same_range32, round_same_range_sr32, round_sr32, round_sr64, sr_grid32, directed32_one,
                       directed_grid32, nearest32_one, nearest_grid32, same_range32_one, same_range32_params,
                       sr_add_one, sr_range_consts, fixed_pairs_params, sr_range_loop, sr_block_end, sr_pairs_loop,
                       top_bits32, FIXED_BLOCK, PAIRS_BLOCK, check_given_bits, same_range_code, same_range_sr_consts,
                       same_range_sr_loop, pow2_32_one, pow2_unbounded32, pow2_invalid, pow2_code32, constant_mode,
                       mode_key, pow2_sr_one, pow2_sr_grid32, carries32)
from .flagcount import (FIELD_MAX, FLUSHED, INEXACT, INVALID, NAN_IN, NFLAGS, OVERFLOW, SATURATED, SUBNORMAL, UNDERFLOW,
                        _first, _firsts, _new_counts, _present, _spread, _unpack, _unpack_into, spread_words)
from .inner import inner, inner_inline
from .pipeline import kernel
from .vectors import count_zero, tick, ticks, trailing_zeros, wide_vectors
from .arrays import bits_as, borrowed, empty, view_as, zeros

MAG = np.int64(0x7FFFFFFFFFFFFFFF)          # the magnitude bits of a float64
INF_BITS = np.int64(0x7FF0000000000000)
FLUSHED_AT = 4                              # flushed_to_zero's place in the counts
WIDE = np.int64(1) << 62                    # the unbounded integer range of ``count_fixed``


@inner_inline
def _flags(x, y, ovf, tiny, maxv, minv, normal):
    """The flags (bits: INEXACT, ...) of one element: exact value x, result y (float64), ``ovf``
    and ``tiny`` as the family decided them (only asked where |x| > maxv or 0 < |x| < normal),
    maxv the largest finite value, minv the smallest value where results below it are clamped
    to it (formats without zero, posits; else -1), normal the smallest normal (0: none).
    Branch-free (selects only): on random data branches would mispredict."""
    ax = abs(x)
    ay = abs(y)
    ne = y != x
    nan_x = x != x
    nan_y = (y != y) & (not nan_x)      # NaN from a non-NaN: invalid; from an overflow also inexact
    inf_x = ax == np.inf
    m = (INEXACT if ne else 0) | ((OVERFLOW | (SATURATED if ay == maxv else 0)) if ovf else 0)
    m |= ((UNDERFLOW if ne else 0) | (SATURATED if ay == minv else 0)) if tiny else 0
    m |= FLUSHED if (x != 0) & (y == 0) else 0
    m |= SUBNORMAL if (y != 0) & (ay < normal) else 0
    m = 0 if nan_x | nan_y | inf_x else m
    m |= NAN_IN if nan_x else 0
    m |= (INVALID | ((OVERFLOW | INEXACT) if ovf else 0)) if nan_y else 0
    m |= (INEXACT | SATURATED | (SUBNORMAL if ay < normal else 0)) if inf_x & (ay != np.inf) & (not nan_y) else 0
    return m


@inner_inline
def _float_flags(x, y, rnd, p, sr, stochastic, lim):
    """The flags of one float element (x, y float64), with ``p`` the element format's
    ``round_one`` parameters for an unbounded exponent range (``numfmt.casts.report``) and
    lim = (maxv, minv, normal, max_bits, normal_bits, below, above): below the largest value of
    fmt's precision under the smallest normal, above the smallest over the largest finite value
    (between them and the limits only the rounding decides)."""
    ovf, tiny, band = _bounds(x, lim, ROUND_BANDS)
    if band:                                # rounding decides
        return _rounded_flags(x, y, rnd, p, sr, stochastic, lim)
    return _flags(x, y, ovf, tiny, lim[0], lim[1], lim[2])


@inner_inline
def _rounded_flags(x, y, rnd, p, sr, stochastic, lim):
    """``_float_flags`` of an element in a band: overflow and tininess from x rounded with the
    unbounded exponent range (branch-free)."""
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    r = round_one(bits_as(np.float64(x), np.int64), p, VALUE, DOM64, stochastic, rnd, sr) & MAG
    return _flags(x, y, (r > max_bits) & (r <= INF_BITS), r < normal_bits, maxv, minv, normal)


@inner_inline
def _bounds(x, lim, thr):
    """(ovf, tiny, band) of x from |x| and ``_float_flags``'s lim. In a band (|x| in (maxv,
    above) or in (below, normal)) the rounding with an unbounded exponent range gives one of
    the band's two ends: thr = (t_lo+, t_lo-, t_hi+, t_hi-, lo_rounds, hi_rounds, signed)
    (``numfmt.casts.report.band_thresholds``) decides it by |x| < t_lo (tiny) and |x| >= t_hi
    (overflow), per sign, but where the band is ``*_rounds``: then the element is in ``band``
    and its rounding must decide. A negative into an unsigned format (``signed`` false) is
    invalid, never an overflow."""
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    lo_pos, lo_neg, hi_pos, hi_neg, lo_rounds, hi_rounds, signed = thr
    ax = abs(x)
    in_lo = (ax > below) & (ax < normal)
    in_hi = (ax > maxv) & (ax < above)
    neg = x < 0
    t_lo = lo_neg if neg else lo_pos
    t_hi = hi_neg if neg else hi_pos
    ovf = ((ax >= above) & (ax != np.inf) & (signed | (x > 0))) | (in_hi & (ax >= t_hi))
    tiny = ((ax <= below) & (x != 0)) | (in_lo & (ax < t_lo))
    return ovf, tiny, (in_lo & lo_rounds) | (in_hi & hi_rounds)


ROUND_BANDS = (-np.inf, -np.inf, np.inf, np.inf, np.bool_(True), np.bool_(True), np.bool_(True))  # the bands round


@inner_inline
def _outside_bands(x, y, lim, thr):
    """(flags, band) of an element (float64 x, y) from |x| (``_bounds``), 0 in a band."""
    ovf, tiny, band = _bounds(x, lim, thr)
    return (0 if band else _flags(x, y, ovf, tiny, lim[0], lim[1], lim[2])), band


@inner_inline
def _rare_counts(c, x, y, idx, count, dense, start, lim, thr, seen):
    """Add the flags of the tile's elements idx[:count] (indices into x, y; ``dense``, a
    literal: every element of the tile, no index read) to c, but of those in a band
    (``_bounds``), in a branch-free pass that vectorizes; then their first indices (a scan
    only while a flag of the tile is not in ``seen``), and the band elements' indices written
    to the front of idx. Returns (seen, the number of band elements)."""
    lo = hi = 0
    bands = 0
    size = x.size if dense else count
    for j in range(size):
        i = j if dense else idx[j]
        m, band = _outside_bands(np.float64(x[i]), np.float64(y[i]), lim, thr)
        bands += band
        f_lo, f_hi = _spread(m)
        lo += f_lo
        hi += f_hi
    _unpack(c, lo, hi)
    need = _present(lo, hi) & ~seen
    for j in range(size):
        if not need:
            break
        i = j if dense else idx[j]
        hit = _outside_bands(np.float64(x[i]), np.float64(y[i]), lim, thr)[0] & need
        if hit:
            _firsts(c, hit, start + i, 0)
            need &= ~hit
    k = 0
    for j in range(size if bands else 0):
        i = j if dense else idx[j]
        idx[k] = i
        k += _bounds(np.float64(x[i]), lim, thr)[2]
    return seen | _present(lo, hi), bands


@inner_inline
def _rare(x, y, lo, hi):
    """Whether an element needs more than the inexact test: a NaN in or out, or |x| outside
    [lo, hi] but nonzero (zeros that stay zero set no flag)."""
    ax = abs(x)
    return (not (ax <= hi)) | ((ax < lo) & (x != 0)) | (y != y)


TILE = 8192      # elements per tile: the rare elements are visited while the tile is in cache
DENSE = 4        # a tile with more than 1 / DENSE rare elements: the next one counts every element


@inner_inline
def _common(c, x, y, start, lo, hi, found):
    """Count the inexact common elements (not ``_rare``) in a branch-free pass that vectorizes,
    with the first one's index; the indices of the rare elements go to found (TILE + 8 long),
    their number is returned."""
    n = x.size
    inexact = 0
    count = 0
    marks = zeros((n + 7) // 8 * 8, np.uint8)
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
    if count:
        words = view_as(marks, np.uint64)
        j = 0
        for w in range(words.size):     # eight at a time (rare elements are often few), no branch
            if words[w]:                # per element (they are not always few)
                for i in range(8 * w, 8 * w + 8):
                    found[j] = i
                    j += marks[i]
    return count


@inner_inline
def _tile_counts(c, x, y, idx, dense, start, lo, hi, lim, thr, seen):
    """Add a tile's counts to c (``_common`` and ``_rare_counts``, or where ``dense`` the latter
    over every element: cheaper where rare elements are many); returns (seen, the number of
    band elements, whose indices lead idx, whether the next tile should go dense)."""
    if dense:       # two inlined copies: the dense one reads no index
        seen, bands = _rare_counts(c, x, y, idx, 0, True, start, lim, thr, seen)
        count = 0
        for i in range(x.size):
            count += _rare(np.float64(x[i]), np.float64(y[i]), lo, hi)
    else:
        count = _common(c, x, y, start, lo, hi, idx)
        seen, bands = _rare_counts(c, x, y, idx, count, False, start, lim, thr, seen)
    return seen, bands, count > x.size // DENSE


@kernel(cache=True, nogil=True)
def count_float(x, y, start, rand, seed, p, sr, stochastic, lim, thr):
    """Counts of a float-family cast of x (float32 or float64) with result values y, tile by
    tile. Elements of normal magnitude up to the largest value only count as inexact
    (``_common``); the others are counted from |x| (``_rare_counts``) but those in a band,
    which the element's rounding with an unbounded exponent range decides (under stochastic
    rounding, or where ``thr`` leaves them undecided; else ``_bounds`` decides them); p, the
    parameters of that rounding, None where no band rounds (then none of it compiles)."""
    c = _new_counts()
    seen = np.int64(0)      # (not a literal 0: helpers it reaches would compile twice)
    maxv, normal = lim[0], lim[2]
    idx = empty(TILE + 8, np.int64)
    dense = np.bool_(False)      # (a boolean, not a literal False: _tile_counts compiles once)
    for a in range(0, x.size, TILE):
        xs, ys = x[a:a + TILE], y[a:a + TILE]
        seen, bands, dense = _tile_counts(c, xs, ys, idx, dense, start + a, normal, maxv, lim, thr, seen)
        if p is None:       # (pruned either way: kernels.pipeline)
            continue
        lo = hi = 0
        for i in idx[:bands]:
            index = start + a + i
            rnd = element_bits(rand, seed, index, sr[0]) if stochastic else np.int64(0)
            m = _rounded_flags(np.float64(xs[i]), np.float64(ys[i]), rnd, p, sr, stochastic, lim)
            f_lo, f_hi = _spread(m)
            lo += f_lo
            hi += f_hi
            _firsts(c, m, index, 0)        # an earlier band element may follow a first set in the scan
            seen |= m
        _unpack(c, lo, hi)
    return c


CAST_TILE = 32768    # elements per tile of a counting cast: its input and result stay in L2


@inner_inline
def _cast_flags(xi, yi, ft):
    """``_outside_bands``' flags of an element of a float cast (x, y of the input's float
    type) from thresholds on |x|, ft = (l_pos, l_neg, h_pos, h_neg, maxv, minv, normal) in
    that type (``numfmt.casts.report.cast_thresholds``): tiny iff x != 0 and |x| < l, overflow
    iff h <= |x| < Inf (l, h of x's sign); an element of a band that rounds is neither."""
    l_pos, l_neg, h_pos, h_neg, maxv, minv, normal = ft
    ax = abs(xi)
    neg = xi < 0
    ovf = (ax >= (h_neg if neg else h_pos)) & (ax < np.inf)
    tiny = (ax < (l_neg if neg else l_pos)) & (xi != 0)
    return _flags(xi, yi, ovf, tiny, maxv, minv, normal)


@inner_inline
def _maybe_cast_flags(xi, yi, ft):
    """Bits that hold at least ``_cast_flags``' of an element (and ``_band_flags``' in a band),
    a few compares: inexact where x != y; the others only where x is neither zero nor of normal
    magnitude up to the largest value (ft[6], ft[4]): there a rounding gives a normal number or
    the largest one, exactly or not, and the bands lie outside; invalid also where x < 0 (an
    unsigned format's). A scan for a count's first element (``_tile_firsts``) computed every
    element's full flags up to it: e4m3's first flushed_to_zero of standard normal float64
    lies about 1,250 elements in."""
    ax = abs(xi)
    usual = ((ax >= ft[6]) & (ax <= ft[4])) | (xi == 0)
    return (INEXACT if xi != yi else 0) | (0 if usual else 0xFF & ~INEXACT) | (INVALID if xi < 0 else 0)


@inner_inline
def _cast_cases(xi, yi, ft):
    """``_cast_flags`` as eight booleans (FLAGS order), each a few comparisons: the cases of
    ``_flags`` for a signed format with zero, where a finite x gives a NaN only by overflowing
    (an element of a band that rounds: provisionally), a tiny one never."""
    l_pos, l_neg, h_pos, h_neg, maxv, minv, normal = ft
    ax = abs(xi)
    ay = abs(yi)
    neg = xi < 0
    ne = xi != yi
    ovf = (ax >= (h_neg if neg else h_pos)) & (ax < np.inf)
    tiny = (ax < (l_neg if neg else l_pos)) & (ax > 0)
    inf_sat = (ax == np.inf) & (ay < np.inf)     # Inf in, a number out
    return ((ne & (ax < np.inf)) | inf_sat, ovf, (ovf & (ay == maxv)) | inf_sat, tiny & ne, (ax > 0) & (yi == 0),
            (yi != 0) & (ay < normal), (yi != yi) & (xi == xi), xi != xi)


@inner_inline
def _cast_tile_counts(c, x, y, ft):
    """Add ``_cast_cases``' counts over a tile (at most CAST_TILE elements) to c in a
    branch-free pass that vectorizes, counted by ``tick`` in lanes as wide as x's
    (``count_zero``)."""
    z = count_zero(x)
    n = (z, z, z, z, z, z, z, z)
    for i in range(x.size):
        f = _cast_cases(x[i], y[i], ft)
        n = (tick(n[0], f[0]), tick(n[1], f[1]), tick(n[2], f[2]), tick(n[3], f[3]), tick(n[4], f[4]),
             tick(n[5], f[5]), tick(n[6], f[6]), tick(n[7], f[7]))
    for k in range(8):
        c[k] += ticks(n[k])


@inner_inline
def _common_counts(x, y, normal, maxv):
    """(inexact, common) of a rounded tile x -> y: whether every element is zero or has normal
    magnitude up to maxv (then only INEXACT can be set: the formats counted so have a zero,
    which rounds to itself in every mode) and how many changed, in a cheap pass: counted
    by ``tick`` in lanes as wide as x's (``count_zero``; a tile has at most CAST_TILE
    elements)."""
    inexact = common = count_zero(x)
    for i in range(x.size):
        ax = abs(x[i])
        inexact = tick(inexact, x[i] != y[i])
        common = tick(common, ((ax >= normal) | (ax == 0)) & (ax <= maxv))
    return np.int64(ticks(inexact)), ticks(common) == x.size


@inner
def _band_flags(x, y, rnd, p, sr, stochastic, lim):
    """``_rounded_flags`` (x, y float64) as a function of its own: the counting casts call it
    for the rare elements of a band, in two places (inlined, each would compile a rounding)."""
    return _rounded_flags(x, y, rnd, p, sr, stochastic, lim)


@inner_inline
def _in_band(v, bands):
    """Whether |v| lies in a band that rounds (bands = (lo, lo_end, hi, hi_end), open intervals
    of |x|)."""
    b_lo, b_lo_end, b_hi, b_hi_end = bands
    ax = abs(v)
    return ((ax > b_lo) & (ax < b_lo_end)) | ((ax > b_hi) & (ax < b_hi_end))


@inner_inline
def _band_fixups(c, x, y, start, rand, seed, bands, pu, sru, stochastic, ft, lim, sr, buf):
    """The elements of a tile in a band that rounds (``_in_band``): their counts from
    ``_rounded_flags`` with the element's random number instead of ``_cast_cases``'
    (``_band_flags``), looked for one by one only in the blocks of SCAN_BLOCK elements that
    have one (a count in a loop that vectorizes: e4m3, 1M standard normal float64, stochastic,
    1 thread, CPU time: report=True 2.21-2.28 -> 2.06-2.10 ms, plain 0.73-0.77 ms; a compare
    and a branch per element before); a seeded stochastic cast's block with more than
    DENSE_BAND of them by ``_dense_band`` (sr not None: the kernel's stochastic parameters;
    buf its scratch). The blocks are index ranges read at uint64 indices, not slices: a slice
    costs two atomic reference counts, four a block (e2m1, 1M standard normal float64,
    stochastic, report=True 1.93 -> 1.80 ms with ``_dense_band``'s scratch allocated once)."""
    for lo in range(0, x.size, SCAN_BLOCK):
        hi = minimum(lo + SCAN_BLOCK, x.size)
        found = _band_count(x, lo, hi, bands)
        if sr is not None:      # (pruned for the deterministic kernels)
            if (found > U32(DENSE_BAND)) & (rand.size == 0) & (sru[1] == 0):
                _dense_band(c, x, y, lo, hi, start, seed, bands, pu, sru, lim, buf)
                continue
        for sub in range(lo, hi if found else lo, BAND_BLOCK):
            end = minimum(sub + BAND_BLOCK, hi)
            for j in range(sub, end if _band_count(x, sub, end, bands) else sub):
                xj, yj = x[U64(j)], y[U64(j)]
                if _in_band(xj, bands):
                    rnd = element_bits(rand, seed, start + j, sru[0]) if stochastic else np.int64(0)
                    m = _band_flags(np.float64(xj), np.float64(yj), rnd, pu, sru, stochastic, lim)
                    f = _cast_cases(xj, yj, ft)
                    for k in range(8):
                        c[k] += ((m >> k) & 1) - f[k]


BAND_BLOCK = 64     # elements of a block of ``_band_fixups`` looked at one by one where the block has band elements


@inner_inline
def _band_count(x, lo, hi, bands):
    """The number of elements x[lo:hi] in a band that rounds (``_in_band``), in a loop that
    vectorizes (uint64 indices: a signed one's negative-index wraparound would gather; counted
    by ``tick`` in lanes as wide as x's)."""
    found = count_zero(x)
    for i in range(lo, hi):
        found = tick(found, _in_band(x[U64(i)], bands))
    return ticks(found)


DENSE_BAND = 8     # band elements of a block above which ``_dense_band`` rounds the whole block again


@inner_inline
def _dense_band(c, x, y, lo, hi, start, seed, bands, pu, sru, lim, buf):
    """``_band_fixups`` of the block x[lo:hi] of a seeded stochastic cast (sr_rule "add"; element
    0 of x is start) that has many band elements: every element rounded again with its random
    bits (``draw_words`` into buf, at least SCAN_BLOCK + 2 long: one word an element for k > 32) in one loop
    without a branch, those outside a band adding nothing: ``_band_cases`` (rule "add"), as
    ``_rounded_flags``' ``round_one`` rounds it there. ``_cast_cases`` counted a band element
    as neither tiny nor overflowing (``casts.report.cast_thresholds`` puts the bands'
    thresholds at their ends); what its rounding changes of ``_flags`` is added: an underflow where tiny (a band
    holds no value of the format, every element in it is inexact; the formats of
    ``round_count`` have a zero: nothing saturates at the bottom), an overflow, saturated
    where the result is the largest value (a NaN result, already counted inexact and invalid,
    comes from an overflow only: the cast rounded the element with the same bits). e2m1, 1M
    standard normal float64 (13% of |x| in its band (0.75, 1)), 1 thread, CPU time, fresh
    process: report=True 6.6-7.1 ms with a call per band element, 3.6 ms with every element's
    whole flags, 1.9-2.3 ms so; plain 0.82-0.87 ms."""
    words = view_as(buf, np.uint32)
    k = np.int64(sru[0])
    off = draw_words(buf, seed, start + lo, hi - lo, k)
    z = count_zero(x)
    ovf, saturated, underflow = z, z, z
    for j in range(lo, hi):
        over, sat, tiny = _band_cases(np.float64(x[U64(j)]), np.float64(y[U64(j)]),
                                      drawn_bits(buf, words, off, j - lo, k), bands, pu[0], k, 0, lim[0])
        ovf, saturated, underflow = tick(ovf, over), tick(saturated, sat), tick(underflow, tiny)
    c[1] += ticks(ovf)
    c[2] += ticks(saturated)
    c[3] += ticks(underflow)


@inner_inline
def _band_magnitude(v, m, k, rule, rnd):
    """The magnitude bits of the float64 v rounded stochastically (k random bits rnd,
    ``stochastic_away``'s rule; v exact: no sticky bit) in a normal binade of an unbounded
    rounding to m fraction bits, where a band lies: |v| cut to 52 - m discarded bits, moved up
    a unit where the k of them at the top plus rnd carry. Branch-free."""
    t = np.int64(52) - np.int64(m)
    full = np.int64(1) << t
    a = bits_as(np.float64(v), np.int64) & MAG
    return (a & -full) + stochastic_away(a & (full - 1), t, 0, k, rule, rnd) * full


@inner_inline
def _band_cases(v, y, rnd, bands, m, k, rule, maxv):
    """(overflow, saturated, underflow) of the float64 v, cast to y, by its stochastic rounding
    with an unbounded exponent range (k random bits rnd, ``stochastic_away``'s rule; nothing
    outside the bands): a band is the gap between two neighbours of that rounding's grid (m
    fraction bits), and v rounds to the upper one iff ``stochastic_away`` carries its 52 - m
    discarded bits, so v is tiny (the band under the smallest normal) iff they do not carry
    and overflows (the band over the largest value, maxv) iff they do (``_band_magnitude``
    without the magnitude: e2m1, 1M standard normal float64, 1 thread, report=True 7.07 ->
    6.59 ms). Branch-free."""
    b_lo, b_lo_end, b_hi, b_hi_end = bands
    t = np.int64(52) - np.int64(m)
    up = stochastic_away(bits_as(v, np.int64) & ((np.int64(1) << t) - 1), t, 0, k, rule, rnd) != 0
    ax = abs(v)
    over = (ax > b_hi) & (ax < b_hi_end) & up
    return over, over & (abs(y) == maxv), (ax > b_lo) & (ax < b_lo_end) & (not up)


@inner_inline
def _count_tile(c, tile, x, y, start, seen, common, inexact, rand, seed, bands, pu, sru, stochastic, ft, lim, sr,
                buf):
    """Add the counts of a rounded tile x -> y (elements start, start + 1, ...) to c, with
    ``tile`` and buf (``_band_fixups``') as scratch: where every element is ``common`` only its ``inexact`` count (both
    from ``_round_common``), else ``_cast_tile_counts`` and, where there are bands that round
    (bands not None), ``_band_fixups``; then ``_tile_firsts``. Returns seen."""
    tile[:NFLAGS] = 0
    tile[0] = inexact if common else 0
    if not common:
        _cast_tile_counts(tile, x, y, ft)
        if bands is not None:       # (pruned without bands: kernels.pipeline)
            _band_fixups(tile, x, y, start, rand, seed, bands, pu, sru, stochastic, ft, lim, sr, buf)
    return _tile_firsts(c, tile, x, y, start, seen, rand, seed, bands, pu, sru, stochastic, ft, lim)


@inner_inline
def _tile_firsts(c, tile, x, y, start, seen, rand, seed, bands, pu, sru, stochastic, ft, lim):
    """Add a tile's counts (tile[:NFLAGS]) to c, then scan the tile x -> y (elements start,
    start + 1, ...) for the first indices of the counts not yet ``seen`` (``scan_firsts`` of
    ``_tile_flags``). Returns seen."""
    need = 0
    for k in range(NFLAGS):
        c[k] += tile[k]
        need |= (1 << k) if tile[k] else 0
    return scan_firsts(c, x.size, need & ~seen, seen, start, _tile_flags,
                       (x, y, start, rand, seed, bands, pu, sru, stochastic, ft, lim), _maybe_tile_flags)


@inner_inline
def _maybe_tile_flags(i, x, y, start, rand, seed, bands, pu, sru, stochastic, ft, lim):
    """``_maybe_cast_flags`` of element i of a tile (``_tile_firsts``)."""
    return _maybe_cast_flags(x[i], y[i], ft)


@inner_inline
def _tile_flags(i, x, y, start, rand, seed, bands, pu, sru, stochastic, ft, lim):
    """The count bits of element i of a tile x -> y (``_tile_firsts``): ``_cast_flags``, in a
    band that rounds ``_band_flags`` with the element's random number."""
    m = _cast_flags(x[i], y[i], ft)
    if bands is not None:
        if _in_band(x[i], bands):
            rnd = element_bits(rand, seed, start + i, sru[0]) if stochastic else np.int64(0)
            m = _band_flags(np.float64(x[i]), np.float64(y[i]), rnd, pu, sru, stochastic, lim)
    return m


def _round_tile(xs, ys, start, rand, seed, p, sr):
    """Round the tile xs into ys with the plain kernel that the types of p and sr name
    (``round_count``)."""


@nb.extending.overload(_round_tile, inline="always")
def _round_tile_for(xs, ys, start, rand, seed, p, sr):
    """``_round_tile`` for the input's type and the kernel's parameters: each compiles the call
    of its own kernel only."""
    deterministic = isinstance(sr, nb.types.NoneType)
    if xs.dtype == nb.types.float64:
        if deterministic:
            return lambda xs, ys, start, rand, seed, p, sr: round_bits64(view_as(xs, np.int64), view_as(ys, np.int64), p)
        return lambda xs, ys, start, rand, seed, p, sr: round_sr64(view_as(xs, np.int64), view_as(ys, np.int64), start,
                                                                  rand, seed, p, sr)
    if getattr(p, "instance_class", None) is FloatParams:
        if deterministic:
            return lambda xs, ys, start, rand, seed, p, sr: round_bits32(view_as(xs, np.int32), view_as(ys, np.int32), p)
        return lambda xs, ys, start, rand, seed, p, sr: round_sr32(view_as(xs, np.int32), view_as(ys, np.int32), start,
                                                                  rand, seed, p, sr)
    if deterministic:
        return lambda xs, ys, start, rand, seed, p, sr: round_same_range32(view_as(xs, np.uint32), view_as(ys, np.uint32), p)
    return lambda xs, ys, start, rand, seed, p, sr: (     # (rand: None where it is empty, the seeded loop)
        round_same_range_sr32(view_as(xs, np.uint32), view_as(ys, np.uint32), start, None, seed, p, sr) if rand.size == 0
        else round_same_range_sr32(view_as(xs, np.uint32), view_as(ys, np.uint32), start, rand, seed, p, sr))


@inner_inline
def _round_then_count(xs, ys, start, rand, seed, p, sr, normal, maxv, dense):
    """``_round_common`` by the plain kernel (``_round_tile``) and a pass of its own
    (``_common_counts``), skipped after a ``dense`` tile (then inexact 0, common False); the
    codes are left to the caller (coded False)."""
    _round_tile(xs, ys, start, rand, seed, p, sr)
    inexact, common = (0, False) if dense else _common_counts(xs, ys, normal, maxv)
    return inexact, common, False


@inner_inline
def _same_range_common32(xs, ys, p, normal, maxv, codes, nans):
    """``_round_common`` of ``round_same_range32`` (deterministic): the tile rounded and its
    (inexact, common) counted in the same loop, which vectorizes in uint32 lanes (a tile has
    at most CAST_TILE elements; 512-bit ones on AVX-512 hosts); common from the smallest and
    the largest magnitude (a min and a max per element, where two compares and a count cost
    more: bfloat16 normal, 4M float32, 1 thread: the counting loop 1.6x -> 1.1x the plain
    kernel's time with both in cache); zeros are common too (exact in every mode, no count: a
    tile of ReLU's outputs, half zeros, was counted element by element, bfloat16 round 5.6x its
    plain call); normal and maxv float32. With nans (not None, the NaN
    codes of ``same_range_code``) the same loop stores the codes instead of the values (the
    caller rounds a tile into ys where it reads them: ``round_count``). Returns (inexact,
    common, True: coded)."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    x_bits, y_bits = view_as(xs, np.uint32), view_as(ys, np.uint32)
    lo = bits_as(np.float32(normal), np.uint32)
    hi = bits_as(np.float32(maxv), np.uint32)
    q = same_range32_params(p)
    shift = U32(p[0])
    inexact, least, most = U32(0), U32(0xFFFFFFFF), U32(0)
    for i in range(x_bits.size):
        b = x_bits[i]
        o = same_range32_one(b, q)
        if nans is None:
            y_bits[i] = o
        else:
            codes[i] = same_range_code(b, o, shift, nans)
        a = U32(b & U32(0x7FFFFFFF))
        inexact = U32(inexact + U32(o != b))
        least, most = minimum(least, U32(a - U32(1))), maximum(most, a)   # (a zero's a - 1 wraps: no minimum)
    return np.int64(inexact), (least >= U32(lo - U32(1))) & (most <= hi), True


@inner_inline
def _inexact_tally(m, b, o, zk):
    """``same_range_sr_loop``'s count of inexact elements (bits b rounded to o) and the smallest
    nonzero magnitude less one (a zero's wraps: no minimum): m = (count, magnitude bits), uint32."""
    a = U32(b & MAG32)
    return U32(m[0] + U32(o != b)), minimum(m[1], U32(a - U32(1)))


@inner_inline
def _same_range_sr_block(xs, outs, words, topk, missed, keep, to_bias, clamp_bits, nan_bits, lo, hi, tally):
    """``floating._same_range_block`` counting: the block's inexact elements added to
    tally[0], tally[1] set where a nonzero magnitude lies outside [lo, hi] (bits). Returns (0,
    whether every magnitude lay in [lo, hi] or was zero: the fixed pass' range, so that
    ``sr_pairs_loop`` stops trying it on data that often leave it)."""
    _, high, (inexact, low) = same_range_sr_loop(xs, outs, words, topk, keep, to_bias, clamp_bits, nan_bits,
                                                 _inexact_tally, (U32(0), MAG32))
    inside = (low >= U32(lo - U32(1))) & (high <= hi)
    tally[0] += inexact
    tally[1] |= not inside
    return 0, inside


@inner_inline
def _same_range_sr_common32(xs, ys, start, seed, p, k, normal, maxv):
    """``_round_common`` of a seeded ``round_same_range_sr32`` (k <= 32 random bits): its
    pairs loop with the fixed bias' range narrowed to zeros and [normal, maxv] (float32), where
    only INEXACT can be set and the fixed pass counts it, and the other blocks counted in the
    loop that rounds them (``_same_range_sr_block``): one pass (bfloat16, 4M standard normal
    float32, 1 thread, CPU time: report=True 1.50x -> 1.30-1.35x the plain cast's time, most
    of it the fixed pass' inexact count, which the plain cast leaves out; ReLU's outputs, half
    zeros, left the range in every block: 2.7x before zeros were in it)."""
    x_bits, y_bits = view_as(xs, np.uint32), view_as(ys, np.uint32)
    shift, keep, to_bias, clamp_bits, nan_bits = same_range_sr_consts(p)
    lo = bits_as(np.float32(normal), np.uint32)
    hi = minimum(bits_as(np.float32(maxv), np.uint32), clamp_bits)
    tally = zeros(2, np.int64)
    inexact = sr_pairs_loop(x_bits, y_bits, start, seed, k, fixed_pairs_params(U32(shift), k, keep, lo, hi, True),
                            empty(PAIRS_BLOCK // 2 + 2, np.uint64), DRAW_BLOCK, _same_range_sr_block,
                            (keep, to_bias, clamp_bits, nan_bits, lo, hi, tally))[1]
    return inexact + tally[0], tally[1] == 0, False


def _round_common(xs, ys, start, rand, seed, p, sr, normal, maxv, dense, codes, nans):
    """Round the tile xs into ys as ``_round_tile`` and return (inexact, common, coded):
    whether every element has normal magnitude up to maxv (only INEXACT can be set) and how
    many changed (``_common_counts``); ``dense``: the tile before was not all common (then a
    kernel that cannot count in its own loop does not look: inexact 0, common False); coded: whether the
    tile's codes went to codes too (nans not None: ``_same_range_common32`` stores them)."""


@nb.extending.overload(_round_common, inline="always")
def _round_common_for(xs, ys, start, rand, seed, p, sr, normal, maxv, dense, codes, nans):
    """``_round_common`` counted in the rounding's loop for ``round_same_range32`` and the seeded
    ``round_same_range_sr32`` of up to 32 random bits, else after it."""
    same_range = xs.dtype == nb.types.float32 and getattr(p, "instance_class", None) is not FloatParams
    if same_range and isinstance(sr, nb.types.NoneType):
        return lambda xs, ys, start, rand, seed, p, sr, normal, maxv, dense, codes, nans: _same_range_common32(
            xs, ys, p, normal, maxv, codes, nans)
    if same_range:
        return lambda xs, ys, start, rand, seed, p, sr, normal, maxv, dense, codes, nans: (
            _same_range_sr_common32(xs, ys, start, seed, p, sr, normal, maxv) if rand.size == 0 and sr <= 32
            else _round_then_count(xs, ys, start, rand, seed, p, sr, normal, maxv, dense))
    return lambda xs, ys, start, rand, seed, p, sr, normal, maxv, dense, codes, nans: _round_then_count(
        xs, ys, start, rand, seed, p, sr, normal, maxv, dense)


@kernel(cache=True, nogil=True)
def round_count(x, y, start, rand, seed, p, sr, stochastic, bands, pu, sru, ft, lim, nans):
    """A float cast of x (float32 or float64) into y that counts (``numfmt.report``) as it
    goes, tile by tile: each tile is rounded by the plain kernel whose parameters p and sr are
    (their types choose it, so each compiles alone; float32: p a ``FloatParams`` for
    ``round_bits32`` / ``round_sr32``, else the parameters of ``round_same_range32`` /
    ``round_same_range_sr32``; float64: ``round_bits64`` / ``round_sr64``; sr None for the
    deterministic kernels; element i draws random number start + i; ``round_same_range32``'s
    loop also tells whether the tile is all common, ``_round_common``) and counted while in cache
    (``_count_tile``: the counts of ``count_float``, with pu, sru, lim its p, sr, lim, which only
    the bands read: None without bands;
    ``stochastic`` whether the cast rounds stochastically; ft the thresholds of
    ``_cast_flags``; ``bands`` the bands that round, None where none does: the deterministic
    casts, which then compile no band code, a third of their compile time). With ``nans`` (not
    None: a format with float32's exponent field, p the same-range parameters) y takes the
    codes (``same_range_code``, nans the NaN codes by sign), each tile rounded into a scratch
    tile and coded in the rounding's loop (deterministic: ``_same_range_common32``; bfloat16
    encode, 4M standard normal float32, 1 thread, CPU time, alternated: 0.84-1.17 -> 0.61-0.71
    ms against a second loop over the tile in cache; the plain encode 0.40 ms; the values are
    stored only where a tile's counts read them: 0.72-0.75 -> 0.70-0.72 ms, the plain encode
    0.47 ms, stop 66) or after it, while in cache (stochastic)."""
    c = _new_counts()
    tile = zeros(NFLAGS, np.int64)
    values = y if nans is None else empty(CAST_TILE, np.float32)
    seen, dense = np.int64(0), False      # (not a literal 0: helpers it reaches would compile twice)
    buf = empty(SCAN_BLOCK + 2, np.uint64)     # (_dense_band's random words: one allocation, not one a block)
    for a in range(0, x.size, CAST_TILE):
        xs = x[a:a + CAST_TILE]
        ys = values[a:a + CAST_TILE] if nans is None else values[:xs.size]
        codes = y[a:a + CAST_TILE] if nans is not None else y
        inexact, common, coded = _round_common(xs, ys, start + a, rand, seed, p, sr, ft[6], ft[4], dense, codes, nans)
        if coded and (not common or (inexact and not seen & 1)):    # (the counts below read the values)
            _round_tile(xs, ys, start + a, rand, seed, p, sr)
        seen = _count_tile(c, tile, xs, ys, start + a, seen, common, inexact, rand, seed, bands, pu, sru, stochastic,
                           ft, lim, sr, buf)
        dense = not common
        if nans is not None and not coded:
            shift = U32(p[0])
            for i in range(xs.size):
                codes[i] = same_range_code(bits_as(xs[i], np.uint32), bits_as(ys[i], np.uint32), shift, nans)
    return c


@kernel(cache=True, nogil=True)
def round_count_common_sr32(x, y, start, seed, p, k, normal, maxv):
    """The seeded stochastic ``round_count`` of float32 x to a format with float32's exponent
    field (p the same-range parameters, k <= 32 random bits) while its tiles are common
    (``_same_range_sr_common32``: every element zero or of normal magnitude up to maxv, where
    only INEXACT can be set): (counts and first indices as ``round_count``'s, stop) with x[:stop]
    rounded into y and counted; stop < x.size at the first tile that is not common, which the
    caller hands to ``round_count`` with the rest. Ordinary data never compile that kernel's
    bands and scans: bfloat16's first seeded stochastic report=True call after the plain one,
    fresh cache, 10.0-11.1 -> 2.2 s."""
    c = _new_counts()
    for a in range(0, x.size, CAST_TILE):
        xs, ys = x[a:a + CAST_TILE], y[a:a + CAST_TILE]
        inexact, common, _ = _same_range_sr_common32(xs, ys, start + a, seed, p, k, normal, maxv)
        if not common:
            return c, a
        c[0] += inexact
        for i in range(xs.size if inexact and c[NFLAGS] < 0 else 0):
            if xs[i] != ys[i]:
                _first(c, 0, start + a + i)
                break
    return c, x.size


@kernel(cache=True, nogil=True)
def round_count_sr64(x, y, start, rand, seed, p, sr, bands, pu, sru, ft, lim, k):
    """``round_count`` of a float64 x under stochastic rounding with bands (not None; the
    arguments of ``round_count`` less stochastic and nans; k the ``_derive`` constants of
    the format's overflow result), rounded and counted block by block of DRAW_BLOCK elements
    while the block and its random bits are in L1 (``_sr64_tile``), where ``round_count``
    rounds a tile by ``round_sr64`` and counts it in passes of its own, drawing the random
    bits of band elements again; the same counts and first indices (``_tile_firsts``). 1M
    standard normal float64, seed 1, 32 random bits, 1 thread, CPU time, report=True over
    the plain call (4.0-4.7 ms): e4m3 1.49x -> 1.37x, binary16 1.57x -> 1.44x, e2m1 1.74x
    -> 1.50x, e3m2 1.75x -> 1.49x. (One loop that rounds and counts each element was slower
    than both: e4m3 1.8x, its counts held in registers the rounding needs.) On a Zen 4 host
    (AVX-512), plain 1.4 ms, the lean counts and ``_sr64_block``'s cheap pass took e4m3
    1.84x -> 1.56x, e5m2 1.88x -> 1.36x, binary16 1.86x -> 1.30x, bfloat16 1.75x -> 1.18x,
    e2m1 2.22x -> 1.70x; e8m0 (``UnsignedCounts``), counted after the cast before, 2.67x ->
    1.45x."""
    c = _new_counts()
    tile = zeros(NFLAGS, np.int64)
    seen = np.int64(0)
    buf = empty(DRAW_BLOCK + 2, np.uint64)
    for a in range(0, x.size, CAST_TILE):
        xs, ys = x[a:a + CAST_TILE], y[a:a + CAST_TILE]
        _sr64_tile(tile, view_as(xs, np.int64), view_as(ys, np.int64), start + a, rand, seed, p, sr, bands, pu[0],
                   sru[1], ft, buf, k)
        seen = _tile_firsts(c, tile, xs, ys, start + a, seen, rand, seed, bands, pu, sru, STOCHASTIC, ft, lim)
    return c


@inner_inline
def _sr64_tile(tile, x_bits, y_bits, start, rand, seed, p, sr, bands, m, rule, ft, buf, k):
    """Round the tile x_bits into y_bits (float64 bits) as ``round_sr64`` does (the same
    random bits: drawn by blocks of DRAW_BLOCK where rand is empty, else rand[start + i]) and
    set tile[:NFLAGS] to its counts, block by block while its random bits are at hand: the
    lean counts of ``sr64_lean`` (``_sr64_block``), and where the block has elements in a
    band that rounds, what their rounding with an unbounded exponent range adds
    (``_sr64_band``, from the block's random bits: the given ones, or the drawn ones kept in
    a scratch block, so that one inlined copy counts both kinds: the first call compiles
    about 1.2 s less); then the counts derived from them (``derive_of``, k) and, in a tile
    with non-finite inputs, theirs taken from ``_cast_cases``."""
    z = count_zero(x_bits)
    n = (z, z, z, z, z, z)
    bits = sr[0]
    words = view_as(buf, np.uint32)
    dense = np.bool_(False)      # (a boolean, not a literal False: one compile of _sr64_block)
    rbits = empty(DRAW_BLOCK, np.int64)     # (a block's random bits, for its band elements)
    for lo in range(0, x_bits.size, DRAW_BLOCK):
        xs, ys = x_bits[lo:lo + DRAW_BLOCK], y_bits[lo:lo + DRAW_BLOCK]
        if rand.size == 0:      # (two loops, as round_sr64's: see floating._stochastic_loop)
            rb = rbits[:xs.size]
            off = draw_words(buf, seed, start + lo, xs.size, bits)
            for j in range(xs.size):
                rb[j] = drawn_bits(buf, words, off, j, bits)
                ys[j] = round_one(xs[j], p, VALUE, DOM64, STOCHASTIC, rb[j], sr)
        else:
            rb = rand[start + lo:start + lo + xs.size]
            for j in range(xs.size):
                ys[j] = round_one(xs[j], p, VALUE, DOM64, STOCHASTIC, rb[j], sr)
        n, dense = _sr64_block(n, dense, xs, ys, rb, bands, m, bits, rule, ft, k)     # (one copy: rb either way)
    tile[:] = 0
    add_counts(tile, derive_of((ticks(n[0]), ticks(n[1]), ticks(n[2]), ticks(n[3]), ticks(n[4])), k), ONE)
    for i in range(x_bits.size if ticks(n[5]) else 0):
        xi, yi = bits_as(x_bits[i], np.float64), bits_as(y_bits[i], np.float64)
        if not abs(xi) < np.inf:
            f = sr64_lean(xi, yi, ft, k)
            add_counts(tile, derive_of((f[0], f[1], f[2], f[3], f[4]), k), -ONE)
            add_counts(tile, _cast_cases(xi, yi, ft), ONE)


@inner_inline
def _sr64_block(n, dense, xs, ys, rb, bands, m, bits, rule, ft, k):
    """(n plus the lean counts of a rounded block xs -> ys (float64 bits), whether it had
    elements that are not common): where the block before had none (not ``dense``), a cheap
    pass first (``_sr64_common``), enough where every element is zero or of normal magnitude
    up to the largest value (then inexact is its only count); else ``_sr64_cases`` and, for
    elements in a band that rounds, ``_sr64_band`` (rb: the block's random bits). Formats of a
    wide normal range take the cheap pass for nearly every block of standard normal data,
    those of a narrow one (e4m3, e2m1) the full one after a first try."""
    if not dense and not unsigned_rule(k):
        ne, common = _sr64_common(xs, ys, bits_as(ft[6], np.int64), bits_as(ft[4], np.int64))
        if common:
            return (n[0] + ne, n[1], n[2], n[3], n[4], n[5]), False
    rare = n[1] + n[2] + n[3] + n[4] + n[5]
    n, banded = _sr64_cases(n, xs, ys, bands, ft, k)
    if banded:
        n = _sr64_band(n, xs, ys, rb, bands, m, bits, rule, k)
    return n, banded | (n[1] + n[2] + n[3] + n[4] + n[5] != rare)


@inner_inline
def _sr64_common(x_bits, y_bits, normal_bits, max_bits):
    """(inexact, common) of a rounded block x -> y (float64 bits): how many x != y (``tick``
    counts), and whether every |x| is zero or lies in [normal_bits, max_bits], from the
    block's least |x| bits less one (unsigned: a zero's wraps to the largest) and its largest,
    a min and a max per element."""
    ne = count_zero(x_bits)
    least, most = U64(0xFFFFFFFFFFFFFFFF), np.int64(0)
    for j in range(x_bits.size):
        a = x_bits[j] & MAG
        ne = tick(ne, bits_as(x_bits[j], np.float64) != bits_as(y_bits[j], np.float64))
        least, most = minimum(least, U64(a - 1)), maximum(most, a)
    return ne, (least >= U64(normal_bits - 1)) & (most <= max_bits)


def sr64_lean(xi, yi, ft, k):
    """``_sr64_lean``, or ``_sr64_lean_unsigned`` where k is ``UnsignedCounts``."""
    return _sr64_lean_unsigned(xi, yi, ft) if isinstance(k, UnsignedCounts) else _sr64_lean(xi, yi, ft)


@nb.extending.overload(sr64_lean, inline="always")
def _sr64_lean_for(xi, yi, ft, k):
    lean = _sr64_lean_unsigned if _unsigned_type(k) else _sr64_lean
    return lambda xi, yi, ft, k: lean(xi, yi, ft)


def unsigned_rule(k) -> bool:
    """Whether the counting rule k is an ``UnsignedCounts`` (compiled: a constant of k's type,
    which LLVM folds): ``_sr64_block`` takes no cheap pass for one (that pass cannot tell its
    invalid inputs, negatives and zeros), ``_sr64_band`` counts only its inputs x > 0."""
    return isinstance(k, UnsignedCounts)


@nb.extending.overload(unsigned_rule, inline="always")
def _unsigned_rule_for(k):
    unsigned = _unsigned_type(k)
    return lambda k: unsigned


@inner_inline
def _sr64_lean(xi, yi, ft):
    """The lean counts of a stochastic float64 cast's element x -> y (``_lean32``'s: inexact,
    overflow, underflow, flushed, subnormal, x not finite), a compare or two each, from
    thresholds on |x| that stochastic rounding makes one for both signs (ft: ``_cast_cases``';
    an element in a band is neither tiny nor overflowing here, ``_sr64_band`` counts it). For
    a finite x, ``_derive`` of them gives ``_cast_cases``: x -> y changed iff x != y, which
    also makes x nonzero (a zero rounds to a zero, of either sign)."""
    ax = abs(xi)
    ne = xi != yi
    return ne, ax >= ft[2], ne & (ax < ft[0]), ne & (yi == 0), (yi != 0) & (abs(yi) < ft[6]), not ax < np.inf


@inner_inline
def _sr64_lean_unsigned(xi, yi, ft):
    """``_sr64_lean`` of a cast to an unsigned format without a zero (``UnsignedCounts``), as
    ``_lean_unsigned32``: an x at or below +0 (a negative, -0 too, or a zero) is invalid,
    counted in flushed's place and not as inexact; no result is subnormal; the thresholds are
    the positive x's (ft[0], ft[2])."""
    ne = (xi != yi) & (xi > 0)
    return ne, xi >= ft[2], ne & (xi < ft[0]), xi <= 0, False, not abs(xi) < np.inf


@inner_inline
def _sr64_cases(n, x_bits, y_bits, bands, ft, k):
    """(n plus the ``tick`` counts of ``sr64_lean`` (k: ``_derive``'s) over a block, whether one
    of its elements is in a band that rounds), in a loop that vectorizes (n int64:
    ``count_zero``)."""
    c0, c1, c2, c3, c4, c5 = n
    banded = count_zero(x_bits)
    for j in range(x_bits.size):
        xj = bits_as(x_bits[j], np.float64)
        f = sr64_lean(xj, bits_as(y_bits[j], np.float64), ft, k)
        c0, c1, c2, c3, c4, c5 = tick(c0, f[0]), tick(c1, f[1]), tick(c2, f[2]), tick(c3, f[3]), tick(c4, f[4]), \
            tick(c5, f[5])
        banded = tick(banded, _in_band(xj, bands))
    return (c0, c1, c2, c3, c4, c5), banded != 0


@inner_inline
def _sr64_band(n, x_bits, y_bits, rb, bands, m, bits, rule, k):
    """n plus what the rounding with an unbounded exponent range of a block's elements in a
    band that rounds adds to ``sr64_lean``'s counts, which count them as neither tiny nor
    overflowing: their overflows and underflows (``_band_cases``, as ``_dense_band``; rb[j]
    element j's random bits; for an ``UnsignedCounts`` k only those of x > 0, the others
    being invalid)."""
    ovf = underflow = count_zero(x_bits)
    for j in range(x_bits.size):
        v = bits_as(x_bits[j], np.float64)
        over, _, tiny = _band_cases(v, bits_as(y_bits[j], np.float64), rb[j], bands, m, bits, rule,
                                    np.float64(0))      # (its saturated unused: _derive gives it)
        valid = (v > 0) | (not unsigned_rule(k))
        ovf, underflow = tick(ovf, over & valid), tick(underflow, tiny & valid)
    return n[0], n[1] + ovf, n[2] + underflow, n[3], n[4], n[5]


# ----- float32 casts that round and count in one pass over uint32 lanes

MAG32 = U32(0x7FFFFFFF)
INF32 = U32(0x7F800000)
I32 = np.int32
NEVER32 = U32(0xFFFFFFFF)       # a magnitude no result has (lim32's min_bits of formats with zero)
ONE = np.int64(1)               # (an int64, where a literal 1 would be typed as a constant of its own)


@inner_inline
def _cases32(b, o, r, lim32):
    """``_cast_cases`` of a cast of the float32 bits b to the float32 bits o (uint32), in
    uint32 compares only: r the magnitude bits of b rounded with an unbounded exponent range
    (floats; posits: |b|, their overflow and tininess go by |x|), lim32 = (max_bits, min_bits,
    tiny_bits, normal_bits, low_bits): the largest finite value, the value results below it
    are clamped to (posits' minpos; else ``NEVER32``), tiny iff r < tiny_bits (the smallest
    normal; posits: minpos), subnormal iff 0 < |o| < normal_bits (posits: 0), low_bits the
    smallest nonzero result (``_lean32``; posits: 0). The reference of
    ``_lean32``: the scans for first indices and the fixes of special elements use it."""
    max_bits, min_bits, tiny_bits, normal_bits, low_bits = lim32
    a = U32(b & MAG32)
    ao = U32(o & MAG32)
    fin = a < INF32
    ok = fin & (ao <= INF32)                    # finite in, not NaN out
    nan_y = ao > INF32
    ne = (o != b) & (U32(a | ao) != U32(0))     # as floats: -0 == 0
    ovf = fin & (r > max_bits)
    tiny = r < tiny_bits                         # (for x = 0 it sets nothing: y = 0 is exact)
    inf_in = (a == INF32) & (ao < INF32)        # Inf in, a number out
    return ((ok & ne) | (fin & nan_y & ovf) | inf_in, ovf, (ok & ovf & (ao == max_bits)) | (tiny & (ao == min_bits))
            | inf_in, ok & tiny & ne, fin & ne & (ao == U32(0)), fin & (ao != U32(0)) & (ao < normal_bits),
            (a <= INF32) & nan_y, a > INF32)


@inner_inline
def _lean32(b, o, r, lim32):
    """What ``_count32``'s vector pass counts of an element (uint32 bits as ``_cases32``), six
    booleans, a few compares each: (inexact, overflow, underflow, flushed, low_bits <= |o| <
    normal_bits (subnormal), b not finite). Inexact is |o| != |b|: a rounding keeps the sign
    of a nonzero value and takes a zero to a zero, of either sign, exactly (one compare where
    (o != b) & (b != 0) took three: e2m1 stochastic, 1M float32, 1 thread, the counted kernel
    0.49 -> 0.47 ms). For a finite b with a result of the fast kernels
    they decide ``_cases32`` (``_derive``). (Not |o| - 1 < normal_bits - 1: LLVM would fuse
    it with |o| == 0 into a sub-with-overflow, which its loop vectorizer refuses.) The
    magnitudes are compared as int32, one instruction each on AVX2 (an unsigned compare takes
    two or three): r < 2**31 for finite b, and a NaN's (which may wrap) is counted and taken
    back by the same call where its element is fixed (``_tile32``)."""
    max_bits, min_bits, tiny_bits, normal_bits, low_bits = lim32
    a = U32(b & MAG32)
    ao = U32(o & MAG32)
    ne = ao != a
    return ne, I32(r) > I32(max_bits), ne & (I32(r) < I32(tiny_bits)), ne & (ao == U32(0)), \
        U32(ao - low_bits) < U32(normal_bits - low_bits), I32(a) >= I32(INF32)


@inner_inline
def _derive(n, k):
    """The eight counts (``FLAGS`` order, int64) of finite elements from their ``_lean32``
    counts n, k = (sat, tiny_sat, inv, sub) as 0/1: an overflow's result is the largest
    value (sat) or NaN (inv), whichever sign (the fast kernels' ``_finish32``); an underflow
    that is not flushed gives the smallest value (posits: tiny_sat); subnormal results exist
    (sub)."""
    ne, ovf, und, flu, sub = np.int64(n[0]), np.int64(n[1]), np.int64(n[2]), np.int64(n[3]), np.int64(n[4])
    sat, tiny_sat, inv, has_sub = k
    return ne, ovf, ovf * sat + (und - flu) * tiny_sat, und, flu, sub * has_sub, ovf * inv, np.int64(0)


class UnsignedCounts(NamedTuple):
    """The k of ``_derive`` for an unsigned format without a zero (e8m0: ``Pow2Params.invalid``),
    whose lean counts are ``_lean_unsigned32``'s: sat and inv int64 0 / 1; the thresholds
    on the input bits, uint32: set by ``pow2_bounds`` in the deterministic modes; under
    stochastic rounding ``UNSIGNED_SR``'s, which take no element (the step makes every
    element that may overflow or be tiny a special one, ``_pow2_sr_result``)."""
    sat: np.int64       # an overflow's result is the largest value
    inv: np.int64       # ... or NaN
    ovf_from: np.uint32     # the input bits from which the unbounded rounding overflows
    tiny_from: np.uint32    # ... below which it is tiny


UNSIGNED_SR = (U32(0x7FFFFFFF), U32(0))     # ``UnsignedCounts``' thresholds under stochastic rounding: none


@inner_inline
def _lean_unsigned32(b, o, r, lim32, k):
    """``_lean32`` of a cast to an unsigned format without a zero (k: ``UnsignedCounts``; r and
    lim32 unused): an input at or below +0 as int32 (a negative, -0 too, or a zero; NaN and
    Inf are special) is invalid, counted in flushed's place (nothing flushes to a zero that is
    not there) and not as inexact; no result is subnormal; overflow and tininess by k's
    thresholds on b. Four compares where ``_lean32`` took six and a second pass for the
    invalid inputs, and no unbounded rounding."""
    ne = (o != b) & (I32(b) > I32(0))
    return ne, I32(b) >= I32(k.ovf_from), ne & (I32(b) < I32(k.tiny_from)), I32(b) <= I32(0), False, \
        I32(U32(b & MAG32)) >= I32(INF32)


@inner_inline
def _derive_unsigned(n, k):
    """``_derive`` of ``_lean_unsigned32``'s counts n (n[3]: the invalid inputs) for k, an
    ``UnsignedCounts``: an underflow's result is the smallest value (saturated)."""
    ne, ovf, und, inv = np.int64(n[0]), np.int64(n[1]), np.int64(n[2]), np.int64(n[3])
    return ne, ovf, ovf * k.sat + und, und, np.int64(0), np.int64(0), ovf * k.inv + inv, np.int64(0)


@inner_inline
def _bounded(k, q, m):
    """The ``UnsignedCounts`` k with the thresholds of ``pow2_unbounded32`` in the mode m: r is
    monotone in the bits b >= 0, so it overflows iff b >= the first b whose r lies above the
    largest value, and is tiny iff b lies below the first whose r is 2**emin or more."""
    tiny_from = _first_over32(U32(q.normal_bits - U32(1)), q, m)
    return UnsignedCounts(k.sat, k.inv, _first_over32(q.max_bits, q, m), tiny_from)


@inner_inline
def _first_over32(limit, q, m):
    """The least bits b in [0, Inf's] whose ``pow2_unbounded32`` lies above limit (a bisection:
    r is monotone there, and Inf's lies above every finite limit)."""
    lo, hi = U32(0), INF32
    while lo < hi:
        mid = U32(U32(lo + hi) >> U32(1))
        if pow2_unbounded32(mid, q, m) > limit:
            hi = mid
        else:
            lo = U32(mid + U32(1))
    return lo


def lean_of(b, o, r, lim32, k):
    """``_tile32``'s lean counts of an element for the counting rule k: ``_lean_unsigned32``
    where k is ``UnsignedCounts``, else ``_lean32``."""
    return _lean_unsigned32(b, o, r, lim32, k) if isinstance(k, UnsignedCounts) else _lean32(b, o, r, lim32)


def derive_of(n, k):
    """``_derive`` of ``lean_of``'s counts n for k (``_derive_unsigned`` where k is
    ``UnsignedCounts``)."""
    return (_derive_unsigned if isinstance(k, UnsignedCounts) else _derive)(n, k)


def pow2_bounds(k, q, m):
    """k with the thresholds of the deterministic mode m (q: ``Pow2Params``) where k is
    ``UnsignedCounts`` (``_bounded``), else k."""
    return _bounded(k, q, m) if isinstance(k, UnsignedCounts) else k


def _unsigned_type(k) -> bool:
    """Whether the Numba type k is an ``UnsignedCounts``'."""
    return isinstance(k, nb.types.BaseNamedTuple) and k.instance_class is UnsignedCounts


@nb.extending.overload(lean_of, inline="always")
def _lean_of_for(b, o, r, lim32, k):
    if _unsigned_type(k):
        return lambda b, o, r, lim32, k: _lean_unsigned32(b, o, r, lim32, k)
    return lambda b, o, r, lim32, k: _lean32(b, o, r, lim32)


@nb.extending.overload(derive_of, inline="always")
def _derive_of_for(n, k):
    rule = _derive_unsigned if _unsigned_type(k) else _derive
    return lambda n, k: rule(n, k)


@nb.extending.overload(pow2_bounds, inline="always")
def _pow2_bounds_for(k, q, m):
    return (lambda k, q, m: _bounded(k, q, m)) if _unsigned_type(k) else (lambda k, q, m: k)


@inner_inline
def _add_lean(m, f, special):
    """m plus an element's ``_lean32`` counts f (f[5] aside) and ``special``: six uint32
    counts (``tick``)."""
    return (tick(m[0], f[0]), tick(m[1], f[1]), tick(m[2], f[2]), tick(m[3], f[3]), tick(m[4], f[4]),
            tick(m[5], special))


@inner_inline
def _lean_counts(m):
    """The six counts of ``_add_lean``'s m, uint32."""
    return ticks(m[0]), ticks(m[1]), ticks(m[2]), ticks(m[3]), ticks(m[4]), ticks(m[5])


@inner_inline
def _tile32(c, xs, outs, start, lim32, k, step, fix, args, codes, of_input, of_value):
    """Round the tile xs (input bits) into outs and add its counts to c: o, r, special =
    ``step(b, index, *args)`` per element (result bits, r of ``_cases32``, whether ``fix``
    (b, index, o, *args) must give the element's result and ``_cases32`` its flags), ``_lean32``'s counts summed in
    six uint32 lanes (``_add_lean``), in one branch-free pass that vectorizes, then the special
    elements fixed, one by one in the blocks of SCAN_BLOCK elements that have some (a tile
    has at most 64: CAST_TILE; posit8, 4M standard normal float32 of which about 50 lie below
    minpos, 1 thread: report=True 2.1 ms; 2.9 ms one by one through each tile that had some).
    With of_input (else None) the same pass stores codes[i] = of_input(b, index, *args), the
    code of the element's result, and the fixes of_value(o, *args). Returns the tile's eight counts
    (an int64 array)."""
    wide_vectors()                    # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    m = (U32(0), U32(0), U32(0), U32(0), U32(0), U32(0))
    marked = U64(0)                   # bit j: block j of SCAN_BLOCK elements has a special one
    for j, lo in enumerate(range(0, xs.size, SCAN_BLOCK)):
        before = m[5]
        xb, ob = xs[lo:lo + SCAN_BLOCK], outs[lo:lo + SCAN_BLOCK]   # (sliced: indices from 0, see _cast_all)
        cb = codes[lo:lo + SCAN_BLOCK] if of_input is not None else codes
        for i in range(xb.size):
            o, r, special = step(xb[i], start + lo + i, *args)
            ob[i] = o
            if of_input is not None:
                cb[i] = of_input(xb[i], start + lo + i, *args)
            m = _add_lean(m, lean_of(U32(xb[i]), o, r, lim32, k), special)
        marked |= U64(m[5] != before) << U64(j)
    n0, n1, n2, n3, n4, n5 = _lean_counts(m)
    counts = zeros(8, np.int64)
    add_counts(counts, derive_of((n0, n1, n2, n3, n4), k), ONE)
    for j, lo in enumerate(range(0, xs.size if n5 else 0, SCAN_BLOCK)):
        for i in range(lo, minimum(lo + SCAN_BLOCK, xs.size) if (marked >> U64(j)) & U64(1) else lo):
            o, r, special = step(xs[i], start + i, *args)
            if special:
                f = lean_of(U32(xs[i]), o, r, lim32, k)
                add_counts(counts, derive_of((U32(f[0]), U32(f[1]), U32(f[2]), U32(f[3]), U32(f[4])), k), -ONE)
                o = fix(xs[i], start + i, o, *args)
                outs[i] = o
                if of_input is not None:
                    codes[i] = of_value(o, *args)
                add_counts(counts, _cases32(U32(xs[i]), U32(o), r, lim32), ONE)
    add_counts(c, counts, ONE)
    return counts


@inner_inline
def add_counts(c, t, sign):
    """c[j] += sign * t[j] for each j of t (a tuple or an array of counts or booleans; sign an
    int64, ``ONE`` or -``ONE``, not a literal, which would compile a copy per value): a loop of
    scalars, not an array expression, whose broadcasting checks cost compile time."""
    for j in range(len(t)):
        c[j] += sign * np.int64(t[j])


@inner_inline
def _mask(f):
    """The booleans f (a tuple or an array; numbers: whether nonzero) as bits: bit k is f[k]."""
    m = 0
    for k in range(len(f)):
        m |= (1 << k) if f[k] else 0
    return m


@inner_inline
def _count32(x_bits, out, start, lim32, step, args, tile, tile_args, coder, p, cp, coded_tile):
    """Round x_bits into out and count (``numfmt.report``), tile by tile: ``tile(c, xs,
    outs, start, *tile_args)`` rounds a tile, adds its counts to c and returns them
    (``_tile32``, ``_added_tile32``); the first indices are found by a scan of a tile only
    while one of its counts has none yet (``_cases32`` per element, r from ``step``). out:
    the results' bits, or with cp (not None) their codes, each tile (of ``coded_tile``
    elements) rounded into a scratch tile and coded after its counts, ``coder(bits, p, cp)``
    (floats: ``code32``, cp a ``Code32``, p the ``Fast32Params``), or by the tile itself
    (coder None: posits, ``_coded_tile32``, which round into the scratch tile too; a tile
    that codes without values: ``_count_coded32``). A tile of CODE_TILE elements keeps the
    scratch in L1 (e4m3, 4M standard normal float32, 1 thread, CPU time, alternated:
    2.84-3.23 -> 2.69-2.87 ms against CAST_TILE's, in L2); the seeded stochastic tiles keep
    CAST_TILE (their blocks' overheads:
    3.40-3.88 -> 3.64-3.96 ms with CODE_TILE), and so do the posits' coded tiles."""
    c = _new_counts()
    seen = np.int64(0)
    size = CAST_TILE if cp is None else coded_tile
    scratch = scratch_for(out, size) if cp is None else empty(size, np.uint32)
    stand_ins = scratch_for(x_bits, size)
    for lo in range(0, x_bits.size, size):
        xs = stand_in_bits(x_bits[lo:lo + size], stand_ins)
        if cp is None:
            outs = result_bits(out[lo:lo + size], scratch)
        else:
            outs = scratch[:xs.size]
        counts = tile(c, xs, outs, start + lo, *tile_args)
        seen = scan_firsts(c, xs.size, _mask(counts) & ~seen, seen, start + lo, _element_flags32,
                           (xs, outs, start + lo, lim32, step, args), _maybe_flags32)
        if cp is None:
            widened(out[lo:lo + size], outs)
        elif coder is not None:
            codes = out[lo:lo + size]
            for i in range(xs.size):
                codes[i] = coder(outs[i], p, cp)
    return c


@inner_inline
def _count_coded32(x_bits, start, lim32, step, args, tile, tile_args):
    """``_count32`` by tiles that store codes and no values (``_added_tile32`` with codes):
    ``tile(c, xs, None, start, *tile_args)`` codes and counts a tile of CAST_TILE elements
    (they find their codes' place by start), the scan for first indices takes each result
    from ``step``."""
    c = _new_counts()
    seen = np.int64(0)
    stand_ins = scratch_for(x_bits, CAST_TILE)
    for lo in range(0, x_bits.size, CAST_TILE):
        xs = stand_in_bits(x_bits[lo:lo + CAST_TILE], stand_ins)
        counts = tile(c, xs, None, start + lo, *tile_args)
        seen = scan_firsts(c, xs.size, _mask(counts) & ~seen, seen, start + lo, _element_flags32,
                           (xs, None, start + lo, lim32, step, args), _maybe_flags32)
    return c


@inner_inline
def _element_flags32(i, xs, outs, base, lim32, step, args):
    """The count bits (``_mask``) of element i of a cast's tile (``_cases32``); outs None: the
    result is the step's own (a float cast's, ``_own_result``)."""
    o, r, special = step(xs[i], base + i, *args)
    return _mask(_cases32(U32(xs[i]), o if outs is None else U32(outs[i]), r, lim32))


@inner_inline
def _maybe_flags32(i, xs, outs, base, lim32, step, args):
    """Bits that hold at least ``_element_flags32``'s of element i, from |x| alone (a compare
    each, where the element's own flags round it again: the first look of ``scan_firsts``; a
    count that first shows up late in a tile, as the few subnormals of e5m2 on normal data,
    took a scan of the tile up to it, 0.1-0.15 ms per 4M). Inexact needs x != 0; overflow,
    invalid and saturation at the top |x| above the largest value (a larger rounding of |x|
    is on the grid above it); underflow, flushed_to_zero, subnormal and saturation at the
    bottom 0 < |x| below the smallest normal (posits: minpos; a zero is exact or invalid, so it
    sets none of them: ReLU's outputs, half zeros, made every block of a tile a candidate, e5m2
    round report=True 2.5x -> 1.5x its plain call); invalid a negative x or a zero too
    (unsigned formats without a zero: ``count_pow2_32``); a non-finite x may set any."""
    max_bits, _, tiny_bits, normal_bits, _ = lim32
    a = U32(xs[i] & MAG32)
    low = (a < maximum(tiny_bits, normal_bits)) & (a != U32(0))
    return (((INEXACT if a != U32(0) else 0) | ((OVERFLOW | SATURATED | INVALID) if a > max_bits else 0)
             | ((SATURATED | UNDERFLOW | FLUSHED | SUBNORMAL) if low else 0)
             | (INVALID if (xs[i] > MAG32) | (a == U32(0)) else 0))
            | (0xFF if a >= INF32 else 0))


SCAN_BLOCK = 512    # elements per block of ``_band_fixups`` and ``_tile32``'s specials (a tile's: bits of a uint64)
assert CAST_TILE <= 64 * SCAN_BLOCK       # (``_tile32`` marks a tile's blocks in the bits of a uint64)
SCAN_WORD = 64      # elements ``scan_firsts`` marks in one uint64 before it visits the marked ones


@inner_inline
def scan_firsts(c, size, need, seen, base, flags, args, maybe):
    """Record in c the first index, base + i, of each count whose bit is in need, scanning a
    tile's elements i = 0, 1, ... (flags(i, *args): element i's count bits) until each is
    found; returns seen with the found bits added. The tile passes find the counts, this scan
    (run only while a count lacks its first index) where they start: SCAN_WORD elements at a
    time, a loop without exits (which vectorizes) marks in the bits of a uint64 the elements
    whose maybe(i, *args), bits that hold at least the element's (``flags`` itself, or a
    cheaper test: ``_maybe_flags32``), has a needed bit, and only the marked elements are
    visited, by their bits (e4m3's first flushed_to_zero of standard normal data lies about
    1,250 elements in: 8-10 us of full flags a call before, whatever the array's size; 2-3 us
    of one-by-one maybe tests of blocks of 512 after)."""
    for lo in range(0, size if need else 0, SCAN_WORD):
        hi = minimum(lo + SCAN_WORD, size)
        marked = U64(0)
        for i in range(U64(lo), U64(hi)):      # (unsigned: a signed index's wraparound made AVX-512 builds gather)
            marked |= U64((maybe(i, *args) & need) != 0) << U64(i - U64(lo))
        while marked and need:
            i = lo + trailing_zeros(marked)
            marked &= marked - U64(1)
            hit = need & flags(i, *args)
            if hit:
                _firsts(c, hit, base + i, 0)
            need, seen = need & ~hit, seen | hit
        if not need:
            break
    return seen


@inner_inline
def _nearest_step(b, index, p):
    """(``nearest32_one``, |b| rounded to nearest even at its precision in every binade (the
    normal binades' shift, which float32's binades continue without bound), b not finite)."""
    a = U32(b & MAG32)
    return nearest32_one(b, p), nearest_grid32(a, p), a >= INF32


@inner_inline
def _sr_step(b, zk, p):
    """``_nearest_step`` of ``sr_add_one`` with the random bits zk: |b| rounded the same way
    at its precision in every binade (``sr_grid32``)."""
    a = U32(b & MAG32)
    return sr_add_one(b, zk, p), sr_grid32(a, zk, p), a >= INF32


@inner_inline
def _seeded_step(b, index, p, seed, topk):
    """``_sr_step`` with SplitMix64 number ``index`` of seed, its top bits ``topk``."""
    return _sr_step(b, U32(U32(splitmix_bits(seed, index, 32)) & topk), p)


@inner_inline
def _given_step(b, index, p, rand, shift):
    """``_sr_step`` with the given random bits rand[index] (k of them: shift = 32 - k)."""
    return _sr_step(b, U32(U32(rand[index]) << U32(shift & U32(31))), p)


@inner_inline
def _own_result(b, index, o, *args):
    """The result of a special element of a float cast: its step's own, o."""
    return o


@inner_inline
def _float_lim32(p):
    """``_cases32``' lim32 of a float format with zero (p: ``Fast32Params``)."""
    return p.max_bits, NEVER32, p.normal_bits, p.normal_bits, p.q_bits


@kernel(cache=True, nogil=True)
def count_nearest32(x_bits, out, start, p, k, cp):
    """``floating.round_nearest32`` (uint32 bits in and out, p a ``Fast32Params``) counting as it
    goes (``_count32``; k as ``_derive``): the counts (``numfmt.report.FLAGS`` order) and first
    indices. With cp (a ``Code32``, else None) out is the codes (``_count32``)."""
    lim32 = _float_lim32(p)
    return _count32(x_bits, out, start, lim32, _nearest_step, (p,), _tile32,
                    (lim32, k, _nearest_step, _own_result, (p,), None, None, None), code32, p, cp, CODE_TILE)


@inner_inline
def _directed_step(b, index, p, m):
    """``_nearest_step`` of ``directed32_one`` in the deterministic mode m (a ``Mode32``): |b|
    rounded in m's direction at its precision in every binade (``directed_grid32``), b not
    finite."""
    return directed32_one(b, p, m), directed_grid32(b, p, m), U32(b & MAG32) >= INF32


@inner_inline
def _directed_tile32(c, xs, outs, start, lim32, k, p, m, by_sign):
    """``_tile32`` of ``_directed_step``, its overflows derived as p.ovf0's (k), then those of
    negative elements moved to p.ovf1's kind where the mode overflows otherwise by sign
    (toward_positive, toward_negative: by_sign = (saturated, invalid) of ovf1 less ovf0's),
    counted in a pass of their own over a tile that has overflows."""
    counts = _tile32(c, xs, outs, start, lim32, k, _directed_step, _own_result, (p, m), None, None, None)
    if counts[1] and (by_sign[0] | by_sign[1]):
        negative = U32(0)
        for i in range(xs.size):
            b = xs[i]
            negative = tick(negative, (b > MAG32) & (directed_grid32(b, p, m) > p.max_bits) & (U32(b & MAG32) < INF32))
        moved = np.int64(ticks(negative))
        for at, d in ((2, by_sign[0]), (6, by_sign[1])):
            counts[at] += moved * d
            c[at] += moved * d
    return counts


@kernel(cache=True, nogil=True)
def count_directed32(x_bits, out, start, p, m, k, by_sign, cp, key):
    """``floating.round_directed32`` (uint32 bits in and out; p, m: ``casts.floating.
    directed32_args``) counting as it goes, as ``count_nearest32`` (k as ``_derive``, of p.ovf0;
    by_sign as ``_directed_tile32``; out and cp as there): e4m3 toward_zero, 1M standard
    normal float32, 1 thread, CPU time: report=True 1.01 -> 0.46 ms (plain 0.25 ms; encode 2.70
    -> 0.64 ms for e2m1), against ``round_count``'s int64 kernel (encode: a counting pass
    after the cast). The mode's flags (key: ``mode_key(m)``) are compiled in, a kernel per
    mode: the loop is too large for LLVM to unswitch on them, and branched on them."""
    m = constant_mode(m, key)
    lim32 = _float_lim32(p)
    return _count32(x_bits, out, start, lim32, _directed_step, (p, m), _directed_tile32, (lim32, k, p, m, by_sign),
                    code32, p, cp, CODE_TILE)


@inner_inline
def _pow2_step(b, index, q, m):
    """(``pow2_32_one``, ``pow2_unbounded32``, b not finite): ``_tile32``'s step of
    ``count_pow2_32``."""
    return pow2_32_one(b, q, m), pow2_unbounded32(b, q, m), U32(b & MAG32) >= INF32


@inner_inline
def _pow2_sr_unbounded(b, zk, q, tiny):
    """The magnitude of the float32 bits b rounded as ``pow2_sr_one`` rounds it with random
    bits zk and an unbounded exponent range, as far as the report's tininess and overflow go
    by it: in the float32 normal binades ``pow2_sr_grid32``;
    below, 2**emin or 0: 2**emin from 2**emin up, and in 2**(emin - 1)'s binade, [lo, 2 lo),
    where its fraction (|x| - lo) << shift (tiny = (lo, shift): ``casts.floating.
    pow2_sr32_tiny``; lo 0xFFFFFFFF where that binade lies above float32's subnormals) carries
    with zk; an invalid input's 2**emin (it neither overflows nor is tiny)."""
    a = U32(b & MAG32)
    lo, shift = tiny
    up = (a >= q.normal_bits) | ((a >= lo) & carries32(U32(U32(a - lo) << U32(shift & U32(31))), zk))
    r = (q.normal_bits if up else U32(0)) if a < U32(0x00800000) else pow2_sr_grid32(a, zk)
    return q.normal_bits if pow2_invalid(b, a, q) else r


@inner_inline
def _pow2_sr_result(b, zk, q, lift, tiny):
    """(``pow2_sr_one``, ``_pow2_sr_unbounded``, special): a stochastic step of
    ``count_pow2_sr32``. Special: b is not finite, or its rounding may overflow (|b| above
    the largest value) or be tiny (0 < |b| < 2**emin): ``_tile32`` counts such an element by
    ``_cases32``, from its unbounded rounding, and the vector pass takes none of it
    (``_lean_unsigned32``'s thresholds are ``UNSIGNED_SR``'s)."""
    a = U32(b & MAG32)
    special = (I32(a) > I32(q.max_bits)) | (U32(a - U32(1)) < U32(q.normal_bits - U32(1)))
    return pow2_sr_one(b, zk, q, lift), _pow2_sr_unbounded(b, zk, q, tiny), special


@inner_inline
def _pow2_seeded_step(b, index, q, lift, tiny, seed, topk):
    """``_pow2_sr_result`` with SplitMix64 number ``index`` of seed, its top bits ``topk``."""
    return _pow2_sr_result(b, U32(U32(splitmix_bits(seed, index, 32)) & topk), q, lift, tiny)


@inner_inline
def _pow2_drawn_step(b, index, q, lift, tiny, drawn, first):
    """``_pow2_sr_result`` with the random bits drawn[index - first] (``_pow2_drawn_tile32``)."""
    return _pow2_sr_result(b, drawn[U64(index - first)], q, lift, tiny)


@inner_inline
def _pow2_drawn_tile32(c, xs, outs, start, buf, tops, lim32, k, args):
    """``_tile32`` of a seeded stochastic cast (args = ``_pow2_seeded_step``'s, sr_bits
    after them): the tile's random bits drawn first, a SplitMix64 output per pair of elements
    (``numfmt.random.draw_tops``; buf and tops its scratch), the same bits as
    ``_pow2_seeded_step`` draws one by one for the scan of first indices. e8m0, 1M standard
    normal float32, 1 thread, CPU time: report=True 3.0 -> 2.0 ms, plain 1.3 ms (an output per
    element before, as the plain cast draws one per pair)."""
    q, lift, tiny, seed, _, sr_bits = args
    drawn = draw_tops(buf, tops, seed, start, xs.size, sr_bits)[0]
    return _tile32(c, xs, outs, start, lim32, k, _pow2_drawn_step, _own_result, (q, lift, tiny, drawn, start),
                   None, None, None)


@inner_inline
def _pow2_given_step(b, index, q, lift, tiny, rand, shift):
    """``_pow2_sr_result`` with the given random bits rand[index] (shift = 32 - k)."""
    return _pow2_sr_result(b, U32(U32(rand[index]) << U32(shift & U32(31))), q, lift, tiny)


@kernel(cache=True, nogil=True)
def count_pow2_32(x_bits, out, start, q, m, key, k, lim32, cp):
    """``floating.round_pow2_32`` (uint32 bits in and out; q, m, key: ``casts.floating.
    pow2_32_params``') counting as it goes (``_count32`` by ``_tile32``; k as ``_derive``,
    of q.ovf0: the overflow results of both signs have one magnitude there, or an
    ``UnsignedCounts``, whose thresholds it sets, ``pow2_bounds``; lim32 as ``_cases32``): the
    counts and first indices. With cp (a ``Code32``, else None) out is the codes
    (``pow2_code32``). e8m0, 1M standard normal float32, 1 thread, CPU time, nearest even:
    report=True 0.76 -> 0.58 ms (the lean counts of ``UnsignedCounts``), the plain cast 0.36 ms."""
    args = (q, constant_mode(m, key))
    bounded = pow2_bounds(k, q, args[1])
    return _count32(x_bits, out, start, lim32, _pow2_step, args, _tile32,
                    (lim32, bounded, _pow2_step, _own_result, args, None, None, None),
                    pow2_code32, q, cp, CODE_TILE)


@kernel(cache=True, nogil=True)
def count_pow2_sr32(x_bits, out, start, rand, seed, q, lift, tiny, sr_bits, k, lim32, cp):
    """``floating.round_pow2_sr32`` (sr_bits <= 32 random bits; rand None: element i draws
    SplitMix64 number start + i of seed, else rand[start + i]; q, lift: ``casts.floating.
    pow2_sr32_params``', tiny: ``pow2_sr32_tiny``'s) counting as it goes, as
    ``count_pow2_32`` (k, lim32, out and cp as there), a seeded tile's random bits drawn
    before its pass (``_pow2_drawn_tile32``). e8m0, 1M standard normal float32, 1 thread,
    CPU time: report=True 2.0 ms (counted after the cast) -> 0.8 ms, the plain cast 0.34 ms
    (an AVX-512 host)."""
    if rand is None:
        args = (q, lift, tiny, seed, top_bits32(sr_bits))
        buf, tops = empty(CAST_TILE + 2, np.uint64), empty(CAST_TILE, np.uint32)   # (draw_tops' scratch for a tile)
        return _count32(x_bits, out, start, lim32, _pow2_seeded_step, args, _pow2_drawn_tile32,
                        (buf, tops, lim32, k, args + (sr_bits,)), pow2_code32, q, cp, CAST_TILE)
    check_given_bits(rand, start + x_bits.size)
    args = (q, lift, tiny, rand, U32(32 - sr_bits))
    return _count32(x_bits, out, start, lim32, _pow2_given_step, args, _tile32,
                    (lim32, k, _pow2_given_step, _own_result, args, None, None, None), pow2_code32, q, cp, CAST_TILE)


# ----- nearest_even by one float32 addition: a cheaper twin of ``nearest32_one`` for counting

@inner_inline
def _added_params(p):
    """The loop invariants of ``_added32`` and ``_added_lean`` for p (a ``Fast32Params`` that
    ``numfmt.casts.report.adds32`` admits), int32: (d, floor, l, sub_top). d = s << 23, s =
    23 - M the discarded bits; floor = the bits of p.magic, 2**(emin + 23 - M); l = the
    smallest |x| bits whose rounding with an unbounded exponent range (``nearest_grid32``)
    is not tiny: the midpoint under 2**emin, a tie that rounds up to it (the grid point below
    has its last kept bit set); sub_top = normal_bits + 2**31 - 1 (``_added_lean``)."""
    s = U32(p.t_top - p.t_cap)
    return (I32(U32(s << U32(23))), I32(bits_as(np.float32(p.magic), np.uint32)),
            I32(U32(p.normal_bits - U32(p.lsb >> U32(1)))), I32(U32(p.normal_bits + MAG32)))


@inner_inline
def _added32(b, q):
    """The magnitude bits of the float32 bits b rounded to nearest even at the format's
    precision, in the hardware's float32 addition: (|x| + m) - m with m = 2**(max(E, emin) -
    127 + 23 - M), E |x|'s exponent field (q: ``_added_params``): m's last place is |x|'s
    quantum in its binade (below 2**emin the subnormals' quantum; the hardware rounds to
    nearest even, as for ``nearest32_one``'s subnormal step). Where m is a float32
    (E <= 254 - s) that is exact (|x| < m), but where the sum rounds up to 2 * m = 2**128
    (s = 1, E = 253: then Inf); the largest value lies below 2**(128 - s)
    (``numfmt.casts.report.adds32``), so such an x overflows either way, and so does any x
    above, where m is Inf (the result NaN) or a negative number far below x's last place (the
    result x)."""
    return _added_result(*_added_sum(b, q))


@inner_inline
def _added_result(mb, t):
    """``_added32``'s result from ``_added_sum``'s (m's bits, |x| + m): (|x| + m) - m, bits."""
    return bits_as(np.float32(t - bits_as(mb, np.float32)), np.uint32)


@inner_inline
def _added_sum(b, q):
    """(the bits of m, |x| + m) of ``_added32``: int32, float32."""
    d, floor, l, sub_top = q
    a = I32(b & MAG32)
    mb = I32(maximum(I32(I32(a & I32(INF32)) + d), floor))
    return mb, np.float32(bits_as(a, np.float32) + bits_as(mb, np.float32))


@inner_inline
def _added_code(mb, t, floor, s):
    """The magnitude code of ``_added32``'s result from ``_added_sum``'s (mb, t) (floor:
    ``_added_params``'; s = 23 - M) for a result at most the largest value: |x| + m counts
    the result in m's last place, |x|'s quantum, so that its bits less m's are the result in
    quanta (2**M + the fraction code in a normal binade, a carry into the next included; the
    code below 2**emin); the binade's exponent code, less one, is (m's bits - floor's) >> s.
    Integers only (no subnormal float32 product, which costs microcode assists on some
    hosts)."""
    return U32(U32(U32(bits_as(t, np.uint32) - U32(mb)) + U32(U32(mb - floor) >> U32(s & U32(31)))))


@inner_inline
def _added_lean(b, exact, r, q, max_bits):
    """What ``_added_tile32``'s vector pass counts of the cast of the float32 bits b with r =
    ``_added32(b, q)`` and ``exact`` whether the result's magnitude is |b|: (exact, overflow,
    underflow, flushed, subnormal, special), a compare or two each. For a finite b they are
    ``_cases32``'s (o != b iff |o| != |b|: the sign stays but on a flushed result, whose
    magnitude changes too; with r |o| = r but for an overflow; tininess by |x| < l);
    ``special``: b is not finite.
    (0 < r < normal_bits is one signed compare: r + 2**31 - 1 maps r = 0 to the largest
    int32 and 1, 2, ... to -2**31, -2**31 + 1, ...; LLVM's unsigned vector compares take two
    instructions.)"""
    d, floor, l, sub_top = q
    a = U32(b & MAG32)
    return (exact, r > max_bits, (I32(a) < l) & (not exact), (r == U32(0)) & (not exact),
            I32(U32(r + MAG32)) < sub_top, a >= INF32)


@inner_inline
def _finish_added32(a, sign, r, p):
    """``_finish32`` in fewer steps, for the formats of ``numfmt.casts.report.adds32`` (whose
    overflow result for a negative is p.ovf0 with the sign bit set): the sign bit set on every
    result but a zero of a format without -0 (sign & (zero_sign | r | -r): r | -r has the sign
    bit for every r != 0, also for the NaN of the sign bit that ``_added32`` gives past its
    range). Equal to ``_finish32`` but for a NaN of the sign bit where p.nan1 is not p.nan0
    with it (the callers fix those: a cast's in its pass over the non-finite elements; an
    operation's NaN stand-in is positive)."""
    special = p.nan0 if a > INF32 else p.ovf0
    return U32((special if r > p.max_bits else r) | U32(sign & U32(p.zero_sign | U32(r | U32(U32(0) - r)))))


@inner_inline
def added_tally(b, index, step, args, lim32, q):
    """``nearest32_one`` of the float32 bits b by ``_added32`` and ``_finish_added32`` (p =
    args[0], ``_nearest_step``'s; q = ``_added_params(p)``; a NaN b of the sign bit: see there),
    and what a vector pass counts of it: (result bits, ``_lean32``'s six counts by
    ``_added_lean``: inexact, overflow, underflow, flushed, subnormal, b not finite). (index,
    step, lim32: unused, ``step_tally``'s signature.)"""
    p = args[0]
    a = U32(b & MAG32)
    r = _added32(b, q)
    o = _finish_added32(a, U32(b ^ a), r, p)
    exact, ovf, und, flu, sub, special = _added_lean(b, U32(o & MAG32) == a, r, q, p.max_bits)
    return o, (not exact, ovf, und, flu, sub, special)


@inner_inline
def coded_tally(b, p, q, cp):
    """``added_tally`` of a cast's code (cp: ``Code32``): (the code of b's rounding, its counts),
    the code from |x| + m (``_added_code``), the sign's and the overflow's codes as
    ``nearest_code32`` sets them; a NaN b's code is garbage (the callers fix it)."""
    a = U32(b & MAG32)
    mb, t = _added_sum(b, q)
    r = _added_result(mb, t)
    ovf = r > p.max_bits
    neg = I32(b) < I32(0)
    sign = (cp.zero_sign if r == U32(0) else cp.sign_bit) if neg else U32(0)
    code = (cp.ovf1 if neg else cp.ovf0) if ovf else U32(_added_code(mb, t, q[1], U32(p.t_top - p.t_cap)) | sign)
    exact, ovf, und, flu, sub, special = _added_lean(b, (r == a) & (not ovf), r, q, p.max_bits)
    return code, (not exact, ovf, und, flu, sub, special)


@inner_inline
def sum_tally(b, index, step, args, lim32, q):
    """``added_tally`` of a sum or difference of two values (b exact, or rounded to odd where
    float32's is not: ``kernels.machine_arith``), which is never tiny and inexact: below
    2**emin a sum of multiples of the smallest quantum is a subnormal value (every format of
    ``casts.report.adds32`` has subnormals), so it neither underflows nor flushes to zero and
    the pass leaves those counts out."""
    o, f = added_tally(b, index, step, args, lim32, q)
    return o, _sum_counts(f)


@inner_inline
def sum_step_tally(b, index, step, args, lim32, q):
    """``step_tally`` of a sum or difference of two values, as ``sum_tally`` (the formats of
    float32's exponent field, which have subnormals: ``kernels.machine_arith``'s bfloat16 sums)."""
    o, f = step_tally(b, index, step, args, lim32, q)
    return o, _sum_counts(f)


@inner_inline
def _sum_counts(f):
    """A sum's ``_lean32`` counts f without the underflow and flushed ones (``sum_tally``)."""
    return f[0], f[1], False, False, f[4], f[5]


@inner_inline
def normal_tally(b, index, step, args, lim32, q):
    """``added_tally`` of a result that is zero or at least 2**emin (the square root of a value
    of a format whose smallest quantum is at least 2**(2 emin)): it neither underflows, nor
    flushes to zero, nor is subnormal, and the pass leaves those counts out."""
    o, f = added_tally(b, index, step, args, lim32, q)
    return o, (f[0], f[1], False, False, False, f[5])


@inner_inline
def step_tally(b, index, step, args, lim32, q):
    """The tally of any step (``_nearest_step`` ...), in ``added_tally``'s signature (q unused):
    (its result bits, ``_lean32``)."""
    o, r, special = step(b, index, *args)
    return o, _lean32(b, o, r, lim32)


@inner_inline
def _added_tile32(c, xs, outs, start, p, q, lim32, k, codes, first, cp):
    """``_tile32`` for ``count_nearest_added32``: each element rounded and counted by
    ``added_tally`` (with cp, a ``Code32``, coded by ``coded_tally`` into codes[start -
    first:], the codes of a chunk whose element 0 has index first, and outs None: e4m3
    encode, 4M standard normal float32, 1 thread, CPU time, report=True 1.26-1.37 ->
    0.75-0.78 ms, against a second pass that coded a scratch tile of values; the plain encode
    0.55 ms), its counts summed in five uint32 lanes (``tick``: e4m3, 4M standard normal
    float32, 1 thread, report=True 1.48x -> 1.23x the plain cast with AVX-512), then the
    non-finite elements' results from ``nearest32_one`` and counts from ``_cases32`` (only in
    a tile that has some: its largest |b| bits, a max per element where a count of them took
    a compare and two adds; 1.54-1.58x -> 1.43-1.51x). Returns the tile's eight counts."""
    wide_vectors()                    # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    n0 = n1 = n2 = n3 = n4 = U32(0)
    top = I32(0)
    if cp is None:
        dest = outs
    else:
        dest = codes[start - first:start - first + xs.size]
    for i in range(xs.size):
        if cp is None:
            o, f = added_tally(xs[i], i, _nearest_step, (p,), lim32, q)
        else:
            o, f = coded_tally(xs[i], p, q, cp)
        dest[i] = o
        n0 = tick(n0, not f[0])        # the exact ones: one instruction fewer
        n1, n2, n3, n4 = tick(n1, f[1]), tick(n2, f[2]), tick(n3, f[3]), tick(n4, f[4])
        top = maximum(top, I32(xs[i] & MAG32))
    counts = zeros(8, np.int64)
    add_counts(counts, _derive((U32(xs.size - ticks(n0)), ticks(n1), ticks(n2), ticks(n3), ticks(n4)), k), ONE)
    for i in range(xs.size if top >= I32(INF32) else 0):
        b = xs[i]
        a = U32(b & MAG32)
        if a >= INF32:
            if cp is None:
                f = added_tally(b, i, _nearest_step, (p,), lim32, q)[1]
            else:
                f = coded_tally(b, p, q, cp)[1]
            add_counts(counts, _derive((U32(f[0]), U32(f[1]), U32(f[2]), U32(f[3]), U32(f[4])), k), -ONE)
            o = nearest32_one(b, p)
            if cp is None:
                dest[i] = o
            else:
                dest[i] = code32(o, p, cp)
            add_counts(counts, _cases32(b, o, nearest_grid32(a, p), lim32), ONE)
    add_counts(c, counts, ONE)
    return counts


@kernel(cache=True, nogil=True)
def count_nearest_added32(x_bits, out, start, p, k, cp):
    """``count_nearest32`` for the formats that ``numfmt.casts.report.adds32`` admits, in
    fewer instructions: rounded by one float32 addition (``_added32``), counted by compares
    of |x|, the result and the rounded magnitude (``_added_tile32``): its vector loop takes 50
    instructions per 8 elements on AVX2, ``count_nearest32``'s 68 (e4m3, 4M float32, 1 thread,
    CPU time: ``round(report=True)`` 1.1-1.2x the plain cast's time, from 1.35-1.4x); out and
    cp as there."""
    lim32 = _float_lim32(p)
    if cp is None:
        return _count32(x_bits, out, start, lim32, _nearest_step, (p,), _added_tile32,
                        (p, _added_params(p), lim32, k, None, start, None), None, p, None, CAST_TILE)
    return _count_coded32(x_bits, start, lim32, _nearest_step, (p,), _added_tile32,
                          (p, _added_params(p), lim32, k, out, start, cp))


@inner_inline
def _sr_biased(b, zk, p):
    """|b| + the fixed bias of the random bits zk: cut to the kept bits (& p.keep), |b| rounded
    stochastically at its precision in every binade (``_sr_step``'s r)."""
    sh = U32(U32(U32(32) + p.t_cap - p.t_top) & U32(31))
    return U32(U32(b & MAG32) + U32(zk >> sh))


@inner_inline
def _sr_tally(m, b, o, zk, p, uncut):
    """m plus the ``_lean32`` counts of the element b rounded stochastically to o with the
    random bits zk (``_add_lean``, without its non-finite count): r uncut (``_sr_biased``),
    compared with the largest value plus 2**s - 1 and the smallest normal (uncut, both on
    the grid)."""
    f = _lean32(b, o, _sr_biased(b, zk, p), uncut)
    return _add_lean(m, f, False)


@inner_inline
def _sr_counted_block(xs, outs, words, topk, missed, p, cr, lim32, lean, fix):
    """``floating.sr_add_block`` (``sr_pairs_loop``'s block pass of a block outside the
    fixed bias' range) counting the block as ``_tile32`` does, in the loop that rounds it
    (``sr_range_loop`` with ``_sr_tally``; a missed block does not try ``sr_binade`` first):
    its ``_lean32`` counts added to lean (int64: inexact, overflow, underflow, flushed,
    subnormal; the non-finite elements are not counted: the block's largest magnitude says
    whether it has one), a non-finite element's taken back and its ``_cases32`` counts added
    to fix (``FLAGS`` order). A block ``sr_block_end`` rounds again (a NaN in it) counts
    again. Returns (NaN count, False: as ``sr_add_block``)."""
    wide_vectors()                    # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    uncut = (cr[3], lim32[1], lim32[2], lim32[3], lim32[4])
    high, m = sr_range_loop(xs, outs, words, topk, p, cr, _sr_tally, (U32(0), U32(0), U32(0), U32(0), U32(0), U32(0)),
                            (p, uncut))
    nans = sr_block_end(xs, outs, words, topk, p, cr, high)
    if nans | (not cr[5]):              # (sr_block_end rounded the block again: its results counted again)
        m = (U32(0), U32(0), U32(0), U32(0), U32(0), U32(0))
        for j in range(xs.size):
            m = _sr_tally(m, xs[j], outs[j], U32(words[j] & topk), p, uncut)
    n = _lean_counts(m)
    for j in range(xs.size if high >= INF32 else 0):
        r = U32(_sr_biased(xs[j], U32(words[j] & topk), p) & p.keep)
        f = _lean32(xs[j], outs[j], r, lim32)
        if f[5]:
            add_counts(lean, (f[0], f[1], f[2], f[3], f[4]), -ONE)
            add_counts(fix, _cases32(xs[j], outs[j], r, lim32), ONE)
    add_counts(lean, (n[0], n[1], n[2], n[3], n[4]), ONE)
    return nans, False


@inner_inline
def _sr_tile32(c, xs, outs, start, lim32, k, p, buf, seed, sr_bits, q, cr):
    """``_tile32`` of a seeded stochastic cast, counted as it rounds: ``round_sr_add32``'s loop
    (``floating.sr_pairs_loop``, its blocks' random words in buf), whose fixed pass counts the
    inexact elements of its blocks (none of the others can happen there) and whose other
    blocks count themselves (``_sr_counted_block``). The scan for first indices draws an
    element's word again (``_seeded_step``): the tile's words, kept for it (128 KB a tile),
    went through L2 (e4m3, 4M values, 1 thread: 3.6-4.6 -> 2.6 ms; 2.4 ms with the count in
    the rounding loop; the plain cast 1.4 ms)."""
    lean, fix = zeros(5, np.int64), zeros(8, np.int64)
    inexact = sr_pairs_loop(xs, outs, start, seed, sr_bits, q, buf, FIXED_BLOCK, _sr_counted_block,
                            (p, cr, lim32, lean, fix))[1]
    counts = zeros(8, np.int64)
    add_counts(counts, _derive((lean[0] + inexact, lean[1], lean[2], lean[3], lean[4]), k), ONE)
    add_counts(counts, fix, ONE)
    add_counts(c, counts, ONE)
    return counts


@kernel(cache=True, nogil=True)
def count_sr_add32(x_bits, out, start, rand, seed, p, sr_bits, k, cp):
    """``floating.round_sr_add32`` (sr_bits <= 32 random bits, sr_rule "add"; rand None: element
    i draws SplitMix64 number start + i of seed, by tiles: ``_sr_tile32``; else rand[start +
    i]) counting as it goes, as ``count_nearest32`` (out and cp as there). Each of rand's
    types compiles only its own loop (``kernels.pipeline``)."""
    lim32 = _float_lim32(p)
    if rand is None:
        buf = empty(PAIRS_BLOCK // 2 + 2, np.uint64)
        q = fixed_pairs_params(U32(p.t_top - p.t_cap), sr_bits, p.keep, p.normal_bits, p.max_bits)
        return _count32(x_bits, out, start, lim32, _seeded_step, (p, seed, top_bits32(sr_bits)),
                        _sr_tile32, (lim32, k, p, buf, seed, sr_bits, q, sr_range_consts(p)), code32, p, cp,
                        CAST_TILE)
    check_given_bits(rand, start + x_bits.size)
    args = (p, rand, U32(32 - sr_bits))
    return _count32(x_bits, out, start, lim32, _given_step, args, _tile32,
                    (lim32, k, _given_step, _own_result, args, None, None, None), code32, p, cp, CAST_TILE)


@inner_inline
def _posit_step(b, index, c, q, p):
    """(the float trick's result bits (``kernels.posit._fast_value32``, c its constants), |b|,
    whether b lies outside the trick's binades: then ``_posit_fix`` rounds it)."""
    o, outside = posit_kernels._fast_value32(b, c)
    return U32(o), U32(b & MAG32), outside


@inner_inline
def _posit_code_step(b, index, c, q, p):
    """``_posit_step`` of an encode: the value whose code ``_posit_input_code`` gives (one
    rounding for both: ``kernels.posit.shifted_value32``)."""
    o, outside = posit_kernels.shifted_value32(b, c, posit_kernels._code_shift)
    return U32(o), U32(b & MAG32), outside


@inner_inline
def _posit_fix(b, index, o, c, q, p):
    """The result bits of a float32 b outside the float trick's binades: ``cast_one`` (q its
    ``cast_params``, p the mode's flags), as ``kernels.posit.fast_round32`` has it."""
    return U32(posit_kernels.cast_one(np.int64(np.int32(b)), q, p, posit_kernels.DOM32, posit_kernels.VALUE,
                                      posit_kernels.DETERMINISTIC, posit_kernels.NO_RND, posit_kernels.NO_SR))


@inner_inline
def _posit_input_code(b, index, c, q, p):
    """The code (n bits, uint32) of the float trick's rounding of b (``_posit_step``'s args):
    ``kernels.posit._fast_code32``, garbage where the step's element is special."""
    return posit_kernels.as_code(posit_kernels._fast_code32(b, c)[0], posit_kernels.code_mask32(c))


@inner_inline
def _posit_value_code(o, c, *rest):
    """The code of the posit value o (float32 bits; ``_posit_step``'s args):
    ``kernels.posit.value_code32``."""
    return posit_kernels.value_code32(o, c)


@inner_inline
def _coded_tile32(c, xs, outs, start, codes, first, lim32, k, step, fix, args, of_input, of_value):
    """``_tile32`` storing codes too (of_input not None), into codes[start - first:] (codes: a
    chunk's whole output, first: its element 0's index)."""
    if of_input is None:
        return _tile32(c, xs, outs, start, lim32, k, step, fix, args, codes, of_input, of_value)
    lo = start - first
    return _tile32(c, xs, outs, start, lim32, k, step, fix, args, codes[lo:lo + xs.size], of_input, of_value)


@inner_inline
def _posit_counting(n, es, p):
    """(c, args, k): the float trick's constants, ``_posit_step``'s arguments and ``_derive``'s
    k of a posit cast counted in one pass: overflow and underflow saturate to maxpos and
    minpos unless flushed."""
    one, zero = np.int64(1), np.int64(0)
    c = posit_kernels._fast_args32(n, es, p, False)
    return c, (c, posit_kernels.cast_params(n, es), p), (one, one, zero, zero)


@nb.njit(cache=True, nogil=True)
def count_posit_round32(x_bits, out_bits, start, n, es, p, lim32):
    """``kernels.posit.fast_round32`` (float32 bits in and out as uint32, posit<n, es>, p the
    deterministic mode's flags) counting as it goes (``_count32``): lim32 = (maxpos, minpos,
    minpos, 0, 0) as float32 bits (``_cases32``)."""
    c, args, k = _posit_counting(n, es, p)
    return _count32(x_bits, out_bits, start, lim32, _posit_step, args, _tile32,
                    (lim32, k, _posit_step, _posit_fix, args, None, None, None), None, p, None, CAST_TILE)


@nb.njit(cache=True, nogil=True)
def count_posit_encode32(x_bits, codes, start, n, es, p, lim32):
    """``kernels.posit.fast_encode32`` (float32 bits as uint32 in, codes out) counting as
    ``count_posit_round32`` counts, the codes stored by the counting pass (``_coded_tile32``)
    while the values go to a scratch tile (the scan for first indices reads them): 4M
    standard normal float32, posit16, 1 thread, CPU time: 3.4 ms; 3.9 ms where the values
    were coded after the counts (``kernels.posit.value_code32``); the plain encode 2.5 ms."""
    c, args, k = _posit_counting(n, es, p)
    return _count32(x_bits, codes, start, lim32, _posit_code_step, args, _coded_tile32,
                    (codes, start, lim32, k, _posit_code_step, _posit_fix, args, _posit_input_code, _posit_value_code),
                    None, p, c, CAST_TILE)


@inner_inline
def _posit_sr_result(b, zk, c, below):
    """``_posit_step``'s triple under stochastic rounding, the bias the top bits of zk
    (``kernels.posit.shifted_sr_value32``, ``below`` as there)."""
    o, outside = posit_kernels.shifted_sr_value32(b, zk, c, below)
    return U32(o), U32(b & MAG32), outside


@inner_inline
def _posit_drawn_step(b, index, c, q, p, seed, sr, drawn, first):
    """``_posit_step`` under stochastic rounding (seeded, sr_rule "add"), the bias the random
    bits drawn[index - first] (``_drawn_tile32``)."""
    return _posit_sr_result(b, drawn[U64(index - first)], c, None)


@inner_inline
def _posit_drawn_code_step(b, index, c, q, p, seed, sr, drawn, first):
    """``_posit_drawn_step`` of an encode (``_posit_code_step``'s reason)."""
    return _posit_sr_result(b, drawn[U64(index - first)], c, posit_kernels._code_shift)


@inner_inline
def _posit_drawn_code(b, index, c, q, p, seed, sr, drawn, first):
    """``_posit_input_code`` under stochastic rounding (``kernels.posit._fast_sr_code32``)."""
    code = posit_kernels._fast_sr_code32(b, 0, drawn[U64(index - first)], 0, c)[0]
    return posit_kernels.as_code(code, posit_kernels.code_mask32(c))


@inner_inline
def _posit_sr_fix(b, index, o, c, q, p, seed, sr, *tile):
    """``_posit_fix`` under stochastic rounding: ``cast_one`` with the random number of
    element index (``element_bits``), as ``kernels.posit.round32_rest`` has it."""
    return U32(posit_kernels.seeded_value32(np.int64(np.int32(b)), index, seed, q, p, sr))


@inner_inline
def _drawn_tile32(c, xs, outs, start, buf, tops, args, codes, first, lim32, k, step, of_input):
    """``_coded_tile32`` of a seeded stochastic posit cast (args = (c, q, p, seed, sr)): the
    tile's random bits drawn first, at the top of a uint32 each (``numfmt.random.draw_tops``,
    buf and tops its scratch: for k <= 32 one SplitMix64 loop and no copy), where the tile's
    steps (``_posit_drawn_step``) read them."""
    drawn = draw_tops(buf, tops, args[3], start, xs.size, args[4][0])[0]
    return _coded_tile32(c, xs, outs, start, codes, first, lim32, k, step, _posit_sr_fix, args + (drawn, start),
                         of_input, _posit_value_code)


@inner_inline
def _count_posit_sr32(x_bits, out, start, seed, n, es, p, sr, lim32, step, of_input, cp):
    """A seeded stochastic posit cast (sr = (sr_bits, 0): sr_rule "add") counted in one pass:
    ``_count32`` by ``_drawn_tile32`` tiles; out the values' bits (cp None)
    or their codes (cp: ``kernels.posit._fast_args32``; step ``_posit_drawn_code_step``,
    of_input ``_posit_drawn_code``)."""
    c, plain, k = _posit_counting(n, es, p)
    args = plain + (seed, sr)
    buf, tops = empty(CAST_TILE + 2, np.uint64), empty(CAST_TILE, np.uint32)   # (draw_tops' scratch for a tile)
    # (the scan for first indices reads a step's r alone: |b|, for any rounding)
    return _count32(x_bits, out, start, lim32, _posit_step, plain, _drawn_tile32,
                    (buf, tops, args, out, start, lim32, k, step, of_input), None, p, cp, CAST_TILE)


@nb.njit(cache=True, nogil=True)
def count_posit_sr_round32(x_bits, out_bits, start, seed, n, es, p, sr, lim32):
    """``kernels.posit.round32`` and ``round32_rest`` (float32 bits in and out as uint32,
    seeded, sr = (sr_bits, 0): sr_rule "add") counting as ``count_posit_round32`` counts."""
    return _count_posit_sr32(x_bits, out_bits, start, seed, n, es, p, sr, lim32, _posit_drawn_step, None, None)


@nb.njit(cache=True, nogil=True)
def count_posit_sr_encode32(x_bits, codes, start, seed, n, es, p, sr, lim32):
    """``kernels.posit.encode32`` and ``encode32_rest`` (float32 bits as uint32 in, codes out)
    counting as ``count_posit_sr_round32`` counts, coding as ``count_posit_encode32``."""
    return _count_posit_sr32(x_bits, codes, start, seed, n, es, p, sr, lim32, _posit_drawn_code_step,
                             _posit_drawn_code, posit_kernels._fast_args32(n, es, p, False))


@nb.njit(cache=True, nogil=True)
def count_posit(x, y, start, lim):
    """Counts of a posit cast: overflow and saturation above maxpos, underflow and saturation
    below minpos (posits round neither to zero nor to infinity); passes as ``count_float``,
    with lim = (maxpos, minpos, 0, 0, 0, below, above), below and above the float64 neighbours
    of minpos toward 0 and of maxpos toward infinity: no band, |x| alone decides."""
    c = _new_counts()
    seen = np.int64(0)      # (not a literal 0: helpers it reaches would compile twice)
    idx = empty(TILE + 8, np.int64)
    dense = np.bool_(False)      # (a boolean, not a literal False: _tile_counts compiles once)
    for a in range(0, x.size, TILE):
        xs, ys = x[a:a + TILE], y[a:a + TILE]
        seen, _, dense = _tile_counts(c, xs, ys, idx, dense, start + a, lim[1], lim[0], lim, ROUND_BANDS, seen)
    return c


@inner_inline
def _split(a):
    """Veltkamp's split of a float64: (hi, lo) with a = hi + lo, each of at most 26 bits."""
    t = a * 134217729.0                     # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


@inner_inline
def _is_product(x, v, scale):
    """Whether x == v * scale exactly (v an integer below 2**53, all finite, no underflow):
    the rounded product and Dekker's exact error term."""
    p = v * scale
    vh, vl = _split(v)
    sh, sl = _split(scale)
    err = ((vh * sh - p) + vh * sl + vl * sh) + vl * sl
    return (p == x) & (err == 0)


@inner_inline
def _inside(t, lo, hi):
    """Whether x / scale + zp = t (rounded) lies clearly inside [lo, hi]: no overflow possible."""
    return (t >= lo + 2) & (t <= hi - 2)


@inner_inline
def _far_flags(xi, t, q, z, lo, hi, wrap):
    """The flags of an element of an integer cast whose x / scale + zp = t (rounded) lies
    clearly outside [lo, hi] (x finite; a range within 2**50, where t is off by less than 2),
    else 0: it overflows and is inexact, saturated where clamped, flushed where wrapped to zp."""
    far = ((t < np.float64(lo) - 2) | (t > np.float64(hi) + 2)) & (abs(xi) < np.inf) & (hi < 1 << 50) & (lo > -(1 << 50))
    clamped = (not wrap) & ((q == lo) | (q == hi))
    m = INEXACT | OVERFLOW | (SATURATED if clamped else 0) | (FLUSHED if (q == z) & (xi != 0) else 0)
    return m if far else 0


@inner
def _fixed_rare(xi, q, sc, z, index, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """The flags of one element of an integer cast near or beyond its range (or NaN): x / scale
    is rounded once more with an unbounded range and the element's random number (selects
    only, but for drawing the random number)."""
    v = q - z
    frac, ex = math.frexp(sc)
    rnd = element_bits(rand, seed, index, sr_bits) if mode == 6 else np.int64(0)
    k = round_fixed_bits(bits_as(np.float64(xi), np.int64), np.int64(frac * 9007199254740992.0), np.int64(ex - 53),
                         mode, -WIDE, WIDE, False, rnd, sr_bits, sr_nearest) + z
    special = abs(xi) == np.inf
    ovf = ((k < lo) | (k > hi)) & (not special)
    exact = (not special) & (abs(np.float64(v)) < 9007199254740992.0) & _is_product(xi, np.float64(v), sc)
    clamped = (not wrap) & ((q == lo) | (q == hi))
    f = (0 if exact else INEXACT) | ((OVERFLOW | (SATURATED if clamped else 0)) if ovf else 0)
    f |= SATURATED if special & clamped else 0
    f |= FLUSHED if (xi != 0) & (v == 0) else 0
    return NAN_IN if xi != xi else f


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fixed(x, res, start, scale, zp, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """Counts of an integer cast res = policy(round(x / scale) + zp) in [lo, hi] (saturate, or
    ``wrap``): x float64, res the cast's integers (int64), scale (float64) and zp (int64) of
    size 1 or x.size, tile by tile (``_fixed_tile``)."""
    c = _new_counts()
    s_step = 0 if scale.size == 1 else 1
    z_step = 0 if zp.size == 1 else 1
    for a in range(0, x.size, TILE):
        b = minimum(a + TILE, x.size)
        _fixed_tile(c, x[a:b], res[a:b], start + a, scale[a * s_step:], s_step, zp[a * z_step:], z_step,
                    mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest)
    return c


@inner_inline
def _fixed_tile(c, x, res, start, scale, s_step, zp, z_step, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest):
    """Add the counts of one tile to c. Elements whose x / scale + zp lies clearly inside the
    range count inexact (res - zp times scale is not x, tested exactly) and flushed_to_zero in a
    branch-free pass (element i's scale and zero point: scale[i * s_step], zp[i * z_step], the
    steps 0 or 1: no branch); a scan handles the others (``_fixed_rare``) and finds the first
    indices."""
    rare = 0
    inexact = 0
    flushed = 0
    far_lo = far_hi = np.int64(0)      # (not literal 0s: helpers it reaches would compile twice)
    for i in range(x.size):
        xi = x[i]
        sc = scale[i * s_step]
        z = zp[i * z_step]
        v = res[i] - z
        t = xi / sc + z
        inside = _inside(t, lo, hi)
        far = _far_flags(xi, t, res[i], z, lo, hi, wrap)
        f_lo, f_hi = _spread(far)
        far_lo += f_lo
        far_hi += f_hi
        rare += (not inside) & (far == 0)
        inexact += inside & (not _is_product(xi, np.float64(v), sc))
        flushed += inside & (v == 0) & (xi != 0)
    c[0] += inexact
    c[FLUSHED_AT] += flushed
    _unpack(c, far_lo, far_hi)
    need_inexact = inexact > 0
    need_flushed = flushed > 0
    need_far = _present(far_lo, far_hi)
    acc_lo = acc_hi = seen = np.int64(0)      # (not literal 0s: helpers it reaches would compile twice)
    for i in range(x.size):         # the rare elements, the first far ones, common inexact and flushed
        if not (rare or need_inexact or need_flushed or need_far):
            break
        xi = x[i]
        sc = scale[i * s_step]
        z = zp[i * z_step]
        v = res[i] - z
        far = _far_flags(xi, xi / sc + z, res[i], z, lo, hi, wrap)
        if far:
            if far & need_far:
                _firsts(c, far & need_far, start + i, 0)
                need_far &= ~far
            continue
        if not _inside(xi / sc + z, lo, hi):
            m = _fixed_rare(xi, res[i], sc, z, start + i, mode, lo, hi, wrap, rand, seed, sr_bits, sr_nearest)
            f_lo, f_hi = _spread(m)
            acc_lo += f_lo
            acc_hi += f_hi
            seen = _firsts(c, m, start + i, seen)
            rare -= 1
            continue
        if need_inexact and not _is_product(xi, np.float64(v), sc):
            _first(c, 0, start + i)
            need_inexact = False
        if need_flushed and (v == 0) & (xi != 0):
            _first(c, FLUSHED_AT, start + i)
            need_flushed = False
    _unpack(c, acc_lo, acc_hi)


@inner_inline
def _fixed_cast_flags(cases, wrap):
    """The flags of an element of an integer cast from its ``kernels.fixed.element_cases``."""
    is_nan, is_inf, is_ovf, is_inexact, is_flushed = cases
    return ((INEXACT if is_inexact else 0) | (OVERFLOW if is_ovf else 0)
            | (SATURATED if (is_ovf | is_inf) & (not wrap) else 0) | (FLUSHED if is_flushed else 0)
            | (NAN_IN if is_nan else 0))


@inner_inline
def _count_fixed_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, stochastic, nearest_even):
    """``count_fixed_cast`` (``stochastic`` and ``nearest_even`` literals, as
    ``kernels.fixed._cast_tiles`` takes them)."""
    flags = flags_of(mode, sr_bits, sr_nearest)
    cnt = _new_counts()
    seen = nan = inf = ovf = 0
    for a in range(0, x.size, CAST_TILE):
        xs, ys = x[a:a + CAST_TILE], out[a:a + CAST_TILE]
        t_nan, t_inf, t_ovf, t_inexact, t_flushed = fast_tile(xs, ys, start + a, c, flags, wrap, stochastic,
                                                               True, rand, seed, sr_bits, nearest_even)
        t_sat = 0 if wrap else t_ovf + t_inf
        nan += t_nan
        inf += t_inf
        ovf += t_ovf
        tile = (t_inexact, t_ovf, t_sat, 0, t_flushed, 0, 0, t_nan)
        need = 0
        for k in range(8):
            cnt[k] += tile[k]
            need |= (1 << k) if tile[k] else 0
        need &= ~seen
        for i in range(xs.size if need else 0):
            xi = xs[i] * c.one
            rnd = element_bits(rand, seed, start + a + i, sr_bits) if stochastic else np.int64(0)
            t, k_u, k = fast_element(xi, c, flags, wrap, stochastic, rnd)
            hit = _fixed_cast_flags(element_cases(xi, t, k_u, k, c), wrap) & need
            if hit:
                _firsts(cnt, hit, start + a + i, 0)
                need &= ~hit
                seen |= hit
                if not need:
                    break
    return np.concatenate((cnt, np.array([nan, inf, ovf])))


@nb.njit(cache=True, nogil=True)
def count_fixed_cast(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest):
    """``kernels.fixed.cast_fast`` counting as it goes, in the same pass (``fast_tile``), tile by
    tile: the counts (``numfmt.report.FLAGS`` order) and first indices of an integer cast, then
    ``cast_fast``'s (nan, inf, ovf). The first indices come from a scan of the tile that
    rounds its elements once more, only while a count of the tile has none yet."""
    return _count_fixed_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, False, False)


@nb.njit(cache=True, nogil=True)
def count_fixed_cast_nearest_even(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest):
    """``count_fixed_cast`` rounding to nearest even with saturation
    (``kernels.fixed.cast_nearest_even``)."""
    return _count_fixed_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, False, True)


@nb.njit(cache=True, nogil=True)
def count_fixed_cast_sr(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest):
    """``count_fixed_cast`` under stochastic rounding (``kernels.fixed.cast_fast_sr``)."""
    return _count_fixed_tiles(x, out, start, c, mode, wrap, rand, seed, sr_bits, sr_nearest, True, False)


# the counting cast kernel of each ``kernels.fixed.step_kind``
COUNT_FIXED_CASTS = {"deterministic": count_fixed_cast, "nearest_even": count_fixed_cast_nearest_even,
                     "stochastic": count_fixed_cast_sr}


@inner_inline
def _fixed_element_flags(v, ye, rnd, fx):
    """Flags of a fixed-point block element (v the exact element value, ye its result), but
    INEXACT; fx = (e_s, lo, hi, mode, sr_bits, sr_nearest): the element integer is v * 2**-e_s
    rounded, saturated to [lo, hi] (the block clamps)."""
    e_s, lo, hi, mode, sr_bits, sr_nearest = fx
    k = round_fixed_bits(bits_as(np.float64(v), np.int64), np.int64(1), e_s, mode, -WIDE, WIDE, np.bool_(False), rnd,
                         sr_bits, np.bool_(sr_nearest))     # (the types of the element's: one _round_parts)
    m = (OVERFLOW | SATURATED) if (k < lo) | (k > hi) else 0
    return m | (FLUSHED if (v != 0) & (ye == 0) else 0)


BAND = 1 << 15       # a mark in a block mask: the element's rounding decides its flags


TINY64 = 2.0 ** -1074      # ``_block_values``' stand-in for a nonzero nvfp4 element value whose fl32 is 0


@inner_inline
def _block_values(x, y, has_y, i, e, s, ts, nvfp4):
    """(x, v, y) of block element i as float64: its input, its exact element value v = x / s
    (below float64's normal range rounded to odd, ``_unscaled64``: still tiny and nonzero, where
    the quotient rounded to nearest could be 0; nvfp4: the recipe's fl32(x / fl32(ts * s)), or
    +-TINY64 where that is 0 and x is not, whose exact quotient is tiny, not 0) and
    the cast's value (y[i] if has_y, else from the element value e: e * s; nvfp4: fl32(e *
    fl32(ts * s))). Selects only: y is read either way (pass x when there is no y), so that a
    loop of it vectorizes."""
    xi = np.float64(x[i])
    total = ts * np.float32(s)
    q32 = np.float32(x[i]) / total
    # every operand computed first: then the choices below are selects, no branches
    v_nvfp4 = np.float64(q32) if (q32 != 0) | (xi == 0) else np.copysign(TINY64, xi)
    v_pow2 = _unscaled64(xi, 1.0 / s, s)
    y_nvfp4 = np.float64(np.float32(e) * total)
    y_pow2 = e * s
    given = np.float64(y[i])
    y_codes = y_nvfp4 if nvfp4 else y_pow2
    return xi, v_nvfp4 if nvfp4 else v_pow2, given if has_y else y_codes


@inner_inline
def _element(y, codes, table, i, s, derive):
    """The element value of block element i: its result over the scale where ``derive`` (a
    power-of-two round: y[i] / s is exact, and codes is a placeholder read at 0), else its
    code's value."""
    from_code = table[codes[(i - i) if derive else i]]
    from_y = np.float64(y[i]) / s
    return from_y if derive else from_code


@inner_inline
def _block_mask(xi, v, yi, e, s, lim, thr, fixed, fixed_range):
    """The flags of a block element (branch-free), or BAND where the element's rounding must
    decide them (float elements: ``_bounds``; fixed-point: v outside fixed_range, the smallest
    and the largest element)."""
    ovf, tiny, band = _bounds(v, lim, thr)
    m = _flags(v, e, ovf, tiny, lim[0], lim[1], lim[2]) & ~INEXACT
    fixed_band = (v < fixed_range[0]) | (v > fixed_range[1])
    fixed_m = FLUSHED if (v != 0) & (e == 0) else 0
    band = fixed_band if fixed else band
    m = fixed_m if fixed else m
    return _nan_scale_or_input((BAND if band else m) | (INEXACT if yi != xi else 0), xi, s)


@inner_inline
def _nan_scale_or_input(m, xi, s):
    """A block element's flags m, but INVALID where its scale s is NaN (its block held a NaN or
    an Inf) and NAN_IN where its input xi is NaN."""
    m = INVALID if s != s else m
    return NAN_IN if xi != xi else m


@inner
def _element_flags(v, e, rnd, p, sr, stochastic, lim, fixed, fx):
    """The flags of a block element from its rounding, but INEXACT: ``_fixed_element_flags``
    or ``_float_flags`` (not inlined: a kernel of its own compiles faster)."""
    return _fixed_element_flags(v, e, rnd, fx) if fixed else _float_flags(v, e, rnd, p, sr, stochastic, lim) & ~INEXACT


@inner_inline
def _band_rounded(v, e, rnd, p, sr, lim):
    """``_element_flags`` of a float element v (result e) in a band of a stochastic rounding,
    branch-free, with its random bits rnd: overflow and tininess by ``_band_magnitude`` (the
    unbounded rounding p's fraction bits; sr: the kernel's ``sr_params``), as
    ``_rounded_flags``' ``round_one`` rounds it there."""
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    g = _band_magnitude(v, p.M, sr[0], sr[1], rnd)
    return _flags(v, e, (g > max_bits) & (g <= INF_BITS), g < normal_bits, maxv, minv, normal) & ~INEXACT


@inner_inline
def _block_run(x, y, has_y, derive, codes, table, scales, i0, sbase, sstep, length, ts, nvfp4, lim, thr, fixed,
               fixed_range, band):
    """The first pass over a run of ``block_element_flags``, branch-free (it vectorizes: no
    stores): (lo, hi) the ``_spread`` counts of its elements but the BAND ones, and how many
    are BAND. With ``band`` = (dense, seed, start, p, sr) and dense true (float elements of a
    seeded stochastic rounding of at most 32 random bits) a band element's flags come from its
    rounding here (``_band_rounded``), none is left BAND: mxfp4, 1024 x 1024 standard normal float64
    (a third of the elements in its lower band (0.5, 1)), seeded, 1 thread, CPU time:
    report=True 15.5 -> 5.7 ms, plain 1.7 ms, where each went through ``_element_flags``."""
    lo = hi = 0
    bands = 0
    c0 = i0 * (1 - derive)      # (the codes' placeholder of a power-of-two round: read at 0)
    xs, ys, cs, ss = x[i0:i0 + length], y[i0:i0 + length], codes[c0:c0 + length], scales[sbase:]
    for t in range(length):     # (sliced: indices from 0, where i0 + t, which LLVM cannot prove
        s = ss[t * sstep]       # non-negative, gathered element by element: 37.7 -> 28.7 ms as above)
        e = _element(ys, cs, table, t, s, derive)
        xi, v, yi = _block_values(xs, ys, has_y, t, e, s, ts, nvfp4)
        m = _block_mask(xi, v, yi, e, s, lim, thr, fixed, fixed_range)
        if band is not None:    # (either branch pruned: kernels.pipeline)
            dense, seed, start, p, sr = band
            rnd = np.int64(splitmix_bits(seed, start + i0 + t, 32)) >> (32 - sr[0])
            m = ((m & INEXACT) | _band_rounded(v, e, rnd, p, sr, lim)) if (m & BAND) and dense else m
        bands += m >> 15
        f_lo, f_hi = _spread(0 if m & BAND else m)
        lo += f_lo
        hi += f_hi
    return lo, hi, bands


RUN = 64             # elements of a run along the axis (blocks not along the last axis)
PIECE = 1 << 15      # the most elements of a run within a block (the last axis): ``_spread``'s fields hold FIELD_MAX


@inner_inline
def _common_run(x, y, i0, length, scales, sbase, sstep, normal, maxv):
    """A cheap first pass over a run of a power-of-two round (elements i0 .. i0 + length - 1,
    element t's scale scales[sbase + t * sstep], sstep 0 or 1): (inexact, rare), how many
    elements differ from their value and how many are not common. A common element
    (normal <= |x / s| <= maxv, so neither NaN nor in a band) can set INEXACT only: float
    elements with normal their smallest normal and maxv up to their overflow threshold (between
    the largest value and it they round to the largest, inexact only), fixed-point ones
    with normal their last place (no element of that size rounds to zero) and maxv their
    largest; the thresholds are scaled instead of x (exact: s is a power of two)."""
    xs = x[i0:i0 + length]
    ys = y[i0:i0 + length]
    inexact = 0
    rare = 0
    if sstep == 0:          # one block: its thresholds once
        lo_t, hi_t = normal * scales[sbase], maxv * scales[sbase]
        for t in range(length):
            xi = np.float64(xs[t])
            ax = abs(xi)
            rare += not ((ax >= lo_t) & (ax <= hi_t))
            inexact += np.float64(ys[t]) != xi
        return inexact, rare
    ss = scales[sbase:sbase + length]
    for t in range(length):
        xi = np.float64(xs[t])
        rare += not _common_element(xi, ss[t], normal, maxv)
        inexact += np.float64(ys[t]) != xi
    return inexact, rare


@inner_inline
def _add_inexact(counts, b0, x, y, scales, i0, length):
    """counts[b0 + t] += whether element i0 + t (of block b0 + t, t < length) of a power-of-two
    round is INEXACT: it differs from its cast's value, and neither it nor its scale is NaN
    (``_block_mask``). Vectorizes: no gathers."""
    for t in range(length):
        xi, s = np.float64(x[i0 + t]), scales[b0 + t]
        counts[b0 + t] += (np.float64(y[i0 + t]) != xi) & (xi == xi) & (s == s)


@inner_inline
def _common_element(xi, s, normal, maxv):
    """Whether element xi of a power-of-two round with scale s is common (``_common_run``)."""
    ax = abs(xi)
    return (ax >= normal * s) & (ax <= maxv * s)


# flags as ``_spread``'s words: lo's (INEXACT, OVERFLOW with SATURATED, UNDERFLOW), hi's (FLUSHED, SUBNORMAL)
INEXACT_FIELD, OVERFLOW_FIELDS, UNDERFLOW_FIELD = (spread_words(f)[0] for f in (INEXACT, OVERFLOW | SATURATED, UNDERFLOW))
FLUSHED_FIELD, SUBNORMAL_FIELD = (spread_words(f)[1] for f in (FLUSHED, SUBNORMAL))


@inner_inline
def _pow2_float_flags(xv, value, inv, scl, rnd, params, exact):
    """The flags of a float element of a power-of-two block round as it rounds
    (``kernels.block._pow2_rows``' flags_of; signed elements with a zero, saturating): xv its
    input, value the cast's value (float64), inv = 2**-s and scl = 2**s of its scale (NaN: a
    NaN scale, the element invalid, or NaN in), rnd its random bits (None: a deterministic
    mode); params = (lim, thr, p, sr, fx, fixed_range) (``numfmt.casts.report._element_flag_params``).
    The element value v = xv / 2**s and result value / 2**s (exact) go by ``_flags``' rules,
    nonzero where xv is (a float64 quotient can underflow to 0); in the bands of ``_bounds``
    the unbounded rounding to the element's precision goes up (overflow; not tiny) iff the
    thresholds say so or, stochastic, iff ``stochastic_away`` carries v's discarded bits with
    rnd (as ``_band_cases``). ``exact`` None: (lo, hi, 0) as ``_spread`` gives them, each
    field a select of a constant (bits, then ``_spread``, cost half as much again), the scale
    taken as not NaN (``_pow2_rows`` looks again at blocks whose scale is); else the flag bits.
    Branch-free."""
    lim, thr, p, sr, fx, fixed_range = params
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    xi = np.float64(xv)
    v = xi * inv
    ax = abs(v)
    e = value * inv
    if rnd is None:         # (either branch pruned: kernels.pipeline)
        neg = xi < 0
        up_hi = ax >= (thr[3] if neg else thr[2])
        up_lo = ax >= (thr[1] if neg else thr[0])
    else:
        t = np.int64(52) - np.int64(p.M)
        up_hi = up_lo = stochastic_away(bits_as(v, np.int64) & ((np.int64(1) << t) - 1), t, 0, sr[0], sr[1],
                                        np.int64(rnd)) != 0
    ne = value != xi
    nonzero = xi != 0
    ovf = (ax >= above) | ((ax > maxv) & up_hi)         # (saturating: the result is the largest value)
    underflow = nonzero & ne & ((ax <= below) | ((ax < normal) & (not up_lo)))
    flushed = nonzero & (value == 0)
    subnormal = (e != 0) & (abs(e) < normal)
    if exact is None:
        return ((INEXACT_FIELD if ne else 0) + (OVERFLOW_FIELDS if ovf else 0) + (UNDERFLOW_FIELD if underflow else 0),
                (FLUSHED_FIELD if flushed else 0) + (SUBNORMAL_FIELD if subnormal else 0), 0)
    m = (INEXACT if ne else 0) | ((OVERFLOW | SATURATED) if ovf else 0) | (UNDERFLOW if underflow else 0)
    return _nan_scale_or_input(m | (FLUSHED if flushed else 0) | (SUBNORMAL if subnormal else 0), xi, scl)


@inner_inline
def _pow2_fixed_flags(xv, value, inv, scl, rnd, params, exact):
    """``_pow2_float_flags`` of a fixed-point element: inexact, flushed to zero, and where the
    element value lies outside [smallest, largest element] (fixed_range), overflow and
    saturated from its rounding with an unbounded integer range (``_fixed_element_flags``, with
    rnd), with ``exact`` only (else the element's first answer is not final)."""
    lim, thr, p, sr, fx, fixed_range = params
    xi = np.float64(xv)
    v = xi * inv
    e = value * inv
    ne = value != xi
    flushed = (xi != 0) & (value == 0)
    band = (v < fixed_range[0]) | (v > fixed_range[1])
    if exact is None:
        return (INEXACT_FIELD if ne else 0), (FLUSHED_FIELD if flushed else 0), band
    k = _fixed_element_flags(v, e, np.int64(0) if rnd is None else np.int64(rnd), fx)
    m = (INEXACT if ne else 0) | (FLUSHED if flushed else 0) | ((k & (OVERFLOW | SATURATED)) if band else 0)
    return _nan_scale_or_input(m, xi, scl)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_64_counted(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, params, counts,
                             per, lo, hi, base, marks):
    """``kernels.block.quantize_pow2_64`` counting the report as it rounds (``_pow2_rows``' tally:
    ``kernels.block.pow2_tally``); returns the counts."""
    _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, _float_element64,
               _pow2_float_flags, (params, counts, per, lo, hi, base, marks))
    return counts


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_fixed_counted(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, params,
                                counts, per, lo, hi, base, marks):
    """``kernels.block.quantize_pow2_fixed`` counting the report as it rounds; returns the counts."""
    _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, _fixed_element,
               _pow2_fixed_flags, (params, counts, per, lo, hi, base, marks))
    return counts


def block_groups(size: int, geometry: tuple) -> np.ndarray:
    """The first run of each block's runs in ``block_element_flags`` over a cast of size
    elements (geometry as there), then the number of runs: ranges of whole groups share no block."""
    n, inner, bs, blocks = geometry
    group = np.arange((size // (n * inner) if size else 0) * blocks + 1)
    if inner == 1:
        return group * -(-bs // PIECE)
    row, q = np.divmod(group, blocks)
    return (row * n + np.minimum(q * bs, n)) * -(-inner // RUN)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def block_element_flags(x, per, words, ra, rb, start, y, y_mode, codes, table, scales, geometry, ts, nvfp4, rand, seed,
                        p, sr, stochastic, lim, thr, fixed, fx):
    """The counts of a block cast over the runs [ra, rb), and per block where per has blocks:
    per[k, b] += the count of flag k (``FLAGS`` order) in block b (int32 (8, blocks), blocks in
    the scales' order; words, int64 (2, blocks) of zeros, holds ``_spread`` sums for blocks not
    along the last axis; ranges of runs must not share a block, ``block_groups``): x the input
    (flat, x's order), y its result values where y_mode > 0 (an encode, 0, passes x: the
    codes' values count), codes the element codes and table the element value of each code
    (y_mode 2, a power-of-two round: placeholders, the element value is y / scale), scales
    the block scale values
    (flat, in the order (outer, blocks, inner)), geometry = (n, inner, bs, blocks): the blocked
    axis' length, the product of the axes after it, the block size, the blocks along the axis
    (padded); ts the tensor scale (float32; nvfp4). A run is up to PIECE elements of a block
    (inner == 1) or up to RUN elements of one place along the axis (inner > 1: each of its own
    block); ``block_groups`` lists them by block. Element i drew random number
    start + i. The element's exact value and result, and the cast's value, as ``_block_values``;
    INEXACT compares x with the cast's value, the other flags come from the element
    (``_float_flags`` with the element format's limits, or ``_fixed_element_flags``); a NaN
    scale makes an element INVALID. A branch-free pass per run (``_block_mask``; for a
    power-of-two round the cheaper ``_common_run`` first, enough where every element of the
    run is common), then the elements whose rounding decides and the first
    indices. Returns the counts."""
    n, inner, bs, blocks = geometry
    pieces = -(-bs // PIECE)
    chunks = -(-inner // RUN)
    fixed_range = (fx[1] * 2.0 ** fx[0], fx[2] * 2.0 ** fx[0])
    keep = per.shape[1] > 0
    elementwise = keep and inner > 1        # a run's elements lie in as many blocks
    wlo, whi = words[0], words[1]
    derive = y_mode == 2
    # (y_mode 2: a power-of-two round, whose thresholds scale exactly; signed elements: the
    # common pass goes by |x|, and a negative input to unsigned elements is never common)
    fast = derive & (fx[1] < 0 if fixed else thr[6])
    below_ovf = minimum(minimum(thr[2], thr[3]), lim[6])     # no float element under it overflows (``_bounds``)
    float_hi = lim[0] if thr[5] else maximum(lim[0], np.nextafter(below_ovf, 0.0))
    common_lo, common_hi = (2.0 ** fx[0], fixed_range[1]) if fixed else (lim[2], float_hi)     # (``_common_run``)
    has_y = y_mode > 0
    dense = stochastic and not fixed and rand.size == 0 and sr[0] <= 32     # (``_block_run``'s band)
    band = (dense, seed, start, p, sr)
    # (the arrays go into each run's argument tuple: borrowed, no reference counts per run, an
    # atomic operation each; nvfp4 float64, 2048 x 2048 along the last axis, 1 thread, CPU
    # time: 45.6 -> 37.7 ms)
    x, y, codes, table, scales = borrowed(x), borrowed(y), borrowed(codes), borrowed(table), borrowed(scales)
    c = _new_counts()
    seen = 0
    acc_lo = acc_hi = 0
    pending = 0
    for r in range(ra, rb):
        if inner == 1:
            block, piece = divmod(r, pieces)
            row, q = divmod(block, blocks)
            k0 = q * bs + piece * PIECE
            length = maximum(minimum(minimum(PIECE, bs - piece * PIECE), n - k0), 0)
            sbase, sstep, i0 = block, 0, row * n + k0
        else:
            run, c0 = divmod(r, chunks)
            c0 *= RUN
            row, q = divmod(run, n)
            length = minimum(RUN, inner - c0)
            sbase, sstep, i0 = (row * blocks + q // bs) * inner + c0, 1, (row * n + q) * inner + c0
        args = (x, y, has_y, derive, codes, table, scales, i0, sbase, sstep, length, ts, nvfp4, lim, thr, fixed,
                fixed_range)
        rare = 1
        if fast:        # every element common: INEXACT counts (bit 0 of lo) and nothing else
            lo, rare = _common_run(x, y, i0, length, scales, sbase, sstep, common_lo, common_hi)
            hi = bands = 0
        done = (rare == 0) & (seen & INEXACT != 0) & (not elementwise)     # nothing more to learn of the run
        if not done:
            if elementwise and fast:            # INEXACT per block here, the other flags below
                _add_inexact(wlo, sbase, x, y, scales, i0, length)
            if rare and derive:     # (two inlined copies, each with the element's source a constant: 28.7 -> 26.5 ms)
                lo, hi, bands = _block_run(x, y, has_y, True, *args[4:], band)
            elif rare:
                lo, hi, bands = _block_run(x, y, has_y, False, *args[4:], None)
            each = elementwise and rare != 0        # the elements' flags to their blocks, below
            need = _present(lo, hi) & ~seen
            skip_common = fast and not need & INEXACT       # common elements have INEXACT only
            for t in range(length if need or bands or each else 0):
                i = i0 + t
                s = scales[sbase + t * sstep]
                if skip_common and _common_element(np.float64(x[i]), s, common_lo, common_hi):
                    continue
                e = _element(y, codes, table, i, s, derive)
                xi, v, yi = _block_values(x, y, has_y, i, e, s, ts, nvfp4)
                m = _block_mask(xi, v, yi, e, s, lim, thr, fixed, fixed_range)
                hit = m & need
                if m & BAND:
                    rnd = element_bits(rand, seed, start + i, sr[0]) if stochastic else np.int64(0)
                    m = (m & INEXACT) | _element_flags(v, e, rnd, p, sr, stochastic, lim, fixed, fx)
                    if not (dense and derive):      # (else ``_block_run`` counted it)
                        f_lo, f_hi = _spread(m)
                        lo += f_lo
                        hi += f_hi
                    hit = m & ~seen
                if each:
                    f_lo, f_hi = _spread(m & ~INEXACT if fast else m)
                    wlo[sbase + t] += f_lo
                    whi[sbase + t] += f_hi
                if hit:
                    _firsts(c, hit, start + i, 0)
                    seen |= hit
                    need &= ~hit
            if elementwise:     # the blocks' words to per at their last place, or before their fields fill
                place = q % bs
                if place == bs - 1 or q == n - 1 or place % PIECE == PIECE - 1:
                    for t in range(sbase, sbase + length):
                        _unpack_into(per, t, wlo[t], whi[t])
                        wlo[t] = whi[t] = 0
        if keep and not elementwise:
            if done:            # INEXACT only
                per[0, sbase] += lo
            else:
                _unpack_into(per, sbase, lo, hi)
        acc_lo += lo
        acc_hi += hi
        pending += length
        if pending > FIELD_MAX - PIECE:         # the next run fits in the 16-bit fields
            _unpack(c, acc_lo, acc_hi)
            acc_lo = acc_hi = pending = 0
    _unpack(c, acc_lo, acc_hi)
    return c


@nb.njit(cache=True, nogil=True)
def kept_changes(x, x32, y):
    """(how many, the first index or -1) of the elements i where y[i] == x32[i] != x[i]: the
    float64 x rounded to float32 (x32) and cast to y (float32) where the cast kept x32 but x32
    is not x; then the same of those whose x32 is 0 (a nonzero x flushed to zero). Counts in
    int32 blocks of CHANGE_BLOCK (a loop that vectorizes), then scans the first block that has
    one."""
    count, first, zeros, first_zero = 0, -1, 0, -1
    for lo in range(0, x.size, CHANGE_BLOCK):
        xs, ts, ys = x[lo:lo + CHANGE_BLOCK], x32[lo:lo + CHANGE_BLOCK], y[lo:lo + CHANGE_BLOCK]
        n = z = np.int32(0)
        for i in range(xs.size):
            kept = _kept_change(xs[i], ts[i], ys[i])
            n += kept
            z += kept & (ts[i] == 0)
        for i in range(xs.size if (n != 0) & (first < 0) else 0):
            if _kept_change(xs[i], ts[i], ys[i]):
                first = lo + i
                break
        for i in range(xs.size if (z != 0) & (first_zero < 0) else 0):
            if _kept_change(xs[i], ts[i], ys[i]) & (ts[i] == 0):
                first_zero = lo + i
                break
        count += n
        zeros += z
    return count, first, zeros, first_zero


@inner_inline
def _kept_change(x, t, y):
    """Whether the cast kept t = fl32(x) (y == t) and t is not x."""
    return (y == t) & (np.float64(t) != x)


CHANGE_BLOCK = 4096


@nb.njit(cache=True, nogil=True)
def unclamped_exponents(amax, out, rule):
    """out[b] = the shared exponent of a block with largest magnitude amax[b] (finite, float64)
    before the scale format's limits: ``shared_exponent`` with an unbounded scale range."""
    rule_id, emax_elem, msig_frac, even_frac, s_lo, s_hi = rule
    for b in range(amax.size):
        out[b] = shared_exponent(bits_as(np.float64(amax[b]), np.int64), rule_id, emax_elem, msig_frac, even_frac,
                                 np.int64(-(1 << 30)), np.int64(1 << 30), np.int64(52))   # (the casts' int64 one)


# ----- the roundings of a reduction (``numfmt.kernels.accumulate``): one event per rounding

@inner_inline
def count_event(c, at, m, index):
    """One more rounding (c[at]) with flags m, of output element ``index``, into c[at + 1:]
    (counts in ``FLAGS`` order, then first indices; ``_first`` of count at + 1 + k is that
    of count k there), indexing c in place (a view would cost reference counting per event)."""
    c[at] += 1
    inexact = m & INEXACT       # the common event, counted without a branch on it: whether a
    c[at + 1] += inexact        # rounding is exact is as good as random (in a sum, say), and a
    _first(c, at + 1, index, inexact)   # branch on it mispredicts often (e4m3 sums into bfloat16: 1.5x -> 1.1x)
    if m > INEXACT:
        for k in range(1, NFLAGS):
            if (m >> k) & 1:
                c[at + 1 + k] += 1
                _first(c, at + 1 + k, index)


@inner_inline
def common(x, y, lim):
    """Whether the rounding of x (float64) to y can set INEXACT only: x of normal magnitude up
    to the largest value (``_float_flags``' lim), y of normal magnitude (neither is NaN)."""
    ax, ay, maxv, normal = abs(x), abs(y), lim[0], lim[2]
    return (ax >= normal) & (ax <= maxv) & (ay >= normal)


@inner_inline
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


@inner_inline
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
    lost = minimum(maximum(10 - biased, 9), 63)     # the bits below float64's last place
    sign = ~MAG if neg else np.int64(0)
    if biased < 2047 and (sig >> lost) << lost == sig:        # float64 holds it
        mag = ((biased - 1) << 52) + (sig >> 9) if biased >= 1 else sig >> lost
        return _float_flags(bits_as(np.int64(mag | sign), np.float64), y, rnd, p, sr, stochastic, lim)
    maxv, minv, normal, max_bits, normal_bits, below, above = lim
    r = round_exact(neg, sig, exp, p, VALUE, stochastic, rnd, sr) & MAG
    ovf = (r > max_bits) & (r <= INF_BITS)
    tiny = r < normal_bits
    v = bits_as(np.int64(odd_float64_bits(neg, sig, exp)), np.float64)
    return _flags(v, y, ovf, tiny, maxv, minv, normal) | INEXACT | (UNDERFLOW if tiny else 0)
