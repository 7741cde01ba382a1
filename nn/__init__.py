"""Neural-network layers built on autograd's differentiable ops (PyTorch's names).

Each file owns one family of layers and lists its public names in ``__all__``.
"""

from . import functional, init, parallel, utils  # noqa: F401  (parallel: dist)
from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .containers import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .embedding import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import *  # noqa: F403
from .normalization import *  # noqa: F403
from .parameter import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sync_batchnorm import *  # noqa: F403  (dist)
from .transformer import *  # noqa: F403

# isort: split
# layers of issue 12
from .distance import *  # noqa: F403
from .embedding_bag import *  # noqa: F403
from .fold import *  # noqa: F403
from .loss_extra import *  # noqa: F403
from .padding import *  # noqa: F403
from .vision import *  # noqa: F403

# isort: split
from .parallel import DataParallel  # noqa: F401  (nn.DataParallel, as PyTorch)

# isort: split
# the op registry: nn hands its provider modules to autograd.testing (no upward import)
from . import testing  # noqa: F401

# isort: split
# interop (issue 15): the nn layers' ONNX mappings join autograd.onnx's table
from . import onnx_symbolics  # noqa: F401
