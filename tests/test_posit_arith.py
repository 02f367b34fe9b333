"""Posit arithmetic (numfmt.arithmetic.posit.elementwise) against the exact reference
(Fractions, square roots by exact comparisons) and against softposit.

posit<8,es>: every pair of operands for add / sub / mul / div and every operand for sqrt, in
every deterministic mode for every es (slow; CI runs posit8 in nearest-even exhaustively and a
fixed random sample of the rest). softposit (pX2_* are posit<n,2> of the 2022 standard; its
NaR decodes as inf, numfmt's as NaN) checks posit16 and posit32 on random operands.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from sampling import ci_grid

import numfmt as nf
from numfmt import reference_posit as ref
from numfmt import verify
from numfmt.arithmetic.posit import elementwise, stochastic_route
from numfmt.formats.posit import PositFormat
from numfmt.random import random_bits
from numfmt.rounding import DETERMINISTIC_ROUNDINGS, rounding_mode

ARITY = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1}


def _exact(op: str, *xs: float):
    """The exact result (Fraction or ref.Sqrt), or None for NaR."""
    if any(math.isnan(x) for x in xs):
        return None
    a, b, c = [Fraction(x) for x in xs] + [Fraction(0)] * (3 - len(xs))
    if op == "div" and b == 0 or op == "sqrt" and a < 0:
        return None
    return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b if b else None,
            "fma": lambda: a * b + c, "sqrt": lambda: ref.Sqrt(a)}[op]()


def _reference(op, operands, fmt, mode, rand=None, k=32, rule="add") -> np.ndarray:
    codes = []
    for i, xs in enumerate(zip(*operands)):
        exact = _exact(op, *(float(x) for x in xs))
        if exact is None:
            codes.append(fmt.nar_code)
            continue
        sr = {} if rand is None else {"random_bits": int(rand[i]), "sr_bits": k, "sr_rule": rule}
        codes.append(ref.round_code(exact, fmt, mode, **sr))
    return nf.decode(np.array(codes), fmt, np.float64)


def _run(op, operands, fmt, mode="nearest_even", stochastic=None, overflow="ieee") -> np.ndarray:
    operands = tuple(np.ascontiguousarray(x, dtype=np.float64) for x in operands)
    return elementwise(op, operands, fmt, rounding_mode(mode), overflow, stochastic)


def _all_pairs(fmt: PositFormat):
    v = fmt.values()
    return np.repeat(v, v.size), np.tile(v, v.size)


def _random_operands(fmt: PositFormat, count: int, arity: int, seed: int):
    """Values from random codes (NaR, zero, minpos and maxpos included), and for a third of
    the pairs operands of nearly equal magnitude (cancellation)."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 1 << fmt.nbits, (arity, count))
    special = rng.random((arity, count)) < 0.1
    picks = np.array([0, 1, fmt.nar_code - 1, fmt.nar_code, fmt.nar_code + 1, (1 << fmt.nbits) - 1])
    codes = np.where(special, rng.choice(picks, (arity, count)), codes)
    if arity >= 2:
        near = rng.random(count) < 0.3
        codes[1] = np.where(near, (-(codes[0] + rng.integers(-2, 3, count))) % (1 << fmt.nbits), codes[1])
    return tuple(nf.decode(c, fmt, np.float64) for c in codes)


def _check(op, operands, fmt, mode):
    got = _run(op, operands, fmt, mode)
    np.testing.assert_array_equal(got, _reference(op, operands, fmt, mode), err_msg=f"{fmt.name} {op} {mode}")


# ----------------------------------------------------------------------------- exhaustive 8 bits
@pytest.mark.slow
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_posit8_every_pair_nearest_even(op):
    """(Slow: about 8 s an operation against the Python reference. CI runs 400 random pairs of
    every es, operation and mode in ``test_posit8_random_operands_every_mode``.)"""
    fmt = nf.format("posit8")
    _check(op, _all_pairs(fmt), fmt, "nearest_even")


@pytest.mark.slow
@pytest.mark.parametrize("es", range(6))
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("mode", DETERMINISTIC_ROUNDINGS)
def test_posit8_every_pair_every_es_and_mode(es, op, mode):
    fmt = PositFormat(8, es)
    _check(op, _all_pairs(fmt), fmt, mode)


@pytest.mark.parametrize("es", range(6))
@pytest.mark.parametrize("mode", DETERMINISTIC_ROUNDINGS)
def test_posit8_sqrt_every_operand(es, mode):
    fmt = PositFormat(8, es)
    _check("sqrt", (fmt.values(),), fmt, mode)


@pytest.mark.parametrize("es,op", ci_grid(list(range(6)), ["add", "sub", "mul", "div", "fma"], k=8))
def test_posit8_random_operands_every_mode(es, op):
    fmt = PositFormat(8, es)
    operands = _random_operands(fmt, 400, ARITY[op], seed=es)
    for mode in DETERMINISTIC_ROUNDINGS:
        _check(op, operands, fmt, mode)


@pytest.mark.slow
@pytest.mark.parametrize("es", range(6))
@pytest.mark.parametrize("mode", DETERMINISTIC_ROUNDINGS)
def test_posit8_fma_large_sample(es, mode):
    fmt = PositFormat(8, es)
    _check("fma", _random_operands(fmt, 100_000, 3, seed=100 + es), fmt, mode)


# ----------------------------------------------------------------------------- wider formats
@pytest.mark.parametrize("n,es,op", ci_grid([(16, 2), (16, 1), (32, 2), (32, 0), (12, 5), (3, 1)], list(ARITY),
                                             k=10))
def test_random_operands_against_reference(n, es, op):
    fmt = PositFormat(n, es)
    operands = _random_operands(fmt, 300, ARITY[op], seed=n * 10 + es)
    for mode in ("nearest_even", "toward_negative", "odd"):
        _check(op, operands, fmt, mode)


@pytest.mark.parametrize("op,rule", ci_grid(list(ARITY), ["add", "nearest"]))    # (every op, both rules)
def test_stochastic_against_reference(op, rule):
    """Explicit random bits and seeded bits (element i uses random number i); float32 operands
    take the posit cast of their stand-ins rounded to odd at 53 bits (``stochastic_route``; at
    its bound p + k = 51 too: posit<16, 2> has p = 12), float64 ones the exact core."""
    for fmt, k in ((PositFormat(8, 2), 5), (PositFormat(16, 2), 12), (PositFormat(8, 5), 7), (PositFormat(16, 2), 39)):
        operands = _random_operands(fmt, 300, ARITY[op], seed=k)
        rand = np.random.default_rng(k).integers(0, 1 << k, 300)
        got = _run(op, operands, fmt, "stochastic", (0, k, rule, rand))
        want = _reference(op, operands, fmt, "stochastic", rand, k, rule)
        np.testing.assert_array_equal(got, want)
        if fmt.fits_float32():
            assert stochastic_route(fmt, (0, k, rule, rand))
            as32 = tuple(np.ascontiguousarray(x, dtype=np.float32) for x in operands)
            np.testing.assert_array_equal(elementwise(op, as32, fmt, rounding_mode("stochastic"), "ieee",
                                                      (0, k, rule, rand)), want)
        seeded = _run(op, operands, fmt, "stochastic", (9, k, rule, None))
        np.testing.assert_array_equal(seeded, _run(op, operands, fmt, "stochastic",
                                                   (0, k, rule, random_bits(9, 300, k))))


def test_special_cases_and_overflow():
    fmt = nf.format("posit16")
    nan = np.nan
    assert np.isnan(_run("div", ([1.0, 0.0], [0.0, 0.0]), fmt)).all()          # x / 0 is NaR
    assert np.isnan(_run("sqrt", ([-4.0, nan],), fmt)).all()
    assert np.isnan(_run("fma", ([1.0], [1.0], [nan]), fmt)).all()
    zero = _run("sub", ([3.0], [3.0]), fmt, "toward_negative")
    assert zero[0] == 0 and not np.signbit(zero[0])                             # no -0
    big = fmt.info.maxpos
    assert _run("mul", ([big], [big]), fmt)[0] == big
    assert _run("mul", ([fmt.info.minpos], [fmt.info.minpos]), fmt)[0] == fmt.info.minpos
    assert _run("mul", ([fmt.info.minpos], [-fmt.info.minpos]), fmt, "toward_zero")[0] == 0
    with pytest.raises(OverflowError, match="exceed maxpos"):
        _run("add", ([big, 1.0], [big, 1.0]), fmt, overflow="raise")
    assert _run("add", ([big], [0.0]), fmt, overflow="raise")[0] == big
    with pytest.raises(ValueError, match="op must be one of"):
        _run("pow", ([1.0], [2.0]), fmt)


def test_overflow_raise_sees_exact_results_just_beyond_maxpos():
    """maxpos + minpos is beyond maxpos although float64 rounds it to maxpos (the float64 route
    counts with TwoSum's error); maxpos - minpos is not."""
    fmt = nf.format("posit16")
    big, tiny = fmt.info.maxpos, fmt.info.minpos
    for op, operands in (("add", ([big], [tiny])), ("sub", ([big], [-tiny])), ("fma", ([big], [1.0], [tiny]))):
        with pytest.raises(OverflowError, match="1 of 1 results"):
            _run(op, operands, fmt, overflow="raise")
    assert _run("add", ([big], [-tiny]), fmt, overflow="raise")[0] == big
    assert _run("fma", ([big], [1.0], [-tiny]), fmt, "toward_zero", overflow="raise")[0] < big


@pytest.mark.parametrize("n, es", [(8, 0), (8, 5), (16, 1), (16, 2), (12, 5), (32, 2), (32, 0), (20, 3), (3, 1)])
def test_float64_route_equals_the_exact_core(n, es, monkeypatch):
    """The float64 route (TwoSum, Dekker's product, the residuals of quotients and roots: the
    result rounded to odd at 53 bits, then the posit cast's fast path) gives the exact core's
    results bit for bit, in every deterministic mode, with cancellation, x / 0 and negative
    roots."""
    from numfmt.arithmetic import posit as arith

    fmt = PositFormat(n, es)
    operands = _random_operands(fmt, 5000, 3, seed=7 * n + es)
    operands[1][:50] = 0.0
    for op in ARITY:
        args = operands[:ARITY[op]]
        for mode in DETERMINISTIC_ROUNDINGS:
            if not arith.float64_route(op, fmt, rounding_mode(mode)):
                continue
            fast = _run(op, args, fmt, mode)
            with monkeypatch.context() as m:
                m.setattr(arith, "float64_route", lambda *_: False)
                exact = _run(op, args, fmt, mode)
            np.testing.assert_array_equal(fast, exact, err_msg=f"{fmt.name} {op} {mode}")


def _run32(op, operands, fmt, mode):
    """``elementwise`` on float32 operands with float32 results (the float32 route where it holds)."""
    operands = tuple(np.ascontiguousarray(x, dtype=np.float32) for x in operands)
    return elementwise(op, operands, fmt, rounding_mode(mode), "ieee", None, out_dtype=np.float32)


@pytest.fixture
def float32_route_calls(monkeypatch):
    """The number of float32-lane kernel calls (``kernels.posit.product_sum32`` and
    ``quotient_root32``) so far (a list of one count)."""
    from numfmt.kernels import posit as kern

    calls = [0]

    def counting(kernel):
        def counted(*args):
            calls[0] += 1
            return kernel(*args)
        return counted

    for name in ("product_sum32", "quotient_root32"):
        monkeypatch.setattr(kern, name, counting(getattr(kern, name)))
    return calls


FLOAT32_ROUTE_FORMATS = [(8, 0), (8, 1), (8, 2), (8, 3), (16, 2), (12, 2), (6, 1), (3, 0), (2, 0), (9, 3), (14, 1)]


@pytest.mark.parametrize("n, es", FLOAT32_ROUTE_FORMATS)
def test_float32_route_equals_the_float64_route(n, es, float32_route_calls):
    """The float32 lanes (float32's TwoSum rounded to odd at 24 bits, then the cast's float
    trick in int32 lanes) give the float64 route's results bit for bit, in every deterministic
    mode: every pair of values of the 8-bit and smaller formats, random operands (cancellation,
    NaR, zeros, the extreme regimes) of the others."""
    from numfmt.arithmetic import posit as arith

    fmt = PositFormat(n, es)
    pairs = _all_pairs(fmt) if n <= 8 else _random_operands(fmt, 200_000, 2, seed=n + es)
    third = _random_operands(fmt, pairs[0].size, 1, seed=es)[0]
    for op in ("add", "sub", "mul", "fma"):
        args = (pairs + (third,))[:ARITY[op]]
        for mode in DETERMINISTIC_ROUNDINGS:
            assert arith.float32_route(op, fmt, rounding_mode(mode))
            calls = float32_route_calls[0]
            got = _run32(op, args, fmt, mode)
            assert float32_route_calls[0] > calls
            np.testing.assert_array_equal(got, _run(op, args, fmt, mode).astype(np.float32),
                                          err_msg=f"{fmt.name} {op} {mode}")


@pytest.mark.parametrize("n, es", [(16, 2), (8, 0), (8, 3), (12, 2), (14, 1), (3, 0)])
def test_float32_route_div_and_sqrt_equal_the_exact_core(n, es, float32_route_calls):
    """Quotients (float32's quotient and its exact residual in float64, rounded to odd at 24
    bits) and roots in every deterministic mode equal the exact core's, with zeros (x / 0:
    NaR), NaR and negative roots among the operands."""
    fmt = PositFormat(n, es)
    a, b = _random_operands(fmt, 20_000, 2, seed=5 * n + es)
    for op, args in (("div", (a, b)), ("sqrt", (a,)), ("sqrt", (np.abs(a),))):
        for mode in DETERMINISTIC_ROUNDINGS:
            calls = float32_route_calls[0]
            got = _run32(op, args, fmt, mode)
            assert float32_route_calls[0] > calls
            np.testing.assert_array_equal(got, _run(op, args, fmt, mode).astype(np.float32),
                                          err_msg=f"{fmt.name} {op} {mode}")


@pytest.mark.slow
@pytest.mark.parametrize("es", range(4))
@pytest.mark.parametrize("mode", DETERMINISTIC_ROUNDINGS)
def test_float32_route_posit8_every_quotient_and_root(es, mode):
    """Every pair of posit<8, es> values divided, every value's root, float32 route against
    the exact core."""
    fmt = PositFormat(8, es)
    pairs = _all_pairs(fmt)
    for op, args in (("div", pairs), ("sqrt", (fmt.values(),))):
        np.testing.assert_array_equal(_run32(op, args, fmt, mode), _run(op, args, fmt, mode).astype(np.float32),
                                      err_msg=f"{fmt.name} {op} {mode}")


@pytest.mark.parametrize("n, es", [(16, 2), (8, 3), (5, 1)])
def test_float32_route_equals_the_exact_reference(n, es):
    """Against the Fraction reference directly (``_reference``), with cancellation and fma."""
    fmt = PositFormat(n, es)
    operands = _random_operands(fmt, 1500, 3, seed=11 * n + es)
    for op in ("add", "sub", "mul", "fma"):
        args = operands[:ARITY[op]]
        for mode in DETERMINISTIC_ROUNDINGS:
            np.testing.assert_array_equal(_run32(op, args, fmt, mode), _reference(op, args, fmt, mode).astype(np.float32),
                                          err_msg=f"{fmt.name} {op} {mode}")


def test_float32_route_holds_where_products_are_float32_numbers():
    """The route's condition: at most 11 fraction bits and scales within +-63 (products of two
    values exact in float32), deterministic modes, every operation."""
    from numfmt.arithmetic.posit import float32_route

    nearest = rounding_mode("nearest_even")
    assert float32_route("fma", PositFormat(16, 2), nearest)
    assert not float32_route("add", PositFormat(16, 1), nearest)      # 12 fraction bits
    assert not float32_route("add", PositFormat(16, 3), nearest)      # scales to +-112
    assert float32_route("div", PositFormat(16, 2), nearest) and float32_route("sqrt", PositFormat(8, 3), nearest)
    assert not float32_route("add", PositFormat(16, 2), rounding_mode("stochastic"))


@pytest.mark.parametrize("n, es", [(16, 2), (8, 0), (2, 0)])
def test_float32_route_rejects_what_is_not_a_value(n, es, float32_route_calls):
    """Each float32 operand that is not a value (a neighbour of a value on either side, a bit
    below its last, Inf, a float32 subnormal, beyond maxpos, below minpos) is found, alone, in
    every operand position, also where the result is a zero that needs no rounding (x - x);
    -0 and NaN (NaR) are values. posit<2, 0> has no binades where the float trick rounds."""
    from numfmt.arithmetic import NotValuesError

    fmt = PositFormat(n, es)
    v = _random_operands(fmt, 400, 1, seed=3)[0].astype(np.float32)
    finite = np.unique(np.abs(v[np.isfinite(v) & (v != 0)]))
    bad = np.concatenate([np.nextafter(finite, np.float32(np.inf)), np.nextafter(finite, np.float32(0)),
                          finite * np.float32(1 + 2.0 ** -12), [np.inf, 2.0 ** -149, fmt.info.maxpos * 2,
                                                                 fmt.info.minpos / 2]]).astype(np.float32)
    bad = np.concatenate([bad, -bad])
    one = np.ones(1, np.float32)
    for x in bad:
        x = np.array([x])
        for op, args in (("add", (one, x)), ("sub", (x, one)), ("sub", (x, x)), ("mul", (one, x)),
                         ("fma", (one, one, x))):
            with pytest.raises(NotValuesError):
                _run32(op, args, fmt, "nearest_even")
    two = min(2.0, fmt.info.maxpos)         # 1 + 1 (posit<2, 0> saturates to maxpos 1)
    assert _run32("add", (np.float32([-0.0, np.nan, 1.0]), np.float32([0.0, 1.0, 1.0])), fmt,
                  "nearest_even").tobytes() == np.float32([0.0, np.nan, two]).tobytes()
    assert float32_route_calls[0] > 4 * bad.size
    with pytest.raises(ValueError, match="1 of 2 elements of b are not values of"):
        nf.add(np.float32([1.0, 1.0]), np.float32([1.0, bad[0]]), fmt)


@pytest.mark.parametrize("n, es", [(2, 0), (5, 1), (8, 2), (16, 1), (16, 5), (32, 2)])
def test_operands_must_be_posit_values(n, es):
    """The kernels' value check (``kernels.posit.is_value``) accepts exactly the values (NaN is
    NaR, -0 is 0) and rejects neighbours, Inf and float64 subnormals."""
    from numfmt.kernels.posit import count_not_values

    fmt = PositFormat(n, es)
    v = _random_operands(fmt, 2000, 1, seed=n)[0]
    assert count_not_values(np.concatenate([v, [-0.0]]).view(np.int64), n, es) == 0
    finite = v[np.isfinite(v) & (v != 0)]
    for bad in (np.nextafter(finite, np.inf), finite * (1 + 2.0 ** -40), [np.inf, -np.inf, 5e-324, fmt.info.maxpos * 2,
                                                                          fmt.info.minpos / 2]):
        bad = np.asarray(bad, np.float64)
        assert count_not_values(bad.view(np.int64), n, es) == bad.size
    with pytest.raises(ValueError, match="1 of 2 elements of b are not values of"):
        nf.add([fmt.info.maxpos, fmt.info.minpos], [0.0, fmt.info.maxpos * 2], fmt)
    assert nf.add([-0.0, np.nan], [0.0, 1.0], fmt).tolist()[0] == 0.0


# ----------------------------------------------------------------------------- softposit
@pytest.fixture(scope="module")
def softposit():
    """The softposit oracle; only the tests that take it are skipped where it is not installed."""
    return pytest.importorskip("softposit")


def _softposit_codes(softposit, op, operands, n):
    """softposit's result codes: numfmt.verify.softposit_op (pX2_<op>) for n < 32, p32_<op> (its
    posit32 type) for n = 32, whose pX2 functions misround near minpos / maxpos (see the test below)."""
    codes = np.array([nf.encode(x, PositFormat(n, 2)) for x in operands], np.int64)
    if n < 32:
        return verify.softposit_op(softposit, op, codes, n)
    fn = getattr(softposit, f"p32_{ {'fma': 'mulAdd'}.get(op, op) }")
    out = []
    for cs in codes.T.tolist():
        args = []
        for c in cs:
            p = softposit.posit32_t()
            p.v = c
            args.append(p)
        out.append(fn(*args).v)
    return np.array(out)


@pytest.mark.parametrize("n", [5, 8, 16, 32])
@pytest.mark.parametrize("op", list(ARITY))
def test_equals_softposit(softposit, n, op):
    """softposit (posit<n,2>, 2022 standard), nearest-even, bit for bit; mulAdd is a*b + c."""
    fmt = PositFormat(n, 2)
    operands = _random_operands(fmt, 3000, ARITY[op], seed=n + len(op))
    got = nf.encode(_run(op, operands, fmt), fmt)
    np.testing.assert_array_equal(got, _softposit_codes(softposit, op, operands, n))


def test_softposit_pX2_at_32_bits_misrounds_near_the_extremes(softposit):
    """Oracle quirk: softposit's pX2_mul(a, b, 32) rounds minpos * -144.622802734375 to the
    code 0xfffffffd, while its own conversion of the exact product (a float64 number) and its
    p32_mul give 0xfffffffc, as numfmt does. The same holds for pX2_sub / div / mulAdd at 32
    bits near minpos and maxpos (about 0.5% of the random operands above); for n < 32 the pX2
    functions agree with numfmt everywhere we looked."""
    x, y = 2.0 ** -120, -144.622802734375
    a, b = softposit.convertDoubleToPX2(x, 32), softposit.convertDoubleToPX2(y, 32)
    assert softposit.pX2_mul(a, b, 32).v == 0xFFFFFFFD
    assert softposit.convertDoubleToPX2(x * y, 32).v == 0xFFFFFFFC
    assert softposit.p32_mul(softposit.convertDoubleToP32(x), softposit.convertDoubleToP32(y)).v == 0xFFFFFFFC
    assert int(nf.encode(_run("mul", ([x], [y]), nf.format("posit32")), "posit32")[0]) == 0xFFFFFFFC


def test_softposit_mulAdd_drops_a_tiny_addend_at_a_tie(softposit):
    """Oracle quirk (found by ``numfmt verify --full``): maxpos * code 0x00a1 is exactly halfway
    between the posit16 codes 0x7f90 and 0x7f91; adding minpos makes it round up, but softposit's
    pX2_mulAdd drops the addend and rounds the tie to even. numfmt (and the exact reference) give
    0x7f91; verify.softposit_op corrects softposit there."""
    fmt = PositFormat(16, 2)
    a, b, c = (nf.decode(np.array([code]), fmt, np.float64) for code in (0x7FFF, 0x00A1, 0x0001))
    args = []
    for code in (0x7FFF, 0x00A1, 0x0001):
        p = softposit.posit_2_t()
        p.v = code << 16
        args.append(p)
    assert softposit.pX2_mulAdd(*args, 16).v >> 16 == 0x7F90
    assert ref.round_code(Fraction(a[0]) * Fraction(b[0]) + Fraction(c[0]), fmt) == 0x7F91
    assert int(nf.encode(_run("fma", (a, b, c), fmt), fmt)[0]) == 0x7F91
    assert verify.softposit_op(softposit, "fma", np.array([[0x7FFF], [0x00A1], [0x0001]]), 16).tolist() == [0x7F91]


def test_public_functions_dispatch_to_posits():
    """numfmt.add / sub / mul / div / fma / sqrt with a posit format: the same results as
    elementwise, float32 where float32 holds the format, inputs checked or rounded."""
    fmt = nf.format("posit16")
    a, b, c = _random_operands(fmt, 200, 3, seed=4)
    for op, fn in (("add", nf.add), ("sub", nf.sub), ("mul", nf.mul), ("div", nf.div)):
        got = fn(a.astype(np.float32), b.astype(np.float32), fmt, "toward_zero")
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, _run(op, (a, b), fmt, "toward_zero"))
    np.testing.assert_array_equal(nf.fma(a, b, c, "posit16"), _run("fma", (a, b, c), fmt))
    np.testing.assert_array_equal(nf.sqrt(np.abs(a), "posit16"), _run("sqrt", (np.abs(a),), fmt))
    assert nf.mul(3.0, 5.0, "posit32").dtype == np.float64
    with pytest.raises(ValueError, match="not values of posit8"):
        nf.add([1.1], [1.0], "posit8")
    assert nf.add([1.1], [1.0], "posit8", inputs="round").tolist() == [2.0]


@pytest.mark.parametrize("n, es", [(16, 2), (8, 2), (12, 1)])
def test_counted_float32_route_equals_the_stand_in_report(n, es):
    """``counted`` (the float32 lanes' results rounded to odd at 24 bits, rounded and counted
    by the posit cast's counting pass) gives the results and the report (counts and first
    indices) of ``elementwise`` followed by ``numfmt.arithmetic.report.op_report``, in every
    deterministic mode; calls the lanes leave (NaR, x / 0, the extreme regimes) give None."""
    from numfmt.arithmetic.posit import counted
    from numfmt.arithmetic.report import op_report, stand_in

    fmt = PositFormat(n, es)
    codes = np.random.default_rng(n).integers(0, 1 << n, (3, 6_000))
    v = [nf.decode(c, fmt, np.float32) for c in codes]
    keep = np.ones(v[0].size, bool)
    reach = (n - 2 - es) << es          # the float trick's binades: scales within +-reach
    for x in v:                         # operands whose results stay inside: the lanes leave none
        keep &= np.isfinite(x) & ((x == 0) | (np.abs(x) < 2.0 ** (reach // 2 - 1))
                                  & (np.abs(x) >= 2.0 ** -(reach // 2 - 1)))
    operands = [x[keep] for x in v]
    for op in ARITY:
        args = tuple(operands[:ARITY[op]]) if op != "sqrt" else (np.abs(operands[0]),)
        if op == "div":
            args = (args[0], np.where(args[1] == 0, np.float32(1), args[1]))
        for mode in DETERMINISTIC_ROUNDINGS:
            mode = rounding_mode(mode)
            got = counted(op, args, fmt, mode, "ieee", None)
            assert got is not None, (op, mode)
            out, rep = got
            want = elementwise(op, args, fmt, mode, "ieee", None, out_dtype=np.float32)
            want_rep, want_exact = op_report(op, args, fmt, mode, None, want, stand_in(op, fmt, None))
            np.testing.assert_array_equal(out, want, err_msg=f"{fmt.name} {op} {mode}")
            assert rep == want_rep and rep.first == want_rep.first, (op, mode, rep, want_rep)
            assert rep.inexact > 0
    one = np.ones(2, np.float32)
    nearest = rounding_mode("nearest_even")
    assert counted("add", (one, np.float32([1.0, np.nan])), fmt, nearest, "ieee", None) is None
    assert counted("div", (one, np.float32([1.0, 0.0])), fmt, nearest, "ieee", None) is None
    assert counted("mul", (one, np.float32([1.0, fmt.info.maxpos])), fmt, nearest, "ieee", None) is None
    assert counted("add", (one, one), fmt, nearest, "raise", None) is None
