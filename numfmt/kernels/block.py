"""Numba kernels of the block family: one pass per block computes the block's amax, its scale,
and rounds every element with the element family's inlined rounding
(``kernels.floating.round_one``, ``kernels.fixed.round_fixed_one``); float32 inputs take the
float32 fast path at the end of the module (the element casts' uint32 steps) where it applies
(nvfp4's there after a first pass, ``block_amax32``: the blocks' amaxes and the tensor's
finite amax).

The data come as a C-contiguous 3-D array ``x[row, t, j]``: block (row, j) is ``x[row, :, j]``
(the blocked axis of length block_size in the middle, the axes after it flattened into ``j``,
so any axis is blocked without a transpose). Element (row, t, j) is element
``(row * block_size + t) * inner + j`` of the C-order flattening, the index its stochastic
random number is drawn for, plus ``start`` (the counter of element 0: nonzero for a chunk of
a larger array, with seeded bits only). The quantize kernels take blocks along the last axis
(inner = 1) as 2-D arrays ``x[row, t]`` (out and codes alike), so that each specialization
compiles the loops of one layout. Kernels take a row range so callers can split the work. They use
Numba's numpy error model (no division-by-zero checks), without which the loops do not vectorize.
"""
from typing import NamedTuple

import numba as nb
import numpy as np

from ..lanes import f32_bits, f32_value, lane, maximum, minimum, where
from ..random import GOLDEN, element_bits, pair_state, pair_word, splitmix_bits
from .fixed import fast_element, round_fixed_one
from .flagcount import FIELD_MAX, NFLAGS, _firsts, _spread, _unpack, _unpack_into
from .floating import (DETERMINISTIC, DOM32, DOM64, NO_RND, NO_SR, U32, U64, VALUE, code32, sr_add_one,
                       directed32_one, directed_grid32, nearest32_one, nearest_code32, nearest_grid32, round_one,
                       sr_grid32, top_bits32, twice32)
from .inner import inner_inline
from .pipeline import kernel
from .vectors import tick, ticks, wide_vectors
from .arrays import bits_as, view_as, zeros

FLOOR, CEIL, EVEN, RCEIL = 0, 1, 2, 3
NAN_EXP = -(1 << 31)          # shared exponent of a NaN scale
LEAN_GROUP = 32               # nvfp4 blocks whose scales are computed together (values only, see ``_lean_rows``)
POW2_GROUP = 4                # the same for power-of-two scales
GROUP = 256                   # blocks whose scales are computed together (last-axis blocks)
COUNT_GROUP = 32              # last-axis blocks counted together (``_pass32``'s per-place sums; in L1)
MAX32 = 3.4028234663852886e38


@inner_inline
def normalized(a, dom_m):
    """(F, frac) of the bits a > 0 of a positive finite float (float32: dom_m = 23, float64:
    52): its value is (1 + frac / 2**dom_m) * 2**(F - bias), F the exponent field of a normal
    float, below 1 for a subnormal (normalized by a binary search for the leading bit).
    Written in the ops vocabulary of ``numfmt.lanes`` (the backends evaluate it on tensors)."""
    field = a >> dom_m
    sig = where(field > 0, (a & ((lane(1) << dom_m) - 1)) | (lane(1) << dom_m), a)
    lz = lane(0)
    for s in (32, 16, 8, 4, 2, 1):
        if s <= dom_m:
            small = (sig >> (dom_m + 1 - s)) == 0     # the top s of the dom_m + 1 bits are 0
            sig = where(small, sig << s, sig)
            lz = lz + where(small, s, 0)
    return maximum(field, 1) - lz, sig & ((lane(1) << dom_m) - 1)


@inner_inline
def shared_exponent(amax_bits, rule, emax_elem, msig_frac, even_frac, s_lo, s_hi, dom_m):
    """The shared exponent of a block whose largest magnitude has the bits amax_bits (a float
    with dom_m fraction bits, see ``normalized``; NAN_EXP for a NaN scale).

    With amax = (1 + frac / 2**dom_m) * 2**e, exact for subnormals too:
    floor: e - emax_elem; ceil: ceil(log2 amax) - emax_elem; even: e + (frac >= even_frac: amax
    rounded to the element's fraction bits, ties away, reaches 2**(e+1)) - emax_elem; rceil:
    the smallest s with amax <= max_elem * 2**s, i.e. e - emax_elem + (frac > msig_frac) where
    max_elem = (1 + msig_frac / 2**dom_m) * 2**emax_elem. ``numfmt.casts.block.block_rule``
    gives these numbers for a format and a domain. Results above s_hi give NAN_EXP (so do Inf
    and NaN), below s_lo s_lo; amax = 0 gives s_lo. In the ops vocabulary of ``numfmt.lanes``.
    """
    dom_exp = 11 if dom_m == 52 else 8
    e, frac = normalized(maximum(amax_bits, 1), dom_m)
    s = e - ((1 << (dom_exp - 1)) - 1) - emax_elem
    if rule == CEIL:
        s = s + lane(frac != 0)
    elif rule == EVEN:
        s = s + lane(frac >= even_frac)
    elif rule == RCEIL:
        s = s + lane(frac > msig_frac)
    s = where(amax_bits == 0, s_lo, maximum(s, s_lo))
    return where((s > s_hi) | (amax_bits >= ((lane(1) << dom_exp) - 1) << dom_m), NAN_EXP, s)


@inner_inline
def ldexp_bits(bits, d, dom_m):
    """The bits of x * 2**d, x the float (dom_m fraction bits, see ``normalized``) with these
    bits and d an integer: exact where that is a float; below the normal range, where it is
    not, rounded to odd (truncated, the last bit set), which rounds on exactly to any format
    with fewer bits below it; Inf beyond the largest finite float; zeros, Inf and NaN keep
    their bits. The backends scale block elements with it (XLA flushes float subnormals).
    In the ops vocabulary of ``numfmt.lanes``."""
    dom_exp = 11 if dom_m == 52 else 8
    sign = bits & (lane(-1) << (dom_exp + dom_m))
    a = bits ^ sign
    inf_bits = ((lane(1) << dom_exp) - 1) << dom_m
    f, frac = normalized(maximum(a, 1), dom_m)
    f = f + d
    sig = frac | (lane(1) << dom_m)
    sh = minimum(maximum(1 - f, 0), dom_m + 2)
    below = (sig >> sh) | lane((sig & ((lane(1) << sh) - 1)) != 0)
    out = where(f >= 1, (minimum(f, (1 << dom_exp) - 1) << dom_m) | frac, below)
    out = where(f >= (1 << dom_exp) - 1, inf_bits, out)
    return where((a == 0) | (a >= inf_bits), a, out) | sign


@inner_inline
def decode_bits(code, mant_bits, code_offset, sign_bit, nan_above, nan_code, inf_mag, exps, dom_m):
    """``kernels.floating.decode_one``'s value as its bits (float32: ``dom_m`` 23, float64: 52)
    by integer steps only, for the backends whose float arithmetic flushes subnormals (XLA on
    CPU, where a product gave 0 for binary64 values below 2**-970): the significand sig read as
    the bits of sig * 2**-149 (or 2**-1074; any sig < 2**(dom_m + 1)), moved by ``ldexp_bits``
    to sig * 2**exps[field] (exact: every value is a float of that type). In the ops vocabulary
    of ``numfmt.lanes``."""
    dom_exp = 11 if dom_m == 52 else 8
    frac_mask = (lane(1) << mant_bits) - 1
    mag = code & ~sign_bit
    c = mag - code_offset
    field = c >> mant_bits
    sig = (c & frac_mask) + where(field > 0, frac_mask + 1, 0)
    inf_bits = ((lane(1) << dom_exp) - 1) << dom_m
    v = ldexp_bits(sig, exps[field] + (1074 if dom_m == 52 else 149), dom_m)
    v = where(mag == inf_mag, inf_bits, v)
    v = where((mag > nan_above) | (code == nan_code), inf_bits | (lane(1) << (dom_m - 1)), v)
    return v | where((code & sign_bit) != 0, lane(-1) << (dom_exp + dom_m), lane(0))     # (the sign bit)


@inner_inline
def _unscaled64(v, inv, scl):
    """v * inv = v / 2**s (float64), exact; where that underflows float64's normal range
    (float64 inputs only) the quotient rounded to odd, which rounds on to the element exactly:
    the element's quantum times 2**-62 (the finest stochastic bit) is far above 2**-1074.
    Branch-free (vectorizes); a NaN inv (NaN scale) gives NaN."""
    y = v * inv
    back = y * scl
    yb = bits_as(np.float64(y), np.int64)
    mag = yb & np.int64((1 << 63) - 1)
    jam = bits_as(np.int64((yb ^ mag) | (mag - (1 if abs(back) > abs(v) else 0)) | 1), np.float64)
    return jam if back != v else y


TINY_QUANTUM_EXP = -63        # the smallest element quantum exponent ``_float_element32`` takes


@inner_inline
def _unscaled32(v, inv):
    """The float32 bits (int64) of v / 2**s for float32 v and inv = 2**-s, for an element whose
    quantum is at least 2**TINY_QUANTUM_EXP: exact where float32's normal range holds the
    quotient; a nonzero quotient below it becomes +-2**-149. Both lie below the element's
    quantum times 2**-63, so every mode rounds them alike (stochastic rounding with k <= 62
    random bits too: the k compared bits of both are 0). Branch-free (vectorizes)."""
    yb = bits_as(np.float32(np.float32(v) * np.float32(inv)), np.int32)
    mag = yb & np.int32(0x7FFFFFFF)
    tiny = (mag < np.int32(0x00800000)) & (v != 0)
    return np.int64((yb ^ mag) | np.int32(1) if tiny else yb)


# The element functions of ``_pow2_rows``: (code, value) of one element v / 2**s rounded once,
# given inv = 2**-s and scl = 2**s; the value element * 2**s as float64. ``sr`` None: a
# deterministic mode; ``codes`` None: the value is wanted. Float elements round with
# ``round_one`` and ``p`` (``fx`` unused); fixed-point elements with ``fx`` = (2**frac_bits,
# mode, lo, hi, sr_bits, sr_nearest, code mask) (``p`` unused). Each has its own kernel, so a
# format compiles only its own element's code.

@inner_inline
def _float_element32(v, inv, scl, rnd, p, sr, fx, codes):
    """Float element, float32 domain (v float32, the element's quantum at least
    2**TINY_QUANTUM_EXP): the value is exact float32 arithmetic (Inf where float32 overflows)."""
    scl32 = np.float32(scl)
    q = round_one(_unscaled32(v, inv), p, np.bool_(codes is not None), DOM32, np.bool_(sr is not None), np.int64(rnd),
                  sr)
    return q, np.float64(bits_as(np.int32(q), np.float32) * scl32)


@inner_inline
def _float_element64(v, inv, scl, rnd, p, sr, fx, codes):
    """Float element, float64 domain (values exact in float64)."""
    y = _unscaled64(np.float64(v), inv, scl)
    q = round_one(bits_as(np.float64(y), np.int64), p, np.bool_(codes is not None), DOM64, np.bool_(sr is not None),
                  np.int64(rnd), sr)
    return q, bits_as(np.int64(q), np.float64) * scl


@inner_inline
def _fixed_element(v, inv, scl, rnd, p, sr, fx, codes):
    """Fixed-point element (float64 domain): NaN gives code 0, value NaN * scl."""
    y = _unscaled64(np.float64(v), inv, scl)
    fscale, fmode, flo, fhi, sr_bits, sr_nearest, code_mask = fx
    k = round_fixed_one(y * fscale, fmode, flo, fhi, np.bool_(False), np.int64(rnd), sr_bits, sr_nearest) + 0.0
    k = 0.0 if y != y else k
    # k * 2**-frac_bits exactly as k / fscale, a product where the quotient took a division per
    # element (the reciprocal is loop-invariant; mxint8, 1024 x 1024 standard normal float64, seeded
    # stochastic, 1 thread, CPU time: 2.39 -> 2.17 ms; toward_zero 1.03 -> 0.90 ms)
    return np.int64(k) & code_mask, k * (1.0 / fscale) * scl


@inner_inline
def _fixed_element32(v, inv, scl, rnd, p, sr, fx, codes):
    """Fixed-point element, float32 domain (v float32): ``kernels.fixed.fast_element`` in
    float32 of v / 2**s (``_unscaled32``: exact, or below float32's normal range +-2**-149,
    which every mode rounds alike), fx = (its ``FloatCast`` with the block's lower bound, the
    ``ModeFlags``, the code mask) (``p`` unused). NaN gives code 0, value NaN * scl."""
    c, flags, code_mask = fx
    _, _, k = fast_element(bits_as(np.int32(_unscaled32(v, inv)), np.float32), c, flags, False, sr is not None, rnd)
    return np.int64(k) & code_mask, np.float64(k * c.inv * np.float32(scl))


@inner_inline
def _powers(s):
    """(2**-s, 2**s) as float64 from the exponent bits; NaN for the NaN scale."""
    if s == NAN_EXP:
        return np.nan, np.nan
    return bits_as(np.int64((1023 - s) << 52), np.float64), bits_as(np.int64((1023 + s) << 52), np.float64)


@inner_inline
def _abs_bits(v):
    """|v| as int64 bits of float64: ordered like |v|, NaN above Inf."""
    return bits_as(np.float64(v), np.int64) & np.int64((1 << 63) - 1)


@nb.njit(inline="always")
def _scales(amax, n, sexp, r0, dr, inv, scl, rule):
    """Shared exponents (block i's into sexp[r0 + i * dr, i * (1 - dr)]: a column or a row) and
    powers (inv, scl) of n blocks with these amax bits; a loop over blocks, so it vectorizes."""
    rule_id, emax_elem, msig_frac, even_frac, s_lo, s_hi = rule
    for i in range(n):
        s = shared_exponent(amax[i], rule_id, emax_elem, msig_frac, even_frac, s_lo, s_hi, DOM64)
        sexp[r0 + i * dr, i * (1 - dr)] = s
        inv[i], scl[i] = _powers(s)


@inner_inline
def _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, element, flags_of, tally):
    """Power-of-two scales over rows [row_lo, row_hi): per block the shared exponent
    ``sexp[row, j]`` (``shared_exponent`` of the float64 bits of amax, with ``rule`` = (rule,
    emax_elem, msig_frac, even_frac, s_lo, s_hi) for 52 fraction bits), then every element
    rounded once by ``element`` (one of the element functions above), saturating. Writes
    ``codes`` (when not None) or ``out``: values element * 2**s, NaN for NaN scales (whose elements take the
    element's NaN code, or 0 without one), Inf where a float32 ``out`` cannot hold the value
    (``numfmt.casts.block`` looks for those only where a scale allows them).

    Blocks along the last axis (x, out and codes 2-D: x[row, t]) go GROUP at a time: their
    amax, then their scales in one vectorized loop (``_scales``), then their elements; otherwise
    (3-D) per row the amax and scales of the inner blocks side by side, then the elements.

    With ``flags_of`` (not None) the report's counts as it rounds: flags_of(x, value, inv, scl,
    rnd, params, exact) an element's flags from its input, its value in float64 ``out``, 2**-s,
    2**s, its random bits (None: a deterministic mode) and params (``kernels.report``): with
    ``exact`` None, as ``_spread``'s (lo, hi) and whether that is not the element's final
    answer (a band element of fixed-point formats), taken as final in blocks whose scale is not
    NaN; with ``exact`` True, the flag bits, final. tally = (params, counts, per, lo, hi,
    base, marks): counts (``flagcount``'s, element i's index base + i) and per[:, block] (int32
    (8, blocks) where per has blocks, the scales' order) add up; lo, hi and marks are int64
    scratch of ``inner`` (``pow2_tally``). A block's flags sum in ``_spread``'s fields (at most FIELD_MAX
    elements a block). A second look at a row (or at place t of the inner blocks), rare, fixes
    the counts of elements whose first answer was not final and finds the first indices of
    flags not seen before (``_tally_rare``: a scratch array of each element's flags, stored
    in the loop instead, cost a third of the loop's time)."""
    bs = x.shape[1]
    n = GROUP if x.ndim == 2 else maximum(x.shape[2], GROUP)
    amax = zeros(n, np.int64)
    inv = zeros(n, np.float64)
    scl = zeros(n, np.float64)
    seen = np.int64(0)      # (int64, not a literal 0: see tests/compile_profile.py)
    new_lo = new_hi = np.int64(-1)      # the fields of flags not yet seen (all, at first)
    acc = (np.int64(0), np.int64(0), np.int64(0))       # (``_tally_block``'s running sums)
    if x.ndim == 2:       # the layout is the array type: each specialization compiles one branch
        for g in range(row_lo, row_hi, GROUP):
            rows = minimum(GROUP, row_hi - g)
            for i in range(rows):
                m = np.int64(0)
                for t in range(bs):
                    m = maximum(m, _abs_bits(x[g + i, t]))
                amax[i] = m
            _scales(amax, rows, sexp, g, 1, inv, scl, rule)
            for i in range(rows):
                r = g + i
                inv0, scl0 = inv[i], scl[i]
                lo = hi = or_lo = or_hi = bands = np.int64(0)
                for t in range(bs):
                    rnd = 0 if sr is None else element_bits(rand, seed, start + r * bs + t, sr[0])
                    q, v = element(x[r, t], inv0, scl0, rnd, p, sr, fx, codes)
                    if out is not None:           # each store is pruned where its array is None
                        out[r, t] = v
                    if codes is not None:
                        codes[r, t] = q
                    if flags_of is not None:
                        f_lo, f_hi, band = flags_of(x[r, t], v, inv0, scl0, None if sr is None else rnd, tally[0], None)
                        lo, hi, or_lo, or_hi, bands = lo + f_lo, hi + f_hi, or_lo | f_lo, or_hi | f_hi, bands + band
                if flags_of is not None:
                    fix = (bands != 0) | (scl0 != scl0)
                    find = ((or_lo & new_lo) | (or_hi & new_hi)) != 0
                    if fix | find:
                        seen, lo, hi = _tally_rare(flags_of, tally, seen, fix, find, x[r], out[r], inv0, scl0, r * bs,
                                                   rand, seed, start, sr, lo, hi, None)
                        new_lo, new_hi = _unseen_fields(seen)
                    acc = _tally_block(tally, r, bs, lo, hi, acc)
        if flags_of is not None:
            _unpack(tally[1], acc[0], acc[1])
        return
    inner = x.shape[2]
    for r in range(row_lo, row_hi):
        for j in range(inner):
            amax[j] = 0
        for t in range(bs):
            for j in range(inner):
                amax[j] = maximum(amax[j], _abs_bits(x[r, t, j]))
        _scales(amax, inner, sexp, r, 0, inv, scl, rule)
        nan_scale = False
        for j in range(inner if flags_of is not None else 0):
            nan_scale |= scl[j] != scl[j]
        for t in range(bs):
            or_lo = or_hi = bands = 0
            for j in range(inner):
                rnd = 0 if sr is None else element_bits(rand, seed, start + (r * bs + t) * inner + j, sr[0])
                q, v = element(x[r, t, j], inv[j], scl[j], rnd, p, sr, fx, codes)
                if out is not None:
                    out[r, t, j] = v
                if codes is not None:
                    codes[r, t, j] = q
                if flags_of is not None:
                    f_lo, f_hi, band = flags_of(x[r, t, j], v, inv[j], scl[j], None if sr is None else rnd, tally[0],
                                                None)
                    tally[3][j] += f_lo
                    tally[4][j] += f_hi
                    tally[6][j] = band
                    or_lo, or_hi, bands = or_lo | f_lo, or_hi | f_hi, bands + band
            if flags_of is not None:
                fix = (bands != 0) | nan_scale
                find = ((or_lo & new_lo) | (or_hi & new_hi)) != 0
                if fix | find:
                    seen, _, _ = _tally_rare(flags_of, tally, seen, fix, find, x[r, t], out[r, t], inv, scl,
                                             (r * bs + t) * inner, rand, seed, start, sr, 0, 0,
                                             (tally[3], tally[4], tally[6]))
                    new_lo, new_hi = _unseen_fields(seen)
        if flags_of is not None:
            for j in range(inner):
                acc = _tally_block(tally, r * inner + j, bs, tally[3][j], tally[4][j], acc)
                tally[3][j] = tally[4][j] = 0
    if flags_of is not None:
        _unpack(tally[1], acc[0], acc[1])


@inner_inline
def _tally_block(tally, b, n, lo, hi, acc):
    """Add the ``_spread`` sums (lo, hi) of block b (n elements) to per[:, b] where per has
    blocks, and to ``_pow2_rows``' running sums acc = (lo, hi, elements), which go to the
    counts before a next block could fill their fields (a block's own unpacked into the counts
    cost 0.1 ms of mxfp4's 4.3 ms, 1M float64); the running sums now."""
    if tally[2].shape[1] > 0:
        _unpack_into(tally[2], b, lo, hi)
    acc_lo, acc_hi, pending = acc[0] + lo, acc[1] + hi, acc[2] + n
    if pending > FIELD_MAX - n:
        _unpack(tally[1], acc_lo, acc_hi)
        return np.int64(0), np.int64(0), np.int64(0)
    return acc_lo, acc_hi, pending


@inner_inline
def _unseen_fields(seen):
    """The ``_spread`` fields (all their bits set) of the flags not in ``seen``: a row's sums,
    or-ed, hold a new flag iff they meet these."""
    lo, hi = _spread(~seen & 0xFF)
    return lo * FIELD_MAX, hi * FIELD_MAX


@inner_inline
def _tally_rare(flags_of, tally, seen, fix, find, xs, ys, inv, scl, index, rand, seed, start, sr, lo, hi, sums):
    """``_pow2_rows``' second look at the elements xs (1-D, global indices from base + index on)
    with values ys and scales inv and scl (one each, or arrays like xs): where ``fix``, each
    element whose first answer was not final (or whose scale is NaN) has its ``_spread`` sums
    moved from that answer to its exact flags, in (lo, hi), the slice's sums, where ``sums`` is
    None, else in sums[0][t], sums[1][t]; the first indices of flags not yet ``seen`` are
    noted. With sums, sums[2][t] marks the elements whose first answer was not final, and only
    those (and those of a NaN scale) are looked at unless ``find`` (the slice holds a flag not
    yet seen): a place of many inner blocks nearly always holds one (mxint8 along axis 0 of
    1024 x 1024 float64, seeded, 1 thread, CPU time: report=True 7.95 -> 4.4 ms, plain 3.5
    ms). Returns (the flags seen now, lo, hi)."""
    for t in range(xs.size):
        a_inv, a_scl = _at(inv, t), _at(scl, t)
        if sums is not None:        # (either branch pruned: kernels.pipeline)
            if not (find or sums[2][t] != 0 or a_scl != a_scl):
                continue
        rnd = None if sr is None else element_bits(rand, seed, start + index + t, sr[0])
        f = flags_of(xs[t], ys[t], a_inv, a_scl, rnd, tally[0], True)
        if fix:
            h_lo, h_hi, band = flags_of(xs[t], ys[t], a_inv, a_scl, rnd, tally[0], None)
            if band or a_scl != a_scl:
                f_lo, f_hi = _spread(f)
                if sums is None:
                    lo, hi = lo + f_lo - h_lo, hi + f_hi - h_hi
                else:
                    sums[0][t] += f_lo - h_lo
                    sums[1][t] += f_hi - h_hi
        seen = _firsts(tally[1], f, tally[5] + index + t, seen)
    return seen, lo, hi


def pow2_tally(params, per, x3_shape, base: int) -> tuple:
    """``_pow2_rows``' tally for blocks (rows, block_size, inner) (one per row range: its own
    counts and scratch; per shared), element 0's index base."""
    _, bs, inner = x3_shape
    counts = np.zeros(2 * NFLAGS, np.int64)
    counts[NFLAGS:] = -1
    lo, hi, marks = np.zeros((3, inner), np.int64)
    return params, counts, per, lo, hi, np.int64(base), marks


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_32(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule):
    """``_pow2_rows`` of float elements in the float32 rounding domain (float32 x)."""
    return _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, _float_element32, None,
                      None)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_64(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule):
    """``_pow2_rows`` of float elements in the float64 rounding domain."""
    return _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, _float_element64, None,
                      None)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_fixed(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule):
    """``_pow2_rows`` of fixed-point elements (MXINT8, BFP)."""
    return _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, _fixed_element, None,
                      None)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_fixed32(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule):
    """``_pow2_rows`` of fixed-point elements in float32 (float32 x, see ``_fixed_element32``):
    stochastic rounding of more than 32 random bits (``quantize_pow2_fixed_fast32`` takes the
    rest)."""
    return _pow2_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, sr, fx, rule, _fixed_element32, None,
                      None)


@inner_inline
def _abs_bits32(v):
    """The bits of |v| (float32) as an int32 (ordered like the magnitudes, NaN above Inf); int32
    throughout, so that a max over them vectorizes in int32 lanes (Numba widens ``int32 & int32``
    to int64)."""
    return np.int32(bits_as(np.float32(v), np.int32) & np.int32(0x7FFFFFFF))


@inner_inline
def _amax32_rows(x, g, rows, amax):
    """amax[i] = the largest magnitude of block g + i (i < rows) of the 2-D float32 x, as bits
    (int32: ordered like the magnitudes, NaN above Inf)."""
    for i in range(rows):
        m = np.int32(0)
        for t in range(x.shape[1]):
            m = maximum(m, _abs_bits32(x[g + i, t]))
        amax[i] = m


@inner_inline
def _amax32_inner(x, r, j0, n, amax):
    """amax[j] = the largest magnitude bits (as ``_amax32_rows``) of block (r, j0 + j) of the
    3-D x, j < n."""
    for j in range(n):
        amax[j] = 0
    bs = x.shape[1]
    for t in range(0, bs - 3, 4):       # four rows to a pass over amax: a quarter of its loads and stores
        x0, x1 = x[r, t, j0:j0 + n], x[r, t + 1, j0:j0 + n]     # (slices: j0 + j, a signed index, would gather)
        x2, x3 = x[r, t + 2, j0:j0 + n], x[r, t + 3, j0:j0 + n]
        for j in range(n):
            m01 = maximum(_abs_bits32(x0[j]), _abs_bits32(x1[j]))
            m23 = maximum(_abs_bits32(x2[j]), _abs_bits32(x3[j]))
            amax[j] = maximum(amax[j], maximum(m01, m23))
    for t in range(bs - bs % 4, bs):
        xs = x[r, t, j0:j0 + n]
        for j in range(n):
            amax[j] = maximum(amax[j], _abs_bits32(xs[j]))


@inner_inline
def nvfp4_scale(amax, p_scale, ts, emax32, scale_tiny, scale_max):
    """(block scale, total scale) of an NVFP4-style block with largest magnitude amax (float32),
    torchao's float32 steps: scale = round_to_scale(clamp(fl32(fl32(amax / emax32) / ts),
    scale_tiny, scale_max)) (``p_scale``: nearest-even parameters of the scale format, float32
    domain), total = fl32(ts * scale); both NaN when amax is not finite. ts, emax32 and the
    bounds are float32. In the ops vocabulary of ``numfmt.lanes`` (the backends rebind it)."""
    b = minimum(maximum((amax / emax32) / ts, scale_tiny), scale_max)
    # the typed constants (one compiled round_one); the backends rebind them to Python literals
    sv = f32_value(round_one(f32_bits(b), p_scale, VALUE, DOM32, DETERMINISTIC, NO_RND, NO_SR))
    finite = amax <= MAX32
    nan = f32_value(lane(0x7FC00000))
    return where(finite, sv, nan), where(finite, ts * sv, nan)


@inner_inline
def nvfp4_element(v, tot, p, want_code, stochastic, rnd, sr):
    """One NVFP4-style element: (code, or float32 bits, of fl32(v / tot) rounded with ``p``
    (float32 domain, saturating: the same as torchao's clamp to +-max before its cast), value
    fl32(element * tot)). A NaN tot (NaN scale) gives NaN. In the ops vocabulary."""
    q = round_one(f32_bits(v / tot), p, want_code, DOM32, stochastic, rnd, sr)
    return q, f32_value(q) * tot


@inner_inline
def _element32(v, tot, index, rand, seed, p, sr, codes):
    """``nvfp4_element`` of one element of the kernel below (its random bits drawn here)."""
    rnd = 0 if sr is None else element_bits(rand, seed, index, sr[0])
    return nvfp4_element(np.float32(v), tot, p, np.bool_(codes is not None), np.bool_(sr is not None),
                         np.int64(rnd), sr)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_fp32_scaled(x, row_lo, row_hi, out, codes, svals, rand, seed, start, p, sr, p_scale, ts,
                         elem_max, scale_tiny, scale_max):
    """Scales with fraction bits (NVFP4), every step in float32 as torchao's ``_nvfp4_quantize``:
    block scales by ``nvfp4_scale``, elements by ``nvfp4_element``. A non-finite amax gives the NaN scale
    (``svals`` NaN; values NaN, codes the element's NaN code or 0). x is float32 (2-D: blocks along
    the last axis).
    """
    bs = x.shape[1]
    n = GROUP if x.ndim == 2 else maximum(x.shape[2], GROUP)
    emax32, tiny32, max32 = np.float32(elem_max), np.float32(scale_tiny), np.float32(scale_max)
    amax = zeros(n, np.int32)
    total = zeros(n, np.float32)
    if x.ndim == 2:     # blocks along the last axis (2-D): per group of rows, amax, then scales, then elements
        for g in range(row_lo, row_hi, GROUP):
            rows = minimum(GROUP, row_hi - g)
            _amax32_rows(x, g, rows, amax)
            for i in range(rows):         # a vectorized loop over blocks
                svals[g + i, 0], total[i] = nvfp4_scale(bits_as(np.int32(amax[i]), np.float32), p_scale, ts, emax32,
                                                        tiny32, max32)
            for i in range(rows):
                r = g + i
                tot0 = total[i]
                for t in range(bs):
                    q, v = _element32(x[r, t], tot0, start + r * bs + t, rand, seed, p, sr, codes)
                    if out is not None:
                        out[r, t] = v
                    if codes is not None:
                        codes[r, t] = q
        return
    inner = x.shape[2]
    for r in range(row_lo, row_hi):
        _amax32_inner(x, r, 0, inner, amax)
        for j in range(inner):
            svals[r, j], total[j] = nvfp4_scale(bits_as(np.int32(amax[j]), np.float32), p_scale, ts, emax32, tiny32,
                                                max32)
        for t in range(bs):
            for j in range(inner):
                q, v = _element32(x[r, t, j], total[j], start + (r * bs + t) * inner + j, rand, seed, p, sr, codes)
                if out is not None:
                    out[r, t, j] = v
                if codes is not None:
                    codes[r, t, j] = q


@inner_inline
def _finite32(a):
    """Magnitude bits a (int32) where they are finite, else 0."""
    return a if a < np.int32(0x7F800000) else np.int32(0)


@kernel(cache=True, nogil=True)
def finite_amax32(bits):
    """The largest |x| over the finite float32 values whose bit patterns (int32) are given, as
    bits (0 when there is none)."""
    m = np.int32(0)
    for i in range(bits.size):
        m = maximum(m, _finite32(np.int32(bits[i] & np.int32(0x7FFFFFFF))))
    return m


@kernel(cache=True, nogil=True, error_model="numpy")
def block_amax32(x, row_lo, row_hi, amax):
    """The amax bits (``_amax32_rows``') of the blocks of rows [row_lo, row_hi) of the float32
    x (layouts as ``quantize_fp32_scaled``) into the flat amax (int32, the blocks in C order),
    and the largest finite magnitude of those rows as bits (``finite_amax32``'s): the first
    pass of nvfp4's fast kernel, whose block pass then reads the amaxes."""
    bs = x.shape[1]
    inner = 1
    if x.ndim == 2:
        _amax32_rows(x, row_lo, row_hi - row_lo, amax[row_lo:row_hi])
    else:
        inner = x.shape[2]
        for r in range(row_lo, row_hi):
            _amax32_inner(x, r, 0, inner, amax[r * inner:(r + 1) * inner])
    blocks = amax[row_lo * inner:row_hi * inner]
    m = top = np.int32(0)
    for b in range(blocks.size):
        m = maximum(m, _finite32(blocks[b]))
        top = maximum(top, blocks[b])
    if top < np.int32(0x7F800000):
        return m
    for b in range(blocks.size):      # blocks with Inf or NaN: their finite elements
        if blocks[b] >= np.int32(0x7F800000):
            r, j = divmod(row_lo * inner + b, inner)
            for t in range(bs):
                if x.ndim == 2:
                    m = maximum(m, _finite32(_abs_bits32(x[r, t])))
                else:
                    m = maximum(m, _finite32(_abs_bits32(x[r, t, j])))
    return m



# ----------------------------------------------------------------------------- float32 fast path
# Float elements of float32 inputs whose element format has ``Fast32Params`` (nearest_even, or
# stochastic sr_rule="add" with at most 32 random bits) round in uint32 lanes with the float32
# cast's steps (``nearest32_one``, ``sr_add_one``), the amax in int32 lanes; fixed-point
# elements in float32 lanes (``int_element32``, the other modes by ``kernels.fixed.fast_element``:
# ``fixed_element32``); tests/test_block_fast32.py checks them bit for bit against the generic
# kernels above.

@inner_inline
def _mul32(v, s):
    """v * s in float32 (a power-of-two scale: exact where the product is normal)."""
    return np.float32(v) * s


@inner_inline
def _mul32_sticky(v, s):
    """``_mul32`` where the product may fall below float32's normal range: there +-2**-149 for
    a nonzero v, as ``_unscaled32`` has it (the directed modes round a nonzero quotient that
    float32 would flush away, to nearest it does not matter)."""
    return bits_as(np.int32(_unscaled32(v, s)), np.float32)


@inner_inline
def _div32(v, s):
    """v / s in float32 (NVFP4's total scale)."""
    return np.float32(v) / s


class Int32Params(NamedTuple):
    """The numbers of ``int_element32`` (a fixed-point element, nearest even): 2**frac_bits
    and 2**-frac_bits, the block's integer bounds (np.float32), the code mask (np.uint32)."""
    scale: np.float32
    inv: np.float32
    lo: np.float32
    hi: np.float32
    mask: np.uint32


# The element steps of ``_fast32_rows``: (r, code, ovf, tiny) of the float32 bits y of an
# element's exact value x / scale (exact, or below float32's normal range: see ``_unscaled32``),
# with the random bits zk (sr_rule="add") and the element's parameters p (and cp for codes, None
# where no code is wanted):
# r the rounded element's float32 bits, code its code, ovf and tiny whether y rounded with an
# unbounded exponent range exceeds the largest value / lies below the smallest normal (what
# the report counts; unused values compile away).

@inner_inline
def nearest_element32(y, zk, p, cp):
    """A float element rounded to nearest even (``nearest32_one``; p: ``Fast32Params``)."""
    r = nearest32_one(y, p)
    g = nearest_grid32(U32(y & U32(0x7FFFFFFF)), p)
    return r, U32(0) if cp is None else nearest_code32(y, p, cp), g > p.max_bits, g < p.normal_bits


@inner_inline
def lean_finite32(y, zk, p, cp):
    """``nearest_element32`` where no code is wanted (code 0), for the saturating elements of
    blocks whose y is NaN only where their block's scale is NaN (power-of-two scales), whose
    value is then NaN whatever r is: r the rounded magnitude (``nearest32_one``'s steps)
    clamped to the largest value (which is where overflow and Inf go), given y's sign (on zero
    only where -0 exists). Fewer vector instructions and constants than ``nearest32_one``'s
    overflow and NaN handling; the magnitudes compare as int32 (one AVX2 instruction; both lie
    below 2**31); ovf and tiny compile away where nothing is counted."""
    a = U32(y & U32(0x7FFFFFFF))
    small = bits_as(np.float32(np.float32(bits_as(np.uint32(a), np.float32) + p.magic) - p.magic), np.uint32)
    g = nearest_grid32(a, p)
    r = minimum(small if np.int32(a) < np.int32(p.normal_bits) else g, p.max_bits)
    sign = U32(y ^ a)
    return U32(r | (sign if r != 0 else U32(sign & p.zero_sign))), U32(0), g > p.max_bits, g < p.normal_bits


@inner_inline
def lean_element32(y, zk, p, cp):
    """``lean_finite32`` with a NaN y by its sign, as ``nearest32_one`` gives it (nvfp4: v / tot
    is NaN in a block of zeros whose total scale underflows to 0)."""
    r, _, ovf, tiny = lean_finite32(y, zk, p, cp)
    a = U32(y & U32(0x7FFFFFFF))
    return ((p.nan1 if U32(y ^ a) != 0 else p.nan0) if a > U32(0x7F800000) else r), U32(0), ovf, tiny


@inner_inline
def sr_element32(y, zk, p, cp):
    """A float element rounded stochastically (``sr_add_one``), ovf and tiny by |y| rounded with
    the same random bits and an unbounded exponent (``sr_grid32``; they compile away where
    nothing is counted)."""
    r = sr_add_one(y, zk, p)
    g = sr_grid32(U32(y & U32(0x7FFFFFFF)), zk, p)
    return r, U32(0) if cp is None else code32(r, p, cp), g > p.max_bits, g < p.normal_bits


@inner_inline
def directed_element32(y, zk, p, cp):
    """A float element rounded in a deterministic mode other than nearest even (p = (the
    element's saturating ``Fast32Params``, ``Mode32``): ``casts.floating.directed32_args``;
    ``directed32_one``), ovf and tiny by |y| rounded in the same direction with an unbounded
    exponent (``directed_grid32``; they compile away where nothing is counted)."""
    p32, m = p
    r = directed32_one(y, p32, m)
    g = directed_grid32(y, p32, m)
    return r, U32(0) if cp is None else code32(r, p32, cp), g > p32.max_bits, g < p32.normal_bits


@inner_inline
def int_element32(y, zk, q, cp):
    """A fixed-point element rounded to nearest even (q: ``Int32Params``): rint(y * 2**frac_bits)
    clamped to [lo, hi] (exact float32 steps; + 0 makes -0 the integer 0); NaN gives 0. Never
    tiny."""
    t = bits_as(np.uint32(y), np.float32) * q.scale
    k_u = np.rint(t)
    k = minimum(maximum(k_u, q.lo), q.hi) + np.float32(0)
    k = np.float32(0) if t != t else k
    code = U32(0) if cp is None else U32(U32(np.int32(k)) & q.mask)
    return bits_as(np.float32(k * q.inv), np.uint32), code, (k_u < q.lo) | (k_u > q.hi), False


@inner_inline
def fixed_element32(y, zk, q, cp):
    """A fixed-point element in a deterministic mode other than nearest even (q: its
    ``casts.block.fixed32_element``, the ``FloatCast`` with the block's lower bound, the
    ``ModeFlags`` and the code mask): ``kernels.fixed.fast_element`` in float32, as
    ``_fixed_element32`` rounds it (NaN gives 0); ovf where the unbounded integer lies
    outside the block's bounds. Never tiny."""
    c, flags, mask = q
    _, k_u, k = fast_element(bits_as(np.uint32(y), np.float32), c, flags, False, False, np.int64(0))
    return _fixed_result32(k_u, k, c, mask, cp)


@inner_inline
def fixed_sr_element32(y, zk, q, cp):
    """``fixed_element32`` rounded stochastically: the random integer of ``fast_element`` the
    top k bits of zk (k = q's stochastic_bits, at most 32)."""
    c, flags, mask = q
    rnd = np.int64(U32(zk >> U32(U32(U32(32) - U32(flags.stochastic_bits)) & U32(31))))
    _, k_u, k = fast_element(bits_as(np.uint32(y), np.float32), c, flags, False, True, rnd)
    return _fixed_result32(k_u, k, c, mask, cp)


@inner_inline
def _fixed_result32(k_u, k, c, mask, cp):
    """``fixed_element32``'s (r, code, ovf, tiny) of the integer k (k_u before the bounds)."""
    code = U32(0) if cp is None else U32(U32(np.int32(k)) & U32(mask))
    return bits_as(np.float32(k * c.inv), np.uint32), code, (k_u < c.lo) | (k_u > c.hi), False


@inner_inline
def _cases32(v, s_in, y, r, o, ovf, tiny, checked, pow2, normal_bits, low_bits, screen):
    """The report's cases of one block element, branch-free, seven booleans: inexact, overflow
    (the element saturates: also saturated), underflow, flushed_to_zero, subnormal, invalid,
    nan_in (``numfmt.report.FLAGS``' first eight, saturated left out). v the input (float32),
    s_in its block's scale in (NaN: the scale is NaN, every element invalid but NaN ones), y
    the bits of its element value (x / 2**s; nvfp4: fl32(x / total)), r the rounded element's
    bits, o the cast's value, ovf and tiny of the element step; the element is inexact where
    o != v (power-of-two scales, ``pow2`` True: where y underflowed too) or r != y (nvfp4,
    pow2 None; or y is 0 and v is not: the exact x / total is nonzero), subnormal where
    low_bits <= |r| < normal_bits (fixed-point elements: None, never: mxint8, 1024 x 1024
    standard normal float32, 1 thread, report=True 0.90-0.95 -> 0.80-0.81 ms, plain 0.56-0.59
    ms, where both were uint32 zeros).
    ``checked`` False (a constant): counted as though the scale were not NaN (``_pass32``,
    which fixes the blocks whose scale is NaN afterwards).
    ``screen`` not None (power-of-two scales, checked False): inexact, overflow and, in
    underflow's place, whether v is nonzero with |y| below the smallest normal, the only
    cases where none is (``_screened_pass32``)."""
    valid = (s_in == s_in) if checked else True
    ar = U32(r & U32(0x7FFFFFFF))
    ne_x = o != v
    if screen is not None:      # (either branch pruned: kernels.pipeline)
        low = (v != np.float32(0)) & (np.int32(y & U32(0x7FFFFFFF)) < np.int32(normal_bits))
        return ne_x, ovf, low, False, False, False, False
    ne_e = ne_x
    if pow2 is None:        # nvfp4 (the branch pruned either way: kernels.pipeline)
        ay = U32(y & U32(0x7FFFFFFF))
        # a nonzero v whose quotient fl32(v / total) is 0 has a nonzero exact element value: flushed, tiny
        ne_e = ((r != y) & (U32(ay | ar) != U32(0))) | ((ay == U32(0)) & (v != np.float32(0)))
    sub = False
    if normal_bits is not None:     # (fixed-point elements: None, never subnormal; pruned either way)
        sub = U32(ar - low_bits) < U32(normal_bits - low_bits)
    return (valid & ne_x, valid & ovf, valid & tiny & ne_e, valid & ne_e & (ar == U32(0)), valid & sub,
            (not valid) & (v == v), (v != v) if checked else False)


CASE_BITS = (1, 6, 8, 16, 32, 64, 128)      # each case's ``numfmt.report.FLAGS`` bits (overflow: saturated too)


@inner_inline
def _scaled_element32(v, s_in, s_out, zk, p, cp, element, scaled):
    """One element v with its block's scales: y = scaled(v, s_in) (bits), then its ``element``
    step (zk its random bits): (y, r, code, value fl32(element * s_out), ovf, tiny)."""
    y = bits_as(np.float32(scaled(v, s_in)), np.uint32)
    r, code, ovf, tiny = element(y, zk, p, cp)
    return y, r, code, bits_as(np.uint32(r), np.float32) * s_out, ovf, tiny


def _at(s, i):
    """s[i] of an array, s itself of a scalar (one scale for a whole slice). (This body runs
    under NUMBA_DISABLE_JIT; compiled, the overload below decides by type.)"""
    return s[i] if isinstance(s, np.ndarray) else s


@nb.extending.overload(_at, inline="always")
def _at_for(s, i):
    if isinstance(s, nb.types.Array):
        return lambda s, i: s[i]
    return lambda s, i: s


@inner_inline
def _pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, lim, blocks, b0):
    """Round xs into outs or codes (whichever is not None), in loops that vectorize: a 1-D xs
    with element t's scales s_in[t], s_out[t] (or one pair of scalars for all), a 2-D xs (rows
    of blocks along the last axis: one call for several blocks) row i with s_in[i], s_out[i];
    random bits zs[m] for the m-th element in C order where k is not None. With ``tally`` also
    the sums of ``_cases32`` over it (uint32 lanes; zeros without), of a 2-D xs added to
    tally's per-place sums instead (``_place_sums``; the sums returned are zeros): a row's own
    sums took a reduction per row and counter, a sixth of the counted kernel's time; several
    cases to a sum (``_packed5``), as seven sums were seven loads and stores per element. Every
    element counts as one of a block whose scale is not NaN (``_cases32`` unchecked: five
    cases, invalid and nan_in never): blocks with a NaN scale are rare, their counts fixed
    afterwards (``_unflag``, ``_nan_block_word``, ``_nan_word``), where a checked copy of this
    loop cost each counting kernel a second compile of it (about 1 s of a first call). With
    ``blocks`` (``block_words``') the counts go per block too: a 2-D xs's element (i, t) as
    a ``_case_word`` into the scratch blocks[1], then each row i summed (a block: its word
    into blocks[0][0, b0 + i] by ``_block_words_out``, its fields added to the sums returned; a
    row's own sum in the element loop left that loop scalar, its trip count, the block size,
    below what LLVM's vector loop takes at once); a 1-D xs's element t (of the row's block t)
    added to the row's words blocks[2][t] (``_row_blocks`` writes them out). lim[4], where it
    is an array (``_screened_pass32``'s), names the rows of a 2-D xs to take (nonzero)."""
    wide_vectors()
    n0 = n1 = n2 = n3 = n4 = n5 = n6 = U32(0)
    w = xs.shape[xs.ndim - 1]
    for i in range(xs.shape[0] if xs.ndim == 2 else 1):
        if _left_out(lim[4], i):    # (False where lim names no rows: see _screened_pass32)
            continue
        for t in range(w):
            if xs.ndim == 2:      # (either branch pruned: xs.ndim is a constant)
                v, j = np.float32(xs[i, t]), i
            else:
                v, j = np.float32(xs[t]), t
            a_in = _at(s_in, j)
            y, r, code, o, ovf, tiny = _scaled_element32(v, a_in, _at(s_out, j),
                                                         zs[U64(i * w + t)] if k is not None else U32(0), p, cp,
                                                         element, scaled)
            if codes is not None:     # (either branch pruned: kernels.pipeline)
                if xs.ndim == 2:
                    codes[i, t] = code
                else:
                    codes[t] = code
            if outs is not None:
                if xs.ndim == 2:
                    outs[i, t] = o
                else:
                    outs[t] = o
            if tally is None:
                continue
            f = _cases32(v, a_in, y, r, o, ovf, tiny, False, *lim[:4])     # (lim[4]: the rows, above)
            if xs.ndim == 2 and blocks is None:     # per place t of the rows: no reduction per row
                acc = tally[2]
                acc[t] = U32(acc[t] + _packed5(f[0], f[1], f[2], f[3], f[4]))
            elif xs.ndim == 2:                      # per row: a block
                blocks[1][i, t] = _case_word(f)
            elif blocks is None:
                n0, n1, n2, n3, n4, n5, n6 = _add7((n0, n1, n2, n3, n4, n5, n6), f)
            else:                                   # per element: a block of its own
                words = blocks[2]
                words[t] = U32(words[t] + _case_word(f))
    if tally is not None and blocks is not None and xs.ndim == 2:
        rows = xs.shape[0]
        sums = blocks[2]
        for i in range(rows):
            word = U32(0)
            for t in range(w):
                word += blocks[1][i, t]
            sums[i] = word
        return _block_words_out(blocks[0][0][b0:b0 + rows], sums, s_in, rows)
    return ticks(n0), ticks(n1), ticks(n2), ticks(n3), ticks(n4), ticks(n5), ticks(n6)


def screen_rows(screen):
    """``_screened_pass32``'s scratch of a group's row marks (COUNT_GROUP int32) where lim's
    screen, lim[3], is not None; else None. (Under NUMBA_DISABLE_JIT this body runs; compiled,
    the overload below decides by type.)"""
    return None if screen is None else np.zeros(COUNT_GROUP, np.int32)


@nb.extending.overload(screen_rows, inline="always")
def _screen_rows_for(screen):
    if isinstance(screen, nb.types.NoneType):
        return lambda screen: None
    return lambda screen: np.zeros(COUNT_GROUP, np.int32)


def _left_out(rows, i):
    """Whether ``_pass32`` leaves row i out: rows[i] == 0 of an array, False for None. (This
    body runs under NUMBA_DISABLE_JIT; compiled, the overload below decides by type.)"""
    return rows is not None and rows[i] == 0


@nb.extending.overload(_left_out, inline="always")
def _left_out_for(rows, i):
    if isinstance(rows, nb.types.Array):
        return lambda rows, i: rows[i] == 0
    return lambda rows, i: False


NONE32 = 0x7FFFFFFF         # above every finite magnitude's bits: ``_low_rows``' row of zeros


@inner_inline
def _low_rows(xs, s_in, scaled, normal_bits, marks):
    """marks[i] = 1 for the rows i of the 2-D xs that hold a nonzero element whose quotient
    scaled(v, s_in[i]) lies below normal_bits (the element's smallest normal), else 0: a row's
    smallest nonzero magnitude is the one to test, scaled being monotone (int32 lanes, as
    ``_amax32_rows``). The scales are finite (so are the elements)."""
    for i in range(xs.shape[0]):
        m = np.int32(NONE32)
        for t in range(xs.shape[1]):
            a = _abs_bits32(xs[i, t])
            m = minimum(m, a if a != np.int32(0) else np.int32(NONE32))
        y = _abs_bits32(scaled(bits_as(np.int32(m), np.float32), s_in[i]))
        marks[i] = np.int32((m != np.int32(NONE32)) & (y < np.int32(normal_bits)))


@inner_inline
def _screened_pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, full, marks, blocks, b0,
                     every_row):
    """``_pass32`` of a 2-D xs (rows of blocks), counted with the cases of ``full`` (lim without
    a screen) as though no scale were NaN. Where ``marks`` (``screen_rows``' scratch) is not None
    and there are no per-block counts: with the screened cases (``_cases32``), whose inexact and
    overflow are all the cases of an element that is zero (exact) or whose quotient is at
    least the smallest normal (it rounds to a normal or larger), and where one of xs' elements
    is neither (the screen's third count), again in full the rows that hold one (``_low_rows``;
    lim[4] leaves the others out), of whose counts underflow, flushed_to_zero and subnormal are
    taken. For the elements of a wide normal range (mxfp8: 2**14 or more from the smallest
    normal to the largest value), whose block scale puts the block's amax near the largest
    value, such rows are rare: 0.3% of mxfp8_e4m3's blocks, in 10% of its slices of 32 blocks,
    for standard normal data. 1024 x 1024 of it, 1 thread, CPU time, report=True 1.19-1.21 ->
    1.03-1.05 ms for mxfp8_e4m3 and 1.19 -> 1.00 ms for mxfp8_e5m2 (the plain round 0.66-0.69
    ms); the first such call compiles about 2 s longer (three copies of ``_pass32``, not two).
    With ``every_row`` (a group with a NaN scale, whose rows the screen cannot tell: a NaN
    quotient is neither) every row in full, by the second copy. Returns the sums
    (``_pass32``'s)."""
    if marks is None:       # (either branch pruned: kernels.pipeline; one copy of _pass32 compiled for each call)
        return _pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, full, blocks, b0)
    if blocks is not None:
        return _pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, full, blocks, b0)
    w = xs.shape[1]
    marked = (full[0], full[1], full[2], None, marks)
    if every_row:
        marks[:xs.shape[0]] = 1
        _pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, marked, blocks, b0)
        return _place_sums(tally[2], w)
    screen = (full[0], full[1], full[2], True, None)
    _pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, screen, blocks, b0)
    screened = _place_sums(tally[2], w)
    if screened[2] == 0:
        return screened[0], screened[1], U32(0), U32(0), U32(0), U32(0), U32(0)
    _low_rows(xs, s_in, scaled, full[1], marks)
    _pass32(xs, s_in, s_out, outs, codes, zs, p, cp, k, element, scaled, tally, marked, blocks, b0)
    low = _place_sums(tally[2], w)
    return screened[0], screened[1], low[2], low[3], low[4], U32(0), U32(0)


PLACE_BITS = 6                  # the width of a case's count in ``_pass32``'s per-place sums
PLACE_MASK = (1 << PLACE_BITS) - 1
PLACE_LOW = 1                   # the lowest field's first bit (not 0: see ``_packed5``)
assert COUNT_GROUP <= PLACE_MASK    # a place's sums hold at most COUNT_GROUP rows' cases between clears


@nb.njit(inline="always")
def _packed5(a, b, c, d, e):
    """Five booleans as the counts 1 of five PLACE_BITS-wide fields of a uint32, from bit
    PLACE_LOW: each field a constant that AVX-512 adds under a mask (a field at bit 0 took a
    sign extension and a subtraction, as ``kernels.vectors.tick`` says)."""
    return U32(U32(U32(a) << U32(PLACE_LOW)) | U32(U32(b) << U32(PLACE_LOW + PLACE_BITS))
               | U32(U32(c) << U32(PLACE_LOW + 2 * PLACE_BITS)) | U32(U32(d) << U32(PLACE_LOW + 3 * PLACE_BITS))
               | U32(U32(e) << U32(PLACE_LOW + 4 * PLACE_BITS)))


@nb.njit(inline="always")
def _fields5(m):
    """The five counts of a sum of ``_packed5`` words."""
    return (U32(U32(m >> U32(PLACE_LOW)) & U32(PLACE_MASK)),
            U32(U32(m >> U32(PLACE_LOW + PLACE_BITS)) & U32(PLACE_MASK)),
            U32(U32(m >> U32(PLACE_LOW + 2 * PLACE_BITS)) & U32(PLACE_MASK)),
            U32(U32(m >> U32(PLACE_LOW + 3 * PLACE_BITS)) & U32(PLACE_MASK)),
            U32(U32(m >> U32(PLACE_LOW + 4 * PLACE_BITS)) & U32(PLACE_MASK)))


BLOCK_COUNT_MAX = PLACE_MASK   # the longest block counted per block: its counts fill ``_case_word``'s fields
NAN_SCALE = 1 << PLACE_LOW + 5 * PLACE_BITS     # a block word's mark of a NaN scale (``_block_words_out``), bit 31


@nb.njit(inline="always")
def _case_word(f):
    """``_cases32``' seven booleans as the counts 1 of ``_packed5``'s fields: invalid and
    nan_in share the fields of inexact and overflow (an element of a block whose scale is NaN
    has no other case, one of a block whose scale is not NaN neither of these: a NaN element
    makes its block's scale NaN), so that a block's words sum to one word of its counts."""
    return _packed5(f[0] | f[5], f[1] | f[6], f[2], f[3], f[4])


@inner_inline
def _block_words_out(dst, words, s_in, n):
    """n blocks' summed ``_case_word`` words, words[:n], into dst[:n] (int32), each marked by
    NAN_SCALE where its scale in, s_in[i], is NaN (``block_cases`` unpacks them later, in a
    loop of its own: seven stores per block here cost more than the elements' counting); the
    seven sums of their counts (uint32)."""
    z = U32(0)
    n0 = n1 = n2 = n3 = n4 = n5 = n6 = z
    for i in range(n):
        word = words[i]
        nan = _at(s_in, i) != _at(s_in, i)
        dst[i] = bits_as(U32(word | (U32(NAN_SCALE) if nan else z)), np.int32)
        a0, a1, a2, a3, a4 = _fields5(word)
        n0, n1, n2, n3, n4 = U32(n0 + (z if nan else a0)), U32(n1 + (z if nan else a1)), U32(n2 + a2), \
            U32(n3 + a3), U32(n4 + a4)
        n5, n6 = U32(n5 + (a0 if nan else z)), U32(n6 + (a1 if nan else z))
    return n0, n1, n2, n3, n4, n5, n6


@kernel(cache=True, nogil=True, error_model="numpy")
def block_cases(cases):
    """Unpack the per-block counts that the fast kernels left as ``_block_words_out``'s words in
    cases[0] (cases: ``block_words``' (9, blocks) int32) into the seven cases' rows,
    cases[:7]."""
    for b in range(cases.shape[1]):
        word = bits_as(cases[0, b], np.uint32)
        nan = word >= U32(NAN_SCALE)
        a0, a1, a2, a3, a4 = _fields5(U32(word & U32(NAN_SCALE - 1)))
        z = U32(0)
        cases[0, b], cases[1, b] = z if nan else a0, z if nan else a1
        cases[2, b], cases[3, b], cases[4, b] = a2, a3, a4
        cases[5, b], cases[6, b] = a0 if nan else z, a1 if nan else z


@nb.njit(inline="always")
def _add7(n, f):
    """Seven uint32 counts (``tick``'s steps) plus seven booleans, lane by lane (unpacked: never
    indexed by a loop variable)."""
    return (tick(n[0], f[0]), tick(n[1], f[1]), tick(n[2], f[2]), tick(n[3], f[3]), tick(n[4], f[4]),
            tick(n[5], f[5]), tick(n[6], f[6]))


@inner_inline
def _flags32(v, s_in, s_out, zk, p, cp, element, scaled, lim, checked):
    """The ``numfmt.report.FLAGS`` bits of one element (zk its random bits, ``_word32``); with
    ``checked`` False as ``_pass32`` counts it (its scale taken as not NaN)."""
    y, r, _, o, ovf, tiny = _scaled_element32(v, s_in, s_out, zk, p, cp, element, scaled)
    f = _cases32(v, s_in, y, r, o, ovf, tiny, checked, *lim[:4])
    m = 0
    for j in range(7):
        m |= CASE_BITS[j] if f[j] else 0
    return m


@inner_inline
def _unflag(c, v, s_in, s_out, zk, p, cp, element, scaled, lim):
    """Correct the counts c for element v of a block whose scale is NaN (s_in, s_out), which
    ``_pass32`` counted as though its scale were not: take off its cases as the pass had them
    (``_flags32`` unchecked, with the same random bits zk) and add its own, invalid or, for a
    NaN v, nan_in."""
    wrong = _flags32(v, s_in, s_out, zk, p, cp, element, scaled, lim, False)
    right = CASE_BITS[5] if v == v else CASE_BITS[6]
    for b in range(8):
        c[b] += ((right >> b) & 1) - ((wrong >> b) & 1)


@inner_inline
def _nan_word(xs):
    """The ``_case_word`` sum of a block whose scale is NaN, its elements xs (1-D): the count of
    invalid elements in field 0, of NaN ones (nan_in) in field 1."""
    nans = 0
    for t in range(xs.size):
        nans += xs[t] != xs[t]
    return U32(U32(U32(xs.size - nans) << U32(PLACE_LOW)) | U32(U32(nans) << U32(PLACE_LOW + PLACE_BITS)))


@inner_inline
def _nan_block_word(c, words, b, xs):
    """Correct block b's word in words (``_block_words_out``'s, int32, marked NAN_SCALE) and
    the counts c that ``_pass32`` gave a block whose scale is NaN, as though it were not
    (``_block_words_out`` took its fields 0 and 1 as invalid and nan_in, the others as
    underflow, flushed_to_zero and subnormal); its elements xs (1-D)."""
    wrong = _fields5(U32(bits_as(words[b], np.uint32) & U32(NAN_SCALE - 1)))
    right = _nan_word(xs)
    words[b] = bits_as(U32(right | U32(NAN_SCALE)), np.int32)
    invalid, nan_in = _fields5(right)[:2]
    delta = (np.int64(0), np.int64(0), -np.int64(wrong[2]), -np.int64(wrong[3]), -np.int64(wrong[4]),
             np.int64(invalid) - np.int64(wrong[0]), np.int64(nan_in) - np.int64(wrong[1]))
    for b in range(8):
        for j in range(7):
            c[b] += ((CASE_BITS[j] >> b) & 1) * delta[j]


@inner_inline
def _add_sums(c, sums):
    """Add ``_pass32``'s sums to the counts c (``numfmt.report.FLAGS`` order). The sums are
    unpacked, not indexed by a loop variable: a tuple indexed so kept the element loops of the
    kernel from vectorizing (kernels.fixed's casts ran 3.4x slower that way)."""
    s0, s1, s2, s3, s4, s5, s6 = sums
    for b in range(8):
        c[b] += (((CASE_BITS[0] >> b) & 1) * s0 + ((CASE_BITS[1] >> b) & 1) * s1 + ((CASE_BITS[2] >> b) & 1) * s2
                 + ((CASE_BITS[3] >> b) & 1) * s3 + ((CASE_BITS[4] >> b) & 1) * s4 + ((CASE_BITS[5] >> b) & 1) * s5
                 + ((CASE_BITS[6] >> b) & 1) * s6)


@inner_inline
def _need(c):
    """The bits of the counts in c that are nonzero without a first index yet."""
    m = 0
    for b in range(8):
        m |= (1 << b) if c[b] and c[NFLAGS + b] < 0 else 0
    return m


@inner_inline
def _note(c, need, m, index):
    """Record index as the first of the bits of m in need; the bits still needed."""
    hit = need & m
    for b in range(8):
        if (hit >> b) & 1:
            c[NFLAGS + b] = index
    return need & ~hit


def tally_arrays(base: int, width: int, firsts=None) -> tuple:
    """``_fast32_rows``' counting arrays: the counts (int64: ``numfmt.report.FLAGS`` order, their
    first indices (-1: none yet; ``firsts``' where given, the first indices of earlier
    elements: a count that has one is not searched for), scale_top, scale_bottom), base, the
    index of element 0, and ``_pass32``'s per-place sums of rows of this width (uint32 zeros:
    see ``_place_sums``)."""
    counts = zeros(2 * NFLAGS + 2, np.int64)
    counts[NFLAGS:2 * NFLAGS] = -1 if firsts is None else firsts
    return counts, np.int64(base), zeros(width, np.uint32)


def block_words(cases: np.ndarray, x3_shape) -> tuple:
    """``_fast32_rows``' per-block counting arrays for blocks (rows, block_size, inner):
    ``cases``, the (9, blocks) int32 counts of ``_cases32``'s seven cases per block, then
    scale_top and scale_bottom (flat, as the per-block array), that all row ranges share
    (the kernels leave the seven cases in row 0 as ``_block_words_out``'s words: ``block_cases``
    unpacks them); and this row range's scratch arrays: the (COUNT_GROUP, block_size)
    ``_case_word`` words of elements along the last axis, and the words of a row of inner
    blocks (zeros) or a group's sums of those rows (``_pass32``), both uint32."""
    _, bs, inner = x3_shape
    return cases, np.empty((COUNT_GROUP, bs), np.uint32), np.zeros(max(inner, COUNT_GROUP), np.uint32)


@inner_inline
def _draw32(zs, n, rand, seed, index, k):
    """The k random bits of elements index .. index + n - 1 at the top of a uint32, into zs from
    zs[off] on; returns off. rand's where it is not None (off 0), else SplitMix64's of seed, one
    output per pair of elements (``numfmt.random``), from the pair of element index (off = index
    & 1: an odd first element is the high half of its pair), each stored whole (``pair_word``)
    into the uint64 view of zs, where two stores a word apart were scattered (zs holds n + 2
    words, an even count). rand is read at uint64 indices: a signed one's negative-index
    wraparound made AVX-512 builds gather. (Seeded calls pass rand None: each compiles only its
    own loop.)"""
    if rand is not None:
        for i in range(n):
            zs[i] = _word32(rand, seed, index + i, k)
        return 0
    both = twice32(top_bits32(k))
    z = pair_state(seed, index)
    ws = view_as(zs, np.uint64)
    for m in range(((index & 1) + n + 1) >> 1):
        ws[m] = pair_word(z) & both
        z += U64(GOLDEN)
    return index & 1


@inner_inline
def _word32(rand, seed, index, k):
    """The random bits of element ``index`` as ``_draw32`` stores them (0 where k is None):
    rand's, else SplitMix64 number index of seed (``random.splitmix_bits``, which the pairs of
    ``_draw32`` give bit for bit), cut to its top k bits."""
    if k is None:
        return U32(0)
    if rand is not None:
        return U32(U32(rand[U64(index)]) << U32(U32(32 - k) & U32(31)))
    return U32(U32(splitmix_bits(seed, index, 32)) & top_bits32(k))


def fast32_work(x3_shape, stochastic: bool) -> tuple:
    """The scratch arrays of ``_fast32_rows`` for blocks (rows, block_size, inner) (allocated by
    the caller, one set per row range, so that the kernels compile no allocation): amax bits
    (int32), the scales in and out (float32), the random bits (uint32, empty when not
    stochastic)."""
    _, bs, inner = x3_shape
    n = GROUP if inner == 1 else max(inner, GROUP)
    draws = 2 * ((GROUP * bs if inner == 1 else n) // 2 + 1) if stochastic else 0     # (see _draw32)
    return np.empty(n, np.int32), np.empty(n, np.float32), np.empty(n, np.float32), np.empty(draws, np.uint32)


@inner_inline
def _amaxes(x, r, j0, n, amax, stored):
    """The amax bits of n blocks: along the last axis (2-D x) rows r .. r + n - 1 (j0 = 0),
    else blocks (r, j0 .. j0 + n - 1) of the 3-D x; stored's (the flat per-block array of
    ``block_amax32``) where it is not None, else computed into amax."""
    if x.ndim == 2:
        if stored is not None:
            return stored[r:r + n]
        _amax32_rows(x, r, n, amax)
        return amax
    if stored is not None:
        return stored[r * x.shape[2] + j0:r * x.shape[2] + j0 + n]
    _amax32_inner(x, r, j0, n, amax)
    return amax


@inner_inline
def _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, element, lean, group, scaled, scales,
                 sargs, stored, work, tally, blocks, lim):
    """The fast path over rows [row_lo, row_hi), layouts as ``_pow2_rows``: per group of blocks
    (or per row of inner blocks) the amax bits (int32; ``stored``'s where it is not None, see
    ``_amaxes``), then ``scales(amax, n, b0, s_in, s_out, tally, blocks, *sargs)`` (the n blocks'
    per-block outputs, block i's at the flat index b0 + i of the per-block array, where a
    group's blocks are consecutive, and so are a row's, and their float32 factors; with tally
    it returns the group's (scale_top, scale_bottom)), the random bits (k not None) into a
    scratch array, then the elements by ``_pass32``: the group's blocks as the rows of one 2-D
    slice (blocks along the last axis, GROUP at a time, COUNT_GROUP where counted), or per
    place along the blocked axis over the inner blocks. ``work`` is ``fast32_work``'s; with
    ``tally`` (``tally_arrays``') the report is counted in the same pass, the first indices
    found by a scan (``_flags32``) of a group, or a place of inner blocks (``_place_firsts``),
    that has a count without one. The arrays go to ``_pass32`` one by one, not in tuples, and
    the 3-D loop calls it with no helper between: each array taken from a tuple or passed
    through a helper cost an atomic reference count, 30 a place of 1,024 elements with a
    helper (mxfp8_e4m3 along axis 0 of 1024 x 1024 standard normal float32, 1 thread,
    report=True 0.43 -> 0.30-0.32 ms, 2.4x -> 1.6x the plain call). Where only values
    are wanted (codes, tally and k None), ``_lean_rows`` rounds by ``lean`` (an element step of
    the same form; None: no such path), blocks along the last axis ``group`` at a time. With
    ``blocks`` as well as tally (``block_words``'), the counts per block too (into blocks[0]
    at the blocks' flat indices, as the per-block array's: block sizes up to
    ``BLOCK_COUNT_MAX``). Returns tally."""
    bs = x.shape[1]
    full = (lim[0], lim[1], lim[2], None, None)     # the cases in full (see _screened_pass32)
    low = screen_rows(lim[3])
    amax, s_in, s_out, zs = work
    c = None if tally is None else tally[0]     # (taken from the tuple once: each take is an atomic reference count)
    base = 0 if tally is None else tally[1]
    if codes is None:       # a plain round compiles only _lean_rows (kernels.pipeline)
        if tally is None:
            if k is None:
                _lean_rows(x, row_lo, row_hi, out, p, cp, lean, scaled, scales, sargs, stored, work, full, group)
                return tally
    if x.ndim == 2:
        step = GROUP if tally is None else COUNT_GROUP
        for g in range(row_lo, row_hi, step):
            rows = minimum(step, row_hi - g)
            limits = scales(_amaxes(x, g, 0, rows, amax, stored), rows, g, s_in, s_out, tally, blocks, *sargs)
            off = 0 if k is None else _draw32(zs, rows * bs, rand, seed, start + g * bs, k)
            o = None if out is None else out[g:g + rows]
            cd = None if codes is None else codes[g:g + rows]
            z = zs if k is None else zs[off:]
            if tally is None:       # (one inlined copy where nothing is counted)
                _pass32(x[g:g + rows], s_in, s_out, o, cd, z, p, cp, k, element, scaled, tally, full, None, 0)
            else:
                xs = x[g:g + rows]
                nan = _any_nan(s_in, rows)
                sums = _screened_pass32(xs, s_in, s_out, o, cd, z, p, cp, k, element, scaled, tally, full, low,
                                        blocks, g, nan)
                _add_sums(c, sums)
                if blocks is None:
                    _add_sums(c, _place_sums(tally[2], bs))
                for i in range(rows if nan else 0):     # the blocks whose scale is NaN, counted again
                    if s_in[i] == s_in[i]:
                        continue
                    if blocks is not None:
                        _nan_block_word(c, blocks[0][0], g + i, xs[i])
                        continue
                    for t in range(bs):
                        zk = _word32(rand, seed, start + (g + i) * bs + t, k)
                        _unflag(c, xs[i, t], s_in[i], s_out[i], zk, p, cp, element, scaled, full)
                need = _add_limits(c, limits)
                for i in range(rows * bs if need else 0):
                    b = i // bs
                    zk = _word32(rand, seed, start + g * bs + i, k)
                    need = _note(c, need, _flags32(x[g + b, i - b * bs], s_in[b], s_out[b], zk, p, cp, element,
                                                   scaled, full, True), base + g * bs + i)
                    if not need:
                        break
        return tally
    inner = x.shape[2]
    for r in range(row_lo, row_hi):
        limits = scales(_amaxes(x, r, 0, inner, amax, stored), inner, r * inner, s_in, s_out, tally, blocks,
                        *sargs)
        nan = False if tally is None else _any_nan(s_in, inner)
        for t in range(bs):
            off = 0 if k is None else _draw32(zs, inner, rand, seed, start + (r * bs + t) * inner, k)
            xs = x[r, t]
            o = None if out is None else out[r, t]
            cd = None if codes is None else codes[r, t]
            z = zs if k is None else zs[off:]
            if tally is None:
                _pass32(xs, s_in, s_out, o, cd, z, p, cp, k, element, scaled, tally, full, None, 0)
            else:       # (as above, with no helper between: see the docstring)
                sums = _pass32(xs, s_in, s_out, o, cd, z, p, cp, k, element, scaled, tally, full, blocks, 0)
                _add_sums(c, sums)
                for j in range(inner if nan and blocks is None else 0):    # elements of NaN scales, counted again
                    if s_in[j] != s_in[j]:
                        zk = _word32(rand, seed, start + (r * bs + t) * inner + j, k)
                        _unflag(c, xs[j], s_in[j], s_out[j], zk, p, cp, element, scaled, full)
                if blocks is None:      # (the per-block counts reach tally[0] at the row's end)
                    _place_firsts(c, base, x, r, t, t + 1, s_in, s_out, rand, seed, start, p, cp, k, element,
                                  scaled, full)
        if tally is not None and blocks is not None:
            for j in range(inner if nan else 0):
                if s_in[j] != s_in[j]:
                    blocks[2][j] = _nan_word(x[r, :, j])
            _add_sums(c, _row_blocks(blocks, r * inner, s_in, inner))
            _place_firsts(c, base, x, r, np.int64(0), bs, s_in, s_out, rand, seed, start, p, cp, k, element, scaled,
                          full)     # (int64 t0: the call above's compile, not one for a literal 0)
        if tally is not None:
            _add_limits(c, limits)
    return tally


@inner_inline
def _place_firsts(c, base, x, r, t0, t1, s_in, s_out, rand, seed, start, p, cp, k, element, scaled, lim):
    """Find the first indices of the counts c still without one (``_need``) among places t0 ..
    t1 - 1 of row r of the 3-D x (``_fast32_rows``' inner blocks; base: the index of x's element
    0), in C order, by ``_flags32``. Called after each place is counted, a scan ends within
    that place (inner elements): scanning the row after it was counted went as far as the
    first occurrence, tens of thousands of scalar elements for a rare case (mxfp8_e4m3 along
    axis 0 of 1024 x 1024 standard normal float32, report=True: 4.7x the plain call)."""
    need = _need(c)
    inner = x.shape[2]
    for t in range(t0, t1 if need else t0):
        xs = x[r, t]
        i0 = (r * x.shape[1] + t) * inner
        for j in range(inner):
            zk = _word32(rand, seed, start + i0 + j, k)
            need = _note(c, need, _flags32(xs[j], s_in[j], s_out[j], zk, p, cp, element, scaled, lim, True),
                         base + i0 + j)
            if not need:
                return


@inner_inline
def _any_nan(s_in, n):
    """Whether one of the n scales s_in[:n] is NaN."""
    nan = False
    for j in range(n):
        nan |= s_in[j] != s_in[j]
    return nan


@inner_inline
def _place_sums(acc, w):
    """The seven case sums of the per-place counts acc[:w] (``_pass32``'s of 2-D slices:
    ``_packed5`` fields of the first five cases; invalid and nan_in zero), which are cleared."""
    z = U32(0)
    n0 = n1 = n2 = n3 = n4 = z
    for t in range(w):
        a0, a1, a2, a3, a4 = _fields5(acc[t])
        n0, n1, n2, n3, n4 = U32(n0 + a0), U32(n1 + a1), U32(n2 + a2), U32(n3 + a3), U32(n4 + a4)
    acc[:w] = 0
    return n0, n1, n2, n3, n4, z, z


@inner_inline
def _row_blocks(blocks, b0, s_in, n):
    """Write the counts of a row's n inner blocks (``_pass32``'s words blocks[2][:n], which are
    cleared; s_in their scales in) to blocks[0][0, b0:b0 + n] (``_block_words_out``); their
    seven sums."""
    sums = _block_words_out(blocks[0][0][b0:b0 + n], blocks[2], s_in, n)
    blocks[2][:n] = 0
    return sums


@inner_inline
def _add_limits(c, limits):
    """Add a group's (scale_top, scale_bottom) to the counts c; the bits of the counts still
    without a first index (``_need``)."""
    c[2 * NFLAGS] += limits[0]
    c[2 * NFLAGS + 1] += limits[1]
    return _need(c)


@inner_inline
def _lean_rows(x, row_lo, row_hi, out, p, cp, lean, scaled, scales, sargs, stored, work, lim, group):
    """``_fast32_rows``' values without counts, deterministic, elements by ``lean``: per group of
    blocks along the last axis (``group`` of them: ``POW2_GROUP`` for power-of-two scales,
    ``LEAN_GROUP`` for nvfp4's, whose scale rounds: a few blocks, which stay in L1 from their
    amax to their elements, with their scales in one vectorized loop) their amaxes (nvfp4's
    from ``stored``), their scales, then the elements in one call (the blocks as the rows of a
    2-D slice); per row of inner blocks, their amaxes and scales, then the elements place by
    place, each place a whole row of x (one stream from memory: nvfp4 along axis 0 of 4096 x
    4096, 1 thread, CPU time, 21.2-22.2 -> 19.8-20.3 ms against places cut into chunks of 256
    inner blocks, 16 short streams at a time)."""
    if lean is None:        # (either branch pruned: kernels.pipeline)
        return
    if out is None:
        return
    amax, s_in, s_out, zs = work
    if x.ndim == 2:
        for g in range(row_lo, row_hi, group):
            rows = minimum(group, row_hi - g)
            scales(_amaxes(x, g, 0, rows, amax, stored), rows, g, s_in, s_out, None, None, *sargs)
            _pass32(x[g:g + rows], s_in, s_out, out[g:g + rows], None, zs, p, cp, None, lean, scaled, None, lim,
                    None, 0)
        return
    bs, inner = x.shape[1], x.shape[2]
    for r in range(row_lo, row_hi):
        scales(_amaxes(x, r, 0, inner, amax, stored), inner, r * inner, s_in, s_out, None, None, *sargs)
        for t in range(bs):
            _pass32(x[r, t], s_in, s_out, out[r, t], None, zs, p, cp, None, lean, scaled, None, lim, None, 0)


@inner_inline
def _pow2_of(k):
    """2**k as a float32, -149 <= k <= 127 (int32 lanes)."""
    return bits_as(np.int32(np.int32((k + np.int32(127)) << np.int32(23)) if k >= np.int32(-126)
                    else np.int32(np.int32(1) << np.int32(maximum(k + np.int32(149), np.int32(0)) & np.int32(31)))
                    ), np.float32)


@inner_inline
def raw_exponent32(m, rule):
    """``shared_exponent``'s exponent of float32 amax bits m > 0, finite (int32; ``rule`` for 23
    fraction bits) before the scale range's limits, in int32 lanes: a subnormal amax is
    normalized by a product with 2**64 (exact) in place of ``normalized``'s binary search."""
    rule_id, emax_elem, msig_frac, even_frac = rule[0], rule[1], rule[2], rule[3]
    small = m < np.int32(0x00800000)
    a = bits_as(np.int32(m), np.float32)
    b = bits_as(np.float32(a * np.float32(2.0 ** 64) if small else a), np.int32)
    frac = np.int32(b & np.int32(0x7FFFFF))
    s = np.int32(np.int32(b >> np.int32(23)) - (np.int32(64 + 127) if small else np.int32(127)) - np.int32(emax_elem))
    if rule_id == CEIL:
        s = np.int32(s + np.int32(frac != 0))
    elif rule_id == EVEN:
        s = np.int32(s + np.int32(frac >= np.int32(even_frac)))
    elif rule_id == RCEIL:
        s = np.int32(s + np.int32(frac > np.int32(msig_frac)))
    return s


@inner_inline
def shared_exponent32(m, rule):
    """``shared_exponent`` of float32 amax bits m (int32; ``rule`` for 23 fraction bits) in
    int32 lanes (``raw_exponent32`` clamped); tests/test_block_fast32.py compares the two."""
    return limited_exponent32(raw_exponent32(m, rule), m, rule[4], rule[5])


@inner_inline
def limited_exponent32(raw, m, s_lo, s_hi):
    """The shared exponent of amax bits m from its ``raw_exponent32`` raw: s_lo for m = 0, at
    least s_lo, NAN_EXP above s_hi and for an Inf or NaN amax (int32 lanes)."""
    s = np.int32(s_lo) if m == 0 else maximum(raw, np.int32(s_lo))
    return np.int32(NAN_EXP) if (s > np.int32(s_hi)) | (m >= np.int32(0x7F800000)) else s


@inner_inline
def _pow2_scales32(amax, n, b0, s_in, s_out, tally, blocks, sexp, rule):
    """``_scales`` from float32 amax bits (``rule`` for 23 fraction bits; block i's exponent
    into sexp[b0 + i], sexp the exponents flattened), float32 powers; with
    ``tally`` returns (scale_top, scale_bottom) from the exponents before the scale range's
    limits (``raw_exponent32``), in the same vectorized loop: the finite blocks above s_hi
    (their scale is NaN), the nonzero ones below s_lo; with ``blocks`` too, each block's
    into blocks[0][7:9, b0 + i] (``block_words``) in a loop of its own (with two more arrays
    that loop took more runtime alias checks than LLVM's vectorizer admits and ran scalar, a
    fifth of mxfp8_e4m3's per-block count: 4M standard normal float32, 1 thread, CPU time,
    per_block=True 1.88-1.91 -> 1.63-1.86 ms)."""
    s_lo, s_hi = rule[4], rule[5]
    exps = sexp[b0:b0 + n]      # (a slice: b0 + i, a signed index, would scatter)
    top = bottom = np.int32(0)
    for i in range(n):
        m = amax[i]
        raw = raw_exponent32(m, rule)
        s = limited_exponent32(raw, m, s_lo, s_hi)
        exps[i] = s
        nan = s == np.int32(NAN_EXP)
        s_in[i] = np.float32(np.nan) if nan else _pow2_of(np.int32(-s))
        s_out[i] = np.float32(np.nan) if nan else _pow2_of(s)
        if tally is not None:
            above, below = _pow2_limits(m, raw, s_lo, s_hi)
            top, bottom = np.int32(top + np.int32(above)), np.int32(bottom + np.int32(below))
    if blocks is not None:
        tops, bottoms = blocks[0][7, b0:b0 + n], blocks[0][8, b0:b0 + n]
        for i in range(n):
            m = amax[i]
            tops[i], bottoms[i] = _pow2_limits(m, raw_exponent32(m, rule), s_lo, s_hi)
    return top, bottom


@inner_inline
def _pow2_limits(m, raw, s_lo, s_hi):
    """(scale_top, scale_bottom) of a block with amax bits m and ``raw_exponent32`` raw: finite
    and above s_hi, nonzero and below s_lo."""
    counted = (m != 0) & (m < np.int32(0x7F800000))
    return counted & (raw > np.int32(s_hi)), counted & (raw < np.int32(s_lo))


@inner_inline
def _nvfp4_scales32(amax, n, b0, s_in, s_out, tally, blocks, svals, p_scale, ts, emax32, tiny32, max32):
    """``nvfp4_scale`` of n blocks: svals[b0 + i] (the block scales flattened) and the total
    scale in and out; the scale rounds by ``nearest32_one`` (p_scale: the scale format's
    ``Fast32Params``; the clamped quotient lies inside its range, a NaN one gives the NaN
    scale); s_in and s_out may be one array (``quantize_fp32_scaled_fast`` passes one). With
    ``tally`` returns (scale_top, scale_bottom): the finite blocks whose quotient lay above
    max32, the nonzero ones below tiny32; with ``blocks`` too, each block's into
    blocks[0][7:9, b0 + i] (``block_words``)."""
    top = bottom = 0
    if blocks is not None:
        tops, bottoms = blocks[0][7, b0:b0 + n], blocks[0][8, b0:b0 + n]
    for i in range(n):      # unit strides only: the loop vectorizes
        a = bits_as(np.int32(amax[i]), np.float32)
        q = (a / emax32) / ts
        b = minimum(maximum(q, tiny32), max32)
        sv = bits_as(np.uint32(nearest32_one(bits_as(np.float32(b), np.uint32), p_scale)), np.float32)
        finite = a <= MAX32
        s_out[i] = sv if finite else np.float32(np.nan)
        if tally is not None:       # (the quotient q once: a loop of its own divided again)
            above, below = finite & (q > max32), finite & (a > 0) & (q < tiny32)
            top += above
            bottom += below
            if blocks is not None:
                tops[i], bottoms[i] = above, below
    vals = svals[b0:b0 + n]     # (a slice: as in _pow2_scales32; last: its memory may hold amax)
    for i in range(n):
        vals[i] = s_out[i]
        s_in[i] = s_out[i] = ts * s_out[i]
    return top, bottom


@inner_inline
def _pow2_fast_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, element, lean, rule, lim,
                    work, tally, blocks):
    return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, element, lean, POW2_GROUP,
                        _mul32, _pow2_scales32, (sexp, rule), None, work, tally, blocks, lim)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_fast32(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, rule, lim, work, tally,
                         blocks):
    """``quantize_pow2_32`` of float elements with the float32 step ``nearest_element32`` (k
    None) or, with the k <= 32 random bits of sr_rule="add", ``sr_element32``, and its
    parameters p, cp; ``rule`` for 23 fraction bits; sexp flat (1-D, the blocks in C order);
    out, when not None, float32; ``work``: ``fast32_work``'s; ``tally``: None, or
    ``tally_arrays``' to count the report (lim = (True, normal_bits, low_bits) of the element,
    see ``_cases32``, then the screen, True or None, see ``_screened_pass32``, and None: the
    rows to take, ``_pass32``'s), ``blocks`` None or the per-block counts (``_fast32_rows``); returns
    tally. (The step is chosen here, by k's type, not passed in: a function argument's type
    names its address, and the cache would never find the kernel again.)"""
    if k is None and codes is None:     # values (counted or not): the lean step
        return _pow2_fast_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, lean_finite32,
                               lean_finite32, rule, lim, work, tally, blocks)
    if k is None:
        return _pow2_fast_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, nearest_element32,
                               lean_finite32, rule, lim, work, tally, blocks)
    return _pow2_fast_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, sr_element32, None,
                           rule, lim, work, tally, blocks)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_directed32(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, rule, lim, work, tally,
                             blocks):
    """``quantize_pow2_fast32`` in the deterministic modes other than nearest even, by
    ``directed_element32`` (p: its pair; k None), quotients below float32's normal range kept
    nonzero (``_mul32_sticky``)."""
    return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, directed_element32,
                        directed_element32, POW2_GROUP, _mul32_sticky, _pow2_scales32, (sexp, rule), None, work,
                        tally, blocks, lim)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_int32(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, rule, lim, work, tally,
                        blocks):
    """``quantize_pow2_fast32`` of fixed-point elements rounded to nearest even by
    ``int_element32`` (p: ``Int32Params``; k None)."""
    return _pow2_fast_rows(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, int_element32,
                           int_element32, rule, lim, work, tally, blocks)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_pow2_fixed_fast32(x, row_lo, row_hi, out, codes, sexp, rand, seed, start, p, cp, k, rule, lim, work,
                               tally, blocks):
    """``quantize_pow2_int32`` in the other modes, stochastic rounding of up to 32 random bits
    included (k their count, else None), by ``fixed_element32`` / ``fixed_sr_element32`` (p:
    ``casts.block.fixed32_element``'s), the quotients below float32's normal range kept
    nonzero (``_mul32_sticky``) as ``_fixed_element32`` keeps them: mxint8, 1024 x 1024
    standard normal float32, 1 thread, CPU time, toward_zero 0.55 -> 0.44 ms (report=True
    2.49 -> 0.56 ms, counted after the cast before), seeded stochastic 0.79 -> 0.47 ms
    (report=True 2.78 -> 0.69 ms), against ``quantize_pow2_fixed32``."""
    if k is None:
        return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, fixed_element32,
                            fixed_element32, POW2_GROUP, _mul32_sticky, _pow2_scales32, (sexp, rule), None, work,
                            tally, blocks, lim)
    return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, fixed_sr_element32, None,
                        POW2_GROUP, _mul32_sticky, _pow2_scales32, (sexp, rule), None, work, tally, blocks, lim)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_fp32_scaled_fast(x, row_lo, row_hi, out, codes, svals, amaxes, rand, seed, start, p, cp, k, p_scale,
                              ts, elem_max, scale_tiny, scale_max, lim, work, tally, blocks):
    """``quantize_fp32_scaled`` of float elements with a float32 step chosen as in
    ``quantize_pow2_fast32`` (lim = (None, normal_bits, low_bits, None, None)); p_scale: the scale
    format's ``Fast32Params`` (nearest even); the bounds float32; svals flat, as sexp there;
    amaxes: the blocks' amax bits from ``block_amax32`` (flat int32; svals' memory may hold them:
    each block's scale overwrites its amax), or None where the caller knows the tensor's amax
    (ts from it): then each group's block amaxes are found in its own pass (``_amaxes``)."""
    sargs = (svals, p_scale, ts, np.float32(elem_max), scale_tiny, scale_max)
    work = (work[0], work[1], work[1], work[3])     # the scale in and out are one number, the total: one array
    if k is None and codes is None:
        return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, lean_element32,
                            lean_element32, LEAN_GROUP, _div32, _nvfp4_scales32, sargs, amaxes, work,
                            tally, blocks, lim)
    if k is None:
        return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, nearest_element32,
                            lean_element32, LEAN_GROUP, _div32, _nvfp4_scales32, sargs, amaxes, work,
                            tally, blocks, lim)
    return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, sr_element32, None, LEAN_GROUP,
                        _div32, _nvfp4_scales32, sargs, amaxes, work, tally, blocks, lim)


@kernel(cache=True, nogil=True, error_model="numpy")
def quantize_fp32_scaled_directed(x, row_lo, row_hi, out, codes, svals, amaxes, rand, seed, start, p, cp, k, p_scale,
                                  ts, elem_max, scale_tiny, scale_max, lim, work, tally, blocks):
    """``quantize_fp32_scaled_fast`` in the deterministic modes other than nearest even, by
    ``directed_element32`` (p: its pair; k None)."""
    sargs = (svals, p_scale, ts, np.float32(elem_max), scale_tiny, scale_max)
    work = (work[0], work[1], work[1], work[3])
    return _fast32_rows(x, row_lo, row_hi, out, codes, rand, seed, start, p, cp, k, directed_element32,
                        directed_element32, LEAN_GROUP, _div32, _nvfp4_scales32, sargs, amaxes, work, tally, blocks,
                        lim)
