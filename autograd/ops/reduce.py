"""Reductions over ``dim`` (None, an int or a tuple) with ``keepdim``."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..graph import Function
from ..recording import RECORDING, replayable
from ..tensor import Tensor, _wrap
from ._util import kept_shape, normalize_dims
from .arithmetic import Mul, exp, where


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
    if g.array.shape == ctx.in_shape:
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
    """max or min over axes; ties share the gradient equally. ``nan_hits``: a NaN result
    is shared by the NaNs that made it (PyTorch's ``max()``); without it a NaN makes the
    whole reduced group's gradient NaN (PyTorch's ``amax``)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, is_max, nan_hits):
        _setup(ctx, x, axes, keepdim)
        xp = ctx.device.backend.xp
        out = x.max(axis=axes, keepdims=True) if is_max else x.min(axis=axes, keepdims=True)
        hit = x == out
        if nan_hits and x.dtype.kind == "f":
            hit |= xp.isnan(x) & xp.isnan(out)
        with np.errstate(invalid="ignore", divide="ignore"):
            ctx.save_for_backward((hit / hit.sum(axis=axes, keepdims=True)).astype(x.dtype))
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (weight,) = ctx.saved_tensors  # ties share the gradient; constant weights
        return _grad_to_input(g, ctx) * weight, None, None, None, None


class TakeAlong(Function):
    """``x`` at one index per slice along ``axis`` (what ``max(dim)`` returns): the
    gradient goes to that index alone, as PyTorch's, even where values tie."""

    @staticmethod
    def forward(ctx, x, idx, axis, keepdim):
        ctx.in_shape, ctx.idx, ctx.axis, ctx.keepdim = x.shape, idx, axis, keepdim
        xp = ctx.device.backend.xp
        out = xp.take_along_axis(x, xp.expand_dims(idx, axis), axis)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx, g):
        return PutAlong.apply(g, ctx.idx, ctx.axis, ctx.keepdim, ctx.in_shape), None, None, None


class PutAlong(Function):
    """Zeros of ``shape`` with ``g`` placed at one index per slice: TakeAlong's adjoint."""

    @staticmethod
    def forward(ctx, g, idx, axis, keepdim, shape):
        ctx.idx, ctx.axis, ctx.keepdim = idx, axis, keepdim
        xp = ctx.device.backend.xp
        out = xp.zeros(shape, dtype=g.dtype)
        xp.put_along_axis(out, xp.expand_dims(idx, axis),
                          g if keepdim else xp.expand_dims(g, axis), axis)
        return out

    @staticmethod
    def backward(ctx, gg):
        return TakeAlong.apply(gg, ctx.idx, ctx.axis, ctx.keepdim), None, None, None, None


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
        if x.ndim == 0:  # the product of one number is that number (out / x is NaN at NaN)
            return g, None, None
        zeros = int((x.array == 0).sum())
        if zeros > 1 and ctx.axes is None:  # PyTorch's prod(): every product of others
            return _wrap(xp.zeros_like(x.array), ctx.device), None, None  # holds a zero
        if zeros:
            # d prod / d x_i = the product of the others, from exclusive prefix and suffix
            # products (so a NaN elsewhere still propagates, as PyTorch; first order only)
            others = _product_of_others(xp, x.array, ctx.axes)
            return Mul.apply(_grad_to_input(g, ctx), others), None, None
        return _grad_to_input(g * out, ctx) / x, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        _setup(ctx, x, axes, keepdim)
        xp = ctx.device.backend.xp
        if x.size == 0:  # log of an empty sum: -inf over empty dims, empty over kept ones
            m = xp.zeros(ctx.kept, dtype=x.dtype)
        else:
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


def _product_of_others(xp, data, axes):
    """For each element, the product of the other elements of its reduced group."""
    axes = tuple(range(data.ndim)) if axes is None else axes
    perm = [a for a in range(data.ndim) if a not in axes] + list(axes)
    moved = xp.transpose(data, perm)
    flat = moved.reshape(moved.shape[: data.ndim - len(axes)] + (-1,))  # (kept..., K)
    ones = xp.ones_like(flat[..., :1])
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], -1), -1)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], -1), -1),
                    -1)
    inverse = tuple(int(i) for i in np.argsort(perm))  # axes as ints: CuPy takes no arrays
    return xp.transpose((left * right).reshape(moved.shape), inverse)


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
    """Axes to reduce: None for all. ``dim=()`` means all (PyTorch), and a 0-d tensor
    takes ``dim`` 0 or -1 and reduces to itself."""
    if isinstance(dim, tuple | list) and len(dim) == 0:
        dim = None
    axes = normalize_dims(dim, x.array.ndim, op)
    return None if x.array.ndim == 0 else axes


def sum(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims when None). Integer/bool inputs sum to int64."""
    if dtype is not None:
        x = x.to(dtype)
    elif x.array.dtype.kind in "bui" and x.array.dtype != dtypes.int64:
        x = x.to(dtypes.int64)
    return Sum.apply(x, _axes(x, dim, "sum"), keepdim)


def mean(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim``; needs a floating input (as PyTorch)."""
    if dtype is not None:
        x = x.to(dtype)
    if x.array.dtype.kind not in "fc":
        raise TypeError(
            f"mean: expected a floating point or complex input, got {x.array.dtype}; "
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
        _check_nonempty(x, None, op)
        return MaxMin.apply(x, None, False, is_max, True)
    axes = _axes(x, dim, op)
    _check_nonempty(x, axes, op)
    if not isinstance(dim, int):
        return MaxMin.apply(x, axes, keepdim, is_max, True)
    xp = x.device.backend.xp
    if x.array.ndim == 0:  # dim 0 or -1 of a 0-d tensor: the tensor itself, index 0
        return _MinMax(x * 1, _wrap(xp.zeros((), dtype=dtypes.int64), x.device))
    idx, indices = _arg_index(xp, x.array, axes[0], keepdim, is_max)
    return _MinMax(TakeAlong.apply(x, idx, axes[0], keepdim), _wrap(indices, x.device))


@replayable  # ag.compile: the indices are computed again on replay (autograd/recording.py)
def _arg_index(xp, a, axis: int, keepdim: bool, is_max: bool):
    """The position of the first maximum (minimum; the first NaN wins) of ``a`` along
    ``axis`` (an array even when it has no dimension left), and the int64 indices of
    ``max(dim)`` (with ``axis`` kept as 1 when ``keepdim``)."""
    idx = xp.asarray((xp.argmax if is_max else xp.argmin)(a, axis=axis))
    indices = xp.expand_dims(idx, axis) if keepdim else idx
    return idx, xp.asarray(indices, dtype=dtypes.int64)


def _check_nonempty(x: Tensor, axes, op: str) -> None:
    """max/min/amax/amin have no identity: an empty reduced dimension is an error (as
    PyTorch's), while an empty kept dimension gives an empty result."""
    shape = tuple(x.array.shape)
    if x.array.size:
        return
    if axes is None:
        if op.startswith("arg"):  # PyTorch's types: IndexError here, RuntimeError for max
            raise IndexError(f"{op}: the input of shape {shape} is empty; pass dim= to "
                             "reduce over a non-empty dimension")
        raise RuntimeError(f"{op}: the input of shape {shape} is empty and the operation "
                           "has no identity; pass dim= to reduce over a non-empty dimension")
    if any(shape[a] == 0 for a in axes):
        raise IndexError(f"{op}: cannot reduce over dim {axes}, which has size 0 in the "
                         f"input of shape {shape} (the operation has no identity)")


def max(x: Tensor, dim=None, keepdim: bool = False):
    """Largest value; with an int ``dim`` returns ``(values, indices)`` as PyTorch does."""
    return _maxmin(x, dim, keepdim, True)


def min(x: Tensor, dim=None, keepdim: bool = False):
    """Smallest value; with an int ``dim`` returns ``(values, indices)``."""
    return _maxmin(x, dim, keepdim, False)


def amax(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest values over ``dim`` (all dims by default); ties share the gradient."""
    axes = _axes(x, None if dim == () else dim, "amax")
    _check_nonempty(x, axes, "amax")
    return MaxMin.apply(x, axes, keepdim, True, False)


def amin(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest values over ``dim`` (all dims by default); ties share the gradient."""
    axes = _axes(x, None if dim == () else dim, "amin")
    _check_nonempty(x, axes, "amin")
    return MaxMin.apply(x, axes, keepdim, False, False)


def prod(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return Prod.apply(x, _axes(x, dim, "prod"), keepdim)


def logsumexp(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably (finite for |x| ~ 1e4)."""
    if x.array.dtype.kind != "f":
        if x.array.dtype.kind == "c":
            raise TypeError(f"logsumexp: complex tensors are not supported (got {x.dtype})")
        x = x.to(dtypes.get_default_dtype())
    return LogSumExp.apply(x, _axes(x, dim, "logsumexp"), keepdim)


def var(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Variance over ``dim``, unbiased (correction=1) by default as in PyTorch; a bool
    first argument is ``unbiased`` (PyTorch's ``x.var(False)``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return _var(x, dim, unbiased, keepdim, correction, "var")


def _var(x: Tensor, dim, unbiased, keepdim: bool, correction, op: str) -> Tensor:
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _axes(x, dim, op)
    n = x.array.size if axes is None else _prod(x.array.shape[a] for a in axes)
    centered = x - mean(x, axes, keepdim=True)
    squares = sum(centered * centered, axes, keepdim=keepdim)
    denom = n - correction
    if denom > 0:
        return squares / denom
    # PyTorch divides by max(0, n - correction): inf, or NaN where the squares sum to 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return squares / 0.0


class SqrtOfVar(Function):
    """``sqrt`` whose gradient is 0 where the result is 0: a constant row's ``std`` has
    gradient 0 (PyTorch's value), not ``0 * inf = NaN``."""

    @staticmethod
    def forward(ctx, v):
        out = ctx.device.backend.xp.sqrt(v)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        zero = out == 0
        return where(zero, 0.0, g) / (where(zero, 1.0, out) * 2)


def std(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Standard deviation: ``sqrt(var)``; gradient 0 where it is 0."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return SqrtOfVar.apply(_var(x, dim, unbiased, keepdim, correction, "std"))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    rec = RECORDING.rec
    if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
        return rec.step(argmax, (x, dim, keepdim), {})
    return _arg(x, dim, keepdim, True)


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    rec = RECORDING.rec
    if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
        return rec.step(argmin, (x, dim, keepdim), {})
    return _arg(x, dim, keepdim, False)


def _arg(x, dim, keepdim, is_max):
    op = "argmax" if is_max else "argmin"
    xp = x.device.backend.xp
    fn = xp.argmax if is_max else xp.argmin
    axes = None if dim is None else _axes(x, int(dim), op)
    _check_nonempty(x, axes, op)
    if axes is None:
        idx = fn(x.array.reshape(-1))
        idx = xp.asarray(idx).reshape((1,) * x.array.ndim if keepdim and dim is None else ())
    else:
        idx = fn(x.array, axis=axes[0])
        if keepdim:
            idx = xp.expand_dims(idx, axes[0])
    return _wrap(xp.asarray(idx, dtype=dtypes.int64), x.device)
