"""autograd/tensor.pyi lists every Tensor method, so editors and type checkers see the
ops bound from autograd/methods.py; it is generated, and must be current."""

from __future__ import annotations

import ast

import autograd as ag
from autograd import _stubgen


def test_stub_is_current():
    assert _stubgen.path().read_text() == _stubgen.render(), (
        "autograd/tensor.pyi is stale: run `python -m autograd._stubgen`")


def test_stub_declares_every_public_method_and_bound_op():
    tree = ast.parse(_stubgen.path().read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    declared = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    declared |= {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign)}
    runtime = {n for n in dir(ag.Tensor) if not n.startswith("_")}
    assert runtime <= declared, sorted(runtime - declared)
    for name in ("add", "masked_fill_", "scatter_", "reshape", "__iadd__", "T", "grad"):
        assert name in declared


def test_stub_signature_is_the_implementing_function():
    tree = ast.parse(_stubgen.path().read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    add = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "add")
    assert [a.arg for a in add.args.args] == ["self", "b"]
    assert [a.arg for a in add.args.kwonlyargs] == ["alpha"]
