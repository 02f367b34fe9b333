"""tests/compile_profile.py (the plugin that shows where the suite's compile time goes) counts
and attributes a compile, and names a function compiled again for a literal integer."""
from __future__ import annotations

from plugin_runs import run_with_plugin


def test_compile_profile_reports_each_compile(tmp_path):
    source = (
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
    run, out = run_with_plugin(tmp_path, "tests.compile_profile", source, "COMPILE_PROFILE_OUT")
    assert "Numba compiles: 5," in run.stdout          # twice: one per argument type; merged: twice
    lines = [line for line in out.read_text().splitlines() if "::test_twice" in line]
    assert len(lines) == 2 and all(".twice" in line for line in lines)
    twins = run.stdout.split("compiled again for a literal integer")[1].splitlines()[1:]
    assert [line.split()[-1] for line in twins if line.strip()][:1] == ["test_case.merged"], run.stdout
