"""The block family (MX, BFP with power-of-two scales; NVFP4) on the torch and JAX backends:
``numfmt.torch`` / ``numfmt.jax`` ``round``, ``encode`` and ``decode`` of a ``BlockFormat``,
bit-identical to the NumPy path (``numfmt.casts.block``).

Power-of-two scales, the same three steps as the Numba kernel ``kernels.block._pow2_rows``,
with its own functions rebound to the framework (``numfmt.backends``):

1. the largest magnitude of each block: a framework reduction (max of the magnitude bits,
   NaN above Inf) over the blocked axis, zero-padded with ``pad``;
2. its shared exponent: ``kernels.block.shared_exponent`` on the bits (float32 bits for
   float32 inputs: ``casts.block.rule_params`` states the rule's thresholds for either width);
3. each element x / 2**s rounded once by ``kernels.floating.round_one`` (saturating), the
   quotient formed on the bits by ``kernels.block.ldexp_bits`` (exact, rounded to odd below
   the normal range, as the NumPy kernel's float arithmetic does) and the value q * 2**s
   likewise: no float arithmetic, so XLA's flush of float32 subnormals never meets it.

A NaN scale (a NaN or Inf in the block, or a shared exponent above the scale format's) gives
the NaN value and the element format's positive NaN output (code), as the NumPy kernel does.
Element i draws random number i of x's C-order flattening, as in NumPy.

Scales with fraction bits (nvfp4) follow torchao's float32 recipe, as ``casts.block`` does,
in float32 tensor arithmetic with the scale and the elements rounded by ``round_one``.
XLA flushes float32 subnormals, so on JAX blocks whose quotients x / scale, inputs or tensor
scale are float32 subnormals would differ from NumPy: eagerly that raises ValueError, under
``jax.jit`` it is documented here (such inputs lie below about 2**-100 times the tensor's
largest magnitude).

Fixed-point elements (mxint8, bfp) round with ``kernels.fixed.round_pow2_bits`` (the fixed
family's backend kernel) on float64 bits, as the NumPy kernel does: on JAX they need x64 mode.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import numpy as np

from . import backends
from .casts import block as casts
from .casts.common import code_dtype
from .casts.floating import decode_table, kernel_params
from .formats.block import BlockFormat
from .formats.registry import format as _format
from .kernels.block import NAN_EXP
from .rounding import Rounding, overflow_policy, rounding_mode
from .stochastic import stochastic_args

_NAN_BITS = {23: 0x7FC00000, 52: 0x7FF8 << 48}     # the canonical quiet NaN of each domain


class BlockPlan(NamedTuple):
    """The checked arguments of a block round/encode as plain values (``block_plan``)."""

    fmt: BlockFormat         # (its properties are read here, not in the traced code: see below)
    name: str
    block_size: int
    power_of_two: bool
    tensor_scale: bool       # nvfp4's per-tensor scale
    mode: Rounding
    axis: int                # the blocked axis, non-negative
    tail: int                # zeros padding the blocked axis
    dom_m: int               # 23 or 52: the rounding domain's fraction bits
    lane_bits: int
    params: tuple            # round_one's FloatParams of the element, wrapped to the lanes
    sr: tuple                # (k, rule_nearest, q_shift_base), or () for deterministic modes
    rule: tuple              # shared_exponent's rule numbers (power-of-two scales)
    float64_out: bool        # round: float64 values, else float32
    element_bits: int        # the element codes' width (packed=True)
    code_dtype: str          # element codes' numpy dtype name
    scale_code_dtype: str
    scale_name: str          # the scale format's name
    scale_offset: int        # power-of-two scales: code = s + scale_offset ...
    scale_nan: int           # ... and this code for the NaN scale
    scale_params: tuple      # nvfp4: round_one's FloatParams of the scale (nearest even)
    consts: tuple            # nvfp4: float32 bits of max_elem * max_scale, 1, max_elem, the
                             # smallest and the largest block scale
    fixed: tuple             # fixed-point elements: (frac_bits, mode, lo, hi, k, rule_nearest,
                             # code mask), else ()


def block_format(fmt) -> BlockFormat | None:
    """fmt resolved, if it is a block format, else None (the float family takes it)."""
    fmt = _format(fmt)
    return fmt if isinstance(fmt, BlockFormat) else None


def _scale_codes(fmt: BlockFormat) -> tuple[int, int]:
    """(offset, NaN code) of a power-of-two scale format: the code of 2**s is s + offset."""
    table = decode_table(fmt.scale, np.dtype(np.float64))
    finite = np.isfinite(table) & (table > 0)
    exps = np.frexp(table[finite])[1] - 1
    codes = np.flatnonzero(finite)
    if not np.array_equal(codes - exps, np.full(codes.size, codes[0] - exps[0])):
        raise ValueError(f"the scale format {fmt.scale.name} does not number its powers of two in order")
    return int(codes[0] - exps[0]), int(np.flatnonzero(np.isnan(table))[0])


def block_plan(backend, *args) -> BlockPlan:
    """Every check and parameter of a block round/encode that does not depend on the data, in
    the NumPy path's order (``numfmt.casts.checked_cast``, ``casts.block._quantize``), for
    this backend's lanes (``Backend.constant("block_plan", ...)``)."""
    return _block_plan(*args, backend.float32_lane_bits, backend.has_int64())


@functools.lru_cache(maxsize=None)
def _block_plan(fmt, rounding, overflow: str, nan: str, sr_bits, sr_rule: str, rng: str, has_random_bits: bool,
                want_code: bool, input64: bool, shape: tuple, axis, pad: bool, float32_lane_bits: int,
                has_int64: bool) -> BlockPlan:
    fmt = _format(fmt)
    mode = rounding_mode(rounding)
    backends.check_rng(rng, mode == Rounding.STOCHASTIC, None)
    stochastic = mode == Rounding.STOCHASTIC
    if stochastic:
        k = stochastic_args(mode, (), 0, sr_bits, sr_rule, None)[1]
        backends.check_rng(rng, True, True if has_random_bits else None)
    elif sr_bits is not None or has_random_bits:
        stochastic_args(mode, (), None, sr_bits, sr_rule, 0 if has_random_bits else None)  # the NumPy error
    overflow_policy(overflow)
    casts.check_options(fmt, overflow, nan)
    axis = casts.blocked_axis(fmt, len(shape), axis)
    tail = casts.check_length(shape[axis], fmt, axis, pad)
    fixed_elements = fmt.element.family == "fixed"
    if fmt.power_of_two:     # fixed-point elements round on float64 bits, as the NumPy kernel does
        dom64 = input64 or fixed_elements or not casts.float32_domain(fmt)
    else:
        dom64 = False                  # the nvfp4 recipe is float32 throughout
    if dom64 and not has_int64:
        raise ValueError(f"{fmt.name} needs float64 to round exactly; enable 64-bit mode "
                         "(jax.config.update('jax_enable_x64', True))")
    lane_bits = 64 if dom64 else float32_lane_bits
    wrapped = lambda p: type(p)(*(backends.wrap(v, lane_bits) for v in p))  # noqa: E731
    sr = ()
    if stochastic:
        sr = tuple(backends.wrap(v, lane_bits) for v in
                   casts.element_params(fmt, dom64, mode, (None, k, sr_rule, None), want_code)[1])
    params, _, fx = casts.element_params(fmt, dom64, mode, None if not stochastic else (None, k, sr_rule, None),
                                         want_code)
    params = wrapped(params)
    fixed = ()
    if fixed_elements:       # kernels.fixed.round_pow2_bits' numbers (fx: casts.block.element_params)
        fixed = (fmt.element.frac_bits, int(mode), int(fx[2]), int(fx[3]), int(fx[4]), int(fx[5]), int(fx[6]))
    dom_m = 52 if dom64 else 23
    offset = nan_code = 0
    scale_params = ()
    if fmt.power_of_two:
        offset, nan_code = _scale_codes(fmt)
    else:
        scale_params = wrapped(kernel_params(fmt.scale, False, Rounding.NEAREST_EVEN, "saturate", "raise")[0])
    float64_out = fmt.power_of_two and (input64 or not casts.fits_float32(fmt))
    consts = () if fmt.power_of_two else tuple(
        int(np.float32(v).view(np.int32))
        for v in (fmt.element_max * fmt.scale.info.max, 1.0, fmt.element_max, casts.SCALE_MIN_NVFP4,
                  fmt.scale.info.max))
    return BlockPlan(fmt, fmt.name, fmt.block_size, fmt.power_of_two, fmt.tensor_scale is not None, mode, axis, tail,
                     dom_m, lane_bits, params, sr, casts.rule_params(fmt, dom_m) if fmt.power_of_two else (),
                     float64_out, fmt.element.bits, code_dtype(fmt.element.bits).name, code_dtype(fmt.scale.bits).name,
                     fmt.scale.name, offset, nan_code, scale_params, consts, fixed)


def block_cast(backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits, want_code: bool,
               rng: str = "splitmix64", axis=None, pad: bool = False, packed: bool = False):
    """round (want_code False) or encode (a ``BlockCodes`` of framework tensors) x to the
    block format fmt on the backend (``backends.FAMILIES["block"]``)."""
    x = backend.float_input(x)
    plan = backend.constant("block_plan", fmt, rounding, overflow, nan, sr_bits, sr_rule, rng,
                            random_bits is not None, want_code, backend.is_float64(x),
                            tuple(int(n) for n in x.shape), axis, bool(pad))
    ops = tensor_ops(backend)
    rnd = backends.random_numbers(backend, x, plan.mode, plan.sr[0] if plan.sr else None, seed, random_bits,
                                  sr_rule, rng, plan.lane_bits)
    bs, lane_bits, dom_m = plan.block_size, plan.lane_bits, plan.dom_m
    if not plan.power_of_two:
        return _nvfp4(backend, ops, x, plan, rnd, want_code, packed)
    lanes = backend.to_lanes(x, dom_m == 52, lane_bits)
    mag = lanes & backends.wrap((1 << (dom_m + (11 if dom_m == 52 else 8))) - 1, lane_bits)
    amax = ops.block_max(ops.pad(mag, plan.axis, plan.tail), plan.axis, bs)
    s_blocks = backend.kernel("shared_exponent", lane_bits)(amax, *plan.rule, dom_m)
    s = ops.repeat(s_blocks, bs, plan.axis, x.shape[plan.axis])
    nan_scale = s == NAN_EXP
    where = backend.namespace(lane_bits)["where"]
    d = where(nan_scale, 0, s)
    ldexp = backend.kernel("ldexp_bits", lane_bits)
    y = where(nan_scale, backends.wrap(_NAN_BITS[dom_m], lane_bits), ldexp(lanes, -d, dom_m))
    if plan.fixed:
        frac_bits, fmode, lo, hi, k, nearest, mask = plan.fixed
        q = backend.kernel("fixed_round", 64)(y, -frac_bits, fmode, lo, hi, False, backend.random64(rnd), k, nearest)
        q = where(nan_scale, 0, q)
        if want_code:
            q = q & mask
        else:                # the value k * 2**-frac_bits as float64 bits (exact)
            q = backend.to_lanes(backend.namespace(64)["as_float"](q, backend.table((0,), "float64", q))
                                 * 2.0 ** -frac_bits, True, 64)
    else:
        q = backend.kernel("round_one", lane_bits)(y, plan.params, want_code, dom_m, bool(plan.sr), rnd, plan.sr)
    if want_code:
        scales = where(s_blocks == NAN_EXP, plan.scale_nan, s_blocks + plan.scale_offset)
        return _codes(ops, backend.to_codes(q, plan.code_dtype), backend.to_codes(scales, plan.scale_code_dtype),
                      None, plan, tuple(x.shape), packed)
    v = where(nan_scale, backends.wrap(_NAN_BITS[dom_m], lane_bits), ldexp(q, d, dom_m))
    values = backend.from_lanes(v, dom_m == 52)
    if not plan.float64_out and dom_m == 52:
        values = backend.to_float32(values)
    if not plan.float64_out and not backend.traced(x):
        too_big = backend.count(abs(values) == math.inf)
        if too_big:
            raise OverflowError(f"{too_big} values of x quantized to {plan.name} exceed float32's range; "
                                "pass x as float64")
    return values


def _codes(ops, codes, scales, tensor_scale, plan: BlockPlan, shape: tuple, packed: bool) -> casts.BlockCodes:
    """The BlockCodes of encode, its element codes packed as ``casts.block.pack`` packs them
    (``packed=True``: 4-bit and 6-bit elements)."""
    if packed:
        codes = casts.pack(codes, plan.element_bits, ops)
    return casts.BlockCodes(codes, scales, tensor_scale, plan.fmt, plan.axis, shape, packed)


def _nvfp4(backend, ops, x, plan: BlockPlan, rnd, want_code: bool, packed: bool):
    """Scales with fraction bits: ``kernels.block.nvfp4_scale`` per block and ``nvfp4_element``
    per element (as ``quantize_fp32_scaled``), in float32 tensor arithmetic."""
    lane_bits = plan.lane_bits
    ns = backend.namespace(lane_bits)
    x32 = backend.to_float32(x)
    mag = backend.to_lanes(x32, False, lane_bits) & 0x7FFFFFFF
    consts = backend.table(plan.consts, "float32", x32)
    ts = consts[1]
    if plan.tensor_scale:      # casts.block.tensor_scale_of, on the finite amax
        amax = ops.all_max(ns["where"](mag < 0x7F800000, mag, 0))
        ts = ns["f32_value"](amax) / consts[0]
        ts = ns["where"](ts > 0, ts, consts[1])
    flush_check = backend.flushes_subnormals and not backend.traced(x)
    if flush_check and plan.tensor_scale:
        _check_flush(backend, plan.name, backend.count((amax > 0) & (amax < _TINY_AMAX)))
    amax = ns["f32_value"](ops.block_max(ops.pad(mag, plan.axis, plan.tail), plan.axis, plan.block_size))
    svals, total = backend.kernel("nvfp4_scale", lane_bits)(amax, plan.scale_params, ts, *consts[2:])
    total = ops.repeat(total, plan.block_size, plan.axis, x.shape[plan.axis])
    if flush_check and plan.mode in (Rounding.TOWARD_POSITIVE, Rounding.TOWARD_NEGATIVE, Rounding.ODD):
        _check_flush(backend, plan.name, backend.count((mag != 0) & (abs(x32 / total) < 2.0 ** -126)))
    q, v = backend.kernel("nvfp4_element", lane_bits)(x32, total, plan.params, want_code, bool(plan.sr), rnd, plan.sr)
    if not want_code:
        return ops.to_float64(v) if backend.is_float64(x) else v
    scale_codes = backends.float_cast(backend, svals, plan.scale_name, "nearest_even", "ieee", "raise", None, None,
                                      "add", None, True)
    return _codes(ops, backend.to_codes(q, plan.code_dtype), scale_codes, ts if plan.tensor_scale else None, plan,
                  tuple(x.shape), packed)


_TINY_AMAX = int(np.float32(2.0 ** -119 * 2688).view(np.int32))    # tensor scales below 2**-119


def _check_flush(backend, name: str, count: int) -> None:
    """ValueError where XLA's flush of float32 subnormals would change an nvfp4 result (count
    > 0): a tensor whose finite amax is nonzero and below 2688 * 2**-119 (its tensor scale, block
    scales or values would be subnormal), or, in the modes that round a tiny nonzero quotient
    away from zero (toward_positive, toward_negative, odd), an element whose quotient x /
    scale is below 2**-126 (a subnormal input included)."""
    if count:
        raise ValueError(f"{name} on {backend.name}: {count} values meet float32 subnormals, which XLA "
                         "flushes to zero, changing the result; use numfmt.round (NumPy) for them")


class BlockDecodePlan(NamedTuple):
    """The checked arguments of a block decode as plain values (``block_decode_plan``)."""

    name: str
    element: object          # the element's FloatFormat
    scale: object            # the scale's FloatFormat
    block_size: int
    power_of_two: bool
    dom64: bool              # power-of-two scales: values formed on float64 bits
    lane_bits: int
    scale_offset: int        # power-of-two scales: code = s + scale_offset; NaN code
    scale_nan: int
    float64_out: bool


@functools.lru_cache(maxsize=None)
def block_decode_plan(backend, fmt_given, fmt: BlockFormat, dtype) -> BlockDecodePlan:
    """Every check and parameter of a block decode, as ``casts.block.decode_codes`` has them."""
    target = np.dtype(backend.float_dtype(dtype))
    if target not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if fmt_given is not None and _format(fmt_given) != fmt:
        raise ValueError(f"fmt {_format(fmt_given).name} does not match the BlockCodes' format {fmt.name}")
    dom64 = fmt.power_of_two and (target == np.float64 or not casts.fits_float32(fmt))
    if dom64 and not backend.has_int64():
        raise ValueError(f"decoding {fmt.name} into {target} needs float64; enable 64-bit mode "
                         "(jax.config.update('jax_enable_x64', True))")
    offset, nan_code = _scale_codes(fmt) if fmt.power_of_two else (0, 0)
    return BlockDecodePlan(fmt.name, fmt.element, fmt.scale, fmt.block_size, fmt.power_of_two, dom64,
                           64 if dom64 else backend.float32_lane_bits, offset, nan_code, target == np.float64)


def block_decode(backend, obj, fmt, dtype):
    """The values of a ``BlockCodes`` of framework tensors (``encode``'s result), as
    ``numfmt.decode`` gives them: float32 (default) or float64 (``backends.FAMILIES["block"]``;
    bare codes with a block format: TypeError, as in NumPy)."""
    if not isinstance(obj, casts.BlockCodes):
        raise TypeError(f"decode of the block format {_format(fmt).name} needs the BlockCodes that encode "
                        "returned (it carries the scales)")
    plan = backend.constant("block_decode_plan", fmt, obj.fmt, dtype)
    ops = tensor_ops(backend)
    if obj.packed:      # (codes of NumPy's encode: unpacked by NumPy, then taken as the unpacked ones are)
        unpack_ops = ops if backend.is_tensor(obj.codes) else None
        obj = dataclasses.replace(obj, codes=casts.unpack(obj.codes, plan.element.bits, obj.shape, unpack_ops),
                                  packed=False)
    if not plan.power_of_two:
        return _nvfp4_decode(backend, ops, obj, plan)
    dom64, lane_bits = plan.dom64, plan.lane_bits
    dom_m, dom_exp = (52, 11) if dom64 else (23, 8)
    elements = backends.float_decode(backend, obj.codes, plan.element, "float64" if dom64 else "float32")
    lanes = backend.to_lanes(elements, dom64, lane_bits)
    scales = backend.from_codes(obj.scales, plan.scale.bits, lane_bits, "scales")
    s = ops.repeat(scales, plan.block_size, obj.axis, obj.shape[obj.axis])
    where = backend.namespace(lane_bits)["where"]
    nan_scale = s == plan.scale_nan
    v = backend.kernel("ldexp_bits", lane_bits)(lanes, where(nan_scale, 0, s - plan.scale_offset), dom_m)
    elem_nan = (lanes & backends.wrap((1 << (dom_m + dom_exp)) - 1, lane_bits)) > \
        backends.wrap(((1 << dom_exp) - 1) << dom_m, lane_bits)
    v = where(nan_scale & ~elem_nan, backends.wrap(_NAN_BITS[dom_m], lane_bits), v)
    values = backend.from_lanes(v, dom64)
    if not plan.float64_out:
        values = backend.to_float32(values)
        if not backend.traced(values) and backend.count(abs(values) == math.inf) > backend.count(
                abs(elements) == math.inf):
            raise OverflowError(f"values of these {plan.name} codes exceed float32's range; pass dtype=np.float64")
    return values


def _nvfp4_decode(backend, ops, obj, plan: BlockDecodePlan):
    """fl32(element * fl32(tensor_scale * block scale)), as ``casts.block.decode_codes``."""
    elements = backends.float_decode(backend, obj.codes, plan.element, "float32")
    scales = backends.float_decode(backend, obj.scales, plan.scale, "float32")
    if obj.tensor_scale is not None:
        scales = obj.tensor_scale * scales
    total = ops.repeat(scales, plan.block_size, obj.axis, obj.shape[obj.axis])
    values = elements * total
    if backend.flushes_subnormals and not backend.traced(values):
        _check_flush(backend, plan.name, backend.count(((scales != 0) & (abs(scales) < 2.0 ** -126))) + backend.count(
            (elements != 0) & (abs(total) >= 2.0 ** -126) & (abs(values) < 2.0 ** -126)))
    return ops.to_float64(values) if plan.float64_out else values


# ------------------------------------------------------------------------- framework shapes
class _TorchOps:
    """Padding, block maxima, the repetition of block scales and what ``casts.block.pack``
    needs, in torch."""

    def __init__(self):
        import torch
        self.torch = torch

    def pad(self, a, axis: int, n: int):
        if not n:
            return a
        shape = list(a.shape)
        shape[axis] = n
        return self.torch.cat([a, a.new_zeros(shape)], dim=axis)

    def block_max(self, a, axis: int, bs: int):
        shape = tuple(a.shape)
        return a.reshape(shape[:axis] + (shape[axis] // bs, bs) + shape[axis + 1:]).amax(dim=axis + 1)

    def repeat(self, s, bs: int, axis: int, n: int):
        return self.torch.repeat_interleave(s, bs, dim=axis).narrow(axis, 0, n)

    def all_max(self, a):
        return self.torch.nn.functional.pad(a.reshape(-1), (0, 1)).amax()

    def to_float64(self, v):
        return v.to(self.torch.float64)

    def stack(self, arrays, axis: int):
        return self.torch.stack(arrays, dim=axis)

    def astype(self, a, name: str):
        return a.to(getattr(self.torch, name))


class _JaxOps:
    """Padding, block maxima, the repetition of block scales and what ``casts.block.pack``
    needs, in JAX."""

    def __init__(self):
        import jax
        import jax.numpy as jnp
        self.jax, self.jnp = jax, jnp

    def pad(self, a, axis: int, n: int):
        if not n:
            return a
        shape = list(a.shape)
        shape[axis] = n
        return self.jnp.concatenate([a, self.jnp.zeros(shape, a.dtype)], axis=axis)

    def block_max(self, a, axis: int, bs: int):
        shape = tuple(a.shape)
        return a.reshape(shape[:axis] + (shape[axis] // bs, bs) + shape[axis + 1:]).max(axis=axis + 1)

    def repeat(self, s, bs: int, axis: int, n: int):
        return self.jax.lax.slice_in_dim(self.jnp.repeat(s, bs, axis=axis), 0, n, axis=axis)

    def all_max(self, a):
        return self.jnp.max(a, initial=0)

    def to_float64(self, v):
        return v.astype(self.jnp.float64)

    def stack(self, arrays, axis: int):
        return self.jnp.stack(arrays, axis=axis)

    def astype(self, a, name: str):
        return a.astype(name)


_OPS: dict = {}


def tensor_ops(backend):
    """The shape operations of the block casts for a backend (by its name; a dict, not an
    lru_cache, which torch.compile would trace through)."""
    if backend.name not in _OPS:
        _OPS[backend.name] = {"torch": _TorchOps, "jax": _JaxOps}[backend.name]()
    return _OPS[backend.name]


backends.FAMILIES.update(block=(block_cast, block_decode))
backends.PLANS.update(block_plan=block_plan, block_decode_plan=block_decode_plan)
