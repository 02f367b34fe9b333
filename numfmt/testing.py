"""Hypothesis strategies for property-based conformance tests of low-precision float kernels.

Use them to test your own kernels against numfmt (or against exact arithmetic)::

    from hypothesis import given
    import numfmt as nf
    from numfmt.testing import formats, rounding_cases, rounding_modes

    @given(formats().flatmap(lambda f: st.tuples(st.just(f), rounding_cases(f))), rounding_modes())
    def test_my_kernel(fmt_x, mode):
        fmt, x = fmt_x
        assert my_round(x, fmt, mode) == nf.round(x, fmt, mode)

The float family (``FloatFormat``) comes first; integer / fixed-point and posit strategies
follow in their own sections. Every strategy draws finite values as
Python floats (float64) that are exact; helpers ``magnitude_codes`` / ``next_value`` expose the
code geometry the strategies use.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np
from hypothesis import reject, strategies as st
from hypothesis.extra import numpy as hnp

from .casts import decode as _decode, encode as _encode
from .formats.floating import SPECIALS, FloatFormat
from .formats.registry import registered
from .rounding import DETERMINISTIC_ROUNDINGS, ROUNDING_NAMES

__all__ = ["formats", "values", "rounding_cases", "arrays", "rounding_modes", "posit_formats", "posit_values",
           "posit_rounding_cases",
           "registered_float_formats", "is_reachable_code", "overflow_code"]


def registered_float_formats() -> list[FloatFormat]:
    """Every registered format of the float family, in registration order.

    >>> "e4m3" in [f.name for f in registered_float_formats()]
    True
    """
    return [fmt for _, _, fmt in registered() if getattr(fmt, "family", None) == "float"]


def overflow_code(fmt: FloatFormat) -> int:
    """The magnitude code one above the largest finite one, whose value (``fmt.magnitude_value``)
    is the next value the format would have with an unbounded exponent: ``max + ulp(max)``.

    >>> fmt = FloatFormat(4, 3, special="fn")
    >>> float(fmt.magnitude_value(overflow_code(fmt)))
    480.0
    """
    return fmt.max_magnitude_code + 1


def is_reachable_code(fmt: FloatFormat, mag: int) -> bool:
    """Whether a finite magnitude code is a value rounding can produce: formats without
    subnormals never produce the codes 1 .. 2**man_bits - 1 (they flush to 0 / 2**emin).

    >>> is_reachable_code(FloatFormat(3, 2, subnormals=False), 1)
    False
    """
    if not 0 <= mag <= fmt.max_magnitude_code:
        return False
    return fmt.subnormals or not fmt.zero or mag == 0 or mag >= (1 << fmt.man_bits)


def _next_reachable(fmt: FloatFormat, mag: int) -> int:
    mag += 1
    if not is_reachable_code(fmt, mag) and mag <= fmt.max_magnitude_code:
        mag = 1 << fmt.man_bits
    return mag


def _smallest_positive_code(fmt: FloatFormat) -> int:
    if not fmt.zero:
        return 0
    return 1 if fmt.subnormals else 1 << fmt.man_bits


@st.composite
def _random_format(draw, max_bits: int, specials: Sequence[str], signed) -> FloatFormat:
    special = draw(st.sampled_from(list(specials)))
    if signed is None:
        sign = True if special in ("fnuz", "p3109") else draw(st.booleans())
    else:
        sign = bool(signed)
    exp_bits = draw(st.integers(1, min(8, max_bits - int(sign))))
    man_bits = draw(st.integers(0, min(23, max_bits - int(sign) - exp_bits)))
    default_bias = (1 << (exp_bits - 1)) - 1
    bias = draw(st.one_of(st.just(default_bias), st.just(default_bias + 1),
                          st.integers(default_bias - 4, default_bias + 4)))
    zero = draw(st.booleans()) if special in ("fn", "ieee") else True
    subnormals = draw(st.booleans()) if zero else False
    try:
        fmt = FloatFormat(exp_bits, man_bits, bias=bias, signed=sign, subnormals=subnormals,
                          special=special, zero=zero)
    except ValueError:
        reject()
    return fmt


def formats(registered: bool = True, random: bool = True, max_bits: int = 32,
            specials: Sequence[str] | None = None,
            signed: bool | None = None) -> st.SearchStrategy[FloatFormat]:
    """FloatFormats: registered ones and/or random valid ``FloatFormat`` instances.

    Args:
        registered: include the registered float formats (``numfmt.registered()``).
        random: include random widths, biases and conventions (subnormals, zero, sign).
        max_bits: the widest format drawn (2..32).
        specials: restrict to these special-value conventions (default: all of ``SPECIALS``).
        signed: restrict to signed (True) or unsigned (False) formats; None for both.

    Example:
        >>> from hypothesis import given
        >>> @given(formats(max_bits=8, specials=["ieee"]))
        ... def test(fmt):
        ...     assert fmt.bits <= 8 and fmt.special == "ieee"
        >>> test()
    """
    if not 2 <= max_bits <= 32:
        raise ValueError(f"max_bits must be from 2 to 32; got {max_bits!r}")
    specials = tuple(SPECIALS if specials is None else specials)
    bad = [s for s in specials if s not in SPECIALS]
    if bad or not specials:
        raise ValueError(f"specials must be a non-empty subset of {SPECIALS}; got {specials!r}")
    options = []
    if registered:
        regs = [f for f in registered_float_formats() if f.bits <= max_bits and f.special in specials
                and (signed is None or f.signed == signed)]
        if regs:
            options.append(st.sampled_from(regs))
    if random:
        options.append(_random_format(max_bits, specials, signed))
    if not options:
        raise ValueError("no format matches: enable registered or random formats or relax the filters")
    return st.one_of(*options)


def _magnitude_codes(fmt: FloatFormat) -> st.SearchStrategy[int]:
    """Reachable finite magnitude codes, weighted toward the smallest and largest ones."""
    top = fmt.max_magnitude_code
    low = _smallest_positive_code(fmt)
    small = st.integers(0, min(top, max(low, 1 << fmt.man_bits) + 2))
    big = st.integers(max(0, top - 3), top)
    anywhere = st.integers(0, top)
    return st.one_of(st.just(0), small, big, anywhere).map(
        lambda m: m if is_reachable_code(fmt, m) else (1 << fmt.man_bits))


def values(fmt: FloatFormat, allow_special: bool = False) -> st.SearchStrategy[float]:
    """Representable values of fmt as Python floats (reachable by rounding).

    Weighted toward zeros, subnormals and the largest values; with ``allow_special`` also
    +-Inf and NaN where the format has them.

    Example:
        >>> from hypothesis import given
        >>> import numfmt as nf
        >>> @given(values(nf.format("e4m3")))
        ... def test(v):
        ...     assert float(nf.round(v, "e4m3")) == v
        >>> test()
    """
    def to_float(mag_neg):
        mag, neg = mag_neg
        v = float(fmt.magnitude_value(mag))
        return -v if neg else v

    negs = st.booleans() if fmt.signed else st.just(False)
    out = st.tuples(_magnitude_codes(fmt), negs).map(to_float)
    if not fmt.has_negative_zero:
        out = out.map(lambda v: 0.0 if v == 0 else v)
    extras = []
    if allow_special and fmt.has_inf:
        extras.append(st.sampled_from([math.inf, -math.inf] if fmt.signed else [math.inf]))
    if allow_special and fmt.has_nan:
        extras.append(st.just(math.nan))
    return st.one_of(out, *extras) if extras else out


def _neighbours(fmt: FloatFormat) -> st.SearchStrategy[tuple[Fraction, Fraction]]:
    """(v, next) for consecutive reachable magnitudes, including (max, max + ulp)."""
    def pair(m):
        if m >= fmt.max_magnitude_code:
            m = fmt.max_magnitude_code
        return fmt.magnitude_value(m), fmt.magnitude_value(_next_reachable(fmt, m))
    return _magnitude_codes(fmt).map(pair)


def _around(v: float) -> st.SearchStrategy[float]:
    return st.sampled_from([v, math.nextafter(v, math.inf), math.nextafter(v, -math.inf)])


def rounding_cases(fmt: FloatFormat, allow_special: bool = False) -> st.SearchStrategy[float]:
    """float64 inputs that stress rounding to fmt.

    At, just below and just above: ties (midpoints between neighbouring values), the overflow
    threshold (the midpoint above max), the underflow threshold (half the smallest positive
    value) and the values themselves; plus random floats over the format's range. Negative
    inputs only for signed formats; ``allow_special`` adds Inf and NaN (NaN only where the
    format has one).

    Example:
        >>> from hypothesis import given
        >>> import numfmt as nf
        >>> fmt = nf.format("e5m2")
        >>> @given(rounding_cases(fmt))
        ... def test(x):
        ...     y = float(nf.round(x, fmt, "toward_zero"))
        ...     assert abs(y) <= abs(x)
        >>> test()
    """
    top = fmt.magnitude_value(fmt.max_magnitude_code)
    vnext = fmt.magnitude_value(overflow_code(fmt))
    smallest = fmt.magnitude_value(_smallest_positive_code(fmt))
    lo_exp = fmt.emin - fmt.man_bits - 3
    hi_exp = fmt.info.maxexp + 2

    ties = _neighbours(fmt).map(lambda p: float((p[0] + p[1]) / 2)).flatmap(_around)
    exact = _magnitude_codes(fmt).map(lambda m: float(fmt.magnitude_value(m))).flatmap(_around)
    thresholds = st.sampled_from([float((top + vnext) / 2), float(smallest / 2), float(top),
                                  float(vnext), float(smallest)]).flatmap(_around)
    log_uniform = st.builds(lambda e, f: math.ldexp(f, e), st.integers(lo_exp, hi_exp),
                            st.floats(1.0, 2.0, exclude_max=True))
    uniform = st.floats(0.0, float(vnext) * 1.25)
    magnitudes = st.one_of(ties, exact, thresholds, log_uniform, uniform)
    magnitudes = magnitudes.filter(lambda v: v >= 0 and math.isfinite(v))
    if fmt.signed:
        out = st.tuples(magnitudes, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])
    else:
        out = magnitudes.map(abs)
    if allow_special:
        extras = [math.inf, -math.inf] if fmt.signed else [math.inf]
        if fmt.has_nan:
            extras.append(math.nan)
        out = st.one_of(out, st.sampled_from(extras))
    return out


def arrays(fmt: FloatFormat, shape=None, allow_special: bool = False) -> st.SearchStrategy[np.ndarray]:
    """float64 numpy arrays of ``rounding_cases(fmt)``.

    Args:
        shape: an int, a tuple, a strategy of shapes, or None for small 0- to 3-d shapes.

    Example:
        >>> from hypothesis import given
        >>> import numfmt as nf
        >>> @given(arrays(nf.format("bfloat16"), (4, 3)))
        ... def test(a):
        ...     assert nf.round(a, "bfloat16").shape == (4, 3)
        >>> test()
    """
    if shape is None:
        shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)
    return hnp.arrays(np.float64, shape, elements=rounding_cases(fmt, allow_special))


def rounding_modes(deterministic: bool = True, aliases: bool = False) -> st.SearchStrategy[str]:
    """Rounding mode names: the deterministic ones, plus ``stochastic`` when
    ``deterministic=False``; with ``aliases`` also the short names (rne, rtz, ...).

    Example:
        >>> from hypothesis import given
        >>> @given(rounding_modes())
        ... def test(mode):
        ...     assert mode != "stochastic"
        >>> test()
    """
    names = list(DETERMINISTIC_ROUNDINGS)
    if not deterministic:
        names.append("stochastic")
    if aliases:
        names += [a for a, m in ROUNDING_NAMES.items()
                  if a not in names and (not deterministic or a not in ("sr",))
                  and (deterministic is False or m.name.lower() != "stochastic")]
    return st.sampled_from(names)


# ----------------------------------------------------------------------------- integers, fixed point
def fixed_formats(max_bits: int = 32, signed: bool | None = None) -> st.SearchStrategy:
    """Integer and fixed-point formats: ``FixedFormat(bits, frac_bits, signed)``.

    >>> from hypothesis import given
    >>> @given(fixed_formats(max_bits=8))
    ... def test(fmt): assert 2 <= fmt.bits <= 8
    >>> test()
    """
    from .formats.integer import FixedFormat

    return st.builds(FixedFormat, st.integers(2, max_bits), st.integers(0, 12),
                     st.booleans() if signed is None else st.just(signed))


def fixed_values(fmt) -> st.SearchStrategy[float]:
    """Values of a fixed-point format, weighted toward both ends of its range and zero."""
    scale = 2.0 ** -fmt.frac_bits
    ints = st.one_of(st.integers(fmt.min_int, fmt.max_int), st.sampled_from([fmt.min_int, fmt.max_int, 0]),
                     st.integers(fmt.min_int, min(fmt.min_int + 3, fmt.max_int)),
                     st.integers(max(fmt.max_int - 3, fmt.min_int), fmt.max_int))
    return ints.map(lambda k: k * scale)


def fixed_rounding_cases(fmt) -> st.SearchStrategy[float]:
    """Inputs at, just below and just above the midpoints between steps, and past both ends.

    >>> from hypothesis import given
    >>> import numfmt
    >>> @given(fixed_rounding_cases(numfmt.format("q3.4")))
    ... def test(x): assert abs(x) < 100
    >>> test()
    """
    scale = 2.0 ** -fmt.frac_bits
    mid = st.integers(fmt.min_int - 2, fmt.max_int + 1).map(lambda k: (k + 0.5) * scale)
    return st.one_of(mid.flatmap(_around), fixed_values(fmt),
                     st.floats(fmt.info.min * 2 - 1, fmt.info.max * 2 + 1, allow_nan=False))


def requantize_cases() -> st.SearchStrategy[tuple[int, int, int]]:
    """(z, b, c) for ``numfmt.dyadic.requantize``: z near the int32 limits and random, b near
    2**31 and random, c from 0 to 62."""
    z = st.one_of(st.integers(-(1 << 31), (1 << 31) - 1),
                  st.sampled_from([-(1 << 31), (1 << 31) - 1, 0, 1, -1]))
    b = st.one_of(st.integers(0, (1 << 31) - 1), st.integers((1 << 31) - 16, (1 << 31) - 1))
    return st.tuples(z, b, st.integers(0, 62))


# ----------------------------------------------------------------------------- block formats
MX_FORMATS = ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8")
HARD_BLOCK_KINDS = ("random", "one_large", "zeros", "subnormal", "special", "clamp", "tie")


def block_formats(registered: bool = True, random: bool = True) -> st.SearchStrategy:
    """Block formats: the registered ones (MX, nvfp4, bfp8) and/or random ``BlockFormat``s with
    an MX or fixed-point element, a block size from 1 to 32, E8M0 scales and any scale rule.

    >>> from hypothesis import given
    >>> @given(block_formats())
    ... def test(fmt): assert fmt.family == "block"
    >>> test()
    """
    from .formats.block import SCALE_RULES, BlockFormat
    from .formats.integer import FixedFormat
    from .formats.registry import format as lookup

    options = []
    if registered:
        options.append(st.sampled_from([lookup(n) for n in (*MX_FORMATS, "nvfp4", "bfp8", "bfp4_8")]))
    if random:
        element = st.one_of(st.sampled_from(["e4m3", "e5m2", "e3m2", "e2m3", "e2m1"]),
                            st.integers(2, 12).map(lambda m: FixedFormat(m, m - 2)))
        options.append(st.builds(BlockFormat, element, st.sampled_from([1, 2, 3, 4, 8, 16, 32]),
                                 st.just("e8m0"), scale_rule=st.sampled_from(SCALE_RULES)))
    if not options:
        raise ValueError("enable registered or random block formats")
    return st.one_of(*options)


def _element_values(fmt) -> np.ndarray:
    """The finite non-negative element values of a block format, ascending."""
    elem = fmt.element
    if elem.family == "fixed":
        return np.arange(0, elem.max_int + 1) * 2.0 ** -elem.frac_bits
    v = elem.values()
    return np.unique(v[np.isfinite(v) & (v >= 0)])


def hard_block(fmt, kind: str, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """One block (``fmt.block_size`` values of dtype) of the given kind (``HARD_BLOCK_KINDS``):

    - ``random``: normal values times a random power of two;
    - ``one_large``: one value far above the others (which flush toward zero);
    - ``zeros``: all zeros of both signs; ``subnormal``: only subnormals of dtype;
    - ``special``: a random block with one NaN, +Inf or -Inf;
    - ``clamp``: values at, just below and just above the element maximum times the block's
      scale, at and next to the midpoint between it and the next value of an unbounded element
      (where nearest rounding starts to overflow), and just below the next power of two (where
      the floor rule clamps);
    - ``tie``: midpoints between consecutive element values at the scale 2**e that the block's
      largest element sets, and their neighbours: exact ties of the element rounding for
      power-of-two scales under every rule (NVFP4's scale, amax / 6 over a tensor scale,
      rounded: near ties).

    >>> b = hard_block(__import__("numfmt").format("mxfp4"), "zeros", np.random.default_rng(0))
    >>> b.shape, float(np.abs(b).max())
    ((32,), 0.0)
    """
    n = fmt.block_size
    finfo = np.finfo(dtype)
    e = int(rng.integers(-40, 40))
    sign = rng.choice([-1.0, 1.0], n)
    if kind == "random":
        out = rng.standard_normal(n) * 2.0 ** e
    elif kind == "one_large":
        out = rng.standard_normal(n) * 2.0 ** (e - int(rng.integers(8, 40)))
        out[rng.integers(n)] = sign[0] * rng.uniform(1, 2) * 2.0 ** e
    elif kind == "zeros":
        out = sign * 0.0
    elif kind == "subnormal":
        out = sign * rng.integers(0, 1 << 20, n) * float(finfo.smallest_subnormal)
    elif kind == "special":
        out = rng.standard_normal(n) * 2.0 ** e
        out[rng.integers(n)] = rng.choice([np.nan, np.inf, -np.inf])
    elif kind == "clamp":
        elem = fmt.element
        emax = float(elem.info.max)
        ulp = 2.0 ** -elem.frac_bits if elem.family == "fixed" else 2.0 ** (math.floor(math.log2(emax)) - elem.man_bits)
        top, mid = emax * 2.0 ** e, (emax + ulp / 2) * 2.0 ** e
        cands = [top, np.nextafter(top, 0, dtype=dtype), np.nextafter(top, np.inf, dtype=dtype), mid,
                 np.nextafter(mid, 0, dtype=dtype), np.nextafter(mid, np.inf, dtype=dtype),
                 np.nextafter(dtype(2.0 ** (e + fmt.info.emax_elem + 1)), 0, dtype=dtype), 2.0 ** e]
        out = sign * rng.choice(cands, n)
    elif kind == "tie":
        out = _tie_block(fmt, e, sign, rng, dtype)
    else:
        raise ValueError(f"kind must be one of {HARD_BLOCK_KINDS}; got {kind!r}")
    with np.errstate(over="ignore"):
        return np.asarray(out, dtype=dtype)


def _tie_block(fmt, e: int, sign: np.ndarray, rng: np.random.Generator, dtype) -> np.ndarray:
    """``hard_block``'s "tie" block: its largest element the element maximum times 2**e, the
    others midpoints at the scale 2**e; where the scale rule then picks another scale ("ceil":
    ceil(log2 amax)), the largest is 2**(emax_elem + e) and the midpoints lie below it."""
    vals = _element_values(fmt)
    mids = (vals[:-1] + vals[1:]) / 2
    block = None
    for top in (vals[-1], 2.0 ** fmt.info.emax_elem):
        picks = rng.choice(mids[mids <= top], fmt.block_size) * 2.0 ** e
        nudge = rng.choice([0, 1, -1], fmt.block_size)
        picks = np.where(nudge == 0, picks, np.nextafter(picks.astype(dtype), np.where(nudge > 0, np.inf, -np.inf),
                                                         dtype=dtype))
        block = np.asarray(sign * picks, dtype)
        block[rng.integers(fmt.block_size)] = top * 2.0 ** e
        if not fmt.power_of_two or not np.all(np.isfinite(block)):
            return block
        with np.errstate(over="ignore"):
            scale = float(np.asarray(_decode(_encode(block, fmt).scales, fmt.scale)).reshape(-1)[0])
        if scale == 2.0 ** e:
            return block
    return block


def hard_blocks(fmt, n: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    """An (n, block_size) array of blocks, every kind of ``hard_block`` in turn.

    >>> hard_blocks(__import__("numfmt").format("nvfp4"), 7).shape
    (7, 16)
    """
    rng = np.random.default_rng(seed)
    return np.stack([hard_block(fmt, HARD_BLOCK_KINDS[i % len(HARD_BLOCK_KINDS)], rng, dtype)
                     for i in range(n)])


def blocks(fmt, kinds: Sequence[str] = HARD_BLOCK_KINDS, dtype=np.float32) -> st.SearchStrategy[np.ndarray]:
    """Hypothesis strategy of blocks of fmt (``hard_block`` of a drawn kind and seed).

    >>> from hypothesis import given
    >>> import numfmt as nf
    >>> @given(blocks(nf.format("mxfp4"), kinds=["random", "tie"]))
    ... def test(b): assert b.shape == (32,)
    >>> test()
    """
    return st.builds(lambda kind, seed: hard_block(fmt, kind, np.random.default_rng(seed), dtype),
                     st.sampled_from(list(kinds)), st.integers(0, 2 ** 32 - 1))


# ----------------------------------------------------------------------------- posits
def posit_formats(max_bits: int = 32, es: Sequence[int] | None = None,
                  registered: bool = True) -> st.SearchStrategy:
    """Posit formats: the registered posit8/16/32 and random ``PositFormat(nbits, es)``.

    Args:
        max_bits: the widest format drawn (2..32).
        es: the exponent sizes to draw from (default 0..5).
        registered: include the registered posit formats.

    Example:
        >>> from hypothesis import given
        >>> @given(posit_formats(max_bits=16, es=[2]))
        ... def test(fmt): assert fmt.nbits <= 16 and fmt.es == 2
        >>> test()
    """
    from .formats.posit import MAX_ES, MAX_NBITS, PositFormat

    if not 2 <= max_bits <= MAX_NBITS:
        raise ValueError(f"max_bits must be from 2 to {MAX_NBITS}; got {max_bits!r}")
    sizes = list(range(MAX_ES + 1) if es is None else es)
    if not sizes or any(not (isinstance(e, int) and 0 <= e <= MAX_ES) for e in sizes):
        raise ValueError(f"es must be a non-empty list of integers from 0 to {MAX_ES}; got {es!r}")
    random = st.builds(PositFormat, st.integers(2, max_bits), st.sampled_from(sizes))
    regs = [f for _, _, f in _registered_posits() if f.nbits <= max_bits and f.es in sizes]
    return st.one_of(st.sampled_from(regs), random) if registered and regs else random


def _registered_posits():
    return [entry for entry in registered() if getattr(entry[2], "family", None) == "posit"]


def _posit_codes(fmt) -> st.SearchStrategy[int]:
    """Positive finite codes, weighted toward minpos, maxpos and the codes around 1."""
    top = fmt.nar_code - 1
    one = 1 << (fmt.nbits - 2)
    return st.one_of(st.integers(1, min(top, 4)), st.integers(max(1, top - 3), top),
                     st.integers(max(1, one - 3), min(top, one + 3)), st.integers(1, top))


def posit_values(fmt, allow_nar: bool = False) -> st.SearchStrategy[float]:
    """Values of a posit format as Python floats (exact), both signs and zero; with
    ``allow_nar`` also NaN (NaR).

    Example:
        >>> from hypothesis import given, settings
        >>> import numfmt as nf
        >>> @settings(deadline=None)      # the first call compiles the kernel
        ... @given(posit_values(nf.format("posit16")))
        ... def test(v): assert float(nf.round(v, "posit16")) == v
        >>> test()
    """
    def value(code_neg):
        code, neg = code_neg
        v = float(fmt.code_value(code))
        return -v if neg else v

    out = st.one_of(st.just(0.0), st.tuples(_posit_codes(fmt), st.booleans()).map(value))
    return st.one_of(out, st.just(math.nan)) if allow_nar else out


def posit_rounding_cases(fmt, allow_special: bool = False) -> st.SearchStrategy[float]:
    """float64 inputs that stress rounding to a posit format, at, just below and just above:
    the ties in encoding space (the (n+1)-bit codes lo·1, where nearest rounding decides), the
    midpoints in value, the values themselves, minpos and maxpos (and half / twice them), and
    the regime boundaries useed**k; plus log-uniform values over the whole range. Both signs;
    ``allow_special`` adds ±Inf and NaN (they round to NaR).

    Example:
        >>> from hypothesis import given, settings
        >>> import numfmt as nf
        >>> @settings(deadline=None)
        ... @given(posit_rounding_cases(nf.format("posit8")))
        ... def test(x): assert float(nf.round(x, "posit8")) != 0 or x == 0
        >>> test()
    """
    from .formats.posit import posit_value

    n, es, top = fmt.nbits, fmt.es, fmt.max_scale
    ties = _posit_codes(fmt).map(lambda c: float(posit_value(2 * c + 1, n + 1, es)) if c < fmt.nar_code - 1
                                 else float(fmt.code_value(c)))
    mids = _posit_codes(fmt).map(lambda c: float((fmt.code_value(c) + fmt.code_value(min(c + 1, fmt.nar_code - 1))) / 2))
    exact = _posit_codes(fmt).map(lambda c: float(fmt.code_value(c)))
    edges = st.sampled_from([2.0 ** -top, 2.0 ** (-top - 1), 2.0 ** top, 2.0 ** (top + 1), 1.5 * 2.0 ** -top])
    regimes = st.integers(-(n - 2), n - 2).map(lambda k: 2.0 ** (k << es))
    log_uniform = st.builds(lambda e, f: math.ldexp(f, e), st.integers(-top - 3, top + 3),
                            st.floats(1.0, 2.0, exclude_max=True))
    magnitudes = st.one_of(st.one_of(ties, mids, exact, edges, regimes).flatmap(_around), log_uniform)
    out = st.tuples(magnitudes, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])
    return st.one_of(out, st.sampled_from([math.inf, -math.inf, math.nan])) if allow_special else out
