"""numfmt.kernels.exact against Python integers and fractions: the result must be the exact
value rounded to 62 significant bits to odd (sig == 0 for an exact zero), bit for bit.

Operands are drawn by hypothesis with significands below 2**32 (and up to 2**62 or 2**63 where
the operation allows it: binary64's 53-bit significands take the 128-bit paths of mul, div and
fma) and exponents in a wide range, with strategies aimed at the hard cases:
cancellation (equal tops, nearly equal values), exact zeros, huge exponent gaps, division
remainders, square roots of non-squares and of exact squares.
"""
from fractions import Fraction
from math import isqrt

import numba as nb
import numpy as np
from hypothesis import example, given, settings, strategies as st

from numfmt.kernels import exact


@nb.njit
def _add(na, sa, ea, nb_, sb, eb):
    return exact.add(na, sa, ea, nb_, sb, eb)


@nb.njit
def _mul(na, sa, ea, nb_, sb, eb):
    return exact.mul(na, sa, ea, nb_, sb, eb)


@nb.njit
def _div(na, sa, ea, nb_, sb, eb):
    return exact.div(na, sa, ea, nb_, sb, eb)


@nb.njit
def _sqrt(sa, ea):
    return exact.sqrt(sa, ea)


@nb.njit
def _fma(na, sa, ea, nb_, sb, eb, nc, sc, ec):
    return exact.fma(na, sa, ea, nb_, sb, eb, nc, sc, ec)


@nb.njit
def _normalize(neg, sig, exp, sticky):
    return exact.normalize(neg, sig, exp, sticky)


@nb.njit
def _unpack(bits):
    return exact.unpack_float64(bits)


def odd62(value: Fraction) -> tuple[int, int]:
    """(sig, exp) of |value| rounded to 62 bits to odd; (0, 0) for zero."""
    v = abs(value)
    if v == 0:
        return 0, 0
    exp = v.numerator.bit_length() - v.denominator.bit_length() - 62
    while v >= Fraction(2) ** (exp + 62):
        exp += 1
    while v < Fraction(2) ** (exp + 61):
        exp -= 1
    scaled = v / Fraction(2) ** exp
    sig = scaled.numerator // scaled.denominator
    if sig != scaled:
        sig |= 1
    assert 1 << 61 <= sig < 1 << 62
    return sig, exp


def val(neg, sig, exp) -> Fraction:
    return (-1) ** neg * sig * Fraction(2) ** exp


def check(got, value: Fraction, sign_matters=True) -> None:
    neg, sig, exp = (int(v) for v in got)
    want = odd62(value)
    assert (sig, exp if sig else 0) == want, (got, value, want)
    if sig and sign_matters:
        assert neg == int(value < 0), (got, value)


EXP = st.integers(-(1 << 19), (1 << 19) - 1)
SMALL_EXP = st.integers(-80, 80)
SIG32 = st.integers(0, (1 << 32) - 1)
SIG62 = st.integers(0, (1 << 62) - 1)
SIGN = st.integers(0, 1)


def _sig(draw, limit_bits):
    """A significand < 2**limit_bits, often with a special shape (power of two, all ones)."""
    kind = draw(st.integers(0, 3))
    n = draw(st.integers(1, limit_bits))
    if kind == 0:
        return 1 << (n - 1)
    if kind == 1:
        return (1 << n) - 1
    return draw(st.integers(0, (1 << limit_bits) - 1))


@st.composite
def operand(draw, limit_bits=32, exps=EXP):
    return draw(SIGN), _sig(draw, limit_bits), draw(exps)


@st.composite
def close_pair(draw, limit_bits=32):
    """Two operands of nearly equal magnitude and (often) opposite signs: cancellation."""
    na, sa, ea = draw(operand(limit_bits, SMALL_EXP))
    shift = draw(st.integers(-3, 3))
    delta = draw(st.integers(-4, 4))
    sb = max((sa << shift if shift >= 0 else sa >> -shift) + delta, 0)
    sb = min(sb, (1 << limit_bits) - 1)
    return (na, sa, ea), (1 - na if draw(st.booleans()) else na, sb, ea - shift)


@settings(max_examples=700, deadline=None)
@given(st.one_of(st.tuples(operand(), operand()), st.tuples(operand(32, SMALL_EXP), operand(32, SMALL_EXP)),
                 close_pair(), st.tuples(operand(62, SMALL_EXP), operand(62, SMALL_EXP)), close_pair(62)))
@example(((0, 1, 0), (1, 1, 0)))                         # x - x
@example(((0, 1 << 31, 100), (1, 1, -1000)))               # huge gap, borrow
@example(((0, 1 << 61, 0), (1, 1, -200)))                  # 2**61 minus a tiny amount
@example(((0, 3, 0), (1, (1 << 62) - 1, -62)))
def test_add(pair):
    (na, sa, ea), (nb_, sb, eb) = pair
    check(_add(na, sa, ea, nb_, sb, eb), val(na, sa, ea) + val(nb_, sb, eb))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.tuples(operand(), operand()), st.tuples(operand(53), operand(53)),
                 st.tuples(operand(63), operand(63))))
@example(((0, (1 << 32) - 1, 0), (1, (1 << 32) - 1, 0)))   # 64-bit product
@example(((0, (1 << 53) - 1, 0), (1, (1 << 53) - 1, 0)))   # 106-bit product (binary64)
@example(((0, (1 << 63) - 1, 0), (0, (1 << 63) - 1, 0)))   # 126 bits: the largest
@example(((0, 1 << 40, 0), (0, (1 << 30) + 1, 0)))         # 71 bits, only one of them >= 2**32
def test_mul(pair):
    a, b = pair
    check(_mul(*a, *b), val(*a) * val(*b))


@settings(max_examples=500, deadline=None)
@given(st.one_of(operand(), operand(62)),
       st.one_of(operand(), operand(53), operand(62)).filter(lambda b: b[1] > 0))
@example((0, 1, 0), (0, 3, 0))
@example((0, (1 << 62) - 1, 0), (1, (1 << 32) - 1, 5))
@example((0, 1, 0), (0, (1 << 32) - 1, 0))
@example((0, 1, 0), (0, (1 << 53) - 1, 0))                # binary64 divisor: six steps
@example((0, (1 << 62) - 1, 0), (0, (1 << 62) - 1, 0))    # the widest divisor: 1 bit per step
@example((0, (1 << 53) - 1, 0), (0, (1 << 52) + 1, 0))
@example((0, (1 << 62) - 1, 0), (0, (1 << 53) - 1, 0))
@example((1, 1, 0), (0, (1 << 52) + 1, -3))
def test_div(a, b):
    check(_div(*a, *b), val(*a) / val(*b))


def _check_sqrt(got, sa, ea):
    """got is sqrt(sa * 2**ea) in the 62-bit form, checked with math.isqrt (no Fraction sqrt):
    sig = isqrt(x / 4**exp), plus the sticky bit when that root is inexact."""
    _, sig, exp = (int(v) for v in got)
    if sa == 0:
        assert sig == 0
        return
    shift = ea - 2 * exp       # x / 4**exp = sa * 2**shift >= 2**122 needs shift > 0
    assert shift > 0
    n = sa << shift
    root = isqrt(n)
    assert sig == root | int(root * root != n), (sa, ea, got)


@settings(max_examples=700, deadline=None)
@given(st.one_of(operand(32), operand(62)))
@example((0, 2, 1))              # sqrt(4)
@example((0, 9, 0))
@example((0, (1 << 62) - 1, 0))
@example((0, 1, -1))             # sqrt(1/2)
@example((0, (1 << 60) + 1, 0))  # N4 = r (r + 1): the remainder equals the root
def test_sqrt(a):
    _, sa, ea = a
    _check_sqrt(_sqrt(sa, ea), sa, ea)


@settings(max_examples=700, deadline=None)
@given(operand(31, SMALL_EXP), operand(31, SMALL_EXP),
       st.one_of(operand(62, st.integers(-200, 200)), operand(32, EXP)), st.booleans())
@example((0, (1 << 24) - 1, -24), (0, (1 << 24) - 1, -24), (1, (1 << 48) - (1 << 25) + 1, -48), False)
@example((0, 3, 0), (0, 5, 0), (1, 1, -300), False)      # product minus a far-away addend
@example((0, 3, 0), (0, 5, 0), (1, 15, 0), False)        # exact zero
def test_fma(a, b, c, near):
    if near:   # put c right at the product's magnitude (cancellation)
        prod = val(*a) * val(*b)
        if prod:
            exp = prod.numerator.bit_length() - prod.denominator.bit_length() - 40
            sig = int(abs(prod) / Fraction(2) ** exp)
            c = (1 - int(prod < 0), sig, exp)
    check(_fma(*a, *b, *c), val(*a) * val(*b) + val(*c))


@settings(max_examples=700, deadline=None)
@given(operand(53, SMALL_EXP), operand(53, SMALL_EXP),
       st.one_of(operand(53, st.integers(-400, 400)), operand(62, EXP)), st.integers(0, 3))
@example((0, (1 << 53) - 1, 0), (0, (1 << 53) - 1, 0), (1, (1 << 53) - 2, 53), 0)   # cancels 53 bits
@example((0, 3, 0), (0, (1 << 53) - 1, 0), (0, 1, -300), 0)      # a tiny addend: only its sticky bit
@example((0, (1 << 52) + 1, 0), (0, (1 << 52) + 1, 0), (1, 1, 0), 0)   # 2**104 + 2**53 + 1 - 1
@example((0, (1 << 53) - 1, 0), (1, (1 << 53) - 1, 0), (0, 1, 400), 0)  # the product far below c
def test_fma_wide(a, b, c, near):
    """fma with products of up to 106 bits (binary64): add_wide. ``near`` puts c (of the
    opposite sign) on the product's top bits, so that the sum cancels them: the product
    truncated to 53 bits (1) or to 62 bits (2: the round-to-odd form of the product would
    lose what remains), or that plus one unit of its last bit (3)."""
    prod = val(*a) * val(*b)
    if near and prod:
        keep = 53 if near == 1 else 62
        exp = prod.numerator.bit_length() - prod.denominator.bit_length() - keep
        sig = min(int(abs(prod) / Fraction(2) ** exp) + (near == 3), (1 << 62) - 1)
        c = (1 - int(prod < 0), sig, exp)
    check(_fma(*a, *b, *c), prod + val(*c))


@settings(max_examples=500, deadline=None)
@given(st.integers(0, (1 << 63) - 1), st.integers(-1000, 1000), st.integers(0, 1), SIGN)
def test_normalize(sig, exp, sticky, neg):
    if sig == 0:
        sticky = 0
    got = _normalize(neg, sig, exp, sticky)
    # the dropped quantity: a fraction of the unit of sig's last bit, and below the unit of
    # the 62nd bit when sig is shorter (the documented precondition)
    tiny = Fraction(1, 3) * Fraction(2) ** (exp - max(62 - sig.bit_length(), 0))
    value = val(neg, sig, exp) + (tiny if sticky else 0) * (-1) ** neg
    check(got, value)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_unpack_float64(x):
    bits = int(np.array(x).view(np.int64))
    neg, sig, exp = (int(v) for v in _unpack(bits))
    assert val(neg, sig, exp) == Fraction(x)
    assert sig == 0 or sig % 2 == 1
    assert neg == int(np.signbit(x))
