"""Anomaly mode: record where each op was created and name the op whose backward
produced NaN or inf."""

from __future__ import annotations

import os
import sys

from .grad_mode import STATE

# frames in these packages are the library's own; the first frame outside is the user's
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), pkg) + os.sep
    for pkg in ("autograd", "backends", "nn", "optim")
)


def user_place() -> str:
    """``file:line`` of the innermost caller outside this library (where a user's op
    or in-place change happened); recorded under detect_anomaly only."""
    f = sys._getframe(1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_LIBRARY_DIRS):
        f = f.f_back
    if f is None:
        return "(unknown place)"
    return f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno}"


class detect_anomaly:
    """``with ag.detect_anomaly(): loss.backward()`` raises ``AnomalyError`` naming the
    op (and the traceback of its creation) whose backward produced NaN/inf.
    Ops must be created inside the block for their creation site to be recorded."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = STATE.anomaly
        STATE.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        STATE.anomaly = self._prev
        return False


def is_anomaly_enabled() -> bool:
    return STATE.anomaly


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode: bool):
        super().__init__(mode)
