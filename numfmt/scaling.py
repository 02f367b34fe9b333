"""Scaled quantization with scales chosen by search: x is stored as q = round(x / s) in a
format, and stands for q * s.

``fit`` chooses the scale s, per tensor or per channel, from the data: the "max" scale maps
the largest magnitude onto the format's largest value; "mse" searches a grid of smaller scales
(LLM-FP4 searches the exponent bias, which is the same thing: a scale 2**-b) for the smallest
squared error; "percentile" maps a percentile of the magnitudes onto the largest value.
With ``asymmetric=True`` positive and negative values get scales of their own (AFPQ).
``quantize`` rounds the exact quotient x / s once, in any rounding mode (no float division
first), and multiplies back; ``encode`` gives the codes and ``dequantize`` their values.

>>> import numfmt as nf
>>> x = np.array([-3.0, -0.7, 0.2, 0.45, 1.0, 9.0])
>>> s = nf.scaling.fit(x, "e2m1")                 # 9 lands on 6, e2m1's largest value
>>> s
Scale(1.5)
>>> nf.scaling.quantize(x, "e2m1", s).tolist()
[-3.0, -0.75, 0.0, 0.75, 0.75, 9.0]
>>> nf.scaling.encode(x, "e2m1", s).tolist(), nf.scaling.dequantize([9, 7], "e2m1", s).tolist()
([12, 9, 0, 1, 1, 7], [-0.75, 9.0])
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .arithmetic import floating as float_arithmetic
from .casts import decode, encode as _encode
from .casts.common import as_float_array, kernel_input
from .casts.fixed import divide_round
from .casts.floating import round_float
from .formats.registry import format as _format
from .kernels.arith import SR_MAX_PRECISION_PLUS_BITS
from .quantize import checked_axis
from .rounding import Rounding, overflow_policy, rounding_mode
from .stochastic import stochastic_args

__all__ = ["Scale", "fit", "quantize", "encode", "dequantize", "scale_bits"]

OBJECTIVES = ("max", "mse", "percentile")
COARSE_STEPS = 4          # "mse": coarse grid points per octave below the max scale
OCTAVES = 5               # how far below the max scale the grid reaches (a factor 2**-5)
FINE_STEPS = 16           # "mse": the refinement's points per octave around the best coarse point
MAX_MAGNITUDE = 2.0 ** 480    # fit: larger data would overflow float64 squared errors
MIN_SCALE = 2.0 ** -1000      # fit: scales stay normal float64 numbers with room below
BATCH = 1 << 20               # fit: elements quantized in one call when candidates go together


# ----------------------------------------------------------------------------- Scale
@dataclass(frozen=True, eq=False)
class Scale:
    """The scales of a scaled quantization: x stands for q * s, q a value of the format.

    Args:
        values: positive finite scale(s): a number (per tensor, ``axis=None``) or a 1-d array
            with one scale per index along ``axis`` (per channel). With ``negative`` given,
            the scale of the values >= 0.
        axis: the channel axis (None: per tensor).
        negative: None (symmetric), or the scale(s) of the values < 0, shaped as ``values``
            (asymmetric, AFPQ).

    Read-only float64 arrays; two Scales are equal when every field is.

    >>> Scale([0.5, 0.25], axis=1)
    Scale([0.5, 0.25], axis=1)
    >>> Scale(2.0, negative=0.5).asymmetric
    True
    """

    values: np.ndarray
    axis: int | None = None
    negative: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.axis is not None and (not isinstance(self.axis, (int, np.integer)) or isinstance(self.axis, bool)):
            raise TypeError(f"axis must be an integer or None; got {self.axis!r}")
        values = self._checked(self.values, "values")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "axis", None if self.axis is None else int(self.axis))
        if self.negative is not None:
            negative = self._checked(self.negative, "negative")
            if negative.shape != values.shape:
                raise ValueError(f"negative must have the shape of values {values.shape}; got {negative.shape}")
            object.__setattr__(self, "negative", negative)

    def _checked(self, v, name: str) -> np.ndarray:
        arr = np.array(v, dtype=np.float64)
        want = "a positive finite number" if self.axis is None else "a 1-d array of positive finite numbers"
        if arr.ndim != (0 if self.axis is None else 1) or not np.all(np.isfinite(arr) & (arr > 0)):
            raise ValueError(f"Scale {name} must be {want} (axis={self.axis}); got {v!r}")
        arr.flags.writeable = False
        return arr

    @property
    def asymmetric(self) -> bool:
        """Whether negative values have scales of their own."""
        return self.negative is not None

    def __eq__(self, other) -> bool:
        if not isinstance(other, Scale):
            return NotImplemented
        return (self.axis == other.axis and np.array_equal(self.values, other.values)
                and (self.negative is None) == (other.negative is None)
                and (self.negative is None or np.array_equal(self.negative, other.negative)))

    __hash__ = None

    def __repr__(self) -> str:
        def show(a: np.ndarray) -> str:
            if a.ndim == 0:
                return repr(float(a))
            if a.size <= 6:
                return repr([float(v) for v in a])
            return f"[{float(a[0])!r}, {float(a[1])!r}, ..., {float(a[-1])!r}] ({a.size} channels)"

        parts = [show(self.values)]
        if self.axis is not None:
            parts.append(f"axis={self.axis}")
        if self.negative is not None:
            parts.append(f"negative={show(self.negative)}")
        return f"Scale({', '.join(parts)})"

    def _for(self, x: np.ndarray) -> np.ndarray:
        """The scale of every element of x (float64, x's shape): by channel along ``axis``, and
        by sign (x < 0 takes ``negative``) when asymmetric."""
        def spread(v: np.ndarray) -> np.ndarray:
            if self.axis is None:
                return np.broadcast_to(v, x.shape)
            axis = checked_axis(self.axis, x.ndim)
            if v.size != x.shape[axis]:
                raise ValueError(f"the Scale has {v.size} channels along axis {self.axis}; x has shape {x.shape}")
            shape = [1] * x.ndim
            shape[axis] = v.size
            return np.broadcast_to(v.reshape(shape), x.shape)

        if self.negative is None:
            return spread(self.values)
        with np.errstate(invalid="ignore"):
            return np.where(x < 0, spread(self.negative), spread(self.values))


def _scale(scale) -> Scale:
    return scale if isinstance(scale, Scale) else Scale(scale)


# ----------------------------------------------------------------------------- rounding x / s
def _target(fmt):
    """fmt checked to be a float or fixed-point format."""
    fmt = _format(fmt)
    if fmt.family not in ("float", "fixed"):
        raise TypeError(f"scaled quantization takes float and integer / fixed-point formats; {fmt.name} is a "
                        f"{fmt.family} format")
    return fmt


def _is_power_of_two(s: np.ndarray) -> bool:
    """Whether every (positive) scale in s is a power of two."""
    return bool(np.all(np.frexp(s)[0] == 0.5))


def _quotient(x: np.ndarray, s: np.ndarray, fmt, mode: Rounding, overflow: str, stochastic,
              pow2: bool) -> np.ndarray:
    """x / s rounded once to fmt (float64 values, x's shape): x float64 (no NaN unless fmt has
    NaN), s positive finite float64 broadcast to x's shape, every one a power of two if
    ``pow2``. Powers of two take the fast route where float64 division is exact (no under- or
    overflow; checked: the quotient times s gives x back), then ``numfmt.round``; otherwise
    the exact division of the float arithmetic (float formats) or of
    ``quantize_affine(exact=True)`` (integer and fixed point)."""
    flat, sf = kernel_input(x, np.float64), kernel_input(s, np.float64)
    if fmt.family == "fixed":
        if overflow == "ieee":
            overflow = "saturate"
        wide = overflow == "raise"
        lo, hi = (-(1 << 62), 1 << 62) if wide else (fmt.min_int, fmt.max_int)
        one = sf[:1] if sf.size and np.all(sf == sf[0]) else sf      # one divisor: unpacked once
        k = divide_round(flat, one * 2.0 ** -fmt.frac_bits, mode, lo, hi, stochastic=stochastic)
        if wide:
            bad = (k < fmt.min_int) | (k > fmt.max_int)
            if bad.any():
                raise OverflowError(f"{int(bad.sum())} of {k.size} quotients x / scale overflow {fmt.name} "
                                    f"(range {fmt.info.min} to {fmt.info.max}); first: x = {flat[bad][0]!r}")
        return (k * 2.0 ** -fmt.frac_bits).reshape(x.shape)
    if pow2:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            y = flat / sf
            exact = np.all((y * sf == flat) | np.isnan(flat))
        if exact:
            return round_float(y, fmt, mode, overflow, "raise", stochastic).reshape(x.shape)
    out = float_arithmetic.elementwise("quotient", (flat, sf), fmt, mode, overflow, stochastic)
    return out.reshape(x.shape)


def _rounded(x, fmt, scale, rounding, overflow, seed, sr_bits, sr_rule, random_bits, rng):
    """(fmt, x as float64, q, the scale of each element) of ``quantize`` and ``encode``."""
    fmt = _target(fmt)
    scale = _scale(scale)
    x = as_float_array(x).astype(np.float64)
    mode = rounding_mode(rounding)
    overflow = overflow_policy(overflow)
    if np.isnan(x).any() and not (fmt.family == "float" and fmt.has_nan):
        raise ValueError(f"{int(np.isnan(x).sum())} elements of x are NaN, and {fmt.name} has no NaN")
    stochastic = stochastic_args(mode, x.shape, seed, sr_bits, sr_rule, random_bits, rng=rng)
    if stochastic is not None and fmt.family == "float":
        limit = SR_MAX_PRECISION_PLUS_BITS - fmt.man_bits - 1
        if stochastic[1] > limit:
            raise ValueError(f"sr_bits must be at most {limit} for {fmt.name} (precision {fmt.man_bits + 1} "
                             f"plus sr_bits at most {SR_MAX_PRECISION_PLUS_BITS}); got {stochastic[1]}")
    pow2 = _is_power_of_two(scale.values) and (scale.negative is None or _is_power_of_two(scale.negative))
    s = scale._for(x)
    return fmt, x, _quotient(x, s, fmt, mode, overflow, stochastic, pow2), s


_ROUNDING_DOC = """rounding: a numfmt rounding mode (nearest_even, nearest_away, toward_zero,
            toward_positive, toward_negative, odd, stochastic, or their aliases).
        overflow: ``saturate`` (the default: quotients beyond the format's range give ±max, as
            LLM-FP4 and MX clamp), ``ieee`` or ``raise``, as in ``numfmt.round``.
        seed, sr_bits, sr_rule, random_bits, rng: stochastic rounding, as ``numfmt.round``
            (element i of the flattened x uses random number i); sr_bits is at most
            59 - man_bits for float formats."""


def quantize(x, fmt, scale, rounding: str = "nearest_even", overflow: str = "saturate", *, seed=None,
             sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
             rng: str = "splitmix64") -> np.ndarray:
    """x / scale rounded once to fmt, times the scale: the values q * s that x is stored as.

    The quotient x / s is never formed in floating point: it is the exact quotient of the
    float64 values x and s, rounded once in ``rounding`` (the exact division of
    ``numfmt.div``, or of ``quantize_affine(exact=True)`` for integer formats). Power-of-two
    scales take a fast route, x * 2**-e, exact in float64 unless it under- or overflows (then
    the general route). The product q * s is formed in float64: exact when the significands of
    q and s have at most 53 bits together, which holds for every scale ``fit`` returns
    (``fit``'s scales have ``scale_bits(fmt)`` bits) and for power-of-two scales, unless the
    product leaves float64's normal range; otherwise it is q * s rounded to nearest once.

    Args:
        x: real array (any float dtype or integers); NaN only for formats with NaN.
        fmt: a float or integer / fixed-point format (name, Format or dtype).
        scale: a ``Scale`` (from ``fit`` or built by hand), or a positive number (per tensor).
        {rounding}

    Returns:
        float64 values, shaped like x.

    >>> quantize([1.0, 1.25, -7.0], "int4", 0.5).tolist()    # 2.5 is a tie: 2; -14 saturates to -8
    [1.0, 1.0, -4.0]
    >>> x, s = 3 - 2**-51, 1 - 2**-53        # x / s is 3 - 2**-53, which float64 division makes 3
    >>> quantize([x, -x], "e2m1", s, "toward_zero").tolist()
    [1.9999999999999998, -1.9999999999999998]
    """
    fmt, x, q, s = _rounded(x, fmt, scale, rounding, overflow, seed, sr_bits, sr_rule, random_bits, rng)
    return q * s


def encode(x, fmt, scale, rounding: str = "nearest_even", overflow: str = "saturate", *, seed=None,
           sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
           rng: str = "splitmix64") -> np.ndarray:
    """The codes of x / scale rounded once to fmt (unsigned integers, as ``numfmt.encode``);
    keep the scale to decode them with ``dequantize``. Arguments as ``quantize``.

    Args:
        x, fmt, scale: as ``quantize``.
        {rounding}

    >>> encode([1.0, 1.25, -7.0], "int4", 0.5).tolist()
    [2, 2, 8]
    """
    fmt, _, q, _ = _rounded(x, fmt, scale, rounding, overflow, seed, sr_bits, sr_rule, random_bits, rng)
    return np.asarray(_encode(q, fmt, "toward_zero"))


def dequantize(codes, fmt, scale) -> np.ndarray:
    """The values q * s of codes of fmt with their scale (float64): what ``quantize`` returns
    for the x that ``encode`` turned into these codes (negative codes take the negative
    scale of an asymmetric Scale).

    >>> dequantize([2, 2, 8], "int4", 0.5).tolist()
    [1.0, 1.0, -4.0]
    """
    fmt = _target(fmt)
    scale = _scale(scale)
    q = np.asarray(decode(codes, fmt, np.float64), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        s = scale._for(np.where(np.signbit(q), -1.0, 1.0))
    return q * s


quantize.__doc__ = quantize.__doc__.replace("{rounding}", _ROUNDING_DOC)
encode.__doc__ = encode.__doc__.replace("{rounding}", _ROUNDING_DOC)


# ----------------------------------------------------------------------------- fit
def scale_bits(fmt) -> int:
    """How many significant bits ``fit``'s scales have: 24 (float32's precision), fewer where
    the format's significands are long, so that q * s is exact in float64 (at most 53 bits
    together); at least 1 (powers of two).

    >>> scale_bits("e4m3"), scale_bits("binary32"), scale_bits("int32")
    (24, 24, 22)
    """
    fmt = _target(fmt)
    q = fmt.man_bits + 1 if fmt.family == "float" else fmt.max_int.bit_length()
    return max(1, min(24, 53 - q))


def _round_bits(s: np.ndarray, bits: int, up: bool) -> np.ndarray:
    """Positive s rounded to ``bits`` significant bits: up, or to nearest (ties to even)."""
    m, e = np.frexp(s)
    m = np.ldexp(m, bits)
    return np.ldexp(np.ceil(m) if up else np.rint(m), e - bits)


def _cover(p: np.ndarray, fmt_max: float, bits: int, pow2: bool) -> np.ndarray:
    """The smallest scale s of ``bits`` significant bits (a power of two with ``pow2``) with
    p <= fmt_max * s, at least MIN_SCALE; 1 where p == 0. fmt_max * s is exact (its
    significands have at most 53 bits together), so the test is exact; s0 = p / fmt_max
    rounded to nearest leaves no float64 between it and the exact quotient, so rounding s0 up
    and stepping once where the test fails gives the smallest."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = np.where(p > 0, p / fmt_max, 1.0)
    m, e = np.frexp(s0)
    s = np.ldexp(1.0, e - (m == 0.5)) if pow2 else _round_bits(s0, bits, up=True)
    ulp = s if pow2 else np.ldexp(1.0, np.frexp(s)[1] - bits)
    s = np.where(fmt_max * s < p, s + ulp, s)
    return np.maximum(s, MIN_SCALE)


def _rows(x: np.ndarray, axis) -> np.ndarray:
    """x as rows (C, n): one per channel along axis, or one for the tensor."""
    X = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
    return np.ascontiguousarray(X)


class _Groups:
    """The groups of a fit: rows X (C, n) and, when asymmetric, the sides of each row
    (values >= 0, values < 0); a group is a (side, row) pair. ``weight`` (C, n): how many
    elements of the data each element of a sample stands for (None: all the data)."""

    def __init__(self, X: np.ndarray, asymmetric: bool, weight: np.ndarray | None = None):
        self.X = X
        self.weight = weight
        self.neg = X < 0 if asymmetric else None
        self.sides = (None,) if self.neg is None else (~self.neg, self.neg)

    def magnitudes(self) -> np.ndarray:
        """|X| of each side, NaN elsewhere: (sides, C, n)."""
        return np.stack([np.abs(self.X) if m is None else np.where(m, np.abs(self.X), np.nan) for m in self.sides])

    def amax(self) -> np.ndarray:
        """The largest magnitude of each group (0 for none): (sides, C)."""
        if self.neg is None:
            return np.abs(self.X).max(axis=1, initial=0.0)[None]
        return np.stack([np.where(self.neg, 0.0, self.X).max(axis=1, initial=0.0),
                         np.where(self.neg, -self.X, 0.0).max(axis=1, initial=0.0)])

    def values(self, side: int, row: int) -> np.ndarray:
        """The values of one group."""
        m = self.sides[side]
        return self.X[row] if m is None else self.X[row][m[row]]

    def sample(self, size: int | None) -> _Groups:
        """About ``size`` elements of each row standing for it (self where that is all): its
        largest magnitudes (about size // 8: those at least the magnitude that many of them
        reach in the stride below; ties may add more), each for itself, and every k-th element,
        k the smallest step that leaves size - size // 8, each of those outside the largest
        standing for an equal share of the others."""
        C, n = self.X.shape
        if size is None or n <= size:
            return self
        tail = max(1, size // 8)
        step = -(-n // max(size - tail, 1))
        mags = np.abs(self.X)
        stride = mags[:, ::step]
        k = stride.shape[1] - min(stride.shape[1], -(-tail // step))
        top = mags >= np.partition(stride, k, axis=1)[:, k:k + 1]
        counts = top.sum(axis=1)
        rows, cols = np.nonzero(top)
        slots = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
        largest, ones = np.zeros((C, counts.max())), np.zeros((C, counts.max()))
        largest[rows, slots], ones[rows, slots] = self.X[rows, cols], 1.0      # zero-padded rows: weight 0
        rest = ~top[:, ::step]
        share = (n - counts[:, None]) / np.maximum(rest.sum(axis=1, keepdims=True), 1)
        X = np.concatenate([largest, self.X[:, ::step]], axis=1)
        return _Groups(X, self.neg is not None, np.concatenate([ones, np.where(rest, share, 0.0)], axis=1))

    def sse(self, fmt, candidates: list, pow2: bool) -> list:
        """Float64 sums of squared errors per group, (sides, C), under each candidate's scales
        (sides, C), quantized to nearest (ties to even) with saturation (weighted for a sample);
        on all the data, within ``_tolerance`` of the exact sums. Candidates are quantized
        together, up to BATCH elements a call."""
        C, n = self.X.shape
        per = max(1, BATCH // max(C * n, 1))
        out = []
        for i in range(0, len(candidates), per):
            k = len(candidates[i:i + per])
            scales = np.concatenate(candidates[i:i + per], axis=1)           # (sides, k * C)
            X = np.tile(self.X, (k, 1)) if k > 1 else self.X
            if self.neg is None:
                S = np.broadcast_to(scales[0][:, None], X.shape)
            else:
                neg = np.tile(self.neg, (k, 1))
                S = np.where(neg, scales[1][:, None], scales[0][:, None])
            e = X - _quotient(X, S, fmt, Rounding.NEAREST_EVEN, "saturate", None, pow2) * S
            sq = e * e if self.weight is None else e * e * np.tile(self.weight, (k, 1))
            sums = np.stack([sq.sum(axis=1) if m is None else np.where(np.tile(m, (k, 1)), sq, 0.0).sum(axis=1)
                             for m in self.sides])
            out += np.split(sums, k, axis=1)
        return out


def _tolerance(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A bound on |a - b| below which float64 sums of n squared errors (a, b) may disagree in
    order with the exact sums: each term is within 3 units in the last place, any summation
    order within (n - 1) more (Higham's gamma_(n-1)); q * s is exact, or (underflow) off by
    2**-1074 at most, which moves a term by less than 2**-560 for errors below 2**481."""
    return (n + 8) * 2.0 ** -51 * np.maximum(a, b) + (n + 1) * 2.0 ** -560


def _integer_parts(a: np.ndarray):
    """(m, e) with a = m * 2**e exactly, m int64 (|m| < 2**53), e integers."""
    m, e = np.frexp(a)
    return np.ldexp(m, 53).astype(np.int64), e - 53


def _exact_sse(x: np.ndarray, fmt, s: float) -> Fraction:
    """The exact sum of (x - q * s)**2 with q = x / s rounded to fmt (nearest even, saturated),
    in Python integers."""
    q = _quotient(x, np.full(x.shape, s), fmt, Rounding.NEAREST_EVEN, "saturate", None, False)
    x, q = x[(x != 0) | (q != 0)], q[(x != 0) | (q != 0)]          # zeros quantized to zero add nothing
    ms, es = _integer_parts(np.float64(s))
    mx, ex = _integer_parts(x)
    mq, eq = _integer_parts(q)
    ev = eq + int(es)
    low = int(min(ex.min(initial=0), ev.min(initial=0)))
    total = 0
    for a, ea, c, ec in zip(mx.tolist(), (ex - low).tolist(), mq.tolist(), (ev - low).tolist()):
        d = (a << ea) - ((c * int(ms)) << ec)
        total += d * d
    return Fraction(total) * Fraction(2) ** (2 * low)


def _never_worse(groups: _Groups, fmt, chosen, chosen_sse, baselines: list, baseline_sse: list) -> np.ndarray:
    """chosen (sides, C), replaced in each group where a baseline is better, exactly: float64
    sums decide where they differ by more than ``_tolerance``, Python integers elsewhere."""
    chosen, chosen_sse = chosen.copy(), chosen_sse.copy()
    n = groups.X.shape[1]
    for b, b_sse in zip(baselines, baseline_sse):
        close = (chosen != b) & (np.abs(chosen_sse - b_sse) <= _tolerance(n, chosen_sse, b_sse))
        for side, row in zip(*np.nonzero(close)):
            values = groups.values(side, row)
            if _exact_sse(values, fmt, chosen[side, row]) > _exact_sse(values, fmt, b[side, row]):
                chosen[side, row], chosen_sse[side, row] = b[side, row], b_sse[side, row]
        worse = (chosen != b) & (chosen_sse - b_sse > _tolerance(n, chosen_sse, b_sse))
        chosen = np.where(worse, b, chosen)
        chosen_sse = np.where(worse, b_sse, chosen_sse)
    return chosen


def _grid(top: np.ndarray, bits: int, pow2: bool, steps: int, ks) -> list:
    """top * 2**(-k / steps) for k in ks, rounded to ``bits`` bits (exact for powers of two),
    at least MIN_SCALE."""
    return [np.maximum(top * 2.0 ** -k if pow2 else _round_bits(top * 2.0 ** (-k / steps), bits, up=False),
                       MIN_SCALE) for k in ks]


def _search(x, fmt, axis, asymmetric: bool, pow2: bool, baselines: list, sample: int | None) -> np.ndarray:
    """The "mse" scales (sides, C) (see ``fit``), never worse than the max scale and the
    baselines ((sides, C) arrays), exactly, on all the data."""
    groups = _Groups(_rows(x, axis), asymmetric)
    bits = scale_bits(fmt)
    fixed = [_cover(groups.amax(), float(fmt.info.max), bits, pow2)] + baselines
    searched = groups.sample(sample)
    if pow2:
        grid = _grid(fixed[0], bits, True, 1, range(1, OCTAVES + 1))
    else:
        grid = _grid(fixed[0], bits, False, COARSE_STEPS, range(1, OCTAVES * COARSE_STEPS + 1))
    errors = searched.sse(fmt, fixed + grid, pow2)
    if not pow2:                                           # refine around the best coarse point
        coarse = np.stack(fixed[:1] + grid)
        pick = np.argmin(np.stack(errors[:1] + errors[len(fixed):]), axis=0)
        best = np.take_along_axis(coarse, pick[None], 0)[0]
        spread = FINE_STEPS // COARSE_STEPS
        fine = _grid(best, bits, False, FINE_STEPS, [k for k in range(-spread + 1, spread) if k])
        grid += fine
        errors += searched.sse(fmt, fine, pow2)
    pick = np.argmin(np.stack(errors), axis=0)             # ties: the first (the max scale)
    chosen = np.take_along_axis(np.stack(fixed + grid), pick[None], 0)[0]
    if searched is groups:
        fixed_sse = errors[:len(fixed)]
        chosen_sse = np.take_along_axis(np.stack(errors), pick[None], 0)[0]
    else:
        fixed_sse = groups.sse(fmt, fixed, pow2)
        chosen_sse = fixed_sse[0] if np.array_equal(chosen, fixed[0]) else groups.sse(fmt, [chosen], pow2)[0]
    return _never_worse(groups, fmt, chosen, chosen_sse, fixed, fixed_sse)


def _mse_scales(x, fmt, axis, asymmetric: bool, pow2: bool, sample, memo: dict) -> np.ndarray:
    """``_search`` with the baselines that make the guarantees hold: the per-tensor solution
    for per-channel scales, the symmetric solution for asymmetric ones (memoized)."""
    key = (axis, asymmetric)
    if key not in memo:
        channels = 1 if axis is None else x.shape[axis]
        baselines = []
        if axis is not None:
            baselines.append(np.repeat(_mse_scales(x, fmt, None, asymmetric, pow2, sample, memo), channels, axis=1))
        if asymmetric:
            baselines.append(np.repeat(_mse_scales(x, fmt, axis, False, pow2, sample, memo), 2, axis=0))
        memo[key] = _search(x, fmt, axis, asymmetric, pow2, baselines, sample)
    return memo[key]


def fit(x, fmt, axis: int | None = None, objective: str = "max", asymmetric: bool = False,
        power_of_two: bool = False, *, percentile: float = 99.9, sample: int | None = None) -> Scale:
    """The scale(s) for storing x in fmt as q * s (``quantize``), chosen from the data.

    Groups: the whole tensor (``axis=None``) or each index along ``axis`` (per channel); with
    ``asymmetric`` (AFPQ), the values >= 0 and the values < 0 of each of those separately.
    Scales have ``scale_bits(fmt)`` significant bits (24 for most formats: each is a float32
    where float32's range allows), or are powers of two with ``power_of_two`` (an exponent
    bias, as in LLM-FP4 and MX); they are at least 2**-1000. A group without nonzero values
    gets scale 1.

    Objectives:

    - ``"max"``: the smallest such scale s_max with amax / s_max <= the format's largest
      value (amax the group's largest magnitude): nothing clips.
    - ``"percentile"``: the same for the ``percentile``-th percentile of the group's
      magnitudes (numpy's linear interpolation; amax where that is 0) instead of amax; values
      above it clip.
    - ``"mse"``: the candidate with the smallest sum of squared errors of ``quantize``
      (nearest even, saturating). The grid: s_max * 2**(-k/4) for k = 0 .. 20 (five octaves
      below s_max), then the best of those times 2**(j/16) for j = -3 .. 3, each rounded to
      ``scale_bits`` bits (to nearest); with ``power_of_two``, s_max * 2**-k for k = 0 .. 5.
      Baselines are candidates too: per channel, the per-tensor "mse" scale(s); asymmetric,
      the symmetric "mse" scales. The result is then compared with s_max and the baselines on
      all the data, in float64 where the sums differ by more than a rigorous bound on their
      rounding errors and exactly (Python integers) elsewhere, so that, exactly: "mse" is
      never worse than "max", asymmetric never worse than symmetric, per channel never worse
      than per tensor (in the sum of squared errors on x, the other arguments the same). The
      search quantizes x 27 times (6 with ``power_of_two``), and per channel or asymmetric
      adds the searches of its baselines.

    Args:
        x: real array, finite, magnitudes at most 2**480.
        fmt: a signed float or integer / fixed-point format.
        axis: the channel axis, or None (one scale per tensor).
        objective: ``"max"``, ``"mse"`` or ``"percentile"``.
        asymmetric: separate scales for values >= 0 and < 0 (AFPQ).
        power_of_two: powers of two only.
        percentile: for objective="percentile", in (0, 100].
        sample: for objective="mse": search the grid on about ``sample`` elements of each
            tensor or channel only: its largest magnitudes (about sample // 8) and a regular
            stride through the others, weighted to stand for them. The final comparison with s_max
            and the baselines still uses all of x, so the guarantees hold. None (the default):
            search on all of x.

    Returns:
        A ``Scale`` (per-channel scales are 1-d along ``axis``).

    >>> x = np.array([[0.1, -0.2, 0.3, 4.0], [1.0, -1.0, 0.5, -0.25]])
    >>> fit(x, "e2m1")                                   # 4 / 6 rounded up to 24 bits
    Scale(0.6666666865348816)
    >>> fit(x, "e2m1", axis=0, power_of_two=True)
    Scale([1.0, 0.25], axis=0)
    >>> fit(x, "int4", objective="mse", asymmetric=True)
    Scale(0.5714285969734192, negative=0.12544658780097961)
    """
    fmt = _target(fmt)
    if not fmt.signed or (fmt.family == "float" and not fmt.zero):
        raise ValueError(f"fit needs a signed format with a zero; {fmt.name} is not one")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}; got {objective!r}")
    if isinstance(percentile, bool) or not (isinstance(percentile, (int, float, np.integer, np.floating))
                                            and 0 < percentile <= 100):
        raise ValueError(f"percentile must be a number in (0, 100]; got {percentile!r}")
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1):
        raise ValueError(f"sample must be a positive integer or None; got {sample!r}")
    x = as_float_array(x).astype(np.float64)
    if x.size == 0:
        raise ValueError(f"x is empty (shape {x.shape}); fit needs values")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite (no NaN or Inf) to fit a scale")
    if np.max(np.abs(x)) > MAX_MAGNITUDE:
        raise ValueError("x must have magnitudes at most 2**480 (its squared errors must fit in float64)")
    axis = checked_axis(axis, x.ndim)
    asymmetric, power_of_two = bool(asymmetric), bool(power_of_two)
    if objective == "mse":
        scales = _mse_scales(x, fmt, axis, asymmetric, power_of_two, sample, {})
    else:
        groups = _Groups(_rows(x, axis), asymmetric)
        p = groups.amax()
        if objective == "percentile":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)        # a side without values
                level = np.nanpercentile(groups.magnitudes(), percentile, axis=2)
            p = np.where(level > 0, level, p)
        scales = _cover(p, float(fmt.info.max), scale_bits(fmt), power_of_two)
    shaped = (lambda v: v[0]) if axis is None else (lambda v: v)
    return Scale(shaped(scales[0]), axis, shaped(scales[1]) if asymmetric else None)
