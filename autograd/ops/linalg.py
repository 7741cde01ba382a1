"""Matrix products: batched ``matmul`` with broadcasting, and ``einsum``."""

from __future__ import annotations

import string

import numpy as np

from ..graph import Function
from ..tensor import Tensor
from ._util import conj_of, sum_to
from .arithmetic import promote


class MatMul(Function):
    """``a @ b`` for a.ndim, b.ndim >= 2, batch dimensions broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return mm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            a, b = conj_of(a), conj_of(b)
        ga = sum_to(g @ b.mT, a.shape) if na else None
        gb = None
        if nb:
            if b.ndim == 2 and a.ndim > 2:  # a shared weight: one product over all rows
                k = a.shape[-1]
                gb = a.reshape(-1, k).mT @ g.reshape(-1, g.shape[-1])
            else:
                gb = sum_to(a.mT @ g, b.shape)
        return ga, gb


def mm(a, b):
    """``a @ b`` on arrays; an N-d ``a`` times a 2-d ``b`` is folded into one 2-d
    product (NumPy's matmul would loop over the leading dimensions)."""
    if b.ndim == 2 and a.ndim > 2:
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[1],))
    return a @ b


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are promoted and the added
    dimension removed; leading (batch) dimensions broadcast."""
    a, b = promote(a, b, "matmul")
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul: both operands must be tensors, not scalars")
    if a.array.ndim == 0 or b.array.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    sa, sb = a.array.shape, b.array.shape
    ka = sa[-1]
    kb = sb[0] if b.array.ndim == 1 else sb[-2]
    if ka != kb:
        raise ValueError(
            f"matmul: shapes {tuple(sa)} and {tuple(sb)} are not aligned: "
            f"{ka} (dim -1 of the first) != {kb} (dim {0 if b.array.ndim == 1 else -2} of the "
            "second)"
        )
    if a.array.ndim == 2 and b.array.ndim == 2:
        return MatMul.apply(a, b)
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions of shapes {tuple(sa)} and {tuple(sb)} do not broadcast"
        ) from None
    if a.array.ndim == 1 and b.array.ndim == 1:
        return (a * b).sum()
    if a.array.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.array.ndim == 1:
        return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return MatMul.apply(a, b)


# --- einsum --------------------------------------------------------------------------


def _parse_einsum(equation: str, shapes) -> tuple[list[str], str]:
    """Expand '...' into letters and make the output explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: equation {equation!r} names {len(inputs)} operands, got {len(shapes)}"
        )
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    ell_nd = max(
        (len(s) - (len(t) - 3) for t, s in zip(inputs, shapes) if "..." in t), default=0
    )
    ell = "".join(spare[:ell_nd])
    terms = []
    for t, s in zip(inputs, shapes):
        if "..." in t:
            n = len(s) - (len(t) - 3)
            t = t.replace("...", ell[ell_nd - n:] if n else "")
        if len(t) != len(s):
            raise ValueError(
                f"einsum: operand subscripts {t!r} do not match its shape {tuple(s)}"
            )
        terms.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for t in terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return terms, out


class Einsum(Function):
    @staticmethod
    def forward(ctx, terms, out_term, *ops):
        ctx.terms, ctx.out_term = terms, out_term
        ctx.save_for_backward(*ops)
        ctx.sizes = {c: n for t, x in zip(terms, ops) for c, n in zip(t, x.shape)}
        eq = ",".join(terms) + "->" + out_term
        return ctx.device.backend.xp.einsum(eq, *ops, optimize=len(ops) > 2)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        grads = [None, None]
        for i, term in enumerate(ctx.terms):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            # a repeated letter ('ii') reads a diagonal: differentiate with respect to
            # that diagonal (each letter once), then put the gradient back on it
            uterm = "".join(dict.fromkeys(term))
            others = [t for j, t in enumerate(ctx.terms) if j != i]
            present = set(ctx.out_term).union(*others) if others else set(ctx.out_term)
            kept = "".join(c for c in uterm if c in present)
            eq_terms = [ctx.out_term] + others
            gi = einsum(",".join(eq_terms) + "->" + kept,
                        g, *[o for j, o in enumerate(ops) if j != i])
            if kept != uterm:  # letters summed only inside this operand: broadcast back
                shape = tuple(ctx.sizes[c] if c in kept else 1 for c in uterm)
                gi = gi.reshape(shape).expand(tuple(ctx.sizes[c] for c in uterm))
            if uterm != term:
                gi = DiagEmbed.apply(gi, term, uterm, tuple(ctx.sizes[c] for c in term))
            grads.append(gi)
        return tuple(grads)


def _diagonal_of(xp, a, term, uterm):
    """The writable view of ``a`` (subscripts ``term``, some repeated) that reads it with
    each letter once (``uterm``): one axis per letter, stepping along all its axes."""
    strides = tuple(sum(st for c2, st in zip(term, a.strides) if c2 == c) for c in uterm)
    shape = tuple(a.shape[term.index(c)] for c in uterm)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


class DiagEmbed(Function):
    """Zeros of the operand's shape with ``g`` on its diagonal (``uterm`` read through
    ``term``); the adjoint of ``einsum('ii->i')``-style diagonal reads."""

    @staticmethod
    def forward(ctx, g, term, uterm, shape):
        ctx.terms = (term, uterm)
        xp = ctx.device.backend.xp
        out = xp.zeros(shape, g.dtype)
        _diagonal_of(xp, out, term, uterm)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        term, uterm = ctx.terms
        return einsum(f"{term}->{uterm}", gg), None, None, None


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation over tensors, as ``numpy.einsum`` (with '...')."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    ops = list(operands)
    for _ in range(2):  # twice, so every operand ends at the common dtype
        for i in range(1, len(ops)):
            ops[0], ops[i] = promote(ops[0], ops[i], "einsum")
    terms, out = _parse_einsum(equation, [o.shape for o in ops])
    sizes = {}
    for t, o in zip(terms, ops):
        for c, n in zip(t, o.shape):
            if sizes.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: subscript {c!r} has size {sizes[c]} in one operand and {n} in "
                    f"another ({equation!r} with shapes {[tuple(o.shape) for o in ops]})"
                )
    return Einsum.apply(tuple(terms), out, *ops)
