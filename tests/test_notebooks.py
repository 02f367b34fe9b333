"""The notebooks in notebooks/ run top to bottom (their assert cells check the claims their text
makes) at a small size, and are stored without outputs.

Each notebook reads its problem size from NUMFMT_NB_SIZE (set small here: the whole file takes
about 30 s on a 2-core machine with warm Numba caches, under 2 minutes with empty ones). They
run in a fresh ``python3`` Jupyter kernel started by nbclient, with this checkout first on
PYTHONPATH so that the kernel imports the numfmt under test.
"""
import os
from pathlib import Path

import pytest
from sampling import ci_sample

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SMALL_SIZE = "2000"
CELL_TIMEOUT_S = 300

nbformat = pytest.importorskip("nbformat")


def test_notebooks_exist():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", ci_sample(NOTEBOOKS, 5, ids=[p.name for p in NOTEBOOKS]))
def test_notebook_runs(path, monkeypatch, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("NUMFMT_NB_SIZE", SMALL_SIZE)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    # the kernel inherits this process's environment; it runs in a temporary directory
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
