"""Registry, name parsing, info (against ml_dtypes.finfo / numpy.finfo), P3109 (against gfloat)
and error messages."""
from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import numfmt as nf
from numfmt.testing import registered_float_formats

FINFO_DTYPES = {
    "binary16": np.float16, "bfloat16": ml_dtypes.bfloat16, "e4m3": ml_dtypes.float8_e4m3fn,
    "e5m2": ml_dtypes.float8_e5m2, "e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "e5m2fnuz": ml_dtypes.float8_e5m2fnuz, "e4m3b11fnuz": ml_dtypes.float8_e4m3b11fnuz,
    "e4m3ieee": ml_dtypes.float8_e4m3, "e3m4": ml_dtypes.float8_e3m4,
    "e3m2": ml_dtypes.float6_e3m2fn, "e2m3": ml_dtypes.float6_e2m3fn,
    "e2m1": ml_dtypes.float4_e2m1fn, "e8m0": ml_dtypes.float8_e8m0fnu,
}
INFO_FIELDS = ("bits", "max", "min", "smallest_normal", "tiny", "smallest_subnormal", "eps",
               "epsneg", "maxexp", "minexp", "nmant", "nexp")


def finfo(dtype):
    return np.finfo(dtype) if dtype == np.float16 else ml_dtypes.finfo(dtype)


@pytest.mark.parametrize("name, aliases, fmt", nf.registered(), ids=lambda v: getattr(v, "name", None))
def test_names_and_aliases_resolve(name, aliases, fmt):
    assert nf.format(name) is fmt
    assert nf.format(name.upper()) is fmt
    for alias in aliases:
        assert nf.format(alias) is fmt
    assert nf.format(fmt) is fmt


@pytest.mark.parametrize("name, dtype", FINFO_DTYPES.items())
def test_format_accepts_dtypes(name, dtype):
    assert nf.format(dtype) is nf.format(name)
    assert nf.format(np.dtype(dtype)) is nf.format(name)


def test_float_format_hash_is_that_of_its_numbers():
    """Equal formats hash alike whatever their names and in every process (the hash is cached,
    and of numbers only: a format pickled to another process, a Dask worker's, still finds the
    entries of the casts' parameter caches); formats that differ in one field hash apart."""
    fn = nf.FloatFormat(4, 3, special="fn")
    assert fn == nf.FloatFormat(4, 3, special="fn", name="mine")
    assert hash(fn) == hash(nf.FloatFormat(4, 3, special="fn", name="mine")) == hash(pickle.loads(pickle.dumps(fn)))
    code = "import numfmt as nf; print(hash(nf.FloatFormat(4, 3, special='fn')))"
    other = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": "12345"},
                           capture_output=True, text=True, check=True)
    assert int(other.stdout) == hash(fn)
    variants = [nf.FloatFormat(4, 3), nf.FloatFormat(4, 3, special="fnuz"), nf.FloatFormat(4, 3, bias=8, special="fn"),
                nf.FloatFormat(4, 3, special="fn", subnormals=False), nf.FloatFormat(4, 2, special="fn")]
    assert len({hash(f) for f in [fn] + variants}) == 6


def test_format_accepts_numpy_float32():
    assert nf.format(np.float32).name == "binary32"


@pytest.mark.parametrize("bad, hint", [("e4m3fm", "e4m3"), ("float8_e4m4fn", "e4m3"), ("bfloat61", "bfloat16"), ("binary61", "binary16")])
def test_unknown_names_suggest_close_ones(bad, hint):
    with pytest.raises(ValueError, match=hint):
        nf.format(bad)


def test_e4m4_is_a_parsed_format_not_an_unknown_name():
    fmt = nf.format("e4m4")              # eXmY parsing: a 9-bit IEEE-convention format
    assert (fmt.bits, fmt.special) == (9, "ieee")


def test_format_rejects_non_formats():
    with pytest.raises(TypeError, match="fmt"):
        nf.format(object())


def test_exmy_parsing():
    assert np.array_equal(nf.format("e5m10").values(), nf.format("binary16").values(), equal_nan=True)
    assert nf.format("e5m10") == nf.format("binary16")
    assert nf.format("e4m3b11fnuz") == nf.format("float8_e4m3b11fnuz")
    fmt = nf.format("e5m2fnuz")
    assert (fmt.bias, fmt.special) == (16, "fnuz")
    assert np.array_equal(fmt.values(np.float64), np.array(np.arange(256, dtype=np.uint8)
                          .view(ml_dtypes.float8_e5m2fnuz), np.float64), equal_nan=True)
    assert nf.format("e3m2fn").special == "fn"


@pytest.mark.parametrize("name, dtype", FINFO_DTYPES.items())
def test_info_matches_finfo(name, dtype):
    info, ref = nf.format(name).info, finfo(dtype)
    for field in INFO_FIELDS:
        ours, theirs = getattr(info, field), getattr(ref, field)
        assert float(ours) == float(theirs), (name, field, ours, theirs)


@pytest.mark.parametrize("name, dtype", FINFO_DTYPES.items())
def test_values_match_dtype(name, dtype):
    fmt = nf.format(name)
    vals = fmt.values(np.float64)
    assert len(vals) == 1 << fmt.bits
    code_type = np.uint16 if fmt.bits > 8 else np.uint8
    ref = np.arange(1 << fmt.bits, dtype=code_type).view(dtype).astype(np.float64)
    assert np.array_equal(vals, ref, equal_nan=True)


@pytest.mark.parametrize("fmt", [f for f in registered_float_formats() if f.bits <= 16], ids=str)
def test_values_length(fmt):
    assert len(fmt.values()) == 1 << fmt.bits


@pytest.mark.parametrize("p", range(1, 8))
def test_p3109_matches_gfloat(p):
    from gfloat import decode_float
    from gfloat.formats import format_info_p3109
    fi = format_info_p3109(8, p)
    ours = nf.format(f"p3109_p{p}").values(np.float64)
    theirs = np.array([decode_float(fi, c).fval for c in range(256)], np.float64)
    assert np.array_equal(ours, theirs, equal_nan=True)
    assert nf.format(f"binary8p{p}") is nf.format(f"p3109_p{p}")


@pytest.mark.parametrize("name, maximum", [("p3109_p3", 49152), ("p3109_p4", 224), ("e4m3", 448),
                                           ("e5m2", 57344)])
def test_documented_maxima(name, maximum):
    assert nf.format(name).info.max == maximum


@pytest.mark.parametrize("kwargs, argument", [
    (dict(exp_bits=4, man_bits=-1), "man_bits"),
    (dict(exp_bits=4, man_bits=3, special="ieeee"), "special"),
    (dict(exp_bits=4, man_bits=3, special="fnuz", signed=False), "signed"),
    (dict(exp_bits=4, man_bits=3, zero=False), "zero"),
    (dict(exp_bits=20, man_bits=20), "bits"),
    (dict(exp_bits=0, man_bits=3), "exp_bits"),
    (dict(exp_bits=4.0, man_bits=3), "exp_bits"),
    # without a zero the negative-zero code, fnuz's and P3109's NaN, is -(smallest value): it was
    # accepted, round gave -2**emin whose code decoded to NaN
    (dict(exp_bits=5, man_bits=2, zero=False, subnormals=False, special="p3109"), "zero=True"),
    (dict(exp_bits=5, man_bits=2, zero=False, subnormals=False, special="fnuz"), "zero=True"),
    # a bias that is not an integer was accepted and crashed the first cast (AttributeError)
    (dict(exp_bits=4, man_bits=3, bias=7.0), "bias"),
    (dict(exp_bits=4, man_bits=3, bias=4.5), "bias"),
    (dict(exp_bits=4, man_bits=3, bias="7"), "bias"),
    (dict(exp_bits=4, man_bits=3, bias=True), "bias"),
])
def test_invalid_float_format(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        nf.FloatFormat(**kwargs)


def test_numpy_integer_bias_is_its_int():
    fmt = nf.FloatFormat(4, 3, bias=np.int64(6))
    assert fmt == nf.FloatFormat(4, 3, bias=6) and type(fmt.bias) is int
    assert nf.round([1.0, 500.0], fmt).tolist() == nf.round([1.0, 500.0], nf.FloatFormat(4, 3, bias=6)).tolist()


def test_round_rejects_complex():
    with pytest.raises(TypeError, match="x"):
        nf.round(np.array([1 + 2j]), "e4m3")


def test_unknown_rounding_lists_modes():
    with pytest.raises(ValueError, match="nearest_even") as info:
        nf.round(1.0, "e4m3", "nearest_evn")
    assert "toward_zero" in str(info.value)
    with pytest.raises(ValueError, match="overflow"):
        nf.round(1.0, "e4m3", overflow="clip")


def test_decode_rejects_out_of_range_codes():
    with pytest.raises(ValueError, match="256"):
        nf.decode([256], "e4m3")
    with pytest.raises(ValueError):
        nf.decode([-1], "e4m3")
    with pytest.raises(ValueError):
        nf.decode([16], "e2m1")
    with pytest.raises(TypeError):
        nf.decode([1.0], "e4m3")


def test_nan_into_format_without_nan():
    with pytest.raises(ValueError, match="2 of 3"):
        nf.round([np.nan, 1.0, np.nan], "e2m1")
    out = nf.round(np.array([np.nan, -np.nan, 1.0]), "e2m1", nan="ml_dtypes")
    assert out[2] == 1.0 and out[0] == 0 and out[1] == 0
    ref = np.array([np.nan, -np.nan, 1.0]).astype(ml_dtypes.float4_e2m1fn).astype(np.float64)
    assert np.array_equal(np.signbit(out), np.signbit(ref))
    with pytest.raises(ValueError, match="nan"):
        nf.round(1.0, "e2m1", nan="bogus")


def test_overflow_raise():
    with pytest.raises(OverflowError, match="e4m3"):
        nf.round([1.0, 1e6], "e4m3", overflow="raise")
    assert float(nf.round(448.0, "e4m3", overflow="raise")) == 448.0
    with pytest.raises(OverflowError):
        nf.round(math.inf, "e4m3", overflow="raise")
    assert nf.round(math.inf, "binary16", overflow="raise") == math.inf


def test_encode_decode_examples():
    assert nf.encode([1.0, -448.0, 1e9], "e4m3").tolist() == [56, 254, 127]
    assert nf.decode([0x38, 0x7E], "e4m3").tolist() == [1.0, 448.0]


def test_format_errors_are_clear():
    """Regressions: "e0m0" raised "negative shift count"; fmt=None said "unknown format 'float64'"."""
    with pytest.raises(ValueError, match="'e0m0'.*at least one exponent bit"):
        nf.format("e0m0")
    with pytest.raises(ValueError, match="at least one exponent bit"):
        nf.round(1.0, "e0m3fnuz")
    for call in (lambda: nf.format(None), lambda: nf.round(1.0, None), lambda: nf.encode([1.0], None)):
        with pytest.raises(TypeError, match="fmt is required"):
            call()


def test_formats_without_a_normal_value():
    """One exponent bit under special="ieee" leaves only subnormals (the field 1 is Inf and
    NaN): such a format rounds to its subnormals, but without subnormals rounding would reach
    no positive value at all (it gave 0 below 1.5 and 1.5 from 3.0 toward zero), so it is an error."""
    fmt = nf.FloatFormat(1, 2)
    assert not fmt.has_normals and fmt.info.max < fmt.info.smallest_normal
    assert nf.round(np.float32([0.7, 1.2, 1.7, 3.0]), fmt, overflow="saturate").tolist() == [0.5, 1.0, 1.5, 1.5]
    assert all(f.has_normals for f in (nf.FloatFormat(1, 2, special="finite"), nf.FloatFormat(1, 1, special="fn"),
                                       nf.format("e4m3"), nf.format("e8m0")))
    with pytest.raises(ValueError, match="e1m2_nosub has no normal value.*subnormals=True"):
        nf.FloatFormat(1, 2, subnormals=False)


def test_set_num_threads_limit():
    """Regression: set_num_threads(1000) was accepted on two CPUs. The limit is the number of
    CPUs this process may use, as numba.set_num_threads has it."""
    import os
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    old = nf.get_num_threads()
    try:
        nf.set_num_threads(cpus)
        assert nf.get_num_threads() == cpus
        for bad in (cpus + 1, 1000, 0, -1, 1.5, True, "2"):
            with pytest.raises(ValueError, match=f"from 1 to {cpus}"):
                nf.set_num_threads(bad)
        assert nf.get_num_threads() == cpus
    finally:
        nf.set_num_threads(old)


def test_decode_table_is_the_kernel():
    """Formats of up to 16 bits decode through a table of every code's value; the table is the
    decode kernel's output, and a lookup gives the kernel's bits for every code."""
    import numpy as np

    from numfmt.casts.floating import TABLE_BITS, _decode
    from numfmt.kernels.floating import lookup  # noqa: F401 (the kernel under test)
    for name in ("e4m3", "e2m1", "bfloat16", "binary16", "e8m0", "e5m2fnuz"):
        fmt = nf.format(name)
        assert fmt.bits <= TABLE_BITS
        codes = np.arange(1 << fmt.bits, dtype=np.uint16 if fmt.bits > 8 else np.uint8)
        for dtype in (np.float32, np.float64):
            if dtype == np.float32 and not nf.casts.floating.fits_float32(fmt):
                continue
            direct = _decode(codes, fmt, np.dtype(dtype))
            via_table = nf.decode(codes[::-1], fmt, dtype)[::-1]
            itype = np.uint32 if dtype == np.float32 else np.uint64
            assert np.array_equal(direct.view(itype), via_table.view(itype))
