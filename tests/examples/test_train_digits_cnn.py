"""examples/train_digits_cnn.py: reaches >= 98% test accuracy, and a run stopped with
--stop-after and resumed ends with exactly the parameters, BatchNorm buffers and
scheduler state of a straight run."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import autograd as ag

pytest.importorskip("sklearn")

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture(scope="module")
def cnn():
    sys.path.insert(0, EXAMPLES)  # the CNN example reuses train_digits' fit and data
    try:
        spec = importlib.util.spec_from_file_location(
            "train_digits_cnn", os.path.join(EXAMPLES, "train_digits_cnn.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(EXAMPLES)
    return mod


def test_default_run_reaches_98_percent(cnn, tmp_path):
    acc = cnn.main(["--out", str(tmp_path), "--no-progress", "--no-plot"])
    assert acc >= 0.98, f"test accuracy {acc:.4f} < 0.98"


def test_stop_and_resume_is_exact(cnn, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    common = ["--no-progress", "--no-plot", "--epochs", "3", "--width", "8"]
    cnn.main(common + ["--out", str(straight)])
    cnn.main(common + ["--out", str(split), "--stop-after", "1"])
    cnn.main(common + ["--out", str(split), "--resume", str(split / "checkpoint.safetensors")])
    a = ag.load(straight / "checkpoint.safetensors")
    b = ag.load(split / "checkpoint.safetensors")
    assert a["epoch"] == b["epoch"] == 3
    for key in a["model"]:  # parameters and BatchNorm running statistics
        np.testing.assert_array_equal(a["model"][key].numpy(), b["model"][key].numpy(),
                                      err_msg=key)
    assert a["scheduler"] == b["scheduler"] and a["history"] == b["history"]


def test_compile_flag_gives_the_same_run(cnn, tmp_path):
    """--compile: BatchNorm, dropout, the cosine schedule between epochs, the last short
    batch of each epoch (a second signature): the same parameters and buffers, bit for
    bit, as the uncompiled run."""
    runs = {}
    for flag in ([], ["--compile"]):
        out = tmp_path / (flag[0][2:] if flag else "plain")
        cnn.main(["--no-progress", "--no-plot", "--epochs", "2", "--width", "8", "--out",
                  str(out)] + flag)
        runs[bool(flag)] = ag.load(out / "checkpoint.safetensors")
    a, b = runs[False], runs[True]
    for key in a["model"]:
        assert a["model"][key].numpy().tobytes() == b["model"][key].numpy().tobytes(), key
    assert a["history"] == b["history"]
