"""A per-device cache of the large arrays that layer kernels hand out every step.

A CNN training step allocates the same big arrays every time (im2col columns, the
conv output in batch-major order, pooling outputs and indices, their gradients). On
the CPU, glibc serves each from fresh ``mmap`` pages and returns them to the system when
they are freed, so every step pays the page faults again (about a fifth of the step).
:class:`BufferCache` keeps those arrays and hands one out again once nobody else holds
it: an array is free when the cache's own reference is the only one left
(``sys.getrefcount``). A NumPy or CuPy view keeps its base alive, and so does a Tensor,
a graph node that saved it, a ``memoryview`` or a DLPack capsule, so an array whose
result (or any view of it) is still alive is never handed out twice, whatever the
nesting of the calls that asked for it. A caller must therefore own what it gets: write
all of it (``empty``) before reading, and never keep it through anything but a
reference (no raw pointer kept without the array).

The cache is bounded (``max_bytes``; a request that would exceed it evicts the least
recently used free arrays, or is served uncached), holds only arrays of at least
``min_bytes`` (smaller ones come from the allocator's free lists, without page faults)
and is released with :meth:`BufferCache.clear`, or ``backends.release_buffers()`` for
every device. ``max_bytes = 0`` turns it off. Each backend owns one (``Backend.buffers``);
the CuPy backend's is off by default, since CuPy's memory pool already reuses device
memory (and knows the stream ordering that a reference count does not).
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["BufferCache", "DEFAULT_MAX_BYTES", "DEFAULT_MIN_BYTES"]

# AUTOGRAD_BUFFER_CACHE_MB overrides the bound of every new cache (0 disables caching)
DEFAULT_MAX_BYTES = int(float(os.environ.get("AUTOGRAD_BUFFER_CACHE_MB", "256")) * (1 << 20))
# below this size malloc recycles freed memory by itself (glibc's mmap threshold: 128 KiB)
DEFAULT_MIN_BYTES = 128 << 10


def _refs(items: list, i: int) -> int:
    return sys.getrefcount(items[i])


# the count _refs reports for an object that only a list refers to (measured, not
# assumed: it differs between interpreter versions)
_FREE = _refs([object()], 0)


class BufferCache:
    """Arrays kept for reuse, keyed by (shape, dtype); see the module docstring.

    ``empty(shape, dtype)`` (and ``zeros``, optional) make a new array on the owning
    device. ``hits`` and ``misses`` count the requests served from the cache and by a new
    array (requests outside [``min_bytes``, ``max_bytes``] are not counted).
    """

    def __init__(self, empty, zeros=None, max_bytes: int = DEFAULT_MAX_BYTES,
                 min_bytes: int = DEFAULT_MIN_BYTES):
        self._empty = empty
        self._zeros = zeros
        self.max_bytes = int(max_bytes)
        self.min_bytes = int(min_bytes)
        self._arrays: dict[tuple, list] = {}  # (shape, dtype) -> the cached arrays
        self._lru: OrderedDict[int, tuple] = OrderedDict()  # id(array) -> key, oldest first
        self._nbytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the cache (arrays in use included)."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._lru)

    def empty(self, shape, dtype):
        """An uninitialised array of ``shape`` and ``dtype`` that nobody else holds:
        a cached one when one is free, else a new one (cached if the bound allows)."""
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        if nbytes < self.min_bytes or nbytes > self.max_bytes:
            return self._empty(shape, dtype)
        return self._take(shape, dtype, nbytes)

    def zeros(self, shape, dtype):
        """:meth:`empty`, filled with zeros."""
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        if (nbytes < self.min_bytes or nbytes > self.max_bytes) and self._zeros is not None:
            return self._zeros(shape, dtype)
        array = self.empty(shape, dtype)
        array.fill(0)
        return array

    def _take(self, shape, dtype, nbytes: int):
        key = (tuple(shape), np.dtype(dtype))
        with self._lock:
            arrays = self._arrays.get(key)
            if arrays is not None:
                for i in range(len(arrays)):
                    if _refs(arrays, i) == _FREE:
                        array = arrays[i]
                        self._lru.move_to_end(id(array))
                        self.hits += 1
                        return array
            self.misses += 1
            array = self._empty(*key)
            if self._nbytes + nbytes > self.max_bytes:
                self._evict(self._nbytes + nbytes - self.max_bytes)
            if self._nbytes + nbytes <= self.max_bytes:
                self._arrays.setdefault(key, []).append(array)
                self._lru[id(array)] = key
                self._nbytes += nbytes
            return array

    def _evict(self, need: int) -> None:
        """Drop free arrays, least recently used first, until ``need`` bytes are freed
        (or no free array is left). Called with the lock held."""
        for aid, key in list(self._lru.items()):
            if need <= 0:
                return
            arrays = self._arrays[key]
            for i in range(len(arrays)):
                if id(arrays[i]) == aid:
                    if _refs(arrays, i) == _FREE:
                        size = arrays[i].nbytes
                        del arrays[i]
                        del self._lru[aid]
                        if not arrays:
                            del self._arrays[key]
                        self._nbytes -= size
                        need -= size
                    break

    def clear(self) -> None:
        """Forget every cached array (those still in use live on with their users)."""
        with self._lock:
            self._arrays.clear()
            self._lru.clear()
            self._nbytes = 0

    def __repr__(self) -> str:
        return (f"<BufferCache {len(self)} arrays, {self._nbytes / (1 << 20):.1f} of "
                f"{self.max_bytes / (1 << 20):.0f} MiB, {self.hits} hits, {self.misses} misses>")
