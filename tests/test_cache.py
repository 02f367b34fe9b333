"""The Numba disk cache cannot go stale: a change to any numfmt source recompiles the kernels
that inline it, even when the kernel is defined in another file (numfmt.kernels.cache)."""
import shutil
import subprocess
import sys
from pathlib import Path

import numfmt

PROBE = """
import numpy as np, numfmt as nf
from numfmt.kernels import floating
x = np.linspace(-3, 3, 1001, dtype=np.float32)
y = nf.round(x, "e4m3", "stochastic", seed=5)
stats = floating.round_sr_add32.stats
print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()), y.tobytes().hex())
"""


def _probe(root: Path) -> tuple[int, int, str]:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), int(out[1]), out[2]


def test_kernel_recompiles_when_an_inlined_helper_in_another_file_changes(tmp_path):
    shutil.copytree(Path(numfmt.__file__).parent, tmp_path / "numfmt",
                    ignore=shutil.ignore_patterns("__pycache__"))
    hits, misses, first = _probe(tmp_path)
    assert (hits, misses) == (0, 1)                     # compiled and written to the cache
    hits, misses, again = _probe(tmp_path)
    assert (hits, misses, again) == (1, 0, first)       # loaded from the cache
    # round_sr_add32 lives in kernels/floating.py and inlines splitmix_output from random.py
    random_py = tmp_path / "numfmt" / "random.py"
    source = random_py.read_text()
    assert "GOLDEN = 0x9E3779B97F4A7C15" in source
    random_py.write_text(source.replace("GOLDEN = 0x9E3779B97F4A7C15", "GOLDEN = 0x9E3779B97F4A7C17"))
    hits, misses, changed = _probe(tmp_path)
    assert (hits, misses) == (0, 1)                     # the stale entry was not used
    assert changed != first                             # and the new random numbers took effect
    # the pure-Python front end holds no compiled code: changing it keeps the cache
    cli_py = tmp_path / "numfmt" / "cli.py"
    cli_py.write_text(cli_py.read_text() + "\n# a comment\n")
    assert _probe(tmp_path) == (1, 0, changed)
