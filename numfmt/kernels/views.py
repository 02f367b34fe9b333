"""A 1-d contiguous array's bytes as another element type, in compiled code, at no compile cost.

``a.view(dtype)`` in a kernel compiles, for each pair of types, Numba's check of NumPy's rules
for the view as a function of its own (0.1-0.2 s of a first call each; the seeded stochastic
casts took two). ``view_as(a, dtype)`` makes the same view of a 1-d contiguous array whose size
in bytes is a multiple of the new element's (its callers' arrays are) and compiles no function;
any other array type fails to compile.
With NUMBA_DISABLE_JIT it is ``a.view(dtype)``.
"""
from numba import types
from numba.core import config, errors
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import populate_array


@intrinsic
def _view_as(typingctx, a, dtype):
    if not (isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"):
        raise errors.TypingError(f"view_as takes a 1-d contiguous array; got {a}")
    to = dtype.instance_type
    ret = types.Array(to, 1, "C")

    def codegen(context, builder, signature, args):
        src = context.make_array(signature.args[0])(context, builder, args[0])
        dst = context.make_array(ret)(context, builder)
        intp = context.get_value_type(types.intp)
        size = context.get_abi_sizeof(context.get_data_type(to))
        nbytes = builder.mul(src.nitems, intp(context.get_abi_sizeof(context.get_data_type(a.dtype))))
        populate_array(dst, data=builder.bitcast(src.data, dst.data.type), shape=[builder.udiv(nbytes, intp(size))],
                       strides=[intp(size)], itemsize=intp(size), meminfo=src.meminfo, parent=src.parent)
        return impl_ret_borrowed(context, builder, ret, dst._getvalue())
    return ret(a, dtype), codegen


def _view_as_python(a, dtype):
    return a.view(dtype)


view_as = _view_as_python if config.DISABLE_JIT else _view_as
