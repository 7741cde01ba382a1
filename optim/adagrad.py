"""Adagrad (Duchi et al.), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyperparameters

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``), step ``t``::

        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (sqrt(s) + eps)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate (1e-2). lr_decay: (0). weight_decay: L2 penalty (0).
        initial_accumulator_value: the starting value of ``s`` (0). eps: (1e-10).
        maximize: ascend (False).

    State per parameter, created at construction as PyTorch does: ``"step"`` and
    ``"sum"``.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False):
        _check_hyperparameters("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                               initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _init_group_state(self, group):
        for p in group["params"]:
            self._init_state(p, sum=group["initial_accumulator_value"])

    def _update(self, group, params):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p in params:
            xp = p.device.backend.xp
            g = self._directed_grad(p, group)
            # created at construction; again here when load_state_dict dropped it
            state = self._init_state(p, sum=group["initial_accumulator_value"])
            step = self._advance(state)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"].array
            tmp = xp.multiply(g, g)
            state_sum += tmp
            std = xp.sqrt(state_sum, out=tmp)
            std += eps
            xp.divide(g, std, out=std)
            std *= -clr
            p.array += std
