"""Element-wise arithmetic: IEEE special cases, argument checks, numpy float16, stochastic
rounding, and hypothesis properties over registered and random formats.

(The correctly rounded results in the six deterministic modes are checked against MPFR in
test_arith_oracles.py.)
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from sampling import ci_grid
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import numfmt as nf
from numfmt.casts.common import NO_RANDOM_BITS
from numfmt.testing import formats, rounding_modes, values

SETTINGS = dict(deadline=None, max_examples=300,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MODES = ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd")
inf, nan = math.inf, math.nan


def _is(got, want) -> bool:
    """Same value and sign of zero; NaN == NaN."""
    got = float(got)
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1, got) == math.copysign(1, want)


# (op, operands, fmt, {mode or "*": expected}); "*" is every deterministic mode not listed
SPECIALS = [
    ("add", (inf, -inf), "binary16", {"*": nan}),
    ("add", (inf, 1.0), "binary16", {"*": inf}),
    ("add", (nan, 1.0), "binary16", {"*": nan}),
    ("sub", (inf, inf), "binary16", {"*": nan}),
    ("sub", (-inf, inf), "binary16", {"*": -inf}),
    ("sub", (1.5, 1.5), "binary16", {"toward_negative": -0.0, "*": 0.0}),
    ("add", (0.0, -0.0), "binary16", {"toward_negative": -0.0, "*": 0.0}),
    ("add", (-0.0, -0.0), "binary16", {"*": -0.0}),
    ("sub", (-0.0, 0.0), "binary16", {"*": -0.0}),
    ("add", (-2.0**-24, 2.0**-24), "binary16", {"toward_negative": -0.0, "*": 0.0}),
    ("mul", (0.0, inf), "binary16", {"*": nan}),
    ("mul", (-0.0, 3.0), "binary16", {"*": -0.0}),
    ("mul", (-2.0, inf), "binary16", {"*": -inf}),
    ("mul", (-2.0**-24, 2.0**-24), "binary16", {"toward_negative": -2.0**-24, "odd": -2.0**-24, "*": -0.0}),
    ("mul", (2.0**-24, 2.0**-24), "binary16", {"toward_positive": 2.0**-24, "odd": 2.0**-24, "*": 0.0}),
    ("mul", (65504.0, 2.0), "binary16", {"toward_zero": 65504.0, "toward_negative": 65504.0, "odd": 65504.0,
                                         "*": inf}),
    ("div", (0.0, 0.0), "binary16", {"*": nan}),
    ("div", (inf, -inf), "binary16", {"*": nan}),
    ("div", (1.0, 0.0), "binary16", {"*": inf}),
    ("div", (-1.0, 0.0), "binary16", {"*": -inf}),
    ("div", (1.0, -0.0), "binary16", {"*": -inf}),
    ("div", (0.0, -3.0), "binary16", {"*": -0.0}),
    ("div", (-3.0, inf), "binary16", {"*": -0.0}),
    ("div", (-inf, 2.0), "binary16", {"*": -inf}),
    ("sqrt", (-0.0,), "binary16", {"*": -0.0}),
    ("sqrt", (0.0,), "binary16", {"*": 0.0}),
    ("sqrt", (-1.0,), "binary16", {"*": nan}),
    ("sqrt", (inf,), "binary16", {"*": inf}),
    ("sqrt", (-inf,), "binary16", {"*": nan}),
    ("sqrt", (nan,), "binary16", {"*": nan}),
    ("sqrt", (4.0,), "binary16", {"*": 2.0}),
    ("fma", (0.0, inf, nan), "binary16", {"*": nan}),
    ("fma", (0.0, inf, 1.0), "binary16", {"*": nan}),
    ("fma", (inf, 0.0, -inf), "binary16", {"*": nan}),
    ("fma", (inf, 1.0, -inf), "binary16", {"*": nan}),
    ("fma", (inf, -1.0, -inf), "binary16", {"*": -inf}),
    ("fma", (1.0, 1.0, inf), "binary16", {"*": inf}),
    ("fma", (-0.0, 1.0, 0.0), "binary16", {"toward_negative": -0.0, "*": 0.0}),
    ("fma", (-0.0, 1.0, -0.0), "binary16", {"*": -0.0}),
    ("fma", (0.0, 5.0, 3.0), "binary16", {"*": 3.0}),
    ("fma", (2.0, 3.0, -6.0), "binary16", {"toward_negative": -0.0, "*": 0.0}),
    ("fma", (2.0, 3.0, -0.0), "binary16", {"*": 6.0}),
    # formats without Inf: x / 0 and overflow follow the overflow policy ("ieee": NaN, else max)
    ("div", (1.0, 0.0), "e4m3", {"*": nan}),
    ("div", (-1.0, 0.0), "e4m3", {"*": nan}),
    ("mul", (448.0, 2.0), "e4m3", {"toward_zero": 448.0, "toward_negative": 448.0, "odd": 448.0, "*": nan}),
    ("add", (448.0, 16.0), "e4m3", {"nearest_away": nan, "toward_positive": nan, "*": 448.0}),
    ("div", (1.0, 0.0), "e2m1", {"*": 6.0}),
    ("div", (-1.0, 0.0), "e2m1", {"*": -6.0}),
    ("add", (6.0, 6.0), "e2m1", {"*": 6.0}),
    ("mul", (-6.0, 6.0), "e3m2", {"*": -28.0}),
    # formats without -0 give +0
    ("sub", (1.0, 1.0), "e4m3fnuz", {"*": 0.0}),
    ("mul", (-1.0, 0.0), "e4m3fnuz", {"*": 0.0}),
    ("sqrt", (0.0,), "p3109_p3", {"*": 0.0}),
    ("div", (-1.0, 0.0), "p3109_p3", {"*": -inf}),
    # e8m0 (unsigned, no zero; ties go to the even code): zero and negative results are NaN
    ("mul", (2.0, 4.0), "e8m0", {"*": 8.0}),
    ("div", (2.0, 8.0), "e8m0", {"*": 0.25}),
    ("add", (1.0, 2.0), "e8m0", {"nearest_away": 4.0, "toward_positive": 4.0, "odd": 4.0, "*": 2.0}),
    ("sub", (2.0, 2.0), "e8m0", {"*": nan}),
    ("sub", (1.0, 2.0), "e8m0", {"*": nan}),
]


@pytest.mark.parametrize("op, args, fmt, table", SPECIALS)
def test_special_cases(op, args, fmt, table):
    for mode in MODES:
        want = table.get(mode, table.get("*"))
        got = getattr(nf, op)(*args, fmt, mode)
        assert _is(got, want), (op, args, fmt, mode, float(got), want)


def test_overflow_policies():
    assert float(nf.div(1.0, 0.0, "e4m3", overflow="saturate")) == 448.0
    assert float(nf.mul(-448.0, 2.0, "e4m3", overflow="saturate")) == -448.0
    assert float(nf.div(1.0, 0.0, "binary16", overflow="raise")) == inf     # exact Inf: no overflow
    with pytest.raises(OverflowError, match=r"1 of 2 results of mul overflow e4m3 .* first at element 1"):
        nf.mul([1.0, 448.0], 2.0, "e4m3", overflow="raise")
    with pytest.raises(OverflowError, match="div"):
        nf.div(1.0, 0.0, "e4m3", overflow="raise")


def test_invalid_without_nan_raises():
    with pytest.raises(ValueError, match=r"1 of 2 results of div are invalid .* e2m1 has no NaN; first at element 1"):
        nf.div([1.0, 0.0], [2.0, 0.0], "e2m1")
    with pytest.raises(ValueError, match="sqrt"):
        nf.sqrt(-1.0, "e3m2")


def test_inputs_must_be_values():
    with pytest.raises(ValueError, match=r"2 of 3 elements of b are not values of e4m3; first: 1.1"):
        nf.add(1.0, [1.1, 1.0, 500.0], "e4m3")
    with pytest.raises(ValueError, match="elements of a are not values of e2m1"):
        nf.mul(np.nan, 1.0, "e2m1")
    with pytest.raises(ValueError, match="elements of c"):
        nf.fma(1.0, 1.0, np.inf, "e4m3")
    # inputs="round" rounds them first, in the same mode
    assert float(nf.add(1.0, 1.1, "e4m3", inputs="round")) == 2.0
    assert float(nf.add(1.0, 1.1, "e4m3", "toward_positive", inputs="round")) == 2.25
    with pytest.raises(ValueError, match="inputs must be one of"):
        nf.add(1.0, 1.0, "e4m3", inputs="check")


def test_argument_errors():
    with pytest.raises(ValueError, match="rounding must be one of"):
        nf.add(1.0, 1.0, "e4m3", "nearest")
    with pytest.raises(ValueError, match="overflow must be one of"):
        nf.add(1.0, 1.0, "e4m3", overflow="clip")
    with pytest.raises(ValueError, match=r"operands do not broadcast together: a \(2,\), b \(3,\)"):
        nf.add([1.0, 2.0], [1.0, 2.0, 3.0], "e4m3")
    with pytest.raises(ValueError, match="sr_bits and random_bits apply to rounding='stochastic' only"):
        nf.mul(1.0, 1.0, "e4m3", sr_bits=4)
    with pytest.raises(ValueError, match=r"sr_bits must be at most 36 for exact stochastic arithmetic in binary32"):
        nf.mul(1.0, 1.0, "binary32", "stochastic", sr_bits=37, seed=1)
    with pytest.raises(TypeError, match="int8 is a fixed format"):
        nf.add(1.0, 1.0, "int8")
    with pytest.raises(TypeError, match="must hold real numbers"):
        nf.add("a", 1.0, "e4m3")


def test_shapes_and_dtypes():
    a = np.array([[1.0], [2.0]], np.float32)
    b = np.array([0.5, 1.5, 3.0], np.float32)
    out = nf.mul(a, b, "e4m3")
    assert out.shape == (2, 3) and out.dtype == np.float32
    assert out.tolist() == [[0.5, 1.5, 3.0], [1.0, 3.0, 6.0]]
    assert nf.add(a, b.astype(np.float64), "e4m3").dtype == np.float64
    assert nf.add(np.float16(1), np.float16(2), "binary32").dtype == np.float32
    s = nf.sqrt(np.float32(4), "bfloat16")
    assert np.ndim(s) == 0 and float(s) == 2.0
    assert nf.neg(np.array([1.5, -0.0], np.float32), "e4m3").tolist() == [-1.5, 0.0]
    assert nf.abs([-448.0], "e4m3").tolist() == [448.0]
    assert np.isnan(nf.neg(1.0, "e8m0"))            # unsigned: -1 has no image but NaN
    assert nf.add(np.zeros((0, 3)), 1.0, "e4m3").shape == (0, 3)


# ----------------------------------------------------------------------------- numpy float16
def _float16_pairs(n: int, seed: int):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 16, n, dtype=np.uint16).view(np.float16)
    b = rng.integers(0, 1 << 16, n, dtype=np.uint16).view(np.float16)
    near = rng.random(n) < 0.3          # close magnitudes: cancellation, ties
    b = np.where(near, (a.view(np.uint16) ^ rng.integers(0, 4, n).astype(np.uint16)).view(np.float16), b)
    return a, b


def _same(got, want) -> bool:
    g, w = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return bool(np.all((g.view(np.int64) == w.view(np.int64)) | (np.isnan(g) & np.isnan(w))))


@pytest.mark.parametrize("n, seed", [(200_000, 0), pytest.param(20_000_000, 1, marks=pytest.mark.slow)])
def test_binary16_matches_numpy_float16(n, seed):
    """numpy's float16 + - * / sqrt are correctly rounded (RNE; float32 has 24 >= 2*11+2 bits)."""
    a, b = _float16_pairs(n, seed)
    with np.errstate(all="ignore"):
        for op, ref in (("add", a + b), ("sub", a - b), ("mul", a * b), ("div", a / b)):
            assert _same(getattr(nf, op)(a, b, "binary16"), ref), op
        assert _same(nf.sqrt(a, "binary16"), np.sqrt(a))


# ----------------------------------------------------------------------------- stochastic rounding
def _exact(op, a, b) -> Fraction:
    x, y = Fraction(a), Fraction(b)
    return x + y if op == "add" else x - y if op == "sub" else x * y if op == "mul" else x / y


@pytest.mark.parametrize("fmt,op,rule", ci_grid(["bfloat16", "e4m3", "binary32", "e2m1", "p3109_p3", "binary64"],
                                                ["add", "mul", "div"], ["add", "nearest"], k=10))
def test_stochastic_probability_is_exact(fmt, op, rule):
    """Over all 2**k random integers, the number of results rounded away from zero is
    floor(f * 2**k) ("add") or RNE(f * 2**k) ("nearest"), f the exact discarded fraction."""
    k = 4
    v = nf.format(fmt).values() if nf.format(fmt).bits <= 16 else None
    rng = np.random.default_rng(len(fmt) + len(op))
    if v is None:
        a = np.asarray(nf.round(rng.standard_normal(60) * 8, fmt), np.float64)
        b = np.asarray(nf.round(rng.standard_normal(60), fmt), np.float64)
    else:
        v = v[np.isfinite(v)]
        a, b = rng.choice(v, 60), rng.choice(v[v != 0], 60)
    lo = np.asarray(nf.ops.__dict__[op](a, b, fmt, "toward_zero"), np.float64)
    up = np.asarray(getattr(nf, op)(a, b, fmt, "toward_positive"), np.float64)
    dn = np.asarray(getattr(nf, op)(a, b, fmt, "toward_negative"), np.float64)
    hi = np.where(lo >= 0, up, dn)
    hi = np.where(lo == 0, np.where(up != 0, up, dn), hi)
    counts = np.zeros(a.size, int)
    for r in range(1 << k):
        got = np.asarray(getattr(nf, op)(a, b, fmt, "stochastic", sr_bits=k, sr_rule=rule,
                                         random_bits=np.full(a.size, r)), np.float64)
        assert np.all((got == lo) | (got == hi) | (np.isinf(got) & np.isinf(hi)) | (np.isnan(got) & np.isnan(hi)))
        counts += (got != lo) & ~(np.isnan(got) & np.isnan(lo))
    for i in range(a.size):
        if lo[i] == hi[i] or not np.isfinite(hi[i]):
            continue
        f = (abs(_exact(op, a[i], b[i])) - abs(Fraction(lo[i]))) / abs(Fraction(hi[i]) - Fraction(lo[i]))
        scaled = f * (1 << k)
        d = math.floor(scaled) if rule == "add" else round(scaled)     # Python round: ties to even
        assert counts[i] == d, (op, a[i], b[i], f, counts[i])


@pytest.mark.parametrize("fmt", ["binary16", "bfloat16", "e4m3", "binary32"])
@pytest.mark.parametrize("k, rule", [(1, "add"), (8, "nearest"), (32, "add"), (36, "nearest")])
def test_stochastic_matches_round_of_exact_product(fmt, k, rule):
    """Products of these formats are exact in float64, so numfmt.round of a * b with the same
    seed and sr_bits is the same stochastic rounding of the same exact value."""
    rng = np.random.default_rng(k)
    a = np.asarray(nf.round(rng.standard_normal(5000) * 4, fmt), np.float64)
    b = np.asarray(nf.round(rng.standard_normal(5000), fmt), np.float64)
    got = nf.mul(a, b, fmt, "stochastic", seed=123, sr_bits=k, sr_rule=rule)
    want = nf.round(a * b, fmt, "stochastic", seed=123, sr_bits=k, sr_rule=rule)
    assert _same(got, want)


def test_stochastic_below_the_smallest_value_of_a_format_without_zero():
    """Regression: e8m0 has no zero, and every mode rounds a positive result below its smallest
    value 2**-127 up to it; stochastic rounding gave NaN there (its zero has no image)."""
    a, b = np.array([2.0**-127, 2.0**-100]), np.array([2.0**-127, 2.0**-27])
    for k in (1, 8):
        got = nf.mul(a, b, "e8m0", "stochastic", sr_bits=k, random_bits=np.zeros(2, np.int64))
        assert got.tolist() == [2.0**-127, 2.0**-127]


def test_stochastic_is_reproducible_and_unbiased():
    a = np.full(100_000, 1.0)
    b = np.full(100_000, 2.0**-9)               # 1 + 2**-9 lies 1/4 of the way to 1 + 2**-7
    r1 = nf.add(a, b, "bfloat16", "stochastic", seed=5)
    assert nf.last_seed() == 5
    assert _same(r1, nf.add(a, b, "bfloat16", "stochastic", seed=5))
    assert abs(float(np.mean(r1)) - (1 + 2.0**-9)) < 2e-5


# ----------------------------------------------------------------------------- properties
def _fmt_values(n=2, **kw):
    return formats(**kw).flatmap(lambda f: st.tuples(st.just(f), *[values(f, allow_special=True)] * n))


@settings(**SETTINGS)
@given(_fmt_values(), rounding_modes())
def test_add_and_mul_commute(fv, mode):
    """a + b = b + a and a * b = b * a; an invalid operation (Inf - Inf, 0 * Inf) in a format
    without NaN raises ValueError in both orders."""
    fmt, a, b = fv

    def result(op, x, y):
        try:
            return op(x, y, fmt, mode)
        except ValueError as err:
            assert not fmt.has_nan and "invalid" in str(err)
            return "invalid"

    for op in (nf.add, nf.mul):
        ab, ba = result(op, a, b), result(op, b, a)
        assert (ab == ba == "invalid") if "invalid" in (ab, ba) else _same(ab, ba)


@settings(**SETTINGS)
@given(_fmt_values(1), rounding_modes())
def test_identities(fv, mode):
    fmt, x = fv
    assume(not math.isnan(x) and x != 0)
    assert _is(nf.add(x, 0.0, fmt, mode), x) if fmt.zero else True
    one = float(nf.round(1.0, fmt, "toward_zero", "saturate"))
    if one == 1.0:
        assert _is(nf.mul(x, 1.0, fmt, mode), x)
        assert _is(nf.div(x, 1.0, fmt, mode), x)


_MIRROR = {"toward_positive": "toward_negative", "toward_negative": "toward_positive"}


@settings(**SETTINGS)
@given(_fmt_values(signed=True), rounding_modes(), st.sampled_from(["add", "sub", "mul", "div"]))
def test_sign_symmetry(fv, mode, op):
    """op(-a, -b) = -op(a, b) (add, sub) or op(a, b) (mul, div), mirroring directed modes;
    zero results are compared by value (their sign depends on the mode, not on symmetry)."""
    fmt, a, b = fv
    f = getattr(nf, op)
    with np.errstate(invalid="ignore"):
        try:
            x = float(f(a, b, fmt, mode))
        except ValueError:
            return                                   # invalid in a format without NaN
        mirrored = _MIRROR.get(mode, mode) if op in ("add", "sub") else mode
        y = float(f(-a, -b, fmt, mirrored))
    want = -x if op in ("add", "sub") else x
    assert (math.isnan(want) and math.isnan(y)) or y == want


@settings(**SETTINGS)
@given(_fmt_values(signed=None), rounding_modes())
def test_sqrt_monotone(fv, mode):
    fmt, a, b = fv
    assume(not (math.isnan(a) or math.isnan(b)))
    a, b = sorted((abs(a), abs(b)))                  # sorted magnitudes: no examples rejected
    ra, rb = float(nf.sqrt(a, fmt, mode)), float(nf.sqrt(b, fmt, mode))
    assume(not math.isnan(rb))                       # sqrt(b) overflows a format without Inf
    assert ra <= rb


@settings(**SETTINGS)
@given(_fmt_values(), rounding_modes(), st.sampled_from(["add", "mul"]))
def test_exact_float64_results_round_like_numfmt_round(fv, mode, op):
    """Where a + b or a * b is exact in float64, the operation is numfmt.round of it: an
    independent check that covers every format the MPFR oracle does not (random widths,
    unsigned, no subnormals, no zero)."""
    fmt, a, b = fv
    assume(math.isfinite(a) and math.isfinite(b))
    exact = _exact(op, a, b)
    with np.errstate(over="ignore"):
        r = a + b if op == "add" else a * b
    # zero results are left out: their sign follows the operation's rules (test_special_cases)
    assume(math.isfinite(r) and Fraction(r) == exact and r != 0 and abs(r) >= 2.0**-1022)
    try:
        want = nf.round(r, fmt, mode)
    except ValueError:                                                 # no image in a NaN-less format
        return
    assert _same(getattr(nf, op)(a, b, fmt, mode), want)


@pytest.mark.parametrize("fmt", ["bfloat16", "binary16", "binary32", "e4m3", "e2m1", "p3109_p1"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "fma"])
def test_float64_route_equals_exact_core(op, fmt):
    """add / sub / mul / div / fma take the float64 route (TwoSum; exact products; the
    quotient's exact remainder): it must give bit for bit what the exact core gives, specials,
    signed zeros and (fma) cancellation of the product included, in the deterministic modes
    and under stochastic rounding (explicit and seeded random bits, both rules, k up to the
    route's limit)."""
    from numfmt.casts.floating import kernel_params, sr_params
    from numfmt.rounding import rounding_mode

    f = nf.format(fmt)
    rng = np.random.default_rng(len(op) + f.bits)
    n = 20_000
    special = np.array([0.0, -0.0, inf, -inf, nan, f.info.max, -f.info.max, f.info.smallest_subnormal])
    x = np.asarray(nf.round(rng.standard_normal(n) * 2.0 ** rng.integers(-30, 30, n), f, overflow="saturate"),
                   np.float64)
    x[::7] = rng.choice(special if f.has_inf else special[np.isfinite(special)], x[::7].size)
    with np.errstate(invalid="ignore"):
        y = np.where(rng.random(n) < 0.4, -x * (1 + 2.0 ** -f.man_bits * rng.integers(-2, 3, n)), np.roll(x, 3))
    y = np.where(np.isfinite(y), np.asarray(nf.round(np.nan_to_num(y), f, "toward_zero", "saturate"), np.float64), y)
    with np.errstate(invalid="ignore", over="ignore"):   # fma's z: -x * y rounded (cancels), or y
        z = np.where(np.arange(n) % 3 == 0, -np.asarray(nf.round(x * y, f, overflow="saturate"), np.float64), y)
    check = kernel_params(f, True, rounding_mode("toward_zero"), "ieee", "ml_dtypes")[0]
    for mode in MODES:
        p = kernel_params(f, True, rounding_mode(mode), "ieee", "raise")[0]
        rdn = int(mode == "toward_negative")
        _assert_route_equals_core(op, x, y, z, p, rdn, None, NO_RANDOM_BITS, check)
    # stochastic rounding: the route needs precision + k <= 51; explicit and seeded bits (the
    # rounding step is common to every op's route: add and fma, a two- and a three-operand op)
    for k in sorted({1, 7, 32, 51 - f.man_bits - 1}) if op in ("add", "fma") else ():
        for rule in ("add", "nearest"):
            p = kernel_params(f, True, rounding_mode("stochastic"), "ieee", "raise")[0]
            sr = sr_params(f, True, k, rule)
            rand = rng.integers(0, 1 << k, x.size)
            _assert_route_equals_core(op, x, y, z, p, 0, sr, rand, check)
            _assert_route_equals_core(op, x, y, z, p, 0, sr, np.empty(0, np.int64), check)


def _assert_route_equals_core(op, x, y, z, p, rdn, sr, rand, check):
    """The float64 route's kernel and the exact core's give the same bits (no operand flagged)."""
    from numfmt.kernels.arith import KERNELS, ROUTE_KERNELS

    route, core = np.empty(x.size), np.empty(x.size)
    bad = np.zeros(3, np.int64)             # route: [not values, left the route]; core: [not values]
    ROUTE_KERNELS[op](x, route, 0, y, z, p, rdn, sr, rand, np.uint64(5), check, bad[:2])
    KERNELS[op](x, core, 0, y, z, p, rdn, sr, rand, np.uint64(5), check, bad[2:])
    assert not bad.any()
    assert np.array_equal(route.view(np.int64), core.view(np.int64)), (op, p, sr)


@pytest.mark.parametrize("fmt", ["binary32", "e4m3", "e2m1"])
def test_quotient_route_equals_exact_core(fmt):
    """The quotient kernels (div of any float64 operands, for ``numfmt.scaling``): the float64
    route serves zeros, specials and x, y, x / y in [2**-900, 2**901], bit for bit what the
    exact core gives, across the edges of that range, for 53-bit operands, infinities, NaN and
    subnormals; elsewhere it flags the call for the exact core (bad[1]), and numfmt.div's
    results there are the exact core's."""
    from numfmt.arithmetic.floating import elementwise
    from numfmt.casts.floating import kernel_params
    from numfmt.kernels.arith import KERNELS, ROUTE_KERNELS
    from numfmt.rounding import rounding_mode

    f = nf.format(fmt)
    rng = np.random.default_rng(f.bits)
    n = 30_000
    edges = np.array([-1200, -1074, -1022, -960, -901, -900, -899, -450, -60, 0, 60, 450, 899, 900, 901, 960, 1023])
    x = rng.uniform(1, 2, n) * 2.0 ** rng.choice(edges, n) * rng.choice([-1, 1], n)
    y = rng.uniform(1, 2, n) * 2.0 ** rng.choice(edges, n) * rng.choice([-1, 1], n)
    m, e = np.frexp(y[::5])
    y[::5] = np.ldexp(np.round(np.ldexp(m, 24)), e - 24)      # 24-bit divisors, as fit's scales
    # quotients next to values of the format and to midpoints, where the odd bit decides
    grid = np.asarray(f.values() if f.bits <= 16 else nf.round(rng.standard_normal(999), f), np.float64)
    grid = grid[np.isfinite(grid)]
    v = rng.choice(grid, n) * (1 + rng.choice([0.0, 2.0 ** -(f.man_bits + 1)], n)) * 2.0 ** rng.choice(edges // 2, n)
    near = rng.random(n) < 0.5
    far = rng.random(n) < 0.2                     # tiny or huge operands, quotients near the grid
    far_exp = np.where(rng.random(n) < 0.5, rng.integers(-1070, -940, n), rng.integers(880, 1010, n))
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.where(near, v * y, x)
        y = np.where(far, np.float32(rng.uniform(1, 2, n)) * 2.0 ** far_exp, y)
        x = np.where(far, rng.choice(grid, n) * y, x)
    x = np.where(near & (rng.random(n) < 0.6), np.nextafter(x, rng.choice([-inf, inf], n)), x)
    x[::13] = rng.choice([0.0, -0.0, inf, -inf, nan, 5e-324], x[::13].size)
    y[::17] = rng.choice([0.0, -0.0, inf, nan, 5e-324, 1.0], y[::17].size)
    # the route serves zeros, specials, and operands and quotients in [2**-900, 2**901]
    with np.errstate(all="ignore"):
        q = np.abs(x / y)
    in_range = [(np.abs(v) >= 2.0 ** -900) & (np.abs(v) <= 2.0 ** 901) for v in (x, y, q)]
    served = (x == 0) | (y == 0) | ~np.isfinite(x) | ~np.isfinite(y) | (in_range[0] & in_range[1] & in_range[2])
    assert served.any() and (~served).any()
    check = kernel_params(f, True, rounding_mode("toward_zero"), "ieee", "ml_dtypes")[0]
    for mode in MODES:
        p = kernel_params(f, True, rounding_mode(mode), "saturate", "ml_dtypes")[0]
        rdn = int(mode == "toward_negative")
        for part, left in ((served, 0), (~served, 1)):
            xs, ys = x[part], y[part]
            route, core = np.empty(xs.size), np.empty(xs.size)
            bad = np.zeros(3, np.int64)
            ROUTE_KERNELS["quotient"](xs, route, 0, ys, ys, p, rdn, None, NO_RANDOM_BITS, np.uint64(0), check, bad[:2])
            KERNELS["quotient"](xs, core, 0, ys, ys, p, rdn, None, NO_RANDOM_BITS, np.uint64(0), check, bad[2:])
            assert bad[0] == bad[2] == 0                 # the quotient kernels check no operand
            assert bad[1] == left, (fmt, mode)           # the route flags what it leaves to the core
            if not left:
                assert np.array_equal(route.view(np.int64), core.view(np.int64)), (fmt, mode)
        xs, ys = x[~np.isnan(q)], y[~np.isnan(q)]       # (e2m1 has no NaN: elementwise refuses one)
        whole = elementwise("quotient", (xs, ys), f, rounding_mode(mode), "saturate", None)
        core = np.empty(xs.size)
        KERNELS["quotient"](xs, core, 0, ys, ys, p, rdn, None, NO_RANDOM_BITS, np.uint64(0), check, np.zeros(1, np.int64))
        assert np.array_equal(whole.view(np.int64), core.view(np.int64)), (fmt, mode)
