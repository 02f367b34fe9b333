"""Vector width of the element-wise kernels on AVX-512 hosts.

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
"""
from numba import types
from numba.core import config
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
