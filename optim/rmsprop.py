"""RMSprop (Hinton), optionally centered and with momentum, PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's update rule.

    For each parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        d = sqrt(v) + eps                                   (plain)
        a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a*a) + eps   (centered)
        b = momentum * b + g / d;  p = p - lr * b          (momentum > 0)
        p = p - lr * g / d                                  (otherwise)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate (1e-2). alpha: smoothing constant (0.99). eps: (1e-8).
        weight_decay: L2 penalty (0). momentum: (0). centered: normalise by the
        estimated variance of the gradient (False). maximize: ascend (False).

    State per parameter: ``"step"``, ``"square_avg"``, ``"momentum_buffer"`` (momentum
    > 0), ``"grad_avg"`` (centered).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 *, maximize: bool = False):
        for key, value in (("learning rate", lr), ("epsilon value", eps),
                           ("momentum value", momentum),
                           ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if not value >= 0.0:
                raise ValueError(f"RMSprop: invalid {key} {value} (must be >= 0)")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, group, params):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        for p in params:
            xp = p.device.backend.xp
            grad = self._grad(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor()
                state["square_avg"] = self._zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = self._zeros_like(p)
                if centered:
                    state["grad_avg"] = self._zeros_like(p)
            state["step"].data += 1
            g = -grad if group["maximize"] else grad
            if wd != 0:
                g = g + wd * p.data
            square_avg = state["square_avg"].data
            square_avg *= alpha
            tmp = xp.multiply(g, 1 - alpha)
            tmp *= g
            square_avg += tmp
            if centered:
                grad_avg = state["grad_avg"].data
                xp.subtract(g, grad_avg, out=tmp)
                tmp *= 1 - alpha
                grad_avg += tmp  # grad_avg.lerp_(g, 1 - alpha)
                xp.multiply(grad_avg, grad_avg, out=tmp)
                xp.subtract(square_avg, tmp, out=tmp)
                avg = xp.sqrt(tmp, out=tmp)
            else:
                avg = xp.sqrt(square_avg, out=tmp)
            avg += eps
            if momentum > 0:
                buf = state["momentum_buffer"].data
                buf *= momentum
                xp.divide(g, avg, out=avg)
                buf += avg
                xp.multiply(buf, -lr, out=avg)
                p.data += avg
            else:
                xp.divide(g, avg, out=avg)
                avg *= -lr
                p.data += avg
