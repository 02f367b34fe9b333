"""Casts of the float family: the format's numbers for the kernels, and round / encode / decode."""
from __future__ import annotations

import functools
import math

import numpy as np

from ..formats.floating import FloatFormat
from ..kernels import floating as kern
from ..rounding import NAN_POLICIES as ROUNDING_NAN_POLICIES, Rounding, mode_flags, nan_policy, overflows_to_infinity
from ..parallel import run_chunked, run_ranges
from .common import as_code_array, code_dtype, kernel_input, kernel_random_bits

NAN_POLICIES = ROUNDING_NAN_POLICIES["float"]      # (the float family's entry of rounding.NAN_POLICIES)

_DOMAINS = {False: (23, 127, np.float32, np.int32), True: (52, 1023, np.float64, np.int64)}


def fits_float32(fmt: FloatFormat) -> bool:
    """Whether every value of fmt is a float32 value."""
    return fmt.man_bits <= 23 and fmt.emin - fmt.man_bits >= -149 and fmt.info.maxexp <= 128


def float32_domain(fmt: FloatFormat) -> bool:
    """Whether float32 inputs can be rounded on their own bits (float32 subnormals < 2**emin)."""
    return fits_float32(fmt) and fmt.emin >= -126


def _bits(value: float, dom64: bool) -> int:
    _, _, ftype, itype = _DOMAINS[dom64]
    return int(np.array(value, ftype).view(itype))


def as_int64(value: int) -> int:
    """A code of up to 64 bits as the int64 with the same bits (kernels take int64 only: a
    Python int of 2**63 or more would make Numba type the argument uint64)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def overflow_mark(dom64: bool) -> int:
    """Output bits that only an overflow produces under overflow="raise" (a NaN payload)."""
    return _bits(np.nan, dom64) | 1


@functools.lru_cache(maxsize=None)
def kernel_params(fmt: FloatFormat, dom64: bool, mode: Rounding, overflow: str, nan: str):
    """(bits_params, code_params): the tuples ``kernels.floating.round_one`` reads.

    They differ in what a result is: bit patterns of the float domain (round) or codes
    (encode). overflow="raise" marks every overflow with NaN bits so the caller can count them.
    """
    dom_m, dom_bias, _, _ = _DOMAINS[dom64]
    info = fmt.info
    mark = overflow_mark(dom64)
    max_code = fmt.max_magnitude_code
    signed_nan = fmt.special in ("ieee", "fn") and fmt.signed
    specials = {}
    for neg in (False, True):
        sign = -1.0 if neg else 1.0
        sign_code = fmt.sign_bit if neg else 0
        max_entry = (_bits(sign * info.max, dom64), max_code | sign_code)
        nan_code = (fmt.nan_code | (sign_code if signed_nan else 0)) if fmt.has_nan else 0
        # the NaN value is the decoded NaN code, with its sign (fnuz, p3109: 0x80 is -NaN)
        nan_entry = (_bits(-np.nan if nan_code & fmt.sign_bit else np.nan, dom64), nan_code)
        if not fmt.has_nan and nan == "ml_dtypes":      # ml_dtypes: NaN -> zero of the other sign
            nan_entry = ((_bits(0.0 if neg else -0.0, dom64), 0 if neg else fmt.sign_bit)
                         if fmt.has_negative_zero else (0, 0))
        if fmt.has_inf:
            inf_entry = (_bits(sign * np.inf, dom64), fmt.inf_magnitude_code | sign_code)
        else:
            inf_entry = nan_entry if fmt.has_nan else max_entry
        if overflow == "saturate":
            inf_entry = ovf_entry = max_entry
        elif overflows_to_infinity(mode, neg, fmt.special):
            ovf_entry = inf_entry if (fmt.has_inf or fmt.has_nan) else max_entry
        else:
            ovf_entry = max_entry
        if overflow == "raise":
            ovf_entry = (mark, 0)
            if not fmt.has_inf:
                inf_entry = (mark, 0)
        specials[neg] = (nan_entry, inf_entry, ovf_entry)
    M = fmt.man_bits
    qsub = fmt.emin - M if fmt.subnormals else fmt.emin
    # below one quantum only 0 remains when half a quantum is not a domain number (below the
    # smallest subnormal 2**-149 or 2**-1074): never a tie
    half_q_bits = _bits(2.0 ** (qsub - 1), dom64) if qsub - 1 >= (-1074 if dom64 else -149) else 1
    lsb_parity = -1 if M else (1 - dom_bias - fmt.emin + fmt.code_offset) % 2
    rounding = mode_flags(mode)[:5]         # the deterministic fields; stochastic is the kernel's
    common = (M, qsub + dom_bias + dom_m if fmt.subnormals else 0,
              _bits(2.0 ** qsub, dom64), half_q_bits, _bits(info.max, dom64),
              0 if fmt.zero else _bits(info.smallest_normal, dom64), lsb_parity, *rounding,
              ((dom_bias + fmt.emin - 1) << M) - fmt.code_offset, _bits(info.smallest_normal, dom64))

    def variant(k: int, out_sign: int) -> tuple:
        table = []
        for row in range(3):
            table += [specials[False][row][k], specials[True][row][k]]
        # the sign applies to a zero result only where -0 exists; without zero, code 0 is a number
        return kern.FloatParams(*common, as_int64(out_sign), int(fmt.has_negative_zero or not fmt.zero),
                                int(not fmt.signed), *map(as_int64, table))

    sign_in = -(1 << 63) if dom64 else 1 << 31      # the sign bit, as an int64
    params = variant(0, sign_in), variant(1, fmt.sign_bit)
    return params


@functools.lru_cache(maxsize=None)
def same_range_params(fmt: FloatFormat, mode: Rounding, overflow: str):
    """Parameters of the float32 fast path, or None where it does not apply (see
    ``kernels.floating.round_same_range``): IEEE formats with float32's exponent field."""
    if not (fmt.exp_bits == 8 and fmt.bias == 127 and fmt.special == "ieee" and fmt.signed
            and fmt.subnormals and fmt.zero and overflow in ("ieee", "saturate")):
        return None
    clamp = fmt.info.max if overflow == "saturate" else np.inf
    bits_params, _ = kernel_params(fmt, False, mode, overflow, "raise")
    p = bits_params
    return (23 - fmt.man_bits, p.nearest, p.ties_even, p.away_pos, p.away_neg, p.odd, _bits(clamp, False),
            _bits(np.nan, False))


FAST32_MIN_QUANTUM = -94     # log2 of the smallest quantum the float32 fast kernels take


def _u32(bits: int) -> np.uint32:
    """``kernel_params``' bits (int64: signs wrapped) as the uint32 of the float32 kernels."""
    return np.uint32(bits & 0xFFFFFFFF)


def _finish32_fields(p) -> tuple:
    """The fields that ``kernels.floating._finish32`` reads, from ``kernel_params``' p: the
    largest value, the sign of zero where -0 exists, the overflow and NaN results by sign."""
    return (_u32(p.max_bits), _u32(p.out_sign if p.negzero else 0), _u32(p.ovf0), _u32(p.ovf1), _u32(p.nan0),
            _u32(p.nan1))


@functools.lru_cache(maxsize=None)
def fast32_params(fmt: FloatFormat, overflow: str, nan: str):
    """Parameters of the float32 fast kernels (``kernels.floating.round_nearest32``,
    ``round_sr_add32``), or None where they do not apply. They take float32-domain formats
    that are signed, have a zero and 1 to 22 fraction bits, under overflow "ieee" or
    "saturate" (where overflow and Inf give the same result, in nearest and stochastic
    modes alike), with a smallest quantum 2**qsub of at least 2**FAST32_MIN_QUANTUM: then a
    float32 subnormal input rounds to 0 whether or not the hardware flushes it to zero (it
    lies below half the quantum, and below 2**-32 of it, where round_sr_add32's fraction of
    the quantum is 0). Formats without a normal value (``FloatFormat.has_normals``) take the
    generic kernels: the fast ones' counts assume the largest value is normal."""
    M = fmt.man_bits
    qsub = fmt.emin - M if fmt.subnormals else fmt.emin
    if not (float32_domain(fmt) and fmt.has_normals and fmt.signed and fmt.zero and 1 <= M <= 22 and qsub >= FAST32_MIN_QUANTUM
            and overflow in ("ieee", "saturate")):
        return None
    p = kernel_params(fmt, False, Rounding.NEAREST_EVEN, overflow, nan)[0]

    s = 23 - M
    t_cap = fmt.emin + 127 if fmt.subnormals else 1
    return kern.Fast32Params(_u32(1 << s), _u32((1 << (s - 1)) - 1), _u32(-(1 << s)), _u32(p.normal_bits),
                             np.float32(2.0 ** (qsub + 23)), _u32(s + t_cap), _u32(t_cap), _u32(p.q_bits),
                             np.float32(2.0 ** (32 - qsub)), *_finish32_fields(p))


@functools.lru_cache(maxsize=None)
def directed32_args(fmt: FloatFormat, mode: Rounding, overflow: str, nan: str = "raise"):
    """(``Fast32Params`` with mode's overflow results, ``Mode32``): the arguments of
    ``kernels.floating.directed32_one`` (the casts' ``round_directed32`` / ``encode_directed32``,
    the operations' ``kernels.machine_arith.fast32_modes_kernel``) for a deterministic mode, or
    None where fmt has no ``fast32_params``."""
    p = fast32_params(fmt, overflow, nan)
    if p is None:
        return None
    kp, f = kernel_params(fmt, False, mode, overflow, nan)[0], mode_flags(mode)
    return (p._replace(ovf0=_u32(kp.ovf0), ovf1=_u32(kp.ovf1)),
            kern.Mode32(*(np.uint32(v) for v in (f.nearest, f.ties_even, f.away_pos, f.away_neg, f.odd)),
                        _u32(kp.inf0), _u32(kp.inf1)))


@functools.lru_cache(maxsize=None)
def fast_code32(fmt: FloatFormat, overflow: str, nan: str):
    """The ``kernels.floating.Code32`` that turns the float32 fast kernels' values of fmt
    (``fast32_params``) into fmt's codes."""
    c = kernel_params(fmt, False, Rounding.NEAREST_EVEN, overflow, nan)[1]
    inf = fmt.inf_magnitude_code if fmt.has_inf else 0
    zero_sign = fmt.sign_bit if fmt.has_negative_zero else 0
    sub_shift = 0 if fmt.subnormals else fmt.man_bits
    return kern.Code32(*(np.uint32(v & 0xFFFFFFFF) for v in (23 - fmt.man_bits, c.code_normal_sub, c.out_sign,
                                                            c.nan0, c.nan1, inf, c.ovf0, c.ovf1, zero_sign,
                                                            sub_shift)))


def check_domain(fmt: FloatFormat, nan: str, size: int, count_nan, count_negative) -> None:
    """Raise for inputs that have no image: NaN without NaN, negatives into unsigned formats.
    ``count_nan()`` and ``count_negative()`` count them (called only where they matter), so
    every backend raises the same errors."""
    nan_policy(nan, "float")
    if not fmt.has_nan:
        if nan == "raise":
            count = count_nan()
            if count:
                raise ValueError(f"{count} of {size} elements of x are NaN, and {fmt.name} has no NaN; "
                                 "pass nan='ml_dtypes' to map NaN to zero as ml_dtypes does")
        if not fmt.signed:
            count = count_negative()
            if count:
                raise ValueError(f"{count} elements of x are negative, and the unsigned format "
                                 f"{fmt.name} has no NaN to map them to")


def _pow2_bits(v: float) -> np.uint32:
    """The float32 bits of v."""
    return np.array(v, np.float32).view(np.uint32)[()]


def _pow2_params(fmt: FloatFormat, overflow: str, nan: str, mode: Rounding):
    """(``kernels.floating.Pow2Params`` of fmt with mode's overflow results and tininess
    threshold (for the positive sign; stochastic rounding reads none),
    ``kernel_params``' float32 bits parameters), or None where the
    float32 kernels of formats without fraction bits do not take fmt: those that have NaN and
    a normal value, whose values float32 holds, under overflow "ieee" or "saturate": signed
    ones with a zero and 2**emin >= 2**-126 (p3109_p1), and unsigned ones without a zero with
    2**emin >= 2**-127 (e8m0, whose 2**-127 is a float32 subnormal: the small step's two
    values there)."""
    if not (fmt.man_bits == 0 and fmt.has_nan and fmt.has_normals and fits_float32(fmt)
            and overflow in ("ieee", "saturate") and nan in NAN_POLICIES):
        return None
    zero_format = fmt.signed and fmt.zero and fmt.subnormals      # codes 0 and 1: zero and 2**emin
    if not (zero_format and fmt.emin >= -126 or not fmt.signed and not fmt.zero and fmt.emin >= -127):
        return None
    p = kernel_params(fmt, False, mode, overflow, nan)[0]
    normal = _pow2_bits(2.0 ** fmt.emin)
    if zero_format:     # below 2**emin: 0 or 2**emin, the tie 2**(emin - 1) to 0 (code 0) in nearest even
        small_top, mid, up, down = normal, _pow2_bits(2.0 ** (fmt.emin - 1)), normal, np.uint32(0)
    elif fmt.emin == -127:      # 2**-127 (code 0) below 2**-126, the tie 1.5 * 2**-127; both clamp below
        small_top, mid, up, down = _pow2_bits(2.0 ** -126), _pow2_bits(1.5 * 2.0 ** -127), _pow2_bits(2.0 ** -126), \
            normal
    else:                       # below 2**emin: 2**emin (the smallest value, code 0)
        small_top, mid, up, down = normal, np.uint32(0xFFFFFFFF), normal, normal
    tiny_top = np.uint32(0xFFFFFFFF)       # float32 subnormals all lie below 2**emin's rounding threshold
    if fmt.emin <= -126:    # ... but for these: |x| in [2**(emin - 1), 2**emin) rounds up to 2**emin or down
        f, code_even = mode_flags(mode), (fmt.emin + 127 + int(p.lsb_parity)) % 2 == 0
        if f.nearest:       # from 0.75 * 2**emin, the tie up where 2**emin's code is even or ties go away
            tiny_top = np.uint32(_pow2_bits(0.75 * 2.0 ** fmt.emin) + (0 if code_even or not f.ties_even else 1))
        elif f.away_pos or f.odd and not code_even:     # from above 2**(emin - 1)
            tiny_top = np.uint32(_pow2_bits(2.0 ** (fmt.emin - 1)) + 1)
        else:               # from 2**emin
            tiny_top = normal
    return kern.Pow2Params(np.uint32(int(p.lsb_parity) & 1), small_top, mid, up, down, tiny_top, normal,
                           np.uint32(not fmt.signed), *_finish32_fields(p)), p


@functools.lru_cache(maxsize=None)
def pow2_32_params(fmt: FloatFormat, overflow: str, nan: str, mode: Rounding = Rounding.NEAREST_EVEN):
    """(``kernels.floating.Pow2Params``, ``Mode32``, its ``nearest_even_key``) of fmt in the
    deterministic mode (float32 inputs rounded by ``round_pow2_32``), or None where that
    kernel does not apply: the formats of ``_pow2_params``, signed ones only in the modes
    whose overflow results of both signs have one magnitude (``kernels.report.count_pow2_32``
    counts by the positive one), and at 2**emin = 2**-126 only in the modes that round both
    signs alike (the float32 subnormals' tininess, ``Pow2Params.tiny_top``, is one number)."""
    made = _pow2_params(fmt, overflow, nan, mode) if mode in _DETERMINISTIC else None
    if made is None:
        return None
    q, p = made
    f = mode_flags(mode)
    if fmt.signed and ((int(p.ovf0) ^ int(p.ovf1)) & 0x7FFFFFFF or fmt.emin <= -126 and f.away_pos != f.away_neg):
        return None
    m = kern.Mode32(*(np.uint32(v) for v in (f.nearest, f.ties_even, f.away_pos, f.away_neg, f.odd)), _u32(p.inf0),
                    _u32(p.inf1))
    return q, m, kern.nearest_even_key(m)


@functools.lru_cache(maxsize=None)
def pow2_sr32_params(fmt: FloatFormat, overflow: str, nan: str):
    """(``kernels.floating.Pow2Params`` of the stochastic mode, the lift of its small step:
    118 + log2(up - down), int32) of ``round_pow2_sr32`` for fmt, or None where it does not
    take fmt (``_pow2_params``)."""
    made = _pow2_params(fmt, overflow, nan, Rounding.STOCHASTIC)
    if made is None:
        return None
    q = made[0]
    step = float(np.uint32(q.up).view(np.float32)) - float(np.uint32(q.down).view(np.float32))  # (a power of 2, or 0)
    return q, np.int32(118 + (math.frexp(step)[1] - 1 if step else 0))


def pow2_sr32_tiny(q) -> tuple:
    """(lo, shift) of ``kernels.report._pow2_sr_unbounded`` for q (``Pow2Params``): lo the bits
    of 2**(emin - 1) where that is a float32 subnormal, 2**(emin - 1) = 2**j * 2**-149, and
    shift = 32 - j; else (0xFFFFFFFF, 0)."""
    lo = int(q.normal_bits) >> 1
    if int(q.normal_bits) > 0x00800000:
        return np.uint32(0xFFFFFFFF), np.uint32(0)
    return np.uint32(lo), np.uint32(32 - (lo.bit_length() - 1))


def pow2_sr32_cast(x: np.ndarray, fmt: FloatFormat, overflow: str, nan: str, stochastic):
    """``pow2_sr32_params`` where ``round_pow2_sr32`` does this cast: float32 x, seeded or given
    random bits, sr_rule "add", at most 32 of them (the discarded fraction's bits beyond 32 are
    not read); else None."""
    if stochastic is None or x.dtype != np.float32:
        return None
    _, sr_bits, sr_rule, _ = stochastic
    return pow2_sr32_params(fmt, overflow, nan) if sr_rule == "add" and sr_bits <= 32 else None


_DETERMINISTIC = tuple(m for m in Rounding if m != Rounding.STOCHASTIC)


def pow2_32_cast(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, stochastic,
                 want_code: bool):
    """``pow2_32_params`` where ``round_pow2_32`` does this cast (values or codes, ``encode_pow2_32``,
    of float32 x, or of float64 x through stand-ins: ``round_pow2_odd64``, ``encode_pow2_odd64``;
    the deterministic modes), else None."""
    if stochastic is not None or x.dtype not in (np.float32, np.float64):
        return None
    return pow2_32_params(fmt, overflow, nan, mode)


@functools.lru_cache(maxsize=None)
def _largest_float32_overflows(fmt: FloatFormat, mode: Rounding, overflow: str) -> bool:
    """Whether +-FLT_MAX (+ only for an unsigned fmt) overflow fmt in the deterministic mode, by
    the generic kernel's overflow="raise" marks."""
    top = np.finfo(np.float32).max
    x = np.array([top, -top] if fmt.signed else [top], np.float64)
    marked = np.empty_like(x)
    _run(x, True, False, kernel_params(fmt, True, mode, "raise", "ml_dtypes")[0], marked, None)
    return bool((marked.view(np.int64) == overflow_mark(True)).all())


def _check_domain(x: np.ndarray, fmt: FloatFormat, nan: str, nans: int | None = None) -> None:
    """``check_domain`` for the array x; ``nans``: its NaN count where a kernel counted them."""
    check_domain(fmt, nan, x.size, lambda: int(np.count_nonzero(np.isnan(x))) if nans is None else nans,
                 lambda: int(np.count_nonzero(x < 0)))


def odd_slabs(x: np.ndarray, rows: int):
    """(r0, the float32 stand-in of x[r0:r0 + rows]) for the slabs of rows of x's first axis,
    each float64 slab rounded to odd (``kernels.floating.odd_float32``) into one buffer that
    every slab reuses (use a stand-in before the next is drawn); None in place of the stand-in
    of a slab with a magnitude of 2**127 or more (not Inf: float32 has no stand-in for it)."""
    buf = np.empty((min(rows, x.shape[0]),) + x.shape[1:], np.float32)
    for r0 in range(0, x.shape[0], rows):
        part = x[r0:r0 + rows]
        stand_in = buf[:part.shape[0]]
        yield r0, (stand_in if kern.odd_float32(kernel_input(part, np.float64), stand_in.reshape(-1)) else None)


def float32_stand_ins(flat: np.ndarray) -> tuple:
    """(the float32 stand-ins of the flat float64 array, rounded to odd by
    ``kernels.floating.odd_float32`` over the threads, whether every |x| lies below 2**127 or is
    Inf or NaN: else float32 has no stand-in of its own for some x, which stands in as
    float32's largest number)."""
    stand_ins = np.empty(flat.size, np.float32)
    return stand_ins, all(run_chunked(kern.odd_float32, flat, stand_ins))


def _may_stand_in(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, stochastic) -> bool:
    """Whether float64 x may be encoded through float32 stand-ins rounded to odd (``odd_slabs``)
    but for its magnitudes: the float32 fast kernels (``_fast32`` in nearest even,
    ``_directed32`` and ``same_range_params`` in every deterministic mode) then give x's codes
    and report counts bit for bit, fmt's grid being two bits coarser than float32's or more
    (precision <= 22 bits, quanta >= 2**-147: rounded on, a stand-in rounds as x would), under
    overflow "ieee" or "saturate" (a huge x has no stand-in of its own, but both overflow)."""
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    return bool(x.dtype == np.float64 and x.size and stochastic is None and fmt.man_bits <= 21 and qsub >= -147
                and float32_domain(fmt) and overflow in ("ieee", "saturate")
                and (_fast32(fmt, mode, overflow, nan, None) is not None
                     or _directed32(fmt, mode, overflow, nan, None) is not None
                     or same_range_params(fmt, mode, overflow) is not None))


def _kernel_stand_ins(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, stochastic) -> bool:
    """Whether float64 x rounds (values or codes) in the float32 fast kernels through stand-ins
    that the kernels make tile by tile (``kernels.floating.round_nearest_odd64``,
    ``encode_directed_odd64``, ...; counted by ``kernels.report``'s float32 counts): where
    ``_may_stand_in`` in the modes of ``_fast32`` and ``_directed32``, fmt's largest value below
    2**127 (then a magnitude that float32 has no stand-in for overflows as its stand-in does,
    ``kernels.floating.stand_in32``). e4m3, 1M standard normal float64, 1 thread, CPU time:
    round 0.69 -> 0.33 ms (``round_bits64``'s int64 lanes before), report=True 1.13 -> 0.46 ms."""
    return (_may_stand_in(x, fmt, mode, overflow, nan, stochastic) and float(fmt.info.max) < 2.0 ** 127
            and (_fast32(fmt, mode, overflow, nan, None) is not None
                 or _directed32(fmt, mode, overflow, nan, None) is not None))


def fast_lanes(a: np.ndarray) -> np.ndarray:
    """An input or output as the float32 fast kernels take it: float32 as its bits (uint32),
    float64 (their stand-in twins make its stand-ins, ``_kernel_stand_ins``) and codes as they
    are."""
    return a.view(np.uint32) if a.dtype == np.float32 else a


def _fast_nans(kernel32, kernel64, flat: np.ndarray, out: np.ndarray, *args) -> int:
    """Run the float32 fast kernel kernel32 (``round_nearest32``, ``encode_directed32``, ...)
    over flat into out, or its stand-in twin kernel64 (``round_nearest_odd64``, ...) where
    flat is float64; returns the number of NaN inputs they counted."""
    kernel = kernel64 if flat.dtype == np.float64 else kernel32
    return sum(run_chunked(kernel, fast_lanes(flat), fast_lanes(out), *args))


STAND_IN_SLAB = 1 << 20     # float64 elements per float32 stand-in (``_by_stand_ins``: 4 MB, in L3 with its codes)


def _by_stand_ins(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, count=None,
                  want_code: bool = True):
    """The codes of float64 x from the float32 kernels on its stand-ins, slab by slab
    (``_may_stand_in``; the stand-in and its codes stay in cache), for the formats whose
    kernels do not make stand-ins themselves (``_kernel_stand_ins``: float32's exponent field,
    bfloat16 and tf32, or a largest value of 2**127 or more): 4M normal float64, 1 thread,
    bfloat16 6.3 -> 4.0 ms. None where a magnitude is 2**127 or more (not Inf: float32 has no
    stand-in for it). The inputs that fmt has no image for are refused for the whole x first
    (``_check_domain``). With ``count`` (``_cast``'s) one stand-in of the whole x, counted as
    one float32 cast (measured when e4m3 went this way: 1M normal float64, 1 thread, CPU time,
    encode report=True 1.67 -> 0.41 ms). Counted, the values too (``want_code`` False: float64,
    as the plain cast's): the formats of ``pow2_32_cast`` whose largest value float32's
    largest number does not overflow in the mode (e8m0 toward zero: the kernels' own
    stand-ins would hide the overflow of a magnitude beyond float32's range, which this
    refuses; 1M normal float64, 1 thread, CPU time, report=True 6.4 -> 3.0 ms, plain 2.0 ms)."""
    _check_domain(x, fmt, nan)
    flat = kernel_input(x, np.float64)
    if count is not None:
        stand_in, narrow = float32_stand_ins(flat)
        if not narrow:
            return None
        out = _cast(stand_in, fmt, mode, overflow, nan, None, want_code, count=count)
        return (out if want_code else out.astype(np.float64)).reshape(x.shape)
    out = np.empty(flat.size, code_dtype(fmt.bits))
    for lo, stand_in in odd_slabs(flat, STAND_IN_SLAB):
        if stand_in is None:
            return None
        out[lo:lo + stand_in.size] = _cast(stand_in, fmt, mode, overflow, nan, None, True)
    return out.reshape(x.shape)


def _domain_input(x: np.ndarray, fmt: FloatFormat):
    """(flat contiguous input in its rounding domain, dom64)."""
    dom64 = x.dtype == np.float64 or not float32_domain(fmt)
    return kernel_input(x, np.float64 if dom64 else np.float32), dom64


_KERNELS = {  # (dom64, want_code, stochastic) -> kernel
    (False, False, False): kern.round_bits32, (True, False, False): kern.round_bits64,
    (False, True, False): kern.encode32, (True, True, False): kern.encode64,
    (False, False, True): kern.round_sr32, (True, False, True): kern.round_sr64,
    (False, True, True): kern.encode_sr32, (True, True, True): kern.encode_sr64,
}


def _run(flat, dom64, want_code, params, out, sr) -> None:
    """Run the kernel for this domain, output kind and rounding over flat into out."""
    itype = _DOMAINS[dom64][3]
    kernel = _KERNELS[dom64, want_code, sr is not None]
    target = out if want_code else out.view(itype)
    if target.dtype == np.uint64:          # 64-bit codes: round_one's int64, the same bits
        target = target.view(np.int64)
    if sr is None:
        run_chunked(kernel, flat.view(itype), target, params)
    else:
        seed, sr_params, rand, start = sr
        run_chunked(kernel, flat.view(itype), target, rand, np.uint64(seed), params, sr_params,
                    pass_start=True, offset=start)


def overflow_error(fmt: FloatFormat, mode: Rounding, count: int, size: int, first) -> OverflowError:
    """The error of overflow="raise" (every backend raises this one)."""
    return OverflowError(f"{count} of {size} elements of x overflow {fmt.name} "
                         f"(max {fmt.info.max}) under rounding={mode.name.lower()}; first: {first!r}")


def _check_overflow(flat: np.ndarray, fmt, dom64, mode, sr) -> None:
    bits_params, _ = kernel_params(fmt, dom64, mode, "raise", "ml_dtypes")
    marked = np.empty_like(flat)
    _run(flat, dom64, False, bits_params, marked, sr)
    itype = _DOMAINS[dom64][3]
    bad = marked.view(itype) == overflow_mark(dom64)
    if bad.any():
        raise overflow_error(fmt, mode, int(bad.sum()), flat.size, flat[bad][0])


def sr_params(fmt: FloatFormat, dom64: bool, sr_bits: int, sr_rule: str) -> tuple:
    """The (k, rule_nearest, q_shift_base) tuple of ``kernels.floating._stochastic_magnitude``."""
    dom_m, dom_bias, _, _ = _DOMAINS[dom64]
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    return sr_bits, int(sr_rule == "nearest"), qsub + dom_bias + dom_m


def given_bits(rand: np.ndarray):
    """The ``rand`` argument of the uint32-lane SR kernels (``round_sr_add32``,
    ``round_same_range_sr32``, ``kernels.report.count_sr_add32``): None where the random bits
    come from the seed (``NO_RANDOM_BITS``), else the given bits; each compiles only its loop."""
    return rand if rand.size else None


def _fast32(fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, stochastic):
    """``fast32_params`` where a fast kernel does this cast of float32 inputs (nearest_even, or
    stochastic with sr_rule="add" and at most 32 random bits), else None."""
    if stochastic is None:
        fits = mode == Rounding.NEAREST_EVEN
    else:
        _, sr_bits, sr_rule, _ = stochastic
        fits = sr_rule == "add" and sr_bits <= 32
    return fast32_params(fmt, overflow, nan) if fits and nan in NAN_POLICIES else None


def _directed32(fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, stochastic):
    """``directed32_args`` where the uint32 kernels do this cast of float32 inputs in a
    deterministic mode other than nearest_even (the formats of ``fast32_params``), else None."""
    if stochastic is not None or mode == Rounding.NEAREST_EVEN or nan not in NAN_POLICIES:
        return None
    return directed32_args(fmt, mode, overflow, nan)


def _cast(x, fmt, mode, overflow, nan, stochastic, want_code, count=None):
    """Shared body of round_float and encode_float; stochastic is None or a
    ``numfmt.stochastic.StochasticArgs`` (seed, k, rule, rand; start). ``count``:
    ``count(flat, out, p, k, sr)`` rounds in place of the plain kernels and counts
    (``numfmt.casts.report.round_counted``): p and k are the parameters of the kernel that
    would run (a ``FloatParams`` and its stochastic parameters, or the same-range or
    ``Fast32Params`` ones and the random bits' count; k None for a deterministic cast); it
    returns the number of NaN inputs. Codes are counted so only by the fast float32 kernels
    and those of formats with float32's exponent field (``count(flat, codes, p, k, sr, cp)``,
    cp the ``fast_code32``, or the NaN codes of ``kernels.floating.same_range_code``;
    elsewhere count is not called)."""
    pow2 = pow2_32_cast(x, fmt, mode, overflow, nan, stochastic, want_code)
    if pow2 is not None and count is not None and x.dtype == np.float64 and \
            not _largest_float32_overflows(fmt, mode, overflow):
        # (the kernels' stand-in of an x beyond float32's range, that number, rounds to x's value but
        # overflows only where it overflows too: e8m0 toward zero counts on stand-ins made first)
        out = _by_stand_ins(x, fmt, mode, overflow, nan, count, want_code)
        return out if out is not None else _cast(x, fmt, mode, overflow, nan, stochastic, want_code)   # (uncounted)
    if pow2 is not None:
        flat = kernel_input(x, x.dtype)
        out = np.empty(x.size, code_dtype(fmt.bits) if want_code else x.dtype)
        code = (fast_code32(fmt, overflow, nan),) if want_code else ()
        kernels = (kern.encode_pow2_32, kern.encode_pow2_odd64) if want_code else (kern.round_pow2_32,
                                                                                   kern.round_pow2_odd64)
        nans = count(flat, out, pow2, None, None, *code) if count is not None else _fast_nans(*kernels, flat, out,
                                                                                               *pow2, *code)
        _check_domain(x, fmt, nan, nans)
        return out.reshape(x.shape)
    pow2_sr = pow2_sr32_cast(x, fmt, overflow, nan, stochastic)
    if pow2_sr is not None:
        seed, sr_bits, _, rand = stochastic
        rand = kernel_random_bits(rand)
        flat = kernel_input(x, np.float32)
        out = np.empty(x.size, code_dtype(fmt.bits) if want_code else np.float32)
        code = (fast_code32(fmt, overflow, nan),) if want_code else ()
        if count is not None:
            nans = count(flat, out, pow2_sr, np.int64(sr_bits), (seed, None, rand, stochastic.start), *code)
        else:
            nans = sum(run_chunked(kern.round_pow2_sr32, flat.view(np.uint32), fast_lanes(out), given_bits(rand),
                                   np.uint64(seed), *pow2_sr, np.int64(sr_bits), *(code or (None,)),
                                   pass_start=True, offset=stochastic.start))
        _check_domain(x, fmt, nan, nans)
        return out.reshape(x.shape)
    stand_ins = _kernel_stand_ins(x, fmt, mode, overflow, nan, stochastic)
    if want_code and not stand_ins and _may_stand_in(x, fmt, mode, overflow, nan, stochastic):
        out = _by_stand_ins(x, fmt, mode, overflow, nan, count)
        if out is not None:
            return out
    flat, dom64 = _domain_input(x, fmt)
    fast_kernels = not dom64 or stand_ins
    fast32 = _fast32(fmt, mode, overflow, nan, stochastic) if fast_kernels else None
    directed = None if not fast_kernels or fast32 is not None else _directed32(fmt, mode, overflow, nan, stochastic)
    if fast32 is None and directed is None:
        _check_domain(x, fmt, nan)      # else the fast kernel counts the NaNs as it goes
    sr = sr_rule = None
    if stochastic is not None:
        seed, sr_bits, sr_rule, rand = stochastic
        rand = kernel_random_bits(rand)
        sr = (seed, sr_params(fmt, dom64, sr_bits, sr_rule), rand, stochastic.start)
    if overflow == "raise":
        _check_overflow(flat, fmt, dom64, mode, sr)
        overflow = "ieee"
    fast = None if dom64 else same_range_params(fmt, mode, overflow)
    if want_code:
        out = np.empty(flat.size, code_dtype(fmt.bits))
        if fast is not None and (stochastic is None or sr_rule == "add"):    # float32's exponent field
            c = kernel_params(fmt, False, mode, overflow, nan)[1]
            nans = (np.uint32(c.nan0), np.uint32(c.nan1))
            if count is not None:       # the counted cast's codes, coded tile by tile
                count(flat, out, fast, None if stochastic is None else np.int64(sr_bits), sr, nans)
            elif stochastic is None:
                run_chunked(kern.encode_same_range32, flat.view(np.uint32), out, fast, nans)
            else:
                run_chunked(kern.encode_same_range_sr32, flat.view(np.uint32), out, given_bits(rand),
                            np.uint64(seed), fast, sr_bits, nans, pass_start=True, offset=stochastic.start)
        elif directed is not None and count is not None:
            _check_domain(x, fmt, nan, count(flat, out, directed, None, sr, fast_code32(fmt, overflow, nan)))
        elif directed is not None:
            _check_domain(x, fmt, nan, _fast_nans(kern.encode_directed32, kern.encode_directed_odd64, flat, out,
                                                  *directed, fast_code32(fmt, overflow, nan)))
        elif fast32 is None:
            _run(flat, dom64, True, kernel_params(fmt, dom64, mode, overflow, nan)[1], out, sr)
        else:
            cp = fast_code32(fmt, overflow, nan)
            if count is not None:
                nans = count(flat, out, fast32, None if stochastic is None else np.int64(sr_bits), sr, cp)
            elif stochastic is None:
                nans = _fast_nans(kern.encode_nearest32, kern.encode_nearest_odd64, flat, out, fast32, cp)
            else:
                nans = sum(run_chunked(kern.encode_sr_add32, flat.view(np.uint32), out, given_bits(rand),
                                       np.uint64(seed), fast32, np.int64(sr_bits), cp, pass_start=True,
                                       offset=stochastic.start))
            _check_domain(x, fmt, nan, nans)
        return out.reshape(x.shape)
    out = np.empty(flat.size, _DOMAINS[dom64][2])
    if count is not None:       # the kernel below, by tiles, each counted (its parameters name it)
        k = None if stochastic is None else np.int64(sr_bits)
        if fast32 is not None:
            tile = (fast32, k)
        elif fast is not None and (stochastic is None or sr_rule == "add"):
            tile = (fast, k)
        elif directed is not None:
            tile = (directed, None)
        else:
            tile = (kernel_params(fmt, dom64, mode, overflow, nan)[0], None if sr is None else sr[1])
        nans = count(flat, out, *tile, sr)
        if fast32 is not None or directed is not None:
            _check_domain(x, fmt, nan, nans)
    elif fast32 is not None and stochastic is None:
        _check_domain(x, fmt, nan, _fast_nans(kern.round_nearest32, kern.round_nearest_odd64, flat, out, fast32))
    elif directed is not None:
        _check_domain(x, fmt, nan, _fast_nans(kern.round_directed32, kern.round_directed_odd64, flat, out,
                                              *directed))
    elif fast32 is not None:
        _check_domain(x, fmt, nan, sum(run_chunked(kern.round_sr_add32, flat.view(np.uint32), out.view(np.uint32),
                                                   given_bits(rand), np.uint64(seed), fast32, np.int64(sr_bits),
                                                   pass_start=True, offset=stochastic.start)))
    elif fast is not None and stochastic is None:
        run_chunked(kern.round_same_range32, flat.view(np.uint32), out.view(np.uint32), fast)
    elif fast is not None and sr_rule == "add":
        run_chunked(kern.round_same_range_sr32, flat.view(np.uint32), out.view(np.uint32), given_bits(rand),
                    np.uint64(seed), fast, sr_bits, pass_start=True, offset=stochastic.start)
    else:
        _run(flat, dom64, False, kernel_params(fmt, dom64, mode, overflow, nan)[0], out, sr)
    if dom64 and x.dtype != np.float64 and fits_float32(fmt):
        out = out.astype(np.float32)
    return out.reshape(x.shape)


def round_float(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str,
                stochastic=None, count=None) -> np.ndarray:
    """x rounded to fmt, as float64 for float64 inputs or formats beyond float32, else float32
    (``count``: see ``_cast``)."""
    return _cast(x, fmt, mode, overflow, nan, stochastic, want_code=False, count=count)


def encode_float(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str,
                 stochastic=None, count=None) -> np.ndarray:
    """Codes of x rounded to fmt, in the smallest unsigned dtype that holds them (``count``:
    see ``_cast``)."""
    return _cast(x, fmt, mode, overflow, nan, stochastic, want_code=True, count=count)


@functools.lru_cache(maxsize=None)
def decode_params(fmt: FloatFormat, dtype: np.dtype):
    """The arguments of ``kernels.floating.decode_one`` after the code, for values of dtype."""
    M = fmt.man_bits
    top = (1 << fmt.magnitude_bits) - 1
    nan_above = {"ieee": fmt.inf_magnitude_code, "fn": top - 1}.get(fmt.special, top)
    if fmt.special == "ieee" and M == 0:
        nan_above = top
    nan_code = fmt.sign_bit if fmt.special in ("fnuz", "p3109") else -1
    inf_mag = fmt.inf_magnitude_code if fmt.has_inf else -1
    with np.errstate(over="ignore"):
        pow2 = np.ldexp(1.0, decode_exponents(fmt)).astype(dtype)
    return M, fmt.code_offset, as_int64(fmt.sign_bit), nan_above, as_int64(nan_code), inf_mag, pow2


def decode_exponents(fmt: FloatFormat) -> np.ndarray:
    """The exponent of each exponent field's quantum (``decode_one``'s 2**e of a significand,
    fields 0 .. 2**exp_bits, int64).

    >>> decode_exponents(FloatFormat(2, 1)).tolist()
    [-1, -1, 0, 1, 2]
    """
    fields = np.arange((1 << fmt.exp_bits) + 1)
    return np.maximum(fields - 1, 0) + fmt.emin - fmt.man_bits


def decode_float(codes, fmt: FloatFormat, dtype) -> np.ndarray:
    """Values of codes as float32 or float64; a NaN code gives NaN with the code's sign bit (as
    ml_dtypes: e4m3 0xFF and the fnuz NaN 0x80 are -NaN)."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if dtype == np.float32 and not fits_float32(fmt):
        raise ValueError(f"{fmt.name} has values that float32 cannot hold; pass dtype=np.float64")
    arr = as_code_array(codes, fmt.bits)
    flat = kernel_input(arr, code_dtype(fmt.bits))
    if fmt.bits > TABLE_BITS:
        return _decode(flat, fmt, dtype).reshape(arr.shape)
    out = np.empty(flat.size, dtype)
    run_chunked(kern.lookup, flat, out, decode_table(fmt, dtype))
    return out.reshape(arr.shape)


TABLE_BITS = 16   # formats up to this width decode by looking their codes up in a table of values


def _decode(flat: np.ndarray, fmt: FloatFormat, dtype: np.dtype) -> np.ndarray:
    out = np.empty(flat.size, dtype)
    run_chunked(kern.decode, flat, out, *decode_params(fmt, dtype))
    return out


@functools.lru_cache(maxsize=None)
def decode_table(fmt: FloatFormat, dtype: np.dtype) -> np.ndarray:
    """The value of every code (the decode kernel over all codes), read-only; the backends
    look their codes up in it too."""
    table = _decode(np.arange(1 << fmt.bits, dtype=code_dtype(fmt.bits)), fmt, dtype)
    table.flags.writeable = False
    return table
