"""What a format is: frozen dataclasses, no kernels."""
from .block import BlockFormat, BlockInfo
from .floating import FloatFormat, FloatInfo
from .integer import FixedFormat, FixedInfo, IntFormat
from .registry import format, register, registered

__all__ = ["FixedFormat", "FixedInfo", "FloatFormat", "FloatInfo", "IntFormat", "format", "register", "registered"]
__all__ += ["BlockFormat", "BlockInfo"]
