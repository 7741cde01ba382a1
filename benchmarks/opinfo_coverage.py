"""How many of PyTorch's OpInfo names (the ops its own test suite covers) this project has.

    python -m benchmarks.opinfo_coverage [--missing]

Needs PyTorch (and its test helper ``expecttest``); reads
``torch.testing._internal.common_methods_invocations.op_db``. A name counts as present
when it resolves: ``X`` as ``autograd.X`` or ``Tensor.X``, ``linalg.X`` / ``special.X``
/ ``fft.X`` under ``autograd``, ``nn.functional.X`` as ``nn.functional.X``.
"""

from __future__ import annotations

import argparse
import sys


def has(name: str) -> bool:
    """Whether ``name`` (an OpInfo name such as ``"linalg.norm"``) resolves here."""
    import autograd as ag
    import nn.functional as F

    parts = name.split(".")
    if parts[:2] == ["nn", "functional"]:
        return len(parts) == 3 and hasattr(F, parts[2])
    obj = ag
    for p in parts:
        if not hasattr(obj, p):
            return len(parts) == 1 and hasattr(ag.Tensor, name)
        obj = getattr(obj, p)
    return True


def coverage(names) -> tuple[list[str], list[str]]:
    """``(present, missing)`` among the distinct ``names``."""
    names = sorted(set(names))
    present = [n for n in names if has(n)]
    return present, [n for n in names if n not in set(present)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missing", action="store_true", help="list the missing names")
    args = parser.parse_args(argv)
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except ImportError as exc:
        print(f"opinfo_coverage: needs PyTorch and expecttest ({exc})", file=sys.stderr)
        return 2
    present, missing = coverage(op.name for op in op_db)
    total = len(present) + len(missing)
    print(f"OpInfo coverage: {len(present)} of {total} op_db names "
          f"({100 * len(present) / total:.0f}%; {len(op_db)} entries)")
    if args.missing:
        print("missing: " + " ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
