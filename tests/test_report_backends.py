"""report=True on the torch and JAX adapters: the same CastReport as numfmt.round / encode give
on the same values, for every family; the flags contexts; traced calls."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sampling import ci_grid
import torch

import numfmt as nf
import numfmt.jax as nfj
import numfmt.torch as nft

X = np.array([1.0, 1.06, 464.0, 500.0, 1e6, -3e-3, 1e-9, 0.0, -0.0, np.inf, -np.inf, 2.0 ** -8,
              0.3, -7.25, 100.5, 1e-30] * 4, np.float32)
FINITE = np.where(np.isfinite(X), X, 1.0).astype(np.float32)
FRAMEWORKS = {"torch": (nft, torch.from_numpy), "jax": (nfj, jnp.asarray)}
CASES = [   # (family, format, x, keywords); JAX rounds fixed point in x64 mode only (not here)
    ("float", "e4m3", X, {}),
    ("float", "e2m1", X, {"overflow": "saturate", "rounding": "toward_zero"}),
    ("float", "e5m2", X, {"rounding": "stochastic", "seed": 3}),
    ("posit", "posit8", X, {}),
    ("fixed", "uint4", np.abs(FINITE), {"rounding": "nearest_away"}),
    ("block", "mxfp8_e4m3", X.reshape(2, 32), {}),
    ("block", "mxfp4", FINITE.reshape(2, 32), {"axis": 0, "pad": True}),
]


def _ids(case):
    return f"{case[1]}-{'-'.join(map(str, case[3].values())) or 'default'}"


@pytest.mark.parametrize("framework,case,operation", ci_grid(list(FRAMEWORKS), [pytest.param(c, id=_ids(c)) for c in CASES],
                                                            ["round", "encode"], k=8))
def test_report_equals_numpy(framework, case, operation):
    module, tensor = FRAMEWORKS[framework]
    family, fmt, x, kw = case
    if framework == "jax" and family == "fixed":
        pytest.skip("JAX rounds fixed point in x64 mode only")
    want = getattr(nf, operation)(x, fmt, report=True, **kw)[1]
    out, got = getattr(module, operation)(tensor(x), fmt, report=True, **kw)
    assert got == want and got.first == want.first
    assert all(type(v) is int for v in got.counts().values())
    plain = getattr(module, operation)(tensor(x), fmt, **kw)
    same = np.asarray(plain if operation == "round" else plain.codes if family == "block" else plain)
    mine = np.asarray(out if operation == "round" else out.codes if family == "block" else out)
    np.testing.assert_array_equal(mine, same)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_per_block_and_flags(framework):
    module, tensor = FRAMEWORKS[framework]
    x = X.reshape(2, 32)
    want = nf.round(x, "mxfp8_e4m3", report=True, per_block=True)[1]
    with nf.flags() as f:
        _, got = module.round(tensor(x), "mxfp8_e4m3", report=True, per_block=True)
        module.round(tensor(X), "e4m3")
    for name, counts in want.per_block.items():
        np.testing.assert_array_equal(got.per_block[name], counts)
    assert f.report == want + nf.round(X, "e4m3", report=True)[1]
    with nf.flags(raise_on=("overflow",)), pytest.raises(nf.FlagError, match=rf"numfmt\.{framework}\.round\(e4m3\)"
                                                                             r".*element 3"):
        module.round(tensor(X), "e4m3")
    with pytest.raises(TypeError, match="per_block=True"):
        module.round(tensor(x), "mxfp8_e4m3", per_block=True)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_stochastic_seed_drawn_once(framework):
    """seed=None: the seed drawn for the device cast is the one the report counts with."""
    module, tensor = FRAMEWORKS[framework]
    y, rep = module.round(tensor(X), "e4m3", "stochastic", report=True)
    y_np, want = nf.round(X, "e4m3", "stochastic", seed=nf.last_seed(), report=True)
    np.testing.assert_array_equal(np.asarray(y), y_np)
    assert rep == want


def test_traced_calls_raise_or_stay_uncounted():
    with pytest.raises(TypeError, match="report=True needs concrete values"):
        jax.jit(lambda v: nfj.round(v, "e4m3", report=True))(jnp.asarray(X))
    with nf.flags() as f:
        y = jax.jit(lambda v: nfj.round(v, "e4m3"))(jnp.asarray(X))
    assert f.report.n == 0 and np.array_equal(np.asarray(y), nf.round(X, "e4m3"), equal_nan=True)
