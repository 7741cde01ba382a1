"""Tests against the surviving mutants of ``nn/functional/linear.py`` (issue 18)."""
