"""The differentiable ops, as functions on Tensors (also bound as Tensor methods)."""

from ._util import Expand, SumTo, expand, sum_to  # noqa: F401
from .arithmetic import (  # noqa: F401
    abs,
    add,
    clamp,
    cos,
    div,
    erf,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    promote,
    reciprocal,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tanh,
    where,
)
from .compare import (  # noqa: F401
    allclose,
    ceil,
    eq,
    equal,
    floor,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    round,
    trunc,
)
from .convert import cast, clone, to_device  # noqa: F401
from .indexing import getitem, setitem  # noqa: F401
from .linalg import einsum, matmul  # noqa: F401
from .reduce import (  # noqa: F401
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .shape import (  # noqa: F401
    broadcast_to,
    cat,
    chunk,
    expand_,
    expand_as,
    flatten,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    view,
)
from .softmax import log_softmax, softmax  # noqa: F401

# isort: split
# complex tensors (issue 12: autograd.fft)
from .complex import (  # noqa: F401
    angle,
    complex,
    conj,
    imag,
    is_complex,
    polar,
    real,
    view_as_complex,
    view_as_real,
)

clip = clamp
concatenate = cat
true_divide = divide = div
multiply = mul
subtract = sub
