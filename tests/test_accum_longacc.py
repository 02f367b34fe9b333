"""The long accumulator (numfmt.kernels.longacc) against Python integers."""
from __future__ import annotations

import numba as nb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from numfmt.kernels.longacc import LIMB_BITS, longacc_add, longacc_value, new_longacc

SETTINGS = dict(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@nb.njit  # not cached: numba would not see changes to the inlined longacc functions
def _accumulate(acc, lsb_exp, neg, sig, exp, value_every):
    """Add the terms in order; every ``value_every`` terms read the value (which normalizes)
    and keep it, to check that reading does not disturb the sum. Returns the final value."""
    for i in range(sig.size):
        longacc_add(acc, lsb_exp, neg[i], sig[i], exp[i])
        if value_every > 0 and (i + 1) % value_every == 0:
            longacc_value(acc, lsb_exp)
    return longacc_value(acc, lsb_exp)


def _odd62(total: int) -> tuple[int, int, int]:
    """(neg, sig, exp) of the integer total in the 62-bit odd-jammed form, exp relative to 0."""
    if total == 0:
        return 0, 0, 0
    neg, a = int(total < 0), abs(total)
    shift = a.bit_length() - 62
    if shift <= 0:
        return neg, a << -shift, shift
    sig = a >> shift
    return neg, sig | int(sig << shift != a), shift


def _wrap(total: int, nbits: int) -> int:
    """total reduced into [-2**(nbits-1), 2**(nbits-1))."""
    m = 1 << nbits
    return (total + (m >> 1)) % m - (m >> 1)


def _check(terms, lsb_exp: int, nbits: int, value_every: int = 0):
    neg = np.array([t[0] for t in terms], np.int64)
    sig = np.array([t[1] for t in terms], np.int64)
    exp = np.array([t[2] for t in terms], np.int64)
    acc = new_longacc(lsb_exp, nbits)
    got = _accumulate(acc, lsb_exp, neg, sig, exp, value_every)
    width = LIMB_BITS * (acc.size - 1)
    total = _wrap(sum((-1) ** n * s << (e - lsb_exp) for n, s, e in terms), width)
    n, s, e = _odd62(total)
    expected = (n, s, e + lsb_exp) if s else (0, 0)
    assert (got[:2] if not got[1] else got) == expected, (terms, lsb_exp, nbits)
    if s:
        assert (1 << 61) <= got[1] < (1 << 62)


term = st.tuples(st.integers(0, 1), st.integers(0, (1 << 62) - 1), st.integers(0, 600))


@settings(**SETTINGS)
@given(st.lists(term, min_size=1, max_size=40), st.integers(-700, 700), st.integers(0, 3))
def test_random_terms(terms, lsb_exp, value_every):
    terms = [(n, s, e + lsb_exp) for n, s, e in terms]
    _check(terms, lsb_exp, 700, value_every)


@settings(**SETTINGS)
@given(st.lists(term, min_size=1, max_size=20), st.integers(-300, 300))
def test_massive_cancellation(terms, lsb_exp):
    """Every term added and then subtracted, in another order, plus a small leftover term
    (or none: the sum is exactly zero)."""
    terms = [(n, s, e + lsb_exp) for n, s, e in terms]
    back = [(1 - n, s, e) for n, s, e in reversed(terms)]
    _check(terms + back, lsb_exp, 700)
    _check(terms + [(0, 1, lsb_exp + 3)] + back, lsb_exp, 700)
    _check(terms + [(1, 3, lsb_exp)] + back, lsb_exp, 700)


@settings(**SETTINGS)
@given(st.lists(term, min_size=1, max_size=30), st.sampled_from([64, 128, 256, 512]))
def test_wraps_like_twos_complement(terms, nbits):
    """Sums beyond the width wrap modulo 2**width (the quire's documented behaviour)."""
    _check(terms, 0, nbits)


@settings(**SETTINGS)
@given(st.integers(1, (1 << 62) - 1), st.integers(0, 61), st.integers(-50, 50))
def test_odd_jam(sig, low_bits, lsb_exp):
    """A value with more than 62 bits: the 62 top bits, bit 0 set iff a lower bit is set."""
    top = (1 << 61) | sig
    low = sig & ((1 << low_bits) - 1)
    terms = [(0, top, lsb_exp + 63), (0, low, lsb_exp)]
    _check(terms, lsb_exp, 256)


@nb.njit  # not cached: numba would not see changes to the inlined longacc functions
def _repeat(acc, lsb_exp, neg, sig, exp, count):
    for _ in range(count):
        longacc_add(acc, lsb_exp, neg, sig, exp)
    return longacc_value(acc, lsb_exp)


@pytest.mark.slow
def test_more_additions_than_lazy_limbs_hold():
    """2**31 + 3 additions of the largest term: int64 limbs would overflow after about 2**31
    lazy additions, so this fails unless carries are propagated in between."""
    count = (1 << 31) + 3
    for neg in (0, 1):
        got = _repeat(new_longacc(0, 256), 0, neg, (1 << 62) - 1, 40, count)
        n, s, e = _odd62((-1) ** neg * count * ((1 << 62) - 1) << 40)
        assert got == (n, s, e)


def test_many_terms():
    n = 5000
    rng = np.random.default_rng(0)
    sig = rng.integers(1 << 61, 1 << 62, n)
    terms = [(int(i % 2), int(s), int(e)) for i, (s, e) in enumerate(zip(sig, rng.integers(0, 8, n)))]
    _check(terms, 0, 128)
    big = [(0, (1 << 62) - 1, 40)] * 20000        # every limb near its maximum for a long run
    _check(big, 0, 256)


def test_exact_limits_and_zero():
    _check([(0, 0, 5)], 0, 64)
    _check([(0, 1, 0)], 0, 64)
    _check([(1, 1, 0)], 0, 64)                      # -1: all ones in two's complement
    _check([(1, 1, 63)], 0, 64)                     # -2**63: the most negative value
    _check([(0, (1 << 62) - 1, 0), (0, (1 << 62) - 1, 0)], 0, 64)


def test_term_below_resolution_raises():
    acc = new_longacc(0, 64)
    one = np.ones(1, np.int64)
    with pytest.raises(ValueError, match="below the accumulator"):
        _accumulate(acc, 0, one * 0, one, one * -1, 0)
    with pytest.raises(ValueError, match="nbits"):
        new_longacc(0, 0)
