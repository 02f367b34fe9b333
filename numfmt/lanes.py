"""The ops vocabulary of the branch-free kernel code, as Numba scalar functions.

The element-wise code that rounds (``kernels.floating.round_one`` and the helpers it calls in
``numfmt.rounding`` and ``numfmt.random``) makes every data-dependent choice with these names
instead of ``if``/``min``/``max``/``np.int64``: ``where(c, a, b)``, ``minimum``, ``maximum``,
``narrow_min`` (a bound that only int32 lanes need), ``lane`` (an integer of the lane type),
``u64`` (an unsigned 64-bit integer, for the random numbers), ``as_float``, ``copysign``, ``f32_bits`` and ``f32_value`` (float32 bit casts); the
rest is ``+ - * & | ^ ~ << >>`` and comparisons. Numba compiles these definitions per element,
exactly as if the code said ``a if c else b``; the torch and JAX backends (``numfmt.backends``)
evaluate the same functions on whole tensors with these names rebound to tensor operations.
Choices on the *parameters* (the format, the mode) may stay ``if``s: they are Python ints in a
backend, runtime ints in the one compiled Numba kernel.
"""
import math

import numpy as np
from .kernels.arrays import bits_as
from .kernels.inner import inner_inline

lane = np.int64          # an integer lane (int64 in Numba, torch; int32 or int64 in JAX)
u64 = np.uint64          # an unsigned 64-bit integer (wrapping)


@inner_inline
def where(c, a, b):
    """a where c holds, else b (a select: both sides are evaluated)."""
    return a if c else b


@inner_inline
def minimum(a, b):
    """The smaller of a and b (as ``min(a, b)``; a select, not Numba's ``min``, which compiles an
    implementation of its own for every set of compiler flags of its callers)."""
    return b if b < a else a


@inner_inline
def maximum(a, b):
    """The larger of a and b (as ``max(a, b)``; a select: see ``minimum``)."""
    return b if b > a else a


@inner_inline
def narrow_min(a, b):
    """a itself in 64-bit lanes (Numba), the smaller of a and b in narrower lanes (int32): a bound
    that keeps a later sum inside a narrow lane, for values whose result the caller discards."""
    return a


@inner_inline
def as_float(x, table):
    """x as a float of the element type of the array ``table``."""
    return table.dtype.type(x)


@inner_inline
def f32_bits(v):
    """The bit pattern of the float32 v, as an integer lane (int32 range)."""
    return np.int64(bits_as(np.float32(v), np.int32))


@inner_inline
def f32_value(b):
    """The float32 whose bit pattern is the integer b (int32 range)."""
    return bits_as(np.int32(b), np.float32)


@inner_inline
def copysign(v, s):
    """|v| with the sign of s (NaNs included)."""
    return math.copysign(v, s)
