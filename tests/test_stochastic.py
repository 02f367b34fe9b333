"""Stochastic rounding: the exact probability rule, gfloat agreement, reproducibility, specials."""
from fractions import Fraction

import numpy as np
import pytest

import numfmt as nf
from numfmt import verify
from numfmt.casts import floating as cf
from numfmt.casts.common import NO_RANDOM_BITS
from numfmt.kernels import floating as kern
from numfmt.random import DRAW_BLOCK, random_bits
from numfmt.rounding import Rounding

FORMATS = ["binary16", "bfloat16", "e4m3", "e5m2", "e4m3fnuz", "e3m2", "e2m3", "e2m1", "e8m0",
           "p3109_p3", "tf32"]


def _neighbours(x: np.ndarray, fmt: str):
    """(lo, hi): the neighbours toward and away from zero (deterministic roundings)."""
    lo = nf.round(x, fmt, "toward_zero", overflow="saturate")
    up = nf.round(x, fmt, "toward_positive")
    dn = nf.round(x, fmt, "toward_negative")
    return lo, np.where(x > 0, up, dn)


def _sample(fmt: str, n: int, seed: int) -> np.ndarray:
    """float64 values spread over the format's finite range, subnormals included."""
    info = nf.format(fmt).info
    rng = np.random.default_rng(seed)
    lo, hi = np.log2(info.smallest_subnormal) - 2, np.log2(info.max)
    x = np.exp2(rng.uniform(lo, hi, n)) * rng.choice([-1.0, 1.0], n)
    if not nf.format(fmt).signed:
        x = np.abs(x)
    return x


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rule", ["add", "nearest"])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_away_count_is_the_rule_exactly(fmt, rule, k):
    """Enumerate all 2**k random integers: the count of round-aways is d exactly."""
    x = _sample(fmt, 300, seed=k)
    lo, hi = _neighbours(x, fmt)
    n = 1 << k
    rand = np.tile(np.arange(n), (x.size, 1))
    y = nf.round(np.repeat(x[:, None], n, axis=1), fmt, "stochastic", sr_bits=k, sr_rule=rule,
                 random_bits=rand)
    assert np.all((y == lo[:, None]) | (y == hi[:, None]))
    aways = np.sum(y == hi[:, None], axis=1)
    for xi, li, hi_, count in zip(x, lo, hi, aways):
        if li == hi_:
            assert count in (0, n)      # exact values never move
            continue
        f = (abs(Fraction(xi)) - abs(Fraction(float(li)))) / (abs(Fraction(float(hi_))) - abs(Fraction(float(li))))
        scaled = f * n
        if rule == "add":
            d = scaled.numerator // scaled.denominator
        else:
            d = round(scaled)           # Python's round of a Fraction is ties-to-even
        assert count == d, (xi, li, hi_, f)


@pytest.mark.parametrize("name", ["e4m3", "e5m2", "bfloat16", "binary16", "e3m2", "e2m3", "e2m1"])
@pytest.mark.parametrize("k", [1, 4, 8, 13])
def test_equals_gfloat_with_the_same_bits(name, k):
    """sr_rule="add" is gfloat's StochasticFastest (and its StochasticFast with one more bit),
    "nearest" its Stochastic (srnumbits = k): numfmt.verify.compare_gfloat_stochastic."""
    gfloat = pytest.importorskip("gfloat")
    x = _sample(name, 20000, seed=k)
    x = x[np.abs(x) <= nf.format(name).info.max]   # gfloat's non-saturating overflow differs in kind
    rand = np.random.default_rng(k).integers(0, 1 << k, x.size)
    outcome = verify.compare_gfloat_stochastic(gfloat, name, x, k, rand)
    assert outcome.mismatches == 0, outcome


@pytest.mark.parametrize("fmt", FORMATS)
def test_unbiased_on_average(fmt):
    x = _sample(fmt, 40, seed=3)
    info = nf.format(fmt).info
    x = x[(np.abs(x) < info.max / 2) & ((np.abs(x) >= info.smallest_subnormal) | nf.format(fmt).zero)]
    draws = 4000
    y = nf.round(np.repeat(x[:, None], draws, axis=1), fmt, "sr", seed=11)
    lo, hi = _neighbours(x, fmt)
    mean = y.astype(np.float64).mean(axis=1)
    stderr = np.abs(hi - lo) * 0.5 / np.sqrt(draws)
    assert np.all(np.abs(mean - x) <= 5 * stderr + 1e-300)


def test_bfloat16_sum_of_small_increments_is_unbiased():
    """The classic case: 1 + 2**-10, far below half an ulp of bfloat16, never moves under RNE."""
    x = np.full(200_000, 1 + 2.0 ** -10)
    assert np.all(nf.round(x, "bfloat16") == 1.0)
    y = nf.round(x, "bfloat16", "sr", seed=5)
    assert abs(y.mean() - (1 + 2.0 ** -10)) < 5 * 2.0 ** -7 * 0.5 / np.sqrt(x.size)


def _splitmix64(seed: int, c: int) -> int:
    """SplitMix64's output number c for seed, in Python integers (the published algorithm)."""
    m = (1 << 64) - 1
    z = (seed + (c + 1) * 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


@pytest.mark.parametrize("k", [1, 7, 31, 32, 33, 62])
def test_random_bits_follow_the_stream_definition(k):
    """numfmt.random's definition, written out: for k <= 32 element i takes the low (even i)
    or high (odd i) 32 bits of output i >> 1, then their top k bits; for k > 32 the top k bits
    of output i. The kernels' seeded bits are these (the casts' tests compare seeded with
    random_bits), from any start, odd ones included, and for any block of their draws."""
    for seed, start in ((0, 0), (2**64 - 1, 5), (123456789, 2**40 + 1)):
        want = []
        for i in range(start, start + 203):
            if k <= 32:
                word = _splitmix64(seed, i >> 1) >> (32 * (i & 1)) & 0xFFFFFFFF
                want.append(word >> (32 - k))
            else:
                want.append(_splitmix64(seed, i) >> (64 - k))
        assert random_bits(seed, 203, k, start=start).tolist() == want
    x = np.linspace(-3, 3, 203, dtype=np.float32)
    fmt = nf.format("e4m3")
    want = nf.round(x, fmt, "sr", random_bits=random_bits(7, x.size, k), sr_bits=k).view(np.uint32)
    for lo in (0, 1, 64, 67):   # a part of the array (a chunk) starting at its own counter
        out = np.empty(x.size - lo, np.uint32)
        if k <= 32:
            kern.round_sr_add32(x[lo:].view(np.uint32), out, lo, None, np.uint64(7),
                                cf.fast32_params(fmt, "ieee", "raise"), np.int64(k))
        else:
            kern.round_sr32(x[lo:].view(np.int32), out.view(np.int32), lo, NO_RANDOM_BITS, np.uint64(7),
                            cf.kernel_params(fmt, False, Rounding.STOCHASTIC, "ieee", "raise")[0],
                            cf.sr_params(fmt, False, k, "add"))
        np.testing.assert_array_equal(out, want[lo:])


def test_reproducible_across_threads_and_seed_forms(monkeypatch):
    monkeypatch.setattr("numfmt.parallel.CPUS", 4)    # allow four threads on fewer CPUs
    x = np.random.default_rng(0).standard_normal(3 * (1 << 17)).astype(np.float32)
    threads = nf.get_num_threads()
    try:
        nf.set_num_threads(1)
        one = nf.round(x, "e4m3", "sr", seed=42)
        nf.set_num_threads(4)
        four = nf.round(x, "e4m3", "sr", seed=42)
    finally:
        nf.set_num_threads(threads)
    np.testing.assert_array_equal(one, four)
    explicit = nf.round(x, "e4m3", "sr", random_bits=random_bits(42, x.shape, 32))
    np.testing.assert_array_equal(one, explicit)
    assert not np.array_equal(one, nf.round(x, "e4m3", "sr", seed=43))
    fresh = nf.round(x, "e4m3", "sr")
    np.testing.assert_array_equal(fresh, nf.round(x, "e4m3", "sr", seed=nf.last_seed()))
    gen_a = nf.round(x, "e4m3", "sr", seed=np.random.default_rng(1))
    gen_b = nf.round(x, "e4m3", "sr", seed=np.random.default_rng(1))
    np.testing.assert_array_equal(gen_a, gen_b)


def test_float32_and_float64_inputs_agree_and_encode_matches_round():
    x32 = np.random.default_rng(1).standard_normal(10000).astype(np.float32) * 100
    for fmt in ("e5m2", "binary16", "e8m0"):
        v = np.abs(x32) if fmt == "e8m0" else x32
        a = nf.round(v, fmt, "sr", seed=9)
        b = nf.round(v.astype(np.float64), fmt, "sr", seed=9)
        np.testing.assert_array_equal(a, b)
        codes = nf.encode(v, fmt, "sr", seed=9)
        np.testing.assert_array_equal(nf.decode(codes, fmt), a)


@pytest.mark.parametrize("fmt", ["bfloat16", "tf32", "binary32"])
@pytest.mark.parametrize("overflow", ["ieee", "saturate"])
def test_float32_fast_path_equals_generic_kernel(fmt, overflow):
    """float32 inputs of formats with float32's exponent field take the fixed-shift kernel
    (sr_rule="add"; k > 32 included); float64 inputs of the same values take the generic one."""
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(200_000) * np.exp2(rng.integers(-140, 128, 200_000))).astype(np.float32)
    x[:8] = [np.inf, -np.inf, 3.4e38, -3.4e38, 1e-45, -1e-41, 0.0, -0.0]
    for k in (1, 5, 16, 32, 40):
        rand = rng.integers(0, 1 << k, x.size)
        for kwargs in ({"seed": 3}, {"random_bits": rand}):
            fast = nf.round(x, fmt, "sr", overflow=overflow, sr_bits=k, **kwargs)
            generic = nf.round(x.astype(np.float64), fmt, "sr", overflow=overflow, sr_bits=k, **kwargs)
            np.testing.assert_array_equal(fast.view(np.uint32), generic.astype(np.float32).view(np.uint32))


def test_same_range_seeded_pairs_match_explicit_bits():
    """round_same_range_sr32's seeded loop (k <= 32: pairs of elements that share a SplitMix64
    output, the fixed bias where a block lies at or below the clamp, else element by element)
    gives the bits its explicit-bits loop gives: chunks of odd and even starts and sizes (an
    element whose pair straddles the chunk's edge), blocks with +-Inf, NaN, a value above
    bfloat16's largest (saturated) and clean blocks, k = 32, 9, 1."""
    b = DRAW_BLOCK
    x = (np.random.default_rng(11).standard_normal(6 * b + 3) * 100).astype(np.float32)
    x[[b + 3, 2 * b + 8, 3 * b + 1, 4 * b]] = [np.inf, np.nan, 3.4e38, -np.inf]
    for name, overflow in (("bfloat16", "saturate"), ("tf32", "ieee")):
        p = cf.same_range_params(nf.format(name), Rounding.STOCHASTIC, overflow)
        for k in (32, 9, 1):
            for start, lo, hi in ((0, 0, x.size), (1, 1, x.size), (6, 1, x.size - 1), (3, 0, 1), (2, 5, 6)):
                bits = x[lo:hi].view(np.uint32)
                seeded, explicit = np.empty_like(bits), np.empty_like(bits)
                kern.round_same_range_sr32(bits, seeded, start, None, np.uint64(k), p, k)
                kern.round_same_range_sr32(bits, explicit, start, random_bits(k, start + bits.size, k), np.uint64(k),
                                           p, k)
                np.testing.assert_array_equal(seeded, explicit, err_msg=f"{name} k={k} start={start} [{lo}:{hi}]")


def test_special_values_and_overflow_probability():
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 448.0, -448.0])
    y = nf.round(specials, "e4m3", "sr", seed=0)
    assert np.isnan(y[:3]).all() and y[3] == 0 and np.signbit(y[4]) and list(y[5:]) == [448, -448]
    z = nf.round(specials[1:5], "e5m2", "sr", seed=0)
    assert list(z[:2]) == [np.inf, -np.inf] and np.signbit(z[3])
    # 452 lies 1/8 of the way from 448 to the (missing) 480: exactly 2 of 16 four-bit draws overflow
    y = nf.round(np.full(16, 452.0), "e4m3", "sr", sr_bits=4, random_bits=np.arange(16))
    assert np.isnan(y).sum() == 2 and (y == 448).sum() == 14
    y = nf.round(np.full(16, 452.0), "e4m3", "sr", overflow="saturate", sr_bits=4, random_bits=np.arange(16))
    assert (y == 448).all()
    with pytest.raises(OverflowError):
        nf.round(np.full(16, 452.0), "e4m3", "sr", overflow="raise", sr_bits=4, random_bits=np.arange(16))
    # the smallest subnormal is reached from below with probability f, never from zero
    tiny = nf.format("e4m3").info.smallest_subnormal
    y = nf.round(np.full(8, tiny / 4), "e4m3", "sr", sr_bits=3, random_bits=np.arange(8))
    assert (y == tiny).sum() == 2 and (y == 0).sum() == 6


def test_bad_stochastic_arguments():
    with pytest.raises(ValueError, match="sr_bits"):
        nf.round([1.0], "e4m3", "sr", sr_bits=0)
    with pytest.raises(ValueError, match="sr_bits must be an integer from 1 to 62; got True"):
        nf.round([1.0], "e4m3", "sr", sr_bits=True)        # (not 1)
    with pytest.raises(ValueError, match="sr_rule"):
        nf.round([1.0], "e4m3", "sr", sr_rule="fast")
    with pytest.raises(ValueError, match="random_bits"):
        nf.round([1.0, 2.0], "e4m3", "sr", sr_bits=2, random_bits=[4, 0])
    with pytest.raises(ValueError, match="broadcast"):
        nf.round([1.0, 2.0], "e4m3", "sr", random_bits=[1, 2, 3])
    with pytest.raises(ValueError, match="stochastic"):
        nf.round([1.0], "e4m3", "rne", random_bits=[1])
    with pytest.raises(TypeError, match="seed"):
        nf.round([1.0], "e4m3", "sr", seed="abc")
