"""Input normalization at the Python boundary: byte-swapped, read-only and non-contiguous
arrays give the same results as native ones, and each kernel compiles for one array type per
argument (tests/kernel_tour.py counts the compiled specializations)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import numfmt as nf

FORMATS = ["e4m3", "bfloat16", "mxfp8_e4m3", "posit16", "int8", "mxint8"]


def _variants(x: np.ndarray) -> dict:
    """x as a big-endian, a read-only and a non-contiguous (Fortran-order) array."""
    ro = x.copy()
    ro.flags.writeable = False
    return {"big-endian": x.astype(x.dtype.newbyteorder(">")), "read-only": ro, "fortran": np.asfortranarray(x)}


def _same(a, b) -> bool:
    if isinstance(a, nf.BlockCodes):
        return _same(a.codes, b.codes) and _same(a.scales, b.scales)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_native_inputs(name, dtype):
    """Regression: '>f4' / '>f8' inputs raised TypeError ('>u2' codes a Numba TypingError)."""
    x = (np.random.default_rng(1).standard_normal((4, 64)) * 3).astype(dtype)
    rand = np.random.default_rng(2).integers(0, 1 << 16, x.shape)
    calls = [lambda v: nf.round(v, name), lambda v: nf.encode(v, name),
             lambda v: nf.round(v, name, "stochastic", seed=3),
             lambda v: nf.round(v, name, "stochastic", random_bits=rand, sr_bits=16)]
    for call in calls:
        want = call(x)
        for kind, v in _variants(x).items():
            assert _same(call(v), want), (kind, call)
    for kind, r in _variants(rand).items():
        assert _same(nf.round(x, name, "stochastic", random_bits=r, sr_bits=16), calls[3](x)), kind
    codes = nf.encode(x, name)
    if isinstance(codes, nf.BlockCodes):
        return
    want = nf.decode(codes, name)
    for c in [codes.astype(np.int64), codes.astype(codes.dtype.newbyteorder(">")), *_variants(codes).values()]:
        assert _same(nf.decode(c, name), want), c.dtype


def test_kernels_compile_once_per_argument_type():
    """A tour of round / encode / decode (e4m3, bfloat16, mxfp8_e4m3, posit16; float32 and
    float64 inputs, native, big-endian, read-only and Fortran-order; codes as uint8, uint16,
    '>u2' and int64; random bits from a seed and explicit) compiles each kernel once per kind of
    call: codes travel in the format's code dtype (uint8 for e4m3, uint16 for bfloat16 and
    posit16) whatever dtype the caller passes, so encode and decode compile once per code width
    and output dtype (float32 / float64; posit decode fills the value tables of both), and the
    block kernels once per output (values or codes) and rounding (deterministic or stochastic);
    the arithmetic kernels once per rounding (deterministic or stochastic: random bits travel as
    one writable int64 array, empty for the seed), and report=True's stand-in shares them
    (writable operands); posit arithmetic once per op for every width (a read-only empty table
    beyond 16 bits), stochastic posit encode of float64 inputs once (uint32 codes, narrowed
    after), and a sum shares each order's kernel with dots (its second operand an array without
    rows). Before the normalization the tour compiled 39 specializations without the
    non-native inputs (which crashed), and binary16 add three (no random bits, seeded,
    read-only explicit bits), posit16 mul two; before stop 37 binary16 add with report=True
    added a third add_route_kernel, posit32 mul a second mul_kernel, posit8 and posit16
    stochastic encodes two encode64, and a sum and a dot two route_sequential. Runs in a fresh process: compiled signatures accumulate."""
    tour = Path(__file__).with_name("kernel_tour.py")
    out = subprocess.run([sys.executable, str(tour), "--json"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[1])
    counts = json.loads(out.stdout.splitlines()[-1])
    allowed = {"floating.encode32": 2, "floating.encode64": 2, "floating.decode": 4, "floating.lookup": 4, "posit.decode": 2,
               "block.quantize_pow2_32": 3, "block.quantize_pow2_64": 3,
               "arith.add_route_kernel": 2,
               # the float32 SR casts and their counting twin: rand None for a seed, an array of
               # explicit bits, so that each call compiles only the loop it runs (stop 39); the
               # block fast kernel so too (values, codes, SR seeded, SR with explicit bits)
               "floating.round_sr_add32": 2, "floating.round_same_range_sr32": 2, "report.round_same_range_sr32": 2,
               "block.quantize_pow2_fast32": 4}
    over = {k: n for k, n in counts.items() if n > allowed.get(k, 1)}
    assert not over, over


ML_DTYPES_LATER = """
import sys
import numpy as np, numfmt as nf
print("ml_dtypes" in sys.modules)
import ml_dtypes
x = np.array([1.5, -3.25, 0.1], dtype=ml_dtypes.bfloat16)
print(nf.round(x, "e4m3").tolist() == nf.round(x.astype(np.float32), "e4m3").tolist())
"""


def test_numfmt_imports_without_ml_dtypes_and_takes_its_arrays_once_imported():
    """``import numfmt`` leaves ml_dtypes (most of a second) unimported; an ml_dtypes float
    array, which exists only once the user imported it, still widens to float32."""
    out = subprocess.run([sys.executable, "-c", ML_DTYPES_LATER], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]


@pytest.mark.filterwarnings("error")
def test_integers_beyond_float64_raise_without_a_warning():
    """Integer inputs that float64 cannot hold exactly raise ValueError; uint64's largest went
    through a cast warning first (2**64 - 1 rounds to 2**64, which the check casts back)."""
    for x in (np.array([2**64 - 1], np.uint64), np.array([2**53 + 1], np.int64)):
        with pytest.raises(ValueError, match="float64 cannot represent exactly"):
            nf.round(x, "e4m3")
    assert nf.round(np.array([2**63], np.uint64), "binary64").tolist() == [2.0 ** 63]
