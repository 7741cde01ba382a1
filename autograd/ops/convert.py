"""dtype casts, device transfers and copies, all differentiable."""

from __future__ import annotations

from ..graph import Function
from ..tensor import Tensor


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        to = ctx.in_dtype
        if to.kind not in "fc":
            return None, None
        if to.kind == "f" and g.array.dtype.kind == "c":  # real -> complex: the real part
            from .complex import real

            g = real(g)
        return cast(g, to), None


class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.source = ctx.device
        ctx.device = device  # outputs and saved arrays live on the target
        src = ctx.source.backend
        return device.backend.asarray(src.to_host(x)) if device.type == "cpu" or (
            src.name == "numpy") else _gpu_copy(x, device)

    @staticmethod
    def backward(ctx, g):
        return to_device(g, ctx.source), None


def _gpu_copy(x, device):
    """cuda -> cuda transfer between GPUs without a trip through the host."""
    import cupy

    with cupy.cuda.Device(device.index):
        return cupy.asarray(x)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def cast(x: Tensor, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between floating dtypes)."""
    if x.array.dtype == dtype:
        return x
    return Cast.apply(x, dtype)


def to_device(x: Tensor, device) -> Tensor:
    """``x`` copied to ``device`` (differentiable: the gradient is copied back)."""
    if x.device is device:
        return x
    out = ToDevice.apply(x, device)
    out.device = device
    return out


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)
