"""The CPU backend: NumPy arrays, with numba kernels where NumPy has no fast path."""

from __future__ import annotations

import numpy as np

from . import numpy_kernels as kernels
from .base import Backend


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
        self._generator = np.random.default_rng(seed)

    @property
    def generator(self):
        return self._generator

    def index_add(self, out, index, src) -> None:
        kernels.index_add(out, index, src)

    def add_at(self, out, key, values) -> None:
        kernels.add_at(out, key, values)

    def erf(self, x):
        return kernels.erf(x)
