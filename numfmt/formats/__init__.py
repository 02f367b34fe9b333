"""What a format is: frozen dataclasses, no kernels."""
from .floating import FloatFormat, FloatInfo
from .registry import format, register, registered

__all__ = ["FloatFormat", "FloatInfo", "format", "register", "registered"]
