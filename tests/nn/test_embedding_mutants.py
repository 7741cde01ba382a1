"""Tests that kill the surviving mutants of nn/functional/embedding.py (issue 18)."""
