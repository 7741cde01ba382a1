"""autograd: reverse-mode automatic differentiation on NumPy (CPU) and CuPy (GPU).

    import autograd as ag
    x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([[2., 4.]])
"""

from backends import (
    Device,
    DeviceMismatchError,
    DeviceUnavailableError,
    cuda_is_available,
    get_default_device,
    set_default_device,
)
from backends import get_device as device

from . import data, functional, methods  # noqa: F401  (methods binds the ops onto Tensor)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .dtypes import (
    bool_,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from .factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .functional import grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AnomalyError, BackwardError, Function, Node
from .ops import *  # noqa: F403
from .ops import abs, max, min, pow, round, sum  # noqa: F401  (shadow the builtins here)
from .serialization import CheckpointError, load, save
from .tensor import Tensor, is_tensor, tensor
from .value import Value

# isort: split
# interop (issue 15): DLPack import; ONNX export, graph pictures and the profiler as
# submodules (their optional packages are imported only when used)
from . import onnx, profiler, viz  # noqa: E402
from .dlpack import from_dlpack  # noqa: E402

# isort: split
# linalg, special, fft: submodules, as torch.linalg. ``linalg`` is imported by its full
# name: the star import above bound the name to autograd.ops.linalg (matmul)
import importlib as _importlib  # noqa: E402

from . import fft, special  # noqa: E402

linalg = _importlib.import_module(".linalg", __name__)

# isort: split
from .linalg import cholesky, det, logdet, matrix_power, pinverse, slogdet  # noqa: E402
from .linalg import inv as inverse  # noqa: E402
from .special import digamma, erfc, erfinv, i0, logit, polygamma, sinc, xlogy  # noqa: E402
from .special import gammaln as lgamma  # noqa: E402
from .special import multigammaln as mvlgamma  # noqa: E402

# isort: split
# tensor ops, random generators, PyTorch's namespaces
from . import accelerator, cuda, random, testing  # noqa: E402
from .compat import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    Size,
    __version__,
    e,
    finfo,
    get_float32_matmul_precision,
    iinfo,
    inf,
    nan,
    newaxis,
    pi,
    set_float32_matmul_precision,
    version,
)
from .factories import logspace, scalar_tensor  # noqa: E402
from .grad_mode import inference_mode, is_inference_mode_enabled  # noqa: E402
from .random import Generator, bernoulli, multinomial, normal, poisson, randint_like  # noqa: E402

# isort: split
# data loading and data-parallel training: PyTorch's torch.utils / torch.distributed
from . import distributed, utils  # noqa: E402

# isort: split
# out= on the common functions, as PyTorch's
from . import ops as _ops  # noqa: E402
from .ops.inplace import with_out as _with_out  # noqa: E402

for _name in ("add", "sub", "mul", "div", "pow", "matmul", "exp", "log", "sqrt", "abs", "neg",
              "sin", "cos", "tanh", "sigmoid", "clamp", "maximum", "minimum", "sum", "mean",
              "prod", "cat", "stack", "where", "mm", "bmm", "addmm", "mv", "dot", "log1p",
              "expm1", "rsqrt", "floor", "ceil", "round", "sinh", "cosh", "atan2", "cumsum",
              "remainder", "fmod", "lerp", "addcmul", "addcdiv"):
    globals()[_name] = _with_out(getattr(_ops, _name))
del _name

bool = bool_  # noqa: A001  (ag.bool, as torch.bool)
float = float32  # noqa: A001
int = int32  # noqa: A001

# --- ag.compile (issue 13): record a step once, replay its array program ---
from .compile import CompileError, CompileMismatchError, replayable  # noqa: E402, I001
from .compile import compile  # noqa: E402, A004, I001

__all__ = [n for n in dir() if not n.startswith("_")]
