"""Integer-only requantization and an int8 linear layer: numfmt against a numpy int64 version.

    python benchmarks/bench_dyadic.py [--quick] [--from-results] [--write-readme] [--out benchmarks/results/dyadic.md]
"""
import sys

import numpy as np

from _common import best_of, command, machine_line, markdown_table, parse_args, publish
from numfmt import dyadic


def numpy_requantize(z, b, c, zp):
    """Round half up: (z * b + 2**(c-1)) >> c in int64 (exact while |z * b| < 2**62)."""
    q = (z.astype(np.int64) * b + (1 << (c - 1))) >> c
    return np.clip(q + zp, -128, 127).astype(np.int8)


def numpy_linear(x_q, w_q, b, c):
    acc = x_q.astype(np.int64) @ w_q.T.astype(np.int64)
    return numpy_requantize(acc, b, c, 0)


def main(argv=None) -> int:
    args = parse_args(__doc__, "dyadic", argv)
    return publish(args, "dyadic", lambda: render(args))


def render(args) -> str:
    """Measure requantize and the int8 linear layer; the results table as markdown."""
    rng = np.random.default_rng(0)
    n = 10**5 if args.quick else 10**7
    rows, inner, outs = (16, 128, 128) if args.quick else (256, 1024, 1024)
    repeats = 2 if args.quick else 5
    z = rng.integers(-(1 << 31), 1 << 31, n, dtype=np.int64).astype(np.int32)
    b, c = dyadic.approximate(3e-5)
    assert np.array_equal(dyadic.requantize(z, b, c, rounding="half_up"), numpy_requantize(z, b, c, 0))
    t_nf = best_of(lambda: dyadic.requantize(z, b, c, rounding="half_up"), repeats)
    t_np = best_of(lambda: numpy_requantize(z, b, c, 0), repeats)
    x_q = rng.integers(-128, 128, (rows, inner), dtype=np.int64).astype(np.int8)
    w_q = rng.integers(-128, 128, (outs, inner), dtype=np.int64).astype(np.int8)
    bl, cl = dyadic.approximate(1e-4)
    assert np.array_equal(dyadic.linear(x_q, w_q, b=bl, c=cl, rounding="half_up"), numpy_linear(x_q, w_q, bl, cl))
    t_lnf = best_of(lambda: dyadic.linear(x_q, w_q, b=bl, c=cl, rounding="half_up"), repeats)
    t_lnp = best_of(lambda: numpy_linear(x_q, w_q, bl, cl), repeats)
    lines = [machine_line(command("bench_dyadic.py", args)), "", f"Best of {repeats}.", ""]
    lines += markdown_table(["task", "numfmt (ms)", "numpy int64 (ms)", "speed-up"], [
        [f"requantize {n:.0e} int32 (half_up)", f"{t_nf*1e3:.1f}", f"{t_np*1e3:.1f}", f"{t_np/t_nf:.1f}x"],
        [f"int8 linear {rows}x{inner} by {inner}x{outs}", f"{t_lnf*1e3:.1f}", f"{t_lnp*1e3:.1f}",
         f"{t_lnp/t_lnf:.1f}x"]])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
