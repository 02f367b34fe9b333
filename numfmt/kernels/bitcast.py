"""Bit casts of scalars inside kernels: the int64 bit pattern of a float64.

Numba has ``ndarray.view`` but no scalar reinterpretation. ``float64_bits`` is an LLVM
``bitcast`` in compiled code (free at run time, so a kernel can do float arithmetic and read
the result's bits in the same pass) and a NumPy view in plain Python (NUMBA_DISABLE_JIT=1).
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload


def float64_bits(x) -> np.int64:
    """The IEEE bit pattern of a float64, as int64.

    >>> hex(float64_bits(1.0))
    '0x3ff0000000000000'
    """
    return np.array(x, np.float64).view(np.int64)[()]


@intrinsic
def _bitcast_float64(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@overload(float64_bits)
def _float64_bits_compiled(x):
    if x == types.float64:
        return lambda x: _bitcast_float64(x)
    return None
