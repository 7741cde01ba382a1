"""The op registry: one table of every differentiable op and layer function.

Tests (``tests/autograd/test_ops.py`` and friends) and the gradient-check benchmark
(``python -m benchmarks.gradcheck``) both read it, so a new op registered here is
checked everywhere without editing either.

Each package registers its own ops: a *provider* is a module whose import calls
``register(OpInfo(...), ...)``. autograd's providers are listed in ``_PROVIDERS`` below;
a package above autograd (``nn``) lists its own in its ``testing/__init__.py`` and
hands them over with ``add_providers`` when it is imported, so autograd never imports
it. Joining is one line: append the module's name to the right ``_PROVIDERS`` tuple.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# autograd's modules that register ops; each owns the entries of one area
_PROVIDERS = (
    "autograd.testing.core_ops",
    # linalg, special, fft (issue 12)
    "autograd.testing.linalg_ops",
    "autograd.testing.special_ops",
    "autograd.testing.fft_ops",
    # issue 12 tensor ops (ops helper)
    "autograd.testing.surface_ops",
    # issue 16 / issue 12 edge cases (reliab)
    "autograd.testing.reliab_ops",
    # in-place ops, views, step functions (issue 11)
    "autograd.testing.inplace_ops",
)

# provider modules of the packages above autograd, handed over by ``add_providers``
_ADDED: list[str] = []


@dataclass
class OpInfo:
    """One differentiable op under test.

    name: unique, e.g. "mul/broadcast".
    fn: called as ``fn(*args)``; returns a Tensor or a tuple of Tensors.
    make_args: ``make_args(rng, dtype, device) -> tuple`` of arguments; Tensors that the
        checks differentiate have ``requires_grad=True``.
    reference: optional ``reference(*numpy_args) -> ndarray`` (or tuple) for the forward
        comparison; Tensor args are passed as float64 NumPy arrays.
    second_order: whether gradgradcheck applies (twice differentiable).
    """

    name: str
    fn: Callable
    make_args: Callable
    reference: Callable | None = None
    second_order: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3
    group: str = "core"
    tags: tuple = field(default_factory=tuple)


REGISTRY: dict[str, OpInfo] = {}


def register(*infos: OpInfo) -> None:
    for info in infos:
        if info.name in REGISTRY:
            raise ValueError(f"op {info.name!r} is registered twice")
        REGISTRY[info.name] = info


def add_providers(*modules: str) -> None:
    """Register provider modules of a package above autograd (by module name; they are
    imported by ``all_ops``, not here, so importing the package stays cheap)."""
    for mod in modules:
        if mod not in _ADDED:
            _ADDED.append(mod)


def all_ops() -> list[OpInfo]:
    """Every registered op (imports the provider modules on first use).

    Providers of other packages are included once that package is imported (``import
    nn`` hands over nn's); the tests and the gradient-check benchmark import them all.
    """
    for mod in (*_PROVIDERS, *_ADDED):
        importlib.import_module(mod)
    return list(REGISTRY.values())


def make_tensor(rng: np.random.Generator, shape, dtype, device, low=-2.0, high=2.0,
                requires_grad=True, away_from_zero: float = 0.0):
    """A random tensor with values in [low, high); ``away_from_zero`` keeps |x| above it
    (for ops with a kink or pole at 0)."""
    import autograd as ag

    values = rng.uniform(low, high, size=shape)
    if away_from_zero:
        values = np.where(np.abs(values) < away_from_zero,
                          np.sign(values + 1e-12) * away_from_zero, values)
    t = ag.tensor(values, dtype=dtype, device=device)
    return t.requires_grad_(True) if requires_grad else t
