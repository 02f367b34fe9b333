"""tests/compile_profile.py (the plugin that shows where the suite's compile time goes) counts
and attributes a compile, and names a function compiled again for a literal integer."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_compile_profile_reports_each_compile(tmp_path):
    (tmp_path / "test_one_kernel.py").write_text(
        "import numba\n\n"
        "@numba.njit\n"
        "def twice(x):\n"
        "    return 2 * x\n\n"
        "def test_twice():\n"
        "    assert twice(3) == 6 and twice(4.0) == 8.0\n\n"
        "@numba.njit\n"
        "def merged(m, seen):\n"
        "    return seen | m\n\n"
        "@numba.njit\n"
        "def merge_all(a):\n"
        "    seen = 0\n"                     # a literal 0, then an int64: merged compiles twice
        "    for m in a:\n"
        "        seen = merged(m, seen)\n"
        "    return seen\n\n"
        "def test_merge():\n"
        "    import numpy as np\n"
        "    assert merge_all(np.arange(4)) == 3\n")
    out = tmp_path / "compiles.jsonl"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]), COMPILE_PROFILE_OUT=str(out),
               NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.compile_profile", "-n", "0", "-q",
                          "-p", "no:cacheprovider", str(tmp_path / "test_one_kernel.py")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Numba compiles: 5," in run.stdout          # twice: one per argument type; merged: twice
    lines = [line for line in out.read_text().splitlines() if "::test_twice" in line]
    assert len(lines) == 2 and all(".twice" in line for line in lines)
    twins = run.stdout.split("compiled again for a literal integer")[1].splitlines()[1:]
    assert [line.split()[-1] for line in twins if line.strip()][:1] == ["test_one_kernel.merged"], run.stdout
