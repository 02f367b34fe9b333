"""Numba kernels of numfmt.sum / dot / matmul: one entry point per summation order.

Every output element is the reduction of n *terms*: the inputs themselves (``numfmt.sum``,
``bt`` without rows) or the products ``a[g, i, k] * bt[g, j, k]``, optionally rounded to the product
format, reduced in the requested order. Each order has its own compiled entry point
(``KERNELS[order]``), so a call compiles only the order it uses.

Terms come in one of two forms, chosen by the Python side per call:

- values (``tx`` None) in the operands' dtype (float32 or float64): the inputs, read in place,
  or products formed in float64 where ``numfmt.arithmetic.floating.products_exact_in_float64``
  proves them exact (at most 53 bits, in float64's normal range), and stored in the operands'
  dtype (float32 only where the caller knows them to be float32 values);
- exact products ``tx[k] = (neg, sig, exp, hi)`` (``tx_proto`` an array): the integer product
  of the unpacked operands, never rounded, is ``(hi * 2**62 + sig) * 2**exp`` (sig < 2**62;
  hi > 0 only for significands of more than 31 bits: binary64's products have 106 bits, which
  ``kernels.exact.add_words`` adds exactly); used wherever a float64 product could be inexact
  (formats of more than 26 significand bits). ``sig == -1`` marks a special (Inf / NaN), whose
  float64 bits are in ``exp``; sig == 0 is a zero of sign neg. The orders "exact" and "fused"
  take products of at most 62 bits (hi == 0; ``numfmt.accumulate`` refuses wider ones).

Accumulator values, and Inf / NaN, travel as float64 bit patterns (int64): every value of an
accumulator format is a float64 number. Every rounding is one call of the float family's
rounding: ``kernels.floating.round_one`` on a float64 value (a term, a special),
``kernels.arith.round_exact`` on an exact value in the 62-bit odd-jammed form of
``kernels.exact``. A *rounder* is ``(p, rdn, stochastic, sr, rep)``: the target's ``FloatParams``
(``casts.floating.kernel_params``), whether an exact zero sum is -0 (round toward negative,
as an int64), whether to round stochastically, the target's stochastic parameters
(``casts.floating.sr_params``; None for a deterministic rounder to a narrow format, whose
roundings then compile without their stochastic code: ``_round_bits``), and how its
roundings are counted for ``report=True`` (``casts.report.rounding_report``; None: not
counted, and the counting is not compiled in: a report is a compiled variant of its own, and
``report=False`` runs the plain kernel). Every
rounding is counted where it happens (``_round``, ``_round_sum``, ``_add_exact``, ``_route``)
from its exact value, or that rounded to odd at 53 bits, by ``kernels.report``. The run context ``ctx = (seed, mark, base, rand)`` holds the
stochastic-rounding seed, the overflow mark (the rounding's output for an overflow under
overflow="raise", else -1), the first random-number index of the output element and the
explicit random numbers (int64; empty: SplitMix64 number j of seed); the per-element state ``st`` counts the
stochastic roundings (``st[0]``: rounding j uses random number base + j) and flags an
overflow and an addition that left the float64 route (``st[1]``: OVERFLOWED, LEFT_ROUTE). Integer arguments are int64 throughout (no literal ints), so each
helper compiles once.
"""
import numba as nb
import numpy as np

from .arrays import alive, bits_as, borrowed, empty, zeros
from ..lanes import maximum, minimum
from ..random import splitmix_bits
from .arith import narrow, odd_sum_bits, round_exact, round_exact_narrow
from .exact import add_words, bit_length, mul_wide, normalize, normalize_wide, unpack_float64
from .floating import DETERMINISTIC, DOM64, NO_RND, NO_SR, VALUE, FloatParams, round_one
from .longacc import longacc_add, longacc_value
from . import report as rep_kern
from .inner import inner, inner_inline
from .vectors import wide_vectors

ROUNDINGS_PER_TERM = 8          # random numbers reserved per term and output element

_SIGN = np.int64(-(1 << 63))
_ABS = np.int64((1 << 63) - 1)
_INF = np.int64(0x7FF << 52)
_NAN = np.int64(0x7FF8 << 48)
_ZERO = np.int64(0)
_SPECIAL_TERM = np.int64(-1)    # sig of an exact triple that stands for Inf / NaN
_LOW62 = np.uint64((1 << 62) - 1)
# x + y takes the float64 route (TwoSum, ``kernels.arith.odd_sum_bits``) when both magnitudes
# are below 2**1022: the sum stays below 2**1023, so no step of TwoSum overflows
_FAST_MAG = np.int64((1022 + 1023) << 52)
_PW_BLOCK = 128                 # numpy's PW_BLOCKSIZE
# the long accumulator of the "exact" order: terms from 2**-1074 to 2**1024, up to 2**63 of them
_LSB = np.int64(-1074)
_LIMBS = 1 + (1024 + 1074 + 64 + 31) // 32


@nb.njit(inline="always")
def _special(b):
    return (b & _INF) == _INF


@nb.njit(inline="always")
def _positive_nan(b):
    """A reduction's result bits b with a NaN made the positive NaN (a cast of an overflow
    keeps its sign; the sums' NaNs are one NaN, whatever the order made)."""
    return _NAN if (b & _ABS) > _INF else b


@nb.njit(inline="always")
def _special_sum(xb, yb):
    """IEEE x + y where x or y is Inf or NaN: NaN for a NaN or Inf - Inf, else the Inf."""
    x_inf = (xb & _ABS) == _INF
    y_inf = (yb & _ABS) == _INF
    if (xb & _ABS) > _INF or (yb & _ABS) > _INF or (x_inf and y_inf and xb != yb):
        return _NAN
    return xb if x_inf else yb


@inner_inline
def _draw(stochastic, sr, st, ctx):
    """The random number of the next rounding (0 when not stochastic, and for a deterministic
    rounder, sr None: then nothing of the draw is compiled); counts it in st."""
    rnd = np.int64(0)
    if sr is None:
        return rnd
    if stochastic:
        rand, j = ctx[3], ctx[2] + st[0]
        rnd = rand[j] if rand.size else splitmix_bits(ctx[0], j, sr[0])
        st[0] += 1
    return rnd


# st[1] (and the kernels' status) bits
OVERFLOWED = np.int64(1)        # a rounding overflowed under overflow="raise"
LEFT_ROUTE = np.int64(2)        # an addition the float64 route cannot take (``add_route``)
# the rest of st: st[2] the output element being reduced; from st[3] on the counts of the
# roundings of the chunk (``kernels.report.count_event``: their number, the counts in
# ``numfmt.report.FLAGS`` order, the first output elements that set them), which the kernels return
_OUTPUT = 2
_COUNTS = 3
ST_SIZE = _COUNTS + 1 + 2 * rep_kern.NFLAGS


@nb.njit(inline="always")
def _new_state():
    st = zeros(ST_SIZE, np.int64)
    st[_COUNTS + 1 + rep_kern.NFLAGS:] = -1
    return st


@nb.njit(inline="always")
def _is_nan(b):
    return (b & _ABS) > _INF


@inner_inline
def _count_value(rep, nan_in, xb, yb, rnd, stochastic, st):
    """Count a rounding of the float64 value xb (an operation's result: exact, or rounded to
    odd at 53 bits for a narrow format; NaN for an invalid operation) that gave yb, where the
    rounder reports (``rep`` = (unbounded params, their sr, limits) of
    ``casts.report.rounding_report``; None: nothing, and nothing compiled). Inlined where it
    is called: the common roundings (``kernels.report.common``) and those of an exact zero
    (zero, no flag) are counted in place, the rest by a call."""
    if rep is None:
        return
    x, y = bits_as(np.int64(xb), np.float64), bits_as(np.int64(yb), np.float64)
    if rep_kern.common(x, y, rep[2]) | (x == 0):
        rep_kern.count_event(st, _COUNTS, rep_kern.INEXACT if y != x else 0, st[_OUTPUT])
    else:
        _count_rare(rep, nan_in, x, y, rnd, stochastic, st)


@inner
def _count_rare(rep, nan_in, x, y, rnd, stochastic, st):
    """``_count_value`` of the roundings that are not ``kernels.report.common``."""
    p, sr_unbounded, lim = rep
    m = rep_kern.value_flags(nan_in, x, y, rnd, p, sr_unbounded, stochastic, lim)
    rep_kern.count_event(st, _COUNTS, m, st[_OUTPUT])


@inner
def _count_exact(rep, neg, sig, exp, yb, rnd, stochastic, st):
    """Count a rounding of the exact value (neg, sig, exp) in the 62-bit form that gave yb
    (``_count_value``'s rep)."""
    if rep is None:
        return
    p, sr_unbounded, lim = rep
    m = rep_kern.exact_flags(neg, sig, exp, bits_as(np.int64(yb), np.float64), rnd, p, sr_unbounded, stochastic, lim)
    rep_kern.count_event(st, _COUNTS, m, st[_OUTPUT])


@nb.njit(inline="always")
def _check(out, st, ctx):
    """Flag an overflow under overflow="raise" (the rounding returned the mark)."""
    if out == ctx[1]:
        st[1] |= OVERFLOWED
    return out


# A deterministic rounder to a narrow format may come with sr None (the lean kernels'
# ``_lean_rounder``): its roundings then compile without their stochastic and wide-format code.
@inner_inline
def _round_bits(bits, p, stochastic, rnd, sr):
    """``round_one`` of the float64 bits ``bits`` (sr None: deterministically)."""
    if sr is None:
        return round_one(bits, p, VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR)
    return round_one(bits, p, VALUE, DOM64, stochastic, rnd, sr)


@inner_inline
def _round_exact_form(neg, sig, exp, p, stochastic, rnd, sr):
    """``round_exact`` of the 62-bit form (sr None: deterministically to a narrow format)."""
    if sr is None:
        return round_exact_narrow(neg, sig, exp, p, VALUE)
    return round_exact(neg, sig, exp, p, VALUE, stochastic, rnd, sr)


@inner
def _round(bits, nan_in, rounder, st, ctx):
    """The float64 value ``bits`` (a term, a sum rounded to odd, or Inf / NaN / a zero)
    rounded once; nan_in: whether a NaN came in (the value's operands held one)."""
    p, _, stochastic, sr, rep = rounder
    rnd = _draw(stochastic, sr, st, ctx)
    out = _round_bits(bits, p, stochastic, rnd, sr)
    _count_value(rep, nan_in, bits, out, rnd, stochastic, st)
    return _check(out, st, ctx)


@inner
def _round_sum(neg, sig, exp, zero_neg, rounder, st, ctx):
    """An exact value in the 62-bit form rounded once (``kernels.arith.round_exact``); an
    exact zero (sig == 0) is -0 iff zero_neg (int64); sig == -1: the special of bits exp
    (the exact orders round theirs here rather than by ``_round``, which would compile a
    stochastic cast of its own for a value whose image no mode changes)."""
    p, _, stochastic, sr, rep = rounder
    rnd = _draw(stochastic, sr, st, ctx)
    neg = zero_neg if sig == 0 else neg
    out = _round_exact_form(neg, sig, exp, p, stochastic, rnd, sr)
    if sig < 0:
        _count_value(rep, _is_nan(exp), exp, out, rnd, stochastic, st)
    else:
        _count_exact(rep, neg, sig, exp, out, rnd, stochastic, st)
    return _check(out, st, ctx)


@inner_inline
def _zero_sign(all_neg_zero, signed, rounder):
    """``_round_sum``'s zero_neg of a sum of addends that is exactly zero, as IEEE 754 addition
    signs it: -0 where every addend is -0, or, rounding toward negative (rounder[1]), where
    ``signed``: some addend is -0 or nonzero (the nonzero ones cancel); else +0."""
    return np.int64(all_neg_zero or (rounder[1] != 0 and signed))


@inner_inline
def _round_special(bits, rounder, st, ctx):
    """``_round`` of an Inf or NaN (float64 bits) by ``_round_sum``."""
    return _round_sum(_ZERO, _SPECIAL_TERM, bits, _ZERO, rounder, st, ctx)


@inner_inline
def _words(sig, hi):
    """The uint64 words of the significand hi * 2**62 + sig (sig < 2**62) of an exact term."""
    return np.uint64(hi) >> np.uint64(2), (np.uint64(hi) << np.uint64(62)) | np.uint64(sig)


@inner
def _add_exact(xb, ny, sy, ey, hy, rounder, st, ctx):
    """x + y rounded once by the exact core: x float64 bits, y an exact term (significand
    hy * 2**62 + sy; sy == -1: the special of bits ey). IEEE 754 signs of zero sums, Inf and NaN."""
    p, rdn, stochastic, sr, rep = rounder
    rnd = _draw(stochastic, sr, st, ctx)
    if _special(xb) or sy < 0:
        v = _special_sum(xb, ey if sy < 0 else _ZERO)
        out = _round_bits(v, p, stochastic, rnd, sr)
        _count_value(rep, _is_nan(xb) or (sy < 0 and _is_nan(ey)), v, out, rnd, stochastic, st)
    else:
        nx, sx, ex = unpack_float64(xb)
        h, lo = _words(sy, hy)
        n, s, e = add_words(ny, h, lo, ey, nx, sx, ex)
        if s == 0:
            n = ((nx & ny) | (rdn & (nx | ny))) if (sx == 0 and sy == 0) else rdn
        out = _round_exact_form(n, s, e, p, stochastic, rnd, sr)
        _count_exact(rep, n, s, e, out, rnd, stochastic, st)
    return _check(out, st, ctx)


@inner_inline
def _unpack_bits(b):
    """A float64 bit pattern as an exact triple (sig -1 for a special, bits in exp)."""
    if _special(b):
        return _ZERO, _SPECIAL_TERM, b
    return unpack_float64(b)


# x + y rounded once, the addition of every order: an *adder* (xb, yb, rounder, st, ctx) ->
# bits. Rounding to a narrow format (``kernels.arith.narrow``) of x, y below 2**1022 in
# magnitude (every accumulator value and term of those formats, and Kahan's compensations,
# which are values of the accumulator format), or where one is Inf or NaN, takes the float64
# route: ``odd_sum_bits`` gives by TwoSum the exact sum rounded to odd at 53 bits, bit for bit
# what ``round_exact`` makes of the exact core's sum (signs of zero sums, Inf and NaN
# included), and ``round_one`` rounds it once to the format. Stochastic rounding takes it too
# where the odd-jammed float64 holds the discarded fraction exact to k bits and one more
# (``_stochastic_fits_route``). ``add_any`` takes the exact core for everything else (wide
# formats such as binary64, huge magnitudes, too many random bits); ``add_route`` does not
# contain it (the kernels built on it compile in a third of the time) and flags LEFT_ROUTE
# instead, for the caller to run the full kernel.
@inner_inline
def _rounding_fits_route(stochastic, p, sr):
    """Deterministic rounding (always so for sr None), or stochastic rounding with precision +
    k <= 51 and a smallest quantum of at least 2**(k - 1072) (sr[2] is its exponent + 1075), as
    ``numfmt.arithmetic.floating.takes_float64_route`` decides for the element-wise operations
    (which the caller asks before it runs a route kernel)."""
    if sr is None:
        return True
    return not stochastic or ((p.M + 1 + sr[0] <= 51) & (sr[2] >= sr[0] + 3))


@nb.njit(inline="always")
def _takes_route(xb, yb, rounder):
    big = maximum(xb & _ABS, yb & _ABS)
    return (_rounding_fits_route(rounder[2], rounder[0], rounder[3]) and (big < _FAST_MAG or big >= _INF)
            and narrow(rounder[0]))


@nb.njit(inline="always")
def _route(xb, yb, rounder, st, ctx):
    v = odd_sum_bits(xb, yb, rounder[1])
    nan_in = _is_nan(xb) or _is_nan(yb)
    if rounder[2]:          # stochastic: a call (the deterministic loops stay lean)
        return _round(v, nan_in, rounder, st, ctx)
    out = round_one(v, rounder[0], VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR)
    _count_value(rounder[4], nan_in, v, out, NO_RND, DETERMINISTIC, st)
    return _check(out, st, ctx)


@inner
def add_any(xb, yb, rounder, st, ctx):
    """x + y rounded once, by the float64 route or the exact core."""
    if _takes_route(xb, yb, rounder):
        return _route(xb, yb, rounder, st, ctx)
    ny, sy, ey = _unpack_bits(yb)
    return _add_exact(xb, ny, sy, ey, _ZERO, rounder, st, ctx)


@inner
def add_route(xb, yb, rounder, st, ctx):
    """x + y rounded once by the float64 route; where it cannot, flags LEFT_ROUTE (result +0)."""
    if _takes_route(xb, yb, rounder):
        return _route(xb, yb, rounder, st, ctx)
    st[1] |= LEFT_ROUTE
    return _ZERO


@nb.njit(inline="always")
def _step(add, xb, yb, rounder, st, ctx):
    """``add`` with its float64 route inlined into the caller's loop (no call per step)."""
    if _takes_route(xb, yb, rounder):
        return _route(xb, yb, rounder, st, ctx)
    return add(xb, yb, rounder, st, ctx)


# ----- terms: ta[i] (values, tx None) or the exact triples tx[i]

@nb.njit(inline="always")
def _term_bits(ta, i):
    return bits_as(np.float64(ta[i]), np.int64)


@nb.njit(inline="always")
def _term(ta, tx, i):
    """Term i as an exact triple (see the module docstring)."""
    if tx is None:
        return _unpack_bits(_term_bits(ta, i))
    return tx[i, 0], tx[i, 1], tx[i, 2]


@inner
def _round_term(ta, tx, i, rounder, st, ctx):
    """Term i rounded once."""
    if tx is None:
        b = _term_bits(ta, i)
        return _round(b, _is_nan(b), rounder, st, ctx)
    neg, sig, exp = tx[i, 0], tx[i, 1], tx[i, 2]
    if sig < 0:
        return _round(exp, _is_nan(exp), rounder, st, ctx)
    h, lo = _words(sig, tx[i, 3])
    neg, sig, exp = normalize_wide(neg, h, lo, exp, _ZERO)
    return _round_sum(neg, sig, exp, neg, rounder, st, ctx)


@nb.njit(inline="always")
def _first_term(ta, tx, i, hi, rounder, st, ctx):
    """Term i rounded once; +0 rounded once where i >= hi (no terms)."""
    if i >= hi:
        return _round(_ZERO, _is_nan(_ZERO), rounder, st, ctx)
    return _round_term(ta, tx, i, rounder, st, ctx)


@nb.njit(inline="always")
def _add_term(add, s, ta, tx, i, rounder, st, ctx):
    """s (float64 bits) + term i, rounded once (by ``add`` for float64 terms)."""
    if tx is None:
        return _step(add, s, _term_bits(ta, i), rounder, st, ctx)
    return _add_exact(s, tx[i, 0], tx[i, 1], tx[i, 2], tx[i, 3], rounder, st, ctx)


# ----- the orders: reduce terms lo .. hi - 1 (cfg = (block, fused_terms, align, promote))
#
# Each order takes its roundings as four functions: first(ta, tx, i, hi, rounder, st, ctx)
# (``_first_term``), term(add, s, ta, tx, i, rounder, st, ctx): s + term i (``_add_term``),
# pair(add, x, y, rounder, st, ctx): x + y in a hot loop (``_step``), and the adder add (x + y
# elsewhere). ``_reduce_rows`` passes those; the lean kernels below their own.

@nb.njit(inline="always")
def _sequential(first, term, pair, add, ta, tx, lo, hi, cfg, acc, rounder, st, ctx):
    """s = round(t[lo]); s = round(s + t[i]) for i = lo + 1 .. hi - 1; +0 when empty."""
    s = first(ta, tx, lo, hi, rounder, st, ctx)
    for i in range(lo + 1, hi):
        s = term(add, s, ta, tx, i, rounder, st, ctx)
    return s


@nb.njit(inline="always")
def _blocked(first, term, pair, add, ta, tx, lo, hi, cfg, acc, rounder, st, ctx):
    """Sequential sums of consecutive blocks of cfg[0] terms, then their sequential sum."""
    block = cfg[0]
    s = _ZERO
    for b0 in range(lo, maximum(hi, lo + 1), block):       # one call site of the inlined _sequential
        v = _sequential(first, term, pair, add, ta, tx, b0, minimum(b0 + block, hi), cfg, acc, rounder, st, ctx)
        s = v if b0 == lo else add(s, v, rounder, st, ctx)
    return s


@nb.njit(inline="always")
def _kahan(first, term, pair, add, ta, tx, lo, hi, cfg, acc, rounder, st, ctx):
    """Kahan's compensated sum, every operation rounded: y = t - c; u = s + y;
    c = (u - s) - y; s = u; starting from s = round(t[lo]), c = +0."""
    s = first(ta, tx, lo, hi, rounder, st, ctx)
    c = _ZERO
    for i in range(lo + 1, hi):
        y = term(add, c ^ _SIGN, ta, tx, i, rounder, st, ctx)      # t - c = (-c) + t
        u = pair(add, s, y, rounder, st, ctx)
        c = pair(add, pair(add, u, s ^ _SIGN, rounder, st, ctx), y ^ _SIGN, rounder, st, ctx)
        s = u
    return s


@nb.njit(inline="always")
def _pairwise_leaf(first, term, add, ta, tx, lo, n, rounder, st, ctx):
    """numpy's pairwise_sum for n <= 128 terms (8 partial sums, then the rest)."""
    s = _SIGN                       # below 8 terms numpy starts from -0.0 and adds them all
    i = 0
    if n >= 8:
        r = empty(8, np.int64)
        for k in range(8):
            r[k] = first(ta, tx, lo + k, lo + n, rounder, st, ctx)
        i = 8
        while i < n - n % 8:
            for k in range(8):
                r[k] = term(add, r[k], ta, tx, lo + i + k, rounder, st, ctx)
            i += 8
        for w in (1, 2, 4):         # ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), level by level
            for k in range(0, 8, 2 * w):
                r[k] = add(r[k], r[k + w], rounder, st, ctx)
        s = r[0]
    for k in range(lo + i, lo + n):     # the rest (one call site: this step is inlined)
        s = term(add, s, ta, tx, k, rounder, st, ctx)
    return s


@nb.njit(inline="always")
def _pairwise(first, term, pair, add, ta, tx, lo, hi, cfg, acc, rounder, st, ctx):
    """+0 + numpy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src; np.add.reduce
    starts from its identity +0): above 128 terms split at n2 = n // 2 - (n // 2) % 8 and add
    the two halves' sums. The recursion runs on an explicit stack, in the same order (left
    half, right half, their sum)."""
    los = empty(64, np.int64)
    ns = empty(64, np.int64)
    stage = empty(64, np.int64)
    vals = empty(64, np.int64)
    nv = 0
    los[0] = lo
    ns[0] = hi - lo
    stage[0] = 0
    sp = 1
    while sp > 0:
        f = sp - 1
        n = ns[f]
        if n <= _PW_BLOCK:
            vals[nv] = _pairwise_leaf(first, term, add, ta, tx, los[f], n, rounder, st, ctx)
            nv += 1
            sp -= 1
            continue
        n2 = n // 2
        n2 -= n2 % 8
        if stage[f] < 2:
            left = stage[f] == 0
            stage[f] += 1
            los[sp] = los[f] if left else los[f] + n2
            ns[sp] = n2 if left else n - n2
            stage[sp] = 0
            sp += 1
        else:
            nv -= 1
            vals[nv - 1] = add(vals[nv - 1], vals[nv], rounder, st, ctx)
            sp -= 1
    return add(_ZERO, vals[0], rounder, st, ctx)


@inner_inline
def _addend(s, ta, tx, i, lo):
    """The fused step's addend i: the running sum s for i == lo - 1, else term i."""
    if i < lo:
        return _unpack_bits(s)
    return _term(ta, tx, i)


@inner
def _fused_step(s, ta, tx, lo, hi, align, rounder, st, ctx, with_s):
    """One fused multi-term addition: s + t[lo] + ... + t[hi - 1] (the first step, with_s
    False: the terms alone), each addend truncated toward zero to a multiple of 2**(emax -
    align) (emax: the exponent of the largest addend's leading bit), the exact sum of the
    truncated addends rounded once. An exact zero has IEEE addition's sign: -0 when every
    addend is -0 (or, rounding toward negative, when one is -0 or the nonzero ones cancel),
    else +0."""
    first = lo - 1 if with_s else lo
    sp = _ZERO
    has_sp = False
    for i in range(first, hi):
        _, sig, e = _addend(s, ta, tx, i, lo)
        if sig < 0:
            sp = _special_sum(sp, e) if has_sp else e
            has_sp = True
    if has_sp:
        return _round_special(sp, rounder, st, ctx)
    emax = np.int64(-(1 << 40))
    all_neg_zero, signed = True, False      # (every addend -0; some addend -0 or nonzero)
    for i in range(first, hi):
        neg, sig, e = _addend(s, ta, tx, i, lo)
        if sig != 0:
            emax = maximum(emax, e + bit_length(sig) - 1)
        all_neg_zero &= (sig == 0) & (neg != 0)
        signed |= (sig != 0) | (neg != 0)
    q = emax - align
    total = _ZERO
    for i in range(first, hi):
        neg, sig, e = _addend(s, ta, tx, i, lo)
        if sig != 0:                # (zeros: their exponent says nothing, e - q may be huge)
            sig = (sig >> minimum(q - e, np.int64(63))) if e < q else (sig << (e - q))
            total += -sig if neg else sig
    neg, sig, e = normalize(np.int64(total < 0), abs(total), q, _ZERO)
    return _round_sum(neg, sig, e, _zero_sign(all_neg_zero, signed, rounder), rounder, st, ctx)


@nb.njit(inline="always")
def _fused(first, term, pair, add, ta, tx, lo, hi, cfg, acc, rounder, st, ctx):
    """Fused steps over groups of cfg[1] terms (cfg[2] alignment bits): the first group's
    terms, then s and the next group, and so on."""
    k, align = cfg[1], cfg[2]
    s = _ZERO
    for g0 in range(lo, hi, k):
        s = _fused_step(s, ta, tx, g0, minimum(g0 + k, hi), align, rounder, st, ctx, g0 > lo)
    return s


# what a part of an exact sum knows besides its long accumulator: bits that merge by OR
HAS_SPECIAL = np.int64(1)       # a term is Inf or NaN (the IEEE sum of those is kept apart)
HAS_TERMS = np.int64(2)         # a term at all
NOT_NEG_ZERO = np.int64(4)      # a term that is not -0
NEG_ZERO = np.int64(8)          # a term that is -0
NONZERO = np.int64(16)          # a nonzero finite term
NAN_BITS = _NAN                 # the NaN of a sum with a NaN term or Inf - Inf


@inner
def _exact_sum(ta, tx, lo, hi, acc):
    """The exact sum of the finite terms lo .. hi - 1 into ``acc`` (zeroed first); returns
    (the IEEE sum of the special terms, the flags above)."""
    acc[:] = 0
    sp = _ZERO
    flags = np.int64(HAS_TERMS if hi > lo else 0)
    for i in range(lo, hi):
        neg, sig, e = _term(ta, tx, i)
        if sig < 0:
            sp = _special_sum(sp, e) if flags & HAS_SPECIAL else e
            flags |= HAS_SPECIAL | NOT_NEG_ZERO
        elif sig == 0:
            flags |= NEG_ZERO if neg != 0 else NOT_NEG_ZERO
        else:
            flags |= NONZERO | NOT_NEG_ZERO
            longacc_add(acc, _LSB, neg, sig, e)
    return sp, flags


@inner
def _round_exact_sum(acc, sp, flags, rounder, st, ctx):
    """The exact sum of ``_exact_sum`` rounded once. An exact zero is -0 when every term is -0
    (or, rounding toward negative, when the terms are all zeros and one is -0, or the nonzero
    terms cancel), else +0; Inf and NaN as IEEE addition gives them."""
    if flags & HAS_SPECIAL:
        return _round_special(sp, rounder, st, ctx)
    neg, sig, e = longacc_value(acc, _LSB)
    zero_neg = _zero_sign((flags & HAS_TERMS) != 0 and (flags & NOT_NEG_ZERO) == 0,
                          (flags & (NEG_ZERO | NONZERO)) != 0, rounder)
    return _round_sum(neg, sig, e, zero_neg, rounder, st, ctx)


@nb.njit(inline="always")
def _exact(first, term, pair, add, ta, tx, lo, hi, cfg, acc, rounder, st, ctx):
    """One rounding of the exact sum (long accumulator): ``_exact_sum``, ``_round_exact_sum``."""
    sp, flags = _exact_sum(ta, tx, lo, hi, acc)
    return _round_exact_sum(acc, sp, flags, rounder, st, ctx)


# ----- the entry points

# A rounder comes to the kernels as a row of ROUNDER_WIDTH int64: the ``FloatParams`` fields, rdn,
# stochastic (0 / 1) and the three sr numbers, plus its rep apart (None, or the report's tuple):
# Numba's Python wrapper of a kernel unboxes a tuple argument number by number, which for three
# rounders was most of a kernel's compile time; an array it unboxes at once.
ROUNDER_WIDTH = len(FloatParams._fields) + 5


@inner_inline
def rounder(row, rep):
    """The rounder (p, rdn, stochastic, sr, rep) of a row (see ``ROUNDER_WIDTH``)."""
    p = FloatParams(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                    row[11], row[12], row[13], row[14], row[15], row[16], row[17], row[18], row[19], row[20],
                    row[21], row[22])
    return p, row[23], row[24] != 0, (row[25], row[26], row[27]), rep


@inner_inline
def _call_rounder(row, rep, seed):
    """``rounder(row, rep)``, with sr None where seed is None: a deterministic call of a route
    kernel (narrow formats only), whose roundings then compile without their stochastic code
    (``_round_bits``)."""
    p, rdn, stochastic, sr, rep = rounder(row, rep)
    if seed is None:
        return p, rdn, stochastic, None, rep
    return p, rdn, stochastic, sr, rep


@nb.njit(inline="always")
def _new_triples(tx_proto, n):
    """Room for n exact products, or None (float64 terms) when tx_proto is None."""
    if tx_proto is None:
        return None
    return empty((n, 4), np.int64)


@inner
def _products(terms, tx, arow, brow, prod_rounder, st, ctx):
    """The terms arow[k] * brow[k]: values in ``terms`` (tx None; formed in float64, exact
    there, and exact in terms' dtype: the caller's rule), else exact products (hi * 2**62 +
    sig, see the module docstring); each rounded once by prod_rounder unless its parameters
    have M = -1."""
    round_products = prod_rounder[0].M >= 0
    for k in range(arow.size):
        x, y = np.float64(arow[k]), np.float64(brow[k])
        if tx is None:
            p = x * y
            if round_products:
                b = bits_as(np.float64(p), np.int64)
                p = bits_as(np.int64(_round(b, _is_nan(b), prod_rounder, st, ctx)), np.float64)
            terms[k] = p
        else:
            nx, sx, ex = _unpack_bits(bits_as(np.float64(x), np.int64))
            ny, sy, ey = _unpack_bits(bits_as(np.float64(y), np.int64))
            tx[k, 3] = 0
            if sx <= 0 or sy <= 0:          # a special or a zero: float64 gets it right
                tx[k, 0], tx[k, 1], tx[k, 2] = _unpack_bits(bits_as(np.float64(x * y), np.int64))
            else:
                h, lo = mul_wide(sx, sy)
                tx[k, 0], tx[k, 1], tx[k, 2] = nx ^ ny, np.int64(lo & _LOW62), ex + ey
                tx[k, 3] = np.int64((h << np.uint64(2)) | (lo >> np.uint64(62)))
            if round_products:              # the rounded product, again as an exact term
                tx[k, 0], tx[k, 1], tx[k, 2] = _unpack_bits(_round_term(terms, tx, k, prod_rounder, st, ctx))
                tx[k, 3] = 0


@nb.njit(inline="always")
def _output_terms(o, a, bt, terms, tx, prod_rounder, st, ctx):
    """The terms of output element o: the row a[g, i] (a sum: bt has no rows), else its
    products written into ``terms`` / ``tx`` by ``_products`` (see ``_reduce_rows``)."""
    M = a.shape[1]
    if bt.shape[1] == 0:
        return a[o // M if a.shape[0] > 1 else 0, o % M]
    P = bt.shape[1]
    g = o // (M * P)
    row = a[g if a.shape[0] > 1 else 0, (o // P) % M]
    _products(terms, tx, row, bt[g if bt.shape[0] > 1 else 0, o % P], prod_rounder, st, ctx)
    return terms


@nb.njit(inline="always")
def _reduce_rows(reduce, add, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    """Output elements start .. start + out.size - 1 (flat, C order, of the (G, M, P) result):
    out[o] = bits of the reduction by ``reduce`` of the terms of output o: a[g, i, :] when bt
    has no rows (a sum, P = 1), else the products a[g, i, k] * bt[g, j, k] (``_products``). ``a`` / ``bt``
    may have a batch length of 1 (broadcast). With cfg's promote > 0 the terms are reduced in
    chunks of that many and the chunks' results added in sequence by the promotion's rounder.
    rounders / reps: the rounders of the accumulator, the products and the promotion
    (``rounder``). status[o] = 1 if a rounding overflowed under overflow="raise"."""
    acc_rounder = _call_rounder(rounders[0], reps[0], seed)
    prod_rounder = _call_rounder(rounders[1], reps[1], seed)
    promote_rounder = _call_rounder(rounders[2], reps[2], seed)
    n = np.int64(a.shape[2])
    promote = cfg[3]
    chunk = promote if promote > 0 else maximum(n, np.int64(1))
    stride = ROUNDINGS_PER_TERM * maximum(n, np.int64(1))
    terms = empty(0 if bt.shape[1] == 0 else n, a.dtype)
    tx = _new_triples(tx_proto, n)
    limbs, state = zeros(_LIMBS, np.int64), _new_state()
    # (passed to the helpers per term or group: borrowed, no reference counts; see kernels.arrays)
    acc, st, rand = borrowed(limbs), borrowed(state), borrowed(rand)
    for idx in range(out.size):
        o = np.int64(start + idx)
        st[0] = 0
        st[1] = 0
        st[_OUTPUT] = o
        ctx = (seed, mark, o * stride, rand)
        ta = borrowed(_output_terms(o, a, bt, terms, tx, prod_rounder, st, ctx))
        total = _ZERO
        # one call site of ``reduce`` (it is inlined: two would compile the order twice)
        for c0 in range(_ZERO, maximum(n, np.int64(1)), chunk):
            v = reduce(_first_term, _add_term, _step, add, ta, tx, c0, minimum(c0 + chunk, n), cfg, acc, acc_rounder,
                       st, ctx)
            if promote <= 0:
                total = v
            elif c0 == 0:
                total = _round(v, _is_nan(v), promote_rounder, st, ctx)
            else:
                total = add(total, v, promote_rounder, st, ctx)
        out[idx] = _positive_nan(total)
        status[idx] = st[1]
    counts = st[_COUNTS:].copy()
    alive(limbs)        # (acc and st borrow their memory)
    alive(state)
    return counts


# One kernel per order (compiled on its first use), each
#   kernel(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand)
# as ``_reduce_rows`` describes, returning the counts of the chunk's roundings (``_new_state``'s
# st[_COUNTS:]; zeros where the rounders do not count): a (G, M, n) float32 or float64 array; bt
# a (G', P, n) array of a's dtype, without rows (P = 0) for a sum (``casts.common.kernel_products``:
# sums and dots of one dtype share the kernel; the product code is a call to the cached ``_products``);
# tx_proto None (terms as values) or any int64 array (exact products); rounders the (3,
# ROUNDER_WIDTH) int64 rows of the accumulator's, the products' and the promotion's rounders,
# reps their three reps;
# cfg = (block, fused_terms, alignment_bits, promote_every) int64; rand the explicit random
# numbers (int64, indexed like SplitMix64's), empty for the seeded ones. status[o] holds the
# st[1] bits of output o (OVERFLOWED, LEFT_ROUTE).
#
# KERNELS add with ``add_any``. ROUTE_KERNELS add with ``add_route``: they serve rounding to
# narrow formats with float64 terms (tx_proto None) and flag LEFT_ROUTE where an addition needs
# the exact core (the caller then runs the KERNELS one); a deterministic call passes seed None
# (``_call_rounder``: no stochastic code compiled). The orders "exact" and "fused" add only to
# promote (promote_every); their route kernels leave ``add_any`` out.
@nb.njit(cache=True, nogil=True)
def reduce_sequential(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_sequential, add_any, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def reduce_pairwise(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_pairwise, add_any, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def reduce_blocked(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_blocked, add_any, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def reduce_kahan(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_kahan, add_any, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def reduce_exact(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_exact, add_any, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def reduce_fused(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_fused, add_any, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def route_sequential(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_sequential, add_route, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def route_pairwise(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_pairwise, add_route, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def route_blocked(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_blocked, add_route, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def route_kahan(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_kahan, add_route, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def route_exact(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_exact, add_route, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


@nb.njit(cache=True, nogil=True)
def route_fused(out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark, rand):
    return _reduce_rows(_fused, add_route, out, status, start, a, bt, tx_proto, cfg, rounders, reps, seed, mark,
                        rand)


KERNELS = {"sequential": reduce_sequential, "pairwise": reduce_pairwise, "blocked": reduce_blocked,
           "kahan": reduce_kahan, "exact": reduce_exact, "fused": reduce_fused}
ROUTE_KERNELS = {"sequential": route_sequential, "pairwise": route_pairwise, "blocked": route_blocked,
                 "kahan": route_kahan, "exact": route_exact, "fused": route_fused}



# ----- lean kernels: sums on the float64 route, each compiled on its own
#
# A sum (no products, no promotion, no report) into a narrow format whose rounder takes the
# float64 route (``numfmt.arithmetic.floating.takes_float64_route``, which the caller asks) runs
# one of these instead of a ROUTE_KERNELS kernel: one rounder, the route's addition inlined into
# the hot loops without the per-addition test of the format (``_takes_route``) or a report,
# the other roundings by calls (``_round``, ``_lean_add``), no exact core, no products, no
# promotion; a first call compiles in about two thirds of the time. The same roundings in the
# same order (the same random numbers), so the same bits; LEFT_ROUTE where an addition leaves
# the route, as there.
#   kernel(out, status, start, a, cfg, row, sr, seed, mark, rand)
# a: the (outputs, 1, n) terms (float32 or float64); cfg, row (the accumulator's rounder row),
# seed, mark, rand as for KERNELS; sr: row's stochastic parameters (an int64 3-tuple), or None
# for a deterministic rounding, whose kernel then compiles without the stochastic code.

@nb.njit(inline="always")
def _lean_sum(xb, yb, r, st, ctx):
    """x + y (float64 bits) rounded once on the float64 route, as ``_route`` rounds it (without
    its report); LEFT_ROUTE (and any bits) where x + y leaves the route."""
    big = maximum(xb & _ABS, yb & _ABS)
    if big >= _FAST_MAG and big < _INF:
        st[1] |= LEFT_ROUTE
    v = odd_sum_bits(xb, yb, r[1])
    if r[2]:                # stochastic: a call (the deterministic loops stay lean)
        return _round(v, _is_nan(v), r, st, ctx)
    return _check(round_one(v, r[0], VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR), st, ctx)


# the lean kernels' four roundings of an order (see the orders above)
@nb.njit(inline="always")
def _lean_first(ta, tx, i, hi, r, st, ctx):
    b = _term_bits(ta, i) if i < hi else _ZERO
    return _round(b, _is_nan(b), r, st, ctx)


@nb.njit(inline="always")
def _lean_term(add, s, ta, tx, i, r, st, ctx):
    return _lean_sum(s, _term_bits(ta, i), r, st, ctx)


@nb.njit(inline="always")
def _lean_pair(add, xb, yb, r, st, ctx):
    return _lean_sum(xb, yb, r, st, ctx)


@inner
def _lean_add(xb, yb, r, st, ctx):      # a call: the additions outside the hot loops
    return _lean_sum(xb, yb, r, st, ctx)


@inner_inline
def _lean_rounder(row, sr):
    """The rounder of row with the stochastic parameters sr (None: a deterministic rounder,
    see ``_round_bits``)."""
    p, rdn, stochastic, _, rep = rounder(row, None)
    return p, rdn, stochastic, sr, rep


@nb.njit(inline="always")
def _lean_rows(reduce, out, start, a, cfg, row, sr, seed, mark, rand, status):
    """``_reduce_rows`` of a sum without promotion by ``reduce`` with the lean roundings."""
    r, state, n = _lean_rounder(row, sr), empty(2, np.int64), np.int64(a.shape[2])
    st, rand = borrowed(state), borrowed(rand)       # (passed to the helpers per term: no counts)
    acc = empty(_LIMBS, np.int64)        # the long accumulator of "exact" (which zeroes it)
    for idx in range(out.size):
        o = np.int64(start + idx)
        st[0] = 0
        st[1] = 0
        ctx = (seed, mark, o * ROUNDINGS_PER_TERM * maximum(n, np.int64(1)), rand)
        total = reduce(_lean_first, _lean_term, _lean_pair, _lean_add, a[o if a.shape[0] > 1 else 0, 0], None,
                       _ZERO, n, cfg, acc, r, st, ctx)
        out[idx] = _positive_nan(total)
        status[idx] = st[1]
    alive(state)        # (st borrows its memory)


@nb.njit(cache=True, nogil=True)
def lean_sequential(out, status, start, a, cfg, row, sr, seed, mark, rand):
    _lean_rows(_sequential, out, start, a, cfg, row, sr, seed, mark, rand, status)


@nb.njit(cache=True, nogil=True)
def lean_blocked(out, status, start, a, cfg, row, sr, seed, mark, rand):
    _lean_rows(_blocked, out, start, a, cfg, row, sr, seed, mark, rand, status)


@nb.njit(cache=True, nogil=True)
def lean_pairwise(out, status, start, a, cfg, row, sr, seed, mark, rand):
    _lean_rows(_pairwise, out, start, a, cfg, row, sr, seed, mark, rand, status)


@nb.njit(cache=True, nogil=True)
def lean_kahan(out, status, start, a, cfg, row, sr, seed, mark, rand):
    _lean_rows(_kahan, out, start, a, cfg, row, sr, seed, mark, rand, status)


@nb.njit(cache=True, nogil=True)
def lean_exact(out, status, start, a, cfg, row, sr, seed, mark, rand):
    _lean_rows(_exact, out, start, a, cfg, row, sr, seed, mark, rand, status)


@nb.njit(cache=True, nogil=True)
def lean_fused(out, status, start, a, cfg, row, sr, seed, mark, rand):
    _lean_rows(_fused, out, start, a, cfg, row, sr, seed, mark, rand, status)


LEAN_KERNELS = {"sequential": lean_sequential, "blocked": lean_blocked, "pairwise": lean_pairwise,
                "kahan": lean_kahan, "exact": lean_exact, "fused": lean_fused}


@nb.njit(cache=True, nogil=True)
def count_not_values(x, c):
    """How many elements of x (float32 or float64) are not values of the format, as
    ``numfmt.ops.representable`` decides (the values that rounding to nearest even leaves
    unchanged), on their float64 bits: c = (M, sub_shift_base, q_bits, max_bits, min_bits,
    unsigned) of its float64 ``FloatParams``, then whether NaN, +Inf and -Inf are values (0 /
    1). A finite magnitude a is a value iff it has no bit below the quantum of its binade
    (``round_one``'s shift), lies within [q_bits, max_bits] or is 0, is at least min_bits
    (formats without zero), and is not negative in an unsigned format (-0 aside). Also (count,
    lo, hi): the float64 bits of the smallest nonzero magnitude (+Inf's where there is none)
    and of the largest (above +Inf's for a NaN), compared as integers, whose order is the
    magnitudes' (``numfmt.machine_sum`` decides from them whether the machine's loop serves)."""
    M, sub_shift_base, q_bits, max_bits, min_bits, unsigned, nan_ok, inf_ok, neg_inf_ok = c
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    count, lo, hi = 0, _INF, np.int64(0)
    for i in range(x.size):
        b = bits_as(np.float64(x[i]), np.int64)
        neg, a = b < 0, b & _ABS
        shift = minimum(maximum(52 - M, sub_shift_base - maximum(a >> 52, np.int64(1))), np.int64(52))
        on_grid = (a & ~(np.int64(-1) << shift)) == 0
        finite = (on_grid & (a <= max_bits) & (a >= min_bits) & ((a >= q_bits) | (a == 0))
                  & ((not neg) | (unsigned == 0) | (a == 0)))
        special = (neg_inf_ok if neg else inf_ok) if a == _INF else nan_ok
        count += not (finite if a < _INF else special != 0)
        hi = maximum(hi, a)
        lo = minimum(lo, a if a != 0 else _INF)
    return count, lo, hi


I32, U32 = np.int32, np.uint32
_INF32 = I32(0x7F800000)
CHECK_BLOCK = 4096      # elements per uint32 count of ``count_not_values32`` (an int64 count halves its lanes)


def value_check32(M, sub_shift_base, q_bits, max_bits, min_bits, unsigned, nan_ok, inf_ok, neg_inf_ok) -> tuple:
    """``count_not_values32``'s c from ``count_not_values``' numbers of the format's float32
    ``FloatParams`` (int32): M, sub_shift_base, the least nonzero magnitude (bits) that may
    be a value, the span of magnitudes above it, whether 0 is a value (-1) or not (0),
    unsigned (-1) or not (0), then nan_ok, inf_ok, neg_inf_ok, and whether every finite
    float32 is a value (1: binary32) or not (0)."""
    least = max(q_bits, min_bits)
    every = M >= 23 and sub_shift_base <= 1 and least <= 1 and max_bits >= 0x7F7FFFFF and min_bits == 0 \
        and not unsigned
    return tuple(np.int32(v) for v in (M, sub_shift_base, least, max_bits - least, -(min_bits == 0), -bool(unsigned),
                                       nan_ok, inf_ok, neg_inf_ok, every))


@inner_inline
def _finite_miss32(b, c):
    """Whether the float32 bits b (int32) are not a value of the format (``value_check32``'s c),
    for b finite; True for every Inf and NaN (they lie above the largest value): off the grid
    of its binade (``round_one``'s shift), outside [least, largest] but for a zero that is a
    value, or negative and nonzero in an unsigned format."""
    M, sub_shift_base, least, span, zero_ok, unsigned = c[0], c[1], c[2], c[3], c[4], c[5]
    a = I32(b & I32(0x7FFFFFFF))
    shift = minimum(maximum(I32(I32(23) - M), I32(sub_shift_base - maximum(I32(a >> I32(23)), I32(1)))), I32(23))
    off_grid = I32(a & ~I32(I32(-1) << shift)) != I32(0)
    outside = U32(U32(a) - U32(least)) > U32(span)
    negative = I32(unsigned & I32(-(U32(b) > U32(0x80000000)))) != I32(0)
    zero = I32(zero_ok & I32(-(a == I32(0)))) != I32(0)
    return (off_grid | outside | negative) & (not zero)


@nb.njit(cache=True, nogil=True)
def count_not_values32(bits, c):
    """``count_not_values`` of float32 inputs, given as their bits (int32), in int32 lanes:
    c = ``value_check32``'s, for formats whose values float32 holds, 2**emin included
    (``casts.floating.float32_domain``). By blocks of CHECK_BLOCK, in one branch-free pass of
    ``_finite_miss32``, which counts every Inf and NaN; a block with one (its largest magnitude
    tells) again, taking back those that are values. Returns (count, lo, hi), lo and hi as
    float32 bits (int32): +Inf's where no magnitude is nonzero, above +Inf's for a NaN. Where
    every finite float32 is a value (c[9]) the pass finds the magnitudes only (binary32 sum of
    4M standard normal float32, 1 thread, CPU time: 0.67 -> 0.25 ms)."""
    nan_ok, inf_ok, neg_inf_ok, every = c[6], c[7], c[8], c[9] != I32(0)
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    count, lo, hi = np.int64(0), U32(0xFFFFFFFF), I32(0)
    for first in range(0, bits.size, CHECK_BLOCK):
        block = bits[first:first + CHECK_BLOCK]
        misses, top = U32(0), I32(0)
        if every:
            for i in range(block.size):
                a = I32(I32(block[i]) & I32(0x7FFFFFFF))
                top = maximum(top, a)
                lo = minimum(lo, U32(U32(a) - U32(1)))      # (a zero wraps to the top)
        else:
            for i in range(block.size):
                b = I32(block[i])
                a = I32(b & I32(0x7FFFFFFF))
                misses = U32(misses + U32(_finite_miss32(b, c)))
                top = maximum(top, a)
                lo = minimum(lo, U32(U32(a) - U32(1)))
        for i in range(block.size if top >= _INF32 else 0):     # (the pass counted every Inf and NaN, but
            b = I32(block[i])                                   # where every finite value is one)
            a = I32(b & I32(0x7FFFFFFF))
            ok = (neg_inf_ok if b < I32(0) else inf_ok) if a == _INF32 else nan_ok
            special = a >= _INF32
            misses = U32(misses + U32(special & (ok == I32(0))) - U32(special & (not every)))
        count += misses
        hi = maximum(hi, top)
    return count, minimum(I32(lo + U32(1)) if lo != U32(0xFFFFFFFF) else _INF32, _INF32), hi


# The exact order in parts (``numfmt.distributed``): the exact sums of parts of the terms,
# merged exactly elsewhere, then rounded once. A part's state is a row of PARTIAL_WIDTH int64:
# the long accumulator's limbs (normalized; a merge adds them limb by limb, which the rounding
# normalizes again: exact for fewer than 2**30 parts), the special sum and the flags.
PARTIAL_WIDTH = _LIMBS - 1 + 2


@nb.njit(cache=True, nogil=True)
def exact_partials(states, status, start, a, bt, tx_proto, prod_row, prod_rep, mark):
    """states[idx] = the exact sum of the terms of output element start + idx (as
    ``_reduce_rows`` forms them; products rounded by ``rounder(prod_row, prod_rep)``,
    deterministically);
    status[idx] = 1 where a product overflowed under overflow="raise" (mark as there)."""
    n = np.int64(a.shape[2])
    terms = empty(0 if bt.shape[1] == 0 else n, a.dtype)
    tx = _new_triples(tx_proto, n)
    acc = zeros(_LIMBS, np.int64)
    st = _new_state()
    ctx = (np.uint64(0), mark, np.int64(0), empty(0, np.int64))
    prod_r = rounder(prod_row, prod_rep)
    for idx in range(states.shape[0]):
        st[1] = 0
        ta = _output_terms(np.int64(start + idx), a, bt, terms, tx, prod_r, st, ctx)
        sp, flags = _exact_sum(ta, tx, _ZERO, n, acc)
        longacc_value(acc, _LSB)        # normalizes the limbs
        for j in range(_LIMBS - 1):     # not a slice copy (see ``kernels.intacc``)
            states[idx, j] = acc[j + 1]
        states[idx, _LIMBS - 1] = sp
        states[idx, _LIMBS] = flags
        status[idx] = st[1]


@nb.njit(cache=True, nogil=True)
def round_partials(states, out, status, index, stride, acc_row, acc_rep, seed, mark, rand):
    """out[idx] = the merged exact sum states[idx] rounded once by ``rounder(acc_row,
    acc_rep)``, as ``_exact`` rounds
    it for output element index[idx] of a reduction with random-number stride ``stride``;
    status[idx] = 1 where it overflowed under overflow="raise"."""
    acc = zeros(_LIMBS, np.int64)
    st = _new_state()
    acc_r = rounder(acc_row, acc_rep)
    for idx in range(states.shape[0]):
        for j in range(_LIMBS - 1):
            acc[j + 1] = states[idx, j]
        st[0] = 0
        st[1] = 0
        ctx = (seed, mark, index[idx] * stride, rand)
        out[idx] = _positive_nan(_round_exact_sum(acc, states[idx, _LIMBS - 1], states[idx, _LIMBS], acc_r, st, ctx))
        status[idx] = st[1]
