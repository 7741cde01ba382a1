"""Thread-local grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    anomaly = False


# The core's own read of grad mode (one attribute load on every op's hot path). Code
# outside autograd reads it through is_grad_enabled() (autograd.extend); a test checks.
STATE = _State()


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread."""
    return STATE.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    mode = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self.mode
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording: ``with ag.no_grad(): ...`` or ``@ag.no_grad()``."""

    mode = False


class enable_grad(_GradMode):
    """Enable graph recording inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode`` for the block."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


# --- inference mode (ops helper) --------------------------------------------------------


class inference_mode(_GradMode):
    """``no_grad`` under PyTorch's inference-mode name: ``with ag.inference_mode():``,
    ``@ag.inference_mode()`` or ``@ag.inference_mode``; ``inference_mode(False)``
    leaves grad mode as it is. (This engine has no separate inference tensors: no graph
    is recorded, which is where the saving comes from.)"""

    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used bare as a decorator: mode is the function

    def __init__(self, mode: bool = True):
        self.enabled = bool(mode)

    def __enter__(self):
        self._prev = STATE.enabled
        if self.enabled:
            STATE.enabled = False
        return self

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    """Whether grad recording is off (inference mode and no_grad are one state here)."""
    return not STATE.enabled
