"""Numba kernels of the quire: exact sums of products of posit<n, es> values on the long
accumulator (``kernels.longacc``), rounded once by ``kernels.posit.round_exact``.

The inputs are float64 arrays of posit values (the caller checks them with
``kernels.posit.count_not_values``; NaN stands for NaR): every posit value of at most 32 bits
is a normal float64 number with at most 29 significant bits, so a product of two has a
significand below 2**58. Every posit value is an integer multiple of minpos = 2**-maxscale,
so every product is a multiple of 2**(-2 * maxscale): that is the accumulator's least
significant bit (``lsb_exp``).
"""
import numba as nb
import numpy as np

from ..random import element_bits
from .exact import unpack_float64
from .arrays import alive, borrowed, zeros
from .inner import inner_inline
from .longacc import longacc_add, longacc_value
from .posit import EXP64, posit_float_bits, round_exact

_ABS = np.int64((1 << 63) - 1)
_EXP64 = np.int64(EXP64)


@inner_inline
def _accumulate(acc, lsb_exp, xa, xb, negate):
    """acc += (-1)**negate * sum(a[i] * b[i]) for 1-D float64 arrays of posit values, as their
    bits xa, xb (int64: a view taken in Python, not in the kernel, where each view is one more
    compile); True if a NaR (NaN) was met (the accumulator is then left as it is: the caller
    marks the quire NaR)."""
    for i in range(xa.size):
        if (xa[i] & _ABS) > _EXP64 or (xb[i] & _ABS) > _EXP64:
            return True
        neg_a, sig_a, exp_a = unpack_float64(xa[i])
        neg_b, sig_b, exp_b = unpack_float64(xb[i])
        if sig_a != 0 and sig_b != 0:
            longacc_add(acc, lsb_exp, neg_a ^ neg_b ^ negate, sig_a * sig_b, exp_a + exp_b)
    return False


@nb.njit(cache=True, nogil=True)
def accumulate(acc, lsb_exp, xa, xb, negate):
    """``_accumulate`` as a kernel (the Quire object's add_product / sub_product); acc lent
    to the per-term additions without reference counts (``kernels.arrays.borrowed``)."""
    return _accumulate(borrowed(acc), lsb_exp, xa, xb, negate)


@nb.njit(cache=True, nogil=True)
def round_quire(acc, lsb_exp, n, es, p, sr, rnd):
    """The posit code of the accumulated value, rounded once (normalizes acc in place)."""
    neg, sig, exp = longacc_value(acc, lsb_exp)
    return round_exact(neg, sig, exp, n, es, p, rnd, sr)


@nb.njit(cache=True, nogil=True)
def dot_rows(a, out, start, b, limbs, lsb_exp, n, es, p, sr, rand, seed):
    """out[r] = float64 bits of sum_k a[r, k] * b[start + r, k] (a, b: float64 posit values as
    their int64 bits) rounded
    once (NaN, NaR, if any value is NaR); row r uses random number start + r under stochastic
    rounding (sr None: p is deterministic, and no stochastic code is compiled). (Values, not
    codes: a first call compiles no decode of its own.)"""
    b = b[start:start + a.shape[0]]
    limb_array = zeros(limbs, np.int64)
    acc = borrowed(limb_array)      # (the per-term additions take it: no reference counts)
    nar = np.int64(1) << (n - 1)
    for r in range(a.shape[0]):
        acc[:] = 0
        code = nar
        if not _accumulate(acc, lsb_exp, a[r], b[r], np.int64(0)):
            rnd = np.int64(0) if sr is None else element_bits(rand, seed, start + r, sr[0])
            neg, sig, exp = longacc_value(acc, lsb_exp)
            code = round_exact(neg, sig, exp, n, es, p, rnd, sr)
        out[r] = posit_float_bits(code, n, es, np.bool_(True))
    alive(limb_array)       # (acc borrows its memory)
