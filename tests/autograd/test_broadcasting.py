"""Hypothesis: every binary op on broadcastable shapes gives NumPy's forward and
gradients of each input's own shape, equal to finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

OPS = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a**b, np.power),
    "maximum": (ag.maximum, np.maximum),
}


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 max_side=3),
       op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**16))
def test_binary_broadcasting(shapes, op, seed):
    fn, ref = OPS[op]
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = rng.uniform(0.5, 2.0, sa)
    b = rng.uniform(0.5, 2.0, sb) + (rng.uniform(0, 1e-3, sb) if op == "maximum" else 0)
    ta = ag.tensor(a, requires_grad=True)
    tb = ag.tensor(b, requires_grad=True)
    out = fn(ta, tb)
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-12)
    assert out.shape == shapes.result_shape
    out.sum().backward()
    assert ta.grad.shape == sa and tb.grad.shape == sb
    assert ag.gradcheck(fn, (ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)))
