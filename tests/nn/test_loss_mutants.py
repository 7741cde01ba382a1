"""Tests against the surviving mutants of ``nn/functional/loss.py`` (issue 18)."""
