"""The Numba kernels (numfmt.round / encode / decode) equal numfmt.reference bit for bit.

Inputs per format: every finite value, the exact midpoints between neighbouring values (and the
float64 numbers just below / above them), the points around max and the overflow threshold
(the midpoint between max and the next point of the unbounded grid), values below the smallest
(sub)normal, zeros, infinities, NaN, float64 subnormals and random float64 numbers; both signs.
Formats of more than 8 bits use a random sample of codes instead of all of them.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from sampling import ci_sample

import numfmt as nf
from numfmt import reference as ref
from numfmt.formats.floating import FloatFormat
from numfmt.rounding import DETERMINISTIC_ROUNDINGS

FLOAT_FORMATS = [fmt for _, _, fmt in nf.registered() if fmt.family == "float"]
CUSTOM = [
    FloatFormat(3, 2, subnormals=False),
    FloatFormat(5, 4, bias=10, special="fnuz"),
    FloatFormat(4, 3, signed=False, special="fn"),
    FloatFormat(3, 0),                                        # IEEE with M = 0: Inf, no NaN
    FloatFormat(4, 2, special="finite", subnormals=False),
    FloatFormat(5, 0, signed=False, subnormals=False, zero=False, special="fn", bias=10),
    FloatFormat(6, 1, bias=40, special="p3109"),
    # wider than 32 bits, or reaching float64's limits (codes in uint64, the exact core's
    # grid rounding in arithmetic): binary64 is registered
    FloatFormat(8, 40),
    FloatFormat(9, 50, special="fn"),
    FloatFormat(11, 10),                                      # float64's exponent range, 22 bits
    FloatFormat(11, 0),
    FloatFormat(10, 30, subnormals=False),
    FloatFormat(10, 51, signed=False, special="fn"),

]
ALL = FLOAT_FORMATS + CUSTOM
IDS = [f.name for f in ALL]


def _magnitude_codes(fmt: FloatFormat, rng: np.random.Generator) -> list[int]:
    top = fmt.max_magnitude_code
    if fmt.magnitude_bits <= 8:
        return list(range(top + 1))
    sample = rng.integers(0, top, 150).tolist()
    edges = list(range(0, 8)) + list(range(top - 8, top + 1))
    edges += [(1 << fmt.man_bits) + d for d in (-2, -1, 0, 1)]      # around the smallest normal
    return sorted({c for c in sample + edges if 0 <= c <= top})


def _float(q: Fraction) -> float:
    """q as a float; inf where it lies beyond float64's range (next to binary64's max)."""
    try:
        return float(q)
    except OverflowError:
        return math.inf


def _inputs(fmt: FloatFormat, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = _magnitude_codes(fmt, rng)
    pts: list[float] = []
    for c in codes:
        v, w = ref.decode_exact(c, fmt), ref.decode_exact(c + 1, fmt)   # w may lie past max
        mid = (v + w) / 2
        for q in (v, mid, w) if c == codes[-1] else (v, mid):
            f = _float(q)
            pts += [f, math.nextafter(f, math.inf), math.nextafter(f, -math.inf)]
        pts.append(float(v + (w - v) / 4))
    if fmt.zero:                                   # 0, below the smallest value, half of it
        first = ref.decode_exact(1 if fmt.subnormals else 1 << fmt.man_bits, fmt)
        for q in (first / 2, first / 3, first / 4, 2 * first / 3, first / 1024):
            f = _float(q)
            pts += [f, math.nextafter(f, 0), math.nextafter(f, 1)]
    else:
        pts += [float(ref.decode_exact(0, fmt) / k) for k in (2, 3, 1024)]
    big = ref.decode_exact(fmt.max_magnitude_code, fmt)
    pts += [_float(big * k) for k in (2, 4, Fraction(3, 2), 1024)] + [1e300, math.inf]
    pts += [0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1.0, 3.0, 6.0]
    info = fmt.info
    lo = math.log2(info.smallest_subnormal) - 4
    hi = math.log2(info.max) + 2
    pts += np.exp2(rng.uniform(lo, hi, 300)).tolist()
    pts += np.abs(rng.integers(0, 2**63, 100, dtype=np.int64)).view(np.float64).tolist()
    x = np.array(pts, np.float64)
    x = x[~np.isnan(x)]
    if fmt.signed:
        x = np.concatenate([x, -x])
    else:
        x = np.concatenate([x, -x[:: max(1, x.size // 40)]])  # a few negatives: NaN out
    if fmt.has_nan:
        x = np.concatenate([x, [np.nan, -np.nan]])
    return x


def _bits(a) -> np.ndarray:
    return np.asarray(a, np.float64).view(np.int64)


def _ref_cast(x, fmt, mode, overflow, nan) -> tuple[np.ndarray, np.ndarray]:
    """The reference's (values as float64, codes as uint64) of x."""
    values, codes = zip(*(ref.cast_value(float(v), fmt, mode, overflow, nan) for v in x))
    return np.array(values, np.float64), np.array(codes, np.uint64)


def _nan_policy(fmt) -> str:
    return "raise" if fmt.has_nan else "ml_dtypes"


@pytest.mark.parametrize("fmt", ci_sample(ALL, 12, ids=IDS))
def test_round_encode_float64(fmt):
    x = _inputs(fmt)
    if not fmt.has_nan and not fmt.signed:
        x = x[~(x < 0)]                               # no image at all: the kernels raise
    nan = _nan_policy(fmt)
    for mode in DETERMINISTIC_ROUNDINGS:
        for overflow in ("ieee", "saturate"):
            got = nf.round(x, fmt, mode, overflow, nan=nan)
            want, want_codes = _ref_cast(x, fmt, mode, overflow, nan)
            bad = _bits(got) != _bits(want)
            assert not bad.any(), (mode, overflow, x[bad][:5], got[bad][:5], want[bad][:5])
            codes = nf.encode(x, fmt, mode, overflow, nan=nan).astype(np.uint64)
            bad = codes != want_codes
            assert not bad.any(), (mode, overflow, x[bad][:5], codes[bad][:5], want_codes[bad][:5])


F32 = [f for f in ALL if nf.casts.floating.fits_float32(f)]


@pytest.mark.parametrize("fmt", F32, ids=[f.name for f in ALL if nf.casts.floating.fits_float32(f)])
def test_round_encode_float32(fmt):
    """float32 inputs take the float32-domain kernels (and the bfloat16 / tf32 fast path)."""
    x64 = _inputs(fmt, seed=1)
    if not fmt.has_nan and not fmt.signed:
        x64 = x64[~(x64 < 0)]
    with np.errstate(over="ignore"):
        x = x64.astype(np.float32)
    x = x[((x.astype(np.float64) == x64) | np.isnan(x64))][::2]
    nan = _nan_policy(fmt)
    for mode in DETERMINISTIC_ROUNDINGS:
        for overflow in ("ieee", "saturate"):
            got = nf.round(x, fmt, mode, overflow, nan=nan)
            assert got.dtype == np.float32
            want, want_codes = _ref_cast(x, fmt, mode, overflow, nan)
            want = want.astype(np.float32)
            bad = got.view(np.int32) != want.view(np.int32)
            assert not bad.any(), (mode, overflow, x[bad][:5], got[bad][:5], want[bad][:5])
            codes = nf.encode(x, fmt, mode, overflow, nan=nan).astype(np.uint64)
            bad = codes != want_codes
            assert not bad.any(), (mode, overflow, x[bad][:5], codes[bad][:5], want_codes[bad][:5])


@pytest.mark.parametrize("fmt", [f for f in ALL if f.bits <= 8], ids=[f.name for f in ALL if f.bits <= 8])
def test_decode_every_code(fmt):
    codes = np.arange(1 << fmt.bits)
    got = nf.decode(codes, fmt, dtype=np.float64)
    want = np.array([ref.decode_code(c, fmt) for c in codes], np.float64)
    assert np.array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("fmt", [f for f in ALL if 8 < f.bits <= 16], ids=[f.name for f in ALL if 8 < f.bits <= 16])
def test_decode_every_code_16(fmt):
    codes = np.arange(1 << fmt.bits)
    got = nf.decode(codes, fmt, dtype=np.float64)
    want = np.array([ref.decode_code(int(c), fmt) for c in codes], np.float64)
    assert np.array_equal(_bits(got), _bits(want))


def test_nan_without_nan_raises():
    for name in ("e2m1", "e3m2", "e2m3"):
        fmt = nf.format(name)
        with pytest.raises(ValueError):
            nf.round(np.nan, fmt)
        with pytest.raises(ValueError):
            ref.round_value(math.nan, fmt)


def test_reference_examples():
    e8m0, e4m3, e2m1 = nf.format("e8m0"), nf.format("e4m3"), nf.format("e2m1")
    assert [ref.round_value(v, e8m0) for v in (3.0, 6.0, 0.75, 1.5)] == [2.0, 8.0, 0.5, 2.0]
    assert math.isnan(ref.round_value(0.0, e8m0)) and math.isnan(ref.round_value(-1.0, e8m0))
    assert ref.round_value(2.0**-200, e8m0) == 2.0**-127
    assert ref.round_value(1e9, e4m3, "odd") == 448.0
    assert math.isnan(ref.round_value(1e9, e4m3, "toward_positive"))
    assert ref.round_value(-1e9, e4m3, "toward_positive") == -448.0
    assert ref.round_value(math.inf, e2m1) == 6.0
    assert ref.round_value(math.inf, e4m3, overflow="saturate") == 448.0
    assert math.copysign(1, ref.round_value(-0.0001, nf.format("e4m3fnuz"))) == 1.0
    assert math.copysign(1, ref.round_value(-0.001, e4m3)) == -1.0
    nosub = FloatFormat(3, 2, subnormals=False)           # emin = -2
    assert ref.round_value(0.125, nosub) == 0.0            # the tie goes to 0
    assert ref.round_value(0.125, nosub, "nearest_away") == 0.25
    assert ref.round_value(math.nextafter(0.125, 1), nosub) == 0.25
    assert ref.round_value(1.25, e2m1, "odd") == 1.5
    assert ref.round_value(Fraction(1) + Fraction(1, 2**8) + Fraction(1, 2**40),
                           nf.format("bfloat16")) == 1.0078125


@pytest.mark.parametrize("fmt", [FloatFormat(4, 3, signed=False, special="fn"),
                                 FloatFormat(4, 3, signed=False, special="finite")],
                         ids=["e4m3_unsigned_fn", "e4m3_unsigned_finite"])
def test_unsigned_negative_zero(fmt):
    assert _bits(nf.round(np.float64(-0.0), fmt)) == _bits(ref.round_value(-0.0, fmt)) == 0


def test_binary32_from_float32():
    """Regression: no discarded bits (shift 0) must leave float32 inputs unchanged."""
    x = np.array([0.0, 1.0, 2.0, 3.0], np.float32)
    assert nf.round(x, "binary32").tolist() == x.tolist()
    assert nf.encode(x, "binary32", "nearest_away").tolist() == x.view(np.uint32).tolist()
