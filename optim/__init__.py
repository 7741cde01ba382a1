"""Optimizers and learning-rate schedulers (PyTorch update rules)."""
