"""nn.parallel: data parallelism in one process (``DataParallel``, one device) and across
processes (``DistributedDataParallel``)."""

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
