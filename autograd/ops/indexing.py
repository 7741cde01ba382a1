"""Indexing: basic slicing and integer/boolean array indexing.

The backward of ``x[key]`` scatters the gradient into zeros with the backend's
``add_at`` kernel, so repeated integer indices accumulate (``+=`` would drop them).
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import STATE
from ..graph import Function
from ..tensor import Tensor


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x.shape, key
        return x[key]

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


def _ints_first(key):
    """PyTorch's layout for a key that mixes integer and array indices: the integers
    select first, then the arrays index what is left, so ``x[0, :, [1, 2]]`` of a
    (2, 3, 4) tensor is (3, 2) (NumPy counts the 0 as an array index separated from
    [1, 2] by the slice, moves the result's array dimension first and gives (2, 3)).
    Returns ``(select_key, array_key)`` to apply one after the other, or None."""
    if not isinstance(key, tuple):
        return None
    ints = [_is_int_index(k) for k in key]
    if not any(ints) or not any(getattr(k, "ndim", 0) >= 1 for k in key):
        return None
    first, rest = [], []
    for k, is_int in zip(key, ints):
        if is_int:
            first.append(k)
        elif k is None:
            rest.append(k)
        elif k is Ellipsis:
            first.append(k)
            rest.append(k)
        else:  # a slice or an array: keeps its dims in the first step (a mask, all of them)
            mask = getattr(getattr(k, "dtype", None), "kind", "") == "b"
            first.extend([slice(None)] * (k.ndim if mask else 1))
            rest.append(k)
    return tuple(first), tuple(rest)


def _is_int_index(k) -> bool:
    if isinstance(k, bool | np.bool_):
        return False
    if isinstance(k, int | np.integer):
        return True
    return getattr(k, "ndim", None) == 0 and getattr(k, "dtype", None) is not None \
        and k.dtype.kind in "iu"


def getitem(x: Tensor, key) -> Tensor:
    """``x[key]`` for ints, slices, None, Ellipsis, bool masks and integer arrays, with
    PyTorch's result layout when integers and arrays mix."""
    key = _normalize_key(x, key)
    split = _ints_first(key)
    if split is not None:
        return getitem(getitem(x, split[0]), split[1])
    try:
        if x.requires_grad:
            return GetItem.apply(x, key)
        from ..tensor import _wrap

        out = x.data[key]
        if isinstance(out, np.generic):
            out = np.asarray(out)
        return _wrap(out, x.device)
    except IndexError as exc:
        raise IndexError(f"getitem: {exc} (tensor shape {tuple(x.data.shape)})") from None


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place, allowed on tensors that are not part of a graph."""
    if x.requires_grad and STATE.enabled:
        raise RuntimeError(
            "setitem: in-place assignment to a tensor that requires grad would corrupt the "
            "graph; assign under ag.no_grad() to a leaf's .data, or build a new tensor "
            "(ag.where, ag.cat)"
        )
    key = _normalize_key(x, key)
    x.data[key] = value.data if isinstance(value, Tensor) else value
