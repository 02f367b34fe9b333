"""Posit formats and casts: the registry, decode / encode / round against the exact reference
(numfmt.reference_posit), softposit as an external oracle, and properties (hypothesis).

Oracle notes (softposit 0.3.4, PyPI):
- ``convertDoubleToPX2(x, n)`` / ``pX2_*`` are posit<n,2> of the 2022 standard; codes are
  left-aligned in 32 bits (``.v >> (32 - n)``).
- Its ``posit8`` / ``posit16`` types are the older posit<8,0> / posit<16,1>; ``posit32`` is
  posit<32,2>. SPEC_NOTES warns that the older library rounds below minpos differently: this
  version agrees with the 2022 rule there (the tests below include such inputs).
- softposit decodes NaR as inf; numfmt decodes it as NaN.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
from fractions import Fraction

import numba as nb
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numfmt as nf
from numfmt import reference_posit as ref
from numfmt.casts.posit import cast_sr, float32_domain
from numfmt.kernels import exact
from numfmt.kernels import posit as kern
from numfmt.formats.posit import PositFormat, posit_value
from numfmt.random import random_bits
from numfmt.rounding import DETERMINISTIC_ROUNDINGS, mode_flags
from numfmt.testing import posit_formats, posit_rounding_cases, posit_values

ES = range(6)


def _signed_order(n: int) -> np.ndarray:
    """Every code but NaR in two's-complement order (most negative first)."""
    codes = np.arange(1 << n, dtype=np.int64)
    signed = np.where(codes >= 1 << (n - 1), codes - (1 << n), codes)
    order = np.argsort(signed)
    return codes[order][1:]                           # the first is NaR (-2**(n-1))


def _reference_values(fmt: PositFormat, codes) -> np.ndarray:
    return np.array([math.nan if (v := posit_value(int(c), fmt.nbits, fmt.es)) is None else float(v)
                     for c in codes])


def _hard_inputs(fmt: PositFormat, codes) -> np.ndarray:
    """Values, encoding-space ties lo·1, value midpoints and their float64 neighbours, minpos
    and maxpos surroundings; both signs, plus zeros and specials."""
    n, es, top = fmt.nbits, fmt.es, fmt.nar_code - 1
    vals = [fmt.code_value(int(c)) for c in codes if 0 < c <= top]
    ties = [posit_value(2 * int(c) + 1, n + 1, es) for c in codes if 0 < c < top]
    mids = [(fmt.code_value(int(c)) + fmt.code_value(int(c) + 1)) / 2 for c in codes if 0 < c < top]
    edges = [Fraction(2) ** (s * fmt.max_scale + d) for s in (-1, 1) for d in (-2, -1, 0, 1, 2)]
    x = np.array([float(v) for v in vals + ties + mids + edges])
    x = np.concatenate([x, np.nextafter(x, 0), np.nextafter(x, np.inf)])
    return np.concatenate([x, -x, [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1e308]])


def _reference_codes(x, fmt, mode, **sr) -> np.ndarray:
    return np.array([ref.round_code(float(v), fmt, mode, **sr) for v in x])


# ----------------------------------------------------------------------------- formats
def test_registered_names_and_parsing():
    assert nf.format("posit16") == PositFormat(16, 2)
    assert nf.format("posit32_2").name == "posit32"
    assert nf.format("posit<16,1>") == PositFormat(16, 1) == nf.format("posit16_1")
    assert nf.format("Posit< 8, 0 >").es == 0
    assert isinstance(nf.format("posit8"), nf.PositFormat)


@pytest.mark.parametrize("name, message", [("posit<33,2>", "nbits must be an integer from 2 to 32"),
                                           ("posit<8,6>", "es must be an integer from 0 to 5"),
                                           ("posit1_0", "nbits")])
def test_bad_arguments_raise(name, message):
    with pytest.raises(ValueError, match=message):
        nf.format(name)
    with pytest.raises(ValueError, match="nbits"):
        PositFormat(16.0)


@pytest.mark.parametrize("n", [8, 16, 32])
def test_info_of_the_standard_formats(n):
    """SPEC_NOTES: posit<n,2> has minPos = 2**(-4n+8), maxPos = 2**(4n-8)."""
    info = nf.format(f"posit{n}").info
    assert info.maxpos == 2.0 ** (4 * n - 8) == info.max == -info.min
    assert info.minpos == 2.0 ** (-4 * n + 8)
    assert info.useed == 16 and info.fraction_bits == n - 5 and info.eps == 2.0 ** -(n - 5)
    assert info.has_nan and not info.has_inf and not info.has_negative_zero


def test_values_and_output_dtypes():
    fmt = PositFormat(6, 1)
    v = fmt.values()
    assert v.size == 64 and np.isnan(v[32]) and v[16] == 1.0 and v[31] == fmt.info.maxpos
    assert nf.format("posit16").values(np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="at most 16 bits"):
        nf.format("posit32").values()
    with pytest.raises(ValueError, match="float32 cannot hold"):
        nf.decode([0], "posit32")
    assert nf.round(np.float32(1.0), "posit16").dtype == np.float32
    assert nf.round(np.float32(1.0), "posit32").dtype == np.float64      # 28 significant bits
    assert nf.round(np.float32(1.0), "posit<16,4>").dtype == np.float64  # maxpos 2**224
    assert nf.encode(1.0, "posit8").dtype == np.uint8 and nf.encode(1.0, "posit32").dtype == np.uint32


# ----------------------------------------------------------------------------- every code
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8, 16])
@pytest.mark.parametrize("es", ES)
def test_every_code_decodes_reencodes_and_is_monotone(n, es):
    fmt = PositFormat(n, es)
    codes = np.arange(1 << n)
    values = nf.decode(codes, fmt, np.float64)
    np.testing.assert_array_equal(values, _reference_values(fmt, codes))
    for x in (values, values.astype(np.float32) if fmt.fits_float32() else values):
        np.testing.assert_array_equal(nf.encode(x, fmt), codes)       # NaR -> NaN -> NaR
    ordered = nf.decode(_signed_order(n), fmt, np.float64)
    assert np.all(np.diff(ordered) > 0)


@pytest.mark.parametrize("es", [0, 2, 5])
def test_posit32_random_codes(es):
    """Decode against the reference on a sample; decode / re-encode and monotonicity on 10**5
    random codes (10**7 under -m slow)."""
    _posit32_codes(es, 10 ** 5, 1000)


@pytest.mark.slow
@pytest.mark.parametrize("es", ES)
def test_posit32_random_codes_slow(es):
    _posit32_codes(es, 10 ** 7, 20000)


def _posit32_codes(es: int, count: int, checked: int) -> None:
    fmt = PositFormat(32, es)
    codes = np.random.default_rng(es).integers(0, 1 << 32, count, dtype=np.uint32)
    values = nf.decode(codes, fmt, np.float64)
    np.testing.assert_array_equal(values[:checked], _reference_values(fmt, codes[:checked]))
    np.testing.assert_array_equal(nf.encode(values, fmt), codes)
    signed = np.sort(codes.view(np.int32).astype(np.int64))
    signed = signed[signed != -(1 << 31)]
    ordered = nf.decode((signed % (1 << 32)).astype(np.uint32), fmt, np.float64)
    assert np.all(np.diff(ordered) >= 0) and np.all((np.diff(ordered) > 0) == (np.diff(signed) > 0))


# ----------------------------------------------------------------------------- rounding
SMALL = [PositFormat(n, es) for n in (2, 3, 5, 8) for es in ES]


def _check_against_reference(fmt, codes, modes=DETERMINISTIC_ROUNDINGS):
    x = _hard_inputs(fmt, codes)
    for mode in modes:
        expected = _reference_codes(x, fmt, mode)
        np.testing.assert_array_equal(nf.encode(x, fmt, mode), expected, err_msg=f"{fmt.name} {mode}")
        np.testing.assert_array_equal(nf.round(x, fmt, mode), _reference_values(fmt, expected))
        narrow = x[(np.abs(x) < 3e38) | ~np.isfinite(x)].astype(np.float32)   # float32 inputs too
        np.testing.assert_array_equal(nf.encode(narrow, fmt, mode),
                                      _reference_codes(narrow.astype(np.float64), fmt, mode))


@pytest.mark.parametrize("fmt", [PositFormat(n, es) for n in (3, 8) for es in (0, 2, 4, 5)], ids=str)
def test_rounding_equals_reference(fmt):
    """Every code's value, tie and midpoint (and their float64 neighbours), every mode.
    es = 5 covers the extreme regimes, where 63 bits are cut (a mask there overflowed int64)."""
    _check_against_reference(fmt, range(1 << (fmt.nbits - 1)))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", SMALL, ids=str)
def test_rounding_equals_reference_every_small_format(fmt):
    _check_against_reference(fmt, range(1 << (fmt.nbits - 1)))


@pytest.mark.parametrize("n, es", [(16, 2), (16, 1), (32, 2), (32, 5), (12, 3)])
def test_rounding_equals_reference_sampled(n, es):
    fmt = PositFormat(n, es)
    rng = np.random.default_rng(n + es)
    top = fmt.nar_code - 1
    codes = np.concatenate([rng.integers(1, top, 50), [1, 2, 3, top - 2, top - 1, top]])
    codes = np.concatenate([codes, [1 << (n - 2)]])
    _check_against_reference(fmt, codes)


@pytest.mark.parametrize("fmt", [PositFormat(8, 0), PositFormat(8, 2), PositFormat(8, 4), PositFormat(6, 5),
                                 PositFormat(16, 2)], ids=str)
@pytest.mark.parametrize("rule", ["add", "nearest"])
@pytest.mark.parametrize("k", [1, 4])
def test_stochastic_equals_reference_for_every_random_integer(fmt, rule, k):
    """All 2**k random integers per input: the kernel equals the reference, so the number of
    round-aways is d = floor / RNE of f * 2**k, f measured between the two neighbours (also
    where they are a regime or exponent step apart and hi - lo is not a power of two)."""
    rng = np.random.default_rng(k)
    codes = rng.integers(1, fmt.nar_code - 1, 15)
    x = _hard_inputs(fmt, np.concatenate([codes, [1, fmt.nar_code - 2]]))
    x = x[np.isfinite(x)]
    rand = np.tile(np.arange(1 << k), x.size)
    xs = np.repeat(x, 1 << k)
    got = nf.encode(xs, fmt, "stochastic", sr_bits=k, sr_rule=rule, random_bits=rand)
    expected = np.array([ref.round_code(float(v), fmt, "stochastic", random_bits=int(r), sr_bits=k, sr_rule=rule)
                         for v, r in zip(xs, rand)])
    np.testing.assert_array_equal(got, expected)


def test_stochastic_is_reproducible_and_unbiased():
    x = np.full(20000, 1.0 + 2.0 ** -13)                  # 1/4 of an ulp above 1 in posit16
    a = nf.round(x, "posit16", "stochastic", seed=5)
    np.testing.assert_array_equal(a, nf.round(x, "posit16", "stochastic", seed=5))
    np.testing.assert_array_equal(a, nf.round(x, "posit16", "stochastic",
                                              random_bits=random_bits(5, x.size, 32)))
    assert set(np.unique(a)) == {1.0, 1.0 + 2.0 ** -11}
    assert abs(np.mean(a == 1.0 + 2.0 ** -11) - 0.25) < 0.02
    big = np.full(20000, 3 * 2.0 ** 20)                    # between 2**20 and 2**24 in posit8: f = 2/15
    b = nf.round(big, "posit8", "stochastic", seed=1)
    assert abs(np.mean(b == 2.0 ** 24) - 2 / 15) < 0.02


def test_special_inputs():
    codes = nf.encode([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1e300], "posit16")
    assert codes.tolist() == [0x8000, 0x8000, 0x8000, 0, 0, 1, 0x8001]
    assert np.isnan(nf.decode(0x8000, "posit16"))
    with pytest.raises(OverflowError, match="maxpos"):
        nf.round([1.0, 1e30], "posit16", overflow="raise")


# ----------------------------------------------------------------------------- softposit
@pytest.fixture(scope="module")
def softposit():
    """The softposit oracle; only the tests that take it are skipped where it is not installed."""
    return pytest.importorskip("softposit")


@pytest.mark.parametrize("n", [2, 3, 5, 8, 10, 16, 24, 32])
def test_encode_equals_softposit_pX2(softposit, n):
    fmt = PositFormat(n, 2)
    rng = np.random.default_rng(n)
    top = fmt.nar_code - 1
    codes = rng.integers(1, top, 300) if top > 1 else np.array([1])
    x = _hard_inputs(fmt, codes)
    x = np.concatenate([x[np.isfinite(x)], np.exp2(rng.uniform(-fmt.max_scale - 4, fmt.max_scale + 4, 3000))])
    expected = [softposit.convertDoubleToPX2(float(v), n).v >> (32 - n) for v in x]
    np.testing.assert_array_equal(nf.encode(x, fmt), expected)


@pytest.mark.parametrize("n, es, kind", [(8, 0, "posit8"), (16, 1, "posit16"), (32, 2, "posit32")])
def test_softposit_types_are_posit_n_es(softposit, n, es, kind):
    """softposit's posit8 / posit16 are the older es = 0 / es = 1 posits; NaR decodes as inf there."""
    fmt, cls = PositFormat(n, es), getattr(softposit, kind)
    rng = np.random.default_rng(es)
    codes = np.arange(1 << n) if n <= 16 else rng.integers(0, 1 << 32, 20000)
    theirs = np.array([float(cls(bits=int(c))) for c in codes])
    ours = nf.decode(codes, fmt, np.float64)
    nar = codes == fmt.nar_code
    assert np.all(np.isinf(theirs[nar])) and np.all(np.isnan(ours[nar]))
    np.testing.assert_array_equal(ours[~nar], theirs[~nar])
    x = np.exp2(rng.uniform(-fmt.max_scale - 4, fmt.max_scale + 4, 5000)) * rng.choice([-1.0, 1.0], 5000)
    np.testing.assert_array_equal(nf.encode(x, fmt), [cls(float(v)).v.v for v in x])


# ----------------------------------------------------------------------------- properties
@st.composite
def _format_and_input(draw):
    fmt = draw(posit_formats(max_bits=32))
    return fmt, draw(posit_rounding_cases(fmt))


@settings(max_examples=300, deadline=None)
@given(_format_and_input())
def test_nearest_lies_between_neighbours_never_zero_and_symmetric(fmt_x):
    fmt, x = fmt_x
    code = int(nf.encode(x, fmt))
    assert code == ref.round_code(x, fmt)             # the standard's tie rule
    y = ref.decode_code(code, fmt)
    m = abs(Fraction(x))
    if m < Fraction(fmt.info.maxpos):
        lo, hi = ref.neighbours(m, fmt)
        assert ref.decode_code(lo, fmt) <= abs(y) <= ref.decode_code(hi, fmt)
    assert (y == 0) == (x == 0)                       # never zero for a nonzero finite x
    for mode in DETERMINISTIC_ROUNDINGS:
        assert float(nf.round(-x, fmt, mode)) == -float(nf.round(x, fmt, {"toward_positive": "toward_negative",
                                                                              "toward_negative": "toward_positive"}.get(mode, mode)))


@settings(max_examples=200, deadline=None)
@given(_format_and_input())
def test_directed_modes_bracket_x(fmt_x):
    fmt, x = fmt_x
    down, up = (float(nf.round(x, fmt, m)) for m in ("toward_negative", "toward_positive"))
    maxpos = fmt.info.maxpos
    assert down <= x or x < -maxpos                    # no posit beyond maxpos: saturation
    assert up >= x or x > maxpos
    if abs(x) <= maxpos:                               # consecutive (or equal) in signed code order
        signed = [c - (1 << fmt.nbits) if c > fmt.nar_code else c
                  for c in (int(nf.encode(down, fmt)), int(nf.encode(up, fmt)))]
        assert signed[1] - signed[0] == (0 if down == x else 1)


@settings(max_examples=200, deadline=None)
@given(posit_formats(max_bits=16).flatmap(lambda f: st.tuples(st.just(f), posit_values(f, allow_nar=True))))
def test_values_round_to_themselves(fmt_v):
    fmt, v = fmt_v
    got = float(nf.round(v, fmt))
    assert got == v or (math.isnan(got) and math.isnan(v))


@nb.njit(cache=True)
def _round_exact_codes(bits64, out, rand, n, es, p, sr):
    """The reference: ``kernels.posit.round_exact`` of each float64 bit pattern (NaN, Inf: NaR)."""
    for i in range(bits64.size):
        b = bits64[i]
        if (b & kern.EXP64) == kern.EXP64:
            out[i] = np.int64(1) << (n - 1)
        else:
            neg, sig, e = exact.unpack_float64(b)
            neg, sig, e = exact.normalize(neg, sig, e, 0)
            out[i] = kern.round_exact(neg, sig, e, n, es, p, rand[i], sr)


@pytest.mark.parametrize("fmt", [PositFormat(16, 2), PositFormat(9, 4), PositFormat(32, 2)] + [
    pytest.param(f, marks=pytest.mark.slow) for f in (PositFormat(8, 2), PositFormat(16, 0), PositFormat(12, 5),
                                                     PositFormat(4, 1), PositFormat(26, 0))],
                         ids=str)
def test_cast_kernels_equal_round_exact(fmt):
    """The cast kernels (``cast_one``: one branch-free routine, the backends' code too) against
    the general routine ``round_exact`` that arithmetic uses, on random float32 / float64 bit
    patterns of every exponent (NaN, Inf, subnormals, zeros included), every mode, stochastic
    rounding with explicit random numbers of 3 and 40 bits under both rules included. (posit32:
    the float32 codes of a format with more fraction bits than float32, ``_fast_code32``'s
    left shift.)"""
    rng = np.random.default_rng(fmt.nbits)
    for itype, ftype, fast_encode, fast_round in ((np.int32, np.float32, kern.fast_encode32, kern.fast_round32),
                                                  (np.int64, np.float64, kern.fast_encode64, kern.fast_round64)):
        if itype == np.int32 and not float32_domain(fmt):
            continue
        info = np.iinfo(itype)
        bits = rng.integers(info.min, info.max, 4000, dtype=itype, endpoint=True)
        bits[:4] = [0, info.min, 1, -1]                          # +0, -0, smallest subnormal, NaN
        if itype == np.int32:   # also values near the format's range and between its values
            scales = rng.integers(-fmt.max_scale - 3, fmt.max_scale + 3, 2000)
            bits[4:2004] = (np.ldexp(1 + rng.random(2000), scales) * rng.choice([-1, 1], 2000)).astype(
                np.float32).view(np.int32)
        with np.errstate(invalid="ignore"):     # signalling NaNs widen to quiet ones
            bits64 = bits.view(ftype).astype(np.float64).view(np.int64)
        for mode in range(7):
            for k, rule in ((3, 0), (40, 1), (40, 0)) if mode == 6 else ((1, 0),):
                p = mode_flags(mode, k, "nearest" if rule else "add")
                rand = rng.integers(0, 1 << k, bits.size) if mode == 6 else np.zeros(bits.size, np.int64)
                expected = np.empty(bits.size, np.int64)
                _round_exact_codes(bits64, expected, rand, fmt.nbits, fmt.es, p, (k, rule))
                codes = np.empty(bits.size, np.int64)
                values = np.empty_like(bits)
                if mode == 6:
                    cast_sr(bits, codes, 0, rand, np.uint64(0), fmt.nbits, fmt.es, p, (k, rule), True)
                else:
                    fast_encode(bits, codes, fmt.nbits, fmt.es, p)
                np.testing.assert_array_equal(codes, expected, err_msg=f"mode {mode} k {k}")
                fits = itype == np.int64 or fmt.fits_float32()
                if fits:
                    if mode == 6:
                        cast_sr(bits, values, 0, rand, np.uint64(0), fmt.nbits, fmt.es, p, (k, rule), False)
                    else:
                        fast_round(bits, values, fmt.nbits, fmt.es, p)
                    want = nf.decode(expected.astype(np.uint64 if fmt.nbits > 16 else np.uint16), fmt, ftype)
                    np.testing.assert_array_equal(values, want.view(itype), err_msg=f"mode {mode} k {k}")
                for out, want_code in ((codes, True), (values, False)) if mode == 6 else ():
                    if want_code or fits:   # seeded: SplitMix64 numbers start .. start + n - 1 of the seed
                        seeded = np.empty_like(out)
                        cast_sr(bits, seeded, 77, np.empty(0, np.int64), np.uint64(9), fmt.nbits, fmt.es, p, (k, rule),
                                want_code)
                        cast_sr(bits, out, 0, random_bits(9, bits.size, k, start=77), np.uint64(0), fmt.nbits,
                                fmt.es, p, (k, rule), want_code)
                        np.testing.assert_array_equal(seeded, out, err_msg=f"seeded, k {k}, codes {want_code}")


@pytest.mark.slow
def test_only_the_softposit_tests_need_softposit():
    """(Slow: three pytest runs in subprocesses.) Regression: a module-level importorskip("softposit") below the other tests skipped every
    test of the posit modules where softposit is missing. Without it (blocked in a subprocess)
    every test is still collected, and the softposit tests skip."""
    here = os.path.dirname(os.path.abspath(__file__))
    modules = [os.path.join(here, f"test_posit{suffix}.py") for suffix in ("", "_arith", "_quire")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.path.dirname(here),
                                                                     os.environ.get("PYTHONPATH")])))

    def pytest_run(block: bool, *args: str) -> str:
        code = ("import sys, pytest; " + ("sys.modules['softposit'] = None; " if block else "")
                + f"sys.exit(pytest.main({list(args) + modules!r}))")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                                env=env, cwd=os.path.dirname(here))
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def collected(block: bool) -> list[str]:
        return [line for line in pytest_run(block, "--collect-only", "-q", "-p", "no:xdist").splitlines()
                if "::" in line]

    everything = collected(block=False)
    assert collected(block=True) == everything and len(everything) > 100
    needing = [t for t in everything if "softposit" in t.split("::")[1] and "only_the_softposit" not in t]
    summary = pytest_run(True, "-q", "-p", "no:xdist", "-k", "softposit and not only_the_softposit")
    summary = summary.strip().splitlines()[-1]
    assert summary.startswith(f"{len(needing)} skipped"), summary


def test_int32_rounding_bias_equals_rounding_bias():
    """``kernels.posit._bias32`` (the float32 value casts' int32 lanes) is ``rounding_bias``,
    both evaluated as Python (their compiled helpers, such as ``lanes.where``, have no Python
    wrapper: ``backends.rebind`` calls their Python functions)."""
    from numfmt.backends import rebind
    from numfmt.rounding import rounding_bias

    python = {}
    bias32, bias = rebind(kern._bias32, python), rebind(rounding_bias, python)
    for mode in range(6):
        p = mode_flags(mode)
        flags = tuple(np.int32(v) for v in (p.nearest, p.ties_even, p.away_pos, p.away_neg, p.odd))
        for neg in (False, True):
            for lsb in (0, 1):
                for t in range(31):
                    assert bias32(neg, np.int32(lsb), np.int32(t), flags) == \
                        bias(neg, lsb, t, p), (mode, neg, lsb, t)


@pytest.mark.parametrize("stochastic", [False, True])
@pytest.mark.parametrize("cast", [nf.round, nf.encode], ids=["round", "encode"])
def test_inputs_outside_the_fast_range_across_count_blocks(stochastic, cast):
    """The casts' first pass counts the inputs it leaves to ``cast_one`` in uint32 lanes by
    blocks (``COUNT_BLOCK``, a multiple of the deterministic casts' CODE_TILE): such inputs at
    both ends of later blocks are all rounded again, as each alone is (stochastically: with
    its own random number, given explicitly there)."""
    from numfmt.kernels.floating import COUNT_BLOCK
    from numfmt.random import random_bits
    x = np.full(3 * COUNT_BLOCK + 5, 1.5, np.float32)
    idx = np.array([COUNT_BLOCK, 2 * COUNT_BLOCK - 1, 2 * COUNT_BLOCK, 3 * COUNT_BLOCK - 1, 3 * COUNT_BLOCK,
                    x.size - 1])                       # none in the first block
    x[idx] = np.float32([3e30, -1e-30, np.inf, 7e-39, -2e37, 1e-25])
    sr = dict(rounding="stochastic", sr_bits=16) if stochastic else {}
    got = cast(x, "posit16", **sr, **(dict(seed=5) if stochastic else {}))
    bits = random_bits(5, x.shape, 16)
    alone = [dict(random_bits=bits[i:i + 1]) if stochastic else {} for i in idx]
    want = np.concatenate([cast(x[i:i + 1], "posit16", **sr, **given) for i, given in zip(idx, alone)])
    assert got[idx].view(np.uint16 if cast is nf.encode else np.uint32).tolist() == \
        want.view(got.dtype if cast is nf.encode else np.uint32).tolist()      # (Inf -> NaR: NaN)
    assert np.all(np.delete(got, idx) == cast(np.float32([1.5]), "posit16"))
