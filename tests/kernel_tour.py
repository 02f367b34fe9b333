"""Count the compiled specializations of numfmt's kernels over a tour of round / encode / decode.

    PYTHONPATH=. python tests/kernel_tour.py [--plain] [--json]

The tour: e4m3, bfloat16, mxfp8_e4m3 and posit16; float32 and float64 inputs (also big-endian,
read-only and Fortran-order ones unless --plain); round, encode, encode toward zero, and
stochastic rounding with seeded and with explicit random bits; decode of uint8 and uint16 codes
(also big-endian uint16 and int64 unless --plain), to float32 and float64; binary16 add and
posit16 mul of float64 values, nearest, toward zero and stochastic (seeded, and explicit bits
from a read-only broadcast view); binary16 add with report=True, posit32 mul, and stochastic
encodes to posit8 and posit16, a bfloat16 sum and dot with report=True. Prints one line per
kernel that compiled (signatures: len(kernel.signatures)) and the total, or with --json the
counts as one JSON object keyed "module.kernel". Run it in a fresh process.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import numba
import numpy as np

import numfmt as nf
from numfmt import kernels
from numfmt.kernels.inner import InnerDispatcher


def tour(plain: bool) -> None:
    rng = np.random.default_rng(0)
    for name in ["e4m3", "bfloat16", "mxfp8_e4m3", "posit16"]:
        for dtype in [np.float32, np.float64]:
            x = (rng.standard_normal((4, 64)) * 10).astype(dtype)
            xs = [x]
            if not plain:
                ro = x.copy()
                ro.flags.writeable = False
                xs += [x.astype(x.dtype.newbyteorder(">")), ro, np.asfortranarray(x)]
            for v in xs:
                nf.round(v, name)
                codes = nf.encode(v, name)
                nf.encode(v, name, "toward_zero")
                nf.round(v, name, "stochastic", seed=1)
                nf.round(v, name, "stochastic", random_bits=rng.integers(0, 1 << 32, v.shape))
            if isinstance(codes, nf.BlockCodes):
                nf.decode(codes)
                continue
            low = (codes & 0xFF).astype(np.uint8)
            variants = [codes.astype(np.uint16), low]
            if not plain:
                variants += [codes.astype(">u2"), codes.astype(np.int64)]
            for c in variants:
                nf.decode(c, name)
                nf.decode(c, name, dtype=np.float64)
    for name, op in [("binary16", nf.add), ("posit16", nf.mul)]:
        x, y = (nf.round(rng.standard_normal(64), name) for _ in range(2))
        bits = np.broadcast_to(rng.integers(0, 1 << 20, 1), x.shape)        # read-only
        op(x, y, name)
        op(x, y, name, "toward_zero")
        op(x, y, name, "stochastic", seed=1)
        op(x, y, name, "stochastic", sr_bits=20, random_bits=bits)
    x = rng.standard_normal(64)
    h, p = nf.round(x, "binary16"), nf.round(x, "posit32")
    nf.add(h, h, "binary16", report=True)                   # the report's stand-in: the same kernels
    nf.mul(p, p, "posit32", "stochastic", seed=1)           # no decode table: the kernel of posit16
    for name in ["posit8", "posit16"]:
        nf.encode(x, name, "stochastic", seed=1)            # codes of either width: one kernel
    b = nf.round(x.reshape(4, 16), "bfloat16")
    nf.sum(b, "bfloat16", axis=1, report=True)              # a sum and a dot: one kernel per order
    nf.dot(b, b, "bfloat16", report=True)


def counts() -> dict[str, int]:
    """Signatures per kernel (the cached dispatchers that Python calls). Helpers
    (``kernels.inner``'s, inlined or not) are left out: they compile only when a kernel does,
    so their counts depend on whether the kernels came from the disk cache."""
    out = {}
    for info in pkgutil.iter_modules(kernels.__path__):
        module = importlib.import_module(f"numfmt.kernels.{info.name}")
        for attr, obj in vars(module).items():
            if (isinstance(obj, numba.core.registry.CPUDispatcher) and obj.signatures
                    and not isinstance(obj, InnerDispatcher)
                    and not isinstance(obj._cache, numba.core.caching.NullCache)):
                out[f"{info.name}.{attr}"] = len(obj.signatures)
    return out


if __name__ == "__main__":
    tour(plain="--plain" in sys.argv)
    result = counts()
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        for key, n in sorted(result.items()):
            print(f"{n:3d}  {key}")
        print(f"{sum(result.values())} specializations of {len(result)} kernels")
