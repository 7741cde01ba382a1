"""examples/train_digits.py: reaches >= 97% test accuracy, writes its plot and
checkpoints, and a resumed run ends with exactly the parameters of a straight one."""

from __future__ import annotations

import importlib.util
import os
import time

import numpy as np
import pytest

import autograd as ag

pytest.importorskip("sklearn")
pytest.importorskip("nn")

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "train_digits.py")


@pytest.fixture(scope="module")
def td():
    spec = importlib.util.spec_from_file_location("train_digits", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_default_run_reaches_97_percent(td, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    t0 = time.perf_counter()
    acc = td.main(["--out", str(tmp_path), "--no-progress"])
    elapsed = time.perf_counter() - t0
    assert acc >= 0.97, f"test accuracy {acc:.4f} < 0.97"
    out = capsys.readouterr().out
    assert "epoch  20/20" in out and "final test accuracy" in out
    assert (tmp_path / "training.png").stat().st_size > 1000
    ck = ag.load(tmp_path / "checkpoint.safetensors")
    assert ck["epoch"] == 20 and ck["seed"] == 0 and len(ck["history"]["test_acc"]) == 20
    assert set(ck["optimizer"]) == {"state", "param_groups"}
    assert elapsed < 30, f"the example took {elapsed:.1f} s"


def test_resume_is_exact(td, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    common = ["--no-progress", "--no-plot", "--seed", "3"]
    td.main(common + ["--epochs", "4", "--out", str(straight)])
    td.main(common + ["--epochs", "2", "--out", str(split)])
    ck = str(split / "checkpoint.safetensors")
    td.main(common + ["--epochs", "4", "--out", str(split), "--resume", ck])
    a = ag.load(straight / "checkpoint.safetensors")
    b = ag.load(split / "checkpoint.safetensors")
    assert a["epoch"] == b["epoch"] == 4
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key].numpy(), b["model"][key].numpy(),
                                      err_msg=key)
    for i, state in a["optimizer"]["state"].items():
        for name, value in state.items():
            np.testing.assert_array_equal(value.numpy(), b["optimizer"]["state"][i][name].numpy())
    assert a["history"] == b["history"]


def test_resume_with_another_seed_is_refused(td, tmp_path):
    td.main(["--epochs", "1", "--out", str(tmp_path), "--no-progress", "--no-plot"])
    with pytest.raises(SystemExit):
        td.main(["--epochs", "2", "--out", str(tmp_path), "--no-progress", "--no-plot",
                 "--seed", "5", "--resume", str(tmp_path / "checkpoint.safetensors")])


def test_compile_flag_gives_the_same_run(td, tmp_path):
    """--compile (ag.compile of the training step): the same parameters, optimizer state
    and history, bit for bit, as the uncompiled run."""
    runs = {}
    for flag in ([], ["--compile"]):
        out = tmp_path / (flag[0][2:] if flag else "plain")
        td.main(["--no-progress", "--no-plot", "--epochs", "2", "--out", str(out)] + flag)
        runs[bool(flag)] = ag.load(out / "checkpoint.safetensors")
    a, b = runs[False], runs[True]
    for key in a["model"]:
        assert a["model"][key].numpy().tobytes() == b["model"][key].numpy().tobytes(), key
    assert a["history"] == b["history"]
