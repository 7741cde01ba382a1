"""Shared pytest configuration: hypothesis profiles for the fuzz tests, and the examples'
folder on sys.path (where a script finds its sibling modules).

The default profile keeps property tests to a few seconds; run thousands of examples with
``python -m pytest tests/autograd/test_fuzz_torch.py --hypothesis-profile=long``.
"""

import os
import sys

from hypothesis import HealthCheck, settings

# the examples import their shared helpers (examples/_resume.py) as a script would
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "examples"))

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")
