"""Numba kernels. They take plain integers and arrays only: one compiled kernel per family.

Importing this package first installs the package-wide cache stamp (``cache``), before any
kernel module defines a cached kernel, and spares Numba's first compile its import of SciPy's
linear algebra (``numba_start``).

The rules every kernel module follows:

- **Helpers are ``@inner_inline``** (``kernels.inner``: ``@nb.njit(forceinline=True)`` without
  the Python and C wrappers that only a call from Python needs): Numba compiles a helper once
  per signature, to LLVM IR only (no machine code of its own, no Python objects), and LLVM
  inlines it into each caller. A cached helper that only kernels call
  is ``@inner``; ``@nb.njit(cache=True, nogil=True)`` is for the kernels that Python calls
  (``@kernel(cache=True, nogil=True)``, ``kernels.pipeline``, where a kernel branches on ``arg
  is None``: both it and the ``inner`` helpers then compile only the branch each call can run).
  Numba's own ``inline="always"`` instead copies the helper's IR into every call site (a deep
  copy of the helper's whole variable scope per call site), which was about 70% of the compile time of the large kernels (first ``nf.add`` on
  posit16: 34 s with it, 7 s without). It stays only on small leaves where inlining before
  type inference was measured to matter at run time (``rounding.py``, ``random.py``) and on
  the summation steps of ``accumulate.py`` (sequential sums 2x slower without it).
- **No signed index that may be negative in a vectorized loop.** Numba wraps a negative index
  around (``a[i]`` reads ``a[i + n]`` for i < 0); where LLVM cannot prove ``start + i`` or
  ``at + j`` non-negative, its AVX-512 code gathers and scatters element by element (posit16
  round and seeded SR casts ran 1.3-2.8x slower that way). Slice first and index from 0, or
  index with uint64.
- **Variable shifts of uint32 lanes take an amount masked to 0..31.** Numba shifts integers
  in int64; LLVM narrows ``U32(x >> s)`` back to 32-bit lanes only where it can tell s < 32,
  so ``U32(x >> U32(s & U32(31)))``: an unmasked amount widened the whole loop to int64 lanes
  (e4m3 encode, 4M float32, 1 thread: 0.87 -> 0.61 ms once ``nearest_code32`` masked its).
- **No signed integer overflow.** Numba emits signed ``+ - *`` with LLVM's ``nsw`` flag, so an
  int64 overflow is undefined behaviour: LLVM may fold later comparisons either way, and the
  result changes with inlining. Build masks as ``~(np.int64(-1) << k)``, never
  ``(np.int64(1) << k) - 1`` with k = 63; do wrap-around arithmetic in uint64 with uint64
  constants; keep shift amounts in 0..63.
"""
from . import cache  # noqa: F401
from . import numba_start  # noqa: F401
