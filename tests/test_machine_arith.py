"""float32's own arithmetic rounded once more (``kernels.machine_arith``) gives the exact
route's bits: round to nearest even of add, sub, mul, div and sqrt in formats of precision at
most 11 (double rounding innocuous, Figueroa 1995). float32 operands take the machine kernel,
float64 operands the float64 route / exact core: the two are compared bit for bit."""
import numpy as np
import pytest

import numfmt as nf
from numfmt.arithmetic.floating import machine_format

SMALL = ("e4m3", "e5m2", "e4m3fnuz", "e2m1", "e3m2", "e2m3", "e5m2fnuz")
WIDE = ("bfloat16", "binary16", "tf32")
OPS = {"add": nf.add, "sub": nf.sub, "mul": nf.mul, "div": nf.div}


def codes_values(fmt: str) -> np.ndarray:
    """Every value of an 8-bit or narrower format (NaN included where it has one)."""
    f = nf.format(fmt)
    return nf.decode(np.arange(1 << f.bits, dtype=np.uint8 if f.bits <= 8 else np.uint16), f, dtype=np.float64)


def same_bits(got32: np.ndarray, want64: np.ndarray) -> None:
    """float32 results equal float64 ones as values, NaN signs included."""
    want = want64.astype(np.float32)
    assert got32.dtype == np.float32
    mismatch = got32.view(np.uint32) != want.view(np.uint32)
    assert not mismatch.any(), (int(mismatch.sum()), got32[mismatch][:5], want[mismatch][:5])


def operands(fmt: str, a: np.ndarray, b: np.ndarray, op: str):
    """Drop the invalid operations of formats without NaN (they raise in both paths)."""
    if not nf.format(fmt).has_nan and op == "div":
        keep = b != 0
        a, b = a[keep], b[keep]
    return a, b


def check(fmt: str, a: np.ndarray, b: np.ndarray, overflow: str) -> None:
    for op, function in OPS.items():
        x, y = operands(fmt, a, b, op)
        same_bits(function(x.astype(np.float32), y.astype(np.float32), fmt, overflow=overflow),
                  function(x, y, fmt, overflow=overflow))
    root = np.abs(a) if not nf.format(fmt).has_nan else a
    same_bits(nf.sqrt(root.astype(np.float32), fmt, overflow=overflow), nf.sqrt(root, fmt, overflow=overflow))


@pytest.mark.parametrize("fmt", SMALL)
def test_every_pair_of_small_formats(fmt):
    v = codes_values(fmt)
    a, b = np.repeat(v, v.size), np.tile(v, v.size)
    check(fmt, a, b, "ieee" if fmt != "e4m3" else "saturate")


@pytest.mark.parametrize("fmt", WIDE)
def test_random_pairs_over_every_binade(fmt):
    """200,000 pairs: random codes (every binade, subnormals, Inf, NaN), and pairs one ulp apart
    (cancellation)."""
    f = nf.format(fmt)
    rng = np.random.default_rng(1)
    dtype = np.uint16 if f.bits <= 16 else np.uint32
    codes = rng.integers(0, 1 << f.bits, 200_000).astype(dtype)
    a = nf.decode(codes, f, dtype=np.float64)
    b = nf.decode(rng.integers(0, 1 << f.bits, codes.size).astype(dtype), f, dtype=np.float64)
    b[::4] = nf.decode(codes[::4] ^ dtype(1), f, dtype=np.float64)
    check(fmt, a, b, "ieee")
    check(fmt, a[:20_000], b[:20_000], "saturate")


def test_which_formats_take_the_machine():
    """Precision at most 11 with p + 2 bits of float32 below every quantum (tf32 just: its
    smallest quantum 2**-136 is float32's 2**-149 times 2**13); not binary32, not p = 12, not
    a tf32 whose subnormals go one binade lower."""
    assert all(machine_format(nf.format(f)) for f in SMALL + WIDE)
    low_tf32 = nf.FloatFormat(8, 10, bias=128)
    assert not any(machine_format(f) for f in (nf.format("binary32"), nf.format("e5m11"), low_tf32))


def test_a_thread_that_flushes_subnormals_refuses():
    """The kernel sees FTZ / DAZ as tiny + tiny == 0: it computes nothing and flags bad[1], so
    elementwise runs the exact core."""
    from numfmt.kernels.machine_arith import machine_kernel
    from numfmt.casts.floating import kernel_params
    from numfmt.rounding import Rounding
    f = nf.format("e4m3")
    p = kernel_params(f, False, Rounding.NEAREST_EVEN, "ieee", "raise")[0]
    pc = kernel_params(f, False, Rounding.TOWARD_ZERO, "ieee", "ml_dtypes")[0]
    x = np.ones(3, np.float32)
    for tiny, flagged, result in ((np.float32(0), 1, 0.0), (np.float32(2.0 ** -149), 0, 2.0)):
        out, bad = np.zeros(3, np.float32), np.zeros(2, np.int64)
        machine_kernel(x, out, 0, x, np.int64(0), p, pc, bad, tiny)
        assert bad[1] == flagged and (out == result).all()
