"""Pure-``xp`` reference implementations of the convolution and pooling kernels.

They work on any NumPy-compatible array namespace (NumPy, CuPy) and are what the base
:class:`~backends.base.Backend` uses until a backend supplies compiled kernels. They loop
in Python over the ``kh*kw`` kernel offsets only; each step is one strided slice over
every image and pixel at once. Layouts are those of ``backends/numba_conv.py``.
"""

from __future__ import annotations


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a window of ``k`` taps (dilation ``d``), stride ``s``, padding ``p``."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _window(i, j, oh, ow, stride, dilation):
    """The slice of the padded image that kernel offset (i, j) sees at every output."""
    (sh, sw), (dh, dw) = stride, dilation
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def im2col(xp, x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> (C*kh*kw, N*OH*OW)."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x.shape
    oh = out_size(h, kh, stride[0], ph, dilation[0])
    ow = out_size(w, kw, stride[1], pw, dilation[1])
    xpad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            sy, sx = _window(i, j, oh, ow, stride, dilation)
            cols[:, i, j] = xpad[:, :, sy, sx].transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im(xp, cols, x_shape, kernel_size, stride, padding, dilation):
    """(C*kh*kw, N*OH*OW) -> (N, C, H, W), summing overlapping windows."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x_shape
    oh = out_size(h, kh, stride[0], ph, dilation[0])
    ow = out_size(w, kw, stride[1], pw, dilation[1])
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    xpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            sy, sx = _window(i, j, oh, ow, stride, dilation)
            # one offset never addresses a pixel twice, so a sliced += is exact
            xpad[:, :, sy, sx] += cols[:, i, j].transpose(1, 0, 2, 3)
    return xpad[:, :, ph:ph + h, pw:pw + w].copy() if ph or pw else xpad


def _offset_index(xp, i, j, oh, ow, h, w, stride, padding, dilation):
    """Flat input position ``iy*W + ix`` seen by kernel offset (i, j), and whether it lies
    inside the image (not in the padding): two (OH, OW) arrays."""
    iy = xp.arange(oh, dtype=xp.int64) * stride[0] - padding[0] + i * dilation[0]
    ix = xp.arange(ow, dtype=xp.int64) * stride[1] - padding[1] + j * dilation[1]
    inside = ((iy >= 0) & (iy < h))[:, None] & ((ix >= 0) & (ix < w))[None, :]
    return iy[:, None] * w + ix[None, :], inside


def max_pool2d(xp, x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> (out, argmax), both (N, C, OH, OW); padding is never selected."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x.shape
    oh = out_size(h, kh, stride[0], ph, dilation[0])
    ow = out_size(w, kw, stride[1], pw, dilation[1])
    xpad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    best = xp.full((n, c, oh, ow), -xp.inf, dtype=x.dtype)
    argmax = xp.full((n, c, oh, ow), -1, dtype=xp.int64)
    for i in range(kh):
        for j in range(kw):
            sy, sx = _window(i, j, oh, ow, stride, dilation)
            v = xpad[:, :, sy, sx]
            idx, inside = _offset_index(xp, i, j, oh, ow, h, w, stride, padding, dilation)
            # PyTorch's rule: the first valid tap, then any larger value or a NaN
            take = inside & ((argmax < 0) | (v > best) | xp.isnan(v))
            best = xp.where(take, v, best)
            argmax = xp.where(take, idx, argmax)
    return best, argmax


def max_pool2d_backward(xp, g, argmax, x_shape, kernel_size, stride, padding, dilation):
    """Adjoint of the argmax gather: (N, C, OH, OW) -> (N, C, H, W)."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x_shape
    oh, ow = g.shape[2], g.shape[3]
    gpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=g.dtype)
    zero = xp.zeros((), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            idx, inside = _offset_index(xp, i, j, oh, ow, h, w, stride, padding, dilation)
            sy, sx = _window(i, j, oh, ow, stride, dilation)
            gpad[:, :, sy, sx] += xp.where((argmax == idx) & inside, g, zero)
    return gpad[:, :, ph:ph + h, pw:pw + w].copy() if ph or pw else gpad


def max_pool2d_gather(xp, x, argmax):
    """``x[n, c].flat[argmax[n, c, oy, ox]]``: (N, C, OH, OW)."""
    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)
    idx = argmax.reshape(n, c, -1)
    return xp.take_along_axis(flat, idx, axis=2).reshape(argmax.shape)
