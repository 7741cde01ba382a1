"""One assertion shared by the mutation-testing files: a tensor's exact values."""

import numpy as np


def assert_exact(t, expected, dtype=None):
    """``t`` has exactly ``expected``'s values and shape (NaN equal to NaN), and ``dtype``
    when given."""
    a = t.detach().numpy()
    e = np.asarray(expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    assert np.array_equal(a, e, equal_nan=a.dtype.kind in "fc"), (a, e)
    if dtype is not None:
        assert a.dtype == np.dtype(dtype), a.dtype
