"""Integer-only requantization: a real scale s approximated by a dyadic number b / 2**c.

Integer-only inference (HAWQ-V3, TFLite, gemmlowp) multiplies an int32 accumulator z by an
integer b and shifts right by c. This module does that exactly, in integers:

- ``approximate(s, bits=31)`` -> (b, c): the closest b / 2**c with b of ``bits`` bits.
- ``requantize(z, b, c, zero_point, out, rounding)``: clamp(round(z * b / 2**c) + zero_point).
- ``saturating_rounding_doubling_high_mul`` and ``rounding_divide_by_pot``: gemmlowp's
  primitives, and ``rounding="gemmlowp"``: TFLite's default MultiplyByQuantizedMultiplier,
  two roundings bit for bit.
- ``linear`` / ``IntegerLinear``: an int8 linear layer with int32 accumulation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .casts.common import kernel_input
from .formats.integer import FixedFormat
from .formats.registry import format as _format
from .kernels import dyadic as kern
from .parallel import run_ranges
from .rounding import NEAREST_UP, ROUNDING_NAMES, Rounding
from .quantize import TORCH_EPS, checked_axis, quantize_affine, storage_dtype

# requantize's own names, and the library's names (numfmt.rounding) for the same roundings
# requantize's rounding names (kept as aliases) and the library's, as the kernels' mode numbers
ROUNDINGS = {"half_even": int(Rounding.NEAREST_EVEN), "half_up": NEAREST_UP,
             "half_away": int(Rounding.NEAREST_AWAY), "floor": int(Rounding.TOWARD_NEGATIVE),
             **{name: int(mode) for name, mode in ROUNDING_NAMES.items() if mode != Rounding.STOCHASTIC}}


def approximate(s, bits: int = 31):
    """(b, c) with 2**(bits-1) <= b <= 2**bits - 1 (b < 2**bits) and b / 2**c the closest such
    number to s > 0 (ties away from zero, as TFLite's QuantizeMultiplier rounds); s = 0 gives
    (0, 0), as TFLite's QuantizeMultiplier(0) does (a per-channel scale whose weights are all
    zero), and ``requantize`` then gives the zero point. Negative, NaN and Inf s: ValueError.

    Error bound: |b / 2**c - s| <= 2**-(c+1) <= s * 2**-bits. TFLite's pair is
    (multiplier, shift) = (b, 31 - c) for bits = 31. Arrays of s give arrays of b and c.

    >>> approximate(0.1)
    (1717986918, 34)
    >>> approximate(1.0, bits=8)
    (128, 7)
    >>> approximate(0.0)
    (0, 0)
    >>> approximate(np.float32(0.1))        # the float32's own value, 0.100000001490116...
    (1717986944, 34)
    """
    if np.ndim(s):
        pairs = [approximate(v, bits) for v in np.asarray(s, dtype=np.float64).ravel()]
        shape = np.shape(s)
        return (np.array([p[0] for p in pairs], np.int64).reshape(shape),
                np.array([p[1] for p in pairs], np.int64).reshape(shape))
    if not (isinstance(bits, (int, np.integer)) and not isinstance(bits, bool) and 1 <= bits <= 62):
        raise ValueError(f"bits must be an integer from 1 to 62; got {bits!r}")
    bits = int(bits)
    if isinstance(s, np.generic):       # a NumPy scalar (float32 scales are usual) as the Python number of its value
        s = s.item()
    if not (math.isfinite(s) and s >= 0):
        raise ValueError(f"s must be a positive finite scale (or 0); got {s!r}")
    if s == 0:
        return 0, 0
    exact = Fraction(s)
    _, e = math.frexp(s)                # s = m * 2**e with 0.5 <= m < 1
    c = bits - e
    scaled = exact * Fraction(2) ** c   # in [2**(bits-1), 2**bits)
    b = math.floor(scaled + Fraction(1, 2))
    if b == 1 << bits:                  # rounded up to the next power of two
        b, c = b >> 1, c - 1
    return b, c


def _int_array(v, argument: str, low: int, high: int) -> np.ndarray:
    """v as an int64 array, checked to hold integers (an integer dtype) in [low, high]."""
    arr = np.asarray(v)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{argument} must hold integers in [{low}, {high}] (an integer dtype); got dtype {arr.dtype}")
    if arr.size and (int(arr.min()) < low or int(arr.max()) > high):
        raise ValueError(f"{argument} must lie in [{low}, {high}]; got values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


def _out_format(out) -> FixedFormat:
    fmt = _format(out)
    if fmt.family != "fixed" or fmt.frac_bits != 0:
        raise ValueError(f"out must be an integer format such as 'int8'; got {fmt.name}")
    return fmt


def _per_channel(z: np.ndarray, axis, *params):
    """params as flat int64 arrays: one element for a scalar, else broadcast against z
    (1-d arrays lie along ``axis``: per channel)."""
    if axis is not None:
        axis = checked_axis(axis, z.ndim)
    out = []
    for p in params:
        p = np.asarray(p, dtype=np.int64)
        if p.size == 1:
            out.append(kernel_input(p, np.int64))
            continue
        if p.ndim == 1 and axis is not None:
            if p.size != z.shape[axis]:
                raise ValueError(f"per-channel parameters along axis {axis} need {z.shape[axis]} elements; got {p.size}")
            shape = [1] * z.ndim
            shape[axis] = p.size
            p = p.reshape(shape)
        try:
            out.append(kernel_input(np.broadcast_to(p, z.shape), np.int64))
        except ValueError:
            raise ValueError(f"parameters of shape {p.shape} do not broadcast to z of shape {z.shape}") from None
    return out


def _elementwise(kernel, arrays: tuple, *scalars, out: np.ndarray) -> None:
    """``kernel(*arrays, *scalars, out)`` over ranges of out (``numfmt.parallel.run_ranges``):
    each array is out's size (cut with it) or of size 1 (one value for every element)."""
    def task(lo, hi):
        kernel(*(a if a.size == 1 else a[lo:hi] for a in arrays), *scalars, out[lo:hi])

    run_ranges(task, out.size)


def requantize(z, b, c, zero_point=0, out="int8", rounding: str = "half_even", axis=None) -> np.ndarray:
    """clamp(round(z * b / 2**c) + zero_point) to the integer format ``out``, exactly.

    Args:
        z: int32 or int64 accumulators, any shape.
        b, c: multiplier (0 <= b < 2**31) and shift (0..62); scalars or per-channel 1-d arrays
            along ``axis`` (or arrays broadcastable to z).
        zero_point: added after rounding (scalar or per channel).
        out: integer format name (int8, uint8, int16, int32, ...).
        rounding: ``half_even`` (= nearest_even, rne), ``half_up`` (ties toward +inf,
            TFLite's single-rounding build; no library name), ``half_away`` (= nearest_away,
            rna), ``toward_zero`` (rtz), ``floor`` (= toward_negative, rdn), ``toward_positive``
            (rup), ``odd`` (rto), or ``gemmlowp`` (TFLite's default MultiplyByQuantizedMultiplier
            with multiplier b and shift 31 - c: a rounding doubling high multiply, then a
            rounding right shift). gemmlowp is defined on TFLite's int32 domain only: z must
            be int32 and, for c < 31 and b > 0, z * 2**(31 - c) (TFLite's left shift) must
            fit int32, else ValueError (C++ would overflow). b = 0 (``approximate(0)``) gives
            the zero point.

    >>> requantize(np.array([100, -100, 5]), 1 << 30, 31).tolist()   # z / 2, ties to even
    [50, -50, 2]
    >>> requantize(np.array([5]), 1 << 30, 31, rounding="gemmlowp").tolist()
    [3]
    """
    fmt = _out_format(out)
    z = np.asarray(z)
    if z.dtype.kind not in "iu":
        raise TypeError(f"z must be an integer array (int32 or int64); got dtype {z.dtype}")
    if not z.dtype.isnative:
        z = z.astype(z.dtype.newbyteorder("="))
    if z.dtype == np.uint64 and z.size and int(z.max()) >= 1 << 63:
        raise ValueError(f"z must lie in the int64 range; got values up to {z.max()}")
    bb, cc, zp = _per_channel(z, axis, _int_array(b, "b", 0, (1 << 31) - 1), _int_array(c, "c", 0, 62),
                              _int_array(zero_point, "zero_point", -(1 << 32), 1 << 32))
    flat = np.ascontiguousarray(z).reshape(-1)
    result = np.empty(flat.size, np.int64)
    if rounding == "gemmlowp":
        limit = np.int64(1) << (31 - np.maximum(31 - cc, 0) * (bb != 0))   # z * 2**left in int32
        wide = flat.astype(np.int64)                                       # (b = 0 gives 0 anyway)
        outside = (wide < -limit) | (wide >= limit)
        if outside.any():
            i = int(np.argmax(outside))
            raise ValueError("rounding='gemmlowp' is TFLite's int32 arithmetic: z must be int32 and, for c < 31, "
                             f"z * 2**(31 - c) must fit int32; got z = {wide[i]} with c = {cc[i if cc.size > 1 else 0]}; "
                             "use an exact rounding (half_up is TFLite's single-rounding result) instead")
        _elementwise(kern.gemmlowp_requantize, (flat, bb, 31 - cc, zp), fmt.min_int, fmt.max_int, out=result)
    else:
        if rounding not in ROUNDINGS:
            raise ValueError(f"rounding must be one of {list(ROUNDINGS) + ['gemmlowp']}; got {rounding!r}")
        if bb.size == cc.size == zp.size == 1 and z.dtype.itemsize <= 4 and z.dtype != np.uint32:
            _elementwise(kern.requantize_int32, (flat,), bb[0], cc[0], zp[0], fmt.min_int, fmt.max_int,
                         ROUNDINGS[rounding], out=result)
        else:
            _elementwise(kern.requantize, (flat, bb, cc, zp), fmt.min_int, fmt.max_int, ROUNDINGS[rounding],
                         out=result)
    return result.reshape(z.shape).astype(storage_dtype(fmt))


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32 arrays: round(a * b / 2**31) with
    ties toward +inf, saturating only for INT32_MIN * INT32_MIN.

    >>> saturating_rounding_doubling_high_mul(np.int32(-2**31), np.int32(-2**31)).item()
    2147483647
    """
    a, b = np.broadcast_arrays(_int_array(a, "a", -(1 << 31), (1 << 31) - 1),
                               _int_array(b, "b", -(1 << 31), (1 << 31) - 1))
    out = np.empty(a.size, np.int64)
    _elementwise(kern.srdhm, (np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1)), out=out)
    return out.reshape(a.shape).astype(np.int32)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT on int32 arrays: x / 2**exponent rounded to nearest,
    ties away from zero (exponent 0..31).

    >>> rounding_divide_by_pot(np.array([5, -5, 6]), 1).tolist()
    [3, -3, 3]
    """
    x, e = np.broadcast_arrays(_int_array(x, "x", -(1 << 31), (1 << 31) - 1),
                               _int_array(exponent, "exponent", 0, 31))
    out = np.empty(x.size, np.int64)
    _elementwise(kern.rdbpot, (np.ascontiguousarray(x).reshape(-1), np.ascontiguousarray(e).reshape(-1)), out=out)
    return out.reshape(x.shape).astype(np.int32)


def linear(x_q, w_q, bias_q=None, *, b, c, x_zero_point: int = 0, w_zero_point=0,
           out_zero_point: int = 0, out="int8", rounding: str = "half_even") -> np.ndarray:
    """Integer-only linear layer: int8 x (N, I) times int8 w (O, I), int32 accumulation plus
    an int32 bias, then per-channel (b, c) requantization to ``out``.

    x_q, w_q and the zero points must hold integers of their ranges (int8; out_zero_point:
    ``out``'s), bias_q int32 integers, else ValueError: nothing is truncated or saturated.
    Raises OverflowError if an accumulator leaves the int32 range (what int32 hardware would
    wrap silently).

    >>> linear(np.array([[1, 2]], np.int8), np.array([[3, 4]], np.int8), b=1 << 30, c=31).tolist()
    [[6]]
    """
    fmt = _out_format(out)
    x_q = _int_array(x_q, "x_q", -128, 127).astype(np.int8)
    w_q = _int_array(w_q, "w_q", -128, 127).astype(np.int8)
    if x_q.ndim != 2 or w_q.ndim != 2 or x_q.shape[1] != w_q.shape[1]:
        raise ValueError(f"x_q must be (N, I) and w_q (O, I); got {x_q.shape} and {w_q.shape}")
    x_zero_point = int(_int_array(x_zero_point, "x_zero_point", -128, 127))
    zw = np.broadcast_to(_int_array(w_zero_point, "w_zero_point", -128, 127), (w_q.shape[0],)).copy()
    _int_array(out_zero_point, "out_zero_point", fmt.min_int, fmt.max_int)
    acc = np.zeros((x_q.shape[0], w_q.shape[0]), np.int64)
    x_c, w_t = np.ascontiguousarray(x_q), np.ascontiguousarray(w_q.T)
    run_ranges(lambda lo, hi: kern.int8_matmul(x_c[lo:hi], w_t, np.int64(x_zero_point), zw, acc[lo:hi]),
               x_c.shape[0], w_t.size)
    if bias_q is not None:
        acc += _int_array(bias_q, "bias_q", -(1 << 31), (1 << 31) - 1)
    if acc.size and (acc.min() < -(1 << 31) or acc.max() >= 1 << 31):
        raise OverflowError(f"{int(((acc < -(1 << 31)) | (acc >= 1 << 31)).sum())} accumulators leave the int32 range")
    return requantize(acc.astype(np.int32), b, c, out_zero_point, out, rounding, axis=1)


@dataclass(frozen=True)
class IntegerLinear:
    """An int8 linear layer built from float weights (``from_float``); call it on int8 inputs
    (integers in [-128, 127], else ValueError: nothing is truncated or saturated silently).

    Weights are quantized per output channel, symmetric (zero point 0), with scale
    max(amax / 127, float32 eps), floored as torch's observers floor it (an all-zero channel
    gets all-zero weights and outputs its rounded bias plus the zero point); the bias to int32 at scale x_scale * w_scale;
    the output scale ratio x_scale * w_scale / out_scale to (b, c).

    >>> layer = IntegerLinear.from_float([[0.5, -1.0], [0.0, 0.0]], [0.0, 0.0], 0.01, 0, 0.02, 3)
    >>> layer(np.array([[100, 50]], np.int8)).tolist()
    [[3, 3]]
    """

    w_q: np.ndarray
    bias_q: np.ndarray
    b: np.ndarray
    c: np.ndarray
    x_zero_point: int
    out_zero_point: int
    w_scale: np.ndarray

    @classmethod
    def from_float(cls, w, bias, x_scale: float, x_zero_point: int, out_scale: float,
                   out_zero_point: int) -> "IntegerLinear":
        for name, value in (("x_scale", x_scale), ("out_scale", out_scale)):
            if not (np.ndim(value) == 0 and np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive finite scalar; got {value!r}")
        x_zero_point = int(_int_array(x_zero_point, "x_zero_point", -128, 127))
        out_zero_point = int(_int_array(out_zero_point, "out_zero_point", -128, 127))
        w = np.asarray(w, np.float64)
        w_scale = np.maximum(np.abs(w).max(axis=1) / 127.0, TORCH_EPS)
        w_q = quantize_affine(w, "int8", w_scale, 0, axis=0, exact=True)
        bias_q = np.rint(np.asarray(bias, np.float64) / (x_scale * w_scale))
        if not np.all(np.abs(bias_q) < 1 << 31):
            raise ValueError("bias / (x_scale * w_scale) leaves the int32 range of the bias")
        bias_q = bias_q.astype(np.int64)
        b, c = approximate(x_scale * w_scale / out_scale)
        return cls(w_q, bias_q, b, c, x_zero_point, out_zero_point, w_scale)

    def __call__(self, x_q, rounding: str = "half_even") -> np.ndarray:
        return linear(x_q, self.w_q, self.bias_q, b=self.b, c=self.c, x_zero_point=self.x_zero_point,
                      out_zero_point=self.out_zero_point, rounding=rounding)
