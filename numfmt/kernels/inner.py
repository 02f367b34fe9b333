"""Decorators of compiled helpers that only other compiled code calls.

``@inner`` is ``@nb.njit(cache=True, nogil=True)`` and ``@inner_inline`` is
``@nb.njit(forceinline=True)``, both without the wrappers that let Python (and C) call the
function: Numba otherwise compiles, for every helper, a CPython wrapper that unboxes each
argument and boxes the result (a rounder's ``FloatParams`` field by field), often several times
the helper's own code and a fifth to a third of a first call's compile time. Kernels call such
a helper as usual; a call from Python raises ``TypeError`` (there is no wrapper to call: Numba
itself would crash) and points to ``helper.py_func``, the plain Python function, which is what
the torch and JAX backends evaluate. Keyword options (``@inner(error_model="numpy")``) pass on
to Numba. Both compile with ``kernels.pipeline.NumfmtCompiler`` (``arg is None`` decided from the
argument's type, so a helper compiles only the branch it can run).

>>> import numpy as np
>>> @inner_inline
... def _twice(x):
...     return 2 * x
>>> @nb.njit
... def kernel(a):
...     return _twice(a[0])
>>> int(kernel(np.array([21])))
42
>>> _twice(21)
Traceback (most recent call last):
TypeError: numfmt.kernels.inner._twice is compiled without a Python wrapper: only compiled code calls it (from Python, call _twice.py_func)
"""
from __future__ import annotations

from typing import Callable

import numba as nb
from numba.core import config
from numba.core.registry import CPUDispatcher

from .pipeline import NumfmtCompiler

_NO_WRAPPERS = dict(no_cpython_wrapper=True, no_cfunc_wrapper=True)


class InnerDispatcher(CPUDispatcher):
    """Numba's CPU dispatcher whose Python-level call raises instead of jumping to no wrapper."""

    def __call__(self, *args, **kwargs):
        name = self.py_func.__qualname__
        raise TypeError(f"{self.py_func.__module__}.{name} is compiled without a Python wrapper: "
                        f"only compiled code calls it (from Python, call {name}.py_func)")


def _decorator(cache: bool, base: dict) -> Callable:
    def decorator(py_func: Callable | None = None, **options):
        if py_func is None:
            return lambda f: decorator(f, **options)
        if config.DISABLE_JIT:
            return py_func
        targetoptions = dict(nopython=True, **base, **options, **_NO_WRAPPERS)
        dispatcher = InnerDispatcher(py_func=py_func, locals={}, targetoptions=targetoptions,
                                     pipeline_class=NumfmtCompiler)
        if cache:
            dispatcher.enable_caching()
        return dispatcher
    return decorator


inner = _decorator(cache=True, base=dict(nogil=True))
inner_inline = _decorator(cache=False, base=dict(forceinline=True))
