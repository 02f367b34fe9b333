"""What a cast did: IEEE 754-style exception counts (``CastReport``) and the ``flags`` context.

``numfmt.round``, ``numfmt.encode``, ``numfmt.quantize_affine`` and the element-wise operations
``numfmt.add``, ``sub``, ``mul``, ``div``, ``fma``, ``sqrt`` take ``report=True`` and then return
``(result, CastReport)``. The counts run over the whole array, one element at a time (an element
sets any number of flags); an operation counts each (broadcast) result element against the
operation's exact result, as a cast counts against its input (``numfmt.arithmetic.report``):

=================  ===========================================================================
count              an element counts when
=================  ===========================================================================
inexact            its result differs from its exact value (an infinite input clamped to a
                   finite result too; not a NaN result of an infinite or NaN input)
overflow           its exact value is finite and, rounded in the mode with an unbounded
                   exponent range, exceeds the largest finite value (IEEE 754's definition,
                   whatever the overflow policy made of it); posits: |x| > maxpos; integers:
                   the rounded integer lies outside the format's range
saturated          its result is ±max although it overflowed or the input is infinite (the
                   ``saturate`` policy; IEEE's directed modes and formats without infinity
                   saturate under ``ieee`` too); posits also count 0 < |x| < minpos giving
                   ±minpos
underflow          tiny and inexact: nonzero exact value that, rounded with an unbounded
                   exponent range (same precision, same random bits), lies below the smallest
                   normal (IEEE's tininess after rounding); posits: 0 < |x| < minpos; integer
                   formats have no normal range and never underflow
flushed_to_zero    nonzero exact value, zero result
subnormal          nonzero result below the smallest normal (float formats with subnormals)
invalid            NaN result of a non-NaN input (Inf into a format without Inf, an overflow
                   to NaN, a negative into an unsigned format, a block whose scale is NaN);
                   operations also: Inf - Inf, 0 * Inf, 0 / 0, Inf / Inf, sqrt of a negative,
                   x / 0 where it gives NaN (formats without Inf but with NaN; posits' NaR)
nan_in             NaN input (operations: some operand NaN)
div_by_zero        division of a nonzero finite number by zero (always 0 for a cast)
=================  ===========================================================================

Block formats count the elements against their own element value x / scale (limits scaled by
the block's scale) and add ``blocks``, ``scale_top`` (blocks whose shared exponent exceeds the
scale format's largest: the scale is NaN) and ``scale_bottom`` (blocks whose shared exponent
was raised to the scale format's smallest); ``per_block=True`` keeps every count per block, as
arrays shaped like the scales (``CastReport.per_block``).

Reductions (``numfmt.sum``, ``numfmt.dot``, ``numfmt.matmul`` with ``report=True``) count IEEE
754's flags of the rounding steps they perform: every rounding is one event (``n`` is their
number), counted as a cast of the operation's exact result would be -- the rounding of a
sequential order's first term, each rounded addition, each product rounded to ``product=``, the
additions of ``promote_every``, the one rounding of order "exact" (the roundings that stochastic
rounding numbers). ``nan_in`` counts roundings with a NaN operand, ``invalid`` NaN results of
other operands (Inf - Inf; an overflow into a format whose overflow is NaN). Integer
accumulators count their fits: every addition (orders sequential and blocked) or the one fit of
the exact sum (order exact); ``overflow`` those whose exact value left the accumulator's range
(whatever wrap or saturate made of it), ``saturated`` those clamped, ``inexact`` the same as
``overflow`` (no other fit changes a value), ``flushed_to_zero`` those that gave 0. ``first``
holds the index of the output element (C order) of the first event that set a count.

``with numfmt.flags() as f:`` accumulates the report of every numfmt call inside it (``f.report``),
per thread and per asyncio task (a ``contextvars`` variable, as ``numpy.errstate``); contexts nest
and each one in force receives every report. ``flags(raise_on=("overflow",))`` raises
``FlagError`` at the first call that sets one of those counts, naming the call and the element.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
from dataclasses import dataclass, field, fields, replace

import numpy as np

__all__ = ["CastReport", "FlagError", "flags", "FLAGS"]

FLAGS = ("inexact", "overflow", "saturated", "underflow", "flushed_to_zero", "subnormal", "invalid",
         "nan_in", "div_by_zero")
"""The per-element counts, in the order the counting kernels return them."""

_BLOCK_COUNTS = ("blocks", "scale_top", "scale_bottom")


@dataclass(frozen=True)
class CastReport:
    """Counts of what one or more casts did (see ``numfmt.report`` for each count's meaning).

    ``n`` is the number of what was counted, named by ``unit``: "elements" for casts and
    element-wise operations (one result element each), "roundings" for reductions (every
    rounding they perform; integer accumulators: every fit). Block formats add ``blocks``,
    ``scale_top`` and ``scale_bottom``, and with ``per_block=True`` ``per_block`` maps every
    count of ``FLAGS`` to an int32 array shaped like the scales (a block counts at most its own
    elements). Reports add (``r1 + r2``: counts summed, ``per_block`` kept only where one side
    has none (then it covers that side's blocks only), units joined where they differ:
    "elements and roundings", ``first`` the left side's index where both have one), and
    ``sum(reports)`` adds a list, so a sweep can accumulate them.

    Example:
        >>> import numfmt as nf
        >>> y, rep = nf.round([1.0, 1.06, 500.0, 1e-4, float("nan")], "e4m3", report=True)
        >>> rep.n, rep.inexact, rep.overflow, rep.flushed_to_zero, rep.nan_in, rep.invalid
        (5, 3, 1, 1, 1, 1)
        >>> (rep + rep).as_dict()["overflow"], sum([rep, rep, rep]).n
        (2, 15)
    """

    n: int = 0
    inexact: int = 0
    overflow: int = 0
    saturated: int = 0
    underflow: int = 0
    flushed_to_zero: int = 0
    subnormal: int = 0
    invalid: int = 0
    nan_in: int = 0
    div_by_zero: int = 0
    blocks: int = 0
    scale_top: int = 0
    scale_bottom: int = 0
    unit: str = "elements"
    per_block: dict | None = field(default=None, compare=False, repr=False)
    first: dict = field(default_factory=dict, compare=False, repr=False)
    """The flat index of the first element that set each count (counts that are nonzero;
    reductions: of the output element whose roundings set it first)."""

    @classmethod
    def from_counts(cls, counts: np.ndarray, n: int, unit: str, **extra) -> CastReport:
        """A report from the kernels' output: counts (``FLAGS`` order) then first indices (-1:
        none); n of ``unit`` ("elements" for casts, "roundings" for reductions)."""
        k = len(FLAGS)
        values = np.asarray(counts).tolist()          # Python ints: one conversion, not one per count
        fields_ = dict(_FIELD_DEFAULTS)
        fields_.update(zip(FLAGS, values))             # (zip stops at the end of FLAGS)
        fields_["n"], fields_["unit"] = int(n), unit
        fields_["first"] = {name: i for name, i in zip(FLAGS, values[k:2 * k]) if i >= 0}
        if extra:
            unknown = extra.keys() - _FIELD_DEFAULTS.keys()
            if unknown:
                raise TypeError(f"CastReport has no field {sorted(unknown)[0]!r}")
            fields_.update(extra)
        # (the fields set at once, not by the frozen dataclass' __init__, which sets each one by
        # object.__setattr__: half of a report's 5 us in Python for a small array)
        report = object.__new__(cls)
        object.__setattr__(report, "__dict__", fields_)
        return report

    def counts(self) -> dict:
        """Every count (no ``per_block``), by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("unit", "per_block", "first")}

    def as_dict(self) -> dict:
        """The counts by name, plus ``per_block`` (a dict of arrays) where there is one."""
        out = self.counts()
        if self.per_block is not None:
            out["per_block"] = dict(self.per_block)
        return out

    def __add__(self, other: CastReport) -> CastReport:
        if not isinstance(other, CastReport):
            return NotImplemented
        first = dict(other.first)
        first.update(self.first)
        per_block = self.per_block if other.per_block is None else other.per_block if self.per_block is None else None
        return CastReport(**{name: a + other.counts()[name] for name, a in self.counts().items()},
                          unit=_joined(self, other), per_block=per_block, first=first)

    def __radd__(self, other) -> CastReport:
        """0 + report is the report: ``sum(reports)`` adds a sweep's reports."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __str__(self) -> str:
        counts = self.counts()
        shown = [name for name in counts if name != "n" and (counts[name] or name in FLAGS[:6])]
        width = max(len(name) for name in shown)
        n = max(self.n, 1)
        lines = [f"CastReport of {self.n} {self.unit}"]
        lines += [f"  {name:<{width}}  {counts[name]:>12}  {100.0 * counts[name] / n:7.3f} %"
                  if name not in _BLOCK_COUNTS else f"  {name:<{width}}  {counts[name]:>12}" for name in shown]
        return "\n".join(lines)


_FIELD_DEFAULTS = {f.name: f.default for f in fields(CastReport) if f.name != "first"}
"""Every field of a CastReport but ``first`` (a dict of its own each), at its default."""


def _joined(a: CastReport, b: CastReport) -> str:
    """The unit of a + b: the one of a side that counted something, or both named."""
    if a.unit == b.unit or not b.n:
        return a.unit
    if not a.n:
        return b.unit
    return " and ".join(sorted(set(a.unit.split(" and ")) | set(b.unit.split(" and "))))


class FlagError(FloatingPointError):
    """Raised inside ``numfmt.flags(raise_on=...)`` by the first call that sets one of the counts."""


_ACTIVE: contextvars.ContextVar[tuple] = contextvars.ContextVar("numfmt_flags", default=())


class flags:  # noqa: N801 (a context manager used like numpy.errstate)
    """Accumulate the ``CastReport`` of every numfmt call made inside ``with``.

    Args:
        raise_on: names from ``FLAGS`` (or ``"scale_top"``, ``"scale_bottom"``): the first call
            whose report has one of them nonzero raises ``FlagError`` naming the call, the count
            and the first such element (its index and input value); its report is still added.

    The context is per thread (a ``contextvars`` variable: a new thread starts with none;
    ``contextvars.copy_context().run`` carries it into a worker). One ``flags`` object may
    receive reports from several threads at once: adding is under a lock. Nested contexts
    each receive every report made inside them.

    Example:
        >>> import numfmt as nf
        >>> with nf.flags() as f:
        ...     _ = nf.round([1.0, 1e6], "e4m3")
        ...     _ = nf.round([0.1], "e4m3")
        >>> f.report.n, f.report.overflow, f.report.inexact
        (3, 1, 2)
        >>> with nf.flags(raise_on=("overflow",)):
        ...     _ = nf.round([1.0, 1e6], "e4m3")
        Traceback (most recent call last):
        ...
        numfmt.report.FlagError: numfmt.round(e4m3) set overflow (1 of 2 elements); first: element 1 (index (1,)), x = 1000000.0
    """

    def __init__(self, raise_on=()):
        known = FLAGS + _BLOCK_COUNTS[1:]
        if not isinstance(raise_on, (str, tuple, list, set, frozenset)):
            raise ValueError(f"raise_on must be a count's name or names from {known}; got {raise_on!r}")
        raise_on = (raise_on,) if isinstance(raise_on, str) else tuple(raise_on)
        unknown = [name for name in raise_on if name not in known]
        if unknown:
            raise ValueError(f"raise_on must name counts from {known}; got {unknown}")
        self.raise_on = raise_on
        self.report = CastReport()
        self._lock = threading.Lock()

    def __enter__(self) -> flags:
        _ACTIVE.set(_ACTIVE.get() + (self,))
        return self

    def __exit__(self, *exc) -> None:
        # (this context's innermost entry of self taken out, not a token reset: one object may
        # be entered nested in itself and by several threads at once)
        active = _ACTIVE.get()
        last = len(active) - 1 - active[::-1].index(self)
        _ACTIVE.set(active[:last] + active[last + 1:])

    def _add(self, rep: CastReport) -> None:
        with self._lock:
            self.report = self.report + replace(rep, per_block=None)


@contextlib.contextmanager
def suspended():
    """No ``flags`` context inside (for numfmt's own calls of its public casts, which the
    caller counts once itself)."""
    token = _ACTIVE.set(())
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active() -> bool:
    """Whether a ``flags`` context is in force here (then every call computes its report)."""
    return bool(_ACTIVE.get())


def record(call: str, rep: CastReport, x) -> None:
    """Add rep to every ``flags`` context in force (once to an object entered more than once);
    raise ``FlagError`` where one of them asks for a count that rep sets. ``x``: the call's
    input, to name the first element."""
    contexts = dict.fromkeys(_ACTIVE.get())
    for ctx in contexts:
        ctx._add(rep)
    for ctx in contexts:
        for name in ctx.raise_on:
            count = getattr(rep, name)
            if count:
                raise FlagError(f"{call} set {name} ({count} of {rep.n} {rep.unit}){_first(rep, name, x)}")


def _first(rep: CastReport, name: str, x) -> str:
    """Where count ``name`` was first set: element ``rep.first[name]`` of x, the call's input
    (a reduction: its result, whose output element's roundings set it first)."""
    index = rep.first.get(name)
    if index is None:
        return ""
    arr = np.asarray(x)
    where = tuple(int(i) for i in np.unravel_index(index, arr.shape)) if arr.ndim else ()
    value = float(arr.reshape(-1)[index])
    if rep.unit == "roundings":
        return f"; first: a rounding of output element {index} (index {where}), result = {value!r}"
    return f"; first: element {index} (index {where}), x = {value!r}"
