"""Element-wise arithmetic of each format family, called by ``numfmt.ops``.

Each family module has ``elementwise(op, operands, fmt, mode, overflow, stochastic)``:
op is "add", "sub", "mul", "div", "fma" or "sqrt"; operands are 1 to 3 C-contiguous 1-D float64
arrays of equal length holding values of fmt (NaN for NaN / NaR); stochastic is None or
``(seed, sr_bits, sr_rule, random_bits_or_None)`` from ``numfmt.stochastic.stochastic_args``
(element i uses random number i). It returns a 1-D float64 array of values of fmt.
"""


class NotValuesError(ValueError):
    """Some operand is not a value of the format. A family module that sets ``CHECKS_INPUTS =
    True`` checks its operands itself (in the same pass as the operation) and raises this;
    ``numfmt.ops`` then reports which elements. Such a module also takes float32 operands
    and an ``out_dtype`` (float32 or float64)."""
