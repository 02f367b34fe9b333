"""numfmt on torch tensors: ``round``, ``encode``, ``decode`` of the float, posit and
fixed-point families (``numfmt.backend_families``) and of the block formats with float elements
(MX, nvfp4: ``numfmt.backend_block``), and ``quantize_affine`` (``numfmt.backend_affine``),
bit-identical to ``numfmt.round`` / ``encode`` / ``decode`` / ``quantize_affine`` (stochastic
rounding included: the same seed gives the same random integer for element i), computed on the
input's device with torch's integer operations: no NumPy, no host round trip. The rounding code
is the Numba kernels' own, evaluated per tensor (``numfmt.backends``).

Inputs: float32 or float64 tensors (float16, bfloat16 and float8 tensors are widened to
float32, exactly); float64 inputs are rounded directly; integer tensors widen to float64, as
NumPy's do (exactly, else ValueError; not checked under ``torch.compile``). Formats: any numfmt
float format, or a torch float dtype (``torch.float8_e4m3fn``, ``torch.float8_e5m2``,
``torch.bfloat16``, ...).
Posit formats (any posit<n, es>) and integer / fixed-point formats (int8, uint4, q3.4, ...)
go through ``numfmt.backend_families``, the same way.

round, encode and decode work under ``torch.compile(fullgraph=True)``, where inductor fuses
them into one loop (eager, each of the kernel's operations is a separate pass over memory:
for speed, call them inside a compiled function). There the data-dependent checks cannot
raise: NaN into a format without NaN gives the format's NaN output (NaN; code 0), negative
inputs of unsigned formats likewise, codes outside the format are not checked, and
overflow="raise" acts as overflow="ieee". The random numbers come from an opaque custom op
(``numfmt::counter_bits``, SplitMix64 or, with ``rng="squares"``, Squares), so compiled and
eager stochastic rounding agree; a ``seed=None`` is drawn when the function is traced, so pass a
seed there. Block round and encode compile too; decode of a ``BlockCodes`` built inside the same
compiled function does not (dynamo cannot guard its format): decode it outside.
"""
from __future__ import annotations

import numpy as np
import torch

from . import backend_affine, backend_block, backend_families, backends, device_matmul  # noqa: F401 (families)
from .rounding import stochastic_away
from .stochastic import use_seed

__all__ = ["round", "encode", "decode", "quantize_affine", "matmul"]

_MASKS = [(1 << (64 - s)) - 1 for s in range(65)]


class U64:
    """An unsigned 64-bit integer (wrapping) in an int64 tensor or a Python int, for the
    random numbers (``numfmt.random.splitmix_bits``): ``>>`` is the logical shift."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = backends.wrap(v, 64) if isinstance(v, int) else v

    @staticmethod
    def of(v) -> "U64":
        return v if isinstance(v, U64) else U64(v)

    def __add__(self, other):
        return U64(self.v + U64.of(other).v)

    def __mul__(self, other):
        return U64(self.v * U64.of(other).v)

    def __xor__(self, other):
        return U64(self.v ^ U64.of(other).v)

    def __and__(self, other):
        return U64(self.v & U64.of(other).v)

    def __or__(self, other):
        return U64(self.v | U64.of(other).v)

    def __lshift__(self, other):
        return U64(self.v << int(U64.of(other).v))

    def __rshift__(self, other):
        s = int(U64.of(other).v)           # shift counts are constants here
        return U64((self.v >> s) & _MASKS[s])


_where = backends.where_of(torch.Tensor, torch.where)


def _where32(c, a, b):
    """``where`` for int32 lanes: a select between two Python ints makes an int32 tensor (torch
    would make int64, and the int64 values would widen the lanes after it)."""
    if isinstance(a, int) and isinstance(b, int) and isinstance(c, torch.Tensor) and a != b:
        return torch.where(c, torch.scalar_tensor(a, dtype=torch.int32, device=c.device), b)
    return _where(c, a, b)


def _extremum(a, b, both, bound: str, scalar):
    """min or max of a and b, tensors or Python numbers (a tensor with a number: a clamp)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return both(a, b)
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        tensor, number = (a, b) if isinstance(a, torch.Tensor) else (b, a)
        return torch.clamp(tensor, **{bound: number})
    return scalar(a, b)


def _minimum(a, b):
    return _extremum(a, b, torch.minimum, "max", min)


def _maximum(a, b):
    return _extremum(a, b, torch.maximum, "min", max)


def _lane_function(dtype):
    def lane(v):
        if isinstance(v, U64):
            return v.v
        if isinstance(v, torch.Tensor):
            return v if v.dtype == dtype else v.to(dtype)
        return backends.wrap(v, 32 if dtype == torch.int32 else 64)
    return lane


def _wide_stochastic_away(rem, t, sticky, k, rule_nearest, rnd):
    """``numfmt.rounding.stochastic_away`` itself in int64 (its d + rnd needs k + 1 bits, up to
    63), for the int32 lanes of the float32 domain; the 0/1 result back in int32."""
    away = _STOCHASTIC_AWAY64(rem.to(torch.int64), t.to(torch.int64), sticky, k, rule_nearest, rnd)
    return away.to(torch.int32)


_NAMESPACES = {64: {"where": _where, "minimum": _minimum, "maximum": _maximum, "narrow_min": lambda a, b: a,
                    "lane": _lane_function(torch.int64), "u64": U64.of, "copysign": torch.copysign,
                    "f32_bits": lambda v: v.view(torch.int32),
                    "f32_value": lambda b: (backends.float32_of_bits(b) if isinstance(b, int) else
                                            b.to(torch.int32).view(torch.float32)),
                    "as_float": lambda x, table: x.to(table.dtype) if isinstance(x, torch.Tensor) else x}}
_STOCHASTIC_AWAY64 = backends.rebind(stochastic_away, _NAMESPACES[64])
_NAMESPACES[32] = dict(_NAMESPACES[64], where=_where32, narrow_min=_minimum, lane=_lane_function(torch.int32),
                       stochastic_away=_wide_stochastic_away)
_CODES = {"uint8": torch.uint8, "uint16": torch.uint16, "uint32": torch.uint32, "uint64": torch.uint64}


_DTYPE_NAMES = {dtype: str(dtype).removeprefix("torch.") for dtype in
                (getattr(torch, name) for name in dir(torch)) if isinstance(dtype, torch.dtype)}


def _format_of(fmt):
    """A torch float dtype as the name of the numfmt format it is (others unchanged)."""
    if isinstance(fmt, torch.dtype):
        if not fmt.is_floating_point:
            raise ValueError(f"fmt must be a format or a float dtype; got {fmt}")
        return _DTYPE_NAMES[fmt]
    return fmt


class TorchBackend(backends.Backend):
    """numfmt's float kernels on torch tensors: int32 lanes for the float32 domain (int64
    tensor operations run at a fifth of their speed on CPU), int64 for float64."""

    name = "torch"
    float32_lane_bits = 32

    def namespace(self, lane_bits: int) -> dict:
        return _NAMESPACES[lane_bits]

    def lane_widths(self):
        return (32, 64)

    def float_input(self, x, argument: str = "x"):
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x) if not isinstance(x, (float, int)) else x)
        if x.dtype in (torch.float32, torch.float64):
            return x
        if x.is_floating_point():
            return x.to(torch.float32)
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{argument} must hold real numbers (float16, bfloat16, float8, float32, float64 "
                            f"or integers); got dtype {x.dtype}")
        wide = x.to(torch.float64)          # integers widen to float64, as in NumPy: exactly or not at all
        if not self.traced(x) and bool((wide.to(x.dtype) != x).any()):
            raise ValueError(f"{argument} holds integers that float64 cannot represent exactly")
        return wide

    def is_float64(self, x) -> bool:
        return x.dtype == torch.float64

    def traced(self, x) -> bool:
        return torch.compiler.is_compiling()

    def count(self, mask) -> int:
        return int(mask.sum())

    def to_host(self, tensor) -> np.ndarray:
        return tensor.detach().cpu().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)

    def is_tensor(self, value):
        return isinstance(value, torch.Tensor)

    def parameter(self, array, like):
        return torch.from_numpy(np.ascontiguousarray(array)).to(like.device)

    def kind(self, tensor):
        if tensor.dtype == torch.bool:
            return "b"
        if tensor.is_floating_point() or tensor.is_complex():
            return "c" if tensor.is_complex() else "f"
        return "u" if tensor.dtype in _CODES.values() else "i"

    def as_dtype(self, tensor, name):
        return tensor.to(getattr(torch, name))

    def to_lanes(self, x, dom64, lane_bits):
        if dom64:
            return x.to(torch.float64).view(torch.int64)
        return x.view(torch.int32).to(torch.int64 if lane_bits == 64 else torch.int32)

    def from_lanes(self, lanes, dom64):
        return lanes.view(torch.float64) if dom64 else lanes.to(torch.int32).view(torch.float32)

    def to_codes(self, lanes, dtype):
        if dtype == "uint32" and lanes.dtype == torch.int32:
            return lanes.view(torch.uint32)
        return lanes.to(_CODES[dtype])

    def from_codes(self, codes, bits, lane_bits, argument="codes"):
        if not isinstance(codes, torch.Tensor):
            codes = torch.as_tensor(np.asarray(codes))
        if codes.is_floating_point() or codes.is_complex() or codes.dtype == torch.bool:
            raise TypeError(f"{argument} must be an integer tensor of codes; got dtype {codes.dtype}")
        lanes = codes.to(torch.int64)
        if not self.traced(codes) and lanes.numel() and (int(lanes.min()) < 0 or int(lanes.max()) >= 1 << bits):
            raise ValueError(f"{argument} must lie in [0, 2**{bits}) for a {bits}-bit format; got values "
                             f"from {int(lanes.min())} to {int(lanes.max())}")
        return lanes if lane_bits == 64 else lanes.to(torch.int32)

    def random(self, seed, like, k, lane_bits, rng="splitmix64"):
        return _counter_op(backends.wrap(seed, 64), like.numel(), k, rng, like.device).reshape(like.shape)

    def explicit_random(self, random_bits, like, k, lane_bits):
        rand = random_bits if isinstance(random_bits, torch.Tensor) else torch.as_tensor(np.asarray(random_bits))
        if rand.is_floating_point() or rand.dtype == torch.bool:
            raise TypeError(f"random_bits must be an integer array; got dtype {rand.dtype}")
        try:
            rand = torch.broadcast_to(rand.to(device=like.device, dtype=torch.int64), like.shape)
        except RuntimeError:
            raise ValueError(f"random_bits of shape {tuple(rand.shape)} does not broadcast to x of shape "
                             f"{tuple(like.shape)}") from None
        if not self.traced(like) and rand.numel() and (int(rand.min()) < 0 or int(rand.max()) >= 1 << k):
            raise ValueError(f"random_bits must lie in [0, 2**sr_bits) = [0, {1 << k}); "
                             f"got values from {int(rand.min())} to {int(rand.max())}")
        return rand

    def table(self, bits, dtype, like):
        itype = torch.int32 if dtype == "float32" else torch.int64
        return torch.tensor(bits, dtype=itype, device=like.device).view(getattr(torch, dtype))

    def to_float32(self, x):
        return x.to(torch.float32)

    def float_dtype(self, dtype):
        if isinstance(dtype, torch.dtype) and dtype in (torch.float32, torch.float64):
            return np.dtype(str(dtype).removeprefix("torch."))
        if isinstance(dtype, torch.dtype):
            return dtype
        return np.dtype(dtype)

    @staticmethod
    @torch.compiler.assume_constant_result      # a constant to torch.compile, never traced
    def plan(*args):
        return backends.cast_plan(*args)

    @staticmethod
    @torch.compiler.assume_constant_result      # recorded when traced: a constant, no side effect in the graph
    def use_seed(seed):
        return use_seed(seed)

    @staticmethod
    @torch.compiler.assume_constant_result
    def decode_plan(fmt, dtype):
        return backends.decode_plan(BACKEND, fmt, dtype)

    @staticmethod
    @torch.compiler.assume_constant_result
    def constant(name, *args):
        return backends.PLANS[name](BACKEND, *args)

    def format_of(self, dtype):
        return _format_of(dtype)

    def cast_to(self, values, dtype):
        return values.to(dtype)


@torch.library.custom_op("numfmt::counter_bits", mutates_args=())
def _counter_op(seed: int, n: int, k: int, rng: str, device: torch.device) -> torch.Tensor:
    """The k-bit numbers 0 .. n-1 of the generator rng for seed (its key for Squares):
    ``numfmt.random.splitmix_bits`` or ``squares_bits``, rebound. An opaque op to torch.compile:
    inductor (2.13, CPU) miscompiles this hash of an arange fused into its loop (wrong numbers,
    or a crash), so it runs as the eager tensor code."""
    index = torch.arange(n, dtype=torch.int64, device=device)
    return BACKEND.kernel("splitmix_bits" if rng == "splitmix64" else "squares_bits", 64)(U64(seed), index, k)


@_counter_op.register_fake
def _(seed, n, k, rng, device):
    return torch.empty(n, dtype=torch.int64, device=device)


BACKEND = TorchBackend()
BACKEND.kernel("round_one", 64)     # rebind now: torch.compile must not trace the rebinding


def round(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise",  # noqa: A001
          seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
          rng: str = "splitmix64", axis: int | None = None, dim: int | None = None,
          pad: bool = False, report: bool = False, per_block: bool = False):
    """x rounded to fmt, as a tensor on x's device: float64 for float64 inputs and for formats
    whose values float32 cannot hold, else float32; bit-identical to ``numfmt.round``.
    Block formats (MX, nvfp4) quantize blocks along ``axis`` (or its alias ``dim``; default
    the format's) with ``pad`` as in NumPy (``numfmt.backend_block``). ``report=True`` returns
    ``(tensor, numfmt.CastReport)``, numfmt.round's report (``per_block`` as there), counted on
    the host from a copy of x by the NumPy path's own code (``backends.reported_cast``); calls
    inside ``numfmt.flags`` add their report there. Under ``torch.compile`` report=True raises
    TypeError and nothing is counted.

    >>> import torch, numfmt.torch as nft
    >>> nft.round(torch.tensor([464.0, 1 + 2**-8]), "e4m3").tolist()
    [448.0, 1.0]
    >>> y, rep = nft.round(torch.tensor([464.0, 1e6, 1e-4]), "e4m3", report=True)
    >>> rep.overflow, rep.inexact, rep.flushed_to_zero
    (1, 3, 1)
    >>> nft.round(torch.tensor([1.25, 1.25]), torch.float8_e4m3fn, "stochastic", seed=1).dtype
    torch.float32
    """
    return backends.reported_cast(BACKEND, x, _format_of(fmt), rounding, overflow, nan, seed, sr_bits, sr_rule,
                                  random_bits, want_code=False, rng=rng, report=report, per_block=per_block,
                                  axis=_axis(axis, dim), pad=pad)


def encode(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise",
           seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
           rng: str = "splitmix64", axis: int | None = None, dim: int | None = None, pad: bool = False,
           packed: bool = False, report: bool = False, per_block: bool = False):
    """The codes of x rounded to fmt: torch.uint8 / uint16 / uint32 by the format's width, on
    x's device; bit-identical to ``numfmt.encode``. Block formats give a ``numfmt.BlockCodes``
    of tensors (element codes, scale codes, the tensor scale of nvfp4 as a 0-d float32 tensor);
    ``axis`` / ``dim``, ``pad``, ``report`` and ``per_block`` as for ``round``; ``packed=True``
    packs 4-bit and 6-bit element codes into bytes as NumPy does (``numfmt.casts.block.pack``),
    and ``decode`` unpacks them.

    >>> import torch, numfmt.torch as nft
    >>> nft.encode(torch.tensor([1.0, -448.0, 1e9]), "e4m3").tolist()
    [56, 254, 127]
    """
    return backends.reported_cast(BACKEND, x, _format_of(fmt), rounding, overflow, nan, seed, sr_bits, sr_rule,
                                  random_bits, want_code=True, rng=rng, report=report, per_block=per_block,
                                  axis=_axis(axis, dim), pad=pad, packed=packed)


def decode(codes, fmt=None, dtype=torch.float32) -> torch.Tensor:
    """The values of codes (an integer tensor) of fmt, as float32 (default), float64 or the
    torch dtype of the format itself (``torch.float8_e4m3fn`` for "e4m3", ...); NaN codes give
    NaN with the code's sign bit, as ``numfmt.decode``. A ``BlockCodes`` from ``encode``
    carries its format (float32 or float64 values).

    >>> import torch, numfmt.torch as nft
    >>> nft.decode(torch.tensor([0x38, 0x7E], dtype=torch.uint8), "e4m3", torch.float8_e4m3fn).float().tolist()
    [1.0, 448.0]
    """
    return backends.float_decode(BACKEND, codes, _format_of(fmt), dtype)


def quantize_affine(x, fmt, scale, zero_point=0, axis: int | None = None, *, dim: int | None = None,
                    exact: bool = False, rounding: str = "nearest_even", seed=None, sr_bits: int | None = None,
                    sr_rule: str = "add", random_bits=None, rng: str = "splitmix64", report: bool = False):
    """``numfmt.quantize_affine`` on a torch tensor, on x's device, bit for bit: the integers
    saturate(round(x / scale) + zero_point) of the integer format fmt in NumPy's dtype (int8,
    uint8, ...). scale and zero_point: Python numbers, NumPy arrays or tensors, per channel
    along ``axis`` (or its alias ``dim``); ``exact``, ``rounding``, the stochastic arguments and
    ``report`` as there (``numfmt.backend_affine``). Under ``torch.compile`` tensor parameters
    and x are not value-checked (a NaN gives the zero point).

    >>> import torch, numfmt.torch as nft
    >>> nft.quantize_affine(torch.tensor([[0.5, -1.5], [2.5, 300.0]]), "int8", torch.tensor([1.0, 2.0]), dim=1).tolist()
    [[0, -1], [2, 127]]
    >>> nft.quantize_affine(torch.tensor([2.5, -2.5]), "int8", 1.0, exact=True, rounding="stochastic", seed=3).tolist()
    [3, -2]
    """
    return backend_affine.reported_affine(BACKEND, x, fmt, scale, zero_point, _axis(axis, dim), report=report,
                                          exact=exact, rounding=rounding, seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                                          random_bits=random_bits, rng=rng)


def _axis(axis, dim):
    """``axis`` or its torch name ``dim`` (not both, unless equal)."""
    if dim is not None and axis is not None and dim != axis:
        raise TypeError(f"pass axis or dim (its alias), not both; got axis={axis!r}, dim={dim!r}")
    return axis if dim is None else dim


def matmul(a, b, fmt=None, **options) -> torch.Tensor:
    """``numfmt.matmul(a, b, fmt, **options)`` on torch tensors, bit for bit, on a's device:
    numpy.matmul's shapes (batched, 1-D operands), the orders sequential, blocked and fused,
    promote_every, every rounding mode (stochastic: the same seed, the same bits). fmt may be a
    torch float dtype. What float64 cannot compute exactly, the other orders, overflow="raise"
    and the quire raise ValueError; random_bits and rng are not taken (``numfmt.device_matmul``).

    >>> import torch, numfmt.torch as nft
    >>> a = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 448.0]])
    >>> nft.matmul(a, a.T, "e4m3", accumulator="bfloat16").tolist()
    [[14.0, 1344.0], [1344.0, 200704.0]]
    """
    return device_matmul.matmul(BACKEND, a, b, _format_of(fmt), **options)


# the training layer (quantize, numfmt.torch.nn): it rounds through this module, handed over by install
from . import torch_nn as nn  # noqa: E402
from .torch_nn import quantize_model  # noqa: E402
from .torch_training import quantize  # noqa: E402
from .training import Quant  # noqa: E402
nn.install(__name__)
__all__ += ["quantize", "Quant", "quantize_model", "nn"]
