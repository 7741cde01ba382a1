"""The packages' layering (docs/architecture.md), checked on every test run.

* import-linter's contracts in pyproject.toml: ``backends`` <- ``autograd`` <- ``nn`` <-
  ``optim``, function-local imports included;
* code outside ``autograd`` uses the core's public API (``autograd.extend``): no
  underscore name imported from another package (nor the grad-mode ``STATE``: outside
  the core, grad mode is read with ``is_grad_enabled()``), no node internals read;
* each package registers its own ops: ``import nn`` hands nn's providers to the registry.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backends", "autograd", "nn", "optim")
# a node's private fields: only autograd's graph core reads them
NODE_INTERNALS = {"_saved", "_origins", "edges", "edge_idx", "_freed", "_hooks"}


def _library_files():
    for pkg in PACKAGES:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def test_import_linter_contracts_are_kept():
    pytest.importorskip("importlinter")
    # a fresh interpreter with this tree first on the path, so the graph is of these files
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, "
            "no_cache=True, no_logo=True))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "BROKEN" not in run.stdout and " KEPT" in run.stdout, run.stdout


def test_no_private_name_crosses_a_package_boundary():
    bad = []
    for path in _library_files():
        own = path.relative_to(ROOT).parts[0]
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                top = node.module.split(".")[0]
                if top == own or top not in PACKAGES:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") or alias.name == "STATE" or any(
                            p.startswith("_") and p != "__init__"
                            for p in node.module.split(".")):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports "
                                   f"{alias.name} from {node.module}")
            elif (own != "autograd" and isinstance(node, ast.Attribute)
                  and node.attr in NODE_INTERNALS and isinstance(node.value, ast.Name)
                  and node.value.id == "ctx"):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} reads ctx.{node.attr}")
    assert not bad, "use autograd.extend's public API instead:\n" + "\n".join(bad)


def test_each_package_registers_its_own_ops():
    import nn  # noqa: F401  (hands nn's providers over)
    from autograd.testing import opinfo

    ops = opinfo.all_ops()
    origins = {info.fn.__module__.split(".")[0] for info in ops if hasattr(info.fn, "__module__")}
    assert "autograd" in " ".join(opinfo._PROVIDERS)
    assert all(m.startswith("nn.") for m in opinfo._ADDED) and opinfo._ADDED
    assert any(o.group == "nn" for o in ops) and any(o.group == "seq" for o in ops), origins
    for mod in opinfo._PROVIDERS:
        assert mod.startswith("autograd."), f"{mod}: autograd's registry lists only its own"
