"""Element-wise arithmetic that the machine's own float64 or float32 arithmetic performs as
emulated: float32 operands and results. In float64, rounded once by the cast's ``round_one``:
one kernel serves add, sub, mul and fma (``OPS``) in every format and deterministic mode, one
each div and sqrt, and each has a stochastic-rounding twin (``KERNELS``). In float32, checked
and rounded by the float32 casts' uint32 steps (16 lanes to an AVX-512 register; ``KERNELS32``,
``same_range32_kernel``, ``fast32_sr_kernel``; see "float32 lanes" below; div, sqrt and fma in
the other modes: ``fast32_modes_kernel``; stochastic: ``ODD_SR_KERNELS32``), and all but the last have
counting twins for report=True (``count_kernel32``; see "report=True" near the end). The exact
results of float32 operands rounded to odd at 53 bits, for the reports of the other kernels:
``odd_stand_in64_kernel``.

The float64 result m of an operation on values of a format is rounded once to the format;
``numfmt.arithmetic.floating`` takes these kernels only where that is the emulation exactly:

- *exact* (``exact_in_float64``): m is the exact result, so rounding m is the one rounding, in every
  mode, stochastic rounding included (the discarded fraction is exact). A sum of two values
  (multiples of the smallest quantum 2**qsub below 2**maxexp) is a multiple of 2**qsub below
  2**(maxexp + 1): maxexp + 1 - qsub bits; a product of two p-bit significands has at most 2p
  bits, is a multiple of 2**(2 qsub) and lies below 2**(2 maxexp); an fma's exact value is a
  multiple of 2**min(2 qsub, qsub) below 2**(max(2 maxexp, maxexp) + 1). float64 (53 bits,
  quantum 2**-1074, overflow 2**1024) holds every such number when the bit count is at most 53
  and the bounds are within its range: e4m3's sums (19 bits), products (8 bits, 2**-18 ..
  2**18) and fma results (37 bits), e5m2's and binary16's sums (33 and 41 bits), bfloat16's
  products (16 bits, 2**-266 .. 2**256); not bfloat16's sums (260 bits).
- *round to odd* (add, sub, div, sqrt): as ``kernels.arith.odd_quotient_bits``, the exact sum,
  quotient or root rounded to odd at 53 bits from float64's own result and its exact error
  (a sum's by TwoSum, a quotient's or root's residual by ``kernels.arith.residual``: Dekker's
  product); rounding that once more to p <= 51 bits is the correct rounding in every
  deterministic mode, and keeps the discarded fraction exact to 51 - p bits, enough for
  stochastic rounding with k random bits where p + k <= 51 (as the float64 route of
  ``kernels.arith``). Values of formats that float32 holds, their sums, quotients and roots
  lie within 2**-298 .. 2**277, where the residual and TwoSum's error are exact (bfloat16
  add, 4M float32, 1 thread: stochastic 41 -> 9 ms, toward_zero 19 -> 7 ms, against the
  float64 route).
- *innocuous double rounding* (``innocuous_format``): under round to nearest even, a sum x + y
  rounded to nearest at float64's 53 bits and then once more to the format's p bits is its
  correct rounding when 53 >= 2p + 2 (Figueroa, "When is double rounding innocuous?", SIGNUM
  Newsletter 30(3), 1995), i.e. p <= 25: bfloat16, binary32, which then skip the rounding to
  odd (binary32 add, 4M values, 1 thread: 6.3 ms, 7.7 ms with it).

The machine computes in round to nearest even; under toward_negative (``rdn``) a sum is taken
as -((-a) + (-b)): the same number (the sums taken here are exact or rounded to nearest, which
is symmetric), but an exact zero is -0 unless both operands are +0, as IEEE 754 asks. ``tiny``
is float32's smallest subnormal, passed at run time: where ``tiny + tiny`` is 0 the thread
flushes subnormals (FTZ / DAZ), nothing is computed and bad[1] = 1 (the caller then runs the
exact core).

float32 lanes (``numfmt.arithmetic.floating.nearest_in_float32`` and ``exact_in_float32`` pick
them). A float32 x is a value of the format iff rounding it to nearest even leaves it (apart
from the sign of zero; NaN where the format has one). The result is float32's own (round to
nearest even, subnormals kept) rounded once more, to nearest even (``nearest32_one``; bfloat16:
``round_same_range``) or stochastically (``sr_add_one``, where float32's result is exact: the
same random number start + i for element i as the casts and the float64 kernels draw).
Formats of precision p, smallest quantum 2**qsub >= 2**-149; a wrong double rounding needs
float32's result y = RN24(x) to be a midpoint m of the format's grid (p + 1 bits) with x != m:

- *exact*: sums of values below 2**128 with at most 24 bits from 2**qsub (e4m3: 19 bits),
  products of at most 24 bits from 2**(2 qsub) >= 2**-149, below 2**128 (e4m3, e5m2, binary16).
- *sums*, p <= 11: below 2**-126 a sum of multiples of 2**qsub is exact in float32; above,
  24 >= 2p + 2 (Figueroa, "When is double rounding innocuous?", 1995). The format's rounding is
  the unbounded-exponent rounding followed by the overflow test, so its subnormals (fewer bits)
  and overflow threshold keep the argument; float32 overflows only where x is past the format's
  (bfloat16: float32's Inf and the format's overflow are the same result in the casts' kernels).
- *products*, p <= 12: at most 2p <= 24 bits, exact at or above 2**-126. Below, y is x rounded
  to a multiple of 2**-149: x = AB * 2**e with A, B < 2**p. Where e >= -149, x - m is a nonzero
  multiple of 2**-149 (m is, as qsub - 1 >= -149), more than half of it. Where e = -150, y = m
  needs x = m +- 2**-150 with AB odd and AB = M * 2**(qsub + 149) +- 1 >= 2**(qsub + 149) - 1,
  impossible where 2p <= qsub + 149 (AB <= (2**p - 1)**2 < 2**(2p) - 1). Where e <= -151,
  x < 2**(2p - 151) <= 2**(qsub - 2), below every midpoint by more than 2**-150. bfloat16:
  2p = 16 = qsub + 149.
- *quotients*, p <= 11, every quotient in float32's normal range (|y - x| <= 2**(E - 24),
  2**E <= x): a = A 2**alpha, b = B 2**beta, m = M 2**mu (A, B < 2**p, M < 2**(p + 1), any
  scale: format subnormals included); x - m = (a - m b) / b is a nonzero multiple of
  2**min(alpha, mu + beta) over b < 2**(beta + p): |x - m| > 2**(min(alpha - beta, mu) - p),
  and E <= min(alpha - beta, mu) + p, so |x - m| > 2**(E - 2p) >= 2**(E - 22). The formats
  of float32's exponent field (bfloat16, tf32), whose quotients leave float32's normal range:
  below 2**-126 float32 rounds x to a multiple of 2**-149, and the format's midpoints there
  are multiples of 2**mu, mu = qsub - 1 = -126 - p. Where alpha - beta >= mu, |x - m| >
  2**(mu - p) >= 2**-148 (p <= 11); else x < 2**(alpha - beta + 1) <= 2**mu, the smallest
  midpoint, and x <= (2 - 2**(1 - p)) 2**(mu - 1) lies 2**(mu - p) or more below it. Beyond
  float32's range x overflows the format too: float32's Inf rounds as the format's overflow.
- *roots*, p <= 10: x - m = (a - m**2) / (x + m), a - m**2 a nonzero multiple of
  2**min(alpha, 2 mu), x + m < 2**(E + 2), E <= mu + p and 2E <= alpha + p: |x - m| >
  2**(E - 24) where p <= 10.
- *fma*, products exact in float32, sums below 2**127: s = RN24(x y + z) and its exact error
  (TwoSum) give x y + z rounded to odd at 24 bits, which rounds once more correctly to p <= 22
  bits (``fma_odd32``).
"""
from typing import NamedTuple

import numba as nb
import numpy as np

from ..lanes import maximum, minimum
from ..random import DRAW_BLOCK, draw_words, splitmix_bits
from .arith import not_value, odd_quotient, odd_root, odd_sum_bits, residual
from ..casts.common import NO_RANDOM_BITS
from ..casts.report import adds32
from .report import (CAST_TILE, MAG32, NFLAGS, ONE, _added_params, _cases32, _derive, _directed_step, _given_step,
                     _mask, _nearest_step, _new_counts, _seeded_step, add_counts, added_tally, normal_tally,
                     scan_firsts, step_tally, sum_step_tally, sum_tally)
from .floating import (DETERMINISTIC, DOM32, DOM64, NO_RND, NO_SR, STOCHASTIC, U32, U64, VALUE, _finish32,
                       fma_odd32, grid32, odd32, same_range32_one, same_range32_params, sqrt_odd32, sr_add_one,
                       nearest32_one, round_one, sr_add_range, sr_range_consts, top_bits32)
from .inner import inner, inner_inline
from .vectors import tick, ticks, wide_vectors
from .arrays import bits_as, borrowed, empty, view_as, zeros

_NAN64 = np.int64(0x7FF8) << 48   # one NaN (positive, quiet), as the exact route gives


OPS = {"add": 0, "sub": 1, "mul": 2, "fma": 3, "div": 4, "sqrt": 5}


@inner_inline
def _add_mul_fma(a, b, c, op, rdn):
    """The float64 bits of OPS[op] (add, sub, mul or fma) of the float32 operands in float64
    (one NaN for every NaN), branch-free (every candidate is computed, one selected: they cost
    less than a branch)."""
    x, y, z = np.float64(a), np.float64(b), np.float64(c)
    prod = x * y
    u, w = prod if op == 3 else x, -y if op == 1 else (z if op == 3 else y)
    v = prod if op == 2 else (-((-u) + (-w)) if rdn else u + w)
    return _NAN64 if v != v else bits_as(np.float64(v), np.int64)


@inner_inline
def _sum_odd(a, b, c, op, rdn):
    """The exact a + b (op 0) or a - b (op 1) of the float32 operands rounded to odd at 53
    bits: the float64 route's TwoSum (``kernels.arith.odd_sum_bits``; exact: the operands lie
    far inside float64's range), zeros and specials as IEEE 754 gives them (one NaN)."""
    w = -np.float64(b) if op == 1 else np.float64(b)
    return odd_sum_bits(bits_as(np.float64(a), np.int64), bits_as(np.float64(w), np.int64), rdn)


@inner_inline
def _div(a, b, c, op, rdn):
    """The exact a / b rounded to odd at 53 bits (``kernels.arith.odd_quotient``: values of
    formats that float32 holds, and their quotients, lie in its range)."""
    return odd_quotient(np.float64(a), np.float64(b))


@inner_inline
def _sqrt(a, b, c, op, rdn):
    """The exact sqrt(a) rounded to odd at 53 bits (``kernels.arith.odd_root``)."""
    return odd_root(np.float64(a))


@inner_inline
def _no_draw(rand, seed, index, sr):
    """No random bits (the deterministic kernel: ``element_bits`` is not even compiled)."""
    return NO_RND


@inner_inline
def _seeded(rand, seed, index, sr):
    """SplitMix64 number ``index`` of ``seed`` (k = sr[0] bits); rand is not read (see
    ``_stochastic_loop``)."""
    return splitmix_bits(seed, index, sr[0])


@inner_inline
def _given(rand, seed, index, sr):
    """The explicit random number ``index`` (at a uint64 index, as ``element_bits`` reads it)."""
    return rand[U64(index)]


class Check32(NamedTuple):
    """What ``_lean_values32`` reads of a format (as ``Fast32Params``' fields of those names), for
    the float64 kernels' operand check: ``arithmetic.floating.check32_params`` (``NO_CHECK32``
    where it cannot tell: it passes no operand)."""
    lsb: np.uint32          # the last kept bit of a normal binade: 1 << (23 - M)
    max_bits: np.uint32     # bits of the largest value
    normal_bits: np.uint32  # bits of the smallest normal 2**emin
    magic: np.float32       # 2**(qsub + 23)


NO_CHECK32 = Check32(np.uint32(1), np.uint32(0), np.uint32(0), np.float32(np.nan))     # (NaN: no |x| passes)


@inner_inline
def _generic_value32(b, pcs):
    """Whether the float32 bits b (uint32) are a value of the format (``not_value`` by pcs[1]:
    toward_zero parameters for float32 bits)."""
    return not not_value(np.int64(bits_as(np.uint32(b), np.int32)), pcs[1], DOM32)


@inner_inline
def _lean_of(xb, yb, zb, pcs, arity):
    """``_lean_values32`` by pcs[0] (a ``Check32``)."""
    return _lean_values32(xb, yb, zb, pcs[0], arity)


@inner
def _check_generic_values32(xb, yb, zb, pc, bad, arity):
    """bad[0] = 1 if ``_not_values32`` by ``_lean_of`` and ``_generic_value32`` (compiled once for
    every kernel of ``_loop``: inlined into each it cost a first call 0.2 s)."""
    if _not_values32(xb, yb, zb, pc, _lean_of, _generic_value32, arity):
        bad[0] = 1


@nb.njit(inline="always")          # (forceinline compiled it apart: +0.8 s on a first nf.add)
def _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, stochastic, draw, compute):
    """out[i] = round_one(compute: OPS[op] of x[i], y[start + i], z[start + i]) in p's mode (float64
    domain; stochastically with the k = sr[0] random bits ``draw`` gives element start + i
    where ``stochastic``); the operands are checked to be values of the format, bad[0] = 1 if
    one is not (as many as the op takes; pc = (``Check32``, toward_zero parameters for float32
    bits)): by ``_lean_values32`` as the loop goes, and where that did not hold everywhere
    block by block after it (``_not_values32``), where an element by element check of each
    operand (``not_value``) took most of the time (bfloat16 add toward_zero, 1M values, 1
    thread: 3.8 -> 1.6 ms, stochastic 2.5 -> 1.6 ms)."""
    if tiny + tiny == 0:
        bad[1] = 1
        return
    y, z = y[start:start + x.size], z[start:start + x.size]
    xb, yb, zb = view_as(x, np.uint32), view_as(y, np.uint32), view_as(z, np.uint32)
    arity = 1 if op == 5 else 3 if op == 3 else 2
    lean = pc[0]
    ok = True
    for i in range(x.size):
        ok &= _lean_values32(xb[i], yb[i], zb[i], lean, arity)
        bits = compute(x[i], y[i], z[i], op, rdn)
        r = round_one(bits, p, VALUE, DOM64, stochastic, draw(rand, seed, start + i, sr), sr)
        out[i] = np.float32(bits_as(np.int64(r), np.float64))
    if not ok:
        _check_generic_values32(xb, yb, zb, pc, bad, np.int64(arity))


@nb.njit(inline="always")          # (forceinline: +0.8 s on a first stochastic nf.add, as _loop)
def _stochastic_loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, compute):
    """``_loop`` under stochastic rounding, in two loops: the seeded one (rand empty) never
    reads rand. A loop that does must check at run time that out does not overlap
    rand[start:start + n], and an empty rand can fail that check by its address alone: the
    loop then runs one element at a time, five times slower."""
    if rand.size == 0:
        _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, STOCHASTIC, _seeded, compute)
    else:
        _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, STOCHASTIC, _given, compute)


@nb.njit(cache=True, nogil=True, error_model="numpy")     # x / 0 is IEEE's, no exception
def machine_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn):
    """The deterministic kernel of add, sub, mul and fma: x, y, z float32 (read from index start; unused ones any
    float32 array of the length), out float32; op = OPS[name]; p = kernel_params(fmt, True,
    mode, overflow, "raise")[0]; pc = (``Check32``, kernel_params(fmt, False, toward_zero,
    "ieee", "ml_dtypes")[0]); rdn = 1 under toward_negative."""
    _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, NO_SR, NO_RANDOM_BITS, np.uint64(0), DETERMINISTIC,
          _no_draw, _add_mul_fma)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_sum_odd_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn):
    """``machine_kernel`` for the sums (add, sub) of formats whose sums float64 may round
    (bfloat16's: ``_sum_odd``, every deterministic mode)."""
    _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, NO_SR, NO_RANDOM_BITS, np.uint64(0), DETERMINISTIC,
          _no_draw, _sum_odd)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_div_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn):
    """``machine_kernel`` for div (op 4; every deterministic mode: rounded to odd first)."""
    _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, NO_SR, NO_RANDOM_BITS, np.uint64(0), DETERMINISTIC,
          _no_draw, _div)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_sqrt_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn):
    """``machine_kernel`` for sqrt (op 5; every deterministic mode: rounded to odd first)."""
    _loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, NO_SR, NO_RANDOM_BITS, np.uint64(0), DETERMINISTIC,
          _no_draw, _sqrt)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed):
    """``machine_kernel`` under stochastic rounding: sr = sr_params(fmt, True, k, rule), rand
    and seed as the casts take them (only where the float64 result is exact)."""
    _stochastic_loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, _add_mul_fma)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_sum_odd_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed):
    """``machine_sum_odd_kernel`` under stochastic rounding (p + k <= 51, as div's)."""
    _stochastic_loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, _sum_odd)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_div_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed):
    """``machine_div_kernel`` under stochastic rounding (p + k <= 51: the odd-jammed float64
    keeps the discarded fraction exact to k bits and one more)."""
    _stochastic_loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, _div)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def machine_sqrt_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed):
    """``machine_sqrt_kernel`` under stochastic rounding (p + k <= 51)."""
    _stochastic_loop(x, out, start, y, z, op, p, pc, bad, tiny, rdn, sr, rand, seed, _sqrt)


@inner_inline
def _fma_odd(a, b, c, op, rdn):
    """The exact a * b + c of the float32 operands rounded to odd at 53 bits: float64's product is
    exact (48 bits, within 2**-298 .. 2**256), its sum with c by TwoSum (``odd_sum_bits``)."""
    return odd_sum_bits(bits_as(np.float64(a) * np.float64(b), np.int64), bits_as(np.float64(c), np.int64), rdn)


@nb.njit(inline="always")
def _stand_ins64(x, out, y, z, op, compute):
    for i in range(x.size):
        out[i] = compute(x[i], y[i], z[i], op, False)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def odd_stand_in64_kernel(x, out, start, y, z, op):
    """out[i] = OPS[op] of the float32 x[i], y[start + i], z[start + i] exactly, rounded to odd at
    53 bits (float64 bits, int64; one NaN for every NaN; the zeros' signs as round to nearest
    gives them; ``numfmt.arithmetic.floating.odd_stand_in64`` says what it serves). One kernel
    for every op and format, a loop per op."""
    y, z = y[start:start + x.size], z[start:start + x.size]
    if op == 2:
        _stand_ins64(x, out, y, z, op, _add_mul_fma)
    elif op == 3:
        _stand_ins64(x, out, y, z, op, _fma_odd)
    elif op == 4:
        _stand_ins64(x, out, y, z, op, _div)
    elif op == 5:
        _stand_ins64(x, out, y, z, op, _sqrt)
    else:
        _stand_ins64(x, out, y, z, op, _sum_odd)


# name -> (deterministic kernel, stochastic kernel); ODD_SUMS: add's and sub's where float64's sum is
# not always exact (``numfmt.arithmetic.floating.exact_in_float64``)
KERNELS = {"add": (machine_kernel, machine_sr_kernel), "sub": (machine_kernel, machine_sr_kernel),
           "mul": (machine_kernel, machine_sr_kernel), "fma": (machine_kernel, machine_sr_kernel),
           "div": (machine_div_kernel, machine_div_sr_kernel), "sqrt": (machine_sqrt_kernel, machine_sqrt_sr_kernel)}
ODD_SUMS = (machine_sum_odd_kernel, machine_sum_odd_sr_kernel)


# ---- float32 lanes: the operation in float32, rounded by the casts' uint32 steps ----------------

_NAN32 = U32(0x7FC00000)     # one NaN (positive, quiet), as the exact route gives
_INF32 = U32(0x7F800000)


@inner_inline
def _nearest32(b, zk, p):
    return nearest32_one(b, p)


@inner_inline
def _same_range32(b, zk, p):
    """``round_same_range`` (nearest even; bfloat16's fixed shift) of the uint32 bits b, in
    uint32 lanes (``same_range32_one``; LLVM hoists the parameters out of the loop)."""
    return same_range32_one(b, same_range32_params(p))


@inner_inline
def _sr_add32(b, zk, p):
    return sr_add_one(b, zk, p)


@inner_inline
def _value32(b, pc, rounder):
    """Whether the float32 bits b (uint32) are a value of the format: rounding to nearest even
    (``rounder`` with pc: parameters of overflow "ieee", nan "ml_dtypes") leaves them, apart from
    the sign of zero; a NaN where the format has NaN (its NaN input rounds to a NaN)."""
    a = U32(b & U32(0x7FFFFFFF))
    nan_ok = U32(rounder(_NAN32, U32(0), pc) & U32(0x7FFFFFFF)) > _INF32
    return (rounder(b, U32(0), pc) == b) | (a == U32(0)) | ((a > _INF32) & nan_ok)


@inner_inline
def _same_range_value32(b, pc):
    """``_value32`` by ``_same_range32`` (pc: ``same_range_params``)."""
    return _value32(b, pc, _same_range32)


@inner_inline
def _nearest_value32(b, pc):
    """``_value32`` by ``_nearest32`` (pc: ``Fast32Params``) in fewer steps: a finite nonzero
    magnitude a is a value iff it is at most the largest value and on the grid (in the normal
    binades no bit below the last kept one; below 2**emin a multiple of 2**qsub, which
    ``nearest32_one``'s (|x| + magic) - magic leaves); +-Inf iff ``nearest32_one`` gives it
    back (its overflow result by sign), NaN iff it gives a NaN."""
    a = U32(b & U32(0x7FFFFFFF))
    mag = bits_as(np.uint32(a), np.float32)
    grid = (U32(a & U32(pc.lsb - U32(1))) == U32(0)) if a >= pc.normal_bits else \
        (np.float32(np.float32(mag + pc.magic) - pc.magic) == mag)
    special = (U32(pc.nan0 & U32(0x7FFFFFFF)) > _INF32) if a > _INF32 else ((pc.ovf0 if b == a else pc.ovf1) == b)
    return (a == U32(0)) | ((a <= pc.max_bits) & grid) | ((a >= _INF32) & special)


@inner_inline
def _values32(xb, yb, zb, pc, check, arity):
    """Whether the ``arity`` operands' float32 bits (x's, y's, z's) are values of the format
    (check(bits, pc): ``_nearest_value32`` or ``_same_range_value32``)."""
    return check(xb, pc) & ((arity < 2) | check(yb, pc)) & ((arity < 3) | check(zb, pc))


@inner_inline
def _add_mul32(x, y, z, op):
    """x + y, x - y or x * y (OPS[op]) in float32, branch-free."""
    return x * y if op == 2 else x + (-y if op == 1 else y)


@inner_inline
def _div32(x, y, z, op):
    return x / y


@inner_inline
def _sqrt32(x, y, z, op):
    return np.sqrt(x)


@inner_inline
def _no_draw32(rand, seed, index, k):
    return U32(0)


@inner_inline
def _given32(rand, seed, index, k):
    return U32(U32(rand[U64(index)]) << U32(32 - k))


@nb.njit(inline="always")
def _loop32(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed, draw, compute, rounder, check, arity):
    """out[i] = compute(x[i], y[start + i], z[start + i]) in float32 (NaN made positive), rounded to the format
    by ``rounder`` with p and the k random bits ``draw`` gives element start + i; bad[0] = 1 if
    one of the ``arity`` operands is not a value of the format (``_values32`` with pc and
    ``check``), bad[1] = 1 (nothing computed) where the thread flushes subnormals."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    if tiny + tiny == 0:
        bad[1] = 1
        return
    y, z = y[start:start + x.size], z[start:start + x.size]
    xb, yb, zb, ob = view_as(x, np.uint32), view_as(y, np.uint32), view_as(z, np.uint32), view_as(out, np.uint32)
    found = False
    for i in range(x.size):
        found |= not _values32(xb[i], yb[i], zb[i], pc, check, arity)
        v = compute(x[i], y[i], z[i], op)
        b = _NAN32 if v != v else bits_as(np.float32(v), np.uint32)
        ob[i] = rounder(b, draw(rand, seed, start + i, k), p)
    if found:
        bad[0] = 1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """Round to nearest even of add, sub and mul (op = OPS[name]) in float32 lanes: x, y, z,
    out float32 (y, z read from index start; z unused); p = casts.floating.fast32_params(fmt,
    overflow, "raise"), pc = fast32_params(fmt, "ieee", "ml_dtypes"). Only where float32's
    result rounded once more is the correct rounding (``arithmetic.floating.nearest_in_float32``)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _add_mul32, _nearest32, 2, _lean_values32, _check_values32)


@inner_inline
def _lean_value32(a, pc):
    """Whether the float32 magnitude bits a, apart from the checks that ``_lean_values32``
    makes for every operand at once (no bit below the last kept one of a normal binade, at
    most the largest value), are a value of the format: below 2**emin a multiple of 2**qsub
    ((|x| + magic) - magic leaves it, as ``_nearest_value32``'s); a at or above 2**emin is
    tested as 2**emin (min(a, 2**emin): one instruction where a compare and an or were
    two), which passes."""
    low = bits_as(np.uint32(minimum(a, pc.normal_bits)), np.float32)
    return np.float32(np.float32(low + pc.magic) - pc.magic) == low


@inner_inline
def _lean_values32(xb, yb, zb, pc, arity):
    """Whether the ``arity`` operands' float32 bits are finite values of the format (pc:
    ``Fast32Params``), in fewer steps than ``_values32``: no bit below the last kept one of a
    normal binade (subnormal values have none either) and at most the largest value, both
    tested on the operands at once (their OR, their largest), then ``_lean_value32``. False
    for Inf and NaN operands, which may be values."""
    xa, ya, za = U32(xb & U32(0x7FFFFFFF)), U32(yb & U32(0x7FFFFFFF)), U32(zb & U32(0x7FFFFFFF))
    ya, za = ya if arity >= 2 else U32(0), za if arity >= 3 else U32(0)
    return ((U32(U32(xa | ya | za) & U32(pc.lsb - U32(1))) == U32(0)) & (maximum(xa, maximum(ya, za)) <= pc.max_bits)
            & _lean_value32(xa, pc) & _lean_value32(ya, pc) & _lean_value32(za, pc))


CHECK_BLOCK = 256      # operands ``_check_values32`` tests at once by ``_lean_values32``


@inner_inline
def _not_values32(xb, yb, zb, pc, lean, check, arity):
    """Whether one of the ``arity`` operands' float32 bits (uint32 arrays) is not a value of the
    format (``_values32`` by ``check``): what runs where ``lean`` (``_lean_values32``) did not
    hold everywhere (Inf and NaN operands, or a bad one), in a loop of its own (in the counting
    pass the two spill registers: e4m3 add's count 5.9 -> 4.3 ms per 4M, the plain kernel
    3.5). A block of CHECK_BLOCK elements that ``lean`` passes as a whole (a vector loop) is
    not checked in full, and the others' full check is a vector loop too, a flag per block
    (p3109_p6 add, 1M standard normal values with a hundred Infs, 1 thread: 4.5 -> 0.5 ms,
    without them 0.19 ms; e4m3 add, 4M values of which 1% NaN: 18.8 -> 4.5 ms, an early exit
    per element had kept that loop scalar)."""
    xa, ya, za = borrowed(xb), borrowed(yb), borrowed(zb)      # (blocks without reference counts)
    for lo in range(0, xb.size, CHECK_BLOCK):
        xs, ys, zs = xa[lo:lo + CHECK_BLOCK], ya[lo:lo + CHECK_BLOCK], za[lo:lo + CHECK_BLOCK]
        lean_ok = True
        for i in range(xs.size):
            lean_ok &= lean(xs[i], ys[i], zs[i], pc, arity)
        bad = False
        for i in range(0 if lean_ok else xs.size):
            bad |= not _values32(xs[i], ys[i], zs[i], pc, check, arity)
        if bad:
            return True
    return False


@inner
def _check_values32(xb, yb, zb, pc, bad, arity):
    """bad[0] = 1 if ``_not_values32`` (by ``_lean_values32`` and ``_nearest_value32``)."""
    if _not_values32(xb, yb, zb, pc, _lean_values32, _nearest_value32, arity):
        bad[0] = 1


@inner
def _check_same_range_values32(xb, yb, zb, pc, bad, arity):
    """``_check_values32`` for the formats of float32's exponent field (``same_range_params``: by
    ``_same_range_values32`` and ``_same_range_value32``)."""
    if _not_values32(xb, yb, zb, pc, _same_range_values32, _same_range_value32, arity):
        bad[0] = 1


@nb.njit(inline="always")
def _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, compute, rounder, arity, lean, check):
    """``_loop32`` without random bits (``rounder`` with p: ``_nearest32``, ``_same_range32`` or
    ``_lean_directed32``) checking the operands by ``lean`` (``_lean_values32`` or
    ``_same_range_values32``) as it goes, and by ``check`` (``_check_values32`` or
    ``_check_same_range_values32``) after it where that did not hold for every element
    (bfloat16 add, 4M values, 1 thread: 1.5 -> 1.3 ms, where each operand was rounded by
    ``_values32``)."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    if tiny + tiny == 0:
        bad[1] = 1
        return
    y, z = y[start:start + x.size], z[start:start + x.size]
    xb, yb, zb, ob = view_as(x, np.uint32), view_as(y, np.uint32), view_as(z, np.uint32), view_as(out, np.uint32)
    ok = True
    for i in range(x.size):
        ok &= lean(xb[i], yb[i], zb[i], pc, arity)
        v = compute(x[i], y[i], z[i], op)
        b = _NAN32 if v != v else bits_as(np.float32(v), np.uint32)
        ob[i] = rounder(b, U32(0), p)
    if not ok:
        check(xb, yb, zb, pc, bad, np.int64(arity))


# fma, div and sqrt take a kernel each (one kernel branching on op compiled every op's loop at the
# first call of any: e4m3 div, fresh cache, 2.3-2.4 -> 1.3-1.6 s)
@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_fma_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``fast32_kernel`` for fma (op 3: float32's sum rounded to odd, ``fma_odd32``)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, fma_odd32, _nearest32, 3, _lean_values32, _check_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_div_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``fast32_kernel`` for div (op 4: float32's quotient)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _div32, _nearest32, 2, _lean_values32, _check_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_sqrt_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``fast32_kernel`` for sqrt (op 5: float32's root; y unused)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _sqrt32, _nearest32, 1, _lean_values32, _check_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_odd_root_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``fast32_sqrt_kernel`` (op 5, y unused) of precision 11 to 22, where
    float32's own root may round twice: the root rounded to odd at 24 bits (``sqrt_odd32``: the
    sign of x - q**2, exact in float64). binary16 sqrt, 1M values, 1 thread: 2.5 -> 0.4-0.6 ms (the
    float64 kernel before)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, sqrt_odd32, _nearest32, 1, _lean_values32, _check_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``fast32_kernel`` for formats with float32's exponent field (bfloat16): p and pc
    casts.floating.same_range_params(fmt, nearest_even, overflow) and (..., "ieee")."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _add_mul32, _same_range32, 2, _same_range_values32,
                 _check_same_range_values32)


@inner_inline
def _capped32(s, x, y, over_ok, flush_ok):
    """float32's result s of finite x and y (``_mul_capped32``, ``_div_capped32``,
    ``_sum_capped32``) as its stand-in: where ``flush_ok`` a zero of a nonzero exact result
    (below 2**-150) as 2**-149 of its sign (float32's 0 would count as exact; a sum's zero is
    exact), an Inf where ``over_ok`` (a finite exact result beyond float32's range) as float32's
    largest magnitude (odd, above the overflow threshold of every format of at most 22 bits: an
    overflow in every mode, where Inf would count as x / 0). In uint32 selects: with float
    selects and copysign the counting loop ran 1.7x longer."""
    sb = bits_as(np.float32(s), np.uint32)
    sa, xa, ya = U32(sb & MAG32), U32(bits_as(np.float32(x), np.uint32) & MAG32), \
        U32(bits_as(np.float32(y), np.uint32) & MAG32)
    finite = (xa < _INF32) & (ya < _INF32)
    sign = U32(sb ^ sa)
    flushed = (sa == U32(0)) & finite & (xa != U32(0)) & (ya != U32(0)) & flush_ok
    over = (sa == _INF32) & finite & over_ok & (ya != U32(0))
    rb = U32(sign | U32(0x7F7FFFFF)) if over else (U32(sign | U32(1)) if flushed else sb)
    return bits_as(np.uint32(rb), np.float32)


@inner_inline
def _mul_capped32(x, y, z, op):
    """float32's product (``_capped32``: a flushed one as 2**-149; an Inf is ``_special``'s): the
    stand-in of the counting pass for the formats of float32's exponent field of precision p <= 8
    (2p <= qsub + 149, the "products" above: never a point of the grid of p + 1 bits unless the
    exact product is; tininess too, whose midpoint below 2**-126 is a multiple of 2**(-127 - p)
    >= 2**-135). bfloat16 mul, 4M values, 1 thread: report=True 3.2 -> 2.2-2.5 ms (``_mul_odd32``'s
    float64 product before; the plain call 1.2 ms)."""
    return _capped32(x * y, x, y, False, True)


@inner_inline
def _div_capped32(x, y, z, op):
    """float32's quotient (``_capped32``): the stand-in of the counting pass for the formats of
    float32's exponent field, precision at most 11 (the "quotients" above: never a point of
    the grid of p + 1 bits unless the exact quotient is, at any exponent; tininess too, whose
    midpoint below 2**-126 is a multiple of 2**(-127 - p))."""
    return _capped32(x / y, x, y, True, True)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_div_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``same_range32_kernel`` for div (op 4, precision at most 11: float32's quotient, see
    "quotients" above; bfloat16, 4M values, 1 thread: 10.7 -> 0.9-1.3 ms, the float64 kernel's
    ``round_one`` on the quotient rounded to odd at 53 bits before; report=True 22 -> 3.1 ms)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _div32, _same_range32, 2, _same_range_values32,
                 _check_same_range_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_sqrt_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``same_range32_kernel`` for sqrt (op 5, y unused: float32's root, as ``fast32_sqrt_kernel``'s,
    precision at most 10; bfloat16, 4M values, 1 thread: 10.5 -> 0.8 ms)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _sqrt32, _same_range32, 1, _same_range_values32,
                 _check_same_range_values32)


@inner_inline
def _sum_capped32(x, y, z, op):
    """``_sum_odd32`` (x + y or x - y rounded to odd at 24 bits) with an infinite sum of finite
    operands as float32's largest odd magnitude of its sign (``_capped32``: an overflow in every
    mode; the exact sum is finite). The other modes' stand-in: float32's Inf would round to Inf
    toward zero too."""
    return _capped32(_sum_odd32(x, y, z, op), x, y, True, False)


@inner_inline
def _sum_down_capped32(x, y, z, op):
    """``_sum_capped32`` for toward_negative: -(-x + -y), whose exact zero of operands of opposite
    signs is -0, as IEEE 754 asks in that mode (float32's own is +0); the same stand-in
    otherwise (rounding to odd is symmetric)."""
    return -_sum_capped32(-x, -y, z, op)


@inner_inline
def _mul_over_capped32(x, y, z, op):
    """float32's product as ``_mul_capped32`` makes it (precision p <= 8), an Inf of finite
    operands too as float32's largest odd magnitude (``_capped32``): a stand-in in every mode."""
    return _capped32(x * y, x, y, True, True)


@nb.njit(inline="always")
def _signed_zeros_loop32(x, out, start, y, z, op, p, pc, bad, tiny, compute, compute_rdn, arity):
    """``_lean_loop32`` of the formats of float32's exponent field (p: ``same_range_params`` of
    the mode) for sums, whose exact zeros take their sign from the mode: by ``compute_rdn``
    under toward_negative (p's flags: away from zero for negative results only), else by
    ``compute``."""
    if (p[1] == 0) & (p[3] == 0) & (p[4] != 0):
        _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, compute_rdn, _same_range32, arity,
                     _same_range_values32, _check_same_range_values32)
    else:
        _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, compute, _same_range32, arity,
                     _same_range_values32, _check_same_range_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_sum_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``same_range32_kernel``'s add and sub in the deterministic modes other than nearest even
    (p: ``same_range_params`` of the mode, pc of nearest even and overflow "ieee"): the sum
    rounded to odd at 24 bits (``_sum_capped32``), then by the mode's fixed shift
    (``_same_range32``, which takes every deterministic mode). bfloat16, 1M standard normal
    values, 1 thread, CPU time, toward_zero: add 5.7 -> 1.1 ms, mul 3.7 -> 0.8 ms, div 6.0 -> 0.9
    ms, sqrt 6.7 -> 0.5 ms (the float64 kernels' ``round_one`` before; nearest even 0.5 ms,
    in a slow state of the host); toward_negative by
    ``_sum_down_capped32`` (``_signed_zeros_loop32``)."""
    _signed_zeros_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _sum_capped32, _sum_down_capped32, 2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_mul_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``same_range32_sum_modes_kernel`` for mul (op 2) of precision at most 8: float32's product
    (``_mul_over_capped32``), never a point of the grid of p + 1 bits unless the exact product
    is (see ``_mul_capped32``), so no number of p bits lies between them: every mode rounds
    both alike."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _mul_over_capped32, _same_range32, 2,
                 _same_range_values32, _check_same_range_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_div_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``same_range32_div_kernel`` in the deterministic modes other than nearest even, as
    ``same_range32_mul_modes_kernel``: div (op 4, precision at most 11) by ``_div_capped32``."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _div_capped32, _same_range32, 2, _same_range_values32,
                 _check_same_range_values32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_sqrt_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``same_range32_sqrt_kernel`` in the deterministic modes other than nearest even: sqrt (op 5,
    precision at most 10; y unused) by float32's root, which never overflows nor flushes."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _sqrt32, _same_range32, 1, _same_range_values32,
                 _check_same_range_values32)


@inner_inline
def _fma_wide_odd32(x, y, z, op):
    """The exact x y + z of float32 operands rounded to odd at 24 bits, for the formats of
    float32's exponent field of precision at most 22, whose products float32 may round or
    overflow: float64's product is exact (at most 44 bits, within 2**-300 .. 2**256), its sum
    s with z and that sum's error e by TwoSum; float32's s32 of s is a neighbour of the exact
    sum, and (s - s32) + e (both exact) has the sign of the exact sum less s32, zero iff it
    is: ``odd32`` of those. Branch-free (float64 lanes). A finite sum beyond float32's range
    as its largest odd magnitude (an overflow in every mode for formats of at most 22 bits, as
    ``_capped32``)."""
    a, c = np.float64(x) * np.float64(y), np.float64(z)
    s = a + c
    t = s - a
    e = (a - (s - t)) + (c - t)
    s32 = np.float32(s)
    over = (np.abs(s32) == np.float32(np.inf)) & (np.abs(s) < np.inf)
    capped = _f32(U32(U32(bits_as(np.float32(s32), np.uint32) & U32(0x80000000)) | U32(0x7F7FFFFF)))
    return capped if over else odd32(s32, (s - np.float64(s32)) + e)


@inner_inline
def _fma_wide_odd_rdn32(x, y, z, op):
    """``_fma_wide_odd32`` as -((-x) y + (-z)) (``_fma_odd_rdn32``: toward_negative's zeros)."""
    return -_fma_wide_odd32(-x, y, -z, op)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def same_range32_fma_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """fma (op 3) of the formats of float32's exponent field of precision at most 22 in every
    deterministic mode (p as ``same_range32_sum_modes_kernel``'s): ``_fma_wide_odd32`` rounded
    by the mode's fixed shift; toward_negative by ``_fma_wide_odd_rdn32``
    (``_signed_zeros_loop32``). bfloat16, 1M standard normal values, 1 thread, CPU time:
    nearest even 7.8 -> 2.3 ms, toward_zero 8.2 -> 2.3 ms (the float64 kernel's ``round_one``
    before; with ``_fma_odd``'s branches in place of the branch-free TwoSum 4.6 ms; float32's
    own TwoSum, not exact here, would take 1.1)."""
    _signed_zeros_loop32(x, out, start, y, z, op, p, pc, bad, tiny, _fma_wide_odd32, _fma_wide_odd_rdn32, 3)


@inner_inline
def _sr_blocks32(x, out, start, y, op, p, pc, bad, tiny, k, seed):
    """``fast32_sr_kernel``'s seeded loop: by blocks of DRAW_BLOCK elements, their random bits
    drawn first (``draw_words``, cut to their top k bits), float32's sum, difference or
    product of x[i] and y[start + i] (exact) rounded by ``sr_add_range`` in the same pass as
    the operands' check (``_loop32``'s), and a block with a NaN result (or of a format
    sr_add_range does not take) again by ``sr_add_one``, its NaN made positive."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    if tiny + tiny == 0:
        bad[1] = 1
        return
    y = y[start:start + x.size]
    buf = empty(DRAW_BLOCK + 2, np.uint64)
    words = view_as(buf, np.uint32)
    topk = top_bits32(k)
    c = sr_range_consts(p)
    lean = True
    for first in range(0, x.size, DRAW_BLOCK):
        xs, ys, outs = x[first:first + DRAW_BLOCK], y[first:first + DRAW_BLOCK], out[first:first + DRAW_BLOCK]
        xb, yb, ob = view_as(xs, np.uint32), view_as(ys, np.uint32), view_as(outs, np.uint32)
        off = draw_words(buf, seed, start + first, xs.size, k)
        zs = words[off:off + xs.size]
        if k < 32:
            for j in range(zs.size):
                zs[j] &= topk
        high = U32(0)
        for j in range(xs.size):
            lean &= _lean_values32(xb[j], yb[j], xb[j], pc, 2)
            b = bits_as(np.float32(_add_mul32(xs[j], ys[j], xs[j], op)), np.uint32)     # (a NaN: any)
            ob[j] = sr_add_range(b, zs[j], p, c)
            high = maximum(high, U32(b & U32(0x7FFFFFFF)))
        if (high > _INF32) | (not c[5]):
            for j in range(xs.size):
                v = _add_mul32(xs[j], ys[j], xs[j], op)
                ob[j] = sr_add_one(_NAN32 if v != v else bits_as(np.float32(v), np.uint32), zs[j], p)
    if not lean:
        _check_values32(view_as(x, np.uint32), view_as(y, np.uint32), view_as(x, np.uint32), pc, bad, np.int64(2))


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed):
    """``fast32_kernel`` under stochastic rounding, sr_rule="add" with k <= 32 seeded random
    bits (seed as the casts take it; rand empty, unread), where float32's result is exact:
    ``_sr_blocks32``. Explicit random bits take ``fast32_sr_given_kernel`` (a kernel of its
    own: as ``kernels.floating._stochastic_loop`` says, a loop that reads them is another
    loop, and a first seeded call need not compile it)."""
    _sr_blocks32(x, out, start, y, op, p, pc, bad, tiny, k, seed)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_sr_given_kernel(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed):
    """``fast32_sr_kernel`` with the explicit random bits rand (element i: rand[start + i])."""
    _loop32(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed, _given32, _add_mul32, _sr_add32,
            _nearest_value32, 2)


# name -> deterministic (round to nearest even) float32 kernel
KERNELS32 = {"add": fast32_kernel, "sub": fast32_kernel, "mul": fast32_kernel, "fma": fast32_fma_kernel,
             "div": fast32_div_kernel, "sqrt": fast32_sqrt_kernel}


# ---- float32 lanes in the other modes: div, sqrt and fma from a stand-in of their exact v ----
#
# The stand-in o: float32's quotient or root (p <= 11 and p <= 10: by the proofs above it is
# never a point of the format's grid of p + 1 bits unless v is, so it lies strictly between
# the same neighbours on that grid as v, or is v) or fma's sum rounded to odd at 24 bits
# (``fma_odd32``, p <= 22: the same). So it rounds once more correctly to p bits in every
# mode (``fast32_modes_kernel``: ``_lean_directed32``), and truncated to the grid of p bits it
# gives v's, in v's binade.
#
# Stochastic rounding (sr_rule "add", k <= 32 random bits r: ``ODD_SR_KERNELS32``) moves
# |v| to base + u iff floor(f 2**k) + r >= 2**k, with base = |v| truncated to the grid, u its
# step and f = (|v| - base) / u: iff |v| - base >= u (2**k - r) / 2**k, i.e. iff |v| >= theta =
# base + u (1 - r 2**-k), a multiple of u 2**-k below 2**(E + 1) (E: |v|'s exponent) of at most
# p + k <= 53 bits, exact in float64; base and u are o's. The test |v| >= theta is exact in
# float64:
#
# - *div*: |x| >= theta |y|, theta |y| of at most 2p + k <= 53 bits.
# - *sqrt*: x >= theta**2, the sign of ``kernels.arith.residual(x, theta, theta)``: Dekker's
#   product is exact (everything lies within 2**-200 .. 2**200), x - fl(theta**2) exact by
#   Sterbenz's lemma where theta / sqrt(x) lies within 1 +- 2**(1 - p), i.e. p >= 3 and every
#   root of a nonzero value in the format's normal binades (base >= 2**E, u = 2**(E + 1 - p):
#   qsub >= 2 emin), and the last subtraction keeps the sign.
# - *fma*: v = s + e exactly (TwoSum, as ``fma_odd32``); |v| >= theta iff |s| - theta >= -e
#   (e's sign against s's), |s| - theta a multiple of u 2**-max(k, 24 - p) of magnitude at
#   most u (|s| and theta both lie in [base, base + u]): exact in float64.


@inner_inline
def _lean_directed32(b, zk, p):
    """``directed32_one`` with p = (its ``Fast32Params``, its ``Mode32``) in every mode but
    nearest_even (which never takes ``fast32_modes_kernel``), in fewer steps: the bias below the kept
    bits is half a step under nearest_away (m.nearest), else all of it less one or none (away
    from zero by sign, or odd where the last kept bit is even: m's away flags are 0 under
    odd); below the smallest quantum the result is the quantum iff a reaches half of it
    (nearest_away: its bits less one binade's, a normal float32), else iff a != 0 and the
    mode rounds away (odd: away from the even 0)."""
    q, m = p[0], p[1]
    a = U32(b & U32(0x7FFFFFFF))
    sign = U32(b ^ a)
    base, step, small = grid32(a, q)
    lsb = U32((U32(a & step) != U32(0)) | (step == U32(0x00800000)))     # (qsub's binade: code 1)
    away = U32(m.away_neg if sign != U32(0) else m.away_pos)
    full = U32(U32(step - U32(1)) & U32(U32(0) - U32(away | U32(m.odd & U32(U32(1) - lsb)))))
    bias = U32(step >> U32(1)) if m.nearest != U32(0) else full
    up = (a >= U32(q.q_bits - U32(0x00800000))) if m.nearest != U32(0) else \
        ((a != U32(0)) & (U32(m.odd | away) != U32(0)))
    r = (q.q_bits if up else U32(0)) if small else U32(U32(a + bias) & U32(~U32(step - U32(1))))
    res = _finish32(a, sign, r, q)
    return (m.inf1 if sign != U32(0) else m.inf0) if a == U32(0x7F800000) else res




@inner_inline
def _fma_odd_rdn32(x, y, z, op):
    """``fma_odd32`` as -((-x) y + (-z)): the same number, but an exact zero is -0 unless x y
    and z are +0, as IEEE 754 asks under toward_negative (as ``_add_mul_fma``'s rdn)."""
    return -fma_odd32(-x, y, -z, op)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny):
    """``fast32_fma_kernel``, ``fast32_div_kernel`` and ``fast32_sqrt_kernel`` in every
    deterministic mode but nearest_even (which takes those kernels; ``_lean_directed32``), for div,
    sqrt and fma (the stand-ins above) and add, sub and mul: p = (``Fast32Params`` with the mode's
    overflow results, ``Mode32``, the key of op's stand-in, ``modes_key``: a loop per key); where
    ``arithmetic.floating.fast32_args`` takes it. Sums are float32's rounded to odd
    (``_sum_odd32``), or where every sum is exact in float32 its own (``_add_mul32``); products
    float32's rounded to odd (``_mul_odd32``; of precision at most 12 ``_tiny_product_odd32``);
    precision at most 22 (a stand-in rounded to odd at 24 bits rounds as the exact result does in
    every mode), sums and products below 2**127. 4M e4m3 values, 1 thread, CPU time: add toward_zero
    6.2 -> 1.8 ms, mul toward_positive -> 2.2 ms (the float64 kernels before)."""
    _lean_loop32(x, out, start, y, z, op, p, pc, bad, tiny, modes_compute(p[2]), _lean_directed32, modes_arity(p[2]),
                 _lean_values32, _check_values32)


@inner_inline
def _sum_odd_rdn32(x, y, z, op):
    """``_sum_odd32`` as -((-x) + (-y)) (or -((-x) - (-y))): the same number, but an exact zero
    is -0 unless both operands are +0 (+0 and -0 for sub), as IEEE 754 asks under
    toward_negative (as ``_fma_odd_rdn32``)."""
    return -_sum_odd32(-x, -y, z, op)


@inner_inline
def _sum_rdn32(x, y, z, op):
    """``_add_mul32``'s sum or difference with ``_sum_odd_rdn32``'s zeros (exact sums)."""
    return -_add_mul32(-x, -y, z, op)


@inner_inline
def _div_above(x, y, z, theta):
    """|x / y| >= theta (theta |y| exact: at most 2p + k <= 53 bits)."""
    return np.float64(np.abs(x)) >= theta * np.float64(np.abs(y))


@inner_inline
def _sqrt_above(x, y, z, theta):
    """sqrt(x) >= theta: the sign of x - theta**2 (``residual``)."""
    return residual(np.float64(x), theta, theta) >= 0


@inner_inline
def _fma_above(x, y, z, theta):
    """|x y + z| >= theta: s + e = x y + z (TwoSum), |s| - theta >= -e (e's sign against s's)."""
    prod = x * y
    s = prod + z
    back = s - prod
    e = (prod - (s - back)) + (z - back)
    return np.float64(np.abs(s)) - theta >= np.float64(-e if s > 0 else e)


@inner_inline
def _word_fraction(zk):
    """zk / 2**32 (zk a uint32) as float64, exact: through int32, which AVX2 converts to
    float64 in its lanes (uint32 and int64 it does not)."""
    return (np.float64(bits_as(np.uint32(zk ^ U32(0x80000000)), np.int32)) + 2147483648.0) * (1.0 / 4294967296.0)


@inner_inline
def _odd_sr32(x, y, z, o, zk, p, above):
    """The float32 bits of v = OPS[op] of x, y, z rounded stochastically with the k random
    bits zk (at the top of a uint32: r = zk >> (32 - k)) from its stand-in o (v rounded to odd
    at 24 bits): one step u up from base iff above(x, y, z, theta), theta = base + u (1 - r
    2**-k) = base + u (1 - zk 2**-32)."""
    b = _NAN32 if o != o else bits_as(np.float32(o), np.uint32)
    a = U32(b & U32(0x7FFFFFFF))
    base, step, small = grid32(a, p)
    up = U32(base + step)
    lo = np.float64(bits_as(np.uint32(base), np.float32))
    theta = lo + (np.float64(bits_as(np.uint32(up), np.float32)) - lo) * (1.0 - _word_fraction(zk))
    return _finish32(a, U32(b ^ a), up if above(x, y, z, theta) else base, p)


@inner_inline
def _window_consts(p):
    """The loop invariants of ``_sr_window32`` for p (a ``Fast32Params``): (ones, d, c2, fits,
    Q): ``sr_range_consts``' first three; fits where the smallest quantum Q = 2**qsub is a
    normal float32 and the format's grid steps by Q from 0 to 4Q (t = 23 discarded bits in Q's
    binade, 22 in 2Q's); Q as float32."""
    ones, d, c2, maxp, ks, _ = sr_range_consts(p)
    e = U32(p.q_bits >> U32(23))
    fits = ((e >= U32(1)) & (U32(p.t_top - minimum(e, p.t_cap)) == U32(23))
            & (U32(p.t_top - minimum(U32(e + U32(1)), p.t_cap)) == U32(22)))
    return ones, d, c2, fits, bits_as(np.uint32(p.q_bits), np.float32)


@inner_inline
def _sr_window32(o, zk, p, c):
    """(bits, decided): v rounded stochastically (sr_rule "add", zk the k random bits at the top
    of a uint32, p: ``Fast32Params``, c: ``_window_consts(p)``, where it fits) as
    ``sr_add_one`` rounds, from float32's correctly rounded result o of v.

    Where o is finite, |v| is |o| or lies strictly between its float32 neighbours; so |v|, or
    below 2Q (Q = 2**qsub, the smallest quantum) |v| + Q, lies strictly between the bits s - 1
    and s + 1 of s = |o| or of s = |o| + Q rounded to nearest (whose last place is at least
    twice |o|'s). As the grid steps by Q from 0 to 4Q, v rounds as |v| + Q less Q. The result
    is monotone in |v|: decided where it is the same at both ends, each rounded with the t
    discarded bits of s's binade of float32 (32 - t = min(E - d, c2), E its exponent field, as
    ``sr_add_range`` finds it): with zk = zh 2**(32 - t) + zl, the fraction of the cell of the
    bits c plus zk carries iff c + zh reaches the next grid point, so that truncated to the
    grid it is the result. Where s - 1 lies in the binade below (t there is as large or one
    more), it gives s iff zh > 0, as it rounds there; else no grid point at or above s, and no
    decision. Past the largest value every result overflows; Inf and NaN (made positive) are
    v, and so is 0 (s = Q; the operations here do not underflow to 0)."""
    ones, d, c2, fits, q = c
    b = _NAN32 if o != o else bits_as(np.float32(o), np.uint32)
    a = U32(b & U32(0x7FFFFFFF))
    small = a < U32(p.q_bits + U32(0x00800000))
    s = bits_as(np.float32(bits_as(np.uint32(a), np.float32) + q), np.uint32) if small else a
    sh = U32(minimum(U32(U32(s >> U32(23)) - d), c2) & U32(31))        # 32 - t
    sz = U32(s + U32(zk >> sh))
    keep = U32(~U32(ones >> sh))
    lo, hi = U32(U32(sz - U32(1)) & keep), U32(U32(sz + U32(1)) & keep)
    r = bits_as(np.float32(bits_as(np.uint32(lo), np.float32) - q), np.uint32) if small else lo
    return _finish32(a, U32(b ^ a), r, p), fits & ((lo == hi) | ((lo > p.max_bits) & (not small)))


@inner
def _odd_sr_exact(xs, ys, zs, obs, zks, op, p, odd, above):
    """obs[j] = ``_odd_sr32`` of OPS[op] of xs[j], ys[j], zs[j] (``odd``: float32's result
    rounded to odd; ``above``: the test against theta) with the random bits zks[j] (at the top
    of a uint32): the blocks that ``_sr_window32`` did not decide."""
    for j in range(xs.size):
        x, y, z, zk = xs[j], ys[j], zs[j], zks[j]
        obs[j] = _odd_sr32(x, y, z, odd(x, y, z, op), zk, p, above)


@inner_inline
def _fma32(x, y, z, op):
    """x y + z in float32 (x y exact)."""
    return x * y + z


@nb.njit(inline="always")
def _odd_sr_loop32(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed, compute, odd, above, arity):
    """out[i] = OPS[op] of x[i], y[start + i], z[start + i] (float32's: ``compute``) rounded
    stochastically by ``_sr_window32`` with the k random bits of element start + i, by blocks of
    DRAW_BLOCK elements whose random bits come first (explicit ones, or seed's, drawn by
    ``draw_words`` into buf; each loop reads one source only: a loop that read rand where it is
    empty might fail the run-time overlap check by rand's address alone, and run one element at a
    time); a block with an element the window did not decide again by ``_odd_sr_exact`` (with
    ``odd`` and ``above``); operands checked as ``_lean_loop32``'s. The blocks are indexed (uint64:
    see kernels/__init__), neither sliced nor handed to a helper: a slice, or an array passed on,
    had its reference count raised and lowered per block, an atomic operation each, half the time of
    e4m3's stochastic div (4M float32, 1 thread: 4.0 -> 2.0 ms)."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    if tiny + tiny == 0:
        bad[1] = 1
        return
    y, z = y[start:start + x.size], z[start:start + x.size]
    xb, yb, zb, ob = view_as(x, np.uint32), view_as(y, np.uint32), view_as(z, np.uint32), view_as(out, np.uint32)
    buf = empty(DRAW_BLOCK + 2, np.uint64)
    drawn = view_as(buf, np.uint32)
    words = empty(DRAW_BLOCK, np.uint32)       # (the k random bits of a block's elements, at the top)
    topk, shift = top_bits32(k), U32(U32(32 - k) & U32(31))
    c = _window_consts(p)
    lean = True
    for lo in range(0, x.size, DRAW_BLOCK):
        n = minimum(DRAW_BLOCK, x.size - lo)
        if rand.size == 0:
            off = draw_words(buf, seed, start + lo, n, k)
            for j in range(n):
                words[j] = U32(drawn[U64(off + j)] & topk)
        else:
            for j in range(n):
                words[j] = U32(U32(rand[U64(start + lo + j)]) << shift)
        decided = True
        for j in range(n):
            i = U64(lo + j)
            lean &= _lean_values32(xb[i], yb[i], zb[i], pc, arity)
            ob[i], ok = _sr_window32(compute(x[i], y[i], z[i], op), words[j], p, c)
            decided &= ok
        if not decided:
            hi = lo + n
            _odd_sr_exact(x[lo:hi], y[lo:hi], z[lo:hi], ob[lo:hi], words[:n], op, p, odd, above)
    if not lean:
        _check_values32(xb, yb, zb, pc, bad, np.int64(arity))


# fma, div and sqrt under stochastic rounding (sr_rule="add", k <= 32 random bits) in float32 lanes,
# arguments as ``fast32_sr_kernel``'s, only where the test above is exact
# (``arithmetic.floating.odd_sr_in_float32``): a kernel each (``ODD_SR_KERNELS32``; one kernel
# branching on op compiled the three loops at the first call of any: e4m3 div, fresh cache, 5.8 s)
@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_fma_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed):
    """fma (op 3): ``_odd_sr_loop32`` of float32's x y + z (x y exact), rounded to odd
    (``fma_odd32``) where the window leaves a block."""
    _odd_sr_loop32(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed, _fma32, fma_odd32, _fma_above, 3)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_div_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed):
    """div (op 4): ``_odd_sr_loop32`` of float32's quotient."""
    _odd_sr_loop32(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed, _div32, _div32, _div_above, 2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fast32_sqrt_sr_kernel(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed):
    """sqrt (op 5, y unused): ``_odd_sr_loop32`` of float32's root."""
    _odd_sr_loop32(x, out, start, y, z, op, p, pc, bad, tiny, k, rand, seed, _sqrt32, _sqrt32, _sqrt_above, 1)


ODD_SR_KERNELS32 = {"fma": fast32_fma_sr_kernel, "div": fast32_div_sr_kernel, "sqrt": fast32_sqrt_sr_kernel}


# ---- report=True: the counts of numfmt.report in the same pass (numfmt.arithmetic.report) ----
#
# The counts of an operation are those of a cast of its exact value v to the format. Here v
# stands in as float32's v rounded to odd at 24 bits (``odd32``), as ``numfmt.arithmetic.report``
# has it at p + 2 bits: it is v where v is a float32, else it lies strictly between the same
# neighbours of p <= 22 bits as v, so that it is a value of the format iff v is, rounds as v
# in every mode of p bits (the kernels' own result, the nearest-even result with an unbounded
# exponent that decides overflow and tininess), and is zero iff v is. It comes from
# float32's result s and the sign of v - s: a sum's TwoSum error, a product's float64
# product (exact: 48 bits) minus s. Quotients and roots need none: where their kernel runs
# (p <= 11, p <= 10), float32's own quotient or root is, by the proofs above, v or strictly
# between the same neighbours on every grid of p + 1 bits as v, which is all the counts ask
# of a stand-in (as the plain kernel's rounding); nor do the products of the formats of
# float32's exponent field (p <= 8), and their quotients below 2**-126 and beyond 2**128 keep
# it but for a flushed zero and Inf (``_mul_capped32``, ``_div_capped32``). The one exception:
# float32's subnormal results, of fewer bits; there (products only: sums of values and roots
# of the formats taken are not below 2**-126) the rounding to odd is at the quantum 2**-149, at least two
# bits below every such format's (bfloat16: 2**-133; the others' is 2**-94 or more: their
# every rounding of such a stand-in is a flushed zero), and rounding to odd at an even grid
# point's quantum keeps v's side of it (tininess for bfloat16: ``_same_range_step``).
# Elements whose float32 result is not finite are counted from the operands (``_special``).


_NEG_INF32 = U32(0xFF800000)


@inner_inline
def _sum_odd32(x, y, z, op):
    """x + y or x - y (OPS[op]) rounded to odd at float32's 24 bits (``fma_odd32`` of x * 1:
    TwoSum's error)."""
    return fma_odd32(x, np.float32(1.0), -y if op == 1 else y, 3)


@inner_inline
def _mul_odd32(x, y, z, op):
    """x * y rounded to odd at 24 bits (float32 subnormals: at the quantum 2**-149)."""
    s = x * y
    return odd32(s, np.float64(x) * np.float64(y) - np.float64(s))


@inner_inline
def _add_mul_odd32(x, y, z, op):
    """``_sum_odd32``, or for mul (op 2) a stand-in of x * y for the formats of
    ``fast32_params`` (smallest quantum 2**-94 or more): below 2**-126 (where alone float32's
    product can be inexact) only that the product is not zero matters (every rounding of it
    is a flushed zero), so a nonzero product's last bit is set there."""
    prod = x * y
    b = bits_as(np.float32(prod), np.uint32)
    tiny = (U32(b & U32(0x7FFFFFFF)) < U32(0x00800000)) & (x != 0) & (y != 0)
    return bits_as(U32(b | U32(1)), np.float32) if (op == 2) & tiny else (prod if op == 2 else _sum_odd32(x, y, z, op))


@inner_inline
def _tiny_product_odd32(x, y, z, op):
    """``_add_mul_odd32``'s product (op 2 a constant of the code: with op read at run time
    the loop computed the sum it selects against too, e4m3 mul toward_positive, 4M values, 1
    thread, 2.0 -> 2.5 ms)."""
    return _add_mul_odd32(x, y, z, 2)


# The stand-ins of ``fast32_modes_kernel`` and its counting twin, (compute, arity, kinds: whether
# the counting pass counts the kinds of non-finite results, ``_count_tile32``), chosen by the
# length of a key (``modes_key``), so that each kernel compiles the one loop it runs.
MODES_COMPUTES = ((_div32, 2, True), (_sqrt32, 1, False), (fma_odd32, 3, False), (_fma_odd_rdn32, 3, False),
                  (_tiny_product_odd32, 2, False), (_mul_odd32, 2, False), (_add_mul32, 2, False),
                  (_sum_rdn32, 2, False), (_sum_odd32, 2, False), (_sum_odd_rdn32, 2, False),
                  (sqrt_odd32, 1, False))


def modes_key(op: str, p) -> tuple:
    """The key of op's stand-in in the directed modes (p: ``casts.floating.directed32_args``'
    (``Fast32Params``, ``Mode32``)): a tuple of Nones, one more than its index in
    ``MODES_COMPUTES``. Under toward_negative fma and sums are taken as -((-x) ... ) for
    IEEE's exact zeros (``_fma_odd_rdn32``); sums of E_max - E_q + 2 <= 24 bits (the exponent
    fields of the largest value and the smallest quantum) are float32's own, products of
    precision at most 12 float32's with a tiny one's last bit set, roots of precision at most
    10 float32's (else rounded to odd: ``sqrt_odd32``)."""
    q, m = p
    rdn = bool(m.away_neg and not m.away_pos and not m.nearest)
    if op == "sqrt":
        index = 1 if int(q.t_top) - int(q.t_cap) >= 14 else 10
    elif op == "div":
        index = 0
    elif op == "fma":
        index = 2 + rdn
    elif op == "mul":
        index = 4 if int(q.t_top) - int(q.t_cap) >= 12 else 5
    else:
        exact = (int(q.max_bits) >> 23) + 2 - (int(q.q_bits) >> 23) <= 24
        index = (6 if exact else 8) + rdn
    return (None,) * (index + 1)


def _modes_field(i: int):
    """The function key -> field i of ``MODES_COMPUTES``' entry of key (compiled: a constant of
    the code, by the key's type: a function as a dispatcher, not a first-class function)."""
    def field(key):
        return MODES_COMPUTES[len(key) - 1][i]

    @nb.extending.overload(field, inline="always")
    def _field_for(key):
        value = MODES_COMPUTES[len(key.types) - 1][i]
        return lambda key: value
    return field


modes_compute, modes_arity, modes_kinds = (_modes_field(i) for i in range(3))


@inner_inline
def _same_range_step(b, index, p):
    """``kernels.report._nearest_step`` of ``_same_range32`` (p: ``same_range_params``, shift
    s = p[0] >= 3): |b| rounded to nearest even at its precision with an unbounded exponent;
    below 2**-126 only tininess asks for it, and |b| + 2**(s - 2) lies below 2**-126 iff
    that rounding does (the midpoint under 2**-126 is 2**(s - 2) units of 2**-149 below it).
    The last kept bit is tested by a mask, not by shifting |b|: LLVM kept that shift, even by
    an amount masked below 32, and its loop with it in int64 lanes (bfloat16 add report=True,
    4M values, 1 thread: 2.6 -> 2.3 ms). The result is that rounding too, clamped (the fixed
    shift rounds float32's subnormals as its normals), where ``_same_range32`` rounded b again
    by its own steps (bfloat16 div's counting loop 2.6 -> 2.4 ms, A/B in one process)."""
    a = U32(b & U32(0x7FFFFFFF))
    lsb = U32(U32(1) << U32(U32(p[0]) & U32(31)))
    bias = U32(U32(U32(lsb >> U32(1)) - U32(1)) + U32(U32(a & lsb) != U32(0)))
    grid = U32(U32(minimum(a, _INF32) + bias) & U32(U32(0) - lsb))
    r = U32(a + U32(lsb >> U32(2))) if a < U32(0x00800000) else grid
    sign = U32(b ^ a)
    o = U32(U32(p[7]) | sign) if a > _INF32 else U32(minimum(grid, U32(p[6])) | sign)
    return o, r, a >= _INF32


@inner_inline
def _special(b, r, xb, yb, zb, op):
    """(stand-in bits, r, x / 0) of an element whose float32 result b is not finite: a NaN
    from non-NaN operands counts as invalid only (the stand-in 0 with a NaN result), an
    infinity from finite operands is x / 0 (div: the exact Inf, div_by_zero) or an overflow
    of a finite v (the stand-in float32's largest odd magnitude, r above every largest value);
    the rest (NaN or infinite operands) are casts of b. A finite b comes back as it is, with
    r (selects, no branches: ``scan_firsts``' block loop vectorizes)."""
    ma, mb, mc = U32(xb & U32(0x7FFFFFFF)), U32(yb & U32(0x7FFFFFFF)), U32(zb & U32(0x7FFFFFFF))
    nan_op = (ma > _INF32) | (mb > _INF32) | (mc > _INF32)
    inf_op = (ma == _INF32) | (mb == _INF32) | (mc == _INF32)
    a = U32(b & U32(0x7FFFFFFF))
    invalid = (a > _INF32) & (not nan_op)
    from_finite = (a == _INF32) & (not inf_op)
    over = from_finite & (op != 4)
    b = U32(0) if invalid else (U32(U32(b ^ a) | U32(0x7F7FFFFF)) if over else b)
    r = U32(0) if invalid else (_INF32 if over else r)
    return b, r, from_finite & (op == 4)


@inner_inline
def _cases_of(xb, yb, zb, b, o, r, op, lim32):
    """(``_cases32`` of one element, x / 0): b its stand-in's bits, o its result's, r as the
    step gives it (``_special`` fixes both where b is not finite)."""
    b, r, by_zero = _special(b, r, xb, yb, zb, op)
    return _cases32(b, o, r, lim32), by_zero


@inner_inline
def _flags32(xb, yb, zb, v, o, op, index, lim32, step, args):
    """The flags of one element as a bit mask (bit k: ``numfmt.report.FLAGS[k]``, div_by_zero
    bit 8): v its stand-in (float32), o its result bits (``_cases_of``)."""
    b = _NAN32 if v != v else bits_as(np.float32(v), np.uint32)
    cases, by_zero = _cases_of(xb, yb, zb, b, o, step(b, index, *args)[1], op, lim32)
    return _mask(cases) | (256 if by_zero else 0)


@inner_inline
def _same_range_values32(xb, yb, zb, pc, arity):
    """Whether the ``arity`` operands' float32 bits are finite values of a format of float32's
    exponent field (pc: ``same_range_params``; IEEE formats with subnormals, whose every finite
    float32 with no bit below the last kept one, pc[0] bits up, is a value), as
    ``_lean_values32`` takes its arguments and decides (False for Inf and NaN): one test of
    the operands' OR, where ``_values32`` would round each (bfloat16 add, 4M float32, 1
    thread, CPU time: report=True 2.1-2.5x the plain call's -> 1.3-1.4x)."""
    ya, za = yb if arity >= 2 else U32(0), zb if arity >= 3 else U32(0)
    mag = maximum(maximum(U32(xb & U32(0x7FFFFFFF)), U32(ya & U32(0x7FFFFFFF))), U32(za & U32(0x7FFFFFFF)))
    low = U32(U32(U32(1) << U32(pc[0])) - U32(1))
    return (mag < _INF32) & (U32(U32(xb | ya | za) & low) == U32(0))


@inner_inline
def _f32(b):
    """The float32 of the bits b (uint32)."""
    return bits_as(np.uint32(b), np.float32)



@inner
def _fix_special(counts, xb, yb, zb, v, n, op, index, lim32, kd, step, args, tally, q):
    """Add to counts (int64) what n elements of the operands' bits xb, yb, zb and stand-in v
    (float32) whose float32 result is not finite count beyond their ``tally`` counts: their
    ``_flags32`` less ``_derive`` of those."""
    b = _NAN32 if v != v else bits_as(np.float32(v), np.uint32)
    o, f = tally(b, index, step, args, lim32, q)
    add_counts(counts, _derive((U32(f[0]), U32(f[1]), U32(f[2]), U32(f[3]), U32(f[4])), kd), -n)
    m = _flags32(xb, yb, zb, v, o, op, index, lim32, step, args)
    for k in range(NFLAGS):
        counts[k] += n * ((m >> k) & 1)


@inner_inline
def _stand_in_bits(xb, yb, zb, op, compute):
    """The float32 bits of the stand-in compute(x, y, z) of the operands' bits (NaN: ``_NAN32``)."""
    v = compute(_f32(xb), _f32(yb), _f32(zb), op)
    return _NAN32 if v != v else bits_as(np.float32(v), np.uint32)


@inner_inline
def _count_tile32(xb, yb, zb, ob, start, op, pc, lim32, kd, compute, step, args, tally, q, kinds, lean, check, arity,
                   by_sign):
    """Round and count one tile (``kernels.report._tile32``): ``tally(b, index, step, args,
    lim32, q)`` rounds each stand-in b and gives its ``_lean32`` counts, summed in uint32 lanes
    in one branch-free pass that checks the operands by ``lean`` as it goes, then the elements
    whose float32 result is not finite (``_fix_special``). Where every operand is a finite
    value (``lean``), their stand-ins are +Inf, -Inf or the NaN ``_NAN32`` and their flags
    depend on that alone (their rounding reads no random bits): with ``kinds`` (div, where
    x / 0 and 0 / 0 are common; elsewhere a finite operand's result is seldom not finite) the
    pass counts each kind, one ``_fix_special`` each counts them all (they cost a division's
    tile no visit). Else (without ``kinds``, or some operand not a value, or Inf or NaN)
    ``_fix_special`` counts each such element, found by a second pass (a flag stored per
    element would cost the common tile a byte store each) in a tile whose largest |stand-in|
    is Inf or NaN (a max per element: e4m3 mul report=True 2.73-2.83 -> 2.63-2.64 ms per 4M, 1
    thread), over the blocks of CHECK_BLOCK elements whose largest |stand-in| (a vector pass)
    is (e4m3 add, 4M values of which 0.01% NaN: report=True 4.6 -> 2.5 ms, against the whole
    tile one by one), and where some operand
    is not a finite value ``_not_values32`` checks the operands. Returns (counts
    (``numfmt.report.FLAGS`` order), some operand not a value). Its loops run over the tile
    from 0 (an index from an offset would need a wraparound test, which keeps the loop from
    vectorizing). The operands and results come as their float32 bits (uint32 arrays: no
    array views to compile). With ``by_sign`` (the directed modes, whose overflow results may
    differ by sign: ``kernels.report._directed_tile32``'s) the overflows of finite negative
    stand-ins move from kd's kind to their own, counted in the same pass (in a pass of their
    own over each tile that had overflows, e4m3 mul toward_positive on 4M values spread over 40
    binades, 1 thread, cost report=True 2.03x the plain call; 1.74x in the pass)."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    n0 = n1 = n2 = n3 = n4 = n5 = nan = neg = negative_ovf = U32(0)
    top = np.int32(0)
    lean_ok = True
    for i in range(xb.size):
        lean_ok &= lean(xb[i], yb[i], zb[i], pc, arity)
        b = _stand_in_bits(xb[i], yb[i], zb[i], op, compute)
        o, f = tally(b, start + i, step, args, lim32, q)
        ob[i] = o
        n0, n1, n2, n3, n4 = tick(n0, f[0]), tick(n1, f[1]), tick(n2, f[2]), tick(n3, f[3]), tick(n4, f[4])
        if by_sign is not None:     # (finite negative stand-ins that overflow)
            negative_ovf = tick(negative_ovf, f[1] & (b > MAG32) & (U32(b & MAG32) < _INF32))
        if kinds:
            n5, nan, neg = tick(n5, f[5]), tick(nan, b == _NAN32), tick(neg, b == _NEG_INF32)
        else:                       # (only whether the tile has one: a max, not a count)
            top = maximum(top, np.int32(b & U32(0x7FFFFFFF)))
    n0, n1, n2, n3, n4, n5, nan, neg = ticks(n0), ticks(n1), ticks(n2), ticks(n3), ticks(n4), ticks(n5), ticks(nan), \
        ticks(neg)
    special = n5 != 0 if kinds else top >= np.int32(0x7F800000)
    counts = zeros(NFLAGS, np.int64)
    add_counts(counts, _derive((n0, n1, n2, n3, n4), kd), ONE)
    if by_sign is not None:
        moved = np.int64(ticks(negative_ovf))
        counts[2] += moved * by_sign[0]
        counts[6] += moved * by_sign[1]
    zero = U32(0)
    if special and lean_ok and kinds:
        for b, n in ((_INF32, np.int64(n5 - nan - neg)), (_NEG_INF32, np.int64(neg)), (_NAN32, np.int64(nan))):
            _fix_special(counts, zero, zero, zero, _f32(b), n, op, start, lim32, kd, step, args, tally, q)
        return counts, False
    xa, ya, za = borrowed(xb), borrowed(yb), borrowed(zb)      # (blocks without reference counts)
    for lo in range(0, xb.size if special else 0, CHECK_BLOCK):
        xs, ys, zs = xa[lo:lo + CHECK_BLOCK], ya[lo:lo + CHECK_BLOCK], za[lo:lo + CHECK_BLOCK]
        block_top = np.int32(0)
        for i in range(xs.size):
            block_top = maximum(block_top, np.int32(_stand_in_bits(xs[i], ys[i], zs[i], op, compute) & MAG32))
        for i in range(xs.size if block_top >= np.int32(_INF32) else 0):
            v = compute(_f32(xs[i]), _f32(ys[i]), _f32(zs[i]), op)
            if not abs(v) < np.float32(np.inf):
                _fix_special(counts, xs[i], ys[i], zs[i], v, ONE, op, start + lo + i, lim32, kd, step, args, tally,
                             q)
    return counts, False if lean_ok else _not_values32(xb, yb, zb, pc, lean, check, arity)


@inner_inline
def _quiet_tile32(xb, yb, zb, ob, start, op, pc, lim32, compute, quick, step, args, tally, q, lean, arity):
    """The first, lean pass of a tile of ``_count_loop32``: round it as ``_count_tile32`` does,
    counting only the inexact results, and tell whether that is the whole count: every operand
    a finite value (``lean``) and every nonzero |result of float32| from the smallest normal
    (or the tininess bound, the larger) up to the largest value, as
    ``kernels.report._maybe_flags32`` bounds them, so that no result overflows, saturates, is
    tiny, subnormal or flushed, and none is Inf or NaN. ``quick(x, y, z, op, compute)`` gives
    float32's result v and whether it is exact (``_own_stand_in``, ``_checked_sum32``,
    ``_product_or_quotient32``); the element rounds v, inexact where v is not exact or its
    rounding differs from it. Returns (that, the inexact count). Three counters where
    ``_count_tile32`` keeps eight (bfloat16, 4M standard normal float32, 1 thread, CPU time,
    report=True against the plain call, A/B in one session: add 2.29x -> 1.36-1.37x, mul
    2.12x -> 1.23-1.30x, div 2.31x -> 1.30-1.34x); a tile it does not clear is counted again."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    inexact, top, low = U32(0), np.int32(0), U32(0xFFFFFFFF)
    lean_ok = True
    for i in range(xb.size):
        lean_ok &= lean(xb[i], yb[i], zb[i], pc, arity)
        v, exact = quick(_f32(xb[i]), _f32(yb[i]), _f32(zb[i]), op, compute)
        b = bits_as(np.float32(v), np.uint32)
        o, f = tally(b, start + i, step, args, lim32, q)
        ob[i] = o
        inexact = tick(inexact, f[0] | (not exact))
        a = U32(b & MAG32)
        top = maximum(top, np.int32(a))
        low = minimum(low, U32(a - U32(1)))     # (a zero wraps to the top)
    max_bits, _, tiny_bits, normal_bits, _ = lim32
    quiet = lean_ok & (top <= np.int32(max_bits)) & (low >= U32(maximum(tiny_bits, normal_bits) - U32(1)))
    return quiet, np.int64(ticks(inexact))


@inner_inline
def _own_stand_in(x, y, z, op, compute):
    """``_quiet_tile32``'s (v, exact) of a stand-in that is inexact exactly where the result is:
    compute's, and True."""
    return compute(x, y, z, op), True


@inner_inline
def _checked_sum32(x, y, z, op, compute):
    """``_quiet_tile32``'s (v, exact) of a sum or difference (OPS[op]) of the formats of float32's
    exponent field: float32's, and whether it is exact (Fast2Sum's: with |x| >= |y|, s - x is
    exact, the sum's error less y, nonzero iff s is inexact; each way round, as the order is
    not known), in place of ``_sum_odd32``'s stand-in, which costs more than the rest of the
    pass. Rounding float32's sum is the plain kernel's rounding; a sum below 2**-126 is exact
    (the quiet pass clears none), one above the largest value is not quiet either way."""
    w = -y if op == 1 else y
    s = x + w
    return s, (s - x == w) & (s - w == x)


@inner_inline
def _product_or_quotient32(x, y, z, op, compute):
    """``_quiet_tile32``'s (v, exact) of a product or quotient (op 2 or 4) of the formats of
    ``_mul_capped32`` and ``_div_capped32``: float32's, which is inexact exactly where the result
    is, a zero of nonzero operands (a flushed result) as 2**-149 (below every tininess bound:
    the quiet pass clears no such tile), and True; cheaper than those stand-ins, whose other
    cases (an Inf of finite operands) the pass does not clear either way."""
    s = x * y if op == 2 else x / y
    return (_f32(U32(1)) if (s == 0) & (x != 0) & (y != 0) else s), True


@nb.njit(inline="always")
def _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, compute, step, args, tally, q, kinds, lean, check,
                  arity, by_sign, quick):
    """``_loop32`` counting as it goes, tile by tile (``_count_tile32``): out[i] = the format's
    rounding (``step``; ``tally``, its twin that also counts, in the tile's pass) of the
    stand-in compute(x[i], y[i], z[i]) (rounded to odd at 24 bits), counted as a cast of it;
    then the first indices by a scan of a tile while one of its counts has none
    (``_flags32``). x, y, z and out are float32 bits (uint32 arrays). Returns the counts and
    first indices (``numfmt.report.FLAGS`` order)."""
    c = _new_counts()
    if tiny + tiny == 0:
        bad[1] = 1
        return c
    y, z = y[start:start + x.size], z[start:start + x.size]
    seen = np.int64(0)
    for lo in range(0, x.size, CAST_TILE):
        xs, ys, zs, outs = x[lo:lo + CAST_TILE], y[lo:lo + CAST_TILE], z[lo:lo + CAST_TILE], out[lo:lo + CAST_TILE]
        quiet, inexact = (False, np.int64(0)) if quick is None else _quiet_tile32(
            xs, ys, zs, outs, start + lo, op, pc, lim32, compute, quick, step, args, tally, q, lean, arity)
        if quiet:
            counts, found = zeros(NFLAGS, np.int64), False
            counts[0] = inexact
        else:
            counts, found = _count_tile32(xs, ys, zs, outs, start + lo, op, pc, lim32, kd, compute, step, args, tally,
                                          q, kinds, lean, check, arity, by_sign)
        if found:
            bad[0] = 1
        add_counts(c, counts, ONE)
        need = _mask(counts)
        seen = scan_firsts(c, xs.size, need & ~seen, seen, start + lo, _element_flags,
                           (xs, ys, zs, outs, op, start + lo, lim32, step, args, compute), _element_flags)
    return c


@inner_inline
def _element_flags(i, xb, yb, zb, ob, op, base, lim32, step, args, compute):
    """The count bits of element i of a tile (``_flags32`` of its operands, stand-in and result;
    all float32 bits)."""
    v = compute(_f32(xb[i]), _f32(yb[i]), _f32(zb[i]), op)
    return _flags32(xb[i], yb[i], zb[i], v, ob[i], op, base + i, lim32, step, args)


@nb.njit(inline="always")
def _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, compute, tally, kinds, arity):
    """``_count_loop32`` rounding to nearest even (``_nearest_step``), the tile's pass by one
    float32 addition (``kernels.report.added_tally``, or ``sum_tally``: the formats of
    ``casts.report.adds32``)."""
    return _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, compute, _nearest_step, (p,), tally,
                         _added_params(p), kinds, _lean_values32, _nearest_value32, arity, None, None)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``fast32_kernel``'s add and sub counting as it goes (``_count_loop32``) where float32's
    result is exact (``arithmetic.floating.exact_in_float32``): its own stand-in. x, y, z and
    out are the float32 operands' and results' bits (uint32 arrays), lim32 and kd as
    ``kernels.report._cases32`` and ``_derive`` take them. Returns the counts and first
    indices; z must be x (``_special`` reads it). Each counting kernel compiles one loop (one
    operation, one stand-in, one source of random bits), chosen in Python
    (``count_kernel32``): a first call compiles only what it runs."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _add_mul32, sum_tally, False, 2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_mul_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``count_fast32_kernel`` for mul (op 2: products may underflow)."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _add_mul32, added_tally, False, 2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_odd_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``count_fast32_kernel`` where float32's result may be inexact: the stand-in is
    ``_add_mul_odd32``'s."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _add_mul_odd32, added_tally, False,
                            2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_fma_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``fast32_fma_kernel`` (op 3) counting as it goes, as ``count_fast32_kernel``
    (float32's sums rounded to odd)."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, fma_odd32, added_tally, False, 3)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_div_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``count_fast32_fma_kernel`` for div (op 4)."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _div32, added_tally, True, 2)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_sqrt_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``count_fast32_fma_kernel`` for sqrt (op 5; y unused: x)."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _sqrt32, added_tally, False, 1)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_root_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``count_fast32_sqrt_kernel`` where no root is tiny (``normal_roots``)."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _sqrt32, normal_tally, False, 1)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_odd_root_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``fast32_odd_root_kernel`` counting as it goes, as ``count_fast32_sqrt_kernel`` (its stand-in
    ``sqrt_odd32``'s)."""
    return _count_nearest32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, sqrt_odd32, added_tally, False, 1)


def normal_roots(p) -> bool:
    """Whether the square root of every nonzero value of the format of p (a ``Fast32Params``)
    is at least its smallest normal 2**emin: its smallest quantum is at least 2**(2 emin)."""
    quantum, normal = (float(np.array(v, np.uint32).view(np.float32)) for v in (p.q_bits, p.normal_bits))
    return quantum >= normal * normal


@nb.njit(inline="always")
def _count_same_range32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, compute, tally, kinds, arity, quick):
    """``_count_loop32`` of the formats of float32's exponent field (``same_range32_kernel``'s,
    bfloat16): round to nearest even from float32's result (``_same_range_step``), its checks
    ``_same_range_values32``."""
    return _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, compute, _same_range_step, (p,), tally,
                         (), kinds, _same_range_values32, _same_range_value32, arity, None, quick)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``same_range32_kernel`` (bfloat16) add and sub counting as it goes, as
    ``count_fast32_kernel`` (its sums are not all exact in float32: ``_sum_odd32``)."""
    return _count_same_range32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _sum_odd32, sum_step_tally, False,
                               2, _checked_sum32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_mul_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``count_same_range32_kernel`` for mul (op 2: ``_mul_capped32``)."""
    return _count_same_range32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _mul_capped32, step_tally, True,
                               2, _product_or_quotient32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_div_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``same_range32_div_kernel`` counting as it goes, as ``count_same_range32_kernel``
    (``_div_capped32``'s stand-in; the kinds of x / 0 counted in the pass)."""
    return _count_same_range32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _div_capped32, step_tally, True,
                               2, _product_or_quotient32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_sqrt_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd):
    """``same_range32_sqrt_kernel`` counting as it goes (float32's root; y unused: x)."""
    return _count_same_range32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, _sqrt32, step_tally, False, 1,
                               _own_stand_in)


@inner_inline
def _same_range_modes_step(b, index, q, q_r, q_fine):
    """``kernels.report._nearest_step`` of ``_same_range32`` in any deterministic mode (q, q_r,
    q_fine: ``same_range32_params`` of the mode's p, of p unclamped, and of p one bit finer):
    the result ``same_range32_one``'s; r |b| rounded in the mode at its precision with an
    unbounded exponent: from 2**-126 up the unclamped rounding, where float32's largest
    magnitude, the capped stand-in of every finite result beyond float32's range
    (``_capped32``), is Inf, an overflow in every mode (toward zero it rounds to the largest
    value, as those results do, but overflows only so: ``count_same_range32_sum_modes_kernel``
    says where no other stand-in has its bits); below 2**-126 only tininess asks for r: the
    rounding one bit finer, the grid of [2**-127, 2**-126) (below, every rounding stays under
    2**-126)."""
    a = U32(b & U32(0x7FFFFFFF))
    sign = U32(b ^ a)
    grid = U32(same_range32_one(b, q_r) & U32(0x7FFFFFFF))
    fine = U32(same_range32_one(b, q_fine) & U32(0x7FFFFFFF))
    r = fine if a < U32(0x00800000) else (_INF32 if a == U32(0x7F7FFFFF) else grid)
    o = U32(q[6] | sign) if a > _INF32 else U32(minimum(grid, q[5]) | sign)
    return o, r, a >= _INF32


@nb.njit(inline="always")
def _count_same_range_modes32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign, compute, tally, kinds,
                              arity, quick):
    """``_count_loop32`` of ``same_range32_sum_modes_kernel`` and its siblings (p: the mode's
    ``same_range_params``): their stand-ins rounded by ``_same_range_modes_step``; kd, by_sign
    as ``_count_tile32`` takes them (the overflow results of both signs differ in the directed
    modes)."""
    unclamped = (p[0], p[1], p[2], p[3], p[4], p[5], np.int64(0x7F800000), p[7])
    fine = (p[0] - 1, p[1], p[2], p[3], p[4], p[5], p[6], p[7])
    args = (same_range32_params(p), same_range32_params(unclamped), same_range32_params(fine))
    return _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, compute, _same_range_modes_step, args,
                         tally, (), kinds, _same_range_values32, _same_range_value32, arity, by_sign, quick)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_sum_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign):
    """``same_range32_sum_modes_kernel`` counting as it goes, for precisions p of at most 11: no
    stand-in but a capped one is float32's largest magnitude there. An exact sum above 2**128 -
    2**105 of two values of at most the largest, 2**128 - 2**(128 - p), has both operands of at
    least 2**(128 - p) - 2**105 > 2**116, multiples of 2**106: it is 2**128 or more (float32's
    sum overflows: capped), never float32's largest, 2**128 - 2**104, nor rounded to odd to it.
    Not so at p = 12: (2**12 - 1) * 2**116 + (2**12 - 1) * 2**104 is float32's largest, a sum
    that toward zero does not overflow. bfloat16, 1M standard normal values, 1 thread, CPU
    time, toward_zero: report=True 1.9 -> 1.4 ms, plain 1.1 ms (the counted cast of a stand-in
    array before). Toward negative: ``count_same_range32_sum_down_kernel`` (one kernel with a
    branch on the mode compiled both loops: the first report=True call of bfloat16 add
    toward_zero took 8.6 s with a fresh cache; 3.2 s through the stand-ins before)."""
    return _count_same_range_modes32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign, _sum_capped32,
                                     sum_step_tally, False, 2, _own_stand_in)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_sum_down_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign):
    """``count_same_range32_sum_modes_kernel`` toward negative, whose exact zeros are -0
    (``_sum_down_capped32``, as ``_signed_zeros_loop32`` picks it)."""
    return _count_same_range_modes32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign,
                                     _sum_down_capped32, sum_step_tally, False, 2, _own_stand_in)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_mul_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign):
    """``same_range32_mul_modes_kernel`` counting as it goes (an exact product of at most 16
    bits is never float32's largest magnitude)."""
    return _count_same_range_modes32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign,
                                     _mul_over_capped32, step_tally, True, 2, _product_or_quotient32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_div_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign):
    """``same_range32_div_modes_kernel`` counting as it goes (op 4; float32's quotient of values
    of at most 11 bits is never its largest magnitude: its significand of 24 ones would lie
    within 2**-23 of 2, a quotient of such values at least 2**-11 from it, or 2). One kernel
    for div and sqrt compiled both loops: the first report=True call of bfloat16 div
    toward_zero took 10.5-12.0 s with a fresh cache (6.1-7.1 s split)."""
    return _count_same_range_modes32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign, _div_capped32,
                                     step_tally, True, 2, _product_or_quotient32)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_same_range32_sqrt_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign):
    """``same_range32_sqrt_modes_kernel`` counting as it goes (y unused)."""
    return _count_same_range_modes32(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign, _sqrt32,
                                     step_tally, False, 1, _own_stand_in)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_seeded_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, k, seed):
    """``fast32_sr_kernel`` with SplitMix64's random bits of seed (k <= 32 of them) counting as it
    goes, as ``count_fast32_kernel`` (float32's result is exact: its own stand-in)."""
    return _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, _add_mul32, _seeded_step,
                         (p, seed, top_bits32(k)), step_tally, (), True, _lean_values32, _nearest_value32, 2, None,
                         None)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_given_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, k, rand):
    """``count_fast32_seeded_kernel`` with the given random bits rand (rand[i] for element i)."""
    return _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, _add_mul32, _given_step,
                         (p, rand, U32(32 - k)), step_tally, (), True, _lean_values32, _nearest_value32, 2, None,
                         None)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_fast32_modes_kernel(x, out, start, y, z, op, p, pc, bad, tiny, lim32, kd, by_sign):
    """``fast32_modes_kernel`` counting as it goes, as ``count_fast32_kernel``: its stand-in
    (``modes_compute`` of p's key) rounded by ``kernels.report._directed_step`` (the mode's
    flags read at run time); kd as ``_derive`` takes it for p's ovf0, by_sign as
    ``_count_tile32``."""
    key = p[2]
    return _count_loop32(x, out, start, y, z, op, pc, bad, tiny, lim32, kd, modes_compute(key), _directed_step,
                         (p[0], p[1]), step_tally, (), modes_kinds(key), _lean_values32, _nearest_value32,
                         modes_arity(key), by_sign, None)


MODES_TWINS = (count_same_range32_sum_modes_kernel, count_same_range32_sum_down_kernel,
               count_same_range32_mul_modes_kernel, count_same_range32_div_modes_kernel,
               count_same_range32_sqrt_modes_kernel)   # (they take by_sign)

# plain float32 kernel -> its counting twin, where it has one twin only
_COUNT_TWINS = {fast32_odd_root_kernel: count_fast32_odd_root_kernel, fast32_fma_kernel: count_fast32_fma_kernel,
                fast32_div_kernel: count_fast32_div_kernel, same_range32_div_kernel: count_same_range32_div_kernel,
                same_range32_sqrt_kernel: count_same_range32_sqrt_kernel,
                same_range32_mul_modes_kernel: count_same_range32_mul_modes_kernel,
                same_range32_div_modes_kernel: count_same_range32_div_modes_kernel,
                same_range32_sqrt_modes_kernel: count_same_range32_sqrt_modes_kernel,
                fast32_modes_kernel: count_fast32_modes_kernel}


def count_kernel32(plain, op: str, exact: bool, seeded: bool, p):
    """The counting twin of the float32 kernel ``plain`` for op, or None where it has none:
    ``exact`` where float32's result is exact (``arithmetic.floating.exact_in_float32``),
    ``seeded`` where stochastic rounding draws its random bits from a seed (no explicit ones);
    p the kernel's parameters (the nearest-even twins round by one float32 addition: the
    formats of ``casts.report.adds32``, every registered one)."""
    if plain in (fast32_kernel, fast32_fma_kernel, fast32_div_kernel, fast32_sqrt_kernel,
                 fast32_odd_root_kernel) and not adds32(p):
        return None
    if plain is fast32_kernel:
        return count_fast32_odd_kernel if not exact else count_fast32_mul_kernel if op == "mul" else count_fast32_kernel
    if plain is fast32_sqrt_kernel:
        return count_fast32_root_kernel if normal_roots(p) else count_fast32_sqrt_kernel
    if plain is same_range32_kernel:
        return count_same_range32_mul_kernel if op == "mul" else count_same_range32_kernel
    if plain is same_range32_sum_modes_kernel:       # (precision at most 11; toward negative as _signed_zeros_loop32)
        if p[0] < 13:
            return None
        down = p[1] == 0 and p[3] == 0 and p[4] != 0
        return count_same_range32_sum_down_kernel if down else count_same_range32_sum_modes_kernel
    if plain in (fast32_sr_kernel, fast32_sr_given_kernel):
        return count_fast32_seeded_kernel if seeded else count_fast32_given_kernel
    return _COUNT_TWINS.get(plain)
