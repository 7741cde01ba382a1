"""Tests that kill the surviving mutants of nn/functional/pooling.py (issue 18)."""
