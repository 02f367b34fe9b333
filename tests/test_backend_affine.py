"""numfmt.torch.quantize_affine and numfmt.jax.quantize_affine (JAX in its default 32-bit mode;
x64 in a subprocess, slow): bit-identical to numfmt.quantize_affine for random shapes, formats,
modes, per-tensor and per-channel parameters (host or tensor), seeds; torch.compile and jax.jit;
NumPy's errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import numfmt as nf  # noqa: E402
import numfmt.jax as nfj  # noqa: E402
import numfmt.torch as nft  # noqa: E402

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
MODES = ["nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd", "stochastic"]
FORMATS = ["int8", "uint8", "int4", "uint4", "int16", "uint16", "int32", "uint32", "int31"]
SHAPE = (4, 6)     # one shape: JAX compiles each new one
SPECIAL = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 2.0 ** -149, -(2.0 ** -130), 1.5 * 2.0 ** -127, 2.0 ** 31,
           -(2.0 ** 31), 3e38, float("inf"), float("-inf")]


def _values(width: int):
    return st.one_of(st.floats(-300, 300, width=width), st.floats(allow_nan=False, width=width),
                     st.sampled_from(SPECIAL))


_SCALES = st.one_of(st.floats(1e-3, 10.0), st.sampled_from([1.0, 0.5, 2.0 ** -20, 2.0 ** -126, 2.0 ** -140, 3e-39]))


@st.composite
def cases(draw, jax_32bit: bool):
    """(x, fmt, scale, zero_point, axis, options, tensor_params): a case NumPy accepts."""
    x64 = not jax_32bit and draw(st.booleans())
    x = np.array(draw(st.lists(_values(64 if x64 else 32), min_size=24, max_size=24)),
                 np.float64 if x64 else np.float32).reshape(SHAPE)
    fmt = nf.format(draw(st.sampled_from([f for f in FORMATS if not (jax_32bit and f.endswith("32"))])))
    exact = not jax_32bit and draw(st.booleans())
    axis = draw(st.sampled_from([None, 0, 1, -1]))
    n = 1 if axis is None else SHAPE[axis]
    scale = np.array(draw(st.lists(_SCALES, min_size=n, max_size=n)), draw(st.sampled_from([np.float64, np.float32])))
    zero_point = draw(st.lists(st.integers(fmt.min_int, fmt.max_int), min_size=n, max_size=n))
    holding = [d for d in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64)
               if np.iinfo(d).min <= min(zero_point) and max(zero_point) <= np.iinfo(d).max]
    zero_point = np.array(zero_point, draw(st.sampled_from(holding)))      # (narrower than fmt's range too)
    if axis is None:
        scale, zero_point = scale[0], int(zero_point[0])
    options = {"exact": exact}
    if exact:
        options["rounding"] = draw(st.sampled_from(MODES))
        if options["rounding"] == "stochastic":
            options.update(seed=draw(st.integers(0, 2**64 - 1)), sr_bits=draw(st.sampled_from([None, 1, 13, 62])),
                           sr_rule=draw(st.sampled_from(["add", "nearest"])))
    return x, fmt, scale, zero_point, axis, options, draw(st.booleans())


def _check(module, to, back, case) -> None:
    x, fmt, scale, zero_point, axis, options, tensor_params = case
    expected = nf.quantize_affine(x, fmt, scale, zero_point, axis, **options)
    if tensor_params:
        scale, zero_point = to(np.asarray(scale)), to(np.asarray(zero_point))
    got = back(module.quantize_affine(to(x), fmt, scale, zero_point, axis, **options))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected), (x, fmt, options, got, expected)


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(case=cases(jax_32bit=False))
def test_torch_matches_numpy(device, case):
    _check(nft, lambda a: torch.from_numpy(np.array(a)).to(device), lambda t: t.cpu().numpy(), case)


@settings(max_examples=12, deadline=None)
@given(case=cases(jax_32bit=True))
def test_jax_32bit_matches_numpy(case):
    assert not jax.config.read("jax_enable_x64")
    _check(nfj, jnp.asarray, np.asarray, case)


def test_32bit_formats_saturate_after_the_zero_point():
    """q = saturate(round(x / scale) + zero_point) with no clamp of the quotient before the sum
    (a clamp to int32's range gave uint32 2**31 - 1 for 3e9, and int32 with zero point
    -2**31 + 1 gave 0 for 3e9 and Inf), NumPy and torch alike."""
    x = np.array([3e9, 4e9, 1e10, -3e9, -1e10, np.inf, -np.inf, 2.5, -0.5], np.float32)
    for name, zero_point in (("uint32", 0), ("uint32", 2**32 - 1), ("int32", -2**31 + 1), ("int32", 2**31 - 1),
                             ("int32", -1)):
        fmt = nf.format(name)
        expected = np.clip(np.rint(x.astype(np.float64)) + zero_point, fmt.min_int, fmt.max_int).tolist()
        assert nf.quantize_affine(x, name, 1.0, zero_point).tolist() == expected
        assert nft.quantize_affine(torch.from_numpy(x), name, 1.0, zero_point).tolist() == expected


@pytest.mark.slow
def test_explicit_random_bits_and_squares_match_numpy():
    x = (np.random.default_rng(1).standard_normal(64) * 8).astype(np.float32)
    bits = np.random.default_rng(2).integers(0, 1 << 10, 64)
    for kw in ({"random_bits": bits, "sr_bits": 10}, {"seed": 5, "rng": "squares"}):
        expected = nf.quantize_affine(x, "int8", 0.3, 1, exact=True, rounding="stochastic", **kw)
        got = nft.quantize_affine(torch.from_numpy(x), "int8", 0.3, 1, exact=True, rounding="stochastic", **kw)
        assert np.array_equal(expected, got.numpy())


def test_report_is_numpys():
    x = np.array([0.5, 1.5, 300.0, -2.25], np.float32)
    q, rep = nft.quantize_affine(torch.from_numpy(x), "uint8", 1.0, 10, report=True)
    expected, expected_rep = nf.quantize_affine(x, "uint8", 1.0, 10, report=True)
    assert np.array_equal(q.numpy(), expected) and rep == expected_rep


def test_torch_compile_fullgraph():
    """One compiled case (aot_eager: the graph without inductor's code generation), per-channel
    tensor parameters and seeded stochastic rounding, equal to eager and to NumPy."""
    x = (np.random.default_rng(3).standard_normal((3, 16)) * 50).astype(np.float32)
    scale, zp = np.array([0.5, 0.3, 2.0]), np.array([-3, 0, 7])

    def f(x, scale, zp):
        return (nft.quantize_affine(x, "int8", scale, zp, dim=0, exact=True, rounding="stochastic", seed=7),
                nft.quantize_affine(x, "uint8", 0.1, 128), nft.quantize_affine(x, "int4", 0.75, 1, exact=True))

    args = (torch.from_numpy(x), torch.from_numpy(scale), torch.from_numpy(zp))
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")(*args)
    expected = (nf.quantize_affine(x, "int8", scale, zp, 0, exact=True, rounding="stochastic", seed=7),
                nf.quantize_affine(x, "uint8", 0.1, 128), nf.quantize_affine(x, "int4", 0.75, 1, exact=True))
    for got, eager, want in zip(compiled, f(*args), expected):
        assert np.array_equal(got.numpy(), want) and torch.equal(got, eager)


def test_jax_jit_and_vmap():
    x = (np.random.default_rng(4).standard_normal(SHAPE) * 50).astype(np.float32)
    x[3, :3] = [1.5 * 2.0 ** -127, -(2.0 ** -149), 2.0 ** -130]      # XLA flushes these in arithmetic
    scale, zp = np.array([0.5, 0.3, 2.0, 2.0 ** -140]), np.array([-3, 0, 7, 1])
    f = jax.jit(lambda x, s, z: nfj.quantize_affine(x, "int8", s, z, axis=0))
    assert np.array_equal(nf.quantize_affine(x, "int8", scale, zp, 0),
                          np.asarray(f(jnp.asarray(x), jnp.asarray(scale), jnp.asarray(zp))))
    rows = jax.vmap(lambda r: nfj.quantize_affine(r, "uint8", 0.25, 9))(jnp.asarray(x))
    assert np.array_equal(nf.quantize_affine(x, "uint8", 0.25, 9), np.asarray(rows))


def test_jax_quotients_near_ties_are_numpys():
    """x / scale next to a tie of the integer rounding: XLA would divide by a broadcast scale as a
    multiplication by its reciprocal (one ulp off, the other integer); the backend keeps the division."""
    ties = ((np.arange(-120, 120) + 0.5) * np.float32(0.37)).astype(np.float32)
    x = np.concatenate([ties] + [np.nextafter(ties, np.float32(d)) for d in (-np.inf, np.inf)])
    expected = nf.quantize_affine(x, "int8", 0.37, 3)
    assert np.array_equal(expected, np.asarray(nfj.quantize_affine(jnp.asarray(x), "int8", 0.37, 3)))
    f = jax.jit(lambda v, s: nfj.quantize_affine(v, "int8", s, 3))
    assert np.array_equal(expected, np.asarray(f(jnp.asarray(x), jnp.float32(0.37))))


def _errors(module, to):
    """The NumPy path's errors (same types and messages) for a backend."""
    x = to(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    bad = [(("e4m3", 1.0), {}, ValueError, "integer format"),
           (("int8", -1.0), {}, ValueError, "positive and finite"),
           (("int8", to(np.array([1.0, 0.0]))), {"axis": 1}, ValueError, "positive and finite"),
           (("int8", 1.0, 200), {}, ValueError, "range"),
           (("int8", 1.0, to(np.array([0, 200]))), {"axis": 0}, ValueError, "range"),
           (("int8", 1.0, to(np.array([0.5, 1.0]))), {"axis": 0}, ValueError, "integers"),
           (("int8", np.array([1.0, 2.0])), {}, ValueError, "axis="),
           (("int8", to(np.array([1.0, 2.0, 3.0]))), {"axis": 0}, ValueError, "1-d array of 2"),
           (("int8", 1.0), {"axis": 2}, ValueError, "axis must be"),
           (("int8", 1.0), {"rounding": "toward_zero"}, ValueError, "exact=True"),
           (("int8", 1.0), {"rounding": "nearest"}, ValueError, "rounding must be")]
    for args, kw, error, match in bad:
        with pytest.raises(error, match=match):
            module.quantize_affine(x, *args, **kw)
        if not any(module.BACKEND.is_tensor(a) for a in args):
            with pytest.raises(error, match=match):       # the NumPy path raises the same
                nf.quantize_affine(np.asarray(x), *args, **kw)
    with pytest.raises(ValueError, match="1 elements of x are NaN"):
        module.quantize_affine(to(np.array([1.0, np.nan], np.float32)), "int8", 1.0)


def test_zero_point_tensors_narrower_than_the_format():
    """An int8 tensor holds no bound of uint8's range (255 wraps): its in-range values pass."""
    x, s = np.float32([[1.0, 2.0], [3.0, 4.0]]), np.float32([0.5, 0.25])
    for fmt, dtype in (("int8", np.uint8), ("int16", np.int8), ("uint8", np.int8), ("int4", np.uint8)):
        zp = np.array([2, 3], dtype)
        expected = nf.quantize_affine(x, fmt, s, zp, 0)
        for module, to in ((nft, torch.from_numpy), (nfj, jnp.asarray)):
            assert np.array_equal(np.asarray(module.quantize_affine(to(x), fmt, to(s), to(zp), 0)), expected), fmt
        with pytest.raises(ValueError, match="range"):
            nft.quantize_affine(torch.from_numpy(x), fmt, torch.from_numpy(s), torch.tensor([2, -100], dtype=torch.int8)
                                if fmt.startswith("u") else torch.tensor([2, 40000], dtype=torch.int32), 0)


def test_errors_match_numpy():
    _errors(nft, torch.from_numpy)
    _errors(nfj, jnp.asarray)
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="sr_bits and random_bits"):
        nft.quantize_affine(x, "int8", 1.0, exact=True, sr_bits=4)
    with pytest.raises(TypeError, match="axis or dim"):
        nft.quantize_affine(x, "int8", 1.0, axis=0, dim=-1)
    with pytest.raises(TypeError, match="report=True needs concrete values"):
        jax.jit(lambda v: nfj.quantize_affine(v, "int8", 1.0, report=True))(jnp.ones(2))
    for kw, fmt in (({"exact": True}, "int8"), ({}, "int32")):      # int64 lanes: x64 mode
        with pytest.raises(ValueError, match="jax_enable_x64"):
            nfj.quantize_affine(jnp.ones(2), fmt, 1.0, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=400, deadline=None)
@given(case=cases(jax_32bit=False))
def test_torch_matches_numpy_long(device, case):
    _check(nft, lambda a: torch.from_numpy(np.array(a)).to(device), lambda t: t.cpu().numpy(), case)


@pytest.mark.slow
def test_jax_x64_matches_numpy():
    """With x64 (a subprocess: the mode is process-wide): exact=True in every mode, float64
    inputs, 32-bit formats, jitted, equal NumPy."""
    code = ("import jax; jax.config.update('jax_enable_x64', True)\n"
            "import sys; sys.path.insert(0, %r)\n"
            "import numpy as np, jax.numpy as jnp, numfmt.jax as nfj\n"
            "from hypothesis import given, settings\n"
            "import test_backend_affine as t\n"
            "settings(max_examples=300, deadline=None)(given(case=t.cases(jax_32bit=False))("
            "lambda case: t._check(nfj, jnp.asarray, np.asarray, case)))()\n"
            "x = np.random.default_rng(6).standard_normal((4, 6)) * 1e3\n"
            "f = jax.jit(lambda v: nfj.quantize_affine(v, 'uint32', 0.7, 5, exact=True, rounding='stochastic',\n"
            "                                          seed=2))\n"
            "assert (np.asarray(f(jnp.asarray(x))) == t.nf.quantize_affine(x, 'uint32', 0.7, 5, exact=True, "
            "rounding='stochastic', seed=2)).all()\n"
            "tiny = np.float32([2.0 ** -140, -1.5 * 2.0 ** -127])   # XLA's float32 -> float64 convert flushes these\n"
            "assert (np.asarray(nfj.round(jnp.asarray(tiny), 'binary64')) == tiny.astype(np.float64)).all()\n"
            ) % str(Path(__file__).parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent.parent),
                                                                     os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
