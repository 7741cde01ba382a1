"""numba kernels for convolution and pooling on the CPU backend.

Layouts (shared with the pure-xp reference in ``backends/conv_reference.py``):

* images ``x``: ``(N, C, H, W)``, C-contiguous;
* columns ``cols``: ``(C*kh*kw, N*OH*OW)``, row ``(c*kh + i)*kw + j``, column
  ``(n*OH + oy)*OW + ox`` holding the input pixel under kernel offset ``(i, j)`` of output
  position ``(oy, ox)`` of image ``n``, zero where the window reaches into the padding.
  ``weight.reshape(O, C*kh*kw) @ cols`` is then the whole batch's convolution in one
  GEMM, laid out ``(O, N, OH, OW)``;
* pooling indices ``argmax``: ``(N, C, OH, OW)`` int64, the flat position ``iy*W + ix``
  of the maximum inside its ``(H, W)`` input plane (PyTorch's ``return_indices``).

Every kernel runs ``prange`` over the ``N*C`` image planes; each plane is written by one
thread only, so the scatters (col2im, max-pool backward) need no atomics and repeated
positions accumulate exactly. Compiled with ``cache=True``: a second process start pays
no JIT cost.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange


@numba.njit(cache=True, inline="always")
def _valid_range(out_size, in_size, stride, offset):
    """The output positions ``o`` with ``0 <= o*stride + offset < in_size``: [lo, hi)."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride
    hi = 0
    if in_size - 1 - offset >= 0:
        hi = (in_size - 1 - offset) // stride + 1
    if hi > out_size:
        hi = out_size
    if lo > hi:
        lo = hi
    return lo, hi


@numba.njit(cache=True, parallel=True, nogil=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    n_img, n_ch, h, w = x.shape
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        for i in range(kh):
            y_lo, y_hi = _valid_range(oh, h, sh, i * dh - ph)
            for j in range(kw):
                row = (c * kh + i) * kw + j
                x_lo, x_hi = _valid_range(ow, w, sw, j * dw - pw)
                dst = cols[row, n * oh * ow:(n + 1) * oh * ow]
                for oy in range(oh):
                    base = oy * ow
                    if oy < y_lo or oy >= y_hi:
                        for ox in range(ow):
                            dst[base + ox] = 0
                        continue
                    iy = oy * sh + i * dh - ph
                    for ox in range(x_lo):
                        dst[base + ox] = 0
                    ix0 = j * dw - pw
                    for ox in range(x_lo, x_hi):
                        dst[base + ox] = x[n, c, iy, ox * sw + ix0]
                    for ox in range(x_hi, ow):
                        dst[base + ox] = 0


@numba.njit(cache=True, parallel=True, nogil=True)
def _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x):
    # x must be zeroed; each (n, c) plane is summed by one thread
    n_img, n_ch, h, w = x.shape
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        for i in range(kh):
            y_lo, y_hi = _valid_range(oh, h, sh, i * dh - ph)
            for j in range(kw):
                row = (c * kh + i) * kw + j
                x_lo, x_hi = _valid_range(ow, w, sw, j * dw - pw)
                src = cols[row, n * oh * ow:(n + 1) * oh * ow]
                ix0 = j * dw - pw
                for oy in range(y_lo, y_hi):
                    iy = oy * sh + i * dh - ph
                    base = oy * ow
                    for ox in range(x_lo, x_hi):
                        x[n, c, iy, ox * sw + ix0] += src[base + ox]


@numba.njit(cache=True, parallel=True, nogil=True)
def _max_pool2d(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax):
    n_img, n_ch, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        plane = x[n, c]
        for oy in range(oh):
            y0 = oy * sh - ph
            for ox in range(ow):
                x0 = ox * sw - pw
                best = -np.inf
                best_idx = -1
                for i in range(kh):
                    iy = y0 + i * dh
                    if iy < 0 or iy >= h:
                        continue
                    for j in range(kw):
                        ix = x0 + j * dw
                        if ix < 0 or ix >= w:
                            continue
                        v = plane[iy, ix]
                        # PyTorch's rule: the first valid tap, then a larger value or a NaN
                        if best_idx < 0 or v > best or v != v:
                            best = v
                            best_idx = iy * w + ix
                out[n, c, oy, ox] = best
                argmax[n, c, oy, ox] = best_idx


@numba.njit(cache=True, parallel=True, nogil=True)
def _max_pool2d_backward(g, argmax, gx):
    # gx: (N, C, H*W) zeroed; overlapping windows may pick one pixel twice: accumulate
    n_img, n_ch = g.shape[0], g.shape[1]
    oh, ow = g.shape[2], g.shape[3]
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        dst = gx[n, c]
        for oy in range(oh):
            for ox in range(ow):
                k = argmax[n, c, oy, ox]
                if k >= 0:
                    dst[k] += g[n, c, oy, ox]


@numba.njit(cache=True, parallel=True, nogil=True)
def _max_pool2d_gather(x, argmax, out):
    # out[n, c, oy, ox] = x[n, c].flat[argmax[n, c, oy, ox]] (the adjoint of the scatter)
    n_img, n_ch = out.shape[0], out.shape[1]
    oh, ow = out.shape[2], out.shape[3]
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        src = x[n, c]
        for oy in range(oh):
            for ox in range(ow):
                k = argmax[n, c, oy, ox]
                out[n, c, oy, ox] = src[k] if k >= 0 else 0


# --- array-level wrappers (what NumpyBackend calls) -------------------------------------


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def im2col(x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> (C*kh*kw, N*OH*OW); see the module docstring for the layout."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    x = np.ascontiguousarray(x)
    cols = np.empty((c * kh * kw, n * oh * ow), dtype=x.dtype)
    if cols.size:
        _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """(C*kh*kw, N*OH*OW) -> (N, C, H, W), summing overlapping windows (im2col's adjoint)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x_shape
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    cols = np.ascontiguousarray(cols).reshape(c * kh * kw, n * oh * ow)
    x = np.zeros(x_shape, dtype=cols.dtype)
    if x.size and cols.size:
        _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x)
    return x


def max_pool2d(x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> (out (N, C, OH, OW), argmax (N, C, OH, OW) int64)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    x = np.ascontiguousarray(x)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    argmax = np.empty((n, c, oh, ow), dtype=np.int64)
    if out.size:
        _max_pool2d(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax)
    return out, argmax


def max_pool2d_backward(g, argmax, x_shape):
    """Scatter-add ``g`` (N, C, OH, OW) to the argmax positions of an (N, C, H, W) zero array."""
    n, c, h, w = x_shape
    gx = np.zeros((n, c, h * w), dtype=g.dtype)
    if g.size:
        _max_pool2d_backward(np.ascontiguousarray(g), np.ascontiguousarray(argmax), gx)
    return gx.reshape(x_shape)


def max_pool2d_gather(x, argmax):
    """``x[n, c].flat[argmax[n, c, oy, ox]]`` for every output: (N, C, OH, OW)."""
    n, c, h, w = x.shape
    out = np.empty(argmax.shape, dtype=x.dtype)
    if out.size:
        _max_pool2d_gather(np.ascontiguousarray(x).reshape(n, c, h * w),
                           np.ascontiguousarray(argmax), out)
    return out
