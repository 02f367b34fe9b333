"""numfmt.scaling: x / scale rounded exactly once (against Fractions and the reference
rounding), the power-of-two fast route against the general one, the fitted scales (max,
percentile, mse search) and the guarantees of the search, proved on exact sums of squared
errors: mse never worse than max, asymmetric never worse than symmetric, per channel never
worse than per tensor."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import numfmt as nf
from numfmt import reference, scaling
from numfmt.rounding import Rounding, rounding_mode
from numfmt.stochastic import StochasticArgs

MODES = ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd")
FLOATS = ("e4m3", "e2m1", "e3m2", "e5m2", "bfloat16")
FIXED = ("int8", "int4", "fixed<8,3>")
SEARCH_FORMATS = ("e4m3", "e2m1", "e3m2", "int8", "int4")


def _fixed_oracle(value: Fraction, fmt, mode: str) -> float:
    """value rounded to the fixed-point format (saturated), from Fractions."""
    k = value * 2 ** fmt.frac_bits
    lo = k.numerator // k.denominator
    frac = k - lo
    if frac:
        up = {"nearest_even": frac > Fraction(1, 2) or (frac == Fraction(1, 2) and lo % 2 == 1),
              "nearest_away": frac > Fraction(1, 2) or (frac == Fraction(1, 2) and k > 0),
              "toward_zero": k < 0, "toward_positive": True, "toward_negative": False,
              "odd": lo % 2 == 0}[mode]
        lo += up
    return float(Fraction(min(max(lo, fmt.min_int), fmt.max_int), 2 ** fmt.frac_bits))


def _oracle(x: float, s: float, fmt, mode: str) -> float:
    """x / s (exact) rounded once to fmt, saturating: the q of ``quantize``."""
    value = Fraction(x) / Fraction(s)
    if fmt.family == "fixed":
        return _fixed_oracle(value, fmt, mode)
    return reference.round_value(value if x else x, fmt, mode, overflow="saturate")   # x = -0.0: -0


@st.composite
def quotient_cases(draw):
    """(fmt, x, s): quotients x / s at, next to and between values of the format, and anywhere."""
    fmt = nf.format(draw(st.sampled_from(FLOATS + FIXED)))
    kind = draw(st.integers(0, 2))
    if kind == 0:
        s = draw(st.floats(2.0 ** -60, 2.0 ** 60))
    elif kind == 1:
        s = float(np.float32(draw(st.floats(2.0 ** -60, 2.0 ** 60))))     # a 24-bit scale, as fit's
    else:
        s = 2.0 ** draw(st.integers(-60, 60))
    values = np.asarray(fmt.values(), dtype=np.float64)
    values = values[np.isfinite(values)]
    i = draw(st.integers(0, values.size - 2))
    lo, hi = sorted((values[i], values[i + 1]))
    target = draw(st.sampled_from([Fraction(lo), (Fraction(lo) + Fraction(hi)) / 2, Fraction(hi) * 2]))
    x = float(target * Fraction(s))
    x = float(np.nextafter(x, np.inf * draw(st.sampled_from([1, -1])))) if draw(st.booleans()) else x
    if draw(st.integers(0, 3)) == 0:
        x = draw(st.floats(-1e30, 1e30, allow_nan=False))
    return fmt, x, s


@settings(max_examples=300, deadline=None)
@given(quotient_cases(), st.sampled_from(MODES))
@example((nf.format("e2m1"), 3 - 2 ** -51, 1 - 2 ** -53), "toward_zero")   # float division gives 3
@example((nf.format("int8"), 2.5 * (1 + 2 ** -52), 1 + 2 ** -52), "nearest_even")
def test_quotient_is_rounded_once_exactly(case, mode):
    fmt, x, s = case
    want = _oracle(x, s, fmt, mode)
    got = scaling.quantize(np.array([x, -x]), fmt, s, mode)
    want_values = np.array([want, _oracle(-x, s, fmt, mode)]) * s
    np.testing.assert_array_equal(got, want_values)
    assert np.array_equal(np.signbit(got), np.signbit(want_values))


def test_float_division_would_round_twice():
    """The example of the docstring: x / s = 3 - 2**-53 exactly, which float64 division rounds
    to 3; rounded toward zero once it is 2."""
    x, s = 3 - 2 ** -51, 1 - 2 ** -53
    assert x / s == 3.0
    assert scaling.quantize([x], "e2m1", s, "toward_zero")[0] == 2 * s
    assert scaling.encode([x], "e2m1", s, "toward_zero")[0] == nf.encode(2.0, "e2m1")


def _stochastic_oracle(x: float, s: float, fmt, k: int, r: int) -> float:
    """Stochastic rounding with the rule "add": away from zero iff floor(f * 2**k) + r >= 2**k,
    f the exact fraction of the distance between the neighbours of x / s."""
    down = _oracle(x, s, fmt, "toward_zero")
    up = _oracle(x, s, fmt, "toward_positive" if x > 0 else "toward_negative")
    if down == up:
        return down
    f = (Fraction(x) / Fraction(s) - Fraction(down)) / (Fraction(up) - Fraction(down))
    d = (f * 2 ** k).numerator // (f * 2 ** k).denominator
    return up if d + r >= 2 ** k else down


@settings(max_examples=150, deadline=None)
@given(quotient_cases(), st.integers(1, 20), st.data())
def test_stochastic_quotient_matches_the_exact_fraction(case, k, data):
    fmt, x, s = case
    r = data.draw(st.integers(0, 2 ** k - 1))
    got = scaling.quantize([x], fmt, s, "stochastic", sr_bits=k, random_bits=[r])[0]
    assert got == _stochastic_oracle(x, s, fmt, k, r) * s


@pytest.mark.parametrize("fmt", FLOATS + FIXED)
def test_power_of_two_route_equals_general_route(fmt):
    """Power-of-two scales divide in float64 (exact without under- or overflow) and round with
    numfmt.round: bit for bit what the exact division gives, in every mode, stochastic included,
    also where the float64 quotient underflows (the fast route then steps aside)."""
    f = nf.format(fmt)
    rng = np.random.default_rng(7)
    n = 4000
    x = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    x[::97] = rng.choice([0.0, -0.0, 5e-324, -2.0 ** -1070, 1e300], x[::97].size)
    s = 2.0 ** rng.integers(-30, 30, n)
    s[::101] = 2.0 ** 60
    for mode in MODES + ("stochastic",):
        m = rounding_mode(mode)
        sr = StochasticArgs(123, 20, "add", None) if m == Rounding.STOCHASTIC else None
        fast = scaling._quotient(x, s, f, m, "saturate", sr, True)
        general = scaling._quotient(x, s, f, m, "saturate", sr, False)
        assert np.array_equal(fast.view(np.int64), general.view(np.int64)), mode
    squares, splitmix = (scaling.quantize(x, f, 0.75, "stochastic", seed=5, rng=rng) for rng in ("squares", "splitmix64"))
    assert not np.array_equal(squares, splitmix)          # rng chooses the generator


def test_values_codes_and_dequantize_agree():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 40)) * 3
    x[0, :3] = [-0.0, 0.0, -1e-30]
    for fmt in ("e4m3", "e2m1", "int4", "fixed<8,3>"):
        for scale in (scaling.fit(x, fmt), scaling.fit(x, fmt, axis=0, asymmetric=True),
                      scaling.fit(x, fmt, axis=1, objective="mse"), scaling.Scale(0.37, negative=0.5)):
            values = scaling.quantize(x, fmt, scale)
            codes = scaling.encode(x, fmt, scale)
            assert codes.dtype == nf.encode(0.0, fmt).dtype and codes.shape == x.shape
            back = scaling.dequantize(codes, fmt, scale)
            assert np.array_equal(back.view(np.int64), values.view(np.int64)), (fmt, scale)


def test_nan_and_infinity():
    got = scaling.quantize([np.nan, np.inf, -np.inf, 1e300], "e4m3", 0.5)
    assert np.isnan(got[0]) and got[1:].tolist() == [224.0, -224.0, 224.0]          # saturated
    assert np.isnan(scaling.quantize([np.inf], "e4m3", 0.5, overflow="ieee")[0])
    assert scaling.quantize([1e9], "e5m2", 2.0, overflow="ieee")[0] == np.inf
    with pytest.raises(OverflowError, match="overflow"):
        scaling.quantize([1e9], "e5m2", 2.0, overflow="raise")
    with pytest.raises(OverflowError, match="overflow int8"):
        scaling.quantize([1e9], "int8", 2.0, overflow="raise")
    for fmt in ("e2m1", "int8"):
        with pytest.raises(ValueError, match="NaN"):
            scaling.quantize([np.nan], fmt, 1.0)


# ----------------------------------------------------------------------------- fitted scales
def _exact_sse(x, values) -> Fraction:
    return sum(((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(x.ravel().tolist(), values.ravel().tolist())),
               Fraction(0))


def _products_are_exact(x, fmt, scale) -> None:
    """quantize's values are q * s exactly (fit's scales have scale_bits bits)."""
    codes = scaling.encode(x, fmt, scale)
    q = np.asarray(nf.decode(codes, fmt, np.float64))
    s = scale._for(np.where(np.signbit(q), -1.0, 1.0))
    values = scaling.quantize(x, fmt, scale)
    assert all(Fraction(v) == Fraction(a) * Fraction(b) for v, a, b in zip(values.ravel(), q.ravel(), s.ravel()))


@pytest.mark.parametrize("fmt", SEARCH_FORMATS + ("binary32", "int32"))
def test_max_scale_is_the_smallest_that_covers_amax(fmt):
    f = nf.format(fmt)
    bits = scaling.scale_bits(f)
    rng = np.random.default_rng(bits)
    x = rng.standard_normal((5, 33)) * 10.0 ** rng.integers(-8, 8, (5, 1))
    for pow2 in (False, True):
        scale = scaling.fit(x, fmt, axis=0, power_of_two=pow2)
        top = Fraction(float(f.info.max))
        for s, amax in zip(scale.values, np.abs(x).max(axis=1)):
            m, e = np.frexp(s)
            step = Fraction(s) / 2 if pow2 else Fraction(2) ** (int(e) - bits)
            assert Fraction(amax) <= top * Fraction(s) and Fraction(amax) > top * (Fraction(s) - step)
            assert m == 0.5 if pow2 else m * 2 ** bits == int(m * 2 ** bits)
        _products_are_exact(x, fmt, scale)
        assert scaling.quantize(x, fmt, scale).tolist() == scaling.quantize(x, fmt, scale, overflow="raise").tolist()


def test_percentile_and_asymmetric_max():
    x = np.concatenate([np.linspace(0, 1, 1001), [-0.25, 50.0]])
    s = scaling.fit(x, "e2m1", objective="percentile", percentile=99.0)
    assert Fraction(6) * Fraction(float(s.values)) >= Fraction(float(np.percentile(np.abs(x), 99.0)))
    assert scaling.quantize([50.0], "e2m1", s)[0] == 6 * float(s.values)        # clipped
    a = scaling.fit(x, "e2m1", asymmetric=True)       # each side's own amax: 50 and 0.25
    assert a.values == scaling.fit([50.0], "e2m1").values and a.negative == scaling.fit([0.25], "e2m1").values
    assert scaling.fit(np.zeros(5), "e4m3", objective="mse") == scaling.Scale(1.0)    # no nonzero value
    only_positive = scaling.fit([1.0, 2.0], "int8", asymmetric=True, objective="mse")
    assert float(only_positive.negative) == 1.0


@st.composite
def search_cases(draw):
    """(fmt, x, axis, power_of_two): small tensors, some with values on a coarse grid (many
    exactly equal sums of squared errors), some Gaussian with outliers."""
    fmt = draw(st.sampled_from(SEARCH_FORMATS))
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 12)))
    kind = draw(st.integers(0, 2))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    if kind == 0:
        x = rng.integers(-8, 9, shape) * 2.0 ** draw(st.integers(-10, 10))
    elif kind == 1:
        x = rng.standard_normal(shape)
        x[rng.random(shape) < 0.1] *= 30
    else:
        x = np.array(draw(st.lists(st.floats(-1e6, 1e6, width=32), min_size=shape[0] * shape[1],
                                   max_size=shape[0] * shape[1]))).reshape(shape)
    return nf.format(fmt), x, draw(st.sampled_from([None, 0, 1])), draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(search_cases(), st.sampled_from([None, 3]))
def test_search_guarantees_hold_exactly(case, sample):
    fmt, x, axis, pow2 = case

    def sse(**kw):
        scale = scaling.fit(x, fmt, power_of_two=pow2, **kw)
        return _exact_sse(x, scaling.quantize(x, fmt, scale)), scale

    for asym in (False, True):
        mse, scale = sse(axis=axis, objective="mse", asymmetric=asym, sample=sample)
        _products_are_exact(x, fmt, scale)
        assert mse <= sse(axis=axis, objective="max", asymmetric=asym)[0]
        if axis is not None:
            assert mse <= sse(objective="mse", asymmetric=asym, sample=sample)[0]
        if asym:
            assert mse <= sse(axis=axis, objective="mse", sample=sample)[0]


def test_mse_search_beats_max_on_heavy_tails():
    x = np.random.default_rng(0).standard_t(3, 4096)
    for fmt in ("e2m1", "int4"):
        errors = {obj: np.mean((scaling.quantize(x, fmt, scaling.fit(x, fmt, objective=obj)) - x) ** 2)
                  for obj in ("max", "mse")}
        assert errors["mse"] < 0.5 * errors["max"], (fmt, errors)


def test_exact_comparison_decides_float_ties():
    """Where the float64 sums of squared errors are too close to order, the search compares
    them exactly: here the float sums are made equal, and the exactly better scale must win."""
    fmt = nf.format("e2m1")
    x = np.array([[1.0, 1.4, 2.6, 5.9]])
    groups = scaling._Groups(x, False)
    a, b = np.array([[1.0]]), np.array([[0.75]])
    ea, eb = scaling._exact_sse(x[0], fmt, 1.0), scaling._exact_sse(x[0], fmt, 0.75)
    assert ea != eb
    better, worse = (a, b) if ea < eb else (b, a)
    tie = np.array([[1.0]])
    assert np.array_equal(scaling._never_worse(groups, fmt, worse, tie, [better], [tie]), better)
    assert np.array_equal(scaling._never_worse(groups, fmt, better, tie, [worse], [tie]), better)


def test_sample_searches_fewer_elements_with_the_same_guarantee():
    """The grid is searched on 500 of 5000 elements (the 62 largest, every 11th of the rest);
    the pick is compared with the max scale on all the data, so it is never worse."""
    x = np.random.default_rng(1).laplace(size=(3, 5000))
    top = scaling.fit(x, "e3m2", axis=0)
    sampled = scaling.fit(x, "e3m2", axis=0, objective="mse", sample=500)
    full = scaling.fit(x, "e3m2", axis=0, objective="mse")
    err = {k: np.sum((scaling.quantize(x, "e3m2", s) - x) ** 2, axis=1)
           for k, s in (("max", top), ("sampled", sampled), ("full", full))}
    assert np.all(err["sampled"] <= err["max"]) and np.sum(err["sampled"]) < 0.99 * np.sum(err["max"])
    assert np.all(err["full"] <= err["sampled"])
    assert scaling.fit(x, "e3m2", axis=0, objective="mse", sample=5000) == full


# ----------------------------------------------------------------------------- Scale and errors
def test_scale_repr_equality_and_checks():
    assert repr(scaling.Scale(0.5)) == "Scale(0.5)"
    assert repr(scaling.Scale(np.arange(1.0, 9.0), axis=0)) == "Scale([1.0, 2.0, ..., 8.0] (8 channels), axis=0)"
    assert repr(scaling.Scale([1.0, 2.0], axis=-1, negative=[0.5, 0.25])) == \
        "Scale([1.0, 2.0], axis=-1, negative=[0.5, 0.25])"
    s = scaling.Scale([1.0, 2.0], axis=0)
    assert s == scaling.Scale(np.array([1.0, 2.0]), axis=0) and s != scaling.Scale([1.0, 2.0], axis=1)
    assert s != scaling.Scale([1.0, 2.0], axis=0, negative=[1.0, 2.0])
    with pytest.raises(ValueError, match="read-only"):
        s.values[0] = 3.0
    with pytest.raises(AttributeError):
        s.axis = 1
    for bad, match in (((0.0,), "positive finite"), (([1.0, 2.0],), "positive finite number"),
                       ((1.0, 0), "1-d array"), ((np.nan,), "positive finite"),
                       (([1.0], 0, [1.0, 2.0]), "shape of values")):
        with pytest.raises(ValueError, match=match):
            scaling.Scale(*bad)
    with pytest.raises(TypeError, match="axis"):
        scaling.Scale(1.0, axis=1.5)


def test_argument_errors():
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match="posit"):
        scaling.quantize(x, "posit8", 1.0)
    with pytest.raises(TypeError, match="block"):
        scaling.fit(x, "mxfp4")
    with pytest.raises(ValueError, match="3 channels along axis 0"):
        scaling.quantize(x, "int8", scaling.Scale([1.0, 1.0, 1.0], axis=0))
    with pytest.raises(ValueError, match="axis must be an integer in"):
        scaling.quantize(x, "int8", scaling.Scale([1.0, 1.0], axis=2))
    with pytest.raises(ValueError, match="signed format"):
        scaling.fit(x, "uint8")
    with pytest.raises(ValueError, match="objective must be one of"):
        scaling.fit(x, "int8", objective="mae")
    with pytest.raises(ValueError, match="percentile"):
        scaling.fit(x, "int8", objective="percentile", percentile=0)
    with pytest.raises(ValueError, match="sample"):
        scaling.fit(x, "int8", objective="mse", sample=0)
    with pytest.raises(ValueError, match="finite"):
        scaling.fit([1.0, np.inf], "int8")
    with pytest.raises(ValueError, match="2\\*\\*480"):
        scaling.fit([1e300], "int8")
    with pytest.raises(ValueError, match="empty"):
        scaling.fit(np.zeros(0), "int8")
    with pytest.raises(ValueError, match="sr_bits must be at most 56"):
        scaling.quantize(x, "e4m3", 1.0, "stochastic", sr_bits=57)
    with pytest.raises(ValueError, match="rounding must be one of"):
        scaling.quantize(x, "e4m3", 1.0, "nearest")
    with pytest.raises(ValueError, match="positive finite"):
        scaling.quantize(x, "e4m3", -1.0)
