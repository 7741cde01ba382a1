"""Tests that kill the surviving mutants of nn/functional/loss_extra.py (issue 18)."""
