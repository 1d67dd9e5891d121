"""``nnedu grade``: grade a folder of submissions, one sandboxed child per submission.

Every test result is appended to ``RESULTS/results.jsonl`` as soon as it is known
(:mod:`nnedu.grading.results`), so a crash or a kill loses nothing and ``resume=True``
carries on where the last run stopped (and retries every submission that ended in a
grader error). The reports are computed from that file (:mod:`nnedu.grading.reports`).
"""

from __future__ import annotations

import os
import queue
import tempfile
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nnedu.grading import integrity, notebook
from nnedu.grading.reports import GradeReport, write_reports
from nnedu.grading.results import ResultLog, latest_tests, read_results
from nnedu.grading.runner import (
    REPO,
    Test,
    TestResult,
    UnknownExercise,
    load_tests,
    normalise_exercise,
    run_test,
)
from nnedu.grading.sandbox import Limits, Sandbox, privileged, require_isolation

AFTER_HIDDEN = "not shown: this happened after a hidden test had called your code"


@dataclass
class Submission:
    student: str
    path: Path  # what is copied into the scratch directory: the notebook or the student's folder
    notebook: Path | None
    problem: str = ""


class SubmissionNameClash(ValueError):
    """Two entries of the submissions folder would be graded as the same student."""


def _identity(name: str) -> str:
    """What makes two names the same student: Unicode-normalised, case-folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def find_submissions(folder: Path, exercise: str) -> list[Submission]:
    """One notebook per student: ``folder/alice.ipynb`` or ``folder/alice/<one notebook>``.

    Raises :class:`SubmissionNameClash` (before anything is graded) when two entries name
    the same student: ``alice.ipynb`` and ``alice/``, or ``Alice.ipynb`` and ``alice.ipynb``.
    """
    found = _find(Path(folder), exercise)
    groups: dict[str, list[Submission]] = {}
    for submission in found:
        groups.setdefault(_identity(submission.student), []).append(submission)
    clashes = [group for group in groups.values() if len(group) > 1]
    if clashes:
        described = "; ".join(" and ".join(repr(s.path.name + ("/" if s.path.is_dir() else "")) for s in group)
                              for group in clashes)
        raise SubmissionNameClash(
            f"{folder}: {len(clashes)} student name(s) given by more than one entry, so their work would be "
            f"merged: {described}. Keep one entry per student (rename or remove the others) and run again.")
    return found


def _readable(name: str) -> str:
    """A file name as text every report can hold: bytes that are not UTF-8 become ``\\xff`` escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _find(folder: Path, exercise: str) -> list[Submission]:
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(_readable(entry.stem), entry, entry))
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb")
                               if ".ipynb_checkpoints" not in p.parts and not p.is_symlink())
            if len(notebooks) > 1:
                preferred = [p for p in notebooks if p.name.startswith((exercise, f"ex{exercise}"))]
                notebooks = preferred if len(preferred) == 1 else notebooks
            if len(notebooks) == 1:
                found.append(Submission(_readable(entry.name), entry, notebooks[0]))
            else:
                problem = "no notebook in the folder" if not notebooks else \
                    f"{len(notebooks)} notebooks in the folder: {', '.join(p.name for p in notebooks)}"
                found.append(Submission(_readable(entry.name), entry, None, problem))
    return found


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
                     hide: list[str], done: set[str], log: ResultLog, forbidden: tuple[str, ...] = (),
                     insecure: bool = False) -> None:
    """Run every test not in ``done`` against one submission; each result goes to ``log`` as it comes.

    Whatever the student's code produced after the first hidden test called it (cell errors on a
    restart, the reason the process died) is marked ``after_hidden``: feedback never shows it.
    """
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
    folder = submission.path if submission.path.is_dir() else None
    findings = [f.as_dict() for f in integrity.scan_submission(cells, folder, forbidden)]
    with Sandbox(submission.path, cells, limits, slot, hide, insecure=insecure) as box:
        before_hidden: int | None = None  # cell problems known when the first hidden test started
        dead_before_hidden = None
        for test in tests:
            if test.name in done:
                continue
            if test.hidden and before_hidden is None:
                before_hidden, dead_before_hidden = len(box.cell_problems), box.dead
            result = run_test(test, box.call, submission.student)
            if before_hidden is not None and not test.hidden and result.message:
                result.message = AFTER_HIDDEN
            record(result)
        status = "graded" if box.dead is None else box.dead.status
        dead_after_hidden = box.dead is not None and before_hidden is not None and dead_before_hidden is None
        cells_seen = []
        for index, p in enumerate(box.cell_problems):
            after = getattr(p, "after_hidden", False) or (before_hidden is not None and index >= before_hidden)
            cells_seen.append({"cell": p.cell + 1, "status": p.kind, "message": AFTER_HIDDEN if after else p.message,
                               "after_hidden": after})
        log.write({
            "type": "submission", "student": submission.student, "status": status,
            "message": AFTER_HIDDEN if dead_after_hidden else str(box.dead or ""),
            "after_hidden": dead_after_hidden, "restarts": box.restarts, "cells": cells_seen,
            "output_tail": box.output_tail(800), "isolation": box.isolation,
            "integrity": findings, "must_not_use": list(forbidden),
        })


def grade(submissions: Path, exercise: str, out: Path, hidden: Path | None = None, jobs: int = 1,
          limits: Limits | None = None, resume: bool = False, progress: Callable[[str], None] = print,
          insecure: bool = False, only: tuple[str, ...] = ()) -> GradeReport:
    """Grade every submission in ``submissions`` and write the reports to ``out``.

    ``only`` restricts grading to those questions (``("q2", "q3")``), e.g. to grade a question again
    after its test was fixed. Refuses, before anything is written, when two entries name the same
    student (:class:`SubmissionNameClash`), when a question of ``only`` does not exist
    (:class:`UnknownExercise`) or when the sandbox cannot isolate submissions and ``insecure`` is
    False (:class:`nnedu.grading.sandbox.IsolationUnavailable`).
    """
    exercise = normalise_exercise(exercise)
    tests = load_tests(exercise, hidden)
    if only:
        unknown = sorted(set(only) - {t.question for t in tests})
        if unknown:
            raise UnknownExercise(f"exercise {exercise} has no question {', '.join(unknown)} "
                                  f"(questions: {', '.join(dict.fromkeys(t.question for t in tests))})")
        tests = [t for t in tests if t.question in only]
    subs = find_submissions(Path(submissions), exercise)
    isolation = require_isolation(insecure)
    forbidden = integrity.declared(tests)
    limits = limits or Limits()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if privileged():
        os.chmod(out, 0o700)
    log_path = out / "results.jsonl"
    previous = read_results(log_path) if resume else []
    latest_status = {r["student"]: r.get("status") for r in previous if r.get("type") == "submission"}
    finished = {student for student, status in latest_status.items() if status != "grader error"}
    done: dict[str, set[str]] = {}
    for r in previous:
        if r.get("type") == "test" and latest_status.get(r["student"]) != "grader error":
            done.setdefault(r["student"], set()).add(r["name"])
    todo = [s for s in subs if s.student not in finished]
    if resume and len(todo) < len(subs):
        progress(f"resuming: {len(subs) - len(todo)} of {len(subs)} submissions already graded")
    retried = [s.student for s in todo if latest_status.get(s.student) == "grader error"]
    if retried:
        progress(f"retrying {len(retried)} submission(s) that ended in a grader error: {', '.join(retried)}")
    hide = _hidden_paths([Path(submissions), out, hidden, REPO / "solutions", REPO / "tests", REPO / ".git"])
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(max(1, jobs)):
        slots.put(slot)
    log = ResultLog(log_path, resume)
    unlogged: dict[str, str] = {}  # grader errors that could not even be written to results.jsonl
    max_points = sum(t.points for t in tests)
    try:
        log.write({"type": "run", "exercise": exercise, "isolation": isolation, "insecure": insecure,
                   "hidden_tests": sum(t.hidden for t in tests), "must_not_use": list(forbidden)})
    except OSError as exc:
        progress(f"warning: results.jsonl could not be written ({exc})")

    def task(submission: Submission) -> None:
        slot = slots.get()
        try:
            grade_submission(submission, tests, limits, slot, hide, done.get(submission.student, set()), log,
                             forbidden, insecure)
        except Exception as exc:  # noqa: BLE001 (a grader-side failure must not stop the batch; it is recorded per student)
            message = f"{type(exc).__name__}: {exc}"
            try:
                log.write({"type": "submission", "student": submission.student, "status": "grader error",
                           "message": message, "isolation": isolation})
            except Exception as again:  # noqa: BLE001 (noted in memory, reported in grades.csv)
                unlogged[submission.student] = f"{message} (results.jsonl could not be written either: {again})"
        finally:
            slots.put(slot)
        if submission.student in unlogged:
            progress(f"{submission.student}: grader error: {unlogged[submission.student]}")
            return
        score = sum(r["score"] for r in latest_tests(read_results(log_path), submission.student).values())
        progress(f"{submission.student}: {score:g}/{max_points:g}")

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(task, todo))
    finally:
        log.close()
    report = write_reports(out, tests, [s.student for s in subs], unlogged)
    for student, problem in report.problems.items():
        progress(f"{student}: {problem}")
    return report
