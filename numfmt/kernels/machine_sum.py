"""Numba kernels of the sequential reductions that the machine's own float32 / float64 addition
performs exactly as emulated (``numfmt.machine_sum`` decides when): each output element is
``s = t[0]; s = s + t[k]`` for k = 1 .. n - 1 in the array's dtype, where the terms t are the
inputs or their products, exact in that dtype.

Both kernels take ``tiny``, the dtype's smallest subnormal, as a run-time number: they return
False without computing anything when ``tiny + tiny`` is zero, that is when the calling thread
flushes subnormals to zero (FTZ / DAZ, which ``torch.set_flush_denormal(True)`` sets), so
the caller falls back to the emulating kernels.
"""
import numba as nb


@nb.njit(cache=True, nogil=True)
def sequential_terms(out, start, a, tiny):
    """out[r] = the sequential sum of a[start + r, 0, :] (+0 for no terms); False under FTZ."""
    if tiny + tiny == 0:
        return False
    n = a.shape[2]
    for r in range(out.shape[0]):
        out[r] = 0
        if n == 0:
            continue
        row = a[start + r, 0]
        s = row[0]
        for k in range(1, n):
            s += row[k]
        out[r] = s
    return True


@nb.njit(cache=True, nogil=True)
def sequential_products(out, start, a, b, tiny):
    """out[r, j] = the sequential sum over k of a[g, i, k] * b[g, k, j] for the flat output rows
    o = start + r = g * M + i of a (G, M, n) by b (G', n, P) (a batch length of 1 broadcasts);
    +0 for n = 0. The k loop is outside the j loop, so rows of P sums advance together (and
    vectorize); each sum still adds its products in k order. False under FTZ."""
    if tiny + tiny == 0:
        return False
    M, n = a.shape[1], a.shape[2]
    for r in range(out.shape[0]):
        o = start + r
        g = o // M
        x = a[g if a.shape[0] > 1 else 0, o % M]
        y = b[g if b.shape[0] > 1 else 0]
        row = out[r]
        if n == 0:
            row[:] = 0
            continue
        for j in range(row.size):
            row[j] = x[0] * y[0, j]
        for k in range(1, n):
            xk = x[k]
            yk = y[k]
            for j in range(row.size):
                row[j] += xk * yk[j]
    return True
