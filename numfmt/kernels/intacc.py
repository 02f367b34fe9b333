"""Numba kernel of numfmt.sum / dot / matmul with an integer accumulator.

The terms are int64 integers: the inputs (``bt`` without rows) or the exact products
``a[g, i, k] * bt[g, j, k]``. The caller guarantees that no product and no sum of the
accumulator and a term leaves int64 (``numfmt.intacc``: inputs of at most 32 bits whose
products' magnitudes plus the accumulator's fit below 2**63). The accumulator is an integer
range [lo, hi] of width hi - lo + 1 = 2**P; each addition that leaves it either wraps (two's
complement: modulo 2**P back into [lo, hi]) or saturates (clamps to lo or hi). One kernel
serves every width and both policies (they are arguments), and every order (``order``:
SEQUENTIAL, BLOCKED, EXACT).
"""
import numba as nb
import numpy as np

from ..lanes import maximum, minimum
from .arrays import alive, borrowed, empty, zeros

SEQUENTIAL, BLOCKED, EXACT = 0, 1, 2
ORDER_CODES = {"sequential": SEQUENTIAL, "blocked": BLOCKED, "exact": EXACT}

_LOW32 = np.int64(0xFFFFFFFF)
_32 = np.int64(32)


@nb.njit(inline="always")
def _fit(v, lo, hi, wrap, st):
    """v brought into [lo, hi]: modulo hi - lo + 1 (a power of two) for wrap, else clamped;
    st[0] counts the values that were outside, st[1] those of them that became 0."""
    if v < lo or v > hi:
        v = (((v - lo) & (hi - lo)) + lo) if wrap else maximum(lo, minimum(v, hi))
        _outside(v, st)
    return v


@nb.njit(inline="always")
def _outside(fitted, st):
    """Count a value outside the range that was fitted to ``fitted`` (see ``_fit``)."""
    st[0] += 1
    st[1] += fitted == 0


@nb.njit(inline="always")
def _sequential(t, lo_k, hi_k, lo, hi, wrap, st):
    """s = 0; s = fit(s + t[k]) for k = lo_k .. hi_k - 1."""
    s = np.int64(0)
    for k in range(lo_k, hi_k):
        s = _fit(s + t[k], lo, hi, wrap, st)
    return s


@nb.njit(inline="always")
def _exact(t, lo_k, hi_k, lo, hi, wrap, st):
    """fit(the exact sum of t[lo_k:hi_k]) once. The sum S is kept as H * 2**32 + L with
    0 <= L < 2**32 (carried after every term), so it never leaves int64; |S| >= 2**32 (H not
    0 or -1) lies outside every accumulator, and as hi - lo + 1 <= 2**32 divides 2**32 it
    wraps to what L wraps to."""
    H = np.int64(0)
    L = np.int64(0)
    for k in range(lo_k, hi_k):
        L += t[k] & _LOW32
        H += (t[k] >> _32) + (L >> _32)
        L &= _LOW32
    if H == 0 or H == -1:
        return _fit(L + (H << _32), lo, hi, wrap, st)
    fitted = (((L - lo) & (hi - lo)) + lo) if wrap else (hi if H > 0 else lo)
    _outside(fitted, st)
    return fitted


@nb.njit(cache=True, nogil=True)
def reduce_integer(out, status, start, a, bt, order, block, lo, hi, wrap):
    """Output elements start .. start + out.size - 1 (flat, C order, of the (G, M, P) result):
    out[o] = the accumulation of the terms of output o, a[g, i, :] when bt has no rows (a sum:
    pass an empty (1, 0, 0) array, P = 1),
    else the products a[g, i, k] * bt[g, j, k] (a and bt int64; a batch length of 1
    broadcasts), in ``order``: SEQUENTIAL (s = 0, s = fit(s + t) term by term), BLOCKED
    (sequential sums of consecutive blocks of ``block`` terms, then their sequential sum) or
    EXACT (one fit of the exact sum). status[o] = (the number of fits that overflowed, the
    number of them that gave 0)."""
    M = a.shape[1]
    P = maximum(bt.shape[1], 1)
    n = a.shape[2]
    terms = empty(n, np.int64)
    state = zeros(2, np.int64)
    st = borrowed(state)        # (the per-term steps take it: no reference counts, see kernels.arrays)
    for idx in range(out.size):
        o = start + idx
        g = o // (M * P)
        i = (o // P) % M
        row = a[g if a.shape[0] > 1 else 0, i]
        if bt.shape[1] == 0:
            for k in range(n):          # a loop, not terms[:] = row: Numba's array copy
                terms[k] = row[k]       # compiles its shape-mismatch message (2 s)
        else:
            col = bt[g if bt.shape[0] > 1 else 0, o % P]
            for k in range(n):
                terms[k] = row[k] * col[k]
        st[:] = 0
        if order == EXACT:
            s = _exact(terms, 0, n, lo, hi, wrap, st)
        elif order == BLOCKED:
            s = np.int64(0)
            for b0 in range(0, n, block):
                s = _fit(s + _sequential(terms, b0, minimum(b0 + block, n), lo, hi, wrap, st), lo, hi, wrap, st)
        else:
            s = _sequential(terms, 0, n, lo, hi, wrap, st)
        out[idx] = s
        status[idx, 0] = st[0]
        status[idx, 1] = st[1]
    alive(state)        # (st borrows its memory)
