"""``Tensor``: an array on a device, with an optional link into the graph.

The arithmetic and array methods (``+``, ``@``, ``sum``, ``reshape``, ...) are the
differentiable ops of ``autograd.ops``; ``autograd/methods.py`` binds them here.
"""

from __future__ import annotations

import weakref

import numpy as np

import backends

from . import dtypes

_ndarray = np.ndarray


class Tensor:
    """An n-dimensional array on a device that records the ops applied to it.

    Attributes: ``array`` (the backend array, NumPy or CuPy, not tracked by autograd),
    ``data`` (PyTorch's: a detached Tensor on the same storage), ``grad`` (a Tensor or
    None), ``requires_grad``, ``grad_fn`` (the node that made it, None for leaves),
    ``device``.
    """

    # _vc: the version counter shared by every tensor on one storage (None until the
    # storage is first viewed, saved for backward or mutated: only those pay for it);
    # _view: a _ViewInfo when this tensor is a view of another (its base, how to replay it)
    __slots__ = ("array", "grad", "requires_grad", "grad_fn", "_out_idx", "_hooks", "device",
                 "_vc", "_view", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None, device=None):
        dev = backends.get_device(device) if device is not None else None
        data = _to_array(data, dtypes.to_dtype(dtype), dev)
        self.array = data
        self.device = dev if dev is not None else backends.backend_for_array(data)
        self.grad = None
        self.grad_fn = None
        self._out_idx = 0
        self._hooks = None
        self._vc = None
        self._view = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # --- metadata -----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def size(self, dim: int | None = None):
        return self.array.shape if dim is None else self.array.shape[dim]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    def element_size(self) -> int:
        return self.array.dtype.itemsize

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    # --- conversion ---------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shares memory on the CPU)."""
        return self.device.backend.to_host(self.array)

    def item(self):
        if self.array.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python scalar, "
                f"got shape {tuple(self.array.shape)}"
            )
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {tuple(self.array.shape)} is ambiguous"
            )
        return bool(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    # --- interchange (issue 15): NumPy's __array__, DLPack, CUDA array interface -----
    def __array__(self, dtype=None, copy=None):
        """NumPy's view of a CPU tensor (shared memory unless ``dtype``/``copy`` ask for a
        copy). A GPU tensor raises: moving it to the host is explicit, ``.cpu()``."""
        if self.device.type != "cpu":
            raise TypeError(
                f"can't convert a {self.device} tensor (shape {tuple(self.array.shape)}) to a "
                "NumPy array: call .cpu() first to copy it to host memory"
            )
        a = self.array
        if dtype is not None and a.dtype != dtype:
            if copy is False:
                raise ValueError(f"__array__: converting {a.dtype} to {np.dtype(dtype)} needs "
                                 "a copy, but copy=False was passed")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, **kwargs):
        """Export the array through DLPack (``stream``, ``max_version``, ``dl_device`` and
        ``copy`` are passed on to the backend array); the consumer shares its memory."""
        if self.requires_grad:
            raise RuntimeError(
                "__dlpack__: can't export a tensor that requires grad (its consumer's writes "
                "would bypass the graph); use tensor.detach() first"
            )
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple:
        """``(device type, index)`` as DLPack numbers them (1: CPU, 2: CUDA)."""
        return self.array.__dlpack_device__()

    @property
    def __cuda_array_interface__(self) -> dict:
        """The CUDA array interface of a GPU tensor (Numba, CuPy, PyTorch read it)."""
        if self.device.type != "cuda":
            raise AttributeError(
                f"__cuda_array_interface__: only cuda tensors have it, this one is on "
                f"{self.device}"
            )
        return self.array.__cuda_array_interface__

    def __hash__(self) -> int:
        return id(self)

    # --- graph --------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing a gradient (floating and complex dtypes only)."""
        if requires_grad and not dtypes.is_differentiable(self.array.dtype):
            raise TypeError(
                f"only floating point and complex tensors can require gradients, got dtype "
                f"{self.array.dtype} (shape {tuple(self.array.shape)})"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor; use .detach() instead"
            )
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def data(self) -> Tensor:
        """This tensor's values as a new leaf on the same storage, outside the graph, with
        a version counter of its own (PyTorch's ``.data``): ``p.data.add_(u)`` changes
        ``p`` without being recorded and without tripping backward's check of saved
        tensors. Use ``detach()`` when that check should see the change."""
        return _wrap(self.array, self.device)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data = value: expected a Tensor, got "
                            f"{type(value).__name__} (wrap an array with ag.as_tensor)")
        self.array = value.array
        self.device = value.device

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data and its version counter (as PyTorch:
        an in-place change through it is seen by backward), cut from the graph."""
        out = _wrap(self.array, self.device)
        out._vc = version_counter(self)
        return out

    def detach_(self) -> Tensor:
        if self._view is not None:
            raise RuntimeError("detach_(): cannot detach a view in place; use detach()")
        self.grad_fn = None
        self.requires_grad = False
        return self

    # --- storage: views and versions (PyTorch's names) ------------------------------
    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's storage has had."""
        return 0 if self._vc is None else self._vc.value

    @property
    def _base(self) -> Tensor | None:
        """The tensor this one is a view of (None if it owns its storage)."""
        return None if self._view is None else self._view.base

    def _is_view(self) -> bool:
        return self._view is not None

    def stride(self, dim: int | None = None):
        """Steps in elements between neighbours along each dimension."""
        item = self.array.dtype.itemsize
        strides = tuple(s // item for s in self.array.strides)
        return strides if dim is None else strides[dim]

    def is_contiguous(self) -> bool:
        """Whether the elements lie in row-major order with no gaps."""
        return bool(self.array.flags.c_contiguous)

    def data_ptr(self) -> int:
        """The address of the first element."""
        return _data_ptr(self.array)

    def storage_offset(self) -> int:
        """Elements between the start of the base's storage and the first element."""
        root = self.array if self._view is None else self._view.base.array
        return (_data_ptr(self.array) - _data_ptr(root)) // self.array.dtype.itemsize

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless this tensor has one element.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn "
                "(no input of the ops that made it had requires_grad=True)"
            )
        a = self.array
        # the common call, loss.backward() on a real scalar, without a call per backward;
        # every rule for a seed (and each error) is seed_gradient's
        if gradient is None and a.size == 1 and a.dtype.kind != "c":
            gradient = _wrap(self.device.backend.xp.ones(a.shape, a.dtype), self.device)
        else:
            gradient = seed_gradient(self, gradient, "backward()", "gradient=")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            from .functional import grad as _grad

            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = _grad([self], inputs, [gradient], retain_graph=retain_graph,
                          create_graph=create_graph, allow_unused=True)
            for t, g in zip(inputs, grads):
                if g is not None:
                    t.grad = g if t.grad is None else t.grad + g
            return
        _graph.run_backward([self], [gradient], retain_graph, create_graph)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        Tensor replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: tensor does not require grad")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(self._out_idx, hook)
        from .graph import _HookHandle

        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` once per backward, after this leaf's whole gradient has
        been accumulated into ``.grad`` (before backward finishes, as soon as no node
        left can add to it). Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: tensor does not "
                               "require grad")
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad "
                               "hooks cannot be registered on non-leaf tensors")
        return _graph.register_post_accumulate_grad_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            return
        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                t.grad = g if t.grad is None else t.grad + g

        self.grad_fn.register_hook(self._out_idx, keep)

    # --- devices and dtypes -------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """``to(device)``, ``to(dtype)`` or ``to(device, dtype)``; differentiable."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, str | backends.Device):
                device = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            else:
                dtype = a
        out = self
        if dtype is not None and np.dtype(dtypes.to_dtype(dtype)) != self.array.dtype:
            from .ops import cast

            out = cast(out, dtypes.to_dtype(dtype))
        if device is not None:
            dev = backends.get_device(device)
            if dev is not out.device:
                from .ops import to_device

                out = to_device(out, dev)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else
                       (f"cuda:{device}" if isinstance(device, int) else device))

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type(self, dtype=None):
        if dtype is None:
            return str(self.array.dtype)
        return self.to(dtype)

    # --- printing -----------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(", precision=4)
        extra = []
        if self.array.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extra.append(f"dtype={self.array.dtype}")
        if self.device.type != "cpu":
            extra.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extra.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"


_new = object.__new__


def seed_gradient(out: Tensor, gradient, op: str, keyword: str) -> Tensor:
    """The gradient that starts a backward pass from ``out``: ``gradient`` checked
    against ``out`` (``_as_grad``), or ones when it is None, which only a one-element
    real output allows (as PyTorch: for anything else the direction is the caller's)."""
    if gradient is not None:
        return _as_grad(gradient, out, op)
    a = out.array
    if a.size != 1:
        raise RuntimeError(f"{op}: grad can be implicitly created only for one-element "
                           f"outputs, got shape {tuple(a.shape)}; pass {keyword}")
    if a.dtype.kind == "c":
        raise RuntimeError(f"{op}: grad can be implicitly created only for real scalar "
                           f"outputs, got {a.dtype}; reduce to a real loss (e.g. .abs() or "
                           f".real) or pass {keyword}")
    return _wrap(out.device.backend.xp.ones(a.shape, a.dtype), out.device)


def _wrap(data, device, requires_grad=False, grad_fn=None, idx=0) -> Tensor:
    """Make a Tensor around a backend array without checks (the ops' fast path)."""
    t = _new(Tensor)
    t.array = data
    t.device = device
    t.requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._out_idx = idx
    t.grad = None
    t._hooks = None
    t._vc = None
    t._view = None
    return t


def _data_ptr(a) -> int:
    """The address of an array's first element (NumPy or any CUDA array)."""
    iface = getattr(a, "__cuda_array_interface__", None)
    return (iface if iface is not None else a.__array_interface__)["data"][0]


class _VersionCounter:
    """A storage's count of in-place changes, shared by its base, views and detached
    aliases; ``op``/``where`` name the last change (``where`` under detect_anomaly)."""

    __slots__ = ("value", "op", "where")

    def __init__(self):
        self.value = 0
        self.op = None
        self.where = None


def version_counter(t: Tensor) -> _VersionCounter:
    """``t``'s version counter, made on first use."""
    vc = t._vc
    if vc is None:
        vc = t._vc = _VersionCounter()
    return vc


class _ViewInfo:
    """What makes a tensor a view: its base (the tensor that owns the storage) and, for
    views made while grad mode was on, the ops that make the view from the base
    (``replay``: (function, args) pairs) and the version its ``grad_fn`` was made at."""

    __slots__ = ("base", "replay", "version")

    def __init__(self, base, replay, version):
        self.base, self.replay, self.version = base, replay, version


def _to_array(data, dtype, device):
    """Convert user data to a backend array following the dtype policy."""
    if isinstance(data, Tensor):
        data = data.array
    backend = device.backend if device is not None else None
    if backend is None:
        if hasattr(data, "__cuda_array_interface__") and not isinstance(data, np.ndarray):
            backend = backends.backend_for_array(data).backend
        else:
            backend = backends.get_default_device().backend
    if backend.is_array(data) or isinstance(data, np.ndarray | np.generic):
        arr = data
        if dtype is not None and arr.dtype != dtype:
            arr = arr.astype(dtype)
        if not backend.is_array(arr):
            arr = backend.asarray(_host(arr))
        return arr
    if hasattr(data, "__cuda_array_interface__"):  # a cupy array going to the CPU
        data = backends.backend_for_array(data).backend.to_host(data)
        return backend.asarray(data if dtype is None else data.astype(dtype))
    if dtype is None:
        dtype = _infer_dtype(data)
    return backend.asarray(np.asarray(data, dtype=dtype))


def _host(a):
    """A NumPy-like array as a NumPy array (one seam: the emulated-GPU tests patch it)."""
    return np.asarray(a)


def _infer_dtype(data):
    """Python data: bools -> bool, ints -> int64, floats -> the default float dtype."""
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        return dtypes.get_default_dtype()
    if arr.dtype.kind in "iu":
        return dtypes.int64
    if arr.dtype.kind == "b":
        return dtypes.bool_
    if arr.dtype.kind == "c":  # complex64 beside float32, complex128 beside float64
        return np.result_type(dtypes.get_default_dtype(), dtypes.complex64)
    if arr.dtype.kind == "O":
        raise TypeError(f"tensor(): cannot convert {type(data).__name__} with mixed or "
                        "non-numeric contents")
    return arr.dtype


def _as_grad(gradient, like: Tensor, where: str) -> Tensor:
    if not isinstance(gradient, Tensor):
        gradient = Tensor(gradient, dtype=like.dtype, device=like.device)
    if gradient.shape != like.shape:
        raise RuntimeError(
            f"{where}: gradient has shape {tuple(gradient.shape)} but the output has shape "
            f"{tuple(like.shape)}"
        )
    if gradient.device is not like.device:
        raise backends.DeviceMismatchError(
            f"{where}: gradient is on {gradient.device} but the output is on {like.device}"
        )
    return gradient


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Make a new leaf tensor from data (lists, scalars, NumPy/CuPy arrays, Tensors).

    Python floats become float32 (the default dtype), ints int64, bools bool; NumPy
    arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.array
    out = Tensor(data, requires_grad=False, dtype=dtype, device=device)
    if out.array is data or (isinstance(data, np.ndarray) and isinstance(out.array, np.ndarray)
                            and np.shares_memory(out.array, data)):  # never a cupy array
        out.array = out.array.copy()  # tensor() copies, like torch.tensor; from_numpy shares
    return out.requires_grad_(True) if requires_grad else out


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


from . import graph as _graph  # noqa: E402  (graph imports this module)
