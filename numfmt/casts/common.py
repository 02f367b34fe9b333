"""What every family's casts share: input checks and output dtypes."""
from __future__ import annotations

import functools
import sys

import numpy as np


def _ml_dtypes_floats() -> frozenset:
    """The float dtypes of ml_dtypes, once it is imported: until then no array can hold one
    (numfmt does not import ml_dtypes itself, whose import takes most of a second)."""
    ml_dtypes = sys.modules.get("ml_dtypes")
    return frozenset() if ml_dtypes is None else _floats_of(ml_dtypes)


@functools.lru_cache(maxsize=None)
def _floats_of(ml_dtypes) -> frozenset:
    return frozenset(np.dtype(getattr(ml_dtypes, n)) for n in dir(ml_dtypes)
                     if n.startswith(("float", "bfloat")) and isinstance(getattr(ml_dtypes, n), type))


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
    if dtype == np.float16 or dtype in _ml_dtypes_floats():
        return arr.astype(np.float32)
    if dtype.kind in "iu":
        wide = arr.astype(np.float64)
        with np.errstate(invalid="ignore"):         # (2**64 - 1 rounds to 2**64, beyond uint64: refused below)
            back = wide.astype(dtype)
        if not np.array_equal(back, arr):
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
    return writable(np.ascontiguousarray(arr, dtype=dtype).reshape(-1))


def writable(arr: np.ndarray) -> np.ndarray:
    """arr, or a copy of it where it is read-only (a read-only array compiles a kernel variant
    of its own).

    >>> writable(np.broadcast_to(np.zeros(1), (3,))).flags.writeable
    True
    """
    return arr if arr.flags.writeable else arr.copy()


def kernel_products(a3: np.ndarray, bt3: np.ndarray | None) -> np.ndarray:
    """The second operand of the reduction kernels (``kernels.intacc``, ``kernels.accumulate``):
    bt3 C-contiguous (``matmul`` gives the transposed view of b's rows, which the machine's
    loops take as they are), or for a sum (None) an array of a3's dtype without rows, so that
    sums and products of one dtype share their compiled kernels.

    >>> kernel_products(np.zeros((2, 3, 4), np.float32), None).shape
    (1, 0, 0)
    """
    return np.empty((1, 0, 0), a3.dtype) if bt3 is None else np.ascontiguousarray(bt3)


def output_size(a3: np.ndarray, bt3: np.ndarray | None) -> int:
    """The number of results of a reduction of a3 (G, M, n) alone (bt3 None: G * M sums) or of
    a3 by bt3 (G', P, n) (max(G, G') * M * P dot products; a batch length of 1 broadcasts).

    >>> output_size(np.zeros((2, 3, 4)), None), output_size(np.zeros((1, 3, 4)), np.zeros((5, 6, 4)))
    (6, 90)
    """
    if bt3 is None:
        return a3.shape[0] * a3.shape[1]
    return max(a3.shape[0], bt3.shape[0]) * a3.shape[1] * bt3.shape[1]


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
