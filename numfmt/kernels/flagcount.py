"""The report's flags as bits and their counts (``numfmt.report.FLAGS`` order), for the kernels
that count what a cast did (``kernels.report``, and the block casts that count as they round,
``kernels.block``): a counts array holds the NFLAGS counts, then the global index of the
first element that set each (-1: none yet); ``_spread`` sums the flags of many elements in
registers."""
import numpy as np

from .arrays import zeros
from .inner import inner_inline

NFLAGS = 9
FIELD_MAX = 0xFFFF      # the largest count a ``_spread`` field holds (16 bits)
INEXACT, OVERFLOW, SATURATED, UNDERFLOW, FLUSHED, SUBNORMAL, INVALID, NAN_IN = (1 << k for k in range(8))


@inner_inline
def _first(c, k, index, hit=True):
    """Note index as the first that set count k, unless an earlier one did; only where ``hit``,
    which is tested last (a count that has its first index skips it: a branch on a flag that
    is as good as random, as inexact, is then taken seldom)."""
    if (c[NFLAGS + k] < 0 or index < c[NFLAGS + k]) and hit:
        c[NFLAGS + k] = index


@inner_inline
def _new_counts():
    c = zeros(2 * NFLAGS, np.int64)
    c[NFLAGS:] = -1
    return c


@inner_inline
def _spread(m):
    """The flags m (bits 0-7) as two integers of four 16-bit fields each (flags 0-3 and 4-7):
    summed over up to FIELD_MAX elements in registers, they count every flag at once (``_unpack``);
    a histogram or array of counts would go through memory for every element."""
    return ((m & 1) | ((m & 2) << 15) | ((m & 4) << 30) | ((m & 8) << 45),
            ((m >> 4) & 1) | ((m & 32) << 11) | ((m & 64) << 26) | ((m & 128) << 41))


def spread_words(m: int) -> tuple:
    """``_spread`` of the flags m called from Python, for module constants (a compiled helper
    has no Python wrapper: its ``py_func``; under NUMBA_DISABLE_JIT the function itself).

    >>> [hex(w) for w in spread_words(INEXACT | SUBNORMAL)]
    ['0x1', '0x10000']
    """
    return getattr(_spread, "py_func", _spread)(m)


@inner_inline
def _field(lo, hi, k):
    """The count of flag k (0-7) summed in ``_spread``'s fields lo, hi."""
    return ((hi if k >= 4 else lo) >> (16 * (k & 3))) & FIELD_MAX


@inner_inline
def _unpack(c, lo, hi):
    """Add the counts summed in ``_spread``'s fields to c."""
    for k in range(8):
        c[k] += _field(lo, hi, k)


@inner_inline
def _unpack_into(per, b, lo, hi):
    """Add the counts summed in ``_spread``'s fields to per[:, b]."""
    for k in range(8):
        per[k, b] += _field(lo, hi, k)


@inner_inline
def _firsts(c, m, index, seen):
    """Note index as the first of the flags m not yet ``seen`` (checked once per element, the
    loop over flags only for new ones); the flags seen now."""
    if m & ~seen:
        for k in range(NFLAGS):
            if (m >> k) & 1:
                _first(c, k, index)
        seen |= m
    return seen


@inner_inline
def _present(lo, hi):
    """The flags whose ``_spread`` fields in lo, hi are nonzero."""
    m = 0
    for k in range(8):
        m |= (1 << k) if _field(lo, hi, k) else 0
    return m
