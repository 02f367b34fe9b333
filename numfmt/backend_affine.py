"""``quantize_affine`` on the array backends (``numfmt.torch``, ``numfmt.jax``): the integers
q = saturate(round(x / scale) + zero_point) of ``numfmt.quantize_affine``, bit for bit, on the
input's device, with the fixed-point family's own kernel code rebound by ``numfmt.backends``
(``kernels.fixed.round_pow2_bits``, ``round_fixed_bits``: the one rounding decision of
``numfmt.rounding``).

``exact=False`` (ONNX QuantizeLinear): x / scale in float32, then ``round_pow2_bits`` reads the
quotient's float32 bits in the backend's float32 lanes (int32: JAX's 32-bit mode suffices;
32-bit formats, whose zero-point sums need more, use int64 lanes and the quotient widened to
float64, as quotients up to 2**33 saturate differently after the zero point). A backend whose float32
arithmetic flushes subnormals (XLA on CPU) divides the operands normalized to [1, 2) by bit
operations and puts the exponent back on the quotient's bits, so subnormal x and scales give
NumPy's result too (the scale reaches the division through ``Backend.divisor``: XLA would
multiply by its reciprocal instead, one ulp off). ``exact=True``: the exact quotient of the float64 values by integer long
division (``kernels.fixed.quotient``, a fixed number of steps per tensor) in int64 lanes (JAX:
x64 mode), every rounding mode, stochastic rounding with NumPy's random numbers. The step
count is a bound for the scale's significand (``quotient_steps``): 12 for a float64 scale of
53 bits such as 0.1, 3 for a float32 value, none for a power of two (``round_pow2_bits``);
many steps make eager torch slow and inductor's compilation take minutes.

The saturation and the zero point are one clamp inside the kernel: its range is
[min_int - zero_point, max_int - zero_point], then zero_point is added.

Scale and zero point: Python numbers and NumPy arrays are checked by NumPy's own code
(``numfmt.quantize``); tensors of the framework are checked on the device with the same
messages, except under tracing (``torch.compile``, ``jax.jit``), where no value can be checked:
there a NaN in x gives the zero point, and a scale that is not positive and finite or a zero
point outside the format give unspecified integers (pass Python numbers to keep the checks;
NumPy arrays break a torch.compile graph).
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from . import backends
from . import report as _report
from .casts.fixed import _significands
from .formats.integer import FixedFormat
from .kernels.fixed import quotient_steps
from .lanes import as_float, f32_bits, f32_value, lane, where
from .quantize import (affine_mode, along_shape, checked_axis, checked_scale, checked_zero_point, integer_format,
                       nan_error, quantize_affine, scale_error, storage_dtype)
from .rounding import Rounding, rounding_mode
from .stochastic import stochastic_args
from .kernels.inner import inner_inline

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
NUMBERS = (int, float, np.integer, np.floating)     # a scale or zero point that is a host scalar


class AffinePlan(NamedTuple):
    """The checked arguments of a backend quantize_affine that do not depend on the data."""

    fmt: FixedFormat
    min_int: int
    max_int: int
    mode: int                # a Rounding number
    exact: bool
    lane_bits: int
    sr: tuple                # (k, rule_nearest); (1, 0) for deterministic modes
    stochastic: bool
    out_dtype: str           # NumPy's storage dtype (``numfmt.quantize.storage_dtype``)


def affine_plan(backend: backends.Backend, fmt, rounding, exact: bool, sr_bits, sr_rule: str) -> AffinePlan:
    """Every check and parameter of ``quantize_affine`` that is not about the data or the
    scale and zero point, with NumPy's errors."""
    return _affine_plan(fmt, rounding, bool(exact), sr_bits, sr_rule, backend.float32_lane_bits, backend.has_int64())


@functools.lru_cache(maxsize=None)
def _affine_plan(fmt, rounding, exact: bool, sr_bits, sr_rule: str, float32_lane_bits: int,
                 has_int64: bool) -> AffinePlan:
    fmt = integer_format(fmt)
    mode = affine_mode(exact, rounding)
    stochastic = mode == Rounding.STOCHASTIC
    sr = (1, 0)
    if stochastic:
        sr = (stochastic_args(mode, (), 0, sr_bits, sr_rule, None)[1], int(sr_rule == "nearest"))
    elif exact:
        stochastic_args(mode, (), None, sr_bits, sr_rule, None)        # the NumPy path's error, if any
    lane_bits = 64 if exact or fmt.bits == 32 else float32_lane_bits
    if lane_bits == 64 and not has_int64:
        why = "exact=True (exact on float64 bits)" if exact else f"exact=False into the 32-bit {fmt.name}"
        raise ValueError(f"quantize_affine with {why} needs 64-bit integers; enable 64-bit mode "
                         "(jax.config.update('jax_enable_x64', True))")
    return AffinePlan(fmt, fmt.min_int, fmt.max_int, int(mode), exact, lane_bits, sr, stochastic,
                      np.dtype(storage_dtype(fmt)).name)


def _scale(backend: backends.Backend, scale, x, axis, exact: bool):
    """The scale as a Python float (a host scalar), a host array (checked by NumPy's code) or a
    device tensor (checked there where not traced), float32 or float64 (``exact``), shaped to
    broadcast against x."""
    if not backend.is_tensor(scale):
        s = checked_scale(scale, tuple(x.shape), axis, exact)
        return float(s) if s.ndim == 0 else s
    s = scale.reshape(along_shape(scale.shape, tuple(x.shape), axis, "scale"))
    if exact:      # floats widened through their bits (XLA's float32 -> float64 convert flushes subnormals)
        s = (backend.from_lanes(backend.to_lanes(backend.float_input(s, "scale"), True, 64), True)
             if backend.kind(s) == "f" else backend.as_dtype(s, "float64"))
    else:
        s = _float32(backend, s)
    bits = backend.to_lanes(s, exact, 64 if exact else 32)      # compared as bits: XLA flushes subnormals
    if not backend.traced(s) and backend.count(~((bits > 0) & (bits < (0x7FF << 52 if exact else 0x7F800000)))):
        raise scale_error(scale, exact)
    return s


def _host_divisor(scale: np.ndarray) -> tuple:
    """(s, e_s, steps) of a host float64 scale for ``round_fixed_bits`` (NumPy's own
    ``_significands``: s odd), Python ints for a scalar, and a ``quotient`` step bound."""
    s, e = _significands(scale.reshape(-1))
    steps = quotient_steps(max(int(v).bit_length() for v in s))
    if scale.ndim == 0:
        return int(s[0]), int(e[0]), steps
    return s.reshape(scale.shape), e.reshape(scale.shape), steps


def affine_scalars(backend: backends.Backend, fmt, scale, zero_point, exact: bool) -> tuple:
    """(scale, zero point, divisor) of a scale and a zero point that are Python numbers,
    checked by NumPy's code (a constant to tracers): the scale as a float (its float32 value
    for ``exact=False``), the zero point an int, the divisor ``_host_divisor``'s (exact only)."""
    s = checked_scale(scale, (), None, exact)
    zp = int(checked_zero_point(zero_point, (), None, integer_format(fmt)))
    return float(s), zp, _host_divisor(s) if exact else None


def _float32(backend: backends.Backend, v):
    """A tensor as float32, rounded to nearest even (float64 subnormals too, where the
    framework's own cast flushes them)."""
    if not (backend.is_float64(v) and backend.flushes_subnormals):
        return backend.as_dtype(v, "float32")
    codes = backends.float_cast(backend, v, "binary32", "nearest_even", "ieee", "raise", None, None, "add", None,
                                want_code=True)
    return backend.from_lanes(backend.from_codes(codes, 32, 32), False)


def _zero_point_of(backend: backends.Backend, zero_point, x, axis, fmt: FixedFormat, lane_bits: int):
    """The zero point as a Python int (a host scalar) or integer lanes shaped to broadcast
    against x, checked as NumPy checks it (a device tensor: where not traced)."""
    if not backend.is_tensor(zero_point):
        zp = checked_zero_point(zero_point, tuple(x.shape), axis, fmt)
        return int(zp) if zp.ndim == 0 else backend.parameter(zp.astype(f"int{lane_bits}"), x)
    zp = zero_point.reshape(along_shape(zero_point.shape, tuple(x.shape), axis, "zero_point"))
    if not backend.traced(zp):      # (on the host, as NumPy checks it: the tensor's dtype may not hold fmt's bounds)
        floats = backend.kind(zero_point) == "f"       # (to the host as float64: NumPy has no bfloat16)
        checked_zero_point(np.asarray(backend.to_host(backend.as_dtype(zero_point, "float64") if floats else
                                                      zero_point)), tuple(x.shape), axis, fmt)
    return backend.as_dtype(zp, f"int{lane_bits}")


@inner_inline
def float32_quotient_bits(x, scale):
    """The bits of fl32(x / scale) (x float32 without NaN, scale positive finite float32) in
    lanes, computed without a float32 subnormal in the arithmetic (XLA flushes them): both
    operands normalized to [1, 2) from their bits, divided (a quotient in (1/2, 2), correctly
    rounded), and the exponent put back on the bits: Inf beyond float32, 0 below 2**-126
    (which rounds to the integer 0 as NumPy's subnormal quotient does). In the ops
    vocabulary of ``numfmt.lanes``, for the backends (``Backend.kernel``)."""
    xn, ex = _normalized(x)
    sn, es = _normalized(scale)
    q = lane(f32_bits(xn / sn))
    field = (q >> 23) + ex - es                     # the quotient's biased exponent field
    bits = where(field >= 255, lane(0x7F800000), where(field <= 0, lane(0), (field << 23) | (q & 0x7FFFFF)))
    xbits = lane(f32_bits(x))
    magnitude = xbits & INT32_MAX
    bits = where(magnitude >= 0x7F800000, lane(0x7F800000), where(magnitude == 0, lane(0), bits))
    return bits | (xbits & lane(INT32_MIN))


@inner_inline
def _normalized(v):
    """(the float32 in [1, 2) with v's significand, v's exponent) for a float32 v > 0 given
    by its bits, subnormals included (their significand read by an exact int -> float32
    conversion); zero gives 1 and a meaningless exponent."""
    bits = lane(f32_bits(v)) & INT32_MAX
    ex = bits >> 23
    mant = bits & 0x7FFFFF
    sub = lane(f32_bits(as_float(where(ex == 0, mant, lane(1)), v)))
    mant = where(ex == 0, sub & 0x7FFFFF, mant)
    exponent = where(ex == 0, (sub >> 23) - 127 - 149, ex - 127)
    return f32_value(mant | (127 << 23)), exponent


def _ratio_lanes(backend: backends.Backend, x, scale, plan: AffinePlan):
    """The float32 bits of x / scale as NumPy's float32 recipe computes them, in the plan's lanes."""
    x32 = _float32(backend, x)
    if isinstance(scale, np.ndarray) or (backend.flushes_subnormals and isinstance(scale, float)):
        scale = backend.parameter(np.asarray(scale, np.float32), x)
    if backend.flushes_subnormals:
        return backend.kernel("float32_quotient_bits", plan.lane_bits)(x32, backend.divisor(scale, x32))
    return backend.to_lanes(x32 / scale, False, plan.lane_bits)


def _divisor(backend: backends.Backend, scale, x, narrow: bool):
    """(s, e_s, steps) of the float64 scale for ``round_fixed_bits``: Python ints for a host
    scalar, else tensors (s odd) with a ``quotient`` step bound (``narrow``: the scale tensor
    was a float of at most 32 bits, so s has at most 24)."""
    if not backend.is_tensor(scale):
        s, e, steps = _host_divisor(np.asarray(scale, np.float64))
        return (s, e, steps) if isinstance(s, int) else (backend.parameter(s, x), backend.parameter(e, x), steps)
    s, e = backend.kernel("odd_divisor", 64)(backend.to_lanes(scale, True, 64))
    return s, e, quotient_steps(24 if narrow else 53)


def affine_cast(backend: backends.Backend, x, fmt, scale, zero_point=0, axis=None, *, exact: bool = False,
                rounding="nearest_even", seed=None, sr_bits=None, sr_rule: str = "add", random_bits=None,
                rng: str = "splitmix64"):
    """``numfmt.quantize_affine`` on the backend (``numfmt.torch.quantize_affine`` and its JAX
    twin call it): NumPy's integers, dtype and errors, on x's device.

    >>> import torch, numfmt.torch as nft
    >>> nft.quantize_affine(torch.tensor([0.5, 1.5, 2.5, 300.0, -1.0]), "uint8", 1.0, 10).tolist()
    [10, 12, 12, 255, 9]
    """
    x = backend.float_input(x)
    plan = backend.constant("affine_plan", fmt, rounding, exact, sr_bits, sr_rule)
    axis = checked_axis(axis, len(x.shape))
    divisor = None
    narrow = backend.is_tensor(scale) and backend.kind(scale) == "f" and not backend.is_float64(scale)
    if isinstance(scale, NUMBERS) and isinstance(zero_point, NUMBERS):
        scale, zp, divisor = backend.constant("affine_scalars", fmt, scale, zero_point, plan.exact)
    else:
        scale = _scale(backend, scale, x, axis, plan.exact)
        zp = _zero_point_of(backend, zero_point, x, axis, plan.fmt, plan.lane_bits)
    mode = Rounding(plan.mode)
    rnd = 0
    if plan.exact:
        rnd = backends.random_numbers(backend, x, mode, plan.sr[0] if plan.stochastic else None, seed, random_bits,
                                      sr_rule, rng, 64)
    nan = x != x
    if backend.traced(x):
        x = backend.namespace(64)["where"](nan, 0.0, x)
    else:
        count = backend.count(nan)
        if count:
            raise nan_error(count)
    lo, hi = plan.min_int - zp, plan.max_int - zp
    if plan.exact:
        lanes = backend.to_lanes(x, True, 64)
        s, e, steps = divisor or _divisor(backend, scale, x, narrow)
        args = (mode, lo, hi, False, backend.random64(rnd), *plan.sr)
        if isinstance(s, int) and s == 1:
            k = backend.kernel("fixed_round", 64)(lanes, e, *args)
        else:
            k = backend.kernel("fixed_divide", 64)(lanes, s, e, *args, steps)
    else:
        ratio, dom_m = _ratio_lanes(backend, x, scale, plan), 23
        if plan.lane_bits == 64:    # 32-bit formats: quotients up to 2**33 matter, read from float32 bits up to 2**31
            ratio, dom_m = backend.to_lanes(backend.from_lanes(ratio, False), True, 64), 52
        k = backend.kernel("fixed_round", plan.lane_bits)(ratio, 0, int(mode), lo, hi, False, 0, 1, 0, dom_m)
    return backend.as_dtype(k + zp, plan.out_dtype)


def reported_affine(backend: backends.Backend, x, fmt, scale, zero_point=0, axis=None, *, report: bool = False,
                    **options):
    """``affine_cast`` with ``numfmt.quantize_affine``'s ``report``: ``report=True`` returns
    ``(q, CastReport)``, and inside ``numfmt.flags`` every call counts. The counts come from a
    host copy of the arguments quantized and counted by the NumPy path's own code (the same
    seed: its integers are the device's), as ``backends.reported_cast`` counts casts; a traced
    call has no values to count (report=True raises TypeError there)."""
    if backend.traced(x):
        if report:
            raise TypeError(f"report=True needs concrete values: a traced call ({backend.name} jit or "
                            "compile) cannot return a host CastReport; call it outside the traced function")
        return affine_cast(backend, x, fmt, scale, zero_point, axis, **options)
    if not (report or _report.active()):
        return affine_cast(backend, x, fmt, scale, zero_point, axis, **options)
    if (options.get("random_bits") is None and options.get("exact")
            and rounding_mode(options.get("rounding", "nearest_even")) == Rounding.STOCHASTIC):
        options["seed"] = backend.use_seed(options.get("seed"))     # one seed for the device and the count
    q = affine_cast(backend, x, fmt, scale, zero_point, axis, **options)
    host = [backend.to_host(v) if backend.is_tensor(v) else v
            for v in (x, scale, zero_point, options.get("random_bits"))]
    _, rep = quantize_affine(host[0], fmt, host[1], host[2], axis, report=True, **dict(options, random_bits=host[3]))
    return (q, rep) if report else q


backends.PLANS.update(affine_plan=affine_plan, affine_scalars=affine_scalars)
backends.KERNELS.update(float32_quotient_bits=float32_quotient_bits)
