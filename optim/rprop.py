"""Rprop (resilient backpropagation, Riedmiller & Braun), PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyperparameters

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop, PyTorch's update rule: only the sign of the gradient is used.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``)::

        s = sign(g * g_prev)
        step = clamp(step * (etaplus if s > 0, etaminus if s < 0, 1 if s == 0),
                     step_min, step_max)
        g = 0 where s < 0               (no move after a sign change)
        p = p - sign(g) * step;   g_prev = g

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: initial step size (1e-2). etas: (etaminus, etaplus) (0.5, 1.2).
        step_sizes: (step_min, step_max) (1e-6, 50). foreach: accepted for PyTorch
        compatibility. maximize: ascend the objective.

    State per parameter: ``"step"``, ``"prev"``, ``"step_size"``.
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        _check_hyperparameters("Rprop", lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: invalid eta values {etas} (need 0 < etaminus < 1 < "
                             "etaplus)")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        (etaminus, etaplus), (step_min, step_max) = group["etas"], group["step_sizes"]
        for p in params:
            xp = p.device.backend.xp
            grad = self._grad(p)
            state = self._init_state(p, prev=0.0, step_size=group["lr"])
            self._advance(state)
            g = -grad if group["maximize"] else grad.copy()
            prev, step_size = state["prev"].array, state["step_size"].array
            s = xp.sign(g * prev)
            factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0))
            step_size *= factor.astype(step_size.dtype, copy=False)
            xp.clip(step_size, step_min, step_max, out=step_size)
            g[s < 0] = 0
            p.array -= xp.sign(g) * step_size
            prev[...] = g
