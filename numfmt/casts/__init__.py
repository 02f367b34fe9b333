"""round, encode, decode: the public casts, dispatched to each format family."""
from __future__ import annotations

import numpy as np

from ..formats.registry import format as _format
from ..rounding import Rounding, overflow_policy, rounding_mode
from . import floating
from .common import as_float_array, finish, get_num_threads, set_num_threads

__all__ = ["round", "encode", "decode", "set_num_threads", "get_num_threads"]

_FAMILIES = {"float": floating}


def _family(fmt):
    fmt = _format(fmt)
    return fmt, _FAMILIES[fmt.family]


def _deterministic(rounding) -> Rounding:
    mode = rounding_mode(rounding)
    if mode == Rounding.STOCHASTIC:
        raise NotImplementedError("rounding='stochastic' is not available yet")
    return mode


def round(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise"):  # noqa: A001
    """x rounded to the nearest values of fmt (or the directed neighbour), as floats.

    Args:
        x: float16/float32/float64 array (or scalar, list, ml_dtypes floats, integers); any shape.
            float64 inputs are rounded directly, never through float32.
        fmt: a format name or alias, a Format, or a numpy / ml_dtypes dtype.
        rounding: ``nearest_even`` (rne), ``nearest_away`` (rna), ``toward_zero`` (rtz),
            ``toward_positive`` (rup), ``toward_negative`` (rdn), ``odd`` (rto).
        overflow: ``ieee`` (Inf, else NaN, else max; directed modes give max where IEEE says),
            ``saturate`` (±max, Inf inputs too) or ``raise`` (OverflowError).
        nan: for formats without NaN: ``raise`` (ValueError) or ``ml_dtypes`` (NaN to the zero of
            the other sign, as ml_dtypes does).

    Returns:
        float64 for float64 inputs and for formats whose values float32 cannot hold, else
        float32; same shape (a numpy scalar for scalar input).

    Example:
        >>> import numfmt as nf
        >>> float(nf.round(464.0, "e4m3")), float(nf.round(465.0, "e4m3", overflow="saturate"))
        (448.0, 448.0)
        >>> float(nf.round(1 + 2**-8 + 2**-40, "bfloat16"))
        1.0078125
    """
    fmt, family = _family(fmt)
    x = as_float_array(x)
    out = family.round_float(x, fmt, _deterministic(rounding), overflow_policy(overflow), nan)
    return finish(out, x)


def encode(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise"):
    """The codes of x rounded to fmt: unsigned integers (uint8, uint16 or uint32 by width).

    Arguments as for ``round``. NaN gives the format's canonical NaN code (sign kept where
    NaNs are signed); -0 gives the -0 code where there is one.

    Example:
        >>> import numfmt as nf
        >>> nf.encode([1.0, -448.0, 1e9], "e4m3").tolist()
        [56, 254, 127]
    """
    fmt, family = _family(fmt)
    x = as_float_array(x)
    out = family.encode_float(x, fmt, _deterministic(rounding), overflow_policy(overflow), nan)
    return finish(out, x)


def decode(codes, fmt, dtype=np.float32):
    """The values of codes of fmt, as float32 (default) or float64; NaN codes give NaN.

    Raises ValueError for codes outside [0, 2**bits) and for dtype=float32 when the format
    has values float32 cannot hold.

    Example:
        >>> import numfmt as nf
        >>> nf.decode([0x38, 0x7E, 0x7F], "e4m3").tolist()
        [1.0, 448.0, nan]
    """
    fmt, family = _family(fmt)
    return finish(family.decode_float(codes, fmt, dtype), codes)
