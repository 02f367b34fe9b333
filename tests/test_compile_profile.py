"""tests/compile_profile.py (the plugin that shows where the suite's compile time goes) counts
and attributes a compile."""
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
        "    assert twice(3) == 6 and twice(4.0) == 8.0\n")
    out = tmp_path / "compiles.jsonl"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]), COMPILE_PROFILE_OUT=str(out),
               NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.compile_profile", "-n", "0", "-q",
                          "-p", "no:cacheprovider", str(tmp_path / "test_one_kernel.py")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Numba compiles: 2," in run.stdout          # one per argument type
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and all("test_one_kernel.py::test_twice" in line and ".twice" in line for line in lines)
