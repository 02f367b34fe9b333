"""numfmt.jax in JAX's default 32-bit mode: bit-identical to the NumPy path
(tests/backend_cases.py), the random numbers included; jnp dtypes as formats; jax.jit, jax.vmap."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import numfmt as nf  # noqa: E402
import numfmt.jax as nfj  # noqa: E402

from backend_cases import *  # noqa: E402,F401,F403 (Framework, assert_same and the shared tests: __all__)


@pytest.fixture(scope="module")
def fw():
    assert not jax.config.read("jax_enable_x64")
    return Framework("jax", nfj, jnp.asarray, np.asarray, has_float64=False)


def test_wide_arithmetic_is_uint64():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 2**63, 64, dtype=np.uint64) * np.uint64(2) + np.uint64(1), \
        rng.integers(0, 2**64 - 1, 64, dtype=np.uint64)
    wide = lambda v: nfj.Wide(jnp.asarray((v >> np.uint64(32)).astype(np.uint32)),  # noqa: E731
                              jnp.asarray((v & np.uint64(0xFFFFFFFF)).astype(np.uint32)))
    join = lambda w: (np.asarray(w.hi).astype(np.uint64) << np.uint64(32)) | np.asarray(w.lo)  # noqa: E731
    with np.errstate(over="ignore"):
        assert np.array_equal(join(wide(a) * wide(b)), a * b)
        assert np.array_equal(join(wide(a) + wide(b)), a + b)
        assert np.array_equal(join(wide(a) - wide(b)), a - b)
    for s in (0, 1, 31, 32, 33, 63):
        assert np.array_equal(join(wide(a) >> s), a >> np.uint64(s))
        assert np.array_equal(join(wide(a) << s), a << np.uint64(s))
    assert np.array_equal(np.asarray(wide(a) > wide(b)), a > b)


def test_jnp_dtypes_are_formats():
    x = (np.random.default_rng(1).standard_normal(1000) * 100).astype(np.float32)
    for dtype, name in [(jnp.float8_e4m3fn, "e4m3"), (jnp.float8_e5m2, "e5m2"), (jnp.bfloat16, "bfloat16")]:
        assert_same(nf.round(x, name), np.asarray(nfj.round(jnp.asarray(x), dtype)))
        codes = nfj.encode(jnp.asarray(x), dtype)
        decoded = nfj.decode(codes, name, dtype)
        assert decoded.dtype == dtype
        assert_same(np.asarray(nfj.decode(codes, name)), np.asarray(decoded.astype(jnp.float32)))


def test_jit_and_vmap_give_the_eager_bits():
    x = jnp.asarray((np.random.default_rng(2).standard_normal((4, 64)) * 64).astype(np.float32))
    f = lambda x: nfj.round(x, "e4m3", "stochastic", seed=11)  # noqa: E731
    eager = np.asarray(f(x))
    assert_same(nf.round(np.asarray(x), "e4m3", "stochastic", seed=11), eager)
    assert_same(eager, np.asarray(jax.jit(f)(x)))
    g = jax.jit(lambda x: nfj.decode(nfj.encode(x, "e5m2", "toward_positive"), "e5m2"))
    assert_same(nf.round(np.asarray(x), "e5m2", "toward_positive"), np.asarray(g(x)))
    rows = jax.vmap(lambda r: nfj.round(r, "bfloat16", "odd"))(x)
    assert_same(nf.round(np.asarray(x), "bfloat16", "odd"), np.asarray(rows))


def test_formats_beyond_float32_need_x64():
    with pytest.raises(ValueError, match="jax_enable_x64"):
        nfj.round(jnp.float32([1.0]), "e8m0")


def test_decode_of_float32_subnormals_is_exact():
    """bfloat16 has values below 2**-126; XLA flushes them in arithmetic, the table lookup not.
    Wider formats with such values (and those without subnormals, whose decode multiplied by
    2**(emin - M)) build the bits with integer steps: they raised, or gave 0."""
    codes = np.arange(1 << 16).astype(np.uint16)
    assert_same(nf.decode(codes, "bfloat16"), np.asarray(nfj.decode(jnp.asarray(codes), "bfloat16")))
    assert_same(nf.decode(codes, "bfloat16"), np.asarray(jax.jit(lambda c: nfj.decode(c, "bfloat16"))(codes)))
    wide = np.random.default_rng(0).integers(0, 1 << 20, 4096).astype(np.uint32)
    wide[:4] = [0, 1, 2, (1 << 19) + 1]
    for fmt in (nf.FloatFormat(8, 11), nf.FloatFormat(8, 11, subnormals=False), "binary32"):
        c = wide if fmt != "binary32" else wide << np.uint32(12)
        assert_same(nf.decode(c, fmt), np.asarray(nfj.decode(jnp.asarray(c), fmt)))
        assert_same(nf.decode(c, fmt), np.asarray(jax.jit(lambda v, f=fmt: nfj.decode(v, f))(c)))


def test_jit_and_vmap_blocks():
    """Block formats under jax.jit (a BlockCodes is a pytree) and jax.vmap, as NumPy."""
    x = (np.random.default_rng(5).standard_normal((4, 64)) * 64).astype(np.float32)
    f = jax.jit(lambda x: nfj.round(x, "mxfp8_e5m2", "stochastic", seed=9, rng="squares"))
    assert_same(nf.round(x, "mxfp8_e5m2", "stochastic", seed=9, rng="squares"), np.asarray(f(jnp.asarray(x))))
    enc = jax.jit(lambda x: nfj.encode(x, "nvfp4", axis=0, pad=True))(jnp.asarray(x))
    expected = nf.encode(x, "nvfp4", axis=0, pad=True)
    assert_same(expected.codes, np.asarray(enc.codes))
    assert_same(nf.decode(expected), np.asarray(jax.jit(nfj.decode)(enc)))
    rows = jax.vmap(lambda r: nfj.round(r, "mxfp4", "toward_positive"))(jnp.asarray(x))
    assert_same(nf.round(x, "mxfp4", "toward_positive"), np.asarray(rows))
def test_posit_jit_and_vmap_give_the_eager_bits():
    x = jnp.asarray((np.random.default_rng(5).standard_normal((4, 64)) * 64).astype(np.float32))
    f = jax.jit(lambda x: nfj.decode(nfj.encode(x, "posit16", "nearest_away"), "posit16"))
    assert_same(nf.round(np.asarray(x), "posit16", "nearest_away"), np.asarray(f(x)))
    rows = jax.vmap(lambda r: nfj.encode(r, "posit32", "odd"))(x)
    assert_same(nf.encode(np.asarray(x), "posit32", "odd"), np.asarray(rows))
    codes = np.arange(256).astype(np.uint8)
    assert_same(nf.decode(codes, "q3.4"), np.asarray(jax.jit(lambda c: nfj.decode(c, "q3.4"))(codes)))


def test_posit_stochastic_needs_x64():
    """Without x64: posit stochastic rounding (64-bit integers) and posit32's round (float64
    values) raise."""
    with pytest.raises(ValueError, match="jax_enable_x64"):
        nfj.round(jnp.float32([1.0]), "posit16", "stochastic", seed=1)
    with pytest.raises(ValueError, match="jax_enable_x64"):
        nfj.round(jnp.float32([1.0]), "posit32")


def _run_with_x64(code: str) -> None:
    """Run code (which enables x64 first: the mode is process-wide) in a subprocess; it passes."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent.parent),
                                                                     os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_x64_float32_results_keep_their_subnormals():
    """Regression: with x64, mxint8 and bfp rounds of float32 x (values made in float64 lanes,
    then converted) gave 0 for float32 subnormal results, as XLA's convert flushes them; the
    conversion keeps them now (``JaxBackend.to_float32``), rounding float64 to nearest even.
    And the decode of binary64 values below 2**-970 into float64 gave 0 (a flushed product)."""
    code = ("import jax; jax.config.update('jax_enable_x64', True)\n"
            "import numpy as np, jax.numpy as jnp, numfmt as nf, numfmt.jax as nfj\n"
            "x = (np.linspace(-1, 1, 64) * 2.0 ** -120).astype(np.float32).reshape(2, 32)\n"
            "for fmt in ('mxint8', 'bfp8'):\n"
            "    a, b = nf.round(x, fmt), np.asarray(nfj.round(jnp.asarray(x), fmt))\n"
            "    assert (a != 0).sum() > 40 and a.tobytes() == b.tobytes(), (fmt, a, b)\n"
            "t = np.array([2.0 ** -149 * 2.5, -2.0 ** -149 * 3.5, 2.0 ** -127 * (1 - 2.0 ** -30), -0.0, 1e-300, 3.0])\n"
            "assert np.asarray(nfj.BACKEND.to_float32(jnp.asarray(t))).tobytes() == t.astype(np.float32).tobytes()\n"
            "c = nf.encode(np.array([5e-324, 1e-310, -1e-300, 2.0 ** -971, 1.0, -0.0]), 'binary64')\n"
            "for f in ('binary64', 'e11m20'):\n"
            "    d = c if f == 'binary64' else nf.encode(nf.decode(c, 'binary64', np.float64), f, 'toward_zero')\n"
            "    a = nf.decode(d, f, np.float64)\n"
            "    assert (a != 0).sum() >= 4 and a.tobytes() == np.asarray(nfj.decode(jnp.asarray(d), f, "
            "jnp.float64)).tobytes(), f\n")
    _run_with_x64(code)


@pytest.mark.slow
def test_posit_with_x64_matches_numpy():
    """With x64 (a subprocess: the mode is process-wide) posit stochastic rounding, float64
    inputs, posit32 decode into float64 and fixed-point round / encode (jitted) equal NumPy."""
    code = ("import jax; jax.config.update('jax_enable_x64', True)\n"
            "import numpy as np, jax.numpy as jnp, numfmt as nf, numfmt.jax as nfj\n"
            "x = (np.random.default_rng(6).standard_normal(500) * 2.0 ** np.arange(-60, 65, 0.25)).astype(np.float32)\n"
            "for op, fmt, x, rule in (('round', 'posit16', x, 'add'), ('encode', 'posit<9,3>', x, 'nearest'),\n"
            "                         ('encode', 'posit32', x.astype(np.float64), 'add')):\n"
            "    kw = dict(seed=3, sr_bits=20, sr_rule=rule)\n"
            "    a = getattr(nf, op)(x, fmt, 'stochastic', **kw)\n"
            "    b = np.asarray(getattr(nfj, op)(jnp.asarray(x), fmt, 'stochastic', **kw))\n"
            "    assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (fmt, op, rule)\n"
            "for op, fmt, mode in (('round', 'int8', 'stochastic'), ('encode', 'q3.4', 'odd')):\n"
            "    a = getattr(nf, op)(x, fmt, mode, 'saturate', seed=4)if mode == 'stochastic' else getattr(nf, op)(x, fmt, mode)\n"
            "    f = jax.jit(lambda v: getattr(nfj, op)(v, fmt, mode, **(dict(seed=4) if mode == 'stochastic' else {})))\n"
            "    assert a.tobytes() == np.asarray(f(jnp.asarray(x))).tobytes(), (op, fmt)\n"
            "c = nf.encode(x, 'posit32')\n"
            "assert nf.decode(c, 'posit32', np.float64).tobytes() == np.asarray(nfj.decode(jnp.asarray(c), 'posit32', "
            "jnp.float64)).tobytes()\n")
    _run_with_x64(code)
