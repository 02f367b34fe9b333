"""The emulated matmul on torch and JAX tensors (``numfmt.torch.matmul``, ``numfmt.jax.matmul``),
bit-identical to ``numfmt.matmul`` for the orders "sequential", "blocked" and "fused" and for
``promote_every``, written once for both frameworks.

Vectorized over the output elements: a loop over k of tensor operations (torch: Python;
JAX: jitted steps, a sequential run of adds one ``lax.fori_loop``), each step one of the
roundings the NumPy kernel (``numfmt.kernels.accumulate``) performs, for every output element
at once. The rounding is the float family's ``round_one`` (rebound by the
backend, ``numfmt.backends``); what comes before it is exact:

- products: a[..., i, k] * b[..., k, j] in the float domain, exact where the domain holds every
  product (checked from the formats, below), then rounded to ``product=`` when given;
- an addition s + t: TwoSum gives s' = RN(s + t) and the exact error e; s' with its last bit
  forced odd when e != 0 (toward zero: the predecessor where e points toward zero) is the
  exact sum rounded to odd at the domain's precision P, which ``round_one`` then rounds
  correctly to any format of precision <= P - 2 (and stochastically with k random bits while
  precision + k + 2 <= P). The NumPy kernel's float64 route (``kernels.arith.odd_sum_bits``)
  is the same construction. A binary32 accumulator in nearest_even adds in float32
  (``machine_sum.machine_add``); in a nearest mode, an accumulator of precision p with
  2p + 1 <= P whose terms have at most p bits and lie on its grid of subnormals adds in the
  domain and rounds once (``_near``): the domain's rounding then never lands on a tie or on
  the overflow threshold (points of p + 1 bits, multiples of 2**(e - p), e their exponent)
  unless the exact sum x + y is that point m. Were RN_P(x + y) = m != x + y, then
  |x + y - m| <= 2**(e - P), so the addend with the lower last bit, say y, has it at or below
  2**(e - P): |y| < 2**(e - P + p); and x, a multiple of 2**(e - p) (|x| > 2**(e - 1)) of at
  most p bits, is not m: |x + y - m| > 2**(e - p) - 2**(e - P + p) >= 2**(e - P), a
  contradiction. (Below the accumulator's smallest normal, where ties have fewer bits, both
  addends lie on its grid and their sum is exact.) On eager CPU torch, roundings to bfloat16, binary16 and e5m2 in
  nearest_even with overflow "ieee" are torch's own conversions (``.to``, the bits of
  round_one on the values the float32 domain holds: 0 and normal numbers; ``_Torch.casts``);
- a fused step: every addend's integer significand truncated to the step's grid, summed in
  integer lanes, rounded to odd at P bits, rounded once.

The float domain is float32 (int32 lanes) where the formats allow it, else float64 (torch;
JAX with x64 enabled). Where neither is exact, ValueError says which argument to change.
Stochastic rounding draws SplitMix64 number o * 8 * n + j of the seed for rounding j of output
element o, the NumPy kernel's numbering.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from .accumulate import make_plan, matmul_shape
from .backends import Backend, float_cast, wrap
from .casts.floating import fits_float32, kernel_params, sr_params
from .formats.floating import FloatFormat
from .formats.registry import format as _format
from .intacc import IntegerPlan
from .kernels.accumulate import ROUNDINGS_PER_TERM
from .kernels.floating import NO_SR
from .machine_sum import machine_add
from .rounding import Rounding
from .stochastic import stochastic_args

DEVICE_ORDERS = ("sequential", "blocked", "fused")


class Domain(NamedTuple):
    """A float domain: its precision, mantissa bits, bias, largest finite value."""

    dom64: bool
    P: int
    m: int
    bias: int
    max: Fraction


_DOMAINS = {False: Domain(False, 24, 23, 127, Fraction(np.finfo(np.float32).max.item())),
            True: Domain(True, 53, 52, 1023, Fraction(np.finfo(np.float64).max.item()))}


def _qsub(fmt: FloatFormat) -> int:
    """The exponent of fmt's smallest quantum."""
    return fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin


def _near(plan, dom: Domain) -> bool:
    """Whether rounding the domain's sum of two addends (an accumulator value and a term, or two
    accumulator values) to the accumulator is rounding their exact sum: a nearest mode, the
    domain's precision at least 2p + 1 for the accumulator's p, terms of at most p bits on
    the accumulator's grid of subnormals (the module docstring's proof)."""
    acc, fmt, prod = plan.acc, plan.fmt, plan.product
    p = acc.man_bits + 1
    bits, low = (2 * (fmt.man_bits + 1), 2 * _qsub(fmt)) if prod is None else (prod.man_bits + 1, _qsub(prod))
    return (plan.mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY) and dom.P >= 2 * p + 1
            and bits <= p and low >= _qsub(acc))


def _addition(plan, order: str, dom: Domain) -> str:
    """How the reduction adds (``_sum``): "float", the domain's own addition is the
    accumulator's (binary32 in float32, binary64 in float64, nearest even); "near", the
    domain's addition rounded once (``_near``); else "odd", rounded to odd first (fused steps
    add their own way)."""
    if order == "fused":
        return "odd"
    if machine_add(plan.acc, plan.mode) == (np.float64 if dom.dom64 else np.float32):
        return "float"
    return "near" if _near(plan, dom) else "odd"


class DevicePlan(NamedTuple):
    """What a device matmul runs with: the domain, the rounding parameters wrapped to its lanes."""

    dom: Domain
    lane_bits: int
    acc: tuple                 # round_one parameters of the accumulator
    prod: tuple | None         # ... of product=, or None (exact products)
    promote: tuple             # ... of the promotion's binary32 (nearest even)
    add: str                   # how sums are rounded: "float", "near", "odd" (``_addition``)
    cast: str | None           # the framework dtype whose conversion rounds to the accumulator, or None
    sr: tuple                  # stochastic parameters of the accumulator, () if deterministic
    prod_sr: tuple
    rdn: bool                  # rounding toward negative: an exact zero sum is -0
    saturate: bool             # overflow="saturate" ("float" then rounds its sums once more)
    order: str
    cfg: tuple                 # (block, fused_terms, alignment_bits, promote_every)


def _domain_problem(plan, order: str, dom: Domain, k_sr: int | None) -> str | None:
    """Why the domain cannot hold this matmul exactly (the argument, what fails), or None."""
    fmt, acc, prod = plan.fmt, plan.acc, plan.product
    _, fk, align, _ = (int(v) for v in plan.cfg)
    name = f"float{32 << dom.dom64}"
    low = 2 - dom.bias                      # the smallest normal exponent (XLA flushes subnormals)
    top = 1024 if dom.dom64 else 128        # 2**top: the domain's overflow
    if 2 * (fmt.man_bits + 1) > dom.P or 2 * _qsub(fmt) < low or 2 * fmt.info.maxexp > top:
        return (f"fmt: products of {fmt.name} values are not all exact in {name} (precision "
                f"{2 * (fmt.man_bits + 1)}, from 2**{2 * _qsub(fmt)} to 2**{2 * fmt.info.maxexp})")
    for argument, f in (("accumulator", acc), ("product", prod)):
        if f is not None and not dom.dom64 and not fits_float32(f):
            return f"{argument}: {f.name} has values float32 cannot hold"
    float_add = _addition(plan, order, dom) == "float"
    odd_p = dom.P - 2 - (0 if k_sr is None else k_sr)   # round to odd at P bits, then to these
    fused_exact = order == "fused" and align + 1 + max(fk, 1).bit_length() <= dom.P
    if not (float_add or fused_exact or acc.man_bits + 1 <= odd_p):
        what = (f"stochastic rounding with sr_bits={k_sr} to {acc.name} needs precision + sr_bits + 2 "
                f"<= {dom.P}" if k_sr is not None else
                f"rounding={plan.mode.name.lower()!r} to {acc.name} needs a precision <= {dom.P - 2}")
        return f"accumulator: {what} in {name}"
    term_max = Fraction(fmt.info.max) ** 2 if prod is None else Fraction(prod.info.max)
    # (a fused step's sum is an integer: its overflow is caught, ``_fused_step``)
    if not float_add and order != "fused" and Fraction(acc.info.max) + term_max > dom.max:
        return f"accumulator: sums of {acc.name} values and the terms may overflow {name}"
    if order == "fused":
        if not dom.dom64 and align + 1 + max(fk, 1).bit_length() > 31:
            return (f"alignment_bits: a fused step of {fk} terms with {align} alignment bits needs "
                    f"{align + 1 + max(fk, 1).bit_length()}-bit integers; float32's lanes have 31")
        # every nonzero addend is a multiple of the terms' smallest quantum, so the grid is not finer
        lowest = 2 * _qsub(fmt) if prod is None else min(2 * _qsub(fmt), _qsub(prod))
        if lowest - align < low:
            return f"alignment_bits: the fused grid 2**(emax - {align}) goes below {name}'s normal range"
    return None


def device_plan(backend: Backend, plan, order: str, k_sr: int | None, sr_rule: str,
                casts: dict | None = None) -> DevicePlan:
    """The domain and parameters of a device matmul, or ValueError (what to change); ``casts``
    maps accumulator formats to the framework dtypes whose conversion from float32 rounds to
    them in nearest even with overflow to Inf (``_Torch.casts``)."""
    if order not in DEVICE_ORDERS:
        raise ValueError(f"order must be one of {DEVICE_ORDERS} on the {backend.name} backend "
                         f"(promote_every combines with each); got {order!r}: use numfmt.matmul")
    if plan.overflow == "raise":
        raise ValueError(f"overflow='raise' is not available on the {backend.name} backend; use 'ieee' or "
                         "'saturate', or numfmt.matmul")
    problems = []
    for dom64 in (False, True):
        if dom64 and not backend.has_int64():
            problems.append("float64 is off (enable x64: jax.config.update('jax_enable_x64', True))")
            break
        problem = _domain_problem(plan, order, _DOMAINS[dom64], k_sr)
        if problem is None:
            return _make_device_plan(backend, plan, order, _DOMAINS[dom64], k_sr, sr_rule, casts or {})
        problems.append(problem)
    raise ValueError(f"the {backend.name} matmul cannot be exact here: " + "; ".join(dict.fromkeys(problems))
                     + ". numfmt.matmul (NumPy) computes every case")


def _make_device_plan(backend, plan, order, dom, k_sr, sr_rule, casts) -> DevicePlan:
    lane_bits = 64 if dom.dom64 else backend.float32_lane_bits

    def params(fmt, mode, stochastic):
        p = kernel_params(fmt, dom.dom64, mode, plan.overflow, "raise")[0]
        sr = tuple(wrap(v, lane_bits) for v in sr_params(fmt, dom.dom64, k_sr, sr_rule)) if stochastic else ()
        return type(p)(*(wrap(v, lane_bits) for v in p)), sr

    stochastic = k_sr is not None
    acc, sr = params(plan.acc, plan.mode, stochastic)
    prod, prod_sr = params(plan.product, plan.mode, stochastic) if plan.product is not None else (None, ())
    promote, _ = params(_format("binary32"), Rounding.NEAREST_EVEN, False)
    # every value the float32 domain holds here is 0 or normal (``_domain_problem``), as casts need
    cast = (casts.get(plan.acc) if not dom.dom64 and plan.mode == Rounding.NEAREST_EVEN and plan.overflow == "ieee"
            else None)
    return DevicePlan(dom, lane_bits, acc, prod, promote, _addition(plan, order, dom), cast, sr, prod_sr,
                      plan.mode == Rounding.TOWARD_NEGATIVE, plan.overflow == "saturate", order,
                      tuple(int(v) for v in plan.cfg))


# ----- the steps: tensor functions of one rounding for every output element at once

class _Torch:
    """What the steps need of torch beyond the backend."""

    def __init__(self):
        import torch
        self.torch = torch

    def casts(self, x) -> dict:
        """The accumulators whose rounding of normal float32 values in nearest_even with overflow
        "ieee" is ``.to`` on x's device, whatever ``torch.set_flush_denormal`` says: eager CPU
        (tested there bit for bit; compiled graphs may skip a rounding)."""
        if x.device.type != "cpu" or self.torch.compiler.is_compiling():
            return {}
        return {_format(name): dtype for name, dtype in (("bfloat16", "bfloat16"), ("binary16", "float16"),
                                                         ("e5m2", "float8_e5m2"))}

    def zeros(self, shape, like):
        return self.torch.zeros(shape, dtype=like.dtype, device=like.device)

    def cast(self, x, dtype: str):
        return x.to(getattr(self.torch, dtype))

    def arange(self, n: int, like):
        return self.torch.arange(n, dtype=self.torch.int64, device=like.device)

    def jit(self, name, fn):
        return fn

    @staticmethod
    def loop(lo: int, hi: int, body, init):
        for kk in range(lo, hi):
            init = body(kk, init)
        return init


class _Jax:
    """What the steps need of JAX beyond the backend; each step is one jitted computation."""

    def __init__(self):
        import jax
        import jax.numpy as jnp
        self.jax, self.jnp = jax, jnp

    def zeros(self, shape, like):
        return self.jnp.zeros(shape, like.dtype)

    def cast(self, x, dtype: str):
        return x.astype(getattr(self.jnp, dtype))

    def arange(self, n: int, like):
        return self.jnp.arange(n, dtype=self.jnp.int32)     # (u64 below widens it)

    def casts(self, x) -> dict:
        """None: XLA may keep a float32 value where a conversion asks to round it (its flag
        ``xla_allow_excess_precision``, on by default), so JAX rounds with round_one."""
        return {}

    def loop(self, lo, hi, body, init):
        return self.jax.lax.fori_loop(lo, hi, body, init)

    def jit(self, name, fn):
        """fn jitted (once): the context static, and the fused step's size."""
        jitted = self.__dict__.setdefault("_jitted", {})
        if name not in jitted:
            jitted[name] = self.jax.jit(fn, static_argnums=(0, 1, 2) if name == "_fused_step" else (0,))
        return jitted[name]


_FRAMEWORKS = {"torch": _Torch, "jax": _Jax}
_MAG = {False: (1 << 31) - 1, True: (1 << 63) - 1}          # the magnitude bits of the domain
_INF = {False: 0xFF << 23, True: 0x7FF << 52}


_FLOAT = {False: "float32", True: "float64"}
_LANE = {32: "int32", 64: "int64"}


class _Ctx(NamedTuple):
    """The per-call constants of the steps (static under jit: hashable)."""

    backend: Backend
    fw: object                 # _Torch or _Jax
    dp: DevicePlan
    k: int                     # random bits per rounding (0: deterministic)


def _round(c: _Ctx, x, params, sr, rnd, cast: str | None = None):
    """x (domain floats, exact) rounded once by round_one with these parameters, or by the
    framework's conversion to ``cast`` and back, which rounds the same (``DevicePlan.cast``)."""
    if cast:
        return c.fw.cast(c.fw.cast(x, cast), _FLOAT[False])
    dom = c.dp.dom
    lanes = c.backend.to_lanes(x, dom.dom64, c.dp.lane_bits)
    out = c.backend.kernel("round_one", c.dp.lane_bits)(lanes, params, False, dom.m, bool(sr), rnd if sr else 0,
                                                           sr if sr else NO_SR)
    return c.backend.from_lanes(out, dom.dom64)


def _odd_sum(c: _Ctx, s, t, rdn: bool):
    """s + t rounded to odd at the domain's precision (TwoSum; specials and zero signs as
    IEEE addition, -0 for cancellation where ``rdn``: rounding toward negative; NaNs as the
    domain makes them), as domain floats. Where e != 0 the magnitude's last bit is set, after
    a step down where e points toward zero (never from 0: x != 0), in 0/1 lanes (no select)."""
    ns = c.backend.namespace(c.dp.lane_bits)
    dom = c.dp.dom
    x = s + t
    z = x - s
    e = (s - (x - z)) + (t - z)
    lanes = lambda v: c.backend.to_lanes(v, dom.dom64, c.dp.lane_bits)  # noqa: E731
    bits = lanes(x)
    inexact = ns["lane"]((e != 0) & ((bits & _MAG[dom.dom64]) < _INF[dom.dom64]))
    bits = (bits - (inexact & ns["lane"]((e > 0) != (x > 0)))) | inexact
    if rdn:
        bits = ns["where"]((bits & _MAG[dom.dom64]) == 0, (lanes(s) | lanes(t)) & ~_MAG[dom.dom64], bits)
    return c.backend.from_lanes(bits, dom.dom64)


def _positive_nan(c: _Ctx, x):
    """x with every NaN the positive one (what the NumPy kernel's binary32 sums give)."""
    return c.backend.namespace(c.dp.lane_bits)["where"](x != x, float("nan"), x)


def _acc_nan(c: _Ctx, x):
    """x with every NaN the accumulator's NaN value (what the NumPy kernel's sums give)."""
    lanes = c.backend.to_lanes(x, c.dp.dom.dom64, c.dp.lane_bits)
    return c.backend.from_lanes(c.backend.namespace(c.dp.lane_bits)["where"](x != x, c.dp.acc.nan0, lanes),
                                c.dp.dom.dom64)


def _sum(c: _Ctx, s, t, params, sr, rnd, add: str, rdn: bool, cast: str | None = None):
    """s + t rounded once (``kernels.accumulate._add``) the ``add`` way (``_addition``): "float",
    the domain's sum (saturation applied by one more rounding); "near", the domain's sum
    rounded; "odd", the sum rounded to odd, then rounded. NaNs come out as the domain makes
    them: the caller gives them the NumPy kernel's sign once (``_acc_nan``)."""
    if add == "float" and not c.dp.saturate:
        return s + t
    return _round(c, _odd_sum(c, s, t, rdn) if add == "odd" else s + t, params, sr, rnd, cast)


def _rnd(c: _Ctx, seed, base, j):
    """The random number of rounding j of every output element (0 when deterministic)."""
    if not c.k:
        return 0
    return c.backend.kernel("splitmix_bits", c.dp.lane_bits)(seed, base + j, c.k)


def _term(c: _Ctx, a, b, kk, seed, base):
    """The terms a[..., i, kk] * b[..., kk, j] (exact), rounded to product= when given (the
    product of term kk draws random number kk: the NumPy kernel rounds the products first)."""
    t = a[..., kk][..., :, None] * b[..., kk, :][..., None, :]
    if c.dp.prod is None:
        return t
    return _round(c, t, c.dp.prod, c.dp.prod_sr, _rnd(c, seed, base, kk))


def _first_term(c: _Ctx, a, b, kk, seed, base, j):
    return _round(c, _term(c, a, b, kk, seed, base), c.dp.acc, c.dp.sr, _rnd(c, seed, base, j), c.dp.cast)


def _add_term(c: _Ctx, s, a, b, kk, seed, base, j):
    t = _term(c, a, b, kk, seed, base)
    return _sum(c, s, t, c.dp.acc, c.dp.sr, _rnd(c, seed, base, j), c.dp.add, c.dp.rdn, c.dp.cast)


def _add_terms(c: _Ctx, s, a, b, lo, hi, seed, base, j0):
    """s + term lo + ... + term hi - 1, each addition rounded (rounding j0 + kk - lo for term kk):
    one loop of the framework (``lax.fori_loop`` in JAX: one computation, no dispatch per k)."""
    return c.fw.loop(lo, hi, lambda kk, s: _add_term(c, s, a, b, kk, seed, base, j0 + kk - lo), s)


def _round_value(c: _Ctx, v, seed, base, j):
    return _round(c, v, c.dp.acc, c.dp.sr, _rnd(c, seed, base, j), c.dp.cast)


def _add_value(c: _Ctx, s, v, seed, base, j):
    return _sum(c, s, v, c.dp.acc, c.dp.sr, _rnd(c, seed, base, j), c.dp.add, c.dp.rdn, c.dp.cast)


def _promote_first(c: _Ctx, v):
    return _round(c, v, c.dp.promote, (), 0)


def _promote_add(c: _Ctx, s, v):
    """binary32 sums in nearest even: float32's own, or "near" in float64 (2 * 24 + 1 <= 53)."""
    return _sum(c, s, v, c.dp.promote, (), 0, "near" if c.dp.dom.dom64 else "float", False)


def _fused_step(c: _Ctx, size: int, with_s: bool, s, a, b, k0, seed, base, j):
    """One fused multi-term addition (``kernels.accumulate._fused_step``) of s (with_s; the
    first step: the terms alone) and the terms k0 .. k0 + size - 1: each addend's significand
    truncated toward zero to the grid 2**(emax - alignment_bits), the integers summed, the sum
    rounded to odd at the domain's precision (exact where it fits), then rounded once;
    specials as IEEE addition, an exact zero -0 where every addend is -0 (rounding toward
    negative: where one is -0 or the nonzero ones cancel)."""
    dp, backend = c.dp, c.backend
    dom = dp.dom
    ns = backend.namespace(dp.lane_bits)
    where, maximum, minimum = ns["where"], ns["maximum"], ns["minimum"]
    width = 64 if dom.dom64 else 32
    align = dp.cfg[2]
    addends = ([s] if with_s else []) + [_term(c, a, b, k0 + i, seed, base) for i in range(size)]
    lanes = [backend.to_lanes(x, dom.dom64, dp.lane_bits) for x in addends]
    mags = [v & _MAG[dom.dom64] for v in lanes]
    specials = [m >= _INF[dom.dom64] for m in mags]
    count = sum(c.fw.cast(sp, _LANE[dp.lane_bits]) for sp in specials)
    sp = sum(where(special, x, 0.0) for special, x in zip(specials, addends))
    sp = where((count >= 2) & (sp != sp), float("nan"), sp)     # the NumPy kernel's positive NaN
    exps = [m >> dom.m for m in mags]             # biased; every nonzero addend is normal
    emax = exps[0]
    for m, e in zip(mags, exps):
        emax = maximum(emax, where(m != 0, e, 0))
    grid = emax - align                           # the biased exponent of the grid's unit, + m
    total = 0
    for v, m, e in zip(lanes, mags, exps):
        sig = where(m != 0, (m & ((1 << dom.m) - 1)) | (1 << dom.m), 0)
        d = grid - e + dom.m
        part = where(d > 0, sig >> minimum(maximum(d, 0), width - 1), sig << minimum(maximum(-d, 0), width - 1))
        total = total + where(v < 0, -part, part)
    mag = where(total < 0, -total, total)
    shift = 0
    if align + 1 + max(dp.cfg[1], 1).bit_length() > dom.P:    # more bits than the domain: round to odd
        lead = backend.to_lanes(c.fw.cast(mag, _FLOAT[dom.dom64]), dom.dom64, dp.lane_bits) >> dom.m
        length = lead - dom.bias + 1                          # the bit length of mag (or one more)
        length = where((lead > 0) & ((mag >> maximum(length - 1, 0)) == 0), length - 1, length)
        shift = maximum(length - dom.P, 0)
        mag = (mag >> shift) | where(((mag >> shift) << shift) != mag, 1, 0)
    # 2**(grid + shift - bias); a sum at or above the domain's 2**(bias + 1) overflows every
    # accumulator the domain holds, whatever the mode: the accumulator's overflow value
    scale = backend.from_lanes(minimum(maximum(grid + shift, 1), 2 * dom.bias) << dom.m, dom.dom64)
    value = c.fw.cast(mag, _FLOAT[dom.dom64]) * scale
    over = (grid + shift > 2 * dom.bias) | (value == float("inf"))
    neg_zero, signed = True, False         # (every addend -0; some addend -0 or nonzero)
    for v, m in zip(lanes, mags):
        neg_zero, signed = neg_zero & (m == 0) & (v < 0), signed | (m != 0) | (v < 0)
    zero = where(neg_zero | (signed & dp.rdn), -0.0, 0.0)
    value = where(total == 0, zero, where(total < 0, -value, value))
    out = _round(c, where(count > 0, sp, value), dp.acc, dp.sr, _rnd(c, seed, base, j), dp.cast)
    overflow = backend.from_lanes(where(total < 0, dp.acc.ovf1, dp.acc.ovf0), dom.dom64)
    return where((count == 0) & (total != 0) & over, overflow, out)


_STEPS = {f.__name__: f for f in (_first_term, _add_terms, _round_value, _add_value, _promote_first,
                                  _promote_add, _fused_step, _positive_nan, _acc_nan)}


@functools.lru_cache(maxsize=None)
def _framework(name: str):
    return _FRAMEWORKS[name]()


def _steps(c: _Ctx) -> dict:
    """The step functions bound to c (for JAX each one jitted computation, built once)."""
    return {name: functools.partial(c.fw.jit(name, f), c) for name, f in _STEPS.items()}


def _reduce(c: _Ctx, a, b, n: int, shape: tuple, seed, base):
    """The reduction of every output element (shape) in the plan's order, as the NumPy kernel
    performs it (``kernels.accumulate._reduce_rows``), one tensor step per rounding."""
    dp = c.dp
    st = _steps(c)
    block, fused_terms, _, promote = dp.cfg
    counter = [n if (dp.prod is not None and c.k) else 0]   # the products' draws come first

    def draw():
        counter[0] += 1
        return counter[0] - 1

    def sequential(lo, hi):
        if hi <= lo:
            return st["_round_value"](c.fw.zeros(shape, a), seed, base, draw())
        s = st["_first_term"](a, b, lo, seed, base, draw())
        s = st["_add_terms"](s, a, b, lo + 1, hi, seed, base, counter[0])
        counter[0] += hi - lo - 1
        return s

    def blocked(lo, hi):
        s = sequential(lo, min(lo + block, hi))
        for b0 in range(lo + block, hi, block):
            s = st["_add_value"](s, sequential(b0, min(b0 + block, hi)), seed, base, draw())
        return s

    def fused(lo, hi):
        s = c.fw.zeros(shape, a)
        for g0 in range(lo, hi, fused_terms):
            s = st["_fused_step"](min(g0 + fused_terms, hi) - g0, g0 > lo, s, a, b, g0, seed, base, draw())
        return s

    order = {"sequential": sequential, "blocked": blocked, "fused": fused}[dp.order]

    def reduce(lo, hi):
        return st["_acc_nan"](order(lo, hi))

    if not promote:
        return reduce(0, n)
    total = None
    for c0 in range(0, max(n, 1), promote):
        v = reduce(c0, min(c0 + promote, n))
        total = st["_promote_first"](v) if total is None else st["_promote_add"](total, v)
    return st["_positive_nan"](total)


def matmul(backend: Backend, a, b, fmt=None, *, product=None, accumulator=None, order: str = "sequential",
           block: int | None = None, fused_terms: int | None = None, alignment_bits: int | None = None,
           promote_every: int | None = None, rounding: str = "nearest_even", overflow: str = "ieee",
           seed=None, sr_bits: int | None = None, sr_rule: str = "add", inputs: str = "exact"):
    """``numfmt.matmul`` of two tensors on the backend (``numfmt.torch.BACKEND``,
    ``numfmt.jax.BACKEND``): the same arguments and results, bit for bit, for float formats in
    the orders "sequential", "blocked" and "fused", with or without ``promote_every``, every
    rounding mode (stochastic: the same seed gives the same bits). The other orders,
    ``overflow="raise"``, integer accumulators and the quire are NumPy's only (ValueError), as
    are combinations the float domain cannot hold exactly (ValueError says which argument);
    ``random_bits`` and ``rng`` are not arguments here (seeded SplitMix64 only).

    >>> import torch, numfmt as nf, numfmt.torch as nft
    >>> from numfmt.device_matmul import matmul
    >>> a = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 448.0]])
    >>> matmul(nft.BACKEND, a, a.T, "e4m3", accumulator="bfloat16").tolist()
    [[14.0, 1344.0], [1344.0, 200704.0]]
    """
    if isinstance(accumulator, str) and accumulator == "quire":
        raise ValueError(f"accumulator='quire' is not available on the {backend.name} backend; use numfmt.matmul")
    plan = make_plan(fmt, accumulator, product, order, block, fused_terms, alignment_bits, promote_every,
                     rounding, overflow, seed, sr_bits, sr_rule, None, inputs, products=True, rng="splitmix64")
    if isinstance(plan, IntegerPlan):
        raise ValueError(f"accumulator: integer accumulators are not available on the {backend.name} backend; "
                         "use numfmt.matmul")
    a, b = backend.float_input(a, "a"), backend.float_input(b, "b")
    for name, x in (("a", a), ("b", b)):
        if x.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension; got a scalar")
    float64_in = backend.is_float64(a) or backend.is_float64(b)
    m, n, p, batch, out_shape = matmul_shape(tuple(a.shape), tuple(b.shape))
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    shape = batch + (m, p)
    stochastic = stochastic_args(plan.mode, out_shape + (ROUNDINGS_PER_TERM * max(n, 1),), seed, sr_bits,
                                 sr_rule, None, name="the reduction's random numbers")
    plan.check_sr_bits(stochastic)
    k = 0 if stochastic is None else stochastic[1]
    fw = _framework(backend.name)
    dp = device_plan(backend, plan, order, k or None, sr_rule, fw.casts(a))
    a2, b2 = (_operand(backend, fw, x, plan, name, dp) for x, name in ((a2, "a"), (b2, "b")))
    c = _Ctx(backend, fw, dp, k)
    seed_u = base = 0
    if k:           # rounding j of output element o (C order) draws number o * 8 * n + j
        u64 = backend.namespace(dp.lane_bits)["u64"]
        seed_u = u64(stochastic[0])
        base = u64(fw.arange(math.prod(shape), a2).reshape(shape)) * (ROUNDINGS_PER_TERM * max(n, 1))
    out = _reduce(c, a2, b2, n, shape, seed_u, base).reshape(out_shape)
    if not float64_in and fits_float32(plan.out_fmt):
        return fw.cast(out, "float32")
    return fw.cast(out, "float64")


def _operand(backend: Backend, fw, x, plan, name: str, dp: DevicePlan):
    """x checked to hold values of fmt (rounded to it for inputs="round"), in the domain's float type."""
    mode = Rounding.NEAREST_EVEN if plan.mode == Rounding.STOCHASTIC else plan.mode
    where = backend.namespace(dp.lane_bits)["where"]
    fmt = plan.fmt
    if plan.inputs == "round":
        x = float_cast(backend, x, fmt, mode.name.lower(), plan.overflow, "raise", None, None, "add", None, False)
    elif not backend.traced(x):
        clean = where(x != x, 0.0, x)
        bad = (float_cast(backend, clean, fmt, "nearest_even", "ieee", "raise", None, None, "add", None, False)
               != clean)
        if not fmt.has_nan:
            bad = bad | (x != x)
        count = backend.count(bad)
        if count:
            raise ValueError(f"{count} of {math.prod(x.shape)} elements of {name} are not values of {fmt.name}; "
                             f"round them first with numfmt.{backend.name}.round({name}, {fmt.name!r}) "
                             "or pass inputs='round'")
    return fw.cast(x, _FLOAT[dp.dom.dom64])
