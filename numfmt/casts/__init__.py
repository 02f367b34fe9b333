"""round, encode, decode: the public casts, dispatched to each format family."""
from __future__ import annotations

import numpy as np

from .. import array_libraries
from ..formats.registry import format as _format
from ..formats.values import use_decoder
from ..rounding import NAN_POLICIES, Rounding, nan_policy, overflow_policy, rounding_mode
from . import block, fixed, floating, posit
from .block import BlockCodes
from .common import as_float_array, finish
from ..parallel import get_num_threads, set_num_threads
from ..stochastic import last_seed, stochastic_args  # noqa: F401 (public: numfmt.last_seed)
from .. import report as _report
from . import report as _counts

__all__ = ["BlockCodes", "round", "encode", "decode", "last_seed", "set_num_threads", "get_num_threads"]

_FAMILIES = {"float": floating, "fixed": fixed, "posit": posit, "block": block}


def _family(fmt):
    fmt = _format(fmt)
    return fmt, _FAMILIES[fmt.family]


def _overflow(overflow: str, fmt) -> str:
    """The overflow policy; the fixed-point family also takes "wrap" (two's complement)."""
    if fmt.family == "fixed" and overflow == "wrap":
        return overflow
    return overflow_policy(overflow)


def block_options(fmt, **options) -> dict:
    """The block-only keywords (axis, pad, packed) for block formats; an error if another
    family's format gets one."""
    if fmt.family == "block":
        return options
    given = [name for name, value in options.items() if value is not None and value is not False]
    if given:
        raise TypeError(f"{', '.join(given)} apply to block formats only; {fmt.name} is a {fmt.family} format")
    return {}


def checked_cast(operation: str, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits, rng, start: int = 0,
                 report: bool = False, per_block: bool = False, **options):
    """Check the arguments and call the family's round_float or encode_float. ``start``: the
    counter of x's element 0 in the array x is a chunk of (``numfmt.distributed``). With
    ``report`` (or inside ``numfmt.flags``) the cast is counted (``numfmt.report``); ``report``
    returns (result, CastReport)."""
    fmt, family = _family(fmt)
    options = block_options(fmt, **options)
    if per_block and fmt.family != "block":
        raise TypeError(f"per_block applies to block formats only; {fmt.name} is a {fmt.family} format")
    x = as_float_array(x)
    mode = rounding_mode(rounding)
    sr = stochastic_args(mode, x.shape, seed, sr_bits, sr_rule, random_bits, rng=rng, start=start)
    overflow = _overflow(overflow, fmt)
    if fmt.family in NAN_POLICIES:
        nan_policy(nan, fmt.family)
    counting = report or _report.active()
    rep = None
    if counting and fmt.family == "block":
        out, rep = _counts.block_counted(x, fmt, mode, overflow, nan, sr, per_block, options,
                                         operation == "encode_float")
    elif counting and fmt.family == "float" and (fmt.signed and fmt.zero or floating.pow2_32_cast(
            x, fmt, mode, overflow, nan, sr, operation == "encode_float") is not None
            or floating.pow2_sr32_cast(x, fmt, overflow, nan, sr) is not None
            or _counts.sr64_counted(x, fmt, sr)):    # counted in the cast's pass
        out, rep = _counts.round_counted(x, fmt, mode, overflow, nan, sr, operation == "encode_float")
    elif counting and fmt.family == "posit":
        out, rep = _counts.posit_counted(x, fmt, mode, overflow, nan, sr, operation == "encode_float")
    elif counting and fmt.family == "fixed":
        out, rep = _counts.fixed_counted(x, fmt, mode, overflow, nan, sr, operation == "encode_float")
    else:
        out = getattr(family, operation)(x, fmt, mode, overflow, nan, sr, **options)
    if counting:
        if rep is None:
            rep = cast_report(operation, x, fmt, mode, overflow, nan, sr, out, per_block, options)
        _report.record(f"numfmt.{operation.split('_')[0]}({fmt.name})", rep, x)
        if report:
            return finish(out, x), rep
    return finish(out, x)


def cast_report(operation: str, x: np.ndarray, fmt, mode: Rounding, overflow: str, nan: str, sr, out,
                per_block: bool, options: dict) -> _report.CastReport:
    """The CastReport of the cast of x to fmt that gave ``out`` (values or codes)."""
    family = _FAMILIES[fmt.family]
    if fmt.family == "block":
        return _counts.block_report(x, fmt, mode, overflow, sr, out, per_block, options)
    fits = fmt.fits_float32() if fmt.family == "posit" else family.fits_float32(fmt)
    y = out if operation == "round_float" else family.decode_float(out, fmt, x.dtype if fits else np.float64)
    if fmt.family == "posit":
        return _counts.posit_report(x, y, fmt)
    return _counts.float_report(x, y, fmt, mode, sr)


_SR_DOC = """seed: for rounding="stochastic": an int (taken modulo 2**64), a numpy Generator (a seed
            is drawn from it) or None (fresh from the OS; ``numfmt.last_seed()`` returns it).
        sr_bits: the number k of random bits (1..62, default 32).
        sr_rule: how the exact discarded fraction f in [0, 1) of an ulp becomes a k-bit integer
            d before the random integer r in [0, 2**k) is added; the magnitude rounds away
            from zero iff d + r >= 2**k. ``"add"``: d = floor(f * 2**k) (what hardware does:
            add k random bits below the kept bits and truncate); ``"nearest"``: d = RNE(f * 2**k).
            Worked example, k = 2, x = 1.2 to an integer grid: f = 0.2, f * 4 = 0.8, so "add"
            gives d = 0 (away only for r >= 4: never) and "nearest" gives d = 1 (away for r = 3:
            probability 1/4). With k at least the number of discarded bits both give P(away) = f.
        random_bits: explicit random integers in [0, 2**sr_bits), broadcastable to x, used
            instead of the seeded generator (element i of the flattened x uses element i).
        rng: the seeded generator: ``"splitmix64"`` (default) or ``"squares"`` (Widynski's
            Squares, keyed by ``numfmt.random.squares_key(seed)``).
        The random integer of element i is a pure function of (seed, i) (``numfmt.random``), so
        results do not depend on threads or chunking (of a dask array either)."""

_DASK_DOC = """A dask array x gives a lazy dask array, chunk by chunk, equal bit for bit to the
    NumPy result for any chunking (``numfmt.distributed``); block formats need the blocked axis
    chunked in multiples of the block size: ``rechunk=True`` (the default) rechunks it,
    ``rechunk=False`` raises ValueError instead (NumPy inputs ignore ``rechunk``)."""


def round(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise",  # noqa: A001
          seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
          axis: int | None = None, pad: bool = False, rng: str = "splitmix64", rechunk: bool = True,
          report: bool = False, per_block: bool = False):
    """x rounded to the nearest values of fmt (or the directed neighbour), as floats.

    Args:
        x: float16/float32/float64 array (or scalar, list, ml_dtypes floats, integers); any shape.
            float64 inputs are rounded as they are, never double-rounded through float32.
        fmt: a format name or alias, a Format, or a numpy / ml_dtypes dtype.
        rounding: ``nearest_even`` (rne), ``nearest_away`` (rna), ``toward_zero`` (rtz),
            ``toward_positive`` (rup), ``toward_negative`` (rdn), ``odd`` (rto), ``stochastic`` (sr).
        overflow: ``ieee`` (Inf, else NaN, else max; directed modes give max where IEEE says),
            ``saturate`` (±max, Inf inputs too) or ``raise`` (OverflowError); integer and
            fixed-point formats have no Inf, so ``ieee`` saturates there, and they also take
            ``wrap`` (two's complement).
        nan: for formats without NaN: ``raise`` (ValueError); ``ml_dtypes`` (float formats:
            NaN to the zero of the other sign, as ml_dtypes does); ``zero`` (integer formats);
            posits take any of these (NaN gives NaR); another name raises ValueError.
        {sr}
        axis: block formats only: the axis the blocks run along (default: the format's axis).
        pad: block formats only: zero-pad a last partial block instead of raising ValueError.
        rechunk: dask arrays with block formats only (see below).
        {report}

    {dask}

    Returns:
        float64 for float64 inputs and for formats whose values float32 cannot hold, else
        float32; same shape (a numpy scalar for scalar input). Block formats quantize each
        block with its shared scale and give the values back (see ``numfmt.casts.block``).

    Example:
        >>> import numfmt as nf
        >>> float(nf.round(464.0, "e4m3")), float(nf.round(465.0, "e4m3", overflow="saturate"))
        (448.0, 448.0)
        >>> float(nf.round(1 + 2**-8 + 2**-40, "bfloat16"))
        1.0078125
        >>> nf.round([1.25, 1.25], "e2m1", "stochastic", random_bits=[1, 2], sr_bits=2).tolist()
        [1.0, 1.5]
        >>> nf.round([2.5, 300.0], "int8").tolist()
        [2.0, 127.0]
        >>> nf.round([[0.3, 1.0, 5.0, 100.0]] * 2, nf.BlockFormat("e2m1", 4, "e8m0"), axis=1).tolist()[0]
        [0.0, 0.0, 8.0, 96.0]
        >>> y, rep = nf.round([1.0, 1.06, 500.0], "e4m3", overflow="saturate", report=True)
        >>> y.tolist(), rep.inexact, rep.overflow, rep.saturated
        ([1.0, 1.0, 448.0], 2, 1, 1)
    """
    if array_libraries.is_dask(x, random_bits):
        array_libraries.no_dask_report(report, "round")
        return array_libraries.dask().cast("round_float", x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule,
                                   random_bits, rng, axis=axis, pad=pad, rechunk=rechunk)
    return checked_cast("round_float", x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits, rng,
                        report=report, per_block=per_block, axis=axis, pad=pad)


def encode(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise",
           seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
           axis: int | None = None, pad: bool = False, packed: bool = False, rng: str = "splitmix64",
           rechunk: bool = True, report: bool = False, per_block: bool = False):
    """The codes of x rounded to fmt: unsigned integers (uint8, uint16, uint32 or uint64 by width).

    Arguments as for ``round`` (``report=True`` returns (codes, CastReport)). NaN gives the format's canonical NaN code (sign kept where
    NaNs are signed); -0 gives the -0 code where there is one. Block formats give a
    ``BlockCodes`` (``.codes``, ``.scales``, ``.tensor_scale``); ``packed=True`` packs 4-bit
    and 6-bit element codes into bytes (bit order in ``numfmt.casts.block``). A dask x gives
    lazy codes (block formats: a ``BlockCodes`` whose codes, scales and tensor scale are dask
    arrays; ``packed`` is for NumPy inputs), as ``round`` says.

    Example:
        >>> import numfmt as nf
        >>> nf.encode([1.0, -448.0, 1e9], "e4m3").tolist()
        [56, 254, 127]
        >>> enc = nf.encode(np.arange(32.0), "mxfp4")
        >>> enc.scales.tolist(), enc.codes[-4:].tolist()
        ([129], [7, 7, 7, 7])
    """
    if array_libraries.is_dask(x, random_bits):
        array_libraries.no_dask_report(report, "encode")
        return array_libraries.dask().cast("encode_float", x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule,
                                   random_bits, rng, axis=axis, pad=pad, packed=packed, rechunk=rechunk)
    return checked_cast("encode_float", x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits, rng,
                        report=report, per_block=per_block, axis=axis, pad=pad, packed=packed)


def decode(codes, fmt=None, dtype=np.float32):
    """The values of codes of fmt, as float32 (default) or float64; NaN codes give NaN.

    Raises ValueError for codes outside [0, 2**bits) and for dtype=float32 when the format
    has values float32 cannot hold. A ``BlockCodes`` (from ``encode`` with a block format)
    carries its format: ``decode(obj)``; bare codes with a block format raise TypeError. NaN
    codes decode to NaN with the code's sign bit, as in ml_dtypes. Dask codes (or a BlockCodes
    of dask arrays) give a lazy dask array.

    Example:
        >>> import numfmt as nf
        >>> nf.decode([0x38, 0x7E, 0x7F], "e4m3").tolist()
        [1.0, 448.0, nan]
        >>> nf.decode(nf.encode([0.5, 3.0, 7.0, -1.0], "mxfp4", pad=True)).tolist()
        [0.5, 3.0, 6.0, -1.0]
    """
    if array_libraries.is_dask(codes.codes if isinstance(codes, BlockCodes) else codes):
        return array_libraries.dask().decode(codes, fmt, dtype)
    if isinstance(codes, BlockCodes):
        return block.decode_codes(codes, None if fmt is None else _format(fmt), dtype)
    if fmt is None:
        raise TypeError("decode needs fmt (only a BlockCodes carries its own format)")
    fmt, family = _family(fmt)
    if fmt.family == "block":
        raise TypeError(f"decode of the block format {fmt.name} needs the BlockCodes that encode returned "
                        "(it carries the scales); to decode bare element codes, decode them with the element "
                        f"format ({fmt.element.name}) and multiply by the block scales yourself")
    return finish(family.decode_float(codes, fmt, dtype), codes)


_REPORT_DOC = """report: also return a ``numfmt.CastReport``: ``(result, report)``, the counts of what the
            cast did over the whole array (inexact, overflow, saturated, underflow,
            flushed_to_zero, subnormal, invalid, nan_in; see ``numfmt.report``). NumPy inputs
            only. Inside ``with numfmt.flags()`` every call counts, and adds its report there.
        per_block: block formats with ``report``: keep every count per block too
            (``report.per_block``: arrays shaped like the scales)."""


round.__doc__ = round.__doc__.replace("{sr}", _SR_DOC).replace("{dask}", _DASK_DOC).replace("{report}", _REPORT_DOC)


use_decoder(decode)   # the formats' values() decode through the casts
