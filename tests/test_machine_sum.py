"""The machine's own float32 / float64 loop (``numfmt.machine_sum``) gives the emulating
kernels' bits for sequential binary32 / binary64 accumulation under round to nearest even, and
its float64 arithmetic those of the fused adder into binary32 (nearest even, toward zero)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt import accumulate, machine_sum
from numfmt.testing import values
from sampling import slow_twin  # noqa: E402

FORMATS = ("e4m3", "e5m2", "bfloat16", "binary16", "binary32", "e2m1")


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls that the machine loop answered."""
    answered = []
    original = machine_sum.reduce

    def counting(*args, **kwargs):
        out = original(*args, **kwargs)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(machine_sum, "reduce", counting)
    return answered


def emulated(function, *args, **kwargs):
    """function's result from the emulating kernels alone."""
    originals = machine_sum.reduce, machine_sum.reduce_fused
    machine_sum.reduce = machine_sum.reduce_fused = lambda *a: None
    try:
        return function(*args, **kwargs)
    finally:
        machine_sum.reduce, machine_sum.reduce_fused = originals


def thread_counts():
    """Yields 1 and 2 with numfmt running on that many threads, small calls split too."""
    old = nf.get_num_threads()
    try:
        for threads in (1, 2):
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(nf.parallel, "CPUS", 2)
                mp.setattr(nf.parallel, "MIN_WORK", 1)
                nf.set_num_threads(threads)
                yield threads
    finally:
        nf.set_num_threads(old)


def same_bits(x, y) -> None:
    x, y = np.asarray(x), np.asarray(y)
    assert x.dtype == y.dtype and x.shape == y.shape
    np.testing.assert_array_equal(x.reshape(-1).view(np.uint8), y.reshape(-1).view(np.uint8))


@st.composite
def matmul_cases(draw):
    fmt = draw(st.sampled_from(FORMATS))
    m, n, p = (draw(st.integers(0 if i == 1 else 1, 6)) for i in range(3))
    elements = values(nf.format(fmt))
    a = np.array(draw(st.lists(elements, min_size=m * n, max_size=m * n)), np.float64).reshape(m, n)
    b = np.array(draw(st.lists(elements, min_size=n * p, max_size=n * p)), np.float64).reshape(n, p)
    dtype = draw(st.sampled_from((np.float32, np.float64)))
    return fmt, a.astype(dtype), b.astype(dtype), draw(st.sampled_from(("binary32", "binary64")))


@settings(max_examples=5, deadline=None)      # (each example compiles; the slow twin below draws 100)
@given(matmul_cases(), st.sampled_from(("ieee", "saturate")))
def test_matmul_and_sum_equal_the_emulating_kernels(case, overflow):
    """Random values of each format (subnormals, both zeros, the largest values; binary32's
    sums overflow and its subnormal sums are exact), every shape down to k = 0; with
    report=True the same counts (the machine's count only inexact additions, and step aside
    where a sum could be subnormal or a result is not finite)."""
    fmt, a, b, acc = case
    options = dict(accumulator=acc, overflow=overflow)
    for reduction, args in ((nf.matmul, (a, b, fmt)), (nf.sum, (a, fmt))):
        axis = {} if reduction is nf.matmul else {"axis": 1}
        same_bits(reduction(*args, **axis, **options), emulated(reduction, *args, **axis, **options))
        (got, got_report), (want, want_report) = (f(*args, **axis, **options, report=True)
                                                  for f in (reduction, lambda *x, **k: emulated(reduction, *x, **k)))
        same_bits(got, want)
        assert got_report == want_report


def test_the_machine_answers_and_equals_numpys_float32_loop(calls):
    """512 x 64 x 96 e4m3 products into binary32: numfmt's answer is the machine loop's, bit
    for bit numpy's own float32 k-loop (an independent sequential binary32 sum)."""
    rng = np.random.default_rng(0)
    a = nf.round(rng.standard_normal((2, 64, 96)).astype(np.float32) * 30, "e4m3")
    b = nf.round(rng.standard_normal((96, 48)).astype(np.float32), "e4m3")
    got = nf.matmul(a, b, "e4m3", accumulator="binary32")
    ref = a[..., :, :1] * b[:1, :]
    for k in range(1, 96):
        ref = ref + a[..., :, k:k + 1] * b[k:k + 1, :]
    same_bits(got, ref)
    assert calls == [True]


@pytest.mark.parametrize("shapes", [((3, 5, 7), (3, 7, 6)), ((3, 5, 9), (9, 4)), ((5, 4), (2, 4, 3)),
                                    ((2, 1, 13), (2, 13, 17)), ((7, 1), (1, 5))])
def test_paired_rows_of_stacks_equal_the_emulating_kernels(shapes, calls):
    """``kernels.machine_sum.sequential_products`` takes two output rows at a time, four terms
    at a time: stacks whose matrices have an odd number of rows (a pair would straddle two
    matrices of b), a broadcast operand, term counts that leave a remainder, on 1 and 2
    threads (ranges that start at an odd row): the emulating kernels' bits."""
    rng = np.random.default_rng(6)
    a, b = (nf.round(rng.standard_normal(s) * 8, "e4m3").astype(np.float32) for s in shapes)
    expected = emulated(nf.matmul, a, b, "e4m3", accumulator="binary32")
    for _ in thread_counts():
        same_bits(nf.matmul(a, b, "e4m3", accumulator="binary32"), expected)
    assert calls == [True, True]


def test_the_emulating_kernels_take_what_the_machine_cannot(calls):
    """Inf inputs, an overflow under "saturate", another order or mode: the emulating kernels
    answer."""
    nf.matmul([[np.inf, 1.0]], [[1.0], [1.0]], "bfloat16", accumulator="binary32")
    big = float(np.finfo(np.float32).max)
    assert float(nf.sum([big, big], "binary32", accumulator="binary32", overflow="saturate")) == big
    assert float(nf.sum([big, big], "binary32", accumulator="binary32")) == np.inf
    assert calls == [False, False, True]
    nf.sum([1.0, 2.0], "e4m3", accumulator="binary32", order="pairwise")
    nf.sum([1.0, 2.0], "e4m3", accumulator="binary32", rounding="toward_zero")
    assert len(calls) == 3


@pytest.mark.parametrize("fmt", ["binary32", "bfloat16"])
def test_products_float32_cannot_hold_add_by_fused_multiply_adds(fmt, calls):
    """Products that float32 may not hold (binary32's 48-bit ones; bfloat16's below float32's
    normal range) go to the machine's fused multiply-add, which rounds each exact sum once:
    the emulating kernels' bits, for matmul and dot, on operands spread over 2**-80 .. 2**60
    (subnormal products, overflows to Inf under "ieee", cancellations), both zeros, k from 0
    to 9 (a remainder of the four-term steps), 1 and 2 threads. A product rounded before its
    addition (no fusion) gives other bits. report=True counts each inexact addition in the
    loop (TwoSum in float64) where no sum can be subnormal: operands over 2**-20 .. 2**20, the
    emulating kernels' report."""
    rng = np.random.default_rng(3)
    for k in (0, 1, 5, 9):
        a = nf.round(rng.standard_normal((7, k)) * 2.0 ** rng.integers(-80, 60, (7, k)), fmt).astype(np.float32)
        b = nf.round(rng.standard_normal((k, 6)) * 2.0 ** rng.integers(-80, 60, (k, 6)), fmt).astype(np.float32)
        if k:
            a[0, 0], b[0, 1] = -0.0, 0.0
        for _ in thread_counts():
            same_bits(nf.matmul(a, b, fmt, accumulator="binary32"),
                      emulated(nf.matmul, a, b, fmt, accumulator="binary32"))
            same_bits(nf.dot(a[1], b[:, 2], fmt, accumulator="binary32"),
                      emulated(nf.dot, a[1], b[:, 2], fmt, accumulator="binary32"))
    assert calls and all(calls)
    inexact = 0
    for k in (1, 4, 9):
        a = nf.round(rng.standard_normal((5, k)) * 2.0 ** rng.integers(-20, 20, (5, k)), fmt).astype(np.float32)
        b = nf.round(rng.standard_normal((k, 6)) * 2.0 ** rng.integers(-20, 20, (k, 6)), fmt).astype(np.float32)
        a[1], b[:, 2] = 1.0, 0.5            # (an output whose additions are all exact)
        for _ in thread_counts():
            got, rep = nf.matmul(a, b, fmt, accumulator="binary32", report=True)
            want, want_rep = emulated(nf.matmul, a, b, fmt, accumulator="binary32", report=True)
            same_bits(got, want)
            assert rep == want_rep and rep.first == want_rep.first
            inexact += rep.inexact
    assert calls and all(calls) and inexact > 0
    x = rng.standard_normal((64, 64)).astype(np.float32)
    rounded_first = x[:, :1] * x[:1, :]
    for j in range(1, 64):
        rounded_first = rounded_first + x[:, j:j + 1] * x[j:j + 1, :]
    assert not np.array_equal(nf.matmul(x, x, "binary32"), rounded_first)


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
def test_the_inputs_check_gives_numpys_magnitudes(dtype):
    """The inputs' check (``accumulate._check_values``: ``kernels.accumulate.count_not_values``,
    float32's ``count_not_values32``, per range, on 1 and 2 threads, ranges that span two
    arrays) gives the magnitudes that decide whether the machine's loop serves: the smallest
    nonzero and the largest as numpy finds them, with subnormals, both zeros, all zeros, an Inf
    or a NaN anywhere (the largest: Inf), each array's own."""
    fmt = nf.format("binary32" if dtype == np.float32 else "binary64")
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(1 << 18) * np.exp2(rng.integers(-160, 120, 1 << 18))).astype(dtype)
    x[rng.integers(0, x.size, 1000)] = 0.0
    x[7] = -np.finfo(dtype).smallest_subnormal * 3
    for _ in thread_counts():
        for special in (None, np.inf, -np.inf, np.nan):
            y = x.copy()
            if special is not None:
                y[rng.integers(0, y.size)] = special
            mag = np.abs(y.astype(np.float64))
            expected = (np.nanmin(mag[mag != 0]), np.inf if special is not None else mag.max())
            assert accumulate._check_values({"x": y}, fmt) == {"x": expected}
            small = x[: 1 << 10] * dtype(2.0 ** -20)
            both = accumulate._check_values({"b": small, "a": y}, fmt)
            assert both == {"b": (np.abs(small[small != 0]).astype(np.float64).min(), np.abs(small).max()),
                            "a": expected}
        assert accumulate._check_values({"x": np.zeros(5, dtype) * -1}, fmt) == {"x": (np.inf, 0.0)}
        assert accumulate._check_values({"x": np.zeros(0, dtype), "y": np.ones(3, dtype)}, fmt) == \
            {"x": (np.inf, 0.0), "y": (1.0, 1.0)}


def test_flush_to_zero_threads_fall_back():
    """A thread that flushes subnormals (seen as tiny + tiny == 0) makes the kernel refuse."""
    out = np.empty(1, np.float32)
    a = np.ones((1, 1, 2), np.float32)
    assert not machine_sum.kern.sequential_terms(out, 0, a, np.float32(0), None)
    assert machine_sum.kern.sequential_terms(out, 0, a, np.float32(1e-45), None) and out[0] == 2


def test_counted_reductions_count_in_the_machine_loop(calls):
    """report=True: the machine loop counts its inexact additions where no other flag can be
    set (no sum can be subnormal, every result finite), on 1 and 2 threads (the first output
    element across ranges of rows); it steps aside where a sum could be subnormal."""
    rng = np.random.default_rng(3)
    a = nf.round(rng.standard_normal((9, 30)).astype(np.float32) * 40, "e4m3")
    for _ in thread_counts():
        for reduction, args in ((nf.matmul, (a, a.T)), (nf.sum, (a,))):
            axis = {} if reduction is nf.matmul else {"axis": 1}
            got, rep = reduction(*args, "e4m3", accumulator="binary32", report=True, **axis)
            want, want_rep = emulated(reduction, *args, "e4m3", accumulator="binary32", report=True, **axis)
            same_bits(got, want)
            assert rep == want_rep and (rep.inexact > 0 or reduction is nf.sum)   # (e4m3 sums: exact)
            same_bits(got, reduction(*args, "e4m3", accumulator="binary32", **axis))
    assert calls == [True] * 8           # (counted and plain, two reductions, two thread counts)
    calls.clear()
    x = np.float32([2.0 ** -100 * 3, 2.0 ** -125, -2.0 ** -125])      # 2**-125 - 2**-125 + ...: a sum could be
    plain = nf.sum(x, "binary32")                                      # subnormal (quantum 2**-148)
    counted, rep = nf.sum(x, "binary32", report=True)
    same_bits(counted, plain)
    assert calls == [True, False] and rep == emulated(nf.sum, x, "binary32", report=True)[1]


@pytest.mark.parametrize("rows", [1, 3, 4, 9])
def test_counted_sums_of_rows_taken_together(calls, rows):
    """``kernels.machine_sum.sequential_terms`` adds ROWS sums at a time (a last group of fewer
    repeats its first row) and counts each one's inexact additions from its partial sums by
    stretches of STRETCH terms: results, counts and the first output element with one equal the
    emulating kernels', on 1 and 2 threads, for sums of 1, 2 and 2,100 terms (a stretch's
    first addition included) whose first rows add exactly (small integers), the others not."""
    rng = np.random.default_rng(rows)
    for n in (1, 2, 2100):
        x = rng.standard_normal((rows, n)).astype(np.float32)
        x[:rows // 2] = np.round(x[:rows // 2] * 8)
        x[-1, 1025 % n] = 2.0 ** 40       # (with n = 2100: a stretch's first term)
        for _ in thread_counts():
            got, rep = nf.sum(x, "binary32", axis=1, report=True)
            want, want_rep = emulated(nf.sum, x, "binary32", axis=1, report=True)
            same_bits(got, want)
            assert rep == want_rep and rep.first == want_rep.first and (rep.inexact > 0 or n < 3)
    assert all(calls) and len(calls) == 6


def test_counted_matmul_recounts_the_sums_that_reach_the_exact_bound(calls):
    """e4m3 operands whose smallest magnitude is 2**-9 (quantum 2**-9: products are multiples
    of 2**-18): every float32 sum below 2**24 * 2**-18 = 64 is exact, so the machine loop counts
    only the sums whose partial sums reach 64, one by one where few do (40 columns), both rows
    again where many do (one column). 7.5 * 8 + 4 + 2**-18 = 64 + 2**-18 needs 25 bits: the one
    inexact addition, from a partial sum at the bound (a bound twice as large misses it);
    -64 + 2**-18 is exact. No product reaches the bound (else every addition is counted)."""
    tiny = 2.0 ** -9
    a = np.float32([[7.5, 4, tiny], [1, 1, tiny], [-7.5, -4, tiny]])
    b = np.full((3, 40), 0.5, np.float32)
    b[:, 0], b[2] = (8, 1, tiny), tiny
    assert machine_sum._tracked_bound(np.float32, nf.format("e4m3"), [(tiny, 7.5), (tiny, 8.0)]) == 64
    for b_cols in (b, b[:, :1]):
        calls.clear()
        got, rep = nf.matmul(a, b_cols, "e4m3", accumulator="binary32", report=True)
        assert calls == [True] and rep == emulated(nf.matmul, a, b_cols, "e4m3", accumulator="binary32",
                                                   report=True)[1]
        assert (rep.inexact, rep.first["inexact"]) == (1, 0)


def _largest_partial_sums(a, b):
    """The largest magnitude of the partial sums of each output element of a @ b (sequential,
    exact in float64 for these operands), batch dimensions broadcast."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    s = a[..., :, :1] * b[..., :1, :]
    peak = np.abs(s)
    for k in range(1, a.shape[-1]):
        s = s + a[..., :, k:k + 1] * b[..., k:k + 1, :]
        peak = np.maximum(peak, np.abs(s))
    return peak


def test_counted_matmul_sums_again_the_sums_that_overflow_scaled(calls):
    """The counted loop sums the products scaled so that a sum overflows where its partial
    sums reach the exact bound (64 for e4m3 operands whose smallest magnitude is 2**-9), and
    sums those again: a few per pair of rows (four chains at a time, groups of fewer too) in
    two matrices of a stack (the scaled and transposed copies of each), all of them in a third
    (both rows again, then every addition counted at once), on 1 and 2 threads: the emulating
    kernels' bits and counts; the first inexact addition lies in a sum that reached 64."""
    rng = np.random.default_rng(8)
    a = nf.round(rng.standard_normal((3, 11, 96)), "e4m3", overflow="saturate").astype(np.float32)
    b = nf.round(rng.standard_normal((3, 96, 80)) * 2.8, "e4m3", overflow="saturate").astype(np.float32)
    a[2], b[2] = abs(a[2]), abs(b[2])               # the third matrices: every sum reaches 64
    a[:, :, 7], b[:, 7] = 2.0 ** -9, 2.0 ** -9      # (every sum an odd multiple of the quantum 2**-18)
    peak = _largest_partial_sums(a, b)
    reached = (peak[:, :10] >= 64).reshape(3, 5, 2 * 80).sum(axis=2)     # per pair of rows
    assert (reached[:2] > 0).all() and (reached[:2] < 10).all() and (peak[2] >= 64).all()
    assert abs(a).max() * abs(b).max() < 64         # (no product reaches it: the loop is scaled)
    for _ in thread_counts():
        calls.clear()
        got, rep = nf.matmul(a, b, "e4m3", accumulator="binary32", report=True)
        want, want_rep = emulated(nf.matmul, a, b, "e4m3", accumulator="binary32", report=True)
        assert calls == [True]
        same_bits(got, want)
        assert rep == want_rep and rep.inexact > 0
        same_bits(got, nf.matmul(a, b, "e4m3", accumulator="binary32"))
    assert peak.reshape(-1)[want_rep.first["inexact"]] >= 64


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(("e4m3", "e5m2", "binary16", "e3m4")), st.integers(1, 7), st.integers(1, 80),
       st.integers(1, 20), st.booleans(), st.floats(0.1, 3.0), st.integers(0, 2 ** 32 - 1))
def test_counted_matmul_near_the_exact_bound(fmt, m, n, p, stacked, spread, seed):
    """Random operands whose sums reach the exact bound in some part (spread: typical sum over
    bound), each sum's first product the square of the format's smallest magnitude (so that a
    sum that reaches the bound rounds), stacked or not: the machine's counts equal the
    emulating kernels'."""
    rng = np.random.default_rng(seed)
    tiny = float(nf.format(fmt).info.smallest_subnormal)
    bound = machine_sum._exact_below(np.float32, nf.format(fmt), [(tiny, 1.0)] * 2)
    scale = np.sqrt(bound * spread / np.sqrt(n))
    shape = (2, m, n) if stacked else (m, n)
    a = nf.round(rng.standard_normal(shape) * scale, fmt, overflow="saturate").astype(np.float32)
    b = nf.round(rng.standard_normal(shape[:-2] + (n, p)) * scale, fmt, overflow="saturate").astype(np.float32)
    a[..., :, 0] = b[..., 0, :] = tiny              # (every sum an odd multiple of the quantum)
    got, rep = nf.matmul(a, b, fmt, accumulator="binary32", report=True)
    want, want_rep = emulated(nf.matmul, a, b, fmt, accumulator="binary32", report=True)
    same_bits(got, want)
    assert rep == want_rep


def test_overflow_scales_split_the_scale_over_both_operands():
    """c_a * c_b * bound = 2**128 for float32, neither factor below 1 nor scaling its operand's
    largest magnitude to 2**128; none where that is impossible (or bound is 0), ones for bound
    Inf."""
    scales = machine_sum._overflow_scales(np.float32, 64.0, [(2.0 ** -9, 448.0), (2.0 ** -9, 448.0)])
    assert scales == (2.0 ** 119, 2.0 ** 3, 2.0 ** -119, 2.0 ** -3)
    assert all(isinstance(c, np.float32) for c in scales)
    scales = machine_sum._overflow_scales(np.float32, 2.0 ** 100, [(1.0, 0.5), (1.0, 4.0)])
    assert scales == (2.0 ** 28, 1, 2.0 ** -28, 1)
    assert machine_sum._overflow_scales(np.float64, 2.0 ** -10, [(1.0, 2.0 ** 1000), (1.0, 2.0 ** 1000)]) == (0,) * 4
    assert machine_sum._overflow_scales(np.float32, 0.0, [(1.0, 1.0)] * 2) == (0,) * 4
    assert machine_sum._overflow_scales(np.float32, np.inf, [(np.inf, 0.0)] * 2) == (1,) * 4


def test_exact_below_from_the_smallest_magnitudes():
    """2**p * q: binary16's subnormal quantum 2**-24 by float32's 24 bits gives 1 (1 + 2**-24 is
    the first inexact sum); e4m3's subnormals share the quantum of its smallest normal binade
    (2**-9); operands of zeros give no bound."""
    b16, e4m3 = nf.format("binary16"), nf.format("e4m3")
    assert machine_sum._exact_below(np.float32, b16, [(2.0 ** -24, 1.0)]) == 1.0
    assert machine_sum._exact_below(np.float32, b16, [(1.0, 2.0)]) == 2.0 ** 14
    assert machine_sum._exact_below(np.float64, e4m3, [(2.0 ** -9, 1.0), (0.5, 1.0)]) == 2.0 ** (53 - 9 - 4)
    assert machine_sum._exact_below(np.float32, e4m3, [(np.inf, 0.0), (1.0, 1.0)]) == np.inf
    assert machine_sum._exact_below(np.float32, nf.format("binary32"), [(1e30, 1e30)] * 2) == 2.0 ** 127
    assert machine_sum._tracked_bound(np.float32, e4m3, [(2.0 ** -9, 8.0), (2.0 ** -9, 8.0)]) == 0   # 8 * 8 = 64


def test_no_subnormal_sums_from_the_smallest_magnitudes():
    """A sum of values of a format whose smallest nonzero magnitude lies in binade e is a
    multiple of 2**(e - man_bits): none can be subnormal in float32 where that is at least
    2**-126 (products: the sum of both operands' exponents)."""
    e4m3, b32 = nf.format("e4m3"), nf.format("binary32")
    assert machine_sum._no_subnormal_sums(np.float32, e4m3, [(2.0 ** -9, 448.0), (2.0 ** -9, 448.0)])
    assert machine_sum._no_subnormal_sums(np.float32, b32, [(2.0 ** -103, 1.0)])
    assert not machine_sum._no_subnormal_sums(np.float32, b32, [(2.0 ** -104 * 1.5, 1.0)])
    assert not machine_sum._no_subnormal_sums(np.float32, b32, [(1.0, 1.0), (2.0 ** -104, 1.0)])
    assert machine_sum._no_subnormal_sums(np.float32, b32, [(np.inf, 0.0), (2.0 ** -140, 1.0)])   # zeros
    assert machine_sum._no_subnormal_sums(np.float64, b32, [(2.0 ** -140, 1.0), (2.0 ** -140, 1.0)])


FUSED_FORMATS = ("e4m3", "e5m2", "bfloat16", "binary16", "e2m1", "binary32")


@settings(max_examples=80, deadline=None)
@given(matmul_cases(), st.sampled_from(FUSED_FORMATS), st.integers(1, 9), st.integers(0, 40),
       st.sampled_from((None, 1, 2, 5)), st.sampled_from(("nearest_even", "toward_zero")),
       st.sampled_from(("ieee", "saturate", "raise")))
def test_fused_matmul_equals_the_emulating_kernels(case, fmt, k, align, promote, rounding, overflow):
    """The fused adder into binary32 on the machine's float64 (``machine_sum.reduce_fused``):
    random values of formats whose products float64 holds (subnormals, both zeros, the largest
    values: sums that overflow, cancel to zero or end below float32's normal range), any k,
    alignment and promotion, both modes, every overflow policy (toward zero an overflow gives
    the largest finite value: overflow="raise" must still raise), every shape down to k = 0;
    with report=True the same counts."""
    _, a, b, _ = case
    a, b = nf.round(a, fmt).astype(a.dtype), nf.round(b, fmt).astype(b.dtype)
    options = dict(accumulator="binary32", order="fused", fused_terms=k, alignment_bits=align,
                   promote_every=promote, rounding=rounding, overflow=overflow)
    for report in (False, True):
        try:
            want = emulated(nf.matmul, a, b, fmt, **options, report=report)
        except OverflowError:
            with pytest.raises(OverflowError):
                nf.matmul(a, b, fmt, **options, report=report)
            continue
        got = nf.matmul(a, b, fmt, **options, report=report)
        same_bits(got[0] if report else got, want[0] if report else want)
        assert not report or got[1] == want[1]


def test_the_machine_answers_fused_matmuls(monkeypatch):
    """64 x 200 x 48 e4m3 products (large and small, so that alignment truncates) in an FP8
    tensor-core model and a wide adder: the machine answers, bit for bit the emulation."""
    answered = []
    original = machine_sum.reduce_fused
    monkeypatch.setattr(machine_sum, "reduce_fused", lambda *args: answered.append(original(*args)) or answered[-1])
    rng = np.random.default_rng(4)
    a = nf.round(rng.standard_normal((64, 200)) * np.exp2(rng.integers(-6, 6, (64, 200))), "e4m3", overflow="saturate")
    b = nf.round(rng.standard_normal((200, 48)), "e4m3")
    for options in (dict(fused_terms=2, alignment_bits=13, rounding="toward_zero", promote_every=128),
                    dict(fused_terms=32, alignment_bits=24)):
        got = nf.matmul(a, b, "e4m3", accumulator="binary32", order="fused", **options)
        assert answered[-1] is not None
        same_bits(got, emulated(nf.matmul, a, b, "e4m3", accumulator="binary32", order="fused", **options))
        got, rep = nf.matmul(a, b, "e4m3", accumulator="binary32", order="fused", report=True, **options)
        assert answered[-1] is not None
        want, want_rep = emulated(nf.matmul, a, b, "e4m3", accumulator="binary32", order="fused", report=True,
                                  **options)
        same_bits(got, want)
        assert rep == want_rep and (rep.inexact > 0) == (options["alignment_bits"] > 23)   # (13 bits fit binary32)


def test_fused_matmul_toward_zero_overflow_on_the_way():
    """A fused-order sum toward zero that overflows on the way (saturating at binary32's largest
    value) and comes back below it: the machine steps aside, and the emulating kernels raise
    under overflow="raise" and count the overflow under "ieee"."""
    big = float(nf.round(3.3e38, "bfloat16", "toward_zero"))
    a, b = np.array([[big, big, -big]], np.float32), np.ones((3, 1), np.float32)
    options = dict(accumulator="binary32", order="fused", fused_terms=1, alignment_bits=0, rounding="toward_zero")
    with pytest.raises(OverflowError):
        nf.matmul(a, b, "bfloat16", overflow="raise", **options)
    got, report = nf.matmul(a, b, "bfloat16", report=True, **options)
    assert report.overflow == 1 and np.isfinite(got).all()


def test_fused_flush_to_zero_threads_fall_back():
    out = np.empty((1, 1), np.float32)
    a, b = np.ones((1, 1, 2), np.float32), np.ones((1, 2, 1), np.float32)
    args = (np.int64(2), np.int64(8), np.int64(0), False)
    assert not machine_sum.kern.fused_products(out, 0, a, b, *args, np.float32(0), None)
    assert machine_sum.kern.fused_products(out, 0, a, b, *args, np.float32(1e-45), None) and out[0, 0] == 2


test_matmul_and_sum_equal_the_emulating_kernels_wide = slow_twin(
    test_matmul_and_sum_equal_the_emulating_kernels, settings(max_examples=100, deadline=None), matmul_cases(),
    st.sampled_from(("ieee", "saturate")))
