"""numfmt.torch.matmul and numfmt.jax.matmul (``numfmt.device_matmul``) bit-identical to
numfmt.matmul: hypothesis over shapes (batch dimensions, broadcasting, 1-D operands), input
formats, accumulators, orders, rounding modes and seeds.

Oracle quirk: NaN results are compared as NaN. A NaN's sign comes from the hardware where a
product makes it (inf * 0 in float64 on x86 is the negative default NaN), and NumPy's and the
frameworks' float units need not agree on it; the sums' NaNs are the kernel's positive NaN."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import numfmt as nf

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import numfmt.jax as nfj  # noqa: E402
import numfmt.torch as nft  # noqa: E402

INPUTS = ("e4m3", "e5m2", "bfloat16", "binary16", "e2m1")
ACCUMULATORS = ("binary32", "bfloat16", "binary16", "e5m2", "e4m3")
MODES = ("nearest_even", "toward_zero", "toward_negative", "toward_positive", "nearest_away", "odd", "stochastic")
ORDERS = ({}, {"order": "blocked", "block": 3}, {"order": "fused", "fused_terms": 4, "alignment_bits": 13},
          {"order": "fused", "fused_terms": 3, "alignment_bits": 25}, {"promote_every": 4},
          {"order": "blocked", "block": 2, "promote_every": 5})


def operand(rng, shape, fmt, specials: bool):
    """Values of fmt: normal spread times a power of 2, some zeros, and (specials) some
    infinities, largest values and NaNs where fmt has them."""
    x = rng.standard_normal(shape) * 2.0 ** rng.integers(-6, 7, shape)
    x[rng.random(shape) < 0.1] = 0.0
    if specials:
        info = nf.format(fmt).info
        x[rng.random(shape) < 0.05] = info.max
        x[rng.random(shape) < 0.03] = np.inf if nf.format(fmt).has_inf else -info.max
    return np.asarray(nf.round(x.astype(np.float32), fmt, overflow="saturate"), np.float32)


def canonical_bits(x) -> np.ndarray:
    """float64 bits with every NaN the same NaN (see the module docstring)."""
    x = np.asarray(x, np.float64)
    return np.where(np.isnan(x), np.nan, x).view(np.int64)


def assert_bits(ref, got):
    got = np.asarray(got)
    assert got.dtype == np.asarray(ref).dtype and got.shape == np.shape(ref)
    bad = canonical_bits(ref) != canonical_bits(got)
    assert not bad.any(), f"{int(bad.sum())} of {bad.size} differ: first {np.asarray(ref)[bad][:4]} vs {got[bad][:4]}"


@st.composite
def cases(draw, modes=MODES):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fmt = draw(st.sampled_from(INPUTS))
    m, k, n = (draw(st.integers(1, 5)) for _ in range(3))
    k = draw(st.sampled_from((k, 9, 13)))
    batch_a, batch_b = draw(st.sampled_from((((), ()), ((2,), ()), ((2, 1), (3,)), ((), (2,)))))
    a_shape = batch_a + ((m, k) if draw(st.booleans()) or batch_a else (k,))
    b_shape = batch_b + ((k, n) if draw(st.booleans()) or batch_b else (k,))
    options = dict(draw(st.sampled_from(ORDERS)))
    options["accumulator"] = draw(st.sampled_from(ACCUMULATORS))
    options["rounding"] = draw(st.sampled_from(modes))
    if draw(st.integers(0, 3)) == 0:
        options["product"] = draw(st.sampled_from(("e4m3", "bfloat16", "binary16")))
    if draw(st.integers(0, 3)) == 0:
        options["overflow"] = "saturate"
    if options["rounding"] == "stochastic":
        options["seed"] = draw(st.integers(0, 2**64 - 1))
        options["sr_bits"] = draw(st.sampled_from((None, 6, 12, 20)))
    specials = draw(st.integers(0, 3)) == 0
    return operand(rng, a_shape, fmt, specials), operand(rng, b_shape, fmt, specials), fmt, options


def _exact_on_torch(options) -> bool:
    """Whether torch (float64 available) must run the case: binary32 stochastic accumulation
    needs precision 24 + sr_bits + 2 <= 53, except in fused steps whose sums float64 holds."""
    return not (options["accumulator"] == "binary32" and options["rounding"] == "stochastic"
                and (options.get("sr_bits") or 32) > 27 and options.get("order") != "fused")


def check_torch(case):
    a, b, fmt, options = case
    ref = nf.matmul(a, b, fmt, **options)
    if not _exact_on_torch(options):
        with pytest.raises(ValueError, match="sr_bits"):
            nft.matmul(torch.from_numpy(a), torch.from_numpy(b), fmt, **options)
        return
    assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), fmt, **options).numpy())


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_torch_matmul_matches_numpy(case):
    check_torch(case)


@pytest.mark.slow
@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_torch_matmul_matches_numpy_many(case):
    check_torch(case)


def check_jax(case):
    a, b, fmt, options = case
    try:
        got = nfj.matmul(jnp.asarray(a), jnp.asarray(b), fmt, **options)
    except ValueError as exc:       # x64 off: float32 cannot hold some cases; it must say so
        assert "cannot be exact" in str(exc) and "jax_enable_x64" in str(exc)
        assume(False)
    assert_bits(nf.matmul(a, b, fmt, **options), got)


# each example compiles its steps (XLA, about a second): few here, more in the slow run
@settings(max_examples=2, suppress_health_check=[HealthCheck.too_slow])
@given(cases(modes=("nearest_even", "toward_zero", "stochastic")))
def test_jax_matmul_matches_numpy(case):
    check_jax(case)


@pytest.mark.slow
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_jax_matmul_matches_numpy_many(case):
    check_jax(case)


def test_torch_float64_inputs_give_float64():
    a = np.array([[1.0, 2.0], [3.0, -0.5]])
    ref = nf.matmul(a, a, "e4m3", accumulator="bfloat16")
    assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(a), "e4m3", accumulator="bfloat16").numpy())


def test_binary32_inputs_on_torch():
    """binary32 products (48 bits) are exact in float64: torch runs them, in every mode."""
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((3, 20)).astype(np.float32), rng.standard_normal((20, 4)).astype(np.float32)
    for mode in ("nearest_even", "toward_zero"):
        assert_bits(nf.matmul(a, b, "binary32", rounding=mode),
                    nft.matmul(torch.from_numpy(a), torch.from_numpy(b), "binary32", rounding=mode).numpy())


def test_binary32_accumulator_on_jax_float32():
    """The e4m3 x binary32 case runs without x64 (plain float32 addition in nearest even)."""
    rng = np.random.default_rng(7)
    a, b = operand(rng, (2, 3, 40), "e4m3", False), operand(rng, (40, 5), "e4m3", False)
    assert_bits(nf.matmul(a, b, "e4m3", accumulator="binary32"),
                nfj.matmul(jnp.asarray(a), jnp.asarray(b), "e4m3", accumulator="binary32"))


def test_jax_x64_runs_the_float64_domain():
    """With x64 on, JAX takes what float32 cannot hold: bfloat16 products, sr_bits=32."""
    rng = np.random.default_rng(9)
    a, b = operand(rng, (3, 12), "bfloat16", False), operand(rng, (12, 2), "bfloat16", False)
    options = dict(accumulator="bfloat16", rounding="stochastic", seed=4)
    ref = nf.matmul(a, b, "bfloat16", **options)
    with jax.enable_x64(True):
        got = nfj.matmul(jnp.asarray(a), jnp.asarray(b), "bfloat16", **options)
    assert_bits(ref, got)


def test_errors_name_the_argument():
    a = torch.ones(2, 3)
    with pytest.raises(ValueError, match="order must be one of"):
        nft.matmul(a, a.T, "e4m3", accumulator="binary32", order="pairwise")
    with pytest.raises(ValueError, match="overflow='raise'"):
        nft.matmul(a, a.T, "e4m3", accumulator="binary32", overflow="raise")
    with pytest.raises(ValueError, match="not values of e4m3"):
        nft.matmul(a * 1.1, a.T, "e4m3", accumulator="binary32")
    with pytest.raises(ValueError, match="a has 3 columns"):
        nft.matmul(a, a, "e4m3", accumulator="binary32")
    with pytest.raises(ValueError, match="sr_bits=47 is too many for binary32"):     # as numfmt.matmul
        nft.matmul(a, a.T, "e4m3", accumulator="e4m3", product="binary32", rounding="stochastic", sr_bits=47)
    with pytest.raises(ValueError, match="integer accumulators"):
        nft.matmul(a, a.T, "int8", accumulator="int16")
    with pytest.raises(ValueError, match="fmt: products of binary64"):
        nft.matmul(a, a.T, "binary64")
    with pytest.raises(ValueError, match="fmt: products of binary32.*jax_enable_x64"):
        nfj.matmul(jnp.ones((2, 3)), jnp.ones((3, 2)), "binary32")
    with pytest.raises(ValueError, match="jax_enable_x64"):     # bfloat16 products leave float32
        nfj.matmul(jnp.ones((2, 3)), jnp.ones((3, 2)), "bfloat16", accumulator="binary32")


def test_promotion_adds_in_nearest_even():
    """Regression: the promotion's binary32 adds are round-to-nearest-even whatever the
    accumulator's mode, so chunks 1 and -1 cancel to +0 (not -0) under toward_negative."""
    a, b = np.array([[1.0, -1.0]], np.float32), np.array([[1.0], [1.0]], np.float32)
    for fmt in ("e4m3", "bfloat16"):        # the float32 and the float64 domain
        options = dict(accumulator="binary16", rounding="toward_negative", promote_every=1)
        ref = nf.matmul(a, b, fmt, **options)
        assert not np.signbit(ref).any()
        assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), fmt, **options).numpy())


def test_fused_binary32_wide_sum_rounds_once():
    """Regression (found by hypothesis): a fused step's 28-bit integer sum into binary32 in
    nearest even went through float32 (rounded twice); float32 lanes must refuse it and torch
    take float64."""
    a = np.array([7.8125e-03, 448.0, 2.5, 448.0], np.float32)
    b = np.array([0.005859375, 4.0, -0.125, 5.5], np.float32)
    options = dict(order="fused", fused_terms=3, alignment_bits=25, accumulator="binary32")
    ref = nf.matmul(a, b, "e4m3", **options)
    assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), "e4m3", **options).numpy())
    with pytest.raises(ValueError, match="accumulator: rounding='nearest_even' to binary32 needs a precision <= 22"):
        nfj.matmul(jnp.asarray(a), jnp.asarray(b), "e4m3", **options)


def test_fused_sum_beyond_float32_overflows():
    """A fused step's integer sum at or above 2**128 (products of a format with maxexp 64)
    gives the accumulator's overflow value in every mode, not the rounding of Inf."""
    from numfmt.formats.floating import FloatFormat
    fmt = FloatFormat(7, 1, subnormals=False)
    m = np.float32(fmt.info.max)
    a, b = np.full((1, 3), m, np.float32), np.full((3, 1), m, np.float32)
    for mode in ("nearest_even", "toward_zero", "stochastic"):
        options = dict(accumulator="binary32", order="fused", fused_terms=4, alignment_bits=1, rounding=mode, seed=1)
        options = {k: v for k, v in options.items() if k != "seed" or mode == "stochastic"}
        ref = nf.matmul(a, b, fmt, **options)
        assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), fmt, **options).numpy())
        if mode == "toward_zero":
            assert_bits(ref, nfj.matmul(jnp.asarray(a), jnp.asarray(b), fmt, **options))


def test_inputs_round():
    x = np.array([[1.1, 2.3], [0.3, -7.7]], np.float32)
    ref = nf.matmul(x, x, "e4m3", accumulator="bfloat16", inputs="round")
    assert_bits(ref, nft.matmul(torch.from_numpy(x), torch.from_numpy(x), "e4m3", accumulator="bfloat16",
                                inputs="round").numpy())
