"""The Colab and Binder set-up: one first cell in every notebook, and dependencies Colab can meet.

Every notebook of ``book/``, ``solutions/`` and ``exercises/`` starts with the same code cell,
tagged ``remove-cell`` (the site hides it) and ``nnedu-setup``. It installs nnedu from the
repository when nnedu is not importable (Colab, a bare Binder) and does nothing otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from conftest import REPO
from packaging.requirements import Requirement
from packaging.version import Version

SETUP_CELL = '''# Set-up for Colab and Binder: installs nnedu where it is missing (does nothing locally).
import importlib.util, subprocess, sys
if importlib.util.find_spec("nnedu") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "nnedu[data] @ git+https://github.com/nnedu/nnedu"], check=True)'''
SETUP_TAGS = ["remove-cell", "nnedu-setup"]
FOLDERS = ("book", "solutions", "exercises")

#: What Google Colab ships, from googlecolab/backend-info, pip-freeze.txt and os-info.txt at
#: commit a72407924822 (2026-08-19): the packages nnedu and its ``data`` extra depend on.
COLAB_PYTHON = "3.13.15"
COLAB_PACKAGES = {
    "numpy": "2.1.3", "matplotlib": "3.10.0", "ipywidgets": "7.7.1", "tqdm": "4.67.3",
    "scikit-learn": "1.6.1", "pooch": "1.9.0", "nbformat": "5.11.1",
    # not among the versions copied from that snapshot, but scikit-learn 1.6.1 requires
    # threadpoolctl>=3.1.0, so Colab has at least that (an older snapshot lists 3.2.0)
    "threadpoolctl": "3.1.0",
}


def notebooks() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (REPO / folder).glob("*.ipynb"))


def test_every_folder_has_notebooks():
    for folder in FOLDERS:
        assert list((REPO / folder).glob("*.ipynb")), f"no notebooks in {folder}/"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_starts_with_the_setup_cell(path: Path):
    first = json.loads(path.read_text())["cells"][0]
    source = first["source"] if isinstance(first["source"], str) else "".join(first["source"])
    where = f"{path.relative_to(REPO)}: the first cell"
    assert first["cell_type"] == "code", f"{where} is {first['cell_type']}, not the set-up code cell"
    assert source == SETUP_CELL, f"{where} is not exactly the set-up cell:\n{source}"
    assert first.get("metadata", {}).get("tags") == SETUP_TAGS, \
        f"{where} has tags {first.get('metadata', {}).get('tags')}, expected {SETUP_TAGS}"
    assert not first.get("outputs") and first.get("execution_count") is None, f"{where} is stored with outputs"


def run_setup_cell(hide_nnedu: bool) -> list[list[str]]:
    """Run the cell in a fresh interpreter with ``subprocess.run`` recorded instead of run.

    ``hide_nnedu``: ``-I -S``, no site-packages (nor the editable install's import hook), as on Colab.
    """
    script = (
        "import json, subprocess, sys\n"
        "calls = []\n"
        "subprocess.run = lambda args, **kw: calls.append(list(args))\n"
        + SETUP_CELL + "\n"
        "print(json.dumps(calls))\n"
    )
    flags = ["-I", "-S"] if hide_nnedu else []
    done = subprocess.run([sys.executable, *flags, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=REPO.parent, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_setup_cell_does_nothing_where_nnedu_is_installed():
    assert run_setup_cell(hide_nnedu=False) == []


def test_setup_cell_installs_nnedu_where_it_is_missing():
    calls = run_setup_cell(hide_nnedu=True)
    assert len(calls) == 1, calls
    args = calls[0]
    assert args[1:5] == ["-m", "pip", "install", "--quiet"], args
    requirement = Requirement(args[-1])
    assert requirement.name == "nnedu" and requirement.extras == {"data"}, args[-1]
    assert requirement.url == "git+https://github.com/nnedu/nnedu", args[-1]


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_what_colab_installs_is_already_there():
    """``pip install "nnedu[data] @ git+..."`` on Colab must not replace a package Colab ships."""
    meta = project()
    assert Version(COLAB_PYTHON) in Requirement(f"python{meta['requires-python']}").specifier, \
        f"requires-python {meta['requires-python']} excludes Colab's Python {COLAB_PYTHON}"
    needed = [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["data"]]
    missing = [r.name for r in needed if r.name.lower() not in COLAB_PACKAGES]
    assert not missing, f"dependencies Colab does not ship (would be installed on every launch): {missing}"
    conflicts = [f"{r} (Colab has {COLAB_PACKAGES[r.name.lower()]})" for r in needed
                 if not r.specifier.contains(COLAB_PACKAGES[r.name.lower()], prereleases=True)]
    assert not conflicts, f"dependencies that would replace what Colab ships: {conflicts}"


def test_torch_is_only_an_extra():
    meta = project()
    assert not any(Requirement(r).name == "torch" for r in meta["dependencies"]), \
        "torch must stay an optional extra (Colab has its own torch build)"
    assert any(Requirement(r).name == "torch" for r in meta["optional-dependencies"]["torch"])


def test_binder_files_pin_a_python_nnedu_supports():
    runtime = (REPO / "binder" / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-"), f"binder/runtime.txt: expected python-3.X, got {runtime!r}"
    version = runtime.removeprefix("python-")
    assert Version(version) in Requirement(f"python{project()['requires-python']}").specifier, \
        f"Binder's Python {version} is outside requires-python {project()['requires-python']}"
