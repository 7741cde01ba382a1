"""Adam (with AMSGrad) and AdamW (decoupled weight decay), PyTorch's update rules."""

from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``), step ``t``::

        p = p * (1 - lr * weight_decay)        if decoupled_weight_decay (AdamW)
        g = g + weight_decay * p               otherwise
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                  with amsgrad (then v_max replaces v)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), the decay rates of the moment averages (0.9, 0.999).
        eps: added to the denominator (1e-8).
        weight_decay: L2 penalty (Adam) or decay rate (AdamW) (default 0).
        amsgrad: use the running maximum of ``v`` (AMSGrad).
        maximize: ascend the objective.
        decoupled_weight_decay: AdamW's decay applied to the parameter directly.

    State per parameter: ``"step"`` (float32 scalar Tensor), ``"exp_avg"``,
    ``"exp_avg_sq"`` and, with amsgrad, ``"max_exp_avg_sq"`` (Tensors like ``p``).
    The update is one backend call per parameter (``backend.adam_update``): a fused
    numba kernel on the CPU, whole-array operations elsewhere.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False):
        name = type(self).__name__
        if not 0.0 <= lr:
            raise ValueError(f"{name}: invalid learning rate {lr} (must be >= 0)")
        if not 0.0 <= eps:
            raise ValueError(f"{name}: invalid epsilon value {eps} (must be >= 0)")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"{name}: invalid beta parameter at index 0: {betas[0]} "
                             "(must be in [0, 1))")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"{name}: invalid beta parameter at index 1: {betas[1]} "
                             "(must be in [0, 1))")
        if not 0.0 <= weight_decay:
            raise ValueError(f"{name}: invalid weight_decay value {weight_decay} "
                             "(must be >= 0)")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in params:
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor()
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = self._zeros_like(p)
            elif amsgrad and "max_exp_avg_sq" not in state:  # amsgrad switched on later
                state["max_exp_avg_sq"] = self._zeros_like(p)
            step_t = state["step"]
            step_t.data += 1
            vmax = state["max_exp_avg_sq"].data if amsgrad else None
            p.device.backend.adam_update(p.data, grad, state["exp_avg"].data,
                                         state["exp_avg_sq"].data, lr, beta1, beta2, eps,
                                         wd, float(step_t.data), decoupled, maximize, vmax)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter): each step first
    multiplies the parameter by ``1 - lr * weight_decay``, then applies Adam without
    an L2 term. Same arguments as :class:`Adam`; ``weight_decay`` defaults to 1e-2.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)
