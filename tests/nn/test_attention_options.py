"""MultiheadAttention's add_bias_kv, add_zero_attn and static_k/static_v against PyTorch
on copied weights (float64), and their shape rules without torch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn.functional import multi_head_attention_forward

RNG = np.random.default_rng(3)
E, H, L, S, N = 6, 2, 3, 4, 2


def _copy_from_torch(mod, tmod):
    mod.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})


@pytest.mark.parametrize("bias_kv,zero_attn", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("mask_kind", [None, "bool", "float"])
@pytest.mark.parametrize("kdim", [None, 5])
def test_options_match_torch(bias_kv, zero_attn, mask_kind, kdim):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(add_bias_kv=bias_kv, add_zero_attn=zero_attn, kdim=kdim, vdim=kdim)
    tm = torch.nn.MultiheadAttention(E, H, **kw).double()
    m = nn.MultiheadAttention(E, H, **kw).double()
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in tm.named_parameters()]
    _copy_from_torch(m, tm)
    q = RNG.standard_normal((L, N, E))
    kv = RNG.standard_normal((S, N, kdim or E))
    kpm = np.zeros((N, S), bool)
    kpm[0, -1] = True
    am = None
    if mask_kind == "bool":
        am = np.triu(np.ones((L, S), bool), 2)
    elif mask_kind == "float":
        am = RNG.standard_normal((L, S))
    tq, tkv = torch.tensor(q, requires_grad=True), torch.tensor(kv, requires_grad=True)
    aq, akv = ag.tensor(q, requires_grad=True), ag.tensor(kv, requires_grad=True)
    to, tw = tm(tq, tkv, tkv, key_padding_mask=torch.tensor(kpm),
                attn_mask=None if am is None else torch.tensor(am))
    ao, aw = m(aq, akv, akv, key_padding_mask=kpm, attn_mask=am)
    np.testing.assert_allclose(ao.numpy(), to.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(aw.numpy(), tw.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(to.shape)
    (to * torch.tensor(w)).sum().backward()
    (ao * ag.tensor(w)).sum().backward()
    np.testing.assert_allclose(aq.grad.numpy(), tq.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(akv.grad.numpy(), tkv.grad.numpy(), atol=1e-12)
    tgrads = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tgrads[name].grad.numpy(), atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("zero_attn", [False, True])
def test_static_kv_match_torch(zero_attn):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    args = [RNG.standard_normal(s) for s in ((L, N, E), (S, N, E), (S, N, E), (3 * E, E),
                                             (3 * E,), (E, E), (E,), (N * H, 5, E // H),
                                             (N * H, 5, E // H))]
    kpm = np.zeros((N, 5), bool)
    kpm[1, 0] = True

    def call(mod, arrays, mask):
        q, k, v, wi, bi, wo, bo, sk, sv = arrays
        return mod(q, k, v, E, H, wi, bi, None, None, zero_attn, 0.0, wo, bo, training=False,
                   key_padding_mask=mask, static_k=sk, static_v=sv)

    targs = [torch.tensor(a, requires_grad=True) for a in args]
    aargs = [ag.tensor(a, requires_grad=True) for a in args]
    to, tw = call(TF.multi_head_attention_forward, targs, torch.tensor(kpm))
    ao, aw = call(multi_head_attention_forward, aargs, ag.tensor(kpm))
    np.testing.assert_allclose(ao.numpy(), to.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(aw.numpy(), tw.detach().numpy(), atol=1e-12)
    to.sum().backward()
    ao.sum().backward()
    for i in (0, 3, 4, 5, 7, 8):  # key/value are unused: static_k/static_v replace them
        np.testing.assert_allclose(aargs[i].grad.numpy(), targs[i].grad.numpy(), atol=1e-12)


def test_bias_kv_adds_a_key_position_and_parameters():
    m = nn.MultiheadAttention(E, H, add_bias_kv=True, add_zero_attn=True).double()
    assert m.bias_k.shape == (1, 1, E) and m.bias_v.shape == (1, 1, E)
    x = ag.tensor(RNG.standard_normal((L, N, E)))
    _, w = m(x, x, x)
    assert w.shape == (N, L, L + 2)  # one bias position and one zero position
    np.testing.assert_allclose(w.numpy().sum(-1), 1.0)


def test_static_k_shape_is_checked():
    m = nn.MultiheadAttention(E, H).double()
    x = ag.tensor(RNG.standard_normal((L, N, E)))
    with pytest.raises(ValueError, match="static_k"):
        multi_head_attention_forward(x, x, x, E, H, m.in_proj_weight, m.in_proj_bias, None,
                                     None, False, 0.0, m.out_proj.weight, m.out_proj.bias,
                                     static_k=ag.zeros(N * H, 2, 5, dtype=ag.float64))
    with pytest.raises(ValueError, match="bias_k"):
        multi_head_attention_forward(x, x, x, E, H, m.in_proj_weight, m.in_proj_bias,
                                     ag.zeros(1, 1, E), None, False, 0.0, m.out_proj.weight,
                                     m.out_proj.bias)
