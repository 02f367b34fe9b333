"""Run every benchmark script in turn and rewrite the README's tables from their results.

    python benchmarks/run_all.py [--quick] [--only cast,arith] [--skip compile]

Each ``benchmarks/bench_NAME.py`` runs in its own process, one after the other (so that no
two measurements share the cores), with ``--write-readme``: it saves its table in
``benchmarks/results/NAME.md`` and puts it between the README's ``<!-- bench:NAME -->``
markers. Every table states the machine, numfmt's thread count, the date and the command that
made it. ``--quick`` runs each script on small inputs as a smoke test and writes its tables to a
temporary directory instead: quick figures never reach the README. A script that fails is
reported at the end and the exit status is 1; the others still run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRA = {"compile": ["--jobs", "2"]}     # the compile table is measured two entry points at a time


def scripts() -> list[str]:
    """The benchmark names (bench_NAME.py), compile last: it is the longest and leaves a
    cold Numba cache in its subprocesses only."""
    names = sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    return sorted(names, key=lambda name: name == "compile")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs; tables to a temporary directory")
    parser.add_argument("--only", default="", help="comma-separated benchmark names to run (default: all)")
    parser.add_argument("--skip", default="", help="comma-separated benchmark names to leave out")
    args = parser.parse_args(argv)
    names = scripts()
    unknown = [n for n in filter(None, (args.only + "," + args.skip).split(",")) if n not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(names)}")
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    names = [n for n in names if n not in args.skip.split(",")]
    failed = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            command = [sys.executable, str(HERE / f"bench_{name}.py"), *EXTRA.get(name, [])]
            command += ["--quick", "--out", str(Path(scratch) / f"{name}.md")] if args.quick else ["--write-readme"]
            print(f"== {name}: {' '.join(command[1:])}", flush=True)
            start = time.perf_counter()
            if subprocess.run(command, cwd=HERE.parent).returncode:
                failed.append(name)
            print(f"== {name}: {time.perf_counter() - start:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
