"""A fixed sample of a parametrized sweep for the default test run; the rest marked slow.

The README's test command (``-m "not slow"``) must stay within the CI budget, while a sweep's
every case still runs under ``-m slow``. ``ci_sample`` keeps k cases of a parametrization in the
default run, chosen by a hash of each case's id: the same cases on every run, on every machine and
in every xdist worker (pytest-xdist requires that every worker collects the same tests), and a new
case does not reshuffle the others.

A grid of several parametrizations (``ci_grid``) keeps a diagonal of it, so that every value of
every axis still runs once, plus cases chosen by hash up to k.

``ci_chosen`` keeps the cases named by hand, one of each kind, where a hash might miss a kind.

A hypothesis test whose examples are costly draws a few in the default run; ``slow_twin`` makes
its copy for ``-m slow`` that draws the full sample.

>>> cases = ci_sample(["e4m3", "e5m2", "binary16", "bfloat16"], 2)
>>> [len(c.marks) for c in cases].count(0)
2
>>> grid = ci_grid(["add", "mul", "div"], ["e4m3", "bfloat16"])
>>> sorted(c.values for c in grid if not c.marks)
[('add', 'e4m3'), ('div', 'e4m3'), ('mul', 'bfloat16')]
"""
from __future__ import annotations

import itertools
import zlib
from typing import Iterable, Sequence

import pytest
from hypothesis import given, settings


PARAM = type(pytest.param(None))       # pytest's ParameterSet


def _check_stable(names) -> None:
    """Refuse names that hold an address (they differ between xdist workers)."""
    unstable = [n for n in names if " at 0x" in n]
    if unstable:
        raise ValueError(f"ids: case {unstable[0]!r} has no stable name (an address); give ids")


def _as_param(case):
    """A case as a pytest.param: one value, a tuple of the values of several argument names, or
    a pytest.param (itself)."""
    return case if isinstance(case, PARAM) else pytest.param(*(case if isinstance(case, tuple) else (case,)))


def _case_name(param) -> str:
    """The name that ranks a case: its param id, else its values as str joined by '-'."""
    return param.id if param.id is not None else "-".join(map(str, param.values))


def ci_sample(cases: Iterable, k: int, ids: Sequence[str] | None = None) -> list:
    """The cases (``_as_param``'s) as pytest.param, each with its id where ``ids`` gives one;
    the k cases whose ids (else ``_case_name``) hash lowest (CRC-32) unmarked, the others
    marked slow (their own marks kept). k at least 1."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    params = [_as_param(c) for c in cases]
    names = list(ids) if ids is not None else [_case_name(p) for p in params]
    _check_stable(names)
    kept = set(sorted(range(len(params)), key=lambda i: (zlib.crc32(names[i].encode()), i))[:k])
    return [pytest.param(*p.values, marks=list(p.marks) + ([] if i in kept else [pytest.mark.slow]),
                         id=ids[i] if ids is not None else p.id) for i, p in enumerate(params)]


def ci_grid(*axes: Sequence, k: int | None = None) -> list:
    """The product of the axes (each a list of cases, as ``ci_sample`` takes them; pytest.param
    marks on an axis value are not kept: mark the whole grid) as pytest.param of the axes'
    argument names in order, ids joined by '-'. Unmarked: the diagonal (case i takes value
    i mod len of each axis, for i below the longest axis' length), so that every value of every
    axis runs, then the others by ``ci_sample``'s hash until k (default: the diagonal alone)
    are; the rest marked slow."""
    cases = [[(p.values, _case_name(p)) for p in map(_as_param, axis)] for axis in axes]
    longest = max(len(axis) for axis in cases)
    combos = list(itertools.product(*[range(len(axis)) for axis in cases]))
    diagonal = {tuple(i % len(axis) for axis in cases) for i in range(longest)}
    ids = ["-".join(cases[a][j][1] for a, j in enumerate(combo)) for combo in combos]
    _check_stable(ids)
    extra = max(0, (k or 0) - len(diagonal))
    ranked = sorted((zlib.crc32(ids[n].encode()), n) for n, combo in enumerate(combos) if combo not in diagonal)
    kept = {n for n, combo in enumerate(combos) if combo in diagonal} | {n for _, n in ranked[:extra]}
    return [pytest.param(*itertools.chain.from_iterable(cases[a][j][0] for a, j in enumerate(combo)),
                         marks=[] if n in kept else [pytest.mark.slow], id=ids[n]) for n, combo in enumerate(combos)]


def ci_chosen(cases: Iterable, kept: Iterable[str], name=str) -> list:
    """The cases as pytest.param (ids ``name(case)``), those whose name is in ``kept`` unmarked,
    the others marked slow: a sample picked by hand (one case of each kind), where
    ``ci_sample``'s hash would pick blindly. A name in kept that no case has raises.

    >>> [len(c.marks) for c in ci_chosen(["e4m3", "e5m2", "nvfp4"], ("nvfp4",))]
    [1, 1, 0]
    """
    cases, kept = list(cases), set(kept)
    missing = kept - {name(c) for c in cases}
    if missing:
        raise ValueError(f"kept: no case named {sorted(missing)}")
    return [pytest.param(c, marks=[] if name(c) in kept else [pytest.mark.slow], id=name(c)) for c in cases]


def slow_twin(test, examples: settings, *strategies, **named_strategies):
    """A copy of the hypothesis test ``test`` marked slow, drawing under the settings ``examples``
    (its max_examples the full sample) from the strategies given, which are the test's own:
    hypothesis does not expose them, so pass them again. Assign it to a module name that starts
    with test_ (pytest collects it under that name); fixtures the test takes stay fixtures.
    ``test_x_wide = slow_twin(test_x, settings(max_examples=40, deadline=None), *CASES)``."""
    return pytest.mark.slow(examples(given(*strategies, **named_strategies)(test.hypothesis.inner_test)))
