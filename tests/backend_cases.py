"""The tests every array backend (numfmt.torch, numfmt.jax) passes: results bit-identical to the
NumPy path. A test module defines a module-scoped fixture ``fw`` (a ``Framework``) and imports
these test functions."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt import testing as nft
from numfmt.casts.floating import float32_domain
from numfmt.casts.posit import cast_domain64
from sampling import slow_twin  # noqa: E402


# what the backend test modules import (from backend_cases import *)
__all__ = ["Framework", "assert_same",
           "test_round_encode_match_numpy", "test_stochastic_matches_numpy",
           "test_explicit_random_bits_match_numpy", "test_decode_every_code_matches_numpy",
           "test_round_encode_match_numpy_long", "test_stochastic_matches_numpy_long",
           "test_explicit_random_bits_match_numpy_long", "test_decode_every_code_matches_numpy_long",
           "test_float32_slice_sample", "test_float32_slice_exhaustive",
           "test_errors_match_numpy", "test_rng_squares_matches_numpy", "test_rng_errors_match_numpy",
           "test_family_round_encode_match_numpy", "test_posit_explicit_random_bits_match_numpy",
           "test_posit_decode_matches_numpy", "test_posit_errors_match_numpy",
           "test_fixed_decode_matches_numpy", "test_family_float32_slice_sample",
           "test_family_float32_slice_exhaustive", "test_fixed_errors_match_numpy",
           "test_block_formats_match_numpy", "test_block_formats_match_numpy_long", "test_block_errors_match_numpy",
           "test_decode_of_numpys_block_codes",
           "test_integer_inputs_match_numpy", "test_integer_input_errors_match_numpy",
           "test_seed_with_random_bits_matches_numpy", "test_packed_block_codes_match_numpy",
           "test_same_range_fast_path_matches_round_one"]


@dataclass
class Framework:
    """How a test reaches a backend: its module, array conversion both ways, and whether it
    has float64 (JAX: x64 mode)."""

    name: str
    module: object
    to: Callable            # numpy array -> framework array (on the device under test)
    back: Callable          # framework array -> numpy array
    has_float64: bool = True

    def usable(self, fmt, x: np.ndarray) -> bool:
        return self.has_float64 or (x.dtype == np.float32 and float32_domain(fmt))


def bits_of(a: np.ndarray) -> np.ndarray:
    """Values as their bit patterns (NaN payloads and signed zeros compared); codes as ints."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return a.view({4: np.uint32, 8: np.uint64}[a.dtype.itemsize])
    return a.astype(np.uint64)


def assert_same(expected: np.ndarray, got) -> None:
    got = np.asarray(got)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.dtype)
    mismatch = bits_of(expected) != bits_of(got)
    assert not mismatch.any(), (f"{int(mismatch.sum())} mismatches, first at {np.argwhere(mismatch)[0]}: "
                                f"expected {expected[mismatch][:3]}, got {got[mismatch][:3]}")


def same_call(fw: Framework, op: str, x: np.ndarray, *args, strided: bool = False, **kwargs) -> None:
    """op on NumPy and on the backend: the same bits, or the same error."""
    try:
        expected = np.asarray(getattr(nf, op)(x, *args, **kwargs))
    except (ValueError, TypeError, OverflowError) as exc:
        with pytest.raises(type(exc)) as info:
            getattr(fw.module, op)(_layout(fw, x, strided), *args, **kwargs)
        assert str(info.value).split(";")[0] == str(exc).split(";")[0]
        return
    assert_same(expected, fw.back(getattr(fw.module, op)(_layout(fw, x, strided), *args, **kwargs)))


def _layout(fw: Framework, x: np.ndarray, strided: bool):
    """x on the backend; strided: a non-contiguous view holding the same values."""
    if not strided or x.ndim != 2:
        return fw.to(x)
    return fw.to(np.ascontiguousarray(x.T)).T


@st.composite
def cases(draw, float64: bool = True, family: str = "float"):
    """(fmt, x): a format of the family and inputs that stress its rounding (specials and
    signed zeros included), float32 or float64, 1-d or 2-d."""
    if family == "posit":
        fmt = draw(nft.posit_formats(max_bits=32))
        value = st.one_of(nft.posit_rounding_cases(fmt, allow_special=True), st.sampled_from([0.0, -0.0]))
    elif family == "fixed":
        fmt = draw(nft.fixed_formats(max_bits=32))
        value = st.one_of(nft.fixed_rounding_cases(fmt), st.sampled_from([0.0, -0.0, math.inf, -math.inf]))
    else:
        fmt = draw(nft.formats(max_bits=16))
        value = nft.rounding_cases(fmt, allow_special=True)
    size = draw(st.sampled_from([1, 3, 8, 24]))     # few shapes: JAX compiles each new one
    values = draw(st.lists(value, min_size=size, max_size=size))
    dtype = draw(st.sampled_from([np.float32, np.float64] if float64 else [np.float32]))
    with np.errstate(over="ignore"):
        x = np.array(values, np.float64).astype(dtype)
    if x.size % 2 == 0 and draw(st.booleans()):
        x = x.reshape(2, -1)
    return fmt, x


# The default run's samples of the four tests below (JAX traces and compiles each new shape and
# dtype: their examples are most of this file's time there); the *_long twins under -m slow draw
# the full samples.
ROUND_CASES = dict(data=st.data(), mode=nft.rounding_modes(), overflow=st.sampled_from(["ieee", "saturate", "raise"]),
                   nan=st.sampled_from(["raise", "ml_dtypes"]), strided=st.booleans())
STOCHASTIC_CASES = dict(data=st.data(), seed=st.integers(0, 2**64 - 1), sr_bits=st.integers(1, 62),
                        sr_rule=st.sampled_from(["add", "nearest"]), strided=st.booleans())
BITS_CASES = dict(data=st.data(), sr_bits=st.integers(1, 62))


@settings(max_examples=25)
@given(**ROUND_CASES)
def test_round_encode_match_numpy(fw, data, mode, overflow, nan, strided):
    fmt, x = data.draw(cases(fw.has_float64))
    if not fw.usable(fmt, x):
        return
    for op in ("round", "encode"):
        same_call(fw, op, x, fmt, mode, overflow, nan=nan, strided=strided)


@settings(max_examples=15)
@given(**STOCHASTIC_CASES)
def test_stochastic_matches_numpy(fw, data, seed, sr_bits, sr_rule, strided):
    fmt, x = data.draw(cases(fw.has_float64))
    if not fw.usable(fmt, x):
        return
    for op in ("round", "encode"):
        same_call(fw, op, x, fmt, "stochastic", nan="ml_dtypes", seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                  strided=strided)


@settings(max_examples=10)
@given(**BITS_CASES)
def test_explicit_random_bits_match_numpy(fw, data, sr_bits):
    fmt, x = data.draw(cases(False))
    if not fw.usable(fmt, x):
        return
    rand = np.array(data.draw(st.lists(st.integers(0, 2**sr_bits - 1), min_size=x.size, max_size=x.size)),
                    np.int64).reshape(x.shape)
    same_call(fw, "round", x, fmt, "stochastic", nan="ml_dtypes", sr_bits=sr_bits, random_bits=rand)


@settings(max_examples=12)
@given(fmt=nft.formats(max_bits=12))
def test_decode_every_code_matches_numpy(fw, fmt):
    codes = np.arange(1 << fmt.bits).astype(nf.encode(np.float32([0]), fmt).dtype)
    for dtype in ([np.float32, np.float64] if fw.has_float64 else [np.float32]):
        try:
            expected = nf.decode(codes, fmt, dtype)
        except ValueError:
            continue
        assert_same(expected, fw.back(fw.module.decode(fw.to(codes), fmt, dtype)))


# the exhaustive slices: every float32 whose top 16 bits are given, low bits random
SLICE_FORMATS = ["e4m3", "e5m2", "e3m2", "e2m1", "bfloat16", "binary16", "e4m3fnuz", "p3109_k8p3"]


def slice_inputs(step: int) -> np.ndarray:
    top = np.arange(0, 1 << 16, step, dtype=np.uint32) << np.uint32(16)
    low = np.random.default_rng(0).integers(0, 1 << 16, top.size, dtype=np.uint32)
    return (top | low).view(np.float32)


def check_slice(fw, step: int) -> None:
    x = slice_inputs(step)
    for name in SLICE_FORMATS:
        try:
            fmt = nf.format(name)
        except ValueError:
            continue
        for mode in ("nearest_even", "toward_negative", "odd"):
            same_call(fw, "encode", x, fmt, mode, nan="ml_dtypes")
        same_call(fw, "round", x, fmt, "nearest_away", "saturate", nan="ml_dtypes")
        same_call(fw, "round", x, fmt, "stochastic", nan="ml_dtypes", seed=7)


def test_float32_slice_sample(fw):
    check_slice(fw, 61)


@pytest.mark.slow
def test_float32_slice_exhaustive(fw):
    check_slice(fw, 1)


def test_same_range_fast_path_matches_round_one(fw):
    """round of float32 to a format with float32's exponent field (bfloat16) takes the fixed-shift
    fast path (``kernels.floating.round_same_range``); encode takes round_one (decoded by NumPy): the
    same bits, in every deterministic mode, NaN and overflow included."""
    x = np.concatenate([slice_inputs(61), np.float32([np.inf, -np.inf, 3.4e38, -3.4e38, 1e-45, -0.0])])
    modes = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd"]
    for fmt in ("bfloat16", nf.FloatFormat(8, 10)) if fw.name == "torch" else ("bfloat16",):   # JAX compiles
        for mode in modes if fw.name == "torch" else modes[::2]:                                # each: fewer
            for overflow in ("ieee", "saturate"):
                codes = fw.back(fw.module.encode(fw.to(x), fmt, mode, overflow))
                assert_same(nf.decode(codes, fmt), fw.back(fw.module.round(fw.to(x), fmt, mode, overflow)))


def test_errors_match_numpy(fw):
    x = np.float32([1.0, np.nan, 1e6])
    same_call(fw, "round", x, "e2m1")                       # NaN into a format without NaN
    same_call(fw, "round", x, "e9m9x")                      # unknown format
    same_call(fw, "round", x, "e4m3", overflow="raise", nan="ml_dtypes")
    same_call(fw, "round", x, "e4m3", "stochastic", sr_bits=63)
    same_call(fw, "round", x, "e4m3", "sideways")
    same_call(fw, "round", x, "e4m3", sr_bits=8)
    same_call(fw, "round", np.float32([-1.0]), nf.FloatFormat(4, 3, signed=False, special="fn"))
    if fw.has_float64:     # int8 was "not a float format" before the fixed family came (issue 13)
        same_call(fw, "round", x, "int8")
    with pytest.raises(ValueError, match="must lie in"):
        fw.module.decode(fw.to(np.uint16([300])), "e4m3")
    with pytest.raises(ValueError, match="random_bits must lie"):
        fw.module.round(fw.to(x[:1]), "e4m3", "stochastic", sr_bits=4, random_bits=np.int64([16]))


@settings(max_examples=3)
@given(data=st.data(), seed=st.integers(0, 2**64 - 1), sr_bits=st.integers(1, 62),
       sr_rule=st.sampled_from(["add", "nearest"]))
def test_rng_squares_matches_numpy(fw, data, seed, sr_bits, sr_rule):
    """rng="squares": Widynski's Squares numbers (key squares_key(seed)), the same as NumPy's."""
    fmt, x = data.draw(cases(False))
    if not fw.usable(fmt, x):
        return
    for op in ("round", "encode"):
        same_call(fw, op, x, fmt, "stochastic", nan="ml_dtypes", seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                  rng="squares")


def test_rng_errors_match_numpy(fw):
    x = np.float32([1.3])
    same_call(fw, "round", x, "e4m3", "stochastic", seed=1, rng="mt19937")
    same_call(fw, "round", x, "e4m3", "stochastic", rng="squares", random_bits=np.int64([3]))


# ----------------------------------------------------------------------------- block formats
BLOCK_FORMATS = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "nvfp4",
                 nf.BlockFormat("e2m1", 4, "e8m0", scale_rule="ceil"),
                 nf.BlockFormat("e3m2", 3, "e8m0", scale_rule="even"),
                 nf.BlockFormat("e4m3", 4, "e8m0", scale_rule="rceil"), nf.BlockFormat("e2m1", 4, "e4m3"),
                 "mxint8", "bfp8", nf.BlockFormat(nf.FixedFormat(5, 3), 4, "e8m0", symmetric=True, scale_rule="even")]


@st.composite
def block_cases(draw, float64: bool = True):
    """(fmt, x, axis, pad): a block format, an array of 1 to 3 dimensions whose blocked axis
    holds one or two blocks (a short last one with pad), values over a wide range with zeros,
    ties, subnormals, near-overflow values and (rarely) NaN and Inf."""
    fmt = nf.format(draw(st.sampled_from(BLOCK_FORMATS if float64 else BLOCK_FORMATS[:-3])))   # fixed: x64
    ndim = draw(st.integers(1, 3))
    axis = draw(st.integers(-ndim, ndim - 1))
    pad = draw(st.booleans())
    shape = [draw(st.sampled_from([1, 3])) for _ in range(ndim)]
    shape[axis] = fmt.block_size * draw(st.integers(1, 2)) - (draw(st.integers(0, 2)) if pad else 0)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.float32, np.float64] if float64 else [np.float32]))
    scale = 2.0 ** draw(st.sampled_from([-140, -120, -20, 0, 20, 120]))
    x = rng.standard_normal(shape) * scale * 2.0 ** rng.integers(-12, 12, shape)
    special = rng.random(shape)
    x = np.where(special < 0.1, 0.0, x)
    x = np.where((special > 0.1) & (special < 0.3), np.round(rng.standard_normal(shape) * 16) * scale, x)   # ties
    x = np.where((special > 0.3) & (special < 0.33), 1e-40, x)
    if draw(st.integers(0, 9)) == 0:
        x.flat[rng.integers(x.size)] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 3e38]))
    with np.errstate(over="ignore"):
        return fmt, x.astype(dtype), axis, pad


def same_block_call(fw: Framework, op: str, x: np.ndarray, fmt, *args, strided: bool = False, **kwargs) -> None:
    """op (round or encode, then decode) of a block format on NumPy and on the backend: the same
    bits (codes, scale codes, tensor scale, values), or the same error. JAX may instead raise
    where XLA's flush of float32 subnormals would change an nvfp4 result (documented)."""
    try:
        expected = getattr(nf, op)(x, fmt, *args, **kwargs)
    except (ValueError, TypeError, OverflowError) as exc:
        with pytest.raises(type(exc)) as info:
            getattr(fw.module, op)(_layout(fw, x, strided), fmt, *args, **kwargs)
        assert str(info.value).split(";")[0] == str(exc).split(";")[0]
        return
    try:
        got = getattr(fw.module, op)(_layout(fw, x, strided), fmt, *args, **kwargs)
        if op == "encode":
            try:
                values = nf.decode(expected)
            except OverflowError:
                with pytest.raises(OverflowError):
                    fw.module.decode(got)
                values = nf.decode(expected, dtype=np.float64) if fw.has_float64 else None
            decoded = None if values is None else fw.module.decode(got, dtype=values.dtype)
    except ValueError as exc:
        if fw.name == "jax" and "flushes" in str(exc):
            return
        raise
    if op == "round":
        assert_same(np.asarray(expected), fw.back(got))
        return
    assert_same(expected.codes, fw.back(got.codes))
    assert_same(expected.scales, fw.back(got.scales))
    assert (got.axis, got.shape, got.fmt) == (expected.axis, expected.shape, expected.fmt)
    if expected.tensor_scale is None:
        assert got.tensor_scale is None
    else:
        assert_same(np.float32(expected.tensor_scale)[()], fw.back(got.tensor_scale)[()])
    if values is not None:
        assert_same(values, fw.back(decoded))


def check_blocks(fw: Framework, data, n: int) -> None:
    """n drawn block cases in every mode, both operations."""
    for _ in range(n):
        fmt, x, axis, pad = data.draw(block_cases(fw.has_float64))
        mode = data.draw(nft.rounding_modes())
        kwargs = dict(axis=axis, pad=pad, strided=data.draw(st.booleans()))
        if mode in ("stochastic", "sr"):
            kwargs.update(sr_bits=data.draw(st.integers(1, 62)), sr_rule=data.draw(st.sampled_from(["add", "nearest"])))
            source = data.draw(st.sampled_from(["splitmix64", "squares", "bits"]))
            if source == "bits":
                kwargs["random_bits"] = np.random.default_rng(1).integers(0, 1 << kwargs["sr_bits"], x.shape)
            else:
                kwargs.update(seed=data.draw(st.integers(0, 2**64 - 1)), rng=source)
        for op in ("round", "encode"):
            same_block_call(fw, op, x, fmt, mode, data.draw(st.sampled_from(["ieee", "saturate"])), **kwargs)


@settings(max_examples=1)
@given(data=st.data())
def test_block_formats_match_numpy(fw, data):
    """A small sample here (JAX compiles each new shape); the long run is marked slow."""
    check_blocks(fw, data, 3)


@pytest.mark.slow
@settings(max_examples=100)
@given(data=st.data())
def test_block_formats_match_numpy_long(fw, data):
    check_blocks(fw, data, 4)


def test_decode_of_numpys_block_codes(fw):
    """The backend decodes a BlockCodes that NumPy's encode made, packed or not (packed ones
    raised AttributeError: the unpacking took NumPy's codes for tensors)."""
    x = np.linspace(-3, 3, 64, dtype=np.float32).reshape(2, 32)
    for name, packed in (("mxfp4", False), ("mxfp4", True), ("mxfp6_e2m3", True), ("nvfp4", True)):
        codes = nf.encode(x, name, packed=packed)
        assert_same(nf.decode(codes), fw.back(fw.module.decode(codes)))


def test_block_errors_match_numpy(fw):
    x = np.float32(np.arange(64).reshape(2, 32))
    same_block_call(fw, "round", x[:, :31], "mxfp8_e4m3")                     # not a whole number of blocks
    same_block_call(fw, "round", x, "mxfp8_e4m3", axis=2)                     # no such axis
    same_block_call(fw, "round", x, "mxfp8_e4m3", axis=0)                     # 2 is not a multiple of 32
    same_block_call(fw, "round", x, "mxfp4", overflow="raise")
    same_block_call(fw, "encode", x, "mxfp4", nan="ml_dtypes")
    same_block_call(fw, "round", np.float32(1.0), "mxfp4")
    same_block_call(fw, "round", x, "mxfp4", "stochastic", sr_bits=0)
    same_block_call(fw, "round", x, "mxfp4", sr_bits=8)
    same_block_call(fw, "round", x, "mxfp4", "stochastic", rng="squares", random_bits=np.int64([3]))
    same_block_call(fw, "encode", x, "mxfp8_e4m3", packed=True)               # 8-bit elements: not packed
    same_block_call(fw, "round", x, "mxfp4", packed=True)                     # encode's option only
    if not fw.has_float64:      # fixed-point elements round on float64 bits
        with pytest.raises(ValueError, match="64-bit mode"):
            fw.module.round(fw.to(x), "mxint8")
    with pytest.raises(TypeError, match="BlockCodes"):
        fw.module.decode(fw.to(np.uint8([1])), "mxfp4")
    with pytest.raises(TypeError, match="block formats only"):
        fw.module.round(fw.to(x), "e4m3", axis=0)


# -- the posit family ---------------------------------------------------------------------------
POSIT_MODES = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd",
               "stochastic"]


def posit_usable(fw: Framework, fmt, x: np.ndarray, op: str, mode: str) -> bool:
    """Without 64-bit integers (JAX x64 off) posits run float32 inputs in the float32 domain,
    deterministic modes only (the backend raises ValueError otherwise: tested apart)."""
    return fw.has_float64 or not (cast_domain64(fmt, x.dtype == np.float64, op == "encode") or mode == "stochastic")


@pytest.mark.parametrize("family", ["posit", "fixed"])
@settings(max_examples=5)
@given(data=st.data(), mode=st.sampled_from(POSIT_MODES),
       overflow=st.sampled_from(["ieee", "saturate", "wrap", "raise"]), nan=st.sampled_from(["raise", "zero"]),
       seed=st.integers(0, 2**64 - 1), sr_bits=st.integers(1, 62), sr_rule=st.sampled_from(["add", "nearest"]),
       strided=st.booleans())
def test_family_round_encode_match_numpy(fw, family, data, mode, overflow, nan, seed, sr_bits, sr_rule, strided):
    """Posits and fixed point, every mode and policy (fixed-point round and encode need 64-bit
    integers: without them, and where ``posit_usable`` says no, the backend raises: tested apart)."""
    fmt, x = data.draw(cases(fw.has_float64, family))
    if nan == "zero" and data.draw(st.booleans()):
        x.flat[0] = np.nan
    sr = dict(seed=seed, sr_bits=sr_bits, sr_rule=sr_rule) if mode == "stochastic" else {}
    for op in ("round", "encode"):
        if posit_usable(fw, fmt, x, op, mode) if family == "posit" else fw.has_float64:
            same_call(fw, op, x, fmt, mode, overflow, nan=nan, strided=strided, **sr)


@settings(max_examples=4)
@given(data=st.data(), sr_bits=st.integers(1, 62))
def test_posit_explicit_random_bits_match_numpy(fw, data, sr_bits):
    fmt, x = data.draw(cases(fw.has_float64, "posit"))
    if not posit_usable(fw, fmt, x, "encode", "stochastic"):
        return
    rand = np.array(data.draw(st.lists(st.integers(0, 2**sr_bits - 1), min_size=x.size, max_size=x.size)),
                    np.int64).reshape(x.shape)
    same_call(fw, "encode", x, fmt, "stochastic", sr_bits=sr_bits, random_bits=rand)


def check_decode(fw: Framework, fmt, bits: int, seed: int) -> None:
    """Every code of formats up to 12 bits, 2000 random codes of wider ones (with the extreme
    ones): the NumPy values, or its ValueError."""
    dtype = nf.encode(np.float32([0]), fmt).dtype
    if bits <= 12:
        codes = np.arange(1 << bits).astype(dtype)
    else:
        codes = np.random.default_rng(seed).integers(0, 1 << bits, 2000).astype(dtype)
        codes[:3] = [0, 1 << (bits - 1), (1 << bits) - 1]
    for out in ([np.float32, np.float64] if fw.has_float64 else [np.float32]):
        try:
            expected = nf.decode(codes, fmt, out)
        except ValueError as exc:
            with pytest.raises(ValueError, match=str(exc).split(";")[0]):
                fw.module.decode(fw.to(codes), fmt, out)
            continue
        assert_same(expected, fw.back(fw.module.decode(fw.to(codes), fmt, out)))


@settings(max_examples=4)
@given(fmt=nft.posit_formats(max_bits=32), seed=st.integers(0, 2**32))
def test_posit_decode_matches_numpy(fw, fmt, seed):
    check_decode(fw, fmt, fmt.nbits, seed)


POSIT_SLICE_FORMATS = ["posit8", "posit16", "posit32", "posit<16,1>", "posit<8,0>", "posit<16,3>"]


def check_posit_slice(fw, step: int, formats=POSIT_SLICE_FORMATS, modes=POSIT_MODES) -> None:
    """Every float32 whose top 16 bits are given (low bits random): encode in every mode,
    round in two, stochastic rounding (where the backend has 64-bit integers)."""
    x = slice_inputs(step)
    for name in formats:
        fmt = nf.format(name)
        for mode in modes:
            sr = dict(seed=5, sr_bits=13) if mode == "stochastic" else {}
            for op in ("encode",) + (("round",) if mode in ("nearest_even", "stochastic") else ()):
                if posit_usable(fw, fmt, x, op, mode):
                    same_call(fw, op, x, fmt, mode, **sr)


def test_posit_errors_match_numpy(fw):
    x = np.float32([1.0, np.nan, 1e30, -np.inf])
    same_call(fw, "round", x, "posit8", overflow="raise")       # finite beyond maxpos
    same_call(fw, "round", x[[0, 1, 3]], "posit8", overflow="raise")   # NaN, Inf: NaR, no error
    same_call(fw, "encode", x, "posit16", "sideways")
    same_call(fw, "encode", x, "posit16", sr_bits=8)
    same_call(fw, "encode", x, "posit16", overflow="wrap")
    same_call(fw, "round", x[:1], "posit8", nan="bogus")       # a policy no family has
    with pytest.raises(ValueError, match="must lie in"):
        fw.module.decode(fw.to(np.uint16([300])), "posit8")


# -- the fixed-point family ----------------------------------------------------------------------
@settings(max_examples=3)
@given(fmt=nft.fixed_formats(max_bits=32), seed=st.integers(0, 2**32))
def test_fixed_decode_matches_numpy(fw, fmt, seed):
    check_decode(fw, fmt, fmt.bits, seed)


FIXED_SLICE_FORMATS = ["int8", "uint8", "int16", "q3.4", "int32", "uint32", "fixed<16,40>"]


def check_fixed_slice(fw, step: int, formats=FIXED_SLICE_FORMATS, modes=POSIT_MODES) -> None:
    """Every float32 whose top 16 bits are given (low bits random; NaN mapped to 0): encode in
    every mode (saturating), round and wrap in two."""
    if not fw.has_float64:
        return
    x = slice_inputs(step)
    for name in formats:
        for mode in modes:
            sr = dict(seed=5, sr_bits=13) if mode == "stochastic" else {}
            same_call(fw, "encode", x, name, mode, nan="zero", **sr)
            if mode in ("nearest_even", "stochastic"):
                same_call(fw, "round", x, name, mode, nan="zero", **sr)
                same_call(fw, "encode", x[np.isfinite(x)], name, mode, "wrap", **sr)


FAMILY_SLICES = {"posit": (check_posit_slice, ["posit16", "posit<8,0>"], ["nearest_even", "toward_negative",
                                                                              "stochastic"]),
                 "fixed": (check_fixed_slice, ["int8", "q3.4"], ["nearest_even", "odd", "stochastic"])}


@pytest.mark.parametrize("family", FAMILY_SLICES)
def test_family_float32_slice_sample(fw, family):
    """A sample of the exhaustive slices below: every 257th top half, two formats, three modes."""
    check, formats, modes = FAMILY_SLICES[family]
    check(fw, 257, formats, modes)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILY_SLICES)
def test_family_float32_slice_exhaustive(fw, family):
    FAMILY_SLICES[family][0](fw, 1)


def test_fixed_errors_match_numpy(fw):
    x = np.float32([1.0, np.nan, 1e6, -np.inf])
    if not fw.has_float64:
        with pytest.raises(ValueError, match="jax_enable_x64"):
            fw.module.round(fw.to(x), "int8")
        return
    same_call(fw, "round", x, "int8")                                   # NaN
    same_call(fw, "round", x, "int8", overflow="wrap", nan="zero")      # Inf under wrap
    same_call(fw, "encode", x[:3], "int8", overflow="raise", nan="zero")
    same_call(fw, "encode", x, "int8", overflow="sideways")
    same_call(fw, "encode", x, "uint4", "stochastic", sr_bits=0)
    same_call(fw, "round", x[:1], "int8", nan="zeros")         # misspelt, with no NaN in x
    with pytest.raises(ValueError, match="must lie in"):
        fw.module.decode(fw.to(np.uint16([300])), "int8")


# -- integer inputs, seed with random_bits, packed block codes (issue 13's leftovers) ------------
INTEGER_DTYPES = ["int8", "uint8", "int16", "int32", "int64", "uint16", "uint32"]


@settings(max_examples=6)
@given(dtype=st.sampled_from(INTEGER_DTYPES), data=st.data(), fmt=st.sampled_from(["e4m3", "posit8", "int8"]))
def test_integer_inputs_match_numpy(fw, dtype, data, fmt):
    """Integer arrays widen to float64 as NumPy's do (exactly, else ValueError); JAX's 32-bit
    mode widens them to float32 (exactly, else ValueError): the same values as NumPy's."""
    info = np.iinfo(dtype)
    x = np.array(data.draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=8, max_size=8)), dtype)
    x[:3] = [0, 1, max(int(info.min), -100)]
    if not fw.has_float64 and (fmt == "int8" or np.abs(x.astype(np.float64)).max() > 2**24):
        return                          # fixed point rounds on float64 bits; inexact in float32: below
    for op in ("round", "encode"):
        expected = getattr(nf, op)(x, fmt)
        got = fw.back(getattr(fw.module, op)(fw.to(x), fmt))
        assert_same(expected if fw.has_float64 or op == "encode" else expected.astype(np.float32), got)


def test_integer_input_errors_match_numpy(fw):
    big = np.array([2**60 + 1, 3])
    if fw.has_float64:
        same_call(fw, "round", big, "e4m3")
    else:
        with pytest.raises(ValueError, match="float32 cannot represent exactly"):
            fw.module.round(fw.to(np.int32([2**24 + 1])), "e4m3")
    with pytest.raises(TypeError, match="real numbers"):
        fw.module.round(fw.to(np.array([True, False])), "e4m3")


def test_seed_with_random_bits_matches_numpy(fw):
    """random_bits replace the seed (NumPy ignores a seed given with them; every family draws
    its numbers through ``backends.random_numbers``)."""
    same_call(fw, "round", np.float32([1.3, -2.7, 0.01, 5.5]), "e4m3", "stochastic", seed=5, sr_bits=4,
              random_bits=np.int64([1, 9, 15, 0]))


@pytest.mark.parametrize("fmt, shape, pad", [("mxfp6_e3m2", (2, 31), True),
                                             pytest.param("mxfp4", (2, 32), False, marks=pytest.mark.slow),
                                             pytest.param("nvfp4", (1, 18), True, marks=pytest.mark.slow)])
def test_packed_block_codes_match_numpy(fw, fmt, shape, pad):
    """encode(packed=True): NumPy's bytes (a short tail zero-padded), decoded back to its values
    (CI: 6-bit codes with a tail; 4-bit ones in the slow run, and in the torch.compile test)."""
    x = (np.random.default_rng(5).standard_normal(shape) * 8).astype(np.float32)
    same_block_call(fw, "encode", x, fmt, pad=pad, packed=True)


test_round_encode_match_numpy_long = slow_twin(test_round_encode_match_numpy, settings(max_examples=60), **ROUND_CASES)


test_stochastic_matches_numpy_long = slow_twin(
    test_stochastic_matches_numpy, settings(max_examples=40), **STOCHASTIC_CASES)


test_explicit_random_bits_match_numpy_long = slow_twin(
    test_explicit_random_bits_match_numpy, settings(max_examples=20), **BITS_CASES)


test_decode_every_code_matches_numpy_long = slow_twin(
    test_decode_every_code_matches_numpy, settings(max_examples=30), fmt=nft.formats(max_bits=12))
