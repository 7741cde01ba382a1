"""``autograd.utils.data``: PyTorch's path to the datasets, samplers and DataLoader of
``autograd.data`` (the same objects)."""

from ..data import *  # noqa: F403
from ..data import __all__  # noqa: F401
