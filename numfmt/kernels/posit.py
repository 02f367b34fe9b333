"""Numba kernels of the posit family: one rounding routine, the casts around it, and decode.

``round_exact(neg, sig, exp, n, es, p, rnd, sr)`` rounds an exact value in the 62-bit
odd-jammed form of ``numfmt.kernels.exact`` ((-1)**neg * sig * 2**exp with
2**61 <= sig < 2**62 and bit 0 sticky, or sig == 0) to the code of posit<n, es>. Casts and
arithmetic both call it, so they round identically. The format comes in as the plain integers
n and es, so one compiled kernel serves every posit<n, es>.

How each rounding mode is defined for posits (x finite and nonzero; lo <= |x| <= hi are the
two neighbours of |x| among the posit values 0, minpos, ..., maxpos, consecutive codes):

- ``nearest_even``: the Posit Standard 2022 rounding. Exact values stay; |x| > maxpos gives
  maxpos; 0 < |x| < minpos gives minpos (never 0); otherwise the tie point between lo and hi is
  the (n+1)-bit pattern lo·1, i.e. the comparison is made on the posit bit string of |x| (its
  regime, exponent and fraction bits continued without bound): guard bit and sticky bits
  after the first n bits. A tie goes to the code whose last bit is 0. Where the n bits end in
  the fraction this is the ordinary nearest value; where they end in the exponent or regime
  bits it is nearest in the (geometric) encoding.
- ``nearest_away``: the same comparison, ties go to hi (away from zero); minpos / maxpos clamps
  as for nearest_even.
- ``toward_zero``, ``toward_positive``, ``toward_negative``: the neighbour in that direction
  among the posit values, 0 included: 0 < |x| < minpos gives 0 toward zero and minpos away
  from zero. Beyond maxpos there is no larger posit (NaR is not a number): every mode gives
  maxpos, so toward_positive of x > maxpos is maxpos < x.
- ``odd``: an inexact x takes the neighbour with the odd code (so 0 < |x| < minpos gives
  minpos, |x| > maxpos gives maxpos). Negation keeps a code's parity.
- ``stochastic``: hi with a probability given by the exact position of |x| between the two
  neighbours, f = (|x| - lo) / (hi - lo) (linear in value, so the rounding is unbiased; between
  regimes, or inside the exponent bits, hi - lo is not a power of two). As for the float
  family, f is reduced to k = sr_bits bits, d = floor(f * 2**k) (sr_rule "add") or
  RNE(f * 2**k) ("nearest"), and the result is hi iff d + r >= 2**k for the k random bits r.
  Below minpos the neighbours are 0 and minpos; beyond maxpos the result is maxpos.

Sign: the magnitude is rounded and the code negated (two's complement); zero has one code.
NaN and +-Inf inputs give NaR; NaR decodes to NaN.

Exactness: the rounding reads 58 bits of the exact fraction plus the sticky bit, so every
deterministic mode is exact for every input (at most 29 fraction bits are kept). Stochastic
rounding is exact for casts (inputs have at most 53 significant bits). For arithmetic results
of more significant bits the jammed form decides d exactly while the k random bits stay above
its sticky bit: fb + k <= 57 for fb kept fraction bits (the float family's bound is of the
same kind, p + k <= 60), and (s - log2 lo) + k <= 57 where hi - lo is an exponent step.

Casts: ``cast_one`` rounds one float32 or float64 input, every mode, in one branch-free
routine written in the ops vocabulary of ``numfmt.lanes``, so LLVM vectorizes the
deterministic loops and the torch and JAX backends (``numfmt.backend_posit``) evaluate the
same code on tensors. It decides exactly as ``round_exact`` (which arithmetic and the quire
call on their exact results); tests/test_posit.py compares the two on random bit patterns.
The NumPy value casts take a cheaper first pass where the posits are a float grid
(``_fast_value``: the float trick) and ``cast_one`` for the rest.
"""
import numba as nb
import numpy as np

from ..lanes import lane, maximum, minimum, where
from ..random import DRAW_BLOCK, draw_tops, drawn_bits, element_bits
from ..rounding import rounding_bias, rounds_away
from . import exact
from .exact import bit_length
from .arith import odd_bits, odd_quotient, odd_root, odd_sum_bits, two_product_error
from .floating import CODE_TILE, U32, U64, fma_odd32, sqrt_odd32
from .inner import inner, inner_inline
from .prefetch import prefetch_ahead
from .vectors import wide_vectors
from .arrays import alive, bits_as, borrowed, empty, view_as

LEFT_BLOCK = 512     # elements tested at once for the few to round again (``_cast_left_sr``)
FRAC = 58            # fraction bits of the tail (es + FRAC <= 63 for es <= 5)
# the stochastic parameters (sr_bits, sr_nearest) of a deterministic call, typed as real ones
# (np.int64, not literals) so that both share one compiled specialization
NO_SR = (np.int64(1), np.int64(0))
LOW31 = (1 << 31) - 1
EXP32 = 0xFF << 23                  # exponent fields of float32 / float64 (all ones: Inf, NaN)
EXP64 = 0x7FF << 52
I32, I64 = np.int32, np.int64
K0, K1, K2, K23, K31, K127 = (np.int32(v) for v in (0, 1, 2, 23, 31, 127))   # int32 constants
# int32 lanes: Numba computes every sum of int32 numbers in int64 (it widens integer
# arithmetic), so none overflows, and an I32 of it wraps mod 2**32, which LLVM keeps in 32-bit
# lanes. Where a sum may pass 2**31 (posit32's codes; the garbage of lanes outside the fast
# range, whose results are thrown away) its operands are widened with I64 in the source too,
# so that NumPy computes it so where the kernels run as Python (NUMBA_DISABLE_JIT,
# tests/test_no_int_overflow.py).
MAG32, SIGN32, FRAC32 = np.int32(LOW31), np.int32(-(1 << 31)), np.int32((1 << 23) - 1)


@inner_inline
def _shift(a, s):
    """floor(a * 2**s) for 0 <= a < 2**63 and s <= 62 (modulo 2**64 where the result is larger)."""
    return where(s >= 0, a << minimum(maximum(s, 0), 62), a >> minimum(maximum(-s, 0), 63))


@inner_inline
def _stochastic_up(A, t, D, k, rule_nearest, rnd):
    """1 iff the magnitude moves to hi: f = A / (D * 2**t) in [0, 1), d = floor or RNE of
    f * 2**k, up iff d + rnd >= 2**k. D < 2**32 is 1 or 2**J - 1 (odd); A < 2**63.

    The quotient floor(A * 2**(k - t)) / D is done in two 31-bit steps so nothing overflows
    (64-bit lanes; written in the ops vocabulary of ``numfmt.lanes``).
    """
    sh = k - t
    ph = _shift(A, sh - 31)
    pl = _shift(A, sh) & LOW31
    qh = ph // D
    low = ((ph - qh * D) << 31) | pl
    ql = low // D
    rem = low - ql * D
    d = (qh << 31) + ql
    if rule_nearest:
        m = minimum(maximum(-sh, 0), 63)          # bits of A below the integer part of A * 2**sh
        tail = where(m < 63, A & ((lane(1) << minimum(m, 62)) - 1), A)
        half = (lane(1) << m) >> 1                # 0 when m == 0: no bits below, never a tie
        above = (tail > half) & (half > 0)
        tie = (tail == half) & (half > 0)
        d = d + lane((2 * rem > D) | ((2 * rem + 1 == D) & (above | (tie & ((d & 1) != 0)))))
    return (d + rnd) >> k


@inner_inline
def round_exact(neg, sig, exp, n, es, p, rnd, sr):
    """The posit<n, es> code of (-1)**neg * sig * 2**exp (62-bit odd-jammed form, or sig == 0).

    ``p`` is the mode's ``numfmt.rounding.ModeFlags``; ``sr`` is (k, rule_nearest) and ``rnd``
    the k random bits (both unused unless p.stochastic; sr None: a deterministic mode, and the
    stochastic code is not compiled). See the module docstring for the modes.
    """
    if sig == 0:
        return np.int64(0)
    max_scale = (n - 2) << es
    s = exp + 61                                  # 2**s <= |x| < 2**(s+1)
    frac = sig - (np.int64(1) << 61)
    frac = (frac >> 3) | np.int64((frac & 7) != 0)   # FRAC bits, jammed
    if s >= max_scale:                            # |x| >= maxpos
        mag = (np.int64(1) << (n - 1)) - 1
    elif s < -max_scale:                          # 0 < |x| < minpos: between codes 0 and 1
        if sr is not None and p.stochastic:
            up = _stochastic_up((np.int64(1) << FRAC) | frac, -max_scale - s + FRAC, np.int64(1), sr[0],
                                sr[1], rnd)     # (an int64 1: the other call's specialization)
        else:                                     # never to zero, except toward zero
            up = 1 if (p.nearest | p.odd) != 0 else (p.away_neg if neg else p.away_pos)
        mag = np.int64(up)
    else:
        kr = s >> es                              # regime value; s = kr * 2**es + e
        e = s - (kr << es)
        if kr >= 0:
            length, regime = kr + 2, ((np.int64(1) << (kr + 1)) - 1) << 1
        else:
            length, regime = 1 - kr, np.int64(1)
        avail = n - 1 - length                    # bits left after the regime (>= 0 here)
        tail = (e << FRAC) | frac                 # exponent, then fraction: es + FRAC bits
        drop = es + FRAC - avail                  # >= 29
        lo = (regime << avail) | (tail >> drop)
        rem = tail & ~(np.int64(-1) << drop)     # drop can be 63 (es = 5)
        if sr is not None and p.stochastic:
            if avail >= es:                       # the cut is in the fraction: hi - lo = 2**(s - fb)
                A, t, D = rem, drop, np.int64(1)
            else:                                 # exponent bits cut: lo = 2**a, hi = 2**(a + 2**cut)
                cut = es - avail
                t = FRAC - (e & ((np.int64(1) << cut) - 1))      # FRAC - (s - a)
                A = (np.int64(1) << FRAC) + frac - (np.int64(1) << t)
                D = (np.int64(1) << (np.int64(1) << cut)) - 1
            up = _stochastic_up(A, t, D, sr[0], sr[1], rnd)
        else:
            up = rounds_away(neg, lo & 1, rem, drop, 0, p, 0)
        mag = lo + up
    return ((-mag) & ((np.int64(1) << n) - 1)) if neg else mag


@inner_inline
def unpack_posit(code, n, es):
    """(nar, neg, sig, exp) of a posit<n, es> code: the value is (-1)**neg * sig * 2**exp with
    sig = 2**fb + fraction (fb fraction bits; sig == 0 for zero); nar is True for NaR.
    In the ops vocabulary of ``numfmt.lanes`` (codes below 2**31 fit int32 lanes)."""
    mask = (lane(1) << n) - 1
    neg = (code >> (n - 1)) & 1
    mag = where(neg != 0, (-code) & mask, code)
    special = (mag == 0) | (code == (lane(1) << (n - 1)))
    body = n - 1                                  # bits after the sign
    first = (mag >> (body - 1)) & 1
    run = body - bit_length(mag ^ where(first != 0, (lane(1) << body) - 1, lane(0)))
    kr = where(first != 0, run - 1, -run)
    rest = maximum(body - run - 1, 0)             # bits after the regime's terminating bit
    bits = mag & ((lane(1) << rest) - 1)
    fb = maximum(rest - es, 0)
    e = where(rest >= es, bits >> fb, bits << maximum(es - rest, 0))
    frac = bits & ((lane(1) << fb) - 1)
    return (special & (code != 0), where(special, lane(0), neg), where(special, lane(0), (lane(1) << fb) | frac),
            where(special, lane(0), (kr << es) + e - fb))


@inner_inline
def posit_float_bits(code, n, es, dom64):
    """The float64 (dom64) or float32 bit pattern of a code's value (NaR: NaN). Exact: posit
    values are normal float64 numbers, and float32 ones for the formats that fit it.
    In the ops vocabulary of ``numfmt.lanes``."""
    nar, neg, sig, exp = unpack_posit(code, n, es)
    dom_m, bias = (52, 1023) if dom64 else (23, 127)
    fb = bit_length(sig) - 1
    bits = ((exp + fb + bias) << dom_m) | ((sig - (lane(1) << maximum(fb, 0))) << maximum(dom_m - fb, 0))
    bits = bits | (neg << (63 if dom64 else 31))
    nan_bits = (0x7FF8 << 48) if dom64 else 0x7FC00000
    return where(nar, lane(nan_bits), where(sig == 0, lane(0), bits))


@inner_inline
def cast_params(n, es):
    """(n, es, max_scale, mask, nar, maxmag) of posit<n, es>: what ``cast_one`` reads (the
    backends wrap them to their lanes: mask and nar of posit32 do not fit int32 otherwise)."""
    one = np.int64(1)
    return (np.int64(n), np.int64(es), np.int64((n - 2) << es), (one << n) - 1, one << (n - 1),
            (one << (n - 1)) - 1)


@inner_inline
def cast_one(bits, q, p, dom_m, want_code, stochastic, rnd, sr):
    """The posit code (want_code) or the float bits of the rounded value, in the input's float
    format, of one float32 (dom_m 23) or float64 (dom_m 52) input given by its bit pattern.

    q: ``cast_params``; p: the mode's ``ModeFlags``; with ``stochastic`` the k = sr[0] random
    bits rnd decide as ``round_exact`` does (``_stochastic_up``, its 58-bit fraction), so every
    cast equals ``round_exact`` of the input (tests/test_posit.py checks it on random bits).

    Needs maxpos and minpos to be normal numbers of the input format ((n - 2) * 2**es <= 126
    for float32, always for float64): subnormal inputs then lie below minpos.

    Written in the ops vocabulary of ``numfmt.lanes`` (the backends evaluate it on tensors).
    Lanes: every deterministic intermediate is below 2**31 for float32 inputs (the magnitude
    bits, the regime, at most es + 23 tail bits, a magnitude code < 2**(n-1)), so int32 lanes
    are exact there, mask and nar arriving wrapped; stochastic rounding needs 64-bit lanes
    (its fraction has 58 bits).
    """
    n, es, max_scale, mask, nar, maxmag = q
    dom_exp = 11 if dom_m == 52 else 8
    bias = (1 << (dom_exp - 1)) - 1
    neg = bits < 0
    a = bits & ~(lane(-1) << (dom_exp + dom_m))
    inf_bits = ((lane(1) << dom_exp) - 1) << dom_m
    # Inf and NaN (NaR in the end) computed as the largest finite input, so that no lane's
    # rounding increment overflows the lane (a + 2**dom_m reaches 2**63 from Inf's bits)
    ar = minimum(a, inf_bits - 1)
    mant = ar & ((lane(1) << dom_m) - 1)
    E = ar >> dom_m
    s = E - bias                                  # 2**s <= |x| < 2**(s+1) for normal x
    big = s >= max_scale                          # |x| >= maxpos
    small = s < -max_scale                        # |x| < minpos (subnormals and zeros too)
    sc = minimum(maximum(s, -max_scale), max_scale - 1)   # clamped: the other lanes stay defined
    kr = sc >> es                                 # regime value; sc = kr * 2**es + e
    e = sc - (kr << es)
    pos = kr >= 0
    avail = where(pos, n - 3 - kr, n - 2 + kr)    # bits after sign and regime (>= 0)
    tail = (e << dom_m) | mant                    # exponent, then fraction: es + dom_m bits
    drop = es + dom_m - avail                     # bits of the tail beyond the code (< 0: none)
    cut = maximum(drop, 0)
    lsb = where(avail > 0, (tail >> cut) & 1, lane(kr < 0))   # the code's last bit (the regime's where avail = 0)
    rem = tail & ((lane(1) << cut) - 1)
    in_frac = avail >= es                         # the cut lies in the fraction bits
    ecut = maximum(es - avail, 0)                 # else: exponent bits cut, lo = 2**a, hi = 2**(a + 2**ecut)
    if stochastic:                                # f = A / (D * 2**t), as round_exact has it
        k, rule_nearest = sr
        sig = (mant | (minimum(E, 1) << dom_m)) << (FRAC - dom_m)
        t_exp = FRAC - (e & ((lane(1) << ecut) - 1))
        A = where(small, sig, where(in_frac, rem, sig - (lane(1) << t_exp)))
        t = where(small, FRAC - (maximum(E, 1) - bias) - max_scale, where(in_frac, cut, t_exp))
        D = where(small | in_frac, lane(1), (lane(1) << (lane(1) << ecut)) - 1)
        up = _stochastic_up(A, t, D, k, rule_nearest, rnd)
        up_small = up
    else:                                         # below minpos: never to zero, except toward zero
        up = (rem + rounding_bias(neg, lsb, cut, p)) >> cut       # rounds_away(neg, lsb, rem, cut, 0, p, 0)
        up_small = lane(1) if (p.nearest | p.odd) != 0 else where(neg, lane(p.away_neg), lane(p.away_pos))
    if want_code:
        regime = where(pos, ((lane(1) << maximum(kr + 1, 0)) - 1) << 1, lane(1))
        lo = (regime << avail) | where(drop >= 0, tail >> cut, tail << maximum(-drop, 0))
        mag = where(big, maxmag, where(small, up_small, lo + up))
        out = where(neg, (-mag) & mask, mag)
        return where(a >= inf_bits, nar, where(a == 0, lane(0), out))
    sh = minimum(cut, dom_m)                      # in_frac: the discarded fraction bits
    v = where(in_frac, (ar & -(lane(1) << sh)) + (up << sh),           # lo or hi: a float grid here
              ((sc & -(lane(1) << ecut)) + bias + (up << ecut)) << dom_m)   # 2**a or 2**(a + 2**ecut)
    v = where(big, (bias + max_scale) << dom_m, where(small, up_small * ((bias - max_scale) << dom_m), v))
    out = v | where(neg & (v != 0), lane(-1) << (dom_exp + dom_m), lane(0))
    nan_bits = (0x7FF8 << 48) if dom_m == 52 else 0x7FC00000
    return where(a >= inf_bits, lane(nan_bits), where(a == 0, lane(0), out))


# cast_one's arguments as typed constants, so that every kernel shares one specialization
DOM32, DOM64 = np.int64(23), np.int64(52)
VALUE, CODE = np.bool_(False), np.bool_(True)
DETERMINISTIC, STOCHASTIC = np.bool_(False), np.bool_(True)
NO_RND = np.int64(0)


@inner_inline
def _float_input(x_bits, i):
    """Element i of a cast's input bits (float32 as int32, float64 as int64), as int64."""
    return np.int64(x_bits[i])


@inner_inline
def _fast_range(n, es, dom64):
    """(e_lo, e_hi): the float exponent fields of the binades 2**s <= |x| < 2**(s+1) that hold
    posit values with a fixed number fb >= 0 of fraction bits: -(n-2-es) * 2**es <= s <
    (n-2-es) * 2**es, strictly inside minpos..maxpos (normal floats only). There the posit
    values are a float grid with fb fraction bits, ties in encoding space are value midpoints,
    and a carry out of the fraction reaches 2**(s + 1), the next posit: the float trick rounds."""
    dom_bias, top = (1023, 0x7FF) if dom64 else (127, 0xFF)
    reach = (n - 2 - es) << es
    return maximum(dom_bias - reach, 1), minimum(dom_bias + reach - 1, top - 1)


@inner_inline
def _fast_args(n, es, p, dom64):
    """The constants of ``_fast_value`` (computed once, before a loop)."""
    return (n, es, p, dom64) + _fast_range(n, es, dom64)


@inner_inline
def _fast_grid(bits, c):
    """(sign, a, sh, lsb, outside) of an input in a binade of ``_fast_range``, where the posits
    are a float grid: its sign bit and magnitude bits, the sh bits of the magnitude below the
    grid, the code's last bit; garbage, but defined, elsewhere; ``outside``: a nonzero input
    outside those binades (exponent field beyond [e_lo, e_hi]); c = ``_fast_args``."""
    n, es, p, dom64, e_lo, e_hi = c
    dom_m, dom_bias = (52, 1023) if dom64 else (23, 127)
    sign = bits & (np.int64(-1) << (63 if dom64 else 31))
    a = minimum(bits ^ sign, EXP64 if dom64 else EXP32)   # NaN payloads clamped (no int64 overflow)
    E = a >> dom_m
    s = E - dom_bias
    kr = s >> es                                  # regime value and length
    fb = n - 1 - (kr + 2 if kr >= 0 else 1 - kr) - es
    sh = minimum(maximum(dom_m - fb, 0), dom_m)          # discarded bits (clamped: rejected lanes stay defined)
    last = (s & 1) if es else np.int64(kr < 0)   # the code's last bit where fb = 0
    lsb = ((a >> sh) & 1) if fb > 0 else last
    return sign, a, sh, lsb, ((E < e_lo) | (E > e_hi)) & (a != 0)


@inner_inline
def _grid_round(sign, a, sh, bias):
    """The float bits of the magnitude a with bias added below its sh grid bits, truncated to
    the grid (a carry out of a binade reaches the next posit), signed; 0 for a zero."""
    out = ((a + bias) & -(np.int64(1) << sh)) | sign
    return out if a != 0 else np.int64(0)


@inner_inline
def _fast_value(bits, c):
    """(r, outside): r the float bits of the rounded value of an input in a binade of
    ``_fast_range`` (or a zero) by the float trick r = (a + bias) & -2**sh, the deterministic
    value casts' first pass (NumPy only: a third fewer operations than ``cast_one``, which
    decides the same there), garbage, but defined, elsewhere; ``outside`` as ``_fast_grid``'s."""
    sign, a, sh, lsb, outside = _fast_grid(bits, c)
    return _grid_round(sign, a, sh, rounding_bias(sign != 0, lsb, sh, c[2])), outside


@inner_inline
def _fast_sr_value(bits, rnd, zk, k, c):
    """``_fast_value`` under stochastic rounding with sr_rule="add": the k random bits rnd,
    aligned below the grid's last bit, are the bias, so the magnitude moves to the next grid
    value iff floor(f * 2**k) + rnd >= 2**k for f the discarded fraction of a grid step:
    ``_stochastic_up``'s rule where hi - lo is that step (bits of f beyond k fall off the
    integer sum; with k > sh, rnd's low bits fall off the bias). (zk: unused, as in
    ``_fast_sr_value32``'s signature.)"""
    sign, a, sh, _, outside = _fast_grid(bits, c)
    bias = where(sh >= k, rnd << maximum(sh - k, 0), rnd >> maximum(k - sh, 0))
    return _grid_round(sign, a, sh, bias), outside


@inner_inline
def _bias32(neg, lsb, t, flags):
    """``rounding_bias(neg, lsb, t, p)`` for 0 <= t <= 30 in int32 arithmetic, flags =
    (nearest, ties_even, away_pos, away_neg, odd) of p as int32 (tests/test_posit.py checks
    the two equal)."""
    nearest, ties_even, away_pos, away_neg, odd = flags
    full = I32(K1 << (t & K31))
    away = away_neg if neg else away_pos
    near = I32(maximum(I32(I32(I32(full >> K1) - K1) + I32((ties_even & lsb) | away)), K0))
    other = I32(I32(I64(full) - K1) * (I32(K1 - lsb) if odd != K0 else away))
    return near if nearest != K0 else other


@inner_inline
def _fast_args32(n, es, p, dom64):
    """The constants of ``_fast_value32``, as int32 (converted before the loop, so that LLVM
    keeps its lanes 32-bit). Where the binades of ``_fast_range`` are none (posit<2, 0>) they
    become the exponent field 256, which no float32 has, so that one unsigned compare
    (``_grid32``) finds every nonzero magnitude outside."""
    e_lo, e_hi = _fast_range(n, es, dom64)
    if e_hi < e_lo:
        e_lo = e_hi = 256
    return (I32(n - 1 - es), I32(es), (I32(p.nearest), I32(p.ties_even), I32(p.away_pos), I32(p.away_neg),
                                       I32(p.odd)), I32(e_lo), I32(e_hi))


@inner_inline
def _grid32(a, c, below):
    """(s, kr, fb, sh, outside) of a float32 magnitude a (int32 bits), c = ``_fast_args32``:
    its scale s, regime value kr, the posit's fraction bits fb at that scale and the sh = 23 -
    fb float32 fraction bits below them (0..23 in the binades of ``_fast_range``; garbage
    elsewhere, which callers mask to 31 bits), and ``outside`` as ``_fast_grid``'s (one
    unsigned compare for the binades). ``below`` (else None: ``_code_shift``) makes sh of
    its own: the codes' max(23 - fb, 0), for formats with more fraction bits than float32
    (posit32); the value casts' formats have none (the clamp cost them 5%)."""
    top, es, flags, e_lo, e_hi = c
    E = I32(a >> K23)
    s = I32(E - K127)
    kr = I32(s >> (es & K31))
    fb = I32(I32(top - K2) - I32(kr ^ I32(kr >> K31)))  # the regime: kr + 2 bits, or 1 - kr = 2 + ~kr
    outside = np.uint32(E - e_lo) > np.uint32(e_hi - e_lo)
    return s, kr, fb, I32(K23 - fb) if below is None else below(fb), outside & (a != K0)


@inner_inline
def _code_shift(fb):
    """``_grid32``'s sh for codes: max(23 - fb, 0) (a float32 input is on the grid of a
    posit with fb >= 23 fraction bits)."""
    return I32(maximum(I32(K23 - fb), K0))


@inner_inline
def _fast_sum32(b, c, below):
    """(a, t, kr, fb, sh, outside) of the float trick for the float32 bits b (int32), c =
    ``_fast_args32``: |b|'s bits a, t = a plus the mode's rounding bias below its sh discarded
    bits (t >> sh: the magnitude's rounded position on the grid), and kr, fb, sh, outside as
    ``_grid32``'s (``below`` as there)."""
    a = I32(b & MAG32)
    s, kr, fb, sh, outside = _grid32(a, c, below)
    last = I32(s & K1) if c[1] != K0 else I32(kr < K0)
    lsb = I32(I32(a >> (sh & K31)) & K1) if fb > K0 else last
    return a, I32(I64(a) + _bias32(b < K0, lsb, sh, c[2])), kr, fb, sh, outside


@inner_inline
def _fast_value32(bits, c):
    """``_fast_value`` of a float32 input (bits in int32 range) in int32 arithmetic, c =
    ``_fast_args32``: in the binades of ``_fast_range`` every intermediate fits, each step is
    truncated to int32 and shift counts are masked to 31, so that LLVM keeps 32-bit lanes
    (twice as many per register)."""
    return shifted_value32(bits, c, None)


@inner_inline
def shifted_value32(bits, c, below):
    """``_fast_value32`` with ``_grid32``'s ``below`` (``_code_shift``: the value whose code
    ``_fast_code32`` gives, both from one ``_fast_sum32``)."""
    b = I32(bits)
    a, t, _, _, sh, outside = _fast_sum32(b, c, below)
    out = I32(I32(t & I32(-(I64(1) << (sh & K31)))) | I32(b & SIGN32))
    return (out if a != K0 else K0), outside


@inner_inline
def _fast_code32(bits, c):
    """(code, outside): the posit code, an int32 two's complement (the caller keeps its n
    bits), of the float trick's rounding of a float32 input (bits in int32 range) inside
    ``_fast_range`` (garbage, but defined, outside), c = ``_fast_args32``; int32 lanes as
    ``_fast_value32``. Codes of consecutive posits are consecutive integers, so the code is
    the code of the binade's first value plus the rounded grid position above it: a carry out
    of the binade lands on the next code. A binade of scale s = kr * 2**es + e starts at the
    regime's bits (kr >= 0: kr + 1 ones and a zero, 2**(n-1) - 2**(n-2-kr) with the fields
    below it; kr < 0: -kr zeros and a one, 2**(n-2+kr)) plus e << fb; the grid position is
    (t >> sh) << (fb - 23 if fb > 23) less the binade's exponent field E = s + 127 shifted
    alike (E << fb), so e - E = -(127 + (kr << es)). Where fb > 23 (posit32's codes) the two
    terms pass 2**31 and their sum wraps to the code, mod 2**32 (``I64``)."""
    b = I32(bits)
    a, t, kr, fb, sh, outside = _fast_sum32(b, c, _code_shift)
    return _grid_code32(b, a, t, kr, fb, sh, c), outside


@inner_inline
def _grid_code32(b, a, t, kr, fb, sh, c):
    """``_fast_code32``'s code from the input bits b, a = |b| and its rounded grid position t
    >> sh (kr, fb, sh as ``_grid32``'s with ``_code_shift``), c = ``_fast_args32``."""
    start = I32(I64(_regime32(kr, I32(c[0] + c[1]))) - (I64(I32(K127 + I32(kr << (c[1] & K31)))) << (fb & K31)))
    mag = I32(I64(start) + (I64(I32(t >> (sh & K31))) << (maximum(I32(fb - K23), K0) & K31)))
    return (I32(-I64(mag)) if b < K0 else mag) if a != K0 else K0


@inner_inline
def _regime32(kr, top):
    """The code of the first posit of regime kr, int32 (top = n - 1): kr >= 0 (kr + 1 ones and
    a zero) 2**(n-1) - 2**(n-2-kr), kr < 0 (-kr zeros and a one) 2**(n-2+kr)."""
    return I32((I64(1) << (top & K31)) - (I64(1) << (I32(I32(top - K1) - kr) & K31))) if kr >= K0 else \
        I32(K1 << (I32(I32(top - K1) + kr) & K31))


@inner_inline
def value_code32(o, c):
    """The posit code (uint32, n bits) of the float32 bits o (uint32) of a posit value of a
    format that float32 holds (or of NaN: NaR), c = ``_fast_args32``: the regime's code
    (``_regime32``), then the exponent e's bits (its low -fb bits are zero where the code cuts
    them, fb < 0) and o's fraction bits above its 23 - fb zero ones, branch-free; int32 lanes."""
    b = I32(o)
    a = I32(b & MAG32)
    top, es = I32(c[0] + c[1]), c[1]
    s = I32(I32(a >> K23) - K127)
    kr = I32(s >> (es & K31))
    fb = I32(I32(c[0] - K2) - I32(kr ^ I32(kr >> K31)))
    e = I32(s & I32(I32(K1 << (es & K31)) - K1))
    ex = I32(e << (fb & K31)) if fb >= K0 else I32(e >> (I32(-fb) & K31))
    mag = I32(I32(_regime32(kr, top) + ex) + I32(I32(a & FRAC32) >> (I32(K23 - fb) & K31)))
    code = as_code(I32(-mag) if b < K0 else mag, code_mask32(c))
    return U32(U32(1) << U32(top)) if a > EXP32 else (code if a != K0 else U32(0))


@inner_inline
def code_mask32(c):
    """2**n - 1 (uint32) of the posit<n, es> of c = ``_fast_args32``: a code's bits."""
    return U32(U32(0xFFFFFFFF) >> U32(U32(31) - U32(I32(c[0] + c[1]))))


@inner_inline
def _as_value(o, mask):
    """The result of ``_cast_all``'s first pass for value casts: the float bits o themselves."""
    return o


@inner_inline
def as_code(o, mask):
    """The n bits (mask = 2**n - 1, uint32) of the int32 two's complement code o: how
    ``_cast_all``'s first pass finishes a code cast."""
    return U32(U32(o) & mask)


@inner_inline
def _cast_all(source, src, out, n, es, p, dom_m, want_code, fast, fast_args, finish):
    """out[i] = ``cast_one`` of the input ``source(src, i)`` (float bit patterns as int64) in
    the deterministic mode p, by blocks of CODE_TILE elements, branch-free (LLVM vectorizes
    it): first the float trick (``fast``: ``_fast_value`` or ``_fast_value32``, with the
    constants ``fast_args``) for every element, its result finished (``finish``: the value
    bits themselves, ``_as_value``, or their code, ``as_code``), then, in a block that has
    some, ``cast_one`` for the elements outside ``_fast_range`` (NaN, Inf, subnormals, the
    extreme binades; zeros are fast) while the block is in L1 (posit8, 4M standard normal
    float32 of which about 50 lie below minpos, 1 thread: 1.72 ms; 2.55 ms by blocks of
    65,536, 3.35 ms by a second pass over every element; 1.64 ms without those 50)."""
    q = cast_params(n, es)
    c = fast_args(n, es, p, dom_m == 52)
    mask = U32(U32(0xFFFFFFFF) >> U32(32 - n))
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    for lo in range(0, out.size, CODE_TILE):
        hi = minimum(lo + CODE_TILE, out.size)
        left = U32(0)
        # (an unsigned index has no negative-index wraparound: with one, AVX-512 builds of this
        # loop gathered and scattered every element, 2.8x slower)
        for i in range(U64(lo), U64(hi)):
            o, outside = fast(source(src, i), c)
            out[i] = finish(o, mask)
            left = U32(left + U32(outside))
        for i in range(lo, hi if left else lo):
            if fast(source(src, i), c)[1]:
                out[i] = cast_one(source(src, i), q, p, dom_m, want_code, DETERMINISTIC, NO_RND, NO_SR)
                left -= U32(1)
                if not left:
                    break


@inner_inline
def _code_every(source, src, out, n, es, p, dom_m):
    """out[i] = the code of ``cast_one`` of every input ``source(src, i)`` in the deterministic
    mode p (float64 inputs: ``_fast_code32`` has no int64 twin)."""
    q = cast_params(n, es)
    for i in range(out.size):
        out[i] = cast_one(source(src, i), q, p, dom_m, CODE, DETERMINISTIC, NO_RND, NO_SR)


@inner_inline
def _fast_sr_value32(bits, rnd, zk, k, c):
    """``_fast_sr_value`` of a float32 input in int32 lanes, as ``_fast_value32`` (c =
    ``_fast_args32``): zk is rnd at the top of a uint32 (``numfmt.random.draw_tops``), whose
    top sh bits are the bias (rnd unused)."""
    return shifted_sr_value32(bits, zk, c, None)


@inner_inline
def _sr_sum32(b, zk, c, below):
    """(a, t, kr, fb, sh, outside) as ``_fast_sum32``'s, the bias the top sh bits of zk
    (``_fast_sr_value32``)."""
    a = I32(b & MAG32)
    _, kr, fb, sh, outside = _grid32(a, c, below)
    bias = I32(np.uint32(np.uint32(zk) >> np.uint32(1)) >> np.uint32(np.uint32(K31 - sh) & np.uint32(31)))
    return a, I32(I64(a) + bias), kr, fb, sh, outside


@inner_inline
def shifted_sr_value32(bits, zk, c, below):
    """``_fast_sr_value32`` with ``_grid32``'s ``below`` (as ``shifted_value32``)."""
    b = I32(bits)
    a, t, _, _, sh, outside = _sr_sum32(b, zk, c, below)
    out = I32(I32(t & I32(-(I64(1) << (sh & K31)))) | I32(b & SIGN32))
    return (out if a != K0 else K0), outside


@inner_inline
def _fast_sr_code32(bits, rnd, zk, k, c):
    """``_fast_sr_value32``'s rounding as a code (``_grid_code32``; an int32 two's complement,
    the caller keeps its n bits)."""
    b = I32(bits)
    a, t, kr, fb, sh, outside = _sr_sum32(b, zk, c, _code_shift)
    return _grid_code32(b, a, t, kr, fb, sh, c), outside


@inner_inline
def _fast_stochastic(x_bits, out, start, seed, n, es, p, k, dom_m, fast, fast_args, finish):
    """The first pass of the seeded casts under stochastic rounding with sr_rule="add"
    (k random bits): out[i] = the float trick with the random bits of number start + i as the
    bias (``fast``: ``_fast_sr_value``, ``_fast_sr_value32`` or ``_fast_sr_code32``, with the
    constants ``fast_args``, its result finished as in ``_cast_all``; the bits drawn by blocks,
    ``numfmt.random.draw_tops``, the lines of a block further on prefetched meanwhile,
    ``kernels.prefetch.prefetch_ahead``), right for the elements inside ``_fast_range``; returns how many are outside (``_cast_left_sr`` rounds
    them). The pass never reads explicit random bits (see ``kernels.floating._stochastic_loop``:
    a loop that does can run one element at a time)."""
    c = fast_args(n, es, p, dom_m == 52)
    mask = U32(U32(0xFFFFFFFF) >> U32(32 - n))
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    left = 0
    own_buf, own_tops = empty(DRAW_BLOCK + 2, np.uint64), empty(DRAW_BLOCK, np.uint32)
    # (borrowed views: a block's slices then cost no atomic reference counts, four a block
    # of 256 elements; 1M standard normal float32, seeded, 1 thread: posit8 0.36 -> 0.25 ms,
    # posit16 0.30 -> 0.18 ms; the arrays themselves kept to the end: ``alive``)
    x_bits, out, buf, tops = borrowed(x_bits), borrowed(out), borrowed(own_buf), borrowed(own_tops)
    words = view_as(buf, np.uint32)
    for lo in range(0, x_bits.size, DRAW_BLOCK):
        xs, outs = x_bits[lo:lo + DRAW_BLOCK], out[lo:lo + DRAW_BLOCK]
        prefetch_ahead(x_bits, out, lo, xs.size)
        zs, off = draw_tops(buf, tops, seed, start + lo, xs.size, k)
        block_left = U32(0)
        for j in range(xs.size):
            o, outside = fast(np.int64(xs[j]), drawn_bits(buf, words, off, j, k), zs[j], k, c)
            outs[j] = finish(o, mask)
            block_left = U32(block_left + U32(outside))
        left += block_left
    alive(own_buf)
    alive(own_tops)
    return left


@inner_inline
def _cast_left_sr(x_bits, out, start, rand, seed, n, es, p, sr, dom_m, want_code, fast, fast_args):
    """out[i] = ``cast_one`` under stochastic rounding (random number start + i,
    ``element_bits``) of the elements that ``_fast_stochastic`` left (outside ``_fast_range``),
    found by a vector loop per LEFT_BLOCK elements, one by one in the blocks that have some
    (posit8, 4M standard normal float32 of which about 50 lie below minpos, 1 thread: 2.3 ms,
    4.3 ms one by one through all; the posit16 cast, none left, 1.8 ms)."""
    c, q = fast_args(n, es, p, dom_m == 52), cast_params(n, es)
    for lo in range(0, x_bits.size, LEFT_BLOCK):
        xs = x_bits[lo:lo + LEFT_BLOCK]
        some = U32(0)
        for j in range(xs.size):
            some = U32(some | U32(fast(np.int64(xs[j]), NO_RND, np.uint32(0), sr[0], c)[1]))
        for i in range(lo, lo + xs.size if some else lo):
            if fast(np.int64(x_bits[i]), NO_RND, np.uint32(0), sr[0], c)[1]:
                out[i] = _cast_one_sr(x_bits, i, start, rand, seed, q, p, sr, dom_m, want_code)


@inner_inline
def _cast_every_sr(x_bits, out, start, rand, seed, n, es, p, sr, dom_m, want_code):
    """out[i] = ``cast_one`` of x_bits[i] under stochastic rounding with random number start + i
    (``element_bits``): explicit random bits, sr_rule="nearest" and float64 codes (a copy of
    the fast pass for them would cost its compile time for the rarer calls)."""
    q = cast_params(n, es)
    for i in range(x_bits.size):
        out[i] = _cast_one_sr(x_bits, i, start, rand, seed, q, p, sr, dom_m, want_code)


@inner_inline
def _cast_rest_sr(x_bits, out, start, rand, seed, n, es, p, sr, every, dom_m, want_code, fast, fast_args):
    """The second kernel of a stochastic cast: ``_cast_every_sr`` (every) or ``_cast_left_sr``."""
    if every:
        _cast_every_sr(x_bits, out, start, rand, seed, n, es, p, sr, dom_m, want_code)
    else:
        _cast_left_sr(x_bits, out, start, rand, seed, n, es, p, sr, dom_m, want_code, fast, fast_args)


@inner
def _cast_one_sr(x_bits, i, start, rand, seed, q, p, sr, dom_m, want_code):
    """``cast_one`` of x_bits[i] under stochastic rounding with random number start + i
    (``element_bits``), compiled once for both of ``_cast_left_sr``'s and ``_cast_every_sr``'s
    loops (inlined into each, it doubled their compile time)."""
    return cast_one(np.int64(x_bits[i]), q, p, dom_m, want_code, STOCHASTIC, element_bits(rand, seed, start + i, sr[0]),
                    sr)


@inner
def seeded_value32(bits, index, seed, q, p, sr):
    """The float32 bits of ``cast_one`` of the float32 input bits (int64) under stochastic
    rounding with SplitMix64 number ``index`` of seed (``element_bits``): a call of its own,
    compiled once (the counting kernels' rare path, ``kernels.report._posit_sr_fix``: inlined,
    it added 2 s to their first call)."""
    return cast_one(bits, q, p, DOM32, VALUE, STOCHASTIC, element_bits(None, seed, index, sr[0]), sr)


# The stochastic casts in two kernels each (``casts.posit.cast_sr`` runs them), so that a first
# seeded call compiles only the fast pass until an input needs more: round32 / round64 /
# encode32 the fast pass (seeded, sr_rule "add"), returning how many elements it left,
# round32_rest / round64_rest / encode32_rest those elements (every=False) or every element
# (every=True: explicit random bits, sr_rule "nearest"); encode64 every element by ``cast_one``.
@nb.njit(cache=True, nogil=True)
def encode32(x_bits, out, start, seed, n, es, p, k):
    """The fast pass of out[i] = posit<n, es> code of float32 x (as int32 bits) rounded
    stochastically (seeded, sr_rule "add", k bits; a format with (n - 2) * 2**es <= 126),
    element i with random number start + i; returns the number of elements left to
    encode32_rest."""
    return _fast_stochastic(x_bits, out, start, seed, n, es, p, k, DOM32, _fast_sr_code32, _fast_args32, as_code)


@nb.njit(cache=True, nogil=True)
def encode32_rest(x_bits, out, start, rand, seed, n, es, p, sr, every):
    """The elements encode32 left (every=False), or every element, coded as encode32 codes
    them, element i with random number start + i."""
    _cast_rest_sr(x_bits, out, start, rand, seed, n, es, p, sr, every, DOM32, CODE, _fast_sr_code32, _fast_args32)


@nb.njit(cache=True, nogil=True)
def encode64(x_bits, out, start, rand, seed, n, es, p, sr):
    """out[i] = posit<n, es> code of float64 x (as int64 bits) under stochastic rounding;
    element i uses random number start + i."""
    _cast_every_sr(x_bits, out, start, rand, seed, n, es, p, sr, DOM64, CODE)


@nb.njit(cache=True, nogil=True)
def round32(x_bits, out_bits, start, seed, n, es, p, k):
    """The fast pass of out_bits = float32 bits of float32 x (as int32 bits) rounded
    stochastically (seeded, sr_rule "add", k bits) to posit<n, es> (a format whose values
    float32 holds); returns the number of elements left to round32_rest."""
    return _fast_stochastic(x_bits, out_bits, start, seed, n, es, p, k, DOM32, _fast_sr_value32, _fast_args32,
                            _as_value)


@nb.njit(cache=True, nogil=True)
def round64(x_bits, out_bits, start, seed, n, es, p, k):
    """round32 for float64 x (as int64 bits)."""
    return _fast_stochastic(x_bits, out_bits, start, seed, n, es, p, k, DOM64, _fast_sr_value, _fast_args, _as_value)


@nb.njit(cache=True, nogil=True)
def round32_rest(x_bits, out_bits, start, rand, seed, n, es, p, sr, every):
    """The elements round32 left (every=False), or every element, rounded as round32 rounds
    them, element i with random number start + i."""
    _cast_rest_sr(x_bits, out_bits, start, rand, seed, n, es, p, sr, every, DOM32, VALUE, _fast_sr_value32,
                  _fast_args32)


@nb.njit(cache=True, nogil=True)
def round64_rest(x_bits, out_bits, start, rand, seed, n, es, p, sr, every):
    """round32_rest for float64 x (as int64 bits)."""
    _cast_rest_sr(x_bits, out_bits, start, rand, seed, n, es, p, sr, every, DOM64, VALUE, _fast_sr_value, _fast_args)


@nb.njit(cache=True, nogil=True)
def fast_round32(x_bits, out_bits, n, es, p):
    """round32 for deterministic modes, float32 bits in and out (formats that fit float32)."""
    _cast_all(_float_input, x_bits, out_bits, n, es, p, DOM32, VALUE, _fast_value32, _fast_args32, _as_value)


@nb.njit(cache=True, nogil=True)
def fast_round64(x_bits, out_bits, n, es, p):
    """round64 for deterministic modes."""
    _cast_all(_float_input, x_bits, out_bits, n, es, p, DOM64, VALUE, _fast_value, _fast_args, _as_value)


@nb.njit(cache=True, nogil=True)
def fast_encode32(x_bits, out, n, es, p):
    """encode32 for deterministic modes (formats with (n - 2) * 2**es <= 126)."""
    _cast_all(_float_input, x_bits, out, n, es, p, DOM32, CODE, _fast_code32, _fast_args32, as_code)


@nb.njit(cache=True, nogil=True)
def fast_encode64(x_bits, out, n, es, p):
    """encode64 for deterministic modes."""
    _code_every(_float_input, x_bits, out, n, es, p, DOM64)


@nb.njit(cache=True, nogil=True)
def decode(codes, out_bits, n, es, out64):
    """out_bits[i] = float64 (out64) or float32 bits of the value of code codes[i] (NaR: NaN)."""
    for i in range(codes.size):
        out_bits[i] = posit_float_bits(np.int64(codes[i]), n, es, out64)


# ----------------------------------------------------------------------------- arithmetic
@inner_inline
def is_value(bits, n, es):
    """Whether a float64 bit pattern is a posit<n, es> value: 0 (either sign), NaN (NaR), or
    a normal float 2**s * (1 + f) with |s| <= (n - 2) * 2**es whose fraction and exponent
    bits below those the posit keeps at scale s are zero."""
    a = bits & ~(np.int64(-1) << 63)
    E = a >> 52
    s = E - 1023
    max_scale = (n - 2) << es
    kr = s >> es                                  # regime value; s = kr * 2**es + e
    length = kr + 2 if kr >= 0 else 1 - kr
    fb = n - 1 - length - es                      # fraction bits kept (< 0: exponent bits cut)
    frac_ok = (a & ~(np.int64(-1) << (52 - minimum(maximum(fb, 0), 52)))) == 0
    e_ok = ((s - (kr << es)) & ~(np.int64(-1) << minimum(maximum(-fb, 0), es))) == 0
    in_range = (E != 0) & (s >= -max_scale) & (s <= max_scale)
    return (a == 0) | (a > EXP64) | (in_range & frac_ok & e_ok)


@nb.njit(cache=True, nogil=True)
def count_not_values(x_bits, n, es):
    """How many of the float64 bit patterns x_bits (int64), or of the float32 numbers x_bits,
    are not posit<n, es> values (``is_value``; a float32 as the float64 of its value)."""
    count = 0
    for i in range(x_bits.size):
        count += np.int64(not is_value(_float64_bits(x_bits[i]), n, es))
    return count


def _float64_bits(v):
    """The float64 bit pattern of v: v itself (int64 bits), or a float's value as float64."""
    return v if isinstance(v, (int, np.integer)) else np.float64(v).view(np.int64)


@nb.extending.overload(_float64_bits, inline="always")
def _float64_bits_for(v):
    if isinstance(v, nb.types.Integer):
        return lambda v: v
    return lambda v: bits_as(np.float64(v), np.int64)


@inner_inline
def _unpack_value(bits):
    """(nar, neg, sig, exp) of the float64 bit pattern of a posit value (NaN: nar)."""
    nar = (bits & EXP64) == EXP64
    neg, sig, exp = exact.unpack_float64(0 if nar else bits)
    return nar, neg, sig, exp


# The operations: (nar, neg, sig, exp), the exact result in the 62-bit form of ``kernels.exact``,
# or nar for NaR (a NaR operand, x / 0, sqrt of a negative); a, b, c are float64 bit patterns
# of posit values (NaN for NaR), unused operands ignored. One kernel per operation below, so
# that each compiles only its own.
_NAR = (True, np.int64(0), np.int64(0), np.int64(0))


@inner_inline
def _add(a, b, c):
    nar_a, na, sa, ea = _unpack_value(a)
    nar_b, nb_, sb, eb = _unpack_value(b)
    return _NAR if nar_a | nar_b else (False, *exact.add(na, sa, ea, nb_, sb, eb))


@inner_inline
def _sub(a, b, c):
    return _add(a, b ^ (np.int64(-1) << 63), c)


@inner_inline
def _mul(a, b, c):
    nar_a, na, sa, ea = _unpack_value(a)
    nar_b, nb_, sb, eb = _unpack_value(b)
    return _NAR if nar_a | nar_b else (False, *exact.mul(na, sa, ea, nb_, sb, eb))


@inner_inline
def _div(a, b, c):
    nar_a, na, sa, ea = _unpack_value(a)
    nar_b, nb_, sb, eb = _unpack_value(b)
    return _NAR if nar_a | nar_b | (sb == 0) else (False, *exact.div(na, sa, ea, nb_, sb, eb))


@inner_inline
def _fma(a, b, c):
    nar_a, na, sa, ea = _unpack_value(a)
    nar_b, nb_, sb, eb = _unpack_value(b)
    nar_c, nc, sc, ec = _unpack_value(c)
    return _NAR if nar_a | nar_b | nar_c else (False, *exact.fma(na, sa, ea, nb_, sb, eb, nc, sc, ec))


@inner_inline
def _sqrt(a, b, c):
    nar_a, na, sa, ea = _unpack_value(a)
    return _NAR if nar_a | ((na != 0) & (sa != 0)) else (False, *exact.sqrt(sa, ea))


@inner_inline
def _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, op):
    """out[i] = float64 bits of op(a[i], b[start + i], c[start + i]) rounded once to
    posit<n, es> (float64 bit patterns in; ``table``: float64 bits by code for n <= 16, else
    empty); element i uses random number start + i. Returns how many exact results lie beyond
    maxpos (they saturate), for overflow="raise"."""
    b = b[start:start + a.size]
    c = c[start:start + a.size]
    beyond = 0
    max_scale = (n - 2) << es
    for i in range(a.size):
        nar, neg, sig, exp = op(a[i], b[i], c[i])
        if nar:
            code = np.int64(1) << (n - 1)
        else:
            s = exp + 61
            beyond += (sig != 0) & ((s > max_scale) | ((s == max_scale) & (sig != np.int64(1) << 61)))
            rnd = element_bits(rand, seed, start + i, sr[0]) if p.stochastic else np.int64(0)
            code = round_exact(neg, sig, exp, n, es, p, rnd, sr)
        out[i] = table[code] if table.size else posit_float_bits(code, n, es, True)
    return beyond


@nb.njit(cache=True, nogil=True)
def add_kernel(a, out, start, b, c, n, es, p, sr, rand, seed, table):
    return _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, _add)


@nb.njit(cache=True, nogil=True)
def sub_kernel(a, out, start, b, c, n, es, p, sr, rand, seed, table):
    return _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, _sub)


@nb.njit(cache=True, nogil=True)
def mul_kernel(a, out, start, b, c, n, es, p, sr, rand, seed, table):
    return _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, _mul)


@nb.njit(cache=True, nogil=True)
def div_kernel(a, out, start, b, c, n, es, p, sr, rand, seed, table):
    return _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, _div)


@nb.njit(cache=True, nogil=True)
def fma_kernel(a, out, start, b, c, n, es, p, sr, rand, seed, table):
    return _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, _fma)


@nb.njit(cache=True, nogil=True)
def sqrt_kernel(a, out, start, b, c, n, es, p, sr, rand, seed, table):
    return _arith(a, out, start, b, c, n, es, p, sr, rand, seed, table, _sqrt)


# ----------------------------------------------------------------------------- float64 route
# A deterministic result rounds to the same posit from its value rounded to odd at 53 bits
# (every posit<n <= 32> keeps at most 29 fraction bits: its guard and sticky bits lie above
# float64's last bit, which carries the sticky information). Sums get that value from TwoSum
# (``kernels.arith.odd_sum_bits``, the float family's route), products from Dekker's product,
# quotients and roots from their residuals (``kernels.arith.odd_quotient``, ``odd_root``):
# exact for values within 2**-450 .. 2**450 (the caller checks); fma's products of short
# significands are exact in float64 (the caller checks). NaN (NaR) operands give NaN, x / 0 an
# infinity and the root of a negative NaN, which the cast makes NaR.
@inner_inline
def _sum_input(src, i):
    a, b, sign = src
    return odd_sum_bits(bits_as(np.float64(a[i]), np.int64), bits_as(np.float64(sign * b[i]), np.int64), False)


@inner_inline
def _product_input(src, i):
    """(where ``exact``: float64's product, exact; else rounded to odd from Dekker's error)"""
    a, b, exact = src
    x, y = np.float64(a[i]), np.float64(b[i])
    q = x * y
    if exact:
        return bits_as(q, np.int64)
    e = two_product_error(x, y, q)
    return odd_bits(q, (e > 0) == (q > 0), (e != 0) & (np.abs(q) < np.inf))


@inner_inline
def _quotient_input(src, i):
    return odd_quotient(np.float64(src[0][i]), np.float64(src[1][i]))


@inner_inline
def _root_input(src, i):
    return odd_root(np.float64(src[0][i]))


@inner_inline
def _fma_input(src, i):
    a, b, c = src
    return odd_sum_bits(bits_as(np.float64(a[i] * b[i]), np.int64), bits_as(np.float64(c[i]), np.int64), False)


# The kernels below run on a chunk: a and out_bits are the chunk's, b and c whole (the chunk
# starts at ``start``), as in ``_arith``.
@nb.njit(cache=True, nogil=True)
def sum_round(a, out_bits, start, b, sign, n, es, p):
    """out_bits[i] = float64 bits of a[i] + sign * b[start + i] (float64 values, sign +-1.0)
    rounded once to posit<n, es>, deterministic mode p."""
    _cast_all(_sum_input, (a, b[start:start + a.size], sign), out_bits, n, es, p, DOM64, VALUE, _fast_value,
              _fast_args, _as_value)


@nb.njit(cache=True, nogil=True)
def product_round(a, out_bits, start, b, exact, n, es, p):
    """out_bits[i] = float64 bits of a[i] * b[start + i] rounded once (``exact``: float64 holds
    every product of two values; posit16 from float64, 1M standard normal values, 1 thread:
    0.8 ms, 1.1 ms by Dekker's product)."""
    _cast_all(_product_input, (a, b[start:start + a.size], exact), out_bits, n, es, p, DOM64, VALUE, _fast_value,
              _fast_args, _as_value)


@nb.njit(cache=True, nogil=True, error_model="numpy")     # x / 0 is IEEE's, no exception
def quotient_round(a, out_bits, start, b, n, es, p):
    """out_bits[i] = float64 bits of a[i] / b[start + i] rounded once."""
    _cast_all(_quotient_input, (a, b[start:start + a.size]), out_bits, n, es, p, DOM64, VALUE, _fast_value,
              _fast_args, _as_value)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def root_round(a, out_bits, start, n, es, p):
    """out_bits[i] = float64 bits of sqrt(a[i]) rounded once."""
    _cast_all(_root_input, (a,), out_bits, n, es, p, DOM64, VALUE, _fast_value, _fast_args, _as_value)


@nb.njit(cache=True, nogil=True)
def fma_round(a, out_bits, start, b, c, n, es, p):
    """out_bits[i] = float64 bits of a[i] * b[start + i] + c[start + i] rounded once (products
    exact in float64)."""
    _cast_all(_fma_input, (a, b[start:start + a.size], c[start:start + a.size]), out_bits, n, es, p, DOM64, VALUE,
              _fast_value, _fast_args, _as_value)


KERNELS = {"add": add_kernel, "sub": sub_kernel, "mul": mul_kernel, "div": div_kernel, "fma": fma_kernel,
           "sqrt": sqrt_kernel}


# ----------------------------------------------------------------------------- float32 lanes
# Float32 operands, float32 results, deterministic modes, where every product of two values is
# exact in float32 and every sum below 2**127 (``numfmt.arithmetic.posit.float32_route``
# decides): float32's own x * y + z and its exact error (TwoSum) give the result rounded to odd
# at 24 bits (``kernels.floating.fma_odd32``), which decides every deterministic posit
# rounding as the exact value does: the posit keeps at most 11 fraction bits, so its values,
# its (value or encoding-space) midpoints, maxpos and minpos are float32 numbers of at most 13
# bits. The float trick of the casts (``_fast_value32``) rounds that float32 in int32 lanes;
# each operand's bits below the posit's are checked in the same pass. The few elements where an
# operand or the result lies outside the trick's binades (zeros aside: NaR, Inf, the extreme
# regimes), or an operand is not a value, are marked ``UNDONE`` for the caller.
UNDONE = np.int32(0x7FA00001)          # a NaN pattern no result has (the results' NaN is 0x7FC00000)


@inner_inline
def _off_grid32(x, c):
    """Whether the float32 x (int32 bits) needs ``is_value``: it lies outside ``_fast_value32``'s
    binades (zeros aside), or has fraction bits below the posit's there (not a value)."""
    a = I32(x & MAG32)
    _, _, _, sh, outside = _grid32(a, c, None)
    return outside | (I32(a & I32(I32(K1 << (sh & K31)) - K1)) != K0)


@inner_inline
def _product_sum32(x, y, z, mul, fma, sign):
    """The int32 bits of x * P + Q rounded to odd at 24 bits, where (P, Q) = (1, sign * y) for
    add and sub (sign +-1), (y, 0) for mul, (y, z) for fma (x, y, z: int32 bits of float32
    operands): one TwoSum serves the four."""
    X, Y, Z = bits_as(np.int32(x), np.float32), bits_as(np.int32(y), np.float32), bits_as(np.int32(z), np.float32)
    one, zero = np.float32(1.0), np.float32(0.0)
    v = fma_odd32(X, Y if mul else one, (Z if fma else zero) if mul else np.float32(sign) * Y, 3)
    return bits_as(np.float32(v), np.int32)


@inner_inline
def _quotient32(x, y, z, mul, fma, sign):
    """The int32 bits of float32's x / y, which rounds as the exact quotient in every
    deterministic mode: for values of p <= 12 bits (A 2**alpha / B 2**beta) and any number m of
    p + 1 bits (M 2**mu: the posit's values, midpoints, powers of two), x / y - m is a nonzero
    multiple of 2**min(alpha, mu + beta) over y < 2**(beta + p), so |x / y - m| > 2**(E - 2p)
    >= 2**(E - 24) for 2**E <= x / y: more than float32's rounding error, which therefore
    neither reaches nor crosses m (``kernels.machine_arith``'s quotient argument, in every
    mode)."""
    return bits_as(np.float32(bits_as(np.int32(x), np.float32) / bits_as(np.int32(y), np.float32)), np.int32)


@inner_inline
def _root32(x, y, z, mul, fma, sign):
    """The int32 bits of sqrt(x) rounded to odd at 24 bits (``kernels.floating.sqrt_odd32``:
    float32's root and its exact residual in float64); ``kernels.machine_arith``'s argument
    that float32's root alone suffices holds for p <= 10 only (posit16 has 12)."""
    X = bits_as(np.int32(x), np.float32)
    return bits_as(np.float32(sqrt_odd32(X, X, X, 5)), np.int32)


@inner_inline
def _pass32(x, out, y, z, c, mul, fma, sign, odd, compute):
    """out[i] = the float trick's rounding of v = compute(x[i], y[i], z[i], ...) (the result
    rounded to odd at 24 bits), v itself where ``odd``, or ``UNDONE`` (see ``product_sum32``);
    whether an element is UNDONE."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    left = False
    for i in range(x.size if fma else 0):     # fma's addend: a pass of its own (one loop to compile)
        undone = _off_grid32(z[i], c)
        out[i] = UNDONE if undone else K0
        left |= undone
    for i in range(x.size):
        v = compute(x[i], y[i], z[i], mul, fma, sign)
        r, outside = _fast_value32(v, c)
        undone = outside | _off_grid32(x[i], c) | _off_grid32(y[i], c) | (fma & (out[i] == UNDONE))
        out[i] = UNDONE if undone else (v if odd else r)
        left |= undone
    return left


@nb.njit(cache=True, nogil=True, error_model="numpy")
def product_sum32(x, out, start, y, z, n, es, p, mul, fma, sign, odd):
    """out[i] = float32 bits of x[i] * P + Q (``_product_sum32``: add, sub, mul or fma of the
    float32 operands, as int32 bits, x[i], y[start + i], z[start + i]; z read for fma only)
    rounded once to posit<n, es> in the deterministic mode p, or ``UNDONE`` where an operand or
    the result lies outside the float trick's binades or an operand is not a value (the caller
    takes the float64 route there); out is x's chunk. Returns whether an element is UNDONE.
    With ``odd`` the results are left rounded to odd at 24 bits (stand-ins of the exact results
    for the counts of ``report=True``: they round as the exact results do)."""
    c = _fast_args32(n, es, p, False)
    return _pass32(x, out, y[start:start + x.size], z[start:start + x.size], c, mul, fma, sign, odd,
                   _product_sum32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def quotient_root32(x, out, start, y, n, es, p, root, odd):
    """``product_sum32`` for x[i] / y[start + i], or sqrt(x[i]) where ``root`` (y then x's
    chunk). Division by zero and roots of negative numbers (NaR) are UNDONE (Inf, NaN)."""
    c = _fast_args32(n, es, p, False)
    y = y[start:start + x.size]
    if root:
        return _pass32(x, out, y, y, c, False, False, 1.0, odd, _root32)
    return _pass32(x, out, y, y, c, False, False, 1.0, odd, _quotient32)
