"""Affine (scale and zero point) quantization to integer formats, per tensor or per channel.

q = saturate(round(x / scale) + zero_point). By default (``exact=False``) bit-exact with ONNX
QuantizeLinear: x / scale computed in float32 and rounded half to even, so results match
onnxruntime. ``exact=True`` rounds the exact quotient x / scale, formed on integers from the
bits of x and scale (no float division), once, in any numfmt rounding mode.
"""
from __future__ import annotations

import numpy as np

from . import array_libraries
from .stochastic import stochastic_args
from .casts.common import as_float_array
from .casts.fixed import divide_round
from .kernels import fixed as kern
from .parallel import run_ranges
from .casts.report import integer_report
from . import report as _report
from .formats.integer import FixedFormat
from .formats.registry import format as _format
from .rounding import Rounding, rounding_mode

# torch.ao.quantization observers' default eps (torch.finfo(torch.float32).eps): the smallest scale
TORCH_EPS = float(np.finfo(np.float32).eps)


def integer_format(fmt) -> FixedFormat:
    """fmt resolved and checked to be an integer format (ValueError otherwise)."""
    fmt = _format(fmt)
    if fmt.family != "fixed" or fmt.frac_bits != 0:
        raise ValueError(f"fmt must be an integer format such as 'int8' or 'uint8'; got {fmt.name}")
    return fmt


def native_array(x) -> np.ndarray:
    """x as an array in native byte order (the kernels take nothing else)."""
    x = np.asarray(x)
    return x if x.dtype.isnative else x.astype(x.dtype.newbyteorder("="))


def checked_axis(axis, ndim: int):
    """axis checked against ndim and made non-negative (None stays None)."""
    if axis is None:
        return None
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be an integer in [{-ndim}, {ndim}) for an array of ndim {ndim}; got {axis!r}")
    return int(axis) % ndim


def along_shape(pshape: tuple, shape: tuple, axis, argument: str) -> tuple:
    """The shape that a parameter of shape ``pshape`` (a scalar, or 1-d per channel) takes to
    broadcast along ``axis`` of an x of this shape (checked; the backends share it)."""
    pshape = tuple(pshape)
    if not pshape:
        return ()
    if axis is None:
        raise ValueError(f"{argument} has shape {pshape}; per-channel parameters need axis=")
    if len(pshape) != 1 or pshape[0] != shape[axis]:
        raise ValueError(f"{argument} must be a scalar or a 1-d array of {shape[axis]} elements (x.shape[{axis}]); "
                         f"got shape {pshape}")
    return tuple(pshape[0] if i == axis else 1 for i in range(len(shape)))


def _along(param, shape: tuple, axis, argument: str) -> np.ndarray:
    """A scalar, or a 1-d per-channel array reshaped to broadcast along ``axis`` (checked)."""
    p = native_array(param)
    return p.reshape(along_shape(p.shape, shape, axis, argument))


def checked_zero_point(zero_point, shape: tuple, axis, fmt: FixedFormat | None) -> np.ndarray:
    """The zero point(s) as int64, checked to be integers (inside fmt's range, if given)."""
    zp = _along(zero_point, shape, axis, "zero_point")
    if zp.dtype.kind not in "iuf" or (zp.dtype.kind == "f" and not np.all(np.isfinite(zp) & (zp == np.round(zp)))):
        raise zero_point_error(zero_point)
    if fmt is not None and zp.size and (zp.min() < fmt.min_int or zp.max() > fmt.max_int):
        raise zero_point_error(zero_point, fmt)
    return zp.astype(np.int64)


def zero_point_error(zero_point, fmt: FixedFormat | None = None) -> ValueError:
    """The error of a zero point that is not an integer (fmt None) or lies outside fmt's range."""
    if fmt is None:
        return ValueError(f"zero_point must hold integers; got {zero_point!r}")
    return ValueError(f"zero_point must lie in {fmt.name}'s range [{fmt.min_int}, {fmt.max_int}]; got {zero_point!r}")


def nan_error(count: int) -> ValueError:
    """The error of an x with ``count`` NaN elements."""
    return ValueError(f"{count} elements of x are NaN; integer formats have no NaN")


def scale_error(scale, exact: bool) -> ValueError:
    """The error of a scale that is not positive and finite (in float32 for ``exact=False``)."""
    return ValueError(f"scale must be positive and finite{'' if exact else ' in float32'}; got {scale!r}")


def affine_mode(exact: bool, rounding) -> Rounding:
    """The rounding mode of ``quantize_affine``, checked against ``exact``."""
    mode = rounding_mode(rounding)
    if not exact and mode != Rounding.NEAREST_EVEN:
        raise ValueError(f"exact=False is ONNX QuantizeLinear's float32 recipe, which rounds half to even "
                         f"only; pass exact=True for rounding={rounding!r}")
    return mode


def quantize_affine(x, fmt, scale, zero_point=0, axis: int | None = None, *, exact: bool = False,
                    rounding: str = "nearest_even", seed=None, sr_bits: int | None = None,
                    sr_rule: str = "add", random_bits=None, rng: str = "splitmix64", report: bool = False):
    """Integers q = saturate(round(x / scale) + zero_point) of the integer format ``fmt``.

    Args:
        x: real array (float16/32/64, ml_dtypes floats, integers; any byte order), no NaN.
        fmt: an integer format (int8, uint8, int4, int32, ...).
        scale: positive finite; a scalar, or a 1-d array along ``axis`` (per channel).
        zero_point: an integer in fmt's range (else ValueError); scalar or 1-d along ``axis``.
        exact: False (the default, because ONNX users expect QuantizeLinear bit for bit):
            x and scale in float32, x / scale rounded by float32 division, then half to even,
            exactly as ONNX QuantizeLinear and onnxruntime compute it; only
            ``rounding="nearest_even"`` (a second rounding after the float32 division would be
            double rounding). True: the exact quotient x / scale of the float64 values,
            rounded once in ``rounding``; every mode, stochastic included.
        rounding: a numfmt rounding mode or alias (nearest_even, nearest_away, toward_zero,
            toward_positive, toward_negative, odd, stochastic).
        seed, sr_bits, sr_rule, random_bits, rng: stochastic rounding, as ``numfmt.round``.
        report: also return a ``numfmt.CastReport`` (``(q, report)``): its counts compare q - zero_point
            with the exact x / scale (inexact, overflow: the rounded integer plus zero_point
            outside fmt's range, saturated, flushed_to_zero: nonzero x giving the zero point).
            NumPy inputs only; inside ``numfmt.flags`` every call counts.

    A dask x gives a lazy dask array equal bit for bit to the NumPy result (random numbers
    included) for any chunking (``numfmt.distributed``).

    Returns:
        The integers in the smallest numpy dtype that holds fmt (int8, uint8, ...), shaped like x
        (and the report with ``report=True``).

    >>> quantize_affine([0.5, 1.5, 2.5, 300.0, -1.0], "uint8", 1.0, 10).tolist()
    [10, 12, 12, 255, 9]
    >>> quantize_affine([3 - 2**-30, -2.5], "int8", 1.0, exact=True, rounding="toward_zero").tolist()
    [2, -2]
    >>> q, rep = quantize_affine([0.5, 1.5, 300.0], "uint8", 1.0, 10, report=True)
    >>> rep.inexact, rep.overflow, rep.saturated
    (3, 1, 1)
    """
    if array_libraries.is_dask(x, random_bits):
        array_libraries.no_dask_report(report, "quantize_affine")
        return array_libraries.dask().quantize_affine(x, fmt, scale, zero_point, axis, exact=exact, rounding=rounding,
                                              seed=seed, sr_bits=sr_bits, sr_rule=sr_rule, random_bits=random_bits,
                                              rng=rng)
    x = as_float_array(native_array(x))
    fmt, axis, scale, zero_point, mode = affine_params(x.shape, fmt, scale, zero_point, axis, exact, rounding)
    sr = stochastic_args(mode, x.shape, seed, sr_bits, sr_rule, random_bits, rng=rng) if exact else None
    q = affine_integers(x, fmt, scale, zero_point, mode, exact, sr)
    if report or _report.active():
        rep = integer_report(x, q, fmt.min_int, fmt.max_int, mode, sr, scale=scale, zero_point=zero_point)
        _report.record(f"numfmt.quantize_affine({fmt.name})", rep, x)
        if report:
            return q, rep
    return q


def affine_params(shape: tuple, fmt, scale, zero_point, axis, exact: bool, rounding: str):
    """(fmt, axis, scale, zero_point, mode) of ``quantize_affine`` checked for an x of this
    shape; scale (float64 for ``exact``, else float32) and zero_point (int64) broadcast
    against x."""
    fmt = integer_format(fmt)
    axis = checked_axis(axis, len(shape))
    scale = checked_scale(scale, shape, axis, exact)
    zero_point = checked_zero_point(zero_point, shape, axis, fmt)
    return fmt, axis, scale, zero_point, affine_mode(exact, rounding)


def checked_scale(scale, shape: tuple, axis, exact: bool) -> np.ndarray:
    """The scale(s) as float64 (``exact``) or float32, shaped to broadcast along ``axis`` of an
    x of this shape, checked to be positive and finite in that dtype (ValueError)."""
    with np.errstate(over="ignore"):        # (beyond float32: Inf, refused below)
        scale = _along(scale, shape, axis, "scale").astype(np.float64 if exact else np.float32)
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise scale_error(scale, exact)
    return scale


def affine_integers(x: np.ndarray, fmt: FixedFormat, scale: np.ndarray, zero_point: np.ndarray, mode: Rounding,
                    exact: bool, sr) -> np.ndarray:
    """The integers of ``quantize_affine`` for the float array x and the ``affine_params``;
    ``sr`` the ``numfmt.stochastic.stochastic_args`` of x (exact only, else None)."""
    if not exact:
        return _float32_recipe(x, fmt, scale, zero_point)
    x = x.astype(np.float64)
    if np.isnan(x).any():
        raise nan_error(int(np.isnan(x).sum()))
    flat = np.ascontiguousarray(x).reshape(-1)
    s = scale if scale.ndim == 0 else np.broadcast_to(scale, x.shape)
    q = divide_round(flat, s, mode, -(1 << 62), 1 << 62, stochastic=sr).reshape(x.shape)
    return np.clip(q + zero_point, fmt.min_int, fmt.max_int).astype(storage_dtype(fmt))


def _float32_recipe(x: np.ndarray, fmt: FixedFormat, scale: np.ndarray, zero_point: np.ndarray) -> np.ndarray:
    """``affine_integers`` for exact=False in one pass (``kernels.fixed.affine_nearest_even``):
    x as float32 (shape (pre, C, post) around the channel axis, C = 1 per tensor), taken as
    rows of post elements that share a channel, or for post = 1 as rows of the C channels."""
    shape = x.shape                               # (ascontiguousarray makes a 0-d x 1-d)
    with np.errstate(over="ignore"):              # float64 beyond float32: Inf, as ONNX's cast
        x = np.ascontiguousarray(x, dtype=np.float32)
    if x.size == 0:
        return np.empty(shape, storage_dtype(fmt))
    channels = max(scale.size, zero_point.size)
    axis = next((i for i, n in enumerate(np.broadcast_shapes(scale.shape, zero_point.shape)) if n > 1), -1)
    post = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    per_row = post > 1 or channels == 1
    # rows that the threads share: one per channel run (or per element, one channel)
    x2 = x.reshape((-1, 1) if channels == 1 else (-1, post) if per_row else (-1, channels))
    # the quotient's clamp before the zero point: wide enough that the sum saturates as the unclamped one
    # would (|zero_point| and the range below 2**(bits+1)), exact in the work type: int24 in float32 for
    # formats of at most 16 bits, 2**33 in float64 for the others (int32's 2**31 took uint32 x >= 2**31 to
    # 2**31 - 1, and int32 with a negative zero point saturated at 2**31 - 1 + zero_point)
    work = np.float32 if fmt.bits <= 16 else np.float64
    wide = 1 << (23 if fmt.bits <= 16 else 33)
    bounds = tuple(map(work, (-wide, wide - 1, fmt.min_int, fmt.max_int)))
    scale = np.ascontiguousarray(np.broadcast_to(scale.reshape(-1), (channels,)))
    zero_point = np.broadcast_to(zero_point.reshape(-1), (channels,)).astype(work)
    out = np.empty(x2.shape, storage_dtype(fmt))

    def rows(a: int, b: int) -> bool:
        xs, ys = (x2[a:b], out[a:b]) if channels > 1 else (x2[a:b].reshape(1, -1), out[a:b].reshape(1, -1))
        return kern.affine_nearest_even(xs, ys, a, scale, zero_point, per_row, bounds)

    if any(run_ranges(rows, x2.shape[0], work_per_item=x2.shape[1])):
        raise nan_error(int(np.isnan(x).sum()))
    return out.reshape(shape)


def dequantize_affine(q, scale, zero_point=0, axis: int | None = None) -> np.ndarray:
    """(q - zero_point) * scale in float32, as ONNX DequantizeLinear. q: integers of an integer
    dtype (at most 63 bits; a float array raises ValueError, as ONNX takes only integer
    tensors); scale positive and finite in float32, zero_point integers, each a scalar or 1-d
    along ``axis``, as ``quantize_affine`` checks them.

    >>> dequantize_affine([12, 9], 0.5, 10).tolist()
    [1.0, -0.5]
    """
    q = native_array(q)
    if q.dtype.kind not in "iu":
        raise ValueError(f"q must be integers (an integer dtype, as quantize_affine returns); got dtype {q.dtype}")
    if q.dtype == np.uint64 and q.size and q.max() > np.iinfo(np.int64).max:
        raise ValueError(f"q must be integers below 2**63; got {int(q.max())}")
    axis = checked_axis(axis, q.ndim)
    scale = checked_scale(scale, q.shape, axis, exact=False)
    zero_point = checked_zero_point(zero_point, q.shape, axis, None)
    return ((q.astype(np.int64) - zero_point).astype(np.float32) * scale).astype(np.float32)


def choose_qparams(x, fmt, *, symmetric: bool = False, axis: int | None = None):
    """(scale, zero_point) from the data's range (including 0), per tensor or along ``axis``,
    as torch.ao.quantization's MinMaxObserver computes them (in float64).

    Asymmetric: scale = (max - min) / (qmax - qmin), zero_point = round(qmin - min / scale).
    Symmetric: scale = amax / ((qmax - qmin) / 2) and zero_point 0 (the middle code for
    unsigned formats). Like torch's observers, the scale is at least ``TORCH_EPS`` =
    float32 eps = 2**-23, so an all-zero tensor (or channel) gets scale 2**-23 and zeros map
    to the zero point. x must be finite and non-empty (else ValueError).

    >>> choose_qparams(np.array([-1.0, 3.0]), "uint8")
    (0.01568627450980392, 64)
    >>> choose_qparams(np.zeros(4), "int8")
    (1.1920928955078125e-07, -128)
    """
    fmt = integer_format(fmt)
    x = as_float_array(native_array(x)).astype(np.float64)
    axis = checked_axis(axis, x.ndim)
    if x.size == 0:
        raise ValueError(f"x is empty (shape {x.shape}); choose_qparams needs values to take the range of")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite (no NaN or Inf) to choose quantization parameters")
    reduce = tuple(i for i in range(x.ndim) if i != axis) if axis is not None else None
    lo = np.minimum(x.min(axis=reduce), 0.0)
    hi = np.maximum(x.max(axis=reduce), 0.0)
    qmin, qmax = fmt.min_int, fmt.max_int
    if symmetric:
        scale = np.maximum(np.maximum(-lo, hi) / ((qmax - qmin) / 2), TORCH_EPS)
        zero_point = np.zeros_like(scale, dtype=np.int64) + (0 if fmt.signed else (qmax + 1) // 2)
    else:
        scale = np.maximum((hi - lo) / (qmax - qmin), TORCH_EPS)
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
