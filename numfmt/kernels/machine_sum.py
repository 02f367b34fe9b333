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
counted that way only in the sums that need it: a sum whose partial sums stay below the
caller's bound (below which every sum of the terms is exact) had no inexact addition, and
the rows' loop finds the others by overflow, summing the products scaled up
(``sequential_products``).
"""
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from ..lanes import maximum, minimum
from .arrays import bits_as, empty, zeros
from .floating import U32
from .inner import inner_inline
from .pipeline import kernel
from .vectors import tick, ticks, wide_vectors


@inner_inline
def _rounded(s, t, u):
    """Whether u, the sum s + t in their dtype (nearest even, no overflow), rounded."""
    return (u - s != t) | (u - t != s)


@inner_inline
def _added(s, t):
    """(s + t in their dtype, whether that addition rounded) in nearest even, no overflow."""
    u = s + t
    return u, _rounded(s, t, u)


@inner_inline
def _note(counts, inexact, index):
    """Add ``inexact`` additions of output element ``index`` to counts (its first one there)."""
    if inexact and counts[1] < 0:
        counts[1] = index
    counts[0] += inexact


MAX_BINARY32 = float(np.finfo(np.float32).max)
ROWS = 4            # sums that ``sequential_terms`` advances together
STRETCH = 1024      # terms of a counted sum whose partial sums are kept for their count at once


@inner_inline
def _inexact_run(before, t, partial):
    """How many of the additions partial[k] = partial[k - 1] + t[k] (partial[-1] = before)
    rounded: a vectorized loop, the partial sums known."""
    wide_vectors()
    inexact = tick(U32(0), _rounded(before, t[0], partial[0]))
    for k in range(1, t.size):      # (uint32 ticks: an int64 sum held the loop to 8 lanes)
        inexact = tick(inexact, _rounded(partial[k - 1], t[k], partial[k]))
    return np.int32(ticks(inexact))


@inner_inline
def _rows_added(out, x0, x1, x2, x3, width, partial, counts, first):
    """out[i] = the sequential sum of row i of x0, x1, x2, x3 (n >= 1 terms each) for i < width
    (the rows from width on repeat x0 and are left out), the four sums' additions interleaved
    (each waits on its own: one sum alone runs at the adder's latency, four near its
    throughput); with counts, each stretch's partial sums kept in partial (ROWS, STRETCH) and
    their inexact additions counted after it in a vectorized loop (``_inexact_run``), noted
    for output element first + i."""
    n = x0.size
    s0, s1, s2, s3 = x0[0], x1[0], x2[0], x3[0]
    m0 = m1 = m2 = m3 = np.int32(0)
    for k0 in range(1, n, STRETCH):
        k1 = minimum(k0 + STRETCH, n)
        b0, b1, b2, b3 = s0, s1, s2, s3
        if counts is None:
            for k in range(k0, k1):
                s0, s1, s2, s3 = s0 + x0[k], s1 + x1[k], s2 + x2[k], s3 + x3[k]
            continue
        p0, p1, p2, p3 = partial[0], partial[1], partial[2], partial[3]
        for k in range(k0, k1):
            s0, s1, s2, s3 = s0 + x0[k], s1 + x1[k], s2 + x2[k], s3 + x3[k]
            p0[k - k0], p1[k - k0], p2[k - k0], p3[k - k0] = s0, s1, s2, s3
        m0 += _inexact_run(b0, x0[k0:k1], p0[:k1 - k0])
        m1 += _inexact_run(b1, x1[k0:k1], p1[:k1 - k0]) if width > 1 else np.int32(0)
        m2 += _inexact_run(b2, x2[k0:k1], p2[:k1 - k0]) if width > 2 else np.int32(0)
        m3 += _inexact_run(b3, x3[k0:k1], p3[:k1 - k0]) if width > 3 else np.int32(0)
    sums, inexact = (s0, s1, s2, s3), (m0, m1, m2, m3)
    for i in range(width):
        out[i] = sums[i]
        if counts is not None:
            _note(counts, inexact[i], first + i)


@kernel(cache=True, nogil=True)
def sequential_terms(out, start, a, tiny, counts):
    """out[r] = the sequential sum of a[start + r, 0, :] (+0 for no terms), counted into counts
    (None: not counted); False under FTZ. ROWS sums at a time (``_rows_added``; 256 sums of
    16,384 float32 terms, 1 thread, CPU time: 2.0 -> 0.5 ms, counted 3.6 -> 1.1 ms, against
    one sum after another with each addition tested as it was made)."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    partial = empty((ROWS, STRETCH if counts is not None else 0), a.dtype)
    for r in range(0, out.shape[0] if n > 0 else 0, ROWS):
        q, width = start + r, minimum(ROWS, out.shape[0] - r)
        _rows_added(out[r:r + width], a[q, 0], a[q + 1 if width > 1 else q, 0], a[q + 2 if width > 2 else q, 0],
                    a[q + 3 if width > 3 else q, 0], width, partial, counts, q)
    for r in range(out.shape[0] if n == 0 else 0):
        out[r] = 0
    return True


@inner_inline
def _operands(a, b, o):
    """The row of a (G, M, n) and the matrix of b (G', n, P) of flat output row o = g * M + i
    (a batch length of 1 broadcasts)."""
    M = a.shape[1]
    g = o // M
    return a[g if a.shape[0] > 1 else 0, o % M], b[g if b.shape[0] > 1 else 0]


@intrinsic
def fused_multiply_add(typingctx, x, y, z):
    """x * y + z rounded once to their float type (nearest even): LLVM's ``llvm.fma``, the
    hardware's fused multiply-add (a correctly rounded library call where there is none)."""
    if not (isinstance(x, types.Float) and x == y == z):
        return None

    def codegen(context, builder, signature, args):
        t = args[0].type
        return builder.call(builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t])), args)
    return x(x, y, z), codegen


@inner_inline
def _fused_add(s, a, u, n, j):
    """``fused_multiply_add(a, u, s)``; with n (not None) n[j] ticked (``tick``) where it rounded: the
    exact sum s + a * u is hi + lo in float64 (a * u exact there, TwoSum of it and s exact), the
    result exact iff lo is 0 and hi is the result."""
    r = fused_multiply_add(a, u, s)
    if n is not None:
        p, s64 = np.float64(a) * np.float64(u), np.float64(s)
        hi = s64 + p
        b = hi - s64
        lo = (s64 - (hi - b)) + (p - b)
        n[j] = tick(n[j], (lo != 0) | (np.float64(r) != hi))
    return r


@inner_inline
def _add4(s, p0, p1, p2, p3, n, j):
    """s + p0 + p1 + p2 + p3, added in that order; with n (not None) its inexact additions are
    ticked in n[j] (``tick``: a masked addition each with AVX-512, where a sum of the four took
    a mask-to-vector move and a subtraction each)."""
    if n is None:
        return (((s + p0) + p1) + p2) + p3
    s, m0 = _added(s, p0)
    s, m1 = _added(s, p1)
    s, m2 = _added(s, p2)
    s, m3 = _added(s, p3)
    n[j] = tick(tick(tick(tick(n[j], m0), m1), m2), m3)
    return s


@inner_inline
def _add1(s, p, n, j):
    """s + p, with n as ``_add4`` takes it."""
    if n is None:
        return s + p
    s, m = _added(s, p)
    n[j] = tick(n[j], m)
    return s


@inner_inline(fastmath={"contract"})
def _two_rows(o0, o1, x0, x1, y, n0, n1, fused):
    """o0[j], o1[j] = the sequential sums over k of x0[k] * y[k, j] and of x1[k] * y[k, j]
    (n = x0.size >= 1 terms; y (n, P)): both rows advance together, four terms at a time, so
    that each element of y is loaded once for eight products; each sum still adds its
    products in k order. fused None: the products are exact in the dtype (the caller checked
    it), so a fused multiply-add (LLVM may contract x * y + s into one) rounds the same sum
    once; n0, n1: None, or arrays of P uint32 tallies in which each sum's inexact additions
    are ticked (``tick``; ``ticks`` counts them). fused True: products the dtype may not hold, each added to its sum by
    ``fused_multiply_add``, which rounds the exact sum once, as the emulating kernels do
    (``_fused_add``, counted with n0, n1); the first sum is the first product rounded (and
    counted where it rounded)."""
    wide_vectors()                  # (512-bit lanes on AVX-512 hosts: see kernels.vectors)
    n = x0.size
    for j in range(o0.size):
        o0[j] = x0[0] * y[0, j]
        o1[j] = x1[0] * y[0, j]
        if fused is not None and n0 is not None:    # (products the dtype holds are exact)
            n0[j] = tick(n0[j], np.float64(o0[j]) != np.float64(x0[0]) * np.float64(y[0, j]))
            n1[j] = tick(n1[j], np.float64(o1[j]) != np.float64(x1[0]) * np.float64(y[0, j]))
    k = 1
    while k + 4 <= n:
        a0, a1, a2, a3 = x0[k], x0[k + 1], x0[k + 2], x0[k + 3]
        b0, b1, b2, b3 = x1[k], x1[k + 1], x1[k + 2], x1[k + 3]
        y0, y1, y2, y3 = y[k], y[k + 1], y[k + 2], y[k + 3]
        for j in range(o0.size):
            u0, u1, u2, u3 = y0[j], y1[j], y2[j], y3[j]
            if fused is None:       # (either branch pruned: kernels.pipeline)
                o0[j] = _add4(o0[j], a0 * u0, a1 * u1, a2 * u2, a3 * u3, n0, j)
                o1[j] = _add4(o1[j], b0 * u0, b1 * u1, b2 * u2, b3 * u3, n1, j)
            else:
                o0[j] = _fused_add(_fused_add(_fused_add(_fused_add(o0[j], a0, u0, n0, j), a1, u1, n0, j), a2, u2,
                                              n0, j), a3, u3, n0, j)
                o1[j] = _fused_add(_fused_add(_fused_add(_fused_add(o1[j], b0, u0, n1, j), b1, u1, n1, j), b2, u2,
                                              n1, j), b3, u3, n1, j)
        k += 4
    for k in range(k, n):
        a, b, yk = x0[k], x1[k], y[k]
        for j in range(o0.size):
            if fused is None:
                o0[j] = _add1(o0[j], a * yk[j], n0, j)
                o1[j] = _add1(o1[j], b * yk[j], n1, j)
            else:
                o0[j] = _fused_add(o0[j], a, yk[j], n0, j)
                o1[j] = _fused_add(o1[j], b, yk[j], n1, j)


COLUMN_COST = 16       # a sum added again alone costs about this many sums of the vectorized loop


@inner_inline
def _inexact_steps(x, z, partial):
    """How many of the additions partial[k - 1] + x[k] * z[k] = partial[k] rounded (vectorized:
    the partial sums are known)."""
    inexact = 0
    for k in range(1, x.size):
        inexact += np.int64(_rounded(partial[k - 1], x[k] * z[k], partial[k]))
    return inexact


@inner_inline
def _recount(o0, o1, x0, x1, yt, places, count, counts, first, partial):
    """The sums at places[:count] (flat places i * P + j: o0[j] for i = 0, o1[j] for 1) summed
    again, their inexact additions noted in counts (place p is output element first + p); yt:
    the matrix transposed (its columns as rows). Four at a time: four independent chains of
    additions into partial (4, n) (one chain alone waits on each addition), then each sum's
    additions tested in a vectorized loop."""
    P = o0.size
    for q in range(0, count, 4):
        last = minimum(q + 4, count) - 1            # (a group of fewer repeats its last sum)
        p0, p1, p2, p3 = places[q], places[minimum(q + 1, last)], places[minimum(q + 2, last)], places[last]
        r0, r1, r2, r3 = (x0 if p0 < P else x1), (x0 if p1 < P else x1), (x0 if p2 < P else x1), (x0 if p3 < P else x1)
        z0, z1, z2, z3 = yt[p0 % P], yt[p1 % P], yt[p2 % P], yt[p3 % P]
        s0, s1, s2, s3 = r0[0] * z0[0], r1[0] * z1[0], r2[0] * z2[0], r3[0] * z3[0]
        partial[0, 0], partial[1, 0], partial[2, 0], partial[3, 0] = s0, s1, s2, s3
        for k in range(1, r0.size):
            s0, s1, s2, s3 = s0 + r0[k] * z0[k], s1 + r1[k] * z1[k], s2 + r2[k] * z2[k], s3 + r3[k] * z3[k]
            partial[0, k], partial[1, k], partial[2, k], partial[3, k] = s0, s1, s2, s3
        for t in range(last - q + 1):
            place = places[q + t]
            row = x0 if place < P else x1
            (o0 if place < P else o1)[place % P] = partial[t, -1]
            _note(counts, _inexact_steps(row, yt[place % P], partial[t]), first + place)


@inner_inline
def _scaled_rows(o0, o1, x0, x1, ys, scales, xs, pair):
    """``_two_rows`` of the rows x0, x1 times scales[0] (into the scratch rows xs) by ys (the
    matrix times scales[1]), then times scales[2] * scales[3] (their inverses: exact, and Inf
    stays Inf); returns how many of the rows' sums (o1's where ``pair``) are +-Inf."""
    for k in range(x0.size):
        xs[0][k] = x0[k] * scales[0]
        xs[1][k] = x1[k] * scales[0]
    _two_rows(o0, o1, xs[0], xs[1], ys, None, None, None)
    over = 0
    for j in range(o0.size):
        o0[j] = (o0[j] * scales[2]) * scales[3]
        o1[j] = (o1[j] * scales[2]) * scales[3]
        over += (abs(o0[j]) == np.inf) + pair * (abs(o1[j]) == np.inf)
    return over


@inner_inline
def _scaled_copy(y, g, copies, c):
    """y (matrix g of b) times c, from copies = (scaled, transposed, the matrices they hold
    (-1: none)), made where it holds another."""
    scaled, _, made = copies
    if made[0] != g:
        for k in range(y.shape[0]):
            for j in range(y.shape[1]):
                scaled[k, j] = y[k, j] * c
        made[0] = g
    return scaled


@inner_inline
def _transposed_copy(y, g, copies):
    """y (matrix g of b) transposed, (P, n), from copies as ``_scaled_copy`` keeps them."""
    _, transposed, made = copies
    if made[1] != g:
        for k0 in range(0, y.shape[0], 16):     # 16 rows of y at a time: a line of each row of the copy
            for j in range(y.shape[1]):
                for k in range(k0, minimum(k0 + 16, y.shape[0])):
                    transposed[j, k] = y[k, j]
        made[1] = g
    return transposed


@inner_inline
def _count_row_pair(counts, o0, o1, x0, x1, y, g, copies, scales, xs, tallies, places, partial, pair, direct,
                    first, fused):
    """``_two_rows`` of o0 (and o1 where ``pair``, else a scratch row) with their sums' inexact
    additions noted in counts (o0[j] is output element first + j, o1[j] first + P + j), as
    ``sequential_products`` describes: scaled first unless ``direct`` (``_scaled_rows``; xs: its
    scratch rows), then those that became +-Inf summed again, counting (``_recount``; places:
    scratch of 2 P int64, partial its scratch); y is matrix g of b, whose scaled and transposed
    copies ``copies`` keeps (``_scaled_copy``). tallies: two zeroed uint32 scratch arrays of P,
    zeroed again on return. Returns ``direct`` for the next pair. fused as ``_two_rows`` takes
    it (True: direct, every addition counted)."""
    P = o0.size
    rows_here = 2 if pair else 1
    many, crowded = direct, 0
    if not direct:
        crowded = _scaled_rows(o0, o1, x0, x1, _scaled_copy(y, g, copies, scales[1]), scales, xs, pair)
        many = crowded * COLUMN_COST > rows_here * P
    if many:            # count every addition of both rows (again), vectorized
        _two_rows(o0, o1, x0, x1, y, tallies[0], tallies[1], fused)
        for i in range(2):
            tally = tallies[i]
            for j in range(P):
                if i < rows_here:           # (a scratch row's tally is only cleared)
                    _note(counts, ticks(tally[j]), first + i * P + j)
                    crowded += direct & (tally[j] > 0)
                tally[j] = 0
    elif crowded:
        count = np.int64(0)        # (not a literal 0: _recount would compile twice)
        for i in range(rows_here):
            o = o0 if i == 0 else o1
            for j in range(P):
                if abs(o[j]) == np.inf:
                    places[count] = i * P + j
                    count += 1
        _recount(o0, o1, x0, x1, _transposed_copy(y, g, copies), places, count, counts, first, partial)
    # the next pair counts at once where many of this one's sums reached B (counted: were inexact)
    return scales[0] == 0 or crowded * COLUMN_COST > rows_here * P


@kernel(cache=True, nogil=True)
def sequential_products(out, start, a, b, tiny, scales, fused, counts):
    """out[r, j] = the sequential sum over k of a[g, i, k] * b[g, k, j] for the flat output rows
    o = start + r = g * M + i of a (G, M, n) by b (G', n, P) (a batch length of 1 broadcasts);
    +0 for n = 0. Two rows of one matrix of b at a time (``_two_rows``; a row without a partner
    pairs with itself into a scratch row): rows of P sums advance together (and vectorize);
    each sum still adds its products in k order. False under FTZ. fused None: every product
    is exact in the dtype; True: products it may not hold, each added by a fused multiply-add
    (``_two_rows``; counted, every addition is, in one pass: scales[0] 0).

    Counted into counts (None: not counted; the output element of out[r, j] is (start + r) * P
    + j). A sum whose partial sums all stay below the caller's bound B (below it every sum of
    the terms is exact) had no inexact addition. scales = (c_a, c_b, 1 / c_a, 1 / c_b): powers
    of two with c_a * c_b * B = 2**maxexp (dtype's overflow threshold) that scale no operand
    past dtype's range (the caller's ``machine_sum._overflow_scales``); the kernel sums the
    products of a's rows times c_a by b times c_b: in nearest even each scaled partial sum is
    the unscaled one times c_a * c_b, exactly, until it reaches B, where it overflows to
    +-Inf, which it keeps. The sums are scaled back, exactly (Inf stays Inf), and those that
    overflowed summed again, counting each addition: four at a time (``_recount``), or both
    rows again by the vectorized loop where more than one sum in ``COLUMN_COST`` did. Every
    addition is counted in one pass (nothing scaled) where c_a is 0, and for the next pair of
    rows where more than one sum in ``COLUMN_COST`` of a pair reached B, or counted so was
    inexact (the results and counts do not depend on those choices)."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    if n == 0:
        out[:] = 0
        return True
    P = out.shape[1]
    scratch = empty(P, out.dtype)
    if counts is not None:
        tallies = (zeros(P, np.uint32), zeros(P, np.uint32))
        xs = (empty(n, out.dtype), empty(n, out.dtype))
        copies = (empty((n, P), out.dtype), empty((P, n), out.dtype), np.array([-1, -1]))
        places, partial = empty(2 * P, np.int64), empty((4, n), out.dtype)
    direct = scales[0] == 0
    M, rows, r = a.shape[1], out.shape[0], 0
    while r < rows:
        x, y = _operands(a, b, start + r)
        pair = r + 1 < rows and (b.shape[0] == 1 or (start + r) // M == (start + r + 1) // M)
        x1 = _operands(a, b, start + r + 1)[0] if pair else x
        o1 = out[r + 1] if pair else scratch
        if counts is None:
            _two_rows(out[r], o1, x, x1, y, None, None, fused)
        else:
            g = (start + r) // M if b.shape[0] > 1 else 0
            direct = _count_row_pair(counts, out[r], o1, x, x1, y, g, copies, scales, xs, tallies, places, partial,
                                     pair, direct, (start + r) * P, fused)
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
    """``sequential_products``' rows reduced in the order "fused" into binary32: the first step
    takes the first k products, each later step s and the next k products, truncates every addend toward zero to a
    multiple of 2**(emax - align) (emax: the largest addend's leading-bit exponent), adds the
    truncated addends and rounds the sum once (``_to_binary32``); with promote > 0 the
    products are reduced in chunks of that many from +0 and the chunks' results added in
    binary32 (nearest even). Exact in float64 where the caller checked it: the products are
    normal float64 numbers (or zeros) exactly, every truncated addend is an integer multiple
    of 2**(emax - align) below 2**(align + 1) of them, and k + 1 of them sum below 2**53.
    A zero sum has the exact core's sign: the float64 additions give IEEE addition's (every
    addend -0: -0; a cancellation or zeros of both signs: +0, these modes not rounding
    toward negative), total starting from -0 in a first step (the products alone) and from
    s's truncation after it; the largest addend truncates to a nonzero multiple.
    Counted into counts as ``sequential_products`` counts (None: not counted): a step whose
    rounding of the exact float64 sum was inexact, an inexact addition of chunks' results.
    False under FTZ, and toward zero where a step's sum is the largest finite value: it may
    have overflowed, which the emulating kernels count (and raise under overflow="raise")."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    P = out.shape[1]
    s = empty(P, np.float64)
    total = empty(P, np.float64)
    emax = empty(P, np.int64)
    scale = empty(P, np.float64)
    inexact = None if counts is None else zeros(P, np.int32)
    saturated = False       # a step's sum the largest finite value toward zero: perhaps an overflow
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
                for j in range(P):      # (the first step: the products alone, from -0, IEEE addition's identity)
                    scale[j] = _pow2(minimum(align - emax[j], 1023))
                    total[j] = np.trunc(s[j] * scale[j]) if g0 > c0 else -0.0
                for i in range(g0, g1):
                    xi = np.float64(x[i])
                    for j in range(P):
                        total[j] += np.trunc(xi * np.float64(y[i, j]) * scale[j])
                for j in range(P):
                    exact = total[j] * _pow2(maximum(emax[j] - align, -1022))
                    s[j] = _to_binary32(exact, toward_zero)
                    saturated |= toward_zero & (abs(s[j]) == MAX_BINARY32)
                    if inexact is not None:
                        inexact[j] += np.int32(s[j] != exact)
            for j in range(P):
                if c0 == 0:
                    row[j] = np.float32(s[j])
                elif inexact is None:
                    row[j] = np.float32(row[j]) + np.float32(s[j])
                else:
                    row[j], m = _added(np.float32(row[j]), np.float32(s[j]))
                    inexact[j] += np.int32(m)
        if inexact is not None:
            for j in range(P):
                _note(counts, inexact[j], (start + r) * P + j)
                inexact[j] = 0
    return not saturated
