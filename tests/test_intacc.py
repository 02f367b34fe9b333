"""Integer accumulators (issue 19 part 1): sum / dot / matmul with accumulator="intN", and
accumulator_bits. The oracle is plain Python integer arithmetic."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numfmt as nf


def _fit(v: int, bits: int, wrap: bool, signed: bool = True) -> tuple[int, bool]:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if lo <= v <= hi:
        return v, False
    return ((v - lo) % (1 << bits) + lo if wrap else min(max(v, lo), hi)), True


def reference(terms, bits: int, overflow: str, order: str = "sequential", block: int = 1, signed=True) -> int:
    """The accumulation in plain Python: s = 0, s = fit(s + t) (sequential; blocks of
    sequential sums added in sequence; exact: fit(sum) once)."""
    wrap = overflow == "wrap"
    terms = [int(t) for t in terms]
    if order == "exact":
        return _fit(sum(terms), bits, wrap, signed)[0]
    if order == "blocked":
        s = 0
        for b0 in range(0, len(terms), block):
            s = _fit(s + reference(terms[b0:b0 + block], bits, overflow, signed=signed), bits, wrap, signed)[0]
        return s
    s = 0
    for t in terms:
        s = _fit(s + t, bits, wrap, signed)[0]
    return s


def _ints(rng, fmt: str, shape):
    f = nf.format(fmt)
    return rng.integers(f.min_int, f.max_int, shape, endpoint=True)


@pytest.mark.parametrize("overflow", ["wrap", "saturate"])
@pytest.mark.parametrize("order, block", [("sequential", None), ("blocked", 3), ("exact", None)])
def test_sum_dot_matmul_match_python_integers(overflow, order, block):
    rng = np.random.default_rng(0)
    for fmt, acc in (("int8", "int12"), ("int4", "int6"), ("uint8", "int16"), ("int8", "int32"),
                     ("int16", "int20"), ("int8", "uint10")):
        a, b = _ints(rng, fmt, (3, 17)), _ints(rng, fmt, (17, 4))
        bits, signed = nf.format(acc).bits, nf.format(acc).signed
        kw = dict(accumulator=acc, overflow=overflow, order=order, block=block)
        got = nf.matmul(a, b, fmt, **kw)
        assert got.dtype == np.int64
        want = [[reference(a[i] * b[:, j], bits, overflow, order, block or 1, signed) for j in range(4)]
                for i in range(3)]
        assert got.tolist() == want, (fmt, acc)
        assert nf.dot(a, b.T[:3], fmt, **kw).tolist() == [want[i][i] for i in range(3)]
        assert nf.sum(a * 7 // 7, fmt, axis=1, **kw).tolist() == [
            reference(row, bits, overflow, order, block or 1, signed) for row in a]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-128, 127), min_size=0, max_size=40), st.integers(2, 32),
       st.sampled_from(["wrap", "saturate"]))
def test_sum_matches_python_for_any_width(values, bits, overflow):
    got = nf.sum(np.array(values, np.int64), "int8", accumulator=f"int{bits}", overflow=overflow)
    assert type(got) is np.int64
    assert int(got) == reference(values, bits, overflow)


def test_wrap_is_order_independent_and_saturation_is_not():
    x = np.array([100, 100, -100, -100, 50], np.int8)
    wraps = {int(nf.sum(x, "int8", order=o, block=b, overflow="wrap"))
             for o, b in (("sequential", None), ("blocked", 2), ("exact", None))}
    assert wraps == {50}
    sats = [int(nf.sum(x, "int8", order=o, block=b, overflow="saturate"))
            for o, b in (("sequential", None), ("blocked", 2), ("exact", None))]
    assert sats == [-23, 49, 50]         # 127, 27, -73, -23; blocks 127, -128, 50: 127, -1, 49; exact
    assert int(nf.sum(x, "int8")) == -23  # overflow="ieee" saturates, as numfmt.round does


def test_int32_extremes_are_exact():
    """The largest products of int32 inputs (2**62) and their sums stay exact in int64."""
    m = -(1 << 31)
    a = np.array([m, m, m, (1 << 31) - 1])
    for acc in ("int32", "int24"):
        for overflow in ("wrap", "saturate"):
            got = int(nf.dot(a, a, "int32", accumulator=acc, overflow=overflow))
            assert got == reference(a.astype(object) * a.astype(object), nf.format(acc).bits, overflow)
            got = int(nf.dot(a, a, "int32", accumulator=acc, overflow=overflow, order="exact"))
            assert got == reference(a.astype(object) * a.astype(object), nf.format(acc).bits, overflow, "exact")


def test_float_and_integer_arrays_give_the_same_integers():
    rng = np.random.default_rng(3)
    a, b = _ints(rng, "int4", (5, 9)), _ints(rng, "int4", (9, 2))
    want = nf.matmul(a, b, "int4", accumulator="int8", overflow="wrap")
    for conv in (np.float32, np.float64, np.int8, np.int64):
        assert nf.matmul(a.astype(conv), b.astype(conv), "int4", accumulator="int8", overflow="wrap").tolist() \
            == want.tolist()
    assert nf.matmul(a + 0.3, b, "int4", accumulator="int8", overflow="wrap", inputs="round").tolist() \
        == want.tolist()


def test_overflow_raise_names_the_results():
    assert int(nf.dot([100, 2], [1, 4], "int8", accumulator="int8", overflow="raise")) == 108
    with pytest.raises(OverflowError, match=r"1 of 2 results overflow the int8 accumulator .*\[-128, 127\]"):
        nf.dot([[100, 2], [1, 1]], [3, 4], "int8", accumulator="int8", overflow="raise")


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match=r"1 of 3 elements of x are not values of int8 .* first: 2.5"):
        nf.sum([1, 2.5, 3], "int8", accumulator="int16")
    x = np.array([[1, 2.5, 3], [4.5, 5, 6]])
    for axis in (0, 1):         # x's own first, at its own index (not the transposed terms')
        with pytest.raises(ValueError, match=r"2 of 6 elements of x .* first: 2.5 at index \(0, 1\)"):
            nf.sum(x, "int8", accumulator="int16", axis=axis)
    with pytest.raises(ValueError, match=r"elements of b are not values of int4 .*first: 8.0"):
        nf.dot([1, 2], [8, 1], "int4", accumulator="int16")
    with pytest.raises(ValueError, match="elements of x are not values of int8"):
        nf.sum([np.nan], "int8", accumulator="int16")
    with pytest.raises(ValueError, match="fmt must be an integer format"):
        nf.dot([1.0], [1.0], "bfloat16", accumulator="int16")
    with pytest.raises(ValueError, match="order must be one of .*'sequential', 'blocked', 'exact'"):
        nf.sum([1, 2], "int8", accumulator="int16", order="pairwise")
    with pytest.raises(ValueError, match="rounding does not apply"):
        nf.sum([1, 2], "int8", accumulator="int16", rounding="stochastic")
    with pytest.raises(ValueError, match="product, sr_bits does not apply"):
        nf.dot([1, 2], [1, 2], "int8", accumulator="int16", product="int8", sr_bits=3)
    with pytest.raises(ValueError, match="overflow must be one of .*'wrap', 'saturate'"):
        nf.sum([1, 2], "int8", accumulator="int16", overflow="nan")
    with pytest.raises(ValueError, match="products of uint32 values do not fit"):
        nf.dot([1], [1], "uint32", accumulator="int32")
    assert int(nf.sum([4_000_000_000], "uint32", accumulator="uint32")) == 4_000_000_000


# ----- accumulator_bits

def _width(values) -> int:
    values = list(values)
    p = 1
    while not all(-(1 << (p - 1)) <= v <= (1 << (p - 1)) - 1 for v in values):
        p += 1
    return p


@pytest.mark.parametrize("input_fmt", ["int3", "uint2", "int2"])
def test_accumulator_bits_matches_brute_force(input_fmt):
    """Over all weight vectors of int3 of length 2 and 3 and every input vector: the exact
    width is the smallest that holds every possible sum (and partial sum); A2Q's is never
    smaller."""
    f = nf.format(input_fmt)
    inputs = range(f.min_int, f.max_int + 1)
    for n in (1, 2, 3):
        ws = np.array(list(itertools.product(range(-4, 4), repeat=n)))
        exact = nf.accumulator_bits(ws, input_fmt)
        a2q = nf.accumulator_bits(ws, input_fmt, bound="a2q")
        for w, e, q in zip(ws, exact, a2q):
            sums = [sum(int(wi) * xi for wi, xi in zip(w[:m], x)) for x in itertools.product(inputs, repeat=n)
                    for m in range(n + 1)]
            assert e == _width(sums), (w, e)
            assert q >= e
            # A2Q's closed form, in floating point, as the paper writes it
            alpha = np.log2(np.abs(w).sum()) + f.bits - f.signed if np.abs(w).sum() else -np.inf
            assert q == (int(np.ceil(alpha + np.log2(1 + 2.0 ** -alpha) + 1)) if np.abs(w).sum() else 1)


def test_accumulator_bits_axis_shapes_and_large_weights():
    rng = np.random.default_rng(5)
    w = _ints(rng, "int8", (4, 6, 5))
    bits = nf.accumulator_bits(w, "int8", axis=1)
    assert bits.shape == (4, 5)
    assert bits.tolist() == nf.accumulator_bits(np.moveaxis(w, 1, -1), "int8").tolist()
    assert int(nf.accumulator_bits(np.full(1000, -(1 << 31)), "int32")) == 1 + (1000 << 62).bit_length()
    # sums of weights beyond int64 (2048 * 2**52 = 2**63) are exact Python integers
    big = np.full(2048, 2.0 ** 52)
    assert int(nf.accumulator_bits(big, "int32")) == 1 + (2**94 - 1).bit_length() == 95
    assert int(nf.accumulator_bits(big, x=np.full((2, 2048), -2.0 ** 31))) == 95
    with pytest.raises(ValueError, match="w must hold integers"):
        nf.accumulator_bits([0.5], "int8")
    with pytest.raises(ValueError, match="input_fmt must be an integer format"):
        nf.accumulator_bits([1], "e4m3")
    with pytest.raises(ValueError, match="give input_fmt"):
        nf.accumulator_bits([1])


def test_accumulator_bits_for_given_inputs_is_what_the_accumulation_needs():
    """With x=: the smallest P for which the sequential accumulation in intP overflows
    nowhere (checked with overflow="raise" at P and P - 1), never above the exact bound."""
    rng = np.random.default_rng(7)
    w = _ints(rng, "int4", (6, 12))
    x = _ints(rng, "int4", (5, 12))
    need = nf.accumulator_bits(w, x=x, input_fmt="int4")
    assert (need <= nf.accumulator_bits(w, "int4")).all()
    for c, p in enumerate(need.tolist()):
        nf.matmul(x, w[c], "int4", accumulator=f"int{p}", overflow="raise")
        if p > 2:
            with pytest.raises(OverflowError):
                nf.matmul(x, w[c], "int4", accumulator=f"int{p - 1}", overflow="raise")
    with pytest.raises(ValueError, match="bound='a2q'"):
        nf.accumulator_bits(w, x=x, bound="a2q")
    with pytest.raises(ValueError, match="last axis"):
        nf.accumulator_bits(w, x=x[:, :5])


def test_same_integers_for_any_thread_count():
    from numfmt.parallel import CPUS
    rng = np.random.default_rng(11)
    a, b = _ints(rng, "int8", (300, 64)), _ints(rng, "int8", (64, 300))
    before, results = nf.get_num_threads(), []
    try:
        for threads in (1, CPUS):
            nf.set_num_threads(threads)
            results.append(nf.matmul(a, b, "int8", accumulator="int16", overflow="saturate"))
    finally:
        nf.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])
    assert results[0].tolist()[7][:3] == [reference(a[7] * b[:, j], 16, "saturate") for j in range(3)]
