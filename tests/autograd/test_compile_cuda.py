"""ag.compile on CuPy: the program cut into pieces, runs of kernels captured as CUDA
graphs, the replayable steps eager. No GPU here: the real CupyBackend on the emulated
CuPy of tests/backends/test_cupy_backend.py, with an emulated capture whose "graph"
replays the captured call on the arrays it was captured with and writes into the arrays
it returned then (a real graph reads and writes the addresses it saw); so a missing copy
into the static inputs, or an output read from anywhere but the captured arrays, gives
wrong numbers here too."""

import numpy as np
import pytest

import autograd as ag
import autograd.compile_cuda as cc
import nn
import nn.functional as F
import optim

try:
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:
    emulated_cuda = None

pytestmark = pytest.mark.skipif(emulated_cuda is None, reason="no emulated GPU harness")


class FakeGraphs:
    def __init__(self, fail=False):
        self.fail, self.captured, self.launched, self.pools = fail, 0, 0, []

    def private_pool(self):
        pool = object()
        self.pools.append(pool)
        return pool

    def capture(self, fn, pool, prepare):
        prepare()
        fn()  # the warm-up
        if self.fail:
            raise RuntimeError("operation not permitted when stream is capturing")
        out = fn()
        self.captured += 1
        return (fn, out), out

    def launch(self, graph):
        fn, out = graph
        new = fn()
        for s, a in out.items():
            if s != "tensors" and hasattr(a, "shape") and a is not new[s]:
                a[...] = new[s]
        self.launched += 1


def _run(device, compiled, steps=8, replace_at=None, graphs=None):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(12, 5)).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    data = [(ag.tensor(rng.standard_normal((6, 16)).astype(np.float32), device=device),
             ag.tensor(rng.integers(0, 5, 6), device=device)) for _ in range(3)]

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    f = ag.compile(step) if compiled else step
    ag.manual_seed(1)
    losses = []
    for i in range(steps):
        if i == replace_at:  # a parameter's array replaced (as .to() or a load may)
            w = model[0].weight
            w.array = w.array.copy()
        losses.append(f(*data[i % 3]).cpu().numpy().copy())
    return losses + [p.cpu().numpy().copy() for p in model.parameters()], f


@pytest.fixture
def fake(monkeypatch):
    graphs = FakeGraphs()
    monkeypatch.setattr(cc, "graphs_for", lambda device: graphs)
    return graphs


def test_graph_replay_matches_uncompiled(request, fake):
    device = request.getfixturevalue("emulated_cuda")
    want, _ = _run(device, False)
    got, f = _run(device, True)
    for a, b in zip(want, got):
        assert a.tobytes() == b.tobytes()
    program = next(iter(f.programs.values()))
    segs = program.graphs.segments
    eager = [s for s in segs if s.eager]
    assert eager and any(not s.eager for s in segs)
    assert fake.captured >= 2 and fake.launched >= 2  # forward and backward pieces
    assert all(s.fallback is None for s in segs)
    # the optimizer step, zero_grad and the dropout mask run eagerly every call
    names = [op.name for op in program.ops if op.cls is None]
    assert any("step" in n for n in names) and any("zero_grad" in n for n in names)


def test_a_replaced_parameter_array_is_captured_again(request, fake):
    device = request.getfixturevalue("emulated_cuda")
    want, _ = _run(device, False, replace_at=6)
    got, f = _run(device, True, replace_at=6)
    for a, b in zip(want, got):
        assert a.tobytes() == b.tobytes()
    segs = next(iter(f.programs.values())).graphs.segments
    assert max(s.captures for s in segs) == 2


def test_a_failed_capture_replays_kernel_by_kernel(request, monkeypatch):
    device = request.getfixturevalue("emulated_cuda")
    graphs = FakeGraphs(fail=True)
    monkeypatch.setattr(cc, "graphs_for", lambda device: graphs)
    want, _ = _run(device, False)
    got, f = _run(device, True)
    for a, b in zip(want, got):
        assert a.tobytes() == b.tobytes()
    segs = next(iter(f.programs.values())).graphs.segments
    assert all(s.eager or "capture failed" in s.fallback for s in segs)
    assert graphs.launched == 0


def test_cuda_graphs_off_and_on_the_cpu_no_runner(request, fake):
    device = request.getfixturevalue("emulated_cuda")
    ag.manual_seed(0)
    lin = nn.Linear(3, 2).to(device)
    f = ag.compile(lambda x: lin(x).sum(), cuda_graphs=False)
    x = ag.ones(4, 3, device=device)
    for _ in range(3):
        f(x)
    assert next(iter(f.programs.values())).graphs is None
    assert cc.CupyGraphs is not None and fake.captured == 0


def test_graphs_for_needs_stream_capture(request):
    device = request.getfixturevalue("emulated_cuda")
    assert cc.graphs_for(device) is None  # the emulated cupy has no cuda.Graph
    assert cc.graphs_for(ag.device("cpu")) is None
