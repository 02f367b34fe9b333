"""Numba kernels of the float family: round (values to values), encode (values to codes), decode.

The kernels read the *bit patterns* of their float input. The input "domain" is float32
(dom_m = 23, dom_bias = 127) or float64 (52, 1023). The target format comes in as plain
integers (a ``FloatParams`` built by ``numfmt.casts.floating.kernel_params``), so one compiled
kernel serves every FloatFormat and every deterministic rounding mode.

Rounding works on the magnitude bits ``a`` of the input, as SoftFloat's roundPack does on its
significand: find the quantum of the target binade (``shift`` bits of the input's significand
are discarded), add a mode-dependent bias below the kept bits and truncate:

    r = (a + bias) & -2**shift      nearest_even:  bias = half - 1 + lsb
                                    nearest_away:  bias = half
                                    away from zero (toward_positive on +x, ...): bias = full - 1
                                    odd:           bias = (full - 1) * (1 - lsb)

A carry out of the significand walks into the exponent by itself. Inputs below one quantum of
the smallest binade round between 0 and that quantum by comparison. Everything is written with
selects instead of branches so that LLVM vectorizes the loops. "Even" and "odd" refer to the
target *code*, which differs from the significand's last bit only for formats with M = 0 (E8M0).

``round_one`` keeps int64 lanes (8 to an AVX-512 register) and is what the torch and JAX
backends evaluate. The float32 casts of most formats of up to 22 fraction bits take two
Numba-only kernels instead, in uint32 lanes (16 to a register) and checked bit for bit
against it (tests/test_fast32.py): ``round_nearest32`` (nearest_even) and ``round_sr_add32``
(stochastic, sr_rule="add", at most 32 random bits); bfloat16 and tf32 take
``round_same_range``, deterministic modes in uint32 lanes (``same_range32_one``), stochastic
ones (sr_rule="add") too (``same_range_sr32_one``).
"""
import inspect
import math
from typing import NamedTuple

import numba as nb
import numpy as np

from ..lanes import as_float, copysign, lane, maximum, minimum, narrow_min, where
from ..random import DRAW_BLOCK, GOLDEN, draw_tops, draw_words, drawn_bits, pair_state, pair_word
from ..rounding import ModeFlags, rounding_bias, rounds_away, stochastic_away
from .inner import inner_inline
from .pipeline import kernel
from .prefetch import prefetch_ahead
from .arrays import alive, bits_as, borrowed, empty, view_as

class FloatParams(NamedTuple):
    """The numbers ``round_one`` needs about a float format, a rounding mode and the policies,
    as integers (bit patterns in the input domain); built by
    ``numfmt.casts.floating.kernel_params``. Kernels read the fields by name."""
    M: int                  # target fraction bits
    sub_shift_base: int     # shift = max(dom_m - M, sub_shift_base - max(E, 1)) (subnormals)
    q_bits: int             # bits of the smallest quantum 2**qsub
    half_q_bits: int        # ... and of half of it
    max_bits: int           # bits of the largest finite value
    min_bits: int           # bits of the smallest value (formats without zero), else 0
    lsb_parity: int         # -1: code parity is the significand's; else (E + lsb_parity) & 1
    nearest: int            # nearest .. odd: the deterministic fields of numfmt.rounding.ModeFlags
    ties_even: int
    away_pos: int
    away_neg: int
    odd: int
    code_normal_sub: int    # code = (r >> (dom_m - M)) - code_normal_sub for r >= 2**emin
    normal_bits: int        # bits of 2**emin
    out_sign: int           # the output's sign bit
    negzero: int            # whether -0 exists
    unsigned: int           # unsigned format
    nan0: int               # outputs for NaN, Inf and overflow, by sign (0: +, 1: -)
    nan1: int
    inf0: int
    inf1: int
    ovf0: int
    ovf1: int


NO_SR = None    # "no stochastic parameters": round_one then compiles without its stochastic code
# round_one's arguments as typed constants (np.int64 / np.bool_, not Python literals): every
# call site then has the same argument types and shares one compiled specialization, and LLVM
# still folds the constants once it inlines the call.
DOM32, DOM64 = np.int64(23), np.int64(52)            # dom_m: float32 or float64 input bits
VALUE, CODE = np.bool_(False), np.bool_(True)        # want_code
DETERMINISTIC, STOCHASTIC = np.bool_(False), np.bool_(True)
NO_RND = np.int64(0)


@inner_inline
def _stochastic_magnitude(a, E, sig, shift, q_bits, rnd, sr):
    """Rounded magnitude bits under stochastic rounding with the k random bits ``rnd``.

    ``sr`` is (k, rule_nearest, q_shift_base); see ``numfmt.rounding.stochastic_away``.
    """
    k, rule_nearest, q_shift_base = sr
    below_quantum = a < q_bits
    full = lane(1) << shift
    rem = where(below_quantum, sig, sig & (full - 1))
    t = where(below_quantum, q_shift_base - maximum(E, 1), shift)
    inc = stochastic_away(rem, t, 0, k, rule_nearest, rnd)
    return where(below_quantum, inc * q_bits, (a & -full) + inc * full)


@inner_inline
def round_one(bits, p, want_code, dom_m, stochastic, rnd, sr):
    """Round one input (its bit pattern as int64) to the format; return output bits or code.

    Pass the module's constants, not literals (``round_one(b, p, VALUE, DOM32, DETERMINISTIC,
    NO_RND, NO_SR)``): see ``DOM32``. ``stochastic`` rounds with the k = sr[0] random bits rnd;
    sr None (``NO_SR``) rounds deterministically and compiles no stochastic code.

    NaN, negative inputs of unsigned formats and zeros of formats without zero give the NaN
    output; zeros otherwise follow the main path (-0 only where the format has it).

    Written in the ops vocabulary of ``numfmt.lanes`` (the backends evaluate it on tensors):
    every intermediate is a non-negative magnitude below 2**(dom_exp + dom_m) plus at most
    2**dom_m, so for float32 inputs (dom_m = 23) everything but the sign bit and the codes
    of 32-bit formats fits an int32 lane, the parameters arriving already wrapped to the lane.
    """
    (M, sub_shift_base, q_bits, half_q_bits, max_bits, min_bits, lsb_parity,
     nearest, ties_even, away_pos, away_neg, odd, code_normal_sub, normal_bits,
     out_sign, negzero, unsigned, nan0, nan1, inf0, inf1, ovf0, ovf1) = p
    flags = ModeFlags(nearest, ties_even, away_pos, away_neg, odd, 0, 0, 0)
    dom_exp = 11 if dom_m == 52 else 8
    neg = bits < 0
    a = bits & ~(lane(-1) << (dom_exp + dom_m))     # no 2**63 - 1: signed overflow is UB
    inf_bits = ((lane(1) << dom_exp) - 1) << dom_m
    mant_mask = (lane(1) << dom_m) - 1
    ar = minimum(a, inf_bits)         # NaN payloads clamped: a + bias stays below 2**(dom_exp + dom_m)

    # discarded bits: fixed in normal binades, more below the smallest normal binade
    E = ar >> dom_m
    shift = minimum(maximum(dom_m - M, sub_shift_base - maximum(E, 1)), dom_m)
    full = lane(1) << shift
    sig = (ar & mant_mask) | (minimum(E, 1) << dom_m)
    lsb = ((sig >> shift) if lsb_parity < 0 else (E + lsb_parity)) & 1
    r = (ar + rounding_bias(neg, lsb, shift, flags)) & -full
    # below one quantum: 0 (an even code) or the quantum, from a guard bit (a >= half a
    # quantum) and a sticky bit (a is neither half a quantum nor 0)
    up_from_zero = rounds_away(neg, 0, lane(a >= half_q_bits), 1,
                               lane((a != half_q_bits) & (a != 0)), flags, 0)
    r = where(a < q_bits, up_from_zero * q_bits, r)
    if sr is not None:
        if stochastic:
            r = _stochastic_magnitude(ar, E, sig, shift, q_bits, rnd, sr)
    overflow = r > max_bits
    r = maximum(r, min_bits)

    if want_code:  # the code of the rounded magnitude r
        Er = r >> dom_m
        sub_code = (((r & mant_mask) | (minimum(Er, 1) << dom_m))
                    >> minimum(maximum(sub_shift_base - maximum(Er, 1), 0), dom_m))
        r = where(r >= normal_bits, (r >> (dom_m - M)) - code_normal_sub, sub_code)
    out = r | where(neg & ((r != 0) | (negzero != 0)), out_sign, 0)
    out = where(overflow, where(neg, ovf1, ovf0), out)
    out = where(a == inf_bits, where(neg, inf1, inf0), out)
    no_image = (a > inf_bits) | (neg & (unsigned != 0) & (a != 0)) | ((a == 0) & (min_bits != 0))
    return where(no_image, where(neg, nan1, nan0), out)


@inner_inline
def round_same_range(bits, p, dom_m, stochastic, rnd, k):
    """Fast path for a target with the input domain's exponent field (bfloat16, tf32 from
    float32): a fixed shift, IEEE overflow to Inf falls out of the carry, subnormals included.

    ``p`` is (shift, nearest, ties_even, away_pos, away_neg, odd, clamp_bits, nan_bits), the
    five flags those of ``numfmt.rounding.ModeFlags``.
    With ``stochastic`` the bias is the k random bits ``rnd`` aligned under the kept bits
    (sr_rule="add": away iff floor(f * 2**k) + rnd >= 2**k).
    Written in the ops vocabulary of ``numfmt.lanes``, as ``round_one`` (the backends evaluate
    it on int32 lanes, where ``narrow_min`` clamps NaN magnitudes to Inf's before the bias is
    added; Numba's int64 needs no clamp).
    """
    shift, nearest, ties_even, away_pos, away_neg, odd, clamp_bits, nan_bits = p
    dom_exp = 11 if dom_m == 52 else 8
    sign = bits & (lane(-1) << (dom_exp + dom_m))
    a = bits ^ sign
    inf_bits = ((lane(1) << dom_exp) - 1) << dom_m
    ar = narrow_min(a, inf_bits)
    full = lane(1) << shift
    flags = ModeFlags(nearest, ties_even, away_pos, away_neg, odd, 0, 0, 0)
    bias = rounding_bias(sign != 0, (ar >> shift) & 1, shift, flags)
    if stochastic:
        bias = (rnd << (shift - k)) if k <= shift else (rnd >> (k - shift))
    r = minimum((ar + bias) & -full, clamp_bits) | sign
    return where(a > inf_bits, nan_bits | sign, r)


U32 = np.uint32


@inner_inline
def top_bits32(k):
    """The uint32 mask of the top k bits (1 <= k <= 32): a random word's k bits where they
    sit at the top (``random.draw_tops``, ``draw_words``' words). Compiled code only; its
    Python body:

    >>> hex(top_bits32.py_func(3)), hex(top_bits32.py_func(32))
    ('0xe0000000', '0xffffffff')
    """
    return U32(U32(0xFFFFFFFF) << U32(U32(32 - k) & U32(31)))


class Fast32Params(NamedTuple):
    """The numbers of the float32 fast kernels (``round_nearest32``, ``round_sr_add32``):
    np.uint32 bit patterns of float32 values or masks, two np.float32 scales; built by
    ``numfmt.casts.floating.fast32_params``."""
    lsb: np.uint32          # the last kept bit of a normal binade: 1 << s, s = 23 - M
    half: np.uint32         # 2**(s - 1) - 1: the nearest-even bias without the last kept bit
    keep: np.uint32         # ~(lsb - 1)
    normal_bits: np.uint32  # bits of the smallest normal 2**emin
    magic: np.float32       # 2**(qsub + 23): (|x| + magic) - magic is |x| < 2**emin rounded to 2**qsub
    t_top: np.uint32        # s + t_cap: discarded bits t = t_top - min(max(E, 1), t_cap), E = |x|'s field
    t_cap: np.uint32        # the biased exponent of 2**emin (1 without subnormals: t = s)
    q_bits: np.uint32       # bits of the smallest quantum 2**qsub
    q_scale: np.float32     # 2**(32 - qsub): |x| * q_scale is |x| / 2**qsub as a 32-bit fraction
    max_bits: np.uint32     # bits of the largest finite value
    zero_sign: np.uint32    # the sign bit where -0 exists, else 0
    ovf0: np.uint32         # results of overflow (and Inf) and NaN, by sign (0: +, 1: -)
    ovf1: np.uint32
    nan0: np.uint32
    nan1: np.uint32


@inner_inline
def _finish32(a, sign, r, p):
    """The float32 bits of the rounded magnitude r (bits) of the input magnitude a with sign
    bit ``sign``: overflow, Inf and NaN inputs (r above the largest value) by their
    results, the sign on everything else (on zero only where -0 exists)."""
    neg = sign != 0
    special = (p.nan1 if neg else p.nan0) if a > U32(0x7F800000) else (p.ovf1 if neg else p.ovf0)
    return special if r > p.max_bits else U32(r | (sign if r != 0 else U32(sign & p.zero_sign)))


@inner_inline
def nearest_grid32(a, p):
    """The float32 magnitude bits a rounded to nearest even at the format's precision with an
    unbounded exponent range: the normal binades' fixed shift (p: ``Fast32Params``)."""
    return U32(U32(a + (p.half + U32(1) if U32(a & p.lsb) != 0 else p.half)) & p.keep)


@inner_inline
def sr_grid32(a, zk, p):
    """The float32 magnitude bits a rounded stochastically (sr_rule "add", random bits zk at
    the top of a uint32) at the format's precision with an unbounded exponent range: away iff
    its s = 23 - M discarded bits, shifted to the top of a uint32, plus zk carry out
    (``carries32``); the tininess and overflow of ``sr_add_one``'s rounding go by it."""
    f = U32(a << U32(U32(U32(32) + p.t_cap - p.t_top) & U32(31)))
    return U32(U32(a & p.keep) + (p.lsb if carries32(f, zk) else U32(0)))


@inner_inline
def carries32(f, zk):
    """Whether f + zk (uint32) carries out of 32 bits, spelled out bit by bit: as a comparison
    (f + zk < f), LLVM would make it an uadd.with.overflow, which its loop vectorizer refuses."""
    s = U32(f + zk)
    return U32(U32(f & zk) | U32(U32(f | zk) & U32(~s))) >= U32(0x80000000)


@inner_inline
def nearest32_one(b, p):
    """The float32 bits b (uint32) rounded to nearest even (p: ``Fast32Params``). In normal
    binades a fixed shift, below 2**emin float32 arithmetic ((|x| + magic) - magic rounds to
    nearest even in hardware). Every step stays in uint32 lanes, so that a loop of it
    vectorizes 16 elements to an AVX-512 register."""
    a = U32(b & U32(0x7FFFFFFF))
    normal = nearest_grid32(a, p)
    small = bits_as(np.float32(np.float32(bits_as(np.uint32(a), np.float32) + p.magic) - p.magic), np.uint32)
    return _finish32(a, U32(b ^ a), small if a < p.normal_bits else normal, p)


@inner_inline
def quanta32(a, p):
    """The float32 magnitude bits a below 2**emin in quanta 2**qsub, rounded to nearest even:
    the low bits of a + 2**(qsub + 23), a float32 sum that the hardware rounds so (p:
    ``Fast32Params``)."""
    return U32(bits_as(np.float32(bits_as(np.uint32(a), np.float32) + p.magic), np.uint32)
               - bits_as(np.float32(p.magic), np.uint32))


class Code32(NamedTuple):
    """How ``code32`` turns rounded float32 bits into codes (np.uint32 fields); built by
    ``numfmt.casts.floating.fast_code32``."""
    shift: np.uint32        # 23 - M
    normal_sub: np.uint32   # code = (r >> shift) - normal_sub at and above 2**emin
    sign_bit: np.uint32     # the code's sign bit
    nan0: np.uint32         # the NaN codes by sign (0 without NaN)
    nan1: np.uint32
    inf: np.uint32          # the magnitude code of Inf (formats without Inf: unused, no result is Inf)
    ovf0: np.uint32         # the codes of overflow and Inf results in nearest even, by sign
    ovf1: np.uint32
    zero_sign: np.uint32    # the code's sign bit where -0 exists, else 0
    sub_shift: np.uint32    # below 2**emin a code is the value in quanta << sub_shift (M without subnormals, else 0)


@inner_inline
def code32(r, p, cp):
    """The code of the float32 bits r of a rounded value (p: its ``Fast32Params``, cp:
    ``Code32``). At and above 2**emin the shifted bits less the exponent offset; below,
    r / 2**qsub (``quanta32``, exact: r is on the grid); Inf: the Inf code, NaN: the NaN code,
    by sign."""
    a = U32(r & U32(0x7FFFFFFF))
    neg = U32(r ^ a) != 0
    mag = U32(U32(a >> U32(cp.shift & U32(31))) - cp.normal_sub) if a >= p.normal_bits else quanta32(a, p)
    mag = cp.inf if a == U32(0x7F800000) else mag
    code = U32(mag | (cp.sign_bit if neg else U32(0)))
    return (cp.nan1 if neg else cp.nan0) if a > U32(0x7F800000) else code


@inner_inline
def nearest_code32(b, p, cp):
    """``code32(nearest32_one(b, p), p, cp)`` in fewer steps: the code straight from the
    rounding, below 2**emin |x| in quanta (``quanta32``: ``nearest32_one``'s subnormal step
    without its subtraction; without subnormals the quantum is 2**emin, whose code is 1 << M),
    above it the rounded bits shifted less the exponent offset; overflow, Inf and NaN by their
    codes."""
    a = U32(b & U32(0x7FFFFFFF))
    neg = U32(b ^ a) != 0
    g = nearest_grid32(a, p)
    low = a < p.normal_bits
    mag = U32(quanta32(a, p) << U32(cp.sub_shift & U32(31))) if low else \
        U32(U32(g >> U32(cp.shift & U32(31))) - cp.normal_sub)
    sign = (cp.sign_bit if mag != U32(0) else cp.zero_sign) if neg else U32(0)
    special = (cp.nan1 if neg else cp.nan0) if a > U32(0x7F800000) else (cp.ovf1 if neg else cp.ovf0)
    return special if (g > p.max_bits) & (not low) else U32(mag | sign)


@inner_inline
def narrowed32(x):
    """The float64 x as a float32 rounded to nearest even, +-Inf beyond float32's range: LLVM's
    fptrunc, which runs in the default floating-point environment (defined for every input
    since LLVM 7; numpy's float32() reports the Inf as an overflow, which
    tests/test_no_int_overflow.py lets this function alone make)."""
    return np.float32(x)


@inner_inline
def stand_in32(xi):
    """(the float32 bits (uint32) of the float64 xi rounded to odd, whether |xi| is 2**127 or
    more and finite). Rounding to odd cuts xi to float32's precision and sets the last bit
    where bits were cut (NaN stays NaN): it keeps every order with the float32 numbers but
    equality, and whether a value is exact; rounded on to a grid two bits coarser or more, in
    any mode but stochastic, it rounds as xi would. Beyond float32's range (its conversion
    gives Inf) the stand-in is the largest float32 (odd): a format whose largest value lies
    below 2**127 rounds both alike, they overflow in every mode."""
    t = narrowed32(xi)
    cut = np.float64(t) != xi
    away = abs(np.float64(t)) > abs(xi)          # rounded up in magnitude: one step back
    wide = (abs(xi) >= 2.0 ** 127) & (abs(xi) < np.inf)
    return U32(U32(bits_as(t, np.uint32) - U32(away)) | U32(cut)), wide


@nb.njit(cache=True, nogil=True, error_model="numpy")
def odd_float32(x, out):
    """out = x (float64) rounded to float32 by rounding to odd (``stand_in32``). Returns whether
    every |x| lies below 2**127 or is Inf or NaN (else float32 is too narrow). Vectorizes."""
    wide = False
    for i in range(x.size):
        b, too_wide = stand_in32(x[i])
        out[i] = bits_as(b, np.float32)
        wide |= too_wide
    return not wide


@inner_inline
def _stand_ins(xs, scratch):
    """scratch[:xs.size] = the stand-ins (``stand_in32``) of the float64 xs; returns that view."""
    s = scratch[:xs.size]
    for i in range(xs.size):
        s[i] = stand_in32(xs[i])[0]
    return s


@inner_inline
def _as_float64(out, bits):
    """out[i] = the float32 with the bits bits[i], as a float64."""
    for i in range(out.size):
        out[i] = np.float64(bits_as(bits[i], np.float32))


# The tiles of the float32 kernels' loops (``_stand_in_loop``, ``kernels.report._count32``) from
# float64 arrays: each function below compiles, by its overload, the branch of its array's type
# only (its Python body serves NUMBA_DISABLE_JIT).

def stand_in_bits(xs, scratch):
    """The tile xs of a cast's input as float32 bits (uint32): xs itself (uint32), or, for
    float64 xs, their stand-ins rounded to odd (``stand_in32``) in scratch[:xs.size]."""
    return _stand_ins(xs, scratch) if xs.dtype == np.float64 else xs


def result_bits(out, scratch):
    """Where a tile's results go as float32 bits (uint32): out itself (uint32), or, for a
    float64 out, scratch[:out.size] (``widened`` then stores them)."""
    return scratch[:out.size] if out.dtype == np.float64 else out


def widened(out, bits):
    """Store a tile's results: out[i] = the float32 with bits[i] as a float64 where out is
    float64 (bits: ``result_bits``' scratch); nothing where out is the bits themselves."""
    if out.dtype == np.float64:
        _as_float64(out, bits)


def scratch_for(a, size):
    """A uint32 tile for ``stand_in_bits``' stand-ins or ``result_bits``' results of the array a:
    size elements where a is float64, none where the tiles are a's own."""
    return empty(size if a.dtype == np.float64 else 0, np.uint32)


def _compiled_by_dtype(func, wide, narrow):
    """Compile calls of func as ``wide`` where its first argument is a float64 array, else as
    ``narrow`` (implementations with func's arguments), each inlined."""
    def typing(*args):
        return wide if args[0].dtype == nb.types.float64 else narrow
    typing.__signature__ = inspect.signature(func)
    nb.extending.overload(func, inline="always")(typing)


_compiled_by_dtype(stand_in_bits, lambda xs, scratch: _stand_ins(xs, scratch), lambda xs, scratch: xs)
_compiled_by_dtype(result_bits, lambda out, scratch: scratch[:out.size], lambda out, scratch: out)
_compiled_by_dtype(widened, lambda out, bits: _as_float64(out, bits), lambda out, bits: None)
_compiled_by_dtype(scratch_for, lambda a, size: empty(size, np.uint32), lambda a, size: empty(0, np.uint32))


COUNT_BLOCK = 1 << 16       # elements whose count a uint32 lane holds, with room to spare


@inner_inline
def _step_loop(x_bits, out, step, args):
    """out[i] = step(x_bits[i], *args) (uint32 bits in, bits or codes out); returns the number
    of NaN inputs, counted in uint32 lanes by blocks of ``COUNT_BLOCK`` (an int64 count would
    hold AVX2's loop to 4 lanes: e4m3 on 1 thread, CPU time, 1,140 -> 1,660 Melem/s)."""
    nans = 0
    for lo in range(0, x_bits.size, COUNT_BLOCK):
        xs, outs = x_bits[lo:lo + COUNT_BLOCK], out[lo:lo + COUNT_BLOCK]
        block_nans = U32(0)
        for i in range(xs.size):
            outs[i] = step(xs[i], *args)
            block_nans = U32(block_nans + U32(U32(xs[i] & U32(0x7FFFFFFF)) > U32(0x7F800000)))
        nans += block_nans
    return nans


STAND_IN_TILE = 1 << 12     # float64 elements per tile of ``_stand_in_loop``: their stand-ins and results stay in L1


@inner_inline
def _stand_in_loop(x, out, step, args):
    """``_step_loop`` of float64 x through its float32 stand-ins (``stand_in32``), made tile by
    tile; a float64 out gets the results as float64 (values), any other out the step's codes.
    The stand-ins, the steps and the widening each run in a loop of their own that vectorizes
    (one loop of all three did not: e4m3, 1M standard normal float64, 1 thread, CPU time: 0.58
    -> 0.33 ms; the int64 lanes of ``round_bits64`` 0.69 ms). Kernels of their own, not
    ``_step_loop``'s with float64 arrays allowed: the type dispatch cost the float32 kernels'
    first call 0.2 s of compiling (cold ``round(x32, "e4m3")`` 0.44 -> 0.66 s)."""
    nans = 0
    stand_ins, results = empty(STAND_IN_TILE, np.uint32), scratch_for(out, STAND_IN_TILE)
    for lo in range(0, x.size, STAND_IN_TILE):
        outs = out[lo:lo + STAND_IN_TILE]
        bits = result_bits(outs, results)
        nans += _step_loop(_stand_ins(x[lo:lo + STAND_IN_TILE], stand_ins), bits, step, args)
        widened(outs, bits)
    return nans


@nb.njit(cache=True, nogil=True)
def round_nearest32(x_bits, out_bits, p):
    """round_bits32 for nearest_even (uint32 bits in and out; p: ``Fast32Params``), one
    ``nearest32_one`` per element; returns the number of NaN inputs (``_step_loop``)."""
    return _step_loop(x_bits, out_bits, nearest32_one, (p,))


@nb.njit(cache=True, nogil=True)
def encode_nearest32(x_bits, codes, p, cp):
    """``round_nearest32``'s rounding, as codes (``nearest_code32``; cp: ``Code32``) in the
    same loop; returns the number of NaN inputs."""
    return _step_loop(x_bits, codes, nearest_code32, (p, cp))


@nb.njit(cache=True, nogil=True)
def round_directed32(x_bits, out_bits, p, m):
    """``round_nearest32`` for the other deterministic modes (m: a ``Mode32``, p: the
    ``Fast32Params`` of ``casts.floating.directed32_args``), one ``directed32_one`` per element
    in uint32 lanes, where ``round_bits32`` takes int64 ones (e4m3 toward_zero, 4M float32, 1
    thread: 2.2 -> 0.96 ms, nearest_away 2.5 -> 1.1 ms); returns the number of NaN inputs."""
    return _step_loop(x_bits, out_bits, directed32_one, (p, m))


@inner_inline
def _directed_code32(b, p, m, cp):
    """The code (``code32``) of ``directed32_one(b, p, m)``."""
    return code32(directed32_one(b, p, m), p, cp)


@nb.njit(cache=True, nogil=True)
def encode_directed32(x_bits, codes, p, m, cp):
    """``round_directed32``'s rounding, as codes (``code32``; cp: ``Code32``) in the same loop;
    returns the number of NaN inputs."""
    return _step_loop(x_bits, codes, _directed_code32, (p, m, cp))


@nb.njit(cache=True, nogil=True)
def round_nearest_odd64(x, out, p):
    """``round_nearest32`` of float64 x into float64 out through float32 stand-ins
    (``_stand_in_loop``; the formats of ``casts.floating._kernel_stand_ins``)."""
    return _stand_in_loop(x, out, nearest32_one, (p,))


@nb.njit(cache=True, nogil=True)
def encode_nearest_odd64(x, codes, p, cp):
    """``encode_nearest32`` of float64 x through float32 stand-ins."""
    return _stand_in_loop(x, codes, nearest_code32, (p, cp))


@nb.njit(cache=True, nogil=True)
def round_directed_odd64(x, out, p, m):
    """``round_directed32`` of float64 x into float64 out through float32 stand-ins."""
    return _stand_in_loop(x, out, directed32_one, (p, m))


@nb.njit(cache=True, nogil=True)
def encode_directed_odd64(x, codes, p, m, cp):
    """``encode_directed32`` of float64 x through float32 stand-ins."""
    return _stand_in_loop(x, codes, _directed_code32, (p, m, cp))


@inner_inline
def sr_add_one(b, zk, p):
    """The float32 bits of the float32 bits b rounded stochastically (sr_rule="add") with
    random bits zk: the k random bits at the top of a uint32 (k <= 32).

    With f the discarded fraction of a unit as a 32-bit fixed-point number (its bits cut to
    k change nothing: zk and 2**32 are multiples of 2**(32 - k)), the magnitude moves away
    iff f + zk carries out of 32 bits. At or above one quantum f is the t discarded bits
    shifted to the top; below, |x| / 2**qsub * 2**32 (|x| * q_scale: exact, a power-of-two
    scaling; truncated to an integer). The carry: ``carries32``."""
    a = U32(b & U32(0x7FFFFFFF))
    t = minimum(U32(p.t_top - minimum(maximum(U32(a >> U32(23)), U32(1)), p.t_cap)), U32(24))
    keep = U32(U32(0xFFFFFFFF) << t)
    small = a < p.q_bits
    # (& 31: the shift stays below 32, which lets LLVM keep it in uint32 lanes)
    f = U32(bits_as(np.uint32(a), np.float32) * p.q_scale) if small else U32(a << U32(U32(U32(32) - t) & U32(31)))
    base = U32(0) if small else U32(a & keep)
    r = U32(base + (p.q_bits if small else U32(U32(0) - keep))) if carries32(f, zk) else base
    return _finish32(a, U32(b ^ a), r, p)


FIXED_BLOCK = 128     # elements per block of the fixed pass of round_sr_add32's pairs loop, whose data leave its range more often
PAIRS_BLOCK = 4 * DRAW_BLOCK    # elements per block of the pairs loop's block pass after misses (fewer blocks' overheads)
MISS_RUN = 4      # pair-blocks in a row outside the fixed bias' range after which a seeded loop stops trying it
                  # (a miss costs about half a block more: e4m3's normal data, one block in seven missed, keep it)
U64 = np.uint64
MAG64, SIGN64 = U64(0x7FFFFFFF7FFFFFFF), U64(0x8000000080000000)


@inner_inline
def twice32(v):
    """The uint64 with the uint32 v in both halves."""
    return U64(U64(U32(v)) * U64(0x100000001))


@inner_inline
def fixed_pairs_params(s, k, keep, lo, hi, zeros=None):
    """``sr_fixed_pairs``' parameters, as uint64 pairs of uint32 halves: s the discarded bits
    (1 to 23) of the magnitudes from lo to hi (bits, below 2**31), where the bias of k <= 32
    random bits (the top k of a word, shifted down by 32 - s) added and cut to the kept bits
    ``keep`` is the stochastic rounding; ``zeros`` True (else None) where zeros of either sign
    are in that range too (the bias, below the kept bits, leaves them as they are: formats
    with -0 only)."""
    topk = top_bits32(k)
    shift = U32(U32(32) - U32(s))
    return U64(shift), twice32(U32(topk >> shift)), twice32(keep), twice32(lo), twice32(hi), zeros


@inner_inline
def sr_fixed_pairs(xs, outs, buf, at, z, q):
    """Round the float32 pairs xs (uint64: two float32 bit patterns each) into outs with the
    fixed bias of ``fixed_pairs_params`` q, both halves at once in a uint64 lane (magnitudes
    below 2**31 plus biases below 2**23: no carry crosses the halves); pair j's random words
    are ``pair_word`` of the state z + j * GOLDEN, stored to buf[at + j]. Returns (whether
    every magnitude lay in q's range, where the fixed bias is the rounding; the number of
    inexact elements there: those with a discarded bit set, the random bits aside).
    SplitMix64 in uint64 lanes and the rounding in one loop (in uint32 lanes the words would
    be stored and read back, in a second loop)."""
    shift, mask, keep, lo, hi, zeros = q
    outside = U64(0)
    inexact = U64(0)                # per half: a discarded bit set -> bit 31 of (those bits + 2**31 - 1)
    ws = buf[at:at + xs.size]       # (indexed by j alone: buf[at + j] would be a scatter)
    for j in range(xs.size):
        w = pair_word(z)
        z += U64(GOLDEN)
        ws[j] = w
        b = xs[j]
        outs[j] = U64(U64(b + U64(U64(w >> shift) & mask)) & keep)
        a = b & MAG64
        below = U64(a - lo) if zeros is None else U64(U64(a - lo) & U64(a + MAG64))    # (a zero's half: bit 31 clear)
        outside |= below | U64(hi - a)
        inexact += U64(U64(U64(U64(b & ~keep) + MAG64) >> U64(31)) & U64(0x100000001))
    return U64(outside & SIGN64) == 0, (inexact & U64(0xFFFFFFFF)) + (inexact >> U64(32))


@inner_inline
def sr_pairs_loop(x_bits, out_bits, start, seed, k, q, buf, fixed_block, block_pass, args):
    """A seeded stochastic cast of the float32 bits x_bits (uint32) with k <= 32 random bits,
    element i drawing number start + i: by blocks of fixed_block elements (even, at most
    PAIRS_BLOCK), in pairs that share a SplitMix64 output, with the fixed bias
    (``sr_fixed_pairs``, q) where a block lies in its range; a block that does not, and an
    element whose pair straddles the chunk's edge (a block of its own), by ``block_pass(xs,
    outs, words, topk, missed, *args)`` -> (NaN count, whether the block is known to lie in
    that range), words their random words (uint32; topk masks their top k bits), missed
    whether the fixed pass just missed the block. After MISS_RUN blocks in a row that needed
    it, blocks of PAIRS_BLOCK take block_pass right away until one would not have, the fixed
    pass tried again after 2**j such blocks in a row (the fixed pass is wasted work where the
    data often leave its range; a block that needs it now and then, as e4m3's subnormals of
    normal data, keeps the fixed pass: FIXED_BLOCK, shorter, has such a block redo less; the
    retries find where the data come back to its range, which ``sr_add_block`` does not
    tell). The words go to buf (uint64, PAIRS_BLOCK // 2 + 2 long), a block's from
    buf[0], as ``random.draw_words`` draws them. Returns (the NaN
    count, the inexact elements of the blocks the fixed bias rounded: ``sr_fixed_pairs``).
    block_pass has one call site: its body, inlined, is compiled once."""
    words = view_as(buf, np.uint32)
    topk = top_bits32(k)
    n = x_bits.size
    lo_pair = minimum(start & 1, n)
    hi_pair = lo_pair + ((n - lo_pair) & ~1)
    x64, out64 = view_as(x_bits[lo_pair:hi_pair], np.uint64), view_as(out_bits[lo_pair:hi_pair], np.uint64)
    nans = 0
    inexact = U64(0)
    misses = 0
    first = 0
    while first < n:
        paired = (first >= lo_pair) & (first < hi_pair)
        fixed_pass = paired & ((misses < MISS_RUN) | ((misses & (misses - 1)) == 0))     # (retries: 2**j misses)
        end = minimum(first + (fixed_block if fixed_pass else PAIRS_BLOCK), hi_pair) if paired else first + 1
        at = (start + first) & 1     # where element first's word goes
        if fixed_pass:
            pairs = (first - lo_pair) >> 1
            fixed, block_inexact = sr_fixed_pairs(x64[pairs:pairs + fixed_block // 2],
                                                  out64[pairs:pairs + fixed_block // 2], buf, at >> 1,
                                                  pair_state(seed, start + first), q)
            if fixed:
                inexact += block_inexact
                misses = 0
                first = end
                continue
        else:
            draw_words(buf[at >> 1:], seed, start + first, end - first, k)
        block_nans, fixed = block_pass(x_bits[first:end], out_bits[first:end], words[at:at + end - first], topk,
                                       fixed_pass, *args)
        nans += block_nans
        misses = 0 if fixed else misses + 1
        first = end
    return nans, np.int64(inexact)


@inner_inline
def _widen(low, high, b):
    """(low, high) widened to the magnitude of the float32 bits b."""
    a = U32(b & U32(0x7FFFFFFF))
    return minimum(low, a), maximum(high, a)


@inner_inline
def uncounted(m, b, o, zk):
    """The count of ``sr_range_loop`` that counts nothing: m as it came."""
    return m


@inner_inline
def sr_range_loop(xs, outs, words, topk, p, c, count, m, args):
    """Round the block xs into outs by ``sr_add_range`` (c: ``sr_range_consts(p)``), the random
    bits of element j words[j] & topk, with m = count(m, b, o, zk, *args) after each element
    (b its bits, o its result, zk its random bits: ``uncounted`` counts nothing). Returns (the
    largest magnitude bits of the block, m): not the smallest too, which would say whether the
    block lay in the fixed pass' range (``sr_pairs_loop`` tries it again instead), for the
    registers it takes (e2m1, 4M float32 x 10, 1 thread, CPU time: 1.34-1.39 -> 1.29-1.36 ms)."""
    high = U32(0)
    for j in range(xs.size):
        zk = U32(words[j] & topk)
        o = sr_add_range(xs[j], zk, p, c)
        outs[j] = o
        high = maximum(high, U32(xs[j] & U32(0x7FFFFFFF)))
        m = count(m, xs[j], o, zk, *args)
    return high, m


@inner_inline
def sr_block_end(xs, outs, words, topk, p, c, high):
    """The end of the block pass of a block ``sr_range_loop`` rounded, high its largest
    magnitude: a block with a NaN (or of a format that does not fit c) again by
    ``sr_add_one``. Returns the NaN count."""
    nans = 0
    if (high > U32(0x7F800000)) | (not c[5]):
        for j in range(xs.size):
            outs[j] = sr_add_one(xs[j], U32(words[j] & topk), p)
            nans += U32(xs[j] & U32(0x7FFFFFFF)) > U32(0x7F800000)
    return nans


@inner_inline
def sr_add_block(xs, outs, words, topk, missed, p, c):
    """``sr_pairs_loop``'s block pass of ``round_sr_add32``, in uint32 lanes (c:
    ``sr_range_consts(p)``). A block the fixed pass ``missed`` (likely near its range: as
    e4m3's subnormals of normal data) first by ``sr_binade`` alone, which is the rounding
    where every magnitude lies from one quantum to the largest value; any other by
    ``sr_range_loop`` and ``sr_block_end``. Returns (NaN count, False: whether the block lay in
    the fixed pass' range is not known)."""
    if missed:
        low, high = U32(0xFFFFFFFF), U32(0)
        for j in range(xs.size):
            a = U32(xs[j] & U32(0x7FFFFFFF))
            outs[j] = U32(sr_binade(a, U32(words[j] & topk), c)[1] | U32(xs[j] ^ a))
            low, high = _widen(low, high, xs[j])
        if (low >= p.q_bits) & (high <= p.max_bits):
            return 0, False
    high, _ = sr_range_loop(xs, outs, words, topk, p, c, uncounted, U32(0), ())
    return sr_block_end(xs, outs, words, topk, p, c, high), False


@inner_inline
def check_given_bits(rand, n):
    """Raise where the given random bits end before element n (an empty array is no longer "draw
    from the seed" for the kernels that take None for it: ``round_sr_add32``)."""
    if rand.size < n:
        raise ValueError("fewer random bits than elements (seeded: pass rand=None)")


@kernel(cache=True, nogil=True)
def round_sr_add32(x_bits, out_bits, start, rand, seed, p, k):
    """round_sr32 for sr_rule="add" with k <= 32 random bits (uint32 bits in and out; p:
    ``Fast32Params``), in uint32 lanes but for SplitMix64; returns the number of NaN inputs.
    rand: None (element i draws SplitMix64 number start + i of seed) or the random bits
    (int64, element i's at rand[start + i]); each compiles only its own loop
    (``kernels.pipeline``).

    Seeded (``sr_pairs_loop``), a block rounds with the fixed bias zk >> (32 - s) right where
    its magnitudes all lie from the smallest normal to the largest value; a block that does
    not in one branch-free pass over every range but NaN (``sr_add_range``), and a block with
    a NaN (or of a format that pass does not take, ``sr_range_consts``) again by
    ``sr_add_one``."""
    if rand is None:
        return _sr_add_pairs(x_bits, out_bits, start, seed, p, k, empty(PAIRS_BLOCK // 2 + 2, np.uint64))
    check_given_bits(rand, start + x_bits.size)
    nans = 0
    given = rand[start:start + x_bits.size]     # (a new name: an argument assigned to is not pruned on)
    for i in range(x_bits.size):
        out_bits[i] = sr_add_one(x_bits[i], U32(U32(given[i]) << U32(32 - k)), p)
        nans += U32(x_bits[i] & U32(0x7FFFFFFF)) > U32(0x7F800000)
    return nans


@nb.njit(inline="always")
def _sr_add_pairs(x_bits, out_bits, start, seed, p, k, buf):
    """``round_sr_add32``'s seeded loop, buf its scratch (``sr_pairs_loop``); returns the number
    of NaN inputs. (Inlined by Numba, not a helper of its own: that added 0.3 s to the first
    call.)"""
    q = fixed_pairs_params(U32(p.t_top - p.t_cap), k, p.keep, p.normal_bits, p.max_bits)
    return sr_pairs_loop(x_bits, out_bits, start, seed, k, q, buf, FIXED_BLOCK, sr_add_block,
                         (p, sr_range_consts(p)))[0]


CODE_TILE = 1 << 12     # elements rounded into a scratch tile (in L1) before their codes (``encode_sr_add32``,
                        # ``report._count32``)


@nb.njit(cache=True, nogil=True)
def encode_sr_add32(x_bits, codes, start, rand, seed, p, k, cp):
    """``round_sr_add32``'s rounding (element i draws random number start + i), as codes
    (``code32``; cp: ``Code32``): tile by tile, rounded into a scratch tile, then coded;
    returns the number of NaN inputs. Seeded, the tiles run ``round_sr_add32``'s loop inlined,
    with one scratch buffer (e4m3, 4M standard normal float32, 1 thread: 3.4 -> 2.9 ms against a call
    of that kernel per tile; the seeded SR round 1.3 ms, the codes' own step about 1.2 ms)."""
    tile, buf = empty(CODE_TILE, np.uint32), empty(PAIRS_BLOCK // 2 + 2, np.uint64)
    nans = 0
    for lo in range(0, x_bits.size, CODE_TILE):
        xs, cs = x_bits[lo:lo + CODE_TILE], codes[lo:lo + CODE_TILE]
        rs = tile[:xs.size]
        nans += (_sr_add_pairs(xs, rs, start + lo, seed, p, k, buf) if rand is None else
                 round_sr_add32(xs, rs, start + lo, rand, seed, p, k))
        for i in range(xs.size):
            cs[i] = code32(rs[i], p, cp)
    return nans


@nb.njit(cache=True, nogil=True)
def round_bits32(x_bits, out_bits, p):
    """out_bits[i] = float32 bit pattern of x rounded to the format (x as int32 bits)."""
    for i in range(x_bits.size):
        out_bits[i] = round_one(np.int64(x_bits[i]), p, VALUE, DOM32, DETERMINISTIC, NO_RND, NO_SR)


@nb.njit(cache=True, nogil=True)
def round_bits64(x_bits, out_bits, p):
    """out_bits[i] = float64 bit pattern of x rounded to the format (x as int64 bits)."""
    for i in range(x_bits.size):
        out_bits[i] = round_one(x_bits[i], p, VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR)


@nb.njit(cache=True, nogil=True)
def encode32(x_bits, out_codes, p):
    """out_codes[i] = code of x rounded to the format (x as float32 bits)."""
    for i in range(x_bits.size):
        out_codes[i] = round_one(np.int64(x_bits[i]), p, CODE, DOM32, DETERMINISTIC, NO_RND, NO_SR)


@nb.njit(cache=True, nogil=True)
def encode64(x_bits, out_codes, p):
    """out_codes[i] = code of x rounded to the format (x as float64 bits)."""
    for i in range(x_bits.size):
        out_codes[i] = round_one(x_bits[i], p, CODE, DOM64, DETERMINISTIC, NO_RND, NO_SR)


@inner_inline
def same_range32_params(p):
    """``round_same_range``'s parameters p (deterministic modes) for ``same_range32_one``, as
    uint32: the kept bits' mask, ``rounding_bias`` by sign and last kept bit (+ even, + odd,
    - even, - odd), the clamp and the NaN bits."""
    shift, nearest, ties_even, away_pos, away_neg, odd, clamp_bits, nan_bits = p
    flags = ModeFlags(nearest, ties_even, away_pos, away_neg, odd, 0, 0, 0)
    return (U32(-(lane(1) << shift)), U32(rounding_bias(False, lane(0), shift, flags)),
            U32(rounding_bias(False, lane(1), shift, flags)), U32(rounding_bias(True, lane(0), shift, flags)),
            U32(rounding_bias(True, lane(1), shift, flags)), U32(clamp_bits), U32(nan_bits))


@inner_inline
def same_range32_one(b, q):
    """``round_same_range`` (deterministic, float32 domain) of the float32 bits b (uint32) in
    uint32 lanes (q: ``same_range32_params``): int64 lanes hold AVX2's loop to 4 elements. The
    bias is picked by masks (all ones where the last kept bit is odd, where b is negative):
    nested selects of the four biases compiled to blends in int64 lanes (bfloat16 encode, 4M
    float32, 1 thread: 0.84 -> 0.53 ms; report=True 1.30 -> 0.82 ms)."""
    keep, bias_even, bias_odd, neg_bias_even, neg_bias_odd, clamp_bits, nan_bits = q
    sign = U32(b & U32(0x80000000))
    a = U32(b ^ sign)
    odd = U32(U32(U32(minimum(a, U32(0x7F800000)) & U32(U32(~keep) + U32(1))) != U32(0)) * U32(0xFFFFFFFF))
    neg = U32(U32(sign >> U32(31)) * U32(0xFFFFFFFF))
    even_bias = U32(bias_even ^ U32(U32(bias_even ^ neg_bias_even) & neg))
    odd_bias = U32(bias_odd ^ U32(U32(bias_odd ^ neg_bias_odd) & neg))
    bias = U32(even_bias ^ U32(U32(even_bias ^ odd_bias) & odd))
    return same_range32_add(a, sign, bias, keep, clamp_bits, nan_bits)


@inner_inline
def same_range32_add(a, sign, bias, keep, clamp_bits, nan_bits):
    """The float32 bits of the magnitude bits a (uint32; NaN payloads clamped to Inf's) plus
    bias, cut to the kept bits ``keep``, at most clamp_bits, with the sign bit ``sign``; for a
    NaN (a above Inf's bits) nan_bits with the sign."""
    r = U32(minimum(U32(U32(minimum(a, U32(0x7F800000)) + bias) & keep), clamp_bits) | sign)
    return U32(nan_bits | sign) if a > U32(0x7F800000) else r


@inner_inline
def same_range_sr32_one(b, zk, keep, to_bias, clamp_bits, nan_bits):
    """``round_same_range`` (float32 domain) of the float32 bits b (uint32) under stochastic
    rounding, sr_rule="add", in uint32 lanes: zk holds the random bits at the top of a uint32
    (the k bits, the rest clear; the top 32 of them for k > 32), of which the top 31 -
    to_bias (the discarded bits' count, 0 to 31) are the bias, ``round_same_range``'s k-bit
    bias (shifted in two steps, by 1 and by to_bias < 32, so that no discarded bit is none
    of zk: & 31 lets LLVM keep the shifts in uint32 lanes)."""
    sign = U32(b & U32(0x80000000))
    a = U32(b ^ sign)
    return same_range32_add(a, sign, U32(U32(zk >> U32(1)) >> U32(to_bias & U32(31))), keep, clamp_bits, nan_bits)


@nb.njit(cache=True, nogil=True)
def round_same_range32(x_bits, out_bits, p):
    """round_bits32 for formats with float32's exponent field (see round_same_range); uint32
    bits in and out."""
    q = same_range32_params(p)
    for i in range(x_bits.size):
        out_bits[i] = same_range32_one(x_bits[i], q)


@inner_inline
def same_range_code(b, o, shift, nans):
    """The code of o, the float32 bits of the float32 bits b rounded to a format with float32's
    exponent field: o's bits shifted right by 23 - M (shift), a NaN b's code by its sign (nans:
    the codes of NaN, + and -)."""
    a = U32(b & U32(0x7FFFFFFF))
    return (nans[1] if U32(b ^ a) != 0 else nans[0]) if a > U32(0x7F800000) else U32(o >> U32(shift & U32(31)))


@nb.njit(cache=True, nogil=True)
def encode_same_range32(x_bits, codes, p, nans):
    """``round_same_range32``'s rounding (any deterministic mode) as codes (``same_range_code``)
    in the same loop."""
    q = same_range32_params(p)
    shift = U32(p[0])
    for i in range(x_bits.size):
        codes[i] = same_range_code(x_bits[i], same_range32_one(x_bits[i], q), shift, nans)


@nb.njit(cache=True, nogil=True)
def encode_same_range_sr32(x_bits, codes, start, rand, seed, p, k, nans):
    """``round_same_range_sr32``'s rounding (element i draws random number start + i) as codes
    (``same_range_code``), tile by tile through a scratch tile, as ``encode_sr_add32``."""
    tile = empty(CODE_TILE, np.uint32)
    shift = U32(p[0])
    for lo in range(0, x_bits.size, CODE_TILE):
        xs, cs = x_bits[lo:lo + CODE_TILE], codes[lo:lo + CODE_TILE]
        rs = tile[:xs.size]
        round_same_range_sr32(xs, rs, start + lo, rand, seed, p, k)
        for i in range(xs.size):
            cs[i] = same_range_code(xs[i], rs[i], shift, nans)


@inner_inline
def _stochastic_loop(x_bits, out, start, rand, seed, k, one, args):
    """out[i] = one(x_bits[i] as int64, rnd, *args), rnd the k random bits of element start +
    i: rand[start + i], or where rand is empty those of seed (``draw_words``, by blocks of
    DRAW_BLOCK). The seeded loop never reads rand: a loop that does must check at run time that
    out does not overlap rand[start:start + n], and an empty rand can fail that check by its
    address alone (the loop then runs one element at a time, four times slower)."""
    if rand.size == 0:
        buf = empty(DRAW_BLOCK + 2, np.uint64)
        words = view_as(buf, np.uint32)
        for lo in range(0, x_bits.size, DRAW_BLOCK):
            xs, outs = x_bits[lo:lo + DRAW_BLOCK], out[lo:lo + DRAW_BLOCK]
            off = draw_words(buf, seed, start + lo, xs.size, k)
            for j in range(xs.size):
                outs[j] = one(np.int64(xs[j]), drawn_bits(buf, words, off, j, k), *args)
    else:
        rand = rand[start:start + x_bits.size]
        for i in range(x_bits.size):
            out[i] = one(np.int64(x_bits[i]), rand[i], *args)


@inner_inline
def _round_one_sr(bits, rnd, p, want_code, dom_m, sr):
    return round_one(bits, p, want_code, dom_m, STOCHASTIC, rnd, sr)


@inner_inline
def same_range_sr_consts(p):
    """(shift, keep, to_bias, clamp_bits, nan_bits) of ``round_same_range_sr32`` for
    ``round_same_range``'s parameters p: the discarded bits' count, the mask of the kept bits,
    31 - shift, the clamp and the NaN (``same_range_sr32_one``), uint32 but shift."""
    shift, _, _, _, _, _, clamp_bits, nan_bits = p
    return shift, U32(-(lane(1) << shift)), U32(31 - shift), U32(clamp_bits), U32(nan_bits)


@inner_inline
def same_range_sr_loop(xs, outs, words, topk, keep, to_bias, clamp_bits, nan_bits, count, m):
    """Round the block xs into outs by ``same_range_sr32_one``, the random bits of element j
    words[j] & topk, with m = count(m, b, o, zk) after each element (as ``sr_range_loop``;
    ``uncounted`` counts nothing). Returns (the smallest and the largest magnitude bits, m)."""
    low, high = U32(0xFFFFFFFF), U32(0)
    for j in range(xs.size):
        zk = U32(words[j] & topk)
        o = same_range_sr32_one(xs[j], zk, keep, to_bias, clamp_bits, nan_bits)
        outs[j] = o
        low, high = _widen(low, high, xs[j])
        m = count(m, xs[j], o, zk)
    return low, high, m


@inner_inline
def _same_range_block(xs, outs, words, topk, missed, keep, to_bias, clamp_bits, nan_bits):
    """``sr_pairs_loop``'s block pass of ``round_same_range_sr32``: every element by
    ``same_range_sr_loop`` (missed or not). Returns (0: NaNs are not counted, whether every
    magnitude lay at or below clamp_bits)."""
    high = same_range_sr_loop(xs, outs, words, topk, keep, to_bias, clamp_bits, nan_bits, uncounted, U32(0))[1]
    return 0, high <= clamp_bits


@kernel(cache=True, nogil=True)
def round_same_range_sr32(x_bits, out_bits, start, rand, seed, p, k):
    """round_same_range32 under stochastic rounding, sr_rule="add", in uint32 lanes
    (``same_range_sr32_one``; uint32 bits in and out); rand: None (seeded) or the random bits,
    as ``round_sr_add32``'s. Seeded with k <= 32 (``sr_pairs_loop``), a block rounds with the
    fixed bias where its magnitudes all lie at or below the clamp (no overflow, no NaN); with
    k > 32 by blocks of DRAW_BLOCK elements, their random bits drawn first (``draw_tops``), the
    lines of a block further on prefetched meanwhile (``prefetch_ahead``)."""
    shift, keep, to_bias, clamp_bits, nan_bits = same_range_sr_consts(p)
    if rand is None:
        if k <= 32:
            q = fixed_pairs_params(U32(shift), k, keep, U32(0), clamp_bits)
            sr_pairs_loop(x_bits, out_bits, start, seed, k, q, empty(PAIRS_BLOCK // 2 + 2, np.uint64),
                          DRAW_BLOCK, _same_range_block, (keep, to_bias, clamp_bits, nan_bits))
            return
        buf, tops = empty(DRAW_BLOCK + 2, np.uint64), empty(DRAW_BLOCK, np.uint32)
        for lo in range(0, x_bits.size, DRAW_BLOCK):
            xs, outs = x_bits[lo:lo + DRAW_BLOCK], out_bits[lo:lo + DRAW_BLOCK]
            prefetch_ahead(x_bits, out_bits, lo, xs.size)
            zs, _ = draw_tops(buf, tops, seed, start + lo, xs.size, k)
            for j in range(xs.size):
                outs[j] = same_range_sr32_one(xs[j], zs[j], keep, to_bias, clamp_bits, nan_bits)
        return
    check_given_bits(rand, start + x_bits.size)
    given = rand[start:start + x_bits.size]     # (a new name: see round_sr_add32)
    for i in range(x_bits.size):
        zk = U32(given[i] << (32 - k)) if k <= 32 else U32(given[i] >> (k - 32))
        out_bits[i] = same_range_sr32_one(x_bits[i], zk, keep, to_bias, clamp_bits, nan_bits)


@nb.njit(cache=True, nogil=True)
def round_sr32(x_bits, out_bits, start, rand, seed, p, sr):
    """round_bits32 under stochastic rounding; element i uses random number start + i."""
    _stochastic_loop(x_bits, out_bits, start, rand, seed, sr[0], _round_one_sr, (p, VALUE, DOM32, sr))


@nb.njit(cache=True, nogil=True)
def round_sr64(x_bits, out_bits, start, rand, seed, p, sr):
    """round_bits64 under stochastic rounding; element i uses random number start + i."""
    _stochastic_loop(x_bits, out_bits, start, rand, seed, sr[0], _round_one_sr, (p, VALUE, DOM64, sr))


@nb.njit(cache=True, nogil=True)
def encode_sr32(x_bits, out_codes, start, rand, seed, p, sr):
    """encode32 under stochastic rounding; element i uses random number start + i."""
    _stochastic_loop(x_bits, out_codes, start, rand, seed, sr[0], _round_one_sr, (p, CODE, DOM32, sr))


@nb.njit(cache=True, nogil=True)
def encode_sr64(x_bits, out_codes, start, rand, seed, p, sr):
    """encode64 under stochastic rounding; element i uses random number start + i."""
    _stochastic_loop(x_bits, out_codes, start, rand, seed, sr[0], _round_one_sr, (p, CODE, DOM64, sr))


@inner_inline
def decode_one(code, mant_bits, code_offset, sign_bit, nan_above, nan_code, inf_mag, pow2):
    """The value of one code (an integer lane), with the element type of ``pow2``.

    A magnitude ``c - code_offset`` splits into field and fraction; the value is
    ``sig * pow2[field]`` with ``sig`` the fraction plus the implicit bit for field > 0, so every
    value is one exact multiplication (in pow2's type: sig < 2**24 where that is float32). NaN: magnitude above ``nan_above`` or code == ``nan_code``;
    Inf: magnitude == ``inf_mag`` (use -1 where there is none). The code's sign bit gives the
    sign, NaNs included (by copysign: Numba's -nan keeps the sign bit clear).
    """
    frac_mask = (lane(1) << mant_bits) - 1
    mag = code & ~sign_bit
    c = mag - code_offset
    field = c >> mant_bits
    sig = (c & frac_mask) + where(field > 0, frac_mask + 1, 0)
    v = where(mag == inf_mag, as_float(math.inf, pow2), as_float(sig, pow2) * pow2[field])
    v = where((mag > nan_above) | (code == nan_code), as_float(math.nan, pow2), v)
    return copysign(v, where((code & sign_bit) != 0, as_float(-1.0, pow2), as_float(1.0, pow2)))


@nb.njit(cache=True, nogil=True)
def lookup(codes, out, table):
    """out[i] = table[codes[i]]: decode through a table of every code's value (the float and
    posit families' formats of at most 16 bits)."""
    for i in range(codes.size):
        out[i] = table[codes[i]]


@nb.njit(cache=True, nogil=True)
def decode(codes, out, mant_bits, code_offset, sign_bit, nan_above, nan_code, inf_mag, pow2):
    """out[i] = value of codes[i] (unsigned, the format's code dtype); see ``decode_one``."""
    for i in range(codes.size):
        out[i] = decode_one(np.int64(codes[i]), mant_bits, code_offset, sign_bit, nan_above, nan_code,
                            inf_mag, pow2)


# ---- float32 results rounded to odd at 24 bits (exact stand-ins: element-wise arithmetic) ----
@inner_inline
def odd32(s, e):
    """The float32 s = fl(v) rounded to odd at 24 bits: e a number of the sign of v - s, 0
    where s = v (NaN where s is not finite); where e != 0 the magnitude of s truncated (one
    ulp less where |s| > |v|, e's sign against s's sign bit) with its last bit set."""
    b = bits_as(np.float32(s), np.uint32)
    mag = U32(b & U32(0x7FFFFFFF))
    sign = U32(b ^ mag)
    odd = U32(U32(mag - U32((e < 0) != (sign != U32(0)))) | U32(1))
    return bits_as(U32(U32(odd if (np.abs(e) > 0) & (mag < U32(0x7F800000)) else mag) | sign), np.float32)


@inner_inline
def fma_odd32(x, y, z, op):
    """x * y + z rounded to odd at float32's 24 bits, where x * y is exact and the sum below
    2**127: s = fl(x * y + z) and its exact error e (TwoSum); where e != 0 the magnitude of s
    truncated (one ulp less where |s| > the exact |sum|, e's sign against s's) with its last
    bit set. Rounding that once more to p <= 22 bits is the correct rounding (p + 2 <= 24)."""
    prod = x * y
    s = prod + z
    back = s - prod
    return odd32(s, (prod - (s - back)) + (z - back))


@inner_inline
def sqrt_odd32(x, y, z, op):
    """sqrt(x) rounded to odd at 24 bits: sqrt(x) > q iff x - q * q > 0."""
    q = np.sqrt(x)
    return odd32(q, np.float64(x) - np.float64(q) * np.float64(q))


# ---- every deterministic mode in uint32 lanes (element-wise arithmetic's directed modes) ----
class Mode32(NamedTuple):
    """A deterministic rounding mode as ``directed32_one`` reads it: ``numfmt.rounding.ModeFlags``'
    deterministic flags and the results of +-Inf inputs (bits), as np.uint32 (built by
    ``numfmt.arithmetic.floating.directed32_args``)."""
    nearest: np.uint32
    ties_even: np.uint32
    away_pos: np.uint32
    away_neg: np.uint32
    odd: np.uint32
    inf0: np.uint32
    inf1: np.uint32


def constant_mode(m, key):
    """m (a ``Mode32``) with its five flags those of ``mode_key``'s key, constants of the
    compiled code (the overload below), or m itself for the empty key (``nearest_even_key``'s
    other modes: flags read at run time); run as Python (NUMBA_DISABLE_JIT), m itself, whose
    flags they are."""
    return m


@nb.extending.overload(constant_mode, inline="always")
def _constant_mode_for(m, key):
    """``constant_mode`` for the key's type: its length gives the flags (0: m's own)."""
    if len(key.types) == 0:
        return lambda m, key: m
    bits = len(key.types) - 1
    nearest, ties_even, away_pos, away_neg, odd = ((bits >> i) & 1 for i in range(5))

    def constant(m, key):
        return Mode32(U32(nearest), U32(ties_even), U32(away_pos), U32(away_neg), U32(odd), m.inf0, m.inf1)
    return constant


def mode_key(m) -> tuple:
    """The five flags of the ``Mode32`` m as a type: a tuple of Nones, one more than the flags
    packed in an int (bit i: field i), whose length the kernels that take it compile in
    (``kernels.report.count_directed32``; ``nearest_even_key``'s, ``round_pow2_32``'s). (A
    literal int would do it too, but Numba's dispatcher retries the non-literal type on every
    call first: 3 ms a call.)"""
    return (None,) * (sum(int(v) << i for i, v in enumerate(m[:5])) + 1)


def nearest_even_key(m) -> tuple:
    """``mode_key(m)`` for nearest even, the empty key for the other modes (``constant_mode``
    leaves their flags to run time): a kernel of formats without fraction bits compiles twice,
    not once per mode (e8m0 from float32, 1M values, 1 thread: nearest even 0.17 ms, its flags
    compiled in; the others 0.3-0.4 ms, 0.16-0.21 ms with theirs compiled in, 3-4 ms before
    stop 64), so that their first calls and the tests compile less."""
    return mode_key(m) if m.nearest and m.ties_even else ()


@inner_inline
def grid32(a, p):
    """(base, step, small) of the float32 magnitude bits a (p: ``Fast32Params``): base the bits of
    a truncated to the format's grid, base + step (uint32) the bits of the next grid point up;
    small: a lies below the smallest quantum (base 0, step its bits). As ``sr_add_one`` (t
    saturates at 24 without wrapping around below 0: a binade above t_top)."""
    e = minimum(maximum(U32(a >> U32(23)), U32(1)), p.t_cap)
    t = minimum(U32(p.t_top - e), U32(24)) if e <= p.t_top else U32(24)
    keep = U32(U32(0xFFFFFFFF) << t)
    small = a < p.q_bits
    return (U32(0) if small else U32(a & keep)), (p.q_bits if small else U32(U32(~keep) + U32(1))), small


@inner_inline
def directed_bias(step, lsb, away, m):
    """What m (a ``Mode32``) adds to a magnitude before it is cut to a grid of spacing step (a
    power of two, uint32): ``rounding_bias`` of the last kept bit lsb (0 / 1) and away (whether
    the mode rounds this sign's magnitudes up)."""
    return (U32(U32(U32(step >> U32(1)) - U32(1)) + U32(U32(m.ties_even & lsb) | away)) if m.nearest
            else U32(U32(step - U32(1)) * (U32(U32(1) - lsb) if m.odd else away)))


@inner_inline
def directed32_one(b, p, m):
    """The float32 bits b (uint32) rounded in the deterministic mode m (a ``Mode32``; p: a
    ``Fast32Params`` whose ovf0 / ovf1 are the mode's overflow results), as ``round_one`` in
    uint32 lanes: at or above one quantum ``rounding_bias`` on the t discarded bits (the last
    kept bit: the code's parity, which is odd in the binade of the quantum, t = 23); below,
    the result is 0 or the quantum 2**qsub, decided from |x| / 2**qsub * 2**32 (|x| *
    q_scale, exact: a power-of-two scaling) against 2**31 for the nearest modes."""
    a = U32(b & U32(0x7FFFFFFF))
    sign = U32(b ^ a)
    base, step, small = grid32(a, p)
    lsb = U32((U32(a & step) != U32(0)) | (step == U32(0x00800000)))     # (qsub's binade: code 1)
    away = m.away_neg if sign != U32(0) else m.away_pos
    bias = directed_bias(step, lsb, away, m)
    f = np.float32(bits_as(minimum(a, p.q_bits), np.float32) * p.q_scale)    # (used below one quantum only)
    half = np.float32(2147483648.0)
    up = ((f > half) | ((f == half) & (away != U32(0)))) if m.nearest else ((a != U32(0)) & (U32(m.odd | away) != U32(0)))
    r = (p.q_bits if up else U32(0)) if small else U32(U32(a + bias) & U32(~U32(step - U32(1))))
    res = _finish32(a, sign, r, p)
    return (m.inf1 if sign != U32(0) else m.inf0) if a == U32(0x7F800000) else res


@inner_inline
def directed_grid32(b, p, m):
    """The magnitude of the float32 bits b rounded in the deterministic mode m (``Mode32``) for
    b's sign at the format's precision with an unbounded exponent range (the normal binades'
    step, ``directed32_one``'s bias of the last kept bit and the discarded ones): the
    tininess and overflow of ``directed32_one``'s rounding go by it."""
    a = U32(b & U32(0x7FFFFFFF))
    away = m.away_neg if U32(b ^ a) != U32(0) else m.away_pos
    return U32(U32(a + directed_bias(p.lsb, U32(U32(a & p.lsb) != U32(0)), away, m)) & p.keep)


# ---- formats without fraction bits (e8m0, p3109_p1): float32 inputs in every deterministic mode, uint32 lanes ----
class Pow2Params(NamedTuple):
    """The numbers of ``pow2_32_one`` (np.uint32) for one deterministic mode, built by
    ``numfmt.casts.floating.pow2_32_params``; the last six are ``Fast32Params``' (``_finish32``:
    the mode's overflow results)."""
    flip: np.uint32         # the code parity of 2**e less the parity of its float32 exponent field (0 / 1)
    small_top: np.uint32    # |x| bits below it round to up or to down (``_pow2_small32``)
    mid: np.uint32          # the midpoint of down and up (0xFFFFFFFF where they are one value)
    up: np.uint32
    down: np.uint32         # the smallest value, or zero: code 0 (even) either way
    tiny_top: np.uint32     # a float32 subnormal |x| rounds to 2**emin or more (unbounded exponent, the mode) iff >= it
    normal_bits: np.uint32  # bits of 2**emin
    invalid: np.uint32      # 1: negatives (-0 too) and zeros give NaN (unsigned formats without a zero)
    max_bits: np.uint32
    zero_sign: np.uint32
    ovf0: np.uint32
    ovf1: np.uint32
    nan0: np.uint32
    nan1: np.uint32


@inner_inline
def pow2_grid32(a, away, q, m):
    """The float32 magnitude bits a, a float32 normal, rounded to a power of two in the mode m
    (``Mode32``; away: whether m rounds this sign's magnitudes up; q: ``Pow2Params``):
    ``directed_bias`` of the binade's step 2**23 and the code's last bit, carried into the
    exponent field (nearest even: a + 2**22 - 1 + that bit). NaN bits carry into bit 31:
    above every largest value."""
    lsb = U32(U32(U32(a >> U32(23)) ^ q.flip) & U32(1))
    return U32(U32(a + directed_bias(U32(0x00800000), lsb, away, m)) & U32(0xFF800000))


@inner_inline
def _pow2_small32(a, away, q, m):
    """The magnitude bits a below q.small_top rounded in the mode m: q.down or q.up, up where a
    lies above down and m rounds it up (a nearest mode: above mid, or at mid away from zero,
    down's code being even; the others: away, or to odd, up's code being odd); below down
    (e8m0's float32 subnormals under its smallest value 2**-127) down in every mode."""
    inside = a > q.down
    up = ((a > q.mid) | ((a == q.mid) & (away != U32(0)))) if m.nearest else (inside & (U32(away | m.odd) != U32(0)))
    return q.up if up else q.down


@inner_inline
def _pow2_away(b, a, m):
    """Whether the mode m rounds the magnitudes of b's sign (a = |b|) up."""
    return m.away_neg if U32(b ^ a) != U32(0) else m.away_pos


@inner_inline
def pow2_32_one(b, q, m):
    """The float32 bits b (uint32) rounded in the deterministic mode m (``Mode32``) to a format
    without fraction bits (q: ``Pow2Params``): ``pow2_grid32`` in the float32 normal binades,
    below small_top the one or two values there (``_pow2_small32``), then overflow, NaN and the
    sign as ``_finish32``, Inf as m gives it; negatives and zeros into an unsigned format
    without a zero give its NaN."""
    a = U32(b & U32(0x7FFFFFFF))
    sign = U32(b ^ a)
    away = _pow2_away(b, a, m)
    r = _pow2_small32(a, away, q, m) if a < q.small_top else pow2_grid32(a, away, q, m)
    res = (m.inf1 if sign != U32(0) else m.inf0) if a == U32(0x7F800000) else _finish32(a, sign, r, q)
    return q.nan0 if pow2_invalid(b, a, q) else res


@inner_inline
def pow2_invalid(b, a, q):
    """Whether the float32 bits b (magnitude a) have no image but NaN: a negative (-0 too) or
    a zero into an unsigned format without a zero (q.invalid), not a NaN."""
    return (q.invalid != U32(0)) & ((b != a) | (a == U32(0))) & (a <= U32(0x7F800000))


@inner_inline
def pow2_unbounded32(b, q, m):
    """The magnitude of the float32 bits b rounded as ``pow2_32_one`` rounds it with an
    unbounded exponent range, as far as the report's tininess and overflow go by it: below
    float32's normal range 2**emin or 0 (q.tiny_top, the mode's), else ``pow2_grid32``; an
    invalid input's 2**emin (it neither overflows nor is tiny: ``kernels.report._bounds``)."""
    a = U32(b & U32(0x7FFFFFFF))
    r = (q.normal_bits if a >= q.tiny_top else U32(0)) if a < U32(0x00800000) else \
        pow2_grid32(a, _pow2_away(b, a, m), q, m)
    return q.normal_bits if pow2_invalid(b, a, q) else r


@nb.njit(cache=True, nogil=True)
def round_pow2_32(x_bits, out_bits, q, m, key):
    """``round_bits32`` of formats without fraction bits (``pow2_32_one``; q: ``Pow2Params``, m:
    ``Mode32``, nearest even's flags compiled in by key, ``nearest_even_key(m)``: read at run
    time they took twice its time), float32 in and out as uint32 bits, where the generic
    kernels round in float64 (e8m0) or int64 lanes; returns the number of NaN inputs
    (``_step_loop``)."""
    return _step_loop(x_bits, out_bits, pow2_32_one, (q, constant_mode(m, key)))


@inner_inline
def pow2_code32(o, q, cp):
    """The code of ``pow2_32_one``'s result bits o (cp: ``Code32``; q unused, there for
    ``kernels.report._count32``'s coder): the exponent field less cp.normal_sub (e8m0's
    2**-127, a float32 subnormal, has field 0: code 0), zero's 0, Inf's and NaN's codes, the
    sign bit."""
    a = U32(o & U32(0x7FFFFFFF))
    neg = U32(o ^ a) != U32(0)
    mag = U32(U32(a >> U32(23)) - cp.normal_sub) if a != U32(0) else U32(0)
    code = U32((cp.inf if a == U32(0x7F800000) else mag) | (cp.sign_bit if neg else U32(0)))
    return (cp.nan1 if neg else cp.nan0) if a > U32(0x7F800000) else code


@inner_inline
def _pow2_encoded(b, q, m, cp):
    """The code of the float32 bits b rounded by ``pow2_32_one``."""
    return pow2_code32(pow2_32_one(b, q, m), q, cp)


@nb.njit(cache=True, nogil=True)
def encode_pow2_32(x_bits, codes, q, m, key, cp):
    """``round_pow2_32``'s rounding as codes (``pow2_code32``; cp: ``Code32``) in the same loop;
    returns the number of NaN inputs."""
    return _step_loop(x_bits, codes, _pow2_encoded, (q, constant_mode(m, key), cp))


@nb.njit(cache=True, nogil=True)
def encode_pow2_odd64(x, codes, q, m, key, cp):
    """``encode_pow2_32`` of float64 x through float32 stand-ins (``round_pow2_odd64``)."""
    return _stand_in_loop(x, codes, _pow2_encoded, (q, constant_mode(m, key), cp))


@nb.njit(cache=True, nogil=True)
def round_pow2_odd64(x, out, q, m, key):
    """``round_pow2_32`` of float64 x into float64 out through float32 stand-ins rounded to odd
    (``_stand_in_loop``): with 24 bits a stand-in rounds as x does in every deterministic mode
    (a stand-in lies in x's binade, and is a power of two only where it is x), a magnitude
    beyond float32's range as FLT_MAX overflows as x does (or rounds to the largest value as
    x does), a nonzero one below its smallest as 2**-149 rounds as x does."""
    return _stand_in_loop(x, out, pow2_32_one, (q, constant_mode(m, key)))


@inner_inline
def pow2_sr_one(b, zk, q, lift):
    """The float32 bits b rounded stochastically (sr_rule "add", random bits zk at the top of a
    uint32: k <= 32 of them) to a format without fraction bits (q: ``Pow2Params`` of the
    stochastic mode's overflow results): up iff the discarded fraction f, a 32-bit fixed-point
    number, plus zk carries out (``carries32``). In the float32 normal binades f is the 23
    fraction bits; below small_top, between down and up, (|x| - down) / (up - down), in
    integers (float32 arithmetic on subnormals costs microcode assists on some cores; this
    step of e8m0 is all subnormal): |x| clamped to down or more is its significand (the
    implicit bit included in a normal binade) times 2**(E - 150), E its exponent field (1
    for a subnormal), as down is (in the same binade or 0), so f = (the significands'
    difference) * 2**(E - lift), lift = 118 + log2(up - down) (int32, ``casts.floating.
    pow2_sr32_params``), a shift left of at most 10 bits or right, truncating (exact enough:
    k <= 32); below down (e8m0's float32 subnormals under 2**-127) down. Then overflow, Inf,
    NaN and the sign as ``_finish32``; negatives and zeros into an unsigned format without a
    zero give its NaN."""
    a = U32(b & U32(0x7FFFFFFF))
    c = maximum(a, q.down)
    e = maximum(U32(c >> U32(23)), U32(1))
    significand = U32(U32(c & U32(0x7FFFFF)) | (U32(0x800000) if c >= U32(0x800000) else U32(0)))
    d = U32(significand - U32(q.down & U32(0x7FFFFF)))
    sh = np.int32(np.int32(e) - lift)      # (the shifts masked to 31: LLVM then keeps them in uint32 lanes)
    left = U32(U32(maximum(sh, np.int32(0))) & U32(31))
    right = U32(U32(minimum(maximum(np.int32(-sh), np.int32(0)), np.int32(31))) & U32(31))
    small = q.up if carries32(U32(U32(d << left) >> right), zk) else q.down
    r = small if a < q.small_top else pow2_sr_grid32(a, zk)
    return q.nan0 if pow2_invalid(b, a, q) else _finish32(a, U32(b ^ a), r, q)


@inner_inline
def pow2_sr_grid32(a, zk):
    """The float32 magnitude bits a, a float32 normal, rounded stochastically to a power of two
    (random bits zk at the top of a uint32): up a binade iff its 23 fraction bits, shifted to
    the top, plus zk carry out (``carries32``)."""
    return U32(U32(a & U32(0xFF800000)) + (U32(0x00800000) if carries32(U32(a << U32(9)), zk) else U32(0)))


@inner_inline
def _pow2_sr_block(xs, outs, zs, shift, q, lift, cp):
    """outs[j] = ``pow2_sr_one`` of xs[j] (its code where cp is a ``Code32``), random bits
    zs[j] << shift; the block's NaN count."""
    nans = U32(0)
    for j in range(xs.size):
        o = pow2_sr_one(xs[j], U32(U32(zs[j]) << shift), q, lift)
        outs[j] = o if cp is None else pow2_code32(o, q, cp)
        nans = U32(nans + U32(U32(xs[j] & U32(0x7FFFFFFF)) > U32(0x7F800000)))
    return np.int64(nans)


@kernel(cache=True, nogil=True)
def round_pow2_sr32(x_bits, out, start, rand, seed, q, lift, k, cp):
    """Stochastic rounding (sr_rule "add", k <= 32 random bits) of float32 bits to a format
    without fraction bits (``pow2_sr_one``; q, lift: ``casts.floating.pow2_sr32_params``'),
    the results' bits into out, or with cp (a ``Code32``) their codes (``pow2_code32``), by
    blocks of DRAW_BLOCK: rand None draws element i's bits from SplitMix64 number start + i of
    seed (``draw_tops``), else they are rand[start + i] (int64). Returns the number of NaN
    inputs. e8m0, 1M standard normal float32, 1 thread, CPU time: 4.3 -> 0.3 ms (the generic
    kernel's float64 copies before; 0.55 ms with the blocks sliced from x and out themselves:
    a third of the time went to atomic reference counts)."""
    nans = 0
    xb, ob = borrowed(x_bits), borrowed(out)     # (their blocks' slices then cost no atomic reference counts)
    if rand is None:
        buf, tops = empty(DRAW_BLOCK + 2, np.uint64), empty(DRAW_BLOCK, np.uint32)
        bb, tb = borrowed(buf), borrowed(tops)
        for lo in range(0, xb.size, DRAW_BLOCK):
            xs = xb[lo:lo + DRAW_BLOCK]
            zs, _ = draw_tops(bb, tb, seed, start + lo, xs.size, k)
            nans += _pow2_sr_block(xs, ob[lo:lo + DRAW_BLOCK], zs, U32(0), q, lift, cp)
        alive(buf)      # (bb and tb borrow their memory)
        alive(tops)
        return nans
    check_given_bits(rand, start + x_bits.size)
    given = borrowed(rand)[start:start + x_bits.size]     # (a new name: see round_sr_add32)
    for lo in range(0, xb.size, DRAW_BLOCK):
        nans += _pow2_sr_block(xb[lo:lo + DRAW_BLOCK], ob[lo:lo + DRAW_BLOCK], given[lo:lo + DRAW_BLOCK],
                               U32(32 - k), q, lift, cp)
    return nans


# ---- stochastic rounding (sr_rule="add") of every range but NaN, branch-free (round_sr_add32) ----
@inner_inline
def sr_range_consts(p):
    """The loop invariants of ``sr_add_range`` for p (a ``Fast32Params``): (ones, d, c2, maxp, ks,
    fits). ones = 2**32 - 1 and d = t_top - 32, written so that LLVM cannot see their values
    (it would otherwise fold ~zk into an overflow test that does not vectorize, and split
    E - d into two steps in the loop); c2 = 32 - s (& 31: LLVM then keeps the shifts by
    min(., c2) in uint32 lanes); maxp = the largest value's bits plus
    2**s - 1; ks = (32 - qsub) << 23, which added to |x|'s bits scales it by 2**(32 - qsub).
    fits: the format is one ``sr_add_range`` takes (every registered one is): overflow gives
    ovf0 with the sign bit, the largest value is above the smallest normal, qsub <= 31."""
    ones = U32(p.keep | U32(p.lsb - U32(1)))
    s = U32(p.t_top - p.t_cap)
    q_scale_bits = bits_as(np.float32(p.q_scale), np.uint32)
    fits = ((p.ovf1 == U32(p.ovf0 | U32(0x80000000))) & (p.max_bits > p.normal_bits)
            & (q_scale_bits >= U32(0x40000000)))
    return (ones, U32(U32(p.t_top - U32(32)) * U32(ones >> U32(31))), U32(U32(U32(32) - s) & U32(31)),
            U32(p.max_bits + U32(p.lsb - U32(1))), U32(q_scale_bits - U32(0x3F800000)), fits)


@inner_inline
def sr_binade(a, zk, c):
    """(v, r): the float32 magnitude bits a plus zk >> (32 - t), t the discarded bits of a's
    binade (v), and v cut to its kept bits (r), c: ``sr_range_consts``. r is the stochastic
    rounding of a (``sr_add_one``) for a from one quantum 2**qsub to the largest value: no
    overflow, one binade's fixed shift (``sr_add_range``)."""
    d, c2 = c[1], c[2]
    sh = U32(minimum(U32(U32(a >> U32(23)) - d), c2) & U32(31))      # 32 - t (any, below one quantum)
    v = U32(a + U32(zk >> sh))
    return v, U32(v & U32(~U32(U32(0xFFFFFFFF) >> sh)))


@inner_inline
def sr_add_range(b, zk, p, c):
    """``sr_add_one`` of the float32 bits b with the random bits zk (their top k bits, the rest
    clear) for every b but NaN, where ``sr_range_consts(p)`` = c fits, in fewer steps. With t
    the discarded bits of |x|'s binade (t = s at or above the smallest normal; one more per
    binade below), the magnitude moves away iff f + zk carries out of 32 bits, f the t
    discarded bits at the top of a uint32 (``sr_add_one``): so it is |x|'s bits plus zk >>
    (32 - t), cut to t bits, the sign bit added back (|x| + the bias stays below 2**31).
    Overflow (Inf included): that sum above maxp (the largest value is on the grid, and no
    binade below 2**emin reaches maxp: the largest value is above the smallest normal); its
    result is ovf0 with the sign bit. Below one quantum 2**qsub, f = |x| * 2**(32 - qsub)
    truncated, which is exact: a power of two added to the exponent field, |x| * 2**(32 - qsub)
    < 2**32 (and below 2**-126 it is below 1, as a subnormal x truly is: 32 - qsub <= 126);
    f + zk carries iff f > ~zk."""
    ones, d, c2, maxp, ks, fits = c
    a = U32(b & U32(0x7FFFFFFF))
    sign = U32(b ^ a)
    v, r = sr_binade(a, zk, c)
    r = U32(r | sign)
    r = U32(p.ovf0 | sign) if v > maxp else r
    f = U32(bits_as(np.uint32(U32(a + ks)), np.float32))
    small = U32(p.q_bits | sign) if f > U32(zk ^ ones) else U32(sign & p.zero_sign)
    return small if a < p.q_bits else r
