"""ag.compile records the ops that compute outside a Function (comparisons, argmax, the
indices of sort/topk/max(dim), getitem's no-graph fast path, ...): compiled calls with
fresh inputs equal the uncompiled function bit for bit (autograd/recording.py)."""

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from autograd.recording import RECORDING

CASES = {
    "slice": lambda x: x[:, :3].sum(),
    "slice_shifted": lambda x: (x[:, :-1] - x[:, 1:]).sum(),
    "compare": lambda x: (x > 0).float().sum(),
    "compare_tensors": lambda x: (x[:, :2] <= x[:, 2:4]).sum().float(),
    "argmax": lambda x: x.argmax(1).float().sum(),
    "argmin_keepdim": lambda x: x.argmin(0, keepdim=True).float().sum(),
    "where": lambda x: ag.where(x > 0, x, ag.zeros_like(x)).sum(),
    "where_int_mask": lambda x: ag.where((x > 0).long(), x, 1.0).sum(),
    "index_tensor": lambda x: x[ag.tensor([0, 2])].sum(),
    "index_computed": lambda x: x[x.argmax(0)].sum(),
    "mask_select": lambda x: x[x == x].sum(),  # a mask whose count is fixed (see below)
    "long": lambda x: (x * 10).long().float().sum(),
    "arange": lambda x: (x * ag.arange(5)).sum(),
    "topk": lambda x: x.topk(2, 1)[0].sum() + x.topk(2, 1)[1].float().sum(),
    "sort": lambda x: x.sort(1)[0].sum() + x.sort(1, descending=True)[1].float().sum(),
    "argsort": lambda x: x.argsort(0).float().sum(),
    "max_dim": lambda x: x.max(1)[0].sum() + x.max(1, keepdim=True)[1].float().sum(),
    "min_dim_indices": lambda x: x.min(0)[1].float().sum(),
    "kthvalue": lambda x: ag.kthvalue(x, 2, 1)[0].sum() + ag.kthvalue(x, 2, 1)[1].sum(),
    "median": lambda x: ag.median(x, 1)[0].sum() + ag.median(x, 1)[1].sum(),
    "mode": lambda x: ag.mode((x * 2).round(), 1)[1].float().sum(),
    "quantile": lambda x: ag.quantile(x, 0.3, 1).sum() + ag.quantile(x, 0.5, 0, True).sum(),
    "quantile_q_tensor": lambda x: ag.quantile(x, ag.tensor([0.25, 0.75]), 1).sum(),
    "nanquantile": lambda x: ag.nanquantile(x.log(), 0.5, 1, interpolation="nearest").sum(),
    "cummax": lambda x: ag.cummax(x, 1)[1].float().sum() + ag.cummax(x, 1)[0].sum(),
    "eq_count": lambda x: (x.argmax(1) == ag.tensor([0, 1, 2, 3])).sum().float(),
    "logical": lambda x: ag.logical_and(x > 0, x < 1).float().sum(),
    "isnan": lambda x: ag.isnan(x.log()).float().sum(),
    "count_nonzero": lambda x: ag.count_nonzero(x > 0).float(),
    "isclose": lambda x: ag.isclose(x, x.round()).float().sum(),
    "floor_divide": lambda x: ag.floor_divide((x * 10).long(), 3).float().sum(),
    "int_floor": lambda x: ag.floor((x * 10).long()).float().sum(),
    "take_along_dim": lambda x: ag.take_along_dim(x, x.argmax(1, keepdim=True), 1).sum(),
    "one_hot": lambda x: (F.one_hot(x.argmax(1), 5).float() * x).sum(),
    "detach": lambda x: x.detach().sum(),
    "reshape": lambda x: x.reshape(5, 4)[0].sum(),
    "t_slice": lambda x: x.t()[1].sum(),
    "unbind": lambda x: x.unbind(0)[1].sum(),
    "chunk": lambda x: x.chunk(2, 1)[1].sum(),
    "softmax_sliced": lambda x: x.softmax(-1)[:, -1].sum(),
    "tuple_result": lambda x: (x.max(1)[1], x > 0.5),
}


def _arrays(value):
    if isinstance(value, ag.Tensor):
        return [value.numpy()]
    return [a for v in value for a in _arrays(v)]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("requires_grad", [False, True])
def test_compiled_op_equals_uncompiled(name, requires_grad):
    fn = CASES[name]
    compiled = ag.compile(fn)
    for i in range(5):
        x = ag.randn(4, 5, requires_grad=requires_grad)
        got, want = _arrays(compiled(x)), _arrays(fn(x))
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape, (name, i)
            assert a.tobytes() == b.tobytes(), (name, i)
    program = next(iter(compiled.programs.values()))
    assert program.replays == 3  # recorded, compared, then replayed (not run uncompiled)


def test_gradient_through_compiled_index_ops():
    def step(x):
        x.grad = None
        loss = x.max(1)[0].sum() + x.topk(2, 0)[0].sum() + x[x.argmax(0)].sum()
        loss.backward()
        return loss, x.grad

    compiled = ag.compile(step)
    for _ in range(5):
        x0 = ag.randn(4, 5)
        a, b = x0.clone().requires_grad_(), x0.clone().requires_grad_()
        (l1, g1), (l2, g2) = compiled(a), step(b)
        assert l1.numpy().tobytes() == l2.numpy().tobytes()
        assert g1.numpy().tobytes() == g2.numpy().tobytes()


class _CharLM(nn.Module):
    def __init__(self, vocab=11, dim=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, idx):
        return self.head(self.emb(idx).tanh())


def _train_char_lm(compiled, steps=8, check=False, seed=0):
    ag.manual_seed(seed)
    model = _CharLM()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(seed)

    def step(batch):
        x, y = batch[:, :-1], batch[:, 1:]  # the inputs and the next characters
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        acc = (logits.argmax(-1) == y).float().mean()
        return loss, acc

    run = ag.compile(step, check=check) if compiled else step
    out = []
    for _ in range(steps):
        batch = ag.tensor(rng.integers(0, 11, (6, 9)))
        loss, acc = run(batch)
        out.append((loss.numpy().copy(), acc.numpy().copy()))
    return model, out, run


def test_char_lm_step_with_slices_and_accuracy_bit_identical():
    m0, r0, _ = _train_char_lm(compiled=False)
    m1, r1, run = _train_char_lm(compiled=True)
    assert next(iter(run.programs.values())).replays == len(r1) - 2
    accs = set()
    for (l0, a0), (l1, a1) in zip(r0, r1, strict=True):
        assert l0.tobytes() == l1.tobytes() and a0.tobytes() == a1.tobytes()
        accs.add(float(a1))
    assert len(accs) > 1  # the accuracy is computed from each batch, not baked in
    for (n, a), (_, b) in zip(m0.state_dict().items(), m1.state_dict().items()):
        assert a.array.tobytes() == b.array.tobytes(), n


def test_mlp_step_with_accuracy_bit_identical_and_checked():
    def train(compiled, check=False):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(7, 16), nn.ReLU(), nn.Linear(16, 3))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        rng = np.random.default_rng(1)

        def step(data, y):
            x = data[:, 1:]  # the first column is an id, not a feature
            opt.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            return loss, (logits.argmax(1) == y).float().mean()

        run = ag.compile(step, check=check) if compiled else step
        res = []
        for _ in range(6):
            data = ag.tensor(rng.standard_normal((10, 8)).astype(np.float32))
            y = ag.tensor(rng.integers(0, 3, 10))
            res.append([t.numpy().tobytes() for t in run(data, y)])
        return res

    want = train(False)
    assert train(True) == want
    assert train(True, check=True) == want  # check=True: no false mismatch either


def test_recording_flag_is_cleared():
    assert RECORDING.rec is None

    def bad(x):
        return (x > 0).sum().item()  # a value read: raises while recording

    with pytest.raises(ag.CompileError):
        ag.compile(bad)(ag.randn(3))
    assert RECORDING.rec is None
    ag.compile(lambda x: (x > 0).sum())(ag.randn(3))
    assert RECORDING.rec is None


@pytest.mark.parametrize("mode,padding", [("bilinear", "zeros"), ("nearest", "reflection"),
                                          ("bicubic", "border"), ("bilinear", "reflection")])
def test_grid_sample_compiled_equals_uncompiled(mode, padding):
    def step(img, grid):
        img.grad = None
        out = F.grid_sample(img, grid, mode=mode, padding_mode=padding, align_corners=False)
        out.square().sum().backward()
        return out, img.grad

    compiled = ag.compile(step)
    for _ in range(5):
        img = ag.randn(2, 3, 5, 6)
        grid = ag.rand(2, 4, 3, 2) * 2.6 - 1.3  # some points outside [-1, 1]
        a, b = img.clone().requires_grad_(), img.clone().requires_grad_()
        got, want = compiled(a, grid), step(b, grid)
        for x, y in zip(got, want, strict=True):
            assert x.numpy().tobytes() == y.numpy().tobytes()
    assert next(iter(compiled.programs.values())).replays == 3


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_compiled_equals_uncompiled(mode):
    weight = ag.randn(7, 3)

    def step(idx, offsets):
        return F.embedding_bag(idx, weight, offsets, mode=mode, padding_idx=0)

    compiled = ag.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(5):
        idx = ag.tensor(rng.integers(0, 7, 9))
        offsets = ag.tensor(np.sort(rng.choice(np.arange(1, 9), 2, replace=False)))
        offsets = ag.cat([ag.tensor([0]), offsets])  # 3 bags, of varying sizes
        got, want = compiled(idx, offsets), step(idx, offsets)
        assert got.numpy().tobytes() == want.numpy().tobytes()
    assert next(iter(compiled.programs.values())).replays == 3


@pytest.mark.parametrize("read,what", [
    (lambda t: ag.equal(t, t * 1), r"torch\.equal"),
    (lambda t: ag.allclose(t, t + 1e-9), r"torch\.allclose"),
])
def test_equal_and_allclose_are_value_reads(read, what):
    f = ag.compile(lambda x: ag.where(x > 0, x, 0.0) if read(x) else x)
    with pytest.raises(ag.CompileError, match=what + ".*replay would not see the new value"):
        f(ag.randn(3))
    assert ag.equal(ag.ones(2), ag.ones(2)) and ag.allclose(ag.ones(2), ag.ones(2))
