"""Quantization-aware training, the part without a framework: what a quantizer rounds to and
how (``Quant``), the straight-through estimator's options, and where block formats put their
blocks in a layer. ``numfmt.torch`` (``quantize``, ``numfmt.torch.nn``, ``quantize_model``) and
``numfmt.jax`` (``quantize``, ``quantized_dense``) share it.

The straight-through estimator (STE): the forward pass rounds, the backward pass treats the
rounding as the identity (``ste="identity"``) or as the identity inside the format's finite
range and zero outside (``ste="clipped"``); optionally the incoming gradient is itself rounded
to a format with its own rounding (QPyTorch's quantizer does the same).
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .formats import BlockFormat, FloatFormat
from .formats.registry import format as _format
from .rounding import rounding_mode

STE_MODES = ("identity", "clipped")


class Quant(NamedTuple):
    """A format with the rounding and the keyword options of ``round`` (``overflow``, ``seed``,
    ``sr_bits``, ``axis``, ...) to round to it with; options as a dict or as (name, value) pairs.

    >>> Quant("e5m2", "stochastic", {"seed": 3}).kwargs()
    {'seed': 3}
    """

    fmt: Any
    rounding: str = "nearest_even"
    options: Any = ()

    def kwargs(self) -> dict:
        """The options as ``round``'s keyword arguments."""
        return dict(self.options)


def as_quant(value, argument: str, format_of=None) -> Quant | None:
    """None, a format (a name, a Format, a dtype) or a ``Quant`` as a checked ``Quant`` with its
    options as sorted (name, value) pairs (hashable: a static argument under ``jax.jit``), or
    None. ``format_of`` maps a framework dtype to something ``numfmt.format`` takes.

    >>> as_quant("e4m3", "weight")
    Quant(fmt='e4m3', rounding='nearest_even', options=())
    >>> as_quant(Quant("e5m2", "sr", {"seed": 1}), "grad").options
    (('seed', 1),)
    """
    if value is None:
        return None
    quant = value if isinstance(value, Quant) else Quant(value)
    resolve(quant.fmt, argument, format_of)
    try:
        rounding_mode(quant.rounding)
    except ValueError as err:
        raise ValueError(f"{argument}: {err}") from None
    try:
        options = tuple(sorted(dict(quant.options).items()))
    except (TypeError, ValueError):
        raise TypeError(f"{argument}: the options of a Quant must be a dict of round's keyword arguments; "
                        f"got {quant.options!r}") from None
    return quant._replace(options=options)


def quantizers(fmt, rounding: str, options: dict, grad_fmt, grad_rounding: str, grad_seed, grad_options,
               format_of=None) -> tuple:
    """The checked ``Quant``s (forward, gradient) of ``quantize``'s arguments (see
    ``numfmt.torch.quantize``); the gradient's is None without grad_fmt.

    >>> quantizers("e4m3", "nearest_even", {}, "e5m2", "stochastic", 5, None, None)[1]
    Quant(fmt='e5m2', rounding='stochastic', options=(('seed', 5),))
    """
    fwd = as_quant(None if fmt is None else Quant(fmt, rounding, options), "fmt", format_of)
    if grad_fmt is None:
        if grad_seed is not None or grad_options:
            raise ValueError("grad_seed and grad_options apply to the gradient's rounding: pass grad_fmt too")
        return fwd, None
    grad_kwargs = dict(grad_options or {})
    if grad_seed is not None:
        grad_kwargs["seed"] = grad_seed
    return fwd, as_quant(Quant(grad_fmt, grad_rounding, grad_kwargs), "grad_fmt", format_of)


def resolve(fmt, argument: str, format_of=None):
    """The numfmt Format of fmt (``format_of`` first maps a framework dtype), else ValueError
    naming the argument.

    >>> resolve("float8_e4m3fn", "fmt").name
    'e4m3'
    """
    try:
        return _format(format_of(fmt) if format_of is not None else fmt)
    except (ValueError, TypeError, KeyError):
        raise ValueError(f"{argument} must be a numfmt format (a name, a Format or a dtype); got {fmt!r}") from None


def check_ste(ste: str) -> str:
    """ste, checked to be one of ``STE_MODES``."""
    if ste not in STE_MODES:
        raise ValueError(f"ste must be one of {STE_MODES}; got {ste!r}")
    return ste


def clip_range(quant: Quant | None, ste: str, format_of=None) -> tuple | None:
    """The interval outside which ``ste="clipped"`` zeroes the gradient: the format's finite
    range (min, max); None where nothing is clipped (the identity STE, no forward rounding,
    or a block format, whose shared scale follows the data: no fixed range).

    >>> clip_range(as_quant("e4m3", "fmt"), "clipped")
    (-448.0, 448.0)
    """
    if check_ste(ste) == "identity" or quant is None:
        return None
    fmt = resolve(quant.fmt, "fmt", format_of)
    if isinstance(fmt, BlockFormat):
        return None
    return (float(fmt.info.min), float(fmt.info.max))


def along(quant: Quant | None, axis: int, format_of=None) -> Quant | None:
    """quant with ``axis=axis`` and ``pad=True`` among its options where its format is a block
    format and they are not given (blocks along a layer's reduction axis, the last block
    padded with zeros, which leave the shared scale as it is); other formats unchanged.

    >>> along(as_quant("mxfp4", "weight"), 1).options
    (('axis', 1), ('pad', True))
    """
    if quant is None or not isinstance(resolve(quant.fmt, "fmt", format_of), BlockFormat):
        return quant
    options = {"axis": axis, "pad": True, **dict(quant.options)}
    return quant._replace(options=tuple(sorted(options.items())))


def inputs_format(act: Quant | None, weight: Quant | None, float64: bool, format_of=None):
    """The format of a layer's matmul inputs for the emulated accumulator (``fmt`` of
    ``numfmt.matmul``, which requires the inputs to be its values): the activations' and the
    weight's format where it is one float format, else binary32 (binary64 for float64
    tensors), which holds every value of the tensors.

    >>> inputs_format(as_quant("e4m3", "act"), as_quant("e4m3", "weight"), False).name
    'e4m3'
    >>> inputs_format(as_quant("e4m3", "act"), None, False)
    'binary32'
    """
    if act is not None and weight is not None:
        fmt = resolve(act.fmt, "act", format_of)
        if isinstance(fmt, FloatFormat) and fmt == resolve(weight.fmt, "weight", format_of):
            return fmt
    return "binary64" if float64 else "binary32"
