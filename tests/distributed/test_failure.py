"""A failing rank never hangs the job: an exception aborts every rank with the failing
rank's traceback; a rank that never joins a collective is named after the timeout;
debug mode reports shapes that differ across ranks."""

from __future__ import annotations


def test_exception_on_rank_1_aborts_the_job_with_its_traceback(run_mpi):
    job = run_mpi(3, "failure.py", "exception", timeout=60)
    assert job.returncode != 0
    assert job.seconds < 30
    assert "[rank 1] uncaught exception, aborting the job" in job.out
    assert "ValueError: rank 1 failed on purpose at step 3" in job.out
    assert 'failure.py", line' in job.out  # the traceback itself


def test_a_rank_that_never_joins_is_named_after_the_timeout(run_mpi):
    job = run_mpi(3, "failure.py", "timeout", env={"TEST_TIMEOUT": "2"}, timeout=60)
    assert job.returncode != 0 and job.seconds < 30
    # the first rank to fail ends the job, so the other may not get to print
    assert any((f"rank {r} caught: all_reduce (collective #2) timed out after 2 s on rank "
                f"{r} of 3: rank(s) [1] never joined it") in job.out for r in (0, 2)), job.out


def test_ranks_in_different_collectives_are_told_apart(run_mpi):
    job = run_mpi(3, "failure.py", "mismatch", env={"TEST_TIMEOUT": "2"}, timeout=60)
    assert job.returncode != 0, job.out
    assert ("rank 0 caught: all_reduce (collective #2) timed out" in job.out and
            "rank 2 is waiting in broadcast (collective #2)" in job.out) or (
        "rank 2 caught: broadcast (collective #2) timed out" in job.out and
        "rank 0 is waiting in all_reduce (collective #2)" in job.out), job.out


def test_debug_mode_reports_every_ranks_shape(run_mpi):
    job = run_mpi(3, "failure.py", "debug", env={"AUTOGRAD_DISTRIBUTED_DEBUG": "1"})
    assert job.returncode == 0, job.out
    want = ("all_reduce: tensor shapes or dtypes differ across ranks "
            "(AUTOGRAD_DISTRIBUTED_DEBUG=1): rank 0: (2,) float32, rank 1: (3,) float32, "
            "rank 2: (4,) float32")
    assert job.out.count(want) == 3 and job.out.count("done") == 3, job.out


def test_a_dead_rank_ends_the_job(run_mpi):
    job = run_mpi(3, "failure.py", "dead", timeout=60)
    assert job.returncode != 0 and job.seconds < 30
