"""How many of PyTorch's OpInfo names (its test suite's op list, ``op_db``) this project has.

    PYTHONPATH=. python -m benchmarks.opinfo_coverage [--missing FAMILY ...]

A name counts when ``autograd`` has it (``linalg.inv`` as ``autograd.linalg.inv``,
``nn.functional.relu`` as ``nn.functional.relu``) or ``Tensor`` has it as a method. Needs
PyTorch installed (its op list is read, nothing of it is run).
"""

from __future__ import annotations

import argparse
from collections import Counter


def has(name: str) -> bool:
    """Whether the OpInfo name ``name`` (e.g. ``"linalg.norm"``) resolves here."""
    import autograd as ag

    root = name.split(".")[0]
    if root == "nn":
        import nn

        obj, parts = nn, name.split(".")[1:]
    else:
        obj, parts = ag, name.split(".")
    for part in parts:
        obj = getattr(obj, part, None)
        if obj is None:
            return hasattr(ag.Tensor, name) if "." not in name else False
    return True


def _family(name: str) -> str:
    return name.split(".")[0] if "." in name else "torch"


def coverage(names) -> tuple[list[str], list[str]]:
    """``(present, missing)``: the distinct ``names``, sorted, split by ``has``."""
    distinct = sorted(set(names))
    return [n for n in distinct if has(n)], [n for n in distinct if not has(n)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", nargs="*", default=(),
                        help="list the missing names of these families (torch, linalg, ...)")
    args = parser.parse_args(argv)
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except ImportError:
        print("opinfo_coverage: PyTorch is not installed; nothing to compare with")
        return 2
    names = sorted({op.name for op in op_db})
    total = Counter(_family(n) for n in names)
    have = Counter(_family(n) for n in names if has(n))
    print(f"{'family':<10} {'have':>5} {'of':>5}")
    for fam, n in total.most_common():
        print(f"{fam:<10} {have[fam]:>5} {n:>5}")
    print(f"{'all':<10} {sum(have.values()):>5} {len(names):>5} "
          f"({100 * sum(have.values()) / len(names):.0f}%)")
    for fam in args.missing:
        print(f"missing in {fam}: " + " ".join(n for n in names
                                                if _family(n) == fam and not has(n)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
