"""A pytest plugin that shows where the suite's Numba compile time goes (issue 11).

    NUMBA_CACHE_DIR=$(mktemp -d) python -m pytest -p tests.compile_profile -n 0 -m "not slow" tests/test_accum.py

Every compile (a cache miss: cached kernels load without one) is recorded through Numba's
``numba:compile`` events with its exclusive CPU time on the compiling thread (the callees it
compiled on the way are their own records) and the test that caused it. At the end it prints
the kernels and the tests that compiled longest; with ``COMPILE_PROFILE_OUT=path`` it also
writes one JSON line per compile: [test, kernel, argument types, inclusive s, exclusive s,
depth], from every process (xdist workers too). Run it in one process (``-n 0``) with an
empty cache to see each specialization compile once, where it is first needed; under xdist the
JSON lines show what each worker compiled, the duplicates included.

It also names the functions compiled twice for one call site: once for a ``Literal[int]``
(``Literal[bool]``) argument and again for the plain integer (boolean). Numba types a
loop-carried variable that starts as a literal (``seen = 0``, then ``seen |= ...``; ``dense =
False``) first as the literal, and compiles a callee for it before the loop's type settles;
start it as ``np.int64(0)`` (``np.bool_(False)``). A callee called with a literal at one site
and a variable at another compiles twice too: pass ``np.int64(0)`` there.
"""
from __future__ import annotations

import collections
import json
import os
import re
import time

import pytest
from numba.core import event

_records: list[list] = []
_stack: list[list[float]] = []
_test = ["<collection>"]


class _CompileListener(event.Listener):
    def on_start(self, ev):
        _stack.append([time.thread_time(), 0.0])

    def on_end(self, ev):
        start, callees = _stack.pop()
        inclusive = time.thread_time() - start
        if _stack:
            _stack[-1][1] += inclusive
        func = ev.data["dispatcher"].py_func
        _records.append([_test[0], f"{func.__module__}.{func.__qualname__}", str(ev.data["args"]),
                         inclusive, inclusive - callees, len(_stack)])


def pytest_configure(config):
    event.register("numba:compile", _CompileListener())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _test[0] = item.nodeid
    yield
    _test[0] = "<between tests>"


_LITERAL_INT = re.compile(r"Literal\[int\]\(-?\d+\)")
_LITERAL_BOOL = re.compile(r"Literal\[bool\]\((?:True|False)\)")


def literal_twins(records: list) -> dict:
    """{function: seconds}: the functions of records ([test, function, argument types, ...,
    exclusive s, ...]) that compiled for argument types with a ``Literal[int]`` (or
    ``Literal[bool]``) and again for the same types with int64 (bool) there; the seconds of
    the literal compiles."""
    by_types = collections.defaultdict(dict)
    for _, func, args, _, exclusive, _ in records:
        by_types[func, _LITERAL_BOOL.sub("bool", _LITERAL_INT.sub("int64", args))][args] = exclusive
    twins = collections.defaultdict(float)
    for (func, plain), compiled in by_types.items():
        if plain in compiled and len(compiled) > 1:
            twins[func] += sum(seconds for args, seconds in compiled.items() if args != plain)
    return dict(twins)


def _top(totals: dict, n: int = 15) -> list[tuple]:
    return sorted(totals.items(), key=lambda kv: -kv[1][0])[:n]


def pytest_sessionfinish(session):
    """Every process writes its own records: xdist workers too (their terminal summary does not run)."""
    if _records and os.environ.get("COMPILE_PROFILE_OUT"):
        with open(os.environ["COMPILE_PROFILE_OUT"], "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in _records)


def pytest_terminal_summary(terminalreporter):
    if not _records:
        return
    by_kernel, by_test = collections.defaultdict(lambda: [0.0, 0]), collections.defaultdict(lambda: [0.0, 0])
    for test, kernel, _, _, exclusive, _ in _records:
        for totals, key in ((by_kernel, kernel), (by_test, test)):
            totals[key][0] += exclusive
            totals[key][1] += 1
    write = terminalreporter.write_line
    write(f"\nNumba compiles: {len(_records)}, {sum(r[4] for r in _records):.1f} s CPU")
    for title, totals in (("kernel", by_kernel), ("test", by_test)):
        write(f"  s CPU  compiles  {title}")
        for key, (seconds, count) in _top(totals):
            write(f"{seconds:7.1f}  {count:8d}  {key}")
    twins = literal_twins(_records)
    if twins:
        write("  s CPU  compiled again for a literal (start the variable as np.int64(0), np.bool_(False))")
        for func, seconds in sorted(twins.items(), key=lambda kv: -kv[1]):
            write(f"{seconds:7.1f}  {func}")
