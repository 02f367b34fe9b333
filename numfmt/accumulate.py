"""sum, dot, matmul: reductions with an emulated accumulator, in a chosen order.

Every term enters exactly (products of two inputs are exact unless ``product=`` rounds them),
and every operation of the chosen order is rounded once to the accumulator format. See
``sum`` for the orders and the hardware accumulator models.
"""
from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from . import array_libraries, machine_sum
from .arithmetic.floating import (narrow_format, products_exact_in_float32, products_exact_in_float64,
                                  takes_float64_route)
from .stochastic import stochastic_args
from .casts.common import NO_RANDOM_BITS, as_float_array, kernel_products, kernel_random_bits, output_size, writable
from . import report as _report
from .casts.report import combine, rounding_report
from .parallel import run_chunked, run_ranges
from .casts.floating import float32_domain, overflow_mark, fits_float32, kernel_params, sr_params
from .formats.registry import format as _format
from .intacc import IntegerPlan, is_integer_format
from .kernels import accumulate as kern
from .kernels.arith import SR_MAX_PRECISION_PLUS_BITS as SR_LIMIT
from .kernels.floating import FloatParams
from .ops import representable, round_operands
from .quire import quire_dot, quire_sum
from .rounding import Rounding, overflow_policy, rounding_mode

__all__ = ["sum", "dot", "matmul", "ORDERS"]

ORDERS = tuple(kern.KERNELS)
_PROMOTE_FORMAT = "binary32"
_EXACT_TERMS = np.empty((0, 4), np.int64)    # tx_proto of the kernels: products as exact terms
WORK_PER_TERM = 8               # ``numfmt.parallel`` units (about 1 ns) per term of a reduction
_INF_BITS = np.int64(0x7FF << 52)   # float64 +Inf's bits

# what each argument that takes a format accepts, for the error message
_EXPECTED = {"fmt": "a float format (posit inputs accumulate in the quire: accumulator='quire'; "
                    "integer inputs in an integer accumulator, e.g. accumulator='int16')",
             "accumulator": "a float format (e.g. 'binary32', 'bfloat16', a FloatFormat or a dtype), "
                            "an integer format (e.g. 'int16'), or 'quire' with a posit fmt",
             "product": "a float format"}


def _float_format(value, argument: str):
    """A FloatFormat from a name / Format / dtype, or ValueError saying what ``argument`` takes."""
    fmt = _format(value)
    if fmt.family != "float":
        raise ValueError(f"{argument} must be {_EXPECTED[argument]}; got {fmt.name}, a {fmt.family} format")
    return fmt


def _quire_call(fmt, product, order, options: dict):
    """The posit format of an ``accumulator="quire"`` call, after checking that nothing else
    asks for an order, a product rounding or a hardware model (the quire is exact)."""
    if fmt is None or _format(fmt).family != "posit":
        raise ValueError(f"accumulator='quire' accumulates posits: fmt must be a posit format; got {fmt!r}")
    given = [name for name, value in options.items() if value is not None]
    if product is not None or order not in ("sequential", "exact") or given:
        raise ValueError("accumulator='quire' sums exactly and rounds once: product, order, block, "
                         f"fused_terms, alignment_bits and promote_every do not apply; got {given or order!r}")
    return _format(fmt)


def _positive_int(value, argument: str, low: int = 1, high: int | None = None) -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low
    if not ok or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise ValueError(f"{argument} must be an integer {bound}; got {value!r}")
    return int(value)


@functools.lru_cache(maxsize=256)
def _value_check(fmt, float32: bool) -> tuple:
    """What ``kernels.accumulate.count_not_values`` needs of fmt (int64 numbers), or with
    ``float32`` ``count_not_values32`` (``kernels.accumulate.value_check32``); kept per
    format (a call's fixed cost)."""
    p = kernel_params(fmt, not float32, Rounding.NEAREST_EVEN, "ieee", "ml_dtypes")[0]
    numbers = (p.M, p.sub_shift_base, p.q_bits, p.max_bits, p.min_bits, p.unsigned, fmt.has_nan, fmt.has_inf,
               fmt.has_inf and fmt.signed)
    return kern.value_check32(*numbers) if float32 else tuple(np.int64(v) for v in numbers)


CHECK_WORK = 0.25       # a value check's work per element, in ``run_ranges``' units (its int32 loop: 4 per ns)


def _check_values(arrays: dict, fmt, shown: dict | None = None) -> dict:
    """Raise ValueError unless every element of each array (name -> array) is a value of fmt
    (NaN where fmt has NaN; the error names the first one in ``shown[name]``, the array as the
    caller gave it where the checked one is its transpose), as ``numfmt.ops.representable`` decides
    (``kernels.accumulate.count_not_values``, or for float32 arrays where float32 holds fmt's
    values ``count_not_values32``); else, from the same pass, name -> (the smallest nonzero
    magnitude, Inf where there is none; the largest magnitude, Inf where the array holds an
    Inf or a NaN). The arrays are checked in one call of ``run_ranges`` over all their
    elements (one handoff to the threads for a matmul's two operands, not two)."""
    checks, start = [], 0
    for name, x in arrays.items():
        flat = x.reshape(-1) if x.flags.c_contiguous else np.ascontiguousarray(x).reshape(-1)
        float32 = flat.dtype == np.float32 and float32_domain(fmt)
        kernel = kern.count_not_values32 if float32 else kern.count_not_values
        checks.append((name, x.shape, flat, flat.view(np.int32) if float32 else flat, kernel,
                       _value_check(fmt, float32), float32, start))
        start += flat.size

    def task(lo, hi):
        return [(name, kernel(data[max(lo, first) - first:min(hi, first + data.size) - first], c))
                for name, _, _, data, kernel, c, _, first in checks if max(lo, first) < min(hi, first + data.size)]

    work = CHECK_WORK if all(check[6] for check in checks) else 1.0
    parts = [part for task_parts in run_ranges(task, start, work) for part in task_parts]
    magnitudes = {}
    for name, shape, flat, _, _, _, float32, _ in checks:
        mine = [result for part_name, result in parts if part_name == name]
        count = builtins.sum(int(result[0]) for result in mine)     # (``sum`` is numfmt.sum here)
        if count:
            given = (shown or {}).get(name)
            if given is not None:
                flat, shape = np.ascontiguousarray(given).reshape(-1), given.shape
            first = int(np.argmax(~representable(flat, fmt)))       # (only to name the first one)
            index = tuple(int(i) for i in np.unravel_index(first, shape))
            raise ValueError(f"{count} of {flat.size} elements of {name} are not values of {fmt.name}; "
                             f"first: {float(flat[first])!r} at index {index}; round them first with "
                             f"numfmt.round({name}, {fmt.name!r}) or pass inputs='round'")
        bits_type, float_type, inf_bits = (np.int32, np.float32, 0x7F800000) if float32 else \
            (np.int64, np.float64, _INF_BITS)
        lo = min((result[1] for result in mine), default=inf_bits)
        hi = min(max((result[2] for result in mine), default=0), inf_bits)
        magnitudes[name] = tuple(np.array((lo, hi), bits_type).view(float_type).tolist())
    return magnitudes


def _rounder(fmt, mode: Rounding, overflow: str, stochastic, report: bool = False) -> tuple:
    """(row, rep): how the kernel rounds to fmt, as ``kernels.accumulate.rounder`` takes it: the
    int64 row of (p, rdn, stochastic, sr) and rep, how it counts those roundings
    (``casts.report.rounding_report``), None for no report."""
    params = kernel_params(fmt, True, mode, overflow, "raise")[0]
    sr = (0, 0, 0) if stochastic is None else sr_params(fmt, True, stochastic[1], stochastic[2])
    rep = rounding_report(fmt, mode, stochastic) if report else None
    return _row(params, int(mode == Rounding.TOWARD_NEGATIVE), stochastic is not None, sr), rep


def _row(params, rdn: int, stochastic: bool, sr) -> np.ndarray:
    return np.array((*params, rdn, stochastic, *sr), np.int64)


_NO_ROUNDING = (_row((-1,) * len(FloatParams._fields), 0, False, (0, 0, 0)), None)   # products stay exact


def chunks_report(chunks: list) -> _report.CastReport:
    """The CastReport of a reduction from its kernel's chunks (each: the number of roundings,
    the counts and the first output elements, ``kernels.accumulate``)."""
    if not chunks:
        return _report.CastReport(unit="roundings")
    return _report.CastReport.from_counts(combine([c[1:] for c in chunks]), int(np.sum([c[0] for c in chunks])),
                                            unit="roundings")


def make_plan(fmt, accumulator, product, order, block, fused_terms, alignment_bits, promote_every, rounding,
          overflow, seed, sr_bits, sr_rule, random_bits, inputs, products: bool, rng: str):
    """The plan of a reduction: an integer accumulator (``numfmt.intacc``) when the accumulator
    (or, without one, fmt) is an integer format, else a float accumulator."""
    target = fmt if accumulator is None else accumulator
    if target is not None and is_integer_format(target):
        return IntegerPlan(fmt, accumulator if accumulator is not None else fmt, product, order, block,
                           fused_terms, alignment_bits, promote_every, rounding, overflow, sr_bits,
                           random_bits, inputs, products)
    return _Plan(fmt, accumulator, product, order, block, fused_terms, alignment_bits, promote_every, rounding,
                 overflow, seed, sr_bits, sr_rule, random_bits, inputs, products, rng)


class _Plan:
    """The checked arguments of one call: formats, order configuration and rounders."""

    def __init__(self, fmt, accumulator, product, order, block, fused_terms, alignment_bits,
                 promote_every, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs,
                 products: bool, rng: str = "splitmix64"):
        if accumulator is None and fmt is None:
            raise ValueError("give fmt (the inputs' format) or accumulator (or both)")
        self.acc = (_float_format(fmt, "fmt") if accumulator is None
                    else _float_format(accumulator, "accumulator"))
        self.fmt = self.acc if fmt is None else _float_format(fmt, "fmt")
        self.product = None if product is None else _float_format(product, "product")
        if order not in kern.KERNELS:
            raise ValueError(f"order must be one of {ORDERS}; got {order!r}")
        if (block is not None) != (order == "blocked"):
            raise ValueError("block=B (a positive block length) goes with order='blocked' and only "
                             f"with it; got order={order!r}, block={block!r}")
        fused = (fused_terms, alignment_bits)
        if (fused != (None, None)) != (order == "fused") or (order == "fused" and None in fused):
            raise ValueError("fused_terms=k and alignment_bits=b go together with order='fused' and "
                             f"only with it; got order={order!r}, fused_terms={fused_terms!r}, "
                             f"alignment_bits={alignment_bits!r}")
        if order == "kahan" and not self.acc.signed:
            raise ValueError(f"order='kahan' needs a signed accumulator (its compensation is "
                             f"negative); {self.acc.name} is unsigned")
        block = 0 if block is None else _positive_int(block, "block")
        k = 0 if fused_terms is None else _positive_int(fused_terms, "fused_terms", high=1 << 20)
        # the truncated addends are integers below 2**(b + 1); k + 1 of them must sum below 2**62
        b = 0 if alignment_bits is None else _positive_int(
            alignment_bits, "alignment_bits", 0, 61 - max(k, 1).bit_length())
        promote = 0 if promote_every is None else _positive_int(promote_every, "promote_every")
        self.kernel = kern.KERNELS[order]
        self.cfg = tuple(np.int64(v) for v in (block, k, b, promote))
        if products and order in ("exact", "fused") and self.product is None:
            self._check_exact_products(order)
        # products go through the exact core unless float64 provably holds them exactly
        self.products = products
        self.tx_proto = None if not products or products_exact_in_float64(self.fmt) else _EXACT_TERMS
        # deterministic reductions of float64 terms into narrow formats try the kernel without
        # the exact core first (it compiles in a third of the time; see kernels.accumulate)
        narrow = all(narrow_format(f) for f in (self.acc, self.product) if f is not None)
        self.route_kernel = kern.ROUTE_KERNELS.get(order) if self.tx_proto is None and narrow else None
        # ... and sums without a promotion a lean kernel of their own (it compiles faster)
        self.lean_kernel = kern.LEAN_KERNELS.get(order) if narrow and not products and not promote else None
        self.mode = rounding_mode(rounding)
        self.overflow = overflow_policy(overflow)
        self.out_fmt = _format(_PROMOTE_FORMAT) if promote else self.acc
        self._stochastic_args = (seed, sr_bits, sr_rule, random_bits)
        self.rng = rng
        self.inputs = inputs
        self.machine = machine_sum.machine_dtype(self, order)     # the machine's own addition serves
        self.machine_fused = machine_sum.fused_config(self, order)  # ... or its float64 arithmetic

    def terms_dtype(self, float32: bool):
        """The dtype of the kernels' operand arrays: float32 where every input is float32 and
        every term is a float32 value (the inputs; products of narrow formats, rounded to a
        product format that float32 holds, or exact triples), else float64. Sums and products
        of one dtype share their compiled kernels."""
        if not float32:
            return np.float64
        if self.tx_proto is not None or not self.products:
            return np.float32
        exact = products_exact_in_float32(self.fmt) if self.product is None else fits_float32(self.product)
        return np.float32 if exact else np.float64

    def _check_exact_products(self, order: str) -> None:
        """Products must fit what the orders "exact" and "fused" take: significands of at most
        62 bits (precision at most 31), and for the long accumulator exponents within its range
        2**-1074 .. 2**1024. binary64's products (106 bits, 2**-2148 .. 2**2048) are refused
        there; the other orders add them exactly."""
        fmt = self.fmt
        qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
        if 2 * (fmt.man_bits + 1) > 62:
            raise ValueError(f"order={order!r} takes products of at most 62 significant bits; products "
                             f"of {fmt.name} values have {2 * (fmt.man_bits + 1)}: use order='sequential', "
                             "'pairwise', 'blocked' or 'kahan' (exact products too), or product=")
        if order == "exact" and (2 * qsub < -1074 or 2 * fmt.info.maxexp > 1024):
            raise ValueError(f"order='exact' sums in a long accumulator over float64's range (2**-1074 to "
                             f"2**1024); products of {fmt.name} values reach 2**{2 * qsub} and "
                             f"2**{2 * fmt.info.maxexp}: use another order")

    def operands(self, arrays: dict, shown: dict | None = None) -> dict:
        """The input arrays (name -> float array), rounded to fmt for inputs="round", and
        checked to hold values of fmt; their magnitudes (``_check_values``, ``shown`` as there)
        kept for ``run`` (``self.magnitudes``, name -> (smallest nonzero, largest))."""
        arrays = round_operands(arrays, self.fmt, self.mode, self.overflow, self.inputs)
        self.magnitudes = _check_values(arrays, self.fmt, shown)
        return arrays

    def run(self, a3: np.ndarray, bt3: np.ndarray | None, shape: tuple, float32: bool, report: bool = False):
        """The reduction of the terms of a3 (bt3 None) or of a3 x bt3 (see
        ``kernels.accumulate._reduce_rows``), shaped to shape; with ``report``
        (result, CastReport): the counts of every rounding (``numfmt.report``)."""
        n = a3.shape[2]
        seed, sr_bits, sr_rule, random_bits = self._stochastic_args
        stochastic = stochastic_args(self.mode, shape + (kern.ROUNDINGS_PER_TERM * max(n, 1),), seed,
                                     sr_bits, sr_rule, random_bits, name="the reduction's random numbers",
                                     rng=self.rng)
        self.check_sr_bits(stochastic)
        if stochastic is None:
            values = None
            ranges = [self.magnitudes[name] for name in (("x",) if bt3 is None else ("a", "b"))]
            if self.machine is not None:
                values = machine_sum.reduce(self.machine, self.fmt, self.overflow, a3, bt3, ranges, report)
            elif self.machine_fused is not None:
                values = machine_sum.reduce_fused(self.machine_fused, self.fmt, self.overflow, a3, bt3, ranges, report)
            if values is not None and report:
                return self._shaped(values[0], shape, float32), chunks_report([values[1]])
            if values is not None:
                return self._shaped(values, shape, float32)
        seed, rand = (0, None) if stochastic is None else (stochastic[0], stochastic[3])
        rand = kernel_random_bits(rand)
        acc = _rounder(self.acc, self.mode, self.overflow, stochastic, report)
        prod = _NO_ROUNDING if self.product is None else _rounder(self.product, self.mode, self.overflow,
                                                                  stochastic, report)
        promote = _rounder(_format(_PROMOTE_FORMAT), Rounding.NEAREST_EVEN, self.overflow, None, report)
        mark = overflow_mark(True) if self.overflow == "raise" else -1
        size = output_size(a3, bt3)
        out = np.empty(size, np.int64)
        status = np.zeros(size, np.int8)
        rows, reps = zip(acc, prod, promote)
        args = (a3, kernel_products(a3, bt3), self.tx_proto, self.cfg, np.stack(rows), reps, np.uint64(seed),
                np.int64(mark), rand)
        kernels = [(self.kernel, args)]
        sr_bits = None if stochastic is None else stochastic[1]
        if self.route_kernel is not None and takes_float64_route("add", self.acc, sr_bits):
            lean = self.lean_kernel is not None and not report
            sr = None if stochastic is None else tuple(rows[0][-3:])    # None: compiles no stochastic code
            lean_args = (a3, self.cfg, rows[0], sr, *args[-3:])
            route_args = args[:-3] + (None if stochastic is None else args[-3], *args[-2:])   # (seed None)
            kernels.insert(0, (self.lean_kernel, lean_args) if lean else (self.route_kernel, route_args))
        for kernel, kernel_args in kernels:      # the float64 route's kernel first, if it serves
            status[:] = 0
            chunks = run_chunked(kernel, out, status, *kernel_args, pass_start=True,
                                 work_per_item=WORK_PER_TERM * max(n, 1))
            if not (status & kern.LEFT_ROUTE).any():
                break
        values = self._values(out, status, shape, float32)
        if not report:
            return values
        return values, chunks_report(chunks)

    def check_sr_bits(self, stochastic) -> None:
        """ValueError unless the stochastic roundings (``stochastic_args``' result, None for
        deterministic modes) to the accumulator and product formats are exact."""
        rounded = [f for f in (self.acc, self.product) if f is not None and stochastic is not None]
        for fmt in rounded:
            if fmt.man_bits + 1 + stochastic[1] > SR_LIMIT:
                raise ValueError(f"sr_bits={stochastic[1]} is too many for {fmt.name}: stochastic "
                                 f"rounding is exact for precision + sr_bits <= {SR_LIMIT}, so at "
                                 f"most {SR_LIMIT - fmt.man_bits - 1} here")

    def _values(self, out: np.ndarray, status: np.ndarray, shape: tuple, float32: bool):
        """The rounded bits as values shaped to shape; OverflowError where status flags one."""
        overflowed = (status & kern.OVERFLOWED) != 0
        if overflowed.any():
            first = np.unravel_index(int(np.argmax(overflowed)), shape) if shape else ()
            raise OverflowError(f"{int(overflowed.sum())} of {status.size} results overflow during the "
                                f"accumulation (overflow='raise'); first at output index {first}")
        return self._shaped(out.view(np.float64), shape, float32)

    def _shaped(self, values: np.ndarray, shape: tuple, float32: bool):
        """values (float64 or float32, of shape's size) shaped to shape: float32 where no input was float64
        and float32 holds the result format, else float64; a numpy scalar for one result."""
        values = values.reshape(shape)
        values = values.astype(np.float32 if float32 and fits_float32(self.out_fmt) else np.float64, copy=False)
        return values[()] if values.ndim == 0 else values

    # order="exact" in parts (``numfmt.distributed``): exact partial sums, merged by the caller
    def partials(self, a3: np.ndarray, bt3: np.ndarray | None, shape: tuple) -> np.ndarray:
        """The exact sums of the terms of each output element of a3 (x bt3) as int64 rows of
        ``kernels.accumulate.PARTIAL_WIDTH`` (products rounded to ``product``, which takes a
        deterministic mode here), shaped shape + (PARTIAL_WIDTH,). Two parts' rows merge by
        ``merge_partials``."""
        size = math.prod(shape)
        states = np.empty((size, kern.PARTIAL_WIDTH), np.int64)
        status = np.zeros(size, np.int8)
        prod = _NO_ROUNDING if self.product is None else _rounder(self.product, self.mode, self.overflow, None)
        mark = overflow_mark(True) if self.overflow == "raise" else -1
        run_chunked(kern.exact_partials, states, status, a3, kernel_products(a3, bt3), self.tx_proto, *prod,
                    np.int64(mark), pass_start=True, work_per_item=WORK_PER_TERM * max(a3.shape[2], 1))
        self._values(np.zeros(size, np.int64), status, shape, False)
        return states.reshape(shape + (kern.PARTIAL_WIDTH,))

    def round_partials(self, states: np.ndarray, index: np.ndarray, n: int, float32: bool):
        """The merged exact sums ``states`` (shape + (PARTIAL_WIDTH,)) rounded once, as ``run``
        rounds output elements ``index`` (their C-order indices, shaped shape) of a reduction
        of n terms (stochastic rounding draws the same random numbers)."""
        shape = states.shape[:-1]
        seed, sr_bits, sr_rule, random_bits = self._stochastic_args
        stochastic = stochastic_args(self.mode, (), seed, sr_bits, sr_rule, random_bits)
        acc = _rounder(self.acc, self.mode, self.overflow, stochastic)
        mark = overflow_mark(True) if self.overflow == "raise" else -1
        out = np.empty(index.size, np.int64)
        status = np.zeros(index.size, np.int8)
        kern.round_partials(np.ascontiguousarray(states).reshape(-1, kern.PARTIAL_WIDTH), out, status,
                            np.ascontiguousarray(index, np.int64).reshape(-1), np.int64(kern.ROUNDINGS_PER_TERM * max(n, 1)),
                            *acc, np.uint64(0 if stochastic is None else stochastic[0]), np.int64(mark), NO_RANDOM_BITS)
        return self._values(out, status, shape, float32)


def merge_partials(states: np.ndarray, axis, keepdims: bool = False) -> np.ndarray:
    """Rows of ``_Plan.partials`` (shape + (PARTIAL_WIDTH,)) merged exactly over ``axis``
    (an int or a tuple of axes of shape): the limbs added (the rounding normalizes them), the
    flags or-ed, the special sums combined as IEEE addition combines Inf and NaN."""
    limbs, special, flags = states[..., :-2], states[..., -2], states[..., -1]
    has = (flags & kern.HAS_SPECIAL) != 0
    values = np.where(has, special, 0).view(np.float64)
    nan = (has & np.isnan(values)).any(axis, keepdims=keepdims)
    pos = (values == np.inf).any(axis, keepdims=keepdims)
    neg = (values == -np.inf).any(axis, keepdims=keepdims)
    pos_inf, neg_inf = np.array([np.inf, -np.inf]).view(np.int64)
    single = has.sum(axis, keepdims=keepdims) == 1      # then that part's special sum, as it is
    merged_special = np.where(single, np.where(has, special, 0).sum(axis, keepdims=keepdims),
                              np.where(nan | (pos & neg), kern.NAN_BITS, np.where(neg, neg_inf, pos_inf)))
    return np.concatenate([limbs.sum(axis, keepdims=keepdims),
                           merged_special[..., None].astype(np.int64),
                           np.bitwise_or.reduce(flags, axis, keepdims=keepdims)[..., None]], axis=-1)


_DOC_ARGS = """
    Inputs must be values of ``fmt`` (ValueError saying how many are not, and the first);
    ``fmt`` defaults to the accumulator format and the accumulator to ``fmt``.

    Orders (every operation rounded once to ``accumulator`` with ``rounding``):

    - ``"sequential"``: s = round(t0), then s = round(s + t_i) for i = 1, 2, ... (a plain loop
      of ``numfmt.add`` when the terms are accumulator values); +0 for no terms.
    - ``"pairwise"``: numpy's pairwise summation tree (``pairwise_sum`` in numpy's
      loops_utils.h.src: below 8 terms a loop from -0.0; up to 128 terms 8 interleaved partial
      sums, combined pairwise level by level, then the rest in sequence; above, the halves split
      at n//2 rounded down to a multiple of 8), added to +0 (the
      identity np.add.reduce starts from). With accumulator="binary32" this is bit for bit
      ``np.sum`` of a contiguous float32 1-D array (numpy 2; along other axes numpy adds in
      another order).
    - ``"blocked"`` with ``block=B``: sequential sums of consecutive blocks of B terms, then the
      sequential sum of the block sums.
    - ``"kahan"``: Kahan's compensated sum with the compensation c kept in the accumulator
      format: y = t - c, u = s + y, c = (u - s) - y, s = u (four roundings per term).
    - ``"exact"``: one rounding of the exact sum (a long fixed-point accumulator over float64's
      range, 2**-1074 to 2**1024).
    - ``accumulator="quire"`` (``fmt`` a posit format): the posit standard's quire, exact,
      rounded once (``numfmt.quire``); order, product and the hardware models do not apply;
      stochastic rounding takes one random number per output element (``random_bits``
      broadcastable to the result's shape).
    - ``"fused"`` with ``fused_terms=k`` and ``alignment_bits=b``: a fused multi-term adder as in
      tensor cores (Fasi, Higham, Mikaitis, Pranesh, "Numerical behavior of NVIDIA tensor
      cores", PeerJ CS 2021; Khattak & Mikaitis, "Accurate models of NVIDIA tensor cores",
      arXiv 2512.07004). The first step adds the first k terms, each later step the running
      sum s and the next k terms: with emax the exponent of the leading bit of the largest
      addend, every addend is truncated toward zero to a multiple of 2**(emax - b) (b bits
      kept after the largest addend's leading bit, 0 <= b <= 61 - k.bit_length()), the
      truncated addends are summed exactly and the sum rounded once to the accumulator.
      H100 FP8 inner products keep about 14 bits (DeepSeek-V3 report, section 3.3.2): b = 13;
      their normalization truncates: rounding="toward_zero".
    - ``promote_every=N`` (any order): the terms are reduced in consecutive chunks of N from
      scratch, and the chunks' results added in sequence into a binary32 accumulator with
      round-to-nearest-even, as DeepGEMM promotes FP8 tensor-core partial sums to CUDA-core FP32
      registers every 128 products (DeepSeek-V3 report, section 3.3.2; DeepGEMM also applies
      its block scales there, which numfmt leaves to the caller). The result is binary32.

    Integer accumulators (``accumulator="int16"``, "int12", "int32", any integer format; fmt
    defaults to it; ``numfmt.intacc``): the inputs are values of the integer format ``fmt``
    (float or integer arrays, at most 32 bits), the products exact, and every addition into the
    accumulator wraps (``overflow="wrap"``: two's complement, what hardware does) or saturates
    (``"saturate"``, and ``"ieee"`` as ``numfmt.round`` treats integer formats; ``"raise"``:
    OverflowError if an addition leaves the range), in the order ``"sequential"`` (from 0),
    ``"blocked"`` or ``"exact"`` (one wrap or clamp of the exact sum). Wrapping gives the same
    result in every order; saturation does not. The result is int64 integers; rounding,
    product and the stochastic arguments do not apply.

    Products wider than 62 significant bits (inputs of more than 31, e.g. binary64's 106-bit
    products) are exact in the orders sequential, pairwise, blocked and kahan; "exact" and
    "fused" refuse them (ValueError) unless ``product=`` rounds them first, and "exact" also
    refuses products beyond its range. binary64 as the accumulator takes every order.

    Special values follow IEEE 754 addition: NaN if a term is NaN or +Inf meets -Inf, else the
    Inf, mapped into the accumulator as ``numfmt.round`` maps Inf (e.g. NaN for e4m3, max under
    overflow="saturate"); a NaN result is the positive quiet NaN (an overflow's too). An exact
    zero takes the sign IEEE 754 addition gives in each rounding the order performs: a
    cancellation or zeros of both signs give +0 (-0 rounding toward negative), zeros of one
    sign keep it (-0 terms sum to -0 in every order but "pairwise", whose tree is added to +0
    as numpy's).

    rounding: every mode of ``numfmt.round``. Under ``"stochastic"`` each rounding draws its own
    random number: rounding j (0, 1, ... in the order the reduction performs them, product
    roundings first) of output element o (C order) uses SplitMix64 number o * 8 * n + j of
    ``seed`` (``numfmt.random``), n the number of terms; ``sr_bits`` and ``sr_rule`` as in
    ``numfmt.round`` (exact while precision + sr_bits <= 60: ValueError beyond). The promotion
    adds are always round-to-nearest-even.
    random_bits: explicit random integers in [0, 2**sr_bits) instead of the seeded ones,
    broadcastable to the result's shape + (8 * n,): rounding j of output element o uses
    ``random_bits[o][j]``, so ``numfmt.random.random_bits(seed, shape + (8 * n,), sr_bits)``
    reproduces ``seed=seed``.
    rng: the seeded generator, ``"splitmix64"`` (default) or ``"squares"`` (``numfmt.round``);
    with "squares" the 8 * n numbers per output element are generated before the reduction
    (memory: 64 bytes per term and output element).
    inputs: ``"exact"`` (default): inputs must be values of ``fmt``, else ValueError;
    ``"round"``: round them to ``fmt`` first, as ``numfmt.add`` does (in ``rounding``, under
    stochastic rounding to nearest even, with ``overflow``).
    overflow: ``ieee``, ``saturate`` (applied at every rounding) or ``raise`` (OverflowError if
    any rounding overflows).
    report: also return a ``numfmt.CastReport``: ``(result, report)``, IEEE 754's flags of every
    rounding the reduction performs (``numfmt.report``): ``n`` roundings (those stochastic
    rounding numbers: a sequential sum of n terms has n, "exact" one per output, a product
    rounding one per product), each counted as a cast of its exact result (for "fused": the
    sum of the step's truncated addends; for "exact" and "fused" a NaN from Inf - Inf among
    the terms counts as nan_in); integer accumulators: every fit, ``overflow`` the additions
    whose exact value left the accumulator, ``saturated`` the clamped ones. Counted in the
    kernels (a compiled variant of its own: ``report=False`` runs the plain kernel, unchanged)
    and independent of the thread count; ``report.first`` names the first output element.
    Inside ``numfmt.flags()`` every call counts. Not for ``accumulator="quire"`` or dask
    arrays (NotImplementedError; ``numfmt.flags()`` does not count them).

    Returns float32 when no input is float64 and float32 holds the result format, else float64;
    a numpy scalar for a single result.

    Dask arrays (``sum`` and ``dot``) give a lazy dask array: ``order="exact"`` sums each
    chunk exactly, merges the chunks' sums exactly and rounds once (bit for bit the NumPy
    result); ``"pairwise"`` reduces each chunk, then the chunk results, by numpy's pairwise
    tree; ``"blocked"`` gives each chunk's block sums and adds them all in sequence (bit for
    bit); the other orders take the reduced axes in one chunk. See ``numfmt.distributed``."""


def sum(x, fmt=None, axis=None, *, accumulator=None, order: str = "sequential",  # noqa: A001
        block: int | None = None, fused_terms: int | None = None, alignment_bits: int | None = None,
        promote_every: int | None = None, rounding: str = "nearest_even", overflow: str = "ieee",
        seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
        inputs: str = "exact", keepdims: bool = False, rng: str = "splitmix64", report: bool = False):
    """Sum of x's elements over ``axis`` (None: all; an int or a tuple) with an emulated
    accumulator; the terms are taken in C order of the reduced axes.
    {args}

    Example:
        >>> import numfmt as nf, numpy as np
        >>> float(nf.sum(np.ones(1000), "bfloat16"))                # stagnates at 256
        256.0
        >>> float(nf.sum(np.ones(1000), "bfloat16", order="pairwise"))
        1000.0
        >>> [float(nf.sum([1.0, 2**-8, 2**-8], "bfloat16", order=o)) for o in ("sequential", "exact")]
        [1.0, 1.0078125]
        >>> nf.sum(np.ones((2, 3), np.float32), "e4m3", axis=1, accumulator="binary32").tolist()
        [3.0, 3.0]
        >>> [int(nf.sum([100, 100, -100], "int8", overflow=o)) for o in ("wrap", "saturate")]
        [100, 27]
    """
    if array_libraries.is_dask(x):
        array_libraries.no_dask_report(report, "sum")
        return array_libraries.dask().sum(x, fmt, axis, accumulator=accumulator, order=order, block=block,
                                  fused_terms=fused_terms, alignment_bits=alignment_bits, promote_every=promote_every,
                                  rounding=rounding, overflow=overflow, seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                                  random_bits=random_bits, inputs=inputs, keepdims=keepdims, rng=rng)
    arr = as_float_array(x)
    if isinstance(accumulator, str) and accumulator == "quire":
        _no_report(report, "accumulator='quire'")
        posit = _quire_call(fmt, None, order, dict(block=block, fused_terms=fused_terms,
                                                     alignment_bits=alignment_bits, promote_every=promote_every))
        arr = round_operands({"x": arr}, posit, rounding_mode(rounding), "ieee", inputs)["x"]
        total = quire_sum(arr, posit, axis, rounding, seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                          random_bits=random_bits, rng=rng)
        if keepdims:
            axes = reduced_axes(axis, arr.ndim)
            total = total.reshape([1 if d in axes else arr.shape[d] for d in range(arr.ndim)])
        return total
    plan = make_plan(fmt, accumulator, None, order, block, fused_terms, alignment_bits, promote_every,
                 rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, products=False, rng=rng)
    float32 = arr.dtype != np.float64
    axes = reduced_axes(axis, arr.ndim)
    kept = [d for d in range(arr.ndim) if d not in axes]
    out_shape = tuple(arr.shape[d] for d in kept)
    reshape = [1 if d in axes else arr.shape[d] for d in range(arr.ndim)] if keepdims else None
    return run_reported("sum", plan, sum_terms(arr, axes, plan), None, out_shape, float32, report, reshape)


def sum_terms(arr: np.ndarray, axes: tuple, plan: _Plan) -> np.ndarray:
    """The terms of the sum of arr over axes as the kernels' (outputs, 1, terms) array, checked
    (or rounded) by ``plan.operands``; outputs in C order of the kept axes."""
    kept = [d for d in range(arr.ndim) if d not in axes]
    n = math.prod(arr.shape[d] for d in axes)
    # the terms of each output contiguous, in their own dtype: a view where arr already is so
    moved = np.ascontiguousarray(np.transpose(arr, kept + list(axes)))
    with _report.suspended():       # the check's (or inputs="round"'s) casts are no rounding of the reduction
        moved = plan.operands({"x": moved}, shown={"x": arr})["x"]
    return writable(moved.reshape(math.prod(arr.shape[d] for d in kept), 1, n))


def run_reported(call: str, plan, a3: np.ndarray, bt3: np.ndarray | None, shape: tuple, float32: bool,
                 report: bool, reshape=None):
    """``plan.run``, counted where ``report`` asks or a ``numfmt.flags`` context is in force (the
    report recorded there, naming ``call`` and the first output element); the result reshaped
    to ``reshape`` if given; (result, CastReport) for ``report``."""
    counted = report or _report.active()
    result, rep = plan.run(a3, bt3, shape, float32, report=True) if counted else (
        plan.run(a3, bt3, shape, float32), None)
    if reshape is not None:
        result = np.asarray(result).reshape(reshape)
    if not counted:
        return result
    _report.record(f"numfmt.{call}(accumulator={plan.acc.name})", rep, result)
    return (result, rep) if report else result


def _no_report(report: bool, why: str) -> None:
    if report:
        raise NotImplementedError(f"report=True is not implemented for {why}")


def reduced_axes(axis, ndim: int) -> tuple:
    """The reduced axes: all for None, else an int or a tuple of distinct ints (negative
    counting from the end)."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    axes = []
    for item in items:
        if not isinstance(item, (int, np.integer)) or isinstance(item, bool) or not -ndim <= item < ndim:
            raise ValueError(f"axis must be None, an int or a tuple of ints in [{-ndim}, {ndim}); got {axis!r}")
        axes.append(int(item) % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis repeats an axis: {axis!r}")
    return tuple(sorted(axes))


def dot_operands(a, b, plan):
    arrays = {}
    for value, name in ((a, "a"), (b, "b")):
        arr = as_float_array(value, name)
        if arr.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension; got a scalar")
        arrays[name] = arr
    float32 = all(arr.dtype != np.float64 for arr in arrays.values())
    with _report.suspended():
        arrays = plan.operands(arrays)
    return arrays["a"], arrays["b"], float32


def _quire_operands(a, b, posit, rounding, inputs: str):
    """a and b as float arrays for the quire, rounded to the posit format for inputs="round"."""
    arrays = {"a": as_float_array(a, "a"), "b": as_float_array(b, "b")}
    arrays = round_operands(arrays, posit, rounding_mode(rounding), "ieee", inputs)
    return arrays["a"], arrays["b"]


def stack_rows(arr: np.ndarray, batch: tuple, rows: int, n: int, dtype) -> np.ndarray:
    """arr (..., rows, n) broadcast to batch + (rows, n), as a C-contiguous (G, rows, n)
    array of dtype; G = 1 when arr has no batch of its own (the kernel broadcasts it)."""
    if math.prod(arr.shape[:-2]) == 1:
        return writable(np.ascontiguousarray(arr, dtype).reshape(1, rows, n))
    stacked = np.ascontiguousarray(np.broadcast_to(arr, batch + (rows, n)), dtype)
    return writable(stacked.reshape(math.prod(batch), rows, n))


def dot_shape(a_shape: tuple, b_shape: tuple) -> tuple[int, tuple]:
    """(n, batch) of ``dot``: the common length n of the last axes and the broadcast shape of
    the others; ValueError naming both shapes otherwise.

    >>> dot_shape((2, 3), (3,))
    (3, (2,))
    """
    if a_shape[-1] != b_shape[-1]:
        raise ValueError(f"dot: the last axes of a and b differ in length: shapes {a_shape} and {b_shape}")
    try:
        return a_shape[-1], np.broadcast_shapes(a_shape[:-1], b_shape[:-1])
    except ValueError:
        raise ValueError(f"dot: a and b do not broadcast: shapes {a_shape} and {b_shape}") from None


def matmul_shape(a_shape: tuple, b_shape: tuple) -> tuple[int, int, int, tuple, tuple]:
    """(m, n, p, batch, shape) of ``matmul`` by numpy.matmul's rules (a 1-D a is one row, a 1-D
    b one column, and their axes are left out of the result's shape); ValueError naming both
    shapes otherwise.

    >>> matmul_shape((4, 2, 3), (3,))
    (2, 3, 1, (4,), (4, 2))
    """
    a2 = (1,) + a_shape if len(a_shape) == 1 else a_shape
    b2 = b_shape + (1,) if len(b_shape) == 1 else b_shape
    (m, n), p = a2[-2:], b2[-1]
    if b2[-2] != n:
        raise ValueError(f"matmul: a has {n} columns but b has {b2[-2]} rows: shapes {a_shape} and {b_shape}")
    try:
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    except ValueError:
        raise ValueError(f"matmul: the stacks of a and b do not broadcast: shapes {a_shape} and {b_shape}") from None
    return m, n, p, batch, batch + ((m,) if len(a_shape) > 1 else ()) + ((p,) if len(b_shape) > 1 else ())


def dot(a, b, fmt=None, *, product=None, accumulator=None, order: str = "sequential",
        block: int | None = None, fused_terms: int | None = None, alignment_bits: int | None = None,
        promote_every: int | None = None, rounding: str = "nearest_even", overflow: str = "ieee",
        seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
        inputs: str = "exact", rng: str = "splitmix64", report: bool = False):
    """Inner products over the last axis of a and b, broadcast against each other (numpy.vecdot;
    for 1-D inputs numpy.dot): the terms are the products a[..., k] * b[..., k], exact, or
    each rounded once to ``product`` when given.
    {args}

    Example:
        >>> import numfmt as nf
        >>> float(nf.dot([448.0, 448.0, -448.0], [448.0, 1.0, 448.0], "e4m3", accumulator="binary32"))
        448.0
        >>> [float(nf.dot([1.125, 1.125], [1.125, 1.125], "e4m3", product=p, accumulator="binary32"))
        ...  for p in (None, "e4m3")]
        [2.53125, 2.5]
    """
    if array_libraries.is_dask(a, b):
        array_libraries.no_dask_report(report, "dot")
        return array_libraries.dask().dot(a, b, fmt, product=product, accumulator=accumulator, order=order, block=block,
                                  fused_terms=fused_terms, alignment_bits=alignment_bits, promote_every=promote_every,
                                  rounding=rounding, overflow=overflow, seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                                  random_bits=random_bits, inputs=inputs, rng=rng)
    if isinstance(accumulator, str) and accumulator == "quire":
        _no_report(report, "accumulator='quire'")
        posit = _quire_call(fmt, product, order, dict(block=block, fused_terms=fused_terms,
                                                        alignment_bits=alignment_bits, promote_every=promote_every))
        a, b = _quire_operands(a, b, posit, rounding, inputs)
        return quire_dot(a, b, posit, rounding, seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                         random_bits=random_bits, rng=rng)
    plan = make_plan(fmt, accumulator, product, order, block, fused_terms, alignment_bits, promote_every,
                 rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, products=True, rng=rng)
    a, b, float32 = dot_operands(a, b, plan)
    n, batch = dot_shape(a.shape, b.shape)
    dtype = plan.terms_dtype(float32)
    a3 = stack_rows(a[..., None, :], batch, 1, n, dtype)
    b3 = stack_rows(b[..., None, :], batch, 1, n, dtype)
    return run_reported("dot", plan, a3, b3, batch, float32, report)


def matmul(a, b, fmt=None, *, product=None, accumulator=None, order: str = "sequential",
           block: int | None = None, fused_terms: int | None = None, alignment_bits: int | None = None,
           promote_every: int | None = None, rounding: str = "nearest_even", overflow: str = "ieee",
           seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
           inputs: str = "exact", rng: str = "splitmix64", report: bool = False):
    """Matrix product with numpy.matmul's shapes (1-D operands promoted and their axis removed,
    stacks of matrices broadcast); element (i, j) reduces the products a[..., i, k] * b[..., k, j]
    over k, exact, or each rounded once to ``product`` when given.
    {args}

    Example:
        >>> import numfmt as nf, numpy as np
        >>> a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 448.0]])
        >>> nf.matmul(a, a.T, "e4m3", accumulator="bfloat16").tolist()
        [[14.0, 1344.0], [1344.0, 200704.0]]
    """
    if array_libraries.is_dask(a, b):
        array_libraries.no_dask_report(report, "matmul")
        return array_libraries.dask().matmul(a, b, fmt, product=product, accumulator=accumulator, order=order,
                                             block=block, fused_terms=fused_terms, alignment_bits=alignment_bits,
                                             promote_every=promote_every, rounding=rounding, overflow=overflow,
                                             seed=seed, sr_bits=sr_bits, sr_rule=sr_rule, random_bits=random_bits,
                                             inputs=inputs, rng=rng)
    quire = isinstance(accumulator, str) and accumulator == "quire"
    if quire:
        _no_report(report, "accumulator='quire'")
        posit = _quire_call(fmt, product, order, dict(block=block, fused_terms=fused_terms,
                                                        alignment_bits=alignment_bits, promote_every=promote_every))
        a, b = _quire_operands(a, b, posit, rounding, inputs)
    else:
        plan = make_plan(fmt, accumulator, product, order, block, fused_terms, alignment_bits, promote_every,
                     rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, products=True, rng=rng)
        a, b, float32 = dot_operands(a, b, plan)
    m, n, p, batch, shape = matmul_shape(a.shape, b.shape)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if quire:     # element (i, j): the quire dot product of row i of a and column j of b
        values = quire_dot(a2[..., :, None, :], np.swapaxes(b2, -1, -2)[..., None, :, :], posit, rounding,
                           seed=seed, sr_bits=sr_bits, sr_rule=sr_rule, random_bits=random_bits, rng=rng)
        values = np.reshape(values, shape)
        return values[()] if values.ndim == 0 else values
    dtype = plan.terms_dtype(float32)
    a3 = stack_rows(a2, batch, m, n, dtype)
    bt3 = np.swapaxes(stack_rows(b2, batch, n, p, dtype), 1, 2)     # (a view: kernel_products copies)
    return run_reported("matmul", plan, a3, bt3, shape, float32, report)


for _f in (sum, dot, matmul):
    _f.__doc__ = _f.__doc__.replace("{args}", _DOC_ARGS)
