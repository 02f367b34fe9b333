"""The posit family on the array backends (``numfmt.torch``, ``numfmt.jax``): round, encode
and decode evaluate the Numba kernels' own code (``kernels.posit.cast_one``,
``kernels.posit.posit_float_bits``) on tensors, rebound by ``numfmt.backends``.

Lanes: deterministic casts of float32 inputs run in the backend's float32 lanes (int32 on
torch and JAX: ``cast_one`` keeps every intermediate below 2**31 there, and the two
parameters that do not fit, the code mask and NaR of posit32, arrive wrapped); float64
inputs, values that float32 cannot hold (posit32's round) and formats beyond float32's
range ((n - 2) * 2**es > 126) run on float64 bits in int64 lanes, as the NumPy path does.
Stochastic rounding runs in int64 lanes (its exact fraction has 58 bits and a division by
2**(2**cut) - 1 where the cut falls in the exponent bits), so on JAX it needs x64 mode.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from . import backends
from .casts.common import code_dtype
from .casts.posit import cast_domain64, decode_table, overflow_error
from .formats.posit import PositFormat
from .formats.registry import format as _format
from .kernels.posit import cast_params
from .rounding import ModeFlags, Rounding, mode_flags, overflow_policy, rounding_mode
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
            raise overflow_error(plan.fmt, count, backends._size(x), x[big][0].item())
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


backends.FAMILIES["posit"] = (posit_cast, posit_decode)
backends.PLANS.update(posit_plan=posit_plan, posit_decode_plan=posit_decode_plan)
