"""TransformerEncoderLayer and TransformerEncoder: NumPy reference, PyTorch parity,
padding masks, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn.testing.seq_ops import np_mha


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _np_layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _np_gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _np_encoder_layer(layer, x, kpm=None, attn_mask=None, act="relu"):
    """x (S, N, E), seq first."""
    p = {k: v.numpy() for k, v in layer.named_parameters()}
    eps = layer.norm1.eps

    def sa(y):
        return np_mha(y, y, y, layer.self_attn.num_heads, p["self_attn.in_proj_weight"],
                      p["self_attn.in_proj_bias"], p["self_attn.out_proj.weight"],
                      p["self_attn.out_proj.bias"], key_padding_mask=kpm,
                      attn_mask=attn_mask)[0]

    def ff(y):
        h = y @ p["linear1.weight"].T + p["linear1.bias"]
        h = np.maximum(h, 0) if act == "relu" else _np_gelu(h)
        return h @ p["linear2.weight"].T + p["linear2.bias"]

    def n1(y):
        return _np_layer_norm(y, p["norm1.weight"], p["norm1.bias"], eps)

    def n2(y):
        return _np_layer_norm(y, p["norm2.weight"], p["norm2.bias"], eps)

    if layer.norm_first:
        x = x + sa(n1(x))
        return x + ff(n2(x))
    x = n1(x + sa(x))
    return n2(x + ff(x))


def _layer(**kw):
    ag.manual_seed(0)
    kw.setdefault("dropout", 0.0)
    return nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw).double()


def test_submodule_names_follow_torch():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    names = [n for n, _ in layer.named_children()]
    assert names == ["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2",
                     "dropout1", "dropout2"]
    assert sorted(k for k, _ in layer.named_parameters()) == sorted([
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"])
    assert layer.dropout.p == 0.1 and layer.linear1.out_features == 16


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_numpy(norm_first, activation):
    layer = _layer(norm_first=norm_first, activation=activation)
    x = _rand(5, 3, 8, seed=1)
    kpm = np.zeros((3, 5), bool)
    kpm[2, 3:] = True
    out = layer(ag.tensor(x), src_key_padding_mask=ag.tensor(kpm))
    ref = _np_encoder_layer(layer, x, kpm=kpm, act=activation)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-11)


def test_encoder_layer_batch_first_and_causal_mask():
    layer = _layer(batch_first=True)
    x = _rand(2, 4, 8, seed=1)  # (N, S, E)
    causal = np.triu(np.ones((4, 4), bool), 1)
    out = layer(ag.tensor(x), src_mask=ag.tensor(causal))
    ref = _np_encoder_layer(layer, x.swapaxes(0, 1), attn_mask=causal).swapaxes(0, 1)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-11)
    out2 = layer(ag.tensor(x), src_mask=ag.tensor(causal), is_causal=True)
    np.testing.assert_allclose(out2.numpy(), ref, atol=1e-11)


def test_callable_activation():
    layer = _layer(activation=F.gelu)
    x = _rand(3, 2, 8, seed=2)
    np.testing.assert_allclose(layer(ag.tensor(x)).numpy(),
                               _np_encoder_layer(layer, x, act="gelu"), atol=1e-11)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_padding_positions_do_not_change_real_outputs():
    layer = _layer()
    x = _rand(3, 1, 8, seed=1)
    short = layer(ag.tensor(x)).numpy()
    padded = np.concatenate([x, _rand(2, 1, 8, seed=9) * 50])
    kpm = ag.tensor(np.array([[False] * 3 + [True] * 2]))
    long = layer(ag.tensor(padded), src_key_padding_mask=kpm).numpy()
    np.testing.assert_allclose(long[:3], short, atol=1e-11)


def test_encoder_stacks_independent_copies_and_final_norm():
    layer = _layer()
    enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8).double())
    assert len(enc.layers) == 2
    p0 = enc.layers[0].linear1.weight
    p1 = enc.layers[1].linear1.weight
    assert p0 is not p1 and p0 is not layer.linear1.weight
    np.testing.assert_array_equal(p0.numpy(), p1.numpy())
    x = _rand(4, 2, 8, seed=3)
    out = enc(ag.tensor(x)).numpy()
    y = _np_encoder_layer(enc.layers[1], _np_encoder_layer(enc.layers[0], x))
    ref = _np_layer_norm(y, enc.norm.weight.numpy(), enc.norm.bias.numpy(), enc.norm.eps)
    np.testing.assert_allclose(out, ref, atol=1e-11)
    assert len(list(enc.parameters())) == 2 * 12 + 2


def test_encoder_layer_gradcheck():
    ag.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0).double()
    x = ag.tensor(_rand(3, 2, 4, seed=1), requires_grad=True)
    kpm = ag.tensor(np.array([[False, False, True], [False, False, False]]))
    params = list(layer.parameters())
    assert ag.gradcheck(lambda x, *ps: layer(x, src_key_padding_mask=kpm), (x, *params))


def test_dropout_active_only_in_training():
    ag.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5).double()
    x = ag.tensor(_rand(3, 2, 8))
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())


@pytest.mark.parametrize("norm_first", [False, True])
def test_matches_torch(norm_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first,
              activation="gelu")
    tl = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2,
                                     enable_nested_tensor=False).double()
    al = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2).double()
    al.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tl.state_dict().items()})
    x = _rand(2, 5, 8, seed=1)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    to = tl(tx, src_key_padding_mask=torch.tensor(kpm))
    ao = al(ax, src_key_padding_mask=ag.tensor(kpm))
    real = ~kpm  # torch's fast path may zero padded positions; compare the real ones
    np.testing.assert_allclose(ao.numpy()[real], to.detach().numpy()[real], atol=1e-11)
    (to[torch.tensor(real)] ** 2).sum().backward()
    (ao[ag.tensor(real)] ** 2).sum().backward()
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    params = dict(al.named_parameters())
    for name, p in tl.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), atol=1e-10,
                                   err_msg=name)
