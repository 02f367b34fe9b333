"""report=True of numfmt.sum / dot / matmul: the counts of every rounding a reduction performs,
against a plain reference (exact Fractions and Python integers, the additions in the given
order), and the overflows of integer accumulators."""
from __future__ import annotations

import importlib.util
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt import parallel
from numfmt.report import FLAGS
from numfmt.testing import formats

# the casts' reference (tests/test_report.py; the suite imports test files by path, not by name)
_spec = importlib.util.spec_from_file_location("_cast_reference", Path(__file__).with_name("test_report.py"))
_cast_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cast_reference)
counts, reference_flags, unbounded = _cast_reference.counts, _cast_reference.reference_flags, _cast_reference.unbounded

FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DETERMINISTIC = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"]
K, RULE = 6, "add"              # the stochastic cases' sr_bits and sr_rule


def report_counts(rep) -> dict:
    return {name: getattr(rep, name) for name in FLAGS}


# ----------------------------------------------------------------------------- the reference
def event_flags(operands: list, x, y: float, acc, mode: str, rnd: int) -> set:
    """The flags of one rounding: ``operands`` the floats it combines (for NaN in), x the exact
    result (a Fraction, or the IEEE special of Inf / NaN operands), y what it gave."""
    if any(math.isnan(v) for v in operands):
        return {"nan_in"}
    if isinstance(x, float) and math.isnan(x):
        return {"invalid"}
    overflowed = tiny = False
    if isinstance(x, Fraction) and x != 0:
        r = unbounded(abs(x), acc, mode, x < 0, rnd, K, RULE)
        overflowed, tiny = r > Fraction(acc.info.max), r < Fraction(acc.info.smallest_normal)
    minv = acc.info.smallest_normal if not acc.zero else -1.0
    return reference_flags(x, y, overflowed, tiny, acc.info.max, minv, acc.info.smallest_normal)


def exact_value(v: float):
    return Fraction(v) if math.isfinite(v) else v


def ieee_sum(x, t):
    """x + t exactly (Fractions), or IEEE's result where one is Inf or NaN."""
    if isinstance(x, Fraction) and isinstance(t, Fraction):
        return x + t
    return float(x) + float(t)


def sequential_reference(terms: list, prefix, acc, mode: str, rand) -> tuple[dict, int]:
    """The counts of the sequential order: s = round(t0), s = round(s + t_i); ``prefix(m)``
    the result after m terms (the reduction of the first m), rand[j] rounding j's random number."""
    sets, s = [], None
    for j, t in enumerate(terms):
        y = float(prefix(j + 1))
        x = exact_value(t) if j == 0 else ieee_sum(exact_value(s), exact_value(t))
        sets.append(event_flags([t] if j == 0 else [s, t], x, y, acc, mode, int(rand[j]) if rand is not None else 0))
        s = y
    return counts(sets), len(terms)


# ----------------------------------------------------------------------------- float accumulators
def _case(data, stochastic: bool):
    """(fmt, acc, a, b, mode, overflow, kwargs): values of a narrow fmt whose products are
    exact in float64, an accumulator of any width."""
    acc = data.draw(formats(max_bits=16, specials=["ieee", "fn"], signed=True).filter(lambda f: f.zero))
    fmt = data.draw(st.sampled_from(["e4m3", "e5m2", "e2m1", "bfloat16"]))
    n = data.draw(st.integers(1, 8))
    values = nf.format(fmt).values()
    values = values[np.isfinite(values)]
    pick = st.lists(st.sampled_from(values.tolist()), min_size=n, max_size=n)
    a, b = np.array(data.draw(pick)), np.array(data.draw(pick))
    mode = "stochastic" if stochastic else data.draw(st.sampled_from(DETERMINISTIC))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    kwargs = dict(accumulator=acc, rounding=mode, overflow=overflow)
    rand = None
    if stochastic:
        rand = np.array(data.draw(st.lists(st.integers(0, 2 ** K - 1), min_size=8 * n, max_size=8 * n)))
        kwargs.update(random_bits=rand, sr_bits=K, sr_rule=RULE)
    return fmt, acc, a, b, mode, kwargs, rand


def _check_dot(fmt, acc, a, b, mode, kwargs, rand):
    result, rep = nf.dot(a, b, fmt, report=True, **kwargs)
    plain = nf.dot(a, b, fmt, **kwargs)
    result, plain = np.asarray(result), np.asarray(plain)
    assert result.dtype == plain.dtype and result.tobytes() == plain.tobytes()      # report=True: the same bits

    def prefix(m):
        more = dict(kwargs, random_bits=rand[:8 * m]) if rand is not None else kwargs
        return nf.dot(a[:m], b[:m], fmt, **more)

    terms = [float(Fraction(x) * Fraction(y)) for x, y in zip(a, b)]       # exact in float64 here
    expected, n = sequential_reference(terms, prefix, acc, mode, rand)
    assert (rep.n, report_counts(rep)) == (n, expected)


@FEW
@given(st.data())
def test_sequential_dot_counts_equal_the_reference(data):
    """Every addition of the sequential order (and the rounding of the first term) is one event,
    counted as a cast of its exact value would be (deterministic modes: the float64 route)."""
    _check_dot(*_case(data, stochastic=False))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sequential_counts_with_stochastic_rounding_equal_the_reference(data):
    """Stochastic rounding (the exact core): overflow and tininess with rounding j's own random number."""
    _check_dot(*_case(data, stochastic=True))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sequential_dot_counts_equal_the_reference_wider_sweep(data):
    _check_dot(*_case(data, stochastic=False))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_exact_order_counts_one_rounding_of_the_exact_sum(data):
    fmt, acc, a, b, mode, kwargs, rand = _case(data, stochastic=False)
    result, rep = nf.dot(a, b, fmt, order="exact", report=True, **kwargs)
    exact = sum((Fraction(x) * Fraction(y) for x, y in zip(a, b)), Fraction(0))
    assert rep.n == 1
    assert report_counts(rep) == counts([event_flags([], exact, float(result), acc, mode, 0)])


@pytest.mark.slow
def test_binary64_accumulator_counts_the_exact_core():
    """binary64 sums go through the exact core: inexact where the sum needs more than 53 bits,
    overflow beyond float64's largest value."""
    big = float(np.finfo(np.float64).max)
    x = np.array([1.0, 2.0 ** -60, 2.0 ** -60, big, big, -big])
    result, rep = nf.sum(x, "binary64", report=True)
    assert float(result) == math.inf
    assert (rep.n, rep.inexact, rep.overflow, rep.nan_in, rep.invalid) == (6, 4, 1, 0, 0)


@pytest.mark.slow
def test_counts_name_the_roundings_of_every_order():
    """n: the roundings each order performs (sequential n, pairwise as numpy's tree, blocked
    n + blocks - 1, kahan 4 per term, exact 1, fused one per group, product roundings, promotions)."""
    x = np.ones(20)
    orders = {"sequential": ({}, 20), "pairwise": ({}, 8 + 8 + 7 + 4 + 1), "blocked": (dict(block=8), 20 + 2),
              "kahan": ({}, 1 + 4 * 19), "exact": ({}, 1), "fused": (dict(fused_terms=8, alignment_bits=12), 3)}
    for order, (extra, n) in orders.items():
        _, rep = nf.dot(x, x, "e4m3", accumulator="bfloat16", order=order, report=True, **extra)
        assert (order, rep.n, rep.inexact) == (order, n, 0)
    _, rep = nf.dot(x * 448, x * 448, "e4m3", product="e4m3", accumulator="binary32", report=True)
    assert (rep.n, rep.overflow, rep.invalid) == (40, 20, 20)      # e4m3's overflow is NaN
    _, rep = nf.sum(x * 2 ** 127, "bfloat16", promote_every=8, report=True)     # 2**128 overflows
    assert (rep.n, rep.overflow, rep.inexact) == (20 + 3, 3, 3)


# ----------------------------------------------------------------------------- integer accumulators
def integer_reference(terms: list, order: str, block: int, lo: int, hi: int, wrap: bool) -> tuple:
    """(result, n, overflows, zeros) of the integer accumulation, addition by addition."""
    stats = [0, 0, 0]

    def fit(v):
        stats[0] += 1
        if lo <= v <= hi:
            return v
        v = (v - lo) % (hi - lo + 1) + lo if wrap else min(max(v, lo), hi)
        stats[1] += 1
        stats[2] += v == 0
        return v

    def sequential(ts):
        s = 0
        for t in ts:
            s = fit(s + t)
        return s

    if order == "exact":
        s = fit(sum(terms))
    elif order == "blocked":
        s = 0
        for b0 in range(0, len(terms), block):
            s = fit(s + sequential(terms[b0:b0 + block]))
    else:
        s = sequential(terms)
    return (s, *stats)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_integer_accumulator_counts_equal_the_reference(data):
    bits = data.draw(st.integers(4, 12))
    acc = data.draw(st.sampled_from([f"int{bits}", f"uint{bits}"]))
    rows = data.draw(st.integers(1, 3))
    n = data.draw(st.integers(0, 10))
    a = np.array(data.draw(st.lists(st.integers(-128, 127), min_size=rows * n, max_size=rows * n)),
                 np.int64).reshape(rows, n)
    b = np.array(data.draw(st.lists(st.integers(-128, 127), min_size=n, max_size=n)), np.int64)
    order = data.draw(st.sampled_from(["sequential", "blocked", "exact"]))
    block = data.draw(st.integers(1, 4)) if order == "blocked" else None
    overflow = data.draw(st.sampled_from(["wrap", "saturate"]))
    result, rep = nf.dot(a, b, "int8", accumulator=acc, order=order, block=block, overflow=overflow, report=True)
    lo, hi = nf.format(acc).min_int, nf.format(acc).max_int
    ref = [integer_reference([int(x) * int(y) for x, y in zip(row, b)], order, block or 1, lo, hi,
                             overflow == "wrap") for row in a]
    assert np.asarray(result).tolist() == [r[0] for r in ref]
    n_fits, overflows, zeros = (sum(r[k] for r in ref) for k in (1, 2, 3))
    expected = dict.fromkeys(FLAGS, 0)
    expected.update(inexact=overflows, overflow=overflows, flushed_to_zero=zeros,
                    saturated=overflows if overflow == "saturate" else 0)
    assert (rep.n, report_counts(rep)) == (n_fits, expected)
    if overflows:
        assert rep.first["overflow"] == next(i for i, r in enumerate(ref) if r[2])


def test_integer_accumulator_wraps_and_saturates():
    x = np.array([100, 100, -100, 100, -100, -100], np.int8)
    result, rep = nf.sum(x, "int8", overflow="wrap", report=True)
    assert (int(result), rep.n, rep.overflow, rep.saturated) == (0, 6, 4, 0)     # 200 and -156, twice
    result, rep = nf.sum(x, "int8", overflow="saturate", report=True)
    assert (int(result), rep.n, rep.overflow, rep.saturated) == (-73, 6, 1, 1)   # 200 clamps to 127
    _, rep = nf.sum(np.array([-128, -128], np.int8), "int8", overflow="wrap", report=True)
    assert (rep.overflow, rep.flushed_to_zero) == (1, 1)                        # -256 wraps to 0


# ----------------------------------------------------------------------------- flags(), threads
def test_flags_accumulate_reductions_and_raise_naming_the_output():
    a = np.full((3, 4), 448.0)
    with nf.flags() as f:
        nf.matmul(a, a.T, "e4m3", accumulator="bfloat16")
        nf.sum(np.array([100, 100], np.int8), "int8", overflow="wrap")
    assert (f.report.n, f.report.overflow, f.report.unit) == (9 * 4 + 2, 1, "roundings")
    assert str(f.report).startswith(f"CastReport of {9 * 4 + 2} roundings\n")
    message = (r"numfmt\.matmul\(accumulator=e4m3\) set invalid \(2 of 8 roundings\); first: a rounding of output "
               r"element 2 \(index \(1, 0\)\), result = nan")
    with pytest.raises(nf.FlagError, match=message), nf.flags(raise_on=("invalid",)):
        nf.matmul(np.array([[1.0, 1.0], [448.0, 448.0]]), np.ones((2, 2)), "e4m3")


@FEW
@given(st.data())
def test_first_indices_name_the_first_output_whose_roundings_set_a_count(data):
    """With several outputs, first[name] is the first output element among whose roundings one
    set the count: the rows summed one at a time say which rows do (rows whose additions are
    all exact before one that is not, an inexact count that is not the first event)."""
    fmt, acc, _, _, mode, kwargs, _ = _case(data, stochastic=False)
    values = nf.format(fmt).values()
    values = values[np.isfinite(values)].tolist()
    rows, n = data.draw(st.integers(2, 5)), data.draw(st.integers(1, 6))
    pick = st.lists(st.sampled_from(values), min_size=n, max_size=n)
    x = np.array([data.draw(pick) for _ in range(rows)])
    alone = [nf.sum(row, fmt, report=True, **kwargs)[1] for row in x]
    expected = {name: next(i for i, rep in enumerate(alone) if getattr(rep, name))
                for name in FLAGS if any(getattr(rep, name) for rep in alone)}
    assert nf.sum(x, fmt, axis=1, report=True, **kwargs)[1].first == expected


def test_first_inexact_is_the_first_output_with_an_inexact_addition():
    """Row 0's additions are exact, row 1's 1 + 1/16 is not (e4m3 keeps 3 bits)."""
    x = np.array([[1.0, 1.0, 1.0], [1.0, 0.0625, 0.0625]])
    rep = nf.sum(x, "e4m3", accumulator="e4m3", axis=1, report=True)[1]
    assert rep.inexact == 2 and rep.first == {"inexact": 1}


def test_counts_do_not_depend_on_the_thread_count(monkeypatch):
    rng = np.random.default_rng(1)
    a = nf.round(rng.standard_normal((64, 96)) * 80, "e4m3", overflow="saturate")
    b = nf.round(rng.standard_normal((96, 48)) * 80, "e4m3", overflow="saturate")
    monkeypatch.setattr(parallel, "CPUS", 2)
    old = nf.get_num_threads()
    try:
        reports = []
        for threads in (1, 2):
            nf.set_num_threads(threads)
            reports.append(nf.matmul(a, b, "e4m3", accumulator="e5m2", report=True)[1])
    finally:
        nf.set_num_threads(old)
    one, two = reports
    assert one == two and one.first == two.first
    assert one.n == 64 * 48 * 96 and one.overflow > 0 and one.inexact > 0
