"""The arguments of stochastic rounding, shared by every public function that takes them:
``seed``, ``sr_bits``, ``sr_rule``, ``random_bits`` and ``rng`` checked into one tuple, and the last
seed drawn (per thread, so that concurrent callers each reproduce their own results).
"""
from __future__ import annotations

import threading

import numpy as np

from .random import RNGS, random_bits as _generate, resolve_seed
from .rounding import Rounding

SR_RULES = ("add", "nearest")
DEFAULT_SR_BITS = 32
_thread = threading.local()         # the last seed, per thread


def last_seed() -> int | None:
    """The seed the most recent stochastic call of this thread used (drawn from the OS when no
    seed was given), so that a result can be reproduced; None before the first.

    >>> import numfmt as nf
    >>> _ = nf.round([0.3], "e4m3", "stochastic", seed=7); nf.last_seed()
    7
    """
    return getattr(_thread, "seed", None)


def use_seed(seed) -> int:
    """The 64-bit seed of a stochastic call (``resolve_seed``), recorded for ``last_seed``."""
    _thread.seed = resolve_seed(seed)
    return _thread.seed


class StochasticArgs(tuple):
    """The checked arguments ``(seed, sr_bits, sr_rule, random_bits)`` (a 4-tuple, unpacked as
    such), plus ``start``: the counter of the call's element 0, so that element i draws random
    number start + i. Only a part of a larger array (a chunk of a dask array,
    ``numfmt.distributed``) has start > 0, and only with seeded bits (explicit random bits are
    sliced to the part instead; Squares bits are generated for counters start, start + 1, ...)."""

    start: int

    def __new__(cls, seed: int, sr_bits: int, sr_rule: str, random_bits, start: int = 0):
        self = super().__new__(cls, (seed, sr_bits, sr_rule, random_bits))
        self.start = start
        return self


def stochastic_args(mode: Rounding, shape: tuple, seed, sr_bits, sr_rule, random_bits, name: str = "x",
                    rng: str = "splitmix64", start: int = 0):
    """Check the stochastic-rounding arguments of a call whose result has this shape (``name``
    names the input in messages): None for deterministic modes, else a ``StochasticArgs``
    (seed, k, rule, flat int64 random bits or None; ``start`` the counter of element 0).
    Every public function with stochastic rounding calls it.

    ``rng="squares"`` generates the random bits here (``numfmt.random.random_bits``: element i
    gets Squares number start + i of the key of the seed) and returns them as explicit bits, so
    every kernel takes them as it takes ``random_bits``."""
    if rng not in RNGS:
        raise ValueError(f"rng must be one of {RNGS}; got {rng!r}")
    if mode != Rounding.STOCHASTIC:
        if random_bits is not None or sr_bits is not None:
            raise ValueError("sr_bits and random_bits apply to rounding='stochastic' only; "
                             f"got rounding={mode.name.lower()!r}")
        return None
    k = DEFAULT_SR_BITS if sr_bits is None else sr_bits
    if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 1 <= k <= 62):
        raise ValueError(f"sr_bits must be an integer from 1 to 62; got {sr_bits!r}")
    if sr_rule not in SR_RULES:
        raise ValueError(f"sr_rule must be one of {SR_RULES}; got {sr_rule!r}")
    if random_bits is None:
        seed = use_seed(seed)
        if rng == "squares":
            bits = _generate(seed, int(np.prod(shape)), int(k), start=int(start), rng=rng)
            return StochasticArgs(seed, int(k), sr_rule, bits)
        return StochasticArgs(seed, int(k), sr_rule, None, int(start))
    if rng != "splitmix64":
        raise ValueError(f"rng={rng!r} chooses the seeded generator; random_bits replaces it: give one of them")
    if start:
        raise ValueError("explicit random_bits are sliced to the part of the array, which starts at 0")
    rand = np.asarray(random_bits)
    if rand.dtype.kind not in "iu":
        raise TypeError(f"random_bits must be an integer array; got dtype {rand.dtype}")
    try:
        rand = np.broadcast_to(rand, shape)
    except ValueError:
        raise ValueError(f"random_bits of shape {rand.shape} does not broadcast to {name} of shape {shape}") from None
    if rand.size and (rand.min() < 0 or int(rand.max()) >= 1 << int(k)):
        raise ValueError(f"random_bits must lie in [0, 2**sr_bits) = [0, {1 << int(k)}); "
                         f"got values from {rand.min()} to {rand.max()}")
    return StochasticArgs(0, int(k), sr_rule, np.ascontiguousarray(rand, dtype=np.int64).reshape(-1))
