"""Numba kernels. They take plain integers and arrays only: one compiled kernel per family."""
