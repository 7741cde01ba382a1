"""autograd.linalg beyond the registry: PyTorch's values and gradients, the extra
outputs (info, pivots, rank, residuals), errors that name the op."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import autograd.linalg as LA

RNG = np.random.default_rng(12)


def _well(*shape, shift=2.0):
    a = RNG.uniform(-1, 1, size=shape)
    return a + shift * np.eye(shape[-1]) if shape[-1] == shape[-2] else a


def _sym(a, mod):
    return a + (a.mT if hasattr(a, "mT") else np.swapaxes(a, -1, -2))


def _gauge(m, u, c):
    return (u * m.tensor(c, dtype=u.dtype)) @ u.mT


# name: (function of (module, linalg namespace, *tensors) returning a tuple of tensors,
#        input arrays)
CASES = {
    "inv": (lambda m, L, a: (L.inv(a),), [_well(2, 3, 3)]),
    "solve": (lambda m, L, a, b: (L.solve(a, b),), [_well(2, 3, 3), RNG.normal(size=(2, 3, 2))]),
    "solve_vec": (lambda m, L, a, b: (L.solve(a, b),), [_well(3, 3), RNG.normal(size=(3,))]),
    "det": (lambda m, L, a: (L.det(a),), [_well(2, 3, 3, shift=1.0)]),
    "slogdet": (lambda m, L, a: tuple(L.slogdet(a)), [_well(3, 3, shift=-1.5)]),
    "cholesky": (lambda m, L, a: (L.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype)),
                                  L.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype), upper=True)),
                 [RNG.normal(size=(2, 3, 3))]),
    "qr": (lambda m, L, a: tuple(L.qr(a)), [RNG.normal(size=(2, 4, 3))]),
    "qr_wide": (lambda m, L, a: tuple(L.qr(a)), [RNG.normal(size=(3, 5))]),
    "svd": (lambda m, L, a: (L.svd(a, full_matrices=False).S,
                             _gauge(m, L.svd(a, full_matrices=False).U, [1.0, 2.0, 4.0]),
                             _gauge(m, L.svd(a, full_matrices=False).Vh.mT, [1.0, 2.0, 4.0])),
            [RNG.normal(size=(2, 5, 3))]),
    "svdvals": (lambda m, L, a: (L.svdvals(a),), [RNG.normal(size=(3, 4))]),
    "eigh": (lambda m, L, a: (L.eigh(_sym(a, m)).eigenvalues,
                              _gauge(m, L.eigh(_sym(a, m)).eigenvectors, [1.0, 3.0, 2.0])),
             [RNG.normal(size=(2, 3, 3))]),
    "eigh_raw": (lambda m, L, a: (L.eigh(a).eigenvalues,), [RNG.normal(size=(3, 3))]),
    "eigvalsh": (lambda m, L, a: (L.eigvalsh(_sym(a, m), UPLO="U"),), [RNG.normal(size=(3, 3))]),
    "pinv": (lambda m, L, a: (L.pinv(a),), [RNG.normal(size=(2, 3, 5))]),
    "lstsq": (lambda m, L, a, b: (L.lstsq(a, b).solution,),
              [RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))]),
    "matrix_power": (lambda m, L, a: (L.matrix_power(a, 3), L.matrix_power(a, -2),
                                      L.matrix_power(a, 0)), [_well(3, 3)]),
    "multi_dot": (lambda m, L, a, b, c: (L.multi_dot([a, b, c]),),
                  [RNG.normal(size=(4,)), RNG.normal(size=(4, 6)), RNG.normal(size=(6, 2))]),
    "cross": (lambda m, L, a, b: (L.cross(a, b),), [RNG.normal(size=(4, 3)),
                                                    RNG.normal(size=(1, 3))]),
    "vecdot": (lambda m, L, a, b: (L.vecdot(a, b),), [RNG.normal(size=(4, 3)),
                                                      RNG.normal(size=(3,))]),
    "solve_triangular": (lambda m, L, a, b: (L.solve_triangular(a, b, upper=True),
                                             L.solve_triangular(a, b, upper=False, left=False),
                                             L.solve_triangular(a, b, upper=False,
                                                                unitriangular=True)),
                         [_well(3, 3), RNG.normal(size=(2, 3, 3))]),
    "lu_factor": (lambda m, L, a: (L.lu_factor(a).LU,), [RNG.normal(size=(2, 4, 4))]),
    "lu_solve": (lambda m, L, a, b: (L.lu_solve(*L.lu_factor(a), b),
                                     L.lu_solve(*L.lu_factor(a), b, adjoint=True),
                                     L.lu_solve(*L.lu_factor(a), b.mT, left=False)),
                 [RNG.normal(size=(4, 4)), RNG.normal(size=(4, 2))]),
    "lu": (lambda m, L, a: tuple(L.lu(a)), [RNG.normal(size=(2, 4, 4))]),
    # (the _ex forms are compared by value in test_extra_outputs: PyTorch's own backward
    # through inv_ex/solve_ex fails, "modified by an inplace operation")
    "lu_factor_ex": (lambda m, L, a: (L.lu_factor_ex(a).LU,), [_well(2, 3, 3)]),
    # (cond with a norm other than 2 goes through inv_ex in PyTorch: values only, below)
    "cond": (lambda m, L, a: (L.cond(a), L.cond(a, -2)),
             [_well(2, 3, 3, shift=1.0)]),
    "vander_diagonal": (lambda m, L, x, a: (L.vander(x), L.vander(x, N=2),
                                            L.diagonal(a, offset=-1, dim1=0, dim2=2)),
                        [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2, 4))]),
    "tensorinv_tensorsolve": (lambda m, L, a, b: (L.tensorinv(a), L.tensorsolve(
        a.reshape(2, 2, 4), b)), [_well(2, 2, 4, shift=0.0).reshape(2, 2, 2, 2) + 2 * np.eye(
            4).reshape(2, 2, 2, 2), RNG.normal(size=(2, 2))]),
    "householder_product": (lambda m, L, a, t: (L.householder_product(a, t),),
                            [RNG.normal(size=(2, 5, 3)), RNG.normal(size=(2, 3))]),
    "norms": (lambda m, L, a: (L.norm(a), L.norm(a, dim=1), L.norm(a, "nuc", dim=(1, 2)),
                               L.vector_norm(a, 3.5, dim=(0, 2), keepdim=True),
                               L.vector_norm(a, float("inf")), L.vector_norm(a, 0),
                               L.matrix_norm(a), L.matrix_norm(a, 2), L.matrix_norm(a, -1),
                               L.matrix_norm(a, float("inf"), dim=(0, 2))),
              [RNG.normal(size=(2, 3, 4))]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fn, arrays = CASES[name]
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_a, out_t = fn(ag, LA, *ours), fn(torch, torch.linalg, *theirs)
    assert len(out_a) == len(out_t)
    loss_a = loss_t = 0.0
    for i, (oa, ot) in enumerate(zip(out_a, out_t)):
        np.testing.assert_allclose(oa.numpy(), ot.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} output {i}")
        assert tuple(oa.shape) == tuple(ot.shape) and str(oa.dtype) == str(ot.dtype)[6:]
        if ot.requires_grad:
            w = RNG.normal(size=tuple(ot.shape))
            loss_a = loss_a + (oa * ag.tensor(w)).sum()
            loss_t = loss_t + (ot * torch.tensor(w)).sum()
    loss_a.backward()
    loss_t.backward()
    for i, (xa, xt) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10,
                                   err_msg=f"{name} gradient of input {i}")


def test_extra_outputs_match_pytorch():
    torch = pytest.importorskip("torch")
    bad = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0]), np.eye(3)])
    L, info = LA.cholesky_ex(ag.tensor(bad))
    Lt, info_t = torch.linalg.cholesky_ex(torch.tensor(bad))
    assert info.dtype == np.int32 and info.tolist() == info_t.tolist() == [0, 2, 0]
    np.testing.assert_allclose(L.numpy()[0], Lt.numpy()[0])

    a = RNG.normal(size=(2, 5, 5))
    lu, piv = LA.lu_factor(ag.tensor(a))
    lu_t, piv_t = torch.linalg.lu_factor(torch.tensor(a))
    assert piv.dtype == np.int32 and piv.tolist() == piv_t.tolist()
    np.testing.assert_allclose(lu.numpy(), lu_t.numpy(), rtol=1e-10, atol=1e-12)

    A, B = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2))
    for driver in (None, "gelsd", "gelss", "gels"):
        ours = LA.lstsq(ag.tensor(A), ag.tensor(B), driver=driver)
        theirs = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver)
        for field in ("solution", "residuals", "rank", "singular_values"):
            o, t = getattr(ours, field), getattr(theirs, field)
            assert tuple(o.shape) == tuple(t.shape), (driver, field)
            assert str(o.dtype) == str(t.dtype)[6:], (driver, field)
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-12)

    sing = np.stack([_well(3, 3), np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])])
    for ours, theirs in ((LA.inv_ex(ag.tensor(sing)), torch.linalg.inv_ex(torch.tensor(sing))),
                         (LA.solve_ex(ag.tensor(sing), ag.tensor(B[:3])),
                          torch.linalg.solve_ex(torch.tensor(sing), torch.tensor(B[:3]))),
                         (LA.lu_factor_ex(ag.tensor(sing))[::2],
                          torch.linalg.lu_factor_ex(torch.tensor(sing))[::2])):
        assert ours[1].dtype == np.int32 and ours[1].tolist() == theirs[1].tolist() == [0, 3]
        np.testing.assert_allclose(ours[0].numpy()[0], theirs[0].numpy()[0], rtol=1e-10)
    assert np.isnan(LA.inv_ex(ag.tensor(sing)).inverse.numpy()[1]).all()
    with pytest.raises(LA.LinAlgError, match=r"linalg\.inv_ex: the input is singular: U\[3, 3\] "
                                             r"is zero.*batch element 1"):
        LA.inv_ex(ag.tensor(sing), check_errors=True)

    for p in ("fro", "nuc", 1, -1, float("inf"), float("-inf")):
        np.testing.assert_allclose(LA.cond(ag.tensor(sing[:1]), p).numpy(),
                                   torch.linalg.cond(torch.tensor(sing[:1]), p).numpy(),
                                   rtol=1e-10)

    low = RNG.normal(size=(2, 4, 2)) @ RNG.normal(size=(2, 2, 5))
    assert LA.matrix_rank(ag.tensor(low)).tolist() == torch.linalg.matrix_rank(
        torch.tensor(low)).tolist() == [2, 2]
    assert LA.matrix_rank(ag.tensor(low), atol=1e9).tolist() == [0, 0]


def test_results_are_tuples_with_named_fields():
    a = ag.tensor(_well(3, 3))
    r = LA.svd(a)
    assert isinstance(r, tuple) and len(r) == 3 and r.S is r[1]
    assert type(r)(list(r)).Vh is r[2]  # rebuilt from one iterable, as torch.return_types
    sign, logabs = LA.slogdet(ag.tensor(-np.eye(3), requires_grad=True))
    assert sign.item() == -1.0 and not sign.requires_grad and logabs.requires_grad
    assert "eigenvalues=" in repr(LA.eigh(a @ a.mT))


def test_norm_gradient_at_zero_is_zero_as_pytorch():
    x = ag.zeros(2, 3, dtype=ag.float64, requires_grad=True)
    LA.vector_norm(x, dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    assert ag.gradgradcheck(lambda t: LA.vector_norm(t, dim=0),
                            (ag.tensor(RNG.normal(size=(3, 2)), requires_grad=True),))


def test_float32_stays_float32():
    a = ag.tensor(_well(3, 3), dtype=ag.float32, requires_grad=True)
    outs = [LA.inv(a), LA.det(a), LA.svdvals(a), LA.eigh(a @ a.mT)[1], LA.qr(a).R,
            LA.pinv(a), LA.lu_factor(a).LU, LA.matrix_norm(a, "nuc"), LA.vector_norm(a)]
    assert all(o.dtype == np.float32 for o in outs)
    sum(o.sum() for o in outs).backward()
    assert a.grad.dtype == np.float32


def test_errors_name_the_op_and_the_shapes():
    with pytest.raises(ValueError, match=r"linalg\.inv: expected square.*\(2, 3\)"):
        LA.inv(ag.ones(2, 3))
    with pytest.raises(ValueError, match=r"linalg\.det: expected a matrix.*\(3,\)"):
        LA.det(ag.ones(3))
    with pytest.raises(TypeError, match=r"linalg\.inv: expected a float32 or float64.*int64"):
        LA.inv(ag.tensor([[1, 2], [3, 4]]))
    with pytest.raises(LA.LinAlgError, match=r"linalg\.inv: .*[Ss]ingular"):
        LA.inv(ag.zeros(2, 2))
    with pytest.raises(LA.LinAlgError, match=r"linalg\.cholesky: .*order 2 .*batch element 1"):
        LA.cholesky(ag.tensor(np.stack([np.eye(2), np.diag([1.0, -1.0])])))
    with pytest.raises(LA.LinAlgError, match="cholesky_ex"):
        LA.cholesky_ex(ag.tensor(-np.eye(2)), check_errors=True)
    with pytest.raises(ValueError, match=r"linalg\.solve: A \(3, 3\) and B \(2, 2\)"):
        LA.solve(ag.eye(3), ag.ones(2, 2))
    with pytest.raises(ValueError, match="batch dimensions"):
        LA.solve(ag.ones(2, 3, 3), ag.ones(4, 3, 1))
    with pytest.raises(ValueError, match=r"linalg\.qr: mode must be"):
        LA.qr(ag.ones(3, 3), mode="full")
    with pytest.raises(ValueError, match=r"linalg\.matrix_norm: unsupported ord 3"):
        LA.matrix_norm(ag.ones(3, 3), 3)
    with pytest.raises(ValueError, match=r"linalg\.cross: .*size 3"):
        LA.cross(ag.ones(4), ag.ones(4))
    with pytest.raises(ValueError, match=r"linalg\.multi_dot: tensor 0 \(2, 3\) and tensor 1"):
        LA.multi_dot([ag.ones(2, 3), ag.ones(2, 3)])
    with pytest.raises(NotImplementedError, match="square"):
        LA.lu_factor(ag.ones(2, 3, requires_grad=True))
    x = ag.tensor(_well(3, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        LA.qr(x, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        LA.qr(ag.ones(4, 2, requires_grad=True), mode="complete").Q.sum().backward()


def test_batched_forms_equal_one_matrix_at_a_time():
    a = _well(3, 2, 4, 4)
    b = RNG.normal(size=(2, 4, 3))
    batched = LA.solve(ag.tensor(a), ag.tensor(b)).numpy()
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(batched[i, j], np.linalg.solve(a[i, j], b[j]))
    lu, piv = LA.lu_factor(ag.tensor(a))
    x = LA.lu_solve(lu, piv, ag.tensor(np.broadcast_to(b, (3, 2, 4, 3)).copy())).numpy()
    np.testing.assert_allclose(x, batched, rtol=1e-10)


def test_cholesky_failure_reported_without_an_exception(monkeypatch):
    """CuPy does not raise on a matrix that is not positive-definite: it returns a factor
    whose pivot at the failing minor is not positive (here: NaN, as LAPACK's sqrt)."""
    real = np.linalg.cholesky

    def quiet(a):
        try:
            return real(a)
        except np.linalg.LinAlgError:
            return np.full(a.shape, np.nan)

    monkeypatch.setattr(np.linalg, "cholesky", quiet)
    bad = np.stack([np.eye(3), np.diag([1.0, 2.0, -1.0])])
    L, info = LA.cholesky_ex(ag.tensor(bad))
    assert info.tolist() == [0, 3]
    np.testing.assert_array_equal(L.numpy()[0], np.eye(3))
    with pytest.raises(LA.LinAlgError, match="order 3"):
        LA.cholesky(ag.tensor(bad))
