"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (PyTorch semantics).

Gradients are replaced, never scaled in place: one gradient Tensor may be shared by
several leaves (the engine delivers the same Tensor where an op's gradient is the
identity), so an in-place change would leak into the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd.extend import Tensor, replayable, wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _params(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def _norm_of(arr, xp, norm_type: float) -> float:
    if arr.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(xp.abs(arr).max())
    if norm_type == -math.inf:
        return float(xp.abs(arr).min())
    a = arr.astype(xp.float64, copy=False)
    if norm_type == 2:
        return float(xp.sqrt((a * a).sum()))
    if norm_type == 1:
        return float(xp.abs(a).sum())
    if norm_type == 0:
        return float((a != 0).sum())
    return float((xp.abs(a) ** norm_type).sum() ** (1.0 / norm_type))


def get_total_norm(tensors: Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` seen as one concatenated vector."""
    tensors = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        from autograd import tensor

        return tensor(0.0)
    norms = [_norm_of(t.array, t.device.backend.xp, norm_type) for t in tensors]
    if norm_type == math.inf:
        total = max(norms)
    elif norm_type == -math.inf:
        total = min(norms)
    elif norm_type == 0:
        total = sum(norms)
    else:
        total = sum(n**norm_type for n in norms) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    first = tensors[0]
    xp = first.device.backend.xp
    return wrap(xp.asarray(total, dtype=first.dtype), first.device)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale every gradient by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    params = _params(parameters)
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if coef >= 1.0:
        return
    for p in params:
        g = p.grad
        p.grad = wrap((g.array * coef).astype(g.dtype, copy=False), g.device)


@replayable  # ag.compile: clips again (from the new norm) on replay
def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` so that their joint ``norm_type``-norm
    (``inf`` for the max-norm) is at most ``max_norm``.

    parameters: a Tensor or an iterable of Tensors (those without ``.grad`` are skipped).
    Returns the total norm before clipping, as a 0-d Tensor. With
    ``error_if_nonfinite`` a NaN or infinite norm raises RuntimeError.
    """
    params = _params(parameters)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


@replayable  # ag.compile: clips again on replay
def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient elementwise to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for p in _params(parameters):
        g = p.grad
        xp = g.device.backend.xp
        p.grad = wrap(xp.clip(g.array, -clip_value, clip_value).astype(g.dtype, copy=False),
                       g.device)
