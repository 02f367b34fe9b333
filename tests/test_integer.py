"""Integers and fixed point: codes, every rounding mode against exact arithmetic, overflow
policies, stochastic rounding, and affine quantization against onnxruntime."""
from fractions import Fraction
import math

import numpy as np
import pytest
from sampling import ci_grid

import numfmt as nf

FORMATS = ["int2", "int4", "uint4", "int8", "uint8", "int16", "q3.4", "uq4.4", "fixed<12,10>", "int32"]


def _reference(x: float, fmt, mode: str) -> int:
    """The rounded, saturated integer k of x * 2**frac_bits, from exact rationals."""
    s = Fraction(x) * 2 ** fmt.frac_bits
    t = math.trunc(s)
    f = abs(s - t)
    sign = 1 if s >= 0 else -1
    away = {"nearest_even": f > Fraction(1, 2) or (f == Fraction(1, 2) and t % 2 == 1),
            "nearest_away": f >= Fraction(1, 2), "toward_zero": False,
            "toward_positive": f > 0 and s > 0, "toward_negative": f > 0 and s < 0,
            "odd": f > 0 and t % 2 == 0}[mode]
    return min(max(t + sign if away else t, fmt.min_int), fmt.max_int)


@pytest.mark.parametrize("name", FORMATS)
def test_every_code_round_trips(name):
    fmt = nf.format(name)
    codes = np.arange(1 << min(fmt.bits, 16), dtype=np.uint32)
    if fmt.bits > 16:
        codes = np.concatenate([np.random.default_rng(0).integers(0, 1 << fmt.bits, 100000),
                                [0, fmt.max_int, fmt.max_int + 1, (1 << fmt.bits) - 1]]).astype(np.uint32)
    values = nf.decode(codes, fmt, dtype=np.float64)
    assert np.array_equal(nf.encode(values, fmt), codes)
    assert values.min() == fmt.info.min and values.max() == fmt.info.max


@pytest.mark.parametrize("fmt", [nf.format("int8"), nf.format("uint4"), nf.FixedFormat(12, 4), nf.FixedFormat(3, 64),
                                 nf.FixedFormat(24, 23), nf.FixedFormat(20, 64, signed=False), nf.FixedFormat(32, 31)],
                         ids=str)
def test_decode_equals_the_exact_values(fmt):
    """decode gives k * 2**-frac_bits, k the two's-complement integer of the code, rounded once
    to the dtype (exact fractions), from codes of any integer dtype: every code (a sample of
    the wide ones), into float32 and float64; the smallest scales (2**-64: the float32
    product of a 24-bit k is a subnormal there) included."""
    rng = np.random.default_rng(4)
    n = 1 << fmt.bits
    codes = np.arange(n) if fmt.bits <= 16 else np.concatenate([rng.integers(0, n, 20000), [0, 1, n - 1, n // 2]])
    k = np.where(codes > fmt.max_int, codes - n, codes) if fmt.signed else codes
    exact = np.array([float(Fraction(int(v), 2 ** fmt.frac_bits)) for v in k])   # (float64 holds each)
    for dtype in (np.float32, np.float64) if fmt.bits <= 24 else (np.float64,):
        want = exact.astype(dtype)      # one rounding of the exact value
        for code_type in (np.uint64, np.int64, np.uint32):
            got = nf.decode(codes.astype(code_type), fmt, dtype=dtype)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8), err_msg=f"{dtype} {code_type}")


@pytest.mark.parametrize("name,mode", ci_grid(FORMATS, ["nearest_even", "nearest_away", "toward_zero",
                                                       "toward_positive", "toward_negative", "odd"], k=20))
def test_rounding_equals_exact_reference(name, mode):
    fmt = nf.format(name)
    rng = np.random.default_rng(1)
    ulp = 2.0 ** -fmt.frac_bits
    k = rng.integers(fmt.min_int - 3, fmt.max_int + 3, 2000)
    ties = (k + 0.5) * ulp
    x = np.concatenate([ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf), k * ulp,
                        rng.uniform(fmt.info.min * 1.1 - 1, fmt.info.max * 1.1 + 1, 2000), [0.0, -0.0, 1e300, -1e300]])
    got = nf.encode(x, fmt, mode)
    expected = np.array([_reference(v, fmt, mode) for v in x]) & ((1 << fmt.bits) - 1)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(nf.round(x, fmt, mode), nf.decode(got, fmt, dtype=np.float64))


def test_overflow_policies_and_nan():
    x = np.array([127.4, 128.0, 300.0, -129.0, np.inf])
    assert nf.round(x, "int8").tolist() == [127, 127, 127, -128, 127]
    assert nf.round(x[:4], "int8", overflow="wrap").tolist() == [127, -128, 44, 127]
    with pytest.raises(OverflowError, match="overflow int8"):
        nf.round(x, "int8", overflow="raise")
    assert nf.round([127.4, -128.4], "int8", overflow="raise").tolist() == [127, -128]
    for value, mode in [(128.0, "nearest_even"), (127.5, "nearest_even"), (127.1, "toward_positive"),
                        (-128.5, "nearest_away"), (np.inf, "nearest_even")]:
        with pytest.raises(OverflowError, match="overflow int8"):   # rounds past the range
            nf.round([value], "int8", mode, overflow="raise")
    assert nf.round([127.9], "int8", "toward_zero", overflow="raise").tolist() == [127]
    with pytest.raises(ValueError, match="NaN"):
        nf.round([np.nan], "int8")
    assert nf.round([np.nan, 1.0], "int8", nan="zero").tolist() == [0, 1]
    # a misspelt or foreign policy raises before any NaN comes (it was taken as "raise")
    for fmt, nan in (("int8", "zeros"), ("int8", "ml_dtypes"), ("posit8", "bogus")):
        with pytest.raises(ValueError, match="nan must be one of"):
            nf.round([1.0], fmt, nan=nan)
    assert nf.round([np.nan, 1.0], "posit8", nan="ml_dtypes").tolist()[1] == 1.0     # posits: NaR either way
    with pytest.raises(ValueError, match="infinities"):
        nf.round([np.inf], "int8", overflow="wrap")


def test_names_and_q_notation():
    assert nf.format("q3.4") == nf.FixedFormat(8, 4) == nf.format("fixed<8,4>")
    assert nf.format("uq4.4") == nf.FixedFormat(8, 4, signed=False)
    assert nf.format("int5") == nf.IntFormat(5)
    assert nf.format("uint8").info.max == 255
    assert nf.format("q3.4").values()[:3].tolist() == [0.0, 0.0625, 0.125]


@pytest.mark.parametrize("rule", ["add", "nearest"])
def test_stochastic_probability_exact(rule):
    """Enumerate all 2**k random integers: the count of round-aways is the rule's d exactly."""
    k = 4
    x = np.random.default_rng(2).uniform(-7, 7, 200)
    y = nf.round(np.repeat(x[:, None], 16, axis=1), "q3.4", "sr", sr_bits=k, sr_rule=rule,
                 random_bits=np.tile(np.arange(16), (x.size, 1)))
    lo = nf.round(x, "q3.4", "toward_zero")
    for xi, li, row in zip(x, lo, y):
        f = abs(Fraction(xi) - Fraction(float(li))) * 16      # the fraction of one step (1/16)
        d = (f * 16).numerator // (f * 16).denominator if rule == "add" else round(f * 16)
        assert np.sum(row != li) == d


def test_stochastic_seeded_is_unbiased_and_reproducible():
    x = np.full(100000, 0.3)
    y = nf.round(x, "int8", "sr", seed=3)
    assert abs(y.mean() - 0.3) < 5 * 0.5 / np.sqrt(x.size)
    np.testing.assert_array_equal(y, nf.round(x, "int8", "sr", seed=3))


def test_quantize_affine_matches_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    rng = np.random.default_rng(4)
    x = np.concatenate([rng.standard_normal(20000) * 3, (np.arange(-300, 300) + 0.5) * 0.02]).astype(np.float32)
    x = x.reshape(-1, 4)
    for qtype, np_type, zp in [(TensorProto.INT8, np.int8, -3), (TensorProto.UINT8, np.uint8, 128)]:
        for axis, scale in [(None, np.float32(0.02)), (1, np.array([0.02, 0.05, 0.013, 0.1], np.float32))]:
            zero = np.full(np.shape(scale), zp, np_type)
            node = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], **({} if axis is None else {"axis": axis}))
            graph = helper.make_graph([node], "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                                      [helper.make_tensor_value_info("y", qtype, x.shape)],
                                      [helper.make_tensor("s", TensorProto.FLOAT, np.shape(scale), np.ravel(scale)),
                                       helper.make_tensor("z", qtype, np.shape(scale), np.ravel(zero))])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
            model.ir_version = 8
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            expected = session.run(None, {"x": x})[0]
            got = nf.quantize_affine(x, "int8" if np_type == np.int8 else "uint8", scale, zp, axis=axis)
            np.testing.assert_array_equal(got, expected)
            back = nf.dequantize_affine(got, scale, zp, axis=axis)
            assert np.all(np.abs(back - x)[(got > np.iinfo(np_type).min) & (got < np.iinfo(np_type).max)]
                          <= np.broadcast_to(scale, x.shape)[(got > np.iinfo(np_type).min) & (got < np.iinfo(np_type).max)] / 2 * 1.0001)


@pytest.mark.parametrize("name", ["int8", "uint8", "int4", "int16", "int32", "uint32"])
def test_quantize_affine_float32_recipe_in_one_pass(name):
    """``kernels.fixed.affine_nearest_even`` equals the recipe written in NumPy (float32 x and
    scale, the float32 quotient rounded half to even, plus the zero point, saturated to fmt,
    with no clamp between: a clamp of the quotient to int32's range took uint32's quotients of
    2**31 and more to 2**31 - 1, and int32's with a negative zero point to 2**31 - 1 plus it):
    per tensor, per channel with channels in rows (axis 0, 1) or in columns (the last axis),
    chunks of several threads, float64 inputs beyond float32, huge quotients, the zero points
    at the ends of the range."""
    fmt = nf.format(name)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((6, 5, 40000)) * np.float64(fmt.max_int) / 4
    x[0, 0, :8] = [np.inf, -np.inf, 1e39, -1e39, 3e38, 2.0 ** 40, 0.5, -0.5]
    x[0, 0, 8:16] = np.array([1, -1, 2, -2, 3, -3, 0.75, -0.75]) * (fmt.max_int - fmt.min_int)
    zp = lambda n: rng.integers(fmt.min_int, fmt.max_int, n, endpoint=True) // 3        # noqa: E731
    ends = np.resize([fmt.min_int, fmt.max_int, fmt.min_int + 1, fmt.max_int - 1], 40000)
    for axis, scale, zero in [(None, 0.37, zp(1)[0]), (None, 1.0, fmt.min_int), (None, 0.5, fmt.max_int),
                              (0, rng.uniform(0.01, 3, 6), zp(6)), (1, rng.uniform(0.01, 3, 5), 0),
                              (2, rng.uniform(0.01, 3, 40000), zp(40000)), (2, rng.uniform(0.5, 2, 40000), ends)]:
        shape = [1, 1, 1]
        if axis is not None:
            shape[axis] = -1
        with np.errstate(over="ignore", invalid="ignore"):
            x32, s32 = x.astype(np.float32), np.reshape(scale, shape if axis is not None else ()).astype(np.float32)
            r = np.rint(x32 / s32).astype(np.float64)
        expected = np.clip(r + np.reshape(zero, shape if axis is not None else ()), fmt.min_int, fmt.max_int)
        old = nf.get_num_threads()
        for threads in (1, 2):
            nf.set_num_threads(threads)
            try:
                got = nf.quantize_affine(x, fmt, scale, zero, axis=axis)
            finally:
                nf.set_num_threads(old)
            np.testing.assert_array_equal(got, expected.astype(got.dtype))
    with pytest.raises(ValueError, match="NaN"):
        nf.quantize_affine(np.array([1.0, np.nan]), fmt, 0.5)


def test_quantize_affine_exact_differs_from_float32_only_when_float32_misrounds():
    x = np.array([2.5000002], np.float32)          # x / 1e-7 in float32 is not the exact quotient
    scale = np.float32(1e-7)
    exact = nf.quantize_affine(x, "int32", scale, exact=True)
    quotient = Fraction(float(x[0])) / Fraction(float(scale))
    assert exact[0] == round(quotient)
    assert nf.choose_qparams(np.array([-1.0, 1.0]), "int8", symmetric=True) == (1.0 / 127.5, 0)


from hypothesis import given, settings, strategies as st  # noqa: E402

from numfmt import testing  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_property_fixed_round_is_nearest_representable_idempotent(data):
    fmt = data.draw(testing.fixed_formats(max_bits=20))
    x = data.draw(testing.fixed_rounding_cases(fmt))
    for mode in ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"):
        y = float(nf.round(np.float64(x), fmt, mode))
        assert y * 2 ** fmt.frac_bits == _reference(x, fmt, mode)
        assert float(nf.round(np.float64(y), fmt, mode)) == y
    lo, hi = sorted([x, data.draw(testing.fixed_rounding_cases(fmt))])
    assert nf.round(np.float64(lo), fmt) <= nf.round(np.float64(hi), fmt)


@settings(max_examples=300, deadline=None)
@given(testing.requantize_cases(), st.sampled_from(["half_even", "half_up", "half_away", "toward_zero", "floor"]))
def test_property_requantize_exact(case, rounding):
    z, b, c = case
    got = nf.dyadic.requantize(np.array([z], np.int32), b, c, out="int32", rounding=rounding)[0]
    p = z * b
    q, r = p >> c, p & ((1 << c) - 1)
    half = (1 << c) >> 1
    up = c > 0 and {"half_even": r > half or (r == half and q % 2 == 1), "half_up": r >= half,
                    "half_away": r > half or (r == half and p >= 0), "toward_zero": r != 0 and p < 0,
                    "floor": False}[rounding]
    assert got == min(max(q + up, -(1 << 31)), (1 << 31) - 1)


_MODES = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd", "stochastic"]


@st.composite
def _fast_cases(draw):
    """(fmt, x, mode, overflow, stochastic keywords): inputs at and next to the steps' midpoints,
    past both ends, and NaN, Inf, huge and tiny values, float32 or float64."""
    fmt = nf.FixedFormat(draw(st.integers(2, 32)), draw(st.sampled_from([0, 0, 1, 4, 12, 40, 64])),
                         draw(st.booleans()))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 3e38, -1e300, 1e-45, -1e-40, 5e-324,
                               2.0 ** 40 + 2.0 ** 8, -(2.0 ** 62) - 2.0 ** 20])
    finite = st.floats(width=32 if dtype == np.float32 else 64, allow_nan=False, allow_infinity=False)
    x = draw(st.lists(st.one_of(testing.fixed_rounding_cases(fmt), special, finite), min_size=1, max_size=40))
    mode = draw(st.sampled_from(_MODES))
    sr = dict(seed=draw(st.integers(0, 2 ** 32)), sr_bits=draw(st.sampled_from([1, 5, 32, 62])),
              sr_rule=draw(st.sampled_from(["add", "nearest"]))) if mode == "stochastic" else {}
    with np.errstate(over="ignore"):           # float64 values beyond float32: Inf
        x = np.array(x, dtype)
    return fmt, x, mode, draw(st.sampled_from(["saturate", "wrap"])), sr


def _exact_integers(x, fmt, mode, overflow, sr):
    """The integers of the exact kernel (``divide_round`` on float64; NaN as 0)."""
    from numfmt.casts.fixed import divide_round
    from numfmt.rounding import rounding_mode
    from numfmt.stochastic import stochastic_args

    mode = rounding_mode(mode)
    args = stochastic_args(mode, x.shape, sr.get("seed"), sr.get("sr_bits"), sr.get("sr_rule", "add"), None)
    flat = np.where(np.isnan(x), 0.0, x.astype(np.float64))
    return divide_round(flat, 2.0 ** -fmt.frac_bits, mode, fmt.min_int, fmt.max_int, overflow == "wrap", args)


def _check_float_domain(fmt, x, mode, overflow, sr):
    k = _exact_integers(x, fmt, mode, overflow, sr)
    codes = nf.encode(x, fmt, mode, overflow, nan="zero", **sr)
    np.testing.assert_array_equal(codes, (k & ((1 << fmt.bits) - 1)).astype(codes.dtype))
    values = nf.round(x, fmt, mode, overflow, nan="zero", **sr)
    assert values.dtype == (np.float32 if x.dtype == np.float32 and fmt.bits <= 24 else np.float64)
    np.testing.assert_array_equal(values.view(f"u{values.itemsize}"),
                                  (k * 2.0 ** -fmt.frac_bits).astype(values.dtype).view(f"u{values.itemsize}"))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_fast_cases())
def test_property_float_domain_cast_equals_exact_kernel(case):
    """The float-domain casts (``kernels.fixed.cast_fast``) equal the exact integer kernel bit
    for bit: values, codes, every mode, saturate and wrap, float32 and float64 inputs, random
    widths, fraction bits and signedness."""
    fmt, x, mode, overflow, sr = case
    if overflow == "wrap":
        x = np.where(np.isinf(x), 0, x)
    _check_float_domain(fmt, x, mode, overflow, sr)


@pytest.mark.parametrize("name", ["int8", "uq4.4"])
def test_float_domain_cast_equals_exact_kernel_sample(name):
    """CI's sample of the property above (8-bit formats: the kernels the other tests compile):
    steps' midpoints and their neighbours, both ends, NaN, huge and tiny values; every mode,
    stochastic (float32) with 3 and 32 bits under both rules; saturate and wrap; float32 and
    float64."""
    fmt = nf.format(name)
    rng = np.random.default_rng(5)
    ulp = 2.0 ** -fmt.frac_bits
    mids = (rng.integers(fmt.min_int - 3, fmt.max_int + 3, 200) + 0.5) * ulp
    x = np.concatenate([mids, np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf), mids - ulp / 2,
                        rng.standard_normal(200) * fmt.info.max, rng.standard_normal(50) * 1e-3,
                        [np.nan, 0.0, -0.0, 3e38, -3e38, 1e-45, -1e-40, 2.0 ** 30 + 2.0 ** 8]])
    for dtype in (np.float32, np.float64):
        for mode in _MODES[:-1] if dtype == np.float64 else _MODES:      # (float64 SR: the tests above)
            for sr in ([dict(seed=7, sr_bits=3, sr_rule="nearest"), dict(seed=7, sr_bits=32)]
                       if mode == "stochastic" else [{}]):
                for overflow in ("saturate", "wrap"):
                    _check_float_domain(fmt, x.astype(dtype), mode, overflow, sr)
