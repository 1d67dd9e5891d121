"""Every common mistake an exercise's tests name is recognised, in nnedu.check and in nnedu grade.

Each fixture in ``tests/mistakes/exNN.py`` is a mistake written as a student would write it: the
solution notebook with one solution region (of the named function or class) replaced by ``code``.
The fixture's question must score less than full marks, and both the student's check and the
grader must say ``common mistake: <name>.``; the grader's ``mistakes.csv`` counts it.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

from nnedu.grading.assign import BEGIN, END
from nnedu.grading.check import check
from nnedu.grading.grade import grade
from nnedu.grading.notebook import code_cells
from nnedu.grading.results import read_results
from nnedu.grading.runner import load_tests, questions
from nnedu.grading.sandbox import Limits, isolation_level

FOLDER = REPO / "tests" / "mistakes"
LIMITS = Limits(timeout=20, submission_timeout=300)
INSECURE = isolation_level() != "full"


def _fixtures() -> list[tuple[str, int, dict]]:
    found = []
    for path in sorted(FOLDER.glob("ex[0-9][0-9].py")):
        spec = importlib.util.spec_from_file_location(f"mistakes_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += [(path.stem[2:], index, fixture) for index, fixture in enumerate(module.MISTAKES)]
    return found


FIXTURES = _fixtures()
EXERCISES = sorted({exercise for exercise, _, _ in FIXTURES})


def _id(item: tuple[str, int, dict]) -> str:
    exercise, index, fixture = item
    return f"ex{exercise}-{index}-{fixture['question']}-{re.sub(r'[^a-z0-9]+', '_', fixture['name'].lower())[:40]}"


def solution_of(exercise: str) -> Path:
    (path,) = (REPO / "solutions").glob(f"{exercise}_*.ipynb")
    return path


def with_mistake(nb: dict, fixture: dict) -> dict:
    """``nb`` with the fixture's solution region of its function (or class) replaced by its code."""
    nb = json.loads(json.dumps(nb))
    target = re.compile(rf"^\s*(def|class)\s+{re.escape(fixture['function'])}\b")
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        starts = [i for i, line in enumerate(lines) if target.match(line)]
        if not starts:
            continue
        regions, begin = [], None
        for i in range(starts[0], len(lines)):
            if BEGIN.match(lines[i]):
                begin = i
            elif END.match(lines[i]) and begin is not None:
                regions.append((begin, i))
                begin = None
        begin, end = regions[fixture.get("region", 0)]
        indent = BEGIN.match(lines[begin]).group(1)
        code = textwrap.indent(textwrap.dedent(fixture["code"]).strip("\n"), indent)
        lines[begin:end + 1] = code.splitlines()
        cell["source"] = "\n".join(lines)
        return nb
    raise AssertionError(f"no def or class {fixture['function']} in the solution of this exercise")


def run_in_namespace(nb: dict) -> dict:
    """Execute the notebook's graded cells (as the grader would: no demo cells, no checks) in one namespace."""
    namespace: dict = {"__name__": "__main__"}
    for index, code in enumerate(code_cells(nb)):
        exec(compile(code, f"<cell {index + 1}>", "exec"), namespace)  # noqa: S102 (our own fixtures)
    return namespace


def test_fixtures_exist_for_every_exercise_with_implement_questions():
    for number in [f"{n:02d}" for n in range(2, 13)]:
        implement = {t.question for t in load_tests(number) if t.kind == "implement"}
        named: dict[str, set[str]] = {}
        for exercise, _, fixture in FIXTURES:
            if exercise == number:
                named.setdefault(fixture["question"], set()).add(fixture["name"])
        short = {q: sorted(named.get(q, ())) for q in implement if len(named.get(q, ())) < 2}
        assert not short, f"exercise {number}: implement questions with fewer than 2 mistake fixtures: {short}"


@pytest.mark.parametrize("item", FIXTURES, ids=_id)
def test_check_names_the_mistake(item):
    exercise, _, fixture = item
    nb = with_mistake(json.loads(solution_of(exercise).read_text()), fixture)
    namespace = run_in_namespace(nb)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        check(fixture["question"], exercise=exercise, namespace=namespace, timeout=None)
    out = printed.getvalue()
    assert f"common mistake: {fixture['name']}." in out, out
    got, top = re.search(rf"^{fixture['question']}: \d+ of \d+ tests passed \(([\d.]+)/([\d.]+) points\)",
                         out, re.MULTILINE).groups()
    assert float(got) < float(top), out
    assert "Traceback" not in out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every fixture of an exercise graded by the real grader, one run per exercise (its questions only)."""
    root = tmp_path_factory.mktemp("mistakes")
    runs = {}
    for exercise in EXERCISES:
        subs = root / f"subs{exercise}"
        subs.mkdir()
        solution = json.loads(solution_of(exercise).read_text())
        asked = set()
        for _, index, fixture in [f for f in FIXTURES if f[0] == exercise]:
            (subs / f"m{index:02d}.ipynb").write_text(json.dumps(with_mistake(solution, fixture)))
            asked.add(fixture["question"])
        out = root / f"out{exercise}"
        grade(subs, exercise, out, jobs=2, limits=LIMITS, progress=lambda _: None, insecure=INSECURE,
              only=tuple(sorted(asked)))
        runs[exercise] = out
    return runs


@pytest.mark.parametrize("item", FIXTURES, ids=_id)
def test_grade_names_the_mistake_and_counts_it(graded, item):
    exercise, index, fixture = item
    out = graded[exercise]
    student = f"m{index:02d}"
    mine = [r for r in read_results(out / "results.jsonl")
            if r.get("type") == "test" and r["student"] == student and r["question"] == fixture["question"]]
    assert any(r["mistake"] == fixture["name"] and f"common mistake: {fixture['name']}." in r["message"]
               for r in mine), [(r["name"], r["status"], r["message"][:300]) for r in mine]
    top = questions(load_tests(exercise))[fixture["question"]]
    assert sum(r["score"] for r in mine) < top
    counted = [row for row in csv.DictReader((out / "mistakes.csv").open(encoding="utf-8"))
               if row["question"] == fixture["question"] and row["mistake"] == fixture["name"]]
    assert len(counted) == 1 and student in counted[0]["who"].split("; ")
    assert fixture["name"][:40] in (out / "summary.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_untouched_solution_matches_no_named_mistake(exercise):
    """The harness can fail: the solution itself scores full marks and matches none of the named mistakes."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        check(exercise=exercise, namespace=run_in_namespace(json.loads(solution_of(exercise).read_text())),
              timeout=None)
    out = printed.getvalue()
    assert "common mistake" not in out and "FAIL" not in out, out
