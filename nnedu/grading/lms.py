"""Grades for an LMS: Canvas's gradebook import CSV, from ``grades.csv`` and a roster.

Canvas imports a CSV shaped like its own gradebook export: the columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment, and a second
row ``Points Possible`` giving each assignment's maximum. The roster says which student each
submission belongs to: the easiest is Canvas's own gradebook export with a ``submission``
column added (the name of the student's notebook or folder in the submissions folder,
``alice`` for ``alice.ipynb``); without that column, submissions are matched to ``SIS Login ID``.

Only a grade the grader is sure of goes into the import: a submission flagged for academic
integrity or stopped by a grader error is left blank (Canvas leaves a blank cell unchanged)
and listed for the instructor, as is every roster student without a submission.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from nnedu.grading.reports import write_csv

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its own export


class RosterError(ValueError):
    """The roster cannot be used (the message says what was expected and what was found)."""


@dataclass
class Roster:
    """Canvas identity (the IDENTITY columns) of each student, by submission name, in roster order."""

    students: dict[str, dict[str, str]]
    key: str  # the roster column the submission names come from


def read_roster(path: Path) -> Roster:
    """Read ``path``: a CSV with Canvas's identity columns and a ``submission`` (or ``SIS Login ID``) column."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"no such roster file: {path}")
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    header = [h.strip() for h in (csv.DictReader(text.splitlines()).fieldnames or [])]
    key = "submission" if "submission" in header else "SIS Login ID" if "SIS Login ID" in header else None
    if key is None:
        raise RosterError(f"{path.name}: expected a 'submission' column (or Canvas's 'SIS Login ID') naming each "
                          f"student's submission; found the columns {', '.join(header) or 'none'}")
    if not any(column in header for column in ("ID", "SIS User ID", "SIS Login ID")):
        raise RosterError(f"{path.name}: Canvas needs 'ID', 'SIS User ID' or 'SIS Login ID' to find a student; "
                          f"found the columns {', '.join(header)}")
    students: dict[str, dict[str, str]] = {}
    for number, raw in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if row.get("Student", "").strip().lower() in ("points possible", "student, test"):
            continue  # the points row and Canvas's test student of an export
        name = row.get(key, "")
        if not name:
            raise RosterError(f"{path.name} line {number}: empty {key!r} for {row.get('Student') or 'a student'}")
        if name in students:
            raise RosterError(f"{path.name} line {number}: {key} {name!r} appears twice")
        students[name] = {column: row.get(column, "") for column in IDENTITY}
    if not students:
        raise RosterError(f"{path.name}: no students in the roster")
    return Roster(students, key)


@dataclass
class CanvasExport:
    path: Path
    scored: int = 0
    missing: list[str] = field(default_factory=list)  # in the roster, no submission: left blank
    held: dict[str, str] = field(default_factory=dict)  # submission -> why its grade was left blank
    unknown: list[str] = field(default_factory=list)  # submissions that are not in the roster

    def summary(self) -> list[str]:
        lines = [f"wrote {self.path}: {self.scored} grades"]
        if self.held:
            lines.append(f"left blank for review ({len(self.held)}): "
                         + "; ".join(f"{s} ({why})" for s, why in self.held.items()))
        if self.missing:
            lines.append(f"no submission, left blank ({len(self.missing)}): {', '.join(self.missing)}")
        if self.unknown:
            lines.append(f"not in the roster, not exported ({len(self.unknown)}): {', '.join(self.unknown)}")
        return lines


def write_canvas(out: Path, roster: Roster, assignment: str, grades: dict[str, dict],
                 target: Path | None = None) -> CanvasExport:
    """``out/canvas.csv`` (or ``target``): the assignment's grades in Canvas's import format.

    ``grades`` maps each submission name to its ``grades.csv`` row (``GradeReport.students``).
    """
    out = Path(out)
    export = CanvasExport(Path(target) if target else out / "canvas.csv")
    maximum = f"{next(iter(grades.values()))['max']:g}" if grades else ""
    rows = [{**{column: "" for column in IDENTITY}, "Student": POINTS_POSSIBLE, assignment: maximum}]
    for name, identity in roster.students.items():
        row = grades.get(name)
        score = ""
        if row is None:
            export.missing.append(name)
        elif row["status"] in ("grader error", "incomplete"):
            export.held[name] = f"status {row['status']}: grade it again with --resume"
        elif str(row["integrity"]).startswith("FLAGGED"):
            export.held[name] = "flagged for academic integrity: see its feedback"
        else:
            score = f"{row['total']:g}"
            export.scored += 1
        rows.append({**identity, assignment: score})
    export.unknown = [s for s in grades if s not in roster.students]
    write_csv(export.path, [*IDENTITY, assignment], rows)
    return export
