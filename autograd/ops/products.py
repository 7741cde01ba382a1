"""Named matrix and vector products (``mm bmm mv dot vdot inner outer tensordot
chain_matmul``) and the fused ``beta * input + alpha * product`` forms (``addmm addmv
addbmm baddbmm``). All are ``matmul`` with PyTorch's shape checks, so they share its
gradient."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._util import normalize_dim
from .linalg import matmul
from .shape import permute, reshape


def _need(t: Tensor, nd: int, op: str, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if t.array.ndim != nd:
        raise RuntimeError(f"{op}: {name} must be a {nd}-D tensor, got shape {tuple(t.shape)}")


def _inner_match(a, b, op, da=-1, db=-2):
    if a.array.shape[da] != b.array.shape[db]:
        raise RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({a.array.shape[da]} != {b.array.shape[db]})")
    if a.array.dtype != b.array.dtype:
        raise RuntimeError(f"{op}: expected both operands to have one dtype, got "
                           f"{a.dtype} and {b.dtype}")


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Product of two matrices: ``(n, k) @ (k, m) -> (n, m)``."""
    _need(a, 2, "mm", "self")
    _need(b, 2, "mm", "mat2")
    _inner_match(a, b, "mm")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched product: ``(B, n, k) @ (B, k, m) -> (B, n, m)`` (no broadcasting)."""
    _need(a, 3, "bmm", "self")
    _need(b, 3, "bmm", "mat2")
    if a.array.shape[0] != b.array.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {tuple(a.shape)} and {tuple(b.shape)}")
    _inner_match(a, b, "bmm")
    return matmul(a, b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    """Matrix times vector: ``(n, k) @ (k,) -> (n,)``."""
    _need(a, 2, "mv", "self")
    _need(v, 1, "mv", "vec")
    _inner_match(a, v, "mv", -1, 0)
    return matmul(a, v)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of one size and dtype."""
    _need(a, 1, "dot", "self")
    _need(b, 1, "dot", "tensor")
    _inner_match(a, b, "dot", 0, 0)
    return matmul(a, b)


def vdot(a: Tensor, b: Tensor) -> Tensor:
    """``dot`` with the first argument conjugated (the same for real tensors)."""
    _need(a, 1, "vdot", "self")
    _need(b, 1, "vdot", "other")
    _inner_match(a, b, "vdot", 0, 0)
    if a.array.dtype.kind == "c":
        a = a.conj()
    return matmul(a, b)


def inner(a: Tensor, b: Tensor) -> Tensor:
    """Sum over the last dimensions: ``out[i.., j..] = sum_k a[i.., k] * b[j.., k]``;
    a 0-d operand multiplies."""
    if a.array.ndim == 0 or b.array.ndim == 0:
        return a * b
    return tensordot(a, b, ([-1], [-1]))


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``,
    or the listed pairs ``dims=([a dims], [b dims])``."""
    if isinstance(dims, int):
        if dims < 0 or dims > min(a.array.ndim, b.array.ndim):
            raise RuntimeError(f"tensordot: dims={dims} out of range for shapes "
                               f"{tuple(a.shape)} and {tuple(b.shape)}")
        da = list(range(a.array.ndim - dims, a.array.ndim))
        db = list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        da = [normalize_dim(d, a.array.ndim, "tensordot") for d in da]
        db = [normalize_dim(d, b.array.ndim, "tensordot") for d in db]
    if len(da) != len(db) or any(a.array.shape[i] != b.array.shape[j] for i, j in zip(da, db)):
        raise RuntimeError(f"tensordot: contracted dims {da} of {tuple(a.shape)} and {db} of "
                           f"{tuple(b.shape)} must pair up with equal sizes")
    free_a = [i for i in range(a.array.ndim) if i not in da]
    free_b = [j for j in range(b.array.ndim) if j not in db]
    k = 1
    for i in da:
        k *= a.array.shape[i]
    # (free_a, contracted) @ (contracted, free_b)
    am = reshape(permute(a, free_a + da), (-1, k)) if a.array.ndim else reshape(a, (1, 1))
    bm = reshape(permute(b, db + free_b), (k, -1)) if b.array.ndim else reshape(b, (1, 1))
    out_shape = tuple(a.array.shape[i] for i in free_a) + tuple(b.array.shape[j] for j in free_b)
    return reshape(matmul(am, bm), out_shape)


def chain_matmul(*matrices) -> Tensor:
    """The product of the 2-D matrices in order (``linalg.multi_dot`` for 2-D)."""
    if len(matrices) == 1 and isinstance(matrices[0], list | tuple):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul: expected at least one matrix")
    out = matrices[0]
    _need(out, 2, "chain_matmul", "matrices[0]")
    for i, m in enumerate(matrices[1:], 1):
        _need(m, 2, "chain_matmul", f"matrices[{i}]")
        out = mm(out, m)
    return out


def _fused(x: Tensor, product: Tensor, beta, alpha, op: str) -> Tensor:
    """``beta * x + alpha * product``; with ``beta == 0`` ``x`` is ignored (NaN in it does
    not propagate), as PyTorch."""
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        try:
            np.broadcast_shapes(x.array.shape, scaled.array.shape)
        except ValueError:
            raise RuntimeError(f"{op}: input of shape {tuple(x.shape)} does not broadcast to the "
                               f"product's shape {tuple(scaled.shape)}") from None
        return scaled
    return scaled + (x if beta == 1 else x * beta)


def addmm(x: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * x + alpha * (mat1 @ mat2)``; ``x`` broadcasts to ``(n, m)``."""
    return _fused(x, mm(mat1, mat2), beta, alpha, "addmm")


def addmv(x: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * x + alpha * (mat @ vec)``."""
    return _fused(x, mv(mat, vec), beta, alpha, "addmv")


def addbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * x + alpha * sum_b batch1[b] @ batch2[b]``."""
    return _fused(x, bmm(batch1, batch2).sum(0), beta, alpha, "addbmm")


def baddbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * x + alpha * (batch1 @ batch2)``, batch by batch."""
    return _fused(x, bmm(batch1, batch2), beta, alpha, "baddbmm")


def addr(x: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * x + alpha * outer(vec1, vec2)``."""
    from .layout import outer

    return _fused(x, outer(vec1, vec2), beta, alpha, "addr")
