"""The backend interface: what an array library must supply beyond its `xp` namespace.

Ops are written once against ``backend.xp`` (numpy or cupy). What really differs per
array library lives here as methods: transfer, random numbers, scatter-add, allocation
(with the per-device :class:`~backends.buffers.BufferCache`) and kernel building. A
layer's or an optimizer's own compiled kernels live beside its op (``optim/adam.py``,
``nn/functional/_conv_kernels.py``), in a reference, a numba and a CUDA form dispatched
by ``backend.name``, with the CUDA source registered here (``register_elementwise``).
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple


class KernelSpec(NamedTuple):
    """The four arguments of ``cupy.ElementwiseKernel``: a GPU kernel's source as data,
    so it can live beside its op and be read (and tested) without a GPU."""

    in_params: str
    out_params: str
    operation: str
    name: str


# Kernels that live beside their op (``optim/adam.py``, ``nn/functional/_conv_kernels.py``)
# register their GPU form here, by key; a backend that compiles elementwise kernels
# builds one on first launch.
ELEMENTWISE: dict[str, KernelSpec] = {}


def register_elementwise(key: str, spec: KernelSpec) -> KernelSpec:
    """Make ``spec`` launchable as ``backend.launch_elementwise(key, *args)``."""
    if ELEMENTWISE.get(key, spec) != spec:
        raise ValueError(f"elementwise kernel {key!r} is registered twice, differently")
    ELEMENTWISE[key] = spec
    return spec


class Backend:
    """An array backend. Subclasses set ``name`` and ``xp`` and implement transfer,
    random numbers and scatter-add (and kernel building, if they compile kernels)."""

    name: str = "abstract"
    xp: Any = None

    # --- transfer -------------------------------------------------------------------
    def asarray(self, obj, dtype=None):
        """Return ``obj`` as an array of this backend (no copy when already one)."""
        raise NotImplementedError

    def to_host(self, array):
        """Return a NumPy array with the contents of ``array``."""
        raise NotImplementedError

    def is_array(self, obj) -> bool:
        """Whether ``obj`` is an array of this backend."""
        raise NotImplementedError

    # --- random numbers -------------------------------------------------------------
    def seed(self, seed: int) -> None:
        """Reseed this backend's generator."""
        raise NotImplementedError

    @property
    def generator(self):
        """The backend's random generator (``xp.random.Generator``-like)."""
        raise NotImplementedError

    def make_generator(self, seed: int | None):
        """A new generator of this backend's kind seeded with ``seed`` (the one behind
        ``seed()``, and behind each ``autograd.Generator`` on this device)."""
        raise NotImplementedError

    # --- kernels that array libraries do slowly ---------------------------------------
    def index_add(self, out, index, src) -> None:
        """``out[index[i]] += src[i]`` along axis 0 in place; repeated indices accumulate.

        out: (M, *rest); index: (N,) integer; src: (N, *rest).
        """
        raise NotImplementedError

    def add_at(self, out, key, values) -> None:
        """``numpy.add.at(out, key, values)`` semantics: unbuffered, repeats accumulate."""
        raise NotImplementedError

    def reduce_at(self, ufunc: str, out, key, values) -> None:
        """``numpy.<ufunc>.at(out, key, values)`` for ufunc "maximum", "minimum" or
        "multiply": unbuffered, repeated indices all take part."""
        import numpy as np

        getattr(np, ufunc).at(out, key, values)

    def erf(self, x):
        """The error function, elementwise, in ``x``'s dtype."""
        raise NotImplementedError

    @property
    def special(self):
        """The ``scipy.special`` namespace for this backend's arrays (``autograd.special``
        computes its forwards with it): SciPy's here, ``cupyx.scipy.special`` on CuPy."""
        import scipy.special

        return scipy.special

    # --- allocation -------------------------------------------------------------------
    def empty(self, shape, dtype):
        """A new uninitialised array of ``shape`` and ``dtype`` on this backend's device."""
        return self.xp.empty(shape, dtype=dtype)

    def zeros(self, shape, dtype):
        """A new zero-filled array of ``shape`` and ``dtype`` on this backend's device."""
        return self.xp.zeros(shape, dtype=dtype)

    # a BufferCache's bound for this backend (None: backends.buffers.DEFAULT_MAX_BYTES)
    buffer_cache_bytes: int | None = None

    @functools.cached_property
    def buffers(self):
        """This backend's :class:`~backends.buffers.BufferCache`: where layer kernels take
        the large arrays they hand out every step (``buffers.empty(shape, dtype)``), so
        that a training step reuses them instead of page-faulting fresh memory. Made on
        first use; ``buffers.clear()`` releases it, ``buffers.max_bytes = 0`` turns it off."""
        from .buffers import DEFAULT_MAX_BYTES, BufferCache

        limit = self.buffer_cache_bytes
        return BufferCache(self.empty, self.zeros,
                           DEFAULT_MAX_BYTES if limit is None else limit)

    # --- kernel building --------------------------------------------------------------
    def launch_elementwise(self, key: str, *args) -> None:
        """Launch the elementwise kernel registered as ``key`` (``register_elementwise``)
        on this backend's device: ``args`` are its inputs then its outputs, as
        ``cupy.ElementwiseKernel`` takes them. Only backends that compile such kernels
        (CuPy) implement it; callers check ``compiles_elementwise`` first."""
        raise NotImplementedError(f"backend {self.name!r} compiles no elementwise kernels")

    compiles_elementwise: bool = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
