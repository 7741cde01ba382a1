"""Loss functions with PyTorch's formulas, defaults and reductions.

``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (per-element losses).
``cross_entropy`` with class-index targets is one graph node whose gradient is a
Function (softmax minus the target weights, on arrays) that is itself differentiable,
so it is fast, stable for logits of any magnitude, and twice differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import dtypes
from autograd.extend import (
    Function,
    OutForm,
    Tensor,
    plain_backward,
    register_out_form,
    replayable,
    wrap,
)
from autograd.ops import abs, clamp, log, log1p, log_softmax, sigmoid, softmax, where
from autograd.ops.arithmetic import stable_softplus
from autograd.ops.indexing import IndexAddInto
from backends import DeviceMismatchError

from . import _loss_kernels
from .activation import Softplus

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "soft_margin_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_device(t: Tensor, input: Tensor, op: str, what: str) -> None:
    """A loss's target or weight must be on its input's device, as for every op."""
    if t.device is not input.device:
        raise DeviceMismatchError(
            f"{op}: {what} is on {t.device} but input is on {input.device} (shapes "
            f"{tuple(t.shape)} and {tuple(input.shape)}); move it with .to({str(input.device)!r})"
        )


def _as_tensor_like(target, input: Tensor, op: str, what: str = "target") -> Tensor:
    if isinstance(target, Tensor):
        _same_device(target, input, op, what)
        return target
    return Tensor(target, dtype=input.dtype, device=input.device)


def _pointwise_args(input, target, op: str, reduction: str):
    """Check a pointwise loss's input and target: same shape, floating."""
    _check_reduction(reduction, op)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    target = _as_tensor_like(target, input, op)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} "
            "differ; they must match (reshape one of them, e.g. target.view(-1, 1)), since "
            "broadcasting here is almost always a bug"
        )
    if input.array.dtype.kind != "f":
        input = input.to(dtypes.get_default_dtype())
    if target.array.dtype != input.array.dtype:
        target = target.to(input.dtype)  # e.g. float64 NumPy targets for a float32 model
    return input, target


# --- regression ----------------------------------------------------------------------


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input - target)^2. input, target: same shape (*). Returns a scalar, or (*) for
    ``reduction="none"``."""
    input, target = _pointwise_args(input, target, "mse_loss", reduction)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|input - target|. input, target: same shape (*)."""
    input, target = _pointwise_args(input, target, "l1_loss", reduction)
    return _reduce(abs(input - target), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target);
    ``beta=0`` is the L1 loss. input, target: same shape (*)."""
    input, target = _pointwise_args(input, target, "smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    ad = abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    loss = where(ad.detach() < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). input, target: (*)."""
    input, target = _pointwise_args(input, target, "huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    ad = abs(d)
    loss = where(ad.detach() < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


# --- classification with class indices ------------------------------------------------


def _class_layout(input: Tensor, target: Tensor, op: str):
    """Bring (N, C, d1, ...) input and (N, d1, ...) target to (M, C) and (M,).

    Returns ``(input2d, target_array, target_shape)``.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(target, Tensor):
        target = Tensor(target, device=input.device)
    _same_device(target, input, op, "target")
    if target.array.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be an integer tensor, got dtype "
            f"{target.dtype} (shape {tuple(target.shape)}); for class probabilities pass a "
            "floating target of the input's shape"
        )
    shape, tshape = tuple(input.shape), tuple(target.shape)
    if input.ndim == 0:  # PyTorch: "Expected 1 or more dimensions (got 0)"
        raise ValueError(f"{op}: expected an input of shape (C,) or (N, C, d1, ...) (1 or "
                         f"more dimensions), got a 0-d input")
    if input.ndim == 1:
        if tshape != ():
            raise ValueError(f"{op}: input of shape {shape} (unbatched) needs a 0-d target, "
                             f"got shape {tshape}")
        return input.reshape(1, shape[0]), target.array.reshape(1), tshape
    if tshape != (shape[0],) + shape[2:]:
        raise ValueError(
            f"{op}: input of shape {shape} (N, C, d1, ...) expects a target of shape "
            f"{(shape[0],) + shape[2:]} (N, d1, ...), got {tshape}"
        )
    if input.ndim > 2:  # classes last, then rows
        perm = (0,) + tuple(range(2, input.ndim)) + (1,)
        x2 = input.permute(*perm).reshape(-1, shape[1])
    else:
        x2 = input
    return x2, target.array.reshape(-1), tshape


class _Buffers:
    """Where the cross-entropy array code below puts its intermediates. ``_FRESH`` (an
    ordinary forward): every attribute None, so each op allocates its result and the
    scalar operands stay Python numbers. ``_Buffers(m, c, dtype, tdtype)`` (ag.compile's
    out-forms, NumPy): arrays allocated once for (m, c) logits of ``dtype`` and targets
    of ``tdtype``, reused by every call; a scalar operand lives in a 0-d array of its
    operand's dtype (a ufunc makes an array of a Python number on every call; under
    NumPy's promotion the 0-d array gives the same bits)."""

    __slots__ = ("mx", "shifted", "s", "log_s", "picked", "loss", "scaled", "idx",
                 "starts", "invalid", "valid", "lo", "hi", "wrow", "total", "factor",
                 "ign", "zero")

    def __init__(self, m=None, c=None, dtype=None, tdtype=None, ignore_index=0, rows=False):
        """``rows``: also the (m, c) scratch of the row losses."""
        if m is None:
            for name in self.__slots__:
                setattr(self, name, None)
            return
        e = np.empty
        self.mx, self.shifted = e((m, 1), dtype), e((m, c), dtype) if rows else None
        self.s, self.log_s, self.picked = e(m, dtype), e(m, dtype), e(m, dtype)
        self.loss, self.scaled, self.wrow = e(m, dtype), e((m, 1), dtype), e(m, dtype)
        self.idx, self.starts = e(m, np.intp), np.arange(0, m * c, c, dtype=np.intp)
        self.invalid, self.valid = e(m, bool), e(m, bool)
        self.lo, self.hi, self.total, self.factor = e((), np.intp), e((), np.intp), \
            e((), dtype), e((), dtype)
        self.ign, self.zero = np.asarray(ignore_index, tdtype), np.zeros((), np.intp)


_FRESH = _Buffers()


def _target_index(xp, a, t, w):
    """The flat indices of ``a[i, t[i]]`` in the (M, C) array ``a`` (t in range)."""
    m, c = a.shape
    starts = xp.arange(0, m * c, c) if w.starts is None else w.starts
    return xp.add(starts, t, out=w.idx)


def _take(flat, idx, out):
    """``flat[idx]``, into ``out`` when given (indices checked already: no buffering)."""
    return flat.take(idx) if out is None else flat.take(idx, out=out, mode="clip")


def _row_arrays(xp, c, dtype, t, wc, ignore_index, op, reduction, eps, w=_FRESH,
                safe=None, coef=None):
    """From the class-index targets ``t`` (M,): the targets made safe to index (ignored
    rows 0; any other out of [0, c) raises), each row's coefficient ``(1 - eps) *
    weight / total`` and the label-smoothing coefficients (None when ``eps`` is 0).
    ``wc``: the (C,) class weights or None. ``safe``, ``coef``: buffers (ag.compile)."""
    if xp is np and wc is None and eps == 0:  # the fused loop (see _loss_kernels)
        fused = _loss_kernels.row_terms(t, ignore_index, c, reduction == "mean", dtype, safe,
                                        coef)
        if fused is not None:
            _check_targets(fused[2], fused[3], c, op, ignore_index)
            return fused[0], fused[1], None
    m = t.shape[0]
    invalid = xp.equal(t, ignore_index if w.ign is None else w.ign, out=w.invalid)
    valid = xp.logical_not(invalid, out=w.valid)
    if safe is None:
        safe = t.astype(np.intp)  # row * C + safe indexes the flat logits
    else:
        xp.copyto(safe, t)
    xp.copyto(safe, 0 if w.zero is None else w.zero, where=invalid)
    if m:
        _check_targets(int(safe.min(out=w.lo)), int(safe.max(out=w.hi)), c, op, ignore_index)
    if wc is not None:
        wrow = wc[safe] * valid
    elif w.wrow is None:
        wrow = valid.astype(dtype)
    else:
        wrow = w.wrow
        xp.copyto(wrow, valid)
    scale = _scale(wrow.sum(out=w.total)) if reduction == "mean" else 1.0
    factor = (1.0 - eps) * scale
    if w.factor is not None:
        w.factor[...] = factor
        factor = w.factor
    coef = xp.multiply(wrow, factor, out=coef).astype(dtype, copy=False)
    smooth = None
    if eps > 0:
        smooth = (valid.astype(dtype) * (eps / c * scale)).astype(dtype)
    return safe, coef, smooth


def _check_targets(lo: int, hi: int, c: int, op: str, ignore_index: int) -> None:
    """Refuse targets (the smallest and largest after ignored rows became 0) outside
    [0, c)."""
    if lo < 0 or hi >= c:
        raise IndexError(f"{op}: target {hi if hi >= c else lo} is out of bounds for "
                         f"{c} classes (ignore_index={ignore_index})")


@replayable  # ag.compile: the targets are prepared again (from the new ones) on replay
def _row_terms(x2: Tensor, target: Tensor, weight, ignore_index: int, op: str,
               reduction: str, eps: float):
    """The arrays the row losses need from the class-index ``target``: the targets made
    safe to index, each row's coefficient ``(1 - eps) * weight / total``, the label
    smoothing coefficients (None when ``eps`` is 0) and the class weights (or None)."""
    c = x2.shape[1]
    wc = None if weight is None else _class_weight(weight, x2, c, op)
    safe, coef, smooth = _row_arrays(x2.device.backend.xp, c, x2.array.dtype,
                                     target.array.reshape(-1), wc, ignore_index, op,
                                     reduction, eps)
    return safe, coef, smooth, wc


@register_out_form(_row_terms)
def _row_terms_form(site):
    x2, target, weight, ignore_index, op, reduction, eps = site.args
    t = target.array
    if weight is not None or eps != 0 or site.kwargs or t.dtype.kind != "i" or \
            not site.contiguous(t) or x2.array.dtype.kind != "f":
        return None
    c, dtype = x2.shape[1], x2.array.dtype
    w = _Buffers(t.size, c, dtype, t.dtype, ignore_index)

    def row_terms(target, safe, coef):
        _row_arrays(np, c, dtype, target.reshape(-1), None, ignore_index, op, reduction, 0.0,
                    w, safe, coef)
        return None, None  # the smoothing coefficients and class weights

    return OutForm(row_terms, (1,), (("out", 0), ("out", 1)), raw=(1,))


def _class_weight(weight, x2: Tensor, c: int, op: str):
    if isinstance(weight, Tensor):
        _same_device(weight, x2, op, "weight")
    w = weight.array if isinstance(weight, Tensor) else x2.device.backend.xp.asarray(weight)
    if tuple(w.shape) != (c,):
        raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got "
                         f"{tuple(w.shape)}")
    return w.astype(x2.dtype, copy=False)


def _scale(denominator) -> float:
    d = float(denominator)
    return 1.0 / d if d != 0 else math.nan  # all rows ignored gives nan, as in PyTorch


class CrossEntropyRows(Function):
    """Weighted cross entropy of logits against class indices, one node.

    loss_i = -coef_i logp[i, t_i] - smooth_i * sum_c wc_c logp[i, c]
    Returns the per-row losses (M,), or their sum when ``total``; the gradient is
    ``CrossEntropyGrad``.
    """

    @staticmethod
    def forward(ctx, x, t, coef, smooth, wc, total):
        # the softmax, kept for the plain backward's array code
        out, ctx.p = _ce_rows_arrays(ctx.device.backend.xp, x, t, coef, smooth, wc, total)
        ctx.t, ctx.coef, ctx.smooth, ctx.wc = t, coef, smooth, wc
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g):
        if plain_backward():  # CrossEntropyGrad's array code, without its node
            ctx.saved_arrays()  # checks that x was not changed in place since
            dx = wrap(_ce_grad_arrays(ctx.device.backend.xp, g.array, ctx.p, ctx.t,
                                      ctx.coef, ctx.smooth, ctx.wc), ctx.device)
        else:
            (x,) = ctx.saved_tensors
            dx = CrossEntropyGrad.apply(x, g, ctx.p, ctx.t, ctx.coef, ctx.smooth, ctx.wc)
        return dx, None, None, None, None, None


class CrossEntropyGrad(Function):
    """d loss / d x of ``CrossEntropyRows`` times g, in one pass over (M, C) on arrays:

    g_i (p_ij (coef_i + smooth_i sum(wc)) - coef_i [j = t_i] - smooth_i wc_j)

    ``p`` is softmax(x) kept from the forward. Its backward differentiates this formula
    (in x through the softmax, and in g, in which it is linear).
    """

    @staticmethod
    def forward(ctx, x, g, p, t, coef, smooth, wc):
        ctx.p, ctx.t, ctx.coef, ctx.smooth, ctx.wc = p, t, coef, smooth, wc
        ctx.save_for_backward(x, g)
        return _ce_grad_arrays(ctx.device.backend.xp, g, p, t, coef, smooth, wc)

    @staticmethod
    def backward(ctx, gg):
        x, g = ctx.saved_tensors
        p = softmax(x, 1)  # a function of x again, so this is differentiable too
        coef, smooth, wc = ctx.coef, ctx.smooth, ctx.wc
        row_total = _row_total(coef, smooth, wc, p.shape[1])
        dx = dg = None
        if ctx.needs_input_grad[0]:  # through p: the softmax's backward of gg * g * total
            ga = gg * (g.reshape(-1, 1) * row_total[:, None])
            dx = p * (ga - (ga * p).sum(1, keepdim=True))
        if ctx.needs_input_grad[1]:  # the formula is linear in g
            rows = ctx.device.backend.xp.arange(p.shape[0])
            dg = (gg * p).sum(1) * row_total - gg[rows, ctx.t] * coef
            if smooth is not None:
                dg = dg - (gg.sum(1) if wc is None else gg @ wc) * smooth
            if g.ndim == 0:
                dg = dg.sum()
        return dx, dg, None, None, None, None, None


def _row_total(coef, smooth, wc, c):
    """coef_i + smooth_i sum(wc): the weight each row's softmax carries in the gradient."""
    if smooth is None:
        return coef
    return coef + smooth * (c if wc is None else wc.sum())


# --- the array code of CrossEntropyRows and CrossEntropyGrad, written once: their
# forwards call it with fresh results (_FRESH), their out-forms (ag.compile's replay,
# NumPy, no smoothing, no class weights) with buffers planned once


def _ce_rows_arrays(xp, x, t, coef, smooth, wc, total, w=_FRESH, out=None, p=None):
    """The row losses ``coef_i (log sum_c exp x_ic - x_it)`` (minus the smoothing term),
    or their sum when ``total``, and the softmax of ``x``; into ``out`` and ``p`` when
    given. Returns ``(loss, p)``."""
    if xp is np and smooth is None and wc is None:  # the fused loop (see _loss_kernels)
        fused = _loss_kernels.rows(x, t, coef, w.loss if total else out, p)
        if fused is not None:
            loss, e = fused
            return (loss.sum(out=out) if total else loss), e
    m, c = x.shape
    shifted = xp.subtract(x, x.max(axis=1, keepdims=True, out=w.mx), out=w.shifted)
    e = xp.exp(shifted, out=p)
    s = e.sum(axis=1, out=w.s)
    log_s = xp.log(s, out=w.log_s)
    # logp = shifted - log_s, used only where needed (saves a pass over (M, C))
    picked = _take(shifted.reshape(-1), _target_index(xp, shifted, t, w), w.picked)
    d = xp.subtract(log_s, picked, out=picked)
    loss = xp.multiply(coef, d, out=out if smooth is None and not total else w.loss)
    if smooth is not None:
        if wc is None:
            lw = shifted.sum(axis=1) - c * log_s
        else:
            lw = shifted @ wc - wc.sum() * log_s
        loss = loss - smooth * lw
    if total:
        loss = loss.sum(out=out)
    xp.divide(e, s[:, None], out=e)
    return loss.astype(x.dtype, copy=False), e


def _ce_grad_arrays(xp, g, p, t, coef, smooth, wc, w=_FRESH, out=None):
    """``g_i (p_ij (coef_i + smooth_i sum(wc)) - coef_i [j = t_i] - smooth_i wc_j)``,
    into ``out`` when given."""
    if xp is np and smooth is None and wc is None:  # the fused loop (see _loss_kernels)
        fused = _loss_kernels.grad(g, p, t, coef, out)
        if fused is not None:
            return fused
    m, c = p.shape
    gr = g.reshape(-1, 1)  # (1, 1) for a total, (M, 1) per row
    scaled = xp.multiply(gr, _row_total(coef, smooth, wc, c)[:, None], out=w.scaled)
    grad = xp.multiply(p, scaled, out=out)
    pick = scaled if smooth is None else gr * coef[:, None]  # coef alone is the total
    flat, idx = grad.reshape(-1), _target_index(xp, grad, t, w)
    picked = _take(flat, idx, w.picked)
    flat.put(idx, xp.subtract(picked, pick.reshape(-1), out=picked))  # one target a row
    if smooth is not None:
        grad -= (gr * smooth[:, None]) * (1.0 if wc is None else wc)
    return grad.astype(p.dtype, copy=False)


@register_out_form(CrossEntropyRows)
def _ce_rows_form(site):
    x, t, coef, smooth, wc, total = site.args
    if smooth is not None or wc is not None or x.ndim != 2 or not site.contiguous(x) or \
            x.dtype.kind != "f" or coef.dtype != x.dtype or set(site.saved) - {0} or \
            set(site.attrs) - {"p"}:
        return None
    w = _Buffers(x.shape[0], x.shape[1], x.dtype, t.dtype, rows=True)

    def rows(x, t, coef, out, p):
        _ce_rows_arrays(np, x, t, coef, None, None, total, w, out, p)

    if "p" not in site.attrs:  # no backward reads the softmax: a scratch buffer
        p = np.empty_like(x)
        return OutForm(lambda x, t, coef, out: rows(x, t, coef, out, p), (0, 1, 2),
                       aliases={0: 0})
    return OutForm(rows, (0, 1, 2), (("out", 0), ("attr", "p")), aliases={0: 0})


@register_out_form(CrossEntropyGrad)
def _ce_grad_form(site):
    x, g, p, t, coef, smooth, wc = site.args
    if smooth is not None or wc is not None or p.ndim != 2 or not site.contiguous(p) or \
            set(site.saved) - {0, 1} or coef.dtype != p.dtype or g.dtype != p.dtype or \
            g.reshape(-1).shape[0] not in (1, p.shape[0]):
        return None
    w = _Buffers(p.shape[0], p.shape[1], p.dtype, t.dtype)

    def ce_grad(g, p, t, coef, grad):
        _ce_grad_arrays(np, g, p, t, coef, None, None, w, grad)

    return OutForm(ce_grad, (1, 2, 3, 4), aliases={0: 0, 1: 1})


# the names these Functions had before they became public (kept for one release)
_CrossEntropyRows = CrossEntropyRows


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits and targets (log_softmax over dim 1, then NLL).

    input: (N, C), (N, C, d1, ...) or (C,) logits.
    target: class indices of shape (N,), (N, d1, ...) or () (integer), or class
        probabilities of the input's shape (floating).
    weight: (C,) per-class weights. ignore_index: rows with this target add nothing and
        are left out of the mean. label_smoothing: eps in [0, 1]; the target becomes
        (1 - eps) * one_hot + eps / C.
    Returns a scalar, or the per-element losses (N, d1, ...) for ``reduction="none"``.
    With ``"mean"`` and class indices the sum is divided by the total weight of the
    counted rows, as in PyTorch.
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"{op}: input (logits) must be floating, got {input.dtype}")
    if not isinstance(target, Tensor):
        target = Tensor(target, device=input.device)
    if target.array.dtype.kind == "f":
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    x2, _, tshape = _class_layout(input, target, op)
    safe, coef, smooth, wc = _row_terms(x2, target, weight, ignore_index, op, reduction,
                                        float(label_smoothing))
    out = CrossEntropyRows.apply(x2, safe, coef, smooth, wc, reduction != "none")
    if reduction == "mean" and not x2.shape[0]:
        out = out * math.nan  # the mean of an empty batch is NaN, as PyTorch's
    return out.reshape(tshape) if reduction == "none" else out


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    op = "cross_entropy"
    _same_device(target, input, op, "target")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: probability targets must have the input's shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    dim = 0 if input.ndim == 1 else 1
    c = input.shape[dim]
    if label_smoothing > 0:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    logp = log_softmax(input, dim)
    prod = logp * target
    if weight is not None:
        w = _class_weight(weight, input, c, op)
        prod = prod * w.reshape((c,) + (1,) * (input.ndim - dim - 1))
    loss = -prod.sum(dim)
    return _reduce(loss, reduction)


class NegPickRows(Function):
    """-coef_i * x[i, t_i] for each row, or their sum; the gradient scatters -coef."""

    @staticmethod
    def forward(ctx, x, t, coef, total):
        xp = ctx.device.backend.xp
        ctx.t, ctx.coef, ctx.shape = t, coef, x.shape
        loss = -coef * x[xp.arange(x.shape[0]), t]
        out = loss.sum() if total else loss
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.device.backend.xp
        n = ctx.shape[0]
        pick = (g.reshape(-1, 1) * -ctx.coef[:, None]).reshape(-1)
        if pick.shape[0] != n:
            pick = pick.expand(n)
        return IndexAddInto.apply(pick, (xp.arange(n), ctx.t), ctx.shape), None, None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: -weight[t] * input[n, t] for log-probabilities ``input``.

    input: (N, C), (N, C, d1, ...) or (C,); target: (N,), (N, d1, ...) or () integer
    class indices. ``"mean"`` divides by the total weight of the rows not equal to
    ``ignore_index``.
    """
    op = "nll_loss"
    _check_reduction(reduction, op)
    if not isinstance(input, Tensor) or input.array.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating Tensor of log-probabilities")
    if not isinstance(target, Tensor):
        target = Tensor(target, device=input.device)
    x2, _, tshape = _class_layout(input, target, op)
    safe, coef, _, _ = _row_terms(x2, target, weight, ignore_index, op, reduction, 0.0)
    out = NegPickRows.apply(x2, safe, coef, reduction != "none")
    if reduction == "mean" and not x2.shape[0]:
        out = out * math.nan  # the mean of an empty batch is NaN, as PyTorch's
    return out.reshape(tshape) if reduction == "none" else out


# --- binary classification ---------------------------------------------------------------


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) with each log clamped at -100 (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, t):
        xp = ctx.device.backend.xp
        with _quiet(xp):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(x, t)
        return (-(t * log_x + (1 - t) * log_1mx)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        nx, nt = ctx.needs_input_grad
        gx = gt = None
        if nx:
            gx = g * (x - t) / clamp((1.0 - x) * x, min=1e-12)
        if nt:  # rare (a target that requires grad): the logs again, as Tensor ops
            gt = g * (clamp(log1p(-x), min=-100.0) - clamp(log(x), min=-100.0))
        return gx, gt


class _quiet:
    """Silence divide-by-zero warnings of log(0) on NumPy (the result is clamped)."""

    def __init__(self, xp):
        self.ctx = xp.errstate(divide="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities ``input`` in [0, 1]; each log
    is clamped at -100 so x = 0 or 1 gives a finite loss. input, target: same shape
    (*); weight broadcasts to it."""
    input, target = _pointwise_args(input, target, "binary_cross_entropy", reduction)
    if input.array.size and bool(((input.array < 0) | (input.array > 1)).any()):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 "
            f"(got min {float(input.array.min())}, max {float(input.array.max())}); pass "
            "logits to binary_cross_entropy_with_logits instead"
        )
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * _as_tensor_like(weight, input, "binary_cross_entropy", "weight")
    return _reduce(loss, reduction)


class BCEWithLogits(Function):
    """(1 - t) x + lw * softplus(-x), lw = 1 + (pos_weight - 1) t; stable for any x."""

    @staticmethod
    def forward(ctx, x, t, pw):
        xp = ctx.device.backend.xp
        sp = stable_softplus(xp, -x)
        lw = 1.0 if pw is None else (pw - 1) * t + 1
        ctx.pw = pw
        ctx.save_for_backward(x, t)
        return ((1 - t) * x + lw * sp).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        pw = ctx.pw
        nx, nt, _ = ctx.needs_input_grad
        gx = gt = None
        if nx:
            s = sigmoid(x)
            if pw is None:
                gx = g * (s - t)
            else:
                lw = t * (pw - 1) + 1.0
                gx = g * ((s - 1.0) * lw + 1.0 - t)
        if nt:
            if pw is None:
                gt = -g * x
            else:
                sp = Softplus.apply(-x, 1.0, math.inf)
                gt = g * (sp * (pw - 1) - x)
        return gx, gt, None


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross entropy in one stable formula (finite for logits of
    magnitude 1e4). input, target: same shape (*); weight broadcasts to it;
    pos_weight: (C,) weights of the positive class, broadcast along the last dim."""
    op = "binary_cross_entropy_with_logits"
    input, target = _pointwise_args(input, target, op, reduction)
    pw = None
    if pos_weight is not None:
        if isinstance(pos_weight, Tensor):
            _same_device(pos_weight, input, op, "pos_weight")
        pw = pos_weight.array if isinstance(pos_weight, Tensor) else \
            input.device.backend.xp.asarray(pos_weight)
        pw = pw.astype(input.dtype, copy=False)
        try:
            np.broadcast_shapes(tuple(pw.shape), tuple(input.shape))
        except ValueError:
            raise ValueError(f"{op}: pos_weight of shape {tuple(pw.shape)} does not "
                             f"broadcast to the input shape {tuple(input.shape)}") from None
    loss = BCEWithLogits.apply(input, target, pw)
    if weight is not None:
        loss = loss * _as_tensor_like(weight, input, op, "weight")
    return _reduce(loss, reduction)


# --- others -----------------------------------------------------------------------------


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input), 0 where target is
    0. ``input`` holds log-probabilities. ``"batchmean"`` divides the sum by the batch
    size (the mathematically correct KL); ``"mean"`` by the number of elements."""
    op = "kl_div"
    batchmean = reduction == "batchmean"
    input, target = _pointwise_args(input, target, op, "sum" if batchmean else reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target.detach() > 0
        safe = where(pos, target, 1.0)
        loss = where(pos, target * (log(safe) - input), 0.0)
    if batchmean:
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)) for targets in {-1, 1}. input, target: (*)."""
    input, target = _pointwise_args(input, target, "soft_margin_loss", reduction)
    return _reduce(Softplus.apply(-(target * input), 1.0, math.inf), reduction)
