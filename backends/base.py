"""The backend interface: what an array library must supply beyond its `xp` namespace.

Ops are written once against ``backend.xp`` (numpy or cupy). The few things an array
library does slowly or differently live here as methods, so the difference between
CPU and GPU is a list of methods, not if-statements scattered through the ops.
"""

from __future__ import annotations

from typing import Any


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

    # --- fused optimizer updates (whole-array fallbacks; backends may fuse them) -------
    def adam_update(self, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps,
                    weight_decay, step, decoupled=False, maximize=False,
                    max_exp_avg_sq=None) -> None:
        """One Adam (``decoupled=False``) or AdamW step, in place, PyTorch's formulas.

        param, grad, exp_avg, exp_avg_sq (and max_exp_avg_sq for AMSGrad): arrays of one
        shape and dtype; ``step`` is the step number (1 on the first step). Updates
        param, exp_avg, exp_avg_sq (and max_exp_avg_sq). This fallback uses whole-array
        ``xp`` operations in the order the fused CPU kernel uses, so the two agree bit
        for bit.
        """
        xp = self.xp
        g = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled:
                param *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * param
        tmp = xp.subtract(g, exp_avg)
        tmp *= 1 - beta1
        exp_avg += tmp  # exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq *= beta2
        xp.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        exp_avg_sq += tmp
        v = exp_avg_sq
        if max_exp_avg_sq is not None:
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            v = max_exp_avg_sq
        bias_correction1 = 1 - beta1 ** step
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        denom = xp.sqrt(v, out=tmp)
        denom /= bias_correction2_sqrt
        denom += eps
        xp.divide(exp_avg, denom, out=denom)
        denom *= -(lr / bias_correction1)
        param += denom

    def sgd_momentum_update(self, param, grad, momentum_buffer, lr, momentum, dampening,
                            weight_decay, nesterov=False, maximize=False,
                            first=False) -> None:
        """One SGD step with momentum, in place, PyTorch's formulas.

        param, grad, momentum_buffer: arrays of one shape and dtype. ``first``: the
        buffer is set to the (decayed) gradient instead of being averaged, as PyTorch
        does on a parameter's first step.
        """
        xp = self.xp
        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * param
        if first:
            momentum_buffer[...] = g
        else:
            momentum_buffer *= momentum
            momentum_buffer += g * (1 - dampening)
        if nesterov:
            g = g + momentum_buffer * momentum
        else:
            g = momentum_buffer
        param += xp.multiply(g, -lr)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
