"""Autograd for numfmt on torch: ``numfmt.torch.quantize`` (forward rounds with
``numfmt.torch.round``, backward is a straight-through estimator, optionally rounding the
gradient) and the emulated matmul as an autograd function, for ``numfmt.torch.nn``.

This module sits above ``numfmt.torch``, which imports it to export ``quantize`` and hands
itself over as ``API`` (importing it back here would be an import cycle): every rounding and
the emulated matmul go through ``API.round`` / ``API.matmul``, so whatever format those take
(float formats today; block, posit and integer formats as the backends gain them) works here.
"""
from __future__ import annotations

import types

import torch

from .training import Quant, check_ste, clip_range, quantizers

API: types.ModuleType | None = None      # numfmt.torch, set by numfmt.torch when it imports this module


def format_of(fmt) -> object:
    """A torch float dtype as the numfmt format name it is (others unchanged).

    >>> import torch, numfmt.torch  # numfmt.torch installs itself as API
    >>> format_of(torch.float8_e5m2), format_of("e4m3")
    ('float8_e5m2', 'e4m3')
    """
    return API.BACKEND.format_of(fmt)


def round_to(x: torch.Tensor, quant: Quant | None) -> torch.Tensor:
    """x rounded by ``numfmt.torch.round`` as quant says (x itself for None)."""
    if quant is None:
        return x
    return API.round(x, quant.fmt, quant.rounding, **quant.kwargs())


class Quantize(torch.autograd.Function):
    """Forward: round x to ``fwd`` (a ``Quant`` or None: x unchanged). Backward: the incoming
    gradient, rounded to ``grad`` (where given), zeroed where x lies outside ``clip`` (where
    given, a (min, max) pair)."""

    @staticmethod
    def forward(x, fwd, grad, clip):
        return round_to(x, fwd) if fwd is not None else x.clone()

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, _, grad, clip = inputs
        ctx.grad, ctx.clip = grad, clip
        if clip is not None:
            ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, g):
        g = round_to(g, ctx.grad)
        if ctx.clip is not None:
            (x,) = ctx.saved_tensors
            g = torch.where((x >= ctx.clip[0]) & (x <= ctx.clip[1]), g, torch.zeros_like(g))
        return g, None, None, None


def quantize_with(x: torch.Tensor, fwd: Quant | None, grad: Quant | None = None,
                  ste: str = "identity") -> torch.Tensor:
    """``Quantize`` on checked ``Quant``s (``as_quant``): what ``quantize`` and the layers call."""
    return Quantize.apply(x, fwd, grad, clip_range(fwd, ste, format_of))


def quantize(t: torch.Tensor, fmt, rounding: str = "nearest_even", *, ste: str = "identity", grad_fmt=None,
             grad_rounding: str = "nearest_even", grad_seed=None, grad_options: dict | None = None,
             **options) -> torch.Tensor:
    """t rounded to fmt for training: the forward value is ``numfmt.torch.round(t, fmt, rounding,
    **options)`` (bit-identical; ``options`` are round's keywords: overflow, nan, seed, sr_bits,
    axis for block formats, ...; fmt=None leaves t as it is), the backward pass a
    straight-through estimator: the gradient passes unchanged (``ste="identity"``) or is zeroed
    where t lies outside fmt's finite range [min, max] (``ste="clipped"``; NaN inputs too; block
    formats have no fixed range and clip nothing). With ``grad_fmt``, the incoming gradient is
    first rounded to it: ``numfmt.torch.round(grad, grad_fmt, grad_rounding, seed=grad_seed,
    **grad_options)``, bit for bit (with stochastic rounding, a fixed grad_seed gives the same
    random numbers on every backward pass; None draws a new seed each time). Works under
    ``torch.compile(fullgraph=True)`` (pass seeds there: see ``numfmt.torch``).

    >>> import torch, numfmt.torch as nft
    >>> x = torch.tensor([1.06, 300.0, 1000.0], requires_grad=True)
    >>> y = nft.quantize(x, "e4m3", ste="clipped", overflow="saturate")
    >>> y.tolist()
    [1.0, 288.0, 448.0]
    >>> y.backward(torch.tensor([0.3, 0.3, 0.3])); x.grad.tolist()
    [0.30000001192092896, 0.30000001192092896, 0.0]
    >>> x.grad = None; nft.quantize(x, "e4m3", overflow="saturate", grad_fmt="e5m2").sum().backward()
    >>> x.grad.tolist()
    [1.0, 1.0, 1.0]
    """
    fwd, grad = quantizers(fmt, rounding, options, grad_fmt, grad_rounding, grad_seed, grad_options, format_of)
    return quantize_with(t, fwd, grad, check_ste(ste))


class EmulatedMatmul(torch.autograd.Function):
    """Forward: ``numfmt.torch.matmul(a, b, fmt, accumulator=acc.fmt, rounding=acc.rounding,
    **acc options)`` (the emulated accumulation; fmt the inputs' format); backward: the float gradients of a @ b (a
    straight-through estimator for the accumulator's roundings)."""

    @staticmethod
    def forward(a, b, acc, fmt):
        options = {"fmt": fmt, **acc.kwargs()}
        return API.matmul(a, b, accumulator=acc.fmt, rounding=acc.rounding, **options).to(a.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, b, _, _ = inputs
        ctx.save_for_backward(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b.transpose(-1, -2), a.transpose(-1, -2) @ g, None, None


def matmul_with(a: torch.Tensor, b: torch.Tensor, acc: Quant | None, fmt=None) -> torch.Tensor:
    """a @ b (2-D), with the emulated accumulator acc where given (``numfmt.torch.matmul``,
    which the device-matmul part of numfmt.torch provides: a clear error where it is absent);
    fmt: the inputs' format (``numfmt.training.inputs_format``), unless acc's options give one."""
    if acc is None:
        return a @ b
    if not hasattr(API, "matmul"):
        raise NotImplementedError("accumulator= needs numfmt.torch.matmul (the emulated matmul on device), "
                                  "which this numfmt does not have yet")
    return EmulatedMatmul.apply(a, b, acc, fmt)
