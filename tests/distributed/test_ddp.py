"""DistributedDataParallel, SyncBatchNorm and DistributedSampler under mpiexec: 20 steps
of DDP training equal single-process training on the combined batch (float64, 1e-10)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("mode,says", [
    ("mlp", "MLP, 20 steps"),
    ("cnn", "CNN with SyncBatchNorm, 20 steps"),
])
def test_ddp_equals_single_process_training(run_mpi, n, mode, says):
    job = run_mpi(n, "ddp.py", mode)
    assert job.returncode == 0, job.out
    assert job.out.count(says) == n, job.out


@pytest.mark.parametrize("mode,says", [
    ("no_sync", "no_sync accumulation over 3 micro-batches equal"),
    ("unused", "find_unused_parameters ok"),
    ("sampler", "DistributedSampler ok"),
])
def test_ddp_options_on_three_ranks(run_mpi, mode, says):
    job = run_mpi(3, "ddp.py", mode)
    assert job.returncode == 0, job.out
    assert job.out.count(says) == 3, job.out


@pytest.mark.parametrize("n", [2, 3])
def test_zero_redundancy_optimizer_equals_plain_adam(run_mpi, n):
    job = run_mpi(n, "zero.py")
    assert job.returncode == 0, job.out
    assert job.out.count("ZeroRedundancyOptimizer ok") == n, job.out
