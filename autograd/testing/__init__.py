"""Test helpers: the op registry shared by the tests and the gradient-check benchmark."""

from .opinfo import REGISTRY, OpInfo, all_ops, make_tensor, register  # noqa: F401
