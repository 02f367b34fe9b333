"""The one rounding decision (numfmt.rounding.rounds_away) against exact rational rounding, and
its branch-free form (rounding_bias) against it, in every mode."""
from fractions import Fraction
import math

import numba as nb
import numpy as np
import pytest
from hypothesis import given, strategies as st

from numfmt.rounding import (DETERMINISTIC_ROUNDINGS, Rounding, mode_flags, rounding_bias, rounds_away,
                             rounding_mode, stochastic_away)


@nb.njit(cache=True)
def _away(neg, lsb, rem, t, flags, rnd):
    return rounds_away(neg, lsb, rem, t, flags, rnd)


@nb.njit(cache=True)
def _biased(neg, a, t, flags):
    return (a + rounding_bias(neg, (a >> t) & 1, t, flags)) >> t


def _reference(neg: bool, kept: int, rem: int, t: int, mode: Rounding) -> int:
    """The rounded magnitude of kept + rem / 2**t under mode, from the exact value."""
    v = kept + Fraction(rem, 1 << t)
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
    return draw(st.booleans()), draw(st.integers(0, 1 << 20)), min(rem, (1 << t) - 1 if t else 0), t


@given(_cases(), st.sampled_from(DETERMINISTIC_ROUNDINGS))
def test_rounds_away_is_exact_rounding(case, name):
    neg, kept, rem, t = case
    mode = rounding_mode(name)
    expected = _reference(neg, kept, rem, t, mode)
    assert kept + _away(neg, kept & 1, rem, t, mode_flags(mode), 0) == expected


@given(st.booleans(), st.integers(0, (1 << 61) - 1), st.integers(0, 60), st.sampled_from(DETERMINISTIC_ROUNDINGS))
def test_rounding_bias_is_rounds_away(neg, a, t, name):
    flags = mode_flags(rounding_mode(name))
    kept, rem = a >> t, a & ((1 << t) - 1)
    assert _biased(neg, a, t, flags) == kept + _away(neg, kept & 1, rem, t, flags, 0)


@pytest.mark.parametrize("rule", ["add", "nearest"])
@given(st.integers(1, 8), st.integers(0, 40), st.data())
def test_stochastic_away_counts_the_compared_fraction(rule, k, t, data):
    """Over all 2**k random numbers, the number that round away is d = floor or RNE(f * 2**k)."""
    rem = data.draw(st.integers(0, (1 << t) - 1)) if t else 0
    f_scaled = Fraction(rem, 1 << t) * (1 << k)
    d = math.floor(f_scaled) if rule == "add" else round(f_scaled)      # Python round: half to even
    flags = mode_flags(Rounding.STOCHASTIC, k, rule)
    count = sum(_away(False, 0, rem, t, flags, r) for r in range(1 << k))
    assert count == d
    assert count == sum(stochastic_away(rem, t, k, rule == "nearest", r) for r in range(1 << k))
