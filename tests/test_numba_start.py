"""Numba's first compile after ``import numfmt`` does not import SciPy's linear algebra, and
Numba's BLAS decisions stay as its own check would make them (numfmt.kernels.numba_start)."""
import subprocess
import sys

import pytest

from numfmt.kernels import numba_start

FIRST_COMPILE = """
import sys
import numba as nb, numpy as np
import numfmt
from numba.np import arraymath, linalg
from numfmt.kernels.numba_start import scipy_has_cython_blas

@nb.njit
def plus_one(x):
    return x + 1

assert plus_one(1) == 2
print("scipy.linalg" in sys.modules, arraymath._HAVE_BLAS, scipy_has_cython_blas(),
      arraymath.ensure_blas is linalg.ensure_blas)

@nb.njit
def dot(a, b):
    return np.dot(a, b)

if arraymath._HAVE_BLAS:        # a user's BLAS call imports and checks SciPy as before
    assert dot(np.ones(3), np.ones(3)) == 3.0
    print("scipy.linalg" in sys.modules)
"""


def test_the_first_compile_leaves_scipy_linalg_unimported():
    out = subprocess.run([sys.executable, "-c", FIRST_COMPILE], capture_output=True, text=True,
                         check=True).stdout.split()
    scipy_linalg, have_blas, found, restored = out[:4]
    assert scipy_linalg == "False"
    assert have_blas == found and restored == "True"
    if have_blas == "True":
        assert out[4] == "True"


def test_blas_counts_as_missing_where_scipy_has_no_cython_blas(monkeypatch):
    monkeypatch.setattr(numba_start, "scipy_has_cython_blas", lambda: False)
    with pytest.raises(ImportError, match="scipy"):
        numba_start._found_blas()
    monkeypatch.setattr(numba_start, "scipy_has_cython_blas", lambda: True)
    numba_start._found_blas()
