"""softmax and log_softmax, stable for logits of any magnitude."""

from __future__ import annotations

from .. import dtypes
from ..graph import Function
from ..tensor import Tensor
from ._util import normalize_dim
from .arithmetic import exp


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        xp = ctx.device.backend.xp
        if x.size == 0:  # nothing to normalise (the max of an empty dim is undefined)
            ctx.save_for_backward(x)
            return x.copy()
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        xp = ctx.device.backend.xp
        if x.size == 0:
            ctx.save_for_backward(x)
            return x.copy()
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - exp(y) * g.sum(ctx.dim, keepdim=True), None


def _prep(x: Tensor, dim, dtype, op):
    if dtype is not None:
        x = x.to(dtype)
    elif x.array.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    if dim is None:
        raise TypeError(f"{op}: dim must be given (e.g. dim=-1)")
    return x, normalize_dim(dim, x.array.ndim, op)


def softmax(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed with the max subtracted."""
    x, d = _prep(x, dim, dtype, "softmax")
    return Softmax.apply(x, d)


def log_softmax(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """``x - logsumexp(x, dim)``, finite for logits of magnitude 1e4."""
    x, d = _prep(x, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, d)
