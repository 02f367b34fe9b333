"""Multi-component floats (MCF): a value held as the unevaluated sum of k values of one format.

This is the number representation of Collage (T. Yu et al., "Collage: Light-Weight Low-Precision
Strategy for LLM Training", ICML 2024, arXiv:2405.03637): a bfloat16 pair (k = 2) holds a weight to about 16
significant bits, so that tiny updates are not lost, with bfloat16 arithmetic only and no float32
master copy. Here any signed float format with subnormals and at least 3 significand bits serves
(bfloat16 by default), with k = 2 or 3.

An MCF is a float64 array whose trailing axis holds the k components c[0], c[1], ..., each a value
of the format. Results are *ulp-nonoverlapping*: |c[j+1]| <= ulp(c[j]), the nonzero components
come first, and |c[0] - exact| < ulp(c[0]) for the exact result of the operation where no
component product underflows (``mul`` and ``fma``: below that, the bounds' absolute term, as
``error_bound`` states). Operands may
be any arrays of values of the format with a trailing axis of 1 to 3 components (a plain array
``v`` is the 1-component MCF ``v[..., None]``); their exact sum is what they mean, normalized
or not.

Every component operation is ``numfmt.add``, ``sub``, ``mul`` or ``fma`` in the format, rounded
to nearest even. The building blocks (RN = round to nearest even in the format):

- TwoSum (D. Knuth, TAOCP vol. 2, 4.2.2, after O. Moller, BIT 5, 1965): s = RN(a + b) and
  t = a + b - s exactly, in 6 additions, whatever the magnitudes.
- Fast2Sum (T. J. Dekker, Numer. Math. 18, 1971): the same in 3 additions when |a| >= |b|.
  numfmt.mcf gets TwoSum's pair this way, after ordering the operands by magnitude: half the
  operations, and no spurious overflow (Knuth's TwoSum computes s - a, which can round past
  the largest finite value: e5m2's 12288 + -57344 gives s = -49152, then s - 12288 = -61440
  rounds to -Inf).
- Exact product with an FMA: p = RN(a*b), e = RN(a*b - p) = fma(a, b, -p). e = a*b - p exactly
  if and only if a*b is a multiple of the smallest subnormal eta = 2**(emin - p + 1), which holds
  whenever e_a + e_b >= emin + p - 1 (e_a, e_b: the exponents of a and b). It fails for products
  of small components: in bfloat16 (eta = 2**-133) for |a*b| below about 2**-119; in binary16
  (eta = 2**-24) already below about 2**-4, where a 2-term binary16 MCF near 1 loses bits.
- Grow-Expansion (J. R. Shewchuk, Discrete Comput. Geom. 18, 1997, Theorem 10; needs p >= 3): a
  chain of TwoSums adds a value to a nonoverlapping expansion, exactly, and the result is a
  nonoverlapping expansion (no two components share a bit position).

Every operation (1) writes its exact result as a list of terms (add: the components of both
operands; mul: the exact products of every pair of components; fma: both), (2) grows the terms,
one at a time, into an exact nonoverlapping expansion, (3) renormalizes that expansion from the
largest term down with Fast2Sum, emitting a component each time the rounding error is nonzero
(the idea of VecSumErrBranch in CAMPARY's renormalization: M. Joldes, O. Marty, J.-M. Muller,
V. Popescu, IEEE Trans. Comput. 2016; N. Fabiano, J.-M. Muller, J. Picot, IEEE Trans. Comput.
2019), and keeps the first k. Steps 1 and 2 are exact (step 1 for products only without
underflow); step 3 is exact up to the dropped tail, which is below ulp(c[k-1]) and vanishes
when fewer than k components are emitted or c[k-1] is subnormal. The bounds below follow from
that (the argument is in ``_renormalize``); the tests check them against exact fractions.

Error bounds. p = man_bits + 1, u = 2**-p, eta as above, eps_k = (2u)**k / (1 - 2u) (bfloat16:
eps_2 = 2**-14 / (1 - 2**-7), about 4u**2; eps_3 about 8u**3); "exact" is the exact result of
the operation on the exact values of the operands; r is the value of the result:

- ``from_float(x)``: greedy components c[j] = RN(x - c[0] - ... - c[j-1]) (each difference exact
  in float64, by Sterbenz's lemma): |r - x| <= (u / (1 + u))**k * |x| while the components are
  normal, and |r - x| <= eta / 2 otherwise.
- ``add``, ``sub``: |r - exact| < eps_k * |exact|, with no condition on underflow (sums are exact
  under gradual underflow).
- ``mul``, ``fma``: |r - exact| <= eps_k * |exact| + (1 + eps_k) * n * eta / 2, n the number of
  component products (k_x * k_y); the absolute term vanishes (the bound of add holds) when every
  product of a component of x and a component of y is a multiple of eta.
- ``sum`` of n values (pairwise, the first level exact): |r - exact| <= ((1 + eps_k)**(L-1) - 1)
  * sum(|x_i|) with L = ceil(log2(n)).

Special values and overflow: NaN or Inf in gives the IEEE result of the operation on the
components' sums (NaN, +-Inf; Inf - Inf is NaN) as (value, 0, ..., 0). A result that overflows,
or whose computation overflows an intermediate sum or product, is (+-Inf, 0, ...), NaN in
formats without Inf (e4m3); formats with neither Inf nor NaN (e3m2) raise OverflowError. The terms
are summed largest first, so with normalized operands (every result of this module is one) an
intermediate overflows only where the exact result, an operand or a product of components lies
within a few ulps of the largest finite value; components that cancel each other can overflow
earlier: (max, -max) times 2 gives Inf.

Cost in format operations: growing and renormalizing m terms takes 3 * (m(m-1)/2 + m - 1)
additions; add has m = k_x + k_y terms (27 operations for two 2-term MCFs, 60 for 3-term
ones); mul has m = 2 k_x k_y terms after k_x k_y exact products (113 for 2-term MCFs, 528
for 3-term ones).

>>> import numfmt as nf
>>> step = nf.round(1e-4, "bfloat16")                   # a tiny update
>>> w, b = nf.mcf.from_float(1.0, "bfloat16"), 1.0      # a 2-term MCF and a bfloat16 weight
>>> for _ in range(100):
...     w, b = nf.mcf.sub(w, step[..., None], "bfloat16"), nf.sub(b, step, "bfloat16")
>>> float(b), float(nf.mcf.to_float(w)), 1 - 100 * float(step)    # bfloat16 stagnates at 1
(1.0, 0.9900588989257812, 0.9899864196777344)
"""
from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import casts as _casts, ops as _ops
from . import report as _report
from .casts.common import as_float_array
from .formats.registry import format as _format
from .ops import representable


def _uncounted(op):
    """op outside every ``numfmt.flags`` context: an MCF operation's roundings are its own
    error-free steps (TwoSum, TwoProd), not casts of the caller's, and are not counted."""
    @functools.wraps(op)
    def run(*args, **kwargs):
        with _report.suspended():
            return op(*args, **kwargs)
    return run


_round, _add, _sub, _mul, _fma = (_uncounted(op) for op in (_casts.round, _ops.add, _ops.sub, _ops.mul, _ops.fma))

__all__ = ["from_float", "to_float", "to_fraction", "add", "sub", "mul", "fma", "sum", "error_bound"]

TERMS = (2, 3)          # components of a result
MAX_OPERAND_TERMS = 3   # components of an operand


@dataclass(frozen=True)
class _Context:
    """The format and the overflow policy of every component operation: "ieee" (Inf, or NaN
    where the format has no Inf) where an overflow shows in the result, else "raise"."""

    fmt: object
    overflow: str

    def add(self, a, b):
        return _add(a, b, self.fmt, "nearest_even", self.overflow)

    def sub(self, a, b):
        return _sub(a, b, self.fmt, "nearest_even", self.overflow)

    def mul(self, a, b):
        return _mul(a, b, self.fmt, "nearest_even", self.overflow)

    def fma(self, a, b, c):
        return _fma(a, b, c, self.fmt, "nearest_even", self.overflow)


def _context(fmt) -> _Context:
    """The context for fmt, checked: a signed float format with subnormals and p >= 3."""
    fmt = _format(fmt)
    if fmt.family != "float":
        raise TypeError(f"fmt: multi-component floats need a float format; {fmt.name} is a {fmt.family} format")
    if not fmt.signed or not fmt.subnormals or fmt.man_bits < 2:
        raise ValueError(f"fmt: multi-component floats need a signed float format with subnormals and at "
                         f"least 2 stored mantissa bits (error-free transformations); got {fmt.name}")
    return _Context(fmt, "ieee" if fmt.has_inf or fmt.has_nan else "raise")


def _terms(terms, default: int) -> int:
    terms = default if terms is None else terms
    if not isinstance(terms, (int, np.integer)) or isinstance(terms, bool) or terms not in TERMS:
        raise ValueError(f"terms must be one of {TERMS}; got {terms!r}")
    return terms


def _operand(x, name: str, ctx: _Context) -> np.ndarray:
    """x as a float64 array of values of the format with a trailing axis of 1 to 3 components."""
    arr = as_float_array(x, name).astype(np.float64)
    if arr.ndim == 0 or not 1 <= arr.shape[-1] <= MAX_OPERAND_TERMS:
        raise ValueError(f"{name} must be an MCF: an array whose last axis holds 1 to {MAX_OPERAND_TERMS} "
                         f"components; got shape {arr.shape}")
    bad = ~representable(arr, ctx.fmt)
    if bad.any():
        raise ValueError(f"{name}: {int(bad.sum())} of {arr.size} components are not values of "
                         f"{ctx.fmt.name}; first: {float(arr[bad][0])!r} (use from_float to split floats)")
    return arr


def _batch_shape(operands: dict) -> tuple:
    try:
        return np.broadcast_shapes(*(a.shape[:-1] for a in operands.values()))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in operands.items())
        raise ValueError(f"operands do not broadcast together (the last axis holds the components): {shapes}") from None


def _fast_two_sum(a, b, ctx: _Context):
    """(s, t): s = RN(a + b), s + t = a + b exactly if |a| >= |b| or a = 0 (Dekker's Fast2Sum)."""
    s = ctx.add(a, b)
    return s, ctx.sub(b, ctx.sub(s, a))


def _two_sum(a, b, ctx: _Context):
    """(s, t): s = RN(a + b), s + t = a + b exactly, for any a and b: the pair of Knuth's
    TwoSum, computed as Fast2Sum of the operands ordered by magnitude (3 operations instead of
    6, and no spurious overflow: Knuth's s - a overflows for e5m2's 12288 + -57344)."""
    swap = np.abs(a) < np.abs(b)
    return _fast_two_sum(np.where(swap, b, a), np.where(swap, a, b), ctx)


def _two_prod(a, b, ctx: _Context):
    """(p, e): p = RN(a * b), e = RN(a * b - p), exact where a * b is a multiple of eta."""
    p = ctx.mul(a, b)
    return p, ctx.fma(a, b, np.negative(p))


def _expansion(terms: list, ctx: _Context) -> list:
    """The terms as an exact nonoverlapping expansion, smallest first (zeros anywhere): each
    term joins by Grow-Expansion (Shewchuk's Theorem 10)."""
    expansion = terms[:1]
    for b in terms[1:]:
        grown = []
        for e in expansion:
            b, h = _two_sum(b, e, ctx)
            grown.append(h)
        expansion = grown + [b]
    return expansion


def _renormalize(expansion: list, k: int, shape: tuple, ctx: _Context) -> np.ndarray:
    """The first k components of the ulp-nonoverlapping renormalization of a nonoverlapping
    expansion e[0], e[1], ... (largest first, zeros anywhere): accumulate with Fast2Sum, and
    emit the sum s whenever the error t is nonzero (the accumulator restarts from t).

    Why this is exact and ulp-nonoverlapping. Let 2**L be the last bit of the latest nonzero
    term added, e[i]. The accumulator is a sum (or a rounding error) of terms that are all
    multiples of 2**L, so it is one too, and as every later term lies below 2**L (nonoverlapping),
    |acc| > |e[i+1]| unless acc = 0: Fast2Sum is exact. An emitted s has a nonzero error t, a
    multiple of 2**L, so |t| >= 2**L > |e[i+1] + e[i+2] + ...|; the remainder R = t + e[i+1] + ...
    is below 2|t| <= ulp(s), and so is every partial sum of it: the next emitted component, RN
    of such a partial sum, is at most ulp(s). Keeping k components drops R after c[k-1]:
    |R| < ulp(c[k-1]) <= 2u |c[k-1]| <= (2u)**k |c[0]|, and |exact| > |c[0]| - ulp(c[0]) >=
    (1 - 2u) |c[0]|, hence eps_k (for a subnormal c[k-1], R is a multiple of eta below eta: 0).
    """
    out = np.zeros(shape + (k,))
    emitted = np.zeros(shape, dtype=np.int64)
    acc = expansion[0]
    for e in expansion[1:]:
        s, t = _fast_two_sum(acc, e, ctx)
        emit = t != 0
        for j in range(k):
            out[..., j] = np.where(emit & (emitted == j), s, out[..., j])
        emitted = emitted + emit
        acc = np.where(emit, t, s)
    for j in range(k):
        out[..., j] = np.where(emitted == j, acc, out[..., j])
    return out


def _result(terms: list, k: int, shape: tuple, ctx: _Context, reference) -> np.ndarray:
    """k components of the exact sum of the terms; where the computation met Inf or NaN (special
    operands, overflow), (v, 0, ...) with v = reference() rounded as an overflow to the format."""
    stacked = np.stack(np.broadcast_arrays(*terms), axis=-1).reshape(shape + (len(terms),))
    # the largest first: partial sums then stay near the result (no needless overflow)
    stacked = np.take_along_axis(stacked, np.argsort(-np.abs(stacked), axis=-1, kind="stable"), axis=-1)
    out = _renormalize(_expansion(_components(stacked), ctx)[::-1], k, shape, ctx)
    special = ~np.isfinite(out).all(axis=-1)
    if special.any():
        with np.errstate(all="ignore"):
            v = np.broadcast_to(reference(), shape)[special]
        v = np.where(np.isnan(v), v, np.copysign(np.inf, v))   # a finite v: an intermediate overflowed
        out[special] = 0.0
        out[special, 0] = _round(v, ctx.fmt, "nearest_even", ctx.overflow)
    return out


def _components(x: np.ndarray) -> list:
    return [x[..., j] for j in range(x.shape[-1])]


def from_float(x, fmt="bfloat16", terms: int = 2) -> np.ndarray:
    """x split into ``terms`` components of fmt: c[j] = RN(x - c[0] - ... - c[j-1]).

    Args:
        x: float array (float64 values are split exactly as given, never through float32).
        fmt: a signed float format with subnormals and at least 2 stored mantissa bits.
        terms: 2 or 3.

    Returns:
        float64 array of shape ``x.shape + (terms,)``; |c[j+1]| <= ulp(c[j]) / 2. Error:
        |sum(c) - x| <= (u / (1 + u))**terms * |x| (u = 2**-p) while the components are normal,
        else <= eta / 2 (half the smallest subnormal). NaN and Inf give (NaN or Inf, 0, ...);
        overflow gives Inf (NaN in formats without Inf; OverflowError in formats with neither).

    Example:
        >>> import numfmt as nf
        >>> nf.mcf.from_float([0.1, 1 + 2**-12], "bfloat16").tolist()
        [[0.10009765625, -9.775161743164062e-05], [1.0, 0.000244140625]]
    """
    ctx = _context(fmt)
    k = _terms(terms, 2)
    rest = as_float_array(x).astype(np.float64)
    out = np.zeros(rest.shape + (k,))
    for j in range(k):
        c = np.asarray(_round(rest, ctx.fmt, "nearest_even", ctx.overflow), dtype=np.float64)
        out[..., j] = c
        finite = np.isfinite(c)
        rest = np.where(finite, rest - np.where(finite, c, 0.0), 0.0)   # exact (Sterbenz)
    return out


def to_float(x) -> np.ndarray:
    """The value of an MCF as float64: its components summed in float64 from the smallest.

    Exact when the components' bits span at most 53 positions (a bfloat16 MCF with k <= 3 whose
    components are contiguous, say); otherwise, for ulp-nonoverlapping components (every
    result of this module), within a relative 2**-52. Use ``to_fraction`` for the exact value.

    Example:
        >>> import numfmt as nf
        >>> float(nf.mcf.to_float([1.0, 2.0**-9]))
        1.001953125
    """
    arr = as_float_array(x, "x").astype(np.float64)
    if arr.ndim == 0:
        raise ValueError(f"x must be an MCF: an array whose last axis holds the components; got shape {arr.shape}")
    total = arr[..., -1]
    for j in range(arr.shape[-1] - 2, -1, -1):
        total = arr[..., j] + total
    return total


def to_fraction(x):
    """The exact value of an MCF as a ``fractions.Fraction`` (an object array of them for a batch
    of MCFs). For tests and checks: a Python loop over the elements.

    Example:
        >>> to_fraction([1.0, 2.0**-30])
        Fraction(1073741825, 1073741824)
    """
    arr = as_float_array(x, "x").astype(np.float64)
    if arr.ndim == 0 or not np.isfinite(arr).all():
        raise ValueError("x must be an MCF of finite components (an array whose last axis holds them)")
    flat = arr.reshape(-1, arr.shape[-1])
    values = np.empty(len(flat), dtype=object)
    values[:] = [builtins.sum(map(Fraction, row), Fraction(0)) for row in flat.tolist()]
    return values[0] if arr.ndim == 1 else values.reshape(arr.shape[:-1])


def error_bound(fmt="bfloat16", terms: int = 2) -> Fraction:
    """eps_k = (2u)**k / (1 - 2u), u = 2**-p: the bound on |result - exact| / |exact| of ``add``
    and ``sub`` (and of ``mul`` and ``fma`` without underflow); see the module docstring.

    Example:
        >>> float(error_bound("bfloat16", 2)) * 2**16      # about 4 u**2
        4.031496062992126
    """
    ctx = _context(fmt)
    k = _terms(terms, 2)
    two_u = Fraction(1, 2 ** ctx.fmt.man_bits)
    return two_u ** k / (1 - two_u)


def _operate(fmt, operands: dict, terms, build, reference) -> np.ndarray:
    """Check the operands (name -> MCF), then ``terms`` components of the exact sum of
    ``build(ctx, operands)``; ``reference`` (the float64 operation on the operands' values)
    only gives special values their sign or NaN."""
    ctx = _context(fmt)
    ops = {name: _operand(v, name, ctx) for name, v in operands.items()}
    k = _terms(terms, max(2, *(a.shape[-1] for a in ops.values())))
    return _result(build(ctx, *ops.values()), k, _batch_shape(ops), ctx,
                   lambda: reference(*(to_float(a) for a in ops.values())))


def _products(ctx: _Context, x: np.ndarray, y: np.ndarray) -> list:
    """p and e of every product of a component of x and a component of y."""
    terms = []
    for a in _components(x):
        for b in _components(y):
            terms.extend(_two_prod(a, b, ctx))
    return terms


def add(x, y, fmt="bfloat16", terms: int | None = None) -> np.ndarray:
    """x + y for MCFs (arrays whose last axis holds 1 to 3 components), broadcast together.

    Returns ``terms`` components (default: the operands' largest count, at least 2) of the exact
    sum, within |r - exact| < eps_k * |exact| (``error_bound``); exact when it fits in them.

    Example:
        >>> import numfmt as nf
        >>> nf.mcf.add([1.0, 0.0], [2.0**-20], "bfloat16").tolist()   # bfloat16 alone: 1.0
        [1.0, 9.5367431640625e-07]
    """
    return _operate(fmt, {"x": x, "y": y}, terms, lambda ctx, x, y: _components(x) + _components(y), np.add)


def sub(x, y, fmt="bfloat16", terms: int | None = None) -> np.ndarray:
    """x - y for MCFs: x + (-y) (negation is exact), with the bound of ``add``.

    Example:
        >>> import numfmt as nf
        >>> x = nf.mcf.from_float(1 / 3, "bfloat16")
        >>> nf.mcf.sub(x, x[..., :1], "bfloat16").tolist()     # the tail, exactly
        [-0.000652313232421875, 0.0]
    """
    return _operate(fmt, {"x": x, "y": y}, terms,
                    lambda ctx, x, y: _components(x) + _components(np.negative(y)), np.subtract)


def mul(x, y, fmt="bfloat16", terms: int | None = None) -> np.ndarray:
    """x * y for MCFs: every product of a component of x and one of y exactly (p + e), summed.

    Bound: |r - exact| <= eps_k * |exact| + (1 + eps_k) * n * eta / 2 (n = k_x * k_y component
    products, eta the smallest subnormal); eps_k alone when every component product is a
    multiple of eta (no product error underflows).

    Example:
        >>> import numfmt as nf
        >>> x = nf.mcf.from_float(1 + 2**-7, "bfloat16")
        >>> nf.mcf.mul(x, x, "bfloat16").tolist()           # 1 + 2**-6 + 2**-14 exactly
        [1.015625, 6.103515625e-05]
        >>> tiny = x * 2.0**-60                              # its error 2**-134 < eta = 2**-133
        >>> nf.mcf.mul(tiny, tiny, "bfloat16").tolist() == [(1 + 2**-6) * 2.0**-120, 0.0]
        True
    """
    return _operate(fmt, {"x": x, "y": y}, terms, _products, np.multiply)


def fma(x, y, z, fmt="bfloat16", terms: int | None = None) -> np.ndarray:
    """x * y + z for MCFs: the exact products and z's components summed together (one
    renormalization), with the bound of ``mul``.

    Example:
        >>> import numfmt as nf
        >>> x = nf.mcf.from_float(1 + 2**-7, "bfloat16")
        >>> nf.mcf.fma(x, x, [-1.0], "bfloat16").tolist()    # 2**-6 + 2**-14 exactly
        [0.015625, 6.103515625e-05]
    """
    return _operate(fmt, {"x": x, "y": y, "z": z}, terms,
                    lambda ctx, x, y, z: _products(ctx, x, y) + _components(z), lambda a, b, c: a * b + c)


def sum(x, fmt="bfloat16", axis: int | None = None, terms: int = 2) -> np.ndarray:  # noqa: A001
    """The sum of values of fmt along ``axis`` (all of them for None) as an MCF, pairwise.

    Args:
        x: array of values of fmt (plain values, not MCFs).
        fmt: the format; terms: 2 or 3 components.

    Returns:
        float64 array of shape ``x.shape`` without ``axis``, plus (terms,). Bound:
        |r - exact| <= ((1 + eps_k)**(L-1) - 1) * sum(|x_i|), L = ceil(log2(n)); the pairs of the
        first level are exact. An empty sum is 0.

    Example:
        >>> import numfmt as nf
        >>> x = nf.round(np.full(4096, 1e-3), "bfloat16")       # 2**12 copies of 0.00099945068359375
        >>> float(nf.sum(x, "bfloat16")), float(nf.mcf.to_float(nf.mcf.sum(x, "bfloat16")))
        (0.5, 4.09375)
    """
    ctx = _context(fmt)
    k = _terms(terms, 2)
    arr = as_float_array(x, "x").astype(np.float64)
    if axis is None:
        arr = arr.reshape(-1)
        axis = 0
    if not isinstance(axis, int) or isinstance(axis, bool) or not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis must be None or an integer in [{-arr.ndim}, {arr.ndim}); got {axis!r}")
    acc = _operand(np.moveaxis(arr, axis, -1)[..., None], "x", ctx)
    if acc.shape[-2] == 0:
        return np.zeros(acc.shape[:-2] + (k,))
    while acc.shape[-2] > 1:
        if acc.shape[-2] % 2:
            acc = np.concatenate([acc, np.zeros_like(acc[..., :1, :])], axis=-2)
        pairs = acc[..., 0::2, :], acc[..., 1::2, :]
        acc = _result(_components(pairs[0]) + _components(pairs[1]), k, pairs[0].shape[:-1], ctx,
                      lambda pairs=pairs: to_float(pairs[0]) + to_float(pairs[1]))
    out = np.zeros(acc.shape[:-2] + (k,))
    out[..., :acc.shape[-1]] = acc[..., 0, :]
    return out
