"""Long (Kulisch) accumulator: an exact fixed-point sum of many terms, on a 1-D int64 array.

The accumulator holds an integer A times 2**lsb_exp, in two's complement with N = 32 * L bits
(``new_longacc`` picks L = ceil(nbits / 32)); its value is A reduced into [-2**(N-1), 2**(N-1)),
so a sum that overflows N bits wraps, as the posit standard's quire does. The caller passes the
same ``lsb_exp`` to every function (it is not stored).

Layout of ``acc`` (int64, length L + 1):

- ``acc[0]``: how many additions are pending since the last carry propagation;
- ``acc[1 + i]``: limb i (little-endian) carrying the digit of weight 2**(32 * i).

Limbs are *lazy*: ``longacc_add`` adds its term's three 32-bit pieces to three limbs without
propagating carries, so a limb is a signed int64 whose digit may be out of [0, 2**32). Each
addition changes a limb by less than 2**32, so after normalization (digits in [0, 2**32)) limbs
stay far from int64 overflow for ``_PENDING_MAX`` = 2**30 additions; the next addition then
propagates the carries first. ``longacc_value`` propagates them too (in place; the value does
not change).
"""
import numpy as np
from .inner import inner_inline

LIMB_BITS = 32
_MASK = (1 << LIMB_BITS) - 1
_PENDING_MAX = 1 << 30


def new_longacc(lsb_exp: int, nbits: int) -> np.ndarray:
    """A zero accumulator of at least ``nbits`` bits (two's complement) holding integers times
    2**lsb_exp; it wraps at 32 * ceil(nbits / 32) bits.

    >>> acc = new_longacc(-10, 100)
    >>> acc.shape, acc.dtype.name
    ((5,), 'int64')
    """
    if not (isinstance(nbits, (int, np.integer)) and nbits >= 1):
        raise ValueError(f"nbits must be a positive integer; got {nbits!r}")
    if not isinstance(lsb_exp, (int, np.integer)):
        raise TypeError(f"lsb_exp must be an integer; got {type(lsb_exp).__name__}")
    return np.zeros(1 + -(-int(nbits) // LIMB_BITS), np.int64)


@inner_inline
def longacc_normalize(acc):
    """Propagate the pending carries: every digit into [0, 2**32), the carry out of the top
    limb dropped (wrap-around); the value does not change."""
    carry = np.int64(0)
    for i in range(1, acc.size):
        v = acc[i] + carry
        acc[i] = v & _MASK
        carry = v >> LIMB_BITS          # arithmetic shift: floor division by 2**32
    acc[0] = 0


@inner_inline
def longacc_add(acc, lsb_exp, neg, sig, exp):
    """acc += (-1)**neg * sig * 2**exp exactly, for 0 <= sig < 2**62 and exp >= lsb_exp.

    Bits at or above the accumulator's width wrap (they are multiples of 2**N). Raises
    ValueError for exp < lsb_exp (a term below the accumulator's resolution).
    """
    if exp < lsb_exp:
        raise ValueError("longacc_add: term below the accumulator's least significant bit")
    if acc[0] >= _PENDING_MAX:
        longacc_normalize(acc)
    acc[0] += 1
    offset = exp - lsb_exp
    i = 1 + offset // LIMB_BITS
    bit = offset % LIMB_BITS
    lo = (sig & ((np.int64(1) << (LIMB_BITS - bit)) - 1)) << bit      # < 2**32
    rest = sig >> (LIMB_BITS - bit)                                   # < 2**62
    mid = rest & _MASK
    hi = rest >> LIMB_BITS                                            # < 2**30
    s = np.int64(-1) if neg else np.int64(1)
    n = acc.size
    if i < n:
        acc[i] += s * lo
    if i + 1 < n:
        acc[i + 1] += s * mid
    if i + 2 < n:
        acc[i + 2] += s * hi


@inner_inline
def _negate(acc):
    """Two's complement negation of the normalized limbs, in place (wraps as the value does)."""
    carry = np.int64(1)
    for i in range(1, acc.size):
        v = (acc[i] ^ _MASK) + carry
        acc[i] = v & _MASK
        carry = v >> LIMB_BITS


@inner_inline
def _top62(acc, lsb_exp):
    """(sig, exp) of a nonnegative normalized accumulator in the 62-bit odd-jammed form."""
    t = acc.size - 1
    while t >= 1 and acc[t] == 0:
        t -= 1
    if t == 0:
        return np.int64(0), np.int64(lsb_exp)
    sig = acc[t]
    h = 0                                 # bit length of the top digit
    while (sig >> h) != 0:
        h += 1
    need = 62 - h                         # bits still to take below the top digit (>= 30)
    exp = np.int64(lsb_exp) + LIMB_BITS * (t - 1) + h - 62
    sticky = np.int64(0)
    j = t - 1
    while j >= 1:
        d = acc[j]
        if need >= LIMB_BITS:
            sig = (sig << LIMB_BITS) | d
            need -= LIMB_BITS
        elif need > 0:
            sig = (sig << need) | (d >> (LIMB_BITS - need))
            sticky |= d & ((np.int64(1) << (LIMB_BITS - need)) - 1)
            need = 0
        else:
            sticky |= d
        j -= 1
    sig <<= need                          # fewer than 62 bits held: exact, pad with zeros
    return sig | (1 if sticky != 0 else 0), exp


@inner_inline
def longacc_value(acc, lsb_exp):
    """The accumulated value as (neg, sig, exp) in the 62-bit odd-jammed form: sig == 0 for
    zero (neg = 0 then), else 2**61 <= sig < 2**62 and sig * 2**exp is the value rounded to
    62 bits toward zero with bit 0 set when anything nonzero was dropped.

    Normalizes ``acc`` in place (the value does not change).
    """
    longacc_normalize(acc)
    neg = np.int64(1) if (acc[acc.size - 1] >> (LIMB_BITS - 1)) & 1 else np.int64(0)
    if neg:
        _negate(acc)
    sig, exp = _top62(acc, lsb_exp)
    if neg:
        _negate(acc)
    return neg, sig, exp
