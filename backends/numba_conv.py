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

Every kernel runs ``prange`` over independent outputs (cols rows for im2col, the
``N*C`` image planes otherwise); each plane is written by one thread only, so the
scatters (col2im, max-pool backward) need no atomics and repeated positions accumulate
exactly. Compiled with ``cache=True``: a second process start pays
no JIT cost.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .conv_reference import out_size
from .numba_util import compile_twice

# below this many elements a kernel runs on the calling thread: waking the thread pool
# costs more than it saves, and on a busy machine a parallel region waits for a worker
# that is not scheduled
PARALLEL_MIN_SIZE = 1 << 19


class _Kernel:
    """One kernel body compiled twice: a ``parallel=True`` version for large inputs and
    a serial one for small inputs; ``kernel(size)`` picks."""

    def __init__(self, fn):
        self.parallel, self.serial = compile_twice(fn)
        self.py_func = fn

    def __call__(self, size):
        return self.parallel if size >= PARALLEL_MIN_SIZE else self.serial


def _kernel(fn):
    return _Kernel(fn)


@_kernel
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    # one thread per cols row (c, i, j): its N*OH*OW values are written in order.
    # Plain indexing with a select (no slicing views, no per-row ranges) is what LLVM
    # compiles best here: views cost a refcount each, short ranges defeat unrolling.
    n_img, n_ch, h, w = x.shape
    for row in prange(n_ch * kh * kw):
        c = row // (kh * kw)
        i = (row // kw) % kh
        j = row % kw
        for n in range(n_img):
            for oy in range(oh):
                iy = oy * sh + i * dh - ph
                base = (n * oh + oy) * ow
                inside_y = iy >= 0 and iy < h
                for ox in range(ow):
                    ix = ox * sw + j * dw - pw
                    inside = inside_y and ix >= 0 and ix < w
                    cols[row, base + ox] = x[n, c, iy, ix] if inside else 0


@_kernel
def _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x):
    # x must be zeroed; each (n, c) plane is summed by one thread. Channel-major order:
    # consecutive planes read the same kh*kw cols rows sequentially (fewer TLB misses)
    n_img, n_ch, h, w = x.shape
    for p in prange(n_img * n_ch):
        c = p // n_img
        n = p % n_img
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for oy in range(oh):
                    iy = oy * sh + i * dh - ph
                    if iy < 0 or iy >= h:
                        continue
                    base = (n * oh + oy) * ow
                    for ox in range(ow):
                        ix = ox * sw + j * dw - pw
                        if ix >= 0 and ix < w:
                            x[n, c, iy, ix] += cols[row, base + ox]


@_kernel
def _max_pool2d(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax):
    n_img, n_ch, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        for oy in range(oh):
            y0 = oy * sh - ph
            i_lo = 0
            while y0 + i_lo * dh < 0:
                i_lo += 1
            i_hi = kh
            while i_hi > i_lo and y0 + (i_hi - 1) * dh >= h:
                i_hi -= 1
            for ox in range(ow):
                x0 = ox * sw - pw
                j_lo = 0
                while x0 + j_lo * dw < 0:
                    j_lo += 1
                j_hi = kw
                while j_hi > j_lo and x0 + (j_hi - 1) * dw >= w:
                    j_hi -= 1
                # PyTorch's rule: start at the first tap inside the image, then take a
                # larger value or a NaN (branch-free selects: the comparisons are random)
                best_idx = (y0 + i_lo * dh) * w + x0 + j_lo * dw
                best = x[n, c, y0 + i_lo * dh, x0 + j_lo * dw]
                for i in range(i_lo, i_hi):
                    iy = y0 + i * dh
                    for j in range(j_lo, j_hi):
                        ix = x0 + j * dw
                        v = x[n, c, iy, ix]
                        take = (v > best) | (v != v)
                        best = v if take else best
                        best_idx = iy * w + ix if take else best_idx
                out[n, c, oy, ox] = best
                argmax[n, c, oy, ox] = best_idx


@_kernel
def _max_pool2d_2x2(x, out, argmax):
    # kernel 2, stride 2, no padding or dilation: the common case, unrolled
    n_img, n_ch, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for p in prange(n_img * n_ch):
        n = p // n_ch
        c = p % n_ch
        for oy in range(oh):
            iy = 2 * oy
            for ox in range(ow):
                ix = 2 * ox
                k = iy * w + ix
                best = x[n, c, iy, ix]
                best_idx = k
                v = x[n, c, iy, ix + 1]
                take = (v > best) | (v != v)
                best = v if take else best
                best_idx = k + 1 if take else best_idx
                v = x[n, c, iy + 1, ix]
                take = (v > best) | (v != v)
                best = v if take else best
                best_idx = k + w if take else best_idx
                v = x[n, c, iy + 1, ix + 1]
                take = (v > best) | (v != v)
                best = v if take else best
                best_idx = k + w + 1 if take else best_idx
                out[n, c, oy, ox] = best
                argmax[n, c, oy, ox] = best_idx


@_kernel
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


@_kernel
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


@_kernel
def _gemm_to_batch_major(y, bias, out):
    # out[n, o, l] = y[o, n*L + l] + bias[o]
    n_img, n_out, length = out.shape
    for p in prange(n_img * n_out):
        n = p // n_out
        o = p % n_out
        b = bias[o]
        for i in range(length):
            out[n, o, i] = y[o, n * length + i] + b


# --- array-level wrappers (what NumpyBackend calls) -------------------------------------


def im2col(x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> (C*kh*kw, N*OH*OW); see the module docstring for the layout."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    x = np.ascontiguousarray(x)
    cols = np.empty((c * kh * kw, n * oh * ow), dtype=x.dtype)
    if cols.size:
        _im2col(cols.size)(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """(C*kh*kw, N*OH*OW) -> (N, C, H, W), summing overlapping windows (im2col's adjoint)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x_shape
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    cols = np.ascontiguousarray(cols).reshape(c * kh * kw, n * oh * ow)
    x = np.zeros(x_shape, dtype=cols.dtype)
    if x.size and cols.size:
        _col2im(cols.size)(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x)
    return x


def max_pool2d(x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> (out (N, C, OH, OW), argmax (N, C, OH, OW) int64)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    x = np.ascontiguousarray(x)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    argmax = np.empty((n, c, oh, ow), dtype=np.int64)
    if out.size:
        if (kh, kw, sh, sw, ph, pw, dh, dw) == (2, 2, 2, 2, 0, 0, 1, 1):
            _max_pool2d_2x2(x.size)(x, out, argmax)
        else:
            _max_pool2d(out.size * kh * kw)(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax)
    return out, argmax


def max_pool2d_backward(g, argmax, x_shape):
    """Scatter-add ``g`` (N, C, OH, OW) to the argmax positions of an (N, C, H, W) zero array."""
    n, c, h, w = x_shape
    gx = np.zeros((n, c, h * w), dtype=g.dtype)
    if g.size:
        _max_pool2d_backward(gx.size)(np.ascontiguousarray(g), np.ascontiguousarray(argmax),
                                      gx)
    return gx.reshape(x_shape)


def max_pool2d_gather(x, argmax):
    """``x[n, c].flat[argmax[n, c, oy, ox]]`` for every output: (N, C, OH, OW)."""
    n, c, h, w = x.shape
    out = np.empty(argmax.shape, dtype=x.dtype)
    if out.size:
        _max_pool2d_gather(out.size)(np.ascontiguousarray(x).reshape(n, c, h * w),
                                     np.ascontiguousarray(argmax), out)
    return out


def gemm_to_batch_major(y, bias, n):
    """(O, N*L) -> (N, O, L), plus ``bias`` (O,) when given."""
    o = y.shape[0]
    length = y.shape[1] // n if n else 0
    out = np.empty((n, o, length), dtype=y.dtype)
    if out.size:
        b = np.zeros(o, dtype=y.dtype) if bias is None else np.ascontiguousarray(bias, y.dtype)
        _gemm_to_batch_major(out.size)(np.ascontiguousarray(y), b, out)
    return out
