"""Every format name and alias, and ``format()``: a name, alias, Format or dtype to a Format.

Registered names come first; then the parameterized spellings each family parses, e.g.
``e5m10`` (IEEE convention), ``e4m3b11fnuz``, ``posit16_1``, ``fixed<8,4>``, ``bfp8_32``. The
element formats' names live in ``names``; this module adds the block formats.
"""
from __future__ import annotations

from .block import BlockFormat, parse_bfp
from .integer import FixedFormat
from .names import ELEMENT_PARSERS, register, registered, resolve

__all__ = ["format", "register", "registered"]


def format(fmt):  # noqa: A001 - the public name
    """The Format for a name, an alias, a Format, or a numpy / ml_dtypes dtype.

    >>> format("float8_e4m3fn").name
    'e4m3'
    >>> format("e5m10").info.max
    65504.0
    >>> import ml_dtypes; format(ml_dtypes.bfloat16).name
    'bfloat16'
    """
    return resolve(fmt, ELEMENT_PARSERS + (parse_bfp,))


for _name, _element, _aliases in (("mxfp8_e4m3", "e4m3", ("mxfp8",)), ("mxfp8_e5m2", "e5m2", ()),
                                  ("mxfp6_e3m2", "e3m2", ()), ("mxfp6_e2m3", "e2m3", ()),
                                  ("mxfp4", "e2m1", ("mxfp4_e2m1",)),
                                  ("mxint8", FixedFormat(8, 6), ())):
    register(BlockFormat(_element, 32, "e8m0", name=_name), _aliases)
register(BlockFormat("e2m1", 16, "e4m3", tensor_scale="amax", name="nvfp4"))
