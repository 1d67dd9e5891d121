"""nnedu as a student meets it outside this checkout: a wheel in a fresh venv, and Binder.

The wheel is built from a copy of the working tree, installed with the ``lab`` extra into
a new venv in a temporary folder (pip as configured on this machine: a local package index,
no network), and used from an empty folder that holds one exercise notebook and nothing
else. No repository is on the path: the checks below would fail if ``nnedu check`` still
looked for the public tests under the repository.

Slow-ish (about 30 s: most of it is pip installing nnedu's dependencies and JupyterLab into
the fresh venv) but part of ``make test``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

EXERCISE = "04_activations.ipynb"
QUESTION = re.compile(r"\*\*Question \d+ \((\d+(?:\.\d+)?) points?\)\*\*")
#: PyTorch's CPU index, named in binder/requirements.txt; unreachable here (no network).
NETWORK_INDEX = "https://download.pytorch.org/whl/cpu"


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command; on failure the assertion shows its output."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


def clean_env(venv: Path, home: Path) -> dict[str, str]:
    """A student's shell: the venv's bin first, no PYTHONPATH; pip keeps this machine's settings."""
    env = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
    env.update(PATH=f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", HOME=str(home), LANG="C.UTF-8",
               MPLBACKEND="Agg")
    return env


def copy_source(target: Path) -> Path:
    """The files git would ship (tracked or new, not ignored), so the build never writes into the repo."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", ".venv", "_build", "*.egg-info",
                                                                   "__pycache__", "build"))
        return target
    for name in filter(None, listed.stdout.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def max_points(notebook: Path) -> float:
    """The notebook's total, read from its "**Question N (P points)**" headings (not from nnedu)."""
    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    points = [float(p) for p in QUESTION.findall(text)]
    assert points, f"no '**Question N (P points)**' heading in {notebook}"
    return sum(points)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the wheel, make a fresh venv, install ``nnedu[lab]`` from the wheel."""
    root = tmp_path_factory.mktemp("wheel")
    home = root / "home"
    home.mkdir()
    source = copy_source(root / "source")
    venv = root / "venv"
    env = clean_env(venv, home)
    # The build runs in this (test) interpreter: setuptools is already here, no isolated build env.
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(root / "dist"), str(source)], cwd=root, env=env)
    wheels = list((root / "dist").glob("nnedu-*.whl"))
    assert len(wheels) == 1, f"expected one nnedu wheel, got {wheels}"
    shutil.rmtree(source)  # from here on, no copy of the repository exists anywhere near the venv
    run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=env)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", f"{wheels[0]}[lab]"], cwd=root, env=env)
    return {"root": root, "venv": venv, "env": env, "wheel": wheels[0]}


def lone_folder(installed: dict, name: str, notebook: Path) -> Path:
    """An empty folder holding only a copy of ``notebook``."""
    folder = installed["root"] / name
    folder.mkdir()
    shutil.copy(notebook, folder / notebook.name)
    return folder


def test_the_wheel_ships_the_public_tests(installed):
    import zipfile

    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for exercise in sorted((REPO / "solutions").glob("*.ipynb")):
        number, stem = exercise.stem.split("_", 1)
        assert any(n.endswith(f"/ex{number}_{stem}.py") for n in names), \
            f"the wheel has no public tests for exercise {number} ({exercise.name}): {sorted(names)[:5]} ..."


def test_nnedu_comes_from_the_venv_not_the_repository(installed):
    folder = lone_folder(installed, "where", REPO / "exercises" / EXERCISE)
    python = installed["venv"] / "bin" / "python"
    done = run([str(python), "-c", "import sys, nnedu; print(nnedu.__file__); print(sys.path)"],
               cwd=folder, env=installed["env"])
    where, path = done.stdout.splitlines()
    assert Path(where).is_relative_to(installed["venv"]), f"nnedu imported from {where}, not from the venv"
    assert str(REPO) not in path, f"the repository is on sys.path: {path}"


def test_untouched_exercise_scores_zero(installed):
    folder = lone_folder(installed, "untouched", REPO / "exercises" / EXERCISE)
    top = max_points(folder / EXERCISE)
    done = subprocess.run([str(installed["venv"] / "bin" / "nnedu"), "check", EXERCISE], cwd=folder,
                          env=installed["env"], capture_output=True, text=True, timeout=300, check=False)
    assert "unknown exercise" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert f"total: 0/{top:g} points" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 1, "a notebook that does not pass every test must exit with status 1"
    assert os.listdir(folder) == [EXERCISE], f"nnedu check left files behind: {os.listdir(folder)}"


def test_solution_scores_full_marks(installed):
    folder = lone_folder(installed, "solved", REPO / "solutions" / EXERCISE)
    top = max_points(folder / EXERCISE)
    done = run([str(installed["venv"] / "bin" / "nnedu"), "check", EXERCISE], cwd=folder, env=installed["env"],
               timeout=300)
    assert f"total: {top:g}/{top:g} points" in done.stdout, done.stdout


def test_nnedu_check_inside_the_notebook_finds_its_tests(installed):
    """What a student runs in Jupyter: the notebook's cells, then ``nnedu.check("qN")`` (in-process)."""
    folder = lone_folder(installed, "inprocess", REPO / "solutions" / EXERCISE)
    script = (
        "import json, sys\n"
        "cells = json.load(open(sys.argv[1]))['cells']\n"
        "for cell in cells:\n"
        "    if cell['cell_type'] == 'code':\n"
        "        exec(''.join(cell['source']), sys.modules['__main__'].__dict__)\n"
    )
    done = run([str(installed["venv"] / "bin" / "python"), "-c", script, EXERCISE], cwd=folder,
               env=installed["env"], timeout=300)
    assert "unknown exercise" not in done.stdout, done.stdout
    lines = [line for line in done.stdout.splitlines() if re.match(r"q\d+: ", line)]
    questions = len(QUESTION.findall(json.dumps(json.loads((folder / EXERCISE).read_text())["cells"])))
    assert len(lines) == questions, f"expected one result line per question ({questions}):\n{done.stdout}"
    assert all("FAIL" not in line and "TODO" not in line for line in done.stdout.splitlines()), done.stdout


def test_the_lab_extra_installs_jupyterlab_4(installed):
    done = run([str(installed["venv"] / "bin" / "jupyter-lab"), "--version"], cwd=installed["root"],
               env=installed["env"])
    major = int(done.stdout.strip().split(".")[0])
    assert major >= 4, f"nnedu[lab] installed JupyterLab {done.stdout.strip()}, the course needs >= 4"


def binder_requirements() -> tuple[list[str], list[str]]:
    """binder/requirements.txt split into its requirement lines and its pip options."""
    lines = [line.split("#", 1)[0].strip() for line in (REPO / "binder" / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    options = [line for line in lines if line.startswith("--")]
    return [line for line in lines if line not in options], options


def test_binder_installs_nnedu_from_the_repository(installed, tmp_path):
    """Binder runs ``pip install -r binder/requirements.txt`` at the repository root (repo2docker).

    Here, without network: the PyTorch index line is dropped (torch comes from this machine's
    local index), the full resolution is checked with ``--dry-run``, then the file's
    requirements are installed for real, without dependencies (the wheel tests above already
    installed nnedu's own), into the fresh venv, and nnedu is imported from another folder.
    Runs last in this module: it replaces the wheel's nnedu by the editable one.
    """
    requirements, options = binder_requirements()
    assert any(re.fullmatch(r"-e \.(\[[a-z,]+\])?", line) for line in requirements), \
        f"binder/requirements.txt does not install the repository itself (-e .): {requirements}"
    unknown = [o for o in options if o != f"--extra-index-url {NETWORK_INDEX}"]
    assert not unknown, f"binder/requirements.txt has pip options this test does not know: {unknown}"
    runtime = (REPO / "binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), f"binder/runtime.txt should pin python-3.X, has {runtime!r}"

    checkout = copy_source(tmp_path / "checkout")
    offline = checkout / "binder" / "requirements-offline.txt"
    offline.write_text("\n".join(requirements) + "\n")
    python = str(installed["venv"] / "bin" / "python")
    env = installed["env"]
    run([python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(tmp_path / "report.json"),
         "-r", str(offline.relative_to(checkout))], cwd=checkout, env=env)
    report = json.loads((tmp_path / "report.json").read_text())
    chosen = {item["metadata"]["name"].lower(): item for item in report["install"]}
    assert "nnedu" in chosen, f"binder's requirements do not install nnedu: {sorted(chosen)}"
    assert chosen["nnedu"]["download_info"]["url"] == checkout.as_uri(), chosen["nnedu"]["download_info"]
    for extra in ("torch", "scikit-learn", "pooch"):
        assert extra in chosen, f"binder would not install {extra} (the data and torch extras): {sorted(chosen)}"
    assert chosen["torch"]["metadata"]["version"].startswith("2.13.0"), chosen["torch"]["metadata"]["version"]

    run([python, "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(offline.relative_to(checkout))],
        cwd=checkout, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run([python, "-c", "import nnedu; print(nnedu.__file__)"], cwd=elsewhere, env=env)
    assert Path(done.stdout.strip()).is_relative_to(checkout), f"Binder's nnedu is {done.stdout.strip()}"
    solved = lone_folder(installed, "binder-solved", REPO / "solutions" / EXERCISE)
    top = max_points(solved / EXERCISE)
    done = run([str(installed["venv"] / "bin" / "nnedu"), "check", EXERCISE], cwd=solved, env=env, timeout=300)
    assert f"total: {top:g}/{top:g} points" in done.stdout, done.stdout
