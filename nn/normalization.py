"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``,
``InstanceNorm1d/2d/3d``, ``RMSNorm``, ``LocalResponseNorm``.

BatchNorm keeps PyTorch's buffers ``running_mean``, ``running_var`` and
``num_batches_tracked``; ``momentum=None`` means a cumulative moving average.
"""

from __future__ import annotations

import autograd as ag
from autograd.extend import replayable, wrap
from autograd.tensor import Tensor

from . import functional as F
from . import init
from .functional.normalization import _as_shape
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
           "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm"]



@replayable  # ag.compile: counted again on replay
def _count_batch(counter: Tensor) -> None:
    """One more batch seen by a BatchNorm layer (in place, outside the graph)."""
    counter.array += 1


@replayable  # ag.compile: counted, and the factor made from the new count, on replay
def _count_batch_cumulative(counter: Tensor) -> Tensor:
    """One more batch seen by a BatchNorm layer with ``momentum=None``; returns the
    cumulative average's factor ``1 / num_batches_tracked`` (PyTorch's double) as a 0-d
    float64 tensor, which ``batch_norm`` reads when it updates the statistics: no value
    is read into Python outside a replayable step, so the layer compiles."""
    counter.array += 1
    xp = counter.device.backend.xp
    return wrap(xp.asarray(1.0 / float(counter.array)), counter.device)

class _BatchNorm(Module):
    _dims: tuple = ()
    _shape_doc = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ag.empty(num_features, device=device, dtype=dtype))
            self.bias = Parameter(ag.empty(num_features, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 ag.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ag.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 ag.tensor(0, dtype=ag.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_ndim(self, input) -> None:
        if not isinstance(input, Tensor) or input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected input of shape "
                             f"{self._shape_doc}, got {tuple(getattr(input, 'shape', ()))}")

    def _check_input(self, input: Tensor) -> None:
        self._check_ndim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels "
                             f"(dim 1), got input of shape {tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            if self.momentum is None:  # cumulative moving average
                factor = _count_batch_cumulative(self.num_batches_tracked)
            else:
                _count_batch(self.num_batches_tracked)
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over N (and L) per channel.

    weight (C,) = 1, bias (C,) = 0; buffers running_mean (C,) = 0, running_var (C,) = 1,
    num_batches_tracked = 0. Training normalises by batch statistics and updates the
    running ones (unbiased variance); eval uses the running statistics.
    """

    _dims = (2, 3)
    _shape_doc = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over N, H, W per channel; see
    BatchNorm1d for parameters, buffers and modes."""

    _dims = (4,)
    _shape_doc = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input per channel; see BatchNorm1d."""

    _dims = (5,)
    _shape_doc = "(N, C, D, H, W)"


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims: (*, *normalized_shape).

    With ``elementwise_affine``: weight = 1 and bias = 0 of shape normalized_shape
    (``bias=False`` drops the bias).
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ag.ones(*self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(ag.zeros(*self.normalized_shape, device=device,
                                               dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalise groups of channels of (N, C, *) input; weight = 1, bias = 0 of shape (C,)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)
        if affine:
            self.weight = Parameter(ag.ones(num_channels, device=device, dtype=dtype))
            self.bias = Parameter(ag.zeros(num_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(_BatchNorm):
    """Instance normalisation: PyTorch's defaults are affine=False and
    track_running_stats=False; with running statistics, eval mode uses them."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        self._check_ndim(input)
        unbatched = input.ndim == self._dims[0]
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(f"{name}: expected {self.num_features} channels (dim 1), got "
                             f"input of shape {tuple(input.shape)}")
        use_input_stats = self.training or not self.track_running_stats
        momentum = self.momentum if self.momentum is not None else 0.0  # PyTorch's rule
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              use_input_stats, momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Normalise each (n, c) row of (N, C, L) (or unbatched (C, L)) over L; see
    ``nn.functional.instance_norm``. weight/bias (C,) with affine=True."""

    _dims = (2, 3)
    _shape_doc = "(N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Normalise each (n, c) plane of (N, C, H, W) (or (C, H, W)) over H, W."""

    _dims = (3, 4)
    _shape_doc = "(N, C, H, W) or (C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Normalise each (n, c) volume of (N, C, D, H, W) (or (C, D, H, W))."""

    _dims = (4, 5)
    _shape_doc = "(N, C, D, H, W) or (C, D, H, W)"


class RMSNorm(Module):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape``;
    weight = 1 of shape normalized_shape with ``elementwise_affine``; eps None means the
    dtype's machine epsilon."""

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ag.ones(*self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Local response normalisation across neighbouring channels; see
    ``nn.functional.local_response_norm``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
