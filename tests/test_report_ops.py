"""report=True for add / sub / mul / div / fma / sqrt: the counts against a plain reference (the
exact result as a Fraction, rounded with an unbounded exponent range) and MPFR's flags (gmpy2);
broadcasting, numfmt.flags, and the formats the counts do not cover."""
from __future__ import annotations

import math
from fractions import Fraction

import gmpy2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt.arithmetic.report import stand_in_format
from numfmt.testing import formats, posit_formats, posit_values, values

from sampling import slow_twin  # noqa: E402
# the cast report's reference (tests/test_report.py): one definition of every count
from test_report import _GMPY_MODES, FAST, FEW, MODES, counts, reference_flags, report_counts, unbounded  # noqa: E402

OPS = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1}
_SQRT_BITS = 1300          # the reference's square roots: rounded to odd at 2**-1300, far below every format


# ----------------------------------------------------------------------------- the reference
def _sqrt(m: Fraction) -> Fraction:
    """sqrt(m) for m >= 0, exact where it is a dyadic number, else rounded to odd at 2**-1300
    (which rounds to every format, in every mode, as the square root does)."""
    scaled = m * 4 ** _SQRT_BITS
    r = math.isqrt(math.floor(scaled))
    return Fraction(r if r * r == scaled else r | 1, 2 ** _SQRT_BITS)


def exact(op: str, args: tuple):
    """op's exact result: a Fraction for finite operands (a float NaN for invalid operations),
    else numpy's float64 result (Inf and NaN follow IEEE 754 there)."""
    a = args[0]
    if not all(math.isfinite(v) for v in args):
        with np.errstate(invalid="ignore", divide="ignore"):
            return float({"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
                          "fma": lambda x, y, z: x * y + z, "sqrt": np.sqrt}[op](*map(np.float64, args)))
    f = [Fraction(v) for v in args]
    if op == "div" and f[1] == 0:
        return math.nan if f[0] == 0 else math.copysign(math.inf, a) * math.copysign(1.0, args[1])
    if op == "sqrt":
        return math.nan if f[0] < 0 else _sqrt(f[0])
    return {"add": lambda: f[0] + f[1], "sub": lambda: f[0] - f[1], "mul": lambda: f[0] * f[1],
            "div": lambda: f[0] / f[1], "fma": lambda: f[0] * f[1] + f[2]}[op]()


def _operand_flags(op: str, args: tuple, x) -> set | None:
    """nan_in, invalid and div_by_zero, from the operands: the whole flag set where it is one of
    the first two (a NaN result), else None; div_by_zero is added by the caller."""
    if any(math.isnan(v) for v in args):
        return {"nan_in"}
    if isinstance(x, float) and math.isnan(x):
        return {"invalid"}
    return None


def op_reference(op, operands, y, fmt, mode, rand=None, k=1, rule="add") -> dict:
    """The counts of op's results y from the definitions (``numfmt.report``), element by element."""
    cols = [np.broadcast_to(a, y.shape).reshape(-1).tolist() for a in operands]
    posit = fmt.family == "posit"
    info = fmt.info
    sets = []
    for i, (args, yi) in enumerate(zip(zip(*cols), np.asarray(y, np.float64).reshape(-1).tolist())):
        x = exact(op, args)
        flags = _operand_flags(op, args, x)
        if flags is None and posit:
            big = isinstance(x, Fraction) and abs(x) > Fraction(info.maxpos)
            small = isinstance(x, Fraction) and 0 < abs(x) < Fraction(info.minpos)
            flags = reference_flags(x, yi, big, small, info.maxpos, info.minpos, 0.0)
        elif flags is None:
            overflowed = tiny = False
            if isinstance(x, Fraction) and x != 0 and not (x < 0 and not fmt.signed):
                r = unbounded(abs(x), fmt, mode, x < 0, int(rand[i]) if rand is not None else 0, k, rule)
                overflowed, tiny = r > Fraction(info.max), r < Fraction(info.smallest_normal)
            minv = info.smallest_normal if not fmt.zero else -1.0
            flags = reference_flags(x, yi, overflowed, tiny, info.max, minv, info.smallest_normal)
        if op == "div" and math.isfinite(args[0]) and args[0] != 0 and args[1] == 0:
            flags = flags | {"div_by_zero"}
        sets.append(flags)
    return counts(sets)


def _fits(op: str, fmt, sr_bits=None) -> bool:
    try:
        stand_in_format(op, fmt, sr_bits)
    except NotImplementedError:
        return False
    return True


def _call(op, operands, fmt, mode, **kwargs):
    return getattr(nf, op)(*operands, fmt, mode, report=True, **kwargs)


# ----------------------------------------------------------------------------- float family
@FAST
@given(st.data())
def test_float_op_counts_equal_the_reference(data):
    op = data.draw(st.sampled_from(sorted(OPS)))
    fmt = data.draw(formats(max_bits=16).filter(lambda f: _fits(op, f, 4)))
    n = data.draw(st.integers(1, 8))
    operands = [np.array(data.draw(st.lists(values(fmt, allow_special=True), min_size=n, max_size=n)))
                for _ in range(OPS[op])]
    mode = data.draw(st.sampled_from(MODES))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    k, rule, rand, kwargs = 4, data.draw(st.sampled_from(["add", "nearest"])), None, {}
    if mode == "stochastic":
        rand = np.array(data.draw(st.lists(st.integers(0, 15), min_size=n, max_size=n)), np.int64)
        kwargs = dict(random_bits=rand, sr_bits=k, sr_rule=rule)
    try:
        y, rep = _call(op, operands, fmt, mode, overflow=overflow, **kwargs)
    except ValueError as e:             # an invalid operation in a format without NaN has no result
        assert "invalid operations" in str(e) and not fmt.has_nan
        return
    assert rep.n == n
    assert report_counts(rep) == op_reference(op, operands, y, fmt, mode, rand, k, rule)


def test_float_op_counts_at_the_limits_and_with_seeded_stochastic_rounding():
    """Sums around e4m3's largest value and products around its smallest normal, with the
    random numbers the operation drew (element i: number i of the seed)."""
    fmt = nf.format("e4m3")
    a = np.array([448.0, 448.0, 416.0, 2.0 ** -6, 2.0 ** -7, 1.75 * 2 ** -7, -448.0, 0.125] * 8)
    b = np.array([16.0, 8.0, 32.0, -2.0 ** -9, 1.875, 1.125, -24.0, 0.875] * 8)
    rand = nf.random.random_bits(11, a.shape, 6)
    y, rep = nf.mul(a, b, fmt, "stochastic", overflow="saturate", seed=11, sr_bits=6, report=True)
    assert report_counts(rep) == op_reference("mul", (a, b), y, fmt, "stochastic", rand, 6)
    assert rep.underflow > 0 and rep.subnormal > 0
    y, rep = nf.add(a, b, fmt, "stochastic", overflow="saturate", random_bits=rand, sr_bits=6, report=True)
    assert report_counts(rep) == op_reference("add", (a, b), y, fmt, "stochastic", rand, 6)
    assert 0 < rep.overflow < 24 and rep.saturated == rep.overflow
    # 448 + 30 = 478: the discarded fraction 15/16 of an ulp overflows with every random number but 0,
    # which needs the stand-in's sr_bits extra bits (at p + 2 bits it would read 12/16)
    y, rep = nf.add(np.full(16, 448.0), np.full(16, 30.0), fmt, "stochastic", random_bits=np.arange(16), sr_bits=4,
                    report=True)
    assert rep.overflow == 15 and rep.invalid == 15 and np.isnan(y).sum() == 15
    # 0.021484375 * 0.6875 lies just below the midpoint under 2**-6 (e4m3's smallest normal): tiny
    # after rounding to nearest, which a stand-in with one extra bit there would turn into a tie
    y, rep = nf.mul(0.021484375, 0.6875, fmt, report=True)
    assert float(y) == 2.0 ** -6 and (rep.underflow, rep.inexact, rep.subnormal) == (1, 1, 0)


_GMPY_OPS = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "fma": "fma", "sqrt": "sqrt"}


@FAST
@given(st.data())
def test_ieee_op_flags_equal_mpfr(data):
    """MPFR (gmpy2) in a context with the format's precision and exponent range (as in
    test_report). Quirks of the oracle: MPFR raises underflow for exact tiny results too (ours is
    compared with MPFR's underflow and inexact), and raises its invalid (NaN) flag for NaN
    operands, where IEEE 754's quiet NaNs raise nothing (operands here are not NaN)."""
    op = data.draw(st.sampled_from(sorted(OPS)))
    fmt = data.draw(formats(max_bits=16, specials=["ieee"], signed=True).filter(
        lambda f: f.subnormals and f.zero and f.man_bits > 0 and f.exp_bits > 1 and _fits(op, f)))
    n = data.draw(st.integers(1, 6))
    finite_or_inf = st.one_of(values(fmt), st.sampled_from([math.inf, -math.inf]))
    operands = [np.array(data.draw(st.lists(finite_or_inf, min_size=n, max_size=n))) for _ in range(OPS[op])]
    mode = data.draw(st.sampled_from(sorted(_GMPY_MODES)))
    _, rep = _call(op, operands, fmt, mode)
    ctx = dict(precision=fmt.man_bits + 1, emin=fmt.emin - fmt.man_bits + 1, emax=fmt.info.maxexp,
               subnormalize=True, round=_GMPY_MODES[mode])
    expected = dict.fromkeys(("overflow", "underflow", "inexact", "div_by_zero", "invalid"), 0)
    for args in zip(*operands):
        mp = [gmpy2.mpfr(float(v), 64) for v in args]
        with gmpy2.context(**ctx) as c:
            getattr(c, _GMPY_OPS[op])(*mp)
            expected["overflow"] += c.overflow
            expected["underflow"] += c.underflow and c.inexact
            expected["inexact"] += c.inexact
            expected["div_by_zero"] += c.divzero
            expected["invalid"] += c.invalid
    assert {name: getattr(rep, name) for name in expected} == expected


# ----------------------------------------------------------------------------- posits
@FEW
@given(st.data())
def test_posit_op_counts_equal_the_reference(data):
    op = data.draw(st.sampled_from(sorted(OPS)))
    fmt = data.draw(posit_formats(max_bits=16).filter(lambda f: _fits(op, f)))
    n = data.draw(st.integers(1, 8))
    dtype = np.float32 if fmt.fits_float32() else np.float64       # float32: the kernels test_posit_arith compiles
    operands = [np.array(data.draw(st.lists(posit_values(fmt, allow_nar=True), min_size=n, max_size=n)), dtype)
                for _ in range(OPS[op])]
    mode = data.draw(st.sampled_from(MODES[:-1]))
    y, rep = _call(op, operands, fmt, mode)
    assert report_counts(rep) == op_reference(op, operands, y, fmt, mode)


# ----------------------------------------------------------------------------- broadcasting, flags()
def test_broadcast_counts_every_result_element():
    a = np.array([[448.0], [1.0], [np.nan]])
    b = np.array([0.0, 32.0, 2.0 ** -9, -1.0])
    y, rep = nf.add(a, b, "e4m3", overflow="saturate", report=True)
    assert y.shape == (3, 4) and rep.n == 12
    flat = [np.broadcast_to(v, y.shape).reshape(-1) for v in (a, b)]
    assert rep == nf.add(*flat, "e4m3", overflow="saturate", report=True)[1]
    assert (rep.inexact, rep.overflow, rep.saturated, rep.nan_in) == (5, 1, 1, 4)
    assert rep.first["overflow"] == 1 and rep.first["nan_in"] == 8 and rep.first["inexact"] == 1


def test_flags_accumulate_operations_and_raise_on_names_the_call():
    with nf.flags() as f:
        nf.add([1.0, 448.0], [0.0625, 32.0], "e4m3")
        nf.div([1.0, 0.0], [0.0, 0.0], "binary16")
        nf.mul([3.0, 0.1], 1.0, "bfloat16", inputs="round")        # the rounding of 0.1 is not counted
        nf.neg([1.0], "e4m3")                                       # exact: nothing counts
    assert (f.report.n, f.report.inexact, f.report.overflow, f.report.div_by_zero, f.report.invalid) == (6, 2, 1, 1, 2)
    message = (r"numfmt\.div\(binary16\) set div_by_zero \(2 of 4 elements\); first: element 2 "
               r"\(index \(1, 0\)\), x = inf")
    with pytest.raises(nf.FlagError, match=message), nf.flags(raise_on="div_by_zero"):
        nf.div([[1.0, 1.0], [3.0, 1.0]], [[3.0, 1.0], [0.0, 0.0]], "binary16")


def test_report_returns_the_plain_result_and_refuses_formats_beyond_float64():
    a, b = np.linspace(-3, 3, 50), np.linspace(0.5, 2, 50)
    for op in ("add", "div"):
        for fmt in ("bfloat16", "posit16"):
            # posits in float32: the kernels test_posit_arith compiles (test time)
            a_, b_ = (nf.round(v, fmt).astype(np.float32 if fmt == "posit16" else np.float64) for v in (a, b))
            y, _ = nf.__dict__[op](a_, b_, fmt, report=True)
            np.testing.assert_array_equal(y, nf.__dict__[op](a_, b_, fmt))
    with pytest.raises(NotImplementedError, match=r"report=True for add in binary64: .* 54 fraction bits"):
        nf.add(1.0, 1.0, "binary64", report=True)
    with pytest.raises(NotImplementedError, match=r"sr_bits=32 \(at most 27 here\)"):
        nf.add(1.0, 1.0, "binary32", "stochastic", seed=1, report=True)
    with pytest.raises(NotImplementedError, match=r"mul in e11m5: .* beyond float64's"):
        nf.mul(1.0, 1.0, nf.FloatFormat(11, 5), report=True)
    with pytest.raises(NotImplementedError), nf.flags():      # inside flags too: every call counts
        nf.add(1.0, 1.0, "binary64")
    tiny = nf.FloatFormat(1, 1, bias=3, signed=False, subnormals=False, zero=False)    # values 0.125, 0.1875
    y, rep = nf.fma([0.125, 0.125], [0.1875, np.inf], [0.125, np.inf], tiny, report=True)   # operands above products
    assert y.tolist() == [0.125, np.inf] and (rep.inexact, rep.underflow) == (1, 0)
    fmt = nf.FloatFormat(8, 50)                                # the widest: a stand-in of 52 fraction bits
    assert nf.add(1.0, 2.0 ** -51, fmt, "toward_positive", report=True)[1].inexact == 1


@pytest.mark.slow
def test_stochastic_binary32_counts_with_the_widest_stand_in():
    x = np.array([3.0e38, 1.0, 2.0 ** -126, 1.5 * 2.0 ** -127], np.float32)
    y_ = np.array([4.0e37, 2.0 ** -30, -2.0 ** -150, 2.0 ** -140], np.float32)
    y, rep = nf.add(x, y_, "binary32", "stochastic", seed=3, sr_bits=27, report=True)
    rand = nf.random.random_bits(3, x.shape, 27)
    assert report_counts(rep) == op_reference("add", (x, y_), y, nf.format("binary32"), "stochastic", rand, 27)


# ----------------------------------------------------------------------------- the wider sweep
test_float_op_counts_equal_the_reference_wide = slow_twin(
    test_float_op_counts_equal_the_reference, settings(max_examples=300, deadline=None), st.data())


test_posit_op_counts_equal_the_reference_wide = slow_twin(
    test_posit_op_counts_equal_the_reference, settings(max_examples=200, deadline=None), st.data())


test_ieee_op_flags_equal_mpfr_wide = slow_twin(
    test_ieee_op_flags_equal_mpfr, settings(max_examples=200, deadline=None), st.data())


@pytest.mark.parametrize("name, op", [("binary16", "sqrt"), ("binary16", "div"), ("e5m2", "fma")])
def test_float32_operands_take_a_float64_stand_in(name, op):
    """float32 operands outside the fused kernels: the stand-in is their exact result rounded to
    odd at 53 bits (``op_report``'s ``floating.odd_stand_in64``), every mode, counts as the reference."""
    from numfmt.arithmetic.report import fused
    from numfmt.rounding import Rounding
    fmt = nf.format(name)
    assert stand_in_format(op, fmt, 4).man_bits + 1 < 53
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2 ** fmt.bits, (OPS[op], 300))
    bits[:, :8] = rng.integers(0, 2 ** fmt.bits, (OPS[op], 1))      # some equal operands (exact results)
    operands = [nf.decode(b.astype(np.uint16 if fmt.bits > 8 else np.uint8), fmt).astype(np.float32) for b in bits]
    for mode in ("toward_zero", "nearest_even", "stochastic"):
        rand = rng.integers(0, 16, 300) if mode == "stochastic" else None
        kwargs = dict(random_bits=rand, sr_bits=4) if mode == "stochastic" else {}
        if mode == "stochastic":    # (deterministic: the fused kernels, binary16 roots too since stop 66)
            assert fused(op, tuple(operands), fmt, Rounding[mode.upper()],
                         "ieee", None if rand is None else (0, 4, "add", rand), np.float32) is None
        y, rep = _call(op, operands, fmt, mode, **kwargs)
        assert report_counts(rep) == op_reference(op, operands, y, fmt, mode, rand, 4)


@pytest.mark.parametrize("name", ["bfloat16", "e8m10"])
def test_float32_operands_of_float32s_exponent_field_take_a_float32_stand_in(name):
    """bfloat16's (and e8m10's) operations in the directed modes: the stand-in is float32's
    (``floating.same_range_stand_in32``; fma's: float64's exact product and sum rounded to odd
    at 24 bits, ``_fma_wide_odd32``) where no result exceeds the largest value, else
    float64's (float32's largest stands in for every larger result, which does not overflow
    toward zero); report=True rounds and counts in one pass where a counting twin of the kernel
    exists (add, sub and div of precision at most 11, mul at most 8, sqrt at most 10: the
    capped stand-in overflows there, ``kernels.machine_arith._same_range_modes_step``), else
    where every stand-in is finite it counts them as a cast (``arithmetic.report.
    _counted_stand_ins``: not where a root of a negative is NaN); counts as the reference
    either way."""
    from numfmt.arithmetic import floating
    from numfmt.arithmetic.report import fused
    from numfmt.rounding import Rounding
    fmt = nf.format(name)
    rng = np.random.default_rng(6)
    codes = [nf.decode(rng.integers(0, 2 ** fmt.bits, 300).astype(np.uint32), fmt).astype(np.float32)
             for _ in range(2)]
    top, tiny = fmt.info.max, fmt.info.smallest_subnormal
    codes[0][:3], codes[1][:3] = top, (top, tiny, -top)        # results beyond the largest value, roots aside
    near = [nf.round(((1 + rng.random(300)) * rng.choice([-1.0, 1.0], 300) * 2.0 ** rng.integers(-64, 62, 300))
                     .astype(np.float32), fmt) for _ in range(2)]      # (products down to 2**-128: tiny too)
    for op in ("add", "sub", "mul", "div", "sqrt", "fma"):
        for sample, taken in ((near, True), (codes, False)):
            operands = [np.abs(sample[0])] if op == "sqrt" else [*sample, sample[0]] if op == "fma" else sample
            stand_in = floating.same_range_stand_in32(op, fmt, tuple(operands))
            if name == "e8m10" and op in ("mul", "sqrt"):   # (float32's product and root stand in for p <= 8, 10)
                assert stand_in is None
            else:
                assert (stand_in is not None) == (taken or op == "sqrt"), (op, taken)
            for mode in ("toward_zero", "toward_negative", "odd"):
                y, rep = _call(op, operands, fmt, mode)
                assert report_counts(rep) == op_reference(op, operands, y, fmt, mode)
                counted = fused(op, tuple(operands), fmt, Rounding[mode.upper()], "ieee", None, np.float32)
                twin = op in ("add", "sub", "div") or op in ("mul", "sqrt") and name == "bfloat16"
                # (the twin's count, the cast's count, or op_report)
                assert (counted is not None) == (twin or stand_in is not None), (op, mode)
    negative = [near[0]]            # (roots of negatives: invalid, a NaN stand-in)
    y, rep = _call("sqrt", negative, fmt, "toward_zero")
    assert rep.invalid and report_counts(rep) == op_reference("sqrt", negative, y, fmt, "toward_zero")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_operands_report_nothing(dtype):
    """Empty operands give an empty result and a report of n = 0, with report=True and inside
    numfmt.flags (the reference path: its NaN test reduces the stand-ins), fused or not."""
    empty = np.zeros(0, dtype)
    calls = [("div", "bfloat16", "nearest_even"), ("add", "e4m3", "toward_zero"), ("mul", "posit16", "nearest_even")]
    for op, name, mode in calls:
        y, rep = getattr(nf, op)(empty, empty, name, mode, report=True)
        assert y.shape == (0,) and rep.n == 0 and not any(rep.counts().values())
        with nf.flags() as f:
            getattr(nf, op)(empty, empty, name, mode)
        assert f.report.n == 0 and not any(f.report.counts().values())


@pytest.mark.parametrize("name", ["bfloat16", "e8m10", "e4m3", "binary16"])
def test_report_true_returns_the_plain_calls_results(name):
    """report=True changes only what is returned beside the result: its results are the plain
    call's bit for bit, in every deterministic mode, exact zeros' signs too (x + (-x) is -0
    toward_negative, +0 in the other modes; fma's x y + z likewise), whichever path counts
    them (a fused counting kernel, the counted cast of float32 stand-ins, or ``op_report``)."""
    fmt = nf.format(name)
    rng = np.random.default_rng(11)
    x = nf.round((rng.standard_normal(2000) * 4).astype(np.float32), fmt)
    y = nf.round((rng.standard_normal(2000) * 4).astype(np.float32), fmt)
    y[:500] = -x[:500]                      # exact zeros of sums
    x[500:510], y[500:510] = -0.0, 0.0      # signed zeros
    x[510:520], y[510:520] = -0.0, -0.0
    ones = np.ones_like(x)
    calls = {"add": (x, y), "sub": (x, -y), "mul": (x, y), "div": (x, np.where(y == 0, ones, y)),
             "sqrt": (np.abs(x),), "fma": (x, ones, y)}
    for op, operands in calls.items():
        for mode in ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"):
            plain = getattr(nf, op)(*operands, fmt, rounding=mode)
            counted, _ = getattr(nf, op)(*operands, fmt, rounding=mode, report=True)
            assert np.array_equal(plain.view(np.uint32), counted.view(np.uint32)), (op, mode)
