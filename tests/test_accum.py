"""numfmt.sum / dot / matmul against exact references and oracles.

The references below are the orders' definitions written with Python floats for the values
and ``fractions.Fraction`` for every exact sum, each rounding done by ``numfmt.reference``
(the slow exact reference of the float family, independent of the kernels). MPFR
(``gmpy2.fsum``) is the oracle of the "exact" order, numpy's ``np.sum`` that of "pairwise".
"""
from __future__ import annotations

import math
from fractions import Fraction

import gmpy2
import numpy as np
import pytest
from sampling import ci_grid
from hypothesis import HealthCheck, given, settings, strategies as st

import numfmt as nf
from numfmt.random import random_bits
from numfmt.reference import round_value
from numfmt.rounding import DETERMINISTIC_ROUNDINGS
from numfmt.testing import formats, values

SETTINGS = dict(deadline=None, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
ROUNDINGS_PER_TERM = 8


# ----------------------------------------------------------------------------- references
class Ref:
    """The orders' definitions (see numfmt.sum), every rounding by numfmt.reference.

    Stochastic rounding (``sr=(seed, k, output index, n)``) takes rounding j's random number
    from ``numfmt.random.random_bits`` at index o * 8 * n + j, as documented."""

    def __init__(self, acc, rounding="nearest_even", overflow="ieee", sr=None):
        self.acc = nf.format(acc)
        self.rounding, self.overflow, self.sr, self.j = rounding, overflow, sr, 0

    def round(self, v, fmt=None) -> float:
        fmt = self.acc if fmt is None else fmt
        if isinstance(v, float) and math.isnan(v) and not fmt.has_nan:
            return math.nan            # the kernels' NaN for a format without NaN (Inf - Inf)
        if self.sr is None:
            return round_value(v, fmt, self.rounding, self.overflow)
        seed, k, o, n = self.sr
        r = int(random_bits(seed, 1, k, start=o * ROUNDINGS_PER_TERM * max(n, 1) + self.j)[0])
        self.j += 1
        lo = round_value(v, fmt, "toward_zero", self.overflow)
        hi = round_value(v, fmt, "toward_positive" if v > 0 else "toward_negative", self.overflow)
        if lo == hi:
            return lo
        f = (abs(Fraction(v)) - abs(Fraction(lo))) / (abs(Fraction(hi)) - abs(Fraction(lo)))
        return hi if math.floor(f * 2**k) + r >= 2**k else lo     # sr_rule="add"

    def zero(self, neg: bool) -> float:
        return self.round(-0.0 if neg else 0.0)

    def add(self, x: float, y: float) -> float:
        if not (math.isfinite(x) and math.isfinite(y)):
            return self.round(x + y)
        exact = Fraction(x) + Fraction(y)
        if exact == 0:
            rdn = self.rounding == "toward_negative"
            nx, ny = math.copysign(1, x) < 0, math.copysign(1, y) < 0
            return self.zero((nx and ny) or (rdn and (nx or ny)) if x == 0 and y == 0 else rdn)
        return self.round(exact)

    def sequential(self, t):
        if not t:
            return self.zero(False)
        s = self.round(t[0])
        for v in t[1:]:
            s = self.add(s, v)
        return s

    def pairwise(self, t):
        return self.add(0.0, self.numpy_pairwise_sum(t))

    def numpy_pairwise_sum(self, t):
        n = len(t)
        if n < 8:
            s = -0.0
            for v in t:
                s = self.add(s, v)
            return s
        if n <= 128:
            r = [self.round(v) for v in t[:8]]
            m = n - n % 8
            for i in range(8, m, 8):
                r = [self.add(r[k], t[i + k]) for k in range(8)]
            for w in (1, 2, 4):          # the kernel's order of the roundings, level by level
                for k in range(0, 8, 2 * w):
                    r[k] = self.add(r[k], r[k + w])
            s = r[0]
            for v in t[max(m, 8):]:
                s = self.add(s, v)
            return s
        n2 = n // 2
        n2 -= n2 % 8
        left = self.numpy_pairwise_sum(t[:n2])
        return self.add(left, self.numpy_pairwise_sum(t[n2:]))

    def blocked(self, t, block):
        s = self.sequential(t[:block])
        for b0 in range(block, len(t), block):
            s = self.add(s, self.sequential(t[b0:b0 + block]))
        return s

    def kahan(self, t):
        if not t:
            return self.zero(False)
        s, c = self.round(t[0]), 0.0
        for v in t[1:]:
            y = self.add(v, -c)
            u = self.add(s, y)
            c = self.add(self.add(u, -s), -y)
            s = u
        return s

    def exact(self, t):
        special = [v for v in t if not math.isfinite(v)]
        if special:
            return self.round(_ieee_sum(special))
        total = sum(Fraction(v) for v in t)
        if total == 0:
            negs = [math.copysign(1, v) < 0 for v in t]
            rdn = self.rounding == "toward_negative"
            all_zero = all(v == 0 for v in t)
            return self.zero((bool(t) and all(negs)) or (rdn and (any(negs) or not all_zero)))
        return self.round(total)

    def fused(self, t, k, b):
        s = None        # (the first step adds its terms alone)
        for g0 in range(0, len(t), k):
            addends = ([] if s is None else [s]) + t[g0:g0 + k]
            special = [v for v in addends if not math.isfinite(v)]
            if special:
                s = self.round(_ieee_sum(special))
                continue
            nonzero = [Fraction(v) for v in addends if v != 0]
            if not nonzero:     # IEEE addition's zero: -0 iff all are, or one is and rounding toward negative
                negs = [math.copysign(1, v) < 0 for v in addends]
                s = self.zero(all(negs) or (self.rounding == "toward_negative" and any(negs)))
                continue
            emax = max(_floor_log2(abs(v)) for v in nonzero)
            q = Fraction(2) ** (emax - b)
            total = sum(int(abs(v) / q) * q * (1 if v > 0 else -1) for v in nonzero)
            s = self.round(total) if total else self.zero(self.rounding == "toward_negative")
        return 0.0 if s is None else s      # (no terms: +0, not rounded, as the kernel)

    def promoted(self, t, every, inner):
        promote = Ref("binary32", overflow=self.overflow)
        chunks = [t[c:c + every] for c in range(0, max(len(t), 1), every)]
        total = None
        for chunk in chunks:
            v = inner(chunk)
            total = promote.round(v) if total is None else promote.add(total, v)
        return total


def _floor_log2(v: Fraction) -> int:
    """floor(log2(v)) of a positive Fraction, exactly (float(v) may round up to a power of 2)."""
    e = v.numerator.bit_length() - v.denominator.bit_length()
    return e - 1 if Fraction(2) ** e > v else e


def _ieee_sum(specials) -> float:
    """The IEEE sum of Infs and NaNs: NaN if there is a NaN or both Infs, else the Inf."""
    if any(math.isnan(v) for v in specials) or len(set(specials)) > 1:
        return math.nan
    return specials[0]


def _same(got, expected) -> bool:
    """Equal as numbers with the same sign of zero, or both NaN."""
    got, expected = float(got), float(expected)
    if math.isnan(expected):
        return math.isnan(got)
    return got == expected and math.copysign(1, got) == math.copysign(1, expected)


def _assert_same(got, expected, context=""):
    got, expected = np.asarray(got, np.float64).ravel(), np.asarray(expected, np.float64).ravel()
    bad = [i for i in range(expected.size) if not _same(got[i], expected[i])]
    assert not bad, f"{len(bad)} of {expected.size} differ {context}; first at {bad[0]}: " \
                    f"got {got[bad[0]]!r}, expected {expected[bad[0]]!r}"


def _samples(fmt: str, rows: int, n: int, seed: int, cancel: bool = True) -> np.ndarray:
    """rows x n values of fmt, log-uniform over most of its range, with cancellation: a random
    part of each row is the negation of another part (shuffled), so sums are small or zero."""
    f = nf.format(fmt)
    rng = np.random.default_rng(seed)
    lo = math.log2(f.info.smallest_subnormal)
    hi = max(math.log2(f.info.max) - math.log2(max(n, 2)) - 1, lo + 1)
    x = np.exp2(rng.uniform(lo, hi, (rows, n))) * rng.choice([-1.0, 1.0], (rows, n))
    x = nf.round(x, f).astype(np.float64)
    if cancel:
        half = n // 2
        x[: rows // 2, half: 2 * half] = -x[: rows // 2, :half]
        x = rng.permuted(x, axis=1)
    return x


# ----------------------------------------------------------------------------- exact order
MPFR_ROUND = {"nearest_even": gmpy2.RoundToNearest, "toward_zero": gmpy2.RoundToZero,
              "toward_positive": gmpy2.RoundUp, "toward_negative": gmpy2.RoundDown}


def mpfr_sum(terms, fmt, rounding):
    """MPFR's correctly rounded sum (mpfr_sum via gmpy2.fsum) in fmt's precision and exponent
    range with subnormals. MPFR has no ties-away and no round-to-odd: they are derived from
    its toward-zero and away-from-zero results and the exact sum, as SPEC_NOTES says."""
    f = nf.format(fmt)
    exact_terms = [gmpy2.mpfr(float(t), 53) for t in terms]

    def with_mode(mode):
        ctx = gmpy2.context(precision=f.man_bits + 1, emin=f.emin - f.man_bits + 1,
                            emax=f.info.maxexp, subnormalize=True, round=mode)
        with ctx:
            return float(gmpy2.fsum(exact_terms))
    if rounding in MPFR_ROUND:
        return with_mode(MPFR_ROUND[rounding])
    exact = sum(Fraction(float(t)) for t in terms)
    rz, ra = with_mode(gmpy2.RoundToZero), with_mode(gmpy2.RoundAwayZero)
    if math.isinf(ra):          # MPFR overflow: beyond the format's range, the caller skips it
        return ra
    if rz == ra or Fraction(rz) == exact:
        return with_mode(gmpy2.RoundToNearest) if rounding == "nearest_away" else rz
    if rounding == "nearest_away":
        tie = exact - Fraction(rz) == Fraction(ra) - exact
        return ra if tie else with_mode(gmpy2.RoundToNearest)
    quantum = 2.0 ** (max(math.frexp(abs(rz))[1] - 1, f.emin) - f.man_bits) if rz else 1.0
    return rz if int(abs(rz) / quantum) % 2 else ra                   # round to odd


def _check_exact_against_mpfr(fmt: str, rounding: str, rows: int, lengths) -> None:
    """rows arrays per length, half with heavy cancellation; the results checked against MPFR
    where they lie within the format's range (MPFR's overflow is IEEE's, which e4m3 has not),
    and all against one reference rounding of the Fraction sum."""
    checked = 0
    for n in lengths:
        x = _samples(fmt, rows, n, seed=n)
        got = nf.sum(x, fmt, axis=1, order="exact", rounding=rounding)
        ref = Ref(fmt, rounding)
        _assert_same(got, [ref.exact(list(row)) for row in x], f"(reference, n={n})")
        expected = [mpfr_sum(row, fmt, rounding) for row in x]
        in_range = [abs(e) <= nf.format(fmt).info.max for e in expected]
        _assert_same(np.asarray(got)[in_range], np.asarray(expected)[in_range], f"(MPFR, n={n})")
        checked += sum(in_range)
    assert checked >= 0.75 * rows * len(lengths)


@pytest.mark.parametrize("fmt", ["binary16", "bfloat16", "binary32", "e5m2", "e4m3"])
@pytest.mark.parametrize("rounding", DETERMINISTIC_ROUNDINGS)
def test_exact_equals_mpfr(fmt, rounding):
    _check_exact_against_mpfr(fmt, rounding, 50, (1, 2, 7, 60))


@pytest.mark.parametrize("rounding", DETERMINISTIC_ROUNDINGS)
def test_exact_long_sums_equal_mpfr(rounding):
    _check_exact_against_mpfr("binary32", rounding, 2, (20000,))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["binary16", "bfloat16", "binary32", "e5m2", "e4m3", "e3m2", "e2m1"])
@pytest.mark.parametrize("rounding", DETERMINISTIC_ROUNDINGS)
def test_exact_equals_mpfr_large_sample(fmt, rounding):
    """8000 arrays per format and mode (the 6- and 4-bit formats: short ones, or most sums
    would overflow)."""
    lengths = (1, 2, 3, 5, 8, 17, 64, 300) if nf.format(fmt).bits > 6 else (1, 2, 3, 4, 5, 6, 7, 8)
    _check_exact_against_mpfr(fmt, rounding, 1000, lengths)


@pytest.mark.parametrize("fmt,acc", [("e4m3", "binary16"), ("bfloat16", "binary32"), ("e5m2", "e4m3")])
def test_exact_dot_equals_mpfr_of_products(fmt, acc):
    """Products enter the long accumulator exactly: one rounding of the exact dot product."""
    a, b = _samples(fmt, 40, 30, seed=1), _samples(fmt, 40, 30, seed=2, cancel=False)
    got = nf.dot(a, b, fmt, accumulator=acc, order="exact")
    products = a * b                                    # exact: at most 2 * 8 significant bits
    expected = [mpfr_sum(row, acc, "nearest_even") for row in products]
    in_range = [abs(e) <= nf.format(acc).info.max for e in expected]
    _assert_same(np.asarray(got)[in_range], np.asarray(expected)[in_range])
    _assert_same(got, [Ref(acc).exact(list(row)) for row in products])


# ----------------------------------------------------------------------------- every order
ORDER_CASES = [("sequential", {}), ("pairwise", {}), ("blocked", {"block": 3}), ("kahan", {}),
               ("exact", {}), ("fused", {"fused_terms": 4, "alignment_bits": 5}),
               ("fused", {"fused_terms": 2, "alignment_bits": 12})]
ORDER_PARAMS = [pytest.param(o, k, id=f"{o}{sorted(k.values())}") for o, k in ORDER_CASES]


def _reference(ref: Ref, order: str, kw: dict, t: list):
    if order == "blocked":
        return ref.blocked(t, kw["block"])
    if order == "fused":
        return ref.fused(t, kw["fused_terms"], kw["alignment_bits"])
    return getattr(ref, order)(t)


def _formats_and_terms():
    """(fmt, terms): a registered or random format of up to 16 bits with Inf/NaN sometimes
    among the values, and 0 to 300 of its values (long lists reach the pairwise blocks)."""
    return formats(max_bits=16).flatmap(lambda f: st.tuples(
        st.just(f), st.lists(values(f, allow_special=True), max_size=300)))


@pytest.mark.parametrize("order,kw", ORDER_PARAMS)
@settings(**SETTINGS)
@given(case=_formats_and_terms(), rounding=st.sampled_from(DETERMINISTIC_ROUNDINGS),
       overflow=st.sampled_from(["ieee", "saturate"]))
def test_order_equals_reference(order, kw, case, rounding, overflow):
    fmt, terms = case
    if order == "kahan" and not fmt.signed:
        with pytest.raises(ValueError, match="kahan' needs a signed accumulator"):
            nf.sum(terms, fmt, order=order)
        return
    got = nf.sum(np.array(terms, np.float64), fmt, order=order, rounding=rounding, overflow=overflow, **kw)
    expected = _reference(Ref(fmt, rounding, overflow), order, kw, terms)
    assert _same(got, expected), (fmt, terms, got, expected)


@pytest.mark.parametrize("order,kw", [pytest.param(o, k, id=o, marks=() if o in ("sequential", "pairwise")
                                                   else pytest.mark.slow) for o, k in ORDER_CASES[:4]])
def test_huge_terms_leave_the_float64_route(order, kw):
    """Deterministic narrow reductions run a kernel without the exact core first; finite terms
    of 2**1022 or more (binary64 inputs) are beyond its float64 route (TwoSum could overflow),
    so it flags them and the full kernel reruns the reduction."""
    terms = [1.5 * 2.0**1022, 2.0**1023, -1.75 * 2.0**1023, 3.0, -(2.0**1022), 1.0]
    for rounding in ("nearest_even", "toward_zero"):
        got = nf.sum(np.array(terms), "binary64", accumulator="bfloat16", order=order, rounding=rounding,
                     overflow="saturate", **kw)
        expected = _reference(Ref("bfloat16", rounding, "saturate"), order, kw, terms)
        assert _same(got, expected), (rounding, got, expected)


@pytest.mark.parametrize("order,kw,every", ci_grid(ORDER_PARAMS, [1, 5, 64], k=9))
def test_promote_every_equals_reference(order, kw, every):
    """Chunks reduced in bfloat16, promoted to binary32 with RNE (DeepGEMM's two levels)."""
    x = _samples("bfloat16", 20, 150, seed=every)
    for rounding in ("nearest_even", "toward_zero"):
        got = nf.sum(x, "bfloat16", axis=1, order=order, promote_every=every, rounding=rounding, **kw)
        ref = Ref("bfloat16", rounding)
        expected = [ref.promoted(list(row), every, lambda t: _reference(ref, order, kw, t)) for row in x]
        _assert_same(got, expected, f"({rounding})")


def test_fused_with_wide_alignment_is_one_rounding():
    """With every bit kept and one group, the fused adder is the exact order."""
    x = _samples("e4m3", 200, 16, seed=3)
    for rounding in DETERMINISTIC_ROUNDINGS:
        fused = nf.sum(x, "e4m3", axis=1, accumulator="binary16", order="fused", fused_terms=16,
                       alignment_bits=40, rounding=rounding)
        exact = nf.sum(x, "e4m3", axis=1, accumulator="binary16", order="exact", rounding=rounding)
        _assert_same(fused, exact, rounding)


def test_fused_truncates_below_the_alignment():
    """1 + 2**-14 + 2**-14 in a binary32 accumulator: kept with 14 alignment bits, truncated
    away with 13 (the H100 FP8 behaviour the DeepSeek-V3 report describes)."""
    x = [1.0, 2**-14, 2**-14]
    wide = nf.sum(x, "binary32", order="fused", fused_terms=3, alignment_bits=14)
    narrow = nf.sum(x, "binary32", order="fused", fused_terms=3, alignment_bits=13)
    assert (float(wide), float(narrow)) == (1 + 2**-13, 1.0)


ZERO_SUMS = [([-0.0, -0.0, -0.0], -0.0, -0.0), ([0.0, 0.0, 0.0], 0.0, 0.0), ([0.0, -0.0, 0.0], 0.0, -0.0),
             ([1.0, -1.0, -0.0], 0.0, -0.0), ([-2.0**-30, -0.0], -0.0, None)]
"""(binary32 terms, the binary16 sum's zero in nearest_even, toward_negative (None: not a zero,
-2**-30 rounds to -2**-24)): IEEE 754 addition's."""


@pytest.mark.parametrize("order,kw", [("sequential", {}), ("blocked", {"block": 2}), ("exact", {}),
                                      ("fused", {"fused_terms": 1, "alignment_bits": 8}),
                                      ("fused", {"fused_terms": 4, "alignment_bits": 8})])
def test_zero_sums_have_the_sign_of_ieee_addition(order, kw):
    """Every order but pairwise (numpy's tree, added to +0) and kahan (its compensation
    subtracts: 0 - 0 is -0 toward negative) gives an exact zero IEEE addition's sign: a fused
    step's -0 addends sum to -0, and its first step adds its terms alone (not to a +0)."""
    for terms, *zeros in ZERO_SUMS:
        for rounding, zero in zip(("nearest_even", "toward_negative"), zeros):
            if zero is None:
                continue
            got = nf.sum(terms, "binary32", accumulator="binary16", order=order, rounding=rounding, **kw)
            assert (float(got), math.copysign(1, got)) == (0.0, math.copysign(1, zero)), (terms, rounding)


@pytest.mark.parametrize("order,kw", ORDER_PARAMS)
def test_nan_sums_are_the_positive_nan(order, kw):
    """An overflow to NaN (e4m3) and Inf - Inf both give the positive NaN, whatever the order."""
    for terms, acc in (([-448.0, -448.0, 1.0], "e4m3"), ([np.inf, -np.inf, 1.0], "binary32")):
        got = nf.sum(np.float32(terms), acc, order=order, **kw)
        assert np.float32(got).view(np.uint32) == 0x7FC00000, (terms, acc)


# ----------------------------------------------------------------------------- sequential
@settings(**SETTINGS)
@given(case=_formats_and_terms(), rounding=st.sampled_from(DETERMINISTIC_ROUNDINGS))
def test_sequential_equals_a_loop_of_add(case, rounding):
    """The issue's definition: a plain Python loop of numfmt.add, and the Fraction loop of the
    reference. Where Inf - Inf meets a format without NaN, sum gives NaN (the kernels' NaN, as
    the reference does) while add raises: its result has no image in the format."""
    fmt, terms = case
    got = nf.sum(np.array(terms, np.float64), fmt, rounding=rounding)
    assert _same(got, Ref(fmt, rounding).sequential(terms))
    if not terms:
        return

    def loop():
        s = nf.round(terms[0], fmt, rounding)
        for v in terms[1:]:
            s = nf.add(s, v, fmt, rounding=rounding)
        return s

    if math.isnan(got) and not fmt.has_nan:
        with pytest.raises(ValueError, match="invalid operations"):
            loop()
    else:
        assert _same(got, loop())


# ----------------------------------------------------------------------------- numpy's order
def test_pairwise_equals_numpy_float32_sum():
    """np.sum of a contiguous float32 1-D array, every length 1..1000 and 10**5, 10**6."""
    rng = np.random.default_rng(0)
    lengths = list(range(1, 1001)) + [10**5, 10**6]
    mismatches = []
    for n in lengths:
        x = (rng.standard_normal(n) * np.exp2(rng.integers(-20, 20, n))).astype(np.float32)
        got = nf.sum(x, "binary32", order="pairwise")
        if not (got.dtype == np.float32 and got == np.sum(x)):
            mismatches.append(n)
    assert not mismatches, mismatches[:10]


def test_pairwise_signs_of_zero_are_numpys():
    """np.add.reduce starts from +0: a sum of -0s is +0 (which 'sequential' keeps as -0)."""
    assert _same(nf.sum([-0.0, -0.0], "binary32"), -0.0)
    for n in (1, 5, 9, 200):
        x = np.full(n, -0.0, np.float32)
        assert _same(nf.sum(x, "binary32", order="pairwise"), np.sum(x))


# ----------------------------------------------------------------------------- stagnation, SR
def test_bfloat16_sum_of_ones_stagnates_at_256():
    """256 + 1 is a tie between 256 and 258 in bfloat16 (8 bits): RNE stays at 256 forever."""
    for n in (300, 1000, 10**5):
        assert float(nf.sum(np.ones(n), "bfloat16")) == 256.0
    assert float(nf.sum(np.ones(1000), "bfloat16", order="exact")) == 1000.0


def test_stochastic_rounding_removes_the_bias():
    """Sequential bfloat16 sums of 2000 ones with stochastic rounding: each step is unbiased,
    so the mean over 200 seeds is the true sum 2000 up to sampling noise. The spread of one
    sum is at most sqrt(sum of ulp**2 / 4) <= sqrt(2000 * 8**2 / 4) ~ 179 (ulp <= 8 below
    2048), so the mean of 200 lies within 4.5 sigma = 4.5 * 179 / sqrt(200) ~ 57 of 2000."""
    n, seeds = 2000, 200
    sums = [float(nf.sum(np.ones(n), "bfloat16", rounding="stochastic", seed=s)) for s in range(seeds)]
    assert abs(np.mean(sums) - n) < 57
    assert float(nf.sum(np.ones(n), "bfloat16")) == 256.0


@pytest.mark.parametrize("order,kw,fmt,acc,k", ci_grid(ORDER_PARAMS, [("e4m3", "bfloat16", 12), ("bfloat16", "binary32", 36)],
                                                     k=8))
def test_stochastic_uses_the_documented_random_numbers(order, kw, fmt, acc, k):
    """Every rounding draws random number o * 8 * n + j, and each is exact (binary32 with 36
    random bits: precision + sr_bits = 60, the limit): the reference with those numbers gives
    the same results bit for bit."""
    x = _samples(fmt, 6, 40, seed=5)
    for seed in (1, 2):
        got = nf.sum(x, fmt, axis=1, accumulator=acc, order=order, rounding="stochastic",
                     seed=seed, sr_bits=k, **kw)
        expected = [_reference(Ref(acc, "stochastic", sr=(seed, k, o, x.shape[1])), order, kw,
                               list(row)) for o, row in enumerate(x)]
        _assert_same(got, expected, f"(seed {seed})")


@pytest.mark.parametrize("sr_rule", ["add", "nearest"])
@pytest.mark.parametrize("k", [43, 44])
def test_stochastic_sums_on_both_sides_of_the_float64_route(k, sr_rule):
    """Stochastic additions into bfloat16 (p = 8) take the float64 route (TwoSum's sum rounded
    to odd at 53 bits) while p + k <= 51 (k = 43) and the exact core beyond (k = 44). Each row
    adds b = (D + 2**-10) * 2**-(7 + k), D odd, to a in [1, 2): k fraction bits of D + 2**-10,
    whose sticky part lies beyond 53 bits. With the random number 2**k - 1 - D the sum must
    stay at a (D + r < 2**k) and with one more move to a + 2**-7; at k = 44 the rounded-to-odd
    sum would read D + 1/2, which the "nearest" rule rounds up to the even D + 1."""
    rng = np.random.default_rng(k)
    rows = 32
    a = 1 + rng.integers(0, 128, rows) / 128
    d = 2 * rng.integers(0, 1 << 11, rows) + 1
    b = (d + 2.0 ** -10) * 2.0 ** -(7 + k)
    x = np.stack([a, b], axis=1).astype(np.float32)
    assert np.array_equal(x.astype(np.float64), np.stack([a, b], axis=1))      # exact float32 terms
    for extra, expected in ((0, a), (1, a + 2.0 ** -7)):
        rand = np.zeros((rows, ROUNDINGS_PER_TERM * 2), np.int64)
        rand[:, 1] = (1 << k) - 1 - d + extra          # the addition is rounding 1
        got = nf.sum(x, "binary32", axis=1, accumulator="bfloat16", rounding="stochastic",
                     sr_bits=k, sr_rule=sr_rule, random_bits=rand)
        _assert_same(got, expected, f"(random number 2**k - 1 - D + {extra})")


def test_stochastic_is_reproducible_and_rounds_products_first():
    a, b = _samples("e4m3", 3, 17, seed=1), _samples("e4m3", 17, 2, seed=2, cancel=False)
    kw = dict(product="e4m3", accumulator="bfloat16", rounding="stochastic", sr_bits=10)
    first = nf.matmul(a, b, "e4m3", seed=3, **kw)
    np.testing.assert_array_equal(first, nf.matmul(a, b, "e4m3", seed=3, **kw))
    assert not np.array_equal(first, nf.matmul(a, b, "e4m3", seed=4, **kw))
    for i in range(3):
        for j in range(2):
            o, n = i * 2 + j, 17
            ref = Ref("bfloat16", "stochastic", sr=(3, 10, o, n))
            products = [ref.round(float(p), nf.format("e4m3")) for p in a[i] * b[:, j]]
            assert _same(first[i, j], ref.sequential(products))


# ----------------------------------------------------------------------------- dot, matmul
def test_matmul_and_dot_equal_sums_of_products():
    """Every order, products exact or rounded to e4m3 (RNE, then the accumulator's rounding)."""
    a, b = _samples("e4m3", 5, 7, seed=1), _samples("e4m3", 7, 4, seed=2)
    e4m3 = nf.format("e4m3")
    for (order, kw), product in [(case, p) for case in ORDER_CASES for p in (None, "e4m3")]:
        got = nf.matmul(a, b, "e4m3", product=product, accumulator="bfloat16", order=order, **kw)
        for i in range(5):
            for j in range(4):
                terms = [float(p) if product is None else round_value(float(p), e4m3) for p in a[i] * b[:, j]]
                assert _same(got[i, j], _reference(Ref("bfloat16"), order, kw, terms)), (order, i, j)
                assert _same(got[i, j], nf.dot(a[i], b[:, j], "e4m3", product=product, accumulator="bfloat16",
                                               order=order, **kw))


SIGNED = ["binary16", "bfloat16", "binary32", "tf32", "e4m3", "e5m2", "e4m3fnuz", "e3m2", "e2m1", "p3109_p3"]


@settings(**SETTINGS)
@given(data=st.data(), fmt=formats(max_bits=8, signed=True), acc=st.sampled_from(SIGNED),
       product=st.sampled_from([None] + SIGNED), order_case=st.sampled_from(ORDER_CASES),
       rounding=st.sampled_from(DETERMINISTIC_ROUNDINGS), overflow=st.sampled_from(["ieee", "saturate"]))
def test_dot_equals_reference_across_formats(data, fmt, acc, product, order_case, rounding, overflow):
    """Inputs of one format, products exact or rounded to another, accumulated in a third."""
    n = data.draw(st.integers(0, 40))
    a = data.draw(st.lists(values(fmt), min_size=n, max_size=n))
    b = data.draw(st.lists(values(fmt), min_size=n, max_size=n))
    order, kw = order_case
    got = nf.dot(np.array(a, np.float64), np.array(b, np.float64), fmt, product=product, accumulator=acc,
                 order=order, rounding=rounding, overflow=overflow, **kw)
    ref = Ref(acc, rounding, overflow)
    exact = [x * y for x, y in zip(a, b)]         # float64 products are exact here (sign of zero too)
    assert all(Fraction(t) == Fraction(x) * Fraction(y) for t, x, y in zip(exact, a, b))
    terms = exact if product is None else [ref.round(t, nf.format(product)) for t in exact]
    assert _same(got, _reference(ref, order, kw, terms)), (terms, got)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (6, 3, 1))])
def test_matmul_shapes_are_numpys(sa, sb):
    rng = np.random.default_rng(0)
    a = nf.round(rng.standard_normal(sa), "e4m3").astype(np.float32)
    b = nf.round(rng.standard_normal(sb), "e4m3").astype(np.float32)
    got = nf.matmul(a, b, "e4m3", accumulator="binary32", order="exact")
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))   # exact: few small terms
    assert np.shape(got) == expected.shape
    np.testing.assert_array_equal(got, nf.round(expected, "binary32"))
    assert np.asarray(got).dtype == np.float32


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((4, 1, 3), (2, 3))])
def test_dot_broadcasts_like_vecdot(sa, sb):
    rng = np.random.default_rng(1)
    a, b = nf.round(rng.standard_normal(sa), "e4m3"), nf.round(rng.standard_normal(sb), "e4m3")
    got = nf.dot(a, b, "e4m3", accumulator="binary32", order="exact")
    expected = nf.round(np.sum(a * b, axis=-1), "binary32")
    assert np.shape(got) == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_sum_axes_keepdims_and_empty():
    x = nf.round(np.random.default_rng(2).standard_normal((3, 4, 5)), "bfloat16")
    for axis in (None, 0, 1, -1, (0, 2), (2, 0)):
        got = nf.sum(x, "bfloat16", axis=axis, order="exact", keepdims=True)
        assert got.shape == np.sum(x, axis=axis, keepdims=True).shape
    # the terms of (2, 0) are taken in C order of the reduced axes, as for (0, 2)
    np.testing.assert_array_equal(nf.sum(x, "bfloat16", axis=(2, 0)), nf.sum(x, "bfloat16", axis=(0, 2)))
    assert _same(nf.sum(np.zeros((0,)), "bfloat16"), 0.0)
    assert nf.sum(np.zeros((2, 0)), "e4m3", axis=1).tolist() == [0.0, 0.0]
    assert np.isnan(nf.sum([], "e8m0"))                  # no zero in E8M0


# ----------------------------------------------------------------------------- kahan, specials
def test_kahan_beats_sequential_on_an_adversarial_series():
    """1 followed by 1000 copies of 2**-9 in bfloat16: sequential drops every small term (each
    is below half an ulp of 1), Kahan carries them in the compensation."""
    x = np.array([1.0] + [2.0**-9] * 1000)
    true = 1 + 1000 * 2.0**-9
    seq = float(nf.sum(x, "bfloat16"))
    kahan = float(nf.sum(x, "bfloat16", order="kahan"))
    assert seq == 1.0
    assert abs(kahan - true) <= 2**-7 < abs(seq - true)


def test_specials():
    inf, nan = math.inf, math.nan
    assert float(nf.sum([1.0, inf, 2.0], "binary16")) == inf
    assert math.isnan(nf.sum([inf, -inf], "binary16", order="exact"))
    assert math.isnan(nf.sum([1.0, nan], "bfloat16", order="pairwise"))
    assert math.isnan(nf.sum([448.0, 448.0], "e4m3"))                              # overflow: NaN
    assert float(nf.sum([448.0, 448.0], "e4m3", overflow="saturate")) == 448.0
    assert float(nf.sum([inf], "binary16", accumulator="e4m3", overflow="saturate")) == 448.0
    assert math.isnan(nf.dot([0.0], [inf], "binary16"))                             # 0 * Inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_value_check_is_representable(dtype):
    from numfmt.testing import registered_float_formats
    for fmt in registered_float_formats():
        _check_value_check(fmt, dtype)


@settings(max_examples=60, deadline=None)
@given(fmt=formats(registered=False, max_bits=16), dtype=st.sampled_from([np.float32, np.float64]))
def test_value_check_is_representable_random_formats(fmt, dtype):
    _check_value_check(fmt, dtype)


def test_value_check_where_every_finite_float32_is_a_value():
    """``count_not_values32`` of a format that holds every finite float32 (binary32: its pass
    finds the magnitudes only) counts the Inf and NaN the format has no place for, by sign,
    and gives the magnitudes of the full pass."""
    from numfmt.kernels.accumulate import count_not_values32, value_check32
    x = np.float32([1.5, -0.0, np.inf, 3e-45, -np.inf, np.nan, -2.0, np.nan] * 700)
    bits = x.view(np.int32)
    for (nan_ok, inf_ok, neg_inf_ok), bad in (((1, 1, 1), 0), ((0, 1, 1), 1400), ((1, 1, 0), 700),
                                              ((0, 0, 0), 2800)):
        every = count_not_values32(bits, value_check32(23, 1, 1, 0x7F7FFFFF, 0, 0, nan_ok, inf_ok, neg_inf_ok))
        assert every == (bad, np.float32(3e-45).view(np.int32), 0x7FC00000)
        full = value_check32(23, 1, 1, 0x7F7FFFFF, 0, 0, nan_ok, inf_ok, neg_inf_ok)[:9] + (np.int32(0),)
        assert count_not_values32(bits, full) == every


def _check_value_check(fmt, dtype):
    """The inputs' check (``kernels.accumulate.count_not_values``: bit tests on float64 bits; its
    magnitudes: tests/test_machine_sum.py) counts the elements that ``numfmt.ops.representable``
    (the cast to nearest even) rejects, and rejects the same ones, for every registered float
    format and random ones: values, their neighbours, halfway points, Inf, NaN, signed zeros
    and random bit patterns. float32 inputs of formats that float32 holds take
    ``count_not_values32`` (int32 lanes) in ``_check_values``: the same counts, element by
    element, and the same smallest and largest magnitudes."""
    from numfmt.accumulate import _value_check
    from numfmt.casts.floating import float32_domain
    from numfmt.kernels.accumulate import count_not_values, count_not_values32
    from numfmt.ops import representable
    rng = np.random.default_rng(7)
    itype = np.int32 if dtype == np.float32 else np.int64
    info = np.iinfo(itype)
    noise = rng.integers(info.min, info.max, 20000, dtype=itype, endpoint=True).view(dtype)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3e38], dtype)
    codes = np.arange(min(1 << fmt.bits, 1 << 12), dtype=np.uint16 if fmt.bits <= 16 else np.uint32)
    c = _value_check(fmt, False)
    checks = [lambda v: count_not_values(v, c)]
    if dtype == np.float32 and float32_domain(fmt):
        c32 = _value_check(fmt, True)
        checks.append(lambda v: count_not_values32(v.view(np.int32), c32))
    with np.errstate(all="ignore"):
        vals = nf.decode(codes, fmt, np.float64).astype(dtype)
        x = np.concatenate([vals, np.nextafter(vals, dtype(np.inf)), vals * dtype(1.5), -vals, specials, noise])
        if not (fmt.signed or fmt.has_nan):     # the cast refuses negative numbers and NaN there
            refused = (x < 0) | np.isnan(x)
            for check in checks:
                assert check(x[refused])[0] == np.count_nonzero(refused), fmt.name
            x = x[~refused]
        bad = ~representable(x, fmt)
    for check in checks:
        assert check(x)[0] == np.count_nonzero(bad), fmt.name
        singles = [check(x[i:i + 1])[0] for i in range(0, x.size, 37)]
        np.testing.assert_array_equal(singles, bad[::37], err_msg=fmt.name)
    if len(checks) == 2:        # the magnitudes too (float32 bits there, float64 bits here; Inf for a NaN)
        for part in (x, x[np.isfinite(x)], x[x == 0], vals[vals != 0]):
            (_, lo64, hi64), (_, lo32, hi32) = (check(part) for check in checks)
            assert (np.int64(lo64).view(np.float64), np.int64(min(hi64, 0x7FF << 52)).view(np.float64)) == \
                (np.int32(lo32).view(np.float32), np.int32(min(hi32, 0x7F800000)).view(np.float32)), fmt.name


# ----------------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match=r"2 of 3 elements of x are not values of e4m3; first: 0.1"):
        nf.sum([0.1, 1.0, 0.3], "e4m3")
    x = np.array([[1.0, 0.1, 2.0, 0.3], [0.5, 0.7, 1.0, 3.0]], np.float32)
    for axis in (0, 1, None):       # (axis 0 named the first in the transposed terms: index (1, 0))
        with pytest.raises(ValueError, match=r"3 of 8 elements of x .* first: 0.1000.* at index \(0, 1\)"):
            nf.sum(x, "binary16", axis=axis)
    with pytest.raises(ValueError, match="elements of b are not values of bfloat16"):
        nf.dot([1.0], [1.0 + 2**-12], "bfloat16")
    with pytest.raises(ValueError, match="order must be one of"):
        nf.sum([1.0], "e4m3", order="tree")
    with pytest.raises(ValueError, match="block=B"):
        nf.sum([1.0], "e4m3", block=4)
    with pytest.raises(ValueError, match="block must be an integer >= 1"):
        nf.sum([1.0], "e4m3", order="blocked", block=0)
    with pytest.raises(ValueError, match="fused_terms=k and alignment_bits=b"):
        nf.sum([1.0], "e4m3", order="fused", fused_terms=4)
    with pytest.raises(ValueError, match="alignment_bits must be an integer from 0 to"):
        nf.sum([1.0], "e4m3", order="fused", fused_terms=4, alignment_bits=70)
    with pytest.raises(ValueError, match="give fmt"):
        nf.sum([1.0])
    with pytest.raises(ValueError, match="fmt must be a posit format"):
        nf.sum([1.0], "bfloat16", accumulator="quire")
    with pytest.raises(ValueError, match="sums exactly and rounds once"):
        nf.dot([1.0], [1.0], "posit16", accumulator="quire", order="kahan")
    with pytest.raises(ValueError, match="matmul: a has 3 columns but b has 2 rows"):
        nf.matmul(np.ones((2, 3)), np.ones((2, 2)), "e4m3")
    with pytest.raises(ValueError, match="at least one dimension"):
        nf.matmul(1.0, np.ones(2), "e4m3")
    with pytest.raises(ValueError, match="dot: the last axes"):
        nf.dot(np.ones(2), np.ones(3), "e4m3")
    with pytest.raises(ValueError, match="axis must be"):
        nf.sum(np.ones((2, 2)), "e4m3", axis=2)
    with pytest.raises(ValueError, match="rounding must be one of"):
        nf.sum([1.0], "e4m3", rounding="nearest")
    with pytest.raises(OverflowError, match="1 of 2 results overflow"):
        nf.sum([[448.0, 448.0], [1.0, 2.0]], "e4m3", axis=1, overflow="raise")
    with pytest.raises(ValueError, match="sr_bits"):
        nf.sum([1.0], "e4m3", sr_bits=3)
    with pytest.raises(ValueError, match="sr_bits=40 is too many for binary32"):
        nf.sum([1.0], "e4m3", accumulator="binary32", rounding="stochastic", sr_bits=40)


# ----------------------------------------------------------------------------- float64 add route
@pytest.mark.parametrize("acc", ["binary32", "tf32", "bfloat16", "binary16", "e5m2", "e4m3", "e2m1"])
def test_float64_add_route_is_bit_exact_on_hard_cases(acc):
    """Deterministic accumulator adds take the TwoSum route (``kernels.arith.odd_sum_bits``):
    equal to the Fraction reference on cancellation, ties and near-ties, huge exponent gaps,
    subnormal results and overflow, with exact binary32 products (up to 48 significant bits)
    as terms, sequential and Kahan, in all six deterministic modes and both overflow policies."""
    f = nf.format(acc)
    p = f.info.precision_bits
    top = math.floor(math.log2(f.info.max))
    half_ulp_max = 2.0 ** (top - p)                  # max + half_ulp_max: the overflow tie
    pool = [1.0, 1.5, 2.0 ** -p, 3 * 2.0 ** -p, 2.0 ** -p * (1 + 2**-23), 2.0 ** -p * (1 - 2**-24),
            f.info.max, half_ulp_max, half_ulp_max * (1 + 2**-23), f.info.smallest_normal,
            f.info.smallest_subnormal, f.info.smallest_normal - f.info.smallest_subnormal,
            f.info.smallest_subnormal / 2, 2.0 ** -149, 2.0 ** 127, 0.0]
    factors = [1.0, 1.0, 1 + 2**-23, 1 - 2**-24, 1.5, 0.75, 2.0 ** -30, 2.0 ** 20]
    rng = np.random.default_rng(len(acc))
    rows, n = 80, 6
    a = rng.choice(pool, (rows, n)) * rng.choice([-1.0, 1.0], (rows, n))
    b = rng.choice(factors, (rows, n))
    a[:20, 1] = -a[:20, 0]                           # exact cancellations
    b[:20, 1] = b[:20, 0]
    a = np.float32(a).astype(np.float64)             # binary32 values (tiny ones flush to 0)
    terms = [list(r) for r in a * b]                 # exact float64 products
    assert all(Fraction(t) == Fraction(x) * Fraction(y)
               for r, ra, rb in zip(terms, a, b) for t, x, y in zip(r, ra, rb))
    for rounding in DETERMINISTIC_ROUNDINGS:
        for overflow in ("ieee", "saturate"):
            for order in ("sequential", "kahan"):
                got = nf.dot(a, b, "binary32", accumulator=acc, order=order, rounding=rounding,
                             overflow=overflow)
                ref = Ref(acc, rounding, overflow)
                _assert_same(got, [getattr(ref, order)(t) for t in terms], (acc, rounding, overflow, order))


# ----------------------------------------------------------------------------- issue 12
WIDE = ["e4m27", "e5m26", "e3m28"]      # products of more than 53 bits: the exact core forms them


def _wide_samples(fmt: str, rows: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """rows x n operand pairs of fmt whose products need more than 53 bits, with cancellation:
    1 + k ulp times 1 + l ulp (k, l small or full width), and pairs whose product nearly
    cancels a neighbour's."""
    f = nf.format(fmt)
    ulp = 2.0 ** -f.man_bits
    rng = np.random.default_rng(seed)

    def significands():
        small, wide = rng.integers(1, 64, (rows, n)), rng.integers(1, 1 << f.man_bits, (rows, n))
        return 1 + np.where(rng.random((rows, n)) < 0.5, small, wide) * ulp
    a = significands() * np.exp2(rng.integers(-1, 2, (rows, n)))
    b = significands() * rng.choice([-1.0, 1.0], (rows, n))
    b[:, 1::2] = -np.asarray(nf.round(a[:, ::2][:, :n // 2] * b[:, ::2][:, :n // 2] / a[:, 1::2][:, :n // 2], f,
                                      "toward_zero"), np.float64)
    return np.asarray(nf.round(a, f), np.float64), b


# every order's exact products go through the same product code (``_products``): CI runs the
# sequential order and the two with their own adders (exact, fused), the slow set all of them
@pytest.mark.parametrize("fmt", WIDE)
@pytest.mark.parametrize("order,kw", [pytest.param(o, k, id=f"{o}{sorted(k.values())}",
                                                   marks=() if o in ("sequential", "exact", "fused") else pytest.mark.slow)
                                      for o, k in ORDER_CASES])
def test_dot_of_wide_formats_rounds_exact_products_once(fmt, order, kw):
    """Issue 12: formats of more than 26 significand bits had their products formed in float64
    (rounded, then rounded again to the accumulator). Every order, with and without
    promote_every and product=, in every deterministic mode, equals the reference on the
    exact (Fraction) products."""
    a, b = _wide_samples(fmt, 6, 10, seed=len(fmt))
    products = [[Fraction(x) * Fraction(y) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
    assert any(abs(p.numerator).bit_length() > 53 for row in products for p in row)   # not float64 numbers
    for rounding in DETERMINISTIC_ROUNDINGS:
        ref = Ref(fmt, rounding)
        got = nf.dot(a, b, fmt, order=order, rounding=rounding, **kw)
        _assert_same(got, [_reference(ref, order, kw, row) for row in products], (rounding, "exact products"))
        got = nf.dot(a, b, fmt, order=order, rounding=rounding, promote_every=3, **kw)
        expected = [Ref(fmt, rounding).promoted(row, 3, lambda t: _reference(ref, order, kw, t)) for row in products]
        _assert_same(got, expected, (rounding, "promote_every"))
        for product in (fmt, "binary32"):
            terms = [[ref.round(p, nf.format(product)) for p in row] for row in products]
            got = nf.dot(a, b, fmt, product=product, order=order, rounding=rounding, **kw)
            _assert_same(got, [_reference(ref, order, kw, row) for row in terms], (rounding, product))


def test_dot_of_wide_formats_issue_example():
    """The issue's example: (1 + 2**-27)**2 - (1 + 2**-26) = 2**-54 exactly; rounded up once it
    is e4m27's smallest subnormal 2**-33 (as nf.fma gives); sequential rounds the first
    product up to 1 + 2**-26 + 2**-27 first. matmul and stochastic rounding agree."""
    x, y = [1 + 2**-27, 1.0], [1 + 2**-27, -(1 + 2**-26)]
    assert float(nf.dot(x, y, "e4m27", order="exact", rounding="toward_positive")) == 2.0 ** -33
    assert float(nf.fma(x[0], y[0], y[1], "e4m27", rounding="toward_positive")) == 2.0 ** -33
    assert float(nf.dot(x, y, "e4m27", rounding="toward_positive")) == 2.0 ** -27
    assert float(nf.dot(x, y, "e4m27", rounding="toward_negative")) == 0.0
    assert float(nf.matmul(x, np.array(y)[:, None], "e4m27", order="exact", rounding="rup")[0]) == 2.0 ** -33
    sr = nf.dot(x, y, "e4m27", order="exact", rounding="stochastic", random_bits=np.arange(16), sr_bits=4)
    assert float(sr) == 0.0                              # 2**-54 is far below half of 2**-33


def test_wide_dot_stochastic_uses_the_documented_random_numbers():
    a, b = _wide_samples("e4m27", 4, 9, seed=3)
    products = [[Fraction(x) * Fraction(y) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
    for order, kw in ORDER_CASES:
        got = nf.dot(a, b, "e4m27", order=order, rounding="stochastic", seed=7, sr_bits=20, **kw)
        expected = [_reference(Ref("e4m27", "stochastic", sr=(7, 20, o, 9)), order, kw, row)
                    for o, row in enumerate(products)]
        _assert_same(got, expected, order)


def test_sum_memory_is_at_most_one_extra_copy():
    """Issue 12: nf.sum of float32 took 24 bytes per element besides its input (a float64
    copy, a float64 term buffer and the value check's full-size masks). The input is read in
    place now and checked in chunks."""
    import tracemalloc
    x = np.ones(1 << 22, np.float32)
    nf.sum(x[:10], "bfloat16")                           # compile outside the measurement
    tracemalloc.start()
    try:
        assert float(nf.sum(x, "bfloat16")) == 256.0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < x.nbytes, f"{peak / x.size:.2f} bytes per element"      # less than one copy


def test_quire_results_follow_dots_type_rule():
    """Issue 12: quire_dot gave a 0-d float64 array for float32 inputs, dot(accumulator=
    "quire") a float32 scalar. Both: float32 where the posit's values fit and no input is
    float64; a numpy scalar for one result."""
    a32, b32 = np.float32([1.0, 2.0]), np.float32([3.0, 0.5])
    for got in (nf.quire_dot(a32, b32, "posit16"), nf.dot(a32, b32, "posit16", accumulator="quire"),
                nf.quire_sum(a32, "posit16"), nf.sum(a32, "posit16", accumulator="quire")):
        assert type(got) is np.float32, type(got)
    for got in (nf.quire_dot(a32, [3.0, 0.5], "posit16"), nf.dot(a32, np.float64([3.0, 0.5]), "posit16",
                                                                   accumulator="quire"),
                nf.quire_dot(a32, b32, "posit32")):         # posit32 has values float32 lacks
        assert type(got) is np.float64, type(got)
    rows = nf.quire_dot(np.float32([[1.0], [2.0]]), np.float32([1.0]), "posit8")
    assert rows.dtype == np.float32 and rows.shape == (2,)
    assert type(nf.matmul(a32, b32, "posit16", accumulator="quire")) is np.float32


# the random number of a rounding is drawn in one place for every order (``_draw``): CI runs two
# orders (one with its own rounding code, fused), the slow set all of them
_RANDOM_BITS_CASES = [pytest.param(o, k, id=f"{o}{sorted(k.values())}",
                                   marks=() if o in ("sequential", "fused") else pytest.mark.slow)
                      for o, k in ORDER_CASES]


@pytest.mark.parametrize("order,kw", _RANDOM_BITS_CASES)
def test_random_bits_reproduce_the_seeded_numbers(order, kw):
    """Issue 12: sum / dot / matmul take random_bits= like the element-wise ops: rounding j of
    output o uses random_bits[o][j], in place of SplitMix64 number o * 8n + j."""
    x = _samples("e4m3", 3, 12, seed=4)
    k = 10
    bits = random_bits(9, (3, 8 * 12), k)
    seeded = nf.sum(x, "e4m3", axis=1, accumulator="bfloat16", order=order, rounding="sr", seed=9, sr_bits=k, **kw)
    given_ = nf.sum(x, "e4m3", axis=1, accumulator="bfloat16", order=order, rounding="sr", random_bits=bits,
                    sr_bits=k, **kw)
    np.testing.assert_array_equal(seeded, given_)
    a, b = _samples("e4m3", 2, 12, seed=5), _samples("e4m3", 12, 2, seed=6, cancel=False)
    kw2 = dict(product="e4m3", accumulator="bfloat16", order=order, rounding="sr", sr_bits=k, **kw)
    np.testing.assert_array_equal(nf.matmul(a, b, "e4m3", seed=3, **kw2),
                                  nf.matmul(a, b, "e4m3", random_bits=random_bits(3, (2, 2, 96), k), **kw2))
    np.testing.assert_array_equal(nf.dot(a, b.T, "e4m3", seed=3, **kw2),
                                  nf.dot(a, b.T, "e4m3", random_bits=random_bits(3, (2, 96), k), **kw2))
    with pytest.raises(ValueError, match="does not broadcast"):
        nf.sum(x, "e4m3", axis=1, rounding="sr", random_bits=np.zeros((3, 5), np.int64))
    with pytest.raises(ValueError, match="apply to rounding='stochastic' only"):
        nf.sum(x, "e4m3", random_bits=bits)


def test_inputs_round_rounds_the_inputs_first():
    """Issue 12: sum / dot / matmul take inputs="round" like the element-wise ops."""
    x = np.array([[0.1, 0.3, 1000.0], [-0.7, 2.2, 3.3]])
    for rounding in ("nearest_even", "toward_zero", "toward_positive"):
        xr = np.asarray(nf.round(x, "e4m3", rounding), np.float64)
        _assert_same(nf.sum(x, "e4m3", axis=1, rounding=rounding, inputs="round", accumulator="binary32"),
                     nf.sum(xr, "e4m3", axis=1, rounding=rounding, accumulator="binary32"))
        _assert_same(nf.dot(x, x[::-1], "e4m3", rounding=rounding, inputs="round"),
                     nf.dot(xr, xr[::-1], "e4m3", rounding=rounding))
        _assert_same(nf.matmul(x, x.T, "e4m3", rounding=rounding, inputs="round"),
                     nf.matmul(xr, xr.T, "e4m3", rounding=rounding))
    # stochastic: the inputs round to nearest even, the random numbers serve the sum only
    _assert_same(nf.sum(x, "e4m3", rounding="sr", seed=1, inputs="round"),
                 nf.sum(nf.round(x, "e4m3"), "e4m3", rounding="sr", seed=1))
    _assert_same(nf.sum(x, "posit8", accumulator="quire", inputs="round"),
                 nf.sum(nf.round(x, "posit8"), "posit8", accumulator="quire"))
    with pytest.raises(ValueError, match="inputs must be one of"):
        nf.sum(x, "e4m3", inputs="nearest")


def test_accumulator_of_another_family_names_the_accepted_ones():
    """Issue 12: accumulator="int8" got an error about posit inputs and the quire. Issue 19
    made integer accumulators a feature: int8 now asks for integer inputs, and a fixed-point
    accumulator names what is accepted."""
    with pytest.raises(ValueError, match=r"fmt must be an integer format .* with an integer accumulator; "
                                         r"got e4m3, a float format"):
        nf.sum([1.0], "e4m3", accumulator="int8")
    with pytest.raises(ValueError, match=r"accumulator must be a float format .*an integer format .*or "
                                         r"'quire' with a posit fmt; got q3.4, a fixed format"):
        nf.sum([1.0], "e4m3", accumulator="q3.4")
    with pytest.raises(ValueError, match="product must be a float format; got posit8"):
        nf.dot([1.0], [1.0], "e4m3", product="posit8")
    with pytest.raises(ValueError, match="fmt must be a float format .posit inputs accumulate in the quire"):
        nf.sum([1.0], "posit8")


def test_each_order_compiles_on_its_first_use_only_once():
    """Issue 11 (compile time): one kernel per order, compiled when that order is first used
    (a deterministic narrow sum: only the float64 route's lean kernel, without the exact core);
    int64 arguments throughout, so no helper compiles a second time for a literal int."""
    import subprocess
    import sys
    code = ("import numpy as np, numfmt as nf\n"
            "from numfmt.kernels import accumulate as k\n"
            "nf.sum(np.ones(10, np.float32), 'bfloat16')\n"
            "print(sorted(n for n, f in k.KERNELS.items() if f.signatures),\n"
            "      sorted(n for n, f in k.LEAN_KERNELS.items() if f.signatures))\n"
            "nf.sum(np.ones((3, 300)), 'bfloat16', axis=1, order='blocked', block=7, promote_every=20)\n"
            "nf.sum(np.ones(300), 'bfloat16', order='pairwise')\n"
            "nf.sum(np.ones(30), 'bfloat16', order='exact')\n"
            "nf.sum(np.ones(30), 'bfloat16', order='fused', fused_terms=4, alignment_bits=5)\n"
            # accumulate's own helpers (lanes' minimum and maximum, imported there, are shared)
            "helpers = [v for v in vars(k).values() if hasattr(v, 'signatures') and v.py_func.__module__ == k.__name__]\n"
            "print(sum('Literal' in str(s) for f in helpers for s in f.signatures))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[] ['sequential']"      # deterministic: the float64 route's kernel only
    assert out[1] == "0"


def test_a_sum_compiles_no_product_code(tmp_path):
    """Issue 11 (compile time): a sum passes bt=None, so its kernel leaves out the products'
    formation (``kernels.accumulate._products``), which a matmul's kernel compiles (an empty
    cache: a kernel loaded from the cache loads none of its helpers)."""
    import os
    import subprocess
    import sys
    code = ("import numpy as np, numfmt as nf\n"
            "from numfmt.kernels import accumulate as k\n"
            "nf.sum(np.ones(10, np.float32), 'bfloat16')\n"
            "print(len(k._products.signatures))\n"
            "nf.matmul(np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), 'bfloat16')\n"
            "print(len(k._products.signatures))\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env).stdout.split("\n")
    assert out[:2] == ["0", "1"]


# ----------------------------------------------------------------------------- lean kernels
LEAN_FORMATS = ["bfloat16", "binary16", "e4m3", "e5m2", "tf32", "e2m1"]


@st.composite
def _lean_cases(draw):
    """A narrow accumulator, rows of binary64 values (or of its values, each followed by its
    negation: zero sums) and of specials, zeros of both signs, the largest values (overflow) and
    values beyond 2**1022 (additions that leave the float64 route), lengths around the
    pairwise leaf (8, 128)."""
    acc = draw(st.sampled_from(LEAN_FORMATS))
    f = nf.format(acc)
    n = draw(st.sampled_from([0, 1, 2, 7, 8, 9, 17, 128, 129, 300]))
    rows = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32))
    rng = np.random.default_rng(seed)
    pool = np.array([0.0, -0.0, f.info.max, -f.info.max, f.info.smallest_subnormal, 1.0, -1.0, math.inf,
                     -math.inf, math.nan, 2.0 ** 1023, -2.0 ** 1022])
    x = rng.standard_normal((rows, n)) * np.exp2(rng.integers(-20, 20, (rows, n)))
    if draw(st.booleans()):         # values of acc, each followed by its negation: zero sums
        x = np.asarray(nf.round(x, f), np.float64)
        x[:, 1::2] = -x[:, :n - n % 2:2]
    special = rng.random((rows, n)) < draw(st.sampled_from([0.0, 0.05, 0.3]))
    x = np.where(special, rng.choice(pool, (rows, n)), x)
    return acc, x


@settings(**SETTINGS)
@given(case=_lean_cases(), order=st.sampled_from(["sequential", "pairwise", "blocked", "kahan", "exact", "fused"]),
       k=st.sampled_from([3, 8, 20]))
def test_lean_kernels_equal_the_full_kernels(case, order, k):
    """The lean kernels (``kernels.accumulate.LEAN_KERNELS``, which sums run) give bit for bit
    what the full KERNELS (with the exact core) give, their status (overflow, leaving the
    float64 route) included, for every order, every mode and overflow policy."""
    from numfmt.kernels import accumulate as k_acc
    acc, x = case
    kw = dict(accumulator=acc, order=order, axis=1, **({"block": 5} if order == "blocked" else {}),
              **({"fused_terms": 3, "alignment_bits": 9} if order == "fused" else {}))

    def run(rounding, overflow):
        sr = {"seed": 7, "sr_bits": k} if rounding == "stochastic" else {}
        try:
            return np.asarray(nf.sum(x, "binary64", rounding=rounding, overflow=overflow, **sr, **kw), np.float64)
        except OverflowError as e:
            return str(e)
    cases = [(r, o) for r in list(DETERMINISTIC_ROUNDINGS) + ["stochastic"] for o in ("ieee", "saturate", "raise")]
    lean = [run(*c) for c in cases]
    assert k_acc.LEAN_KERNELS[order].signatures          # the lean kernel ran
    kernels = k_acc.LEAN_KERNELS, k_acc.ROUTE_KERNELS
    k_acc.LEAN_KERNELS, k_acc.ROUTE_KERNELS = {}, {}     # the full kernel alone
    try:
        full = [run(*c) for c in cases]
    finally:
        k_acc.LEAN_KERNELS, k_acc.ROUTE_KERNELS = kernels
    for c, got, expected in zip(cases, lean, full):
        if isinstance(got, str) or isinstance(expected, str):
            assert got == expected, c
        else:
            _assert_same(got, expected, (acc, order, c))
