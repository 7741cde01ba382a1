"""benchmarks.spread: the min/median/max summary of repeated perf runs."""

from benchmarks import spread


def _run(ours, torch):
    return {"rows": [{"suite": "mlp", "workload": "step", "unit": "ms", "ours": ours,
                      "refs": {"numpy": None, "torch": torch}, "notes": {}}]}


def test_median_and_range_of_times_and_ratios():
    table = spread.summarize([_run(2.0, 4.0), _run(4.0, 4.0), _run(3.0, 9.0)])
    row = table.splitlines()[-1]
    assert "| mlp | step | ms | 3 (2-4) |" in row
    # ratios torch/ours: 2.0, 1.0, 3.0 -> median 2.00x, range 1.00x-3.00x
    assert row.endswith("| 2.00x (1.00x-3.00x) |")
    assert "numpy/ours" not in table  # a reference skipped in every run gets no column


def test_one_run_has_no_range():
    assert spread.summarize([_run(2.0, 3.0)]).splitlines()[-1].endswith("| 2 | 1.50x |")
