"""The quire: sums and dot products equal the exact Fraction result rounded once (the
reference of numfmt.reference_posit), in every mode; NaR, shapes, the Quire object, errors."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import numfmt as nf
from numfmt import reference_posit as ref
from numfmt.formats.posit import PositFormat
from numfmt.quire import quire_layout
from numfmt.rounding import DETERMINISTIC_ROUNDINGS


def _random_values(fmt: PositFormat, shape, rng) -> np.ndarray:
    """Values of fmt from random codes, a quarter of them at the extremes (minpos, maxpos)."""
    top = fmt.nar_code - 1
    codes = rng.integers(1, top + 1, shape)
    extreme = rng.random(shape) < 0.25
    codes = np.where(extreme, rng.choice([1, 2, top - 1, top], shape), codes)
    values = nf.decode(codes, fmt, np.float64)
    return values * rng.choice([-1.0, 1.0], shape)


def _exact_dot(a, b) -> Fraction:
    return sum((Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a, b)), Fraction(0))


@pytest.mark.parametrize("fmt", [PositFormat(8, es) for es in range(6)] + [PositFormat(16, 2), PositFormat(16, 1),
                                                                             PositFormat(32, 2), PositFormat(32, 5),
                                                                             PositFormat(5, 3)], ids=str)
def test_dot_equals_exact_dot_rounded_once(fmt):
    rng = np.random.default_rng(fmt.nbits * 8 + fmt.es)
    a = _random_values(fmt, (60, 17), rng)
    b = _random_values(fmt, (60, 17), rng)
    a[:20, 1], b[:20, 1] = -a[:20, 0], b[:20, 0]       # rows whose two first products cancel
    exact = [_exact_dot(x, y) for x, y in zip(a, b)]
    for mode in DETERMINISTIC_ROUNDINGS:
        expected = [ref.round_value(v, fmt, mode) for v in exact]
        np.testing.assert_array_equal(nf.quire_dot(a, b, fmt, mode), expected, err_msg=mode)


def test_cancellation_keeps_the_small_terms():
    """maxpos**2 - maxpos**2 + minpos**2: only a 16n-bit quire keeps the last term."""
    for n in (8, 16, 32):
        fmt = nf.format(f"posit{n}")
        big, small = fmt.info.maxpos, fmt.info.minpos
        got = nf.quire_dot([big, small, -big], [big, small, big], fmt)
        assert float(got) == small                      # minpos**2 rounds up to minpos, never 0
        assert float(nf.quire_dot([big, small, -big], [big, small, big], fmt, "toward_zero")) == 0.0
        assert quire_layout(fmt) == (16 - 8 * n, 16 * n)


def test_stochastic_rounding_of_the_quire():
    fmt = nf.format("posit16")
    a = np.full((4000, 2), [1.0, 2.0 ** -13])           # 1 + 2**-13: a quarter ulp above 1
    got = nf.quire_dot(a, 1.0, fmt, "stochastic", seed=3)
    assert set(np.unique(got)) == {1.0, 1.0 + 2.0 ** -11}
    assert abs(np.mean(got > 1) - 0.25) < 0.03
    np.testing.assert_array_equal(got, nf.quire_dot(a, 1.0, fmt, "stochastic", seed=3))
    rand = np.arange(4000) % 4
    np.testing.assert_array_equal(nf.quire_dot(a, 1.0, fmt, "stochastic", sr_bits=2, random_bits=rand),
                                  np.where(rand >= 3, 1.0 + 2.0 ** -11, 1.0))


def test_sum_axes_nar_and_empty():
    x = np.array([[[1.0, 2.0], [4.0, 8.0]], [[16.0, 32.0], [64.0, np.nan]]])
    assert nf.quire_sum(x[0], "posit16").tolist() == 15.0
    assert nf.quire_sum(x[0], "posit16", axis=0).tolist() == [5.0, 10.0]
    assert nf.quire_sum(x[0], "posit16", axis=-1).tolist() == [3.0, 12.0]
    got = nf.quire_sum(x, "posit16", axis=(0, 2))
    assert got[0] == 51.0 and np.isnan(got[1])          # a NaR term makes the sum NaR
    assert nf.quire_sum(np.zeros((2, 0)), "posit8", axis=1).tolist() == [0.0, 0.0]
    assert nf.quire_dot([1.0, 2.0], [3.0, 4.0], "posit8").shape == ()


def test_quire_object():
    q = nf.Quire("posit32")
    q.add_product([3.0, 2.0 ** 60], [5.0, 2.0 ** 60]).sub([1.0]).sub_product(2.0 ** 60, 2.0 ** 60).add(2.0 ** -100)
    assert q.value() == 14.0 and q.value("toward_zero") == 14.0
    assert q.value("toward_positive") == 14.0 + 2.0 ** -24   # the 2**-100 is kept exactly
    assert q.code() == nf.encode(14.0, "posit32")
    assert q.clear().value() == 0.0
    assert np.isnan(q.add_product(np.nan, 1.0).value()) and q.code() == 1 << 31
    assert "posit8" in repr(nf.Quire(PositFormat(8, 2)))


def test_errors():
    with pytest.raises(ValueError, match="not posit8 values"):
        nf.quire_dot([1.1], [1.0], "posit8")
    with pytest.raises(ValueError, match=r"a and b do not broadcast: shapes \(3,\) and \(4,\)"):
        nf.quire_dot(np.ones(3), np.ones(4), "posit8")
    with pytest.raises(ValueError, match="accumulates posits"):
        nf.Quire("e4m3")
    with pytest.raises(ValueError, match="rounding must be one of"):
        nf.quire_sum([1.0], "posit8", rounding="up")
    with pytest.raises(ValueError, match="axis must be None"):
        nf.quire_sum(np.ones((2, 3)), "posit8", axis=2)
    with pytest.raises(ValueError, match="axis must be None"):
        nf.quire_sum(np.ones((2, 3)), "posit8", axis=(1, -1))
    with pytest.raises(TypeError, match="unexpected keyword"):
        nf.Quire("posit8").value(bits=3)


@pytest.fixture(scope="module")
def softposit():
    """The softposit oracle; only the tests that take it are skipped where it is not installed."""
    return pytest.importorskip("softposit")


def test_dot_equals_softposit_quire(softposit):
    """softposit's quire for posit<n,2> (qX2_fdp_add, then qX2_to_pX2)."""
    rng = np.random.default_rng(7)
    for n in (8, 16, 32):
        fmt = PositFormat(n, 2)
        a, b = _random_values(fmt, (30, 9), rng), _random_values(fmt, (30, 9), rng)
        ours = nf.encode(nf.quire_dot(a, b, fmt), fmt)
        for row_a, row_b, code in zip(a, b, ours):
            q = softposit.qX2Clr()
            for x, y in zip(row_a, row_b):
                q = softposit.qX2_fdp_add(q, softposit.convertDoubleToPX2(float(x), n),
                                          softposit.convertDoubleToPX2(float(y), n))
            assert softposit.qX2_to_pX2(q, n).v >> (32 - n) == code


def test_sum_dot_matmul_accumulate_in_the_quire():
    """numfmt.sum / dot / matmul with accumulator="quire" are quire_sum / quire_dot, with the
    shapes and output dtypes of the other accumulators (float32 for posit16 float32 inputs)."""
    rng = np.random.default_rng(5)
    fmt = PositFormat(16, 2)
    a = _random_values(fmt, (3, 4, 5), rng).astype(np.float32)
    b = _random_values(fmt, (5, 2), rng).astype(np.float32)
    got = nf.matmul(a, b, "posit16", accumulator="quire")
    want = nf.quire_dot(a[..., :, None, :], b.T[None, None, :, :], "posit16")
    assert got.dtype == np.float32 and got.shape == (3, 4, 2)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(nf.dot(a, a, "posit16", accumulator="quire"), nf.quire_dot(a, a, "posit16"))
    total = nf.sum(a, "posit16", axis=(0, 2), accumulator="quire", keepdims=True)
    assert total.shape == (1, 4, 1)
    np.testing.assert_array_equal(total.ravel(), nf.quire_sum(a, "posit16", axis=(0, 2)))
    x = [2.0 ** 20, 1.0, -2.0 ** 20]
    assert float(nf.sum(x, "posit16", accumulator="quire")) == 1.0      # exact: the 1 survives
    assert float(nf.sum(x, "posit32", accumulator="quire", rounding="toward_zero")) == 1.0
