"""Tests against the surviving mutants of ``nn/functional/normalization.py`` (issue 18)."""
