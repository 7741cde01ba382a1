"""Adamax (Adam with the infinity norm), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer

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
        _check_adam_args("Adamax", lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        wd = group["weight_decay"]
        for p in params:
            xp = p.device.backend.xp
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor()
                state["exp_avg"] = self._zeros_like(p)
                state["exp_inf"] = self._zeros_like(p)
            state["step"].data += 1
            step = float(state["step"].data)
            g = -grad if group["maximize"] else grad
            if wd != 0:
                g = g + wd * p.data
            exp_avg, exp_inf = state["exp_avg"].data, state["exp_inf"].data
            exp_avg += (g - exp_avg) * (1 - beta1)  # lerp towards g
            exp_inf *= beta2
            xp.maximum(exp_inf, xp.abs(g) + eps, out=exp_inf)
            clr = lr / (1 - beta1 ** step)
            p.data += exp_avg / exp_inf * -clr


def _check_adam_args(name: str, lr, betas, eps, weight_decay) -> None:
    """The argument checks every Adam-family optimizer makes (PyTorch's messages)."""
    if not 0.0 <= lr:
        raise ValueError(f"{name}: invalid learning rate {lr} (must be >= 0)")
    if not 0.0 <= eps:
        raise ValueError(f"{name}: invalid epsilon value {eps} (must be >= 0)")
    for i in range(2):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"{name}: invalid beta parameter at index {i}: {betas[i]} "
                             "(must be in [0, 1))")
    if not 0.0 <= weight_decay:
        raise ValueError(f"{name}: invalid weight_decay value {weight_decay} (must be >= 0)")
