"""The backend interface: what an array library must supply beyond its `xp` namespace.

Ops are written once against ``backend.xp`` (numpy or cupy). The few things an array
library does slowly or differently live here as methods, so the difference between
CPU and GPU is a list of methods, not if-statements scattered through the ops.
"""

from __future__ import annotations

from typing import Any


class Backend:
    """An array backend. Subclasses set ``name`` and ``xp`` and implement the kernels."""

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

    # --- kernels that array libraries do slowly ---------------------------------------
    def index_add(self, out, index, src) -> None:
        """``out[index[i]] += src[i]`` along axis 0 in place; repeated indices accumulate.

        out: (M, *rest); index: (N,) integer; src: (N, *rest).
        """
        raise NotImplementedError

    def add_at(self, out, key, values) -> None:
        """``numpy.add.at(out, key, values)`` semantics: unbuffered, repeats accumulate."""
        raise NotImplementedError

    def erf(self, x):
        """The error function, elementwise, in ``x``'s dtype."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
