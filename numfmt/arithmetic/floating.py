"""Element-wise arithmetic of the float family: the kernels of ``numfmt.kernels.arith``.

Every operation is computed exactly and rounded once (see that module). Results that no value
of the format stands for are errors here: an overflow under overflow="raise" (OverflowError;
in formats without Inf this includes x / 0), and an invalid operation (0/0, Inf - Inf, 0 * Inf,
sqrt of a negative) in a format without NaN (ValueError).
"""
from __future__ import annotations

import functools

import numpy as np

from ..parallel import run_chunked
from ..casts.common import NO_RANDOM_BITS, kernel_random_bits
from ..casts.floating import (directed32_args, fast32_params, float32_domain, kernel_params, overflow_mark,
                              same_range_params, sr_params)
from ..formats.floating import FloatFormat
from ..kernels.arith import KERNELS, ROUTE_KERNELS, SR_MAX_PRECISION_PLUS_BITS, narrow
from ..kernels.machine_arith import OPS as MACHINE_OPS, NO_CHECK32, Check32, odd_stand_in64_kernel
from ..kernels.machine_arith import KERNELS as MACHINE_KERNELS, ODD_SUMS
from ..kernels.machine_arith import (KERNELS32, ODD_SR_KERNELS32, fast32_modes_kernel, fast32_odd_root_kernel,
                                     fast32_sr_given_kernel, fast32_sr_kernel, modes_key, same_range32_div_kernel,
                                     same_range32_div_modes_kernel, same_range32_fma_kernel, same_range32_kernel,
                                     same_range32_mul_modes_kernel, same_range32_sqrt_kernel,
                                     same_range32_sqrt_modes_kernel, same_range32_sum_modes_kernel)
from . import NotValuesError
from ..rounding import Rounding

# "quotient" is div for any float64 operands, not only values of the format (the scaled
# quantization of ``numfmt.scaling``); its operands are not checked
ARITY = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1, "quotient": 2}
# work of one result through the exact integer core, in ``numfmt.parallel`` units (about 1 ns);
# the float64 route of deterministic add / sub / mul / div costs about 4
WORK_EXACT = {"add": 15, "sub": 15, "mul": 15, "div": 60, "fma": 20, "sqrt": 40, "quotient": 60}
CHECKS_INPUTS = True      # the kernels check that the operands are values of the format


def products_exact_in_float64(fmt: FloatFormat) -> bool:
    """Whether every product of two values of fmt is a normal float64 (or zero) exactly: at most
    53 significant bits, at least 2**-1022 and below 2**1024 in magnitude."""
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    return 2 * (fmt.man_bits + 1) <= 53 and 2 * qsub >= -1022 and 2 * fmt.info.maxexp <= 1024


def products_exact_in_float32(fmt: FloatFormat) -> bool:
    """Whether every product of two values of fmt is a float32 value exactly: at most 24
    significant bits, their lowest bit (2**(2 * (emin - man_bits)) at least float32's smallest
    subnormal 2**-149, and below 2**128 in magnitude.

    >>> products_exact_in_float32(FloatFormat(4, 3)), products_exact_in_float32(FloatFormat(8, 7))
    (True, False)
    """
    quantum = fmt.emin - fmt.man_bits
    return 2 * (fmt.man_bits + 1) <= 24 and 2 * quantum >= -149 and 2 * fmt.info.maxexp <= 128


def narrow_format(fmt: FloatFormat) -> bool:
    """Whether fmt is narrow (``kernels.arith.narrow``: at most 51 significand bits, smallest
    quantum at least 2**-1072, max below 2**1023), where deterministic results may take the
    odd-jammed float64 route; binary64 is not.

    >>> narrow_format(FloatFormat(8, 23)), narrow_format(FloatFormat(11, 52))
    (True, False)
    """
    p = kernel_params(fmt, True, Rounding.NEAREST_EVEN, "ieee", "raise")[0]
    return bool(getattr(narrow, "py_func", narrow)(p))


def takes_float64_route(op: str, fmt: FloatFormat, sr_bits: int | None = None) -> bool:
    """Whether op's results in fmt may take the float64 route (``kernels.arith.ROUTE_KERNELS``):
    narrow formats; for mul and fma, products exact in float64; for fma, products below
    2**1023 too (TwoSum's range). Stochastic rounding with k = sr_bits random bits needs the
    discarded fraction exact to k bits and one more: precision + k <= 51, and the smallest
    quantum at least 2**(k - 1072) (odd-jammed float64 subnormals)."""
    if not narrow_format(fmt):
        return False
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    if sr_bits is not None and (fmt.man_bits + 1 + sr_bits > 51 or qsub < sr_bits - 1072):
        return False
    if op in ("mul", "fma"):
        return products_exact_in_float64(fmt) and (op == "mul" or 2 * fmt.info.maxexp <= 1023)
    return op in ("add", "sub", "div", "quotient")


FLOAT32_TINY = np.float32(2.0 ** -149)     # the machine kernels' check for flushed subnormals


@functools.lru_cache(maxsize=None)
def check32_params(fmt: FloatFormat) -> Check32:
    """The ``kernels.machine_arith.Check32`` of a format float32 holds, signed, with a zero,
    subnormals and a normal value (whose float32 values ``kernels.machine_arith._lean_values32``
    tells exactly: finite, at most the largest, no bit below the last kept one, and below
    2**emin a multiple of 2**qsub), else ``NO_CHECK32`` (the kernels check every operand in full).

    >>> check32_params(FloatFormat(8, 7)).lsb, check32_params(FloatFormat(4, 3, subnormals=False)) is NO_CHECK32
    (np.uint32(65536), True)
    """
    if not (float32_domain(fmt) and fmt.signed and fmt.zero and fmt.subnormals and fmt.has_normals):
        return NO_CHECK32
    bits = lambda v: np.array(v, np.float32).view(np.uint32)[()]
    return Check32(np.uint32(1 << (23 - fmt.man_bits)), bits(fmt.info.max), bits(2.0 ** fmt.emin),
                   np.float32(2.0 ** (fmt.emin - fmt.man_bits + 23)))


def _exact_in(op: str, fmt: FloatFormat, digits: int, lowest: int, overflow: int) -> bool:
    """Whether a binary type of ``digits`` significand bits, smallest quantum 2**lowest and
    overflow threshold 2**overflow holds op's exact result on values of fmt: sums have
    maxexp + 1 - qsub bits, fma results max(2 maxexp, maxexp) + 1 - min(2 qsub, qsub), products
    2p, from 2**(2 qsub)."""
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    top = fmt.info.maxexp
    if op == "mul":
        high, low, bits = 2 * top, 2 * qsub, 2 * (fmt.man_bits + 1)
    elif op in ("add", "sub"):
        high, low = top + 1, qsub
        bits = high - low
    elif op == "fma":
        high, low = max(2 * top, top) + 1, min(2 * qsub, qsub)
        bits = high - low
    else:
        return False
    return bits <= digits and low >= lowest and high <= overflow


def exact_in_float64(op: str, fmt: FloatFormat) -> bool:
    """Whether float64's own op on values of fmt is always the exact result
    (``kernels.machine_arith`` gives the bounds).

    >>> [exact_in_float64(op, FloatFormat(4, 3)) for op in ("add", "mul", "fma", "div")]
    [True, True, True, False]
    >>> [exact_in_float64(op, FloatFormat(8, 7)) for op in ("add", "mul", "fma")]
    [False, True, False]
    """
    if op == "mul":
        return products_exact_in_float64(fmt)
    return _exact_in(op, fmt, 53, -1074, 1024)


def exact_in_float32(op: str, fmt: FloatFormat) -> bool:
    """Whether float32's own op on values of fmt is always the exact result (as
    ``exact_in_float64``: 24 bits, quantum 2**-149, below 2**128).

    >>> [exact_in_float32(op, FloatFormat(4, 3)) for op in ("add", "mul", "fma")]
    [True, True, False]
    >>> [exact_in_float32(op, FloatFormat(*f)) for op in ("add", "mul") for f in ((5, 2), (8, 7))]
    [False, False, True, False]
    """
    return _exact_in(op, fmt, 24, -149, 128)


def nearest_in_float32(op: str, fmt: FloatFormat) -> bool:
    """Whether float32's own op (round to nearest even) on values of fmt, rounded to nearest even
    once more to fmt, is always the correct rounding (``kernels.machine_arith``, the float32
    kernels, gives the proof; div, sqrt and fma: in every deterministic mode): exact results;
    sums and quotients of precision p <= 11 and roots of p <= 10 (quotients within float32's
    normal range); products of p <= 12 where 2p <= qsub
    + 149 (products below float32's normal range); fma where products are exact in float32,
    below 2**127 (TwoSum's range), and p <= 22 (its sum rounded to odd at 24 bits).

    >>> [nearest_in_float32(op, FloatFormat(8, 7)) for op in ("add", "mul", "div", "sqrt", "fma")]
    [True, True, False, True, False]
    >>> [nearest_in_float32(op, FloatFormat(4, 3)) for op in ("add", "mul", "div", "sqrt", "fma")]
    [True, True, True, True, True]
    """
    p = fmt.man_bits + 1
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    span = fmt.info.maxexp - qsub          # quotients lie in 2**-span .. 2**span
    fma = products_exact_in_float32(fmt) and 2 * fmt.info.maxexp <= 127 and p <= 22
    return exact_in_float32(op, fmt) or {"add": p <= 11, "sub": p <= 11, "mul": p <= 12 and 2 * p <= qsub + 149,
                                         "div": p <= 11 and span <= 126, "sqrt": p <= 10, "fma": fma}.get(op, False)


def odd_sr_in_float32(op: str, fmt: FloatFormat, k: int) -> bool:
    """Whether stochastic rounding with k random bits of div, sqrt or fma results on values of
    fmt may take ``kernels.machine_arith.ODD_SR_KERNELS32`` (their proof): ``nearest_in_float32``
    (the stand-in) and precision p + k <= 53 (the threshold exact in float64); div: 2p + k <=
    53; sqrt: p >= 3 and roots of nonzero values normal in fmt (qsub >= 2 emin).

    >>> [odd_sr_in_float32(op, FloatFormat(4, 3), 32) for op in ("add", "div", "sqrt", "fma")]
    [False, True, True, True]
    >>> [odd_sr_in_float32("div", FloatFormat(5, 10), k) for k in (31, 32)]
    [True, False]
    """
    p = fmt.man_bits + 1
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    fits = {"div": 2 * p + k <= 53, "sqrt": p >= 3 and qsub >= 2 * fmt.emin, "fma": True}
    return fits.get(op, False) and nearest_in_float32(op, fmt) and p + k <= 53


def innocuous_format(fmt: FloatFormat) -> bool:
    """Whether round-to-nearest-even sums in fmt may be float64's own sums rounded once more,
    without their rounding to odd (``kernels.machine_arith``): precision p <= 25 (53 >= 2p +
    2: double rounding innocuous, Figueroa 1995) and float32 bits round in fmt (every value a
    float32; ``float32_domain``).

    >>> [innocuous_format(FloatFormat(*f)) for f in ((4, 3), (8, 7), (8, 23), (11, 52))]
    [True, True, True, False]
    """
    return fmt.man_bits + 1 <= 25 and float32_domain(fmt)


def takes_machine(op: str, fmt: FloatFormat, mode: Rounding, overflow: str, stochastic, dtype, out_dtype) -> bool:
    """Whether op takes a ``kernels.machine_arith`` kernel: float32 operands (dtype) and results, a
    format that float32 bits round in, no overflow="raise" (which needs the overflow mark of
    float64 results); then where op's float64 result is exact (every mode); add, sub, div and
    sqrt (rounded to odd at 53 bits: every deterministic mode, and stochastic rounding with k
    random bits where p + k <= 51)."""
    if not (overflow != "raise" and dtype == out_dtype == np.float32 and float32_domain(fmt)):
        return False
    if exact_in_float64(op, fmt):
        return True
    return op in ("add", "sub", "div", "sqrt") and (stochastic is None or fmt.man_bits + 1 + stochastic[1] <= 51)


def fast32_args(op: str, fmt: FloatFormat, mode: Rounding, overflow: str, stochastic, dtype, out_dtype):
    """(kernel, p, pc) where op takes a float32 kernel of ``kernels.machine_arith`` (float32
    operands and results): round to nearest even where ``nearest_in_float32``, in the formats of
    the casts' float32 fast kernels (``fast32_params``) or, add, sub, mul and sqrt, those of
    their fixed shift (``same_range_params``: bfloat16), and div there of precision at most 11
    (``same_range32_div_kernel``); sqrt of precision 11 to 22 in the former, rounded to odd
    at 24 bits (``fast32_odd_root_kernel``); div, sqrt and fma there in the other
    deterministic modes too (``fast32_modes_kernel``), and add, sub and mul of precision at most
    22 below 2**127 (there too: their results rounded to odd; p with the stand-in's
    ``modes_key``); stochastic
    rounding with sr_rule="add" and at most 32 random bits where float32's result is exact
    (seeded or explicit random bits: a kernel each), or for div, sqrt and fma where
    ``odd_sr_in_float32`` (``fast32_params``); else None."""
    if overflow == "raise" or not dtype == out_dtype == np.float32:
        return None
    p, pc = fast32_params(fmt, overflow, "raise"), fast32_params(fmt, "ieee", "ml_dtypes")
    if stochastic is not None:
        _, k, rule, rand = stochastic
        if p is None or rule != "add" or k > 32:
            return None
        if op in ("add", "sub", "mul") and exact_in_float32(op, fmt):
            return (fast32_sr_given_kernel if rand is not None and len(rand) else fast32_sr_kernel), p, pc
        return (ODD_SR_KERNELS32[op], p, pc) if odd_sr_in_float32(op, fmt, k) else None
    same = same_range_params(fmt, mode, overflow)
    same_check = None if same is None else same_range_params(fmt, Rounding.NEAREST_EVEN, "ieee")
    if mode == Rounding.NEAREST_EVEN and op in KERNELS32:
        nearest = nearest_in_float32(op, fmt)
        if nearest and p is not None:
            return KERNELS32[op], p, pc
        if op == "sqrt" and p is not None and fmt.man_bits + 1 <= 22:     # (rounded to odd at 24 bits)
            return fast32_odd_root_kernel, p, pc
        if same is not None and op in ("add", "sub", "mul") and nearest:
            return same_range32_kernel, same, same_check
        if same is not None and op == "sqrt" and nearest:
            return same_range32_sqrt_kernel, same, same_check
        if same is not None and op == "div" and fmt.man_bits + 1 <= 11:
            return same_range32_div_kernel, same, same_check
    kernel = None if same is None else _same_range_modes_kernel(op, fmt.man_bits + 1)
    if kernel is not None:
        return kernel, same, same_check
    modes = p is not None and (op in ("div", "fma") and nearest_in_float32(op, fmt) or
                               op == "sqrt" and fmt.man_bits + 1 <= 22 or
                               op in ("add", "sub", "mul") and mode != Rounding.NEAREST_EVEN and fmt.man_bits + 1 <= 22
                               and (2 if op == "mul" else 1) * fmt.info.maxexp <= (127 if op == "mul" else 126))
    if not modes:
        return None
    args = directed32_args(fmt, mode, overflow)
    return fast32_modes_kernel, (*args, modes_key(op, args)), pc


def _same_range_modes_kernel(op: str, precision: int):
    """The kernel of op in the deterministic modes (nearest even: where ``fast32_args`` took none
    before) for the formats of float32's exponent field (``same_range_params``) of that
    precision, or None: fma of precision at most 22 (``same_range32_fma_kernel``), add and sub of
    precision at most 22 (float32's sum rounded to odd: p + 2 bits for nearest_away), mul of
    precision at most 8, div at most 11, sqrt at most 10 (float32's own result, never a point of
    p + 1 bits unless the exact one is)."""
    if op == "fma" and precision <= 22:
        return same_range32_fma_kernel
    if op in ("add", "sub") and precision <= 22:
        return same_range32_sum_modes_kernel
    if op == "mul" and precision <= 8:
        return same_range32_mul_modes_kernel
    if op == "div" and precision <= 11:
        return same_range32_div_modes_kernel
    if op == "sqrt" and precision <= 10:
        return same_range32_sqrt_modes_kernel
    return None


def same_range_stand_in32(op: str, fmt: FloatFormat, operands: tuple, finite: bool = False,
                          mode: Rounding = Rounding.TOWARD_ZERO) -> np.ndarray | None:
    """op's exact results on the float32 operands (flat, C-contiguous, of equal length) as the
    float32 stand-ins of ``_same_range_modes_kernel``'s kernel for fmt (a format of float32's
    exponent field: rounded to odd at 24 bits, or float32's own result where that is never a
    point of p + 1 bits unless exact; a finite result beyond float32's range as its largest odd
    magnitude), float32; None where op has no such kernel in fmt, where a thread flushes
    subnormals, or where some stand-in exceeds fmt's largest value (float32's largest stands in
    for every larger result, which rounds as they do but does not overflow toward zero), or
    with ``finite`` is NaN. That kernel run in ``mode`` (a deterministic one) with a shift of 0
    bits, which keeps every bit: an exact zero of a sum (fma's too) is -0 toward_negative, +0
    in the other modes, as op's result in that mode is. For the report
    (``arithmetic.report.op_report``): rounded to p bits, or counted, each stands in for the
    exact result as ``odd_stand_in64``'s does, at half its width (bfloat16 sqrt toward_zero, 1M
    values, 1 thread, CPU time: report=True 5.4 -> 2.5 ms, the plain call 0.5 ms)."""
    same = same_range_params(fmt, mode, "ieee")
    kernel = None if same is None else _same_range_modes_kernel(op, fmt.man_bits + 1)
    if kernel is None:
        return None
    x = operands[0]
    y = operands[1] if len(operands) > 1 else x
    z = operands[2] if len(operands) > 2 else x
    out, bad = np.empty(x.size, np.float32), np.zeros(2, np.int64)
    run_chunked(kernel, x, out, y, z, np.int64(MACHINE_OPS[op]), (0, *same[1:]), same, bad, FLOAT32_TINY,
                pass_start=True, work_per_item=2)
    top = np.max(np.abs(out), initial=0.0)     # (NaN where a stand-in is NaN)
    if top != top and not finite:
        top = np.nanmax(np.abs(out), initial=0.0)
    return None if bad.any() or not top <= fmt.info.max else out


def odd_stand_in64(op: str, operands: tuple) -> np.ndarray:
    """op's exact results on the float32 operands (flat, C-contiguous, of equal length) rounded to
    odd at 53 bits (``kernels.machine_arith.odd_stand_in64_kernel``), float64; they lie within
    2**-298 .. 2**257, float64's normal range. Rounded once more to p <= 51 bits such a result
    rounds as the exact one in every deterministic mode, and stochastically with k <= 51 - p
    random bits (its first 52 - p discarded bits are the exact ones); it lies on the same side
    of every number of p + 1 bits, so reports count it as the exact result
    (``arithmetic.report``; more bits than its ``stand_in_format`` wherever that exists).

    >>> odd_stand_in64("add", (np.float32([1.0]), np.float32([2.0 ** -100]))).view(np.int64) & 1
    array([1])
    """
    x = operands[0]
    y = operands[1] if len(operands) > 1 else x
    z = operands[2] if len(operands) > 2 else x
    out = np.empty(x.size, np.int64)
    run_chunked(odd_stand_in64_kernel, x, out, y, z, np.int64(MACHINE_OPS[op]), pass_start=True, work_per_item=2)
    return out.view(np.float64)


def _first(operands, mask) -> str:
    """The operands of the first element where mask holds, for error messages."""
    i = int(np.flatnonzero(mask)[0])
    return f"element {i}: operands {tuple(float(v[i]) for v in operands)}"


def elementwise(op: str, operands: tuple[np.ndarray, ...], fmt: FloatFormat, mode: Rounding,
                overflow: str, stochastic, out_dtype=np.float64) -> np.ndarray:
    """op applied to the operands, exactly, rounded once to fmt.

    operands: C-contiguous 1-D arrays of one dtype, float32 or float64, of equal length. Raises
    NotValuesError if one of them holds a number that is not a value of fmt. Returns out_dtype
    (float32 only where float32 holds every value of fmt; overflow="raise" needs float64).
    """
    if len(operands) != ARITY[op]:
        raise ValueError(f"{op} takes {ARITY[op]} operands; got {len(operands)}")
    x = operands[0]
    y = operands[1] if len(operands) > 1 else x
    z = operands[2] if len(operands) > 2 else x
    sr, rand, seed = None, NO_RANDOM_BITS, 0
    if stochastic is not None:
        seed, k, rule, rand = stochastic
        rand = kernel_random_bits(rand)
        limit = SR_MAX_PRECISION_PLUS_BITS - fmt.man_bits - 1
        if k > limit:
            raise ValueError(f"sr_bits must be at most {limit} for exact stochastic arithmetic in "
                             f"{fmt.name} (precision {fmt.man_bits + 1} plus sr_bits at most "
                             f"{SR_MAX_PRECISION_PLUS_BITS}); got {k}")
        sr = sr_params(fmt, True, k, rule)
    params = kernel_params(fmt, True, mode, overflow, "raise")[0]
    check = kernel_params(fmt, True, Rounding.TOWARD_ZERO, "ieee", "ml_dtypes")[0]
    out_type = np.float64 if overflow == "raise" else out_dtype
    fast32 = fast32_args(op, fmt, mode, overflow, stochastic, x.dtype, out_type)
    machine = fast32 is None and takes_machine(op, fmt, mode, overflow, stochastic, x.dtype, out_type)
    if sr is not None and not (machine or fast32) and x.dtype == np.float32:   # the other SR kernels take float64 only
        x, y, z = (a.astype(np.float64) for a in (x, y, z))
        out_type = np.float64
    out = np.empty(x.size, out_type)
    route = takes_float64_route(op, fmt, None if stochastic is None else stochastic[1])
    not_values = np.zeros(2, np.int64)     # [not values of fmt, left the float64 route]
    rdn = int(mode == Rounding.TOWARD_NEGATIVE)
    args = (x, out, y, z, params, rdn, sr, rand, np.uint64(seed), check, not_values)
    if fast32 is not None:      # float32's own arithmetic, rounded in uint32 lanes
        kernel, p32, pc32 = fast32
        extra = () if sr is None else (np.int64(sr[0]), rand, np.uint64(seed))
        run_chunked(kernel, x, out, y, z, np.int64(MACHINE_OPS[op]), p32, pc32, not_values, FLOAT32_TINY, *extra,
                    pass_start=True, work_per_item=2 if sr is None else 4)     # as the float64 kernels'
    elif machine:     # float64's own arithmetic, rounded once (not where a thread flushes subnormals)
        margs = (np.int64(MACHINE_OPS[op]), params, (check32_params(fmt), kernel_params(
                 fmt, False, Rounding.TOWARD_ZERO, "ieee", "ml_dtypes")[0]), not_values, FLOAT32_TINY, np.int64(rdn))
        odd_sum = op in ("add", "sub") and not exact_in_float64(op, fmt) and \
            not (mode == Rounding.NEAREST_EVEN and sr is None and innocuous_format(fmt))   # (TwoSum's odd sum)
        kernel = (ODD_SUMS if odd_sum else MACHINE_KERNELS[op])[sr is not None]
        if sr is None:
            run_chunked(kernel, x, out, y, z, *margs, pass_start=True, work_per_item=2)
        else:
            run_chunked(kernel, x, out, y, z, *margs, sr, rand, np.uint64(seed),
                        pass_start=True, work_per_item=4)
    elif route:         # the float64 route's kernel (see kernels.arith)
        run_chunked(ROUTE_KERNELS[op], *args, pass_start=True, work_per_item=4 if sr is None else 12)
    if not (fast32 or machine or route) or not_values[1]:      # the exact core, also where a faster one could not serve
        run_chunked(KERNELS[op], *args, pass_start=True, work_per_item=WORK_EXACT[op])
    if not_values[0]:
        raise NotValuesError(f"some operands are not values of {fmt.name}")
    return checked(op, operands, fmt, mode, overflow, out, out_dtype)


def checked(op: str, operands: tuple, fmt: FloatFormat, mode: Rounding, overflow: str, out: np.ndarray,
            out_dtype) -> np.ndarray:
    """out (op's results of the operands) as out_dtype, after raising for the results no value
    of fmt stands for: overflows under overflow="raise", NaN in a format without NaN."""
    if overflow == "raise":
        bad = out.view(np.int64) == overflow_mark(True)
        if bad.any():
            raise OverflowError(f"{int(bad.sum())} of {out.size} results of {op} overflow {fmt.name} "
                                f"(max {fmt.info.max}) under rounding={mode.name.lower()}; first at "
                                f"{_first(operands, bad)}")
    out = out.astype(out_dtype, copy=False)
    if not fmt.has_nan:
        bad = np.isnan(out)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} of {out.size} results of {op} are invalid operations "
                             f"(0/0, Inf - Inf, 0 * Inf or the sqrt of a negative number), and "
                             f"{fmt.name} has no NaN; first at {_first(operands, bad)}")
    return out
