"""What every family's casts share: input checks, output dtypes, and the threaded chunk runner."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import ml_dtypes
import numpy as np

_ML_FLOATS = {np.dtype(getattr(ml_dtypes, n)) for n in dir(ml_dtypes)
              if n.startswith(("float", "bfloat")) and isinstance(getattr(ml_dtypes, n), type)}

_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_threads = _CPUS
_pool: ThreadPoolExecutor | None = None
PARALLEL_MIN_PER_THREAD = 1 << 16


def set_num_threads(n: int) -> None:
    """Set how many threads the kernels use for large arrays: 1 to the number of CPUs this
    process may run on (the default), as ``numba.set_num_threads`` allows; else ValueError.

    >>> set_num_threads(1)
    """
    global _threads, _pool
    if not (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and 1 <= n <= _CPUS):
        raise ValueError(f"n must be an integer from 1 to {_CPUS} (the CPUs available); got {n!r}")
    n = int(n)
    _threads = n
    _pool = None


def get_num_threads() -> int:
    """How many threads the kernels use for large arrays."""
    return _threads


def run_chunked(kernel, x: np.ndarray, out: np.ndarray, *args, pass_start: bool = False) -> None:
    """Call ``kernel(x[a:b], out[a:b], *args)`` over contiguous chunks of flat arrays.

    Chunks run in parallel threads (the kernels release the GIL) when the array is large;
    every kernel is elementwise, so the result does not depend on the split. With
    ``pass_start`` the kernel gets the chunk's first index: ``kernel(x[a:b], out[a:b], a, *args)``.
    """
    global _pool
    n = x.size
    threads = min(_threads, n // PARALLEL_MIN_PER_THREAD)
    if threads <= 1:
        kernel(x, out, *((0,) if pass_start else ()), *args)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads)
    bounds = [n * k // threads for k in range(threads + 1)]
    futures = [_pool.submit(kernel, x[a:b], out[a:b], *((a,) if pass_start else ()), *args)
               for a, b in zip(bounds, bounds[1:])]
    for f in futures:
        f.result()


def as_float_array(x, argument: str = "x") -> np.ndarray:
    """x as a native-endian float32 or float64 array holding exactly the same values.

    float16 and ml_dtypes floats widen to float32, integers to float64 (exactly or not at all);
    byte-swapped (big-endian) arrays are converted to native byte order.
    """
    arr = np.asarray(x)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    dtype = arr.dtype
    if dtype in (np.float32, np.float64):
        return arr
    if dtype == np.float16 or dtype in _ML_FLOATS:
        return arr.astype(np.float32)
    if dtype.kind in "iu":
        wide = arr.astype(np.float64)
        if not np.array_equal(wide.astype(dtype), arr):
            raise ValueError(f"{argument} holds integers that float64 cannot represent exactly")
        return wide
    raise TypeError(f"{argument} must hold real numbers (float16, float32, float64, an ml_dtypes "
                    f"float or integers); got dtype {dtype}")


def as_code_array(codes, bits: int, argument: str = "codes") -> np.ndarray:
    """codes as an integer array (any byte order), checked to lie in [0, 2**bits)."""
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{argument} must be an integer array of codes; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or int(arr.max()) >= (1 << bits)):
        raise ValueError(f"{argument} must lie in [0, 2**{bits}) for a {bits}-bit format; got values "
                         f"from {arr.min()} to {arr.max()}")
    return arr


def kernel_input(arr: np.ndarray, dtype) -> np.ndarray:
    """arr as what the kernels take: flat, C-contiguous, writable, native ``dtype`` (a copy
    only where arr is not that already), so that each kernel compiles for one array type.

    >>> kernel_input(np.arange(4, dtype=">u2").reshape(2, 2), np.int64).dtype.str
    '<i8'
    """
    flat = np.ascontiguousarray(arr, dtype=dtype).reshape(-1)
    return flat if flat.flags.writeable else flat.copy()


NO_RANDOM_BITS = np.empty(0, np.int64)
"""The kernels' ``rand`` argument when the random bits come from the seed (``random.element_bits``)."""


def kernel_random_bits(rand) -> np.ndarray:
    """Explicit random bits (flat int64) or None as the kernels' one array type: an empty array
    stands for "draw from the seed"."""
    return NO_RANDOM_BITS if rand is None else kernel_input(rand, np.int64)


def code_dtype(bits: int) -> np.dtype:
    """The smallest unsigned integer dtype that holds codes of this width."""
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if bits <= np.dtype(dtype).itemsize * 8:
            return np.dtype(dtype)
    raise ValueError(f"no code dtype holds {bits} bits")


def finish(out: np.ndarray, like) -> np.ndarray:
    """out shaped like the input; a numpy scalar for 0-d inputs."""
    return out[()] if np.ndim(like) == 0 else out
