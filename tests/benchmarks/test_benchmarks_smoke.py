"""The benchmark programs run, and the gradient-check benchmark fails on a missing
gradient rather than skipping it."""

import json

import numpy as np
import pytest

import autograd as ag
from autograd.testing import OpInfo, make_tensor
from autograd.testing.opinfo import REGISTRY
from benchmarks import gradcheck, perf


def test_gradcheck_benchmark_on_a_filtered_pattern(tmp_path, capsys):
    out = tmp_path / "gc.json"
    rc = gradcheck.main(["--device", "cpu", "--ops", "mul,exp", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "mul/broadcast" in text and "exp/0d" in text and " 0 failed" in text
    report = json.loads(out.read_text())
    names = {r["op"] for r in report["results"]}
    assert {"mul/same", "exp"} <= names and not any(n.startswith("add") for n in names)
    assert {r["dtype"] for r in report["results"]} == {"float64", "float32"}
    assert all(r["first"] == "pass" and r["second"] == "pass" for r in report["results"])
    f64 = [r for r in report["results"] if r["dtype"] == "float64"]
    assert max(r["max_abs_err"] for r in f64) < 1e-6


def test_gradcheck_benchmark_rejects_unknown_patterns_and_devices(capsys):
    assert gradcheck.main(["--ops", "no_such_op_anywhere"]) == 2
    if not ag.cuda_is_available():
        assert gradcheck.main(["--device", "cuda", "--ops", "mul"]) == 2
        assert "no CUDA device" in capsys.readouterr().out


class _NoBackward(ag.Function):
    """A differentiable-looking op whose gradient rule was never written."""

    @staticmethod
    def forward(ctx, x):
        return x * 2


class _WrongBackward(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3  # should be 2


def _register_temporarily(name, fn, second_order=True):
    def make(rng, dtype, device):
        return (make_tensor(rng, (2, 3), dtype, device),)

    info = OpInfo(name, fn, make, second_order=second_order)
    ag.testing.all_ops()  # load the providers first, so ours is added after them
    REGISTRY[name] = info
    return info


@pytest.mark.parametrize("name, fn, fragment", [
    ("zz_fake/no_backward", _NoBackward.apply, "NotImplementedError"),
    ("zz_fake/wrong_backward", _WrongBackward.apply, "analytic 3 vs numerical 2"),
])
def test_a_missing_or_wrong_gradient_fails_the_benchmark(name, fn, fragment, capsys):
    _register_temporarily(name, fn)
    try:
        rc = gradcheck.main(["--device", "cpu", "--dtype", "float64", "--ops", name])
    finally:
        del REGISTRY[name]
    out = capsys.readouterr().out
    assert rc == 1
    assert f"FAIL {name}" in out and fragment in out
    assert name not in REGISTRY


def test_check_op_reports_errors_without_raising():
    info = OpInfo("zz_fake/direct", _NoBackward.apply,
                  lambda rng, dtype, device: (make_tensor(rng, (3,), dtype, device),))
    res = gradcheck.check_op(info, "cpu", "float64")
    assert not res.ok and res.first == "FAIL" and res.second == "FAIL"
    assert any("NotImplementedError" in e for e in res.errors)


def test_perf_quick_overhead_and_chain(tmp_path, capsys):
    out = tmp_path / "perf.json"
    rc = perf.main(["--quick", "--suite", "overhead,chain", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "numpy/ours" in text and "chain" in text
    rows = json.loads(out.read_text())["rows"]
    assert [r["suite"] for r in rows] == ["overhead", "chain"]
    for r in rows:
        assert r["ours"] > 0 and r["refs"]["numpy"] > 0
        for ref in perf.REFERENCES:  # each reference was timed or says why not
            assert r["refs"].get(ref) is not None or ref in r["notes"]


def test_perf_rejects_unknown_suite(capsys):
    assert perf.main(["--suite", "nope"]) == 2


def test_numpy_reference_mlp_matches_the_engine():
    """The hand-written NumPy step computes the same loss as the engine's nn/optim."""
    nn = pytest.importorskip("nn")
    import nn.functional as F
    import optim

    rng = np.random.default_rng(0)
    ref = perf.NumpyMLP([6, 5, 3], rng)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    y = rng.integers(0, 3, 4)
    lin1, lin2 = nn.Linear(6, 5), nn.Linear(5, 3)
    for lin, (w, b) in zip((lin1, lin2), (ref.params[:2], ref.params[2:]), strict=True):
        lin.weight.array[...] = w.T
        lin.bias.array[...] = b
    model = nn.Sequential(lin1, nn.ReLU(), lin2)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        loss = F.cross_entropy(model(ag.tensor(x)), ag.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert ref.step(x, y) == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(lin1.weight.numpy(), ref.params[0].T, rtol=1e-4, atol=1e-6)


def test_value_mlp_step_matches_micrograd():
    mg = pytest.importorskip("micrograd.engine")
    X = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]]
    y = [1, -1, 1]
    ours = perf.moons_step(perf.ValueMLP(ag.Value, 2, [4, 4, 1]), ag.Value, X, y)
    theirs = perf.moons_step(perf.ValueMLP(mg.Value, 2, [4, 4, 1]), mg.Value, X, y)
    assert ours == pytest.approx(theirs, rel=1e-12)
