"""The op registry: one table of every differentiable op and layer function.

Tests (``tests/autograd/test_ops.py`` and friends) and the gradient-check benchmark
(``python -m benchmarks.gradcheck``) both read it, so a new op registered here is
checked everywhere without editing either.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# modules that register ops; each owns the entries of one area
_PROVIDERS = (
    "autograd.testing.core_ops",
    "autograd.testing.nn_ops",
    "autograd.testing.conv_ops",
    "autograd.testing.seq_ops",
    # in-place ops, views, step functions (issue 11)
    "autograd.testing.inplace_ops",
)


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


def all_ops() -> list[OpInfo]:
    """Every registered op (imports the provider modules on first use)."""
    for mod in _PROVIDERS:
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
