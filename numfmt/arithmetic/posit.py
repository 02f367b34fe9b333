"""Element-wise posit arithmetic: add, sub, mul, div, fma, sqrt, exact and rounded once.

``numfmt.ops`` (``numfmt.add(a, b, "posit16")`` ...) checks and broadcasts the arguments and
calls ``elementwise``. Each result is computed exactly by ``kernels.exact`` and rounded once by
the posit rounding routine (``kernels.posit.round_exact``), in any rounding mode.

Posit special cases: a NaR operand gives NaR; x / 0 gives NaR (0 / 0 too); sqrt of a negative
gives NaR; an exact zero is 0 (posits have no -0). Results beyond maxpos saturate to ±maxpos
and below minpos go to ±minpos in the nearest modes (see ``kernels.posit`` for every mode);
``overflow="raise"`` raises OverflowError where an exact result lies beyond maxpos.

Example:
    >>> import numpy as np
    >>> from numfmt.formats.registry import format
    >>> from numfmt.rounding import Rounding
    >>> a, b = np.array([1.0, 2.0 ** 20, 3.0, -4.0]), np.array([2.0 ** -12, 2.0 ** 20, 0.0, 1.0])
    >>> elementwise("add", (a, b), format("posit16"), Rounding.NEAREST_EVEN, "ieee", None).tolist()
    [1.0, 2097152.0, 3.0, -3.0]
    >>> elementwise("div", (a, b), format("posit16"), Rounding.NEAREST_EVEN, "ieee", None).tolist()
    [4096.0, 1.0, nan, -4.0]
"""
from __future__ import annotations

import numpy as np

from ..formats.posit import PositFormat
from ..casts.posit import decode_table
from ..kernels import posit as kern
from ..parallel import run_chunked
from ..rounding import Rounding, mode_flags

ARITIES = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1}
# work of one result, in ``numfmt.parallel`` units (about 1 ns: one element of a float cast)
WORK = {"add": 40, "sub": 40, "mul": 40, "div": 80, "fma": 60, "sqrt": 60}


def fits_float32(fmt: PositFormat) -> bool:
    """Whether float32 holds every value of fmt (``numfmt.ops`` then returns float32 for
    float32 operands)."""
    return fmt.fits_float32()


def elementwise(op: str, operands: tuple, fmt: PositFormat, mode: Rounding, overflow: str,
                stochastic) -> np.ndarray:
    """op applied to the operands (1-D C-contiguous float64 arrays of equal length holding
    values of fmt, NaN for NaR), each result rounded once to fmt; a 1-D float64 array.

    ``stochastic`` is None or ``(seed, sr_bits, sr_rule, random_bits_or_None)`` as
    ``numfmt.stochastic.stochastic_args`` returns it; element i uses random number i.
    """
    if ARITIES.get(op) != len(operands):
        raise ValueError(f"op must be one of {sorted(ARITIES)} with its number of operands; got {op!r} "
                         f"with {len(operands)}")
    bits = [np.ascontiguousarray(x, dtype=np.float64).view(np.int64) for x in operands]
    a, b, c = (bits + [bits[0]] * 2)[:3]
    seed, sr_bits, sr_rule, rand = stochastic if stochastic is not None else (0, 1, "add", None)
    p = mode_flags(mode)
    out = np.empty(a.size, np.float64)
    table = decode_table(fmt, np.dtype(np.float64)).view(np.int64) if fmt.nbits <= 16 else np.empty(0, np.int64)
    beyond = sum(run_chunked(kern.KERNELS[op], a, out.view(np.int64), b, c, fmt.nbits, fmt.es, p,
                             (int(sr_bits), int(sr_rule == "nearest")), rand, np.uint64(seed), table,
                             pass_start=True, work_per_item=WORK[op]))
    if overflow == "raise" and beyond:
        raise OverflowError(f"{beyond} of {a.size} results of {op} exceed maxpos of {fmt.name} "
                            f"({fmt.info.maxpos})")
    return out
