"""Element-wise arithmetic in any format: add, sub, mul, div, fma, sqrt, neg, abs.

Each result is the exact result of the operation on the operands, rounded once to the format
in the requested mode: never computed in float32/float64 and rounded again (double rounding,
which is what ml_dtypes, CPFloat and pychop do and which is wrong for fma, directed modes and
stochastic rounding).

Operands are arrays (NumPy broadcasting) whose values must be values of the format; with
``inputs="round"`` they are rounded to it first (in the same mode; under stochastic rounding
to nearest even, so that the random bits serve the operation only).

Special cases follow IEEE 754 in every rounding mode:

- NaN in gives NaN. Invalid operations give NaN: Inf - Inf, 0 * Inf, 0 / 0, Inf / Inf,
  sqrt of a number below zero, and fma(0, Inf, c) for every c (also NaN).
- An exact zero sum of nonzero operands (x - x), or of two zeros of opposite signs, is +0, and
  -0 under toward_negative; zeros of the same sign keep it. Products and quotients of zeros
  and infinities take the exclusive-or of the signs; sqrt(-0) = -0; fma's zero product keeps
  its sign in the sum with a zero addend.
- x / 0 = ±Inf for x != 0 (division by zero), x / Inf = ±0.
- A nonzero result that rounds to zero keeps its sign (-0 where the format has one; formats
  without -0, such as fnuz and P3109, give +0).
- Formats without Inf or NaN: Inf results (x / 0, overflow) follow the overflow policy as in
  ``numfmt.round``: "ieee" gives NaN where the format has one (e4m3: x / 0 is NaN), else the
  largest finite value; "saturate" gives ±max; "raise" raises OverflowError. An invalid
  operation in a format without NaN (e2m1: 0 / 0, sqrt(-1)) has no result: ValueError.
- Unsigned formats (e8m0): a negative result or a zero (e8m0 has none) gives NaN.

Results are float32 where float32 holds every value of the format and no input was float64
(as ``numfmt.round``), else float64; a numpy scalar when every operand is a scalar.
"""
from __future__ import annotations

import numpy as np

from .arithmetic import NotValuesError
from .arithmetic import floating as float_arithmetic
from .arithmetic import posit as posit_arithmetic
from .arithmetic.report import fused, op_report, stand_in
from . import report as _report
from .casts import round as _round
from .stochastic import stochastic_args
from .casts.common import as_float_array, finish, kernel_input
from .casts.floating import fits_float32
from .formats.registry import format as _format
from .rounding import Rounding, overflow_policy, rounding_mode

__all__ = ["add", "sub", "mul", "div", "fma", "sqrt", "neg", "abs"]

INPUTS = ("exact", "round")
# family -> module with elementwise(op, operands, fmt, mode, overflow, stochastic) and
# fits_float32(fmt)
FAMILIES = {"float": float_arithmetic, "posit": posit_arithmetic}


def _family_module(fmt):
    module = FAMILIES.get(fmt.family)
    if module is None:
        raise TypeError(f"element-wise arithmetic supports float and posit formats; {fmt.name} "
                        f"is a {fmt.family} format")
    return module


def _fits_float32(fmt) -> bool:
    return fits_float32(fmt) if fmt.family == "float" else _family_module(fmt).fits_float32(fmt)


def representable(v: np.ndarray, fmt) -> np.ndarray:
    """Mask of the elements of v that are values of fmt (NaN where fmt has NaN; -0 as 0):
    those that rounding to nearest even leaves unchanged (a NaN without NaN becomes 0). The
    cast is the one users compile first (and float32 inputs take its fast kernel), so the
    check seldom compiles a cast of its own."""
    with np.errstate(invalid="ignore"), _report.suspended():
        r = _round(v, fmt, "nearest_even", "ieee", nan="ml_dtypes" if fmt.family == "float" else "raise")
    return (r == v) | (np.isnan(v) & np.isnan(r))


def _not_values(name: str, a: np.ndarray, fmt) -> ValueError | None:
    """The error for operand ``name`` if some of its elements are not values of fmt."""
    bad = ~representable(a, fmt)
    if not bad.any():
        return None
    return ValueError(f"{int(bad.sum())} of {a.size} elements of {name} are not values of {fmt.name}; "
                      f"first: {float(a[bad][0])!r} (pass inputs='round' to round them to {fmt.name} first)")


def _check_inputs(inputs: str) -> None:
    """Raise ValueError unless ``inputs`` is one of INPUTS."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}; got {inputs!r}")


def round_operands(arrays: dict, fmt, mode: Rounding, overflow: str, inputs: str) -> dict:
    """The operands (name -> float array) as an operation takes them: unchanged for
    inputs="exact"; for inputs="round" each rounded to fmt in ``mode`` (under stochastic
    rounding to nearest even, so that the random bits serve the operation only)."""
    _check_inputs(inputs)
    if inputs == "exact":
        return arrays
    rnd = Rounding.NEAREST_EVEN if mode == Rounding.STOCHASTIC else mode
    with _report.suspended():           # the operation counts, not the rounding of its operands
        return {n: np.asarray(_round(a, fmt, rnd, overflow)) for n, a in arrays.items()}


def _apply(op: str, values: dict, fmt, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, rng,
           report: bool = False):
    """Check the arguments, broadcast, check (or round) the operands, dispatch to the family's
    elementwise, shape the result; with ``report`` (or inside ``numfmt.flags``) count it
    (``numfmt.arithmetic.report``) and, for ``report``, return (result, CastReport)."""
    fmt = _format(fmt)
    module = _family_module(fmt)
    mode = rounding_mode(rounding)
    overflow = overflow_policy(overflow)
    _check_inputs(inputs)
    arrays = {name: as_float_array(v, name) for name, v in values.items()}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in arrays.items())
        raise ValueError(f"operands do not broadcast together: {shapes}") from None
    arrays = round_operands(arrays, fmt, mode, overflow, inputs)
    wide = any(a.dtype == np.float64 for a in arrays.values())
    out32 = not wide and _fits_float32(fmt)
    # a family that checks its operands itself (in the kernel's pass) also takes float32
    checks = getattr(module, "CHECKS_INPUTS", False)
    if not checks:
        for name, a in arrays.items():
            error = _not_values(name, a, fmt)
            if error is not None:
                raise error
    # float32 operands stay float32 (read by the kernel directly) for results that are float32
    # too; every other case runs in float64 (fewer compiled variants)
    dtype = np.float32 if checks and out32 and overflow != "raise" else np.float64
    # (broadcast_to gives read-only views, which would compile a kernel variant of their own)
    operands = tuple(kernel_input(a if a.shape == shape else np.broadcast_to(a, shape), dtype)
                     for a in arrays.values())
    stochastic = stochastic_args(mode, shape, seed, sr_bits, sr_rule, random_bits, name="the result", rng=rng)
    counted = report or _report.active()
    wide = stand_in(op, fmt, stochastic) if counted else None     # NotImplementedError before the work
    done = None
    if checks:
        try:
            # report=True outside numfmt.flags (which names exact results): counted in the same pass where it can be
            done = fused(op, operands, fmt, mode, overflow, stochastic, dtype) if report and not _report.active() else None
            out = module.elementwise(op, operands, fmt, mode, overflow, stochastic, out_dtype=dtype) if done is None \
                else done[0]
        except NotValuesError:
            errors = (_not_values(n, a, fmt) for n, a in arrays.items())
            raise next(e for e in errors if e is not None) from None
    else:
        out = module.elementwise(op, operands, fmt, mode, overflow, stochastic)
    if done is not None:
        rep = done[1]
    elif counted:
        rep, exact = op_report(op, operands, fmt, mode, stochastic, out, wide)
        _report.record(f"numfmt.{op}({fmt.name})", rep, exact.reshape(shape))
    out = out.reshape(shape).astype(np.float32 if out32 else np.float64, copy=False)
    return (finish(out, out), rep) if report else finish(out, out)


_ARGS_DOC = """fmt: a format name or alias, a Format, or a numpy / ml_dtypes dtype (float or posit family).
        rounding: ``nearest_even`` (default), ``nearest_away``, ``toward_zero``, ``toward_positive``,
            ``toward_negative``, ``odd``, ``stochastic`` (and the short aliases of ``numfmt.round``).
        overflow: ``ieee``, ``saturate`` or ``raise``, as in ``numfmt.round``.
        seed, sr_bits, sr_rule, random_bits, rng: stochastic rounding, as in ``numfmt.round``; element i
            of the (broadcast, C-order) result uses random number i. sr_bits is at most
            60 - precision (36 for binary32, 7 for binary64: the default 32 raises there), where the
            exact core keeps every bit that matters.
        inputs: ``exact`` (default): operands must be values of fmt, else ValueError; ``round``:
            round them to fmt first.
        report: also return a ``numfmt.CastReport``: ``(result, report)``, the counts of what the
            rounding did to the exact results (see ``numfmt.report``; broadcast: one element per
            result). Inside ``with numfmt.flags()`` every call counts, and adds its report there
            (``raise_on`` names the element and its exact result, to p + 2 bits rounded to odd).
            With inputs="round" the rounding of the operands is not counted. NotImplementedError
            where the exact results do not fit float64 (``numfmt.arithmetic.report``).
    Returns float32 where float32 holds every value of fmt and no operand is float64, else float64."""


def add(a, b, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, seed=None,
        sr_bits: int | None = None, sr_rule: str = "add", random_bits=None, inputs: str = "exact",
        rng: str = "splitmix64", report: bool = False):
    """a + b, exact, rounded once to fmt.

    Args:
        a, b: arrays of values of fmt (broadcast together).
        {args}

    Example:
        >>> import numfmt as nf
        >>> nf.add([1.0, 448.0], [0.0625, 32.0], "e4m3").tolist()   # 1.0625 is a tie -> 1.0
        [1.0, nan]
        >>> nf.add([1.0, 448.0], [0.0625, 32.0], "e4m3", "toward_positive", overflow="saturate").tolist()
        [1.125, 448.0]
        >>> y, rep = nf.add([1.0, 448.0], [0.0625, 32.0], "e4m3", report=True)
        >>> rep.n, rep.inexact, rep.overflow, rep.invalid     # 480 overflows to NaN: invalid too
        (2, 2, 1, 1)
    """
    return _apply("add", {"a": a, "b": b}, fmt, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, rng,
                  report)


def sub(a, b, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, seed=None,
        sr_bits: int | None = None, sr_rule: str = "add", random_bits=None, inputs: str = "exact",
        rng: str = "splitmix64", report: bool = False):
    """a - b, exact, rounded once to fmt; x - x is +0 (-0 under toward_negative).

    Args:
        a, b: arrays of values of fmt (broadcast together).
        {args}

    Example:
        >>> import numfmt as nf
        >>> [float(nf.sub(1.5, 1.5, "bfloat16", r)) for r in ("nearest_even", "toward_negative")]
        [0.0, -0.0]
    """
    return _apply("sub", {"a": a, "b": b}, fmt, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, rng,
                  report)


def mul(a, b, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, seed=None,
        sr_bits: int | None = None, sr_rule: str = "add", random_bits=None, inputs: str = "exact",
        rng: str = "splitmix64", report: bool = False):
    """a * b, exact, rounded once to fmt.

    Args:
        a, b: arrays of values of fmt (broadcast together).
        {args}

    Example:
        >>> import numfmt as nf
        >>> nf.mul([1.5, 3.0], 1.5, "e2m1", "toward_zero").tolist()
        [2.0, 4.0]
    """
    return _apply("mul", {"a": a, "b": b}, fmt, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, rng,
                  report)


def div(a, b, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, seed=None,
        sr_bits: int | None = None, sr_rule: str = "add", random_bits=None, inputs: str = "exact",
        rng: str = "splitmix64", report: bool = False):
    """a / b, exact, rounded once to fmt; x / 0 is ±Inf (NaN or ±max without Inf), 0 / 0 NaN.

    Args:
        a, b: arrays of values of fmt (broadcast together).
        {args}

    Example:
        >>> import numfmt as nf
        >>> nf.div([1.0, 1.0, 1.0], [3.0, 0.0, -0.0], "binary16").tolist()
        [0.333251953125, inf, -inf]
    """
    return _apply("div", {"a": a, "b": b}, fmt, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, rng,
                  report)


def fma(a, b, c, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, seed=None,
        sr_bits: int | None = None, sr_rule: str = "add", random_bits=None, inputs: str = "exact",
        rng: str = "splitmix64", report: bool = False):
    """a * b + c with a single rounding (the product is not rounded).

    Args:
        a, b, c: arrays of values of fmt (broadcast together).
        {args}

    Example:
        >>> import numfmt as nf
        >>> x = 1 + 2.0**-7                            # a bfloat16 value
        >>> p = nf.mul(x, x, "bfloat16")               # 1 + 2**-6 + 2**-14 rounded
        >>> float(nf.fma(x, x, -p, "bfloat16")), float(nf.sub(p, p, "bfloat16"))  # the error 2**-14
        (6.103515625e-05, 0.0)
    """
    return _apply("fma", {"a": a, "b": b, "c": c}, fmt, rounding, overflow, seed, sr_bits, sr_rule,
                  random_bits, inputs, rng, report)


def sqrt(a, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, seed=None,
         sr_bits: int | None = None, sr_rule: str = "add", random_bits=None, inputs: str = "exact",
        rng: str = "splitmix64", report: bool = False):
    """The square root of a, exact, rounded once to fmt; sqrt(-0) = -0, sqrt(x < 0) = NaN.

    Args:
        a: array of values of fmt.
        {args}

    Example:
        >>> import numfmt as nf
        >>> nf.sqrt([2.0, 2.0], "e4m3", "toward_zero").tolist(), float(nf.sqrt(2.0, "e4m3", "rup"))
        ([1.375, 1.375], 1.5)
    """
    return _apply("sqrt", {"a": a}, fmt, rounding, overflow, seed, sr_bits, sr_rule, random_bits, inputs, rng,
                  report)


def _sign_op(function, a, fmt, rounding, overflow, inputs):
    """function (negative or absolute value) of a, exact; rounding it to fmt maps -0 and the
    negatives of unsigned formats as ``numfmt.round`` does."""
    fmt = _format(fmt)
    _check_inputs(inputs)
    x = as_float_array(a, "a")
    with _report.suspended():           # exact: nothing to count
        if inputs == "round":
            x = np.asarray(_round(x, fmt, rounding, overflow_policy(overflow)))
        error = _not_values("a", x, fmt)
        if error is not None:
            raise error
        with np.errstate(invalid="ignore"):
            out = np.asarray(_round(function(x), fmt, "toward_zero", "ieee"))
    return finish(out, out)


def neg(a, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, inputs: str = "exact"):
    """-a (exact; formats without -0 give +0 for -0, unsigned formats NaN for -x, x > 0).

    rounding and overflow only matter with inputs="round" (they round the inputs).

    Example:
        >>> import numfmt as nf
        >>> nf.neg([1.5, 0.0], "e4m3").tolist(), nf.neg(0.0, "e4m3fnuz").tolist()
        ([-1.5, -0.0], 0.0)
    """
    return _sign_op(np.negative, a, fmt, rounding, overflow, inputs)


def abs(a, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, inputs: str = "exact"):  # noqa: A001
    """|a| (exact; NaN stays NaN). rounding and overflow only matter with inputs="round".

    Example:
        >>> import numfmt as nf
        >>> nf.abs([-1.5, -0.0], "e4m3").tolist()
        [1.5, 0.0]
    """
    return _sign_op(np.abs, a, fmt, rounding, overflow, inputs)


for _f in (add, sub, mul, div, fma, sqrt):
    _f.__doc__ = _f.__doc__.replace("{args}", _ARGS_DOC)
