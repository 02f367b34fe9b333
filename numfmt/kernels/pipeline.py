"""numfmt's Numba compiler pipeline: Numba's own, plus one pass that decides ``arg is None``
from the argument's type.

The kernels choose their paths with ``if codes is None:``, ``if k is None:`` and the like on
arguments that are None in some calls and arrays or numbers in others. Numba drops the branch
that cannot run only where the argument *is* None (its dead-branch pruning resolves an argument
to a constant only for the none type): where it is an array or a number, Numba types and
compiles the ``is None`` branch too, with every helper specialization it calls, and LLVM throws
the code away afterwards. A first block cast compiled three copies of its row loop that way.
``NoneTestsOfArguments`` turns ``arg is None`` into False (``is not None`` into True) where
the argument's type is neither none nor optional, before Numba's pruning runs, so that each
specialization compiles only the code it can run. Results do not change: a value of such a
type is never None. The test must read the argument itself: where the kernel assigns to the
argument's name (``rand = rand[a:b]``), its tests no longer resolve to the argument and both
branches compile; slice into a new name instead.

Numba does not prune on literal arguments either: a helper called with ``full=False`` compiles
as ``Literal[bool](False)`` but still types and lowers its ``if full:`` branch, for LLVM to
drop (a flag given as a literal bought a specialization per value and saved no compile work).
``LiteralArguments`` binds such an argument to its constant, so the pruning that follows drops
the branch that the literal rules out.

``NumfmtCompiler`` is the pipeline of ``kernels.inner``'s decorators and of ``kernel``.
"""
from __future__ import annotations

import operator

import numba as nb
from numba.core import ir, types
from numba.core.compiler import CompilerBase, DefaultPassBuilder
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.ir_utils import guard, get_definition
from numba.core.untyped_passes import DeadBranchPrune

_MAYBE_NONE = (types.NoneType, types.Optional, types.Omitted)


def _argument_none_test(func_ir: ir.FunctionIR, expr: ir.Expr) -> int | None:
    """The index of the argument that ``expr`` (a binop) tests with ``is None`` / ``is not
    None``, or None when it is no such test."""
    if not (expr.op == "binop" and expr.fn in (operator.is_, operator.is_not)):
        return None
    sides = [guard(get_definition, func_ir, v) for v in (expr.lhs, expr.rhs)]
    args = [d for d in sides if isinstance(d, ir.Arg)]
    nones = [d for d in sides if isinstance(d, (ir.Const, ir.Global, ir.FreeVar)) and d.value is None]
    return args[0].index if len(args) == 1 and len(nones) == 1 else None


class _AssignmentRewrite(FunctionPass):
    """A pass that replaces the value of assignments: ``rewrite(state, value)`` gives the new
    value (an ``ir.Const``), or None to keep it."""

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state) -> bool:
        changed = False
        for block in state.func_ir.blocks.values():
            for stmt in block.body:
                if isinstance(stmt, ir.Assign):
                    value = self.rewrite(state, stmt.value)
                    if value is not None:
                        stmt.value = value
                        changed = True
        return changed


@register_pass(mutates_CFG=False, analysis_only=False)
class NoneTestsOfArguments(_AssignmentRewrite):
    """``arg is None`` -> False and ``arg is not None`` -> True for an argument whose type is
    neither none, optional nor omitted (Numba's ``DeadBranchPrune``, next, drops the branch)."""

    _name = "numfmt_none_tests_of_arguments"

    def rewrite(self, state, value):
        index = _argument_none_test(state.func_ir, value) if isinstance(value, ir.Expr) else None
        if index is None or isinstance(state.args[index], _MAYBE_NONE):
            return None
        return ir.Const(value.fn is operator.is_not, value.loc)


@register_pass(mutates_CFG=False, analysis_only=False)
class LiteralArguments(_AssignmentRewrite):
    """An argument typed as a bool or int literal is bound to its value (``x = arg(1)`` ->
    ``x = const(False)``), so that ``if x:`` and ``x == 0`` are constant tests for Numba's
    ``DeadBranchPrune``, next. The signature keeps the argument; its value is the literal's,
    by the type."""

    _name = "numfmt_literal_arguments"

    def rewrite(self, state, value):
        arg_type = state.args[value.index] if isinstance(value, ir.Arg) else None
        if not isinstance(arg_type, (types.BooleanLiteral, types.IntegerLiteral)):
            return None
        return ir.Const(arg_type.literal_value, value.loc)


class NumfmtCompiler(CompilerBase):
    """Numba's nopython pipeline with ``NoneTestsOfArguments`` and ``LiteralArguments`` before
    its dead-branch pruning."""

    def define_pipelines(self):
        pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
        pm.add_pass_after(NoneTestsOfArguments, _first_pass_before(pm, DeadBranchPrune))
        pm.add_pass_after(LiteralArguments, NoneTestsOfArguments)
        pm.finalize()
        return [pm]


def _first_pass_before(pm, target):
    """The pass that runs right before the first ``target`` in the pass manager pm."""
    names = [p for p, _ in pm.passes]
    return names[names.index(target) - 1]


def kernel(py_func=None, **options):
    """``nb.njit(**options)`` with ``NumfmtCompiler``: the decorator of kernels that Python calls.

    >>> import numpy as np
    >>> @kernel
    ... def first_or_zero(a, default):
    ...     return default if a is None else a[0]
    >>> int(first_or_zero(np.array([7]), 0)), first_or_zero(None, 0)
    (7, 0)
    """
    if py_func is None:
        return lambda f: kernel(f, **options)
    return nb.njit(py_func, pipeline_class=NumfmtCompiler, **options)
