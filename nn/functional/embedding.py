"""Embedding lookup: a row gather whose backward scatter-adds with ``index_add``.

``Gather`` and ``Scatter`` are each other's adjoints, so every order of derivative
works. The ``padding_idx`` row gets no gradient: the scatter drops it, and its adjoint
(the gather used in double backward) reads zeros at those positions.
"""

from __future__ import annotations

import numpy as np

from autograd import Function, Tensor, no_grad
from autograd.extend import replayable

__all__ = ["embedding", "one_hot"]


class Gather(Function):
    """weight (V, D), idx (M,) -> weight[idx] (M, D); zero where idx == padding_idx when
    ``mask_padding`` (the adjoint form used by double backward)."""

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, mask_padding):
        xp = ctx.device.backend.xp
        ctx.save_for_backward(idx)
        ctx.num_rows, ctx.padding_idx = weight.shape[0], padding_idx
        out = xp.take(weight, idx, axis=0)
        if mask_padding and padding_idx is not None:
            out[idx == padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        return Scatter.apply(g, idx.array, ctx.num_rows, ctx.padding_idx), None, None, None


class Scatter(Function):
    """g (M, D) summed into zeros (V, D) at rows idx (repeats accumulate), the
    ``padding_idx`` row left at zero."""

    @staticmethod
    def forward(ctx, g, idx, num_rows, padding_idx):
        backend = ctx.device.backend
        ctx.save_for_backward(idx)
        ctx.padding_idx = padding_idx
        out = backend.xp.zeros((num_rows,) + g.shape[1:], dtype=g.dtype)
        backend.index_add(out, idx, g)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        (idx,) = ctx.saved_tensors
        return Gather.apply(gg, idx.array, ctx.padding_idx, True), None, None, None


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (V, D) for the integer indices ``input`` (any shape):
    returns (*input.shape, D), as ``torch.nn.functional.embedding``.

    The gradient of row ``padding_idx`` is zero; repeated indices accumulate. With
    ``max_norm``, rows looked up are first renormalised in place to that norm at most.
    """
    op = "embedding"
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"{op}: expected weight of shape (num_embeddings, embedding_dim), "
                         f"got {tuple(getattr(weight, 'shape', ()))}")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{op}: scale_grad_by_freq and sparse are not supported")
    xp = weight.device.backend.xp
    if isinstance(input, Tensor):
        if input.device is not weight.device:
            raise ValueError(f"{op}: indices are on {input.device} but weight is on "
                             f"{weight.device}")
        idx = input.array
    else:
        idx = xp.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be an integer tensor, got dtype {idx.dtype}")
    v = weight.shape[0]
    if padding_idx is not None:
        if not -v <= padding_idx < v:
            raise ValueError(f"{op}: padding_idx {padding_idx} is out of range for {v} "
                             "embeddings")
        padding_idx = int(padding_idx) % v
    if isinstance(input, Tensor):  # Tensor ops, so a tracer (ONNX export) sees the indices
        flat_t = input.reshape(-1)
        flat_t = flat_t if flat_t.dtype == np.int64 else flat_t.long()
    else:
        flat_t = idx.reshape(-1).astype(xp.int64, copy=False)
    _check_rows(flat_t, v, op)
    if max_norm is not None:
        _renorm_rows(weight, flat_t, max_norm, norm_type)
    out = Gather.apply(weight, flat_t, padding_idx, False)
    return out.reshape(tuple(idx.shape) + (weight.shape[1],))


@replayable  # ag.compile: checked again on the replay's indices
def _check_rows(flat, v: int, op: str) -> None:
    """Refuse indices outside [0, v) (NumPy would wrap a negative one silently)."""
    flat = flat.array if isinstance(flat, Tensor) else flat
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= v):
        raise IndexError(f"{op}: index out of range: indices span [{int(flat.min())}, "
                         f"{int(flat.max())}] but weight has {v} rows")


@replayable  # ag.compile: it changes the weight in place, so a replay must do it again
def _renorm_rows(weight: Tensor, rows, max_norm: float, norm_type: float) -> None:
    """In place, outside the graph: rows of ``weight`` with norm above ``max_norm``
    scaled down to it (PyTorch's ``max_norm``)."""
    xp = weight.device.backend.xp
    with no_grad():
        rows = xp.unique(rows.array if isinstance(rows, Tensor) else rows)
        w = weight.array[rows]
        norms = (xp.abs(w) ** norm_type).sum(1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.array[rows] = w * scale[:, None].astype(w.dtype)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer tensor (*) -> int64 one-hot (*, num_classes), as ``F.one_hot``."""
    from autograd.extend import wrap

    xp = tensor.device.backend.xp
    idx = tensor.array
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor, got dtype {idx.dtype}")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes})")
    out = (idx[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return wrap(out, tensor.device)


# the names these Functions had before they became public (kept for one release)
_Gather = Gather
_Scatter = Scatter
