"""ASGD (averaged stochastic gradient descent, Polyak & Juditsky), PyTorch's rule."""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor

from .optimizer import Optimizer

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

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"ASGD: invalid learning rate {lr} (must be >= 0)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"ASGD: invalid weight_decay value {weight_decay} (must be >= 0)")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def load_state_dict(self, state_dict) -> None:
        """As :meth:`Optimizer.load_state_dict`; the scalar state stays float32 (exact:
        the saved values are float32)."""
        super().load_state_dict(state_dict)
        for state in self.state.values():
            for key in ("eta", "mu"):
                if key in state:
                    state[key] = Tensor(np.array(state[key].numpy(), np.float32))

    def _update(self, group, params):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        wd = group["weight_decay"]
        for p in params:
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor()
                state["eta"] = Tensor(np.array(lr, np.float32))
                state["mu"] = Tensor(np.ones((), np.float32))
                state["ax"] = self._zeros_like(p)
            state["step"].data += 1
            step = float(state["step"].data)
            g = -grad if group["maximize"] else grad
            if wd != 0:
                g = g + wd * p.data
            eta, mu = float(state["eta"].data), float(state["mu"].data)
            p.data *= 1 - lambd * eta
            p.data -= eta * g
            ax = state["ax"].data
            if mu != 1:
                ax += (p.data - ax) * mu
            else:
                ax[...] = p.data
            state["eta"].data[...] = lr / ((1 + lambd * lr * step) ** alpha)
            state["mu"].data[...] = 1 / max(1, step - t0)
