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

The rounding decision itself is made in one place, ``rounds_away``: every family, cast and
operation reduces its exact result to (sign, last kept bit, discarded bits) and asks it whether
the magnitude moves one unit away from zero. A mode reaches the kernels as one ``ModeFlags``
record (``mode_flags``). A new rounding mode is a new flag here, its branch in ``rounds_away``,
and its name in ``ROUNDING_NAMES``.
"""
from __future__ import annotations

import difflib
import functools
from enum import IntEnum
from typing import NamedTuple

import numba as nb

from .lanes import lane, maximum, minimum, where


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
    """The Rounding for a name or alias, in any letter case (as format names).

    >>> rounding_mode("rtz"), rounding_mode("RNE")
    (<Rounding.TOWARD_ZERO: 2>, <Rounding.NEAREST_EVEN: 0>)
    """
    if isinstance(rounding, Rounding):
        return rounding
    try:
        return ROUNDING_NAMES[rounding.lower()]
    except (KeyError, TypeError, AttributeError):
        raise _choice_error("rounding", rounding, ROUNDING_NAMES) from None


def overflow_policy(overflow: str) -> str:
    """Check an overflow policy name."""
    if overflow not in OVERFLOW_POLICIES:
        raise _choice_error("overflow", overflow, OVERFLOW_POLICIES)
    return overflow


# the nan policies of each element family (block formats take the default only): "ml_dtypes" maps NaN
# to the zero of the other sign in float formats without NaN, "zero" maps it to 0 in integers; a posit's
# NaN is NaR whatever the policy, so posits take every family's names (one policy for every format)
NAN_POLICIES = {"float": ("raise", "ml_dtypes"), "fixed": ("raise", "zero"), "posit": ("raise", "ml_dtypes", "zero")}


def nan_policy(nan: str, family: str) -> str:
    """Check the nan policy of a cast into a format of this family (``NAN_POLICIES``), so that
    a misspelt one raises before a NaN ever comes.

    >>> nan_policy("zero", "fixed")
    'zero'
    >>> nan_policy("zeros", "fixed")
    Traceback (most recent call last):
    ValueError: nan must be one of 'raise', 'zero'; got 'zeros'; did you mean 'zero'?
    """
    if nan not in NAN_POLICIES[family]:
        raise _choice_error("nan", nan, NAN_POLICIES[family])
    return nan


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


class ModeFlags(NamedTuple):
    """A rounding mode as the kernels read it: plain integers, so one compiled kernel serves
    every mode.

    Under ``nearest`` a tie moves away from zero iff (``ties_even`` and the last kept bit is 1)
    or the sign's ``away_*`` flag is set; otherwise an inexact magnitude moves away iff the
    sign's ``away_*`` flag is set (or, under ``odd``, the last kept bit is 0).
    ``stochastic_bits`` is k, the number of random bits (0 for deterministic modes), and
    ``stochastic_nearest`` selects sr_rule="nearest" (see ``stochastic_away``).
    """

    nearest: int
    ties_even: int
    away_pos: int
    away_neg: int
    odd: int
    stochastic: int
    stochastic_bits: int
    stochastic_nearest: int


NEAREST_UP = 7   # nearest, ties toward +inf: requantize's "half_up" (TFLite); not a cast mode


@nb.njit
def flags_of(mode, sr_bits, sr_nearest):
    """The ``ModeFlags`` of a ``Rounding`` number (or ``NEAREST_UP``); usable inside kernels
    (and, rebound by ``numfmt.backends``, on Python ints: ``lane`` gives Python ints there)."""
    return ModeFlags(lane((mode == 0) | (mode == 1) | (mode == NEAREST_UP)), lane(mode == 0),
                     lane((mode == 1) | (mode == 3) | (mode == NEAREST_UP)),
                     lane((mode == 1) | (mode == 4)), lane(mode == 5), lane(mode == 6),
                     lane(sr_bits) * (mode == 6), lane(sr_nearest) * (mode == 6))


@functools.lru_cache(maxsize=None)
def mode_flags(mode: Rounding | int, sr_bits: int = 0, sr_rule: str = "add") -> ModeFlags:
    """The ``ModeFlags`` of a mode (sr_bits and sr_rule matter for stochastic rounding only).

    >>> mode_flags(Rounding.TOWARD_POSITIVE)
    ModeFlags(nearest=0, ties_even=0, away_pos=1, away_neg=0, odd=0, stochastic=0, stochastic_bits=0, stochastic_nearest=0)
    """
    mode = int(mode) if isinstance(mode, int) else int(rounding_mode(mode))
    return ModeFlags(*map(int, getattr(flags_of, "py_func", flags_of)(mode, sr_bits, int(sr_rule == "nearest"))))


@nb.njit(inline="always")
def stochastic_away(rem, t, sticky, k, rule_nearest, rnd):
    """1 if stochastic rounding moves the magnitude away from zero, else 0.

    The discarded fraction of a unit is f = (rem + s) / 2**t with 0 <= s < 1 and sticky =
    (s > 0) (0 <= rem < 2**63 and rem < 2**t; for t > 63 only rem < 2**53 occurs, where
    f * 2**k < 1/2). f is reduced to k bits, d = floor(f * 2**k) (sr_rule "add") or RNE(f *
    2**k) ("nearest"), and the magnitude moves away iff d + rnd >= 2**k for the k random bits
    rnd. Exact when sticky is 0 or t > k. With k >= t both rules give P(away) = f.
    """
    drop = minimum(maximum(t - k, 0), 62)     # bits of f beyond the k compared ones
    d = (rem >> drop) << maximum(k - t, 0)
    if rule_nearest:
        half = (lane(1) << drop) >> 1
        low = rem & ((lane(1) << drop) - 1)
        above = (low > half) | ((low == half) & (half > 0) & (sticky != 0))
        d = d + lane(above | ((low == half) & (half > 0) & (sticky == 0) & ((d & 1) != 0)))
    return (d + rnd) >> k


@nb.njit(inline="always")
def rounds_away(neg, lsb, rem, t, sticky, flags, rnd):
    """THE rounding decision: 1 if the magnitude moves one unit of the last kept place away from
    zero, else 0.

    neg: the sign; lsb: the last kept bit of the code (for "even" and "odd"); the discarded
    fraction of a unit is (rem + s) / 2**t with 0 <= rem < 2**t, t <= 63, 0 <= s < 1 and
    sticky = (s > 0) (t >= 1 where sticky can be 1; a caller with a guard bit g and a sticky
    bit passes rem = g, t = 1); flags: a ``ModeFlags``; rnd: the k random bits of stochastic
    rounding (see ``stochastic_away``).
    """
    if flags.stochastic:
        return stochastic_away(rem, t, sticky, flags.stochastic_bits, flags.stochastic_nearest, rnd)
    away = where(neg, flags.away_neg, flags.away_pos)
    if flags.nearest:
        half = where(t > 0, lane(1) << maximum(t - 1, 0), lane(0))   # 0: exact, never a tie
        tie = (rem == half) & (half > 0)
        tie_away = ((flags.ties_even & lsb) | away) != 0
        return lane((rem > half) | (tie & ((sticky != 0) | tie_away)))
    inexact = (rem != 0) | (sticky != 0)
    return lane(inexact) * ((1 - lsb) if flags.odd else away)


@nb.njit(inline="always")
def rounding_bias(neg, lsb, t, flags):
    """``rounds_away`` in branch-free form for the deterministic modes (the fast casts use it):
    for a magnitude a with t <= 62 discarded bits, ``(a + rounding_bias(neg, lsb, t, flags))
    >> t == (a >> t) + rounds_away(neg, lsb, a & (2**t - 1), t, 0, flags, 0)``, the carry
    walking into the next binade by itself. tests/test_rounding.py checks the identity.
    """
    full = lane(1) << t
    away = where(neg, flags.away_neg, flags.away_pos)
    if flags.nearest:
        return maximum((full >> 1) - 1 + ((flags.ties_even & lsb) | away), 0)   # 0 when nothing is discarded
    return (full - 1) * ((1 - lsb) if flags.odd else away)
