"""div, sqrt and fma in float32 lanes in every mode (``kernels.machine_arith.fast32_modes_kernel``,
``ODD_SR_KERNELS32``): their steps against the primitives (``directed32_one`` against
``round_one``, the lean operand check against ``_value32``), and the kernels against the exact
core bit for bit (the sample and hypothesis tests of tests/test_machine_arith.py take every mode
through ``fast_cases``; here: random bits, few random bits, the cases that must not take them)."""
import math

import numba as nb
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numfmt as nf
from sampling import ci_sample
from numfmt.arithmetic.floating import directed32_args, fast32_args, odd_sr_in_float32
from numfmt.casts.floating import fast32_params, kernel_params
from numfmt.kernels.floating import DETERMINISTIC, DOM32, NO_RND, NO_SR, U32, VALUE, directed32_one, round_one
from numfmt.kernels import machine_arith as ma
from numfmt.kernels.machine_arith import (ODD_SR_KERNELS32, OPS, _lean_directed32, _lean_values32, _nearest32,
                                         _nearest_value32, _sr_window32, _value32, _window_consts, fast32_modes_kernel)
from numfmt.rounding import Rounding, rounding_mode

# the float32 kernels' tests (tests/test_machine_arith.py): their samples and the exact core's reference
from test_machine_arith import (FORMATS, FUNCTIONS, check_fast, exact_core, operands_of, pair_sample,  # noqa: E402
                               same_bits, wide_sample)  # noqa: E402

MODES = [m for m in Rounding if m != Rounding.STOCHASTIC]
SR = Rounding.STOCHASTIC


@nb.njit
def _directed(bits, out, p, m):
    for i in range(bits.size):
        out[i] = directed32_one(bits[i], p, m)


@nb.njit
def _round_one(bits, out, p):
    """round_one of the float32 bits (int32: its sign in the int64's), as uint32."""
    for i in range(bits.size):
        out[i] = U32(round_one(np.int64(bits[i]), p, VALUE, DOM32, DETERMINISTIC, NO_RND, NO_SR) & 0xFFFFFFFF)


@nb.njit
def _checks(bits, pc):
    out = np.empty((2, bits.size), np.bool_)
    for i in range(bits.size):
        out[0, i] = _nearest_value32(bits[i], pc)
        out[1, i] = _value32(bits[i], pc, _nearest32)
    return out


def spread_bits(f, n: int, seed: int) -> np.ndarray:
    """float32 bit patterns around every grid point of f (values, midpoints, half the smallest
    quantum, and their neighbours, one bit either side), random patterns, and the specials."""
    rng = np.random.default_rng(seed)
    v = np.abs(nf.decode(rng.integers(0, 1 << f.bits, n).astype(np.uint32 if f.bits > 16 else np.uint16), f,
                         dtype=np.float32))
    v = v[np.isfinite(v)]
    ulp = np.spacing(v) if f.man_bits >= 23 else np.float32(2.0) ** (np.floor(np.log2(np.maximum(v, 1e-38)))
                                                                      - f.man_bits)
    quantum = f.info.smallest_subnormal if f.subnormals else f.info.smallest_normal
    mids = np.concatenate([(v + ulp.astype(np.float32) / 2).astype(np.float32), np.float32([quantum / 2])])
    b = np.concatenate([v.view(np.uint32), mids.view(np.uint32), rng.integers(0, 1 << 32, n, dtype=np.uint64)
                        .astype(np.uint32), np.float32([0, np.inf, np.nan, 2.0 ** -149, 3.4e38]).view(np.uint32)])
    b = np.concatenate([b, b + 1, b - 1]).astype(np.uint32)
    return np.concatenate([b, b | np.uint32(0x80000000)])


FAST_FORMATS = [f for f in FORMATS if fast32_params(f, "ieee", "raise") is not None]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(FAST_FORMATS), st.sampled_from(MODES), st.sampled_from(["ieee", "saturate"]),
       st.integers(0, 2 ** 32 - 1))
def test_directed32_one_is_round_one(f, mode, overflow, seed):
    """``directed32_one`` gives ``round_one``'s bits for every float32 pattern drawn (around
    every grid point and random; Inf, NaN, float32 subnormals) in every deterministic mode."""
    _assert_rounds_as_round_one(_directed, f, mode, overflow, spread_bits(f, 4000, seed))


def _assert_rounds_as_round_one(kernel, f, mode, overflow, bits):
    """kernel(bits, out, *directed32_args(...)) gives ``round_one``'s bits for every element."""
    got, want = np.empty_like(bits), np.empty_like(bits)
    kernel(bits, got, *directed32_args(f, mode, overflow))
    _round_one(bits.view(np.int32), want, kernel_params(f, False, mode, overflow, "raise")[0])
    bad = got != want
    assert not bad.any(), (f, mode, bits[bad][:4], got[bad][:4], want[bad][:4])


@nb.njit
def _lean_directed(bits, out, p, m):
    for i in range(bits.size):
        out[i] = _lean_directed32(bits[i], U32(0), (p, m))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(FAST_FORMATS), st.sampled_from(MODES[1:]), st.sampled_from(["ieee", "saturate"]),
       st.integers(0, 2 ** 32 - 1))
def test_lean_directed32_is_round_one(f, mode, overflow, seed):
    """``_lean_directed32`` (the modes kernel's rounding) gives ``round_one``'s bits in every
    deterministic mode but nearest_even (which takes the nearest-even kernel)."""
    for op in ("fma", "div", "sqrt"):
        assert (fast32_args(op, f, Rounding.NEAREST_EVEN, overflow, None, np.float32, np.float32) or (None,))[0] \
            is not fast32_modes_kernel
    _assert_rounds_as_round_one(_lean_directed, f, mode, overflow, spread_bits(f, 3000, seed))


@pytest.mark.parametrize("name", ["e4m3", "e5m2", "e4m3fnuz", "e2m1", "binary16"])
def test_lean_operand_check_is_value32(name):
    """``_nearest_value32`` (the operand check of the float32 kernels) agrees with ``_value32``
    (a value iff rounding leaves it) on spread float32 patterns."""
    f = nf.format(name)
    bits = spread_bits(f, 20_000, 1)
    lean, full = _checks(bits, fast32_params(f, "ieee", "ml_dtypes"))
    np.testing.assert_array_equal(lean, full)
    assert lean.sum() > bits.size // 10


def test_which_cases_take_the_odd_kernels():
    """The routing: div, sqrt and fma (and add, sub and mul) in the other modes take the odd
    stand-in's kernels where their proofs hold, and not where they do not."""
    e4m3, binary16 = nf.format("e4m3"), nf.format("binary16")
    for mode in MODES[1:]:
        for op in ("div", "sqrt", "fma"):
            assert fast32_args(op, e4m3, mode, "ieee", None, np.float32, np.float32)[0] is fast32_modes_kernel
        for op in ("add", "sub", "mul"):    # rounded to odd at 24 bits: p <= 22
            assert fast32_args(op, e4m3, mode, "ieee", None, np.float32, np.float32)[0] is fast32_modes_kernel
    wide = nf.FloatFormat(5, 14)
    for f, mode, op, compute in ((e4m3, Rounding.ODD, "add", ma._add_mul32),      # every sum exact in float32
                                 (e4m3, Rounding.TOWARD_NEGATIVE, "sub", ma._sum_rdn32),
                                 (e4m3, Rounding.TOWARD_ZERO, "mul", ma._tiny_product_odd32),
                                 (wide, Rounding.TOWARD_ZERO, "add", ma._sum_odd32),
                                 (wide, Rounding.TOWARD_NEGATIVE, "add", ma._sum_odd_rdn32),
                                 (wide, Rounding.ODD, "mul", ma._mul_odd32),
                                 (e4m3, Rounding.TOWARD_NEGATIVE, "fma", ma._fma_odd_rdn32),
                                 (e4m3, Rounding.TOWARD_POSITIVE, "fma", ma.fma_odd32),
                                 (e4m3, Rounding.ODD, "div", ma._div32), (e4m3, Rounding.ODD, "sqrt", ma._sqrt32),
                                 (binary16, Rounding.ODD, "sqrt", ma.sqrt_odd32)):     # p = 11 > 10: to odd
        key = fast32_args(op, f, mode, "ieee", None, np.float32, np.float32)[1][2]    # (the kernel's loop)
        assert ma.modes_compute(key) is compute, (f.name, mode, op)
    for op in ("add", "mul"):       # p = 23: one bit beyond it is too few
        assert fast32_args(op, nf.FloatFormat(5, 22), Rounding.TOWARD_ZERO, "ieee", None, np.float32,
                           np.float32) is None
    for op in ("div", "sqrt", "fma"):
        assert fast32_args(op, e4m3, SR, "ieee", (1, 32, "add", None), np.float32, np.float32)[0] \
            is ODD_SR_KERNELS32[op]
    assert fast32_args("div", binary16, SR, "ieee", (1, 32, "add", None), np.float32, np.float32) is None
    assert fast32_args("div", binary16, SR, "ieee", (1, 31, "add", None), np.float32, np.float32)[0] \
        is ODD_SR_KERNELS32["div"]
    # no Fast32Params: bfloat16 (its smallest quantum 2**-133) takes the fixed shift's kernels, but where
    # float32's result is no stand-in: products of p = 9, quotients of p = 12, roots of p = 11, sums and fma
    # of p = 23 (rounded to odd at 24 bits: p + 2 bits for nearest_away)
    for f, op, kernel in ((nf.format("bfloat16"), "fma", ma.same_range32_fma_kernel),
                          (nf.FloatFormat(8, 22), "fma", None), (nf.format("bfloat16"), "sqrt",
                          ma.same_range32_sqrt_modes_kernel), (nf.FloatFormat(8, 9), "sqrt",
                          ma.same_range32_sqrt_modes_kernel), (nf.FloatFormat(8, 10), "sqrt", None),
                          (nf.FloatFormat(8, 10), "div", ma.same_range32_div_modes_kernel),
                          (nf.FloatFormat(8, 11), "div", None), (nf.FloatFormat(8, 7), "mul",
                          ma.same_range32_mul_modes_kernel), (nf.FloatFormat(8, 8), "mul", None),
                          (nf.FloatFormat(8, 21), "sub", ma.same_range32_sum_modes_kernel),
                          (nf.FloatFormat(8, 22), "add", None)):
        args = fast32_args(op, f, Rounding.NEAREST_AWAY, "ieee", None, np.float32, np.float32)
        assert (args and args[0]) is kernel, (f.name, op)
    assert fast32_args("sqrt", nf.FloatFormat(5, 22), Rounding.ODD, "ieee", None, np.float32, np.float32) is None
    assert fast32_args("sqrt", binary16, Rounding.NEAREST_EVEN, "ieee", None, np.float32, np.float32)[0] \
        is ma.fast32_odd_root_kernel
    assert not odd_sr_in_float32("sqrt", nf.format("e2m3"), 8)     # qsub = -3 < 2 emin = 0: subnormal roots
    assert not odd_sr_in_float32("sqrt", nf.format("e2m1"), 8) and odd_sr_in_float32("sqrt", nf.format("e5m2"), 8)
    assert not odd_sr_in_float32("fma", nf.FloatFormat(5, 21), 32)   # p + k = 54 > 53


def test_fma_div_and_sqrt_take_a_kernel_each():
    """A first call compiles its own operation's loop alone: fma, div and sqrt take a plain
    kernel each and a counting twin each, in nearest even (e4m3, bfloat16) and in the other
    modes (bfloat16), and a stochastic kernel each (e4m3), so that no kernel branches on op
    between their loops."""
    e4m3, bfloat16 = nf.format("e4m3"), nf.format("bfloat16")
    cases = [(e4m3, op, Rounding.NEAREST_EVEN) for op in ("fma", "div", "sqrt")] + \
            [(bfloat16, op, mode) for op in ("div", "sqrt") for mode in (Rounding.NEAREST_EVEN, Rounding.TOWARD_ZERO)]
    plain, twins = [], []
    for f, op, mode in cases:
        kernel, p, _ = fast32_args(op, f, mode, "ieee", None, np.float32, np.float32)
        plain.append(kernel)
        twins.append(ma.count_kernel32(kernel, op, False, False, p))
    assert len(set(plain)) == len(set(twins)) == len(cases) and None not in twins
    stochastic = {fast32_args(op, e4m3, SR, "ieee", (1, 8, "add", None), np.float32, np.float32)[0]
                  for op in ("fma", "div", "sqrt")}
    assert len(stochastic) == 3


def _sr_check(op, name, operands, k, **kwargs):
    """The float32 SR kernel ran and gave the float64 operands' (exact core's) bits."""
    f = nf.format(name)
    assert fast32_args(op, f, SR, "ieee", (1, k, "add", None), np.float32, np.float32)[0] is ODD_SR_KERNELS32[op]
    got = FUNCTIONS[op](*operands, f, "stochastic", sr_bits=k, **kwargs)
    x64 = [o.astype(np.float64) for o in operands]
    same_bits(got, FUNCTIONS[op](*x64, f, "stochastic", sr_bits=k, **kwargs))
    return got


@pytest.mark.parametrize("op", ["div", "sqrt", "fma"])
def test_stochastic_random_bits_and_few_bits(op):
    """Explicit random bits (the kernel's second loop) and k = 1, 7, 20 seeded: the float64
    operands' (exact core's) bits; the bits are used."""
    a, b, c = pair_sample("e4m3", 3000, 8)
    operands = {"div": (a, b), "sqrt": (np.abs(a),), "fma": (a, b, c)}[op]
    bits = np.random.default_rng(2).integers(0, 1 << 32, a.size, dtype=np.uint64)
    got = _sr_check(op, "e4m3", operands, 32, random_bits=bits)
    assert not np.array_equal(got, _sr_check(op, "e4m3", operands, 32, seed=4), equal_nan=True)
    for k in (1, 7, 20):
        _sr_check(op, "e4m3", operands, k, seed=k)
    _sr_check(op, "e4m3", operands, 6, random_bits=bits >> np.uint64(26))


def test_stochastic_binary16_wide_sample():
    """binary16 fma under SR (32 bits), div with 31: 60,000 operands of every binade."""
    a, b, c = wide_sample("binary16", 60_000, 5)
    _sr_check("fma", "binary16", (a, b, c), 32, seed=3)
    _sr_check("div", "binary16", (a, b), 31, seed=3)


def test_fma_toward_negative_exact_zeros():
    """x y + z exactly zero is -0 under toward_negative unless x y and z are +0 (IEEE 754)."""
    x = np.float32([1.0, -1.0, 0.0, -0.0, 0.0, 2.0])
    y = np.float32([1.0, 1.0, 1.0, 1.0, 1.0, 0.5])
    z = np.float32([-1.0, 1.0, 0.0, -0.0, -0.0, -1.0])
    got = nf.fma(x, y, z, "e4m3", "toward_negative")
    want = exact_core("fma", [x.astype(np.float64), y.astype(np.float64), z.astype(np.float64)], "e4m3",
                      Rounding.TOWARD_NEGATIVE)
    same_bits(got, want)
    assert np.signbit(got).tolist() == [True, True, False, True, True, True]


def test_stochastic_sqrt_random_bits_at_the_root():
    """Every positive value x of E5M9 (p = 10) with the two random numbers whose thresholds theta
    lie next to sqrt(x) (floor(f 2**32) + r = 2**32 or 2**32 - 1): the decision x >= theta**2
    (theta**2 of up to 84 bits: ``residual``'s exact sign), against the exact core."""
    f = nf.FloatFormat(5, 9)
    x = nf.decode(np.arange(1, 0x3E00, dtype=np.uint16), f, dtype=np.float64)
    xs, bits = [], []
    for v in x.tolist():
        m, e = math.frexp(v)
        shift = e - 53 + 64 - 2 * ((e - 1) // 2 - 9)      # x 2**64 / u**2, u = 2**(E - 9), E = floor(log2 sqrt(x))
        n = math.isqrt(int(m * 2 ** 53) << shift) & 0xFFFFFFFF      # floor(f 2**32)
        for r in (2 ** 32 - n, 2 ** 32 - n - 1):
            if r < 2 ** 32:
                xs.append(v)
                bits.append(r)
    xs, bits = np.array(xs, np.float32), np.array(bits, np.uint64)
    got = _sr_check("sqrt", f, (xs,), 32, random_bits=bits)
    assert (got != np.sqrt(xs)).sum() > xs.size // 3      # (both directions taken)


@nb.njit
def _lean_checks(xb, yb, zb, pc):
    out = np.empty((2, xb.size), np.bool_)
    for i in range(xb.size):
        out[0, i] = _lean_values32(xb[i], yb[i], zb[i], pc, 3)
        out[1, i] = _value32(xb[i], pc, _nearest32) & _value32(yb[i], pc, _nearest32) & _value32(zb[i], pc, _nearest32)
    return out


@pytest.mark.parametrize("name", ["e4m3", "e5m2", "e2m1", "binary16", "e4m3fnuz"])
def test_lean_values32_is_value32_on_finite_bits(name):
    """``_lean_values32`` (the fma, div and sqrt loops' check) holds exactly where ``_value32`` does
    for finite patterns, and never for Inf or NaN (``_check_values32`` decides those): three
    equal operands, and three different ones (the largest-value bound is tested on their
    largest)."""
    f = nf.format(name)
    pc = fast32_params(f, "ieee", "ml_dtypes")
    above = np.uint32([pc.max_bits + pc.lsb, pc.max_bits + 4 * pc.lsb, U32(pc.max_bits + pc.lsb) | U32(0x80000000)])
    bits = np.concatenate([spread_bits(f, 20_000, 2), np.tile(above, 1000)])     # (grid points above the largest)
    for yb, zb in ((bits, bits), (np.roll(bits, 1), np.roll(bits, 2))):
        lean, full = _lean_checks(bits, yb, zb, pc)
        mag = np.uint32(0x7FFFFFFF)
        finite = np.maximum(np.maximum(bits & mag, yb & mag), zb & mag) < np.uint32(0x7F800000)
        np.testing.assert_array_equal(lean[finite], full[finite])
        assert not lean[~finite].any() and lean.sum() > bits.size // 40


@pytest.mark.parametrize("rounding", ["nearest_even", "toward_positive", "stochastic"])
def test_inf_nan_and_bad_operands_take_the_full_check(rounding):
    """Inf and NaN operands (values of e5m2) fail the lean check: the full check after the loop
    accepts them (results as the exact core's); a non-value among them still raises."""
    f = nf.format("e5m2")
    a = np.float32([1.5, np.inf, -np.inf, np.nan, 0.0, 3.0, -0.25, 2.0 ** -16] * 40)
    b, c = np.roll(a, 3), np.roll(a, 5)
    kw = {"seed": 3} if rounding == "stochastic" else {}
    for op in ("fma", "div", "sqrt"):
        operands = operands_of(op, a, b, c)
        assert fast32_args(op, f, rounding_mode(rounding), "ieee", (3, 32, "add", None) if kw else None,
                           np.float32, np.float32) is not None
        got = FUNCTIONS[op](*operands, f, rounding, **kw)
        same_bits(got, FUNCTIONS[op](*[o.astype(np.float64) for o in operands], f, rounding, **kw))
        bad = [o.copy() for o in operands]
        bad[-1][7] = np.float32(1.1)
        with pytest.raises(ValueError, match="not values of e5m2"):
            FUNCTIONS[op](*bad, f, rounding, **kw)


@nb.njit(error_model="numpy")
def _undecided(x, y, z, zk, p, op):
    """Whether ``_sr_window32`` leaves each element undecided (float32's result of OPS[op])."""
    c = _window_consts(p)
    out = np.empty(x.size, np.bool_)
    for i in range(x.size):
        o = x[i] * y[i] + z[i] if op == 3 else (x[i] / y[i] if op == 4 else np.sqrt(x[i]))
        out[i] = not _sr_window32(o, zk[i], p, c)[1]
    return out


def _edge_bits(o, p, rng):
    """Random bits (k = 32) whose threshold lies at the window's edges: per block of 256, within
    one last place of s above or below the fraction of |o|'s cell, one or two places off (give
    or take 1), or anywhere (the units: s's last place, s = |o| or |o| + Q below 2Q)."""
    mag = (o.view(np.uint32) & np.uint32(0x7FFFFFFF)).astype(np.int64)
    t = np.minimum(int(p.t_top) - np.minimum(np.maximum(mag >> 23, 1), int(p.t_cap)), 24)
    q = np.float64(np.uint32(p.q_bits).view(np.float32))
    small = mag < int(p.q_bits)
    with np.errstate(all="ignore"):
        below = np.nan_to_num(np.floor(np.abs(o.astype(np.float64)) / q * 2.0 ** 32)).astype(np.int64)
    frac = np.where(small, below & 0xFFFFFFFF, ((mag & ((1 << t) - 1)) << (32 - t)) & 0xFFFFFFFF)
    unit = np.where(small, 1 << 9, np.where(mag < int(p.q_bits) + (1 << 23), 1 << 10, 1 << (32 - t)))
    kind = (np.arange(o.size) // 256) % 6
    e = rng.integers(-1, 2, o.size)
    delta = np.select([kind == 0, kind == 1, kind == 2, kind == 3, kind == 4],
                      [rng.integers(1, 1 << 62, o.size) % unit, -(rng.integers(0, 1 << 62, o.size) % unit),
                       unit + e, -unit + e, 2 * unit * rng.choice([-1, 1], o.size) + e], 0)
    bits = ((1 << 32) - frac - delta) & 0xFFFFFFFF
    return np.where(kind == 5, rng.integers(0, 1 << 32, o.size), bits).astype(np.uint64)


@pytest.mark.parametrize("op, name", [("fma", "binary16"), ("sqrt", "E5M9"), ("div", "e4m3"), ("div", "e2m1"),
                                      ("fma", "e3m2"), ("sqrt", "e5m2"), ("div", "E4M3-nosub")])
def test_stochastic_window_edges(op, name):
    """Random bits at the edges of ``_sr_window32``'s window, blocks of one kind (so that a block
    the window decides is not recomputed by ``_odd_sr_exact``; below the smallest quantum too;
    a format without subnormals takes the exact step only): the exact core's bits, and some
    elements are left undecided (their blocks go by ``_odd_sr_exact``)."""
    f = {"E5M9": nf.FloatFormat(5, 9), "E4M3-nosub": nf.FloatFormat(4, 3, subnormals=False)}.get(name) or nf.format(name)
    rng = np.random.default_rng(7)
    v = nf.decode(rng.integers(0, 1 << f.bits, 3 * 12_000).astype(np.uint16), f, dtype=np.float32)
    v = v[np.isfinite(v)]
    a, b, c = (nf.round(w, f, overflow="ieee") for w in v[:3 * (v.size // 3)].reshape(3, -1))
    a = np.abs(a) if op == "sqrt" else a
    if op == "div" and not f.has_nan:       # (x / 0 has no result there)
        a, b, c = a[b != 0], b[b != 0], c[b != 0]
    with np.errstate(all="ignore"):
        o = {"div": a / b, "sqrt": np.sqrt(a), "fma": a * b + c}[op]
    p = fast32_params(f, "ieee", "raise")
    bits = _edge_bits(o, p, rng)
    assert _undecided(a, b, c, bits.astype(np.uint32), p, OPS[op]).sum() > 20
    _sr_check(op, f, operands_of(op, a, b, c), 32, random_bits=bits)


def test_stochastic_one_and_two_threads():
    """Seeded SR of fma, div and sqrt over chunks: 1 and 2 threads give the same bits."""
    a, b, c = pair_sample("e4m3", 300_000, 9)
    old = nf.get_num_threads()
    try:
        for op in ("fma", "div", "sqrt"):
            operands = operands_of(op, np.abs(a) if op == "sqrt" else a, b, c)
            got = []
            for threads in (1, 2):
                nf.set_num_threads(threads)
                got.append(FUNCTIONS[op](*operands, "e4m3", "stochastic", seed=5))
            np.testing.assert_array_equal(got[0].view(np.uint32), got[1].view(np.uint32))
    finally:
        nf.set_num_threads(old)


@pytest.mark.parametrize("f", ci_sample([nf.FloatFormat(5, 14), nf.FloatFormat(6, 21), nf.FloatFormat(3, 13)], 1,
                                         ids=["e5m14", "e6m21", "e3m13"]))
def test_wide_precision_sums_and_products_in_every_mode(f):
    """add, sub and mul in the modes other than nearest even of formats whose products float32
    does not hold (p = 15, 22: rounded to odd from float64's error) and whose sums it may not
    (e5: rounded to odd; e3 m13: every sum exact), against the exact core: random codes, with
    x - x and x + (-x) (toward_negative's -0). One format in the default run, all under -m slow."""
    rng = np.random.default_rng(8)
    v = nf.decode(rng.integers(0, 1 << f.bits, 3 * 3000).astype(np.uint32), f, dtype=np.float32)
    a, b, _ = v.reshape(3, -1)
    b[::7] = -a[::7]
    for mode in MODES[1:]:
        for op in ("add", "sub", "mul"):
            assert fast32_args(op, f, mode, "ieee", None, np.float32, np.float32)[0] is fast32_modes_kernel
            for overflow in ("ieee", "saturate"):
                check_fast(op, f, (a, b), mode, overflow)
