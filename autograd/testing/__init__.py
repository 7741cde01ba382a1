"""Test helpers: the op registry shared by the tests and the gradient-check benchmark,
and PyTorch's ``torch.testing.assert_close``."""

from .comparison import assert_close  # noqa: F401
from .opinfo import REGISTRY, OpInfo, all_ops, make_tensor, register  # noqa: F401
