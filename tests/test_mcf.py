"""numfmt.mcf: multi-component floats checked against exact fractions.Fraction arithmetic.

The error bounds of the module docstring are checked on random formats (named ones and random
FloatFormat(e, m)), on arbitrary operands (any values of the format as components, normalized
or not) and on cancelling ones. Every pair of values of 8-bit formats checks the building blocks
(TwoSum, the exact product and where it stops being exact) exhaustively.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt import mcf
from numfmt.formats import FloatFormat

NAMED = ["bfloat16", "binary16", "e6m9", "e4m3", "e5m2", "e3m4", "e3m2", "p3109_p4", "e4m3fnuz"]
FORMATS = st.one_of(st.sampled_from(NAMED).map(nf.format),
                    st.builds(FloatFormat, st.integers(3, 8), st.integers(2, 10)))


def _emax(fmt) -> int:
    return fmt.info.maxexp - 1


def _eta(fmt) -> Fraction:
    """The smallest subnormal."""
    return Fraction(2) ** (fmt.emin - fmt.man_bits)


def _ulp(c: np.ndarray, fmt) -> np.ndarray:
    """ulp of each value c of fmt (eta for zeros and subnormals)."""
    _, e = np.frexp(np.abs(c))
    return np.ldexp(1.0, np.maximum(e - 1, fmt.emin) - fmt.man_bits)


@st.composite
def _values(draw, fmt, shape, top):
    """An array of values of fmt, of magnitude below 2**(top + 1), down to the subnormals."""
    n = int(np.prod(shape))
    exponents = draw(st.lists(st.integers(fmt.emin - fmt.man_bits, top), min_size=n, max_size=n))
    mantissas = draw(st.lists(st.floats(-2, 2, exclude_min=True, exclude_max=True), min_size=n, max_size=n))
    v = np.ldexp(np.array(mantissas, dtype=np.float64), np.array(exponents, dtype=np.int64))
    return np.asarray(nf.round(v, fmt), dtype=np.float64).reshape(shape)


def _check_result(r: np.ndarray, fmt, k: int):
    """r: finite values of fmt, k components, ulp-nonoverlapping, nonzero ones first."""
    assert r.shape[-1] == k and np.isfinite(r).all()
    assert nf.ops.representable(r, fmt).all()
    for j in range(k - 1):
        assert (np.abs(r[..., j + 1]) <= _ulp(r[..., j], fmt)).all()
        assert not ((r[..., j] == 0) & (r[..., j + 1] != 0)).any()


def _exact(x: np.ndarray):
    return mcf.to_fraction(x).reshape(-1)


def _assert_relative(got, exact, eps):
    """|got - exact| < eps |exact| (or got == exact) for each element."""
    bad = [(g, e) for g, e in zip(got, exact) if g != e and not abs(g - e) < eps * abs(e)]
    assert not bad, f"{len(bad)} over the bound {float(eps):.3g}; first: {bad[0]}"


@settings(max_examples=40)
@given(data=st.data(), fmt=FORMATS, k=st.sampled_from([2, 3]), n=st.integers(1, 6),
       kx=st.integers(1, 3), ky=st.integers(1, 3), cancel=st.booleans(), subtract=st.booleans())
def test_add_sub_error_bound(data, fmt, k, n, kx, ky, cancel, subtract):
    """add and sub: |r - exact| < eps_k |exact| for any components, cancelling or not."""
    top = _emax(fmt) - 3                # |x + y| < 6 * 2**(emax - 2) < max: no overflow
    x = data.draw(_values(fmt, (n, kx), top))
    y = data.draw(_values(fmt, (n, ky), top))
    if cancel:                        # y = (+-)x but for its smallest component
        y = np.concatenate([x, data.draw(_values(fmt, (n, 1), top))], axis=-1)[..., :min(kx + 1, 3)]
        y[..., :kx] = x if subtract else -x
    r = mcf.sub(x, y, fmt, k) if subtract else mcf.add(x, y, fmt, k)
    _check_result(r, fmt, k)
    exact = _exact(x) - _exact(y) if subtract else _exact(x) + _exact(y)
    _assert_relative(_exact(r), exact, mcf.error_bound(fmt, k))
    lead = r[..., 0].reshape(-1)
    assert all(abs(Fraction(c) - e) < Fraction(ulp) for c, e, ulp in zip(lead, exact, _ulp(lead, fmt)))


@settings(max_examples=25)
@given(data=st.data(), fmt=FORMATS, k=st.sampled_from([2, 3]), n=st.integers(1, 4),
       kx=st.integers(1, 3), ky=st.integers(1, 3), with_z=st.booleans())
def test_mul_fma_error_bound(data, fmt, k, n, kx, ky, with_z):
    """mul and fma: the bound eps_k |exact| + (1 + eps_k) n eta / 2 always, and eps_k |exact|
    alone for the elements whose component products are all multiples of eta."""
    top = _emax(fmt) // 2 - 3           # |x y| < 9 * 2**(emax - 4): no overflow
    low = data.draw(st.integers(fmt.emin - fmt.man_bits, top))   # often above the underflow zone
    x = data.draw(_values(fmt, (n, kx), top))
    y = data.draw(_values(fmt, (n, ky), top))
    x[..., 0] = np.where(np.abs(x[..., 0]) < 2.0 ** low, 2.0 ** low, x[..., 0])
    z = data.draw(_values(fmt, (n, k), _emax(fmt) - 3)) if with_z else np.zeros((n, 1))
    r = mcf.fma(x, y, z, fmt, k) if with_z else mcf.mul(x, y, fmt, k)
    _check_result(r, fmt, k)
    exact = _exact(x) * _exact(y) + _exact(z)
    eps, eta = mcf.error_bound(fmt, k), _eta(fmt)
    got = _exact(r)
    for i in range(n):
        err = abs(got[i] - exact[i])
        assert err <= eps * abs(exact[i]) + (1 + eps) * kx * ky * eta / 2
        if all(Fraction(a) * Fraction(b) % eta == 0 for a in x[i] for b in y[i]):
            assert err == 0 or err < eps * abs(exact[i])


@settings(max_examples=40)
@given(data=st.data(), fmt=FORMATS, k=st.sampled_from([2, 3]), n=st.integers(1, 8))
def test_from_float_error_bound(data, fmt, k, n):
    """from_float: greedy components, |c[j+1]| <= ulp(c[j]) / 2, and |r - x| <=
    (u / (1 + u))**k |x| while the components are normal, else <= eta / 2."""
    exponents = data.draw(st.lists(st.integers(fmt.emin - fmt.man_bits - 2, _emax(fmt) - 1), min_size=n, max_size=n))
    x = np.ldexp(data.draw(st.lists(st.floats(-2, 2, exclude_min=True, exclude_max=True),
                                    min_size=n, max_size=n)), exponents)
    r = mcf.from_float(x, fmt, k)
    _check_result(r, fmt, k)
    for j in range(k - 1):
        assert (np.abs(r[:, j + 1]) <= _ulp(r[:, j], fmt) / 2).all()
    u = Fraction(1, 2 ** (fmt.man_bits + 1))
    for got, value, last in zip(_exact(r), x.tolist(), np.abs(r[:, -1])):
        err = abs(got - Fraction(value))
        if last >= fmt.info.smallest_normal:
            assert err <= (u / (1 + u)) ** k * abs(Fraction(value))
        else:
            assert err <= _eta(fmt) / 2


@settings(max_examples=20)
@given(data=st.data(), fmt=FORMATS, k=st.sampled_from([2, 3]), n=st.integers(0, 24))
def test_sum_error_bound(data, fmt, k, n):
    """Pairwise sum: |r - exact| <= ((1 + eps_k)**(L-1) - 1) sum|x|, L = ceil(log2 n)."""
    x = data.draw(_values(fmt, (n,), max(_emax(fmt) - 7, fmt.emin - fmt.man_bits)))   # no overflow
    r = mcf.sum(x, fmt, terms=k)
    _check_result(r, fmt, k)
    exact = sum(map(Fraction, x.tolist()), Fraction(0))
    levels = max(int(np.ceil(np.log2(n))) - 1, 0) if n else 0
    gamma = (1 + mcf.error_bound(fmt, k)) ** levels - 1
    assert abs(mcf.to_fraction(r) - exact) <= gamma * sum(abs(Fraction(v)) for v in x.tolist())


def _all_values(fmt):
    fmt = nf.format(fmt)
    v = np.asarray(fmt.values(), dtype=np.float64)
    return fmt, v[np.isfinite(v)]


@pytest.mark.parametrize("name", ["e4m3", "e5m2", "e3m4", "p3109_p3", "e4m3fnuz"])
def test_two_sum_every_pair(name):
    """add of two values: (RN(a + b), a + b - RN(a + b)), exact, for every pair that does not
    overflow (float64 holds every such sum exactly); overflow gives (Inf, 0) or (NaN, 0)."""
    fmt, v = _all_values(name)
    a, b = (g.ravel() for g in np.meshgrid(v, v))
    r = mcf.add(a[:, None], b[:, None], fmt)
    s = np.asarray(nf.add(a, b, fmt), dtype=np.float64)
    ok = np.isfinite(s)
    assert (r[ok, 0] == s[ok]).all() and (r[ok, 0] + r[ok, 1] == (a + b)[ok]).all()
    _check_result(r[ok], fmt, 2)
    assert np.array_equal(r[~ok, 0], s[~ok], equal_nan=True) and (r[~ok, 1] == 0).all()


@pytest.mark.parametrize("name", ["e4m3", "e5m2", "e3m4"])
def test_exact_product_every_pair(name):
    """mul of two values is exact iff a * b is a multiple of eta (the product's error does not
    underflow); otherwise it misses by at most eta / 2 (float64 holds these products exactly)."""
    fmt, v = _all_values(name)
    a, b = (g.ravel() for g in np.meshgrid(v, v))
    p = a * b
    ok = np.abs(p) <= fmt.info.max
    r = mcf.mul(a[ok, None], b[ok, None], fmt)
    eta = fmt.info.smallest_subnormal
    multiple = p[ok] / eta == np.round(p[ok] / eta)
    err = np.abs(r[:, 0] + r[:, 1] - p[ok])
    assert (err[multiple] == 0).all()
    assert (err[~multiple] > 0).any() and (err <= eta / 2).all()


@pytest.mark.parametrize("op", ["add", "mul"])
def test_every_triple_at_three_bits(op):
    """FloatFormat(3, 2) (p = 3, the least precision the algorithms allow): x = (a, b) * c for
    every normalized x (a = RN(a + b)) and every c, all finite values. Finite results meet the
    bounds (float64 is exact here), and a result overflows only within an ulp of max (14; the
    overflow threshold is 15): before the terms were summed largest first, (-12, 1) + 14 = 3
    overflowed (14 + 1 rounds to 16)."""
    fmt, v = _all_values(FloatFormat(3, 2))
    a, b, c = (g.ravel() for g in np.meshgrid(v, v, v))
    normalized = np.asarray(nf.add(a, b, fmt), dtype=np.float64) == a
    a, b, c = a[normalized], b[normalized], c[normalized]
    r = getattr(mcf, op)(np.stack([a, b], axis=-1), c[:, None], fmt)
    exact = a + b + c if op == "add" else (a + b) * c
    finite = np.isfinite(r).all(axis=-1)
    _check_result(r[finite], fmt, 2)
    eps = mcf.error_bound(fmt, 2)             # |r - exact| <= eps |exact| + (1 + eps) 2 eta / 2
    err = np.abs(r[:, 0] + r[:, 1] - exact)
    bound = eps.numerator * np.abs(exact) + (0 if op == "add" else (eps.denominator + eps.numerator)
                                             * fmt.info.smallest_subnormal)
    assert (err[finite] * eps.denominator <= bound[finite]).all()
    assert (np.abs(exact[~finite]) >= 13.5).all()


def test_bfloat16_product_error_below_eta_is_lost():
    """The error 2**-134 of (1 + 2**-7)**2 * 2**-120 lies below bfloat16's eta = 2**-133."""
    x = np.array([1 + 2**-7, 0.0]) * 2.0**-60
    assert mcf.mul(x, x, "bfloat16").tolist() == [(1 + 2**-6) * 2.0**-120, 0.0]
    assert mcf.mul(x * 2.0**60, x * 2.0**60, "bfloat16").tolist() == [1 + 2**-6, 2.0**-14]


def test_collage_tiny_updates():
    """A weight updated with steps below half an ulp: bfloat16 stagnates, a 2-term bfloat16 MCF
    stays within 1% of the float32 master weight's distance travelled (Collage's claim)."""
    step = float(nf.round(-3e-4, "bfloat16"))
    w16, w32, w = np.float64(1.0), np.float32(1.0), mcf.from_float(1.0)
    for _ in range(300):
        w16 = nf.add(w16, step, "bfloat16")
        w32 = np.float32(w32 + np.float32(step))
        w = mcf.add(w, [step])
    assert w16 == 1.0
    assert abs(mcf.to_float(w) - w32) < 0.01 * abs(1 - w32)


def test_special_values():
    inf, nan = np.inf, np.nan
    assert mcf.add([inf, 0.0], [1.0, 0.0]).tolist() == [inf, 0.0]
    assert np.isnan(mcf.add([inf], [-inf])[0]) and np.isnan(mcf.mul([inf], [0.0])[0])
    assert np.isnan(mcf.sub([nan, 0.0], [1.0, 0.0])[0])
    assert mcf.mul([-inf], [2.0]).tolist() == [-inf, 0.0]
    big = nf.format("bfloat16").info.max
    assert mcf.add([big], [big]).tolist() == [inf, 0.0]             # overflow
    assert mcf.mul([-big], [2.0], terms=3).tolist() == [-inf, 0.0, 0.0]
    assert np.isnan(mcf.add([448.0], [448.0], "e4m3")[0])           # no Inf: NaN
    with pytest.raises(OverflowError):
        mcf.add([28.0], [28.0], "e3m2")                              # neither: raise
    assert mcf.from_float([inf, -1e39], "bfloat16").tolist() == [[inf, 0.0], [-inf, 0.0]]
    assert np.isnan(mcf.from_float(nan)).tolist() == [True, False]


def test_near_max_stays_finite():
    """An MCF may exceed max by less than half an ulp of max (the overflow threshold)."""
    big = nf.format("bfloat16").info.max
    r = mcf.add([big], [2.0**100])
    assert r.tolist() == [big, 2.0**100]


def test_sum_shapes_and_axes():
    x = np.asarray(nf.round(np.arange(24.0).reshape(2, 3, 4) / 7, "bfloat16"), dtype=np.float64)
    for axis in (0, 1, 2, -1):
        r = mcf.sum(x, axis=axis, terms=3)
        assert r.shape == tuple(np.delete(x.shape, axis)) + (3,)
        assert np.array_equal(mcf.to_float(r), x.sum(axis=axis))   # these few terms fit 24 bits
    assert mcf.sum(x).shape == (2,) and mcf.sum([]).tolist() == [0.0, 0.0]
    assert mcf.sum([3.0]).tolist() == [3.0, 0.0]


def test_to_float_and_to_fraction():
    x = mcf.from_float([0.1, -2.5], "bfloat16", 3)
    assert mcf.to_float(x).tolist() == [float(v) for v in mcf.to_fraction(x)]
    assert mcf.to_fraction([1.0, 2.0**-60]) == 1 + Fraction(1, 2**60)


def test_bad_arguments():
    with pytest.raises(TypeError, match="float format"):
        mcf.add([1.0], [1.0], "posit16")
    for fmt in ("e2m1", "e8m0", FloatFormat(5, 4, subnormals=False)):
        with pytest.raises(ValueError, match="subnormals"):
            mcf.from_float(1.0, fmt)
    with pytest.raises(ValueError, match="y: 1 of 2 components are not values of bfloat16"):
        mcf.add([1.0, 0.0], [0.1, 0.0])
    with pytest.raises(ValueError, match="x must be an MCF"):
        mcf.add(1.0, [1.0])
    with pytest.raises(ValueError, match="x must be an MCF"):
        mcf.mul(np.zeros((3, 4)), [1.0])
    with pytest.raises(ValueError, match="terms must be one of"):
        mcf.add([1.0], [1.0], terms=4)
    with pytest.raises(ValueError, match="terms must be one of"):
        mcf.from_float(1.0, terms=1)
    with pytest.raises(ValueError, match=r"terms must be one of \(2, 3\); got 2.0"):
        mcf.add([1.0], [1.0], terms=2.0)
    with pytest.raises(ValueError, match="do not broadcast"):
        mcf.add(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="axis must be"):
        mcf.sum(np.zeros((2, 2)), axis=2)
