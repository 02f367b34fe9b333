"""The ``CastReport`` of a cast, per family: the numbers the counting kernels
(``numfmt.kernels.report``) take, and one counting pass over (input, result).

``report=False`` runs the casts' own kernels unchanged; with a report the fast float32, posit
and block casts round and count in one pass, the others' result is compared with the input, and
the float family's IEEE overflow and tininess after rounding come from its own ``round_one``
with parameters for an unbounded exponent range.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from fractions import Fraction

import numpy as np

from ..formats.floating import FloatFormat
from ..kernels import block as block_kernels
from ..kernels import floating as float_kernels
from ..kernels import report as kern
from ..parallel import run_chunked, run_ranges
from ..report import FLAGS as FLAG_NAMES
from ..report import CastReport
from ..rounding import Rounding, mode_flags
from ..stochastic import StochasticArgs
from . import block as block_casts
from . import fixed, floating, posit
from .common import NO_RANDOM_BITS, code_dtype, kernel_input, kernel_random_bits

_DBL_MAX_BITS = int(np.array(np.finfo(np.float64).max).view(np.int64))
_INF_BITS = int(np.array(np.inf).view(np.int64))


def _bits64(value: float) -> int:
    return int(np.array(value, np.float64).view(np.int64))


def combine(chunks: list) -> np.ndarray:
    """The counts of a call from its chunks' counts: summed, and the first index of the first
    chunk that has one (chunks come in order)."""
    if len(chunks) == 1:
        return chunks[0]
    k = kern.NFLAGS
    total = np.sum([c[:k] for c in chunks], axis=0)
    first = np.full(k, -1, np.int64)
    for c in reversed(chunks):
        first = np.where(c[k:] >= 0, c[k:], first)
    return np.concatenate([total, first])


@functools.lru_cache(maxsize=None)
def unbounded_params(fmt: FloatFormat, mode: Rounding):
    """``round_one`` parameters (float64 domain) that round to fmt's precision with an
    unbounded exponent range: no largest value (only float64's overflow, which lies above
    every format's maximum), and normal binades two below fmt's smallest (two keep the code
    parity that ties of formats without fraction bits go by), so that a value of magnitude
    at least 2**(emin - 2) rounds as if every exponent existed. A nonzero result below 2**emin
    is IEEE's tininess after rounding."""
    base = floating.kernel_params(fmt, True, mode, "ieee", "raise")[0]
    qsub = max(fmt.emin - 2 - fmt.man_bits, -1074)
    half = _bits64(2.0 ** (qsub - 1)) if qsub - 1 >= -1074 else 1
    inf = floating.as_int64(_INF_BITS)
    return base._replace(sub_shift_base=qsub + 1023 + 52, q_bits=_bits64(2.0 ** qsub), half_q_bits=half,
                         max_bits=_DBL_MAX_BITS, min_bits=0, ovf0=inf, ovf1=inf | -(1 << 63))


@functools.lru_cache(maxsize=None)
def _limits(fmt: FloatFormat) -> tuple:
    """(maxv, minv, normal, max_bits, normal_bits, below, above) of
    ``kernels.report._float_flags``: below = 2**emin - 2**(emin - 1 - M) (0 where float64 does
    not hold it), above = max plus a unit in its last place (Inf beyond float64), the values of
    fmt's precision next to the limits."""
    info = fmt.info
    quantum = fmt.emin - 1 - fmt.man_bits
    below = info.smallest_normal - 2.0 ** quantum if quantum >= -1074 else 0.0
    with np.errstate(over="ignore"):
        above = float(np.float64(info.max) + 2.0 ** (math.frexp(info.max)[1] - 1 - fmt.man_bits))
    return (float(info.max), float(info.smallest_normal) if not fmt.zero else -1.0, float(info.smallest_normal),
            _bits64(info.max), _bits64(info.smallest_normal), float(below), above)


@functools.lru_cache(maxsize=None)
def _midpoints(fmt: FloatFormat) -> tuple:
    """(lower, upper): the midpoints of ``_limits``' bands (below, normal) and (max, above),
    where float64 holds each exactly with a float64 number between it and either end (then
    ``band_thresholds`` decides the band), else NaN (every element in the band is rounded).

    >>> _midpoints(FloatFormat(2, 1, special="finite"))         # e2m1: (0.75, 1), (6, 8)
    (0.875, 7.0)
    """
    _, _, normal, _, _, below, above = _limits(fmt)

    def mid(a: float, b: float) -> float:
        m = (a + b) / 2
        inside = 0 < a < float(np.nextafter(m, 0.0)) and float(np.nextafter(m, np.inf)) < b < np.inf
        return m if inside and Fraction(m) == (Fraction(a) + Fraction(b)) / 2 else math.nan

    return mid(below, normal), mid(float(fmt.info.max), above)


@functools.lru_cache(maxsize=None)
def band_thresholds(fmt: FloatFormat, mode: Rounding, stochastic: bool) -> tuple:
    """``kernels.report._bounds``' thresholds: how fmt's rounding with an unbounded exponent
    range (``unbounded_params``) rounds in the bands of ``_limits``. There it gives one of the
    band's two ends, the same one for every |x| of one sign on one side of the band's midpoint
    (``_midpoints``; the kept bits, round bit and sticky bit are the same there), so the
    roundings of the midpoint and of the float64 numbers next to it, of both signs, decide the
    whole band: an element under the smallest normal is tiny iff |x| < t_lo, one over the
    largest value overflows iff |x| >= t_hi. Returns (t_lo for x > 0, for x < 0, t_hi for
    x > 0, for x < 0, whether the lower band, the upper band, is rounded element by element
    instead: stochastic rounding, no midpoint; whether fmt is signed).

    >>> e2m1 = FloatFormat(2, 1, special="finite")     # 0.875 ties to 1 (not tiny), 7 to 8 (overflow)
    >>> [float(t) for t in band_thresholds(e2m1, Rounding.NEAREST_EVEN, False)[:4]]
    [0.875, 0.875, 7.0, 7.0]
    """
    p = unbounded_params(fmt, mode)
    out = []
    for mid, lower in zip(_midpoints(fmt), (True, False)):
        never, always = (-math.inf, math.inf) if lower else (math.inf, -math.inf)
        if stochastic or math.isnan(mid):
            out.append((never, never, True))
            continue
        mb = _bits64(mid)
        points = np.array([(mb + k - 1) | sign for sign in (0, -(1 << 63)) for k in range(3)], np.int64)
        r = np.empty(6, np.int64)
        float_kernels.round_bits64(points, r, p)
        r &= np.int64(kern.MAG)
        # per sign, for |x| below, at, above mid: whether it rounds to the end that sets the flag
        sets = [tuple(bool(r[k] < mb) if lower else bool(mb < r[k] <= _INF_BITS) for k in range(j, j + 3))
                for j in (0, 3)]
        after = float(np.nextafter(mid, math.inf))
        table = ({(True,) * 3: always, (True, True, False): after, (True, False, False): mid, (False,) * 3: never}
                 if lower else
                 {(True,) * 3: always, (False, True, True): mid, (False, False, True): after, (False,) * 3: never})
        if not all(flags in table for flags in sets):       # never for a monotone rounding
            out.append((never, never, True))
            continue
        out.append((table[sets[0]], table[sets[1]], False))
    (lo_pos, lo_neg, lo_rounds), (hi_pos, hi_neg, hi_rounds) = out
    return (np.float64(lo_pos), np.float64(lo_neg), np.float64(hi_pos), np.float64(hi_neg), np.bool_(lo_rounds),
            np.bool_(hi_rounds), np.bool_(not p.unsigned))


_DETERMINISTIC = (0, NO_RANDOM_BITS, np.uint64(0), (np.int64(1), np.int64(0), np.int64(0)), np.bool_(False))


def _stochastic(fmt: FloatFormat, stochastic):
    """(start, rand, seed, sr, stochastic) for the float counting kernels: sr the ``sr_params``
    of the unbounded rounding (``unbounded_params``), placeholders for the deterministic modes
    (one compiled kernel serves both)."""
    if stochastic is None:
        return _DETERMINISTIC
    seed, sr_bits, sr_rule, rand = stochastic
    return stochastic.start, kernel_random_bits(rand), np.uint64(seed), _unbounded_sr(fmt, sr_bits, sr_rule), \
        np.bool_(True)


def _unbounded_sr(fmt: FloatFormat, sr_bits: int, sr_rule: str) -> tuple:
    """The ``sr_params`` of ``unbounded_params``' rounding of fmt, sr_bits random bits by sr_rule."""
    qsub = max(fmt.emin - 2 - fmt.man_bits, -1074)
    return np.int64(sr_bits), np.int64(sr_rule == "nearest"), np.int64(qsub + 1023 + 52)


def _same_dtype(x: np.ndarray, y: np.ndarray) -> tuple:
    """x and y flat in one float dtype (float64 unless both are float32): each counting kernel
    then compiles for two array types only."""
    dtype = np.float32 if x.dtype == y.dtype == np.float32 else np.float64
    return kernel_input(x, dtype), kernel_input(y, dtype)


def float_report(x: np.ndarray, y: np.ndarray, fmt: FloatFormat, mode: Rounding, stochastic) -> CastReport:
    """The report of x (float32/float64) cast to the float format fmt with result values y."""
    start, rand, seed, sr, sto = _stochastic(fmt, stochastic)
    flat, values = _same_dtype(x, y)
    thresholds = band_thresholds(fmt, mode, stochastic is not None)
    rounds = thresholds[4] or thresholds[5]         # (a band that rounds: stochastic rounding)
    chunks = run_chunked(kern.count_float, flat, values, rand, seed, unbounded_params(fmt, mode) if rounds else None,
                         sr, sto, _limits(fmt), thresholds, pass_start=True, offset=start)
    return CastReport.from_counts(combine(chunks), flat.size, unit="elements")


def _domain_value(v: float, ftype, up: bool):
    """The nearest number of type ftype (float32, float64) at or above v (``up``) or at or
    below it (v >= 0): |x| < t, |x| >= t, |x| > t keep their truth for x of that type."""
    with np.errstate(over="ignore"):
        d = ftype(v)
        if (float(d) < v) if up else (float(d) > v):
            d = np.nextafter(d, ftype(np.inf if up else 0.0))
    return d


@functools.lru_cache(maxsize=None)
def cast_thresholds(fmt: FloatFormat, mode: Rounding, stochastic: bool, dom64: bool) -> tuple:
    """(ft, bands) of ``kernels.report.round_count`` for inputs of the
    domain (float64, or float32): ``_bounds``' tests as one comparison each. An element is tiny
    iff 0 < |x| < l: l = t_lo of ``band_thresholds`` within [next above ``below``, normal]; it
    overflows iff h <= |x| < Inf: h = t_hi within [next above maxv, above] (never for
    negatives into unsigned formats); ft = (l+, l-, h+, h-, maxv, minv, normal). ``bands``:
    the bands that round (``*_rounds``) as open intervals of |x| (lo, lo_end, hi, hi_end), or
    None where neither band rounds (the deterministic modes)."""
    ftype = np.float64 if dom64 else np.float32
    maxv, minv, normal, _, _, below, above = _limits(fmt)
    lo_pos, lo_neg, hi_pos, hi_neg, lo_rounds, hi_rounds, signed = band_thresholds(fmt, mode, stochastic)

    def low(t):
        return _domain_value(min(max(float(t), float(np.nextafter(below, math.inf))), normal), ftype, True)

    def high(t, positive):
        with np.errstate(over="ignore"):          # the next above float64's largest: Inf
            h = min(max(float(t), float(np.nextafter(maxv, math.inf))), above)
        return _domain_value(h if signed or positive else math.inf, ftype, True)

    ft = (low(lo_pos), low(lo_neg), high(hi_pos, True), high(hi_neg, False), ftype(maxv), ftype(minv), ftype(normal))
    none = (ftype(0), ftype(0))
    bands = ((_domain_value(below, ftype, False), _domain_value(normal, ftype, True)) if lo_rounds else none) + \
        ((_domain_value(maxv, ftype, False), _domain_value(above, ftype, True)) if hi_rounds else none)
    return ft, bands if lo_rounds or hi_rounds else None


@functools.lru_cache(maxsize=None)
def fast32_derive(p) -> tuple:
    """``kernels.report._derive``'s k of a float cast by the fast kernels (p: ``Fast32Params``):
    an overflow gives ``p.ovf0`` or ``p.ovf1``, which are of one magnitude (the nearest and
    stochastic modes overflow alike in both directions): the largest value or NaN (or Inf)."""
    assert int(p.ovf0) & 0x7FFFFFFF == int(p.ovf1) & 0x7FFFFFFF, "fast32 overflow results differ by sign"
    saturated, invalid = _overflow_kind(p.ovf0, p.max_bits)
    return saturated, np.int64(0), invalid, np.int64(1)


@functools.lru_cache(maxsize=None)
def directed32_derive(p) -> tuple:
    """(k, by_sign) of ``kernels.report.count_directed32`` (p: the ``Fast32Params`` of
    ``floating.directed32_args``, whose overflow results may differ by sign): ``fast32_derive``'s
    k of p.ovf0's overflows, and (saturated, invalid) of p.ovf1's less p.ovf0's."""
    return overflow_derive(p.ovf0, p.ovf1, p.max_bits)


def overflow_derive(ovf0, ovf1, max_bits) -> tuple:
    """(k, by_sign) of a counting kernel whose overflow results (float32 bits) are ovf0 for
    positive results and ovf1 for negative ones, the largest value's bits max_bits:
    ``_derive``'s k of ovf0's overflows, and (saturated, invalid) of ovf1's less ovf0's."""
    (sat0, inv0), (sat1, inv1) = _overflow_kind(ovf0, max_bits), _overflow_kind(ovf1, max_bits)
    return (sat0, np.int64(0), inv0, np.int64(1)), (sat1 - sat0, inv1 - inv0)


def _overflow_kind(bits, max_bits, dom64: bool = False) -> tuple:
    """(saturated, invalid) of an overflow whose result is the float32 (dom64: float64) bits
    ``bits``: the largest value (max_bits), or NaN (int64 0 / 1; Inf is neither)."""
    mag, inf = (int(bits) & 0x7FFFFFFFFFFFFFFF, 0x7FF0000000000000) if dom64 else (int(bits) & 0x7FFFFFFF, 0x7F800000)
    return np.int64(mag == int(max_bits)), np.int64(mag > inf)


@functools.lru_cache(maxsize=None)
def sr64_derive(p) -> tuple:
    """``kernels.report._derive``'s k of a float64 stochastic cast by ``round_count_sr64`` (p:
    its ``FloatParams``): an overflow gives p.ovf0 or p.ovf1, of one magnitude (stochastic
    rounding overflows alike in both directions): the largest value, NaN or Inf."""
    assert (int(p.ovf0) ^ int(p.ovf1)) & 0x7FFFFFFFFFFFFFFF == 0, "float64 overflow results differ by sign"
    saturated, invalid = _overflow_kind(p.ovf0, p.max_bits, dom64=True)
    if p.unsigned and p.min_bits:       # (no zero: its own lean counts; the uint32 thresholds unused)
        return kern.UnsignedCounts(saturated, invalid, *kern.UNSIGNED_SR)
    return saturated, np.int64(0), invalid, np.int64(1)


def sr64_counted(x: np.ndarray, fmt: FloatFormat, stochastic) -> bool:
    """Whether ``round_counted`` counts the cast of x to fmt, an unsigned float format without a
    zero (e8m0), in its pass: float64 x under stochastic rounding (``kernels.report.
    round_count_sr64`` with ``UnsignedCounts``; its negatives and zeros give NaN)."""
    return stochastic is not None and x.dtype == np.float64 and not fmt.signed and not fmt.zero and fmt.has_nan


@functools.lru_cache(maxsize=None)
def adds32(p) -> bool:
    """Whether ``kernels.report.count_nearest_added32`` takes the format of p (a
    ``Fast32Params``): it has subnormals (p.magic, 2**(qsub + 23), is 2**(emin + 23 - M)), its
    largest value lies below 2**(128 - s), s = 23 - M, from where ``_added32``'s m is no
    longer a float32, and a negative overflows to p.ovf0 with the sign bit set
    (``_finish_added32``; every registered format; else ``count_nearest32``)."""
    s = int(p.t_top) - int(p.t_cap)
    magic = int(np.float32(p.magic).view(np.uint32))
    return (magic == (int(p.normal_bits) & 0x7F800000) + (s << 23) and int(p.max_bits) < (255 - s) << 23
            and int(p.ovf1) == int(p.ovf0) | 0x80000000)


def round_counted(x: np.ndarray, fmt: FloatFormat, mode: Rounding, overflow: str, nan: str, stochastic,
                  want_code: bool = False) -> tuple:
    """(``floating.round_float``'s result, its CastReport), counted as the cast runs (the fast
    float32 kernels' casts in their own pass, ``kernels.report.count_nearest_added32`` (or
    ``count_nearest32``, see ``adds32``) and ``count_sr_add32``; the others by
    ``kernels.report.round_count``: the plain kernels round tile by tile); fmt signed and
    with a zero (``kernels.report._cast_tile_counts``), or one that ``floating.pow2_32_cast``,
    ``floating.pow2_sr32_cast`` or ``sr64_counted`` takes. ``want_code``: ``encode_float``'s
    codes, counted where the fast float32 kernels and those of formats with float32's
    exponent field encode (the report None elsewhere: the caller counts after the cast)."""
    counts = []
    _, _, _, sru, sto = _stochastic(fmt, stochastic)

    def count(flat, out, p, k, sr, cp=None):
        dom64 = flat.dtype == np.float64
        if sr is None:
            start, rand, seed = 0, NO_RANDOM_BITS, np.uint64(0)
        else:
            seed, _, rand, start = sr
            seed = np.uint64(seed)
        if isinstance(p[0], float_kernels.Pow2Params):       # (``floating.pow2_32_cast``, ``pow2_sr32_cast``)
            q = p[0]
            normal = q.normal_bits      # (no subnormals; without a zero the smallest value is 2**emin)
            lim32 = (q.max_bits, normal if q.invalid else kern.NEVER32, normal, normal, normal)
            saturated, invalid = _overflow_kind(q.ovf0, q.max_bits)
            derive = kern.UnsignedCounts(saturated, invalid, *kern.UNSIGNED_SR) if q.invalid else \
                (saturated, np.int64(0), invalid, np.int64(0))
            if sr is None:
                counts.append(combine(run_chunked(kern.count_pow2_32, floating.fast_lanes(flat),
                                                  floating.fast_lanes(out), *p, derive, lim32, cp, pass_start=True)))
            else:       # (p: ``floating.pow2_sr32_params``', k the random bits' count)
                counts.append(combine(run_chunked(kern.count_pow2_sr32, floating.fast_lanes(flat),
                                                  floating.fast_lanes(out), floating.given_bits(rand), seed, *p,
                                                  floating.pow2_sr32_tiny(q), k, derive, lim32, cp, pass_start=True,
                                                  offset=start)))
            return int(counts[0][FLAG_NAMES.index("nan_in")])
        directed = isinstance(p, tuple) and isinstance(p[0], float_kernels.Fast32Params)
        if directed or isinstance(p, float_kernels.Fast32Params):     # rounded and counted in uint32 lanes
            bits, out = floating.fast_lanes(flat), floating.fast_lanes(out)
        if directed:
            counts.append(combine(run_chunked(kern.count_directed32, bits, out, *p, *directed32_derive(p[0]), cp,
                                              kern.mode_key(p[1]), pass_start=True)))
            return int(counts[0][FLAG_NAMES.index("nan_in")])
        if isinstance(p, float_kernels.Fast32Params):
            derive = fast32_derive(p)
            nearest = kern.count_nearest_added32 if adds32(p) else kern.count_nearest32
            chunks = (run_chunked(nearest, bits, out, p, derive, cp, pass_start=True) if sr is None
                      else run_chunked(kern.count_sr_add32, bits, out, floating.given_bits(rand), seed, p, k,
                                       derive, cp, pass_start=True, offset=start))
            counts.append(combine(chunks))
            return int(counts[0][FLAG_NAMES.index("nan_in")])
        ft, bands = cast_thresholds(fmt, mode, sr is not None, dom64)
        # the parameters the bands read, only where there are bands: their types cost a call 2-3 us to dispatch
        pu, band_sr, lim = (None, None, None) if bands is None else (unbounded_params(fmt, mode), sru, _limits(fmt))
        if dom64 and sr is not None and bands is not None:      # rounded and counted in one loop
            assert ft[0] == ft[1] and ft[2] == ft[3] or not fmt.signed, "stochastic thresholds differ by sign"
            chunks = run_chunked(kern.round_count_sr64, flat, out, rand, seed, p, k, bands, pu, band_sr, ft, lim,
                                 sr64_derive(p), pass_start=True, offset=start)
        elif (sr is not None and cp is None and not dom64 and not isinstance(p, float_kernels.FloatParams)
              and rand.size == 0 and k <= 32):      # (p: a format of float32's exponent field; k its bits)
            def common_first(lo, hi):       # the common tiles by a kernel of their own, the rest by round_count
                head, stop = kern.round_count_common_sr32(flat[lo:hi], out[lo:hi], start + lo, seed, p, k,
                                                          ft[6], ft[4])
                if lo + stop == hi:
                    return head
                rest = kern.round_count(flat[lo + stop:hi], out[lo + stop:hi], start + lo + stop, rand, seed, p, k,
                                        True, bands, pu, band_sr, ft, lim, cp)
                return combine([head, rest])
            chunks = run_ranges(common_first, flat.size)
        else:
            chunks = run_chunked(kern.round_count, flat, out, rand, seed, p, k, sr is not None, bands, pu, band_sr, ft,
                                 lim, cp, pass_start=True, offset=start)
        counts.append(combine(chunks))
        return int(counts[0][FLAG_NAMES.index("nan_in")])

    cast = floating.encode_float if want_code else floating.round_float
    y = cast(x, fmt, mode, overflow, nan, stochastic, count=count)
    return y, CastReport.from_counts(counts[0], y.size, unit="elements") if counts else None


def posit_report(x: np.ndarray, y: np.ndarray, fmt) -> CastReport:
    """The report of x cast to the posit format fmt with result values y."""
    flat, values = _same_dtype(x, y)
    maxpos, minpos = float(fmt.info.maxpos), float(fmt.info.minpos)
    lim = (maxpos, minpos, 0.0, 0, 0, float(np.nextafter(minpos, 0.0)), float(np.nextafter(maxpos, np.inf)))
    chunks = run_chunked(kern.count_posit, flat, values, lim, pass_start=True)
    return CastReport.from_counts(combine(chunks), flat.size, unit="elements")


def posit_counted(x: np.ndarray, fmt, mode: Rounding, overflow: str, nan: str, stochastic, want_code: bool) -> tuple:
    """(``posit.round_float``'s or ``posit.encode_float``'s result, its CastReport): float32
    inputs of a format float32 holds, in a deterministic mode or seeded stochastic rounding
    with sr_rule "add", round (and code) and count in one pass (``kernels.report``'s
    ``count_posit_round32``, ``count_posit_encode32``, ``count_posit_sr_round32``,
    ``count_posit_sr_encode32``), and so do float64 inputs in a deterministic mode, by their
    float32 stand-ins rounded to odd (``kernels.floating.odd_float32``: each rounds as its x in
    every such mode, these formats' values having at most 22 significant bits, is exact iff x
    is, lies beyond maxpos or under minpos iff x does (beyond float32's range: its largest
    number), is NaN or infinite iff x is; posit16, 1M standard normal float64, 1 thread, CPU
    time: report=True 2.6 -> 1.7 ms, the plain round 1.6 ms, against a counting pass after
    the cast); the others return no report (None: the caller counts after the cast,
    ``posit_report``)."""
    seeded = stochastic is not None and stochastic[3] is None and stochastic[2] == "add"     # (no explicit bits)
    wide = x.dtype == np.float64 and stochastic is None      # (stand-ins keep too few bits for random ones)
    if (stochastic is not None and not seeded) or not (x.dtype == np.float32 or wide) or \
            posit.cast_domain64(fmt, False, False):
        return (posit.encode_float if want_code else posit.round_float)(x, fmt, mode, overflow, nan, stochastic), None
    flat = kernel_input(x, x.dtype)
    if overflow == "raise":
        posit.check_overflow(flat, fmt)
    if wide:        # (beyond float32's range x stands in as its largest number: both saturate at maxpos)
        flat, _ = floating.float32_stand_ins(flat)
    out = np.empty(flat.size, code_dtype(fmt.bits) if want_code else np.float32)
    lim32 = _posit_lim32(fmt)
    target = out if want_code else out.view(np.uint32)
    if seeded:
        kernel = kern.count_posit_sr_encode32 if want_code else kern.count_posit_sr_round32
        seed, sr_bits = stochastic[:2]
        chunks = run_chunked(kernel, flat.view(np.uint32), target, np.uint64(seed), fmt.nbits, fmt.es,
                             mode_flags(mode), (int(sr_bits), 0), lim32, pass_start=True, offset=stochastic.start)
    else:
        kernel = kern.count_posit_encode32 if want_code else kern.count_posit_round32
        chunks = run_chunked(kernel, flat.view(np.uint32), target, fmt.nbits, fmt.es, mode_flags(mode), lim32,
                             pass_start=True)
    values = out.astype(np.float64) if wide and not want_code else out       # (the plain round's float64 values)
    return values.reshape(x.shape), CastReport.from_counts(combine(chunks), flat.size, unit="elements")


@functools.lru_cache(maxsize=None)
def _posit_lim32(fmt) -> tuple:
    """The ``_cases32`` limits (float32 bits, uint32) of the posit format fmt that float32 holds:
    maxpos, minpos twice, and no normal range."""
    return tuple(np.uint32(np.array(v, np.float32).view(np.uint32))
                 for v in (fmt.info.maxpos, fmt.info.minpos, fmt.info.minpos, 0.0, 0.0))


def fixed_counted(x: np.ndarray, fmt, mode: Rounding, overflow: str, nan: str, stochastic, want_code: bool) -> tuple:
    """(``fixed.round_float``'s or ``fixed.encode_float``'s result, its CastReport), counted in
    the cast's own pass (``kernels.report.count_fixed_cast``)."""
    out, chunks = fixed.cast(x, fmt, mode, overflow, nan, stochastic, want_code, counted=True)
    return out, CastReport.from_counts(combine([c[:2 * kern.NFLAGS] for c in chunks]), out.size, unit="elements")


def integer_report(x: np.ndarray, result: np.ndarray, lo: int, hi: int, mode: Rounding, stochastic, *, scale=1.0,
                   zero_point=0, wrap: bool = False) -> CastReport:
    """The report of the integers ``result`` = policy(round(x / scale) + zero_point) in [lo, hi]
    (saturate, or ``wrap``); scale and zero_point scalars or broadcast to x."""
    flat = kernel_input(x, np.float64)
    sc = kernel_input(np.broadcast_to(scale, x.shape) if np.ndim(scale) else np.array([scale]), np.float64)
    zp = kernel_input(np.broadcast_to(zero_point, x.shape) if np.ndim(zero_point) else np.array([zero_point]),
                      np.int64)
    res = kernel_input(result, np.int64)
    seed, sr_bits, sr_rule, rand = stochastic if stochastic is not None else (0, 1, "add", None)
    start = stochastic.start if isinstance(stochastic, StochasticArgs) else 0
    rand = kernel_random_bits(rand)

    def task(a, b):             # per-element scales and zero points are sliced with x
        return kern.count_fixed(flat[a:b], res[a:b], start + a, sc if sc.size == 1 else sc[a:b],
                                zp if zp.size == 1 else zp[a:b], int(mode), int(lo), int(hi), bool(wrap),
                                rand, np.uint64(seed), int(sr_bits), sr_rule == "nearest")

    return CastReport.from_counts(combine(run_ranges(task, flat.size)), flat.size, unit="elements")


def _at_limit(fmt, scales: np.ndarray) -> np.ndarray:
    """Whether each block's scale (values, flat) lies at a limit of the scale format or is NaN."""
    info = fmt.scale.info
    with np.errstate(invalid="ignore"):
        return np.isnan(scales) | (scales >= info.max) | (scales <= info.smallest_normal)


def _scale_limits(x: np.ndarray, fmt, ts: np.float32, axis: int, pad: bool, at_limit: np.ndarray):
    """(scale_top, scale_bottom) per block, flat in ``at_limit``'s order, as bool arrays: blocks
    of finite values whose scale exceeded the scale format's largest (a NaN scale for
    power-of-two scales, 448 for nvfp4) or, nonzero, fell below its smallest (nvfp4: finite and
    nonzero in float32, where its recipe computes the scale). Only the blocks whose scale lies
    at a limit (or is NaN), ``at_limit`` (flat, ``_at_limit``), can be either, and only theirs
    are looked at."""
    if not at_limit.any():      # (the usual case: no block to look at, and a small array's 10-20 us spared)
        return np.zeros((2, at_limit.size), bool)
    info = fmt.scale.info
    x3, _ = block_casts.as_blocks(x, fmt, axis, pad)
    top, bottom = np.zeros((2, x3.shape[0], x3.shape[2]), bool)
    rows, cols = np.divmod(np.flatnonzero(at_limit), x3.shape[2])
    amax = np.abs(x3[rows, :, cols]).max(axis=1, initial=0.0).astype(np.float64)
    finite = np.isfinite(amax)
    amax = np.where(finite, amax, 0.0)
    if fmt.power_of_two:
        s = np.empty(amax.size, np.int64)
        kern.unclamped_exponents(kernel_input(amax, np.float64), s, block_casts.rule_params(fmt))
        s_lo, s_hi = fmt.scale_exp_range
        top[rows, cols], bottom[rows, cols] = finite & (s > s_hi), finite & (amax > 0) & (s < s_lo)
    else:       # (the recipe's float32 amax, as its scale saw it: float64 x is fl32(x) there)
        with np.errstate(over="ignore"):
            amax32 = amax.astype(np.float32)
        finite &= np.isfinite(amax32)
        s = (np.where(finite, amax32, np.float32(0)) / np.float32(fmt.element_max)) / ts
        top[rows, cols] = finite & (s > info.max)
        bottom[rows, cols] = finite & (amax32 > 0) & (s < info.smallest_normal)
    return top.reshape(-1), bottom.reshape(-1)


def _element_table(enc) -> tuple:
    """(codes, table) of a BlockCodes: flat element codes and every code's element value
    (float64), so that table[codes] are the element values; elements of more than 16 bits
    give their values and indices instead."""
    elem = enc.fmt.element
    codes = block_casts.unpack(enc.codes, elem.bits, enc.shape) if enc.packed else enc.codes
    family = fixed if elem.family == "fixed" else floating
    if elem.bits > 16:
        values = family.decode_float(codes, elem, np.float64).reshape(-1)
        return np.arange(values.size), values
    return kernel_input(codes, codes.dtype), family.decode_float(np.arange(1 << elem.bits), elem, np.float64)


def _per_block_cases(cases: np.ndarray, x: np.ndarray, fmt, axis: int) -> dict:
    """Every count per block, shaped like the scales, from the fast kernels' counts of each
    case per block, then scale_top and scale_bottom (``kernels.block.block_words``;
    ``CASE_BITS`` the flags of each case)."""
    scales_shape = x.shape[:axis] + (x.shape[axis] // fmt.block_size,) + x.shape[axis + 1:]
    flags = {}
    for k, name in enumerate(FLAG_NAMES):
        case = next((c for c in range(7) if (block_kernels.CASE_BITS[c] >> k) & 1), None)
        counts = np.zeros(cases.shape[1], np.int32) if case is None else cases[case]
        flags[name] = counts.copy() if any(a is counts for a in flags.values()) else counts
    flags.update(scale_top=cases[7], scale_bottom=cases[8])
    return {name: counts.reshape(scales_shape) for name, counts in flags.items()}


def _float_numbers(fmt) -> FloatFormat:
    """The float format whose numbers the counting kernels take for the elements of the block
    format fmt: the element's, or the scale's (unused) for fixed-point elements."""
    return fmt.scale if fmt.element.family == "fixed" else fmt.element


def _element_flag_params(fmt, mode: Rounding, stochastic) -> tuple:
    """(lim, thr, p, sr, fx, fixed_range): how ``kernels.report`` counts the elements of the block
    format fmt, as ``block_element_flags`` and the float64 kernels that count as they round take
    it (``kernels.report._pow2_float_flags``): the element's ``_limits``, ``band_thresholds``
    and unbounded rounding (``unbounded_params`` and ``_unbounded_sr``; the scale format's,
    unused, for fixed-point elements), ``_fixed_element_flags``' fx and the smallest and the
    largest fixed-point element."""
    return _flag_params(fmt, mode, None if stochastic is None else tuple(stochastic[1:3]))


@functools.lru_cache(maxsize=None)
def _flag_params(fmt, mode: Rounding, sr_args) -> tuple:
    """``_element_flag_params`` of stochastic rounding's (sr_bits, sr_rule), or of a
    deterministic mode (sr_args None)."""
    elem = fmt.element
    is_fixed = elem.family == "fixed"
    like = _float_numbers(fmt)
    sr = _DETERMINISTIC[3] if sr_args is None else _unbounded_sr(like, *sr_args)
    fx = (np.int64(-elem.frac_bits if is_fixed else 0), np.int64(fmt.element_min_int if is_fixed else 0),
          np.int64(elem.max_int if is_fixed else 0), np.int64(mode), sr[0], sr[1])
    return (_limits(like), band_thresholds(like, mode, sr_args is not None), unbounded_params(like, mode), sr,
            fx, (float(fx[1] * 2.0 ** fx[0]), float(fx[2] * 2.0 ** fx[0])))


def block_report(x: np.ndarray, fmt, mode: Rounding, overflow: str, stochastic, out, per_block: bool,
                 options: dict, scales=None) -> CastReport:
    """The report of x cast to the block format fmt with result ``out`` (values, or the
    BlockCodes): one pass over the elements (``kernels.report.block_element_flags``). A round
    gives its scale values (power-of-two scales: the elements are the values over them) or
    encodes once more to see the elements and scales."""
    axis = block_casts.blocked_axis(fmt, x.ndim, options.get("axis"))
    pad = bool(options.get("pad"))
    ts = np.float32(1.0)
    if scales is not None:                  # element value = value / scale: no codes
        y, y_mode, codes, table = out, 2, np.zeros(1, np.uint8), np.zeros(1)
    else:
        if isinstance(out, block_casts.BlockCodes):
            enc, y, y_mode = out, None, 0
        else:
            enc = block_casts.encode_float(x, fmt, mode, overflow, "raise", stochastic, axis=axis, pad=pad)
            y, y_mode = out, 1
        codes, table = _element_table(enc)
        scales = floating.decode_float(enc.scales, fmt.scale, np.float64)
        ts = np.float32(1.0 if enc.tensor_scale is None else enc.tensor_scale)
    scales = scales.reshape(-1)
    start, rand, seed, _, sto = _stochastic(_float_numbers(fmt), stochastic)
    lim, thr, p, sr, fx, _ = _element_flag_params(fmt, mode, stochastic)
    is_fixed = fmt.element.family == "fixed"
    flat = kernel_input(x, x.dtype)
    n, inner = x.shape[axis], math.prod(x.shape[axis + 1:])
    blocks = -(-n // fmt.block_size)
    geometry = (n, inner, fmt.block_size, blocks)
    per = np.zeros((8, scales.size if per_block else 0), np.int32)
    args = (start, flat if y is None else kernel_input(y, y.dtype), y_mode, codes, table, scales, geometry, ts,
            not fmt.power_of_two, rand, seed, p, sr, sto, lim, thr, is_fixed, fx)
    words = np.zeros((2, per.shape[1] if inner > 1 else 0), np.int64)
    runs = kern.block_groups(flat.size, geometry)
    chunks = run_ranges(lambda lo, hi: kern.block_element_flags(flat, per, words, runs[lo], runs[hi], *args),
                        runs.size - 1, flat.size / max(runs.size - 1, 1))
    return _block_element_report(chunks, per, x, fmt, ts, axis, pad, _at_limit(fmt, scales))


def _block_element_report(chunks: list, per: np.ndarray, x: np.ndarray, fmt, ts, axis: int, pad: bool,
                          at_limit: np.ndarray) -> CastReport:
    """The CastReport of a block cast from the counts of its element flags (``chunks``, in
    order) and per block (per, (8, blocks) int32, or (8, 0) without per-block counts), with
    the blocks' scale_top and scale_bottom (``_scale_limits`` of at_limit)."""
    top, bottom = _scale_limits(x, fmt, ts, axis, pad, at_limit)
    extra = dict(blocks=int(top.size), scale_top=int(top.sum()), scale_bottom=int(bottom.sum()))
    if per.shape[1]:
        shape = x.shape[:axis] + (-(-x.shape[axis] // fmt.block_size),) + x.shape[axis + 1:]
        counts = {name: per[k].reshape(shape) for k, name in enumerate(FLAG_NAMES[:8])}
        counts.update(div_by_zero=np.zeros(shape, np.int32), scale_top=top.reshape(shape).astype(np.int32),
                      scale_bottom=bottom.reshape(shape).astype(np.int32))
        extra["per_block"] = counts
    return CastReport.from_counts(combine(chunks), x.size, unit="elements", **extra)


def block_counted(x: np.ndarray, fmt, mode: Rounding, overflow: str, nan: str, stochastic, per_block: bool,
                  options: dict, want_code: bool = False) -> tuple:
    """(``block.round_float``'s result, or ``block.encode_float``'s for ``want_code``, its
    CastReport): counted in the float32 fast kernels' own pass where they take x
    (``kernels.block.tally_arrays``; with ``per_block``, per block too, for blocks of up to
    ``kernels.block.BLOCK_COUNT_MAX`` elements), else by ``block_report`` after the cast;
    float64 x by float32 stand-ins of slabs of it where it has them (``block.countable``: the
    same values, codes and counts), a round of float64 x without them (stochastic rounding) to
    signed elements with a zero, or fixed-point ones, as the float64 kernels round
    (``kernels.report.quantize_pow2_64_counted``: mxfp4, 1024 x 1024 standard normal, seeded,
    1 thread, CPU time, report=True 9.4 -> 4.7 ms, plain 3.1 ms, where ``block_report``'s pass
    after the cast cost 6.0 ms)."""
    if x.dtype == np.float64 and not fmt.power_of_two:
        return _counted_in_float32(x, fmt, mode, overflow, nan, stochastic, per_block, options, want_code)
    cast = block_casts.encode_float if want_code else block_casts.round_float
    start = stochastic.start if stochastic is not None else 0
    elem = fmt.element
    as_it_rounds = elem.family == "fixed" or (elem.signed and elem.zero)     # (``_pow2_float_flags``' elements)
    if x.dtype == np.float64 and not want_code and as_it_rounds and not block_casts.countable(x, fmt, stochastic):
        per = np.zeros((8, x.size // fmt.block_size if per_block else 0), np.int32)
        out, counts, exponents = cast(x, fmt, mode, overflow, nan, stochastic, count=start,
                                      element_flags=(_element_flag_params(fmt, mode, stochastic), per), **options)
        if counts is not None:
            axis = block_casts.blocked_axis(fmt, x.ndim, options.get("axis"))
            at_limit = block_casts.pow2_at_limit(exponents, fmt).reshape(-1)
            return out, _block_element_report(counts, per, x, fmt, np.float32(1.0), axis, False, at_limit)
        return out, block_report(x, fmt, mode, overflow, stochastic, out, per_block, options,
                                 block_casts.pow2_scales(exponents))
    fits = block_casts.countable(x, fmt, stochastic) and fmt.block_size <= block_kernels.BLOCK_COUNT_MAX
    cases = np.empty((9, x.size // fmt.block_size), np.int32) if per_block and fits else None
    if per_block and cases is None:
        out, scales = (cast(x, fmt, mode, overflow, nan, stochastic, **options), None) if want_code else \
            cast(x, fmt, mode, overflow, nan, stochastic, with_scales=True, **options)
        return out, block_report(x, fmt, mode, overflow, stochastic, out, per_block, options, scales)
    out, counts, scales = cast(x, fmt, mode, overflow, nan, stochastic, count=start, block_counts=cases, **options)
    if counts is None:
        return out, block_report(x, fmt, mode, overflow, stochastic, out, per_block, options, scales)
    k = 2 * kern.NFLAGS
    top, bottom = (sum(int(c[j]) for c in counts) for j in (k, k + 1))     # (np.sum of a list: 5-10 us)
    extra = dict(blocks=x.size // fmt.block_size, scale_top=top, scale_bottom=bottom)
    if per_block:
        axis = block_casts.blocked_axis(fmt, x.ndim, options.get("axis"))
        extra["per_block"] = _per_block_cases(cases, x, fmt, axis)
    return out, CastReport.from_counts(combine([c[:k] for c in counts]), x.size, unit="elements", **extra)


def _counted_in_float32(x: np.ndarray, fmt, mode: Rounding, overflow: str, nan: str, stochastic, per_block: bool,
                        options: dict, want_code: bool) -> tuple:
    """``block_counted`` of float64 x in a block format whose cast takes x in float32 first
    (scales that are not powers of two: nvfp4's recipe, ``block._quantize``): the cast of x32 =
    fl32(x), counted as that of a float32 input (the element values go by x32: every count but
    inexact is x32's), plus the elements that differ from x where the cast kept x32 (inexact:
    the result is a float32, x is not; ``kernels.report.kept_changes``), which are underflow and
    flushed_to_zero too where x32 is 0 and x is not. Where the fast kernels
    count x32 in their pass, nvfp4 2048 x 2048 standard normal float64, 1 thread, CPU time:
    report=True 26.5 -> 10.5 ms (plain 6.3 ms), against ``block_report``'s second pass over float64 x."""
    x32 = x.astype(np.float32)
    out, rep = block_counted(x32, fmt, mode, overflow, nan, stochastic, per_block, options, want_code)
    if want_code:       # (the values the codes stand for: a second cast costs less than decoding them)
        values = block_casts.round_float(x32, fmt, mode, overflow, nan, stochastic,
                                         **{k: v for k, v in options.items() if k != "packed"})
    else:
        values = out
    flat, flat32, flat_y = (np.ascontiguousarray(a).reshape(-1) for a in (x, x32, values))
    count, first, zeros, first_zero = kern.kept_changes(flat, flat32, flat_y)
    if count:
        rep = _add_kept(rep, "inexact", lambda: (values == x32) & (x32 != x), count, first, fmt, options)
    # among them the nonzero x whose x32 is 0, and so is the result: their exact element value is
    # nonzero and tiny, flushed to zero (x32's cast counted them as exact zeros)
    for name in ("underflow", "flushed_to_zero") if zeros else ():
        rep = _add_kept(rep, name, lambda: (x32 == 0) & (x != 0) & (values == 0), zeros, first_zero, fmt, options)
    return (out if want_code else out.astype(np.float64)), rep


def _add_kept(rep: CastReport, name: str, mask, count: int, first: int, fmt, options: dict) -> CastReport:
    """rep with ``count`` more of the count ``name``, the first of them at flat index ``first``,
    per block too where rep has per-block counts (mask() gives the elements, shaped like x)."""
    firsts = dict(rep.first, **{name: min(rep.first.get(name, int(first)), int(first))})
    per = rep.per_block
    if per is not None:
        per = dict(per, **{name: per[name] + _block_sums(mask(), fmt, options).astype(per[name].dtype)})
    return dataclasses.replace(rep, **{name: getattr(rep, name) + int(count)}, first=firsts, per_block=per)


def _block_sums(mask: np.ndarray, fmt, options: dict) -> np.ndarray:
    """The number of True elements of mask (shaped like a cast's input) in each block, shaped
    like the scales (a short last block padded where ``pad``)."""
    axis = block_casts.blocked_axis(fmt, mask.ndim, options.get("axis"))
    moved = np.moveaxis(mask, axis, -1)
    n = moved.shape[-1]
    padded = np.zeros(moved.shape[:-1] + (-(-n // fmt.block_size) * fmt.block_size,), np.int32)
    padded[..., :n] = moved
    sums = padded.reshape(moved.shape[:-1] + (-1, fmt.block_size)).sum(axis=-1, dtype=np.int32)
    return np.moveaxis(sums, -1, axis)


def rounding_report(fmt: FloatFormat, mode: Rounding, stochastic) -> tuple:
    """(p, sr, lim): how the reduction kernels count a rounding to fmt
    (``numfmt.kernels.accumulate``): ``unbounded_params``, their stochastic parameters (for
    ``stochastic``, the reduction's ``StochasticArgs`` or None) and the limits of
    ``kernels.report._float_flags``."""
    return unbounded_params(fmt, mode), _stochastic(fmt, stochastic)[3], _limits(fmt)
