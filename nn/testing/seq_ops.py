"""Registry entries for the sequence models (see opinfo.py): attention, the recurrent
cells, a 3-step recurrent layer per mode, multi-head attention and pad_sequence.

The NumPy references here are plain loops over time, written independently of the
implementation; ``tests/nn/test_rnn.py`` and ``test_attention.py`` reuse them.
"""

from __future__ import annotations

import numpy as np

from autograd.testing.opinfo import OpInfo, make_tensor, register

# --- NumPy references ----------------------------------------------------------------------


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v; a bool mask is True where attending is allowed."""
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return np_softmax(s) @ v


def np_rnn_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One step of mode "RNN_TANH", "RNN_RELU", "LSTM" or "GRU"; returns (h', c').
    ``w_hr`` (P, H): LSTM's projection of h' (proj_size)."""
    gx = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    H = gx.shape[-1] // {"LSTM": 4, "GRU": 3}.get(mode, 1)
    if mode == "LSTM":
        a = gx + gh
        i, f, g, o = (a[..., k * H:(k + 1) * H] for k in range(4))
        c = np_sigmoid(f) * c + np_sigmoid(i) * np.tanh(g)
        h = np_sigmoid(o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    if mode == "GRU":
        r = np_sigmoid(gx[..., :H] + gh[..., :H])
        z = np_sigmoid(gx[..., H:2 * H] + gh[..., H:2 * H])
        n = np.tanh(gx[..., 2 * H:] + r * gh[..., 2 * H:])
        return (1 - z) * n + z * h, None
    a = gx + gh
    return (np.maximum(a, 0) if mode == "RNN_RELU" else np.tanh(a)), None


def np_rnn_layer(mode, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False,
                 w_hr=None):
    """The whole sequence x (T, B, I), one step at a time; returns (out, h_n[, c_n])."""
    T = x.shape[0]
    out = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h, c = np_rnn_cell(mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh, w_hr)
        out[t] = h
    out = np.stack(out)
    return (out, h, c) if mode == "LSTM" else (out, h)


def np_mha(q, k, v, num_heads, w_in, b_in, w_out, b_out, key_padding_mask=None,
           attn_mask=None):
    """Multi-head attention on (L, N, E) inputs with PyTorch's conventions (bool masks
    True = blocked); returns (output (L, N, E), head-averaged weights (N, L, S))."""
    L, N, E = q.shape
    S = k.shape[0]
    hd = E // num_heads
    wq, wk, wv = np.split(w_in, 3)
    bq, bk, bv = np.split(b_in, 3)

    def heads(x, w, b, n):
        return (x @ w.T + b).reshape(n, N, num_heads, hd).transpose(1, 2, 0, 3)

    qh, kh, vh = heads(q, wq, bq, L), heads(k, wk, bk, S), heads(v, wv, bv, S)
    s = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(hd)
    if attn_mask is not None:
        s = np.where(attn_mask, -np.inf, s) if attn_mask.dtype == bool else s + attn_mask
    if key_padding_mask is not None:
        s = np.where(key_padding_mask[:, None, None, :], -np.inf, s)
    w = np_softmax(s)
    o = (w @ vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    return o @ w_out.T + b_out, w.mean(axis=1)


# --- registry entries ----------------------------------------------------------------------


def _t(rng, shape, dtype, device, low=-1.0, high=1.0, grad=True):
    return make_tensor(rng, shape, dtype, device, low, high, requires_grad=grad)


def _sdpa(**kw):
    def fn(q, k, v, *mask):
        from nn.functional import scaled_dot_product_attention

        return scaled_dot_product_attention(q, k, v, *mask, **kw)

    return fn


def _sdpa_ref(**kw):
    def ref(q, k, v, *mask):
        return np_sdpa(q, k, v, *mask, **kw)

    return ref


def _qkv(batch, L, S, E, Ev, mask=None):
    def make(rng, dtype, device):
        import autograd as ag

        args = [_t(rng, batch + (L, E), dtype, device), _t(rng, batch + (S, E), dtype, device),
                _t(rng, batch + (S, Ev), dtype, device)]
        if mask == "bool":
            m = rng.random((L, S)) > 0.3
            m[:, 0] = True  # every query keeps at least one key
            args.append(ag.tensor(m, device=device))
        elif mask == "float":
            args.append(_t(rng, (L, S), dtype, device))
        return tuple(args)

    return make


_CELL_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _cell_fn(mode):
    def fn(x, h, *rest):
        from nn import rnn

        if mode == "LSTM":
            c, *w = rest
            return rnn.lstm_cell(x, h, c, *w)
        cell = {"RNN_TANH": rnn.rnn_tanh_cell, "RNN_RELU": rnn.rnn_relu_cell,
                "GRU": rnn.gru_cell}[mode]
        return cell(x, h, *rest)

    return fn


def _cell_ref(mode):
    def ref(x, h, *rest):
        if mode == "LSTM":
            c, *w = rest
            return np_rnn_cell(mode, x, h, c, *w)
        return np_rnn_cell(mode, x, h, None, *rest)[0]

    return ref


def _cell_args(mode, B=2, I=3, H=2, seq=None):
    G = _CELL_GATES[mode] * H

    def make(rng, dtype, device):
        x = _t(rng, ((seq,) if seq else ()) + (B, I), dtype, device)
        args = [x, _t(rng, (B, H), dtype, device)]
        if mode == "LSTM":
            args.append(_t(rng, (B, H), dtype, device))
        args += [_t(rng, (G, I), dtype, device), _t(rng, (G, H), dtype, device),
                 _t(rng, (G,), dtype, device), _t(rng, (G,), dtype, device)]
        return tuple(args)

    return make


def _layer_fn(mode, reverse):
    def fn(x, h, *rest):
        from nn.rnn import rnn_layer

        c = None
        if mode == "LSTM":
            c, *rest = rest
        return rnn_layer(mode, x, h, c, *rest, reverse=reverse)

    return fn


def _layer_ref(mode, reverse):
    def ref(x, h, *rest):
        c = None
        if mode == "LSTM":
            c, *rest = rest
        return np_rnn_layer(mode, x, h, c, *rest, reverse=reverse)

    return ref


def _mha_fn(x_q, x_kv, w_in, b_in, w_out, b_out, kpm):
    from nn.functional import multi_head_attention_forward

    return multi_head_attention_forward(x_q, x_kv, x_kv, 4, 2, w_in, b_in, None, None, False,
                                        0.0, w_out, b_out, key_padding_mask=kpm)


def _mha_ref(x_q, x_kv, w_in, b_in, w_out, b_out, kpm):
    return np_mha(x_q, x_kv, x_kv, 2, w_in, b_in, w_out, b_out, key_padding_mask=kpm)


def _mha_args(rng, dtype, device):
    import autograd as ag

    kpm = np.zeros((2, 3), bool)
    kpm[1, 2] = True
    return (_t(rng, (2, 2, 4), dtype, device), _t(rng, (3, 2, 4), dtype, device),
            _t(rng, (12, 4), dtype, device), _t(rng, (12,), dtype, device),
            _t(rng, (4, 4), dtype, device), _t(rng, (4,), dtype, device),
            ag.tensor(kpm, device=device))


def _pad_fn(a, b, c):
    from nn.utils.rnn import pad_sequence

    return pad_sequence([a, b, c], batch_first=True, padding_value=-1.0)


def _pad_ref(a, b, c):
    out = np.full((3, 3, 2), -1.0)
    for i, s in enumerate((a, b, c)):
        out[i, :len(s)] = s
    return out


def _pad_args(rng, dtype, device):
    return tuple(_t(rng, (n, 2), dtype, device) for n in (2, 3, 1))


register(
    OpInfo("sdpa", _sdpa(), _qkv((2,), 3, 4, 3, 2), reference=_sdpa_ref(), group="seq"),
    OpInfo("sdpa/causal", _sdpa(is_causal=True), _qkv((1, 2), 3, 3, 2, 2),
           reference=_sdpa_ref(is_causal=True), group="seq"),
    OpInfo("sdpa/bool_mask", _sdpa(), _qkv((2,), 3, 4, 2, 2, mask="bool"),
           reference=_sdpa_ref(), group="seq"),
    OpInfo("sdpa/float_mask", _sdpa(), _qkv((2,), 3, 4, 2, 2, mask="float"),
           reference=_sdpa_ref(), group="seq"),
    OpInfo("sdpa/scale", _sdpa(scale=0.7), _qkv((), 3, 2, 2, 2),
           reference=_sdpa_ref(scale=0.7), group="seq"),
    OpInfo("multi_head_attention_forward", _mha_fn, _mha_args, reference=_mha_ref,
           group="seq"),
    OpInfo("pad_sequence", _pad_fn, _pad_args, reference=_pad_ref, group="seq"),
)


def _lstm_proj_args(rng, dtype, device, T=3, B=2, I=3, H=3, P=2):
    shapes = [(T, B, I), (B, P), (B, H), (4 * H, I), (4 * H, P), (4 * H,), (4 * H,), (P, H)]
    return tuple(_t(rng, s, dtype, device) for s in shapes)


def _lstm_proj_fn(reverse):
    def fn(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
        from nn.rnn import rnn_layer

        return rnn_layer("LSTM", x, h, c, w_ih, w_hh, b_ih, b_hh, reverse=reverse, w_hr=w_hr)

    return fn


def _lstm_proj_ref(reverse):
    def ref(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
        return np_rnn_layer("LSTM", x, h, c, w_ih, w_hh, b_ih, b_hh, reverse, w_hr)

    return ref


for _rev in (False, True):  # LSTM with proj_size: h_t projected by W_hr
    register(OpInfo("rnn_layer/lstm/proj" + ("/reverse" if _rev else ""), _lstm_proj_fn(_rev),
                    _lstm_proj_args, reference=_lstm_proj_ref(_rev), group="seq"))
for _mode in ("RNN_TANH", "RNN_RELU", "LSTM", "GRU"):
    register(OpInfo(f"rnn_cell/{_mode.lower()}", _cell_fn(_mode), _cell_args(_mode),
                    reference=_cell_ref(_mode), group="seq"))
    for _rev in (False, True):
        register(OpInfo(f"rnn_layer/{_mode.lower()}" + ("/reverse" if _rev else ""),
                        _layer_fn(_mode, _rev), _cell_args(_mode, seq=3),
                        reference=_layer_ref(_mode, _rev), group="seq"))
