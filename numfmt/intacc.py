"""Low-bit integer accumulators: ``numfmt.sum / dot / matmul`` with ``accumulator="int16"`` (any
integer format), and ``accumulator_bits``, the accumulator width a layer needs.

Integer inputs (values of an integer format, given as float or integer arrays) are multiplied
exactly; every addition into the P-bit accumulator either wraps (two's complement, what
hardware does) or saturates, as in "A2Q: Accumulator-Aware Quantization with Guaranteed
Overflow Avoidance" (Colbert et al., ICCV 2023) and "Towards Cheaper Inference in Deep Networks
with Lower Bit-Width Accumulators" (Blumenfeld et al., ICLR 2024). The arithmetic is int64 and
exact: inputs of at most 32 bits, products and sums checked to stay below 2**63.
"""
from __future__ import annotations

import numpy as np

from .casts.common import as_float_array, kernel_products, output_size
from .formats.integer import FixedFormat
from .formats.registry import format as _format
from .kernels import intacc as kern
from .ops import round_operands
from .parallel import run_chunked
from .report import CastReport
from .rounding import Rounding, rounding_mode

__all__ = ["accumulator_bits"]

INTEGER_ORDERS = tuple(kern.ORDER_CODES)
INTEGER_OVERFLOWS = ("wrap", "saturate", "ieee", "raise")
WORK_PER_TERM = 2               # ``numfmt.parallel`` units per term of an integer reduction
_INT64_LIMIT = 1 << 63
_PREFIX_CHUNK = 1 << 22         # products held at a time by accumulator_bits(x=...)


def is_integer_format(value) -> bool:
    """Whether value names an integer format (a FixedFormat without fraction bits)."""
    fmt = _format(value)
    return fmt.family == "fixed" and fmt.frac_bits == 0


def _integer_format(value, argument: str) -> FixedFormat:
    fmt = _format(value)
    if fmt.family != "fixed" or fmt.frac_bits != 0:
        raise ValueError(f"{argument} must be an integer format (int8, uint8, int4, ...) with an integer "
                         f"accumulator; got {fmt.name}, a {fmt.family} format"
                         + (" with fraction bits" if fmt.family == "fixed" else ""))
    return fmt


def _magnitude(fmt: FixedFormat) -> int:
    return max(-fmt.min_int, fmt.max_int)


def _not_values(x: np.ndarray, fmt: FixedFormat) -> np.ndarray:
    """Where the float array x holds no integer of fmt's range."""
    with np.errstate(invalid="ignore"):
        return ~(np.isfinite(x) & (x == np.round(x)) & (x >= fmt.min_int) & (x <= fmt.max_int))


def as_integers(arr, fmt: FixedFormat, argument: str, shown=None) -> np.ndarray:
    """arr (float or integer array) as int64, after checking that every element is an integer
    in fmt's range; else ValueError saying how many are not, and the first (of ``shown``, the
    array as the caller gave it, where arr is its transpose)."""
    x = as_float_array(arr, argument)
    bad = _not_values(x, fmt)
    if bad.any():
        if shown is not None:
            x = as_float_array(shown, argument)
            bad = _not_values(x, fmt)
        first = np.unravel_index(int(np.argmax(bad)), x.shape) if x.ndim else ()
        raise ValueError(f"{int(bad.sum())} of {x.size} elements of {argument} are not values of {fmt.name} "
                         f"(integers from {fmt.min_int} to {fmt.max_int}); first: {float(x[first])!r} at index "
                         f"{tuple(int(i) for i in first)}; round them first with numfmt.round({argument}, "
                         f"{fmt.name!r}) or pass inputs='round'")
    return x.astype(np.int64)


class IntegerPlan:
    """The checked arguments of a sum / dot / matmul with an integer accumulator (the same
    interface as ``numfmt.accumulate._Plan``: ``terms_dtype``, ``operands``, ``run``)."""

    @staticmethod
    def terms_dtype(float32: bool):
        """The kernel's operand dtype: int64 whatever the inputs."""
        return np.int64

    def __init__(self, fmt, accumulator, product, order, block, fused_terms, alignment_bits,
                 promote_every, rounding, overflow, sr_bits, random_bits, inputs, products: bool):
        self.acc = _integer_format(accumulator, "accumulator")
        self.fmt = self.acc if fmt is None else _integer_format(fmt, "fmt")
        others = {"product": product, "fused_terms": fused_terms, "alignment_bits": alignment_bits,
                  "promote_every": promote_every, "sr_bits": sr_bits, "random_bits": random_bits}
        given = [name for name, value in others.items() if value is not None]
        if given or rounding_mode(rounding) != Rounding.NEAREST_EVEN:
            raise ValueError(f"an integer accumulator ({self.acc.name}) adds exact integer products: "
                             f"{', '.join(given) or 'rounding'} does not apply (got "
                             f"{', '.join(f'{n}={others[n]!r}' for n in given) or f'rounding={rounding!r}'})")
        if order not in kern.ORDER_CODES:
            raise ValueError(f"order must be one of {INTEGER_ORDERS} with an integer accumulator (pairwise, "
                             f"kahan and fused are offered for float accumulators only); got {order!r}")
        if (block is not None) != (order == "blocked"):
            raise ValueError("block=B (a positive block length) goes with order='blocked' and only "
                             f"with it; got order={order!r}, block={block!r}")
        if block is not None and not (isinstance(block, (int, np.integer)) and not isinstance(block, bool)
                                      and block >= 1):
            raise ValueError(f"block must be an integer >= 1; got {block!r}")
        if overflow not in INTEGER_OVERFLOWS:
            raise ValueError(f"overflow must be one of {INTEGER_OVERFLOWS} with an integer accumulator "
                             f"('ieee' saturates, as numfmt.round does for integer formats); got {overflow!r}")
        term = _magnitude(self.fmt) ** 2 if products else _magnitude(self.fmt)
        if term + _magnitude(self.acc) >= _INT64_LIMIT:
            raise ValueError(f"products of {self.fmt.name} values do not fit the exact int64 arithmetic of "
                             f"integer accumulation; dot and matmul take integer inputs of at most 31 bits "
                             f"unsigned or 32 bits signed")
        self.order, self.block = np.int64(kern.ORDER_CODES[order]), np.int64(block or 1)
        self.overflow, self.inputs = overflow, inputs

    def operands(self, arrays: dict, shown: dict | None = None) -> dict:
        """The input arrays (name -> array) as int64, rounded to fmt first for inputs="round"
        (to nearest even, saturating), checked to hold values of fmt (``shown`` as in
        ``numfmt.accumulate._check_values``)."""
        arrays = round_operands({n: as_float_array(a, n) for n, a in arrays.items()}, self.fmt,
                                Rounding.NEAREST_EVEN, "saturate", self.inputs)
        return {name: as_integers(arr, self.fmt, name, (shown or {}).get(name)) for name, arr in arrays.items()}

    def run(self, a3: np.ndarray, bt3: np.ndarray | None, shape: tuple, float32: bool = False,
            report: bool = False):
        """The accumulations of the terms of a3 (bt3 None) or of a3 x bt3 (int64 arrays; see
        ``kernels.intacc.reduce_integer``) as int64 integers shaped to shape; with ``report``
        (result, CastReport) (``additions_report``)."""
        n = a3.shape[2]
        size = output_size(a3, bt3)
        out = np.empty(size, np.int64)
        status = np.zeros((size, 2), np.int64)
        run_chunked(kern.reduce_integer, out, status, a3, kernel_products(a3, bt3), self.order, self.block,
                    np.int64(self.acc.min_int), np.int64(self.acc.max_int), self.overflow == "wrap",
                    pass_start=True, work_per_item=WORK_PER_TERM * max(n, 1))
        overflows = status[:, 0]
        if self.overflow == "raise" and overflows.any():
            first = np.unravel_index(int(np.argmax(overflows > 0)), shape) if shape else ()
            raise OverflowError(f"{int(np.count_nonzero(overflows))} of {size} results overflow the "
                                f"{self.acc.name} accumulator (an addition leaves [{self.acc.min_int}, "
                                f"{self.acc.max_int}]; overflow='raise'); first at output index "
                                f"{tuple(int(i) for i in first)}")
        values = out.reshape(shape)
        values = values[()] if values.ndim == 0 else values
        return (values, self.additions_report(status, n)) if report else values

    def additions_report(self, status: np.ndarray, n: int) -> CastReport:
        """The report of the fits (``kernels.intacc``: each addition of sequential and blocked,
        the one fit of exact) of the outputs whose status rows (overflows, of them zeros) are
        ``status``: n the number of fits, overflow (= inexact) those that left the range,
        saturated those clamped (not wrapped), flushed_to_zero those that gave 0."""
        fits = {kern.SEQUENTIAL: n, kern.BLOCKED: n + -(-n // int(self.block)), kern.EXACT: 1}[int(self.order)]
        overflows, zeros = status[:, 0], status[:, 1]
        counts = {"inexact": overflows, "overflow": overflows, "flushed_to_zero": zeros,
                  "saturated": overflows if self.overflow != "wrap" else np.zeros_like(overflows)}
        first = {name: int(np.argmax(c > 0)) for name, c in counts.items() if c.any()}
        return CastReport(n=fits * status.shape[0], **{name: int(c.sum()) for name, c in counts.items()},
                          unit="roundings", first=first)


def _width(high: int, low: int) -> int:
    """The smallest P with -2**(P-1) <= low and high <= 2**(P-1) - 1 (P >= 1)."""
    return 1 + max(high, -low - 1, 0).bit_length()


def accumulator_bits(w, input_fmt=None, axis: int = -1, *, bound: str = "exact", x=None) -> np.ndarray:
    """Per output channel, the smallest signed accumulator width P (bits) for the integer
    weights ``w``, reduced along ``axis`` (default -1: ``w`` of shape (out_channels,
    in_features), as for ``numfmt.matmul(x, w.T)``).

    - ``bound="exact"`` (default): the smallest P that no input of ``input_fmt`` (an integer
      format with range [m, M]) can overflow: with W+ and W- the sums of the positive and of
      the negative weights of a channel, every sum lies in [W+ m + W- M, W+ M + W- m] and
      P is the smallest width with 2**(P-1) - 1 >= W+ M + W- m and -2**(P-1) <= W+ m + W- M.
      The partial sums of any order lie in the same range, so no addition of any order
      overflows an accumulator of P bits.
    - ``bound="a2q"``: A2Q's closed form (Colbert et al., ICCV 2023, for N-bit inputs):
      P = ceil(log2(||w||_1 * 2**(N - s) + 1) + 1), s = 1 for signed inputs, else 0; it
      bounds |x| by 2**(N - s), so it is never smaller than the exact width.
    - ``x`` given (an array whose last axis runs along the reduction; any leading batch axes):
      the width these inputs actually need: the smallest P for which the sequential
      accumulation (``order="sequential"``) of every input vector of x with the channel's
      weights has no addition that overflows; the maximum over x's vectors.

    Widths use exact integers (Python ints where int64 could overflow). ``w`` must hold
    integers (float or integer arrays); an all-zero channel needs P = 1. Returns int64 widths
    shaped like w without ``axis`` (a numpy scalar for a 1-d w).

    Example:
        >>> import numfmt as nf, numpy as np
        >>> w = np.array([[127, -128, 127], [64, 64, 0]])
        >>> nf.accumulator_bits(w, "int8").tolist(), nf.accumulator_bits(w, "int8", bound="a2q").tolist()
        ([17, 15], [17, 16])
        >>> int(nf.accumulator_bits([3, 3], x=[[100, 100], [-100, 20]]))
        11
    """
    warr = as_float_array(w, "w")
    if warr.ndim == 0:
        raise ValueError("w must have at least one dimension (the reduction axis); got a scalar")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -warr.ndim <= axis < warr.ndim:
        raise ValueError(f"axis must be an int in [{-warr.ndim}, {warr.ndim}); got {axis!r}")
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(warr) & (warr == np.round(warr)) & (np.abs(warr) < 2.0 ** 62))
    if bad.any():
        raise ValueError(f"w must hold integers (the quantized weights); {int(bad.sum())} of {warr.size} "
                         f"elements are not, first: {float(warr[np.unravel_index(int(np.argmax(bad)), warr.shape)])!r}")
    wint = np.moveaxis(warr, axis, -1).astype(np.int64)
    if bound not in ("exact", "a2q"):
        raise ValueError(f"bound must be 'exact' or 'a2q'; got {bound!r}")
    if x is not None:
        if bound != "exact":
            raise ValueError("bound='a2q' bounds every input of input_fmt; with x= the width is the one x needs")
        widths = _bits_for_inputs(wint, x, input_fmt)
    else:
        if input_fmt is None:
            raise ValueError("give input_fmt (the integer format of the inputs) or the inputs x")
        fmt = _integer_format(input_fmt, "input_fmt")
        dtype = _exact_dtype(int(np.abs(wint).max(initial=0)) * wint.shape[-1])
        pos = np.asarray(np.where(wint > 0, wint, 0).astype(dtype).sum(axis=-1)).astype(object)   # W+
        neg = np.asarray(np.where(wint < 0, wint, 0).astype(dtype).sum(axis=-1)).astype(object)   # W-
        if bound == "exact":
            high = pos * fmt.max_int + neg * fmt.min_int
            low = pos * fmt.min_int + neg * fmt.max_int
            widths = np.vectorize(_width, otypes=[np.int64])(high, low)
        else:
            scale = 1 << (fmt.bits - (1 if fmt.signed else 0))
            widths = np.vectorize(lambda l1: 1 + (int(l1) * scale).bit_length(), otypes=[np.int64])(pos - neg)
    widths = np.asarray(widths, np.int64)
    return widths[()] if widths.ndim == 0 else widths


def _bits_for_inputs(wint: np.ndarray, x, input_fmt) -> np.ndarray:
    """The widths the inputs x need (see ``accumulator_bits``), from the extreme prefix sums."""
    xarr = as_float_array(x, "x")
    if input_fmt is not None:
        xint = as_integers(xarr, _integer_format(input_fmt, "input_fmt"), "x")
    else:
        with np.errstate(invalid="ignore"):
            if not np.all(np.isfinite(xarr) & (xarr == np.round(xarr)) & (np.abs(xarr) < 2.0 ** 62)):
                raise ValueError("x must hold integers (the quantized inputs)")
        xint = xarr.astype(np.int64)
    if xint.ndim == 0 or xint.shape[-1] != wint.shape[-1]:
        raise ValueError(f"x's last axis must have the length of w's reduction axis ({wint.shape[-1]}); "
                         f"got x of shape {xint.shape}")
    n = wint.shape[-1]
    xs = xint.reshape(-1, n)
    ws = wint.reshape(-1, n)
    dtype = _exact_dtype(int(np.abs(ws).max(initial=0)) * int(np.abs(xs).max(initial=0)) * n)
    high = np.zeros(ws.shape[0], dtype)
    low = np.zeros(ws.shape[0], dtype)
    rows = max(1, _PREFIX_CHUNK // max(ws.size, 1))       # input vectors per step (bounded memory)
    for r0 in range(0, xs.shape[0], rows):
        prefix = np.cumsum(xs[r0:r0 + rows].astype(dtype)[:, None, :] * ws.astype(dtype)[None, :, :], axis=-1)
        high = np.maximum(high, prefix.max(axis=(0, 2), initial=0))
        low = np.minimum(low, prefix.min(axis=(0, 2), initial=0))
    widths = np.array([_width(int(h), int(lo)) for h, lo in zip(high, low)], np.int64)
    return widths.reshape(wint.shape[:-1])


def _exact_dtype(bound: int):
    """int64 where every value (in magnitude at most bound) fits, else Python ints (object)."""
    return np.int64 if bound < _INT64_LIMIT else object
