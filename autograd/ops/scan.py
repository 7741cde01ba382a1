"""Cumulative ops along a dimension: ``cumsum cumprod cummax cummin logcumsumexp``."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import dtypes
from ..graph import Function
from ..recording import is_compile_recording, replayable
from ..tensor import Tensor, _wrap
from ._util import normalize_dim
from .arithmetic import exp, log, where
from .gather import gather
from .layout import flip

CumResult = namedtuple("cummax", ["values", "indices"])


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return ctx.device.backend.xp.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):  # each input reaches every later output: a reversed cumsum
        return flip(Cumsum.apply(flip(g, ctx.axis), ctx.axis), ctx.axis), None


class Cumprod(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = ctx.device.backend.xp.cumprod(x, axis=axis)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        d = ctx.axis
        # while ag.compile records, the path that holds for any values (a replay cannot
        # branch on whether the next inputs have zeros)
        if not is_compile_recording() and not bool((x.array == 0).any()):
            # d out_j / d x_i = out_j / x_i for j >= i: a reversed cumsum of g * out
            return _rev_cumsum(g * out, d) / x, None
        # with zeros, out / x is 0 / 0: take each x_i out of the product (set it to 1)
        # and sum g_j * prod_{k <= j, k != i} x_k over j >= i; O(n^2), only then
        n = x.shape[d]
        xp = ctx.device.backend.xp
        pos = xp.arange(n).reshape((n,) + (1,) * (x.ndim - d - 1))
        parts = []
        for i in range(n):
            without = where(_wrap(pos == i, x.device), 1.0, x)
            after = _wrap(pos >= i, x.device)
            total = (g * where(after, Cumprod.apply(without, d), 0.0)).sum(d, keepdim=True)
            parts.append(total)
        from .shape import cat

        return cat(parts, d), None


def _rev_cumsum(t: Tensor, d: int) -> Tensor:
    return flip(Cumsum.apply(flip(t, d), d), d)


def _axis(x: Tensor, dim, op) -> int:
    return normalize_dim(dim, x.array.ndim, op) if x.array.ndim else 0


def _cast(x: Tensor, dtype) -> Tensor:
    if dtype is not None:
        return x.to(dtype)
    if x.array.dtype.kind in "bui" and x.array.dtype != dtypes.int64:
        return x.to(dtypes.int64)  # integers accumulate in int64, as PyTorch
    return x


def cumsum(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; integer inputs accumulate in int64."""
    x = _cast(x, dtype)
    if x.array.ndim == 0:
        return x
    return Cumsum.apply(x, _axis(x, dim, "cumsum"))


def cumprod(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; integer inputs accumulate in int64."""
    x = _cast(x, dtype)
    if x.array.ndim == 0:
        return x
    return Cumprod.apply(x, _axis(x, dim, "cumprod"))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _running_index(backend, data, axis, is_max):
    """Index of the running max (min) along ``axis``: the latest position whose value
    ties it; once a NaN is seen, the latest NaN, as PyTorch. On the host for CuPy
    (which has no ``ufunc.accumulate``)."""
    a = backend.to_host(data) if backend.xp is not np else data
    run = (np.maximum if is_max else np.minimum).accumulate(a, axis=axis)  # NaN sticks
    n = a.shape[axis]
    pos = np.arange(n).reshape((n,) + (1,) * (a.ndim - axis - 1))
    hit = a == run
    if a.dtype.kind == "f":
        hit |= np.isnan(a)
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=axis).astype(np.int64)
    return backend.asarray(idx)


def _cumextreme(x: Tensor, dim, is_max, op):
    if x.array.ndim == 0:
        return CumResult(x, _wrap(x.device.backend.xp.zeros((), np.int64), x.device))
    d = _axis(x, dim, op)
    idx = _wrap(_running_index(x.device.backend, x.array, d, is_max), x.device)
    return CumResult(gather(x, d, idx), idx)


def cummax(x: Tensor, dim: int):
    """``(values, indices)``: the running maximum along ``dim`` and where it was found."""
    return _cumextreme(x, dim, True, "cummax")


def cummin(x: Tensor, dim: int):
    """``(values, indices)``: the running minimum along ``dim`` and where it was found."""
    return _cumextreme(x, dim, False, "cummin")


def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, computed stably."""
    if x.array.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    if x.array.ndim == 0:
        return x
    d = _axis(x, dim, "logcumsumexp")
    if x.array.size == 0:
        return x.clone()
    # shifting by the (constant) maximum changes nothing in the exact result
    m = x.detach().amax(d, keepdim=True)
    m = where(m.isfinite(), m, 0.0)
    return log(cumsum(exp(x - m), d)) + m


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None,
                         dim: int = -1) -> Tensor:
    """Running trapezoid-rule integral along ``dim`` (one element shorter than ``y``):
    spacing ``dx`` (1 by default) or sample points ``x`` (1-D, or ``y``'s shape)."""
    from .stats import diff

    d = normalize_dim(dim, y.array.ndim, "cumulative_trapezoid")
    m = y.array.shape[d]
    pre = (slice(None),) * d
    avg = (y[pre + (slice(1, m),)] + y[pre + (slice(0, max(m - 1, 0)),)]) * 0.5
    if x is None:
        pieces = avg * (1.0 if dx is None else dx)
    else:
        spacing = diff(x, dim=-1 if x.array.ndim == 1 else d)
        if x.array.ndim == 1:
            spacing = spacing.reshape(tuple(max(m - 1, 0) if i == d else 1
                                            for i in range(y.array.ndim)))
        pieces = avg * spacing
    return cumsum(pieces, d)
