"""Numba kernels. They take plain integers and arrays only: one compiled kernel per family.

Importing this package first installs the package-wide cache stamp (``cache``), before any
kernel module defines a cached kernel.
"""
from . import cache  # noqa: F401
