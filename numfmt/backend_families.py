"""The posit and fixed-point families on the array backends (``numfmt.torch``, ``numfmt.jax``):
round, encode and decode evaluate the Numba kernels' own code (``kernels.posit.cast_one``,
``kernels.posit.posit_float_bits``, ``kernels.fixed.round_pow2_bits``) on tensors, rebound by
``numfmt.backends``.

Lanes: deterministic casts of float32 inputs run in the backend's float32 lanes (int32 on
torch and JAX: ``cast_one`` keeps every intermediate below 2**31 there, and the two
parameters that do not fit, the code mask and NaR of posit32, arrive wrapped); float64
inputs, values that float32 cannot hold (posit32's round) and formats beyond float32's
range ((n - 2) * 2**es > 126) run on float64 bits in int64 lanes, as the NumPy path does.
Stochastic rounding runs in int64 lanes (its exact fraction has 58 bits and a division by
2**(2**cut) - 1 where the cut falls in the exponent bits), so on JAX it needs x64 mode.

Fixed point (integers, q-formats): round and encode read the float64 bits of x (float32
inputs widen exactly) in int64 lanes, as the NumPy path does (its 63-bit fraction), so on JAX
they need x64 mode; decode into float32 (formats of up to 24 bits) runs in int32 lanes.
Under tracing the data checks cannot raise: NaN gives 0 (as nan="zero"), an infinity under
overflow="wrap" gives 0, and overflow="raise" saturates.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from . import backends
from .casts.common import code_dtype
from .casts import fixed as _fixed
from .casts.posit import cast_domain64, decode_table, overflow_error
from .formats.integer import FixedFormat
from .formats.posit import PositFormat
from .formats.registry import format as _format
from .kernels.posit import cast_params
from .rounding import ModeFlags, Rounding, mode_flags, nan_policy, overflow_policy, rounding_mode
from .stochastic import stochastic_args

TABLE_BITS = 16     # posits of up to 16 bits decode by lookup (as the NumPy path does)


class PositPlan(NamedTuple):
    """The checked arguments of a posit round/encode as plain values (``posit_plan``)."""

    fmt: PositFormat
    mode: Rounding
    overflow_raise: bool
    dom64: bool
    lane_bits: int
    q: tuple                 # kernels.posit.cast_params, wrapped to the lanes
    p: ModeFlags
    sr: tuple                # (k, rule_nearest); (1, 0) for deterministic modes
    stochastic: bool
    code_dtype: str


def _no_x64(fmt, why: str) -> ValueError:
    return ValueError(f"{fmt.name}: {why} needs 64-bit integers; enable 64-bit mode "
                      "(jax.config.update('jax_enable_x64', True))")


def posit_plan(backend: backends.Backend, fmt, rounding, overflow: str, nan: str, sr_bits, sr_rule: str,
               want_code: bool, input64: bool) -> PositPlan:
    """Every check and parameter of a posit round/encode that does not depend on the data, as
    the NumPy path computes them (``numfmt.casts.posit``), for this backend's lanes."""
    return _posit_plan(fmt, rounding, overflow, nan, sr_bits, sr_rule, want_code, input64,
                       backend.float32_lane_bits, backend.has_int64())


@functools.lru_cache(maxsize=None)
def _posit_plan(fmt, rounding, overflow: str, nan: str, sr_bits, sr_rule: str, want_code: bool, input64: bool,
               float32_lane_bits: int, has_int64: bool) -> PositPlan:
    fmt = _format(fmt)
    mode = rounding_mode(rounding)
    overflow_policy(overflow)
    nan_policy(nan, "posit")
    stochastic = mode == Rounding.STOCHASTIC
    if stochastic:
        sr = (stochastic_args(mode, (), 0, sr_bits, sr_rule, None)[1], int(sr_rule == "nearest"))
    else:
        stochastic_args(mode, (), None, sr_bits, sr_rule, None)        # the NumPy path's error, if any
        sr = (1, 0)
    dom64 = cast_domain64(fmt, input64, want_code)
    if dom64 and not has_int64:
        raise _no_x64(fmt, "float64 inputs, values beyond float32 or a range beyond float32's")
    if stochastic and not has_int64:
        raise _no_x64(fmt, "stochastic rounding of posits")
    lane_bits = 64 if dom64 or stochastic else float32_lane_bits
    q = tuple(backends.wrap(v, lane_bits) for v in cast_params.py_func(fmt.nbits, fmt.es))
    return PositPlan(fmt, mode, overflow == "raise", dom64, lane_bits, q, mode_flags(mode), sr, stochastic,
                     code_dtype(fmt.bits).name)


def posit_cast(backend: backends.Backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
               want_code: bool, rng: str = "splitmix64"):
    """round (want_code False) or encode x to a posit format on the backend: NaN and +-Inf
    give NaR, every value saturates at +-maxpos (overflow="raise" raises for finite inputs
    beyond maxpos, where not traced). ``numfmt.torch.round`` / ``encode`` and their JAX
    twins call it (through ``backends.float_cast``) for posit formats.

    >>> import torch, numfmt.torch as nft
    >>> nft.encode(torch.tensor([1.0, -1.0, 1e30, float("nan")]), "posit8").tolist()
    [64, 192, 127, 128]
    >>> nft.round(torch.tensor([3.3, 1e-30]), "posit8", "toward_zero").tolist()
    [3.25, 0.0]
    """
    x = backend.float_input(x)
    plan = backend.constant("posit_plan", fmt, rounding, overflow, nan, sr_bits, sr_rule, want_code,
                            backend.is_float64(x))
    rnd = backends.random_numbers(backend, x, plan.mode, plan.sr[0] if plan.stochastic else None, seed,
                                  random_bits, sr_rule, rng, plan.lane_bits)
    if plan.overflow_raise and not backend.traced(x):
        big = (abs(x) > plan.fmt.info.maxpos) & (abs(x) != float("inf"))
        count = backend.count(big)
        if count:
            raise overflow_error(plan.fmt, count, backends.size_of(x), x[big][0].item())
    lanes = backend.to_lanes(x, plan.dom64, plan.lane_bits)
    out = backend.kernel("posit_cast", plan.lane_bits)(lanes, plan.q, plan.p, 52 if plan.dom64 else 23, want_code,
                                                        plan.stochastic, backend.random64(rnd), plan.sr)
    if want_code:
        return backend.to_codes(out, plan.code_dtype)
    return backend.from_lanes(out, plan.dom64)


class PositDecodePlan(NamedTuple):
    """The checked arguments of a posit decode (``posit_decode_plan``)."""

    nbits: int
    es: int
    lane_bits: int
    table: tuple             # bit patterns of every code's value (up to TABLE_BITS bits), else ()
    compute: str             # "float32" or "float64"


@functools.lru_cache(maxsize=None)
def posit_decode_plan(backend: backends.Backend, fmt, dtype, has_int64: bool) -> PositDecodePlan:
    """Every check and parameter of a posit decode, as the NumPy path computes them."""
    fmt = _format(fmt)
    target = backend.float_dtype(dtype)
    if not (isinstance(target, np.dtype) and target in (np.float32, np.float64)):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if target == np.float32 and not fmt.fits_float32():
        raise ValueError(f"{fmt.name} has values that float32 cannot hold; pass dtype=float64")
    if target == np.float64 and not has_int64:
        raise _no_x64(fmt, "decoding into float64")
    lane_bits = 64 if target == np.float64 else backend.float32_lane_bits
    table = ()
    if fmt.nbits <= TABLE_BITS:
        table = tuple(decode_table(fmt, target).view(np.int32 if target == np.float32 else np.int64).tolist())
    return PositDecodePlan(fmt.nbits, fmt.es, lane_bits, table, target.name)


def posit_decode(backend: backends.Backend, codes, fmt, dtype):
    """The values of posit codes as float32 or float64 (NaR: NaN): a lookup in the NumPy
    path's table for formats of up to 16 bits, else ``posit_float_bits`` on the lanes.

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> nfj.decode(jnp.array([64, 192, 127, 128], jnp.uint8), "posit8").tolist()
    [1.0, -1.0, 16777216.0, nan]
    """
    plan = backend.constant("posit_decode_plan", fmt, dtype, backend.has_int64())
    lanes = backend.from_codes(codes, plan.nbits, plan.lane_bits)
    if plan.table:
        return backend.table(plan.table, plan.compute, lanes)[lanes]
    bits = backend.kernel("posit_decode", plan.lane_bits)(lanes, plan.nbits, plan.es, plan.compute == "float64")
    return backend.from_lanes(bits, plan.compute == "float64")


class FixedPlan(NamedTuple):
    """The checked arguments of a fixed-point round/encode (``fixed_plan``)."""

    fmt: FixedFormat
    bits: int                # the format's numbers as plain ints (tracers read no properties)
    frac_bits: int
    min_int: int
    max_int: int
    mode: int                # a Rounding number (kernels.fixed reads it)
    overflow: str            # saturate, wrap or raise
    nan_zero: bool
    lo: int                  # the kernel's saturation range (kernels.fixed.round_pow2_bits)
    hi: int
    sr: tuple                # (k, rule_nearest); (1, 0) for deterministic modes
    stochastic: bool
    float32_out: bool
    code_dtype: str


def fixed_plan(backend: backends.Backend, fmt, rounding, overflow: str, nan: str, sr_bits, sr_rule: str,
               want_code: bool, input64: bool) -> FixedPlan:
    """Every check and parameter of a fixed-point round/encode, as ``numfmt.casts.fixed``."""
    return _fixed_plan(fmt, rounding, overflow, nan, sr_bits, sr_rule, input64, backend.has_int64())


@functools.lru_cache(maxsize=None)
def _fixed_plan(fmt, rounding, overflow: str, nan: str, sr_bits, sr_rule: str, input64: bool,
                has_int64: bool) -> FixedPlan:
    fmt = _format(fmt)
    mode = rounding_mode(rounding)
    if overflow != "wrap":
        overflow_policy(overflow)
    nan_policy(nan, "fixed")
    stochastic = mode == Rounding.STOCHASTIC
    if stochastic:
        sr = (stochastic_args(mode, (), 0, sr_bits, sr_rule, None)[1], int(sr_rule == "nearest"))
    else:
        stochastic_args(mode, (), None, sr_bits, sr_rule, None)
        sr = (1, 0)
    overflow = _fixed.fixed_overflow(fmt, overflow)
    if not has_int64:
        raise _no_x64(fmt, "rounding to fixed point (exact on float64 bits)")
    return FixedPlan(fmt, fmt.bits, fmt.frac_bits, fmt.min_int, fmt.max_int, int(mode), overflow, nan == "zero",
                     *_fixed.kernel_range(fmt, overflow), sr, stochastic,
                     not input64 and fmt.bits <= 24, code_dtype(fmt.bits).name)


def fixed_cast(backend: backends.Backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
               want_code: bool, rng: str = "splitmix64"):
    """round (want_code False) or encode x to an integer or fixed-point format on the
    backend, bit-identical to ``numfmt.round`` / ``numfmt.encode``.

    >>> import torch, numfmt.torch as nft
    >>> nft.encode(torch.tensor([2.5, -2.5, 300.0, -1.0]), "int8").tolist()
    [2, 254, 127, 255]
    >>> nft.round(torch.tensor([0.3, -1.7]), "q3.4", "toward_zero").tolist()
    [0.25, -1.6875]
    """
    x = backend.float_input(x)
    plan = backend.constant("fixed_plan", fmt, rounding, overflow, nan, sr_bits, sr_rule, want_code,
                            backend.is_float64(x))
    fmt = plan.fmt
    rnd = backends.random_numbers(backend, x, Rounding(plan.mode), plan.sr[0] if plan.stochastic else None, seed,
                                  random_bits, sr_rule, rng, 64)
    ns = backend.namespace(64)
    traced = backend.traced(x)
    nan_mask = x != x
    if not traced:
        count = backend.count(nan_mask)
        if count and not plan.nan_zero:
            raise _fixed.nan_error(fmt, count, backends.size_of(x))
        if plan.overflow == "wrap" and backend.count(abs(x) == float("inf")):
            raise _fixed.wrap_error(fmt)
    lanes = backend.to_lanes(ns["where"](nan_mask, 0.0, x), True, 64)
    k = backend.kernel("fixed_round", 64)(lanes, -plan.frac_bits, plan.mode, plan.lo, plan.hi, plan.overflow == "wrap",
                                          backend.random64(rnd), *plan.sr)
    if plan.overflow == "raise":
        if not traced:
            exceeds = (k < plan.min_int) | (k > plan.max_int)
            count = backend.count(exceeds)
            if count:
                raise _fixed.overflow_error(fmt, count, backends.size_of(x), x[exceeds][0].item())
        k = ns["minimum"](ns["maximum"](k, plan.min_int), plan.max_int)
    if want_code:
        return backend.to_codes(k & ((1 << plan.bits) - 1), plan.code_dtype)
    values = ns["as_float"](k, backend.table((0,), "float64", k)) * 2.0 ** -plan.frac_bits
    return backend.to_float32(values) if plan.float32_out else values


class FixedDecodePlan(NamedTuple):
    """The checked arguments of a fixed-point decode (``fixed_decode_plan``)."""

    bits: int
    frac_bits: int
    signed: bool
    max_int: int
    lane_bits: int
    compute: str             # "float32" or "float64"


@functools.lru_cache(maxsize=None)
def fixed_decode_plan(backend: backends.Backend, fmt, dtype, has_int64: bool) -> FixedDecodePlan:
    """The checks of a fixed-point decode, as ``numfmt.casts.fixed.decode_float``."""
    fmt = _format(fmt)
    target = _fixed.decode_dtype(fmt, backend.float_dtype(dtype))
    if target == np.float64 and not has_int64:
        raise _no_x64(fmt, "decoding into float64")
    lane_bits = 64 if target == np.float64 else backend.float32_lane_bits
    return FixedDecodePlan(fmt.bits, fmt.frac_bits, fmt.signed, fmt.max_int, lane_bits, target.name)


def fixed_decode(backend: backends.Backend, codes, fmt, dtype):
    """The values k * 2**-frac_bits of codes (k the two's-complement integer of a code of a
    signed format) as float32 (formats of up to 24 bits: int32 lanes) or float64.

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> nfj.decode(jnp.array([2, 254, 127, 128], jnp.uint8), "q3.4").tolist()
    [0.125, -0.125, 7.9375, -8.0]
    """
    plan = backend.constant("fixed_decode_plan", fmt, dtype, backend.has_int64())
    k = backend.from_codes(codes, plan.bits, plan.lane_bits)
    if plan.signed:
        k = backend.namespace(plan.lane_bits)["where"](k > plan.max_int, k - (1 << plan.bits), k)
    table = backend.table((0,), plan.compute, k)
    return backend.namespace(plan.lane_bits)["as_float"](k, table) * 2.0 ** -plan.frac_bits


backends.FAMILIES.update(posit=(posit_cast, posit_decode), fixed=(fixed_cast, fixed_decode))
backends.PLANS.update(posit_plan=posit_plan, posit_decode_plan=posit_decode_plan, fixed_plan=fixed_plan,
                      fixed_decode_plan=fixed_decode_plan)
