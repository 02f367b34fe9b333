"""Exact arithmetic on unpacked finite values, shared by every family (Numba, inline).

A value is a triple of int64 ``(neg, sig, exp)`` meaning ``(-1)**neg * sig * 2**exp``, sig >= 0.
Every operation returns its exact result in the *odd-jammed 62-bit form*: sig == 0 for an
exact zero (whose sign is the caller's business: it depends on the rounding mode), else
``2**61 <= sig < 2**62`` and ``sig * 2**exp`` is the exact result rounded to 62 significant
bits to odd (truncated toward zero, bit 0 set if anything nonzero was dropped). Rounding that
form once to p <= 59 bits in any deterministic mode gives the correctly rounded exact result;
stochastic rounding with k random bits is exact for p + k <= 60.

Operand ranges (|exp| < 2**20 everywhere; the bounds are on the significands):

- ``add``: sa, sb < 2**62 (so the 62-bit form itself, and products, can be added).
- ``mul``: sa * sb < 2**64 (e.g. both < 2**32).
- ``div``: sa < 2**62, 0 < sb < 2**53 (a float64 significand; one step of long division
  below 2**32).
- ``sqrt``: sa < 2**62.
- ``fma``: sa * sb < 2**62 (e.g. both < 2**31, which every format of up to 32 bits satisfies:
  float significands have at most 24 bits, posit32 at most 28) and sc < 2**62.

No operation ever sees NaN, Inf or NaR: each family handles those before and after.
Long division and the integer square root work in two 64-bit steps and bit by bit (Numba has
no 128-bit integers); the comments give the bounds that keep every intermediate below 2**63.
"""
import numba as nb
import numpy as np

SIG_BITS = 62
_TOP = np.int64(1) << 61          # the smallest sig of the 62-bit form


@nb.njit(forceinline=True)
def bit_length(x):
    """Number of bits of 0 <= x < 2**63 (0 for 0), by binary search."""
    n = np.int64(0)
    for s in (32, 16, 8, 4, 2, 1):
        big = (x >> s) != 0
        x = (x >> s) if big else x
        n += s if big else 0
    return n + x


@nb.njit(forceinline=True)
def _strip_zeros(sig, exp):
    """(sig, exp) with the trailing zero bits of sig > 0 moved into exp."""
    for s in (32, 16, 8, 4, 2, 1):
        zero = (sig & ((np.int64(1) << s) - 1)) == 0
        sig = (sig >> s) if zero else sig
        exp += s if zero else 0
    return sig, exp


@nb.njit(forceinline=True)
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


@nb.njit(forceinline=True)
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
        return normalize(nb, sb, eb, 0)
    if sb == 0:
        return normalize(na, sa, ea, 0)
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
        dd = min(d, 63)
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


@nb.njit(forceinline=True)
def mul(na, sa, ea, nb, sb, eb):
    """a * b; sa * sb < 2**64 (formed in uint64: signed overflow is undefined in compiled code)."""
    p = np.uint64(sa) * np.uint64(sb)
    neg = na ^ nb
    if p >> np.uint64(63):           # the product has 64 bits: halve it, keep the dropped bit
        return normalize(neg, np.int64(p >> np.uint64(1)), ea + eb + 1, np.int64(p & np.uint64(1)))
    return normalize(neg, np.int64(p), ea + eb, 0)


@nb.njit(forceinline=True)
def div_bits(r, s, n, step):
    """(floor(r * 2**n / s), r * 2**n mod s) for 0 <= r < s, n >= 0 and a quotient below
    2**63, by long division ``step`` bits at a time (s < 2**(63 - step) keeps r << step below
    2**63); stops early once the remainder is 0."""
    q = np.int64(0)
    while n > 0 and r != 0:
        c = min(n, step)
        r <<= c
        q = (q << c) | (r // s)
        r %= s
        n -= c
    return q << min(n, 62), r                    # r == 0 left n zero bits (q < 2**63)


@nb.njit(forceinline=True)
def div(na, sa, ea, nb, sb, eb):
    """a / b; sa < 2**62, 0 < sb < 2**53.

    q = floor(sa * 2**k / sb) with k = 62 - la + lb lies in [2**61, 2**63). First step:
    X = sa << (63 - la) in [2**62, 2**63) gives q1, r1 = divmod(X, sb); then the remaining
    lb - 1 bits by ``div_bits``, 63 - lb bits a step (r1 < sb < 2**lb), which is one step
    for sb < 2**32 (every format's significand) and at most six for a float64 significand.
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
    q2, r2 = div_bits(r1, sb, k2, 63 - lb)
    q = (q1 << k2) | q2                  # q2 < 2**k2 (r1 < sb): no carry, no int64 overflow
    return normalize(neg, q, ea - eb - (62 - la + lb), np.int64(r2 != 0))


@nb.njit(forceinline=True)
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


@nb.njit(forceinline=True)
def fma(na, sa, ea, nb, sb, eb, nc, sc, ec):
    """a * b + c with one rounding; sa * sb < 2**62, sc < 2**62.

    The product is exact (at most 62 bits), so this is ``add`` of two operands of at most
    62 bits, whose jamming argument covers any exponent gap and any cancellation.
    """
    # uint64: operands that are not values of the format (their result is discarded) may
    # exceed the bound, and signed overflow is undefined in compiled code
    return add(na ^ nb, np.int64(np.uint64(sa) * np.uint64(sb)), ea + eb, nc, sc, ec)


@nb.njit(forceinline=True)
def unpack_float64(bits):
    """(neg, sig, exp) of a finite float64 bit pattern (int64), exactly; sig is odd (trailing
    zeros moved into exp, so a value with p significant bits has sig < 2**p) or 0 (exp 0)."""
    neg = np.int64(bits < 0)
    E = (bits >> 52) & 0x7FF
    frac = bits & ((np.int64(1) << 52) - 1)
    sig = frac | ((np.int64(1) << 52) if E != 0 else 0)
    exp = max(E, 1) - 1075
    if sig == 0:
        return neg, np.int64(0), np.int64(0)
    sig, exp = _strip_zeros(sig, exp)
    return neg, sig, exp
