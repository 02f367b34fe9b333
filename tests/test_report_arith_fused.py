"""report=True of the float32-lane arithmetic (``kernels.machine_arith``'s counting kernels,
``numfmt.arithmetic.report.fused``): the counts, first indices and results equal those of the
reference path (the plain kernel, then the stand-in rounded to odd by the exact core and the
cast's counts: what ``numfmt.flags`` runs), bit for bit, whatever the thread count."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numfmt as nf
from numfmt import parallel
from numfmt.arithmetic import floating
from numfmt.arithmetic.report import fused
from numfmt.kernels.machine_arith import count_kernel32
from numfmt.rounding import Rounding
from numfmt.testing import formats
from sampling import ci_grid, slow_twin  # noqa: E402
from test_machine_arith import quotients_beyond_float32s_normal_range  # noqa: E402

OPS = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1}
SOME = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])   # (slow twin: 60)


DIRECTED = ["toward_zero", "toward_positive", "toward_negative", "nearest_away", "odd"]


def _mode_args(mode: str, k: int = 8) -> tuple:
    """(Rounding, stochastic) of a rounding name, as ``fused`` takes them (seeded bits)."""
    return Rounding[mode.upper()], (1, k, "add", np.zeros(0, np.uint32)) if mode == "stochastic" else None


def _takes_fused(op, fmt, mode, overflow) -> bool:
    mode, stochastic = _mode_args(mode)
    fast = floating.fast32_args(op, fmt, mode, overflow, stochastic, np.float32, np.float32)
    # (the other float32 kernels: no counting twin)
    return fast is not None and count_kernel32(fast[0], op, floating.exact_in_float32(op, fmt), True,
                                               fast[1]) is not None


def _operands(rng, fmt, op, n):
    """n values of fmt per operand as float32: random bit patterns rounded toward zero (every
    binade, NaN and Inf where fmt has them), with zeros, -0, +-Inf, NaN, the largest and
    smallest values sprinkled in."""
    out = []
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fmt.info.max, -fmt.info.max, fmt.info.smallest_subnormal
                         if fmt.subnormals else fmt.info.smallest_normal, 1.0, -1.0], np.float32)
    for _ in range(OPS[op]):
        raw = rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
        # a narrower spread too: most operands within a few binades of 1 (sums that round, not overflow)
        near = (rng.standard_normal(n) * 2.0 ** rng.integers(-4, 5, n)).astype(np.float32)
        x = np.where(rng.random(n) < 0.5, raw, near)
        x = np.where(rng.random(n) < 0.05, specials[rng.integers(0, specials.size, n)], x)
        with np.errstate(invalid="ignore", over="ignore"):
            out.append(nf.round(x, fmt, "toward_zero", nan="ml_dtypes").astype(np.float32))
    return out


def _reference(op, operands, fmt, **kwargs):
    """(result, report) of the reference path (inside numfmt.flags, which names exact results)."""
    with nf.flags() as f:
        y = getattr(nf, op)(*operands, fmt, **kwargs)
    return y, f.report


def _check(op, operands, fmt, **kwargs):
    y, rep = getattr(nf, op)(*operands, fmt, report=True, **kwargs)
    y0, rep0 = _reference(op, operands, fmt, **kwargs)
    assert y.dtype == y0.dtype == np.float32
    assert np.array_equal(y.view(np.uint32), y0.view(np.uint32))
    assert rep.counts() == rep0.counts()
    assert rep.first == rep0.first
    return rep


@SOME
@given(st.data())
def test_fused_counts_equal_the_reference(data):
    op = data.draw(st.sampled_from(sorted(OPS)))
    mode = data.draw(st.sampled_from(["nearest_even", "stochastic", *DIRECTED]))
    overflow = data.draw(st.sampled_from(["ieee", "saturate"]))
    fmt = data.draw(formats(max_bits=16).filter(lambda f: _takes_fused(op, f, mode, overflow)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    n = data.draw(st.sampled_from([1, 7, 1000, 40000]))
    operands = _operands(rng, fmt, op, n)
    kwargs = dict(rounding=mode, overflow=overflow)
    if mode == "stochastic":
        k = data.draw(st.integers(1, 32))
        kwargs.update(sr_bits=k, seed=data.draw(st.integers(0, 2 ** 63)))
        if data.draw(st.booleans()):
            kwargs.update(seed=None, random_bits=rng.integers(0, 2 ** k, n, dtype=np.uint64).astype(np.uint32))
    try:
        rounding, stochastic = _mode_args(mode, kwargs.get("sr_bits", 8))
        assert fused(op, tuple(operands), fmt, rounding, overflow, stochastic, np.float32) is not None
        _check(op, operands, fmt, **kwargs)
    except ValueError as e:        # an invalid operation in a format without NaN has no result
        assert "invalid operations" in str(e) and not fmt.has_nan


# bfloat16 (kernels of its own) with every op; the formats of the float32 fast kernels each op once in
# the default run (test_fused_e4m3_every_pair runs each op's e4m3 kernels), every pair under -m slow
@pytest.mark.parametrize(("op", "name"), ci_grid(sorted(OPS), ["e4m3", "e5m2", "binary16"])
                         + [pytest.param(op, "bfloat16", id=f"{op}-bfloat16") for op in sorted(OPS)])
def test_fused_counts_in_the_named_formats_with_every_special(op, name):
    """x / 0, 0 / 0, Inf - Inf, 0 * Inf, sqrt(-1), NaN operands, overflow (float32's own too:
    bfloat16's sums and products beyond 2**128), subnormal and flushed results, under both
    overflow policies, stochastic rounding and a directed mode where the fused kernels take
    them (toward_positive under "ieee": overflows to Inf of one sign, to the largest value of
    the other, ``kernels.machine_arith._count_tile32``'s by_sign; toward_negative's sums: every
    e4m3 pair below)."""
    fmt = nf.format(name)
    rng = np.random.default_rng(18)
    operands = _operands(rng, fmt, op, 50000)
    for kwargs in (dict(), dict(overflow="saturate"), dict(rounding="stochastic", seed=5),
                   dict(rounding="toward_positive")):
        mode = kwargs.get("rounding", "nearest_even")
        taken = _takes_fused(op, fmt, mode, kwargs.get("overflow", "ieee"))
        rep = _check(op, operands, fmt, **kwargs)
        if taken and name != "e5m2":
            assert rep.nan_in and rep.inexact
            assert rep.invalid or op not in ("div", "sqrt")


def test_fused_e4m3_every_pair():
    """Every pair of e4m3 values (and the triples with one third operand each), each op."""
    fmt = nf.format("e4m3")
    v = nf.decode(np.arange(256, dtype=np.uint8), fmt).astype(np.float32)
    a, b = np.repeat(v, 256), np.tile(v, 256)
    for op in OPS:
        operands = (a, b, np.roll(a, 7))[:OPS[op]]
        for kwargs in (dict(), dict(overflow="saturate"), dict(rounding="stochastic", seed=1, sr_bits=3),
                       dict(rounding="toward_negative"), dict(rounding="odd", overflow="saturate")):
            if _takes_fused(op, fmt, kwargs.get("rounding", "nearest_even"), kwargs.get("overflow", "ieee")):
                _check(op, operands, fmt, **kwargs)


@pytest.mark.parametrize("name", ["e2m1", "e2m3", "e3m2", "e3m4"])
def test_fused_small_formats_every_pair(name):
    """Every pair of values of the fp4, fp6 and other 8-bit formats, each op: the vector passes
    that leave counts out (sums and differences: never tiny and inexact,
    ``kernels.report.sum_tally``; roots: none tiny where the smallest quantum is at least
    2**(2 emin), ``normal_roots``: e3m2's smallest root is 2**emin itself, e2m1's and e2m3's
    lie below it) count as the reference (0 / 0 left out: these formats have no NaN)."""
    fmt = nf.format(name)
    v = nf.decode(np.arange(1 << fmt.bits, dtype=np.uint8), fmt).astype(np.float32)
    a, b = np.repeat(v, v.size), np.tile(v, v.size)
    b = np.where((a == 0) & (b == 0), np.float32(1), b)
    for op in OPS:
        operands = (np.abs(a),) if op == "sqrt" else (a, b, np.roll(a, 3))[:OPS[op]]
        for kwargs in (dict(), dict(overflow="saturate")):
            assert _takes_fused(op, fmt, "nearest_even", kwargs.get("overflow", "ieee"))
            _check(op, operands, fmt, **kwargs)


def test_fused_counts_do_not_depend_on_the_thread_count():
    fmt = nf.format("binary16")
    rng = np.random.default_rng(3)
    n = 600000
    before = parallel.get_num_threads()
    for op in ("add", "mul", "div"):
        operands = _operands(rng, fmt, op, n)
        reps = []
        for t in (1, 2):
            parallel.set_num_threads(t)
            try:
                y, rep = getattr(nf, op)(*operands, fmt, report=True)
            finally:
                parallel.set_num_threads(before)
            reps.append((y.view(np.uint32).copy(), rep.counts(), rep.first))
        assert np.array_equal(reps[0][0], reps[1][0]) and reps[0][1:] == reps[1][1:]


@pytest.mark.parametrize("name", ["e4m3", "bfloat16"])
def test_fused_bad_operands_name_the_argument(name):
    b = np.ones(40000, np.float32)
    b[30000] = 1.01
    with pytest.raises(ValueError, match=f"elements of b are not values of {name}"):
        nf.add(np.ones(40000, np.float32), b, name, report=True)


@pytest.mark.slow
def test_fused_bfloat16_and_binary16_wide_samples():
    rng = np.random.default_rng(7)
    for name in ("bfloat16", "binary16"):
        fmt = nf.format(name)
        for op in OPS:
            operands = _operands(rng, fmt, op, 1 << 21)
            for kwargs in (dict(), dict(overflow="saturate"), dict(rounding="stochastic", seed=9)):
                _check(op, operands, fmt, **kwargs)


def test_fused_bfloat16_quotients_beyond_float32s_normal_range():
    """Quotients below 2**-126 (underflows, flushed and subnormal results) and beyond float32's
    range (overflows that are not x / 0), counted as the reference counts them."""
    fmt = nf.format("bfloat16")
    a, b = quotients_beyond_float32s_normal_range(np.random.default_rng(8), "bfloat16", 50_000)
    for kwargs in (dict(), dict(overflow="saturate")):
        rep = _check("div", (a.astype(np.float32), b.astype(np.float32)), fmt, **kwargs)
        assert rep.overflow and rep.underflow and rep.flushed_to_zero and rep.subnormal and not rep.div_by_zero


def test_fused_bfloat16_products_at_the_smallest_normal():
    """Every product of two 8-bit significands scaled to just below 2**-126 (float32's
    subnormals: tininess after rounding decides underflow) and to the binades around it."""
    fmt = nf.format("bfloat16")
    sig = np.arange(128, 256, dtype=np.float64)
    a, b = np.repeat(sig, 128), np.tile(sig, 128)
    for scale in (-141, -142, -143, -133, -150):
        x = (a * 2.0 ** (scale + 64)).astype(np.float32)
        y = (b * 2.0 ** -64).astype(np.float32)
        for kwargs in (dict(), dict(overflow="saturate")):
            rep = _check("mul", (x, -y if scale % 2 else y), fmt, **kwargs)
            assert rep.inexact


@pytest.mark.parametrize("name", ["bfloat16", "e8m10", "e8m11"])
def test_fused_directed_modes_of_float32s_exponent_field_at_the_edges(name):
    """The counting twins of the directed-mode kernels of float32's exponent field
    (``kernels.machine_arith.count_same_range32_sum_modes_kernel`` and its siblings) at their
    edges, in every deterministic mode but nearest even, both overflow policies: sums of the
    largest values and of the values just under them (exact sums beyond 2**128 stand in as
    float32's largest magnitude, which must overflow toward zero too; at precision 12 (e8m11)
    an exact sum is float32's largest, which must not: no twin there), and for bfloat16
    products and quotients around 2**-126 (tininess after rounding in each direction) and
    beyond float32's range; results, counts and first indices as the reference's."""
    fmt = nf.format(name)
    p = fmt.man_bits + 1
    top = np.float64(fmt.info.max)
    under = [top - k * 2.0 ** (128 - p) for k in range(4)]
    under += [2.0 ** (127 - j) * (2 - 2.0 ** (1 - p)) for j in range(14)]     # (the largest of each binade)
    a = np.array(under, np.float64)
    x, y = np.repeat(a, a.size), np.tile(a, a.size)
    x, y = np.concatenate([x, -x, x]), np.concatenate([y, -y, -y])
    sums = [x.astype(np.float32), y.astype(np.float32)]
    assert np.array_equal(nf.round(sums[0], fmt), sums[0]) and np.array_equal(nf.round(sums[1], fmt), sums[1])
    exact_top = (2.0 ** 12 - 1) * 2.0 ** 116 + (2.0 ** 12 - 1) * 2.0 ** 104     # (float32's largest)
    assert exact_top == np.finfo(np.float32).max
    cases = [("add", sums), ("sub", [sums[0], -sums[1]])]
    if name == "bfloat16":      # (significands of 8 bits: m * 2**(t // 2) times n * 2**(t - t // 2), m / n)
        sig = np.arange(128, 256, dtype=np.float64)
        m, n = np.repeat(sig, 128), np.tile(sig, 128)
        for t in (-141, -142, -134, -150, 113, 114):
            cases.append(("mul", [(m * 2.0 ** (t // 2)).astype(np.float32),
                                  (-n * 2.0 ** (t - t // 2)).astype(np.float32)]))
        for d in (-126, -127, -120, -136, 127, 128):
            cases.append(("div", [(m * 2.0 ** (d // 2)).astype(np.float32),
                                  (n * 2.0 ** (d // 2 - d)).astype(np.float32)]))
    total = {}
    for op, operands in cases:
        for mode in DIRECTED:
            for overflow in ("ieee", "saturate"):
                rounding = Rounding[mode.upper()]
                fast = floating.fast32_args(op, fmt, rounding, overflow, None, np.float32, np.float32)
                twin = count_kernel32(fast[0], op, floating.exact_in_float32(op, fmt), False, fast[1])
                assert (twin is not None) == (name != "e8m11"), (op, mode)
                rep = _check(op, operands, fmt, rounding=mode, overflow=overflow)
                for key, count in rep.counts().items():
                    total[key] = total.get(key, 0) + count
    assert total["overflow"] and total["saturated"] and total["inexact"]
    assert total["underflow"] and total["flushed_to_zero"] and total["subnormal"] or name != "bfloat16"
    if name == "e8m11":         # the exact sum float32's largest, which toward zero does not overflow
        ex = [np.float32([(2.0 ** 12 - 1) * 2.0 ** 116]), np.float32([(2.0 ** 12 - 1) * 2.0 ** 104])]
        assert _check("add", ex, fmt, rounding="toward_zero").overflow == 0


def test_fused_bfloat16_quiet_tiles():
    """bfloat16's counting pass clears a tile by a lean first pass (inexact counts only) where
    no float32 result is out of the normal range and every operand is a finite value
    (``kernels.machine_arith._quiet_tile32``): tiles of standard normal operands with sums
    that float32 rounds onto a bfloat16 value (1 + 2**-30: inexact all the same), and tiles
    each with one element that the lean pass must not clear: a result that overflows, one
    below 2**-126, one that float32 flushes to zero, an Inf or NaN operand, x / 0; an operand
    that is not a value raises."""
    from numfmt.kernels.report import CAST_TILE
    fmt = nf.format("bfloat16")
    rng = np.random.default_rng(5)
    n = 9 * CAST_TILE
    a, b = (nf.round(rng.standard_normal(n).astype(np.float32), fmt) for _ in range(2))
    near = rng.random(n) < 0.01
    a[near], b[near] = 1.0, np.float32(2.0 ** -30)
    odd = {1: (3e38, 3e38), 2: (2.0 ** -70, 2.0 ** -60), 3: (np.inf, 1.0), 4: (np.nan, 1.0), 5: (1.0, 0.0),
           6: (3e38, 2.0 ** -100), 7: (2.0 ** -80, 2.0 ** -75), 8: (2.0 ** -120, 2.0 ** 40)}
    for tile, (x, y) in odd.items():
        at = tile * CAST_TILE + int(rng.integers(0, CAST_TILE))
        a[at], b[at] = nf.round(np.float32(x), fmt), nf.round(np.float32(y), fmt)
    before = parallel.get_num_threads()
    parallel.set_num_threads(1)         # (the tiles as above: one chunk)
    try:
        for op in ("add", "sub", "mul", "div", "sqrt"):
            operands = (np.abs(a),) if op == "sqrt" else (a, b)
            for kwargs in (dict(), dict(overflow="saturate")):
                rep = _check(op, operands, fmt, **kwargs)
                assert rep.inexact and rep.overflow + rep.underflow + rep.nan_in
            bad = operands[0].copy()
            bad[7] = 1.001          # (not a value, in a tile the lean pass would clear)
            with pytest.raises(ValueError, match="elements of a are not values of bfloat16"):
                getattr(nf, op)(bad, *operands[1:], fmt, report=True)
    finally:
        parallel.set_num_threads(before)


def test_fused_tiles_with_many_special_results():
    """Tiles (``kernels.report.CAST_TILE``) where many float32 results are not finite (x / 0 of
    either sign, 0 / 0), then few, then many again: with Inf and NaN operands among them (each
    such element counted by itself) and with finite operands only (counted by kind: +Inf, -Inf,
    NaN); an operand that is not a value is found in either kind of tile."""
    from numfmt.kernels.report import CAST_TILE
    fmt = nf.format("e4m3")
    rng = np.random.default_rng(11)
    a, b = _operands(rng, fmt, "div", 3 * CAST_TILE + 100)
    b[:CAST_TILE // 2] = 0.0
    b[2 * CAST_TILE + 5:] = np.where(rng.random(CAST_TILE + 95) < 0.3, 0.0, b[2 * CAST_TILE + 5:])
    a[rng.random(a.size) < 0.1] = 0.0
    finite = tuple(np.where(np.isfinite(v), v, np.float32(-1.5)) for v in (a, b))
    before = parallel.get_num_threads()
    parallel.set_num_threads(1)         # (the tiles as above: one chunk)
    try:
        for operands in ((a, b), finite):
            for kwargs in (dict(), dict(overflow="saturate")):
                rep = _check("div", operands, fmt, **kwargs)
                assert rep.div_by_zero > CAST_TILE // 4 and rep.invalid
            for at in (7, CAST_TILE + 7, 2 * CAST_TILE + 7):
                bad = operands[1].copy()
                bad[at] = 1.01
                with pytest.raises(ValueError, match="elements of b are not values of e4m3"):
                    nf.div(operands[0], bad, fmt, report=True)
    finally:
        parallel.set_num_threads(before)


test_fused_counts_equal_the_reference_wide = slow_twin(
    test_fused_counts_equal_the_reference,
    settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]), st.data())
