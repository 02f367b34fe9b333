"""Block formats against independent implementations.

- gfloat 0.5 (``quantize_block`` / ``encode_block`` with ``compute_scale_amax``): the six MX
  formats on float32 blocks (random and every kind of ``numfmt.testing.hard_block``), all five
  deterministic rounding modes gfloat has; values, element codes and scale codes, zero
  mismatches. gfloat differs from the spec (and from numfmt) where documented below, and those
  blocks are compared with the spec's rule instead:
  * Inf in a block: gfloat clips the scale exponent to 127 and saturates the Inf element to the
    element maximum; the spec rule (exponent above 127 -> NaN scale), microxcaling and torchao
    make the block NaN, as numfmt does.
  * NaN in a block: gfloat's scale is NaN (so the block decodes to NaN, as numfmt) but its
    ``encode_block`` raises for FP6/FP4 elements (no NaN code); numfmt stores the element's NaN
    code in such blocks (0 for elements without NaN).
  * float64 inputs: gfloat takes floor(log2 amax) with a floating-point log2 (gfloat issue 49),
    which rounds up for amax just below a power of two; float32 amax never meets it (checked
    below), float64 amax does: numfmt is checked against exact arithmetic there.
  * gfloat clips exponents above 127 to 127 (only float64 inputs reach them).
- Exact arithmetic (``fractions.Fraction`` and ``numfmt.reference``): float64 blocks whose small
  elements underflow float64 when divided by the scale, all six deterministic modes.
- torchao's scale formulas (FLOOR, CEIL, EVEN, RCEIL of ``torchao.prototype.mx_formats``),
  transcribed to numpy on float32 bits: a sample of float32 significands in CI, every one under
  ``-m slow``. torchao's RCEIL computes amax * fl32(1 / max_pos) in float32; it agrees with the
  exact ceil(log2(amax / max_pos)) on every float32 amax checked. torch does not install quickly
  here, so the transcription stands in for the package (and microxcaling is skipped).
- NVFP4: torchao's ``_nvfp4_quantize`` transcribed to numpy with ml_dtypes' E4M3 / E2M1 casts.
"""
from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from sampling import ci_grid

import numfmt as nf
from numfmt import reference as ref
from numfmt import verify
from numfmt.testing import MX_FORMATS, hard_blocks

gfloat = pytest.importorskip("gfloat")
from gfloat import formats as gf  # noqa: E402

GFLOAT = {name: getattr(gf, attr) for name, attr in verify.GFLOAT_MX.items()}
MODES = list(verify.gfloat_modes(gfloat))      # the five deterministic modes gfloat has
DETERMINISTIC = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"]


def _finite_blocks(name, n, seed):
    x = hard_blocks(nf.format(name), n, seed=seed)
    return x[np.isfinite(x).all(axis=1)]


@pytest.mark.parametrize("name,mode", ci_grid(MX_FORMATS, MODES, k=10))
@pytest.mark.parametrize("blocks", [490, pytest.param(14000, marks=pytest.mark.slow)])
def test_mx_equals_gfloat(name, mode, blocks):
    """Random and hard float32 blocks (the finite kinds; 420 of 490 in CI, 12000 of 14000 under
    ``-m slow``): zero mismatches."""
    x = _finite_blocks(name, blocks, seed=len(name) + len(mode) + blocks)
    values, codes, scales = verify.gfloat_blocks(gfloat, name, x, mode)
    got = nf.encode(x, name, mode)
    np.testing.assert_array_equal(nf.round(x, name, mode), values.astype(np.float32))
    np.testing.assert_array_equal(got.scales[:, 0], scales)
    np.testing.assert_array_equal(got.codes, codes)


@pytest.mark.parametrize("name", MX_FORMATS)
def test_mx_nonfinite_blocks_are_nan(name):
    """Inf or NaN anywhere in a block: NaN scale (0xFF), the whole block NaN, its element codes
    the element's NaN codes (0 without NaN), other blocks as gfloat; gfloat differs on the Inf
    blocks (module docstring)."""
    x = hard_blocks(nf.format(name), 7 * 30, seed=5)
    bad = ~np.isfinite(x).all(axis=1)
    assert bad.sum() == 30
    got = nf.round(x, name)
    enc = nf.encode(x, name)
    assert np.isnan(got[bad]).all() and (enc.scales[bad, 0] == 0xFF).all()
    elem = nf.format(name).element
    if getattr(elem, "has_nan", False):
        assert np.isnan(nf.decode(enc.codes[bad], elem)).all()
    else:
        assert (enc.codes[bad] == 0).all()
    values, _, _ = verify.gfloat_blocks(gfloat, name, x[~bad], "nearest_even")
    np.testing.assert_array_equal(got[~bad], values.astype(np.float32))
    inf_block = x[bad][np.isinf(x[bad]).any(axis=1)][0].astype(np.float64)
    gval = gfloat.quantize_block(GFLOAT[name], inf_block, gfloat.compute_scale_amax)
    assert not np.isnan(gval).all()        # the documented gfloat difference is still there


def test_gfloat_log2_agrees_on_float32_but_not_float64():
    """gfloat issue 49: floor(np.log2(amax)) is exact for float32 amax, not for float64."""
    just_below = np.nextafter(np.float32(2.0) ** np.arange(-126, 128, dtype=np.float32), np.float32(0))
    assert (np.floor(np.log2(just_below.astype(np.float64))) == np.arange(-127, 127)).all()
    below64 = np.nextafter(2.0 ** np.arange(-1000, 1000), 0)
    assert (np.floor(np.log2(below64)) != np.arange(-1001, 999)).any()


def _exact_round(x, name, mode):
    """The spec rule in exact arithmetic: floor(log2 amax) from Fraction, elements by
    numfmt.reference (float elements) or exact integer rounding (MXINT8), saturating."""
    fmt = nf.format(name)
    out = np.empty_like(x)
    for i, block in enumerate(x):
        fr = [Fraction(v) for v in block]
        amax = max(abs(v) for v in fr)
        s = -127
        if amax:
            e = amax.numerator.bit_length() - amax.denominator.bit_length()
            e -= 1 if Fraction(2) ** e > amax else 0
            s = max(e - fmt.info.emax_elem, -127)
        assert s <= 127
        scale = Fraction(2) ** s
        for j, v in enumerate(fr):
            if fmt.element.family == "fixed":
                q = ref_fixed(v / scale * 64, mode) / 64
                out[i, j] = float(min(max(q, Fraction(-2)), Fraction(127, 64)) * scale)
            else:
                elem = ref.round_value(v / scale, fmt.element, mode, overflow="saturate")
                # Fraction(-0.0) is 0: a zero result takes the input's sign (E2M1 .. E5M2 have -0)
                out[i, j] = float(Fraction(elem) * scale) if elem != 0 else np.copysign(0.0, block[j])
    return out


def ref_fixed(v: Fraction, mode: str) -> Fraction:
    """v rounded to an integer in a deterministic mode (exact)."""
    lo = v.numerator // v.denominator
    if lo == v:
        return Fraction(lo)
    hi = lo + 1
    down, up = Fraction(lo), Fraction(hi)
    if mode == "toward_zero":
        return down if v > 0 else up
    if mode == "toward_positive":
        return up
    if mode == "toward_negative":
        return down
    if mode == "odd":
        return down if lo % 2 else up
    diff = v - lo
    if diff != Fraction(1, 2):
        return down if diff < Fraction(1, 2) else up
    if mode == "nearest_away":
        return up if v > 0 else down
    return down if lo % 2 == 0 else up


def _underflow_blocks(fmt, n, rng):
    """float64 blocks: one large element (scale exponent up to 127) and tiny ones, many of
    them float64 subnormals, so that x / 2**s falls below float64's normal range."""
    x = np.ldexp(rng.uniform(1, 2, (n, fmt.block_size)) * rng.choice([-1, 1], (n, fmt.block_size)),
                 rng.integers(-1074, -1000, (n, fmt.block_size)))
    x[:, 0] = np.ldexp(rng.uniform(1, 2, n), rng.integers(100, 127 + fmt.info.emax_elem + 1, n))
    x[:, 1] = np.ldexp(1.0, rng.integers(-1074, -1070, n)) * 3
    return x


@pytest.mark.parametrize("name", MX_FORMATS)
@pytest.mark.parametrize("mode", DETERMINISTIC)
def test_float64_inputs_exact(name, mode):
    """float64 blocks against exact arithmetic: random, hard (finite) and underflowing blocks."""
    rng = np.random.default_rng(len(name) * 7 + len(mode))
    fmt = nf.format(name)
    x = np.concatenate([_underflow_blocks(fmt, 12, rng),
                        hard_blocks(fmt, 28, seed=3, dtype=np.float64)])
    x = x[np.isfinite(x).all(axis=1)]
    expected = _exact_round(x, name, mode)
    got = nf.round(x, name, mode)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)
    assert (np.signbit(got) == np.signbit(expected)).all()


def test_float64_scale_above_127_is_nan():
    """2**140 needs a shared exponent of 138 > 127: NaN scale (gfloat would clip to 127)."""
    x = np.full(32, 1.0)
    x[3] = 2.0 ** 140
    enc = nf.encode(x, "mxfp4")
    assert enc.scales.tolist() == [0xFF] and np.isnan(nf.decode(enc, dtype=np.float64)).all()
    assert gfloat.compute_scale_amax(2, x) == 2.0 ** 127


# ----------------------------------------------------------------------------- torchao's scale rules
TORCHAO_MAX = {"mxfp8_e4m3": (448.0, 8, 3), "mxfp8_e5m2": (57344.0, 15, 2), "mxfp6_e3m2": (28.0, 4, 2),
               "mxfp6_e2m3": (7.5, 2, 3), "mxfp4": (6.0, 2, 1)}


def _torchao_scale(amax: np.ndarray, rule: str, max_pos: float, max_pow2: int, mbits: int) -> np.ndarray:
    """torchao.prototype.mx_formats.mx_tensor.to_mx's biased E8M0 exponent, on float32 bits."""
    amax = amax.astype(np.float32)
    if rule == "rceil":                    # _to_mx_rceil / _f32_to_e8m0_rceil (normal descale)
        descale = (amax * np.float32(1.0 / max_pos)).view(np.int32)
        return ((descale >> 23) & 0xFF) + ((descale & 0x7FFFFF) != 0)
    bits = amax.view(np.int32)
    if rule == "even":
        bits = (bits + np.int32(1 << (23 - mbits - 1))) & np.int32(-(1 << 23))
    pow2 = ((bits >> 23) & 0xFF) - 127
    if rule == "ceil":
        pow2 = pow2 + ((bits & 0x7FFFFF) > 0)
    return np.clip(pow2 - max_pow2, -127, 128) + 127


def _check_torchao_rules(name, rule, significands, exponents):
    max_pos, max_pow2, mbits = TORCHAO_MAX[name]
    sig = (significands.astype(np.int32) | (127 << 23)).view(np.float32)
    fmt = nf.BlockFormat(nf.format(name).element, 1, "e8m0", scale_rule=rule)
    for e in exponents:
        amax = sig * np.float32(2.0 ** e)
        np.testing.assert_array_equal(nf.encode(amax[:, None], fmt).scales[:, 0],
                                      _torchao_scale(amax, rule, max_pos, max_pow2, mbits))


RULES = ["floor", "ceil", "even", "rceil"]


@pytest.mark.parametrize("name", list(TORCHAO_MAX))
@pytest.mark.parametrize("rule", RULES)
def test_scale_rules_equal_torchao(name, rule):
    """A fixed sample of 2**16 float32 significands plus the 2**12 largest and smallest, at two
    exponents; the block is the single value amax."""
    rng = np.random.default_rng(RULES.index(rule))
    top = (1 << 23) - 1
    significands = np.concatenate([rng.integers(0, top + 1, 1 << 16), np.arange(1 << 12), top - np.arange(1 << 12)])
    _check_torchao_rules(name, rule, significands, (-7, 20))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TORCHAO_MAX))
@pytest.mark.parametrize("rule", RULES)
def test_scale_rules_equal_torchao_on_every_float32_significand(name, rule):
    """Every float32 significand (2**23) at six exponents where the scale stays inside E8M0."""
    _check_torchao_rules(name, rule, np.arange(1 << 23), (-100, -7, 0, 1, 20, 110))


# ----------------------------------------------------------------------------- NVFP4
def _torchao_nvfp4(x: np.ndarray):
    """torchao's _nvfp4_quantize (two-level, per_tensor_scale = amax / (448 * 6)) in numpy float32
    with ml_dtypes' E4M3 and E2M1 casts (round to nearest even): (values, scales, tensor scale)."""
    x = x.astype(np.float32)
    ts = np.float32(np.abs(x).max()) / np.float32(448.0 * 6.0)
    blocks = x.reshape(-1, 16)
    block_scale = np.abs(blocks).max(axis=1) / np.float32(6.0)
    scaled = np.clip(block_scale / ts, np.float32(2.0 ** -6), np.float32(448.0))
    scale8 = scaled.astype(ml_dtypes.float8_e4m3fn)
    total = ts * scale8.astype(np.float32)
    data = np.clip(blocks / total[:, None], np.float32(-6), np.float32(6))
    elem = data.astype(ml_dtypes.float4_e2m1fn).astype(np.float32)
    return (elem * total[:, None]).reshape(x.shape), scale8.view(np.uint8), ts


@pytest.mark.parametrize("seed", range(4))
def test_nvfp4_equals_torchao_recipe(seed):
    fmt = nf.format("nvfp4")
    x = hard_blocks(fmt, 350, seed=seed)
    x = x[np.isfinite(x).all(axis=1) & (np.abs(x).max(axis=1) > 0)].reshape(-1)
    values, scales, ts = _torchao_nvfp4(x)
    enc = nf.encode(x, "nvfp4")
    assert enc.tensor_scale == ts
    np.testing.assert_array_equal(enc.scales, scales)
    np.testing.assert_array_equal(nf.round(x, "nvfp4"), values)
    np.testing.assert_array_equal(nf.decode(enc), values)

