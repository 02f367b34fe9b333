"""Element-wise arithmetic of each format family, called by ``numfmt.ops``.

Each family module has ``elementwise(op, operands, fmt, mode, overflow, stochastic)``:
op is "add", "sub", "mul", "div", "fma" or "sqrt"; operands are 1 to 3 C-contiguous 1-D float64
arrays of equal length holding values of fmt (NaN for NaN / NaR); stochastic is None or
``(seed, sr_bits, sr_rule, random_bits_or_None)`` from ``numfmt.casts.stochastic_args``
(element i uses random number i). It returns a 1-D float64 array of values of fmt.
"""
