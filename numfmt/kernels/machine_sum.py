"""Numba kernels of the sequential reductions that the machine's own float32 / float64 addition
performs exactly as emulated (``numfmt.machine_sum`` decides when): each output element is
``s = t[0]; s = s + t[k]`` for k = 1 .. n - 1 in the array's dtype, where the terms t are the
inputs or their products, exact in that dtype.

The kernels take ``tiny``, the dtype's smallest subnormal, as a run-time number: they return
False without computing anything when ``tiny + tiny`` is zero, that is when the calling thread
flushes subnormals to zero (FTZ / DAZ, which ``torch.set_flush_denormal(True)`` sets), so
the caller falls back to the emulating kernels.

The kernels also count, for ``report=True``, where ``counts`` is an int64 array
[inexact additions, first flat output element with one (-1: none)] (None: nothing counted
or compiled): an addition u = s + t is exact iff u - s == t and u - t == s (the difference
from the operand of the larger magnitude is exact in nearest even: Fast2Sum). Products are
counted that way only in the sums that need it: the rows' loop tracks each sum's largest
partial sum, and a sum that stays below the caller's bound (below which every sum of the
terms is exact) had no inexact addition.
"""
import numpy as np
from ..lanes import maximum, minimum
from .arrays import bits_as, empty, zeros
from .inner import inner_inline
from .pipeline import kernel
from .vectors import wide_vectors


@inner_inline
def _added(s, t):
    """(s + t in their dtype, 1 if that addition rounded, else 0) in nearest even, no overflow."""
    u = s + t
    return u, np.int32((u - s != t) | (u - t != s))


@inner_inline
def _note(counts, inexact, index):
    """Add ``inexact`` additions of output element ``index`` to counts (its first one there)."""
    if inexact and counts[1] < 0:
        counts[1] = index
    counts[0] += inexact


@kernel(cache=True, nogil=True)
def sequential_terms(out, start, a, tiny, counts):
    """out[r] = the sequential sum of a[start + r, 0, :] (+0 for no terms), counted into counts
    (None: not counted); False under FTZ."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    for r in range(out.shape[0]):
        out[r] = 0
        if n == 0:
            continue
        row = a[start + r, 0]
        s = row[0]
        if counts is None:
            for k in range(1, n):
                s += row[k]
        else:
            inexact = 0
            for k in range(1, n):
                s, m = _added(s, row[k])
                inexact += m
            _note(counts, inexact, start + r)
        out[r] = s
    return True


@inner_inline
def _operands(a, b, o):
    """The row of a (G, M, n) and the matrix of b (G', n, P) of flat output row o = g * M + i
    (a batch length of 1 broadcasts)."""
    M = a.shape[1]
    g = o // M
    return a[g if a.shape[0] > 1 else 0, o % M], b[g if b.shape[0] > 1 else 0]


@inner_inline
def _add4(s, p0, p1, p2, p3, n, j, largest):
    """s + p0 + p1 + p2 + p3, added in that order. With n (not None): where ``largest`` (a
    literal), n[j] becomes the largest magnitude of n[j] and the four sums; else the inexact
    additions are added to n[j]."""
    if n is None:
        return (((s + p0) + p1) + p2) + p3
    if largest:
        s1 = s + p0
        s2 = s1 + p1
        s3 = s2 + p2
        s4 = s3 + p3
        n[j] = maximum(maximum(n[j], maximum(abs(s1), abs(s2))), maximum(abs(s3), abs(s4)))
        return s4
    s, m0 = _added(s, p0)
    s, m1 = _added(s, p1)
    s, m2 = _added(s, p2)
    s, m3 = _added(s, p3)
    n[j] += m0 + m1 + m2 + m3
    return s


@inner_inline
def _add1(s, p, n, j, largest):
    """s + p, with n and ``largest`` as ``_add4`` takes them."""
    if n is None:
        return s + p
    if largest:
        s = s + p
        n[j] = maximum(n[j], abs(s))
        return s
    s, m = _added(s, p)
    n[j] += m
    return s


@inner_inline(fastmath={"contract"})
def _two_rows(o0, o1, x0, x1, y, n0, n1, largest):
    """o0[j], o1[j] = the sequential sums over k of x0[k] * y[k, j] and of x1[k] * y[k, j]
    (n = x0.size >= 1 terms; y (n, P)): both rows advance together, four terms at a time, so
    that each element of y is loaded once for eight products; each sum still adds its
    products in k order. The products are exact in the dtype (the caller checked it), so a
    fused multiply-add (LLVM may contract x * y + s into one) rounds the same sum once. n0, n1:
    None, or arrays of P tallies of each sum (``_add4``: the largest magnitude of its partial
    sums where ``largest``, else the count of its inexact additions)."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    n = x0.size
    for j in range(o0.size):
        o0[j] = x0[0] * y[0, j]
        o1[j] = x1[0] * y[0, j]
    k = 1
    while k + 4 <= n:
        a0, a1, a2, a3 = x0[k], x0[k + 1], x0[k + 2], x0[k + 3]
        b0, b1, b2, b3 = x1[k], x1[k + 1], x1[k + 2], x1[k + 3]
        y0, y1, y2, y3 = y[k], y[k + 1], y[k + 2], y[k + 3]
        for j in range(o0.size):
            u0, u1, u2, u3 = y0[j], y1[j], y2[j], y3[j]
            o0[j] = _add4(o0[j], a0 * u0, a1 * u1, a2 * u2, a3 * u3, n0, j, largest)
            o1[j] = _add4(o1[j], b0 * u0, b1 * u1, b2 * u2, b3 * u3, n1, j, largest)
        k += 4
    for k in range(k, n):
        a, b, yk = x0[k], x1[k], y[k]
        for j in range(o0.size):
            o0[j] = _add1(o0[j], a * yk[j], n0, j, largest)
            o1[j] = _add1(o1[j], b * yk[j], n1, j, largest)


COLUMN_COST = 16       # a sum added again alone costs about this many sums of the vectorized loop


@inner_inline
def _inexact_additions(x, y, j):
    """The inexact additions of the sequential sum over k of x[k] * y[k, j] (x.size >= 1)."""
    s = x[0] * y[0, j]
    inexact = 0
    for k in range(1, x.size):
        s, m = _added(s, x[k] * y[k, j])
        inexact += m
    return inexact


@inner_inline
def _count_row_pair(counts, o0, o1, x0, x1, y, largest, tallies, pair, exact_below, direct, first):
    """``_two_rows`` of o0 (and o1 where ``pair``, else a scratch row) with their sums' inexact
    additions noted in counts (o0[j] is output element first + j, o1[j] first + P + j), as
    ``sequential_products`` describes: tracked below exact_below first unless ``direct``, then
    added again where they reached it. largest and tallies: two zeroed scratch arrays of P each
    (out's dtype; int32), zeroed again on return. Returns ``direct`` for the next pair."""
    P = o0.size
    rows_here = 2 if pair else 1
    many = direct
    if not direct:
        _two_rows(o0, o1, x0, x1, y, largest[0], largest[1], True)
        reached = 0
        for i in range(rows_here):
            for j in range(P):
                reached += largest[i][j] >= exact_below
        many = reached * COLUMN_COST > rows_here * P
    if many:            # count every addition of both rows (again), vectorized
        _two_rows(o0, o1, x0, x1, y, tallies[0], tallies[1], False)
    inexact_sums = 0
    for i in range(2):
        peak, tally, row = largest[i], tallies[i], x0 if i == 0 else x1
        for j in range(P):
            if i < rows_here and many:
                _note(counts, tally[j], first + i * P + j)
                inexact_sums += tally[j] > 0
            elif i < rows_here and peak[j] >= exact_below:
                _note(counts, _inexact_additions(row, y, j), first + i * P + j)
            peak[j] = 0         # (a scratch row's too)
            tally[j] = 0
    # the next pair counts at once where most of this one's sums were inexact
    return exact_below <= 0 or inexact_sums * COLUMN_COST > rows_here * P


@kernel(cache=True, nogil=True)
def sequential_products(out, start, a, b, tiny, exact_below, counts):
    """out[r, j] = the sequential sum over k of a[g, i, k] * b[g, k, j] for the flat output rows
    o = start + r = g * M + i of a (G, M, n) by b (G', n, P) (a batch length of 1 broadcasts);
    +0 for n = 0. Two rows of one matrix of b at a time (``_two_rows``; a row without a partner
    pairs with itself into a scratch row): rows of P sums advance together (and vectorize);
    each sum still adds its products in k order. Counted into counts (None: not counted; the
    output element of out[r, j] is (start + r) * P + j): a sum whose partial sums all stay
    below ``exact_below`` in magnitude (below it every sum of the terms is exact: the caller's
    bound) had no inexact addition; the others are added again, counting each addition: one
    by one (``_inexact_additions``, a column of b), or both rows again by the vectorized loop
    where more than one sum in ``COLUMN_COST`` reached the bound. Every addition is counted in
    one pass (no tracking first) where exact_below is 0, and for the next pair of rows where
    more than one sum in ``COLUMN_COST`` of a pair counted so was inexact (the results and
    counts do not depend on that choice). False under FTZ."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    if n == 0:
        out[:] = 0
        return True
    P = out.shape[1]
    scratch = empty(P, out.dtype)
    if counts is not None:
        m0, m1 = zeros(P, out.dtype), zeros(P, out.dtype)
        n0, n1 = zeros(P, np.int32), zeros(P, np.int32)
    direct = exact_below <= 0
    M, rows, r = a.shape[1], out.shape[0], 0
    while r < rows:
        x, y = _operands(a, b, start + r)
        pair = r + 1 < rows and (b.shape[0] == 1 or (start + r) // M == (start + r + 1) // M)
        x1 = _operands(a, b, start + r + 1)[0] if pair else x
        o1 = out[r + 1] if pair else scratch
        if counts is None:
            _two_rows(out[r], o1, x, x1, y, None, None, False)
        else:
            direct = _count_row_pair(counts, out[r], o1, x, x1, y, (m0, m1), (n0, n1), pair, exact_below, direct,
                                     (start + r) * P)
        r += 2 if pair else 1
    return True


_LOW_EXP = -(1 << 20)       # the "exponent" of a zero addend: below every other


@inner_inline
def _exponent(v):
    """The exponent of the leading bit of a normal float64 v; _LOW_EXP for a zero."""
    e = ((bits_as(np.float64(v), np.int64) >> 52) & 0x7FF) - 1023
    return e if v != 0 else _LOW_EXP


@inner_inline
def _pow2(e):
    """2.0**e for -1022 <= e <= 1023."""
    return bits_as(np.int64((e + 1023) << 52), np.float64)


@inner_inline
def _to_binary32(v, toward_zero):
    """The float64 v rounded once to binary32: nearest even (the hardware's conversion), or
    toward zero (that, stepped back one unit where it went past v; Inf becomes the largest
    finite value)."""
    f = np.float32(v)
    if toward_zero and abs(np.float64(f)) > abs(v):
        f = bits_as(np.int32(bits_as(f, np.int32) - 1), np.float32)
    return f


@kernel(cache=True, nogil=True)
def fused_products(out, start, a, b, k, align, promote, toward_zero, tiny, counts):
    """``sequential_products``' rows reduced in the order "fused" into binary32: from s = +0,
    each step takes s and the next k products, truncates every addend toward zero to a
    multiple of 2**(emax - align) (emax: the largest addend's leading-bit exponent), adds the
    truncated addends and rounds the sum once (``_to_binary32``); with promote > 0 the
    products are reduced in chunks of that many from +0 and the chunks' results added in
    binary32 (nearest even). Exact in float64 where the caller checked it: the products are
    normal float64 numbers (or zeros) exactly, every truncated addend is an integer multiple
    of 2**(emax - align) below 2**(align + 1) of them, and k + 1 of them sum below 2**53.
    A zero sum is +0, as the exact core makes it: total starts from s's +0 or its
    truncation, and the largest addend truncates to a nonzero multiple, so only a
    cancellation (+0 in nearest even) or addends that are all zeros (+0 scaled) give zero.
    Counted into counts as ``sequential_products`` counts (None: not counted): a step whose
    rounding of the exact float64 sum was inexact, an inexact addition of chunks' results.
    False under FTZ."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    P = out.shape[1]
    s = empty(P, np.float64)
    total = empty(P, np.float64)
    emax = empty(P, np.int64)
    scale = empty(P, np.float64)
    inexact = None if counts is None else zeros(P, np.int32)
    chunk = promote if promote > 0 else maximum(n, 1)
    for r in range(out.shape[0]):
        x, y = _operands(a, b, start + r)
        row = out[r]
        for c0 in range(0, maximum(n, 1), chunk):
            s[:] = 0.0
            for g0 in range(c0, minimum(c0 + chunk, n), k):
                g1 = min(g0 + k, c0 + chunk, n)
                for j in range(P):
                    emax[j] = _exponent(s[j])
                for i in range(g0, g1):
                    xi = np.float64(x[i])
                    for j in range(P):
                        emax[j] = maximum(emax[j], _exponent(xi * np.float64(y[i, j])))
                for j in range(P):
                    scale[j] = _pow2(minimum(align - emax[j], 1023))
                    total[j] = np.trunc(s[j] * scale[j])
                for i in range(g0, g1):
                    xi = np.float64(x[i])
                    for j in range(P):
                        total[j] += np.trunc(xi * np.float64(y[i, j]) * scale[j])
                for j in range(P):
                    exact = total[j] * _pow2(maximum(emax[j] - align, -1022))
                    s[j] = _to_binary32(exact, toward_zero)
                    if inexact is not None:
                        inexact[j] += np.int32(s[j] != exact)
            for j in range(P):
                if c0 == 0:
                    row[j] = np.float32(s[j])
                elif inexact is None:
                    row[j] = np.float32(row[j]) + np.float32(s[j])
                else:
                    row[j], m = _added(np.float32(row[j]), np.float32(s[j]))
                    inexact[j] += m
        if inexact is not None:
            for j in range(P):
                _note(counts, inexact[j], (start + r) * P + j)
                inexact[j] = 0
    return True
