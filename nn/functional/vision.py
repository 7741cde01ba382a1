"""Resampling: ``interpolate``/``upsample``, ``pixel_shuffle``/``pixel_unshuffle``,
``grid_sample`` and ``affine_grid``.

Every mode of ``interpolate`` is separable and linear in the input, so each spatial
axis is one product with a constant (out, in) matrix built here with PyTorch's
source-index rules; the gradient is the transposed product and every derivative order
is exact. ``grid_sample`` gathers the corner values with integer-array indexing
(scatter-add backward) and weights them by differentiable functions of the grid.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.extend import is_compile_recording, replayable, wrap

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle", "grid_sample", "affine_grid"]

_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


# --- interpolation matrices (NumPy, float64; one per axis) ---------------------------


def _source_scale(in_size: int, out_size: int, align_corners: bool, scale) -> float:
    """PyTorch's ``area_pixel_compute_scale``: the source step per output pixel."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_size / out_size


def _cubic_weights(t: np.ndarray, a: float = -0.75) -> list[np.ndarray]:
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 (PyTorch's A)."""
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _axis_matrix(mode: str, in_size: int, out_size: int, align_corners: bool, scale):
    """(out_size, in_size) matrix M with out = M @ in along one axis."""
    m = np.zeros((out_size, in_size))
    dst = np.arange(out_size, dtype=np.float64)
    rows = np.arange(out_size)
    if mode == "area":  # adaptive average pooling windows
        for i in range(out_size):
            lo, hi = (i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)
            m[i, lo:hi] = 1.0 / (hi - lo)
        return m
    if mode in ("nearest", "nearest-exact"):
        # floorf(dst * scale) in float32, as PyTorch's kernel; its float64 kernels round
        # ~1% of (size, scale) pairs differently, which no single rule reproduces
        s = np.float32(1.0 / scale if scale is not None and scale > 0 else in_size / out_size)
        pos = dst.astype(np.float32) + np.float32(0.5 if mode == "nearest-exact" else 0.0)
        src = np.floor(pos * s)
        m[rows, np.minimum(src.astype(np.int64), in_size - 1)] = 1.0
        return m
    s = _source_scale(in_size, out_size, align_corners, scale)
    src = dst * s if align_corners else (dst + 0.5) * s - 0.5
    if mode.endswith("-aa"):
        return _antialias_matrix(mode[:-3], in_size, out_size, s)
    if mode == "cubic":
        i0 = np.floor(src)
        t = src - i0
        for k, w in zip(range(-1, 3), _cubic_weights(t), strict=True):
            np.add.at(m, (rows, np.clip(i0.astype(np.int64) + k, 0, in_size - 1)), w)
        return m
    src = np.maximum(src, 0.0)  # linear: PyTorch clamps negative source indices
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = src - i0
    np.add.at(m, (rows, i0), 1.0 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _antialias_matrix(mode: str, in_size: int, out_size: int, scale: float) -> np.ndarray:
    """PyTorch's antialiased resampling weights (``_upsample_*_aa``): the triangle
    (linear) or Keys a=-0.5 (cubic) filter stretched by the downscale factor, each row
    normalised to sum 1."""
    if mode == "linear":
        def filt(x):
            return np.maximum(1.0 - np.abs(x), 0.0)
        support = 1.0
    else:
        def filt(x):
            x, a = np.abs(x), -0.5
            return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                            np.where(x < 2, ((x - 5) * x + 8) * x * a - 4 * a, 0.0))
        support = 2.0
    if scale >= 1.0:
        support, invscale = support * scale, 1.0 / scale
    else:
        invscale = 1.0
    m = np.zeros((out_size, in_size))
    for i in range(out_size):  # one row per output pixel: a few dozen
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        w = filt((np.arange(lo, hi) - center + 0.5) * invscale)
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def _apply_along(x: Tensor, axis: int, matrix: np.ndarray) -> Tensor:
    """``matrix`` (out, in) applied to axis ``axis`` of x."""
    mt = wrap(x.device.backend.xp.asarray(matrix.T.astype(x.dtype)), x.device)
    if axis == x.ndim - 1:
        return x @ mt
    return (x.transpose(axis, -1) @ mt).transpose(axis, -1)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dimensions of input (N, C, *spatial) (1 to 3 of them), as
    ``torch.nn.functional.interpolate``.

    mode: 'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' / 'bicubic'
    (4-D), 'trilinear' (5-D) or 'area'. Give either ``size`` (int or tuple) or
    ``scale_factor`` (float or tuple; the output size is floor(in * scale), and unless
    ``recompute_scale_factor`` the scale itself maps output to input coordinates).
    ``align_corners`` (linear modes only) maps corner pixel centres onto each other.
    ``antialias`` (bilinear, bicubic) low-pass filters when downsampling, as PyTorch.
    """
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"{op}: expected input of shape (N, C, *spatial) with 1 to 3 spatial "
                         f"dimensions, got {tuple(input.shape)}")
    linear_modes = ("linear", "bilinear", "bicubic", "trilinear")
    if mode not in linear_modes + ("nearest", "nearest-exact", "area"):
        raise ValueError(f"{op}: unknown mode {mode!r}; expected one of 'nearest', "
                         "'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != nd:
        raise ValueError(f"{op}: mode {mode!r} needs {_MODE_DIMS[mode] + 2}-D input, got "
                         f"shape {tuple(input.shape)}")
    if align_corners is not None and mode not in linear_modes:
        raise ValueError(f"{op}: align_corners can only be set with the linear modes "
                         f"{linear_modes}, not {mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{op}: antialias=True is only supported with the 'bilinear' and "
                         f"'bicubic' modes, got {mode!r}")
    align_corners = bool(align_corners)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out_sizes = (int(size),) * nd if isinstance(size, int) else tuple(int(s) for s in size)
        if len(out_sizes) != nd:
            raise ValueError(f"{op}: size {size} must have {nd} entries for input of shape "
                             f"{tuple(input.shape)}")
        scales = (None,) * nd
    else:
        scales = (float(scale_factor),) * nd if isinstance(scale_factor, int | float) else \
            tuple(float(s) for s in scale_factor)
        if len(scales) != nd:
            raise ValueError(f"{op}: scale_factor {scale_factor} must have {nd} entries for "
                             f"input of shape {tuple(input.shape)}")
        out_sizes = tuple(int(math.floor(i * s)) for i, s in zip(in_sizes, scales, strict=True))
        if recompute_scale_factor:
            scales = (None,) * nd
    if any(s < 1 for s in out_sizes):
        raise ValueError(f"{op}: output size {out_sizes} must be positive")
    if mode == "area":
        scales = (None,) * nd
    axis_mode = {"bicubic": "cubic"}.get(mode, "linear" if mode in linear_modes else mode)
    if antialias:
        axis_mode += "-aa"
    out = input
    for k in range(nd):
        if out_sizes[k] == in_sizes[k] and scales[k] in (None, 1.0) and axis_mode != "cubic":
            continue  # identity along this axis
        m = _axis_matrix(axis_mode, in_sizes[k], out_sizes[k], align_corners, scales[k])
        out = _apply_along(out, 2 + k, m)
    return out


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (PyTorch's ``F.upsample``)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """``interpolate(..., mode='bilinear', align_corners=True)`` (PyTorch's definition)."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


# --- pixel shuffle -------------------------------------------------------------------


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r), as ``torch.nn.functional.pixel_shuffle``."""
    r = int(upscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected input (*, C*r^2, H, W) with channels "
                         f"divisible by upscale_factor^2 = {r * r}, got {tuple(input.shape)}")
    *lead, c, h, w = input.shape
    oc = c // (r * r)
    x = input.reshape(-1, oc, r, r, h, w).permute(0, 1, 4, 2, 5, 3)  # (B, oc, h, r, w, r)
    return x.reshape(*lead, oc, h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: expected input (*, C, H, W) with H and W divisible "
                         f"by downscale_factor = {r}, got {tuple(input.shape)}")
    *lead, c, hh, ww = input.shape
    h, w = hh // r, ww // r
    x = input.reshape(-1, c, h, r, w, r).permute(0, 1, 3, 5, 2, 4)  # (B, c, r, r, h, w)
    return x.reshape(*lead, c * r * r, h, w)


# --- grid sampling -------------------------------------------------------------------


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid of an affine map, as ``torch.nn.functional.affine_grid``.

    theta (N, 2, 3) with size (N, C, H, W) -> grid (N, H, W, 2) of (x, y) in [-1, 1];
    theta (N, 3, 4) with size (N, C, D, H, W) -> (N, D, H, W, 3).
    """
    op = "affine_grid"
    size = tuple(int(s) for s in size)
    nd = len(size) - 2
    if nd not in (2, 3) or not isinstance(theta, Tensor) or \
            tuple(theta.shape) != (size[0], nd, nd + 1):
        raise ValueError(f"{op}: expected theta (N, 2, 3) with a 4-D size or (N, 3, 4) with a "
                         f"5-D size, got theta {tuple(getattr(theta, 'shape', ()))} and size "
                         f"{size}")
    if theta.dtype.kind != "f":
        raise TypeError(f"{op}: theta must be floating, got dtype {theta.dtype}")
    align_corners = bool(align_corners)

    def coords(n):
        if n <= 1:
            return np.zeros(max(n, 0))
        c = np.linspace(-1.0, 1.0, n)
        return c if align_corners else c * (n - 1) / n

    spatial = size[2:]  # (H, W) or (D, H, W)
    axes = [coords(n) for n in reversed(spatial)]  # x (W), y (H), z (D)
    mesh = np.meshgrid(*axes[::-1], indexing="ij")  # each of shape spatial
    base = np.stack([m for m in mesh[::-1]] + [np.ones(spatial)], axis=-1)  # (*sp, nd+1)
    base = wrap(theta.device.backend.xp.asarray(base.reshape(-1, nd + 1).astype(theta.dtype)),
                 theta.device)
    grid = base @ theta.transpose(1, 2)  # (N, prod(spatial), nd)
    return grid.reshape(size[0], *spatial, nd)


def _unnormalize(coord: Tensor, n: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((n - 1) / 2)
    return ((coord + 1) * n - 1) / 2


def _reflect_coords(x: Tensor, lo: float, hi: float) -> Tensor:
    """Reflect coordinates into [lo, hi] (PyTorch's reflect_coordinates, on 2*lo..2*hi)."""
    span = hi - lo
    if span <= 0:
        return x * 0.0 + lo
    d = (x - lo).abs()
    flips, even = _flips(x.device.backend.xp, d.array, span)
    extra = d - wrap(flips, x.device) * span
    return ag.where(wrap(even, x.device), extra + lo, span - extra + lo)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _flips(xp, d, span: float):
    """How many times ``d`` (distances from the low edge) crosses the span, and where
    that count is even."""
    flips = xp.floor(d / span)
    return flips, (flips % 2) == 0


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _rounded(xp, a, how: str):
    """``floor(a)`` (floats), or ``rint(a)`` as int64 (half to even)."""
    return xp.floor(a) if how == "floor" else xp.rint(a).astype(np.int64)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _taps(xp, base, offsets, sizes, bound, dtype):
    """Integer positions ``base[a] + offsets[a]`` along each spatial axis (bicubic:
    ``bound = (padding_mode, align_corners)``, float ``base``, PyTorch's padding rule;
    else int64 of ``base``): the positions clipped into the input, the (N, *out, 1) mask
    (``dtype``) of those inside it, and whether all are."""
    idx = []
    for b, o, size in zip(base, offsets, sizes, strict=True):
        idx.append(_bounded_taps(xp, b + o, size, *bound) if bound is not None
                   else b.astype(np.int64) + o)
    inside = None
    for i, size in zip(idx, sizes, strict=True):
        ok = (i >= 0) & (i < size)
        inside = ok if inside is None else inside & ok
    keys = tuple(xp.clip(i, 0, size - 1) for i, size in zip(idx, sizes, strict=True))
    return keys, inside[..., None].astype(dtype), bool(inside.all())


def _source_coords(coord: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    x = _unnormalize(coord, n, align_corners)
    if padding_mode == "border":
        return x.clamp(0, n - 1)
    if padding_mode == "reflection":
        x = _reflect_coords(x, 0.0, n - 1.0) if align_corners else \
            _reflect_coords(x, -0.5, n - 0.5)
        return x.clamp(0, n - 1)
    return x


def _reflect_array(xp, x, lo: float, hi: float):
    """Reflect array coordinates into [lo, hi] (for the integer taps of bicubic)."""
    span = hi - lo
    if span <= 0:
        return xp.zeros_like(x) + lo
    d = xp.abs(x - lo)
    flips = xp.floor(d / span)
    extra = d - flips * span
    return xp.where(flips % 2 == 0, extra + lo, span - extra + lo)


def _bounded_taps(xp, idx, size: int, padding_mode: str, align_corners: bool):
    """Integer tap positions after PyTorch's padding rule (bicubic's get_value_bounded)."""
    if padding_mode == "border":
        idx = xp.clip(idx, 0, size - 1)
    elif padding_mode == "reflection":
        idx = _reflect_array(xp, idx, 0.0, size - 1.0) if align_corners else \
            _reflect_array(xp, idx, -0.5, size - 0.5)
        idx = xp.clip(idx, 0, size - 1)
    return idx.astype(np.int64)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample input at grid locations in [-1, 1], as ``torch.nn.functional.grid_sample``.

    4-D: input (N, C, H, W), grid (N, Ho, Wo, 2) of (x, y) -> (N, C, Ho, Wo).
    5-D: input (N, C, D, H, W), grid (N, Do, Ho, Wo, 3) of (x, y, z) -> (N, C, Do, Ho, Wo).
    mode 'bilinear' (trilinear for 5-D), 'nearest' or 'bicubic' (4-D only);
    padding_mode 'zeros', 'border' or 'reflection'. Differentiable in the input and
    (bilinear, bicubic) in the grid; the corner values are integer-array gathers.
    """
    op = "grid_sample"
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError(f"{op}: input and grid must be Tensors")
    nd = input.ndim - 2
    if nd not in (2, 3) or grid.ndim != nd + 2 or grid.shape[-1] != nd or \
            grid.shape[0] != input.shape[0]:
        raise ValueError(f"{op}: expected input (N, C, H, W) with grid (N, Ho, Wo, 2), or "
                         f"input (N, C, D, H, W) with grid (N, Do, Ho, Wo, 3), got "
                         f"{tuple(input.shape)} and {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest", "bicubic") or (mode == "bicubic" and nd == 3):
        raise ValueError(f"{op}: mode must be 'bilinear', 'nearest' or (4-D input only) "
                         f"'bicubic', got {mode!r} for {input.ndim}-D input")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{op}: padding_mode must be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    if input.dtype != grid.dtype:
        raise TypeError(f"{op}: input ({input.dtype}) and grid ({grid.dtype}) must have the "
                        "same dtype")
    align_corners = bool(align_corners)
    n, sizes = input.shape[0], tuple(input.shape[2:])  # (H, W) or (D, H, W)
    xp, dev = input.device.backend.xp, input.device
    values = input.permute(0, *range(2, nd + 2), 1)  # channels last: one gather per corner
    batch = wrap(xp.arange(n).reshape((n,) + (1,) * nd), dev)

    def tap(base, offsets, bound=None):
        """Values at integer positions (``_taps``, one array per spatial axis, in axis
        order): (N, *out, C), zero outside the input."""
        keys, inside, all_inside = _taps(xp, base, offsets, sizes, bound, input.dtype)
        v = values[(batch,) + tuple(wrap(k, dev) for k in keys)]
        if all_inside and not is_compile_recording():  # (a replay cannot branch)
            return v
        return v * wrap(inside, dev)

    # grid[..., k] addresses spatial axis nd-1-k: x is the last axis (W)
    coords = [grid[..., nd - 1 - a] for a in range(nd)]  # in axis order
    if mode == "bicubic":
        raw = [_unnormalize(coords[a], sizes[a], align_corners) for a in range(nd)]
        base = [_rounded(xp, r.array, "floor") for r in raw]
        weights = [[w.unsqueeze(-1) for w in _cubic_weights(r - wrap(b, dev))]
                   for r, b in zip(raw, base, strict=True)]
        out = None
        for i, j in itertools.product(range(4), repeat=2):
            term = tap(base, (i - 1, j - 1), (padding_mode, align_corners)) * \
                (weights[0][i] * weights[1][j])
            out = term if out is None else out + term
    else:
        src = [_source_coords(coords[a], sizes[a], padding_mode, align_corners)
               for a in range(nd)]
        if mode == "nearest":
            out = tap([_rounded(xp, c.array, "rint") for c in src], (0,) * nd)
        else:
            lo = [_rounded(xp, c.array, "floor") for c in src]
            frac = [(c - wrap(f, dev)).unsqueeze(-1) for c, f in zip(src, lo, strict=True)]
            out = None
            for corner in itertools.product((0, 1), repeat=nd):  # 4 or 8 corners
                weight = None
                for a, bit in enumerate(corner):
                    w = frac[a] if bit else 1 - frac[a]
                    weight = w if weight is None else weight * w
                term = tap(lo, corner) * weight
                out = term if out is None else out + term
    return out.permute(0, nd + 1, *range(1, nd + 1))
