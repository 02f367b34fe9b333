"""numfmt on Dask arrays: ``round``, ``encode``, ``decode``, ``quantize_affine``, ``sum``, ``dot``
and ``matmul`` take a dask array and return a lazy one, equal bit for bit to the NumPy result.

The public functions hand a dask array here (``numfmt.array_libraries``); dask is imported only then
(``pip install "numfmt[dask]"``). Each chunk runs the NumPy code path, so any scheduler works:
threads, processes, ``dask.distributed`` clusters. Arguments are checked when the graph is
built (the same errors as NumPy); errors that depend on the data (NaN into a format without
NaN, overflow under ``overflow="raise"``) come from the chunk's task when it is computed, with
NumPy's message about that chunk.

Element formats (float, posit, integer and fixed point) take any chunking. Stochastic rounding
gives the NumPy result for the same seed whatever the chunking: element i (C order of the whole
array) draws random number i. A chunk whose elements are consecutive in that order (chunks that
span every axis after their first long one, e.g. row chunks) offsets its counter by its first
element's index; any other chunk draws its numbers for the global indices of its elements
(``numfmt.random.counter_bits``), which costs an index array the size of the chunk. Explicit
``random_bits`` (NumPy or dask, broadcastable to x) are sliced to each chunk; ``rng="squares"``
works the same way (a chunk's Squares numbers from its offset, or for its indices).

Block formats (MX, NVFP4, bfp) quantize along an axis; blocks never straddle chunks: the axis is
rechunked to a multiple of the block size (``rechunk=False``: ValueError instead). NVFP4's
per-tensor scale needs the whole tensor's amax: a first pass (a dask reduction) computes it, and
every chunk applies it. ``encode`` gives a ``BlockCodes`` whose codes, scales and tensor scale
are dask arrays; ``packed=True`` is for NumPy inputs.

Reductions (``sum``, ``dot``) over chunked axes, by ``order``:

- ``"exact"``: each chunk's terms are summed exactly into a long accumulator
  (``kernels.accumulate.exact_partials``), the chunks' accumulators are added exactly (limb by
  limb, in dask's reduction tree) and the total is rounded once: bit for bit the NumPy result,
  stochastic rounding included (one random number per output, as NumPy draws it).
- ``"pairwise"``: each chunk's terms reduced by numpy's pairwise tree (``numfmt.sum``), then the
  chunk results, in C order of the chunk grid, by the same pairwise tree. This equals the NumPy
  result when the reduced axes are in one chunk, and in general differs from it (a different
  tree).
- ``"blocked"`` (``block=B``): the reduced axis (one) is rechunked to multiples of B; each
  chunk gives its block sums (each the sequential sum of B terms), and the block sums of all
  chunks are added in sequence: the blocked order itself, bit for bit the NumPy result.
- ``"sequential"``, ``"kahan"``, ``"fused"`` and ``promote_every`` are inherently sequential: the
  reduced axes are rechunked into one chunk (memory per task: the whole reduced extent) and
  reduced by the NumPy code, bit for bit. Integer accumulators (``numfmt.intacc``) too.

Stochastic rounding in reductions: ``order="exact"`` without ``product`` and ``promote_every``,
with ``rng="splitmix64"`` (one rounding per output, the random number NumPy draws for it); the
other cases raise
ValueError (their random numbers are numbered along the whole reduction). Explicit
``random_bits`` of reductions are for NumPy inputs; ``accumulator="quire"`` too.
"""
from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

import numpy as np

from . import array_libraries
from .accumulate import (dot as _dot, dot_operands, dot_shape, make_plan as _make_plan, matmul as _matmul, matmul_shape,
                         merge_partials, reduced_axes, stack_rows, sum as _sum, sum_terms)
from .casts import BlockCodes, block_options, checked_cast, decode as _decode
from .casts import block as _block
from .casts.common import as_float_array
from .casts.floating import fits_float32
from .formats.registry import format as _format
from .intacc import is_integer_format
from .quantize import affine_integers, affine_params, native_array, storage_dtype
from .kernels.accumulate import PARTIAL_WIDTH
from .random import counter_bits
from .rounding import Rounding, rounding_mode
from .stochastic import stochastic_args

__all__ = ["cast", "decode", "quantize_affine", "sum", "dot", "matmul"]

if TYPE_CHECKING:
    import dask.array


def _da():
    import dask.array as da
    return da


# ----------------------------------------------------------------------------- chunk positions
def chunk_start(location, shape) -> int | None:
    """The C-order index in the whole array (``shape``) of the first element of the chunk at
    ``location`` ((start, stop) per axis), or None where the chunk's elements are not
    consecutive in that order.

    >>> chunk_start([(2, 4), (0, 5)], (6, 5)), chunk_start([(2, 4), (0, 3)], (6, 5))
    (10, None)
    """
    sizes = [hi - lo for lo, hi in location]
    first_long = next((d for d, n in enumerate(sizes) if n > 1), len(sizes))
    if any(sizes[d] != shape[d] for d in range(first_long + 1, len(shape))):
        return None
    first = 0                   # (``sum`` is this module's reduction)
    for d, (lo, _) in enumerate(location):
        first += lo * math.prod(shape[d + 1:])
    return first


def chunk_indices(location, shape) -> np.ndarray:
    """The C-order indices in the whole array of the chunk's elements (int64, the chunk's shape).

    >>> chunk_indices([(1, 3), (1, 3)], (3, 4)).tolist()
    [[5, 6], [9, 10]]
    """
    index = np.zeros([hi - lo for lo, hi in location], np.int64)
    for d, (lo, hi) in enumerate(location):
        along = np.arange(lo, hi, dtype=np.int64) * math.prod(shape[d + 1:])
        index += along.reshape([-1 if e == d else 1 for e in range(len(shape))])
    return index


def _chunk_random(info: dict, seed: int, sr_bits: int, rand, rng: str):
    """(random bits, start, rng) of a chunk's call: explicit bits as given (start 0); seeded
    bits by a counter offset where the chunk is consecutive in C order, else drawn for its
    indices (as explicit bits)."""
    if rand is not None:
        return rand, 0, "splitmix64"
    location, shape = info["array-location"], info["shape"]
    start = chunk_start(location, shape)
    if start is not None:
        return None, start, rng
    return counter_bits(seed, chunk_indices(location, shape), sr_bits, rng), 0, "splitmix64"


def _stochastic(mode: Rounding, shape, seed, sr_bits, sr_rule, random_bits, rng: str):
    """Check the stochastic arguments on the client (the seed drawn once, here, for
    ``numfmt.last_seed``): (seed, sr_bits, random bits as a dask array or None)."""
    if random_bits is None:             # nothing to check against the shape; no Squares bits drawn here
        shape = ()
    dask_bits = array_libraries.is_dask(random_bits)
    checked = stochastic_args(mode, shape, seed, sr_bits, sr_rule,
                              np.zeros((), np.int64) if dask_bits else random_bits, rng=rng)
    if checked is None:
        return None, sr_bits, None
    rand = None
    if random_bits is not None:
        da = _da()
        rand = da.broadcast_to(da.asarray(random_bits), shape)
    return checked[0], checked[1], rand


def _along_chunks(rand, x):
    return None if rand is None else rand.rechunk(x.chunks)


# ----------------------------------------------------------------------------- casts
def _aligned(x, axis: int, size: int, rechunk: bool = True, what: str = ""):
    """x with the axis chunked in multiples of size (but its last chunk), rechunked where it
    is not (``rechunk=False``: ValueError naming ``what`` has that size)."""
    chunks = x.chunks[axis]
    if all(c % size == 0 for c in chunks[:-1]):
        return x
    target = max(size, max(chunks) // size * size)
    if not rechunk:
        raise ValueError(f"the chunks {chunks} of axis {axis} are not multiples of {what} {size}, so blocks "
                         f"would straddle chunks; rechunk that axis (e.g. x.rechunk({{{axis}: {target}}})) or "
                         "pass rechunk=True")
    return x.rechunk({axis: target})


def _per_block(chunks: tuple, axis: int, size: int) -> tuple:
    """The chunks of an array with one element per block of size along axis."""
    return tuple(tuple(-(-c // size) for c in cs) if d == axis else cs for d, cs in enumerate(chunks))


def _cast_chunk(block, rand, amax, *, operation, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, rng,
                stochastic, options, block_info=None):
    start = 0
    if stochastic:
        rand, start, rng = _chunk_random(block_info[0], seed, sr_bits, rand, rng)
    if amax is not None:
        options = dict(options, amax=amax)
    out = checked_cast(operation, block, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, rand, rng, start=start,
                **options)
    if isinstance(out, BlockCodes):     # one object per chunk; ``cast`` takes its fields apart
        holder = np.empty((1,) * block.ndim, object)
        holder[(0,) * block.ndim] = out
        return holder
    return out


def _amax_chunk(x, axis, keepdims):
    return np.full((1,) * x.ndim, _block.finite_amax(x) if x.size else 0, np.float32)


def _field(holder, name):
    return getattr(holder[(0,) * holder.ndim], name)


def cast(operation: str, x, fmt, rounding: str, overflow: str, nan: str, seed, sr_bits, sr_rule: str, random_bits,
         rng: str = "splitmix64", *, axis=None, pad: bool = False, packed: bool = False,
         rechunk: bool = True) -> dask.array.Array | BlockCodes:
    """``numfmt.round`` (operation "round_float") or ``numfmt.encode`` ("encode_float") of a
    dask array, lazily: a dask array (a BlockCodes of dask arrays for ``encode`` with a block
    format), equal bit for bit to the NumPy result (see the module docstring).

    >>> import dask.array as da
    >>> x = da.from_array(np.float32([1.06, 300.0, -2.5, 0.1]), chunks=2)
    >>> cast("round_float", x, "e4m3", "nearest_even", "ieee", "raise", None, None, "add", None).compute().tolist()
    [1.0, 288.0, -2.5, 0.1015625]
    """
    if not isinstance(rechunk, (bool, np.bool_)):
        raise TypeError(f"rechunk must be True or False; got {rechunk!r}")
    da = _da()
    x = da.asarray(x)
    fmt = _format(fmt)
    mode = rounding_mode(rounding)
    options = {"axis": axis, "pad": pad} | ({"packed": packed} if operation == "encode_float" else {})
    block_options(fmt, **options)
    if packed:
        raise ValueError("packed=True packs the codes of the whole array in C order; encode a dask array "
                         "unpacked and pack the computed codes (numfmt.casts.block.pack)")
    seed, sr_bits, rand = _stochastic(mode, x.shape, seed, sr_bits, sr_rule, random_bits, rng)
    sample_shape = (1,) * x.ndim
    amax = None
    if fmt.family == "block":
        axis = _block.blocked_axis(fmt, x.ndim, axis)
        _block.check_length(x.shape[axis], fmt, axis, pad)
        x = _aligned(x, axis, fmt.block_size, rechunk, f"{fmt.name}'s block size")
        sample_shape = tuple(fmt.block_size if d == axis else 1 for d in range(x.ndim))
        if fmt.tensor_scale is not None:      # the first pass: the tensor's finite amax
            amax = da.reduction(x, _amax_chunk, np.max, axis=None, dtype=np.float32, concatenate=True)
    # the arguments checked, and the result's type, on a sample of zeros
    sample = checked_cast(operation, np.zeros(sample_shape, x.dtype), fmt, rounding, overflow, nan, seed, sr_bits,
                   sr_rule, None if rand is None else np.zeros((), np.int64), rng, **options)
    kwargs = dict(operation=operation, fmt=fmt, rounding=rounding, overflow=overflow, nan=nan, seed=seed,
                  sr_bits=sr_bits, sr_rule=sr_rule, rng=rng, stochastic=mode == Rounding.STOCHASTIC, options=options)
    args = (x, _along_chunks(rand, x), amax)
    if not isinstance(sample, BlockCodes):
        return da.map_blocks(_cast_chunk, *args, dtype=sample.dtype, meta=np.empty((0,) * x.ndim, sample.dtype),
                             **kwargs)
    holders = da.map_blocks(_cast_chunk, *args, dtype=object, chunks=tuple((1,) * len(c) for c in x.chunks),
                            meta=np.empty((0,) * x.ndim, object), **kwargs)
    codes = holders.map_blocks(_field, "codes", dtype=sample.codes.dtype, chunks=x.chunks,
                               meta=np.empty((0,) * x.ndim, sample.codes.dtype))
    scales = holders.map_blocks(_field, "scales", dtype=sample.scales.dtype, chunks=_per_block(x.chunks, axis,
                                                                                               fmt.block_size),
                                meta=np.empty((0,) * x.ndim, sample.scales.dtype))
    tensor_scale = None
    if amax is not None:
        tensor_scale = amax.map_blocks(lambda a: _block.tensor_scale_of(fmt, a), dtype=np.float32)
    return BlockCodes(codes, scales, tensor_scale, fmt, axis, x.shape, False)


def _decode_chunk(codes, dtype, fmt):
    return _decode(codes, fmt, dtype)


def _decode_blocks(codes, scales, tensor_scale, *, fmt, axis, out_dtype):
    ts = None if tensor_scale is None else np.float32(tensor_scale)
    return _decode(BlockCodes(codes, scales, ts, fmt, axis, codes.shape), None, out_dtype)


def decode(codes, fmt=None, dtype=np.float32) -> dask.array.Array:
    """``numfmt.decode`` of dask codes, or of a BlockCodes of dask arrays, lazily: a dask array.

    >>> import dask.array as da
    >>> decode(da.from_array(np.uint8([0x38, 0x7E, 0x7F]), chunks=2), "e4m3").compute().tolist()
    [1.0, 448.0, nan]
    """
    da = _da()
    if not isinstance(codes, BlockCodes):
        codes = da.asarray(codes)
        sample = _decode(np.zeros((1,) * codes.ndim, codes.dtype), fmt, dtype)
        return codes.map_blocks(_decode_chunk, dtype, fmt, dtype=sample.dtype,
                                meta=np.empty((0,) * codes.ndim, sample.dtype))
    obj = codes
    if obj.packed:
        raise ValueError("a BlockCodes of dask arrays holds unpacked codes; got packed=True")
    if fmt is not None and _format(fmt) != obj.fmt:
        raise ValueError(f"fmt {_format(fmt).name} does not match the BlockCodes' format {obj.fmt.name}")
    bfmt, axis, bs = obj.fmt, obj.axis, obj.fmt.block_size
    elem = _aligned(da.asarray(obj.codes), axis, bs)
    scales = da.asarray(obj.scales).rechunk(_per_block(elem.chunks, axis, bs))
    sample_shape = tuple(bs if d == axis else 1 for d in range(elem.ndim))
    ts = obj.tensor_scale
    sample = _decode(BlockCodes(np.zeros(sample_shape, elem.dtype), np.zeros((1,) * elem.ndim, scales.dtype),
                                None if ts is None else np.float32(1), bfmt, axis, sample_shape), None, dtype)
    return da.map_blocks(_decode_blocks, elem, scales, ts, fmt=bfmt, axis=axis, out_dtype=dtype, dtype=sample.dtype,
                         meta=np.empty((0,) * elem.ndim, sample.dtype))


# ----------------------------------------------------------------------------- quantize_affine
def _chunk_of(param: np.ndarray, location):
    """The part of a parameter that broadcasts against x (scalar or per channel) for a chunk."""
    if param.ndim == 0:
        return param
    return param[tuple(slice(lo, hi) if n > 1 else slice(None) for (lo, hi), n in zip(location, param.shape))]


def _affine_chunk(block, rand, *, fmt, scale, zero_point, mode, exact, seed, sr_bits, sr_rule, rng, block_info=None):
    info = block_info[0]
    x = as_float_array(native_array(block))
    sr = None
    if exact:
        start = 0
        if mode == Rounding.STOCHASTIC:
            rand, start, rng = _chunk_random(info, seed, sr_bits, rand, rng)
        sr = stochastic_args(mode, x.shape, seed, sr_bits, sr_rule, rand, rng=rng, start=start)
    location = info["array-location"]
    return affine_integers(x, fmt, _chunk_of(scale, location), _chunk_of(zero_point, location), mode, exact, sr)


def quantize_affine(x, fmt, scale, zero_point=0, axis=None, *, exact: bool = False, rounding: str = "nearest_even",
                    seed=None, sr_bits=None, sr_rule: str = "add", random_bits=None,
                    rng: str = "splitmix64") -> dask.array.Array:
    """``numfmt.quantize_affine`` of a dask array, lazily: a dask array of integers; scale and
    zero_point are NumPy values (per channel: 1-d along ``axis``).

    >>> import dask.array as da
    >>> quantize_affine(da.from_array(np.array([0.5, 1.5, 2.5, -1.0]), chunks=3), "uint8", 1.0, 10).compute().tolist()
    [10, 12, 12, 9]
    """
    da = _da()
    x = da.asarray(x)
    fmt, axis, scale, zero_point, mode = affine_params(x.shape, fmt, scale, zero_point, axis, exact, rounding)
    seed_, bits, rand = (None, sr_bits, None)
    if exact:
        seed_, bits, rand = _stochastic(mode, x.shape, seed, sr_bits, sr_rule, random_bits, rng)
    dtype = storage_dtype(fmt)
    return da.map_blocks(_affine_chunk, x, _along_chunks(rand, x), fmt=fmt, scale=scale, zero_point=zero_point,
                         mode=mode, exact=exact, seed=seed_, sr_bits=bits, sr_rule=sr_rule, rng=rng, dtype=dtype,
                         meta=np.empty((0,) * x.ndim, dtype))


# ----------------------------------------------------------------------------- sum and dot
_STATE = np.dtype([("s", np.int64, (PARTIAL_WIDTH,))])    # an exact partial sum as one element
_ONE_CHUNK = ("sequential", "kahan", "fused")


def _plan_args(fmt, accumulator, product, order, options: dict, rounding, overflow, seed, sr_bits, sr_rule,
               random_bits, inputs, rng) -> dict:
    """The checked arguments of the reduction's plan (the seed drawn here, once)."""
    if isinstance(accumulator, str) and accumulator == "quire":
        raise ValueError("accumulator='quire' takes NumPy arrays; for a dask array use order='exact' with a "
                         "float accumulator, or compute the array first")
    mode = rounding_mode(rounding)
    if mode == Rounding.STOCHASTIC:
        if random_bits is not None:
            raise ValueError("random_bits of a reduction are for NumPy inputs; give a dask array a seed")
        if order != "exact" or product is not None or options["promote_every"] is not None or rng != "splitmix64":
            raise ValueError("stochastic rounding of a reduction over a dask array needs order='exact' without "
                             "product= or promote_every=, and rng='splitmix64' (one rounding per output, the "
                             f"random number NumPy draws for it); got order={order!r}, rng={rng!r}")
        seed = stochastic_args(mode, (), seed, sr_bits, sr_rule, None)[0]
    args = dict(fmt=fmt, accumulator=accumulator, order=order, **options, rounding=rounding, overflow=overflow,
                seed=seed, sr_bits=sr_bits, sr_rule=sr_rule, random_bits=random_bits, inputs=inputs, rng=rng)
    if product is not None:         # dot's keyword (sum has none)
        args["product"] = product
    _plan(args, products=product is not None)          # checks them
    return args


def _plan(args: dict, products: bool):
    """The plan of the arguments (``accumulate.make_plan``: float or integer accumulator; built
    where it is used: it holds kernels)."""
    return _make_plan(**{"product": None, **args}, products=products)


def _integer(args: dict) -> bool:
    """Whether the reduction accumulates in an integer format (``numfmt.intacc``)."""
    return is_integer_format(args["fmt"] if args["accumulator"] is None else args["accumulator"])


def _result_dtype(args: dict, products: bool, float32: bool) -> np.dtype:
    if _integer(args):
        return np.dtype(np.int64)
    return np.dtype(np.float32 if float32 and fits_float32(_plan(args, products).out_fmt) else np.float64)


def _as_state(states: np.ndarray) -> np.ndarray:
    """Rows of PARTIAL_WIDTH int64 as one ``_STATE`` element each (the row axis dropped)."""
    return np.ascontiguousarray(states).view(_STATE)[..., 0]


def _merge(parts, axis, keepdims):
    """The exact partial sums ``parts`` merged over axis (dask's chunk, combine and aggregate)."""
    return _as_state(merge_partials(parts["s"], axis, keepdims=keepdims))


def _round_states(states, *, args, products, n, float32, block_info=None):
    """The merged exact sums of a chunk of outputs, each rounded once as NumPy rounds it
    (stochastic rounding: by its output index)."""
    info = block_info[0]
    index = chunk_indices(info["array-location"], info["shape"])
    values = _plan(args, products).round_partials(states["s"], index, n, float32)
    return np.asarray(values).reshape(states.shape)


def _block_sums(arrays, B: int, reduce):
    """``reduce(*blocks)`` over consecutive blocks of B terms of the last axis of each array
    (the last block shorter): the block results along the last axis."""
    c = arrays[0].shape[-1]
    full = c // B * B
    pieces = [reduce(*(t[..., :full].reshape(t.shape[:-1] + (c // B, B)) for t in arrays))]
    if c > full:
        pieces.append(reduce(*(t[..., None, full:] for t in arrays)))
    return np.concatenate([np.asarray(p) for p in pieces], axis=-1)


def _sum_chunk(block, *, args, axes, stage):
    """A chunk's part of the sum over axes (which stay, as length 1, or as the block sums for
    stage "blocks"): its exact partial sums (stage "exact"), its sum in the order, its block sums."""
    arr = as_float_array(block)
    if stage == "exact":
        plan = _plan(args, False)
        kept = tuple(n for d, n in enumerate(arr.shape) if d not in axes)
        states = plan.partials(sum_terms(arr, axes, plan), None, kept)
        return _as_state(states.reshape(tuple(1 if d in axes else n for d, n in enumerate(arr.shape))
                                        + (PARTIAL_WIDTH,)))
    if stage == "blocks":
        moved = np.moveaxis(arr, axes[0], -1)
        sums = _block_sums([moved], args["block"], lambda t: _sum(t, axis=-1, **_sequential(args)))
        return np.moveaxis(sums, -1, axes[0])
    return _sum(arr, axis=axes, keepdims=True, **args)


def _dot_chunk(a, b, *, args, stage):
    """A chunk pair's part of the dot product along the last axis (kept: length 1, or the block
    sums for stage "blocks"), as ``_sum_chunk``."""
    if stage == "exact":
        plan = _plan(args, True)
        x, y, float32 = dot_operands(a, b, plan)
        batch, k = np.broadcast_shapes(x.shape[:-1], y.shape[:-1]), x.shape[-1]
        dtype = plan.terms_dtype(float32)
        states = plan.partials(stack_rows(x[..., None, :], batch, 1, k, dtype),
                               stack_rows(y[..., None, :], batch, 1, k, dtype), batch)
        return _as_state(states.reshape(batch + (1, PARTIAL_WIDTH)))
    if stage == "blocks":
        return _block_sums([a, b], args["block"], lambda s, t: _dot(s, t, **_sequential(args)))
    return np.asarray(_dot(a, b, **args))[..., None]


def _sequential(args: dict) -> dict:
    return dict(args, order="sequential", block=None)


def _across(args: dict, order: str) -> dict:
    """The arguments that reduce the chunks' results (values of the accumulator) in ``order``."""
    acc = _plan(args, args.get("product") is not None).acc
    return dict(fmt=None, accumulator=acc, order=order, rounding=args["rounding"], overflow=args["overflow"])


def _whole(arr, axes: tuple, fn, dtype):
    """fn (a reduction with keepdims) of arr with the reduced axes in one chunk."""
    arr = arr.rechunk({a: -1 for a in axes})
    chunks = tuple((1,) if d in axes else c for d, c in enumerate(arr.chunks))
    return arr.map_blocks(fn, chunks=chunks, dtype=dtype, meta=np.empty((0,) * arr.ndim, dtype))


def _reduce(parts, axes: tuple, args: dict, products: bool, n: int, float32: bool, dtype):
    """The result (keepdims) from the chunks' parts: exact partial sums merged in dask's tree
    and rounded once, or values (a chunk's result, or its block sums) reduced across chunks."""
    da = _da()
    order = args["order"]
    if order == "exact":
        merged = da.reduction(parts, _merge, _merge, combine=_merge, axis=axes, keepdims=True, dtype=_STATE,
                              concatenate=True, meta=np.empty((0,) * parts.ndim, _STATE))
        return merged.map_blocks(_round_states, args=args, products=products, n=n, float32=float32, dtype=dtype,
                                 meta=np.empty((0,) * parts.ndim, dtype))
    across = _across(args, "sequential" if order == "blocked" else "pairwise")
    return _whole(parts, axes, lambda v: _sum(v, axis=axes, keepdims=True, **across), dtype)


def _stage(args: dict) -> str:
    """How a chunk takes part: "exact" partial sums, "blocks" sums, its own "pairwise" sum, or
    "whole" (the reduced axes in one chunk; integer accumulators too)."""
    order = args["order"]
    if args["promote_every"] is not None or order in _ONE_CHUNK or _integer(args):
        return "whole"
    return {"exact": "exact", "blocked": "blocks"}.get(order, "order")


def sum(x, fmt=None, axis=None, *, accumulator=None, order: str = "sequential", block=None,  # noqa: A001
        fused_terms=None, alignment_bits=None, promote_every=None, rounding: str = "nearest_even",
        overflow: str = "ieee", seed=None, sr_bits=None, sr_rule: str = "add", random_bits=None,
        inputs: str = "exact", keepdims: bool = False, rng: str = "splitmix64") -> dask.array.Array:
    """``numfmt.sum`` of a dask array, lazily: a dask array (the orders as the module
    docstring says).

    >>> import dask.array as da
    >>> x = da.from_array(np.ones(1000), chunks=300)
    >>> [float(sum(x, "bfloat16", order=o).compute()) for o in ("sequential", "exact")]
    [256.0, 1000.0]
    """
    da = _da()
    x = da.asarray(x)
    options = dict(block=block, fused_terms=fused_terms, alignment_bits=alignment_bits, promote_every=promote_every)
    args = _plan_args(fmt, accumulator, None, order, options, rounding, overflow, seed, sr_bits, sr_rule,
                      random_bits, inputs, rng)
    axes = reduced_axes(axis, x.ndim)
    float32 = as_float_array(np.zeros(0, x.dtype)).dtype != np.float64
    dtype = _result_dtype(args, False, float32)
    stage = _stage(args)
    if stage == "blocks" and len(axes) != 1:
        raise ValueError(f"order='blocked' over a dask array reduces one axis; got axis={axis!r} of a "
                         f"{x.ndim}-d array")
    if stage == "whole":
        result = _whole(x, axes, lambda b: _sum(b, axis=axes, keepdims=True, **args), dtype)
    else:
        chunks = tuple((1,) * len(c) if d in axes else c for d, c in enumerate(x.chunks))
        if stage == "blocks":
            x = _aligned(x, axes[0], block)
            chunks = _per_block(x.chunks, axes[0], block)
        part_dtype = _STATE if stage == "exact" else dtype
        parts = x.map_blocks(_sum_chunk, args=args, axes=axes, stage=stage, chunks=chunks, dtype=part_dtype,
                             meta=np.empty((0,) * x.ndim, part_dtype))
        result = _reduce(parts, axes, args, False, math.prod(x.shape[d] for d in axes), float32, dtype)
    return result if keepdims else result.squeeze(axis=axes)


def _product_operands(a, b) -> tuple:
    """(a, b, float32) of ``dot`` and ``matmul``: the operands as dask arrays, checked to have a
    dimension (ValueError naming the scalar), and whether neither makes float64 results."""
    da = _da()
    a, b = da.asarray(a), da.asarray(b)
    for arr, name in ((a, "a"), (b, "b")):
        if arr.ndim == 0:
            raise ValueError(f"{name} must have at least one dimension; got a scalar")
    return a, b, all(as_float_array(np.zeros(0, arr.dtype)).dtype != np.float64 for arr in (a, b))


def dot(a, b, fmt=None, *, product=None, accumulator=None, order: str = "sequential", block=None,
        fused_terms=None, alignment_bits=None, promote_every=None, rounding: str = "nearest_even",
        overflow: str = "ieee", seed=None, sr_bits=None, sr_rule: str = "add", random_bits=None,
        inputs: str = "exact", rng: str = "splitmix64") -> dask.array.Array:
    """``numfmt.dot`` of dask arrays (or one dask, one NumPy), lazily: a dask array of the
    inner products over the last axis (b rechunked like a).

    >>> import dask.array as da
    >>> float(dot(da.from_array(np.ones(64), chunks=10), np.full(64, 0.5), "bfloat16", order="exact").compute())
    32.0
    """
    da = _da()
    options = dict(block=block, fused_terms=fused_terms, alignment_bits=alignment_bits, promote_every=promote_every)
    args = _plan_args(fmt, accumulator, product, order, options, rounding, overflow, seed, sr_bits, sr_rule,
                      random_bits, inputs, rng)
    a, b, float32 = _product_operands(a, b)
    n, batch = dot_shape(a.shape, b.shape)
    dtype = _result_dtype(args, product is not None, float32)
    a, b = da.broadcast_to(a, batch + (n,)), da.broadcast_to(b, batch + (n,))
    k = len(batch)
    stage = _stage(args)
    if stage == "whole":
        a, b = a.rechunk({k: -1}), b.rechunk({k: -1})
    if stage == "blocks":
        a = _aligned(a, k, block)
    b = b.rechunk(a.chunks)
    index = tuple(range(k + 1))
    part_dtype = _STATE if stage == "exact" else dtype
    parts = da.blockwise(_dot_chunk, index, a, index, b, index, args=args, stage=stage, dtype=part_dtype,
                         adjust_chunks={k: _per_block(a.chunks, k, block)[k] if stage == "blocks"
                                        else (1,) * a.numblocks[k]},
                         meta=np.empty((0,) * (k + 1), part_dtype))
    if stage == "whole":
        return parts.squeeze(axis=k)
    return _reduce(parts, (k,), args, True, n, float32, dtype).squeeze(axis=k)


def matmul(a, b, fmt=None, *, product=None, accumulator=None, order: str = "sequential", block=None,
           fused_terms=None, alignment_bits=None, promote_every=None, rounding: str = "nearest_even",
           overflow: str = "ieee", seed=None, sr_bits=None, sr_rule: str = "add", random_bits=None,
           inputs: str = "exact", rng: str = "splitmix64") -> dask.array.Array:
    """``numfmt.matmul`` of dask arrays (or one dask, one NumPy), lazily: each output block is
    ``numfmt.matmul`` of a block of a's rows and one of b's columns, the contracted axis in one
    chunk (memory per task: a row block and a column block whole along it), so that every
    element reduces all its products in order: bit for bit the NumPy result. Stochastic
    rounding numbers its roundings by output element over the whole result: ValueError (give
    NumPy arrays); so does ``accumulator="quire"``.

    >>> import dask.array as da
    >>> a = da.from_array(np.arange(12.0).reshape(3, 4), chunks=2)
    >>> matmul(a, np.eye(4), "bfloat16").compute().tolist()[2]
    [8.0, 9.0, 10.0, 11.0]
    """
    da = _da()
    if rounding_mode(rounding) == Rounding.STOCHASTIC:
        raise ValueError("stochastic rounding of a matmul numbers its roundings by output element over the whole "
                         "result; give NumPy arrays (or a dot product of dask arrays with order='exact')")
    options = dict(block=block, fused_terms=fused_terms, alignment_bits=alignment_bits, promote_every=promote_every)
    args = _plan_args(fmt, accumulator, product, order, options, rounding, overflow, seed, sr_bits, sr_rule,
                      random_bits, inputs, rng)
    a, b, float32 = _product_operands(a, b)
    _, _, _, batch, shape = matmul_shape(a.shape, b.shape)
    dtype = _result_dtype(args, product is not None, float32)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    a2 = da.broadcast_to(a2, batch + a2.shape[-2:]).rechunk({len(batch) + 1: -1})
    b2 = da.broadcast_to(b2, batch + b2.shape[-2:])
    b2 = b2.rechunk({**{d: a2.chunks[d] for d in range(len(batch))}, len(batch): -1})
    stack = tuple(range(len(batch)))
    i, j, k = len(batch), len(batch) + 1, len(batch) + 2
    out = da.blockwise(_matmul_chunk, stack + (i, j), a2, stack + (i, k), b2, stack + (k, j), args=args,
                       concatenate=True, dtype=dtype, meta=np.empty((0,) * (len(batch) + 2), dtype))
    return out.reshape(shape) if out.shape != shape else out


def _matmul_chunk(a, b, *, args):
    """A block of the matrix product: ``numfmt.matmul`` of a row block and a column block."""
    return np.asarray(_matmul(a, b, **args))


array_libraries.register("dask", sys.modules[__name__])
