"""``kernels.arrays``: NumPy's empty, zeros and views in compiled code, lowered in place (no
function of their own compiled); a view of another array type, or a bit cast between widths,
fails to compile."""
import numba as nb
import numpy as np
import pytest

from numfmt.kernels.arrays import bits_as, empty, view_as, zeros


@nb.njit
def _bits_and_words(x, buf, lo, hi):
    return view_as(x, np.uint32), view_as(x[lo:hi], np.int32), view_as(buf, np.uint32)


def test_same_bits_as_numpy_views():
    x = np.array([1.5, -0.0, np.inf, np.nan, 2.0 ** -149, -3.25], np.float32)
    buf = np.array([1, 2 ** 40 + 7, 2 ** 64 - 1], np.uint64)
    bits, part, words = _bits_and_words(x, buf, 1, 5)
    np.testing.assert_array_equal(bits, x.view(np.uint32))
    np.testing.assert_array_equal(part, x[1:5].view(np.int32))
    np.testing.assert_array_equal(words, buf.view(np.uint32))
    bits[0] = 0                     # a view: writes reach the array
    assert x[0] == 0
    assert view_as(buf, np.uint32).tolist() == buf.view(np.uint32).tolist()     # (from Python)


@nb.njit
def _view_of(a):
    return view_as(a, np.uint32)


@pytest.mark.parametrize("a", [np.zeros((2, 2), np.float32), np.zeros(8, np.float32)[::2]],
                         ids=["2-d", "strided"])
def test_other_arrays_fail_to_compile(a):
    with pytest.raises(nb.core.errors.TypingError, match="view_as takes a 1-d contiguous array"):
        _view_of(a)


@nb.njit
def _new_arrays(n, like):
    return empty(n, np.int64), zeros((2, n), like.dtype), zeros(n, np.uint8)


def test_new_arrays_as_numpy_makes_them():
    a, z, u = _new_arrays(3, np.zeros(1, np.float32))
    assert (a.shape, a.dtype) == ((3,), np.int64)
    assert z.dtype == np.float32 and z.tolist() == [[0.0] * 3] * 2 and u.tolist() == [0, 0, 0]
    assert empty(2, np.int8).dtype == np.int8 and zeros((1, 2), np.float64).tolist() == [[0.0, 0.0]]


@nb.njit
def _bits(x, b):
    return bits_as(np.float32(x), np.uint32), bits_as(np.int64(b), np.float64), bits_as(np.uint32(b), np.int32)


def test_bit_casts_as_numpy_makes_them():
    for x, b in [(1.5, 4607182418800017408), (-0.0, -1), (np.inf, 0x7FF8000000000001)]:
        f32_bits, f64, i32 = _bits(x, b)
        assert f32_bits == np.float32(x).view(np.uint32)
        assert np.float64(f64).view(np.int64) == b               # (a NaN payload too)
        assert i32 == np.uint32(b & 0xFFFFFFFF).view(np.int32)
    with pytest.raises(nb.core.errors.TypingError, match="bits_as takes an integer or float scalar"):
        nb.njit(lambda x: bits_as(np.float32(x), np.uint64))(1.0)
