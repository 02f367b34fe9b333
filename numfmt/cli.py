"""The ``numfmt`` command line: list formats, show one, round values, run the demo.

Commands::

    numfmt list                          every registered format: name, aliases, bits, max, smallest subnormal
    numfmt info FORMAT                   all properties; for formats of at most 8 bits every value by code
    numfmt round FORMAT VALUES... [--rounding R] [--overflow O] [--nan raise|ml_dtypes]
    numfmt demo                          a short showcase (also what plain ``numfmt`` runs)

Unknown format, rounding or overflow names print a one-line error (with the closest names)
on stderr and give exit status 2.

Example:
    >>> from numfmt.cli import main
    >>> main(["round", "e4m3", "1.06", "465", "--overflow", "saturate"])
    1.06 -> 1 (code 0x38)
    465 -> 448 (code 0x7e)
    0
    >>> main(["round", "e2m1", "2.5", "--rounding", "rna"])
    2.5 -> 3 (code 0x5)
    0
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from fractions import Fraction

import numpy as np

from . import accumulate, ops
from .casts import encode, round as _round
from .formats.registry import format as _format, registered
from .rounding import DETERMINISTIC_ROUNDINGS, ROUNDING_NAMES

DEMO_VALUES = (("0.1", 0.1), ("1/3", 1 / 3), ("300", 300.0), ("465", 465.0), ("1e-5", 1e-5), ("-2.5", -2.5))
DEMO_FORMATS = ("binary16", "bfloat16", "e4m3", "e5m2", "e2m1")
_SHORT = {mode: alias for alias, m in ROUNDING_NAMES.items() for mode in [m] if len(alias) <= 3}


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


def _parse_value(text: str) -> float:
    """A decimal, ``inf``/``nan``, a fraction ``1/3`` or a hex float ``0x1.8p3``, as a float64.

    >>> _parse_value("1/3") == 1 / 3, _parse_value("0x1.8p1"), _parse_value("-2.5")
    (True, 3.0, -2.5)
    """
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    if "/" in s:
        return float(Fraction(s))
    try:
        return float.fromhex(s)
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a number (decimal, fraction a/b or hex float)") from None


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


# ----------------------------------------------------------------------------- commands
def cmd_list(args) -> int:
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


def _properties(fmt) -> list[tuple[str, str]]:
    info = fmt.info
    props = [(f.name, getattr(info, f.name)) for f in dataclasses.fields(info)]
    for extra in ("tiny", "precision_bits"):
        if hasattr(type(info), extra):
            props.append((extra, getattr(info, extra)))
    out = []
    for key, value in props:
        out.append((key, _num(value) if isinstance(value, float) else str(value)))
    return out


def cmd_info(args) -> int:
    """All properties of a format and, for at most 8 bits, every value by code.

    >>> cmd_info(argparse.Namespace(format="fp4"))  # doctest: +NORMALIZE_WHITESPACE
    e2m1 (float format: exp_bits=2, man_bits=1, bias=1, special='finite')
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
    if fmt.family != "block" and fmt.bits <= 8:
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
    elif fmt.family != "block":
        print(f"\n({fmt.bits} bits: no value table; `numfmt info` lists values for formats of at most 8 bits)")
    return 0


def cmd_round(args) -> int:
    """Round each value; print ``value -> rounded (code 0x..)``.

    >>> cmd_round(argparse.Namespace(format="bf16", values=["0.1"], rounding="rtz", overflow="ieee"))
    0.1 -> 0.099609375 (code 0x3dcc)
    0
    """
    fmt = _format(args.format)
    if fmt.family == "block":
        raise ValueError(f"numfmt round takes element formats; quantize blocks of {fmt.name} with "
                         "numfmt.round(x, fmt) in Python")
    x = np.array([_parse_value(v) for v in args.values], dtype=np.float64)
    nan = getattr(args, "nan", "raise")
    rounded = _round(x, fmt, args.rounding, args.overflow, nan=nan)
    codes = encode(x, fmt, args.rounding, args.overflow, nan=nan)
    for text, r, c in zip(args.values, np.atleast_1d(rounded), np.atleast_1d(codes)):
        print(f"{text} -> {_num(r)} (code {_hex(c, fmt.bits)})")
    return 0


def cmd_demo(args=None) -> int:
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
    print("\nTry: numfmt list | numfmt info e4m3 | numfmt round e4m3 0.1 465 --rounding rtz")
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
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numfmt", description="Bit-exact emulation of low-precision number formats.",
        epilog="With no command, runs `numfmt demo`.")
    sub = parser.add_subparsers(dest="command", metavar="{list,info,round,demo}")
    sub.add_parser("list", help="every registered format").set_defaults(func=cmd_list)
    p = sub.add_parser("info", help="properties of a format and its values by code")
    p.add_argument("format", help="format name or alias, e.g. e4m3, float8_e4m3fn, e5m10, int8")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("round", help="round values to a format; print the results and codes")
    p.add_argument("format")
    p.add_argument("values", nargs="+", help="numbers: decimals, inf, nan, fractions a/b, hex floats")
    p.add_argument("--rounding", "-r", default="nearest_even",
                   help="nearest_even (rne), nearest_away (rna), toward_zero (rtz), toward_positive (rup), "
                        "toward_negative (rdn), odd (rto), stochastic (sr)")
    p.add_argument("--overflow", "-o", default="ieee", help="ieee, saturate or raise")
    p.add_argument("--nan", default="raise",
                   help="NaN input to a format without NaN: raise (default) or ml_dtypes (zero of the other sign)")
    p.set_defaults(func=cmd_round)
    sub.add_parser("demo", help="a short showcase (the default)").set_defaults(func=cmd_demo)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status (2 for unknown names and bad values).

    >>> main(["info", "e4m4x"])
    2
    """
    args = build_parser().parse_args(argv)
    if args.command is None:
        args.func = cmd_demo
    try:
        return args.func(args)
    except (ValueError, OverflowError, TypeError) as exc:
        print(f"numfmt: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `numfmt list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
