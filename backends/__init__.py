"""Array backends and the device registry.

A device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``) resolves to a :class:`Device`,
which names a :class:`~backends.base.Backend` object supplying ``xp`` and kernels.
"""

from __future__ import annotations

import os
import threading

from .base import Backend
from .numpy_backend import NumpyBackend

__all__ = [
    "Backend",
    "Device",
    "DeviceUnavailableError",
    "DeviceMismatchError",
    "get_device",
    "set_default_device",
    "get_default_device",
    "cuda_is_available",
    "backend_for_array",
    "reuse_freed_memory",
    "release_buffers",
    "manual_seed",
    "initial_seed",
    # ag.cuda's view of the registry
    "created_devices",
    "set_current_cuda_device",
]


class DeviceUnavailableError(RuntimeError):
    """A device was asked for that this machine cannot provide."""


class DeviceMismatchError(RuntimeError):
    """An op received tensors on different devices."""


class Device:
    """A place where arrays live: ``type`` ("cpu" or "cuda"), ``index`` and ``backend``."""

    __slots__ = ("type", "index", "backend", "_name")

    def __init__(self, type: str, index: int | None, backend: Backend):
        self.type = type
        self.index = index
        self.backend = backend
        self._name = type if index is None else f"{type}:{index}"

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (
            f", index={self.index})" if self.index is not None else ")"
        )

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = get_device(other)
            except (ValueError, DeviceUnavailableError):
                return False
        return isinstance(other, Device) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __reduce__(self):
        # copies and unpickled tensors resolve to the one registered device object
        return (get_device, (self._name,))


_lock = threading.Lock()
_devices: dict[str, Device] = {}
CPU = Device("cpu", None, NumpyBackend())
_devices["cpu"] = CPU
_default: Device | None = None


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU; never raises."""
    try:
        import cupy
    except Exception:
        return False
    try:
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def _cuda_device(index: int) -> Device:
    try:
        import cupy
    except ImportError as exc:
        raise DeviceUnavailableError(
            "device 'cuda' needs CuPy, which is not installed: "
            'pip install -e ".[cuda12]" (CUDA 12) or ".[cuda13]" (CUDA 13)'
        ) from exc
    except Exception as exc:  # a broken CuPy install
        raise DeviceUnavailableError(f"device 'cuda': CuPy failed to import: {exc}") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        raise DeviceUnavailableError(
            f"device 'cuda': CuPy is installed but no usable NVIDIA GPU was found ({exc})"
        ) from exc
    if count == 0:
        raise DeviceUnavailableError("device 'cuda': CuPy is installed but sees no GPU")
    if not 0 <= index < count:
        raise DeviceUnavailableError(f"device 'cuda:{index}' does not exist: {count} GPU(s)")
    from .cupy_backend import CupyBackend

    return Device("cuda", index, CupyBackend(index))


def _parse(spec: str) -> tuple[str, int | None]:
    spec = spec.strip().lower()
    kind, _, idx = spec.partition(":")
    if kind not in ("cpu", "cuda") or (idx and not idx.isdigit()) or (kind == "cpu" and idx):
        raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
    return kind, (int(idx) if idx else None)


def get_device(spec=None) -> Device:
    """Resolve ``spec`` (None, a string or a Device) to a :class:`Device`."""
    if spec is None:
        return get_default_device()
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str):
        spec = str(spec)
    dev = _devices.get(spec)
    if dev is not None:
        return dev
    kind, index = _parse(spec)
    if kind == "cpu":
        return CPU
    index = 0 if index is None else index
    key = f"cuda:{index}"
    with _lock:
        dev = _devices.get(key)
        if dev is None:
            dev = _cuda_device(index)
            _devices[key] = dev
        _devices[spec] = dev
    return dev


# --- ag.cuda: which devices exist, and what "cuda" names ------------------------------


def created_devices() -> list[Device]:
    """The devices made so far in this process (cpu always)."""
    return list({id(d): d for d in _devices.values()}.values())


def set_current_cuda_device(index: int) -> None:
    """Make the device string ``"cuda"`` name ``cuda:<index>`` (``torch.cuda.set_device``)."""
    dev = get_device(f"cuda:{int(index)}")
    with _lock:
        _devices["cuda"] = dev


def set_default_device(spec) -> None:
    """Make ``spec`` the device new tensors are created on."""
    global _default
    _default = get_device(spec)


def get_default_device() -> Device:
    """The default device: set_default_device's, else $AUTOGRAD_DEVICE's, else cpu."""
    global _default
    if _default is None:
        env = os.environ.get("AUTOGRAD_DEVICE")
        _default = get_device(env) if env else CPU
    return _default


# --- random numbers: one generator per backend, seeded together -------------------------

_seed: int | None = None


def manual_seed(seed: int) -> None:
    """Seed the random generator of every backend in use, and of those made later."""
    global _seed
    _seed = int(seed)
    for dev in set(_devices.values()):
        dev.backend.seed(_seed)


def initial_seed() -> int | None:
    """The seed of the last ``manual_seed``, or None when none was set."""
    return _seed


def reuse_freed_memory(trim_mb: int = 512, mmap_mb: int = 128) -> bool:
    """Opt in to keeping freed memory for reuse (glibc only; returns False elsewhere).

    By default glibc serves large arrays with fresh ``mmap`` pages and hands freed memory
    back to the system, so every training step pays page faults to touch new buffers.
    The layer kernels' own large arrays are already reused (``Backend.buffers``); this
    extends that to every array of the process. It raises glibc's mmap and trim thresholds
    so large buffers are reused instead. It is process-wide, and up to ``trim_mb`` of freed
    memory stays with the process, which is why it is not done on import.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or not os.uname().sysname == "Linux":
        return False
    try:
        libc = ctypes.CDLL(name)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, mmap_mb << 20) == 1
        return ok and libc.mallopt(M_TRIM_THRESHOLD, trim_mb << 20) == 1
    except (OSError, AttributeError):
        return False


def release_buffers() -> None:
    """Release the arrays that every device's kernel buffer cache keeps for reuse
    (``Backend.buffers``, see ``backends/buffers.py``); arrays still in use live on with
    their users. The caches fill again on the next steps; to turn one off, set its
    ``max_bytes`` to 0 (``get_device("cpu").backend.buffers.max_bytes = 0``) or start the
    process with ``AUTOGRAD_BUFFER_CACHE_MB=0``."""
    for dev in set(_devices.values()):
        cache = dev.backend.__dict__.get("buffers")  # made on first use
        if cache is not None:
            cache.clear()


def backend_for_array(array) -> Device:
    """The device an array (numpy or cupy) lives on."""
    import numpy as np

    if isinstance(array, np.ndarray | np.generic):
        return CPU
    mod = type(array).__module__
    if mod.startswith("cupy"):
        return get_device(f"cuda:{array.device.id}")
    raise TypeError(f"not an array of a known backend: {type(array).__name__}")
