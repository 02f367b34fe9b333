"""Compiled helpers (``numfmt.kernels.inner``) are LLVM IR that kernels link in, never machine
code of their own; their disk cache loads back the same way, and a helper that would need a
run-time environment fails to compile with a message that names it."""
import os
import subprocess
import sys

import numba as nb
import numpy as np
import pytest

import numfmt as nf
from numfmt.kernels.inner import HelperLibrary, inner, inner_inline


@inner
def _plus_one(x):
    return x + 1


@inner_inline
def _twice_plus_one(x):
    return 2 * _plus_one(x) - 1


@nb.njit
def _kernel(x):
    return _twice_plus_one(x) + _plus_one(x)


def test_helpers_are_ir_that_kernels_link_never_machine_code():
    assert _kernel(20) == 41 + 21
    [kernel] = _kernel.overloads.values()
    assert kernel.library.get_pointer_to_function(kernel.fndesc.llvm_func_name) != 0
    for helper in (_plus_one, _twice_plus_one):
        [cres] = helper.overloads.values()
        assert isinstance(cres.library, HelperLibrary) and cres.library._finalized
        assert cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name) == 0


def test_a_helper_that_needs_python_objects_is_refused_by_name():
    @inner
    def _shout(x):
        print(x)
        return x

    @nb.njit
    def _calls_shout(x):
        return _shout(x)

    with pytest.raises(nb.core.errors.NumbaError, match="_shout: a numfmt helper .* cannot use Python objects"):
        _calls_shout(1)


SUM = """
import sys
import numpy as np, numfmt as nf
from numfmt.kernels import accumulate
from numfmt.kernels.inner import HelperLibrary
x = (np.arange(97) / 16 - 2).astype(np.float32)   # (bfloat16 values)
fused = dict(fused_terms=4, alignment_bits=8) if sys.argv[1] == "fused" else {}
y = nf.sum(x, "bfloat16", order=sys.argv[1], **fused)
[cres] = accumulate._round_sum.overloads.values()
print(sum(accumulate._round_sum.stats.cache_hits.values()), isinstance(cres.library, HelperLibrary), float(y))
"""


def _sum(order: str, cache) -> list[str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-c", SUM, order], env=env, capture_output=True,
                          text=True, check=True).stdout.split()


def test_a_kernel_compiled_later_links_the_cached_helper_ir(tmp_path):
    """The exact sum caches the helper that rounds a sum; the fused sum, compiled in a later
    process, loads it from that cache (as IR again) and gives this process's result (compiled
    here without that helper's cache entry, or loaded from the suite's cache)."""
    assert _sum("exact", tmp_path / "shared")[:2] == ["0", "True"]
    hits, helper_ir, value = _sum("fused", tmp_path / "shared")
    assert (hits, helper_ir) == ("1", "True")
    x = (np.arange(97) / 16 - 2).astype(np.float32)
    assert float(value) == float(nf.sum(x, "bfloat16", order="fused", fused_terms=4, alignment_bits=8))
