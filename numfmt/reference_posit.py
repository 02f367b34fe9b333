"""A slow, exact reference of posit rounding, written to read like the Posit Standard 2022.

Python integers and ``fractions.Fraction`` only; the Numba kernels (``numfmt.round`` /
``encode`` with a posit format, ``numfmt.add`` ...) are tested against it bit for bit.
Values are read from the bit strings (``numfmt.formats.posit.posit_value``); neighbours are
found by bisection over the codes, whose values increase with the code; the tie point between
neighbours lo and lo + 1 is the value of the (n+1)-bit code lo·1 (the standard's rule). The
modes are defined in ``numfmt.kernels.posit``.

Example:
    >>> from numfmt.formats.registry import format
    >>> p8 = format("posit8")
    >>> [decode_code(round_code(x, p8), p8) for x in (1.0625, 1.0626, 1e-30, 1e30)]
    [Fraction(1, 1), Fraction(9, 8), Fraction(1, 16777216), Fraction(16777216, 1)]
    >>> round_code(1e-30, p8, "toward_zero"), round_code(float("nan"), p8)
    (0, 128)
    >>> decode_code(round_code(Sqrt(2), p8), p8)     # sqrt(2) = 1.414...: between 1.375 and 1.5
    Fraction(11, 8)
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Callable

from .formats.posit import PositFormat, posit_value
from .rounding import Rounding, rounding_mode

__all__ = ["Sqrt", "decode_code", "neighbours", "round_code", "round_value"]


def decode_code(code: int, fmt: PositFormat) -> Fraction | None:
    """Exact value of a code; None for NaR."""
    return posit_value(code, fmt.nbits, fmt.es)


@functools.lru_cache(maxsize=64)
def _value_table(fmt: PositFormat) -> list[Fraction] | None:
    """Values of codes 0 .. maxcode (increasing) for formats of at most 16 bits, else None."""
    if fmt.nbits > 16:
        return None
    return [decode_code(c, fmt) for c in range(fmt.nar_code)]


def _value(code: int, fmt: PositFormat) -> Fraction:
    table = _value_table(fmt)
    return table[code] if table is not None else decode_code(code, fmt)


def _compare(m) -> Callable[[Fraction], int]:
    """cmp(q) = sign(m - q) for a magnitude m: a Fraction, or ``Sqrt(y)`` for sqrt(y)."""
    if isinstance(m, Sqrt):
        return lambda q: (m.y > q * q) - (m.y < q * q)
    return lambda q: (m > q) - (m < q)


class Sqrt:
    """The (usually irrational) magnitude sqrt(y) of a Fraction y >= 0, for ``round_code``."""

    def __init__(self, y):
        self.y = Fraction(y)


def neighbours(m, fmt: PositFormat) -> tuple[int, int]:
    """Codes (lo, hi) of the posit values around the magnitude 0 <= m < maxpos (a Fraction or a
    ``Sqrt``): value(lo) <= m < value(hi), hi = lo + 1 (lo = 0 below minpos)."""
    cmp = _compare(m)
    lo, hi = 0, fmt.nar_code - 1                  # value(lo) <= m < value(hi) holds
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cmp(_value(mid, fmt)) >= 0:
            lo = mid
        else:
            hi = mid
    return lo, hi


def _stochastic_up(cmp, vlo: Fraction, vhi: Fraction, sr_bits: int, sr_rule: str, r: int) -> bool:
    """d = floor (or RNE) of f * 2**k with f = (m - vlo) / (vhi - vlo), found by bisection on
    the comparisons m >= vlo + d * step; hi iff d + r >= 2**k."""
    step = (vhi - vlo) / (1 << sr_bits)
    lo, hi = 0, 1 << sr_bits                      # m >= vlo + lo * step, m < vlo + hi * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cmp(vlo + mid * step) >= 0:
            lo = mid
        else:
            hi = mid
    d = lo
    if sr_rule == "nearest":
        half = cmp(vlo + (d + Fraction(1, 2)) * step)
        d += 1 if half > 0 or (half == 0 and d % 2) else 0
    return d + r >= 1 << sr_bits


def round_code(x, fmt: PositFormat, rounding="nearest_even", *, random_bits: int | None = None,
               sr_bits: int = 32, sr_rule: str = "add") -> int:
    """The code of x rounded to fmt; NaN and ±Inf give NaR. x is a float, a Fraction, or
    ``Sqrt(y)`` (the positive square root of y, rounded exactly although irrational).
    ``rounding="stochastic"`` needs the element's ``random_bits`` r in [0, 2**sr_bits)."""
    mode = rounding_mode(rounding)
    if isinstance(x, float) and not math.isfinite(x):
        return fmt.nar_code
    if isinstance(x, Sqrt):
        m, neg = x, False
        if x.y == 0:
            return 0
    else:
        x = Fraction(x)
        if x == 0:
            return 0
        m, neg = abs(x), x < 0
    cmp = _compare(m)
    maxcode = fmt.nar_code - 1
    if cmp(_value(maxcode, fmt)) >= 0:
        mag = maxcode
    else:
        lo, hi = neighbours(m, fmt)
        vlo, vhi = _value(lo, fmt), _value(hi, fmt)
        away = {Rounding.TOWARD_POSITIVE: not neg, Rounding.TOWARD_NEGATIVE: neg}.get(mode, False)
        if cmp(vlo) == 0:
            mag = lo
        elif mode == Rounding.STOCHASTIC:
            if random_bits is None:
                raise ValueError("rounding='stochastic' needs random_bits")
            mag = hi if _stochastic_up(cmp, vlo, vhi, sr_bits, sr_rule, random_bits) else lo
        elif mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY):
            if lo == 0:                           # below minpos: minpos, never 0
                mag = hi
            else:
                side = cmp(posit_value((lo << 1) | 1, fmt.nbits + 1, fmt.es))   # vs the (n+1)-bit lo·1
                if side != 0:
                    mag = lo if side < 0 else hi
                else:
                    mag = hi if mode == Rounding.NEAREST_AWAY else (lo if lo % 2 == 0 else hi)
        elif mode == Rounding.ODD:
            mag = lo if lo % 2 else hi
        else:
            mag = hi if away else lo
    return (-mag) % (1 << fmt.nbits) if neg else mag


def round_value(x, fmt: PositFormat, rounding="nearest_even", **stochastic) -> float:
    """x rounded to fmt, as a float (NaN for NaR)."""
    value = decode_code(round_code(x, fmt, rounding, **stochastic), fmt)
    return math.nan if value is None else float(value)
