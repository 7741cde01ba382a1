"""Functional forms of the layers: ``import nn.functional as F``.

Each file owns one family and lists its public names in ``__all__``.
"""

from autograd.ops import log_softmax, pad, relu, sigmoid, softmax, tanh  # noqa: F401

from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .embedding import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403

# isort: split
# layers of issue 12: distances, vision, padding, extra losses
from .distance import *  # noqa: F403
from .embedding_bag import *  # noqa: F403
from .loss_extra import *  # noqa: F403
from .vision import *  # noqa: F403
