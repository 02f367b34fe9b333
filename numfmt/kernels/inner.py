"""Decorators of compiled helpers that only other compiled code calls.

``@inner`` is ``@nb.njit(cache=True, nogil=True)`` and ``@inner_inline`` is
``@nb.njit(forceinline=True)``, both without the wrappers that let Python (and C) call the
function: Numba otherwise compiles, for every helper, a CPython wrapper that unboxes each
argument and boxes the result (a rounder's ``FloatParams`` field by field), often several times
the helper's own code and most of its compile time. A helper made so must not be called from
Python (there is no wrapper to call: it crashes); kernels call it as usual.
"""
import numba as nb

_NO_WRAPPERS = dict(no_cpython_wrapper=True, no_cfunc_wrapper=True)
inner = nb.njit(cache=True, nogil=True, **_NO_WRAPPERS)
inner_inline = nb.njit(forceinline=True, **_NO_WRAPPERS)
