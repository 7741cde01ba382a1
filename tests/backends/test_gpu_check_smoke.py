"""benchmarks/gpu_check.py in its CPU smoke mode: the script's logic, run on NumPy on both
"devices", so a broken check is found here rather than on the one GPU run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autograd as ag
from autograd.testing import REGISTRY, OpInfo, make_tensor
from benchmarks import gpu_check


def test_smoke_run_passes_and_writes_json(tmp_path, capsys):
    path = tmp_path / "report.json"
    rc = gpu_check.main(["--device", "cpu", "--quick", "--limit", "6", "--json", str(path),
                         "--sections", "gradcheck,parity,kernels,training"])
    out = capsys.readouterr().out
    report = json.loads(path.read_text())
    bad = [c for c in report["checks"] if c["status"] in ("FAIL", "ERROR")]
    assert rc == 0, bad
    assert report["device"] == "cpu" and report["smoke"] is True and report["failed"] == 0
    sections = {c["section"] for c in report["checks"]}
    assert sections == {"gradcheck", "parity", "kernels", "training"}
    n_grad = sum(c["section"] == "gradcheck" for c in report["checks"])
    assert n_grad == 6
    assert any(c["name"].startswith("layer:") for c in report["checks"])
    assert out.rstrip().splitlines()[-1].startswith("OK:")  # the table is printed last


class _WrongGrad(ag.Function):
    """x * 2 with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g


def test_a_wrong_gradient_fails_the_run(tmp_path, monkeypatch):
    name = "zz_gpu_check_smoke/wrong_grad"

    def make(rng, dtype, device):
        return (make_tensor(rng, (3,), dtype, device),)

    monkeypatch.setitem(REGISTRY, name, OpInfo(name, _WrongGrad.apply, make,
                                               second_order=False))
    path = tmp_path / "r.json"
    rc = gpu_check.main(["--device", "cpu", "--only", name, "--json", str(path),
                         "--sections", "gradcheck,parity"])
    assert rc == 1
    checks = json.loads(path.read_text())["checks"]
    grad = [c for c in checks if c["section"] == "gradcheck"]
    assert [c["status"] for c in grad] == ["ERROR"]
    assert "GradcheckError" in grad[0]["detail"]


def test_parity_comparison_detects_a_difference():
    worst, bad = gpu_check._compare([("a", np.ones(3), np.ones(3)),
                                     ("b", np.array([1.0, 2.0]), np.array([1.0, 2.001]))],
                                    rtol=1e-4, atol=1e-5)
    assert bad == "b" and worst == pytest.approx(0.001 / 2.001, rel=1e-3)
    assert gpu_check.rel_err([np.nan, np.inf], [np.nan, np.inf], 1e-6) == 0.0


def test_report_goes_under_out_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OUT", str(tmp_path))
    assert gpu_check.main(["--device", "cpu", "--limit", "2", "--sections", "gradcheck"]) == 0
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert [c["section"] for c in report["checks"]] == ["gradcheck", "gradcheck"]
    assert "OK: 2 checks, 0 failed" in capsys.readouterr().out
