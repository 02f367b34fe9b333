"""Numba kernels of the block family: one pass per block computes the block's amax, its scale,
and rounds every element with the element family's inlined rounding
(``kernels.floating._round_one``, ``kernels.fixed.round_fixed_one``).

The data come as a C-contiguous 3-D array ``x[row, t, j]``: block (row, j) is ``x[row, :, j]``
(the blocked axis of length block_size in the middle, the axes after it flattened into ``j``,
so any axis is blocked without a transpose). Element (row, t, j) is element
``(row * block_size + t) * inner + j`` of the C-order flattening, the index its stochastic
random number is drawn for. Kernels take a row range so callers can split the work.
"""
import math

import numba as nb
import numpy as np

from ..random import element_bits
from .fixed import round_fixed_one
from .floating import _round_one

FLOOR, CEIL, EVEN, RCEIL = 0, 1, 2, 3
NAN_EXP = -(1 << 31)          # shared exponent of a NaN scale
MAX64 = 1.7976931348623157e308
MAX32 = 3.4028234663852886e38
TINY64 = 2.2250738585072014e-308


@nb.njit(inline="always")
def shared_exponent(amax, rule, emax_elem, msig, frac_bits, s_lo, s_hi):
    """The shared exponent of a block with largest magnitude amax (NAN_EXP for a NaN scale).

    e = floor(log2 amax) comes from frexp (exact). floor: e - emax_elem; ceil: ceil(log2 amax)
    - emax_elem; even: e + (amax rounded to frac_bits fraction bits, ties away, reached 2**(e+1))
    - emax_elem; rceil: the smallest s with amax <= max_elem * 2**s, max_elem = msig * 2**emax_elem.
    Results above s_hi give NAN_EXP, below s_lo s_lo; amax = 0 gives s_lo.
    """
    if not amax <= MAX64:                 # NaN or Inf in the block
        return NAN_EXP
    if amax == 0:
        return s_lo
    m, e = math.frexp(amax)
    sig = 2.0 * m                         # amax = sig * 2**(e - 1), 1 <= sig < 2
    s = e - 1 - emax_elem
    if rule == CEIL:
        s += 1 if sig > 1.0 else 0
    elif rule == EVEN:
        s += 1 if sig >= 2.0 - 2.0 ** -(frac_bits + 1) else 0
    elif rule == RCEIL:
        s += 1 if sig > msig else 0
    if s > s_hi:
        return NAN_EXP
    return max(s, s_lo)


@nb.njit(inline="always")
def _unscaled(v, inv, scl, s):
    """v / 2**s as float64, exact; where it underflows float64's normal range (float64 inputs
    only) the result is v / 2**s rounded to odd, which rounds on to the element exactly."""
    y = v * inv
    if s > 0 and abs(y) < TINY64:
        back = y * scl
        if back != v:
            yb = np.float64(y).view(np.int64)
            sign = yb & np.int64(-(1 << 63))
            mag = yb ^ sign
            mag -= 1 if abs(back) > abs(v) else 0
            y = np.int64(sign | mag | 1).view(np.float64)
    return y


@nb.njit(cache=True, nogil=True)
def quantize_pow2(x, row_lo, row_hi, out, codes, sexp, want_code, rand, seed, stochastic,
                  p, sr, fx, rule, check32):
    """Power-of-two scales: per block the shared exponent ``sexp[row, j]`` (``shared_exponent``
    with ``rule`` = (rule, emax_elem, msig, frac_bits, s_lo, s_hi)), then every element
    x / 2**s rounded once: float elements by ``_round_one`` with parameters ``p`` (float64
    domain, saturating) and stochastic parameters ``sr``; fixed-point elements (fx[0] != 0) by
    ``round_fixed_one`` with fx = (fixed, 2**frac_bits, mode, lo, hi, 2**k, sr_nearest, mask).
    Writes codes (want_code) or values ``element * 2**s`` (NaN for NaN scales; codes 0 there).
    Returns how many values exceed float32's range when ``check32`` (out is float32), else 0.
    """
    rule_id, emax_elem, msig, frac_bits, s_lo, s_hi = rule
    fixed, fscale, fmode, flo, fhi, two_k, sr_nearest, code_mask = fx
    bs = x.shape[1]
    inner = x.shape[2]
    k = sr[0]
    amax = np.zeros(inner)
    inv = np.zeros(inner)
    scl = np.zeros(inner)
    too_big = 0
    for r in range(row_lo, row_hi):
        amax[:] = 0.0
        for t in range(bs):
            for j in range(inner):
                a = abs(np.float64(x[r, t, j]))
                amax[j] = a if (a > amax[j]) | (a != a) else amax[j]    # a NaN sticks
        for j in range(inner):
            s = shared_exponent(amax[j], rule_id, emax_elem, msig, frac_bits, s_lo, s_hi)
            sexp[r, j] = s
            if s != NAN_EXP:
                inv[j] = math.ldexp(1.0, -s)
                scl[j] = math.ldexp(1.0, s)
        for t in range(bs):
            for j in range(inner):
                s = sexp[r, j]
                if s == NAN_EXP:
                    if want_code:
                        codes[r, t, j] = 0
                    else:
                        out[r, t, j] = np.nan
                    continue
                y = _unscaled(np.float64(x[r, t, j]), inv[j], scl[j], s)
                rnd = element_bits(rand, seed, (r * bs + t) * inner + j, k) if stochastic else 0
                if fixed:
                    q = round_fixed_one(y * fscale, fmode, flo, fhi, False, rnd, two_k, sr_nearest) + 0.0
                    if want_code:
                        codes[r, t, j] = np.int64(q) & code_mask
                        continue
                    v = q / fscale * scl[j]
                else:
                    q = _round_one(np.float64(y).view(np.int64), p, want_code, 52, 1023, stochastic, rnd, sr)
                    if want_code:
                        codes[r, t, j] = q
                        continue
                    v = np.int64(q).view(np.float64) * scl[j]
                if check32 and abs(v) > MAX32:
                    too_big += 1
                out[r, t, j] = v
    return too_big


@nb.njit(cache=True, nogil=True)
def quantize_fp32_scaled(x, row_lo, row_hi, out, codes, svals, want_code, rand, seed, stochastic,
                         p, sr, scale_p, ts, elem_max, scale_tiny, scale_max):
    """Scales with fraction bits (NVFP4), every step in float32 as torchao's ``_nvfp4_quantize``:
    block scale = round_to_scale(clamp(fl32(fl32(amax / elem_max) / ts), scale_tiny, scale_max))
    (``scale_p``: nearest-even parameters of the scale format, float32 domain), total =
    fl32(ts * block scale), element = round(clamp(fl32(x / total), +-elem_max)) with ``p`` / ``sr``
    (float32 domain); values fl32(element * total). A non-finite amax gives the NaN scale
    (``svals`` NaN; values NaN, codes 0). x is float32.
    """
    bs = x.shape[1]
    inner = x.shape[2]
    k = sr[0]
    emax32 = np.float32(elem_max)
    amax = np.zeros(inner, np.float32)
    total = np.zeros(inner, np.float32)
    for r in range(row_lo, row_hi):
        amax[:] = 0.0
        for t in range(bs):
            for j in range(inner):
                a = abs(x[r, t, j])
                amax[j] = a if (a > amax[j]) | (a != a) else amax[j]
        for j in range(inner):
            if not amax[j] <= MAX32:
                svals[r, j] = np.nan
                total[j] = np.nan
                continue
            b = np.float32(np.float32(amax[j] / emax32) / ts)
            b = min(max(b, np.float32(scale_tiny)), np.float32(scale_max))
            sv = np.int32(_round_one(np.int64(np.float32(b).view(np.int32)), scale_p, False, 23, 127))
            svals[r, j] = sv.view(np.float32)
            total[j] = np.float32(ts * sv.view(np.float32))
        for t in range(bs):
            for j in range(inner):
                tot = total[j]
                if tot != tot:
                    if want_code:
                        codes[r, t, j] = 0
                    else:
                        out[r, t, j] = np.nan
                    continue
                y = min(max(np.float32(x[r, t, j] / tot), -emax32), emax32)
                rnd = element_bits(rand, seed, (r * bs + t) * inner + j, k) if stochastic else 0
                q = _round_one(np.int64(np.float32(y).view(np.int32)), p, want_code, 23, 127, stochastic, rnd, sr)
                if want_code:
                    codes[r, t, j] = q
                else:
                    out[r, t, j] = np.float32(np.int32(q).view(np.float32) * tot)
