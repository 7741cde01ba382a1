"""Adagrad (Duchi et al.), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer

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
        for key, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                           ("weight_decay value", weight_decay),
                           ("initial_accumulator_value", initial_accumulator_value),
                           ("epsilon value", eps)):
            if not value >= 0.0:
                raise ValueError(f"Adagrad: invalid {key} {value} (must be >= 0)")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _init_group_state(self, group):
        for p in group["params"]:
            state = self.state[p]
            state["step"] = self._step_tensor()
            state["sum"] = self._zeros_like(p, group["initial_accumulator_value"])

    def _update(self, group, params):
        lr, lr_decay, eps, wd = group["lr"], group["lr_decay"], group["eps"], \
            group["weight_decay"]
        for p in params:
            xp = p.device.backend.xp
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:  # state dropped by load_state_dict
                state["step"] = self._step_tensor()
                state["sum"] = self._zeros_like(p, group["initial_accumulator_value"])
            step_t = state["step"]
            step_t.data += 1
            step = float(step_t.data)
            g = -grad if group["maximize"] else grad
            if wd != 0:
                g = g + wd * p.data
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"].data
            tmp = xp.multiply(g, g)
            state_sum += tmp
            std = xp.sqrt(state_sum, out=tmp)
            std += eps
            xp.divide(g, std, out=std)
            std *= -clr
            p.data += std
