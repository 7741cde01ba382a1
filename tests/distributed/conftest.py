"""Launching MPI jobs from pytest: ``run_mpi(n, program, *args)`` runs
``mpiexec -n <n> python tests/distributed/programs/<program>`` under a hard timeout
(the whole process group is killed), so a hung job can never hang the test run."""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
from typing import NamedTuple

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a longer MPI job (deselect with -m 'not slow')")


def _mpiexec() -> str | None:
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


class Job(NamedTuple):
    returncode: int
    out: str  # stdout and stderr together
    seconds: float


@pytest.fixture
def run_mpi():
    pytest.importorskip("mpi4py", reason="the 'dist' extra (mpi4py, mpich) is not installed")
    exe = _mpiexec()
    if exe is None:
        pytest.skip("mpiexec not found (install the 'dist' extra: mpi4py and mpich)")

    def run(n: int, program: str, *args, env: dict | None = None,
            timeout: float = 60) -> Job:
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1",
                        NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                        MKL_NUM_THREADS="1", **(env or {}))
        full_env.pop("AUTOGRAD_DEVICE", None)
        cmd = [exe, "-n", str(n), sys.executable, str(PROGRAMS / program), *map(str, args)]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=full_env, cwd=ROOT, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            pytest.fail(f"mpiexec -n {n} {program} did not finish in {timeout} s; "
                        f"output:\n{out}")
        return Job(proc.returncode, out, time.monotonic() - start)

    return run
