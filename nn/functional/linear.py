"""``linear``: ``y = x @ weight.T + bias`` as one graph node."""

from __future__ import annotations

from autograd.grad_mode import is_grad_enabled
from autograd.graph import Function
from autograd.ops.linalg import mm
from autograd.tensor import Tensor, _wrap

__all__ = ["linear", "bilinear"]


class _Linear(Function):
    """One node instead of three (transpose, matmul, add); backward is Tensor ops, so
    double backward works."""

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
        nx, nw, nb = ctx.needs_input_grad
        if not is_grad_enabled():  # plain backward: three array calls, no graph
            return _backward_arrays(ctx, g.data, x.data, w.data, nx, nw, nb)
        gx = g @ w if nx else None
        gw = gb = None
        if nw or nb:
            out_f = w.shape[0]
            g2 = g.reshape(-1, out_f)
            if nw:
                gw = g2.T @ x.reshape(-1, w.shape[1])
            if nb:
                gb = g2.sum(0)
        return gx, gw, gb


def _backward_arrays(ctx, g, x, w, nx, nw, nb):
    dev = ctx.device
    gx = _wrap(mm(g, w), dev) if nx else None
    gw = gb = None
    if nw or nb:
        g2 = g.reshape(-1, w.shape[0])
        if nw:
            gw = _wrap(g2.T @ x.reshape(-1, w.shape[1]), dev)
        if nb:
            gb = _wrap(g2.sum(0), dev)
    return gx, gw, gb


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
    return _Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None
             ) -> Tensor:
    """``y_k = x1 @ weight[k] @ x2 + bias_k``.

    input1: (*, in1); input2: (*, in2); weight: (out, in1, in2); bias: (out,) or None.
    Returns (*, out).
    """
    from autograd.ops import einsum

    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
