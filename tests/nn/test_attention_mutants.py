"""Tests that kill the surviving mutants of nn/functional/attention.py (issue 18).

scaled_dot_product_attention and multi_head_attention_forward against a NumPy
reference with every option (separate projection weights, bias_k/bias_v, add_zero_attn,
static keys/values, bool/float masks, causal, unbatched inputs, the weights' forms), and
every refusal's whole message. A second device is the emulated CUDA device of
``tests/backends/test_cupy_backend.py``. No test needs torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from nn.testing.seq_ops import np_sdpa, np_softmax

try:
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    emulated_cuda = None

RNG = np.random.default_rng(2718)
E, H = 4, 2


def _t(a):
    return ag.tensor(np.asarray(a, np.float64))


def _mha_ref(q, k, v, p, bias_kv=None, zero_attn=False, static=(None, None), attn_mask=None,
             kpm=None, causal=False):
    """PyTorch's multi-head attention on (L, N, E) inputs: bool masks True = blocked;
    returns (output, per-head weights (N, H, L, S))."""
    L, N, _ = q.shape
    hd = E // H
    wq, wk, wv = p["w"]
    bq, bk, bv = p["b"]

    def proj(x, w, b):
        return x @ w.T + b

    kk, vv = proj(k, wk, bk), proj(v, wv, bv)
    masks = [m for m in (attn_mask, kpm) if m is not None]
    if bias_kv is not None:
        kk = np.concatenate([kk, np.broadcast_to(bias_kv[0].reshape(1, 1, E), (1, N, E))])
        vv = np.concatenate([vv, np.broadcast_to(bias_kv[1].reshape(1, 1, E), (1, N, E))])

    def heads(x):
        return x.reshape(x.shape[0], N, H, hd).transpose(1, 2, 0, 3)

    qh = heads(proj(q, wq, bq))
    kh = heads(kk) if static[0] is None else static[0].reshape(N, H, -1, hd)
    vh = heads(vv) if static[1] is None else static[1].reshape(N, H, -1, hd)
    if zero_attn:
        kh = np.concatenate([kh, np.zeros(kh.shape[:2] + (1, hd))], 2)
        vh = np.concatenate([vh, np.zeros(vh.shape[:2] + (1, hd))], 2)
    S = kh.shape[2]
    s = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(hd)
    if causal:
        s = np.where(np.triu(np.ones((L, S), bool), 1), -np.inf, s)
    if attn_mask is not None:
        m = np.pad(attn_mask, [(0, 0)] * (attn_mask.ndim - 1) + [(0, S - attn_mask.shape[-1])])
        m = m.reshape((1, 1, L, S) if m.ndim == 2 else (N, H, L, S))
        s = np.where(m, -np.inf, s) if m.dtype == bool else s + m
    if kpm is not None:
        m = np.pad(kpm, [(0, 0), (0, S - kpm.shape[-1])]).reshape(N, 1, 1, S)
        s = np.where(m, -np.inf, s) if m.dtype == bool else s + m
    del masks
    w = np_softmax(s)
    o = (w @ vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    return o @ p["ow"].T + p["ob"], w


def _params(separate=False):
    w = [RNG.standard_normal((E, E)) * 0.5 for _ in range(3)]
    b = [RNG.standard_normal(E) * 0.1 for _ in range(3)]
    return {"w": w, "b": b, "ow": RNG.standard_normal((E, E)) * 0.5,
            "ob": RNG.standard_normal(E) * 0.1, "separate": separate}


def _call(q, k, v, p, **kw):
    args = dict(embed_dim_to_check=E, num_heads=H, in_proj_bias=_t(np.concatenate(p["b"])),
                out_proj_weight=_t(p["ow"]), out_proj_bias=_t(p["ob"]))
    if p["separate"]:
        args.update(in_proj_weight=None, use_separate_proj_weight=True,
                    q_proj_weight=_t(p["w"][0]), k_proj_weight=_t(p["w"][1]),
                    v_proj_weight=_t(p["w"][2]))
    else:
        args.update(in_proj_weight=_t(np.concatenate(p["w"])))
    args.update(kw)
    return F.multi_head_attention_forward(q, k, v, **args)


@pytest.mark.parametrize("separate", [False, True])
@pytest.mark.parametrize("option", ["plain", "bias_kv", "zero_attn", "both", "causal"])
def test_mha_options_match_the_reference(separate, option):
    """Output and per-head weights with each option, masks padded for the added key
    columns (kills `_pad_key_axis` mutants, `S += 1` changes, the zero key's shape, the
    separate-weight projections and bias chunks, `is_causal` building `triu(..., 1)`)."""
    p = _params(separate)
    q, k, v = (RNG.standard_normal((3, 2, E)) for _ in range(3))
    bias_kv = (RNG.standard_normal((1, 1, E)), RNG.standard_normal((1, 1, E))) \
        if option in ("bias_kv", "both") else None
    zero = option in ("zero_attn", "both")
    am = RNG.standard_normal((3, 3)) if option != "causal" else None
    kpm = np.array([[False, False, True], [False, True, False]]) if option != "causal" \
        else None
    kw = dict(add_zero_attn=zero, attn_mask=None if am is None else _t(am),
              key_padding_mask=None if kpm is None else ag.tensor(kpm),
              average_attn_weights=False, is_causal=option == "causal")
    if bias_kv is not None:
        kw.update(bias_k=_t(bias_kv[0]), bias_v=_t(bias_kv[1]))
    out, w = _call(_t(q), _t(k), _t(v), p, **kw)
    ref_out, ref_w = _mha_ref(q, k, v, p, bias_kv=bias_kv, zero_attn=zero, attn_mask=am,
                              kpm=kpm, causal=option == "causal")
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-10, atol=1e-12)


def test_mha_static_keys_and_values():
    """static_k/static_v (N*heads, S', hd) replace the projected keys/values, with a
    3-D float attn_mask (N*heads, L, S') and head-averaged weights."""
    p = _params(True)
    q, k, v = (RNG.standard_normal((3, 2, E)) for _ in range(3))
    sk, sv = RNG.standard_normal((4, 5, 2)), RNG.standard_normal((4, 5, 2))
    am = RNG.standard_normal((4, 3, 5))
    out, w = _call(_t(q), _t(k), _t(v), p, static_k=_t(sk), static_v=_t(sv), attn_mask=_t(am))
    ref_out, ref_w = _mha_ref(q, k, v, p, static=(sk, sv), attn_mask=am)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w.mean(1), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["bool", "float", "mixed"])
def test_mha_masks_merge(kind):
    """A 2-D attn_mask and a key_padding_mask merged: both bool (logical or), both float
    (added), or one of each (the bool one as 0/-inf, the float one cast)."""
    p = _params()
    q, kv = RNG.standard_normal((3, 2, E)), RNG.standard_normal((4, 2, E))
    am = np.triu(np.ones((3, 4), bool), 2) if kind != "float" else RNG.standard_normal((3, 4))
    kpm = np.array([[False, False, False, True], [True, False, False, False]])
    if kind == "float":
        kpm = np.where(kpm, -2.5, 0.0)
    out, w = _call(_t(q), _t(kv), _t(kv), p, attn_mask=ag.tensor(am),
                   key_padding_mask=ag.tensor(kpm))
    ref_out, ref_w = _mha_ref(q, kv, kv, p, attn_mask=am, kpm=kpm)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w.mean(1), rtol=1e-10, atol=1e-12)


def test_mha_unbatched_with_a_padding_mask_and_no_weights():
    """An unbatched (L, E) call: the (S,) key_padding_mask gains the batch axis, the
    outputs lose it; need_weights=False returns None for the weights."""
    p = _params()
    q, kv = RNG.standard_normal((3, E)), RNG.standard_normal((4, E))
    kpm = np.array([False, True, False, False])
    out, w = _call(_t(q), _t(kv), _t(kv), p, key_padding_mask=kpm.tolist())
    ref_out, ref_w = _mha_ref(q[:, None], kv[:, None], kv[:, None], p, kpm=kpm[None])
    assert out.shape == (3, E) and w.shape == (3, 4)
    np.testing.assert_allclose(out.numpy(), ref_out[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w.mean(1)[0], rtol=1e-10, atol=1e-12)
    out2, none = _call(_t(q), _t(kv), _t(kv), p, key_padding_mask=kpm.tolist(),
                       need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.numpy(), ref_out[:, 0], rtol=1e-10, atol=1e-12)
    out3, none = _call(_t(q[:, None]), _t(kv[:, None]), _t(kv[:, None]), p,
                       need_weights=False)
    assert none is None and out3.shape == (3, 1, E)


def test_mha_self_attention_packed_projection():
    """query is key is value: one packed projection, chunked (the same values as three)."""
    p = _params()
    x = RNG.standard_normal((3, 2, E))
    t = _t(x)
    out, w = _call(t, t, t, p)
    ref_out, ref_w = _mha_ref(x, x, x, p)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)


def test_dropout_only_in_training_and_only_above_zero():
    """dropout_p > 0 changes the weights only while training; `p <= 0` is no dropout
    (kills `p < 0.0`: a zero-probability dropout would still rescale by 1/(1-0) = 1 but
    draw random numbers) and `not training` (kills `and`)."""
    p = _params()
    q, kv = RNG.standard_normal((3, 2, E)), RNG.standard_normal((4, 2, E))
    ref_out, _ = _mha_ref(q, kv, kv, p)
    out, _ = _call(_t(q), _t(kv), _t(kv), p, dropout_p=0.9, training=False)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    ag.manual_seed(0)
    out, w = _call(_t(q), _t(kv), _t(kv), p, dropout_p=0.5, training=True,
                   average_attn_weights=False)
    assert not np.allclose(out.numpy(), ref_out)
    assert set(np.unique(np.round(w.numpy(), 12))) - {0.0}  # kept weights scaled by 2
    qs, ks, vs = (RNG.standard_normal((2, 3, 4)) for _ in range(3))
    plain = F.scaled_dot_product_attention(_t(qs), _t(ks), _t(vs), dropout_p=0.0)
    np.testing.assert_allclose(plain.numpy(), np_sdpa(qs, ks, vs), rtol=1e-12)


@pytest.mark.parametrize("mask", ["list_bool", "array_float"])
def test_sdpa_masks_given_as_lists_and_arrays(mask):
    """A bool mask as a nested list and a float mask as a NumPy array (converted on the
    query's device), broadcast over the batch."""
    q, k, v = (RNG.standard_normal((2, 3, 4)) for _ in range(3))
    if mask == "list_bool":
        m = np.array([[True, False, True], [True, True, False], [False, True, True]])
        out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), attn_mask=m.tolist())
    else:
        m = RNG.standard_normal((3, 3))
        out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), attn_mask=m)
    np.testing.assert_allclose(out.numpy(), np_sdpa(q, k, v, mask=m), rtol=1e-12)


def test_a_float32_mask_on_float64_scores():
    """A float32 additive mask is cast to the scores' dtype (float64 result)."""
    q, k, v = (RNG.standard_normal((3, 4)) for _ in range(3))
    m = RNG.standard_normal((3, 3)).astype(np.float32)
    out = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), attn_mask=ag.tensor(m))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), np_sdpa(q, k, v, mask=m.astype(np.float64)),
                               rtol=1e-12)


def test_masks_on_another_device_are_refused(request):
    """A mask on the emulated GPU with CPU inputs: both devices named (whole message)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    q = _t(RNG.standard_normal((3, 4)))
    with pytest.raises(ag.DeviceMismatchError) as info:
        F.scaled_dot_product_attention(q, q, q, attn_mask=ag.ones(3, 3).to(dev))
    assert str(info.value) == (f"scaled_dot_product_attention: mask is on {dev} but the "
                               "inputs are on cpu")
    x = _t(RNG.standard_normal((3, 1, E))).to(dev)
    p = {k: [_t(a).to(dev) for a in v] if isinstance(v, list) else v
         for k, v in _params().items()}
    out, w = F.multi_head_attention_forward(
        x, x, x, E, H, ag.cat(p["w"]), ag.cat(p["b"]), out_proj_weight=p["w"][0],
        out_proj_bias=p["b"][0], attn_mask=np.zeros((3, 3), bool).tolist(), is_causal=True)
    assert out.device is dev and w.device is dev


def test_float32_inputs_with_float64_masks_stay_float32():
    """Float masks are cast to the scores' dtype, bool ones become 0/-inf of that dtype,
    and the zero key of add_zero_attn takes the keys' dtype: float32 inputs give float32
    outputs (kills `.to(None)`, `dtype = None` in _merge_masks, `_additive(..., None)`,
    `_blocked(..., None)` and the zero key's `dtype=None` / dropped)."""
    q, k, v = (RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(3))
    m = RNG.standard_normal((3, 3))
    out = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v),
                                         attn_mask=ag.tensor(m))
    assert out.dtype == np.float32
    p = _params()
    x = RNG.standard_normal((3, 2, E)).astype(np.float32)
    f32 = {"in_proj_weight": ag.tensor(np.concatenate(p["w"]).astype(np.float32)),
           "in_proj_bias": ag.tensor(np.concatenate(p["b"]).astype(np.float32)),
           "out_proj_weight": ag.tensor(p["ow"].astype(np.float32)),
           "out_proj_bias": ag.tensor(p["ob"].astype(np.float32))}
    for masks in ({"attn_mask": _t(RNG.standard_normal((3, 3))),
                   "key_padding_mask": ag.tensor(np.array([[False, True, False]] * 2))},
                  {"attn_mask": ag.tensor(np.triu(np.ones((3, 3), bool), 1)),
                   "key_padding_mask": _t(np.zeros((2, 3)))},
                  {"key_padding_mask": _t(np.zeros((2, 3))), "add_zero_attn": True}):
        out, w = F.multi_head_attention_forward(ag.tensor(x), ag.tensor(x), ag.tensor(x), E,
                                                H, **f32, **masks)
        assert out.dtype == np.float32 and w.dtype == np.float32


def test_mha_without_input_bias():
    """in_proj_bias=None, packed and separate weights (kills `b_q = b_k = b_v = ""`)."""
    for separate in (False, True):
        p = _params(separate)
        p["b"] = [np.zeros(E)] * 3
        q, kv = RNG.standard_normal((3, 2, E)), RNG.standard_normal((4, 2, E))
        out, _ = _call(_t(q), _t(kv), _t(kv), p, in_proj_bias=None)
        np.testing.assert_allclose(out.numpy(), _mha_ref(q, kv, kv, p)[0], rtol=1e-10,
                                   atol=1e-12)


def test_dropout_defaults_to_training():
    """multi_head_attention_forward trains by default (kills `training=False`), and sdpa
    always applies its dropout_p (kills `_dropout`'s `training=False` default)."""
    p = _params()
    q, kv = RNG.standard_normal((3, 2, E)), RNG.standard_normal((4, 2, E))
    ref_out, _ = _mha_ref(q, kv, kv, p)
    ag.manual_seed(1)
    out, _ = _call(_t(q), _t(kv), _t(kv), p, dropout_p=0.5)
    assert not np.allclose(out.numpy(), ref_out)
    qs, ks, vs = (RNG.standard_normal((2, 3, 4)) for _ in range(3))
    ag.manual_seed(1)
    dropped = F.scaled_dot_product_attention(_t(qs), _t(ks), _t(vs), dropout_p=0.5)
    assert not np.allclose(dropped.numpy(), np_sdpa(qs, ks, vs))


def test_unbatched_single_query_keeps_its_axes():
    """Unbatched with L = 1: the output is (1, E) and the weights (1, S) (kills
    `squeeze(None)`, which would drop the length-1 query axis too)."""
    p = _params()
    q, kv = RNG.standard_normal((1, E)), RNG.standard_normal((3, E))
    out, w = _call(_t(q), _t(kv), _t(kv), p)
    assert out.shape == (1, E) and w.shape == (1, 3)
    ref_out, ref_w = _mha_ref(q[:, None], kv[:, None], kv[:, None], p)
    np.testing.assert_allclose(out.numpy(), ref_out[:, 0], rtol=1e-10, atol=1e-12)
    out, none = _call(_t(q), _t(kv), _t(kv), p, need_weights=False)
    assert out.shape == (1, E) and none is None


@pytest.mark.parametrize("which, option", [("attn_mask", None), ("key_padding_mask", None),
                                           ("attn_mask", "bias"), ("key_padding_mask", "bias"),
                                           ("attn_mask", "zero"), ("key_padding_mask", "zero"),
                                           ("key_padding_mask", "unbatched")])
def test_mha_masks_on_another_device_name_the_op(request, which, option):
    """A mask on the emulated GPU with CPU inputs is refused under
    multi_head_attention_forward's name on every path that converts it (kills the op
    names passed as None to `_as_tensor_like` and `_pad_key_axis`)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    p = _params()
    n = 1 if option == "unbatched" else 2
    q = _t(RNG.standard_normal((3, E) if option == "unbatched" else (3, n, E)))
    mask = ag.zeros(3, 3) if which == "attn_mask" else ag.zeros(n, 3)
    if option == "unbatched":
        mask = ag.zeros(3)
    kw = {which: mask.to(dev)}
    if option == "bias":
        kw.update(bias_k=_t(np.zeros((1, 1, E))), bias_v=_t(np.zeros((1, 1, E))))
    if option == "zero":
        kw.update(add_zero_attn=True)
    with pytest.raises(ag.DeviceMismatchError) as info:
        _call(q, q, q, p, **kw)
    assert str(info.value) == (f"multi_head_attention_forward: mask is on {dev} but the "
                               "inputs are on cpu")


def test_zero_attention_key_on_the_emulated_gpu(request):
    """The zero key/value of add_zero_attn is made on the keys' device (kills
    `device=None` / dropped)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    p = _params()
    q = RNG.standard_normal((3, 2, E))
    out, w = _call(_t(q).to(dev), _t(q).to(dev), _t(q).to(dev),
                   {k: v for k, v in p.items()}, add_zero_attn=True,
                   in_proj_weight=_t(np.concatenate(p["w"])).to(dev),
                   in_proj_bias=_t(np.concatenate(p["b"])).to(dev),
                   out_proj_weight=_t(p["ow"]).to(dev), out_proj_bias=_t(p["ob"]).to(dev))
    assert out.device is dev
    np.testing.assert_allclose(out.cpu().numpy(), _mha_ref(q, q, q, p, zero_attn=True)[0],
                               rtol=1e-10, atol=1e-12)


def _r(*s):
    return ag.tensor(np.ones(s))


def _m(q, k, v, **kw):
    args = dict(embed_dim_to_check=E, num_heads=H, in_proj_weight=_r(12, 4),
                in_proj_bias=_r(12), out_proj_weight=_r(4, 4), out_proj_bias=_r(4))
    args.update(kw)
    return F.multi_head_attention_forward(q, k, v, **args)


_SEP = dict(use_separate_proj_weight=True, q_proj_weight=_r(4, 4), k_proj_weight=_r(4, 4),
            v_proj_weight=_r(4, 4))
_MHA = "multi_head_attention_forward"
_SD = "scaled_dot_product_attention"
ERRORS = {
    "sd_q": (lambda: F.scaled_dot_product_attention([1.0], _r(2, 3), _r(2, 3)), TypeError, f"{_SD}: query must be a Tensor, got list"),  # noqa: E501
    "sd_k": (lambda: F.scaled_dot_product_attention(_r(2, 3), np.ones((2, 3)), _r(2, 3)), TypeError, f"{_SD}: key must be a Tensor, got ndarray"),  # noqa: E501
    "sd_v_nd": (lambda: F.scaled_dot_product_attention(_r(2, 3), _r(2, 3), _r(3)), ValueError, f"{_SD}: value needs at least 2 dimensions (..., seq, features), got shape (3,)"),  # noqa: E501
    "sd_q_nd": (lambda: F.scaled_dot_product_attention(_r(3), _r(2, 3), _r(2, 3)), ValueError, f"{_SD}: query needs at least 2 dimensions (..., seq, features), got shape (3,)"),  # noqa: E501
    "sd_e": (lambda: F.scaled_dot_product_attention(_r(2, 3), _r(2, 4), _r(2, 3)), ValueError, f"{_SD}: query (2, 3) and key (2, 4) must have the same last dimension (the embedding size)"),  # noqa: E501
    "sd_s": (lambda: F.scaled_dot_product_attention(_r(2, 3), _r(2, 3), _r(3, 3)), ValueError, f"{_SD}: key (2, 3) and value (3, 3) must have the same sequence length (dimension -2)"),  # noqa: E501
    "sd_both": (lambda: F.scaled_dot_product_attention(_r(2, 3), _r(2, 3), _r(2, 3), attn_mask=_r(2, 2), is_causal=True), ValueError, f"{_SD}: pass either attn_mask or is_causal=True, not both"),  # noqa: E501
    "sd_mask": (lambda: F.scaled_dot_product_attention(_r(2, 3), _r(2, 3), _r(2, 3), attn_mask=_r(3, 2)), ValueError, f"{_SD}: attn_mask of shape (3, 2) does not broadcast to the scores' shape (2, 2)"),  # noqa: E501
    "m_bias": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 1, 4), bias_k=_r(1, 1, 4)), ValueError, f"{_MHA}: give both bias_k and bias_v or neither"),  # noqa: E501
    "m_bias2": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 1, 4), bias_v=_r(1, 1, 4)), ValueError, f"{_MHA}: give both bias_k and bias_v or neither"),  # noqa: E501
    "m_bias_static": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 1, 4), bias_k=_r(1, 1, 4), bias_v=_r(1, 1, 4), static_k=_r(2, 2, 2)), ValueError, f"{_MHA}: bias_k/bias_v cannot be added to static_k/static_v"),  # noqa: E501
    "m_bias_static_v": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 1, 4), bias_k=_r(1, 1, 4), bias_v=_r(1, 1, 4), static_v=_r(2, 2, 2)), ValueError, f"{_MHA}: bias_k/bias_v cannot be added to static_k/static_v"),  # noqa: E501
    "m_unb": (lambda: _m(_r(2, 4), _r(2, 1, 4), _r(2, 4)), ValueError, f"{_MHA}: unbatched query (2, 4) needs 2-D key and value, got (2, 1, 4) and (2, 4)"),  # noqa: E501
    "m_unb_v": (lambda: _m(_r(2, 4), _r(2, 4), _r(2, 1, 4)), ValueError, f"{_MHA}: unbatched query (2, 4) needs 2-D key and value, got (2, 4) and (2, 1, 4)"),  # noqa: E501
    "m_nd": (lambda: _m(_r(2, 1, 1, 4), _r(2, 1, 4), _r(2, 1, 4)), ValueError, f"{_MHA}: expected 3-D (seq, batch, features) query/key/value, got (2, 1, 1, 4), (2, 1, 4), (2, 1, 4)"),  # noqa: E501
    "m_nd_k": (lambda: _m(_r(2, 1, 4), _r(2, 4), _r(2, 1, 4)), ValueError, f"{_MHA}: expected 3-D (seq, batch, features) query/key/value, got (2, 1, 4), (2, 4), (2, 1, 4)"),  # noqa: E501
    "m_nd_v": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 4)), ValueError, f"{_MHA}: expected 3-D (seq, batch, features) query/key/value, got (2, 1, 4), (2, 1, 4), (2, 4)"),  # noqa: E501
    "m_E": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 1, 4), embed_dim_to_check=6), ValueError, f"{_MHA}: query has embedding size 4, expected 6"),  # noqa: E501
    "m_kv": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(2, 1, 4)), ValueError, f"{_MHA}: key (3, 1, 4) and value (2, 1, 4) must share (source length, batch=1)"),  # noqa: E501
    "m_kv_n": (lambda: _m(_r(2, 1, 4), _r(3, 2, 4), _r(3, 2, 4)), ValueError, f"{_MHA}: key (3, 2, 4) and value (3, 2, 4) must share (source length, batch=1)"),  # noqa: E501
    "m_heads": (lambda: _m(_r(2, 1, 4), _r(2, 1, 4), _r(2, 1, 4), num_heads=3), ValueError, f"{_MHA}: embed_dim 4 is not divisible by num_heads 3"),  # noqa: E501
    "m_am2": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), attn_mask=_r(3, 2)), ValueError, f"{_MHA}: 2-D attn_mask must have shape (2, 3), got (3, 2)"),  # noqa: E501
    "m_am3": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), attn_mask=_r(1, 2, 3)), ValueError, f"{_MHA}: 3-D attn_mask must have shape (2, 2, 3), got (1, 2, 3)"),  # noqa: E501
    "m_am4": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), attn_mask=_r(1, 1, 2, 3)), ValueError, f"{_MHA}: attn_mask must be 2-D or 3-D, got shape (1, 1, 2, 3)"),  # noqa: E501
    "m_kpm": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), key_padding_mask=_r(1, 2)), ValueError, f"{_MHA}: key_padding_mask must have shape (1, 3) (batch, source length), got (1, 2)"),  # noqa: E501
    "m_static": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), **_SEP, static_k=_r(2, 3, 3)), ValueError, f"{_MHA}: expected static_k of shape (2, S, 2) (batch*heads, source length, head_dim), got (2, 3, 3)"),  # noqa: E501
    "m_static_v": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), **_SEP, static_v=_r(2, 3, 3)), ValueError, f"{_MHA}: expected static_v of shape (2, S, 2) (batch*heads, source length, head_dim), got (2, 3, 3)"),  # noqa: E501
    "m_static_list": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), **_SEP, static_k=[[1.0]]), ValueError, f"{_MHA}: expected static_k of shape (2, S, 2) (batch*heads, source length, head_dim), got ()"),  # noqa: E501
    "m_static_n": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), **_SEP, static_k=_r(3, 3, 2)), ValueError, f"{_MHA}: expected static_k of shape (2, S, 2) (batch*heads, source length, head_dim), got (3, 3, 2)"),  # noqa: E501
    "m_static_nd": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), **_SEP, static_k=_r(2, 3, 2, 1)), ValueError, f"{_MHA}: expected static_k of shape (2, S, 2) (batch*heads, source length, head_dim), got (2, 3, 2, 1)"),  # noqa: E501
    "m_static_len": (lambda: _m(_r(2, 1, 4), _r(3, 1, 4), _r(3, 1, 4), **_SEP, static_k=_r(2, 5, 2)), ValueError, f"{_MHA}: keys (5) and values (3) have different source lengths"),  # noqa: E501
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_messages_are_exact(name):
    """Whole messages: kills the op and argument names (renamed, upper-cased, None), the
    `None` messages, `getattr(t, 'shape', ...)` defaults, and `and` for `or` in the checks
    (each case breaks one operand of an `or`)."""
    call, exc, message = ERRORS[name]
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message
