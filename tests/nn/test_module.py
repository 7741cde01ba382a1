"""Module registration, traversal, state dicts, modes, device/dtype casts, containers."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(ag.ones(4))
        self.register_buffer("running", ag.zeros(4))
        self.register_buffer("tmp", ag.zeros(2), persistent=False)
        self.plain = 5

    def forward(self, x):
        return F.relu(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.block(x))


def test_parameter_is_a_tensor_sharing_data():
    t = ag.randn(3)
    p = nn.Parameter(t)
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    assert p.array is t.array
    assert nn.Parameter(ag.arange(3), requires_grad=False).dtype == np.int64
    with pytest.raises(TypeError):
        nn.Parameter(ag.arange(3))
    # every op accepts it and the gradient lands on the parameter
    y = ((p * 2 + 1).exp() @ ag.ones(3)).sum()
    y.backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 * np.exp(2 * t.numpy() + 1), rtol=1e-5)
    assert repr(p).startswith("Parameter containing:")


def test_registration_by_attribute():
    b = Block()
    assert list(b._parameters) == ["scale"]
    assert list(b._modules) == ["fc"]
    assert list(b._buffers) == ["running", "tmp"]
    assert "plain" not in b._parameters and b.plain == 5
    assert b.scale is b._parameters["scale"]
    b.running = ag.ones(4)
    assert np.all(b._buffers["running"].numpy() == 1)
    with pytest.raises(TypeError):
        b.scale = ag.ones(4)  # a plain Tensor in a parameter slot
    b.scale = None
    assert b._parameters["scale"] is None
    assert [n for n, _ in b.named_parameters()] == ["fc.weight", "fc.bias"]
    del b.fc
    assert "fc" not in b._modules
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        b.nope  # noqa: B018


def test_assign_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_traversal_names_and_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.weight"]
    assert len(list(net.parameters())) == 4
    assert len(list(net.parameters(recurse=False))) == 0
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.tmp"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "head"]
    assert [n for n, _ in net.named_parameters(prefix="m")][0] == "m.block.scale"
    assert net.get_submodule("block.fc") is net.block.fc
    assert net.get_parameter("head.weight") is net.head.weight


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3


def test_state_dict_roundtrip_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["block.scale", "block.running", "block.fc.weight", "block.fc.bias",
                        "head.weight"]  # tmp is not persistent
    assert all(type(v) is ag.Tensor and not v.requires_grad for v in sd.values())
    assert sd["head.weight"].array is net.head.weight.array
    other = Net()
    params_before = list(other.parameters())
    result = other.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(other.parameters())[0] is params_before[0]  # same objects, copied into
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    assert other.head.weight.array is not net.head.weight.array


def test_load_state_dict_errors_list_everything():
    net = Net()
    sd = net.state_dict()
    sd.pop("head.weight")
    sd["extra.w"] = ag.zeros(1)
    sd["block.fc.bias"] = ag.zeros(5)
    with pytest.raises(RuntimeError) as exc:
        Net().load_state_dict(sd)
    msg = str(exc.value)
    assert '"head.weight"' in msg and '"extra.w"' in msg
    assert "size mismatch for block.fc.bias" in msg and "(5,)" in msg and "(4,)" in msg
    del sd["block.fc.bias"]
    res = Net().load_state_dict(sd, strict=False)
    assert res.missing_keys == ["block.fc.bias", "head.weight"]
    assert res.unexpected_keys == ["extra.w"]


def test_load_state_dict_accepts_numpy_and_casts_dtype():
    lin = nn.Linear(2, 3)
    sd = {"weight": np.arange(6.0).reshape(3, 2), "bias": np.zeros(3)}
    lin.load_state_dict(sd)
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.numpy(), sd["weight"])


def test_train_eval_flags():
    net = Net()
    assert net.training and net.block.fc.training
    assert net.eval() is net
    assert not net.training and not net.block.fc.training
    net.train()
    assert all(m.training for m in net.modules())


def test_to_dtype_in_place_keeps_parameter_objects():
    net = Net()
    params = list(net.parameters())
    net(ag.randn(2, 3)).sum().backward()
    net.double()
    assert all(a is b for a, b in zip(net.parameters(), params, strict=True))
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert all(p.grad.dtype == np.float64 for p in net.parameters())
    assert net.block.running.dtype == np.float64
    out = net(ag.randn(2, 3, dtype=ag.float64))
    assert out.dtype == np.float64
    net.to(ag.float32)
    assert net.head.weight.dtype == np.float32
    net.to("cpu")
    assert str(net.head.weight.device) == "cpu"


def test_to_keeps_integer_buffers():
    m = nn.Module()
    m.register_buffer("count", ag.tensor(3))
    m.register_buffer("x", ag.zeros(2))
    m.double()
    assert m.count.dtype == np.int64 and m.x.dtype == np.float64


def test_zero_grad_and_requires_grad():
    net = Net()
    net(ag.randn(2, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_and_hooks():
    net = Net()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Block", "Linear", "Net"]
    calls = []
    h = net.head.register_forward_hook(lambda m, args, out: out * 0)
    h2 = net.register_forward_pre_hook(lambda m, args: calls.append(args[0].shape))
    assert np.all(net(ag.randn(2, 3)).numpy() == 0)
    assert calls == [(2, 3)]
    h.remove()
    h2.remove()
    net(ag.ones(2, 3))
    assert len(net.head._forward_hooks) == 0 and len(calls) == 1


def test_deepcopy_keeps_device_and_copies_arrays():
    net = Net()
    twin = copy.deepcopy(net)
    assert twin.head.weight is not net.head.weight
    assert twin.head.weight.array is not net.head.weight.array
    assert twin.head.weight.device is net.head.weight.device
    x = ag.randn(2, 3)
    np.testing.assert_allclose(twin(x).numpy(), net(x).numpy())


def test_repr_is_pytorch_like():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 1)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )


def test_forward_not_implemented():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_sequential():
    a, b = nn.Linear(2, 3), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b
    assert isinstance(seq[:1], nn.Sequential) and seq[:1][0] is a
    x = ag.randn(4, 2)
    np.testing.assert_allclose(seq(x).numpy(), b(a(x)).numpy())
    named = nn.Sequential(OrderedDict([("enc", a), ("dec", b)]))
    assert [n for n, _ in named.named_parameters()] == ["enc.weight", "enc.bias",
                                                        "dec.weight", "dec.bias"]
    seq.append(nn.Identity())
    assert len(seq) == 3
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[0] is b
    seq.insert(0, a)
    assert seq[0] is a and seq[1] is b
    with pytest.raises(IndexError):
        seq[5]
    with pytest.raises(TypeError):
        nn.Sequential(a, 3)


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.Linear(2, 1))
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    del layers[1]
    assert list(layers._modules) == ["0", "1", "2"]
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 2
    d = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.Identity()})
    assert list(d.keys()) == ["a", "b"] and "a" in d
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    d["c"] = nn.Linear(1, 2)
    assert len(d) == 3
    assert isinstance(d.pop("c"), nn.Linear) and len(d) == 2


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(ag.ones(2)), ag.zeros(3)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert isinstance(pl[1], nn.Parameter)
    pd = nn.ParameterDict({"w": ag.ones(2)})
    assert isinstance(pd["w"], nn.Parameter) and len(list(pd.parameters())) == 1


def test_extra_state_roundtrip():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.note = {"step": 0}

        def get_extra_state(self):
            return dict(self.note)

        def set_extra_state(self, state):
            self.note = dict(state)

    outer = nn.Sequential(WithExtra())
    outer[0].note["step"] = 7
    sd = outer.state_dict()
    assert sd["0._extra_state"] == {"step": 7}
    fresh = nn.Sequential(WithExtra())
    fresh.load_state_dict(sd)
    assert fresh[0].note == {"step": 7}


def test_parameter_deepcopy_alone():
    p = nn.Parameter(ag.randn(3))
    p.grad = ag.ones(3)
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad and q.device is p.device
    assert q.array is not p.array and q.grad.device is p.device
    # same device object (no mismatch error) and the same values
    assert (q * p).sum().item() == pytest.approx(float((p.array ** 2).sum()), rel=1e-6)
