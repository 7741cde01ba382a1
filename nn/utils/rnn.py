"""Sequence utilities: ``pad_sequence`` (differentiable)."""

from __future__ import annotations

import autograd as ag
from autograd.tensor import Tensor

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into one padded tensor.

    Returns (max L, B, *), or (B, max L, *) with batch_first; position ``t`` of
    sequence ``b`` holds ``sequences[b][t]`` (right padding) and ``padding_value``
    beyond its length. ``padding_side="left"`` puts the padding first. Gradients flow
    back to every sequence.
    """
    seqs = list(sequences)
    if not seqs:
        raise ValueError("pad_sequence: expected a non-empty list of tensors")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence: element {i} is a {type(s).__name__}, not a Tensor")
        if s.ndim == 0:
            raise ValueError(f"pad_sequence: element {i} is 0-dimensional; sequences need a "
                             "length dimension")
    trailing = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if tuple(s.shape[1:]) != trailing:
            raise ValueError(f"pad_sequence: all sequences must share their trailing shape; "
                             f"element 0 has {tuple(seqs[0].shape)}, element {i} has "
                             f"{tuple(s.shape)}")
    max_len = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = max_len - s.shape[0]
        if extra:
            # F.pad lists (before, after) from the last dimension; dim 0 is the last pair
            widths = [0, 0] * (s.ndim - 1) + ([extra, 0] if padding_side == "left"
                                               else [0, extra])
            s = ag.pad(s, widths, value=padding_value)
        padded.append(s)
    return ag.stack(padded, dim=0 if batch_first else 1)
