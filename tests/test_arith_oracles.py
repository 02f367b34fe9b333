"""Element-wise arithmetic against gmpy2 / MPFR in all six deterministic rounding modes.

The oracle (``Oracle``) asks MPFR for the operation correctly rounded at the format's precision
p = man_bits + 1 with subnormalize=True and emin = (format emin) - man_bits + 1 (MPFR's
significands lie in [1/2, 1)), in RoundToZero, RoundAwayZero, RoundUp and RoundDown, plus the
exact result at 4000 bits (exact for + - * fma of these formats; for div and sqrt a value that
is inexact at 4000 bits is no tie). Quirk met: Python operators on gmpy2 numbers (abs(), +)
round to the *global* context's 53 bits; the oracle calls the exact context's methods. On top of MPFR, documented here because MPFR lacks them:

- nearest_even / nearest_away: MPFR has no ties-away, and its "even" is the significand's
  parity, which is not the code's for p = 1 (p3109_p1). Both are derived from the toward-zero
  result z, the away result a and the exact midpoint (z + a) / 2: nearer one, ties to a
  (away) or to the one with the even code (the code computed from the value on the format's
  grid, extended past max).
- odd: z if exact or if z's code is odd, else a.
- The format's overflow convention: MPFR runs with an unbounded exponent range above (emax =
  2**20), so a rounded result above max is an overflow, which gives ±Inf where the mode
  overflows to infinity (nearest modes; toward_positive for positives, toward_negative for
  negatives) and the format has Inf, else NaN where it has NaN ("fn", "fnuz": e4m3, e4m3fnuz),
  else ±max ("finite" formats); ±max in the other modes (round-to-odd stops at max, except in
  P3109 formats, where it overflows to ±Inf: P3109's rule, as numfmt.round).
  Exact Inf results (x / 0) map the same way (NaN in e4m3, max in e2m1). Formats without -0
  give +0.
- Invalid results (0/0, sqrt of a negative) in formats without NaN raise in numfmt; those
  operand pairs are left out of the sweeps and checked in test_arith.py.

e8m0 (no zero, unsigned, p = 1 without subnormals) is outside what this oracle models and is
checked in test_arith.py instead.
"""
from __future__ import annotations

import math

import gmpy2
import numpy as np
import pytest
from gmpy2 import mpfr

import numfmt as nf

MODES = ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd")
FORMATS_8 = [name for name, _, f in nf.registered()
             if f.family == "float" and f.bits == 8 and name != "e8m0"] + ["e2m1", "e2m3", "e3m2"]
BINARY = ("add", "sub", "mul", "div")


class Oracle:
    """Correctly rounded results of one format in the six deterministic modes (see the module)."""

    def __init__(self, fmt):
        self.fmt = nf.format(fmt)
        f = self.fmt
        self.M = f.man_bits
        emin = f.emin - f.man_bits + 1
        emax = 1 << 20
        self.ctx = {rnd: gmpy2.context(precision=f.man_bits + 1, emin=emin, emax=emax, subnormalize=True,
                                       round=rnd)
                    for rnd in (gmpy2.RoundToZero, gmpy2.RoundAwayZero, gmpy2.RoundUp, gmpy2.RoundDown)}
        self.exact = gmpy2.context(precision=4000, emin=-(1 << 20), emax=1 << 20)
        self.max = mpfr(f.info.max)

    def _code(self, v) -> int:
        """The magnitude code of |v| on the format's grid (extended beyond max)."""
        v = abs(float(v))
        if v == 0:
            return 0
        f = self.fmt
        be = max(math.frexp(v)[1] - 1, f.emin)
        m = int(v / 2.0 ** (be - self.M))
        if v < 2.0 ** f.emin:
            return m
        return ((be - f.emin + 1) << self.M) + m - (1 << self.M)

    def _apply(self, ctx, op, xs):
        ctx.clear_flags()
        return getattr(ctx, op)(*xs), ctx.inexact

    def _finish(self, r, mode: str) -> float:
        """The format's conventions on top of a rounded MPFR result."""
        f = self.fmt
        if gmpy2.is_nan(r):
            return math.nan
        neg = gmpy2.is_signed(r)
        sign = -1.0 if neg else 1.0
        if gmpy2.is_infinite(r) or abs(r) > self.max:
            to_inf = mode in ("nearest_even", "nearest_away") or mode == ("toward_negative" if neg else "toward_positive")
            to_inf = to_inf or (mode == "odd" and f.special == "p3109")     # P3109's overflow rule
            if gmpy2.is_finite(r) and not to_inf:
                return sign * f.info.max
            if f.has_inf:
                return sign * math.inf
            return math.nan if f.has_nan else sign * f.info.max
        if r == 0 and not f.has_negative_zero:
            return 0.0
        return float(r)

    def results(self, op: str, args) -> dict:
        """{mode: result as float} for op applied to the float operands args."""
        xs = [mpfr(a, 53) for a in args]
        z, inexact = self._apply(self.ctx[gmpy2.RoundToZero], op, xs)
        up, _ = self._apply(self.ctx[gmpy2.RoundUp], op, xs)
        down, _ = self._apply(self.ctx[gmpy2.RoundDown], op, xs)
        near = odd = z
        if inexact and gmpy2.is_finite(z):
            a, _ = self._apply(self.ctx[gmpy2.RoundAwayZero], op, xs)
            ex, ex_inexact = self._apply(self.exact, op, xs)
            mid = self.exact.div(self.exact.add(z, a), 2)
            tie = not ex_inexact and ex == mid
            even = z if self._code(z) % 2 == 0 else a
            near = a if self.exact.abs(ex) > self.exact.abs(mid) else z   # not abs(): 53 bits
            odd = z if self._code(z) % 2 == 1 else a
            rna = a if tie else near
            rne = even if tie else near
        else:
            rna = rne = z
        raw = {"nearest_even": rne, "nearest_away": rna, "toward_zero": z, "toward_positive": up,
               "toward_negative": down, "odd": odd}
        return {mode: self._finish(r, mode) for mode, r in raw.items()}


def _same(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Bitwise equality of float64 values (NaN == NaN, -0 != +0)."""
    g = np.asarray(got, np.float64)
    w = np.asarray(want, np.float64)
    return (g.view(np.int64) == w.view(np.int64)) | (np.isnan(g) & np.isnan(w))


def check(op: str, fmt: str, operands: list[np.ndarray], modes=MODES) -> int:
    """Compare numfmt with the oracle on these operand arrays in every mode; return the count."""
    oracle = Oracle(fmt)
    n = operands[0].size
    want = {m: np.empty(n) for m in modes}
    for i in range(n):
        res = oracle.results(op, [float(v[i]) for v in operands])
        for m in modes:
            want[m][i] = res[m]
    fmtobj = nf.format(fmt)
    for m in modes:
        keep = np.ones(n, bool) if fmtobj.has_nan else ~np.isnan(want[m])   # invalid: see test_arith
        args = [v[keep] for v in operands]
        got = getattr(nf, op)(*args, fmt, m)
        bad = ~_same(got, want[m][keep])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise AssertionError(f"{op} {fmt} {m}: {int(bad.sum())} mismatches of {bad.size}; first "
                                 f"{[float(a[i]) for a in args]}: got {got[i]!r}, want {want[m][keep][i]!r}")
    return n * len(modes)


def _values(fmt: str) -> np.ndarray:
    v = nf.format(fmt).values()
    return v[~np.isnan(v)]


def _pairs(fmt: str, n: int | None, seed: int):
    """All ordered pairs of values (n None) or n random pairs."""
    v = _values(fmt)
    if n is None:
        a, b = np.meshgrid(v, v, indexing="ij")
        return a.reshape(-1), b.reshape(-1)
    rng = np.random.default_rng(seed)
    return rng.choice(v, n), rng.choice(v, n)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS_8)
@pytest.mark.parametrize("op", BINARY)
def test_every_pair_8bit(op, fmt):
    a, b = _pairs(fmt, None, 0)
    check(op, fmt, [a, b])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS_8)
def test_every_sqrt_8bit(fmt):
    check("sqrt", fmt, [_values(fmt)])


# CI: a fixed random sample of formats x ops x pairs, every mode (~2e5 comparisons in all)
_SAMPLE = [(op, fmt) for op in BINARY for fmt in FORMATS_8[::2]]


@pytest.mark.parametrize("op, fmt", _SAMPLE)
def test_sample_pairs_8bit(op, fmt):
    a, b = _pairs(fmt, 3000, seed=len(fmt) + len(op))
    check(op, fmt, [a, b])


@pytest.mark.parametrize("fmt", FORMATS_8[1::2])
def test_sqrt_8bit(fmt):
    check("sqrt", fmt, [_values(fmt)])


def _hard(fmt: str, n: int, seed: int, op: str) -> list[np.ndarray]:
    """Random operands of a 16/32-bit format biased toward hard cases: values near 1 and near
    each other (ties, cancellation), near max (overflow), among the subnormals and the smallest
    normals (underflow), and random codes."""
    f = nf.format(fmt)
    rng = np.random.default_rng(seed)
    info = f.info
    kind = rng.integers(0, 5, n)
    e = np.where(kind == 0, rng.integers(-3, 4, n),
        np.where(kind == 1, rng.integers(info.maxexp - 4, info.maxexp, n),
        np.where(kind == 2, rng.integers(f.emin - f.man_bits - 1, f.emin + 3, n),
                 rng.integers(f.emin, info.maxexp, n))))
    m = rng.integers(0, 1 << (f.man_bits + 1), n) * 2.0 ** -f.man_bits
    x = np.ldexp(m, e) * rng.choice([-1.0, 1.0], n)
    x = np.asarray(nf.round(x, f, "toward_zero", "saturate"), np.float64)
    y = np.asarray(nf.round(x * (1 + rng.integers(-4, 5, n) * 2.0 ** -f.man_bits), f, "toward_zero", "saturate"),
                   np.float64)
    near = rng.random(n) < 0.3                     # operands close to each other
    z = np.where(near, y * rng.choice([-1.0, 1.0], n), np.roll(x, 1))
    ops = [x, z]
    if op == "sqrt":
        return [x]
    if op == "fma":
        w = np.asarray(nf.round(-x * z * (1 + rng.integers(-2, 3, n) * 2.0 ** -30), f, "toward_zero",
                                "saturate"), np.float64)
        ops.append(np.where(rng.random(n) < 0.5, w, np.roll(x, 2)))
    return ops


@pytest.mark.parametrize("fmt", ["binary16", "bfloat16", "binary32"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "sqrt", "fma"])
def test_hard_cases_16_32(op, fmt):
    check(op, fmt, _hard(fmt, 20_000, seed=len(op) * 10 + len(fmt), op=op))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["binary16", "bfloat16", "binary32"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "sqrt", "fma"])
def test_hard_cases_16_32_large(op, fmt):
    for chunk in range(10):
        check(op, fmt, _hard(fmt, 100_000, seed=1000 + chunk, op=op))


@pytest.mark.parametrize("fmt", FORMATS_8)
def test_fma_8bit_sample(fmt):
    v = _values(fmt)
    rng = np.random.default_rng(7)
    n = 1500
    a, b, c = rng.choice(v, n), rng.choice(v, n), rng.choice(v, n)
    near = rng.random(n) < 0.4             # c close to -a*b: cancellation
    c = np.where(near, np.asarray(nf.round(-a * b, fmt, "toward_zero", "saturate"), np.float64), c)
    check("fma", fmt, [a, b, c])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS_8)
def test_fma_8bit_large(fmt):
    v = _values(fmt)
    rng = np.random.default_rng(8)
    n = 200_000
    a, b, c = rng.choice(v, n), rng.choice(v, n), rng.choice(v, n)
    check("fma", fmt, [a, b, c])
