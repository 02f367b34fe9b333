"""What a format is: frozen dataclasses, no kernels."""
from .block import BlockFormat, BlockInfo
from .floating import FloatFormat, FloatInfo
from .integer import FixedFormat, FixedInfo, IntFormat
from .posit import PositFormat, PositInfo
from .registry import format, register, registered

__all__ = ["FixedFormat", "FixedInfo", "FloatFormat", "FloatInfo", "IntFormat", "PositFormat", "PositInfo", "format", "register", "registered"]
__all__ += ["BlockFormat", "BlockInfo"]
