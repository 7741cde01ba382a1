"""What the examples share to fail politely: a bad ``--resume`` file or a bad count ends
the program with one line on stderr and exit status 1, never a traceback."""

from __future__ import annotations

import os

import autograd as ag


def fail(message: str):
    """End the program with ``message`` as its one line of output (exit status 1)."""
    raise SystemExit(message)


def check_positive(**counts: int) -> None:
    """``check_positive(epochs=0)`` fails with "--epochs 0: must be at least 1"."""
    for name, value in counts.items():
        if value < 1:
            fail(f"--{name.replace('_', '-')} {value}: must be at least 1")


def load_resume(path: str, device, keys: tuple, model=None) -> dict:
    """The checkpoint at ``--resume path``, loaded onto ``device`` and checked to hold
    ``keys`` and, given ``model``, parameters of its names and shapes; anything else
    (missing, a directory, truncated, foreign, another model) fails with one line."""
    where = f"--resume {path}"
    if os.path.isdir(path):
        fail(f"{where}: is a directory, not a checkpoint file")
    if not os.path.exists(path):
        fail(f"{where}: no such file")
    try:
        ckpt = ag.load(path, map_location=device)
    except (ag.CheckpointError, OSError) as exc:
        fail(f"{where}: {exc}")
    missing = [k for k in keys if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        fail(f"{where}: not a checkpoint of this example (it lacks {', '.join(missing)})")
    if model is not None:
        ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        saved = ckpt["model"]
        theirs = ({k: tuple(getattr(v, "shape", ())) for k, v in saved.items()}
                  if isinstance(saved, dict) else {})
        if theirs != ours:
            diff = sorted(set(ours.items()) ^ set(theirs.items()))[:2]
            fail(f"{where}: its model does not match this one (saved with other options?); "
                 f"first differences: {diff}")
    return ckpt
