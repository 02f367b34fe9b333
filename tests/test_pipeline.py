"""numfmt's compiler pipeline (``numfmt.kernels.pipeline``): a specialization compiles only the
branch of ``arg is None`` / ``arg is not None`` that it can run, and optional arguments (None
in some runs of the same specialization) keep both branches; a helper called with a literal
flag or number compiles only the branch that the literal takes."""
import numpy as np
from numba import types

from numfmt.kernels.inner import inner, inner_inline
from numfmt.kernels.pipeline import kernel


@inner
def _plus(x, y):
    return x + y


@kernel
def _choose(a, k):
    if k is None:
        return _plus(a[0], 0.5)
    return _plus(a[0], k)


@kernel
def _choose_not(a, k):
    if k is not None:
        return _plus(a[1], k)
    return _plus(a[1], np.float32(0.25))


def test_the_branch_that_cannot_run_is_not_compiled():
    a = np.arange(1, 4)
    assert _choose(a, np.int64(2)) == 3
    assert _plus.signatures == [(types.int64, types.int64)]          # not (int64, float64) too
    assert _choose(a, None) == 1.5
    assert _plus.signatures[1] == (types.int64, types.float64)
    assert _choose_not(a, np.int64(2)) == 4
    assert len(_plus.signatures) == 2                                 # not (int64, float32) too
    assert _choose_not(a, None) == 2.25


@inner
def _first_plus(a, k):
    if k is None:
        return a[0]
    return a[0] + k


@kernel
def _optional(a, flag):
    return _first_plus(a, np.int64(10) if flag else None)


def test_optional_arguments_keep_both_branches():
    a = np.arange(5, 8)
    assert (_optional(a, True), _optional(a, False)) == (15, 5)
    assert isinstance(_first_plus.signatures[0][1], types.Optional)


@inner
def _add(x, y):
    return x + y


@inner_inline
def _pick(a, flag, k):
    if flag:
        return _add(a[0], 0.5)
    if k == 2:
        return _add(a[0], np.float32(0.25))
    return a[0] + k


@kernel
def _pick_literal(a):
    return _pick(a, False, 3)


@kernel
def _pick_runtime(a, flag):
    return _pick(a, flag, 3)


def test_literal_arguments_prune_the_branches_they_rule_out():
    a = np.arange(1, 4)
    assert _pick_literal(a) == 4
    assert _pick.signatures == [(types.int64[::1], types.literal(False), types.literal(3))]
    assert _add.signatures == []                    # neither of _pick's other branches compiled
    assert _pick_runtime(a, True) == 1.5            # a bool known only at run time: its branch
    assert _add.signatures == [(types.int64, types.float64)]        # compiles; k == 2 still not


def test_deterministic_round_one_types_no_stochastic_step():
    """sr None (``NO_SR``) drops round_one's stochastic branch before typing: the deterministic
    roundings of every kernel compile no stochastic code; a tuple sr keeps it."""
    import numba as nb
    from numfmt.casts.floating import kernel_params, sr_params
    import numfmt
    from numfmt.kernels.floating import DETERMINISTIC, DOM64, NO_RND, NO_SR, STOCHASTIC, VALUE, round_one
    from numfmt.rounding import Rounding

    fmt = numfmt.format("e4m3")
    p = kernel_params(fmt, True, Rounding.NEAREST_EVEN, "saturate", "ieee")[0]
    sr = sr_params(fmt, True, 8, "add")

    @nb.njit
    def deterministic(b, p):
        return round_one(b, p, VALUE, DOM64, DETERMINISTIC, NO_RND, NO_SR)

    @nb.njit
    def stochastic(b, p, sr):
        return round_one(b, p, VALUE, DOM64, STOCHASTIC, np.int64(0), sr)

    deterministic(np.int64(0), p), stochastic(np.int64(0), p, sr)

    def typed_names(dispatcher, sr_type):
        sig = next(s for s in dispatcher.signatures if s[6] == sr_type)
        return " ".join(map(str, dispatcher.overloads[sig].type_annotation.typemap.values()))

    assert "_stochastic_magnitude" not in typed_names(round_one, types.none)
    assert "_stochastic_magnitude" in typed_names(round_one, nb.typeof(sr))
