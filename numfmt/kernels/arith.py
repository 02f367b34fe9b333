"""Element-wise arithmetic kernels of the float family: unpack, compute exactly, round once.

Operands arrive as float32 or float64 arrays of values of the format (checked on the way) and
are read as float64 bit patterns. Specials are settled first (IEEE 754 rules, see
``numfmt.ops``); finite operands are unpacked
(``exact.unpack_float64``), combined exactly by ``numfmt.kernels.exact`` into the 62-bit
odd-jammed form, and rounded once by ``round_exact``, which reuses the float family's one
rounding routine ``kernels.floating.round_one`` with the ``FloatParams`` of
``casts.floating.kernel_params(fmt, True, mode, overflow, nan)``:

- deterministic modes in the *narrow* formats (``narrow``: p <= 51, smallest quantum at least
  2**-1072, max below 2**1023; every registered format but binary64): the 62-bit form is rounded to
  odd at 53 bits, a float64 bit pattern (``odd_float64_bits``); rounding that once more to
  p <= 51 bits in any deterministic mode is the correct rounding of the exact value
  (round-to-odd with two spare bits). Exact results below 2**-1022 become odd-jammed float64
  subnormals (the format's grid there is coarser by two bits or more), results of 2**1023 or
  more (products and quotients can go that far) overflow every narrow format in every mode
  and become the largest float64, odd.
- stochastic rounding, and every mode in the wide formats (binary64, e8m40, e11m10, ...),
  work on the 62-bit form itself (``_grid_bits``): the format's quantum at the result's
  binade gives the kept bits and the discarded fraction f, ``numfmt.rounding.rounds_away``
  decides, and the neighbour, a float64, goes through ``round_one``, which only packs it and
  applies the overflow policy (a neighbour of 2**1024 or more takes the overflow output
  directly). Deterministic modes are exact for p <= 59 (binary64: 53); stochastic rounding
  keeps f exact to k bits while p + k <= 60 (binary64: k <= 7):
  ``numfmt.arithmetic.floating`` enforces it.
- deterministic add, sub, mul, div and fma in narrow formats take a float64 route that yields
  the same odd-jammed float64 (``odd_sum_bits``: TwoSum; products exact in float64 where the
  format allows; ``odd_quotient_bits``: the float64 quotient and its exact remainder), several times
  faster than the integer core.
"""
import numba as nb
import numpy as np

from .arrays import bits_as, empty
from ..lanes import maximum, minimum
from ..random import element_bits
from . import exact
from ..rounding import ModeFlags, rounds_away
from .floating import DETERMINISTIC, DOM64, NO_RND, NO_SR, STOCHASTIC, VALUE, round_one
from .inner import inner_inline

SR_MAX_PRECISION_PLUS_BITS = 60          # exact stochastic rounding needs p + k <= 60

_MAG = np.int64(0x7FFFFFFFFFFFFFFF)
_INF = np.int64(0x7FF) << 52
_NAN = np.int64(0x7FF8) << 48
_SIGN = np.int64(-1) << 63
_F64_MAX = np.int64(0x7FEFFFFFFFFFFFFF)   # odd: stands for any value >= 2**1023
_F64_HALF_OVERFLOW = np.int64(2046) << 52   # 2**1023
_FRAC = (np.int64(1) << 52) - 1


@inner_inline
def odd_float64_bits(neg, sig, exp):
    """The 62-bit form (sig > 0) rounded to odd at 53 bits, as a float64 bit pattern (int64)."""
    E = exp + 1084                            # the biased float64 exponent of sig * 2**exp
    if E >= 2046:                             # >= 2**1023: beyond every narrow format's overflow threshold
        mag = _F64_MAX
    elif E >= 1:
        mag = ((E - 1) << 52) + ((sig >> 9) | np.int64((sig & 511) != 0))
    else:                                     # a float64 subnormal, odd-jammed
        s = minimum(10 - E, np.int64(63))
        mag = (sig >> s) | np.int64(((sig >> s) << s) != sig)
    return mag | (_SIGN if neg else 0)


@inner_inline
def narrow(p):
    """Whether ``odd_float64_bits`` serves the format of the ``FloatParams`` p: precision at most
    51 bits, smallest quantum at least 2**-1072 and max below 2**1023 (every registered format
    but binary64). The wide ones (binary64, e8m40, e11m10) round on their own grid
    (``_grid_bits``)."""
    return (p.M <= 50) & (p.q_bits >= 4) & (p.max_bits < _F64_HALF_OVERFLOW)


@inner_inline
def _pow2_exponent(bits):
    """e for the float64 bit pattern of 2**e (normal or subnormal)."""
    return (bits >> 52) - 1023 if bits >= (np.int64(1) << 52) else exact.bit_length(bits) - 1075


@inner_inline
def _grid_bits(neg, sig, exp, p, stochastic, rnd, sr):
    """The 62-bit form (sig > 0) rounded once onto the format's grid (extended above max), in
    p's deterministic mode or, with ``stochastic``, with the k = sr[0] random bits rnd:
    (overflow, bits). bits: the float64 pattern of the grid value (``round_one`` then only
    packs it and applies the overflow policy above max); overflow: the grid value is 2**1024
    or more, which no float64 holds (bits 0). A zero result of a format without zero is its
    smallest value, as ``round_one`` rounds every tiny value."""
    emin = _pow2_exponent(p.normal_bits)      # the exponent of the smallest normal
    qsub = _pow2_exponent(p.q_bits)           # the exponent of the smallest quantum
    B = exp + 61                              # the result lies in [2**B, 2**(B+1))
    qe = B - p.M if B >= emin else qsub       # the format's quantum at this magnitude
    t = qe - exp                              # discarded bits of sig (>= 61 - M >= 9)
    if t > 62:                                # f < 2**-(t-62): keep its 62 leading bits, odd
        s = minimum(t - 62, np.int64(63))
        rem = (sig >> s) | np.int64(((sig >> s) << s) != sig)
        kept = np.int64(0)
        t = 62
    else:
        rem = sig & ((np.int64(1) << t) - 1)
        kept = sig >> t
    # the code's last bit: the significand's, or for M = 0 the exponent field's (round_one's rule)
    lsb = (kept & 1) if p.lsb_parity < 0 else ((B + 1023 + p.lsb_parity) & 1) * np.int64(kept != 0)
    k, rule_nearest = (np.int64(0), np.int64(0)) if sr is None else (sr[0], sr[1])
    flags = ModeFlags(p.nearest, p.ties_even, p.away_pos, p.away_neg, p.odd, np.int64(stochastic), k, rule_nearest)
    y = kept + rounds_away(neg, lsb, rem, t, 0, flags, rnd)
    sign = _SIGN if neg else np.int64(0)
    if y == 0:
        return False, p.min_bits | sign
    n = exact.bit_length(y)
    top = qe + n - 1                          # y * 2**qe lies in [2**top, 2**(top+1))
    if top >= 1024:
        return True, np.int64(0)
    if top < -1022:                           # a float64 subnormal: bits = value / 2**-1074
        return False, (y << (qe + 1074)) | sign
    frac = (y << (53 - n)) if n <= 53 else (y >> (n - 53))   # y = 2**(M+1) after a carry: exact
    return False, ((top + 1023) << 52) | (frac & _FRAC) | sign


@inner_inline
def _narrow_bits(neg, sig, exp):
    """The float64 bits that ``round_one`` rounds once, in a deterministic mode, to a narrow
    format: the 62-bit form rounded to odd at 53 bits (``odd_float64_bits``), a zero (sig == 0,
    of sign neg) or, for sig == -1, the Inf / NaN of bits exp."""
    if sig <= 0:
        return exp if sig < 0 else (_SIGN if neg else np.int64(0))
    return odd_float64_bits(neg, sig, exp)


@inner_inline
def _exact_bits(neg, sig, exp, p, stochastic, rnd, sr):
    """(done, bits) for ``round_exact``: the float64 bits that ``round_one`` rounds once (done
    False), or the output itself (done True: an overflow beyond every float64)."""
    if sig > 0 and (stochastic or not narrow(p)):
        overflow, bits = _grid_bits(neg, sig, exp, p, stochastic, rnd, sr)
        if overflow:                          # round_one's outputs for an overflow
            return True, p.nan1 if neg and p.unsigned else (p.ovf1 if neg else p.ovf0)
        return False, bits
    return False, _narrow_bits(neg, sig, exp)


@inner_inline
def round_exact(neg, sig, exp, p, want_code, stochastic, rnd, sr):
    """Round the exact value (neg, sig, exp) in the 62-bit form of ``kernels.exact`` to the
    format once: float64 bits of the result (``want_code=False``) or its code.

    ``p``: ``casts.floating.kernel_params(fmt, True, mode, overflow, nan)[want_code]``;
    ``sr``: ``casts.floating.sr_params(fmt, True, k, rule)`` with ``stochastic``, and ``rnd``
    the k random bits (exact for p + k <= 60). sig == 0 is a zero of sign ``neg``; sig == -1
    an Inf or NaN, its float64 bits in ``exp`` (``kernels.accumulate``'s special terms).
    Narrow formats under deterministic rounding go through ``odd_float64_bits``; stochastic
    rounding and the wide formats round on the grid (``_grid_bits``); either way
    ``kernels.floating.round_one`` packs the result once.
    """
    done, bits = _exact_bits(neg, sig, exp, p, stochastic, rnd, sr)
    return bits if done else round_one(bits, p, np.bool_(want_code), DOM64, DETERMINISTIC, NO_RND, NO_SR)


@inner_inline
def round_exact_narrow(neg, sig, exp, p, want_code):
    """``round_exact`` in a deterministic mode to a narrow format (``narrow(p)``), without the
    grid rounding of the wide formats and of stochastic rounding (a caller that knows its
    format and mode when it compiles compiles only this)."""
    return round_one(_narrow_bits(neg, sig, exp), p, np.bool_(want_code), DOM64, DETERMINISTIC, NO_RND, NO_SR)


@inner_inline
def _zero(neg):
    return _SIGN if neg else np.int64(0)


# Each operation: (x, y, z, rdn) -> (special, bits, neg, sig, exp). special is True with
# ``bits`` the float64 pattern of an exact result (NaN, ±Inf, ±0 or an operand); else
# (neg, sig, exp) is the exact result in the 62-bit form. An exact zero from nonzero operands
# is +0, or -0 when ``rdn`` (rounding toward negative). Unused operands are ignored.
_NONE = np.int64(0)


@inner_inline
def _special(bits):
    return True, bits, _NONE, _NONE, _NONE


@inner_inline
def _exact(n, s, e, rdn):
    return False, _NONE, (np.int64(rdn) if s == 0 else n), s, e


@inner_inline
def _add(x, y, z, rdn):
    ax, ay = x & _MAG, y & _MAG
    if (ax > _INF) | (ay > _INF):
        return _special(_NAN)
    if ax == _INF:
        return _special(_NAN if (ay == _INF) & ((x ^ y) < 0) else x)
    if ay == _INF:
        return _special(y)
    if (ax == 0) & (ay == 0):
        return _special(x if (x ^ y) >= 0 else _zero(rdn))
    na, sa, ea = exact.unpack_float64(x)
    nb_, sb, eb = exact.unpack_float64(y)
    n, s, e = exact.add(na, sa, ea, nb_, sb, eb)
    return _exact(n, s, e, rdn)


@inner_inline
def _sub(x, y, z, rdn):
    return _add(x, y ^ _SIGN, z, rdn)


@inner_inline
def _mul(x, y, z, rdn):
    ax, ay = x & _MAG, y & _MAG
    neg = (x ^ y) < 0
    if (ax > _INF) | (ay > _INF) | ((ax == _INF) & (ay == 0)) | ((ax == 0) & (ay == _INF)):
        return _special(_NAN)
    if (ax == _INF) | (ay == _INF):
        return _special(_INF | _zero(neg))
    if (ax == 0) | (ay == 0):
        return _special(_zero(neg))
    na, sa, ea = exact.unpack_float64(x)
    nb_, sb, eb = exact.unpack_float64(y)
    n, s, e = exact.mul(na, sa, ea, nb_, sb, eb)
    return _exact(n, s, e, rdn)


@inner_inline
def _div_special(x, y):
    """(True, bits of x / y) where x or y is a zero, Inf or NaN (IEEE 754), else (False, 0)."""
    ax, ay = x & _MAG, y & _MAG
    neg = (x ^ y) < 0
    if (ax > _INF) | (ay > _INF) | ((ax == _INF) & (ay == _INF)) | ((ax == 0) & (ay == 0)):
        return True, _NAN
    if (ax == _INF) | (ay == 0):
        return True, _INF | _zero(neg)
    if (ay == _INF) | (ax == 0):
        return True, _zero(neg)
    return False, _NONE


@inner_inline
def _div(x, y, z, rdn):
    special, bits = _div_special(x, y)
    if special:
        return _special(bits)
    na, sa, ea = exact.unpack_float64(x)
    nb_, sb, eb = exact.unpack_float64(y)
    n, s, e = exact.div(na, sa, ea, nb_, sb, eb)
    return _exact(n, s, e, rdn)


@inner_inline
def _sqrt(x, y, z, rdn):
    ax = x & _MAG
    if (ax > _INF) | ((x < 0) & (ax != 0)):
        return _special(_NAN)
    if (ax == 0) | (ax == _INF):
        return _special(x)                    # sqrt(±0) = ±0, sqrt(+Inf) = +Inf
    _, sa, ea = exact.unpack_float64(x)
    n, s, e = exact.sqrt(sa, ea)
    return _exact(n, s, e, rdn)


@inner_inline
def _fma(x, y, z, rdn):
    ax, ay, az = x & _MAG, y & _MAG, z & _MAG
    neg = (x ^ y) < 0                          # the product's sign
    if (ax > _INF) | (ay > _INF) | (az > _INF) | ((ax == _INF) & (ay == 0)) | ((ax == 0) & (ay == _INF)):
        return _special(_NAN)
    if (ax == _INF) | (ay == _INF):
        return _special(_NAN if (az == _INF) & ((z < 0) != neg) else _INF | _zero(neg))
    if az == _INF:
        return _special(z)
    if (ax == 0) | (ay == 0):                  # ±0 + z
        return _special(z if (az != 0) | ((z < 0) == neg) else _zero(rdn))
    na, sa, ea = exact.unpack_float64(x)
    nb_, sb, eb = exact.unpack_float64(y)
    nc, sc, ec = exact.unpack_float64(z)
    n, s, e = exact.fma(na, sa, ea, nb_, sb, eb, nc, sc, ec)
    return _exact(n, s, e, rdn)


@inner_inline
def odd_sum_bits(x, y, rdn):
    """float64 bits of the exact x + y rounded to odd at 53 bits (x, y: float64 bit patterns of
    values below 2**1023 in magnitude, or specials), as ``odd_float64_bits`` gives it from the
    exact core, computed with TwoSum: s = RN(x + y) and the exact error e = x + y - s; the
    result is s if e == 0, else the float64 toward zero from x + y (s itself if e points away
    from zero, its predecessor if toward) with the last bit set. Specials, and the signs of
    zeros (+0 for x - x, -0 under ``rdn``), follow IEEE 754 as in ``_add``.
    """
    a = bits_as(np.int64(x), np.float64)
    b = bits_as(np.int64(y), np.float64)
    s = a + b
    t = s - a
    e = (a - (s - t)) + (b - t)
    bits = bits_as(np.float64(s), np.int64)
    mag = bits & _MAG
    sign = bits & _SIGN
    if mag < _INF and e != 0:
        mag = (mag if (e > 0) == (s > 0) else mag - 1) | 1
    if mag == 0 and rdn:
        sign = (x | y) & _SIGN
    return _NAN if mag > _INF else mag | sign      # one NaN, as the exact route gives


@inner_inline
def _fast_mul(x, y, z, rdn):
    """The float64 product: exact when the format's products stay in float64's normal range
    and have at most 53 bits (``numfmt.arithmetic.floating`` decides); IEEE specials as ``_mul``."""
    bits = bits_as(np.float64(bits_as(np.int64(x), np.float64) * bits_as(np.int64(y), np.float64)), np.int64)
    return _NAN if (bits & _MAG) > _INF else bits


_SPLIT = 134217729.0                      # 2**27 + 1: Veltkamp's split of a float64
_SAFE_LO = np.int64(123) << 52            # the fast quotient's range: 2**-900 .. 2**901,
_SAFE_HI = np.int64(1924) << 52           # where the remainder below is exact


@inner_inline
def two_product_error(a, b, p):
    """a * b - p exactly for p = fl(a * b) (Dekker's product with Veltkamp's split; exact when
    |a|, |b| < 2**995 and nothing underflows)."""
    t = a * _SPLIT
    ah = t - (t - a)
    al = a - ah
    t = b * _SPLIT
    bh = t - (t - b)
    bl = b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


@inner_inline
def residual(a, b, q):
    """a - q * b exactly, for q = fl(a / b) (or q = fl(sqrt(a)) = b: a - q * q) where a, b and
    q lie in [2**-900, 2**901] in magnitude: (a - p) - e with p + e = q * b (Dekker's product),
    a - p exact by Sterbenz's lemma."""
    p = q * b
    return (a - p) - two_product_error(q, b, p)


@inner_inline
def odd_bits(q, away, inexact):
    """float64 bits of an exact value rounded to odd at 53 bits, from q = its rounding to
    nearest: q where exact, else q or its neighbour toward the exact value (farther from zero
    iff ``away``), whichever is odd."""
    bits = bits_as(np.float64(q), np.int64)
    mag = bits & _MAG
    return (((mag if away else mag - 1) | 1) if inexact else mag) | (bits & _SIGN)


@inner_inline
def odd_quotient(x, y):
    """float64 bits of the exact x / y (float64 values) rounded to odd at 53 bits, branch-free
    (``odd_quotient_bits``' fast case without its range tests: x, y and the quotient must lie
    within 2**-900 .. 2**901, or be zeros or specials, whose quotient is IEEE 754's; one NaN
    for every NaN)."""
    q = x / y
    r = residual(x, y, q)
    bits = odd_bits(q, ((r > 0) == (y > 0)) == (q > 0), (q != 0) & (np.abs(q) < np.inf) & (r != 0))
    return _NAN if q != q else bits


@inner_inline
def odd_root(x):
    """float64 bits of the exact sqrt(x) (a float64 value within 2**-900 .. 2**901, or a zero or
    special) rounded to odd at 53 bits: sqrt(x) > q = fl(sqrt(x)) iff the residual x - q * q
    is positive (one NaN for every NaN: negative x)."""
    q = np.sqrt(x)
    r = residual(x, q, q)
    bits = odd_bits(q, r > 0, (q > 0) & (q < np.inf) & (r != 0))
    return _NAN if q != q else bits


# what a float64-route operation returns where it cannot serve (a signalling NaN: never a result)
LEFT_ROUTE = np.int64(0x7FF0000000000001)


@inner_inline
def odd_quotient_bits(x, y, rdn):
    """float64 bits of the exact x / y rounded to odd at 53 bits, as ``odd_float64_bits`` gives
    it from the exact core. Where x, y and q = fl(x / y) lie in [2**-900, 2**901] in magnitude:
    the remainder r = x - q * y is a float64 and (x - p) - e computes it exactly (p + e = q * y
    by Dekker's product, x - p exact by Sterbenz's lemma); the exact quotient is q + r / y, so
    for r != 0 the result is q or its neighbour toward q + r / y, whichever is odd. Zeros and
    specials: IEEE 754's result. Elsewhere (extreme exponents) LEFT_ROUTE, for the exact core."""
    ax, ay = x & _MAG, y & _MAG
    a = bits_as(np.int64(x), np.float64)
    b = bits_as(np.int64(y), np.float64)
    if (ax >= _SAFE_LO) & (ax <= _SAFE_HI) & (ay >= _SAFE_LO) & (ay <= _SAFE_HI):
        q = a / b
        mag = bits_as(np.float64(q), np.int64) & _MAG
        if (mag >= _SAFE_LO) & (mag <= _SAFE_HI):
            r = residual(a, b, q)
            return odd_bits(q, ((r > 0) == (b > 0)) == (q > 0), r != 0)   # away: q + r / y is farther from zero
    special, bits = _div_special(x, y)
    return bits if special else LEFT_ROUTE


@inner_inline
def _bits(v):
    """The float64 bit pattern (int64) of a float32 or float64 value."""
    return bits_as(np.float64(v), np.int64)


@inner_inline
def not_value(bits, pc, dom_m):
    """Whether the float64 (dom_m = DOM64) or float32 (DOM32; int64, sign-extended) bits are
    not a value of the format: those that rounding them (``pc``: the parameters of
    toward_zero, overflow "ieee", nan "ml_dtypes", for that domain) would change, apart from
    the sign of zero (a NaN in a format without NaN rounds to 0). Read from the grid instead
    of rounding (cheaper; tests/test_machine_arith.py checks it against ``round_one``): a
    finite magnitude a is a value iff it is at most max, a multiple of the quantum of its
    binade (``round_one``'s ``shift``) and, below the smallest quantum, zero where the format
    has zero; Inf and NaN iff the format rounds them to themselves; negatives of unsigned
    formats are not values (zeros are)."""
    dom_exp = 11 if dom_m == DOM64 else 8
    mag = ~(np.int64(-1) << (dom_exp + dom_m))
    inf = mag - ((np.int64(1) << dom_m) - 1)
    a = bits & mag
    shift = minimum(maximum(dom_m - pc.M, pc.sub_shift_base - maximum(a >> dom_m, np.int64(1))), dom_m)
    sign_ok = (bits >= 0) | (pc.unsigned == 0) | (a == 0)
    finite = ((a <= pc.max_bits) & ((a & ((np.int64(1) << shift) - 1)) == 0)
              & ((a >= pc.q_bits) | ((a == 0) & (pc.min_bits == 0))))
    special = ((a == inf) & ((pc.inf0 & mag) == inf)) | ((a > inf) & ((pc.nan0 & mag) > inf))
    return not ((finite & sign_ok) | special & (sign_ok | (a > inf)))


@inner_inline
def _not_values(a, b, c, pc, arity):
    """Whether one of the first ``arity`` operands (float64 bits) is not a value of the format
    (``not_value``); arity 0 checks none."""
    if arity == 0:
        return False
    return (not_value(a, pc, DOM64) | ((arity >= 2) & not_value(b, pc, DOM64))
            | ((arity >= 3) & not_value(c, pc, DOM64)))


@inner_inline
def _store(out, i, result, p, sr, rand, seed, j):
    """out[i] = ``result`` (an operation's return value) rounded once, as a float; element
    index j picks the random integer under stochastic rounding (sr not None)."""
    special, bits, n, s, e = result
    done = False
    if special:
        pass
    elif sr is None:
        done, bits = _exact_bits(n, s, e, p, DETERMINISTIC, NO_RND, NO_SR)
    else:
        done, bits = _exact_bits(n, s, e, p, STOCHASTIC, element_bits(rand, seed, j, sr[0]), sr)
    if not done:
        bits = round_one(bits, p, VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR)
    out[i] = bits_as(np.int64(bits), np.float64)   # one rounding


# Two kernels per operation, each serving every FloatFormat and every rounding mode, both
#   kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
#   KERNELS[op]: the exact core.
#   ROUTE_KERNELS[op]: the float64 route (TwoSum; exact products; the quotient's exact
#   remainder) of add / sub / mul / div / fma in narrow formats (mul and fma: where float64
#   holds the products exactly, and for fma below 2**1023; stochastic rounding with p + k <=
#   51), which gives the same odd-jammed float64 as the exact core at a fraction of the cost,
#   and compiles without it.
# x, y, z: float32 or float64 arrays of equal dtype (ops with fewer operands ignore y, z; they
# are read from index start), out float32 or float64; p = kernel_params(fmt, True, mode,
# overflow, nan)[0]; rdn = 1 under toward_negative; sr None (deterministic) or sr_params(fmt,
# True, k, rule), the random integer of element i being element_bits(rand, seed, start + i, k)
# (rand None: the seeded generator). Every operand is checked to be a value of the format on
# the way (pc = kernel_params(fmt, True, toward_zero, "ieee", "ml_dtypes")[0]); bad[0] is set to
# 1 if one is not (its result is then meaningless); the route kernels set bad[1] = 1 where
# the route cannot serve (division at extreme exponents). The quotient kernels (div of any
# float64 operands) check none.
@inner_inline
def _fast_add(x, y, z, rdn):
    return odd_sum_bits(x, y, rdn)


@inner_inline
def _fast_sub(x, y, z, rdn):
    return odd_sum_bits(x, y ^ _SIGN, rdn)


@inner_inline
def _fast_div(x, y, z, rdn):
    return odd_quotient_bits(x, y, rdn)


@inner_inline
def _fast_fma(x, y, z, rdn):
    """x * y + z by TwoSum of the float64 product (exact, ``_fast_mul``; below 2**1023 in
    magnitude where ``numfmt.arithmetic.floating`` takes this route) and z."""
    return odd_sum_bits(_fast_mul(x, y, z, rdn), z, rdn)


@inner_inline
def _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, arity, fast_op):
    """The loop of every float64-route kernel: ``fast_op`` on the float64 bits of x[i],
    y[start + i], z[start + i] (the first ``arity`` of them checked to be values of the
    format; arity 0: none), rounded once into out[i] (stochastically where sr says: the
    odd-jammed float64 keeps the discarded fraction exact to 51 - p bits, enough for k random
    bits where p + k <= 51); bad[1] = 1 where fast_op left the route (its results are then
    meaningless: run the exact-core kernel)."""
    y, z = y[start:start + x.size], z[start:start + x.size]
    found = False
    left = False
    odd = empty(x.size, np.int64)             # separate passes: the checks and the rounding vectorize
    for i in range(x.size):
        odd[i] = fast_op(_bits(x[i]), _bits(y[i]), _bits(z[i]), rdn)
        left |= odd[i] == LEFT_ROUTE
    for i in range(x.size):
        found |= _not_values(_bits(x[i]), _bits(y[i]), _bits(z[i]), pc, arity)
    if sr is None:
        for i in range(x.size):
            out[i] = bits_as(np.int64(round_one(odd[i], p, VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR)), np.float64)
    else:
        for i in range(x.size):
            rnd = element_bits(rand, seed, start + i, sr[0])
            out[i] = bits_as(np.int64(round_one(odd[i], p, VALUE, DOM64, STOCHASTIC, rnd, sr)), np.float64)
    if found:
        bad[0] = 1
    if left:
        bad[1] = 1


@inner_inline
def _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, arity, exact_op):
    """The loop of every exact-core kernel: ``exact_op`` as ``_run_route`` runs its fast_op,
    rounded once by ``_store`` (stochastically where sr says)."""
    y, z = y[start:start + x.size], z[start:start + x.size]
    found = False
    for i in range(x.size):
        a, b, c = _bits(x[i]), _bits(y[i]), _bits(z[i])
        found |= _not_values(a, b, c, pc, arity)
        _store(out, i, exact_op(a, b, c, rdn), p, sr, rand, seed, start + i)
    if found:
        bad[0] = 1


@nb.njit(cache=True, nogil=True)
def add_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _add)


@nb.njit(cache=True, nogil=True)
def sub_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _sub)


@nb.njit(cache=True, nogil=True)
def mul_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _mul)


@nb.njit(cache=True, nogil=True)
def div_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _div)


@nb.njit(cache=True, nogil=True)
def sqrt_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 1, _sqrt)


@nb.njit(cache=True, nogil=True)
def fma_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 3, _fma)


@nb.njit(cache=True, nogil=True)
def quotient_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    """x / y for any float64 operands, not only values of the format (``numfmt.scaling``
    divides data by scales): the exact core's division takes any float64 significand."""
    _run_exact(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 0, _div)


@nb.njit(cache=True, nogil=True)
def add_route_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _fast_add)


@nb.njit(cache=True, nogil=True)
def sub_route_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _fast_sub)


@nb.njit(cache=True, nogil=True)
def mul_route_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _fast_mul)


@nb.njit(cache=True, nogil=True)
def div_route_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 2, _fast_div)


@nb.njit(cache=True, nogil=True)
def fma_route_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 3, _fast_fma)


@nb.njit(cache=True, nogil=True)
def quotient_route_kernel(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad):
    """The float64 route of ``quotient_kernel`` (``odd_quotient_bits`` takes the exact core's
    answer where x, y or x / y leave its range)."""
    _run_route(x, out, start, y, z, p, rdn, sr, rand, seed, pc, bad, 0, _fast_div)


KERNELS = {"add": add_kernel, "sub": sub_kernel, "mul": mul_kernel, "div": div_kernel,
           "sqrt": sqrt_kernel, "fma": fma_kernel, "quotient": quotient_kernel}
ROUTE_KERNELS = {"add": add_route_kernel, "sub": sub_route_kernel, "mul": mul_route_kernel,
                 "div": div_route_kernel, "fma": fma_route_kernel, "quotient": quotient_route_kernel}
