"""FixedFormat and IntFormat: two's-complement (or unsigned) integers scaled by 2**-frac_bits.

A code is the integer k in [lo, hi] stored modulo 2**bits (two's complement for signed
formats); its value is k * 2**-frac_bits. Integers are fixed-point formats with frac_bits = 0.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from .values import every_value


@dataclass(frozen=True)
class FixedInfo:
    """Properties of a fixed-point format."""

    bits: int
    frac_bits: int
    signed: bool
    min: float
    max: float
    resolution: float
    min_int: int
    max_int: int


@dataclass(frozen=True)
class FixedFormat:
    """A fixed-point format of ``bits`` bits with ``frac_bits`` fraction bits.

    Example:
        >>> FixedFormat(8, 4).info.max
        7.9375
        >>> FixedFormat(8, 4, signed=False).info.resolution
        0.0625
    """

    bits: int
    frac_bits: int = 0
    signed: bool = True
    name: str | None = field(default=None, compare=False)

    family = "fixed"

    def __post_init__(self) -> None:
        if not (isinstance(self.bits, int) and 2 <= self.bits <= 32):
            raise ValueError(f"bits must be an integer from 2 to 32, got {self.bits!r}")
        if not (isinstance(self.frac_bits, int) and 0 <= self.frac_bits <= 64):
            raise ValueError(f"frac_bits must be an integer from 0 to 64, got {self.frac_bits!r}")
        if self.name is None:
            prefix = "" if self.signed else "u"
            name = f"{prefix}int{self.bits}" if self.frac_bits == 0 else f"{prefix}fixed<{self.bits},{self.frac_bits}>"
            object.__setattr__(self, "name", name)

    @property
    def min_int(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @functools.cached_property
    def info(self) -> FixedInfo:
        scale = 2.0 ** -self.frac_bits
        return FixedInfo(self.bits, self.frac_bits, self.signed, self.min_int * scale,
                         self.max_int * scale, scale, self.min_int, self.max_int)

    def values(self, dtype=np.float64) -> np.ndarray:
        """Every value, indexed by code (formats of at most 16 bits).

        >>> IntFormat(3).values().tolist()
        [0.0, 1.0, 2.0, 3.0, -4.0, -3.0, -2.0, -1.0]
        """
        return every_value(self, self.bits, dtype)

    def __str__(self) -> str:
        return self.name


def IntFormat(bits: int, signed: bool = True) -> FixedFormat:  # noqa: N802 - reads as a type
    """The integer format int{bits} / uint{bits}: a FixedFormat with frac_bits = 0.

    >>> IntFormat(8).info.min, IntFormat(4, signed=False).info.max
    (-128.0, 15.0)
    """
    return FixedFormat(bits, 0, signed)


_PATTERNS = (
    (re.compile(r"(u?)int(\d+)"), lambda u, b: FixedFormat(int(b), 0, not u)),
    (re.compile(r"(u?)q(\d+)\.(\d+)"),   # Q notation: q3.4 = sign + 3 integer + 4 fraction bits
     lambda u, m, n: FixedFormat(int(m) + int(n) + (0 if u else 1), int(n), not u)),
    (re.compile(r"(u?)fixed<(\d+),(\d+)>"), lambda u, b, f: FixedFormat(int(b), int(f), not u)),
)


def parse_fixed(name: str):
    """``int8``, ``uint4``, ``q3.4``, ``uq4.4``, ``fixed<8,4>``, ``ufixed<8,4>``; else None."""
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(name.replace(" ", ""))
        if match:
            fmt = build(*match.groups())
            object.__setattr__(fmt, "name", name)
            return fmt
    return None
