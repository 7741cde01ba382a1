"""Registry entries for in-place ops, views and the step functions (see opinfo.py).

Each in-place entry runs the op on a non-leaf copy of its first input (``x * 1``), so
gradcheck and gradgradcheck differentiate *through* the in-place op and the history it
rebased; views of intermediates go through ``CopySlices``. ``PAIRS`` lists each in-place
op with its out-of-place form, for the test that they agree
(``tests/autograd/test_inplace.py``).
"""

from __future__ import annotations

import numpy as np

import autograd as ag

from .opinfo import OpInfo, make_tensor, register


def _t(shape, low=-2.0, high=2.0, away=0.0, grad=True):
    return {"shape": shape, "low": low, "high": high, "away": away, "grad": grad}


def _args(*specs):
    def make(rng, dtype, device):
        out = []
        for s in specs:
            if isinstance(s, dict):
                out.append(make_tensor(rng, s["shape"], dtype, device, s["low"], s["high"],
                                       s["grad"], s["away"]))
            elif callable(s):
                out.append(s(rng, device))
            else:
                out.append(s)
        return tuple(out)

    return make


def _mask(shape):
    def make(rng, device):
        return ag.tensor(rng.uniform(size=shape) < 0.5, device=device)

    return make


def _const(values, dtype=None):
    """A constant tensor argument (an index or a mask), made on the test's device."""

    def make(rng, device):
        return ag.tensor(values, dtype=dtype, device=device)

    return make


def _np_index_add(x, dim, index, src):
    out = x.copy()
    np.add.at(out, (slice(None),) * dim + (index,), src)
    return out


def _np_put(dim, index, value):
    def ref(x, *_):
        out = x.copy()
        out[(slice(None),) * dim + (index,)] = value
        return out

    return ref


def _np_scatter(x, dim, index, src, add=False):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


def _inplace(method):
    """``x * 1`` changed in place by ``method(*rest)``: the result, through the op."""

    def fn(x, *rest):
        y = x * 1
        out = getattr(y, method)(*rest)
        assert out is y, f"{method} must return the tensor it changed"
        return y

    fn.__name__ = method
    return fn


# (in-place method, out-of-place function, extra arguments' specs, NumPy reference)
PAIRS = [
    ("add_", lambda x, y: x + y, (_t((3, 4)),), np.add),
    ("sub_", lambda x, y: x - y, (_t((4,)),), np.subtract),
    ("mul_", lambda x, y: x * y, (_t((3, 4)),), np.multiply),
    ("div_", lambda x, y: x / y, (_t((3, 4), 0.5, 2.0),), np.divide),
    ("pow_", lambda x, p: x ** p, (3.0,), np.power),
    ("add_", lambda x, y: x + y, (1.5,), np.add),
    ("mul_", lambda x, y: x * y, (-0.5,), np.multiply),
    ("neg_", lambda x: -x, (), np.negative),
    ("exp_", ag.exp, (), np.exp),
    ("tanh_", ag.tanh, (), np.tanh),
    ("sigmoid_", ag.sigmoid, (), lambda x: 1 / (1 + np.exp(-x))),
    ("sin_", ag.sin, (), np.sin),
    ("cos_", ag.cos, (), np.cos),
    ("square_", ag.square, (), np.square),
    ("clamp_", lambda x, lo, hi: ag.clamp(x, lo, hi), (-1.0, 1.0), np.clip),
    ("clamp_min_", lambda x, lo: ag.clamp(x, min=lo), (-0.5,), np.maximum),
    ("clamp_max_", lambda x, hi: ag.clamp(x, max=hi), (0.5,), np.minimum),
    ("lerp_", lambda x, e, w: x + w * (e - x), (_t((3, 4)), 0.3),
     lambda x, e, w: x + w * (e - x)),
    ("addcmul_", lambda x, a, b, value: x + value * a * b, (_t((3, 4)), _t((4,)), 0.5),
     lambda x, a, b, v: x + v * a * b),
    ("addcdiv_", lambda x, a, b, value: x + value * a / b,
     (_t((3, 4)), _t((3, 4), 0.5, 2.0), 2.0), lambda x, a, b, v: x + v * a / b),
    ("copy_", lambda x, s: x * 0 + s, (_t((4,)),), lambda x, s: np.broadcast_to(s, x.shape)),
    ("masked_fill_", lambda x, m, v: ag.where(m, v, x), (_mask((3, 4)), 0.25),
     lambda x, m, v: np.where(m, v, x)),
    ("masked_scatter_", ag.masked_scatter, (_mask((3, 4)), _t((12,))),
     lambda x, m, s: np.where(m, np.zeros_like(x), x) + _np_masked(x, m, s)),
    ("index_add_", ag.index_add, (1, _const([3, 0, 3]), _t((3, 3))), _np_index_add),
    ("index_copy_", ag.index_copy, (0, _const([2, 0]), _t((2, 4))),
     lambda x, d, i, s: _np_put(d, i, s)(x)),
    ("index_fill_", ag.index_fill, (1, _const([1, 2]), -0.5),
     lambda x, d, i, v: _np_put(d, i, v)(x)),
    ("scatter_", ag.scatter, (0, _const([[2, 0, 1, 0], [1, 2, 0, 1]]), _t((2, 4))),
     _np_scatter),
    ("scatter_add_", ag.scatter_add, (1, _const([[0, 0], [3, 1], [2, 2]]), _t((3, 2))),
     lambda x, d, i, s: _np_scatter(x, d, i, s, add=True)),
]


def _np_masked(x, m, s):
    out = np.zeros_like(x)
    out[m] = s[:m.sum()]
    return out

_SHAPES = {"sub_": (4,), "pow_": (3, 4)}


def _register_pairs():
    seen = {}
    for method, _, extra, ref in PAIRS:
        k = seen[method] = seen.get(method, 0) + 1
        name = f"inplace/{method}" + ("" if k == 1 else f"/{k}")
        low, high = (0.5, 2.0) if method in ("pow_",) else (-2.0, 2.0)
        shape = _SHAPES.get(method, (3, 4))
        register(OpInfo(name, _inplace(method), _args(_t(shape, low, high), *extra),
                        reference=ref, group="inplace"))


def _setitem(key):
    def fn(x, v):
        y = x * 1
        y[key] = v
        return y

    return fn


def _np_setitem(key):
    def ref(x, v):
        y = x.copy()
        y[key] = v
        return y

    return ref


def _view_then(view, method):
    """Change a view of an intermediate in place; return the intermediate (its base)."""

    def fn(x, *rest):
        y = x * 1
        getattr(view(y), method)(*rest)
        return y

    return fn


def _register_views():
    key_mask = np.array([True, False, True])
    entries = [
        ("setitem/slice", _setitem((slice(1, 3),)), (_t((4, 3)), _t((2, 3))),
         _np_setitem((slice(1, 3),))),
        ("setitem/int_broadcast", _setitem(0), (_t((4, 3)), _t((3,))), _np_setitem(0)),
        ("setitem/index_array", _setitem(([0, 2],)), (_t((4, 3)), _t((2, 3))),
         _np_setitem(([0, 2],))),
        ("setitem/mask", _setitem((slice(None), key_mask)), (_t((4, 3)), _t((4, 2))),
         _np_setitem((slice(None), key_mask))),
        ("inplace/view_mul_", _view_then(lambda y: y.t()[1:], "mul_"),
         (_t((4, 3)), _t((2, 4))),
         lambda x, w: np.concatenate([x[:, :1], x[:, 1:] * w.T], axis=1)),
        ("inplace/view_copy_", _view_then(lambda y: y.view(2, 6)[1], "copy_"),
         (_t((4, 3)), _t((6,))), lambda x, w: np.concatenate([x[:2], w.reshape(2, 3)])),
        ("inplace/diagonal_add_", _view_then(lambda y: y.diagonal(), "add_"),
         (_t((3, 3)), _t((3,))), lambda x, w: x + np.diag(w)),
    ]
    for name, fn, specs, ref in entries:
        register(OpInfo(name, fn, _args(*specs), reference=ref, group="inplace"))


def _register_view_ops():
    def np_unfold(x):
        return np.stack([x[:, i:i + 3] for i in range(0, 4, 2)], axis=1)

    entries = [
        ("Tensor.view", lambda x: x.view(3, 4), (_t((4, 3)),), lambda x: x.reshape(3, 4)),
        ("Tensor.narrow", lambda x: x.narrow(1, 1, 2), (_t((4, 3)),), lambda x: x[:, 1:3]),
        ("Tensor.diagonal", lambda x: x.diagonal(), (_t((3, 4)),), np.diagonal),
        ("Tensor.diagonal/offset_dims", lambda x: x.diagonal(-1, 2, 0), (_t((3, 2, 4)),),
         lambda x: np.diagonal(x, -1, 2, 0)),
        ("Tensor.unfold", lambda x: x.unfold(1, 3, 2), (_t((2, 6)),), np_unfold),
        ("Tensor.contiguous/transposed", lambda x: x.t().contiguous(), (_t((4, 3)),),
         lambda x: x.T),
        ("einsum/ii->i", lambda x: ag.einsum("ii->i", x), (_t((3, 3)),),
         lambda x: np.einsum("ii->i", x)),
        ("einsum/bii->bi", lambda x: ag.einsum("bii->bi", x), (_t((2, 3, 3)),),
         lambda x: np.einsum("bii->bi", x)),
        ("einsum/ii,ij->j", lambda a, b: ag.einsum("ii,ij->j", a, b),
         (_t((3, 3)), _t((3, 2))), lambda a, b: np.einsum("ii,ij->j", a, b)),
        ("einsum/iij->", lambda x: ag.einsum("iij->", x), (_t((2, 2, 3)),),
         lambda x: np.einsum("iij->", x)),
    ]
    for name, fn, specs, ref in entries:
        register(OpInfo(name, fn, _args(*specs), reference=ref, group="inplace"))
    # zero gradient almost everywhere; values kept away from the jumps for the checks
    for name, ref in (("sign", np.sign), ("floor", np.floor), ("ceil", np.ceil),
                      ("round", np.round), ("trunc", np.trunc)):
        register(OpInfo(f"step/{name}", getattr(ag, name),
                        _args(_t((3, 4), 0.1, 0.4)), reference=ref, group="inplace"))


_register_pairs()
_register_views()
_register_view_ops()
