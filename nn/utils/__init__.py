"""nn.utils: gradient clipping (clip_grad.py) and sequence padding (rnn.py)."""

from . import rnn  # noqa: F401
