"""Adamax (Adam with the infinity norm), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyperparameters

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, section 7), PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``), step ``t``::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: (2e-3). betas: (beta1, beta2) (0.9, 0.999). eps: (1e-8).
        weight_decay: L2 penalty (0). foreach: accepted for PyTorch compatibility.
        maximize: ascend the objective.

    State per parameter: ``"step"``, ``"exp_avg"`` (m), ``"exp_inf"`` (u).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: bool | None = None,
                 *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        _check_hyperparameters("Adamax", lr=lr, eps=eps, betas=betas,
                               weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        for p in params:
            xp = p.device.backend.xp
            g = self._directed_grad(p, group)
            state = self._init_state(p, exp_avg=0.0, exp_inf=0.0)
            step = self._advance(state)
            exp_avg, exp_inf = state["exp_avg"].array, state["exp_inf"].array
            exp_avg += (g - exp_avg) * (1 - beta1)  # lerp towards g
            exp_inf *= beta2
            xp.maximum(exp_inf, xp.abs(g) + eps, out=exp_inf)
            clr = lr / (1 - beta1 ** step)
            p.array += exp_avg / exp_inf * -clr

