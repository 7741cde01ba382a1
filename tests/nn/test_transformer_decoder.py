"""TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch on copied
weights (float64), with every kind of mask PyTorch accepts; structure checks without torch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

RNG = np.random.default_rng(11)
E, H, S, T, N = 8, 2, 5, 4, 2


def _copy(mod, tmod):
    mod.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})


def _masks(kind, torch):
    """(tgt_mask, memory_mask, tgt_kpm, memory_kpm) as NumPy arrays of one kind."""
    if kind == "none":
        return None, None, None, None
    if kind == "square_subsequent":
        return nn.Transformer.generate_square_subsequent_mask(T).numpy(), None, None, None
    if kind == "bool":
        tkpm = np.zeros((N, T), bool)
        tkpm[1, -1] = True
        mkpm = np.zeros((N, S), bool)
        mkpm[0, :2] = True
        return np.triu(np.ones((T, T), bool), 1), np.eye(T, S, 3, dtype=bool), tkpm, mkpm
    if kind == "float":
        mkpm = np.zeros((N, S))
        mkpm[1, 0] = -np.inf
        return RNG.standard_normal((T, T)), RNG.standard_normal((T, S)), None, mkpm
    if kind == "per_head":
        return (RNG.standard_normal((N * H, T, T)), np.triu(np.ones((N * H, T, S), bool), 2),
                None, None)
    raise ValueError(kind)


@pytest.mark.parametrize("mask_kind,norm_first,batch_first", [
    ("none", False, False), ("square_subsequent", True, True), ("bool", False, True),
    ("float", True, False), ("per_head", False, False)])
def test_transformer_matches_torch(mask_kind, norm_first, batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=2,
              dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=batch_first)
    tm = torch.nn.Transformer(**kw).double()
    m = nn.Transformer(**kw).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    _copy(m, tm)
    src = RNG.standard_normal((N, S, E) if batch_first else (S, N, E))
    tgt = RNG.standard_normal((N, T, E) if batch_first else (T, N, E))
    masks = _masks(mask_kind, torch)
    names = ("tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask")
    tsrc, ttgt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    asrc, atgt = ag.tensor(src, requires_grad=True), ag.tensor(tgt, requires_grad=True)
    tout = tm(tsrc, ttgt, **{k: None if v is None else torch.tensor(v)
                             for k, v in zip(names, masks, strict=True)})
    aout = m(asrc, atgt, **{k: None if v is None else ag.tensor(v)
                            for k, v in zip(names, masks, strict=True)})
    np.testing.assert_allclose(aout.numpy(), tout.detach().numpy(), atol=1e-10)
    w = RNG.standard_normal(tout.shape)
    (tout * torch.tensor(w)).sum().backward()
    (aout * ag.tensor(w)).sum().backward()
    np.testing.assert_allclose(asrc.grad.numpy(), tsrc.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(atgt.grad.numpy(), ttgt.grad.numpy(), atol=1e-10)
    tgrads = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tgrads[name].grad.numpy(), atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_torch_with_causal_flag(activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    tl = torch.nn.TransformerDecoderLayer(E, H, 16, 0.0, activation).double()
    layer = nn.TransformerDecoderLayer(E, H, 16, 0.0, activation).double()
    _copy(layer, tl)
    tgt, mem = RNG.standard_normal((T, N, E)), RNG.standard_normal((S, N, E))
    causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=ag.float64)
    tout = tl(torch.tensor(tgt), torch.tensor(mem), tgt_mask=torch.tensor(causal.numpy()),
              tgt_is_causal=True)
    aout = layer(ag.tensor(tgt), ag.tensor(mem), tgt_mask=causal, tgt_is_causal=True)
    np.testing.assert_allclose(aout.numpy(), tout.detach().numpy(), atol=1e-10)


def test_structure_and_init_without_torch():
    m = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=3,
                       dim_feedforward=16)
    names = [n for n, _ in m.named_parameters()]
    assert "decoder.layers.2.multihead_attn.in_proj_weight" in names
    assert "decoder.layers.0.norm3.weight" in names and "encoder.norm.bias" in names
    assert len(m.decoder.layers) == 3
    # independent copies, every matrix xavier-uniform (bound sqrt(6 / (fan_in + fan_out)))
    w0 = m.decoder.layers[0].linear1.weight.numpy()
    w1 = m.decoder.layers[1].linear1.weight.numpy()
    assert not np.array_equal(w0, w1)
    assert np.abs(w0).max() <= np.sqrt(6 / (E + 16))


def test_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(np.isinf(mask), np.triu(np.ones((3, 3), bool), 1))
    assert (mask[np.tril_indices(3)] == 0).all()


def test_future_tokens_do_not_change_earlier_outputs():
    m = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16, dropout=0.0).double()
    src = ag.tensor(RNG.standard_normal((S, 1, E)))
    tgt = RNG.standard_normal((T, 1, E))
    mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=ag.float64)
    out1 = m(src, ag.tensor(tgt), tgt_mask=mask).numpy()
    tgt[-1] += 5.0
    out2 = m(src, ag.tensor(tgt), tgt_mask=mask).numpy()
    np.testing.assert_allclose(out1[:-1], out2[:-1], atol=1e-12)
    assert not np.allclose(out1[-1], out2[-1])


def test_batch_and_feature_sizes_are_checked():
    m = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16)
    with pytest.raises(RuntimeError, match="batch number"):
        m(ag.randn(S, 2, E), ag.randn(T, 3, E))
    with pytest.raises(RuntimeError, match="d_model"):
        m(ag.randn(S, 2, E), ag.randn(T, 2, E + 1))
