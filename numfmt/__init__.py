"""numfmt: bit-exact emulation of low-precision number formats.

>>> import numfmt as nf
>>> nf.round([1.06, 300.0], "e4m3").tolist()
[1.0, 288.0]
"""
from .accumulate import dot, matmul, sum
from .casts import BlockCodes, decode, encode, get_num_threads, last_seed, round, set_num_threads
from . import distributed, dyadic   # distributed: dask arrays (dask imported only when one comes in)
from . import mcf
from . import scaling
from .intacc import accumulator_bits
from .formats import BlockFormat, FixedFormat, FloatFormat, FloatInfo, IntFormat, PositFormat, format, registered
from .ops import abs, add, div, fma, mul, neg, sqrt, sub  # noqa: A004 (abs: numfmt.abs)
from .quire import Quire, quire_dot, quire_sum
from .quantize import choose_qparams, dequantize_affine, quantize_affine
from .report import CastReport, FlagError, flags
from .rounding import Rounding

__version__ = "0.1.0"

__all__ = ["BlockCodes", "CastReport", "FlagError", "flags", "BlockFormat", "FixedFormat", "FloatFormat", "FloatInfo", "IntFormat", "PositFormat",
           "Quire", "Rounding", "accumulator_bits", "choose_qparams", "dequantize_affine", "distributed", "dyadic",
           "quantize_affine", "decode", "dot", "encode", "format", "get_num_threads", "last_seed", "matmul", "mcf",
           "quire_dot", "quire_sum", "registered", "scaling",
           "round", "set_num_threads", "sum",
           "abs", "add", "div", "fma", "mul", "neg", "sqrt", "sub"]
