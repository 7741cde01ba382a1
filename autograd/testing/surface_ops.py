"""Registry entries for the tensor ops of issue 12 (sorting, scans, gather/scatter,
layout, products, statistics, elementwise math); see opinfo.py.

Index arguments are built on the device under test from fixed NumPy arrays, so the
gradient-check benchmark runs them on every backend. Values are drawn so no check
crosses a kink: distinct values for sorts and max-like reductions, quotients away from
integers for ``fmod``/``remainder``/``frac``.
"""

from __future__ import annotations

import numpy as np

import autograd as ag

from .opinfo import OpInfo, make_tensor, register


class Idx:
    """An integer (or bool) constant argument, made on the device under test."""

    def __init__(self, values, dtype=np.int64):
        self.values = np.asarray(values, dtype=dtype)


def _args(*specs):
    """``make_args`` from specs: a shape (a differentiable tensor in [-2, 2)), a dict
    ``{"shape", "low", "high", "away", "grad"}``, an :class:`Idx`, or a constant."""

    def make(rng, dtype, device):
        out = []
        for s in specs:
            if isinstance(s, tuple):
                out.append(make_tensor(rng, s, dtype, device))
            elif isinstance(s, dict):
                out.append(make_tensor(rng, s["shape"], dtype, device, s.get("low", -2.0),
                                       s.get("high", 2.0), s.get("grad", True),
                                       s.get("away", 0.0)))
            elif isinstance(s, Idx):
                out.append(ag.tensor(s.values, device=device))
            else:
                out.append(s)
        return tuple(out)

    return make


def _r(shape, low, high, grad=True):
    return {"shape": shape, "low": low, "high": high, "grad": grad}


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, _args(*specs), reference=reference, second_order=second_order,
                    group="surface", **kw))


# --- elementwise ------------------------------------------------------------------------
_UNARY = {
    "tan": (np.tan, _r((3, 4), -1.2, 1.2)),
    "asin": (np.arcsin, _r((3, 4), -0.9, 0.9)),
    "acos": (np.arccos, _r((3, 4), -0.9, 0.9)),
    "atan": (np.arctan, (3, 4)),
    "sinh": (np.sinh, (3, 4)),
    "cosh": (np.cosh, (3, 4)),
    "asinh": (np.arcsinh, (3, 4)),
    "acosh": (np.arccosh, _r((3, 4), 1.2, 3.0)),
    "atanh": (np.arctanh, _r((3, 4), -0.9, 0.9)),
    "log2": (np.log2, _r((3, 4), 0.3, 3.0)),
    "log10": (np.log10, _r((3, 4), 0.3, 3.0)),
    "exp2": (np.exp2, (3, 4)),
    "expm1": (np.expm1, (3, 4)),
    "deg2rad": (np.deg2rad, (3, 4)),
    "rad2deg": (np.rad2deg, (3, 4)),
    "frac": (lambda x: x - np.trunc(x), _r((3, 4), 0.1, 0.9)),
}
for _name, (_ref, _spec) in _UNARY.items():
    _op(_name, getattr(ag, _name), _spec, reference=_ref)
_op("tan/0d", ag.tan, _r((), -1.0, 1.0), reference=np.tan)

_op("fmod", ag.fmod, _r((3, 4), 0.1, 0.9), _r((4,), 1.5, 2.0), reference=np.fmod)
_op("remainder/negative", ag.remainder, _r((3, 4), -0.9, -0.1), _r((3, 1), 1.5, 2.0),
    reference=np.remainder)
_op("remainder/scalar", lambda a: a % 1.5, _r((3, 4), 0.1, 1.4),
    reference=lambda a: np.remainder(a, 1.5))
_op("hypot", ag.hypot, (3, 4), (4,), reference=np.hypot)
_op("atan2", ag.atan2, (3, 1), (4,), reference=np.arctan2)
_op("copysign", ag.copysign, {"shape": (3, 4), "away": 0.2}, {"shape": (3, 4), "away": 0.2},
    reference=np.copysign)
_op("logaddexp", ag.logaddexp, (3, 4), (2, 1, 4), reference=np.logaddexp)
_op("logaddexp2", ag.logaddexp2, (3, 4), (3, 4), reference=np.logaddexp2)
_op("lerp/scalar_weight", lambda a, b: ag.lerp(a, b, 0.3), (3, 4), (3, 4),
    reference=lambda a, b: a + 0.3 * (b - a))
_op("lerp/tensor_weight", ag.lerp, (3, 4), (4,), (3, 1),
    reference=lambda a, b, w: a + w * (b - a))
_SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf])  # column j of a (3, 4) input


def _with_specials(x):
    vals = ag.tensor(_SPECIAL, dtype=x.dtype, device=x.device)
    return ag.where(vals.isfinite(), x, vals)  # no gradient reaches the special entries


_op("nan_to_num", lambda x: ag.nan_to_num(_with_specials(x), 0.5), (3, 4),
    reference=lambda x: np.nan_to_num(np.where(np.isfinite(_SPECIAL), x, _SPECIAL), nan=0.5))


# --- sorting and scans ------------------------------------------------------------------
def _np_sort(x, axis=-1, descending=False):
    idx = np.argsort(-x if descending else x, axis=axis, kind="stable")
    return np.take_along_axis(x, idx, axis), idx


_op("sort", lambda x: x.sort(1)[0], (3, 4), reference=lambda x: np.sort(x, 1))
_op("sort/descending_dim0", lambda x: ag.sort(x, 0, descending=True).values, (3, 4),
    reference=lambda x: -np.sort(-x, 0))
_op("msort", ag.msort, (3, 4), reference=lambda x: np.sort(x, 0))
_op("topk", lambda x: ag.topk(x, 2).values, (3, 5), reference=lambda x: -np.sort(-x, 1)[:, :2])
_op("topk/smallest_dim0", lambda x: x.topk(2, 0, largest=False)[0], (4, 3),
    reference=lambda x: np.sort(x, 0)[:2])
_op("kthvalue/keepdim", lambda x: ag.kthvalue(x, 2, 1, keepdim=True).values, (3, 4),
    reference=lambda x: np.sort(x, 1)[:, 1:2])
_op("median/all", ag.median, (3, 5), reference=lambda x: np.sort(x.reshape(-1))[7])
_op("median/dim", lambda x: x.median(0).values, (4, 3), reference=lambda x: np.sort(x, 0)[1])
_op("nanmedian/dim", lambda x: x.nanmedian(1).values, (3, 5),
    reference=lambda x: np.sort(x, 1)[:, 2])
_op("mode", lambda x: ag.mode(ag.cat([x, x[:, :1]], 1)).values, (3, 4),
    reference=lambda x: x[:, 0])
_op("cumsum", lambda x: ag.cumsum(x, 1), (3, 4), reference=lambda x: np.cumsum(x, 1))
_op("cumprod", lambda x: x.cumprod(0), (4, 3), reference=lambda x: np.cumprod(x, 0))
_op("cumprod/with_zero", lambda x: ag.cumprod(
    x * ag.tensor([1.0, 0.0, 1.0, 1.0], dtype=x.dtype, device=x.device), 0), (4,),
    reference=lambda x: np.cumprod(x * np.array([1.0, 0, 1, 1])))
_op("cummax", lambda x: ag.cummax(x, 1).values, (3, 5),
    reference=lambda x: np.maximum.accumulate(x, 1))
_op("cummin", lambda x: x.cummin(0)[0], (5, 3), reference=lambda x: np.minimum.accumulate(x, 0))
_op("logcumsumexp", lambda x: ag.logcumsumexp(x, 1), (3, 4),
    reference=lambda x: np.logaddexp.accumulate(x, 1))


# --- gather and scatter -------------------------------------------------------------------
_I = Idx([[0, 2, 1], [2, 2, 0]])  # (2, 3), values < 3
_PERM = Idx([[2, 0, 1], [1, 2, 0]])  # no repeats within a column... of rows for scatter


def _np_scatter(x, dim, idx, src):
    out = x.copy()
    np.put_along_axis(out, idx, src[tuple(slice(0, n) for n in idx.shape)], dim)
    return out


def _np_scatter_reduce(x, dim, idx, src, reduce, include_self=True):
    out = x.copy()
    ufunc = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum,
             "mean": np.add}[reduce]
    key = [np.arange(n).reshape([-1 if i == j else 1 for j in range(idx.ndim)])
           for i, n in enumerate(idx.shape)]
    key[dim] = idx
    key = tuple(key)
    if not include_self:
        out[key] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    ufunc.at(out, key, src[tuple(slice(0, n) for n in idx.shape)])
    if reduce == "mean":
        count = np.zeros(x.shape) + (1 if include_self else 0)
        np.add.at(count, key, 1)
        out = out / np.maximum(count, 1)
    return out


_op("gather/dim1", lambda x, i: ag.gather(x, 1, i), (2, 4), _I,
    reference=lambda x, i: np.take_along_axis(x, i, 1))
_op("gather/dim0_smaller_index", lambda x, i: x.gather(0, i), (3, 4), _I,
    reference=lambda x, i: np.take_along_axis(x[:, :3], i, 0))
_op("scatter/src", lambda x, i, s: ag.scatter(x, 1, i, s), (2, 4), _PERM, (2, 4),
    reference=lambda x, i, s: _np_scatter(x, 1, i, s))
_op("scatter/value", lambda x, i: x.scatter(1, i, 0.5), (2, 4), _PERM,
    reference=lambda x, i: _np_scatter(x, 1, i, np.full(i.shape, 0.5)))
_op("scatter_add", lambda x, i, s: ag.scatter_add(x, 0, i, s), (3, 3), _I, (2, 3),
    reference=lambda x, i, s: _np_scatter_reduce(x, 0, i, s, "sum"))
for _red in ("sum", "prod", "mean", "amax", "amin"):
    for _incl in (True, False):
        _op(f"scatter_reduce/{_red}{'' if _incl else '_exclude_self'}",
            (lambda r, inc: lambda x, i, s: ag.scatter_reduce(x, 0, i, s, r,
                                                              include_self=inc))(_red, _incl),
            _r((3, 3), 0.5, 2.0), _I, _r((2, 3), 0.5, 2.0),
            reference=(lambda r, inc: lambda x, i, s: _np_scatter_reduce(x, 0, i, s, r, inc))(
                _red, _incl),
            )
_op("scatter_reduce/prod_with_zero", lambda x, i, s: ag.scatter_reduce(
    x, 0, i, s * ag.tensor([[1.0, 0, 1], [1, 1, 1]], dtype=s.dtype, device=s.device), "prod"),
    _r((3, 3), 0.5, 2.0), _I, _r((2, 3), 0.5, 2.0), second_order=False,
    reference=lambda x, i, s: _np_scatter_reduce(x, 0, i, s * np.array([[1.0, 0, 1], [1, 1, 1]]),
                                                 "prod"))
_op("index_select", lambda x, i: ag.index_select(x, 1, i), (2, 4), Idx([3, 0, 3]),
    reference=lambda x, i: x[:, i])
_op("index_add", lambda x, s, i: ag.index_add(x, 1, i, s, alpha=2.0), (2, 4), (2, 3),
    Idx([3, 0, 3]), reference=lambda x, s, i: _np_index_add(x, i, s * 2.0))
_op("take", lambda x, i: ag.take(x, i), (3, 4), Idx([[0, 11], [5, 5]]),
    reference=lambda x, i: x.reshape(-1)[i])
_op("take_along_dim/broadcast", lambda x, i: ag.take_along_dim(x, i, 1), (3, 4),
    Idx([[3, 0]]), reference=lambda x, i: np.take_along_axis(x, np.broadcast_to(i, (3, 2)), 1))
_op("masked_select", lambda x, m: ag.masked_select(x, m), (3, 4),
    Idx([True, False, True, True], bool), reference=lambda x, m: x[np.broadcast_to(m, x.shape)])
_op("masked_scatter", lambda x, m, s: x.masked_scatter(m, s), (2, 4),
    Idx([True, False, True, True], bool), (7,),
    reference=lambda x, m, s: _np_masked_scatter(x, m, s))


def _np_index_add(x, i, s):
    out = x.copy()
    np.add.at(out, (slice(None), i), s)
    return out


def _np_masked_scatter(x, m, s):
    out = x.copy()
    full = np.broadcast_to(m, x.shape)
    out[full] = s[:full.sum()]
    return out


# --- layout ---------------------------------------------------------------------------
_LAYOUT = [
    ("flip", lambda x: ag.flip(x, (0, 2)), (2, 3, 4), lambda x: x[::-1, :, ::-1]),
    ("fliplr", ag.fliplr, (2, 3), lambda x: x[:, ::-1]),
    ("roll", lambda x: x.roll((1, -1), (0, 2)), (2, 3, 4), lambda x: np.roll(x, (1, -1), (0, 2))),
    ("roll/flat", lambda x: ag.roll(x, 5), (3, 4), lambda x: np.roll(x, 5)),
    ("rot90", lambda x: ag.rot90(x, 1, (1, 2)), (2, 3, 4), lambda x: np.rot90(x, 1, (1, 2))),
    ("rot90/k3", lambda x: ag.rot90(x, 3), (3, 4), lambda x: np.rot90(x, 3)),
    ("repeat", lambda x: x.repeat(2, 1, 3), (3, 2), lambda x: np.tile(x, (2, 1, 3))),
    ("tile", lambda x: ag.tile(x, (2,)), (2, 3), lambda x: np.tile(x, (1, 2))),
    ("repeat_interleave/int", lambda x: ag.repeat_interleave(x, 2, 1), (2, 3),
     lambda x: np.repeat(x, 2, 1)),
    ("repeat_interleave/flat", lambda x: x.repeat_interleave(3), (2, 2),
     lambda x: np.repeat(x, 3)),
    ("narrow", lambda x: ag.narrow(x, 1, 1, 2), (2, 4), lambda x: x[:, 1:3]),
    ("unfold/tensor_windows", lambda x: x.unfold(1, 2, 1), (2, 4, 3),
     lambda x: np.lib.stride_tricks.sliding_window_view(x, 2, 1).copy()),
    ("diag/vector", lambda x: ag.diag(x, 1), (3,), lambda x: np.diag(x, 1)),
    ("diag/matrix", lambda x: ag.diag(x, -1), (3, 4), lambda x: np.diag(x, -1)),
    ("diag_embed", lambda x: ag.diag_embed(x), (2, 3),
     lambda x: np.stack([np.diag(r) for r in x])),
    ("diagonal", lambda x: ag.diagonal(x, 1, 1, 2), (2, 3, 4),
     lambda x: np.diagonal(x, 1, 1, 2)),
    ("tril", lambda x: ag.tril(x, -1), (2, 3, 4), lambda x: np.tril(x, -1)),
    ("triu", lambda x: x.triu(1), (3, 4), lambda x: np.triu(x, 1)),
    ("trace", ag.trace, (3, 4), np.trace),
    ("movedim", lambda x: ag.movedim(x, (0, 1), (2, 0)), (2, 3, 4),
     lambda x: np.moveaxis(x, (0, 1), (2, 0))),
    ("swapaxes", lambda x: x.swapaxes(0, 2), (2, 3, 4), lambda x: np.swapaxes(x, 0, 2)),
    ("atleast_3d", ag.atleast_3d, (3,), np.atleast_3d),
]
for _name, _fn, _shape, _ref in _LAYOUT:
    _op(_name, _fn, _shape, reference=_ref)
_op("repeat_interleave/counts", lambda x, r: ag.repeat_interleave(x, r, 0), (3, 2),
    Idx([1, 0, 2]), reference=lambda x, r: np.repeat(x, r, 0))
_op("outer", ag.outer, (3,), (4,), reference=np.outer)
_op("kron", ag.kron, (2, 3), (3, 2), reference=np.kron)
_op("cross", lambda a, b: ag.cross(a, b, dim=0), (3, 4), (3, 1),
    reference=lambda a, b: np.cross(a, b, axis=0))
_op("meshgrid/xy", lambda a, b: ag.meshgrid(a, b, indexing="xy"), (3,), (2,),
    reference=lambda a, b: tuple(np.meshgrid(a, b, indexing="xy")))
_op("cartesian_prod", ag.cartesian_prod, (3,), (2,),
    reference=lambda a, b: np.array([[x, y] for x in a for y in b]))
_op("broadcast_tensors", ag.broadcast_tensors, (3, 1), (4,),
    reference=lambda a, b: tuple(np.broadcast_arrays(a, b)))
_op("hstack", lambda a, b: ag.hstack([a, b]), (2, 3), (2, 1),
    reference=lambda a, b: np.hstack([a, b]))
_op("vstack", lambda a, b: ag.vstack([a, b]), (3,), (2, 3),
    reference=lambda a, b: np.vstack([a, b]))
_op("dstack", lambda a, b: ag.dstack([a, b]), (2, 3), (2, 3),
    reference=lambda a, b: np.dstack([a, b]))
_op("column_stack", lambda a, b: ag.column_stack([a, b]), (3,), (3, 2),
    reference=lambda a, b: np.column_stack([a, b]))


# --- products --------------------------------------------------------------------------
_op("mm", ag.mm, (3, 4), (4, 2), reference=np.matmul)
_op("bmm", ag.bmm, (2, 3, 4), (2, 4, 2), reference=np.matmul)
_op("mv", ag.mv, (3, 4), (4,), reference=np.matmul)
_op("dot", ag.dot, (4,), (4,), reference=np.dot)
_op("inner", ag.inner, (2, 4), (3, 4), reference=np.inner)
_op("tensordot", lambda a, b: ag.tensordot(a, b, ([2, 0], [0, 1])), (2, 3, 4), (4, 2),
    reference=lambda a, b: np.tensordot(a, b, ([2, 0], [0, 1])))
_op("chain_matmul", lambda a, b, c: ag.chain_matmul(a, b, c), (2, 3), (3, 4), (4, 2),
    reference=lambda a, b, c: a @ b @ c)
_op("addmm", lambda x, a, b: ag.addmm(x, a, b, beta=0.5, alpha=2.0), (3, 1), (3, 4), (4, 2),
    reference=lambda x, a, b: 0.5 * x + 2.0 * a @ b)
_op("addmv", lambda x, a, v: ag.addmv(x, a, v), (3,), (3, 4), (4,),
    reference=lambda x, a, v: x + a @ v)
_op("addbmm", lambda x, a, b: ag.addbmm(x, a, b), (3, 2), (2, 3, 4), (2, 4, 2),
    reference=lambda x, a, b: x + (a @ b).sum(0))
_op("baddbmm", lambda x, a, b: ag.baddbmm(x, a, b, alpha=0.5), (3, 2), (2, 3, 4), (2, 4, 2),
    reference=lambda x, a, b: x + 0.5 * (a @ b))


# --- statistics --------------------------------------------------------------------------
_op("var_mean", lambda x: ag.var_mean(x, 1), (3, 4),
    reference=lambda x: (x.var(1, ddof=1), x.mean(1)))
_op("std_mean", lambda x: ag.std_mean(x, 0, keepdim=True), (3, 4),
    reference=lambda x: (x.std(0, ddof=1, keepdims=True), x.mean(0, keepdims=True)))
_op("aminmax", lambda x: ag.aminmax(x, dim=1), (3, 4), second_order=True,
    reference=lambda x: (x.min(1), x.max(1)))
_NAN_COL = np.array([False, True, False, False])


def _with_nan(x):
    col = ag.tensor(_NAN_COL, device=x.device)
    return ag.where(col, float("nan"), x)


_op("nansum", lambda x: ag.nansum(_with_nan(x), 1), (3, 4),
    reference=lambda x: np.nansum(np.where(_NAN_COL, np.nan, x), 1))
_op("nanmean", lambda x: ag.nanmean(_with_nan(x), 1), (3, 4),
    reference=lambda x: np.nanmean(np.where(_NAN_COL, np.nan, x), 1))
_op("norm/fro", lambda x: ag.norm(x), (3, 4), reference=np.linalg.norm)
_op("norm/p1_dim", lambda x: x.norm(1, 1), {"shape": (3, 4), "away": 0.2},
    reference=lambda x: np.abs(x).sum(1))
_op("norm/inf", lambda x: ag.norm(x, float("inf"), 0), (3, 4),
    reference=lambda x: np.abs(x).max(0))
_op("norm/p3_keepdim", lambda x: ag.norm(x, 3, (0, 1), True), {"shape": (3, 4), "away": 0.2},
    reference=lambda x: (np.abs(x) ** 3).sum(keepdims=True) ** (1 / 3))
_op("dist", lambda a, b: ag.dist(a, b, 3), (3, 4), (4,),
    reference=lambda a, b: (np.abs(a - b) ** 3).sum() ** (1 / 3))
_op("cdist", ag.cdist, (2, 3, 4), (2, 2, 4),
    reference=lambda a, b: np.linalg.norm(a[:, :, None] - b[:, None], axis=-1))
_op("renorm", lambda x: ag.renorm(x, 2, 0, 1.0), (3, 4),
    reference=lambda x: x * np.where((n := np.linalg.norm(x, axis=1, keepdims=True)) > 1.0,
                                     1.0 / (n + 1e-7), 1.0))
_op("diff", lambda x: ag.diff(x, 2, 1), (3, 5), reference=lambda x: np.diff(x, 2, 1))
_op("diff/prepend", lambda x, p: ag.diff(x, 1, 0, prepend=p), (3, 4), (1, 4),
    reference=lambda x, p: np.diff(x, 1, 0, prepend=p))
_op("trapezoid", lambda y, x: ag.trapezoid(y, x), (3, 4), (4,),
    reference=lambda y, x: np.trapezoid(y, x))
_op("trapezoid/dx", lambda y: ag.trapezoid(y, dx=0.5, dim=0), (3, 4),
    reference=lambda y: np.trapezoid(y, dx=0.5, axis=0))


# --- second batch: fused adds, NaN-ignoring extremes, index_* and *_scatter, splits,
# --- covariance and quantiles ---------------------------------------------------------
_op("addcmul", lambda x, a, b: ag.addcmul(x, a, b, value=0.5), (3, 4), (4,), (3, 1),
    reference=lambda x, a, b: x + 0.5 * a * b)
_op("addcdiv", lambda x, a, b: ag.addcdiv(x, a, b, value=2.0), (3, 4), (3, 4),
    _r((3, 4), 0.5, 2.0), reference=lambda x, a, b: x + 2.0 * a / b)
_op("fmax", lambda a, b: ag.fmax(_with_nan(a), b), (3, 4), (3, 4), second_order=True,
    reference=lambda a, b: np.fmax(np.where(_NAN_COL, np.nan, a), b))
_op("fmin", lambda a, b: ag.fmin(a, b), (3, 4), (4,), reference=np.fmin)
_op("ldexp", lambda x: ag.ldexp(x, ag.tensor([1, 2, -1, 0], device=x.device)), (3, 4),
    reference=lambda x: np.ldexp(x, np.array([1, 2, -1, 0])))
_op("rsub", lambda x, y: ag.rsub(x, y, alpha=2.0), (3, 4), (4,),
    reference=lambda x, y: y - 2.0 * x)
_op("index_copy", lambda x, s, i: ag.index_copy(x, 1, i, s), (2, 4), (2, 2), Idx([3, 0]),
    reference=lambda x, s, i: _np_set(x, (slice(None), i), s))
_op("index_fill/tensor_value", lambda x, v: ag.index_fill(x, 0, ag.tensor(
    [2, 0], device=x.device), v.sum()), (3, 2), (2,),
    reference=lambda x, v: _np_set(x, ([2, 0],), v.sum()))
_op("index_put", lambda x, v: ag.index_put(x, (ag.tensor([0, 2], device=x.device),
                                               ag.tensor([1, 1], device=x.device)), v),
    (3, 2), (2,), reference=lambda x, v: _np_set(x, ([0, 2], [1, 1]), v))
_op("index_put/accumulate", lambda x, v: ag.index_put(
    x, (ag.tensor([0, 0, 2], device=x.device),), v, accumulate=True), (3, 2), (2,),
    reference=lambda x, v: _np_add(x, ([0, 0, 2],), v))
_op("put/accumulate", lambda x, s: ag.put(x, ag.tensor([[0, 5], [5, 2]], device=x.device), s,
                                          accumulate=True), (2, 3), (4,),
    reference=lambda x, s: _np_add(x.reshape(-1), ([0, 5, 5, 2],), s).reshape(2, 3))
for _red in ("prod", "mean", "amax", "amin"):
    _op(f"index_reduce/{_red}", (lambda r: lambda x, s: ag.index_reduce(
        x, 1, ag.tensor([2, 0, 2], device=x.device), s, r))(_red),
        _r((2, 4), 0.5, 2.0), _r((2, 3), 0.5, 2.0),
        reference=(lambda r: lambda x, s: _np_scatter_reduce(
            x, 1, np.broadcast_to(np.array([2, 0, 2]), (2, 3)), s, r))(_red))
_op("select_scatter", lambda x, s: ag.select_scatter(x, s, 1, 2), (3, 4), (3,),
    reference=lambda x, s: _np_set(x, (slice(None), 2), s))
_op("slice_scatter", lambda x, s: ag.slice_scatter(x, s, 1, 0, 4, 2), (3, 4), (3, 2),
    reference=lambda x, s: _np_set(x, (slice(None), slice(0, 4, 2)), s))
_op("diagonal_scatter", lambda x, s: ag.diagonal_scatter(x, s, 1), (3, 4), (3,),
    reference=lambda x, s: _np_set(x, (np.arange(3), np.arange(3) + 1), s))
_op("select", lambda x: ag.select(x, 1, -1), (3, 4), reference=lambda x: x[:, -1])
_op("tensor_split", lambda x: ag.tensor_split(x, 3, 1), (2, 5),
    reference=lambda x: tuple(np.array_split(x, 3, 1)))
_op("block_diag", lambda a, b, c: ag.block_diag(a, b, c), (2, 2), (3,), (),
    reference=lambda a, b, c: _np_block_diag(a, b.reshape(1, 3), c.reshape(1, 1)))
_op("combinations", lambda x: ag.combinations(x, 2), (4,),
    reference=lambda x: np.array([[x[i], x[j]] for i in range(4) for j in range(i + 1, 4)]))
_op("sum_to_size", lambda x: x.sum_to_size(3, 1), (2, 3, 4),
    reference=lambda x: x.sum(axis=(0, 2))[:, None])
_op("addr", lambda x, a, b: ag.addr(x, a, b, beta=0.5), (3, 4), (3,), (4,),
    reference=lambda x, a, b: 0.5 * x + np.outer(a, b))
_op("cov", lambda x: ag.cov(x), (3, 5), reference=np.cov)
_op("cov/weights", lambda x, a: ag.cov(x, fweights=ag.tensor([1, 2, 1, 3, 1], device=x.device),
                                        aweights=a), (2, 5), _r((5,), 0.5, 2.0),
    reference=lambda x, a: np.cov(x, fweights=[1, 2, 1, 3, 1], aweights=a))
_op("corrcoef", ag.corrcoef, (3, 5), reference=np.corrcoef)
_op("quantile", lambda x: ag.quantile(x, ag.tensor([0.2, 0.5], dtype=x.dtype,
                                                    device=x.device), 1, keepdim=True),
    (3, 5), reference=lambda x: np.quantile(x, [0.2, 0.5], 1, keepdims=True))
_op("quantile/midpoint_all", lambda x: ag.quantile(x, 0.3, interpolation="midpoint"),
    (3, 4), reference=lambda x: np.quantile(x, 0.3, method="midpoint"))
_op("nanquantile", lambda x: ag.nanquantile(_with_nan(x), 0.4, 1), (3, 4),
    reference=lambda x: np.nanquantile(np.where(_NAN_COL, np.nan, x), 0.4, 1))
_op("cumulative_trapezoid", lambda y, x: ag.cumulative_trapezoid(y, x), (3, 4), (4,),
    reference=lambda y, x: np.cumsum((y[:, 1:] + y[:, :-1]) / 2 * np.diff(x), 1))


def _np_set(x, key, v):
    out = x.copy()
    out[key] = v
    return out


def _np_add(x, key, v):
    out = x.copy()
    np.add.at(out, key, v)
    return out


def _np_block_diag(*mats):
    rows = sum(m.shape[0] for m in mats)
    cols = sum(m.shape[1] for m in mats)
    out = np.zeros((rows, cols))
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out
_op("gradient/uniform_edge2", lambda y: ag.gradient(y, spacing=0.5, edge_order=2), (3, 4),
    reference=lambda y: tuple(np.gradient(y, 0.5, edge_order=2)))
_op("gradient/coordinates", lambda y, x: ag.gradient(y, spacing=[x], dim=1)[0], (3, 5),
    Idx([0.0, 0.5, 1.5, 2.0, 3.5], np.float64),
    reference=lambda y, x: np.gradient(y, x, axis=1))
_op("diagonal_copy", lambda x: ag.diagonal_copy(x, 1), (3, 4),
    reference=lambda x: np.diagonal(x, 1).copy())
_op("unfold_copy", lambda x: ag.unfold_copy(x, 0, 2, 1), (3, 2),
    reference=lambda x: np.lib.stride_tricks.sliding_window_view(x, 2, 0).copy())
_op("fill/tensor_value", lambda x, v: ag.fill(x, v.sum()), (2, 3), (2,),
    reference=lambda x, v: np.full(x.shape, v.sum()))
