"""Registry entries for the core tensor ops (see opinfo.py)."""

from __future__ import annotations

import math

import numpy as np

import autograd as ag

from .opinfo import OpInfo, make_tensor, register


class Idx:
    """An integer (or bool) constant argument, made on the device under test."""

    def __init__(self, values, dtype=np.int64):
        self.values = np.asarray(values, dtype=dtype)


def _args(*specs):
    """make_args from specs: a shape tuple (a differentiable tensor in [-2, 2)), a dict
    ``{"shape": s, "low": .., "high": .., "away": .., "grad": bool}``, an :class:`Idx`,
    or a constant."""

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


def _pos(shape, low=0.5, high=2.0):
    return {"shape": shape, "low": low, "high": high}


def _away(shape, away=0.2):
    return {"shape": shape, "away": away}


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, _args(*specs), reference=reference, second_order=second_order,
                    **kw))


def _np_erf(x):
    return np.vectorize(math.erf)(x)


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --- binary, with broadcasting pairs and 0-d inputs ---------------------------------
_BINARY = {
    "add": (lambda a, b: a + b, np.add, None),
    "sub": (lambda a, b: a - b, np.subtract, None),
    "mul": (lambda a, b: a * b, np.multiply, None),
    "div": (lambda a, b: a / b, np.divide, "away"),
    "maximum": (ag.maximum, np.maximum, "distinct"),
    "minimum": (ag.minimum, np.minimum, "distinct"),
}
_PAIRS = {
    "same": ((3, 4), (3, 4)),
    "broadcast": ((3, 1, 4), (2, 1)),
    "scalar0d": ((2, 3), ()),
    "both0d": ((), ()),
}
for _name, (_fn, _ref, _kind) in _BINARY.items():
    for _pair, (_sa, _sb) in _PAIRS.items():
        _sb_spec = _away(_sb, 0.5) if _kind == "away" else _sb
        _op(f"{_name}/{_pair}", _fn, _sa, _sb_spec, reference=_ref,
            second_order=_kind != "distinct")
    _op(f"{_name}/python_scalar", (lambda f: lambda a: f(a, 1.5))(_fn), (2, 3),
        reference=(lambda r: lambda a: r(a, 1.5))(_ref), second_order=_kind != "distinct")
    _op(f"{_name}/reflected", (lambda f: lambda a: f(1.5, a))(_fn),
        _away((2, 3), 0.5) if _kind == "away" else (2, 3),
        reference=(lambda r: lambda a: r(1.5, a))(_ref), second_order=_kind != "distinct")

_op("pow/tensor_tensor", lambda a, b: a**b, _pos((3, 4)), (3, 1), reference=np.power)
_op("pow/scalar_exponent", lambda a: a**3, (2, 3), reference=lambda a: a**3)
_op("pow/square", lambda a: a**2, (2, 3), reference=lambda a: a**2)
_op("pow/fractional", lambda a: a**0.5, _pos((2, 3)), reference=np.sqrt)
_op("pow/reflected", lambda a: 2.0**a, (2, 3), reference=lambda a: 2.0**a)
_op("matmul/2d", lambda a, b: a @ b, (3, 4), (4, 2), reference=np.matmul)
_op("matmul/batched_broadcast", lambda a, b: a @ b, (2, 1, 3, 4), (3, 4, 2),
    reference=np.matmul)
_op("matmul/nd_times_2d", lambda a, b: a @ b, (2, 3, 4), (4, 2), reference=np.matmul)
_op("matmul/vec_mat", lambda a, b: a @ b, (4,), (4, 3), reference=np.matmul)
_op("matmul/mat_vec", lambda a, b: a @ b, (3, 4), (4,), reference=np.matmul)
_op("matmul/dot", lambda a, b: a @ b, (4,), (4,), reference=np.matmul)
_op("where", lambda c, a, b: ag.where(c > 0, a, b), {"shape": (3, 4), "grad": False}, (3, 4),
    (4,), reference=lambda c, a, b: np.where(c > 0, a, b),
    )
_op("where/scalar", lambda c, a: ag.where(c > 0, a, 0.0),
    {"shape": (3, 4), "grad": False}, (3, 4), reference=lambda c, a: np.where(c > 0, a, 0.0))

# --- unary ----------------------------------------------------------------------------
_UNARY = {
    "neg": (lambda x: -x, np.negative, (3, 4)),
    "exp": (ag.exp, np.exp, (3, 4)),
    "log": (ag.log, np.log, _pos((3, 4))),
    "log1p": (ag.log1p, np.log1p, _pos((3, 4), -0.5, 2.0)),
    "sqrt": (ag.sqrt, np.sqrt, _pos((3, 4))),
    "sin": (ag.sin, np.sin, (3, 4)),
    "cos": (ag.cos, np.cos, (3, 4)),
    "tanh": (ag.tanh, np.tanh, (3, 4)),
    "sigmoid": (ag.sigmoid, _np_sigmoid, (3, 4)),
    "erf": (ag.erf, _np_erf, (3, 4)),
}
for _name, (_fn, _ref, _spec) in _UNARY.items():
    _op(_name, _fn, _spec, reference=_ref)
    _op(f"{_name}/0d", _fn, {**_spec, "shape": ()} if isinstance(_spec, dict) else (),
        reference=_ref)
_op("abs", ag.abs, _away((3, 4)), reference=np.abs)
_op("relu", ag.relu, _away((3, 4)), reference=lambda x: np.maximum(x, 0))
_op("clamp", lambda x: ag.clamp(x, -1.0, 1.0), _away((3, 4), 0.0),
    reference=lambda x: np.clip(x, -1, 1))
_op("clamp/min_only", lambda x: x.clamp(min=0.5), (3, 4), reference=lambda x: np.maximum(x, .5))
_op("square", ag.square, (3, 4), reference=np.square)

# --- reductions -------------------------------------------------------------------------
for _name, _fn, _ref in (("sum", ag.sum, np.sum), ("mean", ag.mean, np.mean),
                         ("prod", ag.prod, np.prod)):
    _op(f"{_name}/all", _fn, _pos((3, 4), 0.5, 1.5), reference=_ref)
    _op(f"{_name}/dim", lambda x, f=_fn: f(x, 1), (3, 4), reference=lambda x, r=_ref: r(x, 1))
    _op(f"{_name}/dims_keepdim", lambda x, f=_fn: f(x, (0, 2), keepdim=True), (2, 3, 4),
        reference=lambda x, r=_ref: r(x, (0, 2), keepdims=True))
    _op(f"{_name}/0d", _fn, (), reference=_ref)
_op("prod/with_zero", lambda x: ag.prod(x * ag.tensor([1.0, 0.0, 1.0], dtype=x.dtype,
                                                         device=x.device), 1),
    (2, 3), reference=lambda x: np.prod(x * np.array([1.0, 0, 1]), 1), second_order=False)
_op("max/all", lambda x: x.max(), (3, 4), reference=np.max, second_order=True)
_op("max/dim", lambda x: x.max(1)[0], (3, 4), reference=lambda x: x.max(1))
_op("min/dim_keepdim", lambda x: x.min(0, keepdim=True)[0], (3, 4),
    reference=lambda x: x.min(0, keepdims=True))
_op("amax/dims", lambda x: x.amax((0, 2)), (2, 3, 4), reference=lambda x: x.max((0, 2)))
_op("var", lambda x: x.var(), (3, 4), reference=lambda x: x.var(ddof=1))
_op("var/dim_biased", lambda x: x.var(1, unbiased=False), (3, 4),
    reference=lambda x: x.var(1))
_op("std/dim_keepdim", lambda x: x.std(0, keepdim=True), (3, 4),
    reference=lambda x: x.std(0, ddof=1, keepdims=True))
_op("logsumexp/dim", lambda x: x.logsumexp(1), (3, 4),
    reference=lambda x: _np_logsumexp(x, 1))
_op("logsumexp/all", lambda x: ag.logsumexp(x), (3, 4), reference=_np_logsumexp)
_op("softmax", lambda x: x.softmax(-1), (3, 4), reference=lambda x: _np_softmax(x, -1))
_op("softmax/dim0", lambda x: ag.softmax(x, 0), (3, 4), reference=lambda x: _np_softmax(x, 0))
_op("log_softmax", lambda x: x.log_softmax(1), (3, 4),
    reference=lambda x: np.log(_np_softmax(x, 1)))

# --- shape and indexing -----------------------------------------------------------------
_op("reshape", lambda x: x.reshape(4, -1), (2, 3, 2), reference=lambda x: x.reshape(4, -1))
_op("view", lambda x: x.view(6, 2), (3, 4), reference=lambda x: x.reshape(6, 2))
_op("transpose", lambda x: x.transpose(0, 2), (2, 3, 4),
    reference=lambda x: x.transpose(2, 1, 0))
_op("permute", lambda x: x.permute(1, 2, 0), (2, 3, 4),
    reference=lambda x: x.transpose(1, 2, 0))
_op("T", lambda x: x.T, (3, 4), reference=lambda x: x.T)
_op("expand", lambda x: x.expand(2, 3, 4), (3, 1), reference=lambda x: np.broadcast_to(x,
                                                                                      (2, 3, 4)))
_op("squeeze", lambda x: x.squeeze(1), (3, 1, 4), reference=lambda x: x.squeeze(1))
_op("unsqueeze", lambda x: x.unsqueeze(-1), (3, 4), reference=lambda x: x[..., None])
_op("flatten", lambda x: x.flatten(1), (2, 3, 4), reference=lambda x: x.reshape(2, 12))
_op("getitem/slice", lambda x: x[1:, ::2], (3, 4), reference=lambda x: x[1:, ::2])
_op("getitem/int_none_ellipsis", lambda x: x[0, None, ..., 1], (2, 3, 4),
    reference=lambda x: x[0, None, ..., 1])
_op("getitem/int_array_repeated", lambda x: x[[0, 2, 0, 0]], (3, 4),
    reference=lambda x: x[[0, 2, 0, 0]])
_op("getitem/two_arrays", lambda x: x[[0, 1, 1], [2, 2, 0]], (3, 4),
    reference=lambda x: x[[0, 1, 1], [2, 2, 0]])
_op("getitem/bool_mask", lambda x: x[x.detach() > 0], (3, 4), reference=lambda x: x[x > 0])
_op("getitem/array_middle", lambda x: x[:, [1, 1, 0]], (2, 3, 2),
    reference=lambda x: x[:, [1, 1, 0]])
_op("cat", lambda a, b: ag.cat([a, b], 1), (2, 3), (2, 2),
    reference=lambda a, b: np.concatenate([a, b], 1))
_op("stack", lambda a, b: ag.stack([a, b], -1), (2, 3), (2, 3),
    reference=lambda a, b: np.stack([a, b], -1))
_op("split", lambda x: x.split(2, 1), (3, 5), reference=lambda x: tuple(np.split(x, [2, 4], 1)))
_op("split/partial_use", lambda x: x.split([1, 3], 0)[1], (4, 2),
    reference=lambda x: x[1:])
_op("chunk", lambda x: x.chunk(3, 0), (5, 2), reference=lambda x: tuple(np.split(x, [2, 4])))
_op("pad", lambda x: ag.pad(x, (1, 2, 0, 1), value=0.5), (2, 3),
    reference=lambda x: np.pad(x, ((0, 1), (1, 2)), constant_values=0.5))
_op("einsum/bilinear", lambda a, b, c: ag.einsum("ij,jk,ik->i", a, b, c), (2, 3), (3, 4),
    (2, 4), reference=lambda a, b, c: np.einsum("ij,jk,ik->i", a, b, c))
_op("einsum/ellipsis_sum", lambda a: ag.einsum("...ij->...j", a), (2, 3, 4),
    reference=lambda a: np.einsum("...ij->...j", a))
_op("einsum/outer_implicit", lambda a, b: ag.einsum("i,j", a, b), (3,), (2,),
    reference=lambda a, b: np.einsum("i,j", a, b))
_op("clone", lambda x: x.clone(), (3,), reference=lambda x: x.copy())
