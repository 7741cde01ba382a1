"""The digits examples with --distributed under mpiexec -n 2: rank 0 alone prints and
saves, and its checkpoint loads into the plain single-process model."""

from __future__ import annotations

import re
import sys

import pytest

import autograd as ag

from .conftest import ROOT


def _example(run_mpi, tmp_path, script, *args):
    job = run_mpi(2, f"../../../examples/{script}", "--distributed", "--no-progress",
                  "--no-plot", "--out", tmp_path, *args, timeout=240)
    assert job.returncode == 0, job.out
    assert len(re.findall(r"^epoch +1/", job.out, re.M)) == 1, job.out  # rank 0 only
    (acc,) = re.findall(r"final test accuracy: ([0-9.]+)", job.out)
    ckpt = ag.load(tmp_path / "checkpoint.safetensors")
    return float(acc), ckpt


def _plain_model(module_name, *args):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        module = __import__(module_name)
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return module.make_model(*args)


def test_mlp_example_trains_on_two_processes(run_mpi, tmp_path):
    pytest.importorskip("sklearn")
    acc, ckpt = _example(run_mpi, tmp_path, "train_digits.py", "--epochs", "3")
    assert acc > 0.85
    model = _plain_model("train_digits", [128, 64])
    model.load_state_dict(ckpt["model"])  # no "module." prefix: a plain checkpoint
    assert ckpt["epoch"] == 3 and len(ckpt["history"]["loss"]) == 3


@pytest.mark.slow
def test_cnn_example_with_sync_batchnorm_on_two_processes(run_mpi, tmp_path):
    pytest.importorskip("sklearn")
    acc, ckpt = _example(run_mpi, tmp_path, "train_digits_cnn.py", "--epochs", "1",
                         "--width", "8")
    assert acc > 0.6
    model = _plain_model("train_digits_cnn", 8)
    model.load_state_dict(ckpt["model"])
    assert int(ckpt["model"]["1.num_batches_tracked"].item()) > 0


@pytest.mark.slow
def test_dist_bench_allreduce_part_runs(run_mpi):
    job = run_mpi(2, "../../../benchmarks/dist_bench.py", "allreduce", timeout=240)
    assert job.returncode == 0, job.out
    assert job.out.count(" KB |") == 5 and job.out.count(" MB |") == 4, job.out
