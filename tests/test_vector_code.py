"""The hot element-wise loops load and store contiguous vectors: the machine code that Numba
compiles for this host has no gather or scatter instruction in them.

Numba's signed array index wraps a negative value around (``i < 0 ? i + n : i``). Where LLVM
could not prove an index such as ``start + i`` non-negative, it vectorized the loop on AVX-512
with a gather (vpgatherqd, ...) per load and a scatter per store, 1.5-3x slower: posit casts,
the seeded SR casts' words, block SR's random bits, every read of explicit random bits
(``numfmt.random.element_bits``), the float64 stochastic report's blocks. The loops index with
uint64 or slice first; this test keeps them so. AVX2 has gathers (no scatters): the same kernels have none there either.

Each kernel is compiled afresh, without the disk cache (cached code cannot be inspected), by its
own compiler pipeline, for the signatures that a small call of its entry point gave it.
"""
import re

import numba as nb
import numpy as np
import pytest

import numfmt as nf
from numfmt.kernels import block, fixed, floating, machine_arith, posit, report, vectors

x = np.linspace(-3, 3, 64, dtype=np.float32)
e4m3, binary16 = nf.round(x, "e4m3"), nf.round(x, "binary16")

# kernel -> a call that compiles (or loads) it
CASES = {
    posit.fast_round32: lambda: nf.round(x, "posit16"),
    posit.fast_encode32: lambda: nf.encode(x, "posit16"),
    posit.round32: lambda: nf.round(x, "posit16", "stochastic", seed=1),
    floating.round_sr_add32: lambda: (nf.round(x, "e4m3", "stochastic", seed=1),    # seeded and given bits:
                                      nf.round(x, "e4m3", "stochastic", random_bits=np.arange(64))),  # one loop each
    fixed.cast_fast_sr: lambda: nf.round(x, nf.FixedFormat(16, 8), "stochastic", seed=1),
    block.quantize_pow2_fast32: lambda: nf.round(x.reshape(2, 32), "mxfp8_e4m3", "stochastic", axis=1, seed=1),
    block.quantize_fp32_scaled_fast: lambda: (nf.round(x.reshape(16, 4), "nvfp4", axis=0),
                                              nf.round(x.reshape(2, 32), "nvfp4")),
    block.block_amax32: lambda: (nf.round(x.reshape(16, 4), "nvfp4", axis=0), nf.round(x.reshape(2, 32), "nvfp4")),
    machine_arith.fast32_sr_kernel: lambda: nf.add(e4m3, e4m3, "e4m3", "stochastic", seed=1),
    machine_arith.machine_sr_kernel: lambda: nf.add(binary16, binary16, "binary16", "stochastic", seed=1),
    report.round_count_sr64: lambda: (nf.round(x.astype(np.float64), "e2m1", "stochastic", seed=1, report=True),
                                      nf.round(x.astype(np.float64), "e2m1", "stochastic", report=True,
                                               random_bits=np.arange(64))),
}


@pytest.mark.parametrize("kernel", CASES, ids=lambda k: f"{k.__module__}.{k.__name__}")
def test_no_gather_or_scatter(kernel):
    # only the signatures of this case's call: the kernel forgets those that earlier tests in
    # this process compiled (each is compiled afresh below: 40-50 s for the block kernels in a
    # full run, against 5-8 s alone); the call compiles or loads from the disk cache its own
    kernel._reset_overloads()
    CASES[kernel]()
    # (with the kernel's own compiler pipeline: numfmt's, kernels.pipeline, for the block kernels)
    options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}    # (njit's own: a warning)
    fresh = nb.njit(pipeline_class=kernel._compiler.pipeline_class, **options)(kernel.py_func)
    for sig in kernel.signatures:
        fresh.compile(sig)
        found = sorted(set(re.findall(r"\bv\w*(?:gather|scatter)\w*", fresh.inspect_asm(sig))))
        assert not found, f"{kernel.__module__}.{kernel.__name__}{sig}: {found}"


@nb.njit
def _count_true(flags):
    n = np.uint32(0)
    for i in range(flags.size):
        n = vectors.tick(n, flags[i])
    return vectors.ticks(n)


def test_tick_counts_one_per_true_element():
    """The counting loops' ``tick`` and ``ticks`` count the true booleans, whatever the step
    (2 on AVX-512 hosts, where this loop then adds a constant under a mask)."""
    flags = np.random.default_rng(0).random(100_003) < 0.3
    assert _count_true(flags) == flags.sum()
    assert vectors.COUNT_SHIFT == (1 if vectors._mask_registers() else 0)
