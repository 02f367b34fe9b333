"""Numba kernels of the quire: exact sums of products of posit<n, es> codes on the long
accumulator (``kernels.longacc``), rounded once by ``kernels.posit.round_exact``.

Every posit value is an integer multiple of minpos = 2**-maxscale, so every product is a
multiple of 2**(-2 * maxscale): that is the accumulator's least significant bit (``lsb_exp``).
A product of two unpacked posits has a significand below 2**58 (at most 29 bits each).
"""
import numba as nb
import numpy as np

from ..random import element_bits
from .longacc import longacc_add, longacc_value
from .posit import round_exact, unpack_posit


@nb.njit(forceinline=True)
def _accumulate(acc, lsb_exp, a, b, negate, n, es):
    """acc += (-1)**negate * sum(a[i] * b[i]) for 1-D arrays of codes; True if a NaR was met
    (the accumulator is then left as it is: the caller marks the quire NaR)."""
    for i in range(a.size):
        nar_a, neg_a, sig_a, exp_a = unpack_posit(np.int64(a[i]), n, es)
        nar_b, neg_b, sig_b, exp_b = unpack_posit(np.int64(b[i]), n, es)
        if nar_a or nar_b:
            return True
        if sig_a != 0 and sig_b != 0:
            longacc_add(acc, lsb_exp, neg_a ^ neg_b ^ negate, sig_a * sig_b, exp_a + exp_b)
    return False


@nb.njit(cache=True, nogil=True)
def accumulate(acc, lsb_exp, a, b, negate, n, es):
    """``_accumulate`` as a kernel (the Quire object's add_product / sub_product)."""
    return _accumulate(acc, lsb_exp, a, b, negate, n, es)


@nb.njit(cache=True, nogil=True)
def round_quire(acc, lsb_exp, n, es, p, sr, rnd):
    """The posit code of the accumulated value, rounded once (normalizes acc in place)."""
    neg, sig, exp = longacc_value(acc, lsb_exp)
    return round_exact(neg, sig, exp, n, es, p, rnd, sr)


@nb.njit(cache=True, nogil=True)
def dot_rows(a, out, start, b, limbs, lsb_exp, n, es, p, sr, rand, seed):
    """out[r] = code of sum_k a[r, k] * b[start + r, k] rounded once (NaR if any code is NaR);
    row r uses random number start + r under stochastic rounding."""
    b = b[start:start + a.shape[0]]
    acc = np.zeros(limbs, np.int64)
    for r in range(a.shape[0]):
        acc[:] = 0
        if _accumulate(acc, lsb_exp, a[r], b[r], 0, n, es):
            out[r] = np.int64(1) << (n - 1)
            continue
        rnd = element_bits(rand, seed, start + r, sr[0]) if p.stochastic else np.int64(0)
        neg, sig, exp = longacc_value(acc, lsb_exp)
        out[r] = round_exact(neg, sig, exp, n, es, p, rnd, sr)
