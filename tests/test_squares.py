"""rng="squares": Widynski's Squares counter-based RNG as the source of stochastic rounding.

The oracle is a plain-Python transcription of the paper's algorithm ("Squares: A Fast
Counter-Based RNG", arXiv 2004.06278, squares32 and squares64), checked itself against
published outputs: randomgen's test data (bashtage/randomgen, tests/data/squares-testset-1.csv
and squares-32-testset-1.csv, made by its C program from the paper's code with the key
0x3bc8bca4d301945b; the squares32 file packs two outputs per line, low word first)."""
from __future__ import annotations

import numpy as np
import pytest

import numfmt as nf
from numfmt.parallel import CPUS
from numfmt.random import random_bits, squares_key

M64 = (1 << 64) - 1


def _rot32(x: int) -> int:
    return ((x >> 32) | (x << 32)) & M64


def squares32(ctr: int, key: int) -> int:
    x = y = (ctr * key) & M64
    z = (y + key) & M64
    x = _rot32((x * x + y) & M64)
    x = _rot32((x * x + z) & M64)
    x = _rot32((x * x + y) & M64)
    return ((x * x + z) & M64) >> 32


def squares64(ctr: int, key: int) -> int:
    x = y = (ctr * key) & M64
    z = (y + key) & M64
    x = _rot32((x * x + y) & M64)
    x = _rot32((x * x + z) & M64)
    x = _rot32((x * x + y) & M64)
    t = x = (x * x + z) & M64
    x = _rot32(x)
    return t ^ (((x * x + y) & M64) >> 32)


PUBLISHED_KEY = 0x3bc8bca4d301945b
PUBLISHED_64 = [0x5167ea8b7923d95b, 0x0e03102be2db8c20, 0xe59f61d7beb27f5d, 0x943ac4d08e1a4431,
                0x55a666125bf71ba4, 0x8de3053858a91018]
PUBLISHED_32_PAIRS = [0x0e03102b5167ea8b, 0x943ac4d0e59f61d7, 0x8de3053855a66612]


def test_transcription_matches_published_outputs():
    assert [squares64(i, PUBLISHED_KEY) for i in range(6)] == PUBLISHED_64
    pairs = [squares32(2 * i, PUBLISHED_KEY) | squares32(2 * i + 1, PUBLISHED_KEY) << 32 for i in range(3)]
    assert pairs == PUBLISHED_32_PAIRS


def _kernel_bits(key: int, start: int, n: int, k: int) -> list:
    from numfmt.random import _squares_at
    out = np.empty(n, np.int64)
    _squares_at(out, np.arange(n, dtype=np.uint64) + np.uint64(start), np.uint64(key), np.int64(k))
    return out.tolist()


@pytest.mark.parametrize("k", [1, 7, 31, 32, 33, 52, 62, 63])
def test_kernel_matches_transcription(k):
    """The top k bits of squares64 (for k <= 32 computed from squares32: the same bits), for
    the published key, derived keys, and counters near 2**64 (the products wrap)."""
    for key, start in ((PUBLISHED_KEY, 0), (squares_key(5), 1000), (squares_key(2**63 + 1), M64 - 40)):
        got = _kernel_bits(key, start, 40, k)
        want = [squares64((start + i) & M64, key) >> (64 - k) for i in range(40)]
        assert got == want
        if k <= 32:
            assert got == [squares32((start + i) & M64, key) >> (32 - k) for i in range(40)]


def test_published_outputs_from_the_kernel():
    assert [v << 1 | (w & 1) for v, w in zip(_kernel_bits(PUBLISHED_KEY, 0, 6, 63), PUBLISHED_64)] == PUBLISHED_64


def test_keys_have_the_papers_properties():
    """Odd; the low 8 hex digits distinct and nonzero; the high 8 nonzero, each different from
    the digit below it; a pure function of the seed."""
    keys = {squares_key(seed) for seed in list(range(300)) + [M64, 2**63, 0xDEADBEEF]}
    assert len(keys) == 303
    for key in keys:
        digits = [(key >> (4 * j)) & 15 for j in range(16)]
        assert key % 2 == 1 and 0 not in digits
        assert len(set(digits[:8])) == 8
        assert all(digits[j] != digits[j - 1] for j in range(8, 16))
    assert squares_key(12345) == squares_key(12345)


def test_random_bits_numbers_element_i_with_counter_i():
    seed, k = 77, 24
    key = squares_key(seed)
    bits = random_bits(seed, (3, 5), k, start=9, rng="squares")
    assert bits.shape == (3, 5)
    assert bits.reshape(-1).tolist() == [squares64(9 + i, key) >> (64 - k) for i in range(15)]


def test_same_bits_for_any_thread_count():
    x = np.random.default_rng(0).standard_normal(1 << 18)
    before, results = nf.get_num_threads(), []
    try:
        for threads in (1, CPUS):
            nf.set_num_threads(threads)
            results.append(nf.round(x, "e4m3", "sr", seed=3, rng="squares"))
    finally:
        nf.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])


def test_round_with_squares_is_round_with_its_bits():
    """rng="squares" is rounding with random_bits = Squares numbers 0.. of the seed's key
    (element i of the flattened array gets number i), checked on the transcription."""
    x = np.random.default_rng(1).standard_normal((4, 6)) * 10
    key = squares_key(11)
    bits = np.array([squares64(i, key) >> (64 - 20) for i in range(x.size)]).reshape(x.shape)
    for fmt in ("e4m3", "bfloat16", "posit8", "int8", "q3.4"):
        want = nf.round(x, fmt, "sr", sr_bits=20, random_bits=bits)
        np.testing.assert_array_equal(nf.round(x, fmt, "sr", sr_bits=20, seed=11, rng="squares"), want)
        np.testing.assert_array_equal(nf.encode(x, fmt, "sr", sr_bits=20, seed=11, rng="squares"),
                                      nf.encode(x, fmt, "sr", sr_bits=20, random_bits=bits))
    # a seeded run is reproducible, and differs from SplitMix64's
    a = nf.round(x, "e2m1", "sr", seed=5, rng="squares")
    np.testing.assert_array_equal(a, nf.round(x, "e2m1", "sr", seed=5, rng="squares"))
    assert nf.last_seed() == 5
    assert not np.array_equal(nf.round(x * 0 + 0.3, "e2m1", "sr", seed=5, rng="squares"),
                              nf.round(x * 0 + 0.3, "e2m1", "sr", seed=5))


SR = {"rounding": "stochastic", "sr_bits": 16}


def _same(function, shape, *args, **kwargs) -> None:
    """function with rng="squares" equals it with the same Squares numbers as random_bits."""
    bits = random_bits(8, shape, 16, rng="squares")
    np.testing.assert_array_equal(function(*args, **kwargs, **SR, seed=8, rng="squares"),
                                  function(*args, **kwargs, **SR, random_bits=bits))


def _operands():
    rng = np.random.default_rng(2)
    return rng, nf.round(rng.standard_normal((3, 4)), "e4m3"), nf.round(rng.standard_normal((3, 4)), "e4m3")


def test_every_stochastic_function_takes_rng():
    """Each public function with stochastic rounding: rng="squares" equals its explicit
    random_bits with the same Squares numbers (the element-wise ones, blocks and a sum here;
    the rest in ``test_every_stochastic_reduction_takes_rng``, slow: their kernels compile
    only for it)."""
    rng, a, b = _operands()
    for op in (nf.add, nf.sub, nf.mul, nf.div):
        _same(op, (3, 4), a, b, "e4m3")
    _same(nf.fma, (3, 4), a, b, a, "e4m3")
    _same(nf.sqrt, (3, 4), np.abs(a), "e4m3")
    _same(nf.add, (3, 4), nf.round(a, "posit8"), nf.round(b, "posit8"), "posit8")
    _same(nf.round, (2, 32), rng.standard_normal((2, 32)), "mxfp4", axis=1)
    _same(nf.sum, (3, 8 * 4), a, "e4m3", axis=1, accumulator="bfloat16")


@pytest.mark.slow
def test_every_stochastic_reduction_takes_rng():
    rng, a, b = _operands()
    _same(nf.dot, (3, 8 * 4), a, b, "e4m3", accumulator="e5m2")
    _same(nf.matmul, (3, 3, 8 * 4), a, b.T, "e4m3", accumulator="bfloat16")
    p8a, p8b = nf.round(a, "posit8"), nf.round(b, "posit8")
    _same(nf.dot, (3,), p8a, p8b, "posit8", accumulator="quire")
    _same(nf.quire_dot, (3,), p8a, p8b, "posit8")
    _same(nf.quire_sum, (3,), p8a, "posit8", 1)
    q = nf.Quire("posit8").add_product(p8a, p8b)
    assert q.value(**SR, seed=8, rng="squares") == q.value(**SR, random_bits=random_bits(8, (), 16, rng="squares"))
    _same(nf.quantize_affine, (3, 4), a, "int8", 0.1, exact=True)


def test_rng_argument_errors():
    with pytest.raises(ValueError, match="rng must be one of"):
        nf.round([0.3], "e4m3", "sr", rng="mt19937")
    with pytest.raises(ValueError, match="rng must be one of"):
        nf.add([1.0], [2.0], "e4m3", rng="philox")
    with pytest.raises(ValueError, match="random_bits replaces it"):
        nf.round([0.3], "e4m3", "sr", rng="squares", random_bits=[1])


def _mean_bias(x: float, fmt: str, rounding: str, n: int) -> tuple[float, float]:
    """(mean of n rounded copies of x - x, the standard error of that mean for unbiased SR)."""
    lo = float(nf.round(x, fmt, "toward_zero"))
    hi = float(nf.round(x, fmt, "toward_positive" if x > 0 else "toward_negative"))
    f = (x - lo) / (hi - lo)
    y = nf.round(np.full(n, x), fmt, rounding, seed=2026, rng="squares") if rounding == "stochastic" \
        else nf.round(np.full(n, x), fmt, rounding)
    return float(np.mean(y, dtype=np.float64)) - x, abs(hi - lo) * np.sqrt(f * (1 - f) / n)


@pytest.mark.parametrize("x, fmt", [(1 + 0.3 / 8, "e4m3"), (-3.3, "e2m1"), (1 / 3, "bfloat16"),
                                    (0.7 * 2.0 ** -9, "e4m3"), (100.37, "int8")])
def test_squares_stochastic_rounding_is_unbiased(x, fmt):
    """The mean of 200,000 stochastically rounded copies of x equals x within 5 standard
    errors (a false alarm has probability below 1e-6); round toward zero, biased by the
    fraction f of an ulp, fails the same bound by far."""
    n = 200_000
    bias, se = _mean_bias(x, fmt, "stochastic", n)
    assert abs(bias) <= 5 * se, (bias, se)
    biased, _ = _mean_bias(x, fmt, "toward_zero", n)
    assert abs(biased) > 50 * se


def test_against_randomgen_when_installed():
    """randomgen's C Squares (pip install randomgen; not a dependency), both variants, keyed by
    our derived keys, at arbitrary counters."""
    randomgen = pytest.importorskip("randomgen")
    for seed in (0, 1, 2**64 - 1):
        key, start = squares_key(seed), seed % 1000 * 7919
        want = randomgen.Squares(key=key, counter=start, variant=64).random_raw(200).tolist()
        assert random_bits(seed, 200, 63, start=start, rng="squares").tolist() == [v >> 1 for v in want]
        pairs = randomgen.Squares(key=key, counter=start, variant=32).random_raw(100).tolist()
        ours = random_bits(seed, 200, 32, start=start, rng="squares").tolist()
        assert [ours[2 * i] | ours[2 * i + 1] << 32 for i in range(100)] == pairs
