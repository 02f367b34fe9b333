"""Exact arithmetic on unpacked finite values, shared by every family (Numba, inline).

A value is a triple of int64 ``(neg, sig, exp)`` meaning ``(-1)**neg * sig * 2**exp``, sig >= 0.
Every operation returns its exact result in the *odd-jammed 62-bit form*: sig == 0 for an
exact zero (whose sign is the caller's business: it depends on the rounding mode), else
``2**61 <= sig < 2**62`` and ``sig * 2**exp`` is the exact result rounded to 62 significant
bits to odd (truncated toward zero, bit 0 set if anything nonzero was dropped). Rounding that
form once to p <= 59 bits in any deterministic mode gives the correctly rounded exact result
(binary64's p = 53 included); stochastic rounding with k random bits is exact for p + k <= 60.

Operand ranges (|exp| < 2**20 everywhere; the bounds are on the significands):

- ``add``: sa, sb < 2**62 (so the 62-bit form itself can be added).
- ``mul``: sa, sb < 2**63 (the product is formed in 128 bits, as two uint64 words; operands
  below 2**32 take one 64-bit multiplication).
- ``div``: sa < 2**62, 0 < sb < 2**62 (binary64's 53 bits: the quotient by ``div_steps``, in
  steps of 63 - bit_length(sb) bits).
- ``sqrt``: sa < 2**62.
- ``fma``: sa, sb < 2**63 with sa * sb < 2**124 (float64 significands: < 2**106) and
  sc < 2**62. The product is kept exact:
  below 2**62 (formats of up to 32 bits: float significands have at most 24 bits, posit32 at
  most 28) it is added by ``add``, else by ``add_wide`` in 128 bits.

No operation ever sees NaN, Inf or NaR: each family handles those before and after.
Numba has no 128-bit integers: wide values are pairs ``(hi, lo)`` of uint64 words (``mul_wide``,
``normalize_wide``, ``add_wide`` and the ``_w`` helpers; no word ever wraps around), and long division and the integer square root
work in 64-bit steps; the comments give the bounds that keep every signed intermediate below
2**63.
"""
import numpy as np

from ..lanes import lane, maximum, minimum, where
from .inner import inner_inline

SIG_BITS = 62
_NO_STICKY = np.int64(0)    # not a literal 0: that would compile normalize a second time
_TOP = np.int64(1) << 61          # the smallest sig of the 62-bit form


@inner_inline
def bit_length(x):
    """Number of bits of 0 <= x < 2**63 (0 for 0), by binary search (in the ops vocabulary of
    ``numfmt.lanes``: the backends evaluate it on tensors, where shifts by the lane width or
    more give 0)."""
    n = lane(0)
    for s in (32, 16, 8, 4, 2, 1):
        big = (x >> s) != 0
        x = where(big, x >> s, x)
        n = n + where(big, lane(s), lane(0))
    return n + x


@inner_inline
def _strip_zeros(sig, exp):
    """(sig, exp) with the trailing zero bits of sig > 0 moved into exp."""
    for s in (32, 16, 8, 4, 2, 1):
        zero = (sig & ((np.int64(1) << s) - 1)) == 0
        sig = (sig >> s) if zero else sig
        exp += s if zero else 0
    return sig, exp


@inner_inline
def normalize(neg, sig, exp, sticky):
    """(neg, sig, exp) plus a sticky flag to the 62-bit form; 0 <= sig < 2**63.

    ``sticky`` is 1 if a nonzero quantity below sig's last bit was dropped (then sig > 0).
    With sig >= 2**61 this is exact round-to-odd. A sig of fewer than 62 bits is shifted up
    and the sticky bit lands in bit 0, which is right only if the dropped quantity was below
    2**(exp - shift) as well: callers that drop bits keep at least 62 (every operation here does).
    """
    if sig == 0:
        return neg, np.int64(0), np.int64(0)
    n = bit_length(sig)
    if n > SIG_BITS:                 # 63 bits: drop one into the sticky bit
        sticky |= sig & 1
        return neg, (sig >> 1) | sticky, exp + 1
    s = SIG_BITS - n
    return neg, (sig << s) | sticky, exp - s


@inner_inline
def add(na, sa, ea, nb, sb, eb):
    """a + b (subtraction: flip nb); sa, sb < 2**62.

    Let A be the operand with the higher top bit. A is placed with its top bit at bit w
    (w = 61 for a magnitude addition, 62 for a subtraction) and B aligned to A's last bit.
    B's bits below that window are jammed into a sticky bit. Why this is exact:
    B loses bits only if its last bit lies below A's window, i.e. top(A) - last(B) > w + 1;
    as B has at most 62 bits, top(A) - top(B) >= w - 60 then, so the aligned B < 2**61.
    Addition: R = A + B < 2**62 + 2**61 and R >= A >= 2**61. Subtraction: A >= 2**62 and
    R = A - B - sticky >= 2**62 - 2**61 = 2**61. Either way R already has at least 62
    bits, so normalize only shifts right and the jam never reaches a kept bit: truncating
    A - B - f (0 < f < 1 unit) gives A - B - 1 plus the sticky bit, exactly round-to-odd.
    Without dropped bits everything is exact: |R| < 2**63.
    """
    if sa == 0:
        return normalize(nb, sb, eb, _NO_STICKY)
    if sb == 0:
        return normalize(na, sa, ea, _NO_STICKY)
    la = bit_length(sa)
    lb = bit_length(sb)
    if eb + lb > ea + la:            # A: the operand with the higher top bit
        na, sa, ea, la, nb, sb, eb, lb = nb, sb, eb, lb, na, sa, ea, la
    sub = na != nb
    w = 62 if sub else 61
    up = w + 1 - la                  # >= 0: A moves up to fill the window
    A = sa << up
    eA = ea - up
    d = eA - eb                      # B's shift right (negative: left)
    if d <= 0:
        B = sb << (-d)
        sticky = np.int64(0)
    else:
        dd = minimum(d, np.int64(63))
        B = sb >> dd
        sticky = np.int64((B << dd) != sb)
    if sub:
        R = A - B - sticky
        neg = na
        if R < 0:                    # only without dropped bits (top(B) == top(A))
            R = -R
            neg = 1 - na
        return normalize(neg, R, eA, sticky)
    return normalize(na, A + B, eA, sticky)


_U32 = np.uint64(0xFFFFFFFF)
_U0, _U1, _U32S, _U63 = np.uint64(0), np.uint64(1), np.uint64(32), np.uint64(63)


@inner_inline
def mul_wide(a, b):
    """(hi, lo): the uint64 words of the exact product of 0 <= a, b < 2**63 (hi < 2**62), from
    32-bit limbs; one multiplication when both are below 2**32."""
    ua, ub = np.uint64(a), np.uint64(b)
    a1, b1 = ua >> _U32S, ub >> _U32S
    if (a1 | b1) == _U0:
        return _U0, ua * ub
    a0, b0 = ua & _U32, ub & _U32
    p00, p01, p10 = a0 * b0, a0 * b1, a1 * b0
    mid = (p00 >> _U32S) + (p01 & _U32) + (p10 & _U32)            # < 3 * 2**32
    hi = a1 * b1 + (p01 >> _U32S) + (p10 >> _U32S) + (mid >> _U32S)
    return hi, (p00 & _U32) | (mid << _U32S)


@inner_inline
def _shl_w(hi, lo, s):
    """(hi, lo) << s for 0 <= s <= 127 (the caller keeps the result below 2**128)."""
    if s >= 64:
        return lo << np.uint64(s - 64), _U0
    if s == 0:
        return hi, lo
    return (hi << np.uint64(s)) | (lo >> np.uint64(64 - s)), lo << np.uint64(s)


@inner_inline
def _shr_w(hi, lo, s):
    """((hi, lo) >> s, whether a nonzero bit was dropped) for s >= 0 (all bits beyond 127)."""
    if s >= 128:
        return _U0, _U0, (hi | lo) != _U0
    if s > 64:
        return _U0, hi >> np.uint64(s - 64), (lo != _U0) | ((hi << np.uint64(128 - s)) != _U0)
    if s == 64:
        return _U0, hi, lo != _U0
    if s == 0:
        return hi, lo, False
    u = np.uint64(s)
    return hi >> u, (lo >> u) | (hi << np.uint64(64 - s)), (lo << np.uint64(64 - s)) != _U0


@inner_inline
def _bit_length_w(hi, lo):
    """Number of bits of (hi, lo) with hi < 2**63."""
    if hi != _U0:
        return 64 + bit_length(np.int64(hi))
    if lo >> _U63:
        return np.int64(64)
    return bit_length(np.int64(lo))


@inner_inline
def normalize_wide(neg, hi, lo, exp, sticky):
    """``normalize`` for a significand (hi, lo) < 2**127 (uint64 words)."""
    if hi == _U0 and (lo >> _U63) == _U0:
        return normalize(neg, np.int64(lo), exp, sticky)
    s = _bit_length_w(hi, lo) - SIG_BITS            # >= 2 bits to drop
    _, sig, dropped = _shr_w(hi, lo, s)
    return neg, np.int64(sig) | sticky | np.int64(dropped), exp + s


@inner_inline
def mul(na, sa, ea, nb, sb, eb):
    """a * b; sa, sb < 2**63 (the exact product in 128 bits, ``mul_wide``)."""
    hi, lo = mul_wide(sa, sb)
    return normalize_wide(na ^ nb, hi, lo, ea + eb, _NO_STICKY)


@inner_inline
def div_steps(r, s, n, step, steps):
    """(floor(r * 2**n / s), r * 2**n mod s) for 0 <= r < s, n >= 0 and a quotient below
    2**63, by long division ``step`` bits at a time (s < 2**(63 - step)), in the ops vocabulary
    of ``numfmt.lanes``: ``steps`` steps, at least ceil(n / step) for every element (a backend
    passes a bound), or 0 for exactly ceil(n / step) each (Numba: a per-element loop count)."""
    count = (n + step - 1) // step if steps == 0 else steps
    q = r * 0
    for _ in range(count):
        c = minimum(n, step)
        r = r << c
        q = (q << c) | (r // s)
        r = r % s
        n = n - c
    return q, r


@inner_inline
def div(na, sa, ea, nb, sb, eb):
    """a / b; sa < 2**62, 0 < sb < 2**62.

    q = floor(sa * 2**k / sb) with k = 62 - la + lb lies in [2**61, 2**63). First step:
    X = sa << (63 - la) in [2**62, 2**63) gives q1, r1 = divmod(X, sb); then the remaining
    lb - 1 bits by ``div_steps``, 63 - lb bits a step (r1 < sb < 2**lb), which is one step
    for sb < 2**32 (every format of up to 32 bits) and six for binary64's 53 bits.
    """
    neg = na ^ nb
    if sa == 0:
        return neg, np.int64(0), np.int64(0)
    la = bit_length(sa)
    lb = bit_length(sb)
    X = sa << (63 - la)
    q1 = X // sb
    r1 = X - q1 * sb
    k2 = lb - 1
    q2, r2 = div_steps(r1, sb, k2, 63 - lb, 0)
    q = (q1 << k2) | q2                  # q2 < 2**k2 (r1 < sb): no carry, no int64 overflow
    return normalize(neg, q, ea - eb - (62 - la + lb), np.int64(r2 != 0))


@inner_inline
def sqrt(sa, ea):
    """sqrt(sa * 2**ea) with neg = 0 (the sign is the caller's); sa < 2**62.

    N4 = sa * 2**t with t chosen so that N4 lies in [2**120, 2**122) and ea - t is even;
    r = isqrt(N4) in [2**60, 2**61) bit by bit (two bits of N4 per step; the remainder
    rem <= 2 r < 2**61 keeps rem << 2 below 2**63). sqrt(4 N4) = 2 sqrt(N4) is 2 r exactly
    when rem == 0, else it lies strictly between 2 r and 2 r + 2 and is not the integer
    2 r + 1 (whose square is odd): round-to-odd at 62 bits gives 2 r + 1 either way.
    """
    if sa == 0:
        return np.int64(0), np.int64(0), np.int64(0)
    la = bit_length(sa)
    t = 121 - la
    t += (ea - t) & 1
    r = np.int64(0)
    rem = np.int64(0)
    for i in range(60, -1, -1):
        sh = 2 * i - t               # where pair i of N4 sits in sa
        if sh >= 0:
            pair = (sa >> sh) & 3
        elif sh == -1:
            pair = (sa << 1) & 3
        else:
            pair = np.int64(0)
        rem = (rem << 2) | pair
        trial = (r << 2) | 1
        if rem >= trial:
            rem -= trial
            r = (r << 1) | 1
        else:
            r = r << 1
    return np.int64(0), (r << 1) | np.int64(rem != 0), (ea - t - 2) // 2


@inner_inline
def add_wide(na, ha, la_, ea, nb, hb, lb_, eb):
    """a + b for significands (ha, la_) and (hb, lb_) below 2**124 (uint64 word pairs): ``add``'s
    algorithm in 128 bits. A (the higher top bit) is placed with its top bit at bit w = 125
    (addition) or 126 (subtraction) and B aligned to A's last bit, its bits below jammed into
    a sticky bit. B loses bits only if its last bit lies below A's window, and then the aligned
    B < 2**123 (B has at most 124 bits): a sum stays below 2**127 and a difference is at least
    2**126 - 2**123 - 1 > 2**125, so ``normalize_wide`` drops at least 64 bits and the jam
    never reaches a kept bit. Without dropped bits everything is exact.
    """
    if (ha | la_) == _U0:
        return normalize_wide(nb, hb, lb_, eb, _NO_STICKY)
    if (hb | lb_) == _U0:
        return normalize_wide(na, ha, la_, ea, _NO_STICKY)
    lena = _bit_length_w(ha, la_)
    lenb = _bit_length_w(hb, lb_)
    if eb + lenb > ea + lena:
        na, ha, la_, ea, lena, nb, hb, lb_, eb, lenb = nb, hb, lb_, eb, lenb, na, ha, la_, ea, lena
    sub = na != nb
    up = (127 if sub else 126) - lena
    ha, la_ = _shl_w(ha, la_, up)
    eA = ea - up
    d = eA - eb
    if d <= 0:
        hb, lb_ = _shl_w(hb, lb_, -d)
        sticky = False
    else:
        hb, lb_, sticky = _shr_w(hb, lb_, d)
    # the low words' carry and borrow without wrapping around (the overflow tour runs this as
    # numpy scalars, which report every wrap)
    if not sub:
        carry = lb_ > ~la_
        lo = (lb_ - ~la_ - _U1) if carry else la_ + lb_
        return normalize_wide(na, ha + hb + np.uint64(carry), lo, eA, np.int64(sticky))
    neg = na
    if (hb > ha) | ((hb == ha) & (lb_ > la_)):      # only without dropped bits
        ha, la_, hb, lb_ = hb, lb_, ha, la_
        neg = 1 - na
    s = np.uint64(sticky)
    borrow = (lb_ > la_) | ((lb_ == la_) & sticky)
    if borrow:                                      # 2**64 - d - s with d = lb_ - la_
        d = lb_ - la_
        lo = (~d + (_U1 - s)) if d != _U0 else ~_U0
    else:
        lo = la_ - lb_ - s
    return normalize_wide(neg, ha - hb - np.uint64(borrow), lo, eA, np.int64(sticky))


@inner_inline
def fma(na, sa, ea, nb, sb, eb, nc, sc, ec):
    """a * b + c with one rounding; sa * sb < 2**124 (float64 significands: < 2**106), sc < 2**62.

    The product is exact: below 2**62 it is ``add``'s operand (whose jamming argument covers
    any exponent gap and any cancellation), else the 128-bit product goes to ``add_wide``.
    """
    hi, lo = mul_wide(sa, sb)
    return add_words(na ^ nb, hi, lo, ea + eb, nc, sc, ec)


@inner_inline
def add_words(na, ha, la_, ea, nb, sb, eb):
    """a + b for a significand (ha, la_) < 2**124 in uint64 words and sb < 2**62: ``add`` where
    a's significand is below 2**62, else ``add_wide``."""
    if ha == _U0 and (la_ >> np.uint64(62)) == _U0:
        return add(na, np.int64(la_), ea, nb, sb, eb)
    return add_wide(na, ha, la_, ea, nb, _U0, np.uint64(sb), eb)


@inner_inline
def unpack_float64(bits):
    """(neg, sig, exp) of a finite float64 bit pattern (int64), exactly; sig is odd (trailing
    zeros moved into exp, so a value with p significant bits has sig < 2**p) or 0 (exp 0)."""
    neg = np.int64(bits < 0)
    E = (bits >> 52) & 0x7FF
    frac = bits & ((np.int64(1) << 52) - 1)
    sig = frac | ((np.int64(1) << 52) if E != 0 else 0)
    exp = maximum(E, np.int64(1)) - 1075
    if sig == 0:
        return neg, np.int64(0), np.int64(0)
    sig, exp = _strip_zeros(sig, exp)
    return neg, sig, exp
