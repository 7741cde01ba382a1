"""Differential fuzz against PyTorch (float64): hypothesis draws shapes, values, keys and
op chains; the forward values, the gradients and (for chains) the second derivatives must
equal PyTorch's. Skipped without torch.

A few seconds by default (the "ci" profile of tests/conftest.py); thousands of examples:
    python -m pytest tests/autograd/test_fuzz_torch.py --hypothesis-profile=long
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

torch = pytest.importorskip("torch")

# values with ties, zeros and signs (where the gradient rules have their special cases)
_values = st.one_of(st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]),
                    st.floats(-3, 3, allow_nan=False, width=64))

# ... and sometimes NaN, whose gradient routing PyTorch defines for max/maximum/relu
_values_nan = st.one_of(_values, st.just(float("nan")))


def _array(draw, shape, elements=_values):
    return draw(hnp.arrays(np.float64, shape, elements=elements))


def _pair(x: np.ndarray):
    """The same float64 data as a leaf requiring grad in both libraries."""
    return (ag.tensor(x.copy(), requires_grad=True),
            torch.tensor(x.copy(), requires_grad=True))


def _assert_close(ours, theirs, what):
    if theirs is None:
        assert ours is None or not np.any(ours.numpy()), what
        return
    t = theirs.detach().numpy()
    o = ours.numpy() if ours is not None else np.zeros_like(t)
    assert o.shape == t.shape, f"{what}: shape {o.shape} != torch {t.shape}"
    assert o.dtype == t.dtype, f"{what}: dtype {o.dtype} != torch {t.dtype}"
    np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=what)


def _run_both(f_ours, f_torch, arrays, upstream_seed, what):
    """Forward and backward through both; an op PyTorch refuses must be refused too."""
    ours, theirs = zip(*(_pair(a) for a in arrays))
    try:
        t_out = f_torch(*theirs)
    except (RuntimeError, IndexError, ValueError, TypeError):
        with pytest.raises(Exception):  # noqa: B017 - any precise error is fine
            f_ours(*ours)
        return
    o_out = f_ours(*ours)
    _assert_close(o_out, t_out, f"{what} forward")
    if not t_out.requires_grad:
        return
    g = np.random.default_rng(upstream_seed).normal(size=tuple(t_out.shape))
    t_out.backward(torch.tensor(g))
    o_out.backward(ag.tensor(g))
    for i, (o, t) in enumerate(zip(ours, theirs)):
        _assert_close(o.grad, t.grad, f"{what} grad of input {i}")


# --- broadcasting binary ops -------------------------------------------------------------

_BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (ag.maximum, torch.maximum),
    "minimum": (ag.minimum, torch.minimum),
    "pow": (lambda a, b: a.abs() ** b, lambda a, b: a.abs() ** b),
    "add_alpha": (lambda a, b: ag.add(a, b, alpha=-1.5), lambda a, b: torch.add(a, b, alpha=-1.5)),
    "where": (lambda a, b: ag.where(a > b, a, b), lambda a, b: torch.where(a > b, a, b)),
    "relu_mul": (lambda a, b: ag.relu(a) * b, lambda a, b: torch.relu(a) * b),
}


@given(op=st.sampled_from(sorted(_BINARY)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                min_side=0, max_side=3),
       data=st.data(), seed=st.integers(0, 2**16))
def test_broadcasting_binary_ops(op, shapes, data, seed):
    nan_ok = (op in ("add", "mul", "maximum", "minimum", "where", "relu_mul")
              and data.draw(st.booleans()))
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0],
                             elements=_values_nan if nan_ok else _values))
    nonzero = _values.filter(lambda v: abs(v) > 0.1)  # x/0 and 0**-p: inf, no gradient
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1],
                             elements=nonzero if op in ("div", "pow") else _values))
    if op == "pow":
        a = np.where(np.abs(a) < 0.1, 0.5, a)
    ours, theirs = _BINARY[op]
    _run_both(ours, theirs, (a, b), seed, f"{op} {shapes.input_shapes}")


# --- reductions with dim and keepdim -----------------------------------------------------

_REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "logsumexp", "var", "std",
               "softmax", "log_softmax", "argmax", "argmin", "max_all", "min_all"]


def _reduce(lib, name, x, dim, keepdim):
    if name in ("max_all", "min_all"):
        return getattr(x, name[:3])()
    if name in ("softmax", "log_softmax"):
        return getattr(lib, name)(x, dim if dim is not None else -1)
    if name in ("max", "min", "argmax", "argmin"):
        out = getattr(x, name)(dim, keepdim=keepdim) if dim is not None else getattr(x, name)()
        return out[0] if isinstance(out, tuple) else out
    if name == "logsumexp" and dim is None:
        dim = tuple(range(x.ndim))
    if dim is None:
        return getattr(x, name)()
    return getattr(x, name)(dim, keepdim=keepdim)


@given(name=st.sampled_from(_REDUCTIONS),
       shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       data=st.data(), keepdim=st.booleans(), seed=st.integers(0, 2**16))
def test_reductions_with_dim_and_keepdim(name, shape, data, keepdim, seed):
    x = _array(data.draw, shape, _values_nan if data.draw(st.integers(0, 4)) == 0 else _values)
    nd = max(len(shape), 1)
    dim = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    if dim is not None and name not in ("max", "min", "argmax", "argmin", "softmax",
                                        "log_softmax", "prod") and len(shape) > 1:
        dim = data.draw(st.sampled_from([dim, (dim, (dim + 1) % len(shape))]))
        if isinstance(dim, tuple) and dim[0] % len(shape) == dim[1]:
            dim = dim[0]
    if name in ("var", "std"):  # with no degree of freedom both give inf/NaN garbage
        dims = range(len(shape)) if dim is None else np.atleast_1d(dim)
        assume(len(shape) > 0 and int(np.prod([shape[d] for d in dims])) >= 2)
    _run_both(lambda t: _reduce(ag, name, t, dim, keepdim),
              lambda t: _reduce(torch, name, t, dim, keepdim),
              (x,), seed, f"{name}(dim={dim}, keepdim={keepdim}) of {shape}")


# --- indexing ------------------------------------------------------------------------------


@st.composite
def _index(draw, shape):
    """A key for ``shape``: ints, stepped slices, None, one Ellipsis, integer arrays (of
    one length, so they broadcast) or a single boolean mask."""
    key, arrays = [], draw(st.integers(1, 3))
    use_mask = draw(st.booleans()) and len(shape) > 0
    mask_dim = draw(st.integers(0, len(shape) - 1)) if use_mask else -1
    ellipsis_at = draw(st.one_of(st.none(), st.integers(0, len(shape))))
    for d, n in enumerate(shape):
        if d == ellipsis_at:
            key.append(Ellipsis)
            break  # the Ellipsis stands for the remaining dims
        if draw(st.integers(0, 5)) == 0:
            key.append(None)
        if d == mask_dim:
            key.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
            continue
        kind = draw(st.sampled_from(["int", "slice", "array", "full"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            key.append(slice(draw(st.one_of(st.none(), st.integers(-n, n))),
                             draw(st.one_of(st.none(), st.integers(-n, n))),
                             draw(st.one_of(st.none(), st.integers(1, 3)))))
        elif kind == "array" and not use_mask:
            key.append(draw(st.lists(st.integers(-n, n - 1), min_size=arrays,
                                     max_size=arrays)))
        else:
            key.append(slice(None))
    if draw(st.booleans()):
        key.append(None)
    return tuple(key)


def _key_for(lib, key):
    return tuple(lib.tensor(k) if isinstance(k, np.ndarray) else k for k in key)


@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
       data=st.data(), seed=st.integers(0, 2**16))
def test_indexing(shape, data, seed):
    x = _array(data.draw, shape)
    key = data.draw(_index(shape))
    _run_both(lambda t: t[_key_for(ag, key)], lambda t: t[_key_for(torch, key)],
              (x,), seed, f"x{list(shape)}[{key}]")


# --- chains of view ops ------------------------------------------------------------------


@st.composite
def _view_chain(draw, shape):
    steps, shape = [], list(shape)
    for _ in range(draw(st.integers(1, 5))):
        nd = len(shape)
        choices = ["unsqueeze", "reshape_flat"]
        if nd >= 2:
            choices += ["transpose", "permute", "flatten", "reshape_split"]
        if nd >= 1:
            choices += ["squeeze", "expand", "slice"]
        op = draw(st.sampled_from(choices))
        if op == "unsqueeze":
            d = draw(st.integers(-nd - 1, nd))
            steps.append(("unsqueeze", d))
            shape.insert(d % (nd + 1), 1)
        elif op == "reshape_flat":
            steps.append(("reshape", (-1,)))
            shape = [int(np.prod(shape))]
        elif op == "reshape_split":
            steps.append(("reshape", (shape[0], -1)))
            shape = [shape[0], int(np.prod(shape[1:]))]
        elif op == "transpose":
            i, j = draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))
            steps.append(("transpose", i, j))
            shape[i], shape[j] = shape[j], shape[i]
        elif op == "permute":
            perm = draw(st.permutations(range(nd)))
            steps.append(("permute", tuple(perm)))
            shape = [shape[p] for p in perm]
        elif op == "flatten":
            steps.append(("flatten", 0, -1))
            shape = [int(np.prod(shape))]
        elif op == "squeeze":
            d = draw(st.integers(-nd, nd - 1))
            steps.append(("squeeze", d))
            if shape[d] == 1:
                shape.pop(d)
        elif op == "expand":
            new = [2 if s == 1 else -1 for s in shape]
            steps.append(("expand", tuple(new)))
            shape = [2 if s == 1 else s for s in shape]
        else:
            d = draw(st.integers(0, nd - 1))
            step = draw(st.integers(1, 2))
            steps.append(("slice", d, step))
            shape[d] = len(range(0, shape[d], step))
    return steps


def _apply_chain(x, steps):
    for step in steps:
        name, *args = step
        if name == "slice":
            d, s = args
            x = x[(slice(None),) * d + (slice(None, None, s),)]
        elif name in ("reshape", "expand", "permute"):
            x = getattr(x, name)(*args[0])
        else:
            x = getattr(x, name)(*args)
    return x


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
       data=st.data(), seed=st.integers(0, 2**16))
def test_view_op_chains(shape, data, seed):
    x = _array(data.draw, shape)
    steps = data.draw(_view_chain(shape))
    _run_both(lambda t: _apply_chain(t, steps) * 2, lambda t: _apply_chain(t, steps) * 2,
              (x,), seed, f"{steps} on {shape}")


# --- second-order gradients ----------------------------------------------------------------

_SMOOTH = {
    "sin": lambda lib, x, y: x.sin() * y,
    "exp_tanh": lambda lib, x, y: (x.tanh() * y).exp(),
    "sigmoid": lambda lib, x, y: lib.sigmoid(x * y),
    "cube": lambda lib, x, y: x ** 3 - x * y,
    "div": lambda lib, x, y: x / (y * y + 1),
    "softmax": lambda lib, x, y: lib.softmax(x * y, -1),
    "log_softmax": lambda lib, x, y: lib.log_softmax(x + y, -1),
    "logsumexp": lambda lib, x, y: (x * y).logsumexp(-1),
    "std": lambda lib, x, y: (x + y).std(-1),
    "mean_sq": lambda lib, x, y: ((x - y) ** 2).mean(-1),
    "matmul": lambda lib, x, y: x @ (y.transpose(-1, -2) if y.ndim >= 2 else y),
    "max_dim": lambda lib, x, y: (x * y).max(-1)[0] ** 2,
}


@given(op=st.sampled_from(sorted(_SMOOTH)),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
       data=st.data(), seed=st.integers(0, 2**16))
def test_second_order_gradients(op, shape, data, seed):
    smooth = st.floats(-2, 2, allow_nan=False, width=64)
    x = _array(data.draw, shape, smooth)
    y = _array(data.draw, shape, smooth)
    if op == "std":  # a near-constant row's std is rounding noise in either library
        assume(np.ptp(x + y, axis=-1).min() > 1e-3 or shape[-1] == 1)
    rng = np.random.default_rng(seed)
    (xo, yo), (xt, yt) = zip(_pair(x), _pair(y))
    out_o, out_t = _SMOOTH[op](ag, xo, yo), _SMOOTH[op](torch, xt, yt)
    _assert_close(out_o, out_t, f"{op} forward")
    u = rng.normal(size=tuple(out_t.shape))
    go = ag.grad((out_o * ag.tensor(u)).sum(), [xo, yo], create_graph=True)
    gt = torch.autograd.grad((out_t * torch.tensor(u)).sum(), [xt, yt], create_graph=True)
    v = rng.normal(size=shape)
    hess_o = ag.grad((go[0] * ag.tensor(v)).sum(), [xo, yo], allow_unused=True)
    hess_t = torch.autograd.grad((gt[0] * torch.tensor(v)).sum(), [xt, yt], allow_unused=True)
    for i in range(2):
        _assert_close(go[i], gt[i], f"{op} grad {i}")
        _assert_close(hess_o[i], hess_t[i], f"{op} second derivative {i}")
