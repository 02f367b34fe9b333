"""Property-based conformance tests of round / encode / decode against exact Fraction arithmetic.

The oracle (``expected``) works on magnitude codes: the two reachable neighbours of |x| are
found by bisection over ``fmt.magnitude_value`` (exact Fractions), one step past the largest
finite code standing for overflow (its value is max + ulp(max), the next value the format
would have with an unbounded exponent).
"""
from __future__ import annotations

import bisect
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import numfmt as nf
from numfmt import reference
from numfmt.rounding import DETERMINISTIC_ROUNDINGS, Rounding, overflows_to_infinity, rounding_mode
from numfmt.testing import (arrays, formats, is_reachable_code, overflow_code, rounding_cases,
                            rounding_modes, values)

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
NEAREST = ("nearest_even", "nearest_away")


def fmt_and(strategy_of, **kw):
    """(fmt, drawn) pairs: strategy_of(fmt) drawn for a format from formats(**kw)."""
    return formats(**kw).flatmap(lambda f: st.tuples(st.just(f), strategy_of(f)))


# ----------------------------------------------------------------------------- the oracle
def neighbours(fmt, a: Fraction):
    """(lo, hi): magnitude codes of the reachable values just below / above a >= 0 (lo == hi
    when a is a value); codes > max_magnitude_code mean overflow; lo is None below the smallest
    value of a format without zero."""
    mv = fmt.magnitude_value
    n = overflow_code(fmt) + 1
    i = bisect.bisect_right(range(n), a, key=mv) - 1
    if i < 0:
        return None, 0
    lo = i if is_reachable_code(fmt, i) or i == n - 1 else 0
    if mv(i) == a and is_reachable_code(fmt, i):
        return lo, lo
    hi = i + 1
    if hi < n and not is_reachable_code(fmt, hi) and hi <= fmt.max_magnitude_code:
        hi = 1 << fmt.man_bits
    return lo, hi


def choose(fmt, a: Fraction, neg: bool, mode: str):
    """The magnitude code rounding picks (may exceed max_magnitude_code: overflow)."""
    lo, hi = neighbours(fmt, a)
    if lo is None:
        return 0                            # below the smallest value of a zero-less format
    if lo == hi:
        return lo
    if mode in NEAREST:
        if hi > overflow_code(fmt):
            return hi
        d_lo, d_hi = a - fmt.magnitude_value(lo), fmt.magnitude_value(hi) - a
        if d_lo != d_hi:
            return lo if d_lo < d_hi else hi
        if mode == "nearest_away":
            return hi
        return lo if lo % 2 == 0 else hi    # both even (0 vs 2**emin without subnormals): 0
    if mode == "toward_zero":
        return lo
    if mode == "toward_positive":
        return lo if neg else hi
    if mode == "toward_negative":
        return hi if neg else lo
    if mode == "odd":
        return lo if lo % 2 else hi         # neither odd (0 vs 2**emin, no subnormals): away
    raise AssertionError(mode)


def expected(x: float, fmt, mode: str, overflow: str = "ieee"):
    """The exact result of round(x, fmt, mode, overflow) as a float; raises OverflowError."""
    if math.isnan(x):
        return math.nan
    neg = math.copysign(1.0, x) < 0
    sign = -1.0 if neg else 1.0
    if neg and not fmt.signed:
        return math.nan
    maxv = fmt.info.max
    if math.isinf(x):
        if overflow == "saturate":
            return sign * maxv
        if fmt.has_inf:
            return x
        if overflow == "raise":
            raise OverflowError
        return math.nan if fmt.has_nan else sign * maxv
    a = Fraction(abs(x))
    if a == 0 and not fmt.zero:
        return math.nan
    code = choose(fmt, a, neg, mode)
    if code > fmt.max_magnitude_code:
        if overflow == "raise":
            raise OverflowError
        if overflow == "ieee" and overflows_to_infinity(rounding_mode(mode), neg, fmt.special):
            if fmt.has_inf:
                return sign * math.inf
            if fmt.has_nan:
                return math.nan
        return sign * maxv
    v = float(fmt.magnitude_value(code))
    if v == 0:
        return -0.0 if neg and fmt.has_negative_zero else 0.0
    return sign * v


def same(y, e) -> bool:
    """Equal as floats, NaN == NaN, and zeros of the same sign."""
    y, e = float(y), float(e)
    if math.isnan(e) or math.isnan(y):
        return math.isnan(e) and math.isnan(y)
    return y == e and math.copysign(1, y) == math.copysign(1, e)


def check_round(x: float, y: float, fmt, mode: str, overflow: str = "ieee") -> None:
    """AssertionError unless y is the correct result of rounding x; for finite in-range nearest
    results also checks directly that no representable value is strictly closer."""
    e = expected(x, fmt, mode, overflow)
    assert same(y, e), f"round({x!r}, {fmt.name}, {mode}, {overflow}) = {y!r}, expected {e!r}"
    if mode in NEAREST and math.isfinite(y) and abs(x) <= fmt.info.max:
        a, m = Fraction(abs(x)), int(nf.encode(abs(y), fmt)) & ~fmt.sign_bit
        for other in (m - 1, m + 1):
            if is_reachable_code(fmt, other):
                assert abs(fmt.magnitude_value(other) - a) >= abs(Fraction(abs(y)) - a), \
                    f"{fmt.name}: {fmt.magnitude_value(other)} is closer to {x!r} than {y!r}"


def test_encode_negative_min_without_zero():
    """Regression: the sign of -min was dropped where code 0 is a number, not zero."""
    fmt = nf.FloatFormat(8, 0, signed=True, subnormals=False, zero=False, special="fn")
    assert int(nf.encode(-(2.0 ** -127), fmt)) == fmt.sign_bit


def test_float32_nearest_even_no_discarded_bits():
    """Regression: with no discarded bits the nearest_even bias must be 0, not -1."""
    assert float(nf.round(np.float32(1.0), "binary32")) == 1.0
    assert float(nf.round(np.float32(0.0), "binary32")) == 0.0
    assert float(nf.round(np.float32(1.0), nf.FloatFormat(7, 23))) == 1.0


def test_raise_policy_no_image_input():
    """Regression: overflow="raise" must not report inputs without an image as overflows."""
    assert math.isnan(float(nf.round(0.0, "e8m0", overflow="raise")))


def rnd(x, fmt, mode, overflow="ieee"):
    return nf.round(np.float64(x), fmt, mode, overflow)


# ----------------------------------------------------------------------------- correctness
@settings(max_examples=800, **SETTINGS)
@given(fmt_and(rounding_cases), st.sampled_from(["ieee", "saturate"]))
def test_round_matches_exact_reference_all_modes(fmt_x, overflow):
    """800 examples in CI, each in all six deterministic modes; the slow set runs 5,000."""
    check_every_mode(*fmt_x, overflow)


@pytest.mark.slow
@settings(max_examples=5000, **SETTINGS)
@given(fmt_and(rounding_cases), st.sampled_from(["ieee", "saturate"]))
def test_round_matches_exact_reference_many(fmt_x, overflow):
    check_every_mode(*fmt_x, overflow)


def check_every_mode(fmt, x, overflow) -> None:
    """round, encode and decode of x agree with the exact reference in every deterministic mode."""
    xs = np.array([x])
    for mode in DETERMINISTIC_ROUNDINGS:
        y = nf.round(xs, fmt, mode, overflow)[0]
        check_round(x, float(y), fmt, mode, overflow)
        codes = nf.encode(xs, fmt, mode, overflow)
        back = nf.decode(codes, fmt, dtype=np.float64)[0]
        assert same(back, y), (fmt.name, x, mode, int(codes[0]), back, y)
        if fmt.bits <= 12 and not math.isnan(y):
            assert (fmt.values() == y).any() or y == 0


@settings(max_examples=400, **SETTINGS)
@given(fmt_and(rounding_cases), rounding_modes())
def test_overflow_raise(fmt_x, mode):
    fmt, x = fmt_x
    try:
        e = expected(x, fmt, mode, "raise")
    except OverflowError:
        with pytest.raises(OverflowError):
            rnd(x, fmt, mode, "raise")
        return
    assert same(rnd(x, fmt, mode, "raise"), e)


@settings(max_examples=100, **SETTINGS)
@given(fmt_and(lambda f: rounding_cases(f, allow_special=True)), rounding_modes(),
       st.sampled_from(["ieee", "saturate"]))
def test_special_inputs(fmt_x, mode, overflow):
    fmt, x = fmt_x
    check_round(x, float(rnd(x, fmt, mode, overflow)), fmt, mode, overflow)


@settings(max_examples=400, **SETTINGS)
@given(fmt_and(lambda f: values(f, allow_special=True)), rounding_modes())
def test_values_are_fixed_points(fmt_v, mode):
    fmt, v = fmt_v
    assert same(rnd(v, fmt, mode), v)
    if not math.isnan(v):
        assert same(nf.decode(nf.encode(np.float64(v), fmt, mode), fmt, np.float64), v)


def test_checker_rejects_wrong_results():
    """The oracle must be able to fail: a neighbour one code off is rejected."""
    fmt = nf.format("e4m3")
    check_round(1.06, 1.0, fmt, "nearest_even")
    for wrong in (1.125, 0.9375):
        with pytest.raises(AssertionError):
            check_round(1.06, wrong, fmt, "nearest_even")
    with pytest.raises(AssertionError):                 # tie 1.0625 goes to the even code 1.0
        check_round(1.0625, 1.125, fmt, "nearest_even")
    with pytest.raises(AssertionError):                 # toward_zero never grows
        check_round(1.06, 1.125, fmt, "toward_zero")
    with pytest.raises(AssertionError):                 # 464 -> 448 (tie to even), not NaN
        check_round(464.0, math.nan, fmt, "nearest_even")
    with pytest.raises(AssertionError):                 # -0 vs +0
        check_round(-1e-9, 0.0, fmt, "nearest_even")


# ----------------------------------------------------------------------------- algebraic properties
@settings(max_examples=400, **SETTINGS)
@given(fmt_and(lambda f: st.lists(rounding_cases(f), min_size=2, max_size=8)),
       st.sampled_from(["ieee", "saturate"]))
def test_idempotent_and_monotone(fmt_xs, overflow):
    fmt, xs = fmt_xs
    xs = np.sort(np.array(xs))
    for mode in DETERMINISTIC_ROUNDINGS:
        y = nf.round(xs, fmt, mode, overflow)
        y2 = nf.round(y, fmt, mode, overflow)
        assert all(same(a, b) for a, b in zip(y, y2)), (fmt.name, mode, xs, y, y2)
        finite = y[~np.isnan(y)]
        assert np.all(finite[1:] >= finite[:-1]), (fmt.name, mode, xs, y)


@settings(max_examples=400, **SETTINGS)
@given(fmt_and(rounding_cases, signed=True), st.sampled_from(["ieee", "saturate"]))
def test_sign_symmetry(fmt_x, overflow):
    fmt, x = fmt_x
    def eq(a, b):
        return (math.isnan(a) and math.isnan(b)) or a == b
    for mode in NEAREST + ("toward_zero", "odd"):
        assert eq(float(rnd(-x, fmt, mode, overflow)), -float(rnd(x, fmt, mode, overflow))), (fmt.name, x, mode)
    assert eq(float(rnd(-x, fmt, "toward_positive", overflow)),
              -float(rnd(x, fmt, "toward_negative", overflow))), (fmt.name, x)


@settings(max_examples=400, **SETTINGS)
@given(fmt_and(rounding_cases), rounding_modes(), st.sampled_from(["ieee", "saturate"]))
def test_float32_input_same_as_float64(fmt_x, mode, overflow):
    fmt, x = fmt_x
    x32 = np.float32(x)
    assume(np.isfinite(x32) or not np.isfinite(x))
    a = nf.round(np.array([x32]), fmt, mode, overflow)[0]
    b = nf.round(np.array([np.float64(x32)]), fmt, mode, overflow)[0]
    assert same(a, b), (fmt.name, x32, mode, a, b)
    assert np.array_equal(nf.encode(np.array([x32]), fmt, mode, overflow),
                          nf.encode(np.array([np.float64(x32)]), fmt, mode, overflow))


@settings(max_examples=60, **SETTINGS)
@given(formats(max_bits=12))
def test_every_code_round_trips(fmt):
    codes = np.arange(1 << fmt.bits, dtype=np.uint32)
    vals = nf.decode(codes, fmt, dtype=np.float64)
    mags = codes & ~np.uint32(fmt.sign_bit)
    keep = ~np.isnan(vals) & np.array([is_reachable_code(fmt, int(m)) or np.isinf(v)
                                       for m, v in zip(mags, vals)])
    assert np.array_equal(nf.encode(vals[keep], fmt), codes[keep]), fmt.name
    # values() against the exact reference's decoding of every code (an independent implementation)
    table = fmt.values()
    assert len(table) == 1 << fmt.bits
    assert all(same(v, reference.decode_code(int(c), fmt)) for c, v in zip(codes, table)), fmt.name
    finite = np.array([float(fmt.magnitude_value(int(m))) for m in mags[np.isfinite(vals)]])
    assert np.array_equal(np.abs(vals[np.isfinite(vals)]), finite), fmt.name


@settings(max_examples=80, **SETTINGS)
@given(fmt_and(lambda f: arrays(f, hnp_shapes())), rounding_modes())
def test_layouts_match_contiguous(fmt_a, mode):
    fmt, a = fmt_a
    full = nf.round(a, fmt, mode)
    assert full.shape == a.shape
    flat = nf.round(a.reshape(-1).copy(), fmt, mode).reshape(a.shape)
    np.testing.assert_array_equal(full, flat)
    views = [a[::2], a[::-1], a.T]
    if a.ndim >= 2:
        views.append(a[:, ::2])
    for v in views:
        np.testing.assert_array_equal(nf.round(v, fmt, mode), nf.round(np.ascontiguousarray(v), fmt, mode))
        np.testing.assert_array_equal(nf.encode(v, fmt, mode), nf.encode(np.ascontiguousarray(v), fmt, mode))
    if a.size:
        x0 = a.reshape(-1)[0]
        r0 = nf.round(np.float64(x0), fmt, mode)
        assert np.ndim(r0) == 0
        assert same(r0, full.reshape(-1)[0])
        assert same(nf.round(np.array(x0), fmt, mode), r0)
    empty = nf.round(np.empty((0, 3)), fmt, mode)
    assert empty.shape == (0, 3)
    assert nf.encode(np.empty((2, 0)), fmt, mode).shape == (2, 0)


# formats of at most 16 bits that ml_dtypes (or numpy) has, by numfmt name
ML_DTYPES = {"binary16": np.float16, "bfloat16": "bfloat16", "e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2",
             "e4m3fnuz": "float8_e4m3fnuz", "e5m2fnuz": "float8_e5m2fnuz", "e4m3b11fnuz": "float8_e4m3b11fnuz",
             "e4m3ieee": "float8_e4m3", "e3m4": "float8_e3m4", "e3m2": "float6_e3m2fn", "e2m3": "float6_e2m3fn",
             "e2m1": "float4_e2m1fn", "e8m0": "float8_e8m0fnu"}


@pytest.mark.parametrize("name", list(ML_DTYPES))
def test_values_equal_ml_dtypes(name):
    """values() of every format ml_dtypes has: its codes viewed as that dtype (NaN codes give NaN)."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dtype = ML_DTYPES[name] if not isinstance(ML_DTYPES[name], str) else getattr(ml_dtypes, ML_DTYPES[name], None)
    if dtype is None:
        pytest.skip(f"this ml_dtypes has no {ML_DTYPES[name]}")
    fmt = nf.format(name)
    codes = np.arange(1 << fmt.bits, dtype=np.uint16 if fmt.bits > 8 else np.uint8)
    with np.errstate(invalid="ignore"):         # ml_dtypes warns when it casts its NaN codes
        theirs = codes.view(dtype).astype(np.float64)
    assert all(same(a, b) for a, b in zip(fmt.values(), theirs)), name


def hnp_shapes():
    from hypothesis.extra import numpy as hnp
    return hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)
