"""max_pool2d(return_indices=True) inside ag.compile: the indices are computed by a
replayable step, so each replay returns the indices of its own input (computed outside
the recorded ops they would be baked into the recording as constants)."""

from __future__ import annotations

import numpy as np

import autograd as ag
import nn
import nn.functional as F
import optim


def _model():
    ag.manual_seed(0)
    conv = nn.Conv2d(1, 2, 3).double()
    return conv, optim.SGD(conv.parameters(), lr=0.1)


def _step(conv, opt):
    def step(x):
        opt.zero_grad()
        out, idx = F.max_pool2d(conv(x), 2, return_indices=True)
        loss = (out * out).sum()
        loss.backward()
        opt.step()
        return loss, idx
    return step


def test_compiled_steps_return_each_inputs_indices_and_train_alike():
    rng = np.random.default_rng(0)
    (c1, o1), (c2, o2) = _model(), _model()
    plain, compiled = _step(c1, o1), ag.compile(_step(c2, o2))
    for _ in range(6):
        x = ag.tensor(rng.normal(size=(2, 1, 7, 7)))
        (l1, i1), (l2, i2) = plain(x), compiled(x)
        assert l1.item() == l2.item()
        np.testing.assert_array_equal(i1.numpy(), i2.numpy())
    np.testing.assert_array_equal(c1.weight.numpy(), c2.weight.numpy())
