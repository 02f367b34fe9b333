"""binary64 (float64, fp64) as a format, and the wide formats between 33 and 63 bits.

- Casts: rounding float64 to binary64 is the identity (-0 kept, every NaN becomes the quiet NaN
  of its sign, as for every IEEE format); float32 inputs widen exactly; codes are uint64 (the
  bit patterns). The wider formats' casts are checked against ``numfmt.reference`` in
  tests/test_reference.py.
- Arithmetic: every operation in every deterministic mode against MPFR (``MpfrOracle``: MPFR
  at 53 bits with binary64's subnormal range), and round to nearest even against numpy's
  float64 operations (hardware, correctly rounded) bit for bit; fma against MPFR at 53 bits
  (Python 3.11 has no math.fma). Operands come from hypothesis: any float64, subnormals and
  exponents near both ends included, and for fma addends that cancel the product's top bits.
- Stochastic rounding in binary64: the exact core's 62-bit form keeps p + k <= 60 bits, so
  sr_bits is at most 7 (ValueError beyond, naming the limit).
"""
from __future__ import annotations

import math
from fractions import Fraction

import gmpy2
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import numfmt as nf
from numfmt.formats.floating import FloatFormat
from numfmt.rounding import DETERMINISTIC_ROUNDINGS
from numfmt.verify import compare_mpfr_op

B64 = nf.format("binary64")
FINITE = st.floats(allow_nan=False, allow_infinity=False)
# float64 values with exponents anywhere, subnormals included, and near both ends
WIDE = st.one_of(FINITE,
                 st.builds(lambda m, e: float(np.ldexp(m, e)), st.integers(-(1 << 53) + 1, (1 << 53) - 1),
                           st.sampled_from(list(range(-1126, -1000)) + list(range(-60, 10)) + list(range(900, 972)))))


def _bits(x) -> np.ndarray:
    return np.asarray(x, np.float64).view(np.int64)


def _same(got, want) -> bool:
    """Bit for bit, every NaN counting as the same (numpy's 0/0 is -NaN on x86)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    both_nan = np.isnan(got) & np.isnan(want)
    return bool(np.all(both_nan | (_bits(got) == _bits(want))))


def test_names_and_info():
    for name in ("binary64", "float64", "fp64", "double", np.float64, np.dtype(np.float64)):
        assert nf.format(name) is B64
    fi = np.finfo(np.float64)
    info = B64.info
    assert (info.bits, info.nexp, info.nmant, info.maxexp, info.minexp) == (64, 11, 52, 1024, -1022)
    assert (info.max, info.smallest_normal, info.smallest_subnormal, info.eps, info.epsneg) == (
        fi.max, fi.smallest_normal, fi.smallest_subnormal, fi.eps, fi.epsneg)


@settings(max_examples=200, deadline=None)
@given(st.lists(WIDE, min_size=1, max_size=40))
def test_round_is_the_identity(values):
    x = np.array(values + [0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, np.finfo(np.float64).max], np.float64)
    for mode in DETERMINISTIC_ROUNDINGS:
        assert np.array_equal(_bits(nf.round(x, B64, mode)), _bits(x)), mode
        assert np.array_equal(nf.encode(x, B64, mode), x.view(np.uint64)), mode
    assert np.array_equal(_bits(nf.round(x, B64, "stochastic", seed=1)), _bits(x))
    assert np.array_equal(_bits(nf.decode(x.view(np.uint64), B64, np.float64)), _bits(x))


def test_rounding_zero_toward_positive_stays_zero():
    """Regression: half the smallest quantum of binary64 (2**-1075) underflows to 0.0 in
    Python, which the cast parameters took for a tie at 0: +0 rounded up to 2**-1074."""
    for mode in DETERMINISTIC_ROUNDINGS:
        assert _bits(nf.round(np.array([0.0, -0.0]), B64, mode)).tolist() == [0, -(1 << 63)], mode


def test_nan_and_float32_inputs():
    payloads = np.array([0x7FF0000000000001, 0xFFF4000000000000, 0x7FFFFFFFFFFFFFFF], np.uint64).view(np.float64)
    # NaN payloads are not kept (as in every IEEE format): the quiet NaN with the input's sign
    assert [hex(c) for c in nf.encode(payloads, B64)] == ["0x7ff8000000000000", "0xfff8000000000000",
                                                          "0x7ff8000000000000"]
    x32 = np.array([0.1, 1e-45, -3.4e38, np.inf], np.float32)
    got = nf.round(x32, "fp64")
    assert got.dtype == np.float64 and np.array_equal(got, x32.astype(np.float64))
    assert nf.encode(x32, B64).dtype == np.uint64


def test_decode_rejects_codes_beyond_64_bits_and_wide_formats_decode():
    with pytest.raises(ValueError, match="float32"):
        nf.decode(np.uint64(0), B64, np.float32)
    e8m40 = FloatFormat(8, 40)
    x = np.array([1 + 2.0**-40, -(2.0**-126) * 2.0**-40, 3.4e38, 0.1], np.float64)
    r = nf.round(x, e8m40)
    codes = nf.encode(x, e8m40)
    assert codes.dtype == np.uint64
    assert np.array_equal(_bits(nf.decode(codes, e8m40, np.float64)), _bits(r))


def test_formats_beyond_binary64_are_refused():
    for args, kw in (((11, 53), {}), ((12, 51), {}), ((11, 10), {"bias": 1024})):
        with pytest.raises(ValueError, match="within binary64|2 to 64 bits"):
            FloatFormat(*args, **kw)


# ---------------------------------------------------------------- arithmetic

def _check_mpfr(op: str, fmt, operands) -> None:
    outcome = compare_mpfr_op(gmpy2, op, fmt, [np.asarray(v, np.float64) for v in operands])
    assert outcome.mismatches == 0, outcome


@st.composite
def _pairs(draw):
    """Operand pairs: independent, or b near +-a (ties, cancellation)."""
    a = draw(st.lists(WIDE, min_size=1, max_size=30))
    b = []
    for v in a:
        kind = draw(st.integers(0, 2))
        if kind == 0:
            b.append(draw(WIDE))
        else:
            w = float(np.nextafter(v, np.inf) if kind == 1 else np.nextafter(v, -np.inf))
            w = w if np.isfinite(w) else v
            b.append(w if draw(st.booleans()) else -w)
    return a, b


@settings(max_examples=60, deadline=None)
@given(_pairs())
@example(([1.0, 5e-324, 1.7976931348623157e308, 2.0**-1022], [2.0**-53, -5e-324, 1.7976931348623157e308, -(2.0**-1074)]))
def test_binary_ops_against_mpfr_and_numpy(pair):
    a, b = (np.array(v, np.float64) for v in pair)
    with np.errstate(all="ignore"):
        numpy = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}
    for op, want in numpy.items():
        assert _same(getattr(nf, op)(a, b, B64), want), op
        _check_mpfr(op, B64, [a, b])


@settings(max_examples=60, deadline=None)
@given(st.lists(WIDE, min_size=1, max_size=30))
@example([5e-324, 2.0**-1022, 1.7976931348623157e308, 2.0, 0.5 + 2.0**-53])
def test_sqrt_against_mpfr_and_numpy(values):
    a = np.abs(np.array(values, np.float64))
    assert _same(nf.sqrt(a, B64), np.sqrt(a))
    _check_mpfr("sqrt", B64, [a])


def _gmpy2_fma(a, b, c) -> float:
    """fma at 53 bits with binary64's exponent range (Python 3.11 has no math.fma)."""
    ctx = gmpy2.context(precision=53, emin=-1073, emax=1024, subnormalize=True)
    return float(ctx.fma(gmpy2.mpfr(a, 53), gmpy2.mpfr(b, 53), gmpy2.mpfr(c, 53)))


@st.composite
def _fma_operands(draw):
    """a, b and c, where c often cancels the exact product's top bits: -(a*b) truncated to
    53 bits, or that plus or minus an ulp (only the product's low bits remain)."""
    a = draw(st.lists(WIDE, min_size=1, max_size=25))
    b = [draw(WIDE) for _ in a]
    c = []
    for x, y in zip(a, b):
        p = Fraction(x) * Fraction(y)
        kind = draw(st.integers(0, 3))
        if kind == 0 or p == 0 or abs(p) >= Fraction(np.finfo(np.float64).max):
            c.append(draw(WIDE))
            continue
        t = float(nf.round(np.float64(float(p)), B64))           # RN(p): a float64 near p
        t = {1: t, 2: float(np.nextafter(t, np.inf)), 3: float(np.nextafter(t, -np.inf))}[kind]
        c.append(-t)
    return a, b, c


@settings(max_examples=60, deadline=None)
@given(_fma_operands())
@example(([1 + 2.0**-52, 3.0, 1e-300], [1 - 2.0**-52, 5e-324, 1e-300],
          [-1.0, 1.7976931348623157e308, -0.0]))
@example(([10.049802726991357], [1.979672245e-314], [1.1321445936638636e+38]))   # a far-below product
def test_fma_against_mpfr(abc):
    a, b, c = (np.array(v, np.float64) for v in abc)
    want = np.array([_gmpy2_fma(x, y, z) for x, y, z in zip(a, b, c)])
    assert _same(nf.fma(a, b, c, B64), want)
    _check_mpfr("fma", B64, [a, b, c])


@pytest.mark.parametrize("fmt", [FloatFormat(8, 40), FloatFormat(11, 10), FloatFormat(9, 50, special="fn"),
                                 FloatFormat(11, 0), FloatFormat(7, 50, special="p3109")],
                         ids=lambda f: f.name)
@pytest.mark.parametrize("op", ["add", "mul", "div", "fma", "sqrt"])
def test_wide_formats_against_mpfr(op, fmt):
    """Formats between 33 and 63 bits, or reaching float64's exponent limits, round on their
    own grid in the exact core (``kernels.arith._grid_bits``)."""
    rng = np.random.default_rng(len(op) + fmt.bits)
    n = 1500
    with np.errstate(all="ignore"):
        x = np.ldexp(rng.random((3, n)) + 0.5, rng.integers(-1030, 1030, (3, n))) * rng.choice([-1.0, 1.0], (3, n))
        near = rng.random(n) < 0.3
        x[1] = np.where(near, -x[0] * (1 + rng.integers(-3, 4, n) * 2.0 ** -fmt.man_bits), x[1])
        x[2] = np.where(near, -x[0] * x[1], x[2])
    x = np.where(np.isfinite(x), x, 1.0)
    v = [np.asarray(nf.round(r, fmt, "toward_zero", "saturate")) for r in x]
    if not fmt.signed or op == "sqrt":
        v = [np.abs(r) for r in v]
    _check_mpfr(op, fmt, v[:{"sqrt": 1, "fma": 3}.get(op, 2)])


def test_stochastic_rounding_bits_limit():
    a, b = np.array([1.0, 3.0]), np.array([2.0**-60, 1e-20])
    with pytest.raises(ValueError, match="sr_bits must be at most 7"):
        nf.add(a, b, B64, "stochastic", seed=1)                # the default: 32 random bits
    # 1 + 2**-60 lies 2**-8 of an ulp above 1: with 7 random bits, floor(f * 2**7) = 0 never rounds up
    assert nf.add(a[:1], b[:1], B64, "stochastic", sr_bits=7, random_bits=[127]).tolist() == [1.0]
    r = nf.add(np.full(4, 1.0), np.full(4, 2.0**-54), B64, "stochastic", sr_bits=7,   # f = 1/4
               random_bits=[0, 95, 96, 127])
    assert r.tolist() == [1.0, 1.0, 1 + 2.0**-52, 1 + 2.0**-52]


# ---------------------------------------------------------------- accumulation
MODERATE = st.one_of(st.floats(-1e300, 1e300, allow_nan=False),
                     st.builds(lambda m, e: float(np.ldexp(m, e)), st.integers(-(1 << 53) + 1, (1 << 53) - 1),
                               st.integers(-1126, -1000)))
GMPY2_MODES = {"nearest_even": gmpy2.RoundToNearest, "toward_zero": gmpy2.RoundToZero,
               "toward_positive": gmpy2.RoundUp, "toward_negative": gmpy2.RoundDown}


def _context(mode: str):
    return gmpy2.context(precision=53, emin=-1073, emax=1024, subnormalize=True, round=GMPY2_MODES[mode])


def _kahan(x) -> float:
    s, c = x[0], 0.0
    for t in x[1:]:
        y = t - c
        u = s + y
        c = (u - s) - y
        s = u
    return s


def test_sum_does_not_take_the_float64_route():
    """The float64 route of narrow accumulators (TwoSum, then round-to-odd at 53 bits) would
    round twice in binary64: 1 + 2**-54 became 1 + 2**-52."""
    assert float(nf.sum([1.0, 2.0**-54], B64)) == 1.0
    assert float(nf.sum([1.0, 2.0**-54], B64, rounding="odd")) == 1 + 2.0**-52


@settings(max_examples=40, deadline=None)
@given(st.lists(MODERATE, min_size=1, max_size=300))
def test_sum_orders_against_float64_hardware(values):
    """Round to nearest even in binary64 is what float64 hardware does: every order against
    its loop in Python floats (pairwise: np.sum; exact: math.fsum, correctly rounded)."""
    x = np.array(values, np.float64)
    s = x[0]
    for t in x[1:]:
        s += t
    seq = [float(sum(x[i:i + 7].tolist()[1:], x[i])) for i in range(0, x.size, 7)]
    blocked = seq[0]
    for v in seq[1:]:
        blocked += v
    assert _same(nf.sum(x, B64), s)
    assert _same(nf.sum(x, B64, order="pairwise"), np.sum(x))
    assert _same(nf.sum(x, B64, order="kahan"), _kahan(x))
    assert _same(nf.sum(x, B64, order="blocked", block=7), blocked)
    # math.fsum quirk: it starts from +0.0, so an all -0 sum is +0 (IEEE 754 and numfmt: -0)
    exact = -0.0 if np.all((x == 0) & np.signbit(x)) else math.fsum(x)
    assert _same(nf.sum(x, B64, order="exact"), exact)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(MODERATE, MODERATE), min_size=1, max_size=60),
       st.sampled_from(sorted(GMPY2_MODES)))
def test_dot_exact_products_against_mpfr(pairs, mode):
    """Each step adds the exact 106-bit product and rounds once: MPFR's fma at 53 bits."""
    a, b = (np.array(v, np.float64) for v in zip(*pairs))
    ctx = _context(mode)
    s = ctx.mul(gmpy2.mpfr(a[0], 53), gmpy2.mpfr(b[0], 53))
    for x, y in zip(a[1:], b[1:]):
        s = ctx.fma(gmpy2.mpfr(x, 53), gmpy2.mpfr(y, 53), s)
    assert _same(nf.dot(a, b, B64, rounding=mode), float(s))
    m = nf.matmul(np.stack([a, -a]), np.stack([b, b], axis=1), B64, rounding=mode)
    assert _same(m[0, 0], float(s))


def test_dot_orders_with_wide_products():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(200), rng.standard_normal(200)
    for order, kw in (("exact", {}), ("fused", {"fused_terms": 4, "alignment_bits": 40})):
        with pytest.raises(ValueError, match="at most 62 significant bits"):
            nf.dot(a, b, B64, order=order, **kw)
    # rounded products fit: the correctly rounded sum of the float64 products
    assert _same(nf.dot(a, b, B64, order="exact", product=B64), math.fsum(a * b))
    # binary32 inputs into a binary64 accumulator: 48-bit products, exact, every order
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    p = a32.astype(np.float64) * b32
    assert _same(nf.dot(a32, b32, "binary32", accumulator=B64, order="exact"), math.fsum(p))
    assert _same(nf.dot(a32, b32, "binary32", accumulator=B64, order="pairwise"), np.sum(p))
    f = nf.dot(a32, b32, "binary32", accumulator=B64, order="fused", fused_terms=200, alignment_bits=50)
    assert abs(float(f) - math.fsum(p)) <= 201 * 2.0 ** (4 - 50)      # truncation below 2**(emax - 50)
