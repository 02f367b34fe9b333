"""The block report of round and encode counted in the float32 fast kernels' own pass
(``kernels.block._fast32_rows`` with a tally, ``casts.report.block_counted``) against the report
counted after the cast
(``casts.report.block_report``, the reference that tests/test_report.py checks against the
definitions): every count, blocks, scale_top, scale_bottom and every first index equal, the
values bit for bit, and with per_block=True every count of every block. Each check asserts
which path counted."""
from __future__ import annotations

import itertools
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numfmt as nf
from numfmt.casts import block as block_casts, report as report_casts
from numfmt.kernels import block as block_kernels

from sampling import ci_chosen, slow_twin  # noqa: E402
from test_block_fast32 import blocks_of, outcome, same  # noqa: E402

E5M0 = nf.FloatFormat(5, 0, bias=15, signed=False, subnormals=False, special="fn", zero=False, name="e5m0")
FORMATS = [nf.format(name) for name in ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8",
                                        "nvfp4")]
FORMATS += [nf.BlockFormat(nf.FixedFormat(8, 6), 16, "e8m0", symmetric=True, name="bfp8_16_sym"),   # a custom BFP
            nf.BlockFormat(nf.FixedFormat(6, 2), 7, "e8m0", scale_rule="ceil", name="fixed62_7_ceil"),
            nf.BlockFormat("e2m1", 8, E5M0, name="e2m1_8_e5m0"),          # scales reach the top and the bottom
            nf.BlockFormat(nf.FloatFormat(5, 6), 7, "e8m0", scale_rule="rceil", name="e5m6_7_rceil"),
            nf.BlockFormat("e2m1", 16, "e4m3", name="e2m1_16_e4m3"),      # a scale with fraction bits
            nf.BlockFormat("e3m2", 3, "e5m2", name="e3m2_3_e5m2")]        # ... not nvfp4's smallest: after the cast


def fast_count(fmt) -> bool:
    """Whether float32 rounds to nearest even of fmt are counted in the kernels' pass: power-of-two
    scales, or scales whose smallest normal is nvfp4's lower clamp 2**-6 (scale_bottom's bound)."""
    return fmt.power_of_two or fmt.scale.info.smallest_normal == 2.0 ** -6


@contextmanager
def after_cast():
    """The reference: no fast kernel, and no float64 kernel that counts as it rounds
    (``casts.block._COUNTED``), so the report is counted after the cast."""
    with mock.patch.object(block_casts, "fast32_element", lambda *args: None), \
            mock.patch.object(block_casts, "int32_element", lambda *args: None), \
            mock.patch.object(block_casts, "fixed32_element", lambda *args: None), \
            mock.patch.object(block_casts, "_COUNTED", {}):
        yield


def check(x, fmt, fast: bool, calls=(nf.round, nf.encode), **kw):
    """round(x, fmt, report=True) and encode (or those of ``calls``) counted in the kernels' pass
    (``fast``: asserted) or after the cast equal the reference: values and codes, every count and
    first index, the per-block counts with per_block=True (or the same OverflowError); returns
    the first call's report."""
    reports = []
    for call in calls:
        with mock.patch.object(report_casts, "block_report", wraps=report_casts.block_report) as slow:
            got = outcome(call, x, fmt, report=True, **kw)
        with after_cast():
            want = outcome(call, x, fmt, report=True, **kw)
        if isinstance(want[0], type):           # float32 overflow of values: the same error
            assert got == want
            return None
        assert slow.called != fast, "the fast count was not taken" if fast else "the fast count was taken"
        (y, rep), (y0, ref) = got, want
        assert same(y, y0) and same(y, call(x, fmt, **{k: v for k, v in kw.items() if k != "per_block"})), \
            (fmt.name, kw, call)
        totals, want_totals = ({k: v for k, v in r.as_dict().items() if k != "per_block"} for r in (rep, ref))
        assert totals == want_totals, (fmt.name, kw, call, totals, want_totals)
        assert rep.first == ref.first, (fmt.name, kw, call, rep.first, ref.first)
        if kw.get("per_block"):
            assert rep.per_block.keys() == ref.per_block.keys()
            for name, counts in ref.per_block.items():
                assert counts.dtype == rep.per_block[name].dtype and counts.shape == rep.per_block[name].shape
                np.testing.assert_array_equal(rep.per_block[name], counts, err_msg=f"{fmt.name} {kw} {call} {name}")
        reports.append(rep)
    return reports[0]


def special_rows(fmt, seed: int) -> np.ndarray:
    """Rows of blocks that are all NaN, all Inf, all zero, one NaN, scaled to the top and the bottom
    of E8M0, normal data, and a spread sample, (rows, 4 * block_size)."""
    bs = fmt.block_size
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((16, 4 * bs)) * 2.0 ** rng.integers(-20, 20, (16, 1))).astype(np.float32)
    x[0, :bs] = np.nan
    x[1, bs:2 * bs] = np.inf
    x[2, 2 * bs:3 * bs] = 0
    x[3, 5] = np.nan
    x[4] = np.float32(2.0 ** 127) * rng.uniform(1, 2, 4 * bs).astype(np.float32)
    x[5] = np.float32(2.0 ** -140) * rng.uniform(-2, 2, 4 * bs).astype(np.float32)
    x[6, ::3] = np.float32(2.0 ** -149)
    return np.concatenate([x, blocks_of(fmt, 8, seed).reshape(-1, 4 * bs)[:8]])


# An example of the hypothesis tests below checks round or encode (each compiles kernels of its own);
# the other tests check both.
CALLS = st.sampled_from([(nf.round,), (nf.encode,)])
NEAREST_CASES = (st.sampled_from(FORMATS), st.integers(0, 2 ** 32 - 1), st.sampled_from([-1, 0, 1]),
                 st.sampled_from(["saturate", "ieee"]), st.booleans(), CALLS)


@settings(max_examples=4, deadline=None)      # (each example compiles; the slow twin below draws 40)
@given(*NEAREST_CASES)
def test_fast_counts_equal_the_reference(fmt, seed, axis, overflow, per_block, calls):
    x = special_rows(fmt, seed)
    if axis == 1:                              # a middle axis: blocks (4, bs, rows)
        x = np.ascontiguousarray(x.reshape(-1, 4, fmt.block_size).transpose(1, 2, 0))
    elif axis == 0:
        x = np.ascontiguousarray(x.T)
    check(x, fmt, fast_count(fmt), calls, axis=axis, overflow=overflow, per_block=per_block)


STOCHASTIC_CASES = (st.sampled_from(FORMATS), st.integers(0, 2 ** 32 - 1), st.sampled_from([-1, 0, 1]),
                    st.sampled_from([None, 3, 32]), st.booleans(), CALLS)


@settings(max_examples=3, deadline=None)      # (each example compiles; the slow twin below draws 40)
@given(*STOCHASTIC_CASES)
def test_stochastic_fast_counts_equal_the_reference(fmt, seed, axis, sr_bits, per_block, calls):
    """Seeded stochastic rounding (sr_rule "add") is counted in the kernels' pass too: float
    elements' tininess and overflow by the element rounded with its own random bits at its
    precision, the exponent unbounded (``kernels.floating.sr_grid32``), fixed-point elements'
    overflow by their integer before the bounds (``kernels.block.fixed_sr_element32``), the
    first indices' scan with each element's bits again (``kernels.block._word32``; given
    bits: ``test_other_calls_count_after_the_cast``)."""
    x = special_rows(fmt, seed)
    if axis == 1:
        x = np.ascontiguousarray(x.reshape(-1, 4, fmt.block_size).transpose(1, 2, 0))
    elif axis == 0:
        x = np.ascontiguousarray(x.T)
    check(x, fmt, fast_count(fmt), calls, axis=axis, rounding="stochastic", per_block=per_block, seed=seed,
          sr_bits=sr_bits)


DIRECTED_CASES = (st.sampled_from(FORMATS), st.integers(0, 2 ** 32 - 1), st.sampled_from([-1, 0, 1]),
                  st.sampled_from(["toward_zero", "toward_positive", "toward_negative", "nearest_away", "odd"]),
                  st.sampled_from(["saturate", "ieee"]), st.booleans(), CALLS)


@settings(max_examples=4, deadline=None)      # (each example compiles; the slow twin below draws 40)
@given(*DIRECTED_CASES)
def test_directed_fast_counts_equal_the_reference(fmt, seed, axis, mode, overflow, per_block, calls):
    """The other deterministic modes round and count in the fast kernels too (float elements:
    ``kernels.block.directed_element32``, ``directed32_one``, tininess and overflow by
    ``directed_grid32``; fixed-point ones: ``fixed_element32``): the generic kernels' values
    and codes, the second pass' counts."""
    x = special_rows(fmt, seed)
    if axis == 1:
        x = np.ascontiguousarray(x.reshape(-1, 4, fmt.block_size).transpose(1, 2, 0))
    elif axis == 0:
        x = np.ascontiguousarray(x.T)
    check(x, fmt, fast_count(fmt), calls, axis=axis, rounding=mode, overflow=overflow, per_block=per_block)


# the formats of the other calls' tests: mxfp8's float elements under -m slow (the spread samples and
# the hypothesis tests count them), mxint8's fixed-point ones and nvfp4's scales in the default run too
CALL_FORMATS = [pytest.param("mxfp8_e4m3", marks=pytest.mark.slow), "mxint8", "nvfp4"]
# one format of each kind of element in the default run
SAMPLED = ci_chosen(FORMATS, ("mxfp8_e4m3", "mxfp4", "mxint8", "nvfp4", "bfp8_16_sym", "e2m1_16_e4m3"), lambda f: f.name)


@pytest.mark.parametrize("fmt", SAMPLED)
def test_spread_and_normal_samples(fmt):
    """2**14 float32 patterns over the whole range and normal data, along both axes."""
    rng = np.random.default_rng(3)
    row = 8 * fmt.block_size
    x = blocks_of(fmt, (1 << 14) // row * 8, 4).reshape(-1, row)
    normal = (rng.standard_normal(x.shape) * 2.0 ** rng.integers(-30, 30, (x.shape[0], 1))).astype(np.float32)
    for data, per_block in ((x, False), (normal, True)):
        check(data, fmt, fast_count(fmt), axis=-1, per_block=per_block)
        check(np.ascontiguousarray(data.T), fmt, fast_count(fmt), axis=0, per_block=per_block)


def test_first_indices_deep_in_wide_places():
    """Blocks along axis 0 of rows of 600 inner blocks: counts that first show up deep in a
    later place of a later row of blocks get the first index of the reference."""
    fmt = nf.format("mxfp8_e4m3")
    width = 600
    x = (1 + np.random.default_rng(5).random((2 * fmt.block_size, width))).astype(np.float32)
    x[fmt.block_size + 3, 517] = 1e-6               # flushed, underflow
    x[fmt.block_size + 5, 263] = 2e-5               # subnormal
    x[fmt.block_size + 9, 1] = 1e-6
    rep = check(x, fmt, True, axis=0)
    assert rep.first["flushed_to_zero"] == (fmt.block_size + 3) * width + 517
    assert rep.first["subnormal"] == (fmt.block_size + 5) * width + 263


def screen_rows(fmt) -> np.ndarray:
    """Blocks (one per row) in slices of ``kernels.block.COUNT_GROUP``: elements of [1, 2) in
    every slice, and below the smallest normal in some: none in slice 0; two blocks of slice 1,
    with an element 2**-20 of its amax and one of 2**-149; in slice 2 a block of amax 256
    (scale 1) with an exact subnormal quotient (half the smallest normal), another with
    2**emin - 2**(emin - 4), which rounds to the smallest normal (tiny, inexact); in slice 3
    only a block of amax 2**100, its other elements above 2**99 but one of 2**-140, whose
    quotient float32 flushes to zero; slice 4 half zeros (a block of zeros, a block of zeros
    but one tiny element); in slice 5 every block (elements 2**-40 to 2**0); slice 6 standard
    normal."""
    group, bs = block_kernels.COUNT_GROUP, fmt.block_size
    rng = np.random.default_rng(11)
    x = (rng.uniform(1, 2, (7 * group, bs)) * rng.choice([-1, 1], (7 * group, bs))).astype(np.float32)
    emin = np.log2(fmt.element.info.smallest_normal)
    x[group + 5, 7] = np.float32(2.0 ** -20)
    x[2 * group + 1, :] = 1
    x[2 * group + 1, 0] = 256
    x[2 * group + 1, 3] = np.float32(2.0 ** (emin - 1))
    x[2 * group + 9, 0] = 256
    x[2 * group + 9, 4] = np.float32(2.0 ** emin - 2.0 ** (emin - 4))
    x[3 * group + 2] *= np.float32(2.0 ** 99)
    x[3 * group + 2, 0] = np.float32(2.0 ** 100)
    x[3 * group + 2, 1] = np.float32(2.0 ** -140)
    x[group + 30, 2] = np.float32(2.0 ** -149)
    x[4 * group:5 * group, ::2] = 0
    x[4 * group + 3] = 0
    x[4 * group + 4] = 0
    x[4 * group + 4, bs - 1] = np.float32(-(2.0 ** -60))
    x[5 * group:6 * group] *= np.float32(2.0) ** rng.integers(-40, 1, (group, bs)).astype(np.float32)
    x[6 * group:] = rng.standard_normal((group, bs))
    return x


@pytest.mark.parametrize("name", ["mxfp8_e4m3", "mxfp8_e5m2"])
def test_screened_counts_recount_the_blocks_below_normal(name):
    """mxfp8 from float32 in nearest even, blocks along the last axis: the element pass counts
    only inexact and overflow, and whether an element's quotient lies below the smallest
    normal, and recounts in full the blocks of a slice of COUNT_GROUP that hold one
    (``kernels.block._screened_pass32``, asserted taken): values, codes, counts and first
    indices equal the reference's, and the full pass' (per_block=True)."""
    fmt = nf.format(name)
    x = screen_rows(fmt)
    with mock.patch.object(block_kernels, "quantize_pow2_fast32", wraps=block_kernels.quantize_pow2_fast32) as kern:
        rep = check(x, fmt, True)
    counted = [c.args[13] for c in kern.call_args_list if c.args[15] is not None]     # (lim, if tally)
    assert counted and all(lim[3] is True for lim in counted)
    assert rep.underflow and rep.flushed_to_zero and rep.subnormal and rep.overflow
    check(x, fmt, True, per_block=True)


@pytest.mark.parametrize("size", [block_kernels.BLOCK_COUNT_MAX, block_kernels.BLOCK_COUNT_MAX + 1])
def test_per_block_counts_of_the_longest_blocks(size):
    """Blocks of BLOCK_COUNT_MAX elements are counted per block in the kernels' pass, where a
    count may fill its field (``kernels.block._case_word``: a block all inexact, one all NaN),
    one element longer after the cast: the same counts along both axes."""
    fmt = nf.BlockFormat("e4m3", size, "e8m0")
    x = special_rows(fmt, 11)
    x[7] = 1 + (2 * np.arange(x.shape[1]) + 1) * 2.0 ** -12        # no e4m3 value at any scale: all inexact
    for axis, data in ((-1, x), (0, np.ascontiguousarray(x.T))):
        rep = check(data, fmt, size <= block_kernels.BLOCK_COUNT_MAX, axis=axis, per_block=True)
        full = np.moveaxis(rep.per_block["inexact"], axis, -1)[7]
        assert (full == size).all() and np.moveaxis(rep.per_block["nan_in"], axis, -1)[0, 0] == size


@pytest.mark.parametrize("name", CALL_FORMATS)
def test_other_calls_count_after_the_cast(name):
    """float64 inputs and padding keep the reference's count after the cast (and the same
    report); the directed modes and stochastic rounding count in the pass, fixed-point elements
    (mxint8) too (``kernels.block.fixed_element32``); per_block=True of float32 counts in the
    pass, shaped like the scales. nvfp4 takes float64 x
    in float32 first (its recipe), and so does its count (``casts.report._counted_in_float32``:
    in the pass)."""
    fmt = nf.format(name)
    x = special_rows(fmt, 7)
    check(x.astype(np.float64), fmt, name == "nvfp4")
    check(x[:, :-1], fmt, False, pad=True)
    check(x, fmt, True, rounding="toward_zero")
    check(x, fmt, True, rounding="stochastic", seed=3)
    bits = np.random.default_rng(4).integers(0, 1 << 5, x.shape)
    check(np.ascontiguousarray(x.T), fmt, True, axis=0, rounding="stochastic", random_bits=bits.T, sr_bits=5,
          per_block=True)
    check(x, fmt, False, rounding="stochastic", seed=3, sr_bits=40)     # more random bits than a uint32
    check(x.astype(np.float64), fmt, name == "nvfp4", per_block=True)
    rep = check(x, fmt, True, per_block=True)
    assert rep.per_block["inexact"].shape == nf.encode(x, fmt).scales.shape


@pytest.mark.parametrize("name", CALL_FORMATS)
def test_counts_do_not_depend_on_threads(name):
    """The same report on 1 and 2 threads (the kernels' row ranges are summed, first indices of
    the first range that has one), along both axes, counted in the kernels' pass (float32) and
    after the cast (float64: ranges of whole blocks), per block too."""
    fmt = nf.format(name)
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((512, 512)) * 2.0 ** rng.integers(-40, 40, (512, 512))).astype(np.float32)
    x[300, 7] = np.nan
    old = nf.get_num_threads()
    try:
        for axis, data in itertools.product((-1, 0), (x, x.astype(np.float64))):
            reports = []
            for threads in (1, 2):
                nf.set_num_threads(threads)
                reports.append(nf.round(data, fmt, axis=axis, report=True, per_block=True)[1])
            one, two = ({k: v for k, v in r.as_dict().items() if k != "per_block"} for r in reports)
            assert one == two and reports[0].first == reports[1].first
            for k, counts in reports[0].per_block.items():
                np.testing.assert_array_equal(reports[1].per_block[k], counts, err_msg=k)
    finally:
        nf.set_num_threads(old)


def float64_rows(fmt, seed: int) -> np.ndarray:
    """``special_rows`` as float64, with values between float32 numbers, below float32's range
    and at its top, (rows, 4 * block_size)."""
    x = special_rows(fmt, seed).astype(np.float64)
    x[(np.abs(x) >= 2.0 ** 127) & np.isfinite(x)] /= 4      # under 2**127: float32 holds the stand-in
    rng = np.random.default_rng(seed)
    x[:, ::2] *= 1 + rng.uniform(-2.0 ** -26, 2.0 ** -26, x[:, ::2].shape)     # cut bits: rounded to odd
    x[-1, ::5] = rng.choice([2.0 ** -160, -2.0 ** -151, 3 * 2.0 ** -150, 2.0 ** 126 * 1.999999999], x[-1, ::5].size)
    return x


FLOAT64_CASES = (st.sampled_from(FORMATS), st.integers(0, 2 ** 32 - 1), st.sampled_from([-1, 0]),
                 st.sampled_from(["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative",
                                  "odd"]),
                 st.sampled_from(["saturate", "ieee"]), st.booleans(), CALLS)


@settings(max_examples=4, deadline=None)      # (each example compiles; the slow twin below draws 30)
@given(*FLOAT64_CASES)
def test_float64_counted_by_a_float32_stand_in(fmt, seed, axis, mode, overflow, per_block, calls):
    """float64 x rounded to odd in float32 (``casts.block._may_stand_in``), by slabs (counts that
    start after the first), and counted by the float32 kernels gives the float64 kernel's values and codes and the count
    after the cast of x itself, per block too; with a value of 2**127 in it, the count after
    the float64 kernel's cast, the same."""
    x = float64_rows(fmt, seed)
    x = np.ascontiguousarray(x.T) if axis == 0 else x
    slab = 3 if axis else fmt.block_size           # rows a slab; the first all zeros (no count starts there)
    x = np.concatenate([np.zeros((slab,) + x.shape[1:]), x])
    kw = dict(axis=axis, overflow=overflow, per_block=per_block)
    assert block_casts._may_stand_in(x, fmt, None) == fmt.power_of_two, fmt.name
    for wide in (False, True):
        if wide:
            x[-1, -1] = 2.0 ** 127
        for call in calls:
            plain = outcome(call, x, fmt, mode, axis=axis, overflow=overflow)
            with mock.patch.object(block_casts, "_may_stand_in", lambda *args: False):
                want = outcome(call, x, fmt, mode, report=True, **kw)
            with mock.patch.object(block_casts, "SLAB", slab * x.shape[1]), \
                    mock.patch.object(block_casts, "_quantize_by_slabs", wraps=block_casts._quantize_by_slabs) as slabs:
                got = outcome(call, x, fmt, mode, report=True, **kw)
            assert slabs.call_count == fmt.power_of_two
            if isinstance(want[0], type):
                assert got == want
                continue
            (y, rep), (y0, ref) = got, want
            assert same(y, y0) and same(y, plain), (fmt.name, kw, call)
            assert rep.counts() == ref.counts() and rep.first == ref.first, (fmt.name, kw, call, rep, ref)
            for name, counts in (ref.per_block or {}).items():
                np.testing.assert_array_equal(rep.per_block[name], counts, err_msg=f"{fmt.name} {kw} {call} {name}")


UNSIGNED = nf.BlockFormat(nf.FloatFormat(3, 2, signed=False), 8, "e8m0", name="ue3m2_8")    # counted after the cast
POW2_CASES = (st.sampled_from([f for f in FORMATS if f.power_of_two] + [UNSIGNED]), st.integers(0, 2 ** 32 - 1),
              st.sampled_from([-1, 0]), st.sampled_from(["stochastic", "nearest_even", "toward_negative", "odd"]),
              st.sampled_from([3, 32]), st.booleans())


@settings(max_examples=4, deadline=None)      # (each example compiles; the slow twin below draws 30)
@given(*POW2_CASES)
def test_float64_counted_as_the_float64_kernels_round(fmt, seed, axis, mode, sr_bits, per_block):
    """float64 x without float32 stand-ins (stochastic rounding; in the deterministic modes
    turned off here, as for elements of more than 22 bits of precision) is counted as the
    float64 kernels round (``kernels.report.quantize_pow2_64_counted``,
    ``quantize_pow2_fixed_counted``): the values, every count and first index, per block too,
    equal those counted after the cast; encode counts after the cast, and so do rounds to
    unsigned elements (negative inputs invalid: ``_pow2_float_flags`` takes signed elements).
    Along axis 0, the blocks of a row of blocks are side by side (``_tally_rare`` fixes their
    NaN scales' elements)."""
    x = float64_rows(fmt, seed)
    x[8, -1] = 2.0 ** 200
    x = np.ascontiguousarray(x.T) if axis == 0 else x
    kw = dict(rounding=mode, axis=axis, per_block=per_block)
    kw.update(dict(seed=seed, sr_bits=sr_bits) if mode == "stochastic" else {})
    with mock.patch.object(block_casts, "_may_stand_in", lambda *args: False):
        check(x, fmt, fmt is not UNSIGNED, calls=(nf.round,), **kw)
        check(x, fmt, False, calls=(nf.encode,), **kw)


def test_fixed_point_bands_of_many_inner_blocks():
    """Along axis 0 a place of 512 inner blocks nearly always holds an element beyond the largest
    fixed-point element (mxint8: its rounding with an unbounded integer range decides whether
    it overflows), long after every flag has its first index: counted as the float64 kernel
    rounds, the marked elements looked at again (``kernels.block._tally_rare``), equal to the
    count after the cast, per block too."""
    x = np.random.default_rng(6).standard_normal((64, 512))
    rep = check(x, nf.format("mxint8"), True, calls=(nf.round,), rounding="stochastic", seed=6, axis=0,
                per_block=True)
    assert rep.overflow > 0


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(FORMATS), st.integers(0, 2 ** 32 - 1),
       st.sampled_from(["nearest_even", "toward_zero", "toward_positive", "odd"]), st.booleans(), st.sampled_from([-1, 0]))
def test_float64_rounds_by_slabs_of_float32_stand_ins(fmt, seed, mode, wide, axis):
    """The plain float64 round and encode of blocks go through float32 stand-ins of slabs of
    rows (``casts.block._quantize_by_slabs``; here 3 rows a slab along the last axis, the last
    shorter; along axis 0 one block a slab, the last padded): the float64 kernel's values and
    codes, bit for bit; a value of 2**127 in the last slab (``wide``) sends the whole array to
    the float64 kernel."""
    x = np.concatenate([float64_rows(fmt, seed)] * 2)[:-1]
    kw = dict(axis=axis)
    if axis == 0:
        x, kw["pad"] = np.ascontiguousarray(x.T[:-1]), True
    x[-1, 1] = 2.0 ** 127 if wide else x[-1, 1]
    slab = 3 * x.shape[1] if axis else fmt.block_size * x.shape[1]
    calls = [(op, x, fmt, mode) for op in (nf.round, nf.encode)]
    with mock.patch.object(block_casts, "SLAB", slab), \
            mock.patch.object(block_casts, "_quantize_by_slabs", wraps=block_casts._quantize_by_slabs) as slabs:
        got = [outcome(*call, **kw) for call in calls]
    assert slabs.call_count == (2 if fmt.power_of_two else 0)
    with mock.patch.object(block_casts, "_may_stand_in", lambda *args: False):
        want = [outcome(*call, **kw) for call in calls]
    for g, w in zip(got, want):
        assert g == w if isinstance(w, tuple) else same(g, w), (fmt.name, mode, axis)
    if axis == 0:       # unpadded, the error names x's length, not a slab's
        with mock.patch.object(block_casts, "SLAB", slab), pytest.raises(ValueError, match=f"length {x.shape[0]} "):
            nf.round(x, fmt, mode, axis=0)


test_stochastic_fast_counts_equal_the_reference_wide = slow_twin(
    test_stochastic_fast_counts_equal_the_reference, settings(max_examples=40, deadline=None), *STOCHASTIC_CASES)
test_fast_counts_equal_the_reference_wide = slow_twin(
    test_fast_counts_equal_the_reference, settings(max_examples=40, deadline=None), *NEAREST_CASES)
test_directed_fast_counts_equal_the_reference_wide = slow_twin(
    test_directed_fast_counts_equal_the_reference, settings(max_examples=40, deadline=None), *DIRECTED_CASES)
test_float64_counted_by_a_float32_stand_in_wide = slow_twin(
    test_float64_counted_by_a_float32_stand_in, settings(max_examples=30, deadline=None), *FLOAT64_CASES)
test_float64_counted_as_the_float64_kernels_round_wide = slow_twin(
    test_float64_counted_as_the_float64_kernels_round, settings(max_examples=30, deadline=None), *POW2_CASES)
