"""Numba kernels of numfmt.sum / dot / matmul: one reduction kernel for every order.

Every output element is the reduction of n *terms*. The kernel forms them as float64 products
``a[g, i, k] * bt[g, j, k]`` (exact: the Python side checks that products of the input format
are float64 numbers; ``numfmt.sum`` passes ``bt = 1``), optionally rounds each to the product
format, and reduces them in the requested order. Values travel as float64 bit patterns (int64):
the accumulator's values, and Inf / NaN, are float64 numbers.

Every rounding is one call of the float family's rounding: ``kernels.floating._round_one`` on
a float64 value (a term, a special), ``kernels.arith.round_exact`` on an exact sum in the
62-bit odd-jammed form of ``kernels.exact``. A *rounder* is ``(p, rdn, stochastic, sr)``: the
target's parameter tuple (``casts.floating.kernel_params``), whether an exact zero sum is -0
(round toward negative), whether to round stochastically, and the target's stochastic
parameters (``casts.floating.sr_params``). The run context ``ctx = (seed, mark, base)`` holds
the stochastic-rounding seed, the overflow mark (the rounding's output for an overflow under
overflow="raise", else -1) and the first random-number index of the output element; the
per-element state ``st`` counts the stochastic roundings (``st[0]``: rounding j uses random
number base + j) and flags an overflow (``st[1]``).
"""
import numba as nb
import numpy as np

from ..random import splitmix_bits
from .arith import odd_sum_bits, round_exact
from .exact import add, bit_length, normalize, unpack_float64
from .floating import _round_one
from .longacc import longacc_add, longacc_value

SEQUENTIAL, PAIRWISE, BLOCKED, KAHAN, EXACT, FUSED = range(6)
ORDER_CODES = {"sequential": SEQUENTIAL, "pairwise": PAIRWISE, "blocked": BLOCKED,
               "kahan": KAHAN, "exact": EXACT, "fused": FUSED}
ROUNDINGS_PER_TERM = 8          # random numbers reserved per term and output element

_SIGN = np.int64(-(1 << 63))
_ABS = np.int64((1 << 63) - 1)
_INF = np.int64(0x7FF << 52)
_NAN = np.int64(0x7FF8 << 48)
# x + y takes the float64 route (TwoSum, ``kernels.arith.odd_sum_bits``) when both magnitudes
# are below 2**1022: the sum stays below 2**1023, so no step of TwoSum overflows
_FAST_MAG = np.int64((1022 + 1023) << 52)
_PW_BLOCK = 128                 # numpy's PW_BLOCKSIZE
# the long accumulator of the "exact" order: float64 terms (2**-1074 .. 2**1024), up to 2**63 of them
_LSB = -1074
_LIMBS = 1 + (1024 + 1074 + 64 + 31) // 32


@nb.njit(inline="always")
def _special(b):
    return (b & _INF) == _INF


@nb.njit(inline="always")
def _special_sum(xb, yb):
    """IEEE x + y where x or y is Inf or NaN: NaN for a NaN or Inf - Inf, else the Inf."""
    x_inf = (xb & _ABS) == _INF
    y_inf = (yb & _ABS) == _INF
    if (xb & _ABS) > _INF or (yb & _ABS) > _INF or (x_inf and y_inf and xb != yb):
        return _NAN
    return xb if x_inf else yb


@nb.njit(inline="always")
def _draw(rounder, st, ctx):
    """The random number of the next rounding (0 when not stochastic); counts it in st."""
    stochastic, sr = rounder[2], rounder[3]
    seed, base = ctx[0], ctx[2]
    rnd = np.int64(0)
    if stochastic:
        rnd = splitmix_bits(seed, base + st[0], sr[0])
        st[0] += 1
    return rnd


@nb.njit(inline="always")
def _check(out, st, ctx):
    """Flag an overflow under overflow="raise" (the rounding returned the mark)."""
    if out == ctx[1]:
        st[1] = 1
    return out


@nb.njit(cache=True, nogil=True)
def _round(bits, rounder, st, ctx):
    """The float64 value ``bits`` (a term, or Inf / NaN / a zero) rounded once."""
    p, _, stochastic, sr = rounder
    rnd = _draw(rounder, st, ctx)
    return _check(_round_one(bits, p, False, 52, 1023, stochastic, rnd, sr), st, ctx)


@nb.njit(cache=True, nogil=True)
def _round_sum(neg, sig, exp, zero_neg, rounder, st, ctx):
    """An exact value in the 62-bit form rounded once (``kernels.arith.round_exact``); an
    exact zero (sig == 0) is -0 iff zero_neg."""
    p, _, stochastic, sr = rounder
    rnd = _draw(rounder, st, ctx)
    out = round_exact(zero_neg if sig == 0 else neg, sig, exp, p, False, stochastic, rnd, sr)
    return _check(out, st, ctx)


@nb.njit(cache=True, nogil=True)
def _add(xb, yb, rounder, st, ctx):
    """x + y rounded once (IEEE 754 signs of zero sums, Inf and NaN).

    Deterministic rounding of finite x, y below 2**1022 in magnitude (every accumulator
    value and term of the formats numfmt has, and Kahan's compensations, which are values of
    the accumulator format) takes the float64 route: ``odd_sum_bits`` gives by TwoSum the
    exact sum rounded to odd at 53 bits, bit for bit what ``round_exact`` makes of the exact
    core's sum (signs of zero sums included), and ``_round_one`` rounds it once to the
    format. Stochastic rounding, specials and huge magnitudes take the exact core."""
    p, rdn, stochastic, sr = rounder
    if not stochastic and max(xb & _ABS, yb & _ABS) < _FAST_MAG:
        return _check(_round_one(odd_sum_bits(xb, yb, rdn), p, False, 52, 1023), st, ctx)
    rnd = _draw(rounder, st, ctx)
    if _special(xb) or _special(yb):
        out = _round_one(_special_sum(xb, yb), p, False, 52, 1023, stochastic, rnd, sr)
    else:
        nx, sx, ex = unpack_float64(xb)
        ny, sy, ey = unpack_float64(yb)
        n, s, e = add(nx, sx, ex, ny, sy, ey)
        if s == 0:
            n = ((nx & ny) | (rdn & (nx | ny))) if (sx == 0 and sy == 0) else rdn
        out = round_exact(n, s, e, p, False, stochastic, rnd, sr)
    return _check(out, st, ctx)


@nb.njit(inline="always")
def _step(xb, yb, rounder, st, ctx):
    """``_add`` with its float64 route inlined into the caller's loop (no call per step)."""
    if not rounder[2] and max(xb & _ABS, yb & _ABS) < _FAST_MAG:
        return _check(_round_one(odd_sum_bits(xb, yb, rounder[1]), rounder[0], False, 52, 1023), st, ctx)
    return _add(xb, yb, rounder, st, ctx)


@nb.njit(cache=True, nogil=True)
def _sequential(tb, lo, hi, rounder, st, ctx):
    """s = round(t[lo]); s = round(s + t[i]) for i = lo + 1 .. hi - 1; +0 when empty."""
    if hi <= lo:
        return _round(np.int64(0), rounder, st, ctx)
    s = _round(tb[lo], rounder, st, ctx)
    for i in range(lo + 1, hi):
        s = _step(s, tb[i], rounder, st, ctx)
    return s


@nb.njit(cache=True, nogil=True)
def _blocked(tb, lo, hi, block, rounder, st, ctx):
    """Sequential sums of consecutive blocks of ``block`` terms, then their sequential sum."""
    s = _sequential(tb, lo, min(lo + block, hi), rounder, st, ctx)
    for b0 in range(lo + block, hi, block):
        s = _add(s, _sequential(tb, b0, min(b0 + block, hi), rounder, st, ctx), rounder, st, ctx)
    return s


@nb.njit(cache=True, nogil=True)
def _kahan(tb, lo, hi, rounder, st, ctx):
    """Kahan's compensated sum, every operation rounded: y = t - c; u = s + y;
    c = (u - s) - y; s = u; starting from s = round(t[lo]), c = +0."""
    if hi <= lo:
        return _round(np.int64(0), rounder, st, ctx)
    s = _round(tb[lo], rounder, st, ctx)
    c = np.int64(0)
    for i in range(lo + 1, hi):
        y = _step(tb[i], c ^ _SIGN, rounder, st, ctx)
        u = _step(s, y, rounder, st, ctx)
        c = _step(_step(u, s ^ _SIGN, rounder, st, ctx), y ^ _SIGN, rounder, st, ctx)
        s = u
    return s


@nb.njit(cache=True, nogil=True)
def _pairwise_leaf(tb, lo, n, rounder, st, ctx):
    """numpy's pairwise_sum for n <= 128 terms (8 partial sums, then the rest)."""
    if n < 8:
        s = _SIGN                                  # numpy starts from -0.0
        for i in range(lo, lo + n):
            s = _step(s, tb[i], rounder, st, ctx)
        return s
    r = np.empty(8, np.int64)
    for k in range(8):
        r[k] = _round(tb[lo + k], rounder, st, ctx)
    i = 8
    while i < n - n % 8:
        for k in range(8):
            r[k] = _step(r[k], tb[lo + i + k], rounder, st, ctx)
        i += 8
    for w in (1, 2, 4):             # ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), level by level
        for k in range(0, 8, 2 * w):
            r[k] = _add(r[k], r[k + w], rounder, st, ctx)
    s = r[0]
    for k in range(lo + i, lo + n):
        s = _step(s, tb[k], rounder, st, ctx)
    return s


@nb.njit(cache=True, nogil=True)
def _pairwise(tb, lo, hi, rounder, st, ctx):
    """+0 + numpy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src; np.add.reduce
    starts from its identity +0): above 128 terms split at n2 = n // 2 - (n // 2) % 8 and add
    the two halves' sums. The recursion runs on an explicit stack, in the same order (left
    half, right half, their sum)."""
    los = np.empty(64, np.int64)
    ns = np.empty(64, np.int64)
    stage = np.empty(64, np.int64)
    vals = np.empty(64, np.int64)
    sp = 0
    nv = 0
    los[0] = lo
    ns[0] = hi - lo
    stage[0] = 0
    sp = 1
    while sp > 0:
        f = sp - 1
        n = ns[f]
        if n <= _PW_BLOCK:
            vals[nv] = _pairwise_leaf(tb, los[f], n, rounder, st, ctx)
            nv += 1
            sp -= 1
            continue
        n2 = n // 2
        n2 -= n2 % 8
        if stage[f] < 2:
            first = stage[f] == 0
            stage[f] += 1
            los[sp] = los[f] if first else los[f] + n2
            ns[sp] = n2 if first else n - n2
            stage[sp] = 0
            sp += 1
        else:
            nv -= 1
            vals[nv - 1] = _add(vals[nv - 1], vals[nv], rounder, st, ctx)
            sp -= 1
    return _add(np.int64(0), vals[0], rounder, st, ctx)


@nb.njit(cache=True, nogil=True)
def _fused_step(s, tb, lo, hi, align, rounder, st, ctx):
    """One fused multi-term addition: s + t[lo] + ... + t[hi - 1], each addend truncated
    toward zero to a multiple of 2**(emax - align) (emax: the exponent of the largest
    addend's leading bit), the exact sum of the truncated addends rounded once."""
    sp = s
    has_sp = _special(s)
    for i in range(lo, hi):
        if has_sp or _special(tb[i]):
            sp = _special_sum(sp, tb[i])
            has_sp = True
    if has_sp:
        return _round(sp, rounder, st, ctx)
    emax = np.int64(-(1 << 40))
    for i in range(lo - 1, hi):
        _, sig, e = unpack_float64(s if i < lo else tb[i])
        if sig != 0:
            emax = max(emax, e + bit_length(sig) - 1)
    q = emax - align
    total = np.int64(0)
    for i in range(lo - 1, hi):
        neg, sig, e = unpack_float64(s if i < lo else tb[i])
        if sig != 0:                # (zeros: their exponent says nothing, e - q may be huge)
            sig = (sig >> min(q - e, 63)) if e < q else (sig << (e - q))
            total += -sig if neg else sig
    neg, sig, e = normalize(np.int64(total < 0), abs(total), q, 0)
    return _round_sum(neg, sig, e, rounder[1], rounder, st, ctx)


@nb.njit(cache=True, nogil=True)
def _fused(tb, lo, hi, k, align, rounder, st, ctx):
    """Fused steps over groups of k terms, starting from s = +0."""
    s = np.int64(0)
    for g0 in range(lo, hi, k):
        s = _fused_step(s, tb, g0, min(g0 + k, hi), align, rounder, st, ctx)
    return s


@nb.njit(cache=True, nogil=True)
def _exact(tb, lo, hi, acc, rounder, st, ctx):
    """One rounding of the exact sum (long accumulator). An exact zero is -0 when every term
    is -0 (or, rounding toward negative, when the terms are all zeros and one is -0, or the
    nonzero terms cancel), else +0; Inf and NaN as IEEE addition gives them."""
    acc[:] = 0
    sp = np.int64(0)
    has_sp = False
    all_zero = True
    all_neg_zero = True
    any_neg_zero = False
    for i in range(lo, hi):
        b = tb[i]
        if _special(b):
            sp = _special_sum(sp, b) if has_sp else b
            has_sp = True
            continue
        neg, sig, e = unpack_float64(b)
        if sig == 0:
            all_neg_zero &= neg != 0
            any_neg_zero |= neg != 0
        else:
            all_zero = False
            all_neg_zero = False
            longacc_add(acc, _LSB, neg, sig, e)
    if has_sp:
        return _round(sp, rounder, st, ctx)
    neg, sig, e = longacc_value(acc, _LSB)
    rdn = rounder[1] != 0
    zero_neg = (hi > lo and all_neg_zero) or (rdn and (any_neg_zero or not all_zero))
    return _round_sum(neg, sig, e, zero_neg, rounder, st, ctx)


@nb.njit(cache=True, nogil=True)
def _reduce(tb, lo, hi, cfg, acc, rounder, st, ctx):
    """t[lo:hi] reduced in the order of cfg = (order, block, fused_terms, align, promote)."""
    order, block, k, align, _ = cfg
    if order == SEQUENTIAL:
        return _sequential(tb, lo, hi, rounder, st, ctx)
    if order == PAIRWISE:
        return _pairwise(tb, lo, hi, rounder, st, ctx)
    if order == BLOCKED:
        return _blocked(tb, lo, hi, block, rounder, st, ctx)
    if order == KAHAN:
        return _kahan(tb, lo, hi, rounder, st, ctx)
    if order == EXACT:
        return _exact(tb, lo, hi, acc, rounder, st, ctx)
    return _fused(tb, lo, hi, k, align, rounder, st, ctx)


@nb.njit(cache=True, nogil=True)
def reduce_products(out, status, start, a, bt, cfg, acc_rounder, prod_rounder, promote_rounder,
                    seed, mark):
    """Output elements start .. start + out.size - 1 (flat, C order, of the (G, M, P) result):
    out[o] = bits of the reduction over k of a[g, i, k] * bt[g, j, k]. ``a`` / ``bt`` may have
    a batch length of 1 (broadcast). The products are rounded by ``prod_rounder`` unless its
    parameter tuple starts with -1. With cfg's promote > 0 the terms are reduced in chunks of
    that many and the chunks' results added in sequence by ``promote_rounder``.
    status[o] = 1 if a rounding overflowed under overflow="raise"."""
    M = a.shape[1]
    P = bt.shape[1]
    n = a.shape[2]
    promote = cfg[4]
    round_products = prod_rounder[0][0] >= 0
    stride = ROUNDINGS_PER_TERM * max(n, 1)
    terms = np.empty(n, np.float64)
    tb = terms.view(np.int64)
    acc = np.zeros(_LIMBS, np.int64)
    st = np.zeros(2, np.int64)
    for idx in range(out.size):
        o = start + idx
        g = o // (M * P)
        i = (o // P) % M
        j = o % P
        ga = g if a.shape[0] > 1 else 0
        gb = g if bt.shape[0] > 1 else 0
        st[0] = 0
        st[1] = 0
        ctx = (seed, mark, np.int64(o) * stride)
        for k in range(n):
            terms[k] = a[ga, i, k] * bt[gb, j, k]
        if round_products:
            for k in range(n):
                tb[k] = _round(tb[k], prod_rounder, st, ctx)
        if promote > 0:
            total = np.int64(0)
            for c0 in range(0, max(n, 1), promote):
                v = _reduce(tb, c0, min(c0 + promote, n), cfg, acc, acc_rounder, st, ctx)
                total = _round(v, promote_rounder, st, ctx) if c0 == 0 else _add(
                    total, v, promote_rounder, st, ctx)
        else:
            total = _reduce(tb, 0, n, cfg, acc, acc_rounder, st, ctx)
        out[idx] = total
        status[idx] = st[1]
