"""``nnedu grade``: grade a folder of submissions, one sandboxed child per submission.

Every test result is appended to ``RESULTS/results.jsonl`` as soon as it is known
(written and fsynced), so a crash or a kill loses nothing and ``resume=True`` carries
on where the last run stopped (and retries every submission that ended in a grader error).
The reports (``grades.csv``, Gradescope ``results.json`` per student, Markdown feedback
per student) are all computed from that file. A report that cannot be written is noted in
that student's row; it never stops ``grades.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import queue
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from nnedu.grading import integrity, notebook
from nnedu.grading.runner import (
    REPO,
    Test,
    TestResult,
    load_tests,
    normalise_exercise,
    questions,
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


class ResultLog:
    """``results.jsonl``: one JSON object per line, appended and fsynced under a lock.

    A write that fails (a full disk) raises, and the next line starts on a line of its own,
    so a torn line never swallows a later record.
    """

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        self.lock = threading.Lock()
        if not resume and path.exists():
            path.replace(path.with_suffix(".jsonl.prev"))
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.torn = bool(path.stat().st_size) and not path.read_bytes().endswith(b"\n")  # cut short by a crash

    def write(self, record: dict) -> None:
        line = (json.dumps(record, allow_nan=False, default=str) + "\n").encode("utf-8")
        with self.lock:
            if self.torn:
                line = b"\n" + line
            self.torn = True
            view = memoryview(line)
            while view:
                view = view[os.write(self.fd, view):]
            os.fsync(self.fd)
            self.torn = False

    def close(self) -> None:
        os.close(self.fd)


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
            result = run_test(test, box.call)
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
          insecure: bool = False) -> GradeReport:
    """Grade every submission in ``submissions`` and write the reports to ``out``.

    Refuses, before anything is written, when two entries name the same student
    (:class:`SubmissionNameClash`) or when the sandbox cannot isolate submissions and
    ``insecure`` is False (:class:`nnedu.grading.sandbox.IsolationUnavailable`).
    """
    exercise = normalise_exercise(exercise)
    tests = load_tests(exercise, hidden)
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
        score = sum(r["score"] for r in _latest(read_results(log_path), submission.student).values())
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


def _latest(records: list[dict], student: str) -> dict[str, dict]:
    tests = {}
    for r in records:
        if r.get("type") == "test" and r.get("student") == student:
            tests[r["name"]] = r
    return tests


# What makes a spreadsheet read a cell as a formula (also in their full-width forms).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> object:
    """``value`` made safe for a spreadsheet: text that would start a formula gets a leading ``'``.

    Spreadsheets run a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    as a formula; OWASP's advice is to prefix such cells with an apostrophe. Numbers stay numbers.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    """A CSV file, every text cell escaped (:func:`csv_cell`), written whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writerow({h: csv_cell(h) for h in header})
            for row in rows:
                writer.writerow({k: csv_cell(v) for k, v in row.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def _safe_name(student: str) -> str:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in student)
    return safe.strip(".")[:80] or "student"


def report_names(students: list[str]) -> dict[str, str]:
    """A file name per student, unique even on a case-insensitive file system.

    A name that is already safe and unique is kept (``alice``); any other gets a short hash of
    the real name (``a_b-1f3a9c02`` for ``a b``), so ``a b`` and ``a_b`` never share a file.
    """
    safe = {student: _safe_name(student) for student in students}
    kept = {s for s in students if safe[s] == s and s.split(".")[0].casefold() not in WINDOWS_RESERVED}
    counts: dict[str, int] = {}
    for student in kept:
        counts[student.casefold()] = counts.get(student.casefold(), 0) + 1
    names: dict[str, str] = {}
    taken: set[str] = set()
    for student in students:
        name = safe[student]
        if counts.get(student.casefold(), 0) != 1 or student not in kept:
            name = f"{name}-{hashlib.sha256(student.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"
        while name.casefold() in taken:
            name += "_"
        taken.add(name.casefold())
        names[student] = name
    return names


@dataclass
class GradeReport:
    out: Path
    students: dict[str, dict] = field(default_factory=dict)  # student -> {"total", "max", "status", q...}
    problems: dict[str, str] = field(default_factory=dict)  # student -> report files that could not be written
    files: dict[str, str] = field(default_factory=dict)  # student -> name of their feedback / gradescope files


def write_reports(out: Path, tests: list[Test], students: list[str],
                  unlogged: dict[str, str] | None = None) -> GradeReport:
    """grades.csv, gradescope/<name>/results.json and feedback/<name>.md from results.jsonl.

    ``grades.csv`` is written first and again at the end: a student's report file that cannot be
    written (a full disk) is noted in that student's row, and never stops the others or the CSV.
    """
    out = Path(out)
    records = read_results(out / "results.jsonl")
    summaries = {r["student"]: r for r in records if r.get("type") == "submission"}
    runs = [r for r in records if r.get("type") == "run"]
    run_isolation = runs[-1].get("isolation", "") if runs else ""
    forbidden = integrity.declared(tests)
    per_question = questions(tests)
    names = report_names(students)
    report = GradeReport(out, files=names)
    rows, details = [], []
    for student in students:
        summary = summaries.get(student, {"status": "incomplete"})
        if unlogged and student in unlogged:
            summary = {"status": "grader error", "message": unlogged[student]}
        latest = _latest(records, student)
        not_graded = (f"not graded (grader error: {summary.get('message')})"
                      if summary.get("status") == "grader error" else "not graded (the grader stopped)")
        results = [latest.get(t.name) or {"name": t.name, "question": t.question, "status": "crashed",
                                          "score": 0.0, "max_score": t.points, "hidden": t.hidden,
                                          "message": not_graded, "hint": t.hint}
                   for t in tests]
        row: dict[str, object] = {"student": student}
        for q in per_question:
            row[q] = round(sum(r["score"] for r in results if r["question"] == q), 4)
        row["total"] = round(sum(r["score"] for r in results), 4)
        row["max"] = sum(per_question.values())
        row["status"] = summary.get("status", "incomplete")
        findings = summary.get("integrity", [])
        if not forbidden:
            row["integrity"] = "not checked"
        elif "integrity" not in summary:
            row["integrity"] = "not checked (not graded)"
        else:
            row["integrity"] = f"FLAGGED for review: {len(findings)} finding(s)" if findings else "ok"
        row["isolation"] = summary.get("isolation") or run_isolation
        row["note"] = summary.get("message", "") if row["status"] != "graded" else ""
        rows.append(row)
        details.append((student, results, summary))
        report.students[student] = row
    header = ["student", *per_question, "total", "max", "status", "integrity", "isolation", "note"]
    write_csv(out / "grades.csv", header, rows)
    for student, results, summary in details:
        row = report.students[student]
        try:
            _write_gradescope(out, names[student], results, summary, row, forbidden)
            _write_feedback(out, names[student], student, results, summary, row, forbidden)
        except OSError as exc:
            problem = f"report files not written ({type(exc).__name__}: {exc})"
            report.problems[student] = problem
            row["note"] = "; ".join(x for x in (str(row["note"]), problem) if x)
    if report.problems:
        write_csv(out / "grades.csv", header, rows)
    return report


def _integrity_lines(summary: dict, forbidden: tuple[str, ...]) -> list[str]:
    findings = summary.get("integrity") or []
    if not findings:
        return []
    title = (f"Academic integrity: flagged for review. This exercise must not use {', '.join(forbidden)} "
             "(they contain the reference answers). Your score is computed as usual; your instructor will "
             "look at these lines:")
    return [title, *[f"- {f['where']}: {f['reason']}: `{_inline(f['code'])}`" for f in findings[:20]]]


def _inline(text: str) -> str:
    """Student text made safe inside one Markdown line and code span: no backticks, no line breaks."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text).replace("`", "'"))


def _write_gradescope(out: Path, name: str, results: list[dict], summary: dict, row: dict,
                      forbidden: tuple[str, ...]) -> None:
    tests = []
    for r in results:
        shown = not r.get("hidden") and not r.get("after_hidden")
        output = "\n".join(x for x in (r["status"], r.get("message", ""), f"Hint: {r['hint']}" if r.get("hint") and
                                       r["status"] != "passed" else "") if x) if shown else r["status"]
        tests.append({
            "name": f"{r['question']}: {r['name']}", "score": r["score"], "max_score": r["max_score"],
            "status": "passed" if r["status"] == "passed" else "failed", "output": output,
            "visibility": "after_published" if r.get("hidden") else "visible",
        })
    flagged = _integrity_lines(summary, forbidden)
    if flagged:
        tests.append({"name": "Academic integrity", "score": 0.0, "max_score": 0.0, "status": "failed",
                      "output": "\n".join(flagged), "visibility": "visible"})
    data = {"score": round(sum(r["score"] for r in results), 4), "tests": tests,
            "output": "\n".join([f"Submission status: {summary.get('status', 'incomplete')}",
                                 f"Isolation: {row.get('isolation') or 'unknown'}", *flagged[:1]]),
            "stdout_visibility": "hidden"}
    folder = out / "gradescope" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def _write_feedback(out: Path, name: str, student: str, results: list[dict], summary: dict, row: dict,
                    forbidden: tuple[str, ...]) -> None:
    lines = [f"# Feedback for {_inline(student)}", "",
             f"**Score: {row['total']:g} / {row['max']:g}** (status: {row['status']})", ""]
    flagged = _integrity_lines(summary, forbidden)
    if flagged:
        lines += ["## " + flagged[0], *flagged[1:], ""]
    if summary.get("after_hidden"):
        lines += ["Note: the notebook's process stopped during the hidden tests.", ""]
    elif summary.get("message"):
        lines += [f"Note: {summary['message']}", ""]
    for problem in summary.get("cells", []):
        if problem.get("after_hidden"):
            lines.append(f"- Cell {problem['cell']} did not run to the end ({problem['status']}) when the notebook "
                         "was restarted during the hidden tests; details are not shown.")
        else:
            lines.append(f"- Cell {problem['cell']} did not run to the end ({problem['status']}): "
                         f"`{_inline(problem['message'][:200])}`")
    if summary.get("cells"):
        lines.append("")
    for r in results:
        mark = "✓" if r["status"] == "passed" else "✗"
        lines.append(f"## {mark} {r['question']}: {r['name']} ({r['score']:g} / {r['max_score']:g} points, {r['status']})")
        if r.get("hidden"):
            lines.append("Hidden test: only its result is shown.")
        elif r.get("after_hidden"):
            lines.append("This test ran after a hidden test: only its result is shown.")
        else:
            if r.get("message") and r["status"] != "passed":
                lines += ["```text", r["message"].replace("```", "'''"), "```"]
            if r.get("hint") and r["status"] != "passed":
                lines.append(f"Hint: {r['hint']}")
        lines.append("")
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
