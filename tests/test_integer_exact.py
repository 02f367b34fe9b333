"""Integers, fixed point and affine quantization round the exact value (issue 12): every mode,
stochastic included, against a Python-int / Fraction reference over the whole float64 range
(subnormals to 1e308); wrap exact modulo 2**bits; the argument checks of quantize_affine,
choose_qparams and dequantize_affine."""
from fractions import Fraction
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numfmt as nf
from numfmt.quantize import TORCH_EPS

MODES = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd", "stochastic"]


def _round_exact(v: Fraction, mode: str, r: int = 0, k: int = 1, rule: str = "add") -> int:
    """The integer v rounds to in ``mode``; stochastic: away from zero iff d + r >= 2**k, d the
    discarded fraction f times 2**k, floored ("add") or rounded half to even ("nearest")."""
    t = math.trunc(v)
    f = abs(v - t)
    if mode == "stochastic":
        d = math.floor(f * 2 ** k) if rule == "add" else round(f * 2 ** k)   # round(): half to even
        away = d + r >= 2 ** k
    else:
        away = {"nearest_even": f > Fraction(1, 2) or (f == Fraction(1, 2) and t % 2 == 1),
                "nearest_away": f >= Fraction(1, 2), "toward_zero": False,
                "toward_positive": f > 0 and v > 0, "toward_negative": f > 0 and v < 0,
                "odd": f > 0 and t % 2 == 0}[mode]
    return t + (1 if v >= 0 else -1) * away


def _fixed_reference(x: float, fmt, mode: str, overflow: str, r: int = 0, k: int = 1, rule: str = "add") -> int:
    k_int = _round_exact(Fraction(x) * 2 ** fmt.frac_bits, mode, r, k, rule)
    if overflow == "wrap":
        return fmt.min_int + (k_int - fmt.min_int) % (1 << fmt.bits)
    return min(max(k_int, fmt.min_int), fmt.max_int)


# every finite float64 (subnormals and |x| up to 1.8e308), and values near ties of the grid
wide_floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                        st.floats(-1e300, 1e300, allow_nan=False),
                        st.integers(-(1 << 40), 1 << 40).map(lambda n: n / 2 + 0.0),
                        st.tuples(st.integers(-(1 << 20), 1 << 20), st.integers(-80, 80)).map(
                            lambda t: math.ldexp(t[0] + 0.5, t[1])).flatmap(
                            lambda v: st.sampled_from([v, math.nextafter(v, math.inf), math.nextafter(v, -math.inf)])))
formats = st.builds(nf.FixedFormat, st.integers(2, 32), st.sampled_from([0, 0, 1, 4, 12, 31, 52, 64]), st.booleans())


@settings(max_examples=400, deadline=None)
@given(formats, st.lists(wide_floats, min_size=1, max_size=8), st.sampled_from(MODES),
       st.sampled_from(["saturate", "wrap"]), st.integers(1, 62), st.sampled_from(["add", "nearest"]), st.data())
def test_property_fixed_rounding_is_exact(fmt, xs, mode, overflow, k, rule, data):
    x = np.array(xs, np.float64)
    sr = {}
    rand = [0] * len(xs)
    if mode == "stochastic":
        rand = data.draw(st.lists(st.integers(0, (1 << k) - 1), min_size=len(xs), max_size=len(xs)))
        sr = dict(sr_bits=k, sr_rule=rule, random_bits=np.array(rand, np.int64))
    got = nf.round(x, fmt, mode, overflow, **sr)
    expected = [_fixed_reference(v, fmt, mode, overflow, r, k, rule) * 2.0 ** -fmt.frac_bits for v, r in zip(xs, rand)]
    assert got.tolist() == expected


@pytest.mark.parametrize("x, fmt, expected", [
    (2.0 ** 60, "int8", 0), (2.0 ** 90, "int32", 0), (-2.0 ** 70, "int8", 0), (2.0 ** 63 + 2 ** 11, "int32", 2048),
    (2.0 ** 63 + 2 ** 11, "int16", 2048), (2.0 ** 52 + 129, "int8", -127), (-(2.0 ** 53 + 2), "uint8", 254),
    (1e300, "int32", 0), (3 * 2.0 ** 30, "int32", -(1 << 30)), (2.0 ** 40 + 0.75, "q3.4", 0.75),
])
def test_wrap_is_exact_modulo_2_to_the_bits(x, fmt, expected):
    """Regression: wrap of |x| >= 2**53 was computed in float64 (2**60 in int8 gave -128)."""
    assert nf.round(x, fmt, overflow="wrap").item() == expected
    f = nf.format(fmt)
    assert nf.round(x, fmt, overflow="wrap").item() == _fixed_reference(x, f, "nearest_even", "wrap") * 2.0 ** -f.frac_bits


def test_directed_and_stochastic_rounding_of_tiny_and_huge_values():
    """Subnormals and values far beyond the range in every mode (float64 scaling used to be
    the only path: x * 2**frac_bits underflowed or lost the sticky bits)."""
    tiny = 5e-324
    assert nf.round([tiny, -tiny], "q3.4", "toward_positive").tolist() == [0.0625, 0.0]
    assert nf.round([tiny, -tiny], "q3.4", "toward_negative").tolist() == [0.0, -0.0625]
    assert nf.round([tiny, -tiny], "fixed<32,64>", "odd").tolist() == [2.0 ** -64, -(2.0 ** -64)]
    # stochastic with 62 random bits: 2**-1074 * 2**62 is far below one unit of d, so d = 0
    assert nf.round([tiny], "int8", "sr", sr_bits=62, random_bits=[(1 << 62) - 1]).tolist() == [0.0]
    assert nf.round([1e300, -1e300], "int8", "toward_zero").tolist() == [127.0, -128.0]


# ------------------------------------------------------------------------------ quantize_affine
def _quantize_reference(x: float, scale: float, zp: int, fmt, mode: str, r: int = 0, k: int = 1, rule: str = "add"):
    if math.isinf(x):
        q = fmt.max_int if x > 0 else fmt.min_int
    else:
        q = _round_exact(Fraction(x) / Fraction(scale), mode, r, k, rule) + zp
    return min(max(q, fmt.min_int), fmt.max_int)


scales = st.one_of(st.floats(min_value=5e-324, max_value=1e308, allow_nan=False, allow_infinity=False),
                   st.floats(1e-3, 1e3), st.integers(-60, 60).map(lambda e: 2.0 ** e),
                   st.floats(0.0009765625, 1024.0, width=32))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(wide_floats, st.sampled_from([np.inf, -np.inf])), min_size=1, max_size=8), scales,
       st.sampled_from(["int8", "uint8", "int4", "int16", "int32", "uint4"]), st.sampled_from(MODES),
       st.integers(1, 62), st.sampled_from(["add", "nearest"]), st.data())
def test_property_quantize_affine_exact_every_mode(xs, scale, fmt_name, mode, k, rule, data):
    fmt = nf.format(fmt_name)
    zp = data.draw(st.integers(fmt.min_int, fmt.max_int))
    sr, rand = {}, [0] * len(xs)
    if mode == "stochastic":
        rand = data.draw(st.lists(st.integers(0, (1 << k) - 1), min_size=len(xs), max_size=len(xs)))
        sr = dict(sr_bits=k, sr_rule=rule, random_bits=rand)
    got = nf.quantize_affine(np.array(xs), fmt, scale, zp, exact=True, rounding=mode, **sr)
    assert got.tolist() == [_quantize_reference(v, scale, zp, fmt, mode, r, k, rule) for v, r in zip(xs, rand)]


def test_quantize_affine_exact_directed_modes():
    """Regression: x / scale was divided in float32 before the directed rounding (3 - 2**-30
    toward zero gave 3)."""
    x = np.array([3 - 2 ** -30, -(3 - 2 ** -30), 2.5, -2.5, 1 + 2 ** -40])
    expected = {"toward_zero": [2, -2, 2, -2, 1], "toward_positive": [3, -2, 3, -2, 2],
                "toward_negative": [2, -3, 2, -3, 1], "nearest_away": [3, -3, 3, -3, 1],
                "odd": [3, -3, 3, -3, 1], "nearest_even": [3, -3, 2, -2, 1]}
    for mode, values in expected.items():
        assert nf.quantize_affine(x, "int8", 1.0, exact=True, rounding=mode).tolist() == values
    # a quotient that float64 division rounds up to an integer: x / scale just below 10
    x, scale = 0.30000000000000004, 0.030000000000000006
    assert x / scale == 10.0 and Fraction(x) / Fraction(scale) < 10
    assert nf.quantize_affine([x], "int8", scale, exact=True, rounding="toward_zero").tolist() == [9]


def test_quantize_affine_float32_recipe_is_half_even_only():
    """exact=False (ONNX QuantizeLinear's float32 recipe, the default) would round twice in
    any other mode: a clear error pointing at exact=True."""
    with pytest.raises(ValueError, match="exact=True"):
        nf.quantize_affine([3 - 2 ** -30], "int8", 1.0, rounding="toward_zero")
    with pytest.raises(ValueError, match="exact=True"):
        nf.quantize_affine([0.3], "int8", 1.0, rounding="stochastic", seed=1)


def test_quantize_affine_exact_stochastic_is_seeded_and_unbiased():
    x = np.full(100000, 0.25)
    y = nf.quantize_affine(x, "int8", 0.1, exact=True, rounding="sr", seed=3)
    assert set(np.unique(y).tolist()) == {2, 3}
    assert abs(y.mean() - 2.5) < 5 * 0.5 / np.sqrt(y.size)
    np.testing.assert_array_equal(y, nf.quantize_affine(x, "int8", 0.1, exact=True, rounding="sr", seed=3))


def test_quantize_affine_zero_point_must_be_an_integer_in_range():
    """Regression: zero_point=300 for int8 saturated everything, 1.5 was truncated."""
    for zp in (300, -129, 1.5, np.nan, [1, 2.5]):
        with pytest.raises(ValueError, match="zero_point"):
            nf.quantize_affine(np.ones((2, 2)), "int8", 1.0, zp, axis=None if np.ndim(zp) == 0 else 1)
    with pytest.raises(ValueError, match="zero_point"):
        nf.quantize_affine([1.0], "uint8", 1.0, -1)
    assert nf.quantize_affine([1.0], "int8", 1.0, 3.0).tolist() == [4]          # an integral float is fine
    assert nf.quantize_affine([1.0], "uint8", 1.0, np.uint8(255)).tolist() == [255]


def test_axis_out_of_range_is_a_value_error():
    """Regression: axis=5 on a 2-d x raised IndexError."""
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="axis .*ndim 2"):
        nf.quantize_affine(x, "int8", np.ones(3), axis=5)
    with pytest.raises(ValueError, match="axis .*ndim 2"):
        nf.choose_qparams(x, "int8", axis=-3)
    with pytest.raises(ValueError, match="axis .*ndim 2"):
        nf.dequantize_affine(np.ones((2, 3), np.int8), np.ones(3), axis=2)
    with pytest.raises(ValueError, match="3 elements"):
        nf.quantize_affine(x, "int8", np.ones(2), axis=1)
    assert nf.quantize_affine(x, "int8", np.array([1.0, 0.5, 0.25]), axis=-1).tolist() == [[1, 2, 4]] * 2


def test_quantize_affine_keeps_a_0d_shape():
    """Regression: exact=False gave a 0-d x shape (1,) (exact=True and the backends gave ())."""
    for exact in (False, True):
        assert nf.quantize_affine(np.float32(2.0), "int8", 1.0, exact=exact).shape == ()
        assert nf.quantize_affine(np.array(-3.5), "uint8", 0.5, 10, exact=exact).tolist() == 3


def test_dequantize_affine_takes_integers_and_a_positive_scale():
    """Regression: float codes were truncated (1.5 -> 1.0, NaN -> -9.2e18), uint64 codes of 2**63
    and more wrapped negative, and a zero, negative or NaN scale went through; each is a
    ValueError now, naming the argument (ONNX DequantizeLinear takes integer tensors only)."""
    for q in (np.array([1.5, 2.0]), np.array([np.nan]), np.array([True])):
        with pytest.raises(ValueError, match="q must be integers"):
            nf.dequantize_affine(q, 1.0)
    with pytest.raises(ValueError, match="below 2\\*\\*63"):
        nf.dequantize_affine(np.array([2**64 - 1], np.uint64), 1.0)
    for scale in (0.0, -1.0, np.nan, np.inf, 1e39):
        with pytest.raises(ValueError, match="scale must be positive and finite"):
            nf.dequantize_affine([3], scale)
    assert nf.dequantize_affine(np.array([2**63 - 1], np.uint64), 1.0).tolist() == [2.0 ** 63]
    assert nf.dequantize_affine(np.array([7, 3], np.uint64), np.array([0.5, 2.0]), 1, axis=0).tolist() == [3.0, 4.0]


def test_choose_qparams_all_zero_and_empty():
    """Regression: an all-zero tensor gave scale 2.2e-308 and then a NaN error in quantize.
    torch.ao.quantization's observers floor the scale at torch.finfo(torch.float32).eps."""
    for symmetric in (False, True):
        for fmt in ("int8", "uint8"):
            scale, zp = nf.choose_qparams(np.zeros(10), fmt, symmetric=symmetric)
            assert scale == TORCH_EPS == 2.0 ** -23
            q = nf.quantize_affine(np.zeros(10), fmt, scale, zp)
            assert q.tolist() == [zp] * 10
            assert nf.dequantize_affine(q, scale, zp).tolist() == [0.0] * 10
    scale, zp = nf.choose_qparams(np.array([[0.0, 0.0], [1.0, -1.0]]), "int8", axis=0)
    assert scale.tolist() == [TORCH_EPS, 2 / 255] and zp.tolist() == [-128, 0]
    with pytest.raises(ValueError, match="empty"):
        nf.choose_qparams(np.array([]), "int8")
    with pytest.raises(ValueError, match="finite"):
        nf.choose_qparams(np.array([1.0, np.nan]), "int8")


def test_non_native_byte_order():
    x = np.array([1.5, 2.5, -7.25], dtype=">f4")
    native = x.astype(np.float32)
    for exact in (False, True):
        got = nf.quantize_affine(x, "int8", np.array(0.5, ">f8"), np.array(3, ">i2"), exact=exact)
        np.testing.assert_array_equal(got, nf.quantize_affine(native, "int8", 0.5, 3, exact=exact))
    assert nf.dequantize_affine(np.array([5], ">i4"), np.array([0.5], ">f4"), np.array([1], ">i4"), axis=0).tolist() == [2.0]
    assert nf.choose_qparams(np.array([-1.0, 3.0], ">f8"), "uint8") == nf.choose_qparams(np.array([-1.0, 3.0]), "uint8")


def test_exact_quantize_of_a_large_array_is_vectorized():
    """10**6 elements in a compiled kernel (the old exact path looped over Fractions)."""
    import time

    x = np.random.default_rng(0).standard_normal(10 ** 6) * 50
    nf.quantize_affine(x[:8], "int8", 0.37, exact=True)          # compile
    start = time.perf_counter()
    got = nf.quantize_affine(x, "int8", 0.37, exact=True)
    assert time.perf_counter() - start < 5.0
    sample = np.random.default_rng(1).integers(0, x.size, 2000)
    assert got[sample].tolist() == [_quantize_reference(float(x[i]), 0.37, 0, nf.format("int8"), "nearest_even")
                                    for i in sample]
