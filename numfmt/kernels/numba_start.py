"""Numba's first compile in a process, without importing SciPy's linear algebra.

Numba's first compile in a process loads its NumPy implementations, and with them
``numba.np.arraymath``, which decides at import whether BLAS is available by importing
``scipy.linalg.cython_blas``: that imports all of ``scipy.linalg`` (0.34 s on the 2-core
machine) wherever SciPy is installed, as JAX and scikit-learn install it. numfmt's kernels never
call BLAS. ``install()`` imports ``numba.np.arraymath`` ahead (8 ms) with that check answered
from SciPy's files instead: BLAS counts as available where SciPy has its ``cython_blas`` module,
as the import would find it. Numba's later BLAS calls (``np.dot`` in a user's kernel) still
import and check SciPy themselves, as before. Nothing happens where ``arraymath`` is already
imported (another package compiled first).

``install()`` runs when ``numfmt.kernels`` is imported.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def scipy_has_cython_blas() -> bool:
    """Whether SciPy is installed with its ``scipy.linalg.cython_blas`` extension, found
    without importing SciPy.

    >>> isinstance(scipy_has_cython_blas(), bool)
    True
    """
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(any((Path(folder) / "linalg").glob("cython_blas*"))
               for folder in spec.submodule_search_locations)


def _found_blas() -> None:
    """``numba.np.linalg.ensure_blas`` for the check at ``arraymath``'s import: ImportError
    where SciPy's BLAS module is missing."""
    if not scipy_has_cython_blas():
        raise ImportError("scipy 0.16+ is required for linear algebra")


def install() -> None:
    """Import ``numba.np.arraymath`` with its BLAS check answered by ``scipy_has_cython_blas``
    (idempotent; nothing where it is already imported)."""
    if "numba.np.arraymath" in sys.modules:
        return
    from numba.np import linalg
    ensure_blas = linalg.ensure_blas
    linalg.ensure_blas = _found_blas
    try:
        from numba.np import arraymath
    finally:
        linalg.ensure_blas = ensure_blas
    arraymath.ensure_blas = ensure_blas


install()
