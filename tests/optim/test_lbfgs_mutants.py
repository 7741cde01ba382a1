"""Tests against the surviving mutants of ``optim/lbfgs.py`` (issue 18, mutation testing).

Before these, L-BFGS was checked by four short runs against PyTorch and one quadratic:
most of the strong-Wolfe line search's branches (the zoom, the bracket updates, the
evaluation budget) and the stopping rules were never reached. Here:

- ``_cubic_interpolate`` against an independent NumPy reference (the Hermite cubic's
  minimiser from the roots of its derivative), no torch;
- ``_strong_wolfe`` called directly on many one-line searches (functions with several
  minima, steps from 1e-4 to 60, strict c1/c2, small budgets) against PyTorch's own
  ``torch.optim.lbfgs._strong_wolfe`` (under ``importorskip``), plus the strong Wolfe
  conditions themselves checked without torch;
- whole ``step`` calls hitting each stopping rule, compared with ``torch.optim.LBFGS``
  state by state (``func_evals``, ``n_iter``, ``t``, ``H_diag``, ``prev_loss``, ``d``).

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``optim/others`` package of ``benchmarks/mutation.py``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import optim
from optim.lbfgs import _cubic_interpolate, _strong_wolfe

try:
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:
    emulated_cuda = None


def _cubic_reference(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic with values f1, f2 and slopes g1, g2 at x1, x2 (NumPy
    roots of its derivative), clipped to ``bounds`` or [min(x1, x2), max(x1, x2)]; the
    bounds' midpoint when the derivative has no real root."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    # p(x) = a + b u + c u^2 + e u^3 with u = x - x1, h = x2 - x1
    h = x2 - x1
    b, a = g1, f1
    m = np.array([[h ** 2, h ** 3], [2 * h, 3 * h ** 2]])
    c, e = np.linalg.solve(m, [f2 - a - b * h, g2 - b])
    roots = np.roots([3 * e, 2 * c, b])
    real = [r.real for r in roots if abs(r.imag) < 1e-12]
    minima = [r for r in real if 6 * e * r + 2 * c > 0]
    if not minima:
        return (lo + hi) / 2.0
    return min(max(x1 + minima[0], lo), hi)


CUBICS = [
    # x1, f1, g1, x2, f2, g2, bounds
    (0.0, 1.0, -2.0, 1.0, 0.5, 1.5, None),
    (1.0, 0.5, 1.5, 0.0, 1.0, -2.0, None),  # the same cubic, points swapped (x1 > x2)
    (0.5, 2.0, -3.0, 2.5, 1.0, 0.25, None),
    (2.5, 1.0, 0.25, 0.5, 2.0, -3.0, None),
    (0.0, 0.0, -1.0, 0.4, -0.1, -0.2, (0.41, 4.0)),  # clipped to the lower bound
    (0.0, 0.0, -1.0, 0.4, -0.3, -0.9, (0.404, 4.0)),  # minimiser beyond max_step: clipped
    (0.0, 0.0, -1.0, 1.0, 0.0, -1.0, (0.0, 3.0)),  # no real minimiser: the midpoint 1.5
    (1.0, 0.0, -1.0, 3.0, 0.0, -1.0, None),  # no real minimiser, no bounds: 2.0
]


@pytest.mark.parametrize("case", CUBICS)
def test_cubic_interpolate_is_the_cubics_minimiser(case):
    """Kills the arithmetic mutants of both branches of ``_cubic_interpolate`` (``x2 + x1``,
    ``/ 2.0`` -> ``* 2.0``/``/ 3.0``, ``3 * d2``, ``g1 + g2``, ...), ``bounds`` unpacked
    wrongly (``= None``) and the ``x1 <= x2`` orderings."""
    *args, bounds = case
    assert _cubic_interpolate(*args, bounds=bounds) == pytest.approx(
        _cubic_reference(*args, bounds), rel=1e-12, abs=1e-14)


def test_cubic_interpolate_with_a_double_root():
    """d1**2 == g1*g2 exactly: d2 = 0 is still a real root, and the formula's point (1/3)
    is used, not the midpoint. Kills ``d2_square > 0``."""
    assert _cubic_interpolate(0.0, 0.0, 1.0, 1.0, 1.0, 4.0) == pytest.approx(1 / 3, rel=1e-15)
    assert _cubic_interpolate(1.0, 1.0, 4.0, 0.0, 0.0, 1.0) == pytest.approx(1 / 3, rel=1e-15)


def test_cubic_interpolate_equal_points_order():
    """x1 == x2 ordering with bounds given: both orders of ``(x1, x2) if x1 <= x2`` give
    the same bounds there; with x1 > x2 and no bounds the interval is [x2, x1]. Kills
    ``(x1 <= x2) or True`` (its bounds would be (x1, x2) reversed: the result clipped to
    x2, below the minimiser)."""
    got = _cubic_interpolate(2.0, 1.0, 1.0, 0.0, 1.0, -1.0)
    assert 0.0 < got < 2.0
    assert got == pytest.approx(_cubic_reference(2.0, 1.0, 1.0, 0.0, 1.0, -1.0), rel=1e-12)


# --- the line search -------------------------------------------------------------------
def _fun(kind, lib, z):
    if kind == "quartic":
        return (z ** 4 * 0.25 - z ** 2 + 0.3 * z).sum()
    if kind == "wavy":
        return (lib.sin(3 * z) + 0.1 * z ** 2).sum()
    if kind == "rosen":
        return ((1 - z[:-1]) ** 2 + 10 * (z[1:] - z[:-1] ** 2) ** 2).sum()
    return (lib.exp(0.5 * z) - z).sum()  # "exp": convex, one minimum


def _np_value_and_grad(kind, z):
    t = ag.tensor(z, requires_grad=True)
    f = _fun(kind, ag, t)
    f.backward()
    return float(f), t.grad.numpy()


def _search_setup(kind, seed, n=4):
    r = np.random.default_rng(seed)
    x = r.uniform(-1.5, 1.5, n)
    f, g = _np_value_and_grad(kind, x)
    d = r.standard_normal(n)
    if g @ d > 0:
        d = -d
    return x, f, g, d


SEARCHES = [(kind, seed, t, opts)
            for kind in ("quartic", "wavy", "rosen", "exp")
            for seed in (0, 1)
            for t in (1e-4, 0.05, 1.0, 7.0, 60.0)
            for opts in ({}, {"c1": 0.3, "c2": 0.4}, {"max_ls": 3},
                         {"tolerance_change": 1e-2})]


@pytest.mark.parametrize("kind,seed,t,opts", SEARCHES)
def test_strong_wolfe_equals_pytorchs(kind, seed, t, opts):
    """The same search as PyTorch's ``_strong_wolfe``: loss, gradient, step and number of
    evaluations. Kills the mutants of the bracketing and zoom phases (the conditions'
    operators, ``ls_iter`` start and limits, the interpolation's arguments and bounds
    ``min_step``/``max_step``, the bracket updates and ``low_pos``/``high_pos``, the
    ``insuf_progress`` logic, ``eps = 0.1 * ...``) and the defaults ``c1``, ``c2``,
    ``max_ls``."""
    torch = pytest.importorskip("torch")
    from torch.optim.lbfgs import _strong_wolfe as torch_strong_wolfe

    # one dimension ("rosen" two): both searches get the same function values (ours) and
    # every slope is one product; what differs is PyTorch's 0-d tensor arithmetic in the
    # interpolation (a few ulps)
    x, f, g, d = _search_setup(kind, seed, 2 if kind == "rosen" else 1)
    if kind == "rosen":
        d[1] = 0.0  # a slope is then one product too
    gtd = float(g @ d)

    def ours(x0, step, direction):
        return _np_value_and_grad(kind, x0 + step * direction)

    def theirs(x0, step, direction):
        f_at, g_at = _np_value_and_grad(kind, x0.numpy() + float(step) * direction.numpy())
        return f_at, torch.tensor(g_at)

    f1, g1, t1, n1 = _strong_wolfe(ours, x, t, d, f, g, gtd, **opts)
    tx, td, tg = torch.tensor(x), torch.tensor(d), torch.tensor(g)
    f2, g2, t2, n2 = torch_strong_wolfe(theirs, tx, t, td, f, tg,
                                        torch.tensor(gtd, dtype=torch.float64), **opts)
    assert n1 == n2
    assert float(t1) == pytest.approx(float(t2), rel=1e-9)
    assert float(f1) == pytest.approx(float(f2), rel=1e-9, abs=1e-14)
    np.testing.assert_allclose(g1, g2.numpy(), rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("kind", ["quartic", "wavy", "exp"])
@pytest.mark.parametrize("t", [0.05, 1.0, 7.0])
def test_strong_wolfe_finds_a_strong_wolfe_point(kind, t):
    """Without torch: the point returned satisfies sufficient decrease and the strong
    curvature condition, the gradient returned is the gradient there, and the search does
    not change the caller's gradient. Kills, among others, ``g = None``, the conditions'
    sign mutants (``f - c1 * t * gtd``) and ``done = None``/``True`` variants."""
    x, f, g, d = _search_setup(kind, 5)
    g_before = g.copy()
    gtd = float(g @ d)
    f_new, g_new, step, evals = _strong_wolfe(
        lambda x0, s, dd: _np_value_and_grad(kind, x0 + s * dd), x, t, d, f, g, gtd)
    assert f_new <= f + 1e-4 * step * gtd
    assert abs(float(g_new @ d)) <= -0.9 * gtd
    f_at, g_at = _np_value_and_grad(kind, x + step * d)
    assert f_new == f_at
    np.testing.assert_array_equal(g_new, g_at)
    np.testing.assert_array_equal(g, g_before)
    assert 1 <= evals <= 25


# --- whole steps -------------------------------------------------------------------------
def _rosen_run(lib, kwargs, steps=2, start=(-1.2, 1.0, -0.5, 0.8, 0.3)):
    """LBFGS over a Rosenbrock function split across three parameters of sizes 2, 1, 2 (so
    the flat vector's offsets matter), ``steps`` calls of ``step``."""
    if lib == "torch":
        import torch
        ps = [torch.tensor(np.array(start[i:j]), requires_grad=True)
              for i, j in ((0, 2), (2, 3), (3, 5))]
        opt = torch.optim.LBFGS(ps, **kwargs)
        cat = torch.cat
    else:
        ps = [ag.tensor(np.array(start[i:j]), requires_grad=True)
              for i, j in ((0, 2), (2, 3), (3, 5))]
        opt = optim.LBFGS(ps, **kwargs)
        cat = ag.cat

    def closure():
        opt.zero_grad()
        z = cat(ps)
        loss = ((1 - z[:-1]) ** 2 + 10 * (z[1:] - z[:-1] ** 2) ** 2).sum()
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    state = opt.state[ps[0]]
    flat = np.concatenate([np.asarray(p.detach().numpy()) for p in ps])
    summary = {k: state.get(k) for k in ("func_evals", "n_iter", "t", "H_diag", "prev_loss")}
    d = state.get("d")
    return flat, losses, summary, (None if d is None else np.asarray(
        d.numpy() if hasattr(d, "numpy") else d)), len(state.get("old_dirs") or [])


RUNS = [
    dict(),
    dict(lr=0.1, max_iter=5),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=30),
    dict(line_search_fn="strong_wolfe", max_eval=4),
    dict(line_search_fn="strong_wolfe", max_iter=6, max_eval=9),
    dict(tolerance_grad=1e-1, max_iter=60, line_search_fn="strong_wolfe"),
    dict(tolerance_grad=0.5, max_iter=60, lr=0.5),
    dict(tolerance_change=1e-3, max_iter=60),
    dict(tolerance_change=1e-2, max_iter=60, line_search_fn="strong_wolfe"),
    dict(tolerance_grad=100.0),
    dict(history_size=1, max_iter=40, line_search_fn="strong_wolfe"),
    dict(max_iter=3, max_eval=2),
    dict(line_search_fn="strong_wolfe", lr=1e4, max_eval=6),  # a long zoom cut short
    dict(line_search_fn="strong_wolfe", lr=300.0, max_iter=4),
]


@pytest.mark.parametrize("kwargs", RUNS)
def test_lbfgs_steps_equal_pytorchs(kwargs):
    """Two ``step`` calls from the same start, every stopping rule reached by one of the
    cases: parameters, returned losses and the state equal PyTorch's. Kills ``_step``'s
    mutants (the tolerance comparisons ``<``/``<=``, ``n_iter <= max_iter``, the state
    keys ``prev_loss``, ``max_ls=max_eval - current_evals`` dropped or ``+``, ``current_evals
    = ``/``-=``, the stopping rule's ``or``/``and`` and ``>``, ``d / t``, ``break`` ->
    ``return``), ``_add_grad``'s ``offset = n`` (three parameters) and the default
    ``max_eval`` (``* 6 // 4``, ``/ 4``)."""
    pytest.importorskip("torch")
    ours, theirs = _rosen_run("ag", kwargs), _rosen_run("torch", kwargs)
    # long runs amplify PyTorch's different rounding (0-d tensors) up to ~1e-7
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-8)
    for k in ("func_evals", "n_iter"):
        assert ours[2][k] == theirs[2][k], k
    for k in ("t", "H_diag", "prev_loss"):
        a, b = ours[2][k], theirs[2][k]
        if a is None or b is None:
            assert a is None and b is None, k
        else:
            assert float(a) == pytest.approx(float(b), rel=1e-6), k
    if ours[3] is None:
        assert theirs[3] is None
    else:
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6, atol=1e-12)
    assert ours[4] == theirs[4]


def test_first_step_length_is_capped_at_lr():
    """On the first iteration the step is ``min(1, 1/sum|g|) * lr``: with a small gradient
    (sum |g| = 0.5) it is ``lr``, not 2 * lr. No torch. Kills ``min(2.0, ...)``."""
    x = ag.tensor(np.array([0.25, -0.25]), requires_grad=True)
    opt = optim.LBFGS([x], lr=1.0, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum() * 0.5  # gradient x: sum |g| = 0.5
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.numpy(), [0.0, 0.0], atol=1e-15)  # x - 1.0 * x
    assert opt.state[x]["t"] == 1.0


def test_a_parameter_without_gradient_and_float32():
    """A float32 parameter the loss does not use gets zeros in the flat gradient, in its own
    dtype, and does not move; the used one does. No torch. Kills ``_gather_flat_grad``'s
    ``(p.grad is None) and False``, ``zeros(None, ...)``, ``zeros(size, None)`` (a float64
    flat vector) and ``zeros(dtype)``."""
    a = ag.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    unused = ag.tensor(np.array([5.0, 6.0, 7.0], np.float32), requires_grad=True)
    opt = optim.LBFGS([a, unused], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = (a ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert opt.state[a]["d"].dtype == np.float32
    assert opt.state[a]["d"].shape == (5,)
    np.testing.assert_array_equal(opt.state[a]["d"][2:], 0)
    np.testing.assert_array_equal(unused.numpy(), [5.0, 6.0, 7.0])
    assert abs(a.numpy()).max() < 1.0


def test_constructor_checks_and_messages():
    """No torch. Kills ``0.0 < lr`` (lr = 0 is allowed), the messages' mutants (``None``,
    ``XX...XX``, lower case), the device set built from ``str(None)``, and the defaults
    ``history_size`` and ``max_eval`` (``max_iter * 5 // 4``)."""
    x = ag.tensor(np.zeros(3), requires_grad=True)
    assert optim.LBFGS([x], lr=0.0).defaults["lr"] == 0.0
    with pytest.raises(ValueError, match=r"^LBFGS: invalid learning rate -0\.5 \(must be >= 0\)$"):
        optim.LBFGS([x], lr=-0.5)
    d = optim.LBFGS([x], max_iter=7).defaults
    assert d["history_size"] == 100 and d["max_eval"] == 8 and type(d["max_eval"]) is int
    y = ag.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError, match=re.escape(
            "LBFGS doesn't support per-parameter options (parameter groups)") + "$"):
        optim.LBFGS([{"params": [x]}, {"params": [y], "lr": 0.1}])
    with pytest.raises(RuntimeError, match="^" + re.escape(
            "LBFGS.step needs a closure that re-evaluates the model and returns the loss")
            + "$"):
        optim.LBFGS([x]).step(None)


def test_two_devices_are_refused(request):
    """Parameters on two devices (the CPU and the emulated CUDA device of
    tests/backends/test_cupy_backend.py): refused, both named. Kills ``{str(None) ...}``
    and ``ValueError(None)``."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    device = request.getfixturevalue("emulated_cuda")
    x = ag.tensor(np.zeros(2), requires_grad=True)
    y = ag.tensor(np.zeros(2), device=device, requires_grad=True)
    with pytest.raises(ValueError, match=r"^LBFGS: all parameters must be on one device, "
                                         r"got \{.*cpu.*\}$") as err:
        optim.LBFGS([x, y])
    assert str(device) in str(err.value)


def test_line_search_evaluation_versions_name_the_step():
    """A graph saved before a line-search evaluation refuses backward with a message naming
    ``LBFGS.step`` (the version bump of ``_directional_evaluate`` restoring the
    parameters). No torch. Kills ``increment_version(p, by=None)``/no ``by``/renamed."""
    w = ag.tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt = optim.LBFGS([w], max_iter=1, line_search_fn="strong_wolfe")
    kept = []

    def closure():
        opt.zero_grad()
        loss = (w ** 4).sum()
        kept.append(loss)
        loss.backward(retain_graph=True)
        return loss

    opt.step(closure)
    assert len(kept) >= 2
    with pytest.raises(ag.BackwardError, match=r"to version \d+ by LBFGS\.step\. Clone"):
        kept[1].backward()


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_gradient_exactly_at_tolerance_grad(line_search_fn):
    """max |g| == tolerance_grad counts as optimal (``<=``), on the first evaluation and
    after a step. f = x^2 / 2 from x = 2: the first gradient is 2 (tolerance 2: no step);
    with tolerance 1, one step of length 1/2 (both with and without the line search, whose
    first trial satisfies the strong Wolfe conditions) lands on x = 1, gradient 1: stop.
    No torch. Kills ``<`` in the three tolerance_grad tests of ``_step``."""
    for tol, x_after, evals in ((2.0, 2.0, 1), (1.0, 1.0, 2)):
        x = ag.tensor(np.array([2.0]), requires_grad=True)
        opt = optim.LBFGS([x], tolerance_grad=tol, line_search_fn=line_search_fn)

        def closure(x=x, opt=opt):
            opt.zero_grad()
            loss = (x * x).sum() * 0.5
            loss.backward()
            return loss

        assert float(opt.step(closure)) == 2.0
        assert x.numpy().tolist() == [x_after]
        assert opt.state[x]["func_evals"] == evals
        assert opt.state[x]["n_iter"] == evals - 1


def test_step_length_rule_and_the_returned_loss():
    """The stopping rule ``max |d t| <= tolerance_change`` (exactly equal here: d = -2,
    t = 0.05, tolerance 0.1) ends ``step`` after one iteration, which still returns the
    first loss and stores the state. No torch. Kills ``d / t``, ``<`` and ``break`` ->
    ``return`` (None returned, no state kept)."""
    x = ag.tensor(np.array([2.0]), requires_grad=True)
    opt = optim.LBFGS([x], lr=0.1, tolerance_change=0.1)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum() * 0.5
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 2.0
    state = opt.state[x]
    assert state["n_iter"] == 1 and state["t"] == 0.05 and state["prev_loss"] == 2.0
    np.testing.assert_array_equal(state["d"], [-2.0])
    np.testing.assert_allclose(x.numpy(), [1.9], rtol=1e-15)


def test_a_rejected_curvature_pair_keeps_the_unit_scaling():
    """A linear loss: y = 0, so the first (s, y) pair fails the curvature test and the
    second direction is ``-g * H_diag`` with the initial H_diag = 1. No torch. Kills
    ``H_diag = 2.0``."""
    x = ag.tensor(np.array([0.0, 0.0]), requires_grad=True)
    c = ag.tensor(np.array([0.25, -0.5]))
    opt = optim.LBFGS([x], lr=1.0, max_iter=2, max_eval=10)

    def closure():
        opt.zero_grad()
        loss = (x * c).sum()
        loss.backward()
        return loss

    opt.step(closure)
    # step 1: t = min(1, 1/0.75) = 1, x = -c; step 2: t = lr = 1, d = -c: x = -2c
    np.testing.assert_array_equal(x.numpy(), [-0.5, 1.0])
    assert opt.state[x]["H_diag"] == 1.0 and opt.state[x]["old_dirs"] == []


def test_state_kept_by_a_call_without_iterations():
    """``max_iter = 0``: the call evaluates once and keeps the earlier state, including
    ``prev_loss``. No torch. Kills the ``state.get("prev_loss")`` key mutants."""
    x = ag.tensor(np.array([2.0, -1.0]), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = (x ** 4).sum()
        loss.backward()
        return loss

    opt.step(closure)
    before = opt.state[x]["prev_loss"]
    assert before is not None
    opt.param_groups[0]["max_iter"] = 0
    opt.step(closure)
    assert opt.state[x]["prev_loss"] == before
