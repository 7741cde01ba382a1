"""Optimizers and learning-rate schedulers (PyTorch update rules).

    opt = optim.Adam(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    loss.backward(); opt.step(); opt.zero_grad(); sched.step()
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]

# isort: split
# optimizers of issue 12
from .adadelta import Adadelta  # noqa: E402
from .adamax import Adamax  # noqa: E402
from .asgd import ASGD  # noqa: E402
from .lbfgs import LBFGS  # noqa: E402
from .nadam import NAdam  # noqa: E402
from .radam import RAdam  # noqa: E402
from .rprop import Rprop  # noqa: E402

__all__ += ["Adadelta", "Adamax", "ASGD", "LBFGS", "NAdam", "RAdam", "Rprop"]

# isort: split
# data-parallel training (dist): optimizer state sharded across ranks
from .zero_redundancy import ZeroRedundancyOptimizer  # noqa: E402

__all__ += ["ZeroRedundancyOptimizer"]
