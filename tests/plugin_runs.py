"""Run pytest on a small test file with one of the suite's plugins (``tests/compile_profile.py``,
``tests/signature_needs.py``) in a fresh process: the plugins' own tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_with_plugin(tmp_path: Path, plugin: str, source: str, out_var: str):
    """Write ``source`` to tmp_path/test_case.py and run pytest on it in one process with ``-p
    plugin``, an empty Numba cache, and the environment variable ``out_var`` naming the file the
    plugin writes its records to; returns (the finished run, that file). Asserts the run passed."""
    (tmp_path / "test_case.py").write_text(source)
    out = tmp_path / "records.jsonl"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env[out_var] = str(out)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", plugin, "-n", "0", "-q", "-p", "no:cacheprovider",
                          str(tmp_path / "test_case.py")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    return run, out
