"""The quire: exact sums of posit products, rounded once (Posit Standard 2022, section 3.3).

The quire of posit<n, 2> is a 16n-bit two's-complement fixed-point number whose value is
2**(16 - 8n) times an integer: minpos**2 is its least significant bit and 31 carry bits sit
above maxpos**2, so at least 2**31 - 1 products of maxpos * maxpos add without overflow (past
that the sum wraps modulo the accumulator's width). For other es numfmt uses the same
layout: lsb 2**(-2 * maxscale) with maxscale = (n - 2) * 2**es, width 4 * maxscale + 32 bits
(16n when es = 2). Every posit product is exact in it; a NaR input makes the quire NaR.

Three ways in (inputs must be values of the format, NaN standing for NaR; round others first
with ``numfmt.round``):

- ``quire_dot(a, b, fmt)``: sum over the last axis of a * b (a and b broadcast);
- ``quire_sum(x, fmt, axis)``: the sum of x over the axis (every axis by default);
- ``Quire(fmt)``: an accumulator object to add sums, differences and products into, read out
  at any time with ``value()`` (one rounding, any rounding mode).

Example:
    >>> import numfmt as nf
    >>> q = nf.Quire("posit16")
    >>> q.add_product([2.0 ** 20, 1.0], [2.0 ** 20, 2.0 ** -30]).sub_product(2.0 ** 20, 2.0 ** 20)
    Quire(posit16, 9.313225746154785e-10)
    >>> float(nf.quire_dot([2.0 ** 20, 1.0, -2.0 ** 20], [2.0 ** 20, 2.0 ** -30, 2.0 ** 20], "posit16"))
    9.313225746154785e-10
"""
from __future__ import annotations

import numpy as np

from .arithmetic.posit import count_not_values
from .casts import decode, encode
from .stochastic import stochastic_args
from .casts.common import as_float_array, kernel_random_bits
from .formats.posit import PositFormat
from .formats.registry import format as _format
from .kernels import quire as kern
from .kernels.longacc import new_longacc
from .random import random_bits as _random_ints
from .parallel import run_chunked
from .rounding import Rounding, mode_flags, rounding_mode

QUIRE_WORK_PER_TERM = 10          # ``numfmt.parallel`` units per product added to a quire

__all__ = ["Quire", "quire_dot", "quire_sum"]


def _posit(fmt) -> PositFormat:
    fmt = _format(fmt)
    if fmt.family != "posit":
        raise ValueError(f"the quire accumulates posits; got the {fmt.family} format {fmt.name}")
    return fmt


def quire_layout(fmt: PositFormat) -> tuple[int, int]:
    """(lsb_exp, width in bits) of the quire of fmt.

    >>> quire_layout(PositFormat(16, 2))
    (-112, 256)
    """
    return -2 * fmt.max_scale, 4 * fmt.max_scale + 32


def _values(arr: np.ndarray, fmt: PositFormat, argument: str) -> np.ndarray:
    """The float array arr as float64, which must hold values of fmt (NaN for NaR), checked
    without compiling the posit cast."""
    x = np.ascontiguousarray(arr, np.float64)
    if count_not_values(x, fmt):
        back = decode(encode(x, fmt), fmt, np.float64)       # (only to name the first one)
        bad = ~((back == x) | (np.isnan(back) & np.isnan(x)))
        raise ValueError(f"{argument} holds {int(bad.sum())} values that are not {fmt.name} values "
                         f"(first: {x[bad][0]!r}); round them first with numfmt.round({argument}, "
                         f"{fmt.name!r})")
    return x


def _round_params(mode: Rounding, shape, seed, sr_bits, sr_rule, random_bits, rng):
    sr = stochastic_args(mode, shape, seed, sr_bits, sr_rule, random_bits, name="the result", rng=rng)
    seed, k, rule, rand = sr if sr is not None else (0, 1, "add", None)
    return mode_flags(mode), (k, int(rule == "nearest")), kernel_random_bits(rand), np.uint64(seed)


def quire_dot(a, b, fmt, rounding: str = "nearest_even", *, seed=None, sr_bits: int | None = None,
              sr_rule: str = "add", random_bits=None, rng: str = "splitmix64") -> np.ndarray:
    """sum(a * b) over the last axis, exact in the quire and rounded once to fmt.

    a and b broadcast against each other; the result has their broadcast shape without the
    last axis and holds values of fmt (NaN where a term is NaR; an empty sum is 0), with the
    result type of ``numfmt.dot``: float32 where float32 holds every value of fmt and neither
    input is float64, else float64; a numpy scalar for a single result. Stochastic rounding
    takes seed / sr_bits / sr_rule / random_bits / rng as ``numfmt.round`` does, one random number
    per output element.

    Example:
        >>> quire_dot([[1.0, 2.0], [3.0, 4.0]], [1.0, 0.5], "posit8").tolist()
        [2.0, 5.0]
        >>> quire_dot(np.float32([1.0, 2.0]), np.float32([3.0, 0.5]), "posit16")
        np.float32(4.0)
    """
    fmt = _posit(fmt)
    mode = rounding_mode(rounding)
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    float32 = a.dtype != np.float64 and b.dtype != np.float64 and fmt.fits_float32()
    va, vb = np.atleast_1d(_values(a, fmt, "a")), np.atleast_1d(_values(b, fmt, "b"))
    try:
        va, vb = np.broadcast_arrays(va, vb)
    except ValueError:
        raise ValueError(f"quire_dot: a and b do not broadcast: shapes {va.shape} and {vb.shape}") from None
    shape, k = va.shape[:-1], va.shape[-1]
    rows = int(np.prod(shape))
    va = np.ascontiguousarray(va).reshape(rows, k).view(np.int64)
    vb = np.ascontiguousarray(vb).reshape(rows, k).view(np.int64)
    p, sr, rand, seed = _round_params(mode, shape, seed, sr_bits, sr_rule, random_bits, rng)
    lsb_exp, width = quire_layout(fmt)
    out = np.empty(rows, np.float64)
    limbs = new_longacc(lsb_exp, width).size
    run_chunked(kern.dot_rows, va, out.view(np.int64), vb, limbs, lsb_exp, fmt.nbits, fmt.es, p,
                sr if p.stochastic else None, rand, seed, pass_start=True, work_per_item=QUIRE_WORK_PER_TERM * k)
    values = out.astype(np.float32 if float32 else np.float64, copy=False).reshape(shape)
    return values[()] if values.ndim == 0 else values


def quire_sum(x, fmt, axis=None, rounding: str = "nearest_even", **stochastic) -> np.ndarray:
    """The sum of x over ``axis`` (None: every axis; an int or a tuple), exact in the quire and
    rounded once to fmt; result type as ``quire_dot``. Keywords as ``quire_dot``.

    Example:
        >>> quire_sum([[2.0 ** 20, 1.0, -2.0 ** 20]] * 2, "posit16", axis=1).tolist()
        [1.0, 1.0]
    """
    x = as_float_array(x)
    if x.ndim == 0:
        x = x.reshape(1)
    axes = tuple(range(x.ndim)) if axis is None else tuple(np.atleast_1d(axis).tolist())
    if any(not -x.ndim <= a < x.ndim for a in axes) or len({a % x.ndim for a in axes}) != len(axes):
        raise ValueError(f"axis must be None, or distinct axes of x (dimension {x.ndim}); got {axis!r}")
    axes = tuple(a % x.ndim for a in axes)
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, keep + list(axes))
    terms = moved.reshape(moved.shape[:len(keep)] + (-1,))
    return quire_dot(terms, np.ones((), x.dtype), fmt, rounding, **stochastic)


class Quire:
    """An exact accumulator of posit sums and products for one posit format.

    Every ``add`` / ``sub`` / ``add_product`` / ``sub_product`` is exact; ``value()`` rounds
    the sum once. Methods return the quire, so calls chain. Inputs are values of the format
    (arrays are summed over all their elements; products broadcast a and b).

    Example:
        >>> q = Quire("posit8")
        >>> q.add([1.0, 2.0 ** -20]).add_product([2.0, 3.0], [4.0, -2.0])
        Quire(posit8, 3.0)
        >>> q.value("toward_positive"), q.value("toward_negative"), q.value()
        (3.25, 3.0, 3.0)
        >>> q.clear().add(float("nan")).value()
        nan
    """

    def __init__(self, fmt="posit16"):
        self.fmt = _posit(fmt)
        self.lsb_exp, self.width = quire_layout(self.fmt)
        self.clear()

    def clear(self) -> "Quire":
        """Set the quire to zero (and clear NaR)."""
        self._acc = new_longacc(self.lsb_exp, self.width)
        self.is_nar = False
        return self

    def _accumulate(self, a, b, negate: int) -> "Quire":
        va, vb = np.broadcast_arrays(_values(as_float_array(a, "a"), self.fmt, "a"),
                                     _values(as_float_array(b, "b"), self.fmt, "b"))
        if not self.is_nar:
            xa, xb = (np.ascontiguousarray(v).reshape(-1).view(np.int64) for v in (va, vb))
            self.is_nar = kern.accumulate(self._acc, self.lsb_exp, xa, xb, np.int64(negate))
        return self

    def add(self, x) -> "Quire":
        """Add every element of x."""
        return self._accumulate(x, 1.0, 0)

    def sub(self, x) -> "Quire":
        """Subtract every element of x."""
        return self._accumulate(x, 1.0, 1)

    def add_product(self, a, b) -> "Quire":
        """Add sum(a * b) (a and b broadcast)."""
        return self._accumulate(a, b, 0)

    def sub_product(self, a, b) -> "Quire":
        """Subtract sum(a * b) (a and b broadcast)."""
        return self._accumulate(a, b, 1)

    def code(self, rounding: str = "nearest_even", **stochastic) -> int:
        """The posit code of the sum rounded once (NaR code if the quire is NaR); stochastic
        keywords as ``quire_dot``."""
        if self.is_nar:
            return self.fmt.nar_code
        p, sr, rand, seed = _round_params(rounding_mode(rounding), (), **_sr_keywords(stochastic))
        if not p.stochastic:
            rnd = 0
        else:
            rnd = int(rand[0]) if rand is not None else int(_random_ints(int(seed), 1, sr[0])[0])
        return int(kern.round_quire(self._acc, self.lsb_exp, self.fmt.nbits, self.fmt.es, p, sr, rnd))

    def value(self, rounding: str = "nearest_even", **stochastic) -> float:
        """The sum rounded once to the format, as a float (NaN for NaR)."""
        return float(decode(self.code(rounding, **stochastic), self.fmt, np.float64))

    def __repr__(self) -> str:
        return f"Quire({self.fmt.name}, {self.value()!r})"


def _sr_keywords(stochastic: dict) -> dict:
    unknown = set(stochastic) - {"seed", "sr_bits", "sr_rule", "random_bits", "rng"}
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    return {"seed": stochastic.get("seed"), "sr_bits": stochastic.get("sr_bits"),
            "sr_rule": stochastic.get("sr_rule", "add"), "random_bits": stochastic.get("random_bits"),
            "rng": stochastic.get("rng", "splitmix64")}
