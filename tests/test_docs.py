"""docs/architecture.md: every file or folder path it names exists in the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
# a path: words joined by "/", ending in a file with an extension or in "/" (a folder)
PATH = re.compile(r"(?<![\w.<>/-])((?:[\w.-]+/)+(?:[\w.-]+\.(?:py|md|toml|txt))?)(?![\w<>])")


def _named_paths(text: str) -> set[str]:
    return {m.group(1) for m in PATH.finditer(text) if "/" in m.group(1)}


def test_architecture_doc_exists_and_names_real_paths():
    text = DOC.read_text()
    paths = _named_paths(text)
    assert len(paths) >= 20, sorted(paths)  # the map names the files to touch
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_the_path_pattern_finds_paths_and_only_paths():
    found = _named_paths("see `nn/functional/linear.py`, `optim/` and tests/x.py; "
                         "not a/b ratio or 1/2 or <name>/file")
    assert found == {"nn/functional/linear.py", "optim/", "tests/x.py"}
