"""Convolutions as one GEMM over an im2col matrix.

``conv2d`` unfolds every sliding window of the batch into a column matrix
``cols (C*kh*kw, N*OH*OW)`` with the ``im2col`` kernel, multiplies it by the
weight ``(O, C*kh*kw)`` (one BLAS call for the whole batch) and moves the result from the
GEMM's ``(O, N, OH, OW)`` order to ``(N, O, OH, OW)`` while adding the bias.

Each step is a differentiable op whose backward is again made of these ops: ``Im2Col``
and ``Col2Im`` are each other's adjoints, and so are ``ToBatchMajor`` and
``ToChannelMajor``; the product is the core ``matmul``. Any order of derivative
therefore works (gradgradcheck), and the plain backward is two GEMMs and a col2im.
The array kernels (reference, numba and CUDA forms, dispatched by backend) are in
``_conv_kernels.py``.
"""

from __future__ import annotations

from autograd import Function, Tensor
from autograd.ops import matmul, pad, stack

from . import _conv_kernels as kernels
from . import _winograd_kernels as winograd
from ._conv_kernels import out_size  # the one formula, shared with the kernels

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


# --- differentiable building blocks ---------------------------------------------------


class Im2Col(Function):
    """x (N, C, H, W) -> cols (C*kh*kw, N*OH*OW); backward is Col2Im."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation):
        ctx.x_shape = x.shape
        ctx.params = (kernel_size, stride, padding, dilation)
        return kernels.im2col(ctx.device.backend, x, kernel_size, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        return (Col2Im.apply(g, ctx.x_shape, *ctx.params),) + (None,) * 4


class Col2Im(Function):
    """cols (C*kh*kw, N*OH*OW) -> (N, C, H, W), overlaps summed; backward is Im2Col."""

    @staticmethod
    def forward(ctx, cols, x_shape, kernel_size, stride, padding, dilation):
        ctx.params = (kernel_size, stride, padding, dilation)
        return kernels.col2im(ctx.device.backend, cols, x_shape, kernel_size, stride, padding,
                              dilation)

    @staticmethod
    def backward(ctx, g):
        return (Im2Col.apply(g, *ctx.params),) + (None,) * 5


class ToBatchMajor(Function):
    """GEMM output y (O, N*OH*OW) -> contiguous (N, O, OH, OW), plus bias (O,) if given."""

    @staticmethod
    def forward(ctx, y, bias, n, oh, ow):
        out = kernels.gemm_to_batch_major(ctx.device.backend, y, bias, n)
        return out.reshape(n, y.shape[0], oh, ow)

    @staticmethod
    def backward(ctx, g):
        need_y, need_b = ctx.needs_input_grad[:2]
        gy = ToChannelMajor.apply(g) if need_y else None
        gb = g.sum((0, 2, 3)) if need_b else None
        return gy, gb, None, None, None


class ToChannelMajor(Function):
    """(N, O, OH, OW) -> contiguous (O, N*OH*OW); the adjoint of ToBatchMajor."""

    @staticmethod
    def forward(ctx, g):
        n, o, oh, ow = g.shape
        ctx.dims = (n, oh, ow)
        return kernels.to_channel_major(ctx.device.backend, g)

    @staticmethod
    def backward(ctx, gg):
        return ToBatchMajor.apply(gg, None, *ctx.dims)


class WinogradInput(Function):
    """x (N, C, H, W) -> V (16, C, N*TH*TW), every 4x4 input tile's ``B^T d B``
    (``_winograd_kernels.py``); backward is its transpose, WinogradInputAdjoint."""

    @staticmethod
    def forward(ctx, x, padding, th, tw):
        ctx.x_shape = x.shape
        ctx.params = (padding, th, tw)
        return winograd.input_transform(ctx.device.backend, x, padding, th, tw)

    @staticmethod
    def backward(ctx, g):
        return WinogradInputAdjoint.apply(g, ctx.x_shape, *ctx.params), None, None, None


class WinogradInputAdjoint(Function):
    """dV (16, C, N*TH*TW) -> (N, C, H, W), each tile's ``B dV B^T`` added back where it
    was read; backward is WinogradInput."""

    @staticmethod
    def forward(ctx, dv, x_shape, padding, th, tw):
        ctx.params = (padding, th, tw)
        return winograd.input_transform_adjoint(ctx.device.backend, dv, x_shape, padding, th,
                                                tw)

    @staticmethod
    def backward(ctx, g):
        return (WinogradInput.apply(g, *ctx.params),) + (None,) * 4


class WinogradOutput(Function):
    """M (16, O, N*TH*TW) -> (N, O, OH, OW), each tile's ``A^T M A``, plus bias (O,) if
    given; backward is WinogradOutputAdjoint (and the bias's sum)."""

    @staticmethod
    def forward(ctx, m, bias, n, oh, ow):
        return winograd.output_transform(ctx.device.backend, m, bias, n, oh, ow)

    @staticmethod
    def backward(ctx, g):
        need_m, need_b = ctx.needs_input_grad[:2]
        gm = WinogradOutputAdjoint.apply(g) if need_m else None
        gb = g.sum((0, 2, 3)) if need_b else None
        return gm, gb, None, None, None


class WinogradOutputAdjoint(Function):
    """(N, O, OH, OW) -> (16, O, N*TH*TW), each 2x2 tile's ``A g A^T``; backward is
    WinogradOutput without a bias."""

    @staticmethod
    def forward(ctx, g):
        n, _, oh, ow = g.shape
        ctx.dims = (n, oh, ow)
        return winograd.output_transform_adjoint(ctx.device.backend, g)

    @staticmethod
    def backward(ctx, gg):
        return WinogradOutput.apply(gg, None, *ctx.dims)


class WinogradWeight(Function):
    """weight (O, C, 3, 3) -> U (16, O, C), every filter's ``G w G^T`` flattened;
    backward is its transpose, WinogradWeightAdjoint."""

    @staticmethod
    def forward(ctx, w):
        return winograd.weight_transform(ctx.device.backend.xp, w)

    @staticmethod
    def backward(ctx, g):
        return WinogradWeightAdjoint.apply(g)


class WinogradWeightAdjoint(Function):
    """dU (16, O, C) -> (O, C, 3, 3), ``G^T dU G``; backward is WinogradWeight."""

    @staticmethod
    def forward(ctx, du):
        return winograd.weight_transform_adjoint(ctx.device.backend.xp, du)

    @staticmethod
    def backward(ctx, g):
        return WinogradWeight.apply(g)


# Below this many input channels the 16 products are too thin to beat im2col's one GEMM
# (a 3 -> 32 layer on 64x3x28x28 took 2x im2col's time forward + backward; from 4 -> 4 up
# to 128 -> 128 Winograd took 0.5-0.9x, with OpenBLAS's AVX2 and AVX-512 kernels alike).
WINOGRAD_MIN_CHANNELS = 8


def _winograd_applies(x: Tensor, weight: Tensor, stride, dilation, groups: int) -> bool:
    """Whether conv2d takes the Winograd F(2x2, 3x3) path: a 3x3 kernel, stride and
    dilation 1, no groups, float32/float64 on the CPU (whose numba loops the transforms
    have), at least ``WINOGRAD_MIN_CHANNELS`` input channels."""
    o, c, kh, kw = weight.shape
    return (kh == kw == 3 and stride == (1, 1) and dilation == (1, 1) and groups == 1
            and c >= WINOGRAD_MIN_CHANNELS and x.dtype == weight.dtype
            and winograd.compiled_for(x.device.backend, x.array))


def _conv2d_winograd(x: Tensor, weight: Tensor, bias, padding) -> Tensor:
    """conv2d (N, C, H, W) of a 3x3 kernel, stride 1, by Winograd's F(2x2, 3x3): one
    batched GEMM of 16 (O, C) @ (C, tiles) products between the tile transforms
    (``_winograd_kernels.py``)."""
    n, c, h, w = x.shape
    oh, ow = h + 2 * padding[0] - 2, w + 2 * padding[1] - 2
    th, tw = winograd.tiles(oh, ow)
    m = matmul(WinogradWeight.apply(weight), WinogradInput.apply(x, padding, th, tw))
    return WinogradOutput.apply(m, bias, n, oh, ow)


# --- argument handling ---------------------------------------------------------------


def _tuple(value, n: int, name: str, op: str, minimum: int) -> tuple:
    """An int or a sequence of ``n`` ints as an n-tuple, each >= ``minimum``."""
    if isinstance(value, int):
        out = (int(value),) * n
    else:
        out = tuple(int(v) for v in value)
        if len(out) == 1:
            out = out * n
    if len(out) != n or any(v < minimum for v in out):
        raise ValueError(f"{op}: {name} must be an int >= {minimum} or {n} such ints, "
                         f"got {value!r}")
    return out


def _check_float(t: Tensor, name: str, op: str, dtype) -> None:
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating tensor, got dtype {t.dtype}")
    if dtype is not None and t.dtype != dtype:
        raise TypeError(f"{op}: {name} has dtype {t.dtype} but the input has dtype {dtype}; "
                        "convert one of them with .to(dtype)")


def _same_padding(kernel, dilation, stride, op):
    """'same': per-axis (before, after) so that the output keeps the input's size."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride})")
    total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    return [(t // 2, t - t // 2) for t in total]


# --- public functions ----------------------------------------------------------------


def _check_operands(input, weight, op: str, spatial: str, weight_dims: str) -> None:
    """Check that input is (N, C, *spatial) or (C, *spatial) and weight has the dims
    ``weight_dims`` names (both comma-separated names), both floating Tensors of one
    dtype."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    nd = spatial.count(",") + 2
    if input.ndim not in (nd, nd + 1):
        raise ValueError(f"{op}: expected input of shape (N, C, {spatial}) or (C, {spatial}), "
                         f"got {tuple(input.shape)}")
    if weight.ndim != weight_dims.count(",") + 1:
        raise ValueError(f"{op}: expected weight of shape ({weight_dims}), got "
                         f"{tuple(weight.shape)}")
    _check_float(input, "input", op, None)
    _check_float(weight, "weight", op, input.dtype)


def _check_bias(bias, o: int, op: str, dtype) -> None:
    """Check an optional bias: a floating Tensor of shape (o,) (input of ``dtype``)."""
    if bias is not None:
        if not isinstance(bias, Tensor) or bias.shape != (o,):
            raise ValueError(f"{op}: expected bias of shape ({o},), got "
                             f"{tuple(getattr(bias, 'shape', ()))}")
        _check_float(bias, "bias", op, dtype)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,) or None.
    stride, dilation: int or (sh, sw); padding: int, (ph, pw), 'same' or 'valid'.
    Returns (N, O, OH, OW) with OH = (H + 2ph - dh(kh-1) - 1) // sh + 1 (and likewise OW).
    """
    op = "conv2d"
    _check_operands(input, weight, op, "H, W", "out_channels, in_channels/groups, kh, kw")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    groups = int(groups)
    if groups < 1 or c % groups or o % groups or cg * groups != c:
        raise ValueError(
            f"{op}: input has {c} channels and weight {tuple(weight.shape)} with groups="
            f"{groups}; expected in_channels = weight.shape[1] * groups ({cg} * {groups}) and "
            "out_channels divisible by groups")
    _check_bias(bias, o, op, input.dtype)
    stride = _tuple(stride, 2, "stride", op, 1)
    dilation = _tuple(dilation, 2, "dilation", op, 1)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            (pt, pb), (pl, pr) = _same_padding((kh, kw), dilation, stride, op)
            if pb != pt or pr != pl:  # odd total: the extra row/column goes after, as in torch
                x = pad(x, (0, pr - pl, 0, pb - pt))
                n, c, h, w = x.shape
            padding = (pt, pl)
        else:
            raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', "
                             f"got {padding!r}")
    else:
        padding = _tuple(padding, 2, "padding", op, 0)
    oh = out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = out_size(w, kw, stride[1], padding[1], dilation[1])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{op}: input {tuple(input.shape)} (padded by {padding}) is smaller than the "
            f"dilated kernel ({kh}, {kw}) with dilation {dilation}; output would be "
            f"({oh}, {ow})")
    if _winograd_applies(x, weight, stride, dilation, groups):
        out = _conv2d_winograd(x, weight, bias, padding)
        return out.squeeze(0) if unbatched else out
    cols = Im2Col.apply(x, (kh, kw), stride, padding, dilation)  # (C*kh*kw, N*OH*OW)
    if groups == 1:
        y = matmul(weight.reshape(o, c * kh * kw), cols)
    else:
        wg = weight.reshape(groups, o // groups, cg * kh * kw)
        y = matmul(wg, cols.reshape(groups, cg * kh * kw, n * oh * ow)).reshape(o, n * oh * ow)
    out = ToBatchMajor.apply(y, bias, n, oh, ow)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    input (N, C, L) or (C, L); weight (O, C/groups, k); bias (O,) or None.
    padding: int, (p,), 'same' or 'valid'. Returns (N, O, OL).
    """
    op = "conv1d"
    _check_operands(input, weight, op, "L", "out_channels, in_channels/groups, k")
    stride = (1,) + _tuple(stride, 1, "stride", op, 1)
    dilation = (1,) + _tuple(dilation, 1, "dilation", op, 1)
    if not isinstance(padding, str):
        padding = (0,) + _tuple(padding, 1, "padding", op, 0)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, stride, padding, dilation,
                 groups)
    return out.squeeze(-2)


def _block_args(kernel_size, dilation, padding, stride, op: str):
    """unfold's and fold's window arguments as pairs: (kernel, dilation, padding, stride)."""
    return (_tuple(kernel_size, 2, "kernel_size", op, 1), _tuple(dilation, 2, "dilation", op, 1),
            _tuple(padding, 2, "padding", op, 0), _tuple(stride, 2, "stride", op, 1))


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks, as ``torch.nn.functional.unfold``.

    input (N, C, H, W) -> (N, C*kh*kw, L), L = OH*OW, rows ordered (c, i, j).
    """
    op = "unfold"
    if input.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {tuple(input.shape)}")
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride, op)
    n, c, h, w = input.shape
    oh, ow = out_size(h, k[0], s[0], p[0], d[0]), out_size(w, k[1], s[1], p[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: input {tuple(input.shape)} is smaller than the kernel {k}")
    cols = Im2Col.apply(input, k, s, p, d)
    return cols.reshape(c * k[0] * k[1], n, oh * ow).permute(1, 0, 2)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into an image, as ``torch.nn.functional.fold``.

    input (N, C*kh*kw, L) -> (N, C, H, W) with (H, W) = output_size; unfold's adjoint.
    """
    op = "fold"
    if input.ndim != 3:
        raise ValueError(f"{op}: expected input of shape (N, C*kh*kw, L), got "
                         f"{tuple(input.shape)}")
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride, op)
    h, w = _tuple(output_size, 2, "output_size", op, 1)
    n, ck, length = input.shape
    oh, ow = out_size(h, k[0], s[0], p[0], d[0]), out_size(w, k[1], s[1], p[1], d[1])
    if ck % (k[0] * k[1]) or length != oh * ow:
        raise ValueError(
            f"{op}: input {tuple(input.shape)} does not match kernel_size {k} and output_size "
            f"{(h, w)}: expected dim 1 divisible by {k[0] * k[1]} and {oh * ow} blocks")
    c = ck // (k[0] * k[1])
    cols = input.permute(1, 0, 2).reshape(ck, n * length)
    return Col2Im.apply(cols, (n, c, h, w), k, s, p, d)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the
    adjoint of conv2d with respect to its input.

    input (N, C_in, H, W) or (C_in, H, W); weight (C_in, C_out/groups, kh, kw); bias
    (C_out,). Output (N, C_out, OH, OW) with
    OH = (H - 1) * sh - 2 ph + dh (kh - 1) + output_padding_h + 1.
    Computed as one GEMM ``weight^T @ x`` into columns, then ``Col2Im`` (whose adjoint
    is ``Im2Col``), so every derivative order works.
    """
    op = "conv_transpose2d"
    _check_operands(input, weight, op, "H, W", "in_channels, out_channels/groups, kh, kw")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    cin, og, kh, kw = weight.shape
    groups = int(groups)
    if groups < 1 or cin != c or c % groups:
        raise ValueError(f"{op}: input has {c} channels but weight {tuple(weight.shape)} with "
                         f"groups={groups} expects {cin} (divisible by groups)")
    o = og * groups
    _check_bias(bias, o, op, input.dtype)
    s = _tuple(stride, 2, "stride", op, 1)
    p = _tuple(padding, 2, "padding", op, 0)
    d = _tuple(dilation, 2, "dilation", op, 1)
    op_ = _tuple(output_padding, 2, "output_padding", op, 0)
    if any(q >= max(si, di) for q, si, di in zip(op_, s, d, strict=True)):
        raise ValueError(f"{op}: output_padding {op_} must be smaller than stride {s} or "
                         f"dilation {d}")
    oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op_[0] + 1
    ow = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op_[1] + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: input {tuple(input.shape)} with kernel ({kh}, {kw}), stride "
                         f"{s}, padding {p}, dilation {d}, output_padding {op_} gives an "
                         f"invalid output size ({oh}, {ow})")
    xc = ToChannelMajor.apply(x)  # (C_in, N*H*W)
    cg = c // groups
    wg = weight.reshape(groups, cg, og * kh * kw).transpose(1, 2)  # (g, og*k, cg)
    cols = matmul(wg, xc.reshape(groups, cg, n * h * w)).reshape(o * kh * kw, n * h * w)
    if op_[0] < s[0] and op_[1] < s[1]:
        out = Col2Im.apply(cols, (n, o, oh, ow), (kh, kw), s, p, d)
    else:  # output_padding >= stride (allowed below the dilation): col2im's output size
        # cannot reach it, so sum into the uncropped output, then crop and extend by zeros
        fh, fw = (h - 1) * s[0] + d[0] * (kh - 1) + 1, (w - 1) * s[1] + d[1] * (kw - 1) + 1
        out = Col2Im.apply(cols, (n, o, fh, fw), (kh, kw), s, (0, 0), d)
        out = pad(out, (0, max(0, p[1] + ow - fw), 0, max(0, p[0] + oh - fh)))
        out = out[:, :, p[0]:p[0] + oh, p[1]:p[1] + ow]
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution: input (N, C_in, L) or (C_in, L), weight
    (C_in, C_out/groups, k) -> (N, C_out, (L-1)s - 2p + d(k-1) + output_padding + 1)."""
    op = "conv_transpose1d"
    _check_operands(input, weight, op, "L", "in_channels, out_channels/groups, k")
    one = lambda v, name: (1,) + _tuple(v, 1, name, op, 1)  # noqa: E731
    pad1 = (0,) + _tuple(padding, 1, "padding", op, 0)
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias,
                           one(stride, "stride"), pad1,
                           (0,) + _tuple(output_padding, 1, "output_padding", op, 0), groups,
                           one(dilation, "dilation"))
    return out.squeeze(-2)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D cross-correlation, as ``torch.nn.functional.conv3d``.

    input (N, C, D, H, W) or (C, D, H, W); weight (O, C/groups, kd, kh, kw); bias (O,).
    padding: int, triple, 'same' or 'valid'. The kd depth taps of every output depth are
    stacked into the channel axis, so the whole product is one conv2d (one GEMM).
    """
    op = "conv3d"
    _check_operands(input, weight, op, "D, H, W", "out_channels, in_channels/groups, kd, kh, kw")
    unbatched = input.ndim == 4
    x = input.unsqueeze(0) if unbatched else input
    o, cg, kd, kh, kw = weight.shape
    c = x.shape[1]
    groups = int(groups)
    if groups < 1 or c % groups or o % groups or cg * groups != c:
        raise ValueError(
            f"{op}: input has {c} channels and weight {tuple(weight.shape)} with groups="
            f"{groups}; expected in_channels = weight.shape[1] * groups ({cg} * {groups}) and "
            "out_channels divisible by groups")
    s = _tuple(stride, 3, "stride", op, 1)
    d = _tuple(dilation, 3, "dilation", op, 1)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{op}: padding must be an int, a triple, 'same' or 'valid', got "
                             f"{padding!r}")
        pads = [(0, 0)] * 3 if padding == "valid" else \
            _same_padding((kd, kh, kw), d, s, op)
        x = pad(x, tuple(v for pair in reversed(pads) for v in pair))
        p = (0, 0, 0)
    else:
        p = _tuple(padding, 3, "padding", op, 0)
    if p[0]:
        x = pad(x, (0, 0, 0, 0, p[0], p[0]))
    n, c, depth, h, w = x.shape
    od = out_size(depth, kd, s[0], 0, d[0])
    if od < 1 or out_size(h, kh, s[1], p[1], d[1]) < 1 or out_size(w, kw, s[2], p[2], d[2]) < 1:
        raise ValueError(f"{op}: input {tuple(input.shape)} (padded by {p}) is smaller than "
                         f"the dilated kernel ({kd}, {kh}, {kw}) with dilation {d}")
    last = s[0] * (od - 1) + 1
    taps = stack([x[:, :, i * d[0]:i * d[0] + last:s[0]] for i in range(kd)], 2)
    taps = taps.permute(0, 3, 1, 2, 4, 5).reshape(n * od, c * kd, h, w)  # (N*OD, C*kd, H, W)
    out = conv2d(taps, weight.reshape(o, cg * kd, kh, kw), None, s[1:], p[1:], d[1:], groups)
    oh, ow = out.shape[2:]
    out = out.reshape(n, od, o, oh, ow).permute(0, 2, 1, 3, 4)  # (N, O, OD, OH, OW)
    if bias is not None:
        _check_bias(bias, o, op, input.dtype)
        out = out + bias.reshape(1, o, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


# the names these Functions had before they became public (kept for one release)
_ToBatchMajor = ToBatchMajor
_ToChannelMajor = ToChannelMajor


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``.

    input (N, C_in, D, H, W) or unbatched; weight (C_in, C_out/groups, kd, kh, kw).
    Each depth tap is a conv_transpose2d of every input depth slice, placed at depth
    ``tap * dilation + stride * d`` of the uncropped output; then ``padding`` is cropped
    from both ends of every axis (``output_padding`` extends the far end).
    """
    op = "conv_transpose3d"
    _check_operands(input, weight, op, "D, H, W", "in_channels, out_channels/groups, kd, kh, kw")
    unbatched = input.ndim == 4
    x = input.unsqueeze(0) if unbatched else input
    s = _tuple(stride, 3, "stride", op, 1)
    p = _tuple(padding, 3, "padding", op, 0)
    d = _tuple(dilation, 3, "dilation", op, 1)
    op_ = _tuple(output_padding, 3, "output_padding", op, 0)
    if any(q >= max(si, di) for q, si, di in zip(op_, s, d, strict=True)):
        raise ValueError(f"{op}: output_padding {op_} must be smaller than stride {s} or "
                         f"dilation {d}")
    n, c, depth, h, w = x.shape
    cin, og, kd = weight.shape[:3]
    groups = int(groups)
    if groups < 1 or cin != c or c % groups:
        raise ValueError(f"{op}: input has {c} channels but weight {tuple(weight.shape)} with "
                         f"groups={groups} expects {cin} (divisible by groups)")
    _check_bias(bias, og * groups, op, input.dtype)
    planes = x.permute(0, 2, 1, 3, 4).reshape(n * depth, c, h, w)  # every depth slice
    full = (depth - 1) * s[0] + d[0] * (kd - 1) + 1 + op_[0]  # uncropped output depth
    out = None
    for a in range(kd):
        y = conv_transpose2d(planes, weight[:, :, a], None, s[1:], p[1:], op_[1:], groups,
                             d[1:])
        o, oh, ow = y.shape[1:]
        y = y.reshape(n, depth, o, oh, ow)
        if s[0] > 1:  # interleave stride - 1 zero slices between the input depths
            y = pad(y.unsqueeze(2), (0, 0, 0, 0, 0, 0, 0, s[0] - 1))
            y = y.reshape(n, depth * s[0], o, oh, ow)[:, :(depth - 1) * s[0] + 1]
        start = a * d[0]
        y = pad(y, (0, 0, 0, 0, 0, 0, start, full - start - y.shape[1]))
        out = y if out is None else out + y
    out = out[:, p[0]:full - p[0]].permute(0, 2, 1, 3, 4)  # (N, C_out, OD, OH, OW)
    if out.shape[2] < 1:
        raise ValueError(f"{op}: input {tuple(input.shape)} gives an empty output depth")
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out
