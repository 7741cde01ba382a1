"""Gathering and scattering along a dimension: ``gather scatter scatter_add
scatter_reduce index_select index_add take take_along_dim masked_select masked_scatter``.

Every op here turns its index into an indexing key (one integer array per dimension)
and reuses the graph's two indexing primitives, ``x[key]`` (GetItem) and its adjoint
``zeros.at[key].add(g)`` (IndexAddInto, repeats accumulate), so the gradients are
those of indexing. Only overwriting and max/min/prod reductions need Functions.
"""

from __future__ import annotations

import numpy as np

from ..graph import Function
from ..recording import is_compile_recording, replayable
from ..tensor import Tensor, _wrap
from ._util import expand, normalize_dim
from .arithmetic import where
from .elementwise import floor_divide
from .indexing import IndexAddInto, getitem
from .shape import reshape


def _check_index(index: Tensor, op: str, size: int | None = None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be an integer Tensor, got {type(index).__name__}")
    if index.array.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {index.dtype}")
    if size is not None:
        _check_range(index, size, op)


@replayable  # ag.compile: checked again on the replay's index (NumPy may wrap or clip)
def _check_range(index: Tensor, size: int, op: str) -> None:
    if index.array.size:
        lo, hi = int(index.array.min()), int(index.array.max())
        if lo < -size or hi >= size:
            raise IndexError(f"{op}: index values span [{lo}, {hi}], out of range for a "
                             f"dimension of size {size}")


def _along_key(x: Tensor, dim, index: Tensor, op: str):
    """The key ``k`` with ``x[k][i, j, ...] = x[i, .., index[i, j, ...], .., ]`` (the
    index replacing coordinate ``dim``), after PyTorch's shape checks."""
    _check_index(index, op)  # a Tensor of integers, before its device is read
    nd = x.array.ndim
    d = normalize_dim(dim, nd, op) if nd else 0
    if index.device is not x.device:
        raise RuntimeError(f"{op}: index is on {index.device} but the input is on {x.device}")
    if index.array.ndim != max(nd, 1) if nd else index.array.ndim > 1:
        raise RuntimeError(f"{op}: index has {index.array.ndim} dimensions, the input "
                           f"{nd}; they must match")
    if nd == 0:
        _check_index(index, op, 1)
        return d, (index.array.reshape(()) if index.array.ndim else index.array)
    for i, (n, m) in enumerate(zip(index.array.shape, x.array.shape)):
        if i != d and n > m:
            raise RuntimeError(f"{op}: index shape {tuple(index.shape)} exceeds the input "
                               f"shape {tuple(x.shape)} in dimension {i}")
    _check_index(index, op, x.array.shape[d])
    xp = x.device.backend.xp
    key = []
    for i, n in enumerate(index.array.shape):
        if i == d:
            key.append(index.array)
        else:
            view = [1] * nd
            view[i] = n
            key.append(xp.arange(n).reshape(view))
    return d, tuple(key)


def _fit(src: Tensor, index: Tensor, op: str) -> Tensor:
    """``src`` cut to ``index``'s shape (PyTorch reads only that corner of ``src``)."""
    if src.array.shape == index.array.shape:
        return src
    if src.array.ndim != index.array.ndim or any(
            s < i for s, i in zip(src.array.shape, index.array.shape)):
        raise RuntimeError(f"{op}: src of shape {tuple(src.shape)} is smaller than index of "
                           f"shape {tuple(index.shape)}")
    return getitem(src, tuple(slice(0, n) for n in index.array.shape))


def gather(x: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = x[index[i][j]][j]`` (for ``dim=0``); ``out`` has ``index``'s shape."""
    _, key = _along_key(x, dim, index, "gather")
    return getitem(x, key)


def take_along_dim(x: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with ``x`` and ``indices`` broadcast against each other (except along
    ``dim``); with ``dim=None`` both are flattened."""
    if dim is None:
        return take(x, reshape(indices, -1))
    nd = x.array.ndim
    d = normalize_dim(dim, nd, "take_along_dim")
    if indices.array.ndim != nd:
        raise RuntimeError(f"take_along_dim: indices has {indices.array.ndim} dimensions, the "
                           f"input {nd}")
    shape = np.broadcast_shapes(tuple(n for i, n in enumerate(x.array.shape) if i != d),
                                tuple(n for i, n in enumerate(indices.array.shape) if i != d))
    xs = shape[:d] + (x.array.shape[d],) + shape[d:]
    ishape = shape[:d] + (indices.array.shape[d],) + shape[d:]
    xb = expand(x, xs)
    ib = expand(indices, ishape)
    return gather(xb, d, ib)


def take(x: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``x`` at ``index``; the result has ``index``'s shape."""
    _check_index(index, "take", x.array.size)
    return getitem(reshape(x, -1), index.array)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``x`` along ``dim`` at the positions of the 1-D ``index``."""
    d = normalize_dim(dim, max(x.array.ndim, 1), "index_select")
    if index.array.ndim > 1:
        raise RuntimeError(f"index_select: index must be 0-D or 1-D, got shape "
                           f"{tuple(index.shape)}")
    _check_index(index, "index_select", x.array.shape[d] if x.array.ndim else 1)
    if x.array.ndim == 0 and index.array.size != 1:
        raise RuntimeError(f"index_select: an index into a 0-d tensor can have only 1 "
                           f"value, got {index.array.size}")
    if x.array.ndim == 0:
        return getitem(reshape(x, 1), index.array.reshape(-1)).reshape(())
    return getitem(x, (slice(None),) * d + (index.array.reshape(-1),))


def index_add(x: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``x`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim``;
    repeated indices accumulate."""
    d = normalize_dim(dim, max(x.array.ndim, 1), "index_add")
    _check_index(index, "index_add", x.array.shape[d] if x.array.ndim else 1)
    expected = x.array.shape[:d] + (index.array.size,) + x.array.shape[d + 1:]
    if source.array.shape != expected and x.array.ndim:
        raise RuntimeError(f"index_add: source has shape {tuple(source.shape)}, expected "
                           f"{expected} for input {tuple(x.shape)} and {index.array.size} "
                           "indices")
    key = (slice(None),) * d + (index.array.reshape(-1),)
    return x + _add_into(source * alpha if alpha != 1 else source, key, x)


def _add_into(src: Tensor, key, like: Tensor) -> Tensor:
    """Zeros of ``like``'s shape with ``src`` added at ``key`` (repeats accumulate)."""
    if src.array.dtype != like.array.dtype:
        src = src.to(like.array.dtype)
    if src.array.dtype.kind == "f":
        return IndexAddInto.apply(src, key, like.array.shape)
    backend = like.device.backend
    out = backend.xp.zeros(like.array.shape, like.array.dtype)
    np.add.at(out, key, src.array) if backend.xp is np else backend.add_at(out, key, src.array)
    return _wrap(out, like.device)


class Scatter(Function):
    """``x`` with ``src`` (an array of the key's shape, or a number) written at ``key``."""

    @staticmethod
    def forward(ctx, x, src, key):
        ctx.key = key
        out = x.copy()
        out[key] = src
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad[:2]
        gx = Scatter.apply(g, 0.0, ctx.key) if need_x else None
        gsrc = getitem(g, ctx.key) if need_src else None
        return gx, gsrc, None


class IndexPut(Scatter):
    """``x[key] = src`` with an integer-array or mask key: Scatter under PyTorch's node
    name (``IndexPutBackward``), so a graph reads as PyTorch's does."""


def scatter(x: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """``x`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (for ``dim=0``); ``src``
    may be a number (``value``). ``reduce="add"`` or ``"multiply"`` combine instead."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: expected src or value")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if not isinstance(src, Tensor):
            src = _wrap(x.device.backend.xp.full(index.array.shape, src, x.array.dtype),
                        x.device)
        return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")
    _, key = _along_key(x, dim, index, "scatter")
    if isinstance(src, Tensor):
        src = _fit(src, index, "scatter")
        if src.array.dtype != x.array.dtype:
            src = src.to(x.array.dtype)
        return Scatter.apply(x, src, key)
    return Scatter.apply(x, src.item() if isinstance(src, np.generic) else src, key)


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``x`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (for ``dim=0``); repeated
    indices accumulate."""
    _, key = _along_key(x, dim, index, "scatter_add")
    return x + _add_into(_fit(src, index, "scatter_add"), key, x)


_IDENTITY = {"amax": -np.inf, "amin": np.inf, "prod": 1}
_UFUNC = {"amax": "maximum", "amin": "minimum", "prod": "multiply"}


class ScatterReduce(Function):
    """``amax``/``amin``/``prod`` of ``x`` (if ``include_self``) and the ``src`` values
    sent to each position. Positions no index reaches keep ``x``."""

    @staticmethod
    def forward(ctx, x, src, key, reduce, include_self):
        backend = ctx.device.backend
        xp = backend.xp
        out = x.copy()
        if not include_self:
            ident = _IDENTITY[reduce]
            if out.dtype.kind != "f" and reduce != "prod":
                info = np.iinfo(out.dtype) if out.dtype.kind in "iu" else None
                ident = (info.min if reduce == "amax" else info.max) if info else ident
            out[key] = ident
        backend.reduce_at(_UFUNC[reduce], out, key, src)
        ctx.key, ctx.reduce, ctx.include_self = key, reduce, include_self
        self_in = xp.ones(x.shape, bool)
        if not include_self:
            self_in[key] = False
        ctx.self_in = self_in
        if reduce == "prod":
            ctx.save_for_backward(x, src, out)
            return out
        if x.dtype.kind != "f":
            return out  # integer results carry no gradient
        # max/min: every element equal to the result shares its gradient evenly
        x_hit = (x == out) & self_in
        src_hit = src == out[key]
        count = x_hit.astype(x.dtype)
        backend.add_at(count, key, src_hit.astype(x.dtype))
        count = xp.where(count == 0, 1, count)
        ctx.save_for_backward((x_hit / count).astype(x.dtype),
                              (src_hit / count[key]).astype(x.dtype))
        return out

    @staticmethod
    def backward(ctx, g):
        nx, nsrc = ctx.needs_input_grad[:2]
        if ctx.reduce != "prod":
            wx, wsrc = ctx.saved_tensors  # constant weights: the second derivative is 0
            return ((g * wx if nx else None), (getitem(g, ctx.key) * wsrc if nsrc else None),
                    None, None, None)
        x, src, out = ctx.saved_tensors
        self_in = _wrap(ctx.self_in, ctx.device)
        if not is_compile_recording() and not bool((src.array == 0).any()) and \
                not bool(((x.array == 0) & ctx.self_in).any()):  # (any values while recording)
            # no zeros: d out / d v = out / v, in Tensor ops (twice differentiable)
            gx = where(self_in, g * out / x, 0.0) if nx else None
            gsrc = getitem(g * out, ctx.key) / src if nsrc else None
            return gx, gsrc, None, None, None
        # with zeros: the product of the others in each group, computed directly
        ox, osrc = _prod_of_others(ctx.device.backend, x.array, src.array, ctx.self_in,
                                   ctx.key)
        gx = g * _wrap(ox, ctx.device) if nx else None
        gsrc = getitem(g, ctx.key) * _wrap(osrc, ctx.device) if nsrc else None
        return gx, gsrc, None, None, None


@replayable  # array code on the values: ag.compile calls it again on replay
def _prod_of_others(backend, xd, sd, self_in, key):
    """For ``scatter_reduce(prod)``'s gradient: each value's product of the others in
    its group (x's values where ``self_in``, and the sources sent by ``key``), right when
    a group holds zeros (one zero: only the zero gets the others' product)."""
    xp = backend.xp
    xv = xp.where(self_in, xd, 1)
    zeros = (xv == 0).astype(np.int64)
    backend.add_at(zeros, key, (sd == 0).astype(np.int64))
    nz = xp.where(xv == 0, 1, xv).astype(xd.dtype)
    backend.reduce_at("multiply", nz, key, xp.where(sd == 0, 1, sd).astype(xd.dtype))

    def others(v, z, p):
        return xp.where(z == 0, p / xp.where(v == 0, 1, v),
                        xp.where((z == 1) & (v == 0), p, 0)).astype(xd.dtype)

    return xp.where(self_in, others(xd, zeros, nz), 0), others(sd, zeros[key], nz[key])


def scatter_reduce(x: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce the ``src`` values sent to each position (as ``scatter``) with ``x``'s own
    value (unless ``include_self=False``): ``reduce`` is ``"sum" "prod" "mean" "amax"
    "amin"``. Positions no index reaches keep ``x``."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise ValueError(f"scatter_reduce: reduce must be one of sum, prod, mean, amax, amin; "
                         f"got {reduce!r}")
    _, key = _along_key(x, dim, index, "scatter_reduce")
    return _reduce_into(x, key, _fit(src, index, "scatter_reduce"), reduce, include_self)


def _reduce_into(x: Tensor, key, src: Tensor, reduce: str, include_self: bool) -> Tensor:
    """``x`` with the values of ``src`` (of ``x[key]``'s shape) reduced into ``key``."""
    if src.array.dtype != x.array.dtype:
        src = src.to(x.array.dtype)
    if reduce in ("sum", "mean"):
        base = x if include_self else Scatter.apply(x, 0, key)
        total = base + _add_into(src, key, x)
        if reduce == "sum":
            return total
        count = _wrap(_scatter_count(x.device.backend, x.array.shape, key, src.array.shape,
                                     include_self), x.device)
        if x.array.dtype.kind == "f":
            return total / count.to(x.array.dtype)
        return floor_divide(total, count).to(x.array.dtype)
    return ScatterReduce.apply(x, src, key, reduce, include_self)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _scatter_count(backend, shape, key, src_shape, include_self: bool):
    """How many values a scatter of ``src_shape`` values into ``key`` of an array of
    ``shape`` puts in each place (int64; 1 where none, or one more with ``include_self``)."""
    xp = backend.xp
    count = xp.zeros(shape, np.int64)
    ones = xp.ones(src_shape, np.int64)
    np.add.at(count, key, ones) if xp is np else backend.add_at(count, key, ones)
    return count + 1 if include_self else xp.where(count == 0, 1, count)


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``x`` where ``mask`` (broadcast with ``x``) is True, as 1-D."""
    if mask.array.dtype.kind != "b":
        raise TypeError(f"masked_select: mask must be a bool tensor, got {mask.dtype}")
    shape = np.broadcast_shapes(x.array.shape, mask.array.shape)
    # the mask broadcast as a Tensor op (not on its array): ag.compile records where it
    # comes from, instead of taking it for a constant
    return getitem(expand(x, shape), expand(mask, shape))


def masked_scatter(x: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``x`` with the positions where ``mask`` is True filled, in row-major order, by the
    leading elements of ``source``."""
    if mask.array.dtype.kind != "b":
        raise TypeError(f"masked_scatter: mask must be a bool tensor, got {mask.dtype}")
    key = _mask_positions(mask, x.array.shape)
    count = int(key[0].size) if key else int(mask.array.any())
    if source.array.size < count:
        raise RuntimeError(f"masked_scatter: mask selects {count} elements but source has "
                           f"only {source.array.size}")
    vals = getitem(reshape(source, -1), slice(0, count))
    if vals.array.dtype != x.array.dtype:
        vals = vals.to(x.array.dtype)
    return Scatter.apply(x, vals, key)


@replayable(sized_by_values=True)  # ag.compile: found again on replay, their number checked
def _mask_positions(mask: Tensor, shape) -> tuple:
    """The positions where ``mask``, broadcast to ``shape``, is True (``nonzero``'s key)."""
    xp = mask.device.backend.xp
    return xp.nonzero(xp.broadcast_to(mask.array, shape))


# --- index_* and *_scatter: the same two primitives with other keys ----------------------


def _dim_key(x: Tensor, dim, index: Tensor, op: str):
    """``(d, key)``: the key selecting the slices ``index`` (1-D) along ``dim``."""
    d = normalize_dim(dim, max(x.array.ndim, 1), op)
    if index.array.ndim > 1:
        raise RuntimeError(f"{op}: index must be 0-D or 1-D, got shape {tuple(index.shape)}")
    _check_index(index, op, x.array.shape[d] if x.array.ndim else 1)
    return d, (slice(None),) * d + (index.array.reshape(-1),)


def _values_for(x: Tensor, key, values, op: str) -> Tensor | float:
    """``values`` (a tensor broadcast to ``x[key]``'s shape, or a number) in ``x``'s dtype."""
    if not isinstance(values, Tensor):
        return values.item() if isinstance(values, np.generic) else values
    shape = x.array[key].shape
    try:
        np.broadcast_shapes(values.array.shape, shape)
    except ValueError:
        raise RuntimeError(f"{op}: values of shape {tuple(values.shape)} do not broadcast to "
                           f"the indexed shape {shape}") from None
    if values.array.dtype != x.array.dtype:
        values = values.to(x.array.dtype)
    return expand(values, shape) if len(values.array.shape) <= len(shape) else values


def index_copy(x: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``x`` with the slices ``index`` along ``dim`` replaced by those of ``source``."""
    _, key = _dim_key(x, dim, index, "index_copy")
    if source.array.shape != x.array[key].shape:
        raise RuntimeError(f"index_copy: source has shape {tuple(source.shape)}, expected "
                           f"{x.array[key].shape}")
    return Scatter.apply(x, _values_for(x, key, source, "index_copy"), key)


def index_fill(x: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``x`` with the slices ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, which then gets the gradient of every filled element)."""
    _, key = _dim_key(x, dim, index, "index_fill")
    if isinstance(value, Tensor) and value.array.ndim:
        raise RuntimeError(f"index_fill: value must be a number or a 0-d tensor, got shape "
                           f"{tuple(value.shape)}")
    return Scatter.apply(x, _values_for(x, key, value, "index_fill"), key)


def index_put(x: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """``x`` with ``x[indices] = values`` (or ``+=`` with ``accumulate``, where repeated
    indices add up); ``indices`` is a tuple of index tensors."""
    key = tuple(i.array if isinstance(i, Tensor) else i for i in indices)
    if len(key) == 1:
        key = key[0]
    vals = _values_for(x, key, values, "index_put")
    if accumulate:
        if not isinstance(vals, Tensor):
            vals = _wrap(x.device.backend.xp.full(x.array[key].shape, vals, x.array.dtype),
                         x.device)
        return x + _add_into(vals, key, x)
    return Scatter.apply(x, vals, key)


def put(x: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``index_put`` on the flattened ``x`` (``source`` has ``index``'s size)."""
    _check_index(index, "put", x.array.size)
    flat = index_put(reshape(x, -1), (index.array.reshape(-1),), reshape(source, -1),
                     accumulate)
    return reshape(flat, x.array.shape)


def index_reduce(x: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """Reduce the slices of ``source`` into the slices ``index`` of ``x`` along ``dim``:
    ``reduce`` is ``"prod" "mean" "amax" "amin"``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be one of prod, mean, amax, amin; got "
                         f"{reduce!r}")
    _, key = _dim_key(x, dim, index, "index_reduce")
    if source.array.shape != x.array[key].shape:
        raise RuntimeError(f"index_reduce: source has shape {tuple(source.shape)}, expected "
                           f"{x.array[key].shape}")
    return _reduce_into(x, key, source, reduce, include_self)


def select_scatter(x: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``x`` with ``select(x, dim, index)`` replaced by ``src``."""
    d = normalize_dim(dim, x.array.ndim, "select_scatter")
    key = (slice(None),) * d + (int(index),)
    return Scatter.apply(x, _exact(x, key, src, "select_scatter"), key)


def slice_scatter(x: Tensor, src: Tensor, dim: int = 0, start=None, end=None,
                  step: int = 1) -> Tensor:
    """``x`` with ``x[.., start:end:step, ..]`` (along ``dim``) replaced by ``src``."""
    d = normalize_dim(dim, x.array.ndim, "slice_scatter")
    key = (slice(None),) * d + (slice(start, end, step),)
    return Scatter.apply(x, _exact(x, key, src, "slice_scatter"), key)


def diagonal_scatter(x: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """``x`` with ``diagonal(x, offset, dim1, dim2)`` replaced by ``src``."""
    from .layout import _diag_index, movedim

    nd = x.array.ndim
    d1, d2 = normalize_dim(dim1, nd, "diagonal_scatter"), normalize_dim(dim2, nd,
                                                                         "diagonal_scatter")
    y = movedim(x, (d1, d2), (-2, -1))
    rows, cols = _diag_index(x.device.backend.xp, y.array.shape[-2], y.array.shape[-1], offset)
    key = (Ellipsis, rows, cols)
    return movedim(Scatter.apply(y, _exact(y, key, src, "diagonal_scatter"), key), (-2, -1),
                   (d1, d2))


def _exact(x, key, src, op):
    shape = x.array[key].shape
    if src.array.shape != shape:
        raise RuntimeError(f"{op}: src has shape {tuple(src.shape)}, expected {shape}")
    return src if src.array.dtype == x.array.dtype else src.to(x.array.dtype)
