"""Student names: colliding entries are refused, every report file is its student's own, and
no name reaches a spreadsheet as a formula (issue 17, class 7)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

from nnedu.grading.grade import SubmissionNameClash, grade
from nnedu.grading.reports import csv_cell, report_names
from nnedu.grading.runner import load_tests, questions
from nnedu.grading.sandbox import Limits

FULL05 = sum(questions(load_tests("05")).values())  # exercise 5's points

LIMITS = Limits(timeout=20, submission_timeout=120)
STUB = REPO / "exercises" / "05_softmax.ipynb"
SOLUTION = REPO / "solutions" / "05_softmax.ipynb"


def quiet(_: str) -> None:
    pass


@pytest.mark.parametrize("entries", [("alice.ipynb", "alice/work.ipynb"), ("Alice.ipynb", "alice.ipynb"),
                                     ("caf\u00e9.ipynb", "cafe\u0301.ipynb")])
def test_two_entries_for_one_student_are_refused_before_anything_is_written(tmp_path, entries):
    subs = tmp_path / "subs"
    for entry in entries:
        (subs / entry).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOLUTION, subs / entry)
    with pytest.raises(SubmissionNameClash, match="more than one entry") as info:
        grade(subs, "05", tmp_path / "out", limits=LIMITS, progress=quiet, insecure=True)
    first, _second = (e.split("/")[0] for e in entries)
    assert repr(first) in str(info.value) or repr(first + "/") in str(info.value)
    assert "rename or remove" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_the_command_line_refuses_a_clash_in_one_clear_line(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(SOLUTION, subs / "alice.ipynb")
    shutil.copy(STUB, subs / "alice" / "mine.ipynb")
    result = subprocess.run([sys.executable, "-m", "nnedu.cli", "grade", str(subs), "--exercise", "05",
                             "--out", str(tmp_path / "out"), "--insecure"], check=False, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'alice/' and 'alice.ipynb'" in result.stderr and "merged" in result.stderr


def test_names_that_differ_keep_their_own_reports_and_no_cell_is_a_formula(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    names = {"a b": SOLUTION, "a_b": STUB, "=HYPERLINK(\"evil.example\",\"x\")": SOLUTION, "+1": STUB,
             "-2": STUB, "@SUM(A1)": STUB, "\tTAB": STUB, "CON": STUB, "ünï": SOLUTION}
    for name, source in names.items():
        shutil.copy(source, subs / f"{name}.ipynb")
    out = tmp_path / "out"
    report = grade(subs, "05", out, limits=LIMITS, progress=quiet, insecure=True, jobs=2)
    files = report.files
    assert len({f.casefold() for f in files.values()}) == len(names)
    for name, source in names.items():
        feedback = (out / "feedback" / f"{files[name]}.md").read_text()
        assert feedback.startswith("# Feedback for " + name.replace("\t", "\\t") + "\n")  # a tab is shown as \\t
        score = json.loads((out / "gradescope" / files[name] / "results.json").read_text())["score"]
        assert score == (FULL05 if source == SOLUTION else 0.0), name
    assert len(list((out / "feedback").iterdir())) == len(names)
    assert files["a_b"] == "a_b" and files["a b"] != "a_b"

    raw = list(csv.reader((out / "grades.csv").open(newline="", encoding="utf-8")))
    dangerous = [cell for row in raw for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not dangerous
    students = [row[0] for row in raw[1:]]
    assert "'=HYPERLINK(\"evil.example\",\"x\")" in students and "'+1" in students and "'\tTAB" in students
    assert "a b" in students and "a_b" in students


def test_csv_cell_leaves_numbers_and_plain_text_alone():
    assert csv_cell(-1.5) == -1.5 and csv_cell("alice") == "alice" and csv_cell("") == ""
    assert csv_cell("=1+1") == "'=1+1" and csv_cell(" =1") == "' =1" and csv_cell("\rx") == "'\rx"
    assert csv_cell("\uff1dcmd") == "'\uff1dcmd"


def test_report_names_are_unique_ignoring_case_and_avoid_reserved_names():
    students = ["bob", "Bob", "a b", "a_b", "a/b", "../etc", "nul", "x" * 300, ".hidden", ""]
    names = report_names(students)
    assert len({n.casefold() for n in names.values()}) == len(students)
    assert all("/" not in n and not n.startswith(".") and 0 < len(n) <= 100 for n in names.values())
    assert names["a_b"] == "a_b" and names["nul"].startswith("nul-")
    assert report_names(students) == names  # deterministic: a re-run writes the same files


def test_a_file_name_that_is_not_utf8_is_graded_and_reported(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    raw = os.fsencode(subs) + b"/caf\xe9.ipynb"  # Latin-1 bytes: not a UTF-8 name
    with open(raw, "wb") as f:
        f.write(SOLUTION.read_bytes())
    out = tmp_path / "out"
    report = grade(subs, "05", out, limits=LIMITS, progress=quiet, insecure=True)
    name = "caf\\xe9"  # the undecodable byte, spelled out
    assert list(report.students) == [name] and report.students[name]["total"] == FULL05
    assert name in (out / "grades.csv").read_text(encoding="utf-8")
    assert (out / "feedback" / (report.files[name] + ".md")).is_file()
