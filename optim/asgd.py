"""ASGD (averaged stochastic gradient descent, Polyak & Juditsky), PyTorch's rule."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyperparameters

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD, PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``), step ``t``::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)     (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha;   mu = 1 / max(1, t - t0)

    ``ax`` holds the averaged parameters (read them from ``optimizer.state[p]["ax"]``).

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: (1e-2). lambd: decay term (1e-4). alpha: power for the eta update (0.75).
        t0: step at which averaging starts (1e6). weight_decay: L2 penalty (0).
        foreach: accepted for PyTorch compatibility. maximize: ascend the objective.

    State per parameter: ``"step"``, ``"eta"``, ``"mu"`` (float32 scalars, as PyTorch
    keeps them), ``"ax"``.
    """

    _float32_scalars = ("eta", "mu")  # state PyTorch keeps as float32 scalars

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        _check_hyperparameters("ASGD", lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group, params):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for p in params:
            g = self._directed_grad(p, group)
            state = self._init_state(p, {"eta": lr, "mu": 1.0}, ax=0.0)
            step = self._advance(state)
            eta, mu = float(state["eta"].array), float(state["mu"].array)
            p.array *= 1 - lambd * eta
            p.array -= eta * g
            ax = state["ax"].array
            if mu != 1:
                ax += (p.array - ax) * mu
            else:
                ax[...] = p.array
            state["eta"].array[...] = lr / ((1 + lambd * lr * step) ** alpha)
            state["mu"].array[...] = 1 / max(1, step - t0)
