"""The backend interface: what an array library must supply beyond its `xp` namespace.

Ops are written once against ``backend.xp`` (numpy or cupy). The few things an array
library does slowly or differently live here as methods, so the difference between
CPU and GPU is a list of methods, not if-statements scattered through the ops.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class KernelSpec(NamedTuple):
    """The four arguments of ``cupy.ElementwiseKernel``: a GPU kernel's source as data,
    so it can live beside its op and be read (and tested) without a GPU."""

    in_params: str
    out_params: str
    operation: str
    name: str


# Kernels that live beside their op (e.g. ``optim/adam.py``) register their GPU form
# here, by key; a backend that compiles elementwise kernels builds one on first launch.
ELEMENTWISE: dict[str, KernelSpec] = {}


def register_elementwise(key: str, spec: KernelSpec) -> KernelSpec:
    """Make ``spec`` launchable as ``backend.launch_elementwise(key, *args)``."""
    if ELEMENTWISE.get(key, spec) != spec:
        raise ValueError(f"elementwise kernel {key!r} is registered twice, differently")
    ELEMENTWISE[key] = spec
    return spec


class Backend:
    """An array backend. Subclasses set ``name`` and ``xp`` and implement the kernels."""

    name: str = "abstract"
    xp: Any = None

    # --- transfer -------------------------------------------------------------------
    def asarray(self, obj, dtype=None):
        """Return ``obj`` as an array of this backend (no copy when already one)."""
        raise NotImplementedError

    def to_host(self, array):
        """Return a NumPy array with the contents of ``array``."""
        raise NotImplementedError

    def is_array(self, obj) -> bool:
        """Whether ``obj`` is an array of this backend."""
        raise NotImplementedError

    # --- random numbers -------------------------------------------------------------
    def seed(self, seed: int) -> None:
        """Reseed this backend's generator."""
        raise NotImplementedError

    @property
    def generator(self):
        """The backend's random generator (``xp.random.Generator``-like)."""
        raise NotImplementedError

    def make_generator(self, seed: int | None):
        """A new generator of this backend's kind seeded with ``seed`` (the one behind
        ``seed()``, and behind each ``autograd.Generator`` on this device)."""
        raise NotImplementedError

    # --- kernels that array libraries do slowly ---------------------------------------
    def index_add(self, out, index, src) -> None:
        """``out[index[i]] += src[i]`` along axis 0 in place; repeated indices accumulate.

        out: (M, *rest); index: (N,) integer; src: (N, *rest).
        """
        raise NotImplementedError

    def add_at(self, out, key, values) -> None:
        """``numpy.add.at(out, key, values)`` semantics: unbuffered, repeats accumulate."""
        raise NotImplementedError

    def reduce_at(self, ufunc: str, out, key, values) -> None:
        """``numpy.<ufunc>.at(out, key, values)`` for ufunc "maximum", "minimum" or
        "multiply": unbuffered, repeated indices all take part."""
        import numpy as np

        getattr(np, ufunc).at(out, key, values)

    def erf(self, x):
        """The error function, elementwise, in ``x``'s dtype."""
        raise NotImplementedError

    @property
    def special(self):
        """The ``scipy.special`` namespace for this backend's arrays (``autograd.special``
        computes its forwards with it): SciPy's here, ``cupyx.scipy.special`` on CuPy."""
        import scipy.special

        return scipy.special

    # --- convolution and pooling ------------------------------------------------------
    # kernel_size, stride, padding, dilation: (int, int) pairs for (H, W); padding is
    # symmetric and zero. The defaults below are pure-xp references (Python loops over
    # the kh*kw kernel offsets only, see conv_reference.py); backends override them
    # with compiled kernels.
    def im2col(self, x, kernel_size, stride, padding, dilation):
        """Unfold sliding windows: x (N, C, H, W) -> cols (C*kh*kw, N*OH*OW).

        ``cols[(c*kh + i)*kw + j, (n*OH + oy)*OW + ox] = xpad[n, c, oy*sh + i*dh,
        ox*sw + j*dw]`` (zero in the padding), so ``weight.reshape(O, -1) @ cols`` is the
        whole batch's convolution as one GEMM, laid out (O, N, OH, OW).
        """
        from . import conv_reference

        return conv_reference.im2col(self.xp, x, kernel_size, stride, padding, dilation)

    def col2im(self, cols, x_shape, kernel_size, stride, padding, dilation):
        """Adjoint of :meth:`im2col`: cols (C*kh*kw, N*OH*OW) -> a new (N, C, H, W) array,
        overlapping windows summed."""
        from . import conv_reference

        return conv_reference.col2im(self.xp, cols, x_shape, kernel_size, stride, padding,
                                     dilation)

    def max_pool2d(self, x, kernel_size, stride, padding, dilation):
        """Max pooling: x (N, C, H, W) -> (out, argmax), both (N, C, OH, OW).

        ``argmax`` (int64) is the flat index ``iy*W + ix`` of the chosen tap inside its
        (H, W) plane; padding is never chosen; NaN propagates (PyTorch's rule).
        """
        from . import conv_reference

        return conv_reference.max_pool2d(self.xp, x, kernel_size, stride, padding, dilation)

    def max_pool2d_backward(self, g, argmax, x_shape, kernel_size, stride, padding, dilation):
        """Scatter-add g (N, C, OH, OW) into zeros of ``x_shape`` at ``argmax``: a new array.

        Overlapping windows may choose one pixel more than once; the gradients accumulate.
        """
        from . import conv_reference

        return conv_reference.max_pool2d_backward(self.xp, g, argmax, x_shape, kernel_size,
                                                  stride, padding, dilation)

    def max_pool2d_gather(self, x, argmax):
        """Adjoint of :meth:`max_pool2d_backward`: ``x[n, c].flat[argmax[n, c, oy, ox]]``,
        x (N, C, H, W) -> (N, C, OH, OW)."""
        from . import conv_reference

        return conv_reference.max_pool2d_gather(self.xp, x, argmax)

    def gemm_to_batch_major(self, y, bias, n):
        """The convolution GEMM's output y (O, N*L) as a new contiguous (N, O, L) array,
        plus ``bias`` (O,) when not None."""
        xp = self.xp
        o = y.shape[0]
        out = xp.empty((n, o, y.shape[1] // n if n else 0), dtype=y.dtype)
        src = y.reshape(out.shape[1], n, out.shape[2]).transpose(1, 0, 2)
        if bias is None:
            out[...] = src
        else:
            xp.add(src, bias.reshape(1, o, 1), out=out)
        return out

    # --- kernel building --------------------------------------------------------------
    def launch_elementwise(self, key: str, *args) -> None:
        """Launch the elementwise kernel registered as ``key`` (``register_elementwise``)
        on this backend's device: ``args`` are its inputs then its outputs, as
        ``cupy.ElementwiseKernel`` takes them. Only backends that compile such kernels
        (CuPy) implement it; callers check ``compiles_elementwise`` first."""
        raise NotImplementedError(f"backend {self.name!r} compiles no elementwise kernels")

    compiles_elementwise: bool = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
