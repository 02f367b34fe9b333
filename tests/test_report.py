"""CastReport and numfmt.flags: the counts of round / encode / quantize_affine against a plain
reference (Fractions, rounding with an unbounded exponent range) and MPFR's flags (gmpy2)."""
from __future__ import annotations

import contextvars
import dataclasses
import itertools
import math
import threading
from fractions import Fraction
from unittest import mock

import gmpy2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt.casts import report as cast_report
from numfmt.report import FLAGS
from numfmt.testing import arrays, fixed_formats, fixed_rounding_cases, formats, posit_formats, posit_rounding_cases
from sampling import ci_chosen, slow_twin  # noqa: E402

# small example counts: the suite's time budget (the reference sweeps are cheap, compiling the
# counting kernels is not)
FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODES = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd", "stochastic"]


# ----------------------------------------------------------------------------- the reference
def _pow2(k: int) -> Fraction:
    return Fraction(2) ** k


def _floor_log2(m: Fraction) -> int:
    e = m.numerator.bit_length() - m.denominator.bit_length()
    return e if m >= _pow2(e) else e - 1


def _round_up(n: int, f: Fraction, mode: str, neg: bool, odd_n: bool, rnd: int, k: int, rule: str) -> bool:
    """Whether n + f (0 < f < 1) rounds to n + 1 in magnitude."""
    if mode == "nearest_even":
        return f > Fraction(1, 2) or (f == Fraction(1, 2) and odd_n)
    if mode == "nearest_away":
        return f >= Fraction(1, 2)
    if mode == "toward_zero":
        return False
    if mode == "toward_positive":
        return not neg
    if mode == "toward_negative":
        return neg
    if mode == "odd":
        return not odd_n
    scaled = f * (1 << k)
    d = math.floor(scaled) if rule == "add" else round(scaled)    # round(): half to even
    return d + rnd >= 1 << k


def unbounded(m: Fraction, fmt, mode: str, neg: bool, rnd: int = 0, k: int = 1, rule: str = "add") -> Fraction:
    """m > 0 rounded to fmt's precision with an unbounded exponent range (IEEE 754's "as if
    the exponent range were unbounded"); ties and odd go by the code's parity."""
    e = _floor_log2(m)
    quantum = _pow2(e - fmt.man_bits)
    t = m / quantum
    n = math.floor(t)
    if t == n:
        return m
    # the code parity: the significand's for M > 0; for M = 0 that of the code of 2**e
    odd_n = (n & 1) if fmt.man_bits else ((e - fmt.emin + 1 + fmt.code_offset) & 1)
    return (n + _round_up(n, t - n, mode, neg, bool(odd_n), rnd, k, rule)) * quantum


def reference_flags(x: float, y: float, overflowed: bool, tiny: bool, maxv: float, minv: float,
                    normal: float) -> set:
    """The flags of one element, from the definitions in ``numfmt.report``."""
    if math.isnan(x):
        return {"nan_in"}
    if math.isnan(y):
        return {"invalid"} | ({"overflow", "inexact"} if overflowed else set())
    if math.isinf(x):         # clamped to ±max: subnormal in formats without a normal value (e1m2)
        return {"inexact", "saturated"} | ({"subnormal"} if abs(y) < normal else set()) if not math.isinf(y) else set()
    out = set()
    if y != x:
        out.add("inexact")
    if overflowed:
        out.add("overflow")
        if abs(y) == maxv:
            out.add("saturated")
    if tiny:
        if y != x:
            out.add("underflow")
        if abs(y) == minv:
            out.add("saturated")
    if x != 0 and y == 0:
        out.add("flushed_to_zero")
    if y != 0 and abs(y) < normal:
        out.add("subnormal")
    return out


def counts(flag_sets) -> dict:
    return {name: sum(name in s for s in flag_sets) for name in FLAGS}


def float_reference(x, y, fmt, mode, rand, k, rule) -> dict:
    info = fmt.info
    minv = info.smallest_normal if not fmt.zero else -1.0
    sets = []
    for i, (xi, yi) in enumerate(zip(np.asarray(x, np.float64).reshape(-1), np.asarray(y, np.float64).reshape(-1))):
        xi, yi = float(xi), float(yi)
        overflowed = tiny = False
        if math.isfinite(xi) and xi != 0 and not (xi < 0 and not fmt.signed):
            r = unbounded(abs(Fraction(xi)), fmt, mode, xi < 0, int(rand[i]) if rand is not None else 0, k, rule)
            overflowed = r > Fraction(info.max)
            tiny = r < Fraction(info.smallest_normal)
        sets.append(reference_flags(xi, yi, overflowed, tiny, info.max, minv, info.smallest_normal))
    return counts(sets)


def report_counts(rep) -> dict:
    return {name: getattr(rep, name) for name in FLAGS}


# ----------------------------------------------------------------------------- float family
@FAST
@given(st.data())
def test_float_counts_equal_the_reference(data):
    fmt = data.draw(formats(max_bits=16))
    x = data.draw(arrays(fmt, st.integers(0, 12).map(lambda n: (n,)), allow_special=True))
    mode = data.draw(st.sampled_from(MODES))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    k, rule, rand = 4, data.draw(st.sampled_from(["add", "nearest"])), None
    kwargs = {}
    if mode == "stochastic":
        rand = np.array(data.draw(st.lists(st.integers(0, 15), min_size=x.size, max_size=x.size)), np.int64)
        kwargs = dict(random_bits=rand, sr_bits=k, sr_rule=rule)
    y, rep = nf.round(x, fmt, mode, overflow, nan=nan, report=True, **kwargs)
    assert rep.n == x.size
    assert report_counts(rep) == float_reference(x, y, fmt, mode, rand, k, rule)
    codes, rep_codes = nf.encode(x, fmt, mode, overflow, nan=nan, report=True, **kwargs)
    assert rep_codes == rep
    # float32 inputs count the same way
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    y32, rep32 = nf.round(x32, fmt, mode, overflow, nan=nan, report=True, **kwargs)
    assert report_counts(rep32) == float_reference(x32, y32, fmt, mode, rand, k, rule)


@pytest.mark.parametrize("fmt", [nf.FloatFormat(1, 2), nf.FloatFormat(1, 7), nf.FloatFormat(1, 2, bias=-2),
                                 nf.FloatFormat(1, 2, signed=False)], ids=str)
def test_float_counts_of_formats_without_a_normal_value(fmt):
    """Regression: in formats whose every nonzero value is subnormal (e1m2: 0.5 .. 1.5, Inf, NaN),
    the float32 pass counted results clamped to max as normal and missed overflows such as 1.7
    (1.75 with an unbounded exponent range, above max 1.5); an Inf clamped to max was no subnormal."""
    x = np.random.default_rng(5).standard_normal(2000) * np.repeat([2.0, 0.3], 1000)
    x = np.concatenate([x, [np.inf, -np.inf, 0.0, 1.7, -1.7, 1.2]])
    x = np.abs(x) if not fmt.signed else x
    for mode in MODES[:-1]:
        for overflow in ("ieee", "saturate"):
            for dtype in (np.float32, np.float64):
                xs = x.astype(dtype)
                y, rep = nf.round(xs, fmt, mode, overflow, report=True)
                assert report_counts(rep) == float_reference(xs, y, fmt, mode, None, 1, "add"), (mode, overflow)
                assert report_counts(cast_report.float_report(xs, y, fmt, nf.Rounding[mode.upper()], None)) == \
                    report_counts(rep)


@FAST
@given(st.data())
def test_band_counts_decided_from_the_midpoints_equal_the_reference(data):
    """Values in the bands under the smallest normal and over the largest value (their
    midpoints, the float64 numbers next to those, the ends, random ones), both signs: the
    deterministic modes decide them from three roundings per band (``kernels.report._band_ups``)."""
    fmt = data.draw(formats(max_bits=16))
    mode = data.draw(st.sampled_from(MODES[:-1]))
    _, _, normal, _, _, below, above = cast_report._limits(fmt)
    bands = [(a, m, b) for a, m, b in zip((below, fmt.info.max), cast_report._midpoints(fmt), (normal, above))
             if not math.isnan(m)]
    values = [v for a, m, b in bands
              for v in (a, m, b, np.nextafter(m, 0.0), np.nextafter(m, np.inf), np.nextafter(a, np.inf),
                        np.nextafter(b, 0.0), a + (b - a) * data.draw(st.floats(0, 1)))]
    x = np.array(values + [-v for v in values if fmt.signed or fmt.has_nan] + [1.0], np.float64)
    y, rep = nf.round(x, fmt, mode, "saturate", nan="raise" if fmt.has_nan else "ml_dtypes", report=True)
    assert report_counts(rep) == float_reference(x, y, fmt, mode, None, 1, "add")


def test_float_counts_with_seeded_stochastic_rounding_use_the_casts_random_numbers():
    """Seeded bits: the report's unbounded rounding draws element i's number, as the cast did."""
    fmt = nf.format("e4m3")
    x = np.array([440.0, 450.0, 460.0, 470.0, 2.0 ** -10 * 1.3, 2.0 ** -7 * 1.9] * 20)
    y, rep = nf.round(x, fmt, "stochastic", seed=5, sr_bits=8, report=True)
    rand = nf.random.random_bits(5, x.shape, 8)
    assert report_counts(rep) == float_reference(x, y, fmt, "stochastic", rand, 8, "add")
    assert 0 < rep.overflow < 40


_GMPY_MODES = {"nearest_even": gmpy2.RoundToNearest, "toward_zero": gmpy2.RoundToZero,
               "toward_positive": gmpy2.RoundUp, "toward_negative": gmpy2.RoundDown}


@FAST
@given(st.data())
def test_ieee_flags_equal_mpfr(data):
    """MPFR (gmpy2) with precision p, emin = IEEE emin - M + 1, emax = IEEE emax + 1 and
    subnormalize (formats with a normal binade: MPFR's model has one). Quirk of the oracle: MPFR also raises underflow for *exact* tiny results
    (a subnormal input that is representable), where IEEE 754's default underflow needs the
    result to be inexact too; so ours is compared with MPFR's underflow and inexact."""
    fmt = data.draw(formats(max_bits=16, specials=["ieee"], signed=True).filter(
        lambda f: f.subnormals and f.zero and f.man_bits > 0 and f.exp_bits > 1))
    x = data.draw(arrays(fmt, st.integers(1, 12).map(lambda n: (n,))))
    mode = data.draw(st.sampled_from(sorted(_GMPY_MODES)))
    _, rep = nf.round(x, fmt, mode, report=True)
    emax = fmt.info.maxexp - 1
    ctx = dict(precision=fmt.man_bits + 1, emin=fmt.emin - fmt.man_bits + 1, emax=emax + 1, subnormalize=True,
               round=_GMPY_MODES[mode])
    expected = {"overflow": 0, "underflow": 0, "inexact": 0}
    for xi in x:
        v = gmpy2.mpfr(float(xi), 64)
        with gmpy2.context(**ctx) as c:
            c.plus(v)
            expected["overflow"] += c.overflow
            expected["underflow"] += c.underflow and c.inexact
            expected["inexact"] += c.inexact
    assert {name: getattr(rep, name) for name in expected} == expected


# ----------------------------------------------------------------------------- posits, integers
@FEW
@given(st.data())
def test_posit_counts_equal_the_reference(data):
    fmt = data.draw(posit_formats(max_bits=16))
    x = np.array(data.draw(st.lists(posit_rounding_cases(fmt, allow_special=True), max_size=10)), np.float64)
    mode = data.draw(st.sampled_from(MODES[:-1]))
    y, rep = nf.round(x, fmt, mode, report=True)
    maxpos, minpos = fmt.info.maxpos, fmt.info.minpos
    sets = [reference_flags(xi, yi, math.isfinite(xi) and abs(xi) > maxpos, 0 < abs(xi) < minpos,
                            maxpos, minpos, 0.0) for xi, yi in zip(x.tolist(), np.asarray(y).tolist())]
    assert report_counts(rep) == counts(sets)
    assert nf.encode(x, fmt, mode, report=True)[1] == rep


def integer_reference(x, q, scale: Fraction, zp, lo, hi, mode, rand, k, rule, wrap=False):
    """Flags of q = policy(round(x / scale) + zp): q the cast's integers."""
    sets = []
    for i, xi in enumerate(x.tolist()):
        if math.isnan(xi):
            sets.append({"nan_in"})
            continue
        qi, z = int(q[i]), int(np.broadcast_to(zp, x.shape)[i])
        s = Fraction(np.broadcast_to(scale, x.shape)[i]) if not isinstance(scale, Fraction) else scale
        out = set()
        if math.isinf(xi):      # clamped to zero where that is the range's end (unsigned, -Inf): flushed too
            out |= {"inexact"} | ({"saturated"} if not wrap else set()) | ({"flushed_to_zero"} if qi == z else set())
        else:
            t = Fraction(xi) / s
            n = math.floor(abs(t))
            f = abs(t) - n
            mag = n + (_round_up(n, f, mode, t < 0, bool(n & 1), int(rand[i]) if rand is not None else 0, k, rule)
                       if f else 0)
            kk = (-mag if t < 0 else mag) + z
            if Fraction(qi - z) != t:
                out.add("inexact")
            if not lo <= kk <= hi:
                out.add("overflow")
                if not wrap:
                    out.add("saturated")
            if xi != 0 and qi == z:
                out.add("flushed_to_zero")
        sets.append(out)
    return counts(sets)


@FEW
@given(st.data())
def test_fixed_counts_equal_the_reference(data):
    fmt = data.draw(fixed_formats(max_bits=16))
    x = np.array(data.draw(st.lists(fixed_rounding_cases(fmt), max_size=10)), np.float64)
    mode = data.draw(st.sampled_from(MODES))
    overflow = data.draw(st.sampled_from(["saturate", "wrap"]))
    k, rule, rand, kwargs = 4, data.draw(st.sampled_from(["add", "nearest"])), None, {}
    if mode == "stochastic":
        rand = np.array(data.draw(st.lists(st.integers(0, 15), min_size=x.size, max_size=x.size)), np.int64)
        kwargs = dict(random_bits=rand, sr_bits=k, sr_rule=rule)
    codes, rep = nf.encode(x, fmt, mode, overflow, report=True, **kwargs)
    q = codes.astype(np.int64)
    if fmt.signed:
        q = np.where(q > fmt.max_int, q - (1 << fmt.bits), q)
    expected = integer_reference(x, q, _pow2(-fmt.frac_bits), 0, fmt.min_int, fmt.max_int, mode, rand, k, rule,
                                 wrap=overflow == "wrap")
    assert report_counts(rep) == expected
    assert nf.round(x, fmt, mode, overflow, report=True, **kwargs)[1] == rep


@FAST
@given(st.data())
def test_integer_counts_of_values_far_outside_the_range_equal_the_reference(data):
    """Integer casts count the elements far outside the range in their branch-free pass
    (``kernels.report._far_flags``): against the Fraction reference."""
    fmt = data.draw(fixed_formats(max_bits=16))
    scale = 2.0 ** fmt.frac_bits
    x = np.array(data.draw(st.lists(fixed_rounding_cases(fmt) | st.floats(-1e6, 1e6).map(lambda v: v / scale)
                                    | st.sampled_from([1e300, -1e300, np.inf, -np.inf]), min_size=1, max_size=30)))
    mode = data.draw(st.sampled_from(MODES[:-1]))
    overflow = data.draw(st.sampled_from(["saturate", "wrap"]))
    if overflow == "wrap":                          # Inf has no wrap
        x = x[np.isfinite(x)]
    codes, rep = nf.encode(x, fmt, mode, overflow, report=True)
    q = codes.astype(np.int64)
    if fmt.signed:
        q = np.where(q > fmt.max_int, q - (1 << fmt.bits), q)
    assert report_counts(rep) == integer_reference(x, q, _pow2(-fmt.frac_bits), 0, fmt.min_int, fmt.max_int, mode,
                                                   None, 1, "add", wrap=overflow == "wrap")


@FAST
@given(st.data())
def test_quantize_affine_counts_equal_the_reference(data):
    fmt = data.draw(st.sampled_from(["int8", "uint8", "int4"]))
    f = nf.format(fmt)
    x = np.array(data.draw(st.lists(st.floats(-300, 300, allow_nan=False), min_size=1, max_size=8)), np.float64)
    scale = data.draw(st.floats(0.01, 4.0))
    zp = data.draw(st.integers(f.min_int, f.max_int))
    exact = data.draw(st.booleans())
    mode = data.draw(st.sampled_from(MODES[:-1])) if exact else "nearest_even"
    q, rep = nf.quantize_affine(x, fmt, scale, zp, exact=exact, rounding=mode, report=True)
    s = Fraction(float(scale) if exact else float(np.float32(scale)))
    assert report_counts(rep) == integer_reference(x, q.astype(np.int64), s, zp, f.min_int, f.max_int, mode,
                                                   None, 1, "add")


def test_quantize_affine_per_channel_counts():
    x = np.array([[1.0, 2.5, 1000.0], [0.1, -0.3, 7.0]])
    q, rep = nf.quantize_affine(x, "int8", np.array([1.0, 0.5]), np.array([0, 3]), axis=0, exact=True,
                                report=True)
    assert (rep.n, rep.inexact, rep.overflow, rep.saturated, rep.flushed_to_zero) == (6, 4, 1, 1, 1)


# ----------------------------------------------------------------------------- threads, the type, flags()
def test_counts_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(300_000) * 10.0 ** rng.integers(-6, 4, 300_000)).astype(np.float32)
    x[[7, 150_001]] = np.nan
    old = nf.get_num_threads()
    try:
        reports = []
        for threads in (1, min(2, old)):
            nf.set_num_threads(threads)
            reports.append([nf.round(x, fmt, "stochastic", seed=9, nan=nan, report=True)[1]
                            for fmt, nan in (("e4m3", "raise"), ("posit8", "raise"), ("int8", "zero"))])
    finally:
        nf.set_num_threads(old)
    assert reports[0] == reports[1]
    assert [r.first for r in reports[0]] == [r.first for r in reports[1]]
    assert reports[0][0].first["nan_in"] == 7


def test_cast_report_adds_prints_and_converts():
    _, a = nf.round([1.0, 1e6, 0.01], "e4m3", report=True)
    _, b = nf.round([np.nan, 3.3], "e4m3", report=True)
    total = a + b
    assert total.n == 5 and total.nan_in == 1 and total.overflow == 1 and total.inexact == 3
    d = total.as_dict()
    assert d["n"] == 5 and set(FLAGS) <= set(d) and "per_block" not in d
    text = str(total)
    assert text.startswith("CastReport of 5 elements") and "overflow" in text and "20.000 %" in text
    assert sum([a, b], nf.CastReport()) == total
    c = nf.CastReport(n=2, inexact=1, unit="roundings")           # a reduction's (test_report_reduce)
    assert (a.unit, c.unit, (a + c).unit, (c + a + c).unit) == ("elements", "roundings", "elements and roundings",
                                                                "elements and roundings")
    assert str(a + c).startswith("CastReport of 5 elements and roundings\n")


def test_cast_report_from_counts_is_the_report_init_makes():
    counts = np.array([3, 1, 0, 0, 2, 0, 0, 1, 0] + [4, 9, -1, -1, 0, -1, -1, 2, -1], np.int64)
    rep = nf.CastReport.from_counts(counts, 10, unit="elements", blocks=2, scale_top=1)
    assert rep == nf.CastReport(n=10, inexact=3, overflow=1, flushed_to_zero=2, nan_in=1, blocks=2, scale_top=1)
    assert rep.first == {"inexact": 4, "overflow": 9, "flushed_to_zero": 0, "nan_in": 2} and rep.per_block is None
    assert repr(rep) == repr(nf.CastReport(n=10, inexact=3, overflow=1, flushed_to_zero=2, nan_in=1, blocks=2,
                                           scale_top=1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.n = 3
    with pytest.raises(TypeError, match="no field 'blocs'"):
        nf.CastReport.from_counts(counts, 10, unit="elements", blocs=2)


def test_report_false_returns_the_plain_result():
    x = np.linspace(-500, 500, 128)
    for fmt in ("e4m3", "posit8", "int8", "mxfp8", "nvfp4"):
        for cast in (nf.round, nf.encode):
            out, _ = cast(x, fmt, report=True)
            plain = cast(x, fmt)
            if fmt in ("mxfp8", "nvfp4") and cast is nf.encode:
                out, plain = nf.decode(out), nf.decode(plain)
            assert plain.dtype == out.dtype and plain.tobytes() == out.tobytes()     # (bit for bit: -0 is not +0)
    assert isinstance(nf.round(1.0, "e4m3"), np.floating)


def test_flags_accumulates_nests_and_stays_in_its_thread():
    with nf.flags() as outer:
        nf.round([1.0, 1e6], "e4m3")
        with nf.flags() as inner:
            nf.encode([0.1], "e4m3")
            nf.quantize_affine([1000.0], "int8", 1.0)
        seen_in_thread = []

        def work():          # a plain new thread starts without the context
            with nf.flags() as mine:
                nf.round([1e6], "e4m3")
            seen_in_thread.append(mine.report.n)
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert (inner.report.n, inner.report.overflow, inner.report.inexact) == (2, 1, 2)
    assert (outer.report.n, outer.report.overflow) == (4, 2)
    assert seen_in_thread == [1]
    nf.round([1e6], "e4m3")           # outside: nothing is added
    assert outer.report.n == 4


def test_flags_shared_across_threads_adds_every_report():
    with nf.flags() as f:
        ctx = contextvars.copy_context()
        threads = [threading.Thread(target=ctx.copy().run, args=(nf.round, [1e6] * 10, "e4m3")) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert (f.report.n, f.report.overflow) == (80, 80)


def test_flags_raise_on_names_the_call_and_the_first_element():
    x = np.array([[1.0, 2.0], [1e6, -1e7]])
    with pytest.raises(nf.FlagError, match=r"numfmt\.round\(e4m3\) set overflow \(2 of 4 elements\); "
                                           r"first: element 2 \(index \(1, 0\)\), x = 1000000\.0"):
        with nf.flags(raise_on=("overflow",)) as f:
            nf.round([1.0], "e4m3")
            nf.round(x, "e4m3")
    assert f.report.n == 5
    with nf.flags(raise_on="nan_in"):
        nf.round([1.0, 1e6], "e4m3")           # no NaN in: no error
    with pytest.raises(ValueError, match="raise_on must name counts"):
        nf.flags(raise_on=("overflows",))
    with pytest.raises(ValueError, match="raise_on must be a count's name or names"):
        nf.flags(raise_on=5)


def test_one_flags_object_entered_nested_and_in_threads():
    """One flags object entered inside itself and by two threads at once: every exit leaves the
    context as its entry found it (the entries once shared one token: the second exit raised)."""
    f = nf.flags()
    with f:
        with f:
            nf.round([1e6], "e4m3")
        nf.round([1e6], "e4m3")
    assert f.report.n == 2         # (each call counted once, though the object was entered twice)
    errors, barrier = [], threading.Barrier(2)

    def work():
        try:
            with f:
                barrier.wait()
                nf.round([1.0], "e4m3")
                barrier.wait()
            nf.round([1e6], "e4m3")         # after its exit: not counted
        except Exception as e:          # noqa: BLE001 (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and f.report.n == 4


def test_mcf_steps_are_not_counted_and_reports_sum():
    """An MCF operation's roundings are its own error-free steps, not counted in flags();
    sum(reports) adds them."""
    x = nf.mcf.from_float([1.0, 2.0, 0.1])
    with nf.flags() as f:
        nf.mcf.mul(nf.mcf.add(x, x), x)
    assert f.report.n == 0
    reports = [nf.round([1e6, 0.1], "e4m3", report=True)[1] for _ in range(3)]
    assert sum(reports) == reports[0] + reports[1] + reports[2] and sum(reports).n == 6


def test_bad_report_arguments():
    with pytest.raises(TypeError, match="per_block applies to block formats only"):
        nf.round([1.0], "e4m3", report=True, per_block=True)


# ----------------------------------------------------------------------------- block formats
def block_reference(x: np.ndarray, fmt, mode: str, axis: int, rand=None, sr_bits: int = 1,
                    rule: str = "add") -> tuple[dict, dict]:
    """(counts, per-block counts) from the definitions: every element against x / scale with
    the element format's unbounded rounding (stochastic: with the random bits rand, shaped like
    x, of sr_bits and sr_rule rule); inexact compares the values."""
    sr = dict(random_bits=rand, sr_bits=sr_bits, sr_rule=rule) if mode == "stochastic" else {}
    enc = nf.encode(x, fmt, mode, axis=axis, **sr)
    y = nf.decode(enc, dtype=np.float64)
    ye, scale = nf.casts.block.element_values(enc)
    elem = fmt.element
    sets = []
    bits = np.zeros(x.size, np.int64) if rand is None else np.asarray(rand).reshape(-1)
    for xi, yi, ei, si, rnd in zip(x.reshape(-1).tolist(), y.reshape(-1).tolist(), ye.reshape(-1).tolist(),
                                   scale.reshape(-1).tolist(), bits.tolist()):
        if math.isnan(xi):
            sets.append({"nan_in"})
            continue
        if math.isnan(si):
            sets.append({"invalid"})
            continue
        v = Fraction(xi) / Fraction(si)
        if elem.family == "fixed":
            q = Fraction(ei) * (1 << elem.frac_bits)
            t = v * (1 << elem.frac_bits)
            n = math.floor(abs(t))
            f = abs(t) - n
            mag = n + (_round_up(n, f, mode, t < 0, bool(n & 1), rnd, sr_bits, rule) if f else 0)
            k = -mag if t < 0 else mag
            flags = {"overflow", "saturated"} if not fmt.element_min_int <= k <= elem.max_int else set()
            flags |= {"flushed_to_zero"} if v != 0 and q == 0 else set()
        else:
            valid = v != 0 and (v > 0 or elem.signed)        # (a negative into unsigned: invalid, no overflow)
            r = unbounded(abs(v), elem, mode, v < 0, rnd, sr_bits, rule) if valid else Fraction(0)
            info = elem.info
            flags = reference_flags(float(v), ei, r > Fraction(info.max), v != 0 and r < Fraction(info.smallest_normal),
                                    info.max, -1.0, info.smallest_normal) - {"inexact"}
        sets.append(flags | ({"inexact"} if yi != xi else set()))
    per_block = {name: np.array([name in s for s in sets]).reshape(x.shape) for name in FLAGS}
    moved = {name: np.moveaxis(a, axis, -1) for name, a in per_block.items()}
    blocks = {name: np.moveaxis(a.reshape(a.shape[:-1] + (-1, fmt.block_size)).sum(axis=-1), -1, axis)
              for name, a in moved.items()}
    return counts(sets), blocks


@settings(max_examples=3, deadline=None)      # (each example compiles; the slow twin below draws 40)
@given(st.data())
def test_mx_counts_and_per_block_counts_equal_the_reference(data):
    name = data.draw(st.sampled_from(["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp4", "mxint8"]))
    fmt = nf.format(name)
    mode = data.draw(st.sampled_from(MODES[:-1]))
    kind = data.draw(st.sampled_from(nf.testing.HARD_BLOCK_KINDS))
    x = nf.testing.hard_block(fmt, kind, np.random.default_rng(data.draw(st.integers(0, 99))), np.float64)
    x = np.stack([x, x[::-1] * 3.0], axis=1)              # blocks along axis 0, two columns
    y, rep = nf.round(x, fmt, mode, axis=0, report=True, per_block=True)
    expected, blocks = block_reference(x, fmt, mode, 0)
    assert report_counts(rep) == expected
    assert rep.blocks == 2 and rep.per_block["inexact"].shape == nf.encode(x, fmt, mode, axis=0).scales.shape
    for name in FLAGS:
        np.testing.assert_array_equal(rep.per_block[name], blocks[name], err_msg=name)
    assert nf.encode(x, fmt, mode, axis=0, report=True)[1] == rep
    # the same blocks along the last axis (a block's runs), and in 70 columns (runs of 64 places)
    rep_t = nf.round(np.ascontiguousarray(x.T), fmt, mode, report=True, per_block=True)[1]
    wide = nf.round(np.tile(x, (1, 35)), fmt, mode, axis=0, report=True, per_block=True)[1]
    for name in FLAGS:
        np.testing.assert_array_equal(rep_t.per_block[name], blocks[name].T, err_msg=name)
        np.testing.assert_array_equal(wide.per_block[name], np.tile(blocks[name], (1, 35)), err_msg=name)
    # a round counts its elements as value / scale, an encode from the codes: the same on float32
    x32 = x.astype(np.float32)
    assert nf.round(x32, fmt, mode, axis=0, report=True)[1] == nf.encode(x32, fmt, mode, axis=0, report=True)[1]


@settings(max_examples=3, deadline=None)      # (each example compiles; the slow twin below draws 40)
@given(st.data())
def test_mx_stochastic_float64_counts_equal_the_reference(data):
    """float64 blocks under stochastic rounding are counted as they round
    (``kernels.block._pow2_rows`` with flags_of; ``block_report`` is not called): every count
    and every block's equal the definitions' with the same random bits, given or the seed's
    (``numfmt.random.random_bits``), sr_rule "add" and "nearest", along axis 0 (the blocks of
    a row side by side) and the last axis (first indices: tests/test_block_report_fast.py)."""
    name = data.draw(st.sampled_from(["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8"]))
    fmt = nf.format(name)
    k = data.draw(st.sampled_from([3, 8, 32]))
    rule = data.draw(st.sampled_from(["add", "nearest"]))
    seed = data.draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    kinds = data.draw(st.lists(st.sampled_from(nf.testing.HARD_BLOCK_KINDS), min_size=3, max_size=3))
    x = np.stack([nf.testing.hard_block(fmt, kind, rng, np.float64) for kind in kinds], axis=1)
    for data_x, axis in ((x, 0), (np.ascontiguousarray(x.T), -1)):
        rand = nf.random.random_bits(seed, data_x.shape, k)
        expected, blocks = block_reference(data_x, fmt, "stochastic", axis, rand, k, rule)
        for bits in (dict(seed=seed), dict(random_bits=rand)):
            with mock.patch.object(cast_report, "block_report", wraps=cast_report.block_report) as after:
                y, rep = nf.round(data_x, fmt, "stochastic", axis=axis, sr_bits=k, sr_rule=rule, report=True,
                                  per_block=True, **bits)
            assert not after.called
            assert report_counts(rep) == expected, (name, axis, bits.keys())
            for flag in FLAGS:
                np.testing.assert_array_equal(rep.per_block[flag], blocks[flag], err_msg=flag)


UNSIGNED_ELEMENTS = {"ue3m2": nf.FloatFormat(3, 2, signed=False), "ufixed8_6": nf.FixedFormat(8, 6, signed=False)}
UNSIGNED_CASES = list(itertools.product(UNSIGNED_ELEMENTS, (-1, 0), ("nearest_even", "stochastic"),
                                       ("float64", "float32"), ("round", "encode")))


def _unsigned_case_name(case) -> str:
    return "-".join(str(part) for part in case)


@pytest.mark.parametrize("case", ci_chosen(UNSIGNED_CASES, ("ue3m2--1-nearest_even-float32-round",
                                                             "ufixed8_6--1-stochastic-float64-round",
                                                             "ufixed8_6-0-stochastic-float64-encode"),
                                           _unsigned_case_name))
def test_unsigned_element_counts_equal_the_reference(case):
    """Blocks of unsigned elements (a negative input is invalid for float elements; it rounds
    below the smallest fixed-point element, 0, and overflows there): round and encode of
    float32 and float64, nearest even and stochastic, along both axes, equal the definitions
    (the default run: a common pass after the cast, the float64 kernel's count, a pass after
    the cast over fixed-point elements). The pass after the cast took a negative quotient of
    normal magnitude for a common element, inexact only, and tested fixed-point elements for
    the band by |v| against the largest."""
    name, axis, mode, dtype, call = case
    fmt = nf.BlockFormat(UNSIGNED_ELEMENTS[name], 8, "e8m0")
    x = np.random.default_rng(2).standard_normal((8, 32))
    x[1, :8] = -x[1, :8] ** 2 * 1e3         # a block of negatives only, beyond the element range
    rand = nf.random.random_bits(1, x.shape, 8)
    sr = dict(random_bits=rand, sr_bits=8) if mode == "stochastic" else {}
    expected = block_reference(x, fmt, mode, axis, rand, 8)[0]
    rep = getattr(nf, call)(x.astype(dtype), fmt, mode, axis=axis, report=True, **sr)[1]
    assert report_counts(rep) == expected


def test_block_counts_of_quotients_below_float64s_normal_range():
    """An element whose quotient by its block's scale lies below float64's smallest normal
    (1e-310 in a block scaled by 2**100) is flushed to zero and underflows: counted so as the
    cast rounds (round of float64, stochastic or not) and after it (encode), where a quotient
    rounded to nearest in float64 is 0 and would count as exact zero."""
    x = np.full((2, 32), 1.0)
    x[:, 0], x[:, 1] = 2.0 ** 102, 1e-310
    x[1, 3] = 2.0 ** 200        # (no float32 stand-in: the float64 kernels)
    for fmt, mode in itertools.product(("mxfp8_e4m3", "mxfp4", "mxint8"), ("nearest_even", "stochastic")):
        sr = dict(seed=1) if mode == "stochastic" else {}
        for call in (nf.round, nf.encode):
            rep = call(x, fmt, mode, report=True, **sr)[1]
            assert rep.flushed_to_zero >= 2 and rep.first["flushed_to_zero"] == 1, (fmt, mode, call)
            assert rep.underflow == (rep.flushed_to_zero if fmt != "mxint8" else 0), (fmt, mode, call)


@FEW
@given(st.data())
def test_mx_round_counts_in_the_cheap_pass_equal_the_reference(data):
    """A round counts a run of elements (a block along the last axis, or up to 64 places of as
    many blocks) in a cheap pass where all are common (normal, in range: INEXACT only) and in
    the full pass elsewhere: the counts and first indices equal the reference's and those of
    encode (counted after the cast in the full pass, from the codes; in nearest even both
    count in the fast kernels' pass), along either axis."""
    name = data.draw(st.sampled_from(["mxfp8_e4m3", "mxfp6_e3m2", "mxfp4"]))
    fmt = nf.format(name)
    mode = data.draw(st.sampled_from(MODES[:-1]))
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    common = np.ldexp(rng.uniform(1, 1.7, (3, fmt.block_size)), rng.integers(0, 3, (3, fmt.block_size)))
    x = np.concatenate([nf.testing.hard_blocks(fmt, 4, rng.integers(99), np.float64), common * rng.choice([-1, 1])])
    x = x[rng.permutation(len(x))]
    expected = block_reference(x, fmt, mode, 1)[0]
    assert report_counts(nf.round(x, fmt, mode, report=True)[1]) == expected
    xt = np.ascontiguousarray(np.tile(x.T, (1, 40)))              # 40 * 7 places: runs of 64 and a tail
    assert report_counts(nf.round(xt, fmt, mode, axis=0, report=True)[1]) == {k: 40 * v for k, v in expected.items()}
    for v, axis in [(x.astype(np.float32), -1), (xt.astype(np.float32), 0)]:
        assert nf.round(v, fmt, mode, axis=axis, report=True)[1] == nf.encode(v, fmt, mode, axis=axis, report=True)[1]


def test_blocks_of_more_elements_than_a_count_field_holds():
    """A run's counts sum in 16-bit fields (``kernels.report._spread``): blocks of 70,000
    elements are counted in pieces, along the last axis and along axis 0 (padded: the last block
    is short), in total and per block (every element here is inexact)."""
    fmt = nf.BlockFormat("e4m3", 70_000, "e8m0")
    x = np.random.default_rng(0).uniform(1.0, 2.0, (3, 2 * 70_000 - 5)) * 1.001    # no e4m3 value
    for data, axis in ((x, -1), (np.ascontiguousarray(x.T), 0)):
        y, rep = nf.round(data, fmt, axis=axis, pad=True, report=True, per_block=True)
        assert rep.inexact == np.count_nonzero(y != data) == x.size and rep.overflow == 0
        want = np.full((3, 2), 70_000)
        want[:, 1] -= 5
        np.testing.assert_array_equal(rep.per_block["inexact"], want if axis == -1 else want.T)
        assert not rep.per_block["overflow"].any()


def test_block_scale_top_and_bottom_and_nvfp4():
    fmt = nf.format("mxfp8_e4m3")
    x = np.concatenate([np.full(32, 2.0 ** 140), np.full(32, 2.0 ** -140), np.full(32, 1.0), np.zeros(32)])
    _, rep = nf.round(x, fmt, report=True, per_block=True)
    assert (rep.blocks, rep.scale_top, rep.scale_bottom, rep.invalid) == (4, 1, 1, 32)
    assert rep.per_block["scale_top"].tolist() == [1, 0, 0, 0] and rep.per_block["scale_bottom"].tolist() == [0, 1, 0, 0]
    x = np.linspace(-3, 3, 64).astype(np.float32)
    x[:16] *= 1e-12                                                   # a block whose scale is below 2**-6
    y, rep = nf.round(x, "nvfp4", report=True)
    assert rep.scale_bottom == 1 and rep.n == 64 and rep.inexact == np.count_nonzero(y != x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nvfp4_counts_a_quotient_that_float32_flushes(dtype):
    """Regression: a nonzero x whose quotient fl32(x / total) is 0 (a block beside a huge one
    in the tensor scale; float64 x whose fl32(x) is 0) counted inexact only: its exact element
    value x / total is nonzero and tiny, so it is flushed to zero and underflows too, in every
    path (the fast kernels' pass along either axis, per block, encode, the padded second pass,
    float64 through float32)."""
    tiny = 1e-20 if dtype == np.float32 else 1e-50
    x = np.array([[1e30 if dtype == np.float32 else 1.0] + [tiny] * 15 + [1.0] * 15 + [-tiny]] * 2, dtype)
    calls = [(x, {}), (np.ascontiguousarray(x.T), {"axis": 0}), (x, {"per_block": True}),
             (x[:, :-1], {"pad": True})]
    for arg, options in calls:
        y = nf.round(arg, "nvfp4", **{k: v for k, v in options.items() if k != "per_block"})
        gone = ((arg != 0) & (y == 0)).reshape(-1)
        for cast in (nf.round, nf.encode):
            _, rep = cast(arg, "nvfp4", report=True, **options)
            assert rep.flushed_to_zero == rep.underflow == np.count_nonzero(gone) >= 30, (cast, options, rep)
            assert rep.inexact >= rep.flushed_to_zero and rep.first["flushed_to_zero"] == np.flatnonzero(gone)[0]
    _, rep = nf.round(x, "nvfp4", report=True, per_block=True)
    gone = ((x != 0) & (nf.round(x, "nvfp4") == 0)).reshape(2, 2, 16).sum(axis=2)
    assert rep.per_block["flushed_to_zero"].tolist() == rep.per_block["underflow"].tolist() == gone.tolist()


@pytest.mark.parametrize("axis, pad", [(-1, False), (0, False), (-1, True)])
def test_nvfp4_float64_counts_equal_the_second_pass(axis, pad):
    """nvfp4 takes float64 x in float32 first (its recipe): report=True counts the cast of
    fl32(x) in the fast kernels' pass and adds the elements that differ from x where the cast
    kept fl32(x) (``casts.report._counted_in_float32``); the counts, first indices and per-block
    counts equal those of the second pass over x itself (``casts.report.block_report``: the
    element values from fl32(x), inexact against x), for round and encode, on hard blocks, values
    over 60 binades, float32 values, and values just off the element grid that fl32 puts on it."""
    from numfmt.casts import report as cast_report
    from numfmt.rounding import rounding_mode
    fmt = nf.format("nvfp4")
    rng = np.random.default_rng(3)
    hard = nf.testing.hard_blocks(fmt, 6, 5, np.float64)
    spread = rng.standard_normal((30, hard.shape[1])) * 2.0 ** rng.integers(-30, 30, (30, hard.shape[1]))
    grid = rng.choice([0.5, 1.0, 1.5, 3.0, 6.0], (8, hard.shape[1])) * (1 + 2.0 ** -40)
    x = np.tile(np.concatenate([hard, spread, spread.astype(np.float32), grid]), (1, 5))
    x = x if axis == -1 else np.ascontiguousarray(x.T)
    x = x[..., :-3] if pad else x
    x[0, 0] = 1e-300        # (0 in float32, kept: the first inexact element)
    options = dict(axis=axis, pad=pad)
    for operation, cast in (("round_float", nf.round), ("encode_float", nf.encode)):
        out, rep = cast(x, fmt, report=True, per_block=True, **options)
        ref = cast_report.block_report(x, fmt, rounding_mode("nearest_even"), "ieee", None,
                                       out if operation == "encode_float" else out, True, options)
        assert rep == ref and rep.first == ref.first and rep.first["inexact"] == 0
        assert rep.inexact > np.count_nonzero(nf.round(x.astype(np.float32), fmt, **options) != x.astype(np.float32))
        for name in ref.per_block:
            np.testing.assert_array_equal(rep.per_block[name], ref.per_block[name], err_msg=name)


test_mx_counts_and_per_block_counts_equal_the_reference_wide = slow_twin(
    test_mx_counts_and_per_block_counts_equal_the_reference, settings(max_examples=40, deadline=None), st.data())
test_mx_stochastic_float64_counts_equal_the_reference_wide = slow_twin(
    test_mx_stochastic_float64_counts_equal_the_reference, settings(max_examples=40, deadline=None), st.data())
