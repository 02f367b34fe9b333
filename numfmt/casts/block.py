"""Casts of the block family: round (quantize-dequantize), encode to ``BlockCodes``, decode.

Power-of-two scales (MX, bfp): the shared exponent s of each block is exact (see
``numfmt.formats.block``) and each element is x / 2**s rounded once to the element format in the
requested rounding mode, saturating at the element's largest value (the OCP spec's clamp; Inf
and NaN are never clamped: they make their block's scale NaN). Values are element * 2**s, exact.

Scales with fraction bits (NVFP4) follow torchao's ``_nvfp4_quantize`` step by step in float32
(TransformerEngine's recipe): tensor_scale = fl32(amax / fl32(max_elem * max_scale)) over the
finite values (1.0 when that is 0 or ``tensor_scale=None``), block scale
= E4M3_RNE(clamp(fl32(fl32(block amax / max_elem) / tensor_scale), 2**-6, 448)),
total = fl32(tensor_scale * block scale), element = E2M1(clamp(fl32(x / total), -6, 6)) in the
rounding mode, value = fl32(element * total). float64 inputs are rounded to float32 first.

Packing (``packed=True``): the codes in C order of x's shape; 4-bit codes two per byte, code
2i in the low nibble of byte i; 6-bit codes four per three bytes: the 24-bit little-endian
word c0 | c1 << 6 | c2 << 12 | c3 << 18 of codes 4i .. 4i+3 (c0 in the low bits of byte 3i).
A short tail is padded with zero codes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..formats.block import SCALE_RULES, BlockFormat
from ..kernels import block as kern
from ..kernels import report as report_kernels
from ..kernels.flagcount import FIELD_MAX
from ..kernels.floating import Fast32Params
from ..random import random_bits as _random_bits
from ..rounding import Rounding, mode_flags
from . import fixed as fixed_casts
from . import floating
from ..parallel import run_ranges
from .common import as_code_array, code_dtype, kernel_input, kernel_random_bits

__all__ = ["BlockCodes", "round_float", "encode_float", "decode_codes"]

SCALE_MIN_NVFP4 = 2.0 ** -6    # torchao's E4M3_EPS = torch.finfo(float8_e4m3fn).tiny


@dataclass(frozen=True)
class BlockCodes:
    """The result of ``numfmt.encode`` for a block format.

    Attributes:
        codes: element codes, shaped like x (with ``packed``: a flat uint8 array, see
            ``numfmt.casts.block`` for the bit order; ``shape`` gives x's shape).
        scales: scale codes, x's shape with the blocked axis divided by the block size
            (rounded up with ``pad``).
        tensor_scale: the per-tensor float32 scale (formats with ``tensor_scale="amax"``,
            i.e. nvfp4), else None.
        fmt: the BlockFormat; axis: the blocked axis (non-negative); shape: x's shape;
        packed: whether codes are packed.
    """

    codes: np.ndarray
    scales: np.ndarray
    tensor_scale: np.float32 | None
    fmt: BlockFormat
    axis: int
    shape: tuple
    packed: bool = False


# ----------------------------------------------------------------------------- layout
def blocked_axis(fmt: BlockFormat, ndim: int, axis) -> int:
    """The axis the blocks run along (the format's default for None), checked, non-negative."""
    axis = fmt.axis if axis is None else axis
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if ndim == 0:
        raise ValueError(f"{fmt.name} quantizes blocks along an axis; x must have at least one dimension")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for x with {ndim} dimension(s)")
    return int(axis) % ndim


def check_length(length: int, fmt: BlockFormat, axis: int, pad: bool) -> int:
    """How many zeros pad the blocked axis of this length (ValueError unless 0 or ``pad``)."""
    bs = fmt.block_size
    tail = -length % bs
    if tail and not pad:
        raise ValueError(f"the length {length} of axis {axis} is not a multiple of the block size {bs} "
                         f"of {fmt.name}; pass pad=True to pad the last block with zeros")
    return tail


def as_blocks(x: np.ndarray, fmt: BlockFormat, axis: int, pad: bool):
    """x as the kernels' C-contiguous (rows, block_size, inner) array (zero-padded with pad)."""
    bs = fmt.block_size
    tail = check_length(x.shape[axis], fmt, axis, pad)
    if tail:
        widths = [(0, 0)] * x.ndim
        widths[axis] = (0, tail)
        x = np.pad(x, widths)
    rows, inner = math.prod(x.shape[:axis + 1]) // bs, math.prod(x.shape[axis + 1:])     # (not -1: inner may be 0)
    return kernel_input(x, x.dtype).reshape(rows, bs, inner), x.shape


def _random(x: np.ndarray, padded_shape, axis: int, stochastic):
    """The flat explicit random bits in the padded layout, or None to draw them from the seed."""
    seed, k, _, rand = stochastic
    if padded_shape == x.shape:
        return rand
    if rand is None:      # element i of the unpadded x keeps random number start + i
        rand = _random_bits(seed, x.shape, k, stochastic.start)
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, padded_shape[axis] - x.shape[axis])
    return np.ascontiguousarray(np.pad(rand.reshape(x.shape), widths)).reshape(-1)


WORK_PER_ELEMENT = 2          # ``numfmt.parallel`` units per element of a block cast


def _run_rows(kernel, x3: np.ndarray, *args, work=None) -> list:
    """kernel(x3, lo, hi, *args) over row ranges (``numfmt.parallel.run_ranges``: blocks never
    straddle a range); x3 (rows, block_size, inner), or 2-D (inner = 1). ``work``: a function
    of no arguments whose result, a tuple made anew for each range, ends the kernel's arguments
    (its scratch arrays). The kernels' results in order."""
    per_row = WORK_PER_ELEMENT * math.prod(x3.shape[1:])
    if work is None:
        return run_ranges(lambda lo, hi: kernel(x3, lo, hi, *args), x3.shape[0], per_row)
    return run_ranges(lambda lo, hi: kernel(x3, lo, hi, *args, *work()), x3.shape[0], per_row)


# ----------------------------------------------------------------------------- kernels' numbers
def element_params(fmt: BlockFormat, dom64: bool, mode: Rounding, stochastic, want_code: bool):
    """(p, sr, fx) for the kernels: the float element's ``round_one`` parameters (the scale
    format's, unused, for fixed-point elements), the stochastic tuple (None for deterministic modes) and the
    fixed-point tuple (None for float elements)."""
    elem = fmt.element
    k, rule = (stochastic[1], stochastic[2]) if stochastic is not None else (1, "add")
    if elem.family == "fixed":
        sr = None if stochastic is None else (k, int(rule == "nearest"), 0)
        fx = (2.0 ** elem.frac_bits, int(mode), fmt.element_min_int, elem.max_int,
              k, rule == "nearest", (1 << elem.bits) - 1)
        placeholder = floating.kernel_params(fmt.scale, dom64, Rounding.NEAREST_EVEN, "saturate", "raise")[0]
        return placeholder, sr, fx
    p = floating.kernel_params(elem, dom64, mode, "saturate", "raise")[int(want_code)]
    sr = None if stochastic is None else floating.sr_params(elem, dom64, k, rule)
    return p, sr, None


def fast32_element(fmt: BlockFormat, dtype, mode: Rounding, stochastic):
    """(``Fast32Params``, ``kernels.floating.Code32``) of the element where the float32 fast
    kernels round the blocks of a float32 x (``kernels.block.quantize_pow2_fast32``,
    ``quantize_fp32_scaled_fast``): a float element that the float32 cast's fast kernels
    take in this mode (see ``casts.floating.fast32_params``), else None; in the other
    deterministic modes the ``Fast32Params`` is the pair (``Fast32Params``, ``Mode32``) of
    ``floating.directed32_args`` (``kernels.block.quantize_pow2_directed32``,
    ``quantize_fp32_scaled_directed``)."""
    elem = fmt.element
    if dtype != np.float32 or elem.family == "fixed":
        return None
    p32 = floating._fast32(elem, mode, "saturate", "raise", stochastic)
    if p32 is None:
        p32 = floating._directed32(elem, mode, "saturate", "raise", stochastic)
    if p32 is None:
        return None
    return p32, floating.fast_code32(elem, "saturate", "raise")


def fixed32_element(fmt: BlockFormat, mode: Rounding, stochastic) -> tuple:
    """``kernels.block._fixed_element32``'s (``FloatCast`` in float32 with the block's lower
    bound, ``ModeFlags``, code mask) of a fixed-point element."""
    elem = fmt.element
    k, rule = (stochastic[1], stochastic[2]) if stochastic is not None else (1, "add")
    c = fixed_casts.float_cast(elem, np.dtype(np.float32), k)._replace(lo=np.float32(fmt.element_min_int))
    flags = mode_flags(mode, k if stochastic is not None else 0, rule)
    return c, type(flags)(*map(np.int64, flags)), np.int64((1 << elem.bits) - 1)


def int32_element(fmt: BlockFormat, mode: Rounding, stochastic) -> tuple | None:
    """``kernels.block.Int32Params`` of a fixed-point element whose float32 blocks round to
    nearest even in the fast kernel (``kernels.block.int_element32``), else None."""
    if mode != Rounding.NEAREST_EVEN or stochastic is not None:
        return None
    if fixed32_element(fmt, mode, stochastic) is None:     # (a test turns the float32 kernels off there)
        return None
    elem = fmt.element
    f = np.float32
    return kern.Int32Params(f(2.0 ** elem.frac_bits), f(2.0 ** -elem.frac_bits), f(fmt.element_min_int),
                            f(elem.max_int), np.uint32((1 << elem.bits) - 1))


def rule_params(fmt: BlockFormat, dom_m: int = 52) -> tuple:
    """``kernels.block.shared_exponent``'s (rule, emax_elem, msig_frac, even_frac, s_lo, s_hi)
    for amax given as a float with dom_m fraction bits (52: float64, 23: float32). The two
    fractions are the thresholds of "rceil" and "even" in units of 2**-dom_m, exact: with
    frac an integer, frac > m / 2**k iff frac > floor(m / 2**k), and frac >= m / 2**k iff
    frac >= ceil(m / 2**k).

    >>> from numfmt.formats.registry import format
    >>> rule_params(format("mxfp8_e4m3"), 23)
    (0, 8, 6291456, 7864320, -127, 127)
    """
    emax = fmt.info.emax_elem
    s_lo, s_hi = fmt.scale_exp_range
    msig_frac = int((fmt.element_max / 2.0 ** emax - 1.0) * 2.0 ** 52)     # exact: max has few bits
    fb = fmt.element_frac_bits
    even52 = (1 << 52) - (1 << (51 - fb)) if fb <= 51 else 1 << 52        # 2**52: never
    drop = 52 - dom_m
    return (SCALE_RULES.index(fmt.scale_rule), emax, msig_frac >> drop, -(-even52 >> drop), s_lo, s_hi)


def _element_precision(fmt: BlockFormat) -> int:
    """The significant bits of fmt's elements (fixed point: its magnitude bits)."""
    elem = fmt.element
    return elem.bits - 1 if elem.family == "fixed" else elem.man_bits + 1


def _wide_normal_range(fmt: BlockFormat) -> bool:
    """Whether fmt's float element spans 2**14 or more from its smallest normal to its largest
    value (mxfp8's: an element below the smallest normal, 2**14 under its block's amax, is rare)."""
    info = fmt.element.info
    return getattr(info, "smallest_normal", 0) > 0 and info.max >= 2.0 ** 14 * info.smallest_normal


def fits_float32(fmt: BlockFormat) -> bool:
    """Whether float32 holds every value float32 inputs can produce, up to overflow at the top
    (which ``round`` reports): element precision <= 24 bits, smallest value >= 2**-149."""
    return _element_precision(fmt) <= 24 and fmt.element_quantum_exp + fmt.scale_exp_range[0] >= -149


def float32_domain(fmt: BlockFormat) -> bool:
    """Whether float32 inputs can be rounded in float32 arithmetic: the element rounds in the
    float32 domain, every value fits float32, and the element's quantum is at least
    2**TINY_QUANTUM_EXP, so that quotients below float32's normal range round like 2**-149
    (see ``kernels.block._unscaled32``)."""
    elem = fmt.element
    usable = elem.family == "fixed" or floating.float32_domain(elem)
    return usable and fits_float32(fmt) and fmt.element_quantum_exp >= kern.TINY_QUANTUM_EXP


def _may_stand_in(x: np.ndarray, fmt: BlockFormat, stochastic) -> bool:
    """Whether float64 x may be cast through float32 stand-ins, x rounded to odd in float32
    (``casts.floating.odd_slabs``), where every |x| lies below 2**127 (or is Inf or NaN): then
    the float32 kernels give x's results, codes and report counts bit for bit. They do for
    power-of-two scales, a deterministic mode and elements that float32 rounds
    (``float32_domain``) on a grid two bits coarser than float32's at every scale (precision
    <= 22 bits, quanta >= 2**-147): a result differs from x exactly where it differs from the
    stand-in (a rounded stand-in has an odd last bit, no result of such a grid has), and every
    flag's other test compares with a float32 number."""
    return bool(x.dtype == np.float64 and x.size and fmt.power_of_two and stochastic is None
                and _element_precision(fmt) <= 22 and fmt.element_quantum_exp + fmt.scale_exp_range[0] >= -147
                and float32_domain(fmt))


def countable(x: np.ndarray, fmt: BlockFormat, stochastic) -> bool:
    """Whether the fast kernels may count x's cast (``_quantize``'s ``count``): float32 x, or
    float64 x that ``_may_stand_in`` (counted by slabs; a slab without a stand-in counts
    nothing)."""
    return x.dtype == np.float32 or _may_stand_in(x, fmt, stochastic)


POW2_COUNT_MAX = FIELD_MAX     # the longest block counted as it rounds by the float64 kernels (``_spread``'s fields)
_COUNTED = {kern.quantize_pow2_64: report_kernels.quantize_pow2_64_counted,
            kern.quantize_pow2_fixed: report_kernels.quantize_pow2_fixed_counted}
SLAB = 1 << 18      # elements per float32 stand-in of a float64 quantization by slabs (in L2 with its result)


def _quantize_by_slabs(x, fmt: BlockFormat, mode, overflow, nan, axis: int, pad: bool, want_code: bool, count=None,
                       block_counts=None):
    """``_quantize`` of float64 x that ``_may_stand_in`` through float32 stand-ins of slabs of
    its first axis (``casts.floating.odd_slabs``, about SLAB elements each, whole blocks where
    the blocks run along that axis: the stand-in and its result stay in cache, where whole-array
    copies are allocated and page-faulted, which cost what the float32 kernels save), each
    counted where ``count`` is given (the counts of the stand-ins are x's; None where a slab
    goes uncounted, a padded one); None where a slab has no stand-in (then nothing is
    written)."""
    bs = fmt.block_size if axis == 0 else 1         # rows of x per row of the scales
    check_length(x.shape[axis], fmt, axis, pad)     # (a slab's length is not x's)
    row_size = x.size // x.shape[0]
    rows = max(bs, SLAB // row_size // bs * bs)
    out = scales = None
    counts = None if count is None else []
    firsts = np.full(kern.NFLAGS, -1, np.int64)      # the first indices found so far
    for r0, stand_in in floating.odd_slabs(x, rows):
        if stand_in is None:
            return None
        cases = None if block_counts is None else np.empty((9, -(-stand_in.size // fmt.block_size)), np.int32)
        result, per_block, ts, axis, slab_counts = _quantize(stand_in, fmt, mode, overflow, nan, None, axis, pad,
                                                             want_code, count=count if count is None else
                                                             count + r0 * row_size, block_counts=cases,
                                                             firsts=firsts)
        if out is None:
            out = np.empty(x.shape[:1] + result.shape[1:], result.dtype if want_code else np.float64)
            scales = np.empty((-(-x.shape[0] // bs),) + per_block.shape[1:], per_block.dtype)
        out[r0:r0 + rows] = result
        s0 = r0 // bs
        scales[s0:s0 + per_block.shape[0]] = per_block
        if slab_counts is None:
            counts = count = None
        elif counts is not None:
            counts += slab_counts
            for c in slab_counts:       # (the first slab's scan found them: the next ones look for no others)
                firsts = np.where(firsts >= 0, firsts, c[kern.NFLAGS:2 * kern.NFLAGS])
            if cases is not None:
                b0 = s0 * (per_block.size // per_block.shape[0])
                block_counts[:, b0:b0 + per_block.size] = cases
    return out, scales, ts, axis, counts


def check_options(fmt: BlockFormat, overflow: str, nan: str) -> None:
    """The overflow and nan policies a block format takes (ValueError for others)."""
    if nan != "raise":
        raise ValueError(f"nan applies to element formats; a NaN in a block of {fmt.name} makes the block's "
                         f"scale NaN (leave nan at its default); got nan={nan!r}")
    if overflow not in ("ieee", "saturate"):
        raise ValueError(f"overflow must be 'ieee' or 'saturate' for the block format {fmt.name} (elements "
                         f"above the element maximum are clamped, as the OCP MX spec says); got {overflow!r}")


def finite_amax(x: np.ndarray) -> np.float32:
    """The largest magnitude of the finite values of x in float32 (0 when there is none)."""
    return np.int32(kern.finite_amax32(kernel_input(x, np.float32).view(np.int32))).view(np.float32)


def _tensor_scale(x: np.ndarray, fmt: BlockFormat, amax=None) -> np.float32:
    """The per-tensor scale from x's ``finite_amax``, or from ``amax`` when x is a chunk of the
    tensor whose finite amax that is (``numfmt.distributed``)."""
    if fmt.tensor_scale is None:
        return np.float32(1.0)
    return tensor_scale_of(fmt, finite_amax(x) if amax is None else amax)


def tensor_scale_of(fmt: BlockFormat, amax) -> np.float32:
    """The per-tensor scale of a tensor whose ``finite_amax`` is amax: fl32(amax / fl32(max_elem
    * max_scale)), 1.0 where that is 0."""
    ts = np.float32(amax) / np.float32(fmt.element_max * fmt.scale.info.max)
    return ts if ts > 0 else np.float32(1.0)


def _check_float32(out: np.ndarray, exponents: np.ndarray, fmt: BlockFormat) -> None:
    """OverflowError where the float32 values ``out`` of finite inputs overflowed (the kernel
    left Inf there): only blocks with a shared exponent of at least 127 - emax_elem can
    (float element values lie below 2**(emax_elem + 1), two's-complement ones reach -2**(emax_elem
    + 1): mxint8's -2 at exponent 127 is -2**128), so out is searched only when there is one."""
    if (exponents >= 127 - fmt.info.emax_elem).any():
        too_big = np.count_nonzero(np.isinf(out))      # Inf inputs give NaN scales, not Inf
        if too_big:
            raise OverflowError(f"{too_big} values of x quantized to {fmt.name} exceed float32's range; "
                                "pass x as float64")


def _quantize(x, fmt: BlockFormat, mode, overflow, nan, stochastic, axis, pad, want_code, amax=None, count=None,
              block_counts=None, firsts=None, element_flags=None):
    """(values or codes shaped like x, scale exponents / values per block, tensor scale, axis,
    counts): with ``count`` (the index of x's element 0) the float32 fast kernels count the
    report as they round (``kernels.block.tally_arrays``' counts, one array per row range;
    ``firsts`` as there), where they run and x is not padded; else counts is None. Where they
    count, they count per block too into ``block_counts`` if it is given (the (9, blocks) int64
    counts of ``kernels.block.block_words``; block sizes up to
    ``kernels.block.BLOCK_COUNT_MAX``). ``element_flags`` = (params, per) lets the float64
    kernels of power-of-two scales count a round of float64 x as they round
    (``kernels.report.quantize_pow2_64_counted``, ``quantize_pow2_fixed_counted``: params as
    theirs, per the (8, blocks) int32 per-block counts or (8, 0)) where x is not padded and
    blocks hold at most POW2_COUNT_MAX elements; their counts are ``kernels.flagcount``'s."""
    check_options(fmt, overflow, nan)
    axis = blocked_axis(fmt, x.ndim, axis)
    if _may_stand_in(x, fmt, stochastic):      # float64 x, through float32 stand-ins
        slabbed = _quantize_by_slabs(x, fmt, mode, overflow, nan, axis, pad, want_code, count, block_counts)
        if slabbed is not None:
            return slabbed
    pow2 = fmt.power_of_two
    if not pow2:
        x = x.astype(np.float32, copy=False)
    x3, padded_shape = as_blocks(x, fmt, axis, pad)
    rand = _random(x, padded_shape, axis, stochastic) if stochastic is not None else None
    start = stochastic.start if stochastic is not None and rand is None else 0     # explicit bits: from 0
    fast_rand = rand if rand is None else kernel_random_bits(rand)     # the fast kernels: None for a seed
    rand = kernel_random_bits(rand)
    seed = np.uint64(stochastic[0] if stochastic is not None else 0)
    dom64 = not (pow2 and x.dtype == np.float32 and float32_domain(fmt)) if pow2 else False
    p, sr, fx = element_params(fmt, dom64, mode, stochastic, want_code)
    codes = out = None
    if want_code:
        codes = np.empty(x3.shape, code_dtype(fmt.element.bits))
    else:
        wide = pow2 and (x.dtype == np.float64 or not fits_float32(fmt))
        out = np.empty(x3.shape, np.float64 if wide else np.float32)
    per_block = np.empty((x3.shape[0], x3.shape[2]), np.int32 if pow2 else np.float32)
    ts = np.float32(1.0)
    layout = (lambda a: a.reshape(a.shape[:2])) if x3.shape[2] == 1 else (lambda a: a)   # see kernels.block
    arrays = (layout(x3), out if out is None else layout(out), codes if codes is None else layout(codes), per_block)
    flat = arrays[:3] + (per_block.reshape(-1),)        # the fast kernels write the per-block array flat
    fast = fast32_element(fmt, x.dtype, mode, stochastic) if not dom64 else None
    directed = fast is not None and not isinstance(fast[0], Fast32Params)
    if fast is not None:        # the element's float32 step: (p32, cp, k, element) in place of (p, sr[, fx])
        p32, cp = fast
        cp = cp if want_code else None
        element = p32[0] if directed else p32
        lim = (True if pow2 else None, element.normal_bits, element.q_bits, None, None)
        fast = (p32, cp, None if stochastic is None else np.int64(stochastic[1]))
        fast_kernel = kern.quantize_pow2_directed32 if directed else kern.quantize_pow2_fast32
    elif pow2 and fx is not None and not dom64:
        q = int32_element(fmt, mode, stochastic)
        fx32 = None if q is not None or (stochastic is not None and stochastic[1] > 32) else \
            fixed32_element(fmt, mode, stochastic)
        if q is not None:
            fast, fast_kernel = (q, q.mask if want_code else None, None), kern.quantize_pow2_int32
        elif fx32 is not None:      # the other modes
            fast = (fx32, fx32[2] if want_code else None, None if stochastic is None else np.int64(stochastic[1]))
            fast_kernel = kern.quantize_pow2_fixed_fast32
        lim = (True, None, None, None, None)     # (never subnormal: kernels.block._cases32)
    # the report's scale_bottom of scales with fraction bits goes by the scale's smallest normal
    bottom = pow2 or fmt.scale.info.smallest_normal == SCALE_MIN_NVFP4
    counted = count is not None and fast is not None and padded_shape == x.shape and bottom
    if counted and pow2 and isinstance(fast[0], Fast32Params) and stochastic is None and _wide_normal_range(fmt):
        lim = lim[:3] + (True, None)    # nearest even: count by the screen (kernels.block._screened_pass32)

    def work():
        tally = kern.tally_arrays(count, x3.shape[1], firsts) if counted else None
        blocks = kern.block_words(block_counts, x3.shape) if counted and block_counts is not None else None
        return kern.fast32_work(x3.shape, stochastic is not None), tally, blocks

    tallies = counts = None
    if pow2:
        if fast is not None:
            tallies = _run_rows(fast_kernel, *flat, fast_rand, seed, start, *fast, rule_params(fmt, 23), lim,
                                work=work)
        else:
            fx32 = fixed32_element(fmt, mode, stochastic) if fx is not None and not dom64 else None
            if fx32 is not None:
                kernel, fx = kern.quantize_pow2_fixed32, fx32
            else:
                kernel = kern.quantize_pow2_fixed if fx is not None else kern.quantize_pow2_64 if dom64 else \
                    kern.quantize_pow2_32
            counted_kernel = _COUNTED.get(kernel) if out is not None and out.dtype == np.float64 else None
            if counted_kernel is not None and element_flags is not None and count is not None \
                    and padded_shape == x.shape and x3.shape[1] <= POW2_COUNT_MAX:
                params, per = element_flags
                counts = _run_rows(counted_kernel, *arrays, rand, seed, start, p, sr, fx, rule_params(fmt),
                                   work=lambda: kern.pow2_tally(params, per, x3.shape, count))
            else:
                _run_rows(kernel, *arrays, rand, seed, start, p, sr, fx, rule_params(fmt))
        if out is not None and out.dtype == np.float32:
            _check_float32(out, per_block, fmt)
    else:
        scale32 = floating.fast32_params(fmt.scale, "saturate", "raise") if fast is not None else None
        if scale32 is None:
            ts = _tensor_scale(x, fmt, amax)
            scale_p = floating.kernel_params(fmt.scale, False, Rounding.NEAREST_EVEN, "saturate", "raise")[0]
            _run_rows(kern.quantize_fp32_scaled, *arrays, rand, seed, start, p, sr, scale_p, ts, fmt.element_max,
                      SCALE_MIN_NVFP4, fmt.scale.info.max)
        else:       # a first pass, unless the tensor's amax is given: the blocks' amax bits, where their
            amaxes = None       # scales go next, and the finite amax; else each group's in its own pass (in L1)
            if amax is None:
                amaxes = flat[3].view(np.int32)
                amax = np.int32(max(_run_rows(kern.block_amax32, flat[0], amaxes))).view(np.float32)
            ts = _tensor_scale(x, fmt, amax)
            scaled_kernel = kern.quantize_fp32_scaled_directed if directed else kern.quantize_fp32_scaled_fast
            tallies = _run_rows(scaled_kernel, *flat, amaxes, fast_rand, seed, start, *fast, scale32,
                                ts, fmt.element_max, np.float32(SCALE_MIN_NVFP4), np.float32(fmt.scale.info.max),
                                lim, work=work)
    result = (codes if want_code else out).reshape(padded_shape)
    result = result[tuple(slice(0, n) for n in x.shape)]
    scales_shape = padded_shape[:axis] + (padded_shape[axis] // fmt.block_size,) + padded_shape[axis + 1:]
    if counted and tallies is not None:
        counts = [t[0] for t in tallies]
    if counted and counts is not None and block_counts is not None:
        kern.block_cases(block_counts)
    return np.ascontiguousarray(result), per_block.reshape(scales_shape), ts, axis, counts


def round_float(x: np.ndarray, fmt: BlockFormat, mode: Rounding, overflow: str, nan: str,
                stochastic=None, *, axis=None, pad: bool = False, amax=None, with_scales: bool = False, count=None,
                block_counts=None, element_flags=None):
    """x quantized to fmt and back: float32 for float32 (and narrower) inputs, float64 for
    float64 inputs (float32 values for nvfp4). NaN inputs need no ``nan`` policy (it must stay
    "raise"): every scale format has NaN, and their block's scale is NaN. ``amax``: the
    tensor's ``finite_amax`` where x is a chunk of it (formats with a tensor scale; the float32
    fast kernels then skip their first pass, ``block_amax32``).
    ``with_scales``: (values, the blocks' scale values as float64, shaped like the scales,
    for power-of-two scales, else None), for the cast's report; ``count`` (the index of x's
    element 0) adds the report's counts where the kernels count them for float32 x (see
    ``_quantize``, and its ``block_counts``; else None): (values, counts, scales); with
    ``element_flags`` (``_quantize``'s) float64 x's too, and in place of scales the scale
    exponents (``pow2_scales`` gives their values)."""
    counting = count is not None and (countable(x, fmt, stochastic) or element_flags is not None)
    values, per_block, _, _, counts = _quantize(x, fmt, mode, overflow, nan, stochastic, axis, pad, want_code=False,
                                                amax=amax, count=count if counting else None,
                                                block_counts=block_counts, element_flags=element_flags)
    if not fmt.power_of_two and x.dtype == np.float64:
        values = values.astype(np.float64)
    if count is None and not with_scales:
        return values
    if element_flags is not None:
        return values, counts, per_block
    scales = pow2_scales(per_block) if fmt.power_of_two and counts is None else None
    return (values, counts, scales) if count is not None else (values, scales)


def pow2_scales(exponents: np.ndarray) -> np.ndarray:
    """The scale values (float64) of power-of-two scales from their exponents (NaN: ``NAN_EXP``)."""
    return np.where(exponents == kern.NAN_EXP, np.nan, np.ldexp(1.0, exponents))


def pow2_at_limit(exponents: np.ndarray, fmt: BlockFormat) -> np.ndarray:
    """Whether each power-of-two scale (exponents as ``_quantize`` gives them) lies at a limit
    of the scale format or is NaN."""
    lo, hi = fmt.scale_exp_range
    return (exponents == kern.NAN_EXP) | (exponents <= lo) | (exponents >= hi)


def _pow2_offset(scale) -> int:
    """code - s of the power-of-two scale 2**s in the scale format (no fraction bits, unsigned:
    magnitude code c has the value 2**(emin + c - code_offset - 1), see ``magnitude_value``)."""
    return scale.code_offset + 1 - scale.emin


def _pow2_codes(exponents: np.ndarray, scale) -> np.ndarray:
    """The scale codes of power-of-two scales from their exponents (``NAN_EXP``: the NaN code),
    as ``floating.encode_float`` gives them (numpy: no kernel to compile)."""
    codes = np.where(exponents == kern.NAN_EXP, scale.nan_code, exponents + _pow2_offset(scale))
    return codes.astype(code_dtype(scale.bits))


def _pow2_values(codes: np.ndarray, fmt: BlockFormat) -> np.ndarray | None:
    """The float64 values of power-of-two scale codes that ``_pow2_codes`` can give (a scale
    exponent in the format's range, or the NaN code); None where other codes occur."""
    exponents = codes.astype(np.int64) - _pow2_offset(fmt.scale)
    lo, hi = fmt.scale_exp_range
    nan = codes == fmt.scale.nan_code
    if not np.all(nan | ((exponents >= lo) & (exponents <= hi))):
        return None
    return np.where(nan, np.nan, np.ldexp(1.0, exponents))


def encode_float(x: np.ndarray, fmt: BlockFormat, mode: Rounding, overflow: str, nan: str,
                 stochastic=None, *, axis=None, pad: bool = False, packed: bool = False, amax=None, count=None,
                 block_counts=None):
    """The BlockCodes of x: element codes, scale codes, the tensor scale (nvfp4); ``amax`` as
    for ``round_float``; ``count`` and ``block_counts`` as there: (BlockCodes, counts, None)."""
    counting = count is not None and countable(x, fmt, stochastic)
    codes, per_block, ts, axis, counts = _quantize(x, fmt, mode, overflow, nan, stochastic, axis, pad,
                                                   want_code=True, amax=amax, count=count if counting else None,
                                                   block_counts=block_counts)
    if fmt.power_of_two:
        scales = _pow2_codes(per_block, fmt.scale)
    else:
        scales = floating.encode_float(per_block, fmt.scale, Rounding.NEAREST_EVEN, "ieee", "raise")
    _nan_scale_codes(codes, per_block == kern.NAN_EXP if fmt.power_of_two else np.isnan(per_block), fmt, axis)
    shape = codes.shape
    if packed:
        codes = pack(codes, fmt.element.bits)
    enc = BlockCodes(codes, scales, ts if fmt.tensor_scale is not None else None, fmt, axis, shape, packed)
    return enc if count is None else (enc, counts, None)


def _nan_scale_codes(codes: np.ndarray, nan: np.ndarray, fmt: BlockFormat, axis: int) -> None:
    """Set the codes of every element of a block whose scale is NaN (``nan``, shaped like the
    scales) to the element's NaN code (the code ``encode`` gives NaN; 0 where the element has no
    NaN): the kernels gave a negative NaN input its negative NaN code along the axes other than
    the last (their products with a NaN scale keep either NaN's sign)."""
    if not nan.any():
        return
    elem = fmt.element
    code = floating.encode_float(np.array([np.nan]), elem, Rounding.NEAREST_EVEN, "ieee", "raise")[0] \
        if getattr(elem, "has_nan", False) else 0
    n = codes.shape[axis]
    spread = np.repeat(nan, fmt.block_size, axis=axis)[(slice(None),) * axis + (slice(0, n),)]
    codes[spread] = code


# ----------------------------------------------------------------------------- packing
def pack(codes, bits: int, ops=None):
    """4-bit codes two per byte (low nibble first), 6-bit codes four per three bytes (24-bit
    little-endian words, first code in the low bits), C order; a short tail is zero-padded.
    ``ops``: the array operations (``pad``, ``stack``, ``astype``) of the array library of
    ``codes`` (``numfmt.backend_block`` has torch's and JAX's); NumPy's by default.

    >>> pack(np.array([1, 2, 3], np.uint8), 4).tolist()
    [33, 3]
    """
    ops = ops or NUMPY_OPS
    per, nbytes = _packing(bits)
    flat = ops.astype(codes.reshape(-1), "int32")
    flat = ops.pad(flat, 0, -flat.shape[0] % per).reshape(-1, per)
    word = sum(flat[:, i] << (bits * i) for i in range(per))
    return ops.astype(ops.stack([(word >> (8 * b)) & 0xFF for b in range(nbytes)], 1), "uint8").reshape(-1)


def unpack(packed, bits: int, shape, ops=None):
    """The inverse of ``pack``: uint8 codes of the given shape (``ops`` as there)."""
    ops = ops or NUMPY_OPS
    per, nbytes = _packing(bits)
    data = ops.astype(packed, "int32").reshape(-1, nbytes)
    word = sum(data[:, b] << (8 * b) for b in range(nbytes))
    codes = ops.stack([(word >> (bits * i)) & ((1 << bits) - 1) for i in range(per)], 1)
    return ops.astype(codes.reshape(-1)[:math.prod(shape)], "uint8").reshape(shape)


def _packing(bits: int) -> tuple[int, int]:
    """(codes per word, bytes per word) of packed codes of this width."""
    if bits not in (4, 6):
        raise ValueError(f"packed=True packs 4-bit and 6-bit element codes; these have {bits} bits")
    return (2, 1) if bits == 4 else (4, 3)


class _NumpyOps:
    """The array operations ``pack`` and ``unpack`` use, in NumPy."""

    @staticmethod
    def pad(a: np.ndarray, axis: int, n: int) -> np.ndarray:
        """a with n zeros appended along axis."""
        return np.pad(a, [(0, n if i == axis else 0) for i in range(a.ndim)])

    stack = staticmethod(np.stack)

    @staticmethod
    def astype(a, name: str) -> np.ndarray:
        return np.asarray(a).astype(name)


NUMPY_OPS = _NumpyOps()


# ----------------------------------------------------------------------------- decode
def element_values(obj: BlockCodes) -> tuple[np.ndarray, np.ndarray]:
    """(element values, scale values) of a BlockCodes, float64, both shaped like the encoded x:
    every element with its block's scale value (NaN for NaN scales)."""
    fmt = obj.fmt
    codes = unpack(obj.codes, fmt.element.bits, obj.shape) if obj.packed else obj.codes
    if fmt.element.family == "fixed":
        elements = fixed_casts.decode_float(codes, fmt.element, np.float64)
    elif fmt.element.bits <= floating.TABLE_BITS:     # numpy's gather: no lookup kernel to compile
        elements = floating.decode_table(fmt.element, np.dtype(np.float64))[as_code_array(codes, fmt.element.bits)]
    else:
        elements = floating.decode_float(codes, fmt.element, np.float64)
    scales = _pow2_values(obj.scales, fmt) if fmt.power_of_two else None
    if scales is None:
        scales = floating.decode_float(obj.scales, fmt.scale, np.float64)
    return elements, np.repeat(scales, fmt.block_size, axis=obj.axis)[tuple(slice(0, n) for n in obj.shape)]


def _check_codes(obj: BlockCodes) -> None:
    """That a BlockCodes (``encode`` makes them well formed; its fields are public) holds
    element codes of its shape and scale codes (integers below 2**scale bits) shaped as its
    blocks: a clear error naming the field, not a silent truncation or broadcast."""
    fmt, scales = obj.fmt, np.asarray(obj.scales)
    blocks = tuple(-(-n // fmt.block_size) if i == obj.axis else n for i, n in enumerate(obj.shape))
    if scales.dtype.kind not in "iu":
        raise TypeError(f"scales must be an integer array of {fmt.scale.name} codes; got dtype {scales.dtype}")
    if scales.shape != blocks:
        raise ValueError(f"scales must have the shape of the blocks, {blocks} (x's shape {tuple(obj.shape)} with "
                         f"axis {obj.axis} in blocks of {fmt.block_size}); got {scales.shape}")
    if scales.size and (scales.min() < 0 or scales.max() >= 1 << fmt.scale.bits):
        raise ValueError(f"scales must lie in [0, 2**{fmt.scale.bits}) ({fmt.scale.name} codes); got values from "
                         f"{scales.min()} to {scales.max()}")
    if not obj.packed and np.shape(obj.codes) != tuple(obj.shape):
        raise ValueError(f"codes must have the BlockCodes' shape {tuple(obj.shape)}; got {np.shape(obj.codes)}")


def decode_codes(obj: BlockCodes, fmt, dtype) -> np.ndarray:
    """The values of a BlockCodes (float32 or float64): element * scale, NaN for NaN scales.
    nvfp4: fl32(element * fl32(tensor_scale * block scale)), as its encoding computed it."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if fmt is not None and fmt != obj.fmt:
        raise ValueError(f"fmt {fmt.name} does not match the BlockCodes' format {obj.fmt.name}")
    fmt = obj.fmt
    _check_codes(obj)
    elements, scales = element_values(obj)
    if fmt.power_of_two:
        values = elements * scales
        if dtype == np.float32 and np.any(np.abs(values[np.isfinite(values)]) > np.finfo(np.float32).max):
            raise OverflowError(f"values of these {fmt.name} codes exceed float32's range; pass dtype=np.float64")
        return values.astype(dtype)
    tensor_scale = np.float32(1.0) if obj.tensor_scale is None else np.float32(obj.tensor_scale)
    total = tensor_scale * scales.astype(np.float32)
    return (elements.astype(np.float32) * total).astype(dtype)
