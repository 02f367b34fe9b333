"""The float family against external oracles.

- ml_dtypes (float32 inputs, RNE, default overflow): 10**7 random float32 bit patterns per
  shared format in CI (chunks of 2**20); all 2**32 patterns under ``-m slow`` (chunks of 2**24).
  Round values compared bit for bit (NaN == NaN, sign of zero kept), codes for non-NaN results.
- decode of every code of every registered format of <= 16 bits against ml_dtypes / numpy
  float16; encode(decode(c)) == c for every non-NaN code.
- gmpy2 / MPFR (precision man_bits+1, subnormalize=True, emin/emax as in SPEC_NOTES) for all six
  deterministic modes: MPFR gives RZ, RU (on |x|) and RN; nearest_away and odd are derived from
  them (the exact midpoint; toward zero plus the inexact flag). In CI 2*10**5 float64 inputs per
  format (each checked in 6 modes, 1.2*10**6 comparisons per format), concentrated near ties,
  max, the overflow threshold and among subnormals; 2*10**6 per format under ``-m slow``.
- numpy float16 (correctly rounded float64 -> float16 RNE) on 10**6 float64 inputs.
- The double-rounding cases of SPEC_NOTES.

The ml_dtypes and MPFR comparisons are numfmt.verify's (``numfmt verify`` runs them on samples).
"""
from __future__ import annotations

import math

import gmpy2
import ml_dtypes
import numpy as np
import pytest

import numfmt as nf
from numfmt import reference as ref
from numfmt import verify
from numfmt.formats.floating import FloatFormat
from numfmt.rounding import DETERMINISTIC_ROUNDINGS

ML = {name: verify.ml_dtype(ml_dtypes, name) for name in verify.ML_DTYPES}
CHUNK = 1 << 20


def _nan(fmt) -> str:
    return "raise" if fmt.has_nan else "ml_dtypes"


def _compare_ml(name: str, x: np.ndarray) -> None:
    """Values and codes against ml_dtypes (the e8m0 quirks left out: verify.e8m0_quirks)."""
    outcome = verify.compare_ml_dtypes(ml_dtypes, name, x)
    assert outcome.mismatches == 0, outcome


@pytest.mark.parametrize("name", list(ML))
def test_ml_dtypes_random_float32(name):
    rng = np.random.default_rng(12345)
    n = 10**7
    for start in range(0, n, CHUNK):
        bits = rng.integers(0, 1 << 32, min(CHUNK, n - start), dtype=np.uint32)
        _compare_ml(name, bits.view(np.float32))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ML))
def test_ml_dtypes_all_float32(name):
    step = 1 << 24
    for start in range(0, 1 << 32, step):
        _compare_ml(name, np.arange(start, start + step, dtype=np.uint32).view(np.float32))


def test_ml_dtypes_e8m0_quirks():
    """The documented ml_dtypes e8m0 differences, shown explicitly."""
    e8m0 = ml_dtypes.float8_e8m0fnu
    x = np.array([3.0, 6.0, 1.5 * 2.0**-101], np.float32)
    assert x.astype(e8m0).astype(np.float32).tolist() == [4.0, 8.0, 2.0**-100]      # ties up
    assert nf.round(x, "e8m0").tolist() == [2.0, 8.0, 2.0**-101]                   # even code
    sub = np.array([2.0**-127 * 1.25], np.float32)                                 # float32 subnormal
    # ml_dtypes before 0.7 read it by its exponent field alone (2**-126); 0.7 rounds it to the
    # nearest, as numfmt does, and verify.compare_ml_dtypes then compares those inputs too
    old = verify.e8m0_subnormal_quirk(ml_dtypes)
    assert sub.astype(e8m0).astype(np.float32)[0] == (2.0**-126 if old else 2.0**-127)
    assert nf.round(sub, "e8m0")[0] == 2.0**-127
    z = np.array([0.0, -1.0], np.float32)
    assert np.isnan(z.astype(e8m0).astype(np.float32)).all()
    assert np.isnan(nf.round(z, "e8m0")).all()


SMALL = [fmt for _, _, fmt in nf.registered() if fmt.family == "float" and fmt.bits <= 16]


@pytest.mark.parametrize("fmt", SMALL, ids=[f.name for f in SMALL])
def test_decode_and_roundtrip(fmt):
    if fmt.name in ML:
        outcome = verify.compare_ml_decode(ml_dtypes, fmt.name)
        assert outcome.mismatches == 0, outcome
    outcome = verify.roundtrip(fmt)
    assert outcome.mismatches == 0, outcome


# ---------------------------------------------------------------- MPFR
MPFR_FORMATS = [fmt for _, _, fmt in nf.registered()
                if fmt.family == "float" and 1 <= fmt.man_bits <= 23 and fmt.name != "e8m0"] + [
    FloatFormat(5, 4, bias=10, special="fnuz"),
    FloatFormat(4, 3, signed=False, special="fn"),
    FloatFormat(3, 5, special="finite"),
    FloatFormat(6, 1, bias=40, special="p3109"),
]


def _check_mpfr(fmt, n, seed):
    """Inputs near ties, max, the overflow threshold and among subnormals, all six modes
    (verify.mpfr_cast_expected: ties-away and round-to-odd derived from MPFR's RZ, RU, RN)."""
    x = verify.float64_inputs(fmt, n, np.random.default_rng(seed), signed=fmt.signed)
    outcome = verify.compare_mpfr_cast(gmpy2, x, fmt)
    assert outcome.mismatches == 0, outcome


@pytest.mark.parametrize("fmt", MPFR_FORMATS, ids=[f.name for f in MPFR_FORMATS])
def test_mpfr(fmt):
    _check_mpfr(fmt, 2 * 10**5, 7)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", MPFR_FORMATS, ids=[f.name for f in MPFR_FORMATS])
def test_mpfr_slow(fmt):
    for seed in range(10):
        _check_mpfr(fmt, 2 * 10**5, 100 + seed)


def test_numpy_float16():
    rng = np.random.default_rng(3)
    n = 10**6
    x = np.concatenate([
        rng.integers(0, 1 << 64, n // 2, dtype=np.uint64).view(np.float64),
        np.exp2(rng.uniform(-27, 17, n // 4)) * rng.choice([-1.0, 1.0], n // 4),
        # midpoints of float16 neighbours and their float64 neighbours
        (lambda h: np.concatenate([h, np.nextafter(h, np.inf), np.nextafter(h, -np.inf)]))(
            (np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float64)
             + np.arange(1, 0x7C01, dtype=np.uint16).view(np.float16).astype(np.float64)) / 2),
    ])
    with np.errstate(all="ignore"):
        want = x.astype(np.float16).astype(np.float64)
    got = nf.round(x, "binary16")
    ok = (got.view(np.int64) == want.view(np.int64)) | (np.isnan(got) & np.isnan(want))
    assert ok.all(), (x[~ok][:5], got[~ok][:5], want[~ok][:5])


def test_double_rounding_cases():
    assert float(nf.round(1 + 2**-8 + 2**-40, "bfloat16")) == 1.0078125
    assert float(nf.round(-431.99999999999994, "e4m3")) == -416.0
    assert ref.round_value(1 + 2**-8 + 2**-40, nf.format("bfloat16")) == 1.0078125
    assert ref.round_value(-431.99999999999994, nf.format("e4m3")) == -416.0
    # ml_dtypes (through float32) double-rounds them
    assert float(np.float64(1 + 2**-8 + 2**-40).astype(np.float32).astype(ml_dtypes.bfloat16)) == 1.0


# ---------------------------------------------------------------- gfloat: P3109 rounding and overflow
# name: (format, K, P); K4P2 is not registered: it checks the rule on a second width
P3109 = {f"p3109_p{p}": (nf.format(f"p3109_p{p}"), 8, p) for p in range(1, 8)}
P3109["p3109_k4p2"] = (FloatFormat(2, 1, bias=2, special="p3109", name="p3109_k4p2"), 4, 2)


def _p3109_inputs(fmt) -> np.ndarray:
    """Every value, the midpoints of neighbours and their float64 neighbours, quarter points, and
    points beyond the largest value (the overflow tie, above it, far above, Inf), both signs."""
    v = fmt.values()
    v = np.unique(v[np.isfinite(v) & (v >= 0)])
    top = v[-1] - v[-2]
    pts = np.concatenate([v, (v[:-1] + v[1:]) / 2, v[:-1] + (v[1:] - v[:-1]) / 4, v[1:] / 3,
                          v[-1] + top * np.array([0.25, 0.5, 0.75, 1, 1.5, 2, 1e10]), [v[1] / 4, math.inf]])
    pts = np.concatenate([pts, np.nextafter(pts, math.inf), np.nextafter(pts, -math.inf)])
    return np.concatenate([pts, -pts, [math.nan]])


@pytest.mark.parametrize("name", list(P3109))
@pytest.mark.parametrize("mode", DETERMINISTIC_ROUNDINGS)
def test_p3109_round_matches_gfloat(name, mode):
    """All deterministic modes against gfloat's round_float (sat=False) on a P3109 format.

    gfloat quirks: it has no round-to-odd, so odd is derived from its toward-zero result z:
    z where exact, else z or the next larger magnitude (gfloat's decode of the next code),
    whichever has the odd code. Beyond the largest finite value z is max, whose code (0x7E) is
    even, and the next code is Inf: that is P3109's overflow rule for round-to-odd (the code
    0x7F is odd), which numfmt follows. gfloat returns +NaN for NaN; numfmt gives -NaN, the
    value of the NaN code 0x80 (as ml_dtypes' fnuz formats), so NaNs compare equal by isnan.
    Below half the smallest value gfloat's ties-away can round up (test_gfloat_ties_away_quirk):
    there the expected value is the exact one, 0."""
    from gfloat import RoundMode, decode_float, encode_float, round_float
    from gfloat.formats import format_info_p3109
    fmt, k, p = P3109[name]
    fi = format_info_p3109(k, p)
    x = _p3109_inputs(fmt)
    modes = {"nearest_even": RoundMode.TiesToEven, "nearest_away": RoundMode.TiesToAway,
             "toward_zero": RoundMode.TowardZero, "toward_positive": RoundMode.TowardPositive,
             "toward_negative": RoundMode.TowardNegative, "odd": RoundMode.TowardZero}
    want = np.array([round_float(fi, float(v), modes[mode]) for v in x])
    if mode == "odd":                     # on |x|, then the sign (P3109 has no -0)
        for i, v in enumerate(x):
            z = round_float(fi, abs(float(v)), RoundMode.TowardZero)
            if z != abs(v) and not math.isnan(v) and encode_float(fi, z) % 2 == 0:
                z = decode_float(fi, encode_float(fi, z) + 1).fval
            want[i] = math.copysign(z, v) if z != 0 else z
    if mode == "nearest_away":        # gfloat's float64 sum delta + 0.5 rounds up below the tie
        want = np.where(np.abs(x) < fmt.info.smallest_subnormal / 2, 0.0, want)
    got = nf.round(x, fmt, mode)
    ok = (got.view(np.int64) == want.view(np.int64)) | (np.isnan(got) & np.isnan(want))
    assert ok.all(), (name, mode, x[~ok][:5], got[~ok][:5], want[~ok][:5])


def test_gfloat_ties_away_quirk():
    """gfloat decides ties-away by ``delta + 0.5 >= 1.0`` in float64: for the float64 just below
    half the smallest value, delta = 0.5 - 2**-54 and the sum rounds to 1.0, so gfloat rounds it
    up; the exact answer (numfmt's) is 0. test_p3109_round_matches_gfloat compares those inputs
    with the exact answer."""
    from gfloat import RoundMode, round_float
    from gfloat.formats import format_info_p3109
    x = np.nextafter(2.0 ** -64, 0.0)                  # p3109_p1: smallest value 2**-63
    assert round_float(format_info_p3109(8, 1), x, RoundMode.TiesToAway) == 2.0 ** -63
    assert nf.round(x, "p3109_p1", "nearest_away") == 0.0


def test_p3109_round_to_odd_overflows_to_infinity():
    """Regression: round-to-odd beyond the largest finite value gives +-Inf in P3109 formats
    (it gave +-max, the SoftFloat rule, which the other formats keep)."""
    k8p4, k4p2 = P3109["p3109_p4"][0], P3109["p3109_k4p2"][0]
    assert nf.round([224.1, 232.0, 240.0, -240.0], k8p4, "odd").tolist() == [math.inf] * 3 + [-math.inf]
    assert nf.round([2.01, -2.01], k4p2, "odd").tolist() == [math.inf, -math.inf]
    assert nf.encode([224.1, -224.1], k8p4, "odd").tolist() == [0x7F, 0xFF]
    assert nf.round([224.1], k8p4, "toward_zero").tolist() == [224.0]
    assert nf.round([1e9, -1e9], "e4m3ieee", "odd").tolist() == [240.0, -240.0]      # SoftFloat: max
    assert nf.round([1e9], "e5m2", "odd").tolist() == [57344.0]


# ---------------------------------------------------------------- NaN signs against ml_dtypes
@pytest.mark.parametrize("name", list(ML))
def test_nan_sign_matches_ml_dtypes(name):
    """Regression: decode of a negative NaN code gave +NaN. Every NaN code decodes with the
    sign ml_dtypes gives it (the code's sign bit: e4m3 0xFF, e5m2 0xFD..0xFF and bfloat16 /
    float16 negative NaNs are -NaN; the fnuz NaN 0x80 is -NaN in ml_dtypes), and round of +-NaN
    gives the value of the code encode gives, with ml_dtypes' sign."""
    fmt = nf.format(name)
    dt = ML[name]
    codes = np.arange(1 << fmt.bits, dtype=np.uint16 if fmt.bits > 8 else np.uint8)
    with np.errstate(invalid="ignore"):
        want = codes.view(dt).astype(np.float64)
    got = nf.decode(codes, fmt, dtype=np.float64)
    nan = np.isnan(want)
    assert (np.isnan(got) == nan).all()
    wrong = np.signbit(got[nan]) != np.signbit(want[nan])
    assert not wrong.any(), codes[nan][wrong]
    x = np.array([math.nan, -math.nan], np.float32)
    want = x.astype(dt).astype(np.float32)
    for dtype in (np.float32, np.float64):
        got = nf.round(x.astype(dtype), fmt, nan=_nan(fmt))
        assert (np.signbit(got) == np.signbit(want)).all(), (dtype, got, want)
        back = nf.decode(nf.encode(x.astype(dtype), fmt, nan=_nan(fmt)), fmt)
        assert (np.signbit(back) == np.signbit(want)).all(), (dtype, back, want)


# ---------------------------------------------------------------- NaN payloads (no int64 overflow)
@pytest.mark.parametrize("name", ["e8m0", "e4m3", "bfloat16", "e5m2"])
def test_nan_payloads_stay_nan_in_every_mode(name):
    """Regression: a float64 NaN with high payload bits plus the rounding bias passed 2**63
    inside the kernel (e8m0 rounds a NaN's exponent field with a bias of 2**51). Signed
    overflow is undefined in compiled code, so the result depended on how the kernel was
    inlined. Every NaN, both signs, every payload, every mode gives NaN (or the format's NaN
    code); Inf stays Inf where the format has it."""
    fmt = nf.format(name)
    payloads = np.array([0x7FF8000000000000, 0x7FFFFFFFFFFFFFFF, 0x7FF0000000000001, 0x7FFC000000000001],
                        np.int64)
    x = np.concatenate([payloads, payloads | np.int64(-1 << 63)]).view(np.float64)
    for mode in DETERMINISTIC_ROUNDINGS:
        assert np.isnan(nf.round(x, fmt, mode)).all(), mode
        assert np.isnan(nf.decode(nf.encode(x, fmt, mode), fmt)).all(), mode
    for seed in range(4):
        assert np.isnan(nf.round(np.repeat(x, 16), fmt, "stochastic", seed=seed)).all()
    if fmt.has_inf:
        assert nf.round([math.inf, -math.inf], fmt).tolist() == [math.inf, -math.inf]
