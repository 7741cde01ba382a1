"""Activation functions (PyTorch's names, arguments and defaults).

The common ones are single graph nodes whose forward is one array expression and whose
backward is written with Tensor ops, so they are fast and still twice differentiable.
The rarer ones are composed from existing ops.
"""

from __future__ import annotations

import math

from autograd import dtypes
from autograd.extend import Function, Tensor, plain_backward, wrap
from autograd.ops import (
    abs,
    clamp,
    exp,
    log_softmax,
    sigmoid,
    softmax,
    tanh,
    where,
)
from autograd.ops import relu as _relu
from autograd.ops.arithmetic import Mul, stable_sigmoid, stable_softplus

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
_GELU_C = 0.044715


def _float(x: Tensor, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x.array.dtype.kind == "f" else x.to(dtypes.get_default_dtype())


# Each activation f is a node whose backward is ``FGrad.of(ctx, g, *consts) = g * f'(x)``:
# an ``ElementwiseGrad``, whose forward is the array code a plain backward runs and whose
# backward differentiates that same formula (d/dg: FGrad again; d/dx: g * f''(x)).


class ElementwiseGrad(Function):
    """``g * f'(x)`` for an elementwise ``f``. A subclass gives ``slope(xp, x, *consts)``
    (f' on arrays: the plain backward) and ``curvature(x, *consts)`` (f'' in Tensor ops:
    what ``create_graph=True`` differentiates); ``consts`` are arrays or numbers the
    forward kept (e.g. its sigmoid), constants to this node."""

    @classmethod
    def forward(cls, ctx, x, g, *consts):
        ctx.consts = consts
        ctx.save_for_backward(x, g)
        return cls._arrays(ctx.device.backend.xp, x, g, consts)

    @classmethod
    def _arrays(cls, xp, x, g, consts):
        return (g * cls.slope(xp, x, *consts)).astype(g.dtype, copy=False)

    @classmethod
    def of(cls, ctx, g, *consts):
        """The gradient of the activation node ``ctx`` (whose one saved array is its
        input x) for the output gradient ``g``: this formula's array code directly in a
        plain backward (``plain_backward()``), else ``cls.apply(x, g, *consts)``."""
        if plain_backward():
            (x,) = ctx.saved_arrays()
            return wrap(cls._arrays(ctx.device.backend.xp, x, g.array, consts), ctx.device)
        (x,) = ctx.saved_tensors
        return cls.apply(x, g, *consts)

    @classmethod
    def backward(cls, ctx, gg):
        x, g = ctx.saved_tensors
        c = ctx.consts
        return (gg * g * cls.curvature(x, *c), cls.apply(x, gg, *c)) + (None,) * len(c)


class LeakyRelu(Function):
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


class Elu(Function):
    """alpha * (exp(x) - 1) for x <= 0, else x; also SELU through ``scale``."""

    @staticmethod
    def forward(ctx, x, alpha, scale):
        xp = ctx.device.backend.xp
        out = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)
        if scale != 1:
            out = out * scale
        ctx.alpha, ctx.scale = alpha, scale
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g):
        return EluGrad.of(ctx, g, ctx.alpha, ctx.scale), None, None


class EluGrad(ElementwiseGrad):
    """elu'(x) = scale for x > 0, scale * alpha * exp(x) otherwise (exp of x <= 0 only)."""

    @staticmethod
    def slope(xp, x, alpha, scale):
        return xp.where(x > 0, scale, (alpha * scale) * xp.exp(xp.minimum(x, 0)))

    @staticmethod
    def curvature(x, alpha, scale):
        return where(x.detach() > 0, 0.0, exp(clamp(x, max=0.0)) * (alpha * scale))


class Gelu(Function):
    """x * Phi(x) with the exact normal CDF (erf)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.cdf = 0.5 * (1.0 + ctx.device.backend.erf(x * (1 / _SQRT_2)))
        return (x * ctx.cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return GeluGrad.of(ctx, g, ctx.cdf)


class GeluGrad(ElementwiseGrad):
    """gelu'(x) = Phi(x) + x phi(x); ``cdf`` is Phi(x) kept from the forward."""

    @staticmethod
    def slope(xp, x, cdf):
        return cdf + x * xp.exp(x * x * -0.5) * _INV_SQRT_2PI

    @staticmethod
    def curvature(x, cdf):
        return exp(x * x * -0.5) * _INV_SQRT_2PI * (2.0 - x * x)  # phi(x) (2 - x^2)


def _tanh_inner(x):
    """u = sqrt(2/pi) (x + c x^3), u' and u'' of the tanh GELU, arrays or Tensors."""
    x2 = x * x
    return ((x + x2 * x * _GELU_C) * _SQRT_2_OVER_PI,
            (x2 * (3 * _GELU_C) + 1.0) * _SQRT_2_OVER_PI,
            x * (6 * _GELU_C * _SQRT_2_OVER_PI))


class GeluTanh(Function):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.device.backend.xp
        ctx.save_for_backward(x)
        ctx.t = xp.tanh(_tanh_inner(x)[0])
        return (0.5 * x * (1.0 + ctx.t)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return GeluTanhGrad.of(ctx, g, ctx.t)


class GeluTanhGrad(ElementwiseGrad):
    """0.5 (1 + t) + 0.5 x (1 - t^2) u'; ``t`` is tanh(u) kept from the forward."""

    @staticmethod
    def slope(xp, x, t):
        return (t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * _tanh_inner(x)[1]

    @staticmethod
    def curvature(x, t):
        u, du, ddu = _tanh_inner(x)
        t = tanh(u)
        return (1.0 - t * t) * (du + x * 0.5 * (ddu - t * du * du * 2.0))


class Silu(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.s = stable_sigmoid(ctx.device.backend.xp, x)
        ctx.save_for_backward(x)
        return x * ctx.s

    @staticmethod
    def backward(ctx, g):
        return SiluGrad.of(ctx, g, ctx.s)


class SiluGrad(ElementwiseGrad):
    """silu'(x) = s (1 + x (1 - s)), s = sigmoid(x) kept from the forward."""

    @staticmethod
    def slope(xp, x, s):
        return s * (x * (1.0 - s) + 1.0)

    @staticmethod
    def curvature(x, s):
        s = sigmoid(x)
        return s * (1.0 - s) * (x * (1.0 - s * 2.0) + 2.0)


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.device.backend.xp
        ctx.linear = x * beta > threshold
        ctx.beta = beta
        out = xp.where(ctx.linear, x, stable_softplus(xp, x * beta) / beta)
        ctx.out = out = out.astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g):
        return SoftplusGrad.of(ctx, g, ctx.beta, ctx.linear, ctx.out), None, None


class SoftplusGrad(ElementwiseGrad):
    """sigmoid(beta x), 1 where linear; ``out`` is the forward's softplus value."""

    @staticmethod
    def slope(xp, x, beta, linear, out):
        # sigmoid(z) = exp(z - log1p(exp(z))) = exp(beta (x - out)): stable, one exp
        return xp.where(linear, 1.0, xp.exp((x - out) * beta))

    @staticmethod
    def curvature(x, beta, linear, out):
        s = sigmoid(x * beta)
        return where(linear, 0.0, s * (1.0 - s) * beta)


# the names these Functions had before they became public (kept for one release)
_LeakyRelu, _Elu, _Gelu, _GeluTanh, _Silu, _Softplus = (
    LeakyRelu, Elu, Gelu, GeluTanh, Silu, Softplus)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). Shape: any. (``inplace`` is accepted and ignored: ops never mutate.)"""
    return _relu(_float(input, "relu"))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6). Shape: any."""
    return hardtanh(input, 0.0, 6.0)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise. Shape: any."""
    return LeakyRelu.apply(_float(input, "leaky_relu"), float(negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise. Shape: any."""
    return Elu.apply(_float(input, "elu"), float(alpha), 1.0)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants. Shape: any."""
    return Elu.apply(_float(input, "selu"), _SELU_ALPHA, _SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). Shape: any."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    if alpha == 1:
        return elu(input)
    return Elu.apply(_float(input, "celu") * (1.0 / alpha), 1.0, 1.0) * float(alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (exact, via erf); ``approximate="tanh"``
    uses the tanh formula. Shape: any."""
    x = _float(input, "gelu")
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        return GeluTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish). Shape: any."""
    return Silu.apply(_float(input, "silu"))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold. Shape: any."""
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return Softplus.apply(_float(input, "softplus"), float(beta), float(threshold))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)). Shape: any."""
    return input * tanh(softplus(input))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|. Shape: any."""
    x = _float(input, "logsigmoid")
    return -Softplus.apply(-x, 1.0, math.inf)


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

