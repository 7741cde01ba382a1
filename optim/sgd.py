"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

The plain step (``sgd_update``) and the momentum step (``sgd_momentum_update``) sit here
in three forms each, dispatched by backend: the whole-array reference on any ``xp``, a
fused numba loop for NumPy arrays and a fused CUDA kernel for CuPy arrays, in the same
order of operations (bitwise equal to the reference on the CPU); the fused forms change
the parameter in place without allocating.
"""

from __future__ import annotations

import numpy as np

from backends.base import KernelSpec, register_elementwise
from backends.numba_util import LazyKernel, flat_float_arrays

from .optimizer import Optimizer, required

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``)::

        g = g + weight_decay * p
        if momentum != 0:
            b = g                                   on the first step
            b = momentum * b + (1 - dampening) * g  afterwards
            g = g + momentum * b if nesterov else b
        p = p - lr * g

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate (default 1e-3).
        momentum, dampening, weight_decay: as above (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening == 0).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility (each parameter is already one
            whole-array update).

    State per parameter: ``"momentum_buffer"`` (a Tensor like ``p``) when momentum != 0.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False, foreach: bool | None = None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate {lr} (must be >= 0)")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum value {momentum} (must be >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay value {weight_decay} (must be >= 0)")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check_group(self, group):
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={group['momentum']}, "
                             f"dampening={group['dampening']})")

    def _update(self, group, params):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in params:
            grad = self._grad(p)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                first = buf is None
                if first:
                    buf = state["momentum_buffer"] = self._zeros_like(p)
                sgd_momentum_update(p.device.backend, p.array, grad, buf.array, lr, momentum,
                                    dampening, wd, nesterov, maximize, first)
                continue
            sgd_update(p.device.backend, p.array, grad, lr, wd, maximize)


# --- the plain step: one formula in three forms, dispatched by backend --------------------


def sgd_update(backend, param, grad, lr, weight_decay=0.0, maximize=False) -> None:
    """One SGD step without momentum, in place: ``param -= lr * (g + weight_decay *
    param)`` with ``g = -grad`` when ``maximize``. The fused forms allocate no array
    (the reference allocates a temporary of ``param``'s size)."""
    fused = _FUSED_PLAIN.get(backend.name)
    if fused is None or not fused(backend, param, grad, lr, weight_decay, maximize):
        sgd_reference(backend.xp, param, grad, lr, weight_decay, maximize)


def sgd_reference(xp, param, grad, lr, weight_decay=0.0, maximize=False) -> None:
    """The reference form of :func:`sgd_update`, in the fused forms' order."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    param += xp.multiply(g, -lr)


# --- the momentum step: one formula in three forms, dispatched by backend -----------------


def sgd_momentum_update(backend, param, grad, momentum_buffer, lr, momentum, dampening,
                        weight_decay, nesterov=False, maximize=False, first=False) -> None:
    """One SGD step with momentum, in place, PyTorch's formulas.

    param, grad, momentum_buffer: arrays of ``backend``, of one shape and dtype.
    ``first``: the buffer is set to the (decayed) gradient instead of being averaged, as
    PyTorch does on a parameter's first step. Runs the backend's fused form when it has
    one for these arrays, else the reference.
    """
    args = (param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov,
            maximize, first)
    fused = _FUSED.get(backend.name)
    if fused is None or not fused(backend, *args):
        sgd_momentum_reference(backend.xp, *args)


def sgd_momentum_reference(xp, param, grad, momentum_buffer, lr, momentum, dampening,
                           weight_decay, nesterov=False, maximize=False,
                           first=False) -> None:
    """The reference form: whole-array ``xp`` operations, in the fused forms' order."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if first:
        momentum_buffer[...] = g
    else:
        momentum_buffer *= momentum
        momentum_buffer += g * (1 - dampening)
    if nesterov:
        g = g + momentum_buffer * momentum
    else:
        g = momentum_buffer
    param += xp.multiply(g, -lr)


# The CPU form: a numba loop, compiled on first use (``import optim`` does not import
# numba); ``prange`` becomes numba's then.
prange = range  # numba.prange once LazyKernel compiles the loop


# numba compiles this loop, so mutmut cannot wrap it in its Python trampoline
def _sgd_loop(p, g, buf, hp, nesterov, maximize, first):  # pragma: no mutate block
    # hp: [-lr, momentum, 1 - dampening, weight_decay] in the parameter's dtype
    neg_lr, momentum, one_m_damp, wd = hp[0], hp[1], hp[2], hp[3]
    for i in prange(p.shape[0]):
        gi = -g[i] if maximize else g[i]
        if wd != 0:
            gi = gi + wd * p[i]
        if first:
            b = gi
        else:
            b = buf[i] * momentum + gi * one_m_damp
        buf[i] = b
        if nesterov:
            gi = gi + b * momentum
        else:
            gi = b
        p[i] = p[i] + gi * neg_lr


# numba compiles this loop, so mutmut cannot wrap it in its Python trampoline
def _sgd_plain_loop(p, g, neg_lr, wd, maximize):  # pragma: no mutate block
    # neg_lr, wd: scalars of the parameter's dtype (no array to allocate per call)
    for i in prange(p.shape[0]):
        gi = -g[i] if maximize else g[i]
        if wd != 0:
            gi = gi + wd * p[i]
        p[i] = p[i] + gi * neg_lr


# error_model="numpy": no ZeroDivisionError branch per division, so the loop vectorizes
_SGD_LOOP = LazyKernel(_sgd_loop, fastmath=False, error_model="numpy")
_SGD_PLAIN_LOOP = LazyKernel(_sgd_plain_loop, fastmath=False, error_model="numpy")


def _sgd_plain_cpu(backend, param, grad, lr, weight_decay, maximize) -> bool:
    """The numba form of :func:`sgd_update` (False, doing nothing, unless the arrays are
    NumPy floats of one dtype and shape, ``param`` contiguous)."""
    flat = flat_float_arrays(param, grad)
    if flat is None:
        return False
    scalar = param.dtype.type
    _SGD_PLAIN_LOOP.for_size(param.size)(flat[0], flat[1], scalar(-lr), scalar(weight_decay),
                                         bool(maximize))
    return True


def _sgd_cpu(backend, param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
             nesterov, maximize, first) -> bool:
    """The numba form; False (doing nothing) unless the arrays are C-contiguous NumPy
    floats of one dtype (a non-contiguous gradient is copied)."""
    flat = flat_float_arrays(param, grad, momentum_buffer)
    if flat is None:
        return False
    hp = np.array([-lr, momentum, 1 - dampening, weight_decay], dtype=param.dtype)
    kernel = _SGD_LOOP.for_size(param.size)
    kernel(flat[0], flat[1], flat[2], hp, bool(nesterov), bool(maximize), bool(first))
    return True


# The CUDA form: one elementwise kernel per step, the reference's formula op for op.
CUDA_KERNEL = register_elementwise("sgd_momentum_update", KernelSpec(
    "T grad, T lr, T momentum, T dampening, T weight_decay, T sign, bool nesterov, "
    "bool first",
    "T param, T buf",
    """
    T g = sign * grad;
    if (weight_decay != 0) g += weight_decay * param;
    if (first) { buf = g; } else { buf = buf * momentum + g * (1 - dampening); }
    T d = nesterov ? g + buf * momentum : buf;
    param += d * (-lr);
    """,
    "autograd_sgd_momentum"))
CUDA_PLAIN_KERNEL = register_elementwise("sgd_update", KernelSpec(
    "T grad, T lr, T weight_decay, T sign",
    "T param",
    """
    T g = sign * grad;
    if (weight_decay != 0) g += weight_decay * param;
    param += g * (-lr);
    """,
    "autograd_sgd"))
_CUDA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sgd_plain_cuda(backend, param, grad, lr, weight_decay, maximize) -> bool:
    """The CUDA form of :func:`sgd_update`, for float32 and float64 parameters."""
    if param.dtype not in _CUDA_DTYPES:
        return False
    backend.launch_elementwise("sgd_update", grad, float(lr), float(weight_decay),
                               -1.0 if maximize else 1.0, param)
    return True


def _sgd_cuda(backend, param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
              nesterov, maximize, first) -> bool:
    """The CUDA form, for float32 and float64 parameters."""
    if param.dtype not in _CUDA_DTYPES:
        return False
    backend.launch_elementwise("sgd_momentum_update", grad, float(lr), float(momentum),
                               float(dampening), float(weight_decay),
                               -1.0 if maximize else 1.0, bool(nesterov), bool(first),
                               param, momentum_buffer)
    return True


_FUSED = {"numpy": _sgd_cpu, "cupy": _sgd_cuda}  # backend name -> fused form
_FUSED_PLAIN = {"numpy": _sgd_plain_cpu, "cupy": _sgd_plain_cuda}
