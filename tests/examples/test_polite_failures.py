"""Issue 16, point 7: a bad --resume file or count ends an example with one line and a
non-zero exit status, never a traceback."""

from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys

import pytest

import autograd as ag

pytest.importorskip("nn")
HERE = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _module(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _bad_files(tmp_path) -> dict:
    good = tmp_path / "good.safetensors"
    ag.save({"model": {"w": ag.ones(3)}, "optimizer": {}, "epoch": 1, "step": 1, "seed": 0,
             "model_kind": "transformer", "history": {}, "rng_state": {}}, good)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:-7])
    foreign = tmp_path / "model.pt"
    foreign.write_bytes(pickle.dumps({"state": [1, 2]}))
    plain = tmp_path / "plain.safetensors"
    ag.save({"weights": ag.ones(2)}, plain)
    return {"missing": (tmp_path / "nope.safetensors", "no such file"),
            "directory": (tmp_path, "is a directory"),
            "truncated": (truncated, "truncated"),
            "foreign": (foreign, "pickle"),
            "not ours": (plain, "not a checkpoint of this example"),
            "other model": (good, "does not match")}


def _one_line_exit(run, argv, problem):
    with pytest.raises(SystemExit) as info:
        run(argv)
    message = info.value.code
    assert isinstance(message, str) and "\n" not in message, message
    assert problem in message, message


@pytest.mark.parametrize("case", ["missing", "directory", "truncated", "foreign",
                                  "not ours", "other model"])
def test_train_digits_bad_resume(tmp_path, case):
    pytest.importorskip("sklearn")
    td = _module("train_digits")
    path, problem = _bad_files(tmp_path)[case]
    _one_line_exit(td.main, ["--out", str(tmp_path / "out"), "--no-progress", "--no-plot",
                             "--resume", str(path)], problem)


@pytest.mark.parametrize("case", ["missing", "truncated", "not ours"])
def test_char_lm_bad_resume(tmp_path, case):
    lm = _module("char_lm")
    path, problem = _bad_files(tmp_path)[case]
    _one_line_exit(lm.main, ["--out", str(tmp_path / "out"), "--no-progress", "--no-plot",
                             "--resume", str(path)], problem)


def test_zero_counts_are_refused(tmp_path):
    pytest.importorskip("sklearn")
    for name, flag in [("train_digits", "--epochs"), ("train_digits_cnn", "--epochs"),
                       ("char_lm", "--steps")]:
        _one_line_exit(_module(name).main, ["--out", str(tmp_path), "--no-progress",
                                            "--no-plot", flag, "0"], "must be at least 1")


def test_the_process_prints_one_line_and_no_traceback(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, os.path.join(HERE, "char_lm.py"), "--out",
                           str(tmp_path), "--resume", str(tmp_path / "missing.safetensors")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "no such file" in proc.stderr
