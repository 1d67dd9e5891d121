"""``nnedu autograder``: Gradescope's bundle, tested in a laid-out ``/autograder`` tree.

Gradescope unzips the bundle into ``/autograder/source``, runs ``setup.sh`` once, copies
``run_autograder`` to ``/autograder/run_autograder`` and runs it per submission, with the
upload in ``/autograder/submission``. Here the tree lives in a temporary folder
(``NNEDU_AUTOGRADER_ROOT``).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from nnedu.grading.runner import load_tests, questions

FULL05 = sum(questions(load_tests("05")).values())  # exercise 5's public points (the hidden test adds 2)

HIDDEN_TEST = (
    "import numpy as np\nfrom nnedu.grading import expect_close, points\n\n"
    "@points(2, question='q1', hint='')\n"
    "def test_secret_softmax_of_zeros(student):\n"
    "    expect_close(student.softmax(np.zeros((2, 5))), np.full((2, 5), 0.2))\n")


def lay_out(tmp_path: Path, bundle: Path, upload: dict[str, Path]) -> Path:
    """The /autograder tree as Gradescope builds it, with ``upload`` as the student's files."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile drops the modes; Gradescope keeps them
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    for name, source in upload.items():
        shutil.copy(source, root / "submission" / name)
    return root


def run_autograder(root: Path, python: str | None = sys.executable) -> dict:
    env = {**os.environ, "NNEDU_AUTOGRADER_ROOT": str(root)}
    env.pop("NNEDU_AUTOGRADER_PYTHON", None)
    if python is not None:
        env["NNEDU_AUTOGRADER_PYTHON"] = python
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, cwd=root, check=False,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    hidden = folder / "hidden"
    hidden.mkdir()
    (hidden / "ex05_hidden.py").write_text(HIDDEN_TEST)
    output = folder / "autograder.zip"
    result = subprocess.run([sys.executable, "-m", "nnedu.cli", "autograder", "--exercise", "5", "-o", str(output),
                             "--tests", str(hidden), "--timeout", "20"], check=False, capture_output=True, text=True,
                            timeout=120, cwd=folder)
    assert result.returncode == 0, result.stderr
    return output


def test_the_bundle_holds_what_gradescope_needs(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = {info.filename: info for info in archive.infolist()}
        assert {"setup.sh", "run_autograder", "requirements.txt", "nnedu_autograder.json",
                "tests/ex05_hidden.py"} <= set(names)
        for script in ("setup.sh", "run_autograder"):
            assert (names[script].external_attr >> 16) & stat.S_IXUSR
        (wheel,) = [n for n in names if n.startswith("wheels/nnedu-") and n.endswith("-py3-none-any.whl")]
        requirements = archive.read("requirements.txt").decode().split()
        config = json.loads(archive.read("nnedu_autograder.json"))
        with zipfile.ZipFile(archive.open(wheel)) as inner:
            packaged = set(inner.namelist())
    assert all("==" in line for line in requirements) and any(line.startswith("numpy==") for line in requirements)
    assert "torch" not in " ".join(requirements)
    assert {f"nnedu/grading/exercises/{p.name}" for p in (REPO / "nnedu" / "grading" / "exercises").glob("ex*.py")} \
        <= packaged
    assert "nnedu/grading/autograder.py" in packaged and not any("__pycache__" in n for n in packaged)
    assert config["exercise"] == "05" and config["points"] == FULL05 + 2 and config["timeout"] == 20.0


def test_run_autograder_grades_a_solution_and_a_stub(bundle, tmp_path):
    solved = run_autograder(lay_out(tmp_path / "a", bundle, {"05_softmax.ipynb": REPO / "solutions" / "05_softmax.ipynb"}))
    assert solved["score"] == FULL05 + 2
    assert all(t["score"] == t["max_score"] for t in solved["tests"])
    (secret,) = [t for t in solved["tests"] if "secret" in t["name"]]
    assert secret["visibility"] == "after_published" and secret["output"] == "passed"
    assert "Isolation:" in solved["output"]

    stub = run_autograder(lay_out(tmp_path / "b", bundle, {"mine.ipynb": REPO / "exercises" / "05_softmax.ipynb"}))
    assert stub["score"] == 0.0 and len(stub["tests"]) == len(solved["tests"])
    assert any("not attempted" in t["output"] for t in stub["tests"])


def test_run_autograder_explains_an_upload_without_a_notebook(bundle, tmp_path):
    root = lay_out(tmp_path, bundle, {"notes.txt": REPO / "README.md"})
    result = run_autograder(root)
    assert result["score"] == 0.0 and "No notebook (.ipynb) was found" in result["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the hidden tests are protected by file modes only when root")
def test_the_hidden_tests_are_unreadable_to_the_student_s_uid(bundle, tmp_path):
    root = lay_out(tmp_path, bundle, {"05_softmax.ipynb": REPO / "solutions" / "05_softmax.ipynb"})
    run_autograder(root)
    assert stat.S_IMODE((root / "source").stat().st_mode) == 0o700


def test_bad_requests_are_one_clear_line(tmp_path):
    for args, message in [(["--exercise", "77"], "unknown exercise '77'"),
                          (["--exercise", "05", "--tests", str(tmp_path / "nowhere")], "no such folder of hidden tests"),
                          (["--exercise", "05", "--tests", str(tmp_path)], "no hidden tests for exercise 05")]:
        result = subprocess.run([sys.executable, "-m", "nnedu.cli", "autograder", *args, "-o", str(tmp_path / "x.zip")],
                                check=False, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


SYSTEM_PYTHON = "/usr/bin/python3"  # what a Gradescope image has: a Python outside /root, readable by every uid


@pytest.fixture(scope="module")
def installed(bundle, tmp_path_factory):
    """The /autograder tree after setup.sh: a venv built from the bundle alone (its wheel, its
    pinned requirements from the package index), under a folder every uid may enter."""
    base = tmp_path_factory.mktemp("gradescope")
    world = Path(tempfile.mkdtemp(prefix="nnedu-gradescope-"))
    os.chmod(world, 0o755)
    root = lay_out(world, bundle, {})
    python = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).exists() else sys.executable
    env = {**os.environ, "NNEDU_AUTOGRADER_ROOT": str(root), "NNEDU_AUTOGRADER_PYTHON": python}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, check=False, cwd=base,
                           capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    yield root
    shutil.rmtree(world, ignore_errors=True)


def upload(root: Path, files: dict[str, str]) -> None:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)


def test_setup_sh_installs_the_bundle_s_nnedu_and_run_autograder_uses_it(installed, tmp_path):
    venv_python = installed / "nnedu-venv" / "bin" / "python"
    where = subprocess.run([str(venv_python), "-c", "import nnedu; print(nnedu.__file__)"], cwd=tmp_path,
                           check=False, capture_output=True, text=True)
    assert where.stdout.startswith(str(installed / "nnedu-venv")), where.stdout + where.stderr
    upload(installed, {"05_softmax.ipynb": (REPO / "solutions" / "05_softmax.ipynb").read_text()})
    result = run_autograder(installed, python=None)  # run_autograder's own default: the venv setup.sh made
    assert result["score"] == FULL05 + 2


def hostile_notebook(secret: Path) -> str:
    nb = json.loads((REPO / "solutions" / "05_softmax.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": (
        "_good = softmax\n"
        "def softmax(z):\n"
        "    try:\n"
        f"        stolen = open({str(secret)!r}).read()\n"
        "    except OSError:\n"
        "        stolen = ''\n"
        "    if stolen:\n"
        "        raise ValueError(stolen)\n"
        "    return _good(z)\n")})
    return json.dumps(nb)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("capsh"),
                    reason="needs root and capsh to run without CAP_SYS_ADMIN, as in Gradescope's containers")
def test_without_cap_sys_admin_the_hidden_tests_stay_unreadable(installed):
    """Gradescope's containers lack CAP_SYS_ADMIN: nnedu's sandbox runs without namespaces
    ("insecure", recorded in results.json), yet the student's code runs under its own uid and
    cannot read the hidden tests in /autograder/source."""
    secret = installed / "source" / "tests" / "ex05_hidden.py"
    upload(installed, {"05_softmax.ipynb": hostile_notebook(secret)})
    env = {**os.environ, "NNEDU_AUTOGRADER_ROOT": str(installed)}
    env.pop("NNEDU_AUTOGRADER_PYTHON", None)
    done = subprocess.run(["capsh", "--drop=cap_sys_admin", "--", "-c", f"bash {installed / 'run_autograder'}"],
                          env=env, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cannot give nnedu's sandbox its namespaces" in done.stdout
    result = json.loads((installed / "results" / "results.json").read_text())
    assert "Isolation: insecure" in result["output"]
    assert "np.full((2, 5), 0.2)" not in json.dumps(result) and "ValueError" not in json.dumps(result)
    assert result["score"] == FULL05 + 2  # it could not read them, so its softmax stayed right


def test_run_autograder_explains_an_upload_with_two_notebooks(bundle, tmp_path):
    root = lay_out(tmp_path, bundle, {"draft.ipynb": REPO / "exercises" / "05_softmax.ipynb",
                                      "final.ipynb": REPO / "solutions" / "05_softmax.ipynb"})
    result = run_autograder(root)
    assert result["score"] == 0.0
    assert "2 notebooks in the folder: draft.ipynb, final.ipynb" in result["output"]


def test_exercise_12_s_bundle_installs_the_cpu_build_of_torch(tmp_path):
    from nnedu.grading.autograder import build_bundle

    build_bundle("12", tmp_path / "a.zip")  # the exercise notebook imports torch
    requirements = zipfile.ZipFile(tmp_path / "a.zip").read("requirements.txt").decode().splitlines()
    assert requirements[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    assert "torch==2.13.0" in requirements


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("capsh"),
                    reason="needs root and capsh to take CAP_SYS_ADMIN away (Docker's default capabilities)")
def test_nnedu_grade_insecure_grades_and_records_the_level(installed, tmp_path):
    """Class 2, the instructor's side: without CAP_SYS_ADMIN, `nnedu grade --insecure` (here with the
    venv setup.sh built from the system Python, readable by the sandbox uid) grades and records
    "insecure" in grades.csv, in results.jsonl's run record and in the Gradescope output."""
    world = Path(tempfile.mkdtemp(prefix="nnedu-insecure-"))
    try:
        os.chmod(world, 0o755)
        subs, out = world / "subs", world / "out"
        subs.mkdir()
        shutil.copy(REPO / "solutions" / "05_softmax.ipynb", subs / "alice.ipynb")
        shutil.copy(REPO / "exercises" / "05_softmax.ipynb", subs / "bob.ipynb")
        nnedu = installed / "nnedu-venv" / "bin" / "nnedu"
        command = f"{nnedu} grade {subs} --exercise 05 --out {out} --insecure"
        done = subprocess.run(["capsh", "--drop=cap_sys_admin", "--", "-c", command], cwd=tmp_path, check=False,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
        assert rows["alice"]["isolation"] == rows["bob"]["isolation"] == "insecure"
        assert rows["alice"]["total"] == rows["alice"]["max"] and rows["bob"]["total"] == "0.0"
        runs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
        (run,) = [r for r in runs if r["type"] == "run"]
        assert run["isolation"] == "insecure" and run["insecure"] is True
        assert "Isolation: insecure" in (out / "gradescope" / "alice" / "results.json").read_text()
    finally:
        shutil.rmtree(world, ignore_errors=True)


def test_the_capstones_bundles_install_what_their_tests_load_the_digits_with():
    """Exercises 9 and 11 grade the student's network on the digits, which nnedu[data] (scikit-learn) loads."""
    from nnedu.grading.autograder import extras_for

    assert "data" in extras_for("09") and "data" in extras_for("11")
    assert extras_for("05") == () and extras_for("12") == ("torch",)
