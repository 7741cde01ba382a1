"""Tests that kill the surviving mutants of nn/functional/attention.py (issue 18)."""
