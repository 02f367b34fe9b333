"""Element-wise posit arithmetic: add, sub, mul, div, fma, sqrt, exact and rounded once.

``numfmt.ops`` (``numfmt.add(a, b, "posit16")`` ...) checks and broadcasts the arguments and
calls ``elementwise``. Each result is computed exactly by ``kernels.exact`` and rounded once by
the posit rounding routine (``kernels.posit.round_exact``), in any rounding mode.

The float64 route (``float64_route``): deterministic results need no exact core. Posit
values are normal float64 numbers; a sum's exact value is s + e (TwoSum), a product's p + e
(Dekker's product; fma: where the significands are short enough, exact in float64), a
quotient's and a root's follow from their residuals, and the result rounded to odd at 53 bits
(``kernels.arith.odd_sum_bits``, ``odd_quotient``, ``odd_root``) rounds to the same posit as
the exact value, in every deterministic mode. The posit cast's fast path then rounds it (about
10x the exact core's speed); tests/test_posit_arith.py checks the route against the exact reference. Calls with
overflow="raise" take the exact core, which counts the exact results beyond maxpos.

The float32 route (``float32_route``): float32 operands with float32 results skip float64
altogether where every product of two values is an exact float32 number (posit16, posit8 and
the smaller formats): float32's TwoSum (roots: the float64 residual) gives the result rounded
to odd at 24 bits, which rounds as the exact value in every deterministic mode, and float32's
quotient needs no correction (``kernels.posit.product_sum32`` and ``quotient_root32``, one
fused pass that also checks the operands; 6x the float64 route for posit16 add).

Posit special cases: a NaR operand gives NaR; x / 0 gives NaR (0 / 0 too); sqrt of a negative
gives NaR; an exact zero is 0 (posits have no -0). Results beyond maxpos saturate to ±maxpos
and below minpos go to ±minpos in the nearest modes (see ``kernels.posit`` for every mode);
``overflow="raise"`` raises OverflowError where an exact result lies beyond maxpos.

Example:
    >>> import numpy as np
    >>> from numfmt.formats.registry import format
    >>> from numfmt.rounding import Rounding
    >>> a, b = np.array([1.0, 2.0 ** 20, 3.0, -4.0]), np.array([2.0 ** -12, 2.0 ** 20, 0.0, 1.0])
    >>> elementwise("add", (a, b), format("posit16"), Rounding.NEAREST_EVEN, "ieee", None).tolist()
    [1.0, 2097152.0, 3.0, -3.0]
    >>> elementwise("div", (a, b), format("posit16"), Rounding.NEAREST_EVEN, "ieee", None).tolist()
    [4096.0, 1.0, nan, -4.0]
"""
from __future__ import annotations

import numpy as np

from ..formats.posit import PositFormat
from ..casts import report as cast_report
from ..casts.common import kernel_random_bits
from ..casts.posit import decode_table, round_float
from ..kernels import posit as kern
from ..parallel import run_chunked, run_ranges
from ..rounding import Rounding, mode_flags
from ..stochastic import StochasticArgs
from . import NotValuesError
from .floating import odd_stand_in64

# The kernels' table argument for posits beyond 16 bits (no decode table): read-only like the
# tables (``decode_table``), so that every posit width shares one compiled kernel per op.
NO_TABLE = np.empty(0, np.int64)
NO_TABLE.flags.writeable = False

ARITIES = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1}
CHECKS_INPUTS = True      # elementwise checks that the operands are values of the format
# work of one result, in ``numfmt.parallel`` units (about 1 ns: one element of a float cast)
WORK = {"add": 40, "sub": 40, "mul": 40, "div": 80, "fma": 60, "sqrt": 60}
FLOAT64_ROUTE_WORK = 4
FLOAT32_ROUTE_WORK = 1.5


def fits_float32(fmt: PositFormat) -> bool:
    """Whether float32 holds every value of fmt (``numfmt.ops`` then returns float32 for
    float32 operands)."""
    return fmt.fits_float32()


def float64_route(op: str, fmt: PositFormat, mode: Rounding) -> bool:
    """Whether op's results in fmt can be rounded from float64 (see the module docstring):
    deterministic modes; add and sub always (sums of posit values stay below 2**1024); mul,
    div and sqrt where every value lies within 2**-450 .. 2**450 (Dekker's product and the
    residuals are exact); fma where products of two values are exact normal float64 numbers:
    at most 53 significand bits and 2 * (n - 2) * 2**es <= 1022.

    >>> from numfmt.formats.registry import format
    >>> [float64_route(op, format("posit32"), Rounding.TOWARD_ZERO) for op in ("mul", "div", "fma")]
    [True, True, False]
    """
    if mode == Rounding.STOCHASTIC or op not in ARITIES:
        return False
    if op in ("add", "sub"):
        return True
    if op in ("mul", "div", "sqrt"):
        return fmt.max_scale <= 450
    return products_exact_in_float64(fmt)


def products_exact_in_float64(fmt: PositFormat) -> bool:
    """Whether every product of two values of fmt is an exact normal float64 number: at most 53
    significant bits and 2 * (n - 2) * 2**es <= 1022."""
    significand = max(fmt.nbits - 2 - fmt.es, 1)
    return 2 * significand <= 53 and 2 * (fmt.nbits - 2) << fmt.es <= 1022


def float32_route(op: str, fmt: PositFormat, mode: Rounding) -> bool:
    """Whether op's results in fmt can be rounded from float32 operands in float32 lanes
    (``kernels.posit.product_sum32``, ``quotient_root32``): every op in deterministic modes, for
    formats whose products are exact float32 numbers (at most 12 significant bits, scales
    within +-63), so that float32's TwoSum (roots: the float64 residual) gives every result
    rounded to odd at 24 bits, and float32's quotient rounds as the exact one.

    >>> from numfmt.formats.registry import format
    >>> float32_route("add", format("posit16"), Rounding.NEAREST_EVEN), float32_route("add", format("posit32"), Rounding.NEAREST_EVEN)
    (True, False)
    """
    return (mode != Rounding.STOCHASTIC and op in ARITIES and fmt.max_scale <= 63
            and fmt.nbits - 3 - fmt.es <= 11)


def stochastic_route(fmt: PositFormat, stochastic) -> bool:
    """Whether stochastic rounding of results in fmt may round their stand-ins rounded to odd at
    53 bits (``arithmetic.floating.odd_stand_in64``, float32 operands) by the posit cast:
    float32 holds every value of fmt and p + k <= 51 for its largest precision p (nbits - 2 -
    es significant bits) and the k random bits (the discarded fraction is then exact to k bits
    and one more).

    >>> from numfmt.formats.registry import format
    >>> [stochastic_route(format(n), (0, 32, "add", None)) for n in ("posit16", "posit32")]
    [True, False]
    """
    return stochastic is not None and fmt.fits_float32() and max(fmt.nbits - 2 - fmt.es, 1) + stochastic[1] <= 51


def _stochastic_route(op: str, operands: tuple, fmt: PositFormat, stochastic) -> np.ndarray:
    """float64 values of op's results rounded stochastically to fmt (``stochastic_route`` holds,
    float32 operands): the posit cast of their stand-ins, with the random numbers the exact
    core draws (element i: number i). Raises NotValuesError for operands that are not values
    of fmt. posit16 add, 1M values, 1 thread: 20 -> 1.3 ms (the exact core before)."""
    if any(count_not_values(x, fmt) for x in operands):
        raise NotValuesError(f"some operands are not values of {fmt.name}")
    stand = odd_stand_in64(op, operands)
    return round_float(stand, fmt, Rounding.STOCHASTIC, "ieee", "ieee", StochasticArgs(*stochastic))


def _float32_lanes(op: str, operands: tuple, fmt: PositFormat, mode: Rounding, odd: bool) -> tuple:
    """(out, left): out the float32 results of op in fmt (``float32_route`` holds, float32
    operands), or with ``odd`` their stand-ins rounded to odd at 24 bits, and
    ``kernels.posit.UNDONE`` where the float32 lanes leave an element; left: whether any is."""
    bits = tuple(x.view(np.int32) for x in operands)
    a, b = bits[0], bits[min(1, len(bits) - 1)]
    c = bits[2] if op == "fma" else a
    out = np.empty(a.size, np.float32)
    if op in ("div", "sqrt"):
        left = run_chunked(kern.quotient_root32, a, out.view(np.int32), b, fmt.nbits, fmt.es, mode_flags(mode),
                           op == "sqrt", odd, pass_start=True, work_per_item=FLOAT32_ROUTE_WORK)
    else:
        left = run_chunked(kern.product_sum32, a, out.view(np.int32), b, c, fmt.nbits, fmt.es, mode_flags(mode),
                           op in ("mul", "fma"), op == "fma", -1.0 if op == "sub" else 1.0, odd, pass_start=True,
                           work_per_item=FLOAT32_ROUTE_WORK)
    return out, any(left)


def _float32_route(op: str, operands: tuple, fmt: PositFormat, mode: Rounding) -> np.ndarray:
    """float32 values of op's results rounded once to fmt (``float32_route`` holds, float32
    operands); the elements the float32 lanes leave (``kernels.posit.UNDONE``: NaR, the
    extreme regimes, operands that are not values) take the float64 route, which raises
    NotValuesError for operands that are not values of fmt."""
    out, left = _float32_lanes(op, operands, fmt, mode, odd=False)
    if left:
        undone = np.flatnonzero(out.view(np.int32) == kern.UNDONE)
        out[undone] = elementwise(op, tuple(x[undone] for x in operands), fmt, mode, "ieee", None)
    return out


def counted(op: str, operands: tuple, fmt: PositFormat, mode: Rounding, overflow: str, stochastic) -> tuple | None:
    """(results, CastReport) of op on float32 operands in one pass and the posit cast's
    counting pass: the results rounded to odd at 24 bits stand in for the exact ones (they
    round as the exact results do, and lie on the same side of maxpos and minpos) and
    ``casts.report.posit_counted`` rounds and counts them; None where ``float32_route`` does
    not hold (or overflow is "raise") or the float32 lanes leave an element (NaR, division by
    zero, the extreme regimes, operands that are not values: ``numfmt.arithmetic.report``
    counts those calls).

    >>> from numfmt.formats.registry import format
    >>> out, rep = counted("add", (np.float32([1.0, 3.0]), np.float32([2.0 ** -12, 2.0 ** 20])), format("posit16"), Rounding.NEAREST_EVEN, "ieee", None)
    >>> out.tolist(), rep.inexact
    ([1.0, 1048576.0], 2)
    """
    if (stochastic is not None or overflow == "raise" or not float32_route(op, fmt, mode)
            or any(x.dtype != np.float32 for x in operands)):
        return None
    stand, left = _float32_lanes(op, tuple(np.ascontiguousarray(x) for x in operands), fmt, mode, odd=True)
    if left:
        return None
    return cast_report.posit_counted(stand, fmt, mode, "ieee", "ieee", None, False)


def _float64_route(op: str, operands: tuple, fmt: PositFormat, mode: Rounding, out: np.ndarray) -> None:
    """out := float64 values of op's results rounded once to fmt (``float64_route`` holds)."""
    a, *rest = operands
    kernel, args = {"mul": (kern.product_round, [*rest, products_exact_in_float64(fmt)]),
                    "fma": (kern.fma_round, rest), "div": (kern.quotient_round, rest), "sqrt": (kern.root_round, rest),
                    "add": (kern.sum_round, [*rest, 1.0]), "sub": (kern.sum_round, [*rest, -1.0])}[op]
    run_chunked(kernel, a, out.view(np.int64), *args, fmt.nbits, fmt.es, mode_flags(mode), pass_start=True,
                work_per_item=FLOAT64_ROUTE_WORK)


def count_not_values(x: np.ndarray, fmt: PositFormat) -> int:
    """How many elements of the C-contiguous float64 or float32 array x are not values of fmt
    (NaN is NaR, a value; ``kernels.posit.is_value``), counted on every core.

    >>> count_not_values(np.array([1.0, 3.0, 0.1, np.nan, np.inf]), PositFormat(8, 0))
    2
    """
    bits = x.reshape(-1) if x.dtype == np.float32 else x.reshape(-1).view(np.int64)
    return int(sum(run_ranges(lambda lo, hi: kern.count_not_values(bits[lo:hi], fmt.nbits, fmt.es), bits.size)))


def elementwise(op: str, operands: tuple, fmt: PositFormat, mode: Rounding, overflow: str,
                stochastic, out_dtype=np.float64) -> np.ndarray:
    """op applied to the operands (1-D C-contiguous float32 or float64 arrays of equal length
    holding values of fmt, NaN for NaR), each result rounded once to fmt; a 1-D array of
    out_dtype. Raises NotValuesError if an operand holds a number that is not a value of fmt.

    ``stochastic`` is None or ``(seed, sr_bits, sr_rule, random_bits_or_None)`` as
    ``numfmt.stochastic.stochastic_args`` returns it; element i uses random number i.
    """
    if ARITIES.get(op) != len(operands):
        raise ValueError(f"op must be one of {sorted(ARITIES)} with its number of operands; got {op!r} "
                         f"with {len(operands)}")
    if (out_dtype == np.float32 and overflow != "raise" and all(x.dtype == np.float32 for x in operands)
            and float32_route(op, fmt, mode)):
        return _float32_route(op, tuple(np.ascontiguousarray(x) for x in operands), fmt, mode)
    if overflow != "raise" and stochastic_route(fmt, stochastic) and all(x.dtype == np.float32 for x in operands):
        return _stochastic_route(op, tuple(np.ascontiguousarray(x) for x in operands), fmt,
                                 stochastic).astype(out_dtype, copy=False)
    operands = tuple(np.ascontiguousarray(x, dtype=np.float64) for x in operands)
    if any(count_not_values(x, fmt) for x in operands):
        raise NotValuesError(f"some operands are not values of {fmt.name}")
    out = np.empty(operands[0].size, np.float64)
    if float64_route(op, fmt, mode) and overflow != "raise":    # the exact core counts overflows
        _float64_route(op, operands, fmt, mode, out)
        return out.astype(out_dtype, copy=False)
    a, b, c = ([x.view(np.int64) for x in operands] + [operands[0].view(np.int64)] * 2)[:3]
    seed, sr_bits, sr_rule, rand = stochastic if stochastic is not None else (0, 1, "add", None)
    p = mode_flags(mode)
    table = decode_table(fmt, np.dtype(np.float64)).view(np.int64) if fmt.nbits <= 16 else NO_TABLE
    beyond = sum(run_chunked(kern.KERNELS[op], a, out.view(np.int64), b, c, fmt.nbits, fmt.es, p,
                             (int(sr_bits), int(sr_rule == "nearest")), kernel_random_bits(rand), np.uint64(seed), table,
                             pass_start=True, work_per_item=WORK[op]))
    if overflow == "raise" and beyond:
        raise OverflowError(f"{beyond} of {a.size} results of {op} exceed maxpos of {fmt.name} "
                            f"({fmt.info.maxpos})")
    return out.astype(out_dtype, copy=False)
