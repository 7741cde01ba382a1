"""autograd.onnx.export: the examples' models and each layer family pass onnx.checker and
ONNX Runtime's outputs equal the engine's (1e-5), also at a batch size other than the
traced one with dynamic_axes; ops without a mapping and size-dependent constants raise."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.onnx import OnnxExportError

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
DYN = {"input": {0: "batch"}, "output": {0: "batch"}}


def _example(name):
    sys.path.insert(0, os.path.abspath(EXAMPLES))  # the CNN example imports train_digits
    try:
        spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.pop(0)
    return mod


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _check(model, inputs, path, others=(), dynamic_axes=None, atol=1e-5, **kw):
    """Export, then compare ONNX Runtime with the engine on ``inputs`` and ``others``."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    names = ["input"] + [f"input_{i}" for i in range(1, len(inputs))]
    proto = ag.onnx.export(model, inputs, str(path), input_names=names,
                           dynamic_axes=dynamic_axes, **kw)
    onnx.checker.check_model(onnx.load(str(path)))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model_eval = model.eval() if hasattr(model, "eval") else model
    for xs in [inputs] + [o if isinstance(o, tuple) else (o,) for o in others]:
        with ag.no_grad():
            want = _first(model_eval(*xs)).numpy()
        got = sess.run(None, {n: x.numpy() for n, x in zip(names, xs)})[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol)
    return proto


def _op_types(proto):
    return {n.op_type for n in proto.graph.node}


@pytest.fixture(autouse=True)
def _seed():
    ag.manual_seed(0)


def test_digits_mlp(tmp_path):
    td = _example("train_digits")
    model = td.make_model([128, 64])
    proto = _check(model, ag.randn(32, 64), tmp_path / "mlp.onnx",
                   others=[ag.randn(7, 64)], dynamic_axes=DYN)
    assert _op_types(proto) == {"Gemm", "Relu", "Identity"}
    assert {i.name for i in proto.graph.initializer} == {
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    dim = proto.graph.input[0].type.tensor_type.shape.dim
    assert dim[0].dim_param == "batch" and dim[1].dim_value == 64


def _randomise_batchnorm(model):
    rng = np.random.default_rng(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            m.running_mean.array[:] = rng.normal(size=m.running_mean.shape)
            m.running_var.array[:] = rng.uniform(0.5, 2.0, size=m.running_var.shape)
            m.weight.array[:] = rng.normal(size=m.weight.shape)


def test_digits_cnn_with_batchnorm_and_dropout_in_eval(tmp_path):
    tc = _example("train_digits_cnn")
    model = tc.make_model()
    _randomise_batchnorm(model)
    model.train()  # export puts it in eval mode and restores training after
    ag.onnx.export(model, ag.randn(2, 1, 8, 8), str(tmp_path / "first.onnx"))
    assert model.training
    proto = _check(model, ag.randn(16, 1, 8, 8), tmp_path / "cnn.onnx",
                   others=[ag.randn(5, 1, 8, 8)], dynamic_axes=DYN)
    ops = _op_types(proto)
    assert "Conv" in ops and "MaxPool" in ops and "Gemm" in ops
    convs = [n for n in proto.graph.node if n.op_type == "Conv"]
    assert [n.input[1] for n in convs] == ["0.weight", "4.weight"]  # one Conv per layer


def test_char_lm_transformer(tmp_path):
    lm = _example("char_lm")
    model = lm.make_model("transformer", 40, 16)
    idx = ag.randint(0, 40, (4, 16))
    proto = _check(model, idx, tmp_path / "lm.onnx", others=[ag.randint(0, 40, (9, 16))],
                   dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                   output_names=["output"])
    assert {"Gather", "Softmax", "MatMul", "Where"} <= _op_types(proto)


def test_char_lm_transformer_opset_18(tmp_path):
    lm = _example("char_lm")
    model = lm.make_model("transformer", 20, 8)
    proto = _check(model, ag.randint(0, 20, (2, 8)), tmp_path / "lm18.onnx",
                   others=[ag.randint(0, 20, (3, 8))], dynamic_axes=DYN, opset_version=18)
    assert proto.opset_import[0].version == 18


@pytest.mark.parametrize("layer", [
    nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.SELU(), nn.GELU(), nn.GELU("tanh"),
    nn.SiLU(), nn.Sigmoid(), nn.Tanh(), nn.Softplus(beta=2.0, threshold=5.0),
    nn.Softmax(dim=-1),
], ids=lambda m: type(m).__name__)
def test_activations(tmp_path, layer):
    x = ag.randn(6, 5) * 3.0
    _check(nn.Sequential(nn.Linear(5, 5), layer), x, tmp_path / "act.onnx",
           others=[ag.randn(2, 5) * 3.0], dynamic_axes=DYN)


def test_gelu_opset_20_uses_the_gelu_node(tmp_path):
    proto = _check(nn.Sequential(nn.GELU()), ag.randn(3, 4), tmp_path / "g.onnx",
                   opset_version=20)
    assert "Gelu" in _op_types(proto)


def test_conv1d_pools_and_norms(tmp_path):
    model = nn.Sequential(
        nn.Conv1d(3, 8, 3, padding=1), nn.BatchNorm1d(8), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(8, 4, 3, stride=2, dilation=1), nn.AvgPool1d(2), nn.Flatten(),
        nn.LayerNorm(4 * 2), nn.Dropout(0.5), nn.Linear(8, 3))
    _randomise_batchnorm(model)
    _check(model, ag.randn(5, 3, 20), tmp_path / "c1.onnx", others=[ag.randn(2, 3, 20)],
           dynamic_axes=DYN)


def test_conv2d_variants_and_avg_pool(tmp_path):
    model = nn.Sequential(
        nn.Conv2d(2, 6, 3, stride=2, padding=1, bias=False), nn.AvgPool2d(2, ceil_mode=True),
        nn.Conv2d(6, 4, (1, 3), groups=2, padding="same"), nn.MaxPool2d(2, ceil_mode=True),
        nn.Flatten())
    _check(model, ag.randn(3, 2, 13, 11), tmp_path / "c2.onnx", others=[ag.randn(1, 2, 13, 11)],
           dynamic_axes=DYN)


def test_embedding_and_multihead_attention(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(11, 8, padding_idx=0)
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, idx):
            x = self.emb(idx)
            out, weights = self.attn(x, x, x)
            return out, weights

    _check(Net(), ag.randint(0, 11, (3, 5)), tmp_path / "mha.onnx",
           others=[ag.randint(0, 11, (6, 5))], dynamic_axes=DYN)


def test_transformer_encoder_sequence_first_with_dynamic_batch(tmp_path):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, activation="gelu")
    model = nn.TransformerEncoder(layer, 2)
    dyn = {"input": {1: "batch"}, "output": {1: "batch"}}
    _check(model, ag.randn(5, 3, 8), tmp_path / "enc.onnx", others=[ag.randn(5, 7, 8)],
           dynamic_axes=dyn)


def test_tensor_ops_through_a_function(tmp_path):
    def f(x, y):
        z = ag.cat([x, y], dim=1)[:, 1:, None] * 2.0 - 1.0
        a, b = ag.split(z, [2, 3], dim=1)
        m = ag.maximum(a.sum(1, keepdim=True), b.mean(1, keepdim=True))
        return (ag.pad(m, (1, 1)).clamp(min=-0.5).exp().log1p()
                + ag.logsumexp(z, 1, keepdim=True)).permute(0, 2, 1).sqrt().abs()

    x, y = ag.randn(4, 2), ag.randn(4, 4)
    proto = _check(f, (x, y), tmp_path / "f.onnx", others=[(ag.randn(2, 2), ag.randn(2, 4))],
                   dynamic_axes={"input": [0], "input_1": [0]})
    assert proto.graph.input[1].type.tensor_type.shape.dim[0].dim_param == "input_1_dim_0"


def test_an_op_without_a_mapping_is_named(tmp_path):
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            raise NotImplementedError

    with pytest.raises(OnnxExportError, match=r"no ONNX mapping for op Cube"):
        ag.onnx.export(lambda x: Cube.apply(x) + 1.0, ag.randn(2), str(tmp_path / "x.onnx"))


def test_a_registered_mapping_is_used(tmp_path):
    class Twice(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    @ag.onnx.register(Twice)
    def _twice(g, node):
        return g.op("Add", g.input(node, 0), g.input(node, 0))

    try:
        _check(lambda x: Twice.apply(x), ag.randn(3), tmp_path / "t.onnx")
    finally:
        del ag.onnx.SYMBOLICS[Twice]


def test_a_constant_that_follows_a_dynamic_axis_raises(tmp_path):
    def f(x):
        return x + ag.ones(x.shape[0], 1)  # made from the size, not from x: not traceable

    with pytest.raises(OnnxExportError, match="dynamic axis"):
        ag.onnx.export(f, ag.randn(4, 3), str(tmp_path / "c.onnx"), dynamic_axes=DYN)
    _check(f, ag.randn(4, 3), tmp_path / "static.onnx")  # fine at a fixed size


def test_writes_to_a_file_object(tmp_path):
    import io

    buf = io.BytesIO()
    ag.onnx.export(nn.Linear(3, 2), ag.randn(1, 3), buf)
    assert onnx.load_from_string(buf.getvalue()).graph.node[0].op_type == "Gemm"


def test_more_tensor_ops_and_attention_function(tmp_path):
    import nn.functional as F

    def f(q):
        att = F.scaled_dot_product_attention(q, q, q, is_causal=True)  # (B, H, L, E)
        return (att.max(-1).values.unsqueeze(-1) + att.std(-1, keepdim=True)
                + att.cumsum(2) + F.log_softmax(att, dim=-1).min(1, keepdim=True).values)

    _check(f, ag.randn(2, 3, 4, 8), tmp_path / "m.onnx", others=[ag.randn(5, 3, 4, 8)],
           dynamic_axes=DYN)


def test_untraced_outputs_and_size_bound_models_raise(tmp_path):
    with pytest.raises(OnnxExportError, match="output 1 .* not computed from the inputs"):
        ag.onnx.export(lambda x: x.max(1), ag.randn(3, 4), str(tmp_path / "i.onnx"))
    with pytest.raises(OnnxExportError, match="traced a second time .* a size is fixed"):
        ag.onnx.export(lambda x: x[:, :1].expand(2, 5), ag.randn(2, 5),
                       str(tmp_path / "e.onnx"), dynamic_axes=DYN)
    with pytest.raises(OnnxExportError, match="split along axis 0"):
        ag.onnx.export(lambda x: x.chunk(2, dim=0)[0], ag.randn(4, 3),
                       str(tmp_path / "s.onnx"), dynamic_axes=DYN)
