"""``SyncBatchNorm``: batch normalisation whose statistics are over the whole global
batch, every rank's samples together (PyTorch's ``torch.nn.SyncBatchNorm``).

In training, each rank sums its input per channel, the sums and sample counts are
all-reduced (a differentiable all-reduce, so gradients reach every rank's inputs),
then the squared deviations from the global mean are summed and all-reduced the same
way: the two passes keep the variance as exact as BatchNorm's. Outside training, or
without a process group of more than one rank, it is ``F.batch_norm``.
"""

from __future__ import annotations

import math

import autograd as ag
import autograd.distributed as dist
from autograd.distributed.functional import all_reduce
from autograd.extend import Tensor
from autograd.ops import rsqrt

from .functional import normalization as _norm
from .module import Module
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over N and the spatial axes of every rank's (N, C, *) input.

    Parameters, buffers and arguments as BatchNorm1d/2d/3d (weight, bias (C,);
    running_mean, running_var (C,), num_batches_tracked); ``process_group`` must be
    None (the default group).
    """

    _dims = range(2, 65)  # (N, C, *): any number of trailing dims (NumPy allows 64)
    _shape_doc = "(N, C, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None):
        if process_group is not None:
            raise ValueError("SyncBatchNorm: only the default process group "
                             "(process_group=None) is supported")
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        self.process_group = None

    def forward(self, input: Tensor) -> Tensor:
        sync = self.training and dist.is_initialized() and dist.get_world_size() > 1
        if not sync:
            return super().forward(input)
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.array += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        c = input.shape[1]
        shape = (1, c) + (1,) * (input.ndim - 2)  # per-channel vectors against (N, C, *)
        axes = (0,) + tuple(range(2, input.ndim))
        local_n = math.prod(input.shape) // c if c else 0
        count = ag.full((1,), float(local_n), dtype=input.dtype, device=input.device)
        sums = all_reduce(ag.cat([input.sum(axes), count]))  # (C + 1,): sums, then N
        n = int(round(float(sums[c].item())))
        if n <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when "
                             f"training, got {n} over all ranks (input {tuple(input.shape)})")
        mean = sums[:c] / n                                    # (C,)
        centered = input - mean.reshape(shape)
        var = all_reduce((centered * centered).sum(axes)) / n  # (C,), biased
        if self.track_running_stats:
            _norm._update_running(self.running_mean, self.running_var, mean, var, n, factor)
        scale = rsqrt(var + self.eps)
        if self.weight is not None:
            scale = scale * self.weight
        out = centered * scale.reshape(shape)
        return out if self.bias is None else out + self.bias.reshape(shape)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Return ``module`` with every BatchNorm1d/2d/3d replaced by a SyncBatchNorm
        holding the same parameters and buffers (the module itself if it is one)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum,
                                module.affine, module.track_running_stats, process_group)
            if module.affine:
                with ag.no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.train(module.training)
        for name, child in list(module.named_children()):
            new = cls.convert_sync_batchnorm(child, process_group)
            if new is not child:
                out._modules[name] = new  # in place: a Sequential keeps its order
        return out
