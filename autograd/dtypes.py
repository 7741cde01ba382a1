"""dtype policy: float32 by default, PyTorch's promotion between tensors and scalars."""

from __future__ import annotations

import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")
half, double, long = float16, float64, int64
# complex dtypes (autograd.fft); with the floating ones they are what can carry a gradient
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")
cfloat, cdouble = complex64, complex128
DIFFERENTIABLE_KINDS = "fc"


def is_differentiable(dtype) -> bool:
    """Whether tensors of ``dtype`` can require gradients: floating and complex dtypes
    (the graph tests ``dtype.kind in DIFFERENTIABLE_KINDS`` inline on its hot path)."""
    return dtype.kind in DIFFERENTIABLE_KINDS

_default_float = float32


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype (float32 or float64)."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_float = dtype


def is_floating(dtype) -> bool:
    return dtype.kind == "f"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_type(a: np.dtype, b: np.dtype, a_0d: bool = False, b_0d: bool = False) -> np.dtype:
    """PyTorch's promotion of two tensor dtypes: the higher category wins outright
    (int64 with float32 is float32); within a category the wider dtype wins, except that
    a 0-d tensor does not widen a tensor with dimensions (float32 + 0-d float64 is
    float32)."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        hi, lo, lo_0d = (a, b, b_0d) if ca > cb else (b, a, a_0d)
        if hi.kind == "c" and lo.kind == "f" and not lo_0d:
            return np.promote_types(hi, lo)  # complex64 with float64 is complex128
        return hi
    if a_0d != b_0d:
        return b if a_0d else a
    return np.promote_types(a, b)


def scalar_result_type(dtype: np.dtype, scalar) -> np.dtype:
    """The dtype of ``tensor op python_scalar``: the scalar never widens the tensor,
    but a float scalar makes an integer/bool tensor the default float dtype."""
    if isinstance(scalar, bool | np.bool_):
        return dtype
    if isinstance(scalar, int | np.integer):
        return int64 if dtype.kind == "b" else dtype
    if isinstance(scalar, complex):
        raise TypeError("complex Python scalars are not supported; make a complex tensor "
                        "with autograd.complex(real, imag)")
    return dtype if dtype.kind in "fc" else _default_float


def to_dtype(dtype) -> np.dtype | None:
    """Normalise a user dtype (np dtype, type, string) or None."""
    if dtype is None:
        return None
    if dtype is bool:
        return bool_
    return np.dtype(dtype)
