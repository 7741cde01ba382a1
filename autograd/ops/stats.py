"""Norms, distances and statistics built on the reductions: ``norm dist cdist renorm
var_mean std_mean aminmax nansum nanmean nan_to_num diff trapezoid``."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..graph import Function
from ..recording import RECORDING, replayable
from ..tensor import Tensor, _wrap
from ._util import normalize_dim, normalize_dims
from .arithmetic import abs, sqrt, where
from .reduce import amax, amin, mean, std, sum, var
from .shape import cat, reshape, unsqueeze


class Norm2(Function):
    """The Euclidean norm over ``axes``. Its gradient ``x / norm`` is taken as 0 where
    the norm is 0 (as PyTorch), which the composition ``sqrt(sum(x * x))`` cannot do."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim, ctx.kept = axes, keepdim, x.sum(axis=axes, keepdims=True).shape
        ctx.save_for_backward(x)
        return ctx.device.backend.xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        n = sqrt((x * x).sum(ctx.axes, keepdim=True))  # recomputed: differentiable again
        if not ctx.keepdim:
            g = reshape(g, ctx.kept)
        return g * x / where(n == 0, 1.0, n), None, None


def _float(x: Tensor) -> Tensor:
    return x if x.array.dtype.kind in "fc" else x.to(dtypes.get_default_dtype())


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector ``p``-norm over ``dim`` (all elements when None): ``p`` is a number,
    ``inf``, ``-inf``, or ``"fro"`` (2)."""
    if dtype is not None:
        x = x.to(dtype)
    x = _float(x)
    if isinstance(p, str) and p != "fro":
        raise ValueError(f"norm: p={p!r} is not a vector norm; use 'fro' or a number "
                         "(matrix norms such as 'nuc' are in linalg.matrix_norm)")
    p = 2.0 if p in ("fro", None) else float(p)
    axes = normalize_dims(dim, x.array.ndim, "norm") if x.array.ndim else None
    if p == 2:
        return Norm2.apply(x, axes, keepdim)
    if p == math.inf:
        return amax(abs(x), axes, keepdim)
    if p == -math.inf:
        return amin(abs(x), axes, keepdim)
    if p == 0:
        return sum((x != 0).to(x.array.dtype), axes, keepdim)
    if p == 1:
        return sum(abs(x), axes, keepdim)
    return sum(abs(x) ** p, axes, keepdim) ** (1.0 / p)


def dist(a: Tensor, b: Tensor, p=2) -> Tensor:
    """``norm(a - b, p)`` (the inputs broadcast)."""
    return norm(a - b, p)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """Pairwise ``p``-norm distances between the rows of ``x1 (.., P, M)`` and ``x2
    (.., R, M)``: shape ``(.., P, R)``."""
    if x1.array.ndim < 2 or x2.array.ndim < 2 or x1.array.shape[-1] != x2.array.shape[-1]:
        raise RuntimeError(f"cdist: expected (.., P, M) and (.., R, M) tensors, got "
                           f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if p < 0:
        raise RuntimeError(f"cdist: p must be non-negative, got {p}")
    diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)  # (.., P, R, M)
    return norm(diff, p, -1)


def renorm(x: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Scale each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` down to norm
    ``maxnorm`` (the others unchanged)."""
    d = normalize_dim(dim, x.array.ndim, "renorm")
    others = tuple(i for i in range(x.array.ndim) if i != d)
    n = norm(x, p, others, keepdim=True)
    return x * where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)


VarMean = namedtuple("var_mean", ["var", "mean"])
StdMean = namedtuple("std_mean", ["std", "mean"])
MinMax = namedtuple("aminmax", ["min", "max"])


def var_mean(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over ``dim``, as ``var`` and ``mean`` give them."""
    return VarMean(var(x, dim, unbiased, keepdim, correction=correction),
                   mean(x, dim, keepdim))


def std_mean(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over ``dim``."""
    return StdMean(std(x, dim, unbiased, keepdim, correction=correction),
                   mean(x, dim, keepdim))


def aminmax(x: Tensor, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (all elements when None)."""
    return MinMax(amin(x, dim, keepdim), amax(x, dim, keepdim))


def nansum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``sum`` treating NaN as zero (NaN elements get no gradient)."""
    if x.array.dtype.kind == "f":
        x = where(x.isnan(), 0.0, x)
    return sum(x, dim, keepdim, dtype=dtype)


def nanmean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``mean`` of the non-NaN elements (NaN where there are none)."""
    if dtype is not None:
        x = x.to(dtype)
    if x.array.dtype.kind != "f":
        raise TypeError(f"nanmean: expected a floating input, got {x.dtype}")
    count = sum((~x.isnan()).to(x.array.dtype), dim, keepdim)
    with np.errstate(invalid="ignore"):  # an all-NaN slice is 0 / 0: NaN, as PyTorch
        return nansum(x, dim, keepdim) / count


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's
    largest and lowest values by default); the gradient passes where ``x`` is finite."""
    if x.array.dtype.kind != "f":
        return x.clone()
    info = np.finfo(x.array.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    xp = x.device.backend.xp
    fill = xp.where(xp.isnan(x.array), nan, xp.where(x.array > 0, posinf, neginf))
    return where(x.isfinite(), x, _wrap(fill.astype(x.array.dtype), x.device))


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """``n``-th forward difference along ``dim``, after joining ``prepend`` and
    ``append`` (bool tensors use ``!=``)."""
    d = normalize_dim(dim, x.array.ndim, "diff")
    parts = [t for t in (prepend, x, append) if t is not None]
    if len(parts) > 1:
        x = cat([_along(t, x, d) for t in parts], d)
    for _ in range(n):
        m = x.array.shape[d]
        hi = x[(slice(None),) * d + (slice(1, m),)]
        lo = x[(slice(None),) * d + (slice(0, max(m - 1, 0)),)]
        x = (hi != lo) if x.array.dtype.kind == "b" else hi - lo
    return x


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _along(t, x, d):
    """A prepend/append value as a tensor shaped like ``x`` except along ``d``."""
    if isinstance(t, Tensor) and t.array.ndim == x.array.ndim:
        return t
    shape = list(x.array.shape)
    shape[d] = 1
    xp = x.device.backend.xp
    return _wrap(xp.broadcast_to(xp.asarray(t.array if isinstance(t, Tensor) else t,
                                            dtype=x.array.dtype), shape), x.device)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: spacing ``dx`` (1 by default) or the sample
    points ``x`` (1-D, or ``y``'s shape)."""
    d = normalize_dim(dim, y.array.ndim, "trapezoid")
    m = y.array.shape[d]
    pre = (slice(None),) * d
    avg = (y[pre + (slice(1, m),)] + y[pre + (slice(0, max(m - 1, 0)),)]) * 0.5
    if x is None:
        return sum(avg, d) * (1.0 if dx is None else dx)
    spacing = diff(x, dim=-1 if x.array.ndim == 1 else d)
    if x.array.ndim == 1:
        view = [1] * y.array.ndim
        view[d] = max(m - 1, 0)
        spacing = reshape(spacing, tuple(view))
    return sum(avg * spacing, d)


trapz = trapezoid


# --- covariance, correlation, quantiles --------------------------------------------------


def cov(x: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance matrix of the variables in the rows of ``x`` (observations in the
    columns; a 1-D ``x`` is one variable), with optional integer frequency weights and
    observation weights, as ``torch.cov``."""
    if x.array.ndim > 2:
        raise RuntimeError(f"cov: expected a tensor of at most 2 dimensions, got shape "
                           f"{tuple(x.shape)}")
    from .arithmetic import clamp

    x = _float(x)
    obs = reshape(x, (1, -1)) if x.array.ndim < 2 else x  # (vars, n)
    n = obs.array.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.array.ndim != 1 or wt.array.shape[0] != n:
            raise RuntimeError(f"cov: {name} must be 1-D with {n} entries, got shape "
                               f"{tuple(wt.shape)}")
        if name == "fweights" and wt.array.dtype.kind not in "iu":
            raise RuntimeError(f"cov: fweights must be integers, got {wt.dtype}")
        if bool((wt.array < 0).any()):
            raise RuntimeError(f"cov: {name} must be non-negative")
        wt = wt.to(x.array.dtype)
        w = wt if w is None else w * wt
    if w is None:
        avg = mean(obs, 1, keepdim=True)
        factor = n - correction
        centered = obs - avg
        c = centered @ centered.mT
    else:
        w_sum = sum(w)
        avg = sum(obs * w, 1, keepdim=True) / w_sum
        if correction == 0:
            factor = w_sum
        elif aweights is None:
            factor = w_sum - correction
        else:
            factor = w_sum - correction * sum(w * aweights.to(x.array.dtype)) / w_sum
        centered = obs - avg
        c = (centered * w) @ centered.mT
    # PyTorch divides by max(0, factor): inf (NaN where c is 0) without degrees of freedom
    factor = max(factor, 0) if isinstance(factor, int) else clamp(factor, min=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = c / factor
    # one variable gives a 0-d result, also from a (1, n) input (PyTorch squeezes)
    return reshape(out, ()) if obs.array.shape[0] == 1 else out


def corrcoef(x: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``x`` (values clipped to
    [-1, 1], as PyTorch)."""
    from .arithmetic import clamp

    c = cov(x)
    if c.array.ndim == 0:
        return c / c
    d = sqrt(c.diagonal())
    return clamp(c / unsqueeze(d, 1) / unsqueeze(d, 0), -1.0, 1.0)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan, op):
    from .sorting import sort

    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating input, got {x.dtype}")
    xp = x.device.backend.xp
    qs = q.array if isinstance(q, Tensor) else xp.asarray(q, dtype=np.float64)
    if qs.ndim > 1 or bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError(f"{op}: q must be a number or a 1-D tensor with values in [0, 1]")
    in_shape = x.array.shape
    if dim is None:
        x, d = reshape(x, -1), 0
    else:
        d = normalize_dim(dim, x.array.ndim, op) if x.array.ndim else 0
        if x.array.ndim == 0:
            x = reshape(x, 1)
    n = x.array.shape[d]
    if n == 0:
        raise RuntimeError(f"{op}: the input is empty along dimension {d}")
    s = sort(x, d).values  # NaN sorts last
    outs = []
    for qv in qs.reshape(-1).tolist():
        lo, hi, weight, bad = _quantile_pos(xp, x.array, d, qv, ignore_nan, interpolation)
        v_lo = _take(s, d, lo)
        v_hi = _take(s, d, hi)
        out = v_lo if interpolation in ("lower", "higher", "nearest") else \
            v_lo + (v_hi - v_lo) * (0.5 if interpolation == "midpoint" else
                                    _wrap(weight, x.device))
        # while ag.compile records, the mask is applied whatever it holds (a replay
        # cannot branch on the data; where(False, nan, out) is out, bit for bit)
        if RECORDING.rec is not None or bool(bad.any()):
            out = where(_wrap(bad, x.device), float("nan"), out)
        outs.append(out)
    from .shape import squeeze, stack

    if keepdim:  # a 0-d input stays 0-d, as PyTorch
        outs = [reshape(o, (1,) * len(in_shape)) if dim is None or not in_shape else o
                for o in outs]
    else:
        outs = [squeeze(o, d) if dim is not None else reshape(o, ()) for o in outs]
    return outs[0] if qs.ndim == 0 else stack(outs, 0)


def _take(s: Tensor, d: int, pos):
    from .gather import gather

    return gather(s, d, _wrap(pos, s.device))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _quantile_pos(xp, a, d: int, qv: float, ignore_nan: bool, interpolation: str):
    """For the ``qv`` quantile of ``a`` along ``d`` (kept as 1): the sorted positions
    below and above it (int64), the interpolation weight (``a``'s dtype) and where the
    result is NaN (bool)."""
    n = a.shape[d]
    nan_count = xp.isnan(a).sum(axis=d, keepdims=True)
    valid = (n - nan_count) if ignore_nan else xp.full(nan_count.shape, n)
    rank = qv * xp.maximum(valid - 1, 0)
    lo, hi = xp.floor(rank), xp.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = xp.round(rank)  # half to even, as PyTorch
    weight = (rank - lo).astype(a.dtype)
    bad = (valid == 0) if ignore_nan else (nan_count > 0)
    return lo.astype(np.int64), hi.astype(np.int64), weight, xp.asarray(bad)


def quantile(x: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (a number or a 1-D tensor in [0, 1]) of ``x`` along ``dim``
    (all elements when None); a 1-D ``q`` adds a leading dimension. NaN propagates."""
    return _quantile(x, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(x: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaN (NaN only where a slice has no other value)."""
    return _quantile(x, q, dim, keepdim, interpolation, True, "nanquantile")
