"""The table of format names and aliases, the element formats' names, and name resolution.

Element formats (float, fixed point, posit) are registered here; ``registry`` adds the block
formats, whose element and scale names resolve through ``element_format`` (so that ``block``
needs only this module, and ``registry`` imports ``block``: no cycle).
"""
from __future__ import annotations

import difflib
import re

import numpy as np

from .floating import FloatFormat
from .integer import FixedFormat, parse_fixed
from .posit import PositFormat, parse_posit

_FORMATS: dict[str, object] = {}   # canonical name -> format
_ALIASES: dict[str, str] = {}      # alias -> canonical name


def register(fmt, aliases=()) -> None:
    """Register a format under its ``name`` and the given aliases (lower case)."""
    _FORMATS[fmt.name] = fmt
    for alias in aliases:
        _ALIASES[alias] = fmt.name


def registered() -> list[tuple[str, tuple[str, ...], object]]:
    """(name, aliases, format) for every registered format, in registration order."""
    aliases: dict[str, list[str]] = {name: [] for name in _FORMATS}
    for alias, name in _ALIASES.items():
        aliases[name].append(alias)
    return [(name, tuple(aliases[name]), fmt) for name, fmt in _FORMATS.items()]


def _float(name, e, m, aliases=(), **kw) -> None:
    register(FloatFormat(e, m, name=name, **kw), aliases)


_float("binary16", 5, 10, ("fp16", "half", "float16"))
_float("bfloat16", 8, 7, ("bf16",))
_float("binary32", 8, 23, ("fp32", "float32", "single"))
_float("binary64", 11, 52, ("fp64", "float64", "double"))
_float("tf32", 8, 10, ("tensorfloat32",))
_float("e4m3", 4, 3, ("float8_e4m3fn", "e4m3fn", "fp8_e4m3"), special="fn")
_float("e5m2", 5, 2, ("float8_e5m2", "fp8_e5m2"))
_float("e4m3fnuz", 4, 3, ("float8_e4m3fnuz",), bias=8, special="fnuz")
_float("e5m2fnuz", 5, 2, ("float8_e5m2fnuz",), bias=16, special="fnuz")
_float("e4m3b11fnuz", 4, 3, ("float8_e4m3b11fnuz",), bias=11, special="fnuz")
_float("e4m3ieee", 4, 3, ("float8_e4m3",))
_float("e3m4", 3, 4, ("float8_e3m4",))
_float("e3m2", 3, 2, ("float6_e3m2fn", "fp6_e3m2"), special="finite")
_float("e2m3", 2, 3, ("float6_e2m3fn", "fp6_e2m3"), special="finite")
_float("e2m1", 2, 1, ("float4_e2m1fn", "fp4_e2m1", "fp4"), special="finite")
_float("e8m0", 8, 0, ("float8_e8m0fnu", "e8m0fnu"), signed=False, subnormals=False, zero=False,
       special="fn")
for _p in range(1, 8):
    _float(f"p3109_p{_p}", 8 - _p, _p - 1, (f"p3109_k8p{_p}se", f"binary8p{_p}"),
           bias=1 << (7 - _p), special="p3109")

_FLOAT_PATTERN = re.compile(r"e(\d+)m(\d+)(?:b(\d+))?(fn|fnuz)?")


def _parse_float(name: str):
    """``eXmY`` (IEEE), ``eXmYfn``, ``eXmYfnuz`` (bias + 1), with an optional ``bZ`` bias."""
    match = _FLOAT_PATTERN.fullmatch(name)
    if not match:
        return None
    e, m, bias, special = match.groups()
    e, m = int(e), int(m)
    if e < 1:
        raise ValueError(f"format {name!r}: a float format needs at least one exponent bit (eXmY with X >= 1)")
    if bias is None:
        bias = (1 << (e - 1)) - 1 + (special == "fnuz")
    return FloatFormat(e, m, bias=int(bias), special=special or "ieee", name=name)


for _bits in (2, 3, 4, 8, 16, 32):
    register(FixedFormat(_bits, 0, True))
    register(FixedFormat(_bits, 0, False))

for _bits in (8, 16, 32):
    register(PositFormat(_bits, 2), (f"posit{_bits}_2",))

ELEMENT_PARSERS = (_parse_float, parse_fixed, parse_posit)


def _lookup(name: str, parsers):
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in _FORMATS:
        return _FORMATS[key]
    for parse in parsers:
        fmt = parse(key)
        if fmt is not None:
            return fmt
    names = list(_FORMATS) + list(_ALIASES)
    close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
    hint = f"; closest registered names: {', '.join(close)}" if close else ""
    raise ValueError(f"unknown format {name!r}{hint} (see `numfmt list`)")


def resolve(fmt, parsers=ELEMENT_PARSERS):
    """The Format for a name, an alias, a Format, or a numpy / ml_dtypes dtype, trying the
    spellings of ``parsers`` after the registered names (``registry.format`` adds the block
    formats' ``bfp``).

    >>> resolve("float8_e4m3fn").name
    'e4m3'
    """
    if hasattr(fmt, "family"):
        return fmt
    if fmt is None:
        raise TypeError("fmt is required: a format name, a Format or a dtype; got None")
    if isinstance(fmt, str):
        return _lookup(fmt, parsers)
    try:
        dtype = np.dtype(fmt)
    except TypeError:
        raise TypeError(f"fmt must be a format name, a Format or a dtype; got {fmt!r}") from None
    return _lookup(dtype.name, parsers)
