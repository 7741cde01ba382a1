"""Tests against the surviving mutants of ``nn/functional/dropout.py`` (issue 18)."""
