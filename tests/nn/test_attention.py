"""scaled_dot_product_attention and MultiheadAttention: NumPy references, masks,
PyTorch parity, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn.testing.seq_ops import np_mha, np_sdpa


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def test_sdpa_by_hand_one_query():
    q = np.array([[1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[10.0], [20.0]])
    s = np.array([1.0, 0.0]) / math.sqrt(2)
    w = np.exp(s) / np.exp(s).sum()
    out = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v))
    assert out.item() == pytest.approx(w @ v[:, 0], abs=1e-12)


@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float", "scale"])
def test_sdpa_matches_numpy(kind):
    q, k, v = _rand(2, 3, 4, 5, seed=1), _rand(2, 3, 4, 5, seed=2), _rand(2, 3, 4, 6, seed=3)
    kw, ref_kw = {}, {}
    if kind == "causal":
        kw = ref_kw = {"is_causal": True}
    elif kind == "bool":
        m = _rand(4, 4, seed=4) > 0
        m[:, 0] = True
        kw, ref_kw = {"attn_mask": ag.tensor(m)}, {"mask": m}
    elif kind == "float":
        m = _rand(4, 4, seed=4)
        kw, ref_kw = {"attn_mask": ag.tensor(m)}, {"mask": m}
    elif kind == "scale":
        kw = ref_kw = {"scale": 0.3}
    out = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v), **kw)
    assert tuple(out.shape) == (2, 3, 4, 6)
    np.testing.assert_allclose(out.numpy(), np_sdpa(q, k, v, **ref_kw), atol=1e-12)


def test_sdpa_causal_ignores_future_keys():
    q, k, v = _rand(1, 5, 3, seed=1), _rand(1, 5, 3, seed=2), _rand(1, 5, 2, seed=3)
    a = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v), is_causal=True)
    k2, v2 = k.copy(), v.copy()
    k2[:, 3:] += 5.0
    v2[:, 3:] -= 7.0
    b = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k2), ag.tensor(v2),
                                       is_causal=True)
    np.testing.assert_allclose(a.numpy()[:, :3], b.numpy()[:, :3], atol=1e-12)
    assert not np.allclose(a.numpy()[:, 3:], b.numpy()[:, 3:])


def test_sdpa_errors():
    q = ag.randn(2, 3, 4)
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ag.ones(3, 3), is_causal=True)
    with pytest.raises(ValueError, match="same last dimension"):
        F.scaled_dot_product_attention(q, ag.randn(2, 3, 5), q)
    with pytest.raises(ValueError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ag.ones(2, 2))


def test_sdpa_matches_torch():
    torch = pytest.importorskip("torch")
    q, k, v = _rand(2, 2, 4, 3, seed=1), _rand(2, 2, 5, 3, seed=2), _rand(2, 2, 5, 2, seed=3)
    m = _rand(4, 5, seed=4) > -0.5
    m[:, 0] = True
    for kw in ({}, {"attn_mask": m}, {"is_causal": True}, {"scale": 0.5}):
        ours = F.scaled_dot_product_attention(
            ag.tensor(q), ag.tensor(k), ag.tensor(v),
            **{a: ag.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()})
        theirs = torch.nn.functional.scaled_dot_product_attention(
            torch.tensor(q), torch.tensor(k), torch.tensor(v),
            **{a: torch.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()})
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)


def _mha(batch_first=False, **kw):
    ag.manual_seed(0)
    return nn.MultiheadAttention(8, 2, batch_first=batch_first, **kw).double()


def _params(m):
    p = {k: v.numpy() for k, v in m.named_parameters()}
    return p["in_proj_weight"], p["in_proj_bias"], p["out_proj.weight"], p["out_proj.bias"]


def test_mha_parameters_follow_torch():
    m = nn.MultiheadAttention(8, 2)
    shapes = {k: tuple(v.shape) for k, v in m.named_parameters()}
    assert shapes == {"in_proj_weight": (24, 8), "in_proj_bias": (24,),
                      "out_proj.weight": (8, 8), "out_proj.bias": (8,)}
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform on (3E, E)
    assert np.abs(m.in_proj_weight.numpy()).max() <= bound
    m2 = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert {k: tuple(v.shape) for k, v in m2.named_parameters()} == {
        "q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5),
        "out_proj.weight": (8, 8)}
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)


@pytest.mark.parametrize("masks", ["none", "padding", "bool_attn", "float_attn"])
def test_mha_matches_numpy(masks):
    m = _mha()
    q, kv = _rand(4, 3, 8, seed=1), _rand(5, 3, 8, seed=2)
    kpm = am = None
    if masks == "padding":
        kpm = np.zeros((3, 5), bool)
        kpm[1, 3:] = True
    elif masks == "bool_attn":
        am = np.triu(np.ones((4, 5), bool), 2)
    elif masks == "float_attn":
        am = _rand(4, 5, seed=3)
    out, w = m(ag.tensor(q), ag.tensor(kv), ag.tensor(kv),
               key_padding_mask=None if kpm is None else ag.tensor(kpm),
               attn_mask=None if am is None else ag.tensor(am))
    ref_out, ref_w = np_mha(q, kv, kv, 2, *_params(m), key_padding_mask=kpm, attn_mask=am)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)


def test_mha_batch_first_unbatched_and_weights_options():
    m = _mha(batch_first=True)
    x = _rand(3, 4, 8, seed=1)  # (N, L, E)
    out, w = m(ag.tensor(x), ag.tensor(x), ag.tensor(x))
    ref_out, ref_w = np_mha(x.swapaxes(0, 1), *(x.swapaxes(0, 1),) * 2, 2, *_params(m))
    np.testing.assert_allclose(out.numpy(), ref_out.swapaxes(0, 1), atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)
    t = ag.tensor(x)
    out2, none = m(t, t, t, need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.numpy(), out.numpy(), atol=1e-12)
    _, per_head = m(t, t, t, average_attn_weights=False)
    assert tuple(per_head.shape) == (3, 2, 4, 4)
    np.testing.assert_allclose(per_head.numpy().sum(-1), 1.0, atol=1e-12)
    # unbatched (L, E) gives the batch-of-one result without the batch dimension
    u = ag.tensor(x[0])
    out_u, w_u = m(u, u, u)
    np.testing.assert_allclose(out_u.numpy(), out.numpy()[0], atol=1e-12)
    np.testing.assert_allclose(w_u.numpy(), w.numpy()[0], atol=1e-12)


def test_mha_padded_keys_do_not_change_outputs():
    """Keys masked out by key_padding_mask change nothing: padded and unpadded inputs
    give the same outputs."""
    m = _mha()
    q, kv = _rand(4, 1, 8, seed=1), _rand(3, 1, 8, seed=2)
    short, _ = m(ag.tensor(q), ag.tensor(kv), ag.tensor(kv))
    padded = np.concatenate([kv, 100 * _rand(2, 1, 8, seed=3)])
    kpm = np.array([[False, False, False, True, True]])
    long, w = m(ag.tensor(q), ag.tensor(padded), ag.tensor(padded),
                key_padding_mask=ag.tensor(kpm))
    np.testing.assert_allclose(long.numpy(), short.numpy(), atol=1e-12)
    assert np.all(w.numpy()[..., 3:] == 0)


def test_mha_float_padding_mask_equals_bool():
    m = _mha()
    x = ag.tensor(_rand(4, 2, 8, seed=1))
    kpm = np.zeros((2, 4), bool)
    kpm[0, 2:] = True
    a, _ = m(x, x, x, key_padding_mask=ag.tensor(kpm))
    b, _ = m(x, x, x, key_padding_mask=ag.tensor(np.where(kpm, -np.inf, 0.0)))
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_matches_torch(batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, kdim=3, vdim=5).double()
    m = nn.MultiheadAttention(8, 2, batch_first=batch_first, kdim=3, vdim=5).double()
    m.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    shape = (lambda L, d: (2, L, d)) if batch_first else (lambda L, d: (L, 2, d))
    q, k, v = _rand(*shape(4, 8), seed=1), _rand(*shape(6, 3), seed=2), _rand(*shape(6, 5), seed=3)
    kpm = np.zeros((2, 6), bool)
    kpm[1, 4:] = True
    am = np.triu(np.ones((4, 6), bool), 3)  # same mask type as key_padding_mask
    tq = torch.tensor(q, requires_grad=True)
    to, tw = tm(tq, torch.tensor(k), torch.tensor(v), key_padding_mask=torch.tensor(kpm),
                attn_mask=torch.tensor(am))
    aq = ag.tensor(q, requires_grad=True)
    ao, aw = m(aq, ag.tensor(k), ag.tensor(v), key_padding_mask=ag.tensor(kpm),
               attn_mask=ag.tensor(am))
    np.testing.assert_allclose(ao.numpy(), to.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(aw.numpy(), tw.detach().numpy(), atol=1e-12)
    (to ** 2).sum().backward()
    (ao ** 2).sum().backward()
    np.testing.assert_allclose(aq.grad.numpy(), tq.grad.numpy(), atol=1e-11)
    params = dict(m.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), atol=1e-11,
                                   err_msg=name)


def test_mha_gradcheck_inputs_and_parameters():
    m = nn.MultiheadAttention(4, 2).double()
    q = ag.tensor(_rand(2, 2, 4, seed=1), requires_grad=True)
    kv = ag.tensor(_rand(3, 2, 4, seed=2), requires_grad=True)
    kpm = ag.tensor(np.array([[False, False, True], [False, False, False]]))

    def f(q, kv, *ps):
        return m(q, kv, kv, key_padding_mask=kpm)

    assert ag.gradcheck(f, (q, kv, *m.parameters()))


def test_mha_dropout_only_in_training():
    m = _mha(dropout=0.5)
    x = ag.tensor(_rand(4, 2, 8, seed=1))
    a, b = m(x, x, x)[0].numpy(), m(x, x, x)[0].numpy()
    assert not np.allclose(a, b)
    m.eval()
    np.testing.assert_array_equal(m(x, x, x)[0].numpy(), m(x, x, x)[0].numpy())
