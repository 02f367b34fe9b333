"""The emulated matmul on device: numfmt.torch.matmul and numfmt.jax.matmul against numfmt.matmul
and against plain float32 k-loops written with the same framework.

    python benchmarks/bench_device_matmul.py [--quick] [--from-results] [--write-readme] [--repeats N]

Inputs: n x n matrices (n = 512; --quick: 64) of standard normal values rounded to e4m3
(seed 0). Seconds, best of N calls (default 2) after a warm-up call (JAX: compile time not
counted), with 1 thread for torch and numfmt's NumPy path (XLA chooses its own).

- numfmt.torch / numfmt.jax ``matmul(a, b, "e4m3", accumulator=ACC)``: every add rounded to
  ACC in nearest even, sequential order; bit for bit numfmt.matmul (checked; * where not).
  binary32 in nearest even is plain float32 addition of the exact float32 products; bfloat16
  and binary16 round the float32 sum once (double rounding is innocuous there), e5m2 rounds
  every sum to odd (TwoSum) first; the rounding is torch's ``.to`` on eager CPU, else the
  float family's round_one.
- numfmt.matmul: the NumPy (Numba) path, 1 thread.
- torch k-loop: ``c = c + a[:, k, None] * b[None, k, :]`` in float32, eager; jax k-loop: the
  same in ``lax.fori_loop`` under ``jax.jit``. Both equal the binary32 emulation for e4m3
  inputs. "x k-loop" is the emulation's time over its framework's k-loop (target: within 20x
  for the binary32 accumulator).
- torch.matmul: float32 BLAS, for scale; on a GPU (when there is one) the same on the device.
"""
from __future__ import annotations

import sys

import numpy as np

from _common import best_of, command, machine_line, markdown_table, parse_args, publish, same

ACCUMULATORS = ("binary32", "bfloat16", "binary16", "e5m2")


def main(argv=None) -> int:
    args = parse_args(__doc__, "device_matmul", argv, repeats=2)
    return publish(args, "device_matmul", lambda: render(args))


def _timed(fn, repeats: int, check=None, notes: list | None = None):
    """(seconds, flag) of fn, best of repeats after a warm-up; (None, "") if it fails."""
    try:
        result = fn()
        flag = "*" if check is not None and not check(result) else ""
        return best_of(fn, repeats), flag
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, never fatal
        if notes is not None:
            notes.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return None, ""


def _cell(seconds, flag: str = "") -> str:
    return "n/a" if seconds is None else f"{seconds:.3g} s{flag}"


def _ratio(a, b) -> str:
    return "n/a" if a is None or b is None else f"{a / b:.1f}x"


def render(args) -> str:
    import jax
    import jax.numpy as jnp
    import torch

    import numfmt as nf
    import numfmt.jax as nfj
    import numfmt.torch as nft

    n = 64 if args.quick else 512
    repeats = args.repeats or (1 if args.quick else 2)
    torch.set_num_threads(1)
    nf.set_num_threads(1)
    rng = np.random.default_rng(0)
    a, b = (np.asarray(nf.round(rng.standard_normal((n, n)).astype(np.float32), "e4m3"), np.float32)
            for _ in range(2))
    ta, tb, ja, jb = torch.from_numpy(a), torch.from_numpy(b), jnp.asarray(a), jnp.asarray(b)
    notes: list[str] = []

    def torch_loop():
        c = torch.zeros(n, n)
        for k in range(n):
            c = c + ta[:, k, None] * tb[None, k, :]
        return c

    @jax.jit
    def jax_loop(x, y):
        return jax.lax.fori_loop(0, n, lambda k, c: c + x[:, k, None] * y[None, k, :], jnp.zeros((n, n), jnp.float32))

    t_loop, _ = _timed(torch_loop, repeats, notes=notes)
    j_loop, _ = _timed(lambda: jax_loop(ja, jb).block_until_ready(), repeats, notes=notes)
    blas, _ = _timed(lambda: ta @ tb, repeats, notes=notes)
    gpu = "n/a (no GPU)"
    if torch.cuda.is_available():
        ca, cb = ta.cuda(), tb.cuda()
        sync = torch.cuda.synchronize
        ref32 = nf.matmul(a, b, "e4m3", accumulator="binary32")
        t_gpu, f_gpu = _timed(lambda: (nft.matmul(ca, cb, "e4m3", accumulator="binary32"), sync())[0], repeats,
                              check=lambda r: same(r.cpu().numpy(), ref32), notes=notes)
        t_mm, _ = _timed(lambda: (ca @ cb, sync())[0], repeats, notes=notes)
        gpu = f"{torch.cuda.get_device_name()}: numfmt.torch {_cell(t_gpu, f_gpu)}, torch.matmul {_cell(t_mm)}"
    rows = []
    for acc in ACCUMULATORS:
        print(f"{acc} ...", file=sys.stderr, flush=True)
        ref = nf.matmul(a, b, "e4m3", accumulator=acc)
        t_np, _ = _timed(lambda: nf.matmul(a, b, "e4m3", accumulator=acc), repeats, notes=notes)
        t_t, f_t = _timed(lambda: nft.matmul(ta, tb, "e4m3", accumulator=acc), repeats,
                          check=lambda r: same(r.numpy(), ref), notes=notes)
        t_j, f_j = _timed(lambda: nfj.matmul(ja, jb, "e4m3", accumulator=acc).block_until_ready(), repeats,
                          check=lambda r: same(np.asarray(r), ref), notes=notes)
        rows.append([acc, _cell(t_t, f_t), _ratio(t_t, t_loop), _cell(t_j, f_j), _ratio(t_j, j_loop),
                     _cell(t_np), _ratio(t_np, t_t), _ratio(t_np, t_j)])
    lines = [machine_line(command("bench_device_matmul.py", args)), "",
             f"Seconds (lower is better), best of {repeats} after a warm-up, for a {n}x{n}x{n} matmul of e4m3 "
             f"values with a sequential accumulator in nearest even; torch and numfmt with 1 thread. Plain "
             f"float32 k-loops: torch {_cell(t_loop)}, jax {_cell(j_loop)}; torch.matmul (BLAS) {_cell(blas)}. "
             f"GPU: {gpu}. * marks results that differ from numfmt.matmul.", ""]
    lines += markdown_table(["accumulator", "numfmt.torch", "x torch k-loop", "numfmt.jax", "x jax k-loop",
                             "numfmt.matmul (NumPy)", "NumPy / torch", "NumPy / jax"], rows)
    if notes:
        lines += ["", "Notes: " + "; ".join(sorted(set(notes)))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
