"""Differentiable collectives (PyTorch's ``torch.distributed.nn.functional``): the
gradient of an all-reduce is the all-reduce of the gradients, so a statistic summed
over the ranks (SyncBatchNorm's mean and variance) backpropagates to every rank's
inputs.
"""

from __future__ import annotations

from ..graph import Function
from ..tensor import Tensor, _wrap
from . import collectives as C

__all__ = ["all_reduce"]


class AllReduce(Function):
    """out = the reduction over ranks of ``x`` (SUM or AVG), as a new array;
    d out / d x backpropagates by the same reduction of the output gradients."""

    @staticmethod
    def forward(ctx, x, op):
        ctx.op = op
        out = x.copy()
        C.all_reduce(_wrap(out, ctx.device), op)
        return out

    @staticmethod
    def backward(ctx, g):
        return AllReduce.apply(g, ctx.op), None


def all_reduce(tensor: Tensor, op: C.ReduceOp = C.ReduceOp.SUM, group=None) -> Tensor:
    """The reduction over all ranks of ``tensor`` (a new, differentiable Tensor); only
    ``ReduceOp.SUM`` and ``ReduceOp.AVG``, whose gradients are themselves reductions."""
    if op not in (C.ReduceOp.SUM, C.ReduceOp.AVG):
        raise ValueError(f"distributed.functional.all_reduce: only ReduceOp.SUM and AVG are "
                         f"differentiable, got {op}")
    if group is not None:
        raise ValueError("distributed.functional.all_reduce: only the default process group "
                         "(group=None) is supported")
    return AllReduce.apply(tensor, op)
