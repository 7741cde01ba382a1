"""``autograd.utils``: PyTorch's ``torch.utils`` paths (``autograd.utils.data``)."""

import importlib


def __getattr__(name):
    # imported on first use: autograd.data itself imports this package's samplers
    if name == "data":
        return importlib.import_module(".data", __name__)
    raise AttributeError(f"module 'autograd.utils' has no attribute {name!r}")
