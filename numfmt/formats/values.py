"""Every value of a format of at most 16 bits, in code order: the formats' ``values()``.

Decoding is the casts' job (``numfmt.casts.decode``). The casts hand their decoder over with
``use_decoder`` when numfmt is imported, so that the formats import nothing from the layers
above them.
"""
from __future__ import annotations

import numpy as np

_decode = None


def use_decoder(decode) -> None:
    """Set the function ``decode(codes, fmt, dtype=...)`` that ``every_value`` calls."""
    global _decode
    _decode = decode


def every_value(fmt, bits: int, dtype) -> np.ndarray:
    """The value of every code 0 .. 2**bits - 1 of fmt (a format of ``bits`` <= 16 bits).

    >>> import numfmt as nf
    >>> every_value(nf.format("e2m1"), 4, np.float64)[:8].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    """
    if bits > 16:
        raise ValueError(f"values() enumerates formats of at most 16 bits; {fmt.name} has {bits}")
    return _decode(np.arange(1 << bits, dtype=np.uint32), fmt, dtype=dtype)
