"""Rounding modes and overflow policies: the names users write, and their checks.

Rounding modes (short aliases in brackets):

- ``nearest_even`` (rne): nearest value, ties to the even code (IEEE 754 default).
- ``nearest_away`` (rna): nearest value, ties away from zero.
- ``toward_zero`` (rtz), ``toward_positive`` (rup), ``toward_negative`` (rdn): directed.
- ``odd`` (rto): round to odd (jamming): an inexact result takes the neighbour with an odd code.
- ``stochastic`` (sr): away from zero with a probability given by the discarded fraction.

Overflow policies:

- ``ieee``: what IEEE 754 and ml_dtypes do: Inf where the format has one, else NaN, else the
  largest finite value; directed modes and round-to-odd give the largest finite value where
  IEEE 754 says so (toward zero; away from the overflow direction); round-to-odd gives Inf
  in P3109 formats, whose standard says so (see ``overflows_to_infinity``).
- ``saturate``: clamp to the largest finite value, also for infinite inputs.
- ``raise``: raise OverflowError if any finite input overflows (or an Inf meets a format
  without Inf).
"""
from __future__ import annotations

import difflib
from enum import IntEnum


class Rounding(IntEnum):
    """Rounding modes; the numbers are those the kernels use."""

    NEAREST_EVEN = 0
    NEAREST_AWAY = 1
    TOWARD_ZERO = 2
    TOWARD_POSITIVE = 3
    TOWARD_NEGATIVE = 4
    ODD = 5
    STOCHASTIC = 6


ROUNDING_NAMES = {
    "nearest_even": Rounding.NEAREST_EVEN, "rne": Rounding.NEAREST_EVEN,
    "nearest_away": Rounding.NEAREST_AWAY, "rna": Rounding.NEAREST_AWAY,
    "toward_zero": Rounding.TOWARD_ZERO, "rtz": Rounding.TOWARD_ZERO,
    "toward_positive": Rounding.TOWARD_POSITIVE, "rup": Rounding.TOWARD_POSITIVE,
    "toward_negative": Rounding.TOWARD_NEGATIVE, "rdn": Rounding.TOWARD_NEGATIVE,
    "odd": Rounding.ODD, "rto": Rounding.ODD,
    "stochastic": Rounding.STOCHASTIC, "sr": Rounding.STOCHASTIC,
}

DETERMINISTIC_ROUNDINGS = ("nearest_even", "nearest_away", "toward_zero", "toward_positive",
                           "toward_negative", "odd")

OVERFLOW_POLICIES = ("ieee", "saturate", "raise")


def _choice_error(argument: str, value, choices) -> ValueError:
    close = difflib.get_close_matches(str(value), list(choices), n=3)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    return ValueError(f"{argument} must be one of {', '.join(map(repr, choices))}; got {value!r}{hint}")


def rounding_mode(rounding: str | Rounding) -> Rounding:
    """The Rounding for a name or alias.

    >>> rounding_mode("rtz")
    <Rounding.TOWARD_ZERO: 2>
    """
    if isinstance(rounding, Rounding):
        return rounding
    try:
        return ROUNDING_NAMES[rounding]
    except (KeyError, TypeError):
        raise _choice_error("rounding", rounding, ROUNDING_NAMES) from None


def overflow_policy(overflow: str) -> str:
    """Check an overflow policy name."""
    if overflow not in OVERFLOW_POLICIES:
        raise _choice_error("overflow", overflow, OVERFLOW_POLICIES)
    return overflow


def overflows_to_infinity(mode: Rounding, negative: bool, special: str = "ieee") -> bool:
    """Whether an overflow in this mode and direction goes past the largest finite value, in a
    format of this special-value convention (``FloatFormat.special``). Round-to-odd stops at
    the largest finite value (SoftFloat's convention), except in P3109 formats, where every
    mode but toward-zero and the directed mode toward the finite side overflows to Inf.

    >>> overflows_to_infinity(Rounding.ODD, False), overflows_to_infinity(Rounding.ODD, False, "p3109")
    (False, True)
    """
    if mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY, Rounding.STOCHASTIC):
        return True
    if mode == Rounding.ODD:
        return special == "p3109"
    if mode == Rounding.TOWARD_POSITIVE:
        return not negative
    if mode == Rounding.TOWARD_NEGATIVE:
        return negative
    return False
