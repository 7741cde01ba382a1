"""Activation functions (PyTorch's names, arguments and defaults).

The common ones are single graph nodes whose forward is one array expression and whose
backward is written with Tensor ops, so they are fast and still twice differentiable.
The rarer ones are composed from existing ops.
"""

from __future__ import annotations

import math

from autograd import dtypes
from autograd.grad_mode import is_grad_enabled
from autograd.graph import Function
from autograd.ops import (
    abs,
    clamp,
    erf,
    exp,
    log_softmax,
    sigmoid,
    softmax,
    tanh,
    where,
)
from autograd.ops import relu as _relu
from autograd.ops.arithmetic import Mul
from autograd.tensor import Tensor, _wrap

__all__ = [
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "logsigmoid",
    "softsign",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "tanhshrink",
    "glu",
    "softmin",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "threshold",
]

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _float(x: Tensor, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x.data.dtype.kind == "f" else x.to(dtypes.get_default_dtype())


class _LeakyRelu(Function):
    @staticmethod
    def forward(ctx, x, slope):
        xp = ctx.device.backend.xp
        one, s = x.dtype.type(1), x.dtype.type(slope)
        # a constant slope array: the second derivative is zero almost everywhere
        ctx.scale = xp.where(x > 0, one, s)
        return x * ctx.scale

    @staticmethod
    def backward(ctx, g):
        return Mul.apply(g, ctx.scale), None


class _Elu(Function):
    """alpha * (exp(x) - 1) for x <= 0, else x; also SELU through ``scale``."""

    @staticmethod
    def forward(ctx, x, alpha, scale):
        xp = ctx.device.backend.xp
        pos = x > 0
        neg = alpha * xp.expm1(xp.minimum(x, 0))
        out = xp.where(pos, x, neg).astype(x.dtype, copy=False)
        if scale != 1:
            out = out * scale
        ctx.pos, ctx.alpha, ctx.scale, ctx.out = pos, alpha, scale, out
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g):
        if not is_grad_enabled():  # plain backward: for x <= 0 the slope is out + a*s
            xp = ctx.device.backend.xp
            slope = xp.where(ctx.pos, ctx.scale, ctx.out + ctx.alpha * ctx.scale)
            return _wrap((g.data * slope).astype(g.dtype, copy=False), ctx.device), None, None
        (x,) = ctx.saved_tensors
        # d/dx = scale for x > 0, scale * alpha * exp(x) otherwise (exp of x <= 0 only)
        slope = where(ctx.pos, ctx.scale, exp(clamp(x, max=0.0)) * (ctx.alpha * ctx.scale))
        return g * slope, None, None


class _Gelu(Function):
    """x * Phi(x) with the exact normal CDF (erf)."""

    @staticmethod
    def forward(ctx, x):
        backend = ctx.device.backend
        ctx.save_for_backward(x)
        cdf = 0.5 * (1.0 + backend.erf(x * (1 / _SQRT_2)))
        ctx.cdf = cdf
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not is_grad_enabled():
            xp, a = ctx.device.backend.xp, x.data
            d = ctx.cdf + a * xp.exp(a * a * -0.5) * _INV_SQRT_2PI
            return _wrap((g.data * d).astype(a.dtype, copy=False), ctx.device)
        cdf = (erf(x * (1 / _SQRT_2)) + 1.0) * 0.5
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)


class _GeluTanh(Function):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.device.backend.xp
        ctx.save_for_backward(x)
        t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
        ctx.t = t
        return (0.5 * x * (1.0 + t)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not is_grad_enabled():
            a, t = x.data, ctx.t
            dinner = (a * a * (3 * 0.044715) + 1.0) * _SQRT_2_OVER_PI
            d = (t + 1.0) * 0.5 + a * 0.5 * (1.0 - t * t) * dinner
            return _wrap((g.data * d).astype(a.dtype, copy=False), ctx.device)
        x2 = x * x
        t = tanh((x + x2 * x * 0.044715) * _SQRT_2_OVER_PI)
        dinner = (x2 * (3 * 0.044715) + 1.0) * _SQRT_2_OVER_PI
        return g * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * dinner)


class _Silu(Function):
    @staticmethod
    def forward(ctx, x):
        xp = ctx.device.backend.xp
        e = xp.exp(-xp.abs(x))  # a stable sigmoid: exp of non-positive numbers only
        s = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.s = s
        ctx.save_for_backward(x)
        return x * s

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not is_grad_enabled():
            s = ctx.s
            d = s * (x.data * (1.0 - s) + 1.0)
            return _wrap((g.data * d).astype(s.dtype, copy=False), ctx.device)
        s = sigmoid(x)
        return g * (s * (x * (1.0 - s) + 1.0))


class _Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.device.backend.xp
        z = x * beta
        # log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)): no overflow for any z
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        ctx.linear = z > threshold
        ctx.beta = beta
        ctx.save_for_backward(x)
        out = xp.where(ctx.linear, x, soft).astype(x.dtype, copy=False)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not is_grad_enabled():
            # sigmoid(z) = exp(z - log1p(exp(z))) = exp(beta (x - out)): stable, one exp
            xp = ctx.device.backend.xp
            d = xp.where(ctx.linear, 1.0, xp.exp((x.data - ctx.out) * ctx.beta))
            return _wrap((g.data * d).astype(x.dtype, copy=False), ctx.device), None, None
        return g * where(ctx.linear, 1.0, sigmoid(x * ctx.beta)), None, None


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). Shape: any. (``inplace`` is accepted and ignored: ops never mutate.)"""
    return _relu(_float(input, "relu"))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6). Shape: any."""
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise. Shape: any."""
    return _LeakyRelu.apply(_float(input, "leaky_relu"), float(negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise. Shape: any."""
    return _Elu.apply(_float(input, "elu"), float(alpha), 1.0)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants. Shape: any."""
    return _Elu.apply(_float(input, "selu"), _SELU_ALPHA, _SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). Shape: any."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    if alpha == 1:
        return elu(input)
    return _Elu.apply(_float(input, "celu") * (1.0 / alpha), 1.0, 1.0) * float(alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (exact, via erf); ``approximate="tanh"``
    uses the tanh formula. Shape: any."""
    x = _float(input, "gelu")
    if approximate == "none":
        return _Gelu.apply(x)
    if approximate == "tanh":
        return _GeluTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish). Shape: any."""
    return _Silu.apply(_float(input, "silu"))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold. Shape: any."""
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return _Softplus.apply(_float(input, "softplus"), float(beta), float(threshold))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)). Shape: any."""
    return input * tanh(softplus(input))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|. Shape: any."""
    x = _float(input, "logsigmoid")
    return -_Softplus.apply(-x, 1.0, math.inf)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|). Shape: any."""
    return input / (abs(input) + 1.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]. Shape: any."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    return clamp(_float(input, "hardtanh"), float(min_val), float(max_val))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6. Shape: any."""
    return hardtanh(input + 3.0, 0.0, 6.0) * (1.0 / 6)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6. Shape: any."""
    return input * hardsigmoid(input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x). Shape: any."""
    return input - tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``. Shape: any."""
    x = _float(input, "threshold")
    return where(x.detach() > threshold, x, float(value))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a, b are the two halves of ``input`` along ``dim``.

    input: (*, 2n, *) -> (*, n, *).
    """
    n = input.shape[dim]
    if n % 2:
        raise ValueError(f"glu: dim {dim} of shape {tuple(input.shape)} has odd size {n}")
    a, b = input.split(n // 2, dim)
    return a * sigmoid(b)


def softmin(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    return softmax(-_float(input, "softmin"), dim, dtype)

