"""Dyadic requantization against exact Python-integer references (and gemmlowp's C semantics)."""
import math

import numpy as np
import pytest

import numfmt as nf
from numfmt import dyadic

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _round_shift(p: int, c: int, rounding: str) -> int:
    """round(p / 2**c) with Python integers."""
    if c == 0:
        return p
    q, r = p >> c, p & ((1 << c) - 1)          # floor quotient, remainder >= 0
    half = 1 << (c - 1)
    up = {"half_even": r > half or (r == half and q % 2 == 1), "half_up": r >= half,
          "half_away": r > half or (r == half and p >= 0), "toward_zero": r != 0 and p < 0,
          "floor": False, "toward_positive": r != 0, "odd": r != 0 and q % 2 == 0}[rounding]
    return q + up


def _c_div(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _srdhm(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _c_div(ab + nudge, 1 << 31)


def _rdbpot(x: int, e: int) -> int:
    mask = (1 << e) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + ((x & mask) > threshold)


def _gemmlowp(z: int, b: int, c: int) -> int:
    shift = 31 - c
    left, right = max(shift, 0), max(-shift, 0)
    assert INT32_MIN <= z << left <= INT32_MAX, "outside TFLite's domain (C++ would overflow)"
    return _rdbpot(_srdhm(z << left, b), right)


def _cases(n: int, seed: int, z_bits: int = 32):
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (z_bits - 1)), (1 << (z_bits - 1)) - 1
    z = np.concatenate([rng.integers(lo, hi, n, dtype=np.int64), [lo, hi, 0, 1, -1, lo + 1, hi - 1]])
    b = np.concatenate([rng.integers(0, 1 << 31, n // 2), (1 << 31) - 1 - rng.integers(0, 1000, n - n // 2),
                        rng.integers(0, 1 << 31, 7)])
    c = rng.integers(0, 63, z.size)
    return z, b, c


@pytest.mark.parametrize("rounding", ["half_even", "half_up", "half_away", "toward_zero", "floor"])
@pytest.mark.parametrize("out", ["int8", "uint8", "int16", "int32"])
@pytest.mark.parametrize("z_bits", [32, 64])
def test_requantize_is_exact(rounding, out, z_bits):
    z, b, c = _cases(3000, z_bits, z_bits)
    zp = 3 if out != "int32" else 0
    fmt = nf.format(out)
    got = dyadic.requantize(z, b, c, zp, out, rounding)
    expected = [min(max(_round_shift(int(zi) * int(bi), int(ci), rounding) + zp, fmt.min_int), fmt.max_int)
                for zi, bi, ci in zip(z, b, c)]
    np.testing.assert_array_equal(got, expected)
    if z_bits == 32:   # the int32 fast path, one (b, c) for all
        for bi, ci in [(int(b[0]), int(c[0])), (int(b[1]), 0), ((1 << 31) - 1, 62), (12345, 31)]:
            fast = dyadic.requantize(z.astype(np.int32), bi, ci, zp, out, rounding)
            slow = [min(max(_round_shift(int(zi) * bi, ci, rounding) + zp, fmt.min_int), fmt.max_int) for zi in z]
            np.testing.assert_array_equal(fast, slow)


def test_ties_of_each_rounding():
    z = np.array([5, -5, 6, -6, 7, -7], np.int32)
    results = {r: dyadic.requantize(z, 1 << 30, 31, rounding=r).tolist()   # z / 2
               for r in ("half_even", "half_up", "half_away", "toward_zero", "floor")}
    assert results == {"half_even": [2, -2, 3, -3, 4, -4], "half_up": [3, -2, 3, -3, 4, -3],
                       "half_away": [3, -3, 3, -3, 4, -4], "toward_zero": [2, -2, 3, -3, 3, -3],
                       "floor": [2, -3, 3, -3, 3, -4]}


def test_float64_formula_is_wrong_where_numfmt_is_right():
    """HAWQ-V3 style float64 requantization loses bits once z * b exceeds 2**53."""
    z, b, c = INT32_MAX - 12, (1 << 31) - 3, 40
    exact = _round_shift(z * b, c, "half_even")
    assert dyadic.requantize(np.array([z]), b, c, out="int32").item() == exact
    # int64 accumulators built so that z * b / 2**52 lies just above a tie: float64 loses the
    # few bits above the tie and rounds to even, the exact integer computation rounds up
    rng = np.random.default_rng(7)
    bs = rng.integers(1 << 30, 1 << 31, 2000) | 1
    deltas = rng.integers(1, 1000, 2000)
    zs = np.array([((1 << 51) + int(d)) * pow(int(bb), -1, 1 << 52) % (1 << 52) for bb, d in zip(bs, deltas)])
    cs = np.full(zs.size, 52)
    reference = np.array([_round_shift(int(a) * int(bb), 52, "half_even") for a, bb in zip(zs, bs)])
    np.testing.assert_array_equal(dyadic.requantize(zs, bs, cs, out="int32"), reference)
    floats = np.rint(zs.astype(np.float64) * bs.astype(np.float64) / 2.0 ** 52).astype(np.int64)
    assert np.mean(floats != reference) > 0.2


def test_gemmlowp_primitives_edge_cases():
    a = np.array([INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, 1 << 30, -(1 << 30), 3, -3, 0, INT32_MIN], np.int64)
    b = np.array([INT32_MIN, INT32_MAX, INT32_MAX, INT32_MIN, 1, 1, 1 << 30, 1 << 30, 5, 1], np.int64)
    got = dyadic.saturating_rounding_doubling_high_mul(a, b)
    assert got.tolist() == [_srdhm(int(x), int(y)) for x, y in zip(a, b)]
    assert got[0] == INT32_MAX
    # ties: 1 * 2**30 / 2**31 = 0.5 rounds toward +inf; -0.5 rounds to 0 (toward +inf too)
    assert dyadic.saturating_rounding_doubling_high_mul(np.array([1, -1]), np.array([1 << 30, 1 << 30])).tolist() == [1, 0]
    x = np.array([5, -5, 7, -7, INT32_MAX, INT32_MIN, 0, 12])
    for e in range(0, 32):
        assert dyadic.rounding_divide_by_pot(x, e).tolist() == [_rdbpot(int(v), e) for v in x]
    rng = np.random.default_rng(3)
    ra, rb = rng.integers(INT32_MIN, INT32_MAX, 50000), rng.integers(INT32_MIN, INT32_MAX, 50000)
    np.testing.assert_array_equal(dyadic.saturating_rounding_doubling_high_mul(ra, rb),
                                  [_srdhm(int(x), int(y)) for x, y in zip(ra, rb)])


def test_gemmlowp_requantize_is_the_two_step_sequence():
    z, b, _ = _cases(5000, 9)
    b = np.maximum(b, 1 << 30)                  # TFLite multipliers are normalized to [2**30, 2**31)
    c = np.random.default_rng(9).integers(20, 40, z.size)
    z = z >> np.maximum(31 - c, 0)              # TFLite's domain: z * 2**(31 - c) fits int32
    got = dyadic.requantize(z, b, c, 0, "int32", "gemmlowp")
    expected = [min(max(_gemmlowp(int(zi), int(bi), int(ci)), INT32_MIN), INT32_MAX) for zi, bi, ci in zip(z, b, c)]
    np.testing.assert_array_equal(got, expected)
    # double rounding: the two-step result is not always the nearest integer
    single = dyadic.requantize(z, b, c, 0, "int32", "half_up")
    assert np.any(single != got)
    with pytest.raises(ValueError, match="int32"):
        dyadic.requantize(np.array([1 << 40]), 1 << 30, 31, rounding="gemmlowp")


@pytest.mark.parametrize("bits", [8, 16, 31])
def test_approximate_bound_and_tflite_pair(bits):
    for s in np.exp(np.random.default_rng(bits).uniform(math.log(1e-12), math.log(1e6), 2000)):
        b, c = dyadic.approximate(float(s), bits)
        assert 1 << (bits - 1) <= b < 1 << bits
        assert abs(b / 2.0 ** c - s) <= 2.0 ** -(c + 1) * (1 + 1e-12)
        assert abs(b / 2.0 ** c - s) <= s * 2.0 ** -bits * (1 + 1e-12)
        if bits == 31:                           # TFLite QuantizeMultiplier
            q, shift = math.frexp(s)
            q_fixed = round(q * (1 << 31))       # exact: q * 2**31 is a float64 product
            if q_fixed == 1 << 31:
                q_fixed, shift = q_fixed // 2, shift + 1
            assert (b, 31 - c) == (q_fixed, shift)
    b, c = dyadic.approximate(np.array([0.5, 0.25]))
    assert b.tolist() == [1 << 30, 1 << 30] and c.tolist() == [31, 32]
    with pytest.raises(ValueError, match="positive"):
        dyadic.approximate(-1.0)


def test_integer_linear_layer():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 48)).astype(np.float32)
    w = rng.standard_normal((32, 48)) * 0.2
    bias = rng.standard_normal(32) * 0.1
    x_scale, x_zp = nf.choose_qparams(x, "int8")
    y_float = x.astype(np.float64) @ w.T + bias
    out_scale, out_zp = nf.choose_qparams(y_float, "int8")
    layer = dyadic.IntegerLinear.from_float(w, bias, x_scale, x_zp, out_scale, out_zp)
    x_q = nf.quantize_affine(x, "int8", x_scale, x_zp)
    y_q = layer(x_q)
    # exact against a Python-integer reference
    for n in range(0, 64, 7):
        for o in range(32):
            acc = sum((int(x_q[n, i]) - x_zp) * int(layer.w_q[o, i]) for i in range(48)) + int(layer.bias_q[o])
            q = _round_shift(acc * int(layer.b[o]), int(layer.c[o]), "half_even") + out_zp
            assert y_q[n, o] == min(max(q, -128), 127)
    # close to the float layer: within a few output steps (input, weight and output quantization)
    y_back = nf.dequantize_affine(y_q, out_scale, out_zp)
    assert np.max(np.abs(y_back - y_float)) < 4 * out_scale
    with pytest.raises(OverflowError):
        dyadic.linear(np.full((1, 200000), 127, np.int8), np.full((1, 200000), 127, np.int8), b=1, c=0)


LIBRARY_NAMES = {"nearest_even": "half_even", "rne": "half_even", "nearest_away": "half_away", "rna": "half_away",
                 "rtz": "toward_zero", "toward_negative": "floor", "rdn": "floor"}


@pytest.mark.parametrize("rounding", [*LIBRARY_NAMES, "toward_positive", "rup", "odd", "rto"])
def test_requantize_accepts_the_library_rounding_names(rounding):
    z, b, c = _cases(2000, 11)
    got = dyadic.requantize(z, b, c, 0, "int32", rounding)
    own = {"rup": "toward_positive", "rto": "odd"}.get(rounding, LIBRARY_NAMES.get(rounding, rounding))
    expected = [min(max(_round_shift(int(zi) * int(bi), int(ci), own), INT32_MIN), INT32_MAX) for zi, bi, ci in zip(z, b, c)]
    np.testing.assert_array_equal(got, expected)
    if rounding in LIBRARY_NAMES:
        np.testing.assert_array_equal(got, dyadic.requantize(z, b, c, 0, "int32", LIBRARY_NAMES[rounding]))


def test_gemmlowp_outside_tflite_domain_raises():
    """Regression: c = 0 (TFLite left shift 31) wrapped z * 2**31 in int32 and gave [0, 0, -128]."""
    z = np.array([1000, -1000, 1], np.int32)
    with pytest.raises(ValueError, match="gemmlowp.*fit int32"):
        dyadic.requantize(z, 1 << 30, 0, rounding="gemmlowp")
    with pytest.raises(ValueError, match="gemmlowp"):
        dyadic.requantize(z, np.array([1 << 30] * 3), np.array([31, 5, 31]), rounding="gemmlowp", axis=0)
    # the exact roundings saturate what does not fit: z * 2**30 is far beyond int8
    assert dyadic.requantize(z, 1 << 30, 0, rounding="half_even").tolist() == [127, -128, 127]
    # inside the domain the left shift is exact: z * 2**(31 - c) with c = 28 for |z| < 2**28
    small = np.array([(1 << 28) - 1, -(1 << 28)], np.int32)
    got = dyadic.requantize(small, 1 << 30, 28, 0, "int32", "gemmlowp").tolist()
    assert got == [_gemmlowp(int(v), 1 << 30, 28) for v in small] == [((1 << 28) - 1) * 4, -(1 << 30)]


def test_approximate_zero_is_multiplier_zero():
    """Regression: approximate(0.0) raised; TFLite's QuantizeMultiplier(0) gives (0, 0) (a
    per-channel scale of all-zero weights) and requantize then gives the zero point."""
    assert dyadic.approximate(0.0) == (0, 0)
    b, c = dyadic.approximate(np.array([0.5, 0.0]))
    assert b.tolist() == [1 << 30, 0] and c.tolist() == [31, 0]
    z = np.array([[5, -7], [123456, -2 ** 31]], np.int32)
    for rounding in ("half_even", "half_up", "gemmlowp"):
        assert dyadic.requantize(z, b, c, np.array([1, -3]), rounding=rounding, axis=1)[:, 1].tolist() == [-3, -3]
    for bad in (-1.0, np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="positive"):
            dyadic.approximate(bad)


def test_integer_linear_rejects_non_integer_and_out_of_range_inputs():
    """Regression: float inputs were truncated and values outside int8 accepted silently."""
    layer = dyadic.IntegerLinear.from_float([[0.5, -1.0], [0.0, 0.0]], [0.1, 0.0], 0.01, 0, 0.02, 3)
    assert layer(np.array([[100, 50]], np.int8)).tolist() == [[8, 3]]      # all-zero channel: its zero point
    for x in (np.array([[1.5, 2.0]]), np.array([[1.0, 2.0]]), np.array([[300, 0]], np.int16), np.array([[0, -129]])):
        with pytest.raises(ValueError, match="x_q"):
            layer(x)
    for kwargs in (dict(x_zero_point=1.5), dict(x_zero_point=200), dict(out_zero_point=-300)):
        args = dict(w=[[1.0]], bias=[0.0], x_scale=0.1, x_zero_point=0, out_scale=0.1, out_zero_point=0) | kwargs
        with pytest.raises(ValueError, match="zero_point"):
            dyadic.IntegerLinear.from_float(**args)
    with pytest.raises(ValueError, match="x_scale"):
        dyadic.IntegerLinear.from_float([[1.0]], [0.0], 0.0, 0, 0.1, 0)
    with pytest.raises(ValueError, match="w_q"):
        dyadic.linear(np.ones((1, 1), np.int8), np.full((1, 1), 128), b=1, c=0)
    with pytest.raises(ValueError, match="out_zero_point"):
        dyadic.linear(np.ones((1, 1), np.int8), np.ones((1, 1), np.int8), b=1, c=0, out_zero_point=128)


def test_requantize_non_native_byte_order_and_axis_checks():
    z = np.array([[100, -100, 5]], ">i4")
    got = dyadic.requantize(z, np.array([1 << 30], ">i8"), np.array([31], ">i4"), np.array([1], ">i2"))
    assert got.tolist() == [[51, -49, 3]]
    assert dyadic.requantize(z, 1 << 30, 31, rounding="gemmlowp").tolist() == [[50, -50, 3]]
    assert dyadic.requantize(np.array([2 ** 40], ">i8"), 1, 40, out="int32").tolist() == [1]
    assert dyadic.saturating_rounding_doubling_high_mul(np.array([3], ">i4"), np.array([1 << 30], ">i4")).tolist() == [2]
    with pytest.raises(ValueError, match="axis .*ndim 2"):
        dyadic.requantize(z, np.array([1, 2, 3]), 0, axis=2)
    with pytest.raises(ValueError, match="3 elements"):
        dyadic.requantize(z, np.array([1, 2]), 0, axis=1)


def test_approximate_takes_numpy_scalars():
    """Regression: a NumPy float32 or float16 scale raised TypeError from Fraction, and bits given
    as a NumPy integer was refused ("must be an integer") while True was taken as 1."""
    for s in (np.float32(0.1), np.float16(0.1), np.float64(0.1), np.int64(3)):
        assert dyadic.approximate(s) == dyadic.approximate(float(s)) == tuple(
            int(v[0]) for v in dyadic.approximate(np.array([s])))
    assert dyadic.approximate(np.float32(0.1)) == (1717986944, 34)
    assert dyadic.approximate(0.1, np.int64(31)) == dyadic.approximate(0.1, 31)
    for bad in (True, 0, 63, 31.0):
        with pytest.raises(ValueError, match="bits must be an integer"):
            dyadic.approximate(0.1, bad)
