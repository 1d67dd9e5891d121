"""``nnedu autograder``: Gradescope's autograder bundle for one exercise, and what runs inside it.

Gradescope builds one container image per assignment from a zip holding ``setup.sh`` and
``run_autograder``, then grades each submission in a fresh container: the files a student
uploaded are in ``/autograder/submission/``, and ``/autograder/results/results.json`` is read
back. This is how a course of a thousand students scales. The bundle holds::

    setup.sh                 install Python, then nnedu and its pinned dependencies in a venv
    run_autograder           grade /autograder/submission with `python -m nnedu.grading.autograder`
    requirements.txt         nnedu's dependencies, pinned to the versions the instructor tested
    wheels/nnedu-*.whl       this very nnedu (no git URL: the bundle grades with the code you ran)
    nnedu_autograder.json    exercise, limits
    tests/exNN_*.py          the hidden tests, if any (readable by root only inside the container)

Grading inside the container uses the same engine as ``nnedu grade`` (a sandboxed child per
submission, tests in the grader). The container is the isolation boundary Gradescope gives each
submission; nnedu's own sandbox adds what the container allows, and results.json says which
level was used. ``NNEDU_AUTOGRADER_ROOT`` (default ``/autograder``) and
``NNEDU_AUTOGRADER_PYTHON`` move the tree and the interpreter, so the bundle can be tested
anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from nnedu.grading.runner import exercise_files, load_tests, normalise_exercise

CONFIG = "nnedu_autograder.json"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs nnedu (the wheel in this bundle) and its pinned dependencies in a venv.
set -euo pipefail
ROOT="${NNEDU_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${NNEDU_AUTOGRADER_PYTHON:-python3}"
cd "$ROOT"  # `python -m` and `-c` put the working folder first on sys.path: never another nnedu
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c "import ensurepip" >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv python3-pip
    PYTHON=python3
fi
"$PYTHON" -m venv "$ROOT/nnedu-venv"
"$ROOT/nnedu-venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/nnedu-venv/bin/python" -m pip install --quiet -r "$SOURCE/requirements.txt" "$SOURCE"/wheels/nnedu-*.whl
"$ROOT/nnedu-venv/bin/python" -c "import nnedu.grading.autograder"
# the student's code runs under a uid of its own: it must be able to read the venv (never the source)
chmod o+x "$ROOT"
chmod -R o+rX "$ROOT/nnedu-venv"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: grade /autograder/submission, write
# /autograder/results/results.json (see nnedu.grading.autograder).
ROOT="${NNEDU_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${NNEDU_AUTOGRADER_PYTHON:-$ROOT/nnedu-venv/bin/python}"
cd "$ROOT"  # `python -m` puts the working folder first on sys.path: grade with the venv's nnedu only
exec "$PYTHON" -m nnedu.grading.autograder "$ROOT"
"""


class BundleError(ValueError):
    """The bundle cannot be built as asked (the message says why)."""


# building the bundle --------------------------------------------------------------------
def _distribution() -> importlib.metadata.Distribution:
    """The installed nnedu's metadata (a wheel's METADATA, or a source tree's PKG-INFO)."""
    for distribution in importlib.metadata.distributions(name="nnedu"):
        if distribution.read_text("METADATA"):
            return distribution
    return importlib.metadata.distribution("nnedu")


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path) -> Path:
    """A wheel of the nnedu that is running, written into ``folder`` (pure Python, no build tools).

    It holds every file of the installed package (the public exercise tests included), so the
    bundle grades with exactly the code the instructor ran, wherever that was installed from.
    """
    import nnedu

    distribution = _distribution()
    version = distribution.version
    metadata = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO") or ""
    if not metadata:
        raise BundleError("cannot find nnedu's package metadata: install nnedu (pip install .) and try again")
    package = Path(nnedu.__file__).resolve().parent
    info = f"nnedu-{version}.dist-info"
    files: dict[str, bytes] = {}
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and "__pycache__" not in relative.parts and path.suffix not in (".pyc", ".pyo") \
                and not any(part.startswith(".") for part in relative.parts):
            files[f"nnedu/{relative.as_posix()}"] = path.read_bytes()
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: nnedu.grading.autograder\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{info}/entry_points.txt"] = (distribution.read_text("entry_points.txt") or "").encode()
    files[f"{info}/top_level.txt"] = b"nnedu\n"
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"nnedu-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return wheel


def pinned_requirements(extras: tuple[str, ...] = ()) -> list[str]:
    """nnedu's dependencies (and those of ``extras``), each pinned to the version installed here."""
    lines = []
    for requirement in _distribution().requires or []:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
        if name is None:
            continue
        marker = requirement.split(";", 1)[1] if ";" in requirement else ""
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", marker)
        if extra is not None and extra.group(1) not in extras:
            continue
        if name.group(0) == "nnedu":
            continue
        try:
            version = importlib.metadata.version(name.group(0))
        except importlib.metadata.PackageNotFoundError:
            raise BundleError(f"{name.group(0)} (needed by nnedu{'[' + ','.join(extras) + ']' if extras else ''}) "
                              f"is not installed here, so its version cannot be pinned: install it first") from None
        lines.append(f"{name.group(0)}=={version.split('+')[0]}")
    if "torch" in extras:  # the CPU build: PyPI's default torch pulls gigabytes of CUDA
        lines.insert(0, "--extra-index-url https://download.pytorch.org/whl/cpu")
    return lines


EXTRA_MODULES = {"torch": "torch", "sklearn": "data", "pooch": "data"}  # what a notebook imports -> nnedu's extra


def extras_for(exercise: str) -> tuple[str, ...]:
    """The extras of nnedu the course's exercise notebook needs (``torch`` for exercise 12), when it is at hand,
    and those its public tests need (``data`` for the capstones of exercises 9 and 11, graded on the digits)."""
    import ast

    from nnedu.grading import notebook
    from nnedu.grading.runner import REPO

    needed: dict[str, None] = {}
    for path in sorted((REPO / "exercises").glob(f"{exercise}_*.ipynb")):
        for code in notebook.code_cells(notebook.load(path)):
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                for name in names:
                    extra = EXTRA_MODULES.get(name.split(".")[0])
                    if extra:
                        needed[extra] = None
    from nnedu.grading.runner import exercise_files, tests_dir

    if any("nnedu.data" in path.read_text() for path in exercise_files(tests_dir(), exercise)):
        needed["data"] = None  # the tests load a data set themselves (the capstones' digits need scikit-learn)
    return tuple(needed)


def build_bundle(exercise: str, output: Path, hidden: Path | None = None, timeout: float = 10.0,
                 memory_mb: int = 2048, extras: tuple[str, ...] | None = None) -> list[str]:
    """Write Gradescope's autograder zip for ``exercise`` to ``output``; returns the names it holds.

    ``extras`` (nnedu's optional dependencies to install too) defaults to what the course's
    exercise notebook imports (``torch`` for exercise 12).
    """
    exercise = normalise_exercise(exercise)
    if extras is None:
        extras = extras_for(exercise)
    tests = load_tests(exercise, hidden)  # an unknown exercise or a broken hidden test fails here
    hidden_files = exercise_files(hidden, exercise) if hidden is not None else []
    if hidden is not None and not hidden_files:
        raise BundleError(f"no hidden tests for exercise {exercise} in {hidden} (expected files ex{exercise}_*.py)")
    config = {"exercise": exercise, "timeout": timeout, "memory_mb": memory_mb,
              "points": sum(t.points for t in tests), "hidden_tests": [p.name for p in hidden_files]}
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(Path(scratch))
        entries: dict[str, tuple[bytes, int]] = {
            "setup.sh": (SETUP_SH.encode(), 0o755),
            "run_autograder": (RUN_AUTOGRADER.encode(), 0o755),
            "requirements.txt": (("\n".join(pinned_requirements(extras)) + "\n").encode(), 0o644),
            f"wheels/{wheel.name}": (wheel.read_bytes(), 0o644),
            CONFIG: (json.dumps(config, indent=2).encode(), 0o644),
        }
        for path in hidden_files:
            entries[f"tests/{path.name}"] = (path.read_bytes(), 0o600)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return list(entries)


# inside the container -------------------------------------------------------------------
def _results(root: Path, data: dict) -> None:
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def run(root: Path) -> int:
    """Grade ``root/submission`` with the bundle's configuration; write ``root/results/results.json``.

    Whatever goes wrong, results.json says so (score 0 and a message the student sees), so a
    bad upload never shows up as an autograder failure.
    """
    from nnedu.grading.grade import grade
    from nnedu.grading.sandbox import Limits, isolation_level

    source, submission = root / "source", root / "submission"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    hidden = source / "tests" if (source / "tests").is_dir() else None
    if os.geteuid() == 0:  # the student's code runs under another uid: it cannot read the hidden tests
        os.chmod(source, 0o700)
    if isolation_level() != "full":
        print("warning: this container cannot give nnedu's sandbox its namespaces (it lacks CAP_SYS_ADMIN); "
              "grading with the container as the boundary, the student's code under its own uid, "
              "the hidden tests readable by root only (results.json records the level)")
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts) \
        if submission.is_dir() else []
    if not notebooks:
        _results(root, {"score": 0.0, "output": "No notebook (.ipynb) was found in your submission: upload your "
                        f"exercise {config['exercise']} notebook.", "tests": []})
        return 0
    with tempfile.TemporaryDirectory(prefix="nnedu-autograder-") as scratch:
        subs, out = Path(scratch) / "submissions", Path(scratch) / "out"
        shutil.copytree(submission, subs / "submission", symlinks=True)
        limits = Limits(timeout=float(config["timeout"]), memory_mb=int(config["memory_mb"]),
                        submission_timeout=max(120.0, 20 * float(config["timeout"])))
        report = grade(subs, config["exercise"], out, hidden=hidden, limits=limits, progress=print, insecure=True)
        name = report.files["submission"]
        data = json.loads((out / "gradescope" / name / "results.json").read_text(encoding="utf-8"))
        feedback = out / "feedback" / f"{name}.md"
        notes = [line for line in feedback.read_text(encoding="utf-8").splitlines()
                 if line.startswith(("- Cell", "Note:"))] if feedback.exists() else []
        data["output"] = "\n".join([data.get("output", ""), *notes])
        _results(root, data)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else os.environ.get("NNEDU_AUTOGRADER_ROOT", "/autograder"))
    return run(root)


if __name__ == "__main__":
    sys.exit(main())
