"""Numba kernels. They take plain integers and arrays only: one compiled kernel per family.

Importing this package first installs the package-wide cache stamp (``cache``), before any
kernel module defines a cached kernel.

Two rules every kernel module follows:

- **Helpers are ``@inner_inline``** (``kernels.inner``: ``@nb.njit(forceinline=True)`` without
  the Python and C wrappers that only a call from Python needs): Numba compiles a helper once
  per signature and LLVM inlines it into each caller. A cached helper that only kernels call
  is ``@inner``; ``@nb.njit(cache=True, nogil=True)`` is for the kernels that Python calls.
  Numba's own ``inline="always"`` instead copies the helper's IR into every call site (a deep
  copy of the helper's whole variable scope per call site), which was about 70% of the compile time of the large kernels (first ``nf.add`` on
  posit16: 34 s with it, 7 s without). It stays only on small leaves where inlining before
  type inference was measured to matter at run time (``rounding.py``, ``random.py``) and on
  the summation steps of ``accumulate.py`` (sequential sums 2x slower without it).
- **No signed integer overflow.** Numba emits signed ``+ - *`` with LLVM's ``nsw`` flag, so an
  int64 overflow is undefined behaviour: LLVM may fold later comparisons either way, and the
  result changes with inlining. Build masks as ``~(np.int64(-1) << k)``, never
  ``(np.int64(1) << k) - 1`` with k = 63; do wrap-around arithmetic in uint64 with uint64
  constants; keep shift amounts in 0..63.
"""
from . import cache  # noqa: F401
