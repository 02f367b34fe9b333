"""The float32 fast path of block formats (``kernels.block.quantize_pow2_fast32``,
``quantize_fp32_scaled_fast``) bit for bit against the generic block kernels: values and codes,
nearest_even and stochastic rounding (seeded and explicit bits), both layouts, padded shapes,
hard blocks and spread samples of float32 bit patterns. NaN compares as NaN (its sign follows
the order LLVM gives a NaN product's operands); zeros compare with their signs."""
from __future__ import annotations

import contextlib
from contextlib import contextmanager
from unittest import mock

import numba as nb
import numpy as np
import pytest
from sampling import ci_chosen, ci_sample, slow_twin
from hypothesis import assume, given, settings, strategies as st

import numfmt as nf
from numfmt.casts import block as block_casts, floating
from numfmt.kernels import block as kern
from numfmt.kernels import floating as kern_float
from numfmt.rounding import Rounding
from numfmt.testing import hard_blocks

FLOAT_BLOCKS = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "nvfp4"]
CUSTOM = [nf.BlockFormat("e4m3", 16, "e8m0", scale_rule=rule, name=f"e4m3_16_{rule}")
          for rule in ("ceil", "even", "rceil")]
CUSTOM += [nf.BlockFormat(nf.FloatFormat(5, 6), 7, "e8m0", name="e5m6_7"),
           nf.BlockFormat("e2m1", 16, "e4m3", name="e2m1_16_e4m3"),        # one level: no tensor scale
           nf.BlockFormat("e3m2", 3, "e5m2", name="e3m2_3_e5m2")]
FIXED = [nf.format("mxint8"), nf.BlockFormat(nf.FixedFormat(8, 6), 32, "e8m0", symmetric=True, name="mxint8_sym"),
         nf.BlockFormat(nf.FixedFormat(6, 2), 7, "e8m0", scale_rule="ceil", name="fixed62_7_ceil")]
FORMATS = [nf.format(name) for name in FLOAT_BLOCKS] + CUSTOM + FIXED
MODES = ["nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"]


@contextmanager
def generic():
    """The generic block kernels in place of the fast ones."""
    with mock.patch.object(block_casts, "fast32_element", lambda *args: None), \
            mock.patch.object(block_casts, "fixed32_element", lambda *args: None):
        yield


def same(a, b) -> bool:
    """Equal bit for bit, NaN as NaN; BlockCodes by their codes (NaN codes of either sign alike:
    the sign of v * NaN, a NaN scale's element, is the operand order's) and scales."""
    if isinstance(a, nf.BlockCodes) and a.fmt.element.family == "fixed":
        return same(a.codes, b.codes) and same(a.scales, b.scales)
    if isinstance(a, nf.BlockCodes):
        nan = np.isnan(floating.decode_float(a.codes, a.fmt.element, np.float64))
        return (np.array_equal(nan, np.isnan(floating.decode_float(b.codes, a.fmt.element, np.float64)))
                and same(a.codes[~nan], b.codes[~nan]) and same(a.scales, b.scales) and a.tensor_scale == b.tensor_scale)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    nan = np.isnan(a)
    return np.array_equal(nan, np.isnan(b)) and np.array_equal(a[~nan].view(np.uint32), b[~nan].view(np.uint32))


def outcome(op, *args, **kw):
    """op's result, or its error as (type, message)."""
    try:
        return op(*args, **kw)
    except (OverflowError, ValueError) as e:
        return type(e), str(e)


def check(x, fmt, **kw):
    """round and encode of x through the fast path (asserted taken) equal the generic path
    (or raise the same error: float32 overflow of values)."""
    for op in (nf.round, nf.encode):
        names = ("quantize_pow2_fast32", "quantize_pow2_directed32", "quantize_pow2_int32", "quantize_fp32_scaled_fast",
                 "quantize_fp32_scaled_directed", "quantize_pow2_fixed32", "quantize_pow2_fixed_fast32")
        with contextlib.ExitStack() as stack:
            spies = [stack.enter_context(mock.patch.object(kern, name, wraps=getattr(kern, name))) for name in names]
            fast = outcome(op, x, fmt, **kw)
        assert any(spy.called for spy in spies), "the fast path was not taken"
        with generic():
            ref = outcome(op, x, fmt, **kw)
        assert fast == ref if isinstance(ref, tuple) else same(fast, ref), (op.__name__, fmt.name, kw)


def spread(n: int, seed: int) -> np.ndarray:
    """n float32 bit patterns spread over the whole range (every exponent, both signs, NaN,
    Inf, zeros, subnormals)."""
    rng = np.random.default_rng(seed)
    bits = (np.arange(n, dtype=np.uint64) * ((1 << 32) // n) + rng.integers(0, (1 << 32) // n, n)).astype(np.uint32)
    return rng.permutation(bits).view(np.float32)


def blocks_of(fmt, n, seed) -> np.ndarray:
    """n hard blocks (zeros, subnormal, special, ties, clamps, ...) and a spread sample, (n, bs)."""
    x = hard_blocks(fmt, n, seed)
    x[::3] = spread(x[::3].size, seed).reshape(x[::3].shape)
    return x


SR = st.one_of(st.just({}), st.builds(lambda k, seed: {"rounding": "stochastic", "sr_bits": k, "seed": seed},
                                      st.integers(1, 32), st.integers(0, 2 ** 63)),
               st.just("explicit"))
FIXED_SR = st.builds(lambda k, rule, seed: {"rounding": "stochastic", "sr_bits": k, "sr_rule": rule, "seed": seed},
                     st.integers(1, 62), st.sampled_from(["add", "nearest"]), st.integers(0, 2 ** 63))


FAST_PATH_CASES = (st.sampled_from(FORMATS), st.one_of(SR, FIXED_SR), st.integers(0, 2 ** 32 - 1), st.integers(1, 9),
                   st.integers(1, 5), st.booleans(), st.booleans())


@settings(max_examples=5)      # (each example compiles; the slow twin below draws 100)
@given(*FAST_PATH_CASES)
def test_fast_path_matches_generic(fmt, kw, seed, rows, inner, axis0, ragged):
    # float elements take sr_rule "add" with at most 32 bits; fixed-point ones any stochastic rounding
    assume(fmt.element.family == "fixed" or kw == "explicit" or kw.get("sr_bits", 0) <= 32 and "sr_rule" not in kw)
    bs = fmt.block_size
    base = blocks_of(fmt, rows * inner, seed)                  # (rows * inner, bs)
    x = base.reshape(rows, inner, bs).transpose(0, 2, 1).reshape(rows * bs, inner) if axis0 else base
    axis = 0 if axis0 else -1
    pad = ragged and x.shape[axis] > 1
    if pad:
        x = x[:-1] if axis0 else x[:, :-1]
    if kw == "explicit":
        k = int(np.random.default_rng(seed).integers(1, 33))
        kw = {"rounding": "stochastic", "sr_bits": k,
              "random_bits": np.random.default_rng(seed).integers(0, 1 << k, x.shape)}
    check(np.ascontiguousarray(x), fmt, axis=axis, pad=pad, **kw)


# one format of each kind of element and scale in the default run, every format under -m slow
@pytest.mark.parametrize("fmt", ci_chosen(FORMATS, ("mxfp8_e4m3", "nvfp4", "e2m1_16_e4m3", "e3m2_3_e5m2", "mxint8"),
                                          lambda f: f.name))
def test_lean_groups(fmt):
    """A plain round's last group of blocks along the last axis cut short
    (``kernels.block._lean_rows``): a block count 3 past a multiple of POW2_GROUP and
    LEAN_GROUP, along either axis (whole rows of inner blocks there)."""
    blocks = blocks_of(fmt, 2 * kern.GROUP + 3, 3)          # (n, bs)
    assert blocks.shape[0] % kern.POW2_GROUP == blocks.shape[0] % kern.LEAN_GROUP == 3
    check(blocks, fmt, axis=-1)
    check(np.ascontiguousarray(blocks.T), fmt, axis=0)


@pytest.mark.parametrize("fmt", ci_sample(FORMATS, 6, ids=[f.name for f in FORMATS]))
def test_spread_sample(fmt):
    """2**16 float32 patterns over the whole range, normal data x 10, scales at the top and
    the bottom of the scale range, along both axes and a middle axis (3-D)."""
    rng = np.random.default_rng(1)
    row = 8 * fmt.block_size
    x = spread((1 << 16) // row * row, 2).reshape(-1, row)
    scales = 2.0 ** rng.integers(-150, 125, (x.shape[0], 1))
    normal = (rng.standard_normal(x.shape) * scales).astype(np.float32)
    for data in (x, normal):
        check(data, fmt, axis=-1)
        check(np.ascontiguousarray(data.T), fmt, axis=0)
        check(data.reshape(-1, 2 * fmt.block_size, 4), fmt, axis=1)
        check(data, fmt, axis=-1, rounding="stochastic", seed=5, sr_bits=32)
        check(np.ascontiguousarray(data.T), fmt, axis=0, rounding="stochastic", seed=6, sr_bits=3)


def test_takes_only_what_it_can():
    """Generic path for float64 inputs, sr_rule "nearest", more than 32 random bits and
    fixed-point elements; the directed modes take the (Fast32Params, Mode32) pair of
    ``kernels.block.directed_element32``."""
    fmt = nf.format("mxfp8_e4m3")
    sr = ("seed", 8, "add", None)
    assert block_casts.fast32_element(fmt, np.float32, Rounding.NEAREST_EVEN, None) is not None
    assert block_casts.fast32_element(fmt, np.float32, Rounding.STOCHASTIC, sr) is not None
    assert block_casts.fast32_element(fmt, np.float64, Rounding.NEAREST_EVEN, None) is None
    assert isinstance(block_casts.fast32_element(fmt, np.float32, Rounding.TOWARD_ZERO, None)[0][1], kern_float.Mode32)
    assert block_casts.fast32_element(fmt, np.float32, Rounding.STOCHASTIC, ("seed", 8, "nearest", None)) is None
    assert block_casts.fast32_element(fmt, np.float32, Rounding.STOCHASTIC, ("seed", 40, "add", None)) is None
    assert block_casts.fast32_element(nf.format("mxint8"), np.float32, Rounding.NEAREST_EVEN, None) is None


@pytest.mark.parametrize("fmt", [nf.format(name) for name in FLOAT_BLOCKS] + CUSTOM[-2:], ids=lambda f: f.name)
@pytest.mark.parametrize("rounding", MODES)
def test_float_directed_modes(fmt, rounding):
    """Float elements take the other deterministic modes in float32 too (``directed_element32``;
    power-of-two scales: quotients below float32's normal range kept nonzero, ``_mul32_sticky``),
    tiny and huge blocks included."""
    x = blocks_of(fmt, 512, 5)
    x[1::4] *= np.float32(2.0 ** -100)
    x[2::8] *= np.float32(2.0 ** 100)
    check(x, fmt, axis=-1, rounding=rounding)
    check(np.ascontiguousarray(x.T), fmt, axis=0, rounding=rounding)


@pytest.mark.parametrize("fmt", FIXED, ids=lambda f: f.name)
@pytest.mark.parametrize("rounding", MODES)
def test_fixed_directed_modes(fmt, rounding):
    """Fixed-point elements take every mode in float32 (tiny quotients included)."""
    x = blocks_of(fmt, 512, 3)
    x[1::4] *= np.float32(2.0 ** -100)
    check(x, fmt, axis=-1, rounding=rounding)
    check(np.ascontiguousarray(x.T), fmt, axis=0, rounding=rounding)


@pytest.mark.slow
@pytest.mark.parametrize("name", FLOAT_BLOCKS + ["mxint8"])
def test_float32_sweep(name):
    """2**28 float32 bit patterns (16 sweeps of the whole range at a stride of 256, each at its
    own offset), along the last axis, nearest_even and seeded stochastic rounding, values and
    codes (about a minute a format)."""
    fmt = nf.format(name)
    offsets = np.random.default_rng(0).permutation(256)[:16]
    for offset in offsets:
        x = (np.arange(1 << 24, dtype=np.uint64) * 256 + offset).astype(np.uint32).view(np.float32)
        x = x.reshape(-1, 32 * fmt.block_size)
        check(x, fmt, axis=-1)
        check(x, fmt, axis=-1, rounding="stochastic", seed=int(offset), sr_bits=32)


@nb.njit
def _exponents(bits, rule):
    """(shared_exponent32, shared_exponent) of each float32 amax bit pattern."""
    ours, ref = np.empty(bits.size, np.int64), np.empty(bits.size, np.int64)
    rule_id, emax_elem, msig_frac, even_frac, s_lo, s_hi = rule
    for i in range(bits.size):
        ours[i] = kern.shared_exponent32(np.int32(bits[i]), rule)
        ref[i] = kern.shared_exponent(np.int64(bits[i]), rule_id, emax_elem, msig_frac, even_frac, s_lo, s_hi, 23)
    return ours, ref


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.power_of_two], ids=lambda f: f.name)
def test_shared_exponent32(fmt):
    """The int32 shared exponent of the fast kernels equals ``shared_exponent`` (binary search
    normalization) for amax at every exponent field with the rules' threshold fractions around
    them, every subnormal bit length, Inf and NaN."""
    rule = block_casts.rule_params(fmt, 23)
    fracs = {0, 1, 0x7FFFFF, 0x400000} | {max(0, min(f + d, 0x7FFFFF)) for f in rule[2:4] for d in (-1, 0, 1)}
    bits = [(e << 23) | f for e in range(255) for f in fracs]
    bits += [(1 << b) + d for b in range(23) for d in (0, 1, -1) if (1 << b) + d > 0] + [0, 0x7F800000, 0x7FC00000]
    ours, ref = _exponents(np.array(bits, np.int32), rule)
    assert np.array_equal(ours, ref)


def test_nvfp4_total_scale_underflow():
    """A block of zeros whose total scale ts * scale underflows to 0 (a tensor amax near
    2**-137: ts is 2**-149) divides 0 by 0, NaN, as torchao does; the fast path keeps it."""
    fmt = nf.format("nvfp4")
    x = np.zeros((2, 32), np.float32)
    x[1] = np.float32(2.0 ** -139)
    x[1, 3] = np.float32(2.0 ** -137)
    assert np.isnan(nf.round(x, fmt)[0]).all()
    check(x, fmt, axis=-1)
    check(np.ascontiguousarray(x.T), fmt, axis=0)


@pytest.mark.parametrize("bs", [1, 3, 6, 16, 32])
def test_block_amax32(bs):
    """nvfp4's first pass (``kernels.block.block_amax32``) over a row range: every block's amax
    bits (blocks along the last axis and inner blocks) and the largest finite magnitude, also
    where it shares its block with an Inf or a NaN, against numpy."""
    rng = np.random.default_rng(bs)
    x = spread(40 * bs * 3, bs).reshape(40, bs, 3)
    x[np.abs(x) > 1e30] = 1.0
    x[7, 0, 1], x[7, -1, 1], x[9, bs // 2, 2] = np.inf, np.float32(3e30), np.nan
    x[2, 0, 0] = -np.float32(2e30)                    # outside the row range below
    bits = x.view(np.int32) & 0x7FFFFFFF
    for x3 in (x, np.ascontiguousarray(x.transpose(0, 2, 1)).reshape(-1, bs, 1)):
        data = x3.reshape(x3.shape[:2]) if x3.shape[2] == 1 else x3
        inner = x3.shape[2]
        lo, hi = 3 * 3 // inner, x3.shape[0] - 2
        amax = np.full(x3.shape[0] * inner, -1, np.int32)
        m = kern.block_amax32(data, lo, hi, amax)
        b = x3.view(np.int32)[lo:hi] & 0x7FFFFFFF
        assert np.array_equal(amax[lo * inner:hi * inner], b.max(axis=1).reshape(-1))
        assert (amax[:lo * inner] == -1).all() and (amax[hi * inner:] == -1).all()
        assert m == np.where(b < 0x7F800000, b, 0).max() == np.float32(3e30).view(np.int32)
    assert bits.max() >= 0x7F800000


def test_nvfp4_tensor_amax_beside_inf(monkeypatch):
    """The tensor scale of nvfp4 comes from the largest finite magnitude, here in a block with
    an Inf (whose scale is NaN), along either axis, on one thread and on two (row ranges)."""
    monkeypatch.setattr("numfmt.parallel.CPUS", 2)    # two threads even on a one-CPU machine
    fmt = nf.format("nvfp4")
    x = np.random.default_rng(0).standard_normal((1024, 256)).astype(np.float32)
    x[1000, 16], x[1000, 17], x[3, 40] = np.inf, np.float32(1e6), np.nan
    old = nf.get_num_threads()
    try:
        for threads in (1, 2):
            nf.set_num_threads(threads)
            for axis in (-1, 0):
                assert nf.encode(x, fmt, axis=axis).tensor_scale == np.float32(1e6) / np.float32(6.0 * 448.0)
                check(x, fmt, axis=axis)
    finally:
        nf.set_num_threads(old)


def test_nvfp4_with_the_tensor_amax_given_takes_one_pass():
    """Given the tensor's amax (a chunk of it, ``numfmt.distributed``), the fast kernel finds
    each group's block amaxes in its own pass, without ``block_amax32``: the same values, codes
    and counts as the two passes, along either axis, with an Inf and a NaN in the data."""
    fmt = nf.format("nvfp4")
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((64, 96)) * 2.0 ** rng.integers(-20, 28, (64, 1))).astype(np.float32)
    x[5, 7], x[9, 40] = np.inf, np.nan
    amax = block_casts.finite_amax(x)
    args = (x, fmt, Rounding.NEAREST_EVEN, "saturate", "raise")
    for axis in (-1, 0):
        with mock.patch.object(kern, "block_amax32", wraps=kern.block_amax32) as first:
            given = block_casts.round_float(*args, axis=axis, amax=amax, count=0)
            codes = block_casts.encode_float(*args, axis=axis, amax=amax)
        assert not first.called
        two_passes = block_casts.round_float(*args, axis=axis, count=0)
        assert same(given[0], two_passes[0])
        assert all(np.array_equal(a, b) for a, b in zip(given[1], two_passes[1]))
        want = block_casts.encode_float(*args, axis=axis)
        assert same(codes.codes, want.codes) and same(codes.scales, want.scales)
        assert codes.tensor_scale == want.tensor_scale


test_fast_path_matches_generic_wide = slow_twin(
    test_fast_path_matches_generic, settings(max_examples=100, deadline=None), *FAST_PATH_CASES)
