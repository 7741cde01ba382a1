"""Finite-difference checks of analytic gradients (first and second order)."""

from __future__ import annotations

import numpy as np

from .functional import grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor, _wrap


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    with enable_grad():
        out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    return [o for o in outs if isinstance(o, Tensor) and o.array.dtype.kind == "f"]


def _eval_host(fn, inputs):
    with no_grad():
        return [o.numpy().astype(np.float64).copy() for o in _outputs(fn, inputs)]


def _check_inputs(inputs, name):
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.array.dtype not in (np.float64,
                                                                            np.complex128):
            import warnings

            warnings.warn(
                f"{name}: input {i} is {t.array.dtype}, not float64; finite differences in "
                "low precision fail by rounding alone", stacklevel=3)
    return inputs


def _realify(fn, inputs):
    """Complex inputs and outputs seen as real tensors with a trailing dimension of 2
    (``view_as_real``), so finite differences perturb real and imaginary parts apart.
    The gradient of a real loss then reads ``dL/dRe + i dL/dIm``: PyTorch's convention
    for complex tensors (the conjugate Wirtinger derivative, times 2)."""
    cin = [isinstance(t, Tensor) and t.array.dtype.kind == "c" for t in inputs]
    with enable_grad():
        out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    if not any(cin) and not any(isinstance(o, Tensor) and o.array.dtype.kind == "c"
                                for o in outs):
        return fn, inputs
    from .ops.complex import view_as_complex, view_as_real

    real_inputs = tuple(
        _wrap(view_as_real(t.detach()).array, t.device, t.requires_grad) if c else t
        for t, c in zip(inputs, cin))

    def real_fn(*args):
        out = fn(*[view_as_complex(a) if c else a for a, c in zip(args, cin)])
        outs = [out] if isinstance(out, Tensor) else list(out)
        return tuple(view_as_real(o) if isinstance(o, Tensor) and o.array.dtype.kind == "c"
                     else o for o in outs)

    return real_fn, real_inputs


def _set_element(t: Tensor, flat_index: int, value) -> None:
    """Set one element of a contiguous ``t.array`` in place (on any backend)."""
    t.array.reshape(-1)[flat_index] = value


def _numerical_jacobian(fn, inputs, diff_idx, eps):
    """J[i][o] of shape (out.size, in.size) by central differences."""
    jac = {}
    for i in diff_idx:
        t = inputs[i]
        if not t.array.flags.c_contiguous:
            t.array = t.device.backend.xp.ascontiguousarray(t.array)
        cols = []
        host = t.numpy().reshape(-1).copy()
        for k in range(t.array.size):
            _set_element(t, k, host[k] + eps)
            plus = _eval_host(fn, inputs)
            _set_element(t, k, host[k] - eps)
            minus = _eval_host(fn, inputs)
            _set_element(t, k, host[k])
            cols.append([((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)])
        for o in range(len(cols[0]) if cols else 0):
            jac[i, o] = np.stack([c[o] for c in cols], axis=1) if cols else None
    return jac


def _analytic_jacobian(fn, inputs, diff_idx):
    outs = _outputs(fn, inputs)
    jac = {}
    diff_inputs = [inputs[i] for i in diff_idx]
    for o, out in enumerate(outs):
        xp = out.device.backend.xp
        n = out.array.size
        rows = {i: np.zeros((n, inputs[i].array.size)) for i in diff_idx}
        for k in range(n):
            if not out.requires_grad:
                break
            seed = xp.zeros(n, dtype=out.array.dtype)
            seed[k] = 1
            gs = grad([out], diff_inputs, [_wrap(seed.reshape(out.shape), out.device)],
                      retain_graph=True, allow_unused=True)
            for i, g in zip(diff_idx, gs):
                if g is not None:
                    rows[i][k] = g.numpy().reshape(-1)
        for i in diff_idx:
            jac[i, o] = rows[i]
    return jac


def _fail(name, i, o, a, n, k, atol, rtol, raise_exception):
    idx = np.unravel_index(k, a.shape)
    msg = (f"{name}: gradient mismatch for input {i} with respect to output {o} at "
           f"Jacobian element (output, input) = {tuple(int(v) for v in idx)}: "
           f"analytic {a.flat[k]:.8g} vs numerical {n.flat[k]:.8g} "
           f"(|diff| {abs(a.flat[k] - n.flat[k]):.3g} > atol {atol} + rtol {rtol} * |num|)\n"
           f"analytic:\n{a}\nnumerical:\n{n}")
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool | None = None,
              seed: int = 0) -> bool:
    """Check ``fn``'s analytic gradients against central finite differences.

    inputs: a Tensor or tuple of Tensors/values; those with ``requires_grad`` are checked
    (use float64 or complex128; complex inputs and outputs are compared as their real and
    imaginary parts). Returns True, or raises ``GradcheckError`` naming the input, the output
    and the Jacobian element that disagree. ``fast_mode`` compares random projections
    ``v^T J u`` (default: on when the full Jacobian would be large).
    """
    inputs = _check_inputs(inputs, "gradcheck")
    fn, inputs = _realify(fn, inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck: no input requires grad")
    if fast_mode is None:
        n_in = sum(inputs[i].array.size for i in diff_idx)
        n_out = sum(o.array.size for o in _outputs(fn, inputs))
        fast_mode = n_in * n_out > 20000
    if fast_mode:
        return _fast_gradcheck(fn, inputs, diff_idx, eps, atol, rtol, raise_exception, seed)
    analytic = _analytic_jacobian(fn, inputs, diff_idx)
    numerical = _numerical_jacobian(fn, inputs, diff_idx, eps)
    for (i, o), a in analytic.items():
        n = numerical.get((i, o))
        if n is None:
            continue
        bad = np.abs(a - n) > atol + rtol * np.abs(n)
        if bad.any() or not np.isfinite(a).all():
            k = int(np.argmax(bad | ~np.isfinite(a)))
            return _fail("gradcheck", i, o, a, n, k, atol, rtol, raise_exception)
    return True


def _fast_gradcheck(fn, inputs, diff_idx, eps, atol, rtol, raise_exception, seed):
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    for o, out in enumerate(outs):
        v_host = rng.standard_normal(out.shape)
        v = _wrap(out.device.backend.asarray(v_host.astype(out.array.dtype)), out.device)
        gs = grad([out], [inputs[i] for i in diff_idx], [v], retain_graph=True,
                  allow_unused=True) if out.requires_grad else [None] * len(diff_idx)
        for i, g in zip(diff_idx, gs):
            t = inputs[i]
            u_host = rng.standard_normal(t.shape)
            analytic = 0.0 if g is None else float((g.numpy() * u_host).sum())
            u = t.device.backend.asarray(u_host.astype(t.array.dtype))
            saved = t.array
            t.array = saved + eps * u
            plus = _eval_host(fn, inputs)[o]
            t.array = saved - eps * u
            minus = _eval_host(fn, inputs)[o]
            t.array = saved
            numerical = float((((plus - minus) / (2 * eps)) * v_host).sum())
            if not abs(analytic - numerical) <= atol + rtol * abs(numerical):
                msg = (f"gradcheck (fast mode): mismatch for input {i} with respect to output "
                       f"{o}: analytic v^T J u = {analytic:.8g} vs numerical {numerical:.8g}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True,
                  fast_mode: bool | None = None, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> v^T J(inputs)``."""
    inputs = _check_inputs(inputs, "gradgradcheck")
    fn, inputs = _realify(fn, inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [
            _wrap(o.device.backend.asarray(rng.standard_normal(o.shape).astype(o.array.dtype)),
                  o.device).requires_grad_(True)
            for o in outs
        ]
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(fn, xs) if o.requires_grad]
        gs = grad(outs, [xs[i] for i in diff_idx], list(vs)[:len(outs)], create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, fast_mode=fast_mode, seed=seed)
