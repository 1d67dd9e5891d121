"""The code style and types are part of the suite: ruff (lint + import order) and mypy on nnedu/ and experiments/.

Both are configured in pyproject.toml; run them by hand with ``make lint``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is in requirements.txt; run `make test` (or pip install {name})")
    return found


def test_ruff_is_clean():
    result = subprocess.run([tool("ruff"), "check", "nnedu", "tests", "benchmarks", "experiments"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, "ruff found problems:\n" + result.stdout + result.stderr


def test_mypy_is_clean():
    result = subprocess.run([tool("mypy"), "nnedu", "experiments"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, "mypy found problems:\n" + result.stdout + result.stderr
