"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Names, shapes, gate order and initialisation follow PyTorch, so weights copy across
through ``state_dict``: LSTM gates are (i, f, g, o), GRU gates (r, z, n) with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

One cell formula per layer type: ``_step`` (Tensor ops). The cells (``RNNCell``, ...)
are that step after the input projection. A layer projects the whole input at once
(``x @ W_ih^T + b``, one matmul), then runs the recurrence as one graph node
(``Recurrence``) whose forward loops over the steps on raw arrays; its gradient is a
Function too (``RecurrenceGrad``: backpropagation through time on arrays, the weight
gradient one matmul over all steps), whose own backward differentiates the ``_step``
formula twice, so the plain backward runs only array code and second derivatives come
from the one cell formula. Nothing recurses, so sequences of any length backpropagate.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np

import autograd as ag
from autograd.extend import Function, Tensor, enable_grad, is_grad_enabled

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "RNNBase", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --- the cell formula, in Tensor ops: one per layer type -------------------------------


def _step(mode: str, xw: Tensor, h: Tensor, c: Tensor | None, w: Tensor,
          b: Tensor | None, wr: Tensor | None = None) -> tuple:
    """One step of every layer type from the projected input ``xw`` (B, G) (which holds
    b_ih, and b_hh except for GRU), h (B, P), c (B, H) (LSTM) or None, w = W_hh^T (P, G),
    b = b_hh (GRU only) or None, wr = W_hr^T (H, P) (LSTM with proj_size) or None; P is
    H without a projection. Returns ``(h', c')`` (c' None except for LSTM)."""
    if mode == "LSTM":
        i, f, g, o = ag.chunk(xw + h @ w, 4, dim=-1)  # (B, H) each
        c = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
        h = ag.sigmoid(o) * ag.tanh(c)
        return (h if wr is None else h @ wr), c
    if mode == "GRU":
        gh = h @ w if b is None else h @ w + b  # (B, 3H): b_hn stays inside r * (...)
        x_r, x_z, x_n = ag.chunk(xw, 3, dim=-1)
        h_r, h_z, h_n = ag.chunk(gh, 3, dim=-1)
        r = ag.sigmoid(x_r + h_r)
        z = ag.sigmoid(x_z + h_z)
        n = ag.tanh(x_n + r * h_n)
        return n + z * (h - n), None
    a = xw + h @ w
    return (ag.relu(a) if mode == "RNN_RELU" else ag.tanh(a)), None


def _project(mode: str, x: Tensor, w_ih: Tensor, b_ih: Tensor | None,
             b_hh: Tensor | None) -> Tensor:
    """``x @ W_ih^T`` plus b_ih, and b_hh except for GRU (whose b_hn is gated): (*, G)."""
    xw = x @ w_ih.mT
    bias = b_ih
    if mode != "GRU" and b_hh is not None:
        bias = b_hh if b_ih is None else b_ih + b_hh
    return xw if bias is None else xw + bias


def _cell(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    b = b_hh if mode == "GRU" else None
    return _step(mode, _project(mode, input, w_ih, b_ih, b_hh), hx, cx, w_hh.mT, b)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``; input (B, I), hx (B, H)."""
    return _cell("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``; input (B, I), hx (B, H)."""
    return _cell("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input: Tensor, hx: Tensor, cx: Tensor, w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple:
    """One LSTM step; input (B, I), hx and cx (B, H), w_ih (4H, I), w_hh (4H, H).

    Returns ``(h', c')`` with ``c' = f*c + i*g`` and ``h' = o*tanh(c')``."""
    return _cell("LSTM", input, hx, cx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step; input (B, I), hx (B, H), w_ih (3H, I), w_hh (3H, H).

    ``n = tanh(x_n + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``."""
    return _cell("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def _tensor_sequence(mode, reverse, xw, h0, c0, w, b, wr=None) -> tuple:
    """The whole recurrence from ``_step`` in Tensor ops (for second derivatives):
    xw (T, B, G) -> ``(out (T, B, P), h_n, c_n)``; c_n None except for LSTM."""
    T = xw.shape[0]
    xs = ag.unbind(xw, 0)
    outs = [None] * T
    h, c = h0, c0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h, c = _step(mode, xs[t], h, c, w, b, wr)
        outs[t] = h
    return ag.stack(outs, 0), h, c


# --- the recurrence over time on raw arrays (fast path) ---------------------------------
# Each *_forward takes xw (T, B, G) in processing order, h0 (B, P), c0, w = W_hh^T (P, G),
# b (b_hh, GRU only) and wr (W_hr^T (H, P), LSTM with proj_size only; P = H without);
# returns (hs (T+1, B, P) with hs[0] = h0, c_n or None, cache). Each *_backward returns
# (dxw in processing order, dh0, dc0, dgh, db, dwr) where dgh (T, B, G) is the gradient
# of h W_hh^T per step (the weight gradient is one matmul).


def _rnn_forward(xp, xw, h0, c0, w, b, relu):
    T, B, _ = xw.shape
    w = xp.ascontiguousarray(w)  # (H, G) row-major: its matmul is ~1.5x faster
    hs = xp.empty((T + 1,) + h0.shape, xw.dtype)
    hs[0] = h0
    for t in range(T):
        h = hs[t + 1]
        xp.matmul(hs[t], w, out=h)
        h += xw[t]
        if relu:
            xp.maximum(h, 0, out=h)
        else:
            xp.tanh(h, out=h)
    return hs, None, None


def _rnn_backward(xp, hs, cache, w, gout, ghn, gcn, b, relu):
    T = gout.shape[0]
    h = hs[1:]
    deriv = (h > 0).astype(h.dtype) if relu else 1 - h * h
    da = xp.empty_like(gout)
    wt = xp.ascontiguousarray(w.T)
    dh = ghn.copy()
    for t in range(T - 1, -1, -1):
        dh += gout[t]
        xp.multiply(dh, deriv[t], out=da[t])
        dh = da[t] @ wt
    return da, dh, None, da, None, None


def _lstm_forward(xp, xw, h0, c0, w, b, wr=None):
    T, B, G = xw.shape
    H, P = G // 4, h0.shape[1]
    dt = xw.dtype
    # tanh(a/2)/2 + 1/2 = sigmoid(a): halving the i, f, o columns up front lets one tanh
    # call give all four gates per step
    scale = xp.full((G,), 0.5, dt)
    scale[2 * H:3 * H] = 1.0
    shift = xp.full((G,), 0.5, dt)
    shift[2 * H:3 * H] = 0.0
    xs = xw * scale
    ws = xp.ascontiguousarray(w * scale)  # row-major (P, G): its matmul is ~1.5x faster
    acts = xp.empty((T, B, G), dt)
    hs = xp.empty((T + 1, B, P), dt)
    rs = None if wr is None else xp.empty((T, B, H), dt)  # o * tanh(c), before W_hr
    cs = xp.empty((T + 1, B, H), dt)
    tcs = xp.empty((T, B, H), dt)
    hs[0] = h0
    cs[0] = c0
    tmp = xp.empty((B, H), dt)
    for t in range(T):
        a = acts[t]
        xp.matmul(hs[t], ws, out=a)
        a += xs[t]
        xp.tanh(a, out=a)
        a *= scale
        a += shift
        c = cs[t + 1]
        xp.multiply(a[:, H:2 * H], cs[t], out=c)
        xp.multiply(a[:, :H], a[:, 2 * H:3 * H], out=tmp)
        c += tmp
        xp.tanh(c, out=tcs[t])
        if wr is None:
            xp.multiply(a[:, 3 * H:], tcs[t], out=hs[t + 1])
        else:
            xp.multiply(a[:, 3 * H:], tcs[t], out=rs[t])
            xp.matmul(rs[t], wr, out=hs[t + 1])
    return hs, cs[T], (acts, cs, tcs, rs)


def _lstm_backward(xp, hs, cache, w, gout, ghn, gcn, b, wr=None):
    acts, cs, tcs, rs = cache
    T, B, G = acts.shape
    H = G // 4
    i, f, g, o = (acts[..., k * H:(k + 1) * H] for k in range(4))
    # every factor that does not depend on the incoming gradient, for all steps at once
    dc_from_h = o * (1 - tcs * tcs)
    coef = xp.empty((T, B, G), acts.dtype)
    coef[..., :H] = g * i * (1 - i)
    coef[..., H:2 * H] = cs[:-1] * f * (1 - f)
    coef[..., 2 * H:3 * H] = i * (1 - g * g)
    coef[..., 3 * H:] = tcs * o * (1 - o)
    coef4 = coef.reshape(T, B, 4, H)
    da = xp.empty((T, B, G), acts.dtype)
    da4 = da.reshape(T, B, 4, H)
    wt = xp.ascontiguousarray(w.T)
    dh = ghn.copy()
    dc = gcn.copy()
    tmp = xp.empty((B, H), acts.dtype)
    dhs = None if wr is None else xp.empty(gout.shape, acts.dtype)  # (T, B, P)
    wrt = None if wr is None else xp.ascontiguousarray(wr.T)  # (P, H)
    for t in range(T - 1, -1, -1):
        dh += gout[t]
        if wr is not None:  # through the projection: d(o * tanh(c)) = dh W_hr
            dhs[t] = dh
            dh = dh @ wrt
        xp.multiply(dh, dc_from_h[t], out=tmp)
        dc += tmp
        xp.multiply(coef4[t, :, :3], dc[:, None, :], out=da4[t, :, :3])
        xp.multiply(coef4[t, :, 3], dh, out=da4[t, :, 3])
        dc *= f[t]
        dh = da[t] @ wt
    dwr = None if wr is None else _weight_grad(xp, rs, dhs, first=0)  # (H, P)
    return da, dh, dc, da, None, dwr


def _gru_forward(xp, xw, h0, c0, w, b):
    T, B, G = xw.shape
    H = G // 3
    dt = xw.dtype
    w = xp.ascontiguousarray(w)  # (H, G) row-major: its matmul is ~1.5x faster
    hs = xp.empty((T + 1, B, H), dt)
    hs[0] = h0
    ghs = xp.empty((T, B, G), dt)  # h W_hh^T + b_hh, kept for b_hn's term in backward
    rzs = xp.empty((T, B, 2 * H), dt)
    ns = xp.empty((T, B, H), dt)
    for t in range(T):
        gh = ghs[t]
        xp.matmul(hs[t], w, out=gh)
        if b is not None:
            gh += b
        rz = rzs[t]
        xp.add(xw[t, :, :2 * H], gh[:, :2 * H], out=rz)
        _sigmoid_(xp, rz)
        n = ns[t]
        xp.multiply(rz[:, :H], gh[:, 2 * H:], out=n)
        n += xw[t, :, 2 * H:]
        xp.tanh(n, out=n)
        h = hs[t + 1]
        xp.subtract(hs[t], n, out=h)
        h *= rz[:, H:]
        h += n
    return hs, None, (ghs, rzs, ns)


def _gru_backward(xp, hs, cache, w, gout, ghn, gcn, b):
    ghs, rzs, ns = cache
    T, B, G = ghs.shape
    H = G // 3
    r, z, n = rzs[..., :H], rzs[..., H:], ns
    coef_n = (1 - z) * (1 - n * n)
    coef_z = (hs[:-1] - n) * z * (1 - z)
    coef_r = ghs[..., 2 * H:] * r * (1 - r)
    dgx = xp.empty((T, B, G), ghs.dtype)
    dgh = xp.empty((T, B, G), ghs.dtype)
    wt = xp.ascontiguousarray(w.T)
    dh = ghn.copy()
    for t in range(T - 1, -1, -1):
        dh += gout[t]
        dx, dgt = dgx[t], dgh[t]
        dan = dx[:, 2 * H:]
        xp.multiply(dh, coef_n[t], out=dan)
        xp.multiply(dh, coef_z[t], out=dx[:, H:2 * H])
        xp.multiply(dan, coef_r[t], out=dx[:, :H])
        dgt[:, :2 * H] = dx[:, :2 * H]
        xp.multiply(dan, r[t], out=dgt[:, 2 * H:])
        dh *= z[t]
        dh += dgt @ wt
    db = dgh.sum(axis=(0, 1)) if b is not None else None
    return dgx, dh, None, dgh, db, None


# The per-step matmuls of a recurrence are small ((B, H) @ (H, G)): BLAS threads gain
# little on them, and on a busy machine threads waiting on each other make them many
# times slower (an LSTM training step measured 14x slower with 2 OpenBLAS threads than
# with 1 on two loaded cores). The time loops therefore run with this many BLAS threads
# when threadpoolctl is installed; None leaves BLAS alone.
RECURRENCE_BLAS_THREADS: int | None = 1
_blas_controller = None


def _loop_threads(xp):
    """A context that limits BLAS threads for a time loop on the CPU (or does nothing)."""
    global _blas_controller
    if RECURRENCE_BLAS_THREADS is None or xp is not np:
        return contextlib.nullcontext()
    if _blas_controller is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas_controller = ThreadpoolController().select(user_api="blas")
        except Exception:  # not installed, or no BLAS it can drive
            _blas_controller = False
    if not _blas_controller:
        return contextlib.nullcontext()
    return _blas_controller.limit(limits=RECURRENCE_BLAS_THREADS)


def _sigmoid_(xp, a):
    """In place: sigmoid(a) = tanh(a/2)/2 + 1/2, which never overflows."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _weight_grad(xp, hs, da, first=None):
    """sum over steps of h_{t-1}^T da_t (or, with ``first=0``, of hs_t^T da_t), as one
    matmul: (P, G)."""
    T, B, G = da.shape
    h = hs[:-1] if first is None else hs
    return h.reshape(T * B, -1).T @ da.reshape(T * B, G)


# --- the recurrence as graph nodes ------------------------------------------------------


class Recurrence(Function):
    """All time steps of one layer in one direction.

    Inputs: xw (T, B, G) the projected input (with b_ih, and b_hh except for GRU),
    h0 (B, P), c0 (B, H) or None (LSTM only), w = W_hh^T (P, G), b = b_hh (G,) or None
    (GRU only), wr = W_hr^T (H, P) or None (LSTM with proj_size only; P = H without).
    Outputs: out (T, B, P), h_n (B, P) and, for LSTM, c_n (B, H).
    """

    @staticmethod
    def forward(ctx, mode, reverse, xw, h0, c0, w, b, wr):
        xp = ctx.device.backend.xp
        ctx.mode, ctx.reverse = mode, reverse
        xs = xw[::-1] if reverse else xw
        with _loop_threads(xp):
            if mode == "LSTM":
                hs, c_n, cache = _lstm_forward(xp, xs, h0, c0, w, b, wr)
            elif mode == "GRU":
                hs, c_n, cache = _gru_forward(xp, xs, h0, c0, w, b)
            else:
                hs, c_n, cache = _rnn_forward(xp, xs, h0, c0, w, b, mode == "RNN_RELU")
        if any(ctx.needs_input_grad):  # a graph is recorded: keep what backward needs
            ctx.save_for_backward(xw, h0, c0, w, b, wr)
            ctx.hs, ctx.cache = hs, cache
        out = hs[1:]
        out = xp.ascontiguousarray(out[::-1]) if reverse else out
        h_n = hs[-1].copy()
        return (out, h_n, c_n.copy()) if mode == "LSTM" else (out, h_n)

    @staticmethod
    def backward(ctx, gout, ghn, gcn=None):
        xw, h0, c0, w, b, wr = ctx.saved_tensors
        needs = ctx.needs_input_grad[2:]  # xw, h0, c0, w, b, wr
        grads = RecurrenceGrad.apply(ctx.mode, ctx.reverse, needs, ctx.hs, ctx.cache,
                                     xw, h0, c0, w, b, wr, gout, ghn, gcn)
        grads = iter(grads if type(grads) is tuple else (grads,))
        return (None, None, *[next(grads) if n else None for n in needs])


class RecurrenceGrad(Function):
    """The gradients of ``Recurrence`` that ``needs`` asks for (of xw, h0, c0, w, b, wr), by
    backpropagation through time on arrays; ``hs`` and ``cache`` are the forward's.

    Its backward (second derivatives) differentiates the ``_step`` formula twice: on
    leaves of its own in a plain backward, and on the saved tensors themselves under
    ``create_graph=True``, so third and higher derivatives are exact too.
    """

    @staticmethod
    def forward(ctx, mode, reverse, needs, hs, cache, xw, h0, c0, w, b, wr, gout, ghn, gcn):
        xp = ctx.device.backend.xp
        ctx.mode, ctx.reverse, ctx.needs = mode, reverse, needs
        ctx.save_for_backward(xw, h0, c0, w, b, wr, gout, ghn, gcn)
        g = gout[::-1] if reverse else gout
        with _loop_threads(xp):
            if mode == "LSTM":
                res = _lstm_backward(xp, hs, cache, w, g, ghn, gcn, b, wr)
            elif mode == "GRU":
                res = _gru_backward(xp, hs, cache, w, g, ghn, None, b)
            else:
                res = _rnn_backward(xp, hs, cache, w, g, ghn, None, b, mode == "RNN_RELU")
        da, dh, dc, dgh, db, dwr = res
        if reverse:
            da = xp.ascontiguousarray(da[::-1])
        dw = _weight_grad(xp, hs, dgh) if needs[3] else None
        out = tuple(a for a, n in zip((da, dh, dc, dw, db, dwr), needs) if n)
        return out[0] if len(out) == 1 else out

    @staticmethod
    def backward(ctx, *ggs):
        higher = is_grad_enabled()  # create_graph: differentiate the live saved tensors
        saved = ctx.saved_tensors  # xw, h0, c0, w, b, wr, gout, ghn, gcn
        leaves = [a if higher or a is None else a.detach().requires_grad_(True)
                  for a in saved]
        xw, h0, c0, w, b, wr, gout, ghn, gcn = leaves
        wrt = [a for a, n in zip(leaves[:6], ctx.needs) if n]
        with enable_grad():
            outs = _tensor_sequence(ctx.mode, ctx.reverse, xw, h0, c0, w, b, wr)
            outs, seeds = zip(*[(o, s) for o, s in zip(outs, (gout, ghn, gcn))
                                if o is not None])
            first = ag.grad(list(outs), wrt, list(seeds), create_graph=True,
                            allow_unused=True)
            used = [(f, gg) for f, gg in zip(first, ggs) if f is not None and f.requires_grad]
            inputs = [a for a in leaves if a is not None and a.requires_grad]
            second = ag.grad([f for f, _ in used], inputs, [gg for _, gg in used],
                             create_graph=higher, allow_unused=True) \
                if used else [None] * len(inputs)
        second = iter(second)
        grads = [next(second) if a is not None and a.requires_grad else None for a in leaves]
        return (None, None, None, None, None, *grads)


def rnn_layer(mode: str, input: Tensor, hx: Tensor, cx: Tensor | None, w_ih: Tensor,
              w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None,
              reverse: bool = False, w_hr: Tensor | None = None) -> tuple:
    """One recurrent layer in one direction over a whole sequence.

    mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU". input (T, B, I); hx (B, P);
    cx (B, H) for LSTM else None; w_ih (G*H, I); w_hh (G*H, P); biases (G*H,);
    w_hr (P, H): LSTM's projection of the hidden state (proj_size P), or None (P = H).
    reverse=True runs from the last step to the first (outputs stay in time order).
    Returns ``(output (T, B, P), h_n)`` or, for LSTM, ``(output, h_n, c_n)``.
    """
    if mode not in _GATES:
        raise ValueError(f"rnn_layer: unknown mode {mode!r}; expected one of {list(_GATES)}")
    if input.ndim != 3:
        raise ValueError(f"rnn_layer: input must be (T, B, I), got shape {tuple(input.shape)}")
    T, B, I = input.shape
    if w_hr is not None and mode != "LSTM":
        raise ValueError(f"rnn_layer ({mode}): w_hr (a projection) is for LSTM only")
    H = w_hh.shape[-1] if w_hr is None else w_hr.shape[-1]
    P = w_hh.shape[-1]  # the size of h: H, or proj_size
    G = _GATES[mode] * H
    expected = {"w_ih": (w_ih, (G, I)), "w_hh": (w_hh, (G, P)), "hx": (hx, (B, P))}
    if mode == "LSTM":
        expected["cx"] = (cx, (B, H))
    if w_hr is not None:
        expected["w_hr"] = (w_hr, (P, H))
    for name, (t, shape) in expected.items():
        if t is None or tuple(t.shape) != shape:
            raise ValueError(f"rnn_layer ({mode}): {name} must have shape {shape} for input "
                             f"{tuple(input.shape)} and hidden size {H}, got "
                             f"{None if t is None else tuple(t.shape)}")
    xw = _project(mode, input.reshape(T * B, I), w_ih, b_ih, b_hh).reshape(T, B, G)
    b = b_hh if mode == "GRU" else None
    return Recurrence.apply(mode, bool(reverse), xw, hx, cx if mode == "LSTM" else None,
                            w_hh.mT, b, None if w_hr is None else w_hr.mT)


# --- modules ------------------------------------------------------------------------------


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (PyTorch's RNNBase).

    Parameters per layer ``k`` and direction (suffix ``_reverse`` for the backward one):
    ``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, P), ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` (G*H,), with G = 1 (RNN), 4 (LSTM) or 3 (GRU), and for an LSTM
    with ``proj_size`` > 0 ``weight_hr_l{k}`` (P, H), which projects each h_t to P =
    proj_size (P = H otherwise); ``in`` is input_size for layer 0 and P *
    num_directions above. All are drawn from U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to "
                             f"disable projections, got {proj_size!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN "
                             "or GRU")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if isinstance(dropout, bool) or not 0 <= float(dropout) <= 1:
            raise ValueError(f"{name}: dropout should be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} and num_layers=1: dropout applies "
                          "between layers only, so it has no effect", stacklevel=2)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        self.proj_size = proj_size
        real_hidden = proj_size or hidden_size  # the size of h
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else real_hidden * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih" + sfx, (gate, in_size)),
                          ("weight_hh" + sfx, (gate, real_hidden))]
                if bias:
                    shapes += [("bias_ih" + sfx, (gate,)), ("bias_hh" + sfx, (gate,))]
                if proj_size:
                    shapes.append(("weight_hr" + sfx, (proj_size, hidden_size)))
                for pname, shape in shapes:
                    setattr(self, pname, Parameter(ag.empty(*shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch compatibility (weights are never flattened here)."""

    @property
    def all_weights(self) -> list:
        """Per layer and direction, the list [w_ih, w_hh, (b_ih, b_hh), (w_hr)]."""
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        ws = [getattr(self, n) for n in self._flat_weights_names]
        return [ws[i:i + per] for i in range(0, len(ws), per)]

    def _weights(self, layer: int, d: int) -> tuple:
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w_ih, w_hh = getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)
        w_hr = getattr(self, "weight_hr" + sfx) if self.proj_size else None
        if self.bias:
            return (w_ih, w_hh, getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx),
                    w_hr)
        return w_ih, w_hh, None, None, w_hr

    def _check_input(self, input: Tensor) -> bool:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of 2 (unbatched) or 3 dimensions, got "
                             f"shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {input.shape[-1]} (input shape "
                             f"{tuple(input.shape)})")
        if input.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating point input, got {input.dtype}")
        return input.ndim == 3

    def _check_hidden(self, h: Tensor, expected: tuple, what: str, dtype) -> None:
        if tuple(h.shape) != expected:
            raise ValueError(f"{type(self).__name__}: expected {what} of shape {expected}, got "
                             f"{tuple(h.shape)}")
        if h.dtype != dtype:
            raise TypeError(f"{type(self).__name__}: {what} is {h.dtype} but the input is "
                            f"{dtype}; they must match")

    def forward(self, input: Tensor, hx=None):
        """input (T, B, I), (B, T, I) when batch_first, or unbatched (T, I).

        hx: (num_layers * num_directions, B, H) (LSTM: a pair (h_0, c_0)); zeros if
        None. Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``); output is
        (T, B, num_directions * H) (batch first when batch_first).
        """
        batched = self._check_input(input)
        is_lstm = self.mode == "LSTM"
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        T, B, _ = input.shape
        dirs = 2 if self.bidirectional else 1
        H = self.hidden_size
        shape = (self.num_layers * dirs, B, self.proj_size or H)
        c_shape = (self.num_layers * dirs, B, H)
        h0 = c0 = None
        if hx is not None:
            if is_lstm:
                if not isinstance(hx, tuple | list) or len(hx) != 2:
                    raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0 = hx
            if not batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            self._check_hidden(h0, shape, "hidden state h_0", input.dtype)
            if c0 is not None:
                self._check_hidden(c0, c_shape, "cell state c_0", input.dtype)
        if h0 is None:
            h0 = ag.zeros(*shape, dtype=input.dtype, device=input.device)
        if is_lstm and c0 is None:
            c0 = ag.zeros(*c_shape, dtype=input.dtype, device=input.device)
        h0s = ag.unbind(h0, 0) if h0.requires_grad else [h0[k] for k in range(shape[0])]
        c0s = None
        if is_lstm:
            c0s = ag.unbind(c0, 0) if c0.requires_grad else [c0[k] for k in range(shape[0])]
        h_n, c_n = [], []
        x = input
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, d)
                res = rnn_layer(self.mode, x, h0s[k], c0s[k] if is_lstm else None,
                                w_ih, w_hh, b_ih, b_hh, reverse=bool(d), w_hr=w_hr)
                outs.append(res[0])
                h_n.append(res[1])
                if is_lstm:
                    c_n.append(res[2])
            x = outs[0] if dirs == 1 else ag.cat(outs, dim=-1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = ag.stack(h_n, 0)
        c_n = ag.stack(c_n, 0) if is_lstm else None
        if not batched:
            x = x.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            x = x.transpose(0, 1)
        return (x, (h_n, c_n)) if is_lstm else (x, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or
    relu (``nonlinearity=``). See ``RNNBase`` for arguments, shapes and parameters."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 proj_size: int = 0):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or "
                             "'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o) as PyTorch:
    ``c_t = f*c_{t-1} + i*g``, ``h_t = o*tanh(c_t)``. Returns ``(output, (h_n, c_n))``.
    See ``RNNBase`` for arguments, shapes and parameters."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n) as PyTorch:
    ``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``, ``h' = (1-z)*n + z*h``.
    See ``RNNBase`` for arguments, shapes and parameters."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, proj_size: int = 0):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class RNNCellBase(Module):
    """Shared parameters of the cells: weight_ih (G*H, I), weight_hh (G*H, H),
    bias_ih, bias_hh (G*H,), all U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{type(self).__name__}: hidden_size must be a positive integer, "
                             f"got {hidden_size!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(ag.empty(g, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(ag.empty(g, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ag.empty(g, device=device, dtype=dtype))
            self.bias_hh = Parameter(ag.empty(g, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _prepare(self, input: Tensor, hx):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input of 1 (unbatched) or 2 dimensions, got "
                             f"shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has {input.shape[-1]} features, expected "
                             f"input_size={self.input_size}")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        B = input.shape[0]
        if hx is None:
            return input, None, batched, B
        hx = tuple(hx) if isinstance(hx, tuple | list) else (hx,)
        hx = tuple(h if batched else h.unsqueeze(0) for h in hx)
        for h in hx:
            if tuple(h.shape) != (B, self.hidden_size):
                raise ValueError(f"{name}: hidden state must have shape "
                                 f"{(B, self.hidden_size) if batched else (self.hidden_size,)}"
                                 f", got {tuple(h.shape) if batched else tuple(h.shape[1:])}")
        return input, hx, batched, B

    def _zeros(self, input: Tensor, B: int) -> Tensor:
        return ag.zeros(B, self.hidden_size, dtype=input.dtype, device=input.device)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"


class RNNCell(RNNCellBase):
    """One Elman step: input (B, I) or (I,), hx (B, H) or None -> h' (B, H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; expected "
                             "'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hx, batched, B = self._prepare(input, hx)
        h = hx[0] if hx is not None else self._zeros(x, B)
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        out = cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: input (B, I) or (I,), hx = (h, c) each (B, H) or None ->
    ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx=None) -> tuple:
        x, hx, batched, B = self._prepare(input, hx)
        if hx is None:
            hx = (self._zeros(x, B), self._zeros(x, B))
        elif len(hx) != 2:
            raise TypeError("LSTMCell: hx must be a tuple (h, c)")
        h, c = lstm_cell(x, hx[0], hx[1], self.weight_ih, self.weight_hh, self.bias_ih,
                         self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: input (B, I) or (I,), hx (B, H) or None -> h' (B, H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hx, batched, B = self._prepare(input, hx)
        h = hx[0] if hx is not None else self._zeros(x, B)
        out = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)
