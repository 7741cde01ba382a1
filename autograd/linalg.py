"""``autograd.linalg``: PyTorch's ``torch.linalg`` on NumPy and CuPy, differentiable.

Every function takes batches of matrices (leading dimensions broadcast where PyTorch
broadcasts them) and runs on the tensor's backend through its ``xp.linalg``. The
decompositions are ``Function`` s whose backward is written with the functions of this
module, so second derivatives come from the same formulas (PyTorch's, from
``FunctionsManual.cpp``); the rest is composed of differentiable ops.

Real dtypes (float32/float64) only. Gradients follow PyTorch's conventions: ``eigh`` and
``cholesky`` read one triangle but return the gradient PyTorch returns (differentiate a
symmetrised input to get the symmetric one); ``svd``/``eigh`` gradients assume distinct
singular values/eigenvalues and are meaningful only for losses invariant to the signs of
the singular/eigen vectors.
"""

from __future__ import annotations

import math
from operator import itemgetter

import numpy as np

from . import ops
from .graph import Function
from .ops._util import sum_to
from .recording import refuse_while_recording
from .tensor import Tensor, _wrap

__all__ = [
    "LinAlgError", "inv", "solve", "det", "slogdet", "cholesky", "cholesky_ex", "qr", "svd",
    "svdvals", "eigh", "eigvalsh", "norm", "vector_norm", "matrix_norm", "pinv", "lstsq",
    "matrix_power", "matrix_rank", "multi_dot", "cross", "vecdot", "solve_triangular",
    "lu_factor", "lu_solve", "logdet", "pinverse", "lu", "lu_factor_ex", "inv_ex", "solve_ex",
    "cond", "diagonal", "vander", "tensorinv", "tensorsolve", "householder_product",
]


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive definite (``torch.linalg.LinAlgError``)."""


def _return_type(name: str, fields: tuple):
    """A tuple with named fields built from one iterable, as PyTorch's
    ``torch.return_types`` (so ``type(r)(iterable)`` rebuilds it)."""
    ns = {"__slots__": (), "_fields": fields,
          "__new__": lambda cls, seq: tuple.__new__(cls, seq),
          "__repr__": lambda self: f"{name}(" + ", ".join(
              f"{f}={v!r}" for f, v in zip(fields, self)) + ")"}
    for i, f in enumerate(fields):
        ns[f] = property(itemgetter(i), doc=f"field {i}")
    return type(name, (tuple,), ns)


SlogdetResult = _return_type("slogdet", ("sign", "logabsdet"))
CholeskyExResult = _return_type("cholesky_ex", ("L", "info"))
QRResult = _return_type("qr", ("Q", "R"))
SVDResult = _return_type("svd", ("U", "S", "Vh"))
EighResult = _return_type("eigh", ("eigenvalues", "eigenvectors"))
LstsqResult = _return_type("lstsq", ("solution", "residuals", "rank", "singular_values"))
LUFactorResult = _return_type("lu_factor", ("LU", "pivots"))
LUFactorExResult = _return_type("lu_factor_ex", ("LU", "pivots", "info"))
LUResult = _return_type("lu", ("P", "L", "U"))
InvExResult = _return_type("inv_ex", ("inverse", "info"))
SolveExResult = _return_type("solve_ex", ("result", "info"))


# --- checks and small helpers ---------------------------------------------------------


def _matrix(A, op: str, square: bool = False) -> Tensor:
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{op}: expected a Tensor, got {type(A).__name__}")
    if A.array.ndim < 2:
        raise ValueError(f"linalg.{op}: expected a matrix or a batch of matrices (at least 2 "
                         f"dimensions), got shape {tuple(A.shape)}")
    if A.array.dtype.kind != "f":
        raise TypeError(f"linalg.{op}: expected a float32 or float64 tensor, got "
                        f"{A.array.dtype} (shape {tuple(A.shape)})")
    if square and A.array.shape[-1] != A.array.shape[-2]:
        raise ValueError(f"linalg.{op}: expected square matrices, got shape {tuple(A.shape)}")
    return A


def _same_dtype(A: Tensor, B: Tensor, op: str) -> tuple[Tensor, Tensor]:
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.{op}: expected a Tensor for the second argument, got "
                        f"{type(B).__name__}")
    return ops.promote(A, B, f"linalg.{op}")


def _lapack(op: str, fn, *args, **kwargs):
    """Call an ``xp.linalg`` routine; its LinAlgError becomes ours, naming the op."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as exc:
        shapes = ", ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))
        raise LinAlgError(f"linalg.{op}: {exc} (input shape {shapes})") from exc


def _const(array, like: Tensor) -> Tensor:
    return _wrap(array, like.device)


def _eye(n: int, like: Tensor) -> Tensor:
    return _const(like.device.backend.xp.eye(n, dtype=like.array.dtype), like)


def _broadcast_batch(xp, a, b):
    """Arrays ``a`` (..., n, n) and ``b`` (..., n, k) with their batch dims broadcast."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return (a if a.shape[:-2] == batch else xp.broadcast_to(a, batch + a.shape[-2:]),
            b if b.shape[:-2] == batch else xp.broadcast_to(b, batch + b.shape[-2:]))


# --- inverse, solve, determinants -------------------------------------------------------


class Inv(Function):
    @staticmethod
    def forward(ctx, a):
        y = _lapack("inv", ctx.device.backend.xp.linalg.inv, a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = y.mT
        return -(yt @ g @ yt)


def inv(A: Tensor) -> Tensor:
    """Inverse of square matrices ``A`` (*, n, n). Gradient: ``-A^-T G A^-T``."""
    return Inv.apply(_matrix(A, "inv", square=True))


class Solve(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        a2, b2 = _broadcast_batch(ctx.device.backend.xp, a, b)
        x = _lapack("solve", ctx.device.backend.xp.linalg.solve, a2, b2)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        sa, sb = ctx.shapes
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return (None if ga is None else sum_to(ga, sa)), sum_to(gb, sb)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """Solve ``A X = B`` (``X A = B`` with ``left=False``) for square ``A`` (*, n, n);
    ``B`` is (*, n, k), or a (batch of) vector(s) (*, n) as in PyTorch. Batch dims
    broadcast."""
    A, B = _same_dtype(_matrix(A, "solve", square=True), B, "solve")
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if not left:
        if vector:
            raise ValueError("linalg.solve: left=False needs B as a matrix (*, k, n), got "
                             f"shape {tuple(B.shape)}")
        return solve(A.mT, B.mT).mT
    if vector:
        if B.shape[-1] != n:
            raise ValueError(f"linalg.solve: A {tuple(A.shape)} and B {tuple(B.shape)}: B "
                             f"needs {n} rows")
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    if B.ndim < 2 or B.shape[-2] != n:
        raise ValueError(f"linalg.solve: A {tuple(A.shape)} and B {tuple(B.shape)}: B must be "
                         f"(*, {n}, k) or (*, {n})")
    try:
        np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ValueError(f"linalg.solve: batch dimensions of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} do not broadcast") from None
    return Solve.apply(A, B)


class Det(Function):
    @staticmethod
    def forward(ctx, a):
        d = ctx.device.backend.xp.asarray(ctx.device.backend.xp.linalg.det(a))
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        return (g * d).unsqueeze(-1).unsqueeze(-1) * inv(a).mT


def det(A: Tensor) -> Tensor:
    """Determinant of square matrices (*, n, n) -> (*). Gradient ``det(A) A^-T`` (needs
    an invertible ``A``)."""
    return Det.apply(_matrix(A, "det", square=True))


class Slogdet(Function):
    @staticmethod
    def forward(ctx, a):
        xp = ctx.device.backend.xp
        sign, logabs = xp.linalg.slogdet(a)
        sign, logabs = xp.asarray(sign), xp.asarray(logabs)
        ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(a)
        return sign, logabs

    @staticmethod
    def backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        return glog.unsqueeze(-1).unsqueeze(-1) * inv(a).mT


def slogdet(A: Tensor) -> SlogdetResult:
    """``(sign, logabsdet)`` of square matrices; only ``logabsdet`` is differentiable."""
    return SlogdetResult(Slogdet.apply(_matrix(A, "slogdet", square=True)))


# --- Cholesky --------------------------------------------------------------------------


class Cholesky(Function):
    """Outputs ``(L, info)``; info (int32) is 0, or the order of the first leading minor
    that is not positive definite (L is then zero for that matrix)."""

    @staticmethod
    def forward(ctx, a):
        xp = ctx.device.backend.xp
        try:
            L = xp.linalg.cholesky(a)
            ok = _factored(xp, L)
        except np.linalg.LinAlgError:
            ok = False
        if ok:
            info = xp.zeros(a.shape[:-2], dtype=np.int32)
        else:
            L, info = _cholesky_each(xp, a)
        ctx.mark_non_differentiable(info)
        ctx.save_for_backward(L)
        return L, info

    @staticmethod
    def backward(ctx, gL, ginfo):
        (L,) = ctx.saved_tensors
        phi = ops.tril(L.mT @ gL)
        phi = 0.5 * (phi + ops.tril(phi, -1).mT)  # Hermitian, with half the diagonal
        gA = solve_triangular(L.mT, phi, upper=True)
        return solve_triangular(L, gA, upper=False, left=False)


def _factored(xp, L) -> bool:
    """Whether a Cholesky factor is complete: NumPy raises on failure, but CuPy (unless in
    ``cupyx.errstate(linalg='raise')``) returns a factor with a non-positive or NaN pivot
    at the failing minor, so the diagonal says it."""
    return bool((xp.diagonal(L, axis1=-2, axis2=-1) > 0).all())


def _cholesky_each(xp, a):
    """The failure path: factor matrix by matrix and find each failing leading minor."""
    n = a.shape[-1]
    flat = a.reshape((-1, n, n))
    Ls = xp.zeros_like(flat)
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for b in range(flat.shape[0]):
        for k in range(1, n + 1):
            try:
                Lk = xp.linalg.cholesky(flat[b, :k, :k])
                ok = _factored(xp, Lk)
            except np.linalg.LinAlgError:
                ok = False
            if not ok:
                info[b] = k
                break
        else:
            Ls[b] = Lk
    return Ls.reshape(a.shape), xp.asarray(info.reshape(a.shape[:-2]))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False
                ) -> CholeskyExResult:
    """``(L, info)``: the Cholesky factor and, per matrix, 0 or the order of the first
    leading minor that is not positive definite (no error unless ``check_errors``)."""
    L, info = Cholesky.apply(_matrix(A, "cholesky_ex", square=True))
    if check_errors:
        _check_info(info, "cholesky_ex")
    return CholeskyExResult((L.mT if upper else L, info))


def _check_info(info: Tensor, op: str) -> None:
    bad = info.numpy().reshape(-1)
    if bad.any():
        b = int(np.flatnonzero(bad)[0])
        where = f" (batch element {b})" if info.ndim else ""
        raise LinAlgError(f"linalg.{op}: the factorization could not be completed because "
                          f"the input is not positive-definite (the leading minor of order "
                          f"{int(bad[b])} is not positive-definite){where}")


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor ``L`` (lower; ``upper=True``: ``L^T``) of symmetric positive-
    definite matrices (*, n, n); reads the lower triangle. Raises LinAlgError otherwise."""
    L, info = Cholesky.apply(_matrix(A, "cholesky", square=True))
    _check_info(info, "cholesky")
    return L.mT if upper else L


# --- QR ---------------------------------------------------------------------------------


class QR(Function):
    @staticmethod
    def forward(ctx, a, mode):
        xp = ctx.device.backend.xp
        ctx.mode = mode
        if mode == "r":
            r = _lapack("qr", xp.linalg.qr, a, mode="r")
            q = xp.zeros((0,), dtype=a.dtype)
        else:
            q, r = _lapack("qr", xp.linalg.qr, a, mode=mode)
        ctx.save_for_backward(a, q, r)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        a, Q, R = ctx.saved_tensors
        m, n = a.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError(
                "linalg.qr: the derivative of linalg.qr depends on Q, which is not computed "
                "when mode='r'; use mode='reduced' to differentiate through linalg.qr")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               f"mode='complete' and nrows > ncols (input {tuple(a.shape)})")
        if m >= n:
            return _qr_grad_tall(Q, R, gQ, gR), None
        # wide: A = [X | Y] with X = Q U square and V = Q^T Y
        Y = a[..., m:]
        gV = gR[..., m:]
        gX = _qr_grad_tall(Q, R[..., :m], gQ + Y @ gV.mT, gR[..., :m])
        return ops.cat([gX, Q @ gV], -1), None


def _qr_grad_tall(Q, R, gQ, gR):
    """PyTorch's ``linalg_qr_backward`` for m >= n: (gQ + Q syminvadj(triu(M))) R^-T with
    M = gR R^T - Q^T gQ."""
    M = ops.triu(gR @ R.mT - Q.mT @ gQ)
    gA = Q @ (M + ops.triu(M, 1).mT) + gQ
    return solve_triangular(R.mT, gA, upper=False, left=False)


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """QR decomposition of (*, m, n) matrices: ``mode`` 'reduced' (Q (*, m, k), R (*, k,
    n), k = min(m, n)), 'complete' (Q (*, m, m)) or 'r' (R only, Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    return QRResult(QR.apply(_matrix(A, "qr"), mode))


# --- SVD and symmetric eigendecomposition ---------------------------------------------------


class SVD(Function):
    @staticmethod
    def forward(ctx, a, full_matrices):
        xp = ctx.device.backend.xp
        u, s, vh = _lapack("svd", xp.linalg.svd, a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        if U.shape[-1] != k:  # full_matrices: the extra columns/rows carry no gradient
            U, gU = U[..., :k], gU[..., :k]
        if Vh.shape[-2] != k:
            Vh, gVh = Vh[..., :k, :], gVh[..., :k, :]
        UtgU = U.mT @ gU
        VtgV = Vh @ gVh.mT
        UtgU, VtgV = UtgU - UtgU.mT, VtgV - VtgV.mT
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S)  # the diagonal is never used
        inner = (UtgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VtgV) / E + ops.diag_embed(gS)
        if m > n:
            gUSinv = gU / S.unsqueeze(-2)
            gA = U @ inner + gUSinv - U @ (U.mT @ gUSinv)
            return gA @ Vh, None
        if m < n:
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = inner @ Vh + SinvgVh - (SinvgVh @ Vh.mT) @ Vh
            return U @ gA, None
        return U @ inner @ Vh, None


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """``A = U diag(S) Vh`` for (*, m, n) matrices, S descending. Differentiable for
    distinct singular values (and only gauge-invariant losses, see the module doc)."""
    return SVDResult(SVD.apply(_matrix(A, "svd"), bool(full_matrices)))


def svdvals(A: Tensor) -> Tensor:
    """Singular values (*, min(m, n)), descending. Gradient ``U diag(gS) Vh``."""
    return SVD.apply(_matrix(A, "svdvals"), False)[1]


class Eigh(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _lapack("eigh", ctx.device.backend.xp.linalg.eigh, a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        n = L.shape[-1]
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(n, L)  # E_ij = L_j - L_i, i != j
        off = 1 - _eye(n, L)
        inner = (V.mT @ gV) * off / E + ops.diag_embed(gL)
        return V @ inner @ V.mT, None


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending, (*, n)) and orthonormal eigenvectors (*, n, n) of symmetric
    matrices, reading the ``UPLO`` triangle."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(Eigh.apply(_matrix(A, "eigh", square=True), UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues of symmetric matrices, ascending. Gradient ``V diag(gL) V^T``."""
    return eigh(A, UPLO)[0]


# --- triangular solves and LU ---------------------------------------------------------


class SolveTriangular(Function):
    """``A X = B`` with ``A`` upper or lower triangular (the other triangle is ignored;
    with ``unit`` the diagonal is taken as ones)."""

    @staticmethod
    def forward(ctx, a, b, upper, unit):
        xp = ctx.device.backend.xp
        ctx.shapes, ctx.upper, ctx.unit = (a.shape, b.shape), upper, unit
        n = a.shape[-1]
        mask = xp.tri(n, n, 0 if not upper else -1, dtype=a.dtype)
        t = a * (mask if not upper else 1 - mask)
        if unit:
            eye = xp.eye(n, dtype=a.dtype)
            t = t * (1 - eye) + eye
        a2, b2 = _broadcast_batch(xp, t, b)
        x = _lapack("solve_triangular", xp.linalg.solve, a2, b2)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        sa, sb = ctx.shapes
        gb = SolveTriangular.apply(a.mT, g, not ctx.upper, ctx.unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mT)
            k = 1 if ctx.unit else 0
            ga = sum_to(ops.triu(ga, k) if ctx.upper else ops.tril(ga, -k), sa)
        return ga, sum_to(gb, sb), None, None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """Solve ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A`` (*, n, n)
    and ``B`` (*, n, k); batch dims broadcast. Only the ``upper``/lower triangle of ``A``
    is read (and not its diagonal with ``unitriangular``)."""
    A, B = _same_dtype(_matrix(A, "solve_triangular", square=True), B, "solve_triangular")
    _matrix(B, "solve_triangular")
    if not left:
        return solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
    if B.shape[-2] != A.shape[-1]:
        raise ValueError(f"linalg.solve_triangular: A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)}: B must have {A.shape[-1]} rows")
    return SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))


def _lu_forward(xp, a, pivot):
    """Batched LU with partial pivoting (LAPACK's getrf semantics): packed LU and the
    1-based int32 row interchanges, one vectorised elimination step per column."""
    m, n = a.shape[-2:]
    lu = a.reshape((-1, m, n)).copy()
    nb = lu.shape[0]
    k = min(m, n)
    piv = xp.zeros((nb, k), dtype=np.int32)
    rows = xp.arange(nb)
    for j in range(k):
        if pivot:
            p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
            piv[:, j] = p + 1
            top, other = lu[rows, j].copy(), lu[rows, p].copy()
            lu[rows, p] = top
            lu[rows, j] = other
        else:
            piv[:, j] = j + 1
        d = lu[:, j, j]
        safe = xp.where(d == 0, 1, d)
        lu[:, j + 1:, j] = lu[:, j + 1:, j] / safe[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(a.shape), piv.reshape(a.shape[:-2] + (k,))


def _perm_from_pivots(piv, n: int):
    """Row interchanges (1-based, applied in order) -> a permutation ``perm`` with
    ``(P^T A)[i] = A[perm[i]]``, as host int64 arrays (*, n)."""
    piv = np.asarray(piv).reshape((-1, piv.shape[-1])) - 1
    perm = np.tile(np.arange(n), (piv.shape[0], 1))
    for j in range(piv.shape[1]):
        p = piv[:, j]
        r = np.arange(piv.shape[0])
        a, b = perm[r, j].copy(), perm[r, p].copy()
        perm[r, j], perm[r, p] = b, a
    return perm


class LUFactor(Function):
    @staticmethod
    def forward(ctx, a, pivot):
        lu, piv = _lu_forward(ctx.device.backend.xp, a, pivot)
        ctx.mark_non_differentiable(piv)
        ctx.save_for_backward(lu, piv)
        return lu, piv

    @staticmethod
    def backward(ctx, gLU, gpiv):
        LU, piv = ctx.saved_tensors
        n = LU.shape[-1]
        L = ops.tril(LU, -1) + _eye(n, LU)
        U = ops.triu(LU)
        # PyTorch's linalg_lu_backward (square): P L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T
        phi = ops.tril(L.mT @ ops.tril(gLU, -1), -1) + ops.triu(ops.triu(gLU) @ U.mT)
        gA = solve_triangular(L.mT, phi, upper=True, unitriangular=True)
        gA = solve_triangular(U.mT, gA, upper=False, left=False)
        return _permute_rows(gA, piv, inverse=True), None


def _permute_rows(x: Tensor, piv: Tensor, inverse: bool) -> Tensor:
    """``P^T x`` (``inverse=False``) or ``P x`` for the permutation of ``piv``; a
    differentiable gather of rows."""
    n = x.shape[-2]
    perm = _perm_from_pivots(piv.numpy(), n)  # (batch, n)
    if inverse:
        perm = np.argsort(perm, axis=1)
    batch = tuple(piv.shape[:-1])
    full = np.broadcast_shapes(batch, tuple(x.shape[:-2]))
    perm = np.broadcast_to(perm.reshape(batch + (n,)), full + (n,)).reshape(-1, n)
    xb = ops.expand_to(x, full + tuple(x.shape[-2:])).reshape(-1, n, x.shape[-1])
    idx = np.arange(perm.shape[0])[:, None]
    out = xb[idx, perm]
    return out.reshape(full + tuple(x.shape[-2:]))


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:
    """Packed LU factorisation with partial pivoting: ``LU`` (*, m, n) holds L (unit
    lower, below the diagonal) and U; ``pivots`` (*, min(m, n)) int32, 1-based row
    interchanges as LAPACK's getrf. Differentiable for square ``A``."""
    A = _matrix(A, "lu_factor")
    if A.requires_grad and A.shape[-1] != A.shape[-2]:
        raise NotImplementedError(f"linalg.lu_factor: the gradient is implemented for square "
                                  f"matrices only, got shape {tuple(A.shape)}")
    return LUFactorResult(LUFactor.apply(A, bool(pivot)))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:
    """Solve ``A X = B`` given ``lu_factor(A)`` (``adjoint``: ``A^T X = B``; ``left=
    False``: ``X A = B``). Differentiable in ``LU`` and ``B``."""
    LU, B = _same_dtype(_matrix(LU, "lu_solve", square=True), B, "lu_solve")
    _matrix(B, "lu_solve")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    if B.shape[-2] != LU.shape[-1]:
        raise ValueError(f"linalg.lu_solve: LU {tuple(LU.shape)} and B {tuple(B.shape)}: B "
                         f"must have {LU.shape[-1]} rows")
    if not adjoint:  # A = P L U: X = U^-1 L^-1 P^T B
        y = solve_triangular(LU, _permute_rows(B, pivots, inverse=False), upper=False,
                             unitriangular=True)
        return solve_triangular(LU, y, upper=True)
    # A^T = U^T L^T P^T: X = P L^-T U^-T B
    y = solve_triangular(LU.mT, B, upper=False)
    y = solve_triangular(LU.mT, y, upper=True, unitriangular=True)
    return _permute_rows(y, pivots, inverse=True)


# --- pseudo-inverse, least squares, rank ------------------------------------------------


def _rtol_default(A, atol, rtol):
    if rtol is None:
        eps = float(np.finfo(A.array.dtype).eps)
        rtol = 0.0 if atol is not None and atol > 0 else eps * max(A.shape[-2:])
    return 0.0 if atol is None else float(atol), float(rtol)


class Pinv(Function):
    @staticmethod
    def forward(ctx, a, atol, rtol):
        xp = ctx.device.backend.xp
        u, s, vh = _lapack("pinv", xp.linalg.svd, a, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else s
        tol = xp.maximum(atol, rtol * smax)
        keep = s > tol
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        p = xp.swapaxes(vh, -1, -2) @ (sinv[..., :, None] * xp.swapaxes(u, -1, -2))
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors  # PyTorch's pinv_backward
        m, n = A.shape[-2:]
        Pt, gt = P.mT, g.mT
        if m <= n:
            K = gt @ P
            KPt = K @ Pt
            return (-(P @ K).mT + KPt - (A @ P) @ KPt + (Pt @ P) @ (gt - K @ A)), None, None
        K = P @ gt
        PtK = Pt @ K
        return (-(K @ P).mT + (gt - A @ K) @ P @ Pt + PtK - PtK @ P @ A), None, None


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
         hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse of (*, m, n) matrices; singular values at or below
    ``max(atol, rtol * s_max)`` are dropped (default ``rtol = eps * max(m, n)``). The
    gradient is exact where the rank is constant. ``hermitian`` is accepted (the SVD is
    used either way)."""
    A = _matrix(A, "pinv")
    atol, rtol = _rtol_default(A, atol, rtol)
    return Pinv.apply(A, atol, rtol)


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
          ) -> LstsqResult:
    """Least-squares solution of ``A X = B`` for (*, m, n) ``A`` and (*, m, k) or (*, m)
    ``B``, as ``pinv(A) @ B`` (PyTorch's gradient). Like PyTorch's CPU drivers: ``rank``
    for all but 'gels'; ``singular_values`` for 'gelsd'/'gelss'; ``residuals`` (squared,
    per column) when m > n, every matrix has full rank and the driver is not 'gelsy'."""
    A, B = _same_dtype(_matrix(A, "lstsq"), B, "lstsq")
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be one of gels, gelsy, gelsd, gelss; "
                         f"got {driver!r}")
    m, n = A.shape[-2:]
    vector = B.ndim == A.ndim - 1
    if B.shape[-1 if vector else -2] != m:
        raise ValueError(f"linalg.lstsq: A {tuple(A.shape)} and B {tuple(B.shape)}: B must "
                         f"have {m} rows")
    rtol = rcond if rcond is not None and rcond > 0 else None
    Bm = B.unsqueeze(-1) if vector else B
    X = pinv(A, rtol=rtol) @ Bm
    xp = A.device.backend.xp
    empty = _const(xp.zeros((0,), dtype=A.array.dtype), A)
    s = xp.linalg.svd(A.array, compute_uv=False)
    _, rtol_v = _rtol_default(A, None, rtol)
    rank_arr = (s > rtol_v * s[..., :1]).sum(-1).astype(np.int64)
    rank = _const(rank_arr, A) if driver != "gels" else _const(
        xp.zeros((0,), dtype=np.int64), A)
    sv = _const(s, A) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    if m > n and driver != "gelsy":
        refuse_while_recording("linalg.lstsq", "the rank (residuals exist only at full rank)")
    if m > n and driver != "gelsy" and bool((rank_arr == n).all()):
        r = A @ X - Bm
        residuals = (r * r).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    return LstsqResult((X.squeeze(-1) if vector else X, residuals, rank, sv))


def matrix_rank(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
                hermitian: bool = False) -> Tensor:
    """Number of singular values above ``max(atol, rtol * s_max)`` (int64, no gradient)."""
    A = _matrix(A, "matrix_rank")
    atol, rtol = _rtol_default(A, atol, rtol)
    xp = A.device.backend.xp
    s = xp.linalg.svd(A.array, compute_uv=False)
    tol = xp.maximum(atol, rtol * (s[..., :1] if s.shape[-1] else s))
    return _const((s > tol).sum(-1).astype(np.int64), A)


# --- products ---------------------------------------------------------------------------


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A^n`` for square matrices by repeated squaring; ``n < 0`` inverts first and
    ``n == 0`` gives the identity."""
    A = _matrix(A, "matrix_power", square=True)
    if int(n) != n:
        raise TypeError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    n = int(n)
    if n == 0:
        return ops.expand_to(_eye(A.shape[-1], A), tuple(A.shape)) * 1.0
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors) -> Tensor:
    """``tensors[0] @ tensors[1] @ ...`` in the cheapest order (dynamic programming on
    the shapes); the first may be 1-D (a row vector) and the last 1-D (a column)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise ValueError(f"linalg.multi_dot: expected at least 2 tensors, got {len(ts)}")
    for i, t in enumerate(ts):
        want = (1, 2) if i in (0, len(ts) - 1) else (2,)
        if not isinstance(t, Tensor) or t.ndim not in want:
            raise ValueError(f"linalg.multi_dot: tensor {i} must be "
                             f"{'1-D or 2-D' if len(want) == 2 else '2-D'}, got "
                             f"{getattr(t, 'shape', type(t).__name__)}")
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise ValueError(f"linalg.multi_dot: tensor {i} {tuple(ts[i].shape)} and tensor "
                             f"{i + 1} {tuple(ts[i + 1].shape)} cannot be multiplied")
    dims = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
    k = len(ts)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = math.inf
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def chain(i, j):
        if i == j:
            return ts[i]
        s = split[i][j]
        return chain(i, s) @ chain(s + 1, j)

    out = chain(0, k - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def _select(x: Tensor, i: int, dim: int) -> Tensor:
    return x[(slice(None),) * dim + (i,)]


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (inputs broadcast)."""
    a, b = ops.promote(input, other, "linalg.cross")
    shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    a, b = ops.expand_to(a, shape), ops.expand_to(b, shape)
    d = dim % len(shape) if shape else 0
    if not shape or shape[d] != 3:
        raise ValueError(f"linalg.cross: inputs {tuple(input.shape)} and {tuple(other.shape)} "
                         f"must have size 3 in dim {dim}")
    a0, a1, a2 = (_select(a, i, d) for i in range(3))
    b0, b1, b2 = (_select(b, i, d) for i in range(3))
    return ops.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot product of vectors along ``dim`` (inputs broadcast)."""
    return (x * y).sum(dim)


# --- norms ------------------------------------------------------------------------------


class Norm2(Function):
    """Euclidean norm over ``dims``; its gradient at 0 is 0, as PyTorch's."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.device.backend.xp
        ctx.kept = tuple(1 if i in dims else n for i, n in enumerate(x.shape))
        out = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        n = n.reshape(ctx.kept)
        safe = ops.where(n == 0, 1.0, n)  # x is 0 wherever n is, so x / safe is right
        return x * (g.reshape(ctx.kept) / safe), None, None


def _dims(dim, ndim, op):
    if dim is None:
        return tuple(range(ndim))
    from .ops._util import normalize_dims

    return normalize_dims(dim, ndim, f"linalg.{op}")


def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None
                ) -> Tensor:
    """``sum(|x|^ord) ^ (1/ord)`` over ``dim`` (all dims by default); ``ord`` inf/-inf
    take max/min of ``|x|``, ``ord=0`` counts non-zeros."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.vector_norm: expected a Tensor, got {type(x).__name__}")
    if dtype is not None:
        x = x.to(dtype)
    if x.array.dtype.kind != "f":
        raise TypeError(f"linalg.vector_norm: expected a floating tensor, got {x.dtype}")
    dims = _dims(dim, x.ndim, "vector_norm")
    if ord == 2:
        return Norm2.apply(x, dims, keepdim)
    a = ops.abs(x)
    if ord == math.inf:
        return a.amax(dims, keepdim=keepdim)
    if ord == -math.inf:
        return a.amin(dims, keepdim=keepdim)
    if ord == 0:
        return (x.detach() != 0).to(x.dtype).sum(dims, keepdim=keepdim)
    if ord == 1:
        return a.sum(dims, keepdim=keepdim)
    return (a ** float(ord)).sum(dims, keepdim=keepdim) ** (1.0 / ord)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None
                ) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if dtype is not None:
        A = A.to(dtype)
    _matrix(A, "matrix_norm")
    d = _dims(dim, A.ndim, "matrix_norm")
    if len(d) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must name 2 dimensions, got {dim}")
    r, c = (x % A.ndim for x in dim)
    if ord == "fro":
        return Norm2.apply(A, d, keepdim)
    rest = [i for i in range(A.ndim) if i not in d]
    M = A.permute(*rest, r, c)
    if ord in ("nuc", 2, -2):
        s = svdvals(M)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    elif ord in (1, -1):
        colsums = ops.abs(M).sum(-2)
        out = colsums.amax(-1) if ord == 1 else colsums.amin(-1)
    elif ord in (math.inf, -math.inf):
        rowsums = ops.abs(M).sum(-1)
        out = rowsums.amax(-1) if ord > 0 else rowsums.amin(-1)
    else:
        raise ValueError(f"linalg.matrix_norm: unsupported ord {ord!r} (expected 'fro', "
                         "'nuc', inf, -inf, 1, -1, 2 or -2)")
    if keepdim:
        for i in sorted(d):
            out = out.unsqueeze(i)
    return out


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector or matrix norm as PyTorch picks it: ``dim`` an int -> vector norm, a
    2-tuple -> matrix norm; ``dim=None``: the 2-norm of the flattened input when ``ord``
    is None, else a vector (1-D input) or matrix (2-D input) norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 1:
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is not None:
        raise ValueError(f"linalg.norm: dim must be an int or a tuple of 1 or 2 ints, got {dim}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise ValueError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or "
                     f"2-D, got shape {tuple(A.shape)}")


# --- PyTorch's top-level names (torch.det, torch.inverse, ...) -------------------------


def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: NaN for a negative determinant, -inf for a zero one (torch.logdet)."""
    sign, logabs = slogdet(A)
    return ops.where(sign < 0, math.nan, logabs)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``pinv(input, rtol=rcond)`` (torch.pinverse)."""
    return pinv(input, rtol=rcond)


# --- the _ex forms, lu, and compositions ----------------------------------------------


def _getrf_info(A: Tensor):
    """LAPACK getrf's info per matrix: 0, or the 1-based index of the first zero pivot."""
    xp = A.device.backend.xp
    lu, _ = _lu_forward(xp, A.array, True)
    k = min(lu.shape[-2:])
    d = xp.diagonal(lu, axis1=-2, axis2=-1)[..., :k]
    zero = d == 0
    first = xp.argmax(zero, axis=-1) + 1
    return _const(xp.where(zero.any(axis=-1), first, 0).astype(np.int32), A)


def _raise_singular(info: Tensor, op: str) -> None:
    bad = info.numpy().reshape(-1)
    if bad.any():
        b = int(np.flatnonzero(bad)[0])
        where = f" (batch element {b})" if info.ndim else ""
        raise LinAlgError(f"linalg.{op}: the input is singular: U[{bad[b]}, {bad[b]}] is zero "
                          f"in its LU factorization{where}")


def _with_info(A: Tensor, info: Tensor, compute, trailing: int) -> Tensor:
    """``compute(A)``, with each singular matrix (``info != 0``) swapped for the identity
    and its result set to NaN (PyTorch leaves those values unspecified)."""
    bad = info.numpy() != 0
    if not bad.any():
        return compute(A)
    xp = A.device.backend.xp
    mask = _const(xp.asarray(bad), A)
    out = compute(ops.where(mask.reshape(mask.shape + (1, 1)), _eye(A.shape[-1], A), A))
    return ops.where(mask.reshape(mask.shape + (1,) * trailing), math.nan, out)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """``(inverse, info)``; info per matrix is 0 or the first zero pivot of its LU (1-based),
    and a singular matrix's inverse is NaN; no error unless ``check_errors``."""
    A = _matrix(A, "inv_ex", square=True)
    info = _getrf_info(A)
    if check_errors:
        _raise_singular(info, "inv_ex")
    return InvExResult((_with_info(A, info, Inv.apply, 2), info))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False
             ) -> SolveExResult:
    """``(solve(A, B, left=left), info)`` with ``info`` and NaN results as ``inv_ex``'s."""
    A = _matrix(A, "solve_ex", square=True)
    info = _getrf_info(A)
    if check_errors:
        _raise_singular(info, "solve_ex")
    vector = isinstance(B, Tensor) and (B.ndim == 1 or (
        B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1])))
    return SolveExResult((_with_info(A, info, lambda a: solve(a, B, left=left),
                                     1 if vector else 2), info))


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False
                 ) -> LUFactorExResult:
    """``(LU, pivots, info)``: ``lu_factor`` and getrf's info (0, or the first zero pivot)."""
    LU, piv = lu_factor(A, pivot=pivot)
    xp = LU.device.backend.xp
    k = min(LU.shape[-2:])
    zero = xp.diagonal(LU.array, axis1=-2, axis2=-1)[..., :k] == 0
    info = _const(xp.where(zero.any(axis=-1), xp.argmax(zero, axis=-1) + 1, 0).astype(
        np.int32), LU)
    if check_errors:
        _raise_singular(info, "lu_factor_ex")
    return LUFactorExResult((LU, piv, info))


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:
    """``A = P L U``: permutation ``P`` (*, m, m), unit lower ``L`` (*, m, k) and upper
    ``U`` (*, k, n), k = min(m, n). Differentiable for square ``A``."""
    LU, piv = lu_factor(A, pivot=pivot)
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = ops.tril(LU[..., :, :k], -1) + ops.expand_to(_const(
        LU.device.backend.xp.eye(m, k, dtype=LU.array.dtype), LU), tuple(LU.shape[:-2]) + (m, k))
    U = ops.triu(LU[..., :k, :])
    eye = _eye(m, LU)
    P = _permute_rows(ops.expand_to(eye, tuple(LU.shape[:-2]) + (m, m)), piv, inverse=True)
    return LUResult((P.detach(), L, U))


def cond(A: Tensor, p=None) -> Tensor:
    """Condition number: ``s_max / s_min`` for ``p`` None or 2 (``s_min / s_max`` for -2),
    else ``norm(A, p) * norm(inv(A), p)`` (square ``A``)."""
    A = _matrix(A, "cond")
    if p in (None, 2, -2):
        s = svdvals(A)
        hi, lo = s[..., 0], s[..., -1]
        return hi / lo if p != -2 else lo / hi
    _matrix(A, "cond", square=True)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal ``offset`` of the matrices in dims ``(dim1, dim2)``, as the last dim."""
    return ops.diagonal(A, offset, dim1, dim2)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """Vandermonde matrices ``[1, x, x^2, ..., x^(N-1)]`` along a new last dim (*, n, N);
    ``N`` defaults to ``x.shape[-1]``."""
    if not isinstance(x, Tensor) or x.ndim < 1:
        raise ValueError(f"linalg.vander: expected a tensor with at least 1 dimension, got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    N = x.shape[-1] if N is None else int(N)
    if N < 1:
        raise ValueError(f"linalg.vander: N must be at least 1, got {N}")
    cols = [ops.expand_to(_const(x.device.backend.xp.ones((), x.array.dtype), x), tuple(x.shape))]
    for _ in range(N - 1):
        cols.append(cols[-1] * x)
    return ops.stack(cols, -1)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of ``A`` seen as a square matrix of its first ``ind`` dims by the rest:
    shape ``A.shape[ind:] + A.shape[:ind]``."""
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    if ind <= 0 or math.prod(rows) != math.prod(cols):
        raise ValueError(f"linalg.tensorinv: the product of the first ind={ind} dims of "
                         f"{tuple(A.shape)} must equal that of the rest")
    return inv(A.reshape(math.prod(rows), math.prod(cols))).reshape(cols + rows)


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) == B``; ``dims`` of ``A`` are first moved last."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in dims], *dims)
    xshape = tuple(A.shape[B.ndim:])
    n = math.prod(tuple(B.shape))
    if math.prod(xshape) != n:
        raise ValueError(f"linalg.tensorsolve: A {tuple(A.shape)} and B {tuple(B.shape)}: the "
                         "trailing dims of A must hold as many elements as B")
    return solve(A.reshape(n, n), B.reshape(n)).reshape(xshape)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of ``H_1 H_2 ... H_k``, ``H_i = I - tau_i v_i v_i^T`` with
    ``v_i`` column i of ``A`` (*, m, n) below the diagonal and 1 on it (LAPACK's orgqr);
    ``tau`` (*, k), k <= n. Composed of differentiable ops."""
    A, tau = _same_dtype(_matrix(A, "householder_product"), tau, "householder_product")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if n > m or k > n or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ValueError(f"linalg.householder_product: expected A (*, m, n) with m >= n and "
                         f"tau (*, k) with k <= n and the same batch, got A {tuple(A.shape)} "
                         f"and tau {tuple(tau.shape)}")
    xp = A.device.backend.xp
    below = _const(xp.tri(m, n, -1, dtype=A.array.dtype), A)
    V = A * below + _const(xp.eye(m, n, dtype=A.array.dtype), A)  # (*, m, n)
    Q = ops.expand_to(_eye(m, A), tuple(A.shape[:-2]) + (m, m))
    for i in range(k):
        v = V[..., :, i:i + 1]  # (*, m, 1)
        Q = Q - (Q @ v) @ (v.mT * tau[..., i:i + 1].unsqueeze(-1))
    return Q[..., :, :n]
