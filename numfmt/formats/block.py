"""BlockFormat: element codes that share one scale per block of ``block_size`` elements along an
axis (block floating point, OCP Microscaling MX v1.0, NVFP4).

A block's values are ``scale * element``. Two kinds of scale format:

- **power-of-two scales** (``scale.man_bits == 0``, e.g. E8M0): the MX scheme. The shared
  exponent comes from the block's largest magnitude ``amax`` by ``scale_rule`` and is exact;
  elements are ``x / 2**shared_exp`` rounded once to the element format, saturating.
- **scales with a fraction** (e.g. E4M3 for NVFP4): the NVFP4 scheme of torchao's
  ``_nvfp4_quantize`` (TransformerEngine uses the same recipe), computed in float32 steps; see
  ``numfmt.casts.block``. ``tensor_scale="amax"`` adds the per-tensor float32 scale
  ``amax / (max_elem * max_scale)``.

Scale rules for power-of-two scales, with ``e = floor(log2 amax)`` taken exactly from the bits
and ``emax_elem = floor(log2 max_elem)``:

=========  ===================================================  ==================================
rule       shared exponent                                      source
=========  ===================================================  ==================================
"floor"    e - emax_elem                                        OCP MX v1.0 section 6.3
"ceil"     ceil(log2 amax) - emax_elem                          torchao ScaleCalculationMode.CEIL
"even"     e' - emax_elem, e' = floor(log2 of amax rounded to   torchao ScaleCalculationMode.EVEN
           the element's fraction bits, ties away)
"rceil"    ceil(log2(amax / max_elem)): the smallest scale      cuDNN block_scale_quantize
           that clamps nothing                                  ("quantize_round_up(amax/vmax)"),
                                                                cuBLAS / TransformerEngine RCEIL
=========  ===================================================  ==================================

Shared exponents above the scale format's largest give the NaN scale (the block decodes to NaN),
below its smallest they are clamped to it; an all-zero block gets the smallest scale. A NaN or
an infinity anywhere in a block makes ``amax`` non-finite and so the block's scale NaN (as
microxcaling and torchao do; the spec leaves it open).
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

from .floating import FloatFormat
from .integer import FixedFormat
from .names import resolve

SCALE_RULES = ("floor", "ceil", "even", "rceil")


def _floor_log2(v: float) -> int:
    """floor(log2 v) of a positive float, exactly (from frexp, never a floating-point log2)."""
    return math.frexp(v)[1] - 1


@dataclass(frozen=True)
class BlockInfo:
    """Properties of a block format."""

    element: str
    scale: str
    block_size: int
    scale_rule: str
    emax_elem: int
    max: float
    bits_per_element: float


@dataclass(frozen=True)
class BlockFormat:
    """A block format: ``block_size`` elements of ``element`` share one ``scale`` code.

    Args:
        element: the element format (a FloatFormat or FixedFormat, or its name).
        block_size: elements per block (>= 1).
        scale: the scale format, a FloatFormat with a NaN code (a name is fine): ``"e8m0"`` for
            power-of-two scales, or one with fraction bits (``"e4m3"``: NVFP4's scheme).
        axis: the default axis the blocks run along (``round``/``encode`` take ``axis=``).
        scale_rule: one of ``SCALE_RULES`` for power-of-two scales (see the module docstring);
            ignored (must stay "floor") for scales with fraction bits, which round to nearest.
        symmetric: fixed-point elements only: clamp at -max instead of the two's-complement
            minimum (microxcaling's MXINT8 range is +-127/64).
        tensor_scale: scales with fraction bits only: ``"amax"`` for NVFP4's per-tensor float32
            scale ``amax / (max_elem * max_scale)``, or None for a single level.
        name: display name (not part of equality).

    Example:
        >>> import numfmt as nf
        >>> fmt = nf.format("mxfp8_e4m3")
        >>> fmt.block_size, fmt.info.emax_elem, fmt.info.bits_per_element
        (32, 8, 8.25)
        >>> BlockFormat("e2m1", 16, "e8m0").name
        'block<e2m1,16,e8m0>'
    """

    element: object
    block_size: int
    scale: object
    axis: int = -1
    scale_rule: str = "floor"
    symmetric: bool = False
    tensor_scale: str | None = None
    name: str | None = field(default=None, compare=False)

    family = "block"

    def __post_init__(self) -> None:
        object.__setattr__(self, "element", resolve(self.element))
        object.__setattr__(self, "scale", resolve(self.scale))
        if self.element.family not in ("float", "fixed"):
            raise ValueError(f"element must be a float or fixed-point format; got {self.element.name}")
        if not (isinstance(self.block_size, int) and not isinstance(self.block_size, bool)
                and self.block_size >= 1):
            raise ValueError(f"block_size must be a positive integer; got {self.block_size!r}")
        scale = self.scale
        if not (isinstance(scale, FloatFormat) and scale.has_nan):
            raise ValueError(f"scale must be a float format with a NaN code (e8m0, e4m3, ...); got {scale.name}")
        if not isinstance(self.axis, int) or isinstance(self.axis, bool):
            raise ValueError(f"axis must be an integer; got {self.axis!r}")
        if self.scale_rule not in SCALE_RULES:
            raise ValueError(f"scale_rule must be one of {SCALE_RULES}; got {self.scale_rule!r}")
        if self.symmetric and self.element.family != "fixed":
            raise ValueError("symmetric=True applies to fixed-point elements only")
        if self.power_of_two:
            if self.tensor_scale is not None:
                raise ValueError("tensor_scale applies to scale formats with fraction bits (e4m3) only")
            if scale.signed:
                raise ValueError(f"a power-of-two scale format must be unsigned; got {scale.name}")
        else:
            if self.scale_rule != "floor":
                raise ValueError(f"scale_rule applies to power-of-two scales; {scale.name} scales round "
                                 "to nearest (leave scale_rule at its default)")
            if self.tensor_scale not in (None, "amax"):
                raise ValueError(f"tensor_scale must be None or 'amax'; got {self.tensor_scale!r}")
            if self.element.family != "float":
                raise ValueError("scales with fraction bits need float elements")
        lo, hi = self.element_quantum_exp + self.scale_exp_range[0], self.info.max
        if lo < -1000 or hi > 2.0 ** 1000:
            raise ValueError(f"values of {self.element.name} times {scale.name} scales must lie well "
                             "inside float64's normal range")
        if self.name is None:
            object.__setattr__(self, "name", f"block<{self.element.name},{self.block_size},{scale.name}>")

    # ----- numbers the kernels use -----
    @property
    def power_of_two(self) -> bool:
        """Whether the scales are powers of two (the MX scheme)."""
        return self.scale.man_bits == 0

    @functools.cached_property
    def scale_exp_range(self) -> tuple[int, int]:
        """(smallest, largest) exponent of a positive finite scale value (powers of two only
        for power-of-two scales); computed once (a block cast reads it several times)."""
        info = self.scale.info
        return _floor_log2(info.smallest_subnormal), _floor_log2(info.max)

    @property
    def element_max(self) -> float:
        """The largest element value (the symmetric clamp included)."""
        return self.element.info.max

    @property
    def element_min_int(self) -> int:
        """Fixed-point elements: the smallest integer (``-max_int`` with ``symmetric``)."""
        return -self.element.max_int if self.symmetric else self.element.min_int

    @property
    def element_quantum_exp(self) -> int:
        """log2 of the element's smallest positive value."""
        if self.element.family == "fixed":
            return -self.element.frac_bits
        e = self.element
        return (e.emin - e.man_bits) if e.subnormals else e.emin

    @property
    def element_frac_bits(self) -> int:
        """Fraction bits in the element's top binade (the "even" rule rounds amax to them)."""
        if self.element.family == "fixed":
            return self.element.bits - 2 if self.element.signed else self.element.bits - 1
        return self.element.man_bits

    @functools.cached_property
    def info(self) -> BlockInfo:
        """Element and scale formats, block size, emax_elem, the largest value, and the bits per
        element with the block scale amortized (the per-tensor scale of NVFP4 not counted)."""
        return BlockInfo(self.element.name, self.scale.name, self.block_size, self.scale_rule,
                         _floor_log2(self.element_max),
                         self.element_max * self.scale.info.max,
                         self.element.bits + self.scale.bits / self.block_size)

    def __str__(self) -> str:
        return self.name


_BFP = re.compile(r"bfp(\d+)(?:_(\d+))?")


def parse_bfp(name: str):
    """``bfp{m}`` or ``bfp{m}_{k}``: block floating point, m-bit two's-complement mantissas
    (FixedFormat(m, m - 2): values in [-2, 2)) sharing an E8M0 exponent per block of k
    (default 16) elements, floor rule; else None.

    >>> parse_bfp("bfp8_32").block_size, parse_bfp("bfp4").element.name
    (32, 'fixed<4,2>')
    """
    match = _BFP.fullmatch(name)
    if not match:
        return None
    m, k = int(match.group(1)), int(match.group(2) or 16)
    if m < 2:
        raise ValueError(f"bfp mantissas need at least 2 bits; got {name!r}")
    return BlockFormat(FixedFormat(m, m - 2), k, "e8m0", name=name)
