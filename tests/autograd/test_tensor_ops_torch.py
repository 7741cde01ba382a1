"""The tensor ops of issue 12 against PyTorch (skipped without it): values, integer
outputs, dtypes, tie-breaking, keepdim shapes and return tuples, on fixed inputs.

Gradients are checked by the op registry (autograd/testing/surface_ops.py); this file
pins the semantics PyTorch users rely on and a NumPy reference would not catch.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)
A = _rng.standard_normal((3, 4))
B = _rng.standard_normal((3, 4))
C = _rng.standard_normal((4, 5))
V = _rng.standard_normal(4)
W = _rng.standard_normal(4)
I = _rng.integers(0, 3, (2, 4))  # noqa: E741
X3 = _rng.standard_normal((2, 3, 4))
P = _rng.uniform(0.2, 0.9, (3, 4))
E = np.zeros((0, 3))
E1 = np.zeros(0)
Z = np.array(2.5)
_R = {
    k: _rng.standard_normal(k)
    for k in [(3, 4), (2, 4, 3), (2, 4, 2), (3, 4, 5), (4, 2), (5, 2), (2, 5, 4)]
}


class _Fixed:
    """Fixed random arrays by shape, so both libraries see the same inputs."""

    def standard_normal(self, shape):
        return _R[tuple(shape)]


rng = _Fixed()

cases = {
    "tan": lambda m, t: m.tan(t(A)),
    "asin": lambda m, t: m.asin(t(P)),
    "acosh": lambda m, t: m.acosh(t(A) + 3),
    "log2": lambda m, t: m.log2(t(P)),
    "exp2": lambda m, t: m.exp2(t(A)),
    "expm1": lambda m, t: m.expm1(t(A)),
    "fmod": lambda m, t: m.fmod(t(A) * 3, t(B)),
    "remainder": lambda m, t: m.remainder(t(A) * 3, t(B)),
    "remainder_int": lambda m, t: m.remainder(t(I) - 1, 2),
    "floor_divide": lambda m, t: m.floor_divide(t(I) - 2, 2),
    "fdiv_float": lambda m, t: m.floor_divide(t(A) * 3, t(B)),
    "hypot": lambda m, t: m.hypot(t(A), t(B)),
    "atan2": lambda m, t: m.atan2(t(A), t(B)),
    "copysign": lambda m, t: m.copysign(t(A), t(B)),
    "logaddexp": lambda m, t: m.logaddexp(t(A), t(B)),
    "logaddexp2": lambda m, t: m.logaddexp2(t(A), t(B)),
    "lerp": lambda m, t: m.lerp(t(A), t(B), 0.3),
    "lerp_t": lambda m, t: m.lerp(t(A), t(B), t(P)),
    "frac": lambda m, t: m.frac(t(A) * 3),
    "deg2rad": lambda m, t: m.deg2rad(t(A)),
    "sgn": lambda m, t: m.sgn(t(A)),
    "sort": lambda m, t: m.sort(t(A), 1),
    "sort_desc": lambda m, t: m.sort(t(np.array([1.0, 0, 1, 0, 1])), descending=True, stable=True),
    "argsort": lambda m, t: m.argsort(t(A), 0),
    "topk": lambda m, t: m.topk(t(A), 2),
    "topk_small": lambda m, t: m.topk(t(A), 2, 0, largest=False),
    "kthvalue": lambda m, t: m.kthvalue(t(A), 2, 1, True),
    "median": lambda m, t: m.median(t(A)),
    "median_dim": lambda m, t: m.median(t(A), 1),
    "median_nan": lambda m, t: m.median(t(np.array([[1.0, np.nan, 0], [2, 1, 3]])), 1),
    "nanmedian": lambda m, t: m.nanmedian(t(np.array([[1.0, np.nan, 0], [2, 1, 3]])), 1),
    "mode": lambda m, t: m.mode(t(np.array([[1.0, 1, 2, 2], [2, 2, 3, 3], [5, 4, 4, 5]]))),
    "msort": lambda m, t: m.msort(t(A)),
    "cumsum": lambda m, t: m.cumsum(t(A), 1),
    "cumsum_int": lambda m, t: m.cumsum(t(I), 0),
    "cumprod": lambda m, t: m.cumprod(t(A), 0),
    "cummax": lambda m, t: m.cummax(t(np.array([1.0, 3, 3, 2, 5])), 0),
    "cummin": lambda m, t: m.cummin(t(A), 1),
    "logcumsumexp": lambda m, t: m.logcumsumexp(t(A), 1),
    "gather": lambda m, t: m.gather(t(A), 1, t(I[:, :3])),
    "gather0": lambda m, t: m.gather(t(A), 0, t(I)),
    "scatter": lambda m, t: m.scatter(t(A), 1, t(np.array([[0, 1], [2, 3]])), t(B)),
    "scatter_val": lambda m, t: m.scatter(t(A), 0, t(I), 2.5),
    "scatter_add": lambda m, t: m.scatter_add(t(A), 0, t(I), t(B)),
    **{
        f"scatter_reduce_{r}_{s}": (
            lambda rd, inc: lambda m, t: m.scatter_reduce(t(A), 0, t(I), t(B), rd, include_self=inc)
        )(r, s)
        for r in ("sum", "prod", "mean", "amax", "amin")
        for s in (True, False)
    },
    "scatter_reduce_int_mean": lambda m, t: m.scatter_reduce(
        t(np.arange(12).reshape(3, 4)), 0, t(I), t(I + 7), "mean"
    ),
    "index_select": lambda m, t: m.index_select(t(A), 1, t(np.array([3, 0, 3]))),
    "index_add": lambda m, t: m.index_add(t(A), 1, t(np.array([3, 0, 3])), t(B[:, :3]), alpha=2),
    "take": lambda m, t: m.take(t(A), t(I)),
    "take_along_dim": lambda m, t: m.take_along_dim(t(A), t(I[:1]), 0),
    "take_along_dim_none": lambda m, t: m.take_along_dim(t(A), t(I)),
    "masked_select": lambda m, t: m.masked_select(t(A), t(A) > 0),
    "masked_scatter": lambda m, t: t(A).masked_scatter(t(A) > 0, t(B)),
    "nonzero": lambda m, t: m.nonzero(t(I)),
    "nonzero_tuple": lambda m, t: m.nonzero(t(I), as_tuple=True),
    "argwhere": lambda m, t: m.argwhere(t(I)),
    "unique": lambda m, t: m.unique(t(I), return_inverse=True, return_counts=True),
    "unique_dim": lambda m, t: m.unique(
        t(np.array([[1, 2], [1, 2], [0, 1]])), dim=0, return_inverse=True
    ),
    "unique_consecutive": lambda m, t: m.unique_consecutive(
        t(np.array([1, 1, 2, 2, 3, 1, 1])), return_inverse=True, return_counts=True
    ),
    "bincount": lambda m, t: m.bincount(t(np.array([0, 3, 3, 1]))),
    "bincount_w": lambda m, t: m.bincount(
        t(np.array([0, 3, 3, 1])), t(np.array([0.5, 1, 1, 2], dtype=np.float32))
    ),
    "histc": lambda m, t: m.histc(t(A), 5, -1, 1),
    "histc_auto": lambda m, t: m.histc(t(A), 4),
    "bucketize": lambda m, t: m.bucketize(t(A), t(np.array([-1.0, 0, 1]))),
    "bucketize_r": lambda m, t: m.bucketize(
        t(np.array([-1.0, 0, 1, 2])), t(np.array([-1.0, 0, 1])), right=True
    ),
    "searchsorted": lambda m, t: m.searchsorted(t(np.array([-1.0, 0, 1])), t(A)),
    "searchsorted_2d": lambda m, t: m.searchsorted(t(np.sort(A, 1)), t(B), right=True),
    "flip": lambda m, t: m.flip(t(X3), (0, 2)),
    "roll": lambda m, t: m.roll(t(X3), (1, -1), (0, 2)),
    "roll_flat": lambda m, t: m.roll(t(A), 3),
    "rot90": lambda m, t: m.rot90(t(X3), 1, (1, 2)),
    "rot90_3": lambda m, t: m.rot90(t(A), 3),
    "rot90_m1": lambda m, t: m.rot90(t(A), -1, (0, 1)),
    "repeat": lambda m, t: t(A).repeat(2, 1, 3),
    "tile": lambda m, t: m.tile(t(A), (2,)),
    "repeat_interleave": lambda m, t: m.repeat_interleave(t(A), 2, 1),
    "ri_tensor": lambda m, t: m.repeat_interleave(t(A), t(np.array([1, 0, 2])), 0),
    "ri_flat": lambda m, t: m.repeat_interleave(t(A), 2),
    "ri_counts": lambda m, t: m.repeat_interleave(t(np.array([2, 0, 1]))),
    "narrow": lambda m, t: m.narrow(t(A), 1, 1, 2),
    "unfold": lambda m, t: t(X3).unfold(2, 2, 1),
    "unfold2": lambda m, t: t(X3).unfold(1, 2, 2),
    "diag1": lambda m, t: m.diag(t(V), 1),
    "diag2": lambda m, t: m.diag(t(A), -1),
    "diag_embed": lambda m, t: m.diag_embed(t(A), 1, 0, 2),
    "diagonal": lambda m, t: m.diagonal(t(X3), 1, 2, 1),
    "tril": lambda m, t: m.tril(t(X3), -1),
    "triu": lambda m, t: m.triu(t(A), 1),
    "triu_int": lambda m, t: m.triu(t(I)),
    "trace": lambda m, t: m.trace(t(A)),
    "outer": lambda m, t: m.outer(t(V), t(W)),
    "kron": lambda m, t: m.kron(t(A), t(B[:2, :2])),
    "kron3": lambda m, t: m.kron(t(X3), t(A)),
    "cross": lambda m, t: m.cross(
        t(rng.standard_normal((3, 4))), t(rng.standard_normal((3, 4))), dim=0
    ),
    "meshgrid": lambda m, t: m.meshgrid(t(V), t(W[:3]), indexing="ij"),
    "meshgrid_xy": lambda m, t: m.meshgrid(t(V), t(W[:3]), t(V[:2]), indexing="xy"),
    "cartesian_prod": lambda m, t: m.cartesian_prod(t(V[:2]), t(W[:3])),
    "broadcast_tensors": lambda m, t: m.broadcast_tensors(t(V), t(A)),
    "movedim": lambda m, t: m.movedim(t(X3), (0, 1), (2, 0)),
    "swapaxes": lambda m, t: m.swapaxes(t(X3), 0, 2),
    "atleast_3d": lambda m, t: m.atleast_3d(t(V)),
    "atleast_3d_2": lambda m, t: m.atleast_3d(t(A)),
    "atleast_2d": lambda m, t: m.atleast_2d(t(V), t(A)),
    "hstack": lambda m, t: m.hstack([t(A), t(B)]),
    "hstack1": lambda m, t: m.hstack([t(V), t(W)]),
    "vstack": lambda m, t: m.vstack([t(V), t(W)]),
    "dstack": lambda m, t: m.dstack([t(A), t(B)]),
    "column_stack": lambda m, t: m.column_stack([t(V), t(W), t(A.T)]),
    "all": lambda m, t: m.all(t(I)),
    "any_dim": lambda m, t: m.any(t(I), 1, True),
    "all_dim": lambda m, t: t(A > 0).all(0),
    "isclose": lambda m, t: m.isclose(t(A), t(A + 1e-6)),
    "nan_to_num": lambda m, t: m.nan_to_num(t(np.array([np.nan, np.inf, -np.inf, 1.0]))),
    "count_nonzero": lambda m, t: m.count_nonzero(t(I), 0),
    "addmm": lambda m, t: m.addmm(t(V[:3, None]), t(A), t(C), beta=0.5, alpha=2),
    "addmv": lambda m, t: m.addmv(t(V[:3]), t(A), t(W)),
    "addbmm": lambda m, t: m.addbmm(
        t(A[:, :3]), t(X3.transpose(0, 1, 2)[:, :, :]), t(rng.standard_normal((2, 4, 3)))
    ),
    "baddbmm": lambda m, t: m.baddbmm(
        t(A[:, :3]), t(X3), t(rng.standard_normal((2, 4, 3))), alpha=0.5
    ),
    "bmm": lambda m, t: m.bmm(t(X3), t(rng.standard_normal((2, 4, 2)))),
    "mm": lambda m, t: m.mm(t(A), t(C)),
    "mv": lambda m, t: m.mv(t(A), t(V)),
    "dot": lambda m, t: m.dot(t(V), t(W)),
    "vdot": lambda m, t: m.vdot(t(V), t(W)),
    "inner": lambda m, t: m.inner(t(X3), t(A)),
    "tensordot": lambda m, t: m.tensordot(t(X3), t(rng.standard_normal((3, 4, 5))), 2),
    "tensordot_l": lambda m, t: m.tensordot(
        t(X3), t(rng.standard_normal((4, 2))), ([2, 0], [0, 1])
    ),
    "chain_matmul": lambda m, t: m.chain_matmul(t(A), t(C), t(rng.standard_normal((5, 2)))),
    "var_mean": lambda m, t: m.var_mean(t(A), 1),
    "std_mean": lambda m, t: m.std_mean(t(A), 0, keepdim=True),
    "aminmax": lambda m, t: m.aminmax(t(A), dim=1),
    "nanmean": lambda m, t: m.nanmean(t(np.array([1.0, np.nan, 3]))),
    "nansum": lambda m, t: m.nansum(t(np.array([[1.0, np.nan, 3]])), 1),
    "norm": lambda m, t: m.norm(t(A)),
    "norm_p1": lambda m, t: m.norm(t(A), 1, 1),
    "norm_inf": lambda m, t: t(A).norm(float("inf"), 0),
    "norm_p3": lambda m, t: m.norm(t(A), 3, (0, 1), True),
    "norm_0": lambda m, t: m.norm(t(A), 0),
    "dist": lambda m, t: m.dist(t(A), t(B), 3),
    "cdist": lambda m, t: m.cdist(t(X3), t(rng.standard_normal((2, 5, 4)))),
    "cdist1": lambda m, t: m.cdist(t(A), t(B), 1),
    "renorm": lambda m, t: m.renorm(t(A), 2, 0, 1.0),
    "diff": lambda m, t: m.diff(t(A), 2, 1),
    "diff_prepend": lambda m, t: m.diff(t(A), 1, 0, prepend=t(B[:1])),
    "diff_bool": lambda m, t: m.diff(t(A > 0)),
    "trapezoid": lambda m, t: m.trapezoid(t(A)),
    "trapezoid_x": lambda m, t: m.trapezoid(t(A), t(np.array([0.0, 1, 3, 4]))),
    "trapezoid_dx": lambda m, t: m.trapezoid(t(A), dx=0.5, dim=0),
    "size": lambda m, t: t(A).size(),
    "nelement": lambda m, t: t(A).nelement(),
    "new_zeros": lambda m, t: t(A).new_zeros(2, 3),
    "new_full": lambda m, t: t(A).new_full((2,), 3.0),
    "new_tensor": lambda m, t: t(A).new_tensor([1, 2]),
    "type_as": lambda m, t: t(I).type_as(t(A)),
    "view_as": lambda m, t: t(A).view_as(t(A.reshape(2, 6))),
    "floordiv_op": lambda m, t: t(A) // 0.5,
    "mod_op": lambda m, t: t(A) % 0.7,
    "rmod": lambda m, t: 3 % t(I + 1),
    "FloatTensor": lambda m, t: m.FloatTensor([1, 2]),
    "LongTensor": lambda m, t: m.LongTensor([[1, 2]]),
    "type_legacy": lambda m, t: t(A).type(m.LongTensor),
    "finfo": lambda m, t: (
        m.finfo(m.float32).eps,
        m.finfo(m.float64).max,
        m.finfo(m.float16).tiny,
        m.iinfo(m.int32).max,
        m.iinfo(m.uint8).min,
    ),
    # second batch
    "addcmul": lambda m, t: m.addcmul(t(A), t(B), t(V), value=0.5),
    "addcdiv": lambda m, t: m.addcdiv(t(A), t(B), t(P), value=2),
    "clamp_min": lambda m, t: m.clamp_min(t(A), 0.1),
    "float_power": lambda m, t: m.float_power(t(P.astype(np.float32)), 2),
    "fmax": lambda m, t: m.fmax(
        t(np.array([1.0, np.nan, np.nan])), t(np.array([np.nan, 2, np.nan]))
    ),
    "fmin": lambda m, t: m.fmin(t(A), t(B)),
    "heaviside": lambda m, t: m.heaviside(t(np.array([-1.0, 0, 2])), t(np.array([0.5]))),
    "gcd": lambda m, t: m.gcd(t(np.array([12, 18, -4])), t(np.array([8, 12, 6]))),
    "lcm": lambda m, t: m.lcm(t(np.array([4, 6])), t(np.array([6, 4]))),
    "bitwise_and": lambda m, t: m.bitwise_and(t(I), t(I + 3)),
    "bitwise_xor_bool": lambda m, t: m.bitwise_xor(t(A > 0), t(B > 0)),
    "bitwise_not": lambda m, t: m.bitwise_not(t(I)),
    "bitwise_shift": lambda m, t: m.bitwise_left_shift(t(I), 2),
    "ldexp": lambda m, t: m.ldexp(t(A), t(np.array([1, 2, -1, 0]))),
    "frexp": lambda m, t: m.frexp(t(A * 10)),
    "signbit": lambda m, t: m.signbit(t(np.array([-0.0, 0.0, -1, 2]))),
    "isposinf": lambda m, t: m.isposinf(t(np.array([np.inf, -np.inf, 1]))),
    "isneginf_int": lambda m, t: m.isneginf(t(I)),
    "isin": lambda m, t: m.isin(t(I), t(np.array([0, 2]))),
    "isin_invert": lambda m, t: m.isin(t(I), t(np.array([0, 2])), invert=True),
    "rsub": lambda m, t: m.rsub(t(A), t(B), alpha=2),
    "index_copy": lambda m, t: t(A).index_copy(1, t(np.array([3, 0])), t(B[:, :2])),
    "index_fill": lambda m, t: t(A).index_fill(0, t(np.array([2, 0])), -1.0),
    "index_put": lambda m, t: t(A).index_put(
        (t(np.array([0, 0])), t(np.array([1, 1]))), t(np.array([5.0, 6.0])), accumulate=True
    ),
    "index_put_bcast": lambda m, t: t(A).index_put((t(np.array([0, 2])),), t(V)),
    "put": lambda m, t: t(A).put(t(np.array([0, 11, 5])), t(np.array([1.0, 2, 3]))),
    **{
        f"index_reduce_{r}_{s}": (
            lambda rd, inc: (
                lambda m, t: t(A).index_reduce(
                    1, t(np.array([2, 0, 2])), t(B[:, :3]), rd, include_self=inc
                )
            )
        )(r, s)
        for r in ("prod", "mean", "amax", "amin")
        for s in (True, False)
    },
    "select_scatter": lambda m, t: m.select_scatter(t(A), t(V[:3]), 1, 2),
    "slice_scatter": lambda m, t: m.slice_scatter(t(A), t(B[:, :2]), 1, 1, None, 2),
    "diagonal_scatter": lambda m, t: m.diagonal_scatter(t(A), t(V[:3]), 1),
    "diagonal_scatter_3d": lambda m, t: m.diagonal_scatter(t(X3), t(A[:, :1]), -1, 0, 2),
    "select": lambda m, t: t(X3).select(1, -1),
    "ravel": lambda m, t: t(A).T.ravel(),
    "tensor_split": lambda m, t: m.tensor_split(t(np.arange(7)), 3),
    "tensor_split_idx": lambda m, t: m.tensor_split(t(A), [1, 6], 1),
    "hsplit": lambda m, t: m.hsplit(t(A), 2),
    "vsplit": lambda m, t: m.vsplit(t(A), [1]),
    "dsplit": lambda m, t: m.dsplit(t(X3), 2),
    "split_with_sizes": lambda m, t: t(A).split_with_sizes([1, 3], 1),
    "block_diag": lambda m, t: m.block_diag(t(A[:2, :2]), t(V[:3]), t(np.array(2.0))),
    "block_diag_int": lambda m, t: m.block_diag(t(I[:1]), t(A[:1, :1])),
    "combinations": lambda m, t: m.combinations(t(V), 3),
    "combinations_repl": lambda m, t: m.combinations(t(V[:3]), 2, with_replacement=True),
    "tril_indices": lambda m, t: m.tril_indices(3, 4, 1),
    "triu_indices": lambda m, t: m.triu_indices(4, 3, -1),
    "sum_to_size": lambda m, t: t(X3).sum_to_size(1, 3, 1),
    "addr": lambda m, t: m.addr(t(A[:, :3]), t(V[:3]), t(W[:3]), alpha=2),
    "cov": lambda m, t: m.cov(t(A)),
    "cov_weights": lambda m, t: m.cov(
        t(A), correction=0, fweights=t(np.array([1, 2, 1, 3])), aweights=t(P[0])
    ),
    "cov_1d": lambda m, t: m.cov(t(V)),
    "corrcoef": lambda m, t: m.corrcoef(t(A)),
    "quantile": lambda m, t: m.quantile(t(A), t(np.array([0.1, 0.5, 1.0])), dim=1),
    "quantile_scalar": lambda m, t: m.quantile(t(A), 0.3),
    "quantile_keepdim": lambda m, t: m.quantile(t(A), 0.7, 0, keepdim=True),
    **{
        f"quantile_{mode}": (lambda md: lambda m, t: m.quantile(t(A), 0.4, 1, interpolation=md))(
            mode
        )
        for mode in ("lower", "higher", "midpoint", "nearest")
    },
    "quantile_nan": lambda m, t: m.quantile(t(np.array([[1.0, np.nan, 2], [0, 1, 3]])), 0.5, 1),
    "nanquantile": lambda m, t: m.nanquantile(
        t(np.array([[1.0, np.nan, 2], [np.nan] * 3])), 0.5, 1
    ),
    "cumulative_trapezoid": lambda m, t: m.cumulative_trapezoid(t(A), dim=0),
    "cumulative_trapezoid_x": lambda m, t: m.cumulative_trapezoid(
        t(A), t(np.array([0.0, 1, 3, 4]))
    ),
    "histogram": lambda m, t: m.histogram(t(A), 5),
    "histogram_range_w": lambda m, t: m.histogram(
        t(A), 4, range=(-1.0, 1.0), weight=t(P), density=True
    ),
    "unravel_index": lambda m, t: m.unravel_index(t(np.array([5, 11, -1])), (3, 4)),
    "logspace": lambda m, t: m.logspace(0, 2, 5),
    "logspace_base2": lambda m, t: m.logspace(0, 3, 4, base=2),
    "byte": lambda m, t: t(I).byte(),
    "positive": lambda m, t: m.positive(t(A)),
    # copies and small extras
    "view_copy": lambda m, t: m.view_copy(t(A), (2, 6)),
    "diagonal_copy": lambda m, t: m.diagonal_copy(t(X3), 0, 1, 2),
    "unfold_copy": lambda m, t: m.unfold_copy(t(A), 1, 2, 2),
    "transpose_copy": lambda m, t: m.transpose_copy(t(X3), 0, 2),
    "unbind_copy": lambda m, t: m.unbind_copy(t(A), 1),
    "fill": lambda m, t: m.fill(t(A), 2.5),
    "scalar_tensor": lambda m, t: m.scalar_tensor(3),
    "nonzero_static": lambda m, t: m.nonzero_static(t(I), size=3, fill_value=-2),
    "gradient": lambda m, t: m.gradient(t(A), spacing=2.0),
    "gradient_coords": lambda m, t: m.gradient(
        t(A), spacing=[t(np.array([0.0, 1, 3, 4]))], dim=1, edge_order=2
    ),
    "unsafe_split": lambda m, t: m.unsafe_split(t(A), 3, 1),
    "constant_pad_nd": lambda m, t: m.constant_pad_nd(t(A), (1, 2, 0, 1), 0.5),
    "rand_bool": lambda m, t: True & t(A > 0),
    # empty and 0-d inputs (PyTorch's results, not NumPy's errors)
    "sort_empty": lambda m, t: m.sort(t(E), 0),
    "sort_0d": lambda m, t: m.sort(t(Z)),
    "argsort_0d": lambda m, t: m.argsort(t(Z)),
    "topk0": lambda m, t: m.topk(t(E.T), 0),
    "cumsum_empty": lambda m, t: m.cumsum(t(E), 0),
    "cumsum_0d": lambda m, t: m.cumsum(t(Z), 0),
    "cumprod_empty": lambda m, t: m.cumprod(t(E), 1),
    "cummax_empty": lambda m, t: m.cummax(t(E), 0),
    "logcumsumexp_empty": lambda m, t: m.logcumsumexp(t(E), 0),
    "gather_empty": lambda m, t: m.gather(t(E.T), 1, t(np.zeros((3, 0), dtype=np.int64))),
    "index_select_empty": lambda m, t: m.index_select(t(E.T), 0, t(np.zeros(0, dtype=np.int64))),
    "unique_empty": lambda m, t: m.unique(t(E1)),
    "nonzero_empty": lambda m, t: m.nonzero(t(E)),
    "nonzero_0d": lambda m, t: m.nonzero(t(Z)),
    "norm_empty": lambda m, t: m.norm(t(E)),
    "norm_empty_dim": lambda m, t: m.norm(t(E), dim=0),
    "repeat_zero": lambda m, t: t(np.ones((2, 3))).repeat(0, 2),
    "flip_empty": lambda m, t: m.flip(t(E), (0,)),
    "roll_empty": lambda m, t: m.roll(t(E), 1, 0),
    "tril_empty": lambda m, t: m.tril(t(E)),
    "diag_empty": lambda m, t: m.diag(t(E1)),
    "trace_empty": lambda m, t: m.trace(t(E)),
    "outer_empty": lambda m, t: m.outer(t(E1), t(np.ones(2))),
    "mm_empty": lambda m, t: m.mm(t(E), t(np.ones((3, 2)))),
    "mm_k0": lambda m, t: m.mm(t(E.T), t(E)),
    "dot_empty": lambda m, t: m.dot(t(E1), t(E1)),
    "bincount_empty": lambda m, t: m.bincount(t(np.zeros(0, dtype=np.int64))),
    "histc_empty": lambda m, t: m.histc(t(E1), 3),
    "all_empty": lambda m, t: m.all(t(E)),
    "any_empty_dim": lambda m, t: m.any(t(E), 1),
    "count_nonzero_0d": lambda m, t: m.count_nonzero(t(Z)),
    "diff_short": lambda m, t: m.diff(t(np.ones(1))),
    "var_mean_0d": lambda m, t: m.var_mean(t(Z)),
    "cdist_empty": lambda m, t: m.cdist(t(E), t(np.ones((2, 3)))),
    "kron_0d": lambda m, t: m.kron(t(Z), t(np.ones(2))),
    "msort_0d": lambda m, t: m.msort(t(np.array([3.0, 1, 2]))),
    "median_0d": lambda m, t: m.median(t(Z)),
    "mode_0d": lambda m, t: m.mode(t(Z)),
    "kthvalue_0d": lambda m, t: m.kthvalue(t(Z), 1),
    "searchsorted_empty": lambda m, t: m.searchsorted(t(E1), t(np.ones(2))),
    "take_empty": lambda m, t: m.take(t(np.ones(3)), t(np.zeros(0, dtype=np.int64))),
    "masked_select_none": lambda m, t: m.masked_select(t(np.ones(3)), t(np.zeros(3, bool))),
    "scatter_add_empty": lambda m, t: m.scatter_add(
        t(np.ones((2, 2))), 0, t(np.zeros((0, 2), dtype=np.int64)), t(np.ones((0, 2)))
    ),
    "quantile_0d": lambda m, t: m.quantile(t(Z), 0.5),
    "cov_single": lambda m, t: m.cov(t(np.ones((2, 1)))),
    "atleast_2d_0d": lambda m, t: m.atleast_2d(t(Z)),
    "cartesian_one": lambda m, t: m.cartesian_prod(t(np.ones(2))),
    "meshgrid_empty": lambda m, t: m.meshgrid(t(E1), t(np.ones(2)), indexing="ij"),
    "nansum_int": lambda m, t: m.nansum(t(np.array([1, 2]))),
    "nanmean_allnan": lambda m, t: m.nanmean(t(np.array([np.nan]))),
    "tensordot_0": lambda m, t: m.tensordot(t(np.ones(2)), t(np.ones(3)), 0),
    "renorm_zero": lambda m, t: m.renorm(t(np.zeros((2, 2))), 2, 0, 1.0),
    "unique_consecutive_empty": lambda m, t: m.unique_consecutive(t(E1)),
    "repeat_interleave_0": lambda m, t: m.repeat_interleave(t(np.ones(2)), 0),
}


def _host(o):
    if isinstance(o, tuple | list):
        return [_host(x) for x in o]
    if isinstance(o, torch.Tensor):
        return np.asarray(o.detach().numpy()), str(o.dtype).replace("torch.", "")
    if isinstance(o, ag.Tensor):
        return o.numpy(), str(o.dtype)
    return np.asarray(o), None


def _assert_same(ours, theirs, name):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            _assert_same(a, b, name)
        return
    (oa, od), (ta, td) = ours, theirs
    assert oa.shape == ta.shape, f"{name}: shape {oa.shape} != torch's {ta.shape}"
    if od is not None and td is not None:
        assert od == td, f"{name}: dtype {od} != torch's {td}"
    np.testing.assert_allclose(
        oa.astype(float), ta.astype(float), rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=name
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(cases))
def test_matches_torch(name):
    f = cases[name]
    _assert_same(_host(f(ag, ag.tensor)), _host(f(torch, torch.tensor)), name)
