"""Views share their base's storage and version, with PyTorch's metadata."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def _shares(a, b):
    return np.shares_memory(a.array, b.array)


@pytest.mark.parametrize("make", [
    lambda x: x.view(4, 3),
    lambda x: x.reshape(12),
    lambda x: x.transpose(0, 1),
    lambda x: x.permute(1, 0),
    lambda x: x.t(),
    lambda x: x[:, None].expand(3, 2, 4),
    lambda x: x.unsqueeze(0),
    lambda x: x[None].squeeze(0),
    lambda x: x.narrow(1, 1, 2),
    lambda x: x.diagonal(),
    lambda x: x.unfold(1, 2, 1),
    lambda x: x[1:, ::2],
    lambda x: x[0, 1],
    lambda x: x[..., 2],
], ids=["view", "reshape", "transpose", "permute", "t", "expand", "unsqueeze", "squeeze",
        "narrow", "diagonal", "unfold", "slice", "int_int", "ellipsis"])
def test_view_ops_share_storage_and_version(make):
    x = ag.arange(12.0).reshape(3, 4)
    base = x._base  # reshape of a fresh arange is itself a view
    v = make(x)
    assert _shares(v, x)
    assert v._base is (base if base is not None else x)
    x.array  # noqa: B018
    ag.ones(1).add_(0)  # another storage: no effect on this one
    before = v._version
    x.mul_(1)
    assert v._version == before + 1


def test_advanced_indexing_and_reshape_of_non_contiguous_copy():
    x = ag.arange(12.0).reshape(3, 4)
    assert not _shares(x[[0, 2]], x) and x[[0, 2]]._base is None
    assert not _shares(x[x > 5], x)
    t = x.t()
    flat = t.reshape(12)
    assert not _shares(flat, x) and flat._base is None
    with pytest.raises(RuntimeError, match="use .reshape"):
        t.view(12)


def test_writes_through_views_reach_the_base():
    x = ag.zeros(3, 4)
    x[1].fill_(1.0)
    x.t()[2].add_(5.0)
    x.view(12)[0] = 9.0
    x.narrow(0, 2, 1).mul_(0.0)
    expected = np.zeros((3, 4))
    expected[1] = 1.0
    expected[:2, 2] += 5.0
    expected[0, 0] = 9.0
    np.testing.assert_array_equal(x.numpy(), expected)


def test_metadata_as_pytorch():
    x = ag.zeros(3, 4)
    assert x.is_contiguous() and x.stride() == (4, 1) and x.storage_offset() == 0
    t = x.t()
    assert not t.is_contiguous() and t.stride() == (1, 4) and t.stride(0) == 1
    c = t.contiguous()
    assert c.is_contiguous() and not _shares(c, x) and x.contiguous() is x
    s = x[1, 1:]
    assert s.storage_offset() == 5 and s.data_ptr() == x.data_ptr() + 5 * 4
    assert x.diagonal().stride() == (5,)


def test_detach_is_not_a_view_but_shares_storage_and_version():
    x = ag.ones(2, requires_grad=True)
    d = x.detach()
    assert d._base is None and _shares(d, x)
    d.add_(1)
    assert x._version == 1 and x.tolist() == [2.0, 2.0]


def test_views_of_leaf_get_gradients():
    x = ag.arange(6.0).reshape(2, 3).detach().requires_grad_()
    (x.t()[0] * 2 + x.diagonal().sum() + x.unfold(1, 2, 1).sum()).sum().backward()
    # the two scalar sums are broadcast over the column's 2 entries, so counted twice
    expected = np.array([[2.0, 0, 0], [2.0, 0, 0]]) + 2 * np.eye(2, 3) + 2 * np.array(
        [[1, 2, 1]])
    np.testing.assert_allclose(x.grad.numpy(), expected)
