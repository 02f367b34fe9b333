"""Training with numfmt on JAX: ``numfmt.jax.quantize`` (forward rounds with
``numfmt.jax.round``, backward is a straight-through estimator, optionally rounding the
gradient; a ``jax.custom_vjp``) and ``numfmt.jax.quantized_dense``, the functional quantized
layer for Flax / Equinox models. The options are those of ``numfmt.torch.quantize`` and
``numfmt.torch.nn`` (``numfmt.training``).

This module sits above ``numfmt.jax``, which imports it to export these names and hands itself
over as ``API`` (``install``; importing it back here would be an import cycle): every rounding
and the emulated matmul go through ``API.round`` / ``API.matmul``.
"""
from __future__ import annotations

import functools
import sys
import types

import jax
import jax.numpy as jnp

from .training import Quant, along, as_quant, check_ste, clip_range, inputs_format, quantizers

API: types.ModuleType | None = None      # numfmt.jax, set by install


def install(facade: str) -> None:
    """Make the module named ``facade`` (numfmt.jax, which imports this one) the ``API``."""
    global API
    API = sys.modules[facade]


def round_to(x: jax.Array, quant: Quant | None) -> jax.Array:
    """x rounded by ``numfmt.jax.round`` as quant says (x itself for None)."""
    if quant is None:
        return x
    return API.round(x, quant.fmt, quant.rounding, **quant.kwargs())


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _quantize(x, fwd, grad, clip):
    return round_to(x, fwd)


def _quantize_fwd(x, fwd, grad, clip):
    # the residual: x where the gradient is clipped, else an empty array of x's dtype
    return round_to(x, fwd), (x if clip is not None else jnp.zeros((0,), x.dtype))


def _quantize_bwd(fwd, grad, clip, x, g):
    g = round_to(g, grad)
    if clip is not None:
        g = jnp.where((x >= clip[0]) & (x <= clip[1]), g, jnp.zeros_like(g))
    return (g.astype(x.dtype),)


_quantize.defvjp(_quantize_fwd, _quantize_bwd)


def quantize_with(x: jax.Array, fwd: Quant | None, grad: Quant | None = None, ste: str = "identity") -> jax.Array:
    """The straight-through quantizer on checked ``Quant``s (``as_quant``)."""
    return _quantize(x, fwd, grad, clip_range(fwd, ste))


def quantize(t: jax.Array, fmt, rounding: str = "nearest_even", *, ste: str = "identity", grad_fmt=None,
             grad_rounding: str = "nearest_even", grad_seed=None, grad_options: dict | None = None,
             **options) -> jax.Array:
    """t rounded to fmt for training, as ``numfmt.torch.quantize``: the forward value is
    ``numfmt.jax.round(t, fmt, rounding, **options)`` (bit-identical; fmt=None: t unchanged),
    the gradient passes straight through (``ste="identity"``) or is zeroed outside fmt's finite
    range (``ste="clipped"``), after being rounded to ``grad_fmt`` where given
    (``numfmt.jax.round(grad, grad_fmt, grad_rounding, seed=grad_seed, **grad_options)``, bit
    for bit). A ``jax.custom_vjp``: works under ``jax.jit`` and ``jax.grad`` (under jit a seed of
    None is drawn once, when traced: the same random numbers on every call).

    >>> import jax, jax.numpy as jnp, numfmt.jax as nfj
    >>> f = lambda x: nfj.quantize(x, "e4m3", ste="clipped", overflow="saturate").sum()
    >>> jax.jit(jax.grad(f))(jnp.array([1.06, 300.0, 1000.0])).tolist()
    [1.0, 1.0, 0.0]
    """
    fwd, grad = quantizers(fmt, rounding, options, grad_fmt, grad_rounding, grad_seed, grad_options)
    return quantize_with(t, fwd, grad, check_ste(ste))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _emulated_matmul(a, b, acc, fmt):
    options = {"fmt": fmt, **acc.kwargs()}      # fmt: the inputs' format, unless acc's options give one
    return API.matmul(a, b, accumulator=acc.fmt, rounding=acc.rounding, **options).astype(a.dtype)


def _emulated_matmul_fwd(a, b, acc, fmt):
    return _emulated_matmul(a, b, acc, fmt), (a, b)


def _emulated_matmul_bwd(acc, fmt, res, g):
    a, b = res          # the float gradients of a @ b: straight through the accumulator's roundings
    return g @ b.T, a.T @ g


_emulated_matmul.defvjp(_emulated_matmul_fwd, _emulated_matmul_bwd)


def quantized_dense(x: jax.Array, w: jax.Array, b: jax.Array | None = None, *, weight=None, act=None, output=None,
                    grad=None, accumulator=None, ste: str = "identity") -> jax.Array:
    """x @ w + b (a Dense layer's kernel w of shape (in, out), x of shape (..., in)) with the
    emulated formats of ``numfmt.torch.nn.QuantLinear``, functionally (for Flax / Equinox):
    ``weight`` rounds w (block formats: blocks along in, axis 0), ``act`` rounds x (blocks along
    its last axis), ``output`` the result (bias included), ``grad`` the gradient arriving at the
    output and w's gradient, ``accumulator`` emulates the matmul's accumulation with
    ``numfmt.jax.matmul`` (bias added after, in float32). Each is a format, a ``Quant`` (format,
    rounding, options) or None; the backward pass is the straight-through estimator (``ste``).

    >>> import jax, jax.numpy as jnp, numfmt.jax as nfj
    >>> x, w = jnp.array([[1.06, 2.0]]), jnp.array([[1.0], [1.0]])
    >>> f = jax.jit(lambda x, w: nfj.quantized_dense(x, w, weight="e4m3", act="e4m3").sum())
    >>> float(f(x, w)), jax.jit(jax.grad(f, argnums=1))(x, w).tolist()
    (3.0, [[1.0], [2.0]])
    """
    check_ste(ste)
    weight_q, act_q = along(as_quant(weight, "weight"), 0), along(as_quant(act, "act"), -1)
    grad_q, acc_q = as_quant(grad, "grad"), as_quant(accumulator, "accumulator")
    x = quantize_with(x, act_q, None, ste)
    w = quantize_with(w, weight_q, grad_q, ste)
    if acc_q is None:
        y = x @ w
    elif not hasattr(API, "matmul"):
        raise NotImplementedError("accumulator= needs numfmt.jax.matmul (the emulated matmul on device), "
                                  "which this numfmt does not have yet")
    else:
        fmt = inputs_format(act_q, weight_q, x.dtype == jnp.float64)
        y = _emulated_matmul(x.reshape(-1, x.shape[-1]), w, acc_q, fmt).reshape(*x.shape[:-1], w.shape[-1])
    return quantize_with(y if b is None else y + b, as_quant(output, "output"), grad_q, ste)
