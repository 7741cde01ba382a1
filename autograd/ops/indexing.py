"""Indexing: basic slicing and integer/boolean array indexing.

The backward of ``x[key]`` scatters the gradient into zeros with the backend's
``add_at`` kernel, so repeated integer indices accumulate (``+=`` would drop them).
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import STATE
from ..graph import Function
from ..recording import RECORDING
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
            if k.device is x.device:
                k = k.array
            elif k.device.type == "cpu":  # CPU indices into a GPU tensor: moved, as PyTorch
                k = xp.asarray(k.array)
            else:
                raise IndexError(
                    f"getitem: index tensor is on {k.device} but the tensor is on {x.device}"
                )
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
    """``x[key]`` for ints, slices, None, Ellipsis, bool masks and integer arrays.
    Basic keys (ints, slices, None, Ellipsis) give views of ``x``, as in PyTorch; when
    integers and arrays mix, the result has PyTorch's layout (see ``_ints_first``)."""
    key = _normalize_key(x, key)
    split = _ints_first(key)
    if split is not None:
        return getitem(getitem(x, split[0]), split[1])
    try:
        # while ag.compile records, the Function, so that the op is recorded
        # (autograd/recording.py); else a tensor that needs no graph is indexed directly
        if x.requires_grad or (x._view is not None and STATE.enabled) or \
                RECORDING.rec is not None:
            out = GetItem.apply(x, key)
        else:
            from ..tensor import _wrap

            out = _wrap(_index(x.array, key), x.device)
    except IndexError as exc:
        raise IndexError(f"getitem: {exc} (tensor shape {tuple(x.array.shape)})") from None
    if _is_basic(key):
        make_view(out, x, getitem, (key,))
    return out


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place (see ``inplace.setitem``)."""
    from .inplace import setitem as _setitem

    _setitem(x, key, value)
