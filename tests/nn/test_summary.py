"""nn.utils.summary: torchinfo's table, parameter counts equal sum(p.numel())."""

from __future__ import annotations

import autograd as ag
import nn


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))


def test_counts_shapes_and_table(capsys):
    model = _cnn()
    stats = nn.utils.summary(model, input_size=(2, 1, 8, 8))
    printed = capsys.readouterr().out
    total = sum(p.numel() for p in model.parameters())
    assert stats.total_params == total == 40 + 8 + 650
    assert stats.trainable_params == total
    rows = {r.class_name + str(r.depth_index): r for r in stats.summary_list}
    assert rows["Conv2d1"].output_size == [2, 4, 8, 8] and rows["Conv2d1"].num_params == 40
    assert rows["MaxPool2d4"].output_size == [2, 4, 4, 4]
    assert rows["Linear6"].output_size == [2, 10]
    assert "Layer (type:depth-idx)" in printed and "├─Conv2d: 1-1" in printed
    assert f"Total params: {total:,}" in printed
    assert "Params size (MB):" in printed and "Estimated Total Size (MB):" in printed
    # mult-adds: conv output numel * (C_in * kh * kw) + linear output numel * in_features
    assert stats.total_mult_adds == 2 * 4 * 8 * 8 * 9 + 2 * 10 * 64


def test_frozen_parameters_and_columns():
    model = _cnn()
    for p in model[0].parameters():
        p.requires_grad_(False)
    stats = nn.utils.summary(model, input_data=ag.randn(3, 1, 8, 8), verbose=0,
                             col_names=("input_size", "output_size", "num_params",
                                        "kernel_size", "trainable"))
    assert stats.trainable_params == stats.total_params - 40
    text = str(stats)
    assert "Non-trainable params: 40" in text and "Kernel Shape" in text
    conv = stats.summary_list[1]
    assert conv.trainable == "False" and conv.kernel_size == [3, 3]
    assert conv.input_size == [3, 1, 8, 8]


def test_nested_modules_and_integer_inputs():
    model = nn.Sequential(nn.Embedding(10, 6),
                          nn.TransformerEncoder(nn.TransformerEncoderLayer(6, 2, 12,
                                                                           batch_first=True), 2))
    stats = nn.utils.summary(model, input_size=(2, 5), dtypes=[ag.int64], verbose=0, depth=2)
    assert stats.total_params == sum(p.numel() for p in model.parameters())
    assert sum(r.num_params for r in stats.summary_list) == stats.total_params
    assert "TransformerEncoderLayer: 3-1" not in str(stats)  # deeper than depth=2
    assert "ModuleList: 2-1" in str(stats)
