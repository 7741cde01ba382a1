"""The scalar engine ``ag.Value``: closed forms, agreement with the Tensor engine,
deep graphs, reflected ops and errors."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value


def _tensor_grads(fn, xs):
    """Gradients of ``fn`` by the Tensor engine (float64 0-d tensors)."""
    ts = [ag.tensor(x, dtype=ag.float64, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


def _value_grads(fn, xs):
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def test_closed_forms_of_every_op():
    a, b = Value(1.5), Value(-0.7)
    cases = [
        (lambda: a + b, (1.0, 1.0)),
        (lambda: a - b, (1.0, -1.0)),
        (lambda: a * b, (-0.7, 1.5)),
        (lambda: a / b, (1 / -0.7, -1.5 / 0.49)),
        (lambda: a**3, (3 * 1.5**2, 0.0)),
        (lambda: a**-0.5, (-0.5 * 1.5**-1.5, 0.0)),
        (lambda: a**b, (-0.7 * 1.5**-1.7, 1.5**-0.7 * math.log(1.5))),
        (lambda: -a, (-1.0, 0.0)),
        (lambda: a.tanh(), (1 - math.tanh(1.5) ** 2, 0.0)),
        (lambda: a.exp(), (math.exp(1.5), 0.0)),
        (lambda: a.log(), (1 / 1.5, 0.0)),
        (lambda: b.sigmoid(), (0.0, math.exp(0.7) / (1 + math.exp(0.7)) ** 2)),
        (lambda: a.relu(), (1.0, 0.0)),
        (lambda: b.relu(), (0.0, 0.0)),
    ]
    for make, (ga, gb) in cases:
        a.grad = b.grad = 0.0
        make().backward()
        assert a.grad == pytest.approx(ga, rel=1e-12, abs=1e-15)
        assert b.grad == pytest.approx(gb, rel=1e-12, abs=1e-15)


def test_forward_values():
    a = Value(2.0)
    assert (a * 3 + 1).data == 7.0
    assert (a**2).data == 4.0
    assert a.sigmoid().data == pytest.approx(1 / (1 + math.exp(-2)))
    assert Value(-800.0).sigmoid().data == pytest.approx(0.0)  # no overflow
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(0.0).relu().data == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_tensor_engine(seed):
    rng = np.random.default_rng(seed)
    xs = [float(v) for v in rng.uniform(0.5, 2.0, size=3)]

    def fn(x, y, z):
        u = x * y + z / x - 2.0 * y
        w = (u.tanh() * z).exp() + (x**2.5) * y.sigmoid() - (z + 1.0).log()
        return (w * u).relu() + 3.0 / (w + 4.0) + 0.5 - w * w

    v_out, v_grads = _value_grads(fn, xs)
    t_out, t_grads = _tensor_grads(fn, xs)
    assert v_out == pytest.approx(t_out, rel=1e-12)
    np.testing.assert_allclose(v_grads, t_grads, rtol=1e-10)


def test_finite_differences_on_a_composite():
    def fn(x, y):
        return ((x * y).tanh() + x.exp() / (y * y + 1.0)).log() * x - y**3

    xs = [0.3, -0.8]
    _, grads = _value_grads(fn, xs)
    eps = 1e-6
    for i in range(2):
        hi, lo = list(xs), list(xs)
        hi[i] += eps
        lo[i] -= eps
        num = (fn(*map(Value, hi)).data - fn(*map(Value, lo)).data) / (2 * eps)
        assert grads[i] == pytest.approx(num, rel=1e-6)


def test_shared_subexpressions_diamond():
    x = Value(0.6)
    h = x * x  # used by two paths
    out = h.tanh() * h + h
    out.backward()
    t = math.tanh(0.36)
    dh = (1 - t * t) * 0.36 + t + 1.0
    assert x.grad == pytest.approx(dh * 2 * 0.6, rel=1e-12)
    assert h.grad == pytest.approx(dh, rel=1e-12)


def test_same_value_on_both_sides():
    x = Value(3.0)
    (x * x + x / x - x - x).backward()
    assert x.grad == pytest.approx(2 * 3.0 - 2.0)


def test_backward_twice_accumulates_into_leaves_only():
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward()
    assert (x.grad, h.grad) == (12.0, 3.0)
    y.backward()
    assert (x.grad, h.grad) == (24.0, 3.0)  # leaves accumulate; interior stays exact
    x.grad = 0.0
    y.backward(gradient=0.5)
    assert x.grad == 6.0


def test_backward_of_a_leaf_and_of_a_subgraph():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0
    y = x * x
    z = y + 1.0
    x.grad = 0.0
    y.backward()  # a root in the middle of a larger graph
    assert x.grad == 4.0
    assert z.grad == 0.0


def test_chain_of_a_million_nodes():
    x0 = Value(0.5)
    x = x0
    for _ in range(500_000):  # two nodes per step
        x = x * 1.000001 + 0.1
    x.backward()
    assert x0.grad == pytest.approx(1.000001**500_000, rel=1e-9)
    del x  # freeing a deep chain must not overflow the C stack either


def test_wide_fan_in():
    xs = [Value(float(i)) for i in range(100_000)]
    total = sum(xs, Value(0.0))
    sq = sum((x * x for x in xs), Value(0.0))
    (total + sq).backward()
    assert [xs[i].grad for i in (0, 7, 99_999)] == [1.0, 15.0, 199_999.0]


def test_reflected_ops_with_numbers():
    a = Value(4.0)
    for expr, data, grad in [
        (lambda: 2 + a, 6.0, 1.0),
        (lambda: 2 - a, -2.0, -1.0),
        (lambda: 2 * a, 8.0, 2.0),
        (lambda: 2 / a, 0.5, -2 / 16),
        (lambda: 2**a, 16.0, 16.0 * math.log(2)),
        (lambda: a / 2, 2.0, 0.5),
        (lambda: a - 1, 3.0, 1.0),
        (lambda: np.float32(2.0) * a, 8.0, 2.0),
        (lambda: a * np.float64(0.5), 2.0, 0.5),
        (lambda: a + np.int64(1), 5.0, 1.0),
    ]:
        a.grad = 0.0
        out = expr()
        assert isinstance(out, Value)
        out.backward()
        assert (out.data, a.grad) == (pytest.approx(data), pytest.approx(grad))


def test_division_by_zero_and_domain_errors():
    a = Value(1.0)
    with pytest.raises(ZeroDivisionError, match="__truediv__"):
        a / 0
    with pytest.raises(ZeroDivisionError, match="__truediv__"):
        a / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="__rtruediv__"):
        1.0 / Value(0.0)
    with pytest.raises(ValueError, match="Value.log"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="positive base"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(OverflowError, match="Value.exp"):
        Value(1000.0).exp()


@pytest.mark.parametrize("bad", ["x", [1.0], None, 1j, {}])
def test_bad_operand_types_raise_type_error(bad):
    a = Value(1.0)
    for op in (lambda: a + bad, lambda: bad + a, lambda: a * bad, lambda: bad * a,
               lambda: a - bad, lambda: bad - a, lambda: a / bad, lambda: bad / a,
               lambda: a**bad, lambda: bad**a):
        with pytest.raises(TypeError):
            op()
    with pytest.raises(TypeError, match="Value\\(\\): expected a real number"):
        Value(bad)


def test_graph_inspection_and_display():
    a = Value(2.0, label="a")
    b = Value(3.0)
    c = a * b
    assert c._prev == (a, b) and c.children == (a, b)
    assert c._local == (3.0, 2.0)
    assert c._op == "*"
    assert (a + 1)._prev == (a,)
    assert a._prev == ()
    assert a.label == "a" and c.label == ""
    c.label = "c"
    assert "label='c'" in repr(c)
    assert float(c) == 6.0
    assert Value(Value(5.0)).data == 5.0
    assert ag.Value is Value


def test_same_training_trajectory_as_micrograd():
    mg = pytest.importorskip("micrograd.engine")
    rng = np.random.default_rng(0)
    w0 = rng.uniform(-1, 1, size=3).tolist()
    xs = rng.uniform(-1, 1, size=(8, 2)).tolist()

    def train(V, relu):
        w = [V(v) for v in w0]
        for _ in range(3):
            loss = V(0.0)
            for x1, x2 in xs:
                s = w[0] * x1 + w[1] * x2 + w[2]
                loss = loss + relu(1 + -s) * (1.0 / len(xs))
            for p in w:
                p.grad = 0.0
            loss.backward()
            for p in w:
                p.data -= 0.1 * p.grad
        return [p.data for p in w]

    ours = train(Value, Value.relu)
    theirs = train(mg.Value, mg.Value.relu)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_an_interrupted_backward_leaves_the_graph_usable():
    class Bomb(float):
        def __mul__(self, other):
            raise KeyboardInterrupt

        __rmul__ = __mul__

    x = Value(2.0)
    h = x * x
    y = h * h + h
    hh = y._a
    saved = hh._da
    hh._da = Bomb(saved)  # d(h*h)/dh, read while h still waits for its second share
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert all(v._n == 0 for v in (y, hh, h, x))  # pending counts were reset
    hh._da = saved
    x.grad = 0.0
    y.backward()
    assert x.grad == pytest.approx((2 * 4.0 + 1) * 2 * 2.0)
