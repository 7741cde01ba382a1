"""examples/char_lm.py: a few training steps of each model, its outputs, exact resume."""

from __future__ import annotations

import importlib.util
import math
import os

import numpy as np
import pytest

import autograd as ag

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "char_lm.py")
TINY = ["--batch-size", "8", "--block", "32", "--no-progress", "--sample-chars", "20"]


@pytest.fixture(scope="module")
def lm():
    spec = importlib.util.spec_from_file_location("char_lm", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_data_windows_and_baseline(lm):
    data = lm.CharData(lm.load_text())
    assert len(data.train) > 300_000 and 50 < data.vocab_size < 200
    x, y = data.batch("train", np.random.default_rng(0), 4, 16)
    assert x.shape == y.shape == (4, 16)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # targets are the next characters
    assert data.decode(data.encode("def f(x):")) == "def f(x):"
    h = data.unigram_entropy()
    assert 2.0 < h < math.log(data.vocab_size)


def test_transformer_trains_and_writes_outputs(lm, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    res = lm.main(TINY + ["--steps", "8", "--eval-every", "4", "--out", str(tmp_path)])
    train = res["history"]["train"]
    assert len(train) == 8 and np.mean(train[-2:]) < train[0] - 0.3
    assert res["val_loss"] < math.log(103) and np.isfinite(res["baseline"])
    assert len(res["sample"]) == len("The ") + 20
    out = capsys.readouterr().out
    assert "validation loss" in out and "unigram baseline" in out and "--- sample ---" in out
    assert (tmp_path / "loss.png").stat().st_size > 1000
    ck = ag.load(tmp_path / "checkpoint.safetensors")
    assert ck["step"] == 8 and ck["model_kind"] == "transformer"
    assert ck["history"]["val_step"] == [4, 8]


def test_lstm_runs(lm, tmp_path):
    res = lm.main(TINY + ["--model", "lstm", "--steps", "3", "--out", str(tmp_path),
                          "--no-plot"])
    assert len(res["history"]["train"]) == 3 and np.isfinite(res["val_loss"])


def test_resume_matches_straight_run(lm, tmp_path):
    common = TINY + ["--no-plot", "--sample-chars", "0", "--eval-every", "2", "--seed", "3"]
    straight, split = tmp_path / "a", tmp_path / "b"
    a = lm.main(common + ["--steps", "4", "--out", str(straight)])
    lm.main(common + ["--steps", "2", "--out", str(split)])
    b = lm.main(common + ["--steps", "4", "--out", str(split), "--resume",
                          str(split / "checkpoint.safetensors")])
    np.testing.assert_allclose(b["history"]["train"], a["history"]["train"], rtol=1e-6)
    pa = ag.load(straight / "checkpoint.safetensors")["model"]
    pb = ag.load(split / "checkpoint.safetensors")["model"]
    for k in pa:
        np.testing.assert_allclose(pb[k].numpy(), pa[k].numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=k)


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_compile_flag_gives_the_same_losses(lm, tmp_path, model):
    """--compile (ag.compile of the step, gradient clipping included): the same training
    losses and validation loss, bit for bit, as the uncompiled run."""
    res = [lm.main(TINY + ["--model", model, "--steps", "4", "--eval-every", "2", "--out",
                           str(tmp_path / str(i)), "--no-plot"] + flag)
           for i, flag in enumerate(([], ["--compile"]))]
    assert res[0]["history"] == res[1]["history"]
    assert res[0]["val_loss"] == res[1]["val_loss"]
