"""Notebooks are stored without outputs: the book build and nbval execute them."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import REPO


def tracked_notebooks() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout: cannot list tracked notebooks")
    return out.stdout.split()


def test_there_are_notebooks():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    assert any(nb.startswith("book/") for nb in tracked_notebooks())


def test_every_tracked_notebook_has_no_outputs():
    dirty = []
    for path in tracked_notebooks():
        nb = json.loads((REPO / path).read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(path)
                break
    assert not dirty, f"notebooks stored with outputs (clear them before committing): {dirty}"
