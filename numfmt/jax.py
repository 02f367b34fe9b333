"""numfmt on JAX arrays: ``round``, ``encode``, ``decode`` of the float, posit and fixed-point
families (``numfmt.backend_families``) and of the block formats with float elements (MX,
nvfp4: ``numfmt.backend_block``), and ``quantize_affine`` (``numfmt.backend_affine``),
bit-identical to ``numfmt.round`` / ``encode`` / ``decode`` / ``quantize_affine`` (stochastic
rounding included: the same seed gives the same random integer for element i), with JAX's own
integer operations, under ``jax.jit`` and ``jax.vmap`` too. The rounding code is the Numba
kernels' own, evaluated per array (``numfmt.backends``).

Integer arrays widen to float64 as NumPy's do (x64 mode; in 32-bit mode to float32, the
same values), exactly, else ValueError (under ``jit`` not checked: an integer beyond the
float's precision is rounded on the way in). JAX's default 32-bit mode (x64 off) is enough
for float32 inputs: the float32 domain runs in
int32 lanes, and the 64-bit random numbers (SplitMix64) and the stochastic comparison in
pairs of uint32 words (``Wide``). Formats that need float64 (values or subnormals beyond
float32, such as e8m0) need x64 enabled; float64 inputs exist only then. ``decode`` of formats
of up to 16 bits looks the values up in a table (so float32 subnormals, which XLA flushes in
arithmetic, come out right); wider formats whose values reach below the normal range of the
float type they decode into build the values' bits with integer steps
(``kernels.block.decode_bits``), float32 and float64 alike. round and encode work on bits. Posit formats
(``numfmt.backend_families``) round float32 inputs in int32 lanes in every deterministic
mode; their stochastic rounding, float64 inputs and posit32's round (float64 values) need
x64 mode. Fixed point: decode into float32 works in 32-bit mode; round and encode (exact
on float64 bits) need x64 mode. ``quantize_affine``'s default float32 recipe works in 32-bit
mode (formats of up to 31 bits); ``exact=True`` and 32-bit formats need x64 mode.

Under tracing (``jax.jit``, ``jax.vmap``) the data-dependent checks cannot raise: NaN into a
format without NaN gives the format's NaN output (NaN; code 0), negative inputs of unsigned
formats likewise, codes are not range-checked, and overflow="raise" acts as overflow="ieee".
Pass a seed under jit: a ``seed=None`` is drawn once, when the function is traced.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import backend_affine, backend_block, backend_families, backends, device_matmul  # noqa: F401 (families)
from .casts.block import BlockCodes
from .rounding import stochastic_away

__all__ = ["round", "encode", "decode", "quantize_affine", "matmul"]

_U32 = jnp.uint32


@jax.tree_util.register_pytree_node_class
class Wide:
    """An unsigned 64-bit integer as two uint32 arrays (hi, lo), for JAX without x64: wrapping
    ``+ - *`` (the 32x32 -> 64 product from 16-bit limbs), ``& | ^``, shifts by 0..63 (a Python
    int or an int32 array) and unsigned comparisons, which is what ``splitmix_bits`` and
    ``stochastic_away`` use."""

    __slots__ = ("hi", "lo")

    def __init__(self, hi, lo):
        self.hi, self.lo = hi, lo

    @staticmethod
    def of(v) -> "Wide":
        """A Python int (mod 2**64), a bool array, an int32 array (sign-extended) or a Wide."""
        if isinstance(v, Wide):
            return v
        if isinstance(v, (int, np.integer, bool)):
            v = int(v) % (1 << 64)
            return Wide(_U32(v >> 32), _U32(v & 0xFFFFFFFF))
        v = jnp.asarray(v)
        if v.dtype == jnp.bool_:
            return Wide(jnp.zeros_like(v, _U32), v.astype(_U32))
        if v.dtype.itemsize == 8:
            return Wide((v >> 32).astype(_U32), (v & 0xFFFFFFFF).astype(_U32))
        lo = v.astype(_U32) if v.dtype == _U32 else jax.lax.bitcast_convert_type(v.astype(jnp.int32), _U32)
        hi = jnp.where(v < 0, _U32(0xFFFFFFFF), _U32(0)) if jnp.issubdtype(v.dtype, jnp.signedinteger) else 0 * lo
        return Wide(hi, lo)

    def __add__(self, other):
        o = Wide.of(other)
        lo = self.lo + o.lo
        return Wide(self.hi + o.hi + (lo < self.lo).astype(_U32), lo)

    def __sub__(self, other):
        o = Wide.of(other)
        return Wide(self.hi - o.hi - (self.lo < o.lo).astype(_U32), self.lo - o.lo)

    def __mul__(self, other):
        o = Wide.of(other)
        hi, lo = _mul32(self.lo, o.lo)
        return Wide(hi + self.hi * o.lo + self.lo * o.hi, lo)

    def __and__(self, other):
        o = Wide.of(other)
        return Wide(self.hi & o.hi, self.lo & o.lo)

    def __or__(self, other):
        o = Wide.of(other)
        return Wide(self.hi | o.hi, self.lo | o.lo)

    def __xor__(self, other):
        o = Wide.of(other)
        return Wide(self.hi ^ o.hi, self.lo ^ o.lo)

    def __rshift__(self, s):
        s = _count(s)
        small = s < 32
        s_lo, s_hi = jnp.where(small, s, 0), jnp.where(small, 0, s - 32)
        carry = jnp.where(s_lo == 0, _U32(0), self.hi << (32 - s_lo))   # XLA: shifts >= 32 give 0
        return Wide(jnp.where(small, self.hi >> s_lo, _U32(0)),
                    jnp.where(small, (self.lo >> s_lo) | carry, self.hi >> s_hi))

    def __lshift__(self, s):
        s = _count(s)
        small = s < 32
        s_lo, s_hi = jnp.where(small, s, 0), jnp.where(small, 0, s - 32)
        carry = jnp.where(s_lo == 0, _U32(0), self.lo >> (32 - s_lo))
        return Wide(jnp.where(small, (self.hi << s_lo) | carry, self.lo << s_hi),
                    jnp.where(small, self.lo << s_lo, _U32(0)))

    def __gt__(self, other):
        o = Wide.of(other)
        return (self.hi > o.hi) | ((self.hi == o.hi) & (self.lo > o.lo))

    def __eq__(self, other):
        o = Wide.of(other)
        return (self.hi == o.hi) & (self.lo == o.lo)

    def __ne__(self, other):
        return ~(self == other)

    __hash__ = None

    def tree_flatten(self):
        return (self.hi, self.lo), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def _count(s):
    """A shift count (Python int, int32 array or a small Wide) as uint32."""
    if isinstance(s, Wide):
        return s.lo
    return _U32(s) if isinstance(s, (int, np.integer)) else jnp.asarray(s).astype(_U32)


def _mul32(a, b):
    """The 64-bit product of two uint32 arrays as (hi, lo), from 16-bit limbs."""
    a0, a1, b0, b1 = a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> 16) + (p01 & 0xFFFF) + (p10 & 0xFFFF)
    return p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16), (p00 & 0xFFFF) | (mid << 16)


_where = backends.where_of(jax.Array, jnp.where)


def _minimum(a, b):
    return min(a, b) if isinstance(a, int) and isinstance(b, int) else jnp.minimum(a, b)


def _maximum(a, b):
    return max(a, b) if isinstance(a, int) and isinstance(b, int) else jnp.maximum(a, b)


def _lane_function(dtype):
    bits = jnp.iinfo(dtype).bits

    def lane(v):
        if isinstance(v, Wide):
            return v                     # the random numbers stay wide up to stochastic_away
        if isinstance(v, (int, np.integer, bool)):
            return backends.wrap(v, bits)
        return v if v.dtype == dtype else v.astype(dtype)
    return lane


_WIDE = {"lane": Wide.of, "u64": Wide.of, "minimum": _minimum, "maximum": _maximum, "where": _where}


def _wide_stochastic_away(rem, t, sticky, k, rule_nearest, rnd):
    """``numfmt.rounding.stochastic_away`` itself, evaluated on ``Wide`` numbers (its d + rnd
    needs k + 1 bits, up to 63), the 0/1 result back in the lanes."""
    away = _STOCHASTIC_AWAY_WIDE(Wide.of(rem), t, sticky, k, rule_nearest, Wide.of(rnd))
    return away.lo.astype(rem.dtype)


_STOCHASTIC_AWAY_WIDE = backends.rebind(stochastic_away, _WIDE)
_NAMESPACES = {bits: {"where": _where, "minimum": _minimum, "maximum": _maximum,
                      "narrow_min": _minimum if bits == 32 else (lambda a, b: a),
                      "lane": _lane_function(jnp.int32 if bits == 32 else jnp.int64), "u64": Wide.of,
                      "copysign": jnp.copysign, "stochastic_away": _wide_stochastic_away,
                      "f32_bits": lambda v: jax.lax.bitcast_convert_type(v, jnp.int32),
                      "f32_value": lambda b: (backends.float32_of_bits(b) if isinstance(b, int) else
                                              jax.lax.bitcast_convert_type(b.astype(jnp.int32), jnp.float32)),
                      "as_float": lambda x, table: x.astype(table.dtype) if isinstance(x, jax.Array) else x}
               for bits in (32, 64)}
_CODES = {"uint8": jnp.uint8, "uint16": jnp.uint16, "uint32": jnp.uint32, "uint64": "uint64"}


_STATIC = {"round_one": (1, 2, 3, 4, 6), "round_same_range": (1, 2, 3, 5), "decode_one": (1, 2, 3, 4, 5, 6),
           "decode_bits": (1, 2, 3, 4, 5, 6, 8),
           "splitmix_bits": (2,), "squares_bits": (2,),
           "shared_exponent": (1, 2, 3, 4, 5, 6, 7), "ldexp_bits": (2,), "nvfp4_scale": (1,),
           "nvfp4_element": (2, 3, 4, 6),
           "posit_cast": (2, 3, 4, 5, 7), "posit_decode": (3,),   # posit: n, es traced (one program for all)
           "fixed_round": (2, 5, 7, 8, 9), "fixed_divide": (3, 6, 8, 9, 10), "odd_divisor": (),
           "float32_quotient_bits": ()}


class JaxBackend(backends.Backend):
    """numfmt's float kernels on JAX arrays: int32 lanes for the float32 domain."""

    name = "jax"
    float32_lane_bits = 32
    flushes_subnormals = True

    def namespace(self, lane_bits):
        return _NAMESPACES[lane_bits]

    def lane_widths(self):
        return (32, 64)

    def kernel(self, name, lane_bits):
        """The rebound function as one jitted XLA computation (the parameters static): eager
        JAX would dispatch each of its hundred operations separately."""
        jitted = self.__dict__.setdefault("_jitted", {})
        if (name, lane_bits) not in jitted:
            jitted[name, lane_bits] = jax.jit(super().kernel(name, lane_bits), static_argnums=_STATIC[name])
        return jitted[name, lane_bits]

    def divisor(self, value, like):
        return jax.lax.optimization_barrier(jnp.broadcast_to(value, like.shape))

    def random64(self, rnd):
        return (rnd.hi.astype(jnp.int64) << 32) | rnd.lo.astype(jnp.int64) if isinstance(rnd, Wide) else rnd

    def has_int64(self):
        return bool(jax.config.read("jax_enable_x64"))

    def float_input(self, x, argument="x"):
        x = jnp.asarray(x)
        if x.dtype in (jnp.float32, jnp.float64):
            return x
        if jnp.issubdtype(x.dtype, jnp.floating):
            return x.astype(jnp.float32)
        if not jnp.issubdtype(x.dtype, jnp.integer):
            raise TypeError(f"{argument} must hold real numbers (float16, bfloat16, float8, float32, float64 "
                            f"or integers); got dtype {x.dtype}")
        # integers widen to float64 as in NumPy (float32 in 32-bit mode), exactly or not at all
        wide = x.astype(jnp.float64 if self.has_int64() else jnp.float32)
        if not self.traced(x) and bool((wide.astype(x.dtype) != x).any()):
            raise ValueError(f"{argument} holds integers that {wide.dtype} cannot represent exactly"
                             + ("" if self.has_int64() else "; enable 64-bit mode for float64"))
        return wide

    def is_float64(self, x):
        return x.dtype == jnp.float64

    def traced(self, x):
        return isinstance(x, jax.core.Tracer)

    def count(self, mask):
        return int(jnp.count_nonzero(mask))

    def is_tensor(self, value):
        return isinstance(value, jax.Array)

    def parameter(self, array, like):
        return jnp.asarray(array)

    def kind(self, tensor):
        return np.dtype(tensor.dtype).kind

    def as_dtype(self, tensor, name):
        return tensor.astype(name)

    def to_lanes(self, x, dom64, lane_bits):
        if dom64:
            return jax.lax.bitcast_convert_type(_float64(x), jnp.int64)
        return jax.lax.bitcast_convert_type(x, jnp.int32).astype(jnp.int64 if lane_bits == 64 else jnp.int32)

    def from_lanes(self, lanes, dom64):
        if dom64:
            return jax.lax.bitcast_convert_type(lanes, jnp.float64)
        return jax.lax.bitcast_convert_type(lanes.astype(jnp.int32), jnp.float32)

    def to_codes(self, lanes, dtype):
        if dtype == "uint32" and lanes.dtype == jnp.int32:
            return jax.lax.bitcast_convert_type(lanes, jnp.uint32)
        return lanes.astype(_CODES[dtype])

    def from_codes(self, codes, bits, lane_bits, argument="codes"):
        codes = jnp.asarray(codes)
        if not jnp.issubdtype(codes.dtype, jnp.integer):
            raise TypeError(f"{argument} must be an integer array of codes; got dtype {codes.dtype}")
        if not self.traced(codes) and codes.size:
            lo, hi = int(codes.min()), int(codes.max())
            if lo < 0 or hi >= 1 << bits:
                raise ValueError(f"{argument} must lie in [0, 2**{bits}) for a {bits}-bit format; got values "
                                 f"from {lo} to {hi}")
        if lane_bits == 32 and codes.dtype.itemsize == 4:
            return jax.lax.bitcast_convert_type(codes, jnp.int32)
        return codes.astype(jnp.int32 if lane_bits == 32 else jnp.int64)

    def random(self, seed, like, k, lane_bits, rng="splitmix64"):
        index = jnp.arange(like.size, dtype=jnp.int32).reshape(like.shape)
        name = "splitmix_bits" if rng == "splitmix64" else "squares_bits"
        return self.kernel(name, lane_bits)(Wide.of(seed), index, k)

    def explicit_random(self, random_bits, like, k, lane_bits):
        if isinstance(random_bits, jax.Array):
            if not jnp.issubdtype(random_bits.dtype, jnp.integer):
                raise TypeError(f"random_bits must be an integer array; got dtype {random_bits.dtype}")
            rand = Wide.of(random_bits)
            if not self.traced(random_bits) and random_bits.size and (
                    int(random_bits.min()) < 0 or int(random_bits.max()) >= 1 << k):
                raise ValueError(f"random_bits must lie in [0, 2**sr_bits) = [0, {1 << k}); got values "
                                 f"from {int(random_bits.min())} to {int(random_bits.max())}")
        else:   # host integers (up to 62 bits): split into words here
            host = np.asarray(random_bits)
            if host.dtype.kind not in "iu":
                raise TypeError(f"random_bits must be an integer array; got dtype {host.dtype}")
            if host.size and (host.min() < 0 or int(host.max()) >= 1 << k):
                raise ValueError(f"random_bits must lie in [0, 2**sr_bits) = [0, {1 << k}); "
                                 f"got values from {host.min()} to {host.max()}")
            host = host.astype(np.uint64)
            rand = Wide(jnp.asarray((host >> np.uint64(32)).astype(np.uint32)),
                        jnp.asarray((host & np.uint64(0xFFFFFFFF)).astype(np.uint32)))
        try:
            shape = jnp.broadcast_shapes(rand.lo.shape, like.shape)
        except ValueError:
            shape = None
        if shape != tuple(like.shape):
            raise ValueError(f"random_bits of shape {tuple(rand.lo.shape)} does not broadcast to x of shape "
                             f"{tuple(like.shape)}")
        return Wide(jnp.broadcast_to(rand.hi, shape), jnp.broadcast_to(rand.lo, shape))

    def table(self, bits, dtype, like):
        return jnp.asarray(np.array(bits, {"float32": np.int32, "float64": np.int64}[dtype]).view(dtype))

    def to_float32(self, x):
        """x as float32, rounded to nearest even as NumPy's cast: XLA's float64 -> float32
        convert flushes float32 subnormals to zero, so those are built from their bits
        (rint(|x| * 2**149), exact in float64, is the magnitude's float32 bit pattern)."""
        y = x.astype(jnp.float32)
        if x.dtype != jnp.float64:
            return y
        k = jnp.rint(jnp.abs(x) * 2.0 ** 149).astype(jnp.uint32) | (jnp.signbit(x).astype(jnp.uint32) << 31)
        return jnp.where(jnp.abs(x) < 2.0 ** -126, jax.lax.bitcast_convert_type(k, jnp.float32), y)

    def float_dtype(self, dtype):
        return np.dtype(dtype)

    def format_of(self, dtype):
        return np.dtype(dtype)

    def cast_to(self, values, dtype):
        return values.astype(dtype)


def _float64(x):
    """x as float64, exactly: XLA's float32 -> float64 conversion flushes float32 subnormals,
    so those are rebuilt from their bits (mantissa * 2**-149, a normal float64)."""
    if x.dtype == jnp.float64:
        return x
    bits = jax.lax.bitcast_convert_type(x, jnp.int32)
    tiny = (bits & 0x7FFFFF).astype(jnp.float64) * 2.0 ** -149
    return jnp.where((bits & 0x7F800000) == 0, jnp.where(bits < 0, -tiny, tiny), x.astype(jnp.float64))


BACKEND = JaxBackend()
jax.tree_util.register_pytree_node(
    BlockCodes, lambda b: ((b.codes, b.scales, b.tensor_scale), (b.fmt, b.axis, b.shape, b.packed)),
    lambda aux, children: BlockCodes(*children, *aux))


def round(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise",  # noqa: A001
          seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
          rng: str = "splitmix64", axis: int | None = None, pad: bool = False, report: bool = False,
          per_block: bool = False):
    """x rounded to fmt as a JAX array: float64 for float64 inputs and for formats whose values
    float32 cannot hold (x64 mode), else float32; bit-identical to ``numfmt.round``. fmt may be
    a jnp float dtype (``jnp.float8_e4m3fn``, ``jnp.bfloat16``, ...). Block formats (MX, nvfp4)
    quantize blocks along ``axis`` with ``pad`` as in NumPy (``numfmt.backend_block``).
    ``report=True`` returns ``(array, numfmt.CastReport)``, numfmt.round's report
    (``per_block`` as there), counted on the host from a copy of x by the NumPy path's own code
    (``backends.reported_cast``); calls inside ``numfmt.flags`` add their report there. A
    traced x (``jax.jit``, ``jax.vmap``) has no values to count: report=True raises TypeError
    there and ``numfmt.flags`` does not see the call; report outside the traced function.

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> nfj.round(jnp.array([464.0, 1 + 2**-8]), "e4m3").tolist()
    [448.0, 1.0]
    >>> y, rep = nfj.round(jnp.array([464.0, 1e6, 1e-4]), "e4m3", report=True)
    >>> rep.overflow, rep.inexact, rep.flushed_to_zero
    (1, 3, 1)
    >>> nfj.round(jnp.array([1.25, 1.25]), jnp.float8_e4m3fn, "stochastic", seed=1).dtype
    dtype('float32')
    """
    return backends.reported_cast(BACKEND, x, _format_of(fmt), rounding, overflow, nan, seed, sr_bits, sr_rule,
                                  random_bits, want_code=False, rng=rng, report=report, per_block=per_block,
                                  axis=axis, pad=pad)


def encode(x, fmt, rounding: str = "nearest_even", overflow: str = "ieee", *, nan: str = "raise",
           seed=None, sr_bits: int | None = None, sr_rule: str = "add", random_bits=None,
           rng: str = "splitmix64", axis: int | None = None, pad: bool = False, packed: bool = False,
           report: bool = False, per_block: bool = False):
    """The codes of x rounded to fmt: uint8 / uint16 / uint32 by the format's width;
    bit-identical to ``numfmt.encode``. Block formats give a ``numfmt.BlockCodes`` of arrays
    (a pytree: it passes through ``jax.jit``), ``axis``, ``pad``, ``report`` and ``per_block``
    as for ``round``; ``packed=True`` packs 4-bit and 6-bit element codes into bytes as NumPy
    does (``numfmt.casts.block.pack``), and ``decode`` unpacks them.

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> nfj.encode(jnp.array([1.0, -448.0, 1e9]), "e4m3").tolist()
    [56, 254, 127]
    """
    return backends.reported_cast(BACKEND, x, _format_of(fmt), rounding, overflow, nan, seed, sr_bits, sr_rule,
                                  random_bits, want_code=True, rng=rng, report=report, per_block=per_block,
                                  axis=axis, pad=pad, packed=packed)


def decode(codes, fmt=None, dtype=jnp.float32) -> jax.Array:
    """The values of codes (an integer array) of fmt, as float32 (default), float64 (x64 mode)
    or the jnp dtype of the format itself (``jnp.float8_e4m3fn`` for "e4m3", ...); NaN codes
    give NaN with the code's sign bit, as ``numfmt.decode``. A ``BlockCodes`` from ``encode``
    carries its format.

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> nfj.decode(jnp.array([0x38, 0x7E], jnp.uint8), "e4m3", jnp.float8_e4m3fn).astype(jnp.float32).tolist()
    [1.0, 448.0]
    """
    return backends.float_decode(BACKEND, codes, _format_of(fmt), dtype)


def quantize_affine(x, fmt, scale, zero_point=0, axis: int | None = None, *, exact: bool = False,
                    rounding: str = "nearest_even", seed=None, sr_bits: int | None = None, sr_rule: str = "add",
                    random_bits=None, rng: str = "splitmix64", report: bool = False) -> jax.Array:
    """``numfmt.quantize_affine`` on a JAX array, bit for bit: the integers
    saturate(round(x / scale) + zero_point) of the integer format fmt in NumPy's dtype (int8,
    uint8, ...). scale and zero_point: Python numbers, NumPy or JAX arrays, per channel along
    ``axis``; ``exact``, ``rounding``, the stochastic arguments and ``report`` as there
    (``numfmt.backend_affine``). The default float32 recipe works in 32-bit mode (formats of up
    to 31 bits); ``exact=True`` and 32-bit formats need x64 mode. Under ``jax.jit`` array
    parameters and x are not value-checked (a NaN gives the zero point).

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> nfj.quantize_affine(jnp.array([0.5, 1.5, 2.5, 300.0, -1.0]), "uint8", 1.0, 10).tolist()
    [10, 12, 12, 255, 9]
    """
    return backend_affine.reported_affine(BACKEND, x, fmt, scale, zero_point, axis, report=report, exact=exact,
                                          rounding=rounding, seed=seed, sr_bits=sr_bits, sr_rule=sr_rule,
                                          random_bits=random_bits, rng=rng)


def _format_of(fmt):
    """A jnp dtype (an ml_dtypes type) as a numpy dtype, which ``numfmt.format`` takes."""
    return np.dtype(fmt) if isinstance(fmt, type) and issubclass(fmt, np.generic) else fmt


def matmul(a, b, fmt=None, **options) -> jax.Array:
    """``numfmt.matmul(a, b, fmt, **options)`` on JAX arrays, bit for bit: numpy.matmul's
    shapes, the orders sequential, blocked and fused, promote_every, every rounding mode. In
    32-bit mode the float32 domain must hold the case exactly (e4m3, e5m2, binary16 and smaller
    inputs; a binary32 accumulator in nearest even or in fused steps; stochastic rounding with
    precision + sr_bits + 2 <= 24); beyond it ValueError says what to change (x64 mode, or the
    argument) (``numfmt.device_matmul``).

    >>> import jax.numpy as jnp, numfmt.jax as nfj
    >>> a = jnp.array([[1.0, 2.0, 3.0], [0.5, -1.0, 448.0]])
    >>> nfj.matmul(a, a.T, "e4m3", accumulator="bfloat16").tolist()
    [[14.0, 1344.0], [1344.0, 200704.0]]
    """
    return device_matmul.matmul(BACKEND, a, b, _format_of(fmt), **options)


# the training layer (quantize, quantized_dense): it rounds through this module, handed over by install
from . import jax_training  # noqa: E402
from .jax_training import quantize, quantized_dense  # noqa: E402
from .training import Quant  # noqa: E402
jax_training.install(__name__)
__all__ += ["quantize", "quantized_dense", "Quant"]
