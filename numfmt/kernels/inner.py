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

A helper is compiled to optimized LLVM IR only, never to machine code: kernels link its IR in
and inline it, so the machine code Numba would make of each helper on its own would never run.
Skipping it takes 2-15% off a first call's compile (``HelperLibrary``). Its disk cache holds
that IR, which loads without machine code too. The price: a helper cannot
use Python objects (``print``, ``objmode``, an exception whose message is formatted at run
time), which need its environment at run time; its compile says so where one tries.

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
from numba.core import caching, config, errors, lowering
from numba.core.codegen import JITCodeLibrary
from numba.core.compiler_machinery import register_pass
from numba.core.registry import CPUDispatcher
from numba.core.typed_passes import NativeLowering

from .pipeline import NumfmtCompiler

_NO_WRAPPERS = dict(no_cpython_wrapper=True, no_cfunc_wrapper=True)


class _CodegenWithoutEnvironments:
    """A helper library's view of Numba's code generator: setting a function's environment
    (an address in machine code that a helper never gets) does nothing."""

    def __init__(self, codegen):
        self._codegen = codegen

    def set_env(self, env_name, env):
        pass

    def __getattr__(self, name):
        return getattr(self._codegen, name)


class HelperLibrary(JITCodeLibrary):
    """A code library that is optimized LLVM IR for other libraries to link in, never machine
    code: finalizing it skips the execution engine, its functions have no address (0), and it
    serializes as bitcode (which ``_HelperCacheImpl`` loads back as a HelperLibrary). It runs
    one module optimization, not two."""

    @property
    def codegen(self):
        return _CodegenWithoutEnvironments(self._codegen)

    def _optimize_final_module(self):
        """Numba's full module optimization, without the cheap pass it runs first to gather
        reference counts for pruning (the kernel that links the helper in runs both)."""
        mpm, pb = self._codegen._module_pass_manager()
        mpm.run(self._final_module, pb)

    def _finalize_final_module(self):
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        self._finalized = True

    def get_pointer_to_function(self, name):
        self._ensure_finalized()
        return 0

    def serialize_using_object_code(self):
        return self.serialize_using_bitcode()


class _HelperLowering(lowering.Lower):
    """Numba's lowering, refusing what needs the function's environment at run time (the
    environment manager of print, objmode, calls through Python and exceptions formatted at
    run time), which a helper without machine code of its own does not get."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = self.context.subtarget(get_env_manager=self._refuse_environment)

    def _refuse_environment(self, *args, **kwargs):
        raise errors.UnsupportedError(
            f"{self.fndesc.qualname}: a numfmt helper (kernels.inner) has no run-time environment, "
            "so it cannot use Python objects (print, objmode, an exception formatted at run time)")


@register_pass(mutates_CFG=True, analysis_only=False)
class HelperLowering(NativeLowering):
    """Numba's native lowering into a ``HelperLibrary``, with ``_HelperLowering``."""

    _name = "numfmt_helper_lowering"

    @property
    def lowering_class(self):
        return _HelperLowering

    def run_pass(self, state):
        if state.library is None:       # (no object code to cache: it serializes as bitcode)
            state.library = HelperLibrary(state.targetctx.codegen(), state.func_id.func_qualname)
        return super().run_pass(state)


class HelperCompiler(NumfmtCompiler):
    """``NumfmtCompiler`` lowering into a ``HelperLibrary``."""

    def define_pipelines(self):
        [pm] = super().define_pipelines()
        pm.passes = [(HelperLowering if cls is NativeLowering else cls, text)
                     for cls, text in pm.passes]
        return [pm]


class _HelperCacheImpl(caching.CompileResultCacheImpl):
    """Numba's cache of compile results, loading a helper's bitcode as a ``HelperLibrary``."""

    def rebuild(self, target_context, payload):
        codegen = target_context.codegen()
        codegen._library_class = HelperLibrary      # (an instance attribute over the class's)
        try:
            return super().rebuild(target_context, payload)
        finally:
            del codegen._library_class


class _HelperFunctionCache(caching.FunctionCache):
    """Numba's disk cache of a function, with ``_HelperCacheImpl``."""

    _impl_class = _HelperCacheImpl


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
                                     pipeline_class=HelperCompiler)
        if cache:       # (Numba's enable_caching(), with the helpers' cache)
            dispatcher._cache = _HelperFunctionCache(py_func)
        return dispatcher
    return decorator


inner = _decorator(cache=True, base=dict(nogil=True))
inner_inline = _decorator(cache=False, base=dict(forceinline=True))
