"""Shared pytest configuration: hypothesis profiles for the fuzz tests.

The default profile keeps property tests to a few seconds; run thousands of examples with
``python -m pytest tests/autograd/test_fuzz_torch.py --hypothesis-profile=long``.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")
