"""One kernel body, compiled twice: parallel for large inputs, serial for small ones."""

from __future__ import annotations

import types

import numba


def compile_twice(fn, **options):
    """``(parallel, serial)`` numba compilations of ``fn``, whose outer loop is a
    ``numba.prange`` (a plain ``range`` in the serial one). ``options`` go to ``njit``."""
    parallel = numba.njit(cache=True, parallel=True, nogil=True, **options)(fn)
    # a renamed copy, so the on-disk cache keeps the two compilations apart
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial",
                               fn.__defaults__)
    clone.__qualname__ = fn.__qualname__ + "_serial"
    clone.__module__ = fn.__module__
    serial = numba.njit(cache=True, nogil=True, **options)(clone)
    return parallel, serial
