"""Dropout: zero elements with probability p and scale the rest by 1 / (1 - p)."""

from __future__ import annotations

from autograd.extend import replayable
from autograd.ops.arithmetic import MulScalar
from autograd.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


class MaskScale(MulScalar):
    """x * mask, with ``mask`` a constant array (already scaled by 1 / (1 - p)): the
    product by a constant, under its own name in graphs and profiles."""


def _check_p(p: float, op: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


@replayable  # ag.compile: a replay draws a fresh mask
def _keep_mask(x: Tensor, shape: tuple, p: float):
    """A {0, 1/(1-p)} array of ``shape`` from ``x``'s backend generator."""
    backend = x.device.backend
    gen = backend.generator
    if p == 1.0:
        return backend.xp.zeros(shape, dtype=x.dtype)
    u = gen.random(shape, dtype=x.dtype if x.dtype.itemsize >= 4 else backend.xp.float32)
    return ((u >= p) * (1.0 / (1.0 - p))).astype(x.dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Each element is zeroed with probability ``p`` and the rest scaled by 1 / (1 - p)
    while ``training``; the identity otherwise (or when p == 0). Shape: any -> same.

    The mask comes from the input's backend generator, so ``ag.manual_seed`` fixes it.
    """
    p = _check_p(p, "dropout")
    if not training or p == 0.0:
        return input
    return MaskScale.apply(input, _keep_mask(input, tuple(input.shape), p))


def _channel_dropout(input: Tensor, p: float, training: bool, spatial: int, op: str) -> Tensor:
    p = _check_p(p, op)
    if not training or p == 0.0:
        return input
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{op}: expected a {spatial + 1}-d (unbatched) or {spatial + 2}-d "
                         f"input, got shape {tuple(input.shape)}")
    # one draw per (batch, channel): whole feature maps are dropped
    shape = tuple(input.shape[:-spatial]) + (1,) * spatial
    return MaskScale.apply(input, _keep_mask(input, shape, p))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, L) or (C, L)."""
    return _channel_dropout(input, p, training, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, H, W) or (C, H, W)."""
    return _channel_dropout(input, p, training, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, D, H, W) or (C, D, H, W)."""
    return _channel_dropout(input, p, training, 3, "dropout3d")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped elements are set to
    -alpha * scale and the result is affinely corrected. Shape: any -> same."""
    p = _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha_p**2)) ** -0.5
    b = -a * alpha_p * p
    keep = (_keep_mask(input, tuple(input.shape), p) != 0).astype(input.dtype)
    return MaskScale.apply(input, keep * a) + ((1 - keep) * (a * alpha_p) + b).astype(
        input.dtype)


# the names these Functions had before they became public (kept for one release)
_MaskScale = MaskScale
