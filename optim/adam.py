"""Adam (with AMSGrad) and AdamW (decoupled weight decay), PyTorch's update rules.

The update sits here in its three forms, dispatched by backend (``adam_update``): the
whole-array reference on any ``xp`` (``adam_reference``), a fused numba loop for NumPy
arrays (one pass over memory instead of ~10) and a fused CUDA kernel for CuPy arrays
(one launch). The fused forms do the reference's arithmetic element by element in the
same order, in the parameter's dtype, so on the CPU they agree with it bit for bit
(``fastmath=False``: no reassociation, no fused multiply-adds).
"""

from __future__ import annotations

import math

import numpy as np

from autograd.extend import increment_version
from backends.base import KernelSpec, register_elementwise
from backends.numba_util import LazyKernel, flat_float_arrays

from .optimizer import Optimizer, _check_hyperparameters

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
    The update is one ``adam_update`` call per parameter: a fused kernel on the CPU
    (numba) and on the GPU (CUDA), whole-array operations for other arrays.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False):
        _check_hyperparameters(type(self).__name__, lr=lr, eps=eps, betas=betas,
                               weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        states = self.state
        for p in params:
            grad = self._grad(p)
            state = states.get(p)
            if not state:
                state = self._init_state(p, exp_avg=0.0, exp_avg_sq=0.0)
            if amsgrad and "max_exp_avg_sq" not in state:  # also when switched on later
                state["max_exp_avg_sq"] = self._zeros_like(p)
            step = self._advance(state)
            vmax = state["max_exp_avg_sq"].array if amsgrad else None
            adam_update(p.device.backend, p.array, grad, state["exp_avg"].array,
                        state["exp_avg_sq"].array, lr, beta1, beta2, eps, wd,
                        step, decoupled, maximize, vmax)

    def _fast_step(self):
        """The cached step (see ``Optimizer._fast_step``) on NumPy: the per-parameter
        Python of ``step`` (the group loop, ``_init_state``, the 1-d views, a fresh
        hyperparameter array) costs ~5 us a parameter; this keeps the views, the numba
        kernel and a hyperparameter buffer per parameter, and per call does what
        ``_update`` and ``_adam_cpu`` do: count the step in the state's 0-d tensor, fill
        the hyperparameters (``_hyperparameters``), run the kernel, bump the version.
        What it does not cover, checked on every call before any update (AMSGrad, a
        replaced state or parameter array, a non-contiguous gradient, new groups),
        returns False with nothing changed."""
        if type(self)._update is not Adam._update:  # a subclass with its own rule
            return None
        groups = []
        for group in self.param_groups:
            entries = []
            for p in group["params"]:
                state = self.state.get(p)
                a = p.array
                if not state or "exp_avg" not in state or type(a) is not np.ndarray or \
                        a.dtype.kind != "f" or not a.flags.c_contiguous or \
                        not a.flags.writeable:
                    return None
                m, v = state["exp_avg"].array, state["exp_avg_sq"].array
                st = state["step"].array
                if st.shape != () or st.dtype != np.float32 or m.shape != a.shape or \
                        v.shape != a.shape or not (m.flags.c_contiguous and
                                                   v.flags.c_contiguous):
                    return None
                entries.append((p, a, m, v, st, state, a.reshape(-1), m.reshape(-1),
                                v.reshape(-1), np.empty(7, a.dtype),
                                _ADAM_LOOP.for_size(a.size)))
            groups.append((group, group["params"], len(group["params"]), entries))
        n_groups = len(self.param_groups)
        one = np.ones((), np.float32)
        by = f"{type(self).__name__}.step"

        def covered(opt):
            if len(opt.param_groups) != n_groups:
                return False
            for (group, params, n, entries), g2 in zip(groups, opt.param_groups):
                if g2 is not group or group["params"] is not params or len(params) != n or \
                        group["amsgrad"]:
                    return False
                for p, a, m, v, st, state, *_ in entries:
                    if p.grad is None:
                        continue
                    ga = p.grad.array
                    if p.array is not a or opt.state.get(p) is not state or \
                            state["exp_avg"].array is not m or \
                            state["exp_avg_sq"].array is not v or \
                            state["step"].array is not st or type(ga) is not np.ndarray or \
                            ga.shape != a.shape or ga.dtype != a.dtype or \
                            not ga.flags.c_contiguous:
                        return False
            return True

        def run(opt):
            if not covered(opt):
                return False
            for group, _, _, entries in groups:
                beta1, beta2 = group["betas"]
                lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
                decoupled, maximize = group["decoupled_weight_decay"], bool(group["maximize"])
                done = []
                for p, _, _, _, st, _, pf, mf, vf, hp, kernel in entries:
                    grad = p.grad
                    if grad is None:
                        continue
                    np.add(st, one, out=st)  # Optimizer._advance's += 1, no scalar made
                    wd_mode = _hyperparameters(hp, lr, beta1, beta2, eps, wd, float(st),
                                               decoupled)
                    kernel(pf, grad.array.reshape(-1), mf, vf, vf, hp, wd_mode, maximize,
                           False)
                    done.append(p)
                for p in done:
                    increment_version(p, by=by)
            return True

        return run


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


# --- the update: one formula in three forms, dispatched by backend ------------------------


def adam_update(backend, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps,
                weight_decay, step, decoupled=False, maximize=False,
                max_exp_avg_sq=None) -> None:
    """One Adam (``decoupled=False``) or AdamW step, in place, PyTorch's formulas.

    param, grad, exp_avg, exp_avg_sq (and max_exp_avg_sq for AMSGrad): arrays of
    ``backend``, of one shape and dtype; ``step`` is the step number (1 on the first
    step). Runs the backend's fused form when it has one for these arrays, else the
    reference.
    """
    args = (param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step,
            decoupled, maximize, max_exp_avg_sq)
    fused = _FUSED.get(backend.name)
    if fused is None or not fused(backend, *args):
        adam_reference(backend.xp, *args)


def adam_reference(xp, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps,
                   weight_decay, step, decoupled=False, maximize=False,
                   max_exp_avg_sq=None) -> None:
    """The reference form: whole-array ``xp`` operations, in the fused forms' order."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    tmp = xp.subtract(g, exp_avg)
    tmp *= 1 - beta1
    exp_avg += tmp  # exp_avg.lerp_(g, 1 - beta1)
    exp_avg_sq *= beta2
    xp.multiply(g, 1 - beta2, out=tmp)
    tmp *= g
    exp_avg_sq += tmp
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    denom = xp.sqrt(v, out=tmp)
    denom /= bias_correction2_sqrt
    denom += eps
    xp.divide(exp_avg, denom, out=denom)
    denom *= -(lr / bias_correction1)
    param += denom


# The CPU form: a numba loop, compiled on first use (importing numba costs about half a
# second, which ``import optim`` does not pay); ``prange`` becomes numba's then.
prange = range  # numba.prange once LazyKernel compiles the loop


# numba compiles this loop, so mutmut cannot wrap it in its Python trampoline
def _adam_loop(p, g, m, v, vmax, hp, wd_mode, maximize, amsgrad):  # pragma: no mutate block
    # hp: [1 - beta1, beta2, 1 - beta2, eps, wd, -lr / bias_correction1,
    #      sqrt(bias_correction2)] in the parameter's dtype
    one_m_b1, b2, one_m_b2, eps, wd, neg_step, bc2_sqrt = (hp[0], hp[1], hp[2], hp[3],
                                                           hp[4], hp[5], hp[6])
    for i in prange(p.shape[0]):
        gi = -g[i] if maximize else g[i]
        pi = p[i]
        if wd_mode == 1:  # Adam: L2 penalty added to the gradient
            gi = gi + wd * pi
        elif wd_mode == 2:  # AdamW: decoupled decay, wd is (1 - lr * weight_decay)
            pi = pi * wd
        mi = m[i] + (gi - m[i]) * one_m_b1
        vi = v[i] * b2 + gi * one_m_b2 * gi
        m[i] = mi
        v[i] = vi
        if amsgrad:
            mx = vmax[i]
            if not vi >= mx and vi == vi:  # maximum(), NaN propagating like np.maximum
                vi = mx
            vmax[i] = vi
        denom = math.sqrt(vi) / bc2_sqrt + eps
        p[i] = pi + (mi / denom) * neg_step


# error_model="numpy": no ZeroDivisionError branch per division, so the loop vectorizes
_ADAM_LOOP = LazyKernel(_adam_loop, fastmath=False, error_model="numpy")


def _hyperparameters(hp, lr, beta1, beta2, eps, weight_decay, step, decoupled) -> int:
    """Fill ``hp`` (7,) with the numba loop's hyperparameters for step number ``step``,
    each rounded once to ``hp``'s dtype (the parameter's), as NumPy rounds a Python
    scalar operand; returns the loop's weight-decay mode (0 none, 1 L2, 2 decoupled)."""
    if weight_decay == 0:
        wd_mode, wd = 0, 0.0
    elif decoupled:
        wd_mode, wd = 2, 1 - lr * weight_decay
    else:
        wd_mode, wd = 1, weight_decay
    hp[0] = 1 - beta1
    hp[1] = beta2
    hp[2] = 1 - beta2
    hp[3] = eps
    hp[4] = wd
    hp[5] = -(lr / (1 - beta1 ** step))
    hp[6] = math.sqrt(1 - beta2 ** step)
    return wd_mode


def _adam_cpu(backend, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps,
              weight_decay, step, decoupled, maximize, max_exp_avg_sq) -> bool:
    """The numba form; False (doing nothing) unless every array is a C-contiguous NumPy
    float array of one dtype (a non-contiguous gradient is copied)."""
    amsgrad = max_exp_avg_sq is not None
    if amsgrad:
        flat = flat_float_arrays(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)
    else:
        flat = flat_float_arrays(param, grad, exp_avg, exp_avg_sq)
    if flat is None:
        return False
    hp = np.empty(7, param.dtype)
    wd_mode = _hyperparameters(hp, lr, beta1, beta2, eps, weight_decay, step, decoupled)
    kernel = _ADAM_LOOP.for_size(param.size)
    kernel(flat[0], flat[1], flat[2], flat[3], flat[4] if amsgrad else flat[3], hp, wd_mode,
           bool(maximize), amsgrad)
    return True


# The CUDA form: one elementwise kernel per step, the reference's formula op for op.
_CUDA_BODY = """
T g = sign * grad;
if (decoupled) {{ param *= 1 - lr * weight_decay; }}
else if (weight_decay != 0) {{ g += weight_decay * param; }}
exp_avg += (g - exp_avg) * (1 - beta1);
exp_avg_sq = exp_avg_sq * beta2 + g * (1 - beta2) * g;
{amsgrad}
T denom = sqrt({v}) / bias_correction2_sqrt + eps;
param += exp_avg / denom * (-step_size);
"""
_CUDA_IN = ("T grad, T lr, T beta1, T beta2, T eps, T weight_decay, T sign, T step_size, "
            "T bias_correction2_sqrt, bool decoupled")
CUDA_KERNEL = register_elementwise("adam_update", KernelSpec(
    _CUDA_IN, "T param, T exp_avg, T exp_avg_sq",
    _CUDA_BODY.format(amsgrad="", v="exp_avg_sq"), "autograd_adam"))
# AMSGrad: the running max of exp_avg_sq is the second moment used
CUDA_KERNEL_AMSGRAD = register_elementwise("adam_update/amsgrad", KernelSpec(
    _CUDA_IN, "T param, T exp_avg, T exp_avg_sq, T max_exp_avg_sq",
    _CUDA_BODY.format(amsgrad="if (!(max_exp_avg_sq >= exp_avg_sq) && !isnan(max_exp_avg_sq)) "
                      "max_exp_avg_sq = exp_avg_sq;",  # NaN propagates, as xp.maximum
                      v="max_exp_avg_sq"),
    "autograd_adam_amsgrad"))
_CUDA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _adam_cuda(backend, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps,
               weight_decay, step, decoupled, maximize, max_exp_avg_sq) -> bool:
    """The CUDA form, for float32 and float64 parameters."""
    if param.dtype not in _CUDA_DTYPES:
        return False
    lr, beta1, beta2 = float(lr), float(beta1), float(beta2)  # weak Python scalars
    scalars = (lr, beta1, beta2, float(eps), float(weight_decay),
               -1.0 if maximize else 1.0, lr / (1 - beta1 ** step),
               (1 - beta2 ** step) ** 0.5, bool(decoupled))
    if max_exp_avg_sq is None:
        backend.launch_elementwise("adam_update", grad, *scalars, param, exp_avg, exp_avg_sq)
    else:
        backend.launch_elementwise("adam_update/amsgrad", grad, *scalars, param, exp_avg,
                                   exp_avg_sq, max_exp_avg_sq)
    return True


_FUSED = {"numpy": _adam_cpu, "cupy": _adam_cuda}  # backend name -> fused form
