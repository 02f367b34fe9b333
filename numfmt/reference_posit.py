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
"""
from __future__ import annotations

import math
from fractions import Fraction

from .formats.posit import PositFormat, posit_value
from .rounding import Rounding, rounding_mode

__all__ = ["decode_code", "neighbours", "round_code", "round_value"]


def decode_code(code: int, fmt: PositFormat) -> Fraction | None:
    """Exact value of a code; None for NaR."""
    return posit_value(code, fmt.nbits, fmt.es)


def neighbours(m: Fraction, fmt: PositFormat) -> tuple[int, int]:
    """Codes (lo, hi) of the posit values around the magnitude 0 <= m < maxpos: value(lo) <= m
    < value(hi), hi = lo + 1 (lo = 0 below minpos)."""
    lo, hi = 0, fmt.nar_code - 1                  # value(lo) <= m < value(hi) holds
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if decode_code(mid, fmt) <= m:
            lo = mid
        else:
            hi = mid
    return lo, hi


def _stochastic_up(f: Fraction, sr_bits: int, sr_rule: str, r: int) -> bool:
    scaled = f * (1 << sr_bits)
    d = math.floor(scaled) if sr_rule == "add" else round(scaled)   # round(): ties to even
    return d + r >= 1 << sr_bits


def round_code(x, fmt: PositFormat, rounding="nearest_even", *, random_bits: int | None = None,
               sr_bits: int = 32, sr_rule: str = "add") -> int:
    """The code of x (a float or a Fraction) rounded to fmt; NaN and ±Inf give NaR.
    ``rounding="stochastic"`` needs the element's ``random_bits`` r in [0, 2**sr_bits)."""
    mode = rounding_mode(rounding)
    if isinstance(x, float) and not math.isfinite(x):
        return fmt.nar_code
    x = Fraction(x)
    if x == 0:
        return 0
    m, neg = abs(x), x < 0
    maxcode = fmt.nar_code - 1
    if m >= decode_code(maxcode, fmt):
        mag = maxcode
    else:
        lo, hi = neighbours(m, fmt)
        vlo, vhi = decode_code(lo, fmt), decode_code(hi, fmt)
        away = {Rounding.TOWARD_POSITIVE: not neg, Rounding.TOWARD_NEGATIVE: neg}.get(mode, False)
        if vlo == m:
            mag = lo
        elif mode == Rounding.STOCHASTIC:
            if random_bits is None:
                raise ValueError("rounding='stochastic' needs random_bits")
            mag = hi if _stochastic_up((m - vlo) / (vhi - vlo), sr_bits, sr_rule, random_bits) else lo
        elif mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY):
            if lo == 0:                           # below minpos: minpos, never 0
                mag = hi
            else:
                tie = posit_value((lo << 1) | 1, fmt.nbits + 1, fmt.es)   # the (n+1)-bit lo·1
                if m != tie:
                    mag = lo if m < tie else hi
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
