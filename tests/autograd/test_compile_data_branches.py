"""Ops whose array code branches on data values in Python under ``ag.compile``: a replay
cannot branch, so while recording they take the path that holds for any values
(``cumprod`` and ``scatter_reduce(prod)``'s gradients with or without zeros), or refuse
with ``CompileError`` when the amount of work depends on the values."""

import numpy as np
import pytest

import autograd as ag


def _grad_step(op):
    def step(x):
        (g,) = ag.grad(op(x).sum(), [x])
        return g

    return step


def _uncompiled(op, values):
    x = ag.tensor(values, requires_grad=True)
    op(x).sum().backward()
    return x.grad.numpy()


_CUMPROD = lambda x: ag.cumprod(x, 0)  # noqa: E731
_SCATTER_PROD = lambda x: ag.scatter_reduce(  # noqa: E731
    ag.ones(2, dtype=x.dtype), 0, ag.tensor(np.array([0, 1, 0, 1])), x, "prod")

NO_ZEROS, ZEROS = [1.0, 2.0, 0.5, 3.0], [1.0, 0.0, 2.0, 3.0]


@pytest.mark.parametrize("op", [_CUMPROD, _SCATTER_PROD], ids=["cumprod", "scatter_prod"])
@pytest.mark.parametrize("recorded,replayed", [(NO_ZEROS, ZEROS), (ZEROS, NO_ZEROS)],
                         ids=["zeros-after", "zeros-before"])
def test_gradient_with_and_without_zeros_replays_right(op, recorded, replayed):
    """Recorded on inputs without zeros and replayed with a zero, the gradient must not be
    out / x (0/0 = NaN where the zero is); and the other way round."""
    step = ag.compile(_grad_step(op))
    for _ in range(3):  # record, check, replay
        step(ag.tensor(recorded, requires_grad=True))
    got = step(ag.tensor(replayed, requires_grad=True)).numpy()
    np.testing.assert_allclose(got, _uncompiled(op, replayed), rtol=1e-12)
    assert np.isfinite(got).all()


def test_polynomial_degree_read_from_data_is_refused():
    step = ag.compile(lambda x, n: ag.special.chebyshev_polynomial_t(x, n).sum())
    with pytest.raises(ag.CompileError,
                       match=r"special\.chebyshev_polynomial_t reads the largest degree n"):
        step(ag.tensor([0.1, 0.5]), ag.tensor([2, 3]))
    # outside a compiled function it works as before
    got = ag.special.chebyshev_polynomial_t(ag.tensor([0.5]), ag.tensor([2])).numpy()
    np.testing.assert_allclose(got, [2 * 0.25 - 1])


def test_lstsq_residuals_by_rank_are_refused():
    step = ag.compile(lambda a, b: ag.linalg.lstsq(a, b, driver="gelsd").solution)
    a = ag.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    b = ag.tensor(np.random.default_rng(1).standard_normal((5, 2)))
    with pytest.raises(ag.CompileError, match=r"linalg\.lstsq reads the rank"):
        step(a, b)


def test_embedding_checks_and_renormalises_again_on_replay():
    """The index check and max_norm's in-place renormalisation run on every replay: a
    negative index raises (NumPy would wrap it), the rows looked up are renormalised."""
    import nn.functional as F

    rng = np.random.default_rng(0)
    w = ag.tensor(rng.standard_normal((6, 3)) * 4)
    w_ref = ag.tensor(w.numpy().copy())
    step = ag.compile(lambda i: F.embedding(i, w, max_norm=1.0).sum())
    for rows in ([0, 1], [0, 1], [0, 1], [2, 5]):  # record, check, replays
        got = step(ag.tensor(np.array(rows)))
        want = F.embedding(ag.tensor(np.array(rows)), w_ref, max_norm=1.0).sum()
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.numpy(), w_ref.numpy(), rtol=1e-12)
    assert np.linalg.norm(w.numpy()[5]) <= 1.0 + 1e-6  # renormalised by the last replay
    with pytest.raises(IndexError, match="index out of range"):
        step(ag.tensor(np.array([0, -1])))


def test_gather_index_range_is_checked_on_replay():
    x = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    step = ag.compile(lambda i: ag.gather(x, 1, i).sum())
    for _ in range(3):
        step(ag.tensor(np.array([[0, 1], [2, 3], [3, 0]])))
    with pytest.raises(IndexError, match=r"gather: index values span \[0, 4\]"):
        step(ag.tensor(np.array([[0, 1], [2, 4], [3, 0]])))


# --- results whose size depends on the values ----------------------------------------------

_VALUE_SIZED = {
    "mask_then_arithmetic": lambda x: (x[x > 0] * 2 + 1).sum(),
    "masked_select_mean": lambda x: ag.masked_select(x, x > 0).mean(),
    "nonzero_index": lambda x: x[ag.nonzero(x > 0).squeeze(1)].sum(),
    "unique": lambda x: ag.unique((x * 2).round()).sum(),
}


def _with_positives(k, n=6):
    return ag.tensor(np.where(np.arange(n) < k, 1.0, -1.0) * (1 + np.arange(n) / 10))


@pytest.mark.parametrize("name", list(_VALUE_SIZED))
def test_value_sized_result_replays_while_its_size_holds(name):
    """The same count of selected values on every call: recorded, compared, replayed,
    each equal to the uncompiled function."""
    fn = _VALUE_SIZED[name]
    compiled = ag.compile(fn)
    for shift in range(4):  # different values, always 3 positives (and 3 distinct rounds)
        x = _with_positives(3) + shift * 0.01
        assert compiled(x).numpy().tobytes() == fn(x).numpy().tobytes()
    assert next(iter(compiled.programs.values())).replays == 2


@pytest.mark.parametrize("name", list(_VALUE_SIZED))
@pytest.mark.parametrize("when", ["compared", "replayed"])
def test_value_sized_result_of_another_size_is_refused(name, when):
    """A count that changes, on the second call (compared with the recording) or a later
    one (the replay's guard): CompileError naming the op and both shapes, not NumPy's
    broadcasting error nor a result computed with the recorded size (the mean's divisor,
    nonzero's reshape)."""
    if name == "unique":
        counts = (3, 3, 5) if when == "replayed" else (3, 5)
    else:
        counts = (3, 3, 4) if when == "replayed" else (3, 4)
    compiled = ag.compile(_VALUE_SIZED[name])
    for k in counts[:-1]:
        compiled(_with_positives(k))
    with pytest.raises(ag.CompileError, match=r"depends on tensor values") as info:
        compiled(_with_positives(counts[-1]))
    assert "where the recording's was" in str(info.value)


def test_masked_select_follows_a_mask_that_moves():
    """Three positives each call, at other places: the replay selects this call's (its
    mask broadcast by a recorded op, not taken for a constant of the first call)."""
    fn = lambda x: ag.masked_select(x, x > 0) * 1  # noqa: E731
    compiled = ag.compile(fn)
    for order in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 0, 4, 1, 5, 2], [1, 3, 5, 0, 2, 4]):
        x = ag.tensor(_with_positives(3).numpy()[order])
        np.testing.assert_array_equal(compiled(x).numpy(), fn(x).numpy())


def test_masked_scatter_follows_a_mask_that_moves():
    """As masked_select: the positions are found again on each replay (they were taken
    for a constant of the first call), and another number of them is refused."""
    source = ag.arange(6.0) + 10
    fn = lambda x: ag.masked_scatter(x * 1, x > 0, source)  # noqa: E731
    compiled = ag.compile(fn)
    for order in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 0, 4, 1, 5, 2], [1, 3, 5, 0, 2, 4]):
        x = ag.tensor(_with_positives(3).numpy()[order])
        np.testing.assert_array_equal(compiled(x).numpy(), fn(x).numpy())
    with pytest.raises(ag.CompileError, match="depends on tensor values"):
        compiled(_with_positives(4))


def test_repeat_interleave_with_tensor_repeats_follows_them():
    """repeat_interleave's index comes from the repeats on every replay (it was made on
    the arrays outside any op and taken for the first call's), and another total is
    refused; likewise repeat_interleave(counts) alone."""
    x = ag.arange(3.0) + 1
    fn = lambda r: ag.repeat_interleave(x, r) * 1  # noqa: E731
    alone = lambda r: ag.repeat_interleave(r) * 1  # noqa: E731
    for f in (fn, alone):
        compiled = ag.compile(f)
        for counts in ([1, 2, 3], [3, 2, 1], [2, 2, 2], [0, 6, 0]):
            r = ag.tensor(np.array(counts))
            np.testing.assert_array_equal(compiled(r).numpy(), f(r).numpy())
        with pytest.raises(ag.CompileError, match="depends on tensor values"):
            compiled(ag.tensor(np.array([1, 1, 1])))
