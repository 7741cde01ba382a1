"""``nn.utils.summary(model, input_size=(64, 1, 8, 8))``: a table of the model's layers
as ``torchinfo.summary`` prints it (layer and depth-index, output shape, parameter count,
optionally input shape, kernel size, trainable and mult-adds), then the totals and the
estimated memory: input, forward/backward activations and parameters, in MB (10^6 bytes,
as torchinfo).
"""

from __future__ import annotations

import math

import autograd as ag
from autograd import Tensor

from ..module import Module

_COLUMNS = {"input_size": "Input Shape", "output_size": "Output Shape",
            "num_params": "Param #", "kernel_size": "Kernel Shape", "trainable": "Trainable",
            "mult_adds": "Mult-Adds"}
_WIDTH = 25
_NAME_WIDTH = 40


class LayerInfo:
    """One module's row: ``name`` (its class), ``depth``, ``depth_index``, input and
    output shapes (None when it was not called), own parameter count and trainable
    state, mult-adds of one forward."""

    def __init__(self, module: Module, depth: int, depth_index: int):
        self.module = module
        self.class_name = type(module).__name__
        self.depth, self.depth_index = depth, depth_index
        self.input_size = self.output_size = None
        self.output_bytes = 0
        own = list(module.parameters(recurse=False))
        self.num_params = sum(p.numel() for p in own)
        self.trainable_params = sum(p.numel() for p in own if p.requires_grad)
        self.is_leaf = not any(True for _ in module.children())
        weight = getattr(module, "weight", None)
        self.kernel_size = list(weight.shape[2:]) if isinstance(weight, Tensor) and \
            weight.ndim > 2 else None
        self.mult_adds = 0

    @property
    def trainable(self) -> str:
        if self.num_params == 0:
            return "--"
        if self.trainable_params == self.num_params:
            return "True"
        return "False" if self.trainable_params == 0 else "Partial"

    def cell(self, column: str) -> str:
        if column == "num_params":
            return f"{self.num_params:,}" if self.num_params else "--"
        if column == "trainable":
            return self.trainable
        if column == "mult_adds":
            return f"{self.mult_adds:,}" if self.mult_adds else "--"
        value = getattr(self, column)
        return "--" if value is None else str(value)


def _shapes(obj):
    if isinstance(obj, Tensor):
        return list(obj.shape)
    if isinstance(obj, tuple | list):
        shapes = [_shapes(o) for o in obj if o is not None]
        return shapes[0] if len(shapes) == 1 else shapes
    return None


def _bytes(obj) -> int:
    if isinstance(obj, Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, tuple | list):
        return sum(_bytes(o) for o in obj)
    return 0


def _mult_adds(module: Module, out) -> int:
    """Multiply-accumulates of Linear and convolution layers (torchinfo counts these)."""
    weight = getattr(module, "weight", None)
    if not isinstance(out, Tensor) or not isinstance(weight, Tensor):
        return 0
    name = type(module).__name__
    if name == "Linear" or name == "Bilinear":
        return out.numel() * math.prod(weight.shape[1:])
    if name.startswith("Conv"):
        return out.numel() * math.prod(weight.shape[1:])
    return 0


class ModelStatistics:
    """What ``summary`` returns: ``summary_list`` (a LayerInfo per module, in order),
    ``total_params``, ``trainable_params``, ``total_mult_adds`` and the sizes in bytes;
    ``str()`` is the table."""

    def __init__(self, rows, model, inputs, col_names, depth):
        self.summary_list = rows
        self.col_names = col_names
        self.depth = depth
        params = list(model.parameters())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.total_mult_adds = sum(r.mult_adds for r in rows)
        self.total_input = sum(_bytes(t) for t in inputs)
        self.total_output_bytes = 2 * sum(r.output_bytes for r in rows if r.is_leaf)
        self.total_param_bytes = sum(p.numel() * p.element_size() for p in params)

    def __str__(self) -> str:
        heads = [_COLUMNS[c] for c in self.col_names]
        names = [(r.class_name if r.depth == 0 else "│    " * (r.depth - 1) + "├─"
                  + f"{r.class_name}: {r.depth}-{r.depth_index}", r)
                 for r in self.summary_list if r.depth <= self.depth]
        name_width = max([_NAME_WIDTH] + [len(n) + 1 for n, _ in names])
        width = name_width + _WIDTH * len(heads)
        rule = "=" * width
        lines = [rule, "Layer (type:depth-idx)".ljust(name_width)
                 + "".join(h.ljust(_WIDTH) for h in heads), rule]
        for name, r in names:
            lines.append(name.ljust(name_width)
                         + "".join(r.cell(c).ljust(_WIDTH) for c in self.col_names))
        mb = 1e6
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            f"Total mult-adds (M): {self.total_mult_adds / 1e6:.2f}",
            rule,
            f"Input size (MB): {self.total_input / mb:.2f}",
            f"Forward/backward pass size (MB): {self.total_output_bytes / mb:.2f}",
            f"Params size (MB): {self.total_param_bytes / mb:.2f}",
            "Estimated Total Size (MB): "
            f"{(self.total_input + self.total_output_bytes + self.total_param_bytes) / mb:.2f}",
            rule,
        ]
        return "\n".join(lines)

    __repr__ = __str__


def summary(model: Module, input_size=None, input_data=None, dtypes=None, device=None,
            col_names=("output_size", "num_params"), depth: int = 3, verbose: int = 1,
            **kwargs) -> ModelStatistics:
    """Run one forward (no grad) of ``model`` and summarise its layers, as
    ``torchinfo.summary``.

    ``input_size``: one shape (a tuple, batch included) or a list of shapes, filled with
    zeros of ``dtypes`` (a dtype per input, default float32); or ``input_data``: the
    Tensor(s) to pass. ``col_names``: any of ``input_size``, ``output_size``,
    ``num_params``, ``kernel_size``, ``trainable``, ``mult_adds``. ``depth``: the
    deepest nesting shown. ``verbose``: 0 returns quietly, 1 also prints. Extra
    keyword arguments go to ``model.forward``.
    """
    unknown = [c for c in col_names if c not in _COLUMNS]
    if unknown:
        raise ValueError(f"summary: unknown col_names {unknown}; choose from {list(_COLUMNS)}")
    if input_data is not None:
        inputs = [input_data] if isinstance(input_data, Tensor) else list(input_data)
    elif input_size is not None:
        sizes = [input_size] if all(isinstance(s, int) for s in input_size) else \
            list(input_size)
        kinds = list(dtypes) if dtypes is not None else [ag.float32] * len(sizes)
        if len(kinds) != len(sizes):
            raise ValueError(f"summary: {len(sizes)} input sizes but {len(kinds)} dtypes")
        inputs = [ag.zeros(*s, dtype=d, device=device) for s, d in zip(sizes, kinds)]
    else:
        raise ValueError("summary: pass input_size=(batch, ...) or input_data=")

    rows, handles = [], []
    counters: dict[int, int] = {}
    stack = [(model, 0)]
    while stack:  # pre-order, children in registration order
        m, d = stack.pop()
        counters[d] = counters.get(d, 0) + 1
        info = LayerInfo(m, d, counters[d])
        rows.append(info)

        def hook(mod, args, out, info=info):
            info.input_size = _shapes(args)
            info.output_size = _shapes(out)
            info.output_bytes = _bytes(out)
            info.mult_adds = _mult_adds(mod, out)

        handles.append(m.register_forward_hook(hook))
        stack.extend((c, d + 1) for c in reversed(list(m.children())))
    try:
        with ag.no_grad():
            model(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
    stats = ModelStatistics(rows, model, inputs, tuple(col_names), depth)
    if verbose:
        print(stats)
    return stats
