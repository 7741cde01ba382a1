"""The CPU backend: NumPy arrays, with numba kernels where NumPy has no fast path."""

from __future__ import annotations

import importlib

import numpy as np

from .base import Backend

_loaded: dict = {}


def _numba(module: str):
    """The numba kernel module ``backends.<module>``, imported on first use, so that
    ``import autograd`` does not pay numba's import (about half a second)."""
    mod = _loaded.get(module)
    if mod is None:
        mod = _loaded[module] = importlib.import_module(f"{__package__}.{module}")
    return mod


class NumpyBackend(Backend):
    name = "numpy"
    xp = np

    def __init__(self):
        self._generator = np.random.default_rng()

    def asarray(self, obj, dtype=None):
        return np.asarray(obj, dtype=dtype)

    def to_host(self, array):
        return np.asarray(array)

    def is_array(self, obj) -> bool:
        return isinstance(obj, np.ndarray)

    def seed(self, seed: int) -> None:
        self._generator = self.make_generator(seed)

    def make_generator(self, seed: int | None):
        return np.random.default_rng(seed)

    @property
    def generator(self):
        return self._generator

    # allocation: NumPy's own functions (no Python frame between a kernel and malloc)
    empty = staticmethod(np.empty)
    zeros = staticmethod(np.zeros)

    def index_add(self, out, index, src) -> None:
        _numba("numpy_kernels").index_add(out, index, src)

    def add_at(self, out, key, values) -> None:
        _numba("numpy_kernels").add_at(out, key, values)

    def erf(self, x):
        return _numba("numpy_kernels").erf(x)
