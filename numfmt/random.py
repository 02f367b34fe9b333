"""Counter-based random bits for stochastic rounding: a pure function of (seed, element index).

The bits of element ``i`` (its index in the C-order flattening of the input) come from
SplitMix64's output number ``c``, ``w(c)``:

    z = (seed + (c + 1) * 0x9E3779B97F4A7C15) mod 2**64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 mod 2**64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB mod 2**64
    w(c) = z ^ (z >> 31)

For sr_bits <= 32 one output serves two elements: element ``i`` takes the 32-bit word
``w(i >> 1) mod 2**32`` (even i: the low half) or ``w(i >> 1) >> 32`` (odd i: the high half),
and its bits are the top sr_bits bits of that word, ``word >> (32 - sr_bits)``. For
sr_bits > 32 element ``i`` takes the top sr_bits bits of ``w(i)``, ``w(i) >> (64 - sr_bits)``.

SplitMix64 passes BigCrush; being a function of the counter, the bits do not depend on how
the array is chunked, on the thread count, or on the backend (NumPy, Torch, JAX).

``rng="squares"`` selects Widynski's Squares instead ("Squares: A Fast Counter-Based RNG",
arXiv 2004.06278), also a pure function of (key, counter): element ``i`` gets the top
``sr_bits`` bits of ``squares64(i, key)``. For sr_bits <= 32 these are the top bits of
``squares32(i, key)`` (the fifth round of squares64 only changes its low 32 bits), which is
what is computed there (four rounds instead of five). The key is ``squares_key(seed)``.
"""
from __future__ import annotations

import sys

import numba as nb
import numpy as np

from .kernels.arrays import view_as
from .lanes import lane, u64, where
from .parallel import run_ranges

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
RNGS = ("splitmix64", "squares")
SQUARES_KEY_SALT = 0x5371756172657321     # "Squares!": the key's draws are not the SR numbers
_M64 = (1 << 64) - 1


def resolve_seed(seed) -> int:
    """A 64-bit seed from None (fresh from the OS), an int (taken modulo 2**64: -1 is
    2**64 - 1), or a numpy Generator (a seed drawn from it).

    >>> resolve_seed(7), resolve_seed(-1) == 2**64 - 1
    (7, True)
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
    """The ``nbits`` (1..63) random bits of element ``index`` for ``seed`` (the module's
    definition), as int64; written in the ops vocabulary of ``numfmt.lanes``: the backends
    evaluate it on tensors."""
    i = u64(index)
    if nbits > 32:
        return splitmix_output(u64(seed) + (i + u64(1)) * u64(GOLDEN), nbits)
    w = splitmix64(u64(seed) + ((i >> u64(1)) + u64(1)) * u64(GOLDEN))
    lo = w & u64(0xFFFFFFFF)
    word = lo ^ ((lo ^ (w >> u64(32))) * (i & u64(1)))      # odd index: the high half
    return lane(word >> u64(32 - nbits))


@nb.njit(inline="always")
def splitmix64(z):
    """SplitMix64's output for the state z (a uint64: seed + (c + 1) * GOLDEN for output c; a
    loop may step it by GOLDEN), as uint64."""
    z = (z ^ (z >> u64(30))) * u64(MIX1)
    z = (z ^ (z >> u64(27))) * u64(MIX2)
    return z ^ (z >> u64(31))


@nb.njit(inline="always")
def splitmix_output(z, nbits):
    """The top ``nbits`` (1..63) bits of SplitMix64's output for the state z, as int64."""
    return lane(splitmix64(z) >> u64(64 - nbits))


DRAW_BLOCK = 256    # elements per call of ``draw_words``: the loops' blocks
_LITTLE = sys.byteorder == "little"


@nb.njit(inline="always")
def draw_words(buf, seed, first, count, k):
    """Draw the random bits of elements first .. first + count - 1 into buf (uint64, at least
    count // 2 + 2 long for k <= 32, else count; the loops' buffers hold DRAW_BLOCK + 2) and
    return off, so that ``drawn_bits(buf, words, off,
    j, k)`` (words = buf.view(np.uint32)) is element first + j's. For k <= 32 one SplitMix64
    output per pair of elements, stored whole: its halves are the two elements' words, in
    order in ``words`` (off = first & 1: an odd first element is a high half); for k > 32 one
    per element. The loops vectorize (a draw per element of a pair does not)."""
    pairs = k <= 32
    z = pair_state(seed, first) if pairs else u64(seed) + (u64(first) + u64(1)) * u64(GOLDEN)
    for m in range(((first & 1) + count + 1) >> 1 if pairs else count):
        buf[m] = pair_word(z) if pairs else splitmix64(z)
        z += u64(GOLDEN)
    return first & 1 if pairs else 0


@nb.njit(inline="always")
def pair_state(seed, first):
    """SplitMix64's state for the output whose halves are the words of elements first & ~1 and
    first | 1 (k <= 32); the next pair's state is GOLDEN further."""
    return u64(seed) + ((u64(first) >> u64(1)) + u64(1)) * u64(GOLDEN)


@nb.njit(inline="always")
def pair_word(z):
    """SplitMix64's output for the state z as a uint64 whose uint32 halves, in memory order,
    are the words of its pair's two elements (the even one's first)."""
    w = splitmix64(z)
    return w if _LITTLE else (w >> u64(32)) | (w << u64(32))


@nb.njit(inline="always")
def draw_tops(buf, tops, seed, first, count, k):
    """(zs, off): zs the random bits of elements first .. first + count - 1 each at the top of
    a uint32, the k bits, the rest clear (the top 32 of them for k > 32), as a uint32 array: a
    view of buf (uint64, at least count // 2 + 2 long, count for k > 32: the loops' blocks
    hold DRAW_BLOCK + 2), where ``draw_words`` draws them, or for k > 32 of tops (uint32, at
    least count long); off is draw_words', so that ``drawn_bits`` still reads all k bits. A loop that reads zs reads one
    contiguous array (a select on k between two would keep LLVM's loop to 4 lanes on AVX2)."""
    off = draw_words(buf, seed, first, count, k)
    if k > 32:
        for j in range(count):
            tops[j] = np.uint32(buf[j] >> u64(32))
        return tops[:count], off
    zs = view_as(buf, np.uint32)[off:off + count]
    if k < 32:
        topk = np.uint32(np.uint32(0xFFFFFFFF) << np.uint32(32 - k))
        for j in range(count):
            zs[j] &= topk
    return zs, off


@nb.njit(inline="always")
def drawn_bits(buf, words, off, j, k):
    """The k random bits of element j of a block drawn by ``draw_words``, as int64 (a select,
    not a branch, on k: a branch would have LLVM compile the caller's loop twice)."""
    return lane(where(k <= 32, u64(words[u64(off + j)]) >> u64((32 - k) & 31), buf[u64(j)] >> u64((64 - k) & 63)))


@nb.njit(inline="always")
def element_bits(rand, seed, index, nbits):
    """The random integer of element ``index``: rand[index] for explicit bits, else (rand is
    an empty array, or None: a separate compiled specialization) SplitMix64 number ``index`` of
    ``seed``. The casts pass an int64 array either way, so each kernel compiles once. rand is
    read at a uint64 index: with a signed one's negative-index wraparound, AVX-512 builds of
    the kernels' loops gathered it."""
    if rand is None:
        return splitmix_bits(seed, index, nbits)
    return rand[np.uint64(index)] if rand.size != 0 else splitmix_bits(seed, index, nbits)


def squares_key(seed: int) -> int:
    """The Squares key of a 64-bit seed: 16 hex digits drawn as the paper's key generator
    (``keys.h``) does, from SplitMix64 numbers 0..15 of ``seed ^ SQUARES_KEY_SALT`` (draw j,
    r_j, picks digit j, counting from the least significant):

    - digit 0: an odd digit, (1, 3, ..., 15)[r_0 % 8];
    - digits 1..7: distinct nonzero digits, different from digit 0: from the remaining ones
      in increasing order, the one at r_j % (number left), removed once taken;
    - digits 8..15: nonzero, each different from the one before it: from the 14 candidates in
      increasing order, the one at r_j % 14.

    So the key is odd, its low half has eight distinct nonzero digits and no digit is zero,
    the properties the paper asks of a key; the map is fixed, so a seed always gives the same key.

    >>> hex(squares_key(0)), squares_key(1) % 2
    ('0x413be9b6dab1c8ef', 1)
    """
    draws = [int(r) for r in random_bits((int(seed) ^ SQUARES_KEY_SALT) & _M64, 16, 62)]
    digits = [(1, 3, 5, 7, 9, 11, 13, 15)[draws[0] % 8]]
    pool = [d for d in range(1, 16) if d != digits[0]]
    for j in range(1, 8):
        digits.append(pool.pop(draws[j] % len(pool)))
    for j in range(8, 16):
        candidates = [d for d in range(1, 16) if d != digits[-1]]
        digits.append(candidates[draws[j] % 14])
    return sum(d << (4 * j) for j, d in enumerate(digits))


@nb.njit(inline="always")
def _rot32(x):
    return (x >> u64(32)) | (x << u64(32))


@nb.njit(inline="always")
def squares_bits(key, ctr, nbits):
    """The top ``nbits`` (1..63) bits of squares64(ctr, key) (uint64 arithmetic mod 2**64), as
    int64; for nbits <= 32 computed as the top bits of squares32, which are the same. Written in
    the ops vocabulary of ``numfmt.lanes``, as ``splitmix_bits``."""
    x = y = u64(ctr) * u64(key)
    z = y + u64(key)
    x = _rot32(x * x + y)             # round 1
    x = _rot32(x * x + z)             # round 2
    x = _rot32(x * x + y)             # round 3
    t = x * x + z                     # round 4: squares32 is t >> 32
    if nbits <= 32:
        return lane(t >> u64(64 - nbits))
    x = _rot32(t)
    return lane((t ^ ((x * x + y) >> u64(32))) >> u64(64 - nbits))   # round 5


@nb.njit(cache=True, nogil=True)
def _squares_at(out, index, key, nbits):
    """out[i] = squares_bits(key, index[i], nbits) (``counter_bits``)."""
    for i in range(out.size):
        out[i] = squares_bits(key, index[i], nbits)


@nb.njit(cache=True, nogil=True)
def _splitmix_at(out, index, seed, nbits):
    """out[i] = splitmix_bits(seed, index[i], nbits) (``counter_bits``)."""
    for i in range(out.size):
        out[i] = splitmix_bits(seed, index[i], nbits)


SQUARES_WORK = 2                # ``numfmt.parallel`` units (about 1 ns) per Squares number


def random_bits(seed: int, shape, sr_bits: int, start: int = 0, rng: str = "splitmix64") -> np.ndarray:
    """The random integers stochastic rounding uses for an array of this shape: number
    start + i's bits for element i (C order; see the module docstring); ``rng`` "splitmix64"
    (the kernels' generator) or "squares" (key ``squares_key(seed)``), computed by
    ``counter_bits``.

    >>> random_bits(1, 3, 8).tolist()
    [137, 145, 101]
    >>> random_bits(1, 3, 8, rng="squares").tolist()
    [44, 14, 227]
    """
    n = int(np.prod(shape))
    return counter_bits(seed, np.arange(start, start + n, dtype=np.uint64), sr_bits, rng).reshape(shape)


def counter_bits(seed: int, index: np.ndarray, sr_bits: int, rng: str = "splitmix64") -> np.ndarray:
    """The random integers of the elements with these C-order indices (any integer array; the
    result has its shape): the bits of elements index[...], as ``random_bits`` (computed by a
    compiled loop in threads: the bits do not depend on the thread count).

    >>> counter_bits(1, np.array([[2], [0]]), 8).tolist(), counter_bits(1, np.array([1]), 8, rng="squares").tolist()
    ([[101], [137]], [14])
    """
    if rng not in RNGS:
        raise ValueError(f"rng must be one of {RNGS}; got {rng!r}")
    flat = np.ascontiguousarray(index, np.uint64).reshape(-1)
    out = np.empty(flat.size, np.int64)
    if rng == "squares":
        key = np.uint64(squares_key(seed))
        run_ranges(lambda lo, hi: _squares_at(out[lo:hi], flat[lo:hi], key, np.int64(sr_bits)), flat.size,
                   SQUARES_WORK)
    else:
        run_ranges(lambda lo, hi: _splitmix_at(out[lo:hi], flat[lo:hi], np.uint64(seed), np.int64(sr_bits)),
                   flat.size)
    return out.reshape(np.shape(index))
