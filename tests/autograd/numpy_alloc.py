"""Count NumPy's array data allocations (a test helper for ``ag.compile``).

:func:`counting` installs a NumPy memory handler (NEP 49, ``PyDataMem_SetHandler``
reached through NumPy's C-API table with ctypes) that forwards every request to NumPy's
default handler and counts the ``malloc``/``calloc``/``realloc`` calls: every array data
buffer NumPy allocates in the block, whoever asked for it (a ufunc, a reduction, a copy,
``np.array([...])``). Array objects that view existing memory allocate no data and are
not counted. The handler is per context (a context variable), so only this thread's
allocations are counted; ``free`` is the default handler's own C function, so arrays
made inside the block can be freed at any time later.
"""

from __future__ import annotations

import contextlib
import ctypes

import numpy as np

try:
    from numpy._core import _multiarray_umath as _umath
except ImportError:  # NumPy 1.x
    from numpy.core import _multiarray_umath as _umath

_MALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_CALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)
_REALLOC = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


class _Allocator(ctypes.Structure):  # PyDataMemAllocator
    _fields_ = [("ctx", ctypes.c_void_p), ("malloc", ctypes.c_void_p),
                ("calloc", ctypes.c_void_p), ("realloc", ctypes.c_void_p),
                ("free", ctypes.c_void_p)]


class _Handler(ctypes.Structure):  # PyDataMem_Handler, version 1
    _fields_ = [("name", ctypes.c_char * 127), ("version", ctypes.c_uint8),
                ("allocator", _Allocator)]


class Counter:
    """``calls``: data allocations counted; ``nbytes``: their total size."""

    def __init__(self):
        self.calls = 0
        self.nbytes = 0


_active: list[Counter] = []
_state: dict = {}


def _install():
    if _state:
        return _state
    api = ctypes.pythonapi
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    api.PyCapsule_New.restype = ctypes.py_object
    api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    api.PyMem_RawMalloc.restype = ctypes.c_void_p
    api.PyMem_RawMalloc.argtypes = [ctypes.c_size_t]
    table = ctypes.cast(api.PyCapsule_GetPointer(_umath._ARRAY_API, None),
                        ctypes.POINTER(ctypes.c_void_p))
    set_handler = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(table[304])
    default_capsule = ctypes.cast(table[306], ctypes.POINTER(ctypes.py_object))[0]
    default = _Handler.from_address(api.PyCapsule_GetPointer(default_capsule, b"mem_handler"))
    d = default.allocator
    d_malloc, d_calloc = _MALLOC(d.malloc), _CALLOC(d.calloc)
    d_realloc = _REALLOC(d.realloc)

    def count(n):
        for c in _active:
            c.calls += 1
            c.nbytes += n

    def malloc(ctx, n):
        count(n)
        return d_malloc(ctx, n)

    def calloc(ctx, k, n):
        count(k * n)
        return d_calloc(ctx, k, n)

    def realloc(ctx, p, n):
        count(n)
        return d_realloc(ctx, p, n)

    callbacks = (_MALLOC(malloc), _CALLOC(calloc), _REALLOC(realloc))
    # the handler lives as long as the process: arrays made under it point to it
    addr = api.PyMem_RawMalloc(ctypes.sizeof(_Handler))
    h = _Handler.from_address(addr)
    h.name, h.version = b"ndgrad_counting", 1
    h.allocator.ctx = d.ctx
    h.allocator.malloc, h.allocator.calloc, h.allocator.realloc = (
        ctypes.cast(cb, ctypes.c_void_p).value for cb in callbacks)
    h.allocator.free = d.free  # the default's C function: no Python on free
    _state.update(set=set_handler, capsule=api.PyCapsule_New(addr, b"mem_handler", None),
                  callbacks=callbacks)
    return _state


@contextlib.contextmanager
def counting():
    """Count the NumPy data allocations made (by this thread) inside the block."""
    state = _install()
    counter = Counter()
    prev = state["set"](state["capsule"])
    _active.append(counter)
    try:
        yield counter
    finally:
        _active.remove(counter)
        state["set"](prev)


def handler_name() -> str:
    return np.lib.get_handler_name() if hasattr(np.lib, "get_handler_name") else \
        _umath.get_handler_name()
