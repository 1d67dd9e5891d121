"""``nnedu grade``: grade a folder of submissions, one sandboxed child per submission.

Every test result is appended to ``RESULTS/results.jsonl`` as soon as it is known
(flushed and fsynced), so a crash or a kill loses nothing and ``resume=True`` carries
on where the last run stopped. The reports (``grades.csv``, Gradescope ``results.json``
per student, Markdown feedback per student) are all computed from that file.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from nnedu.grading import notebook
from nnedu.grading.runner import REPO, Test, TestResult, load_tests, normalise_exercise, questions, run_test
from nnedu.grading.sandbox import Limits, Sandbox, privileged


@dataclass
class Submission:
    student: str
    path: Path  # what is copied into the scratch directory: the notebook or the student's folder
    notebook: Path | None
    problem: str = ""


def find_submissions(folder: Path, exercise: str) -> list[Submission]:
    """One notebook per student: ``folder/alice.ipynb`` or ``folder/alice/<one notebook>``."""
    found = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry, entry))
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb")
                               if ".ipynb_checkpoints" not in p.parts and not p.is_symlink())
            if len(notebooks) > 1:
                preferred = [p for p in notebooks if p.name.startswith((exercise, f"ex{exercise}"))]
                notebooks = preferred if len(preferred) == 1 else notebooks
            if len(notebooks) == 1:
                found.append(Submission(entry.name, entry, notebooks[0]))
            else:
                problem = "no notebook in the folder" if not notebooks else \
                    f"{len(notebooks)} notebooks in the folder: {', '.join(p.name for p in notebooks)}"
                found.append(Submission(entry.name, entry, None, problem))
    return found


class ResultLog:
    """``results.jsonl``: one JSON object per line, appended and fsynced under a lock."""

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        self.lock = threading.Lock()
        if not resume and path.exists():
            path.replace(path.with_suffix(".jsonl.prev"))
        self.file = open(path, "a", encoding="utf-8")
        if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            self.file.write("\n")  # a line cut short by a crash stays on its own

    def write(self, record: dict) -> None:
        line = json.dumps(record, allow_nan=False, default=str) + "\n"
        with self.lock:
            self.file.write(line)
            self.file.flush()
            os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


def read_results(path: Path) -> list[dict]:
    """Every complete record in ``results.jsonl`` (a line cut short by a crash is ignored)."""
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


@dataclass
class GradeReport:
    out: Path
    students: dict[str, dict] = field(default_factory=dict)  # student -> {"total", "max", "status", q...}


def _hidden_paths(paths: list[Path | None]) -> list[str]:
    """Folders the child must not see, except any that contain the scratch directories."""
    temp = Path(tempfile.gettempdir()).resolve()
    hide = []
    for path in paths:
        if path is None or not Path(path).is_dir():
            continue
        path = Path(path).resolve()
        if temp == path or path in temp.parents:
            continue
        hide.append(str(path))
    return hide


def grade_submission(submission: Submission, tests: list[Test], limits: Limits, slot: int,
                     hide: list[str], done: set[str], log: ResultLog) -> None:
    def record(result: TestResult) -> None:
        log.write({"type": "test", "student": submission.student, **result.as_dict()})

    def everything(status: str, message: str) -> None:
        for test in tests:
            if test.name not in done:
                record(TestResult(test.name, test.question, status, 0.0, test.points, message,
                                  test.hint, test.hidden))

    if submission.notebook is None:
        everything("error", submission.problem)
        log.write({"type": "submission", "student": submission.student, "status": "no notebook",
                   "message": submission.problem})
        return
    try:
        cells = notebook.code_cells(notebook.load(submission.notebook))
    except notebook.BadNotebook as exc:
        everything("error", f"the notebook could not be read: {exc}")
        log.write({"type": "submission", "student": submission.student, "status": "invalid notebook",
                   "message": str(exc)})
        return
    with Sandbox(submission.path, cells, limits, slot, hide) as box:
        for test in tests:
            if test.name not in done:
                record(run_test(test, box.call))
        status = "graded" if box.dead is None else box.dead.status
        log.write({
            "type": "submission", "student": submission.student, "status": status,
            "message": str(box.dead or ""), "restarts": box.restarts,
            "cells": [{"cell": p.cell + 1, "status": p.kind, "message": p.message} for p in box.cell_problems],
            "output_tail": box.output_tail(800),
        })


def grade(submissions: Path, exercise: str, out: Path, hidden: Path | None = None, jobs: int = 1,
          limits: Limits | None = None, resume: bool = False,
          progress: Callable[[str], None] = print) -> GradeReport:
    """Grade every submission in ``submissions`` and write the reports to ``out``."""
    exercise = normalise_exercise(exercise)
    tests = load_tests(exercise, hidden)
    limits = limits or Limits()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if privileged():
        os.chmod(out, 0o700)
    log_path = out / "results.jsonl"
    previous = read_results(log_path) if resume else []
    finished = {r["student"] for r in previous if r.get("type") == "submission"}
    done: dict[str, set[str]] = {}
    for r in previous:
        if r.get("type") == "test":
            done.setdefault(r["student"], set()).add(r["name"])
    subs = find_submissions(submissions, exercise)
    todo = [s for s in subs if s.student not in finished]
    if resume and len(todo) < len(subs):
        progress(f"resuming: {len(subs) - len(todo)} of {len(subs)} submissions already graded")
    hide = _hidden_paths([Path(submissions), out, hidden, REPO / "solutions", REPO / "tests", REPO / ".git"])
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(max(1, jobs)):
        slots.put(slot)
    log = ResultLog(log_path, resume)
    max_points = sum(t.points for t in tests)

    def task(submission: Submission) -> None:
        slot = slots.get()
        try:
            grade_submission(submission, tests, limits, slot, hide, done.get(submission.student, set()), log)
        except Exception as exc:  # a grader bug must not stop the batch; it is recorded
            log.write({"type": "submission", "student": submission.student, "status": "grader error",
                       "message": f"{type(exc).__name__}: {exc}"})
        finally:
            slots.put(slot)
        score = sum(r["score"] for r in _latest(read_results(log_path), submission.student).values())
        progress(f"{submission.student}: {score:g}/{max_points:g}")

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(task, todo))
    finally:
        log.close()
    return write_reports(out, tests, [s.student for s in subs])


def _latest(records: list[dict], student: str) -> dict[str, dict]:
    tests = {}
    for r in records:
        if r.get("type") == "test" and r.get("student") == student:
            tests[r["name"]] = r
    return tests


def write_reports(out: Path, tests: list[Test], students: list[str]) -> GradeReport:
    """grades.csv, gradescope/<student>/results.json and feedback/<student>.md from results.jsonl."""
    records = read_results(out / "results.jsonl")
    summaries = {r["student"]: r for r in records if r.get("type") == "submission"}
    per_question = questions(tests)
    report = GradeReport(out)
    rows = []
    for student in students:
        latest = _latest(records, student)
        results = [latest.get(t.name) or {"name": t.name, "question": t.question, "status": "crashed",
                                          "score": 0.0, "max_score": t.points, "hidden": t.hidden,
                                          "message": "not graded (the grader stopped)", "hint": t.hint}
                   for t in tests]
        summary = summaries.get(student, {"status": "incomplete"})
        row = {"student": student}
        for q in per_question:
            row[q] = round(sum(r["score"] for r in results if r["question"] == q), 4)
        row["total"] = round(sum(r["score"] for r in results), 4)
        row["max"] = sum(per_question.values())
        row["status"] = summary.get("status", "incomplete")
        rows.append(row)
        report.students[student] = row
        _write_gradescope(out, student, results, summary)
        _write_feedback(out, student, results, summary, row)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["student", *per_question, "total", "max", "status"])
        writer.writeheader()
        writer.writerows(rows)
    return report


def _safe_name(student: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in student).lstrip(".") or "student"


def _write_gradescope(out: Path, student: str, results: list[dict], summary: dict) -> None:
    tests = []
    for r in results:
        output = f"{r['status']}" if r.get("hidden") else "\n".join(
            x for x in (r["status"], r.get("message", ""), f"Hint: {r['hint']}" if r.get("hint") and
                        r["status"] != "passed" else "") if x)
        tests.append({
            "name": f"{r['question']}: {r['name']}", "score": r["score"], "max_score": r["max_score"],
            "status": "passed" if r["status"] == "passed" else "failed", "output": output,
            "visibility": "after_published" if r.get("hidden") else "visible",
        })
    data = {"score": round(sum(r["score"] for r in results), 4), "tests": tests,
            "output": f"Submission status: {summary.get('status', 'incomplete')}"}
    folder = out / "gradescope" / _safe_name(student)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def _write_feedback(out: Path, student: str, results: list[dict], summary: dict, row: dict) -> None:
    lines = [f"# Feedback for {student}", "",
             f"**Score: {row['total']:g} / {row['max']:g}** (status: {row['status']})", ""]
    if summary.get("message"):
        lines += [f"Note: {summary['message']}", ""]
    for problem in summary.get("cells", []):
        lines.append(f"- Cell {problem['cell']} did not run to the end ({problem['status']}): "
                     f"`{problem['message'][:200]}`")
    if summary.get("cells"):
        lines.append("")
    for r in results:
        mark = "✓" if r["status"] == "passed" else "✗"
        lines.append(f"## {mark} {r['question']}: {r['name']} ({r['score']:g} / {r['max_score']:g} points, {r['status']})")
        if r.get("hidden"):
            lines.append("Hidden test: only its result is shown.")
        else:
            if r.get("message") and r["status"] != "passed":
                lines += ["```text", r["message"].replace("```", "'''"), "```"]
            if r.get("hint") and r["status"] != "passed":
                lines.append(f"Hint: {r['hint']}")
        lines.append("")
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{_safe_name(student)}.md").write_text("\n".join(lines), encoding="utf-8")
