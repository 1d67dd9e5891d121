"""The reports of a grading run, all computed from ``results.jsonl``.

``grades.csv`` (one row per student), ``gradescope/<name>/results.json`` (Gradescope's format)
and ``feedback/<name>.md`` for each student. ``<name>`` is a file name no other student shares;
every text cell of a CSV is safe to open in a spreadsheet; a report file that cannot be written
is noted in its student's row and never stops the others or ``grades.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from nnedu.grading import integrity
from nnedu.grading.results import latest_tests, read_results
from nnedu.grading.runner import Test, questions
from nnedu.grading.summary import write_class_summary

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
    """grades.csv, summary.md, mistakes.csv, gradescope/<name>/results.json and feedback/<name>.md.

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
        latest = latest_tests(records, student)
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
    exercise = str(runs[-1].get("exercise", "")) if runs else ""
    try:
        write_class_summary(out, exercise, tests, [(student, results) for student, results, _ in details], write_csv)
    except OSError as exc:
        report.problems["(class summary)"] = f"summary.md / mistakes.csv not written ({type(exc).__name__}: {exc})"
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
        points = f"{r['score']:g} / {r['max_score']:g} points"
        lines.append(f"## {mark} {r['question']}: {r['name']} ({points}, {r['status']})")
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
