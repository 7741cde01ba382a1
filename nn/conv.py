"""Convolution layers ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` (PyTorch's parameters
and init)."""

from __future__ import annotations

import math

import autograd as ag
from autograd.tensor import Tensor

from . import functional as F
from . import init
from .functional.conv import _tuple
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]


class _ConvNd(Module):
    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not supported "
                                      "(only 'zeros')")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", name, 1)
        self.stride = _tuple(stride, nd, "stride", name, 1)
        self.dilation = _tuple(dilation, nd, "dilation", name, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple, "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, nd, "padding", name, 0)
        self.groups, self.padding_mode = groups, padding_mode
        shape = self._weight_shape(in_channels, out_channels, groups)
        self.weight = Parameter(ag.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ag.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _weight_shape(self, in_channels: int, out_channels: int, groups: int) -> tuple:
        return (out_channels, in_channels // groups) + self.kernel_size

    def reset_parameters(self) -> None:
        """kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        for the bias, fan_in = in_channels/groups * prod(kernel_size) (PyTorch's init)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else \
                f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation): (N, C_in, H, W) -> (N, C_out, OH, OW).

    weight: (out_channels, in_channels/groups, kh, kw); bias: (out_channels,).
    padding: int, (ph, pw), 'same' or 'valid'. See ``nn.functional.conv2d``.
    """

    _nd = 2

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation): (N, C_in, L) -> (N, C_out, OL).

    weight: (out_channels, in_channels/groups, k); bias: (out_channels,).
    """

    _nd = 1

    def forward(self, input: Tensor) -> Tensor:
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv3d(_ConvNd):
    """3-D convolution (cross-correlation): (N, C_in, D, H, W) -> (N, C_out, OD, OH, OW).

    weight: (out_channels, in_channels/groups, kd, kh, kw); bias: (out_channels,).
    """

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        return F.conv3d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """Transposed convolution: weight (in_channels, out_channels/groups, *kernel_size),
    PyTorch's layout and init (fan_in taken from weight.shape[1] * prod(kernel))."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        name = type(self).__name__
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.output_padding = _tuple(output_padding, self._nd, "output_padding", name, 0)

    def _weight_shape(self, in_channels: int, out_channels: int, groups: int) -> tuple:
        return (in_channels, out_channels // groups) + self.kernel_size

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """The output_padding that yields ``output_size`` (the last nd entries)."""
        if output_size is None:
            return self.output_padding
        name, nd = type(self).__name__, self._nd
        want = tuple(int(v) for v in output_size)[-nd:]
        spatial = tuple(input.shape[-nd:])
        pads = []
        for i in range(nd):
            smallest = ((spatial[i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = want[i] - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{name}: requested output_size {want} is not reachable from "
                                 f"input {tuple(input.shape)}; dimension {i} must be in "
                                 f"[{smallest}, {smallest + self.stride[i] - 1}]")
            pads.append(extra)
        return tuple(pads)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        return s


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: (N, C_in, H, W) -> (N, C_out, OH, OW) with
    OH = (H-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1; ``forward``
    accepts ``output_size`` to pick output_padding. See ``F.conv_transpose2d``."""

    _nd = 2

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (N, C_in, L) -> (N, C_out, OL). See ConvTranspose2d."""

    _nd = 1

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (N, C_in, D, H, W) -> (N, C_out, OD, OH, OW). See
    ConvTranspose2d."""

    _nd = 3

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)
