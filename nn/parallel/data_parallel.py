"""``nn.DataParallel``: PyTorch's single-process wrapper, on the one device in use.

PyTorch's ``DataParallel`` splits each batch over the GPUs of ``device_ids``, runs a
replica of the module on each and gathers the outputs on ``output_device``; with no GPU
or a single device it simply calls the module. This engine runs on one GPU at a time
(CuPy's current device), so it supports exactly that case, with PyTorch's attribute and
``state_dict`` layout (parameters under ``module.``); several devices raise and point
to ``DistributedDataParallel`` (one process per GPU), which PyTorch recommends too.
"""

from __future__ import annotations

from ..module import Module


class DataParallel(Module):
    """Wrap ``module``; ``forward`` calls it on the device it lives on.

    device_ids: None, or a list of at most one device (an int or ``"cuda:N"``).
    output_device, dim: accepted as PyTorch's (one device: nothing to gather).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module, got {type(module).__name__}")
        ids = list(device_ids) if device_ids is not None else []
        if len(ids) > 1:
            raise NotImplementedError(
                f"DataParallel over {len(ids)} devices ({ids}): this engine runs one GPU per "
                "process; use nn.parallel.DistributedDataParallel with one process per GPU "
                "(mpiexec -n N ...), as PyTorch also recommends")
        self.module = module
        self.device_ids = ids
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
