"""PyTorch's top-level names that carry no computation: ``Size``, ``finfo``/``iinfo``,
the constants ``inf pi e nan``, ``__version__`` and ``version``, the matmul precision
setting, and the legacy tensor types (``FloatTensor``, ``LongTensor``, ...)."""

from __future__ import annotations

import math
import types

import numpy as np

from . import dtypes

inf = math.inf
nan = math.nan
pi = math.pi
e = math.e
newaxis = None

__version__ = "0.1.0"  # pyproject.toml's version; tests/autograd/test_compat.py keeps them equal

version = types.SimpleNamespace(__version__=__version__, cuda=None, hip=None, git_version=None)
version.__doc__ = "``ag.version.__version__`` and ``ag.version.cuda`` (None: CuPy's is used)."


class Size(tuple):
    """A shape: a tuple of ints, as ``torch.Size`` (``Tensor.size()`` returns one)."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(s) for s in sizes))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = super().__getitem__(item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __repr__(self) -> str:
        return f"Size({list(self)})"


class finfo:
    """Machine limits of a floating dtype (``eps max min tiny smallest_normal resolution
    bits dtype``), as ``torch.finfo``; the default float dtype when none is given."""

    def __init__(self, dtype=None):
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        if dt.kind not in "fc":
            raise TypeError(f"finfo: expected a floating dtype, got {dt}")
        info = np.finfo(dt)
        self.dtype = dt
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # as PyTorch: exactly 1e-6 for float32

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``min max bits dtype``), as ``torch.iinfo``."""

    def __init__(self, dtype):
        dt = dtypes.to_dtype(dtype)
        if dt.kind == "b":
            self.dtype, self.bits, self.min, self.max = dt, 8, 0, 1
            return
        if dt.kind not in "iu":
            raise TypeError(f"iinfo: expected an integer dtype, got {dt}")
        info = np.iinfo(dt)
        self.dtype, self.bits, self.min, self.max = dt, int(info.bits), int(info.min), \
            int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


_precision = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision (``"highest" "high" "medium"``). NumPy and
    CuPy (without CUPY_TF32) multiply float32 exactly at every setting, so results do
    not change; the value is kept for ``get_float32_matmul_precision``."""
    global _precision
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _precision = precision


def get_float32_matmul_precision() -> str:
    """The value last given to ``set_float32_matmul_precision`` (``"highest"``)."""
    return _precision


# --- legacy tensor types: FloatTensor(2, 3), LongTensor([1, 2]), isinstance(x, ...) ------


class _LegacyType(type):
    def __instancecheck__(cls, obj) -> bool:
        from .tensor import Tensor

        return (isinstance(obj, Tensor) and obj.array.dtype == cls.dtype
                and obj.device.type == cls.device_type)

    def __call__(cls, *args, device=None):
        from .factories import empty
        from .tensor import tensor

        device = device or cls.device_type
        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        if all(isinstance(a, int | np.integer) for a in args):
            return empty(*args, dtype=cls.dtype, device=device)  # sizes: uninitialised
        if len(args) == 1 and isinstance(args[0], Size):
            return empty(tuple(args[0]), dtype=cls.dtype, device=device)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}: expected sizes or one sequence of data")
        return tensor(args[0], dtype=cls.dtype, device=device)

    def __repr__(cls) -> str:
        return f"<class 'autograd.{cls.__name__}'>"


def _legacy(name, dtype, device_type="cpu"):
    return _LegacyType(name, (), {"dtype": np.dtype(dtype), "device_type": device_type,
                                  "__doc__": f"Legacy constructor and type test for "
                                             f"{device_type} {dtype} tensors."})


FloatTensor = _legacy("FloatTensor", "float32")
DoubleTensor = _legacy("DoubleTensor", "float64")
HalfTensor = _legacy("HalfTensor", "float16")
LongTensor = _legacy("LongTensor", "int64")
IntTensor = _legacy("IntTensor", "int32")
ShortTensor = _legacy("ShortTensor", "int16")
CharTensor = _legacy("CharTensor", "int8")
ByteTensor = _legacy("ByteTensor", "uint8")
BoolTensor = _legacy("BoolTensor", "bool")

LEGACY_TYPES = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, LongTensor,
                                          IntTensor, ShortTensor, CharTensor, ByteTensor,
                                          BoolTensor)}
