"""The README's examples run (as numbagg's tests do): every ```python block, each in a fresh
namespace; blocks with ``>>>`` prompts run as doctests, so their printed results are checked,
the others are executed. Shell blocks are not run, except that the ``numfmt list`` output the
README shows is compared with the command line's."""
from __future__ import annotations

import contextlib
import doctest
import io
import os

import pytest

import numfmt as nf
from numfmt.cli import main

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
with open(README) as _f:
    TEXT = _f.read()


def _blocks(language: str) -> list[tuple[int, str]]:
    """(line number of the first code line, code) of every fenced block of this language ("" for
    a plain fence), reading the fences in order."""
    blocks, opened = [], None
    for number, line in enumerate(TEXT.splitlines(keepends=True), 1):
        if opened is None and line.startswith("```"):
            opened, code = (line[3:].strip(), number + 1), []
        elif opened is not None and line.rstrip() == "```":
            if opened[0] == language:
                blocks.append((opened[1], "".join(code)))
            opened = None
        elif opened is not None:
            code.append(line)
    return blocks


PYTHON = _blocks("python")


@pytest.fixture(autouse=True)
def _restore_threads():
    """The examples may set the thread count (results never depend on it); put it back."""
    threads = nf.get_num_threads()
    yield
    nf.set_num_threads(threads)


def test_every_python_block_is_found():
    assert len(PYTHON) == TEXT.count("```python") and len(PYTHON) >= 7


@pytest.mark.parametrize("line, code", PYTHON, ids=[f"line{line}" for line, _ in PYTHON])
def test_python_block(line, code):
    if ">>>" not in code:
        exec(compile(code, f"README.md:{line}", "exec"), {})
        return
    test = doctest.DocTestParser().get_doctest(code, {}, f"README.md:{line}", README, line - 1)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_the_numfmt_list_block_is_the_output_of_numfmt_list():
    intro = TEXT.index("(output of `numfmt list`")
    shown = next(code for line, code in _blocks("") if TEXT.count("\n", 0, intro) < line)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["list"]) == 0
    assert shown == out.getvalue()


def test_install_and_test_commands():
    """The main job and the test command (.ci/run runs the latter) stay as documented."""
    bash = [code.strip() for _, code in _blocks("bash")]
    assert bash[:2] == ['pip install ".[study]" && numfmt study',
                        'pip install -e ".[test]" && python -m pytest -m "not slow" -n auto --dist loadfile']
    assert "python -m numfmt" in TEXT
