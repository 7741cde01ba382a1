"""Sorting and order statistics: ``sort argsort msort topk kthvalue median nanmedian
mode``.

Each computes integer indices (no gradient) and takes the values with ``gather``, so
the gradient of the values is that of indexing: it flows back to the chosen elements.
Sorts are stable (equal elements keep their order; NaN sorts as the largest value),
which is PyTorch's ``stable=True`` and one of the orders its default allows.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..recording import replayable
from ..tensor import Tensor, _wrap
from ._util import normalize_dim
from .gather import gather
from .shape import reshape, squeeze

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])


def _stable_argsort(xp, a, axis: int, descending: bool):
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")  # CuPy's sort is always stable
    # descending and stable: sort the reversed array ascending, reverse back
    idx = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return a.shape[axis] - 1 - xp.flip(idx, axis)


def _dim(x: Tensor, dim, op) -> int:
    return normalize_dim(dim, x.array.ndim, op) if x.array.ndim else 0


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Indices (int64) that sort ``x`` along ``dim``; ties keep their original order."""
    d = _dim(x, dim, "argsort")
    xp = x.device.backend.xp
    if x.array.ndim == 0:
        return _wrap(xp.zeros((), np.int64), x.device)
    return _wrap(_stable_argsort(xp, x.array, d, descending).astype(np.int64), x.device)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` of ``x`` sorted along ``dim``."""
    d = _dim(x, dim, "sort")  # first, so that a bad dim names sort (not argsort)
    idx = argsort(x, d, descending, stable)
    if x.array.ndim == 0:
        return SortResult(x, idx)
    return SortResult(gather(x, d, idx), idx)


def msort(x: Tensor) -> Tensor:
    """``x`` sorted along dimension 0."""
    return sort(x, 0).values


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``,
    in sorted order."""
    d = _dim(x, dim, "topk")
    n = x.array.shape[d] if x.array.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k={k} is out of range for dimension {d} of size {n}")
    if x.array.ndim == 0:
        return TopkResult(x, argsort(x))
    idx = argsort(x, d, descending=largest)[(slice(None),) * d + (slice(0, k),)]
    return TopkResult(gather(x, d, idx), idx)


def _select(x: Tensor, d: int, pos, keepdim: bool, result):
    """Values and indices at sorted position ``pos`` (an int, or an array with one
    entry per slice) along ``d``."""
    xp = x.device.backend.xp
    if x.array.ndim == 0:
        return result(x, _wrap(xp.zeros((), np.int64), x.device))
    idx = _wrap(_select_index(xp, x.array, d, pos), x.device)
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), squeeze(idx, d)
    return result(values, idx)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _select_index(xp, a, d: int, pos):
    """The int64 positions in ``a`` of its elements at sorted position ``pos`` along
    ``d`` (``d`` kept as 1)."""
    order = _stable_argsort(xp, a, d, False)
    if isinstance(pos, int):
        idx = order[(slice(None),) * d + (slice(pos, pos + 1),)]
    else:
        idx = xp.take_along_axis(order, xp.expand_dims(pos, d), d)
    return idx.astype(np.int64)


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``."""
    d = _dim(x, dim, "kthvalue")
    n = x.array.shape[d] if x.array.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: k={k} is out of range for dimension {d} of size {n}")
    return _select(x, d, k - 1, keepdim, KthvalueResult)


def _median(x: Tensor, dim, keepdim: bool, ignore_nan: bool, op: str):
    if x.array.size == 0:
        raise RuntimeError(f"{op}: the input is empty (shape {tuple(x.shape)})")
    if dim is None:
        flat = reshape(x, -1)
        return _median(flat, 0, False, ignore_nan, op).values
    d = _dim(x, dim, op)
    n = x.array.shape[d] if x.array.ndim else 1
    pos = _median_pos(x.device.backend.xp, x.array, d, ignore_nan) if x.array.ndim else \
        (n - 1) // 2
    return _select(x, d, pos, keepdim, MedianResult)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _median_pos(xp, a, d: int, ignore_nan: bool):
    """The sorted position (int64, one per slice along ``d``) of the median of ``a``."""
    n = a.shape[d]
    if a.dtype.kind == "f":
        nans = xp.isnan(a).sum(axis=d)
        valid = n - nans
        # NaN sorts last: median propagates it (first NaN), nanmedian skips it
        pos = xp.where(nans > 0, valid, (n - 1) // 2) if not ignore_nan else \
            xp.maximum(valid - 1, 0) // 2
    else:
        pos = xp.full(a.shape[:d] + a.shape[d + 1:], (n - 1) // 2)
    return xp.asarray(pos.astype(np.int64))


def median(x: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median: of all elements (a 0-d tensor) when ``dim`` is None, else
    ``(values, indices)`` along ``dim``. NaN propagates."""
    return _median(x, dim, keepdim, False, "median")


def nanmedian(x: Tensor, dim: int | None = None, keepdim: bool = False):
    """``median`` ignoring NaN (NaN only where a slice is all NaN)."""
    return _median(x, dim, keepdim, True, "nanmedian")


def mode(x: Tensor, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest one
    on ties) and the position of its last occurrence, as PyTorch on the CPU."""
    d = _dim(x, dim, "mode")
    backend = x.device.backend
    if x.array.ndim == 0:
        return ModeResult(x, _wrap(backend.xp.zeros((), np.int64), x.device))
    idx = _wrap(_mode_index(backend, x.array, d), x.device)
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), squeeze(idx, d)
    return ModeResult(values, idx)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _mode_index(backend, x, d: int):
    """The int64 position along ``d`` (kept as 1) of the last occurrence of the most
    frequent value of ``x`` (the smallest on ties)."""
    a = np.moveaxis(backend.to_host(x), d, -1)  # index bookkeeping on the host
    lead, n = a.shape[:-1], a.shape[-1]
    rows = a.reshape(-1, n)
    order = np.argsort(rows, axis=1, kind="stable")
    s = np.take_along_axis(rows, order, 1)
    new_run = np.ones(s.shape, bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]
    start = np.maximum.accumulate(np.where(new_run, np.arange(n), 0), axis=1)
    length = np.arange(n) - start + 1  # length of the run so far at each position
    # the longest run ends where length peaks; argmax takes the first (smallest value)
    end = np.argmax(length, axis=1)
    idx = order[np.arange(rows.shape[0]), end]  # last occurrence: stable order
    idx = np.moveaxis(idx.reshape(lead + (1,)), -1, d)
    return backend.asarray(idx.astype(np.int64))

