"""Numba's disk cache for numfmt's kernels, keyed on every numfmt module that holds compiled code.

Numba decides whether a cached kernel is fresh from the stamp of the one file that defines it.
numfmt's kernels inline helpers from other files (the rounding of ``kernels/floating.py`` runs
inside the arithmetic, accumulation and block kernels), so a change to a helper, or an upgrade
of numfmt, would leave the dependent kernels returning the old code's results. Here every
kernel defined inside the package gets one stamp instead: a hash of every module of the package
that imports Numba (the kernels, ``rounding.py``, ``random.py``: the only modules whose code or
constants a kernel can compile in; keep it that way) and the Numba version. A change to any of
them recompiles every kernel once; a change to the pure-Python front end (argument checks, the
command line) recompiles nothing. Nothing else about Numba's caching changes (same cache
folders, and ``NUMBA_CACHE_DIR`` is still honoured). Kernels of other packages are not affected.

``install()`` runs when ``numfmt.kernels`` is imported, before any kernel is defined.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import numba
from numba.core import caching

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=None)
def source_stamp() -> str:
    """sha256 over the path and bytes of every .py file of the package that imports Numba, and
    over Numba's version.

    >>> len(source_stamp())
    64
    """
    digest = hashlib.sha256(f"numba {numba.__version__}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = path.read_bytes()
        if re.search(rb"^(import numba|from numba)", source, re.MULTILINE):
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(source)
    return digest.hexdigest()


def _in_package(py_file: str) -> bool:
    try:
        return Path(py_file).resolve().is_relative_to(PACKAGE_DIR)
    except (OSError, ValueError):
        return False


class _PackageStamp:
    """Locator mixin: numfmt's files only, stamped with ``source_stamp()``."""

    def get_source_stamp(self):
        return source_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _in_package(py_file):
            return None
        return super().from_function(py_func, py_file)


def _impl_class():
    """The class holding Numba's list of cache locators (renamed in Numba 0.61)."""
    return getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")


def install() -> None:
    """Put package-stamped twins of Numba's file-backed locators first in its list (idempotent)."""
    impl = _impl_class()
    locators = impl._locator_classes
    if any(issubclass(cls, _PackageStamp) for cls in locators):
        return
    twins = [type(f"Numfmt{cls.__name__.lstrip('_')}", (_PackageStamp, cls), {"__module__": __name__})
             for cls in locators if issubclass(cls, caching._SourceFileBackedLocatorMixin)]
    impl._locator_classes = twins + list(locators)


install()
