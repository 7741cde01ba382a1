"""Tests that kill the surviving mutants of nn/functional/embedding_bag.py (issue 18)."""
