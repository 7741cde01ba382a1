"""autograd.profiler: the table lists the ops run with their call counts, self time
excludes children, the Chrome trace is valid JSON with one event per op, and nothing is
left installed after the block."""

from __future__ import annotations

import json

import pytest

import autograd as ag
from autograd import graph
from autograd.profiler import profile


def _run(steps=3):
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = ag.tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    for _ in range(steps):
        c = (a @ b).exp()
        c.sum().backward()


def test_counts_equal_the_calls_made():
    with profile(record_shapes=True) as prof:
        _run(3)
    avg = {e.key: e for e in prof.key_averages()}
    # 3 forward matmuls, and MatMulBackward runs two matmuls (g @ b^T, a^T @ g) each time
    assert avg["MatMul"].count == 3 + 2 * 3
    assert avg["Exp"].count == 3 and avg["Sum"].count == 3
    for name in ("MatMulBackward", "ExpBackward", "SumBackward"):
        assert avg[name].count == 3, name
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    head = table.splitlines()[1]
    for col in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                "# of Calls"):
        assert col in head
    assert "MatMulBackward" in table and "Self CPU time total:" in table
    rows = [line.split() for line in table.splitlines()[3:-2]]
    counts = {r[0]: int(r[-1]) for r in rows}
    assert counts["MatMul"] == 9 and counts["ExpBackward"] == 3


def test_shapes_and_grouping():
    with profile(record_shapes=True) as prof:
        x = ag.ones(2, 3, requires_grad=True)
        (x * 2.0).sum()
        (ag.ones(4, 3, requires_grad=True) * 2.0).sum()
    groups = prof.key_averages(group_by_input_shape=True)
    scalar_mul = [g for g in groups if g.key == "MulScalar"]
    assert sorted(g.input_shapes for g in scalar_mul) == ["[[2, 3], []]", "[[4, 3], []]"]
    assert "Input Shapes" in groups.table()
    with profile() as prof2:
        _run(1)
    with pytest.raises(RuntimeError, match="record_shapes"):
        prof2.key_averages(group_by_input_shape=True)


def test_self_time_excludes_children():
    with profile() as prof:
        _run(2)
    for e in prof.events():
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total
    backward = [e for e in prof.events() if e.kind == "backward"]
    assert any(e.cpu_time_total > e.self_cpu_time_total for e in backward)  # nested ops


def test_chrome_trace_has_one_event_per_op(tmp_path):
    with profile(record_shapes=True) as prof:
        _run(2)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert len(events) == len(prof.events())
    assert all(e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0 for e in events)
    names = [e["name"] for e in events]
    assert names.count("MatMul") == 2 + 2 * 2 and names.count("MatMulBackward") == 2


def test_sort_keys_and_row_limit():
    with profile() as prof:
        _run(1)
    table = prof.key_averages().table(sort_by="count", row_limit=2)
    assert len(table.splitlines()) == 2 + 3 + 1 + 1  # rules, header, 2 rows, total
    with pytest.raises(ValueError, match="sort_by"):
        prof.key_averages().table(sort_by="bogus")


def test_nothing_left_installed_and_disabled_is_a_no_op():
    plain_apply = ag.Function.__dict__["apply"]
    plain_backward = graph._node_backward
    with profile():
        assert ag.Function.__dict__["apply"] is not plain_apply
        with pytest.raises(RuntimeError, match="already"):
            with profile():
                pass
    assert ag.Function.__dict__["apply"] is plain_apply
    assert graph._node_backward is plain_backward
    with profile(enabled=False) as prof:
        _run(1)
    assert prof.events() == []


def test_errors_inside_the_block_restore_the_hooks():
    plain_apply = ag.Function.__dict__["apply"]
    with pytest.raises(ValueError):
        with profile():
            ag.ones(2, 3) + ag.ones(4, 5)
    assert ag.Function.__dict__["apply"] is plain_apply


def test_cuda_events_time_ops_on_a_gpu_device():
    """The GPU path with a stand-in for CuPy's events (the arithmetic of device time and
    the CUDA columns; real CUDA timing runs only where a GPU exists)."""
    import itertools
    from types import SimpleNamespace

    import numpy as np

    from autograd.tensor import _wrap

    clock = itertools.count()

    class Event:
        def record(self):
            self.t = next(clock)

        def synchronize(self):
            pass

    cuda = SimpleNamespace(Event=Event, get_elapsed_time=lambda a, b: 0.5 * (b.t - a.t))
    device = SimpleNamespace(type="cuda", backend=SimpleNamespace(xp=SimpleNamespace(cuda=cuda)))

    class AddOne(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    t = _wrap(np.zeros(3, np.float32), device)
    with profile() as prof:
        AddOne.apply(t)
        AddOne.apply(t)
    (avg,) = prof.key_averages()
    assert avg.count == 2 and avg.cuda_time_total == 2 * 500.0  # 0.5 ms each, in us
    table = prof.key_averages().table()
    for col in ("Self CUDA", "CUDA total", "CUDA time avg"):
        assert col in table.splitlines()[1]
    assert "Self CUDA time total: 1.000ms" in table
    with profile(use_cuda=False) as off:
        AddOne.apply(t)
    assert off.key_averages()[0].cuda_time_total == 0 and "CUDA" not in off.table()
