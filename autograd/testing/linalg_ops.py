"""Registry entries for ``autograd.linalg`` (see opinfo.py).

Inputs are chosen where each function is smooth: well-conditioned matrices (random plus
a multiple of the identity), symmetric positive-definite ones built inside the function
(``a a^T + I``) so every entry is perturbed symmetrically, and for ``svd``/``eigh`` only
losses invariant to the signs of the singular/eigen vectors (``U diag(c) U^T``).
"""

from __future__ import annotations

import numpy as np

import autograd as ag
import autograd.linalg as LA

from .opinfo import OpInfo, register


def _mat(shape, shift=0.0, low=-1.0, high=1.0, grad=True):
    """A spec: uniform entries plus ``shift`` on the diagonal (well-conditioned)."""
    return {"shape": shape, "shift": shift, "low": low, "high": high, "grad": grad}


def _args(*specs):
    def make(rng, dtype, device):
        out = []
        for s in specs:
            if isinstance(s, tuple):
                s = _mat(s)
            if not isinstance(s, dict):
                out.append(s)
                continue
            v = rng.uniform(s["low"], s["high"], size=s["shape"])
            if s["shift"]:
                v = v + s["shift"] * np.eye(s["shape"][-2], s["shape"][-1])
            t = ag.tensor(v, dtype=dtype, device=device)
            out.append(t.requires_grad_(True) if s["grad"] else t)
        return tuple(out)

    return make


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, _args(*specs), reference=reference,
                    second_order=second_order, group="linalg", **kw))


def _spd(a):
    """a a^T + I, for Tensors and arrays."""
    n = a.shape[-1]
    eye = np.eye(n) if isinstance(a, np.ndarray) else ag.eye(n, dtype=a.dtype,
                                                              device=a.device)
    return a @ (a.mT if isinstance(a, ag.Tensor) else np.swapaxes(a, -1, -2)) + eye


def _T(a):
    return np.swapaxes(a, -1, -2)


_C3 = np.array([1.0, 2.0, 3.5])


def _gauge(u, c, v=None):
    """u diag(c) u^T: invariant to flipping the sign of any column of u."""
    if isinstance(u, ag.Tensor):
        cc = ag.tensor(c, dtype=u.dtype, device=u.device)
        return (u * cc) @ u.mT
    return (u * c) @ _T(u)


# --- inverse, solve, determinants ---------------------------------------------------------
_op("linalg.inv", LA.inv, _mat((3, 3), 2.0), reference=np.linalg.inv)
_op("linalg.inv/batched", LA.inv, _mat((2, 3, 3), 2.0), reference=np.linalg.inv)
_op("linalg.solve", LA.solve, _mat((3, 3), 2.0), (3, 2), reference=np.linalg.solve)
_op("linalg.solve/vector", LA.solve, _mat((3, 3), 2.0), (3,),
    reference=lambda a, b: np.linalg.solve(a, b[:, None])[:, 0])
_op("linalg.solve/batch_broadcast", LA.solve, _mat((2, 1, 3, 3), 2.0), (4, 3, 2),
    reference=lambda a, b: np.linalg.solve(np.broadcast_to(a, (2, 4, 3, 3)),
                                           np.broadcast_to(b, (2, 4, 3, 2))))
_op("linalg.solve/left_false", lambda a, b: LA.solve(a, b, left=False), _mat((3, 3), 2.0),
    (2, 3), reference=lambda a, b: _T(np.linalg.solve(_T(a), _T(b))))
_op("linalg.det", LA.det, _mat((3, 3), 1.0), reference=np.linalg.det)
_op("linalg.det/batched", LA.det, _mat((2, 3, 3), 1.0), reference=np.linalg.det)
_op("linalg.slogdet", lambda a: LA.slogdet(a).logabsdet, _mat((2, 3, 3), 1.0),
    reference=lambda a: np.linalg.slogdet(a)[1])

# --- factorizations -----------------------------------------------------------------------
_op("linalg.cholesky", lambda a: LA.cholesky(_spd(a)), (3, 3),
    reference=lambda a: np.linalg.cholesky(_spd(a)))
_op("linalg.cholesky/upper_batched", lambda a: LA.cholesky(_spd(a), upper=True), (2, 3, 3),
    reference=lambda a: _T(np.linalg.cholesky(_spd(a))))
_op("linalg.cholesky_ex", lambda a: LA.cholesky_ex(_spd(a)).L, (3, 3),
    reference=lambda a: np.linalg.cholesky(_spd(a)))
_op("linalg.qr", LA.qr, (4, 3), reference=np.linalg.qr)
_op("linalg.qr/square_batched", LA.qr, _mat((2, 3, 3), 1.0), reference=np.linalg.qr)
_op("linalg.qr/wide", LA.qr, _mat((3, 4), 1.0), reference=np.linalg.qr)
_op("linalg.qr/complete_wide", lambda a: LA.qr(a, mode="complete"), _mat((2, 3), 1.0),
    reference=lambda a: np.linalg.qr(a, mode="complete"))


def _svd_loss(a, full=False):
    u, s, vh = (LA.svd(a, full_matrices=full) if isinstance(a, ag.Tensor)
                else np.linalg.svd(a, full_matrices=full))
    k = s.shape[-1]
    return s, _gauge(u[..., :k], _C3[:k]), _gauge(_T(vh[..., :k, :]) if not isinstance(
        vh, ag.Tensor) else vh[..., :k, :].mT, _C3[:k])


_op("linalg.svd/tall", _svd_loss, (4, 3), reference=_svd_loss)
_op("linalg.svd/wide_batched", _svd_loss, (2, 2, 4), reference=_svd_loss)
_op("linalg.svd/square_full", lambda a: _svd_loss(a, True), (3, 3),
    reference=lambda a: _svd_loss(a, True))
_op("linalg.svd/tall_full", lambda a: _svd_loss(a, True), (4, 2),
    reference=lambda a: _svd_loss(a, True))
_op("linalg.svdvals", LA.svdvals, (2, 4, 3),
    reference=lambda a: np.linalg.svd(a, compute_uv=False))


def _eigh_loss(a, uplo="L"):
    s = a + (a.mT if isinstance(a, ag.Tensor) else _T(a))
    w, v = LA.eigh(s, uplo) if isinstance(a, ag.Tensor) else np.linalg.eigh(s, uplo)
    return w, _gauge(v, _C3)


_op("linalg.eigh", _eigh_loss, (3, 3), reference=_eigh_loss)
_op("linalg.eigh/upper_batched", lambda a: _eigh_loss(a, "U"), (2, 3, 3),
    reference=lambda a: _eigh_loss(a, "U"))
_op("linalg.eigvalsh", lambda a: LA.eigvalsh(a + a.mT), (2, 3, 3),
    reference=lambda a: np.linalg.eigvalsh(a + _T(a)))

# --- triangular solves and LU -------------------------------------------------------------
_op("linalg.solve_triangular/lower", lambda a, b: LA.solve_triangular(a, b, upper=False),
    _mat((3, 3), 2.0), (3, 2), reference=lambda a, b: np.linalg.solve(np.tril(a), b))
_op("linalg.solve_triangular/upper_unit_broadcast",
    lambda a, b: LA.solve_triangular(a, b, upper=True, unitriangular=True),
    _mat((3, 3), 2.0), (2, 3, 2),
    reference=lambda a, b: np.linalg.solve(np.triu(a, 1) + np.eye(3), b))
_op("linalg.solve_triangular/right", lambda a, b: LA.solve_triangular(a, b, upper=True,
                                                                        left=False),
    _mat((3, 3), 2.0), (2, 3), reference=lambda a, b: b @ np.linalg.inv(np.triu(a)))


def _np_lu_factor(a):
    """LAPACK getrf by hand, for the reference (scipy is not batched)."""
    import scipy.linalg

    flat = a.reshape(-1, *a.shape[-2:])
    res = [scipy.linalg.lu_factor(m) for m in flat]
    lu = np.stack([r[0] for r in res]).reshape(a.shape)
    return lu


_op("linalg.lu_factor", lambda a: LA.lu_factor(a).LU, (3, 3), reference=_np_lu_factor)
_op("linalg.lu_factor/batched", lambda a: LA.lu_factor(a).LU, (2, 4, 4),
    reference=_np_lu_factor)
_op("linalg.lu_solve", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b), _mat((3, 3), 0.5),
    (3, 2), reference=np.linalg.solve)
_op("linalg.lu_solve/adjoint_batched",
    lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, adjoint=True), _mat((2, 3, 3), 0.5),
    (2, 3, 2), reference=lambda a, b: np.linalg.solve(_T(a), b))
_op("linalg.lu_solve/right", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, left=False),
    _mat((3, 3), 0.5), (2, 3), reference=lambda a, b: b @ np.linalg.inv(a))

# --- pseudo-inverse, least squares, powers, products --------------------------------------
_op("linalg.pinv/tall", LA.pinv, (4, 3), reference=np.linalg.pinv)
_op("linalg.pinv/wide_batched", LA.pinv, (2, 2, 3), reference=np.linalg.pinv)
_op("linalg.lstsq", lambda a, b: LA.lstsq(a, b).solution, (4, 3), (4, 2),
    reference=lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0])
_op("linalg.lstsq/vector", lambda a, b: LA.lstsq(a, b).solution, (4, 3), (4,),
    reference=lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0])
_op("linalg.matrix_power/3", lambda a: LA.matrix_power(a, 3), (2, 3, 3),
    reference=lambda a: np.linalg.matrix_power(a, 3))
_op("linalg.matrix_power/-2", lambda a: LA.matrix_power(a, -2), _mat((3, 3), 2.0),
    reference=lambda a: np.linalg.matrix_power(a, -2))
_op("linalg.multi_dot", lambda a, b, c, d: LA.multi_dot([a, b, c, d]), (3,), (3, 5), (5, 2),
    (2,), reference=lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]))
_op("linalg.cross", lambda a, b: LA.cross(a, b), (2, 3), (3,), reference=np.cross)
_op("linalg.cross/dim0", lambda a, b: LA.cross(a, b, dim=0), (3, 2), (3, 2),
    reference=lambda a, b: np.cross(a, b, axis=0))
_op("linalg.vecdot", lambda a, b: LA.vecdot(a, b, dim=0), (3, 2), (3, 1),
    reference=lambda a, b: (a * b).sum(0))

# --- norms --------------------------------------------------------------------------------
_op("linalg.vector_norm", LA.vector_norm, (3, 4), reference=lambda x: np.sqrt((x * x).sum()))
_op("linalg.vector_norm/dim_keepdim", lambda x: LA.vector_norm(x, dim=1, keepdim=True),
    (3, 4), reference=lambda x: np.linalg.norm(x, axis=1, keepdims=True))
_op("linalg.vector_norm/ord3", lambda x: LA.vector_norm(x, 3, dim=(0, 2)), (2, 3, 2),
    reference=lambda x: (np.abs(x) ** 3).sum((0, 2)) ** (1 / 3))
_op("linalg.vector_norm/ord1", lambda x: LA.vector_norm(x, 1, dim=-1), (3, 4),
    reference=lambda x: np.abs(x).sum(-1), second_order=False)
_op("linalg.vector_norm/inf", lambda x: LA.vector_norm(x, float("inf"), dim=0), (3, 4),
    reference=lambda x: np.abs(x).max(0), second_order=False)
_op("linalg.matrix_norm/fro", LA.matrix_norm, (2, 3, 4),
    reference=lambda x: np.linalg.norm(x, "fro", axis=(-2, -1)))
for _ord in ("nuc", 2, -2, 1, -1, float("inf"), float("-inf")):
    _op(f"linalg.matrix_norm/{_ord}", lambda x, o=_ord: LA.matrix_norm(x, o), (2, 3, 4),
        reference=lambda x, o=_ord: np.linalg.norm(x, o, axis=(-2, -1)),
        second_order=_ord in ("nuc", 2, -2))
_op("linalg.matrix_norm/dims_keepdim",
    lambda x: LA.matrix_norm(x, "nuc", dim=(0, 2), keepdim=True), (3, 2, 4),
    reference=lambda x: np.linalg.norm(np.moveaxis(x, 1, 0), "nuc", axis=(-2, -1))[
        None, :, None])
_op("linalg.norm/flat", LA.norm, (2, 3, 4), reference=lambda x: np.linalg.norm(x.ravel()))
_op("linalg.norm/matrix_ord", lambda x: LA.norm(x, 2), (3, 4),
    reference=lambda x: np.linalg.norm(x, 2))

# --- the _ex forms, lu, compositions ------------------------------------------------------
_op("linalg.inv_ex", lambda a: LA.inv_ex(a).inverse, _mat((2, 3, 3), 2.0),
    reference=np.linalg.inv)
_op("linalg.solve_ex", lambda a, b: LA.solve_ex(a, b).result, _mat((3, 3), 2.0), (3, 2),
    reference=np.linalg.solve)
_op("linalg.lu_factor_ex", lambda a: LA.lu_factor_ex(a).LU, (3, 3), reference=_np_lu_factor)


def _np_lu(a):
    import scipy.linalg

    p, low, up = scipy.linalg.lu(a)
    return low, up


_op("linalg.lu", lambda a: tuple(LA.lu(a))[1:], (4, 4), reference=_np_lu)
_op("linalg.cond", LA.cond, (2, 3, 3), reference=np.linalg.cond)
_op("linalg.cond/fro", lambda a: LA.cond(a, "fro"), _mat((3, 3), 1.0),
    reference=lambda a: np.linalg.cond(a, "fro"))
_op("linalg.diagonal", lambda a: LA.diagonal(a, offset=1), (2, 3, 4),
    reference=lambda a: np.diagonal(a, 1, -2, -1))
_op("linalg.vander", lambda x: LA.vander(x, N=4), (2, 3),
    reference=lambda x: np.stack([x ** k for k in range(4)], -1))
_op("linalg.tensorinv", lambda a: LA.tensorinv(a, 1), _mat((4, 2, 2), 0.0),
    reference=lambda a: np.linalg.tensorinv(a, 1))
_op("linalg.tensorsolve", LA.tensorsolve, (2, 3, 6), (2, 3),
    reference=np.linalg.tensorsolve)


def _np_householder(a, tau):
    m, n = a.shape[-2:]
    v = np.tril(a, -1) + np.eye(m, n)
    q = np.broadcast_to(np.eye(m), a.shape[:-2] + (m, m)).copy()
    for i in range(tau.shape[-1]):
        vi = v[..., :, i:i + 1]
        q = q - (q @ vi) @ (_T(vi) * tau[..., i:i + 1, None])
    return q[..., :, :n]


_op("linalg.householder_product", LA.householder_product, (2, 4, 3), (2, 2),
    reference=_np_householder)
