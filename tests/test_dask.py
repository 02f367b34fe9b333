"""numfmt on dask arrays (``numfmt.distributed``): every result equals the NumPy path bit for bit,
for every family, several chunkings and seeds; under the threaded scheduler and on a
``dask.distributed.LocalCluster`` of two worker processes (loopback, shut down by the fixture)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sampling import ci_grid

import numfmt as nf
from numfmt import parallel
from numfmt.casts.fixed import divide_round
from numfmt.random import random_bits
from numfmt.rounding import Rounding
from numfmt.stochastic import stochastic_args

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

RNG = np.random.default_rng(2024)
X = (RNG.standard_normal((24, 96)) * np.exp2(RNG.integers(-6, 6, (24, 96)))).astype(np.float32)
CHUNKINGS = [(24, 96), (5, 96), (7, 10), (1, 33)]     # whole; row chunks (consecutive); tiles; strips
ELEMENT_FORMATS = ["e4m3", "bfloat16", "e2m1", "posit8", "posit16", "int8", "fixed<8,3>"]
BLOCK_FORMATS = ["mxfp8", "mxfp4", "nvfp4", "bfp8", "mxint8"]
CHUNK_CASES = [pytest.param(c, id=f"{c[0]}x{c[1]}") for c in CHUNKINGS]     # (one argument each)


def same(a, b) -> bool:
    """Equal bit for bit, with the same dtype and shape."""
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _fixed(name):
    return nf.FixedFormat(8, 3) if name == "fixed<8,3>" else name


# ----------------------------------------------------------------------------- element formats
@pytest.mark.parametrize("fmt,chunks", ci_grid(ELEMENT_FORMATS, CHUNK_CASES, k=10))
def test_element_formats_equal_numpy_for_any_chunking(fmt, chunks):
    fmt = _fixed(fmt)
    d = da.from_array(X, chunks=chunks)
    for rounding, kw in (("nearest_even", {}), ("toward_zero", {}), ("stochastic", {"seed": 11}),
                         ("stochastic", {"seed": 12, "sr_bits": 5, "sr_rule": "nearest"})):
        expected = nf.round(X, fmt, rounding, overflow="saturate", **kw)
        got = nf.round(d, fmt, rounding, overflow="saturate", **kw)
        assert isinstance(got, da.Array)
        assert same(expected, got.compute()), (fmt, chunks, rounding)
        codes = nf.encode(X, fmt, rounding, overflow="saturate", **kw)
        dcodes = nf.encode(d, fmt, rounding, overflow="saturate", **kw)
        assert same(codes, dcodes.compute())
        assert same(nf.decode(codes, fmt), nf.decode(dcodes, fmt).compute())


def test_stochastic_chunks_offset_their_counter_in_every_family():
    """Element i of the whole array draws random number i whether its chunk is consecutive in
    C order (counter offset) or not (numbers drawn for its indices): each family against the
    NumPy result and against explicit bits from ``numfmt.random.random_bits``."""
    x = np.full((6, 64), 1.0 + 2.0 ** -5, np.float32)       # halfway-ish: SR visibly random
    bits = random_bits(99, x.shape, 8)
    for fmt in ("e4m3", "posit8", nf.FixedFormat(8, 4), "mxfp4", "nvfp4", "bfp4"):
        expected = nf.round(x, fmt, "stochastic", seed=99, sr_bits=8)
        assert same(expected, nf.round(x, fmt, "stochastic", random_bits=bits, sr_bits=8))
        for chunks in ((2, 64), (3, 32), (6, 16)):
            got = nf.round(da.from_array(x, chunks=chunks), fmt, "stochastic", seed=99, sr_bits=8).compute()
            assert same(expected, got), (fmt, chunks)


@pytest.mark.parametrize("chunks", [(24, 96), (5, 96), (7, 10)])
def test_squares_generator_equals_numpy_for_any_chunking(chunks):
    """rng="squares": a consecutive chunk draws Squares numbers from its offset, any other
    chunk for its indices; every family, quantize_affine included."""
    d = da.from_array(X, chunks=chunks)
    for fmt, kw in (("e4m3", {}), ("posit8", {}), ("int8", {}), ("mxfp4", {"axis": 0, "pad": True}), ("nvfp4", {})):
        expected = nf.round(X, fmt, "stochastic", seed=8, rng="squares", sr_bits=9, **kw)
        got = nf.round(d, fmt, "stochastic", seed=8, rng="squares", sr_bits=9, **kw).compute()
        assert same(expected, got), fmt
    expected = nf.quantize_affine(X, "int8", 0.1, exact=True, rounding="stochastic", seed=2, rng="squares")
    got = nf.quantize_affine(d, "int8", 0.1, exact=True, rounding="stochastic", seed=2, rng="squares")
    assert same(expected, got.compute())


@pytest.mark.parametrize("chunks", [(24, 96), (7, 10)])
def test_explicit_random_bits_are_sliced_per_chunk(chunks):
    bits = RNG.integers(0, 1 << 8, X.shape)
    d = da.from_array(X, chunks=chunks)
    for given in (bits, da.from_array(bits, chunks=(5, 5)), bits[0]):
        for fmt, kw in (("e2m1", {}), ("mxfp4", {"axis": 0, "pad": True}), ("posit8", {})):
            expected = nf.round(X, fmt, "stochastic", random_bits=np.asarray(given), sr_bits=8, **kw)
            got = nf.round(d, fmt, "stochastic", random_bits=given, sr_bits=8, **kw).compute()
            assert same(expected, got), (fmt, chunks)


def test_seed_none_is_drawn_once_on_the_client():
    d = da.from_array(X, chunks=(5, 10))
    lazy = nf.round(d, "e4m3", "stochastic")
    seed = nf.last_seed()
    assert same(lazy.compute(), nf.round(X, "e4m3", "stochastic", seed=seed))


# ----------------------------------------------------------------------------- block formats
@pytest.mark.parametrize("fmt,chunks", ci_grid(BLOCK_FORMATS, CHUNK_CASES, k=7))
def test_block_formats_equal_numpy(fmt, chunks):
    d = da.from_array(X, chunks=chunks)
    for axis in (0, 1):
        for rounding, kw in (("nearest_even", {}), ("stochastic", {"seed": 5})):
            pad = X.shape[axis] % nf.format(fmt).block_size != 0
            expected = nf.round(X, fmt, rounding, axis=axis, pad=pad, **kw)
            assert same(expected, nf.round(d, fmt, rounding, axis=axis, pad=pad, **kw).compute()), (axis, rounding)
            enc = nf.encode(X, fmt, rounding, axis=axis, pad=pad, **kw)
            lazy = nf.encode(d, fmt, rounding, axis=axis, pad=pad, **kw)
            assert isinstance(lazy.codes, da.Array) and isinstance(lazy.scales, da.Array)
            codes, scales, ts = dask.compute(lazy.codes, lazy.scales, lazy.tensor_scale)
            assert same(enc.codes, codes) and same(enc.scales, scales)
            assert (ts is None) == (enc.tensor_scale is None)
            if ts is not None:
                assert same(enc.tensor_scale, ts)
            assert (lazy.fmt, lazy.axis, lazy.shape) == (enc.fmt, enc.axis, enc.shape)
            assert same(nf.decode(enc), nf.decode(lazy).compute())


def test_block_axis_is_rechunked_or_raises():
    d = da.from_array(X, chunks=(24, 40))            # 40 is not a multiple of 32
    assert same(nf.round(X, "mxfp8"), nf.round(d, "mxfp8").compute())
    with pytest.raises(ValueError, match="not multiples of mxfp8_e4m3.s block size 32"):
        nf.round(d, "mxfp8", rechunk=False)
    nf.round(da.from_array(X, chunks=(5, 64)), "mxfp8", rechunk=False)      # aligned: fine
    with pytest.raises(ValueError, match="pass pad=True"):
        nf.round(da.from_array(X[:, :90], chunks=(24, 32)), "mxfp8")
    with pytest.raises(ValueError, match="packed=True"):
        nf.encode(d, "mxfp4", packed=True)


def test_nvfp4_tensor_scale_comes_from_the_whole_tensor():
    x = X.copy()
    x[20, 3] = 1e4                  # the amax lives in one chunk only
    x[0, 0] = np.inf                # not finite: not part of the amax
    d = da.from_array(x, chunks=(4, 32))
    assert same(nf.round(x, "nvfp4"), nf.round(d, "nvfp4").compute())
    assert same(nf.encode(x, "nvfp4").tensor_scale, nf.encode(d, "nvfp4").tensor_scale.compute())


# ----------------------------------------------------------------------------- quantize_affine
@pytest.mark.parametrize("chunks", [(24, 96), (5, 96), (7, 10)])
def test_quantize_affine_equals_numpy(chunks):
    d = da.from_array(X, chunks=chunks)
    scale = np.abs(RNG.standard_normal(96)) + 0.01
    zp = RNG.integers(-10, 10, 96)
    for exact in (False, True):
        expected = nf.quantize_affine(X, "int8", scale, zp, axis=1, exact=exact)
        assert same(expected, nf.quantize_affine(d, "int8", scale, zp, axis=1, exact=exact).compute())
    per_row = np.abs(RNG.standard_normal(24)) + 0.01
    for rounding, kw in (("toward_negative", {}), ("stochastic", {"seed": 3}), ("stochastic", {"seed": 4, "sr_bits": 3})):
        expected = nf.quantize_affine(X, "int4", per_row, axis=0, exact=True, rounding=rounding, **kw)
        got = nf.quantize_affine(d, "int4", per_row, axis=0, exact=True, rounding=rounding, **kw)
        assert same(expected, got.compute()), rounding


def test_divide_round_per_element_scales_with_threads(monkeypatch):
    """Regression: with several threads, per-element scales (quantize_affine per channel,
    exact=True) were read from the start of the scale array in every thread's range, so the
    second half of a large array used the first half's scales."""
    monkeypatch.setattr(parallel, "_threads", 2)        # two ranges, whatever the machine
    monkeypatch.setattr(parallel, "_pool", None)
    x = np.ones((2, 1 << 17))
    q = nf.quantize_affine(x, "int8", np.array([0.5, 0.25]), axis=0, exact=True)
    assert (q[0] == 2).all() and (q[1] == 4).all()
    flat = np.arange(1 << 18, dtype=np.float64)
    scales = np.where(np.arange(1 << 18) < 1 << 17, 1.0, 2.0)
    out = divide_round(flat, scales, Rounding.TOWARD_ZERO, -(1 << 62), 1 << 62)
    assert np.array_equal(out, (flat // scales).astype(np.int64))


def test_start_is_for_seeded_bits_only():
    with pytest.raises(ValueError, match="sliced"):
        stochastic_args(Rounding.STOCHASTIC, (2,), None, 8, "add", np.zeros(2, np.int64), start=4)


# ----------------------------------------------------------------------------- sum and dot
SPECIAL = nf.round(RNG.standard_normal((12, 70)) * 8, "e4m3").astype(np.float32)
SPECIAL[2, 5] = SPECIAL[2, 60] = np.inf
SPECIAL[3, 1], SPECIAL[3, 69] = np.inf, -np.inf
SPECIAL[4, 40] = -np.nan                                         # a single NaN keeps its sign
SPECIAL[5] = -0.0
SPECIAL[6, :35], SPECIAL[6, 35:] = -0.0, 0.0
SPECIAL[7, :35], SPECIAL[7, 35:] = 448.0, -448.0                 # cancels exactly
SPECIAL[8, :] = 448.0                                            # overflows a small accumulator


@pytest.mark.parametrize("chunks", [(12, 70), (5, 7), (1, 64), (12, 2)])
def test_exact_sum_and_dot_equal_numpy(chunks):
    d = da.from_array(SPECIAL, chunks=chunks)
    for acc in ("bfloat16", "e5m2", "binary32"):
        for rounding in ("nearest_even", "toward_negative", "odd"):     # rdn: the sign of zero sums
            for axis in (None, 0, 1, (0, 1)):
                expected = nf.sum(SPECIAL, "bfloat16", axis=axis, accumulator=acc, order="exact", rounding=rounding)
                got = nf.sum(d, "bfloat16", axis=axis, accumulator=acc, order="exact", rounding=rounding)
                assert same(expected, got.compute()), (acc, rounding, axis)
        expected = nf.dot(SPECIAL, SPECIAL[0], "bfloat16", accumulator=acc, order="exact")
        assert same(expected, nf.dot(d, SPECIAL[0], "bfloat16", accumulator=acc, order="exact").compute())
        expected = nf.dot(SPECIAL, SPECIAL[1], "bfloat16", product="e4m3", accumulator=acc, order="exact",
                          overflow="saturate")
        got = nf.dot(d, d[1], "bfloat16", product="e4m3", accumulator=acc, order="exact", overflow="saturate")
        assert same(expected, got.compute())
    for seed in (1, 2):
        expected = nf.sum(SPECIAL, "bfloat16", axis=1, accumulator="bfloat16", order="exact", rounding="stochastic",
                          seed=seed, sr_bits=12)
        got = nf.sum(d, "bfloat16", axis=1, accumulator="bfloat16", order="exact", rounding="stochastic", seed=seed,
                     sr_bits=12)
        assert same(expected, got.compute())
    expected = nf.sum(SPECIAL, "bfloat16", axis=0, accumulator="e5m2", order="exact", keepdims=True)
    assert same(expected, nf.sum(d, "bfloat16", axis=0, accumulator="e5m2", order="exact", keepdims=True).compute())


def test_exact_sum_overflow_raises_as_numpy():
    d = da.from_array(SPECIAL[8:9], chunks=(1, 7))
    with pytest.raises(OverflowError, match="overflow during the accumulation"):
        nf.sum(SPECIAL[8:9], "e4m3", accumulator="e4m3", order="exact", overflow="raise")
    with pytest.raises(OverflowError, match="overflow during the accumulation"):
        nf.sum(d, "e4m3", accumulator="e4m3", order="exact", overflow="raise").compute()


def test_blocked_and_one_chunk_orders_equal_numpy():
    x = SPECIAL[9:].copy()
    for chunks in ((3, 70), (2, 20), (1, 7)):
        d = da.from_array(x, chunks=chunks)
        for order, kw in (("blocked", {"block": 16}), ("blocked", {"block": 7}), ("sequential", {}), ("kahan", {}),
                          ("sequential", {"promote_every": 8}),
                          ("fused", {"fused_terms": 4, "alignment_bits": 13})):
            for axis in (1, 0) if order == "blocked" else (None, 1):
                expected = nf.sum(x, "e4m3", axis=axis, accumulator="bfloat16", order=order, **kw)
                got = nf.sum(d, "e4m3", axis=axis, accumulator="bfloat16", order=order, **kw)
                assert same(expected, got.compute()), (order, kw, chunks, axis)
            expected = nf.dot(x, x[::-1], "e4m3", accumulator="bfloat16", order=order, **kw)
            assert same(expected, nf.dot(d, d[::-1], "e4m3", accumulator="bfloat16", order=order, **kw).compute())


def test_integer_accumulators_equal_numpy():
    """Integer accumulators (``numfmt.intacc``) take the reduced axis in one chunk."""
    x = RNG.integers(-128, 128, (24, 96)).astype(np.float32)
    d = da.from_array(x, chunks=(7, 10))
    for order, kw in (("sequential", {}), ("exact", {}), ("blocked", {"block": 8})):
        for overflow in ("wrap", "saturate"):
            expected = nf.sum(x, "int8", axis=1, accumulator="int12", overflow=overflow, order=order, **kw)
            got = nf.sum(d, "int8", axis=1, accumulator="int12", overflow=overflow, order=order, **kw)
            assert same(expected, got.compute()), (order, overflow)
        expected = nf.dot(x, x[0], "int8", accumulator="int16", order=order, **kw)
        assert same(expected, nf.dot(d, x[0], "int8", accumulator="int16", order=order, **kw).compute())


def test_pairwise_is_per_chunk_then_across_chunks():
    """The stated tree: each chunk by numpy's pairwise tree, then the chunk sums (C order of the
    chunk grid) by the same tree."""
    x = nf.round(RNG.standard_normal((3, 1000)), "e4m3").astype(np.float32)
    d = da.from_array(x, chunks=(3, 300))
    parts = np.stack([nf.sum(x[:, i:i + 300], "e4m3", axis=1, accumulator="bfloat16", order="pairwise")
                      for i in range(0, 1000, 300)], axis=1)
    expected = nf.sum(parts, "bfloat16", axis=1, order="pairwise")
    assert same(expected, nf.sum(d, "e4m3", axis=1, accumulator="bfloat16", order="pairwise").compute())
    one = da.from_array(x, chunks=(1, 1000))          # the reduced axis in one chunk: NumPy's result
    assert same(nf.sum(x, "e4m3", axis=1, accumulator="bfloat16", order="pairwise"),
                nf.sum(one, "e4m3", axis=1, accumulator="bfloat16", order="pairwise").compute())


@pytest.mark.parametrize("a_shape,b_shape", [((24, 96), (96, 10)), ((96,), (96, 10)), ((24, 96), (96,)),
                                             ((2, 1, 6, 96), (3, 96, 5))])
def test_matmul_is_lazy_and_equals_numpy(a_shape, b_shape):
    """matmul takes the contracted axis in one chunk: numpy.matmul's shapes, NumPy's bits."""
    a = nf.round(RNG.standard_normal(a_shape), "e4m3").astype(np.float32)
    b = nf.round(RNG.standard_normal(b_shape), "e4m3").astype(np.float32)
    for kw in ({"accumulator": "bfloat16"}, {"accumulator": "binary32", "order": "fused", "fused_terms": 4,
                                              "alignment_bits": 13, "rounding": "toward_zero"},
               {"accumulator": "binary16", "product": "bfloat16", "order": "exact"}):
        expected = nf.matmul(a, b, "e4m3", **kw)
        got = nf.matmul(da.from_array(a, chunks=5), da.from_array(b, chunks=7), "e4m3", **kw)
        assert isinstance(got, da.Array) and same(expected, got.compute()), kw
        assert same(expected, nf.matmul(da.from_array(a, chunks=7), b, "e4m3", **kw).compute()), kw
    d = da.from_array(a, chunks=5)
    with pytest.raises(ValueError, match="stochastic rounding of a matmul"):
        nf.matmul(d, b, "e4m3", rounding="stochastic", seed=1)
    with pytest.raises(ValueError, match="accumulator='quire'"):
        nf.matmul(d, b, "e4m3", accumulator="quire")
    with pytest.raises(TypeError, match="report=True needs NumPy input"):
        nf.matmul(d, b, "e4m3", report=True)


def test_nan_and_zero_sums_equal_numpy():
    """Rows that overflow e4m3 to NaN, hold a NaN, are all -0 or cancel: the same NaN (the
    positive one) and zero signs as NumPy in every order, the exact order's merged partials too."""
    x = np.float32([[-448, -448, 1, 2], [np.nan, 1, 1, 2], [-0.0, -0.0, -0.0, -0.0], [448, 448, -448, -448]])
    for order, kw in (("exact", {}), ("sequential", {}), ("blocked", {"block": 2}), ("pairwise", {}),
                      ("fused", {"fused_terms": 2, "alignment_bits": 8})):
        expected = nf.sum(x, "e4m3", axis=1, order=order, **kw)
        assert same(expected, nf.sum(da.from_array(x, chunks=(2, 2)), "e4m3", axis=1, order=order, **kw).compute())
        assert np.float32(expected[0]).view(np.uint32) == 0x7FC00000, order


def test_report_and_rechunk_arguments_are_checked():
    """report=True of any call on a dask array: one TypeError; rechunk takes True or False only."""
    d = da.from_array(X, chunks=(5, 96))
    for call in (lambda: nf.round(d, "e4m3", report=True), lambda: nf.encode(d, "mxfp4", report=True),
                 lambda: nf.sum(d, "e4m3", report=True), lambda: nf.dot(d, d, "e4m3", report=True),
                 lambda: nf.quantize_affine(d, "int8", 0.1, report=True)):
        with pytest.raises(TypeError, match="report=True needs NumPy input"):
            call()
    with pytest.raises(TypeError, match="rechunk must be True or False; got 'no'"):
        nf.round(d, "mxfp4", rechunk="no")


def test_reduction_arguments_are_checked_when_the_graph_is_built():
    d = da.from_array(SPECIAL[9:], chunks=(5, 7))
    with pytest.raises(ValueError, match="order='exact'"):
        nf.sum(d, "e4m3", accumulator="bfloat16", rounding="stochastic", seed=1)
    with pytest.raises(ValueError, match="rng='splitmix64'"):
        nf.sum(d, "e4m3", accumulator="bfloat16", order="exact", rounding="stochastic", seed=1, rng="squares")
    with pytest.raises(ValueError, match="NumPy inputs"):
        nf.sum(d, "e4m3", order="exact", rounding="stochastic", random_bits=np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="order must be one of"):
        nf.sum(d, "e4m3", order="tree")
    with pytest.raises(ValueError, match="reduces one axis"):
        nf.sum(d, "e4m3", order="blocked", block=4)
    with pytest.raises(ValueError, match="differ in length"):
        nf.dot(d, SPECIAL[0, :3], "e4m3")


# ----------------------------------------------------------------------------- errors and imports
def test_data_errors_surface_at_compute_as_in_numpy():
    x = X.copy()
    x[17, 50] = np.nan
    d = da.from_array(x, chunks=(5, 10))
    with pytest.raises(ValueError, match="are NaN, and e2m1 has no NaN"):
        nf.round(x, "e2m1")
    lazy = nf.round(d, "e2m1")                      # building the graph does not look at the data
    with pytest.raises(ValueError, match="are NaN, and e2m1 has no NaN"):
        lazy.compute()
    with pytest.raises(ValueError, match="rounding must be one of|unknown rounding"):
        nf.round(d, "e4m3", "sideways")


def test_dask_is_imported_only_when_a_dask_array_comes_in():
    code = ("import sys, numpy as np, numfmt as nf; nf.round(np.ones(3), 'e4m3'); nf.sum(np.ones(3), 'e4m3'); "
            "nf.quantize_affine(np.ones(3), 'int8', 1.0); print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- a process cluster
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1", silence_logs=40) as cluster:
        with distributed.Client(cluster, set_as_default=False) as c:
            yield c


def test_local_cluster_of_processes_equals_numpy(client):
    """One graph for every family (the workers compile each kernel once), two seeds and two
    chunkings; then a failing task surfaces as NumPy's error."""
    lazy, expected = [], []
    for chunks in ((5, 96), (7, 10)):
        d = da.from_array(X, chunks=chunks)
        for seed in (1, 2):
            for fmt in ("e4m3", "posit16", "int8", "mxfp8", "nvfp4", "bfp8"):
                kw = {"axis": 0, "pad": True} if fmt == "mxfp8" else {}       # blocks across the row chunks
                lazy.append(nf.round(d, fmt, "stochastic", seed=seed, **kw))
                expected.append(nf.round(X, fmt, "stochastic", seed=seed, **kw))
        lazy.append(nf.decode(nf.encode(d, "e5m2"), "e5m2"))
        expected.append(nf.decode(nf.encode(X, "e5m2"), "e5m2"))
        lazy.append(nf.quantize_affine(d, "int8", 0.1, 3, exact=True, rounding="stochastic", seed=7))
        expected.append(nf.quantize_affine(X, "int8", 0.1, 3, exact=True, rounding="stochastic", seed=7))
        s = da.from_array(SPECIAL, chunks=(5, 7) if chunks == (7, 10) else chunks[:1] + (70,))
        lazy.append(nf.sum(s, "bfloat16", axis=1, order="exact"))
        expected.append(nf.sum(SPECIAL, "bfloat16", axis=1, order="exact"))
        lazy.append(nf.dot(s, SPECIAL[0], "bfloat16", accumulator="e5m2", order="exact"))
        expected.append(nf.dot(SPECIAL, SPECIAL[0], "bfloat16", accumulator="e5m2", order="exact"))
    results = client.compute(lazy, sync=True)
    for e, r in zip(expected, results):
        assert same(e, r)
    x = X.copy()
    x[3, 3] = np.nan
    with pytest.raises(ValueError, match="are NaN, and e2m1 has no NaN"):
        client.compute(nf.round(da.from_array(x, chunks=(5, 10)), "e2m1"), sync=True)
