"""autograd.distributed collectives under ``mpiexec -n 2`` and ``-n 3``: every
collective, dtype and ReduceOp against NumPy (tests/distributed/programs/collectives.py)."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("n", [2, 3])
def test_every_collective_matches_numpy(run_mpi, n):
    job = run_mpi(n, "collectives.py")
    assert job.returncode == 0, job.out
    counts = re.findall(r"rank (\d+): (\d+) collective checks ok", job.out)
    assert sorted(int(r) for r, _ in counts) == list(range(n)), job.out
    assert len({c for _, c in counts}) == 1 and int(counts[0][1]) > 150


def test_nccl_transport_logic_on_the_cpu(run_mpi):
    """The NCCL transport's tables, counts and grouped calls, with a stand-in NCCL
    that performs each call through MPI on host arrays (no GPU here)."""
    job = run_mpi(2, "nccl_standin.py")
    assert job.returncode == 0, job.out
    assert job.out.count("nccl stand-in ok") == 2, job.out


@pytest.mark.parametrize("n", [2, 3])
def test_cuda_tensors_stage_through_the_host_or_go_to_nccl(run_mpi, n):
    """A stand-in "cuda" device: under MPI its arrays are staged through host copies
    (MPI never sees one); with a NCCL transport they reach NCCL as they are."""
    job = run_mpi(n, "staging.py")
    assert job.returncode == 0, job.out
    assert job.out.count("host staging ok") == n and job.out.count("nccl front end ok") == n
