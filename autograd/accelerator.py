"""``ag.accelerator``: PyTorch's device-generic accelerator queries. The one accelerator
this engine drives is a CUDA GPU through CuPy (``ag.cuda``)."""

from __future__ import annotations

import backends

from . import cuda


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU usable by CuPy) is present."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """The accelerator's device (``device(type='cuda')``), or None when there is none."""
    if not cuda.is_available():
        return None
    return backends.get_device(f"cuda:{cuda.current_device()}")


def device_count() -> int:
    """The number of accelerator devices (0 when there is none)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the current accelerator device."""
    return cuda.current_device()


def set_device_index(device) -> None:
    """Make ``device`` the current accelerator device."""
    cuda.set_device(device)


def synchronize(device=None) -> None:
    """Wait for all queued work on the accelerator."""
    cuda.synchronize(device)
