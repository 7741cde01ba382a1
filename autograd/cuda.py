"""``ag.cuda``: PyTorch's ``torch.cuda`` functions on CuPy.

Every function works on a machine without CuPy or without a GPU: the queries answer
``False`` / ``0``, seeding and ``empty_cache`` do nothing (as PyTorch), and the ones
that need a device (``current_device``, ``set_device``, ``synchronize``) raise
:class:`backends.DeviceUnavailableError`.

Memory figures are those of CuPy's default memory pool on the device. CuPy does not
record a peak, so ``max_memory_allocated`` counts from the first call of any memory
function here (or of ``reset_peak_memory_stats``): from then on every allocation goes
through a small counting allocator.
"""

from __future__ import annotations

import backends
from backends import DeviceUnavailableError


def _cupy():
    """The cupy module when a GPU is usable, else None."""
    if not backends.cuda_is_available():
        return None
    import cupy

    return cupy


def _require(op: str):
    cupy = _cupy()
    if cupy is None:
        raise DeviceUnavailableError(f"cuda.{op}: no CUDA GPU is usable here (CuPy is not "
                                     "installed or sees no GPU)")
    return cupy


def _index(device) -> int | None:
    """A device index from None (the current one), an int, 'cuda:N' or a Device."""
    if device is None:
        return None
    if isinstance(device, int):
        return device
    dev = device if isinstance(device, backends.Device) else None
    if dev is None:
        kind, _, idx = str(device).partition(":")
        if kind != "cuda":
            raise ValueError(f"expected a cuda device, got {device!r}")
        return int(idx) if idx else None
    if dev.type != "cuda":
        raise ValueError(f"expected a cuda device, got {dev}")
    return dev.index


def is_available() -> bool:
    """Whether a CUDA GPU is usable (CuPy installed and a device present)."""
    return backends.cuda_is_available()


def device_count() -> int:
    """The number of usable GPUs (0 without CuPy or GPU)."""
    cupy = _cupy()
    return int(cupy.cuda.runtime.getDeviceCount()) if cupy is not None else 0


def is_initialized() -> bool:
    """Whether a GPU has been used by this process."""
    return any(d.type == "cuda" for d in backends.created_devices())


def current_device() -> int:
    """The index of the current GPU (the one ``"cuda"`` means)."""
    return _require("current_device").cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make GPU ``device`` (an index, ``"cuda:N"`` or a Device) the current one: CuPy's
    current device and the one the device string ``"cuda"`` names."""
    cupy = _require("set_device")
    idx = _index(device)
    if idx is None:
        return
    if not 0 <= idx < device_count():
        raise DeviceUnavailableError(f"cuda.set_device: device {idx} does not exist "
                                     f"({device_count()} GPU(s))")
    cupy.cuda.runtime.setDevice(idx)
    backends.set_current_cuda_device(idx)


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. ``"NVIDIA H100"``."""
    cupy = _require("get_device_name")
    idx = _index(device)
    idx = cupy.cuda.runtime.getDevice() if idx is None else idx
    name = cupy.cuda.runtime.getDeviceProperties(idx)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait until all work queued on the GPU has finished."""
    cupy = _require("synchronize")
    idx = _index(device)
    if idx is None:
        cupy.cuda.Device().synchronize()
    else:
        cupy.cuda.Device(idx).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator (nothing happens without a GPU, as PyTorch)."""
    cupy = _cupy()
    if cupy is not None:
        backends.get_device(f"cuda:{cupy.cuda.runtime.getDevice()}").backend.seed(int(seed))


def manual_seed_all(seed: int) -> None:
    """Seed the generator of every GPU."""
    for i in range(device_count()):
        backends.get_device(f"cuda:{i}").backend.seed(int(seed))


def seed_all() -> None:
    """Seed every GPU's generator from fresh entropy."""
    import numpy as np

    manual_seed_all(int(np.random.SeedSequence().entropy % (1 << 63)))


# --- memory ---------------------------------------------------------------------------


class _PeakCounter:
    """CuPy allocator that forwards to the default pool and records, per device, the
    largest number of bytes in use after an allocation."""

    def __init__(self, cupy):
        self.cupy = cupy
        self.pool = cupy.get_default_memory_pool()
        self.peak: dict[int, int] = {}

    def malloc(self, size: int):
        mem = self.pool.malloc(size)
        dev = self.cupy.cuda.runtime.getDevice()
        used = self.pool.used_bytes()
        if used > self.peak.get(dev, 0):
            self.peak[dev] = used
        return mem


_counter: _PeakCounter | None = None


def _pool_used(cupy, idx) -> int:
    """Bytes in use in the default pool of device ``idx`` (current when None)."""
    if idx is None:
        return int(cupy.get_default_memory_pool().used_bytes())
    with cupy.cuda.Device(idx):
        return int(cupy.get_default_memory_pool().used_bytes())


def _track(cupy) -> _PeakCounter:
    global _counter
    if _counter is None:
        _counter = _PeakCounter(cupy)
        cupy.cuda.set_allocator(_counter.malloc)
    return _counter


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors (CuPy's pool in use); 0 without a GPU."""
    cupy = _cupy()
    if cupy is None:
        return 0
    _track(cupy)
    return _pool_used(cupy, _index(device))


def max_memory_allocated(device=None) -> int:
    """The most bytes in use at once since tracking began (the first memory query or
    ``reset_peak_memory_stats``); 0 without a GPU."""
    cupy = _cupy()
    if cupy is None:
        return 0
    counter = _track(cupy)
    idx = _index(device)
    idx = cupy.cuda.runtime.getDevice() if idx is None else idx
    return max(counter.peak.get(idx, 0), _pool_used(cupy, idx))


def reset_peak_memory_stats(device=None) -> None:
    """Start counting the peak again from the current usage."""
    cupy = _cupy()
    if cupy is None:
        return
    counter = _track(cupy)
    idx = _index(device)
    idx = cupy.cuda.runtime.getDevice() if idx is None else idx
    counter.peak[idx] = _pool_used(cupy, idx)


def memory_reserved(device=None) -> int:
    """Bytes held by CuPy's pool (in use or cached for reuse); 0 without a GPU."""
    cupy = _cupy()
    if cupy is None:
        return 0
    idx = _index(device)
    if idx is None:
        return int(cupy.get_default_memory_pool().total_bytes())
    with cupy.cuda.Device(idx):
        return int(cupy.get_default_memory_pool().total_bytes())


def empty_cache() -> None:
    """Return the cached, unused blocks of CuPy's pools to the driver."""
    cupy = _cupy()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()
