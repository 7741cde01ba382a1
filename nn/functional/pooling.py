"""Pooling: max (a kernel with argmax), average (im2col + mean), adaptive average.

Max pooling is three differentiable ops that are each other's adjoints: the pooling
itself (kernel forward, backward = scatter of the gradient to the argmax positions),
``MaxPoolScatter`` (backward = gather at the argmax) and ``MaxPoolGather`` (backward =
scatter). With the argmax held constant, any order of derivative is exact.
Average pooling is the mean of the im2col columns, so its backward is col2im.
The max-pool array kernels (reference, numba and CUDA forms, dispatched by backend) are
in ``_pool_kernels.py``.
"""

from __future__ import annotations

from autograd import Function, Tensor
from autograd.extend import replayable, wrap
from autograd.ops import pad, stack

from . import _conv_kernels, _pool_kernels
from .conv import Im2Col, _tuple, out_size

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "max_pool3d",
    "avg_pool3d",
]


class MaxPool2d(Function):
    """x (N, C, H, W) -> max over each window (N, C, OH, OW)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation):
        out, argmax = _pool_kernels.max_pool2d(ctx.device.backend, x, kernel_size, stride,
                                               padding, dilation)
        ctx.save_for_backward(argmax)  # saved, not an attribute, so backward frees it
        ctx.x_shape = x.shape
        ctx.params = (kernel_size, stride, padding, dilation)
        return out

    @staticmethod
    def backward(ctx, g):
        (argmax,) = ctx.saved_tensors
        gx = MaxPoolScatter.apply(g, argmax.array, ctx.x_shape, *ctx.params)
        return gx, None, None, None, None


class MaxPoolScatter(Function):
    """g (N, C, OH, OW) added into zeros (N, C, H, W) at the argmax positions."""

    @staticmethod
    def forward(ctx, g, argmax, x_shape, kernel_size, stride, padding, dilation):
        ctx.save_for_backward(argmax)
        ctx.params = (x_shape, kernel_size, stride, padding, dilation)
        return _pool_kernels.max_pool2d_backward(ctx.device.backend, g, argmax, x_shape,
                                                 kernel_size, stride, padding, dilation)

    @staticmethod
    def backward(ctx, gg):
        (argmax,) = ctx.saved_tensors
        return (MaxPoolGather.apply(gg, argmax.array, *ctx.params),) + (None,) * 6


class MaxPoolGather(Function):
    """x (N, C, H, W) read at the argmax positions: (N, C, OH, OW)."""

    @staticmethod
    def forward(ctx, x, argmax, x_shape, kernel_size, stride, padding, dilation):
        ctx.save_for_backward(argmax)
        ctx.params = (x_shape, kernel_size, stride, padding, dilation)
        return _pool_kernels.max_pool2d_gather(ctx.device.backend, x, argmax)

    @staticmethod
    def backward(ctx, g):
        (argmax,) = ctx.saved_tensors
        return (MaxPoolScatter.apply(g, argmax.array, *ctx.params),) + (None,) * 6


def _pool_args(kernel_size, stride, padding, dilation, op, nd=2):
    """Normalise pooling arguments; stride defaults to kernel_size (PyTorch's rule)."""
    k = _tuple(kernel_size, nd, "kernel_size", op, 1)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, "stride", op, 1)
    p = _tuple(padding, nd, "padding", op, 0)
    d = _tuple(dilation, nd, "dilation", op, 1)
    if any(pi * 2 > ki for pi, ki in zip(p, k, strict=True)):
        raise ValueError(f"{op}: padding {p} should be at most half of kernel_size {k}")
    return k, s, p, d


def _as_4d(input: Tensor, op: str, nd: int) -> tuple[Tensor, bool]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    want = nd + 2
    if input.ndim not in (want - 1, want):
        dims = "(N, C, H, W) or (C, H, W)" if nd == 2 else "(N, C, L) or (C, L)"
        raise ValueError(f"{op}: expected input of shape {dims}, got {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    unbatched = input.ndim == want - 1
    x = input.unsqueeze(0) if unbatched else input
    return (x.unsqueeze(2) if nd == 1 else x), unbatched


def _check_output(shape, k, s, p, d, op):
    oh, ow = (out_size(shape[i + 2], k[i], s[i], p[i], d[i]) for i in range(2))
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: input {tuple(shape)} is too small for kernel_size {k} with "
                         f"padding {p} and dilation {d} (output would be ({oh}, {ow}))")
    return oh, ow


def _ceil_extra(shape, k, s, p, d, ceil_mode: bool) -> tuple[int, int]:
    """Rows and columns to append to the input so that floor-mode pooling yields
    PyTorch's ``ceil_mode`` output size (the last window must start inside the input or
    the left padding)."""
    if not ceil_mode:
        return 0, 0
    extra = []
    for i in range(2):
        size, span = shape[i + 2], d[i] * (k[i] - 1) + 1
        out = -(-(size + 2 * p[i] - span) // s[i]) + 1
        if (out - 1) * s[i] >= size + p[i]:
            out -= 1
        extra.append(max((out - 1) * s[i] + span - (size + 2 * p[i]), 0))
    return extra[0], extra[1]


def _max_pool(x: Tensor, k, s, p, d, return_indices: bool, op: str, ceil_mode: bool = False):
    eh, ew = _ceil_extra(x.shape, k, s, p, d, ceil_mode)
    w = x.shape[3]
    if eh or ew:  # -inf after the image: never above a real tap, which comes first
        x = pad(x, (0, ew, 0, eh), value=float("-inf"))
    _check_output(x.shape, k, s, p, d, op)
    if not return_indices:
        return MaxPool2d.apply(x, k, s, p, d)
    out, argmax, indices = _max_pool_with_indices(x, k, s, p, d, w, ew)
    if x.requires_grad:
        out = MaxPoolGather.apply(x, argmax.array, x.shape, k, s, p, d)
    return out, indices


@replayable  # ag.compile: the indices are computed again on every replay, not baked in
def _max_pool_with_indices(x: Tensor, k, s, p, d, w: int, ew: int):
    """The pooled values, the argmax into the (padded) plane and the indices PyTorch
    returns (into the original (H, W) plane when ``ew`` columns were appended)."""
    out, argmax = _pool_kernels.max_pool2d(x.device.backend, x.array, k, s, p, d)
    indices = (argmax // (w + ew)) * w + argmax % (w + ew) if ew else argmax
    return wrap(out, x.device), wrap(argmax, x.device), wrap(indices, x.device)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size;
    padding (at most half the kernel) is never chosen; ``ceil_mode`` rounds the output
    size up (PyTorch's rule). With ``return_indices`` also returns the int64 flat index
    ``iy*W + ix`` of every maximum.
    """
    op = "max_pool2d"
    x, unbatched = _as_4d(input, op, 2)
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, op)
    res = _max_pool(x, k, s, p, d, return_indices, op, ceil_mode)
    if unbatched:
        return tuple(r.squeeze(0) for r in res) if return_indices else res.squeeze(0)
    return res


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling: input (N, C, L) or (C, L) -> (N, C, OL); see max_pool2d."""
    op = "max_pool1d"
    x, unbatched = _as_4d(input, op, 1)
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, op, nd=1)
    res = _max_pool(x, (1,) + k, (1,) + s, (0,) + p, (1,) + d, return_indices, op, ceil_mode)
    res = tuple(r.squeeze(2) for r in res) if return_indices else res.squeeze(2)
    if unbatched:
        return tuple(r.squeeze(0) for r in res) if return_indices else res.squeeze(0)
    return res


def _avg_pool(x: Tensor, k, s, p, count_include_pad, divisor_override, op,
              ceil_mode: bool = False):
    n, c, h, w = x.shape
    eh, ew = _ceil_extra(x.shape, k, s, p, (1, 1), ceil_mode)
    if eh or ew:  # zeros after the image: add nothing to the sums
        x = pad(x, (0, ew, 0, eh))
    oh, ow = _check_output(x.shape, k, s, p, (1, 1), op)
    # every (n, c) plane as its own one-channel image: cols (kh*kw, N*C*OH*OW)
    cols = Im2Col.apply(x.reshape(n * c, 1, h + eh, w + ew), k, s, p, (1, 1))
    total = cols.sum(0)
    if divisor_override is not None:
        return (total * (1.0 / divisor_override)).reshape(n, c, oh, ow)
    if not (eh or ew) and (count_include_pad or (p[0] == 0 and p[1] == 0)):
        return (total * (1.0 / (k[0] * k[1]))).reshape(n, c, oh, ow)
    # PyTorch's divisor: the taps inside the padded image (count_include_pad) or inside
    # the image itself; never the part of a ceil_mode window beyond the padding
    backend = x.device.backend
    xp = backend.xp
    counted = xp.zeros((1, 1, h + 2 * p[0] + eh, w + 2 * p[1] + ew), dtype=x.dtype)
    if count_include_pad:
        counted[..., :h + 2 * p[0], :w + 2 * p[1]] = 1
    else:
        counted[..., p[0]:p[0] + h, p[1]:p[1] + w] = 1
    count = _conv_kernels.im2col(backend, counted, k, s, (0, 0), (1, 1)).sum(0)  # (OH*OW,)
    # broadcast over the planes rather than tiled n*c times: the constant does not depend
    # on the batch size (so an ONNX export keeps the batch dynamic)
    inv = wrap((1.0 / count).astype(x.dtype, copy=False), x.device)
    return (total.reshape(n * c, oh * ow) * inv).reshape(n, c, oh, ow)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size;
    zero padding counts in the divisor unless ``count_include_pad=False``; with
    ``ceil_mode`` the part of a window beyond the padding never counts.
    """
    op = "avg_pool2d"
    x, unbatched = _as_4d(input, op, 2)
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, op)
    out = _avg_pool(x, k, s, p, count_include_pad, divisor_override, op, ceil_mode)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling: input (N, C, L) or (C, L) -> (N, C, OL); see avg_pool2d."""
    op = "avg_pool1d"
    x, unbatched = _as_4d(input, op, 1)
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, op, nd=1)
    out = _avg_pool(x, (1,) + k, (1,) + s, (0,) + p, count_include_pad, None, op,
                    ceil_mode).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(xp, size: int, out: int, dtype):
    """(out, size) averaging matrix over PyTorch's adaptive windows
    [floor(i*size/out), ceil((i+1)*size/out))."""
    import numpy as np

    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):  # loops over output positions of one axis: a few dozen at most
        lo, hi = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return xp.asarray(m)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``output_size`` (int or (OH, OW); None keeps that axis),
    as ``torch.nn.functional.adaptive_avg_pool2d``: (N, C, H, W) -> (N, C, OH, OW).

    Computed as ``A_h @ x @ A_w^T`` with constant averaging matrices.
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = _as_4d(input, op, 2)
    h, w = x.shape[2], x.shape[3]
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    oh, ow = (h if output_size[0] is None else int(output_size[0]),
              w if output_size[1] is None else int(output_size[1]))
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size}")
    xp = x.device.backend.xp
    out = x
    if oh != h:
        out = wrap(_adaptive_matrix(xp, h, oh, x.dtype), x.device) @ out
    if ow != w:
        out = out @ wrap(_adaptive_matrix(xp, w, ow, x.dtype).T.copy(), x.device)
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input: Tensor, output_size: int | tuple) -> Tensor:
    """Average pooling to length ``output_size`` (an int or a 1-tuple):
    (N, C, L) -> (N, C, output_size)."""
    op = "adaptive_avg_pool1d"
    if isinstance(output_size, tuple | list):
        if len(output_size) != 1:
            raise ValueError(f"{op}: output_size should contain one int, got {output_size}")
        (output_size,) = output_size
    x, unbatched = _as_4d(input, op, 1)
    out = adaptive_avg_pool2d(x, (1, int(output_size))).squeeze(2)
    return out.squeeze(0) if unbatched else out


# --- 3-D pooling: the (H, W) plane pooled by the 2-D kernels, then the depth axis -----


def _depth_taps(x: Tensor, k: int, s: int, p: int, d: int, ceil_mode: bool, fill: float,
                op: str):
    """x (N, C, D, ...) -> list of k tensors (N, C, OD, ...): the depth window taps, the
    depth axis padded with ``fill`` by p before and after (plus ceil_mode's extra)."""
    depth = x.shape[2]
    extra = _ceil_extra((1, 1, depth, 1), (k, 1), (s, 1), (p, 0), (d, 1), ceil_mode)[0]
    widths = (0, 0) * (x.ndim - 3) + (p, p + extra)
    if any(widths):
        x = pad(x, widths, value=fill)
    od = out_size(depth + extra, k, s, p, d)
    if od < 1:
        raise ValueError(f"{op}: depth {depth} is too small for kernel {k} with padding "
                         f"{p} and dilation {d}")
    last = s * (od - 1) + 1
    return [x[:, :, i * d:i * d + last:s] for i in range(k)], od, extra


def _as_5d(input: Tensor, op: str) -> tuple[Tensor, bool]:
    if not isinstance(input, Tensor) or input.ndim not in (4, 5):
        raise ValueError(f"{op}: expected input of shape (N, C, D, H, W) or (C, D, H, W), got "
                         f"{tuple(getattr(input, 'shape', ()))}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, got dtype {input.dtype}")
    unbatched = input.ndim == 4
    return (input.unsqueeze(0) if unbatched else input), unbatched


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _depth_indices(xp, taps, plane_idx, spd, hw_size):
    """The flat index ``z*H*W + y*W + x`` of each 3-D maximum, from the depth ``taps``
    (k arrays (N, C, OD, OH, OW)) and the 2-D indices of each plane (N, C*D, OH, OW)."""
    s, p, d = spd
    values = xp.stack(taps)  # (k, N, C, OD, OH, OW)
    n, c, od, oh, ow = values.shape[1:]
    which = values.argmax(0)  # the winning depth tap
    z = (xp.arange(od).reshape(1, 1, od, 1, 1) * s - p) + which * d
    depth = plane_idx.shape[1] // c
    hw = plane_idx.reshape(n, c, depth, oh, ow)
    hw_at = xp.take_along_axis(hw, xp.clip(z, 0, depth - 1), axis=2)
    return z * (hw_size[0] * hw_size[1]) + hw_at


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling, as ``torch.nn.functional.max_pool3d``: (N, C, D, H, W) ->
    (N, C, OD, OH, OW). Max is separable: each depth slice is max-pooled over (H, W) by
    the 2-D kernel, then the maximum is taken over the depth window. With
    ``return_indices`` also returns the flat index ``z*H*W + y*W + x`` of every maximum.
    """
    op = "max_pool3d"
    x, unbatched = _as_5d(input, op)
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, op, nd=3)
    n, c, depth, h, w = x.shape
    planes = x.reshape(n, c * depth, h, w)
    res = _max_pool(planes, k[1:], s[1:], p[1:], d[1:], return_indices, op, ceil_mode)
    plane_out, plane_idx = res if return_indices else (res, None)
    oh, ow = plane_out.shape[2:]
    plane_out = plane_out.reshape(n, c, depth, oh, ow)
    taps, od, _ = _depth_taps(plane_out, k[0], s[0], p[0], d[0], ceil_mode, float("-inf"),
                              op)
    out = stack(taps, 0).amax(0)  # (N, C, OD, OH, OW)
    if return_indices:
        idx = wrap(_depth_indices(x.device.backend.xp, [t.array for t in taps],
                                  plane_idx.array, (s[0], p[0], d[0]), (h, w)), x.device)
        if unbatched:
            return out.squeeze(0), idx.squeeze(0)
        return out, idx
    return out.squeeze(0) if unbatched else out


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """3-D average pooling, as ``torch.nn.functional.avg_pool3d``. Separable: every
    (H, W) plane is average-pooled by the 2-D kernel, then the depth window is averaged
    with its own divisor (PyTorch's divisor is the product of the per-axis counts)."""
    op = "avg_pool3d"
    x, unbatched = _as_5d(input, op)
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1, op, nd=3)
    n, c, depth, h, w = x.shape
    planes = _avg_pool(x.reshape(n, c * depth, h, w), k[1:], s[1:], p[1:],
                       count_include_pad, 1 if divisor_override is not None else None, op,
                       ceil_mode)
    oh, ow = planes.shape[2:]
    taps, od, extra = _depth_taps(planes.reshape(n, c, depth, oh, ow), k[0], s[0], p[0], 1,
                                  ceil_mode, 0.0, op)
    total = taps[0]
    for t in taps[1:]:
        total = total + t
    if divisor_override is not None:
        out = total * (1.0 / divisor_override)
    else:
        import numpy as np

        starts = np.arange(od) * s[0] - p[0]
        ends = np.minimum(starts + k[0], depth + p[0])  # never beyond the padding
        if not count_include_pad:
            starts, ends = np.maximum(starts, 0), np.minimum(ends, depth)
        count = (ends - starts).astype(x.dtype)
        xp = x.device.backend.xp
        out = total * wrap(xp.asarray(1.0 / count).reshape(1, 1, od, 1, 1), x.device)
    return out.squeeze(0) if unbatched else out


# the names these Functions had before they became public (kept for one release)
_MaxPool2d = MaxPool2d
_MaxPoolScatter = MaxPoolScatter
_MaxPoolGather = MaxPoolGather
