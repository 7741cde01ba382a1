"""Reductions over ``dim`` (None, an int or a tuple) with ``keepdim``."""

from __future__ import annotations

import builtins
from collections import namedtuple

from .. import dtypes
from ..graph import Function
from ..tensor import Tensor, _wrap
from ._util import kept_shape, normalize_dims
from .arithmetic import Mul, exp, sqrt


class ExpandReduced(Function):
    """Broadcast a reduced array (keepdim or not) back over ``shape``: the adjoint of
    ``sum``, so its own backward is a sum over the same axes."""

    @staticmethod
    def forward(ctx, g, kept, shape):
        ctx.g_shape = g.shape
        ctx.axes = tuple(i for i, (k, n) in enumerate(zip(kept, shape)) if k == 1 and n != 1)
        g = g.reshape(kept)
        return g if g.shape == shape else ctx.device.backend.xp.broadcast_to(g, shape)

    @staticmethod
    def backward(ctx, gg):
        return Sum.apply(gg, ctx.axes, True).reshape(ctx.g_shape), None, None


def _grad_to_input(g: Tensor, ctx) -> Tensor:
    """Broadcast a reduced gradient back over the reduced axes of the input."""
    if g.data.shape == ctx.in_shape:
        return g
    return ExpandReduced.apply(g, ctx.kept, ctx.in_shape)


def _setup(ctx, x, axes, keepdim):
    ctx.in_shape = x.shape
    ctx.axes = axes
    ctx.kept = kept_shape(x.shape, axes)
    ctx.keepdim = keepdim


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        _setup(ctx, x, axes, keepdim)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _grad_to_input(g, ctx), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        _setup(ctx, x, axes, keepdim)
        n = x.size // builtins.max(1, _prod(ctx.kept)) if x.size else 0
        ctx.scale = 1.0 / n if n else float("nan")
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _grad_to_input(g * ctx.scale, ctx), None, None


class MaxMin(Function):
    """max or min over axes; ties share the gradient equally."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, is_max):
        _setup(ctx, x, axes, keepdim)
        if x.size == 0:
            raise RuntimeError(f"{'max' if is_max else 'min'}: the input is empty")
        out = x.max(axis=axes, keepdims=True) if is_max else x.min(axis=axes, keepdims=True)
        hit = x == out
        ctx.save_for_backward((hit / hit.sum(axis=axes, keepdims=True)).astype(x.dtype))
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (weight,) = ctx.saved_tensors  # ties share the gradient; constant weights
        return _grad_to_input(g, ctx) * weight, None, None, None


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        _setup(ctx, x, axes, keepdim)
        out = x.prod(axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp = ctx.device.backend.xp
        if bool((x.data == 0).any()):
            # d prod / d x_i = product of the others: with one zero in a group only that
            # element gets a gradient, with two or more none does (first order only)
            data, axes = x.data, ctx.axes
            zero = data == 0
            zeros = zero.sum(axis=axes, keepdims=True)
            nonzero_prod = xp.where(zero, 1, data).prod(axis=axes, keepdims=True)
            others = xp.where(zeros == 0, nonzero_prod / xp.where(zero, 1, data),
                              xp.where((zeros == 1) & zero, nonzero_prod, 0)).astype(data.dtype)
            return Mul.apply(_grad_to_input(g, ctx), others), None, None
        return _grad_to_input(g * out, ctx) / x, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        _setup(ctx, x, axes, keepdim)
        xp = ctx.device.backend.xp
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(_reduced_shape(x.shape, axes))
        ctx.save_for_backward(x, out)  # the returned array, so double backward sees it
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _grad_to_input(g, ctx) * exp(x - _grad_to_input(out, ctx)), None, None


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _prod(shape):
    p = 1
    for n in shape:
        p *= n
    return p


def _axes(x: Tensor, dim, op):
    return normalize_dims(dim, x.data.ndim, op)


def sum(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims when None). Integer/bool inputs sum to int64."""
    if dtype is not None:
        x = x.to(dtype)
    elif x.data.dtype.kind in "bui" and x.data.dtype != dtypes.int64:
        x = x.to(dtypes.int64)
    return Sum.apply(x, _axes(x, dim, "sum"), keepdim)


def mean(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim``; needs a floating input (as PyTorch)."""
    if dtype is not None:
        x = x.to(dtype)
    if x.data.dtype.kind != "f":
        raise TypeError(
            f"mean: expected a floating point input, got {x.data.dtype}; "
            "pass dtype= or call .float() first"
        )
    return Mean.apply(x, _axes(x, dim, "mean"), keepdim)


_MinMax = namedtuple("_MinMax", ["values", "indices"])


def _maxmin(x, dim, keepdim, is_max):
    op = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        from .arithmetic import maximum, minimum

        return maximum(x, dim) if is_max else minimum(x, dim)
    if dim is None:
        return MaxMin.apply(x, None, False, is_max)
    axes = _axes(x, dim, op)
    values = MaxMin.apply(x, axes, keepdim, is_max)
    if isinstance(dim, int):
        xp = x.device.backend.xp
        arg = xp.argmax if is_max else xp.argmin
        idx = arg(x.data, axis=axes[0])
        if keepdim:
            idx = xp.expand_dims(idx, axes[0])
        return _MinMax(values, _wrap(xp.asarray(idx, dtype=dtypes.int64), x.device))
    return values


def max(x: Tensor, dim=None, keepdim: bool = False):
    """Largest value; with an int ``dim`` returns ``(values, indices)`` as PyTorch does."""
    return _maxmin(x, dim, keepdim, True)


def min(x: Tensor, dim=None, keepdim: bool = False):
    """Smallest value; with an int ``dim`` returns ``(values, indices)``."""
    return _maxmin(x, dim, keepdim, False)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return MaxMin.apply(x, _axes(x, dim, "amax"), keepdim, True)


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return MaxMin.apply(x, _axes(x, dim, "amin"), keepdim, False)


def prod(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return Prod.apply(x, _axes(x, dim, "prod"), keepdim)


def logsumexp(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably (finite for |x| ~ 1e4)."""
    if x.data.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    return LogSumExp.apply(x, _axes(x, dim, "logsumexp"), keepdim)


def var(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Variance over ``dim``, unbiased (correction=1) by default as in PyTorch."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _axes(x, dim, "var")
    n = x.data.size if axes is None else _prod(x.data.shape[a] for a in axes)
    centered = x - mean(x, axes, keepdim=True)
    denom = n - correction
    return sum(centered * centered, axes, keepdim=keepdim) / (denom if denom > 0 else float("nan"))


def std(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Standard deviation: ``sqrt(var)``."""
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, True)


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, False)


def _arg(x, dim, keepdim, is_max):
    xp = x.device.backend.xp
    fn = xp.argmax if is_max else xp.argmin
    if dim is None:
        idx = fn(x.data.reshape(-1))
        idx = xp.asarray(idx).reshape((1,) * x.data.ndim if keepdim else ())
    else:
        (axis,) = _axes(x, dim, "argmax" if is_max else "argmin")
        idx = fn(x.data, axis=axis)
        if keepdim:
            idx = xp.expand_dims(idx, axis)
    return _wrap(xp.asarray(idx, dtype=dtypes.int64), x.device)
