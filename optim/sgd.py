"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

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
                p.device.backend.sgd_momentum_update(p.data, grad, buf.data, lr, momentum,
                                                     dampening, wd, nesterov, maximize, first)
                continue
            g = -grad if maximize else grad
            if wd != 0:
                g = g + wd * p.data
            p.data -= g * lr
