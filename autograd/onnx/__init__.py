"""ONNX export: ``autograd.onnx.export(model, example_inputs, "model.onnx")``.

How it works, in three steps:

1. **Trace.** The forward runs with grad mode on (so every op goes through
   ``Function.apply``) while :func:`autograd.graph.observe` records each op applied: its
   Function class, its arguments and its outputs. With ``dynamic_axes`` it runs a second
   time on inputs whose dynamic axes have another size; the two traces must apply the
   same ops, and the sizes that differ between them are the dynamic ones (so a reshape
   to ``(batch, -1)`` is exported as ``(-1, 256)`` and not frozen to the traced batch).
2. **Fold.** An op none of whose inputs depends on the model's inputs (BatchNorm's
   ``rsqrt(running_var + eps) * weight``, a causal mask) is not exported: its traced
   value becomes a constant (an initializer), as ``torch.onnx.export`` folds constants.
   Parameters and buffers keep their ``named_parameters()`` names.
3. **Emit.** Every other op is looked up in :data:`SYMBOLICS`, one table keyed by
   Function class, whose entry emits the ONNX nodes for it (``register`` adds entries;
   the core ops' entries are in ``autograd/onnx/ops.py``, the nn layers' in
   ``nn/onnx_symbolics.py``, loaded with ``nn``). An op without an entry raises
   :class:`OnnxExportError` naming it. The model is checked with ``onnx.checker``.

A tensor that reaches an op without having been made by a traced op, a parameter, a
buffer or an input (e.g. built from ``.numpy()`` of an input) is exported as a constant:
keep input-dependent computation in Tensor ops.

Needs the ``onnx`` extra (``pip install "ndgrad[onnx]"``): the ``onnx`` package writes
the model; ``onnxruntime`` runs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ..grad_mode import STATE
from ..graph import observe
from ..tensor import Tensor, _wrap

__all__ = ["export", "register", "OnnxExportError", "SYMBOLICS"]

DEFAULT_OPSET = 17


class OnnxExportError(RuntimeError):
    """The model cannot be exported: an op without an ONNX mapping, or a forward whose
    ops depend on the size of a dynamic axis."""


# Function class -> symbolic(g, node) that emits the op's ONNX nodes and returns the
# names of its outputs (one name, or a list for ops with several outputs).
SYMBOLICS: dict[type, Callable] = {}


def register(*function_classes):
    """Decorator: ``@register(MyFunction)`` makes ``symbolic(g, node)`` the ONNX mapping
    of those Function classes (see :class:`Node` and :class:`GraphBuilder`)."""

    def deco(fn):
        for cls in function_classes:
            SYMBOLICS[cls] = fn
        return fn

    return deco


def _onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "autograd.onnx.export needs the onnx package: pip install onnx onnxruntime "
            '(or pip install "ndgrad[onnx]")'
        ) from exc
    return onnx


# --- tracing --------------------------------------------------------------------------


class Node:
    """One traced op: ``cls``, ``args`` (as passed to ``apply``: Tensors, arrays, Python
    values) and ``outputs`` (Tensors). With dynamic axes, ``args2``/``outputs2`` are the
    same op in the trace at the other sizes."""

    __slots__ = ("cls", "args", "outputs", "args2", "outputs2")

    def __init__(self, cls, args, outputs):
        self.cls, self.args, self.outputs = cls, args, outputs
        self.args2 = self.outputs2 = None

    def out_shapes(self, j: int = 0) -> tuple[tuple, tuple]:
        """Output ``j``'s shape in both traces (the same twice without dynamic axes)."""
        s1 = tuple(self.outputs[j].shape)
        return s1, (s1 if self.outputs2 is None else tuple(self.outputs2[j].shape))

    def arg_shapes(self, i: int) -> tuple[tuple, tuple]:
        """Argument ``i``'s shape in both traces."""
        s1 = tuple(_array_of(self.args[i]).shape)
        return s1, (s1 if self.args2 is None else tuple(_array_of(self.args2[i]).shape))

    def __repr__(self) -> str:
        return f"<traced {self.cls.__name__}>"


def _array_of(a):
    return a.array if isinstance(a, Tensor) else a


def _trace(fn, inputs) -> tuple[list[Node], object]:
    nodes = []

    def record(inner, cls, *args):
        out = inner(cls, *args)
        nodes.append(Node(cls, args, out if type(out) is tuple else (out,)))
        return out

    # grad mode on and float inputs requiring grad: every op on them goes through
    # Function.apply (no no-grad fast path, no shortcut for tensors outside the graph)
    inputs = [t.detach().requires_grad_() if t.dtype.kind == "f" else t for t in inputs]
    prev = STATE.enabled
    STATE.enabled = True
    try:
        with observe(apply=record):
            result = fn(*inputs)
    finally:
        STATE.enabled = prev
    return nodes, result


def _flatten_outputs(result, where: str) -> list[Tensor]:
    if isinstance(result, Tensor):
        return [result]
    if result is None:
        return []
    if isinstance(result, tuple | list):
        return [t for r in result for t in _flatten_outputs(r, where)]
    raise OnnxExportError(f"onnx.export: the {where} returned a {type(result).__name__}; "
                          "expected Tensors (or tuples/lists of them)")


def _resized(t: Tensor, axes) -> Tensor:
    """``t`` with every axis in ``axes`` one shorter (one longer when it has at most 2),
    for the second trace that tells dynamic sizes from fixed ones."""
    xp = t.device.backend.xp
    a = t.array
    for ax in axes:
        n = a.shape[ax]
        if n > 2:
            a = xp.take(a, xp.arange(n - 1), axis=ax)
        else:
            a = xp.concatenate([a, xp.take(a, xp.asarray([0]), axis=ax)], axis=ax)
    return _wrap(xp.ascontiguousarray(a), t.device)


# --- emitting -------------------------------------------------------------------------


class GraphBuilder:
    """Collects ONNX nodes and initializers; what a symbolic function writes into.

    ``g.op(type, *inputs, outputs=1, **attributes)`` adds a node and returns its output
    name(s); ``g.input(node, i)`` is the name of argument ``i`` of a traced op (a traced
    value, a parameter, or a constant); ``g.const(array)`` adds an initializer;
    ``g.reshape_target(...)`` builds a Reshape shape that keeps dynamic axes dynamic.
    """

    def __init__(self, opset: int):
        self.onnx = _onnx()
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.values: dict[int, str] = {}  # id(array) -> ONNX name of a traced value
        self.consts: dict[int, str] = {}  # id(array) -> initializer name
        self.producers: dict[int, Node] = {}  # id(array) -> the op that made it
        self._arrays = []  # keep every array alive so ids stay unique
        self._n = 0

    def fresh(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def op(self, op_type: str, *inputs, outputs: int = 1, **attrs):
        names = [self.fresh(op_type) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(
            op_type, [i if i is not None else "" for i in inputs], names,
            name=self.fresh(op_type + "_node"), **attrs))
        return names[0] if outputs == 1 else names

    def const(self, array, name: str | None = None, key=None) -> str:
        """An initializer holding ``array`` (``key`` dedupes by identity)."""
        if key is not None and id(key) in self.consts:
            return self.consts[id(key)]
        arr = np.asarray(_host(array))
        name = name or self.fresh("const")
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        if key is not None:
            self.consts[id(key)] = name
            self._arrays.append(key)
        return name

    def scalar(self, value, dtype) -> str:
        return self.const(np.asarray(value, dtype=dtype))

    def ints(self, values) -> str:
        return self.const(np.asarray(values, dtype=np.int64))

    def input(self, node: Node, i: int, dtype=None) -> str | None:
        """The name of argument ``i`` of ``node``: a traced value, a parameter, a
        constant; a Python number becomes a constant of ``dtype`` (default: the dtype of
        the op's first output); None stays an omitted optional input."""
        a = node.args[i]
        if a is None:
            return None
        arr = _array_of(a)
        if isinstance(arr, np.ndarray | np.generic) or hasattr(arr, "__cuda_array_interface__"):
            name = self.values.get(id(arr))
            if name is not None:
                return name
            if node.args2 is not None and _array_of(node.args2[i]).shape != arr.shape:
                raise OnnxExportError(
                    f"onnx.export: {node.cls.__name__}: argument {i} is a constant whose "
                    f"shape follows a dynamic axis ({tuple(arr.shape)} vs "
                    f"{tuple(_array_of(node.args2[i]).shape)}); it was not made by traced "
                    "ops from the inputs, so one ONNX graph cannot reproduce it")
            return self.const(arr, key=arr)
        if isinstance(a, bool | int | float):
            return self.scalar(a, dtype or node.outputs[0].dtype)
        raise OnnxExportError(f"onnx.export: {node.cls.__name__}: argument {i} of type "
                              f"{type(a).__name__} is not a tensor or a number")

    def reshape_target(self, in_shapes, out_shapes, what: str) -> str:
        """A Reshape ``shape`` input for ``in_shapes`` -> ``out_shapes`` (each a pair:
        the shapes in the two traces): fixed axes literally; a dynamic axis that keeps
        its place and size as 0 (copy the input's), and at most one other as -1."""
        (i1, i2), (o1, o2) = in_shapes, out_shapes
        target = list(o1)
        open_axes = []
        prefix = True
        for k, (a, b) in enumerate(zip(o1, o2)):
            same = k < len(i1) and i1[k] == a and i2[k] == b
            prefix = prefix and same
            if a == b:
                continue
            if prefix:
                target[k] = 0
            else:
                open_axes.append(k)
        if len(open_axes) > 1:
            raise OnnxExportError(
                f"onnx.export: {what} from {i1} to {o1} merges or splits several dynamic "
                f"axes (axes {open_axes} change with the dynamic sizes: {o1} vs {o2}); it "
                "cannot be written as one ONNX Reshape")
        for k in open_axes:
            target[k] = -1
        return self.ints(target)


def _host(a):
    return a.get() if hasattr(a, "__cuda_array_interface__") else a


def _emit(g: GraphBuilder, nodes: list[Node]) -> None:
    for node in nodes:
        arrays = [_array_of(a) for a in node.args]
        traced = any(id(a) in g.values for a in arrays if a is not None)
        if not traced:  # depends on no input: fold it into constants
            for j, t in enumerate(node.outputs):
                s1, s2 = node.out_shapes(j)
                if s1 != s2:
                    raise OnnxExportError(
                        f"onnx.export: {node.cls.__name__} makes a constant of shape {s1} "
                        f"that follows a dynamic axis ({s2} at the other size) from no "
                        "input; compute it from the inputs with Tensor ops")
                g.const(t.array, key=t.array)
                g.producers[id(t.array)] = node  # a fused pattern may look through it
            continue
        sym = SYMBOLICS.get(node.cls)
        if sym is None:
            shapes = [tuple(_array_of(a).shape) for a in node.args
                      if isinstance(a, Tensor)]
            raise OnnxExportError(
                f"onnx.export: no ONNX mapping for op {node.cls.__name__} (from "
                f"{node.cls.__module__}; tensor arguments {shapes}); add one with "
                f"@autograd.onnx.register({node.cls.__name__})")
        names = sym(g, node)
        if isinstance(names, str):
            names = [names]
        if len(names) != len(node.outputs):
            raise OnnxExportError(f"onnx.export: the mapping of {node.cls.__name__} gave "
                                  f"{len(names)} outputs, the op has {len(node.outputs)}")
        for t, name in zip(node.outputs, names):
            g.values[id(t.array)] = name
            g.producers[id(t.array)] = node
            g._arrays.append(t.array)


def _value_info(onnx, name, t: Tensor, axes: dict):
    dims = [axes.get(k, n) for k, n in enumerate(t.shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(t.dtype))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


def _axes_spec(spec, name) -> dict:
    if spec is None:
        return {}
    if isinstance(spec, dict):
        return {int(k): str(v) for k, v in spec.items()}
    return {int(k): f"{name}_dim_{int(k)}" for k in spec}


def export(model, example_inputs, f, input_names=None, output_names=None,
           dynamic_axes=None, opset_version: int | None = None, verbose: bool = False):
    """Trace ``model(*example_inputs)`` and write it to ``f`` as an ONNX model.

    ``model``: an ``nn.Module`` (exported in eval mode, restored after) or a function of
    Tensors. ``example_inputs``: a Tensor or a tuple of them. ``input_names`` /
    ``output_names``: names in the ONNX graph (default ``input``, ``input_1``, ...,
    ``output``, ...). ``dynamic_axes``: ``{name: {axis: "symbol"}}`` or ``{name: [axis]}``
    for axes whose size may differ at run time (as ``torch.onnx.export``).
    ``opset_version``: default 17. ``f``: a path or a binary file object. Returns the
    ``onnx.ModelProto`` (checked with ``onnx.checker``).
    """
    onnx = _onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < 13:
        raise ValueError(f"onnx.export: opset_version {opset} is not supported; use 13 or "
                         "later")
    inputs = (example_inputs,) if isinstance(example_inputs, Tensor) else tuple(example_inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"onnx.export: example input {i} is a {type(t).__name__}; "
                            "expected Tensors")
    input_names = list(input_names or [])
    input_names += [("input" if i == 0 else f"input_{i}")
                    for i in range(len(input_names), len(inputs))]
    dynamic_axes = dynamic_axes or {}
    in_axes = [_axes_spec(dynamic_axes.get(n), n) for n in input_names[:len(inputs)]]

    is_module = hasattr(model, "named_parameters") and hasattr(model, "train")
    was_training = getattr(model, "training", False)
    if is_module:
        model.eval()
    try:
        nodes, result = _trace(model, inputs)
        outputs = _flatten_outputs(result, "model")
        if any(in_axes):
            inputs2 = tuple(_resized(t, ax) for t, ax in zip(inputs, in_axes))
            try:
                nodes2, result2 = _trace(model, inputs2)
            except Exception as exc:
                raise OnnxExportError(
                    "onnx.export: with dynamic_axes the forward is traced a second time at "
                    f"other sizes ({[tuple(t.shape) for t in inputs2]}), and it failed there "
                    f"({type(exc).__name__}: {exc}); a size is fixed in the model") from exc
            _pair(nodes, nodes2, outputs, _flatten_outputs(result2, "model"))
    finally:
        if is_module and was_training:
            model.train()

    output_names = list(output_names or [])
    output_names += [("output" if i == 0 else f"output_{i}")
                     for i in range(len(output_names), len(outputs))]
    g = GraphBuilder(opset)
    if is_module:
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if p is not None and id(p.array) not in g.consts:
                g.const(p.array, name=name, key=p.array)
    for t, name in zip(inputs, input_names):
        g.values[id(t.array)] = name
        g._arrays.append(t.array)
    _emit(g, nodes)

    graph_outputs = []
    for i, (t, name) in enumerate(zip(outputs, output_names)):
        src = g.values.get(id(t.array))
        if src is None:
            raise OnnxExportError(
                f"onnx.export: output {i} ({name!r}, shape {tuple(t.shape)}) was not computed "
                "from the inputs by traced ops (e.g. indices from max(dim), or a value made "
                "outside Tensor ops); the exported graph would return a constant")
        g.nodes.append(onnx.helper.make_node("Identity", [src], [name], name=name + "_out"))
        graph_outputs.append(_value_info(onnx, name, t, _axes_spec(dynamic_axes.get(name),
                                                                   name)))
    g.nodes = _live(g.nodes, output_names)
    used = {i for n in g.nodes for i in n.input}
    graph = onnx.helper.make_graph(
        g.nodes, getattr(model, "__class__", type(model)).__name__,
        [_value_info(onnx, n, t, ax) for n, t, ax in zip(input_names, inputs, in_axes)],
        graph_outputs, [i for i in g.initializers if i.name in used])
    proto = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="ndgrad")
    # the oldest IR version that has this opset, so older runtimes load the file too
    proto.ir_version = onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if isinstance(f, str | os.PathLike):
        onnx.save(proto, os.fspath(f))
    else:
        f.write(proto.SerializeToString())
    return proto


def _live(nodes, outputs):
    """The nodes that contribute to the graph's outputs (a fused pattern, such as
    im2col + matmul written as one Conv, leaves its parts unused)."""
    needed = set(outputs)
    kept = []
    for n in reversed(nodes):
        if needed.intersection(n.output):
            kept.append(n)
            needed.update(n.input)
    return kept[::-1]


def _pair(nodes, nodes2, outputs, outputs2):
    """Match the second trace (other dynamic sizes) op by op with the first."""
    if len(nodes) != len(nodes2) or any(a.cls is not b.cls for a, b in zip(nodes, nodes2)):
        first = next((i for i, (a, b) in enumerate(zip(nodes, nodes2)) if a.cls is not b.cls),
                     min(len(nodes), len(nodes2)))
        raise OnnxExportError(
            "onnx.export: the forward applies different ops when a dynamic axis changes "
            f"size (op {first}: {nodes[first].cls.__name__ if first < len(nodes) else 'end'}"
            f" vs {nodes2[first].cls.__name__ if first < len(nodes2) else 'end'}); its "
            "control flow depends on the input sizes, which one ONNX graph cannot express")
    if len(outputs) != len(outputs2):
        raise OnnxExportError("onnx.export: the number of outputs depends on the input sizes")
    for a, b in zip(nodes, nodes2):
        a.args2, a.outputs2 = b.args, b.outputs


# the core ops' entries; nn registers its layers' entries when it is imported
from . import ops  # noqa: E402, F401
