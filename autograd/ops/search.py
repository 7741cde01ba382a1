"""Ops that find, count and bin values; their results are indices or counts, so none
is differentiable: ``nonzero argwhere unique unique_consecutive bincount histc
bucketize searchsorted all any count_nonzero isclose``.

``unique`` and ``unique_consecutive`` (like ``sorting.mode`` and the ``cummax`` indices)
do their bookkeeping with NumPy on the host: on CuPy that is one round trip of the
input, exact and simple, where a GPU version would need a sort-and-segment kernel.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import dtypes
from ..recording import replayable
from ..tensor import Tensor, _wrap
from ._util import normalize_dim, normalize_dims


def _out(x: Tensor, array) -> Tensor:
    return _wrap(x.device.backend.xp.asarray(array), x.device)


@replayable(sized_by_values=True)  # ag.compile: its size is checked on replay
def nonzero(x: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D index tensor per dimension."""
    xp = x.device.backend.xp
    data = x.array if x.array.ndim else x.array.reshape(1)
    idx = xp.nonzero(data)
    if as_tuple:
        return tuple(_out(x, i.astype(np.int64)) for i in idx)
    out = xp.stack(idx, axis=1) if idx else xp.zeros((0, 0), np.int64)
    if x.array.ndim == 0:
        out = out[:, :0]
    return _out(x, out.astype(np.int64))


@replayable(sized_by_values=True)  # ag.compile: its size is checked on replay
def argwhere(x: Tensor) -> Tensor:
    """``nonzero(x)``: the ``(n, ndim)`` indices of the non-zero elements."""
    return nonzero(x)


@replayable(sized_by_values=True)  # ag.compile: its size is checked on replay
def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct values (sorted), and optionally the inverse indices (``x``'s shape,
    into the values) and the counts; a tuple when either is asked for. With ``dim``,
    the distinct slices along ``dim``."""
    backend = x.device.backend
    a = backend.to_host(x.array)
    if dim is None:
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        d = normalize_dim(dim, a.ndim, "unique")
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = _out(x, backend.asarray(vals))
    extra = []
    if return_inverse:
        extra.append(_out(x, backend.asarray(inv.astype(np.int64))))
    if return_counts:
        extra.append(_out(x, backend.asarray(counts.astype(np.int64))))
    return (out, *extra) if extra else out


@replayable(sized_by_values=True)  # ag.compile: its size is checked on replay
def unique_consecutive(x: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse runs of equal consecutive values (or slices along ``dim``) to one;
    optional inverse indices and run lengths, as ``unique``."""
    backend = x.device.backend
    a = backend.to_host(x.array)
    if dim is None:
        flat = a.reshape(-1)
        change = np.ones(flat.shape[0], bool)
        change[1:] = flat[1:] != flat[:-1]
        vals = flat[change]
        inv_shape = a.shape
    else:
        d = normalize_dim(dim, a.ndim, "unique_consecutive")
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        change = np.ones(moved.shape[0], bool)
        change[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        vals = np.compress(change, a, axis=d)
        inv_shape = (a.shape[d],)
    inv = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, change.shape[0]))
    out = _out(x, backend.asarray(vals))
    extra = []
    if return_inverse:
        extra.append(_out(x, backend.asarray(inv.reshape(inv_shape).astype(np.int64))))
    if return_counts:
        extra.append(_out(x, backend.asarray(counts.astype(np.int64))))
    return (out, *extra) if extra else out


@replayable(sized_by_values=True)  # ag.compile: its size is checked on replay
def bincount(x: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Counts of each value of a 1-D non-negative integer tensor (int64), or sums of
    ``weights`` per value (float; float64 unless ``weights`` is float32)."""
    if x.array.ndim != 1 or x.array.dtype.kind not in "iu":
        raise RuntimeError(f"bincount: expected a 1-D integer tensor, got shape "
                           f"{tuple(x.shape)} dtype {x.dtype}")
    xp = x.device.backend.xp
    if x.array.size and int(x.array.min()) < 0:
        raise RuntimeError("bincount: input must be non-negative")
    if weights is None:
        return _out(x, xp.bincount(x.array, minlength=minlength).astype(np.int64))
    if weights.array.shape != x.array.shape:
        raise RuntimeError(f"bincount: weights shape {tuple(weights.shape)} must equal the "
                           f"input shape {tuple(x.shape)}")
    dt = dtypes.float32 if weights.array.dtype == dtypes.float32 else dtypes.float64
    return _out(x, xp.bincount(x.array, weights=weights.array, minlength=minlength).astype(dt))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def histc(x: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both
    are 0); values outside are ignored; the result has ``x``'s float dtype."""
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"histc: expected a floating tensor, got {x.dtype}")
    xp = x.device.backend.xp
    lo, hi = float(min), float(max)
    if lo == hi and x.array.size:
        lo, hi = float(x.array.min()), float(x.array.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max {hi} must be larger than min {lo}")
    counts, _ = xp.histogram(x.array, bins=bins, range=(lo, hi))
    return _out(x, counts.astype(x.array.dtype))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def searchsorted(sorted_sequence: Tensor, values, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter=None) -> Tensor:
    """Insertion positions of ``values`` into the sorted last dimension of
    ``sorted_sequence`` (1-D, or one row per leading index of ``values``)."""
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise RuntimeError(f"searchsorted: side must be 'left' or 'right' and agree with "
                               f"right={right}, got {side!r}")
        right = side == "right"
    seq = sorted_sequence
    xp = seq.device.backend.xp
    v = values.array if isinstance(values, Tensor) else xp.asarray(values)
    s = seq.array
    if sorter is not None:
        s = xp.take_along_axis(s, sorter.array, -1)
    side_ = "right" if right else "left"
    dt = np.int32 if out_int32 else np.int64
    if s.ndim == 1:
        return _out(seq, xp.searchsorted(s, v, side=side_).astype(dt))
    if s.shape[:-1] != v.shape[:-1]:
        raise RuntimeError(f"searchsorted: leading dimensions of sorted_sequence "
                           f"{tuple(s.shape)} and values {tuple(v.shape)} must match")
    rows_s, rows_v = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1])
    out = xp.stack([xp.searchsorted(r, q, side=side_) for r, q in zip(rows_s, rows_v)])
    return _out(seq, out.reshape(v.shape).astype(dt))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def bucketize(x, boundaries: Tensor, *, out_int32: bool = False, right: bool = False):
    """Bucket index of each value of ``x`` for the sorted 1-D ``boundaries``: with
    ``right=False`` the ``i`` with ``boundaries[i-1] < v <= boundaries[i]``."""
    if boundaries.array.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape "
                           f"{tuple(boundaries.shape)}")
    out = searchsorted(boundaries, x, out_int32=out_int32, right=right)
    if not isinstance(x, Tensor):
        return out.reshape(())
    return out


def _truth(x: Tensor, dim, keepdim, op, reducer):
    xp = x.device.backend.xp
    axes = normalize_dims(dim, x.array.ndim, op) if x.array.ndim else None
    out = reducer(xp)(x.array != 0, axis=axes, keepdims=keepdim)
    out = xp.asarray(out)
    if x.array.dtype == np.uint8:  # PyTorch keeps uint8 for uint8 inputs
        out = out.astype(np.uint8)
    return _wrap(out, x.device)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (along ``dim``) is non-zero; a bool tensor."""
    return _truth(x, dim, keepdim, "all", lambda xp: xp.all)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element (along ``dim``) is non-zero; a bool tensor."""
    return _truth(x, dim, keepdim, "any", lambda xp: xp.any)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def count_nonzero(x: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements (along ``dim``), int64."""
    xp = x.device.backend.xp
    axes = normalize_dims(dim, x.array.ndim, "count_nonzero") if x.array.ndim else None
    return _wrap(xp.asarray(xp.count_nonzero(x.array, axis=axes)).astype(np.int64), x.device)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def isclose(a: Tensor, b, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|a - b| <= atol + rtol * |b|`` elementwise (a bool tensor)."""
    xp = a.device.backend.xp
    bd = b.array if isinstance(b, Tensor) else b
    return _wrap(xp.asarray(xp.isclose(a.array, bd, rtol=rtol, atol=atol,
                                       equal_nan=equal_nan)), a.device)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def histogram(x: Tensor, bins=100, *, range=None, weight: Tensor | None = None,
              density: bool = False):
    """``(hist, bin_edges)``: counts (or summed ``weight``) of ``x`` in ``bins`` equal
    bins over ``range`` (the data's by default), or in the bins of the edges ``bins``."""
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"histogram: expected a floating tensor, got {x.dtype}")
    xp = x.device.backend.xp
    edges = bins.array if isinstance(bins, Tensor) else bins
    w = weight.array if weight is not None else None
    hist, out_edges = xp.histogram(x.array.reshape(-1), bins=edges, range=range,
                                   weights=None if w is None else w.reshape(-1),
                                   density=density)
    return _Histogram(_out(x, hist.astype(x.array.dtype)),
                      _out(x, out_edges.astype(x.array.dtype)))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def unravel_index(indices, shape) -> tuple:
    """The coordinates, one int64 tensor per dimension of ``shape``, of the flat
    ``indices`` (negative values count from the end)."""
    idx = indices if isinstance(indices, Tensor) else None
    xp = idx.device.backend.xp if idx is not None else np
    data = idx.array if idx is not None else np.asarray(indices)
    if data.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected integer indices, got {data.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = int(np.prod(shape))
    if data.size and (int(data.min()) < -total or int(data.max()) >= total):
        raise RuntimeError(f"unravel_index: indices out of range for shape {shape}")
    coords = xp.unravel_index(xp.where(data < 0, data + total, data), shape)
    if idx is None:
        from ..tensor import tensor

        return tuple(tensor(c.astype(np.int64)) for c in coords)
    return tuple(_out(idx, c.astype(np.int64)) for c in coords)


_Histogram = namedtuple("histogram", ["hist", "bin_edges"])


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def nonzero_static(x: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """``nonzero(x)`` cut or padded (with ``fill_value`` rows) to exactly ``size`` rows."""
    idx = nonzero(x).array
    xp = x.device.backend.xp
    n = idx.shape[0]
    if n >= size:
        return _out(x, idx[:size])
    pad = xp.full((size - n, idx.shape[1]), fill_value, dtype=np.int64)
    return _out(x, xp.concatenate([idx, pad], axis=0))
