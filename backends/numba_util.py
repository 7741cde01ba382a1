"""Helpers for building numba CPU kernels: one body compiled twice (parallel for large
inputs, serial for small ones), the rule that picks one, and the check that arrays can
be handed to a flat elementwise kernel. A kernel itself lives beside its op (e.g.
``optim/adam.py``). numba is imported only when a kernel is first compiled (it costs
about half a second), so importing this module, or an op's, does not pay it."""

from __future__ import annotations

import types

import numpy as np

# below this many elements the serial kernel is faster than waking the thread pool
PARALLEL_MIN_SIZE = 1 << 20
# with fewer threads a memory-bound loop gains little and risks stalls under load
PARALLEL_MIN_THREADS = 4


def use_parallel(size: int) -> bool:
    """Whether a memory-bound elementwise kernel over ``size`` elements should run its
    parallel compilation. One core streams about 0.4 ns per float32 element; on a busy
    or 2-core machine an OpenMP region must wait for every thread to be scheduled
    (measured under load: 55-75 ms for a 0.4M-element update that takes 0.5 ms
    serially), so only very large arrays on a many-thread machine go parallel."""
    if size < PARALLEL_MIN_SIZE:
        return False
    import numba

    return numba.config.NUMBA_NUM_THREADS >= PARALLEL_MIN_THREADS


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def flat_float_arrays(param, *others):
    """``param`` and ``others`` as 1-d views, or None unless all are C-contiguous NumPy
    arrays of one float dtype and shape; ``param`` is written, so it must be writeable;
    the first of ``others`` (a gradient, only read) is copied when not contiguous."""
    if type(param) is not np.ndarray or param.dtype not in _FLOATS \
            or not param.flags.c_contiguous or not param.flags.writeable:
        return None
    dtype, shape = param.dtype, param.shape
    out = [param.reshape(-1)]
    for i, a in enumerate(others):
        if type(a) is not np.ndarray or a.dtype != dtype or a.shape != shape:
            return None
        if not a.flags.c_contiguous:
            if i != 0:  # only the gradient (read-only here) may be copied
                return None
            a = np.ascontiguousarray(a)  # e.g. a transposed gradient: one copy, still fused
        out.append(a.reshape(-1))
    return out


def compile_twice(fn, **options):
    """``(parallel, serial)`` numba compilations of ``fn``, whose outer loop is a
    ``numba.prange`` (a plain ``range`` in the serial one). ``options`` go to ``njit``."""
    import numba

    parallel = numba.njit(cache=True, parallel=True, nogil=True, **options)(fn)
    # a renamed copy, so the on-disk cache keeps the two compilations apart
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial",
                               fn.__defaults__)
    clone.__qualname__ = fn.__qualname__ + "_serial"
    clone.__module__ = fn.__module__
    serial = numba.njit(cache=True, nogil=True, **options)(clone)
    return parallel, serial


class LazyKernel:
    """A kernel body compiled twice on first use: ``kernel.for_size(n)`` is the parallel
    or the serial compilation for ``n`` elements (``use_parallel``).

    The body's outer loop is ``prange(...)``, a name its module binds to ``range`` (so
    the module imports without numba); it is rebound to ``numba.prange`` just before
    compiling. ``options`` go to ``njit``.
    """

    def __init__(self, fn, **options):
        self.fn, self.options, self.forms = fn, options, None

    def for_size(self, size: int):
        forms = self.forms
        if forms is not None and size < PARALLEL_MIN_SIZE:  # the common case, quickly
            return forms[1]
        if forms is None:
            import numba

            self.fn.__globals__["prange"] = numba.prange
            forms = self.forms = compile_twice(self.fn, **self.options)
        return forms[0 if use_parallel(size) else 1]
