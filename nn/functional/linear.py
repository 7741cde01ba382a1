"""``linear``: ``y = x @ weight.T + bias`` as one graph node."""

from __future__ import annotations

from autograd.extend import Function, Tensor
from autograd.ops.linalg import mm

__all__ = ["linear", "bilinear"]


class Linear(Function):
    """``x @ w.T + b`` as one node instead of three (transpose, matmul, add)."""

    @staticmethod
    def forward(ctx, x, w, b):
        out = mm(x, w.T)
        if b is not None:
            out += b
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grads = LinearGrad.apply(g, x, w, needs)  # a Tensor, or a tuple of two or three
        if type(grads) is not tuple:
            return tuple([grads if n else None for n in needs])
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
        nx, nw, nb = needs
        ctx.save_for_backward(g, x, w)
        ctx.needs = needs
        out = []
        if nx:
            out.append(mm(g, w))  # (*, in)
        if nw or nb:
            g2 = g.reshape(-1, w.shape[0])  # (M, out)
            if nw:
                out.append(g2.T @ x.reshape(-1, w.shape[1]))  # (out, in)
            if nb:
                out.append(g2.sum(0))  # (out,)
        return out[0] if len(out) == 1 else tuple(out)

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
