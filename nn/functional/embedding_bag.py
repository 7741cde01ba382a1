"""``embedding_bag``: sums, means or maxima of bags of embeddings without materialising
the per-bag gathers one by one.

Sum and mean are one product ``M @ weight[indices]`` with a constant (bags, indices)
matrix M (1 or 1/count where an index belongs to a bag, times per_sample_weights);
max gathers every bag's rows into one (bags, longest bag, D) tensor (short bags padded
with a -inf row) and takes ``amax``. Everything is a differentiable Tensor op.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd.extend import replayable, wrap
from autograd.ops import cat, where

from .embedding import embedding

__all__ = ["embedding_bag"]


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Reduce bags of embedding rows, as ``torch.nn.functional.embedding_bag``.

    input (B, L): B bags of L indices (offsets must be None); or input (T,) with offsets
    (B,) giving each bag's start (``include_last_offset``: (B + 1,), the last one the end).
    mode 'sum', 'mean' or 'max'; per_sample_weights (same shape as input, mode 'sum'
    only) scale each row. Indices equal to ``padding_idx`` are left out (and not
    counted by 'mean'); empty bags give zeros. Returns (B, D).
    """
    op = "embedding_bag"
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{op}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"{op}: expected weight (num_embeddings, embedding_dim), got "
                         f"{tuple(getattr(weight, 'shape', ()))}")
    src, backend = (input.array, input.device.backend) if isinstance(input, Tensor) else \
        (np.asarray(input), None)
    if src.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {src.dtype}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{op}: per_sample_weights is only supported for mode='sum', got "
                             f"mode={mode!r}")
        if tuple(per_sample_weights.shape) != src.shape:
            raise ValueError(f"{op}: per_sample_weights {tuple(per_sample_weights.shape)} must "
                             f"have the shape of input {src.shape}")
    if src.ndim == 2 and offsets is not None:
        raise ValueError(f"{op}: offsets must be None when input is 2-D (B, L)")
    if src.ndim == 1 and offsets is None:
        raise ValueError(f"{op}: offsets are required when input is 1-D")
    if src.ndim not in (1, 2):
        raise ValueError(f"{op}: expected input (B, L) or (T,) with offsets, got {src.shape}")
    if src.ndim == 1:
        off, off_backend = (offsets.array, offsets.device.backend) \
            if isinstance(offsets, Tensor) else (np.asarray(offsets), None)
    else:
        off = off_backend = None
    n_rows = weight.shape[0]
    if padding_idx is not None:
        padding_idx = int(padding_idx) % n_rows
    dev = weight.device
    flat, plan, extra = _bags(dev.backend, backend, src, off_backend, off, include_last_offset,
                              padding_idx, mode, weight.dtype)
    rows = embedding(wrap(flat, dev), weight, max_norm=max_norm, norm_type=norm_type,
                     scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)  # (T, D)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)[:flat.shape[0]]
    if mode == "max":
        # every bag's kept rows as one (B, Lmax) gather; the padding slot reads a -inf row
        xp = dev.backend.xp
        filler = wrap(xp.full((1, weight.shape[1]), -np.inf, dtype=weight.dtype), dev)
        table = cat([rows, filler])  # (T + 1, D)
        best = table[wrap(plan, dev)].amax(1)  # (B, D)
        return where(wrap(extra, dev), 0.0, best)  # an empty bag is zeros, as PyTorch
    return wrap(plan, dev) @ rows


@replayable  # ag.compile: the bags are planned again from each input (autograd/recording.py)
def _bags(backend, in_backend, src, off_backend, off, include_last_offset: bool,
          padding_idx, mode: str, dtype):
    """The bags of ``embedding_bag`` planned on the host from the indices ``src`` (and
    the ``off`` offsets of a 1-D input): the flat int64 indices, and (arrays of
    ``backend``) for 'max' the (B, Lmax) slots of each bag's kept rows (the index of a
    -inf row past the end where a bag is shorter) and the (B, 1) empty-bag mask; for
    'sum'/'mean' the (B, T) membership matrix (1, or 1/count for 'mean') and None."""
    op = "embedding_bag"
    idx = np.asarray(in_backend.to_host(src) if in_backend is not None else src)
    if idx.ndim == 2:
        bags, length = idx.shape
        starts = np.arange(bags) * length
        flat = idx.reshape(-1)
    else:
        starts = np.asarray(off_backend.to_host(off) if off_backend is not None else off)
        starts = starts.astype(np.int64).reshape(-1)
        flat = idx
        if include_last_offset:
            if starts.size == 0:
                raise ValueError(f"{op}: include_last_offset needs at least one offset")
            flat = idx[:starts[-1]]
            starts = starts[:-1]
        bags = starts.size
        if bags and (starts[0] != 0 or (np.diff(starts) < 0).any() or starts[-1] > flat.size):
            raise ValueError(f"{op}: offsets {starts.tolist()} must start at 0 and be "
                             f"non-decreasing within the {flat.size} indices")
    ends = np.append(starts[1:], flat.size).astype(np.int64)
    keep = flat != padding_idx if padding_idx is not None else np.ones(flat.size, bool)
    flat_dev = backend.asarray(flat.astype(np.int64))
    if mode == "max":
        sizes = [int(keep[starts[b]:ends[b]].sum()) for b in range(bags)]
        slots = np.full((bags, max(sizes + [1])), flat.size, dtype=np.int64)
        for b in range(bags):
            members = np.nonzero(keep[starts[b]:ends[b]])[0] + starts[b]
            slots[b, :members.size] = members
        return flat_dev, backend.asarray(slots), backend.asarray((np.array(sizes) == 0)[:, None])
    membership = np.zeros((bags, flat.size))
    for b in range(bags):  # a bag is a contiguous range of the indices
        membership[b, starts[b]:ends[b]] = keep[starts[b]:ends[b]]
    if mode == "mean":
        counts = membership.sum(1, keepdims=True)
        membership = membership / np.maximum(counts, 1)
    return flat_dev, backend.asarray(membership.astype(dtype)), None
