"""Zero-copy interchange: ``from_dlpack`` takes any DLPack producer (NumPy, CuPy,
PyTorch, JAX, another Tensor) and shares its memory.

The export side lives on ``Tensor`` (``__dlpack__``, ``__dlpack_device__``,
``__array__``, ``__cuda_array_interface__``), so ``np.from_dlpack(t)``,
``torch.from_dlpack(t)`` and ``jax.dlpack.from_dlpack(t)`` work on a Tensor directly.
"""

from __future__ import annotations

import numpy as np

import backends

from .tensor import Tensor, _wrap

# DLPack's device type numbers (dlpack.h: DLDeviceType)
_KDL_CPU = 1
_KDL_CUDA = 2
_KDL_CUDA_HOST = 3
_KDL_CUDA_MANAGED = 13


def from_dlpack(ext) -> Tensor:
    """A Tensor sharing memory with ``ext``, an object with ``__dlpack__`` and
    ``__dlpack_device__`` (a CPU producer gives a CPU tensor, a CUDA one a cuda tensor on
    the same GPU). Writes through either side are seen by the other, as with
    ``torch.from_dlpack``. The result is a leaf that does not require grad.
    """
    if isinstance(ext, Tensor):
        return ext.detach()
    if not hasattr(ext, "__dlpack_device__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ and __dlpack_device__ "
            f"(a NumPy, CuPy, PyTorch or JAX array), got {type(ext).__name__}"
        )
    kind, index = ext.__dlpack_device__()
    kind = int(kind)
    if kind in (_KDL_CPU, _KDL_CUDA_HOST):
        return _wrap(np.from_dlpack(ext), backends.get_device("cpu"))
    if kind in (_KDL_CUDA, _KDL_CUDA_MANAGED):
        device = backends.get_device(f"cuda:{int(index)}")  # raises if CUDA is unavailable
        xp = device.backend.xp
        with xp.cuda.Device(int(index)):
            return _wrap(xp.from_dlpack(ext), device)
    raise TypeError(
        f"from_dlpack: {type(ext).__name__} lives on DLPack device type {kind} "
        f"(index {index}); only CPU (1) and CUDA (2, 13) arrays are supported"
    )
