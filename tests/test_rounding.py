"""The one rounding decision (numfmt.rounding.rounds_away) against exact rational rounding, and
its branch-free form (rounding_bias) against it, in every mode."""
from fractions import Fraction
import math

import numba as nb
import numpy as np
import pytest
from hypothesis import given, strategies as st

from numfmt.rounding import (DETERMINISTIC_ROUNDINGS, NEAREST_UP, Rounding, mode_flags, rounding_bias,
                             rounding_mode, rounds_away)


@nb.njit(cache=True)
def _away(neg, lsb, rem, t, flags, rnd, sticky=0):
    return rounds_away(neg, lsb, rem, t, sticky, flags, rnd)


@nb.njit(cache=True)
def _biased(neg, a, t, flags):
    return (a + rounding_bias(neg, (a >> t) & 1, t, flags)) >> t


def _reference(neg: bool, kept: int, rem: int, t: int, sticky: int, mode: Rounding) -> int:
    """The rounded magnitude of kept + (rem + s) / 2**t under mode (s = 1/3 for a sticky bit,
    any 0 < s < 1 gives the same result), from the exact value."""
    v = kept + Fraction(3 * rem + sticky, 3 << t)
    lo, hi = math.floor(v), math.ceil(v)
    if lo == hi:
        return lo
    if mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY):
        if v - lo != hi - v:
            return lo if v - lo < hi - v else hi
        return hi if mode == Rounding.NEAREST_AWAY else (lo if lo % 2 == 0 else hi)
    if mode == Rounding.ODD:
        return lo if lo % 2 else hi
    up = {Rounding.TOWARD_ZERO: False, Rounding.TOWARD_POSITIVE: not neg,
          Rounding.TOWARD_NEGATIVE: neg}[mode]
    return hi if up else lo


@st.composite
def _cases(draw):
    t = draw(st.integers(0, 63))
    rem = draw(st.one_of(st.integers(0, (1 << t) - 1),
                         st.sampled_from([0, (1 << t) >> 1, max((1 << t) - 1, 0), ((1 << t) >> 1) + (t > 1)])))
    sticky = draw(st.integers(0, 1)) if t else 0
    return draw(st.booleans()), draw(st.integers(0, 1 << 20)), min(rem, (1 << t) - 1 if t else 0), t, sticky


@given(_cases(), st.sampled_from(DETERMINISTIC_ROUNDINGS))
def test_rounds_away_is_exact_rounding(case, name):
    neg, kept, rem, t, sticky = case
    mode = rounding_mode(name)
    expected = _reference(neg, kept, rem, t, sticky, mode)
    assert kept + _away(neg, kept & 1, rem, t, mode_flags(mode), 0, sticky) == expected


@given(_cases())
def test_nearest_up_ties_toward_positive(case):
    """requantize's half_up (NEAREST_UP): nearest, ties toward +inf."""
    neg, kept, rem, t, sticky = case
    v = kept + Fraction(3 * rem + sticky, 3 << t)
    expected = math.floor(v + Fraction(1, 2)) if not neg else math.ceil(v - Fraction(1, 2))
    assert kept + _away(neg, kept & 1, rem, t, mode_flags(NEAREST_UP), 0, sticky) == expected


@given(st.booleans(), st.integers(0, (1 << 61) - 1), st.integers(0, 60), st.sampled_from(DETERMINISTIC_ROUNDINGS))
def test_rounding_bias_is_rounds_away(neg, a, t, name):
    flags = mode_flags(rounding_mode(name))
    kept, rem = a >> t, a & ((1 << t) - 1)
    assert _biased(neg, a, t, flags) == kept + _away(neg, kept & 1, rem, t, flags, 0)


@given(st.booleans(), st.integers(0, (1 << 61) - 1), st.integers(0, 60))
def test_rounding_bias_of_nearest_up(neg, a, t):
    flags = mode_flags(NEAREST_UP)
    assert _biased(neg, a, t, flags) == (a >> t) + _away(neg, (a >> t) & 1, a & ((1 << t) - 1), t, flags, 0)


@pytest.mark.parametrize("rule", ["add", "nearest"])
@given(st.integers(1, 8), st.integers(0, 63), st.data())
def test_stochastic_away_counts_the_compared_fraction(rule, k, t, data):
    """Over all 2**k random numbers, the number that round away is d = floor or RNE(f * 2**k),
    f = (rem + s) / 2**t; a sticky bit (s > 0) only where it is exact: t > k."""
    rem = data.draw(st.integers(0, (1 << t) - 1)) if t else 0
    sticky = data.draw(st.integers(0, 1)) if t > k else 0
    f_scaled = Fraction(3 * rem + sticky, 3 << t) * (1 << k)
    d = math.floor(f_scaled) if rule == "add" else round(f_scaled)      # Python round: half to even
    flags = mode_flags(Rounding.STOCHASTIC, k, rule)
    count = sum(_away(False, 0, rem, t, flags, r, sticky) for r in range(1 << k))
    assert count == d
