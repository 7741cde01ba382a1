"""Tests against the surviving mutants of ``nn/functional/distance.py`` (issue 18)."""
