"""Canvas gradebook import CSV from ``nnedu grade --roster``."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

from nnedu.grading.lms import RosterError, read_roster, write_canvas
from nnedu.grading.runner import load_tests, questions

ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Exercise 3 (1201),submission\n"
    "    Points Possible,,,,,10,\n"
    '"Lovelace, Ada",101,S101,ada,Sec A,,alice\n'
    '"Babbage, Charles",102,S102,cbab,Sec A,,bob\n'
    '"=cmd|\' /C calc\'!A0",103,S103,mal,Sec B,,mallory\n'
    '"Carol, Missing",104,S104,carol,Sec B,,carol\n'
)


def nnedu_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnedu.cli", *args], check=False, capture_output=True, text=True,
                          timeout=300)


def test_grade_with_a_roster_writes_canvas_s_import_format(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(REPO / "solutions" / "03_forward_pass.ipynb", subs / "alice.ipynb")
    shutil.copy(REPO / "exercises" / "03_forward_pass.ipynb", subs / "bob.ipynb")
    shutil.copy(REPO / "solutions" / "03_forward_pass.ipynb", subs / "zed.ipynb")
    cheat = json.loads((REPO / "solutions" / "03_forward_pass.ipynb").read_text())
    cheat["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "from nnedu.nn import Linear"})
    (subs / "mallory.ipynb").write_text(json.dumps(cheat))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "out"
    result = nnedu_cli("grade", str(subs), "--exercise", "03", "--out", str(out), "--roster", str(roster),
                       "--assignment", "Exercise 3 (1201)", "--insecure", "-j", "2")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader((out / "canvas.csv").open(newline="", encoding="utf-8")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercise 3 (1201)"]
    full = f"{sum(questions(load_tests('03')).values()):g}"   # exercise 3's points
    assert rows[1] == ["    Points Possible", "", "", "", "", full]
    by_id = {row[1]: row for row in rows[2:]}
    assert by_id["101"] == ["Lovelace, Ada", "101", "S101", "ada", "Sec A", full]
    assert by_id["102"][-1] == "0"
    assert by_id["103"][-1] == "" and by_id["103"][0].startswith("'=")  # flagged: blank; name not a formula
    assert by_id["104"][-1] == ""  # no submission: Canvas leaves the cell as it was
    assert len(rows) == 6  # zed is not in the roster
    assert "left blank for review (1): mallory (flagged for academic integrity" in result.stdout
    assert "no submission, left blank (1): carol" in result.stdout
    assert "not in the roster, not exported (1): zed" in result.stdout


def test_the_roster_may_match_submissions_to_sis_login_ids(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nAda,101,S101,ada,A\n")
    read = read_roster(roster)
    assert read.key == "SIS Login ID" and list(read.students) == ["ada"]
    export = write_canvas(tmp_path, read, "Ex 3", {"ada": {"total": 6.5, "max": 7.0, "status": "graded",
                                                           "integrity": "ok"}})
    assert list(csv.reader(export.path.open()))[2] == ["Ada", "101", "S101", "ada", "A", "6.5"]


@pytest.mark.parametrize("text, message", [
    ("Student,ID\nAda,101\n", "expected a 'submission' column"),
    ("Student,Section,submission\nAda,A,ada\n", "Canvas needs 'ID', 'SIS User ID' or 'SIS Login ID'"),
    ("Student,ID,submission\nAda,101,ada\nAda again,102,ada\n", "line 3: submission 'ada' appears twice"),
    ("Student,ID,submission\nAda,101,\n", "line 2: empty 'submission' for Ada"),
    ("Student,ID,submission\n", "no students in the roster"),
])
def test_a_bad_roster_is_refused_with_what_was_expected(tmp_path, text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    with pytest.raises(RosterError, match=message):
        read_roster(roster)
    result = nnedu_cli("grade", str(REPO / "exercises"), "--exercise", "03", "--out", str(tmp_path / "out"),
                       "--roster", str(roster), "--insecure")
    assert result.returncode == 2 and message.split(":")[-1].strip() in result.stderr
    assert not (tmp_path / "out").exists()  # refused before grading anything
