"""Helpers shared by the op modules: the one unbroadcast, dims normalisation."""

from __future__ import annotations

import operator

from ..graph import Function
from ..tensor import Tensor


class SumTo(Function):
    """Sum a broadcast gradient back to ``shape``: the one place broadcasting is undone."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
        )
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape) if lead else out

    @staticmethod
    def backward(ctx, g):
        return expand(g, ctx.in_shape), None


class Expand(Function):
    """Broadcast ``x`` to ``shape`` (a view); backward sums back with SumTo."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.device.backend.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to(g, ctx.in_shape), None


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """``g`` summed over the axes along which ``shape`` was broadcast to ``g.shape``."""
    if g.array.shape == shape:
        return g
    return SumTo.apply(g, tuple(shape))


def expand(x: Tensor, shape: tuple) -> Tensor:
    if x.array.shape == tuple(shape):
        return x
    return Expand.apply(x, tuple(shape))


def conj_of(t):
    """``t`` conjugated when it is a complex tensor, else ``t`` itself: the gradient of a
    product of complex tensors uses the conjugate (PyTorch's convention)."""
    if type(t) is Tensor and t.array.dtype.kind == "c":
        from .complex import conj

        return conj(t)
    return t


def shape_of(a) -> tuple:
    t = type(a)
    if t is float or t is int or t is bool:
        return ()
    return a.shape if hasattr(a, "shape") else ()


def normalize_dims(dim, ndim: int, op: str) -> tuple | None:
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor of {ndim} dimension(s)"
            )
        out.append(d % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dims} repeats an axis")
    return tuple(sorted(out))


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    return normalize_dims(int(dim), ndim, op)[0]


def as_size(size, op: str) -> tuple:
    """``size`` given as ints or one tuple/list of ints, as a tuple of ints. Floats and
    bools are refused (PyTorch's TypeError) rather than silently truncated."""
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.array  # a 0-d integer tensor is an int here
        try:
            if isinstance(s, bool) or getattr(getattr(s, "dtype", None), "kind", "") == "b":
                raise TypeError
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(f"{op}: sizes must be ints, got {type(s).__name__} {s!r} in "
                            f"{tuple(size)}") from None
    return tuple(out)


def kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """``shape`` with the reduced ``axes`` set to 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
