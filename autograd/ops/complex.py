"""Complex tensors: build, take apart, ``abs`` and ``angle``, with PyTorch's gradients.

PyTorch's convention: a complex tensor ``z = x + iy`` feeding a real loss ``L`` gets the
gradient ``dL/dx + i dL/dy`` (the conjugate Wirtinger derivative, times 2). Every rule
here is written with ``real``, ``imag`` and ``complex`` and real arithmetic, so it holds
to every order without the real ops having to know about complex numbers.
"""

from __future__ import annotations

import numpy as np

from ..graph import Function
from ..recording import replayable
from ..tensor import Tensor, _wrap
from ._util import sum_to
from .arithmetic import cos, sin, where
from .shape import stack


def _complex_dtype(dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _real_dtype(dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)


def _zeros(like: Tensor) -> Tensor:
    return _wrap(like.device.backend.xp.zeros(like.shape, like.array.dtype), like.device)


class Complex(Function):
    """``real + i imag`` from two real tensors of one dtype (broadcast)."""

    @staticmethod
    def forward(ctx, re, im):
        ctx.shapes = (re.shape, im.shape)
        xp = ctx.device.backend.xp
        shape = np.broadcast_shapes(re.shape, im.shape)
        out = xp.empty(shape, _complex_dtype(re.dtype))
        out.real = re
        out.imag = im
        return out

    @staticmethod
    def backward(ctx, g):
        sr, si = ctx.shapes
        return sum_to(real(g), sr), sum_to(imag(g), si)


class Real(Function):
    @staticmethod
    def forward(ctx, z):
        return z.real.copy()

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(g, _zeros(g))


class Imag(Function):
    @staticmethod
    def forward(ctx, z):
        return z.imag.copy()

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(_zeros(g), g)


class Conj(Function):
    @staticmethod
    def forward(ctx, z):
        return ctx.device.backend.xp.conj(z)

    @staticmethod
    def backward(ctx, g):
        return Conj.apply(g)


class ComplexAbs(Function):
    """``|z|``; gradient ``g z / |z|`` (0 at z = 0, as PyTorch's ``sgn``)."""

    @staticmethod
    def forward(ctx, z):
        out = ctx.device.backend.xp.abs(z)
        ctx.save_for_backward(z, out)
        return out

    @staticmethod
    def backward(ctx, g):
        z, r = ctx.saved_tensors
        scale = g / where(r == 0, 1.0, r)
        return Complex.apply(real(z) * scale, imag(z) * scale)


class Angle(Function):
    """``atan2(imag, real)``; gradient ``g i z / |z|^2`` (0 at z = 0)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return ctx.device.backend.xp.angle(z).astype(_real_dtype(z.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        x, y = real(z), imag(z)
        d = x * x + y * y
        scale = g / where(d == 0, 1.0, d)
        return Complex.apply(-y * scale, x * scale)


def _check_tensor(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def is_complex(input: Tensor) -> bool:
    """Whether ``input`` has a complex dtype."""
    return _check_tensor(input, "is_complex").array.dtype.kind == "c"


def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001  (torch.complex)
    """The complex tensor ``real + i imag`` (both float32, or both float64; broadcast)."""
    _check_tensor(real, "complex")
    _check_tensor(imag, "complex")
    if real.array.dtype != imag.array.dtype or real.array.dtype.kind != "f" or \
            real.array.dtype == np.float16:
        raise TypeError(f"complex: expected real and imag of one dtype, float32 or float64, "
                        f"got {real.dtype} and {imag.dtype}")
    return Complex.apply(real, imag)


def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002
    """``abs * (cos(angle) + i sin(angle))``."""
    return complex(abs * cos(angle), abs * sin(angle))


def real(input: Tensor) -> Tensor:
    """The real part (the tensor itself when it is real)."""
    if _check_tensor(input, "real").array.dtype.kind != "c":
        return input
    return Real.apply(input)


def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor."""
    if _check_tensor(input, "imag").array.dtype.kind != "c":
        raise RuntimeError(f"imag is not implemented for tensors with non-complex dtypes "
                           f"(got {input.dtype}, shape {tuple(input.shape)})")
    return Imag.apply(input)


def conj(input: Tensor) -> Tensor:
    """Complex conjugate (the tensor itself when it is real)."""
    if _check_tensor(input, "conj").array.dtype.kind != "c":
        return input
    return Conj.apply(input)


conj_physical = conj


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself: ``conj`` here makes a new tensor, never a lazily conjugated view
    (PyTorch's conjugate bit), so there is nothing to resolve."""
    return _check_tensor(input, "resolve_conj")


def complex_abs(input: Tensor) -> Tensor:
    """``|z|`` of a complex tensor, real-valued (``autograd.abs`` dispatches here)."""
    return ComplexAbs.apply(input)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def _real_angle(xp, a, dt):
    """The argument of real values: pi where negative, else 0, of dtype ``dt``."""
    return xp.where(a < 0, np.pi, 0.0).astype(dt)


def angle(input: Tensor) -> Tensor:
    """Elementwise argument ``atan2(imag, real)``; for a real tensor 0 or pi (no
    gradient, as PyTorch)."""
    if _check_tensor(input, "angle").array.dtype.kind != "c":
        xp = input.device.backend.xp
        dt = input.array.dtype if input.array.dtype.kind == "f" else np.dtype(np.float32)
        return _wrap(_real_angle(xp, input.array, dt), input.device)
    return Angle.apply(input)


def view_as_real(input: Tensor) -> Tensor:
    """A complex (*) tensor as a real (*, 2) one: real and imaginary parts last (a copy,
    not a view of the same memory)."""
    if _check_tensor(input, "view_as_real").array.dtype.kind != "c":
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got "
                           f"{input.dtype}")
    return stack([real(input), imag(input)], -1)


def view_as_complex(input: Tensor) -> Tensor:
    """A real (*, 2) tensor as a complex (*) one (a copy, not a view)."""
    _check_tensor(input, "view_as_complex")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: the last dimension must have size 2, got shape "
                           f"{tuple(input.shape)}")
    return complex(input[..., 0], input[..., 1])
