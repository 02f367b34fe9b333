"""``numfmt.torch.nn``: torch layers with emulated formats, and ``quantize_model``.

``QuantLinear`` and ``QuantConv2d`` are ``nn.Linear`` / ``nn.Conv2d`` (same parameters, same
state_dict) whose forward pass rounds, each with its own format (a format, or a ``Quant`` with
its rounding and round's options; None: not rounded):

- ``weight``: the weight, on every forward pass (the float32 master weight is what the
  optimizer updates); block formats (MX, NVFP4) get their blocks along the reduction axis
  (Linear: in_features; Conv2d: in_channels x kernel, flattened), the last one zero-padded;
- ``act``: the input activation (block formats: along the last axis for Linear, the channel
  axis for Conv2d);
- ``output``: the output, bias included;
- ``grad``: the gradient arriving at the output (the error the layer passes back is computed
  from it) and the weight's gradient, each rounded by ``numfmt.torch.round`` (stochastic
  rounding with a ``seed`` in the options uses the same random numbers for both and on every
  step; without one, each rounding draws its own seed);
- ``accumulator``: the matmul's accumulation emulated by ``numfmt.torch.matmul(x, w.T, fmt,
  accumulator=...)`` (its rounding and options from the ``Quant``; fmt, the inputs' format, is
  act's where act and weight have one float format, else binary32, unless the options give
  one); the bias is added after, in float32; the backward pass uses float matmuls
  (straight-through for the accumulator).

The backward pass is the straight-through estimator of ``numfmt.torch.quantize`` (``ste``).
"""
from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from torch import nn

from . import torch_training
from .torch_training import format_of, matmul_with, quantize_with
from .training import along, as_quant, check_ste, inputs_format

__all__ = ["QuantLinear", "QuantConv2d", "quantize_model"]


class QuantLayer:
    """The formats of a quantized layer (a mixin of ``QuantLinear`` and ``QuantConv2d``)."""

    def set_formats(self, weight=None, act=None, output=None, grad=None, accumulator=None,
                    ste: str = "identity") -> None:
        """Check and store the formats (see the module's docstring)."""
        if accumulator is not None and getattr(self, "groups", 1) != 1:
            raise ValueError(f"accumulator= needs groups=1 (the convolution as one matmul); got groups={self.groups}")
        checked = (check_ste(ste), along(as_quant(weight, "weight", format_of), 1, format_of),
                   along(as_quant(act, "act", format_of), self.act_axis, format_of),
                   as_quant(output, "output", format_of), as_quant(grad, "grad", format_of),
                   as_quant(accumulator, "accumulator", format_of))
        self.ste, self.weight_q, self.act_q, self.output_q, self.grad_q, self.accumulator_q = checked

    def quantized_weight(self) -> torch.Tensor:
        """The weight as the forward pass uses it, with the reduction axes flattened into axis 1."""
        w = self.weight.reshape(self.weight.shape[0], -1)
        return quantize_with(w, self.weight_q, self.grad_q, self.ste)

    def matmul(self, x: torch.Tensor, w_t: torch.Tensor) -> torch.Tensor:
        """x @ w_t (2-D), through the emulated accumulator where there is one."""
        fmt = None
        if self.accumulator_q is not None:
            fmt = inputs_format(self.act_q, self.weight_q, x.dtype == torch.float64, format_of)
        return matmul_with(x, w_t, self.accumulator_q, fmt)

    def quantized_output(self, y: torch.Tensor) -> torch.Tensor:
        """The output rounded to ``output`` (its gradient to ``grad``)."""
        return quantize_with(y, self.output_q, self.grad_q, self.ste)

    def extra_repr(self) -> str:
        named = [(n, getattr(self, f"{n}_q")) for n in ("weight", "act", "output", "grad", "accumulator")]
        return ", ".join([super().extra_repr()] + [f"{n}={q!r}" for n, q in named if q is not None])


class QuantLinear(QuantLayer, nn.Linear):
    """``nn.Linear`` with emulated formats (see ``numfmt.torch.nn``).

    >>> import torch, numfmt.torch as nft
    >>> layer = nft.nn.QuantLinear(4, 2, weight="e4m3", act="e4m3", grad=nft.Quant("e5m2", "stochastic"))
    >>> layer(torch.ones(3, 4)).shape
    torch.Size([3, 2])
    """

    act_axis = -1

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None, *,
                 weight=None, act=None, output=None, grad=None, accumulator=None, ste: str = "identity"):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.set_formats(weight, act, output, grad, accumulator, ste)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = quantize_with(x, self.act_q, None, self.ste)
        w = self.quantized_weight()
        y = self.matmul(x.reshape(-1, x.shape[-1]), w.t())
        y = y.reshape(*x.shape[:-1], self.out_features)
        return self.quantized_output(y if self.bias is None else y + self.bias)


class QuantConv2d(QuantLayer, nn.Conv2d):
    """``nn.Conv2d`` with emulated formats (see ``numfmt.torch.nn``); with an ``accumulator``,
    the convolution is an emulated matmul of the unfolded input (groups=1 only).

    >>> import torch, numfmt.torch as nft
    >>> conv = nft.nn.QuantConv2d(1, 2, 3, padding=1, weight="e4m3", act="bfloat16")
    >>> conv(torch.ones(1, 1, 5, 5)).shape
    torch.Size([1, 2, 5, 5])
    """

    act_axis = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None, *,
                 weight=None, act=None, output=None, grad=None, accumulator=None, ste: str = "identity"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        self.set_formats(weight, act, output, grad, accumulator, ste)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = quantize_with(x, self.act_q, None, self.ste)
        w = self.quantized_weight().reshape(self.weight.shape)
        if self.accumulator_q is None:
            return self.quantized_output(self._conv_forward(x, w, self.bias))
        padding = self.padding
        if self.padding_mode != "zeros" or isinstance(padding, str):   # nn.Conv2d's own padding first
            x = F.pad(x, self._reversed_padding_repeated_twice,
                      mode=self.padding_mode if self.padding_mode != "zeros" else "constant")
            padding = 0
        cols = F.unfold(x, self.kernel_size, self.dilation, padding, self.stride)     # (n, c*kh*kw, L)
        n, _, length = cols.shape
        y = self.matmul(cols.transpose(1, 2).reshape(n * length, -1), w.reshape(w.shape[0], -1).t())
        out_h, out_w = (_out_size(x.shape[2 + i], padding, self, i) for i in (0, 1))
        y = y.reshape(n, out_h, out_w, -1).permute(0, 3, 1, 2)
        return self.quantized_output(y if self.bias is None else y + self.bias.reshape(1, -1, 1, 1))


def _out_size(size: int, padding, conv: nn.Conv2d, i: int) -> int:
    pad = padding if isinstance(padding, int) else padding[i]
    span = conv.dilation[i] * (conv.kernel_size[i] - 1) + 1
    return (size + 2 * pad - span) // conv.stride[i] + 1


def quantize_model(model: nn.Module, *, weight=None, act=None, output=None, grad=None, accumulator=None,
                   ste: str = "identity") -> nn.Module:
    """model with every ``nn.Linear`` and ``nn.Conv2d`` (its own, and its submodules' at any
    depth) replaced in place by ``QuantLinear`` / ``QuantConv2d`` with these formats, sharing
    the original parameters (an optimizer built before keeps working); returns the model (the
    new layer where model itself is a Linear or Conv2d). Layers already quantized are replaced
    by ones with the new formats. A bad format raises before anything is replaced.

    >>> import torch, numfmt.torch as nft
    >>> model = nft.quantize_model(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), weight="e4m3")
    >>> type(model[0]).__name__, model[0].weight_q.fmt
    ('QuantLinear', 'e4m3')
    """
    formats = dict(weight=weight, act=act, output=output, grad=grad, accumulator=accumulator, ste=ste)
    if isinstance(model, (nn.Linear, nn.Conv2d)):
        return _quantized(model, formats)
    new = {}      # every new layer is made (and checked) before any is put in: an error changes nothing
    places = [(model.get_submodule(path.rpartition(".")[0]), path.rpartition(".")[2], child)
              for path, child in model.named_modules(remove_duplicate=False)
              if path and isinstance(child, (nn.Linear, nn.Conv2d))]
    for _, _, child in places:
        if id(child) not in new:         # a layer used in two places stays one layer
            new[id(child)] = _quantized(child, formats)
    for parent, name, child in places:
        setattr(parent, name, new[id(child)])
    return model


def _quantized(layer: nn.Module, formats: dict) -> nn.Module:
    """A QuantLinear / QuantConv2d with layer's state (the same parameters) and these formats."""
    cls = QuantConv2d if isinstance(layer, nn.Conv2d) else QuantLinear
    new = cls.__new__(cls)
    new.__dict__.update(layer.__dict__)       # the same parameters, buffers, hooks and settings
    new.set_formats(**formats)
    return new


def install(facade: str) -> None:
    """Make the module named ``facade`` (numfmt.torch, which imports this one) the ``API`` of
    ``numfmt.torch_training``, and this module importable as ``facade.nn``."""
    torch_training.API = sys.modules[facade]
    sys.modules[f"{facade}.nn"] = sys.modules[__name__]
