"""--tensorboard DIR in the digits examples writes an event file TensorBoard reads: the
records are parsed back here with tensorboardX's own protobuf classes."""

from __future__ import annotations

import importlib.util
import os
import struct

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
from tensorboardX.proto import event_pb2  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "train_digits.py")


def _events(logdir):
    """Every Event in the TFRecord files of ``logdir`` (length, crc, data, crc)."""
    out = []
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            (n,) = struct.unpack("<Q", data[pos:pos + 8])
            ev = event_pb2.Event()
            ev.ParseFromString(data[pos + 12:pos + 12 + n])
            out.append(ev)
            pos += 12 + n + 4
    return out


def test_tensorboard_logs_loss_accuracy_lr_and_histograms(tmp_path):
    spec = importlib.util.spec_from_file_location("train_digits", EXAMPLE)
    td = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(td)
    logdir = tmp_path / "tb"
    td.main(["--epochs", "2", "--hidden", "16", "--no-progress", "--no-plot",
             "--out", str(tmp_path / "run"), "--tensorboard", str(logdir)])
    events = _events(str(logdir))
    scalars, histos = {}, {}
    for ev in events:
        for v in ev.summary.value:
            if v.HasField("histo"):
                histos.setdefault(v.tag, []).append((ev.step, v.histo))
            else:
                scalars.setdefault(v.tag, []).append((ev.step, v.simple_value))
    assert set(scalars) == {"loss/train", "accuracy/train", "accuracy/test", "lr"}
    assert [s for s, _ in scalars["loss/train"]] == [1, 2]
    assert all(0.0 <= a <= 1.0 for _, a in scalars["accuracy/test"])
    assert scalars["lr"][0][1] == pytest.approx(2e-3)
    assert set(histos) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert histos["0.weight"][0][1].num == 64 * 16
