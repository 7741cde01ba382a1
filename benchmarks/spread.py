"""Min / median / max of repeated ``benchmarks.perf`` runs, as a Markdown table.

A single run on a shared machine is one sample; the figures in ``RESULTS.md`` and the
README come from several runs of the same command, summarised here with their spread:

    for i in 1 2 3; do python -m benchmarks.perf --json perf$i.json; done
    python -m benchmarks.spread perf1.json perf2.json perf3.json

Each row gives our time and, for every reference, the ratio reference/ours (above 1:
this engine is faster) as ``median (min-max)`` over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys


def _fmt(values: list[float], ratio: bool) -> str:
    if not values:
        return "-"
    mid, lo, hi = statistics.median(values), min(values), max(values)
    f = (lambda v: f"{v:.2f}x") if ratio else (lambda v: f"{v:.3g}")
    return f(mid) if len(values) == 1 else f"{f(mid)} ({f(lo)}-{f(hi)})"


def summarize(runs: list[dict]) -> str:
    """The table for the rows of ``runs`` (perf's JSON objects), in their first order."""
    order, table = [], {}
    for run in runs:
        for row in run["rows"]:
            key = (row["suite"], row["workload"])
            if key not in table:
                order.append(key)
                table[key] = {"unit": row["unit"], "ours": [], "refs": {}}
            entry = table[key]
            if row["ours"] is not None:
                entry["ours"].append(row["ours"])
            for ref, t in row["refs"].items():
                if t is not None and row["ours"]:
                    entry["refs"].setdefault(ref, []).append(t / row["ours"])
    refs = sorted({r for e in table.values() for r in e["refs"]})
    head = ["suite", "workload", "unit", f"ours (median, min-max of {len(runs)})"]
    head += [f"{r}/ours" for r in refs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in order:
        e = table[key]
        cells = [key[0], key[1], e["unit"], _fmt(e["ours"], False)]
        cells += [_fmt(e["refs"].get(r, []), True) for r in refs]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", help="JSON files written by benchmarks.perf --json")
    args = p.parse_args(argv)
    runs = []
    for path in args.files:
        with open(path) as f:
            runs.append(json.load(f))
    print(summarize(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
