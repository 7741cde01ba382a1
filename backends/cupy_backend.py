"""The GPU backend: CuPy arrays on one NVIDIA device.

Ops are written once against ``xp``; this file is the whole CuPy-specific part:

- transfers: ``asarray`` (under ``cupy.cuda.Device(index)``), ``to_host``
  (``cupy.asnumpy``), ``is_array`` (a ``cupy.ndarray`` on this device);
- random numbers: :class:`CupyGenerator`, a ``numpy.random.Generator``-shaped adapter
  over ``cupy.random.Generator`` (which lacks ``permutation``, ``normal``, ``choice``);
- scatter-add: ``index_add`` / ``add_at`` with ``cupy.add.at`` (atomicAdd, so repeated
  indices accumulate);
- ``erf``: ``cupyx.scipy.special.erf``;
- fused ``cupy.ElementwiseKernel`` s, one launch each where the ``xp`` reference in
  :class:`~backends.base.Backend` makes several passes and temporaries (specs in
  :data:`KERNELS`, built by :func:`kernel`): im2col and col2im (the reference: one
  strided copy per kernel tap plus a pad), max-pool forward (window max + argmax) and
  max-pool backward (atomicAdd scatter);
- kernel building: ``launch_elementwise`` compiles and launches a kernel that lives
  beside its op (the optimizers' steps, e.g. ``optim/adam.py``) and registered its
  source in ``backends.base.ELEMENTWISE``.

Deliberately inherited from the base class (listed in :data:`INHERITED`), each already
one CuPy launch: ``max_pool2d_gather`` (``take_along_axis``) and ``gemm_to_batch_major``
(a strided ``add`` into the new layout).

Importing this module needs neither CuPy nor a GPU (the kernel specs are plain data);
CuPy compiles a kernel on its first launch, and the generator is made on first use.
tests/backends/test_cupy_backend.py checks the kernels without a GPU: it compiles their
C bodies as host C++ and compares them with the base class's references.
"""

from __future__ import annotations

import numpy as np

from .base import ELEMENTWISE, Backend, KernelSpec

try:  # importable without CuPy, so the kernel specs can be checked anywhere
    import cupy
    import cupyx.scipy.special
except ImportError:  # pragma: no cover - CupyBackend() then fails in backends.get_device
    cupy = cupyx = None

__all__ = ["CupyBackend", "CupyGenerator", "KernelSpec", "KERNELS", "INHERITED", "kernel"]


# --- fused kernels: specs here, made into cupy.ElementwiseKernel on first use ---------


# Max pooling of one output element: the window's max and the flat index iy*W + ix of
# the chosen tap in its (H, W) plane. PyTorch's rule: the first valid tap, then any
# larger value or a NaN; padding taps are never chosen (argmax -1 if all were padding).
_MAX_POOL2D_KERNEL = KernelSpec(
    "raw T x, int64 H, int64 W, int64 OH, int64 OW, int64 kh, int64 kw, int64 sh, "
    "int64 sw, int64 ph, int64 pw, int64 dh, int64 dw, T lowest",
    "T out, int64 argmax",
    """
    long long ox = i % OW;
    long long oy = (i / OW) % OH;
    long long plane = (i / (OW * OH)) * H * W;
    T best = lowest;
    long long best_at = -1;
    for (long long ky = 0; ky < kh; ++ky) {
      long long iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H) continue;
      for (long long kx = 0; kx < kw; ++kx) {
        long long ix = ox * sw - pw + kx * dw;
        if (ix < 0 || ix >= W) continue;
        T v = x[plane + iy * W + ix];
        if (best_at < 0 || v > best || isnan(v)) { best = v; best_at = iy * W + ix; }
      }
    }
    out = best;
    argmax = best_at;
    """,
    "autograd_max_pool2d")

# Max-pool backward: each output's gradient added at its argmax; atomicAdd because
# overlapping windows can choose the same pixel.
_MAX_POOL2D_BACKWARD_KERNEL = KernelSpec(
    "T g, int64 argmax, int64 plane_out, int64 plane_in",
    "raw T gx",
    "if (argmax >= 0) atomicAdd(&gx[(i / plane_out) * plane_in + argmax], g);",
    "autograd_max_pool2d_backward")

# im2col, one launch: element i of cols (C*kh*kw, N*OH*OW) is the input pixel that
# kernel tap (ky, kx) of channel c sees at output (n, oy, ox); zero in the padding.
_IM2COL_KERNEL = KernelSpec(
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
    "autograd_im2col")

# col2im as a gather (no atomics): each image pixel sums the columns of the taps and
# outputs that saw it: oy = (y + ph - ky*dh) / sh when that divides exactly.
_COL2IM_KERNEL = KernelSpec(
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
    "autograd_col2im")

# name -> spec; a name before "/" is the Backend method that launches the kernel
KERNELS = {
    "im2col": _IM2COL_KERNEL,
    "col2im": _COL2IM_KERNEL,
    "max_pool2d": _MAX_POOL2D_KERNEL,
    "max_pool2d_backward": _MAX_POOL2D_BACKWARD_KERNEL,
}
_compiled: dict = {}


def kernel(name: str):
    """The ``cupy.ElementwiseKernel`` of ``KERNELS[name]`` or of a kernel registered
    beside its op (``backends.base.ELEMENTWISE``): defined once; CuPy compiles it for
    each dtype on first launch."""
    k = _compiled.get(name)
    if k is None:
        spec = KERNELS[name] if name in KERNELS else ELEMENTWISE[name]
        k = _compiled[name] = cupy.ElementwiseKernel(*spec)
    return k


# Backend methods this backend takes from the base class on purpose (pure-xp references).
INHERITED = frozenset({"max_pool2d_gather", "gemm_to_batch_major"})

_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# --- random numbers ------------------------------------------------------------------


class CupyGenerator:
    """``numpy.random.Generator``'s methods, drawing on the GPU with CuPy.

    ``random``, ``standard_normal``, ``integers`` and ``uniform`` are CuPy's own;
    ``normal``, ``permutation`` and ``choice`` (missing in CuPy) are built on them.
    Other attributes fall through to the wrapped ``cupy.random.Generator``.
    """

    def __init__(self, generator):
        self._g = generator

    def random(self, size=None, dtype=np.float64):
        """Uniform floats on [0, 1); ``dtype`` float32 or float64."""
        return self._g.random(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        """Standard normal floats; ``dtype`` float32 or float64."""
        dtype = np.dtype(dtype)
        try:
            return self._g.standard_normal(size, dtype=dtype)
        except (TypeError, ValueError):  # a CuPy without that dtype: draw float64, cast
            return self._g.standard_normal(size).astype(dtype)

    def normal(self, loc=0.0, scale=1.0, size=None):
        """Normal floats (float64, as NumPy's ``Generator.normal``)."""
        return self.standard_normal(size) * scale + loc

    def uniform(self, low=0.0, high=1.0, size=None):
        """Uniform floats on [low, high) (float64, as NumPy)."""
        return self._g.uniform(low, high, size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        """Integers uniform on [low, high) (or [low, high] with ``endpoint``)."""
        return self._g.integers(low, high, size=size, dtype=dtype, endpoint=endpoint)

    def poisson(self, lam=1.0, size=None):
        """Poisson samples (int64) of rate ``lam`` (a number or an array)."""
        return self._g.poisson(lam, size)

    def permutation(self, x):
        """A random permutation of ``range(x)`` (int64), or of ``x``'s first axis."""
        if isinstance(x, int | np.integer):
            # argsort of uniform keys is a uniform permutation (float64 ties: ~n^2 / 2^53)
            return cupy.argsort(self._g.random(int(x))).astype(np.int64)
        x = cupy.asarray(x)
        return x[cupy.argsort(self._g.random(x.shape[0]))]

    def choice(self, a, size=None, replace=True):
        """Samples of ``range(a)`` (int) or of ``a``'s first axis, uniformly."""
        n = int(a) if isinstance(a, int | np.integer) else len(a)
        count = 1 if size is None else int(np.prod(size))
        if replace:
            idx = self._g.integers(0, n, size=count)
        else:
            if count > n:
                raise ValueError(f"choice: cannot take {count} samples from {n} without "
                                 "replacement")
            idx = self.permutation(n)[:count]
        out = idx if isinstance(a, int | np.integer) else cupy.asarray(a)[idx]
        if size is None:
            return out[0]
        return out.reshape(tuple(np.atleast_1d(size)) + out.shape[1:])

    def __getattr__(self, name):
        return getattr(self._g, name)


# --- the backend ---------------------------------------------------------------------


class CupyBackend(Backend):
    """CuPy arrays on GPU ``index``; see the module docstring for what is GPU-specific."""

    name = "cupy"
    xp = cupy

    def __init__(self, index: int = 0):
        self.index = int(index)
        self._device = cupy.cuda.Device(self.index)
        from . import initial_seed  # the package is loaded: it makes this backend

        self._seed = initial_seed()  # a manual_seed set before this GPU was first used
        self._generator = None

    # --- transfer -------------------------------------------------------------------
    def asarray(self, obj, dtype=None):
        if isinstance(obj, cupy.ndarray) and obj.device.id != self.index:
            with self._device:
                return cupy.array(obj, dtype=dtype, copy=True)  # peer-to-peer copy
        with self._device:
            return cupy.asarray(obj, dtype=dtype)

    def to_host(self, array):
        if isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return np.asarray(array)

    def is_array(self, obj) -> bool:
        return isinstance(obj, cupy.ndarray) and obj.device.id == self.index

    # --- random numbers -------------------------------------------------------------
    def seed(self, seed: int) -> None:
        self._seed = int(seed)
        self._generator = None  # made on first use, on the GPU

    @property
    def generator(self) -> CupyGenerator:
        if self._generator is None:
            self._generator = self.make_generator(self._seed)
        return self._generator

    def make_generator(self, seed: int | None) -> CupyGenerator:
        with self._device:
            return CupyGenerator(cupy.random.default_rng(seed))

    # --- scatter-add ----------------------------------------------------------------
    def index_add(self, out, index, src) -> None:
        index = cupy.asarray(index).reshape(-1)
        rows = out.shape[0]
        if index.size:
            lo, hi = (int(v) for v in cupy.asnumpy(cupy.stack([index.min(), index.max()])))
            if hi >= rows or lo < -rows:
                raise IndexError(
                    f"index_add: index out of range for axis 0 of size {rows} "
                    f"(min {lo}, max {hi})"
                )
        src = cupy.broadcast_to(cupy.asarray(src, dtype=out.dtype),
                                (index.size,) + out.shape[1:])
        _scatter_add(out, index, src)

    def add_at(self, out, key, values) -> None:
        key = _device_key(key)
        if not _has_int_array(key):
            # slices, ints and boolean masks never address an element twice
            out[key] += values
            return
        _scatter_add(out, key, cupy.asarray(values, dtype=out.dtype))

    def reduce_at(self, ufunc: str, out, key, values) -> None:
        key = _device_key(key)
        values = cupy.asarray(values, dtype=out.dtype)
        if ufunc != "multiply":
            at = getattr(getattr(cupy, ufunc), "at", None)  # CuPy >= 13: atomic max/min
            if at is not None:
                at(out, key, values)
            else:  # older CuPy
                getattr(cupyx, "scatter_max" if ufunc == "maximum" else "scatter_min")(
                    out, key, values)
        else:  # CuPy has no atomic multiply: reduce on the host, once, exactly
            host = cupy.asnumpy(out)
            np.multiply.at(host, tuple(cupy.asnumpy(k) if hasattr(k, "shape") else k
                                       for k in key), cupy.asnumpy(values))
            out[...] = cupy.asarray(host)

    # --- elementwise ----------------------------------------------------------------
    def erf(self, x):
        return cupyx.scipy.special.erf(x)

    @property
    def special(self):
        return cupyx.scipy.special

    # --- convolution and pooling (max_pool2d_gather, gemm_to_batch_major: inherited) -
    def im2col(self, x, kernel_size, stride, padding, dilation):
        if x.dtype not in _FUSED_DTYPES:
            return super().im2col(x, kernel_size, stride, padding, dilation)
        n, c, h, w = x.shape
        oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
        (kh, kw) = kernel_size
        with self._device:
            cols = cupy.empty((c * kh * kw, n * oh * ow), dtype=x.dtype)
            kernel("im2col")(cupy.ascontiguousarray(x), n, c, h, w, oh, ow, kh, kw, *stride,
                             *padding, *dilation, cols)
        return cols

    def col2im(self, cols, x_shape, kernel_size, stride, padding, dilation):
        if cols.dtype not in _FUSED_DTYPES:
            return super().col2im(cols, x_shape, kernel_size, stride, padding, dilation)
        n, c, h, w = x_shape
        oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
        with self._device:
            img = cupy.empty((n, c, h, w), dtype=cols.dtype)
            kernel("col2im")(cupy.ascontiguousarray(cols), n, c, h, w, oh, ow, *kernel_size,
                             *stride, *padding, *dilation, img)
        return img

    def max_pool2d(self, x, kernel_size, stride, padding, dilation):
        if x.dtype not in _FUSED_DTYPES:
            return super().max_pool2d(x, kernel_size, stride, padding, dilation)
        n, c, h, w = x.shape
        oh, ow = _out_hw(h, w, kernel_size, stride, padding, dilation)
        with self._device:
            out = cupy.empty((n, c, oh, ow), dtype=x.dtype)
            argmax = cupy.empty((n, c, oh, ow), dtype=np.int64)
            kernel("max_pool2d")(cupy.ascontiguousarray(x), h, w, oh, ow, *kernel_size,
                                 *stride, *padding, *dilation, -np.inf, out, argmax)
        return out, argmax

    def max_pool2d_backward(self, g, argmax, x_shape, kernel_size, stride, padding, dilation):
        if g.dtype not in _FUSED_DTYPES:
            return super().max_pool2d_backward(g, argmax, x_shape, kernel_size, stride,
                                               padding, dilation)
        n, c, h, w = x_shape
        with self._device:
            gx = cupy.zeros(tuple(x_shape), dtype=g.dtype)
            kernel("max_pool2d_backward")(g, argmax, g.shape[2] * g.shape[3], h * w, gx)
        return gx

    # --- kernel building --------------------------------------------------------------
    compiles_elementwise = True

    def launch_elementwise(self, key: str, *args) -> None:
        with self._device:
            kernel(key)(*args)


def _out_hw(h, w, kernel_size, stride, padding, dilation) -> tuple[int, int]:
    from .conv_reference import out_size

    return (out_size(h, kernel_size[0], stride[0], padding[0], dilation[0]),
            out_size(w, kernel_size[1], stride[1], padding[1], dilation[1]))


def _scatter_add(out, key, values) -> None:
    """``out[key] += values`` with repeats accumulating (atomicAdd): ``cupy.add.at``, or
    ``cupyx.scatter_add`` on a CuPy older than ``ufunc.at``."""
    at = getattr(cupy.add, "at", None)
    if at is not None:
        at(out, key, values)
    else:  # pragma: no cover - CuPy < 13
        import cupyx as _cupyx

        _cupyx.scatter_add(out, key, values)


def _device_key(key):
    """``key`` with NumPy index arrays and lists moved to the GPU (CuPy rejects them)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = tuple(cupy.asarray(k) if isinstance(k, np.ndarray | list) else k for k in key)
    return out if len(out) != 1 else out[0]


def _has_int_array(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, cupy.ndarray) and k.dtype.kind in "iu" for k in keys)
