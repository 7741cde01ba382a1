"""Tests that kill the surviving mutants of nn/functional/conv.py (issue 18)."""
