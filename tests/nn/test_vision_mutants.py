"""Tests that kill the surviving mutants of nn/functional/vision.py (issue 18)."""
