"""numfmt.torch: bit-identical to the NumPy path (tests/backend_cases.py), on CPU and, where
present, CUDA; framework dtypes as formats; torch.compile(fullgraph=True)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import numfmt as nf  # noqa: E402
import numfmt.torch as nft  # noqa: E402

from backend_cases import *  # noqa: E402,F401,F403 (Framework, assert_same and the shared tests: __all__)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module", params=DEVICES)
def fw(request):
    device = request.param
    return Framework("torch", nft, lambda a: torch.from_numpy(np.array(a)).to(device),
                     lambda t: t.cpu().numpy())


@pytest.mark.parametrize("dtype, name", [("float8_e4m3fn", "e4m3"), ("float8_e5m2", "e5m2"),
                                         ("bfloat16", "bfloat16"), ("float16", "binary16")])
def test_torch_dtypes_are_formats(dtype, name):
    x = (np.random.default_rng(1).standard_normal(1000) * 100).astype(np.float32)
    tdtype = getattr(torch, dtype)
    assert_same(nf.round(x, name), nft.round(torch.from_numpy(x), tdtype).numpy())
    # torch's own cast agrees (round to nearest even, float32 input)
    native = torch.from_numpy(x).to(tdtype).to(torch.float32)
    finite = np.abs(x) < nf.format(name).info.max
    assert_same(native.numpy()[finite], nft.round(torch.from_numpy(x), tdtype).numpy()[finite])
    codes = nft.encode(torch.from_numpy(x), tdtype)
    decoded = nft.decode(codes, name, tdtype)
    assert decoded.dtype == tdtype
    assert torch.equal(decoded.to(torch.float32), nft.decode(codes, name))
    with pytest.raises(ValueError, match="holds"):
        nft.decode(codes, "e5m2" if name != "e5m2" else "e4m3", tdtype)


def test_inputs_of_other_float_dtypes_widen_exactly():
    x = torch.tensor([1.5, -3.25, 448.0], dtype=torch.bfloat16)
    assert_same(nf.round(x.float().numpy(), "e4m3"), nft.round(x, "e4m3").numpy())
    with pytest.raises(TypeError, match="real numbers"):
        nft.round(torch.tensor([1 + 2j]), "e4m3")


def _compiled_matches_eager(f, x, backend: str = "inductor") -> None:
    compiled = torch.compile(f, fullgraph=True, backend=backend)
    for got, expected in zip(compiled(x), f(x)):
        assert got.dtype == expected.dtype
        assert torch.equal(got.view(torch.int32) if got.dtype == torch.float32 else got,
                           expected.view(torch.int32) if expected.dtype == torch.float32 else expected)


def _casts_with_stochastic(x, rand):
    codes = nft.encode(x, "e4m3", "toward_zero")
    return (nft.round(x, "e5m2", "stochastic", sr_bits=20, random_bits=rand), codes,
            nft.decode(codes, "e4m3"), nft.encode(x, "bfloat16", "stochastic", seed=3))


CAST_X = torch.from_numpy((np.random.default_rng(2).standard_normal(256) * 64).astype(np.float32))
CAST_RAND = torch.randint(0, 1 << 20, (256,), generator=torch.Generator().manual_seed(2))


def test_torch_compile_fullgraph():
    """round, encode and decode trace without graph breaks and give the eager bits, seeded
    stochastic rounding included (aot_eager: inductor's code generation took 23 s of the test
    run; the slow test below runs it)."""
    _compiled_matches_eager(lambda x: _casts_with_stochastic(x, CAST_RAND), CAST_X, backend="aot_eager")


BLOCK_X = (np.random.default_rng(4).standard_normal((64, 32)) * 64).astype(np.float32)


def _mxfp4_toward_zero(x):
    return nft.round(x, "mxfp4", "toward_zero", dim=0)


def test_torch_compile_fullgraph_blocks():
    """A block round traces without graph breaks and gives NumPy's bits (the block maxima are
    torch reductions, the rest the kernels' own functions). aot_eager: inductor's code generation
    for it took 161 s of the 2-core test run; the slow test below runs inductor."""
    compiled = torch.compile(_mxfp4_toward_zero, fullgraph=True, backend="aot_eager")
    assert_same(nf.round(BLOCK_X, "mxfp4", "toward_zero", axis=0), compiled(torch.from_numpy(BLOCK_X)).numpy())


POSIT_X = torch.from_numpy((np.random.default_rng(4).standard_normal(256) * 64).astype(np.float32))


def _posit_and_fixed(x):
    codes = nft.encode(x, "posit16", "toward_zero")
    ints = nft.encode(x, "int8", overflow="wrap")
    packed = nft.encode(x, "mxfp4", packed=True).codes
    return codes, nft.decode(codes, "posit16"), ints, nft.decode(ints, "int8"), packed


def test_torch_compile_fullgraph_posit_and_fixed():
    """Posit and int8 encode and decode, and packed mxfp4 codes, trace without graph breaks and
    give the eager bits (aot_eager: inductor's code generation takes seconds; the slow test
    below runs it)."""
    _compiled_matches_eager(_posit_and_fixed, POSIT_X, backend="aot_eager")


@pytest.mark.slow
def test_torch_compile_fullgraph_inductor():
    """Inductor: encode / decode, seeded and explicit-bits stochastic rounding, posit32 (int64
    lanes), q3.4, a block round."""
    _compiled_matches_eager(lambda x: _casts_with_stochastic(x, CAST_RAND), CAST_X)
    _compiled_matches_eager(_posit_and_fixed, POSIT_X)
    _compiled_matches_eager(lambda x: (_mxfp4_toward_zero(x),), torch.from_numpy(BLOCK_X))
    _compiled_matches_eager(lambda x: (nft.round(x, "posit8", "stochastic", seed=9, sr_bits=12),
                                       nft.encode(x, "posit32"), nft.round(x, "q3.4", "stochastic", seed=2)),
                            POSIT_X)

