"""nn.DataParallel on the one device a process uses: a transparent wrapper, as PyTorch's
is without several GPUs; several devices are refused with the way to get them."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn


def test_forward_backward_and_state_dict_are_the_modules():
    ag.manual_seed(0)
    inner = nn.Linear(4, 3)
    dp = nn.DataParallel(inner)
    x = ag.randn(5, 4)
    np.testing.assert_array_equal(dp(x).numpy(), inner(x).numpy())
    dp(x).sum().backward()
    np.testing.assert_allclose(inner.weight.grad.numpy(), np.tile(x.numpy().sum(0), (3, 1)),
                               rtol=1e-6)
    assert sorted(dp.state_dict()) == ["module.bias", "module.weight"]  # PyTorch's keys
    assert dp.module is inner and len(list(dp.parameters())) == 2


def test_several_devices_point_to_distributed_data_parallel():
    with pytest.raises(NotImplementedError, match="DistributedDataParallel"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=[0, 1])
    with pytest.raises(TypeError, match="nn.Module"):
        nn.DataParallel(lambda x: x)
    assert nn.DataParallel(nn.Linear(2, 2), device_ids=[0]).device_ids == [0]
