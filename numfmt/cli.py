"""The ``numfmt`` command line: list formats, show one, round, encode and decode values, run the demo
and the study.

Commands::

    numfmt list                          every registered format: name, aliases, bits, max, smallest subnormal
    numfmt info FORMAT                   all properties and aliases; every value by code (at most 8 bits),
                                         the regimes of a posit, the element x scale breakdown of a block format
    numfmt round FORMAT VALUES... [-r R] [-o O] [--nan N] [--seed S] [--sr-bits K] [--rng G]
    numfmt encode FORMAT VALUES... [same options]   the codes, in hex
    numfmt decode FORMAT CODES...        the values of codes (0x-prefixed hex or decimal)
    numfmt demo                          a short showcase (also what plain ``numfmt`` runs)
    numfmt study [--data FILE ...] [--bits 4,6,8] [--formats ...] [--out DIR] [--quick]
                                         which format suits which tensor: errors, MLP accuracy, plots, report
    numfmt warmup [--jobs N]             compile every kernel ahead, into Numba's disk cache
    numfmt verify [--quick | --full] [--only SUBSTRING]
                                         compare with the installed oracles; exit status 1 on a mismatch
    numfmt --version

``python -m numfmt`` runs the same program (GNU coreutils ships another ``numfmt``, which may come
first on PATH). Values are decimals (``0.1``, ``-2.5e-3``), ``inf``, ``nan``, fractions ``a/b`` or
hex floats with a ``p`` exponent (``0x1.8p+1``); each is taken exactly, not through float64's
rounding: a value that is not a float64 is rounded to odd at float64's 53 bits first, which keeps
every bit a deterministic rounding to at most 51 bits needs (the discarded fraction that
stochastic rounding compares with its random bits is exact to 52 - precision bits).
``round -r sr`` encodes each value once and decodes that code, so value and code belong to the
same random draw; element i uses random number i of ``--seed`` (drawn from the OS and printed on
stderr when not given) from the generator ``--rng`` (splitmix64 or squares), as
``numfmt.round(x, fmt, "sr", seed=S, rng=G)`` does.

Bad input (an unknown name, a value that is not a number, a code out of range, an option the
format does not take, an overflow under ``--overflow raise``) prints a one-line error on stderr
and gives exit status 2.

Example:
    >>> from numfmt.cli import main
    >>> main(["round", "e4m3", "1.06", "465", "--overflow", "saturate"])
    1.06 -> 1 (code 0x38)
    465 -> 448 (code 0x7e)
    0
    >>> main(["round", "e2m1", "2.5", "--rounding", "rna"])
    2.5 -> 3 (code 0x5)
    0
    >>> main(["round", "e4m3", "1.0625000000000000001"])    # exactly: just above the tie 1.0625
    1.0625000000000000001 -> 1.125 (code 0x39)
    0
    >>> main(["decode", "e4m3", "0x7e", "56"])
    0x7e -> 448
    56 -> 1
    0
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import re
import sys
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np

from . import __version__, accumulate, ops, study, verify, warmup
from .casts import decode, encode, round as _round
from .formats.registry import format as _format, registered
from .random import RNGS, random_bits, resolve_seed
from .rounding import DETERMINISTIC_ROUNDINGS, OVERFLOW_POLICIES, ROUNDING_NAMES, Rounding, rounding_mode

DEMO_VALUES = (("0.1", 0.1), ("1/3", 1 / 3), ("300", 300.0), ("465", 465.0), ("1e-5", 1e-5), ("-2.5", -2.5))
DEMO_FORMATS = ("binary16", "bfloat16", "e4m3", "e5m2", "e2m1")
_SHORT = {mode: alias for alias, m in ROUNDING_NAMES.items() for mode in [m] if len(alias) <= 3}
ROUNDING_HELP = ", ".join(f"{name} ({_SHORT[mode]})" for name, mode in ROUNDING_NAMES.items() if name != _SHORT[mode])
# the --nan choices each family takes; posits turn NaN into NaR, whatever --nan says
NAN_CHOICES = {"float": ("raise", "ml_dtypes"), "fixed": ("raise", "zero"), "posit": ("raise",)}
NAN_HELP = ("what a NaN input becomes in a format without NaN. Float formats (FP6, FP4): raise (default, "
            "an error) or ml_dtypes (the zero of the other sign, as ml_dtypes does); integer and fixed-point "
            "formats: raise or zero (0); posits: NaN always becomes NaR (only raise is accepted); formats "
            "with a NaN keep it")
OVERFLOW_HELP = ("ieee (default: Inf where the format has one, else NaN, else the largest value), saturate "
                 "(the largest value), raise (an error); integer and fixed-point formats also take wrap "
                 "(two's complement); posits saturate under ieee and saturate")
_FLOAT64_MAX = Fraction(np.finfo(np.float64).max)
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", re.IGNORECASE)
_RATIO = re.compile(r"([+-]?\d+)/(\d+)")
_HEX_FLOAT = re.compile(r"([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?\d+)", re.IGNORECASE)
_HEX_INT = re.compile(r"[+-]?0x[0-9a-f.]*", re.IGNORECASE)
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
            "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan, "+nan": math.nan, "-nan": -math.nan}


class CliError(ValueError):
    """A bad argument of the command line, phrased for it (one line, exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``numfmt round: error: ... (see numfmt round --help)``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _num(v: float) -> str:
    """A float as text, exactly (shortest repr), integers without ``.0``.

    >>> _num(448.0), _num(-0.0), _num(0.001953125), _num(float("nan")), _num(2.0 ** 70)
    ('448', '-0', '0.001953125', 'nan', '1.1805916207174113e+21')
    """
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e16:
        return ("-" if math.copysign(1.0, v) < 0 else "") + str(abs(int(v)))
    return repr(v)


def _pow2(e: int) -> str:
    """``2**e`` as text, for exponents of scales and posit regimes."""
    return f"2**{e}"


# ----------------------------------------------------------------------------- parsing numbers
def _odd_float64(q: Fraction) -> float:
    """q rounded to odd at float64's 53 bits: q itself if it is a float64, else the neighbour
    with an odd last bit (±max beyond the range). Rounding that once more to at most 51 bits,
    in any deterministic mode, gives the rounding of q itself.

    >>> _odd_float64(Fraction(1, 3)).hex(), _odd_float64(Fraction(1, 4)).hex(), _odd_float64(Fraction(10) ** 400)
    ('0x1.5555555555555p-2', '0x1.0000000000000p-2', 1.7976931348623157e+308)
    """
    m = abs(q)
    if m > _FLOAT64_MAX:
        f = float(_FLOAT64_MAX)             # its last bit is odd
    else:
        f = float(m)                        # correctly rounded (ties to even)
        if Fraction(f) != m:
            lo, hi = (math.nextafter(f, 0.0), f) if Fraction(f) > m else (f, math.nextafter(f, math.inf))
            f = lo if np.float64(lo).view(np.int64) & 1 else hi
    return -f if q < 0 else f


def _parse_value(text: str) -> float:
    """A value: a decimal, ``inf``/``nan``, a fraction ``a/b`` or a hex float ``0x1.8p+1``, read
    exactly and rounded to odd at float64's precision (see ``_odd_float64``).

    >>> _parse_value("1/3") == 1 / 3, _parse_value("0x1.8p1"), _parse_value("-2.5"), _parse_value("1e-400")
    (True, 3.0, -2.5, 5e-324)
    >>> _parse_value("abc")
    Traceback (most recent call last):
    ...
    numfmt.cli.CliError: not a value: 'abc' (expected a decimal such as 0.1 or -2.5e-3, inf, nan, a fraction a/b, or a hex float such as 0x1.8p+1)
    """
    s = text.strip()
    if s.lower() in _SPECIAL:
        return _SPECIAL[s.lower()]
    if _DECIMAL.fullmatch(s):
        d = Decimal(s)
        if d.is_zero():
            return -0.0 if d.is_signed() else 0.0
        if abs(d.adjusted()) > 400:         # beyond float64's range: its odd rounding is ±max or ±min
            return math.copysign(float(_FLOAT64_MAX) if d.adjusted() > 0 else 5e-324, -1.0 if d.is_signed() else 1.0)
        return _odd_float64(Fraction(d))
    match = _RATIO.fullmatch(s)
    if match:
        if int(match[2]) == 0:
            raise CliError(f"not a value: {text!r} divides by zero")
        return _odd_float64(Fraction(int(match[1]), int(match[2])))
    match = _HEX_FLOAT.fullmatch(s)
    if match and (match[2] or match[3]):
        sign, whole, frac, exp = match[1], match[2], match[3] or "", int(match[4])
        mantissa = int(whole + frac, 16)
        lead = exp - 4 * len(frac) + mantissa.bit_length()
        if mantissa == 0:
            return -0.0 if sign == "-" else 0.0
        if abs(lead) > 1100:
            q = Fraction(2) ** (1100 if lead > 0 else -1100)
        else:
            q = mantissa * Fraction(2) ** (exp - 4 * len(frac))
        return _odd_float64(-q if sign == "-" else q)
    if _HEX_INT.fullmatch(s):
        raise CliError(f"not a value: {text!r} (a hex float needs a p exponent, such as 0x1.cp+5; "
                       "codes go to `numfmt decode`)")
    raise CliError(f"not a value: {text!r} (expected a decimal such as 0.1 or -2.5e-3, inf, nan, "
                   "a fraction a/b, or a hex float such as 0x1.8p+1)")


def _parse_code(text: str, fmt) -> int:
    """A code of fmt: ``0x``-prefixed hex or decimal digits, in [0, 2**bits).

    >>> _parse_code("0x7e", _format("e4m3")), _parse_code("56", _format("e4m3"))
    (126, 56)
    """
    s = text.strip()
    if re.fullmatch(r"0x[0-9a-f]+", s, re.IGNORECASE):
        code = int(s, 16)
    elif re.fullmatch(r"\d+", s):
        code = int(s)
    else:
        raise CliError(f"not a code: {text!r} (expected 0x-prefixed hex such as 0x7e, or decimal digits)")
    if code >= 1 << fmt.bits:
        raise CliError(f"code {text} is out of range for {fmt.name} ({fmt.bits} bits: "
                       f"{_hex(0, fmt.bits)} to {_hex((1 << fmt.bits) - 1, fmt.bits)})")
    return code


def _hex(code: int, bits: int) -> str:
    return f"0x{int(code):0{max(1, (bits + 3) // 4)}x}"


def _table(header: list[str], rows: list[list[str]], right: bool = True) -> str:
    """Columns aligned: first column left-aligned, the others right-aligned (if ``right``)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            out.append(str(cell).ljust(w) if i == 0 or not right else str(cell).rjust(w))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


# ----------------------------------------------------------------------------- argument types
def _rounding_name(text: str) -> str:
    """An argparse type: a rounding mode name or alias."""
    if text in ROUNDING_NAMES:
        return text
    close = difflib.get_close_matches(text, list(ROUNDING_NAMES), n=2, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise argparse.ArgumentTypeError(f"unknown rounding {text!r}; {hint}choose from {ROUNDING_HELP}")


def _sr_bits(text: str) -> int:
    """An argparse type: the number of random bits of stochastic rounding, 1 to 62."""
    if not re.fullmatch(r"\d+", text.strip()) or not 1 <= int(text) <= 62:
        raise argparse.ArgumentTypeError(f"expected an integer from 1 to 62, got {text!r}")
    return int(text)


def _seed(text: str) -> int:
    """An argparse type: a seed, a non-negative integer (decimal or 0x-prefixed hex)."""
    s = text.strip()
    if not re.fullmatch(r"\d+|0x[0-9a-f]+", s, re.IGNORECASE):
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return int(s, 16) if s.lower().startswith("0x") else int(s)


# ----------------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace | None = None) -> int:
    """Every registered format, one line each.

    >>> import contextlib, io
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     status = cmd_list(None)
    >>> [line.split() for line in buf.getvalue().splitlines() if line.startswith("e4m3 ")]
    [['e4m3', 'float8_e4m3fn,', 'e4m3fn,', 'fp8_e4m3', 'float', '8', '448', '0.001953125']]
    """
    rows = []
    for name, aliases, fmt in registered():
        info = fmt.info
        if fmt.family == "block":     # bits per element with the scale amortized; no single smallest
            rows.append([name, ", ".join(aliases), fmt.family, _num(info.bits_per_element), _num(info.max), "-"])
            continue
        smallest = {"float": "smallest_subnormal", "posit": "minpos"}.get(fmt.family, "resolution")
        smallest = getattr(info, smallest)
        rows.append([name, ", ".join(aliases), fmt.family, str(fmt.bits), _num(info.max), _num(smallest)])
    print(_table(["name", "aliases", "family", "bits", "max", "smallest subnormal"], rows, right=False))
    return 0


def _aliases(fmt) -> str:
    """The registered aliases of fmt, comma separated ("-" for none)."""
    names = [", ".join(aliases) for name, aliases, _ in registered() if name == fmt.name]
    return (names[0] if names else "") or "-"


def _properties(fmt) -> list[tuple[str, str]]:
    info = fmt.info
    props = [("aliases", _aliases(fmt))] + [(f.name, getattr(info, f.name)) for f in dataclasses.fields(info)]
    for extra in ("tiny", "precision_bits"):
        if hasattr(type(info), extra):
            props.append((extra, getattr(info, extra)))
    return [(key, _num(value) if isinstance(value, float) else str(value)) for key, value in props]


def _smallest_positive(fmt) -> float:
    """The smallest positive value of an element or scale format."""
    if fmt.family == "fixed":
        return fmt.info.resolution
    return fmt.info.smallest_subnormal if fmt.subnormals else fmt.info.smallest_normal


def _block_breakdown(fmt) -> list[str]:
    """How a block format's values and properties come from its element and scale formats."""
    el, sc, info = fmt.element, fmt.scale, fmt.info
    lo, hi = fmt.scale_exp_range
    smallest_scale, largest_scale = _num(_smallest_positive(sc)), _num(sc.info.max)
    if fmt.power_of_two:
        scales = f"powers of two {_pow2(lo)} .. {_pow2(hi)}"
        smallest_scale, largest_scale = _pow2(lo), _pow2(hi)
        rule = (f"scale rule {fmt.scale_rule}: the scale of a block comes from its largest magnitude amax "
                f"and emax_elem = {info.emax_elem} (floor(log2) of the element max)")
    else:
        scales = f"{_num(_smallest_positive(sc))} .. {_num(sc.info.max)}, rounded to nearest even"
        rule = "block scale = amax_block / element max, rounded to the scale format"
    lines = [
        "value = element x scale:",
        f"  element            {el.name}: max {_num(el.info.max)}, smallest positive "
        f"{_num(_smallest_positive(el))} (`numfmt info {el.name}`)",
        f"  scale              {sc.name}: {scales}; the NaN code {_hex(sc.nan_code, sc.bits)} makes the whole "
        f"block NaN (`numfmt info {sc.name}`)",
        f"  max                {_num(el.info.max)} x {largest_scale} = {_num(info.max)}",
        f"  smallest positive  {_num(_smallest_positive(el))} x {smallest_scale} = "
        f"{_num(_smallest_positive(el) * _smallest_positive(sc))}",
        f"  bits per element   {el.bits} + {sc.bits} / {fmt.block_size} = {_num(info.bits_per_element)}",
        f"  {rule}",
    ]
    if fmt.tensor_scale is not None:
        lines.append(f"  plus one float32 tensor scale amax / ({_num(el.info.max)} x {_num(sc.info.max)}) per "
                     "tensor (values above are for tensor scale 1; not counted in the bits per element)")
    return lines


def _posit_regimes(fmt) -> list[str]:
    """One row per regime k of a posit: its binade range useed**k .. useed**(k+1) and the exponent and
    fraction bits its codes have left (the tapered precision)."""
    n, es = fmt.nbits, fmt.es
    rows = []
    for k in range(-(n - 2), n - 2):
        regime_bits = min(k + 2 if k >= 0 else 1 - k, n - 1)
        rest = n - 1 - regime_bits
        rows.append([str(k), _pow2(k << es), _pow2((k + 1) << es), str(min(es, rest)), str(max(rest - es, 0))])
    return [f"regimes (useed = 2**{1 << es}; negative values mirror these):",
            _table(["k", "from", "below", "exponent bits", "fraction bits"], rows)]


def cmd_info(args: argparse.Namespace) -> int:
    """All properties of a format; for at most 8 bits every value by code; for posits the
    regimes, for block formats how element and scale make the values.

    >>> cmd_info(argparse.Namespace(format="fp4"))  # doctest: +NORMALIZE_WHITESPACE
    e2m1 (float format: exp_bits=2, man_bits=1, bias=1, special='finite')
      aliases             float4_e2m1fn, fp4_e2m1, fp4
      bits                4
      nexp                2
      nmant               1
      bias                1
      max                 6
      min                 -6
      smallest_normal     1
      smallest_subnormal  0.5
      eps                 0.5
      epsneg              0.5
      maxexp              3
      minexp              0
      has_inf             False
      has_nan             False
      has_negative_zero   True
      tiny                1
      precision_bits      2
    <BLANKLINE>
    values by code (row + column):
           0x0   0x1   0x2   0x3   0x4   0x5   0x6   0x7   0x8   0x9   0xa   0xb   0xc   0xd   0xe   0xf
    0x00     0   0.5     1   1.5     2     3     4     6    -0  -0.5    -1  -1.5    -2    -3    -4    -6
    0
    """
    fmt = _format(args.format)
    if fmt.family == "float":
        desc = (f"float format: exp_bits={fmt.exp_bits}, man_bits={fmt.man_bits}, bias={fmt.bias}, "
                f"special={fmt.special!r}" + ("" if fmt.signed else ", unsigned")
                + ("" if fmt.subnormals else ", no subnormals") + ("" if fmt.zero else ", no zero"))
    elif fmt.family == "block":
        desc = f"block format: {fmt.block_size} {fmt.element.name} elements share one {fmt.scale.name} scale"
    elif fmt.family == "posit":
        desc = f"posit format: nbits={fmt.nbits}, es={fmt.es}"
    else:
        desc = f"fixed-point format: bits={fmt.bits}, frac_bits={fmt.frac_bits}, signed={fmt.signed}"
    print(f"{fmt.name} ({desc})")
    props = _properties(fmt)
    width = max(len(k) for k, _ in props)
    for key, value in props:
        print(f"  {key.ljust(width)}  {value}")
    if fmt.family == "block":
        print("\n" + "\n".join(_block_breakdown(fmt)))
        return 0
    if fmt.family == "posit":
        print("\n" + "\n".join(_posit_regimes(fmt)))
    if fmt.bits <= 8:
        values = fmt.values(np.float64)
        cells = [_num(v) for v in values]
        width = max(len(c) for c in cells + ["0x0"])
        per_row = 16 if 16 * (width + 2) + 4 <= 130 else 8   # keep lines readable
        print()
        print("values by code (row + column):")
        print(" " * 4 + "".join(f"  {f'0x{i:x}'.rjust(width)}" for i in range(per_row)))
        for start in range(0, len(cells), per_row):
            row = cells[start:start + per_row]
            print(f"0x{start:02x}" + "".join(f"  {c.rjust(width)}" for c in row))
    else:
        print(f"\n({fmt.bits} bits: no value table; `numfmt info` lists values for formats of at most 8 bits, "
              f"`numfmt decode {fmt.name} CODE` decodes one)")
    return 0


def _element_format(name: str, command: str):
    """The format of a round/encode/decode command: element formats only."""
    fmt = _format(name)
    if fmt.family == "block":
        raise CliError(f"numfmt {command} takes element formats; {fmt.name} is a block format ({fmt.block_size} "
                       f"{fmt.element.name} elements share one {fmt.scale.name} scale): use "
                       f"`numfmt {command} {fmt.element.name} ...` for its elements, or numfmt.{command}(x, "
                       f"{fmt.name!r}) in Python for whole blocks")
    return fmt


def _check_options(fmt, args: argparse.Namespace) -> Rounding:
    """The rounding mode, after checking that fmt takes --overflow, --nan, --seed, --sr-bits and --rng."""
    mode = rounding_mode(args.rounding)
    if args.overflow == "wrap" and fmt.family != "fixed":
        raise CliError(f"--overflow wrap applies to integer and fixed-point formats; {fmt.name} is a "
                       f"{fmt.family} format (choose from {', '.join(OVERFLOW_POLICIES)})")
    if args.nan not in NAN_CHOICES[fmt.family]:
        raise CliError(f"--nan {args.nan} does not apply to {fmt.name} ({fmt.family} format): it takes "
                       + " or ".join(f"--nan {c}" for c in NAN_CHOICES[fmt.family]))
    if mode != Rounding.STOCHASTIC:
        for option, value in (("--seed", args.seed), ("--sr-bits", args.sr_bits), ("--rng", args.rng)):
            if value is not None:
                raise CliError(f"{option} applies to --rounding stochastic (sr) only; got --rounding {args.rounding}")
    return mode


def _has_nan(fmt) -> bool:
    return fmt.family == "posit" or (fmt.family == "float" and fmt.has_nan)


def _codes(args: argparse.Namespace, command: str) -> tuple[object, list[tuple[str, int]]]:
    """(fmt, [(text, code)]) of the round and encode commands: each value encoded once, alone, so
    that a bad value gets its own message; under stochastic rounding value i uses random number
    i of the seed, as one call on the whole array would."""
    fmt = _element_format(args.format, command)
    mode = _check_options(fmt, args)
    values = [_parse_value(v) for v in args.values]
    sr = {}
    if mode == Rounding.STOCHASTIC:
        seed = resolve_seed(args.seed)
        if args.seed is None:
            print(f"numfmt: stochastic rounding with --seed {seed}", file=sys.stderr)
        sr_bits = 32 if args.sr_bits is None else args.sr_bits
        sr = {"sr_bits": sr_bits, "random_bits": random_bits(seed, len(values), sr_bits, rng=args.rng or RNGS[0])}
    out = []
    for i, (text, x) in enumerate(zip(args.values, values)):
        if math.isnan(x) and not _has_nan(fmt) and args.nan == "raise":
            fix = {"float": "--nan ml_dtypes maps NaN to the zero of the other sign",
                   "fixed": "--nan zero maps NaN to 0"}[fmt.family]
            raise CliError(f"{text}: {fmt.name} has no NaN ({fmt.family} format); {fix}")
        if math.isinf(x) and args.overflow == "wrap":
            raise CliError(f"{text}: an infinity has no two's-complement wrap in {fmt.name}")
        options = {k: (v[i] if k == "random_bits" else v) for k, v in sr.items()}
        try:
            code = encode(np.float64(x), fmt, mode, args.overflow, nan=args.nan, **options)
        except OverflowError:
            raise CliError(f"{text} overflows {fmt.name} (range {_num(fmt.info.min)} to {_num(fmt.info.max)}) "
                           f"under --rounding {args.rounding} and --overflow raise") from None
        out.append((text, int(code)))
    return fmt, out


def cmd_round(args: argparse.Namespace) -> int:
    """Round each value; print ``value -> rounded (code 0x..)``: the rounded value is the value of
    that code (one rounding, even under stochastic rounding).

    >>> cmd_round(_parse(["round", "bf16", "0.1", "-r", "rtz"]))
    0.1 -> 0.099609375 (code 0x3dcc)
    0
    """
    fmt, codes = _codes(args, "round")
    values = decode([c for _, c in codes], fmt, np.float64)
    for (text, code), value in zip(codes, values):
        print(f"{text} -> {_num(value)} (code {_hex(code, fmt.bits)})")
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    """Round each value and print its code in hex: ``value -> 0x..``.

    >>> cmd_encode(_parse(["encode", "e4m3", "1", "-448", "1e9"]))
    1 -> 0x38
    -448 -> 0xfe
    1e9 -> 0x7f
    0
    """
    fmt, codes = _codes(args, "encode")
    for text, code in codes:
        print(f"{text} -> {_hex(code, fmt.bits)}")
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    """Print the value of each code: ``0x.. -> value``.

    >>> cmd_decode(_parse(["decode", "posit8", "0x40", "0x80", "1"]))
    0x40 -> 1
    0x80 -> nan
    1 -> 5.960464477539063e-08
    0
    """
    fmt = _element_format(args.format, "decode")
    codes = [_parse_code(c, fmt) for c in args.codes]
    for text, value in zip(args.codes, decode(np.array(codes, np.uint64), fmt, np.float64)):
        print(f"{text} -> {_num(value)}")
    return 0


def cmd_demo(args: argparse.Namespace | None = None) -> int:
    """The built-in showcase: a few values in five formats, codes, and every rounding mode."""
    x = np.array([v for _, v in DEMO_VALUES], dtype=np.float64)
    labels = [t for t, _ in DEMO_VALUES]
    print("numfmt demo: bit-exact rounding to low-precision formats\n")
    print("Round to nearest, ties to even (overflow='ieee': Inf where the format has one, "
          "else NaN, else the largest value):\n")
    formats = [_format(n) for n in DEMO_FORMATS]
    rounded = {f.name: _round(x, f) for f in formats}
    codes = {f.name: encode(x, f) for f in formats}
    print(_table(["x"] + [f.name for f in formats],
                 [[lab] + [_num(rounded[f.name][i]) for f in formats] for i, lab in enumerate(labels)]))
    print("\nThe same, as codes (nf.encode):\n")
    print(_table(["x"] + [f"{f.name} ({f.bits}b)" for f in formats],
                 [[lab] + [_hex(codes[f.name][i], f.bits) for f in formats] for i, lab in enumerate(labels)]))
    tie, fmt = 2.5, _format("e2m1")
    print(f"\nOne value in every rounding mode: {_num(tie)} to {fmt.name} "
          "(a tie between 2 and 3; e2m1 values: 0 0.5 1 1.5 2 3 4 6):\n")
    rows = []
    for mode in DETERMINISTIC_ROUNDINGS:
        for v in (tie, -tie):
            r = _round(np.float64(v), fmt, mode)
            c = encode(np.float64(v), fmt, mode)
            rows.append([mode if v > 0 else "", _SHORT.get(ROUNDING_NAMES[mode], ""), _num(v), _num(r),
                         _hex(c, fmt.bits)])
    draws = _round(np.full(100_000, tie), fmt, "stochastic", seed=0)
    rows.append(["stochastic", "sr", _num(tie), f"mean {float(draws.mean()):.4f} over 1e5 draws", "seed=0"])
    print(_table(["rounding", "alias", "x", "rounded", "code"], rows))
    _demo_beyond_casts()
    print("\nTry: numfmt list | numfmt info e4m3 | numfmt round e4m3 0.1 465 --rounding rtz | "
          "numfmt decode e4m3 0x7e")
    return 0


def _demo_beyond_casts() -> None:
    """Exact arithmetic, accumulation, posits and block formats, one line each."""
    a = 1 + 2.0 ** -7                               # a bfloat16 value; a*a needs 15 bits
    a2 = ops.mul(a, a, "bfloat16")
    ones = np.ones(1000)
    rows = [
        ["nf.mul(a, a, 'bfloat16'), a = 1 + 2**-7", _num(a2)],
        ["nf.fma(a, a, -that, 'bfloat16'): the exact error", _num(ops.fma(a, a, -a2, "bfloat16"))],
        ["nf.sum(1000 ones, 'bfloat16'): sequential, stagnates", _num(accumulate.sum(ones, "bfloat16"))],
        ["the same with rounding='stochastic', seed=0", _num(accumulate.sum(ones, "bfloat16", rounding="sr", seed=0))],
        ["nf.round(1/3, 'posit16')", _num(_round(1 / 3, "posit16"))],
        ["nf.round([0.1, 1, 6, 100], 'mxfp4', pad=True)",
         " ".join(_num(v) for v in _round([0.1, 1.0, 6.0, 100.0], "mxfp4", pad=True))],
    ]
    print("\nBeyond casts: exact arithmetic rounded once, emulated accumulators, posits, MX blocks:\n")
    print(_table(["call", "result"], rows))


# ----------------------------------------------------------------------------- parser
def _add_rounding_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rounding", "-r", default="nearest_even", type=_rounding_name, metavar="R",
                   help=f"rounding mode: {ROUNDING_HELP}; default nearest_even")
    p.add_argument("--overflow", "-o", default="ieee", choices=OVERFLOW_POLICIES + ("wrap",), metavar="O",
                   help=OVERFLOW_HELP)
    p.add_argument("--nan", default="raise", choices=("raise", "ml_dtypes", "zero"), metavar="N", help=NAN_HELP)
    p.add_argument("--seed", type=_seed, metavar="S",
                   help="stochastic rounding: the seed (value i uses random number i of it); default: drawn "
                        "from the OS and printed on stderr")
    p.add_argument("--sr-bits", type=_sr_bits, metavar="K",
                   help="stochastic rounding: the number of random bits, 1 to 62 (default 32)")
    p.add_argument("--rng", choices=RNGS, metavar="G",
                   help=f"stochastic rounding: the counter-based generator, {' or '.join(RNGS)} (default {RNGS[0]})")


def cmd_warmup(args: argparse.Namespace) -> int:
    """Compile every kernel ahead (``numfmt.warmup``)."""
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be a positive integer; got {args.jobs}")
    warmup.warmup(args.jobs, verbose=True)
    return 0


def _study_option(parse):
    """An argparse type from one of numfmt.study's parsers (its message without the option name)."""
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None
    convert.__name__ = parse.__name__
    return convert


def cmd_study(args: argparse.Namespace) -> int:
    """Run ``numfmt.study.run`` with the command line's options (one-line errors, exit status 2)."""
    try:
        study.run(args.data, args.bits, args.formats, args.out, args.quick)
    except study.MissingExtra as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Run the conformance checks (``numfmt.verify``), print a table of them and the first
    mismatch of each failing one; exit status 1 on any mismatch or error, else 0.

    >>> cmd_verify(_parse(["verify", "--only", "roundtrip"]))      # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    check      oracle  compared  mismatches  seconds  status
    ---------  ------  --------  ----------  -------  ------
    roundtrip  -       ...       0           ...      ok
    <BLANKLINE>
    1 check: 1 ok, 0 skipped, 0 failed (quick mode, ... s)
    0
    """
    start = time.perf_counter()
    results = verify.run_checks(full=args.full, only=args.only)
    rows = [[r.name, r.oracle, str(r.compared), str(r.mismatches), f"{r.seconds:.1f}", r.status] for r in results]
    print(_table(["check", "oracle", "compared", "mismatches", "seconds", "status"], rows))
    print()
    for r in results:
        if r.first:
            print(f"{r.name}: first mismatch: {r.first}" if r.status == "MISMATCH" else f"{r.name}: {r.first}")
    failed = sum(r.failed for r in results)
    skipped = sum(r.status.startswith("skipped") for r in results)
    print(f"{len(results)} check{'s' if len(results) != 1 else ''}: {len(results) - failed - skipped} ok, "
          f"{skipped} skipped, {failed} failed ({'full' if args.full else 'quick'} mode, "
          f"{time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command line (subcommands list, info, round, encode, decode, demo,
    study, warmup, verify).

    >>> args = build_parser().parse_args(["round", "e4m3", "0.1", "-r", "sr", "--seed", "7"])
    >>> args.func.__name__, args.values, args.rounding, args.seed, args.sr_bits
    ('cmd_round', ['0.1'], 'sr', 7, None)
    """
    parser = _Parser(
        prog="numfmt", description="Bit-exact emulation of low-precision number formats.",
        epilog="With no command, runs `numfmt demo`. `python -m numfmt` runs the same program (GNU coreutils "
               "ships another numfmt, which may come first on PATH).")
    parser.add_argument("--version", action="version", version=f"numfmt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{list,info,round,encode,decode,demo,study,warmup,verify}")
    sub.add_parser("list", help="every registered format",
                   description="Every registered format, one line each: name, aliases, family, bits (bits per "
                               "element for block formats), the largest value, and the smallest positive value "
                               "(smallest subnormal of floats, minpos of posits, resolution of fixed point)."
                   ).set_defaults(func=cmd_list)
    p = sub.add_parser("info", help="properties of a format and its values by code",
                       description="All properties of a format and its aliases; every value by code for formats "
                                   "of at most 8 bits; the regimes of a posit; for a block format, how element "
                                   "and scale make its values.")
    p.add_argument("format", help="format name or alias, e.g. e4m3, float8_e4m3fn, e5m10, int8, posit16, mxfp4")
    p.set_defaults(func=cmd_info)
    values_help = ("numbers, taken exactly: decimals (0.1, -2.5e-3), inf, nan, fractions a/b, hex floats with a "
                   "p exponent (0x1.8p+1); put values such as -1e9 or -inf after --: round e4m3 -- -1e9 -inf")
    p = sub.add_parser("round", help="round values to a format; print the results and codes",
                       description="Round each value to FORMAT; print `value -> rounded (code 0x..)`, the rounded "
                                   "value being the value of that code.")
    p.add_argument("format")
    p.add_argument("values", nargs="+", help=values_help)
    _add_rounding_options(p)
    p.set_defaults(func=cmd_round)
    p = sub.add_parser("encode", help="round values to a format; print their codes in hex",
                       description="Round each value to FORMAT; print `value -> 0x..` (its code in hex).")
    p.add_argument("format")
    p.add_argument("values", nargs="+", help=values_help)
    _add_rounding_options(p)
    p.set_defaults(func=cmd_encode)
    p = sub.add_parser("decode", help="the values of codes of a format",
                       description="Print `code -> value` for each code of FORMAT.")
    p.add_argument("format")
    p.add_argument("codes", nargs="+", help="codes: 0x-prefixed hex (0x7e) or decimal digits (126)")
    p.set_defaults(func=cmd_decode)
    sub.add_parser("demo", help="a short showcase (the default)",
                   description="A showcase: a few values rounded to five formats, their codes, one tie in every "
                               "rounding mode, and exact arithmetic, accumulation, posits and MX blocks. The "
                               "first run compiles the kernels (minutes on a small machine).",
                   ).set_defaults(func=cmd_demo)
    p = sub.add_parser("study", help="which format suits which tensor: errors, MLP accuracy, plots, a report",
                       description="Cast tensors to every eXmY split, posits (es 0..3), intN and the MX/NVFP4 "
                                   "block formats of each width; measure MSE, SQNR, max relative error, the "
                                   "fractions clipped and flushed to zero, and the accuracy of an MLP on "
                                   "scikit-learn's digits with its weights or activations in each format. Prints "
                                   "a table per width and writes measurements.csv, accuracy.csv, PNG plots and "
                                   "report.md to --out. Needs the study extra: pip install \"numfmt[study]\".")
    p.add_argument("--data", nargs="+", action="extend", metavar="FILE",
                   help=".npy or .npz files to study instead of the built-in tensors (synthetic ones and an MLP)")
    p.add_argument("--bits", type=_study_option(study.parse_bits), default=study.DEFAULT_BITS, metavar="B,B",
                   help="widths of the format groups, 3 to 16 (default 4,6,8)")
    p.add_argument("--formats", type=_study_option(study.parse_formats), default=list(study.GROUPS),
                   metavar="F,F", help="groups float, posit, int, block (default: all) and format names "
                                       "(e4m3, posit8, nvfp4, ...: studied at their own width)")
    p.add_argument("--out", default="numfmt-study", metavar="DIR", help="output directory (default ./numfmt-study)")
    p.add_argument("--quick", action="store_true", help="small synthetic tensors (2**14 elements): seconds")
    p.set_defaults(func=cmd_study)
    p = sub.add_parser("warmup", help="compile every kernel ahead (once after installing)",
                       description="Compile the kernels of every public entry point now, in several processes, "
                                   "into Numba's disk cache, so that later first calls answer at once.")
    p.add_argument("--jobs", type=int, default=None, help="processes (default: the number of cores)")
    p.set_defaults(func=cmd_warmup)
    p = sub.add_parser("verify", help="compare numfmt with the installed oracles (exit 1 on a mismatch)",
                       description="Compare numfmt bit for bit with the oracles installed here (ml_dtypes, numpy "
                                   "float16, gmpy2/MPFR, gfloat, softposit): casts in every rounding mode, "
                                   "arithmetic, MX blocks, posits, and a decode/encode round trip of every code. "
                                   "Prints a table of checks, comparisons and mismatches; a check whose oracle is "
                                   "missing is skipped. Exit status 1 on any mismatch. Run it on a new platform or "
                                   "after upgrading Numba or LLVM.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="fixed-seed samples within about 30 seconds (the default)")
    mode.add_argument("--full", action="store_true",
                      help="exhaustive sweeps (every float32 to bfloat16 and e4m3) and large samples: about "
                           "20 minutes on 2 cores")
    p.add_argument("--only", metavar="SUBSTRING",
                   help="run only the checks whose name contains SUBSTRING (e.g. mpfr, e4m3, softposit.add)")
    p.set_defaults(func=cmd_verify)
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    """The parsed arguments of argv (for the examples)."""
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad arguments, names and values).

    >>> main(["info", "e4m4x"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:      # --help, --version, or a bad argument (one line already printed)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        args.func = cmd_demo
    try:
        return args.func(args)
    except (ValueError, OverflowError, TypeError) as exc:
        message = " ".join(str(exc).split())
        print(f"numfmt: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `numfmt list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
