"""Tests written against the mutants of ``autograd/graph.py`` that survived the rest of
the suite (issue 18): each one names the planted change it catches."""

from __future__ import annotations
