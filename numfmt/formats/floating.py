"""FloatFormat: one frozen dataclass for every binary floating-point format of 2 to 64 bits
whose values are float64 numbers (binary64 included).

A value is sign * significand * 2**exponent with ``man_bits`` stored fraction bits. The
special-value convention says where Inf and NaN live:

=========  ==============================================================  ===============
special    codes                                                           examples
=========  ==============================================================  ===============
"ieee"     top exponent field is Inf (fraction 0) and NaN (fraction != 0)  binary16, e5m2
"fn"       no Inf; the all-ones magnitude is NaN                           e4m3, e8m0
"fnuz"     no Inf, no -0; the single NaN sits at the negative-zero code    e4m3fnuz
"p3109"    as "fnuz", plus +Inf / -Inf at the all-ones codes              p3109_p3
"finite"   no Inf, no NaN: every code is a number                          e2m1, e3m2
=========  ==============================================================  ===============

``zero=False`` (E8M0) means there is no zero at all: the exponent field 0 is an ordinary binade.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .values import every_value

SPECIALS = ("ieee", "fn", "fnuz", "p3109", "finite")


@dataclass(frozen=True)
class FloatInfo:
    """numpy.finfo-style properties; names and values agree with ``ml_dtypes.finfo``."""

    bits: int
    nexp: int
    nmant: int
    bias: int
    max: float
    min: float
    smallest_normal: float
    smallest_subnormal: float
    eps: float
    epsneg: float
    maxexp: int
    minexp: int
    has_inf: bool
    has_nan: bool
    has_negative_zero: bool

    @property
    def tiny(self) -> float:
        """Alias of ``smallest_normal`` (numpy's name)."""
        return self.smallest_normal

    @property
    def precision_bits(self) -> int:
        """Significand bits including the implicit one."""
        return self.nmant + 1


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format.

    Args:
        exp_bits: exponent field width (>= 1).
        man_bits: stored fraction bits (>= 0).
        bias: exponent bias; default the IEEE bias ``2**(exp_bits-1) - 1``.
        signed: whether there is a sign bit.
        subnormals: whether the exponent field 0 holds subnormals (else values below the
            smallest normal round between 0 and the smallest normal).
        special: Inf/NaN convention, one of ``SPECIALS`` (see the module docstring).
        zero: False for formats without a zero, where field 0 is a normal binade (E8M0).
        name: display name (not part of equality).

    Example:
        >>> FloatFormat(4, 3, special="fn").info.max
        448.0
        >>> FloatFormat(5, 2).info.smallest_subnormal == 2.0 ** -16
        True
        >>> FloatFormat(11, 52).info.max == float(np.finfo(np.float64).max)    # binary64
        True

    Every value must be a float64 number with the format's normal binades inside float64's:
    at most 52 fraction bits, smallest normal at least 2**-1022, max below 2**1024 (ValueError
    otherwise), so formats of 33 to 64 bits such as e8m40 or e11m52 (binary64) work, and codes
    of more than 32 bits are uint64.
    """

    exp_bits: int
    man_bits: int
    bias: int | None = None
    signed: bool = True
    subnormals: bool = True
    special: str = "ieee"
    zero: bool = True
    name: str | None = field(default=None, compare=False)

    family = "float"

    def __post_init__(self) -> None:
        for argument, low in (("exp_bits", 1), ("man_bits", 0)):
            value = getattr(self, argument)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
                raise ValueError(f"{argument} must be an integer >= {low}, got {value!r}")
        if self.bias is None:
            object.__setattr__(self, "bias", (1 << (self.exp_bits - 1)) - 1)
        if isinstance(self.bias, np.integer):       # (a NumPy integer is an integer: its Python int)
            object.__setattr__(self, "bias", int(self.bias))
        if not (isinstance(self.bias, int) and not isinstance(self.bias, bool)):
            raise ValueError(f"bias must be an integer, got {self.bias!r}")
        if self.name is None:
            object.__setattr__(self, "name", self._default_name())
        self._validate()
        # the hash once (formats key the casts' parameter caches: several lookups a call), of
        # numbers only, so that it is the same in every process (a str's hash is not)
        object.__setattr__(self, "_hash", hash((self.exp_bits, self.man_bits, self.bias, self.signed, self.subnormals,
                                                SPECIALS.index(self.special), self.zero)))

    def __hash__(self) -> int:
        return self._hash

    def _default_name(self) -> str:
        base = f"e{self.exp_bits}m{self.man_bits}"
        default_bias = (1 << (self.exp_bits - 1)) - 1
        extras = []
        if self.bias != default_bias:
            extras.append(f"b{self.bias}")
        if self.special != "ieee":
            extras.append(self.special)
        if not self.signed:
            extras.append("unsigned")
        if not self.subnormals:
            extras.append("nosub")
        if not self.zero:
            extras.append("nozero")
        return base + ("_" + "_".join(extras) if extras else "")

    def _validate(self) -> None:
        if not 2 <= self.bits <= 64:
            raise ValueError(f"a FloatFormat has 2 to 64 bits, got {self.bits} ({self.name})")
        if self.special not in SPECIALS:
            raise ValueError(f"special must be one of {SPECIALS}, got {self.special!r}")
        if self.special in ("fnuz", "p3109") and not (self.signed and self.zero):
            raise ValueError(f"special={self.special!r} puts NaN at the negative-zero code and needs signed=True "
                             "and zero=True (without a zero that code is -(smallest value))")
        if not self.zero and self.subnormals:
            raise ValueError("zero=False (no zero code) requires subnormals=False")
        if not self.zero and not self.has_nan:
            raise ValueError("zero=False needs a NaN code for the inputs without an image (zero, "
                             "and negatives of unsigned formats); use special='fn' or 'ieee'")
        if self.max_magnitude_code < 1:
            raise ValueError(f"{self.name} has no positive finite value")
        if not (self.subnormals or self.has_normals):
            raise ValueError(f"{self.name} has no normal value (its largest finite code lies in exponent field 0), "
                             "so without subnormals rounding reaches no positive value; use subnormals=True, "
                             "or special='fn' or 'finite' to free the top exponent field")
        # from the integers alone (a Fraction of 2**bias could exhaust memory for wide exponents);
        # subnormals then lie at or above 2**(-1022 - 52) = 2**-1074, float64's smallest value
        top = self.emin + ((self.max_magnitude_code - self.code_offset) >> self.man_bits)  # max < 2**top
        if self.man_bits > 52 or self.emin < -1022 or top > 1024:
            raise ValueError(f"{self.name}: the format must lie within binary64 (at most 52 fraction "
                             f"bits, the smallest normal at least 2**-1022, max below 2**1024); got "
                             f"{self.man_bits} fraction bits, smallest normal 2**{self.emin}, max below "
                             f"2**{top}")

    # ----- code geometry (used by the kernels and the reference) -----
    @property
    def bits(self) -> int:
        """Total width of a code."""
        return int(self.signed) + self.exp_bits + self.man_bits

    @property
    def magnitude_bits(self) -> int:
        return self.exp_bits + self.man_bits

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal binade."""
        return 1 - self.bias if self.zero else -self.bias

    @property
    def code_offset(self) -> int:
        """Magnitude code = ((e - emin) << man_bits) + significand + code_offset (see kernels)."""
        return 0 if self.zero else -(1 << self.man_bits)

    @property
    def has_inf(self) -> bool:
        return self.special in ("ieee", "p3109")

    @property
    def has_nan(self) -> bool:
        return self.special in ("fn", "fnuz", "p3109") or (self.special == "ieee" and self.man_bits > 0)

    @property
    def has_negative_zero(self) -> bool:
        return self.signed and self.zero and self.special in ("ieee", "fn", "finite")

    @property
    def max_magnitude_code(self) -> int:
        top = (1 << self.magnitude_bits) - 1
        if self.special == "ieee":
            return ((1 << self.exp_bits) - 1 << self.man_bits) - 1
        if self.special in ("fn", "p3109"):
            return top - 1
        return top

    @property
    def has_normals(self) -> bool:
        """Whether some finite value is normal: False where every nonzero code is subnormal
        (one exponent bit under special="ieee": the field 1 holds Inf and NaN).

        >>> FloatFormat(1, 2).has_normals, FloatFormat(1, 2, special="finite").has_normals
        (False, True)
        """
        return self.max_magnitude_code - self.code_offset >= 1 << self.man_bits

    @property
    def inf_magnitude_code(self) -> int | None:
        if self.special == "ieee":
            return (1 << self.exp_bits) - 1 << self.man_bits
        if self.special == "p3109":
            return (1 << self.magnitude_bits) - 1
        return None

    @property
    def nan_code(self) -> int | None:
        """The canonical (positive, quiet) NaN code."""
        if self.special == "ieee":
            return self.inf_magnitude_code | (1 << self.man_bits - 1) if self.man_bits else None
        if self.special == "fn":
            return (1 << self.magnitude_bits) - 1
        if self.special in ("fnuz", "p3109"):
            return 1 << self.magnitude_bits
        return None

    @property
    def sign_bit(self) -> int:
        """The code's sign bit mask (0 for unsigned formats)."""
        return 1 << self.magnitude_bits if self.signed else 0

    def magnitude_value(self, mag: int) -> Fraction:
        """Exact value of a finite magnitude code (no sign)."""
        c = mag - self.code_offset
        field_, frac = c >> self.man_bits, c & ((1 << self.man_bits) - 1)
        if field_ == 0:
            return frac * Fraction(2) ** (self.emin - self.man_bits)
        sig = (1 << self.man_bits) + frac
        return sig * Fraction(2) ** (self.emin + field_ - 1 - self.man_bits)

    # ----- user-facing properties -----
    @functools.cached_property
    def info(self) -> FloatInfo:
        """finfo-like properties (see FloatInfo)."""
        M = self.man_bits
        maxv = self.magnitude_value(self.max_magnitude_code)
        smallest = self.magnitude_value(1) if self.subnormals else Fraction(2) ** self.emin
        if self.emin < 0:
            epsneg = 2.0 ** -(M + 1)
        elif self.subnormals:
            epsneg = 2.0 ** -M
        else:
            epsneg = 1.0
        return FloatInfo(
            bits=self.bits,
            nexp=self.exp_bits,
            nmant=M,
            bias=self.bias,
            max=float(maxv),
            min=float(-maxv) if self.signed else float(0 if self.zero else smallest),
            smallest_normal=2.0 ** self.emin,
            smallest_subnormal=float(smallest),
            eps=2.0 ** -M,
            epsneg=epsneg,
            maxexp=maxv.numerator.bit_length() - maxv.denominator.bit_length() + 1,
            minexp=self.emin,
            has_inf=self.has_inf,
            has_nan=self.has_nan,
            has_negative_zero=self.has_negative_zero,
        )

    def values(self, dtype=np.float64) -> np.ndarray:
        """Every value, indexed by code (NaN codes give NaN); formats of at most 16 bits.

        >>> FloatFormat(2, 1, bias=1, special="finite").values()[:8].tolist()
        [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
        """
        return every_value(self, self.bits, dtype)

    def __str__(self) -> str:
        return self.name
