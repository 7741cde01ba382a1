"""Margin, embedding, count and variance losses, and CTC, as in ``torch.nn.functional``:
``margin_ranking_loss``, ``hinge_embedding_loss``, ``triplet_margin_loss``,
``triplet_margin_with_distance_loss``, ``multi_margin_loss``, ``cosine_embedding_loss``,
``poisson_nll_loss``, ``gaussian_nll_loss``, ``ctc_loss``.

All but ``ctc_loss`` are composed of differentiable Tensor ops (every derivative order
exact). ``ctc_loss`` runs the forward-backward recursion in log space on the host and
returns the exact gradient with respect to ``log_probs``; like PyTorch it has no second
derivative.
"""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
from autograd import Function, Tensor
from autograd.extend import replayable, wrap

from .distance import pairwise_distance

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "multi_margin_loss", "cosine_embedding_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss"]


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _like(t, ref: Tensor, op: str, name: str) -> Tensor:
    """``t`` as a Tensor on ref's device (targets may be lists or arrays)."""
    if isinstance(t, Tensor):
        if t.device is not ref.device:
            raise ag.DeviceMismatchError(f"{op}: {name} is on {t.device} but the input is on "
                                         f"{ref.device}")
        return t
    return ag.tensor(np.asarray(t), device=ref.device)


def _check_float(t, name: str, op: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating, got dtype {t.dtype}")


def margin_ranking_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``; target is 1 or -1 (broadcast)."""
    op = "margin_ranking_loss"
    _check_float(input1, "input1", op)
    _check_float(input2, "input2", op)
    target = _like(target, input1, op, "target")
    if not (input1.ndim == input2.ndim == target.ndim):
        raise ValueError(f"{op}: input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)} "
                         f"and target {tuple(target.shape)} must have the same number of "
                         "dimensions")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction, op)


def hinge_embedding_loss(input: Tensor, target, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """``x`` where target == 1, ``max(0, margin - x)`` where target == -1; any other
    target value gets both terms, as PyTorch's formula (``x`` where target != -1, plus
    the margin term where target != 1)."""
    op = "hinge_embedding_loss"
    _check_float(input, "input", op)
    target = _like(target, input, op, "target")
    zeros = input * 0.0
    pos = ag.where(target != -1, input, zeros)
    neg = ag.where(target != 1, (margin - input).clamp(min=0), zeros)
    return _reduce(pos + neg, reduction, op)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d = pairwise_distance(., ., p, eps)``
    over the last dimension; ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative
    distance. Inputs (N, D) or (D,)."""
    op = "triplet_margin_loss"
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_float(t, name, op)
    if not (anchor.ndim == positive.ndim == negative.ndim) or anchor.ndim not in (1, 2):
        raise ValueError(f"{op}: anchor, positive and negative must all be (N, D) or (D,), got "
                         f"{tuple(anchor.shape)}, {tuple(positive.shape)}, "
                         f"{tuple(negative.shape)}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ag.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction, op)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """Triplet loss with any ``distance_function(x, y)`` (default: pairwise_distance)."""
    op = "triplet_margin_with_distance_loss"
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ag.minimum(d_neg, dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction, op)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _not_target(xp, c: int, t):
    """(N, C) bools: True where the class is not the sample's target ``t``."""
    return xp.arange(c)[None, :] != t[:, None]


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: for input (N, C) (or (C,)) and class indices target (N,),
    ``sum_{i != y} max(0, margin - x[y] + x[i]) ** p / C``, times ``weight[y]``."""
    op = "multi_margin_loss"
    _check_float(input, "input", op)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got {p}")
    target = _like(target, input, op, "target")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    t = target.reshape(-1)
    if x.ndim != 2 or t.shape[0] != x.shape[0]:
        raise ValueError(f"{op}: expected input (N, C) and target (N,), got "
                         f"{tuple(input.shape)} and {tuple(target.shape)}")
    n, c = x.shape
    xp = x.device.backend.xp
    rows = xp.arange(n)
    correct = x[wrap(rows, x.device), t].unsqueeze(1)  # (N, 1)
    margins = (x - correct + margin).clamp(min=0)
    if p == 2:
        margins = margins * margins
    others = wrap(_not_target(xp, c, t.array), x.device)  # i != y
    if weight is not None:
        margins = margins * weight[t].unsqueeze(1)
    loss = ag.where(others, margins, 0.0).sum(1) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction, op)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where target == 1, ``max(0, cos(x1, x2) - margin)`` where
    target == -1; cos over dim 1 of (N, D) inputs (or dim 0 of (D,)), PyTorch's eps."""
    op = "cosine_embedding_loss"
    _check_float(input1, "input1", op)
    _check_float(input2, "input2", op)
    target = _like(target, input1, op, "target")
    dim = input1.ndim - 1
    eps = 1e-12  # PyTorch's EPSILON inside the magnitudes
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = cos * 0.0
    pos = ag.where(target == 1, 1 - cos, zeros)
    neg = ag.where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(pos + neg, reduction, op)


def poisson_nll_loss(input: Tensor, target, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(input) - target * input`` (log_input) or
    ``input - target * log(input + eps)``; ``full`` adds Stirling's term
    ``t log t - t + 0.5 log(2 pi t)`` where target > 1."""
    op = "poisson_nll_loss"
    _check_float(input, "input", op)
    target = _like(target, input, op, "target")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target.detach()
        safe = ag.where(t > 1, t, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + ag.where(t > 1, stirling, 0.0)
    return _reduce(loss, reduction, op)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``0.5 * (log(var) + (input - target)^2 / var)``
    (+ ``0.5 log(2 pi)`` when ``full``). ``var`` has input's shape, or one dimension fewer
    / a last dimension of 1 (one variance per sample), or is a float. Values below eps
    are clamped to eps without stopping the gradient (as PyTorch)."""
    op = "gaussian_nll_loss"
    _check_float(input, "input", op)
    target = _like(target, input, op, "target")
    if not isinstance(var, Tensor):
        var = ag.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError(f"{op}: var of shape {tuple(var.shape)} does not match input "
                             f"{tuple(input.shape)} (same shape, one dimension fewer, or a "
                             "last dimension of 1)")
    if bool((var.array < 0).any()):
        raise ValueError(f"{op}: var has negative entry/entries")
    var = var + (var.detach().clamp(min=eps) - var.detach())  # clamp; gradient passes
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, op)


# --- CTC -----------------------------------------------------------------------------


def _logsumexp(*terms):
    stacked = np.stack(terms)
    m = stacked.max(0)
    finite = np.isfinite(m)
    safe = np.where(finite, m, 0.0)
    with np.errstate(divide="ignore"):  # all terms -inf: log(0), masked just below
        total = safe + np.log(np.exp(stacked - safe).sum(0))
    return np.where(finite, total, -np.inf)


def _ctc_batch(lp: np.ndarray, labels: list, in_len: np.ndarray, blank: int):
    """Negative log-likelihoods (N,) of the label sequences under lp (T, N, C), and their
    gradients (T, N, C) with respect to lp: one pass over time for the whole batch.

    alpha[t, s]: log-probability of the prefixes ending in extended label s at t
    (emission at t included); beta[t, s]: of finishing from s at t (emission excluded).
    The extended labels (blank, l1, blank, l2, ..., blank) are padded per sample to the
    longest; padded positions stay at -inf.
    """
    t_max, n, c = lp.shape
    s_len = np.array([2 * len(lab) + 1 for lab in labels])
    s_max = int(s_len.max()) if n else 1
    ext = np.full((n, s_max), blank, dtype=np.int64)
    for i, lab in enumerate(labels):
        ext[i, 1:2 * len(lab):2] = lab
    valid = np.arange(s_max)[None, :] < s_len[:, None]  # (N, S)
    skip = np.zeros((n, s_max), bool)  # s-2 -> s allowed onto a label unlike the one before
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    rows = np.arange(n)[:, None]
    emit = np.where(valid[None], lp[:, rows, ext], -np.inf)  # (T, N, S)
    ninf = np.full((n, 1), -np.inf)

    # (written to keep the width when k exceeds it: all targets empty gives s_max == 1)
    def shift(x, k):  # x[s - k], -inf where s < k
        return np.concatenate([np.broadcast_to(ninf, (n, k)), x], 1)[:, :s_max]

    def unshift(x, k):  # x[s + k], -inf beyond the end
        return np.concatenate([x, np.broadcast_to(ninf, (n, k))], 1)[:, k:]

    alpha = np.full((t_max, n, s_max), -np.inf)
    if t_max:
        alpha[0, :, :2] = emit[0, :, :2]
    for t in range(1, t_max):
        prev = alpha[t - 1]
        alpha[t] = _logsumexp(prev, shift(prev, 1),
                              np.where(skip, shift(prev, 2), -np.inf)) + emit[t]
    beta = np.full((t_max, n, s_max), -np.inf)
    last = np.zeros((n, s_max), bool)  # the two accepting positions of each sample
    last[np.arange(n), s_len - 1] = True
    last[np.arange(n), np.maximum(s_len - 2, 0)] = True
    skip_next = np.concatenate([skip, np.zeros((n, 2), bool)], 1)[:, 2:]
    for t in range(t_max - 1, -1, -1):
        starts = in_len - 1 == t
        if t + 1 < t_max:
            nxt = beta[t + 1] + emit[t + 1]
            rec = _logsumexp(nxt, unshift(nxt, 1),
                             np.where(skip_next, unshift(nxt, 2), -np.inf))
            beta[t] = np.where((t < in_len - 1)[:, None], rec, -np.inf)
        beta[t] = np.where(starts[:, None] & last, 0.0, beta[t])
    end = np.maximum(in_len - 1, 0)
    ll = _logsumexp(alpha[end, np.arange(n), s_len - 1],
                    np.where(s_len > 1, alpha[end, np.arange(n), np.maximum(s_len - 2, 0)],
                             -np.inf))
    ll = np.where(in_len > 0, ll, np.where(s_len == 1, 0.0, -np.inf))
    nll = -ll
    grads = np.zeros((t_max, n, c))
    finite = np.isfinite(nll)
    with np.errstate(invalid="ignore", over="ignore"):
        occupancy = np.exp(alpha + beta + np.where(finite, nll, 0.0)[None, :, None])
    inside = (np.arange(t_max)[:, None] < in_len[None, :])[..., None] & valid[None] & \
        finite[None, :, None]
    tt, nn_, ss = np.nonzero(inside & (occupancy > 0))
    np.add.at(grads, (tt, nn_, ext[nn_, ss]), -occupancy[tt, nn_, ss])
    return nll, grads


class CtcLoss(Function):
    """log_probs (T, N, C) -> per-sample negative log-likelihood (N,)."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        backend = ctx.device.backend
        lp = np.asarray(backend.to_host(log_probs), dtype=np.float64)
        losses, grads = _ctc_batch(lp, targets, np.asarray(input_lengths), blank)
        if zero_infinity:  # impossible alignments: loss 0 and no gradient
            losses = np.where(np.isinf(losses), 0.0, losses)
        ctx.save_for_backward(backend.asarray(grads.astype(log_probs.dtype)))
        return backend.asarray(losses.astype(log_probs.dtype))

    @staticmethod
    def backward(ctx, g):
        if ag.is_grad_enabled():  # create_graph: the saved gradient is not differentiable
            raise RuntimeError("ctc_loss: the second derivative is not implemented (as in "
                               "PyTorch); differentiate it with create_graph=False")
        (grads,) = ctx.saved_tensors
        return (grads * g.reshape(1, -1, 1),) + (None,) * 5


def ctc_loss(log_probs: Tensor, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss, as ``torch.nn.functional.ctc_loss``.

    log_probs (T, N, C) (or unbatched (T, C)): log-softmax outputs over C classes.
    targets: (N, S) padded, or the concatenation of all targets (sum(target_lengths),).
    input_lengths, target_lengths: (N,) ints (Tensors, lists or tuples).
    'mean' divides each loss by its target length, then averages over the batch.
    The gradient is exact for ``log_probs`` as given; through ``log_softmax`` it equals
    PyTorch's (whose formula assumes normalised inputs).
    """
    op = "ctc_loss"
    _check_float(log_probs, "log_probs", op)
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3:
        raise ValueError(f"{op}: expected log_probs (T, N, C) or (T, C), got "
                         f"{tuple(log_probs.shape)}")
    t_max, n, c = lp.shape

    def host_ints(v, name):
        arr = np.asarray(v.numpy() if isinstance(v, Tensor) else v).astype(np.int64)
        return arr.reshape(-1) if name != "targets" else arr

    tgt = host_ints(targets, "targets")
    in_len, tg_len = host_ints(input_lengths, "input_lengths"), \
        host_ints(target_lengths, "target_lengths")
    if unbatched and tgt.ndim == 1 and len(tg_len) == 1 and tgt.shape[0] == tg_len[0]:
        tgt = tgt.reshape(1, -1)
    if in_len.shape != (n,) or tg_len.shape != (n,):
        raise ValueError(f"{op}: input_lengths and target_lengths must have {n} entries, got "
                         f"{in_len.shape} and {tg_len.shape}")
    if (in_len > t_max).any() or (in_len < 0).any():
        raise ValueError(f"{op}: input_lengths {in_len.tolist()} must be in [0, {t_max}]")
    if tgt.ndim == 2:
        if tgt.shape[0] != n or (tg_len > tgt.shape[1]).any():
            raise ValueError(f"{op}: padded targets {tgt.shape} do not fit batch {n} with "
                             f"target_lengths {tg_len.tolist()}")
        labels = [tgt[i, :tg_len[i]] for i in range(n)]
    else:
        if tgt.shape[0] != tg_len.sum():
            raise ValueError(f"{op}: concatenated targets have {tgt.shape[0]} entries but "
                             f"target_lengths sum to {int(tg_len.sum())}")
        labels = np.split(tgt, np.cumsum(tg_len)[:-1])
    for lab in labels:
        if ((lab < 0) | (lab >= c) | (lab == blank)).any():
            raise ValueError(f"{op}: targets must be class indices in [0, {c}) other than "
                             f"blank={blank}, got {lab.tolist()}")
    losses = CtcLoss.apply(lp, labels, in_len, tg_len, int(blank), bool(zero_infinity))
    if reduction == "mean":
        denom = wrap(lp.device.backend.xp.asarray(np.maximum(tg_len, 1).astype(lp.dtype)),
                      lp.device)
        return (losses / denom).mean()
    out = _reduce(losses, reduction, op)
    return out.squeeze(0) if unbatched and reduction == "none" else out
