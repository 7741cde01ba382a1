"""nn.utils: gradient clipping (clip_grad.py), sequence padding (rnn.py), model summaries
(summary.py)."""

from . import rnn  # noqa: F401
from .clip_grad import (  # noqa: F401
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)

# interop (issue 15): torchinfo-style model summaries
from .summary import summary  # noqa: E402, F401
