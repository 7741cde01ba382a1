"""autograd.viz.to_dot: DOT text parsed back by pydot with the node count of a known
graph, parameter names and shapes in the labels, ag.Value graphs, and rendering (only
where Graphviz's `dot` program exists) or the message saying how to install it."""

from __future__ import annotations

import shutil

import pytest

import autograd as ag
import nn

graphviz = pytest.importorskip("graphviz", reason="the viz extra is not installed")
pydot = pytest.importorskip("pydot", reason="the viz extra is not installed")


def _nodes(dot):
    (g,) = pydot.graph_from_dot_data(dot.source)
    return {n.get_name(): n for n in g.get_nodes() if n.get_name() not in ("node", "graph",
                                                                           "edge")}, g


def _mlp():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(ag.randn(5, 3)).sum()
    return model, loss


def test_known_graph_node_and_edge_count():
    model, loss = _mlp()
    dot = ag.viz.to_dot(loss, params=dict(model.named_parameters()))
    nodes, g = _nodes(dot)
    # root + 4 ops (Linear, Relu, Linear, Sum) + 4 parameters; the input needs no grad
    assert len(nodes) == 1 + 4 + 4
    # Sum->root, Linear2->Sum, Relu->Linear2, Linear1->Relu, 4 parameter edges
    assert len(g.get_edges()) == 8
    labels = " ".join(n.get("label") for n in nodes.values())
    for text in ("SumBackward", "LinearBackward", "ReluBackward", "0.weight", "2.bias",
                 "(4, 3) float32", "(2,) float32", "-> (5, 4)"):
        assert text in labels, text


def test_saved_tensors_optional():
    model, loss = _mlp()
    plain, _ = _nodes(ag.viz.to_dot(loss))
    saved, _ = _nodes(ag.viz.to_dot(loss, show_saved=True))
    extra = [n for n in saved if n.startswith("s")]
    assert len(saved) == len(plain) + len(extra) and extra
    assert all("saved" in saved[n].get("label") for n in extra)


def test_diamond_and_deep_graphs_draw_each_node_once():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = (y + y.exp()).sum()  # y feeds two ops
    nodes, _ = _nodes(ag.viz.to_dot(z))
    assert len(nodes) == 1 + 4 + 1  # root, Sum/Add/Exp/MulScalar, leaf x
    deep = x
    for _ in range(3000):  # deeper than Python's recursion limit
        deep = deep * 1.0
    body = ag.viz.to_dot(deep.sum()).body  # one line per node statement and per edge
    assert sum(1 for line in body if "[label=" in line) == 1 + 3001 + 1


def test_value_graph_draws_like_micrograd():
    a, b = ag.Value(2.0, label="a"), ag.Value(-3.0, label="b")
    c = a * b + a
    c.backward()
    nodes, g = _nodes(ag.viz.to_dot(c))
    assert len(nodes) == 4 + 2  # a, b, a*b, c and the ops * and +
    labels = [n.get("label") for n in nodes.values()]
    assert any("grad -2.0000" in lb for lb in labels)  # dc/da = b + 1


def test_bad_root():
    with pytest.raises(TypeError, match="to_dot"):
        ag.viz.to_dot(3.0)


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's `dot` program is not installed (apt-get install graphviz)")
def test_render_svg(tmp_path):
    _, loss = _mlp()
    out = ag.viz.to_dot(loss).render(str(tmp_path / "graph"), format="svg")
    assert open(out).read().lstrip().startswith(("<?xml", "<svg"))


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    _, loss = _mlp()
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        ag.viz.to_dot(loss).render(str(tmp_path / "g"), format="svg")
