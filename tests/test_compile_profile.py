"""tests/compile_profile.py (the plugin that shows where the suite's compile time goes) counts
and attributes a compile, and names a function compiled again for a literal integer; a user's
first calls compile no helper twice that way."""
from __future__ import annotations

import json

import pytest
from compile_profile import literal_twins
from plugin_runs import run_with_plugin
from sampling import ci_chosen


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
    twins = run.stdout.split("compiled again for a literal")[1].splitlines()[1:]
    assert [line.split()[-1] for line in twins if line.strip()][:1] == ["test_case.merged"], run.stdout


# first calls whose kernels carry a count or a flag through a loop into a helper (the float64
# stochastic reports: kernels.block._pow2_rows, kernels.report.round_count_sr64), one in the
# default run: each compiles its kernels afresh in a process of its own (5-8 s)
FIRST_CALLS = {
    "mxint8-stochastic-report": "nf.round(x, 'mxint8', 'stochastic', seed=1, report=True)",
    "mxfp4-axis0-stochastic-report": "nf.round(x, 'mxfp4', 'stochastic', axis=0, seed=1, report=True, per_block=True)",
    "e4m3-stochastic-report": "nf.round(x, 'e4m3', 'stochastic', seed=1, report=True)",
    "posit16-report": "nf.round(x, 'posit16', 'toward_zero', report=True)",
}
# generic helpers that take a literal at some call sites and a variable at others, each a few
# lines (a few hundredths of a second a compile)
GENERIC = {"numfmt.lanes.minimum", "numfmt.lanes.maximum", "numfmt.lanes.where"}


@pytest.mark.parametrize("call", ci_chosen(FIRST_CALLS, ("mxint8-stochastic-report",)))
def test_a_first_call_compiles_no_helper_again_for_a_literal(tmp_path, call):
    """A variable that a loop carries into a helper starts as int64 or boolean: one that
    started as 0 (False) had Numba compile the helper for the literal first, then again (an
    MX float64 stochastic report's first call: 0.8-0.95 s for ``kernels.block._tally_rare``)."""
    source = ("import numpy as np\nimport numfmt as nf\n\n"
              "def test_first_call():\n"
              "    x = np.random.default_rng(0).standard_normal((64, 64))\n"
              f"    {FIRST_CALLS[call]}\n")
    _, out = run_with_plugin(tmp_path, "tests.compile_profile", source, "COMPILE_PROFILE_OUT")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records and set(literal_twins(records)) <= GENERIC, literal_twins(records)
