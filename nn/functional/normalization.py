"""Batch, layer, group, instance, RMS and local-response normalisation, composed of
differentiable Tensor ops.

Composing keeps every derivative order exact; each formula touches the full-size input
only a few times (centre, square, scale-and-shift): per-channel factors are folded
into one (C,) vector before they meet the input.
"""

from __future__ import annotations

from autograd import Tensor, no_grad
from autograd.extend import replayable
from autograd.ops import pad, rsqrt

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm",
           "local_response_norm"]


def _check(t, name, shape, op, dtype):
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(t).__name__}")
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{op}: expected {name} of shape {tuple(shape)}, got {tuple(t.shape)}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating, got dtype {t.dtype} (input {dtype})")


def _check_channel_input(input, op: str, min_ndim: int, expected: str, **per_channel) -> int:
    """Check a floating input (N, C, *) of at least ``min_ndim`` dims (``expected``
    describes that shape) and its optional (C,) tensors; returns C."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < min_ndim:
        raise ValueError(f"{op}: expected input of shape {expected}, got "
                         f"{tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    c = input.shape[1]
    for name, t in per_channel.items():
        _check(t, name, (c,), op, input.dtype)
    return c


def _as_shape(normalized_shape) -> tuple[int, ...]:
    """``normalized_shape`` (an int or a sequence of ints) as a tuple of ints."""
    if isinstance(normalized_shape, int):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing_input(input, normalized_shape, op: str, **trailing) -> tuple[int, ...]:
    """Check a floating input (*, *normalized_shape) and its optional tensors of shape
    ``normalized_shape``; returns that shape as a tuple."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    ns = _as_shape(normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise ValueError(f"{op}: normalized_shape {ns} does not match the trailing dimensions "
                         f"of input of shape {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    for name, t in trailing.items():
        _check(t, name, ns, op, input.dtype)
    return ns


def _centre(x: Tensor, axes) -> tuple[Tensor, Tensor, Tensor]:
    """``(mean, x - mean, biased variance)`` over ``axes``, kept as size-1 dims."""
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    return mean, centered, (centered * centered).mean(axes, keepdim=True)


def _affine(out: Tensor, weight, bias, shape) -> Tensor:
    """``out * weight + bias`` with the (C,) tensors (each may be None) seen as ``shape``."""
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over every axis but the channel axis 1, as
    ``torch.nn.functional.batch_norm``.

    input (N, C) or (N, C, *); running_mean, running_var, weight, bias: (C,) or None.
    In training, normalises by the batch mean and biased variance and, when given,
    updates the running statistics in place:
    ``running = (1 - momentum) * running + momentum * batch`` with the *unbiased* batch
    variance for ``running_var``. In evaluation, normalises by the running statistics.
    ``momentum`` may also be a 0-d tensor, read only when the statistics are updated
    (how the BatchNorm modules pass their cumulative average's factor under
    ``ag.compile``).
    """
    op = "batch_norm"
    c = _check_channel_input(input, op, 2, "(N, C) or (N, C, *)", running_mean=running_mean,
                             running_var=running_var, weight=weight, bias=bias)
    shape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // c if c else 0
        if n <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(input.shape)}")
        mean, centered, var = _centre(input, axes)
        _update_running(running_mean, running_var, mean, var, n, momentum)
        scale = rsqrt(var.reshape(c) + eps)
        if weight is not None:
            scale = scale * weight
        out = centered * scale.reshape(shape)
        return out if bias is None else out + bias.reshape(shape)
    if running_mean is None or running_var is None:
        raise ValueError(f"{op}: running_mean and running_var are required when "
                         "training=False")
    scale = rsqrt(running_var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


@replayable  # ag.compile: a replay updates the running statistics again
def _update_running(running_mean, running_var, mean, var, n, momentum):
    """In place, outside the graph: the exponential moving averages of the statistics."""
    if momentum is None:
        raise ValueError("batch_norm: momentum=None (cumulative average) is handled by the "
                         "BatchNorm modules; pass the averaging factor 1/num_batches here")
    if isinstance(momentum, Tensor):  # a factor made in a replayable step (BatchNorm's
        momentum = float(momentum.array)  # cumulative average), read here on each replay
    with no_grad():
        if running_mean is not None:
            rm = running_mean.array
            rm *= 1.0 - momentum
            rm += (momentum * mean.array.reshape(-1)).astype(rm.dtype, copy=False)
        if running_var is not None:
            rv = running_var.array
            rv *= 1.0 - momentum
            rv += (momentum * n / (n - 1) * var.array.reshape(-1)).astype(rv.dtype, copy=False)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` axes, as
    ``torch.nn.functional.layer_norm``: (*, *normalized_shape) -> same shape.

    Uses the biased variance; weight and bias have shape ``normalized_shape``.
    """
    ns = _check_trailing_input(input, normalized_shape, "layer_norm", weight=weight,
                               bias=bias)
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    _, centered, var = _centre(input, axes)
    out = centered * rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation, as ``torch.nn.functional.group_norm``: the C channels of
    input (N, C, *) split into ``num_groups`` groups, each normalised over its channels
    and spatial positions; weight, bias: (C,)."""
    op = "group_norm"
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(f"{op}: input of shape {tuple(input.shape)} needs at least 2 dims and "
                         f"channels divisible by num_groups={num_groups}")
    n, c = input.shape[0], input.shape[1]
    _check(weight, "weight", (c,), op, input.dtype)
    _check(bias, "bias", (c,), op, input.dtype)
    _, centered, var = _centre(input.reshape(n, num_groups, -1), 2)
    out = (centered * rsqrt(var + eps)).reshape(input.shape)
    return _affine(out, weight, bias, (1, c) + (1,) * (input.ndim - 2))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalisation, as ``torch.nn.functional.instance_norm``: every (n, c)
    plane of input (N, C, *) normalised over its spatial positions (biased variance).

    With ``use_input_stats`` the running statistics (C,), when given, move towards the
    batch average of the per-instance mean and unbiased variance; otherwise the running
    statistics normalise (eval with ``track_running_stats``). weight, bias: (C,).
    """
    op = "instance_norm"
    c = _check_channel_input(input, op, 3, "(N, C, *) with at least one spatial dimension",
                             running_mean=running_mean, running_var=running_var,
                             weight=weight, bias=bias)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, input.ndim))
    n = input.numel() // (input.shape[0] * c) if input.shape[0] * c else 0
    if n <= 1:
        raise ValueError(f"{op}: expected more than 1 spatial element per channel when "
                         f"training, got input of shape {tuple(input.shape)}")
    mean, centered, var = _centre(input, axes)
    if running_mean is not None or running_var is not None:
        _update_running(running_mean, running_var, mean.mean(0), var.mean(0), n, momentum)
    return _affine(centered * rsqrt(var + eps), weight, bias, (1, c) + (1,) * (input.ndim - 2))


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation over the trailing ``normalized_shape`` axes, as
    ``torch.nn.functional.rms_norm``: ``x / sqrt(mean(x^2) + eps) * weight``.

    eps defaults to the machine epsilon of the input's dtype (PyTorch's default).
    """
    ns = _check_trailing_input(input, normalized_shape, "rms_norm", weight=weight)
    k = len(ns)
    if eps is None:
        import numpy as np

        eps = float(np.finfo(input.dtype).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    out = input * rsqrt((input * input).mean(axes, keepdim=True) + eps)
    return out if weight is None else out * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalisation across channels, as
    ``torch.nn.functional.local_response_norm``: input (N, C, *) divided by
    ``(k + alpha / size * sum of x^2 over the size neighbouring channels) ** beta``
    (the window covers channels c - size//2 .. c + (size-1)//2, zero outside)."""
    op = "local_response_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(f"{op}: expected input of shape (N, C, *) with 3 or more dimensions, "
                         f"got {tuple(input.shape)}")
    if int(size) < 1:
        raise ValueError(f"{op}: size must be a positive integer, got {size}")
    size = int(size)
    c = input.shape[1]
    sq = (input * input).transpose(1, -1)  # channels last, so pad and slice along -1
    sq = pad(sq, (size // 2, (size - 1) // 2))
    window = sq[..., 0:c]
    for i in range(1, size):  # a sum of `size` shifted copies: size is a handful
        window = window + sq[..., i:i + c]
    div = (window.transpose(1, -1) * (alpha / size) + k) ** beta
    return input / div
