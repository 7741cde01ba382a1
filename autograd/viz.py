"""Pictures of graphs: ``to_dot(y, params=dict(model.named_parameters()))`` gives the
Graphviz DOT of the backward graph behind ``y`` (or of an ``ag.Value`` expression)::

    dot = autograd.viz.to_dot(loss, params=dict(model.named_parameters()))
    dot.render("graph", format="svg")   # needs Graphviz's `dot` program
    print(dot.source)                   # the DOT text, no program needed

Op nodes (grey) are named as their backward (``MulBackward``; a private class's leading
underscore dropped) with their output shapes;
leaves (blue) show their parameter name, shape and dtype; the tensor drawn from (green)
its shape and dtype; with ``show_saved=True`` the arrays each op saved for backward
(orange, dashed). The walk is iterative, so graphs of any depth draw.

Needs the ``viz`` extra (the ``graphviz`` Python package; rendering also needs the
Graphviz programs, which pip cannot install).
"""

from __future__ import annotations

from .tensor import Tensor
from .value import Value

_INSTALL = ("Graphviz's `dot` program was not found on PATH; install it with your system's "
            "package manager (apt-get install graphviz, brew install graphviz, conda "
            "install graphviz, or https://graphviz.org/download/). The DOT text is in "
            "`.source` without it.")

_graph_class = None


def _digraph(**kwargs):
    """A ``graphviz.Digraph`` whose render/pipe/view say how to install ``dot`` when it
    is missing."""
    global _graph_class
    if _graph_class is None:
        try:
            import graphviz
        except ImportError as exc:
            raise ImportError('autograd.viz needs the graphviz package: pip install graphviz '
                              '(or pip install "ndgrad[viz]")') from exc

        class Graph(graphviz.Digraph):
            """``graphviz.Digraph`` with a clear message when ``dot`` is missing."""

            def _run(self, method, *args, **kwargs):
                try:
                    return getattr(super(), method)(*args, **kwargs)
                except graphviz.ExecutableNotFound as exc:
                    raise RuntimeError(_INSTALL) from exc

            def render(self, *args, **kwargs):
                return self._run("render", *args, **kwargs)

            def pipe(self, *args, **kwargs):
                return self._run("pipe", *args, **kwargs)

            def view(self, *args, **kwargs):
                return self._run("view", *args, **kwargs)

        _graph_class = Graph
    return _graph_class(**kwargs)


def _describe(shape, dtype) -> str:
    return f"{tuple(int(s) for s in shape)} {dtype}"


def to_dot(root, params: dict | None = None, show_saved: bool = False):
    """The graph behind ``root`` (a Tensor, a list of Tensors, or an ``ag.Value``) as a
    ``graphviz.Digraph``. ``params``: ``{name: tensor}`` to label leaves (e.g.
    ``dict(model.named_parameters())``). ``show_saved``: also draw the arrays each op
    saved for backward (before the backward that frees them)."""
    if isinstance(root, Value):
        return _value_dot(root)
    roots = [root] if isinstance(root, Tensor) else \
        list(root) if isinstance(root, list | tuple) else [root]
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError("to_dot: expected a Tensor, a list of Tensors or an ag.Value, got "
                        f"{type(root).__name__}")
    names = {id(t): n for n, t in (params or {}).items()}
    dot = _digraph(node_attr=dict(style="filled", shape="box", align="left", fontsize="10",
                                  ranksep="0.1", height="0.2", fontname="monospace"),
                   graph_attr=dict(size="12,12"))
    seen = set()
    stack = []

    def leaf(t):
        key = f"t{id(t)}"
        if key not in seen:
            seen.add(key)
            name = names.get(id(t), "")
            dot.node(key, (name + "\n" if name else "") + _describe(t.shape, t.dtype),
                     fillcolor="lightblue")
        return key

    def op(node):
        key = f"n{id(node)}"
        if key not in seen:
            seen.add(key)
            shapes = ", ".join(_describe(s, "").strip() for s in node.out_shapes)
            name = node.name().lstrip("_")  # private Function classes read as their op
            dot.node(key, f"{name}\n-> {shapes}", fillcolor="lightgrey")
            stack.append(node)
        return key

    for i, t in enumerate(roots):
        key = f"r{i}_{id(t)}"
        dot.node(key, _describe(t.shape, t.dtype), fillcolor="darkolivegreen1")
        if t.grad_fn is not None:
            dot.edge(op(t.grad_fn), key)
        elif t.requires_grad:
            dot.edge(leaf(t), key)
    while stack:
        node = stack.pop()
        here = f"n{id(node)}"
        for target, idx in zip(node.edges, node.edge_idx):
            if target is None:
                continue
            dot.edge(leaf(target) if idx < 0 else op(target), here)
        if show_saved and not node._freed:
            for j, a in enumerate(node._saved):
                if hasattr(a, "shape"):
                    key = f"s{id(node)}_{j}"
                    dot.node(key, f"saved {j}\n{_describe(a.shape, a.dtype)}",
                             fillcolor="orange")
                    dot.edge(key, here, style="dashed", dir="none")
    return dot


def _value_dot(root: Value):
    """micrograd's ``draw_dot``: a record per Value (label | data | grad) and an oval per
    op, left to right."""
    dot = _digraph(graph_attr=dict(rankdir="LR"))
    seen = {id(root)}
    stack = [root]
    while stack:
        v = stack.pop()
        key = str(id(v))
        label = v.label.replace("|", "\\|").replace("{", "\\{").replace("}", "\\}")
        dot.node(key, f"{{ {label} | data {v.data:.4f} | grad {v.grad:.4f} }}", shape="record")
        if v._op:
            dot.node(key + v._op, v._op)
            dot.edge(key + v._op, key)
        for c in v._prev:
            dot.edge(str(id(c)), key + v._op)
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return dot
