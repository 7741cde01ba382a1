"""Adadelta (Zeiler), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyperparameters

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
        _check_hyperparameters("Adadelta", lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value {rho} (must be in [0, 1])")
        _check_hyperparameters("Adadelta", eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        capturable=capturable, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p in params:
            xp = p.device.backend.xp
            g = self._directed_grad(p, group)
            state = self._init_state(p, square_avg=0.0, acc_delta=0.0)
            self._advance(state)
            square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
            square_avg *= rho
            square_avg += (1 - rho) * g * g
            delta = xp.sqrt(acc_delta + eps)
            delta /= xp.sqrt(square_avg + eps)
            delta *= g
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            delta *= -lr
            p.array += delta
