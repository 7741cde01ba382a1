"""benchmarks/reliability.py runs, small: a short soak and two kill -9 saves."""

from __future__ import annotations

import os

import pytest

from benchmarks import reliability

pytest.importorskip("nn")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc")
def test_soak_runs(capsys):
    reliability.main(["soak", "--steps", "20", "--every", "5"])
    assert "20 steps in" in capsys.readouterr().out


@pytest.mark.skipif(os.name != "posix" or not os.path.exists("/proc/self/statm"),
                    reason="SIGKILL and /proc")
def test_kill9_saves_leave_a_loadable_file(capsys):
    reliability.main(["kill9", "--mb", "2", "--kills", "2"])
    out = capsys.readouterr().out
    assert "loaded 2/2 times" in out and "after the next save: 0" in out
