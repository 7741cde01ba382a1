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
    expand_as,
    expand_to,
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

# --- issue 12 tensor ops (ops helper) -------------------------------------------------
from .elementwise import (  # noqa: E402, F401
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    copysign,
    cosh,
    deg2rad,
    exp2,
    expm1,
    floor_divide,
    fmod,
    hypot,
    lerp,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    nextafter,
    rad2deg,
    remainder,
    sgn,
    sinh,
    tan,
)
from .gather import (  # noqa: E402, F401
    gather,
    index_add,
    index_select,
    masked_scatter,
    masked_select,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from .layout import (  # noqa: E402, F401
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    column_stack,
    cross,
    diag,
    diag_embed,
    diagflat,
    dstack,
    flip,
    fliplr,
    flipud,
    ger,
    hstack,
    kron,
    meshgrid,
    moveaxis,
    movedim,
    outer,
    repeat,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    swapaxes,
    swapdims,
    tile,
    trace,
    tril,
    triu,
    vstack,
)
from .products import (  # noqa: E402, F401
    addbmm,
    addmm,
    addmv,
    baddbmm,
    bmm,
    chain_matmul,
    dot,
    inner,
    mm,
    mv,
    tensordot,
    vdot,
)
from .scan import cummax, cummin, cumprod, cumsum, logcumsumexp  # noqa: E402, F401
from .search import (  # noqa: E402, F401
    all,
    any,
    argwhere,
    bincount,
    bucketize,
    count_nonzero,
    histc,
    isclose,
    nonzero,
    searchsorted,
    unique,
    unique_consecutive,
)
from .sorting import argsort, kthvalue, median, mode, msort, nanmedian, sort, topk  # noqa: E402, F401
from .stats import (  # noqa: E402, F401
    aminmax,
    cdist,
    diff,
    dist,
    nan_to_num,
    nanmean,
    nansum,
    norm,
    renorm,
    std_mean,
    trapezoid,
    trapz,
    var_mean,
)

fix = trunc
negative = neg
absolute = abs
# --- in-place ops, views, step functions (issue 11) ---
from . import inplace  # noqa: F401,E402

# issue 12/16 edge cases (reliab): & | ^ are bitwise on integers, logical_* take any dtype
from .compare import bitwise_and, bitwise_or, bitwise_xor  # noqa: E402,F401
from .inplace import index_copy, index_fill  # noqa: F401,E402
from .rounding import frac  # noqa: F401,E402
from .views import contiguous, diagonal, narrow, unfold  # noqa: F401,E402
