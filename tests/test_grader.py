"""The grader on the course's own notebooks: every solution scores full marks, every
generated exercise scores zero, so every test can both pass and fail."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from nnedu.grading.grade import grade
from nnedu.grading.results import read_results
from nnedu.grading.runner import known_exercises, load_tests, questions
from nnedu.grading.sandbox import Limits, isolation_level

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
EXERCISES = [p.name[:2] for p in SOLUTIONS]
LIMITS = Limits(timeout=20, submission_timeout=300)
HIDDEN = REPO / "examples" / "hidden_tests"  # the example hidden tests shipped for instructors
FULL05 = sum(questions(load_tests("05")).values())  # exercise 5's public points, the tests' usual notebook
# Full isolation needs root with CAP_SYS_ADMIN (CI has it). On a developer's own account the
# grader can only run submissions under that account's uid, which it does only when asked.
INSECURE = isolation_level() != "full"


def test_one_solution_per_chapter_2_to_12_with_public_tests():
    assert EXERCISES == [f"{n:02d}" for n in range(2, 13)]
    assert set(known_exercises()) == set(EXERCISES)
    assert [p.name for p in sorted((REPO / "exercises").glob("*.ipynb"))] == [p.name for p in SOLUTIONS]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every solution and every exercise notebook, graded by the real grader (2 per batch)."""
    root = tmp_path_factory.mktemp("course")
    reports = {}
    for solution in SOLUTIONS:
        number = solution.name[:2]
        subs = root / f"subs{number}"
        subs.mkdir()
        shutil.copy(solution, subs / "solution.ipynb")
        shutil.copy(REPO / "exercises" / solution.name, subs / "exercise.ipynb")
        out = root / f"out{number}"
        grade(subs, number, out, hidden=HIDDEN, jobs=2, limits=LIMITS, progress=lambda _: None, insecure=INSECURE)
        reports[number] = out
    return reports


def results_of(out: Path, student: str) -> dict[str, dict]:
    return {r["name"]: r for r in read_results(out / "results.jsonl")
            if r.get("type") == "test" and r["student"] == student}


@pytest.mark.parametrize("number", EXERCISES)
def test_solution_scores_full_marks(graded, number):
    results = results_of(graded[number], "solution")
    failing = {name: (r["status"], r["message"][:300]) for name, r in results.items() if r["status"] != "passed"}
    assert not failing
    assert len(results) == len(load_tests(number, HIDDEN))
    assert any(r["hidden"] for r in results.values()), "every exercise has example hidden tests"


@pytest.mark.parametrize("number", EXERCISES)
def test_exercise_scores_zero_and_is_not_attempted(graded, number):
    results = results_of(graded[number], "exercise")
    assert sum(r["score"] for r in results.values()) == 0
    assert {r["status"] for r in results.values()} == {"not attempted"}


@pytest.mark.parametrize("number", EXERCISES)
def test_markdown_points_match_the_tests(number):
    (solution,) = [p for p in SOLUTIONS if p.name.startswith(number)]
    text = "".join("".join(c["source"]) for c in json.loads(solution.read_text())["cells"] if c["cell_type"] == "markdown")
    stated = {f"q{q}": float(p) for q, p in re.findall(r"\*\*Question (\d+) \((\d+) points?\)\*\*", text)}
    assert len(stated) >= 4
    assert stated == questions(load_tests(number))


@pytest.mark.parametrize("number", EXERCISES)
def test_solution_notebooks_are_clean_and_declare_their_exercise(number):
    (solution,) = [p for p in SOLUTIONS if p.name.startswith(number)]
    nb = json.loads(solution.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    code = [c for c in code if "nnedu-setup" not in c["metadata"].get("tags", [])]  # the Colab/Binder cell
    assert f'EXERCISE = "{number}"' in "".join(code[0]["source"])
    checks = [c for c in code if "nnedu.check(" in "".join(c["source"])]
    assert len(checks) == len(questions(load_tests(number)))


def test_reports_have_the_documented_shape(graded):
    out = graded["05"]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    per_question = questions(load_tests("05", HIDDEN))
    top = sum(per_question.values())
    assert [r["student"] for r in rows] == ["exercise", "solution"]
    assert list(rows[0]) == ["student", *per_question, "total", "max", "status", "integrity", "isolation", "note"]
    assert rows[1]["integrity"] == "ok" and rows[1]["isolation"] in ("full", "insecure")
    assert float(rows[1]["total"]) == float(rows[1]["max"]) == top
    data = json.loads((out / "gradescope" / "solution" / "results.json").read_text())
    assert data["score"] == top
    summary = (out / "summary.md").read_text()
    assert "2 submission(s)" in summary and "No answer matched a named mistake." in summary
    assert (out / "mistakes.csv").read_text().splitlines() == ["question,mistake,students,share,tests,who"]
    assert {"name", "score", "max_score", "output", "status", "visibility"} <= set(data["tests"][0])
    feedback = (out / "feedback" / "exercise.md").read_text()
    assert "not attempted" in feedback and "Hint:" in feedback


def test_two_runs_give_identical_grades(graded, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(REPO / "solutions" / "09_sgd.ipynb", subs / "solution.ipynb")
    shutil.copy(REPO / "exercises" / "09_sgd.ipynb", subs / "exercise.ipynb")
    grade(subs, "09", tmp_path / "again", hidden=HIDDEN, limits=LIMITS, progress=lambda _: None, insecure=INSECURE)
    assert (tmp_path / "again" / "grades.csv").read_text() == (graded["09"] / "grades.csv").read_text()


def test_resume_skips_what_is_done(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["04"], out)
    records = read_results(out / "results.jsonl")
    # as if the grader was killed: "solution" complete, two tests of "exercise", half a line
    kept = [r for r in records if r.get("student") == "solution"]
    kept += [r for r in records if r.get("student") == "exercise" and r["type"] == "test"][:2]
    text = "".join(json.dumps(r) + "\n" for r in kept)
    (out / "results.jsonl").write_text(text + text.splitlines()[0][:25])
    seen = []
    grade(graded["04"].parent / "subs04", "04", out, hidden=HIDDEN, resume=True, limits=LIMITS, progress=seen.append,
          insecure=INSECURE)
    assert seen[0].startswith("resuming: 1 of 2")
    assert (out / "grades.csv").read_text() == (graded["04"] / "grades.csv").read_text()
    names = [(r["student"], r["name"]) for r in read_results(out / "results.jsonl") if r.get("type") == "test"]
    assert len(names) == len(set(names)) == 2 * len(load_tests("04", HIDDEN))


def test_hidden_tests_count_but_never_show_their_source(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ex05_hidden.py").write_text(
        "import numpy as np\nfrom nnedu.grading import expect_close, points\n\n"
        "@points(2, question='q1', hint='')\n"
        "def test_secret_softmax_of_zeros(student):\n"
        "    SECRET_MARKER = 1\n"
        "    expect_close(student.softmax(np.zeros((2, 5))), np.full((2, 5), 0.3))\n")
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    shutil.copy(REPO / "solutions" / "05_softmax.ipynb", subs / "ann" / "my_work.ipynb")
    report = grade(subs, "05", tmp_path / "out", hidden=hidden, limits=LIMITS, progress=lambda _: None, insecure=INSECURE)
    assert report.students["ann"]["total"] == FULL05 and report.students["ann"]["max"] == FULL05 + 2
    feedback = (tmp_path / "out" / "feedback" / "ann.md").read_text()
    assert "hidden/test_secret_softmax_of_zeros" in feedback and "failed" in feedback
    assert "SECRET_MARKER" not in feedback and "0.3" not in feedback
    gradescope = json.loads((tmp_path / "out" / "gradescope" / "ann" / "results.json").read_text())
    (secret,) = [t for t in gradescope["tests"] if "secret" in t["name"]]
    assert secret["output"] == "failed" and secret["visibility"] == "after_published"


def test_partial_credit_per_sub_check(tmp_path):
    nb = json.loads((REPO / "solutions" / "08_backprop.ipynb").read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if "def relative_error" in source:  # wrong when both are zero: division by zero gives nan
            cell["source"] = source.replace("return 0.0 if denominator == 0 else", "return")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "bob.ipynb").write_text(json.dumps(nb))
    grade(subs, "08", tmp_path / "out", limits=LIMITS, progress=lambda _: None, insecure=INSECURE)
    result = results_of(tmp_path / "out", "bob")["test_relative_error"]
    assert result["status"] == "failed" and result["score"] == 0.5 and "both zero" in result["message"]


def two_students(tmp_path: Path, number: str = "05") -> Path:
    (solution,) = [p for p in SOLUTIONS if p.name.startswith(number)]
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(solution, subs / "alice.ipynb")
    shutil.copy(solution, subs / "bob.ipynb")
    return subs


def test_a_report_that_cannot_be_written_is_noted_and_grades_csv_is_still_written(tmp_path):
    """Class 4: bob's feedback file cannot be written (a directory is in the way, as a full disk
    would refuse it); alice's reports and grades.csv are written, and bob's row says what failed."""
    subs = two_students(tmp_path)
    out = tmp_path / "out"
    (out / "feedback" / "bob.md").mkdir(parents=True)
    seen: list[str] = []
    report = grade(subs, "05", out, limits=LIMITS, progress=seen.append, insecure=True)
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["alice"]["total"] == rows["bob"]["total"] == str(FULL05)
    assert rows["alice"]["note"] == "" and "report files not written (IsADirectoryError" in rows["bob"]["note"]
    assert (out / "feedback" / "alice.md").is_file() and "bob" in report.problems
    assert any(line.startswith("bob: report files not written") for line in seen)


def test_a_grader_side_write_failure_is_per_student_and_resume_retries_it(tmp_path, monkeypatch):
    """Class 4: every write of bob's results fails (disk full); the batch goes on, grades.csv says
    "grader error" for bob only, and --resume grades bob again."""
    import errno

    from nnedu.grading.results import ResultLog

    subs = two_students(tmp_path)
    out = tmp_path / "out"
    real_write = ResultLog.write

    def full_disk_for_bob(self, record):
        if record.get("student") == "bob":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, record)

    monkeypatch.setattr(ResultLog, "write", full_disk_for_bob)
    grade(subs, "05", out, limits=LIMITS, progress=lambda _: None, insecure=True)
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["alice"]["status"] == "graded" and rows["alice"]["total"] == str(FULL05)
    assert rows["bob"]["status"] == "grader error" and "No space left on device" in rows["bob"]["note"]
    assert rows["bob"]["total"] == "0.0"

    monkeypatch.setattr(ResultLog, "write", real_write)
    seen: list[str] = []
    grade(subs, "05", out, limits=LIMITS, progress=seen.append, resume=True, insecure=True)
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["bob"]["status"] == "graded" and rows["bob"]["total"] == str(FULL05) and rows["bob"]["note"] == ""
    assert seen[0] == "resuming: 1 of 2 submissions already graded"


def test_resume_retries_a_recorded_grader_error(tmp_path, monkeypatch):
    """Class 4: a grader error that made it into results.jsonl is retried by --resume, not kept."""
    from nnedu.grading import grade as grading

    subs = two_students(tmp_path)
    out = tmp_path / "out"
    real_sandbox = grading.Sandbox

    def broken_for_bob(submission, *args, **kwargs):
        if Path(submission).stem == "bob":
            raise RuntimeError("the grader's own bug")
        return real_sandbox(submission, *args, **kwargs)

    monkeypatch.setattr(grading, "Sandbox", broken_for_bob)
    grade(subs, "05", out, limits=LIMITS, progress=lambda _: None, insecure=True)
    assert report_row(out, "bob")["status"] == "grader error"
    assert "RuntimeError: the grader's own bug" in report_row(out, "bob")["note"]
    monkeypatch.setattr(grading, "Sandbox", real_sandbox)
    seen: list[str] = []
    grade(subs, "05", out, limits=LIMITS, progress=seen.append, resume=True, insecure=True)
    assert "retrying 1 submission(s) that ended in a grader error: bob" in seen
    assert report_row(out, "bob")["status"] == "graded" and report_row(out, "bob")["total"] == str(FULL05)
    assert report_row(out, "alice")["total"] == str(FULL05)


def report_row(out: Path, student: str) -> dict:
    return {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}[student]


HIDDEN_LEAK = (
    "import numpy as np\nfrom nnedu.grading import expect_close, points\n\n"
    "@points(1, question='q1')\n"
    "def test_secret_one(student):\n"
    "    expect_close(student.softmax(np.full((1, 3), 424242.0)), np.full((1, 3), 1 / 3))\n\n"
    "@points(1, question='q1')\n"
    "def test_secret_two(student):\n"
    "    expect_close(student.softmax(np.zeros((1, 3))), np.full((1, 3), 1 / 3))\n")


def test_feedback_never_shows_what_the_student_code_produced_after_a_hidden_call(tmp_path, monkeypatch):
    """Class 6, grader side: a cell error found on a restart after a hidden call (it could carry the
    hidden input), and the reason the process died then, stay out of feedback and Gradescope output,
    whatever the sandbox reports."""
    from nnedu.grading import grade as grading
    from nnedu.grading.api import StudentCrashed, StudentError
    from nnedu.grading.sandbox import CellProblem

    class RestartingSandbox:
        """Replays what a real sandbox reports when a hidden call kills the child and a cell then fails."""

        def __init__(self, *args, **kwargs) -> None:
            self.cell_problems, self.dead, self.restarts, self.isolation = [], None, 0, "full"
            self.cell_problems.append(CellProblem(2, "error", "ValueError: public-time problem"))

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            pass

        def call(self, name, args, kwargs, seed, hidden=False):
            if hidden and self.restarts == 0:
                self.restarts = 1
                raise StudentCrashed("the notebook's process exited (code 3)")
            if hidden:
                self.cell_problems.append(CellProblem(1, "error", "ValueError: leaked 424242.0"))
                self.dead = StudentError("cell 1 raised ValueError: leaked 424242.0")
                raise self.dead
            return np.full(np.shape(args[0]), 1 / np.shape(args[0])[-1])

        def output_tail(self, chars: int = 800) -> str:
            return ""

    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ex05_hidden.py").write_text(HIDDEN_LEAK)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(REPO / "solutions" / "05_softmax.ipynb", subs / "eve.ipynb")
    monkeypatch.setattr(grading, "Sandbox", RestartingSandbox)
    grade(subs, "05", tmp_path / "out", hidden=hidden, limits=LIMITS, progress=lambda _: None, insecure=True)
    feedback = (tmp_path / "out" / "feedback" / "eve.md").read_text()
    gradescope = (tmp_path / "out" / "gradescope" / "eve" / "results.json").read_text()
    assert "public-time problem" in feedback  # what happened before the hidden tests is still shown
    assert "424242" not in feedback and "424242" not in gradescope
    assert "restarted during the hidden tests; details are not shown" in feedback


def test_hidden_inputs_do_not_leak_through_a_restart_end_to_end(tmp_path):
    """Class 6 with the real sandbox: the student's code stores a hidden input wherever it can write,
    kills its process, and on the restart a cell would raise an error carrying it; feedback never
    shows it (with full isolation nothing written survives the restart; without, the feedback
    rule of the test above withholds it)."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ex05_hidden.py").write_text(HIDDEN_LEAK)
    nb = json.loads((REPO / "solutions" / "05_softmax.ipynb").read_text())
    spots = ["/tmp/nnedu-leak-test", "/dev/shm/nnedu-leak-test", "leak.txt"]
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": (
        "import os\n"
        f"for spot in {spots!r}:\n"
        "    if os.path.exists(spot):\n"
        "        raise ValueError('leaked ' + open(spot).read())\n"
        "_real_softmax = softmax\n"
        "def softmax(z):\n"
        "    if float(np.max(z)) > 1000:\n"
        "        for spot in " + repr(spots) + ":\n"
        "            try:\n"
        "                open(spot, 'w').write(repr(float(np.max(z))))\n"
        "            except OSError:\n"
        "                pass\n"
        "        os._exit(3)\n"
        "    return _real_softmax(z)\n")})
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "eve.ipynb").write_text(json.dumps(nb))
    grade(subs, "05", tmp_path / "out", hidden=hidden, limits=LIMITS, progress=lambda _: None, insecure=True)
    feedback = (tmp_path / "out" / "feedback" / "eve.md").read_text()
    gradescope = (tmp_path / "out" / "gradescope" / "eve" / "results.json").read_text()
    assert "424242" not in feedback and "424242" not in gradescope
    results = results_of(tmp_path / "out", "eve")
    assert results["hidden/test_secret_one"]["status"] == "crashed"  # the call that killed the process
    assert report_row(tmp_path / "out", "eve")["total"] == str(FULL05 + 1)  # the public tests and the second hidden one


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("capsh"),
                    reason="needs root and capsh to take CAP_SYS_ADMIN away (Docker's default capabilities)")
def test_without_isolation_grading_is_refused_with_what_to_do(tmp_path):
    """Class 2, the instructor's side: where namespaces cannot be made, `nnedu grade` refuses with
    one clear message and writes nothing."""
    subs = two_students(tmp_path)
    out = tmp_path / "out"

    def nnedu_grade(*extra: str) -> subprocess.CompletedProcess:
        command = " ".join([sys.executable, "-m", "nnedu.cli", "grade", str(subs), "--exercise", "05",
                            "--out", str(out), *extra])
        return subprocess.run(["capsh", "--drop=cap_sys_admin", "--", "-c", command], cwd=REPO, check=False,
                              capture_output=True, text=True, timeout=300)

    refused = nnedu_grade()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "--insecure" in refused.stderr and "SYS_ADMIN" in refused.stderr
    assert not out.exists()

    # `--insecure` itself, graded and recorded: tests/test_autograder.py (it needs a Python that the
    # sandbox uid can read, which this venv under /root is not)


def test_the_readme_s_instructors_section_is_the_packaged_guide():
    guide = (REPO / "nnedu" / "grading" / "INSTRUCTORS.md").read_text().split("\n", 1)[1].strip()
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Instructors\n"):readme.index("\n## ", readme.index("## Instructors\n") + 5)]
    assert section.split("\n", 1)[1].strip() == guide, "README's Instructors section differs from INSTRUCTORS.md"
