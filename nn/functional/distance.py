"""Norms along a dimension and the distances built on them: ``normalize``,
``cosine_similarity``, ``pairwise_distance``.

All are composed of differentiable Tensor ops. The p-norm is written so that its
gradient at an all-zero vector is 0 (as PyTorch's), not the 0/0 NaN that
``sqrt(sum(x*x))`` would give: the root is taken of ``where(s > 0, s, 1)``.
"""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def _check_tensor(t, name: str, op: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating, got dtype {t.dtype}")


def vector_norm(x: Tensor, p: float, dim, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x`` along ``dim`` (p > 0, or inf); gradient 0 where the norm is 0."""
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p <= 0:
        raise ValueError(f"vector_norm: p must be positive or inf, got {p}")
    s = (x * x).sum(dim, keepdim=keepdim) if p == 2 else (x.abs() ** p).sum(dim, keepdim=keepdim)
    positive = s > 0
    safe = ag.where(positive, s, 1.0)
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return ag.where(positive, root, 0.0)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``, as ``torch.nn.functional.normalize``.

    Any shape; the norm is taken over ``dim`` and broadcast back.
    """
    _check_tensor(input, "input", "normalize")
    if input.ndim == 0:
        raise ValueError("normalize: input must have at least one dimension")
    return input / vector_norm(input, p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``, as
    ``torch.nn.functional.cosine_similarity``. x1 and x2 broadcast; ``dim`` is removed.

    As in PyTorch the eps clamp does not enter the gradient: each norm is divided by
    the constant ``clamp(n, eps) - n`` added to it.
    """
    op = "cosine_similarity"
    _check_tensor(x1, "x1", op)
    _check_tensor(x2, "x2", op)
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ValueError(f"{op}: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} do not "
                         "broadcast") from None
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = vector_norm(x1, 2, dim, keepdim=True)
    n2 = vector_norm(x2, 2, dim, keepdim=True)
    # PyTorch clamps the norms in place under no_grad: the gradient sees the plain norm
    n1 = n1 + (n1.detach().clamp(min=eps) - n1.detach())
    n2 = n2 + (n2.detach().clamp(min=eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension, as
    ``torch.nn.functional.pairwise_distance``: (N, D), (N, D) -> (N,) (or (N, 1))."""
    op = "pairwise_distance"
    _check_tensor(x1, "x1", op)
    _check_tensor(x2, "x2", op)
    if max(x1.ndim, x2.ndim) == 0:
        raise ValueError(f"{op}: inputs must have at least one dimension")
    return vector_norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
