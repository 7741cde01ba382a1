"""numba kernels for the CPU backend, where NumPy has no fast path.

Compiled lazily with ``cache=True`` so that a second process start pays no JIT cost.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _index_add_rows(out, index, src):
    # out: (M, R), index: (N,), src: (N, R); serial so repeated indices accumulate exactly
    m = out.shape[0]
    for i in range(index.shape[0]):
        j = index[i]
        if j < 0:
            j += m
        for k in range(out.shape[1]):
            out[j, k] += src[i, k]


@numba.njit(cache=True, nogil=True)
def _add_flat(out, flat_index, values):
    for i in range(flat_index.shape[0]):
        out[flat_index[i]] += values[i]


def index_add(out, index, src) -> None:
    """``out[index[i]] += src[i]`` along axis 0, in place; repeated indices accumulate."""
    index = np.ascontiguousarray(index, dtype=np.int64).reshape(-1)
    rows = out.shape[0]
    if index.size and (index.max() >= rows or index.min() < -rows):
        raise IndexError(
            f"index_add: index out of range for axis 0 of size {rows} "
            f"(min {index.min()}, max {index.max()})"
        )
    flat_out = out.reshape(rows, -1)
    src = np.ascontiguousarray(np.broadcast_to(src, (index.size,) + out.shape[1:]), dtype=out.dtype)
    if flat_out.base is not out and not np.shares_memory(flat_out, out):
        raise ValueError("index_add: out must be contiguous")
    _index_add_rows(flat_out, index, src.reshape(index.size, -1))


def _is_full_slice(k) -> bool:
    return isinstance(k, slice) and k == slice(None)


def add_at(out, key, values) -> None:
    """``numpy.add.at(out, key, values)``, fast: repeated indices accumulate."""
    if not isinstance(key, tuple):
        key = (key,)
    first = key[0] if key else None
    if (
        out.flags.c_contiguous
        and isinstance(first, np.ndarray)
        and first.dtype.kind in "iu"
        and all(_is_full_slice(k) for k in key[1:])
    ):
        # the common case (embedding rows, x[idx]): rows of axis 0
        values = np.broadcast_to(values, first.shape + out.shape[1:])
        index_add(out, first, values.reshape((first.size,) + out.shape[1:]))
        return
    if not any(isinstance(k, np.ndarray) and k.dtype.kind in "iu" for k in key):
        # slices, ints and boolean masks never address an element twice
        out[key] += values
        return
    # general integer-array indexing: address each element by its flat position
    positions = np.arange(out.size, dtype=np.int64).reshape(out.shape)[key]
    values = np.ascontiguousarray(np.broadcast_to(values, positions.shape), dtype=out.dtype)
    if out.flags.c_contiguous:
        _add_flat(out.reshape(-1), positions.reshape(-1), values.reshape(-1))
    else:
        np.add.at(out, key, values)


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erf(x):
    """The error function, elementwise (NumPy has none)."""
    return math.erf(x)
