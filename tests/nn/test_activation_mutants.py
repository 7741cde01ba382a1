"""Tests against the surviving mutants of ``nn/functional/activation.py`` (issue 18)."""
