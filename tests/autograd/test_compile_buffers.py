"""ag.compile: planned buffers (no allocation per replayed step on the CPU), flat memory,
and optimizers / lr schedulers / BatchNorm inside compiled steps."""

import gc
import os

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from tests.autograd.numpy_alloc import counting


def _mlp_step(returns_loss, opt_cls=optim.Adam, **opt_kw):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = opt_cls(model.parameters(), lr=1e-3, **opt_kw)

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss if returns_loss else None

    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, 32))
    return ag.compile(step), x, y, model, opt


def _allocations_per_op(program, tensors):
    """Run the replay once with a counter read after each line: {line: allocations}."""
    src = program._fn.source.split("\n")
    body, ret = [], []
    for ln in src[1:]:
        if ln.strip().startswith("return"):
            ret.append(ln)
            continue
        body.append(ln)
        body.append(f"    _n.append(({ln.strip()!r}, _c.calls))")
    code = "\n".join([src[0], "    _c = _counter[0]; _n.append(('start', _c.calls))"] + body + ret)
    ns = dict(program._fn.__globals__)
    ns["_n"], ns["_counter"] = [], []
    exec(code, ns)  # noqa: S102
    with counting() as c:
        ns["_counter"].append(c)
        ns["_replay"](tensors)
    marks = ns["_n"]
    return {line: n - marks[i][1] for i, (line, n) in enumerate(marks[1:]) if n - marks[i][1]}


def test_replayed_mlp_adam_step_allocates_no_array():
    """A replayed 64-32-10 MLP step with cross entropy and Adam allocates no array data:
    forward, backward, the loss, the gradients and the Adam update all write into buffers
    planned once (counted through NumPy's memory handler, per line of the replay).
    Returning the loss adds one copy (the next call overwrites its buffer)."""
    f, x, y, model, _ = _mlp_step(returns_loss=False)
    for _ in range(3):
        f(x, y)
    program = next(iter(f.programs.values()))
    assert program.plan is not None and program.plan.forms >= 14
    assert all(op.form is not None or op.name == "Optimizer.zero_grad"
               for op in program.ops), [op.name for op in program.ops if op.form is None]
    assert _allocations_per_op(program, [x, y]) == {}
    with counting() as c:
        f(x, y)
    assert c.calls == 0
    # the counter does count: the same step uncompiled allocates
    with counting() as c:
        f.fn(x, y)
    assert c.calls > 20

    g, x, y, _, _ = _mlp_step(returns_loss=True)
    for _ in range(3):
        g(x, y)
    with counting() as c:
        loss = g(x, y)
    assert c.calls == 1  # the returned loss is a copy
    assert loss.shape == ()


@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.1), dict(maximize=True),
                                dict(weight_decay=0.1, decoupled_weight_decay=True)])
def test_adam_form_bit_identical_and_falls_back(kw):
    """The Adam form against the optimizer's own step: Adam, L2 decay, maximize, AdamW;
    AMSGrad switched on after 4 steps runs the optimizer's own step (the form declines)."""
    def run(compiled):
        f, x, y, model, opt = _mlp_step(returns_loss=True, **kw)
        step = f if compiled else f.fn
        losses = []
        for i in range(8):
            if i == 4:
                opt.param_groups[0]["amsgrad"] = True
            losses.append(step(x, y).numpy().copy())
        states = [np.asarray(v.array).copy() for st in opt.state.values() for v in st.values()]
        return losses + [p.array.copy() for p in model.parameters()] + states

    for a, b in zip(run(False), run(True)):
        assert a.tobytes() == b.tobytes()


def test_replayed_mlp_sgd_step_allocates_nothing_but_the_sgd_update():
    """SGD without momentum: the only allocation is the update's ``lr * grad``."""
    f, x, y, model, _ = _mlp_step(returns_loss=False, opt_cls=optim.SGD)
    for _ in range(3):
        f(x, y)
    per_op = _allocations_per_op(next(iter(f.programs.values())), [x, y])
    assert list(per_op) and all(line.startswith("r = ") for line in per_op), per_op
    assert len(per_op) == 1


def test_buffers_are_shared_by_intermediates_that_do_not_overlap():
    f, x, y, _, _ = _mlp_step(returns_loss=False)
    for _ in range(3):
        f(x, y)
    plan = next(iter(f.programs.values())).plan
    planned = len(plan.slot_name)
    assert len(plan.buffers) < planned  # some buffers hold several intermediates


def test_a_kept_result_is_not_overwritten_by_the_next_call():
    w = ag.ones(3, requires_grad=True)
    f = ag.compile(lambda x: (x * w).sum())
    outs = [f(ag.full((3,), float(i))) for i in range(5)]
    assert [float(o) for o in outs] == [0.0, 3.0, 6.0, 9.0, 12.0]


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_rss_flat_over_1000_compiled_steps():
    f, x, y, _, _ = _mlp_step(returns_loss=True)
    for _ in range(100):
        f(x, y)
    gc.collect()
    before = _rss_mb()
    for _ in range(1000):
        f(x, y)
    gc.collect()
    assert _rss_mb() - before < 5.0


def test_lr_scheduler_between_calls_is_read_by_the_replay():
    def run(compiled):
        f, x, y, model, opt = _mlp_step(returns_loss=True)
        step = f if compiled else f.fn
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
        losses = []
        for _ in range(8):
            losses.append(step(x, y).numpy().copy())
            sched.step()
        return losses, [p.array.copy() for p in model.parameters()], opt

    (l0, p0, _), (l1, p1, opt) = run(False), run(True)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.1 ** 4)
    for a, b in zip(l0 + p0, l1 + p1):
        assert a.tobytes() == b.tobytes()
    # the lr did change the trajectory: without the scheduler the parameters differ
    f, x, y, model, _ = _mlp_step(returns_loss=True)
    for _ in range(8):
        f(x, y)
    assert any(a.tobytes() != b.array.tobytes() for a, b in zip(p1, model.parameters()))


def test_lr_scheduler_inside_the_compiled_step_is_refused():
    f, x, y, model, opt = _mlp_step(returns_loss=True)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    @ag.compile
    def step(x, y):
        loss = f.fn(x, y)
        sched.step()
        return loss

    with pytest.raises(ag.CompileError, match=r"StepLR.step\(\) inside .*outside the "
                                              "compiled function"):
        step(x, y)
    sched.step()  # the guard is gone after the recording
    assert opt.param_groups[0]["lr"] == pytest.approx(5e-4)


def test_lbfgs_inside_the_compiled_step_is_refused():
    lin = nn.Linear(3, 1)
    opt = optim.LBFGS(lin.parameters())
    x = ag.randn(4, 3)

    def closure():
        opt.zero_grad()
        loss = lin(x).pow(2).mean()
        loss.backward()
        return loss

    @ag.compile
    def step():
        return opt.step(closure)

    with pytest.raises(ag.CompileError, match=r"LBFGS.step\(\) .* not replayable.*compile "
                                              "the closure"):
        step()
    compiled_closure = ag.compile(closure)  # what works: the closure compiled
    for _ in range(3):
        opt.step(compiled_closure)
    assert "step" not in vars(opt)


def test_batchnorm_cumulative_average_compiles_bit_for_bit():
    """``momentum=None`` (cumulative moving average, factor 1/num_batches_tracked): the
    factor is made in a replayable step from the count, so 100 compiled training steps
    give the same parameters, running statistics, count and losses as 100 uncompiled
    ones, bit for bit (a replay that kept the recorded factor would drift from step 3)."""
    def run(compiled):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8, momentum=None), nn.ReLU(),
                              nn.Linear(8, 3))
        opt = optim.SGD(model.parameters(), lr=0.05)

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        f = ag.compile(step) if compiled else step
        rng = np.random.default_rng(3)
        losses = []
        for i in range(100):
            x = ag.tensor(rng.standard_normal((16, 6)).astype(np.float32) + i % 5)
            y = ag.tensor(rng.integers(0, 3, 16))
            losses.append(f(x, y).numpy())
        if compiled:
            assert next(iter(f.programs.values())).replays == 98
        return losses, {k: v.numpy().copy() for k, v in model.state_dict().items()}

    (l0, s0), (l1, s1) = run(False), run(True)
    np.testing.assert_array_equal(np.array(l0), np.array(l1))
    assert s0.keys() == s1.keys() and int(s1["1.num_batches_tracked"]) == 100
    for k in s0:
        np.testing.assert_array_equal(s0[k], s1[k], err_msg=k)
    # the cumulative average itself, uncompiled: PyTorch's factor 1/n (a double)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [np.random.default_rng(i).standard_normal((5, 2)) for i in range(3)]
    for b in batches:
        bn(ag.tensor(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches],
                                                                axis=0), rtol=1e-12)


def _halve_arrays(x, out=None):
    """The one formula of ``_Halve``: its forward and its out-form both call it."""
    return np.multiply(x, np.float32(0.5), out=out)


class _Halve(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return _halve_arrays(x)

    @staticmethod
    def backward(ctx, g):
        return _Halve.apply(g)


def test_register_out_form_is_the_public_way_to_give_an_op_a_form():
    """A Function defined outside autograd gets an out-form through
    ``autograd.extend.register_out_form``: the replay runs it into a planned buffer
    (no allocation on its line), bit for bit; a name instead of the class is refused."""
    from autograd import compile_forms
    from autograd.extend import OutForm, register_out_form

    seen = []

    @register_out_form(_Halve)
    def _halve_form(site):
        seen.append(tuple(a.shape for a in site.outs))
        if not site.contiguous(site.args[0]) or site.args[0].dtype != np.float32:
            return None
        return OutForm(_halve_arrays, (0,))

    try:
        def run(compiled):
            w = ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)

            def step(x):
                y = _Halve.apply(x * w).sum()
                y.backward()
                return y

            f = ag.compile(step) if compiled else step
            x = ag.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
            ys = [f(x).numpy() for _ in range(4)]
            return f, x, ys, w.grad.numpy()

        f, x, ys, grad = run(True)
        program = next(iter(f.programs.values()))
        assert program.replays == 2
        names = [op.name for op in program.ops if op.form is not None]
        # the forward's; the backward's input is a broadcast view: declined, it replays
        # its forward (the factory saw both calls)
        assert names.count("_Halve") == 1 and len(seen) >= 2
        assert not any("_Halve" in line for line in _allocations_per_op(program, [x]))
        _, _, ys0, grad0 = run(False)
        np.testing.assert_array_equal(np.array(ys), np.array(ys0))
        np.testing.assert_array_equal(grad, grad0)
    finally:
        compile_forms._BY_KEY.pop(_Halve, None)
    with pytest.raises(TypeError, match="not their names"):
        register_out_form("nn.functional.linear.Linear")


def test_an_arguments_grad_is_its_own_and_a_parameters_keeps_the_buffer():
    """The program keeps one .grad buffer for the leaf it recorded (a parameter, reused
    every call); a new argument that requires grad gets an array of its own, so the
    .grad of an earlier call's argument does not change on the next call."""
    w = ag.ones(3, requires_grad=True)

    @ag.compile
    def f(x):
        (x * x * w).sum().backward()

    xs = [ag.randn(3, requires_grad=True) for _ in range(5)]
    held = []
    for x in xs:
        w.grad = None
        f(x)
        held.append(w.grad.array)
    for x in xs:
        np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy())
    assert held[-1] is held[-2]  # replays reuse the parameter's buffer
