"""``kernels.views.view_as``: NumPy's view of a 1-d contiguous array, in compiled code, without
compiling Numba's view check; other array types fail to compile."""
import numba as nb
import numpy as np
import pytest

from numfmt.kernels.views import view_as


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


@nb.njit
def _view_of(a):
    return view_as(a, np.uint32)


@pytest.mark.parametrize("a", [np.zeros((2, 2), np.float32), np.zeros(8, np.float32)[::2]],
                         ids=["2-d", "strided"])
def test_other_arrays_fail_to_compile(a):
    with pytest.raises(nb.core.errors.TypingError, match="view_as takes a 1-d contiguous array"):
        _view_of(a)
