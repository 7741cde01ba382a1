"""nn's entries in the op registry (``autograd.testing.opinfo``).

``import nn`` hands the modules below to the registry, which imports them on
``all_ops()``. A new provider module of nn joins with one line in ``_PROVIDERS``.
"""

from autograd.testing.opinfo import add_providers

# nn's modules that register ops; each owns the entries of one area
_PROVIDERS = (
    "nn.testing.nn_ops",
    "nn.testing.conv_ops",
    "nn.testing.seq_ops",
    # layers of issue 12
    "nn.testing.layers_ops",
)

add_providers(*_PROVIDERS)
