"""The convolution's array kernels: im2col, col2im and the GEMM output's reordering.

Each kernel sits here in its forms, dispatched by backend as ``optim/adam.py`` does
(``im2col(backend, ...)``): the whole-array reference on any ``xp`` (``*_reference``:
a Python loop over the ``kh*kw`` kernel taps only, each a strided slice over every
image and pixel), a numba loop for NumPy arrays, compiled on first use
(``backends/numba_util.py``), and a CUDA kernel for CuPy arrays (one launch), its
source registered with ``register_elementwise`` and launched by
``backend.launch_elementwise``. The compiled forms take the arrays they return from the
backend's :class:`~backends.buffers.BufferCache` (``backend.buffers``), so a training
step reuses them instead of page-faulting fresh memory every time.

Layouts (kernel_size, stride, padding, dilation are (int, int) pairs for (H, W);
padding is symmetric and zero):

* images ``x``: ``(N, C, H, W)``;
* columns ``cols``: ``(C*kh*kw, N*OH*OW)``, row ``(c*kh + i)*kw + j``, column
  ``(n*OH + oy)*OW + ox`` holding the input pixel under kernel tap ``(i, j)`` of output
  ``(oy, ox)`` of image ``n``, zero where the window reaches into the padding.
  ``weight.reshape(O, C*kh*kw) @ cols`` is then the whole batch's convolution in one
  GEMM, laid out ``(O, N, OH, OW)``, which ``gemm_to_batch_major`` reorders.
"""

from __future__ import annotations

import numpy as np

from backends.base import KernelSpec, register_elementwise
from backends.numba_util import LazyKernel

__all__ = ["out_size", "im2col", "col2im", "gemm_to_batch_major", "to_channel_major",
           "im2col_reference", "col2im_reference", "gemm_to_batch_major_reference"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # what the compiled forms take


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a window of ``k`` taps (dilation ``d``), stride ``s``, padding ``p``."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _out_hw(h, w, kernel_size, stride, padding, dilation) -> tuple[int, int]:
    return (out_size(h, kernel_size[0], stride[0], padding[0], dilation[0]),
            out_size(w, kernel_size[1], stride[1], padding[1], dilation[1]))


# Each kernel below picks its backend's compiled form by ``backend.name`` (a dict of
# forms beside it); a form returns None for arrays it does not take (another dtype), and
# then, as for a backend with no form, the reference runs.


# --- the dispatched kernels ------------------------------------------------------------


def im2col(backend, x, kernel_size, stride, padding, dilation):
    """Unfold sliding windows: x (N, C, H, W) -> cols (C*kh*kw, N*OH*OW), so that
    ``cols[(c*kh + i)*kw + j, (n*OH + oy)*OW + ox] = xpad[n, c, oy*sh + i*dh,
    ox*sw + j*dw]`` (zero in the padding)."""
    form = _IM2COL.get(backend.name)
    out = form and form(backend, x, kernel_size, stride, padding, dilation)
    if out is None:
        out = im2col_reference(backend.xp, x, kernel_size, stride, padding, dilation)
    return out


def col2im(backend, cols, x_shape, kernel_size, stride, padding, dilation):
    """The adjoint of :func:`im2col`: cols (C*kh*kw, N*OH*OW) -> (N, C, H, W) of
    ``x_shape``, overlapping windows summed."""
    x_shape = tuple(x_shape)
    form = _COL2IM.get(backend.name)
    out = form and form(backend, cols, x_shape, kernel_size, stride, padding, dilation)
    if out is None:
        out = col2im_reference(backend.xp, cols, x_shape, kernel_size, stride, padding,
                               dilation)
    return out


def gemm_to_batch_major(backend, y, bias, n):
    """The convolution GEMM's output y (O, N*L) as a contiguous (N, O, L) array, plus
    ``bias`` (O,) when not None."""
    if backend.name == "numpy" and y.dtype in _FLOATS:
        return _gemm_to_batch_major_cpu(backend, y, bias, n)
    o = y.shape[0]
    out = backend.buffers.empty((n, o, y.shape[1] // n if n else 0), y.dtype)
    return gemm_to_batch_major_reference(backend.xp, y, bias, n, out=out)


def to_channel_major(backend, g):
    """(N, O, H, W) -> a contiguous (O, N*H*W): the adjoint of
    :func:`gemm_to_batch_major` (one strided copy on every backend)."""
    n, o, h, w = g.shape
    src = g.transpose(1, 0, 2, 3)
    if g.nbytes < backend.buffers.min_bytes:  # not cached: one copy is quicker
        return backend.xp.ascontiguousarray(src).reshape(o, n * h * w)
    out = backend.buffers.empty((o, n, h, w), g.dtype)
    out[...] = src
    return out.reshape(o, n * h * w)  # the view keeps the cached array in use


# --- the references: whole-array xp code, any backend ------------------------------------


def _window(i, j, oh, ow, stride, dilation):
    """The slice of the padded image that kernel tap (i, j) sees at every output."""
    (sh, sw), (dh, dw) = stride, dilation
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def im2col_reference(xp, x, kernel_size, stride, padding, dilation):
    """:func:`im2col` as one strided copy per kernel tap."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x.shape
    oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
    xpad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            sy, sx = _window(i, j, oh, ow, stride, dilation)
            cols[:, i, j] = xpad[:, :, sy, sx].transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im_reference(xp, cols, x_shape, kernel_size, stride, padding, dilation):
    """:func:`col2im` as one strided add per kernel tap."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x_shape
    oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    xpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            sy, sx = _window(i, j, oh, ow, stride, dilation)
            # one tap never addresses a pixel twice, so a sliced += is exact
            xpad[:, :, sy, sx] += cols[:, i, j].transpose(1, 0, 2, 3)
    return xpad[:, :, ph:ph + h, pw:pw + w].copy() if ph or pw else xpad


def gemm_to_batch_major_reference(xp, y, bias, n, out=None):
    """:func:`gemm_to_batch_major` as one strided copy (or add, with a bias) into
    ``out`` (N, O, L) (a new array when None)."""
    o = y.shape[0]
    if out is None:
        out = xp.empty((n, o, y.shape[1] // n if n else 0), dtype=y.dtype)
    src = y.reshape(o, n, out.shape[2]).transpose(1, 0, 2)
    if bias is None:
        out[...] = src
    else:
        xp.add(src, bias.reshape(1, o, 1), out=out)
    return out


# --- the CPU forms: numba loops, compiled on first use -----------------------------------
# Each runs prange over independent outputs (cols rows for im2col, the N*C image planes
# otherwise); a plane is written by one thread only, so col2im's scatter needs no atomics
# and repeated positions accumulate exactly. ``prange`` is bound to numba's by LazyKernel
# just before compiling (so importing this module does not import numba).
prange = range


def _im2col_loop(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):  # pragma: no mutate block
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


def _col2im_loop(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x):  # pragma: no mutate block
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


def _to_batch_major_loop(y, bias, out):  # pragma: no mutate block
    # out[n, o, l] = y[o, n*L + l] + bias[o]
    n_img, n_out, length = out.shape
    for p in prange(n_img * n_out):
        n = p // n_out
        o = p % n_out
        b = bias[o]
        for i in range(length):
            out[n, o, i] = y[o, n * length + i] + b


_IM2COL_LOOP = LazyKernel(_im2col_loop)
_COL2IM_LOOP = LazyKernel(_col2im_loop)
_TO_BATCH_MAJOR_LOOP = LazyKernel(_to_batch_major_loop)


def _im2col_cpu(backend, x, kernel_size, stride, padding, dilation):
    if x.dtype not in _FLOATS:
        return None
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
    cols = backend.buffers.empty((c * kh * kw, n * oh * ow), x.dtype)
    if cols.size:
        _IM2COL_LOOP.for_size(cols.size)(np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw,
                                         dh, dw, oh, ow, cols)
    return cols


def _col2im_cpu(backend, cols, x_shape, kernel_size, stride, padding, dilation):
    if cols.dtype not in _FLOATS:
        return None
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x_shape
    oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
    cols = np.ascontiguousarray(cols).reshape(c * kh * kw, n * oh * ow)
    x = backend.buffers.zeros(x_shape, cols.dtype)
    if x.size and cols.size:
        _COL2IM_LOOP.for_size(cols.size)(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x)
    return x


def _gemm_to_batch_major_cpu(backend, y, bias, n):
    o = y.shape[0]
    out = backend.buffers.empty((n, o, y.shape[1] // n if n else 0), y.dtype)
    if out.size:
        b = np.zeros(o, dtype=y.dtype) if bias is None else np.ascontiguousarray(bias, y.dtype)
        _TO_BATCH_MAJOR_LOOP.for_size(out.size)(np.ascontiguousarray(y), b, out)
    return out


# --- the CUDA forms: one elementwise kernel each, for float32 and float64 ------------------

# im2col, one launch: element i of cols (C*kh*kw, N*OH*OW) is the input pixel that
# kernel tap (ky, kx) of channel c sees at output (n, oy, ox); zero in the padding.
IM2COL_CUDA = register_elementwise("im2col", KernelSpec(
    "raw T x, int64 N, int64 C, int64 H, int64 W, int64 OH, int64 OW, int64 kh, "
    "int64 kw, int64 sh, int64 sw, int64 ph, int64 pw, int64 dh, int64 dw",
    "T col",
    """
    long long npix = N * OH * OW;
    long long row = i / npix;
    long long pix = i % npix;
    long long c = row / (kh * kw);
    long long ky = (row / kw) % kh;
    long long kx = row % kw;
    long long n = pix / (OH * OW);
    long long iy = (pix / OW) % OH * sh - ph + ky * dh;
    long long ix = pix % OW * sw - pw + kx * dw;
    col = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[((n * C + c) * H + iy) * W + ix]
                                                   : (T)0;
    """,
    "autograd_im2col"))

# col2im as a gather (no atomics): each image pixel sums the columns of the taps and
# outputs that saw it: oy = (y + ph - ky*dh) / sh when that divides exactly.
COL2IM_CUDA = register_elementwise("col2im", KernelSpec(
    "raw T cols, int64 N, int64 C, int64 H, int64 W, int64 OH, int64 OW, int64 kh, "
    "int64 kw, int64 sh, int64 sw, int64 ph, int64 pw, int64 dh, int64 dw",
    "T img",
    """
    long long x0 = i % W;
    long long y0 = (i / W) % H;
    long long c = (i / (W * H)) % C;
    long long n = i / (W * H * C);
    long long npix = N * OH * OW;
    T acc = 0;
    for (long long ky = 0; ky < kh; ++ky) {
      long long ty = y0 + ph - ky * dh;
      if (ty < 0 || ty % sh != 0 || ty / sh >= OH) continue;
      for (long long kx = 0; kx < kw; ++kx) {
        long long tx = x0 + pw - kx * dw;
        if (tx < 0 || tx % sw != 0 || tx / sw >= OW) continue;
        acc += cols[((c * kh + ky) * kw + kx) * npix + (n * OH + ty / sh) * OW + tx / sw];
      }
    }
    img = acc;
    """,
    "autograd_col2im"))


def _im2col_cuda(backend, x, kernel_size, stride, padding, dilation):
    if x.dtype not in _FLOATS:
        return None
    n, c, h, w = x.shape
    oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
    (kh, kw) = kernel_size
    cols = backend.buffers.empty((c * kh * kw, n * oh * ow), x.dtype)
    backend.launch_elementwise("im2col", backend.xp.ascontiguousarray(x), n, c, h, w, oh, ow,
                               kh, kw, *stride, *padding, *dilation, cols)
    return cols


def _col2im_cuda(backend, cols, x_shape, kernel_size, stride, padding, dilation):
    if cols.dtype not in _FLOATS:
        return None
    n, c, h, w = x_shape
    oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
    img = backend.buffers.empty(x_shape, cols.dtype)
    backend.launch_elementwise("col2im", backend.xp.ascontiguousarray(cols), n, c, h, w, oh,
                               ow, *kernel_size, *stride, *padding, *dilation, img)
    return img


_IM2COL = {"numpy": _im2col_cpu, "cupy": _im2col_cuda}  # backend name -> compiled form
_COL2IM = {"numpy": _col2im_cpu, "cupy": _col2im_cuda}
