"""NAdam (Adam with Nesterov momentum, Dozat), PyTorch's update rule."""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor

from .adamax import _check_adam_args
from .optimizer import Optimizer

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

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        _check_adam_args("NAdam", lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"NAdam: invalid momentum_decay value {momentum_decay} "
                             "(must be >= 0)")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                        maximize=maximize, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def load_state_dict(self, state_dict) -> None:
        """As :meth:`Optimizer.load_state_dict`; the scalar state stays float32 (exact:
        the saved values are float32)."""
        super().load_state_dict(state_dict)
        for state in self.state.values():
            for key in ("mu_product",):
                if key in state:
                    state[key] = Tensor(np.array(state[key].numpy(), np.float32))

    def _update(self, group, params):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        wd, md = group["weight_decay"], group["momentum_decay"]
        for p in params:
            xp = p.device.backend.xp
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor()
                state["mu_product"] = Tensor(np.ones((), np.float32))
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
            state["step"].data += 1
            step = float(state["step"].data)
            g = -grad if group["maximize"] else grad
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p.data *= 1 - lr * wd
                else:
                    g = g + wd * p.data
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * md))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
            mu_product = state["mu_product"].data
            mu_product *= np.float32(mu)  # float32 arithmetic, as PyTorch's scalar state
            mu_product = float(mu_product)
            exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
            exp_avg += (g - exp_avg) * (1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
            denom += eps
            p.data += g / denom * (-lr * (1.0 - mu) / (1.0 - mu_product))
            p.data += exp_avg / denom * (-lr * mu_next / (1.0 - mu_product * mu_next))
