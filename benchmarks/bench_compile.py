"""First-call (compile) time of every public entry point, each in a fresh process with an empty
Numba cache, plus the whole tour in one process and ``numfmt demo`` cold.

    python benchmarks/bench_compile.py [--only SUBSTRING] [--jobs N] [--passes N] [--no-tour] [--write-readme]

A row's "first call" is the time of the call alone, measured after ``import numfmt`` and after
making its inputs with numpy and ml_dtypes (the import time is its own row). "warm" is the same call in a new process once the cache is full
(loading the compiled kernels from disk). Targets (issue 11, on the 2-core machine): every first
call at most 3 s, ``numfmt demo`` cold at most 20 s, the whole tour at most 60 s. Each entry
point is measured in ``--passes`` passes over the whole list (default 3) and its best pass
shown: the 2-core machine changes speed about 2x every few minutes (see
``_common.speed_probe``, on the table's first line at the start and the end of the run), and
passes minutes apart see both of its states.
Results go to benchmarks/results/compile.md (``--only`` runs are printed, not saved).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import command, machine_line, markdown_table, parse_args, publish, speed_probe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from numfmt.warmup import ENTRY_POINTS, SETUP, script  # noqa: E402  (this checkout's numfmt)

ROOT = Path(__file__).resolve().parent.parent

CALLS = ENTRY_POINTS
PASSES = 3          # passes over the entry points by default (each row: its best)

TIMED = """
import time, sys
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
{call}
t2 = time.perf_counter()
print("TIMES", t1 - t0, t2 - t1)
"""


def _env(cache_dir: str) -> dict:
    return dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))


def _run(code: str, cache_dir: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", code], env=_env(cache_dir), cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("TIMES")][-1]
    setup, call = map(float, line.split()[1:])
    return setup, call


def first_call(name: str) -> tuple[str, float, float]:
    """(name, cold seconds, warm seconds) of one entry point."""
    call = CALLS[name]
    with tempfile.TemporaryDirectory() as cache:
        code = TIMED.format(setup=SETUP, call=call)
        _, cold = _run(code, cache)
        _, warm = _run(code, cache)
    return name, cold, warm


def tour() -> float:
    """Every call in one fresh process with an empty cache: total seconds after the import."""
    body = script(CALLS)
    with tempfile.TemporaryDirectory() as cache:
        return sum(_run(TIMED.format(setup="import numfmt", call=body), cache))


def import_time() -> float:
    with tempfile.TemporaryDirectory() as cache:
        return _run(TIMED.format(setup="import numfmt", call="pass"), cache)[0]


def demo() -> float:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from numfmt.cli import main; main(['demo'])"],
                       env=_env(cache), cwd=ROOT, check=True, capture_output=True)
        return time.perf_counter() - start


def render(args) -> str:
    """Measure, and the table as markdown."""
    names = [n for n in CALLS if args.only in n]
    probe = f"{speed_probe():.3f} s at the start"
    with ThreadPoolExecutor(args.jobs) as pool:
        passes = [list(pool.map(first_call, names)) for _ in range(args.passes)]
    rows = [min(same, key=lambda r: r[1]) for same in zip(*passes)]
    table = [[name, f"{cold:.2f}", f"{warm:.3f}"] for name, cold, warm in rows]
    table.append(["`import numfmt`", f"{import_time():.2f}", ""])
    if not args.no_tour:
        table.append([f"whole tour ({len(CALLS)} calls, one process)", f"{tour():.1f}", ""])
        table.append(["`numfmt demo` (whole process)", f"{demo():.1f}", ""])
        table.append(["`numfmt warmup` (whole process, all cores)", f"{warmup_time():.1f}", ""])
    worst = max(rows, key=lambda r: r[1])
    options = (f" --jobs {args.jobs}" if args.jobs > 1 else "") + (f" --passes {args.passes}" if args.passes != PASSES else "")
    probe += f", {speed_probe():.3f} s at the end"
    lines = [machine_line(command("bench_compile.py", args) + options, probe),
             "", "Seconds, each entry point in a fresh process with an empty "
             f"Numba cache, best of {args.passes} passes; slowest first call: {worst[0]}, {worst[1]:.2f} s.", ""]
    lines += markdown_table(["entry point", "first call (s)", "warm (s)"], table)
    return "\n".join(lines) + "\n"


def warmup_time() -> float:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "numfmt", "warmup"], env=_env(cache), cwd=ROOT, check=True,
                       capture_output=True)
        return time.perf_counter() - start


def main(argv=None) -> int:
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--only", default="", help="run the entry points whose name contains this")
    own.add_argument("--jobs", type=int, default=1, help="entry points measured at once")
    own.add_argument("--passes", type=int, default=PASSES, help="passes over the entry points (each row: its best)")
    own.add_argument("--no-tour", action="store_true", help="skip the tour and the demo")
    extra, rest = own.parse_known_args(argv)
    args = parse_args(__doc__, "compile", rest)
    vars(args).update(vars(extra))
    if args.passes < 1:
        own.error(f"--passes must be at least 1, got {args.passes}")
    if args.only and not args.from_results:         # a partial run is printed, never saved
        print(render(args))
        return 0
    return publish(args, "compile", lambda: render(args))


if __name__ == "__main__":
    sys.exit(main())
