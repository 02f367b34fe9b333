"""PositFormat: posit<n, es> numbers (Posit Standard 2022: es = 2), for 2 <= n <= 32, 0 <= es <= 5.

A code is n bits. 0 is zero, 10...0 is NaR (not a real); a negative code is the two's
complement of the code of its magnitude. The n - 1 bits after the sign of a positive code are
a regime (a run of m equal bits ended by the opposite bit or by the end of the code; k = m - 1
for a run of ones, k = -m for a run of zeros), then es exponent bits e (missing bits count as
0), then the fraction bits f. The value is 2**(k * 2**es + e) * (1 + f / 2**len(f)).

``useed = 2**(2**es)``; ``maxpos = useed**(n - 2)``, ``minpos = 1 / maxpos``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .values import every_value

MAX_NBITS = 32
MAX_ES = 5          # keeps every posit<n, es> value a normal float64 (maxpos <= 2**960)


@dataclass(frozen=True)
class PositInfo:
    """finfo-like properties of a posit format (values as Python floats, exact)."""

    bits: int
    es: int
    useed: float
    maxpos: float
    minpos: float
    max: float
    min: float
    fraction_bits: int     # fraction bits of the values in [1, useed): n - 3 - es, at least 0
    eps: float             # next value above 1, minus 1 (NaN for nbits = 2: 1 is maxpos)
    maxexp: int            # 2**maxexp is the first power of two above maxpos (as numpy.finfo)
    minexp: int            # exponent of minpos
    has_inf: bool
    has_nan: bool          # NaR, decoded as NaN
    has_negative_zero: bool

    @property
    def precision_bits(self) -> int:
        """Significand bits of the values in [1, useed), the implicit one included."""
        return self.fraction_bits + 1


@dataclass(frozen=True)
class PositFormat:
    """A posit format posit<nbits, es> (es = 2 is the 2022 standard).

    Args:
        nbits: code width, 2 to 32.
        es: exponent bits, 0 to 5 (es = 0 and 1 are the older posit8 / posit16 of SoftPosit).
        name: display name (not part of equality).

    Example:
        >>> fmt = PositFormat(16)
        >>> fmt.name, fmt.info.maxpos == 2.0 ** 56, fmt.info.fraction_bits
        ('posit16', True, 11)
        >>> PositFormat(8, 0).values()[[0x40, 0x7F, 0x80]].tolist()
        [1.0, 64.0, nan]
    """

    nbits: int
    es: int = 2
    name: str | None = field(default=None, compare=False)

    family = "posit"

    def __post_init__(self) -> None:
        for argument, low, high in (("nbits", 2, MAX_NBITS), ("es", 0, MAX_ES)):
            value = getattr(self, argument)
            if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and low <= value <= high):
                raise ValueError(f"{argument} must be an integer from {low} to {high}, got {value!r}")
            object.__setattr__(self, argument, int(value))
        if self.name is None:
            default = f"posit{self.nbits}" if self.es == 2 and self.nbits in (8, 16, 32) else None
            object.__setattr__(self, "name", default or f"posit<{self.nbits},{self.es}>")

    @property
    def bits(self) -> int:
        """Total width of a code."""
        return self.nbits

    @property
    def nar_code(self) -> int:
        """The code of NaR: 1 followed by zeros."""
        return 1 << (self.nbits - 1)

    @property
    def max_scale(self) -> int:
        """log2(maxpos) = (nbits - 2) * 2**es."""
        return (self.nbits - 2) << self.es

    def code_value(self, code: int) -> Fraction | None:
        """Exact value of a code (None for NaR).

        >>> PositFormat(8, 2).code_value(0x41)
        Fraction(9, 8)
        """
        return posit_value(code, self.nbits, self.es)

    @functools.cached_property
    def info(self) -> PositInfo:
        """finfo-like properties (see PositInfo)."""
        maxpos = float(self.code_value(self.nar_code - 1))
        one = 1 << (self.nbits - 2)            # the code of 1.0
        eps = float(self.code_value(one + 1) - 1) if self.nbits > 2 else float("nan")
        return PositInfo(
            bits=self.nbits, es=self.es, useed=2.0 ** (1 << self.es), maxpos=maxpos,
            minpos=float(self.code_value(1)), max=maxpos, min=-maxpos,
            fraction_bits=max(self.nbits - 3 - self.es, 0), eps=eps,
            maxexp=self.max_scale + 1, minexp=-self.max_scale,
            has_inf=False, has_nan=True, has_negative_zero=False)

    def fits_float32(self) -> bool:
        """Whether every value is a float32 value (else casts return float64)."""
        return self.max_scale <= 126 and self.nbits - 3 - self.es <= 23

    def values(self, dtype=np.float64) -> np.ndarray:
        """Every value, indexed by code (NaR gives NaN); formats of at most 16 bits.

        >>> PositFormat(3, 0).values().tolist()
        [0.0, 0.5, 1.0, 2.0, nan, -2.0, -1.0, -0.5]
        """
        return every_value(self, self.nbits, dtype)

    def __str__(self) -> str:
        return self.name


def posit_value(code: int, n: int, es: int) -> Fraction | None:
    """Exact value of an n-bit posit code with es exponent bits, read from its bit string
    (any n >= 2, so that (n+1)-bit tie points can be read too); None for NaR.

    >>> posit_value(0b0110, 4, 0), posit_value(0b1000, 4, 0)
    (Fraction(2, 1), None)
    """
    mask = (1 << n) - 1
    code &= mask
    if code == 0:
        return Fraction(0)
    if code == 1 << (n - 1):
        return None
    neg = code >> (n - 1)
    mag = (-code) & mask if neg else code
    bits = format(mag, f"0{n - 1}b")          # the n - 1 bits after the sign
    run = len(bits) - len(bits.lstrip(bits[0]))
    k = run - 1 if bits[0] == "1" else -run
    rest = bits[run + 1:]
    e = int((rest[:es] + "0" * es)[:es] or "0", 2)
    frac = rest[es:]
    value = Fraction(int("1" + frac, 2), 1 << len(frac)) * Fraction(2) ** ((k << es) + e)
    return -value if neg else value


_PATTERN = re.compile(r"posit(?:<(\d+),(\d+)>|(\d+)_(\d+))")


def parse_posit(name: str):
    """``posit<n,es>`` and ``posit{n}_{es}`` (e.g. ``posit<16,1>``, ``posit8_0``); else None."""
    match = _PATTERN.fullmatch(name.replace(" ", ""))
    if not match:
        return None
    n, es = (int(g) for g in match.groups() if g is not None)
    return PositFormat(n, es, name=name.replace(" ", ""))
