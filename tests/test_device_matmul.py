"""numfmt.torch.matmul and numfmt.jax.matmul (``numfmt.device_matmul``) bit-identical to
numfmt.matmul: hypothesis over shapes (batch dimensions, broadcasting, 1-D operands), input
formats, accumulators, orders, rounding modes and seeds.

Oracle quirk: NaN results are compared as NaN. A NaN's sign comes from the hardware where a
product makes it (inf * 0 in float64 on x86 is the negative default NaN), and NumPy's and the
frameworks' float units need not agree on it; the sums' NaNs are the kernel's positive NaN."""
from __future__ import annotations

import itertools

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


def _finite_values(fmt: str) -> np.ndarray:
    values = nf.format(fmt).values()
    return values[np.isfinite(values)]


@pytest.mark.parametrize("acc", ["bfloat16", "binary16"])
def test_near_sums_round_once(acc):
    """The proof behind "near" additions (``device_matmul._near``) checked where float32 rounds:
    an accumulator value plus an e4m3 product or a second accumulator value, 0 to 30 binades
    apart (float64 holds the sum), rounded from the float32 sum as from the exact one in both
    nearest modes. e5m2 (3 bits, terms of 8) is excluded: 576 + 2**-16 rounds to 576 first."""
    rng = np.random.default_rng(5)
    e4m3 = _finite_values("e4m3")
    terms = rng.choice(e4m3, 5000) * rng.choice(e4m3, 5000)
    scale = 2.0 ** rng.integers(-30, 31, terms.size) * rng.uniform(1, 2, terms.size)
    values = nf.round(terms * scale, acc, overflow="saturate")
    terms = np.where(rng.random(terms.size) < 0.3, rng.choice(values, terms.size), terms)   # acc + acc
    exact = values + terms
    inexact = (exact.astype(np.float32) != exact).sum()
    assert inexact > 500
    for mode in ("nearest_even", "nearest_away"):
        assert_bits(nf.round(exact, acc, rounding=mode).astype(np.float32),
                    nf.round(values.astype(np.float32) + terms.astype(np.float32), acc, rounding=mode))
    assert nf.round(np.float32(576) + np.float32(2.0 ** -16), "e5m2") == 512 != nf.round(576 + 2.0 ** -16, "e5m2")


def _plan(fmt, acc, rounding="nearest_even", product=None):
    from numfmt.accumulate import make_plan
    return make_plan(fmt, acc, product, "sequential", None, None, None, None, rounding, "ieee", None, None, "add",
                     None, "exact", products=True, rng="splitmix64")


def test_additions_take_the_fast_ways():
    """How each accumulator adds (``device_matmul._addition``) and where torch's conversion rounds:
    the fast ways are taken where the proofs allow, not elsewhere."""
    from numfmt.device_matmul import _DOMAINS, _addition, _framework, device_plan
    f32, f64 = _DOMAINS[False], _DOMAINS[True]
    cases = [(("e4m3", "binary32"), f32, "float"), (("e4m3", "bfloat16"), f32, "near"),
             (("e4m3", "binary16"), f32, "near"), (("e4m3", "binary16", "nearest_away"), f32, "near"),
             (("e4m3", "e5m2"), f32, "odd"), (("e5m2", "binary16"), f32, "odd"),     # 8-bit terms; 2**-32
             (("e4m3", "bfloat16", "toward_zero"), f32, "odd"), (("bfloat16", "binary32"), f64, "odd"),
             (("binary16", "binary32", "nearest_away"), f64, "near"),
             (("bfloat16", "binary32", "nearest_away"), f64, "odd"),     # products below binary32's subnormals
             (("binary32", "binary64"), f64, "float"),
             (("e4m3", "bfloat16", "nearest_even", "binary16"), f32, "odd")]      # product= of 11 bits
    for args, dom, add in cases:
        assert _addition(_plan(*args), "sequential", dom) == add, args
    casts = _framework("torch").casts(torch.ones(1))
    for args, cast in ((("e4m3", "bfloat16"), "bfloat16"), (("e5m2", "binary16"), "float16"),
                       (("e4m3", "e5m2"), "float8_e5m2"), (("e4m3", "bfloat16", "nearest_away"), None)):
        assert device_plan(nft.BACKEND, _plan(*args), "sequential", None, "add", casts).cast == cast


def _cast_probes(fmt: str) -> np.ndarray:
    """float32 values at and one float32 step around each value of fmt, each midpoint of two
    neighbours and the overflow threshold, both signs, with the infinities; zero or normal,
    as the device matmul's float32 domain holds them."""
    values = _finite_values(fmt)
    values = values[values >= 0]
    points = np.concatenate([values, (values[1:] + values[:-1]) / 2,
                             [1.5 * values[-1] - 0.5 * values[-2], np.inf]]).astype(np.float32)
    points = np.concatenate([points, np.nextafter(points, np.float32(0)), np.nextafter(points, np.float32(np.inf))])
    points = np.concatenate([points, -points])
    return points[(np.abs(points) >= np.finfo(np.float32).tiny) | (points == 0)]


@pytest.mark.parametrize("flush", [False, True])
def test_torch_casts_round_as_numfmt(flush):
    """The conversions the torch matmul rounds with (``_Torch.casts``: eager CPU, nearest_even,
    overflow "ieee") give numfmt.round's bits on normal float32 values, also while the thread
    flushes subnormals (float32's; binary16's and bfloat16's subnormals are kept)."""
    from numfmt.device_matmul import _framework
    casts = _framework("torch").casts(torch.ones(1))
    assert len(casts) == 3
    previous = torch.tensor([2.0 ** -149]).item() == 0
    torch.set_flush_denormal(flush)
    try:
        for fmt, dtype in casts.items():
            x = _cast_probes(fmt.name)
            assert_bits(nf.round(x, fmt), torch.from_numpy(x).to(getattr(torch, dtype)).float().numpy())
    finally:
        torch.set_flush_denormal(previous)


def test_torch_fast_additions_flushing_subnormals():
    """bfloat16, binary16 and e5m2 accumulation on torch ("near" and "odd" sums converted by
    torch) while the thread flushes subnormals: ties, sums in binary16's subnormal range (e5m2
    terms), overflow, infinities and NaNs as numfmt.matmul."""
    rng = np.random.default_rng(11)
    torch.set_flush_denormal(True)
    try:
        for fmt, acc in (("e4m3", "bfloat16"), ("e4m3", "binary16"), ("e5m2", "binary16"), ("e4m3", "e5m2")):
            values = _finite_values(fmt)
            a, b = (rng.choice(values, shape).astype(np.float32) for shape in ((6, 40), (40, 5)))
            a[0, :3] = [np.nan, np.inf, -np.inf] if fmt == "e5m2" else [np.nan, 448.0, -448.0]
            tiny = values[np.abs(values) <= 32 * np.abs(values[values != 0]).min()]    # row 1, column 0: tiny sums
            a[1], b[:, 0] = rng.choice(tiny, 40), rng.choice(tiny, 40)
            for order in ({}, {"order": "blocked", "block": 7}):
                ref = nf.matmul(a, b, fmt, accumulator=acc, **order)
                assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), fmt, accumulator=acc,
                                            **order).numpy())
    finally:
        torch.set_flush_denormal(False)


def test_binary64_accumulator_on_torch():
    """binary64 in nearest_even adds as float64 does (``machine_sum.machine_add``), in torch's
    float64 domain too."""
    rng = np.random.default_rng(12)
    a, b = rng.standard_normal((3, 30)).astype(np.float32), rng.standard_normal((30, 4)).astype(np.float32)
    ref = nf.matmul(a, b, "binary32", accumulator="binary64")
    assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), "binary32", accumulator="binary64").numpy())


@pytest.mark.parametrize("options", [{}, {"order": "fused", "fused_terms": 1, "alignment_bits": 8},
                                     {"order": "fused", "fused_terms": 4, "alignment_bits": 8}])
def test_zero_sums_keep_ieee_signs(options):
    """Rows of products that are all -0, all +0, of both signs and cancelling: the zero's sign
    as NumPy's (IEEE addition's) on torch and JAX (a select between -0.0 and 0.0 once came out
    -0.0 everywhere: the two compare equal)."""
    a = np.float32([[-1.0, -1.0, -1.0], [1.0, -1.0, 0.0], [1.0, 1.0, 1.0], [-0.0, 1.0, 0.0], [1.0, -1.0, 0.0]])
    b = np.float32([[0.0, 1.0], [0.0, 1.0], [0.0, -0.0]])
    modes = ("nearest_even", "toward_zero", "toward_negative")
    for rounding, acc in itertools.product(modes, ("binary32", "bfloat16")):
        kw = dict(options, accumulator=acc, rounding=rounding)
        ref = nf.matmul(a, b, "e4m3", **kw)     # (binary32, nearest_even and toward_zero: numfmt.machine_sum's)
        down = rounding == "toward_negative"
        assert np.signbit(ref[[0, 1, 2, 3, 4], [0, 0, 0, 0, 1]]).tolist() == [True, down, False, down, down]
        assert_bits(ref, nft.matmul(torch.from_numpy(a), torch.from_numpy(b), "e4m3", **kw).numpy())
        if acc == "bfloat16":   # (JAX without x64 takes binary32 sums in nearest_even only)
            assert_bits(ref, np.asarray(nfj.matmul(jnp.asarray(a), jnp.asarray(b), "e4m3", **kw)))


def test_nan_results_are_the_positive_nan():
    """A reduction's NaN is the positive NaN in every order (a product row that overflows
    e4m3 to NaN at its one fused step once gave NumPy -NaN and the frameworks +NaN), on the
    bits, not only as NaN."""
    a, b = np.float32([[-448.0, -448.0]]), np.float32([[448.0], [448.0]])
    for options in ({}, {"order": "fused", "fused_terms": 4, "alignment_bits": 13}, {"order": "blocked", "block": 1}):
        kw = dict(options, accumulator="e4m3")
        ref = nf.matmul(a, b, "e4m3", **kw)
        assert ref.view(np.uint32).tolist() == [[0x7FC00000]], options
        got = nft.matmul(torch.from_numpy(a), torch.from_numpy(b), "e4m3", **kw).numpy()
        assert got.view(np.uint32).tolist() == [[0x7FC00000]], options
