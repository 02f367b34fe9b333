"""Software prefetch for the seeded stochastic loops.

Those loops go by blocks: the random bits of a block are drawn first (SplitMix64, compute
only: no memory traffic), then the block is rounded (as memory-bound as a copy). The hardware
prefetcher requests lines only as the loads and stores advance, so memory idles while a block
draws and the two phases add up. ``prefetch_ahead`` asks, once per block, for the lines of the
block ``PREFETCH_AHEAD`` elements further on, so that they arrive while this one draws.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ..lanes import minimum
from .inner import inner_inline

LINE = 64                   # bytes of a cache line
PREFETCH_AHEAD = 2048       # elements between the block a loop rounds and the one it prefetches


def _prefetcher(write: int):
    @intrinsic
    def prefetch(typingctx, arr, i):
        """A hint (llvm.prefetch, locality 3: keep in every cache level) that the loop will
        soon read (write = 0) or write (write = 1) arr[i]'s cache line; no effect on results."""
        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), cgutils.voidptr_t)
            i32 = ir.IntType(32)
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32]), "llvm.prefetch.p0")
            builder.call(fn, [ptr, i32(write), i32(3), i32(1)])
            return context.get_dummy_value()
        return types.void(arr, types.intp), codegen
    return prefetch


prefetch_read, prefetch_write = _prefetcher(0), _prefetcher(1)


@inner_inline
def prefetch_ahead(x, out, first, count):
    """Prefetch the cache lines of x[first + PREFETCH_AHEAD:][:count] (to be read) and of the
    same elements of out (to be written): x and out 1-d contiguous arrays of the same length
    and element size."""
    step = LINE // x.itemsize
    for i in range(first + PREFETCH_AHEAD, minimum(first + PREFETCH_AHEAD + count, x.size), step):
        prefetch_read(x, i)
        prefetch_write(out, i)
