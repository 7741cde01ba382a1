"""``nn.Module``'s contract at its edges (issue 18, mutation testing of nn/module.py):
exact errors, load_state_dict's report and copying, ``to``/``type`` casts, walking the
tree with prefixes and duplicates, hooks, __dir__, __delattr__, repr. Each test says
what change it catches."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

import autograd as ag
from autograd import dtypes
from nn import Linear, Module, Parameter


class Leaf(Module):
    def __init__(self, n=2):
        super().__init__()
        self.w = Parameter(ag.tensor(np.arange(n, dtype=np.float64)))
        self.register_buffer("count", ag.tensor(np.array([3], np.int64)))
        self.register_buffer("scratch", ag.tensor(np.zeros(n)), persistent=False)

    def forward(self, x):
        return x * self.w


class Tree(Module):
    def __init__(self):
        super().__init__()
        self.a = Leaf()
        self.b = Leaf(3)
        self.bias = Parameter(ag.tensor(np.ones(1)))


def exact(message):
    return "^" + re.escape(message) + "$"


# --- registration errors ------------------------------------------------------------


def test_registration_errors_are_exact():
    """Breaks if a check is dropped, loosened or names the wrong kind/type."""
    m = Leaf()
    with pytest.raises(TypeError, match=exact("parameter name must be a str, got int")):
        m.register_parameter(3, None)
    with pytest.raises(KeyError, match=re.escape(
            "parameter name must be non-empty and contain no '.', got 'a.b'")):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match=re.escape(
            "buffer name must be non-empty and contain no '.', got ''")):
        m.register_buffer("", None)
    with pytest.raises(KeyError, match=re.escape("attribute 'forward' already exists on Leaf")):
        m.register_buffer("forward", None)
    with pytest.raises(TypeError, match=exact(
            "register_parameter: 'p' must be a Parameter or None, got Tensor")):
        m.register_parameter("p", ag.zeros(1))
    with pytest.raises(TypeError, match=exact(
            "register_buffer: 'b' must be a Tensor or None, got ndarray")):
        m.register_buffer("b", np.zeros(1))
    with pytest.raises(TypeError, match=exact(
            "register_buffer: 'b' is a Parameter; use register_parameter")):
        m.register_buffer("b", Parameter(ag.zeros(1)))
    with pytest.raises(TypeError, match=exact(
            "add_module: 'c' must be a Module or None, got int")):
        m.add_module("c", 3)
    with pytest.raises(TypeError, match=exact("module name must be a str, got int")):
        m.add_module(3, None)
    with pytest.raises(KeyError, match=re.escape(
            "module name must be non-empty and contain no '.', got 'x.y'")):
        m.add_module("x.y", None)
    with pytest.raises(KeyError, match=re.escape(
            "module name must be non-empty and contain no '.', got ''")):
        m.add_module("", None)
    bare = Module.__new__(Module)
    with pytest.raises(AttributeError, match=exact(
            "cannot register a buffer before Module.__init__() call")):
        bare.register_buffer("b", None)
    assert list(m._parameters) == ["w"] and list(m._buffers) == ["count", "scratch"]


def test_re_registration_moves_a_name_between_kinds():
    """A name registered again (as another kind) leaves the old store and the
    non-persistent set; re-registering an existing name is allowed."""
    m = Leaf()
    m.register_parameter("w", None)  # an existing parameter name may be re-registered
    assert "w" in m._parameters and m.w is None
    m.register_buffer("scratch", ag.zeros(2))  # now persistent
    assert "scratch" not in m._non_persistent_buffers_set
    assert "scratch" in m.state_dict()
    m.register_parameter("count", Parameter(ag.zeros(1)))
    assert "count" not in m._buffers and "count" in m._parameters
    m.add_module("count", Leaf())
    assert "count" not in m._parameters and isinstance(m.count, Leaf)
    m.register_module("other", None)  # the alias
    assert "other" in m._modules and m.other is None


def test_assignment_errors_name_the_module():
    m = Tree()
    with pytest.raises(TypeError, match=exact(
            "cannot assign int as parameter 'bias' of Tree (a Parameter or None is "
            "expected)")):
        m.bias = 3
    with pytest.raises(TypeError, match=exact(
            "cannot assign str as child module 'a' of Tree (a Module or None is expected)")):
        m.a = "x"
    with pytest.raises(TypeError, match=exact(
            "cannot assign float as buffer 'count' of Leaf (a Tensor or None is expected)")):
        m.a.count = 1.0
    m.a.count = None
    assert m.a.count is None and "count" in m.a._buffers


def test_getattr_delattr_and_dir():
    """Breaks if lookup, deletion or dir() miss one of the three stores."""
    m = Tree()
    with pytest.raises(AttributeError, match=exact("'Tree' object has no attribute 'nope'")):
        m.nope  # noqa: B018
    leaf = m.a
    leaf.register_buffer("tmp", ag.zeros(1), persistent=False)
    del leaf.tmp
    assert "tmp" not in leaf._buffers and "tmp" not in leaf._non_persistent_buffers_set
    del m.bias
    assert "bias" not in m._parameters
    del m.b
    assert "b" not in m._modules
    m.plain = 5
    del m.plain
    assert not hasattr(m, "plain")
    with pytest.raises(AttributeError):
        del m.never_set
    names = dir(leaf)
    assert {"w", "count", "scratch", "forward"} <= set(names)
    assert names == sorted(names)
    assert "a" in dir(m)


# --- lookup by dotted path --------------------------------------------------------------


def test_get_submodule_parameter_buffer():
    m = Tree()
    assert m.get_submodule("") is m and m.get_submodule("b") is m.b
    assert m.get_parameter("b.w") is m.b.w and m.get_parameter("bias") is m.bias
    assert m.get_buffer("a.count") is m.a.count
    with pytest.raises(AttributeError, match=exact(
            "Leaf has no submodule 'z' (looking up 'a.z')")):
        m.get_parameter("a.z.w")
    with pytest.raises(AttributeError, match=exact("Leaf has no parameter 'count'")):
        m.get_parameter("a.count")
    with pytest.raises(AttributeError, match=exact("Tree has no buffer 'bias'")):
        m.get_buffer("bias")
    with pytest.raises(AttributeError, match=exact("Leaf has no buffer 'w'")):
        m.get_buffer("b.w")


# --- walking ----------------------------------------------------------------------------


def test_named_members_prefix_recurse_and_duplicates():
    """Breaks if the prefix joiner, recurse=False, remove_duplicate or None-skipping
    change."""
    m = Tree()
    m.b.w = m.a.w  # shared
    m.a.register_parameter("empty", None)
    assert [n for n, _ in m.named_parameters()] == ["bias", "a.w"]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == \
        ["bias", "a.w", "b.w"]
    assert [n for n, _ in m.named_parameters(prefix="net")] == ["net.bias", "net.a.w"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["bias"]
    assert [n for n, _ in m.named_parameters(prefix="p", recurse=False)] == ["p.bias"]
    assert list(m.parameters(recurse=False)) == [m.bias]
    assert list(m.parameters()) == [m.bias, m.a.w]
    assert [n for n, _ in m.named_buffers()] == ["a.count", "a.scratch", "b.count",
                                                 "b.scratch"]
    assert [n for n, _ in m.named_buffers(recurse=False)] == []
    assert list(m.a.buffers(recurse=False)) == [m.a.count, m.a.scratch]
    assert len(list(m.buffers())) == 4


def test_children_and_modules_skip_none_and_duplicates():
    m = Tree()
    m.c = m.a  # the same child twice
    m.add_module("gone", None)
    assert [n for n, _ in m.named_children()] == ["a", "b"]
    assert list(m.children()) == [m.a, m.b]
    assert [n for n, _ in m.named_modules()] == ["", "a", "b"]
    assert [n for n, _ in m.named_modules(remove_duplicate=False)] == ["", "a", "b", "c"]
    assert [n for n, _ in m.named_modules(prefix="top")] == ["top", "top.a", "top.b"]
    assert list(m.modules()) == [m, m.a, m.b]
    memo = {id(m.a)}
    assert [n for n, _ in m.named_modules(memo=memo)] == ["", "b"]


def test_train_eval_requires_grad_zero_grad():
    m = Tree()
    assert m.train(False) is m and not m.a.training and not m.b.training
    assert m.train() is m and m.a.training
    with pytest.raises(ValueError, match=exact("train(): mode must be a bool, got int")):
        m.train(1)
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())
    m.a.w.grad = ag.tensor(np.full(2, 3.0))
    m.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(m.a.w.grad.numpy(), [0.0, 0.0])
    assert m.b.w.grad is None  # a None gradient stays None
    m.zero_grad()
    assert m.a.w.grad is None


# --- casts -------------------------------------------------------------------------------


def test_to_dtype_casts_floats_grads_and_keeps_objects():
    m = Tree()
    w = m.a.w
    w.grad = ag.tensor(np.ones(2))
    assert m.to(dtypes.float32) is m
    assert m.a.w is w and w.dtype == np.float32 and w.grad.dtype == np.float32
    assert not w.grad.requires_grad
    assert m.a.count.dtype == np.int64  # integer buffers keep their dtype
    assert m.a.scratch.dtype == np.float32  # non-persistent buffers move too
    m.double()
    assert w.dtype == np.float64 and w.grad.dtype == np.float64
    m.half()
    assert w.dtype == np.float16
    m.float()
    assert w.dtype == np.float32
    m.to(dtype=dtypes.float64, non_blocking=True)
    assert w.dtype == np.float64
    m.to(ag.tensor(np.zeros(1, np.float32)))  # to(tensor): its device and dtype
    assert w.dtype == np.float32
    m.to(None)
    assert w.dtype == np.float32


def test_to_errors_and_type():
    m = Tree()
    with pytest.raises(TypeError, match=exact(
            "Module.to(): unexpected arguments ['copy', 'memory_format']")):
        m.to(copy=True, memory_format=None)
    with pytest.raises(TypeError, match=exact(
            "Module.to(): only floating dtypes are accepted, got int32")):
        m.to(dtypes.int32)
    assert m.type(dtypes.float32) is m
    assert m.a.count.dtype == np.float32  # type() casts integer buffers too
    assert m.a.w.dtype == np.float32


def test_to_device_keeps_arrays_when_nothing_changes():
    m = Tree()
    data = m.a.w.array
    assert m.cpu() is m and m.a.w.array is data
    m.to("cpu", dtypes.float64)
    assert m.a.w.array is data  # same device, same dtype: nothing copied


def test_cuda_device_strings(monkeypatch):
    """cuda() builds PyTorch's device strings: cuda, cuda:<int>, or the given string."""
    seen = []
    monkeypatch.setattr(Module, "to", lambda self, *a, **k: seen.append(a) or self)
    m = Tree()
    m.cuda()
    m.cuda(1)
    m.cuda("cuda:2")
    m.cpu()
    assert seen == [("cuda",), ("cuda:1",), ("cuda:2",), ("cpu",)]


# --- state dicts --------------------------------------------------------------------------


def test_state_dict_keys_values_and_keep_vars():
    m = Tree()
    sd = m.state_dict()
    assert list(sd) == ["bias", "a.w", "a.count", "b.w", "b.count"]
    assert sd["a.w"] is not m.a.w and not sd["a.w"].requires_grad
    assert sd["a.w"].array is m.a.w.array  # shares the array
    kv = m.state_dict(keep_vars=True)
    assert kv["a.w"] is m.a.w
    dest = {"x": 1}
    out = m.a.state_dict(destination=dest, prefix="p.")
    assert out is dest and list(dest) == ["x", "p.w", "p.count"]


def test_load_state_dict_strict_message_lists_everything():
    m = Tree()
    sd = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd["a.w"] = np.zeros(5)
    del sd["bias"]
    sd["extra"] = np.zeros(1)
    sd["zz"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=exact(
            'Error(s) in loading state_dict for Tree:\n\tMissing key(s) in state_dict: '
            '"bias".\n\tUnexpected key(s) in state_dict: "extra", "zz".\n\tsize mismatch '
            "for a.w: copying a param with shape (5,) from checkpoint, the shape in current "
            "model is (2,).")):
        m.load_state_dict(sd)
    with pytest.raises(TypeError, match=exact("load_state_dict: expected a dict, got list")):
        m.load_state_dict([])


def test_load_state_dict_non_strict_report_and_copy():
    """Breaks if non-strict loading raises, skips a key, or aliases the given arrays."""
    m = Tree()
    src = {"a.w": np.array([7.0, 8.0]), "a.count": np.array([9], np.int32),
           "unknown": np.zeros(1)}
    before = m.a.w.array
    result = m.load_state_dict(src, strict=False)
    assert result.missing_keys == ["bias", "b.w", "b.count"]
    assert result.unexpected_keys == ["unknown"]
    assert repr(result) == str(result) == ("_IncompatibleKeys(missing_keys=['bias', 'b.w', "
                                           "'b.count'], unexpected_keys=['unknown'])")
    assert m.a.w.array is before  # copied in place
    np.testing.assert_array_equal(m.a.w.numpy(), [7.0, 8.0])
    assert m.a.count.dtype == np.int64 and m.a.count.numpy().tolist() == [9]
    src["a.w"][0] = -1
    assert m.a.w.numpy()[0] == 7.0
    ok = m.load_state_dict(m.state_dict())
    assert repr(ok) == "<All keys matched successfully>" and str(ok) == repr(ok)
    assert ok.missing_keys == [] and ok.unexpected_keys == []
    with pytest.raises(RuntimeError, match="size mismatch for a.w"):  # raised even if
        m.load_state_dict({"a.w": np.zeros(3)}, strict=False)           # not strict


@pytest.mark.parametrize("given", ["numpy", "tensor"])
def test_load_state_dict_assign_takes_a_private_array(given):
    m = Tree()
    arr = np.array([4.0, 5.0])
    value = arr if given == "numpy" else ag.tensor(arr)
    m.load_state_dict({"a.w": value}, strict=False, assign=True)
    np.testing.assert_array_equal(m.a.w.numpy(), [4.0, 5.0])
    arr[0] = 0
    assert m.a.w.numpy()[0] == 4.0
    f32 = np.array([1.5, 2.5], np.float32)
    m.load_state_dict({"a.w": f32}, strict=False, assign=True)
    assert m.a.w.dtype == np.float64  # cast to the parameter's dtype


class WithExtra(Module):
    def __init__(self):
        super().__init__()
        self.inner = Leaf()
        self.state = {"n": 1}

    def get_extra_state(self):
        return dict(self.state)

    def set_extra_state(self, state):
        self.state = dict(state)


def test_extra_state_keys_and_default_error():
    m = WithExtra()
    sd = m.state_dict()
    assert list(sd) == ["_extra_state", "inner.w", "inner.count"]
    sd["_extra_state"] = {"n": 5}
    m.load_state_dict(sd)
    assert m.state == {"n": 5}
    assert m.inner.get_extra_state() is None
    with pytest.raises(RuntimeError, match=exact(
            "Leaf has no set_extra_state() for its '_extra_state' entry")):
        m.inner.set_extra_state({})
    outer = Tree()
    outer.a = WithExtra()
    sd = outer.state_dict()
    assert "a._extra_state" in sd
    sd["a._extra_state"] = {"n": 9}
    outer.load_state_dict(sd)
    assert outer.a.state == {"n": 9}


# --- calling, hooks, copies, repr ----------------------------------------------------------


def test_hooks_replace_args_and_output_and_are_removable():
    m = Leaf()
    x = ag.tensor(np.ones(2))
    pre = m.register_forward_pre_hook(lambda mod, args: args[0] * 2)  # not a tuple
    post = m.register_forward_hook(lambda mod, args, out: out + 1)
    assert pre.id != post.id and post.id == pre.id + 1
    np.testing.assert_array_equal(m(x).numpy(), [1.0, 3.0])  # (2x) * w + 1
    m.register_forward_pre_hook(lambda mod, args: None)  # None keeps the args
    np.testing.assert_array_equal(m(x).numpy(), [1.0, 3.0])
    pre.remove()
    pre.remove()  # idempotent
    np.testing.assert_array_equal(m(x).numpy(), [1.0, 2.0])
    with post:
        pass
    np.testing.assert_array_equal(m(x).numpy(), [0.0, 1.0])
    tup = m.register_forward_pre_hook(lambda mod, args: (args[0] * 3,))
    np.testing.assert_array_equal(m(x).numpy(), [0.0, 3.0])
    tup.remove()


def test_forward_receives_kwargs_and_missing_forward_message():
    class K(Module):
        def forward(self, x, *, scale=1):
            return x * scale

    assert K()(2, scale=3) == 6
    with pytest.raises(NotImplementedError, match=exact(
            'Module [Module] is missing the required "forward" function')):
        Module()(1)


def test_deepcopy_is_independent_and_shares_devices():
    m = Tree()
    m.a.w.grad = ag.tensor(np.ones(2))
    c = copy.deepcopy(m)
    assert type(c) is Tree and c.a is not m.a and c.a.w is not m.a.w
    assert c.a.w.device is m.a.w.device
    c.a.w.array[...] = 9
    assert m.a.w.numpy().tolist() == [0.0, 1.0]
    assert c.training and list(c.state_dict()) == list(m.state_dict())
    assert "scratch" in c.a._non_persistent_buffers_set


def test_repr_layouts():
    class One(Module):
        def extra_repr(self):
            return "k=1"

    class Two(Module):
        def extra_repr(self):
            return "k=1\nj=2"

    assert repr(Module()) == "Module()"
    assert repr(One()) == "One(k=1)"
    assert repr(Two()) == "Two(\n  k=1\n  j=2\n)"
    outer = One()
    outer.lin = Linear(2, 3)
    inner = Module()
    inner.x = One()
    outer.inner = inner
    assert repr(outer) == ("One(\n  k=1\n  (lin): Linear(in_features=2, out_features=3, "
                           "bias=True)\n  (inner): Module(\n    (x): One(k=1)\n  )\n)")


def test_report_with_only_missing_or_only_unexpected_keys():
    """Breaks if strictness or the report's repr needs both kinds of key at once."""
    m = Tree()
    sd = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    del sd["bias"], sd["b.w"]
    with pytest.raises(RuntimeError, match=exact(
            'Error(s) in loading state_dict for Tree:\n\tMissing key(s) in state_dict: '
            '"bias", "b.w".')):
        m.load_state_dict(sd)
    only_missing = m.load_state_dict(sd, strict=False)
    assert repr(only_missing).startswith("_IncompatibleKeys(missing_keys=['bias', 'b.w']")
    full = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    only_unexpected = m.load_state_dict({**full, "x": np.zeros(1)}, strict=False)
    assert repr(only_unexpected) == ("_IncompatibleKeys(missing_keys=[], "
                                     "unexpected_keys=['x'])")


def test_none_entries_do_not_stop_walks_casts_or_loads():
    """A None parameter or buffer registered first: later ones are still walked, cast
    and loaded (breaks if a `continue` becomes a `break`)."""
    m = Module()
    m.register_parameter("none", None)
    m.register_buffer("nobuf", None)
    m.w = Parameter(ag.tensor(np.ones(2)))
    m.register_buffer("b", ag.tensor(np.ones(2)))
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert [n for n, _ in m.named_buffers()] == ["b"]
    m.to(dtypes.float32)
    assert m.w.dtype == np.float32 and m.b.dtype == np.float32
    m.w.grad = ag.tensor(np.full(2, 5.0, np.float32))
    m.zero_grad(set_to_none=False)
    assert m.w.grad.shape == (2,) and m.w.grad.dtype == np.float32
    np.testing.assert_array_equal(m.w.grad.numpy(), [0.0, 0.0])
    m.load_state_dict({"b": np.full(2, 3.0)}, strict=False)
    np.testing.assert_array_equal(m.b.numpy(), [3.0, 3.0])


def test_shared_buffers_and_keep_vars_for_buffers():
    m = Tree()
    m.b.register_buffer("count", m.a.count)  # the same buffer in two modules
    assert [n for n, _ in m.named_buffers()] == ["a.count", "a.scratch", "b.scratch"]
    assert len([n for n, _ in m.named_buffers(remove_duplicate=False)]) == 4
    kv = m.state_dict(keep_vars=True)
    assert kv["a.count"] is m.a.count
    assert m.state_dict()["a.count"] is not m.a.count


def test_hooks_receive_the_module():
    m = Leaf()
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append(mod))
    m.register_forward_hook(lambda mod, args, out: seen.append(mod))
    m(ag.tensor(np.ones(2)))
    assert seen == [m, m]


def test_deepcopy_keeps_references_inside_the_copy():
    """A module reachable from itself, and a parameter shared by two children, stay so in
    the copy (breaks if deepcopy's memo is not used or not filled)."""
    m = Tree()
    m.b.w = m.a.w
    object.__setattr__(m, "refs", [m])
    c = copy.deepcopy(m)
    assert c.refs[0] is c
    assert c.b.w is c.a.w and c.a.w is not m.a.w
    assert c.a.count.device is m.a.count.device


def test_members_of_a_shared_child_without_deduplication():
    """remove_duplicate=False lists a child registered twice under both names."""
    m = Tree()
    m.c = m.a
    names = [n for n, _ in m.named_parameters(remove_duplicate=False)]
    assert names == ["bias", "a.w", "b.w", "c.w"]
    assert [n for n, _ in m.named_buffers(remove_duplicate=False)][-2:] == ["c.count",
                                                                           "c.scratch"]


def test_a_plain_attribute_replaced_by_a_parameter_or_module():
    m = Module()
    m.x = 5
    m.x = Parameter(ag.tensor(np.ones(1)))
    assert isinstance(m.x, Parameter) and "x" not in m.__dict__
    m.y = "text"
    m.y = Leaf()
    assert isinstance(m.y, Leaf) and "y" not in m.__dict__
    m.x, m.y = None, None  # back to None, still registered
    assert "x" in m._parameters and "y" in m._modules


def test_shape_mismatch_after_a_missing_key_is_reported():
    m = Tree()
    with pytest.raises(RuntimeError, match=exact(
            "Error(s) in loading state_dict for Tree:\n\tsize mismatch for b.w: copying a "
            "param with shape (2,) from checkpoint, the shape in current model is (3,).")):
        m.load_state_dict({"b.w": np.zeros(2)}, strict=False)


def test_modules_walk_continues_past_a_shared_module():
    m = Tree()
    m.b.inner = m.a  # reached again, before the last child
    m.z = Leaf()
    assert list(m.modules()) == [m, m.a, m.b, m.z]


def test_extra_state_entry_then_a_shape_mismatch_is_reported():
    m = WithExtra()
    with pytest.raises(RuntimeError, match=re.escape("size mismatch for inner.w: copying a "
                                                     "param with shape (5,)")):
        m.load_state_dict({"_extra_state": {"n": 2}, "inner.w": np.zeros(5)}, strict=False)
