"""The Numba disk cache cannot go stale: a change to any numfmt source recompiles the kernels
that inline it, even when the kernel is defined in another file; processes that share a cache
compile each kernel signature once between them (numfmt.kernels.cache)."""
import os
import pickletools
import re
import shutil
import subprocess
import sys
import time
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
    """(cache hits, misses, the rounded bytes) of PROBE run with root's numfmt, whose cache is
    its own __pycache__ (a NUMBA_CACHE_DIR of the caller's would put it elsewhere)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=root, env=env, capture_output=True, text=True,
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


def _pickle_length(path: Path) -> int:
    """The length of the first pickle in the file (Numba's index: its version, then the data)."""
    with open(path, "rb") as f:
        for op, _, pos in pickletools.genops(f):
            if op.name == "STOP":
                return pos + 1
    raise ValueError(path)


def test_an_index_naming_a_class_numfmt_no_longer_has_is_a_miss(tmp_path):
    """A cache index whose signatures name a class that a later numfmt moved (Numba unpickles
    them before it compares the stamp, and raised AttributeError at the first call) is removed
    and counts as a miss: the kernel compiles and saves again."""
    shutil.copytree(Path(numfmt.__file__).parent, tmp_path / "numfmt",
                    ignore=shutil.ignore_patterns("__pycache__"))
    first = _probe(tmp_path)[2]
    (index,) = (tmp_path / "numfmt" / "kernels" / "__pycache__").glob("floating.round_sr_add32-*.nbi")
    with open(index, "rb") as f:
        version = f.read(_pickle_length(index))
    index.write_bytes(version + b"cnumfmt.kernels.floating\nNoSuchClass\n.")
    assert _probe(tmp_path) == (0, 1, first)
    assert _probe(tmp_path) == (1, 0, first)


RACER = """
import sys, time, os
import numpy as np, numfmt as nf
from numba.core import event

compiled = []

class Listener(event.Listener):
    def on_start(self, ev):
        d = ev.data["dispatcher"]
        if d.py_func.__module__.startswith("numfmt"):
            compiled.append(f"{d.py_func.__module__}.{d.py_func.__qualname__}{tuple(ev.data['args'])}")
    def on_end(self, ev):
        pass

event.register("numba:compile", Listener())
while not os.path.exists(sys.argv[1]):      # both processes start the cast together
    time.sleep(0.001)
nf.round(np.linspace(-3, 3, 101, dtype=np.float32), "e5m2", "toward_zero")
print("\\n".join(compiled))
"""


def test_processes_sharing_a_cache_compile_each_signature_once(tmp_path):
    """Two processes start the same first cast at once on an empty cache folder: each kernel
    signature is compiled by one of them (the other waits on its lock, then loads it); without
    the lock both compile it."""
    go = tmp_path / "go"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(go)], env=env, stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    time.sleep(5)       # (both have imported numfmt: the cast's first call compiles for seconds)
    go.touch()
    outs = [r.communicate(timeout=600)[0].split("\n") for r in racers]
    assert all(r.returncode == 0 for r in racers)
    first, second = ({line for line in out if line} for out in outs)
    assert first | second, "nothing compiled: the cache folder was not empty"
    assert not first & second, f"compiled by both processes: {sorted(first & second)}"
    assert any(p.suffix == ".lock" for p in (tmp_path / "cache").rglob("*"))


def test_every_module_with_compiled_code_is_in_the_stamp():
    """A module that defines a compiled function (a Numba decorator or one of numfmt's, an
    overload) is hashed into the cache's stamp: kernels inline its code, so a change to it must
    recompile them (lanes.py, kernels/exact.py, longacc.py and machine_sum.py import no Numba
    themselves and were once left out: their changes loaded stale kernels)."""
    from numfmt.kernels.cache import PACKAGE_DIR, stamped_files
    decorated = re.compile(r"^@(nb\.|numba\.)?(njit|jit|inner|inner_inline|kernel|extending\.overload|overload)\b",
                           re.MULTILINE)
    compiled = {p for p in PACKAGE_DIR.rglob("*.py") if decorated.search(p.read_text())}
    assert compiled >= {PACKAGE_DIR / "lanes.py", PACKAGE_DIR / "kernels" / "exact.py"}
    assert not compiled - set(stamped_files())
