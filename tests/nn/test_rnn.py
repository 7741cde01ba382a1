"""RNN, LSTM, GRU and their cells: NumPy references, PyTorch parity, gradients."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import autograd as ag
import nn
from nn.rnn import rnn_layer
from nn.testing.seq_ops import np_rnn_layer, np_sigmoid

MODES = {"RNN": "RNN_TANH", "LSTM": "LSTM", "GRU": "GRU"}


def _make(cls, *args, **kw):
    ag.manual_seed(0)
    return getattr(nn, cls)(*args, **kw).double()


def _np_params(m):
    return {k: v.numpy() for k, v in m.named_parameters()}


def _np_module(m, x, mode, h0=None, c0=None):
    """A NumPy reference for a whole (multi-layer, bidirectional) module, from
    one-direction loops."""
    p = _np_params(m)
    dirs = 2 if m.bidirectional else 1
    T, B, _ = x.shape
    H = m.hidden_size
    h0 = np.zeros((m.num_layers * dirs, B, H)) if h0 is None else h0
    c0 = np.zeros_like(h0) if c0 is None else c0
    hn, cn = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            s = f"_l{layer}" + ("_reverse" if d else "")
            k = layer * dirs + d
            res = np_rnn_layer(mode, x, h0[k], c0[k] if mode == "LSTM" else None,
                               p["weight_ih" + s], p["weight_hh" + s], p.get("bias_ih" + s),
                               p.get("bias_hh" + s), reverse=bool(d))
            outs.append(res[0])
            hn.append(res[1])
            if mode == "LSTM":
                cn.append(res[2])
        x = np.concatenate(outs, -1)
    return x, np.stack(hn), (np.stack(cn) if cn else None)


def test_lstm_one_step_by_hand():
    m = _make("LSTM", 1, 1)
    w = {"weight_ih_l0": [[0.5], [-0.3], [0.8], [0.1]],
         "weight_hh_l0": [[0.2], [0.4], [-0.6], [0.9]],
         "bias_ih_l0": [0.1, 0.2, 0.3, 0.4], "bias_hh_l0": [0.0, -0.1, 0.05, 0.2]}
    m.load_state_dict({k: ag.tensor(v, dtype=ag.float64) for k, v in w.items()})
    x, h0, c0 = 2.0, 0.5, -1.0
    a = [w["weight_ih_l0"][k][0] * x + w["bias_ih_l0"][k] + w["weight_hh_l0"][k][0] * h0
         + w["bias_hh_l0"][k] for k in range(4)]
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    c1 = sig(a[1]) * c0 + sig(a[0]) * math.tanh(a[2])
    h1 = sig(a[3]) * math.tanh(c1)
    f64 = ag.float64
    out, (hn, cn) = m(ag.tensor([[[x]]], dtype=f64),
                      (ag.tensor([[[h0]]], dtype=f64), ag.tensor([[[c0]]], dtype=f64)))
    assert out.item() == pytest.approx(h1, abs=1e-12)
    assert hn.item() == pytest.approx(h1, abs=1e-12)
    assert cn.item() == pytest.approx(c1, abs=1e-12)


def test_gru_one_step_by_hand():
    """PyTorch's GRU: the reset gate multiplies (W_hn h + b_hn), b_hn inside."""
    x, h = np.array([[0.3, -0.7]]), np.array([[0.2, 0.5]])
    rng = np.random.default_rng(3)
    w_ih, w_hh = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    b_ih, b_hh = rng.normal(size=6), rng.normal(size=6)
    r = np_sigmoid(x @ w_ih[0:2].T + b_ih[0:2] + h @ w_hh[0:2].T + b_hh[0:2])
    z = np_sigmoid(x @ w_ih[2:4].T + b_ih[2:4] + h @ w_hh[2:4].T + b_hh[2:4])
    n = np.tanh(x @ w_ih[4:].T + b_ih[4:] + r * (h @ w_hh[4:].T + b_hh[4:]))
    expected = (1 - z) * n + z * h
    cell = _make("GRUCell", 2, 2)
    cell.load_state_dict({"weight_ih": ag.tensor(w_ih), "weight_hh": ag.tensor(w_hh),
                          "bias_ih": ag.tensor(b_ih), "bias_hh": ag.tensor(b_hh)})
    np.testing.assert_allclose(cell(ag.tensor(x), ag.tensor(h)).numpy(), expected, atol=1e-12)
    layer = _make("GRU", 2, 2)
    layer.load_state_dict({"weight_ih_l0": ag.tensor(w_ih), "weight_hh_l0": ag.tensor(w_hh),
                           "bias_ih_l0": ag.tensor(b_ih), "bias_hh_l0": ag.tensor(b_hh)})
    out, hn = layer(ag.tensor(x[None]), ag.tensor(h[None]))
    np.testing.assert_allclose(out.numpy()[0], expected, atol=1e-12)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", [dict(), dict(num_layers=2, bidirectional=True),
                                 dict(bias=False, batch_first=True)])
def test_module_matches_numpy_unrolled(cls, cfg):
    m = _make(cls, 3, 4, **cfg)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 2, 3))
    dirs = 2 if m.bidirectional else 1
    h0 = rng.normal(size=(m.num_layers * dirs, 2, 4))
    c0 = rng.normal(size=h0.shape)
    mode = MODES[cls]
    ref_out, ref_h, ref_c = _np_module(m, x, mode, h0, c0)
    xin = np.swapaxes(x, 0, 1) if m.batch_first else x
    hx = (ag.tensor(h0), ag.tensor(c0)) if cls == "LSTM" else ag.tensor(h0)
    out, hn = m(ag.tensor(xin), hx)
    out = out.numpy()
    if m.batch_first:
        out = np.swapaxes(out, 0, 1)
    np.testing.assert_allclose(out, ref_out, atol=1e-12)
    if cls == "LSTM":
        hn, cn = hn
        np.testing.assert_allclose(cn.numpy(), ref_c, atol=1e-12)
    np.testing.assert_allclose(hn.numpy(), ref_h, atol=1e-12)


def test_relu_rnn_matches_numpy():
    m = _make("RNN", 3, 4, nonlinearity="relu", num_layers=2)
    x = np.random.default_rng(2).normal(size=(6, 3, 3))
    out, hn = m(ag.tensor(x))
    ref_out, ref_h, _ = _np_module(m, x, "RNN_RELU")
    np.testing.assert_allclose(out.numpy(), ref_out, atol=1e-12)
    np.testing.assert_allclose(hn.numpy(), ref_h, atol=1e-12)


def test_parameter_names_shapes_and_init():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in m.named_parameters()}
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert shapes["weight_ih_l0"] == (20, 3)
    assert shapes["weight_hh_l0_reverse"] == (20, 5)
    assert shapes["weight_ih_l1"] == (20, 10)  # layer 1 reads both directions
    assert shapes["bias_hh_l1_reverse"] == (20,)
    assert len(shapes) == 16
    bound = 1 / math.sqrt(5)
    for p in m.parameters():
        assert p.dtype == ag.float32
        assert np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.5 * bound  # drawn, not zeros
    assert [k for k, _ in nn.GRU(2, 3, bias=False).named_parameters()] == \
        ["weight_ih_l0", "weight_hh_l0"]
    assert tuple(nn.GRUCell(2, 3).weight_ih.shape) == (9, 2)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_matches_torch(cls):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(3, 4, num_layers=2, bidirectional=True,
                                batch_first=True).double()
    m = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    m.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(2, 6, 3))
    tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    (to, th), (ao, ah) = tm(tx), m(ax)
    if cls == "LSTM":
        tl = (to ** 2).sum() + (th[0] * th[1]).sum()
        al = (ao ** 2).sum() + (ah[0] * ah[1]).sum()
    else:
        tl, al = (to ** 2).sum() + (th ** 3).sum(), (ao ** 2).sum() + (ah ** 3).sum()
    tl.backward()
    al.backward()
    np.testing.assert_allclose(ao.numpy(), to.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    params = dict(m.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), atol=1e-11,
                                   err_msg=name)


def test_lstm_proj_size_parameters_shapes_and_numpy_reference():
    m = _make("LSTM", 3, 5, num_layers=2, proj_size=2, bidirectional=True)
    names = [k for k, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_hr_l0"]
    assert tuple(m.weight_hh_l0.shape) == (20, 2) and tuple(m.weight_hr_l0.shape) == (2, 5)
    assert tuple(m.weight_ih_l1.shape) == (20, 4)  # layer 1 reads 2 directions x proj 2
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 5
    assert "proj_size=2" in repr(m)
    x = np.random.default_rng(0).normal(size=(4, 3, 3))
    out, (h, c) = m(ag.tensor(x))
    assert out.shape == (4, 3, 4) and h.shape == (4, 3, 2) and c.shape == (4, 3, 5)
    p = _np_params(m)
    ref = np_rnn_layer("LSTM", x, np.zeros((3, 2)), np.zeros((3, 5)), p["weight_ih_l0"],
                       p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"],
                       w_hr=p["weight_hr_l0"])
    rev = np_rnn_layer("LSTM", x, np.zeros((3, 2)), np.zeros((3, 5)), p["weight_ih_l0_reverse"],
                       p["weight_hh_l0_reverse"], p["bias_ih_l0_reverse"],
                       p["bias_hh_l0_reverse"], reverse=True, w_hr=p["weight_hr_l0_reverse"])
    layer1 = np.concatenate([ref[0], rev[0]], -1)
    ref1 = np_rnn_layer("LSTM", layer1, np.zeros((3, 2)), np.zeros((3, 5)), p["weight_ih_l1"],
                        p["weight_hh_l1"], p["bias_ih_l1"], p["bias_hh_l1"],
                        w_hr=p["weight_hr_l1"])
    np.testing.assert_allclose(out.numpy()[..., :2], ref1[0], atol=1e-12)
    np.testing.assert_allclose(c.numpy()[0], ref[2], atol=1e-12)


def test_lstm_proj_size_matches_torch_and_is_twice_differentiable():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 5, proj_size=2, batch_first=True).double()
    m = nn.LSTM(3, 5, proj_size=2, batch_first=True).double()
    m.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(2, 4, 3))
    tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    (to, (th, tc)), (ao, (ah, ac)) = tm(tx), m(ax)
    ((to ** 2).sum() + (th * tc[..., :2]).sum()).backward()
    ((ao ** 2).sum() + (ah * ac[..., :2]).sum()).backward()
    np.testing.assert_allclose(ao.numpy(), to.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-11)
    params = dict(m.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), atol=1e-11,
                                   err_msg=name)
    xs = ag.tensor(x[:1, :3], requires_grad=True)
    assert ag.gradgradcheck(lambda x, w: m(x)[0], (xs, m.weight_hr_l0))


def test_proj_size_errors_follow_pytorch():
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(3, 5, proj_size=2)
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        nn.LSTM(3, 5, proj_size=5)
    with pytest.raises(ValueError, match="positive integer or zero"):
        nn.LSTM(3, 5, proj_size=-1)
    m = nn.LSTM(3, 5, proj_size=2)
    with pytest.raises(ValueError, match=r"hidden state h_0 of shape \(1, 1, 2\)"):
        m(ag.zeros(4, 1, 3), (ag.zeros(1, 1, 5), ag.zeros(1, 1, 5)))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_gradcheck_inputs_and_parameters(cls):
    m = _make(cls, 2, 2, num_layers=2, bidirectional=cls != "RNN")
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.normal(size=(3, 2, 2)), requires_grad=True)
    dirs = 2 if m.bidirectional else 1
    h0 = ag.tensor(rng.normal(size=(2 * dirs, 2, 2)), requires_grad=True)
    params = list(m.parameters())

    def f(x, h0, *ps):
        hx = (h0, h0 * 0.5) if cls == "LSTM" else h0
        out, hn = m(x, hx)
        return out, (hn[0] if cls == "LSTM" else hn)

    assert ag.gradcheck(f, (x, h0, *params))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_gradgradcheck(cls):
    cell = _make(cls, 2, 2)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.normal(size=(2, 2)), requires_grad=True)
    h = ag.tensor(rng.normal(size=(2, 2)), requires_grad=True)

    def f(x, h, *ps):
        out = cell(x, (h, h * h) if cls == "LSTMCell" else h)
        return out

    assert ag.gradcheck(f, (x, h, *cell.parameters()))
    assert ag.gradgradcheck(f, (x, h, *cell.parameters()))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_layer_second_order(cls):
    """The gradient's own backward (the cell formula, twice differentiated) is exact:
    gradgradcheck passes."""
    m = _make(cls, 2, 2, bidirectional=True)
    x = ag.tensor(np.random.default_rng(0).normal(size=(3, 1, 2)), requires_grad=True)
    assert ag.gradgradcheck(lambda x, w: m(x)[0], (x, m.weight_hh_l0_reverse))


@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
def test_array_kernels_agree_with_the_cell_formula(mode):
    """The layer's forward and backward loop over steps on arrays; the same sequence
    built from the one Tensor-op cell formula (``_step``), differentiated by autograd,
    gives the same outputs and gradients (create_graph too: the same array code)."""
    from nn.rnn import _tensor_sequence

    rng = np.random.default_rng(5)
    G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    T, B, I, H = 4, 3, 2, 3
    args = [ag.tensor(rng.normal(size=s), requires_grad=True) for s in
            [(T, B, I), (B, H), (B, H), (G * H, I), (G * H, H), (G * H,), (G * H,)]]
    c0 = args[2] if mode == "LSTM" else None
    outs = rnn_layer(mode, args[0], args[1], c0, *args[3:], reverse=True)
    xw = args[0] @ args[3].mT + (args[5] if mode == "GRU" else args[5] + args[6])
    ref = _tensor_sequence(mode, True, xw, args[1], c0, args[4].mT,
                           args[6] if mode == "GRU" else None)[:len(outs)]
    for o, r in zip(outs, ref, strict=True):
        np.testing.assert_allclose(o.numpy(), r.numpy(), atol=1e-12)
    seeds = [ag.tensor(rng.normal(size=o.shape)) for o in outs]
    fast = ag.grad(outs, args, seeds, retain_graph=True, allow_unused=True)
    graph = ag.grad(outs, args, seeds, create_graph=True, allow_unused=True)
    cells = ag.grad(list(ref), args, seeds, allow_unused=True)
    for a, b, c in zip(fast, graph, cells, strict=True):
        if a is None:
            assert b is None and (c is None or not c.numpy().any())
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
        np.testing.assert_allclose(a.numpy(), c.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_third_derivatives_of_a_layer_are_exact(mode):
    """gradgradcheck of the layer's gradient function checks its third derivatives against
    finite differences (the second-order backward differentiates the live saved tensors
    under create_graph; a detached copy there would make them zero)."""
    m = _make(mode, 2, 2)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.normal(size=(3, 1, 2)), requires_grad=True)

    def grad_of_layer(x):
        out = m(x)[0]
        return ag.grad((out * out).sum(), x, create_graph=True)[0]

    assert ag.gradgradcheck(grad_of_layer, (x,))


def test_cell_matches_layer_step():
    """LSTMCell stepped by hand over a sequence equals LSTM with the same weights."""
    layer = _make("LSTM", 3, 4)
    cell = nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = ag.tensor(np.random.default_rng(0).normal(size=(5, 2, 3)))
    h = c = ag.zeros(2, 4, dtype=ag.float64)
    outs = []
    for t in range(5):
        h, c = cell(x[t], (h, c))
        outs.append(h.numpy())
    out, (hn, cn) = layer(x)
    np.testing.assert_allclose(out.numpy(), np.stack(outs), atol=1e-12)
    np.testing.assert_allclose(cn.numpy()[0], c.numpy(), atol=1e-12)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_padding_does_not_change_earlier_outputs(cls):
    """Right-padding a sequence leaves the outputs at the real steps unchanged (and a
    reverse direction sees only what comes after, so only forward is checked)."""
    m = _make(cls, 2, 3)
    x = np.random.default_rng(0).normal(size=(4, 1, 2))
    padded = np.concatenate([x, np.zeros((3, 1, 2))])
    a, _ = m(ag.tensor(x))
    b, _ = m(ag.tensor(padded))
    np.testing.assert_allclose(b.numpy()[:4], a.numpy(), atol=1e-13)
    assert not np.allclose(b.numpy()[4:], 0)


def test_unbatched_input_and_initial_state_gradient():
    m = _make("GRU", 2, 3, num_layers=2)
    x = np.random.default_rng(0).normal(size=(4, 2))
    h0 = ag.tensor(np.random.default_rng(1).normal(size=(2, 3)), requires_grad=True)
    out, hn = m(ag.tensor(x), h0)
    assert tuple(out.shape) == (4, 3) and tuple(hn.shape) == (2, 3)
    out_b, _ = m(ag.tensor(x[:, None]), h0.detach().reshape(2, 1, 3))
    np.testing.assert_allclose(out.numpy(), out_b.numpy()[:, 0], atol=1e-13)
    out.sum().backward()
    assert h0.grad is not None and np.abs(h0.grad.numpy()).sum() > 0


def test_dropout_between_layers_only_in_training():
    m = _make("LSTM", 2, 8, num_layers=2, dropout=0.5)
    x = ag.tensor(np.random.default_rng(0).normal(size=(3, 2, 2)))
    a, b = m(x)[0].numpy(), m(x)[0].numpy()
    assert not np.allclose(a, b)
    m.eval()
    np.testing.assert_array_equal(m(x)[0].numpy(), m(x)[0].numpy())
    with pytest.warns(UserWarning, match="dropout"):
        nn.GRU(2, 2, dropout=0.3)


def test_float32_stays_float32():
    m = nn.LSTM(2, 3)
    out, (h, c) = m(ag.randn(4, 2, 2))
    assert out.dtype == h.dtype == c.dtype == ag.float32


def test_bad_shapes_raise_named_errors():
    m = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="LSTM: input.size\\(-1\\) must be equal to input_size"):
        m(ag.randn(5, 2, 2))
    with pytest.raises(ValueError, match="LSTM: expected hidden state h_0 of shape"):
        m(ag.randn(5, 2, 3), (ag.zeros(1, 3, 4), ag.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match="LSTM: hidden state h_0 is float64 but the input"):
        m(ag.randn(5, 2, 3), (ag.zeros(1, 2, 4, dtype=ag.float64), ag.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="GRU: expected input of 2"):
        nn.GRU(3, 4)(ag.randn(3))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(2, 0)


def test_10000_step_sequence_backpropagates():
    """10,000 steps backpropagate through the LSTM layer, and through a step-by-step
    Tensor-op loop (a 30,000-node graph on the core's iterative engine) that gives the
    same gradient as the RNN layer."""
    T = 10_000
    xs = np.sin(np.arange(T) / 50.0).reshape(T, 1, 1)
    lstm = _make("LSTM", 1, 2)
    out, _ = lstm(ag.tensor(xs, requires_grad=True))
    out[-100:].sum().backward()
    g = lstm.weight_hh_l0.grad.numpy()
    assert np.isfinite(g).all() and np.abs(g).sum() > 0

    rnn = _make("RNN", 1, 2)
    out, _ = rnn(ag.tensor(xs))
    out[-100:].sum().backward()
    start = time.perf_counter()
    w_ih, w_hh = rnn.weight_ih_l0.detach(), rnn.weight_hh_l0.detach().requires_grad_()
    xw = ag.tensor(xs) @ w_ih.mT + (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach()
    w_t = w_hh.mT
    h = ag.zeros(1, 2, dtype=ag.float64)
    loss = 0.0
    for t, x_t in enumerate(ag.unbind(xw, 0)):
        h = ag.tanh(x_t + h @ w_t)
        if t >= T - 100:
            loss = loss + h.sum()
    loss.backward()
    np.testing.assert_allclose(w_hh.grad.numpy(), rnn.weight_hh_l0.grad.numpy(), rtol=1e-9,
                               atol=1e-12)
    assert time.perf_counter() - start < 30
