"""The grader on the course's own notebooks: every solution scores full marks, every
generated exercise scores zero, so every test can both pass and fail."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from nnedu.grading.grade import grade, read_results
from nnedu.grading.runner import known_exercises, load_tests, questions
from nnedu.grading.sandbox import Limits

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
EXERCISES = [p.name[:2] for p in SOLUTIONS]
LIMITS = Limits(timeout=20, submission_timeout=120)


def test_one_solution_per_chapter_2_to_11_with_public_tests():
    assert EXERCISES == [f"{n:02d}" for n in range(2, 12)]
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
        grade(subs, number, out, jobs=2, limits=LIMITS, progress=lambda _: None)
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
    assert len(results) == len(load_tests(number))


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
    assert len(stated) >= 3
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
    assert [r["student"] for r in rows] == ["exercise", "solution"]
    assert list(rows[0]) == ["student", "q1", "q2", "q3", "total", "max", "status", "integrity", "isolation", "note"]
    assert rows[1]["integrity"] == "ok" and rows[1]["isolation"] in ("full", "insecure")
    assert rows[1]["total"] == rows[1]["max"] == "7.0"
    data = json.loads((out / "gradescope" / "solution" / "results.json").read_text())
    assert data["score"] == 7.0
    assert {"name", "score", "max_score", "output", "status", "visibility"} <= set(data["tests"][0])
    feedback = (out / "feedback" / "exercise.md").read_text()
    assert "not attempted" in feedback and "Hint:" in feedback


def test_two_runs_give_identical_grades(graded, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(REPO / "solutions" / "09_sgd.ipynb", subs / "solution.ipynb")
    shutil.copy(REPO / "exercises" / "09_sgd.ipynb", subs / "exercise.ipynb")
    grade(subs, "09", tmp_path / "again", limits=LIMITS, progress=lambda _: None)
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
    grade(graded["04"].parent / "subs04", "04", out, resume=True, limits=LIMITS, progress=seen.append)
    assert seen[0].startswith("resuming: 1 of 2")
    assert (out / "grades.csv").read_text() == (graded["04"] / "grades.csv").read_text()
    names = [(r["student"], r["name"]) for r in read_results(out / "results.jsonl") if r.get("type") == "test"]
    assert len(names) == len(set(names)) == 2 * len(load_tests("04"))


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
    report = grade(subs, "05", tmp_path / "out", hidden=hidden, limits=LIMITS, progress=lambda _: None)
    assert report.students["ann"]["total"] == 7.0 and report.students["ann"]["max"] == 9.0
    feedback = (tmp_path / "out" / "feedback" / "ann.md").read_text()
    assert "hidden/test_secret_softmax_of_zeros" in feedback and "failed" in feedback
    assert "SECRET_MARKER" not in feedback and "0.3" not in feedback
    gradescope = json.loads((tmp_path / "out" / "gradescope" / "ann" / "results.json").read_text())
    secret = [t for t in gradescope["tests"] if "secret" in t["name"]][0]
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
    grade(subs, "08", tmp_path / "out", limits=LIMITS, progress=lambda _: None)
    result = results_of(tmp_path / "out", "bob")["test_relative_error"]
    assert result["status"] == "failed" and result["score"] == 0.5 and "both zero" in result["message"]
