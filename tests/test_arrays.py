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


def _kept_and_borrowed(source: str) -> list[tuple[str, str]]:
    """(function, name) of each array a function of the source makes (``empty``, ``zeros``),
    hands to ``borrowed`` and never passes to ``alive``."""
    import ast
    missing = []
    for func in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)):
        made, lent, kept = set(), set(), set()
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Call, ast.Tuple)):
                targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value] * len(targets)
                for target, value in zip(targets, values):
                    if isinstance(target, ast.Name) and isinstance(value, ast.Call) and \
                            getattr(value.func, "id", None) in ("empty", "zeros"):
                        made.add(target.id)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("borrowed", "alive"):
                names = {a.id for a in node.args if isinstance(a, ast.Name)}
                (lent if node.func.id == "borrowed" else kept).update(names)
        missing += [(func.name, name) for name in sorted(made & lent - kept)]
    return missing


def test_borrowed_views_of_a_kernels_own_arrays_keep_them_alive():
    """Numba frees a kernel's own array right after its last use as a variable, and a borrowed
    view (``kernels.arrays.borrowed``: no reference count) is not one: the next allocation of
    this thread or of another kernel's may take its memory (a seeded e6m0 round on 2 threads
    gave 31 values of another element's random bits in one CI run: ``round_pow2_sr32`` drew
    them into a freed buffer). So every array a kernel makes and borrows is passed to
    ``alive`` after its views' last use: a check of the kernels' source (``alive``'s own
    doctest shows the memory taken)."""
    import pathlib
    import numfmt.kernels
    root = pathlib.Path(numfmt.kernels.__file__).parent
    missing = [(path.name, *found) for path in sorted(root.glob("*.py"))
               for found in _kept_and_borrowed(path.read_text())]
    assert not missing, missing
    assert _kept_and_borrowed("def k(n):\n    buf = empty(n, np.int64)\n    view = borrowed(buf)\n") == [("k", "buf")]
