"""Anomaly mode: record where each op was created and name the op whose backward
produced NaN or inf."""

from __future__ import annotations

from .grad_mode import STATE


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
