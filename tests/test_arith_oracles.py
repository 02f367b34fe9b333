"""Element-wise arithmetic against gmpy2 / MPFR in all six deterministic rounding modes.

The oracle is ``numfmt.verify.MpfrOracle`` (its docstring: MPFR at the format's precision with
subnormalize=True and an unbounded exponent range above; nearest-even by the code's parity,
ties-away and round-to-odd derived from the toward-zero and away results and the exact
midpoint; the format's overflow conventions on top); ``numfmt.verify.compare_mpfr_op`` compares
numfmt with it. Invalid results (0/0, sqrt of a negative) in formats without NaN raise in
numfmt; those operand pairs are left out of the sweeps and checked in test_arith.py.

e8m0 (no zero, unsigned, p = 1 without subnormals) is outside what this oracle models and is
checked in test_arith.py instead.
"""
from __future__ import annotations

import gmpy2
import numpy as np
import pytest
from sampling import ci_grid

import numfmt as nf
from numfmt.verify import MODES, compare_mpfr_op

FORMATS_8 = [name for name, _, f in nf.registered()
             if f.family == "float" and f.bits == 8 and name != "e8m0"] + ["e2m1", "e2m3", "e3m2"]
BINARY = ("add", "sub", "mul", "div")


def check(op: str, fmt: str, operands: list[np.ndarray], modes=MODES) -> int:
    """Compare numfmt with the oracle on these operand arrays in every mode; return the count."""
    outcome = compare_mpfr_op(gmpy2, op, fmt, operands, modes)
    assert outcome.mismatches == 0, (f"{op} {fmt}: {outcome.mismatches} mismatches of {outcome.compared}; "
                                     f"first {outcome.first}")
    return outcome.compared


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


@pytest.mark.parametrize("op,fmt", ci_grid(["add", "sub", "mul", "div", "sqrt", "fma"],
                                           ["binary16", "bfloat16", "binary32"], k=8))
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
