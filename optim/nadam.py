"""NAdam (Adam with Nesterov momentum, Dozat), PyTorch's update rule."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_hyperparameters

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``), step ``t``::

        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay, else
        g = g + weight_decay * p
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));  P_t = prod(mu_1..mu_t)
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t mu_{t+1}) * m / d

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: (2e-3). betas: (0.9, 0.999). eps: (1e-8). weight_decay: (0).
        momentum_decay: (4e-3). decoupled_weight_decay: NAdamW's decay (False).
        foreach: accepted for PyTorch compatibility. maximize: ascend the objective.

    State per parameter: ``"step"``, ``"mu_product"`` (P_t, a float32 scalar as PyTorch
    keeps it, so the products round alike), ``"exp_avg"``, ``"exp_avg_sq"``.
    """

    _float32_scalars = ("mu_product",)  # state PyTorch keeps as float32 scalars

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        _check_hyperparameters("NAdam", lr=lr, eps=eps, betas=betas,
                               weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                        maximize=maximize, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        md = group["momentum_decay"]
        for p in params:
            xp = p.device.backend.xp
            g = self._directed_grad(p, group)
            state = self._init_state(p, {"mu_product": 1.0}, exp_avg=0.0, exp_avg_sq=0.0)
            step = self._advance(state)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * md))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
            mu_product = state["mu_product"].array
            mu_product *= np.float32(mu)  # float32 arithmetic, as PyTorch's scalar state
            mu_product = float(mu_product)
            exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
            exp_avg += (g - exp_avg) * (1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
            denom += eps
            p.array += g / denom * (-lr * (1.0 - mu) / (1.0 - mu_product))
            p.array += exp_avg / denom * (-lr * mu_next / (1.0 - mu_product * mu_next))
