"""A pytest plugin that records which compiled kernel signatures each test calls, so that one can
tell how much of the suite's compile time a test, or a test function, alone needs (issue 11).

    python -m pytest -p tests.signature_needs -m "not slow" -n 2 --dist loadfile     # a warm cache: loads only

After each test every Numba dispatcher it called forgets its compiled signatures, so that the
next test that calls one loads it again (from the disk cache: run it warm) and is recorded too:
each record is [test, function, argument types], one JSON line per call of a signature not yet
loaded in that test, written to ``SIGNATURE_NEEDS_OUT`` (appended, every xdist worker). With
the records of a cold run of ``tests/compile_profile.py`` (``COMPILE_PROFILE_OUT``), whose
times are per compiled signature, ``exclusive_seconds`` gives the compile time that only one
test case, or only one test function, needs: the most that taking it out of the default run
could save. Stop 75 (619 signatures, 896 s of CPU): 192 s needed by one test case alone, 238 s
by one test function; the rest by several.
"""
from __future__ import annotations

import collections
import json
import os

import pytest
from numba.core import dispatcher

_called: set = set()
_records: list[list[str]] = []
_test = ["<collection>"]
_compile = dispatcher.Dispatcher.compile


def _recording_compile(self, sig):
    _called.add(self)
    func = self.py_func
    _records.append([_test[0], f"{func.__module__}.{func.__qualname__}", str(sig)])
    return _compile(self, sig)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _test[0] = item.nodeid
    yield
    for disp in _called:
        disp._reset_overloads()
    _called.clear()
    _test[0] = "<between tests>"


def pytest_configure(config):
    dispatcher.Dispatcher.compile = _recording_compile


def pytest_unconfigure(config):
    dispatcher.Dispatcher.compile = _compile


def pytest_sessionfinish(session):
    if _records and os.environ.get("SIGNATURE_NEEDS_OUT"):
        with open(os.environ["SIGNATURE_NEEDS_OUT"], "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in _records)


def exclusive_seconds(needs: list, compiles: list, key=lambda test: test) -> dict:
    """{key(test): seconds} of the signatures (function, argument types) that tests of one key
    alone call: ``needs`` records of this plugin, ``compiles`` those of
    ``tests/compile_profile.py`` (a signature's inclusive seconds, the callees it compiled
    with it; top-level compiles only). key=lambda t: t.split("[")[0] groups a test function's
    cases."""
    seconds = {(func, args): inclusive for _, func, args, inclusive, _, depth in compiles if depth == 0}
    keys = collections.defaultdict(set)
    for test, func, args in needs:
        keys[func, args].add(key(test))
    alone = collections.Counter()
    for sig, cost in seconds.items():
        if len(keys.get(sig, ())) == 1:
            alone[next(iter(keys[sig]))] += cost
    return dict(alone)
