"""Tensor factories (``zeros``, ``randn``, ...) and the global random seed."""

from __future__ import annotations

import numpy as np

import backends

from . import dtypes
from .ops._util import as_size
from .tensor import Tensor, _wrap


def _shape(size, array_fn) -> tuple:
    # the op named in errors is the factory that defined array_fn ("zeros.<locals>...")
    return as_size(size, array_fn.__qualname__.split(".")[0])


def _make(array_fn, size, dtype, device, requires_grad, default=None):
    dev = backends.get_device(device)
    dt = dtypes.to_dtype(dtype) or default or dtypes.get_default_dtype()
    t = _wrap(array_fn(dev.backend, _shape(size, array_fn), dt), dev)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda b, s, d: b.xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda b, s, d: b.xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda b, s, d: b.xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = (dtypes.bool_ if isinstance(fill_value, bool) else
                 dtypes.int64 if isinstance(fill_value, int) else None)
    return _make(lambda b, s, d: b.xp.full(s, fill_value, d), (tuple(size),), dtype, device,
                 requires_grad)


def _like(fn, x, dtype, device, requires_grad, *extra):
    return fn(x.shape, *extra, dtype=dtype or x.dtype, device=device or x.device,
              requires_grad=requires_grad)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(zeros, x, dtype, device, requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(ones, x, dtype, device, requires_grad)


def empty_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(empty, x, dtype, device, requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else None
    dev = backends.get_device(device)
    dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
    t = _wrap(dev.backend.xp.arange(start, end, step, dtype=dt), dev)
    return t.requires_grad_(True) if requires_grad else t


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda b, s, d: b.xp.linspace(start, end, steps, dtype=d), (steps,), dtype,
                 device, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    return _make(lambda b, s, d: b.xp.logspace(start, end, steps, base=base).astype(d),
                 (steps,), dtype, device, requires_grad)


def scalar_tensor(value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding the number ``value`` (the default float dtype unless given)."""
    return _make(lambda b, s, d: b.xp.asarray(value, dtype=d), (), dtype, device,
                 requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda b, s, d: b.xp.eye(n, m, dtype=d), (n,), dtype, device, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array`` (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return _wrap(array, backends.get_device("cpu"))


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    return Tensor(data, dtype=dtype, device=device)


# --- random numbers: the backends own the generators and the seed ----------------------

manual_seed = backends.manual_seed
initial_seed = backends.initial_seed


def _source(dev, generator):
    """The backend generator to draw from: ``generator``'s (an ``ag.Generator``) or the
    device's default one, which ``manual_seed`` seeds."""
    if generator is None:
        return dev.backend.generator
    from .random import source

    return source(dev, generator)


def _random(fn, size, dtype, device, requires_grad, generator=None):
    dev = backends.get_device(device)
    dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
    if dt.kind != "f":
        raise TypeError(f"random floats need a floating dtype, got {dt}")
    arr = fn(_source(dev, generator), _shape(size, fn), dt)
    t = _wrap(arr, dev)
    return t.requires_grad_(True) if requires_grad else t


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    return _random(lambda g, s, d: g.random(s, dtype=d), size, dtype, device, requires_grad,
                   generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    return _random(lambda g, s, d: g.standard_normal(s, dtype=d), size, dtype, device,
                   requires_grad, generator)


def randint(low, high=None, size=(), *, generator=None, dtype=None, device=None) -> Tensor:
    """Integers uniform on [low, high)."""
    if high is None:
        low, high = 0, low
    dev = backends.get_device(device)
    dt = dtypes.to_dtype(dtype) or dtypes.int64
    arr = _source(dev, generator).integers(low, high, size=tuple(size), dtype=dt)
    return _wrap(dev.backend.xp.asarray(arr), dev)


def randperm(n: int, *, generator=None, device=None) -> Tensor:
    dev = backends.get_device(device)
    arr = _source(dev, generator).permutation(n)
    return _wrap(dev.backend.xp.asarray(arr, dtype=dtypes.int64), dev)


def rand_like(x: Tensor, dtype=None, device=None, requires_grad=False, *,
              generator=None) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                requires_grad=requires_grad, generator=generator)


def randn_like(x: Tensor, dtype=None, device=None, requires_grad=False, *,
               generator=None) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                 requires_grad=requires_grad, generator=generator)
