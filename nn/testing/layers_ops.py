"""Registry entries for the layers of issue 12 (see opinfo.py): transposed and 3-D
convolution, 3-D pooling, interpolation, grid sampling, pads, pixel shuffle, embedding
bags, distances, RMS/instance/local-response norms and the margin, NLL and CTC losses.

References are NumPy written independently of the code under test (explicit window
loops, ``np.pad`` modes, brute-force alignment sums for CTC); the float64 comparisons
with PyTorch on copied weights live in tests/nn/test_layers_extra.py.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import autograd as ag
from autograd.testing.opinfo import OpInfo, make_tensor, register


def _F():
    import nn.functional as F

    return F


def _args(*specs):
    """specs: a shape (random tensor, differentiated), ("const", values), ("int", values),
    ("pos", shape) (values in [0.5, 2)), ("nograd", shape) or ("py", value)."""

    def make(rng, dtype, device):
        out = []
        for s in specs:
            if isinstance(s, tuple) and s and isinstance(s[0], str):
                kind, value = s
                if kind == "const":
                    out.append(ag.tensor(np.asarray(value, float), dtype=dtype, device=device))
                elif kind == "int":
                    out.append(ag.tensor(np.asarray(value), dtype=ag.int64, device=device))
                elif kind == "pos":
                    out.append(make_tensor(rng, value, dtype, device, 0.5, 2.0))
                elif kind == "nograd":
                    out.append(make_tensor(rng, value, dtype, device, requires_grad=False))
                else:  # "py": a plain Python value passed through
                    out.append(value)
            else:
                out.append(make_tensor(rng, s, dtype, device))
        return tuple(out)

    return make


def _reg(name, fn, make_args, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, make_args, reference=reference, second_order=second_order,
                    group="layers", **kw))


# --- convolutions ----------------------------------------------------------------------


def _np_conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                         groups=1, dilation=(1, 1)):
    """Every input pixel scatters ``x * w`` into the (uncropped) output, then crop."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    full = np.zeros((n, og * groups, (h - 1) * sh + dh * (kh - 1) + 1 + oph,
                     (wd - 1) * sw + dw * (kw - 1) + 1 + opw))
    cg = c // groups
    for g in range(groups):
        xg, wg = x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                full[:, g * og:(g + 1) * og, i * dh:i * dh + sh * (h - 1) + 1:sh,
                     j * dw:j * dw + sw * (wd - 1) + 1:sw] += np.einsum("nchw,co->nohw", xg,
                                                                        wg[:, :, i, j])
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def _np_conv3d(x, w, b=None, stride=1, padding=0, groups=1):
    s, p = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0)) + ((p, p),) * 3)
    n, c, d, h, wd = xp.shape
    o, cg, kd, kh, kw = w.shape
    od, oh, ow = (d - kd) // s + 1, (h - kh) // s + 1, (wd - kw) // s + 1
    out = np.zeros((n, o, od, oh, ow))
    og = o // groups
    for a, i, j in itertools.product(range(kd), range(kh), range(kw)):
        patch = xp[:, :, a:a + s * (od - 1) + 1:s, i:i + s * (oh - 1) + 1:s,
                   j:j + s * (ow - 1) + 1:s]
        for g in range(groups):
            wg = w[g * og:(g + 1) * og, :, a, i, j]
            out[:, g * og:(g + 1) * og] += np.einsum("ncdhw,oc->nodhw",
                                                     patch[:, g * cg:(g + 1) * cg], wg)
    return out if b is None else out + b.reshape(1, -1, 1, 1, 1)


_reg("conv_transpose2d/basic", lambda x, w, b: _F().conv_transpose2d(x, w, b),
     _args((2, 3, 3, 2), (3, 2, 2, 3), (2,)), _np_conv_transpose2d)
_reg("conv_transpose2d/stride_pad_outpad",
     lambda x, w: _F().conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
     _args((1, 2, 3, 3), (2, 2, 3, 3)),
     lambda x, w: _np_conv_transpose2d(x, w, None, (2, 2), (1, 1), (1, 1)))
_reg("conv_transpose2d/groups_dilation",
     lambda x, w, b: _F().conv_transpose2d(x, w, b, stride=(1, 2), groups=2, dilation=(2, 1)),
     _args((1, 4, 2, 3), (4, 1, 2, 2), (2,)),
     lambda x, w, b: _np_conv_transpose2d(x, w, b, (1, 2), (0, 0), (0, 0), 2, (2, 1)))
_reg("conv_transpose1d", lambda x, w: _F().conv_transpose1d(x, w, stride=2, padding=1),
     _args((2, 2, 4), (2, 3, 3)),
     lambda x, w: _np_conv_transpose2d(x[:, :, None], w[:, :, None], None, (1, 2),
                                       (0, 1))[:, :, 0])
_reg("conv_transpose3d", lambda x, w, b: _F().conv_transpose3d(x, w, b, stride=(2, 1, 1),
                                                                padding=(1, 0, 0)),
     _args((1, 2, 2, 2, 3), (2, 2, 2, 2, 2), (2,)))
_reg("conv3d/basic", lambda x, w, b: _F().conv3d(x, w, b), _args((1, 2, 3, 3, 4), (2, 2, 2, 2, 2),
                                                               (2,)), _np_conv3d)
_reg("conv3d/stride_pad_groups", lambda x, w: _F().conv3d(x, w, stride=2, padding=1, groups=2),
     _args((1, 4, 3, 3, 3), (2, 2, 2, 2, 2)),
     lambda x, w: _np_conv3d(x, w, None, 2, 1, 2))


# --- 3-D pooling -----------------------------------------------------------------------


def _np_pool3d(x, k, s, p, reduce, fill):
    xp = np.pad(x, ((0, 0), (0, 0)) + ((p, p),) * 3, constant_values=fill)
    d, h, w = xp.shape[2:]
    od, oh, ow = (d - k) // s + 1, (h - k) // s + 1, (w - k) // s + 1
    taps = [xp[:, :, a:a + s * (od - 1) + 1:s, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s]
            for a, i, j in itertools.product(range(k), repeat=3)]
    return reduce(np.stack(taps), axis=0)


_reg("max_pool3d/k2", lambda x: _F().max_pool3d(x, 2), _args((1, 2, 4, 4, 2)),
     lambda x: _np_pool3d(x, 2, 2, 0, np.max, -np.inf))
_reg("max_pool3d/k3s2p1", lambda x: _F().max_pool3d(x, 3, 2, 1), _args((1, 1, 3, 4, 3)),
     lambda x: _np_pool3d(x, 3, 2, 1, np.max, -np.inf))
_reg("avg_pool3d/k2", lambda x: _F().avg_pool3d(x, 2), _args((2, 1, 2, 4, 4)),
     lambda x: _np_pool3d(x, 2, 2, 0, np.mean, 0.0))
_reg("avg_pool3d/k3s2p1", lambda x: _F().avg_pool3d(x, 3, 2, 1), _args((1, 2, 3, 3, 4)),
     lambda x: _np_pool3d(x, 3, 2, 1, np.mean, 0.0))
_reg("avg_pool3d/exclude_pad_ceil",
     lambda x: _F().avg_pool3d(x, 2, 2, 1, ceil_mode=True, count_include_pad=False),
     _args((1, 1, 3, 4, 3)))

# --- resampling ------------------------------------------------------------------------


def _np_nearest(x, out):
    """'nearest' along the last two axes: source index floor(dst * in / out)."""
    h, w = x.shape[-2:]
    rows = np.minimum(np.floor(np.arange(out[0]) * h / out[0]).astype(int), h - 1)
    cols = np.minimum(np.floor(np.arange(out[1]) * w / out[1]).astype(int), w - 1)
    return x[..., rows[:, None], cols[None, :]]


def _np_bilinear_align(x, out):
    """Bilinear with align_corners=True, one output pixel at a time."""
    h, w = x.shape[-2:]
    res = np.zeros(x.shape[:-2] + tuple(out))
    for i, j in itertools.product(range(out[0]), range(out[1])):
        sy = i * (h - 1) / (out[0] - 1) if out[0] > 1 else 0.0
        sx = j * (w - 1) / (out[1] - 1) if out[1] > 1 else 0.0
        y0, x0 = min(int(sy), h - 1), min(int(sx), w - 1)
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        ly, lx = sy - y0, sx - x0
        res[..., i, j] = ((1 - ly) * ((1 - lx) * x[..., y0, x0] + lx * x[..., y0, x1])
                          + ly * ((1 - lx) * x[..., y1, x0] + lx * x[..., y1, x1]))
    return res


_reg("interpolate/nearest", lambda x: _F().interpolate(x, size=(5, 3)), _args((1, 2, 3, 4)),
     lambda x: _np_nearest(x, (5, 3)))
_reg("interpolate/bilinear_align_corners",
     lambda x: _F().interpolate(x, size=(4, 5), mode="bilinear", align_corners=True),
     _args((1, 2, 3, 3)), lambda x: _np_bilinear_align(x, (4, 5)))
_reg("interpolate/bilinear_scale", lambda x: _F().interpolate(x, scale_factor=1.5,
                                                              mode="bilinear"),
     _args((1, 1, 3, 4)))
_reg("interpolate/bicubic", lambda x: _F().interpolate(x, size=(5, 4), mode="bicubic"),
     _args((1, 1, 3, 3)))
_reg("interpolate/linear", lambda x: _F().interpolate(x, scale_factor=2, mode="linear"),
     _args((2, 2, 3)))
_reg("interpolate/trilinear", lambda x: _F().interpolate(x, size=(3, 2, 3), mode="trilinear"),
     _args((1, 1, 2, 3, 2)))
_reg("interpolate/bicubic_antialias",
     lambda x: _F().interpolate(x, size=(2, 3), mode="bicubic", antialias=True),
     _args((1, 1, 4, 5)))
_reg("interpolate/area", lambda x: _F().interpolate(x, size=(2, 3), mode="area"),
     _args((1, 2, 4, 5)))


def _np_affine_grid(theta, size, align_corners):
    n, _, h, w = size

    def lin(m):
        c = np.linspace(-1, 1, m)
        return c if align_corners else c * (m - 1) / m

    ys, xs = np.meshgrid(lin(h), lin(w), indexing="ij")
    base = np.stack([xs, ys, np.ones_like(xs)], -1)  # (H, W, 3)
    return np.einsum("hwk,nck->nhwc", base, theta)


def _np_grid_sample_zeros(x, grid):
    """Bilinear, zeros padding, align_corners=False, one output point at a time."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b, i, j in itertools.product(range(n), range(grid.shape[1]), range(grid.shape[2])):
        gx = ((grid[b, i, j, 0] + 1) * w - 1) / 2
        gy = ((grid[b, i, j, 1] + 1) * h - 1) / 2
        x0, y0 = math.floor(gx), math.floor(gy)
        for yy, xx in itertools.product((y0, y0 + 1), (x0, x0 + 1)):
            if 0 <= yy < h and 0 <= xx < w:
                out[b, :, i, j] += x[b, :, yy, xx] * (1 - abs(gx - xx)) * (1 - abs(gy - yy))
    return out


_reg("affine_grid", lambda t: _F().affine_grid(t, (2, 1, 3, 4)), _args((2, 2, 3)),
     lambda t: _np_affine_grid(t, (2, 1, 3, 4), False))
_reg("affine_grid/align_corners", lambda t: _F().affine_grid(t, (1, 1, 2, 3), True),
     _args((1, 2, 3)), lambda t: _np_affine_grid(t, (1, 1, 2, 3), True))


def _grid_args(align_corners=False, sizes=(3, 4)):
    """input (1, 2, *sizes) and a grid whose pixel positions stay 0.2 away from integers
    (where the interpolation weights have kinks)."""

    def make(rng, dtype, device):
        nd = len(sizes)
        x = make_tensor(rng, (1, 2) + sizes, dtype, device)
        out = (1, 3, 2, 2)[:nd + 1]
        g = np.empty(out + (nd,))
        for k in range(nd):  # grid[..., k] addresses spatial axis nd-1-k
            size = sizes[nd - 1 - k]
            px = rng.integers(-1, size, out) + rng.uniform(0.2, 0.8, out)
            g[..., k] = 2 * px / (size - 1) - 1 if align_corners else (2 * px + 1) / size - 1
        return x, ag.tensor(g, dtype=dtype, device=device).requires_grad_(True)

    return make


_reg("grid_sample/bilinear_zeros", lambda x, g: _F().grid_sample(x, g), _grid_args(),
     _np_grid_sample_zeros)
_reg("grid_sample/bilinear_border_align",
     lambda x, g: _F().grid_sample(x, g, padding_mode="border", align_corners=True),
     _grid_args(True))
_reg("grid_sample/bilinear_reflection",
     lambda x, g: _F().grid_sample(x, g, padding_mode="reflection"), _grid_args())
_reg("grid_sample/bicubic_border", lambda x, g: _F().grid_sample(x, g, mode="bicubic",
                                                                 padding_mode="border"),
     _grid_args())
_reg("grid_sample/trilinear_5d", lambda x, g: _F().grid_sample(x, g, align_corners=True),
     _grid_args(True, (2, 3, 3)))


_reg("pixel_shuffle", lambda x: _F().pixel_shuffle(x, 2), _args((1, 8, 2, 3)),
     lambda x: x.reshape(1, 2, 2, 2, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(1, 2, 4, 6))
_reg("pixel_unshuffle", lambda x: _F().pixel_unshuffle(x, 2), _args((1, 2, 4, 2)),
     lambda x: x.reshape(1, 2, 2, 2, 1, 2).transpose(0, 1, 3, 5, 2, 4).reshape(1, 8, 2, 1))

# --- embedding bags --------------------------------------------------------------------

_BAG_IDX, _BAG_OFF = [1, 3, 3, 0, 2, 4, 1], [0, 3, 3, 5]


def _np_bag(w, mode, psw=None):
    idx = np.asarray(_BAG_IDX)
    ends = _BAG_OFF[1:] + [len(idx)]
    rows = w[idx] * (psw[:, None] if psw is not None else 1.0)
    out = []
    for s, e in zip(_BAG_OFF, ends, strict=True):
        part = rows[s:e]
        if len(part) == 0:
            out.append(np.zeros(w.shape[1]))
        else:
            out.append({"sum": part.sum(0), "mean": part.mean(0), "max": part.max(0)}[mode])
    return np.stack(out)


for _m in ("sum", "mean", "max"):
    _reg(f"embedding_bag/{_m}",
         lambda w, _m=_m: _F().embedding_bag(ag.tensor(_BAG_IDX), w, ag.tensor(_BAG_OFF),
                                             mode=_m), _args((5, 3)),
         lambda w, _m=_m: _np_bag(w, _m))
_reg("embedding_bag/per_sample_weights",
     lambda w, p: _F().embedding_bag(ag.tensor(_BAG_IDX), w, ag.tensor(_BAG_OFF), mode="sum",
                                     per_sample_weights=p), _args((5, 3), (7,)),
     lambda w, p: _np_bag(w, "sum", p))

# --- distances and norms -----------------------------------------------------------------


def _np_norm(x, p, axis):
    return (np.abs(x) ** p).sum(axis, keepdims=True) ** (1 / p)


_reg("normalize", lambda x: _F().normalize(x), _args((3, 4)),
     lambda x: x / np.maximum(_np_norm(x, 2, 1), 1e-12))
_reg("normalize/p3_dim0", lambda x: _F().normalize(x, p=3.0, dim=0), _args((3, 4)),
     lambda x: x / np.maximum(_np_norm(x, 3, 0), 1e-12))
_reg("cosine_similarity", lambda a, b: _F().cosine_similarity(a, b), _args((3, 4), (1, 4)),
     lambda a, b: (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))
_reg("pairwise_distance", lambda a, b: _F().pairwise_distance(a, b, p=1.5), _args((3, 4),
                                                                                  (3, 4)),
     lambda a, b: _np_norm(a - b + 1e-6, 1.5, -1)[..., 0])
_reg("rms_norm", lambda x, w: _F().rms_norm(x, (3,), w, eps=1e-6), _args((2, 3), (3,)),
     lambda x, w: x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w)


def _np_instance_norm(x, w, b):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


_reg("instance_norm", lambda x, w, b: _F().instance_norm(x, weight=w, bias=b),
     _args((2, 3, 4), (3,), (3,)), _np_instance_norm)


def _np_lrn(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x * x
    div = np.zeros_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        div[:, ch] = sq[:, lo:hi].sum(1)
    return x / (k + alpha / size * div) ** beta


_reg("local_response_norm", lambda x: _F().local_response_norm(x, 3, alpha=0.5, k=2.0),
     _args((2, 4, 3)), lambda x: _np_lrn(x, 3, alpha=0.5, k=2.0))

# --- losses ----------------------------------------------------------------------------

_Y = [1.0, -1.0, -1.0, 1.0]
_reg("margin_ranking_loss", lambda a, b, y: _F().margin_ranking_loss(a, b, y, 0.3),
     _args((4,), (4,), ("const", _Y)),
     lambda a, b, y: np.maximum(0, -y * (a - b) + 0.3).mean())
_reg("hinge_embedding_loss", lambda x, y: _F().hinge_embedding_loss(x, y, 0.5, "sum"),
     _args((4,), ("const", _Y)),
     lambda x, y: np.where(y == 1, x, np.maximum(0, 0.5 - x)).sum())


def _np_triplet(a, p, n, margin=1.0, pn=2.0, eps=1e-6, swap=False):
    def d(u, v):
        return (np.abs(u - v + eps) ** pn).sum(-1) ** (1 / pn)

    dn = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
    return np.maximum(d(a, p) - dn + margin, 0).mean()


_reg("triplet_margin_loss", lambda a, p, n: _F().triplet_margin_loss(a, p, n),
     _args((3, 4), (3, 4), (3, 4)), _np_triplet)
_reg("triplet_margin_loss/swap_p1", lambda a, p, n: _F().triplet_margin_loss(
    a, p, n, margin=2.0, p=1.0, swap=True), _args((3, 4), (3, 4), (3, 4)),
    lambda a, p, n: _np_triplet(a, p, n, 2.0, 1.0, swap=True))


def _np_multi_margin(x, t, p=1, margin=1.0, w=None):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != t[i]:
                v = max(0.0, margin - x[i, t[i]] + x[i, j]) ** p
                out[i] += v * (w[t[i]] if w is not None else 1.0)
    return (out / c).mean()


_reg("multi_margin_loss", lambda x, t: _F().multi_margin_loss(x, t), _args((3, 4),
                                                                          ("int", [0, 3, 1])),
     _np_multi_margin)
_reg("multi_margin_loss/p2_weight",
     lambda x, t, w: _F().multi_margin_loss(x, t, p=2, margin=0.5, weight=w),
     _args((3, 4), ("int", [2, 3, 1]), ("const", [0.5, 1.0, 2.0, 1.5])),
     lambda x, t, w: _np_multi_margin(x, t, 2, 0.5, w))


def _np_cos_emb(a, b, y, margin=0.1):
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    return np.where(y == 1, 1 - cos, np.maximum(0, cos - margin)).mean()


_reg("cosine_embedding_loss", lambda a, b, y: _F().cosine_embedding_loss(a, b, y, 0.1),
     _args((4, 3), (4, 3), ("const", _Y)), _np_cos_emb)
_COUNTS = [[0.0, 1.0, 3.0], [2.0, 5.0, 1.0]]
_reg("poisson_nll_loss", lambda x, t: _F().poisson_nll_loss(x, t), _args((2, 3),
                                                                        ("const", _COUNTS)),
     lambda x, t: (np.exp(x) - t * x).mean())


def _np_poisson_full(x, t):
    stirling = np.where(t > 1, t * np.log(np.maximum(t, 1)) - t
                        + 0.5 * np.log(2 * np.pi * np.maximum(t, 1)), 0)
    return (x - t * np.log(x + 1e-8) + stirling).sum()


_reg("poisson_nll_loss/full_rate", lambda x, t: _F().poisson_nll_loss(
    x, t, log_input=False, full=True, reduction="sum"), _args(("pos", (2, 3)),
                                                              ("const", _COUNTS)),
    _np_poisson_full)
_reg("gaussian_nll_loss", lambda x, t, v: _F().gaussian_nll_loss(x, t, v, full=True),
     _args((3, 2), ("nograd", (3, 2)), ("pos", (3, 1))),
     lambda x, t, v: (0.5 * (np.log(v) + (x - t) ** 2 / v) + 0.5 * np.log(2 * np.pi)).mean())


def _np_ctc_brute(lp, targets, lengths, blank=0):
    """Sum over every path of T symbols that collapses to the target (T is tiny)."""
    t_len, n, c = lp.shape
    losses = []
    for b in range(n):
        target = tuple(targets[b][:lengths[b]])
        total = 0.0
        for path in itertools.product(range(c), repeat=t_len):
            collapsed = [k for i, k in enumerate(path) if k != blank
                         and (i == 0 or path[i - 1] != k)]
            if tuple(collapsed) == target:
                total += math.exp(sum(lp[t, b, k] for t, k in enumerate(path)))
        losses.append(-math.log(total) / max(lengths[b], 1))
    return np.mean(losses)


_CTC_T, _CTC_L = [[1, 2], [2, 2]], [2, 2]
_reg("ctc_loss", lambda x: _F().ctc_loss(_F().log_softmax(x, -1), ag.tensor(_CTC_T),
                                         [4, 4], _CTC_L), _args((4, 2, 3)),
     lambda x: _np_ctc_brute(x - np.log(np.exp(x).sum(-1, keepdims=True)), _CTC_T, _CTC_L),
     second_order=False)
_reg("ctc_loss/raw_log_probs_sum", lambda x: _F().ctc_loss(
    x, ag.tensor([1, 1, 2]), [4, 3], [2, 1], reduction="sum"), _args(("pos", (4, 2, 3))),
    second_order=False)
