"""The GPU backend: CuPy arrays on one NVIDIA device.

Ops are written once against ``xp``; this file is the whole CuPy-specific part:

- transfers: ``asarray`` (under ``cupy.cuda.Device(index)``), ``to_host``
  (``cupy.asnumpy``), ``is_array`` (a ``cupy.ndarray`` on this device);
- random numbers: :class:`CupyGenerator`, a ``numpy.random.Generator``-shaped adapter
  over ``cupy.random.Generator`` (which lacks ``permutation``, ``normal``, ``choice``);
- scatter-add: ``index_add`` / ``add_at`` with ``cupy.add.at`` (atomicAdd, so repeated
  indices accumulate);
- ``erf``: ``cupyx.scipy.special.erf``;
- allocation: ``empty`` / ``zeros`` under ``cupy.cuda.Device(index)``; the
  :class:`~backends.buffers.BufferCache` is off (``buffer_cache_bytes = 0``) because
  CuPy's memory pool already reuses device memory, in stream order;
- kernel building: ``launch_elementwise`` compiles (once, :func:`kernel`) and launches a
  ``cupy.ElementwiseKernel`` whose source lives beside its op and is registered in
  ``backends.base.ELEMENTWISE``: the optimizers' steps (``optim/adam.py``,
  ``optim/sgd.py``), im2col and col2im (``nn/functional/_conv_kernels.py``), max-pool
  forward and backward (``nn/functional/_pool_kernels.py``).

Importing this module needs neither CuPy nor a GPU; CuPy compiles a kernel on its first
launch, and the generator is made on first use. tests/backends/test_cupy_backend.py
checks the kernels without a GPU: it compiles their C bodies as host C++ and compares
them with the references beside them.
"""

from __future__ import annotations

import numpy as np

from .base import ELEMENTWISE, Backend

try:  # importable without CuPy, so the kernel specs can be checked anywhere
    import cupy
    import cupyx.scipy.special
except ImportError:  # pragma: no cover - CupyBackend() then fails in backends.get_device
    cupy = cupyx = None

__all__ = ["CupyBackend", "CupyGenerator", "INHERITED", "kernel"]


# --- kernel building: the sources live beside their ops (backends.base.ELEMENTWISE) -----

_compiled: dict = {}


def kernel(name: str):
    """The ``cupy.ElementwiseKernel`` of the kernel registered as ``name`` beside its op
    (``backends.base.ELEMENTWISE``): defined once; CuPy compiles it for each dtype on
    first launch."""
    k = _compiled.get(name)
    if k is None:
        k = _compiled[name] = cupy.ElementwiseKernel(*ELEMENTWISE[name])
    return k


# Backend methods this backend takes from the base class on purpose (none at present)
INHERITED: frozenset = frozenset()


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

    # --- allocation: on this GPU; CuPy's memory pool already reuses device memory -----
    buffer_cache_bytes = 0  # so the BufferCache is off (see backends/buffers.py)

    def empty(self, shape, dtype):
        with self._device:
            return cupy.empty(shape, dtype=dtype)

    def zeros(self, shape, dtype):
        with self._device:
            return cupy.zeros(shape, dtype=dtype)

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

    # --- kernel building --------------------------------------------------------------
    compiles_elementwise = True

    def launch_elementwise(self, key: str, *args) -> None:
        with self._device:
            kernel(key)(*args)


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
