"""Differentiation API: ``grad`` and the functional transforms
(``vjp``, ``jvp``, ``hvp``, ``vhp``, ``jacobian``, ``hessian``)."""

from __future__ import annotations

from .grad_mode import enable_grad
from .graph import run_backward
from .tensor import Tensor, _wrap, seed_gradient


def _as_list(x):
    if isinstance(x, Tensor):
        return [x], True
    return list(x), False


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (no
    ``.grad`` is modified). With ``create_graph=True`` the result is differentiable."""
    outputs, _ = _as_list(outputs)
    inputs, _ = _as_list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs, _ = _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    roots, seeds = [], []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(
                "grad: an output does not require grad (no input of the ops that made it "
                "requires grad)"
            )
        roots.append(out)
        seeds.append(seed_gradient(out, g, "grad", "grad_outputs="))
    capture = {"out": [None] * len(inputs)}
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
        key = id(t) if t.grad_fn is None else (t.grad_fn, t._out_idx)
        capture[key] = i
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(roots, seeds, retain_graph, create_graph, capture=capture)
    result = capture["out"]
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {tuple(inputs[i].shape)}) was not used to compute "
                "the outputs; pass allow_unused=True to get None for it"
            )
    return tuple(result)


def _prepare(inputs):
    inputs, single = _as_list(inputs)
    return [t.detach().requires_grad_(True) for t in inputs], single


def _zeros_if_none(grads, like):
    return tuple(
        g if g is not None else _wrap(t.device.backend.xp.zeros_like(t.array), t.device)
        for g, t in zip(grads, like)
    )


def _unpack(values, single):
    return values[0] if single else tuple(values)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    xs, single = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
    outs, single_out = _as_list(out)
    vs = [None] * len(outs) if v is None else _as_list(v)[0]
    grads = grad(outs, xs, vs, create_graph=create_graph, retain_graph=create_graph,
                 allow_unused=True)
    outputs = out if create_graph else (out.detach() if single_out else
                                        tuple(o.detach() for o in outs))
    return outputs, _unpack(_zeros_if_none(grads, xs), single)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick."""
    xs, single = _prepare(inputs)
    vs = [_wrap(t.device.backend.xp.ones_like(t.array), t.device) for t in xs] if v is None \
        else _as_list(v)[0]
    with enable_grad():
        out = func(*xs)
        outs, single_out = _as_list(out)
        # u is a dummy cotangent; J^T u is linear in u, so d(J^T u . v)/du = J v
        us = [_wrap(o.device.backend.xp.zeros_like(o.array), o.device).requires_grad_(True)
              for o in outs]
        gs = grad(outs, xs, us, create_graph=True, allow_unused=True)
        pairs = [(g, vi) for g, vi in zip(gs, vs) if g is not None]
        if not pairs:
            jv = [None] * len(outs)
        else:
            total = sum((g * vi).sum() for g, vi in pairs)
            jv = grad([total], us, create_graph=create_graph, allow_unused=True)
    outputs = tuple(o.detach() for o in outs)
    jv = _zeros_if_none(jv, outs)
    return (outputs[0] if single_out else outputs), (jv[0] if single_out else jv)


def hvp(func, inputs, v, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function (H is symmetric, so = v^T H)."""
    xs, single = _prepare(inputs)
    vs = _as_list(v)[0]
    with enable_grad():
        out = func(*xs)
        if out.array.size != 1:
            raise RuntimeError(f"hvp: func must return a single-element tensor, got "
                               f"{tuple(out.shape)}")
        gs = grad([out], xs, create_graph=True, allow_unused=True)
        pairs = [(g, vi) for g, vi in zip(gs, vs) if g is not None and g.requires_grad]
        if pairs:
            total = sum((g * vi).sum() for g, vi in pairs)
            hv = grad([total], xs, create_graph=create_graph, allow_unused=True)
        else:
            hv = [None] * len(xs)
    return out.detach(), _unpack(_zeros_if_none(hv, xs), single)


vhp = hvp


def jacobian(func, inputs, create_graph=False, strict=False):
    """The Jacobian of ``func`` at ``inputs``: shape ``out.shape + in.shape`` (nested
    tuples for several inputs/outputs, as in PyTorch)."""
    xs, single = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
    outs, single_out = _as_list(out)
    rows = []
    for o in outs:
        xp = o.device.backend.xp
        n = o.array.size
        per_input = [[] for _ in xs]
        for k in range(n):
            seed = xp.zeros(n, dtype=o.array.dtype)
            seed[k] = 1
            gs = grad([o], xs, [_wrap(seed.reshape(o.shape), o.device)], retain_graph=True,
                      create_graph=create_graph, allow_unused=True)
            for j, g in enumerate(_zeros_if_none(gs, xs)):
                per_input[j].append(g)
        from .ops import stack

        blocks = tuple(
            stack(per_input[j], 0).reshape(tuple(o.shape) + tuple(x.shape)) if n else
            _wrap(xp.zeros(tuple(o.shape) + tuple(x.shape), x.dtype), x.device)
            for j, x in enumerate(xs)
        )
        if not create_graph:
            blocks = tuple(b.detach() for b in blocks)
        rows.append(blocks[0] if single else blocks)
    return rows[0] if single_out else tuple(rows)


def hessian(func, inputs, create_graph=False, strict=False):
    """The Hessian of a scalar ``func``: shape ``in.shape + in.shape``."""
    xs, single = _prepare(inputs)

    def gradient(*args):
        out = func(*args)
        if out.array.size != 1:
            raise RuntimeError(f"hessian: func must return a single-element tensor, got "
                               f"{tuple(out.shape)}")
        gs = grad([out], list(args), create_graph=True, allow_unused=True)
        return tuple(_zeros_if_none(gs, args)) if not single else _zeros_if_none(gs, args)[0]

    return jacobian(gradient, xs[0] if single else tuple(xs), create_graph=create_graph)
