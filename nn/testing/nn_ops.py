"""Registry entries for nn.functional: activations, linear, dropout, losses (see opinfo.py).

Each entry has a NumPy reference where the closed form is short; inputs are tiny so
gradcheck and gradgradcheck run in milliseconds.
"""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
from autograd.testing.opinfo import OpInfo, make_tensor, register

# --- helpers ---------------------------------------------------------------------------


def _t(shape, low=-2.0, high=2.0, away=0.0, grad=True):
    return ("t", shape, low, high, away, grad)


def _fixed(values, grad=True):
    return ("fixed", np.asarray(values, dtype=np.float64), grad)


def _classes(shape, n_classes, ignore=None):
    """Integer class targets; ``ignore`` puts that value at the first position."""
    return ("classes", shape, n_classes, ignore)


def _probs(shape, axis=1, grad=True):
    return ("probs", shape, axis, grad)


def _const(values):
    """A constant floating tensor (class weights, pos_weight): never differentiated."""
    return ("const", np.asarray(values, dtype=np.float64))


def _args(*specs):
    def make(rng, dtype, device):
        out = []
        for s in specs:
            kind = s[0] if isinstance(s, tuple) and s and isinstance(s[0], str) else None
            if kind == "t":
                _, shape, low, high, away, grad = s
                out.append(make_tensor(rng, shape, dtype, device, low, high, grad, away))
            elif kind == "fixed":
                t = ag.tensor(s[1], dtype=dtype, device=device)
                out.append(t.requires_grad_(True) if s[2] else t)
            elif kind == "classes":
                _, shape, n, ignore = s
                values = rng.integers(0, n, size=shape)
                if ignore is not None:
                    values.reshape(-1)[0] = ignore
                out.append(ag.tensor(values, dtype=ag.int64, device=device))
            elif kind == "probs":
                _, shape, axis, grad = s
                raw = rng.uniform(0.1, 1.0, size=shape)
                values = raw / raw.sum(axis=axis, keepdims=True)
                t = ag.tensor(values, dtype=dtype, device=device)
                out.append(t.requires_grad_(True) if grad else t)
            elif kind == "const":
                out.append(ag.tensor(s[1], dtype=dtype, device=device))
            else:
                out.append(s)
        return tuple(out)

    return make


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(f"F.{name}", fn, _args(*specs), reference=reference, second_order=second_order,
                    group="nn", **kw))


def _F():
    import nn.functional as F

    return F


def _call(fname, **kwargs):
    """``lambda *args: F.<fname>(*args, **kwargs)``, importing nn lazily."""

    def fn(*args):
        return getattr(_F(), fname)(*args, **kwargs)

    fn.__name__ = fname
    return fn


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _np_softplus(x, beta=1.0, threshold=20.0):
    z = beta * x
    return np.where(z > threshold, x, np.logaddexp(0.0, z) / beta)


def _np_erf(x):
    return np.vectorize(math.erf)(x)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- activations --------------------------------------------------------------------------

_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
_KINKS = _fixed([[-2.5, -1.3, -0.7, -0.2], [0.3, 0.8, 1.4, 2.6]])  # away from 0 and +-1

_ACTIVATIONS = [
    # name, fn, input spec, reference, second_order
    ("relu", _call("relu"), _t((3, 4), away=0.1), lambda x: np.maximum(x, 0), True),
    ("relu6", _call("relu6"), _fixed([[-1.0, 0.5, 3.0, 5.5, 6.5, 7.0]]),
     lambda x: np.clip(x, 0, 6), True),
    ("leaky_relu", _call("leaky_relu", negative_slope=0.2), _t((3, 4), away=0.1),
     lambda x: np.where(x > 0, x, 0.2 * x), True),
    ("elu", _call("elu", alpha=1.3), _t((3, 4), away=0.1),
     lambda x: np.where(x > 0, x, 1.3 * np.expm1(x)), True),
    ("selu", _call("selu"), _t((3, 4), away=0.1),
     lambda x: _SELU_S * np.where(x > 0, x, _SELU_A * np.expm1(x)), True),
    ("celu", _call("celu", alpha=0.5), _t((3, 4), away=0.1),
     lambda x: np.maximum(x, 0) + np.minimum(0, 0.5 * np.expm1(x / 0.5)), True),
    ("gelu", _call("gelu"), _t((3, 4), -3.0, 3.0),
     lambda x: 0.5 * x * (1 + _np_erf(x / math.sqrt(2))), True),
    ("gelu/tanh", _call("gelu", approximate="tanh"), _t((3, 4), -3.0, 3.0),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))), True),
    ("silu", _call("silu"), _t((3, 4), -4.0, 4.0), lambda x: x * _np_sigmoid(x), True),
    ("mish", _call("mish"), _t((3, 4)), lambda x: x * np.tanh(_np_softplus(x)), True),
    ("softplus", _call("softplus"), _t((3, 4), -5.0, 5.0), _np_softplus, True),
    ("softplus/beta_threshold", _call("softplus", beta=2.0, threshold=3.0),
     _fixed([[-1.2, -0.3, 0.4, 1.0, 2.0, 2.5]]),
     lambda x: _np_softplus(x, 2.0, 3.0), True),
    ("logsigmoid", _call("logsigmoid"), _t((3, 4), -5.0, 5.0),
     lambda x: -np.logaddexp(0.0, -x), True),
    ("softsign", _call("softsign"), _t((3, 4), away=0.1), lambda x: x / (1 + np.abs(x)), True),
    ("hardtanh", _call("hardtanh"), _KINKS, lambda x: np.clip(x, -1, 1), True),
    ("hardsigmoid", _call("hardsigmoid"), _fixed([[-4.0, -2.0, 0.5, 2.9, 3.5]]),
     lambda x: np.clip(x + 3, 0, 6) / 6, True),
    ("hardswish", _call("hardswish"), _fixed([[-4.0, -2.0, 0.5, 2.9, 3.5]]),
     lambda x: x * np.clip(x + 3, 0, 6) / 6, True),
    ("tanhshrink", _call("tanhshrink"), _t((3, 4)), lambda x: x - np.tanh(x), True),
    ("threshold", _call("threshold", threshold=0.5, value=-1.0), _KINKS,
     lambda x: np.where(x > 0.5, x, -1.0), True),
    ("glu", _call("glu", dim=1), _t((2, 6)),
     lambda x: x[:, :3] * _np_sigmoid(x[:, 3:]), True),
    ("softmin", _call("softmin", dim=1), _t((3, 4)),
     lambda x: np.exp(_np_log_softmax(-x, 1)), True),
]
for _name, _fn, _spec, _ref, _second in _ACTIVATIONS:
    _op(_name, _fn, _spec, reference=_ref, second_order=_second)
_op("gelu/0d", _call("gelu"), _t(()), reference=lambda x: 0.5 * x * (1 + _np_erf(x / 2**0.5)))
_op("softplus/large_magnitude", _call("softplus"), _fixed([-1e4, -30.0, 0.0, 30.0, 1e4]),
    reference=lambda x: np.logaddexp(0.0, x))

# --- linear and dropout ---------------------------------------------------------------------

_op("linear", _call("linear"), _t((4, 3)), _t((2, 3)), _t((2,)),
    reference=lambda x, w, b: x @ w.T + b)
_op("linear/batched", _call("linear"), _t((2, 3, 4)), _t((2, 4)), _t((2,)),
    reference=lambda x, w, b: x @ w.T + b)
_op("linear/no_bias", _call("linear"), _t((3, 4)), _t((5, 4)), reference=lambda x, w: x @ w.T)
_op("linear/vector", _call("linear"), _t((3,)), _t((2, 3)), _t((2,)),
    reference=lambda x, w, b: w @ x + b)
_op("bilinear", _call("bilinear"), _t((3, 2)), _t((3, 4)), _t((2, 2, 4)), _t((2,)),
    reference=lambda a, b, w, c: np.einsum("ni,kij,nj->nk", a, w, b) + c)
_op("dropout/p0", _call("dropout", p=0.0), _t((3, 4)), reference=lambda x: x)
_op("dropout/eval", _call("dropout", p=0.5, training=False), _t((3, 4)), reference=lambda x: x)


def _dropout_fixed_mask(x):
    ag.manual_seed(1234)  # the same mask on every call, so finite differences apply
    return _F().dropout(x, p=0.4)


def _seeded(fname, **kwargs):
    def fn(x):
        ag.manual_seed(1234)  # the same mask on every call, so finite differences apply
        return getattr(_F(), fname)(x, **kwargs)

    return fn


_op("dropout/fixed_mask", _dropout_fixed_mask, _t((3, 4)))
_op("dropout2d/fixed_mask", _seeded("dropout2d", p=0.5), _t((2, 3, 2, 2)))
_op("alpha_dropout/fixed_mask", _seeded("alpha_dropout", p=0.3, training=True), _t((3, 4)))

# --- regression losses --------------------------------------------------------------------

for _red in ("mean", "sum", "none"):
    _op(f"mse_loss/{_red}", _call("mse_loss", reduction=_red), _t((3, 4)), _t((3, 4)),
        reference=lambda x, y, r=_red: _reduce((x - y) ** 2, r))
    _op(f"l1_loss/{_red}", _call("l1_loss", reduction=_red), _t((3, 4)), _t((3, 4)),
        reference=lambda x, y, r=_red: _reduce(np.abs(x - y), r))
    _op(f"smooth_l1_loss/{_red}", _call("smooth_l1_loss", reduction=_red, beta=0.7),
        _t((3, 4)), _t((3, 4)),
        reference=lambda x, y, r=_red: _reduce(
            np.where(np.abs(x - y) < 0.7, 0.5 * (x - y) ** 2 / 0.7, np.abs(x - y) - 0.35), r))
_op("huber_loss", _call("huber_loss", delta=0.8), _t((3, 4)), _t((3, 4)),
    reference=lambda x, y: np.where(np.abs(x - y) < 0.8, 0.5 * (x - y) ** 2,
                                    0.8 * (np.abs(x - y) - 0.4)).mean())
_op("smooth_l1_loss/beta0", _call("smooth_l1_loss", beta=0.0), _t((3, 4)), _t((3, 4)),
    reference=lambda x, y: np.abs(x - y).mean())

# --- classification losses ---------------------------------------------------------------


def _np_nll(logp, t, weight=None, ignore_index=-100, reduction="mean"):
    """NLL of log-probabilities (N, C, *) against targets (N, *)."""
    c = logp.shape[1] if logp.ndim > 1 else logp.shape[0]
    if logp.ndim == 1:
        logp, t = logp[None], np.asarray(t)[None]
    lp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    tt = t.reshape(-1)
    valid = tt != ignore_index
    safe = np.where(valid, tt, 0)
    w = np.ones(c) if weight is None else weight
    wr = w[safe] * valid
    loss = -wr * lp[np.arange(len(tt)), safe]
    if reduction == "none":
        return loss.reshape(t.shape)
    return loss.sum() / wr.sum() if reduction == "mean" else loss.sum()


def _np_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """PyTorch's cross entropy with class indices, label smoothing included."""
    axis = 1 if x.ndim > 1 else 0
    logp = _np_log_softmax(x, axis)
    nll = _np_nll(logp, t, weight, ignore_index, reduction)
    if eps == 0:
        return nll
    c = x.shape[axis]
    w = np.ones(c) if weight is None else weight
    wshape = (c,) + (1,) * (x.ndim - axis - 1)
    smooth = -(logp * w.reshape(wshape)).sum(axis)
    valid = t != ignore_index
    smooth = np.where(valid, smooth, 0.0)
    if reduction == "mean":
        safe = np.where(valid, t, 0)
        denom = (w[safe] * valid).sum() if weight is not None else valid.sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - eps) * nll + smooth * (eps / c)


def _np_cross_entropy_probs(x, p, weight=None, reduction="mean", eps=0.0):
    axis = 1 if x.ndim > 1 else 0
    c = x.shape[axis]
    p = p * (1 - eps) + eps / c
    w = np.ones(c) if weight is None else weight
    loss = -(_np_log_softmax(x, axis) * p * w.reshape((c,) + (1,) * (x.ndim - axis - 1))).sum(
        axis)
    return _reduce(loss, reduction)


_W4 = [0.5, 1.0, 2.0, 1.5]
_CE = [
    # name, kwargs, input shape, target spec
    ("mean", {}, (5, 4), _classes((5,), 4)),
    ("sum", {"reduction": "sum"}, (5, 4), _classes((5,), 4)),
    ("none", {"reduction": "none"}, (5, 4), _classes((5,), 4)),
    ("ignore_index", {"ignore_index": 2}, (5, 4), _classes((5,), 4, ignore=2)),
    ("ignore_index_none", {"ignore_index": -100, "reduction": "none"}, (5, 4),
     _classes((5,), 4, ignore=-100)),
    ("label_smoothing", {"label_smoothing": 0.2}, (5, 4), _classes((5,), 4)),
    ("smoothing_ignore_sum", {"label_smoothing": 0.3, "reduction": "sum", "ignore_index": 1},
     (5, 4), _classes((5,), 4, ignore=1)),
    ("spatial", {}, (2, 4, 3, 2), _classes((2, 3, 2), 4, ignore=-100)),
    ("spatial_none", {"reduction": "none", "label_smoothing": 0.1}, (2, 4, 3),
     _classes((2, 3), 4)),
    ("unbatched", {}, (4,), _classes((), 4)),
]
for _name, _kw, _shape, _tspec in _CE:
    _op(f"cross_entropy/{_name}", _call("cross_entropy", **_kw), _t(_shape), _tspec,
        reference=lambda x, t, kw=_kw: _np_cross_entropy(
            x, t, None, kw.get("ignore_index", -100), kw.get("reduction", "mean"),
            kw.get("label_smoothing", 0.0)))
for _name, _kw in (("weight", {}), ("weight_smoothing", {"label_smoothing": 0.25}),
                   ("weight_ignore_none", {"ignore_index": 3, "reduction": "none"})):
    _op(f"cross_entropy/{_name}",
        lambda x, t, w, kw=_kw: _F().cross_entropy(x, t, weight=w, **kw),
        _t((6, 4)), _classes((6,), 4, ignore=_kw.get("ignore_index")), _const(_W4),
        reference=lambda x, t, w, kw=_kw: _np_cross_entropy(
            x, t, w, kw.get("ignore_index", -100), kw.get("reduction", "mean"),
            kw.get("label_smoothing", 0.0)))
_op("cross_entropy/probs", _call("cross_entropy"), _t((3, 4)), _probs((3, 4)),
    reference=_np_cross_entropy_probs)
_op("cross_entropy/probs_smoothing_weight",
    lambda x, p, w: _F().cross_entropy(x, p, weight=w, label_smoothing=0.2, reduction="sum"),
    _t((2, 4, 3)), _probs((2, 4, 3)), _const(_W4),
    reference=lambda x, p, w: _np_cross_entropy_probs(x, p, w, "sum", 0.2))
_op("cross_entropy/large_logits", _call("cross_entropy"),
    _fixed([[1e4, -1e4, 0.0], [-1e4, 5e3, 1e4]]), _classes((2,), 3),
    reference=lambda x, t: _np_cross_entropy(x, t))

_NLL = [
    ("mean", {}, (5, 4), _classes((5,), 4)),
    ("sum", {"reduction": "sum"}, (5, 4), _classes((5,), 4)),
    ("none", {"reduction": "none"}, (5, 4), _classes((5,), 4)),
    ("ignore_index", {"ignore_index": -1}, (5, 4), _classes((5,), 4, ignore=-1)),
    ("spatial", {}, (2, 4, 3), _classes((2, 3), 4)),
]
for _name, _kw, _shape, _tspec in _NLL:
    _op(f"nll_loss/{_name}", _call("nll_loss", **_kw), _t(_shape), _tspec,
        reference=lambda x, t, kw=_kw: _np_nll(x, t, None, kw.get("ignore_index", -100),
                                               kw.get("reduction", "mean")))
_op("nll_loss/weight", lambda x, t, w: _F().nll_loss(x, t, weight=w), _t((6, 4)),
    _classes((6,), 4), _const(_W4), reference=lambda x, t, w: _np_nll(x, t, w))


def _np_bce(x, y, w=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    return _reduce(loss if w is None else loss * w, reduction)


def _np_bce_logits(x, y, w=None, reduction="mean", pw=None):
    lw = 1.0 if pw is None else 1 + (pw - 1) * y
    loss = (1 - y) * x + lw * np.logaddexp(0.0, -x)
    return _reduce(loss if w is None else loss * w, reduction)


for _red in ("mean", "sum", "none"):
    _op(f"binary_cross_entropy/{_red}", _call("binary_cross_entropy", reduction=_red),
        _t((3, 4), 0.05, 0.95), _t((3, 4), 0.0, 1.0),
        reference=lambda x, y, r=_red: _np_bce(x, y, None, r))
    _op(f"binary_cross_entropy_with_logits/{_red}",
        _call("binary_cross_entropy_with_logits", reduction=_red), _t((3, 4), -4.0, 4.0),
        _t((3, 4), 0.0, 1.0), reference=lambda x, y, r=_red: _np_bce_logits(x, y, None, r))
_op("binary_cross_entropy/weight",
    lambda x, y, w: _F().binary_cross_entropy(x, y, weight=w), _t((3, 4), 0.05, 0.95),
    _t((3, 4), 0.0, 1.0), _const(_W4), reference=lambda x, y, w: _np_bce(x, y, w))
_op("binary_cross_entropy_with_logits/pos_weight",
    lambda x, y, pw: _F().binary_cross_entropy_with_logits(x, y, pos_weight=pw),
    _t((3, 4), -4.0, 4.0), _t((3, 4), 0.0, 1.0), _const(_W4),
    reference=lambda x, y, pw: _np_bce_logits(x, y, pw=pw))
_op("binary_cross_entropy_with_logits/weight_pos_weight_none",
    lambda x, y, w, pw: _F().binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=pw, reduction="none"),
    _t((3, 4), -4.0, 4.0), _t((3, 4), 0.0, 1.0), _const([[1.0], [0.5], [2.0]]), _const(_W4),
    reference=lambda x, y, w, pw: _np_bce_logits(x, y, w, "none", pw))
_op("binary_cross_entropy_with_logits/large_logits",
    _call("binary_cross_entropy_with_logits", reduction="none"),
    _fixed([-1e4, -50.0, 0.0, 50.0, 1e4]), _fixed([1.0, 0.0, 0.5, 1.0, 0.0], grad=False),
    reference=lambda x, y: _np_bce_logits(x, y, None, "none"))
_op("kl_div/batchmean", _call("kl_div", reduction="batchmean"),
    ("t", (3, 4), -3.0, -0.1, 0.0, True), _probs((3, 4)),
    reference=lambda x, y: (y * (np.log(y) - x)).sum() / 3)
_op("kl_div/log_target", _call("kl_div", reduction="sum", log_target=True),
    ("t", (3, 4), -3.0, -0.1, 0.0, True), ("t", (3, 4), -3.0, -0.1, 0.0, True),
    reference=lambda x, y: (np.exp(y) * (y - x)).sum())
_op("soft_margin_loss", _call("soft_margin_loss"), _t((3, 4)),
    _fixed(np.sign(np.arange(12).reshape(3, 4) % 3 - 0.5), grad=False),
    reference=lambda x, y: np.logaddexp(0.0, -y * x).mean())
