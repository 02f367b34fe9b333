"""Formats without fraction bits (e8m0, p3109_p1): float32 inputs rounded in every deterministic
mode by ``kernels.floating.round_pow2_32`` (codes: ``encode_pow2_32``) and counted by
``kernels.report.count_pow2_32``, against the
generic kernel (``round_one``, the float64 one where the format is not float32-domain, as
e8m0) and the report's counting pass after the cast (``kernels.report.count_float``), bit for
bit and count for count; float64 inputs through their float32 stand-ins rounded to odd
(``round_pow2_odd64``, ``encode_pow2_odd64``) against the float64 generic kernel."""
from unittest import mock

import numpy as np
import pytest

import numfmt as nf
from numfmt.casts import floating as cf
from numfmt.casts import report as counts
from numfmt.casts.common import code_dtype
from numfmt.kernels import floating as kern
from numfmt.kernels import report as report_kernels
from numfmt.parallel import run_chunked
from numfmt.rounding import Rounding
from numfmt.stochastic import StochasticArgs
from numfmt.testing import registered_float_formats
from sampling import ci_grid

POW2 = [f for f in registered_float_formats() if cf.pow2_32_params(f, "ieee", "raise") is not None]
MODES = [m for m in Rounding if m != Rounding.STOCHASTIC]
POW2 += [nf.FloatFormat(8, 0, special="fn"),        # a zero, 2**emin = 2**-126: the tie under it goes to 0
         nf.FloatFormat(6, 0, special="fn"),
         nf.FloatFormat(3, 0, special="p3109", bias=2),
         nf.FloatFormat(4, 0, signed=False, zero=False, subnormals=False, special="fn")]
IDS = [f.name for f in POW2]


def test_the_formats_it_takes():
    """e8m0 and p3109_p1 among them; not a format without NaN (where would a negative go?), one
    with fraction bits, a signed one without a zero, or one whose values float32 lacks."""
    assert {"e8m0", "p3109_p1"} <= {f.name for f in POW2}
    for fmt in (nf.FloatFormat(5, 0), nf.format("e2m1"), nf.FloatFormat(4, 0, zero=False, subnormals=False,
                special="fn"), nf.FloatFormat(8, 0, signed=False, zero=False, subnormals=False, special="fn",
                bias=126)):
        assert cf.pow2_32_params(fmt, "ieee", "raise") is None, fmt.name
    assert cf.pow2_32_params(nf.format("e8m0"), "raise", "raise") is None      # overflow="raise": the generic check
    assert cf.pow2_32_params(nf.format("e8m0"), "ieee", "raise", Rounding.STOCHASTIC) is None
    # a signed format whose overflows differ in magnitude by sign (toward_positive: Inf and -max)
    assert cf.pow2_32_params(nf.format("p3109_p1"), "ieee", "raise", Rounding.TOWARD_POSITIVE) is None
    assert cf.pow2_32_params(nf.format("p3109_p1"), "saturate", "raise", Rounding.TOWARD_POSITIVE) is not None
    # 2**emin = 2**-126 with a zero: float32 subnormals' tininess would differ by sign
    assert cf.pow2_32_params(POW2[-4], "saturate", "raise", Rounding.TOWARD_NEGATIVE) is None
    assert cf.pow2_32_params(POW2[-4], "saturate", "raise", Rounding.TOWARD_ZERO) is not None


def _generic(x: np.ndarray, fmt, overflow: str, mode=Rounding.NEAREST_EVEN) -> np.ndarray:
    """The bits of float32 x rounded by the generic kernel, in float64 where fmt is not
    float32-domain."""
    dom64 = not cf.float32_domain(fmt)
    flat = x.astype(np.float64) if dom64 else x
    out = np.empty_like(flat)
    cf._run(flat, dom64, False, cf.kernel_params(fmt, dom64, mode, overflow, "raise")[0], out, None)
    return (out.astype(np.float32) if dom64 else out).view(np.uint32)


def _generic_codes(x: np.ndarray, fmt, overflow: str, mode=Rounding.NEAREST_EVEN) -> np.ndarray:
    """The codes of x (float32 or float64) by the generic kernel."""
    dom64 = x.dtype == np.float64 or not cf.float32_domain(fmt)
    with np.errstate(invalid="ignore"):
        flat = x.astype(np.float64) if dom64 else x
    out = np.empty(x.size, code_dtype(fmt.bits))
    cf._run(flat, dom64, True, cf.kernel_params(fmt, dom64, mode, overflow, "raise")[1], out, None)
    return out


def _policies(fmt, mode):
    """The overflow policies under which the kernel takes fmt in mode (none: the case skips)."""
    kept = [overflow for overflow in ("ieee", "saturate")
            if cf.pow2_32_params(fmt, overflow, "raise", mode) is not None]
    if not kept:
        pytest.skip(f"{fmt.name} takes the generic kernels {mode.name.lower()}")
    return kept


# (format, mode) cases: in the default run every format in one of three modes and each mode
# twice (ci_grid's diagonal: nearest even; toward_positive, a direction by sign; odd), each mode
# a kernel of its own to compile (about 4 s each on a cold cache); the whole grid under -m slow
CI_MODES = [Rounding.NEAREST_EVEN, Rounding.TOWARD_POSITIVE, Rounding.ODD]
FORMAT_AXIS = [pytest.param(f, id=f.name) for f in POW2]
GRID = ci_grid(FORMAT_AXIS, [pytest.param(m, id=m.name.lower()) for m in CI_MODES]) + [
    pytest.param(f, m, id=f"{f.name}-{m.name.lower()}", marks=pytest.mark.slow)
    for f in POW2 for m in MODES if m not in CI_MODES]
# ... and with a thread count: each format, mode and count once in the default run
THREADED = ci_grid(FORMAT_AXIS, [pytest.param(m, id=m.name.lower()) for m in CI_MODES], [1, 2]) + [
    pytest.param(f, m, t, id=f"{f.name}-{m.name.lower()}-{t}", marks=pytest.mark.slow)
    for f in POW2 for m in MODES if m not in CI_MODES for t in (1, 2)]


def _check(x: np.ndarray, fmt, overflow: str, mode) -> None:
    """Values (``round_pow2_32``) and codes (``encode_pow2_32``) of float32 x, as the generic
    kernels give them, and the NaN count."""
    args, cp = cf.pow2_32_params(fmt, overflow, "raise", mode), cf.fast_code32(fmt, overflow, "raise")
    out, codes = np.empty_like(x), np.empty(x.size, code_dtype(fmt.bits))
    nans = sum(run_chunked(kern.round_pow2_32, x.view(np.uint32), out.view(np.uint32), *args))
    want = _generic(x, fmt, overflow, mode)
    bad = np.flatnonzero(out.view(np.uint32) != want)
    assert bad.size == 0, (fmt.name, overflow, mode.name, [hex(b) for b in x.view(np.uint32)[bad[:5]]],
                           [hex(b) for b in out.view(np.uint32)[bad[:5]]], [hex(b) for b in want[bad[:5]]])
    assert nans == np.count_nonzero(np.isnan(x))
    assert sum(run_chunked(kern.encode_pow2_32, x.view(np.uint32), codes, *args, cp)) == nans
    np.testing.assert_array_equal(codes, _generic_codes(x, fmt, overflow, mode),
                                  err_msg=f"{fmt.name} {overflow} {mode.name}")


def _edges() -> np.ndarray:
    """Every float32 exponent field with the fractions around its midpoint (the ties) and its
    ends, float32 subnormals around 2**-127, 1.5 * 2**-127 and 0.75 * 2**-127 and 2**-126,
    zeros, Inf and NaN, both signs."""
    fields = np.arange(256, dtype=np.uint32) << np.uint32(23)
    fracs = np.uint32([0, 1, 0x3FFFFF, 0x400000, 0x400001, 0x7FFFFF])
    sub = np.uint32([0x200000, 0x2FFFFF, 0x300000, 0x300001, 0x3FFFFF, 0x400000, 0x400001, 0x5FFFFF, 0x600000,
                     0x600001, 0x7FFFFF, 1, 2])
    mags = np.concatenate([(fields[:, None] | fracs).ravel(), sub])
    return np.concatenate([mags, mags | np.uint32(0x80000000)]).view(np.float32)


@pytest.mark.parametrize("fmt,mode", GRID)
def test_sample_of_every_float32(fmt, mode):
    """2**18 float32 bit patterns spread over all 2**32 (an odd stride meets every low-bit
    pattern) and the edges of every binade, every deterministic mode, both overflow policies."""
    x = np.concatenate([np.arange(3, 1 << 32, 16411, dtype=np.uint64).astype(np.uint32).view(np.float32), _edges()])
    for overflow in _policies(fmt, mode):
        _check(x, fmt, overflow, mode)


@pytest.mark.slow
@pytest.mark.parametrize("fmt,mode", GRID)
def test_every_float32(fmt, mode):
    chunk = 1 << 26
    for offset in range(0, 1 << 32, chunk):
        x = np.arange(offset, offset + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        for overflow in _policies(fmt, mode):
            _check(x, fmt, overflow, mode)


def _reference_report(x: np.ndarray, y: np.ndarray, fmt, mode=Rounding.NEAREST_EVEN):
    """The report of the float32 x cast to y from the counting pass after a cast."""
    return counts.float_report(x, y, fmt, mode, None)


@pytest.mark.parametrize("fmt,mode,threads", THREADED)
def test_counts_in_the_pass_equal_the_counting_pass(fmt, mode, threads):
    """report=True counts as the kernel rounds (the counts and their first indices), as the
    pass after the cast counts: random bit patterns (negatives and zeros are invalid in e8m0,
    NaN inputs, huge and tiny ones) over several tiles, a tail whose first special elements
    come late, and a lone negative whose invalid count is the only one still without its
    first index (``_maybe_flags32`` must let its block be scanned)."""
    rng = np.random.default_rng(5)
    late = np.concatenate([np.ones(70_000, np.float32), _edges(), np.ones(9, np.float32)])
    lone = np.float32([1.5] + [1] * 40_000 + [-1] + [1] * 99)   # e8m0: the first invalid alone in a later tile
    data = [rng.integers(0, 1 << 32, 100_000, dtype=np.uint64).astype(np.uint32).view(np.float32), late, lone,
            rng.standard_normal(50_000).astype(np.float32)]
    old = nf.get_num_threads()
    nf.set_num_threads(threads)
    try:
        for x in data:
            for overflow in _policies(fmt, mode):
                with mock.patch.object(report_kernels, "count_pow2_32", wraps=report_kernels.count_pow2_32) as spy:
                    y, rep = nf.round(x, fmt, mode, overflow=overflow, report=True)
                assert spy.called
                np.testing.assert_array_equal(y.view(np.uint32), _generic(x, fmt, overflow, mode))
                want = _reference_report(x, y, fmt, mode)
                assert rep.as_dict() == want.as_dict(), (fmt.name, overflow, mode.name)
                assert rep.first == want.first, (fmt.name, overflow, mode.name)
                codes, coded = nf.encode(x, fmt, mode, overflow=overflow, report=True)     # counted as it codes
                np.testing.assert_array_equal(codes, _generic_codes(x, fmt, overflow, mode))
                assert (coded.as_dict(), coded.first) == (want.as_dict(), want.first)
    finally:
        nf.set_num_threads(old)


def test_casts_take_the_kernel():
    """nf.round of float32 takes it in the deterministic modes; stochastic rounding and float64
    inputs keep other kernels, and agree. Nearest even: the ties go to the even code, 1.5 to 2
    (code 128), 3 to 2 as well (4's code is 129); below 2**-127 every mode gives 2**-127 (e8m0
    has no zero); toward zero an overflow is the largest value; to odd 1.5 goes to 1 (code
    127) and 3 to 4."""
    x = np.float32([-1, 0, 1, 1.4, 1.5, 3.0, 1e-40, 3e38, np.inf, np.nan, 2.0 ** -127, 2.0 ** -128])
    with mock.patch.object(kern, "round_pow2_32", wraps=kern.round_pow2_32) as spy:
        got = nf.round(x, "e8m0")
        zero = nf.round(x, "e8m0", "toward_zero")
        odd = nf.round(x, "e8m0", "odd")
        nf.round(x, "e8m0", "stochastic", seed=1)
        nf.round(x.astype(np.float64), "e8m0")
    assert spy.call_count == 3
    want = np.float32([np.nan, np.nan, 1, 1, 2, 2, 2.0 ** -127, np.nan, np.nan, np.nan, 2.0 ** -127, 2.0 ** -127])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, nf.round(x.astype(np.float64), "e8m0").astype(np.float32))
    top = np.float32(2.0 ** 127)
    np.testing.assert_array_equal(zero, [np.nan, np.nan, 1, 1, 1, 2, 2.0 ** -127, top, np.nan, np.nan, 2.0 ** -127,
                                         2.0 ** -127])
    np.testing.assert_array_equal(odd, [np.nan, np.nan, 1, 1, 1, 4, 2.0 ** -127, top, np.nan, np.nan, 2.0 ** -127,
                                        2.0 ** -127])


def _float64_edges() -> np.ndarray:
    """Every power of two from 2**-160 to 2**134 times 1, 0.75, 1.25, 1.5 and 1.75 (the ties
    and the tiny thresholds), with the float64 numbers next to each, both signs; beyond
    float32's range both ways, zeros, Inf and NaN."""
    e = 2.0 ** np.arange(-160, 135)
    points = np.concatenate([e * f for f in (1, 0.75, 1.25, 1.5, 1.75)])
    points = np.concatenate([points, np.nextafter(points, np.inf), np.nextafter(points, 0), [0, np.inf, np.nan, 5e-324,
                                                                                          1e300, 3.5e38]])
    return np.concatenate([points, -points])


@pytest.mark.parametrize("fmt,mode", GRID)
def test_float64_through_float32_stand_ins(fmt, mode):
    """float64 x rounds (values, float64) in every deterministic mode as the float64 generic
    kernel rounds it, and counts
    as the counting pass after the cast, through the stand-ins: a float64 a step from a tie
    stands in as a float32 a step from it (rounded to odd), one beyond float32's range as its
    largest number (overflow either way), one below its smallest as that (tiny either way)."""
    rng = np.random.default_rng(2)
    x = np.concatenate([_float64_edges(), rng.standard_normal(40_000) * 2.0 ** rng.integers(-160, 140, 40_000),
                        rng.integers(0, 1 << 63, 40_000, dtype=np.int64).view(np.float64)])
    for overflow in _policies(fmt, mode):
        with mock.patch.object(kern, "round_pow2_odd64", wraps=kern.round_pow2_odd64) as spy:
            y = nf.round(x, fmt, mode, overflow=overflow)
        assert spy.called and y.dtype == np.float64
        want = np.empty_like(x)
        cf._run(x, True, False, cf.kernel_params(fmt, True, mode, overflow, "raise")[0], want, None)
        np.testing.assert_array_equal(y.view(np.uint64), want.view(np.uint64), err_msg=f"{overflow} {mode.name}")
        y2, rep = nf.round(x, fmt, mode, overflow=overflow, report=True)
        np.testing.assert_array_equal(y2.view(np.uint64), want.view(np.uint64))
        ref = counts.float_report(x, want, fmt, mode, None)
        assert (rep.as_dict(), rep.first) == (ref.as_dict(), ref.first), (fmt.name, overflow, mode.name)
        with mock.patch.object(kern, "encode_pow2_odd64", wraps=kern.encode_pow2_odd64) as spy:
            codes = nf.encode(x, fmt, mode, overflow=overflow)
        assert spy.called
        np.testing.assert_array_equal(codes, _generic_codes(x, fmt, overflow, mode))
        codes, coded = nf.encode(x, fmt, mode, overflow=overflow, report=True)
        np.testing.assert_array_equal(codes, _generic_codes(x, fmt, overflow, mode))
        assert (coded.as_dict(), coded.first) == (ref.as_dict(), ref.first), (fmt.name, overflow, mode.name)


@pytest.mark.parametrize("mode", [Rounding.TOWARD_ZERO, Rounding.TOWARD_NEGATIVE], ids=lambda m: m.name.lower())
def test_float64_counted_through_stand_ins_where_float32s_largest_does_not_overflow(mode):
    """e8m0 (largest 2**127) toward zero: float32's largest number does not overflow, so the
    kernels' own stand-in of a magnitude beyond float32's range (that number) would hide x's
    overflow. Counted, float64 x whose magnitudes all lie below 2**127 round and count on
    stand-ins made first (``casts.floating._by_stand_ins``: values and codes as the plain
    cast's, counts as the counting pass after it); one magnitude beyond float32's range and the
    whole x is counted after the cast (its overflow counted)."""
    fmt = nf.format("e8m0")
    rng = np.random.default_rng(3)
    x = np.concatenate([_float64_edges(), rng.standard_normal(40_000) * 2.0 ** rng.integers(-160, 127, 40_000)])
    narrow = x[~(np.abs(x) >= 2.0 ** 127)]
    for data, stands_in in ((narrow, True), (np.append(narrow, 1e300), False)):
        want = nf.round(data, fmt, mode)
        ref = counts.float_report(data, want, fmt, mode, None)
        assert ref.overflow == (0 if stands_in else 1)
        for encode in (False, True):
            call = nf.encode if encode else nf.round
            with mock.patch.object(report_kernels, "count_pow2_32", wraps=report_kernels.count_pow2_32) as spy:
                got, rep = call(data, fmt, mode, report=True)
            assert spy.called == stands_in
            np.testing.assert_array_equal(got, call(data, fmt, mode))
            assert got.dtype == (np.uint8 if encode else np.float64)
            assert (rep.as_dict(), rep.first) == (ref.as_dict(), ref.first), (mode.name, encode, stands_in)


@pytest.mark.parametrize("fmt", [pytest.param(f, id=f.name, marks=[] if f.name in ("e8m0", "p3109_p1")
                                              else [pytest.mark.slow]) for f in POW2])
def test_stochastic_rounding_as_the_generic_kernel(fmt):
    """Seeded stochastic rounding of float32 (sr_rule "add", 1 to 32 random bits: 1, 7, 32) by
    ``round_pow2_sr32`` (values and codes, seeded and given bits, a start past 0) gives the
    float64 generic kernel's results on the same random bits, element for element: the bit
    patterns of ``test_sample_of_every_float32`` and e8m0's small step, 2**-127 to 2**-126,
    whose fraction is that of 2**-127 (22 bits), not of the float32 binade. The registered
    formats in the default run, the others under -m slow."""
    rng = np.random.default_rng(3)
    small = (np.uint32(0x400000) + rng.integers(0, 1 << 22, 4000).astype(np.uint32)).view(np.float32)
    x = np.concatenate([np.arange(3, 1 << 32, 65537, dtype=np.uint64).astype(np.uint32).view(np.float32), _edges(),
                        small])
    with np.errstate(invalid="ignore"):
        x64 = x.astype(np.float64)
    for overflow in ("ieee", "saturate"):
        for k in (1, 7, 32):
            with mock.patch.object(kern, "round_pow2_sr32", wraps=kern.round_pow2_sr32) as spy:
                got = nf.round(x, fmt, "stochastic", seed=11, sr_bits=k, overflow=overflow)
                codes = nf.encode(x, fmt, "stochastic", seed=11, sr_bits=k, overflow=overflow)
            assert spy.call_count == 2
            want = nf.round(x64, fmt, "stochastic", seed=11, sr_bits=k, overflow=overflow).astype(np.float32)
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32), err_msg=f"{overflow} {k}")
            np.testing.assert_array_equal(codes, nf.encode(x64, fmt, "stochastic", seed=11, sr_bits=k,
                                                           overflow=overflow))
        bits = rng.integers(0, 1 << 7, x.size)
        got = nf.round(x, fmt, "stochastic", sr_bits=7, random_bits=bits, overflow=overflow)
        want = nf.round(x64, fmt, "stochastic", sr_bits=7, random_bits=bits, overflow=overflow)
        np.testing.assert_array_equal(got.view(np.uint32), want.astype(np.float32).view(np.uint32))
    # a part of a larger array (a dask chunk, a thread's chunk) draws the numbers from its start on
    q, scale = cf.pow2_sr32_params(fmt, "ieee", "raise")
    part = np.empty(x.size - 1000, np.uint32)
    kern.round_pow2_sr32(x[1000:].view(np.uint32), part, 1000, None, np.uint64(5), q, scale, np.int64(32), None)
    np.testing.assert_array_equal(part, nf.round(x, fmt, "stochastic", seed=5).view(np.uint32)[1000:])


@pytest.mark.parametrize("fmt,threads", ci_grid(FORMAT_AXIS, [1, 2]))
def test_stochastic_counts_in_the_pass_equal_the_counting_pass(fmt, threads):
    """report=True of a stochastic cast of float32 counts as ``kernels.report.count_pow2_sr32``
    rounds (values and codes as the plain cast's), as the counting pass after the cast counts
    with the same random bits (seeded and given, 1, 7 and 32 of them): the tininess of the
    float32 subnormals in 2**(emin - 1)'s binade goes by their own carry; the bit patterns
    spread over all of float32, e8m0's small step and the binade under it, and standard
    normal data over several tiles (a second thread starts past 0)."""
    rng = np.random.default_rng(6)
    steps = (np.uint32(0x200000) + rng.integers(0, 0x600000, 20000).astype(np.uint32)).view(np.float32)
    x = np.concatenate([np.arange(3, 1 << 32, 65537, dtype=np.uint64).astype(np.uint32).view(np.float32), _edges(),
                        steps, rng.standard_normal(70_000).astype(np.float32)])
    old = nf.get_num_threads()
    nf.set_num_threads(threads)
    try:
        for overflow in ("ieee", "saturate"):
            for k, bits in ((1, None), (7, rng.integers(0, 1 << 7, x.size)), (32, None)):
                kw = dict(seed=3, sr_bits=k, random_bits=bits, overflow=overflow)
                if bits is not None:
                    del kw["seed"]
                with mock.patch.object(report_kernels, "count_pow2_sr32", wraps=report_kernels.count_pow2_sr32) as spy:
                    y, rep = nf.round(x, fmt, "stochastic", report=True, **kw)
                    codes, coded = nf.encode(x, fmt, "stochastic", report=True, **kw)
                assert spy.call_count == 2 * threads
                np.testing.assert_array_equal(y.view(np.uint32), nf.round(x, fmt, "stochastic", **kw).view(np.uint32))
                np.testing.assert_array_equal(codes, nf.encode(x, fmt, "stochastic", **kw))
                sr = StochasticArgs(kw.get("seed", 0), k, "add", bits)
                want = counts.float_report(x, y, fmt, Rounding.STOCHASTIC, sr)
                assert (rep.as_dict(), rep.first) == (want.as_dict(), want.first), (fmt.name, overflow, k)
                assert (coded.as_dict(), coded.first) == (want.as_dict(), want.first), (fmt.name, overflow, k)
    finally:
        nf.set_num_threads(old)
