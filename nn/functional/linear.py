"""``linear``: ``y = x @ weight.T + bias`` as one graph node."""

from __future__ import annotations

import numpy as np

from autograd.extend import (
    Function,
    OutForm,
    Tensor,
    plain_backward,
    register_out_form,
    wrap,
)
from autograd.ops.linalg import mm

__all__ = ["linear", "bilinear"]


class Linear(Function):
    """``x @ w.T + b`` as one node instead of three (transpose, matmul, add)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return _linear_arrays(x, w, b)

    @staticmethod
    def backward(ctx, g):
        needs = ctx.needs_input_grad
        if plain_backward():  # LinearGrad's array code, without its node
            x, w = ctx.saved_arrays()
            grads = _linear_grad_arrays(g.array, x, w, needs)
            dev = ctx.device
            grads = tuple([wrap(a, dev) for a in grads]) if type(grads) is tuple else \
                wrap(grads, dev)
        else:
            x, w = ctx.saved_tensors
            grads = LinearGrad.apply(g, x, w, needs)  # a Tensor, or a tuple of two or three
        if type(grads) is not tuple:
            return tuple([grads if n else None for n in needs])
        if len(grads) == 3:  # all three (a hidden layer)
            return grads
        if not needs[0]:  # weight and bias (the first layer)
            return (None,) + grads
        grads = iter(grads)
        return tuple([next(grads) if n else None for n in needs])


class LinearGrad(Function):
    """The gradients of ``Linear`` (only those in ``needs``: x, w, b), as array code.

    A plain backward runs just this forward; ``create_graph=True`` records it as a node
    whose backward differentiates the same formula, so there is one formula per order.
    g: (*, out); x: (*, in); w: (out, in). Returns (g @ w, g2.T @ x2, g2.sum(0)).
    """

    @staticmethod
    def forward(ctx, g, x, w, needs):
        ctx.save_for_backward(g, x, w)
        ctx.needs = needs
        return _linear_grad_arrays(g, x, w, needs)

    @staticmethod
    def backward(ctx, *grads):
        g, x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs
        it = iter(grads)
        ggx = next(it) if nx else None
        ggw = next(it) if nw else None
        ggb = next(it) if nb else None
        n_in = w.shape[1]
        dg = dx = dw = None
        if ctx.needs_input_grad[0]:  # every output is linear in g
            parts = [ggx @ w.T] if ggx is not None else []  # (*, out)
            if ggw is not None:
                parts.append(Linear.apply(x, ggw, ggb))  # x @ ggw.T + ggb
            elif ggb is not None:
                parts.append(ggb.expand(g.shape))
            dg = parts[0] if len(parts) == 1 else parts[0] + parts[1]
        if ctx.needs_input_grad[1] and ggw is not None:  # g2.T @ x2 is linear in x
            dx = g @ ggw  # (*, in)
        if ctx.needs_input_grad[2] and ggx is not None:  # g @ w is linear in w
            dw = g.reshape(-1, w.shape[0]).T @ ggx.reshape(-1, n_in)  # (out, in)
        return dg, dx, dw, None


# --- the array code of both Functions, written once: their forwards call it with fresh
# results, their out-forms (ag.compile's replay, NumPy 2-d) with buffers planned once


def _linear_arrays(x, w, b, out=None):
    """``x @ w.T + b`` (``b`` may be None) on arrays, into ``out`` when given (2-d)."""
    y = mm(x, w.T) if out is None else np.matmul(x, w.T, out=out)
    if b is not None:
        y += b
    return y


_NO_BUFFERS = (None, None, None)


def _linear_grad_arrays(g, x, w, needs, outs=_NO_BUFFERS):
    """The gradients in ``needs`` (x, w, b) of ``Linear`` for the output gradient ``g``:
    ``(g @ w, g2.T @ x2, g2.sum(0))``, each into the next buffer of ``outs`` when
    given (2-d)."""
    nx, nw, nb = needs
    out = []
    if nx:  # (*, in)
        out.append(mm(g, w) if outs[0] is None else np.matmul(g, w, out=outs[0]))
    if nw or nb:
        g2 = g.reshape(-1, w.shape[0])  # (M, out)
        if nw:  # (out, in)
            x2, o = x.reshape(-1, w.shape[1]), outs[len(out)]
            out.append(g2.T @ x2 if o is None else np.matmul(g2.T, x2, out=o))
        if nb:  # (out,)
            out.append(g2.sum(0, out=outs[len(out)]))
    return out[0] if len(out) == 1 else tuple(out)


@register_out_form(Linear)
def _linear_form(site):
    x, w, b = site.args
    if x.ndim != 2 or not site.contiguous(x, w) or set(site.saved) - {0, 1}:
        return None
    aliases = {0: 0, 1: 1}  # the saved x and w are the inputs themselves
    if b is None:
        return OutForm(lambda x, w, o: _linear_arrays(x, w, None, o), (0, 1), aliases=aliases)
    return OutForm(_linear_arrays, (0, 1, 2), aliases=aliases)


@register_out_form(LinearGrad)
def _linear_grad_form(site):
    g, x, w, needs = site.args
    if g.ndim != 2 or x.ndim != 2 or not site.contiguous(g, x, w) or \
            set(site.saved) - {0, 1, 2}:
        return None
    def linear_grad(g, x, w, *bufs):
        _linear_grad_arrays(g, x, w, needs, bufs)

    return OutForm(linear_grad, (0, 1, 2), [("out", j) for j in range(sum(map(bool, needs)))],
                   aliases={0: 0, 1: 1, 2: 2})


# the name this Function had before it became public (kept for one release)
_Linear = Linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    input: (*, in_features); weight: (out_features, in_features); bias: (out_features,)
    or None. Returns (*, out_features). Dtypes must match (as in PyTorch).
    """
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear: expected Tensors, got input {type(input).__name__} and "
                        f"weight {type(weight).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {tuple(input.shape)} does not match weight of shape "
            f"{tuple(weight.shape)}: expected input of shape (*, {weight.shape[1]})"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got "
                         f"{tuple(bias.shape)}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise TypeError(
            f"linear: dtypes differ: input {input.dtype}, weight {weight.dtype}"
            + (f", bias {bias.dtype}" if bias is not None else "")
            + "; cast the input (x.float()) or the module (model.double())"
        )
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None
             ) -> Tensor:
    """``y_k = x1 @ weight[k] @ x2 + bias_k``.

    input1: (*, in1); input2: (*, in2); weight: (out, in1, in2); bias: (out,) or None.
    Returns (*, out).
    """
    from autograd.ops import einsum

    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
