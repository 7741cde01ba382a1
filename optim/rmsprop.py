"""RMSprop (Hinton), optionally centered and with momentum, PyTorch's update rule."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyperparameters

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
        _check_hyperparameters("RMSprop", lr=lr, eps=eps, momentum=momentum,
                               weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, group, params):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum, centered = group["momentum"], group["centered"]
        buffers = {"square_avg": 0.0}
        if momentum > 0:
            buffers["momentum_buffer"] = 0.0
        if centered:
            buffers["grad_avg"] = 0.0
        for p in params:
            xp = p.device.backend.xp
            g = self._directed_grad(p, group)
            state = self._init_state(p, **buffers)
            self._advance(state)
            square_avg = state["square_avg"].array
            square_avg *= alpha
            tmp = xp.multiply(g, 1 - alpha)
            tmp *= g
            square_avg += tmp
            if centered:
                grad_avg = state["grad_avg"].array
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
                buf = state["momentum_buffer"].array
                buf *= momentum
                xp.divide(g, avg, out=avg)
                buf += avg
                xp.multiply(buf, -lr, out=avg)
                p.array += avg
            else:
                xp.divide(g, avg, out=avg)
                avg *= -lr
                p.array += avg
