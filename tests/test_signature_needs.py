"""tests/signature_needs.py (the plugin that records which kernel signatures each test calls) records
a signature in every test that calls it, not only the first, and attributes the compile time
that one test alone needs."""
from __future__ import annotations

import json

from plugin_runs import run_with_plugin
from signature_needs import exclusive_seconds


def test_every_test_that_calls_a_signature_records_it(tmp_path):
    source = (
        "import numba\n\n"
        "@numba.njit(cache=True)\n"
        "def twice(x):\n"
        "    return 2 * x\n\n"
        "def test_int():\n"
        "    assert twice(3) == 6\n\n"
        "def test_int_again():\n"
        "    assert twice(4) == 8\n\n"
        "def test_float():\n"
        "    assert twice(4.0) == 8.0\n")
    _, out = run_with_plugin(tmp_path, "tests.signature_needs", source, "SIGNATURE_NEEDS_OUT")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    calls = sorted((test.split("::")[1], func.split(".")[-1], args) for test, func, args in records)
    assert calls == [("test_float", "twice", "(float64,)"), ("test_int", "twice", "(int64,)"),
                     ("test_int_again", "twice", "(int64,)")]


def test_exclusive_seconds_counts_what_one_key_alone_calls():
    needs = [["t.py::a[1]", "k", "(int64,)"], ["t.py::a[2]", "k", "(int64,)"], ["t.py::b", "k", "(int64,)"],
             ["t.py::a[1]", "k", "(float64,)"], ["t.py::b", "h", "(int64,)"]]
    compiles = [["t.py::a[1]", "k", "(int64,)", 2.0, 1.5, 0], ["t.py::a[1]", "k", "(float64,)", 3.0, 3.0, 0],
                ["t.py::b", "h", "(int64,)", 5.0, 5.0, 0], ["t.py::b", "g", "(int64,)", 7.0, 7.0, 1]]
    assert exclusive_seconds(needs, compiles) == {"t.py::a[1]": 3.0, "t.py::b": 5.0}
    assert exclusive_seconds(needs, compiles, key=lambda t: t.split("[")[0]) == {"t.py::a": 3.0, "t.py::b": 5.0}
