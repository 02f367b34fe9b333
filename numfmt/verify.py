"""``numfmt verify``: the conformance checks against whatever oracles are installed.

Each check is a small function ``run(oracle, batch, size) -> Outcome``: it compares numfmt with
one independent oracle (the imported module ``oracle``; None for the checks that need none) on
batch number ``batch`` of ``size`` inputs (random checks seed their generator with the batch
number, sweeps take the batch-th slice), and returns how many comparisons it made (an input
checked in six rounding modes counts six times), how many differ and the first difference. A
check whose oracle does not import is skipped with the reason. ``run_checks`` runs them, in
quick mode (small fixed-seed samples, a time budget of about 30 seconds: the first batch of
every check always runs, further batches only while they fit in the check's share of what is
left) or in full mode (exhaustive sweeps where feasible, large samples elsewhere). This is how
a new platform, Numba or LLVM version is checked.

The oracles and their quirks are described in each check's docstring (and in SPEC_NOTES):
ml_dtypes (float32 inputs, round to nearest even, non-saturating), numpy float16, gmpy2 / MPFR
(no ties-away and no round-to-odd: both derived), gfloat (P3109, OCP, stochastic rounding with
explicit random bits, MX blocks), softposit (``pX2_*``: posit<n,2> of the 2022 standard).

Example:
    >>> results = run_checks(only="roundtrip", progress=False)
    >>> [(r.name, r.status, r.mismatches) for r in results]
    [('roundtrip', 'ok', 0)]
"""
from __future__ import annotations

import importlib
import math
from fractions import Fraction
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

from .casts import decode, encode, round as _round
from .formats.posit import PositFormat
from .formats.registry import format as _format, registered
from .ops import add, div, fma, mul, sqrt, sub

QUICK_BUDGET_S = 30.0
MODES = ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd")
OPS = {"add": add, "sub": sub, "mul": mul, "div": div, "fma": fma, "sqrt": sqrt}


class Outcome(NamedTuple):
    """What one batch of a check found: inputs compared, mismatches, the first one ("" if none)."""
    compared: int
    mismatches: int
    first: str


class Skip(Exception):
    """Raised by a check that cannot run here (its oracle lacks a format, say); the message is the reason."""


@dataclass(frozen=True)
class Check:
    """A named comparison with one oracle. ``quick`` and ``full`` are (batch size, batches)."""
    name: str
    oracle: str
    run: Callable[[Any, int, int], Outcome]
    quick: tuple[int, int]
    full: tuple[int, int]


@dataclass
class CheckResult:
    """One row of the table: comparisons made, mismatches, seconds, and the status: ``ok``,
    ``MISMATCH``, ``ERROR`` (the check raised; ``first`` says what) or ``skipped: <reason>``;
    ``first`` describes the first mismatch."""
    name: str
    oracle: str
    compared: int = 0
    mismatches: int = 0
    seconds: float = 0.0
    status: str = "ok"
    first: str = ""

    @property
    def failed(self) -> bool:
        """A mismatch or an error (the command exits 1)."""
        return self.status in ("MISMATCH", "ERROR")


# ----------------------------------------------------------------------------- helpers
def _same(got, want) -> np.ndarray:
    """Bitwise equality as float64 (NaN == NaN whatever its payload; -0 != +0)."""
    with np.errstate(invalid="ignore"):        # signalling NaNs among float32 bit patterns
        g = np.asarray(got, np.float64)
        w = np.asarray(want, np.float64)
    return (g.view(np.int64) == w.view(np.int64)) | (np.isnan(g) & np.isnan(w))


def _r(v) -> str:
    """A value as text in a mismatch description: the exact float (float32 values widened)."""
    return repr(float(v))


def _outcome(bad: np.ndarray, describe: Callable[[int], str]) -> Outcome:
    """The outcome of a mask of mismatches; ``describe(i)`` tells the first."""
    bad = np.asarray(bad, bool)
    first = describe(int(np.flatnonzero(bad)[0])) if bad.any() else ""
    return Outcome(int(bad.size), int(bad.sum()), first)


def _merge(outcomes: list[Outcome]) -> Outcome:
    """Several outcomes as one (the first mismatch of the first that has one)."""
    return Outcome(sum(o.compared for o in outcomes), sum(o.mismatches for o in outcomes),
                   next((o.first for o in outcomes if o.first), ""))


def float64_inputs(fmt, n: int, rng: np.random.Generator, signed: bool = True) -> np.ndarray:
    """n finite float64 inputs for casts to fmt: grid midpoints of the format, a few float64 ulps
    apart, points near max and the overflow threshold, subnormals and below, random magnitudes
    over the range and beyond. Negative for about half of them if ``signed``.

    >>> x = float64_inputs(_format("e4m3"), 1000, np.random.default_rng(0))
    >>> x.shape, bool((np.abs(x) > 448).any()), bool((np.abs(x) < 2.0 ** -6).any())
    ((1000,), True, True)
    """
    M, info = fmt.man_bits, fmt.info
    k = max(n // 5, 1)
    lo, hi = math.log2(info.smallest_subnormal), math.log2(info.max) + 1
    v = np.exp2(rng.uniform(lo, hi, k))
    q = np.exp2(np.maximum(np.floor(np.log2(v)), fmt.emin) - M)
    mid = np.floor(v / q) * q + q / 2
    near_mid = mid + rng.integers(-3, 4, k) * np.spacing(mid)
    step = 2.0 ** (math.floor(math.log2(info.max)) - M)
    near_max = info.max + rng.uniform(-2, 2, k) * step
    near_max_exact = info.max + rng.integers(-4, 4, k) * step / 2
    tiny = rng.uniform(0, 2.0 ** fmt.emin * 1.01, k)
    spread = np.exp2(rng.uniform(lo - 3, hi + 2, max(n - 4 * k, 0)))
    x = np.concatenate([near_mid, near_max, near_max_exact, tiny, spread])[:n]
    return np.where(rng.random(x.size) < 0.5, -x, x) if signed else x


def ml_dtype(ml, name: str) -> type:
    """The ml_dtypes (or numpy) dtype of a numfmt format name.

    >>> import ml_dtypes
    >>> ml_dtype(ml_dtypes, "e4m3"), ml_dtype(ml_dtypes, "binary16")
    (<class 'ml_dtypes.float8_e4m3fn'>, <class 'numpy.float16'>)
    """
    attr = ML_DTYPES[name]
    if attr == "float16":
        return np.float16
    if not hasattr(ml, attr):
        raise Skip(f"ml_dtypes {getattr(ml, '__version__', '?')} has no {attr}")
    return getattr(ml, attr)


# ----------------------------------------------------------------------------- ml_dtypes
ML_DTYPES = {
    "binary16": "float16", "bfloat16": "bfloat16", "e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2",
    "e4m3fnuz": "float8_e4m3fnuz", "e5m2fnuz": "float8_e5m2fnuz", "e4m3b11fnuz": "float8_e4m3b11fnuz",
    "e4m3ieee": "float8_e4m3", "e3m4": "float8_e3m4", "e3m2": "float6_e3m2fn", "e2m3": "float6_e2m3fn",
    "e2m1": "float4_e2m1fn", "e8m0": "float8_e8m0fnu",
}


def e8m0_quirks(x: np.ndarray, subnormals: bool = True) -> np.ndarray:
    """The float32 inputs where ml_dtypes' e8m0 cast differs from the rule numfmt follows:
    (1) ties 1.5 * 2**k: ml_dtypes rounds them up, numfmt (as P3109 and gfloat) to the even code
    (SPEC_NOTES); (2) with ``subnormals`` (ml_dtypes before 0.7, ``e8m0_subnormal_quirk``)
    float32 subnormals in (2**-127, 2**-126): ml_dtypes gives 2**-126, the nearest is 2**-127
    below 1.5 * 2**-127. Zero and negative inputs give NaN in both.

    >>> e8m0_quirks(np.array([3.0, 2.0, 1.25 * 2.0**-127], np.float32)).tolist()
    [True, False, True]
    """
    with np.errstate(invalid="ignore"):
        a = np.abs(x.astype(np.float64))
    return (np.frexp(a)[0] == 0.75) | (subnormals & (a > 2.0**-127) & (a < 2.0**-126))


def e8m0_subnormal_quirk(ml) -> bool:
    """Whether this ml_dtypes module casts float32 subnormals to e8m0 by their exponent field
    alone (2**-126 for all of (2**-127, 2**-126)): versions before 0.7 do."""
    return bool(ml.float8_e8m0fnu(np.float32(1.25 * 2.0**-127)) == ml.float8_e8m0fnu(2.0**-126))


def compare_ml_dtypes(ml, name: str, x: np.ndarray) -> Outcome:
    """numfmt's round and encode of float32 inputs x against ml_dtypes' cast (round to nearest
    even, non-saturating), value for value (bitwise, NaN == NaN) and code for code where the
    result is not NaN (ml_dtypes keeps NaN payloads). Formats without NaN (FP6, FP4) map NaN as
    ml_dtypes does (``nan="ml_dtypes"``). e8m0: the inputs of ``e8m0_quirks`` are left out.

    >>> import ml_dtypes
    >>> compare_ml_dtypes(ml_dtypes, "e4m3", np.array([1.06, 465.0, np.nan], np.float32))
    Outcome(compared=3, mismatches=0, first='')
    """
    fmt, dt = _format(name), ml_dtype(ml, name)
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    with np.errstate(all="ignore"):
        cast = x.astype(dt)
    want, want_codes = cast.astype(np.float32), cast.view(np.uint16 if cast.itemsize == 2 else np.uint8)
    got, codes = _round(x, fmt, nan=nan), encode(x, fmt, nan=nan)
    keep = ~e8m0_quirks(x, e8m0_subnormal_quirk(ml)) if name == "e8m0" else np.ones(x.size, bool)
    bad = (~_same(got, want) | ((codes != want_codes) & ~np.isnan(want)))[keep]
    x, got, want, codes, want_codes = (a[keep] for a in (x, got, want, codes, want_codes))
    return _outcome(bad, lambda i: f"{name}: float32 {_r(x[i])} (0x{int(x[i:i+1].view(np.uint32)[0]):08x}): "
                                   f"numfmt {_r(got[i])} (0x{int(codes[i]):02x}), ml_dtypes {_r(want[i])} "
                                   f"(0x{int(want_codes[i]):02x})")


def _ml_cast(name: str):
    def run(ml, batch: int, size: int) -> Outcome:
        """Random float32 bit patterns (NaN, Inf, subnormals included), cast to the format."""
        bits = np.random.default_rng(batch).integers(0, 1 << 32, size, dtype=np.uint32)
        return compare_ml_dtypes(ml, name, bits.view(np.float32))
    return run


def _ml_sweep(name: str):
    def run(ml, batch: int, size: int) -> Outcome:
        """Consecutive float32 bit patterns: slice ``batch * 0x9E3779B1 mod (2**32 / size)``, a
        permutation of the slices, so that the full mode's 2**32 / size batches cover every
        pattern and a few quick batches land far apart."""
        start = (batch * 0x9E3779B1) % ((1 << 32) // size) * size
        return compare_ml_dtypes(ml, name, np.arange(start, start + size, dtype=np.uint32).view(np.float32))
    return run


def _all_codes(fmt) -> np.ndarray:
    return np.arange(1 << fmt.bits, dtype=np.uint16 if fmt.bits > 8 else np.uint8)


def compare_ml_decode(ml, name: str) -> Outcome:
    """decode of every code of a format against ml_dtypes' view of the code, bitwise and with
    the sign of NaN.

    >>> import ml_dtypes
    >>> compare_ml_decode(ml_dtypes, "e2m1")
    Outcome(compared=16, mismatches=0, first='')
    """
    fmt, dt = _format(name), ml_dtype(ml, name)
    codes = _all_codes(fmt)
    got = decode(codes, fmt, np.float64)
    with np.errstate(invalid="ignore"):
        want = codes.view(dt).astype(np.float64)
    bad = ~_same(got, want) | (np.signbit(got) != np.signbit(want))
    return _outcome(bad, lambda i: f"{name}: code 0x{int(codes[i]):02x}: numfmt {_r(got[i])}, ml_dtypes {_r(want[i])}")


def _check_ml_decode(ml, batch: int, size: int) -> Outcome:
    """``compare_ml_decode`` for every format ml_dtypes has (``size`` is unused: every code)."""
    outcomes = []
    for name in ML_DTYPES:
        try:
            outcomes.append(compare_ml_decode(ml, name))
        except Skip:            # an older ml_dtypes without the format: its cast check says so
            continue
    return _merge(outcomes)


# ----------------------------------------------------------------------------- numpy float16
def _check_numpy_float16(np_, batch: int, size: int) -> Outcome:
    """round(x, "binary16") of float64 inputs against numpy's x.astype(float16), which is
    correctly rounded (nearest even): random float64 bit patterns, then inputs near ties, max
    and subnormals."""
    rng = np.random.default_rng(batch)
    fmt = _format("binary16")
    x = np.concatenate([rng.integers(0, 1 << 64, size // 4, dtype=np.uint64).view(np.float64),
                        float64_inputs(fmt, size - size // 4, rng)])
    with np.errstate(all="ignore"):
        want = x.astype(np_.float16).astype(np.float64)
    got = _round(x, fmt)
    return _outcome(~_same(got, want), lambda i: f"float64 {_r(x[i])}: numfmt {_r(got[i])}, numpy {_r(want[i])}")


# ----------------------------------------------------------------------------- gmpy2 / MPFR
def _code_parity(t: np.ndarray, fmt) -> np.ndarray:
    """Parity of the magnitude code of format values t >= 0 (man_bits >= 1: the fraction's)."""
    e = np.maximum(np.floor(np.log2(np.where(t > 0, t, 1.0))), fmt.emin)
    return np.round(t / np.exp2(e - fmt.man_bits)).astype(np.int64) & 1


def mpfr_cast_expected(gmpy2, x: np.ndarray, fmt) -> dict[str, np.ndarray]:
    """The expected round(x, fmt, mode) of float64 x in the six deterministic modes, from MPFR's
    toward-zero, up and nearest roundings of |x| at the format's precision (man_bits + 1, emin
    = emin - man_bits + 1, emax = floor(log2 max) + 1, subnormalize). MPFR has no ties-away and
    no round-to-odd: they are derived from the exact midpoint and from toward-zero's result and
    code parity. Overflow: Inf where the mode goes to infinity and the format has it, else NaN
    where it has one, else max; round-to-odd stops at max (SoftFloat) except in P3109 formats.

    >>> import gmpy2
    >>> want = mpfr_cast_expected(gmpy2, np.array([1.0625, -500.0]), _format("e4m3"))
    >>> want["nearest_even"].tolist(), want["nearest_away"].tolist(), want["toward_zero"].tolist()
    ([1.0, nan], [1.125, nan], [1.0, -448.0])
    """
    M, mx = fmt.man_bits, fmt.info.max
    kw = dict(precision=M + 1, emin=fmt.emin - M + 1, emax=math.floor(math.log2(mx)) + 1, subnormalize=True)
    a = np.abs(x)

    def rounded(mode):
        ctx = gmpy2.context(round=mode, **kw)
        return np.array([float(ctx.plus(v)) for v in a.tolist()])

    rz, ru, rn = rounded(gmpy2.RoundToZero), rounded(gmpy2.RoundUp), rounded(gmpy2.RoundToNearest)
    exact = rz == a
    hi = np.where(np.isinf(ru), rz + np.exp2(np.floor(np.log2(np.where(rz > 0, rz, 1.0))) - M), ru)
    rna = np.where(exact, rz, np.where(a >= (rz + hi) / 2, hi, rz))
    rto = np.where(exact | (_code_parity(rz, fmt) == 1), rz, hi)
    inf_val = math.inf if fmt.has_inf else (math.nan if fmt.has_nan else mx)
    neg = np.signbit(x)
    sgn = np.where(neg, -1.0, 1.0)

    def finish(mag, to_inf):
        out = np.where(mag > mx, np.where(to_inf, inf_val, mx), mag) * sgn
        return out if fmt.has_negative_zero else np.where(out == 0, 0.0, out)

    t, f = np.ones(x.size, bool), np.zeros(x.size, bool)
    return {"nearest_even": finish(rn, t), "nearest_away": finish(rna, t), "toward_zero": finish(rz, f),
            "odd": finish(rto, t if fmt.special == "p3109" else f),
            "toward_positive": finish(np.where(neg, rz, hi), ~neg),
            "toward_negative": finish(np.where(neg, hi, rz), neg)}


def compare_mpfr_cast(gmpy2, x: np.ndarray, fmt) -> Outcome:
    """numfmt's round of float64 x to fmt in all six deterministic modes against MPFR
    (``mpfr_cast_expected``); an input counts once per mode.

    >>> import gmpy2
    >>> compare_mpfr_cast(gmpy2, np.array([0.1, -1e9]), _format("e5m2"))
    Outcome(compared=12, mismatches=0, first='')
    """
    outcomes = []
    for mode, want in mpfr_cast_expected(gmpy2, x, fmt).items():
        got = _round(x, fmt, mode)
        outcomes.append(_outcome(~_same(got, want), lambda i: f"{fmt.name} {mode}: float64 {_r(x[i])}: "
                                                              f"numfmt {_r(got[i])}, MPFR {_r(want[i])}"))
    return _merge(outcomes)


def _mpfr_cast(name: str):
    def run(gmpy2, batch: int, size: int) -> Outcome:
        """float64 inputs near ties, max, the overflow threshold and among subnormals
        (``float64_inputs``), in all six deterministic modes, against MPFR."""
        fmt = _format(name)
        return compare_mpfr_cast(gmpy2, float64_inputs(fmt, size, np.random.default_rng(batch), fmt.signed), fmt)
    return run


class MpfrOracle:
    """Correctly rounded results of one float format in the six deterministic modes, from MPFR
    at precision man_bits + 1 with subnormalize=True, emin = emin - man_bits + 1 and an unbounded
    exponent range above (emax = 2**20), in RoundToZero, RoundAwayZero, RoundUp and RoundDown,
    plus the exact result at 4000 bits (exact for + - * fma of formats up to 64 bits; for div and
    sqrt a result inexact at 4000 bits is no tie). Derived on top of MPFR, which lacks them:

    - nearest_even / nearest_away: MPFR's "even" is the significand's parity, not the code's for
      p = 1, and it has no ties-away: both come from the toward-zero result z, the away result a
      and the exact midpoint (z + a) / 2, ties to a (away) or to the even code.
    - odd: z if exact or if z's code is odd, else a.
    - overflow: a rounded result above max gives ±Inf where the mode overflows to infinity and
      the format has Inf, else NaN where it has NaN, else ±max; ±max in the other modes
      (round-to-odd stops at max, except in P3109 formats: P3109's rule). Formats without -0 give +0.

    Quirk: Python operators on gmpy2 numbers (abs(), +) round to the *global* context's 53 bits;
    the oracle calls the exact context's methods.

    >>> import gmpy2
    >>> r = MpfrOracle(gmpy2, "e4m3").results("add", [1.0, 0.0625])      # a tie: 1.0625
    >>> r["nearest_even"], r["nearest_away"], r["odd"]
    (1.0, 1.125, 1.125)
    """

    def __init__(self, gmpy2, fmt):
        self.gmpy2, self.fmt = gmpy2, _format(fmt)
        f = self.fmt
        self.M = f.man_bits
        self.ctx = {rnd: gmpy2.context(precision=f.man_bits + 1, emin=f.emin - f.man_bits + 1, emax=1 << 20,
                                       subnormalize=True, round=rnd)
                    for rnd in (gmpy2.RoundToZero, gmpy2.RoundAwayZero, gmpy2.RoundUp, gmpy2.RoundDown)}
        self.exact = gmpy2.context(precision=4000, emin=-(1 << 20), emax=1 << 20)
        self.max = gmpy2.mpfr(f.info.max)

    def _code(self, v) -> int:
        """The magnitude code of |v| on the format's grid (extended beyond max)."""
        v = abs(Fraction(*v.as_integer_ratio()))     # exact: v may lie beyond float64's range
        if v == 0:
            return 0
        f = self.fmt
        e = v.numerator.bit_length() - v.denominator.bit_length()
        be = max(e - (Fraction(2) ** e > v), f.emin)
        m = math.floor(v / Fraction(2) ** (be - self.M))
        return m if v < Fraction(2) ** f.emin else ((be - f.emin + 1) << self.M) + m - (1 << self.M)

    @staticmethod
    def _apply(ctx, op, xs):
        ctx.clear_flags()
        return getattr(ctx, op)(*xs), ctx.inexact

    def _finish(self, r, mode: str) -> float:
        """The format's conventions on top of a rounded MPFR result."""
        g, f = self.gmpy2, self.fmt
        if g.is_nan(r):
            return math.nan
        neg = g.is_signed(r)
        sign = -1.0 if neg else 1.0
        if g.is_infinite(r) or abs(r) > self.max:
            to_inf = mode in ("nearest_even", "nearest_away", "toward_negative" if neg else "toward_positive")
            to_inf = to_inf or (mode == "odd" and f.special == "p3109")
            if g.is_finite(r) and not to_inf:
                return sign * f.info.max
            if f.has_inf:
                return sign * math.inf
            return math.nan if f.has_nan else sign * f.info.max
        if r == 0 and not f.has_negative_zero:
            return 0.0
        return float(r)

    def results(self, op: str, args) -> dict[str, float]:
        """{mode: result} of op ("add", "sub", "mul", "div", "fma", "sqrt") on float operands."""
        g = self.gmpy2
        xs = [g.mpfr(a, 53) for a in args]
        z, inexact = self._apply(self.ctx[g.RoundToZero], op, xs)
        up, _ = self._apply(self.ctx[g.RoundUp], op, xs)
        down, _ = self._apply(self.ctx[g.RoundDown], op, xs)
        rne = rna = odd = z
        if inexact and g.is_finite(z):
            a, _ = self._apply(self.ctx[g.RoundAwayZero], op, xs)
            ex, ex_inexact = self._apply(self.exact, op, xs)
            mid = self.exact.div(self.exact.add(z, a), 2)
            tie = not ex_inexact and ex == mid
            near = a if self.exact.abs(ex) > self.exact.abs(mid) else z
            odd = z if self._code(z) % 2 == 1 else a
            rna = a if tie else near
            rne = (z if self._code(z) % 2 == 0 else a) if tie else near
        raw = {"nearest_even": rne, "nearest_away": rna, "toward_zero": z, "toward_positive": up,
               "toward_negative": down, "odd": odd}
        return {mode: self._finish(r, mode) for mode, r in raw.items()}


def _float_operands(fmt, n: int, arity: int, rng: np.random.Generator) -> list[np.ndarray]:
    """n operand tuples of a float format: values of random codes (NaN left out), a third of the
    second operands within a few ulps of the first or its negative (ties, cancellation), and for
    fma half of the addends near -a*b (cancellation of the product)."""
    fmt = _format(fmt)
    codes = rng.integers(0, 1 << fmt.bits, (arity, n), dtype=np.uint64)      # up to 64 bits
    v = decode(codes, fmt, np.float64)
    v = np.where(np.isnan(v), 0.0, v)
    if arity >= 2:
        step = 1 + rng.integers(-4, 5, n) * 2.0 ** -fmt.man_bits
        with np.errstate(over="ignore"):             # binary64's max times step: inf, saturated
            near = _round(v[0] * step * rng.choice([-1.0, 1.0], n), fmt, "toward_zero", "saturate", nan="ml_dtypes")
        v[1] = np.where((rng.random(n) < 0.3) & np.isfinite(v[0]), near, v[1])
    if arity == 3:
        with np.errstate(all="ignore"):
            c = _round(-v[0] * v[1], fmt, "toward_zero", "saturate", nan="ml_dtypes")
        v[2] = np.where((rng.random(n) < 0.5) & np.isfinite(c), c, v[2])
    return list(v)


ARITH_FORMATS = ("e4m3", "e5m2", "e2m1", "binary16", "bfloat16", "binary64")


def compare_mpfr_op(gmpy2, op: str, fmt, operands: list[np.ndarray], modes=MODES) -> Outcome:
    """numfmt's ``op`` ("add", "sub", "mul", "div", "fma", "sqrt") on operand arrays of a float
    format against ``MpfrOracle`` in each of ``modes``; an operand tuple counts once per mode.
    Invalid results (0/0, sqrt of a negative) in formats without NaN raise in numfmt: left out.

    >>> import gmpy2
    >>> compare_mpfr_op(gmpy2, "add", "e4m3", [np.array([1.0, 448.0]), np.array([0.0625, 32.0])])
    Outcome(compared=12, mismatches=0, first='')
    """
    fmt = _format(fmt)
    oracle = MpfrOracle(gmpy2, fmt)
    want = [oracle.results(op, args) for args in zip(*(np.asarray(x, np.float64).tolist() for x in operands))]
    outcomes = []
    for mode in modes:
        w = np.array([r[mode] for r in want])
        keep = np.ones(w.size, bool) if fmt.has_nan else ~np.isnan(w)
        args, w = [x[keep] for x in operands], w[keep]
        got = OPS[op](*args, fmt, mode)
        outcomes.append(_outcome(~_same(got, w), lambda i: f"{op} {fmt.name} {mode} {[float(a[i]) for a in args]}: "
                                                           f"numfmt {_r(got[i])}, MPFR {_r(w[i])}"))
    return _merge(outcomes)


def _mpfr_arith(op: str):
    def run(gmpy2, batch: int, size: int) -> Outcome:
        """``op`` on operands of e4m3, e5m2, e2m1, binary16, bfloat16 and binary64 (``_float_operands``)
        in all six deterministic modes against ``MpfrOracle``."""
        rng = np.random.default_rng(batch)
        arity = 1 if op == "sqrt" else 3 if op == "fma" else 2
        m = max(size // len(ARITH_FORMATS), 1)
        return _merge([compare_mpfr_op(gmpy2, op, name, _float_operands(name, m, arity, rng))
                       for name in ARITH_FORMATS])
    return run


# ----------------------------------------------------------------------------- gfloat
GFLOAT_OCP = {"e4m3": "format_info_ocp_e4m3", "e5m2": "format_info_ocp_e5m2", "e3m2": "format_info_ocp_e3m2",
              "e2m3": "format_info_ocp_e2m3", "e2m1": "format_info_ocp_e2m1",
              "bfloat16": "format_info_bfloat16", "binary16": "format_info_binary16"}
GFLOAT_MX = {"mxfp8_e4m3": "format_info_mxfp8_e4m3", "mxfp8_e5m2": "format_info_mxfp8_e5m2",
             "mxfp6_e3m2": "format_info_mxfp6_e3m2", "mxfp6_e2m3": "format_info_mxfp6_e2m3",
             "mxfp4": "format_info_mxfp4_e2m1", "mxint8": "format_info_mxint8"}


def gfloat_modes(gfloat) -> dict[str, Any]:
    """{numfmt rounding: gfloat RoundMode} of the five deterministic modes gfloat has (no odd).

    >>> import gfloat
    >>> gfloat_modes(gfloat)["nearest_even"]
    <RoundMode.TiesToEven: 4>
    """
    R = gfloat.RoundMode
    return {"nearest_even": R.TiesToEven, "nearest_away": R.TiesToAway, "toward_zero": R.TowardZero,
            "toward_positive": R.TowardPositive, "toward_negative": R.TowardNegative}


def _gfloat_formats(family: str) -> dict[str, Any]:
    """{numfmt name: gfloat FormatInfo} of the P3109 8-bit formats or the OCP ones."""
    from gfloat import formats
    if family == "p3109":
        return {f"p3109_p{p}": formats.format_info_p3109(8, p) for p in range(1, 8)}
    return {name: getattr(formats, attr) for name, attr in GFLOAT_OCP.items()}


def _gfloat_cast(family: str):
    def run(gfloat, batch: int, size: int) -> Outcome:
        """float64 inputs (``float64_inputs`` plus ±0, ±Inf, NaN) rounded by gfloat's
        round_ndarray in its five deterministic modes (it has no round-to-odd), non-saturating,
        except formats with neither Inf nor NaN (FP6, FP4), where gfloat raises on overflow and
        numfmt's default saturates: there gfloat runs with sat=True and NaN is left out.
        gfloat returns +NaN where numfmt gives the NaN code's value (-NaN in P3109): NaNs
        compare equal whatever their sign."""
        rng = np.random.default_rng(batch)
        outcomes = []
        infos = _gfloat_formats(family)
        for name, fi in infos.items():
            fmt = _format(name)
            x = np.concatenate([float64_inputs(fmt, max(size // len(infos), 1), rng),
                                [0.0, -0.0, math.inf, -math.inf] + ([math.nan] if fmt.has_nan else [])])
            sat = not (fmt.has_inf or fmt.has_nan)
            for mode, rnd in gfloat_modes(gfloat).items():
                want = gfloat.round_ndarray(fi, x, rnd, sat)
                got = _round(x, fmt, mode)
                outcomes.append(_outcome(~_same(got, want), lambda i: f"{name} {mode}: float64 {_r(x[i])}: "
                                                                      f"numfmt {_r(got[i])}, gfloat {_r(want[i])}"))
        return _merge(outcomes)
    return run


def compare_gfloat_stochastic(gfloat, name: str, x: np.ndarray, k: int, r: np.ndarray) -> Outcome:
    """numfmt's stochastic rounding of float64 x to an OCP format (``GFLOAT_OCP``) against
    gfloat's round_ndarray with the same random k-bit integers r: gfloat's StochasticFastest is
    numfmt's sr_rule="add", its Stochastic is sr_rule="nearest", and its StochasticFast (which
    compares with 2r+1 over k+1 bits) is "add" with k + 1 bits and random integers 2r+1; each
    input counts once per mode. gfloat's StochasticOdd has no numfmt equivalent. Keep x within
    ±max: beyond it gfloat gives Inf or NaN where numfmt's ieee policy keeps the stochastic
    choice between max and the overflow.

    >>> import gfloat
    >>> compare_gfloat_stochastic(gfloat, "e2m1", np.array([2.5, -0.3]), 2, np.array([1, 3]))
    Outcome(compared=6, mismatches=0, first='')
    """
    R = gfloat.RoundMode
    fmt, fi = _format(name), _gfloat_formats("ocp")[name]
    outcomes = []
    for rnd, rule, bits, rand in [(R.StochasticFastest, "add", k, r), (R.Stochastic, "nearest", k, r),
                                  (R.StochasticFast, "add", k + 1, 2 * r + 1)]:
        want = gfloat.round_ndarray(fi, x, rnd, False, r, k)
        got = _round(x, fmt, "stochastic", sr_bits=bits, sr_rule=rule, random_bits=rand)
        outcomes.append(_outcome(~_same(got, want), lambda i: f"{name} {rnd.name} k={k}: float64 {_r(x[i])}, "
                                 f"random {int(r[i])}: numfmt {_r(got[i])}, gfloat {_r(want[i])}"))
    return _merge(outcomes)


def _check_gfloat_stochastic(gfloat, batch: int, size: int) -> Outcome:
    """``compare_gfloat_stochastic`` on the OCP formats with k = 1 to 13 random bits (by batch),
    inputs within ±max."""
    rng = np.random.default_rng(batch)
    k = 1 + batch % 13
    outcomes = []
    for name in GFLOAT_OCP:
        fmt = _format(name)
        x = float64_inputs(fmt, max(size // len(GFLOAT_OCP), 1), rng)
        x = x[np.abs(x) <= fmt.info.max]
        outcomes.append(compare_gfloat_stochastic(gfloat, name, x, k, rng.integers(0, 1 << k, x.size)))
    return _merge(outcomes)


def _mx_blocks(fmt, n: int, rng: np.random.Generator) -> np.ndarray:
    """n finite float32 blocks of an MX format: normal values at random scales, a quarter of
    them with one large element (the others flush or round small), a quarter with elements at
    the element format's values times a power of two (ties and the clamp above max)."""
    b = fmt.block_size
    x = rng.standard_normal((n, b)) * np.exp2(rng.integers(-30, 30, (n, 1)))
    big = rng.random(n) < 0.25
    x[big, 0] *= 2.0 ** rng.integers(4, 20, int(big.sum()))
    grid = rng.random(n) < 0.25
    el = fmt.element.values() if fmt.element.family == "float" else np.arange(-128, 128) / 64
    el = el[np.isfinite(el)]
    pick = rng.choice(el, (int(grid.sum()), b)) * rng.choice([1.0, 1.5, 1.25, 0.75], (int(grid.sum()), b))
    x[grid] = pick * np.exp2(rng.integers(-10, 10, (int(grid.sum()), 1)))
    return x.astype(np.float32)


def gfloat_blocks(gfloat, name: str, x: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """gfloat's (values, element codes, scale codes) of the blocks (rows) of x in an MX format:
    quantize_block and encode_block with compute_scale_amax, block by block, in float64.

    >>> import gfloat
    >>> values, codes, scales = gfloat_blocks(gfloat, "mxfp4", [[0.1, 3.0, -7.0] + [0.0] * 29], "nearest_even")
    >>> values[0, :3].tolist(), codes[0, :3].tolist(), scales.tolist()     # amax 7: scale 2**0, -7 clamps
    ([0.0, 3.0, -6.0], [0, 5, 15], [127])
    """
    from gfloat import formats
    fi, rnd = getattr(formats, GFLOAT_MX[name]), gfloat_modes(gfloat)[mode]
    values, codes, scales = [], [], []
    for block in np.asarray(x, np.float64):
        scale = gfloat.compute_scale_amax(fi.etype.emax, block)
        values.append(gfloat.quantize_block(fi, block, gfloat.compute_scale_amax, rnd))
        enc = list(gfloat.encode_block(fi, scale, block / scale, rnd))
        scales.append(enc[0])
        codes.append(enc[1:])
    return np.array(values), np.array(codes), np.array(scales)


def _check_gfloat_mx(gfloat, batch: int, size: int) -> Outcome:
    """The six MX formats on finite float32 blocks (``_mx_blocks``) against ``gfloat_blocks``:
    values, element codes and scale codes, one of gfloat's five deterministic modes per format
    and batch. gfloat differs from the spec on blocks with Inf or NaN (it saturates Inf and
    clips the scale exponent) and on float64 inputs (floor of a floating-point log2, its issue
    49): both are left out."""
    rng = np.random.default_rng(batch)
    modes = list(gfloat_modes(gfloat))
    outcomes = []
    for j, name in enumerate(GFLOAT_MX):
        fmt, mode = _format(name), modes[(batch + j) % len(modes)]
        x = _mx_blocks(fmt, max(size // len(GFLOAT_MX), 1), rng)
        want_v, want_c, want_s = gfloat_blocks(gfloat, name, x, mode)
        got, enc = _round(x, fmt, mode), encode(x, fmt, mode)
        want_v = want_v.astype(np.float32)
        bad = (~_same(got, want_v)).any(axis=1) | (enc.codes != want_c).any(axis=1) | (enc.scales[:, 0] != want_s)
        outcomes.append(_outcome(bad, lambda i: f"{name} {mode}: block {x[i].tolist()}: numfmt scale "
                                 f"0x{int(enc.scales[i, 0]):02x} values {got[i].tolist()}, gfloat scale "
                                 f"0x{int(want_s[i]):02x} values {want_v[i].tolist()}"))
    return _merge(outcomes)


# ----------------------------------------------------------------------------- softposit
POSITS = ("posit8", "posit16")


def _softposit_code(sp, x: float, n: int) -> int:
    return sp.convertDoubleToPX2(x, n).v >> (32 - n)


def _check_softposit_cast(sp, batch: int, size: int) -> Outcome:
    """encode of float64 inputs to posit8 / posit16 against softposit's convertDoubleToPX2 (its
    ``pX2`` functions are posit<n,2> of the 2022 standard; its ``posit8`` / ``posit16`` types are
    the older es = 0 / 1 posits and are not used). Inputs: midpoints of neighbouring values and
    their float64 neighbours, random magnitudes from below minpos to above maxpos, both signs."""
    rng = np.random.default_rng(batch)
    outcomes = []
    for name in POSITS:
        fmt = _format(name)
        m = max(size // len(POSITS), 2)
        v = decode(rng.integers(0, fmt.nar_code, m // 2), fmt, np.float64)
        nxt = decode(np.minimum(rng.integers(1, fmt.nar_code, m // 2), fmt.nar_code - 1), fmt, np.float64)
        mid = (v + nxt) / 2
        mid = mid + rng.integers(-1, 2, mid.size) * np.spacing(mid)
        spread = np.exp2(rng.uniform(-fmt.max_scale - 4, fmt.max_scale + 4, m - m // 2))
        x = np.concatenate([mid, spread]) * rng.choice([-1.0, 1.0], m - m // 2 + m // 2)
        got = encode(x, fmt)
        want = np.array([_softposit_code(sp, float(v), fmt.nbits) for v in x])
        outcomes.append(_outcome(got != want, lambda i: f"{name}: float64 {_r(x[i])}: numfmt 0x{int(got[i]):x}, "
                                                        f"softposit 0x{int(want[i]):x}"))
    return _merge(outcomes)


def softposit_op(sp, op: str, codes: np.ndarray, n: int) -> np.ndarray:
    """softposit's result codes of ``op`` (a key of ``OPS``; fma is its mulAdd a*b + c) on the
    posit<n,2> codes ``codes`` (one row per operand), with its pX2_* functions (n < 32; at 32
    bits they misround near minpos and maxpos: use its p32_* there), and its fma corrected
    where it drops a tiny addend (``_mul_add_tiny_addend``).

    >>> import softposit
    >>> softposit_op(softposit, "add", np.array([[0x40], [0x40]]), 8).tolist()      # 1 + 1 = 2
    [72]
    """
    fn = getattr(sp, f"pX2_{ {'fma': 'mulAdd'}.get(op, op) }")
    out = []
    for cs in np.asarray(codes).T.tolist():
        args = []
        for c in cs:
            p = sp.posit_2_t()
            p.v = c << (32 - n)
            args.append(p)
        out.append(fn(*args, n).v >> (32 - n))
    out = np.array(out, np.int64)
    if op == "fma":
        fmt = PositFormat(n, 2)
        a, b, c = (decode(np.asarray(x), fmt, np.float64) for x in codes)
        at = _mul_add_tiny_addend(a, b, c, n)
        out[at] = [_softposit_code(sp, v, n) for v in np.nextafter(a * b, np.copysign(np.inf, c))[at].tolist()]
    return out


def _mul_add_tiny_addend(a: np.ndarray, b: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """Where softposit's pX2_mulAdd misrounds: a*b exactly halfway between two posit<n,2> values
    (a posit<n+1,2> value with an odd code: the tie in encoding space) and c nonzero but far below
    it (|c| < 2**-20 |a*b|). softposit drops such an addend, sticky bit included, and rounds the
    tie to even, as if c were 0: posit16 maxpos * 0x00a1 + minpos gives 0x7f90, the exact sum
    0x7f91. There the right code is softposit's conversion of the float64 next to a*b on c's
    side (a*b is exact in float64 for n <= 16; c cannot cross a neighbour)."""
    with np.errstate(all="ignore"):
        p = a * b
        wide = PositFormat(n + 1, 2)
        code = encode(np.where(np.isfinite(p), p, 0.0), wide).astype(np.int64)
        tie = (decode(code, wide, np.float64) == p) & (code % 2 == 1)
        return tie & (c != 0) & (np.abs(c) < np.abs(p) * 2.0 ** -20)


def _softposit_arith(op: str):
    def run(sp, batch: int, size: int) -> Outcome:
        """``op`` on posit8 and posit16 operands (random codes, NaR, zero, minpos and maxpos
        among them, a third of the pairs nearly cancelling) against ``softposit_op`` (posit<n,2>,
        round to nearest even; its mulAdd corrected where it drops a tiny addend at a tie), code
        for code."""
        rng = np.random.default_rng(batch)
        arity = 1 if op == "sqrt" else 3 if op == "fma" else 2
        outcomes = []
        for name in POSITS:
            fmt = _format(name)
            m = max(size // len(POSITS), 1)
            codes = rng.integers(0, 1 << fmt.nbits, (arity, m))
            picks = np.array([0, 1, fmt.nar_code - 1, fmt.nar_code, fmt.nar_code + 1, (1 << fmt.nbits) - 1])
            codes = np.where(rng.random((arity, m)) < 0.1, rng.choice(picks, (arity, m)), codes)
            if arity >= 2:
                near = (-(codes[0] + rng.integers(-2, 3, m))) % (1 << fmt.nbits)
                codes[1] = np.where(rng.random(m) < 0.3, near, codes[1])
            got = encode(OPS[op](*[decode(c, fmt, np.float64) for c in codes], fmt), fmt)
            want = softposit_op(sp, op, codes, fmt.nbits)
            outcomes.append(_outcome(got != want, lambda i: f"{op} {name} codes {codes[:, i].tolist()}: numfmt "
                                     f"0x{int(got[i]):x}, softposit 0x{int(want[i]):x}"))
        return _merge(outcomes)
    return run


# ----------------------------------------------------------------------------- no oracle
def roundtrip(fmt) -> Outcome:
    """encode(decode(c)) == c for every code c of a format of at most 16 bits (float, posit,
    integer, fixed point), except the NaN codes (several NaN codes encode back to one).

    >>> roundtrip("e4m3"), roundtrip("posit8").mismatches
    (Outcome(compared=254, mismatches=0, first=''), 0)
    """
    fmt = _format(fmt)
    codes = _all_codes(fmt)
    v = decode(codes, fmt, np.float64)
    keep = ~np.isnan(v)
    v, c = v[keep], codes[keep].astype(np.int64)
    back = encode(v, fmt).astype(np.int64)
    return _outcome(back != c, lambda i: f"{fmt.name}: code 0x{int(c[i]):x} decodes to {_r(v[i])}, which encodes "
                                         f"to 0x{int(back[i]):x}")


def _check_roundtrip(_, batch: int, size: int) -> Outcome:
    """``roundtrip`` of every registered float, posit, integer and fixed-point format of at most
    16 bits; no oracle (``size`` is unused: every code)."""
    return _merge([roundtrip(fmt) for _name, _aliases, fmt in registered()
                   if fmt.family != "block" and fmt.bits <= 16])


# ----------------------------------------------------------------------------- the list
CHECKS: list[Check] = [
    *[Check(f"ml_dtypes.cast.{name}", "ml_dtypes", _ml_cast(name), (1 << 20, 4), (1 << 23, 16)) for name in ML_DTYPES],
    *[Check(f"ml_dtypes.sweep.{name}", "ml_dtypes", _ml_sweep(name), (1 << 20, 4), (1 << 24, 256))
      for name in ("bfloat16", "e4m3")],
    Check("ml_dtypes.decode", "ml_dtypes", _check_ml_decode, (1, 1), (1, 1)),
    Check("numpy.cast.binary16", "numpy", _check_numpy_float16, (1 << 18, 4), (1 << 22, 16)),
    *[Check(f"mpfr.cast.{name}", "gmpy2", _mpfr_cast(name), (200_000, 4), (1_000_000, 20))
      for name in ("e4m3", "e5m2", "binary16", "bfloat16")],
    *[Check(f"mpfr.{op}", "gmpy2", _mpfr_arith(op), (25_000, 4), (200_000, 20)) for op in OPS],
    Check("gfloat.cast.p3109", "gfloat", _gfloat_cast("p3109"), (100_000, 4), (200_000, 20)),
    Check("gfloat.cast.ocp", "gfloat", _gfloat_cast("ocp"), (100_000, 4), (200_000, 20)),
    Check("gfloat.stochastic", "gfloat", _check_gfloat_stochastic, (100_000, 4), (200_000, 26)),
    Check("gfloat.mx", "gfloat", _check_gfloat_mx, (600, 4), (6000, 20)),
    Check("softposit.cast", "softposit", _check_softposit_cast, (50_000, 4), (500_000, 20)),
    *[Check(f"softposit.{op}", "softposit", _softposit_arith(op), (20_000, 4), (200_000, 20)) for op in OPS],
    Check("roundtrip", "", _check_roundtrip, (1, 1), (1, 1)),
]


# ----------------------------------------------------------------------------- running
def _progress(total: int, enabled: bool):
    """A tqdm bar over batches on stderr when tqdm is installed and stderr is a terminal; else None."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="numfmt verify", unit="batch", file=sys.stderr, disable=None, leave=False)


def _run_one(check: Check, full: bool, share: float | None, bar) -> CheckResult:
    """Run one check's batches: all of them in full mode; in quick mode the first, then more
    while the last batch's time says the next fits in ``share`` seconds."""
    result = CheckResult(check.name, check.oracle or "-")
    size, batches = check.full if full else check.quick
    start = time.perf_counter()
    try:
        oracle = importlib.import_module(check.oracle) if check.oracle else None
    except ImportError as exc:
        result.status = f"skipped: {check.oracle} not importable ({exc})"
        batches = 0
    done = 0
    for batch in range(batches):
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                outcome = check.run(oracle, batch, size)
        except Skip as exc:
            result.status = f"skipped: {exc}"
            break
        except Exception as exc:  # noqa: BLE001 (a crash on a new platform is a finding, not the end)
            result.status = "ERROR"
            result.first = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            break
        done += 1
        result.compared += outcome.compared
        result.mismatches += outcome.mismatches
        result.first = result.first or outcome.first
        if bar is not None:
            bar.update(1)
        now = time.perf_counter()
        if share is not None and (now - start) + (now - t0) > share:
            break
    if bar is not None:
        bar.update(batches - done)
    result.seconds = time.perf_counter() - start
    if result.mismatches and result.status == "ok":
        result.status = "MISMATCH"
    return result


def select(only: str | None = None) -> list[Check]:
    """The checks whose name contains ``only`` (all if None); ValueError if none does.

    >>> [c.name for c in select("mpfr.cast")]
    ['mpfr.cast.e4m3', 'mpfr.cast.e5m2', 'mpfr.cast.binary16', 'mpfr.cast.bfloat16']
    """
    chosen = [c for c in CHECKS if only is None or only in c.name]
    if not chosen:
        raise ValueError(f"--only {only!r} matches no check; names: {', '.join(c.name for c in CHECKS)}")
    return chosen


def run_checks(full: bool = False, only: str | None = None, budget: float | None = QUICK_BUDGET_S,
               progress: bool = True) -> list[CheckResult]:
    """Run the checks (those whose name contains ``only``), quick (``full=False``: fixed-seed
    samples within about ``budget`` seconds) or full (every batch: exhaustive sweeps, large
    samples; no budget), with a progress bar if tqdm is installed and ``progress``.

    >>> [r.status for r in run_checks(only="ml_dtypes.decode", progress=False)]
    ['ok']
    """
    chosen = select(only)
    bar = _progress(sum((c.full if full else c.quick)[1] for c in chosen), progress)
    results = []
    start = time.perf_counter()
    for i, check in enumerate(chosen):
        share = None
        if not full and budget is not None:
            share = max(budget - (time.perf_counter() - start), 0.0) / (len(chosen) - i)
        if bar is not None:
            bar.set_postfix_str(check.name)
        results.append(_run_one(check, full, share, bar))
    if bar is not None:
        bar.close()
    return results
