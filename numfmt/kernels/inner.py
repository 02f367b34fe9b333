"""``inner``: the decorator of compiled helpers that only other compiled code calls.

``@inner`` is ``@nb.njit(cache=True, nogil=True)`` without the wrappers that let Python (and C)
call the function: Numba otherwise compiles, for every helper, a CPython wrapper that unboxes
each argument (a rounder's ``FloatParams`` field by field), three to four times the helper's
own code and most of its compile time. A helper made so must not be called from Python (there
is no wrapper to call: it crashes); kernels call it as usual.
"""
import numba as nb

inner = nb.njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
