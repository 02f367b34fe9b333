"""A slow, exact reference implementation of the float family, written to read like the standard.

Everything is done with Python integers and ``fractions.Fraction``; no floating-point arithmetic
takes part in rounding. The Numba kernels (``numfmt.round`` / ``encode`` / ``decode``) are tested
against this module bit for bit (``tests/test_reference.py``).

The rules, for a FloatFormat ``fmt`` and an exact real input x:

1. NaN in gives NaN (a format without NaN raises ValueError, or with ``nan="ml_dtypes"`` gives the
   zero of the other sign, as ml_dtypes does). Inf in gives Inf where the format has it, else NaN,
   else the largest finite value; ``overflow="saturate"`` gives ±max.
2. Inputs with no image give NaN: negative nonzero inputs of unsigned formats, zero in a format
   without zero (E8M0).
3. Otherwise |x| is rounded on the format's grid with an *unbounded* exponent. The neighbours
   ``lo <= |x| <= hi`` are consecutive grid points; their magnitude codes
   ``((e - emin) << man_bits) + significand + code_offset`` are consecutive integers (continued
   past the largest code), and "even"/"odd" refer to that code. Below the smallest normal
   binade, formats with subnormals use the subnormal grid; formats without subnormals round
   between 0 and 2**emin (a nearest tie goes to 0, nearest_away to 2**emin, round-to-odd to
   2**emin); formats without zero give their smallest value.
4. A rounded magnitude above max overflows: nearest modes give Inf, else NaN, else max;
   toward_zero and odd give max (odd in P3109 formats: Inf, P3109's rule); toward_positive
   gives +Inf (or NaN, or max) for positive x and -max for negative x; toward_negative
   symmetrically. ``overflow="saturate"`` gives max.
5. The sign is kept; a zero result is -0 only for negative x where the format has -0.

Example:
    >>> from numfmt.formats.registry import format
    >>> round_value(464.0, format("e4m3")), round_value(465.0, format("e4m3"))
    (448.0, nan)
    >>> [round_value(x, format("e8m0")) for x in (3.0, 6.0)]
    [2.0, 8.0]
"""
from __future__ import annotations

import math
from fractions import Fraction

from .formats.floating import FloatFormat
from .rounding import DETERMINISTIC_ROUNDINGS, overflow_policy, rounding_mode

__all__ = ["round_value", "encode_value", "decode_code", "decode_exact", "neighbours"]

_NEAREST = ("nearest_even", "nearest_away")


def _mode_name(rounding) -> str:
    name = rounding_mode(rounding).name.lower()
    if name not in DETERMINISTIC_ROUNDINGS:
        raise ValueError(f"the reference implements the deterministic modes only; got {rounding!r}")
    return name


def _pow2(k: int) -> Fraction:
    return Fraction(1 << k) if k >= 0 else Fraction(1, 1 << -k)


def _floor_log2(m: Fraction) -> int:
    """floor(log2(m)) for a positive Fraction, exactly."""
    n, d = m.numerator, m.denominator
    e = n.bit_length() - d.bit_length()
    # 2**e <= m < 2**(e+1) or off by one downward
    if (n << max(-e, 0)) < (d << max(e, 0)):
        e -= 1
    return e


def decode_exact(mag: int, fmt: FloatFormat) -> Fraction:
    """Exact value of a magnitude code on the unbounded grid (codes past the largest continue
    the last binade's pattern).

    >>> from numfmt.formats.registry import format
    >>> decode_exact(127, format("e4m3"))   # the NaN code, read as a number
    Fraction(480, 1)
    """
    M = fmt.man_bits
    c = mag - fmt.code_offset
    field, frac = c >> M, c & ((1 << M) - 1)
    if field == 0:
        return frac * _pow2(fmt.emin - M)
    return ((1 << M) + frac) * _pow2(fmt.emin + field - 1 - M)


def neighbours(m: Fraction, fmt: FloatFormat) -> tuple[int, int]:
    """Magnitude codes (lo, hi) of the grid points with lo <= m <= hi (equal when m is on the
    grid), for m >= 0, on the unbounded-exponent grid. Below the smallest normal binade of a
    format without subnormals, lo is 0 (or None without zero) and hi is the code of 2**emin.

    >>> from numfmt.formats.registry import format
    >>> neighbours(Fraction(465), format("e4m3"))
    (126, 127)
    """
    M, emin = fmt.man_bits, fmt.emin
    if m >= _pow2(emin):
        e = _floor_log2(m)
        q = _pow2(e - M)
        k = m.numerator * q.denominator // (m.denominator * q.numerator)  # floor(m / q)
        lo = ((e - emin) << M) + k + fmt.code_offset
        return lo, lo + (k * q != m)
    if not fmt.zero:
        return None, 0                                   # everything below rounds to the smallest
    if not fmt.subnormals:
        if m == 0:
            return 0, 0
        return 0, 1 << M
    q = _pow2(emin - M)
    k = m.numerator * q.denominator // (m.denominator * q.numerator)
    return k, k + (k * q != m)


def _round_magnitude(m: Fraction, fmt: FloatFormat, mode: str, negative: bool) -> int:
    """The magnitude code of m >= 0 rounded on the unbounded grid (no overflow handling)."""
    lo, hi = neighbours(m, fmt)
    if lo is None:
        return hi
    if lo == hi:
        return lo
    away = {"toward_zero": False, "toward_positive": not negative,
            "toward_negative": negative}.get(mode)
    if away is not None:
        return hi if away else lo
    if mode == "odd":
        if lo % 2:
            return lo
        return hi                                        # odd hi, or (no subnormals) 0 vs 2**emin
    vlo, vhi = decode_exact(lo, fmt), decode_exact(hi, fmt)
    dlo, dhi = m - vlo, vhi - m
    if dlo != dhi:
        return lo if dlo < dhi else hi
    if mode == "nearest_away":
        return hi
    if hi - lo > 1:                                      # 0 vs 2**emin without subnormals
        return lo
    return lo if lo % 2 == 0 else hi


def _nan_result(fmt: FloatFormat, negative: bool, nan: str):
    """(value, code) of the NaN output for an input with the given sign."""
    if fmt.has_nan:
        signed_nan = fmt.special in ("ieee", "fn") and fmt.signed
        code = fmt.nan_code | (fmt.sign_bit if negative and signed_nan else 0)
        return (-math.nan if code & fmt.sign_bit else math.nan), code      # the NaN code's sign
    if nan == "ml_dtypes":                               # NaN -> the zero of the other sign
        if fmt.has_negative_zero and not negative:
            return -0.0, fmt.sign_bit
        return 0.0, 0
    raise ValueError(f"{fmt.name} has no NaN")


def _signed(fmt: FloatFormat, mag: int, negative: bool):
    """(value, code) of a finite magnitude code with a sign."""
    value = decode_exact(mag, fmt)
    if negative and (value != 0 or fmt.has_negative_zero):
        return -float(value) if value else -0.0, mag | fmt.sign_bit
    return float(value), mag


def _max_result(fmt: FloatFormat, negative: bool):
    return _signed(fmt, fmt.max_magnitude_code, negative)


def _inf_result(fmt: FloatFormat, negative: bool, nan: str):
    if fmt.has_inf:
        return (-math.inf if negative else math.inf), fmt.inf_magnitude_code | (fmt.sign_bit if negative else 0)
    if fmt.has_nan:
        return _nan_result(fmt, negative, nan)
    return _max_result(fmt, negative)


def cast_value(x: Fraction | float | int, fmt: FloatFormat, rounding: str = "nearest_even",
               overflow: str = "ieee", nan: str = "raise") -> tuple[float, int]:
    """(``round_value``, ``encode_value``) of x: its rounding to fmt as a Python float and its
    code, from one evaluation.

    >>> from numfmt.formats.registry import format
    >>> cast_value(1e9, format("e4m3"), "toward_zero")
    (448.0, 126)
    """
    mode = _mode_name(rounding)
    overflow = overflow_policy(overflow)
    if overflow == "raise":
        raise ValueError("the reference implements overflow='ieee' and 'saturate'")
    if nan not in ("raise", "ml_dtypes"):
        raise ValueError(f"nan must be 'raise' or 'ml_dtypes'; got {nan!r}")
    if isinstance(x, float):
        negative = math.copysign(1.0, x) < 0
        if math.isnan(x):
            return _nan_result(fmt, negative, nan)
        if math.isinf(x):
            if negative and not fmt.signed:
                return _nan_result(fmt, True, "raise")
            if overflow == "saturate":
                return _max_result(fmt, negative)
            return _inf_result(fmt, negative, nan)
        x = Fraction(x)
    else:
        x = Fraction(x)
        negative = x < 0
    m = abs(x)
    if (negative and not fmt.signed and m != 0) or (m == 0 and not fmt.zero):
        return _nan_result(fmt, negative, "raise")
    if not fmt.signed:
        negative = False                                  # -0 into an unsigned format is +0
    mag = _round_magnitude(m, fmt, mode, negative)
    if mag > fmt.max_magnitude_code:
        to_inf = mode in _NEAREST or (mode == "toward_positive" and not negative) or (
            mode == "toward_negative" and negative) or (mode == "odd" and fmt.special == "p3109")
        if overflow == "saturate" or not to_inf:
            return _max_result(fmt, negative)
        return _inf_result(fmt, negative, nan)
    return _signed(fmt, mag, negative)


def round_value(x: Fraction | float | int, fmt: FloatFormat, rounding: str = "nearest_even",
                overflow: str = "ieee", nan: str = "raise") -> float:
    """x rounded to fmt, as a Python float (NaN results are NaN, signed where the format's NaNs
    are signed; -0.0 where the format has -0).

    >>> from numfmt.formats.registry import format
    >>> round_value(Fraction(1) + Fraction(1, 2**8) + Fraction(1, 2**40), format("bfloat16"))
    1.0078125
    >>> round_value(1e9, format("e4m3"), "toward_zero"), round_value(-0.0, format("e4m3fnuz"))
    (448.0, 0.0)
    >>> round_value(-1.25, format("e2m1"), "odd")
    -1.5
    """
    return cast_value(x, fmt, rounding, overflow, nan)[0]


def encode_value(x: Fraction | float | int, fmt: FloatFormat, rounding: str = "nearest_even",
                 overflow: str = "ieee", nan: str = "raise") -> int:
    """The code of x rounded to fmt.

    >>> from numfmt.formats.registry import format
    >>> [encode_value(v, format("e4m3")) for v in (1.0, -448.0, 1e9, -1e9)]
    [56, 254, 127, 255]
    """
    return cast_value(x, fmt, rounding, overflow, nan)[1]


def decode_code(code: int, fmt: FloatFormat) -> float:
    """The value of a code as a Python float (NaN codes give NaN with the code's sign bit).

    >>> from numfmt.formats.registry import format
    >>> [decode_code(c, format("e4m3")) for c in (0x38, 0x7E, 0x7F, 0x80)]
    [1.0, 448.0, nan, -0.0]
    """
    code = int(code)
    if not 0 <= code < 1 << fmt.bits:
        raise ValueError(f"code {code} is outside [0, 2**{fmt.bits})")
    negative = bool(code & fmt.sign_bit)
    mag = code & ~fmt.sign_bit if fmt.signed else code
    top = (1 << fmt.magnitude_bits) - 1
    if ((fmt.special == "ieee" and mag > fmt.inf_magnitude_code)
            or (fmt.special == "fn" and mag == top)
            or (fmt.special in ("fnuz", "p3109") and code == fmt.sign_bit)):
        return -math.nan if negative else math.nan
    if fmt.has_inf and mag == fmt.inf_magnitude_code:
        return -math.inf if negative else math.inf
    value = float(decode_exact(mag, fmt))
    return -value if negative else value
