"""Indexing: basic slicing and integer/boolean array indexing.

The backward of ``x[key]`` scatters the gradient into zeros with the backend's
``add_at`` kernel, so repeated integer indices accumulate (``+=`` would drop them).
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import STATE
from ..graph import Function
from ..tensor import Tensor
from .views import make_view


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x.shape, key
        return _index(x, key)

    @staticmethod
    def backward(ctx, g):
        return IndexAddInto.apply(g, ctx.key, ctx.in_shape), None


class IndexAddInto(Function):
    """``zeros(shape)`` with ``g`` added at ``key``; the adjoint of ``x[key]``."""

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        backend = ctx.device.backend
        out = backend.xp.zeros(shape, dtype=g.dtype)
        backend.add_at(out, key, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return GetItem.apply(gg, ctx.key), None, None


def _normalize_key(x: Tensor, key):
    """Turn Tensors and lists inside ``key`` into backend arrays and check bounds."""
    xp = x.device.backend.xp
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            if k.device is not x.device:
                raise IndexError(
                    f"getitem: index tensor is on {k.device} but the tensor is on {x.device}"
                )
            k = k.data
        elif isinstance(k, list):
            k = xp.asarray(np.asarray(k))
        elif isinstance(k, np.ndarray) and xp is not np:
            k = xp.asarray(k)
        if hasattr(k, "dtype") and getattr(k, "ndim", 0) >= 0 and not isinstance(k, np.generic):
            if k.dtype.kind == "f":
                raise IndexError(f"getitem: index arrays must be integer or bool, got {k.dtype}")
        out.append(k)
    return tuple(out) if len(out) != 1 else out[0]


def _is_basic(key) -> bool:
    """Whether ``x[key]`` is a view: ints, slices, None and Ellipsis only."""
    for k in key if isinstance(key, tuple) else (key,):
        if k is None or k is Ellipsis or isinstance(k, slice):
            continue
        if isinstance(k, int | np.integer) and not isinstance(k, bool | np.bool_):
            continue
        return False
    return True


def _index(a, key):
    """``a[key]``; a basic key that selects one element gives a 0-d view, not a copy."""
    out = a[key]
    if isinstance(out, np.generic):
        out = a[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
    return out


def getitem(x: Tensor, key) -> Tensor:
    """``x[key]`` for ints, slices, None, Ellipsis, bool masks and integer arrays.
    Basic keys (ints, slices, None, Ellipsis) give views of ``x``, as in PyTorch."""
    key = _normalize_key(x, key)
    try:
        if x.requires_grad or (x._view is not None and STATE.enabled):
            out = GetItem.apply(x, key)
        else:
            from ..tensor import _wrap

            out = _wrap(_index(x.data, key), x.device)
    except IndexError as exc:
        raise IndexError(f"getitem: {exc} (tensor shape {tuple(x.data.shape)})") from None
    if _is_basic(key):
        make_view(out, x, getitem, (key,))
    return out


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place (see ``inplace.setitem``)."""
    from .inplace import setitem as _setitem

    _setitem(x, key, value)
