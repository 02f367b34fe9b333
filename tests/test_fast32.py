"""The float32 fast kernels (``round_nearest32``, ``round_sr_add32``) against the generic
kernels (``round_bits32``, ``round_sr32``: ``round_one``), bit for bit, and the casts that
take them."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import numfmt as nf
from numfmt.casts import floating as cf
from numfmt.casts.common import NO_RANDOM_BITS
from numfmt.kernels import floating as kern
from numfmt.random import DRAW_BLOCK
from numfmt.rounding import Rounding
from numfmt.testing import arrays, formats, registered_float_formats

FAST = [f for f in registered_float_formats() if cf.fast32_params(f, "ieee", "raise") is not None]
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
        nans = kern.round_sr_add32(x.view(np.uint32), out.view(np.uint32), start, rand, np.uint64(seed), p,
                                   np.int64(k))
    else:
        nans = kern.round_nearest32(x.view(np.uint32), out.view(np.uint32), p)
    return out.view(np.uint32), nans


def _check(x, fmt, overflow="ieee", nan="raise", k=0, rand=NO_RANDOM_BITS, seed=0, start=0):
    got, nans = _fast(x, fmt, overflow, nan, k, rand, seed, start)
    want = _generic(x, fmt, overflow, nan, k, rand, seed, start)
    bad = got != want
    assert not bad.any(), (fmt, overflow, nan, k, x[bad][:4], got[bad][:4], want[bad][:4])
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
    """Every float32, nearest_even and stochastic (32 seeded bits)."""
    chunk = 1 << 26
    for offset in range(0, 1 << 32, chunk):
        x = np.arange(offset, offset + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        _check(x, fmt)
        _check(x, fmt, k=32, seed=offset, start=offset)


def test_casts_take_the_fast_kernels():
    """nf.round of float32 takes them (float64 inputs take the generic kernel); a format
    without NaN still refuses NaN inputs, counted by the kernel."""
    x = _float32_sample(999_983, 5)
    x = x[~np.isnan(x)]
    for name in ("e4m3", "e2m1", "binary16"):
        for kwargs in ({}, {"rounding": "sr", "seed": 1}, {"rounding": "sr", "seed": 1, "sr_bits": 7}):
            fast = nf.round(x, name, overflow="saturate", **kwargs)
            generic = nf.round(x.astype(np.float64), name, overflow="saturate", **kwargs).astype(np.float32)
            np.testing.assert_array_equal(fast.view(np.uint32), generic.view(np.uint32))
    with pytest.raises(ValueError, match="2 of 4 elements of x are NaN"):
        nf.round(np.float32([1, np.nan, -np.nan, 2]), "e2m1")
    with pytest.raises(ValueError, match="1 of 2 elements of x are NaN"):
        nf.round(np.float32([1, np.nan]), "e2m1", "sr", seed=0)
