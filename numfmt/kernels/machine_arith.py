"""Element-wise arithmetic that float32 hardware performs exactly as emulated, then rounded.

For a float format of precision p <= 11 whose values float32 holds with p + 2 bits to spare at
every magnitude (``numfmt.arithmetic.floating.machine_format``), round to nearest even of
x + y, x - y, x * y, x / y and sqrt(x) is the float32 result (IEEE: correctly rounded to
24 bits) rounded once more to the format: rounding to nearest twice is innocuous when the
first precision is at least 2p + 2 (Figueroa, "When is double rounding innocuous?", 1995),
and float32 overflows only where the format does. fma is not among them (its exact value can
lie next to a midpoint). One kernel serves the five operations (``op``, ``OPS``).
"""
import numba as nb
import numpy as np

from .arith import not_value
from .floating import DETERMINISTIC, DOM32, NO_RND, NO_SR, VALUE, round_one

OPS = {"add": 0, "sub": 1, "mul": 2, "div": 3, "sqrt": 4}
_NAN32 = np.int64(0x7FC00000)   # one NaN (positive, quiet), as the exact route gives


@nb.njit(cache=True, nogil=True, error_model="numpy")     # x / 0 is IEEE's, no exception
def machine_kernel(x, out, start, y, op, p, pc, bad, tiny):
    """out[i] = op(x[i], y[start + i]) in float32, rounded by ``p`` (kernel_params of the
    format for float32 bits); x, y, out float32 (sqrt reads x only). bad[0] = 1 where an
    operand is not a value of the format (checked with ``pc``, the toward_zero parameters).
    ``tiny`` is float32's smallest subnormal, passed at run time: where ``tiny + tiny`` is 0
    the thread flushes subnormals (FTZ / DAZ), nothing is computed and bad[1] = 1 (the caller
    then runs the exact core)."""
    if tiny + tiny == 0:
        bad[1] = 1
        return
    y = y[start:start + x.size]
    if op == 0:
        for i in range(x.size):
            out[i] = x[i] + y[i]
    elif op == 1:
        for i in range(x.size):
            out[i] = x[i] - y[i]
    elif op == 2:
        for i in range(x.size):
            out[i] = x[i] * y[i]
    elif op == 3:
        for i in range(x.size):
            out[i] = x[i] / y[i]
    else:
        for i in range(x.size):
            out[i] = np.sqrt(x[i])
    found = False
    xb, yb = x.view(np.int32), y.view(np.int32)
    for i in range(x.size):
        found |= not_value(np.int64(xb[i]), pc, DOM32) | ((op != 4) & not_value(np.int64(yb[i]), pc, DOM32))
    bits = out.view(np.int32)
    for i in range(x.size):
        v = np.int64(bits[i]) if out[i] == out[i] else _NAN32
        bits[i] = round_one(v, p, VALUE, DOM32, DETERMINISTIC, NO_RND, NO_SR)
    if found:
        bad[0] = 1
