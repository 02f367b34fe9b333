"""Where an array library plugs in: the kernels' own code, evaluated on whole tensors.

The element-wise code of a family (for floats ``kernels.floating.round_one``, ``decode_one``
and the helpers they call: ``numfmt.rounding``, ``numfmt.random.splitmix_bits``) is written
once, in the ops vocabulary of ``numfmt.lanes``. Numba compiles it per element. A backend
evaluates the *same* Python functions per tensor: ``rebind`` copies each function with its
global names pointing at the backend's ``namespace`` (``where`` -> ``torch.where``, ``lane`` ->
the lane integer type, ...) and at the rebound versions of the helpers it calls, so no
rounding logic is written twice. Choices on the parameters stay Python ``if``s.

A backend (``numfmt.torch``, ``numfmt.jax``) supplies a ``Backend``: the namespace, how to
view a float tensor as integer lanes and back, the random numbers' index tensor, and the eager
data checks. Everything else, the argument checks and the parameters, is the NumPy path's own
(``numfmt.casts.floating.kernel_params``, ``numfmt.stochastic``), in ``cast_plan`` here.

Lanes: the float32 domain runs in int32 lanes (JAX's default mode has no int64, and torch's
int64 operations run at a fifth of the int32 speed), the float64 domain in int64 lanes, as
Numba does. int32 lanes are exact because ``round_one`` keeps every intermediate a
non-negative magnitude of at most 0x7F800000 + 2**23 - 1 < 2**31 (NaN payloads are clamped to
the Inf bits before a bias is added), and the few parameters that do not fit (the sign bit
2**31, codes of 32-bit formats, negative NaN bits) arrive wrapped to the lane width (``wrap``)
and only meet ``| & == where``. The 64-bit random numbers and the stochastic comparison
(d + rnd needs up to 63 bits) run in 64-bit numbers: torch's int64 with a logical shift
(``numfmt.torch.U64``), JAX's pairs of uint32 words (``numfmt.jax.Wide``).

Tracing: ``cast_plan`` and ``decode_plan`` hold everything that is not tensor work, so a
tracer can treat them as constants (torch.compile: ``assume_constant_result``), and the
rebound functions are built before any tracing, each with a module of its own in
``sys.modules`` as its globals (torch.compile's guards look globals up by module name).
"""
from __future__ import annotations

import functools
import math
import sys
import types
from typing import Callable, NamedTuple

import numpy as np

from . import report as _report
from .casts import block_options, checked_cast
from .casts.block import BlockCodes
from .casts.common import code_dtype
from .casts.floating import (TABLE_BITS, check_domain, decode_exponents, decode_params, decode_table, fits_float32,
                             float32_domain, kernel_params, overflow_error, overflow_mark, same_range_params,
                             sr_params)
from .formats.floating import FloatFormat
from .formats.registry import format as _format
from .kernels import block as _block_kern
from .kernels import floating as _kern
from .kernels import fixed as _fixed
from .kernels import posit as _posit
from .random import RNGS, splitmix_bits, squares_bits, squares_key
from .rounding import Rounding, nan_policy, overflow_policy, rounding_mode
from .stochastic import stochastic_args, use_seed

VOCABULARY = ("where", "minimum", "maximum", "narrow_min", "lane", "u64", "as_float", "copysign", "f32_bits",
              "f32_value")   # numfmt.lanes' names


def rebind(func: Callable, namespace: dict) -> Callable:
    """``func`` (a Numba dispatcher or a plain function) as a plain Python function whose global
    names come from ``namespace`` first, whose calls to other Numba-compiled numfmt helpers go
    to their rebound versions, and everything else as before. Cached per namespace object.

    >>> import math, types
    >>> from numfmt.lanes import copysign
    >>> fake_math = types.SimpleNamespace(copysign=lambda v, s: ("copysign of", v, s))
    >>> rebind(copysign, {"math": fake_math})(1.0, -2.0)
    ('copysign of', 1.0, -2.0)
    """
    return _rebind(getattr(func, "py_func", func), _Key(namespace))


class _Key:
    """A namespace dict hashed by identity (the cache key of ``rebind``)."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def __hash__(self):
        return id(self.namespace)

    def __eq__(self, other):
        return self.namespace is other.namespace


@functools.lru_cache(maxsize=None)
def _rebind(py_func: Callable, key: _Key) -> Callable:
    namespace = key.namespace
    # the globals are a module registered in sys.modules, as tracers (torch.compile's guards)
    # look a function's globals up by their module name
    module = types.ModuleType(f"numfmt._rebound_{id(namespace):x}.{py_func.__module__}.{py_func.__name__}")
    globals_ = module.__dict__
    globals_.update({k: v for k, v in py_func.__globals__.items() if k != "__name__"})
    for name in py_func.__code__.co_names:
        if name in namespace:
            globals_[name] = namespace[name]
        elif (hasattr(globals_.get(name), "py_func") and globals_[name].py_func is not py_func
              and globals_[name].py_func.__module__.startswith("numfmt.")):
            # (co_names holds attribute names too: ``math.copysign`` in ``copysign`` is not a call
            # of itself)
            globals_[name] = _rebind(globals_[name].py_func, key)
    sys.modules[module.__name__] = module
    return types.FunctionType(py_func.__code__, globals_, py_func.__name__, py_func.__defaults__,
                              py_func.__closure__)


def float32_of_bits(bits: int) -> float:
    """The float32 with these bits as a Python float (exact; NaN payloads are not kept).

    >>> float32_of_bits(0x3FC00000)
    1.5
    """
    return float(np.int32(wrap(bits, 32)).view(np.float32))


def where_of(array_type: type, where: Callable) -> Callable:
    """The vocabulary's ``where`` for a framework whose arrays are ``array_type`` and whose
    element-wise select is ``where``: a Python condition (a choice on the format or the mode)
    picks its operand without a tensor operation, and two identical Python operands come back as
    they are (equal numbers of one sign: -0.0 and 0.0 are two); anything else is ``where(c, a, b)``.

    >>> pick = where_of(np.ndarray, np.where)
    >>> pick(True, 1, 2), pick(np.array([True, False]), 3, 3), pick(np.array([True, False]), 1, 2).tolist()
    (1, 3, [1, 2])
    >>> pick(np.array([True, False]), -0.0, 0.0).tolist()
    [-0.0, 0.0]
    """
    def select(c, a, b):
        if isinstance(c, (bool, np.bool_, int)):
            return a if c else b
        if not isinstance(a, array_type) and not isinstance(b, array_type) and a == b and \
                not (isinstance(a, float) and isinstance(b, float) and math.copysign(1.0, a) != math.copysign(1.0, b)):
            return a
        return where(c, a, b)
    return select


def wrap(value: int, bits: int) -> int:
    """An integer wrapped to a ``bits``-bit two's-complement lane.

    >>> wrap(1 << 31, 32), wrap(-5, 32), wrap(1 << 31, 64)
    (-2147483648, -5, 2147483648)
    """
    half = 1 << (bits - 1)
    return (int(value) + half) % (1 << bits) - half


class Backend:
    """What an array library supplies. Subclasses set ``name`` and implement the methods; the
    namespaces map every name of ``VOCABULARY`` (and, where a backend needs it,
    a helper such as ``stochastic_away``) to tensor operations for lanes of 32 or 64 bits."""

    name = "?"
    float32_lane_bits = 64   # the lanes of the float32 domain (32 where int64 is slow or absent)
    flushes_subnormals = False   # float32 arithmetic flushes subnormals (XLA on CPU)

    def namespace(self, lane_bits: int) -> dict:
        raise NotImplementedError

    def has_int64(self) -> bool:
        """Whether int64 and float64 tensors are available (JAX: only with x64 enabled)."""
        return True

    def float_input(self, x, argument: str = "x"):
        """x as a float32 or float64 tensor of the framework (exact: integers widen to float64,
        as ``numfmt.casts.common.as_float_array`` does, ValueError where that is inexact),
        else TypeError."""
        raise NotImplementedError

    def is_float64(self, x) -> bool:
        raise NotImplementedError

    def traced(self, x) -> bool:
        """Whether x is being traced or compiled (no data-dependent Python check possible)."""
        raise NotImplementedError

    def count(self, mask) -> int:
        raise NotImplementedError

    def to_lanes(self, x, dom64: bool, lane_bits: int):
        """The bit patterns of x in its rounding domain, as integer lanes (float32 bits
        sign-extended where the lanes are wider)."""
        raise NotImplementedError

    def from_lanes(self, lanes, dom64: bool):
        """The floats whose bit patterns the lanes hold (inverse of ``to_lanes``)."""
        raise NotImplementedError

    def to_codes(self, lanes, dtype: np.dtype):
        """Codes in lanes as the framework's unsigned integer type nearest to ``dtype``."""
        raise NotImplementedError

    def from_codes(self, codes, bits: int, lane_bits: int, argument: str = "codes"):
        """An integer tensor of codes (checked to lie in [0, 2**bits) where not traced) as lanes."""
        raise NotImplementedError

    def random(self, seed: int, like, k: int, lane_bits: int, rng: str = "splitmix64"):
        """The k-bit numbers of the generator ``rng`` (``numfmt.random.RNGS``; ``random_seed``
        gives its seed or key) for the elements of ``like`` (C-order index)."""
        raise NotImplementedError

    def explicit_random(self, random_bits, like, k: int, lane_bits: int):
        """User-given random integers, broadcast to ``like`` and checked, as ``random`` gives them."""
        raise NotImplementedError

    def table(self, bits: tuple, dtype: str, like):
        """A constant table of floats of the numpy dtype name, given as their bit patterns
        (exact, NaN signs included), on like's device."""
        raise NotImplementedError

    def to_float32(self, x):
        raise NotImplementedError

    def float_dtype(self, dtype):
        """A ``decode(dtype=...)`` argument as a numpy dtype where it is float32 or float64,
        else as given (a framework dtype, checked against the format by the caller)."""
        raise NotImplementedError

    def format_of(self, dtype):
        """The numfmt format (or an argument ``numfmt.format`` takes) of a framework dtype."""
        raise NotImplementedError

    def cast_to(self, values, dtype):
        raise NotImplementedError

    def use_seed(self, seed) -> int:
        """``numfmt.stochastic.use_seed(seed)``: the 64-bit seed of a stochastic call, recorded
        for ``numfmt.last_seed``; a backend whose tracer must not see that record as a side
        effect in the graph (torch.compile, inside an autograd.Function) overrides it."""
        return use_seed(seed)

    def plan(self, *args) -> "Plan":
        """``cast_plan(*args)``; a backend whose tracer must not trace it (torch.compile)
        overrides this and ``decode_plan`` with constant-result wrappers."""
        return cast_plan(*args)

    def decode_plan(self, fmt, dtype) -> "DecodePlan":
        """``decode_plan(self, fmt, dtype)``."""
        return decode_plan(self, fmt, dtype)

    def constant(self, name: str, *args):
        """``PLANS[name](self, *args)``, a function of the parameters only (a family's plan): a
        backend whose tracer must not trace it (torch.compile) overrides this with a
        constant-result wrapper."""
        return PLANS[name](self, *args)

    def to_host(self, tensor) -> np.ndarray:
        """A tensor's values as a NumPy array (a copy on the host where the tensor lives elsewhere)."""
        return np.asarray(tensor)

    def is_tensor(self, value) -> bool:
        """Whether value is an array of the framework (else a Python number or a NumPy array)."""
        raise NotImplementedError

    def parameter(self, array: np.ndarray, like):
        """A small host array (a per-channel parameter) as a tensor of its dtype on like's device."""
        raise NotImplementedError

    def kind(self, tensor) -> str:
        """The NumPy dtype kind of a tensor: "f", "i", "u", "b" or "c"."""
        raise NotImplementedError

    def as_dtype(self, tensor, name: str):
        """A tensor converted to the framework dtype of this NumPy dtype name."""
        raise NotImplementedError

    def divisor(self, value, like):
        """value (broadcasting against like) as the divisor of an exact division: the JAX backend
        broadcasts it to like's shape behind an optimization barrier, as XLA turns a division by
        a broadcast value into a multiplication by its reciprocal (not correctly rounded)."""
        return value

    def random64(self, rnd):
        """Random numbers of ``random`` or ``explicit_random`` as int64 lanes (JAX: from Wide)."""
        return rnd

    # -- shared: the family code, rebound ------------------------------------------------------

    def kernel(self, name: str, lane_bits: int) -> Callable:
        """The family function ``name`` (one of ``KERNELS``) rebound to this backend's namespace
        for lanes of lane_bits (built once, before any tracing)."""
        kernels = self.__dict__.get("_kernels")
        if kernels is None:
            for bits in self.lane_widths():
                missing = set(VOCABULARY) - set(self.namespace(bits))
                if missing:
                    raise TypeError(f"the {self.name} namespace for {bits}-bit lanes lacks {sorted(missing)}")
            namespaces = {bits: {**KERNEL_CONSTANTS, **self.namespace(bits)} for bits in self.lane_widths()}
            kernels = self._kernels = {(n, bits): rebind(f, namespaces[bits])
                                       for n, f in KERNELS.items() for bits in self.lane_widths()}
        return kernels[name, lane_bits]

    def lane_widths(self) -> tuple:
        """The lane widths this backend can use."""
        return (64,)


# ``kernels.floating``'s typed constants (np.bool_ / np.int64, so that Numba compiles one variant
# of the helpers they are passed to) as the Python values a tracer takes
KERNEL_CONSTANTS = {name: getattr(_kern, name).item()
                    for name in ("VALUE", "CODE", "DETERMINISTIC", "STOCHASTIC", "DOM32", "DOM64", "NO_RND")}

KERNELS = {"round_one": _kern.round_one, "round_same_range": _kern.round_same_range,
           "decode_one": _kern.decode_one, "splitmix_bits": splitmix_bits,
           "squares_bits": squares_bits, "shared_exponent": _block_kern.shared_exponent,
           "ldexp_bits": _block_kern.ldexp_bits, "decode_bits": _block_kern.decode_bits,
           "nvfp4_scale": _block_kern.nvfp4_scale, "nvfp4_element": _block_kern.nvfp4_element,
           "posit_cast": _posit.cast_one, "posit_decode": _posit.posit_float_bits,
           "fixed_round": _fixed.round_pow2_bits, "fixed_divide": _fixed.round_fixed_bits,
           "odd_divisor": _fixed.odd_divisor}

FAMILIES: dict = {}
"""The other families on the backends: family name -> (cast, decode), which take the
arguments of ``float_cast`` and ``float_decode`` (``numfmt.backend_families`` and
``numfmt.backend_block`` fill it)."""


def format_family(backend: Backend, fmt) -> str:
    """The family of a format (or of a name ``numfmt.format`` takes): float, posit, fixed, block."""
    return _format(fmt).family


PLANS: dict = {"format_family": format_family}
"""What ``Backend.constant`` evaluates: name -> a function (backend, *parameters) of the
parameters only (the families add their plans)."""


def random_seed(backend: Backend, seed, rng: str) -> int:
    """The 64-bit number a backend's ``random`` hashes with the counter: the seed for
    SplitMix64, ``squares_key(seed)`` for Squares (the NumPy path's ``random_bits``); the seed
    is recorded for ``numfmt.last_seed`` (``Backend.use_seed``)."""
    seed = backend.use_seed(seed)
    return squares_key(seed) if rng == "squares" else seed


def check_rng(rng: str, stochastic: bool, random_bits) -> None:
    """The NumPy path's errors for ``rng`` (``numfmt.stochastic.stochastic_args``)."""
    if rng not in RNGS:
        raise ValueError(f"rng must be one of {RNGS}; got {rng!r}")
    if stochastic and rng != "splitmix64" and random_bits is not None:
        raise ValueError(f"rng={rng!r} chooses the seeded generator; random_bits replaces it: give one of them")


class Plan(NamedTuple):
    """The checked arguments of a float cast as plain values (what ``cast_plan`` returns)."""

    fmt: FloatFormat
    mode: Rounding
    overflow: str
    dom64: bool
    lane_bits: int
    params: tuple            # FloatParams, wrapped to the lanes
    raise_params: tuple      # the same with overflow marks (overflow="raise"), else ()
    mark: int
    sr: tuple                # (k, rule_nearest, q_shift_base), or () for deterministic modes
    float64_out: bool
    code_dtype: str          # the numpy name of the codes' dtype
    same_range: tuple        # round of float32 inputs in a deterministic mode to a format with
                             # float32's exponent field (bfloat16): the NumPy path's fast path
                             # (``kernels.floating.round_same_range``), its parameters; else ()


def float_format(fmt) -> FloatFormat:
    """fmt resolved (a name, a Format, an ml_dtypes or framework dtype name) and checked to be
    of the float family, which the torch and JAX backends support so far."""
    fmt = _format(fmt)
    if not isinstance(fmt, FloatFormat):
        raise ValueError(f"fmt must be a float format for the torch and JAX backends (so far); "
                         f"{fmt.name} is a {fmt.family} format: use numfmt.round on NumPy arrays")
    return fmt


@functools.lru_cache(maxsize=None)
def cast_plan(fmt, rounding, overflow: str, nan: str, sr_bits, sr_rule: str, want_code: bool,
              input64: bool, float32_lane_bits: int, has_int64: bool) -> Plan:
    """Every check and parameter of a float round/encode that does not depend on the data, as
    the NumPy path computes them, for a backend with these lanes (``Backend``)."""
    fmt = float_format(fmt)
    mode = rounding_mode(rounding)
    overflow_policy(overflow)
    nan_policy(nan, "float")
    dom64 = input64 or not float32_domain(fmt)
    if dom64 and not has_int64:
        raise ValueError(f"{fmt.name} needs float64 to round exactly (its values or its subnormal range "
                         "go beyond float32); enable 64-bit mode (jax.config.update('jax_enable_x64', True))")
    lane_bits = 64 if dom64 else float32_lane_bits
    sr = ()
    if mode == Rounding.STOCHASTIC:
        k = stochastic_args(mode, (), 0, sr_bits, sr_rule, None)[1]
        sr = tuple(wrap(v, lane_bits) for v in sr_params(fmt, dom64, k, sr_rule))
    elif sr_bits is not None:
        stochastic_args(mode, (), None, sr_bits, sr_rule, None)        # the NumPy path's error
    wrapped = lambda p: type(p)(*(wrap(v, lane_bits) for v in p))  # noqa: E731
    params = wrapped(kernel_params(fmt, dom64, mode, "ieee" if overflow == "raise" else overflow, nan)[want_code])
    raise_params = wrapped(kernel_params(fmt, dom64, mode, "raise", "ml_dtypes")[0]) if overflow == "raise" else ()
    same_range = None if dom64 or want_code or sr else same_range_params(
        fmt, mode, "ieee" if overflow == "raise" else overflow)
    return Plan(fmt, mode, overflow, dom64, lane_bits, params, raise_params,
                wrap(overflow_mark(dom64), lane_bits), sr, dom64 and (input64 or not fits_float32(fmt)),
                code_dtype(fmt.bits).name, tuple(wrap(v, lane_bits) for v in same_range or ()))


def _round_lanes(backend: Backend, lanes, plan: Plan, params, want_code: bool, rnd):
    round_one = backend.kernel("round_one", plan.lane_bits)
    dom_m = 52 if plan.dom64 else 23
    return round_one(lanes, params, want_code, dom_m, bool(plan.sr), rnd, plan.sr)


def random_numbers(backend: Backend, x, mode: Rounding, k, seed, random_bits, sr_rule: str, rng: str,
                   lane_bits: int):
    """The k random bits of each element of x for stochastic rounding (k None: a deterministic
    mode, 0 comes back), from random_bits or the seed, with the NumPy path's errors."""
    check_rng(rng, k is not None, random_bits)
    if k is None:
        if random_bits is not None:
            stochastic_args(mode, (), None, None, sr_rule, random_bits)  # the NumPy path's error
        return 0
    if random_bits is not None:         # they replace the seed, as in NumPy (which ignores it)
        return backend.explicit_random(random_bits, x, k, lane_bits)
    return backend.random(random_seed(backend, seed, rng), x, k, lane_bits, rng)


def float_cast(backend: Backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
               want_code: bool, rng: str = "splitmix64", **options):
    """round (want_code False) or encode x to a float format on the backend: the public
    functions of ``numfmt.torch`` and ``numfmt.jax`` call this (other families: ``FAMILIES``;
    ``options``: the block formats' axis, pad and packed)."""
    family = backend.constant("format_family", fmt)
    if family != "block" and any(v is not None and v is not False for v in options.values()):
        block_options(_format(fmt), **options)      # the NumPy path's TypeError
    if family in FAMILIES:
        return FAMILIES[family][0](backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
                                   want_code, rng, **(options if family == "block" else {}))
    x = backend.float_input(x)
    plan = backend.plan(fmt, rounding, overflow, nan, sr_bits, sr_rule, want_code, backend.is_float64(x),
                     backend.float32_lane_bits, backend.has_int64())
    fmt = plan.fmt
    k = plan.sr[0] if plan.sr else None
    traced = backend.traced(x)
    rnd = random_numbers(backend, x, plan.mode, k, seed, random_bits, sr_rule, rng, plan.lane_bits)
    if not traced:
        check_domain(fmt, nan, size_of(x), lambda: backend.count(x != x), lambda: backend.count(x < 0))
    lanes = backend.to_lanes(x, plan.dom64, plan.lane_bits)
    if plan.raise_params and not traced:
        marked = _round_lanes(backend, lanes, plan, plan.raise_params, False, rnd) == plan.mark
        count = backend.count(marked)
        if count:
            raise overflow_error(fmt, plan.mode, count, size_of(x), x[marked][0].item())
    if plan.same_range:
        out = backend.kernel("round_same_range", plan.lane_bits)(lanes, plan.same_range, 23, False, 0, 0)
    else:
        out = _round_lanes(backend, lanes, plan, plan.params, want_code, rnd)
    if want_code:
        return backend.to_codes(out, plan.code_dtype)
    values = backend.from_lanes(out, plan.dom64)
    return values if plan.float64_out else backend.to_float32(values)


def reported_cast(backend: Backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
                  want_code: bool, rng: str = "splitmix64", report: bool = False, per_block: bool = False,
                  **options):
    """``float_cast``, counted as ``numfmt.round`` / ``encode`` count (``numfmt.report``): with
    ``report`` it returns ``(result, CastReport)``, and inside ``numfmt.flags`` every call adds
    its report there. The counts come from a host copy of the input, cast and counted by the
    NumPy path's own code (``numfmt.casts.checked_cast``, the same seed and random bits: its
    result is the device's bit for bit), so the report is numfmt.round's by construction, as
    host integers. A traced call (``jax.jit``, ``torch.compile``) has no values to count:
    ``report=True`` raises TypeError there, and ``numfmt.flags`` contexts do not see it."""
    if per_block and not report:
        raise TypeError("per_block=True keeps the counts of report=True per block: pass report=True too")
    if backend.traced(x):
        if report:
            raise TypeError(f"report=True needs concrete values: a traced call ({backend.name} jit or "
                            "compile) cannot return a host CastReport; call it outside the traced function")
        return float_cast(backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
                          want_code, rng, **options)
    if not (report or _report.active()):
        return float_cast(backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits,
                          want_code, rng, **options)
    if random_bits is None and rounding_mode(rounding) == Rounding.STOCHASTIC:
        seed = backend.use_seed(seed)           # one seed for the device cast and its host count
    out = float_cast(backend, x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, random_bits, want_code,
                     rng, **options)
    host_x = backend.to_host(backend.float_input(x))
    host_bits = None if random_bits is None else backend.to_host(random_bits)
    operation = "encode_float" if want_code else "round_float"
    with _report.suspended():
        _, rep = checked_cast(operation, host_x, fmt, rounding, overflow, nan, seed, sr_bits, sr_rule, host_bits,
                              rng, report=True, per_block=per_block, **options)
    _report.record(f"numfmt.{backend.name}.{operation.split('_')[0]}({_format(fmt).name})", rep, host_x)
    return (out, rep) if report else out


class DecodePlan(NamedTuple):
    """The checked arguments of a float decode as plain values (``decode_plan``)."""

    bits: int                # the code width
    lane_bits: int
    args: tuple              # decode_one's integer arguments, wrapped to the lanes
    table: tuple             # bit patterns: every code's value (formats of up to TABLE_BITS
                             # bits, as the NumPy path decodes them), else decode_one's powers of 2,
                             # or (kernel "decode_bits") their exponents
    compute: str             # "float32" or "float64"
    native: bool             # cast the values to the framework dtype asked for
    kernel: str              # "lookup", "decode_one" or "decode_bits"


@functools.lru_cache(maxsize=None)
def decode_plan(backend: Backend, fmt, dtype) -> DecodePlan:
    """Every check and parameter of a float decode, as the NumPy path computes them."""
    fmt = float_format(fmt)
    target = backend.float_dtype(dtype)
    native = not (isinstance(target, np.dtype) and target in (np.float32, np.float64))
    if native:   # a framework dtype: only the one that is this format
        try:
            held = float_format(backend.format_of(target))
        except (ValueError, TypeError):
            raise ValueError(f"dtype must be float32, float64 or the {backend.name} dtype of {fmt.name}; "
                             f"got {dtype}") from None
        if held != fmt:
            raise ValueError(f"dtype {dtype} holds {held.name}, not {fmt.name}; "
                             "decode into float32, float64 or the dtype of the format itself")
        target = np.dtype(np.float32) if fits_float32(fmt) else np.dtype(np.float64)
    if target == np.float32 and not fits_float32(fmt):
        raise ValueError(f"{fmt.name} has values that float32 cannot hold; pass dtype=float64")
    lane_bits = 64 if target == np.float64 or fmt.bits > 32 else backend.float32_lane_bits
    *ints, pow2 = decode_params(fmt, target)
    itype = np.int32 if target == np.float32 else np.int64
    if fmt.bits <= TABLE_BITS:      # a lookup: no float arithmetic at all
        kernel, table = "lookup", decode_table(fmt, target).view(itype)
    elif backend.flushes_subnormals and pow2[0] < np.finfo(target).tiny:    # a product could be flushed:
        kernel, table = "decode_bits", np.clip(decode_exponents(fmt), -2000, 2000)   # integer steps, exponents
    else:
        kernel, table = "decode_one", pow2.view(itype)
    return DecodePlan(fmt.bits, lane_bits, tuple(wrap(v, lane_bits) for v in ints), tuple(table.tolist()),
                      target.name, native, kernel)


def float_decode(backend: Backend, codes, fmt, dtype):
    """decode on the backend: values of codes as float32 (default), float64 or a framework float
    dtype whose format is fmt. Formats of up to ``TABLE_BITS`` bits look the values up in the
    NumPy path's table (``decode_one`` made it), wider ones evaluate ``decode_one``."""
    if isinstance(codes, BlockCodes):            # it carries its format
        return FAMILIES["block"][1](backend, codes, fmt, dtype)
    if fmt is None:
        raise TypeError("decode needs fmt (only a BlockCodes carries its own format)")
    family = backend.constant("format_family", fmt)
    if family in FAMILIES:
        return FAMILIES[family][1](backend, codes, fmt, dtype)
    plan = backend.decode_plan(fmt, dtype)
    lanes = backend.from_codes(codes, plan.bits, plan.lane_bits)
    if plan.kernel == "decode_bits":
        exps = backend.parameter(np.array(plan.table, np.int64 if plan.lane_bits == 64 else np.int32), lanes)
        dom64 = plan.compute == "float64"
        bits = backend.kernel("decode_bits", plan.lane_bits)(lanes, *plan.args, exps, 52 if dom64 else 23)
        values = backend.from_lanes(bits, dom64)
    else:
        table = backend.table(plan.table, plan.compute, lanes)
        values = table[lanes] if plan.kernel == "lookup" else \
            backend.kernel("decode_one", plan.lane_bits)(lanes, *plan.args, table)
    return backend.cast_to(values, dtype) if plan.native else values


def size_of(x) -> int:
    """The number of elements of a tensor (from its shape)."""
    return int(np.prod(tuple(x.shape), dtype=np.int64))

