"""Registry entries for convolution, pooling, normalisation and embedding (see opinfo.py).

Inputs are tiny (a few dozen elements) because every entry runs gradcheck and
gradgradcheck. The NumPy references below compute each window by explicit slicing,
independently of the im2col kernels under test.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
import nn.functional as F
from autograd.testing.opinfo import OpInfo, make_tensor, register
from nn.functional import conv as _conv

# --- NumPy references ----------------------------------------------------------------


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    o, cg, kh, kw = w.shape
    if padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        ph, pw = _pair(padding)
        pads = ((ph, ph), (pw, pw))
    xp = np.pad(x, ((0, 0), (0, 0)) + pads)
    n, c, h, wd = xp.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                       j * dw:j * dw + sw * (ow - 1) + 1:sw]
            for g in range(groups):
                out[:, g * og:(g + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _np_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    pad2 = padding if isinstance(padding, str) else (0, padding)
    out = _np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), pad2, (1, dilation), groups)
    return out[:, :, 0]


def _np_pool(x, k, s, p, reduce, pad_value, d=(1, 1)):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pair(k), _pair(s), _pair(p), _pair(d)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    h, w = xp.shape[2:]
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    taps = [xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]
    return reduce(np.stack(taps), axis=0)


def _np_max_pool2d(x, k, s=None, p=0, d=1):
    return _np_pool(x, k, k if s is None else s, p, np.max, -np.inf, _pair(d))


def _np_avg_pool2d(x, k, s=None, p=0, count_include_pad=True):
    total = _np_pool(x, k, k if s is None else s, p, np.sum, 0.0)
    if count_include_pad:
        return total / np.prod(_pair(k))
    count = _np_pool(np.ones((1, 1) + x.shape[2:]), k, k if s is None else s, p, np.sum, 0.0)
    return total / count


def _np_adaptive_avg_pool2d(x, size):
    h, w = x.shape[2:]
    oh, ow = size
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
            w0, w1 = (j * w) // ow, -((-(j + 1) * w) // ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _np_batch_norm(x, mean, var, w, b, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out


def _np_batch_norm_train(x, w=None, b=None, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    return _np_batch_norm(x, x.mean(axes), x.var(axes), w, b, eps)


def _np_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    out = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    if w is not None:
        out = out * w
    return out if b is None else out + b


def _np_group_norm(x, groups, w, b, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    out = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return out * w.reshape(shape) + b.reshape(shape)


def _np_unfold(x, k, d, p, s):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(k), _pair(d), _pair(p), _pair(s)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = xp.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    taps = np.stack([xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                        j * dw:j * dw + sw * (ow - 1) + 1:sw]
                     for i in range(kh) for j in range(kw)], axis=2)  # (n, c, kh*kw, oh, ow)
    return taps.reshape(n, c * kh * kw, oh * ow)


def _np_fold(cols, size, k, d, p, s):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(k), _pair(d), _pair(p), _pair(s)
    h, w = size
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    taps = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += taps[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w]


# --- argument makers -----------------------------------------------------------------


def _tensors(*shapes, grad=True):
    def make(rng, dtype, device):
        return tuple(make_tensor(rng, s, dtype, device, requires_grad=grad) for s in shapes)

    return make


def _bn_eval_args(x_shape, c):
    def make(rng, dtype, device):
        x = make_tensor(rng, x_shape, dtype, device)
        mean = make_tensor(rng, (c,), dtype, device, requires_grad=False)
        var = make_tensor(rng, (c,), dtype, device, 0.5, 2.0, requires_grad=False)
        w = make_tensor(rng, (c,), dtype, device)
        b = make_tensor(rng, (c,), dtype, device)
        return x, mean, var, w, b

    return make


def _embedding_args(num, dim, idx):
    def make(rng, dtype, device):
        w = make_tensor(rng, (num, dim), dtype, device)
        return ag.tensor(np.asarray(idx), device=device), w

    return make


def _reg(name, fn, make_args, reference=None, **kw):
    register(OpInfo(name, fn, make_args, reference=reference, group="conv", **kw))


# --- convolutions --------------------------------------------------------------------

_CONV2D = [
    # name, x shape, w shape, bias, kwargs
    ("basic_pad1", (2, 2, 4, 4), (3, 2, 3, 3), True, dict(padding=1)),
    ("stride2", (1, 2, 5, 5), (2, 2, 3, 3), False, dict(stride=2, padding=1)),
    ("rect_stride_dilation", (1, 2, 5, 6), (2, 2, 2, 2), True,
     dict(stride=(1, 2), padding=(1, 0), dilation=(2, 1))),
    ("groups2", (1, 4, 4, 4), (4, 2, 2, 2), True, dict(groups=2)),
    ("depthwise", (1, 3, 4, 4), (3, 1, 3, 3), False, dict(padding=1, groups=3)),
    ("same_even_kernel", (1, 2, 4, 5), (2, 2, 2, 2), True, dict(padding="same")),
    ("same_dilated", (1, 1, 5, 5), (2, 1, 3, 3), False, dict(padding="same", dilation=2)),
    ("valid", (2, 1, 4, 4), (2, 1, 3, 2), True, dict(padding="valid")),
]

for _name, _xs, _ws, _bias, _kw in _CONV2D:
    def _fn(x, w, *b, _kw=_kw):
        return F.conv2d(x, w, b[0] if b else None, **_kw)

    def _ref(x, w, *b, _kw=_kw):
        return _np_conv2d(x, w, b[0] if b else None, **_kw)

    _shapes = (_xs, _ws, (_ws[0],)) if _bias else (_xs, _ws)
    _reg(f"conv2d/{_name}", _fn, _tensors(*_shapes), _ref)

# conv2d's Winograd F(2x2, 3x3) path (3x3, stride 1, on the CPU), called directly: conv2d
# takes it from WINOGRAD_MIN_CHANNELS input channels, more than a gradcheck should carry
_WINOGRAD = [("winograd_pad1", (2, 2, 5, 4), (3, 2, 3, 3), (1, 1)),
             ("winograd_valid_odd", (1, 1, 5, 3), (2, 1, 3, 3), (0, 0)),
             ("winograd_pad2", (1, 2, 2, 3), (2, 2, 3, 3), (2, 1))]

for _name, _xs, _ws, _pad in _WINOGRAD:
    def _fn(x, w, b, _pad=_pad):
        return _conv._conv2d_winograd(x, w, b, _pad)

    def _ref(x, w, b, _pad=_pad):
        return _np_conv2d(x, w, b, padding=_pad)

    _reg(f"conv2d/{_name}", _fn, _tensors(_xs, _ws, (_ws[0],)), _ref)

_CONV1D = [
    ("basic", (2, 2, 6), (3, 2, 3), True, dict(padding=1)),
    ("stride_dilation_groups", (1, 4, 9), (4, 2, 2), True, dict(stride=2, dilation=2, groups=2)),
    ("same", (1, 2, 5), (2, 2, 4), False, dict(padding="same")),
]

for _name, _xs, _ws, _bias, _kw in _CONV1D:
    def _fn(x, w, *b, _kw=_kw):
        return F.conv1d(x, w, b[0] if b else None, **_kw)

    def _ref(x, w, *b, _kw=_kw):
        return _np_conv1d(x, w, b[0] if b else None, **_kw)

    _shapes = (_xs, _ws, (_ws[0],)) if _bias else (_xs, _ws)
    _reg(f"conv1d/{_name}", _fn, _tensors(*_shapes), _ref)

_reg("unfold", lambda x: F.unfold(x, (2, 3), dilation=1, padding=1, stride=(2, 1)),
     _tensors((1, 2, 4, 4)), lambda x: _np_unfold(x, (2, 3), 1, 1, (2, 1)))
_reg("fold", lambda c: F.fold(c, (4, 4), 2, padding=1, stride=2),
     _tensors((1, 8, 9)), lambda c: _np_fold(c, (4, 4), 2, 1, 1, 2))

# --- pooling -------------------------------------------------------------------------

_reg("max_pool2d/k2", lambda x: F.max_pool2d(x, 2), _tensors((2, 2, 4, 4)),
     lambda x: _np_max_pool2d(x, 2))
_reg("max_pool2d/overlap_pad", lambda x: F.max_pool2d(x, 3, 1, 1), _tensors((1, 2, 4, 4)),
     lambda x: _np_max_pool2d(x, 3, 1, 1))
_reg("max_pool2d/rect_dilation", lambda x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1), (2, 1)),
     _tensors((1, 2, 5, 6)), lambda x: _np_max_pool2d(x, (2, 3), (1, 2), (1, 1), (2, 1)))
_reg("max_pool2d/return_indices", lambda x: F.max_pool2d(x, 2, return_indices=True)[0],
     _tensors((1, 3, 4, 4)), lambda x: _np_max_pool2d(x, 2))
# ceil_mode: forward checked against naive loops in tests/nn/test_pooling.py
_reg("max_pool2d/ceil_mode", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
     _tensors((1, 2, 4, 5)))
_reg("avg_pool2d/ceil_mode", lambda x: F.avg_pool2d(x, 2, ceil_mode=True,
                                                    count_include_pad=False),
     _tensors((1, 2, 5, 3)))
_reg("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1), _tensors((2, 2, 7)),
     lambda x: _np_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[:, :, 0])
_reg("avg_pool2d/k2", lambda x: F.avg_pool2d(x, 2), _tensors((2, 2, 4, 4)),
     lambda x: _np_avg_pool2d(x, 2))
_reg("avg_pool2d/k3s2p1", lambda x: F.avg_pool2d(x, 3, 2, 1), _tensors((1, 2, 5, 5)),
     lambda x: _np_avg_pool2d(x, 3, 2, 1))
_reg("avg_pool2d/exclude_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
     _tensors((1, 2, 5, 5)), lambda x: _np_avg_pool2d(x, 3, 2, 1, False))
_reg("avg_pool1d", lambda x: F.avg_pool1d(x, 2), _tensors((2, 2, 6)),
     lambda x: _np_avg_pool2d(x[:, :, None], (1, 2))[:, :, 0])
_reg("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
     _tensors((1, 2, 5, 4)), lambda x: _np_adaptive_avg_pool2d(x, (2, 3)))

# --- normalisation -------------------------------------------------------------------

_reg("batch_norm/train_2d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     _tensors((5, 3), (3,), (3,)), _np_batch_norm_train)
_reg("batch_norm/train_4d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     _tensors((2, 2, 3, 2), (2,), (2,)), _np_batch_norm_train)
_reg("batch_norm/train_no_affine", lambda x: F.batch_norm(x, None, None, training=True),
     _tensors((3, 2, 4)), _np_batch_norm_train)
_reg("batch_norm/eval", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False),
     _bn_eval_args((2, 3, 4), 3), _np_batch_norm)
_reg("layer_norm", lambda x, w, b: F.layer_norm(x, (2, 3), w, b),
     _tensors((2, 2, 3), (2, 3), (2, 3)), lambda x, w, b: _np_layer_norm(x, 2, w, b))
_reg("layer_norm/no_affine", lambda x: F.layer_norm(x, 4), _tensors((3, 4)),
     lambda x: _np_layer_norm(x, 1))
_reg("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b),
     _tensors((2, 4, 3), (4,), (4,)), lambda x, w, b: _np_group_norm(x, 2, w, b))

# --- embedding -----------------------------------------------------------------------

_reg("embedding", lambda i, w: F.embedding(i, w), _embedding_args(5, 3, [[0, 2], [4, 1]]),
     lambda i, w: w[i])
_reg("embedding/repeated", lambda i, w: F.embedding(i, w),
     _embedding_args(4, 2, [1, 1, 3, 1, 0]), lambda i, w: w[i])
# padding_idx: the padding row is never looked up here, so finite differences agree; the
# zero gradient of a looked-up padding row is checked in tests/nn/test_embedding.py
_reg("embedding/padding_idx", lambda i, w: F.embedding(i, w, padding_idx=2),
     _embedding_args(4, 2, [0, 3, 3, 1]), lambda i, w: w[i])
