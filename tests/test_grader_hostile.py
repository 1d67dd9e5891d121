"""Hostile submissions: each is graded correctly, the rest of the batch is unaffected, and no
file outside the submission's scratch directory changes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import REPO
from hostile.builders import Q2, build

from nnedu.grading.grade import grade, read_results
from nnedu.grading.runner import load_tests, questions
from nnedu.grading.sandbox import Limits, isolation_level

FULL04 = sum(questions(load_tests("04")).values())  # the hostile submissions build on exercise 4

pytestmark = pytest.mark.skipif(
    isolation_level() != "full",
    reason="the hostile batch needs full isolation (root with CAP_SYS_ADMIN); without it the grader refuses "
           "to grade, and in --insecure mode these submissions would succeed by design")


def snapshot(*folders: Path) -> dict[str, str]:
    digests = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                digests[str(path)] = "dir"
    return digests


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    subs, out = root / "submissions", root / "results"
    subs.mkdir()
    out.mkdir()
    (out / "keep.txt").write_text("the grader's own file\n")
    paths = {"results": str(out), "victim": str(subs / "good.ipynb"), "solutions": str(REPO / "solutions")}
    cases = build(paths)
    for name, (text, _) in cases.items():
        (subs / f"{name}.ipynb").write_text(text)
    protected = [subs, REPO / "solutions", REPO / "tests" / "exercises"]
    before = snapshot(*protected)
    keep = (out / "keep.txt").read_bytes()
    limits = Limits(timeout=3, submission_timeout=60, memory_mb=1024)
    grade(subs, "04", out, jobs=2, limits=limits, progress=lambda _: None)
    return cases, out, before, snapshot(*protected), keep


def test_every_hostile_submission_is_graded_as_expected(hostile_batch):
    cases, out, *_ = hostile_batch
    tests = load_tests("04")
    records = [r for r in read_results(out / "results.jsonl") if r["type"] == "test"]
    wrong = []
    for name, (_, expected) in cases.items():
        mine = {r["name"]: r for r in records if r["student"] == name}
        assert set(mine) == {t.name for t in tests}, f"{name}: missing results"
        for test in tests:
            want = expected.get(test.name, "passed")
            if mine[test.name]["status"] != want:
                wrong.append(f"{name}/{test.name}: expected {want}, got {mine[test.name]['status']} "
                             f"({mine[test.name]['message'][:200]})")
    assert not wrong, "\n".join(wrong)


def test_scores_follow_statuses(hostile_batch):
    _cases, out, *_ = hostile_batch
    for record in read_results(out / "results.jsonl"):
        if record["type"] == "test":
            full = record["score"] == record["max_score"]
            assert full == (record["status"] == "passed"), record


def test_one_grades_row_per_student_and_the_good_one_has_full_marks(hostile_batch):
    cases, out, *_ = hostile_batch
    rows = {line.split(",")[0]: line.split(",") for line in (out / "grades.csv").read_text().splitlines()[1:]}
    assert set(rows) == set(cases)
    header = (out / "grades.csv").read_text().splitlines()[0].split(",")
    good = dict(zip(header, rows["good"]))
    assert good["total"] == good["max"] == str(FULL04) and good["status"] == "graded"
    assert dict(zip(header, rows["not_json"]))["status"] == "invalid notebook"


@pytest.mark.skipif(os.geteuid() != 0, reason="file isolation needs the grader to run as root")
def test_no_file_outside_the_scratch_directory_changed(hostile_batch):
    _cases, out, before, after, keep = hostile_batch
    assert after == before
    assert (out / "keep.txt").read_bytes() == keep
    assert not list(out.rglob("pwned*"))


def test_fake_output_never_reaches_the_results(hostile_batch):
    _cases, out, *_ = hostile_batch
    records = read_results(out / "results.jsonl")
    fake = [r for r in records if r.get("student") == "fake_output" and r.get("type") == "test"]
    assert all(r["score"] <= r["max_score"] for r in fake)
    assert sum(r["score"] for r in fake if r["name"] in Q2) == 0
    gradescope = json.loads((out / "gradescope" / "fake_output" / "results.json").read_text())
    assert gradescope["score"] == FULL04 - sum(t.points for t in load_tests("04") if t.name in Q2)


def test_hostile_cells_are_reported_in_feedback(hostile_batch):
    _cases, out, *_ = hostile_batch
    loop = (out / "feedback" / "infinite_loop_at_top.md").read_text()
    assert "timeout" in loop and f"Score: {FULL04:g} / {FULL04:g}" in loop
    exited = (out / "feedback" / "os_exit_cell.md").read_text()
    assert f"Score: {FULL04:g} / {FULL04:g}" in exited
