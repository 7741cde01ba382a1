"""Cross entropy with class-index targets on the CPU: fused numba loops beside the
whole-array code of ``loss.py`` (``_row_arrays``, ``_ce_rows_arrays``, ``_ce_grad_arrays``).

The whole-array forms make about twenty small NumPy calls per loss and gradient; for the
(batch, classes) logits of a small model each call costs more than its arithmetic, so on
NumPy arrays without class weights or label smoothing these loops do the same work in
one pass per row. ``loss.py`` calls them first and keeps its own forms for everything
else (CuPy, weights, smoothing, other layouts), so the eager step and ``ag.compile``'s
out-forms (which call the same functions with buffers) take the same path.

* ``row_terms``: the targets made safe to index (ignored rows 0), each row's coefficient
  ``valid_i * scale`` (``scale`` = 1 / number of counted rows for ``mean``) and the
  smallest and largest safe target, for the caller's range check.
* ``rows``: each row's ``coef_i (log sum_j exp x_ij - x_it)`` and the softmax ``p``; the
  max is taken NaN-propagating as NumPy's ``max``; exp and the row sum in float64.
* ``grad``: ``g_i coef_i (p_ij - [j = t_i])`` in the logits' dtype, the same operations
  in the same order as ``_ce_grad_arrays``, so both give the same bits.
"""

from __future__ import annotations

import math

import numpy as np

from backends.numba_util import LazyKernel

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
prange = range  # numba.prange once LazyKernel compiles the loops


# numba compiles these loops, so mutmut cannot wrap them in its Python trampoline
def _row_terms_loop(t, ignore_index, c, mean, safe, coef):  # pragma: no mutate block
    m = t.shape[0]
    count = 0
    lo = 0
    hi = 0
    for i in range(m):
        ti = t[i]
        v = 0
        if ti != ignore_index:
            v = ti
            count += 1
        safe[i] = v
        if i == 0 or v < lo:
            lo = v
        if i == 0 or v > hi:
            hi = v
    scale = 1.0
    if mean:
        scale = 1.0 / count if count != 0 else math.nan
    for i in range(m):
        # valid * scale as the array form computes it (an ignored row times NaN is NaN)
        coef[i] = (0.0 if t[i] == ignore_index else 1.0) * scale
    return lo, hi


def _rows_loop(x, safe, coef, loss, p):  # pragma: no mutate block
    m, c = x.shape
    for i in prange(m):
        mx = x[i, 0]
        for j in range(1, c):
            v = x[i, j]
            if v > mx or v != v:  # a NaN stays the max, as in np.max
                mx = v
        s = 0.0
        for j in range(c):
            e = math.exp(x[i, j] - mx)
            p[i, j] = e
            s += e
        for j in range(c):
            p[i, j] = p[i, j] / s
        loss[i] = coef[i] * (math.log(s) - (x[i, safe[i]] - mx))


def _grad_loop(g, p, safe, coef, grad):  # pragma: no mutate block
    m, c = p.shape
    n = g.shape[0]
    for i in prange(m):
        gi = g[i] if n != 1 else g[0]
        sc = gi * coef[i]
        for j in range(c):
            grad[i, j] = p[i, j] * sc
        grad[i, safe[i]] = grad[i, safe[i]] - sc


# error_model="numpy": a division by zero gives inf/NaN as NumPy does, no exception branch
_ROW_TERMS = LazyKernel(_row_terms_loop, fastmath=False, error_model="numpy")
_ROWS = LazyKernel(_rows_loop, fastmath=False, error_model="numpy")
_GRAD = LazyKernel(_grad_loop, fastmath=False, error_model="numpy")


def _plain(a) -> bool:
    return type(a) is np.ndarray and a.flags.c_contiguous


def row_terms(t, ignore_index: int, c: int, mean: bool, dtype, safe=None, coef=None):
    """``(safe, coef, lo, hi)`` for the (M,) integer targets ``t`` by the loop (into
    ``safe`` (intp) and ``coef`` (``dtype``) when given), or None where it does not apply
    (not a contiguous NumPy integer array, or no classes)."""
    if not _plain(t) or t.dtype.kind not in "iu" or c == 0 or np.dtype(dtype) not in _FLOATS:
        return None
    m = t.shape[0]
    safe = np.empty(m, np.intp) if safe is None else safe
    coef = np.empty(m, dtype) if coef is None else coef
    lo, hi = _ROW_TERMS.for_size(m)(t, ignore_index, c, mean, safe, coef)
    return safe, coef, lo, hi


def rows(x, safe, coef, loss=None, p=None):
    """``(loss, p)``: the row losses (into ``loss`` when given) and the softmax (into
    ``p``) of the (M, C) logits ``x`` by the loop, or None where it does not apply."""
    if not (_plain(x) and _plain(safe) and _plain(coef)) or x.dtype not in _FLOATS or \
            coef.dtype != x.dtype or safe.dtype != np.intp or x.ndim != 2 or \
            0 in x.shape:
        return None
    loss = np.empty(x.shape[0], x.dtype) if loss is None else loss
    p = np.empty_like(x) if p is None else p
    _ROWS.for_size(x.size)(x, safe, coef, loss, p)
    return loss, p


def grad(g, p, safe, coef, out=None):
    """The (M, C) gradient for the upstream ``g`` (one value, or one per row) by the loop
    (into ``out`` when given), or None where it does not apply."""
    if not (_plain(g) and _plain(p) and _plain(safe) and _plain(coef)) or \
            p.dtype not in _FLOATS or g.dtype != p.dtype or coef.dtype != p.dtype or \
            safe.dtype != np.intp or p.ndim != 2 or 0 in p.shape:
        return None
    g = g.reshape(-1)
    if g.shape[0] not in (1, p.shape[0]):
        return None
    out = np.empty_like(p) if out is None else out
    _GRAD.for_size(p.size)(g, p, safe, coef, out)
    return out
