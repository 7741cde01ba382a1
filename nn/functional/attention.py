"""Attention as functions: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (the computation behind ``nn.MultiheadAttention``).

Both are composed of differentiable Tensor ops (matmul, softmax, where, ...), so first
and second derivatives come from the ops' own rules.

Mask conventions follow PyTorch and differ between the two on purpose:

* ``scaled_dot_product_attention``: a bool ``attn_mask`` is True where a query MAY
  attend to a key; a float mask is added to the scores.
* ``multi_head_attention_forward`` / ``nn.MultiheadAttention``: bool masks
  (``attn_mask``, ``key_padding_mask``) are True where attention is NOT allowed; float
  masks are added to the scores.
"""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
from autograd.extend import Tensor, replayable, wrap

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    if p <= 0.0 or not training:
        return x
    from .dropout import dropout

    return dropout(x, p, training)


def _causal_mask(L: int, S: int, device) -> Tensor:
    """(L, S) bool, True where query i may see key j (j <= i), as torch's tril."""
    xp = device.backend.xp
    return wrap(xp.tril(xp.ones((L, S), dtype=bool)), device)


def _as_tensor_like(mask, ref: Tensor, op: str) -> Tensor:
    if isinstance(mask, Tensor):
        if mask.device is not ref.device:
            raise ag.DeviceMismatchError(
                f"{op}: mask is on {mask.device} but the inputs are on {ref.device}"
            )
        return mask
    return ag.tensor(mask, device=ref.device)  # lists, NumPy or CuPy arrays


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, as
    ``torch.nn.functional.scaled_dot_product_attention``.

    query: (..., L, E); key: (..., S, E); value: (..., S, Ev) -> (..., L, Ev).
    attn_mask: broadcastable to (..., L, S); bool (True = may attend) or float (added).
    is_causal: query i attends to keys 0..i only (upper-left aligned, as torch);
    cannot be combined with ``attn_mask``. scale defaults to ``1 / sqrt(E)``.
    Rows whose keys are all masked out give NaN, as in PyTorch.
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"{op}: {name} needs at least 2 dimensions (..., seq, features), "
                             f"got shape {tuple(t.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{op}: query {tuple(query.shape)} and key {tuple(key.shape)} must "
                         "have the same last dimension (the embedding size)")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{op}: key {tuple(key.shape)} and value {tuple(value.shape)} must "
                         "have the same sequence length (dimension -2)")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
    L, S = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = (query * scale) @ key.mT  # scaling q (L*E) is cheaper than scores (L*S)
    if is_causal:
        attn_mask = _causal_mask(L, S, query.device)
    if attn_mask is not None:
        attn_mask = _as_tensor_like(attn_mask, query, op)
        try:
            np.broadcast_shapes(tuple(attn_mask.shape), tuple(scores.shape))
        except ValueError:
            raise ValueError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} does not "
                             f"broadcast to the scores' shape {tuple(scores.shape)}") from None
        if attn_mask.dtype.kind == "b":
            scores = ag.where(attn_mask, scores, float("-inf"))
        else:
            scores = scores + attn_mask.to(scores.dtype)
    weights = ag.softmax(scores, dim=-1)
    weights = _dropout(weights, dropout_p)
    return weights @ value


def _merge_masks(attn_mask, key_padding_mask, bsz, num_heads, L, S, ref, op):
    """One additive float mask of shape broadcastable to (bsz, heads, L, S), or None.

    Bool masks here are True where attention is NOT allowed (nn.MultiheadAttention)."""
    dtype = ref.dtype
    merged = None
    if attn_mask is not None:
        m = _as_tensor_like(attn_mask, ref, op)
        if m.ndim == 2:
            if tuple(m.shape) != (L, S):
                raise ValueError(f"{op}: 2-D attn_mask must have shape ({L}, {S}), got "
                                 f"{tuple(m.shape)}")
            m = m.reshape(1, 1, L, S)
        elif m.ndim == 3:
            if tuple(m.shape) != (bsz * num_heads, L, S):
                raise ValueError(f"{op}: 3-D attn_mask must have shape "
                                 f"({bsz * num_heads}, {L}, {S}), got {tuple(m.shape)}")
            m = m.reshape(bsz, num_heads, L, S)
        else:
            raise ValueError(f"{op}: attn_mask must be 2-D or 3-D, got shape {tuple(m.shape)}")
        merged = m
    if key_padding_mask is not None:
        k = _as_tensor_like(key_padding_mask, ref, op)
        if tuple(k.shape) != (bsz, S):
            raise ValueError(f"{op}: key_padding_mask must have shape ({bsz}, {S}) "
                             f"(batch, source length), got {tuple(k.shape)}")
        k = k.reshape(bsz, 1, 1, S)
        if merged is None:
            merged = k
        elif merged.dtype.kind == "b" and k.dtype.kind == "b":
            merged = ag.logical_or(merged, k)
        else:
            merged = _additive(merged, dtype) + _additive(k, dtype)
    return merged


def _additive(m: Tensor, dtype) -> Tensor:
    """A bool mask (True = blocked) as 0 / -inf floats; float masks unchanged."""
    if m.dtype.kind == "b":
        return wrap(_blocked(m.device.backend.xp, m.array, dtype), m.device)
    return m.to(dtype)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _blocked(xp, m, dtype):
    """-inf where the bool array ``m`` is True, else 0, of ``dtype``."""
    return xp.where(m, -np.inf, 0.0).astype(dtype)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k=None, bias_v=None,
    add_zero_attn: bool = False, dropout_p: float = 0.0, out_proj_weight: Tensor = None,
    out_proj_bias: Tensor | None = None, training: bool = True, key_padding_mask=None,
    need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None, static_k=None, static_v=None,
    average_attn_weights: bool = True, is_causal: bool = False,
):
    """Multi-head attention with PyTorch's argument list (sequence-first layout).

    query: (L, N, E) or unbatched (L, E); key: (S, N, kdim); value: (S, N, vdim).
    Returns ``(output (L, N, E), weights)`` where weights is (N, L, S) averaged over
    heads, (N, heads, L, S) when ``average_attn_weights=False``, or None when
    ``need_weights=False``. Unbatched inputs give unbatched outputs.
    ``is_causal=True`` with an ``attn_mask`` treats that mask as the causal one (as
    PyTorch's hint); without one, a causal mask is built (PyTorch raises instead).
    bias_k, bias_v (1, 1, E): one more key/value position appended to every sequence
    (masks get a zero column). static_k, static_v (N*heads, S', head_dim): used as the
    projected keys/values instead of projecting key/value. add_zero_attn: a zero key and
    value appended after those (masks again get a zero column).
    """
    op = "multi_head_attention_forward"
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{op}: give both bias_k and bias_v or neither")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise ValueError(f"{op}: bias_k/bias_v cannot be added to static_k/static_v")
    unbatched = query.ndim == 2
    if unbatched:
        if key.ndim != 2 or value.ndim != 2:
            raise ValueError(f"{op}: unbatched query {tuple(query.shape)} needs 2-D key and "
                             f"value, got {tuple(key.shape)} and {tuple(value.shape)}")
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = _as_tensor_like(key_padding_mask, query, op).unsqueeze(0)
        # an unbatched attn_mask (L, S) or (heads, L, S) is already valid for batch 1
    if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
        raise ValueError(f"{op}: expected 3-D (seq, batch, features) query/key/value, got "
                         f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    L, N, E = query.shape
    S = key.shape[0]
    if E != embed_dim_to_check:
        raise ValueError(f"{op}: query has embedding size {E}, expected {embed_dim_to_check}")
    if key.shape[:2] != value.shape[:2] or key.shape[1] != N:
        raise ValueError(f"{op}: key {tuple(key.shape)} and value {tuple(value.shape)} must "
                         f"share (source length, batch={N})")
    if E % num_heads:
        raise ValueError(f"{op}: embed_dim {E} is not divisible by num_heads {num_heads}")
    hd = E // num_heads

    # projections: one matmul for self-attention with a packed weight
    if not use_separate_proj_weight:
        if query is key and key is value:
            q, k, v = ag.chunk(_proj(query, in_proj_weight, in_proj_bias), 3, dim=-1)
        else:
            w_q, w_k, w_v = ag.chunk(in_proj_weight, 3, dim=0)
            b_q = b_k = b_v = None
            if in_proj_bias is not None:
                b_q, b_k, b_v = ag.chunk(in_proj_bias, 3, dim=0)
            q, k, v = _proj(query, w_q, b_q), _proj(key, w_k, b_k), _proj(value, w_v, b_v)
    else:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = ag.chunk(in_proj_bias, 3, dim=0)
        q = _proj(query, q_proj_weight, b_q)
        k = _proj(key, k_proj_weight, b_k) if static_k is None else None
        v = _proj(value, v_proj_weight, b_v) if static_v is None else None

    if bias_k is not None:  # one learned key/value position appended to every sequence
        k = ag.cat([k, bias_k.reshape(1, 1, E).expand(1, N, E)])
        v = ag.cat([v, bias_v.reshape(1, 1, E).expand(1, N, E)])
        attn_mask = _pad_key_axis(attn_mask, query, op)
        key_padding_mask = _pad_key_axis(key_padding_mask, query, op)
        S += 1

    # (seq, N, E) -> (N, heads, seq, hd); static_k/static_v are (N*heads, seq, hd)
    q = q.reshape(L, N, num_heads, hd).permute(1, 2, 0, 3)
    k = k.reshape(S, N, num_heads, hd).permute(1, 2, 0, 3) if static_k is None else \
        _static(static_k, "static_k", N, num_heads, hd, op)
    v = v.reshape(S, N, num_heads, hd).permute(1, 2, 0, 3) if static_v is None else \
        _static(static_v, "static_v", N, num_heads, hd, op)
    if k.shape[2] != v.shape[2]:
        raise ValueError(f"{op}: keys ({k.shape[2]}) and values ({v.shape[2]}) have different "
                         "source lengths")
    S = k.shape[2]
    if add_zero_attn:  # a zero key/value that every query may attend to
        zeros = ag.zeros(N, num_heads, 1, hd, dtype=k.dtype, device=k.device)
        k, v = ag.cat([k, zeros], dim=2), ag.cat([v, zeros], dim=2)
        attn_mask = _pad_key_axis(attn_mask, query, op)
        key_padding_mask = _pad_key_axis(key_padding_mask, query, op)
        S += 1

    if is_causal and attn_mask is None:
        xp = query.device.backend.xp
        attn_mask = wrap(xp.triu(xp.ones((L, S), dtype=bool), 1), query.device)
    mask = _merge_masks(attn_mask, key_padding_mask, N, num_heads, L, S, q, op)

    scores = (q * (1.0 / math.sqrt(hd))) @ k.mT  # (N, heads, L, S)
    if mask is not None:
        if mask.dtype.kind == "b":
            scores = ag.where(mask, float("-inf"), scores)
        else:
            scores = scores + mask.to(scores.dtype)
    weights = ag.softmax(scores, dim=-1)
    weights = _dropout(weights, dropout_p, training)
    out = weights @ v  # (N, heads, L, hd)
    out = _proj(out.permute(2, 0, 1, 3).reshape(L * N, E), out_proj_weight, out_proj_bias)
    out = out.reshape(L, N, E)
    if need_weights:
        w = weights.mean(dim=1) if average_attn_weights else weights
        if unbatched:
            return out.squeeze(1), w.squeeze(0)
        return out, w
    return (out.squeeze(1) if unbatched else out), None


def _pad_key_axis(mask, ref: Tensor, op: str):
    """A mask with one more key column (0 / False: that key is not masked), or None."""
    if mask is None:
        return None
    m = _as_tensor_like(mask, ref, op)
    return ag.pad(m, (0, 1))


def _static(t, name: str, n: int, heads: int, hd: int, op: str) -> Tensor:
    """static_k/static_v (N*heads, S, head_dim) -> (N, heads, S, head_dim)."""
    if not isinstance(t, Tensor) or t.ndim != 3 or t.shape[0] != n * heads or \
            t.shape[2] != hd:
        raise ValueError(f"{op}: expected {name} of shape ({n * heads}, S, {hd}) "
                         f"(batch*heads, source length, head_dim), got "
                         f"{tuple(getattr(t, 'shape', ()))}")
    return t.reshape(n, heads, t.shape[1], hd)


def _proj(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """``x @ w^T + b`` over the last dimension, as one 2-D matmul (a 3-D @ 2-D matmul
    loops over the batch in NumPy and its weight gradient is a batched sum)."""
    from .linear import linear

    lead = x.shape[:-1]
    y = linear(x.reshape(-1, x.shape[-1]), w, b)
    return y.reshape(*lead, w.shape[0])
