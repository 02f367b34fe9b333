"""Counter-based random bits for stochastic rounding: a pure function of (seed, element index).

The bits of element ``i`` (its index in the C-order flattening of the input) are the top
``sr_bits`` bits of SplitMix64's output number ``i``:

    z = (seed + (i + 1) * 0x9E3779B97F4A7C15) mod 2**64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 mod 2**64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB mod 2**64
    z = z ^ (z >> 31)
    bits = z >> (64 - sr_bits)

SplitMix64 passes BigCrush; being a function of the counter, the bits do not depend on how
the array is chunked, on the thread count, or on the backend (NumPy, Torch, JAX).
"""
from __future__ import annotations

import numba as nb
import numpy as np

from .lanes import lane, u64

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def resolve_seed(seed) -> int:
    """A 64-bit seed from None (fresh from the OS), an int, or a numpy Generator.

    >>> resolve_seed(7)
    7
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 1 << 64, dtype=np.uint64))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed) % (1 << 64)
    raise TypeError(f"seed must be None, an int or a numpy.random.Generator; got {type(seed).__name__}")


@nb.njit(inline="always")
def splitmix_bits(seed, index, nbits):
    """The top ``nbits`` (1..63) bits of SplitMix64 output ``index`` for ``seed``, as int64
    (written in the ops vocabulary of ``numfmt.lanes``: the backends evaluate it on tensors)."""
    z = u64(seed) + (u64(index) + u64(1)) * u64(GOLDEN)
    z = (z ^ (z >> u64(30))) * u64(MIX1)
    z = (z ^ (z >> u64(27))) * u64(MIX2)
    z = z ^ (z >> u64(31))
    return lane(z >> u64(64 - nbits))


@nb.njit(inline="always")
def element_bits(rand, seed, index, nbits):
    """The random integer of element ``index``: rand[index] for explicit bits, else (rand is
    an empty array, or None: a separate compiled specialization) SplitMix64 number ``index`` of
    ``seed``. The casts pass an int64 array either way, so each kernel compiles once."""
    if rand is None:
        return splitmix_bits(seed, index, nbits)
    return rand[index] if rand.size != 0 else splitmix_bits(seed, index, nbits)


def random_bits(seed: int, shape, sr_bits: int, start: int = 0) -> np.ndarray:
    """The random integers stochastic rounding uses for an array of this shape (NumPy reference).

    >>> random_bits(1, 3, 8).tolist()
    [145, 190, 248]
    """
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(start, start + n, dtype=np.uint64) + np.uint64(1)) * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(64 - sr_bits)).astype(np.int64).reshape(shape)
