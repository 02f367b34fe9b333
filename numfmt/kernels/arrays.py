"""Arrays and bit views in compiled code that compile no function of their own: ``empty`` and
``zeros`` (new arrays), ``view_as`` (a 1-d contiguous array's bytes as another element type) and
``bits_as`` (a scalar's bits as another type of the same width).

In a kernel, ``np.empty``, ``np.zeros``, ``a.view(dtype)`` and ``np.float32(v).view(dtype)`` are
Numba overloads: each compiles, per argument types (a scalar view also per set of compiler flags
of its callers), an implementation as a function of its own (0.03-0.2 s of a first call each; a
first call met two to ten of them). These lower straight into the calling function (each is a
Python function with a typing and a lowering registered for it):

- ``empty(shape, dtype)`` and ``zeros(shape, dtype)``: NumPy's, for an int or a tuple of ints
  and an explicit dtype (``np.int64``, ``a.dtype``), C order; from Python they are NumPy's.
- ``view_as(a, dtype)``: the view ``a.view(dtype)`` of a 1-d contiguous array whose size in
  bytes is a multiple of the new element's (its callers' arrays are); any other array type
  fails to compile; from Python it is NumPy's.
- ``bits_as(v, dtype)``: ``v.view(dtype)`` of an integer or float scalar v and a dtype of the
  same width (``bits_as(np.float32(x), np.uint32)``); from Python it is NumPy's.
- ``borrowed(a)``: a view of the array a without its reference count, for the arrays a kernel
  hands to ``@inner`` helpers in a loop (see there); from Python it is a itself.
- ``alive(a)``: keeps a kernel's own array a (and so its borrowed views' memory) until that
  point; from Python it does nothing.

>>> import numba as nb
>>> @nb.njit
... def scratch(n):
...     z = zeros((2, n), np.int32)
...     return z, empty(n, z.dtype).size
>>> z, size = scratch(3)
>>> z.tolist(), z.dtype.name, size
([[0, 0, 0], [0, 0, 0]], 'int32', 3)
>>> hex(nb.njit(lambda x: bits_as(np.float32(x), np.uint32))(1.0))
'0x3f800000'
"""
import numpy as np
from numba import types
from numba.core import cgutils, errors
from numba.core.imputils import impl_ret_borrowed, impl_ret_new_ref, impl_ret_untracked, lower_builtin
from numba.core.typing.npydecl import parse_dtype, parse_shape
from numba.extending import type_callable
from numba.np.arrayobj import _empty_nd_impl, _parse_shape, populate_array


def empty(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)``; in compiled code lowered in place (see the module)."""
    return np.empty(shape, dtype)


def zeros(shape, dtype) -> np.ndarray:
    """``np.zeros(shape, dtype)``; in compiled code lowered in place (see the module)."""
    return np.zeros(shape, dtype)


def _new_array_type(shape, dtype):
    ndim, element = parse_shape(shape), parse_dtype(dtype)
    return None if ndim is None or element is None else types.Array(element, ndim, "C")


def _lower_new(context, builder, sig, args, zero: bool):
    shapes = _parse_shape(context, builder, sig.args[0], args[0])
    ary = _empty_nd_impl(context, builder, sig.return_type, shapes)
    if zero:
        cgutils.memset(builder, ary.data, builder.mul(ary.itemsize, ary.nitems), 0)
    return impl_ret_new_ref(context, builder, sig.return_type, ary._getvalue())


for _function, _zero in ((empty, False), (zeros, True)):
    type_callable(_function)(lambda context: _new_array_type)
    lower_builtin(_function, types.Any, types.Any)(
        lambda context, builder, sig, args, zero=_zero: _lower_new(context, builder, sig, args, zero))


def bits_as(v, dtype):
    """``v.view(dtype)`` of a NumPy scalar; in compiled code a bit cast (see the module)."""
    return v.view(dtype)


@type_callable(bits_as)
def _bits_as_type(context):
    def typer(v, dtype):
        to = parse_dtype(dtype)
        if not (isinstance(v, (types.Integer, types.Float)) and isinstance(to, (types.Integer, types.Float))
                and to.bitwidth == v.bitwidth):
            raise errors.TypingError(f"bits_as takes an integer or float scalar and a dtype of its width; got {v}, {dtype}")
        return to
    return typer


@lower_builtin(bits_as, types.Any, types.Any)
def _lower_bits_as(context, builder, sig, args):
    return builder.bitcast(args[0], context.get_value_type(sig.return_type))


def view_as(a, dtype) -> np.ndarray:
    """``a.view(dtype)``; in compiled code lowered in place, for a 1-d contiguous array (see the
    module)."""
    return a.view(dtype)


@type_callable(view_as)
def _view_as_type(context):
    def typer(a, dtype):
        to = parse_dtype(dtype)
        if not (isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C") or to is None:
            raise errors.TypingError(f"view_as takes a 1-d contiguous array; got {a}")
        return types.Array(to, 1, "C")
    return typer


@lower_builtin(view_as, types.Any, types.Any)
def _lower_view_as(context, builder, sig, args):
    (a, _), ret = sig.args, sig.return_type
    src = context.make_array(a)(context, builder, args[0])
    dst = context.make_array(ret)(context, builder)
    intp = context.get_value_type(types.intp)
    size = context.get_abi_sizeof(context.get_data_type(ret.dtype))
    nbytes = builder.mul(src.nitems, intp(context.get_abi_sizeof(context.get_data_type(a.dtype))))
    populate_array(dst, data=builder.bitcast(src.data, dst.data.type), shape=[builder.udiv(nbytes, intp(size))],
                   strides=[intp(size)], itemsize=intp(size), meminfo=src.meminfo, parent=src.parent)
    return impl_ret_borrowed(context, builder, ret, dst._getvalue())


def borrowed(a) -> np.ndarray:
    """a itself; in compiled code a view of a without its memory's reference count (a null
    meminfo). Numba raises and lowers the count of every array it passes to a separately
    compiled helper (``kernels.inner.inner``), an atomic operation each: in the accumulate
    kernels, which call such helpers per term with their state array, 80% of an e4m3 sum
    into bfloat16 (4M terms, 1 thread). A borrowed view costs none, and does not keep a
    alive: use it only while a lives. An argument lives through the call; a kernel's own
    array does not: Numba frees it right after its last use as a variable, which a borrowed
    view's uses are not, and the next allocation (of this thread, or of another one running
    a kernel) may take its memory. Keep such an array with ``alive(a)`` after the last use of
    its borrowed views."""
    return a


@type_callable(borrowed)
def _borrowed_type(context):
    def typer(a):
        if not isinstance(a, types.Array):
            raise errors.TypingError(f"borrowed takes an array; got {a}")
        return a
    return typer


@lower_builtin(borrowed, types.Any)
def _lower_borrowed(context, builder, sig, args):
    ty = sig.args[0]
    src = context.make_array(ty)(context, builder, args[0])
    dst = context.make_array(ty)(context, builder)
    populate_array(dst, data=src.data, shape=cgutils.unpack_tuple(builder, src.shape),
                   strides=cgutils.unpack_tuple(builder, src.strides), itemsize=src.itemsize, meminfo=None,
                   parent=None)
    return impl_ret_untracked(context, builder, ty, dst._getvalue())


def alive(a) -> None:
    """Nothing; in compiled code a use of the array a that compiles to no instruction, so that
    Numba keeps a (and the memory of its ``borrowed`` views) until this point.

    >>> import numba as nb
    >>> @nb.njit
    ... def kept(n):
    ...     buf = empty(8, np.int64)
    ...     view = borrowed(buf)
    ...     view[:] = 7
    ...     total = 0
    ...     for _ in range(n):       # another array each round: without alive(buf) it could
    ...         other = empty(8, np.int64)      # take buf's memory
    ...         other[:] = 99
    ...         total += view[5] + other[0] - 99
    ...     alive(buf)
    ...     return total
    >>> int(kept(3))
    21
    """


@type_callable(alive)
def _alive_type(context):
    def typer(a):
        if not isinstance(a, types.Array):
            raise errors.TypingError(f"alive takes an array; got {a}")
        return types.none
    return typer


@lower_builtin(alive, types.Any)
def _lower_alive(context, builder, sig, args):
    return context.get_dummy_value()
