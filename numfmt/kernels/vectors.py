"""Vector width of the element-wise kernels on AVX-512 hosts, and how their loops count.

LLVM tunes Intel's AVX-512 server and client cores (Skylake-SP on, Sapphire Rapids included)
to prefer 256-bit vectors ("prefer-256-bit", against the clock drop of 512-bit code on the
oldest of them), so a loop of int32 or float32 lanes there gets 8 lanes, not 16. The integer
lanes of the float trick (``kernels.posit``, ``kernels.machine_arith``) are compute-bound: on
a Sapphire Rapids host they ran about 2x faster in 512-bit vectors (as NUMBA_CPU_NAME=haswell
builds them there: the host's features, AVX-512 included, without that tuning).
``wide_vectors()`` asks for those in the compiled function that calls it: the one whose loops
LLVM vectorizes, that is the ``@inner_inline`` helper that holds the loop (it is optimized on
its own before it inlines into a kernel) or the kernel that ``inline="always"`` copied the
loop into. It changes the choice of instructions only, never a result, and nothing where the
host has no AVX-512 (the preference is a maximum).

The counting loops (``numfmt.report``'s counts, in the same pass as a cast; the fixed-point
casts' NaN and overflow counts) add a boolean per element to a uint32 count with ``tick``. With AVX-512 the boolean is a mask register, and LLVM
adds it as a sign extension and a subtraction (vpmovm2d, vpsubd), but a constant other than 1
as one masked addition: so there a count runs doubled (``tick`` adds 2) and ``ticks`` halves
it. e4m3 div report=True, 4M values, 1 thread: 3.0 -> 2.6-2.7 ms (eight counts a lane). On
AVX2 a boolean is a vector of 0 or -1 whose subtraction is one instruction: there ``tick``
adds 1. The doubled counts must stay below 2**32: the loops count tiles. A loop over 64-bit
elements counts in int64 lanes (``count_zero``), as wide as its compares' masks.
"""
import numba as nb
import numpy as np
from llvmlite import binding
from numba import types
from numba.core import config
from numba.cpython.unsafe.numbers import trailing_zeros as numba_trailing_zeros
from numba.extending import intrinsic


@intrinsic
def _prefer_512_bit_vectors(typingctx):
    def codegen(context, builder, signature, args):
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()
    return types.none(), codegen


def _nothing():
    return None


# Let LLVM vectorize the calling function's loops in vectors up to 512 bits wide (its function
# attribute "prefer-vector-width"="512"; llvmlite knows no string attributes, so it goes in
# through the set itself). With NUMBA_DISABLE_JIT (the kernels run as Python,
# tests/test_no_int_overflow.py) a call does nothing: an intrinsic has no Python form.
wide_vectors = _nothing if config.DISABLE_JIT else _prefer_512_bit_vectors


def _lowest_set_bit(m) -> int:
    return (int(m) & -int(m)).bit_length() - 1


# The index of the lowest set bit of an unsigned integer m != 0 (LLVM's cttz: one instruction),
# and the same in Python where the kernels run as Python (NUMBA_DISABLE_JIT).
trailing_zeros = _lowest_set_bit if config.DISABLE_JIT else numba_trailing_zeros


def _mask_registers() -> bool:
    """Whether the kernels compile for AVX-512 (numba's NUMBA_CPU_FEATURES where set, else the
    host's features; a NUMBA_CPU_NAME alone: no)."""
    if config.CPU_FEATURES is not None:
        return "+avx512f" in config.CPU_FEATURES
    return config.CPU_NAME is None and bool(binding.get_host_cpu_features().get("avx512f", False))


COUNT_SHIFT = np.uint32(1 if _mask_registers() else 0)   # log2 of ``tick``'s step (a constant of the kernels)


def tick(n, f):
    """The count n (uint32, or int64: ``count_zero``) plus one step (2 with AVX-512, else 1)
    where the boolean f holds."""
    return type(n)(n + type(n)(type(n)(f) << COUNT_SHIFT))


@nb.extending.overload(tick, inline="always")
def _tick_for(n, f):
    if n == types.int64:
        return lambda n, f: np.int64(n + np.int64(np.int64(f) << np.int64(COUNT_SHIFT)))
    return lambda n, f: np.uint32(n + np.uint32(np.uint32(f) << COUNT_SHIFT))


def ticks(n):
    """The number of ``tick`` steps in the count n (of n's type)."""
    return type(n)(n >> type(n)(COUNT_SHIFT))


@nb.extending.overload(ticks, inline="always")
def _ticks_for(n):
    if n == types.int64:
        return lambda n: np.int64(n >> np.int64(COUNT_SHIFT))
    return lambda n: np.uint32(n >> COUNT_SHIFT)


def count_zero(x):
    """The zero of a count of the array x's elements in a loop that vectorizes (``tick``): a
    uint32 for elements of 32 bits or fewer, an int64 for 64-bit ones, whose compares give
    64-bit masks that AVX2 narrowed for each uint32 count (int8 from 1M standard normal
    float64, 1 thread, CPU time: report=True 1.25 -> 0.95 ms, the plain cast, which counts
    NaNs and overflows, 0.81 -> 0.70 ms)."""
    return np.int64(0) if x.dtype.itemsize == 8 else np.uint32(0)


@nb.extending.overload(count_zero, inline="always")
def _count_zero_for(x):
    if x.dtype.bitwidth == 64:
        return lambda x: np.int64(0)
    return lambda x: np.uint32(0)
