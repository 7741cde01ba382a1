"""RAdam (rectified Adam, Liu et al.), PyTorch's update rule."""

from __future__ import annotations

import math

from .optimizer import Optimizer, _check_hyperparameters

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``), step ``t``::

        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay, else
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        rho_t > 5:  r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
                    p = p - lr * m / (1 - beta1**t) * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        otherwise:  p = p - lr * m / (1 - beta1**t)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: (1e-3). betas: (0.9, 0.999). eps: (1e-8). weight_decay: (0).
        decoupled_weight_decay: RAdamW's decay (False). foreach: accepted for PyTorch
        compatibility. maximize: ascend the objective.

    State per parameter: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"``.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        _check_hyperparameters("RAdam", lr=lr, eps=eps, betas=betas,
                               weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                        maximize=maximize, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        rho_inf = 2 / (1 - beta2) - 1
        for p in params:
            xp = p.device.backend.xp
            g = self._directed_grad(p, group)
            state = self._init_state(p, exp_avg=0.0, exp_avg_sq=0.0)
            step = self._advance(state)
            exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
            exp_avg += (g - exp_avg) * (1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            bias_correction2 = 1 - beta2 ** step
            corrected = exp_avg / (1 - beta1 ** step)
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                 / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                adaptive = bias_correction2 ** 0.5 / (xp.sqrt(exp_avg_sq) + eps)
                p.array -= corrected * lr * adaptive * rect
            else:
                p.array -= corrected * lr
