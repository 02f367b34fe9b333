"""Affine (scale and zero point) quantization to integer formats, per tensor or per channel.

By default bit-exact with ONNX QuantizeLinear / DequantizeLinear: q = saturate(round(x / scale)
+ zero_point), with x / scale computed in float32 and rounded half to even, so results match
onnxruntime. ``exact=True`` rounds the exact quotient instead (Python fractions, slower).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .casts import round as _round
from .formats.integer import FixedFormat
from .formats.registry import format as _format


def _integer_format(fmt) -> FixedFormat:
    fmt = _format(fmt)
    if fmt.family != "fixed" or fmt.frac_bits != 0:
        raise ValueError(f"fmt must be an integer format such as 'int8' or 'uint8'; got {fmt.name}")
    return fmt


def _along(param, ndim: int, axis, argument: str) -> np.ndarray:
    """A scalar, or a 1-d per-channel array reshaped to broadcast along ``axis``."""
    p = np.asarray(param)
    if p.ndim == 0:
        return p
    if axis is None:
        raise ValueError(f"{argument} has shape {p.shape}; per-channel parameters need axis=")
    shape = [1] * ndim
    shape[axis] = p.size
    return p.reshape(shape)


def quantize_affine(x, fmt, scale, zero_point=0, axis=None, *, exact: bool = False,
                    rounding: str = "nearest_even", seed=None) -> np.ndarray:
    """Integers q = saturate(round(x / scale) + zero_point) of the integer format ``fmt``.

    Args:
        x: float array; scale (> 0) and zero_point: scalars, or 1-d arrays along ``axis``.
        exact: False (default): x / scale in float32 as ONNX does; True: the exact quotient.
        rounding: any numfmt rounding mode (ONNX: nearest_even); ``seed`` for stochastic.

    >>> quantize_affine([0.5, 1.5, 2.5, 300.0, -1.0], "uint8", 1.0, 10).tolist()
    [10, 12, 12, 255, 9]
    """
    fmt = _integer_format(fmt)
    x = np.asarray(x)
    scale = _along(scale, x.ndim, axis, "scale")
    zero_point = _along(zero_point, x.ndim, axis, "zero_point").astype(np.int64)
    if np.any(np.asarray(scale) <= 0) or not np.all(np.isfinite(scale)):
        raise ValueError("scale must be positive and finite")
    if np.isnan(x).any():
        raise ValueError(f"{int(np.isnan(x).sum())} elements of x are NaN; integer formats have no NaN")
    if exact:
        if rounding not in ("nearest_even", "rne"):
            raise ValueError("exact=True rounds half to even; pass rounding='nearest_even'")
        xs, ss = np.broadcast_arrays(x.astype(np.float64), np.asarray(scale, np.float64))
        q = np.array([round(Fraction(float(a)) / Fraction(float(s))) for a, s in zip(xs.ravel(), ss.ravel())],
                     dtype=object).reshape(xs.shape)
        q = np.clip(q, -(1 << 62), 1 << 62).astype(np.int64)
    else:
        with np.errstate(over="ignore", divide="ignore"):
            ratio = x.astype(np.float32) / np.asarray(scale, np.float32)
        q = _round(ratio, "int32", rounding, overflow="saturate", seed=seed).astype(np.int64)
    return np.clip(q + zero_point, fmt.min_int, fmt.max_int).astype(storage_dtype(fmt))


def dequantize_affine(q, scale, zero_point=0, axis=None) -> np.ndarray:
    """(q - zero_point) * scale in float32, as ONNX DequantizeLinear.

    >>> dequantize_affine([12, 9], 0.5, 10).tolist()
    [1.0, -0.5]
    """
    q = np.asarray(q)
    scale = _along(scale, q.ndim, axis, "scale").astype(np.float32)
    zero_point = _along(zero_point, q.ndim, axis, "zero_point").astype(np.int64)
    return ((q.astype(np.int64) - zero_point).astype(np.float32) * scale).astype(np.float32)


def choose_qparams(x, fmt, *, symmetric: bool = False, axis=None):
    """(scale, zero_point) from the data's range (including 0), per tensor or along ``axis``.

    Asymmetric: scale = (max - min) / (qmax - qmin), zero_point = round(qmin - min / scale).
    Symmetric: scale = amax / qmax and zero_point 0 (the middle code for unsigned formats).

    >>> choose_qparams(np.array([-1.0, 3.0]), "uint8")
    (0.01568627450980392, 64)
    """
    fmt = _integer_format(fmt)
    x = np.asarray(x, np.float64)
    reduce = tuple(i for i in range(x.ndim) if i != axis) if axis is not None else None
    lo = np.minimum(x.min(axis=reduce), 0.0)
    hi = np.maximum(x.max(axis=reduce), 0.0)
    qmin, qmax = fmt.min_int, fmt.max_int
    tiny = np.finfo(np.float64).tiny
    if symmetric:
        scale = np.maximum(np.maximum(-lo, hi) / ((qmax - qmin) / 2), tiny)
        zero_point = np.zeros_like(scale, dtype=np.int64) + (0 if fmt.signed else (qmax + 1) // 2)
    else:
        scale = np.maximum((hi - lo) / (qmax - qmin), tiny)
        zero_point = np.clip(np.rint(qmin - lo / scale), qmin, qmax).astype(np.int64)
    if np.ndim(scale) == 0:
        return float(scale), int(zero_point)
    return scale, zero_point


def storage_dtype(fmt: FixedFormat):
    """The numpy integer dtype that stores the format's integers."""
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64):
        info = np.iinfo(dtype)
        if info.min <= fmt.min_int and fmt.max_int <= info.max:
            return dtype
    return np.int64
