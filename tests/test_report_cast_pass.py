"""The float casts' counts taken in the cast's own pass (``kernels.report.round_count``, behind
``numfmt.round(..., report=True)``) against the separate counting
pass over (x, result) (``casts.report.float_report``, the reference the other report tests
check), counts and first indices, for random formats, modes, policies and inputs."""
from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt.casts import report as cast_report
from numfmt.formats.floating import FloatFormat
from numfmt.kernels import report as report_kernels
from numfmt.random import DRAW_BLOCK
from numfmt.rounding import rounding_mode
from numfmt.stochastic import stochastic_args
from numfmt.testing import formats, rounding_cases
from sampling import ci_sample, slow_twin  # noqa: E402

MODES = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd", "stochastic"]
EXTREMES = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300, 3e38, 1e-300, -1e-45, 5e-324, 2.0 ** -126]


def _reference(x, y, fmt, mode: str, seed, sr_bits, sr_rule, random_bits=None):
    sto = mode == "stochastic"
    sr = stochastic_args(rounding_mode(mode), x.shape, seed if sto else None, sr_bits if sto else None, sr_rule,
                         random_bits)
    return cast_report.float_report(x, y, fmt, rounding_mode(mode), sr)


def _check(x, fmt, mode, overflow, seed=3, sr_bits=None, sr_rule="add", random_bits=None):
    """round(report=True) and encode(report=True) give the plain round's values and the plain
    encode's codes, and the counts and first indices of the counting pass after the cast."""
    kwargs = dict(seed=seed, sr_bits=sr_bits, sr_rule=sr_rule, random_bits=random_bits) if mode == "stochastic" else {}
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    y, rep = nf.round(x, fmt, mode, overflow, nan=nan, report=True, **kwargs)
    plain = nf.round(x, fmt, mode, overflow, nan=nan, **kwargs)
    assert y.dtype == plain.dtype and y.tobytes() == plain.tobytes()      # (bit for bit: -0 is not +0)
    ref = _reference(x, plain, fmt, mode, seed, sr_bits, sr_rule, random_bits)
    assert rep == ref
    assert rep.first == ref.first
    codes, rep = nf.encode(x, fmt, mode, overflow, nan=nan, report=True, **kwargs)
    np.testing.assert_array_equal(codes, nf.encode(x, fmt, mode, overflow, nan=nan, **kwargs))
    assert rep == ref and rep.first == ref.first


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])   # (slow twin: 60)
@given(st.data())
def test_counts_in_the_cast_pass_equal_the_counting_pass(data):
    fmt = data.draw(formats(max_bits=32, signed=True).filter(lambda f: f.zero))
    mode = data.draw(st.sampled_from(MODES))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    values = data.draw(st.lists(rounding_cases(fmt, allow_special=True) | st.sampled_from(EXTREMES),
                                min_size=1, max_size=40))
    if not fmt.has_nan:
        values = [v for v in values if v == v]
    # repeated past a tile (``kernels.report.CAST_TILE``) and shifted: tiles of common elements
    # (all 1.0) and dense ones
    reps = data.draw(st.sampled_from([1, 900]))
    x = np.array(values * reps + [1.0] * data.draw(st.integers(0, 40000)) + values, np.float64)
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    _check(x, fmt, mode, overflow, sr_bits=data.draw(st.sampled_from([None, 3, 12])),
           sr_rule=data.draw(st.sampled_from(["add", "nearest"])))


@pytest.mark.parametrize("man_bits", [3, 21, 22, 23])
@pytest.mark.parametrize("mode", ["nearest_even", "toward_zero", "odd"])
def test_float64_counts_through_float32_stand_ins(man_bits, mode):
    """float64 x encodes with report=True through float32 stand-ins rounded to odd where the
    format's precision is at most 22 bits (``casts.floating._may_stand_in``: then the float32
    kernels' codes and counts are x's), else by the float64 kernel, and rounds by the float64
    kernel: all equal the plain cast and the counting pass after it, on normal data whose
    roundings at 23 and 24 bits would differ from a stand-in's (a stand-in's odd last bit is a
    tie there)."""
    fmt = FloatFormat(8, man_bits, name=f"e8m{man_bits}")
    x = np.random.default_rng(man_bits).standard_normal(20000) * 2.0 ** np.arange(-20, 20).repeat(500)
    _check(x, fmt, mode, "ieee")


@pytest.mark.parametrize("name", ["e2m1", "e3m2", "binary16", "e4m3", "e8m0"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stochastic_counts_of_dense_bands(name, dtype):
    """Blocks with many elements in a band that rounds count as the counting pass after the
    cast does: float64 x in ``kernels.report.round_count_sr64``'s loop over the block just
    rounded (``_sr64_band``; e8m0, unsigned without a zero, by ``UnsignedCounts``' lean
    counts: its negatives and zeros are invalid, and so in neither band), with seeded or
    given random bits, either rule, up to 40 bits;
    float32 x (of sr_rule "add" or more than 32 bits, which the fast kernels leave) by
    ``round_count``'s ``_dense_band``, which rounds the whole block again. x crowds the bands
    under the smallest normal and over the largest value, of both signs, beside ordinary
    blocks, the bands' ends and the numbers next to them (``above``, the grid point over the
    largest value, overflows; it lies outside the band) and a few NaNs and Infs (e4m3 under
    overflow "ieee": overflows give NaN)."""
    fmt = nf.format(name)
    rng = np.random.default_rng(4)
    normal, top = float(fmt.info.smallest_normal), float(fmt.info.max)
    above = top + 2.0 ** (np.floor(np.log2(top)) - fmt.man_bits)
    ends = [v for e in (normal, top, above) for v in (e, np.nextafter(e, 0.0), np.nextafter(e, np.inf))]
    # first, blocks of ones (``numfmt.random.DRAW_BLOCK``: ``kernels.report._sr64_block``'s cheap
    # pass takes a block after a common one), every other one with 100 of one of the ends in it
    lone = np.ones((2 * len(ends), DRAW_BLOCK))
    lone[1::2, 50:150] = np.array(ends)[:, None]
    x = np.concatenate([lone.ravel(), rng.uniform(0.5 * normal, normal, 3000), rng.uniform(top, 1.25 * top, 3000),
                        rng.standard_normal(3000), np.repeat(ends, 20)])
    x *= rng.choice([-1.0, 1.0], x.size)
    x[rng.integers(lone.size, x.size, 4)] = [np.inf, -np.inf, np.nan, 0.0]      # (past the lone blocks)
    x = x.astype(dtype)
    for sr_bits, overflow, rule in ((3, "saturate", "add"), (32, "ieee", "add"), (12, "ieee", "nearest"),
                                    (40, "saturate", "add")):
        if dtype == np.float32 and rule == "nearest":
            continue        # (the fast float32 kernels' cast: tests/test_report.py)
        with mock.patch.object(report_kernels, "round_count_sr64", wraps=report_kernels.round_count_sr64) as spy:
            _check(x, fmt, "stochastic", overflow, seed=9, sr_bits=sr_bits, sr_rule=rule)
            if dtype == np.float64:
                bits = rng.integers(0, 2 ** min(sr_bits, 62), x.size)
                _check(x, fmt, "stochastic", overflow, sr_bits=sr_bits, sr_rule=rule, random_bits=bits)
        assert spy.called == (dtype == np.float64)      # (the rounds; encode counts after the cast)


@pytest.mark.parametrize("fmt", ["e4m3", "bfloat16", "e2m1"])
def test_counts_in_the_cast_pass_are_the_same_for_any_thread_count(fmt):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(300_000) * 2.0 ** rng.uniform(-20, 20, 300_000)).astype(np.float32)
    x[rng.integers(0, x.size, 50)] = np.inf
    old = nf.get_num_threads()
    try:
        nf.set_num_threads(1)
        one = nf.round(x, fmt, "stochastic", seed=7, report=True)[1]
        nf.set_num_threads(old)
        many = nf.round(x, fmt, "stochastic", seed=7, report=True)[1]
    finally:
        nf.set_num_threads(old)
    assert one == many and one.first == many.first
    _check(x, nf.format(fmt), "stochastic", "ieee", seed=7)


@pytest.mark.parametrize("fmt", ["bfloat16", "tf32"])
@pytest.mark.parametrize("overflow", ["ieee", "saturate"])
@pytest.mark.parametrize("mode", ["nearest_even", "stochastic"])
def test_same_range_counts_in_the_rounding_loop(fmt, overflow, mode):
    """Formats with float32's exponent field round and count their common tiles in one loop
    (``kernels.report._same_range_common32``; seeded stochastic rounding with up to 32 bits:
    ``_same_range_sr_common32``, whose pairs loop's fixed pass counts the inexact elements of
    blocks in [normal, max] and whose other blocks count in the loop that rounds them, in a
    kernel of its own, ``round_count_common_sr32``, until a tile is not common, from which on
    ``round_count`` takes the chunk; reversed, x has one in its first tile): tiles
    all common (inexact and exact elements), then tiles with a few others (tiny, subnormal up
    to the largest one, overflowing, NaN) and a run of zeros (the pairs loop stops trying its
    fixed pass; zeros among common elements leave a tile common: ``_same_range_common32``), in either
    order and from an odd start (a pair straddles the edge)."""
    rng = np.random.default_rng(5)
    n = 6 * 32768 + 123
    x = rng.standard_normal(n).astype(np.float32)
    x[::7] = np.float32(-0.75)                         # exact elements among the inexact
    x[5000:60000:3], x[5001:60000:11] = 0.0, -0.0      # zeros among them (ReLU's outputs): tiles still common
    x[40000 + rng.integers(0, 20000, 30)] = np.float32(3e-39)
    x[70000 + rng.integers(0, 9, 3)] = np.float32(-3.4e38)
    x[100000 + rng.integers(0, 60000, 60)] = rng.choice(np.array([np.nan, 1e-45, -2.0 ** -126, 3.4e38], np.float32),
                                                        60)
    x[130000:132000] = 0.0
    largest_subnormal = np.uint32(0x007FFFFF).view(np.float32)     # (next to the smallest normal: common's bound)
    x[170000 + rng.integers(0, 20000, 4)] = rng.choice(np.array([1e-38, largest_subnormal], np.float32), 4)
    for data in (x, x[::-1].copy(), x[1:]):
        for sr_bits in ((32, 3) if mode == "stochastic" else (None,)):
            _check(data, nf.format(fmt), mode, overflow, sr_bits=sr_bits)


@pytest.mark.parametrize(("fmt", "mode"), [("e5m2", "nearest_even"), ("binary16", "toward_zero"),
                                           ("e4m3", "stochastic"), ("e2m3", "toward_negative")])
def test_first_indices_among_zeros(fmt, mode):
    """ReLU-like tiles (half zeros) whose first tiny, flushed and subnormal elements come late
    in a tile, after zeros: the scan for first indices (``kernels.report._maybe_flags32``) skips
    the zeros, which set none of those counts, and still finds each (float32 subnormal inputs
    among them); as float64 (``round_count``), a tile of zeros and normal elements is common
    (``_common_counts``) and one with tiny elements too is not."""
    rng = np.random.default_rng(8)
    x = np.maximum(rng.standard_normal(3 * 32768 + 5), 0).astype(np.float32)
    x[np.abs(x) < 2.0 ** -10] = 0.0                    # no tiny element but those placed below
    x[40000:40010] = np.float32(2.0 ** -20)             # tiny in each of these formats
    x[50000:50010] = np.float32(1e-45)                  # float32 subnormals: flushed to zero
    x[60000:60010] = np.float32(-3e-39)
    for data in (x, x.astype(np.float64)):
        _check(data, nf.format(fmt), mode, "ieee", sr_bits=8 if mode == "stochastic" else None)


def _check_fixed(x, fmt, mode, overflow, sr):
    codes, rep = nf.encode(x, fmt, mode, overflow, nan="zero", report=True, **sr)
    np.testing.assert_array_equal(codes, nf.encode(x, fmt, mode, overflow, nan="zero", **sr))
    k = codes.astype(np.int64) - np.where(fmt.signed & (codes > fmt.max_int), 1 << fmt.bits, 0)
    args = stochastic_args(rounding_mode(mode), x.shape, sr.get("seed"), sr.get("sr_bits"), sr.get("sr_rule", "add"),
                           None)
    ref = cast_report.integer_report(x, k, fmt.min_int, fmt.max_int, rounding_mode(mode), args,
                                     scale=2.0 ** -fmt.frac_bits, wrap=overflow == "wrap")
    assert rep == ref
    assert rep.first == ref.first
    assert nf.round(x, fmt, mode, overflow, nan="zero", report=True, **sr)[1] == rep


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fixed_counts_in_the_cast_pass_equal_the_counting_pass(data):
    """Integer and fixed-point casts count in their own pass (``kernels.report.count_fixed_cast``):
    counts and first indices equal those of the separate pass (``casts.report.integer_report``)."""
    fmt = nf.FixedFormat(data.draw(st.integers(2, 32)), data.draw(st.sampled_from([0, 3, 40])),
                         data.draw(st.booleans()))
    mode = data.draw(st.sampled_from(MODES))
    overflow = data.draw(st.sampled_from(["saturate", "wrap"]))
    scale = 2.0 ** -fmt.frac_bits
    values = data.draw(st.lists(st.integers(fmt.min_int - 3, fmt.max_int + 3).map(lambda k: k * scale / 2)
                                | st.floats(-1e6, 1e6).map(lambda v: v * scale) | st.sampled_from(EXTREMES),
                                min_size=1, max_size=40))
    reps = data.draw(st.sampled_from([1, 900]))
    with np.errstate(over="ignore"):
        x = np.array([scale] * data.draw(st.sampled_from([0, 40000])) + values * reps
                     + [scale] * data.draw(st.integers(0, 40000)) + values,
                     data.draw(st.sampled_from([np.float32, np.float64])))
    if overflow == "wrap":                          # Inf has no wrap
        x = np.where(np.isinf(x), 0, x)
    sr = dict(seed=3, sr_bits=data.draw(st.sampled_from([3, 32])),
              sr_rule=data.draw(st.sampled_from(["add", "nearest"]))) if mode == "stochastic" else {}
    _check_fixed(x, fmt, mode, overflow, sr)


@pytest.mark.parametrize("mode", ["nearest_even", "stochastic"])
def test_fixed_counts_in_the_cast_pass_sample(mode):
    """CI's sample of the property above: int8, float32 inputs over 40 binades (most overflow
    or flush) after a tile of exact ones, so that first indices lie in later tiles."""
    rng = np.random.default_rng(6)
    wide = rng.standard_normal(50000) * 2.0 ** rng.uniform(-20, 20, 50000)
    x = np.concatenate([np.ones(40000), wide, [np.nan, np.inf, -np.inf]]).astype(np.float32)
    sr = dict(seed=3) if mode == "stochastic" else {}
    _check_fixed(x, nf.format("int8"), mode, "saturate", sr)
    _check_fixed(x[:-2], nf.format("int8"), mode, "wrap", sr)


# ----- the one-pass float32 kernels (``kernels.report.count_nearest32``, ``count_sr_add32``,
# ``count_posit_round32``) against the separate counting passes, on random bit patterns

def _bit_patterns(seed: int, n: int) -> np.ndarray:
    """n float32 values: random bit patterns (NaNs, Infs, subnormals, every binade), values
    spread over 80 binades around 1, and the EXTREMES, in random order."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    spread = (rng.standard_normal(n) * 2.0 ** rng.uniform(-40, 40, n)).astype(np.float32)
    with np.errstate(over="ignore"):
        x = np.concatenate([bits, spread, np.array(EXTREMES * 20, np.float32)])
    return rng.permutation(x)


def _fast32(fmt, mode, overflow, nan, sr_rule="add", sr_bits=32):
    from numfmt.casts import floating as float_casts
    sto = None if mode == "nearest_even" else (3, sr_bits, sr_rule, None)
    return float_casts._fast32(fmt, rounding_mode(mode), overflow, nan, sto)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_pass_float32_counts_equal_the_counting_pass(data):
    """Formats that take the uint32-lane kernels, nearest_even and stochastic (seeded and given
    random bits), both overflow policies: results, counts and first indices equal the separate
    pass', on random bit patterns and spread values (tiles with and without non-finite inputs)."""
    fmt = data.draw(formats(max_bits=32, signed=True).filter(lambda f: f.zero and 1 <= f.man_bits <= 22))
    mode = data.draw(st.sampled_from(["nearest_even", "stochastic"]))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    sr_bits = data.draw(st.sampled_from([3, 12, 32]))
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    if _fast32(fmt, mode, overflow, nan, sr_bits=sr_bits) is None:
        return
    x = _bit_patterns(data.draw(st.integers(0, 1000)), data.draw(st.sampled_from([50, 40000])))
    if not fmt.has_nan:
        x = x[~np.isnan(x)]
    if data.draw(st.booleans()):                # a tile of finite values only
        x = np.concatenate([np.where(np.isfinite(x), x, 1.0).astype(np.float32), x])
    if mode == "stochastic" and data.draw(st.booleans()):
        rand = np.random.default_rng(5).integers(0, 1 << sr_bits, x.size)
        y, rep = nf.round(x, fmt, mode, overflow, nan=nan, random_bits=rand, sr_bits=sr_bits, report=True)
        plain = nf.round(x, fmt, mode, overflow, nan=nan, random_bits=rand, sr_bits=sr_bits)
        sr = stochastic_args(rounding_mode(mode), x.shape, None, sr_bits, "add", rand)
        ref = cast_report.float_report(x, plain, fmt, rounding_mode(mode), sr)
        np.testing.assert_array_equal(y, plain)
        assert rep == ref and rep.first == ref.first
        codes, rep = nf.encode(x, fmt, mode, overflow, nan=nan, random_bits=rand, sr_bits=sr_bits, report=True)
        np.testing.assert_array_equal(codes, nf.encode(x, fmt, mode, overflow, nan=nan, random_bits=rand,
                                                       sr_bits=sr_bits))
        assert rep == ref and rep.first == ref.first
    else:
        _check(x, fmt, mode, overflow, seed=11, sr_bits=sr_bits)


def test_float32_encode_counts_in_the_cast_pass():
    """encode(report=True) of float32 inputs in the fast kernels' formats counts in their pass
    (the counting pass after the cast is never called), nearest even and stochastic; bfloat16
    (float32's exponent field) in the counted round's pass, its codes from the values."""
    x = _bit_patterns(6, 5000)
    x = x[~np.isnan(x)]
    with mock.patch.object(cast_report, "float_report", side_effect=AssertionError("counted after the cast")):
        for name in ("e4m3", "e5m2", "binary16", "e2m1", "bfloat16"):
            for kwargs in ({}, {"rounding": "stochastic", "seed": 2}):
                codes, rep = nf.encode(x, name, overflow="saturate", report=True, **kwargs)
                assert rep == nf.round(x, name, overflow="saturate", report=True, **kwargs)[1]


@pytest.mark.parametrize("name, mode", ci_sample([(name, "nearest_even") for name in
                                                  ("e4m3", "e5m2", "e2m1", "e3m2", "e4m3fnuz", "binary16", "e6m1",
                                                   "bfloat16")]
                                                 + [("bfloat16", "toward_negative"), ("e8m3", "nearest_away"),
                                                    ("e4m3", "toward_positive"), ("e2m1", "toward_zero"),
                                                    ("e5m2", "odd"), ("binary16", "nearest_away"),
                                                    ("e4m3fnuz", "toward_negative")], 8))
def test_codes_of_the_counting_pass_sweep_float32(name, mode):
    """The casts that count in their own pass (``kernels.report.coded_tally``: codes from |x| +
    m, not from the rounded values; formats with float32's exponent field, every deterministic
    mode: ``_same_range_common32``; the other deterministic modes: ``count_directed32``) give
    the plain encode's codes and the counting pass' report (``casts.report.float_report``), on
    every 4099th float32 bit pattern and every float32 at the top of the range and near zero,
    both signs (each binade, each tie and carry, overflow, NaN)."""
    low = np.arange(0, 1 << 21, dtype=np.uint32)
    top = np.arange(0x7F700000, 0x80000000, dtype=np.uint32)
    bits = np.concatenate([np.arange(0, 1 << 32, 4099, dtype=np.uint64).astype(np.uint32), low, top])
    x = np.concatenate([bits, bits | np.uint32(0x80000000)]).view(np.float32)
    fmt = nf.format(name)
    x = x if fmt.has_nan else x[~np.isnan(x)]
    for overflow in ("ieee", "saturate"):
        codes, rep = nf.encode(x, fmt, mode, overflow, report=True)
        np.testing.assert_array_equal(codes, nf.encode(x, fmt, mode, overflow))
        ref = _reference(x, nf.round(x, fmt, mode, overflow), fmt, mode, None, None, "add")
        assert rep == ref and rep.first == ref.first
        assert nf.round(x, fmt, mode, overflow, report=True)[1] == ref


@pytest.mark.parametrize("name", ["e4m3", "e2m1", "binary16", "bfloat16", "e5m2fnuz"])
def test_float64_encode_counts_its_float32_stand_in(name):
    """encode(report=True) of float64 x counts the float32 fast kernels' cast of x rounded to
    odd in float32, in every deterministic mode they take: the codes of the plain encode and
    the counts and first indices of the counting pass over x itself (values just off the grid,
    which round to odd onto it no more, ties, tiny and subnormal float64, float32 values). A
    magnitude of 2**127 or more stands in as the largest float32 where the kernels make the
    stand-ins (``casts.floating._kernel_stand_ins``: fmt's largest value below 2**127); in
    bfloat16 (``_by_stand_ins``) it has none, and x is counted after the cast."""
    rng = np.random.default_rng(1)
    grid = nf.round(rng.standard_normal(3000) * 4, name, overflow="saturate").astype(np.float64)
    x = np.concatenate([rng.standard_normal(3000) * 2.0 ** rng.integers(-40, 40, 3000), grid * (1 + 2.0 ** -40),
                        grid * (1 - 2.0 ** -45), grid, (grid + np.roll(grid, 1)) / 2, [1e-300, -5e-324, 0.0, -0.0]])
    fmt = nf.format(name)
    for mode in ("nearest_even", "toward_zero", "toward_negative", "odd"):
        for data, stand_in in ((x, True), (np.append(x, 2.0 ** 127), fmt.info.max < 2.0 ** 127)):
            with mock.patch.object(cast_report, "float_report", wraps=cast_report.float_report) as after:
                codes, rep = nf.encode(data, fmt, mode, "saturate", report=True)
            assert after.called != stand_in, (name, mode)
            np.testing.assert_array_equal(codes, nf.encode(data, fmt, mode, "saturate"))
            ref = _reference(data, nf.round(data, fmt, mode, "saturate"), fmt, mode, None, None, "add")
            assert rep == ref and rep.first == ref.first, (name, mode)


@pytest.mark.parametrize("sr_bits", [5, 32])
def test_seeded_stochastic_counts_from_an_odd_start(sr_bits):
    """``kernels.report.count_sr_add32`` draws a tile's random bits at once (pairs of elements
    per SplitMix64 output): a chunk from an odd index (a thread's) rounds and counts as the
    whole array does (results, counts, first indices: ``combine`` of the two chunks)."""
    from numfmt.kernels import report as kern
    fmt = nf.format("e4m3")
    p = _fast32(fmt, "stochastic", "ieee", "raise", sr_bits=sr_bits)
    x = _bit_patterns(4, 40000)
    x = x[~np.isnan(x)].view(np.uint32)
    # then ones up to the cut and halfway below the smallest normal (underflow iff rounded down:
    # its first index depends on the random bits the scan for it reads)
    halves = np.concatenate([np.ones(40001), np.full(30000, 2.0 ** -6 - 2.0 ** -11)]).astype(np.float32)
    cut = 40001
    args = (None, np.uint64(7), p, sr_bits, cast_report.fast32_derive(p), None)
    for x in (x, halves.view(np.uint32)):
        whole, parts = np.empty_like(x), np.empty_like(x)
        counts = kern.count_sr_add32(x, whole, 0, *args)
        chunks = [kern.count_sr_add32(x[:cut], parts[:cut], 0, *args),
                  kern.count_sr_add32(x[cut:], parts[cut:], cut, *args)]
        np.testing.assert_array_equal(parts, whole)
        np.testing.assert_array_equal(cast_report.combine(chunks), cast_report.combine([counts]))


def test_seeded_stochastic_counts_of_every_block_pass():
    """``kernels.report.count_sr_add32`` counts a block the fixed bias rounds (only inexact
    elements there) apart from one that ``floating.sr_add_block`` rounds (counted in its own
    loop): normal data in range (exact and inexact elements), blocks with one element out of
    range (subnormal, tiny, flushed, overflowing, Inf, NaN, zero) and runs of them (the loop
    then skips the fixed pass), from odd and even starts, k = 32 and 3: counts and first
    indices equal the separate pass'."""
    from numfmt.kernels import floating as float_kernels
    b = float_kernels.FIXED_BLOCK
    rng = np.random.default_rng(8)
    for name in ("e4m3", "e2m1", "binary16"):
        fmt = nf.format(name)
        info = fmt.info
        x = np.exp2(rng.uniform(np.log2(info.smallest_normal), np.log2(info.max), 40 * b + 37)).astype(np.float32)
        x = np.minimum(np.maximum(x, np.float32(info.smallest_normal)), np.float32(info.max))
        x[::5] = np.float32(info.smallest_normal)         # exact elements among the inexact
        x *= rng.choice(np.float32([-1, 1]), x.size)
        odd = {1: info.smallest_normal / 3, 2: info.max * 3, 3: 0.0, 4: -0.0, 10: np.nan, 16: -np.inf,
               17: 2.0 ** -140, 23: -info.smallest_subnormal / 2, 24: info.smallest_normal / 2}
        for block, value in odd.items():
            x[block * b + 5] = value
        x[30 * b:(31 + float_kernels.MISS_RUN) * b:7] = info.smallest_normal / 3     # a run
        for k in (32, 3):
            for start in (0, 1, 6):
                _check(x[start:], fmt, "stochastic", "ieee", seed=k, sr_bits=k)
                _check(x[start:], fmt, "stochastic", "saturate", seed=k + 1, sr_bits=k)


def _added_limits(p) -> np.ndarray:
    """The float32 numbers next to every limit ``kernels.report._added32`` and ``_added_lean``
    compare with (p: ``Fast32Params``): the smallest quantum and its half (flush), the
    smallest normal and the midpoint below it on the grid of fmt's precision (subnormal
    results, tininess), the largest value and the midpoint above it (overflow), 2**(127 - s)
    and 2**(128 - s) (the top of the range where the float32 addition holds), within 3 units in the last place
    of float32 and of the format, both signs; Inf and NaN."""
    half_lsb, s = int(p.lsb) >> 1, int(p.t_top) - int(p.t_cap)
    limits = [int(p.q_bits), int(p.q_bits) >> 1, int(p.normal_bits), int(p.normal_bits) - half_lsb, int(p.max_bits),
              int(p.max_bits) + half_lsb, (254 - s) << 23, (255 - s) << 23]
    steps = [d * unit for unit in (1, int(p.lsb)) for d in range(-3, 4)]
    bits = np.array([v + d for v in limits for d in steps if 0 <= v + d < 0x7F800000], np.uint32)
    bits = np.concatenate([bits, bits | np.uint32(0x80000000), np.array([0x7F800000, 0x7FC00000], np.uint32)])
    return bits.view(np.float32)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_added_counts_at_their_limits(data):
    """``kernels.report.count_nearest_added32`` (the formats ``casts.report.adds32`` admits):
    results, counts and first indices equal the plain cast's and the counting pass' on the
    float32 numbers next to each limit it compares with (``_added_limits``), each alone in a
    tile of ones (a count whose only element is off by one shows), and all together."""
    fmt = data.draw(formats(max_bits=32, signed=True).filter(lambda f: f.zero and 1 <= f.man_bits <= 22))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    p = _fast32(fmt, "nearest_even", overflow, nan)
    if p is None or not cast_report.adds32(p):
        return
    values = _added_limits(p)
    if not fmt.has_nan:
        values = values[~np.isnan(values)]
    ones = np.ones(100, np.float32)
    _check(np.concatenate([np.concatenate([ones, [v]]) for v in values] + [values]), fmt, "nearest_even", overflow)


@pytest.mark.parametrize("man_bits", [1, 10, 22])
@pytest.mark.parametrize("above", [-1, 0, 1])
def test_added_counts_next_to_the_top_of_their_range(man_bits, above):
    """Formats whose largest binade lies ``above`` binades over the last one below 2**(128 - s)
    (s = 23 - man_bits; ``casts.report.adds32`` admits those at -1 and 0): counts equal the
    counting pass' on the numbers next to their limits, so the admitted ones take the float32
    addition where it holds and the others do not."""
    s = 23 - man_bits
    fmt = FloatFormat(7, man_bits, bias=s - 1 - above)       # emax = 126 - bias
    p = _fast32(fmt, "nearest_even", "ieee", "raise")
    assert cast_report.adds32(p) == (above <= 0)
    _check(_added_limits(p), fmt, "nearest_even", "ieee")


@pytest.mark.parametrize("name", ["e2m1", "e2m3", "e3m2", "e4m3fnuz"])
def test_added_casts_of_nan_of_either_sign(name):
    """``kernels.report._finish_added32`` gives a NaN input p.nan0 with the input's sign, the
    cast's pass fixes those where p.nan1 differs (formats without NaN under nan="ml_dtypes":
    NaN to +0 or -0; fnuz: one NaN): the results equal the plain cast's bit for bit, the
    counts the counting pass', NaN and Inf of either sign in tiles of ones."""
    fmt = nf.format(name)
    nan = "ml_dtypes" if not fmt.has_nan else "raise"
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30], np.float32)
    x = np.concatenate([np.ones(50000, np.float32), specials, np.ones(20000, np.float32), -specials])
    y, rep = nf.round(x, fmt, nan=nan, report=True)
    plain = nf.round(x, fmt, nan=nan)
    assert np.array_equal(y.view(np.uint32), plain.view(np.uint32))
    ref = _reference(x, plain, fmt, "nearest_even", 3, None, "add")
    assert rep == ref and rep.first == ref.first


def test_added_counts_take_the_registered_formats():
    """Every registered format of the nearest_even fast kernel counts by one float32 addition."""
    for _, _, fmt in nf.registered():
        if isinstance(fmt, FloatFormat) and fmt.bits <= 32:
            p = _fast32(fmt, "nearest_even", "ieee", "raise" if fmt.has_nan else "ml_dtypes")
            assert p is None or cast_report.adds32(p), fmt.name


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_pass_posit_counts_equal_the_counting_pass(data):
    """Posit formats that float32 holds, every deterministic mode and seeded stochastic rounding
    (sr_bits 3, 32 and 40: ``numfmt.random.draw_tops``' paths): the one-pass kernels'
    results, counts and first indices equal the plain cast's and the separate pass'
    (``casts.report.posit_report``), on random bit patterns and spread values."""
    from numfmt.testing import posit_formats
    fmt = data.draw(posit_formats(max_bits=32).filter(lambda f: f.fits_float32()))
    mode = data.draw(st.sampled_from(MODES))
    sr = dict(seed=data.draw(st.integers(0, 99)), sr_bits=data.draw(st.sampled_from([3, 32, 40]))) \
        if mode == "stochastic" else {}
    x = _bit_patterns(data.draw(st.integers(0, 1000)), data.draw(st.sampled_from([50, 40000])))
    if data.draw(st.booleans()):
        x = np.concatenate([np.ones(40000, np.float32), x])
    y, rep = nf.round(x, fmt, mode, report=True, **sr)
    plain = nf.round(x, fmt, mode, **sr)
    np.testing.assert_array_equal(y, plain)
    ref = cast_report.posit_report(x, plain, fmt)
    assert rep == ref and rep.first == ref.first
    codes, coded = nf.encode(x, fmt, mode, report=True, **sr)   # (``count_posit_encode32``, ``_sr_encode32``)
    np.testing.assert_array_equal(codes, nf.encode(x, fmt, mode, **sr))
    assert coded == ref and coded.first == ref.first


@pytest.mark.parametrize("fmt", ["posit8", "posit16"])
def test_float64_posit_counts_by_stand_ins(fmt):
    """float64 inputs of the posits float32 holds round and count in the float32 one-pass kernels
    through their stand-ins rounded to odd (``casts.report.posit_counted``), in every
    deterministic mode: the plain cast's values and codes, the separate pass' counts and first
    indices, at every midpoint of two neighbouring values and a float64 step either side of it
    (float32 has neither neighbour: a stand-in rounded to nearest would tie), beyond float32's
    range, under its subnormals, at the specials."""
    fmt = nf.format(fmt)
    values = nf.decode(np.arange(1 << fmt.nbits, dtype=np.uint16 if fmt.nbits > 8 else np.uint8), fmt, np.float64)
    values = np.unique(values[np.isfinite(values)])
    mids = (values[:-1] + values[1:]) / 2
    x = np.concatenate([mids, np.nextafter(mids, -np.inf), np.nextafter(mids, np.inf), values, EXTREMES,
                        [3.5e38, -2.0 ** 130, 1e-46, 2.0 ** -160]])
    x = np.concatenate([x, -x, np.ones(40000)])          # (a tile of common elements too)
    for mode in MODES[:-1]:
        y, rep = nf.round(x, fmt, mode, report=True)
        plain = nf.round(x, fmt, mode)
        assert y.dtype == plain.dtype == np.float64 and y.tobytes() == plain.tobytes(), mode
        ref = cast_report.posit_report(x, plain, fmt)
        assert rep == ref and rep.first == ref.first, mode
        codes, coded = nf.encode(x, fmt, mode, report=True)
        np.testing.assert_array_equal(codes, nf.encode(x, fmt, mode))
        assert coded == ref and coded.first == ref.first, mode


@pytest.mark.parametrize("sr_bits", [3, 32, 40])
@pytest.mark.parametrize("fmt", ["posit16", "posit<10,1>"])
def test_one_pass_posit_sr_equals_the_plain_cast(fmt, sr_bits):
    """Seeded stochastic rounding of each random-bit width ``numfmt.random.draw_tops`` treats
    apart (a mask below 32 bits, pairs of elements per draw up to 32, a copy above), drawn a
    whole tile at a time (``kernels.report._drawn_tile32``; the plain casts draw blocks of
    DRAW_BLOCK): the one-pass kernels' values and codes are the plain casts', their counts the
    separate pass'."""
    x = np.concatenate([_bit_patterns(sr_bits, 5000),
                        np.random.default_rng(sr_bits).standard_normal(70001).astype(np.float32)])
    sr = dict(rounding="stochastic", seed=11, sr_bits=sr_bits)
    y, rep = nf.round(x, fmt, report=True, **sr)
    codes, coded = nf.encode(x, fmt, report=True, **sr)
    plain = nf.round(x, fmt, **sr)
    np.testing.assert_array_equal(y, plain)
    np.testing.assert_array_equal(codes, nf.encode(x, fmt, **sr))
    ref = cast_report.posit_report(x, plain, nf.format(fmt))
    assert rep == ref == coded and rep.first == ref.first == coded.first


@pytest.mark.parametrize("cast", [nf.round, nf.encode], ids=["round", "encode"])
@pytest.mark.parametrize("fmt, sr", [("posit8", {}), ("posit8", dict(rounding="stochastic", seed=4, sr_bits=5)),
                                     (FloatFormat(5, 2, subnormals=False), {})], ids=str)
def test_one_pass_fixes_special_elements_in_any_block(cast, fmt, sr):
    """The one-pass tiles fix their special elements (posits: outside the float trick's
    binades; floats: NaN, Inf) only in the blocks of SCAN_BLOCK elements that have some
    (``kernels.report._tile32``; the float format: ``count_nearest32``'s, no subnormals):
    specials at both ends of blocks and tiles, the other elements ordinary, give the plain
    cast's results and the separate pass' counts."""
    from numfmt.kernels.report import CAST_TILE, SCAN_BLOCK
    x = np.full(2 * CAST_TILE + 3 * SCAN_BLOCK + 7, 1.25, np.float32)
    x[::97] = 0.3
    ends = np.array([0, SCAN_BLOCK - 1, 3 * SCAN_BLOCK, 5 * SCAN_BLOCK - 1, CAST_TILE - 1, CAST_TILE,
                     CAST_TILE + 7 * SCAN_BLOCK, 2 * CAST_TILE + 2 * SCAN_BLOCK - 1, x.size - 1])
    x[ends] = np.float32([1e-30, -np.inf, 3e30, np.nan, -1e-25, 2e-38, -5e20, np.inf, 1e-20])
    got, rep = cast(x, fmt, report=True, **sr)
    plain = cast(x, fmt, **sr)
    np.testing.assert_array_equal(got, plain)
    values = plain if cast is nf.round else nf.decode(plain, fmt, np.float32)
    ref = (cast_report.posit_report(x, values, nf.format(fmt)) if fmt == "posit8" else
           cast_report.float_report(x, values, fmt, rounding_mode("nearest_even"), None))
    assert rep == ref and rep.first == ref.first and rep.nan_in == 1


@pytest.mark.parametrize("fmt, mode", [("e4m3", "nearest_even"), ("e2m1", "nearest_even"), ("posit16", "nearest_even"),
                                       ("e5m2", "stochastic")])
def test_one_pass_counts_are_the_same_for_any_thread_count(fmt, mode):
    x = _bit_patterns(2, 300_000)
    x = x[~np.isnan(x)] if fmt == "e2m1" else x
    nan = "ml_dtypes" if fmt == "e2m1" else "raise"
    kwargs = dict(seed=7) if mode == "stochastic" else {}
    old = nf.get_num_threads()
    try:
        nf.set_num_threads(1)
        one = nf.round(x, fmt, mode, nan=nan, report=True, **kwargs)[1]
        nf.set_num_threads(max(old, 2))
        many = nf.round(x, fmt, mode, nan=nan, report=True, **kwargs)[1]
    finally:
        nf.set_num_threads(old)
    assert one == many and one.first == many.first
    assert one.inexact and one.overflow and one.underflow and (one.nan_in or fmt == "e2m1")


test_counts_in_the_cast_pass_equal_the_counting_pass_wide = slow_twin(
    test_counts_in_the_cast_pass_equal_the_counting_pass,
    settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]), st.data())
