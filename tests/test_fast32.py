"""The float32 fast kernels (``round_nearest32``, ``round_sr_add32``, ``round_directed32``,
and their codes: ``encode_nearest32``, ``encode_sr_add32``, ``encode_directed32``) against the
generic kernels (``round_bits32``, ``round_sr32``, ``encode32``, ``encode_sr32``:
``round_one``), bit for bit, and the casts that take them."""
import itertools
from unittest import mock

import numba as nb
import numpy as np
import pytest
from hypothesis import given, strategies as st

import numfmt as nf
from numfmt.casts import floating as cf
from numfmt.casts.common import NO_RANDOM_BITS
from numfmt.kernels import floating as kern
from numfmt.random import DRAW_BLOCK, random_bits
from numfmt.rounding import Rounding
from numfmt.testing import arrays, formats, registered_float_formats

FAST = [f for f in registered_float_formats() if cf.fast32_params(f, "ieee", "raise") is not None]
FAST += [nf.FloatFormat(3, 2, subnormals=False, name="e3m2_nosub"),          # the quantum below 2**emin: 2**emin
         nf.FloatFormat(4, 2, subnormals=False, special="fn", name="e4m2_fn_nosub")]
FAST_FORMATS = formats(max_bits=16).filter(lambda f: cf.fast32_params(f, "ieee", "raise") is not None)


def _generic(x, fmt, overflow, nan, k=0, rand=NO_RANDOM_BITS, seed=0, start=0):
    """The bits of float32 x rounded by the generic kernel (stochastically for k > 0)."""
    out = np.empty_like(x)
    if k:
        p = cf.kernel_params(fmt, False, Rounding.STOCHASTIC, overflow, nan)[0]
        kern.round_sr32(x.view(np.int32), out.view(np.int32), start, rand, np.uint64(seed), p,
                        cf.sr_params(fmt, False, k, "add"))
    else:
        kern.round_bits32(x.view(np.int32), out.view(np.int32),
                          cf.kernel_params(fmt, False, Rounding.NEAREST_EVEN, overflow, nan)[0])
    return out.view(np.uint32)


def _fast(x, fmt, overflow, nan, k=0, rand=NO_RANDOM_BITS, seed=0, start=0):
    """The bits of float32 x rounded by the fast kernel, and its count of NaN inputs."""
    out = np.empty_like(x)
    p = cf.fast32_params(fmt, overflow, nan)
    if k:
        nans = kern.round_sr_add32(x.view(np.uint32), out.view(np.uint32), start, cf.given_bits(rand),
                                   np.uint64(seed), p, np.int64(k))
    else:
        nans = kern.round_nearest32(x.view(np.uint32), out.view(np.uint32), p)
    return out.view(np.uint32), nans


def _codes(x, fmt, overflow, nan, k=0, rand=NO_RANDOM_BITS, seed=0, start=0):
    """The codes of float32 x by the fast encode kernels (``encode_nearest32``,
    ``encode_sr_add32``) and their count of NaN inputs, and by the generic kernels (``encode32``,
    ``encode_sr32``: ``round_one``)."""
    fast, generic = np.empty(x.size, np.uint32), np.empty(x.size, np.uint32)
    p, cp = cf.fast32_params(fmt, overflow, nan), cf.fast_code32(fmt, overflow, nan)
    mode = Rounding.STOCHASTIC if k else Rounding.NEAREST_EVEN
    c = cf.kernel_params(fmt, False, mode, overflow, nan)[1]
    if k:
        nans = kern.encode_sr_add32(x.view(np.uint32), fast, start, cf.given_bits(rand), np.uint64(seed), p,
                                    np.int64(k), cp)
        kern.encode_sr32(x.view(np.int32), generic, start, rand, np.uint64(seed), c, cf.sr_params(fmt, False, k, "add"))
    else:
        nans = kern.encode_nearest32(x.view(np.uint32), fast, p, cp)
        kern.encode32(x.view(np.int32), generic, c)
    return fast, nans, generic


def _check(x, fmt, overflow="ieee", nan="raise", k=0, rand=NO_RANDOM_BITS, seed=0, start=0):
    """The fast kernels' values and codes equal the generic kernels', bit for bit, and they
    count the NaN inputs."""
    got, nans = _fast(x, fmt, overflow, nan, k, rand, seed, start)
    want = _generic(x, fmt, overflow, nan, k, rand, seed, start)
    bad = got != want
    assert not bad.any(), (fmt, overflow, nan, k, x[bad][:4], got[bad][:4], want[bad][:4])
    assert nans == np.count_nonzero(np.isnan(x))
    got, nans, want = _codes(x, fmt, overflow, nan, k, rand, seed, start)
    bad = got != want
    assert not bad.any(), ("codes", fmt, overflow, nan, k, x[bad][:4], got[bad][:4], want[bad][:4])
    assert nans == np.count_nonzero(np.isnan(x))


DIRECTED = [m for m in Rounding if m not in (Rounding.NEAREST_EVEN, Rounding.STOCHASTIC)]


def _check_directed(x, fmt, mode, overflow="ieee", nan="raise"):
    """``round_directed32`` and ``encode_directed32`` equal ``round_bits32`` and ``encode32``
    in the deterministic mode, bit for bit, and count the NaN inputs."""
    p, m = cf.directed32_args(fmt, mode, overflow, nan)
    kp, c = cf.kernel_params(fmt, False, mode, overflow, nan)
    got, want = np.empty(x.size, np.uint32), np.empty_like(x)
    nans = kern.round_directed32(x.view(np.uint32), got, p, m)
    kern.round_bits32(x.view(np.int32), want.view(np.int32), kp)
    bad = got != want.view(np.uint32)
    assert not bad.any(), (fmt, mode, overflow, nan, x[bad][:4], got[bad][:4], want.view(np.uint32)[bad][:4])
    assert nans == np.count_nonzero(np.isnan(x))
    got, want = np.empty(x.size, np.uint32), np.empty(x.size, np.uint32)
    nans = kern.encode_directed32(x.view(np.uint32), got, p, m, cf.fast_code32(fmt, overflow, nan))
    kern.encode32(x.view(np.int32), want, c)
    bad = got != want
    assert not bad.any(), ("codes", fmt, mode, overflow, nan, x[bad][:4], got[bad][:4], want[bad][:4])
    assert nans == np.count_nonzero(np.isnan(x))


@st.composite
def _cases(draw):
    """(fmt, float32 inputs): the format's rounding cases (ties, thresholds, specials) as
    float32, and raw bit patterns (NaN payloads, float32 subnormals)."""
    fmt = draw(FAST_FORMATS)
    with np.errstate(over="ignore"):
        x = draw(arrays(fmt, st.integers(1, 24), allow_special=True)).astype(np.float32)
    bits = draw(st.lists(st.integers(0, (1 << 32) - 1), max_size=8))
    return fmt, np.concatenate([x, np.array(bits, np.uint64).astype(np.uint32).view(np.float32)])


@given(_cases(), st.sampled_from(["ieee", "saturate"]), st.sampled_from(["raise", "ml_dtypes"]), st.integers(1, 32),
       st.integers(0, (1 << 64) - 1), st.integers(0, 5), st.booleans())
def test_fast_kernels_match_round_one(case, overflow, nan, k, seed, start, explicit):
    """Both kernels on the same inputs: nearest_even, and stochastic with seeded or explicit
    random bits (element i takes number start + i)."""
    fmt, x = case
    _check(x, fmt, overflow, nan)
    rand = np.random.default_rng(seed).integers(0, 1 << k, start + x.size) if explicit else NO_RANDOM_BITS
    _check(x, fmt, overflow, nan, k, rand, seed, start)


@given(_cases(), st.sampled_from(DIRECTED), st.sampled_from(["ieee", "saturate"]),
       st.sampled_from(["raise", "ml_dtypes"]))
def test_directed_kernels_match_round_one(case, mode, overflow, nan):
    """The deterministic modes but nearest_even: the uint32 kernels against round_one."""
    _check_directed(case[1], case[0], mode, overflow, nan)


def _float32_sample(step: int, offset: int = 0) -> np.ndarray:
    """Every step-th float32 bit pattern from offset: all exponents, both signs, NaNs."""
    return np.arange(offset, 1 << 32, step, dtype=np.uint64).astype(np.uint32).view(np.float32)


@pytest.mark.parametrize("fmt", FAST, ids=[f.name for f in FAST])
def test_sample_of_every_float32(fmt):
    """2**18 float32 bit patterns spread over all 2**32 (an odd stride meets every low-bit
    pattern), in both fast kernels."""
    x = _float32_sample(16411)
    _check(x, fmt)
    _check(x, fmt, "saturate", "ml_dtypes", k=32, seed=3)
    _check(x, fmt, k=5, rand=np.random.default_rng(0).integers(0, 32, x.size))
    for mode, overflow in zip(DIRECTED, itertools.cycle(["ieee", "saturate"])):
        _check_directed(x[::4], fmt, mode, overflow)


@pytest.mark.parametrize("fmt", FAST, ids=[f.name for f in FAST])
def test_blocks_in_the_normal_range(fmt):
    """round_sr_add32's blocks whose magnitudes are all normal and at most the largest value
    take a fixed bias, blocks without NaN a branch-free loop over every range, others
    ``sr_add_one``: such blocks (the largest value and the smallest normal included), and
    blocks where one element is not: subnormal, below the smallest quantum, beyond the
    largest value, Inf, NaN (the quiet one, and the NaN next to Inf, 0x7F800001)."""
    info = fmt.info
    rng = np.random.default_rng(1)
    b = DRAW_BLOCK
    x = np.exp2(rng.uniform(np.log2(info.smallest_normal), np.log2(info.max), 9 * b)).astype(np.float32)
    x = np.minimum(np.maximum(x, np.float32(info.smallest_normal)), np.float32(info.max)) * rng.choice([-1, 1], x.size)
    x[:2] = info.max, info.smallest_normal
    x[b + 7] = info.smallest_normal / 2     # one block each, as the kernel cuts them from the chunk
    x[2 * b + 100] = np.float32(info.max) * 2
    x[3 * b + 5] = np.nan
    x[4 * b + 9] = np.inf
    x[5 * b + 11] = info.smallest_subnormal / 3
    x = x.astype(np.float32)
    x[6 * b + 3:6 * b + 5] = np.uint32([0x7F800001, 0x7F800000]).view(np.float32)
    _check(x, fmt, k=32, seed=9, start=3)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FAST, ids=[f.name for f in FAST])
def test_every_float32(fmt):
    """Every float32, nearest_even, stochastic (32 seeded bits) and the other deterministic
    modes."""
    chunk = 1 << 26
    for offset in range(0, 1 << 32, chunk):
        x = np.arange(offset, offset + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        _check(x, fmt)
        _check(x, fmt, k=32, seed=offset, start=offset)
        for mode in DIRECTED:
            _check_directed(x, fmt, mode, "saturate" if mode == Rounding.TOWARD_ZERO else "ieee")


def test_casts_take_the_fast_kernels():
    """nf.round of float32 takes them (float64 inputs without their stand-ins, ``_may_stand_in``
    off, take the generic kernel); a format without NaN still refuses NaN inputs, counted by
    the kernel."""
    x = _float32_sample(999_983, 5)
    x = x[~np.isnan(x)]
    for name in ("e4m3", "e2m1", "binary16"):
        for kwargs in ({}, {"rounding": "sr", "seed": 1}, {"rounding": "sr", "seed": 1, "sr_bits": 7}):
            fast = nf.round(x, name, overflow="saturate", **kwargs)
            with mock.patch.object(cf, "_may_stand_in", lambda *args: False):      # float64: the generic kernel
                generic = nf.round(x.astype(np.float64), name, overflow="saturate", **kwargs).astype(np.float32)
            np.testing.assert_array_equal(fast.view(np.uint32), generic.view(np.uint32))
            with mock.patch.object(kern, "encode_nearest32", wraps=kern.encode_nearest32) as nearest, \
                    mock.patch.object(kern, "encode_sr_add32", wraps=kern.encode_sr_add32) as sr:
                codes = nf.encode(x, name, overflow="saturate", **kwargs)     # the fast encode kernels
            assert (nearest.called, sr.called) == (not kwargs, bool(kwargs))
            with mock.patch.object(cf, "_may_stand_in", lambda *args: False):
                generic = nf.encode(x.astype(np.float64), name, overflow="saturate", **kwargs)
            np.testing.assert_array_equal(codes, generic)
    for name in ("e4m3", "binary16"):       # the other deterministic modes
        with mock.patch.object(kern, "round_directed32", wraps=kern.round_directed32) as values, \
                mock.patch.object(kern, "encode_directed32", wraps=kern.encode_directed32) as codes:
            got = nf.round(x, name, "toward_zero"), nf.encode(x, name, "nearest_away")
        assert values.called and codes.called
        with mock.patch.object(cf, "_may_stand_in", lambda *args: False):
            want = (nf.round(x.astype(np.float64), name, "toward_zero").astype(np.float32),
                    nf.encode(x.astype(np.float64), name, "nearest_away"))
        np.testing.assert_array_equal(got[0].view(np.uint32), want[0].view(np.uint32))
        np.testing.assert_array_equal(got[1], want[1])
    with pytest.raises(ValueError, match="2 of 4 elements of x are NaN"):
        nf.round(np.float32([1, np.nan, -np.nan, 2]), "e2m1")
    with pytest.raises(ValueError, match="2 of 4 elements of x are NaN"):
        nf.round(np.float32([1, np.nan, -np.nan, 2]), "e2m1", "toward_zero")
    with pytest.raises(ValueError, match="1 of 2 elements of x are NaN"):
        nf.round(np.float32([1, np.nan]), "e2m1", "sr", seed=0)


# ---- round_sr_add32's branch-free pass over every range (sr_add_range) ----

@nb.njit  # not cached: numba would not see changes to the inlined helpers
def _range_and_one(x, zk, p, out_range, out_one):
    """sr_add_range and sr_add_one of every x[i] with zk[i] (inner helpers: called from a
    kernel); returns sr_range_consts' fits."""
    c = kern.sr_range_consts(p)
    for i in range(x.size):
        out_range[i] = kern.sr_add_range(x[i], zk[i], p, c)
        out_one[i] = kern.sr_add_one(x[i], zk[i], p)
    return c[5]


def _edges(fmt) -> np.ndarray:
    """float32 bit patterns at the edges of fmt's ranges: 0, float32 subnormals, around half
    a quantum and one quantum, the smallest normal, the largest value and its overflow
    threshold, Inf, each with its neighbours, both signs."""
    info = fmt.info
    qsub = fmt.emin - fmt.man_bits if fmt.subnormals else fmt.emin
    points = np.float32([0.0, 2.0 ** -149, 2.0 ** -126, 2.0 ** (qsub - 1), 2.0 ** qsub, 3 * 2.0 ** (qsub - 1),
                         info.smallest_normal, info.max, np.float32(info.max) * np.float32(1 + 2.0 ** -fmt.man_bits),
                         np.float32(3.0e38), np.inf])
    bits = points.view(np.uint32).astype(np.int64)
    bits = np.concatenate([bits - 1, bits, bits + 1])
    bits = bits[(bits >= 0) & (bits <= 0x7F800000)].astype(np.uint32)
    return np.concatenate([bits, bits | np.uint32(0x80000000)])


def _check_range(x, zk, p):
    """sr_add_range equals sr_add_one on the non-NaN x, bit for bit, and the format fits."""
    x = x[(x & np.uint32(0x7FFFFFFF)) <= np.uint32(0x7F800000)]
    zk = np.resize(zk, x.size)
    got, want = np.empty_like(x), np.empty_like(x)
    assert _range_and_one(x, zk, p, got, want)
    bad = got != want
    assert not bad.any(), (x[bad][:4], zk[bad][:4], got[bad][:4], want[bad][:4])


@pytest.mark.parametrize("fmt", FAST, ids=[f.name for f in FAST])
def test_sr_add_range_matches_sr_add_one(fmt):
    """Every registered format of the fast kernels fits sr_add_range, which gives sr_add_one's
    bits on 2**18 float32 patterns spread over all non-NaN ones and on the edges of the
    format's ranges, with random bits cut to k = 1, 7, 32 bits and the extreme ones."""
    rng = np.random.default_rng(2)
    x = np.concatenate([_float32_sample(16411).view(np.uint32), np.repeat(_edges(fmt), 5)])
    extremes = np.uint32([0, 1 << 31, 0xFFFFFFFF, 0xFFFFFFFF << 25 & 0xFFFFFFFF])
    for overflow, nan in (("ieee", "raise"), ("saturate", "ml_dtypes")):
        p = cf.fast32_params(fmt, overflow, nan)
        for k in (1, 7, 32):
            zk = rng.integers(0, 1 << 32, x.size, dtype=np.uint64).astype(np.uint32) & np.uint32(
                (0xFFFFFFFF << (32 - k)) & 0xFFFFFFFF)
            _check_range(x, zk, p)
        _check_range(np.repeat(_edges(fmt), extremes.size), np.tile(extremes, _edges(fmt).size), p)


@nb.njit  # not cached, as _range_and_one
def _binade_and_one(x, zk, p, out_binade, out_one):
    """sr_binade's bits (with x[i]'s sign) and sr_add_one's of every x[i] with zk[i]."""
    c = kern.sr_range_consts(p)
    for i in range(x.size):
        a = x[i] & np.uint32(0x7FFFFFFF)
        out_binade[i] = kern.sr_binade(a, zk[i], c)[1] | (x[i] ^ a)
        out_one[i] = kern.sr_add_one(x[i], zk[i], p)


def _check_binade(fmt, overflow, rng):
    """sr_binade is sr_add_one on fmt's magnitudes from one quantum to the largest value
    (the edges among them and random ones; random bits and the extreme ones)."""
    p = cf.fast32_params(fmt, overflow, "raise")
    lo, hi = int(p.q_bits), int(p.max_bits)
    x = np.concatenate([_edges(fmt), rng.integers(lo, hi + 1, 4096, dtype=np.uint64).astype(np.uint32)])
    x = x[((x & np.uint32(0x7FFFFFFF)) >= lo) & ((x & np.uint32(0x7FFFFFFF)) <= hi)]
    x |= rng.integers(0, 2, x.size, dtype=np.uint32) << np.uint32(31)
    x = np.repeat(x, 2)
    zk = rng.integers(0, 1 << 32, x.size, dtype=np.uint64).astype(np.uint32)
    zk[::2] = rng.choice(np.uint32([0, 1, 1 << 31, 0xFFFFFFFF]), x.size // 2)
    got, want = np.empty_like(x), np.empty_like(x)
    _binade_and_one(x, zk, p, got, want)
    bad = got != want
    assert not bad.any(), (fmt, x[bad][:4], zk[bad][:4], got[bad][:4], want[bad][:4])


@pytest.mark.parametrize("fmt", FAST, ids=[f.name for f in FAST])
def test_sr_binade_matches_sr_add_one(fmt):
    """Every registered format of the fast kernels: sr_add_block's first pass of a block the
    fixed pass missed (sr_binade) gives sr_add_one's bits from one quantum to the largest value."""
    for overflow in ("ieee", "saturate"):
        _check_binade(fmt, overflow, np.random.default_rng(6))


@given(FAST_FORMATS, st.sampled_from(["ieee", "saturate"]), st.integers(0, (1 << 32) - 1))
def test_sr_binade_on_random_formats(fmt, overflow, seed):
    """sr_binade is sr_add_one from one quantum to the largest value for random formats of the
    fast kernels too, those sr_range_consts says do not fit included."""
    _check_binade(fmt, overflow, np.random.default_rng(seed))


@given(FAST_FORMATS, st.sampled_from(["ieee", "saturate"]), st.integers(0, (1 << 64) - 1))
def test_sr_add_range_on_random_formats(fmt, overflow, seed):
    """Random formats of the fast kernels: where sr_range_consts says the format fits (every
    registered one), sr_add_range is sr_add_one on the edges and random patterns; where it
    does not, round_sr_add32 takes sr_add_one (``test_fast_kernels_match_round_one``)."""
    p = cf.fast32_params(fmt, overflow, "raise")
    rng = np.random.default_rng(seed % (1 << 32))
    x = np.concatenate([_edges(fmt), rng.integers(0, 1 << 32, 64, dtype=np.uint64).astype(np.uint32)])
    zk = rng.integers(0, 1 << 32, x.size, dtype=np.uint64).astype(np.uint32)
    finite = x[(x & np.uint32(0x7FFFFFFF)) <= np.uint32(0x7F800000)]
    got, want = np.empty_like(finite), np.empty_like(finite)
    if _range_and_one(finite, zk[:finite.size], p, got, want):
        np.testing.assert_array_equal(got, want)


def test_sr_formats_that_the_range_pass_does_not_take():
    """A smallest quantum above 2**31 (bias -40) and a largest value equal to the smallest
    normal (E1M1 fn): sr_range_consts says they do not fit, and round_sr_add32 rounds them by
    sr_add_one (or sr_binade, which still holds from one quantum to the largest value), bit
    for bit as the generic kernel."""
    from numfmt.formats.floating import FloatFormat
    rng = np.random.default_rng(3)
    for fmt in (FloatFormat(3, 2, bias=-40), FloatFormat(1, 1, special="fn")):
        p = cf.fast32_params(fmt, "ieee", "raise")
        x = np.concatenate([np.repeat(_edges(fmt), 3), rng.integers(0, 1 << 32, 3000, dtype=np.uint64).astype(np.uint32)])
        assert not _range_and_one(x[:1], x[:1], p, np.empty(1, np.uint32), np.empty(1, np.uint32))
        _check(x.view(np.float32), fmt, k=32, seed=5, start=1)
        _check_binade(fmt, "ieee", rng)


def test_sr_blocks_switch_between_passes():
    """round_sr_add32's blocks in the order that switches it between its passes: clean blocks
    (the fixed bias), a block with an element outside the normal range (both passes), runs
    of such blocks (after MISS_RUN of them the second pass alone, by blocks of PAIRS_BLOCK,
    until a clean one), a NaN block (sr_add_one), the fixed bias again; blocks of the fixed
    pass' size (FIXED_BLOCK), sizes that are no multiple of it, odd starts, k = 32 and 3: bit
    for bit as the generic kernel."""
    b = kern.FIXED_BLOCK
    rng = np.random.default_rng(4)
    for name in ("e4m3", "e2m1", "binary16"):
        fmt = nf.format(name)
        info = fmt.info
        n = 24 * b + 2 * kern.PAIRS_BLOCK + 37     # (room for a block of the second pass, then clean ones)
        x = np.exp2(rng.uniform(np.log2(info.smallest_normal), np.log2(info.max), n)).astype(np.float32)
        x = np.minimum(np.maximum(x, np.float32(info.smallest_normal)), np.float32(info.max))
        x *= rng.choice(np.float32([-1, 1]), x.size)
        odd = {1: info.smallest_normal / 3, 2: info.max * 3, 3: 0.0, 10: np.nan, 16: -np.inf, 17: 2.0 ** -140,
               23: -info.smallest_subnormal / 2, 24: info.smallest_normal / 2}
        for block, value in odd.items():
            x[block * b + 5] = value
        x[[block * b + 5 for block in range(4, 4 + kern.MISS_RUN)]] = info.smallest_normal / 3   # (a longer run)
        for k in (32, 3):
            for start in (0, 7):
                _check(x[start:], fmt, k=k, seed=k, start=start)
                _check(x[start:], fmt, "saturate", "ml_dtypes", k=k, seed=k + 1, start=start)


def test_sr_blocks_the_fixed_pass_misses():
    """round_sr_add32's blocks that the fixed pass misses, bit for bit as the generic kernel:
    normal data with subnormals down to one quantum (sr_add_block's binade pass takes them),
    with one element below one quantum, above the largest value, Inf, NaN or 0 (the binade
    pass redone by sr_add_range, NaN by sr_add_one), a run of subnormal blocks (after
    MISS_RUN of them blocks of PAIRS_BLOCK without the fixed pass, which take sr_add_range
    even where the binade pass would do), all of it at odd starts, at the chunk's edges
    (one-element chunks: a pair that straddles an edge), k = 32 and 3, both overflows."""
    b = kern.FIXED_BLOCK
    rng = np.random.default_rng(7)
    for name in ("e4m3", "e2m1", "binary16", "e5m2"):
        fmt = nf.format(name)
        info = fmt.info
        qsub = fmt.emin - fmt.man_bits
        n = 30 * b + 2 * kern.PAIRS_BLOCK + 11
        x = np.exp2(rng.uniform(np.log2(info.smallest_normal), np.log2(info.max), n)).astype(np.float32)
        x = np.minimum(np.maximum(x, np.float32(info.smallest_normal)), np.float32(info.max))
        sub = np.exp2(rng.uniform(qsub, np.log2(info.smallest_normal), x.size)).astype(np.float32)
        for block in range(1, 20, 2):           # subnormals at or above one quantum: the binade pass
            x[block * b + rng.integers(0, b, 3)] = sub[block * b:block * b + 3]
        x[3 * b + 1] = np.float32(2.0 ** qsub)
        x[5 * b + 2] = np.nextafter(np.float32(info.smallest_normal), np.float32(0))
        for block, value in {7: 2.0 ** qsub * 0.75, 9: info.max * 1.5, 11: np.inf, 13: np.nan, 15: 0.0,
                             17: np.nextafter(np.float32(2.0 ** qsub), np.float32(0))}.items():
            x[block * b + 9] = value        # ... where one element sends the block to sr_add_range
        x[21 * b:(22 + kern.MISS_RUN) * b] = sub[21 * b:(22 + kern.MISS_RUN) * b]   # a run of subnormal blocks
        x *= rng.choice(np.float32([-1, 1]), x.size)
        for k in (32, 3):
            for start in (0, 1, 7):
                _check(x[start:], fmt, k=k, seed=k, start=start)
                _check(x[start:], fmt, "saturate", "ml_dtypes", k=k, seed=k + 1, start=start)
        for lo in (b - 1, 3 * b + 1, 5 * b + 2):     # one-element chunks
            _check(x[lo:lo + 1], fmt, k=32, seed=2, start=lo)


def test_sr_casts_take_the_fast_kernel_and_agree_with_explicit_bits(monkeypatch):
    """nf.round of float32 under seeded SR calls round_sr_add32, whose blocks (both passes)
    give the bits the explicit random numbers of the same seed give (their loop is
    ``sr_add_one``), with 1 or 2 threads; SR stays unbiased on inputs in every range of e2m1
    (below one quantum, subnormal, normal, above the largest value: saturated)."""
    calls = []
    real = kern.round_sr_add32

    def counted(*args):
        calls.append(args[0].size)
        return real(*args)
    monkeypatch.setattr(kern, "round_sr_add32", counted)
    monkeypatch.setattr("numfmt.parallel.CPUS", 2)
    x = (np.random.default_rng(5).standard_normal(140_011) * 10).astype(np.float32)   # 2 threads: odd split
    threads = nf.get_num_threads()
    try:
        for name in ("e4m3", "e2m1"):
            explicit = nf.round(x, name, "sr", random_bits=random_bits(8, x.shape, 32))
            for n in (1, 2):
                nf.set_num_threads(n)
                calls.clear()
                seeded = nf.round(x, name, "sr", seed=8)
                assert sum(calls) == x.size and len(calls) == n
                np.testing.assert_array_equal(seeded.view(np.uint32), explicit.view(np.uint32))
    finally:
        nf.set_num_threads(threads)
    values = np.float32([0.3, -0.7, 2.6, -5.2, 7.0])
    y = nf.round(np.repeat(values, 20000), "e2m1", "sr", seed=3).reshape(values.size, -1)
    want = np.float32([0.3, -0.7, 2.6, -5.2, 6.0])
    assert np.all(np.abs(y.mean(axis=1, dtype=np.float64) - want) < 5 * 1.0 * 0.5 / np.sqrt(20000))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_count_spans_count_blocks(dtype):
    """round_nearest32 counts NaN inputs in uint32 lanes by blocks of COUNT_BLOCK (float64 inputs:
    their stand-ins, by tiles that divide it): NaNs at both ends of several blocks are all
    counted (the error for a format without NaN names them)."""
    block = kern.COUNT_BLOCK
    x = np.ones(3 * block + 5, dtype)
    idx = [0, block - 1, block, 2 * block - 1, 2 * block, x.size - 1]
    x[idx] = np.nan
    assert int(np.isnan(nf.round(x, "e4m3")).sum()) == len(idx)
    with pytest.raises(ValueError, match=f"{len(idx)} of {x.size} elements of x are NaN"):
        nf.round(x, "e2m1")


_LOW_HALVES = np.array([0, 1, 0x0FFF, 0x1000, 0x1001, 0x7FFF, 0x8000, 0x8001, 0xFFFF], np.uint32)


@pytest.mark.parametrize("name", ["bfloat16", "tf32"])
@pytest.mark.parametrize("overflow", ["ieee", "saturate"])
@pytest.mark.parametrize("mode", [m for m in Rounding if m != Rounding.STOCHASTIC])
def test_same_range_kernel_matches_round_one(name, overflow, mode):
    """``round_same_range32`` (uint32 lanes) and its codes (``encode_same_range32``) against the
    generic kernels, bit for bit, on every float32 top half with low halves at the ties and
    bounds of bfloat16's and tf32's quanta."""
    fmt = nf.format(name)
    bits = ((np.arange(1 << 16, dtype=np.uint32) << np.uint32(16))[:, None] | _LOW_HALVES).ravel()
    fast, generic = np.empty_like(bits), np.empty_like(bits)
    p, c = cf.same_range_params(fmt, mode, overflow), cf.kernel_params(fmt, False, mode, overflow, "raise")
    kern.round_same_range32(bits, fast, p)
    kern.round_bits32(bits.view(np.int32), generic.view(np.int32), c[0])
    np.testing.assert_array_equal(fast, generic)
    nans = (np.uint32(c[1].nan0), np.uint32(c[1].nan1))
    kern.encode_same_range32(bits, fast, p, nans)
    kern.encode32(bits.view(np.int32), generic, c[1])
    np.testing.assert_array_equal(fast, generic)


@pytest.mark.parametrize("name", ["bfloat16", "tf32"])
@pytest.mark.parametrize("sr_bits", [3, 32, 40])
def test_same_range_stochastic_codes_match_round_one(name, sr_bits):
    """``encode_same_range_sr32`` (seeded, from an odd start, and with explicit bits) against the
    generic ``encode_sr32``, bit for bit, on every float32 top half with low halves at the ties
    and bounds (spanning several of its tiles)."""
    fmt = nf.format(name)
    bits = ((np.arange(1 << 16, dtype=np.uint32) << np.uint32(16))[:, None] | _LOW_HALVES).ravel()
    mode = Rounding.STOCHASTIC
    p, c = cf.same_range_params(fmt, mode, "ieee"), cf.kernel_params(fmt, False, mode, "ieee", "raise")[1]
    nans = (np.uint32(c.nan0), np.uint32(c.nan1))
    sr = cf.sr_params(fmt, False, sr_bits, "add")
    for rand in (NO_RANDOM_BITS, np.random.default_rng(1).integers(0, 1 << sr_bits, bits.size + 3)):
        fast, generic = np.empty_like(bits), np.empty_like(bits)
        kern.encode_same_range_sr32(bits, fast, 3, cf.given_bits(rand), np.uint64(9), p, sr_bits, nans)
        kern.encode_sr32(bits.view(np.int32), generic, 3, rand, np.uint64(9), c, sr)
        np.testing.assert_array_equal(fast, generic)


def _float64_cases(fmt, seed: int) -> np.ndarray:
    """float64 values spread over float32's range and beyond its subnormals, fmt's ties (the
    midpoints of its grid, normal and subnormal) and values a float64 step or 2**-40 of them
    away either side (float32 would round those onto the tie: a stand-in must keep them apart),
    signed zeros, Inf and NaN."""
    rng = np.random.default_rng(seed)
    spread = rng.standard_normal(30000) * 2.0 ** rng.integers(-170, 127, 30000)
    ties = 1 + (2 * rng.integers(0, 1 << fmt.man_bits, 3000) + 1) * 2.0 ** -(fmt.man_bits + 1)
    ties = np.ldexp(ties, rng.integers(fmt.emin - fmt.man_bits - 2, fmt.info.maxexp, ties.size)) * rng.choice([-1, 1], ties.size)
    near = np.concatenate([ties, np.nextafter(ties, 0), np.nextafter(ties, np.inf), ties * (1 + 2.0 ** -40),
                           ties * (1 - 2.0 ** -40)])
    return np.concatenate([spread, near, [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1e-300, 2.0 ** -149]])


@pytest.mark.parametrize("fmt", FAST + [nf.format("bfloat16"), nf.format("tf32")], ids=lambda f: f.name)
def test_float64_encodes_through_float32_stand_ins(fmt):
    """float64 x rounded to odd in float32 gives the float64 kernel's codes bit for bit in every
    mode the float32 kernels take (nearest even and the other deterministic modes), both
    overflow policies: stand-ins made by the kernels tile by tile (``casts.floating.
    _kernel_stand_ins``; a magnitude of 2**127 or more stands in as the largest float32), or
    where fmt's largest value is 2**127 or more (bfloat16, tf32) slabs of stand-ins
    (``_by_stand_ins``, 4,099 here), whose last slab with such a magnitude sends the whole x to
    the float64 kernel."""
    x = _float64_cases(fmt, 7)
    x = x[np.abs(x) < 2.0 ** 127]
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    modes = [m for m in Rounding if m != Rounding.STOCHASTIC]
    for mode, overflow, huge in itertools.product(modes, ("ieee", "saturate"), (False, True)):
        data = np.append(x, 3.0e38) if huge else x
        in_kernels = cf._kernel_stand_ins(data, fmt, mode, overflow, nan, None)
        with mock.patch.object(cf, "STAND_IN_SLAB", 4099), \
                mock.patch.object(cf, "_by_stand_ins", wraps=cf._by_stand_ins) as slabs:
            got = nf.encode(data, fmt, mode, overflow, nan=nan)
        assert slabs.call_count == (not in_kernels) and in_kernels == (fmt.info.max < 2.0 ** 127), (mode, overflow)
        with mock.patch.object(cf, "_may_stand_in", lambda *args: False):
            want = nf.encode(data, fmt, mode, overflow, nan=nan)
        np.testing.assert_array_equal(got, want, err_msg=f"{mode} {overflow}")


@pytest.mark.parametrize("fmt", [f for f in FAST if f.info.max < 2.0 ** 127], ids=lambda f: f.name)
def test_float64_values_through_float32_stand_ins(fmt):
    """float64 x rounded to fmt's values by the float32 kernels on stand-ins made in the kernel
    (``kernels.floating.round_nearest_odd64`` / ``round_directed_odd64``; counted by
    ``kernels.report``'s float32 counts, ``_count32``) equals the float64 kernel bit for bit in
    every deterministic mode, both overflow policies, magnitudes beyond float32's range
    included (their stand-in, the largest float32, overflows as they do); so do the report's
    counts and first indices."""
    x = np.concatenate([_float64_cases(fmt, 11), [3.0e38, -3.5e38, 1e300, -2.0 ** 200]])
    nan = "raise" if fmt.has_nan else "ml_dtypes"
    for mode, overflow in itertools.product([m for m in Rounding if m != Rounding.STOCHASTIC], ("ieee", "saturate")):
        kernel = "round_nearest_odd64" if mode == Rounding.NEAREST_EVEN else "round_directed_odd64"
        with mock.patch.object(kern, kernel, wraps=getattr(kern, kernel)) as spy:
            got = nf.round(x, fmt, mode, overflow, nan=nan)
        assert spy.called
        counted, report = nf.round(x, fmt, mode, overflow, nan=nan, report=True)
        with mock.patch.object(cf, "_may_stand_in", lambda *args: False):
            want, want_report = nf.round(x, fmt, mode, overflow, nan=nan, report=True)
        for values in (got, counted):
            np.testing.assert_array_equal(values.view(np.uint64), want.view(np.uint64), err_msg=f"{mode} {overflow}")
        assert report == want_report and report.first == want_report.first, (mode, overflow)
