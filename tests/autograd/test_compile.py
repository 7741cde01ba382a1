"""ag.compile: a recorded step replays bit-identically to the uncompiled step."""

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from autograd.graph import Function

try:  # the emulated GPU of the CuPy backend's tests, as a fixture here too
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:
    emulated_cuda = None


def _mlp():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))


def _cnn(width=4):  # the digits CNN of examples/train_digits_cnn.py, narrower
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(2 * width * 2 * 2, 10))


def _train(make_model, shape, steps, compiled, seed=0):
    ag.manual_seed(seed)
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(seed)
    batches = [(ag.tensor(rng.standard_normal(shape).astype(np.float32)),
                ag.tensor(rng.integers(0, 10, shape[0])))
               for _ in range(4)]

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = ag.compile(step) if compiled else step
    ag.manual_seed(seed + 1)  # the dropout masks: same stream in both runs
    losses = [run(*batches[i % 4]).numpy().copy() for i in range(steps)]
    return model, opt, losses, run


def _assert_same_training(make_model, shape, steps):
    m0, o0, l0, _ = _train(make_model, shape, steps, compiled=False)
    m1, o1, l1, run = _train(make_model, shape, steps, compiled=True)
    assert len(run.programs) == 1
    assert next(iter(run.programs.values())).replays == steps - 2
    for a, b in zip(l0, l1):
        assert a.tobytes() == b.tobytes()  # bit-identical
    for (n, a), (_, b) in zip(m0.state_dict().items(), m1.state_dict().items()):
        assert a.array.tobytes() == b.array.tobytes(), n
    for p0, p1 in zip(m0.parameters(), m1.parameters()):
        s0, s1 = o0.state[p0], o1.state[p1]
        for k in s0:
            assert np.asarray(s0[k].array).tobytes() == np.asarray(s1[k].array).tobytes(), k


def test_mlp_adam_dropout_bit_identical():
    _assert_same_training(_mlp, (16, 64), 100)


def test_digits_cnn_batchnorm_dropout_bit_identical():
    _assert_same_training(_cnn, (8, 1, 8, 8), 30)


class _SeqModel(nn.Module):
    def __init__(self, body, width):
        super().__init__()
        self.body, self.head = body, nn.Linear(width, 10)

    def forward(self, x):
        out = self.body(x)
        out = out[0] if isinstance(out, tuple) else out
        return self.head(out[:, -1])


def test_lstm_bit_identical():
    _assert_same_training(lambda: _SeqModel(nn.LSTM(8, 16, batch_first=True), 16),
                          (4, 6, 8), 20)


def test_transformer_encoder_with_dropout_bit_identical():
    def make():
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True)
        return _SeqModel(nn.TransformerEncoder(layer, 2), 8)

    _assert_same_training(make, (4, 6, 8), 20)


def test_memory_stays_flat_over_replays():
    import tracemalloc

    _, _, _, run = _train(_mlp, (16, 64), 3, compiled=True)
    x, y = ag.randn(16, 64), ag.randint(0, 10, (16,))
    for _ in range(50):
        run(x, y)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            run(x, y)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 256 * 1024, (before, after)


def test_replay_builds_no_graph_and_returns_tensors():
    ag.manual_seed(0)
    w = ag.randn(3, 3, requires_grad=True)

    @ag.compile
    def f(x):
        y = (x @ w).tanh().sum()
        y.backward()
        return y, w.grad

    x = ag.randn(4, 3)
    y0, g0 = f(x)
    assert y0.grad_fn is not None  # the recording run is the real one
    w.grad = None
    f(x)  # the second call runs uncompiled too, and is compared with the recording
    w.grad = None
    y1, g1 = f(x)
    assert isinstance(y1, ag.Tensor) and y1.grad_fn is None
    np.testing.assert_array_equal(y1.numpy(), y0.numpy())
    np.testing.assert_array_equal(g1.numpy(), g0.numpy())
    assert g1 is w.grad


def test_fresh_random_numbers_on_replay():
    f = ag.compile(lambda x: x + ag.rand(3))
    x = ag.zeros(3)
    a, b = f(x).numpy(), f(x).numpy()
    assert not np.array_equal(a, b)
    ag.manual_seed(5)
    c = f(x).numpy()
    ag.manual_seed(5)
    np.testing.assert_array_equal(c, ag.rand(3).numpy())


def test_inplace_on_argument_is_replayed():
    @ag.compile
    def f(x):
        x.add_(1)
        return x * 2

    x = ag.zeros(2)
    f(x)
    out = f(x)
    np.testing.assert_array_equal(x.numpy(), [2, 2])
    np.testing.assert_array_equal(out.numpy(), [4, 4])


def test_signature_change_records_again():
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    f = ag.compile(lambda x, scale: model(x) * scale)
    f(ag.ones(2, 4), 2.0)
    f(ag.ones(2, 4), 2.0)
    assert len(f.programs) == 1
    f(ag.ones(5, 4), 2.0)  # shape
    f(ag.ones(2, 4), 3.0)  # Python value
    f(ag.ones(2, 4, requires_grad=True), 2.0)  # requires_grad
    model.eval()  # module.training, found through the closure
    f(ag.ones(2, 4), 2.0)
    with ag.no_grad():  # grad mode
        f(ag.ones(2, 4), 2.0)
    assert len(f.programs) == 6
    g = ag.compile(lambda x: x * 2)
    g(ag.ones(2))
    g(ag.ones(2, dtype=ag.float64))  # dtype
    assert len(g.programs) == 2
    model.eval()
    np.testing.assert_array_equal(f(ag.ones(2, 4), 3.0).numpy(),
                                  (model(ag.ones(2, 4)) * 3.0).detach().numpy())


def test_cache_limit_warns_and_runs_uncompiled():
    f = ag.compile(lambda x: x * 2, cache_limit=2)
    f(ag.ones(1))
    f(ag.ones(2))
    with pytest.warns(RuntimeWarning, match="cache_limit"):
        out = f(ag.ones(3))
    np.testing.assert_array_equal(out.numpy(), [2, 2, 2])
    assert len(f.programs) == 2


@pytest.mark.parametrize("read, what", [
    (lambda t: t.sum().item(), r"\.item\(\)"),
    (lambda t: float(t.sum()), r"float\(tensor\)"),
    (lambda t: bool(t.sum() > 0), r"bool\(tensor\)"),
    (lambda t: t.numpy(), r"\.numpy\(\)"),
    (lambda t: t.tolist(), r"\.tolist\(\)"),
    (lambda t: print(t), "printing a tensor"),
    (lambda t: f"{t}", "printing a tensor"),
])
def test_reading_a_value_while_recording_raises(read, what):
    f = ag.compile(lambda x: read(x * 2))
    with pytest.raises(ag.CompileError, match=what) as info:
        f(ag.ones(3))
    msg = str(info.value)
    assert "replay would not see the new value" in msg
    assert "Move it out of the compiled function" in msg
    # the guards are gone after the recording
    assert ag.ones(1).item() == 1.0 and "tensor" in repr(ag.ones(1))


_counter = [0]


def test_second_call_catches_a_value_baked_in():
    def f(x):
        _counter[0] += 1
        return x * _counter[0]  # a global Python value: the recording bakes it in

    g = ag.compile(f)
    g(ag.ones(2))
    with pytest.raises(ag.CompileMismatchError,
                       match=r"\(MulScalar\), input 1: recorded the constant 1, but the "
                             "uncompiled run used the constant 2"):
        g(ag.ones(2))  # the second call runs uncompiled and is compared


def test_check_catches_a_non_replayable_function():
    calls = [0]

    def f(x):
        calls[0] += 1
        return x * 2 if calls[0] < 3 else x - 2  # Python control flow on outside state

    plain = ag.compile(f)
    for _ in range(3):
        out = plain(ag.ones(2))
    np.testing.assert_array_equal(out.numpy(), [2, 2])  # the stale replay
    calls[0] = 0
    checked = ag.compile(f, check=True)
    checked(ag.ones(2))
    checked(ag.ones(2))
    with pytest.raises(ag.CompileMismatchError, match="ran Mul.* ran Sub|ran MulScalar"):
        checked(ag.ones(2))


def test_check_passes_a_replayable_step():
    _assert_checked = ag.compile(lambda x: (x * 2).relu().sum(), check=True)
    for _ in range(3):
        _assert_checked(ag.randn(4))


def test_uncompiled_path_is_untouched():
    apply = Function.__dict__["apply"]
    item = ag.Tensor.item
    f = ag.compile(lambda x: x * 2)
    f(ag.ones(1))
    f(ag.ones(1))
    assert Function.__dict__["apply"] is apply and ag.Tensor.item is item


def test_gradient_clipping_and_sgd_momentum_bit_identical():
    def run(compiled):
        ag.manual_seed(0)
        emb, lin = nn.Embedding(20, 8), nn.Linear(8, 5)
        params = list(emb.parameters()) + list(lin.parameters())
        opt = optim.SGD(params, lr=0.1, momentum=0.9)
        rng = np.random.default_rng(0)
        data = [(ag.tensor(rng.integers(0, 20, (4, 3))), ag.tensor(rng.integers(0, 5, 4)))
                for _ in range(3)]

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(lin(F.gelu(emb(x)).mean(1)), y, label_smoothing=0.1)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(params, 0.5)
            opt.step()
            return loss, norm

        f = ag.compile(step) if compiled else step
        out = [[t.numpy().copy() for t in f(*data[i % 3])] for i in range(8)]
        return out, [p.array.copy() for p in params]

    (o0, p0), (o1, p1) = run(False), run(True)
    for a, b in zip(sum(o0, []) + p0, sum(o1, []) + p1):
        assert a.tobytes() == b.tobytes()


def test_an_iterator_given_to_a_replayable_step_raises():
    lin = nn.Linear(2, 2)

    @ag.compile
    def f(x):
        lin(x).sum().backward()
        nn.utils.clip_grad_norm_(lin.parameters(), 1.0)

    with pytest.raises(ag.CompileError, match="iterator.*Pass a list"):
        f(ag.ones(1, 2))


def test_benchmark_smoke(capsys):
    pytest.importorskip("threadpoolctl")
    from benchmarks import compile_step

    assert compile_step.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "tiny_mlp" in out and "compiled" in out and "x numpy" in out


def test_compiled_step_on_emulated_cuda(request):
    """The replay on the CuPy backend (emulated on the host: CuPy's array rules, the
    real CupyBackend): the same bits as the uncompiled step there."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness (tests/backends/test_cupy_backend.py)")
    device = request.getfixturevalue("emulated_cuda")

    def run(compiled):
        ag.manual_seed(0)
        model = _mlp().to(device)
        opt = optim.Adam(model.parameters(), lr=1e-2)
        rng = np.random.default_rng(0)
        data = [(ag.tensor(rng.standard_normal((8, 64)).astype(np.float32), device=device),
                 ag.tensor(rng.integers(0, 10, 8), device=device)) for _ in range(3)]

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        f = ag.compile(step) if compiled else step
        ag.manual_seed(1)
        losses = [f(*data[i % 3]).cpu().numpy().copy() for i in range(6)]
        return losses + [p.cpu().numpy().copy() for p in model.parameters()]

    for a, b in zip(run(False), run(True)):
        assert a.tobytes() == b.tobytes()


def test_compile_a_method():
    class Trainer:
        def __init__(self):
            self.model = nn.Linear(3, 2)

        @ag.compile
        def step(self, x):
            return self.model(x).sum()

    t = Trainer()
    x = ag.ones(4, 3)
    want = t.model(x).sum().detach().numpy()
    for _ in range(3):
        np.testing.assert_array_equal(t.step(x).numpy(), want)
    assert Trainer.step.programs and next(iter(Trainer.step.programs.values())).replays == 1
    t.model.eval()  # a module held by ``self``: its training flag is in the signature
    t.step(x)
    assert len(Trainer.step.programs) == 2
