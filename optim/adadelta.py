"""Adadelta (Zeiler), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: scale of the step (1.0). rho: decay of the running averages (0.9).
        eps: added inside the roots (1e-6). weight_decay: L2 penalty (0).
        foreach: accepted for PyTorch compatibility (updates are whole-array per
            parameter either way). maximize: ascend the objective.

    State per parameter: ``"step"``, ``"square_avg"`` (v), ``"acc_delta"`` (u).
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Adadelta: invalid learning rate {lr} (must be >= 0)")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value {rho} (must be in [0, 1])")
        if not 0.0 <= eps:
            raise ValueError(f"Adadelta: invalid epsilon value {eps} (must be >= 0)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Adadelta: invalid weight_decay value {weight_decay} "
                             "(must be >= 0)")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        capturable=capturable, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for p in params:
            xp = p.device.backend.xp
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor()
                state["square_avg"] = self._zeros_like(p)
                state["acc_delta"] = self._zeros_like(p)
            state["step"].data += 1
            g = -grad if group["maximize"] else grad
            if wd != 0:
                g = g + wd * p.data
            square_avg, acc_delta = state["square_avg"].data, state["acc_delta"].data
            square_avg *= rho
            square_avg += (1 - rho) * g * g
            delta = xp.sqrt(acc_delta + eps)
            delta /= xp.sqrt(square_avg + eps)
            delta *= g
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            delta *= -lr
            p.data += delta
